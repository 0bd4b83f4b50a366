//! Queue rules (Q...): durability, dead-lettering, bounds, consumers and upgrade blockers.
//! Each rule's catalogue entry stands right above its check.

use super::*;

/// This file's rules, in catalogue order.
pub const RULES: &[Rule] = &[
    Q001, Q002, Q003, Q004, Q005, Q006, Q007, Q008, Q009, Q010, Q011, Q012,
];

const Q001: Rule = Rule {
    id: "Q001",
    severity: Severity::High,
    title: "classic queue mirroring (ha-* policy) or another deprecated feature is used",
    fix: "migrate mirrored queues to quorum queues, then delete the ha-* policy",
    doc: "https://www.rabbitmq.com/docs/migrate-mcq-to-qq",
    scope: Scope::PerVhost,
    check: q001_mirroring,
};

fn q001_mirroring(rule: &Rule, s: &Snapshot) -> Outcome {
    let mut findings = Vec::new();
    for (label, source) in [
        ("policy", &s.policies),
        ("operator policy", &s.operator_policies),
    ] {
        for p in read(source)? {
            let keys: Vec<&str> = p
                .definition
                .keys()
                .map(String::as_str)
                .filter(|k| k.starts_with("ha-"))
                .collect();
            if !keys.is_empty() {
                findings.push(rule.finding(
                    Object::in_vhost(Kind::Policy, &p.vhost, &p.name),
                    format!(
                        "{label} `{}` mirrors classic queues ({}): removed in 4.0",
                        p.name,
                        keys.join(", ")
                    ),
                ));
            }
        }
    }
    // 3.13+ lists the deprecated features in use; before, the endpoint is absent (404).
    if let Ok(used) = &s.deprecated_used {
        for f in used {
            findings.push(rule.finding(
                Object::new(Kind::Cluster, &f.name),
                format!(
                    "deprecated feature `{}` is in use ({})",
                    f.name, f.deprecation_phase
                ),
            ));
        }
    }
    Ok(findings)
}

/// Queues a per-queue rule should look at: not exclusive (those belong to one connection).
fn lasting_queues(
    s: &Snapshot,
) -> Result<impl Iterator<Item = &crate::audit::snapshot::Queue>, NotChecked> {
    Ok(read(&s.queues)?.iter().filter(|q| !q.exclusive))
}

const Q002: Rule = Rule {
    id: "Q002",
    severity: Severity::Medium,
    title: "a non-durable queue holds messages",
    fix: "declare the queue durable (and publish persistent messages)",
    doc: "https://www.rabbitmq.com/docs/queues#durability",
    scope: Scope::PerVhost,
    check: q002_non_durable,
};

fn q002_non_durable(rule: &Rule, s: &Snapshot) -> Outcome {
    Ok(read(&s.queue_stats)?
        .iter()
        .filter(|q| !q.exclusive && !q.durable && q.messages.unwrap_or(0) > 0)
        .map(|q| {
            rule.finding(
                Object::in_vhost(Kind::Queue, &q.vhost, &q.name),
                format!(
                    "non-durable with {} messages: lost on restart",
                    q.messages.unwrap_or(0)
                ),
            )
        })
        .collect())
}

const Q003: Rule = Rule {
    id: "Q003",
    severity: Severity::Medium,
    title: "a lazy queue (x-queue-mode lazy)",
    fix: "drop queue-mode: it has no effect from 3.12, and declaring it fails on 4.3",
    doc: "https://www.rabbitmq.com/docs/lazy-queues",
    scope: Scope::PerVhost,
    check: q003_lazy,
};

fn q003_lazy(rule: &Rule, s: &Snapshot) -> Outcome {
    Ok(read(&s.queues)?
        .iter()
        .filter(|q| q.setting("queue-mode").and_then(Value::as_str) == Some("lazy"))
        .map(|q| {
            rule.finding(
                Object::in_vhost(Kind::Queue, &q.vhost, &q.name),
                "queue-mode lazy: no effect from 3.12, declaring it fails on 4.3",
            )
        })
        .collect())
}

