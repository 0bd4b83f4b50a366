//! `warren audit` against real RabbitMQ nodes: a "planted" node with deliberate problems, a
//! hardened TLS-only node, and a non-administrator auditing the shared node.

mod support;

use std::process::Command;
use std::sync::OnceLock;

use serde_json::{Value, json};
use support::{Node, TestDir, TestVhost, admin_audit, audit_rule, encode, shared_node};
use warren::exit::Code;

const PLANTED_VHOST: &str = "planted";
const APP_ADMIN_PASSWORD: &str = "Vq8-app-admin-not-weak-3141";
const SHOVEL_PASSWORD: &str = "s3cret-shovel-pw-2718";
/// bob's password is `bob123`: a weak password the audit must find but never print.
const BOB_PASSWORD: &str = "bob123";

/// The planted node's options: guest may log in from anywhere, CORS allows any origin, and
/// the Prometheus endpoint is on (3.10's answers without credentials).
const PLANTED_OPTIONS: &[&str] = &[
    "--plugins",
    "rabbitmq_shovel,rabbitmq_shovel_management,rabbitmq_prometheus",
    "--conf",
    "loopback_users = none",
    "--conf",
    "management.cors.allow_origins.1 = *",
];

/// The planted node, set up once per test binary, with the AMQP connections that must stay
/// open while the audits run (an app connected as an administrator, an auto-ack consumer and
/// a consumer without basic.qos).
use support::PlantedNode as Planted;

fn planted() -> &'static Planted {
    static PLANTED: OnceLock<Planted> = OnceLock::new();
    PLANTED.get_or_init(plant)
}

fn put(node: &Node, path: &str, body: &str) {
    node.api_ok("PUT", path, Some(body));
}

