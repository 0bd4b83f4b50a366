//! Resource rules (RES...): alarms, limits, partitions and connection churn.
//! Each rule's catalogue entry stands right above its check.

use super::*;

/// This file's rules, in catalogue order.
pub const RULES: &[Rule] = &[
    RES001, RES002, RES003, RES004, RES005, RES006, RES007, RES008, RES009, RES010, RES011,
];

const RES001: Rule = Rule {
    id: "RES001",
    severity: Severity::Critical,
    title: "a memory or disk alarm is in effect: publishers are blocked",
    fix: "free memory or disk on the node; consume backlogs",
    doc: "https://www.rabbitmq.com/docs/alarms",
    scope: Scope::Broker,
    check: res001_alarms,
};

fn res001_alarms(rule: &Rule, s: &Snapshot) -> Outcome {
    per_node(
        s,
        "the memory and disk alarms",
        |n| Some((n.mem_alarm?, n.disk_free_alarm?)),
        |n, (memory, disk)| {
            [(memory, "memory"), (disk, "disk")]
                .into_iter()
                .filter(|(on, _)| *on)
                .map(|(_, what)| {
                    node_finding(rule, n, format!("{what} alarm: publishers are blocked"))
                })
                .collect()
        },
    )
}

/// Findings over the nodes that reported the figures `read` needs. A node that left one out
/// (the metrics collector is off, or the node is down) can't be judged: when no node gave a
/// finding and some node couldn't be judged, the rule is not checked. A missing figure never
/// passes.
fn per_node<T>(
    s: &Snapshot,
    what: &str,
    read_figures: impl Fn(&Node) -> Option<T>,
    mut check: impl FnMut(&Node, T) -> Vec<Finding>,
) -> Outcome {
    let mut findings = Vec::new();
    let mut unknown = Vec::new();
    for n in read(&s.nodes)? {
        match read_figures(n) {
            Some(figures) => findings.extend(check(n, figures)),
            None => unknown.push(n.name.as_str()),
        }
    }
    if findings.is_empty() && !unknown.is_empty() {
        return Err(not_checked(format!(
            "{} did not report {what}",
            unknown.join(", ")
        )));
    }
    Ok(findings)
}

fn node_finding(rule: &Rule, n: &Node, message: impl Into<String>) -> Finding {
    rule.finding(Object::new(Kind::Node, &n.name), message)
}

const RES002: Rule = Rule {
    id: "RES002",
    severity: Severity::Medium,
    title: "the disk free limit is below the memory limit",
    fix: "disk_free_limit.relative = 1.0 (or an absolute value >= the memory high watermark)",
    doc: "https://www.rabbitmq.com/docs/disk-alarms",
    scope: Scope::Broker,
    check: res002_disk_limit,
};

fn res002_disk_limit(rule: &Rule, s: &Snapshot) -> Outcome {
    per_node(
        s,
        "mem_limit and disk_free_limit",
        |n| Some((n.mem_limit?, n.disk_free_limit?)),
        |n, (mem_limit, disk_free_limit)| {
            if mem_limit > 0 && disk_free_limit < mem_limit {
                vec![node_finding(
                    rule,
                    n,
                    format!(
                        "disk_free_limit {} MB is below the memory limit {} MB",
                        disk_free_limit / 1_000_000,
                        mem_limit / 1_000_000
                    ),
                )]
            } else {
                vec![]
            }
        },
    )
}

const RES003: Rule = Rule {
    id: "RES003",
    severity: Severity::Medium,
    title: "memory use above 80% of the high watermark",
    fix: "find the queues or connections using memory; vm_memory_high_watermark 0.4-0.7",
    doc: "https://www.rabbitmq.com/docs/memory-use",
    scope: Scope::Broker,
    check: res003_memory,
};

fn res003_memory(rule: &Rule, s: &Snapshot) -> Outcome {
    per_node(
        s,
        "mem_used and mem_limit",
        |n| Some((n.mem_used?, n.mem_limit?)),
        |n, (used, limit)| {
            if limit > 0 && used * 10 > limit * 8 {
                vec![node_finding(
                    rule,
                    n,
                    format!(
                        "memory use {} MB is {}% of the limit",
                        used / 1_000_000,
                        used * 100 / limit
                    ),
                )]
            } else {
                vec![]
            }
        },
    )
}

const MIN_FILE_DESCRIPTORS: u64 = 50_000;

