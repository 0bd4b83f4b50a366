//! Never hang, never panic: every case a new user hit (issue 10) runs with a 60 s deadline
//! and must end with its documented exit code and message, never with a panic (exit 101).

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use serde_json::json;
use support::{Run, TestCommand, TestDir, TestVhost, shared_node};
use warren::exit::Code;

const DEADLINE: Duration = Duration::from_secs(60);

/// Run with the deadline; assert no panic, the exit code and a piece of the message.
fn check(cmd: &mut TestCommand, code: Code, says: &str) -> Run {
    let run = cmd.within(DEADLINE).output();
    let all = format!("{}{}", run.stdout(), run.stderr());
    assert!(
        run.output.status.code() != Some(101) && !all.contains("panicked"),
        "panicked\n{}",
        run.explain()
    );
    assert_eq!(
        run.output.status.code(),
        Some(code.as_i32()),
        "expected exit code {}\n{}",
        code.as_i32(),
        run.explain()
    );
    run.says(says);
    run
}

fn long_name() -> String {
    "n".repeat(256)
}

/// Flags are checked by clap before anything runs: no broker is needed (none listens at
/// port 1), and each case is exit 2 naming the flag.
#[test]
fn out_of_range_flags_are_usage_errors() {
    let dir = TestDir::new("flags");
    let long = long_name();
    let offline = ["--uri", "amqp://localhost:1/%2f"];
    let publish = "publish -k q --body x";
    let cases: Vec<(String, &str)> = [
        ("consume q --idle-timeout inf", "--idle-timeout"),
        ("consume q --idle-timeout=-1", "--idle-timeout"),
        ("consume q --idle-timeout nan", "--idle-timeout"),
        ("consume q --idle-timeout 0", "--idle-timeout"),
        ("tap x --idle-timeout inf", "--idle-timeout"),
        ("peek q --idle-timeout 1e20", "--idle-timeout"),
        ("P --confirm-timeout 1e20", "--confirm-timeout"),
        ("P --confirm-timeout inf", "--confirm-timeout"),
        ("P --confirm-timeout nan", "--confirm-timeout"),
        ("P --confirm-timeout 0", "--confirm-timeout"),
        ("P --rate 1e-30", "--rate"),
        ("P --rate 0", "--rate"),
        ("P --rate nan", "--rate"),
        ("P --rate=-5", "--rate"),
        ("P --window 0", "--window"),
        ("publish -k q --count 1 --size 99999999999999", "--size"),
        ("P --expiration abc", "--expiration"),
        ("P --priority 300", "--priority"),
        (
            "replay dlq --confirm-timeout inf --yes",
            "--confirm-timeout",
        ),
        ("replay dlq --rate 1e-30 --yes", "--rate"),
        (
            "replay dlq --older-than 999999999999999999d --yes",
            "--older-than",
        ),
        (
            "replay dlq --newer-than 9999999999999999999s --yes",
            "--newer-than",
        ),
        ("status --connect-timeout 0", "--connect-timeout"),
        (
            "status --connect-timeout 18446744073709551615",
            "--connect-timeout",
        ),
        // AMQP short strings: at most 255 bytes.
        ("publish -k L --body x", "255"),
        ("publish -e L --body x", "255"),
        ("P --message-id L", "255"),
        ("consume L", "255"),
        ("peek L", "255"),
        ("tap L", "255"),
        ("tap amq.topic -b L", "255"),
        ("replay L --yes", "255"),
        ("replay dlq --target queue:L --yes", "255"),
        ("status --vhost L", "255"),
        // SARIF is audit's alone: refused before anything runs.
        ("P -o sarif", "sarif"),
        ("consume q -o sarif", "sarif"),
        ("replay dlq --yes -o sarif", "sarif"),
        ("topology apply -f t.yaml -o sarif", "sarif"),
        ("status --output sarif", "sarif"),
    ]
    .into_iter()
    .map(|(args, says)| (args.replacen('P', publish, 1), says))
    .collect();
    for (args, says) in cases {
        let args = args
            .split_whitespace()
            .map(|a| if a == "L" { long.as_str() } else { a })
            .map(|a| a.replacen(":L", &format!(":{long}"), 1));
        check(dir.warren().args(offline).args(args), Code::Usage, says);
    }
}