const Q004: Rule = Rule {
    id: "Q004",
    severity: Severity::High,
    title: "a quorum queue lacks replicas, has members offline or no leader",
    fix: "rabbitmq-queues grow <node> all; restore the offline members",
    doc: "https://www.rabbitmq.com/docs/quorum-queues#replica-management",
    scope: Scope::PerVhost,
    check: q004_quorum_replicas,
};

fn q004_quorum_replicas(rule: &Rule, s: &Snapshot) -> Outcome {
    let running = read(&s.nodes)?.iter().filter(|n| n.is_running()).count();
    // A single-node broker can't hold more replicas than it has nodes.
    let wanted = running.clamp(1, 3);
    let mut findings = Vec::new();
    for q in read(&s.queues)?.iter().filter(|q| q.kind == "quorum") {
        let members = q.members.as_ref().map(Vec::len).unwrap_or(0);
        let online = q.online.as_ref().map(Vec::len).unwrap_or(0);
        let object = || Object::in_vhost(Kind::Queue, &q.vhost, &q.name);
        if members < wanted {
            findings.push(rule.finding(
                object(),
                format!("{members} replica(s) with {running} nodes running"),
            ));
        }
        if online < members {
            findings.push(rule.finding(object(), format!("{online} of {members} members online")));
        }
        if q.leader.as_deref().is_none_or(str::is_empty) {
            findings.push(rule.finding(object(), "no leader"));
        }
    }
    Ok(findings)
}

const Q005: Rule = Rule {
    id: "Q005",
    severity: Severity::Medium,
    title: "a queue has no dead-letter exchange",
    fix: "a policy with dead-letter-exchange (rejected and expired messages are kept)",
    doc: "https://www.rabbitmq.com/docs/dlx",
    scope: Scope::PerVhost,
    check: q005_no_dlx,
};

fn q005_no_dlx(rule: &Rule, s: &Snapshot) -> Outcome {
    // Without the policies, a setting given by policy would look missing.
    read(&s.policies)?;
    Ok(lasting_queues(s)?
        .filter(|q| q.kind != "stream" && q.setting("dead-letter-exchange").is_none())
        .map(|q| {
            rule.finding(
                Object::in_vhost(Kind::Queue, &q.vhost, &q.name),
                "no dead-letter exchange (argument or policy)",
            )
        })
        .collect())
}

const Q006: Rule = Rule {
    id: "Q006",
    severity: Severity::Medium,
    title: "a queue has no bound: no max-length, max-length-bytes, message-ttl or expires",
    fix: "an operator policy with max-length (or max-length-bytes)",
    doc: "https://www.rabbitmq.com/docs/maxlength",
    scope: Scope::PerVhost,
    check: q006_unbounded,
};

fn q006_unbounded(rule: &Rule, s: &Snapshot) -> Outcome {
    // Without the policies, a setting given by policy would look missing.
    read(&s.policies)?;
    const BOUNDS: [&str; 4] = ["max-length", "max-length-bytes", "message-ttl", "expires"];
    Ok(lasting_queues(s)?
        .filter(|q| q.kind != "stream" && BOUNDS.iter().all(|b| q.setting(b).is_none()))
        .map(|q| {
            rule.finding(
                Object::in_vhost(Kind::Queue, &q.vhost, &q.name),
                "no max-length, max-length-bytes, message-ttl or expires",
            )
        })
        .collect())
}

const BACKLOG: u64 = 1000;

const Q007: Rule = Rule {
    id: "Q007",
    severity: Severity::Medium,
    title: "a queue has a backlog and no consumers",
    fix: "start a consumer, or set a TTL / max-length if the messages are not needed",
    doc: "https://www.rabbitmq.com/docs/queues",
    scope: Scope::PerVhost,
    check: q007_backlog,
};

fn q007_backlog(rule: &Rule, s: &Snapshot) -> Outcome {
    Ok(read(&s.queue_stats)?
        .iter()
        .filter(|q| q.messages.unwrap_or(0) >= BACKLOG && q.consumers.unwrap_or(0) == 0)
        .map(|q| {
            rule.finding(
                Object::in_vhost(Kind::Queue, &q.vhost, &q.name),
                format!("{} messages and no consumer", q.messages.unwrap_or(0)),
            )
        })
        .collect())
}