const RES004: Rule = Rule {
    id: "RES004",
    severity: Severity::Medium,
    title: "too few file descriptors, or most of them in use",
    fix: "LimitNOFILE=64000 (systemd) or ulimit -n 64000",
    doc: "https://www.rabbitmq.com/docs/production-checklist#resource-limits-file-handle-limit",
    scope: Scope::Broker,
    check: res004_file_descriptors,
};

fn res004_file_descriptors(rule: &Rule, s: &Snapshot) -> Outcome {
    per_node(
        s,
        "fd_total and fd_used",
        // 0 is what a node reports when it can't count its descriptors: unknown too.
        |n| Some((n.fd_total.filter(|t| *t > 0)?, n.fd_used?)),
        |n, (total, used)| {
            if total < MIN_FILE_DESCRIPTORS {
                vec![node_finding(
                    rule,
                    n,
                    format!("file descriptor limit {total} is below {MIN_FILE_DESCRIPTORS}"),
                )]
            } else if used * 10 > total * 8 {
                vec![node_finding(
                    rule,
                    n,
                    format!("{used} of {total} file descriptors in use"),
                )]
            } else {
                vec![]
            }
        },
    )
}

const RES005: Rule = Rule {
    id: "RES005",
    severity: Severity::High,
    title: "a network partition, a stopped node, or an even number of nodes",
    fix: "cluster_partition_handling = pause_minority with an odd number of nodes",
    doc: "https://www.rabbitmq.com/docs/partitions",
    scope: Scope::Broker,
    check: res005_partitions,
};

fn res005_partitions(rule: &Rule, s: &Snapshot) -> Outcome {
    let nodes = read(&s.nodes)?;
    let mut findings = Vec::new();
    let mut unknown = Vec::new();
    for n in nodes {
        if let Some(peers) = n.partitions.as_ref().filter(|p| !p.is_empty()) {
            findings.push(node_finding(
                rule,
                n,
                format!(
                    "partitioned from {} node(s): {}",
                    peers.len(),
                    peers.join(", ")
                ),
            ));
        }
        match n.running {
            Some(false) => findings.push(node_finding(rule, n, "node is not running")),
            None => unknown.push(n.name.as_str()),
            Some(true) => {}
        }
    }
    if nodes.len() >= 2 && nodes.len() % 2 == 0 {
        findings.push(rule.finding(
            Object::new(Kind::Cluster, "nodes"),
            format!(
                "{} nodes: an even count can't keep a majority in a split",
                nodes.len()
            ),
        ));
    }
    if findings.is_empty() && !unknown.is_empty() {
        return Err(not_checked(format!(
            "{} did not report whether it runs",
            unknown.join(", ")
        )));
    }
    if !findings.is_empty() || nodes.len() < 2 {
        return Ok(findings);
    }
    // Several nodes, none partitioned: the remaining question is how a partition would be
    // handled, which the management API does not report on 3.x or 4.x.
    match nodes
        .iter()
        .find_map(|n| n.cluster_partition_handling.as_deref())
    {
        Some("ignore") => Ok(vec![rule.finding(
            Object::new(Kind::Cluster, "partition handling"),
            "cluster_partition_handling = ignore",
        )]),
        Some(_) => Ok(vec![]),
        None => Err(not_checked(
            "no partitions now, but cluster_partition_handling is not reported by the management \
             API; check rabbitmq.conf",
        )),
    }
}

const RES006: Rule = Rule {
    id: "RES006",
    severity: Severity::Medium,
    title: "high connection churn",
    fix: "use long-lived connections (a pool) instead of one per operation",
    doc: "https://www.rabbitmq.com/docs/connections#high-connection-churn",
    scope: Scope::Broker,
    check: res006_churn,
};

fn res006_churn(rule: &Rule, s: &Snapshot) -> Outcome {
    let o = read(&s.overview)?;
    let connections = read(&s.connections)?.len() as f64;
    let created = o
        .churn_rates
        .pointer("/connection_created_details/rate")
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    Ok(if connections >= 100.0 && created > connections * 0.1 {
        vec![rule.finding(
            Object::new(Kind::Cluster, &o.cluster_name),
            format!("{created:.1} connections opened per second for {connections} open"),
        )]
    } else {
        vec![]
    })
}

const MAX_CHANNELS: u64 = 100;

const RES007: Rule = Rule {
    id: "RES007",
    severity: Severity::Medium,
    title: "a connection has more than 100 channels",
    fix: "reuse channels; channel_max = 128",
    doc: "https://www.rabbitmq.com/docs/channels#channel-leaks",
    scope: Scope::PerVhost,
    check: res007_channels,
};

