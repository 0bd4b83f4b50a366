//! The command line itself: help texts with examples, generated completions and man pages,
//! and the exit-code and header tag tables of docs/. No broker needed.

mod support;

use support::{TestDir, repo};

#[test]
fn every_help_shows_examples() {
    let dir = TestDir::new("help");
    dir.warren().arg("--help").succeeds().says("Examples:");
    let root = warren::cli::command();
    for sub in root.get_subcommands() {
        dir.warren()
            .args([sub.get_name(), "--help"])
            .succeeds()
            .says("Examples:");
        for nested in sub.get_subcommands() {
            dir.warren()
                .args([sub.get_name(), nested.get_name(), "--help"])
                .succeeds()
                .says("Examples:");
        }
    }
}

/// The path of every command and subcommand, `[]` for warren itself (not `help`).
fn command_paths() -> Vec<Vec<String>> {
    fn walk(path: Vec<String>, cmd: &clap::Command, out: &mut Vec<Vec<String>>) {
        out.push(path.clone());
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let mut next = path.clone();
            next.push(sub.get_name().to_string());
            walk(next, sub, out);
        }
    }
    let mut root = warren::cli::command();
    root.build();
    let mut out = Vec::new();
    walk(Vec::new(), &root, &mut out);
    out
}

/// `--help` of every command is exactly its file in tests/expected/help/, on stdout, with
/// nothing on stderr (regenerate with `WARREN_UPDATE_GENERATED=1 cargo test --test cli`).
#[test]
fn every_help_is_exactly_as_expected() {
    let dir = TestDir::new("help-exact");
    let paths = command_paths();
    assert!(paths.len() > 25, "{paths:?}");
    for path in paths {
        let run = dir
            .warren()
            .args(&path)
            .arg("--help")
            .env("COLUMNS", "100")
            .succeeds();
        assert_eq!(run.stderr(), "", "warren {} --help", path.join(" "));
        let name = std::iter::once("warren".to_string())
            .chain(path)
            .collect::<Vec<_>>()
            .join("-");
        support::expect_output(&format!("help/{name}.txt"), &run.stdout());
    }
}

/// Usage errors a user meets first, exactly: stdout empty, the message on stderr.
#[test]
fn usage_errors_are_exactly_as_expected() {
    let dir = TestDir::new("usage-exact");
    let cases: &[(&str, &[&str])] = &[
        ("show-kind-typo", &["show", "queuez", "orders"]),
        (
            "bad-duration",
            &["consume", "q", "--idle-timeout", "5 parsecs"],
        ),
        ("close-without-selector", &["close", "connections", "--yes"]),
        ("unknown-flag", &["list", "queues", "--no-such-flag"]),
        ("bad-output", &["status", "--output", "xml"]),
    ];
    for (name, args) in cases {
        let run = dir.warren().args(*args).env("COLUMNS", "100").fails_with(2);
        assert_eq!(run.stdout(), "", "warren {}", args.join(" "));
        support::expect_output(&format!("errors/{name}.stderr"), &run.stderr());
    }
}

#[test]
fn usage_errors_exit_2() {
    let dir = TestDir::new("usage");
    dir.warren().arg("--no-such-flag").fails_with(2);
    dir.warren()
        .args(["status", "--output", "xml"])
        .fails_with(2);
}

/// Every man page: one for warren and one for each command and subcommand, down the whole
/// tree (`warren-topology-lint.1`), so that every `warren-X(1)` a page names exists.
fn man_pages() -> Vec<(String, Vec<u8>)> {
    fn walk(name: String, cmd: &clap::Command, out: &mut Vec<(String, Vec<u8>)>) {
        // A `help` subcommand gets a page of its own (its parent's page names it), without
        // its pseudo-subcommands, which repeat the tree.
        let is_help = cmd.get_name() == "help";
        let page = if is_help {
            clap::Command::new(name.clone())
                .about(cmd.get_about().map(ToString::to_string).unwrap_or_default())
                .arg(
                    clap::Arg::new("command")
                        .value_name("COMMAND")
                        .num_args(0..),
                )
        } else {
            cmd.clone().name(name.clone())
        };
        let mut buf = Vec::new();
        clap_mangen::Man::new(page)
            .render(&mut buf)
            .expect("rendering a man page");
        out.push((format!("man/{name}.1"), buf));
        if is_help {
            return;
        }
        for sub in cmd.get_subcommands() {
            walk(format!("{name}-{}", sub.get_name()), sub, out);
        }
    }
    let mut root = warren::cli::command();
    root.build();
    let mut out = Vec::new();
    walk("warren".into(), &root, &mut out);
    out
}

