//! Test support: RabbitMQ nodes started by `scripts/broker`, a fresh vhost per test, and a
//! `TestCommand` that runs the built `warren` binary and explains itself when it fails.

#![allow(dead_code)]

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A small deterministic generator for generated test cases (no dependency): xorshift.
pub struct Gen(pub u64);

impl Gen {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

/// Poll `check` (every 100 ms) until it says done or `limit` passes; returns its last value.
pub fn wait_for<T>(limit: Duration, mut check: impl FnMut() -> (bool, T)) -> T {
    let deadline = Instant::now() + limit;
    loop {
        let (done, value) = check();
        if done || Instant::now() >= deadline {
            return value;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Wait for `child` to exit, at most `limit`; past it, kill it and fail the test.
pub fn wait_exit(child: &mut std::process::Child, limit: Duration) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "process {} still running after {limit:?}: killed",
                child.id()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// How long any one command under test may run before it counts as hung and is killed.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(300);

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Compare `actual` with its expected-output file, `tests/expected/{rel}`, byte for byte;
/// `WARREN_UPDATE_GENERATED=1` writes the file instead (then review the diff and commit).
/// Redact volatile fields (times, rates, ids, ports) before calling.
pub fn expect_output(rel: &str, actual: &str) {
    if let Some(difference) = differs_from_expected(rel, actual) {
        panic!("{difference}");
    }
}

/// What [`expect_output`] would panic with, if anything.
pub fn differs_from_expected(rel: &str, actual: &str) -> Option<String> {
    let path = repo().join("tests/expected").join(rel);
    if std::env::var_os("WARREN_UPDATE_GENERATED").is_some() {
        std::fs::create_dir_all(path.parent().expect("a directory")).expect("mkdir");
        std::fs::write(&path, actual).expect("writing an expected-output file");
        return None;
    }
    let expected = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            return Some(format!(
                "{}: {e}; create it with WARREN_UPDATE_GENERATED=1 and review it\n--- actual\n{actual}",
                path.display()
            ));
        }
    };
    if expected == actual {
        return None;
    }
    let line = expected
        .lines()
        .zip(actual.lines())
        .position(|(e, a)| e != a)
        .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
    Some(format!(
        "{} differs from the output, first at line {}:\n--- expected\n{expected}\n--- actual\n{actual}",
        path.display(),
        line + 1
    ))
}

/// The RabbitMQ version the integration tests run against: `WARREN_TEST_BROKER` (`3.10`,
/// the default, `4.0` or `4.3`); `scripts/test` runs the suite once per version.
pub fn test_broker() -> String {
    let version = std::env::var("WARREN_TEST_BROKER").unwrap_or_else(|_| "3.10".into());
    assert!(
        ["3.10", "4.0", "4.3"].contains(&version.as_str()),
        "WARREN_TEST_BROKER={version:?}: use 3.10, 4.0 or 4.3"
    );
    version
}

/// `scripts/broker ARGS...`; must succeed. Returns the KEY=value lines it printed.
fn broker(args: &[&str]) -> HashMap<String, String> {
    let out = Command::new(repo().join("scripts/broker"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("running scripts/broker");
    assert!(
        out.status.success(),
        "scripts/broker {args:?} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            (
                k.trim().to_string(),
                v.trim().trim_matches('"').trim_matches('\'').to_string(),
            )
        })
        .collect()
}

/// A broker node started (or found running) by `scripts/broker start`.
#[derive(Debug, Clone)]
pub struct Node {
    /// The name `scripts/broker` knows the node by (`NAME`; `test-v40` for a 4.0 `test`).
    pub name: String,
    pub env: HashMap<String, String>,
}

impl Node {
    /// Start the node `name` of the version under test (`test_broker()`) with extra
    /// `scripts/broker start` options, or reuse it when it already runs. The script holds a
    /// lock, so parallel test binaries share one start. 3.10 and 4.0 nodes of one name are
    /// distinct nodes (the script names the 4.0 one `NAME-v40`).
    pub fn start(name: &str, options: &[&str]) -> Node {
        let version = test_broker();
        let mut args = vec!["start", name, "--version", &version];
        args.extend_from_slice(options);
        Node::from_env(broker(&args))
    }

    fn from_env(env: HashMap<String, String>) -> Node {
        let name = env
            .get("NAME")
            .unwrap_or_else(|| panic!("scripts/broker env without NAME: {env:?}"))
            .clone();
        Node { name, env }
    }

    /// The broker's version as `scripts/broker` started it: "3.10" or "4.0". Tests branch
    /// on it only where 3.x and 4.x legitimately differ, naming the difference.
    pub fn version(&self) -> &str {
        self.var("VERSION")
    }

    /// RabbitMQ 4.x?
    pub fn is_4x(&self) -> bool {
        self.version().starts_with("4.")
    }

    pub fn var(&self, key: &str) -> &str {
        self.env.get(key).unwrap_or_else(|| {
            panic!(
                "scripts/broker env for {} has no {key}: {:?}",
                self.name, self.env
            )
        })
    }

    pub fn port(&self, key: &str) -> u16 {
        self.var(key).parse().expect("port number")
    }

    pub fn admin_user(&self) -> &str {
        self.var("ADMIN_USER")
    }

    pub fn admin_password_file(&self) -> PathBuf {
        PathBuf::from(self.var("ADMIN_PASSWORD_FILE"))
    }

    pub fn admin_password(&self) -> String {
        std::fs::read_to_string(self.admin_password_file()).expect("admin password file")
    }

    pub fn cert(&self, file: &str) -> PathBuf {
        Path::new(self.var("CERT_DIR")).join(file)
    }

    pub fn api_url(&self) -> String {
        format!("http://localhost:{}", self.port("MGMT_PORT"))
    }

    pub fn amqp_uri(&self, user: &str, vhost: &str) -> String {
        format!(
            "amqp://{user}@localhost:{}/{}",
            self.port("AMQP_PORT"),
            encode(vhost)
        )
    }

    /// Call the management API as the admin with curl; returns (HTTP status, body).
    pub fn api(&self, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
        let mut cmd = Command::new("curl");
        // A frozen or dead node must fail the test, not hang it.
        cmd.args([
            "-sS",
            "--max-time",
            "30",
            "-o",
            "-",
            "-w",
            "\n%{http_code}",
            "-X",
            method,
        ])
        .arg("-u")
        .arg(format!("{}:{}", self.admin_user(), self.admin_password()))
        .arg(format!("{}{path}", self.api_url()))
        .args(["-H", "content-type: application/json"]);
        if let Some(b) = body {
            cmd.args(["--data-binary", b]);
        }
        let out = cmd.output().expect("running curl");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, status) = text.rsplit_once('\n').unwrap_or(("", "0"));
        (status.trim().parse().unwrap_or(0), body.to_string())
    }

    /// Like `api`, but panics unless the status is 2xx.
    pub fn api_ok(&self, method: &str, path: &str, body: Option<&str>) -> String {
        let (status, text) = self.api(method, path, body);
        assert!(
            (200..300).contains(&status),
            "{method} {path} -> {status}: {text}"
        );
        text
    }

    /// `scripts/broker ACTION NAME` for this node (kill, restart, stop, partition, heal);
    /// must succeed.
    pub fn script(&self, action: &str) {
        broker(&[action, &self.name]);
    }

    pub fn ctl(&self, args: &[&str]) -> Output {
        Command::new(repo().join("scripts/broker"))
            .arg("ctl")
            .arg(&self.name)
            .args(args)
            .output()
            .expect("scripts/broker ctl")
    }
}

/// A cluster started by `scripts/broker start NAME --cluster N`, of the version under test.
/// Members are numbered from 1, as the script numbers them.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// The name `scripts/broker` knows the cluster by (`NAME-v40` for 4.0).
    pub name: String,
    pub env: HashMap<String, String>,
    members: Vec<Node>,
}

