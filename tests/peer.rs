//! Readable TLS errors (issue 27): each way a TLS peer can fail the check is one sentence
//! and a hint, exit 8, for AMQP and for the management API alike, and never rustls's
//! debug text. A real TLS node (scripts/broker --tls) serves the cases it can; certificates
//! it can't present (expired, not yet valid, a CA certificate) are made here with openssl,
//! signed by the node's CA, and served by `openssl s_server`.

mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{Node, Run, TestCommand, TestDir};
use warren::exit::Code;

fn tls_node() -> &'static Node {
    static NODE: std::sync::OnceLock<Node> = std::sync::OnceLock::new();
    NODE.get_or_init(|| Node::start("peer-tls", &["--tls"]))
}

/// The two ways warren meets a TLS peer: AMQP over `amqps://host:port` and the management
/// API over `https://host:port`. Each gets the node's admin credentials and `extra`.
#[derive(Clone, Copy, Debug)]
enum Over {
    Amqp,
    Http,
}

fn warren_to(dir: &TestDir, over: Over, host: &str, port: u16, extra: &[&str]) -> TestCommand {
    let node = tls_node();
    let mut cmd = dir.warren();
    match over {
        Over::Amqp => cmd
            .args(["publish", "-k", "q", "--body", "x", "--uri"])
            .arg(format!("amqps://{}@{host}:{port}/%2f", node.admin_user())),
        Over::Http => cmd
            .args(["list", "vhosts", "--api-url"])
            .arg(format!("https://{host}:{port}"))
            .args(["--uri", &node.amqp_uri(node.admin_user(), "/")]),
    };
    cmd.arg("--password-file")
        .arg(node.admin_password_file())
        .args(["--connect-timeout", "5"])
        .args(extra)
        .within(Duration::from_secs(60));
    cmd
}

/// Exit 8, the sentence expected, and none of rustls's debug names.
fn refused(cmd: &mut TestCommand, says: &str) -> Run {
    let run = cmd.fails_with(Code::Tls.as_i32());
    run.says(says);
    for debug in [
        "OtherError",
        "CaUsedAsEndEntity",
        "BadSignature",
        "Context {",
        "InvalidCertificate(",
        "InvalidContentType",
    ] {
        run.never_says(debug);
    }
    assert_eq!(
        run.stderr().lines().count(),
        1,
        "one line expected\n{}",
        run.explain()
    );
    run
}

fn ca(node: &Node) -> String {
    node.cert("ca.pem").display().to_string()
}

#[test]
fn an_unknown_issuer_is_one_sentence() {
    let node = tls_node();
    let dir = TestDir::new("tls-issuer");
    // A CA of the same name with another key: rustls says BadSignature.
    let same_name = dir.path.join("same-name-ca.pem");
    openssl(
        &dir.path,
        &format!(
            "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out other.key && \
             openssl req -x509 -new -key other.key -subj '/CN=warren test CA' -days 30 \
             -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
             -out {}",
            same_name.display()
        ),
    );
    let wrong_ca = node.cert("wrong-ca.pem").display().to_string();
    let same_name = same_name.display().to_string();
    for (over, port) in [
        (Over::Amqp, node.port("AMQPS_PORT")),
        (Over::Http, node.port("MGMTS_PORT")),
    ] {
        let sentence = format!(
            "TLS: the certificate of localhost:{port} is not signed by a CA warren trusts \
             (unknown issuer); give the CA that signed it with --ca-cert"
        );
        for extra in [
            vec![],
            vec!["--ca-cert", wrong_ca.as_str()],
            vec!["--ca-cert", same_name.as_str()],
        ] {
            refused(
                &mut warren_to(&dir, over, "localhost", port, &extra),
                &sentence,
            );
        }
    }
}

#[test]
fn a_name_mismatch_names_the_name_checked() {
    let node = tls_node();
    let dir = TestDir::new("tls-name");
    let ca = ca(node);
    for (over, port) in [
        (Over::Amqp, node.port("AMQPS_PORT")),
        (Over::Http, node.port("MGMTS_PORT")),
    ] {
        // Dialled at 127.0.0.1, which the certificate holds too: the name checked is the
        // flag's, and the message names it, not the address.
        let run = refused(
            &mut warren_to(
                &dir,
                over,
                "127.0.0.1",
                port,
                &["--ca-cert", &ca, "--tls-server-name", "wrong.example"],
            ),
            &format!(
                "TLS: name mismatch: the certificate of 127.0.0.1:{port} is not valid for \
                 `wrong.example` (it names localhost, 127.0.0.1); connect by a name it holds, \
                 or give one with --tls-server-name"
            ),
        );
        run.never_says("`127.0.0.1`");
    }
}

