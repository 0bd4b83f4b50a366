//! `warren audit` depth against real nodes: thresholds and their notes (`--set`), recent
//! rates for failed logins (SEC011) and connection churn (RES006), `--fail-on-not-checked`,
//! and a node with its statistics switched off, where nothing may pass or fail blind.

mod support;

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{
    Node, TestDir, TestVhost, admin_audit as audit, admin_warren, audit_rule as rule, shared_node,
};
use warren::exit::Code;

/// The severities of `id`'s findings about objects whose name or vhost is `name`.
fn severities(report: &Value, id: &str, name: &str) -> Vec<String> {
    rule(report, id)["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["object"]["name"] == name || f["object"]["vhost"] == name)
        .map(|f| f["severity"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn a_backlog_just_under_the_threshold_is_a_note_and_set_moves_the_threshold() {
    let node = shared_node();
    let vhost = TestVhost::new(node, "q007");
    vhost.queue("backlog", r#"{"durable":true}"#);
    vhost.put_messages("backlog", 999);
    vhost.wait_ready("backlog", 999);
    let dir = TestDir::new("audit-q007");
    // The per-queue statistics lag the queue by a few seconds: wait until the audit sees it.
    let run = |set: &[&str]| {
        let mut cmd = audit(node, &dir);
        cmd.args(["--rule", "Q007", "--fail-on", "critical", "-o", "json"]);
        for s in set {
            cmd.args(["--set", s]);
        }
        cmd.succeeds().json()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let report = loop {
        let report = run(&[]);
        let seen = rule(&report, "Q007")["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["message"].as_str().unwrap_or("").contains("999 messages"));
        if seen || Instant::now() > deadline {
            break report;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(
        severities(&report, "Q007", "backlog"),
        ["info"],
        "999 messages under the default 1000: a note\n{report:#}"
    );
    let message = rule(&report, "Q007")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["object"]["name"] == "backlog")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("999 messages") && message.contains("Q007.messages = 1000"),
        "{message}"
    );
    let report = run(&["Q007.messages=999"]);
    assert_eq!(severities(&report, "Q007", "backlog"), ["medium"]);
    let report = run(&["Q007.messages=5000"]);
    assert!(severities(&report, "Q007", "backlog").is_empty());
    // The thresholds are listed with their defaults, and a typo names the right key.
    let rules = dir
        .warren()
        .args(["audit", "rules", "-o", "json"])
        .succeeds()
        .json();
    let q007 = rules["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "Q007")
        .unwrap();
    assert_eq!(q007["thresholds"][0]["key"], "Q007.messages");
    assert_eq!(q007["thresholds"][0]["default"], 1000.0);
    audit(node, &dir)
        .args(["--set", "Q007.mesages=5"])
        .fails_with(Code::Usage.as_i32())
        .says("did you mean `Q007.messages`");
}

#[test]
fn fail_on_not_checked_exits_3_and_no_rule_is_blind_to_paged_vhosts() {
    let node = shared_node();
    let dir = TestDir::new("audit-not-checked");
    // SEC001 needs --probe: not checked, which fails the run only when asked to.
    audit(node, &dir)
        .args(["--rule", "SEC001", "--fail-on", "critical"])
        .succeeds();
    audit(node, &dir)
        .args([
            "--rule",
            "SEC001",
            "--fail-on",
            "critical",
            "--fail-on-not-checked",
        ])
        .fails_with(Code::FindingsOrDrift.as_i32())
        .says("1 rule(s) not checked (--fail-on-not-checked)");
    // 4.0.5 answers the paged /api/vhosts with 500: the vhost rules still run (both versions).
    let report = audit(node, &dir)
        .args(["--fail-on", "critical", "-o", "json"])
        .succeeds()
        .json();
    for r in report["rules"].as_array().unwrap() {
        let reason = r["reason"].as_str().unwrap_or("");
        assert!(
            !reason.contains("/api/vhosts"),
            "{} is not checked because of /api/vhosts: {reason}",
            r["id"]
        );
    }
    for id in ["RES009", "RES010"] {
        assert_ne!(rule(&report, id)["status"], "not_checked", "{id}");
    }
}

/// One failed HTTP login to the management API (a wrong password for the admin user).
fn failed_login(port: u16) {
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    // "warren-admin:wrong" in base64.
    let _ = s.write_all(
        b"GET /api/whoami HTTP/1.0\r\nAuthorization: Basic d2FycmVuLWFkbWluOndyb25n\r\n\r\n",
    );
    let mut sink = Vec::new();
    let _ = s.read_to_end(&mut sink);
}

/// Repeat `action` every `period` on a thread until the guard is dropped.
struct Repeat(Arc<AtomicBool>, Option<std::thread::JoinHandle<()>>);

impl Repeat {
    fn every(period: Duration, action: impl Fn() + Send + 'static) -> Repeat {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                action();
                std::thread::sleep(period);
            }
        });
        Repeat(stop, Some(handle))
    }
}

impl Drop for Repeat {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
        if let Some(h) = self.1.take() {
            let _ = h.join();
        }
    }
}

#[test]
fn failed_logins_count_by_their_recent_rate_not_their_lifetime_total() {
    let node = Node::start("audit-sec011", &[]);
    let port = node.port("MGMT_PORT");
    let dir = TestDir::new("audit-sec011");
    let sec011 = || {
        audit(&node, &dir)
            .args([
                "--rule",
                "SEC011",
                "--rate-window",
                "3s",
                "--fail-on",
                "critical",
            ])
            .args(["-o", "json"])
            .succeeds()
            .json()
    };
    // 300 failures long ago (a lifetime ratio would flag them), none now: no finding.
    for _ in 0..300 {
        failed_login(port);
    }
    let report = sec011();
    assert_eq!(rule(&report, "SEC011")["status"], "pass", "{report:#}");
    // Failures going on during the audit, ~10 per second: a finding naming the rate.
    let report = {
        let _attack = Repeat::every(Duration::from_millis(100), move || failed_login(port));
        std::thread::sleep(Duration::from_secs(1));
        sec011()
    };
    let findings = rule(&report, "SEC011")["findings"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(findings.len(), 1, "{report:#}");
    assert_eq!(findings[0]["severity"], "medium");
    let message = findings[0]["message"].as_str().unwrap();
    assert!(
        message.contains("failed http logins per second"),
        "{message}"
    );
    // --rate-window 0s reads once: not checked, never passed.
    let report = audit(&node, &dir)
        .args(["--rule", "SEC011", "--rate-window", "0s", "-o", "json"])
        .succeeds()
        .json();
    assert_eq!(rule(&report, "SEC011")["status"], "not_checked");
}

#[test]
fn connection_churn_is_judged_by_the_recent_rate() {
    let node = Node::start("audit-churn", &[]);
    let dir = TestDir::new("audit-churn");
    // AMQP connections opened and closed over and over, as clients without a pool do: four
    // churners, each ~10 a second when the machine is idle. Under a loaded CI machine one
    // churner alone fell below 2 a second (seen once on 4.0), so the margin is wide: the
    // audit is asked to flag 1 a second, and the wait below wants 4.
    let uri = node.amqp_uri(node.admin_user(), "/");
    let _churn: Vec<Repeat> = (0..4)
        .map(|_| {
            let uri = uri.clone();
            Repeat::every(Duration::from_millis(100), move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    let connect =
                        lapin::Connection::connect(&uri, lapin::ConnectionProperties::default());
                    if let Ok(Ok(c)) = tokio::time::timeout(Duration::from_secs(2), connect).await {
                        let _ = tokio::time::timeout(
                            Duration::from_secs(2),
                            c.close(200, "bye".into()),
                        )
                        .await;
                    }
                });
            })
        })
        .collect();
    // The management API's rate sample needs a few statistics intervals to see it.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let overview: Value =
            serde_json::from_str(&node.api_ok("GET", "/api/overview", None)).expect("overview");
        // 3.10.8 counts connection_created as 0 while connection_closed counts.
        let rate = ["connection_created", "connection_closed"]
            .iter()
            .filter_map(|k| {
                overview
                    .pointer(&format!("/churn_rates/{k}_details/rate"))
                    .and_then(Value::as_f64)
            })
            .fold(0.0, f64::max);
        if rate >= 4.0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "churn never showed: {overview:#}"
        );
        std::thread::sleep(Duration::from_secs(1));
    }
    let run = |set: &str| {
        audit(&node, &dir)
            .args(["--rule", "RES006", "--fail-on", "critical", "--set", set])
            .args(["-o", "json"])
            .succeeds()
            .json()
    };
    let report = run("RES006.per_second=1");
    let findings = rule(&report, "RES006")["findings"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(
        findings.len(),
        1,
        "{report:#}\nthe API's churn after the audit: {}",
        node.api_ok("GET", "/api/overview?columns=churn_rates", None)
    );
    assert_eq!(findings[0]["severity"], "medium");
    let report = run("RES006.per_second=1000");
    assert_eq!(rule(&report, "RES006")["status"], "pass", "{report:#}");
}

#[test]
fn statistics_switched_off_neither_pass_nor_fail_blind() {
    let node = Node::start(
        "audit-nostats",
        &[
            "--conf",
            "management_agent.disable_metrics_collector = true",
            "--conf",
            "management.disable_stats = true",
        ],
    );
    let dir = TestDir::new("audit-nostats");
    // The node keeps its definitions between runs: the operator policy planted below must
    // not be there yet (204 when it was, 404 when not).
    let (code, body) = node.api("DELETE", "/api/operator-policies/%2F/not-amq", None);
    assert!(matches!(code, 204 | 404), "{code} {body}");
    // A queue whose messages and consumers the node won't report.
    node.api_ok("PUT", "/api/queues/%2F/held", Some(r#"{"durable":true}"#));
    let report = audit(&node, &dir)
        .args(["--fail-on", "critical", "-o", "json"])
        .succeeds()
        .json();
    // Rules fed by statistics: listeners, node figures, churn, per-queue and consumer data.
    // (Connection figures are covered by the captured fixtures: this node has no client.)
    for id in [
        "NET001", "NET002", "RES001", "RES003", "RES004", "RES006", "RES010", "Q007", "Q008",
        "Q009",
    ] {
        let r = rule(&report, id);
        assert_eq!(r["status"], "not_checked", "{id}: {r:#}");
        assert!(!r["reason"].as_str().unwrap_or("").is_empty(), "{id}");
    }
    // Rules over definitions still run.
    for id in ["SEC003", "RES009", "Q005"] {
        assert_ne!(rule(&report, id)["status"], "not_checked", "{id}");
    }
    audit(&node, &dir)
        .args(["--fail-on", "critical", "--fail-on-not-checked"])
        .fails_with(Code::FindingsOrDrift.as_i32())
        .says("not checked (--fail-on-not-checked)");
    // `status` can't list the listeners either: unknown, not an empty list.
    let status = |format: &str| {
        admin_warren(&node, &dir, "status")
            .args(["-o", format])
            .succeeds()
    };
    let json = status("json").json();
    assert_eq!(json["http"]["reached_vhost"], true, "{json:#}");
    assert!(json["listeners"].is_null(), "{json:#}");
    let text = status("table").stdout();
    assert!(
        text.contains("listeners: unknown (management statistics are disabled)"),
        "{text}"
    );
    // The queue list never names the operator policy in effect: warren matches their
    // patterns itself. One with look-ahead (the broker's regular expressions have it,
    // warren's don't) leaves `held`'s settings unknown: the rules over them are not checked,
    // naming the policy, instead of finding `held` unbounded.
    node.api_ok(
        "PUT",
        "/api/operator-policies/%2F/not-amq",
        Some(r#"{"pattern":"^(?!amq\\.).*","apply-to":"queues","definition":{"max-length":1000}}"#),
    );
    let report = audit(&node, &dir)
        .args(["--fail-on", "critical", "-o", "json"])
        .succeeds()
        .json();
    if node.version() == "4.3" {
        // 4.3's queue list names the operator policy and gives the effective definition:
        // nothing is left to match, and `held` is judged (no DLX; bounded by the policy).
        assert_eq!(rule(&report, "Q005")["status"], "finding", "{report:#}");
        assert_eq!(rule(&report, "Q006")["status"], "pass", "{report:#}");
        return;
    }
    for id in ["Q005", "Q006"] {
        let r = rule(&report, id);
        assert_eq!(r["status"], "not_checked", "{id}: {r:#}");
        let reason = r["reason"].as_str().unwrap_or("");
        assert!(
            reason.contains("operator policy `not-amq` in vhost `/`"),
            "{id}: {reason}"
        );
    }
}