impl Cluster {
    /// Start (or reuse) the cluster `name` of `size` members joined into one cluster, with
    /// extra `scripts/broker start` options for every member.
    pub fn start(name: &str, size: usize, options: &[&str]) -> Cluster {
        let version = test_broker();
        let size_arg = size.to_string();
        let mut args = vec!["start", name, "--cluster", &size_arg, "--version", &version];
        args.extend_from_slice(options);
        let env = broker(&args);
        let members = (1..=size)
            .map(|i| {
                let prefix = format!("NODE{i}_");
                Node::from_env(
                    env.iter()
                        .filter_map(|(k, v)| {
                            Some((k.strip_prefix(&prefix)?.to_string(), v.clone()))
                        })
                        .collect(),
                )
            })
            .collect();
        Cluster {
            name: env["CLUSTER"].clone(),
            env,
            members,
        }
    }

    /// Member `i` (1-based).
    pub fn member(&self, i: usize) -> &Node {
        assert!(
            (1..=self.members.len()).contains(&i),
            "cluster {} has members 1..={}",
            self.name,
            self.members.len()
        );
        &self.members[i - 1]
    }

    pub fn members(&self) -> &[Node] {
        &self.members
    }

    pub fn version(&self) -> &str {
        &self.env["VERSION"]
    }

