//! `warren doctor` against real RabbitMQ with real clients (lapin, never warren): each
//! scenario is set up in a vhost of its own, doctor runs over a 5 s window, and the test asks
//! for exactly the diagnoses the scenario should give, with their evidence and exit code. A
//! healthy busy queue gets none. The memory alarm has a node of its own (it blocks every
//! publisher); a quorum queue below its majority is in tests/cluster_ops.rs.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicGetOptions, BasicNackOptions, BasicPublishOptions,
    BasicQosOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Connection, ConnectionProperties};
use serde_json::Value;
use support::{Node, TestDir, TestVhost, encode, shared_node, wait_for};
use warren::exit::Code;

/// What a test consumer does with each delivery.
#[derive(Clone, Copy)]
enum Behaviour {
    Ack,
    /// Never acks: holds its prefetch.
    Hold,
    /// Nacks with requeue: a poison message loop.
    Requeue,
    /// Acks after working this long on each message.
    SlowAck(u64),
    /// Subscribed with no_ack: the broker counts the delivery as done.
    NoAck,
}

/// Real clients on one runtime; they stop when this is dropped.
struct Clients {
    runtime: tokio::runtime::Runtime,
    uri: String,
    stop: Arc<AtomicBool>,
}

impl Drop for Clients {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Clients {
    fn new(node: &Node, vhost: &str) -> Clients {
        Clients {
            runtime: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("runtime"),
            uri: format!(
                "amqp://{}:{}@localhost:{}/{}",
                node.admin_user(),
                node.admin_password(),
                node.port("AMQP_PORT"),
                encode(vhost)
            ),
            stop: Arc::new(AtomicBool::new(false)),
        }
    }

    fn connect(&self) -> Connection {
        self.runtime.block_on(async {
            Connection::connect(&self.uri, ConnectionProperties::default())
                .await
                .expect("connecting")
        })
    }

    /// Publish to `queue` (default exchange) `per_second` messages a second until dropped.
    /// Publishes blocked by an alarm just wait.
    fn publisher(&self, queue: &str, per_second: u64) {
        let connection = self.connect();
        let (queue, stop) = (queue.to_string(), self.stop.clone());
        self.runtime.spawn(async move {
            let channel = connection.create_channel().await.expect("channel");
            let pause = Duration::from_millis(1000 / per_second);
            while !stop.load(Ordering::Relaxed) {
                let _ = channel
                    .basic_publish(
                        "".into(),
                        queue.as_str().into(),
                        BasicPublishOptions::default(),
                        b"m",
                        BasicProperties::default(),
                    )
                    .await;
                tokio::time::sleep(pause).await;
            }
            drop(connection);
        });
    }

    /// Publish to `exchange` with `key`, `per_second` messages a second until dropped.
    fn publisher_to(&self, exchange: &str, key: &str, per_second: u64) {
        let connection = self.connect();
        let (exchange, key, stop) = (exchange.to_string(), key.to_string(), self.stop.clone());
        self.runtime.spawn(async move {
            let channel = connection.create_channel().await.expect("channel");
            while !stop.load(Ordering::Relaxed) {
                let _ = channel
                    .basic_publish(
                        exchange.as_str().into(),
                        key.as_str().into(),
                        BasicPublishOptions::default(),
                        b"m",
                        BasicProperties::default(),
                    )
                    .await;
                tokio::time::sleep(Duration::from_millis(1000 / per_second)).await;
            }
            drop(connection);
        });
    }