fn res007_channels(rule: &Rule, s: &Snapshot) -> Outcome {
    Ok(read(&s.connections)?
        .iter()
        .filter(|c| c.channels > MAX_CHANNELS)
        .map(|c| {
            rule.finding(
                Object::in_vhost(Kind::Connection, &c.vhost, &c.name),
                format!("{} channels open (user `{}`)", c.channels, c.user),
            )
        })
        .collect())
}

const RES008: Rule = Rule {
    id: "RES008",
    severity: Severity::Low,
    title: "a connection has heartbeats disabled (timeout 0)",
    fix: "let the client negotiate a heartbeat (e.g. 60 s)",
    doc: "https://www.rabbitmq.com/docs/heartbeats",
    scope: Scope::PerVhost,
    check: res008_heartbeats,
};

fn res008_heartbeats(rule: &Rule, s: &Snapshot) -> Outcome {
    Ok(read(&s.connections)?
        .iter()
        .filter(|c| c.protocol.starts_with("AMQP") && c.timeout == Some(0))
        .map(|c| {
            rule.finding(
                Object::in_vhost(Kind::Connection, &c.vhost, &c.name),
                format!("heartbeats disabled (user `{}`)", c.user),
            )
        })
        .collect())
}

const RES009: Rule = Rule {
    id: "RES009",
    severity: Severity::Medium,
    title: "a vhost has no max-connections or max-queues limit",
    fix: "rabbitmqctl set_vhost_limits -p <vhost> '{\"max-connections\": 500, \"max-queues\": 1000}'",
    doc: "https://www.rabbitmq.com/docs/vhosts#limits",
    scope: Scope::PerVhost,
    check: res009_vhost_limits,
};

fn res009_vhost_limits(rule: &Rule, s: &Snapshot) -> Outcome {
    let limits = read(&s.vhost_limits)?;
    let mut findings = Vec::new();
    for v in read(&s.vhosts)? {
        let set = limits
            .iter()
            .find(|l| l.vhost.as_deref() == Some(v.name.as_str()));
        let has = |key: &str| {
            set.and_then(|l| l.value.get(key))
                .and_then(Value::as_i64)
                .is_some_and(|n| n >= 0)
        };
        let missing: Vec<&str> = ["max-connections", "max-queues"]
            .into_iter()
            .filter(|k| !has(k))
            .collect();
        if !missing.is_empty() {
            findings.push(rule.finding(
                Object::new(Kind::Vhost, &v.name),
                format!("no {} limit", missing.join(" or ")),
            ));
        }
    }
    Ok(findings)
}

fn stat(value: &Value, key: &str) -> u64 {
    value.get(key).and_then(Value::as_u64).unwrap_or(0)
}

const RES010: Rule = Rule {
    id: "RES010",
    severity: Severity::Low,
    title: "tracing on, consumers polling with basic.get, or unroutable messages",
    fix: "rabbitmqctl trace_off; use basic.consume; add bindings or an alternate exchange",
    doc: "https://www.rabbitmq.com/docs/firehose",
    scope: Scope::PerVhost,
    check: res010_waste,
};

fn res010_waste(rule: &Rule, s: &Snapshot) -> Outcome {
    let mut findings = Vec::new();
    for v in read(&s.vhosts)?.iter().filter(|v| v.tracing) {
        findings.push(rule.finding(
            Object::new(Kind::Vhost, &v.name),
            "tracing (firehose) is on",
        ));
    }
    for q in read(&s.queue_stats)? {
        let polls = stat(&q.message_stats, "get")
            + stat(&q.message_stats, "get_no_ack")
            + stat(&q.message_stats, "get_empty");
        if polls > 0 {
            findings.push(rule.finding(
                Object::in_vhost(Kind::Queue, &q.vhost, &q.name),
                format!("{polls} basic.get calls: consumers are polling"),
            ));
        }
    }
    if let Ok(o) = &s.overview {
        for key in ["drop_unroutable", "return_unroutable"] {
            let n = stat(&o.message_stats, key);
            if n > 0 {
                findings.push(rule.finding(
                    Object::new(Kind::Cluster, &o.cluster_name),
                    format!("{n} messages {key}"),
                ));
            }
        }
    }
    Ok(findings)
}

const RES011: Rule = Rule {
    id: "RES011",
    severity: Severity::Medium,
    title: "cluster nodes run different RabbitMQ versions",
    fix: "finish the rolling upgrade: every node on one version, then enable the new feature flags",
    doc: "https://www.rabbitmq.com/docs/upgrade#rolling-upgrade",
    scope: Scope::Broker,
    check: res011_mixed_versions,
};

