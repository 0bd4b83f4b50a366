//! doctor's rules on the captured scenarios and on made-up samples.

use super::*;

fn read<T: serde::de::DeserializeOwned + Default>(dir: &str, file: &str) -> T {
    let path = format!(
        "{}/tests/fixtures/{dir}/{file}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn sample(dir: &str, n: u8) -> Sample {
    let declare: Value = read(dir, &format!("{n}-declare"));
    let version = dir
        .split('/')
        .next()
        .unwrap()
        .trim_start_matches("rabbitmq-");
    Sample {
        queue: read(dir, &format!("{n}-queue")),
        consumers: read(dir, &format!("{n}-consumers")),
        connections: read(dir, &format!("{n}-connections")),
        nodes: read(dir, &format!("{n}-nodes")),
        nodes_error: None,
        depth: declare["message_count"].as_u64(),
        declare_error: None,
        sources: Some(Vec::new()),
        version: version.to_string(),
    }
}

/// Each captured scenario (tests/fixtures/capture-doctor.py) gets exactly its own
/// diagnoses, on 3.10 and 4.3; the healthy busy queue none.
#[test]
fn each_captured_scenario_gets_its_own_diagnoses() {
    let expected: &[(&str, &[&str])] = &[
        ("healthy", &[]),
        ("no-consumers", &["no-consumers"]),
        ("holding-prefetch", &["unacked-stuck"]),
        ("requeue-loop-classic", &["redelivery-loop"]),
        ("requeue-loop-quorum", &["redelivery-loop"]),
        ("single-active-consumer", &["single-active-consumer"]),
        ("polling", &["polling"]),
        ("auto-ack", &["auto-ack"]),
        ("max-length-reject", &["length-limit", "no-consumers"]),
        ("max-length-drop-head", &["length-limit", "no-consumers"]),
        ("stream", &["stream"]),
        ("memory-alarm", &["broker-throttling"]),
        // What dies of TTL here is published with nobody consuming.
        ("ttl-expiring", &["expiring", "no-consumers"]),
    ];
    let mut wrong = Vec::new();
    for version in ["rabbitmq-3.10.8", "rabbitmq-4.3.6"] {
        for (scenario, ids) in expected {
            let dir = format!("{version}/doctor/{scenario}");
            let d = diagnose(&sample(&dir, 1), &sample(&dir, 2), 5.0);
            let mut found: Vec<&str> = d.findings.iter().map(|f| f.id).collect();
            found.sort();
            if found != *ids {
                wrong.push(format!(
                    "{dir}: {found:?}, expected {ids:?}; not checked {:?}",
                    d.not_checked
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A sample made up for a rule the captured scenarios don't cover.
fn made(queue: serde_json::Value, consumers: serde_json::Value, depth: u64) -> Sample {
    Sample {
        queue: serde_json::from_value(queue).unwrap(),
        consumers: serde_json::from_value(consumers).unwrap(),
        nodes: serde_json::from_value(serde_json::json!([{"name": "rabbit@a", "running": true}]))
            .unwrap(),
        depth: Some(depth),
        sources: Some(Vec::new()),
        version: "3.10.8".into(),
        ..Default::default()
    }
}

fn ids(d: &Diagnosis) -> Vec<&'static str> {
    let mut ids: Vec<&str> = d.findings.iter().map(|f| f.id).collect();
    ids.sort();
    ids
}

fn evidence<'a>(d: &'a Diagnosis, id: &str, name: &str) -> &'a str {
    let f = d.findings.iter().find(|f| f.id == id).unwrap();
    &f.evidence.0.iter().find(|(k, _)| k == name).unwrap().1
}

fn consumer(prefetch: u64) -> serde_json::Value {
    serde_json::json!({"consumer_tag": "c1", "ack_required": true, "prefetch_count": prefetch,
        "active": true, "channel_details": {"name": "conn (1)"}})
}

#[test]
fn saturated_consumers_grow_the_queue_and_never_drain() {
    let q = |publish: u64, ack: u64, unacked: u64| {
        serde_json::json!({"name": "q", "vhost": "v", "type": "classic", "consumers": 2,
            "messages_unacknowledged": unacked, "consumer_capacity": 1.0, "state": "running",
            "message_stats": {"publish": publish, "ack": ack, "deliver": ack + unacked,
                "deliver_get": ack + unacked}})
    };
    let consumers = serde_json::json!([consumer(10), consumer(10)]);
    let before = made(q(1000, 800, 20), consumers.clone(), 100);
    let after = made(q(1500, 1000, 20), consumers, 400);
    let d = diagnose(&before, &after, 5.0);
    assert_eq!(ids(&d), ["consumers-saturated"], "{d:#?}");
    assert_eq!(evidence(&d, "consumers-saturated", "growth"), "+60.0/s");
    assert_eq!(evidence(&d, "consumers-saturated", "in"), "100/s");
    assert_eq!(evidence(&d, "consumers-saturated", "acked"), "40/s");
    assert_eq!(
        evidence(&d, "consumers-saturated", "time to drain"),
        "never (acks are slower than publishes)"
    );
    assert!(d.has_problem());
    // Keeping up (acks as fast as publishes, depth steady): nothing.
    let keeping = made(
        q(1500, 1300, 20),
        serde_json::json!([consumer(10), consumer(10)]),
        100,
    );
    assert_eq!(ids(&diagnose(&before, &keeping, 5.0)), Vec::<&str>::new());
}

#[test]
fn a_prefetch_of_one_with_messages_waiting_and_low_capacity_is_starved() {
    let q = |ack: u64, capacity: f64| {
        serde_json::json!({"name": "q", "vhost": "/", "type": "classic", "consumers": 1,
            "messages_unacknowledged": 1, "consumer_capacity": capacity, "state": "running",
            "message_stats": {"publish": ack, "ack": ack, "deliver": ack, "deliver_get": ack}})
    };
    let one = serde_json::json!([consumer(1)]);
    let d = diagnose(
        &made(q(100, 0.2), one.clone(), 50),
        &made(q(200, 0.2), one.clone(), 50),
        5.0,
    );
    assert_eq!(ids(&d), ["prefetch-starved"], "{d:#?}");
    assert_eq!(evidence(&d, "prefetch-starved", "consumer capacity"), "20%");
    assert!(!d.has_problem());
    // The same on a 4.3.6 quorum queue: its capacity reads 0 whatever happens, so unknown.
    let quorum = |ack| {
        let mut v = q(ack, 0.0);
        v["type"] = "quorum".into();
        v
    };
    let mut before = made(quorum(100), one.clone(), 50);
    let mut after = made(quorum(200), one, 50);
    before.version = "4.3.6".into();
    after.version = "4.3.6".into();
    let d = diagnose(&before, &after, 5.0);
    assert_eq!(ids(&d), Vec::<&str>::new());
    assert!(
        d.not_checked.iter().any(|n| n.id == "prefetch-starved"),
        "{d:#?}"
    );
}

#[test]
fn stale_counters_are_not_read_as_a_stuck_consumer() {
    // The API refreshed nothing within a short window, but its own rates show acks.
    let q = serde_json::json!({"name": "q", "vhost": "/", "type": "classic", "consumers": 1,
        "messages_unacknowledged": 10, "state": "running",
        "message_stats": {"publish": 500, "ack": 490, "ack_details": {"rate": 98.0},
            "deliver": 500, "deliver_details": {"rate": 98.0}, "deliver_get": 500,
            "publish_details": {"rate": 98.0}}});
    let consumers = serde_json::json!([consumer(10)]);
    let d = diagnose(
        &made(q.clone(), consumers.clone(), 0),
        &made(q, consumers, 0),
        1.0,
    );
    assert_eq!(ids(&d), Vec::<&str>::new(), "{d:#?}");
}

#[test]
fn a_quorum_queue_below_its_majority_and_a_drained_node() {
    let q = serde_json::json!({"name": "q", "vhost": "/", "type": "quorum", "consumers": 0,
        "leader": "rabbit@a", "members": ["rabbit@a", "rabbit@b", "rabbit@c"],
        "online": ["rabbit@a"], "message_stats": {}});
    let sample = made(q.clone(), serde_json::json!([]), 0);
    let d = diagnose(&sample, &sample, 5.0);
    assert_eq!(ids(&d), ["unavailable"], "{d:#?}");
    assert_eq!(evidence(&d, "unavailable", "members online"), "1 of 3");
    let mut whole = q;
    whole["online"] = serde_json::json!(["rabbit@a", "rabbit@b", "rabbit@c"]);
    let mut drained = made(whole, serde_json::json!([]), 0);
    drained.nodes[0].being_drained = Some(true);
    let d = diagnose(&drained, &drained, 5.0);
    assert_eq!(ids(&d), ["unavailable"], "{d:#?}");
    assert!(!d.has_problem());
}

#[test]
fn publishes_to_the_bound_exchanges_that_never_reach_the_queue() {
    let q = serde_json::json!({"name": "q", "vhost": "/", "type": "classic", "consumers": 1,
        "messages_unacknowledged": 0, "state": "running", "message_stats": {"publish": 7}});
    let source = |n| Source {
        exchange: "orders".into(),
        published_in: Some(n),
    };
    let mut before = made(q.clone(), serde_json::json!([consumer(50)]), 0);
    let mut after = made(q, serde_json::json!([consumer(50)]), 0);
    before.sources = Some(vec![source(100)]);
    after.sources = Some(vec![source(350)]);
    let d = diagnose(&before, &after, 5.0);
    assert_eq!(ids(&d), ["routing"], "{d:#?}");
    assert_eq!(d.findings[0].next, "warren route orders KEY");
    after.sources = None;
    let d = diagnose(&before, &after, 5.0);
    assert!(d.not_checked.iter().any(|n| n.id == "routing"), "{d:#?}");
}