#[test]
fn odd_settings_are_usage_errors() {
    let dir = TestDir::new("settings");
    for uri in [",", " ", " , "] {
        check(
            dir.warren().arg("status").env("WARREN_URI", uri),
            Code::Usage,
            "WARREN_URI",
        );
    }
    check(
        dir.warren()
            .args(["status", "--uri", "amqp://localhost:1/%2f"])
            .env("WARREN_PASSWORD", "secret"),
        Code::Usage,
        "no user",
    );
}

/// A TCP server on a free local port that runs `serve` for each connection.
fn server(serve: fn(std::net::TcpStream)) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding a local port");
    let port = listener.local_addr().expect("local address").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve(stream));
        }
    });
    port
}

#[test]
fn a_peer_that_is_not_amqp_is_unreachable_with_a_sentence() {
    let port = server(|mut s| {
        let mut buf = [0u8; 64];
        let _ = s.read(&mut buf);
        let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
    });
    let dir = TestDir::new("not-amqp");
    let run = check(
        dir.warren().args([
            "publish",
            "-k",
            "q",
            "--body",
            "x",
            "--uri",
            &format!("amqp://localhost:{port}/%2f"),
        ]),
        Code::Unreachable,
        "not as an AMQP 0-9-1 broker",
    );
    run.never_says("ParsingError");
}

#[test]
fn an_api_that_never_answers_fails_within_the_connect_timeout() {
    let port = server(|s| {
        std::thread::sleep(Duration::from_secs(120));
        drop(s);
    });
    let dir = TestDir::new("silent-api");
    let run = check(
        dir.warren().args([
            "audit",
            "--api-url",
            &format!("http://127.0.0.1:{port}"),
            "--connect-timeout",
            "3",
        ]),
        Code::Unreachable,
        "did not answer within 3s",
    );
    assert!(
        run.elapsed < Duration::from_secs(8),
        "took {:?}\n{}",
        run.elapsed,
        run.explain()
    );
}