    /// SIGKILL member `i`'s beam.smp.
    pub fn kill(&self, i: usize) {
        self.member(i).script("kill");
    }

    /// Start member `i` again (after `kill`), with its data; it rejoins the cluster.
    pub fn restart(&self, i: usize) {
        self.member(i).script("restart");
    }

    /// Cut member `i`'s Erlang distribution off from the other members; returns when both
    /// sides see each other down.
    pub fn partition(&self, i: usize) {
        self.member(i).script("partition");
    }

    /// Reconnect member `i` and return once RabbitMQ reports the partition (partition
    /// handling `ignore` keeps the cluster partitioned until `heal`).
    pub fn heal_network(&self, i: usize) {
        broker(&["heal", &self.member(i).name, "--network-only"]);
    }

    /// Reconnect member `i` and end the partition (restarts the member's app); returns
    /// once every member runs and none reports a partition.
    pub fn heal(&self, i: usize) {
        self.member(i).script("heal");
    }

    /// Stop every member.
    pub fn stop(&self) {
        broker(&["stop", &self.name]);
    }
}

/// How many whole lines a JSON Lines file holds so far, for polling a file a running warren
/// writes: its last line may be half written at that moment (a buffered write in progress),
/// which only `jsonl_bodies` after the run may judge.
pub fn complete_lines(path: &Path) -> usize {
    std::fs::read(path)
        .map(|bytes| bytes.iter().filter(|b| **b == b'\n').count())
        .unwrap_or(0)
}

/// The message bodies of a JSON Lines file of envelopes (`consume`, `purge --export`), in
/// file order; an absent file has none. Every line must be whole: use it once the writer
/// has ended (`complete_lines` while it runs).
pub fn jsonl_bodies(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("bad line {l:?}: {e}"));
            v["body"].as_str().unwrap_or_default().to_string()
        })
        .collect()
}

impl Node {
    /// Take every message out of `queue` in `vhost` through the management API (not
    /// warren): their bodies, in queue order.
    pub fn take_all(&self, vhost: &str, queue: &str) -> Vec<String> {
        let path = format!("/api/queues/{}/{}/get", encode(vhost), encode(queue));
        let mut all = Vec::new();
        loop {
            let answer = self.api_ok(
                "POST",
                &path,
                Some(r#"{"count":5000,"ackmode":"ack_requeue_false","encoding":"auto"}"#),
            );
            let got: Vec<serde_json::Value> = serde_json::from_str(&answer)
                .unwrap_or_else(|e| panic!("GET of {queue}: {e}: {answer}"));
            if got.is_empty() {
                return all;
            }
            all.extend(
                got.iter()
                    .map(|m| m["payload"].as_str().unwrap_or_default().to_string()),
            );
        }
    }
}

/// The node most tests share.
pub fn shared_node() -> &'static Node {
    static NODE: OnceLock<Node> = OnceLock::new();
    NODE.get_or_init(|| Node::start("test", &[]))
}

/// Percent-encode a vhost or path segment.
pub fn encode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A vhost of its own for one test, with the admin granted full access; deleted on drop.
pub struct TestVhost {
    pub node: Node,
    pub name: String,
}

impl TestVhost {
    pub fn new(node: &Node, test: &str) -> TestVhost {
        Self::named(node, unique(&format!("t-{test}")))
    }

    /// A vhost of exactly this name, made afresh (one a crashed earlier run left is deleted
    /// first): for expected output, whose table widths must not vary with a process id.
    pub fn fixed(node: &Node, name: &str) -> TestVhost {
        let _ = node.api("DELETE", &format!("/api/vhosts/{}", encode(name)), None);
        Self::named(node, name.to_string())
    }

