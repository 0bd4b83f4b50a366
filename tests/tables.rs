//! Every command's human-readable output, exactly: stdout and stderr each compared with its
//! file in tests/expected/tables/, on a vhost of a fixed name with a known topology.
//!
//! Volatile fields are redacted first (times, durations, rates, ports, node names), and
//! runs of spaces and of table rules are collapsed to one, so that a redacted value of
//! another width (a host name on another machine) doesn't move the columns; the words, their
//! order, the columns and the stream each line goes to are all pinned. Lines outside a
//! table keep their spaces. Where the broker
//! versions say different things (status, health, show queue, audit, export), each version has its own file
//! (`NAME@4.3.stdout`). Regenerate with `WARREN_UPDATE_GENERATED=1` and review the diff.

mod support;

use std::time::Duration;

use regex_lite::Regex;
use support::{TestDir, TestVhost, encode, shared_node, test_broker, wait_for};

/// `text` with its volatile fields replaced by a placeholder, and its padding collapsed.
fn redact(text: &str) -> String {
    let rules: &[(&str, &str)] = &[
        // Timestamps: 2026-12-07T17:38:08Z, 2026-12-07 17:38:08.
        (
            r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?",
            "<time>",
        ),
        // Node names: rabbit@host, warren-test-4.3@host.
        (r"[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+", "<node>"),
        // Ports: after a host, and in a port column.
        (r"(localhost|<node>|127\.0\.0\.1|\]):\d{4,5}\b", "$1:<port>"),
        (r"┆ \d{4,5} ┆", "┆ <port> ┆"),
        (r"\bport \d{4,5}\b", "port <port>"),
        // Rates the broker samples (show queue): a number or unknown, as the sample falls.
        (r"\b(publish|deliver|ack) rate( +)\S+", "$1 rate$2<rate>"),
        // Memory in bytes (show queue).
        (r"\bmemory( +)\d+", "memory$1<n>"),
        // Rates, durations and sizes: 1234.5 msg/s, 0.12s, 350ms, 1h 2m 3s, 12.3 MiB.
        (
            r"\b\d+(\.\d+)?\s?(msg/s|/s|ms|µs|us|s|m|h|d|B|KiB|MiB|GiB|kB|MB|GB)\b",
            "<n>",
        ),
        (r"(<n>\s?)+", "<n> "),
    ];
    let mut text = text.to_string();
    for (pattern, with) in rules {
        text = Regex::new(pattern)
            .expect("a redaction pattern")
            .replace_all(&text, *with)
            .into_owned();
    }
    let rules = Regex::new("─+").expect("rule");
    let double = Regex::new("═+").expect("rule");
    let spaces = Regex::new(" {2,}").expect("spaces");
    let last_cell = Regex::new(r"┆[^┆]*│$").expect("last cell");
    // In a table whose last column is a rate, that column of every row.
    let mut rate_column = false;
    text.lines()
        .map(|line| {
            if line.starts_with('│') && line.ends_with("msg/s │") {
                rate_column = true;
            } else if line.starts_with('└') {
                rate_column = false;
            } else if rate_column && line.starts_with('│') {
                return last_cell.replace(line, "┆ <n> │").into_owned();
            }
            line.to_string()
        })
        .map(|line| {
            // Only a table's padding depends on the widths of its values.
            if !line.starts_with(['│', '┌', '╞', '├', '└']) {
                return line.trim_end().to_string();
            }
            let line = rules.replace_all(&line, "─");
            let line = double.replace_all(&line, "═");
            spaces.replace_all(&line, " ").trim_end().to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The management API's message count of `queue`, once it reads `n`.
fn wait_api_messages(vhost: &TestVhost, queue: &str, n: u64) {
    let path = format!("/api/queues/{}/{}", encode(&vhost.name), encode(queue));
    let seen = wait_for(Duration::from_secs(30), || {
        let (_, body) = vhost.node.api("GET", &path, None);
        let count = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["messages"].as_u64());
        (count == Some(n), count)
    });
    assert_eq!(
        seen,
        Some(n),
        "{queue}: the API never showed {n} message(s)"
    );
}

struct Case {
    name: &'static str,
    args: Vec<String>,
    /// The exit code expected (0 but for health's and the like).
    code: i32,
    /// Whether each broker version has a file of its own.
    per_version: bool,
    /// Whether every number is volatile (perf's measurements).
    numbers: bool,
}

fn case(name: &'static str, args: &[&str]) -> Case {
    Case {
        name,
        args: args.iter().map(|a| a.to_string()).collect(),
        code: 0,
        per_version: false,
        numbers: false,
    }
}

/// Run `case`; its differences from the expected files, if any.
fn check(vhost: &TestVhost, dir: &TestDir, case: &Case) -> Vec<String> {
    let run = vhost
        .warren(dir)
        .args(&case.args)
        .env("COLUMNS", "100")
        .output();
    assert_eq!(
        run.output.status.code(),
        Some(case.code),
        "warren {}\n{}",
        case.args.join(" "),
        run.explain()
    );
    let name = if case.per_version {
        format!("{}@{}", case.name, test_broker())
    } else {
        case.name.to_string()
    };
    let numbers = Regex::new(r"\d+(\.\d+)?").expect("numbers");
    let redacted = |text: String| {
        let text = redact(&text);
        if case.numbers {
            redact(&numbers.replace_all(&text, "0"))
        } else {
            text
        }
    };
    [
        support::differs_from_expected(&format!("tables/{name}.stdout"), &redacted(run.stdout())),
        support::differs_from_expected(&format!("tables/{name}.stderr"), &redacted(run.stderr())),
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[test]
fn every_table_is_exactly_as_expected() {
    let node = shared_node();
    let vhost = TestVhost::fixed(node, "t-tables-expected");
    let dir = TestDir::new("tables");
    vhost.exchange("orders", "topic");
    vhost.exchange("orders.dlx", "fanout");
    vhost.queue(
        "orders.eu",
        r#"{"durable":true,"arguments":{"x-dead-letter-exchange":"orders.dlx"}}"#,
    );
    vhost.queue("orders.all", r#"{"durable":true}"#);
    vhost.queue("orders.dlq", r#"{"durable":true}"#);
    vhost.bind("orders", "orders.eu", "eu.#");
    vhost.bind("orders", "orders.all", "#");
    vhost.bind("orders.dlx", "orders.dlq", "");
    node.api_ok(
        "PUT",
        &format!("/api/policies/{}/orders-limit", encode(&vhost.name)),
        Some(r#"{"pattern":"^orders\\.","apply-to":"queues","priority":1,"definition":{"max-length":1000}}"#),
    );
    vhost.put_messages("orders.eu", 3);
    wait_api_messages(&vhost, "orders.eu", 3);
    let topology = dir.path.join("topology.yaml");
    std::fs::write(
        &topology,
        format!(
            "exchanges:\n  - name: orders\n    vhost: {v}\n    type: topic\n\
             queues:\n  - name: orders.eu\n    vhost: {v}\n    arguments:\n      x-dead-letter-exchange: orders.dlx\n\
             \x20 - name: orders.new\n    vhost: {v}\n",
            v = vhost.name
        ),
    )
    .expect("topology file");
    // Relative to the directory warren runs in, so no test path shows in the output.
    let topology = "topology.yaml";

    let mut status = case("status", &["status"]);
    status.per_version = true;
    let mut health = case("health", &["health"]);
    health.per_version = true;
    // 4.x shows the x-queue-type argument it sets on every queue; 3.10 doesn't.
    let mut show_queue = case("show-queue", &["show", "queue", "orders.eu"]);
    show_queue.per_version = true;
    // Node-level findings: a test node serves plain AMQP and HTTP (exit 3: findings).
    let mut audit = case(
        "audit-run",
        &["audit", "run", "--rule", "NET001", "--rule", "NET002"],
    );
    audit.code = 3;
    audit.per_version = true;
    // 3.10 has no default queue type to export.
    let mut export = case("topology-export", &["topology", "export"]);
    export.per_version = true;
    let mut perf = case(
        "perf",
        &[
            "perf",
            "--duration",
            "2",
            "--rate",
            "50",
            "--queue",
            "tables.perf",
        ],
    );
    perf.numbers = true;
    // Reading first, in an order that leaves the counts as each case expects.
    let cases = [
        audit,
        case("audit-rules", &["audit", "rules"]),
        perf,
        export,
        status,
        health,
        case("list-queues", &["list", "queues"]),
        case(
            "list-exchanges",
            &["list", "exchanges", "--name", "^orders"],
        ),
        case("list-bindings", &["list", "bindings"]),
        case("list-policies", &["list", "policies"]),
        case("list-columns", &["list", "queues", "--columns", "help"]),
        show_queue,
        case("show-exchange", &["show", "exchanges", "orders"]),
        case("route", &["route", "orders", "eu.1"]),
        case("topology-plan", &["topology", "plan", "-f", topology]),
        case("topology-lint", &["topology", "lint", "-f", topology]),
        case(
            "delete-dry-run",
            &["delete", "queue", "orders.all", "--dry-run"],
        ),
        case("purge-dry-run", &["purge", "orders.eu", "--dry-run"]),
        case(
            "close-dry-run",
            &["close", "connections", "--by-user", "nobody", "--dry-run"],
        ),
        case("replay-dry-run", &["replay", "orders.dlq", "--dry-run"]),
        case(
            "move-dry-run",
            &["move", "orders.eu", "queue:orders.all", "--dry-run"],
        ),
        case("peek", &["peek", "orders.eu", "-n", "2"]),
        // --quiet drops the note, not the summary; global flags go before the subcommand.
        case("peek-quiet", &["peek", "orders.eu", "-n", "1", "--quiet"]),
        case("list-queues-json", &["-o", "json", "list", "queues"]),
        case(
            "publish",
            &["publish", "-e", "orders", "-k", "eu.2", "--body", "x"],
        ),
    ];
    let mut differences: Vec<String> = cases
        .iter()
        .flat_map(|case| check(&vhost, &dir, case))
        .collect();
    // consume takes the first message off for good.
    wait_api_messages(&vhost, "orders.eu", 4);
    differences.extend(check(
        &vhost,
        &dir,
        &case(
            "consume",
            &["consume", "orders.eu", "-n", "1", "--format", "pretty"],
        ),
    ));
    assert!(differences.is_empty(), "{}", differences.join("\n\n"));
}