fn consumer_object(c: &crate::audit::snapshot::Consumer) -> Object {
    Object::in_vhost(
        Kind::Consumer,
        &c.queue.vhost,
        format!("{} ({})", c.queue.name, c.consumer_tag),
    )
}

const Q008: Rule = Rule {
    id: "Q008",
    severity: Severity::Medium,
    title: "a consumer with manual acks has no prefetch limit (prefetch 0)",
    fix: "basic.qos with a prefetch of 100-300 before basic.consume",
    doc: "https://www.rabbitmq.com/docs/consumer-prefetch",
    scope: Scope::PerVhost,
    check: q008_prefetch_zero,
};

fn q008_prefetch_zero(rule: &Rule, s: &Snapshot) -> Outcome {
    Ok(read(&s.consumers)?
        .iter()
        .filter(|c| c.ack_required && c.prefetch_count == 0)
        .map(|c| {
            rule.finding(
                consumer_object(c),
                format!(
                    "unlimited prefetch on queue `{}` (user `{}`, connection {})",
                    c.queue.name, c.channel_details.user, c.channel_details.connection_name
                ),
            )
        })
        .collect())
}

const Q009: Rule = Rule {
    id: "Q009",
    severity: Severity::Medium,
    title: "a consumer uses automatic acknowledgements",
    fix: "consume with manual acks (no_ack = false) and ack after processing",
    doc: "https://www.rabbitmq.com/docs/confirms#acknowledgement-modes",
    scope: Scope::PerVhost,
    check: q009_auto_ack,
};

fn q009_auto_ack(rule: &Rule, s: &Snapshot) -> Outcome {
    Ok(read(&s.consumers)?
        .iter()
        .filter(|c| !c.ack_required)
        .map(|c| {
            rule.finding(
                consumer_object(c),
                format!(
                    "auto-ack on queue `{}`: a crash loses delivered messages (user `{}`)",
                    c.queue.name, c.channel_details.user
                ),
            )
        })
        .collect())
}

const Q010: Rule = Rule {
    id: "Q010",
    severity: Severity::Medium,
    title: "a policy matches every queue and exchange",
    fix: "narrow the pattern; merge policies, since only one applies per queue",
    doc: "https://www.rabbitmq.com/docs/parameters#policies",
    scope: Scope::PerVhost,
    check: q010_catch_all_policy,
};

fn q010_catch_all_policy(rule: &Rule, s: &Snapshot) -> Outcome {
    let mut findings = Vec::new();
    for source in [&s.policies, &s.operator_policies] {
        for p in read(source)?
            .iter()
            .filter(|p| p.pattern.is_empty() || is_wildcard(&p.pattern) || p.pattern == "^")
        {
            findings.push(rule.finding(
                Object::in_vhost(Kind::Policy, &p.vhost, &p.name),
                format!(
                    "pattern `{}` matches everything: it shadows any other policy of lower priority",
                    p.pattern
                ),
            ));
        }
    }
    Ok(findings)
}

const Q011: Rule = Rule {
    id: "Q011",
    severity: Severity::Medium,
    title: "feature flags not enabled, RAM nodes, or global prefetch",
    fix: "rabbitmqctl enable_feature_flag all; use disc nodes; per-consumer prefetch",
    doc: "https://www.rabbitmq.com/docs/feature-flags",
    scope: Scope::PerVhost,
    check: q011_upgrade_blockers,
};

fn q011_upgrade_blockers(rule: &Rule, s: &Snapshot) -> Outcome {
    let mut findings = Vec::new();
    for f in read(&s.feature_flags)? {
        if f.state != "enabled" && f.stability != "experimental" {
            findings.push(rule.finding(
                Object::new(Kind::Cluster, &f.name),
                format!("feature flag `{}` is {}", f.name, f.state),
            ));
        }
    }
    for n in read(&s.nodes)?
        .iter()
        .filter(|n| n.kind.as_deref() == Some("ram"))
    {
        findings.push(rule.finding(Object::new(Kind::Node, &n.name), "RAM node"));
    }
    if let Ok(channels) = &s.channels {
        for c in channels.iter().filter(|c| c.global_prefetch_count > 0) {
            findings.push(rule.finding(
                Object::in_vhost(Kind::Channel, &c.vhost, &c.name),
                format!(
                    "global prefetch {} (per-channel qos is deprecated)",
                    c.global_prefetch_count
                ),
            ));
        }
    }
    Ok(findings)
}

