//! The weak-password rule (SEC003) against a real node: users with the weak passwords a
//! security review planted (and variants of each kind), strong ones that must pass, the
//! operator's own `--password-list`, and that no password ever appears in any output format.

mod support;

use std::sync::OnceLock;

use serde_json::Value;
use support::{Node, TestCommand, TestDir, admin_audit, audit_rule, encode};
use warren::exit::Code;

/// A vhost whose name is also a user's password.
const VHOST: &str = "warehouse-eu";

/// (user, password) pairs SEC003 must flag, each through a general rule:
const WEAK: &[(&str, &str)] = &[
    // on the common-password list
    ("kiosk", "123456"),
    ("cache", "secret"),
    ("mailer", "letmein"),
    // the list's `p@ssw0rd`, capitalised
    ("reporting", "P@ssw0rd"),
    // a RabbitMQ default
    ("rabbit", "rabbitmq"),
    ("monitor", "guest"),
    // the name, its reverse, name + year, Name + digits + `!` from the stem without digits
    ("admin", "admin"),
    ("test", "test"),
    ("dave", "evad"),
    ("etl", "etl2024"),
    ("ledger", "Ledger1987"),
    ("billing2", "Billing123!"),
    ("invoice", "Invoice7!"),
    // leetspeak of the name
    ("oscar", "0$c@r"),
    // a vhost name
    ("shipping", VHOST),
];

/// Strong passwords, one containing its own user's name: never flagged.
const STRONG: &[(&str, &str)] = &[
    ("carol", "carol-Xq93!vLm-2291"),
    ("orders", "Kq7#vW2p-Lz9x-Rr41"),
];

/// A user whose password is only on the operator's list.
const LISTED: (&str, &str) = ("frank", "Zebra-Quartz-Ocelot-88");

fn node() -> &'static Node {
    static NODE: OnceLock<Node> = OnceLock::new();
    NODE.get_or_init(|| {
        let node = Node::start("audit-passwords", &[]);
        node.api_ok("PUT", &format!("/api/vhosts/{}", encode(VHOST)), Some("{}"));
        // guest/guest exists on a fresh node; it is weak too, but the test plants its own.
        let (status, body) = node.api("DELETE", "/api/users/guest", None);
        assert!(
            status == 204 || status == 404,
            "DELETE guest -> {status}: {body}"
        );
        for (user, password) in WEAK.iter().chain(STRONG).chain([&LISTED]) {
            let body = serde_json::json!({"password": password, "tags": ""}).to_string();
            node.api_ok("PUT", &format!("/api/users/{}", encode(user)), Some(&body));
        }
        node
    })
}

fn audit(dir: &TestDir, format: &str) -> TestCommand {
    let mut cmd = admin_audit(node(), dir);
    cmd.args(["--rule", "SEC003", "-o", format]);
    cmd
}

/// The users SEC003 flagged, sorted.
fn flagged(report: &Value) -> Vec<String> {
    let rule = audit_rule(report, "SEC003");
    let mut users: Vec<String> = rule["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            assert_eq!(f["object"]["kind"], "user", "{f:#}");
            f["object"]["name"].as_str().expect("name").to_string()
        })
        .collect();
    users.sort();
    users
}

fn sorted(users: impl IntoIterator<Item = &'static str>) -> Vec<String> {
    let mut v: Vec<String> = users.into_iter().map(str::to_string).collect();
    v.sort();
    v
}

/// The passwords whose absence from the output proves something: not the ones that equal or
/// sit inside a user name (`admin`, `test`), nor words the rule catalogue itself contains,
/// which SARIF output carries in full (`guest`, `secret`, `rabbitmq` in the doc links).
fn secret_passwords(dir: &TestDir) -> Vec<&'static str> {
    let catalogue = dir
        .warren()
        .args(["audit", "rules", "-o", "json"])
        .succeeds()
        .stdout();
    let names: Vec<&str> = WEAK
        .iter()
        .chain(STRONG)
        .chain([&LISTED])
        .map(|(u, _)| *u)
        .collect();
    WEAK.iter()
        .chain(STRONG)
        .chain([&LISTED])
        .map(|(_, p)| *p)
        .filter(|p| !catalogue.contains(p) && !names.iter().any(|n| n.contains(p)))
        .collect()
}

#[test]
fn flags_exactly_the_weak_passwords() {
    let dir = TestDir::new("audit-passwords-exact");
    let run = audit(&dir, "json").fails_with(Code::FindingsOrDrift.as_i32());
    let report = run.json();
    assert_eq!(
        flagged(&report),
        sorted(WEAK.iter().map(|(u, _)| *u)),
        "{}",
        run.explain()
    );
}

#[test]
fn no_password_appears_in_any_output_format() {
    let dir = TestDir::new("audit-passwords-quiet");
    let list = dir.write("passwords.txt", &format!("{}\n", LISTED.1));
    let secrets = secret_passwords(&dir);
    assert!(
        secrets.len() >= 12,
        "too few checkable passwords: {secrets:?}"
    );
    for format in ["json", "table", "yaml", "sarif"] {
        let run = audit(&dir, format)
            .arg("--password-list")
            .arg(&list)
            .fails_with(Code::FindingsOrDrift.as_i32());
        run.says("dave").says("billing2");
        for password in &secrets {
            run.never_says(password);
        }
    }
}

#[test]
fn the_operators_list_adds_passwords() {
    let dir = TestDir::new("audit-passwords-list");
    let report = audit(&dir, "json")
        .fails_with(Code::FindingsOrDrift.as_i32())
        .json();
    assert!(!flagged(&report).contains(&LISTED.0.to_string()));

    // Blank lines and CRLF line ends are fine.
    let list = dir.write(
        "ours.txt",
        &format!("\r\nnot-this-one\r\n{}\r\n\r\n", LISTED.1),
    );
    let report = audit(&dir, "json")
        .arg("--password-list")
        .arg(&list)
        .fails_with(Code::FindingsOrDrift.as_i32())
        .json();
    let want = sorted(WEAK.iter().map(|(u, _)| *u).chain([LISTED.0]));
    assert_eq!(flagged(&report), want);
}

#[test]
fn a_missing_password_list_is_an_error_naming_the_file() {
    let dir = TestDir::new("audit-passwords-missing");
    let missing = dir.path.join("no-such-list.txt");
    let run = audit(&dir, "json")
        .arg("--password-list")
        .arg(&missing)
        .fails_with(Code::InvalidInput.as_i32());
    run.says(&missing.display().to_string())
        .says("password list");
    assert!(run.stdout().is_empty(), "{}", run.explain());
}
