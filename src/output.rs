//! Rendering of command results as a table, JSON or YAML. Every command prints through here.

use std::io::Write;

use anyhow::Result;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;

use crate::exit::Error;

/// The `--output` choice. Every command takes table, json and yaml (`cli::common_formats`);
/// sarif is `warren audit`'s own value, csv and tsv `warren list`'s, so clap refuses them
/// elsewhere before anything runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// Human-readable tables.
    #[default]
    Table,
    /// One JSON document.
    Json,
    /// One YAML document.
    Yaml,
    /// SARIF 2.1.0, for code-scanning tools (`warren audit` only).
    Sarif,
    /// Comma-separated values with a header line (`warren list` only).
    Csv,
    /// Tab-separated values with a header line (`warren list` only).
    Tsv,
}

/// A result that can be shown as text as well as serialized.
pub trait Render: Serialize {
    /// The human-readable form, used for `--output table`.
    fn human(&self) -> String;

    /// The SARIF 2.1.0 form, for results that are findings (`audit`); `None` elsewhere.
    fn sarif(&self) -> Option<serde_json::Value> {
        None
    }
}

static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `--quiet`: notes and progress are silenced; warnings, errors and results are not.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, std::sync::atomic::Ordering::Relaxed);
}

/// Whether `--quiet` was given.
pub fn quiet() -> bool {
    QUIET.load(std::sync::atomic::Ordering::Relaxed)
}

/// A diagnostic line on stderr, the one way every module reports. `Note` lines are
/// silenced by `--quiet`; `Warning` and `Error` lines never are, and carry their prefix here,
/// so that no caller writes it by hand. A closed stderr is ignored here; the next result
/// written reports the broken pipe. Never panics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// A line of a running measurement (perf's per-interval rates), without a prefix.
    Progress,
    Note,
    Warning,
    Error,
}

/// Write one diagnostic line (see [`Level`]); use the `note!`, `warning!` macros.
pub fn report(level: Level, line: std::fmt::Arguments<'_>) {
    let prefix = match level {
        Level::Note | Level::Progress if quiet() => return,
        Level::Progress => "",
        Level::Note => "warren: ",
        Level::Warning => "warren: warning: ",
        Level::Error => "warren: error: ",
    };
    let _ = writeln!(std::io::stderr().lock(), "{prefix}{line}");
}

/// A note on stderr, prefixed `warren: `; silenced by `--quiet`.
#[macro_export]
macro_rules! note {
    ($($arg:tt)*) => {
        $crate::output::report($crate::output::Level::Note, format_args!($($arg)*))
    };
}

/// The error that ends a run, on stderr, prefixed `warren: error: ` (`main` only).
#[macro_export]
macro_rules! error {
    ($($arg:tt)*) => {
        $crate::output::report($crate::output::Level::Error, format_args!($($arg)*))
    };
}

/// A warning on stderr, prefixed `warren: warning: `; never silenced.
#[macro_export]
macro_rules! warning {
    ($($arg:tt)*) => {
        $crate::output::report($crate::output::Level::Warning, format_args!($($arg)*))
    };
}

/// Print `value` to stdout in the chosen format.
pub fn print<R: Render>(format: Format, value: &R) -> Result<()> {
    write_line(&mut std::io::stdout().lock(), &render(format, value)?)
}

/// Print `value` to stderr, for commands whose stdout carries messages (`consume`, `tap`).
pub fn eprint<R: Render>(format: Format, value: &R) -> Result<()> {
    write_line(&mut std::io::stderr().lock(), &render(format, value)?)
}

fn write_line(out: &mut dyn Write, text: &str) -> Result<()> {
    writeln!(out, "{}", text.trim_end())
        .and_then(|()| out.flush())
        .map_err(|e| io_error(e, "writing the result"))
}

/// An output error: a closed pipe (`| head`) is [`Code::BrokenPipe`], which ends the run
/// quietly; anything else is unexpected.
pub fn io_error(err: std::io::Error, what: &str) -> anyhow::Error {
    if err.kind() == std::io::ErrorKind::BrokenPipe {
        Error::broken_pipe("the reader closed the pipe")
            .about(what)
            .into()
    } else {
        Error::internal(err.to_string()).about(what).into()
    }
}

/// A progress bar on stderr while stderr is a terminal; hidden otherwise.
pub fn progress(total: Option<u64>, what: &str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if quiet() || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = match total {
        Some(n) => indicatif::ProgressBar::new(n).with_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{bar:30}] {pos}/{len} ({per_sec}, eta {eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        ),
        None => indicatif::ProgressBar::new_spinner().with_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg} {pos} ({per_sec})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        ),
    };
    bar.set_message(what.to_string());
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

pub fn render<R: Render>(format: Format, value: &R) -> Result<String> {
    Ok(match format {
        Format::Table => value.human(),
        Format::Json => serde_json::to_string_pretty(value)?,
        Format::Yaml => serde_yaml::to_string(value)?,
        Format::Sarif => {
            match value.sarif() {
                Some(log) => serde_json::to_string_pretty(&log)?,
                None => {
                    return Err(Error::usage("--output sarif is only supported by `warren audit`; use table, json or yaml").into());
                }
            }
        }
        Format::Csv | Format::Tsv => {
            return Err(Error::usage(
                "--output csv and tsv are only supported by `warren list`; use table, json or yaml",
            )
            .into());
        }
    })
}

/// A table with warren's style, sized to the terminal.
pub fn table<I, S>(headers: I) -> Table
where
    I: IntoIterator<Item = S>,
    S: Into<comfy_table::Cell>,
{
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(headers);
    t
}

/// What a sentence says for a count the broker left out, before a noun ("... messages").
pub const UNKNOWN_NUMBER: &str = "an unknown number of";

/// A count, or [`UNKNOWN_NUMBER`] when it is unknown: `{} message(s)`.
pub fn count_or_unknown(count: Option<impl std::fmt::Display>) -> String {
    count.map_or_else(|| UNKNOWN_NUMBER.to_string(), |n| n.to_string())
}

/// Messages per second over a run, 0 for a run too short to measure.
pub fn per_second(count: u64, elapsed_seconds: f64) -> f64 {
    if elapsed_seconds > 0.0 {
        count as f64 / elapsed_seconds
    } else {
        0.0
    }
}

pub fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Sample {
        name: String,
    }

    impl Render for Sample {
        fn human(&self) -> String {
            let mut t = table(["name"]);
            t.add_row([self.name.as_str()]);
            t.to_string()
        }
    }

    #[test]
    fn renders_each_format() {
        let s = Sample { name: "q1".into() };
        assert!(render(Format::Table, &s).unwrap().contains("q1"));
        let json: serde_json::Value =
            serde_json::from_str(&render(Format::Json, &s).unwrap()).unwrap();
        assert_eq!(json["name"], "q1");
        assert_eq!(render(Format::Yaml, &s).unwrap().trim(), "name: q1");
        let err = render(Format::Sarif, &s).unwrap_err();
        assert_eq!(crate::exit::code_of(&err), crate::exit::Code::Usage);
    }
}
