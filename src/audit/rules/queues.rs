//! Queue rules (Q...): durability, dead-lettering, bounds, consumers and upgrade blockers.
//! Each rule's catalogue entry stands right above its check.

use std::collections::{HashMap, HashSet};

use super::*;
use crate::audit::snapshot::Channel;

/// This file's rules, in catalogue order.
pub const RULES: &[Rule] = &[
    Q001, Q002, Q003, Q004, Q005, Q006, Q007, Q008, Q009, Q010, Q011, Q012, Q013,
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
    let mut findings = Vec::new();
    let mut unknown = Vec::new();
    for q in read(&s.queue_stats)?
        .iter()
        .filter(|q| !q.exclusive && !q.durable)
    {
        let object = Object::in_vhost(Kind::Queue, &q.vhost, &q.name);
        match q.messages {
            Some(0) => {}
            Some(n) => findings.push(rule.finding(
                object,
                format!("non-durable with {n} messages: lost on restart"),
            )),
            None => unknown.push(object.to_string()),
        }
    }
    unless_unknown(findings, &unknown, "their message count")
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

/// Queue settings come from arguments or from the policy and operator policy in effect; the
/// queue list doesn't carry them, so without both policy lists a setting given by policy would
/// look missing (or present settings would go unseen). The list doesn't name the operator
/// policy in effect: warren matches their patterns itself, and one it cannot evaluate leaves
/// the settings of the queues it may cover unknown, and the rule unchecked.
fn policies_read(s: &Snapshot) -> Result<(), NotChecked> {
    read(&s.policies)?;
    let operator = read(&s.operator_policies)?;
    let unknown = read(&s.queues)?
        .iter()
        .filter(|q| q.effective_policy_definition.is_null())
        .count();
    if unknown == 0 {
        return Ok(());
    }
    let patterns: Vec<String> = operator
        .iter()
        .filter(|p| p.regex().is_none())
        .map(|p| {
            format!(
                "operator policy `{}` in vhost `{}` (pattern `{}`)",
                p.name, p.vhost, p.pattern
            )
        })
        .collect();
    Err(not_checked(format!(
        "the operator policy in effect on {unknown} queue(s) is unknown: the queue list does \
         not name it, and warren cannot evaluate the pattern of {}",
        patterns.join(", ")
    )))
}

fn q003_lazy(rule: &Rule, s: &Snapshot) -> Outcome {
    policies_read(s)?;
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
    let mut unknown = Vec::new();
    for q in read(&s.queues)?.iter().filter(|q| q.kind == "quorum") {
        let object = || Object::in_vhost(Kind::Queue, &q.vhost, &q.name);
        // Lists read without statistics may leave the members out: unknown, not 0.
        let (Some(members), Some(online), Some(leader)) = (&q.members, &q.online, &q.leader) else {
            unknown.push(object().to_string());
            continue;
        };
        let (members, online) = (members.len(), online.len());
        if members < wanted {
            findings.push(rule.finding(
                object(),
                format!("{members} replica(s) with {running} nodes running"),
            ));
        }
        if online < members {
            findings.push(rule.finding(object(), format!("{online} of {members} members online")));
        }
        if leader.is_empty() {
            findings.push(rule.finding(object(), "no leader"));
        }
    }
    unless_unknown(
        findings,
        &unknown,
        "their members, online members and leader",
    )
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
    policies_read(s)?;
    let dead_letter_queues = dead_letter_queues(s)?;
    Ok(lasting_queues(s)?
        .filter(|q| q.kind != "stream" && q.setting("dead-letter-exchange").is_none())
        .filter(|q| !dead_letter_queues.contains(&(q.vhost.as_str(), q.name.as_str())))
        // A plugin's own queue (`x-internal-purpose`, such as federation's upstream queue):
        // its messages are only passed on, and it is the plugin's to declare.
        .filter(|q| !q.arguments.contains_key("x-internal-purpose"))
        .map(|q| {
            rule.finding(
                Object::in_vhost(Kind::Queue, &q.vhost, &q.name),
                "no dead-letter exchange (argument or policy), and no queue dead-letters into it",
            )
        })
        .collect())
}

/// The queues other queues dead-letter into (their DLX from argument or policy, its
/// bindings and the dead-letter routing key, or the default exchange): a dead-letter queue
/// is the end of the line and needs no DLX of its own. Without the bindings, any queue might
/// be one. Exchange types are only needed to judge a fixed dead-letter routing key; unread,
/// every binding of the DLX counts.
fn dead_letter_queues(s: &Snapshot) -> Result<HashSet<(&str, &str)>, NotChecked> {
    use crate::rabbit::dead_letter::{QueueBinding, Sender};
    let bindings: Vec<QueueBinding> = read(&s.bindings)
        .map_err(|e| {
            not_checked(format!(
                "bindings (which queues are dead-letter queues): {}",
                e.0
            ))
        })?
        .iter()
        .filter(|b| b.destination_type == "queue")
        .map(|b| QueueBinding {
            vhost: &b.vhost,
            exchange: &b.source,
            queue: &b.destination,
            key: Some(b.routing_key.as_str()),
        })
        .collect();
    let senders: Vec<Sender> = read(&s.queues)?
        .iter()
        .filter_map(|q| {
            Some(Sender {
                vhost: &q.vhost,
                queue: Some(&q.name),
                exchange: q.setting("dead-letter-exchange")?.as_str()?,
                routing_key: q.setting("dead-letter-routing-key").and_then(Value::as_str),
            })
        })
        .collect();
    let kinds: HashMap<(&str, &str), &str> = s
        .exchanges
        .as_ref()
        .map(|xs| {
            xs.iter()
                .filter_map(|x| Some(((x.vhost.as_str(), x.name.as_str()), x.kind.as_deref()?)))
                .collect()
        })
        .unwrap_or_default();
    Ok(crate::rabbit::dead_letter::dead_letter_queues(
        &senders,
        &bindings,
        |vhost, name| {
            kinds
                .get(&(vhost, name))
                .map(|k| crate::rabbit::routing::Kind::parse(k))
        },
    ))
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
    policies_read(s)?;
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

/// This file's tunable figures (`warren audit rules`, `--set`).
pub const THRESHOLDS: &[Threshold] = &[Q007_MESSAGES];

const Q007_MESSAGES: Threshold = Threshold {
    rule: "Q007",
    name: "messages",
    default: 1000.0,
    unit: "messages",
    meaning: "messages (ready and unacknowledged) in a queue that has no consumer",
};

const Q007: Rule = Rule {
    id: "Q007",
    severity: Severity::Medium,
    title: "a queue has a backlog and no consumers (1,000 messages or more by default)",
    fix: "start a consumer, or set a TTL / max-length if the messages are not needed",
    doc: "https://www.rabbitmq.com/docs/queues",
    scope: Scope::PerVhost,
    check: q007_backlog,
};

fn q007_backlog(rule: &Rule, s: &Snapshot) -> Outcome {
    let mut findings = Vec::new();
    let mut unknown = Vec::new();
    for q in read(&s.queue_stats)? {
        let object = Object::in_vhost(Kind::Queue, &q.vhost, &q.name);
        match (q.messages, q.consumers) {
            (_, Some(c)) if c > 0 => {}
            (Some(messages), Some(_)) => {
                let what = format!("{messages} messages and no consumer");
                findings.extend(rule.against(s, &Q007_MESSAGES, messages as f64, object, &what));
            }
            _ => unknown.push(object.to_string()),
        }
    }
    unless_unknown(findings, &unknown, "their messages and consumers")
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

/// A consumer with manual acks is unlimited only when neither its own prefetch
/// (`basic.qos(global=false)`, the consumer's `prefetch_count`) nor its channel's
/// (`basic.qos(global=true)`, the channel's `global_prefetch_count`) is set. A consumer whose
/// channel is not in the snapshot (closed between the two reads, or channels unreadable), or
/// whose channel's global prefetch isn't reported (RabbitMQ 4.0 on), is unknown: not a
/// finding, and the rule is not checked when nothing else is found. A consumer without a
/// channel (an in-node one, like a local shovel's) has no prefetch to judge.
fn q008_prefetch_zero(rule: &Rule, s: &Snapshot) -> Outcome {
    let channels: Result<HashMap<(&str, &str), &Channel>, NotChecked> =
        s.channels.as_ref().map_err(Clone::clone).map(|list| {
            list.iter()
                .map(|c| ((c.vhost.as_str(), c.name.as_str()), c))
                .collect()
        });
    // Where global QoS is denied (RabbitMQ 4.3's default), a channel's prefetch is applied
    // per consumer: a consumer with none of its own has none at all.
    let global_qos_denied = s.deprecated_features.as_ref().is_ok_and(|all| {
        all.iter()
            .any(|f| f.name == "global_qos" && f.state == "denied")
    });
    let mut findings = Vec::new();
    let (mut no_channel, mut no_global, mut no_figures) = (Vec::new(), Vec::new(), Vec::new());
    for c in read(&s.consumers)? {
        // A consumer without a channel runs inside the node (RabbitMQ 4.2+'s local shovel):
        // basic.qos doesn't apply to it, and it limits itself by its own credit
        // (`src-prefetch-count`), while the API reports its prefetch as 0.
        if c.channel_details.name.is_empty() {
            continue;
        }
        match (c.ack_required, c.prefetch_count) {
            (Some(true), Some(0)) => {}
            (Some(false), _) | (_, Some(1..)) => continue,
            _ => {
                no_figures.push(consumer_object(c));
                continue;
            }
        }
        if global_qos_denied {
            findings.push(rule.finding(
                consumer_object(c),
                format!(
                    "unlimited prefetch on queue `{}`: the consumer has none, and this broker \
                     denies global QoS (a channel's prefetch applies per consumer) (user `{}`, \
                     connection {})",
                    c.queue.name, c.channel_details.user, c.channel_details.connection_name
                ),
            ));
            continue;
        }
        let channel = channels
            .as_ref()
            .ok()
            .and_then(|m| m.get(&(c.queue.vhost.as_str(), c.channel_details.name.as_str())));
        match channel.map(|ch| ch.global_prefetch_count) {
            Some(Some(0)) => findings.push(rule.finding(
                consumer_object(c),
                format!(
                    "unlimited prefetch on queue `{}`: neither the consumer nor its channel \
                     has one (user `{}`, connection {})",
                    c.queue.name, c.channel_details.user, c.channel_details.connection_name
                ),
            )),
            Some(Some(_)) => {}
            Some(None) => no_global.push(consumer_object(c)),
            None => no_channel.push(consumer_object(c)),
        }
    }
    let channel_cause = match &channels {
        Err(e) => e.0.clone(),
        Ok(_) => "not in the channel list (closed since?)".into(),
    };
    let global_cause = "this broker doesn't report channels' global prefetch \
                        (global_prefetch_count, gone from RabbitMQ 4.0's channel statistics), so \
                        a limit by basic.qos(global=true) is unknown";
    let unknown = [
        (
            no_figures,
            "did not report ack_required and prefetch_count".to_string(),
        ),
        (no_global, global_cause.to_string()),
        (
            no_channel,
            format!("its channel is unknown: {channel_cause}"),
        ),
    ];
    if findings.is_empty() {
        let why: Vec<String> = unknown
            .iter()
            .filter(|(objects, _)| !objects.is_empty())
            .map(|(objects, cause)| {
                let names: Vec<String> = objects.iter().map(ToString::to_string).collect();
                format!("{}: {cause}", names.join(", "))
            })
            .collect();
        if !why.is_empty() {
            return Err(not_checked(why.join("; ")));
        }
    } else {
        // With findings the rule is checked; the consumers it could not judge are notes.
        for (objects, cause) in unknown {
            for object in objects {
                findings.push(rule.note(object, format!("prefetch not judged: {cause}")));
            }
        }
    }
    Ok(findings)
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
    let mut findings = Vec::new();
    let mut unknown = Vec::new();
    for c in read(&s.consumers)? {
        match c.ack_required {
            Some(false) => findings.push(rule.finding(
                consumer_object(c),
                format!(
                    "auto-ack on queue `{}`: a crash loses delivered messages (user `{}`)",
                    c.queue.name, c.channel_details.user
                ),
            )),
            Some(true) => {}
            None => unknown.push(consumer_object(c).to_string()),
        }
    }
    unless_unknown(findings, &unknown, "ack_required")
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
        for c in channels {
            let Some(global) = c.global_prefetch_count.filter(|n| *n > 0) else {
                continue;
            };
            findings.push(rule.finding(
                Object::in_vhost(Kind::Channel, &c.vhost, &c.name),
                format!("global prefetch {global} (per-channel qos is deprecated)"),
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
    use crate::rabbit::placement::{Placement, Replicated};
    let running: Vec<String> = read(&s.nodes)?
        .iter()
        .filter(|n| n.is_running())
        .map(|n| n.name.clone())
        .collect();
    let quorum: Vec<_> = read(&s.queues)?
        .iter()
        .filter(|q| q.kind == "quorum")
        .collect();
    // Left out of the list (statistics off): unknown, not leaderless.
    let unknown: Vec<String> = quorum
        .iter()
        .filter(|q| q.leader.is_none())
        .map(|q| format!("queue {}/{}", q.vhost, q.name))
        .collect();
    let placement = Placement::of(
        quorum.iter().map(|q| Replicated {
            leader: q.leader.as_deref(),
            members: q.members.as_deref().unwrap_or_default(),
        }),
        &running,
    );
    let findings = placement
        .piled(running.len())
        .into_iter()
        .map(|(node, count)| {
            rule.finding(
                Object::new(Kind::Node, node),
                format!(
                    "leads {count} of {} quorum queues on {} running nodes",
                    placement.led,
                    running.len()
                ),
            )
        })
        .collect();
    unless_unknown(findings, &unknown, "their leader")
}

const Q013: Rule = Rule {
    id: "Q013",
    severity: Severity::High,
    title: "a quorum queue drops messages at its delivery limit: it has no dead-letter target",
    fix: "give it a dead-letter exchange (a policy with dead-letter-exchange), or lift the \
          limit (x-delivery-limit -1, or a policy's delivery-limit)",
    doc: "https://www.rabbitmq.com/docs/quorum-queues#poison-message-handling",
    scope: Scope::PerVhost,
    check: q013_delivery_limit_without_dlx,
};

/// A message redelivered more times than its quorum queue's delivery limit is dead-lettered,
/// or dropped when the queue has no dead-letter exchange. RabbitMQ 4.0 made 20 the default
/// limit, so queues that kept every message on 3.x drop them after an upgrade.
fn q013_delivery_limit_without_dlx(rule: &Rule, s: &Snapshot) -> Outcome {
    policies_read(s)?;
    let major = read(&s.overview)?.major().ok_or_else(|| {
        not_checked("the broker's version is unknown, and with it the default delivery limit")
    })?;
    Ok(lasting_queues(s)?
        .filter(|q| q.setting("dead-letter-exchange").is_none())
        .filter_map(|q| {
            let limit = crate::broker::queue::delivery_limit(q, major)?;
            let from = if q.arguments.contains_key("x-delivery-limit") {
                "its x-delivery-limit argument".to_string()
            } else if q.setting("delivery-limit").is_some() {
                match (&q.policy, &q.operator_policy) {
                    (Some(p), _) => format!("policy `{p}`"),
                    (None, Some(p)) => format!("operator policy `{p}`"),
                    (None, None) => "a policy".into(),
                }
            } else {
                format!("RabbitMQ {major}.x's default")
            };
            Some(rule.finding(
                Object::in_vhost(Kind::Queue, &q.vhost, &q.name),
                format!(
                    "a message delivered more than {limit} times is dropped (limit from {from}), \
                     as the queue has no dead-letter exchange (argument or policy)"
                ),
            ))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use crate::audit::rules::testing::*;

    fn quorum(name: &str, arguments: serde_json::Value) -> crate::audit::snapshot::Queue {
        serde_json::from_value(serde_json::json!({
            "name": name, "vhost": "v", "type": "quorum", "durable": true,
            "arguments": arguments, "effective_policy_definition": {}
        }))
        .unwrap()
    }

    #[test]
    fn a_quorum_queue_without_a_dead_letter_target_drops_at_its_delivery_limit() {
        let mut s = planted();
        s.queues = Ok(vec![
            quorum("default", serde_json::json!({})),
            quorum("argument", serde_json::json!({"x-delivery-limit": 5})),
            quorum("unlimited", serde_json::json!({"x-delivery-limit": -1})),
            quorum("kept", serde_json::json!({"x-dead-letter-exchange": "dlx"})),
            serde_json::from_value(serde_json::json!({
                "name": "classic", "vhost": "v", "type": "classic", "durable": true,
                "effective_policy_definition": {}
            }))
            .unwrap(),
        ]);
        let messages = |s: &crate::audit::snapshot::Snapshot| -> Vec<String> {
            run("Q013", s)
                .unwrap()
                .iter()
                .map(|f| format!("{}: {}", f.object, f.message))
                .collect()
        };
        let mut overview = s.overview.clone().unwrap();
        overview.rabbitmq_version = "4.3.6".into();
        s.overview = Ok(overview.clone());
        assert_eq!(
            messages(&s),
            [
                "queue v/default: a message delivered more than 20 times is dropped (limit from \
                 RabbitMQ 4.x's default), as the queue has no dead-letter exchange (argument or policy)",
                "queue v/argument: a message delivered more than 5 times is dropped (limit from \
                 its x-delivery-limit argument), as the queue has no dead-letter exchange \
                 (argument or policy)",
            ]
        );
        // 3.x has no default limit: only the queue with its own.
        overview.rabbitmq_version = "3.10.8".into();
        s.overview = Ok(overview);
        assert_eq!(names("Q013", &s), ["queue v/argument"]);
    }

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

    /// Shapes of 3.10.8's `/api/channels` and `/api/consumers` (tests/audit_findings.rs
    /// plants the same on a real node).
    fn channel(name: &str, global_prefetch: u64) -> crate::audit::snapshot::Channel {
        serde_json::from_value(serde_json::json!({
            "name": name, "vhost": "v", "user": "app", "number": 1,
            "prefetch_count": 0, "global_prefetch_count": global_prefetch
        }))
        .unwrap()
    }

    fn consumer(tag: &str, channel: &str) -> crate::audit::snapshot::Consumer {
        serde_json::from_value(serde_json::json!({
            "consumer_tag": tag, "ack_required": true, "prefetch_count": 0,
            "queue": {"name": "work", "vhost": "v"},
            "channel_details": {"name": channel, "connection_name": "c", "user": "app", "number": 1}
        }))
        .unwrap()
    }

    #[test]
    fn a_channels_global_prefetch_limits_its_consumers() {
        let mut s = planted();
        s.channels = Ok(vec![channel("c (1)", 10), channel("c (2)", 0)]);
        s.consumers = Ok(vec![
            consumer("global-qos", "c (1)"),
            consumer("no-prefetch", "c (2)"),
        ]);
        assert_eq!(names("Q008", &s), ["consumer v/work (no-prefetch)"]);
        // A consumer whose channel is not in the snapshot is unknown: not a finding, and
        // with nothing else found the rule is not checked, naming it.
        s.consumers = Ok(vec![
            consumer("global-qos", "c (1)"),
            consumer("gone", "c (9)"),
        ]);
        let why = run("Q008", &s).unwrap_err();
        assert!(why.0.contains("consumer v/work (gone)"), "{}", why.0);
        // Beside a finding, the consumer it could not judge is a note, not left out.
        s.consumers = Ok(vec![
            consumer("no-prefetch", "c (2)"),
            consumer("gone", "c (9)"),
        ]);
        let found = run("Q008", &s).unwrap();
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].severity, Severity::Medium);
        assert_eq!(found[1].severity, Severity::Info);
        assert_eq!(found[1].object.to_string(), "consumer v/work (gone)");
        assert!(
            found[1].message.contains("not in the channel list"),
            "{}",
            found[1].message
        );
        // RabbitMQ 4.0's channels have no global_prefetch_count: unknown, not 0.
        let mut v4 = channel("c (2)", 0);
        v4.global_prefetch_count = None;
        s.channels = Ok(vec![v4]);
        s.consumers = Ok(vec![consumer("no-prefetch", "c (2)")]);
        let why = run("Q008", &s).unwrap_err();
        assert!(why.0.contains("global_prefetch_count"), "{}", why.0);
        // 4.3 denies global QoS: the channel's prefetch would apply per consumer, so a
        // consumer without its own is unlimited, whatever its channel reports.
        s.deprecated_features = Ok(vec![
            serde_json::from_value(serde_json::json!({
                "name": "global_qos", "state": "denied", "deprecation_phase": "denied_by_default"
            }))
            .unwrap(),
        ]);
        assert_eq!(names("Q008", &s), ["consumer v/work (no-prefetch)"]);
        s.deprecated_features = Err(NotChecked("before 3.13".into()));
        s.channels = Err(NotChecked("user `x` may not read /api/channels".into()));
        s.consumers = Ok(vec![consumer("no-prefetch", "c (2)")]);
        let why = run("Q008", &s).unwrap_err();
        assert!(why.0.contains("may not read /api/channels"), "{}", why.0);
    }

    #[test]
    fn dead_letter_queues_need_no_dead_letter_exchange() {
        let queue = |name: &str, arguments: Value| {
            serde_json::from_value::<crate::audit::snapshot::Queue>(serde_json::json!({
                "name": name, "vhost": "v", "type": "classic", "durable": true,
                "arguments": arguments, "effective_policy_definition": {}
            }))
            .unwrap()
        };
        let binding = |queue: &str, key: &str| {
            serde_json::from_value::<crate::audit::snapshot::Binding>(serde_json::json!({
                "vhost": "v", "source": "orders.dlx", "destination": queue,
                "destination_type": "queue", "routing_key": key, "arguments": {}
            }))
            .unwrap()
        };
        let mut s = planted();
        s.queues = Ok(vec![
            queue(
                "orders",
                serde_json::json!({"x-dead-letter-exchange": "orders.dlx", "x-dead-letter-routing-key": "dead"}),
            ),
            queue(
                "retry",
                serde_json::json!({"x-dead-letter-exchange": "", "x-dead-letter-routing-key": "parking"}),
            ),
            queue("orders.dead", serde_json::json!({})),
            queue("orders.other", serde_json::json!({})),
            queue("parking", serde_json::json!({})),
            // As the federation plugin declares its upstream queue.
            queue(
                "federation: orders -> rabbit@b",
                serde_json::json!({"x-internal-purpose": "federation"}),
            ),
        ]);
        s.exchanges = Ok(vec![
            serde_json::from_value(
                serde_json::json!({"vhost": "v", "name": "orders.dlx", "type": "direct"}),
            )
            .unwrap(),
        ]);
        s.bindings = Ok(vec![
            binding("orders.dead", "dead"),
            binding("orders.other", "other"),
        ]);
        assert_eq!(names("Q005", &s), ["queue v/orders.other"]);
        // Exchange types unknown: a fixed key can't be judged, every binding of the DLX counts.
        s.exchanges = Err(NotChecked("not read".into()));
        assert!(names("Q005", &s).is_empty());
        // Without the bindings, any queue might be a dead-letter queue.
        s.bindings = Err(NotChecked("user `x` may not read /api/bindings".into()));
        assert!(run("Q005", &s).unwrap_err().0.contains("/api/bindings"));
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
