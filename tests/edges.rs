//! No loss at the edges (issue 27): destructive commands count what they would lose at the
//! moment of acting, export files stay whole, and a run that fails midway ends in its summary.
//! Every count comes from rabbitmqctl or the management API, never from warren.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use support::{TestDir, TestVhost, encode, shared_node, wait_for};

/// The management API's message count of `queue` (`None`: no statistics yet, or no queue).
fn api_messages(vhost: &TestVhost, queue: &str) -> Option<u64> {
    let (_, body) = vhost.node.api(
        "GET",
        &format!("/api/queues/{}/{}", encode(&vhost.name), encode(queue)),
        None,
    );
    serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|q| q["messages"].as_u64())
}

fn vhost_exists(vhost: &TestVhost) -> bool {
    vhost
        .node
        .api("GET", &format!("/api/vhosts/{}", encode(&vhost.name)), None)
        .0
        == 200
}

/// Publish `count` persistent messages with ids `{prefix}-0`.. through the management API
/// (each answered only once routed), each `size` bytes.
fn put(vhost: &TestVhost, queue: &str, prefix: &str, count: usize, size: usize) {
    for i in 0..count {
        let payload = format!("{prefix}-{i}:{}", "x".repeat(size));
        let body = serde_json::json!({
            "properties": {"delivery_mode": 2, "message_id": format!("{prefix}-{i}")},
            "routing_key": queue, "payload": payload, "payload_encoding": "string"
        });
        let answer = vhost.node.api_ok(
            "POST",
            &format!("/api/exchanges/{}/amq.default/publish", encode(&vhost.name)),
            Some(&body.to_string()),
        );
        assert!(answer.contains("\"routed\":true"), "not routed: {answer}");
    }
}

