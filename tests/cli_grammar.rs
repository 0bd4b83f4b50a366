//! The grammar of docs/cli-grammar.md, checked on the whole clap command tree: a command
//! that breaks a rule fails here with the command, the flag and the rule. No broker needed.

use clap::error::ErrorKind;

/// Every leaf command with its path from the root (`["topology", "apply"]`).
fn leaves() -> Vec<(Vec<String>, clap::Command)> {
    fn walk(path: Vec<String>, cmd: &clap::Command, out: &mut Vec<(Vec<String>, clap::Command)>) {
        let subs: Vec<_> = cmd
            .get_subcommands()
            .filter(|s| s.get_name() != "help")
            .collect();
        if subs.is_empty() {
            out.push((path.clone(), cmd.clone()));
        }
        for sub in subs {
            let mut p = path.clone();
            p.push(sub.get_name().to_string());
            walk(p, sub, out);
        }
    }
    let mut root = warren::cli::command();
    root.build();
    let mut out = Vec::new();
    walk(Vec::new(), &root, &mut out);
    out
}

/// Parse `warren PATH --flag value`: `Ok` when the value was taken (a missing positional
/// argument or another flag's absence is not the value's fault).
fn takes(path: &[String], flag: &str, value: &str) -> Result<(), String> {
    let mut argv = vec!["warren".to_string()];
    argv.extend(path.iter().cloned());
    argv.push(format!("--{flag}={value}"));
    match warren::cli::command().try_get_matches_from(&argv) {
        Ok(_) => Ok(()),
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::ValueValidation | ErrorKind::InvalidValue
            ) =>
        {
            Err(e.to_string())
        }
        Err(_) => Ok(()),
    }
}

fn long(arg: &clap::Arg) -> Option<&str> {
    arg.get_long()
}

fn takes_value(arg: &clap::Arg) -> bool {
    arg.get_num_args().is_some_and(|n| n.takes_values())
}

/// The value names duration flags had before the one grammar.
const OLD_DURATION_NAMES: [&str; 5] = ["SECS", "SPAN", "AGE", "MS", "SECONDS"];

/// Flags that set an AMQP property to the value as written, not a duration flag:
/// `publish --expiration` is the `expiration` property, a whole number of milliseconds.
const LITERAL_PROPERTIES: [(&str, &str); 1] = [("publish", "expiration")];

