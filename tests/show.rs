//! `warren show` against a real node, checked against the management API's own answers
//! (curl): the policy that applies when several match, the effective definition with an
//! operator policy, bindings both ways, consumers, and the refusals.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::{TestDir, TestVhost, encode, shared_node, wait_for};
use warren::exit::Code;

fn policy(vhost: &TestVhost, kind: &str, name: &str, body: &str) {
    vhost.node.api_ok(
        "PUT",
        &format!("/api/{kind}/{}/{}", encode(&vhost.name), encode(name)),
        Some(body),
    );
}

/// The broker's own view of a queue, once its statistics (counts and policy) are in.
fn api_queue(vhost: &TestVhost, queue: &str) -> Value {
    wait_for(Duration::from_secs(30), || {
        let (_, body) = vhost.node.api(
            "GET",
            &format!("/api/queues/{}/{}", encode(&vhost.name), encode(queue)),
            None,
        );
        let q: Value = serde_json::from_str(&body).unwrap_or_default();
        let settled = q["policy"].as_str().is_some_and(|p| !p.is_empty()) && q["messages"].is_u64();
        (settled, q)
    })
}

#[test]
fn the_policy_of_the_highest_priority_applies_and_the_operator_policy_caps_it() {
    let vhost = TestVhost::new(shared_node(), "show-policy");
    let dir = TestDir::new("show-policy");
    vhost.queue("orders.new", r#"{"durable":true}"#);
    vhost.queue("billing", r#"{"durable":true}"#);
    policy(
        &vhost,
        "policies",
        "broad",
        r#"{"pattern":"^orders","definition":{"max-length":1000,"dead-letter-exchange":"dlx"},"priority":1,"apply-to":"queues"}"#,
    );
    policy(
        &vhost,
        "policies",
        "narrow",
        r#"{"pattern":"^orders\\.new$","definition":{"max-length":500,"message-ttl":60000},"priority":7,"apply-to":"all"}"#,
    );
    policy(
        &vhost,
        "policies",
        "exchanges-only",
        r#"{"pattern":".*","definition":{"alternate-exchange":"ae"},"priority":9,"apply-to":"exchanges"}"#,
    );
    policy(
        &vhost,
        "operator-policies",
        "cap",
        r#"{"pattern":".*","definition":{"max-length":200,"message-ttl":90000},"priority":0,"apply-to":"queues"}"#,
    );
    let api = api_queue(&vhost, "orders.new");

    let shown = vhost
        .warren(&dir)
        .args(["show", "queue", "orders.new", "-o", "json"])
        .succeeds()
        .json();
    let p = &shown["policy"];
    assert_eq!(p["applied"], "narrow", "{shown:#}");
    assert_eq!(p["applied"], api["policy"], "the broker agrees: {api:#}");
    assert_eq!(p["operator_policy"], "cap");
    assert_eq!(p["operator_policy"], api["operator_policy"]);
    assert_eq!(
        p["matching"],
        serde_json::json!(["narrow (priority 7)", "broad (priority 1)"])
    );
    // The operator policy's lower max-length wins; the policy's lower TTL stays.
    assert_eq!(p["effective_definition"]["max-length"], 200, "{p:#}");
    assert_eq!(p["effective_definition"]["message-ttl"], 60000, "{p:#}");
    assert_eq!(
        p["effective_definition"],
        api["effective_policy_definition"]
    );
    assert_eq!(shown["notes"], serde_json::json!([]), "{shown:#}");
    assert_eq!(shown["queue"]["name"], "orders.new");
    let human = vhost
        .warren(&dir)
        .args(["show", "queue", "orders.new"])
        .succeeds();
    human.says("narrow").says("(default exchange)");

    // Two policies of the same priority: flagged.
    policy(
        &vhost,
        "policies",
        "rival",
        r#"{"pattern":"^orders\\.","definition":{"expires":3600000},"priority":7,"apply-to":"queues"}"#,
    );
    let shown = vhost
        .warren(&dir)
        .args(["show", "queue", "orders.new", "-o", "json"])
        .succeeds()
        .json();
    assert!(
        shown["notes"].to_string().contains("same priority 7"),
        "{shown:#}"
    );
}

#[test]
fn an_exchange_shows_bindings_both_ways_and_its_alternate() {
    let vhost = TestVhost::new(shared_node(), "show-exchange");
    let dir = TestDir::new("show-exchange");
    vhost.node.api_ok(
        "PUT",
        &format!("/api/exchanges/{}/events", encode(&vhost.name)),
        Some(r#"{"type":"topic","durable":true,"arguments":{"alternate-exchange":"unrouted"}}"#),
    );
    vhost.exchange("upstream", "fanout");
    vhost.queue("audit", r#"{"durable":true}"#);
    vhost.bind("events", "audit", "order.#");
    vhost.node.api_ok(
        "POST",
        &format!("/api/bindings/{}/e/upstream/e/events", encode(&vhost.name)),
        Some(r#"{"routing_key":""}"#),
    );
    let shown = vhost
        .warren(&dir)
        .args(["show", "exchange", "events", "-o", "json"])
        .succeeds()
        .json();
    assert_eq!(shown["exchange"]["type"], "topic");
    assert_eq!(shown["alternate_exchange"]["name"], "unrouted");
    let out = shown["bindings_out"].as_array().expect("bindings_out");
    assert_eq!(out.len(), 1, "{shown:#}");
    assert_eq!(out[0]["destination"], "audit");
    assert_eq!(out[0]["routing_key"], "order.#");
    let inbound = shown["bindings_in"].as_array().expect("bindings_in");
    assert_eq!(inbound.len(), 1, "{shown:#}");
    assert_eq!(inbound[0]["source"], "upstream");
}

#[test]
fn a_queue_shows_its_consumers_with_their_prefetch_and_ack_mode() {
    let vhost = TestVhost::new(shared_node(), "show-consumers");
    let dir = TestDir::new("show-consumers");
    vhost.queue("work", r#"{"durable":true}"#);
    let out = dir.path.join("consume.out");
    let mut child = vhost
        .warren(&dir)
        .args(["consume", "work", "--prefetch", "7", "--idle-timeout", "60"])
        .spawn_to(&out);
    let shown = wait_for(Duration::from_secs(30), || {
        let shown = vhost
            .warren(&dir)
            .args(["show", "queue", "work", "-o", "json"])
            .succeeds()
            .json();
        // The channel's details join the consumer once its statistics are in.
        (shown["consumers"][0]["connection"].is_string(), shown)
    });
    let _ = child.kill();
    let _ = child.wait();
    let consumer = &shown["consumers"][0];
    assert_eq!(consumer["prefetch"], 7, "{shown:#}");
    assert_eq!(consumer["manual_ack"], true, "{shown:#}");
    assert!(
        consumer["connection"]
            .as_str()
            .is_some_and(|c| c.contains("->")),
        "{shown:#}"
    );
}

#[test]
fn a_quorum_queues_consumer_capacity_is_unknown_where_the_broker_reports_0() {
    let vhost = TestVhost::new(shared_node(), "show-qq-capacity");
    let dir = TestDir::new("show-qq-capacity");
    vhost.queue(
        "qq",
        r#"{"durable":true,"arguments":{"x-queue-type":"quorum"}}"#,
    );
    let out = dir.path.join("consume.out");
    let mut child = vhost
        .warren(&dir)
        .args(["consume", "qq", "--prefetch", "10", "--idle-timeout", "60"])
        .spawn_to(&out);
    // An idle consumer that can take deliveries: the broker's own figure, once it is in.
    let api = wait_for(Duration::from_secs(30), || {
        let (_, body) = vhost.node.api(
            "GET",
            &format!("/api/queues/{}/qq", encode(&vhost.name)),
            None,
        );
        let q: Value = serde_json::from_str(&body).unwrap_or_default();
        (q["consumers"] == 1 && q["consumer_capacity"].is_number(), q)
    });
    let shown = vhost
        .warren(&dir)
        .args(["show", "queue", "qq", "-o", "json"])
        .succeeds()
        .json();
    let listed = vhost
        .warren(&dir)
        .args([
            "list",
            "queues",
            "--columns",
            "name,consumer_capacity",
            "-o",
            "json",
        ])
        .succeeds()
        .json();
    let _ = child.kill();
    let _ = child.wait();
    let capacity = &shown["messages"]["consumer_capacity"];
    let notes = shown["notes"].to_string();
    if vhost.node.version() == "4.3" {
        // 4.3.6 reports 0 for a quorum queue whose only consumer is idle and able to take
        // deliveries: not a figure to show as one.
        assert_eq!(api["consumer_capacity"], 0.0, "{api:#}");
        assert!(capacity.is_null(), "{shown:#}");
        assert!(
            notes.contains("consumer_capacity of a quorum queue is unknown"),
            "{notes}"
        );
        assert_eq!(listed[0]["consumer_capacity"], Value::Null, "{listed:#}");
    } else {
        assert_eq!(api["consumer_capacity"], 1.0, "{api:#}");
        assert_eq!(capacity, &api["consumer_capacity"], "{shown:#}");
        assert!(!notes.contains("consumer_capacity"), "{notes}");
        assert_eq!(listed[0]["consumer_capacity"], 1.0, "{listed:#}");
    }
}

#[test]
fn missing_objects_and_other_kinds() {
    let vhost = TestVhost::new(shared_node(), "show-missing");
    let dir = TestDir::new("show-missing");
    vhost
        .warren(&dir)
        .args(["show", "queue", "nope"])
        .fails_with(Code::BrokerRefused.as_i32())
        .says("queue `nope`");
    vhost
        .warren(&dir)
        .args(["show", "queue", "x", "--vhost", "no-such-vhost"])
        .fails_with(Code::VhostUnavailable.as_i32());
    vhost
        .warren(&dir)
        .args(["show", "widget", "x"])
        .fails_with(Code::Usage.as_i32());
    let shown = vhost
        .warren(&dir)
        .args(["show", "vhost", &vhost.name, "-o", "json"])
        .succeeds()
        .json();
    assert_eq!(shown["vhost"]["name"], vhost.name.as_str());
    let admin = vhost.node.admin_user().to_string();
    assert!(
        shown["permissions"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["user"] == admin.as_str())),
        "{shown:#}"
    );
    let user = vhost
        .warren(&dir)
        .args(["show", "user", &admin, "-o", "json"])
        .succeeds()
        .json();
    assert!(
        user["user"]["tags"].to_string().contains("administrator"),
        "{user:#}"
    );
}
