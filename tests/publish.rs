//! `warren publish` (and its round trip with `consume`) against a real broker.

mod support;

use std::process::Stdio;

use support::{TestDir, TestVhost, shared_node};
use warren::exit::Code;

/// A message with every AMQP property, every header field type (nested, with edge values
/// and a non-UTF-8 long string followed by more keys), and a binary body.
fn every_type_envelope(user: &str) -> serde_json::Value {
    serde_json::json!({
        "exchange": "",
        "routing_key": "rt",
        "properties": {
            "content_type": "application/octet-stream",
            "content_encoding": "identity",
            "headers": {
                "a-latin1": {"$string_base64": "Y2Fm6Q=="},
                "b-after": "still here",
                "bool": true,
                "i8": {"$i8": -128}, "u8": {"$u8": 255},
                "i16": {"$i16": -32768}, "u16": {"$u16": 65535},
                "i32": {"$i32": -2147483648i64}, "u32": {"$u32": 4294967295u64},
                "i64": -9223372036854775807i64,
                "f32": {"$f32": 1.5}, "f64": {"$f64": -2.5e-300},
                "decimal": {"$decimal": {"scale": 2, "value": 12345}},
                "ts": {"$timestamp": 1700000000},
                "bytes": {"$bytes": "AAH+/w=="},
                "void": null,
                "array": [{"$i32": 1}, "two", [], {"nested": {"$u8": 7}}],
                "table": {"x": {"y": [true, false]}},
                "dollar": {"$table": {"$odd": 1}}
            },
            "delivery_mode": 2,
            "priority": 7,
            "correlation_id": "corr-1",
            "reply_to": "replies",
            "expiration": "600000",
            "message_id": "msg-1",
            "timestamp": 1700000001,
            "type": "test.every-type",
            "user_id": user,
            "app_id": "warren-tests",
            "cluster_id": "c-1"
        },
        "body": "AJ+SlgoA",
        "body_encoding": "base64"
    })
}

/// Drop the consume-only fields so envelopes compare with what was published.
fn published_part(mut v: serde_json::Value) -> serde_json::Value {
    let m = v.as_object_mut().expect("object");
    m.remove("redelivered");
    m.remove("queue");
    v
}