#[test]
fn every_duration_flag_takes_the_one_duration_grammar() {
    let mut broken = Vec::new();
    for (path, cmd) in leaves() {
        for arg in cmd
            .get_arguments()
            .filter(|a| takes_value(a) && !a.is_hide_set())
        {
            let Some(flag) = long(arg) else { continue };
            if LITERAL_PROPERTIES.contains(&(path.join(" ").as_str(), flag)) {
                continue;
            }
            let names: Vec<_> = arg
                .get_value_names()
                .unwrap_or_default()
                .iter()
                .map(|n| n.as_str().to_string())
                .collect();
            if names
                .iter()
                .any(|n| OLD_DURATION_NAMES.contains(&n.as_str()))
            {
                broken.push(format!(
                    "warren {} --{flag} <{}>: a duration is <DURATION>, parsed by flags::parse_duration",
                    path.join(" "),
                    names.join(" ")
                ));
                continue;
            }
            if names != ["DURATION"] {
                continue;
            }
            for value in ["5", "5s", "1500ms", "1m"] {
                if let Err(e) = takes(&path, flag, value) {
                    broken.push(format!(
                        "warren {} --{flag} {value} is refused: {e}",
                        path.join(" ")
                    ));
                }
            }
            match takes(&path, flag, "5 parsecs") {
                Ok(()) => broken.push(format!(
                    "warren {} --{flag} '5 parsecs' is taken",
                    path.join(" ")
                )),
                Err(e) if !e.contains("1h30m") => broken.push(format!(
                    "warren {} --{flag}: the error doesn't show the forms: {e}",
                    path.join(" ")
                )),
                Err(_) => {}
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

/// What deletes, purges, replaces, closes or moves.
const DESTRUCTIVE: [&str; 7] = [
    "delete",
    "purge",
    "close connections",
    "replay",
    "move",
    "topology apply",
    "topology restore",
];

#[test]
fn every_destructive_command_has_yes_and_dry_run() {
    let mut broken = Vec::new();
    let leaves = leaves();
    for name in DESTRUCTIVE {
        let Some((_, cmd)) = leaves.iter().find(|(p, _)| p.join(" ") == name) else {
            broken.push(format!("warren {name} is not a command any more"));
            continue;
        };
        let yes = cmd.get_arguments().find(|a| long(a) == Some("yes"));
        if yes.and_then(clap::Arg::get_short) != Some('y') {
            broken.push(format!("warren {name} has no --yes/-y"));
        }
        if !cmd.get_arguments().any(|a| long(a) == Some("dry-run")) {
            broken.push(format!("warren {name} has no --dry-run"));
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn every_command_shows_examples_in_its_help() {
    let mut missing = Vec::new();
    for (path, cmd) in leaves() {
        let help = cmd
            .get_after_help()
            .or(cmd.get_after_long_help())
            .map(|h| h.to_string())
            .unwrap_or_default();
        if !help.contains("Examples:") || !help.contains("warren ") {
            missing.push(format!("warren {}", path.join(" ")));
        }
    }
    assert!(missing.is_empty(), "no examples in --help: {missing:?}");
}

#[test]
fn deprecated_spellings_are_hidden_and_warned_about() {
    let leaves = leaves();
    for d in warren::cli::DEPRECATED {
        let flag = d.old.trim_start_matches("--");
        for command in d.commands {
            let (_, cmd) = leaves
                .iter()
                .find(|(p, _)| p.first().map(String::as_str) == Some(*command))
                .unwrap_or_else(|| panic!("{command}: no such command"));
            let arg = cmd
                .get_arguments()
                .find(|a| {
                    long(a) == Some(flag)
                        || a.get_all_aliases().is_some_and(|all| all.contains(&flag))
                })
                .unwrap_or_else(|| panic!("warren {command} doesn't take {} any more", d.old));
            let visible = arg.get_visible_aliases().is_some_and(|v| v.contains(&flag));
            assert!(
                (long(arg) == Some(flag) && arg.is_hide_set())
                    || (long(arg) != Some(flag) && !visible),
                "warren {command} {}: must be hidden",
                d.old
            );
            let args: Vec<String> = ["warren", command, d.old, "1"].map(String::from).to_vec();
            assert_eq!(
                warren::cli::deprecation_notes(Some(command), &args),
                [format!(
                    "{} is deprecated and will be removed in the next release: use {}",
                    d.old, d.new
                )]
            );
            let with_value = vec!["warren".to_string(), format!("{}=1", d.old)];
            assert_eq!(
                warren::cli::deprecation_notes(Some(command), &with_value).len(),
                1
            );
        }
        // A command that never had it (publish's -H/--header sets a header) gets no note.
        let args: Vec<String> = ["warren", "publish", d.old, "1"].map(String::from).to_vec();
        assert!(warren::cli::deprecation_notes(Some("publish"), &args).is_empty());
    }
}

/// The message filters of every command that reads messages, spelled alike.
#[test]
fn every_reading_command_takes_the_same_filters() {
    let leaves = leaves();
    let filters = |name: &str| -> Vec<String> {
        let (_, cmd) = leaves
            .iter()
            .find(|(p, _)| p.join(" ") == name)
            .unwrap_or_else(|| panic!("{name}: no such command"));
        let mut f: Vec<String> = cmd
            .get_arguments()
            .filter_map(|a| {
                long(a)
                    .filter(|l| l.starts_with("match-"))
                    .map(String::from)
            })
            .collect();
        f.sort();
        f
    };
    let want = [
        "match-body-regex",
        "match-header",
        "match-jsonpath",
        "match-message-id",
        "match-routing-key",
    ];
    for name in ["consume", "peek", "tap", "move", "replay", "purge"] {
        assert_eq!(filters(name), want, "warren {name}");
    }
}

/// The command lines issue 29 names, each parsed whole, as a user types them.
#[test]
fn the_grammar_takes_what_a_user_types() {
    let lines: &[&str] = &[
        "consume q --idle-timeout 5s",
        "consume q --idle-timeout 5",
        "perf --duration 5",
        "audit run --rate-window 2",
        "replay orders.dlq --older-than 1h30m --dry-run",
        "-o json list queues",
        "list queues -o json",
        "show queues orders",
        "show queue orders",
        "--quiet status",
        "status -q",
        "--vhost shop close connections --by-user app --dry-run",
        "close connections --all-vhosts --by-user app --dry-run",
        "replay orders.dlq -n 10 --dry-run",
        "move orders queue:orders.v2 --count 10 --dry-run",
        "delete queue --name ^load- --dry-run",
    ];
    let refused: Vec<String> = lines
        .iter()
        .filter_map(|line| {
            let argv = std::iter::once("warren").chain(line.split(' '));
            warren::cli::command()
                .try_get_matches_from(argv)
                .err()
                .map(|e| format!("warren {line}: {e}"))
        })
        .collect();
    assert!(refused.is_empty(), "{}", refused.join("\n"));
}
