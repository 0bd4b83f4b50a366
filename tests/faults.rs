//! A broker that dies (SIGKILL) or freezes (SIGSTOP) in the middle of a command: every
//! process ends within 15 s with its documented exit code, and nothing confirmed or acked
//! is lost. (`replay` under two kills is in tests/replay.rs.) The node is this file's own.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use serde_json::Value;
use support::{Node, TestCommand, TestDir, TestVhost, wait_exit, wait_for};
use warren::exit::Code;

const NODE: &str = "faults";
const EXIT_WITHIN: Duration = Duration::from_secs(15);

/// A frozen node (SIGSTOP): thawed when this is dropped, even when the test fails.
struct Frozen<'a>(&'a Node);

impl<'a> Frozen<'a> {
    fn new(node: &'a Node) -> Frozen<'a> {
        signal_node(node, "STOP");
        Frozen(node)
    }
}

impl Drop for Frozen<'_> {
    fn drop(&mut self) {
        signal_node(self.0, "CONT");
    }
}

/// Send `signal` to the node's beam.smp (STOP freezes it with its sockets open).
fn signal_node(node: &Node, signal: &str) {
    let pid = std::fs::read_to_string(PathBuf::from(node.var("NODE_DIR")).join("pid"))
        .expect("the node's pid file");
    let status = Command::new("kill")
        .args([&format!("-{signal}"), pid.trim()])
        .status()
        .expect("kill");
    assert!(status.success(), "kill -{signal} {pid}");
}

/// Start `cmd` with stdout to `name` in `dir`; returns the child and the file.
fn spawn(cmd: &mut TestCommand, dir: &TestDir, name: &str) -> (Child, PathBuf) {
    let path = dir.path.join(name);
    (cmd.spawn_to(&path), path)
}

fn lines(path: &PathBuf) -> usize {
    std::fs::read_to_string(path)
        .map(|t| {
            t.lines()
                .filter(|l| serde_json::from_str::<Value>(l).is_ok())
                .count()
        })
        .unwrap_or(0)
}

/// After a restart the management API answers before the vhost takes AMQP connections:
/// wait (at most 60 s) until `warren status` reaches the vhost over both, so the next
/// command meets a serving broker, not a booting one.
fn serving_again(vhost: &TestVhost, dir: &TestDir) {
    let path = format!("/api/exchanges/{}/events", support::encode(&vhost.name));
    let mut redeclared = false;
    let last = wait_for(Duration::from_secs(60), || {
        let up = vhost
            .warren(dir)
            .arg("status")
            .output()
            .output
            .status
            .success();
        // The vhost can take connections before its durable exchanges are recovered: a tap
        // started then found no `events` (404) under load. And a node killed a second after
        // `events` was declared can come back without it (seen once on 4.0.5: the vhost
        // served for 60 s while `events` stayed 404; its queues, declared just before, were
        // recovered): the broker's own durability, not warren's, so declare it again, once
        // the node has had 5 s to recover it.
        let (status, _) = if up {
            vhost.node.api("GET", &path, None)
        } else {
            (0, String::new())
        };
        if up && status == 404 && !redeclared {
            std::thread::sleep(Duration::from_secs(5));
            if vhost.node.api("GET", &path, None).0 == 404 {
                eprintln!("faults: the restarted node lost exchange `events`: declared again");
                vhost.exchange("events", "fanout");
            }
            redeclared = true;
        }
        (up && status == 200, (up, status))
    });
    assert_eq!(
        last,
        (true, 200),
        "the restarted node never served the vhost again: (status ok, GET events)"
    );
}

/// Wait until `check` holds, at most 60 s, while `child` runs.
fn while_running(child: &mut Child, what: &str, out: &Path, mut check: impl FnMut() -> bool) {
    let ok = wait_for(Duration::from_secs(60), || {
        let running = child.try_wait().expect("try_wait").is_none();
        if !running {
            let mut err = out.as_os_str().to_owned();
            err.push(".stderr");
            panic!(
                "{what}: warren ended before the fault; its stderr:\n{}",
                std::fs::read_to_string(err).unwrap_or_default()
            );
        }
        let ok = check();
        (ok, ok)
    });
    assert!(ok, "{what}: never got going");
}

fn assert_code(status: std::process::ExitStatus, code: Code, what: &str) {
    assert_eq!(
        status.code(),
        Some(code.as_i32()),
        "{what}: expected exit code {}",
        code.as_i32()
    );
}