    fn named(node: &Node, name: String) -> TestVhost {
        node.api_ok("PUT", &format!("/api/vhosts/{}", encode(&name)), Some("{}"));
        node.api_ok(
            "PUT",
            &format!(
                "/api/permissions/{}/{}",
                encode(&name),
                encode(node.admin_user())
            ),
            Some(r#"{"configure":".*","write":".*","read":".*"}"#),
        );
        TestVhost {
            node: node.clone(),
            name,
        }
    }

    /// Declare a queue through the management API; `body` is its JSON definition.
    pub fn queue(&self, name: &str, body: &str) {
        self.node.api_ok(
            "PUT",
            &format!("/api/queues/{}/{}", encode(&self.name), encode(name)),
            Some(body),
        );
    }

    /// Declare an exchange through the management API.
    pub fn exchange(&self, name: &str, kind: &str) {
        self.node.api_ok(
            "PUT",
            &format!("/api/exchanges/{}/{}", encode(&self.name), encode(name)),
            Some(&format!(r#"{{"type":"{kind}","durable":true}}"#)),
        );
    }

    /// Bind `queue` to `exchange` with `key`.
    pub fn bind(&self, exchange: &str, queue: &str, key: &str) {
        self.node.api_ok(
            "POST",
            &format!(
                "/api/bindings/{}/e/{}/q/{}",
                encode(&self.name),
                encode(exchange),
                encode(queue)
            ),
            Some(&serde_json::json!({ "routing_key": key }).to_string()),
        );
    }

    /// Publish `count` messages (`m0`, `m1`, ...) to `queue` through the management API
    /// (not warren).
    pub fn put_messages(&self, queue: &str, count: usize) {
        for i in 0..count {
            self.node.api_ok(
                "POST",
                &format!("/api/exchanges/{}/amq.default/publish", encode(&self.name)),
                Some(
                    &serde_json::json!({
                        "properties": {}, "routing_key": queue,
                        "payload": format!("m{i}"), "payload_encoding": "string"
                    })
                    .to_string(),
                ),
            );
        }
    }

    /// Take every message off `queue` with `warren consume`; returns the envelopes.
    pub fn drain(&self, dir: &TestDir, queue: &str) -> Vec<serde_json::Value> {
        let run = self
            .warren(dir)
            .args(["consume", queue, "--idle-timeout", "1"])
            .succeeds();
        run.stdout()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad line {l:?}: {e}")))
            .collect()
    }

    /// A `warren` command connected to this vhost as the admin.
    pub fn warren(&self, dir: &TestDir) -> TestCommand {
        let mut cmd = dir.warren();
        cmd.args(self.connection_args());
        cmd
    }

    /// The flags that connect `warren` to this vhost as the admin.
    pub fn connection_args(&self) -> Vec<String> {
        vec![
            "--uri".into(),
            self.node.amqp_uri(self.node.admin_user(), &self.name),
            "--api-url".into(),
            self.node.api_url(),
            "--password-file".into(),
            self.node.admin_password_file().display().to_string(),
        ]
    }

    /// Messages ready in `queue`, from rabbitmqctl (exact, unlike the HTTP stats), or
    /// `None` when the queue is missing.
    pub fn ready(&self, queue: &str) -> Option<u64> {
        self.count(queue, "messages_ready")
    }

    /// One numeric `rabbitmqctl list_queues` column of `queue`.
    pub fn count(&self, queue: &str, column: &str) -> Option<u64> {
        let out = self.node.ctl(&[
            "list_queues",
            "-p",
            &self.name,
            "name",
            column,
            "--no-table-headers",
            "-q",
        ]);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .find(|(q, _)| *q == queue)
            .and_then(|(_, d)| d.trim().parse::<u64>().ok())
    }

    /// Whether a tap (a server-named `amq.gen-` queue) is bound to `exchange`.
    pub fn tap_bound(&self, exchange: &str) -> bool {
        let (_, body) = self.node.api(
            "GET",
            &format!(
                "/api/exchanges/{}/{}/bindings/source",
                encode(&self.name),
                encode(exchange)
            ),
            None,
        );
        body.contains("amq.gen-")
    }

    /// The channel errors the node logged for this vhost: each `Channel error ... vhost:
    /// 'NAME'` line with the line that follows it (the operation and the reason).
    pub fn channel_errors(&self) -> Vec<String> {
        let log = Path::new(self.node.var("NODE_DIR"))
            .join("log")
            .join(format!("{}.log", self.node.var("NODE")));
        let text = std::fs::read_to_string(&log)
            .unwrap_or_else(|e| panic!("reading the node log {}: {e}", log.display()));
        let marker = format!("vhost: '{}'", self.name);
        let lines: Vec<&str> = text.lines().collect();
        lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.contains("Channel error") && l.contains(&marker))
            .map(|(i, l)| format!("{l}\n{}", lines.get(i + 1).unwrap_or(&"")))
            .collect()
    }

    /// Assert that the node logged no channel error for this vhost (e.g. a 406
    /// PRECONDITION_FAILED "unknown delivery tag" from a nack of an acked tag).
    pub fn assert_no_channel_errors(&self) {
        let errors = self.channel_errors();
        assert!(
            errors.is_empty(),
            "the node logged channel errors for vhost {}:\n{}",
            self.name,
            errors.join("\n")
        );
    }

    /// Wait until `queue` holds `n` ready messages (dead-lettering and requeues are asynchronous).
    pub fn wait_ready(&self, queue: &str, n: u64) {
        let last = wait_for(Duration::from_secs(60), || {
            let got = self.ready(queue);
            (got == Some(n), got)
        });
        assert_eq!(
            last,
            Some(n),
            "queue {queue}: waited 60 s for {n} ready messages"
        );
    }
}

impl Drop for TestVhost {
    fn drop(&mut self) {
        let _ = self.node.api(
            "DELETE",
            &format!("/api/vhosts/{}", encode(&self.name)),
            None,
        );
    }
}

/// An isolated directory for one test under `target/test-tmp/`.
pub struct TestDir {
    pub path: PathBuf,
}

impl TestDir {
    pub fn new(test: &str) -> TestDir {
        let path = repo().join("target/test-tmp").join(unique(test));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(path.join("config")).expect("creating test dir");
        TestDir { path }
    }

    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let p = self.path.join(name);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).expect("creating dir");
        }
        std::fs::write(&p, contents).expect("writing test file");
        p
    }

    /// `warren` with a clean environment: no WARREN_* variables, config under this dir.
    pub fn warren(&self) -> TestCommand {
        self.isolated(Command::new(env!("CARGO_BIN_EXE_warren")))
    }

    /// Run `cmd` in this dir with no WARREN_* variables and the config under this dir.
    fn isolated(&self, mut cmd: Command) -> TestCommand {
        cmd.current_dir(&self.path);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("WARREN_") {
                cmd.env_remove(&key);
            }
        }
        cmd.env("XDG_CONFIG_HOME", self.path.join("config"));
        cmd.env("XDG_STATE_HOME", self.path.join("state"));
        TestCommand {
            cmd,
            stdin: None,
            deadline: DEFAULT_DEADLINE,
        }
    }

    /// A bash script run in this dir, with `$WARREN` the binary under test (for pipelines).
    pub fn shell(&self, script: &str) -> TestCommand {
        let mut cmd = Command::new("bash");
        cmd.arg("-c").arg(script);
        let mut cmd = self.isolated(cmd);
        cmd.env("WARREN", env!("CARGO_BIN_EXE_warren"));
        cmd
    }
}

