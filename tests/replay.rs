//! `warren replay` against a real broker: messages dead-lettered for every reason go back
//! where they died, intact, exactly once; failures stay or are parked and the exit code says
//! so; filters leave the rest in order; a dry run changes nothing; a killed node loses nothing.

mod support;

use std::collections::HashSet;
use std::process::Child;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Node, TestDir, TestVhost, encode, shared_node};
use warren::exit::Code;

/// Publish envelopes (one JSON object each) with `warren publish --file -`.
fn publish(vhost: &TestVhost, dir: &TestDir, envelopes: &[Value]) {
    let input: String = envelopes.iter().map(|e| format!("{e}\n")).collect();
    vhost
        .warren(dir)
        .args(["publish", "--file", "-"])
        .stdin(input)
        .succeeds();
}

fn ids(envelopes: &[Value]) -> Vec<String> {
    envelopes
        .iter()
        .map(|e| {
            e["properties"]["message_id"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

fn reject_all(vhost: &TestVhost, dir: &TestDir, queue: &str) {
    vhost
        .warren(dir)
        .args(["consume", queue, "--reject", "--idle-timeout", "1"])
        .succeeds();
}

/// Take the first message of `queue` and `basic.reject` it with requeue, `times` times, with
/// a plain client: what counts a delivery on RabbitMQ 4.3.
fn reject_and_requeue(vhost: &TestVhost, queue: &str, times: usize) {
    use lapin::options::{BasicGetOptions, BasicRejectOptions};
    let node = &vhost.node;
    let uri = format!(
        "amqp://{}:{}@localhost:{}/{}",
        encode(node.admin_user()),
        encode(&node.admin_password()),
        node.port("AMQP_PORT"),
        encode(&vhost.name)
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let connection = lapin::Connection::connect(&uri, lapin::ConnectionProperties::default())
            .await
            .expect("connect");
        let channel = connection.create_channel().await.expect("channel");
        for _ in 0..times {
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            let message = loop {
                let got = channel
                    .basic_get(queue.into(), BasicGetOptions::default())
                    .await
                    .expect("basic.get");
                if let Some(m) = got {
                    break m;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "no message in `{queue}`"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            };
            message
                .delivery
                .acker
                .reject(BasicRejectOptions { requeue: true })
                .await
                .expect("reject");
        }
        let _ = connection.close(200, "done".into()).await;
    });
}

/// A vhost with exchange `dlx` (fanout) into `dlq`, and direct exchange `orders`.
fn setup(node: &Node, tag: &str) -> (TestVhost, TestDir) {
    let vhost = TestVhost::new(node, tag);
    let dir = TestDir::new(tag);
    vhost.exchange("dlx", "fanout");
    vhost.exchange("orders", "direct");
    vhost.queue("dlq", r#"{"durable":true}"#);
    vhost.bind("dlx", "dlq", "");
    (vhost, dir)
}

fn dl_queue(vhost: &TestVhost, name: &str, extra: Value) {
    let mut args = json!({"x-dead-letter-exchange": "dlx"});
    args.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    vhost.queue(
        name,
        &json!({"durable": true, "arguments": args}).to_string(),
    );
}

fn policy(vhost: &TestVhost, name: &str, pattern: &str, definition: Value) {
    vhost.node.api_ok(
        "PUT",
        &format!("/api/policies/{}/{name}", encode(&vhost.name)),
        Some(
            &json!({"pattern": pattern, "definition": definition, "apply-to": "queues"})
                .to_string(),
        ),
    );
}

fn unpolicy(vhost: &TestVhost, name: &str) {
    vhost.node.api_ok(
        "DELETE",
        &format!("/api/policies/{}/{name}", encode(&vhost.name)),
        None,
    );
}

fn depth(vhost: &TestVhost, queue: &str) -> Option<u64> {
    vhost.ready(queue)
}

fn count(vhost: &TestVhost, queue: &str, column: &str) -> Option<u64> {
    vhost.count(queue, column)
}

/// Wait until the policy applied to `queue` is `name` (policies apply asynchronously).
fn wait_policy(vhost: &TestVhost, queue: &str, name: Option<&str>) {
    let path = format!("/api/queues/{}/{}", encode(&vhost.name), encode(queue));
    let applied = support::wait_for(Duration::from_secs(30), || {
        let body = vhost.node.api_ok("GET", &path, None);
        let info: Value = serde_json::from_str(&body).expect("queue JSON");
        let now = info["policy"].as_str().map(str::to_string);
        (now.as_deref() == name, now)
    });
    assert_eq!(applied.as_deref(), name, "policy of `{queue}`");
}

/// Wait until `queue` holds `n` messages (dead-lettering is asynchronous).
fn wait_depth(vhost: &TestVhost, queue: &str, n: u64) {
    vhost.wait_ready(queue, n);
}

#[test]
fn every_reason_returns_to_its_queue_intact() {
    let (vhost, dir) = setup(shared_node(), "reasons");
    dl_queue(&vhost, "work", json!({}));
    vhost.bind("orders", "work", "o.new");
    dl_queue(&vhost, "ttl", json!({}));
    dl_queue(&vhost, "slow", json!({}));
    dl_queue(&vhost, "short", json!({}));
    dl_queue(
        &vhost,
        "qq",
        json!({"x-queue-type": "quorum", "x-delivery-limit": 1}),
    );
    // Queue TTL and max-length by policy, so they can be lifted before the replay.
    policy(&vhost, "ttl", "^ttl$", json!({"message-ttl": 1}));
    policy(&vhost, "short", "^short$", json!({"max-length": 1}));
    wait_policy(&vhost, "ttl", Some("ttl"));
    wait_policy(&vhost, "short", Some("short"));

    let props = |id: &str| {
        json!({"message_id": id, "delivery_mode": 2, "content_type": "application/json", "correlation_id": "c-1",
        "headers": {"tenant": "acme", "n": {"$i32": 7}}})
    };
    publish(
        &vhost,
        &dir,
        &[
            json!({"exchange": "orders", "routing_key": "o.new", "properties": props("rejected"), "body": "{\"r\":1}"}),
            json!({"routing_key": "ttl", "properties": props("expired-queue"), "body": "{\"r\":2}"}),
            json!({"routing_key": "slow", "properties": {"message_id": "expired-message", "delivery_mode": 2, "expiration": "1"}, "body": "{\"r\":3}"}),
            json!({"routing_key": "short", "properties": props("maxlen"), "body": "{\"r\":4}"}),
            json!({"routing_key": "short", "properties": props("maxlen-survivor"), "body": "{\"r\":5}"}),
            json!({"routing_key": "qq", "properties": props("delivery-limit"), "body": "{\"r\":6}"}),
        ],
    );
    reject_all(&vhost, &dir, "work");
    // Rejected, expired by the queue TTL, and dropped by max-length are dead-lettered now.
    let dead = support::wait_for(Duration::from_secs(60), || {
        let n = depth(&vhost, "dlq").unwrap_or(0);
        (n >= 3, n)
    });
    assert!(dead >= 3, "only {dead} messages dead-lettered");
    vhost
        .warren(&dir)
        .args(["consume", "slow", "--idle-timeout", "1"])
        .succeeds();
    if vhost.node.version() == "4.3" {
        // 4.3 counts basic.reject only (not warren's nack): two rejects pass the limit of 1.
        reject_and_requeue(&vhost, "qq", 2);
    } else {
        vhost
            .warren(&dir)
            .args(["consume", "qq", "--count", "1", "--requeue"])
            .succeeds();
    }
    assert_eq!(ids(&vhost.drain(&dir, "short")), ["maxlen-survivor"]);
    wait_depth(&vhost, "dlq", 5);
    unpolicy(&vhost, "ttl");
    unpolicy(&vhost, "short");
    wait_policy(&vhost, "ttl", None);
    wait_policy(&vhost, "short", None);

    let run = vhost
        .warren(&dir)
        .args(["replay", "dlq", "--yes", "-o", "json"])
        .succeeds();
    let summary = run.json();
    assert_eq!(summary["replayed"], 5, "{}", run.explain());
    assert_eq!(summary["left_in_dlq"], 0);
    run.says("go to exchange `orders` key `o.new`")
        .says("reaches `work` alone");
    run.says("go to queue `slow` (default exchange)");

    for (queue, id, reason) in [
        ("work", "rejected", "rejected"),
        ("ttl", "expired-queue", "expired"),
        ("slow", "expired-message", "expired"),
        ("short", "maxlen", "maxlen"),
        ("qq", "delivery-limit", "delivery_limit"),
    ] {
        let got = vhost.drain(&dir, queue);
        assert_eq!(ids(&got), [id], "{queue} ({reason})");
        let m = &got[0];
        let h = &m["properties"]["headers"];
        assert_eq!(h["replay-original-queue"], queue);
        assert_eq!(h["replay-count"], 1);
        assert!(h["replay-run-id"].is_string() && h["replayed-at"]["$timestamp"].is_number());
        assert!(
            h.get("x-death").is_none() && h.get("x-first-death-queue").is_none(),
            "{queue}: {m}"
        );
        assert_eq!(m["properties"]["delivery_mode"], 2);
        if id == "expired-message" {
            assert!(
                m["properties"].get("expiration").is_none(),
                "TTL not carried over: {m}"
            );
            assert_eq!(m["body"], "{\"r\":3}");
        } else {
            assert_eq!(m["properties"]["content_type"], "application/json");
            assert_eq!(m["properties"]["correlation_id"], "c-1");
            assert_eq!(h["tenant"], "acme");
            assert_eq!(h["n"], json!({"$i32": 7}), "header types kept");
        }
    }
    assert!(vhost.drain(&dir, "dlq").is_empty());
    vhost.assert_no_channel_errors();
}

#[test]
fn two_hops_cc_and_default_exchange_land_exactly_once() {
    let (vhost, dir) = setup(shared_node(), "hops");
    vhost.exchange("hop", "fanout");
    dl_queue(&vhost, "second", json!({}));
    vhost.bind("hop", "second", "");
    vhost.queue(
        "first",
        r#"{"durable":true,"arguments":{"x-dead-letter-exchange":"hop"}}"#,
    );
    dl_queue(&vhost, "work", json!({}));
    vhost.bind("orders", "work", "o.new");
    vhost.queue("audit", r#"{"durable":true}"#);
    vhost.bind("orders", "audit", "audit");
    publish(
        &vhost,
        &dir,
        &[
            json!({"routing_key": "first", "properties": {"message_id": "two-hops"}, "body": "a"}),
            json!({"exchange": "orders", "routing_key": "o.new", "properties": {"message_id": "cc", "headers": {"CC": ["audit"]}}, "body": "b"}),
        ],
    );
    assert_eq!(ids(&vhost.drain(&dir, "audit")), ["cc"]);
    reject_all(&vhost, &dir, "first");
    wait_depth(&vhost, "second", 1);
    reject_all(&vhost, &dir, "second");
    reject_all(&vhost, &dir, "work");
    wait_depth(&vhost, "dlq", 2);

    vhost
        .warren(&dir)
        .args(["replay", "dlq", "--yes"])
        .succeeds();
    assert_eq!(
        ids(&vhost.drain(&dir, "second")),
        ["two-hops"],
        "back in the most recent queue"
    );
    assert!(vhost.drain(&dir, "first").is_empty());
    let work = vhost.drain(&dir, "work");
    assert_eq!(ids(&work), ["cc"]);
    assert!(work[0]["properties"]["headers"].get("CC").is_none());
    assert!(
        vhost.drain(&dir, "audit").is_empty(),
        "no duplicate into the CC queue"
    );
    vhost.assert_no_channel_errors();
}

#[test]
fn a_deleted_origin_stays_in_the_dlq_or_is_parked_and_the_exit_code_says_so() {
    let (vhost, dir) = setup(shared_node(), "gone");
    dl_queue(&vhost, "gone", json!({}));
    vhost.queue("parked", r#"{"durable":true}"#);
    publish(
        &vhost,
        &dir,
        &[json!({"routing_key": "gone", "properties": {"message_id": "orphan"}, "body": "x"})],
    );
    reject_all(&vhost, &dir, "gone");
    wait_depth(&vhost, "dlq", 1);
    vhost.node.api_ok(
        "DELETE",
        &format!("/api/queues/{}/gone", encode(&vhost.name)),
        None,
    );

    let run = vhost
        .warren(&dir)
        .args(["replay", "dlq", "--yes", "-o", "json"])
        .fails_with(Code::PartialFailure.as_i32());
    let s = run.json();
    assert_eq!(
        (s["replayed"].as_u64(), s["failed"].as_u64()),
        (Some(0), Some(1)),
        "{}",
        run.explain()
    );
    assert!(
        s["failures"][0]["reason"].as_str().unwrap().contains("312"),
        "{}",
        run.explain()
    );
    assert_eq!(s["failures"][0]["message_id"], "orphan");

    let run = vhost
        .warren(&dir)
        .args([
            "replay",
            "dlq",
            "--yes",
            "--on-failure",
            "park:parked",
            "-o",
            "json",
        ])
        .fails_with(Code::PartialFailure.as_i32());
    assert_eq!(run.json()["parked"], 1, "{}", run.explain());
    let parked = vhost.drain(&dir, "parked");
    assert_eq!(ids(&parked), ["orphan"]);
    assert!(
        parked[0]["properties"]["headers"]["replay-park-reason"]
            .as_str()
            .unwrap()
            .contains("NO_ROUTE")
    );
    assert!(vhost.drain(&dir, "dlq").is_empty());
    vhost.assert_no_channel_errors();
}

#[test]
fn filters_take_exactly_the_matching_messages_and_the_rest_stay_in_order() {
    let (vhost, dir) = setup(shared_node(), "filters");
    dl_queue(&vhost, "work", json!({}));
    dl_queue(&vhost, "other", json!({}));
    let envs: Vec<Value> = (1..=10)
        .map(|i| {
            let tenant = if i % 2 == 0 { "acme" } else { "zeta" };
            json!({"routing_key": "work", "properties": {"message_id": format!("m-{i}"), "headers": {"tenant": tenant}},
                "body": format!("{{\"n\":{i}}}")})
        })
        .chain([json!({"routing_key": "other", "properties": {"message_id": "o-1"}, "body": "other"})])
        .collect();
    publish(&vhost, &dir, &envs);
    reject_all(&vhost, &dir, "work");
    reject_all(&vhost, &dir, "other");
    wait_depth(&vhost, "dlq", 11);

    // A dry run counts and changes nothing.
    let run = vhost
        .warren(&dir)
        .args([
            "replay",
            "dlq",
            "--dry-run",
            "--match-header",
            "tenant=acme",
            "-o",
            "json",
        ])
        .succeeds();
    let s = run.json();
    assert_eq!(s["replayed"], 5, "{}", run.explain());
    assert_eq!(s["skipped_by_filter"], 6);
    assert_eq!(s["by_origin"]["work"], 5);
    assert_eq!(s["by_reason"]["rejected"], 5);
    assert_eq!(s["sample"][0]["message_id"], "m-2");
    run.says("redelivered");
    wait_depth(&vhost, "dlq", 11);
    assert!(vhost.drain(&dir, "work").is_empty());

    vhost
        .warren(&dir)
        .args([
            "replay",
            "dlq",
            "--yes",
            "--match-header",
            "tenant=acme",
            "--from-queue",
            "work",
        ])
        .succeeds();
    assert_eq!(
        ids(&vhost.drain(&dir, "work")),
        ["m-2", "m-4", "m-6", "m-8", "m-10"]
    );
    vhost
        .warren(&dir)
        .args([
            "replay",
            "dlq",
            "--yes",
            "--match-body-regex",
            r#""n":[37]\b"#,
        ])
        .succeeds();
    assert_eq!(ids(&vhost.drain(&dir, "work")), ["m-3", "m-7"]);
    vhost
        .warren(&dir)
        .args([
            "replay",
            "dlq",
            "--yes",
            "--match-message-id",
            "o-1",
            "--reason",
            "rejected",
        ])
        .succeeds();
    assert_eq!(ids(&vhost.drain(&dir, "other")), ["o-1"]);
    // Died moments ago: not older than an hour.
    let run = vhost
        .warren(&dir)
        .args(["replay", "dlq", "--yes", "--older-than", "1h", "-o", "json"])
        .succeeds();
    assert_eq!(run.json()["replayed"], 0);
    vhost
        .warren(&dir)
        .args([
            "replay",
            "dlq",
            "--yes",
            "--newer-than",
            "1h",
            "--count",
            "1",
        ])
        .succeeds();
    assert_eq!(ids(&vhost.drain(&dir, "work")), ["m-1"]);
    assert_eq!(
        ids(&vhost.drain(&dir, "dlq")),
        ["m-5", "m-9"],
        "the rest, in their order"
    );
    vhost.assert_no_channel_errors();
}

#[test]
fn without_a_terminal_or_yes_it_refuses() {
    let (vhost, dir) = setup(shared_node(), "refuse");
    vhost
        .warren(&dir)
        .args(["replay", "dlq"])
        .fails_with(Code::Usage.as_i32())
        .says("--yes");
    vhost
        .warren(&dir)
        .args(["replay", "dlq", "--target", "nowhere"])
        .fails_with(2)
        .says("queue:NAME");
    vhost
        .warren(&dir)
        .args(["replay", "dlq", "--older-than", "10 parsecs"])
        .fails_with(2)
        .says("1h30m");
    vhost.queue(
        "qdlq",
        r#"{"durable":true,"arguments":{"x-queue-type":"quorum","x-delivery-limit":5}}"#,
    );
    if vhost.node.version() == "4.3" {
        // A dry run's requeues (basic.nack) don't count a delivery on 4.3.
        vhost
            .warren(&dir)
            .args(["replay", "qdlq", "--dry-run"])
            .succeeds()
            .never_says("delivery limit");
    } else {
        vhost
            .warren(&dir)
            .args(["replay", "qdlq", "--dry-run"])
            .fails_with(Code::Usage.as_i32())
            .says("delivery limit of 5")
            .says("--force");
        vhost
            .warren(&dir)
            .args(["replay", "qdlq", "--dry-run", "--force"])
            .succeeds();
    }
    vhost.assert_no_channel_errors();
}

fn spawn_replay(vhost: &TestVhost, dir: &TestDir, tag: &str) -> (Child, std::path::PathBuf) {
    let out = dir.path.join(format!("{tag}.json"));
    // 800 msg/s, so a run of the 20,000 lasts 25 s and the kill lands mid-run: each check of
    // the depth is a rabbitmqctl call of a second or more under load, and at 2,000 msg/s
    // (which --rate reaches since the pacer) a run once ended between two checks (4.3.6).
    let child = vhost
        .warren(dir)
        .args([
            "replay", "dlq", "--yes", "--window", "100", "--rate", "800", "-o", "json",
        ])
        .spawn_to(&out);
    (child, out)
}

#[test]
fn killing_the_node_twice_loses_nothing() {
    let node = Node::start("replay-fault", &[]);
    let vhost = TestVhost::new(&node, "fault");
    let dir = TestDir::new("fault");
    vhost.exchange("dlx", "fanout");
    // A quorum DLQ: its acks are raft commands, written before the node can lose them. A
    // classic queue buffers ack records in the node and loses the recent ones on SIGKILL, so
    // those messages come back too (measured: ~1,100 duplicates over two kills at ~500
    // msg/s), more than any client-side window can bound.
    vhost.queue(
        "dlq",
        r#"{"durable":true,"arguments":{"x-queue-type":"quorum"}}"#,
    );
    vhost.bind("dlx", "dlq", "");
    dl_queue(&vhost, "work", json!({}));
    const N: usize = 20_000;
    let envs: Vec<Value> = (0..N)
        .map(|i| json!({"routing_key": "work", "properties": {"message_id": format!("id-{i}"), "delivery_mode": 2}, "body": format!("body-{i}")}))
        .collect();
    publish(&vhost, &dir, &envs);
    reject_all(&vhost, &dir, "work");
    wait_depth(&vhost, "dlq", N as u64);

    let mut kills = 0;
    for round in 0..2 {
        let before = depth(&vhost, "work").unwrap_or(0);
        let (mut child, out) = spawn_replay(&vhost, &dir, &format!("run-{round}"));
        // Kill the node once this run has moved a good number of messages, mid-run.
        let started = Instant::now();
        while depth(&vhost, "work").unwrap_or(0) < before + 1_000 {
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "the replay made no progress"
            );
            assert!(
                child.try_wait().expect("try_wait").is_none(),
                "replay ended before the kill"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        assert!(
            child.try_wait().expect("try_wait").is_none(),
            "replay finished before the kill"
        );
        node.script("kill");
        kills += 1;
        // A process that loses its broker ends within seconds, never hangs.
        let status = support::wait_exit(&mut child, Duration::from_secs(15));
        assert_eq!(
            status.code(),
            Some(Code::PartialFailure.as_i32()),
            "a killed run reports a partial failure"
        );
        let summary: Value = serde_json::from_str(&std::fs::read_to_string(&out).expect("summary"))
            .expect("summary json");
        assert_eq!(summary["stopped_by"], "connection_lost", "{summary}");
        assert!(
            summary["unknown"].is_u64() && summary["error"].is_string(),
            "{summary}"
        );
        eprintln!(
            "round {round}: replayed {} unknown {}",
            summary["replayed"], summary["unknown"]
        );
        node.script("restart");
    }
    // The rerun finishes the job, once the restarted node has returned the messages the
    // killed run had been sent (a quorum queue does so when it sees the old consumer gone).
    let started = Instant::now();
    while count(&vhost, "dlq", "messages_unacknowledged") != Some(0) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "messages stay unacked"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    vhost
        .warren(&dir)
        .args(["replay", "dlq", "--yes", "--window", "100"])
        .succeeds();
    let at_target = ids(&vhost.drain(&dir, "work"));
    let left = ids(&vhost.drain(&dir, "dlq"));
    let found: Vec<&String> = at_target.iter().chain(left.iter()).collect();
    let duplicates = support::assert_none_lost(N, &found);
    eprintln!(
        "{} at the target, {} left in the DLQ, {duplicates} duplicates",
        at_target.len(),
        left.len()
    );
    assert!(
        duplicates <= 100 * kills,
        "{duplicates} duplicates with window 100 and {kills} kills"
    );
    let unique: HashSet<&String> = at_target.iter().collect();
    assert_eq!(unique.len(), N, "everything replayed by the end");
    vhost.assert_no_channel_errors();
}

#[test]
fn export_is_written_and_repeat_offenders_are_parked() {
    let (vhost, dir) = setup(shared_node(), "export");
    dl_queue(&vhost, "work", json!({}));
    vhost.queue("parked", r#"{"durable":true}"#);
    publish(
        &vhost,
        &dir,
        &[
            json!({"routing_key": "work", "properties": {"message_id": "a"}, "body": "1"}),
            json!({"routing_key": "work", "properties": {"message_id": "b"}, "body": "2"}),
        ],
    );
    reject_all(&vhost, &dir, "work");
    wait_depth(&vhost, "dlq", 2);
    vhost
        .warren(&dir)
        .args(["replay", "dlq", "--yes", "--export", "out.jsonl"])
        .succeeds();
    let exported: Vec<Value> = std::fs::read_to_string(dir.path.join("out.jsonl"))
        .expect("export file")
        .lines()
        .map(|l| serde_json::from_str(l).expect("envelope"))
        .collect();
    assert_eq!(ids(&exported), ["a", "b"]);
    assert_eq!(exported[0]["routing_key"], "work");
    assert_eq!(exported[0]["properties"]["headers"]["replay-count"], 1);

    // They fail again: the second replay parks them.
    wait_depth(&vhost, "work", 2);
    reject_all(&vhost, &dir, "work");
    wait_depth(&vhost, "dlq", 2);
    let run = vhost
        .warren(&dir)
        .args([
            "replay",
            "dlq",
            "--yes",
            "--max-replays",
            "1",
            "--on-failure",
            "park:parked",
            "-o",
            "json",
        ])
        .fails_with(Code::PartialFailure.as_i32());
    assert_eq!(run.json()["parked"], 2, "{}", run.explain());
    assert_eq!(ids(&vhost.drain(&dir, "parked")), ["a", "b"]);
    assert!(vhost.drain(&dir, "work").is_empty());
    vhost.assert_no_channel_errors();
}

#[test]
fn targets_redirects_and_abort() {
    let (vhost, dir) = setup(shared_node(), "targets");
    dl_queue(&vhost, "work", json!({}));
    vhost.queue("retry", r#"{"durable":true}"#);
    vhost.queue("v2", r#"{"durable":true}"#);
    vhost.queue("routed", r#"{"durable":true}"#);
    vhost.bind("orders", "routed", "to-routed");
    let messages: Vec<Value> = (1..=6)
        .map(|i| json!({"routing_key": "work", "properties": {"message_id": format!("t-{i}")}, "body": "x"}))
        .collect();
    publish(&vhost, &dir, &messages);
    reject_all(&vhost, &dir, "work");
    wait_depth(&vhost, "dlq", 6);

    // --target queue:NAME sends to that queue through the default exchange.
    vhost
        .warren(&dir)
        .args([
            "replay",
            "dlq",
            "--yes",
            "--count",
            "2",
            "--target",
            "queue:retry",
        ])
        .succeeds();
    assert_eq!(ids(&vhost.drain(&dir, "retry")), ["t-1", "t-2"]);

    // --target exchange:NAME:KEY routes through that exchange with that key.
    vhost
        .warren(&dir)
        .args([
            "replay",
            "dlq",
            "--yes",
            "--count",
            "1",
            "--target",
            "exchange:orders:to-routed",
        ])
        .succeeds();
    assert_eq!(ids(&vhost.drain(&dir, "routed")), ["t-3"]);

    // --redirect OLD=NEW sends what died in `work` to `v2`.
    vhost
        .warren(&dir)
        .args([
            "replay",
            "dlq",
            "--yes",
            "--count",
            "1",
            "--redirect",
            "work=v2",
        ])
        .succeeds();
    assert_eq!(ids(&vhost.drain(&dir, "v2")), ["t-4"]);

    // --on-failure abort stops the run at a failure; what was in flight fails too, and every
    // message stays in the DLQ.
    vhost.node.api_ok(
        "DELETE",
        &format!("/api/queues/{}/work", encode(&vhost.name)),
        None,
    );
    let run = vhost
        .warren(&dir)
        .args([
            "replay",
            "dlq",
            "--yes",
            "--on-failure",
            "abort",
            "-o",
            "json",
        ])
        .fails_with(Code::PartialFailure.as_i32());
    let summary = run.json();
    assert_eq!(summary["stopped_by"], "aborted", "{summary}");
    assert_eq!(summary["replayed"], 0, "{summary}");
    // The failed message and the one after it (failed too if it was already in flight,
    // else never examined) both stay.
    assert_eq!(summary["left_in_dlq"], 2, "{summary}");
    assert_eq!(
        ids(&vhost.drain(&dir, "dlq")),
        ["t-5", "t-6"],
        "{}",
        run.explain()
    );
    vhost.assert_no_channel_errors();
}
