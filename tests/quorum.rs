//! `warren quorum` on a real 3-node cluster of the version under test: status of a queue's
//! members, a rebalance of 12 leaders piled on one node (checked through the API and the
//! audit's Q012), and growing and shrinking one node's members (RabbitMQ 3.12 and later;
//! 3.10 refuses, saying what to use instead). Every check reads the API, never warren.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::{Cluster, Node, TestCommand, TestDir, wait_for};
use warren::exit::Code;

fn warren_on(reader: &Node, dir: &TestDir) -> TestCommand {
    let mut cmd = dir.warren();
    cmd.args([
        "--uri",
        &reader.amqp_uri(reader.admin_user(), "/"),
        "--api-url",
        &reader.api_url(),
        "--password-file",
    ])
    .arg(reader.admin_password_file());
    cmd
}

/// Leaders per node of the quorum queues named `prefix*`, through the API.
fn leaders(reader: &Node, prefix: &str) -> std::collections::BTreeMap<String, usize> {
    let body = reader.api_ok("GET", "/api/queues/%2F?columns=name,leader,type", None);
    let queues: Vec<Value> = serde_json::from_str(&body).unwrap();
    let mut counts = std::collections::BTreeMap::new();
    for q in queues
        .iter()
        .filter(|q| q["name"].as_str().unwrap().starts_with(prefix))
    {
        *counts
            .entry(q["leader"].as_str().unwrap_or("?").to_string())
            .or_default() += 1;
    }
    counts
}