/// A test host: a network namespace of this test's own, joined to this machine by a veth
/// pair on a private /30. A command run inside it reaches the broker from a non-loopback
/// address (`host_addr`) without sending anything beyond this machine. Removed on drop.
pub struct TestHost {
    pub namespace: String,
    link: String,
    /// This machine's end of the link, as the test host sees it.
    pub host_addr: String,
}

fn ip(args: &[&str]) {
    let out = Command::new("ip")
        .args(args)
        .output()
        .expect("running ip (iproute2)");
    assert!(
        out.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl TestHost {
    pub fn new() -> TestHost {
        let id = std::process::id() % 60_000 + COUNTER.fetch_add(1, Ordering::Relaxed) as u32;
        let namespace = format!("warren-test-{id}");
        let link = format!("wt{id}a");
        let peer = format!("wt{id}b");
        // 10.213.x.y/30 blocks, one per test host; both ends live on this machine.
        let block = (id % 16_000) * 4;
        let (a, b) = (block / 256, block % 256);
        let host_addr = format!("10.213.{a}.{}", b + 1);
        let guest_addr = format!("10.213.{a}.{}", b + 2);
        let _ = Command::new("ip")
            .args(["netns", "del", &namespace])
            .output();
        let _ = Command::new("ip").args(["link", "del", &link]).output();
        ip(&["netns", "add", &namespace]);
        ip(&["link", "add", &link, "type", "veth", "peer", "name", &peer]);
        ip(&["link", "set", &peer, "netns", &namespace]);
        ip(&["addr", "add", &format!("{host_addr}/30"), "dev", &link]);
        ip(&["link", "set", &link, "up"]);
        ip(&[
            "netns",
            "exec",
            &namespace,
            "ip",
            "addr",
            "add",
            &format!("{guest_addr}/30"),
            "dev",
            &peer,
        ]);
        ip(&[
            "netns", "exec", &namespace, "ip", "link", "set", &peer, "up",
        ]);
        ip(&["netns", "exec", &namespace, "ip", "link", "set", "lo", "up"]);
        TestHost {
            namespace,
            link,
            host_addr,
        }
    }
}

impl Drop for TestHost {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["link", "del", &self.link])
            .output();
        let _ = Command::new("ip")
            .args(["netns", "del", &self.namespace])
            .output();
    }
}

