//! `warren topology apply` never destroys what it cannot rebuild: preflight, backup,
//! replace with every binding, rollback and verify, against a real broker. The broker's
//! state is read independently through the management API.

mod support;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Node, TestDir, TestVhost, encode, shared_node};
use warren::exit::Code;

fn code(c: Code) -> i32 {
    c.as_i32()
}

/// The vhost's definitions, each list sorted, so that two reads compare equal when the
/// broker holds the same objects.
fn definitions(node: &Node, vhost: &str) -> Value {
    let text = node.api_ok("GET", &format!("/api/definitions/{}", encode(vhost)), None);
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    let map = doc.as_object_mut().unwrap();
    map.remove("rabbit_version");
    map.remove("rabbitmq_version");
    for (_, v) in map.iter_mut() {
        if let Some(list) = v.as_array_mut() {
            list.sort_by_key(|x| x.to_string());
        }
    }
    doc
}

fn get(node: &Node, path: &str) -> Value {
    serde_json::from_str(&node.api_ok("GET", path, None)).unwrap()
}

/// Bindings of the vhost as (source, destination type, destination, key, arguments).
fn bindings(node: &Node, vhost: &str) -> BTreeSet<String> {
    get(node, &format!("/api/bindings/{}", encode(vhost)))
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["source"] != "")
        .map(|b| {
            format!(
                "{} -> {} {} [{}] {}",
                b["source"].as_str().unwrap(),
                b["destination_type"].as_str().unwrap(),
                b["destination"].as_str().unwrap(),
                b["routing_key"].as_str().unwrap(),
                b["arguments"]
            )
        })
        .collect()
}

fn post(node: &Node, path: &str, body: Value) {
    node.api_ok("POST", path, Some(&body.to_string()));
}

fn bind(v: &TestVhost, source: &str, kind: &str, destination: &str, body: Value) {
    post(
        &v.node,
        &format!(
            "/api/bindings/{}/e/{}/{kind}/{}",
            encode(&v.name),
            encode(source),
            encode(destination)
        ),
        body,
    );
}