/// A mixed-version cluster is normal for the minutes of a rolling upgrade, never longer.
/// The version is `rabbit`'s in each node's `applications` (3.x and 4.x); a stopped node
/// reports none and is left to RES005.
fn res011_mixed_versions(rule: &Rule, s: &Snapshot) -> Outcome {
    let nodes = read(&s.nodes)?;
    let mut versions: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut unknown = Vec::new();
    for n in nodes.iter().filter(|n| n.is_running()) {
        match n.rabbitmq_version() {
            Some(v) => versions.entry(v).or_default().push(n.name.as_str()),
            None => unknown.push(n.name.as_str()),
        }
    }
    if versions.len() > 1 {
        let listed: Vec<String> = versions
            .iter()
            .map(|(v, names)| format!("{v} on {}", names.join(", ")))
            .collect();
        return Ok(vec![rule.finding(
            Object::new(Kind::Cluster, "nodes"),
            format!("mixed versions: {}", listed.join("; ")),
        )]);
    }
    if !unknown.is_empty() && nodes.len() > 1 {
        return Err(not_checked(format!(
            "{} did not report its version",
            unknown.join(", ")
        )));
    }
    Ok(vec![])
}

#[cfg(test)]
mod tests {
    use crate::audit::rules::testing::*;

    #[test]
    fn partitions_and_node_counts() {
        let mut s = planted();
        s.nodes = Ok(vec![node("a", true), node("b", true)]);
        assert_eq!(run("RES005", &s).unwrap().len(), 1, "even count");
        s.nodes = Ok(vec![node("a", true), node("b", true), node("c", true)]);
        let why = run("RES005", &s).unwrap_err();
        assert!(why.0.contains("cluster_partition_handling"), "{}", why.0);
        s.nodes = Ok(vec![node("a", true), node("b", false), node("c", true)]);
        assert_eq!(run("RES005", &s).unwrap().len(), 1);
        // One node: nothing to partition.
        assert!(run("RES005", &planted()).unwrap().is_empty());
    }

    /// A node as the broker reports it with the metrics collector off: no figures at all.
    fn bare(name: &str) -> crate::audit::snapshot::Node {
        serde_json::from_value(serde_json::json!({"name": name, "running": true})).unwrap()
    }

    fn versioned(name: &str, version: &str) -> crate::audit::snapshot::Node {
        serde_json::from_value(serde_json::json!({
            "name": name, "running": true,
            "applications": [{"name": "rabbit", "version": version}]
        }))
        .unwrap()
    }

    #[test]
    fn mixed_versions_are_found_and_one_version_is_silent() {
        let mut s = planted();
        s.nodes = Ok(vec![versioned("a", "4.0.5"), versioned("b", "4.0.5")]);
        assert!(run("RES011", &s).unwrap().is_empty());
        s.nodes = Ok(vec![
            versioned("a", "3.13.7"),
            versioned("b", "4.0.5"),
            versioned("c", "4.0.5"),
        ]);
        let found = run("RES011", &s).unwrap();
        assert_eq!(found.len(), 1);
        assert!(
            found[0].message.contains("3.13.7 on a; 4.0.5 on b, c"),
            "{}",
            found[0].message
        );
        s.nodes = Ok(vec![versioned("a", "4.0.5"), bare("b")]);
        assert!(
            run("RES011", &s)
                .unwrap_err()
                .0
                .contains("b did not report")
        );
    }

    #[test]
    fn missing_node_figures_are_not_checked_never_passed() {
        let mut s = planted();
        s.nodes = Ok(vec![bare("a")]);
        for id in ["RES001", "RES002", "RES003", "RES004"] {
            let why = run(id, &s).expect_err(id);
            assert!(why.0.starts_with("a did not report"), "{id}: {}", why.0);
        }
        // A node that did report still gives its finding beside one that didn't.
        let mut alarmed = node("b", true);
        alarmed.mem_alarm = Some(true);
        alarmed.disk_free_alarm = Some(false);
        s.nodes = Ok(vec![bare("a"), alarmed]);
        assert_eq!(names("RES001", &s), ["node b"]);
        // A state the broker left out is not a running node.
        let mut unknown = bare("b");
        unknown.running = None;
        s.nodes = Ok(vec![node("a", true), unknown, node("c", true)]);
        let why = run("RES005", &s).unwrap_err();
        assert!(
            why.0.contains("b did not report whether it runs"),
            "{}",
            why.0
        );
    }
}
