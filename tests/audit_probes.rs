//! `warren audit --probe`'s remote-client probes against real nodes: the guest login (SEC001)
//! and EPMD's NAMES (NET005). A loopback target is probed at this machine's non-loopback
//! address, where a remote client would connect.

mod support;

use std::process::Command;

use support::{Node, TestDir, TestHost, admin_audit, audit_rule as rule, shared_node};
use warren::exit::Code;

/// This machine's global addresses, as `ip` lists them: the oracle for "a non-loopback
/// address of this machine".
fn global_addresses() -> Vec<String> {
    let out = Command::new("ip")
        .args(["-o", "addr", "show", "scope", "global"])
        .output()
        .expect("running ip (iproute2)");
    let text = String::from_utf8_lossy(&out.stdout);
    let found: Vec<String> = text
        .lines()
        .filter_map(|l| l.split_whitespace().nth(3))
        .filter_map(|cidr| cidr.split('/').next())
        .map(str::to_string)
        .collect();
    assert!(!found.is_empty(), "no global address in `ip addr`:\n{text}");
    found
}

/// Does `text` name one of this machine's global addresses?
fn names_an_address_of_this_machine(text: &str) -> bool {
    global_addresses().iter().any(|a| text.contains(a.as_str()))
}

/// `warren audit --probe -o json --rule RULE...` as the admin, against `http://localhost`.
fn probe_audit(node: &Node, dir: &TestDir, rules: &[&str]) -> support::TestCommand {
    let mut cmd = admin_audit(node, dir);
    cmd.args(["--probe", "-o", "json"]);
    for rule in rules {
        cmd.args(["--rule", rule]);
    }
    cmd
}

/// The node's short name, as EPMD lists it: NODE up to `@`.
fn short_name(node: &Node) -> &str {
    node.var("NODE").split('@').next().unwrap_or_default()
}

#[test]
fn remote_guest_login_is_found_at_the_non_loopback_address() {
    let node = Node::start("probes-guest-open", &["--conf", "loopback_users = none"]);
    let dir = TestDir::new("probes-guest-open");
    let run = probe_audit(&node, &dir, &["SEC001"])
        .args(["--fail-on", "critical"])
        .fails_with(Code::FindingsOrDrift.as_i32());
    let report = run.json();
    let sec001 = rule(&report, "SEC001");
    assert_eq!(sec001["status"], "finding", "{sec001:#}");
    let finding = &sec001["findings"][0];
    assert_eq!(finding["severity"], "critical");
    assert_eq!(finding["object"]["name"], "guest");
    let message = finding["message"].as_str().unwrap_or_default();
    let used = global_addresses()
        .into_iter()
        .find(|a| message.contains(a.as_str()))
        .unwrap_or_else(|| panic!("no address of this machine in: {message}"));
    // The oracle: guest really logs in at that address (curl, not warren).
    let host = if used.contains(':') {
        format!("[{used}]")
    } else {
        used.clone()
    };
    let curl = Command::new("curl")
        .args([
            "-sS",
            "--max-time",
            "10",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
        ])
        .args(["-u", "guest:guest"])
        .arg(format!(
            "http://{host}:{}/api/whoami",
            node.port("MGMT_PORT")
        ))
        .output()
        .expect("running curl");
    assert_eq!(String::from_utf8_lossy(&curl.stdout), "200");
    run.says(&format!("SEC001 probe: guest:guest to http://{host}:"));
}

#[test]
fn over_https_the_stand_in_address_is_verified_against_the_target_name() {
    // The certificate names localhost and 127.0.0.1, never this machine's other address:
    // the guest login there still verifies it, against the target's name.
    let node = Node::start(
        "probes-guest-tls",
        &["--tls", "--conf", "loopback_users = none"],
    );
    let dir = TestDir::new("probes-guest-tls");
    let mut cmd = dir.warren();
    cmd.args(["audit", "--probe", "-o", "json", "--rule", "SEC001"])
        .args([
            "--api-url",
            &format!("https://localhost:{}", node.port("MGMTS_PORT")),
        ])
        .args(["--user", node.admin_user()])
        .arg("--password-file")
        .arg(node.admin_password_file())
        .arg("--ca-cert")
        .arg(node.cert("ca.pem"));
    let report = cmd.fails_with(Code::FindingsOrDrift.as_i32()).json();
    let sec001 = rule(&report, "SEC001");
    assert_eq!(sec001["findings"][0]["severity"], "critical", "{sec001:#}");
    let message = sec001["findings"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("https://"), "{message}");
    assert!(names_an_address_of_this_machine(message), "{message}");
}

