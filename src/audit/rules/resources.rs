//! Resource rules (RES...): alarms, limits, partitions and connection churn.
//! Each rule's catalogue entry stands right above its check.

use super::*;

/// This file's rules, in catalogue order.
pub const RULES: &[Rule] = &[
    RES001, RES002, RES003, RES004, RES005, RES006, RES007, RES008, RES009, RES010, RES011,
];

/// This file's tunable figures (`warren audit rules`, `--set`).
pub const THRESHOLDS: &[Threshold] = &[
    RES003_PERCENT,
    RES004_MIN,
    RES004_PERCENT,
    RES006_RATE,
    RES007_CHANNELS,
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

const RES003_PERCENT: Threshold = Threshold {
    rule: "RES003",
    name: "percent",
    default: 80.0,
    unit: "percent of the memory limit",
    meaning: "memory in use on a node",
};

const RES003: Rule = Rule {
    id: "RES003",
    severity: Severity::Medium,
    title: "memory use near the high watermark (80% by default)",
    fix: "find the queues or connections using memory; vm_memory_high_watermark 0.4-0.7",
    doc: "https://www.rabbitmq.com/docs/memory-use",
    scope: Scope::Broker,
    check: res003_memory,
};

fn res003_memory(rule: &Rule, s: &Snapshot) -> Outcome {
    per_node(
        s,
        "mem_used and mem_limit",
        |n| Some((n.mem_used?, n.mem_limit.filter(|l| *l > 0)?)),
        |n, (used, limit)| {
            let percent = used as f64 * 100.0 / limit as f64;
            let what = format!(
                "memory use {} MB is {percent:.0}% of the limit",
                used / 1_000_000
            );
            rule.against(s, &RES003_PERCENT, percent, node_object(n), &what)
                .into_iter()
                .collect()
        },
    )
}

const RES004_MIN: Threshold = Threshold {
    rule: "RES004",
    name: "min_descriptors",
    default: 50_000.0,
    unit: "file descriptors",
    meaning: "the node's file descriptor limit must be at least this",
};

const RES004_PERCENT: Threshold = Threshold {
    rule: "RES004",
    name: "used_percent",
    default: 80.0,
    unit: "percent of the limit",
    meaning: "file descriptors in use",
};

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
            let min = s.limits.get(&RES004_MIN);
            if (total as f64) < min {
                return vec![node_finding(
                    rule,
                    n,
                    format!(
                        "file descriptor limit {total} is below {min} ({})",
                        s.limits.describe(&RES004_MIN)
                    ),
                )];
            }
            let percent = used as f64 * 100.0 / total as f64;
            let what = format!("{used} of {total} file descriptors in use ({percent:.0}%)");
            rule.against(s, &RES004_PERCENT, percent, node_object(n), &what)
                .into_iter()
                .collect()
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
    // Partitions and their handling are Mnesia's. With Khepri (4.3's only metadata store)
    // a node reports none, and Raft keeps the majority side going on its own.
    let khepri = s.feature_flags.as_ref().is_ok_and(|flags| {
        crate::broker::api::MetadataStore::of(flags) == crate::broker::api::MetadataStore::Khepri
    });
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
            // A running node that leaves its partitions out can't be said to have none.
            Some(true) if n.partitions.is_none() && !khepri => unknown.push(n.name.as_str()),
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
            "{} did not report whether it runs or is partitioned",
            unknown.join(", ")
        )));
    }
    if !findings.is_empty() || nodes.len() < 2 || khepri {
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

const RES006_RATE: Threshold = Threshold {
    rule: "RES006",
    name: "per_second",
    default: 10.0,
    unit: "connections per second",
    meaning: "connections opened (or closed, whichever is higher) per second, as the \
              management API's latest rate sample shows",
};

const RES006: Rule = Rule {
    id: "RES006",
    severity: Severity::Medium,
    title: "high connection churn (10 or more connections per second by default)",
    fix: "use long-lived connections (a pool) instead of one per operation",
    doc: "https://www.rabbitmq.com/docs/connections#high-connection-churn",
    scope: Scope::Broker,
    check: res006_churn,
};

/// The churn now, from `/api/overview`'s `churn_rates`, which the management API computes
/// over its latest statistics samples (a few seconds): a recent rate, not a lifetime total.
/// The larger of the opened and closed rates counts: RabbitMQ 3.10.8 leaves
/// `connection_created` at 0 while `connection_closed` counts (seen on the test nodes), and
/// churn opens and closes alike. Missing when statistics are off: not checked, never 0.
fn res006_churn(rule: &Rule, s: &Snapshot) -> Outcome {
    let o = read(&s.overview)?;
    let rate = |key: &str| {
        o.churn_rates
            .pointer(&format!("/{key}_details/rate"))
            .and_then(Value::as_f64)
    };
    let (Some(opened), Some(closed)) = (rate("connection_created"), rate("connection_closed"))
    else {
        return Err(not_checked(
            "/api/overview has no churn_rates (statistics are disabled or not collected yet)",
        ));
    };
    let churn = opened.max(closed);
    let what = format!(
        "{churn:.1} connections per second churn now ({opened:.1} opened, {closed:.1} closed per \
         second in the latest sample)"
    );
    Ok(rule
        .against(
            s,
            &RES006_RATE,
            churn,
            Object::new(Kind::Cluster, &o.cluster_name),
            &what,
        )
        .into_iter()
        .collect())
}

const RES007_CHANNELS: Threshold = Threshold {
    rule: "RES007",
    name: "channels",
    default: 100.0,
    unit: "channels",
    meaning: "channels open on one connection",
};

const RES007: Rule = Rule {
    id: "RES007",
    severity: Severity::Medium,
    title: "a connection has many channels (100 or more by default)",
    fix: "reuse channels; channel_max = 128",
    doc: "https://www.rabbitmq.com/docs/channels#channel-leaks",
    scope: Scope::PerVhost,
    check: res007_channels,
};

fn res007_channels(rule: &Rule, s: &Snapshot) -> Outcome {
    let mut findings = Vec::new();
    let mut unknown = Vec::new();
    for c in read(&s.connections)? {
        if c.is_network() == Some(false) {
            continue;
        }
        let Some(channels) = c.channels else {
            unknown.push(c.name.clone());
            continue;
        };
        let what = format!("{channels} channels open (user `{}`)", c.user);
        let object = Object::in_vhost(Kind::Connection, &c.vhost, &c.name);
        findings.extend(rule.against(s, &RES007_CHANNELS, channels as f64, object, &what));
    }
    unless_unknown(findings, &unknown, "their channel count")
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
    let mut findings = Vec::new();
    let mut unknown = Vec::new();
    for c in read(&s.connections)? {
        match (c.is_network(), c.timeout) {
            (Some(false), _) => {}
            (Some(true), Some(0))
                if c.protocol.as_deref().is_some_and(|p| p.starts_with("AMQP")) =>
            {
                findings.push(rule.finding(
                    Object::in_vhost(Kind::Connection, &c.vhost, &c.name),
                    format!("heartbeats disabled (user `{}`)", c.user),
                ))
            }
            (Some(true), Some(_)) => {}
            _ => unknown.push(c.name.clone()),
        }
    }
    unless_unknown(findings, &unknown, "their heartbeat timeout")
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
    // basic.get and unroutable counts are statistics: with them off, their absence says
    // nothing.
    if read(&s.overview)?.disable_stats == Some(true) {
        return Err(not_checked(
            "management statistics are disabled (management.disable_stats), so basic.get and \
             unroutable counts are not reported",
        ));
    }
    let mut findings = Vec::new();
    let mut unknown = Vec::new();
    for v in read(&s.vhosts)? {
        match v.tracing {
            Some(true) => {}
            Some(false) => continue,
            None => {
                unknown.push(format!("vhost {}", v.name));
                continue;
            }
        }
        findings.push(rule.finding(
            Object::new(Kind::Vhost, &v.name),
            "tracing (firehose) is on",
        ));
    }
    // Without per-queue statistics (too many queues, see --queue-stats) the vhost findings
    // still stand; with none of those, the rule is not checked.
    let queue_stats = match read(&s.queue_stats) {
        Ok(list) => list.as_slice(),
        Err(why) if findings.is_empty() => return Err(why),
        Err(_) => &[],
    };
    for q in queue_stats {
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
    unless_unknown(findings, &unknown, "whether tracing is on")
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
        // Khepri (4.3): no partitions to report and no handling to ask about; a stopped node
        // and an even count are still findings.
        s.feature_flags = Ok(vec![
            serde_json::from_value(serde_json::json!({"name": "khepri_db", "state": "enabled"}))
                .unwrap(),
        ]);
        let mut quiet = bare("c");
        quiet.running = Some(true);
        s.nodes = Ok(vec![node("a", true), node("b", true), quiet]);
        assert!(run("RES005", &s).unwrap().is_empty());
        s.nodes = Ok(vec![node("a", true), node("b", false), node("c", true)]);
        assert_eq!(names("RES005", &s), ["node b"]);
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
