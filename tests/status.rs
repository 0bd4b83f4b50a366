//! `warren status` against real RabbitMQ nodes started by `scripts/broker`.

mod support;

use support::{Node, TestDir, TestVhost, shared_node};
use warren::exit::Code;

fn code(c: Code) -> i32 {
    c.as_i32()
}

#[test]
fn status_reaches_the_vhost_over_amqp_and_http() {
    let node = shared_node();
    let vhost = TestVhost::new(node, "status");
    let dir = TestDir::new("status");
    let run = vhost.warren(&dir).arg("status").succeeds();
    run.says("RabbitMQ").says(&vhost.name).says("amqp");
    // The metadata store: Khepri is 4.3's only one; the test nodes of 3.10 and 4.0 use Mnesia.
    let store = if node.version() == "4.3" {
        "Khepri"
    } else {
        "Mnesia"
    };
    run.says(&format!("metadata store {store}"));
    let json = vhost
        .warren(&dir)
        .args(["status", "--output", "json"])
        .succeeds()
        .json();
    assert_eq!(json["amqp"]["reached_vhost"], true, "{json:#}");
    assert_eq!(json["http"]["reached_vhost"], true, "{json:#}");
    assert!(
        json["broker"]["rabbitmq_version"]
            .as_str()
            .is_some_and(|v| !v.is_empty())
    );
    assert_eq!(json["broker"]["metadata_store"], store, "{json:#}");
    assert!(
        json["broker"]["erlang_version"]
            .as_str()
            .is_some_and(|v| !v.is_empty())
    );
    let nodes = json["broker"]["nodes"].as_array().expect("nodes");
    assert!(
        nodes.iter().any(|n| n["name"]
            .as_str()
            .is_some_and(|s| s.contains("warren-test"))),
        "{json:#}"
    );
    let amqp_port = node.port("AMQP_PORT");
    let listeners = json["listeners"].as_array().expect("listeners");
    assert!(
        listeners
            .iter()
            .any(|l| l["port"] == amqp_port && l["protocol"] == "amqp" && l["tls"] == false),
        "{json:#}"
    );
}

#[test]
fn ping_alias_and_yaml_output() {
    let node = shared_node();
    let vhost = TestVhost::new(node, "ping");
    let dir = TestDir::new("ping");
    let run = vhost.warren(&dir).args(["ping", "-o", "yaml"]).succeeds();
    let doc: serde_yaml::Value = serde_yaml::from_str(&run.stdout()).expect("yaml");
    assert_eq!(doc["amqp"]["reached_vhost"], serde_yaml::Value::Bool(true));
}

#[test]
fn wrong_password_is_an_auth_failure_and_never_printed() {
    let node = shared_node();
    let vhost = TestVhost::new(node, "badpw");
    let dir = TestDir::new("badpw");
    let secret = "not-the-Password-42";
    let pw = dir.write("pw", secret);
    let run = dir
        .warren()
        .args([
            "status",
            "--uri",
            &node.amqp_uri(node.admin_user(), &vhost.name),
        ])
        .args(["--api-url", &node.api_url()])
        .arg("--password-file")
        .arg(&pw)
        .fails_with(code(Code::AuthRefused));
    run.says("refused").never_says(secret);
    // The same through the environment, in every output format.
    for format in ["table", "json", "yaml"] {
        dir.warren()
            .args([
                "status",
                "-o",
                format,
                "--uri",
                &node.amqp_uri(node.admin_user(), &vhost.name),
            ])
            .args(["--api-url", &node.api_url()])
            .env("WARREN_PASSWORD", secret)
            .fails_with(code(Code::AuthRefused))
            .never_says(secret);
    }
}

#[test]
fn missing_vhost_has_its_own_code() {
    let node = shared_node();
    let dir = TestDir::new("novhost");
    dir.warren()
        .args([
            "status",
            "--uri",
            &node.amqp_uri(node.admin_user(), "no-such-vhost-here"),
        ])
        .args(["--api-url", &node.api_url()])
        .arg("--password-file")
        .arg(node.admin_password_file())
        .fails_with(code(Code::VhostUnavailable))
        .says("no-such-vhost-here")
        .never_says(&node.admin_password());
}

/// A port on loopback that nothing listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

#[test]
fn closed_port_is_unreachable() {
    let dir = TestDir::new("closed");
    let port = closed_port();
    dir.warren()
        .args([
            "status",
            "--uri",
            &format!("amqp://someone@127.0.0.1:{port}/%2f"),
        ])
        .args(["--api-url", &format!("http://127.0.0.1:{port}")])
        .env("WARREN_PASSWORD", "pw-that-must-not-leak")
        .fails_with(code(Code::Unreachable))
        .says("cannot reach")
        .says(&port.to_string())
        .never_says("pw-that-must-not-leak");
}

#[test]
fn several_uris_are_tried_in_order() {
    let node = shared_node();
    let vhost = TestVhost::new(node, "failover");
    let dir = TestDir::new("failover");
    let dead = closed_port();
    let run = dir
        .warren()
        .args(["status", "-o", "json"])
        .args([
            "--uri",
            &format!(
                "amqp://{}@127.0.0.1:{dead}/{}",
                node.admin_user(),
                support::encode(&vhost.name)
            ),
        ])
        .args(["--uri", &node.amqp_uri(node.admin_user(), &vhost.name)])
        .args(["--api-url", &format!("http://127.0.0.1:{dead}")])
        .args(["--api-url", &node.api_url()])
        .arg("--password-file")
        .arg(node.admin_password_file())
        .succeeds();
    run.says("trying the next node").says(&format!(
        "connected to amqp://{}@localhost:{}",
        node.admin_user(),
        node.port("AMQP_PORT")
    ));
    let json = run.json();
    assert_eq!(json["amqp"]["reached_vhost"], true);
    assert_eq!(json["http"]["endpoint"], format!("{}/", node.api_url()));
}

