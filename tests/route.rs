//! `warren route` against a real node: on a topology with every exchange type, exchange
//! chains three deep, alternate exchanges (argument and policy), headers bindings of every
//! x-match and an internal exchange, the prediction equals what the broker does with a
//! marked message (`--verify`) for 50 generated keys and header sets; and, read with
//! rabbitmqctl (not warren), each real queue holds exactly as many marked messages as the
//! predictions sent it.

mod support;

use std::collections::BTreeMap;

use serde_json::{Value, json};
use support::{Gen, TestDir, TestVhost, encode, shared_node};
use warren::exit::Code;

fn exchange(v: &TestVhost, name: &str, body: Value) {
    v.node.api_ok(
        "PUT",
        &format!("/api/exchanges/{}/{}", encode(&v.name), encode(name)),
        Some(&body.to_string()),
    );
}

fn bind(v: &TestVhost, source: &str, kind: &str, destination: &str, key: &str, args: Value) {
    v.node.api_ok(
        "POST",
        &format!(
            "/api/bindings/{}/e/{}/{kind}/{}",
            encode(&v.name),
            encode(source),
            encode(destination)
        ),
        Some(&json!({"routing_key": key, "arguments": args}).to_string()),
    );
}

const QUEUES: &[&str] = &[
    "q-orders",
    "q-audit",
    "q-dir-a",
    "q-dir-b",
    "q-hdr-all",
    "q-hdr-any",
    "q-hdr-allx",
    "q-deep",
    "q-ae",
    "q-int",
    "q-side",
    "q-side-ae",
];