impl TestDir {
    /// `warren` run inside a test host's network namespace.
    pub fn warren_on(&self, host: &TestHost) -> TestCommand {
        let mut cmd = Command::new("ip");
        cmd.args([
            "netns",
            "exec",
            &host.namespace,
            env!("CARGO_BIN_EXE_warren"),
        ]);
        self.isolated(cmd)
    }
}

/// A command under test; failed assertions print the command, status, stdout and stderr.
pub struct TestCommand {
    cmd: Command,
    stdin: Option<Vec<u8>>,
    /// The process is killed, and the test fails, when it runs longer than this.
    deadline: Duration,
}

impl TestCommand {
    pub fn arg(&mut self, arg: impl Into<OsString>) -> &mut Self {
        self.cmd.arg(arg.into());
        self
    }

    pub fn args<I, S>(&mut self, args: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        for a in args {
            self.cmd.arg(a.into());
        }
        self
    }

    pub fn env(&mut self, key: &str, value: impl Into<OsString>) -> &mut Self {
        self.cmd.env(key, value.into());
        self
    }

    pub fn stdin(&mut self, input: impl Into<Vec<u8>>) -> &mut Self {
        self.stdin = Some(input.into());
        self
    }

    /// Start it in the background with stdout to the file `path` and stderr discarded, for
    /// tests that act while it runs (kill the node, send a signal).
    pub fn spawn_to(&mut self, path: &Path) -> std::process::Child {
        let file = std::fs::File::create(path).expect("output file");
        // stderr beside it (`<path>.stderr`), so a failed test can say why.
        let mut err_path = path.as_os_str().to_owned();
        err_path.push(".stderr");
        let err = std::fs::File::create(&err_path).expect("stderr file");
        self.cmd
            .stdout(file)
            .stderr(err)
            .spawn()
            .expect("spawning warren")
    }

    /// Fail the test (killing the process) if it runs longer than `limit`.
    pub fn within(&mut self, limit: Duration) -> &mut Self {
        self.deadline = limit;
        self
    }

    /// The underlying command, for tests that manage the process themselves (signals).
    pub fn command(&mut self) -> &mut Command {
        &mut self.cmd
    }

