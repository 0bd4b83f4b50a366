//! The cluster harness (`scripts/broker start NAME --cluster 3`) against real nodes of the
//! version under test, read through the management API with curl, not warren: every member
//! runs; a partitioned member and the others see each other down, RabbitMQ reports the
//! partition once the network is back, heal ends it; a killed member is seen down and a
//! restarted one rejoins.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;
use support::{Cluster, Node, wait_for};

/// One node as a reader's `/api/nodes` shows it.
#[derive(Debug, Default)]
struct Seen {
    running: bool,
    partitions: Vec<String>,
}

/// `reader`'s `/api/nodes`, by node name; empty when it doesn't answer.
fn nodes(reader: &Node) -> BTreeMap<String, Seen> {
    let (status, body) = reader.api("GET", "/api/nodes?columns=name,running,partitions", None);
    let list: serde_json::Value = match status {
        200 => serde_json::from_str(&body).unwrap_or_default(),
        _ => serde_json::Value::Null,
    };
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(String::from))
            .collect()
    };
    list.as_array()
        .into_iter()
        .flatten()
        .map(|n| {
            let seen = Seen {
                running: n["running"].as_bool() == Some(true),
                partitions: strings(&n["partitions"]),
            };
            (n["name"].as_str().unwrap_or_default().to_string(), seen)
        })
        .collect()
}

/// Wait (60 s) until `reader`'s view satisfies `ok`; fail with the last view.
fn wait_view(reader: &Node, what: &str, ok: impl Fn(&BTreeMap<String, Seen>) -> bool) {
    let view = wait_for(Duration::from_secs(60), || {
        let view = nodes(reader);
        (ok(&view), view)
    });
    assert!(
        ok(&view),
        "{} never saw {what}; last /api/nodes: {view:#?}",
        reader.name
    );
}

fn running(view: &BTreeMap<String, Seen>, node: &str) -> bool {
    view.get(node).is_some_and(|n| n.running)
}

/// Every member of `names` running, none reporting a partition, and no other node.
fn whole(view: &BTreeMap<String, Seen>, names: &[String]) -> bool {
    view.len() == names.len()
        && names.iter().all(|n| {
            view.get(n)
                .is_some_and(|s| s.running && s.partitions.is_empty())
        })
}

#[test]
fn a_three_node_cluster_partitions_heals_and_loses_a_member() {
    let cluster = Cluster::start("cluster", 3, &[]);
    let names: Vec<String> = cluster
        .members()
        .iter()
        .map(|m| m.var("NODE").to_string())
        .collect();
    for member in cluster.members() {
        assert_eq!(member.version(), cluster.version());
        wait_view(member, "3 running nodes", |v| whole(v, &names));
    }

    cluster.partition(3);
    // Member 3 is alive (its API answers) but cut off: each side sees the other down.
    wait_view(cluster.member(1), "member 3 down", |v| {
        running(v, &names[0]) && running(v, &names[1]) && !running(v, &names[2])
    });
    wait_view(cluster.member(3), "members 1 and 2 down", |v| {
        running(v, &names[2]) && !running(v, &names[0]) && !running(v, &names[1])
    });

    cluster.heal_network(3);
    if cluster.version() == "4.3" {
        // Khepri, 4.3's only metadata store, records no partition: once the network is
        // back the members find each other again, and nothing needs a restart.
        for member in cluster.members() {
            wait_view(member, "the cluster whole again", |v| whole(v, &names));
        }
    } else {
        partition_reported_until_healed(&cluster, &names);
    }

    cluster.heal(3);
    for member in cluster.members() {
        wait_view(member, "the cluster whole again", |v| whole(v, &names));
    }

    cluster.kill(2);
    wait_view(cluster.member(1), "member 2 down", |v| {
        running(v, &names[0]) && !running(v, &names[1]) && running(v, &names[2])
    });
    cluster.restart(2);
    wait_view(cluster.member(1), "member 2 back", |v| whole(v, &names));

    if std::env::var("WARREN_KEEP_NODES").as_deref() != Ok("1") {
        cluster.stop();
    }
}

/// Mnesia (3.x, 4.0): reconnected, the members report the partition (each in its own entry)
/// and stay partitioned until healed.
fn partition_reported_until_healed(cluster: &Cluster, names: &[String]) {
    let reported = wait_for(Duration::from_secs(60), || {
        let reports: Vec<(String, Vec<String>)> = cluster
            .members()
            .iter()
            .zip(names)
            .filter_map(|(m, name)| {
                let own = nodes(m).remove(name)?;
                (!own.partitions.is_empty()).then(|| (name.clone(), own.partitions))
            })
            .collect();
        (!reports.is_empty(), reports)
    });
    assert!(!reported.is_empty(), "no member reported the partition");
    for (reporter, partitions) in &reported {
        let other_side: &[String] = if *reporter == names[2] {
            &names[..2]
        } else {
            &names[2..]
        };
        assert!(
            partitions.iter().all(|p| other_side.contains(p)),
            "{reporter} reports partitions {partitions:?}; expected members of {other_side:?}"
        );
    }
}
