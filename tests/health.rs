//! `warren health` against real RabbitMQ nodes: every check passes on a healthy node, and
//! each failure the broker can be put into on one node (an alarm, a stopped vhost, a
//! certificate inside the window) fails its check with exit 3 and a line naming it. The
//! cluster conditions (a stopped or partitioned node, a quorum queue without its majority)
//! are in tests/cluster.rs.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::{Node, TestCommand, TestDir, shared_node, wait_for};
use warren::exit::Code;

/// `warren health ARGS -o json` against `node`'s plain listeners as the admin.
fn health(node: &Node, dir: &TestDir, args: &[&str]) -> TestCommand {
    let mut cmd = dir.warren();
    cmd.args([
        "--uri",
        &node.amqp_uri(node.admin_user(), "/"),
        "--api-url",
        &node.api_url(),
        "--password-file",
    ])
    .arg(node.admin_password_file())
    .arg("health")
    .args(args)
    .args(["-o", "json"]);
    cmd
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["check"] == name))
        .unwrap_or_else(|| panic!("no check {name} in {report:#}"))
}

#[test]
fn every_check_passes_on_a_healthy_node() {
    let node = shared_node();
    let dir = TestDir::new("health-ok");
    let report = health(node, &dir, &[]).succeeds().json();
    assert_eq!(report["healthy"], true, "{report:#}");
    let checks = report["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 13, "{report:#}");
    let version = node_version(node);
    for c in checks {
        let expected = match c["check"].as_str().unwrap() {
            // The shared node has no TLS listener.
            "certificates" => "skipped",
            // /api/deprecated-features/used exists from 3.13 on.
            "deprecated-features" if version < (3, 13) => "skipped",
            // The broker's readiness checks: ready-to-serve-clients from 4.2, the quorum
            // leader check from 4.1, metadata-store/initialized from 4.0.6 (not in 4.0.5).
            "ready" if version < (4, 2) => "skipped",
            "quorum-leaders" if version < (4, 1) => "skipped",
            "metadata-store" if version < (4, 1) => "skipped",
            // 4.3's only metadata store, Khepri, has no Mnesia partitions to report.
            "partitions" if version >= (4, 3) => "skipped",
            _ => "ok",
        };
        assert_eq!(c["status"], expected, "{c:#}");
        let millis = c["millis"].as_u64();
        assert!(millis.is_some(), "{c:#}");
        // Each check answers in well under a second (the partitions check on 3.x and 4.0
        // waits, on a node just started, for its first statistics).
        if c["check"] != "partitions" || version >= (4, 3) {
            assert!(millis < Some(1000), "{c:#}");
        }
    }
    if version >= (4, 2) {
        let ready = check(&report, "ready");
        assert_eq!(
            ready["detail"], "in service, below its connection limit, serving clients",
            "{ready:#}"
        );
    }
    if version >= (4, 3) {
        let store = check(&report, "metadata-store");
        assert_eq!(store["detail"], "Khepri is initialized", "{store:#}");
    }
    assert_eq!(check(&report, "running")["detail"], "1 node(s) running");
    // preflight is the rolling-restart gate: its seven checks and no others.
    let preflight = health(node, &dir, &["preflight"]).succeeds().json();
    let names: Vec<&str> = preflight["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "running",
            "alarms",
            "virtual-hosts",
            "quorum-critical",
            "quorum-leaders",
            "deprecated-features",
            "feature-flags",
            "partitions"
        ]
    );
    // The human form: one line per check, then the verdict.
    let mut cmd = dir.warren();
    cmd.args(["--api-url", &node.api_url(), "--password-file"])
        .arg(node.admin_password_file())
        .args(["--user", node.admin_user(), "health", "alarms"]);
    let run = cmd.succeeds();
    assert_eq!(run.stdout().lines().count(), 2, "{}", run.explain());
    run.says("ok      alarms  no alarms in the cluster")
        .says("healthy");
}

fn node_version(node: &Node) -> (u32, u32) {
    let overview: Value = serde_json::from_str(&node.api_ok("GET", "/api/overview", None)).unwrap();
    let version = overview["rabbitmq_version"].as_str().unwrap_or("0.0");
    let mut parts = version.split('.').map(|p| p.parse().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// A node of its own: these faults would fail every other test's health.
#[test]
fn a_stopped_vhost_and_an_alarm_fail_their_checks_with_exit_3() {
    let node = Node::start("health-faults", &[]);
    let dir = TestDir::new("health-faults");
    let vhost = "health-stopped";
    node.api_ok("PUT", &format!("/api/vhosts/{vhost}"), Some("{}"));
    let stop = node.ctl(&[
        "eval",
        &format!("rabbit_vhost_sup_sup:stop_and_delete_vhost(<<\"{vhost}\">>)."),
    ]);
    assert!(stop.status.success(), "{stop:?}");
    let run = health(&node, &dir, &["virtual-hosts", "alarms"])
        .fails_with(Code::FindingsOrDrift.as_i32());
    let report = run.json();
    assert_eq!(report["healthy"], false);
    let down = check(&report, "virtual-hosts");
    assert_eq!(down["status"], "failed", "{report:#}");
    assert!(
        down["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("vhost `{vhost}`")),
        "{down:#}"
    );
    assert_eq!(check(&report, "alarms")["status"], "ok");
    run.says("unhealthy: virtual-hosts");
    node.api_ok("DELETE", &format!("/api/vhosts/{vhost}"), None);
    health(&node, &dir, &["virtual-hosts"]).succeeds();

    // A memory alarm: a watermark far below what the node uses.
    let set = node.ctl(&["set_vm_memory_high_watermark", "0.000001"]);
    assert!(set.status.success(), "{set:?}");
    let report = wait_for(Duration::from_secs(30), || {
        let run = health(&node, &dir, &["alarms", "local-alarms"]).output();
        let report: Value = serde_json::from_str(&run.stdout()).unwrap_or(Value::Null);
        (report["healthy"] == false, report)
    });
    let restore = node.ctl(&["set_vm_memory_high_watermark", "0.4"]);
    assert!(restore.status.success(), "{restore:?}");
    for name in ["alarms", "local-alarms"] {
        let c = check(&report, name);
        assert_eq!(c["status"], "failed", "{report:#}");
        let detail = c["detail"].as_str().unwrap();
        assert!(
            detail.contains(&format!("memory alarm on {}", node.var("NODE"))),
            "{detail}"
        );
    }
    wait_for(Duration::from_secs(30), || {
        (
            health(&node, &dir, &["alarms"])
                .output()
                .output
                .status
                .success(),
            (),
        )
    });
    health(&node, &dir, &["alarms", "local-alarms"]).succeeds();
}

#[test]
fn certificates_are_read_from_the_handshake_and_judged_against_the_window() {
    let node = Node::start("tls", &["--tls"]);
    let dir = TestDir::new("health-tls");
    let ca = node.cert("ca.pem");
    let ca = ca.to_str().unwrap();
    // scripts/broker signs its leaf certificates for 825 days.
    let report = health(&node, &dir, &["certificates", "--ca-cert", ca])
        .succeeds()
        .json();
    let c = check(&report, "certificates");
    assert_eq!(c["status"], "ok", "{report:#}");
    let detail = c["detail"].as_str().unwrap();
    assert!(
        detail.contains("TLS listener(s)")
            && detail.contains("the soonest certificate expires in 8"),
        "{detail}"
    );
    assert!(!detail.contains("not trusted"), "{detail}");

    let run = health(
        &node,
        &dir,
        &["certificates", "--ca-cert", ca, "--within", "900d"],
    )
    .fails_with(Code::FindingsOrDrift.as_i32());
    let c = check(&run.json(), "certificates").clone();
    assert_eq!(c["status"], "failed", "{c:#}");
    let detail = c["detail"].as_str().unwrap();
    assert!(
        detail.contains("amqp/ssl") && detail.contains("the certificate expires in"),
        "{detail}"
    );

    // Without the CA the certificate is still read, and the check says it is not trusted.
    let report = health(&node, &dir, &["certificates"]).succeeds().json();
    let detail = check(&report, "certificates")["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(detail.contains("not trusted here"), "{detail}");
}

#[test]
fn bad_selections_and_spans_are_usage_errors() {
    let dir = TestDir::new("health-usage");
    dir.warren()
        .args(["health", "alarm"])
        .fails_with(Code::Usage.as_i32())
        .says("unknown check `alarm`");
    dir.warren()
        .args(["health", "certificates", "--within", "0d"])
        .fails_with(Code::Usage.as_i32())
        .says("above 0");
    dir.warren()
        .args([
            "health",
            "--api-url",
            "http://127.0.0.1:9",
            "--user",
            "u",
            "--connect-timeout",
            "2",
        ])
        .env("WARREN_PASSWORD", "x")
        .fails_with(Code::Unreachable.as_i32());
}