fn plant() -> Planted {
    let node = match capture_variant() {
        None => Node::start("audit-planted", PLANTED_OPTIONS),
        Some((variant, conf)) => {
            let mut options = PLANTED_OPTIONS.to_vec();
            options.extend(["--conf", conf]);
            Node::start(&format!("audit-planted-{variant}"), &options)
        }
    };
    let v = PLANTED_VHOST;
    put(&node, &format!("/api/vhosts/{v}"), "{}");
    let full = r#"{"configure":".*","write":".*","read":".*"}"#;
    put(
        &node,
        &format!("/api/permissions/{v}/{}", node.admin_user()),
        full,
    );
    // A user whose password equals its name, with wildcard permissions.
    put(
        &node,
        "/api/users/weakling",
        r#"{"password":"weakling","tags":""}"#,
    );
    put(&node, &format!("/api/permissions/{v}/weakling"), full);
    // bob: password user name + 123, and no permissions anywhere.
    put(
        &node,
        "/api/users/bob",
        &format!(r#"{{"password":"{BOB_PASSWORD}","tags":""}}"#),
    );
    // An extra administrator that an application uses.
    put(
        &node,
        "/api/users/app-admin",
        &format!(r#"{{"password":"{APP_ADMIN_PASSWORD}","tags":"administrator"}}"#),
    );
    put(&node, &format!("/api/permissions/{v}/app-admin"), full);
    // Classic mirroring, for Q001. RabbitMQ 4.x removed it and refuses `ha-*` policy
    // keys; there Q001 reads the deprecated features in use instead, and a transient
    // non-exclusive queue is one (`transient_nonexcl_queues`, deprecated in 4.0).
    let (status, body) = node.api(
        "PUT",
        &format!("/api/policies/{v}/ha-all"),
        Some(r#"{"pattern":"^ha\\.","definition":{"ha-mode":"all"},"apply-to":"queues"}"#),
    );
    if node.is_4x() {
        assert!(
            status == 400 && body.contains("not recognised policy settings"),
            "RabbitMQ {} took a classic mirroring policy: {status} {body}",
            node.version()
        );
        put(
            &node,
            &format!("/api/queues/{v}/transient-q"),
            r#"{"durable":false,"auto_delete":false}"#,
        );
    } else {
        assert!(
            (200..300).contains(&status),
            "PUT ha-all -> {status}: {body}"
        );
    }
    // A lazy queue, a queue without DLX or bound, and the consumers' queue.
    put(
        &node,
        &format!("/api/queues/{v}/lazy-q"),
        r#"{"durable":true,"arguments":{"x-queue-mode":"lazy"}}"#,
    );
    put(
        &node,
        &format!("/api/queues/{v}/plain-q"),
        r#"{"durable":true,"arguments":{}}"#,
    );
    put(
        &node,
        &format!("/api/queues/{v}/consumed"),
        r#"{"durable":true,"arguments":{"x-dead-letter-exchange":"dlx","x-max-length":1000}}"#,
    );
    // A shovel whose destination URI holds a password.
    put(
        &node,
        "/api/users/shovel",
        &format!(r#"{{"password":"{SHOVEL_PASSWORD}","tags":""}}"#),
    );
    put(&node, &format!("/api/permissions/{v}/shovel"), full);
    let amqp_port = node.port("AMQP_PORT");
    put(
        &node,
        &format!("/api/parameters/shovel/{v}/leaky"),
        &format!(
            r#"{{"value":{{"src-uri":"amqp:///{v}","src-queue":"plain-q","dest-uri":"amqp://shovel:{SHOVEL_PASSWORD}@localhost:{amqp_port}/{v}","dest-queue":"shovelled"}}}}"#
        ),
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let uri = format!("amqp://app-admin:{APP_ADMIN_PASSWORD}@localhost:{amqp_port}/{v}");
    let (connection, channels, consumers) = runtime.block_on(async {
        use lapin::options::BasicConsumeOptions;
        use lapin::types::FieldTable;
        let connection = lapin::Connection::connect(&uri, lapin::ConnectionProperties::default())
            .await
            .expect("connecting as app-admin");
        let auto_ack = connection.create_channel().await.expect("channel");
        let no_qos = connection.create_channel().await.expect("channel");
        let c1 = auto_ack
            .basic_consume(
                "consumed".into(),
                "auto-acker".into(),
                BasicConsumeOptions {
                    no_ack: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await
            .expect("auto-ack consumer");
        let c2 = no_qos
            .basic_consume(
                "consumed".into(),
                "no-prefetch".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .expect("prefetch-0 consumer");
        (connection, vec![auto_ack, no_qos], vec![c1, c2])
    });
    // The management API's connection and consumer lists are fed by stats events; with
    // statistics off (a capture variant) they never fill, so give the events a moment.
    if capture_variant().is_some() {
        std::thread::sleep(std::time::Duration::from_secs(6));
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (_, consumers) = node.api("GET", &format!("/api/consumers/{v}"), None);
        let (_, connections) = node.api("GET", "/api/connections", None);
        if capture_variant().is_some()
            || consumers.contains("no-prefetch")
                && consumers.contains("auto-acker")
                && connections.contains("app-admin")
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "consumers never showed: {consumers}"
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    Planted {
        node,
        _runtime: runtime,
        _connection: connection,
        _channels: channels,
        _consumers: consumers,
    }
}

/// Findings of one rule in the JSON report: (object kind, vhost, name, message).
fn findings(report: &Value, id: &str) -> Vec<(String, String, String, String)> {
    audit_rule(report, id)["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let s = |v: &Value| v.as_str().unwrap_or("").to_string();
            (
                s(&f["object"]["kind"]),
                s(&f["object"]["vhost"]),
                s(&f["object"]["name"]),
                s(&f["message"]),
            )
        })
        .collect()
}

fn status(report: &Value, id: &str) -> String {
    audit_rule(report, id)["status"]
        .as_str()
        .unwrap_or_else(|| panic!("rule {id} has no status"))
        .to_string()
}

fn assert_finding(report: &Value, id: &str, kind: &str, name_contains: &str) {
    let found = findings(report, id);
    assert!(
        found
            .iter()
            .any(|(k, _, n, _)| k == kind && n.contains(name_contains)),
        "expected a {id} finding on {kind} `{name_contains}`; {id} found: {found:#?}"
    );
}

#[test]
fn planted_node_yields_each_expected_finding() {
    let planted = planted();
    let dir = TestDir::new("audit-planted");
    let run = admin_audit(&planted.node, &dir)
        .args(["--output", "json"])
        .fails_with(Code::FindingsOrDrift.as_i32());
    // Passwords found offline, or present in a shovel URI, are never printed.
    run.never_says(BOB_PASSWORD)
        .never_says(SHOVEL_PASSWORD)
        .never_says(APP_ADMIN_PASSWORD);
    let report = run.json();
    assert_finding(&report, "SEC003", "user", "weakling");
    assert_finding(&report, "SEC003", "user", "bob");
    assert!(
        !findings(&report, "SEC003")
            .iter()
            .any(|(_, _, n, _)| n == "app-admin" || n == "shovel"),
        "strong passwords flagged: {:#?}",
        findings(&report, "SEC003")
    );
    let admin_connections: Vec<_> = findings(&report, "SEC005")
        .into_iter()
        .filter(|(k, _, _, m)| k == "connection" && m.contains("app-admin"))
        .collect();
    assert!(
        !admin_connections.is_empty(),
        "no SEC005 finding for the app connected as app-admin: {:#?}",
        findings(&report, "SEC005")
    );
    assert_finding(&report, "SEC007", "permission", "weakling");
    assert!(
        !findings(&report, "SEC007")
            .iter()
            .any(|(_, _, n, _)| n == planted.node.admin_user() || n == "app-admin"),
        "administrators flagged for wildcard permissions"
    );
    // The Q001 plant differs by version (see plant).
    let (q001_kind, q001_name, q001_line) = if planted.node.is_4x() {
        (
            "cluster",
            "transient_nonexcl_queues",
            "cluster transient_nonexcl_queues",
        )
    } else {
        ("policy", "ha-all", "policy planted/ha-all")
    };
    assert_finding(&report, "Q001", q001_kind, q001_name);
    assert_finding(&report, "Q003", "queue", "lazy-q");
    assert_finding(&report, "Q005", "queue", "plain-q");
    assert_finding(&report, "Q006", "queue", "plain-q");
    assert!(
        !findings(&report, "Q005")
            .iter()
            .chain(findings(&report, "Q006").iter())
            .any(|(_, _, n, _)| n == "consumed"),
        "the queue with DLX and max-length was flagged"
    );
    assert_finding(&report, "Q009", "consumer", "auto-acker");
    if planted.node.version() == "4.3" {
        // 4.3 denies global QoS (a channel's prefetch applies per consumer): a consumer
        // without a prefetch of its own is unlimited, decided.
        assert_finding(&report, "Q008", "consumer", "no-prefetch");
    } else if planted.node.is_4x() {
        // 4.0 no longer reports a channel's global prefetch (basic.qos(global=true)), so a
        // consumer without a prefetch of its own may still be limited: unknown, not a finding.
        assert_eq!(status(&report, "Q008"), "not_checked");
    } else {
        assert_finding(&report, "Q008", "consumer", "no-prefetch");
    }
    assert!(
        !findings(&report, "Q008")
            .iter()
            .any(|(_, _, n, _)| n.contains("auto-acker")),
        "an auto-ack consumer has no acks to prefetch"
    );
    assert_finding(&report, "SEC012", "parameter", "leaky");
    assert_finding(&report, "RES009", "vhost", PLANTED_VHOST);
    let http_port = planted.node.port("MGMT_PORT").to_string();
    assert_finding(&report, "NET001", "listener", &http_port);
    assert_finding(&report, "SEC002", "user", "guest");
    // Not reported on 3.10 and not a probe run: not checked, never passed.
    assert_eq!(status(&report, "SEC001"), "not_checked");
    assert_eq!(status(&report, "NET007"), "not_checked");
    assert_eq!(status(&report, "NET005"), "not_checked");

    // The table groups by severity and names the objects.
    let table = admin_audit(&planted.node, &dir).fails_with(Code::FindingsOrDrift.as_i32());
    table
        .says("HIGH (")
        .says("MEDIUM (")
        .says("user weakling")
        .says(q001_line)
        .says("NOT CHECKED")
        .never_says(BOB_PASSWORD)
        .never_says(SHOVEL_PASSWORD);
}

#[test]
fn exit_code_follows_fail_on() {
    let planted = planted();
    let dir = TestDir::new("audit-failon");
    // Nothing critical is planted (no alarms; the guest probe needs --probe).
    admin_audit(&planted.node, &dir)
        .args(["--fail-on", "critical"])
        .succeeds();
    admin_audit(&planted.node, &dir)
        .args(["--fail-on", "high"])
        .fails_with(Code::FindingsOrDrift.as_i32())
        .says("at or above high");
    // RES009 (no vhost limits) is medium: it fails at medium and below, not at high.
    admin_audit(&planted.node, &dir)
        .args(["--rule", "RES009", "--fail-on", "high"])
        .succeeds();
    admin_audit(&planted.node, &dir)
        .args(["--rule", "RES009", "--fail-on", "medium"])
        .fails_with(Code::FindingsOrDrift.as_i32());
    // --skip removes a rule; an unknown id is a usage error that names the catalogue.
    let report = admin_audit(&planted.node, &dir)
        .args(["--skip", "SEC003", "--fail-on", "critical", "-o", "json"])
        .succeeds()
        .json();
    assert!(
        !report["rules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == "SEC003")
    );
    admin_audit(&planted.node, &dir)
        .args(["--rule", "SEC999"])
        .fails_with(Code::Usage.as_i32())
        .says("unknown rule `SEC999`");
}

#[test]
fn probes_find_remote_guest_open_cors_and_open_metrics() {
    let planted = planted();
    let dir = TestDir::new("audit-probe");
    let node = &planted.node;
    // Without --probe nothing is sent: the probe rules are not checked.
    let quiet = admin_audit(node, &dir)
        .args([
            "--rule", "SEC001", "--rule", "NET006", "--rule", "NET007", "-o", "json",
        ])
        .succeeds()
        .json();
    for id in ["SEC001", "NET006", "NET007"] {
        assert_eq!(status(&quiet, id), "not_checked", "{id}");
    }
    // From a test host in a network namespace of its own, the broker sees a remote client;
    // nothing leaves this machine.
    let test_host = support::TestHost::new();
    let host = test_host.host_addr.clone();
    let run = dir
        .warren_on(&test_host)
        .args(["audit", "--probe", "-o", "json"])
        .args(["--rule", "SEC001", "--rule", "NET006", "--rule", "NET007"])
        .args([
            "--uri",
            &format!(
                "amqp://{}@{host}:{}/%2f",
                node.admin_user(),
                node.port("AMQP_PORT")
            ),
        ])
        .args([
            "--api-url",
            &format!("http://{host}:{}", node.port("MGMT_PORT")),
        ])
        .arg("--password-file")
        .arg(node.admin_password_file())
        .fails_with(Code::FindingsOrDrift.as_i32());
    let report = run.json();
    assert_finding(&report, "SEC001", "user", "guest");
    assert_finding(&report, "NET007", "listener", "/api/overview");
    assert_finding(&report, "NET006", "listener", "/metrics");
    // Against a loopback target, where guest may always log in, the guest probe dials this
    // machine's non-loopback address instead: found from here too (it used to be "not
    // checked", which let `--fail-on critical` pass with guest open to the network).
    let local = admin_audit(node, &dir)
        .args(["--probe", "--rule", "SEC001", "-o", "json"])
        .fails_with(Code::FindingsOrDrift.as_i32())
        .json();
    assert_finding(&local, "SEC001", "user", "guest");
    let (_, _, _, message) = &findings(&local, "SEC001")[0];
    assert!(message.contains("non-loopback address"), "{message}");
}

/// The structure GitHub code scanning needs, checked in Rust.
fn assert_sarif_structure(log: &Value) {
    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"].as_str().is_some_and(|s| s.contains("sarif")));
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "warren");
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert!(rules.len() >= 30, "{} rules", rules.len());
    assert!(rules.iter().all(|r| r["id"].is_string()));
    let results = run["results"].as_array().expect("results");
    assert!(!results.is_empty());
    for r in results {
        let id = r["ruleId"].as_str().expect("ruleId");
        let index = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], id);
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap()));
        assert!(r["message"]["text"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(!r["locations"].as_array().expect("locations").is_empty());
    }
}

/// Validate with the official SARIF 2.1.0 JSON schema (vendored in tests/fixtures/sarif/),
/// in Rust (the `jsonschema` crate), so the check can't be skipped for a missing tool.
fn validate_with_official_schema(log: &Value) {
    let path = support::repo().join("tests/fixtures/sarif/sarif-2.1.0-rtm.5.json");
    let mut schema: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("the vendored SARIF schema"))
            .expect("the SARIF schema is JSON");
    // The published schema's invalid language regex (a stray `]`), as later schema versions
    // fix it: the validator checks a schema's own regexes and refuses it otherwise.
    fn fix_language_patterns(v: &mut Value) -> usize {
        match v {
            Value::Object(map) => {
                let mut fixed = 0;
                if map.get("pattern").and_then(Value::as_str)
                    == Some("^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$")
                {
                    map.insert(
                        "pattern".into(),
                        json!("^[a-zA-Z]{2}$|^[a-zA-Z]{2}-[a-zA-Z]{2}$"),
                    );
                    fixed += 1;
                }
                fixed + map.values_mut().map(fix_language_patterns).sum::<usize>()
            }
            Value::Array(items) => items.iter_mut().map(fix_language_patterns).sum(),
            _ => 0,
        }
    }
    assert!(
        fix_language_patterns(&mut schema) > 0,
        "the schema changed: recheck the fix"
    );
    let validator = jsonschema::draft4::new(&schema).expect("the SARIF schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF does not validate against the 2.1.0 schema:\n{}",
        errors.join("\n")
    );
}

#[test]
fn the_schema_check_catches_invalid_sarif() {
    let mut log = json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "warren"}}}]});
    validate_with_official_schema(&log);
    log["runs"][0]["results"] = json!([{"level": "fatal", "message": {"text": "x"}}]);
    let caught = std::panic::catch_unwind(|| validate_with_official_schema(&log));
    assert!(caught.is_err(), "an invalid level must fail the check");
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0() {
    let planted = planted();
    let dir = TestDir::new("audit-sarif");
    let run = admin_audit(&planted.node, &dir)
        .args(["--output", "sarif"])
        .fails_with(Code::FindingsOrDrift.as_i32());
    run.never_says(BOB_PASSWORD).never_says(SHOVEL_PASSWORD);
    let log = run.json();
    assert_sarif_structure(&log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(
        results.iter().any(|r| r["ruleId"] == "SEC003"
            && r["message"]["text"].as_str().unwrap().contains("weakling"))
    );
    let notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert!(notes.iter().any(|n| n["descriptor"]["id"] == "SEC001"));
    validate_with_official_schema(&log);
    assert_logical_locations_and_fingerprints(&planted.node, &log, &dir);
    // Other commands refuse sarif with a usage error.
    dir.warren()
        .args(["audit", "rules", "--output", "sarif"])
        .fails_with(Code::Usage.as_i32())
        .says("only supported by `warren audit`");
}

/// Every result sits at broker -> [vhost ->] object, named by the cluster; its fingerprint
/// differs from every other result's and is the same in a second run.
fn assert_logical_locations_and_fingerprints(node: &Node, log: &Value, dir: &TestDir) {
    let overview: Value =
        serde_json::from_str(&node.api_ok("GET", "/api/overview", None)).expect("overview");
    let cluster = overview["cluster_name"].as_str().expect("cluster_name");
    let keyed = |log: &Value| -> Vec<(String, String)> {
        log["runs"][0]["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| {
                let at = &r["locations"][0]["logicalLocations"][0];
                let qualified = at["fullyQualifiedName"]
                    .as_str()
                    .expect("fullyQualifiedName");
                assert!(qualified.starts_with(cluster), "{r:#}");
                (
                    format!("{} {qualified}", r["ruleId"].as_str().unwrap()),
                    r["partialFingerprints"]["warrenFinding/v1"]
                        .as_str()
                        .expect("a fingerprint")
                        .to_string(),
                )
            })
            .collect()
    };
    let first = keyed(log);
    assert!(
        first
            .iter()
            .any(|(k, _)| *k == format!("Q005 {cluster}/vhost:{PLANTED_VHOST}/queue:plain-q")),
        "{first:#?}"
    );
    let locations = log["runs"][0]["logicalLocations"]
        .as_array()
        .expect("run locations");
    assert!(
        locations
            .iter()
            .any(|l| l["kind"] == "broker" && l["fullyQualifiedName"] == cluster),
        "{locations:#?}"
    );
    let mut prints: Vec<&String> = first.iter().map(|(_, f)| f).collect();
    prints.sort();
    prints.dedup();
    assert_eq!(prints.len(), first.len(), "fingerprints repeat: {first:#?}");
    let again = admin_audit(node, dir)
        .args(["--output", "sarif"])
        .fails_with(Code::FindingsOrDrift.as_i32())
        .json();
    let second: std::collections::BTreeMap<String, String> = keyed(&again).into_iter().collect();
    // Findings on the same objects (some figures, like auth attempts, may change between runs)
    // keep their fingerprints.
    let mut same = 0;
    for (key, print) in &first {
        if let Some(other) = second.get(key) {
            assert_eq!(print, other, "{key} changed its fingerprint");
            same += 1;
        }
    }
    assert!(same >= 10, "only {same} findings in both runs");
}