    /// A consumer on `queue` with `prefetch`, doing `behaviour` with each delivery.
    fn consumer(&self, queue: &str, prefetch: u16, behaviour: Behaviour) {
        let connection = self.connect();
        let (queue, stop) = (queue.to_string(), self.stop.clone());
        let ready = Arc::new(AtomicBool::new(false));
        let started = ready.clone();
        self.runtime.spawn(async move {
            use futures_util::StreamExt;
            let channel = connection.create_channel().await.expect("channel");
            channel
                .basic_qos(prefetch, BasicQosOptions::default())
                .await
                .expect("qos");
            let mut deliveries = channel
                .basic_consume(
                    queue.as_str().into(),
                    "".into(),
                    BasicConsumeOptions {
                        no_ack: matches!(behaviour, Behaviour::NoAck),
                        ..Default::default()
                    },
                    FieldTable::default(),
                )
                .await
                .expect("consume");
            started.store(true, Ordering::Relaxed);
            while !stop.load(Ordering::Relaxed) {
                let next = tokio::time::timeout(Duration::from_millis(200), deliveries.next());
                let Ok(Some(Ok(d))) = next.await else {
                    continue;
                };
                match behaviour {
                    Behaviour::Ack => {
                        d.ack(BasicAckOptions::default()).await.expect("ack");
                    }
                    Behaviour::Hold | Behaviour::NoAck => {}
                    Behaviour::SlowAck(ms) => {
                        tokio::time::sleep(Duration::from_millis(ms)).await;
                        d.ack(BasicAckOptions::default()).await.expect("ack");
                    }
                    Behaviour::Requeue => {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        d.nack(BasicNackOptions {
                            requeue: true,
                            ..Default::default()
                        })
                        .await
                        .expect("nack");
                    }
                }
            }
            drop(connection);
        });
        wait_for(Duration::from_secs(10), || {
            (ready.load(Ordering::Relaxed), ())
        });
    }