/// Wait until `f` holds, for at most 30 s.
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn an_unavailable_exchange_type_is_refused_before_anything_changes() {
    let node = shared_node();
    let v = TestVhost::new(node, "safe-type");
    let dir = TestDir::new("safe-type");
    v.exchange("ex", "fanout");
    v.queue("q", r#"{"durable":true}"#);
    v.bind("ex", "q", "k");
    let before = definitions(node, &v.name);
    dir.write(
        "t.yaml",
        &format!(
            "queues:\n  - {{name: q, vhost: {0}}}\n  - {{name: new-q, vhost: {0}}}\nexchanges:\n  - name: ex\n    vhost: {0}\n    type: x-delayed-message\n",
            v.name
        ),
    );
    let run = v
        .warren(&dir)
        .args(["topology", "apply", "-f", "t.yaml"])
        .fails_with(code(Code::InvalidInput));
    run.says("t.yaml:5:5: exchange `ex`")
        .says("type `x-delayed-message` is not available");
    assert_eq!(definitions(node, &v.name), before);
}

#[test]
fn changing_an_exchange_type_keeps_every_binding_it_had() {
    let node = shared_node();
    let v = TestVhost::new(node, "safe-extype");
    let dir = TestDir::new("safe-extype");
    v.exchange("ex", "fanout");
    v.exchange("ex2", "fanout");
    v.exchange("upstream", "direct");
    v.queue("q1", r#"{"durable":true}"#);
    v.queue("q2", r#"{"durable":true}"#);
    bind(&v, "ex", "q", "q1", json!({"routing_key": "a"}));
    bind(&v, "ex", "e", "ex2", json!({"routing_key": "b"}));
    bind(
        &v,
        "ex",
        "q",
        "q2",
        json!({"routing_key": "", "arguments": {"x-match": "all", "kind": "big"}}),
    );
    bind(&v, "upstream", "e", "ex", json!({"routing_key": "up"}));
    let before = bindings(node, &v.name);
    assert_eq!(before.len(), 4, "{before:?}");
    dir.write(
        "t.yaml",
        &format!(
            "exchanges:\n  - {{name: ex, vhost: {}, type: topic}}\n",
            v.name
        ),
    );
    v.warren(&dir)
        .args(["topology", "apply", "-f", "t.yaml"])
        .succeeds()
        .says("Applied 1 change(s)");
    let ex = get(node, &format!("/api/exchanges/{}/ex", encode(&v.name)));
    assert_eq!(ex["type"], "topic");
    assert_eq!(bindings(node, &v.name), before);
    v.warren(&dir)
        .args(["topology", "plan", "-f", "t.yaml", "--detailed-exitcode"])
        .succeeds()
        .says("No changes");
}

/// What a publisher with confirms and `mandatory` saw.
#[derive(Default)]
struct Seen {
    confirmed: BTreeSet<u32>,
    returned: BTreeSet<u32>,
    nacked: BTreeSet<u32>,
    failed: BTreeSet<u32>,
    received: BTreeSet<u32>,
}

/// Publish to `ex` at about 100 msg/s until `stop`, and consume `queue` (re-subscribing
/// when the queue is deleted and declared again), recording every message id.
fn publish_and_consume(
    uri: String,
    queue: &'static str,
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Seen>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            use futures_util::StreamExt;
            use lapin::options::*;
            use lapin::types::FieldTable;
            let connection =
                lapin::Connection::connect(&uri, lapin::ConnectionProperties::default())
                    .await
                    .expect("connecting");
            let publisher = connection.create_channel().await.unwrap();
            publisher
                .confirm_select(ConfirmSelectOptions::default())
                .await
                .unwrap();
            let consumer_seen = seen.clone();
            let consumer_stop = stop.clone();
            let consumer_connection =
                lapin::Connection::connect(&uri, lapin::ConnectionProperties::default())
                    .await
                    .expect("connecting");
            let consuming = tokio::spawn(async move {
                let mut tag = 0;
                loop {
                    tag += 1;
                    let Ok(channel) = consumer_connection.create_channel().await else {
                        break;
                    };
                    let consumer = channel
                        .basic_consume(
                            queue.into(),
                            format!("c{tag}").as_str().into(),
                            BasicConsumeOptions {
                                no_ack: true,
                                ..Default::default()
                            },
                            FieldTable::default(),
                        )
                        .await;
                    match consumer {
                        Ok(mut consumer) => {
                            while let Ok(Some(Ok(d))) =
                                tokio::time::timeout(Duration::from_millis(500), consumer.next())
                                    .await
                            {
                                let id: u32 = String::from_utf8_lossy(&d.data).parse().unwrap();
                                consumer_seen.lock().unwrap().received.insert(id);
                            }
                            // A timeout with nothing new: stop once the publisher stopped.
                            if consumer_stop.load(Ordering::SeqCst) && channel.status().connected()
                            {
                                // Drain whatever is still in flight, then end.
                                let mut idle = 0;
                                while idle < 4 {
                                    match tokio::time::timeout(
                                        Duration::from_millis(500),
                                        consumer.next(),
                                    )
                                    .await
                                    {
                                        Ok(Some(Ok(d))) => {
                                            let id: u32 =
                                                String::from_utf8_lossy(&d.data).parse().unwrap();
                                            consumer_seen.lock().unwrap().received.insert(id);
                                        }
                                        _ => idle += 1,
                                    }
                                }
                                break;
                            }
                            let _ = channel.close(200, "again".into()).await;
                        }
                        Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                    }
                }
            });
            let mut id = 0u32;
            let mut pending = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                id += 1;
                let confirm = publisher
                    .basic_publish(
                        "ex".into(),
                        "k".into(),
                        BasicPublishOptions {
                            mandatory: true,
                            immediate: false,
                        },
                        id.to_string().as_bytes(),
                        lapin::BasicProperties::default().with_delivery_mode(2),
                    )
                    .await;
                pending.push((id, confirm));
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            for (id, confirm) in pending {
                let outcome = match confirm {
                    Ok(c) => tokio::time::timeout(Duration::from_secs(10), c).await,
                    Err(_) => {
                        seen.lock().unwrap().failed.insert(id);
                        continue;
                    }
                };
                let mut s = seen.lock().unwrap();
                match outcome {
                    Ok(Ok(lapin::Confirmation::Ack(None))) => s.confirmed.insert(id),
                    Ok(Ok(lapin::Confirmation::Ack(Some(_)))) => s.returned.insert(id),
                    Ok(Ok(lapin::Confirmation::Nack(_))) => s.nacked.insert(id),
                    _ => s.failed.insert(id),
                };
            }
            let _ = consuming.await;
        });
    })
}