#[test]
fn rules_lists_the_catalogue() {
    let dir = TestDir::new("audit-rules");
    let json = dir
        .warren()
        .args(["audit", "rules", "--output", "json"])
        .succeeds()
        .json();
    let rules = json["rules"].as_array().expect("rules");
    assert!(rules.len() >= 30, "{} rules", rules.len());
    for r in rules {
        for key in ["id", "severity", "title", "fix", "doc"] {
            assert!(r[key].as_str().is_some_and(|s| !s.is_empty()), "{r}");
        }
        assert!(
            r["doc"]
                .as_str()
                .unwrap()
                .starts_with("https://www.rabbitmq.com/")
        );
    }
    dir.warren()
        .args(["audit", "rules"])
        .succeeds()
        .says("SEC003")
        .says("critical");
}

#[test]
fn non_admin_user_gets_not_checked_and_no_false_passes() {
    let node = shared_node();
    let vhost = TestVhost::new(node, "audit-nonadmin");
    let dir = TestDir::new("audit-nonadmin");
    let user = format!("auditor-{}", std::process::id());
    let password = "auditor-Pw-7731-not-weak";
    let pw = dir.write("pw", password);
    for (tags, label) in [("management", "management"), ("monitoring", "monitoring")] {
        node.api_ok(
            "PUT",
            &format!("/api/users/{}", encode(&user)),
            Some(&format!(r#"{{"password":"{password}","tags":"{tags}"}}"#)),
        );
        node.api_ok(
            "PUT",
            &format!("/api/permissions/{}/{}", encode(&vhost.name), encode(&user)),
            Some(r#"{"configure":".*","write":".*","read":".*"}"#),
        );
        let report = dir
            .warren()
            .args(["audit", "--output", "json", "--fail-on", "critical"])
            .args(["--uri", &node.amqp_uri(&user, &vhost.name)])
            .args(["--api-url", &node.api_url()])
            .arg("--password-file")
            .arg(&pw)
            .succeeds()
            .json();
        // Users and permissions need the administrator tag.
        for id in [
            "SEC002", "SEC003", "SEC004", "SEC005", "SEC006", "SEC007", "SEC009",
        ] {
            assert_eq!(status(&report, id), "not_checked", "{label}: {id}");
            let rule = report["rules"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["id"] == id)
                .unwrap();
            assert!(
                rule["reason"].as_str().is_some_and(|r| r.contains(&user)),
                "{label}: {id} reason: {rule}"
            );
        }
        // No rule that reads what this user can't see may pass.
        let rules = report["rules"].as_array().unwrap();
        let passed: Vec<&str> = rules
            .iter()
            .filter(|r| r["status"] == "pass")
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        for id in ["SEC002", "SEC003", "SEC005", "SEC007", "SEC012", "RES009"] {
            assert!(!passed.contains(&id), "{label}: {id} passed: {passed:?}");
        }
        if label == "management" {
            // A management user sees only its own vhosts: per-vhost rules with no finding
            // are not checked rather than passed.
            for id in ["Q001", "Q004", "Q008", "Q009"] {
                assert_ne!(status(&report, id), "pass", "{label}: {id}");
            }
        }
    }
    node.api("DELETE", &format!("/api/users/{}", encode(&user)), None);
}

/// curl against a TLS-only node's management API over HTTPS, as its admin.
fn tls_api(node: &Node, method: &str, path: &str, body: Option<&str>) -> String {
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "-o", "-", "-w", "\n%{http_code}", "-X", method])
        .arg("--cacert")
        .arg(node.cert("ca.pem"))
        .arg("-u")
        .arg(format!("{}:{}", node.admin_user(), node.admin_password()))
        .arg(format!(
            "https://localhost:{}{path}",
            node.port("MGMTS_PORT")
        ))
        .args(["-H", "content-type: application/json"]);
    if let Some(b) = body {
        cmd.args(["--data-binary", b]);
    }
    let out = cmd.output().expect("curl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    let code: u16 = code.trim().parse().unwrap_or(0);
    assert!(
        (200..300).contains(&code),
        "{method} {path} -> {code}: {body}"
    );
    body.to_string()
}

#[test]
fn hardened_tls_node_has_no_high_or_critical_findings() {
    let node = Node::start(
        "audit-hardened",
        &[
            "--tls-only",
            "--conf",
            "ssl_options.versions.1 = tlsv1.3",
            "--conf",
            "ssl_options.versions.2 = tlsv1.2",
            // No ANONYMOUS (a default mechanism on 4.x): SEC010.
            "--conf",
            "auth_mechanisms.1 = PLAIN",
            "--conf",
            "auth_mechanisms.2 = AMQPLAIN",
        ],
    );
    // The node reports its mechanisms with its first statistics: until then SEC010 can't
    // look (and a just-started node would pass it blind).
    support::wait_for(std::time::Duration::from_secs(30), || {
        let nodes = tls_api(&node, "GET", "/api/nodes", None);
        (nodes.contains("\"auth_mechanisms\""), ())
    });
    let v = "orders";
    tls_api(&node, "PUT", &format!("/api/vhosts/{v}"), Some("{}"));
    tls_api(
        &node,
        "PUT",
        "/api/users/orders-app",
        Some(r#"{"password":"Zx9-orders-app-long-random-4471","tags":""}"#),
    );
    tls_api(
        &node,
        "PUT",
        &format!("/api/permissions/{v}/orders-app"),
        Some(r#"{"configure":"^orders\\.","write":"^orders\\.","read":"^orders\\."}"#),
    );
    for vhost in ["%2F", v] {
        tls_api(
            &node,
            "PUT",
            &format!("/api/vhost-limits/{vhost}/max-connections"),
            Some(r#"{"value":200}"#),
        );
        tls_api(
            &node,
            "PUT",
            &format!("/api/vhost-limits/{vhost}/max-queues"),
            Some(r#"{"value":500}"#),
        );
    }
    tls_api(
        &node,
        "PUT",
        &format!("/api/exchanges/{v}/orders.dlx"),
        Some(r#"{"type":"fanout","durable":true}"#),
    );
    for q in ["orders.created", "orders.dead"] {
        tls_api(
            &node,
            "PUT",
            &format!("/api/queues/{v}/{q}"),
            Some(
                r#"{"durable":true,"arguments":{"x-queue-type":"quorum","x-dead-letter-exchange":"orders.dlx","x-max-length":100000}}"#,
            ),
        );
    }
    let dir = TestDir::new("audit-hardened");
    let api_url = format!("https://localhost:{}", node.port("MGMTS_PORT"));
    let uri = format!(
        "amqps://{}@localhost:{}/{v}",
        node.admin_user(),
        node.port("AMQPS_PORT")
    );
    // SEC014 is skipped: the harness runs Debian's RabbitMQ 3.10.8, which is out of support,
    // and no configuration can harden a version. NET005 too: every test node registers with
    // the one epmd of this machine, listening on all interfaces (tests/audit_probes.rs
    // checks it), which only a host firewall closes, not the node's configuration.
    // Everything else is judged as is.
    let run = dir
        .warren()
        .args(["audit", "--probe", "--output", "json", "--skip", "SEC014"])
        .args(["--skip", "NET005"])
        .args(["--uri", &uri, "--api-url", &api_url])
        .arg("--ca-cert")
        .arg(node.cert("ca.pem"))
        .arg("--password-file")
        .arg(node.admin_password_file())
        .output();
    let report = run.json();
    let severe: Vec<&Value> = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["findings"].as_array().unwrap().iter())
        .filter(|f| f["severity"] == "high" || f["severity"] == "critical")
        .collect();
    assert!(severe.is_empty(), "high/critical findings: {severe:#?}");
    assert_eq!(run.output.status.code(), Some(0), "{}", run.explain());
    // The hardening is what passes, not a rule that couldn't look.
    for id in [
        "NET001", "NET002", "NET003", "NET007", "SEC001", "SEC002", "SEC003", "SEC007", "SEC010",
        "Q001", "RES009", "Q005", "Q006",
    ] {
        assert_eq!(status(&report, id), "pass", "{id}: {report:#}");
    }
}

/// The endpoints captured for the unit tests of the pure rules (src/audit/rules.rs tests).
const CAPTURED: &[(&str, &str)] = &[
    ("whoami", "/api/whoami"),
    ("overview", "/api/overview"),
    ("nodes", "/api/nodes"),
    ("users", "/api/users"),
    ("permissions", "/api/permissions"),
    ("topic-permissions", "/api/topic-permissions"),
    (
        "users-without-permissions",
        "/api/users/without-permissions",
    ),
    ("vhosts", "/api/vhosts"),
    ("vhost-limits", "/api/vhost-limits"),
    ("policies", "/api/policies"),
    ("operator-policies", "/api/operator-policies"),
    ("queues", "/api/queues"),
    ("queue-definitions", "/api/queues?disable_stats=true"),
    ("bindings", "/api/bindings"),
    ("exchanges", "/api/exchanges"),
    ("connections", "/api/connections"),
    ("channels", "/api/channels"),
    ("consumers", "/api/consumers"),
    ("shovels", "/api/parameters/shovel"),
    ("feature-flags", "/api/feature-flags"),
];

/// The broker settings the fixtures are also captured under (`WARREN_CAPTURE_VARIANT`): the
/// audit must neither pass nor find anything on them that the full statistics contradict.
const CAPTURE_VARIANTS: &[(&str, &str)] = &[
    ("disable-stats", "management.disable_stats = true"),
    (
        "no-metrics",
        "management_agent.disable_metrics_collector = true",
    ),
];

/// The variant `WARREN_CAPTURE_VARIANT` names, for `capture_planted_fixtures` only.
fn capture_variant() -> Option<(&'static str, &'static str)> {
    let wanted = std::env::var("WARREN_CAPTURE_VARIANT")
        .ok()
        .filter(|v| !v.is_empty())?;
    let found = CAPTURE_VARIANTS.iter().find(|(v, _)| *v == wanted);
    Some(*found.unwrap_or_else(|| panic!("unknown WARREN_CAPTURE_VARIANT `{wanted}`")))
}

/// Capture the planted node's state into tests/fixtures/rabbitmq-<version>/audit-planted[-
/// <variant>]/ (the command is in tests/fixtures/README.md). Not part of the normal run.
#[test]
#[ignore]
fn capture_planted_fixtures() {
    let planted = planted();
    let overview: Value =
        serde_json::from_str(&planted.node.api_ok("GET", "/api/overview", None)).unwrap();
    let version = overview["rabbitmq_version"].as_str().unwrap();
    let dir = match capture_variant() {
        None => "audit-planted".to_string(),
        Some((variant, _)) => format!("audit-planted-{variant}"),
    };
    let out = support::repo().join(format!("tests/fixtures/rabbitmq-{version}/{dir}"));
    std::fs::create_dir_all(&out).unwrap();
    for (name, path) in CAPTURED {
        // An endpoint the variant refuses (e.g. 400 "Stats in management UI are disabled")
        // is kept as <name>.error with the status and body, which the unit tests turn into
        // "not checked" as the audit's fetch does.
        let (status, body) = planted.node.api("GET", path, None);
        if status != 200 {
            std::fs::write(
                out.join(format!("{name}.error")),
                format!("{status} {body}\n"),
            )
            .unwrap();
            continue;
        }
        let value: Value = serde_json::from_str(&body).unwrap();
        std::fs::write(
            out.join(format!("{name}.json")),
            serde_json::to_string_pretty(&value).unwrap() + "\n",
        )
        .unwrap();
    }
}