    /// A client taking messages with basic.get (acked), `per_second` tries a second.
    fn poller(&self, queue: &str, per_second: u64) {
        let connection = self.connect();
        let (queue, stop) = (queue.to_string(), self.stop.clone());
        self.runtime.spawn(async move {
            let channel = connection.create_channel().await.expect("channel");
            while !stop.load(Ordering::Relaxed) {
                if let Ok(Some(m)) = channel
                    .basic_get(queue.as_str().into(), BasicGetOptions::default())
                    .await
                {
                    let _ = m.delivery.ack(BasicAckOptions::default()).await;
                }
                tokio::time::sleep(Duration::from_millis(1000 / per_second)).await;
            }
            drop(connection);
        });
    }
}

/// Wait until the management API's statistics of `queue` show `consumers` and its counters
/// (the API lists them a stats interval late), then one interval more for rates.
fn settle(vhost: &TestVhost, queue: &str, consumers: u64, counter: &str) {
    let path = format!("/api/queues/{}/{}", encode(&vhost.name), encode(queue));
    let seen = wait_for(Duration::from_secs(30), || {
        let (_, body) = vhost.node.api("GET", &path, None);
        let q: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        let ok = q["consumers"] == consumers
            && (counter.is_empty() || q["message_stats"][counter].as_u64().unwrap_or(0) > 0);
        (ok, (ok, body))
    });
    assert!(seen.0, "the API never showed {queue} settled: {}", seen.1);
}

/// `warren doctor QUEUE -o json` in `vhost`, expecting `code`; returns the report.
fn doctor(vhost: &TestVhost, dir: &TestDir, queue: &str, code: Code) -> Value {
    let run = vhost
        .warren(dir)
        .args(["doctor", queue, "--window", "5s", "-o", "json"])
        .within(Duration::from_secs(30))
        .fails_with(code.as_i32());
    // Its speed (the window plus at most a second) is bench/doctor.sh's to measure.
    run.json()
}

fn ids(report: &Value) -> Vec<String> {
    let mut ids: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

fn evidence<'a>(report: &'a Value, id: &str, name: &str) -> &'a str {
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {report:#}"));
    finding["evidence"][name]
        .as_str()
        .unwrap_or_else(|| panic!("no evidence {name} in {finding:#}"))
}

const CLASSIC: &str = r#"{"durable":true}"#;

#[test]
fn a_healthy_busy_queue_has_no_problem() {
    let node = shared_node();
    let (vhost, dir) = (TestVhost::new(node, "dr-ok"), TestDir::new("dr-ok"));
    vhost.queue("work", CLASSIC);
    let clients = Clients::new(node, &vhost.name);
    clients.consumer("work", 50, Behaviour::Ack);
    clients.publisher("work", 50);
    settle(&vhost, "work", 1, "ack");
    let report = doctor(&vhost, &dir, "work", Code::Success);
    assert_eq!(ids(&report), Vec::<String>::new(), "{report:#}");
    assert!(
        report["not_checked"].as_array().unwrap().is_empty(),
        "{report:#}"
    );
    // The screen: the status line, what passed, and no problem.
    let run = vhost
        .warren(&dir)
        .args(["doctor", "work", "--window", "2s"])
        .succeeds();
    let screen = run.stdout();
    assert!(screen.starts_with("queue work (vhost t-dr-ok-"), "{screen}");
    assert!(screen.contains("; consumers 1 (prefetch 50)\n"), "{screen}");
    assert!(screen.trim_end().ends_with("no problem found"), "{screen}");
    drop(clients);
}

#[test]
fn a_publisher_without_a_consumer() {
    let node = shared_node();
    let (vhost, dir) = (TestVhost::new(node, "dr-none"), TestDir::new("dr-none"));
    vhost.queue("orders", CLASSIC);
    let clients = Clients::new(node, &vhost.name);
    clients.publisher("orders", 20);
    settle(&vhost, "orders", 0, "publish");
    let report = doctor(&vhost, &dir, "orders", Code::FindingsOrDrift);
    assert_eq!(ids(&report), ["no-consumers"], "{report:#}");
    assert_eq!(evidence(&report, "no-consumers", "consumers"), "0");
    let published: u64 = evidence(&report, "no-consumers", "published in the window")
        .parse()
        .unwrap();
    assert!(published > 0, "{report:#}");
    // The depth trend is the passive declare's: it grew across the window.
    let ready = |i: usize| report["samples"][i]["ready"].as_u64().unwrap();
    assert!(ready(1) > ready(0), "{report:#}");
    assert_eq!(
        report["findings"][0]["next"],
        format!("warren list connections --vhost {}", vhost.name)
    );
    drop(clients);
}

#[test]
fn a_consumer_holding_its_prefetch_without_acking() {
    let node = shared_node();
    let (vhost, dir) = (TestVhost::new(node, "dr-hold"), TestDir::new("dr-hold"));
    vhost.queue("jobs", CLASSIC);
    vhost.put_messages("jobs", 30);
    let clients = Clients::new(node, &vhost.name);
    clients.consumer("jobs", 10, Behaviour::Hold);
    settle(&vhost, "jobs", 1, "deliver");
    // Past the interval in which the deliveries were counted.
    std::thread::sleep(Duration::from_secs(5));
    let report = doctor(&vhost, &dir, "jobs", Code::FindingsOrDrift);
    assert_eq!(ids(&report), ["unacked-stuck"], "{report:#}");
    assert_eq!(evidence(&report, "unacked-stuck", "unacknowledged"), "10");
    let timeout = evidence(&report, "unacked-stuck", "consumer timeout");
    if node.version() == "4.3" {
        assert!(timeout.starts_with("30m: not enforced"), "{timeout}");
    } else {
        assert!(timeout.contains("cancels the consumer"), "{timeout}");
    }
    drop(clients);
}

#[test]
fn a_consumer_requeueing_everything_loops() {
    let node = shared_node();
    let (vhost, dir) = (TestVhost::new(node, "dr-loop"), TestDir::new("dr-loop"));
    vhost.queue("poison", CLASSIC);
    vhost.put_messages("poison", 5);
    let clients = Clients::new(node, &vhost.name);
    clients.consumer("poison", 5, Behaviour::Requeue);
    settle(&vhost, "poison", 1, "redeliver");
    let report = doctor(&vhost, &dir, "poison", Code::FindingsOrDrift);
    assert_eq!(ids(&report), ["redelivery-loop"], "{report:#}");
    drop(clients);
}

#[test]
fn single_active_consumer_leaves_the_others_waiting() {
    let node = shared_node();
    let (vhost, dir) = (TestVhost::new(node, "dr-sac"), TestDir::new("dr-sac"));
    vhost.queue(
        "one",
        r#"{"durable":true,"arguments":{"x-single-active-consumer":true}}"#,
    );
    let clients = Clients::new(node, &vhost.name);
    clients.consumer("one", 20, Behaviour::Ack);
    clients.consumer("one", 20, Behaviour::Ack);
    clients.publisher("one", 20);
    settle(&vhost, "one", 2, "ack");
    // A warning only: exit 0.
    let report = doctor(&vhost, &dir, "one", Code::Success);
    assert_eq!(ids(&report), ["single-active-consumer"], "{report:#}");
    assert_eq!(
        evidence(&report, "single-active-consumer", "waiting (not active)"),
        "1"
    );
    drop(clients);
}

#[test]
fn basic_get_polling() {
    let node = shared_node();
    let (vhost, dir) = (TestVhost::new(node, "dr-poll"), TestDir::new("dr-poll"));
    vhost.queue("polled", CLASSIC);
    let clients = Clients::new(node, &vhost.name);
    clients.publisher("polled", 10);
    clients.poller("polled", 20);
    settle(&vhost, "polled", 0, "get");
    let report = doctor(&vhost, &dir, "polled", Code::Success);
    assert_eq!(ids(&report), ["polling"], "{report:#}");
    drop(clients);
}

#[test]
fn a_full_queue_and_messages_dying_of_ttl() {
    let node = shared_node();
    let (vhost, dir) = (TestVhost::new(node, "dr-full"), TestDir::new("dr-full"));
    vhost.queue(
        "capped",
        r#"{"durable":true,"arguments":{"x-max-length":10,"x-overflow":"reject-publish"}}"#,
    );
    vhost.queue(
        "short-lived",
        r#"{"durable":true,"arguments":{"x-message-ttl":200}}"#,
    );
    let clients = Clients::new(node, &vhost.name);
    clients.publisher("capped", 20);
    clients.publisher("short-lived", 20);
    settle(&vhost, "capped", 0, "publish");
    settle(&vhost, "short-lived", 0, "publish");
    let report = doctor(&vhost, &dir, "capped", Code::FindingsOrDrift);
    assert_eq!(ids(&report), ["length-limit", "no-consumers"], "{report:#}");
    assert_eq!(evidence(&report, "length-limit", "ready"), "10");
    assert!(
        evidence(&report, "length-limit", "overflow")
            .starts_with("reject-publish: new messages are refused"),
        "{report:#}"
    );
    let report = doctor(&vhost, &dir, "short-lived", Code::FindingsOrDrift);
    assert_eq!(ids(&report), ["expiring", "no-consumers"], "{report:#}");
    assert_eq!(evidence(&report, "expiring", "message-ttl"), "200 ms");
    assert!(
        evidence(&report, "expiring", "expired (about)")
            .ends_with("dropped (no dead-letter exchange)"),
        "{report:#}"
    );
    drop(clients);
}

#[test]
fn a_stream_grows_by_design() {
    let node = shared_node();
    let (vhost, dir) = (TestVhost::new(node, "dr-stream"), TestDir::new("dr-stream"));
    vhost.queue(
        "events",
        r#"{"durable":true,"arguments":{"x-queue-type":"stream","x-max-age":"1D"}}"#,
    );
    let clients = Clients::new(node, &vhost.name);
    clients.publisher("events", 20);
    settle(&vhost, "events", 0, "");
    let report = doctor(&vhost, &dir, "events", Code::Success);
    assert_eq!(ids(&report), ["stream"], "{report:#}");
    assert_eq!(evidence(&report, "stream", "retention"), "max-age \"1D\"");
    drop(clients);
}

#[test]
fn consumers_without_acks() {
    let node = shared_node();
    let (vhost, dir) = (TestVhost::new(node, "dr-noack"), TestDir::new("dr-noack"));
    vhost.queue("fire", CLASSIC);
    let clients = Clients::new(node, &vhost.name);
    clients.consumer("fire", 0, Behaviour::NoAck);
    clients.publisher("fire", 20);
    settle(&vhost, "fire", 1, "deliver_no_ack");
    let report = doctor(&vhost, &dir, "fire", Code::Success);
    assert_eq!(ids(&report), ["auto-ack"], "{report:#}");
    drop(clients);
}

#[test]
fn publishes_that_the_bindings_route_elsewhere() {
    let node = shared_node();
    let (vhost, dir) = (TestVhost::new(node, "dr-route"), TestDir::new("dr-route"));
    vhost.queue("eu", CLASSIC);
    vhost.exchange("orders", "topic");
    vhost.bind("orders", "eu", "eu.*");
    let clients = Clients::new(node, &vhost.name);
    clients.consumer("eu", 10, Behaviour::Ack);
    clients.publisher_to("orders", "us.new", 20);
    // The exchange's counter is listed once it counted something.
    let path = format!("/api/exchanges/{}/orders", encode(&vhost.name));
    wait_for(Duration::from_secs(30), || {
        let (_, body) = node.api("GET", &path, None);
        (body.contains("\"publish_in\""), ())
    });
    settle(&vhost, "eu", 1, "");
    let report = doctor(&vhost, &dir, "eu", Code::Success);
    assert_eq!(ids(&report), ["routing"], "{report:#}");
    assert!(
        evidence(
            &report,
            "routing",
            "bound exchanges that received publishes"
        )
        .starts_with("orders (+"),
        "{report:#}"
    );
    assert_eq!(
        report["findings"][0]["next"],
        format!("warren route orders KEY --vhost {}", vhost.name)
    );
    drop(clients);
}

#[test]
fn a_slow_consumer_with_a_prefetch_of_one_falls_behind() {
    let node = shared_node();
    let (vhost, dir) = (TestVhost::new(node, "dr-slow"), TestDir::new("dr-slow"));
    vhost.queue("slow", CLASSIC);
    let clients = Clients::new(node, &vhost.name);
    clients.consumer("slow", 1, Behaviour::SlowAck(100));
    clients.publisher("slow", 40);
    settle(&vhost, "slow", 1, "ack");
    let report = doctor(&vhost, &dir, "slow", Code::FindingsOrDrift);
    assert_eq!(
        ids(&report),
        ["consumers-saturated", "prefetch-starved"],
        "{report:#}"
    );
    assert_eq!(
        evidence(&report, "consumers-saturated", "time to drain"),
        "never (acks are slower than publishes)"
    );
    assert_eq!(evidence(&report, "prefetch-starved", "prefetch"), "1");
    drop(clients);
}

/// A node of its own: the alarm blocks every publisher on it.
#[test]
fn a_memory_alarm_blocks_the_publishers() {
    let node = Node::start("doctor-alarm", &[]);
    let (vhost, dir) = (TestVhost::new(&node, "dr-alarm"), TestDir::new("dr-alarm"));
    vhost.queue("blocked", CLASSIC);
    let clients = Clients::new(&node, &vhost.name);
    clients.consumer("blocked", 10, Behaviour::Ack);
    clients.publisher("blocked", 20);
    settle(&vhost, "blocked", 1, "ack");
    let set = node.ctl(&["set_vm_memory_high_watermark", "0.000001"]);
    assert!(set.status.success(), "{set:?}");
    // The connections show as blocked once the publisher tries again and stats catch up.
    // The API shows the alarm and the blocked connections a stats interval later.
    let (blocked, connections) = wait_for(Duration::from_secs(30), || {
        let path = format!("/api/vhosts/{}/connections", encode(&vhost.name));
        let (_, body) = node.api("GET", &path, None);
        let (_, nodes) = node.api("GET", "/api/nodes", None);
        let seen = body.contains("\"blocked\"") && nodes.contains("\"mem_alarm\":true");
        (seen, (seen, format!("{body}\n{nodes}")))
    });
    let report = blocked.then(|| doctor(&vhost, &dir, "blocked", Code::FindingsOrDrift));
    let restore = node.ctl(&["set_vm_memory_high_watermark", "0.4"]);
    assert!(restore.status.success(), "{restore:?}");
    let report = report.unwrap_or_else(|| panic!("no connection shown blocked: {connections}"));
    assert_eq!(ids(&report), ["broker-throttling"], "{report:#}");
    assert_eq!(
        evidence(&report, "broker-throttling", "alarms"),
        format!("{}: memory alarm", node.var("NODE"))
    );
    assert!(
        evidence(&report, "broker-throttling", "connections").contains("(blocked)"),
        "{report:#}"
    );
    drop(clients);
}

#[test]
fn top_lists_the_sick_queues_first_among_a_thousand() {
    let node = shared_node();
    let (vhost, dir) = (TestVhost::new(node, "dr-top"), TestDir::new("dr-top"));
    // 1,000 queues by one definitions import, 10 of them fed with no consumer.
    let queues: Vec<Value> = (0..1000)
        .map(|i| {
            serde_json::json!({"name": format!("q{i:04}"), "vhost": vhost.name, "durable": true,
                "auto_delete": false, "arguments": {}})
        })
        .collect();
    node.api_ok(
        "POST",
        &format!("/api/definitions/{}", encode(&vhost.name)),
        Some(&serde_json::json!({ "queues": queues }).to_string()),
    );
    let sick: Vec<String> = (0..10).map(|i| format!("q{:04}", i * 97 + 3)).collect();
    let clients = Clients::new(node, &vhost.name);
    for q in &sick {
        clients.publisher(q, 20);
    }
    settle(&vhost, &sick[9], 0, "publish");
    let run = vhost
        .warren(&dir)
        .args(["doctor", "--top", "5", "--window", "4s", "-o", "json"])
        .within(Duration::from_secs(60))
        .fails_with(Code::FindingsOrDrift.as_i32());
    let report = run.json();
    assert_eq!(report["queues"], 1000, "{report:#}");
    let ranked: Vec<&str> = report["ranked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["queue"].as_str().unwrap())
        .collect();
    assert_eq!(ranked.len(), 5, "{report:#}");
    for q in &ranked {
        assert!(sick.iter().any(|s| s == q), "{q} is not sick: {report:#}");
    }
    let reports = report["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 5);
    for r in reports {
        assert_eq!(ids(r), ["no-consumers"], "{r:#}");
    }
    drop(clients);
}

#[test]
fn bad_input_is_refused_before_anything_is_read() {
    let dir = TestDir::new("dr-usage");
    let long = "q".repeat(300);
    for (args, says) in [
        (vec!["doctor", long.as_str()], "300"),
        (vec!["doctor"], "required"),
        (vec!["doctor", "q", "--window", "500ms"], "from 1s up to 1m"),
        (vec!["doctor", "q", "--window", "2m"], "from 1s up to 1m"),
        (vec!["doctor", "q", "--top", "3"], "cannot be used with"),
        (vec!["doctor", "--top", "0"], "0 is not in 1..=100"),
    ] {
        dir.warren()
            .args(&args)
            .fails_with(Code::Usage.as_i32())
            .says(says);
    }
    // A missing queue: exit as every command's not-found.
    let node = shared_node();
    let vhost = TestVhost::new(node, "dr-missing");
    vhost
        .warren(&dir)
        .args(["doctor", "nope", "--window", "1s"])
        .fails_with(Code::BrokerRefused.as_i32())
        .says("queue `nope` not found");
}