fn topology(v: &TestVhost) {
    for q in QUEUES {
        v.queue(q, r#"{"durable":true}"#);
    }
    exchange(v, "ae", json!({"type": "fanout", "durable": true}));
    exchange(v, "side-ae", json!({"type": "fanout", "durable": true}));
    exchange(
        v,
        "ingress",
        json!({"type": "topic", "durable": true, "arguments": {"alternate-exchange": "ae"}}),
    );
    exchange(v, "fan", json!({"type": "fanout", "durable": true}));
    exchange(v, "dir", json!({"type": "direct", "durable": true}));
    exchange(v, "hdr", json!({"type": "headers", "durable": true}));
    exchange(v, "deep1", json!({"type": "topic", "durable": true}));
    exchange(v, "deep2", json!({"type": "direct", "durable": true}));
    exchange(v, "deep3", json!({"type": "fanout", "durable": true}));
    exchange(
        v,
        "inner",
        json!({"type": "fanout", "durable": true, "internal": true}),
    );
    exchange(v, "side", json!({"type": "topic", "durable": true}));
    // The alternate of `side` comes from a policy.
    v.node.api_ok(
        "PUT",
        &format!("/api/policies/{}/side-ae", encode(&v.name)),
        Some(r#"{"pattern":"^side$","definition":{"alternate-exchange":"side-ae"},"apply-to":"exchanges","priority":1}"#),
    );
    bind(v, "ingress", "q", "q-orders", "order.*", json!({}));
    bind(v, "ingress", "e", "fan", "#.audit.#", json!({}));
    bind(v, "fan", "q", "q-audit", "", json!({}));
    bind(v, "ingress", "e", "dir", "*.direct", json!({}));
    bind(v, "dir", "q", "q-dir-a", "a.direct", json!({}));
    bind(v, "dir", "q", "q-dir-b", "b.direct", json!({}));
    bind(v, "ingress", "e", "hdr", "hdr.#", json!({}));
    bind(
        v,
        "hdr",
        "q",
        "q-hdr-all",
        "",
        json!({"x-match": "all", "tenant": "acme", "tier": 1}),
    );
    bind(
        v,
        "hdr",
        "q",
        "q-hdr-any",
        "",
        json!({"x-match": "any", "tenant": "acme", "region": "eu"}),
    );
    bind(
        v,
        "hdr",
        "q",
        "q-hdr-allx",
        "",
        json!({"x-match": "all-with-x", "x-trace": "on"}),
    );
    bind(v, "ingress", "e", "deep1", "deep.#", json!({}));
    bind(v, "deep1", "e", "deep2", "deep.*.x", json!({}));
    bind(v, "deep2", "e", "deep3", "deep.one.x", json!({}));
    bind(v, "deep3", "q", "q-deep", "", json!({}));
    bind(v, "ingress", "e", "inner", "int.#", json!({}));
    bind(v, "inner", "q", "q-int", "", json!({}));
    bind(v, "ae", "q", "q-ae", "", json!({}));
    bind(v, "ingress", "e", "side", "side.#", json!({}));
    bind(v, "side", "q", "q-side", "side.known", json!({}));
    bind(v, "side-ae", "q", "q-side-ae", "", json!({}));
}

/// 50 messages: a few chosen to reach every part, the rest generated.
fn messages() -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = vec![
        ("order.new".into(), vec![]),
        ("x.audit.y".into(), vec![]),
        ("a.direct".into(), vec![]),
        ("b.direct".into(), vec!["CC:json=[\"a.direct\"]".into()]),
        (
            "hdr.1".into(),
            vec!["tenant=acme".into(), "tier:i32=1".into()],
        ),
        ("hdr.2".into(), vec!["region=eu".into()]),
        ("hdr.3".into(), vec!["x-trace=on".into()]),
        ("deep.one.x".into(), vec![]),
        ("int.q".into(), vec![]),
        ("side.known".into(), vec![]),
        ("side.unknown".into(), vec![]),
        ("nothing.at.all".into(), vec![]),
        ("".into(), vec![]),
        ("zzz".into(), vec!["CC:json=[\"order.cc\"]".into()]),
    ];
    let words = [
        "order", "audit", "a", "b", "direct", "hdr", "deep", "one", "x", "int", "side", "known",
        "zzz", "",
    ];
    let mut g = Gen(0x5eed_cafe_f00d);
    while out.len() < 50 {
        let n = (g.next() % 5) as usize;
        let key: Vec<&str> = (0..n).map(|_| g.pick(&words)).collect();
        let mut headers = Vec::new();
        for (name, values) in [
            ("tenant", &["acme", "other", ""][..]),
            ("tier:i32", &["1", "2", ""][..]),
            ("region", &["eu", "us", ""][..]),
            ("x-trace", &["on", "", ""][..]),
        ] {
            let v = g.pick(values);
            if !v.is_empty() {
                headers.push(format!("{name}={v}"));
            }
        }
        out.push((key.join("."), headers));
    }
    out
}

#[test]
fn the_prediction_is_what_the_broker_does() {
    let vhost = TestVhost::new(shared_node(), "route");
    let dir = TestDir::new("route");
    topology(&vhost);
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    let mut reached_any = 0;
    for (key, headers) in messages() {
        let mut cmd = vhost.warren(&dir);
        cmd.args(["route", "ingress", &key]);
        for h in &headers {
            cmd.args(["-H", h]);
        }
        let report = cmd
            .args(["--verify", "--yes", "-o", "json"])
            .succeeds()
            .json();
        let predicted = &report["queues"];
        assert_eq!(
            predicted, &report["verified"]["observed"],
            "key {key:?} headers {headers:?}: {report:#}"
        );
        for q in predicted.as_array().expect("queues") {
            *expected
                .entry(q.as_str().unwrap_or_default().to_string())
                .or_default() += 1;
        }
        reached_any += usize::from(predicted.as_array().is_some_and(|a| !a.is_empty()));
    }
    // The generated set reaches every queue, through every kind of hop.
    for q in QUEUES {
        assert!(
            expected.get(*q).is_some_and(|n| *n > 0),
            "no message reached {q}: {expected:?}"
        );
    }
    assert!(
        reached_any < 50,
        "some message must reach nothing (the AE catches most)"
    );
    // Independent: each real queue holds exactly the marked messages predicted for it.
    for q in QUEUES {
        assert_eq!(
            vhost.ready(q),
            expected.get(*q).copied(),
            "queue {q} (rabbitmqctl) vs the predictions"
        );
    }
}

#[test]
fn the_tree_and_the_refusals() {
    let vhost = TestVhost::new(shared_node(), "route-tree");
    let dir = TestDir::new("route-tree");
    topology(&vhost);
    let run = vhost
        .warren(&dir)
        .args(["route", "ingress", "deep.one.x"])
        .succeeds();
    run.says("exchange `deep1` (topic)")
        .says("exchange `deep3` (fanout)")
        .says("queue `q-deep`")
        .says("reaches 1 queue(s): q-deep");
    vhost
        .warren(&dir)
        .args(["route", "ingress", "nothing"])
        .succeeds()
        .says("alternate exchange `ae`")
        .says("q-ae");
    vhost
        .warren(&dir)
        .args(["route", "inner", "x"])
        .fails_with(Code::AuthRefused.as_i32())
        .says("internal");
    vhost
        .warren(&dir)
        .args(["route", "missing", "x"])
        .fails_with(Code::BrokerRefused.as_i32())
        .says("does not exist");
    let json = vhost
        .warren(&dir)
        .args(["route", "", "q-orders", "-o", "json"])
        .succeeds()
        .json();
    assert_eq!(json["queues"], json!(["q-orders"]));
    // --verify publishes a real message: refused without --yes and without a terminal.
    vhost
        .warren(&dir)
        .args(["route", "ingress", "order.new", "--verify"])
        .fails_with(Code::Usage.as_i32());
    assert_eq!(vhost.ready("q-orders"), Some(0));
}
