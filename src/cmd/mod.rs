//! One module per subcommand: its arguments and a thin `run` over the library modules.

pub mod audit;
pub mod close;
pub mod completions;
pub mod consume;
pub mod delete;
pub mod doctor;
pub mod health;
pub mod list;
pub mod moving;
pub mod peek;
pub mod perf;
pub mod publish;
pub mod purge;
pub mod quorum;
pub mod replay;
pub mod route;
pub mod show;
pub mod status;
pub mod tap;
pub mod topology;

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::exit::Error;
use crate::message::consume::AckMode;
use crate::message::read::Target;
use crate::message::sink::Format;
use crate::message::stream::StreamOffset;

pub async fn run(cli: Cli) -> Result<()> {
    match &cli.command {
        Command::Status(args) => status::run(&cli.global, args).await,
        Command::Publish(args) => publish::run(&cli.global, args).await,
        Command::Consume(args) => consume::run(&cli.global, args).await,
        Command::Peek(args) => peek::run(&cli.global, args).await,
        Command::Tap(args) => tap::run(&cli.global, args).await,
        Command::Audit(args) => audit::run(&cli.global, args).await,
        Command::Health(args) => health::run(&cli.global, args).await,
        Command::Doctor(args) => doctor::run(&cli.global, args).await,
        Command::Quorum(args) => quorum::run(&cli.global, args).await,
        Command::Replay(args) => replay::run(&cli.global, args).await,
        Command::List(args) => list::run(&cli.global, args).await,
        Command::Move(args) => moving::run(&cli.global, args).await,
        Command::Perf(args) => perf::run(&cli.global, args).await,
        Command::Purge(args) => purge::run(&cli.global, args).await,
        Command::Show(args) => show::run(&cli.global, args).await,
        Command::Route(args) => route::run(&cli.global, args).await,
        Command::Delete(args) => delete::run(&cli.global, args).await,
        Command::Close(args) => close::run(&cli.global, args).await,
        Command::Completions(args) => completions::run(args),
        Command::Topology(args) => topology::run(&cli.global, args).await,
    }
}

/// The type of `queue` (classic, quorum, stream) from the management API, asked for at most
/// 3 s; `None` when it can't be read (the AMQP read that follows reports a missing queue or
/// an unreachable broker itself).
pub async fn queue_kind(
    settings: &crate::broker::settings::Settings,
    queue: &str,
) -> Option<String> {
    let api = crate::broker::http::ManagementApi::new(settings).ok()?;
    let info = crate::broker::queue::get(&api, &settings.vhost, queue);
    tokio::time::timeout(Duration::from_secs(3), info)
        .await
        .ok()?
        .ok()
        .map(|q| q.kind)
        .filter(|k| !k.is_empty())
}

/// How a read of `queue`, of type `kind` (`None`: unknown), treats a stream: a stream is read
/// from `--offset` (first by default), its messages stay (acks only pace it), and it takes
/// no --no-ack; `--offset` on another kind of queue is a mistake. Returns the ack mode to use.
pub fn stream_mode(
    kind: Option<&str>,
    queue: &str,
    target: &mut Target,
    mode: AckMode,
) -> Result<AckMode> {
    match kind {
        Some("stream") => {
            if mode == AckMode::NoAck {
                return Err(Error::usage(format!(
                    "`{queue}` is a stream: it needs acks to pace delivery, so --no-ack is refused"
                ))
                .into());
            }
            if target.offset.is_none() {
                crate::note!(
                    "`{queue}` is a stream: reading from its first message (--offset to choose)"
                );
                target.offset = Some(StreamOffset::First);
            }
            Ok(AckMode::Ack)
        }
        Some(other) if target.offset.is_some() => Err(Error::usage(format!(
            "--offset reads a stream; `{queue}` is a {other} queue"
        ))
        .into()),
        _ => Ok(mode),
    }
}

/// How much to read and where to write it; shared by consume, peek and tap.
#[derive(clap::Args, Debug, Clone)]
pub struct ReadArgs {
    /// Stop after N messages.
    #[arg(long, short = 'n', value_name = "N")]
    pub count: Option<u64>,

    /// Stop when no message arrives for this long (5s, 500ms, 2m; a bare number is seconds).
    #[arg(long, value_name = "DURATION", value_parser = crate::flags::duration)]
    pub idle_timeout: Option<Duration>,

    /// How messages are written to stdout [default: jsonl; pretty for peek].
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// Write one `NNNNNNNNNN.envelope.json` file per message here instead of stdout.
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,

    /// Where to start reading a stream: first, last, next, an offset N, a time
    /// (2026-12-03T10:00:00Z) or an age (30m) [default for a stream: first].
    #[arg(long, value_name = "OFFSET", value_parser = crate::message::stream::parse)]
    pub offset: Option<StreamOffset>,

    #[command(flatten)]
    pub filter: FilterArgs,
}

