//! `warren delete` and `warren close connections` against a real node: every effect is
//! checked through the management API (curl), never through warren itself.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;
use support::{TestDir, TestVhost, encode, shared_node, wait_for};

/// The status of `GET path` as the admin: 200 while the object exists, 404 once it's gone.
fn status(vhost: &TestVhost, path: &str) -> u16 {
    vhost.node.api("GET", path, None).0
}

fn queue_path(vhost: &TestVhost, queue: &str) -> String {
    format!("/api/queues/{}/{}", encode(&vhost.name), encode(queue))
}

/// The vhost's queue names as the management API lists them.
fn queue_names(vhost: &TestVhost) -> BTreeSet<String> {
    let body = vhost.node.api_ok(
        "GET",
        &format!("/api/queues/{}?columns=name", encode(&vhost.name)),
        None,
    );
    let list: Vec<Value> = serde_json::from_str(&body).expect("queue list");
    list.iter()
        .filter_map(|q| q["name"].as_str().map(String::from))
        .collect()
}

/// Run warren with `args` and `-o json` in the vhost; it must succeed. Its summary.
fn json_summary(vhost: &TestVhost, dir: &TestDir, args: &[&str]) -> Value {
    vhost
        .warren(dir)
        .args(args)
        .args(["-o", "json"])
        .succeeds()
        .json()
}