#[test]
fn a_handshake_with_a_plain_port_says_so() {
    let node = tls_node();
    let dir = TestDir::new("tls-plain");
    let ca = ca(node);
    for (over, port, scheme) in [
        (Over::Amqp, node.port("AMQP_PORT"), "amqp://"),
        (Over::Http, node.port("MGMT_PORT"), "http://"),
    ] {
        refused(
            &mut warren_to(&dir, over, "localhost", port, &["--ca-cert", &ca]),
            &format!(
                "TLS: localhost:{port} did not answer the TLS handshake in TLS: it looks like a \
                 plain (non-TLS) port; use {scheme}, or the port of its TLS listener"
            ),
        );
    }
}

/// Certificates the node's CA signs here, served by `openssl s_server`: expired, not yet
/// valid, and the CA's own certificate presented as a server's.
#[test]
fn bad_certificates_are_one_sentence_each() {
    let node = tls_node();
    let dir = TestDir::new("tls-bad-certs");
    make_leaves(node, &dir.path);
    let ca = ca(node);
    let leaf_key = dir.path.join("leaf.key");
    let cases = [
        (
            dir.path.join("expired.pem"),
            leaf_key.clone(),
            "expired on 2020-01-02T00:00:00Z; renew the server's certificate, or check this \
             machine's clock",
        ),
        (
            dir.path.join("future.pem"),
            leaf_key.clone(),
            "is not valid before 2099-01-01T00:00:00Z; check this machine's clock, or the \
             server's certificate",
        ),
        (
            node.cert("ca.pem"),
            node.cert("ca.key"),
            "is a CA certificate, not a server's; configure the server with a certificate \
             that CA signed",
        ),
    ];
    for (cert, key, says) in cases {
        let server = TlsServer::start(&cert, &key);
        for over in [Over::Amqp, Over::Http] {
            refused(
                &mut warren_to(&dir, over, "localhost", server.port, &["--ca-cert", &ca]),
                &format!("TLS: the certificate of localhost:{} {says}", server.port),
            );
        }
    }
}

/// Run a shell script of openssl commands in `dir`; panic with its output on failure.
fn openssl(dir: &Path, script: &str) {
    let out = Command::new("bash")
        .args(["-c", &format!("set -euo pipefail; {script}")])
        .current_dir(dir)
        .output()
        .expect("running bash (openssl is installed by scripts/broker install)");
    assert!(
        out.status.success(),
        "{script}\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `expired.pem` (2020-01-01 to 2020-01-02) and `future.pem` (2099-01-01 to 2100-01-01) for
/// `localhost`, both with `leaf.key`, signed by the node's CA (`openssl ca` sets any dates).
fn make_leaves(node: &Node, dir: &Path) {
    std::fs::write(
        dir.join("ca.cnf"),
        "[ca]\ndefault_ca = the_ca\n\
         [the_ca]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\n\
         default_md = sha256\npolicy = any\nunique_subject = no\n\
         [any]\ncommonName = supplied\n\
         [server_ext]\nbasicConstraints = critical,CA:FALSE\n\
         keyUsage = critical,digitalSignature,keyEncipherment\n\
         extendedKeyUsage = serverAuth\nsubjectAltName = DNS:localhost\n",
    )
    .expect("writing ca.cnf");
    let sign = |out: &str, start: &str, end: &str| {
        format!(
            "openssl ca -batch -notext -config ca.cnf -extensions server_ext -cert {} \
             -keyfile {} -in leaf.csr -out {out} -startdate {start} -enddate {end}",
            node.cert("ca.pem").display(),
            node.cert("ca.key").display()
        )
    };
    openssl(
        dir,
        &format!(
            ": > index.txt && echo 01 > serial && \
             openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out leaf.key && \
             openssl req -new -key leaf.key -subj /CN=localhost -out leaf.csr && {} && {}",
            sign("expired.pem", "20200101000000Z", "20200102000000Z"),
            sign("future.pem", "20990101000000Z", "21000101000000Z"),
        ),
    );
}

/// `openssl s_server` presenting `cert` on a free local port; killed on drop.
struct TlsServer {
    child: Child,
    port: u16,
}

impl TlsServer {
    fn start(cert: &Path, key: &Path) -> TlsServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("openssl")
            .args(["s_server", "-quiet", "-www", "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("-cert")
            .arg(cert)
            .arg("-key")
            .arg(key)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting openssl s_server");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "openssl s_server did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        TlsServer { child, port }
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