#[test]
fn replacing_a_queue_keeps_its_bindings_and_drops_no_published_message() {
    let node = shared_node();
    let v = TestVhost::new(node, "safe-qreplace");
    let dir = TestDir::new("safe-qreplace");
    v.exchange("ex", "direct");
    v.queue("app-q", r#"{"durable":true}"#);
    v.bind("ex", "app-q", "k");
    bind(&v, "ex", "q", "app-q", json!({"routing_key": "other"}));
    let before = bindings(node, &v.name);
    dir.write(
        "t.yaml",
        &format!(
            "queues:\n  - {{name: app-q, vhost: {}, max_length: 100000}}\n",
            v.name
        ),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let uri = format!(
        "amqp://{}:{}@localhost:{}/{}",
        node.admin_user(),
        node.admin_password(),
        node.port("AMQP_PORT"),
        encode(&v.name)
    );
    let worker = publish_and_consume(uri, "app-q", stop.clone(), seen.clone());
    eventually("the consumer to receive messages", || {
        seen.lock().unwrap().received.len() >= 50
    });
    let run = v
        .warren(&dir)
        .args(["topology", "apply", "-f", "t.yaml"])
        .succeeds();
    run.says("Applied 1 change(s)");
    let received_at_apply = seen.lock().unwrap().received.len();
    eventually("messages to flow into the new queue", || {
        seen.lock().unwrap().received.len() >= received_at_apply + 50
    });
    stop.store(true, Ordering::SeqCst);
    worker.join().unwrap();

    let q = get(node, &format!("/api/queues/{}/app-q", encode(&v.name)));
    assert_eq!(q["arguments"]["x-max-length"], 100000);
    assert_eq!(bindings(node, &v.name), before);
    let s = seen.lock().unwrap();
    let lost: Vec<&u32> = s.confirmed.difference(&s.received).collect();
    eprintln!(
        "published {}: confirmed {}, returned {}, nacked {}, failed {}; received {}",
        s.confirmed.len() + s.returned.len() + s.nacked.len() + s.failed.len(),
        s.confirmed.len(),
        s.returned.len(),
        s.nacked.len(),
        s.failed.len(),
        s.received.len()
    );
    assert!(
        lost.is_empty(),
        "confirmed (routed) but never received: {lost:?}"
    );
    assert!(
        s.failed.is_empty(),
        "publishes with no outcome: {:?}",
        s.failed
    );
}

#[test]
fn a_failure_in_the_middle_is_rolled_back_to_the_backup() {
    let node = shared_node();
    let v = TestVhost::new(node, "safe-rollback");
    let dir = TestDir::new("safe-rollback");
    v.queue("existing", r#"{"durable":true}"#);
    v.exchange("old-x", "direct");
    v.bind("old-x", "existing", "k");
    node.api_ok(
        "PUT",
        &format!("/api/policies/{}/p", encode(&v.name)),
        Some(r#"{"pattern":"^existing$","definition":{"max-length":10},"apply-to":"queues"}"#),
    );
    let before = definitions(node, &v.name);
    // The vhost's queue limit is set first (vhosts come first), then `new-q` can't be
    // declared: a refusal that only the broker knows at apply time.
    dir.write(
        "t.yaml",
        &format!(
            "vhosts:\n  - name: {0}\n    limits: {{max_queues: 1}}\nexchanges:\n  - {{name: new-x, vhost: {0}, type: topic}}\n  - {{name: old-x, vhost: {0}, type: fanout}}\nqueues:\n  - {{name: existing, vhost: {0}}}\n  - {{name: new-q, vhost: {0}}}\npolicies:\n  - {{name: p, vhost: {0}, pattern: ^existing$, apply_to: queues, definition: {{max-length: 20}}}}\n",
            v.name
        ),
    );
    let run = v
        .warren(&dir)
        .args([
            "topology",
            "apply",
            "-f",
            "t.yaml",
            "--backup",
            "backup.json",
        ])
        .fails_with(code(Code::PartialFailure));
    run.says("t.yaml:9:5: queue `new-q`")
        .says("queue limit")
        .says("Rolled back")
        .says("backup.json");
    assert_eq!(definitions(node, &v.name), before);
    assert!(dir.path.join("backup.json").exists());
    v.warren(&dir)
        .args(["topology", "restore", "backup.json", "--yes"])
        .succeeds()
        .says("No changes");
    assert_eq!(definitions(node, &v.name), before);
}

#[test]
fn apply_and_restore_dry_runs_print_the_plan_and_change_nothing() {
    let node = shared_node();
    let v = TestVhost::new(node, "safe-dry");
    let dir = TestDir::new("safe-dry");
    v.exchange("x", "direct");
    v.queue("q", r#"{"durable":true}"#);
    v.queue("undeclared", r#"{"durable":true}"#);
    v.bind("x", "q", "k");
    let before = definitions(node, &v.name);
    dir.write(
        "t.yaml",
        &format!(
            "exchanges:\n  - {{name: x, vhost: {0}, type: fanout}}\nqueues:\n  - {{name: q, vhost: {0}}}\n",
            v.name
        ),
    );
    // The dry run prints exactly the plan; --prune needs no --yes there.
    for extra in [&[][..], &["--prune"][..]] {
        let plan = v
            .warren(&dir)
            .args(["topology", "plan", "-f", "t.yaml"])
            .args(extra)
            .succeeds();
        let dry = v
            .warren(&dir)
            .args(["topology", "apply", "-f", "t.yaml", "--dry-run"])
            .args(extra)
            .succeeds();
        assert_eq!(dry.stdout(), plan.stdout(), "{extra:?}");
        assert_eq!(dry.stderr(), plan.stderr(), "{extra:?}");
        assert!(dry.stdout().contains("replace"), "{}", dry.stdout());
        assert_eq!(definitions(node, &v.name), before, "{extra:?}");
    }

    let run = v
        .warren(&dir)
        .args(["topology", "apply", "-f", "t.yaml", "-o", "json"])
        .succeeds();
    let backup = run.json()["backup"].as_str().unwrap().to_string();
    let applied = definitions(node, &v.name);
    assert_ne!(applied, before);
    // Restore's dry run prints the plan its refusal without --yes prints, and exits 0.
    let refused = v
        .warren(&dir)
        .args(["topology", "restore", &backup])
        .fails_with(code(Code::Usage));
    let dry = v
        .warren(&dir)
        .args(["topology", "restore", &backup, "--dry-run"])
        .succeeds();
    assert_eq!(dry.stdout(), refused.stdout());
    assert_eq!(dry.stderr(), "");
    assert_eq!(definitions(node, &v.name), applied);
    v.warren(&dir)
        .args(["topology", "restore", &backup, "-y"])
        .succeeds();
    assert_eq!(definitions(node, &v.name), before);
}

#[test]
fn restore_puts_back_what_a_successful_apply_changed() {
    let node = shared_node();
    let v = TestVhost::new(node, "safe-restore");
    let dir = TestDir::new("safe-restore");
    v.exchange("x", "direct");
    v.queue("q", r#"{"durable":true}"#);
    v.bind("x", "q", "k");
    let before = definitions(node, &v.name);
    dir.write(
        "t.yaml",
        &format!(
            "exchanges:\n  - {{name: x, vhost: {0}, type: fanout}}\npolicies:\n  - {{name: cap, vhost: {0}, pattern: ., definition: {{max-length: 5}}}}\n",
            v.name
        ),
    );
    let run = v
        .warren(&dir)
        .args(["topology", "apply", "-f", "t.yaml", "-o", "json"])
        .succeeds();
    let backup = run.json()["backup"].as_str().unwrap().to_string();
    assert!(
        backup.contains("/state/warren/backups/topology-"),
        "{backup}"
    );
    assert_ne!(definitions(node, &v.name), before);
    // Without --yes restore only shows its plan.
    v.warren(&dir)
        .args(["topology", "restore", &backup])
        .fails_with(code(Code::Usage))
        .says("replace");
    v.warren(&dir)
        .args(["topology", "restore", &backup, "--yes"])
        .succeeds();
    // The policy the apply added is still there (restore deletes nothing); the rest is back.
    node.api_ok(
        "DELETE",
        &format!("/api/policies/{}/cap", encode(&v.name)),
        None,
    );
    assert_eq!(definitions(node, &v.name), before);
}

/// An internal exchange is in the backup, and restore brings it back: RabbitMQ 4.3 leaves
/// internal exchanges out of its definitions export (`GET /api/definitions/{vhost}`), which
/// a backup built from that export alone would lose.
#[test]
fn a_backup_keeps_internal_exchanges() {
    let node = shared_node();
    let v = TestVhost::new(node, "safe-internal");
    let dir = TestDir::new("safe-internal");
    v.queue("q", r#"{"durable":true}"#);
    node.api_ok(
        "PUT",
        &format!("/api/exchanges/{}/inner", encode(&v.name)),
        Some(r#"{"type":"fanout","durable":true,"internal":true}"#),
    );
    bind(&v, "inner", "q", "q", json!({"routing_key": "k"}));
    let before = bindings(node, &v.name);
    dir.write(
        "t.yaml",
        &format!(
            "exchanges:\n  - {{name: inner, vhost: {}, type: direct, internal: true}}\n",
            v.name
        ),
    );
    let run = v
        .warren(&dir)
        .args(["topology", "apply", "-f", "t.yaml", "-o", "json"])
        .succeeds();
    let backup = run.json()["backup"].as_str().unwrap().to_string();
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&backup).unwrap()).unwrap();
    let inner = saved["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "inner")
        .unwrap_or_else(|| panic!("no exchange `inner` in the backup: {saved:#}"));
    assert_eq!(inner["internal"], true, "{inner:#}");
    assert_eq!(inner["type"], "fanout", "{inner:#}");
    let path = format!("/api/exchanges/{}/inner", encode(&v.name));
    assert_eq!(get(node, &path)["type"], "direct");
    v.warren(&dir)
        .args(["topology", "restore", &backup, "--yes"])
        .succeeds();
    let restored = get(node, &path);
    assert_eq!(restored["type"], "fanout", "{restored:#}");
    assert_eq!(restored["internal"], true, "{restored:#}");
    assert_eq!(bindings(node, &v.name), before);
}

#[test]
fn empty_quorum_queues_are_replaced_and_pruned_but_not_one_holding_a_message() {
    let node = shared_node();
    let v = TestVhost::new(node, "safe-quorum");
    let dir = TestDir::new("safe-quorum");
    let quorum = r#"{"durable":true,"arguments":{"x-queue-type":"quorum"}}"#;
    v.queue("qq", quorum);
    v.queue("qprune", quorum);
    v.queue("qfull", quorum);
    post(
        node,
        &format!("/api/exchanges/{}/amq.default/publish", encode(&v.name)),
        json!({"properties": {}, "routing_key": "qfull", "payload": "x", "payload_encoding": "string"}),
    );
    dir.write(
        "full.yaml",
        &format!(
            "queues:\n  - {{name: qfull, vhost: {}, type: quorum, delivery_limit: 5}}\n",
            v.name
        ),
    );
    v.warren(&dir)
        .args(["topology", "apply", "-f", "full.yaml"])
        .fails_with(code(Code::Usage))
        .says("queue `qfull`")
        .says("holds 1 message(s)");
    eventually("qfull to report its message", || {
        get(node, &format!("/api/queues/{}/qfull", encode(&v.name)))["messages"] == 1
    });
    node.api_ok(
        "DELETE",
        &format!("/api/queues/{}/qfull", encode(&v.name)),
        None,
    );
    dir.write(
        "t.yaml",
        &format!(
            "queues:\n  - {{name: qq, vhost: {}, type: quorum, delivery_limit: 5}}\n",
            v.name
        ),
    );
    v.warren(&dir)
        .args(["topology", "apply", "-f", "t.yaml", "--prune", "--yes"])
        .succeeds()
        .says("Applied 2 change(s)");
    let qq = get(node, &format!("/api/queues/{}/qq", encode(&v.name)));
    assert_eq!(qq["arguments"]["x-delivery-limit"], 5);
    let (status, _) = node.api(
        "GET",
        &format!("/api/queues/{}/qprune", encode(&v.name)),
        None,
    );
    assert_eq!(status, 404);
}

#[test]
fn what_the_broker_would_ignore_or_refuse_fails_at_preflight() {
    let node = shared_node();
    let v = TestVhost::new(node, "safe-preflight");
    let dir = TestDir::new("safe-preflight");
    let before = definitions(node, &v.name);
    dir.write(
        "binding.yaml",
        &format!(
            "queues:\n  - {{name: q, vhost: {0}}}\nbindings:\n  - {{vhost: {0}, source: nope, destination: q}}\n",
            v.name
        ),
    );
    v.warren(&dir)
        .args(["topology", "apply", "-f", "binding.yaml"])
        .fails_with(code(Code::InvalidInput))
        .says("binding.yaml:4:5: binding `nope -> queue q`")
        .says("source exchange `nope` does not exist")
        .never_says("Applied");
    dir.write(
        "amq.yaml",
        &format!("queues:\n  - {{name: amq.mine, vhost: {0}}}\n", v.name),
    );
    v.warren(&dir)
        .args(["topology", "apply", "-f", "amq.yaml"])
        .fails_with(code(Code::InvalidInput))
        .says("amq.yaml:2:5: queue `amq.mine`")
        .never_says("Applied");
    dir.write(
        "policy.yaml",
        &format!(
            "queues:\n  - {{name: q, vhost: {0}}}\npolicies:\n  - name: bad\n    vhost: {0}\n    pattern: .\n    definition: {{max-length: lots}}\n",
            v.name
        ),
    );
    v.warren(&dir)
        .args(["topology", "apply", "-f", "policy.yaml"])
        .fails_with(code(Code::InvalidInput))
        .says("policy.yaml:4:5: policy `bad`")
        .says("<<\"lots\">> is not a valid maximum length");
    // What the broker's version refuses: 4.3 refuses classic queue version 1, which 3.10 and
    // 4.0 declare (and which is then left alone: the plan doesn't touch arguments it accepts).
    dir.write(
        "v1.yaml",
        &format!(
            "queues:\n  - name: old\n    vhost: {0}\n    arguments: {{x-queue-version: 1}}\n",
            v.name
        ),
    );
    let mut apply = v.warren(&dir);
    apply.args(["topology", "apply", "-f", "v1.yaml"]);
    if node.version() == "4.3" {
        apply
            .fails_with(code(Code::InvalidInput))
            .says("v1.yaml:2:5: queue old in vhost")
            .says("RabbitMQ 4.3 refuses `x-queue-version: 1`")
            .says("[refused-by-target]")
            .never_says("Applied");
        assert_eq!(definitions(node, &v.name), before);
    } else {
        apply.succeeds().says("Applied 1 change(s)");
        node.api_ok(
            "DELETE",
            &format!("/api/queues/{}/old", encode(&v.name)),
            None,
        );
    }
    assert_eq!(definitions(node, &v.name), before);
    // The scratch vhost of the policy check is gone again.
    let vhosts = get(node, "/api/vhosts");
    assert!(
        !vhosts
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["name"].as_str().unwrap().starts_with("warren-preflight-")),
        "{vhosts}"
    );
}

#[test]
fn hostile_variable_values_are_plain_strings_on_the_broker() {
    let node = shared_node();
    let v = TestVhost::new(node, "safe-vars");
    let dir = TestDir::new("safe-vars");
    let injection = "c\nqueues:\n  - name: injected";
    dir.write(
        "t.yaml",
        &format!(
            "queues:\n  - name: ${{A}}\n    vhost: {0}\n  - {{name: \"${{B}}\", vhost: {0}}}\nexchanges:\n  - {{name: x, vhost: {0}, type: direct, arguments: {{x-note: ${{C}}}}}}\n",
            v.name
        ),
    );
    v.warren(&dir)
        .args(["topology", "apply", "-f", "t.yaml"])
        .env("A", "a: b")
        .env("B", "x #y")
        .env("C", injection)
        .succeeds();
    let names: BTreeSet<String> = get(node, &format!("/api/queues/{}", encode(&v.name)))
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["name"].as_str().unwrap().to_string())
        .collect();
    let expected: BTreeSet<String> = ["a: b", "x #y"].into_iter().map(String::from).collect();
    assert_eq!(names, expected);
    let x = get(node, &format!("/api/exchanges/{}/x", encode(&v.name)));
    assert_eq!(x["arguments"]["x-note"], injection);
    // A newline in a name: the management API would drop it, so it is refused at load.
    dir.write(
        "name.yaml",
        &format!("queues:\n  - name: ${{C}}\n    vhost: {}\n", v.name),
    );
    v.warren(&dir)
        .args(["topology", "apply", "-f", "name.yaml"])
        .env("C", injection)
        .fails_with(code(Code::InvalidInput))
        .says("name.yaml:2:5: queue name")
        .says("control character");
}
