//! Bounded input (issue 27): topology and envelope files are refused at their size and
//! nesting limits before they are parsed, in time and memory that don't grow with the
//! input; `list --where` refuses deep nesting and values of the wrong type with exit 2.

mod support;

use std::time::Duration;

use support::{Run, TestCommand, TestDir, TestVhost, shared_node};
use warren::exit::Code;

/// Far above what any case needs: a run that hangs is killed and fails here.
const DEADLINE: Duration = Duration::from_secs(60);

/// No broker listens at port 1: every case here must end before connecting.
const OFFLINE: [&str; 2] = ["--uri", "amqp://localhost:1/%2f"];

/// Run under `/usr/bin/time`, assert the exit code (never a panic or a signal), and return
/// the run with its peak resident memory in MB.
fn measured(dir: &TestDir, args: &str, code: Code) -> (Run, u64) {
    let script = format!("/usr/bin/time -f 'peak_rss_kb=%M' \"$WARREN\" {args}");
    let run = dir
        .shell(&script)
        .within(DEADLINE)
        .fails_with(code.as_i32());
    let kb: u64 = run
        .stderr()
        .lines()
        .find_map(|l| l.strip_prefix("peak_rss_kb="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak_rss_kb from /usr/bin/time\n{}", run.explain()));
    (run, kb / 1024)
}

/// The most memory any refusal here may take (the issue's limit).
const MAX_PEAK_MB: u64 = 200;

/// Assert that `run` (of `what`) ended within `limit` and under [`MAX_PEAK_MB`]; report
/// its time and peak memory.
fn ended_within(run: &Run, limit: Duration, what: &str, peak_mb: u64) {
    assert!(
        run.elapsed < limit,
        "{what}: {:?}\n{}",
        run.elapsed,
        run.explain()
    );
    assert!(
        peak_mb < MAX_PEAK_MB,
        "{what}: peak {peak_mb} MB\n{}",
        run.explain()
    );
    eprintln!("{what}: {:?}, peak {peak_mb} MB", run.elapsed);
}

/// `warren topology lint -f FILE ARGS...` in `dir`.
fn lint(dir: &TestDir, file: &str, args: &[&str]) -> TestCommand {
    let mut cmd = dir.warren();
    cmd.args(["topology", "lint", "-f", file]).args(args);
    cmd
}

/// Run within the deadline; assert the exit code and a piece of the message.
fn check(cmd: &mut TestCommand, code: Code, says: &str) -> Run {
    let run = cmd.within(DEADLINE).fails_with(code.as_i32());
    run.says(says);
    run
}

#[test]
fn topology_from_dev_zero_stops_at_the_size_limit() {
    let dir = TestDir::new("bounds-zero");
    for command in ["lint", "plan"] {
        let args = format!("topology {command} -f /dev/zero --uri amqp://localhost:1/%2f");
        let (run, peak_mb) = measured(&dir, &args, Code::InvalidInput);
        run.says("topology file /dev/zero: larger than the limit of 64MiB (--max-file-size); raise it with --max-file-size SIZE");
        let what = format!("topology {command} -f /dev/zero");
        ended_within(&run, Duration::from_secs(2), &what, peak_mb);
    }
}

#[test]
fn the_size_limit_is_a_flag() {
    let dir = TestDir::new("bounds-size");
    let text = format!(
        "queues:\n  - name: q\n    vhost: v\n# {}\n",
        "x".repeat(4000)
    );
    dir.write("t.yaml", &text);
    check(
        &mut lint(&dir, "t.yaml", &["--max-file-size", "2KiB"]),
        Code::InvalidInput,
        "topology file t.yaml: larger than the limit of 2KiB (--max-file-size)",
    );
    check(
        &mut lint(&dir, "t.yaml", &["--max-file-size", "4KiB"]),
        Code::Success,
        "",
    );
    for bad in ["0", "1.5MiB", "2TiB", "64M"] {
        check(
            &mut lint(&dir, "t.yaml", &["--max-file-size", bad]),
            Code::Usage,
            "--max-file-size",
        );
    }
    for bad in ["=0", "=129", "=-1"] {
        check(
            &mut lint(&dir, "t.yaml", &[&format!("--max-depth{bad}")]),
            Code::Usage,
            "--max-depth",
        );
    }
}

#[test]
fn deep_topology_nesting_is_refused_fast() {
    let dir = TestDir::new("bounds-deep");
    let brackets = format!(
        "queues:\n  - name: q\n    vhost: v\n    arguments:\n      x-deep: {}\n",
        "[".repeat(200_000)
    );
    dir.write("brackets.yaml", &brackets);
    // 100,000 levels of block YAML in 200 KB (it took 44 s before).
    dir.write(
        "dashes.yaml",
        &format!("queues:\n  {}\n", "- ".repeat(100_000)),
    );
    for (file, place) in [
        ("brackets.yaml", "line 5, column "),
        ("dashes.yaml", "line 2, column "),
    ] {
        let (run, peak_mb) = measured(
            &dir,
            &format!("topology lint -f {file}"),
            Code::InvalidInput,
        );
        run.says(&format!("{file}: {place}")).says(
            "nested deeper than the limit of 64 levels (--max-depth); raise it with --max-depth N",
        );
        ended_within(
            &run,
            Duration::from_secs(1),
            &format!("topology lint -f {file}"),
            peak_mb,
        );
    }
    // Within a raised limit, the same kind of file is read.
    let nested = format!(
        "queues:\n  - name: q\n    vhost: v\n    arguments:\n      x-deep: {}1{}\nvhosts:\n  - name: v\n",
        "[".repeat(90),
        "]".repeat(90)
    );
    dir.write("ninety.yaml", &nested);
    check(
        &mut lint(&dir, "ninety.yaml", &[]),
        Code::InvalidInput,
        "--max-depth",
    );
    check(
        &mut lint(&dir, "ninety.yaml", &["--max-depth", "100"]),
        Code::Success,
        "",
    );
}

#[test]
fn a_variable_of_the_wrong_type_is_named() {
    let dir = TestDir::new("bounds-var");
    dir.write(
        "t.yaml",
        "vhosts:\n  - name: v\nqueues:\n  - name: q\n    vhost: v\n    durable: ${DURABLE}\n",
    );
    let run = check(
        lint(&dir, "t.yaml", &[]).env("DURABLE", "not sure"),
        Code::InvalidInput,
        "t.yaml:6:14: `${DURABLE}` is the string \"not sure\": expected a boolean",
    );
    run.never_says("f8ff").never_says("\u{f8ff}");
    // A nested default is refused, never taken as a name.
    dir.write(
        "nested.yaml",
        "vhosts:\n  - name: v\nqueues:\n  - name: ${X:-${Y}}\n    vhost: v\n",
    );
    for y in ["", "y"] {
        check(
            lint(&dir, "nested.yaml", &[]).env("Y", y),
            Code::InvalidInput,
            "nested.yaml:4:11: `${X:-${Y}}`: a default can't hold another `${...}` (nested defaults are not supported)",
        );
    }
}

#[test]
fn envelope_input_is_bounded() {
    let dir = TestDir::new("bounds-envelope");
    let publish = |file: &str| -> Vec<String> {
        let mut args: Vec<String> = OFFLINE.iter().map(|s| s.to_string()).collect();
        args.extend(["publish", "-k", "q", "--file", file].map(String::from));
        args
    };
    let (run, peak_mb) = measured(
        &dir,
        "--uri amqp://localhost:1/%2f publish -k q --file /dev/zero",
        Code::InvalidInput,
    );
    run.says("/dev/zero:1: this line is larger than the limit of 64MiB (--max-file-size); raise it with --max-file-size SIZE");
    let what = "publish --file /dev/zero";
    ended_within(&run, Duration::from_secs(2), what, peak_mb);

    let long = format!(
        "{{\"body\":\"a\"}}\n{{\"body\":\"{}\"}}\n",
        "b".repeat(3000)
    );
    dir.write("long.jsonl", &long);
    check(
        dir.warren()
            .args(publish("long.jsonl"))
            .args(["--max-file-size", "2KiB"]),
        Code::InvalidInput,
        "long.jsonl:2: this line is larger than the limit of 2KiB (--max-file-size)",
    );
    let deep = format!(
        "{{\"body\":\"a\",\"properties\":{{\"headers\":{{\"h\":{}1{}}}}}}}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    dir.write("deep.jsonl", &deep);
    check(
        dir.warren().args(publish("deep.jsonl")),
        Code::InvalidInput,
        "deep.jsonl:1: column 103: nested deeper than the limit of 64 levels (--max-depth)",
    );
    dir.write("dir/a.envelope.json", &deep);
    let mut args: Vec<String> = OFFLINE.iter().map(|s| s.to_string()).collect();
    args.extend(["publish", "-k", "q", "--dir", "dir"].map(String::from));
    check(
        dir.warren().args(&args),
        Code::InvalidInput,
        "a.envelope.json:1: column 103: nested deeper than the limit of 64 levels",
    );
    dir.write("dir/a.envelope.json", &long[14..]);
    check(
        dir.warren().args(&args).args(["--max-file-size", "1KiB"]),
        Code::InvalidInput,
        "a.envelope.json: larger than the limit of 1KiB (--max-file-size)",
    );
}

#[test]
fn where_nesting_is_limited_with_a_caret() {
    let dir = TestDir::new("bounds-where");
    // One argument holds at most 128 KiB (MAX_ARG_STRLEN): 100,000 levels go without their
    // closing parentheses, which the nesting limit stops before anyway.
    for n in [10_000, 100_000] {
        for (open, close) in [("(", ")"), ("!", ""), ("!(", ")")] {
            let mut expr = format!("{}durable{}", open.repeat(n), close.repeat(n));
            if expr.len() > 120_000 {
                expr = format!("{}durable", open.repeat(n.min(120_000 / open.len())));
            }
            let run = check(
                dir.warren()
                    .args(OFFLINE)
                    .args(["list", "queues", "--where", &expr]),
                Code::Usage,
                "--where: parentheses and `!` nest deeper than 64 levels here",
            );
            let caret = format!("\n  {}^", " ".repeat(64));
            assert!(run.stderr().contains(&caret), "{}", run.explain());
        }
    }
}

#[test]
fn empty_sort_keys_are_usage_errors() {
    let dir = TestDir::new("bounds-sort");
    for sort in [",,,", "", "name,,messages", "-"] {
        check(
            dir.warren()
                .args(OFFLINE)
                .args(["list", "queues", "--sort", sort]),
            Code::Usage,
            "is empty",
        );
    }
}

#[test]
fn where_values_of_the_wrong_type_are_usage_errors() {
    let vhost = TestVhost::new(shared_node(), "bounds-where-types");
    let dir = TestDir::new("bounds-where-types");
    vhost.queue("q30", r#"{"durable":true}"#);
    vhost.put_messages("q30", 3);
    vhost.wait_ready("q30", 3);
    let run = check(
        vhost
            .warren(&dir)
            .args(["list", "queues", "--where", "messages"]),
        Code::Usage,
        "--where: `messages` is a number here, not true or false",
    );
    assert!(run.stdout().is_empty(), "{}", run.explain());
    check(
        vhost
            .warren(&dir)
            .args(["list", "queues", "--where", "name"]),
        Code::Usage,
        "`name` is a string here, not true or false",
    );
    check(
        vhost
            .warren(&dir)
            .args(["list", "queues", "--where", "messages =~ \"3\""]),
        Code::Usage,
        "`messages` is a number here: `=~` matches strings only\n  messages =~ \"3\"\n  ^",
    );
    // The valid forms still list the queue.
    for expr in ["messages > 0", "durable", "name =~ \"3\""] {
        let listed = vhost
            .warren(&dir)
            .args(["list", "queues", "--where", expr, "-o", "json"])
            .succeeds()
            .json();
        assert_eq!(listed.as_array().map(Vec::len), Some(1), "{expr}");
    }
}

#[test]
fn perf_clients_are_bounded_and_small() {
    let dir = TestDir::new("bounds-perf-flags");
    for flag in ["--producers", "--consumers"] {
        check(
            dir.warren().args(OFFLINE).args(["perf", flag, "501"]),
            Code::Usage,
            flag,
        );
    }
    // 100 + 100 clients took 1.6 GB (8 MiB of frame buffers each).
    let vhost = TestVhost::new(shared_node(), "bounds-perf");
    let dir = TestDir::new("bounds-perf");
    let args = format!(
        "{} perf --producers 100 --consumers 100 --rate 500 --duration 3s -o json",
        vhost.connection_args().join(" ")
    );
    let (run, peak_mb) = measured(&dir, &args, Code::Success);
    let summary: serde_json::Value = serde_json::from_str(&run.stdout())
        .unwrap_or_else(|e| panic!("perf's summary is not JSON: {e}\n{}", run.explain()));
    assert!(summary["received"].as_u64() > Some(0), "{}", run.explain());
    assert!(peak_mb < 150, "peak {peak_mb} MB\n{}", run.explain());
    eprintln!("perf 100 + 100 clients: peak {peak_mb} MB");
}

#[test]
fn a_definitions_file_to_convert_is_bounded_too() {
    let dir = TestDir::new("bounds-convert");
    let (run, peak_mb) = measured(&dir, "topology convert /dev/zero", Code::InvalidInput);
    run.says("/dev/zero: larger than the limit of 64MiB (--max-file-size)");
    ended_within(
        &run,
        Duration::from_secs(2),
        "topology convert /dev/zero",
        peak_mb,
    );
    dir.write(
        "deep.json",
        &format!("{{\"queues\": {}", "[".repeat(200_000)),
    );
    check(
        dir.warren().args(["topology", "convert", "deep.json"]),
        Code::InvalidInput,
        "deep.json: byte 75: nested deeper than the limit of 64 levels (--max-depth)",
    );
}
