//! `warren purge` against a real node, counted with rabbitmqctl and the management API (not
//! warren): the count it reports, the refusal without --yes, and --export keeping every
//! message on disk even when warren is SIGKILLed mid-purge.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use support::{TestDir, TestVhost, jsonl_bodies, shared_node, wait_for};
use warren::exit::Code;

/// `count` messages `prefix-N` into `queue`, through `warren publish` (the seeding is not
/// what is tested; rabbitmqctl counts them).
fn fill(vhost: &TestVhost, dir: &TestDir, queue: &str, prefix: &str, count: usize) {
    let lines: String = (0..count).map(|i| format!("{prefix}-{i:06}\n")).collect();
    vhost
        .warren(dir)
        .args(["publish", "-k", queue, "--lines"])
        .stdin(lines)
        .succeeds();
    vhost.wait_ready(queue, count as u64);
}

#[test]
fn purge_reports_what_it_removed_and_needs_yes() {
    let vhost = TestVhost::new(shared_node(), "purge");
    let dir = TestDir::new("purge");
    vhost.queue("work", r#"{"durable":true}"#);
    fill(&vhost, &dir, "work", "w", 250);

    // No --yes and no terminal: refused, nothing removed.
    let run = vhost
        .warren(&dir)
        .args(["purge", "work", "--allow-message-loss"])
        .fails_with(Code::Usage.as_i32());
    run.says("pass --yes");
    assert_eq!(vhost.ready("work"), Some(250));

    let report = vhost
        .warren(&dir)
        .args([
            "purge",
            "work",
            "--yes",
            "--allow-message-loss",
            "-o",
            "json",
        ])
        .succeeds()
        .json();
    assert_eq!(report["removed"], 250, "{report}");
    assert_eq!(vhost.ready("work"), Some(0));

    // A quorum queue too; a missing one is the broker refusing (exit 10).
    vhost.queue(
        "replicated",
        r#"{"durable":true,"arguments":{"x-queue-type":"quorum"}}"#,
    );
    fill(&vhost, &dir, "replicated", "r", 40);
    vhost
        .warren(&dir)
        .args(["purge", "replicated", "--yes", "--allow-message-loss"])
        .succeeds()
        .says("removed 40 message(s)");
    // A quorum queue's counters catch up with its log a moment later.
    let left = wait_for(Duration::from_secs(10), || {
        let n = vhost.ready("replicated");
        (n == Some(0), n)
    });
    assert_eq!(left, Some(0));
    vhost
        .warren(&dir)
        .args(["purge", "nope", "--yes"])
        .fails_with(Code::BrokerRefused.as_i32())
        .says("queue `nope` not found");
}

#[test]
fn a_dry_run_says_what_it_would_remove_and_removes_nothing() {
    let vhost = TestVhost::new(shared_node(), "purge-dry");
    let dir = TestDir::new("purge-dry");
    vhost.queue("dry", r#"{"durable":true}"#);
    fill(&vhost, &dir, "dry", "d", 30);

    // No --yes, no terminal, no --allow-message-loss: a dry run needs none of them.
    let run = vhost
        .warren(&dir)
        .args(["purge", "dry", "--dry-run"])
        .succeeds();
    assert_eq!(
        run.stdout(),
        format!(
            "dry run: would remove 30 message(s) from `dry` (vhost `{}`); nothing changed\n",
            vhost.name
        )
    );
    assert_eq!(run.stderr(), "");
    let report = vhost
        .warren(&dir)
        .args([
            "purge",
            "dry",
            "--dry-run",
            "--match-header",
            "k=v",
            "-o",
            "json",
        ])
        .succeeds()
        .json();
    assert_eq!(report["dry_run"], true, "{report}");
    assert_eq!(report["ready"], 30, "{report}");
    assert_eq!(report["filtered"], true, "{report}");
    assert_eq!(vhost.ready("dry"), Some(30));
}

#[test]
fn purge_export_writes_every_message_before_removing_it() {
    let vhost = TestVhost::new(shared_node(), "purge-export");
    let dir = TestDir::new("purge-export");
    vhost.queue("dlq", r#"{"durable":true}"#);
    fill(&vhost, &dir, "dlq", "d", 300);
    let file = dir.path.join("dlq.jsonl");
    std::fs::write(&file, "").expect("an existing file");
    let report = vhost
        .warren(&dir)
        .args(["purge", "dlq", "--export"])
        .arg(&file)
        .args(["--yes", "-o", "json"])
        .succeeds()
        .json();
    assert_eq!(report["removed"], 300, "{report}");
    assert_eq!(vhost.ready("dlq"), Some(0));
    let bodies = jsonl_bodies(&file);
    let expected: Vec<String> = (0..300).map(|i| format!("d-{i:06}")).collect();
    assert_eq!(bodies, expected, "the file holds every message, in order");
    // A second export appends; it never truncates.
    fill(&vhost, &dir, "dlq", "e", 5);
    vhost
        .warren(&dir)
        .args(["purge", "dlq", "--export"])
        .arg(&file)
        .arg("--yes")
        .succeeds();
    assert_eq!(jsonl_bodies(&file).len(), 305);
}

#[test]
fn a_purge_export_killed_midway_loses_nothing() {
    const MESSAGES: usize = 20_000;
    let vhost = TestVhost::new(shared_node(), "purge-kill");
    let dir = TestDir::new("purge-kill");
    vhost.queue("big", r#"{"durable":true}"#);
    fill(&vhost, &dir, "big", "k", MESSAGES);
    let file = dir.path.join("big.jsonl");
    let out = dir.path.join("purge.out");
    let mut child = vhost
        .warren(&dir)
        .args(["purge", "big", "--export"])
        .arg(&file)
        .arg("--yes")
        .spawn_to(&out);
    wait_for(Duration::from_secs(60), || {
        (support::complete_lines(&file) >= MESSAGES / 4, ())
    });
    assert!(
        child.try_wait().expect("try_wait").is_none(),
        "purge ended before the kill"
    );
    child.kill().expect("SIGKILL");
    let _ = child.wait();

    // Independent: what stays in the queue, read through the management API.
    wait_for(Duration::from_secs(30), || {
        (vhost.count("big", "messages_unacknowledged") == Some(0), ())
    });
    let in_queue = vhost.node.take_all(&vhost.name, "big");
    let written = jsonl_bodies(&file);
    let everywhere: BTreeSet<&String> = written.iter().chain(in_queue.iter()).collect();
    let lost: Vec<String> = (0..MESSAGES)
        .map(|i| format!("k-{i:06}"))
        .filter(|b| !everywhere.contains(b))
        .collect();
    assert!(
        lost.is_empty(),
        "{} messages neither in the file nor in the queue",
        lost.len()
    );
    let in_both = written.len() + in_queue.len() - everywhere.len();
    eprintln!(
        "purge --export killed: {} in the file, {} left in the queue, {in_both} in both, 0 lost",
        written.len(),
        in_queue.len()
    );
    assert!(
        in_both <= 1000,
        "{in_both} messages in both: more than the prefetch"
    );
}
