//! `warren audit` findings that were wrong before (issue 15), each against a real node set up
//! for it: a consumer limited only by its channel's global prefetch (Q008), dead-letter queues
//! fed through a DLX with a routing key or through the default exchange (Q005), and a shovel
//! and a federation link connected as an administrator (SEC005).

mod support;

use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;
use support::{Node, PlantedNode, TestDir, admin_audit, audit_rule as rule, wait_for};

const VHOST: &str = "findings";
const APP_ADMIN_PASSWORD: &str = "Vq8-findings-admin-not-weak-2653";

/// The node, with the AMQP connection whose consumers must stay open while the audits run.
fn setup() -> &'static PlantedNode {
    static SETUP: OnceLock<PlantedNode> = OnceLock::new();
    SETUP.get_or_init(plant)
}

fn plant() -> PlantedNode {
    let node = Node::start(
        "audit-findings",
        &[
            "--plugins",
            "rabbitmq_shovel,rabbitmq_shovel_management,rabbitmq_federation",
        ],
    );
    let put = |node: &Node, path: &str, body: &str| {
        node.api_ok("PUT", path, Some(body));
    };
    let v = VHOST;
    // A kept node holds an earlier run's plants: start from an empty vhost.
    node.api("DELETE", &format!("/api/vhosts/{v}"), None);
    put(&node, &format!("/api/vhosts/{v}"), "{}");
    put(
        &node,
        "/api/users/app-admin",
        &format!(r#"{{"password":"{APP_ADMIN_PASSWORD}","tags":"administrator"}}"#),
    );
    for user in [node.admin_user(), "app-admin"] {
        put(
            &node,
            &format!("/api/permissions/{v}/{user}"),
            r#"{"configure":".*","write":".*","read":".*"}"#,
        );
    }

    // Q005: `orders` dead-letters through the direct exchange `orders.dlx` with the key
    // `dead`, which `orders.dead` is bound with (a DLQ: exempt) and `orders.other` is not
    // (no DLQ of anyone: a finding). `retry` dead-letters through the default exchange
    // straight into `parking` (exempt). `plain` is nobody's DLQ (a finding).
    put(
        &node,
        &format!("/api/exchanges/{v}/orders.dlx"),
        r#"{"type":"direct","durable":true}"#,
    );
    put(
        &node,
        &format!("/api/queues/{v}/orders"),
        r#"{"durable":true,"arguments":{"x-dead-letter-exchange":"orders.dlx","x-dead-letter-routing-key":"dead"}}"#,
    );
    put(
        &node,
        &format!("/api/queues/{v}/retry"),
        r#"{"durable":true,"arguments":{"x-dead-letter-exchange":"","x-dead-letter-routing-key":"parking"}}"#,
    );
    // Q013: quorum queues that drop at their delivery limit (4.x's default of 20, or their
    // own) for want of a dead-letter target, and one that has it.
    for (q, arguments) in [
        ("qq.nodlx", r#"{"x-queue-type":"quorum"}"#),
        (
            "qq.limited",
            r#"{"x-queue-type":"quorum","x-delivery-limit":5}"#,
        ),
        (
            "qq.dlx",
            // The same dead-letter target as `orders`: Q005's exemptions stay as they are.
            r#"{"x-queue-type":"quorum","x-dead-letter-exchange":"orders.dlx","x-dead-letter-routing-key":"dead"}"#,
        ),
    ] {
        put(
            &node,
            &format!("/api/queues/{v}/{q}"),
            &format!(r#"{{"durable":true,"arguments":{arguments}}}"#),
        );
    }
    for q in ["orders.dead", "orders.other", "parking", "plain", "work"] {
        put(
            &node,
            &format!("/api/queues/{v}/{q}"),
            r#"{"durable":true}"#,
        );
    }
    for (q, key) in [("orders.dead", "dead"), ("orders.other", "other")] {
        node.api_ok(
            "POST",
            &format!("/api/bindings/{v}/e/orders.dlx/q/{q}"),
            Some(&format!(r#"{{"routing_key":"{key}"}}"#)),
        );
    }

    // SEC005: a shovel and a federation link, both connected as the administrator app-admin.
    let amqp_port = node.port("AMQP_PORT");
    let admin_uri = format!("amqp://app-admin:{APP_ADMIN_PASSWORD}@localhost:{amqp_port}/{v}");
    // (`local-src` and `local-dst` are for the local shovel below.)
    for q in ["shovel-src", "shovel-dst", "local-src", "local-dst"] {
        put(
            &node,
            &format!("/api/queues/{v}/{q}"),
            r#"{"durable":true}"#,
        );
    }
    put(
        &node,
        &format!("/api/parameters/shovel/{v}/admin-shovel"),
        &format!(
            r#"{{"value":{{"src-uri":"{admin_uri}","src-queue":"shovel-src","dest-uri":"{admin_uri}","dest-queue":"shovel-dst"}}}}"#
        ),
    );
    put(
        &node,
        &format!("/api/exchanges/{v}/fed.x"),
        r#"{"type":"fanout","durable":true}"#,
    );
    put(
        &node,
        &format!("/api/parameters/federation-upstream/{v}/up"),
        &format!(r#"{{"value":{{"uri":"{admin_uri}"}}}}"#),
    );
    put(
        &node,
        &format!("/api/policies/{v}/fed"),
        r#"{"pattern":"^fed\\.","definition":{"federation-upstream-set":"all"},"apply-to":"exchanges"}"#,
    );

    // RabbitMQ 4.2+ runs a shovel inside the node with `local` ends: no connection and no
    // channel, and its consumer on `local-src` reports prefetch 0 while the shovel's own
    // credit (src-prefetch-count) limits it. Nothing about it is a finding.
    if node.version() == "4.3" {
        put(
            &node,
            &format!("/api/parameters/shovel/{v}/local-shovel"),
            r#"{"value":{"src-protocol":"local","src-uri":"amqp://","src-queue":"local-src","dest-protocol":"local","dest-uri":"amqp://","dest-queue":"local-dst"}}"#,
        );
    }

    // Q008: `global-qos` consumes on a channel with basic.qos(prefetch 10, global): limited,
    // though the consumer's own prefetch_count is 0. `no-prefetch` has no limit at all.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let uri = format!(
        "amqp://{}:{}@localhost:{amqp_port}/{v}",
        node.admin_user(),
        node.admin_password()
    );
    let (connection, channels, consumers) = runtime.block_on(async {
        use lapin::options::{BasicConsumeOptions, BasicQosOptions};
        use lapin::types::FieldTable;
        let connection = lapin::Connection::connect(&uri, lapin::ConnectionProperties::default())
            .await
            .expect("connecting");
        let global = connection.create_channel().await.expect("channel");
        global
            .basic_qos(10, BasicQosOptions { global: true })
            .await
            .expect("basic.qos global");
        let none = connection.create_channel().await.expect("channel");
        let mut consumers = Vec::new();
        for (channel, tag) in [(&global, "global-qos"), (&none, "no-prefetch")] {
            consumers.push(
                channel
                    .basic_consume(
                        "work".into(),
                        tag.into(),
                        BasicConsumeOptions::default(),
                        FieldTable::default(),
                    )
                    .await
                    .expect("consumer"),
            );
        }
        (connection, vec![global, none], consumers)
    });
    // The management API's lists are fed by stats events: wait until everything shows.
    let (ready, seen) = wait_for(Duration::from_secs(60), || {
        let (_, consumers) = node.api("GET", &format!("/api/consumers/{v}"), None);
        // 4.3.6 lists a local shovel's consumer under the vhost `/`, whatever its own.
        let (_, all_consumers) = node.api("GET", "/api/consumers", None);
        let (_, channels) = node.api("GET", &format!("/api/vhosts/{v}/channels"), None);
        let (_, connections) = node.api("GET", "/api/connections", None);
        let ready = consumers.contains("global-qos")
            && consumers.contains("no-prefetch")
            // RabbitMQ 4.0 no longer lists a channel's global prefetch (see the Q008 test).
            && (node.is_4x() || channels.contains("\"global_prefetch_count\":10"))
            && connections.contains("Shovel admin-shovel")
            && connections.contains("Federation link")
            && (node.version() != "4.3" || all_consumers.contains("\"local-src\""));
        (
            ready,
            (ready, format!("{consumers}\n{channels}\n{connections}")),
        )
    });
    assert!(
        ready,
        "the planted consumers, channels and links never showed: {seen}"
    );
    PlantedNode {
        node,
        _runtime: runtime,
        _connection: connection,
        _channels: channels,
        _consumers: consumers,
    }
}

fn audit_json(node: &Node, dir: &TestDir, rules: &[&str]) -> Value {
    let mut cmd = admin_audit(node, dir);
    cmd.args(["--output", "json", "--fail-on", "critical"]);
    for r in rules {
        cmd.args(["--rule", r]);
    }
    cmd.succeeds().json()
}

/// (object name, message) of one rule's findings in `VHOST`.
fn findings(report: &Value, id: &str) -> Vec<(String, String)> {
    rule(report, id)["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["object"]["vhost"] == VHOST)
        .map(|f| {
            (
                f["object"]["name"].as_str().unwrap_or("").to_string(),
                f["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn q008_counts_the_channels_global_prefetch() {
    let s = setup();
    let dir = TestDir::new("audit-findings-q008");
    let report = audit_json(&s.node, &dir, &["Q008"]);
    let found = findings(&report, "Q008");
    assert!(
        !found.iter().any(|(n, _)| n.contains("(global-qos)")),
        "a consumer limited by its channel's global prefetch of 10 was flagged: {found:#?}"
    );
    if s.node.version() == "4.3" {
        // 4.3 denies global QoS and applies a channel's prefetch per consumer: the consumer
        // without a prefetch of its own is unlimited, and it is decided, not unknown.
        let q008 = rule(&report, "Q008");
        assert_eq!(q008["status"], "finding", "{q008:#}");
        assert!(
            found
                .iter()
                .any(|(n, m)| n.contains("(no-prefetch)") && m.contains("denies global QoS")),
            "the consumer without any prefetch limit was not found: {found:#?}"
        );
    } else if s.node.is_4x() {
        // 4.0 dropped global_prefetch_count from the channel statistics (rabbit_channel's
        // STATISTICS_KEYS) while basic.qos(global) still works: neither consumer's limit is
        // known, and the rule says so instead of passing or guessing.
        let q008 = rule(&report, "Q008");
        assert_eq!(q008["status"], "not_checked", "{q008:#}");
        let reason = q008["reason"].as_str().unwrap_or("");
        for part in ["global_prefetch_count", "(global-qos)", "(no-prefetch)"] {
            assert!(reason.contains(part), "{part} not in: {reason}");
        }
    } else {
        assert!(
            found.iter().any(|(n, _)| n.contains("(no-prefetch)")),
            "the consumer without any prefetch limit was not found: {found:#?}"
        );
    }
}

#[test]
fn a_local_shovel_is_neither_an_unlimited_consumer_nor_a_remote_link() {
    let s = setup();
    if s.node.version() != "4.3" {
        // Local shovels came with 4.2: 3.10 and 4.0 refuse `src-protocol: local` (with a 500
        // from the shovel plugin's protocol lookup), so there is nothing to judge there.
        let path = format!("/api/parameters/shovel/{VHOST}/local-shovel");
        let (status, body) = s.node.api(
            "PUT",
            &path,
            Some(r#"{"value":{"src-protocol":"local","src-uri":"amqp://","src-queue":"x","dest-protocol":"local","dest-uri":"amqp://","dest-queue":"y"}}"#),
        );
        assert!(status >= 400, "{status} {body}");
        assert_eq!(s.node.api("GET", &path, None).0, 404);
        return;
    }
    let dir = TestDir::new("audit-findings-local-shovel");
    let report = audit_json(&s.node, &dir, &["Q008", "SEC005", "SEC012"]);
    for id in ["Q008", "SEC005", "SEC012"] {
        // In any vhost: 4.3.6 lists a local shovel's consumer under `/`.
        let local: Vec<&Value> = rule(&report, id)["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f.to_string().contains("local"))
            .collect();
        assert!(
            local.is_empty(),
            "{id} flagged the local shovel: {local:#?}"
        );
    }
    // The rule still decides the consumer that is unlimited.
    assert_eq!(rule(&report, "Q008")["status"], "finding", "{report:#}");
}

#[test]
fn q013_finds_quorum_queues_that_drop_at_their_delivery_limit() {
    let s = setup();
    let dir = TestDir::new("audit-findings-q013");
    let report = audit_json(&s.node, &dir, &["Q013"]);
    let found: Vec<(String, String)> = findings(&report, "Q013")
        .into_iter()
        .filter(|(n, _)| n.starts_with("qq."))
        .collect();
    let mut expected = vec![(
        "qq.limited".to_string(),
        "a message delivered more than 5 times is dropped (limit from its x-delivery-limit \
         argument), as the queue has no dead-letter exchange (argument or policy)"
            .to_string(),
    )];
    if s.node.is_4x() {
        // 4.0 made 20 the default delivery limit of quorum queues.
        expected.push((
            "qq.nodlx".to_string(),
            "a message delivered more than 20 times is dropped (limit from RabbitMQ 4.x's \
             default), as the queue has no dead-letter exchange (argument or policy)"
                .to_string(),
        ));
    }
    let mut found = found;
    found.sort();
    expected.sort();
    assert_eq!(found, expected, "{report:#}");
}

#[test]
fn q005_exempts_dead_letter_queues() {
    let s = setup();
    let dir = TestDir::new("audit-findings-q005");
    let report = audit_json(&s.node, &dir, &["Q005"]);
    let names: Vec<String> = findings(&report, "Q005")
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    for dlq in ["orders.dead", "parking"] {
        assert!(
            !names.iter().any(|n| n == dlq),
            "the dead-letter queue `{dlq}` was flagged for having no DLX: {names:?}"
        );
    }
    // Bound to the DLX with another key than the dead-letter one: nobody's DLQ.
    for q in ["plain", "orders.other"] {
        assert!(names.iter().any(|n| n == q), "`{q}` not flagged: {names:?}");
    }
}

#[test]
fn sec005_names_shovels_and_federation_links() {
    let s = setup();
    let dir = TestDir::new("audit-findings-sec005");
    let report = audit_json(&s.node, &dir, &["SEC005"]);
    let found = findings(&report, "SEC005");
    let shovel: Vec<&String> = found
        .iter()
        .map(|(_, m)| m)
        .filter(|m| m.contains("shovel `admin-shovel`"))
        .collect();
    // The shovel connects to its source and to its destination.
    assert_eq!(shovel.len(), 2, "SEC005: {found:#?}");
    assert!(
        found
            .iter()
            .any(|(_, m)| m.contains("federation link") && m.contains("upstream: up")),
        "SEC005: {found:#?}"
    );
    // The test's own consumers connect as the node's administrator: an application indeed.
    for (_, m) in found.iter().filter(|(_, m)| m.contains("`app-admin`")) {
        assert!(
            !m.contains("an application"),
            "a shovel or federation link called an application: {m}"
        );
    }
}