    pub fn output(&mut self) -> Run {
        self.cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        self.cmd.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        // Its own process group, so a hung pipeline can be killed whole.
        std::os::unix::process::CommandExt::process_group(&mut self.cmd, 0);
        let mut child = self.cmd.spawn().expect("spawning warren");
        if let Some(input) = self.stdin.take() {
            let mut pipe = child.stdin.take().expect("stdin pipe");
            std::thread::spawn(move || {
                let _ = pipe.write_all(&input);
            });
        }
        let started = Instant::now();
        let pid = child.id();
        // Read the pipes on threads so a chatty process can't block on a full pipe.
        let mut out_pipe = child.stdout.take().expect("stdout pipe");
        let mut err_pipe = child.stderr.take().expect("stderr pipe");
        let out = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = std::io::Read::read_to_end(&mut out_pipe, &mut buf);
            buf
        });
        let err = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = std::io::Read::read_to_end(&mut err_pipe, &mut buf);
            buf
        });
        let mut hung = false;
        let status = loop {
            if let Some(status) = child.try_wait().expect("waiting for warren") {
                break status;
            }
            if started.elapsed() > self.deadline {
                // The whole process group: a shell pipeline's children too.
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{pid}")])
                    .status();
                hung = true;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let run = Run {
            description: format!("{:?}", self.cmd),
            output: Output {
                status,
                stdout: out.join().unwrap_or_default(),
                stderr: err.join().unwrap_or_default(),
            },
            elapsed: started.elapsed(),
        };
        assert!(
            !hung,
            "hung: still running after {:?}, killed\n{}",
            self.deadline,
            run.explain()
        );
        run
    }

    /// Run and require exit code 0.
    pub fn succeeds(&mut self) -> Run {
        self.fails_with(0)
    }

    /// Run and require exactly this exit code.
    pub fn fails_with(&mut self, code: i32) -> Run {
        let run = self.output();
        if run.output.status.code() != Some(code) {
            panic!("expected exit code {code}\n{}", run.explain());
        }
        run
    }
}

/// The result of one run.
pub struct Run {
    pub description: String,
    pub output: Output,
    pub elapsed: Duration,
}

impl Run {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e})\n{}", self.explain()))
    }

    pub fn explain(&self) -> String {
        format!(
            "command: {}\nstatus: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.description,
            self.output.status,
            self.stdout(),
            self.stderr()
        )
    }

    /// Assert that stdout or stderr contains `needle`.
    pub fn says(&self, needle: &str) -> &Self {
        let all = format!("{}{}", self.stdout(), self.stderr());
        assert!(
            all.contains(needle),
            "expected output to contain {needle:?}\n{}",
            self.explain()
        );
        self
    }

    /// Assert that neither stdout nor stderr contains `needle`.
    pub fn never_says(&self, needle: &str) -> &Self {
        let all = format!("{}{}", self.stdout(), self.stderr());
        assert!(
            !all.contains(needle),
            "output must not contain {needle:?}\n{}",
            self.explain()
        );
        self
    }
}

/// `warren audit` against a node as its administrator, over plain AMQP/HTTP.
pub fn admin_audit(node: &Node, dir: &TestDir) -> TestCommand {
    admin_warren(node, dir, "audit")
}

/// `warren <subcommand>` against a node's vhost `/` as its administrator, over plain
/// AMQP/HTTP.
pub fn admin_warren(node: &Node, dir: &TestDir, subcommand: &str) -> TestCommand {
    let mut cmd = dir.warren();
    cmd.arg(subcommand)
        .args(["--uri", &node.amqp_uri(node.admin_user(), "/")])
        .args(["--api-url", &node.api_url()])
        .arg("--password-file")
        .arg(node.admin_password_file());
    cmd
}

/// One rule's entry in an audit's JSON report.
pub fn audit_rule<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("rule {id} missing from {report:#}"))
}

/// Every id `id-0`..`id-{n-1}` must be among `found` (messages read back by an independent
/// reader, wherever they ended up): panics naming the lost ones; returns how many extra
/// copies there were (duplicates).
pub fn assert_none_lost(n: usize, found: &[&String]) -> usize {
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for id in found {
        *seen.entry(id.as_str()).or_default() += 1;
    }
    let missing: Vec<String> = (0..n)
        .map(|i| format!("id-{i}"))
        .filter(|id| !seen.contains_key(id.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "{} lost, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    seen.values().map(|c| c - 1).sum()
}

/// A node a test binary sets up once, with the AMQP objects (a connection, its channels and
/// consumers, and the runtime that drives them) that must stay open while its tests look at it.
pub struct PlantedNode {
    pub node: Node,
    pub _runtime: tokio::runtime::Runtime,
    pub _connection: lapin::Connection,
    pub _channels: Vec<lapin::Channel>,
    pub _consumers: Vec<lapin::Consumer>,
}