const Q012: Rule = Rule {
    id: "Q012",
    severity: Severity::Low,
    title: "quorum queue leaders are piled on one node",
    fix: "rabbitmq-queues rebalance quorum (or the queue-leader-locator policy key)",
    doc: "https://www.rabbitmq.com/docs/quorum-queues#replica-rebalancing",
    scope: Scope::Broker,
    check: q012_leaders_piled,
};

/// Leaders do the work of a quorum queue: one node leading more than twice its share (more
/// than three quarters with two nodes; at least two leaders per running node to judge by)
/// carries the cluster. After a
/// node restarts, its leaders have moved to the others until a rebalance.
fn q012_leaders_piled(rule: &Rule, s: &Snapshot) -> Outcome {
    let running = read(&s.nodes)?.iter().filter(|n| n.is_running()).count();
    let mut leaders: BTreeMap<&str, usize> = BTreeMap::new();
    let mut total = 0;
    for q in read(&s.queues)?.iter().filter(|q| q.kind == "quorum") {
        if let Some(leader) = q.leader.as_deref().filter(|l| !l.is_empty()) {
            *leaders.entry(leader).or_default() += 1;
            total += 1;
        }
    }
    if running < 2 || total < 2 * running {
        return Ok(vec![]);
    }
    // More than twice a fair share; with two nodes, more than three quarters.
    let limit = (2.0 / running as f64).min(0.75);
    Ok(leaders
        .into_iter()
        .filter(|(_, count)| *count as f64 / total as f64 > limit)
        .map(|(node, count)| {
            rule.finding(
                Object::new(Kind::Node, node),
                format!("leads {count} of {total} quorum queues on {running} running nodes"),
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use crate::audit::rules::testing::*;

    #[test]
    fn quorum_replicas_are_judged_against_the_nodes_running() {
        let mut s = planted();
        s.queues = Ok(vec![
            serde_json::from_value(serde_json::json!({
                "name": "qq", "vhost": "/", "type": "quorum", "durable": true,
                "members": ["a"], "online": ["a"], "leader": "a"
            }))
            .unwrap(),
        ]);
        s.nodes = Ok(vec![node("a", true)]);
        assert!(run("Q004", &s).unwrap().is_empty(), "one node, one replica");
        s.nodes = Ok(vec![node("a", true), node("b", true), node("c", true)]);
        assert_eq!(run("Q004", &s).unwrap().len(), 1);
    }

    #[test]
    fn piled_leaders_are_found_and_a_balanced_cluster_is_silent() {
        let quorum = |name: &str, leader: &str| {
            serde_json::from_value::<crate::audit::snapshot::Queue>(serde_json::json!({
                "name": name, "vhost": "/", "type": "quorum", "leader": leader,
                "members": ["a", "b", "c"], "online": ["a", "b", "c"]
            }))
            .unwrap()
        };
        let mut s = planted();
        s.nodes = Ok(vec![node("a", true), node("b", true), node("c", true)]);
        let spread = ["a", "b", "c", "a", "b", "c"];
        s.queues = Ok(spread
            .iter()
            .enumerate()
            .map(|(i, l)| quorum(&format!("q{i}"), l))
            .collect());
        assert!(run("Q012", &s).unwrap().is_empty());
        let piled = ["a", "a", "a", "a", "a", "b"];
        s.queues = Ok(piled
            .iter()
            .enumerate()
            .map(|(i, l)| quorum(&format!("q{i}"), l))
            .collect());
        assert_eq!(names("Q012", &s), ["node a"]);
        // Too few queues to judge.
        s.queues = Ok(vec![quorum("q", "a"), quorum("r", "a")]);
        assert!(run("Q012", &s).unwrap().is_empty());
    }
}
