//! The command line itself: help texts with examples, generated completions and man pages,
//! and the README's exit-code table. No broker needed.

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

#[test]
fn usage_errors_exit_2() {
    let dir = TestDir::new("usage");
    dir.warren().arg("--no-such-flag").fails_with(2);
    dir.warren()
        .args(["status", "--output", "xml"])
        .fails_with(2);
}

/// Regenerate with `WARREN_UPDATE_GENERATED=1 cargo test --test cli`.
#[test]
fn completions_and_man_pages_are_fresh() {
    if std::env::var_os("WARREN_UPDATE_GENERATED").is_some() {
        warren::cmd::completions::write_generated(&repo()).expect("writing generated files");
    }
    let mut stale = Vec::new();
    for (rel, expected) in warren::cmd::completions::generated_files().expect("generating") {
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
    let generated: Vec<String> = warren::cmd::completions::generated_files()
        .expect("generating")
        .into_iter()
        .map(|(rel, _)| rel)
        .collect();
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

#[test]
fn readme_documents_every_exit_code() {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README.md");
    let table = warren::exit::exit_code_table();
    assert!(
        readme.contains(&table),
        "README.md must contain the exit-code table exactly as warren::exit::exit_code_table() prints it:\n{table}"
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
fn readme_documents_every_header_tag() {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README.md");
    let table = warren::message::headers::tags_table();
    assert!(
        readme.contains(&table),
        "README.md must contain the header tag table:\n{table}"
    );
}