#[test]
fn a_broker_that_dies_or_freezes_ends_every_command_in_time() {
    let node = Node::start(NODE, &[]);
    let vhost = TestVhost::new(&node, "faults");
    let dir = TestDir::new("faults");
    vhost.queue("q", r#"{"durable":true}"#);
    vhost.queue("c", r#"{"durable":true}"#);
    vhost.exchange("events", "fanout");

    // publish, killed: exit 5 (outcomes unknown), and every confirmed message survives.
    let (mut child, out) = spawn(
        vhost.warren(&dir).args([
            "publish", "-k", "q", "--count", "1000000", "--size", "100", "--rate", "2000", "-o",
            "json",
        ]),
        &dir,
        "publish.json",
    );
    while_running(&mut child, "publish", &out, || {
        vhost.ready("q").unwrap_or(0) >= 500
    });
    node.script("kill");
    let status = wait_exit(&mut child, EXIT_WITHIN);
    assert_code(status, Code::PartialFailure, "publish, node killed");
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("summary")).expect("json");
    let confirmed = summary["confirmed"].as_u64().expect("confirmed");
    assert!(summary["unknown"].as_u64() > Some(0), "{summary}");
    node.script("restart");
    serving_again(&vhost, &dir);
    let kept = vhost.ready("q").unwrap_or(0);
    assert!(kept >= confirmed, "{confirmed} confirmed, {kept} kept");

    // consume, killed: exit 5 with its summary, and every message is written or still in the
    // queue.
    const N: u64 = 20_000;
    vhost
        .warren(&dir)
        .args([
            "publish",
            "-k",
            "c",
            "--count",
            &N.to_string(),
            "--size",
            "10",
        ])
        .succeeds();
    let (mut child, out) = spawn(
        vhost.warren(&dir).args(["consume", "c", "--prefetch", "1"]),
        &dir,
        "consumed.jsonl",
    );
    while_running(&mut child, "consume", &out, || lines(&out) >= 500);
    node.script("kill");
    let status = wait_exit(&mut child, EXIT_WITHIN);
    assert_code(status, Code::PartialFailure, "consume, node killed");
    node.script("restart");
    serving_again(&vhost, &dir);
    let written = lines(&out) as u64;
    let left = vhost.ready("c").unwrap_or(0);
    assert!(
        written + left >= N,
        "{written} written + {left} left < {N}: messages lost"
    );

    // tap, killed: exit 6.
    let (mut child, out) = spawn(
        vhost.warren(&dir).args(["tap", "events"]),
        &dir,
        "tap.jsonl",
    );
    while_running(&mut child, "tap", &out, || vhost.tap_bound("events"));
    node.script("kill");
    let status = wait_exit(&mut child, EXIT_WITHIN);
    assert_code(status, Code::Unreachable, "tap, node killed");
    node.script("restart");
    serving_again(&vhost, &dir);

    // publish, frozen: no confirm comes; --confirm-timeout and the bounded close end it.
    let (mut child, _) = spawn(
        vhost.warren(&dir).args([
            "publish",
            "-k",
            "q",
            "--count",
            "1000000",
            "--size",
            "100",
            "--rate",
            "2000",
            "--confirm-timeout",
            "3",
        ]),
        &dir,
        "frozen-publish.txt",
    );
    let before = vhost.ready("q").unwrap_or(0);
    while_running(&mut child, "publish", &out, || {
        vhost.ready("q").unwrap_or(0) >= before + 500
    });
    let frozen = Frozen::new(&node);
    let status = wait_exit(&mut child, EXIT_WITHIN);
    drop(frozen);
    assert_code(status, Code::PartialFailure, "publish, node frozen");

    // consume, frozen between its last message and the close: the close is bounded.
    let (mut child, out) = spawn(
        vhost
            .warren(&dir)
            .args(["consume", "c", "--idle-timeout", "2"]),
        &dir,
        "frozen-consume.jsonl",
    );
    let left = vhost.ready("c").unwrap_or(0) as usize;
    while_running(&mut child, "consume", &out, || lines(&out) >= left);
    let frozen = Frozen::new(&node);
    let status = wait_exit(&mut child, EXIT_WITHIN);
    drop(frozen);
    assert_code(
        status,
        Code::Success,
        "consume, node frozen before the close",
    );

    // consume, waiting with no idle timeout when the node freezes: the heartbeat (10 s)
    // notices within two beats.
    let (mut child, idle) = spawn(
        vhost.warren(&dir).args(["consume", "c"]),
        &dir,
        "idle.jsonl",
    );
    while_running(&mut child, "consume", &idle, || {
        vhost.count("c", "consumers").unwrap_or(0) >= 1
    });
    let frozen = Frozen::new(&node);
    let started = std::time::Instant::now();
    let status = wait_exit(&mut child, Duration::from_secs(35));
    drop(frozen);
    eprintln!(
        "consume noticed the frozen node after {:?}",
        started.elapsed()
    );
    assert_code(
        status,
        Code::PartialFailure,
        "consume, node frozen while idle",
    );
    node.script("stop");
}