/// Every generated file: the completion scripts and the man pages.
fn generated_files() -> Vec<(String, Vec<u8>)> {
    let mut files = warren::cmd::completions::generated_files();
    files.extend(man_pages());
    files
}

/// Regenerate with `WARREN_UPDATE_GENERATED=1 cargo test --test cli`.
#[test]
fn completions_and_man_pages_are_fresh() {
    if std::env::var_os("WARREN_UPDATE_GENERATED").is_some() {
        for (rel, contents) in generated_files() {
            let path = repo().join(&rel);
            std::fs::create_dir_all(path.parent().expect("a directory")).expect("mkdir");
            std::fs::write(&path, contents).expect("writing a generated file");
        }
    }
    let mut stale = Vec::new();
    for (rel, expected) in generated_files() {
        let actual = std::fs::read(repo().join(&rel)).unwrap_or_default();
        if actual != expected {
            stale.push(rel);
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files {stale:?}: run `WARREN_UPDATE_GENERATED=1 cargo test --test cli` and commit"
    );
    // No orphan man pages from removed subcommands.
    let generated: Vec<String> = generated_files().into_iter().map(|(rel, _)| rel).collect();
    for entry in std::fs::read_dir(repo().join("man")).expect("man/") {
        let name = format!(
            "man/{}",
            entry.expect("entry").file_name().to_string_lossy()
        );
        assert!(
            generated.contains(&name),
            "{name} is not generated any more: delete it"
        );
    }
}

/// Every `warren-X(1)` a man page refers to is a page of man/.
#[test]
fn man_pages_refer_only_to_pages_that_exist() {
    let pages: Vec<(String, Vec<u8>)> = man_pages();
    let names: Vec<String> = pages
        .iter()
        .map(|(rel, _)| {
            rel.trim_start_matches("man/")
                .trim_end_matches(".1")
                .to_string()
        })
        .collect();
    let mut dangling = Vec::new();
    for (rel, page) in &pages {
        let text = String::from_utf8_lossy(page).replace("\\-", "-");
        for (i, _) in text.match_indices("(1)") {
            let start = text[..i]
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .map_or(0, |s| s + 1);
            let name = &text[start..i];
            if name.starts_with("warren") && !names.iter().any(|n| n == name) {
                dangling.push(format!("{rel}: {name}(1)"));
            }
        }
    }
    assert!(names.len() > 20, "{names:?}");
    assert!(
        dangling.is_empty(),
        "man pages refer to pages that don't exist: {dangling:?}"
    );
}

#[test]
fn docs_document_every_exit_code() {
    let page =
        std::fs::read_to_string(repo().join("docs/exit-codes.md")).expect("docs/exit-codes.md");
    let table = warren::exit::exit_code_table();
    assert!(
        page.contains(&table),
        "docs/exit-codes.md must contain the exit-code table exactly as warren::exit::exit_code_table() prints it:\n{table}"
    );
}

#[test]
fn completions_command_prints_a_script() {
    let dir = TestDir::new("compl");
    dir.warren()
        .args(["completions", "bash"])
        .succeeds()
        .says("_warren");
}

#[test]
fn docs_document_every_header_tag() {
    let page = std::fs::read_to_string(repo().join("docs/envelope.md")).expect("docs/envelope.md");
    let table = warren::message::headers::tags_table();
    assert!(
        page.contains(&table),
        "docs/envelope.md must contain the header tag table:\n{table}"
    );
}