#[test]
fn password_in_uri_flag_is_refused() {
    let dir = TestDir::new("uripw");
    dir.warren()
        .args(["status", "--uri", "amqp://u:Sup3rSecret@localhost:1/%2f"])
        .fails_with(code(Code::Usage))
        .says("--password-file")
        .never_says("Sup3rSecret");
}

#[test]
fn profile_supplies_settings_and_flags_win() {
    let node = shared_node();
    let vhost = TestVhost::new(node, "profile");
    let dir = TestDir::new("profile");
    dir.write(
        "config/warren/config.yaml",
        &format!(
            "profiles:\n  local:\n    uris: [\"{}\"]\n    api_urls: [\"{}\"]\n    password_file: {}\n",
            node.amqp_uri(node.admin_user(), &vhost.name),
            node.api_url(),
            node.admin_password_file().display()
        ),
    );
    let json = dir
        .warren()
        .args(["status", "--profile", "local", "-o", "json"])
        .succeeds()
        .json();
    assert_eq!(json["amqp"]["vhost"], vhost.name.as_str());
    // WARREN_PROFILE selects it too; a --vhost flag overrides the profile's URI.
    dir.warren()
        .args(["status", "--vhost", "no-such-vhost-either"])
        .env("WARREN_PROFILE", "local")
        .fails_with(code(Code::VhostUnavailable));
    dir.warren()
        .args(["status", "--profile", "nope"])
        .fails_with(code(Code::InvalidInput))
        .says("defined: local");
}

fn tls_node() -> &'static Node {
    static NODE: std::sync::OnceLock<Node> = std::sync::OnceLock::new();
    NODE.get_or_init(|| Node::start("tls", &["--tls"]))
}

fn tls_command(node: &Node, dir: &TestDir) -> support::TestCommand {
    let mut cmd = dir.warren();
    cmd.args(["status", "-o", "json"])
        .args([
            "--uri",
            &format!(
                "amqps://{}@localhost:{}/%2f",
                node.admin_user(),
                node.port("AMQPS_PORT")
            ),
        ])
        .args([
            "--api-url",
            &format!("https://localhost:{}", node.port("MGMTS_PORT")),
        ])
        .arg("--password-file")
        .arg(node.admin_password_file());
    cmd
}

#[test]
fn tls_node_verifies_with_the_ca() {
    let node = tls_node();
    let dir = TestDir::new("tls-ok");
    let json = tls_command(node, &dir)
        .arg("--ca-cert")
        .arg(node.cert("ca.pem"))
        .succeeds()
        .json();
    assert_eq!(json["amqp"]["reached_vhost"], true, "{json:#}");
    assert_eq!(json["http"]["reached_vhost"], true, "{json:#}");
    let listeners = json["listeners"].as_array().expect("listeners");
    assert!(
        listeners
            .iter()
            .any(|l| l["port"] == node.port("AMQPS_PORT") && l["tls"] == true),
        "{json:#}"
    );
}

#[test]
fn tls_without_the_ca_fails_with_unknown_issuer() {
    let node = tls_node();
    let dir = TestDir::new("tls-noca");
    tls_command(node, &dir)
        .fails_with(code(Code::Tls))
        .says("unknown issuer");
    tls_command(node, &dir)
        .arg("--ca-cert")
        .arg(node.cert("wrong-ca.pem"))
        .fails_with(code(Code::Tls))
        .says("unknown issuer")
        .never_says(&node.admin_password());
}

#[test]
fn tls_name_mismatch_is_named() {
    let node = tls_node();
    let dir = TestDir::new("tls-name");
    tls_command(node, &dir)
        .arg("--ca-cert")
        .arg(node.cert("ca.pem"))
        .args(["--tls-server-name", "wrong.example"])
        .fails_with(code(Code::Tls))
        .says("name mismatch");
}

#[test]
fn client_certificate_works_where_required() {
    let node = Node::start("mtls", &["--require-client-cert"]);
    let dir = TestDir::new("mtls");
    tls_command(&node, &dir)
        .arg("--ca-cert")
        .arg(node.cert("ca.pem"))
        .fails_with(code(Code::Tls))
        .says("client certificate");
    let json = tls_command(&node, &dir)
        .arg("--ca-cert")
        .arg(node.cert("ca.pem"))
        .arg("--client-cert")
        .arg(node.cert("client.pem"))
        .arg("--client-key")
        .arg(node.cert("client.key"))
        .succeeds()
        .json();
    assert_eq!(json["amqp"]["reached_vhost"], true, "{json:#}");
    assert_eq!(json["http"]["reached_vhost"], true, "{json:#}");
}

#[test]
fn a_killed_node_is_unreachable_until_restarted() {
    let node = Node::start("killme", &[]);
    let dir = TestDir::new("killme");
    let status = || {
        let mut cmd = dir.warren();
        cmd.args(["status", "--uri", &node.amqp_uri(node.admin_user(), "/")])
            .args(["--api-url", &node.api_url()])
            .arg("--password-file")
            .arg(node.admin_password_file());
        cmd
    };
    status().succeeds();
    node.script("kill");
    status()
        .fails_with(code(Code::Unreachable))
        .says("cannot reach");
    node.script("restart");
    status().succeeds();
}