/// A vhost on the shared node with queue `q` bound to nothing (the default exchange reaches it).
fn vhost_with_queue(tag: &str) -> (TestVhost, TestDir) {
    let vhost = TestVhost::new(shared_node(), tag);
    vhost.queue("q", r#"{"durable":true}"#);
    (vhost, TestDir::new(tag))
}

#[test]
fn a_bad_envelope_line_stops_the_run_before_anything_is_published() {
    let (vhost, dir) = vhost_with_queue("envelopes");
    let good = json!({"routing_key": "q", "body": "ok"});
    let long = long_name();
    let cases = [
        (json!({"routing_key": long, "body": "x"}), "routing_key"),
        (json!({"exchange": long, "body": "x"}), "exchange"),
        (
            json!({"routing_key": "q", "properties": {"delivery_mode": 3}, "body": "x"}),
            "delivery_mode",
        ),
        (
            json!({"routing_key": "q", "properties": {"expiration": "abc"}, "body": "x"}),
            "expiration",
        ),
        (
            json!({"routing_key": "q", "properties": {"expiration": "-5"}, "body": "x"}),
            "expiration",
        ),
        (
            json!({"routing_key": "q", "properties": {"priority": 300}, "body": "x"}),
            "priority",
        ),
        (
            json!({"routing_key": "q", "properties": {"reply_to": long}, "body": "x"}),
            "reply_to",
        ),
    ];
    for (i, (bad, field)) in cases.iter().enumerate() {
        let file = dir.write(
            &format!("bad-{i}.jsonl"),
            &format!("{good}\n{bad}\n{good}\n"),
        );
        let run = check(
            vhost.warren(&dir).args(["publish", "--file"]).arg(&file),
            Code::InvalidInput,
            &format!("bad-{i}.jsonl:2"),
        );
        run.says(field);
        assert_eq!(
            vhost.ready("q"),
            Some(0),
            "published before failing\n{}",
            run.explain()
        );
        // From stdin, lines are checked as they are read: the bad one is never sent, and
        // nothing panics.
        check(
            vhost
                .warren(&dir)
                .args(["publish", "--file", "-"])
                .stdin(format!("{bad}\n")),
            Code::InvalidInput,
            field,
        );
    }
    assert_eq!(vhost.ready("q"), Some(0));
    // --dir: every *.envelope.json is checked first too.
    dir.write("outbox/1.envelope.json", &good.to_string());
    dir.write("outbox/2.envelope.json", &cases[0].0.to_string());
    check(
        vhost.warren(&dir).args(["publish", "--dir", "outbox"]),
        Code::InvalidInput,
        "2.envelope.json: routing_key",
    );
    assert_eq!(vhost.ready("q"), Some(0), "published before failing");
}

#[test]
fn sarif_elsewhere_is_refused_before_publishing() {
    let (vhost, dir) = vhost_with_queue("sarif");
    check(
        vhost
            .warren(&dir)
            .args(["publish", "-k", "q", "--body", "x", "-o", "sarif"]),
        Code::Usage,
        "sarif",
    );
    assert_eq!(vhost.ready("q"), Some(0), "published before refusing");
}

#[test]
fn replay_in_a_missing_vhost_is_exit_9() {
    let node = shared_node();
    let dir = TestDir::new("no-vhost");
    check(
        dir.warren().args([
            "replay",
            "dlq",
            "--yes",
            "--uri",
            &node.amqp_uri(node.admin_user(), "no-such-vhost"),
            "--api-url",
            &node.api_url(),
            "--password-file",
            &node.admin_password_file().display().to_string(),
        ]),
        Code::VhostUnavailable,
        "no-such-vhost",
    );
}

/// A closed stdout or stderr ends the process quietly with exit code 141, like a shell.
#[test]
fn a_closed_pipe_ends_the_process_quietly() {
    let (vhost, dir) = vhost_with_queue("pipes");
    vhost.queue("dlq", r#"{"durable":true}"#);
    let envelopes: String = (0..20)
        .map(|i| {
            format!(
                "{}\n",
                json!({"routing_key": "dlq", "body": format!("m{i}")})
            )
        })
        .collect();
    vhost
        .warren(&dir)
        .args(["publish", "--file", "-"])
        .stdin(envelopes)
        .succeeds();
    let conn = vhost
        .connection_args()
        .iter()
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let pipelines = [
        // The reader is gone before anything is written: deterministic.
        format!(
            r#""$WARREN" audit -o sarif {conn} | {{ exec 0<&-; sleep 3; }}; exit ${{PIPESTATUS[0]}}"#
        ),
        format!(r#""$WARREN" replay dlq --dry-run {conn} 2>&1 | head -1; exit ${{PIPESTATUS[0]}}"#),
        format!(
            r#""$WARREN" tap amq.fanout --idle-timeout 1 {conn} 2>&1 | head -1; exit ${{PIPESTATUS[0]}}"#
        ),
        format!(
            r#""$WARREN" consume dlq --idle-timeout 1 {conn} | {{ exec 0<&-; sleep 3; }}; exit ${{PIPESTATUS[0]}}"#
        ),
        format!(
            r#""$WARREN" topology export {conn} | {{ exec 0<&-; sleep 3; }}; exit ${{PIPESTATUS[0]}}"#
        ),
    ];
    for script in pipelines {
        let run = check(&mut dir.shell(&script), Code::BrokenPipe, "");
        run.never_says("error");
    }
    // consume acked nothing it could not write: every message is still there.
    vhost.wait_ready("dlq", 20);
}

/// Whole reads (no `page=`) that the fake APIs below were asked.
static FLAKY_READS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static BROKEN_READS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Answer one HTTP request on `s`: 500 to a paged read (as 4.0.5 does for vhosts), and to a
/// whole read while `count` (incremented here) is at most `fail`; else 200 with one vhost.
fn vhosts_api(mut s: std::net::TcpStream, count: &std::sync::atomic::AtomicUsize, fail: usize) {
    let line = request_line(&mut s);
    let ok =
        !line.contains("page=") && count.fetch_add(1, std::sync::atomic::Ordering::SeqCst) >= fail;
    let reply = if ok {
        let body = r#"[{"name":"/"}]"#;
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
    } else {
        "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            .to_string()
    };
    let _ = s.write_all(reply.as_bytes());
}

/// A read the broker fails with 500 for a moment is asked again (twice at most), and one it
/// keeps failing ends with the 500 named: 4.0.5 fails `GET /api/vhosts` while a vhost is
/// being deleted (the real race is tests/list.rs).
#[test]
fn a_read_the_api_fails_for_a_moment_is_asked_again_and_no_more_than_twice() {
    let dir = TestDir::new("api-500");
    let list = |port: u16| {
        let mut cmd = dir.warren();
        cmd.args(["list", "vhosts", "-o", "json"])
            .args(["--api-url", &format!("http://127.0.0.1:{port}")])
            .args(["--uri", "amqp://admin@127.0.0.1:1/%2f"])
            .env("WARREN_PASSWORD", "secret");
        cmd
    };
    let flaky = server(|s| vhosts_api(s, &FLAKY_READS, 1));
    let run = list(flaky).within(DEADLINE).succeeds();
    assert!(run.stdout().contains(r#""/""#), "{}", run.explain());
    assert!(
        run.stderr().contains("asking again (1 of 2)"),
        "{}",
        run.explain()
    );
    assert_eq!(FLAKY_READS.load(std::sync::atomic::Ordering::SeqCst), 2);

    let broken = server(|s| vhosts_api(s, &BROKEN_READS, usize::MAX));
    let run = check(&mut list(broken), Code::BrokerRefused, "failed with 500");
    assert!(
        run.stderr().contains("asking again (2 of 2)"),
        "{}",
        run.explain()
    );
    assert_eq!(BROKEN_READS.load(std::sync::atomic::Ordering::SeqCst), 3);
}

/// Read one HTTP request's head from `s`; its first line (`GET /api/... HTTP/1.1`).
fn request_line(s: &mut std::net::TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && s.read(&mut byte).map(|n| n == 1).unwrap_or(false) {
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head)
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

/// Answer one request with `status`, `content_type` and `body`, and close.
fn reply(mut s: std::net::TcpStream, status: &str, content_type: &str, body: &str) {
    request_line(&mut s);
    let _ = s.write_all(
        format!(
            "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
}

/// An HTTP server that is not RabbitMQ's management API, in the three ways a user met: 404
/// for every path (a web server's HTML page), 200 with HTML for every path, and JSON that
/// has no `rabbitmq_version` in `/api/overview`. Every command that reads the API ends with
/// exit 6 naming the URL, never 9 ("vhost not found"), 10 or 1.
#[test]
fn an_http_server_that_is_not_rabbitmq_is_unreachable() {
    let dir = TestDir::new("not-rabbitmq");
    let not_found = server(|s| {
        reply(
            s,
            "404 Not Found",
            "text/html",
            "<html><body><h1>404 Not Found</h1></body></html>",
        )
    });
    let html = server(|s| {
        reply(
            s,
            "200 OK",
            "text/html",
            "<!DOCTYPE html><html><body>It works!</body></html>",
        )
    });
    let json = server(|s| reply(s, "200 OK", "application/json", r#"{"status":"ok"}"#));
    let commands: [&[&str]; 7] = [
        &["list", "vhosts"],
        &["list", "queues", "--vhost", "v"],
        &["show", "vhost", "v"],
        &["topology", "export", "--vhost", "v"],
        // Read /api/overview themselves: judged as it arrives.
        &["health"],
        &["status"],
        // Reads many endpoints at once, each of which a JSON server answers with an object.
        &["audit"],
    ];
    for port in [not_found, html, json] {
        let url = format!("http://127.0.0.1:{port}");
        for command in commands {
            let run = check(
                dir.warren()
                    .args(command)
                    .args(["--api-url", &url])
                    .args(["--uri", "amqp://admin@127.0.0.1:1/v"])
                    .env("WARREN_PASSWORD", "secret"),
                Code::Unreachable,
                &format!("{url}/ is not a RabbitMQ management API"),
            );
            run.never_says("EOF while parsing").never_says("not found");
        }
    }
}

/// A server that sends its headers and then trickles its body, one byte a second: the
/// request, body included, ends within its deadline (six times --connect-timeout) with exit
/// 6, not after the body's end with a JSON error (exit 1).
#[test]
fn a_body_that_never_finishes_is_unreachable_within_the_deadline() {
    let port = server(|mut s| {
        request_line(&mut s);
        let _ = s.write_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n[",
        );
        for _ in 0..120 {
            std::thread::sleep(Duration::from_secs(1));
            if s.write_all(b" ").is_err() {
                return;
            }
        }
    });
    let dir = TestDir::new("trickle");
    let run = check(
        dir.warren()
            .args(["list", "vhosts", "--connect-timeout", "1"])
            .args(["--api-url", &format!("http://127.0.0.1:{port}")])
            .args(["--uri", "amqp://admin@127.0.0.1:1/%2f"])
            .env("WARREN_PASSWORD", "secret"),
        Code::Unreachable,
        &format!(
            "the management API at http://127.0.0.1:{port}/ did not finish its answer to GET /api/vhosts"
        ),
    );
    run.never_says("EOF while parsing");
    assert!(
        run.elapsed < Duration::from_secs(12),
        "took {:?}\n{}",
        run.elapsed,
        run.explain()
    );
}

/// `--columns` naming a column over and over asks for it once: the request stays short
/// (it was a URL the broker refused, exit 6 "unreachable"), and the column is shown once.
#[test]
fn repeated_columns_are_merged() {
    let (vhost, dir) = vhost_with_queue("columns");
    let columns = vec!["name"; 3000].join(",") + ",durable,name";
    let run = check(
        vhost
            .warren(&dir)
            .args(["list", "queues", "-o", "json", "--columns", &columns]),
        Code::Success,
        "",
    );
    assert_eq!(
        run.json(),
        json!([{"name": "q", "durable": true}]),
        "{}",
        run.explain()
    );
}

/// A password file, or a profile file holding a password, that the group or others may read
/// draws one warning line naming the file, its mode and the chmod to run (like ssh's
/// "UNPROTECTED PRIVATE KEY FILE"); the command still runs. No broker: port 1 answers nothing.
#[test]
fn secrets_others_may_read_draw_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TestDir::new("permissions");
    let chmod = |path: &std::path::Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    };
    // Run `args` (exit 6: nothing listens) and return its stderr's first line.
    let first_line = |args: &[&str]| {
        let run = check(dir.warren().args(args), Code::Unreachable, "");
        run.never_says("secret");
        run.stderr().lines().next().unwrap_or("").to_string()
    };
    let password = dir.write("pw", "secret\n");
    let shown = password.display().to_string();
    let with_password = [
        "status",
        "--uri",
        "amqp://admin@127.0.0.1:1/%2f",
        "--password-file",
        &shown,
    ];
    for (mode, who) in [(0o644, "others"), (0o640, "its group"), (0o604, "others")] {
        chmod(&password, mode);
        assert_eq!(
            first_line(&with_password),
            format!(
                "warren: warning: password file {shown} is readable by {who} (mode {mode:04o}); \
                 run `chmod 600 {shown}`"
            )
        );
    }
    chmod(&password, 0o600);
    assert!(!first_line(&with_password).contains("warning"));

    // The profile file: a URI with a password is a secret; a password_file's path is not.
    let profile = ["status", "--profile", "p"];
    let config = dir.write(
        "config/warren/config.yaml",
        "profiles:\n  p:\n    uris: [\"amqp://admin:secret@127.0.0.1:1/%2f\"]\n",
    );
    let config_shown = config.display().to_string();
    chmod(&config, 0o644);
    assert_eq!(
        first_line(&profile),
        format!(
            "warren: warning: profile file {config_shown} holds a password and is readable by \
             others (mode 0644); run `chmod 600 {config_shown}`"
        )
    );
    chmod(&config, 0o600);
    assert!(!first_line(&profile).contains("warning"));
    dir.write(
        "config/warren/config.yaml",
        &format!(
            "profiles:\n  p:\n    uris: [\"amqp://admin@127.0.0.1:1/%2f\"]\n    password_file: {shown}\n"
        ),
    );
    chmod(&config, 0o644);
    assert!(!first_line(&profile).contains("warning"));
}
