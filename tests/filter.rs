//! Filters on `consume`, `peek` and `purge --match-...`: on a queue of 1,000 messages, 10 of
//! which match, the 10 are taken or removed and the other 990 stay in their original order,
//! read afterwards through the management API (not warren).

mod support;

use serde_json::{Value, json};
use support::{TestDir, TestVhost, jsonl_bodies, shared_node};
use warren::exit::Code;

/// Message `i` is poison when `i % 100 == 7`: ten of a thousand.
fn poison(i: usize) -> bool {
    i % 100 == 7
}

fn fill(vhost: &TestVhost, dir: &TestDir, queue: &str) {
    vhost.queue(queue, r#"{"durable":true}"#);
    let text: String = (0..1000)
        .map(|i| {
            let mut env = json!({
                "routing_key": queue,
                "properties": {"message_id": format!("m-{i:04}"), "delivery_mode": 2},
                "body": json!({"n": i, "status": if poison(i) { "failed" } else { "ok" }}).to_string(),
            });
            if poison(i) {
                env["properties"]["headers"] = json!({"poison": "true"});
            }
            format!("{env}\n")
        })
        .collect();
    let file = dir.write(&format!("{queue}.jsonl"), &text);
    vhost
        .warren(dir)
        .args(["publish", "--file"])
        .arg(&file)
        .succeeds();
    vhost.wait_ready(queue, 1000);
}

/// The `n` of each body, in order.
fn numbers(bodies: &[String]) -> Vec<usize> {
    bodies
        .iter()
        .map(|b| {
            let v: Value = serde_json::from_str(b).unwrap_or_else(|e| panic!("{e}: {b}"));
            v["n"].as_u64().unwrap_or(u64::MAX) as usize
        })
        .collect()
}

fn the_rest() -> Vec<usize> {
    (0..1000).filter(|i| !poison(*i)).collect()
}

#[test]
fn consume_takes_the_matching_and_leaves_the_rest_in_order() {
    let vhost = TestVhost::new(shared_node(), "filter-consume");
    let dir = TestDir::new("filter-consume");
    fill(&vhost, &dir, "work");
    let run = vhost
        .warren(&dir)
        .args([
            "consume",
            "work",
            "--header",
            "poison=true",
            "--idle-timeout",
            "2",
        ])
        .succeeds();
    let taken: Vec<usize> = numbers(
        &run.stdout()
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).expect("envelope")["body"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect::<Vec<_>>(),
    );
    assert_eq!(taken, (0..1000).filter(|i| poison(*i)).collect::<Vec<_>>());
    let left = vhost.node.take_all(&vhost.name, "work");
    assert_eq!(numbers(&left), the_rest(), "the other 990, in their order");
    // --header is the old spelling of --match-header: it still works, with a warning first.
    assert_eq!(
        run.stderr().lines().next(),
        Some(
            "warren: warning: --header is deprecated and will be removed in the next release: use --match-header"
        ),
        "{}",
        run.stderr()
    );
}

#[test]
fn peek_shows_the_matching_and_moves_nothing() {
    let vhost = TestVhost::new(shared_node(), "filter-peek");
    let dir = TestDir::new("filter-peek");
    fill(&vhost, &dir, "work");
    let run = vhost
        .warren(&dir)
        .args([
            "peek",
            "work",
            "--match-jsonpath",
            "$.status=failed",
            "-n",
            "10",
            "--format",
            "jsonl",
        ])
        .succeeds();
    assert_eq!(run.stdout().lines().count(), 10, "{}", run.explain());
    let left = vhost.node.take_all(&vhost.name, "work");
    assert_eq!(
        numbers(&left),
        (0..1000).collect::<Vec<_>>(),
        "all 1000, in their order"
    );
}

#[test]
fn selective_purge_removes_only_the_matching() {
    let vhost = TestVhost::new(shared_node(), "filter-purge");
    let dir = TestDir::new("filter-purge");
    fill(&vhost, &dir, "work");
    let file = dir.path.join("removed.jsonl");
    let report = vhost
        .warren(&dir)
        .args([
            "purge",
            "work",
            "--match-body-regex",
            "\"status\":\"failed\"",
            "--export",
        ])
        .arg(&file)
        .args(["--yes", "-o", "json"])
        .succeeds()
        .json();
    assert_eq!(report["removed"], 10, "{report}");
    assert_eq!(report["kept"], 990, "{report}");
    assert_eq!(numbers(&jsonl_bodies(&file)).len(), 10);
    let left = vhost.node.take_all(&vhost.name, "work");
    assert_eq!(numbers(&left), the_rest(), "the other 990, in their order");

    // Without --export, by message id; nothing kept elsewhere.
    fill(&vhost, &dir, "ids");
    let report = vhost
        .warren(&dir)
        .args([
            "purge",
            "ids",
            "--match-message-id",
            "m-0001",
            "--match-message-id",
            "m-0002",
            "--yes",
            "--allow-message-loss",
            "-o",
            "json",
        ])
        .succeeds()
        .json();
    assert_eq!(report["removed"], 2, "{report}");
    let left = numbers(&vhost.node.take_all(&vhost.name, "ids"));
    assert_eq!(left.len(), 998);
    assert_eq!(&left[..3], &[0, 3, 4]);

    // A filter can't skip without acks.
    vhost
        .warren(&dir)
        .args([
            "consume",
            "ids",
            "--no-ack",
            "--match-header",
            "a=b",
            "--idle-timeout",
            "1",
        ])
        .fails_with(Code::Usage.as_i32());
}

#[test]
fn tap_watches_several_exchanges_with_header_bindings_and_filters() {
    let vhost = TestVhost::new(shared_node(), "filter-tap");
    let dir = TestDir::new("filter-tap");
    vhost.exchange("orders", "topic");
    vhost.exchange("tenants", "headers");
    let out = dir.path.join("tap.jsonl");
    let mut child = vhost
        .warren(&dir)
        .args([
            "tap",
            "orders",
            "tenants",
            "--bind-header",
            "tenant=acme",
            "--x-match",
            "any",
            "--match-jsonpath",
            "$.keep=yes",
            "-n",
            "3",
            "--idle-timeout",
            "20",
        ])
        .spawn_to(&out);
    let bound = support::wait_for(std::time::Duration::from_secs(20), || {
        let both = vhost.tap_bound("orders") && vhost.tap_bound("tenants");
        (both, both)
    });
    assert!(bound, "the tap queue is bound to both exchanges");
    let lines = [
        json!({"exchange": "orders", "routing_key": "order.new", "body": "{\"keep\":\"yes\",\"n\":1}"}),
        json!({"exchange": "orders", "routing_key": "order.new", "body": "{\"keep\":\"no\",\"n\":2}"}),
        json!({"exchange": "tenants", "routing_key": "", "properties": {"headers": {"tenant": "acme"}}, "body": "{\"keep\":\"yes\",\"n\":3}"}),
        json!({"exchange": "tenants", "routing_key": "", "properties": {"headers": {"tenant": "other"}}, "body": "{\"keep\":\"yes\",\"n\":4}"}),
        json!({"exchange": "orders", "routing_key": "x", "body": "{\"keep\":\"yes\",\"n\":5}"}),
    ];
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let file = dir.write("in.jsonl", &text);
    // The headers binding drops tenant=other (no route for it: mandatory returns it, exit 5).
    vhost
        .warren(&dir)
        .args(["publish", "--file"])
        .arg(&file)
        .output();
    let status = support::wait_exit(&mut child, std::time::Duration::from_secs(60));
    assert!(
        status.success(),
        "{}",
        std::fs::read_to_string(dir.path.join("tap.jsonl.stderr")).unwrap_or_default()
    );
    let seen = numbers(&jsonl_bodies(&out));
    assert_eq!(
        seen,
        [1, 3, 5],
        "both exchanges, the headers binding, and the filter"
    );
}
