//! `warren list` against real nodes: `--where`, `--name`, `--sort`, `--columns` and the
//! output formats, each compared with a direct read of the management API (curl), and the
//! refusals of bad input.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;
use support::{TestDir, TestVhost, admin_warren, encode, shared_node, wait_for};
use warren::exit::Code;

/// The vhost's queues as the management API lists them, once every queue reports its
/// message count as `expected` says (the statistics lag a few seconds).
fn api_queues(vhost: &TestVhost, expected: &[(&str, u64)]) -> Vec<Value> {
    wait_for(Duration::from_secs(30), || {
        let (_, body) =
            vhost
                .node
                .api("GET", &format!("/api/queues/{}", encode(&vhost.name)), None);
        let list: Vec<Value> = serde_json::from_str(&body).unwrap_or_default();
        let settled = expected.iter().all(|(name, n)| {
            list.iter()
                .any(|q| q["name"] == *name && q["messages"].as_u64() == Some(*n))
        });
        (settled, list)
    })
}

/// A vhost with four queues: two classic ones holding messages, an empty one, and a quorum
/// queue holding messages.
fn fixture(test: &str) -> (TestVhost, Vec<Value>) {
    let vhost = TestVhost::new(shared_node(), test);
    vhost.queue("backlog", r#"{"durable":true}"#);
    vhost.queue("trickle", r#"{"durable":true}"#);
    vhost.queue("empty", r#"{"durable":true}"#);
    vhost.queue(
        "replicated",
        r#"{"durable":true,"arguments":{"x-queue-type":"quorum"}}"#,
    );
    vhost.put_messages("backlog", 5);
    vhost.put_messages("trickle", 1);
    vhost.put_messages("replicated", 3);
    let api = api_queues(
        &vhost,
        &[
            ("backlog", 5),
            ("trickle", 1),
            ("empty", 0),
            ("replicated", 3),
        ],
    );
    (vhost, api)
}

fn names(list: &Value) -> BTreeSet<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|q| q["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The test's own reading of an expression, over one queue of the API's list.
type Selects = fn(&Value) -> bool;

#[test]
fn where_returns_exactly_what_a_direct_api_read_selects() {
    let (vhost, api) = fixture("list-where");
    let dir = TestDir::new("list-where");
    let cases: [(&str, Selects); 4] = [
        (
            "messages > 0 && consumers == 0 && type == \"classic\"",
            |q| {
                q["messages"].as_u64() > Some(0)
                    && q["consumers"].as_u64() == Some(0)
                    && q["type"] == "classic"
            },
        ),
        ("messages >= 3 || name =~ \"^emp\"", |q| {
            q["messages"].as_u64() >= Some(3)
                || q["name"].as_str().is_some_and(|n| n.starts_with("emp"))
        }),
        ("!(type == \"quorum\") && messages < 2", |q| {
            q["type"] != "quorum" && q["messages"].as_u64() < Some(2)
        }),
        ("durable && (messages == 1 || messages == 3)", |q| {
            q["durable"] == true && matches!(q["messages"].as_u64(), Some(1 | 3))
        }),
    ];
    for (expr, direct) in cases {
        let listed = vhost
            .warren(&dir)
            .args(["list", "queues", "--where", expr, "-o", "json"])
            .succeeds()
            .json();
        let expected: BTreeSet<String> = api
            .iter()
            .filter(|q| direct(q))
            .map(|q| q["name"].as_str().unwrap_or_default().to_string())
            .collect();
        assert_eq!(names(&listed), expected, "--where {expr}");
        assert!(
            !expected.is_empty(),
            "the fixture selects something for {expr}"
        );
    }
    // The first case, by name: the two classic queues with messages.
    let listed = vhost
        .warren(&dir)
        .args([
            "list",
            "queues",
            "--where",
            "messages > 0 && consumers == 0 && type == \"classic\"",
            "-o",
            "json",
        ])
        .succeeds()
        .json();
    assert_eq!(
        names(&listed),
        BTreeSet::from(["backlog".to_string(), "trickle".to_string()])
    );
}

#[test]
fn columns_sort_and_formats() {
    let (vhost, _) = fixture("list-format");
    let dir = TestDir::new("list-format");
    let csv = vhost
        .warren(&dir)
        .args([
            "list",
            "queue",
            "--columns",
            "name,messages,type",
            "--sort",
            "-messages,name",
            "-o",
            "csv",
        ])
        .succeeds()
        .stdout();
    assert_eq!(
        csv,
        "name,messages,type\nbacklog,5,classic\nreplicated,3,quorum\ntrickle,1,classic\nempty,0,classic\n"
    );
    let tsv = vhost
        .warren(&dir)
        .args([
            "list",
            "queues",
            "--columns",
            "name,durable",
            "--name",
            "^tr",
            "-o",
            "tsv",
        ])
        .succeeds()
        .stdout();
    assert_eq!(tsv, "name\tdurable\ntrickle\ttrue\n");
    // JSON: flat objects whose keys are exactly the columns.
    let json = vhost
        .warren(&dir)
        .args([
            "list",
            "queues",
            "--columns",
            "name,messages,arguments",
            "-o",
            "json",
        ])
        .succeeds()
        .json();
    for q in json.as_array().expect("array") {
        let keys: Vec<&String> = q.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["arguments", "messages", "name"], "{q}");
    }
    let quorum = json
        .as_array()
        .and_then(|a| a.iter().find(|q| q["name"] == "replicated"))
        .expect("the quorum queue");
    assert_eq!(quorum["arguments"]["x-queue-type"], "quorum");
    // A table, and the column list.
    vhost
        .warren(&dir)
        .args(["list", "queues"])
        .succeeds()
        .says("backlog")
        .says("consumers");
    vhost
        .warren(&dir)
        .args(["list", "queues", "--columns", "help"])
        .succeeds()
        .says("publish_rate")
        .says("idle_since");
}

#[test]
fn all_vhosts_and_vhost_scoped_kinds() {
    let (vhost, _) = fixture("list-vhosts");
    let other = TestVhost::new(shared_node(), "list-vhosts-other");
    other.queue("elsewhere", r#"{"durable":true}"#);
    let dir = TestDir::new("list-vhosts");
    let mine = vhost
        .warren(&dir)
        .args(["list", "queues", "-o", "json"])
        .succeeds()
        .json();
    assert!(!names(&mine).contains("elsewhere"));
    let all = vhost
        .warren(&dir)
        .args([
            "list",
            "queues",
            "--all-vhosts",
            "--columns",
            "vhost,name",
            "-o",
            "json",
        ])
        .succeeds()
        .json();
    let pairs: BTreeSet<(String, String)> = all
        .as_array()
        .expect("array")
        .iter()
        .map(|q| {
            (
                q["vhost"].as_str().unwrap_or_default().into(),
                q["name"].as_str().unwrap_or_default().into(),
            )
        })
        .collect();
    assert!(
        pairs.contains(&(other.name.clone(), "elsewhere".into())),
        "{pairs:?}"
    );
    assert!(
        pairs.contains(&(vhost.name.clone(), "backlog".into())),
        "{pairs:?}"
    );
    // Permissions come from a global list: only this vhost's.
    let perms = vhost
        .warren(&dir)
        .args(["list", "permissions", "-o", "json"])
        .succeeds()
        .json();
    let vhosts: BTreeSet<&str> = perms
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|p| p["vhost"].as_str())
        .collect();
    assert_eq!(vhosts, BTreeSet::from([vhost.name.as_str()]));
    // Nodes and vhosts are not in a vhost.
    let nodes = vhost
        .warren(&dir)
        .args(["list", "nodes", "-o", "json"])
        .succeeds()
        .json();
    assert_eq!(nodes[0]["running"], true, "{nodes}");
    let vhosts = vhost
        .warren(&dir)
        .args(["list", "vhosts", "-o", "json"])
        .succeeds()
        .json();
    assert!(names(&vhosts).contains(&other.name));
}

#[test]
fn bad_input_is_exit_2_with_a_pointer_to_the_mistake() {
    let vhost = TestVhost::new(shared_node(), "list-bad");
    let dir = TestDir::new("list-bad");
    let usage = Code::Usage.as_i32();
    let run = vhost
        .warren(&dir)
        .args(["list", "queues", "--where", "messages > && consumers == 0"])
        .fails_with(usage);
    assert!(run.stdout().is_empty(), "{}", run.explain());
    assert!(
        run.stderr().contains(
            "expected a value after `>`, found `&&`\n  messages > && consumers == 0\n             ^"
        ),
        "{}",
        run.explain()
    );
    let run = vhost
        .warren(&dir)
        .args(["list", "queues", "--columns", "name,mesages"])
        .fails_with(usage);
    run.says("unknown column `mesages`")
        .says("did you mean `messages`")
        .says("columns: name, vhost, type");
    let run = vhost
        .warren(&dir)
        .args(["list", "qeueus"])
        .fails_with(usage);
    run.says("did you mean `queues`");
    vhost
        .warren(&dir)
        .args(["list", "queues", "--where", "nmae == \"x\""])
        .fails_with(usage)
        .says("did you mean `name`");
    vhost
        .warren(&dir)
        .args(["list", "queues", "--sort", "-mesages"])
        .fails_with(usage)
        .says("did you mean `messages`");
    vhost
        .warren(&dir)
        .args(["list", "queues", "-o", "sarif"])
        .fails_with(usage);
    vhost
        .warren(&dir)
        .args(["status", "-o", "csv"])
        .fails_with(usage);
    // A comparison the values can't make is an error, not a silent false.
    vhost.queue("q", r#"{"durable":true}"#);
    vhost
        .warren(&dir)
        .args(["list", "queues", "--where", "name > 3"])
        .fails_with(usage)
        .says("`name` is a string");
}

/// Vhosts come and go on a shared broker. 4.0.5's `GET /api/vhosts` answers 500 when a vhost
/// is deleted between the broker's listing of the vhosts and its read of that one
/// (`rabbit_queue_type:inject_dqt(#{})` in its log); a read that the broker failed that way
/// is asked again, so every listing here succeeds while another client churns vhosts.
#[test]
fn vhosts_are_listed_while_another_client_deletes_vhosts() {
    const READS: usize = 150;
    let node = shared_node();
    let dir = TestDir::new("list-churn");
    // The broker reads each listed vhost in turn: with more of them, the window is wider.
    let kept: Vec<TestVhost> = (0..40)
        .map(|_| TestVhost::new(node, "churn-keep"))
        .collect();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Three clients create and delete vhosts until the listings are done.
    let churn: Vec<_> = (0..3)
        .map(|t| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut cycles = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let path = format!(
                        "/api/vhosts/{}",
                        encode(&format!("t-churn-{}-{t}-{cycles}", std::process::id()))
                    );
                    node.api_ok("PUT", &path, Some("{}"));
                    node.api_ok("DELETE", &path, None);
                    cycles += 1;
                }
                cycles
            })
        })
        .collect();
    let mut failed = Vec::new();
    let mut asked_again = 0;
    for _ in 0..READS {
        let run = admin_warren(node, &dir, "list")
            .args(["vhosts", "-o", "json"])
            .output();
        if run.output.status.code() != Some(0) {
            failed.push(run.explain());
        }
        asked_again += usize::from(run.stderr().contains("asking again"));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let cycles: usize = churn
        .into_iter()
        .map(|c| c.join().expect("a churning thread"))
        .sum();
    drop(kept);
    eprintln!("{READS} listings while {cycles} vhosts came and went; {asked_again} asked again");
    assert!(cycles >= 60, "only {cycles} vhosts created and deleted");
    assert!(
        failed.is_empty(),
        "{} of {READS} listings failed while {cycles} vhosts came and went; the first:\n{}",
        failed.len(),
        failed[0]
    );
}
