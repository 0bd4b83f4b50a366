//! `warren move` against real nodes: verbatim copies, filters that keep the rest in order,
//! refusals, and 20,000 messages moved between vhosts and between nodes while warren or the
//! destination node is SIGKILLed. Every count comes from the management API or rabbitmqctl,
//! never from warren.

mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Node, TestDir, TestVhost, encode, shared_node};
use warren::exit::Code;

/// The node the kill tests kill: theirs alone, and one test at a time.
static FAULT_NODE: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn fault_node() -> Node {
    Node::start("move-fault", &[])
}

/// Publish through the management API (not warren): `properties` as the API takes them.
fn api_publish(vhost: &TestVhost, queue: &str, properties: Value, payload: &str, encoding: &str) {
    let answer = vhost.node.api_ok(
        "POST",
        &format!("/api/exchanges/{}/amq.default/publish", encode(&vhost.name)),
        Some(
            &json!({
                "properties": properties, "routing_key": queue,
                "payload": payload, "payload_encoding": encoding
            })
            .to_string(),
        ),
    );
    assert!(answer.contains("\"routed\":true"), "not routed: {answer}");
}

/// Every message of `queue` through the management API: (properties, payload, encoding).
/// `keep` puts them back (in order); otherwise they are removed.
fn api_get(vhost: &TestVhost, queue: &str, keep: bool) -> Vec<(Value, String, String)> {
    let answer = vhost.node.api_ok(
        "POST",
        &format!("/api/queues/{}/{}/get", encode(&vhost.name), encode(queue)),
        Some(
            &json!({
                "count": 10_000,
                "ackmode": if keep { "ack_requeue_true" } else { "ack_requeue_false" },
                "encoding": "auto"
            })
            .to_string(),
        ),
    );
    let got: Vec<Value> = serde_json::from_str(&answer).expect("messages");
    got.into_iter()
        .map(|m| {
            (
                m["properties"].clone(),
                m["payload"].as_str().unwrap_or_default().to_string(),
                m["payload_encoding"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

#[test]
fn a_moved_message_keeps_its_properties_headers_and_body_exactly() {
    let node = shared_node();
    let from = TestVhost::new(node, "move-from");
    let to = TestVhost::new(node, "move-to");
    let dir = TestDir::new("move-exact");
    from.queue("src", r#"{"durable":true}"#);
    to.queue("dst", r#"{"durable":true}"#);
    let admin = node.admin_user();
    let rich = json!({
        "delivery_mode": 2, "priority": 3, "content_type": "application/json",
        "content_encoding": "utf-8", "correlation_id": "c-1", "reply_to": "replies",
        "expiration": "3600000", "message_id": "m-1", "timestamp": 1_700_000_000,
        "type": "order.created", "user_id": admin, "app_id": "shop",
        "headers": {
            "tenant": "acme", "attempt": 3, "ok": true, "ratio": 0.5,
            "tags": ["a", "b", 7], "nested": {"k": "v", "n": -1}
        }
    });
    api_publish(&from, "src", rich, r#"{"sku":"A-1"}"#, "string");
    api_publish(
        &from,
        "src",
        json!({"delivery_mode": 1, "message_id": "m-2"}),
        "/wD+AAEC",
        "base64",
    );
    api_publish(&from, "src", json!({}), "", "string");
    from.wait_ready("src", 3);
    let before = api_get(&from, "src", true);
    assert_eq!(before.len(), 3);
    from.wait_ready("src", 3);

    let run = from
        .warren(&dir)
        .args([
            "move",
            "src",
            "queue:dst",
            "--to-vhost",
            &to.name,
            "--yes",
            "-o",
            "json",
        ])
        .succeeds();
    let report = run.json();
    assert_eq!(report["moved"], 3, "{report}");
    assert_eq!(report["left_in_source"], 0, "{report}");
    assert_eq!(report["destination_vhost"], to.name.as_str(), "{report}");
    to.wait_ready("dst", 3);
    assert_eq!(from.ready("src"), Some(0));
    let after = api_get(&to, "dst", true);
    assert_eq!(after, before, "what arrived differs from what left");

    // Back again, marked: the headers name the source; everything else is unchanged.
    to.warren(&dir)
        .args([
            "move",
            "dst",
            "queue:src",
            "--to-vhost",
            &from.name,
            "--moved-from",
            "--yes",
        ])
        .succeeds();
    from.wait_ready("src", 3);
    let marked = api_get(&from, "src", false);
    for ((p, body, enc), (orig, obody, oenc)) in marked.iter().zip(&before) {
        assert_eq!((body, enc), (obody, oenc));
        assert_eq!(p["headers"]["moved-from"], "dst", "{p}");
        assert_eq!(p["headers"]["moved-from-vhost"], to.name.as_str(), "{p}");
        let mut p = p.clone();
        let headers = p["headers"].as_object_mut().expect("headers");
        headers.remove("moved-from");
        headers.remove("moved-from-vhost");
        if headers.is_empty() && orig.get("headers").is_none() {
            p.as_object_mut().expect("properties").remove("headers");
        }
        // The API shows no properties at all as `[]`.
        let orig = match orig {
            Value::Array(a) if a.is_empty() => json!({}),
            o => o.clone(),
        };
        assert_eq!(p, orig);
    }
    from.assert_no_channel_errors();
    to.assert_no_channel_errors();
}

/// The picked bodies `b-{i}` of `0..total` are in `dst` and the rest in `src`, each in
/// their order (read through the management API).
fn assert_split(vhost: &TestVhost, total: usize, picked: impl Fn(usize) -> bool, what: &str) {
    let bodies = |keep: bool| -> Vec<String> {
        (0..total)
            .filter(|i| picked(*i) == keep)
            .map(|i| format!("b-{i}"))
            .collect()
    };
    for (queue, want) in [("dst", bodies(true)), ("src", bodies(false))] {
        vhost.wait_ready(queue, want.len() as u64);
        let got = vhost.node.take_all(&vhost.name, queue);
        if let Some(i) = (0..got.len().max(want.len())).find(|i| got.get(*i) != want.get(*i)) {
            let around =
                |v: &[String]| v[i.saturating_sub(3).min(v.len())..(i + 5).min(v.len())].to_vec();
            panic!(
                "{what}: `{queue}` holds {} of {}, in another order or other ones: first difference at {i}: {:?} where {:?} was expected",
                got.len(),
                want.len(),
                around(&got),
                around(&want)
            );
        }
    }
}

#[test]
fn a_cc_header_is_not_applied_again() {
    let vhost = TestVhost::new(shared_node(), "move-cc");
    let dir = TestDir::new("move-cc");
    for q in ["src", "dst", "audit"] {
        vhost.queue(q, r#"{"durable":true}"#);
    }
    api_publish(
        &vhost,
        "src",
        json!({"headers": {"CC": ["audit"]}}),
        "once",
        "string",
    );
    vhost.wait_ready("audit", 1);
    vhost.wait_ready("src", 1);
    vhost
        .warren(&dir)
        .args(["move", "src", "queue:dst", "--yes"])
        .succeeds();
    vhost.wait_ready("dst", 1);
    assert_eq!(
        vhost.ready("audit"),
        Some(1),
        "the copy went to `audit` again"
    );
    let copy = api_get(&vhost, "dst", false);
    assert!(copy[0].0["headers"].get("CC").is_none(), "{:?}", copy[0]);
}

#[test]
fn filters_move_only_the_matching_and_the_rest_stay_in_order() {
    let vhost = TestVhost::new(shared_node(), "move-filter");
    let dir = TestDir::new("move-filter");
    vhost.queue("src", r#"{"durable":true}"#);
    vhost.queue("dst", r#"{"durable":true}"#);
    for i in 0..100 {
        let headers = if i % 10 == 3 {
            json!({"pick": "yes"})
        } else {
            json!({"pick": "no"})
        };
        api_publish(
            &vhost,
            "src",
            json!({"message_id": format!("id-{i}"), "headers": headers}),
            &format!("b-{i}"),
            "string",
        );
    }
    vhost.wait_ready("src", 100);

    // A dry run says what would move and changes nothing.
    let dry = vhost
        .warren(&dir)
        .args([
            "move",
            "src",
            "queue:dst",
            "--match-header",
            "pick=yes",
            "--dry-run",
            "-o",
            "json",
        ])
        .succeeds()
        .json();
    assert_eq!(dry["moved"], 10, "{dry}");
    assert_eq!(dry["skipped_by_filter"], 90, "{dry}");
    vhost.wait_ready("src", 100);
    assert_eq!(vhost.ready("dst"), Some(0));

    let run = vhost
        .warren(&dir)
        .args([
            "move",
            "src",
            "queue:dst",
            "--match-header",
            "pick=yes",
            "--yes",
            "-o",
            "json",
        ])
        .succeeds()
        .json();
    assert_eq!(run["moved"], 10, "{run}");
    assert_eq!(run["skipped_by_filter"], 90, "{run}");
    assert_split(&vhost, 100, |i| i % 10 == 3, "--header pick=yes");
}

#[test]
fn a_filtered_move_looks_past_more_left_out_messages_than_the_prefetch() {
    for kind in ["classic", "quorum"] {
        deep_filtered_move(kind);
    }
}

/// --window 10 gives a prefetch of 30; 2,994 messages are left out before the last match.
fn deep_filtered_move(kind: &str) {
    let vhost = TestVhost::new(shared_node(), "move-deep");
    let dir = TestDir::new("move-deep");
    vhost.queue(
        "src",
        &json!({"durable": true, "arguments": {"x-queue-type": kind}}).to_string(),
    );
    vhost.queue("dst", r#"{"durable":true}"#);
    let input: String = (0..3_000)
        .map(|i| {
            let pick = if i % 500 == 499 { "yes" } else { "no" };
            format!(
                "{}\n",
                json!({"routing_key": "src", "properties": {"headers": {"pick": pick}}, "body": format!("b-{i}")})
            )
        })
        .collect();
    vhost
        .warren(&dir)
        .args(["publish", "--file", "-"])
        .stdin(input)
        .succeeds();
    vhost.wait_ready("src", 3_000);
    let run = vhost
        .warren(&dir)
        .args([
            "move",
            "src",
            "queue:dst",
            "--match-header",
            "pick=yes",
            "--window",
            "10",
        ])
        .args(["--yes", "-o", "json"])
        .succeeds()
        .json();
    assert_eq!(run["moved"], 6, "{run}");
    assert_eq!(run["stopped_by"], "depth", "{run}");
    assert_split(&vhost, 3_000, |i| i % 500 == 499, kind);
    vhost.assert_no_channel_errors();
}

#[test]
fn to_an_exchange_each_message_keeps_its_routing_key_unless_one_is_given() {
    let vhost = TestVhost::new(shared_node(), "move-exchange");
    let dir = TestDir::new("move-exchange");
    vhost.queue("src", r#"{"durable":true}"#);
    vhost.exchange("events", "topic");
    for q in ["eu", "us", "all"] {
        vhost.queue(q, r#"{"durable":true}"#);
    }
    vhost.bind("events", "eu", "eu.*");
    vhost.bind("events", "us", "us.*");
    vhost.bind("events", "all", "#");
    // Published to the default exchange with routing key `src`: moved through `events`
    // with their own key they reach `all` only.
    for i in 0..4 {
        api_publish(&vhost, "src", json!({}), &format!("x-{i}"), "string");
    }
    vhost.wait_ready("src", 4);
    let run = vhost
        .warren(&dir)
        .args([
            "move",
            "src",
            "exchange:events:eu.new",
            "--limit",
            "3",
            "--yes",
        ])
        .succeeds();
    // The old spelling still works for one release, and says so on stderr.
    let warning = "warren: warning: --limit is deprecated and will be removed in the next \
                   release: use --count (or -n)";
    assert_eq!(
        run.stderr().lines().next(),
        Some(warning),
        "{}",
        run.explain()
    );
    vhost.wait_ready("eu", 3);
    vhost.wait_ready("all", 3);
    assert_eq!(vhost.ready("us"), Some(0));
    assert_eq!(vhost.ready("src"), Some(1), "--limit 3 leaves one");
    vhost
        .warren(&dir)
        .args(["move", "src", "exchange:events", "--yes"])
        .succeeds();
    vhost.wait_ready("all", 4);
    assert_eq!(vhost.ready("eu"), Some(3));
    assert_eq!(vhost.ready("src"), Some(0));
}

#[test]
fn a_source_fed_during_the_move_stops_at_its_starting_depth() {
    // `loop` fans each copy out to `dst` and back into `src`: the move feeds its own source.
    let vhost = TestVhost::new(shared_node(), "move-fed");
    let dir = TestDir::new("move-fed");
    vhost.queue("src", r#"{"durable":true}"#);
    vhost.queue("dst", r#"{"durable":true}"#);
    vhost.exchange("loop", "fanout");
    vhost.bind("loop", "src", "");
    vhost.bind("loop", "dst", "");
    for i in 0..200 {
        api_publish(&vhost, "src", json!({}), &format!("b-{i}"), "string");
    }
    vhost.wait_ready("src", 200);
    let run = vhost
        .warren(&dir)
        .args([
            "move",
            "src",
            "exchange:loop",
            "--window",
            "20",
            "--yes",
            "-o",
            "json",
        ])
        .within(Duration::from_secs(60))
        .succeeds()
        .json();
    assert_eq!(run["moved"], 200, "{run}");
    assert_eq!(run["stopped_by"], "depth", "{run}");
    vhost.wait_ready("dst", 200);
    vhost.wait_ready("src", 200);
    let want: Vec<String> = (0..200).map(|i| format!("b-{i}")).collect();
    assert_eq!(
        vhost.node.take_all(&vhost.name, "src"),
        want,
        "the copies, once"
    );
}

#[test]
fn unsafe_or_impossible_moves_are_refused_and_change_nothing() {
    let vhost = TestVhost::new(shared_node(), "move-refuse");
    let dir = TestDir::new("move-refuse");
    vhost.queue("src", r#"{"durable":true}"#);
    api_publish(&vhost, "src", json!({}), "keep-me", "string");
    vhost.wait_ready("src", 1);
    vhost
        .warren(&dir)
        .args(["move", "src", "queue:src", "--yes"])
        .fails_with(Code::Usage.as_i32())
        .says("both the source and the destination");
    vhost
        .warren(&dir)
        .args(["move", "src", "queue:nowhere", "--yes"])
        .fails_with(Code::BrokerRefused.as_i32())
        .says("nowhere");
    vhost
        .warren(&dir)
        .args([
            "move",
            "src",
            "queue:dst",
            "--to-vhost",
            "no-such-vhost",
            "--yes",
        ])
        .fails_with(Code::VhostUnavailable.as_i32());
    vhost.queue("dst", r#"{"durable":true}"#);
    // No --yes and no terminal.
    vhost
        .warren(&dir)
        .args(["move", "src", "queue:dst"])
        .fails_with(Code::Usage.as_i32())
        .says("--yes");
    vhost
        .warren(&dir)
        .args(["move", "src", "original", "--yes"])
        .fails_with(Code::Usage.as_i32());
    vhost
        .warren(&dir)
        .args(["move", "src", "queue:dst", "--to-user", "someone", "--yes"])
        .fails_with(Code::Usage.as_i32());
    vhost.queue(
        "events",
        r#"{"durable":true,"arguments":{"x-queue-type":"stream"}}"#,
    );
    vhost
        .warren(&dir)
        .args(["move", "events", "queue:dst", "--yes"])
        .fails_with(Code::Usage.as_i32())
        .says("is a stream");
    // Another broker takes only its own --to-* flags: WARREN_PASSWORD is the source's.
    let node = &vhost.node;
    vhost
        .warren(&dir)
        .env("WARREN_PASSWORD", node.admin_password().trim())
        .args(["move", "src", "queue:dst", "--yes", "--to-uri"])
        .arg(node.amqp_uri(node.admin_user(), &vhost.name))
        .fails_with(Code::AuthRefused.as_i32())
        .says("the destination")
        .says("no password");
    assert_eq!(vhost.ready("src"), Some(1));
    assert_eq!(vhost.ready("dst"), Some(0));
}

const N: usize = 20_000;
const WINDOW: usize = 500;

/// `N` persistent messages whose bodies are their ids, published with warren (setup only:
/// the depth is checked with rabbitmqctl).
fn fill(vhost: &TestVhost, dir: &TestDir, queue: &str) {
    let input: String = (0..N)
        .map(|i| {
            format!(
                "{}\n",
                json!({"routing_key": queue, "properties": {"message_id": format!("id-{i}"), "delivery_mode": 2}, "body": format!("id-{i}")})
            )
        })
        .collect();
    vhost
        .warren(dir)
        .args(["publish", "--file", "-"])
        .stdin(input)
        .succeeds();
    vhost.wait_ready(queue, N as u64);
}

/// Run `move` (args after `move`) in the background until `dst` holds `at_least` messages,
/// then `interrupt` (kill warren or the node); returns warren's exit code.
fn interrupted_move(
    from: &TestVhost,
    to: &TestVhost,
    dir: &TestDir,
    args: &[String],
    at_least: u64,
    tag: &str,
    interrupt: impl FnOnce(&mut std::process::Child),
) -> Option<i32> {
    let out = dir.path.join(format!("{tag}.json"));
    let mut child = from.warren(dir).arg("move").args(args).spawn_to(&out);
    let started = Instant::now();
    while to.ready("dst").unwrap_or(0) < at_least {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "{tag}: the move made no progress"
        );
        assert!(
            child.try_wait().expect("try_wait").is_none(),
            "{tag}: the move ended before the interruption"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    interrupt(&mut child);
    let status = support::wait_exit(&mut child, Duration::from_secs(30));
    eprintln!(
        "{tag}: exit {:?}, {}",
        status.code(),
        std::fs::read_to_string(&out).unwrap_or_default().trim()
    );
    status.code()
}

/// Every id is at the destination or still in the source (read through the management
/// API); returns the number of duplicates.
fn account(from: &TestVhost, to: &TestVhost) -> usize {
    for (v, q) in [(from, "src"), (to, "dst")] {
        support::wait_for(Duration::from_secs(60), || {
            (v.count(q, "messages_unacknowledged") == Some(0), ())
        });
    }
    let at_dst = to.node.take_all(&to.name, "dst");
    let in_src = from.node.take_all(&from.name, "src");
    let found: Vec<&String> = at_dst.iter().chain(&in_src).collect();
    let duplicates = support::assert_none_lost(N, &found);
    assert!(in_src.is_empty(), "{} left in the source", in_src.len());
    eprintln!(
        "{} at the destination, {duplicates} duplicates",
        at_dst.len()
    );
    duplicates
}

/// Kill warren mid-move, then the destination's node mid-move (restart it), then rerun to
/// the end: nothing lost, duplicates within the window per interruption.
fn move_through_two_kills(from: &TestVhost, to: &TestVhost, dir: &TestDir, args: &[String]) {
    fill(from, dir, "src");
    let code = interrupted_move(from, to, dir, args, 2_000, "warren-killed", |child| {
        child.kill().expect("SIGKILL warren");
    });
    assert_eq!(code, None, "warren was killed by the signal");

    let code = interrupted_move(from, to, dir, args, 8_000, "node-killed", |_| {
        to.node.script("kill")
    });
    assert_eq!(
        code,
        Some(Code::PartialFailure.as_i32()),
        "losing the destination is a partial failure"
    );
    to.node.script("restart");
    // The source's broker may not yet have seen the killed run's consumer go.
    support::wait_for(Duration::from_secs(60), || {
        (from.count("src", "messages_unacknowledged") == Some(0), ())
    });
    // The rest at full speed.
    let mut plain = args.to_vec();
    if let Some(i) = plain.iter().position(|a| a == "--rate") {
        plain.drain(i..i + 2);
    }
    let last = from
        .warren(dir)
        .arg("move")
        .args(&plain)
        .args(["-o", "json"])
        .succeeds();
    let report = last.json();
    assert_eq!(report["unknown"], 0, "{report}");
    let duplicates = account(from, to);
    assert!(
        duplicates <= 2 * WINDOW,
        "{duplicates} duplicates after two interruptions with --window {WINDOW}"
    );
}

fn common(dst_flags: Vec<String>) -> Vec<String> {
    let mut args: Vec<String> = vec!["src".into(), "queue:dst".into()];
    args.extend(dst_flags);
    args.extend(
        // A rate, so that both interruptions land mid-move: 20,000 take 25 s.
        ["--window", &WINDOW.to_string(), "--rate", "800", "--yes"]
            .iter()
            .map(|s| s.to_string()),
    );
    args
}

#[test]
fn twenty_thousand_between_vhosts_survive_killing_warren_and_the_node() {
    let _one = FAULT_NODE.lock().unwrap_or_else(|e| e.into_inner());
    let node = fault_node();
    let from = TestVhost::new(&node, "move-vh-from");
    let to = TestVhost::new(&node, "move-vh-to");
    let dir = TestDir::new("move-vhosts");
    // The node holding the source dies too: a quorum source's acks are raft commands,
    // written before the node can lose them (a classic queue loses its latest acks, and
    // those messages would come back as more duplicates than any window).
    from.queue(
        "src",
        r#"{"durable":true,"arguments":{"x-queue-type":"quorum"}}"#,
    );
    to.queue("dst", r#"{"durable":true}"#);
    let args = common(vec!["--to-vhost".into(), to.name.clone()]);
    move_through_two_kills(&from, &to, &dir, &args);
}

#[test]
fn twenty_thousand_between_nodes_survive_killing_warren_and_the_destination() {
    let _one = FAULT_NODE.lock().unwrap_or_else(|e| e.into_inner());
    let target = fault_node();
    let from = TestVhost::new(shared_node(), "move-n-from");
    let to = TestVhost::new(&target, "move-n-to");
    let dir = TestDir::new("move-nodes");
    from.queue("src", r#"{"durable":true}"#);
    to.queue("dst", r#"{"durable":true}"#);
    let args = common(vec![
        "--to-uri".into(),
        target.amqp_uri(target.admin_user(), &to.name),
        "--to-api-url".into(),
        target.api_url(),
        "--to-password-file".into(),
        target.admin_password_file().display().to_string(),
    ]);
    move_through_two_kills(&from, &to, &dir, &args);
}