/// The `field` of every object of a `-o json` summary whose outcome is `outcome`.
fn listed(summary: &Value, field: &str, outcome: &str) -> BTreeSet<String> {
    summary["objects"]
        .as_array()
        .unwrap_or_else(|| panic!("no objects in {summary}"))
        .iter()
        .filter(|o| o["outcome"] == outcome)
        .map(|o| o[field].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Wait until the management API reports `n` messages in `queue` (its statistics lag).
fn wait_messages(vhost: &TestVhost, queue: &str, n: u64) {
    let got = wait_for(Duration::from_secs(30), || {
        let got = api_messages(vhost, queue);
        (got == Some(n), got)
    });
    assert_eq!(got, Some(n), "queue {queue}: API message count");
}

#[test]
fn a_queue_with_messages_needs_allow_message_loss_and_nothing_goes_if_one_is_refused() {
    let vhost = TestVhost::new(shared_node(), "del-loss");
    let dir = TestDir::new("del-loss");
    vhost.queue("full", r#"{"durable":true}"#);
    vhost.queue("empty", r#"{"durable":true}"#);
    vhost.put_messages("full", 3);
    wait_messages(&vhost, "full", 3);

    let run = vhost
        .warren(&dir)
        .args(["delete", "queue", "empty", "full", "--yes"])
        .fails_with(2);
    run.says("3 message").says("--allow-message-loss");
    // Checked all first: the empty one was not deleted either.
    assert_eq!(status(&vhost, &queue_path(&vhost, "full")), 200);
    assert_eq!(status(&vhost, &queue_path(&vhost, "empty")), 200);

    let summary = json_summary(
        &vhost,
        &dir,
        &[
            "delete",
            "queue",
            "empty",
            "full",
            "--yes",
            "--allow-message-loss",
        ],
    );
    assert_eq!(summary["deleted"], 2, "{summary}");
    assert_eq!(status(&vhost, &queue_path(&vhost, "full")), 404);
    assert_eq!(status(&vhost, &queue_path(&vhost, "empty")), 404);
}

#[test]
fn a_dry_run_by_name_pattern_changes_nothing() {
    let vhost = TestVhost::new(shared_node(), "del-dry");
    let dir = TestDir::new("del-dry");
    for q in ["orders.a", "orders.b", "billing"] {
        vhost.queue(q, r#"{"durable":true}"#);
    }
    let before = queue_names(&vhost);
    let summary = json_summary(
        &vhost,
        &dir,
        &["delete", "queue", "--name", r"^orders\.", "--dry-run"],
    );
    let listed = listed(&summary, "name", "would delete");
    assert_eq!(
        listed,
        BTreeSet::from(["orders.a".to_string(), "orders.b".to_string()]),
        "{summary}"
    );
    assert_eq!(summary["dry_run"], true);
    assert_eq!(queue_names(&vhost), before);

    // The table form too, and still nothing changes.
    vhost
        .warren(&dir)
        .args(["delete", "queue", "--name", r"^orders\.", "--dry-run"])
        .succeeds()
        .says("orders.a")
        .says("would delete")
        .never_says("billing");
    assert_eq!(queue_names(&vhost), before);
}

#[test]
fn if_empty_on_a_quorum_queue_is_checked_by_warren() {
    let vhost = TestVhost::new(shared_node(), "del-qq");
    let dir = TestDir::new("del-qq");
    let quorum = r#"{"durable":true,"arguments":{"x-queue-type":"quorum"}}"#;
    vhost.queue("qq-full", quorum);
    vhost.queue("qq-empty", quorum);
    vhost.put_messages("qq-full", 2);
    wait_messages(&vhost, "qq-full", 2);

    // Even with --allow-message-loss, --if-empty refuses a queue holding messages.
    vhost
        .warren(&dir)
        .args([
            "delete",
            "queue",
            "qq-full",
            "--if-empty",
            "--allow-message-loss",
            "--yes",
        ])
        .fails_with(10)
        .says("quorum")
        .says("2 message");
    assert_eq!(status(&vhost, &queue_path(&vhost, "qq-full")), 200);

    vhost
        .warren(&dir)
        .args(["delete", "queue", "qq-empty", "--if-empty", "--yes"])
        .succeeds();
    assert_eq!(status(&vhost, &queue_path(&vhost, "qq-empty")), 404);
}

/// The management API's message count of `queue`, as it says it now (it lags the queue).
fn api_messages(vhost: &TestVhost, queue: &str) -> Option<u64> {
    let (_, body) = vhost.node.api("GET", &queue_path(vhost, queue), None);
    serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|q| q["messages"].as_u64())
}

/// Fill `queue` with `n` messages, wait until the API says `n`, then purge it through the
/// API, and return once the queue is empty while the API still says `n` (its statistics
/// lag by up to 10 s). Tries a few times, since an emission may land right after the purge.
fn purge_behind_the_apis_back(vhost: &TestVhost, queue: &str, n: u64) {
    for _ in 0..5 {
        vhost.put_messages(queue, n as usize);
        wait_messages(vhost, queue, n);
        vhost.node.api_ok(
            "DELETE",
            &format!("{}/contents", queue_path(vhost, queue)),
            None,
        );
        if api_messages(vhost, queue) == Some(n) {
            return;
        }
    }
    panic!("queue {queue}: the API's count never lagged a purge, so the test can't run");
}

#[test]
fn if_empty_right_after_a_purge_goes_by_the_queue_not_the_lagging_api() {
    let vhost = TestVhost::new(shared_node(), "del-lag");
    let dir = TestDir::new("del-lag");
    for (queue, body) in [
        ("classic-purged", r#"{"durable":true}"#),
        (
            "quorum-purged",
            r#"{"durable":true,"arguments":{"x-queue-type":"quorum"}}"#,
        ),
    ] {
        vhost.queue(queue, body);
        purge_behind_the_apis_back(&vhost, queue, 4);
        vhost
            .warren(&dir)
            .args(["delete", "queue", queue, "--if-empty", "--yes"])
            .succeeds();
        assert_eq!(status(&vhost, &queue_path(&vhost, queue)), 404, "{queue}");
    }
}

#[test]
fn yes_deletes_and_without_it_no_terminal_means_exit_2() {
    let vhost = TestVhost::new(shared_node(), "del-yes");
    let dir = TestDir::new("del-yes");
    vhost.queue("doomed", r#"{"durable":true}"#);
    vhost
        .warren(&dir)
        .args(["delete", "queue", "doomed"])
        .fails_with(2)
        .says("--yes");
    assert_eq!(status(&vhost, &queue_path(&vhost, "doomed")), 200);
    vhost
        .warren(&dir)
        .args(["delete", "queue", "doomed", "--yes"])
        .succeeds()
        .says("deleted");
    assert_eq!(status(&vhost, &queue_path(&vhost, "doomed")), 404);

    // A missing object is named (exit 10); a missing vhost is exit 9.
    vhost
        .warren(&dir)
        .args(["delete", "queue", "doomed", "--yes"])
        .fails_with(10)
        .says("`doomed`");
    dir.warren()
        .args(vhost.connection_args())
        .args([
            "--vhost",
            "no-such-vhost-ops",
            "delete",
            "queue",
            "q",
            "--yes",
        ])
        .fails_with(9);
}

#[test]
fn exchange_binding_policy_user_and_vhost_deletes_work() {
    let node = shared_node();
    let vhost = TestVhost::new(node, "del-kinds");
    let dir = TestDir::new("del-kinds");
    let v = encode(&vhost.name);
    vhost.exchange("ex", "direct");
    vhost.queue("q", r#"{"durable":true}"#);
    vhost.bind("ex", "q", "k1");
    vhost.bind("ex", "q", "k2");
    let keys = || -> BTreeSet<String> {
        let body = node.api_ok("GET", &format!("/api/bindings/{v}/e/ex/q/q"), None);
        let list: Vec<Value> = serde_json::from_str(&body).expect("bindings");
        list.iter()
            .filter_map(|b| b["routing_key"].as_str().map(String::from))
            .collect()
    };

    vhost
        .warren(&dir)
        .args([
            "delete",
            "binding",
            "--source",
            "ex",
            "--destination",
            "q",
            "--routing-key",
            "k1",
            "--yes",
        ])
        .succeeds();
    assert_eq!(keys(), BTreeSet::from(["k2".to_string()]));

    // --if-unused: the exchange still has a binding.
    vhost
        .warren(&dir)
        .args(["delete", "exchange", "ex", "--if-unused", "--yes"])
        .fails_with(10)
        .says("binding");
    assert_eq!(status(&vhost, &format!("/api/exchanges/{v}/ex")), 200);
    vhost
        .warren(&dir)
        .args(["delete", "exchange", "ex", "--yes"])
        .succeeds();
    assert_eq!(status(&vhost, &format!("/api/exchanges/{v}/ex")), 404);

    node.api_ok(
        "PUT",
        &format!("/api/policies/{v}/ttl"),
        Some(r#"{"pattern":"^q$","definition":{"message-ttl":60000},"apply-to":"queues"}"#),
    );
    vhost
        .warren(&dir)
        .args(["delete", "policy", "ttl", "--yes"])
        .succeeds();
    assert_eq!(status(&vhost, &format!("/api/policies/{v}/ttl")), 404);

    let user = format!("ops-del-{}", std::process::id());
    node.api_ok(
        "PUT",
        &format!("/api/users/{user}"),
        Some(r#"{"password":"s3cret-del","tags":""}"#),
    );
    vhost
        .warren(&dir)
        .args(["delete", "user", &user, "--yes"])
        .succeeds();
    assert_eq!(status(&vhost, &format!("/api/users/{user}")), 404);

    let other = TestVhost::new(node, "del-kinds-other");
    vhost
        .warren(&dir)
        .args(["delete", "vhost", &other.name, "--yes"])
        .succeeds();
    assert_eq!(
        status(&vhost, &format!("/api/vhosts/{}", encode(&other.name))),
        404
    );
}

/// An AMQP connection opened by the test itself (plain lapin), as `user`, named `name`.
fn open(
    runtime: &tokio::runtime::Runtime,
    vhost: &TestVhost,
    user: &str,
    password: &str,
    name: &str,
) -> lapin::Connection {
    let uri = format!(
        "amqp://{user}:{password}@localhost:{}/{}",
        vhost.node.port("AMQP_PORT"),
        encode(&vhost.name)
    );
    runtime.block_on(async {
        let c = lapin::Connection::connect(
            &uri,
            lapin::ConnectionProperties::default().with_connection_name(name.into()),
        )
        .await
        .unwrap_or_else(|e| panic!("connecting as {user}: {e}"));
        c.create_channel().await.expect("channel");
        c
    })
}

/// The client-given names of the vhost's connections, as the management API lists them.
fn connection_names(vhost: &TestVhost) -> BTreeSet<String> {
    let (_, body) = vhost.node.api(
        "GET",
        &format!("/api/vhosts/{}/connections", encode(&vhost.name)),
        None,
    );
    let list: Vec<Value> = serde_json::from_str(&body).unwrap_or_default();
    list.iter()
        .filter_map(|c| {
            c["client_properties"]["connection_name"]
                .as_str()
                .map(String::from)
        })
        .collect()
}

#[test]
fn close_connections_by_user_closes_only_that_users() {
    let node = shared_node();
    let vhost = TestVhost::new(node, "close-user");
    let dir = TestDir::new("close-user");
    let user = format!("ops-close-{}", std::process::id());
    let password = "s3cret-close";
    node.api_ok(
        "PUT",
        &format!("/api/users/{user}"),
        Some(&format!(r#"{{"password":"{password}","tags":""}}"#)),
    );
    node.api_ok(
        "PUT",
        &format!("/api/permissions/{}/{user}", encode(&vhost.name)),
        Some(r#"{"configure":".*","write":".*","read":".*"}"#),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let _theirs = [
        open(&runtime, &vhost, &user, password, "app-1"),
        open(&runtime, &vhost, &user, password, "app-2"),
    ];
    let _mine = open(
        &runtime,
        &vhost,
        node.admin_user(),
        &node.admin_password(),
        "admin-1",
    );
    // The same user in another vhost: outside the scope of --vhost (here the URI's), as
    // `list connections` has it, until --all-vhosts widens it.
    let elsewhere = TestVhost::new(node, "close-user-b");
    node.api_ok(
        "PUT",
        &format!("/api/permissions/{}/{user}", encode(&elsewhere.name)),
        Some(r#"{"configure":".*","write":".*","read":".*"}"#),
    );
    let _theirs_elsewhere = open(&runtime, &elsewhere, &user, password, "app-3");
    let all: BTreeSet<String> = ["app-1", "app-2", "admin-1"].map(String::from).into();
    let seen = wait_for(Duration::from_secs(30), || {
        let names = connection_names(&vhost);
        (names == all, names)
    });
    assert_eq!(seen, all, "the API lists the three connections");
    let app3: BTreeSet<String> = ["app-3".to_string()].into();
    let seen = wait_for(Duration::from_secs(30), || {
        let names = connection_names(&elsewhere);
        (names == app3, names)
    });
    assert_eq!(
        seen, app3,
        "the API lists the connection in the other vhost"
    );

    // `warren close connections --by-user USER EXTRA... -o json`.
    let close = |extra: &[&str]| {
        let selector = ["close", "connections", "--by-user", user.as_str()];
        json_summary(&vhost, &dir, &[&selector[..], extra].concat())
    };

    // A dry run lists the user's two and closes nothing.
    let summary = close(&["--dry-run"]);
    let closing = listed(&summary, "client_name", "would close");
    assert_eq!(
        closing,
        ["app-1", "app-2"].map(String::from).into(),
        "{summary}"
    );
    // `close connections F` acts on exactly the rows `list connections F` shows.
    let listed_rows = vhost
        .warren(&dir)
        .args([
            "list",
            "connections",
            "-o",
            "json",
            "--columns",
            "user,client_name",
        ])
        .succeeds()
        .json();
    let by_list: BTreeSet<String> = listed_rows
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["user"] == user.as_str())
        .map(|r| r["client_name"].as_str().expect("client_name").to_string())
        .collect();
    assert_eq!(by_list, closing, "{listed_rows}");
    // --all-vhosts widens the scope to the user's connection elsewhere.
    let summary = close(&["--all-vhosts", "--dry-run"]);
    assert_eq!(
        listed(&summary, "client_name", "would close"),
        ["app-1", "app-2", "app-3"].map(String::from).into(),
        "{summary}"
    );
    // Nobody's connection has been idle an hour.
    let summary = close(&["--idle-longer-than", "1h", "--dry-run"]);
    assert_eq!(summary["objects"], serde_json::json!([]));
    assert_eq!(connection_names(&vhost), all);

    // Both are closed now: so the dry runs closed neither (a closed one would be `gone`).
    let summary = close(&["--reason", "maintenance", "--yes"]);
    assert_eq!(summary["closed"], 2, "{summary}");
    assert_eq!(
        connection_names(&elsewhere),
        app3,
        "the other vhost's stays"
    );
    let only_admin: BTreeSet<String> = ["admin-1".to_string()].into();
    let left = wait_for(Duration::from_secs(30), || {
        let names = connection_names(&vhost);
        (names == only_admin, names)
    });
    assert_eq!(left, only_admin, "only the other user's connection stays");
    let _ = node.api("DELETE", &format!("/api/users/{user}"), None);
}

#[test]
fn bad_input_is_a_usage_error() {
    let vhost = TestVhost::new(shared_node(), "ops-usage");
    let dir = TestDir::new("ops-usage");
    vhost
        .warren(&dir)
        .args(["delete", "qeue", "x", "--yes"])
        .fails_with(2)
        .says("did you mean `queue`");
    // No selector: closing every connection is refused.
    vhost
        .warren(&dir)
        .args(["close", "connections", "--yes"])
        .fails_with(2)
        .says("selector");
    // Neither names nor a pattern.
    vhost
        .warren(&dir)
        .args(["delete", "queue", "--yes"])
        .fails_with(2);
}