fn members(reader: &Node, queue: &str) -> Vec<String> {
    let body = reader.api_ok("GET", &format!("/api/queues/%2F/{queue}"), None);
    let q: Value = serde_json::from_str(&body).unwrap();
    let mut m: Vec<String> = q["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect();
    m.sort();
    m
}

#[test]
fn status_rebalance_grow_and_shrink_on_a_three_node_cluster() {
    let cluster = Cluster::start("quorum", 3, &[]);
    let dir = TestDir::new("quorum-ops");
    let reader = cluster.member(1);
    let names: Vec<String> = cluster
        .members()
        .iter()
        .map(|n| n.var("NODE").to_string())
        .collect();
    // Queues of an earlier run (the nodes keep their data) are deleted first.
    for i in 0..12 {
        reader.api("DELETE", &format!("/api/queues/%2F/lead-{i}"), None);
    }
    for i in 0..2 {
        reader.api("DELETE", &format!("/api/queues/%2F/pair-{i}"), None);
    }
    // 12 quorum queues declared through member 1: the client-local locator leads them all
    // there.
    for i in 0..12 {
        reader.api_ok(
            "PUT",
            &format!("/api/queues/%2F/lead-{i}"),
            Some(r#"{"durable":true,"arguments":{"x-queue-type":"quorum","x-queue-leader-locator":"client-local"}}"#),
        );
    }
    let piled = wait_for(Duration::from_secs(30), || {
        let l = leaders(reader, "lead-");
        (l.get(&names[0]) == Some(&12), l)
    });
    assert_eq!(piled.get(&names[0]), Some(&12), "{piled:?}");

    // status: three members, member 1 leads; Raft figures from 3.13.
    let status = warren_on(reader, &dir)
        .args(["quorum", "status", "lead-0", "-o", "json"])
        .succeeds()
        .json();
    assert_eq!(status["leader"], names[0].as_str(), "{status:#}");
    let listed: Vec<&str> = status["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["node"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(listed, sorted, "{status:#}");
    if cluster.version() == "3.10" {
        assert_eq!(status["source"], "queue object", "{status:#}");
    } else {
        assert_eq!(status["source"], "status endpoint", "{status:#}");
        let leader = status["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["leader"] == true)
            .unwrap();
        assert_eq!(leader["raft_state"], "leader", "{status:#}");
        assert_eq!(leader["lag"], 0, "{status:#}");
    }

    // The audit sees the pile; the dry run changes nothing; the rebalance spreads them.
    let audit = |expect: Code| {
        warren_on(reader, &dir)
            .args(["audit", "--rule", "Q012", "--fail-on", "low", "-o", "json"])
            .fails_with(expect.as_i32())
            .json()
    };
    let found = audit(Code::FindingsOrDrift);
    assert!(found.to_string().contains("leads 12 of"), "{found:#}");
    let dry = warren_on(reader, &dir)
        .args(["quorum", "rebalance", "--dry-run", "-o", "json"])
        .succeeds()
        .json();
    assert_eq!(dry["fair_share"], 4, "{dry:#}");
    assert_eq!(leaders(reader, "lead-").get(&names[0]), Some(&12));
    let done = warren_on(reader, &dir)
        .args(["quorum", "rebalance", "-o", "json"])
        .within(Duration::from_secs(120))
        .succeeds()
        .json();
    assert_eq!(done["piled_after"], serde_json::json!([]), "{done:#}");
    let after = leaders(reader, "lead-");
    assert!(
        after.values().all(|n| *n <= 6),
        "a node leads more than half: {after:?}"
    );
    assert_eq!(after.values().sum::<usize>(), 12, "{after:?}");
    let found = audit(Code::Success);
    let q012 = found["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "Q012")
        .unwrap();
    assert_eq!(q012["status"], "pass", "{found:#}");
    assert_eq!(q012["findings"], serde_json::json!([]), "{found:#}");

    // grow and shrink one node's members: two queues of 2 members (members 1 and 2).
    for i in 0..2 {
        reader.api_ok(
            "PUT",
            &format!("/api/queues/%2F/pair-{i}"),
            Some(r#"{"durable":true,"arguments":{"x-queue-type":"quorum","x-quorum-initial-group-size":2}}"#),
        );
    }
    let third = |q: &str| {
        names
            .iter()
            .find(|n| !members(reader, q).contains(n))
            .cloned()
            .expect("a node without a member")
    };
    let node = third("pair-0");
    if cluster.version() == "3.10" {
        warren_on(reader, &dir)
            .args(["quorum", "grow", &node, "--name", "^pair-"])
            .fails_with(Code::BrokerRefused.as_i32())
            .says("use `rabbitmq-queues grow`");
        return;
    }
    let before: Vec<Vec<String>> = (0..2)
        .map(|i| members(reader, &format!("pair-{i}")))
        .collect();
    let lacking = before.iter().filter(|m| !m.contains(&node)).count();
    assert!(lacking >= 1);
    let dry = warren_on(reader, &dir)
        .args([
            "quorum",
            "grow",
            &node,
            "--name",
            "^pair-",
            "--dry-run",
            "-o",
            "json",
        ])
        .succeeds()
        .json();
    assert_eq!(dry["changes"].as_array().unwrap().len(), lacking, "{dry:#}");
    for (i, was) in before.iter().enumerate() {
        assert_eq!(
            &members(reader, &format!("pair-{i}")),
            was,
            "the dry run changed pair-{i}"
        );
    }
    let grown = warren_on(reader, &dir)
        .args(["quorum", "grow", &node, "--name", "^pair-", "-o", "json"])
        .within(Duration::from_secs(120))
        .succeeds()
        .json();
    assert_eq!(
        grown["changes"].as_array().unwrap().len(),
        lacking,
        "{grown:#}"
    );
    for c in grown["changes"].as_array().unwrap() {
        assert_eq!(c["outcome"], "added", "{grown:#}");
    }
    let grown_members: Vec<Vec<String>> = (0..2)
        .map(|i| members(reader, &format!("pair-{i}")))
        .collect();
    for i in 0..2 {
        let mut expected = before[i].clone();
        if !expected.contains(&node) {
            expected.push(node.clone());
            expected.sort();
        }
        assert_eq!(grown_members[i], expected, "pair-{i}");
    }
    // Shrinking: refused without --allow-below-quorum (each would keep fewer than 3), and
    // without --yes off a terminal; done with both, and checked through the API.
    let refused = warren_on(reader, &dir)
        .args([
            "quorum", "shrink", &node, "--name", "^pair-", "--yes", "-o", "json",
        ])
        .fails_with(Code::PartialFailure.as_i32())
        .json();
    assert_eq!(
        refused["changes"].as_array().unwrap().len(),
        2,
        "{refused:#}"
    );
    for c in refused["changes"].as_array().unwrap() {
        assert_eq!(c["outcome"], "refused", "{refused:#}");
        assert!(
            c["reason"].as_str().unwrap().contains("fewer than 3"),
            "{refused:#}"
        );
    }
    assert_eq!(
        (0..2)
            .map(|i| members(reader, &format!("pair-{i}")))
            .collect::<Vec<_>>(),
        grown_members
    );
    warren_on(reader, &dir)
        .args([
            "quorum",
            "shrink",
            &node,
            "--name",
            "^pair-",
            "--allow-below-quorum",
        ])
        .stdin("")
        .fails_with(Code::Usage.as_i32())
        .says("pass --yes");
    let shrunk = warren_on(reader, &dir)
        .args([
            "quorum",
            "shrink",
            &node,
            "--name",
            "^pair-",
            "--allow-below-quorum",
            "--yes",
            "-o",
            "json",
        ])
        .within(Duration::from_secs(120))
        .succeeds()
        .json();
    for c in shrunk["changes"].as_array().unwrap() {
        assert_eq!(c["outcome"], "removed", "{shrunk:#}");
    }
    for (i, grown) in grown_members.iter().enumerate() {
        let expected: Vec<String> = grown.iter().filter(|m| **m != node).cloned().collect();
        assert_eq!(members(reader, &format!("pair-{i}")), expected, "pair-{i}");
    }
}