/// The lines of a JSON Lines file, each parsed as an envelope's message id; panics on a line
/// that is not a whole envelope.
fn ids_in(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "{} does not end with a newline: {:?}",
        path.display(),
        &text[text.len().saturating_sub(80)..]
    );
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| {
                panic!(
                    "{} line {}: not an envelope ({e}): {l:.80}",
                    path.display(),
                    i + 1
                )
            });
            v["properties"]["message_id"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

/// A tmpfs of `kib` KiB mounted at `dir/name` for one test, unmounted on drop: a disk that
/// fills up.
struct SmallDisk {
    path: PathBuf,
}

impl SmallDisk {
    fn new(dir: &TestDir, name: &str, kib: u64) -> SmallDisk {
        let path = dir.path.join(name);
        std::fs::create_dir_all(&path).expect("mount point");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(&path)
            .output()
            .expect("running mount");
        assert!(
            out.status.success(),
            "mount tmpfs: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        SmallDisk { path }
    }

    fn grow(&self, kib: u64) {
        let out = Command::new("mount")
            .args(["-o", &format!("remount,size={kib}k")])
            .arg(&self.path)
            .output()
            .expect("running mount");
        assert!(
            out.status.success(),
            "remount: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).output();
    }
}

/// A queue that just received messages, while the management API still shows it empty,
/// refuses `delete vhost`: counted by each queue itself. Twenty rounds, each with its
/// publish less than a second before the delete.
#[test]
fn delete_vhost_counts_each_queue_at_the_moment_of_acting() {
    let node = shared_node();
    let dir = TestDir::new("edge-del-vhost");
    let rounds: Vec<TestVhost> = (0..20)
        .map(|_| {
            let v = TestVhost::new(node, "edge-dv");
            v.queue("calm", r#"{"durable":true}"#);
            v.queue("busy", r#"{"durable":true}"#);
            v
        })
        .collect();
    // Each queue sits empty until the API has statistics for it saying so.
    for v in &rounds {
        let seen = wait_for(Duration::from_secs(30), || {
            let got = api_messages(v, "busy");
            (got == Some(0), got)
        });
        assert_eq!(seen, Some(0), "no statistics for {}", v.name);
    }
    let mut lagging = 0;
    for v in &rounds {
        put(v, "busy", "m", 10, 10);
        let started = std::time::Instant::now();
        let run = v
            .warren(&dir)
            .args(["delete", "vhost", &v.name, "--yes"])
            .fails_with(2);
        let spent = started.elapsed();
        run.says("10 message")
            .says("`busy`")
            .says("--allow-message-loss");
        run.never_says("`calm`");
        assert!(vhost_exists(v), "vhost {} was deleted", v.name);
        assert_eq!(v.ready("busy"), Some(10), "busy in {}", v.name);
        if api_messages(v, "busy") == Some(0) {
            lagging += 1;
        }
        assert!(spent < Duration::from_secs(10), "took {spent:?}");
    }
    // The race this test is about was there: the API still said 0 in some rounds.
    println!("rounds where the API still showed 0 after the refusal: {lagging} of 20");
}

/// Without AMQP, a queue's count can't be read from the queue: unknown, so refused.
#[test]
fn delete_queue_without_amqp_is_refused_as_unknown() {
    let vhost = TestVhost::new(shared_node(), "edge-del-noamqp");
    let dir = TestDir::new("edge-del-noamqp");
    vhost.queue("fresh", r#"{"durable":true}"#);
    // It sits empty until the API says so; then 10 arrive, which the API shows late.
    let seen = wait_for(Duration::from_secs(30), || {
        let got = api_messages(&vhost, "fresh");
        (got == Some(0), got)
    });
    assert_eq!(seen, Some(0));
    put(&vhost, "fresh", "m", 10, 10);
    let uri = format!(
        "amqp://{}@127.0.0.1:1/{}",
        vhost.node.admin_user(),
        encode(&vhost.name)
    );
    let run = dir
        .warren()
        .args(["--uri", &uri, "--api-url", &vhost.node.api_url()])
        .arg("--password-file")
        .arg(vhost.node.admin_password_file())
        .args(["delete", "queue", "fresh", "--yes"])
        .fails_with(2);
    run.says("unknown").says("--allow-message-loss");
    run.never_says("messages 0");
    assert_eq!(vhost.ready("fresh"), Some(10));
}

/// A queue exclusive to another connection can't be counted by warren's: unknown, refused.
#[test]
fn an_exclusive_queue_of_another_connection_is_unknown_and_refused() {
    let vhost = TestVhost::new(shared_node(), "edge-del-excl");
    let dir = TestDir::new("edge-del-excl");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let uri = format!(
        "amqp://{}:{}@127.0.0.1:{}/{}",
        vhost.node.admin_user(),
        encode(&vhost.node.admin_password()),
        vhost.node.port("AMQP_PORT"),
        encode(&vhost.name)
    );
    let _held = runtime.block_on(async {
        let c = lapin::Connection::connect(&uri, lapin::ConnectionProperties::default())
            .await
            .expect("connect");
        let ch = c.create_channel().await.expect("channel");
        ch.queue_declare(
            "mine".into(),
            lapin::options::QueueDeclareOptions {
                exclusive: true,
                ..Default::default()
            },
            Default::default(),
        )
        .await
        .expect("declare");
        (c, ch)
    });
    put(&vhost, "mine", "m", 3, 10);
    let run = vhost
        .warren(&dir)
        .args(["delete", "queue", "mine", "--yes"])
        .fails_with(2);
    run.says("unknown").says("exclusive");
    assert_eq!(vhost.ready("mine"), Some(3));
}

/// purge without --export loses what it removes: like delete, it needs --allow-message-loss,
/// and says the count the queue itself gave.
#[test]
fn purge_without_export_needs_allow_message_loss() {
    let vhost = TestVhost::new(shared_node(), "edge-purge-loss");
    let dir = TestDir::new("edge-purge-loss");
    vhost.queue("work", r#"{"durable":true}"#);
    put(&vhost, "work", "m", 7, 10);
    let run = vhost
        .warren(&dir)
        .args(["purge", "work", "--yes"])
        .fails_with(2);
    run.says("7 message").says("--allow-message-loss");
    assert_eq!(vhost.ready("work"), Some(7));
    vhost
        .warren(&dir)
        .args(["purge", "work", "--yes", "--allow-message-loss"])
        .succeeds()
        .says("removed 7 message");
    assert_eq!(vhost.ready("work"), Some(0));
    // An empty queue loses nothing: no flag needed.
    vhost
        .warren(&dir)
        .args(["purge", "work", "--yes"])
        .succeeds();
}

/// An export file whose last record was cut short by an earlier failure: the partial record
/// is moved aside, never built upon, and the file stays whole.
#[test]
fn an_export_after_a_partial_last_record_moves_it_aside() {
    let vhost = TestVhost::new(shared_node(), "edge-partial");
    let dir = TestDir::new("edge-partial");
    vhost.queue("dlq", r#"{"durable":true}"#);
    put(&vhost, "dlq", "old", 2, 10);
    let file = dir.path.join("dlq.jsonl");
    vhost
        .warren(&dir)
        .args(["purge", "dlq", "--yes", "--export"])
        .arg(&file)
        .succeeds();
    let mut text = std::fs::read_to_string(&file).expect("export");
    text.push_str(r#"{"properties":{"message_id":"cut"},"bo"#);
    std::fs::write(&file, &text).expect("cut the file");
    put(&vhost, "dlq", "new", 10, 10);
    let run = vhost
        .warren(&dir)
        .args(["purge", "dlq", "--yes", "--export"])
        .arg(&file)
        .succeeds();
    run.says("partial-1");
    let ids = ids_in(&file);
    assert_eq!(ids.len(), 12, "{ids:?}");
    assert_eq!(ids[2], "new-0");
    let aside = PathBuf::from(format!("{}.partial-1", file.display()));
    assert_eq!(
        std::fs::read_to_string(&aside).expect("the partial record, aside"),
        r#"{"properties":{"message_id":"cut"},"bo"#
    );
    assert_eq!(vhost.ready("dlq"), Some(0));
    // publish --file, the way back, takes the file whole.
    vhost
        .warren(&dir)
        .args(["publish", "-k", "dlq", "--file"])
        .arg(&file)
        .succeeds();
    assert_eq!(vhost.ready("dlq"), Some(12));
}

/// A record that is not an envelope in the middle of an export file: warren refuses to append
/// to it (exit 4, naming the line) and removes nothing.
#[test]
fn an_export_file_that_is_not_envelopes_is_refused_before_anything_is_removed() {
    let vhost = TestVhost::new(shared_node(), "edge-badexport");
    let dir = TestDir::new("edge-badexport");
    vhost.queue("dlq", r#"{"durable":true}"#);
    put(&vhost, "dlq", "m", 4, 10);
    let file = dir.write("notes.jsonl", "{\"body\":\"a\"}\nnot json at all\n");
    let run = vhost
        .warren(&dir)
        .args(["purge", "dlq", "--yes", "--export"])
        .arg(&file)
        .fails_with(4);
    run.says("notes.jsonl").says("line 2");
    assert_eq!(vhost.ready("dlq"), Some(4));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "{\"body\":\"a\"}\nnot json at all\n"
    );
}

/// `purge --export` onto a disk that fills up: it stops with its summary and exit 5, the file
/// holds exactly the removed messages as whole records, and once there is room a second export
/// to the same file completes it.
#[test]
fn purge_export_on_a_full_disk_leaves_a_whole_file_and_says_what_was_done() {
    let vhost = TestVhost::new(shared_node(), "edge-full");
    let dir = TestDir::new("edge-full");
    vhost.queue("dlq", r#"{"durable":true}"#);
    // About 350 bytes a record, committed some hundreds at a time: a few commits fit.
    put(&vhost, "dlq", "m", 1200, 200);
    let disk = SmallDisk::new(&dir, "disk", 400);
    let file = disk.path.join("dlq.jsonl");
    let run = vhost
        .warren(&dir)
        .args(["purge", "dlq", "--yes", "--export"])
        .arg(&file)
        .fails_with(5);
    run.says("No space left on device")
        .says("still in the queue");
    let first = ids_in(&file);
    let left = vhost.ready("dlq").expect("queue");
    assert!(
        !first.is_empty() && left > 0,
        "{} exported, {left} left",
        first.len()
    );
    assert_eq!(
        first.len() as u64 + left,
        1200,
        "{} exported, {left} left",
        first.len()
    );
    run.says(&format!("removed {}", first.len()))
        .says(&format!("{left} still in the queue"));

    disk.grow(4096);
    vhost
        .warren(&dir)
        .args(["purge", "dlq", "--yes", "--export"])
        .arg(&file)
        .succeeds();
    let mut all = ids_in(&file);
    assert_eq!(all.len(), 1200);
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 1200, "every message once");
    assert_eq!(vhost.ready("dlq"), Some(0));
}

/// `consume --output-dir` onto a disk that fills up leaves no empty or partial envelope file:
/// `publish --dir` takes the directory back whole.
#[test]
fn consume_to_a_full_directory_leaves_only_whole_envelopes() {
    let vhost = TestVhost::new(shared_node(), "edge-fulldir");
    let dir = TestDir::new("edge-fulldir");
    vhost.queue("q", r#"{"durable":true}"#);
    put(&vhost, "q", "m", 100, 3000);
    let disk = SmallDisk::new(&dir, "disk", 256);
    let out = disk.path.join("msgs");
    let run = vhost
        .warren(&dir)
        .args(["consume", "q", "--idle-timeout", "2", "--output-dir"])
        .arg(&out)
        .fails_with(5);
    run.says("No space left on device");
    let files: Vec<PathBuf> = std::fs::read_dir(&out)
        .expect("output dir")
        .map(|e| e.expect("entry").path())
        .collect();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("file");
        serde_json::from_str::<Value>(&text)
            .unwrap_or_else(|e| panic!("{} is not a whole envelope ({e})", f.display()));
    }
    let left = vhost.ready("q").expect("queue");
    assert!(
        !files.is_empty() && left > 0,
        "{} files, {left} left",
        files.len()
    );
    assert_eq!(
        files.len() as u64 + left,
        100,
        "{} files, {left} left",
        files.len()
    );
    vhost
        .warren(&dir)
        .args(["publish", "-k", "q", "--dir"])
        .arg(&out)
        .succeeds();
    assert_eq!(vhost.ready("q"), Some(100));
}

/// `replay --export` onto a disk that fills up: exit 5 and a summary that says how many
/// copies reached the target while their originals stay in the DLQ; the file holds exactly
/// the replayed ones, whole. Counted through rabbitmqctl.
#[test]
fn replay_export_on_a_full_disk_says_what_is_in_both_places() {
    let vhost = TestVhost::new(shared_node(), "edge-replay-full");
    let dir = TestDir::new("edge-replay-full");
    vhost.queue("dlq", r#"{"durable":true}"#);
    vhost.queue("target", r#"{"durable":true}"#);
    put(&vhost, "dlq", "m", 1200, 200);
    let disk = SmallDisk::new(&dir, "disk", 400);
    let file = disk.path.join("replayed.jsonl");
    let run = vhost
        .warren(&dir)
        .args([
            "replay",
            "dlq",
            "--target",
            "queue:target",
            "--yes",
            "-o",
            "json",
        ])
        .arg("--export")
        .arg(&file)
        .fails_with(5);
    run.says("No space left on device");
    let summary = run.json();
    let exported = ids_in(&file).len() as u64;
    let at_target = vhost.ready("target").expect("target");
    let in_dlq = vhost.ready("dlq").expect("dlq");
    // How much is exported before the disk fills depends on how the confirms batch: when the
    // first batch to settle is larger than the disk, nothing is (its lines are rolled back
    // and no original is acked). Either way the counts must say where every message is.
    assert_eq!(summary["replayed"], exported, "{summary}");
    assert_eq!(summary["in_both"], at_target - exported, "{summary}");
    assert_eq!(summary["left_in_dlq"], in_dlq, "{summary}");
    assert_eq!(summary["stopped_by"], "export_failed", "{summary}");
    assert_eq!(
        exported + in_dlq,
        1200,
        "every message acked is in the file"
    );
    assert!(at_target >= exported, "{at_target} at the target");
}

/// Send SIGINT, as Ctrl-C does.
fn interrupt(child: &std::process::Child) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

/// consume, peek and tap stop on Ctrl-C with exit 130, having acked only what they wrote
/// (consume), put everything back (peek), or removed nothing (tap).
#[test]
fn consume_peek_and_tap_exit_130_on_ctrl_c() {
    let vhost = TestVhost::new(shared_node(), "edge-sigint");
    let dir = TestDir::new("edge-sigint");
    vhost.queue("q", r#"{"durable":true}"#);
    vhost.exchange("events", "fanout");
    put(&vhost, "q", "m", 50, 10);

    // peek: waits for a 100th message that never comes; all 50 go back.
    let out = dir.path.join("peek.out");
    let mut child = vhost
        .warren(&dir)
        .args(["peek", "q", "--count", "100", "--idle-timeout", "60"])
        .spawn_to(&out);
    let seen = wait_for(Duration::from_secs(30), || {
        let n = vhost.count("q", "messages_unacknowledged").unwrap_or(0);
        (n == 50, n)
    });
    assert_eq!(seen, 50, "peek never held the messages");
    interrupt(&child);
    let status = support::wait_exit(&mut child, Duration::from_secs(15));
    assert_eq!(status.code(), Some(130), "peek");
    assert_eq!(vhost.ready("q"), Some(50));

    // consume: writes and acks all 50, then waits; interrupted, the file holds all 50.
    let out = dir.path.join("consume.out");
    let mut child = vhost.warren(&dir).args(["consume", "q"]).spawn_to(&out);
    let lines = wait_for(Duration::from_secs(30), || {
        let n = support::complete_lines(&out);
        (n >= 50, n)
    });
    assert_eq!(lines, 50);
    interrupt(&child);
    let status = support::wait_exit(&mut child, Duration::from_secs(15));
    assert_eq!(status.code(), Some(130), "consume");
    assert_eq!(support::complete_lines(&out), 50);
    assert_eq!(vhost.ready("q"), Some(0));
    assert_eq!(vhost.count("q", "messages_unacknowledged"), Some(0));

    // tap: bound, nothing arrives; interrupted.
    let out = dir.path.join("tap.out");
    let mut child = vhost.warren(&dir).args(["tap", "events"]).spawn_to(&out);
    let bound = wait_for(Duration::from_secs(30), || {
        let b = vhost.tap_bound("events");
        (b, b)
    });
    assert!(bound, "tap never bound");
    interrupt(&child);
    let status = support::wait_exit(&mut child, Duration::from_secs(15));
    assert_eq!(status.code(), Some(130), "tap");
}