#[test]
fn envelope_round_trip_is_bit_exact() {
    let node = shared_node();
    let vhost = TestVhost::new(node, "roundtrip");
    let dir = TestDir::new("roundtrip");
    vhost.queue("rt", r#"{"durable":true}"#);
    let original = vec![
        every_type_envelope(node.admin_user()),
        serde_json::json!({"exchange": "", "routing_key": "rt", "properties": {}, "body": "", "body_encoding": "utf8"}),
        serde_json::json!({"exchange": "", "routing_key": "rt", "properties": {"headers": {}}, "body": "héllo\nwörld", "body_encoding": "utf8"}),
    ];
    let text: String = original.iter().map(|v| format!("{v}\n")).collect();
    let file = dir.write("in.jsonl", &text);
    vhost
        .warren(&dir)
        .arg("publish")
        .arg("--file")
        .arg(&file)
        .succeeds();

    let first = vhost.drain(&dir, "rt");
    assert_eq!(first.len(), 3);
    for (got, want) in first.iter().zip(&original) {
        assert_eq!(got["redelivered"], false);
        assert_eq!(got["queue"], "rt");
        assert_eq!(
            published_part(got.clone()),
            *want,
            "consumed envelope differs"
        );
    }

    // consume > f.jsonl, then publish --file f.jsonl reproduces every message.
    let saved: String = first.iter().map(|v| format!("{v}\n")).collect();
    let saved_file = dir.write("saved.jsonl", &saved);
    vhost
        .warren(&dir)
        .arg("publish")
        .arg("--file")
        .arg(&saved_file)
        .succeeds();
    let second = vhost.drain(&dir, "rt");
    assert_eq!(second, first);
}

#[test]
fn unroutable_messages_give_the_partial_failure_code() {
    let node = shared_node();
    let vhost = TestVhost::new(node, "unroutable");
    let dir = TestDir::new("unroutable");
    vhost.queue("real", r#"{"durable":true}"#);
    // Every even line is unroutable. Many at once, so that the broker's acks interleave
    // with its returns: each return must still be pinned on its own line.
    let lines: String = (1..=200)
        .map(|i| {
            let key = if i % 2 == 0 { "nowhere" } else { "real" };
            format!("{{\"routing_key\":\"{key}\",\"body\":\"{i}\"}}\n")
        })
        .collect();
    let file = dir.write("mixed.jsonl", &lines);
    let run = vhost
        .warren(&dir)
        .args(["publish", "-o", "json", "--file"])
        .arg(&file)
        .fails_with(Code::PartialFailure.as_i32());
    run.says("100 of 200 messages not confirmed");
    let json = run.json();
    assert_eq!(json["published"], 200);
    assert_eq!(json["confirmed"], 100);
    assert_eq!(json["returned"], 100);
    let even: Vec<String> = (1..=100).map(|i| (2 * i).to_string()).collect();
    assert_eq!(json["unconfirmed_lines"], even.join(","));
    assert_eq!(json["not_confirmed"][0]["code"], 312);
    // The queue holds the odd lines, and only them.
    let real = vhost.drain(&dir, "real");
    let mut bodies: Vec<u32> = real
        .iter()
        .filter_map(|m| m["body"].as_str()?.parse().ok())
        .collect();
    bodies.sort();
    assert_eq!(bodies, (0..100).map(|i| 2 * i + 1).collect::<Vec<u32>>());
}

#[test]
fn missing_exchange_is_a_clear_error() {
    let node = shared_node();
    let vhost = TestVhost::new(node, "noexchange");
    let dir = TestDir::new("noexchange");
    vhost
        .warren(&dir)
        .args([
            "publish",
            "-e",
            "no-such-exchange",
            "-k",
            "x",
            "--body",
            "hi",
        ])
        .fails_with(Code::BrokerRefused.as_i32())
        .says("no exchange 'no-such-exchange'");
}

#[test]
fn sources_and_typed_header_flags() {
    let node = shared_node();
    let vhost = TestVhost::new(node, "sources");
    let dir = TestDir::new("sources");
    vhost.queue("q", r#"{"durable":true}"#);
    vhost
        .warren(&dir)
        .args(["publish", "-k", "q", "--lines"])
        .stdin("one\ntwo\n\nfour\n")
        .succeeds();
    vhost
        .warren(&dir)
        .args(["publish", "-k", "q"])
        .stdin(vec![0xffu8, 0, 1])
        .succeeds();
    vhost
        .warren(&dir)
        .args([
            "publish",
            "-k",
            "q",
            "--body",
            "typed",
            "-H",
            "n:i32=5",
            "-H",
            "s=text",
            "--transient",
            "--message-id",
            "m9",
        ])
        .succeeds();
    dir.write("d/a.txt", "from-file");
    dir.write(
        "d/b.envelope.json",
        r#"{"routing_key":"q","body":"from-envelope","properties":{"type":"t"}}"#,
    );
    vhost
        .warren(&dir)
        .args(["publish", "-k", "q", "--dir", "d"])
        .succeeds();
    vhost
        .warren(&dir)
        .args(["publish", "-k", "q", "--count", "3", "--size", "10"])
        .succeeds();

    let got = vhost.drain(&dir, "q");
    let bodies: Vec<&str> = got
        .iter()
        .map(|e| e["body"].as_str().expect("body"))
        .collect();
    assert_eq!(&bodies[..4], ["one", "two", "", "four"]);
    assert_eq!(got[4]["body_encoding"], "base64");
    assert_eq!(got[4]["body"], "/wAB");
    assert_eq!(
        got[5]["properties"]["headers"],
        serde_json::json!({"n": {"$i32": 5}, "s": "text"})
    );
    assert_eq!(got[5]["properties"]["delivery_mode"], 1);
    assert_eq!(got[5]["properties"]["message_id"], "m9");
    assert_eq!(
        got[0]["properties"]["delivery_mode"], 2,
        "persistent by default"
    );
    assert_eq!(got[6]["body"], "from-file");
    assert_eq!(got[7]["body"], "from-envelope");
    assert_eq!(got[7]["properties"]["type"], "t");
    assert_eq!(got[8]["body"].as_str().map(str::len), Some(10));
    assert_eq!(got.len(), 11);
}

#[test]
fn non_finite_floats_are_refused_before_the_broker_sees_them() {
    let node = shared_node();
    let vhost = TestVhost::new(node, "inf");
    let dir = TestDir::new("inf");
    let file = dir.write(
        "inf.jsonl",
        "{\"routing_key\":\"q\",\"properties\":{\"headers\":{\"x\":{\"$f64\":\"NaN\"}}}}\n",
    );
    vhost
        .warren(&dir)
        .arg("publish")
        .arg("--file")
        .arg(&file)
        .fails_with(Code::InvalidInput.as_i32())
        .says("inf.jsonl:1: properties.headers.x: RabbitMQ cannot parse a NaN");
}

#[test]
fn a_bad_envelope_line_stops_before_publishing_anything() {
    let node = shared_node();
    let vhost = TestVhost::new(node, "badline");
    let dir = TestDir::new("badline");
    vhost.queue("q", r#"{"durable":true}"#);
    let file = dir.write(
        "bad.jsonl",
        "{\"routing_key\":\"q\",\"body\":\"1\"}\n{\"routing_key\":\"q\",\"bdy\":\"2\"}\n",
    );
    vhost
        .warren(&dir)
        .arg("publish")
        .arg("--file")
        .arg(&file)
        .fails_with(Code::InvalidInput.as_i32())
        .says("bad.jsonl:2: unknown field `bdy`");
    assert!(vhost.drain(&dir, "q").is_empty());
}

#[test]
fn ctrl_c_reports_exactly_what_was_confirmed() {
    let node = shared_node();
    let vhost = TestVhost::new(node, "ctrlc");
    let dir = TestDir::new("ctrlc");
    vhost.queue("q", r#"{"durable":true}"#);
    let mut cmd = vhost.warren(&dir);
    cmd.args([
        "publish", "-k", "q", "--count", "1000000", "--size", "100", "--rate", "3000", "-o", "json",
    ]);
    let mut child = cmd
        .command()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Interrupt once it is well under way.
    let published = support::wait_for(std::time::Duration::from_secs(60), || {
        let n = vhost.ready("q").unwrap_or(0);
        (n >= 1000, n)
    });
    assert!(published >= 1000, "publishing never got going: {published}");
    // SIGINT, as Ctrl-C sends.
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let _ = child.stdin.take();
    let out = child.wait_with_output().expect("wait");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(
        out.status.code(),
        Some(Code::Interrupted.as_i32()),
        "{summary}"
    );
    assert_eq!(summary["interrupted"], true);
    let confirmed = summary["confirmed"].as_u64().expect("confirmed");
    let published = summary["published"].as_u64().expect("published");
    assert!(confirmed > 0 && published < 1_000_000, "{summary}");
    assert_eq!(
        confirmed + summary["unknown"].as_u64().unwrap_or(0),
        published,
        "{summary}"
    );
    // Nothing reported confirmed that the broker doesn't hold.
    let in_queue = vhost.drain(&dir, "q").len() as u64;
    assert!(
        in_queue >= confirmed && in_queue <= published,
        "queue {in_queue}, {summary}"
    );
}

#[test]
fn explicit_exchange_and_routing_key_flags_override_the_envelopes() {
    let node = shared_node();
    let vhost = TestVhost::new(node, "retarget");
    let dir = TestDir::new("retarget");
    vhost.queue("old", r#"{"durable":true}"#);
    vhost.queue("new", r#"{"durable":true}"#);
    vhost.exchange("ex", "direct");
    vhost.bind("ex", "new", "via-ex");
    let text: String = (0..3)
        .map(|i| {
            format!(
                "{}\n",
                serde_json::json!({"exchange": "", "routing_key": "old", "properties": {"content_type": "text/plain"}, "body": format!("m{i}")})
            )
        })
        .collect();
    let file = dir.write("dump.jsonl", &text);
    // --routing-key alone: the envelopes' exchange stays, their key is replaced.
    vhost
        .warren(&dir)
        .args(["publish", "--routing-key", "new", "--file"])
        .arg(&file)
        .succeeds();
    assert_eq!(vhost.ready("old"), Some(0));
    assert_eq!(vhost.ready("new"), Some(3));
    // Both, through a directory too: the flags win; the properties stay the envelopes'.
    let saved = dir.path.join("saved");
    std::fs::create_dir_all(&saved).expect("dir");
    std::fs::write(
        saved.join("0000000001.envelope.json"),
        serde_json::json!({"exchange": "", "routing_key": "old", "properties": {"content_type": "text/plain"}, "body": "d"}).to_string(),
    )
    .expect("envelope file");
    vhost
        .warren(&dir)
        .args(["publish", "-e", "ex", "-k", "via-ex", "--dir"])
        .arg(&saved)
        .succeeds();
    assert_eq!(vhost.ready("old"), Some(0));
    let got = vhost.drain(&dir, "new");
    assert_eq!(got.len(), 4);
    assert_eq!(got[3]["exchange"], "ex");
    assert_eq!(got[3]["routing_key"], "via-ex");
    assert_eq!(got[3]["properties"]["content_type"], "text/plain");
    // Without the flags, the envelopes' own values are used, as before.
    vhost
        .warren(&dir)
        .args(["publish", "--file"])
        .arg(&file)
        .succeeds();
    assert_eq!(vhost.ready("old"), Some(3));
}

#[test]
fn channels_and_queues_deal_messages_in_turn_and_lose_none() {
    let node = shared_node();
    let vhost = TestVhost::new(node, "channels");
    let dir = TestDir::new("channels");
    for q in ["c1", "c2", "c3"] {
        vhost.queue(q, r#"{"durable":true}"#);
    }
    let lines: String = (0..3000).map(|i| format!("{i}\n")).collect();
    let run = vhost
        .warren(&dir)
        .args([
            "publish",
            "--lines",
            "--queues",
            "c1,c2,c3",
            "--channels",
            "2",
            "--window",
            "100",
            "-o",
            "json",
        ])
        .stdin(lines)
        .succeeds();
    let json = run.json();
    assert_eq!(json["published"], 3000);
    assert_eq!(json["confirmed"], 3000);
    // Read back through the management API, not warren: message i is in queue c(i%3 + 1),
    // each exactly once.
    for (k, q) in ["c1", "c2", "c3"].iter().enumerate() {
        let mut got: Vec<u32> = node
            .take_all(&vhost.name, q)
            .iter()
            .map(|b| b.parse().unwrap_or_else(|e| panic!("body {b:?}: {e}")))
            .collect();
        got.sort_unstable();
        let want: Vec<u32> = (0..3000).filter(|i| i % 3 == k as u32).collect();
        assert_eq!(got, want, "queue {q}");
    }

    // A missing queue among them: its messages come back unroutable and are counted.
    let run = vhost
        .warren(&dir)
        .args([
            "publish",
            "--body",
            "x",
            "--count",
            "10",
            "--queues",
            "c1,nowhere",
            "--channels",
            "3",
            "-o",
            "json",
        ])
        .fails_with(Code::PartialFailure.as_i32());
    let json = run.json();
    assert_eq!(json["confirmed"], 5);
    assert_eq!(json["returned"], 5);
    assert_eq!(vhost.ready("c1"), Some(5));

    // --queues replaces the route: given with one, it is a usage error.
    vhost
        .warren(&dir)
        .args(["publish", "--body", "x", "--queues", "c1", "-k", "c2"])
        .fails_with(Code::Usage.as_i32());
}