#[test]
fn a_default_node_refuses_remote_guest_logins() {
    let node = shared_node();
    let dir = TestDir::new("probes-guest-default");
    let run = probe_audit(node, &dir, &["SEC001"])
        .args(["--fail-on", "low"])
        .succeeds();
    let sec001 = rule(&run.json(), "SEC001").clone();
    assert_eq!(sec001["status"], "pass", "{sec001:#}");
    // The note says where it was refused: a non-loopback address of this machine.
    let stderr = run.stderr();
    let note = stderr
        .lines()
        .find(|l| l.contains("SEC001 probe"))
        .unwrap_or_else(|| panic!("no SEC001 note in:\n{stderr}"));
    assert!(note.contains("answered 401"), "{note}");
    assert!(names_an_address_of_this_machine(note), "{note}");
}

#[test]
fn a_management_listener_bound_to_loopback_is_out_of_remote_reach() {
    // guest may log in from anywhere, but the listener accepts only loopback connections.
    let node = Node::start(
        "probes-guest-lo",
        &[
            "--conf",
            "loopback_users = none",
            "--conf",
            "management.tcp.ip = 127.0.0.1",
        ],
    );
    let dir = TestDir::new("probes-guest-lo");
    let run = probe_audit(&node, &dir, &["SEC001"])
        .args(["--fail-on", "low"])
        .succeeds();
    assert_eq!(rule(&run.json(), "SEC001")["status"], "pass");
    run.says("SEC001 probe").says("not reachable");
}

#[test]
fn epmd_discloses_the_node_name() {
    let node = shared_node();
    let dir = TestDir::new("probes-epmd");
    // Without --probe: not checked, with the reason.
    let mut quiet = dir.warren();
    quiet
        .args(["audit", "-o", "json", "--rule", "NET005"])
        .args(["--api-url", &node.api_url()])
        .args(["--user", node.admin_user()])
        .arg("--password-file")
        .arg(node.admin_password_file());
    let quiet = quiet.succeeds().json();
    let net005 = rule(&quiet, "NET005");
    assert_eq!(net005["status"], "not_checked");
    assert!(
        net005["reason"]
            .as_str()
            .is_some_and(|r| r.contains("--probe")),
        "{net005:#}"
    );
    // 3.10 nodes register with the epmd their VM starts, 4.0 nodes (in their Debian root)
    // with the host's epmd that scripts/broker starts: either way port 4369 of this machine.
    let run = probe_audit(node, &dir, &["NET005"]).fails_with(Code::FindingsOrDrift.as_i32());
    let report = run.json();
    let net005 = rule(&report, "NET005");
    assert_eq!(net005["status"], "finding", "{net005:#}");
    let message = net005["findings"][0]["message"]
        .as_str()
        .unwrap_or_default();
    let expected = format!(
        "{} (distribution port {})",
        short_name(node),
        node.var("DIST_PORT")
    );
    assert!(message.contains(&expected), "{expected} not in: {message}");
    assert!(
        names_an_address_of_this_machine(message),
        "no address of this machine in: {message}"
    );
}

#[test]
fn epmd_behind_a_firewall_passes() {
    let node = shared_node();
    let dir = TestDir::new("probes-epmd-firewall");
    // A client host of its own (a network namespace): its firewall is its own, so a rule
    // there changes nothing for anyone else on this machine.
    let test_host = TestHost::new();
    let audit = || {
        let mut cmd = dir.warren_on(&test_host);
        cmd.args(["audit", "--probe", "-o", "json", "--rule", "NET005"])
            .args([
                "--api-url",
                &format!("http://{}:{}", test_host.host_addr, node.port("MGMT_PORT")),
            ])
            .args(["--user", node.admin_user()])
            .arg("--password-file")
            .arg(node.admin_password_file());
        cmd
    };
    // Open: found from the client host too.
    let open = audit().fails_with(Code::FindingsOrDrift.as_i32()).json();
    let net005 = rule(&open, "NET005");
    assert!(
        net005["findings"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains(short_name(node))),
        "{net005:#}"
    );
    // The documented fix: firewall 4369 (here, the client host's own output chain).
    let nft = |rules: &str| {
        let out = Command::new("ip")
            .args(["netns", "exec", &test_host.namespace, "nft", "-f", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                child
                    .stdin
                    .take()
                    .expect("stdin")
                    .write_all(rules.as_bytes())?;
                child.wait_with_output()
            })
            .expect("running nft in the test host");
        assert!(
            out.status.success(),
            "nft: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    nft("table inet probes {
  chain out {
    type filter hook output priority 0; policy accept;
    tcp dport 4369 reject with tcp reset
  }
}
");
    let closed = audit().succeeds();
    assert_eq!(rule(&closed.json(), "NET005")["status"], "pass");
    closed.says("NET005 probe").says("not reachable");
}