/// Which messages a read takes; the others stay in the queue, in their order (held unacked
/// and put back once at the end). Every filter given must match.
#[derive(clap::Args, Debug, Clone, Default)]
#[command(next_help_heading = "Filters")]
pub struct FilterArgs {
    /// Only messages with this header value (repeatable).
    #[arg(long = "match-header", alias = "header", value_name = "KEY=VALUE",
          value_parser = crate::replay::filter::parse_header)]
    pub headers: Vec<(String, String)>,

    /// Only messages whose body (as UTF-8, lossy) matches this regular expression.
    #[arg(long = "match-body-regex", alias = "body-regex", value_name = "REGEX",
          value_parser = regex_lite::Regex::new)]
    pub body_regex: Option<regex_lite::Regex>,

    /// Only messages published with one of these routing keys (repeatable).
    #[arg(long = "match-routing-key", alias = "routing-key", value_name = "KEY")]
    pub routing_keys: Vec<String>,

    /// Only messages with one of these message ids (repeatable).
    #[arg(long = "match-message-id", alias = "message-id", value_name = "ID")]
    pub message_ids: Vec<String>,

    /// Only JSON bodies with this value at this path: `$.order.status=failed` (repeatable).
    #[arg(long = "match-jsonpath", alias = "jsonpath", value_name = "PATH=VALUE",
          value_parser = crate::replay::filter::parse_json_path)]
    pub json_paths: Vec<(String, String)>,
}

impl FilterArgs {
    /// The message filter these flags make (empty when none was given), to which a command
    /// adds its own criteria (replay's reasons and ages).
    pub fn to_filter_with_defaults(&self) -> crate::replay::filter::Filter {
        crate::replay::filter::Filter {
            headers: self.headers.clone(),
            body_regex: self.body_regex.clone(),
            routing_keys: self.routing_keys.clone(),
            message_ids: self.message_ids.clone(),
            json_paths: self.json_paths.clone(),
            ..Default::default()
        }
    }

    /// The filter, or `None` when no filter flag was given.
    pub fn to_filter(&self) -> Option<crate::replay::filter::Filter> {
        let f = self.to_filter_with_defaults();
        (!f.is_empty()).then_some(f)
    }

    /// The filter shared with a reader's tasks.
    pub fn filter(&self) -> Option<crate::message::Selection> {
        self.to_filter()
            .map(|f| std::sync::Arc::new(f) as crate::message::Selection)
    }
}

impl ReadArgs {
    pub fn target(&self) -> Target {
        Target {
            count: self.count,
            idle_timeout: self.idle_timeout,
            format: self.format,
            output_dir: self.output_dir.clone(),
            output_file: None,
            offset: self.offset.clone(),
            filter: self.filter.filter(),
            discard: false,
        }
    }
}

/// Go ahead with a change that can't be undone: with `yes`, at once; at a terminal, when the
/// operator answers `y` to `prompt()` (shown on stderr); otherwise (a script without --yes)
/// a usage error (exit 2) saying `refusal()`.
pub fn go_ahead(
    yes: bool,
    refusal: impl FnOnce() -> String,
    prompt: impl FnOnce() -> String,
) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::usage(refusal()).into());
    }
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{} [y/N] ", prompt()).and_then(|()| stderr.flush());
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    if matches!(line.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(Error::usage("cancelled: nothing was changed").into())
    }
}

/// `--max-file-size` and `--max-depth`: the limits on each input file, checked before it is
/// parsed (see [`crate::input`]).
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct InputLimits {
    /// Refuse (exit 4) input larger than SIZE (e.g. 64MiB, 1GiB), read no further: a topology
    /// file, or one envelope (a line of --file, a file of --dir).
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = crate::flags::file_size)]
    pub max_file_size: u64,
    /// Refuse (exit 4) input whose lists and maps nest deeper than N levels (1 to 128),
    /// before parsing it.
    #[arg(long, value_name = "N", default_value_t = crate::input::DEFAULT_MAX_DEPTH as u16,
          value_parser = clap::value_parser!(u16).range(1..=crate::input::MAX_DEPTH_CEILING as i64))]
    pub max_depth: u16,
}

impl InputLimits {
    pub fn limits(&self) -> crate::input::Limits {
        crate::input::Limits {
            max_file_size: self.max_file_size,
            max_depth: usize::from(self.max_depth),
        }
    }
}

/// How a copying run goes (replay, move): how many messages, how fast, how many in flight.
#[derive(clap::Args, Debug, Clone)]
pub struct CopyArgs {
    /// Stop after N messages (copy at most N).
    // `--limit` is its old spelling (deprecated: see `crate::cli::DEPRECATED`).
    #[arg(long = "count", short = 'n', alias = "limit", value_name = "N")]
    pub limit: Option<u64>,

    /// Messages per second, at most (0.001 to 1000000000).
    #[arg(long, value_name = "MSGS_PER_S", value_parser = crate::flags::rate)]
    pub rate: Option<f64>,

    /// Copies awaiting their confirm (and their source's ack), at most: also the most
    /// messages that can end up in both places after a crash.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub window: u64,

    /// How long to wait for a publisher confirm (above 0; a bare number is seconds).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = crate::flags::duration)]
    pub confirm_timeout: Duration,
}

/// The flags of every command that removes messages or objects (delete, purge, topology
/// apply): the same names and meanings on each (docs/cli-grammar.md).
#[derive(clap::Args, Debug, Clone)]
pub struct ChangeArgs {
    /// Go ahead without asking (without a terminal, nothing destructive happens without it).
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Show what would change, with the message counts at stake; change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Go ahead where messages would be lost: a queue that holds messages, or whose count is
    /// unknown.
    #[arg(long)]
    pub allow_message_loss: bool,
}
