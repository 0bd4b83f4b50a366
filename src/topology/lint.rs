//! Offline checks of a topology: broken references, invalid combinations, and the reliability
//! and security advice of RabbitMQ's docs. Each rule has an id and a severity. Pure.

use std::collections::{BTreeSet, HashSet};

use serde::Serialize;
use serde_json::Value;

use super::defs::is_builtin_exchange;
use super::diff::POLICY_CARRIED;
use super::model::{Arguments, DestinationType, Origin, Policy, Queue, QueueType, Topology};
use crate::output::{self, Render};
use crate::rabbit::dead_letter::{QueueBinding, Sender};
use crate::rabbit::policy;
use crate::rabbit::routing::Kind;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One rule: its id, severity and what it checks.
pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    pub title: &'static str,
}

pub const RULES: [Rule; 19] = [
    Rule {
        id: "binding-unknown-queue",
        severity: Severity::Error,
        title: "a binding's destination queue is not declared",
    },
    Rule {
        id: "binding-unknown-exchange",
        severity: Severity::Error,
        title: "a binding's source or destination exchange is not declared",
    },
    Rule {
        id: "dlx-unknown-exchange",
        severity: Severity::Error,
        title: "a dead-letter exchange is not declared",
    },
    Rule {
        id: "alternate-exchange-unknown",
        severity: Severity::Error,
        title: "an alternate exchange is not declared",
    },
    Rule {
        id: "quorum-invalid-flags",
        severity: Severity::Error,
        title: "a quorum queue or stream that is exclusive, auto-delete or not durable",
    },
    Rule {
        id: "exclusive-queue",
        severity: Severity::Error,
        title: "an exclusive queue belongs to one connection and can't be declared here",
    },
    Rule {
        id: "argument-wrong-queue-type",
        severity: Severity::Error,
        title: "an argument that the queue's type does not support (e.g. stream arguments on a classic queue)",
    },
    Rule {
        id: "refused-by-target",
        severity: Severity::Error,
        title: "a setting the target RabbitMQ version refuses (--target-version; plan and apply: the broker's)",
    },
    Rule {
        id: "non-durable-queue",
        severity: Severity::Warning,
        title: "a non-durable queue loses its messages on a broker restart",
    },
    Rule {
        id: "no-dead-letter",
        severity: Severity::Warning,
        title: "a queue with no dead-letter exchange: rejected and expired messages are dropped",
    },
    Rule {
        id: "unbounded-queue",
        severity: Severity::Warning,
        title: "a queue with no length or TTL bound can grow until the broker blocks publishers",
    },
    Rule {
        id: "ha-mirroring-policy",
        severity: Severity::Warning,
        title: "an ha-* policy: classic mirroring is deprecated and removed in RabbitMQ 4.0; use quorum queues",
    },
    Rule {
        id: "lazy-queue-mode",
        severity: Severity::Warning,
        title: "x-queue-mode lazy: a no-op since RabbitMQ 3.12 (classic queues v2 page to disk)",
    },
    Rule {
        id: "deprecated-on-target",
        severity: Severity::Warning,
        title: "a setting the target RabbitMQ version still accepts, but deprecates or ignores",
    },
    Rule {
        id: "quorum-drops-at-limit",
        severity: Severity::Warning,
        title: "a quorum queue without a dead-letter exchange drops a message past its delivery limit (20 by default from 4.0)",
    },
    Rule {
        id: "wildcard-permissions",
        severity: Severity::Warning,
        title: "a `.*` permission grants everything in the vhost",
    },
    Rule {
        id: "admin-app-user",
        severity: Severity::Warning,
        title: "a user tagged administrator used as an application user",
    },
    Rule {
        id: "arguments-should-be-policies",
        severity: Severity::Info,
        title: "queue arguments a policy could carry: policies can change later, arguments cannot",
    },
    Rule {
        id: "policy-pattern-invalid",
        severity: Severity::Info,
        title: "a policy pattern lint cannot evaluate; policy-based checks ignore it",
    },
];

fn rule(id: &str) -> &'static Rule {
    RULES.iter().find(|r| r.id == id).unwrap_or(&RULES[0])
}

#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub location: String,
    pub object: String,
    pub message: String,
}

#[derive(Clone, Debug, Serialize, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub errors: usize,
    pub warnings: usize,
}

impl Report {
    fn push(&mut self, id: &str, origin: &Origin, object: String, message: String) {
        let r = rule(id);
        self.findings.push(Finding {
            rule: r.id,
            severity: r.severity,
            location: origin.to_string(),
            object,
            message,
        });
    }
}

const STREAM_ONLY: [&str; 4] = [
    "x-max-age",
    "x-stream-max-segment-size-bytes",
    "x-stream-filter-size-bytes",
    "x-initial-cluster-size",
];
const NOT_ON_QUORUM: [&str; 2] = ["x-max-priority", "x-queue-mode"];
const QUORUM_ONLY: [&str; 3] = [
    "x-delivery-limit",
    "x-quorum-initial-group-size",
    "x-dead-letter-strategy",
];

/// The definition keys in effect for a queue: the matching policy of the highest priority,
/// plus the operator policy's (the broker applies one of each), by the one matcher.
fn effective_keys(
    q: &Queue,
    kind: QueueType,
    policies: &policy::Compiled,
    operator: &policy::Compiled,
) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for set in [policies, operator] {
        let (found, _) = set.matching(&q.vhost, &q.name, policy::Target::Queue(kind.as_str()));
        if let Some(p) = found.first() {
            keys.extend(p.definition.keys().cloned());
        }
    }
    keys
}

/// The queues other queues (or policies) dead-letter into, by their DLX's bindings or the
/// default exchange.
fn dead_letter_queues(t: &Topology) -> HashSet<(&str, &str)> {
    let queues = t.queues.iter().filter_map(|q| {
        Some(Sender {
            vhost: &q.vhost,
            queue: Some(&q.name),
            exchange: q.dead_letter_exchange.as_deref()?,
            routing_key: q.dead_letter_routing_key.as_deref(),
        })
    });
    let policies = t
        .policies
        .iter()
        .chain(&t.operator_policies)
        .filter_map(|p| {
            Some(Sender {
                vhost: &p.vhost,
                queue: None,
                exchange: p.definition.get("dead-letter-exchange")?.as_str()?,
                routing_key: p
                    .definition
                    .get("dead-letter-routing-key")
                    .and_then(Value::as_str),
            })
        });
    let senders: Vec<Sender> = queues.chain(policies).collect();
    let bindings: Vec<QueueBinding> = t
        .bindings
        .iter()
        .filter(|b| b.destination_type == DestinationType::Queue)
        .map(|b| QueueBinding {
            vhost: &b.vhost,
            exchange: &b.source,
            queue: &b.destination,
            key: Some(&b.routing_key),
        })
        .collect();
    let kind = |vhost: &str, name: &str| {
        t.exchanges
            .iter()
            .find(|e| e.vhost == vhost && e.name == name)
            .map(|e| Kind::parse(&e.kind))
    };
    crate::rabbit::dead_letter::dead_letter_queues(&senders, &bindings, kind)
}

/// A RabbitMQ release series, as (major, minor).
pub type Version = (u32, u32);

/// The series `topology lint` checks against unless told otherwise: the current one.
pub const CURRENT: Version = (4, 3);

/// Lint `t` for a broker of version `target` (`None`: unknown, and the version-specific
/// rules, `refused-by-target`, `deprecated-on-target` and the default delivery limit, stay
/// silent).
pub fn lint(t: &Topology, target: Option<Version>) -> Report {
    let mut r = Report::default();
    let policies = compile_all(&t.policies, &mut r);
    let operator = compile_all(&t.operator_policies, &mut r);
    let cx = Context {
        t,
        target,
        exchanges: (t.exchanges.iter())
            .map(|e| (e.vhost.as_str(), e.name.as_str()))
            .collect(),
        queues: (t.queues.iter())
            .map(|q| (q.vhost.as_str(), q.name.as_str()))
            .collect(),
        policies,
        operator,
        dead_letter_queues: dead_letter_queues(t),
    };
    binding_rules(&cx, &mut r);
    exchange_rules(&cx, &mut r);
    policy_rules(&cx, &mut r);
    for q in &t.queues {
        queue_rules(&cx, q, &mut r);
    }
    permission_rules(t, &mut r);
    user_rules(t, &mut r);

    r.findings.sort_by_key(|f| f.severity);
    r.errors = r
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    r.warnings = r
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    r
}

/// What the rules read besides the object they check.
struct Context<'a> {
    t: &'a Topology,
    target: Option<Version>,
    exchanges: HashSet<(&'a str, &'a str)>,
    queues: HashSet<(&'a str, &'a str)>,
    policies: policy::Compiled,
    operator: policy::Compiled,
    /// Dead-letter queues are the end of the line: they need no DLX of their own.
    dead_letter_queues: HashSet<(&'a str, &'a str)>,
}

impl Context<'_> {
    fn at_least(&self, v: Version) -> bool {
        self.target.is_some_and(|t| t >= v)
    }

    fn exchange_known(&self, vhost: &str, name: &str) -> bool {
        is_builtin_exchange(name) || self.exchanges.contains(&(vhost, name))
    }
}

fn binding_rules(cx: &Context, r: &mut Report) {
    for b in &cx.t.bindings {
        let what = format!(
            "binding {} -> {} in vhost {}",
            b.source, b.destination, b.vhost
        );
        if !cx.exchange_known(&b.vhost, &b.source) {
            r.push(
                "binding-unknown-exchange",
                &b.origin,
                what.clone(),
                format!("source exchange `{}` is not declared", b.source),
            );
        }
        match b.destination_type {
            DestinationType::Queue
                if !cx
                    .queues
                    .contains(&(b.vhost.as_str(), b.destination.as_str())) =>
            {
                r.push(
                    "binding-unknown-queue",
                    &b.origin,
                    what,
                    format!("queue `{}` is not declared", b.destination),
                );
            }
            DestinationType::Exchange if !cx.exchange_known(&b.vhost, &b.destination) => {
                r.push(
                    "binding-unknown-exchange",
                    &b.origin,
                    what,
                    format!("destination exchange `{}` is not declared", b.destination),
                );
            }
            _ => {}
        }
    }
}

fn exchange_rules(cx: &Context, r: &mut Report) {
    for e in &cx.t.exchanges {
        if let Some(ae) = &e.alternate_exchange
            && !cx.exchange_known(&e.vhost, ae)
        {
            r.push(
                "alternate-exchange-unknown",
                &e.origin,
                format!("exchange {} in vhost {}", e.name, e.vhost),
                format!("alternate exchange `{ae}` is not declared"),
            );
        }
    }
}

/// Policies and operator policies.
fn policy_rules(cx: &Context, r: &mut Report) {
    for p in cx.t.policies.iter().chain(&cx.t.operator_policies) {
        let what = format!("policy {} in vhost {}", p.name, p.vhost);
        if let Some(Value::String(d)) = p.definition.get("dead-letter-exchange")
            && !cx.exchange_known(&p.vhost, d)
        {
            r.push(
                "dlx-unknown-exchange",
                &p.origin,
                what.clone(),
                format!("dead-letter exchange `{d}` is not declared"),
            );
        }
        if p.definition.contains_key("queue-master-locator") {
            if cx.at_least((4, 3)) {
                r.push("refused-by-target", &p.origin, what.clone(), "RabbitMQ 4.3 refuses `queue-master-locator` (the deprecated feature queue_master_locator is denied): use `queue-leader-locator`".into());
            } else if cx.at_least((4, 0)) {
                r.push("deprecated-on-target", &p.origin, what.clone(), "`queue-master-locator` is deprecated (queue_master_locator) and refused from RabbitMQ 4.3: use `queue-leader-locator`".into());
            }
        }
        if p.definition.get("queue-version").and_then(Value::as_u64) == Some(1)
            && cx.at_least((3, 13))
        {
            r.push("deprecated-on-target", &p.origin, what.clone(), "classic queue version 1 is deprecated from RabbitMQ 3.13; 4.3 accepts the policy but runs version 2: remove `queue-version`".into());
        }
        if p.definition.keys().any(|k| k.starts_with("ha-")) {
            r.push("ha-mirroring-policy", &p.origin, what.clone(), "classic queue mirroring (ha-*) is deprecated and gone in RabbitMQ 4.0: use quorum queues".into());
        }
        if p.definition.get("queue-mode").and_then(Value::as_str) == Some("lazy") {
            r.push(
                "lazy-queue-mode",
                &p.origin,
                what,
                "queue-mode lazy does nothing since RabbitMQ 3.12: remove it".into(),
            );
        }
    }
}

/// A queue as its rules see it: its arguments (typed fields folded in), its type, and the
/// definition keys its policies put in effect.
struct QueueFacts<'a> {
    q: &'a Queue,
    what: String,
    args: Arguments,
    kind: QueueType,
    effective: BTreeSet<String>,
}

impl QueueFacts<'_> {
    /// Whether the queue sets `arg` or a policy in effect sets `policy_key`.
    fn has(&self, arg: &str, policy_key: &str) -> bool {
        self.args.contains_key(arg) || self.effective.contains(policy_key)
    }

    fn push(&self, r: &mut Report, id: &str, message: String) {
        r.push(id, &self.q.origin, self.what.clone(), message);
    }
}

fn queue_rules(cx: &Context, q: &Queue, r: &mut Report) {
    // An untyped queue gets its vhost's default type (checked offline: the declared one).
    let kind = cx.t.queue_type(q);
    let f = QueueFacts {
        q,
        what: format!("queue {} in vhost {}", q.name, q.vhost),
        args: q.all_arguments(),
        kind,
        effective: effective_keys(q, kind, &cx.policies, &cx.operator),
    };
    if let Some(d) = &q.dead_letter_exchange
        && !d.is_empty()
        && !cx.exchange_known(&q.vhost, d)
    {
        f.push(
            r,
            "dlx-unknown-exchange",
            format!("dead-letter exchange `{d}` is not declared"),
        );
    }
    if kind != QueueType::Classic && (q.exclusive || q.auto_delete || !q.durable) {
        f.push(
            r,
            "quorum-invalid-flags",
            format!(
                "a {} queue must be durable, and can be neither exclusive nor auto-delete",
                kind.as_str()
            ),
        );
    } else if q.exclusive {
        f.push(
            r,
            "exclusive-queue",
            "exclusive queues are declared by the connection that owns them, not by a topology"
                .into(),
        );
    }
    queue_argument_types(cx, &f, r);
    queue_deprecations(cx, &f, r);
    queue_reliability(cx, &f, r);
}

/// Arguments the queue's type does not support.
fn queue_argument_types(cx: &Context, f: &QueueFacts, r: &mut Report) {
    let kind = f.kind;
    for key in f.args.keys() {
        let wrong = match kind {
            QueueType::Classic => {
                STREAM_ONLY.contains(&key.as_str()) || QUORUM_ONLY.contains(&key.as_str())
            }
            QueueType::Quorum => {
                NOT_ON_QUORUM.contains(&key.as_str())
                    || (STREAM_ONLY.contains(&key.as_str()) && key != "x-initial-cluster-size")
            }
            QueueType::Stream => {
                NOT_ON_QUORUM.contains(&key.as_str()) || QUORUM_ONLY.contains(&key.as_str())
            }
        };
        if wrong {
            let mut message = format!("`{key}` is not supported by {} queues", kind.as_str());
            if kind == QueueType::Quorum && key == "x-max-priority" {
                // Quorum queues take message priorities without the argument
                // (rabbit_fifo: 4.0 has two levels; 4.3 has 0..=31, strict).
                message.push_str(if cx.at_least((4, 3)) {
                    ": on RabbitMQ 4.3 a quorum queue honours message priorities 0 to 31 \
                     strictly without it (a message without one counts as 4)"
                } else if cx.at_least((4, 0)) {
                    ": on RabbitMQ 4.0 to 4.2 a quorum queue has two priority levels without \
                     it (a message priority above 4 is high, the rest normal)"
                } else {
                    ""
                });
            }
            f.push(r, "argument-wrong-queue-type", message);
        }
    }
}

/// Transient queues, classic queue version 1 and the master locator, by target version.
fn queue_deprecations(cx: &Context, f: &QueueFacts, r: &mut Report) {
    if f.kind == QueueType::Classic && !f.q.durable {
        f.push(r, "non-durable-queue", "set `durable: true` (the default): a transient queue and its messages vanish on restart".into());
        if !f.q.exclusive && cx.at_least((4, 0)) {
            f.push(r, "deprecated-on-target", "a transient non-exclusive queue is a deprecated feature (transient_nonexcl_queues): RabbitMQ 4.x still declares it, a later version won't".into());
        }
    }
    if f.args.get("x-queue-version").and_then(Value::as_u64) == Some(1) {
        if cx.at_least((4, 3)) {
            f.push(r, "refused-by-target", "RabbitMQ 4.3 refuses `x-queue-version: 1` (unsupported queue version): remove it, classic queues are version 2".into());
        } else if cx.at_least((3, 13)) {
            f.push(r, "deprecated-on-target", "classic queue version 1 is deprecated from RabbitMQ 3.13 and refused from 4.3: remove `x-queue-version`".into());
        }
    }
    if f.args.contains_key("x-queue-master-locator") {
        if cx.at_least((4, 3)) {
            f.push(r, "refused-by-target", "RabbitMQ 4.3 refuses `x-queue-master-locator` (the deprecated feature queue_master_locator is denied): use `x-queue-leader-locator`".into());
        } else if cx.at_least((4, 0)) {
            f.push(r, "deprecated-on-target", "`x-queue-master-locator` is deprecated (queue_master_locator) and refused from RabbitMQ 4.3: use `x-queue-leader-locator`".into());
        }
    }
}

/// Where a queue's messages go when rejected, expired or redelivered too often, and whether
/// it is bounded.
fn queue_reliability(cx: &Context, f: &QueueFacts, r: &mut Report) {
    let q = f.q;
    let dead_letter_target = (cx.dead_letter_queues).contains(&(q.vhost.as_str(), q.name.as_str()));
    let dead_lettered = f.has("x-dead-letter-exchange", "dead-letter-exchange");
    if f.kind != QueueType::Stream && !dead_letter_target && !dead_lettered {
        f.push(r, "no-dead-letter", "declare `dead_letter_exchange` (better: in a policy) so rejected and expired messages are kept".into());
    }
    if f.kind == QueueType::Quorum && !dead_lettered {
        let own = f.args.get("x-delivery-limit").and_then(Value::as_i64);
        let limit = match own {
            Some(n) => (n >= 0).then(|| format!("its x-delivery-limit of {n}")),
            None if f.effective.contains("delivery-limit") => {
                Some("its policy's delivery-limit".to_string())
            }
            None if cx.at_least((4, 0)) => {
                Some("the default delivery limit of 20 (RabbitMQ 4.0 and later)".to_string())
            }
            None => None,
        };
        if let Some(limit) = limit {
            f.push(r, "quorum-drops-at-limit", format!("a message redelivered past {limit} is dropped: give the queue a dead-letter exchange (better: in a policy), or lift the limit"));
        }
    }
    let bounded = [
        ("x-max-length", "max-length"),
        ("x-max-length-bytes", "max-length-bytes"),
        ("x-message-ttl", "message-ttl"),
        ("x-expires", "expires"),
    ]
    .iter()
    .any(|(a, p)| f.has(a, p));
    if f.kind != QueueType::Stream && !bounded {
        f.push(
            r,
            "unbounded-queue",
            "bound the queue with max-length, max-length-bytes or message-ttl (in a policy)".into(),
        );
    }
    if f.args.get("x-queue-mode").and_then(Value::as_str) == Some("lazy") {
        f.push(
            r,
            "lazy-queue-mode",
            "x-queue-mode lazy does nothing since RabbitMQ 3.12: remove it".into(),
        );
    }
    let carried: Vec<&str> = POLICY_CARRIED
        .iter()
        .filter(|(a, _)| f.args.contains_key(*a))
        .map(|(_, p)| *p)
        .collect();
    if !carried.is_empty() {
        f.push(
            r,
            "arguments-should-be-policies",
            format!(
                "{} could be set by a policy, which can change later without recreating the queue",
                carried.join(", ")
            ),
        );
    }
}

fn permission_rules(t: &Topology, r: &mut Report) {
    for p in &t.permissions {
        if [&p.configure, &p.write, &p.read]
            .iter()
            .any(|s| s.as_str() == ".*")
        {
            r.push(
                "wildcard-permissions",
                &p.origin,
                format!("permission of {} in vhost {}", p.user, p.vhost),
                "grant only the resources the user needs, e.g. `^orders\\.`".into(),
            );
        }
    }
}

fn user_rules(t: &Topology, r: &mut Report) {
    for u in &t.users {
        let used = t.permissions.iter().any(|p| p.user == u.name);
        if used && u.tags.iter().any(|t| t == "administrator") {
            r.push("admin-app-user", &u.origin, format!("user {}", u.name), "an application user should not be an administrator: give it its own user without tags".into());
        }
    }
}

/// Findings that the broker would refuse or silently get wrong (an exclusive queue, a quorum
/// queue that is auto-delete, arguments of another queue type): plan and apply stop on these.
pub fn invalid_for_apply(t: &Topology, broker: Option<Version>) -> Vec<String> {
    lint(t, broker)
        .findings
        .into_iter()
        .filter(|f| {
            matches!(
                f.rule,
                "exclusive-queue"
                    | "quorum-invalid-flags"
                    | "argument-wrong-queue-type"
                    | "refused-by-target"
            )
        })
        .map(|f| format!("{}: {}: {} [{}]", f.location, f.object, f.message, f.rule))
        .collect()
}

/// The policies as the one matcher takes them; a pattern that can't be compiled is reported
/// here (and matches nothing there).
fn compile_all(list: &[Policy], r: &mut Report) -> policy::Compiled {
    for p in list {
        if let Err(e) = regex_lite::Regex::new(&p.pattern) {
            r.push(
                "policy-pattern-invalid",
                &p.origin,
                format!("policy {} in vhost {}", p.name, p.vhost),
                format!("pattern `{}`: {e}", p.pattern),
            );
        }
    }
    policy::Compiled::new(list.iter().map(|p| policy::Policy {
        vhost: p.vhost.clone(),
        name: p.name.clone(),
        pattern: p.pattern.clone(),
        apply_to: p.apply_to.as_str().into(),
        priority: p.priority,
        definition: p.definition.clone().into_iter().collect(),
    }))
}

impl Render for Report {
    fn human(&self) -> String {
        let mut out = String::new();
        if !self.findings.is_empty() {
            let mut t = output::table(["severity", "rule", "where", "object", "message"]);
            for f in &self.findings {
                t.add_row([
                    f.severity.as_str(),
                    f.rule,
                    &f.location,
                    &f.object,
                    &f.message,
                ]);
            }
            out.push_str(&format!("{t}\n"));
        }
        let infos = self.findings.len() - self.errors - self.warnings;
        out.push_str(&format!(
            "{} error(s), {} warning(s), {} info.\n",
            self.errors, self.warnings, infos
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::load;

    fn lint_text(text: &str) -> Report {
        lint(
            &load::merge(vec![load::parse("t.yaml", text, &|_| None).unwrap()]).unwrap(),
            Some(CURRENT),
        )
    }

    #[test]
    fn every_rule_fires_on_its_fixture() {
        // Hand-written fixture: one object per rule.
        let r = lint_text(include_str!(
            "../../tests/fixtures/topology/lint-all-rules.yaml"
        ));
        for rule in &RULES {
            assert!(
                r.findings.iter().any(|f| f.rule == rule.id),
                "rule {} did not fire: {:#?}",
                rule.id,
                r.findings
            );
        }
        assert_eq!(
            r.errors,
            r.findings
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .count()
        );
        let f = r
            .findings
            .iter()
            .find(|f| f.rule == "binding-unknown-queue")
            .unwrap();
        assert_eq!(f.location, "t.yaml:44:5");
    }

    #[test]
    fn the_target_version_decides_what_is_refused_deprecated_or_dropped() {
        let text = "queues:\n  - {name: v1, vhost: v, arguments: {x-queue-version: 1}}\n  \
                    - {name: loc, vhost: v, arguments: {x-queue-master-locator: min-masters}}\n  \
                    - {name: qq, vhost: v, type: quorum}\n  \
                    - {name: qq5, vhost: v, type: quorum, arguments: {x-delivery-limit: 5}}\n";
        let t = load::merge(vec![load::parse("t.yaml", text, &|_| None).unwrap()]).unwrap();
        let rules = |target: Option<Version>| -> Vec<(String, &'static str)> {
            let mut found: Vec<(String, &'static str)> = lint(&t, target)
                .findings
                .into_iter()
                .filter(|f| {
                    matches!(
                        f.rule,
                        "refused-by-target" | "deprecated-on-target" | "quorum-drops-at-limit"
                    )
                })
                .map(|f| (f.object, f.rule))
                .collect();
            found.sort();
            found
        };
        let q = |name: &str, rule: &'static str| (format!("queue {name} in vhost v"), rule);
        assert_eq!(
            rules(Some((4, 3))),
            [
                q("loc", "refused-by-target"),
                q("qq", "quorum-drops-at-limit"),
                q("qq5", "quorum-drops-at-limit"),
                q("v1", "refused-by-target"),
            ]
        );
        assert_eq!(
            rules(Some((4, 0))),
            [
                q("loc", "deprecated-on-target"),
                q("qq", "quorum-drops-at-limit"),
                q("qq5", "quorum-drops-at-limit"),
                q("v1", "deprecated-on-target"),
            ]
        );
        // 3.10: no default delivery limit, nothing deprecated yet.
        assert_eq!(rules(Some((3, 10))), [q("qq5", "quorum-drops-at-limit")]);
        assert_eq!(rules(None), [q("qq5", "quorum-drops-at-limit")]);
        assert_eq!(invalid_for_apply(&t, Some((4, 3))).len(), 2);
        assert!(invalid_for_apply(&t, Some((4, 0))).is_empty());
    }

    #[test]
    fn quorum_priorities_are_told_by_the_target_version() {
        let text =
            "queues:\n  - {name: qq, vhost: v, type: quorum, arguments: {x-max-priority: 10}}\n";
        let t = load::merge(vec![load::parse("t.yaml", text, &|_| None).unwrap()]).unwrap();
        let message = |target: Option<Version>| {
            lint(&t, target)
                .findings
                .into_iter()
                .find(|f| f.rule == "argument-wrong-queue-type")
                .map(|f| f.message)
                .unwrap_or_default()
        };
        let base = "`x-max-priority` is not supported by quorum queues";
        assert_eq!(message(Some((3, 10))), base);
        assert_eq!(
            message(Some((4, 0))),
            format!(
                "{base}: on RabbitMQ 4.0 to 4.2 a quorum queue has two priority levels without it \
                 (a message priority above 4 is high, the rest normal)"
            )
        );
        assert_eq!(
            message(Some((4, 3))),
            format!(
                "{base}: on RabbitMQ 4.3 a quorum queue honours message priorities 0 to 31 \
                 strictly without it (a message without one counts as 4)"
            )
        );
    }

    #[test]
    fn the_example_has_no_errors() {
        let text = include_str!("../../topology.example.yaml");
        let t = load::merge(vec![
            load::parse("topology.example.yaml", text, &|_| None).unwrap(),
        ])
        .unwrap();
        let r = lint(&t, Some(CURRENT));
        assert_eq!(r.errors, 0, "{:#?}", r.findings);
    }

    #[test]
    fn a_policy_bound_and_dead_letter_target_satisfy_the_advice() {
        let r = lint_text(
            "exchanges:\n  - {name: dlx, type: fanout}\nqueues:\n  - {name: work, dead_letter_exchange: dlx}\n  - {name: parked}\n\
             bindings:\n  - {source: dlx, destination: parked}\n\
             policies:\n  - {name: bounds, pattern: '.*', definition: {max-length: 10}}\n",
        );
        let rules: Vec<&str> = r.findings.iter().map(|f| f.rule).collect();
        assert_eq!(rules, ["arguments-should-be-policies"], "{:#?}", r.findings);
    }

    #[test]
    fn dead_letter_queues_need_no_dead_letter_exchange() {
        // `parking` is fed through the default exchange, `dead` through a direct DLX with
        // the key it is bound with; `other` is bound with another key: nobody's DLQ.
        let r = lint_text(
            "exchanges:\n  - {name: dlx, type: direct}\n\
             queues:\n  - {name: retry, dead_letter_exchange: '', dead_letter_routing_key: parking}\n  - {name: parking}\n\
             \x20 - {name: work, dead_letter_exchange: dlx, dead_letter_routing_key: dead}\n  - {name: dead}\n  - {name: other}\n\
             bindings:\n  - {source: dlx, destination: dead, routing_key: dead}\n  - {source: dlx, destination: other, routing_key: other}\n",
        );
        let flagged: Vec<&str> = r
            .findings
            .iter()
            .filter(|f| f.rule == "no-dead-letter")
            .map(|f| f.object.as_str())
            .collect();
        assert_eq!(flagged, ["queue other in vhost /"], "{:#?}", r.findings);
    }

    #[test]
    fn only_the_highest_priority_policy_counts() {
        let r = lint_text(
            "queues:\n  - {name: q, dead_letter_exchange: ''}\n\
             policies:\n  - {name: low, pattern: '.*', priority: 0, definition: {max-length: 10}}\n  - {name: high, pattern: '^q$', priority: 5, definition: {expires: 10}}\n  - {name: other, pattern: '^z$', priority: 9, definition: {queue-mode: default}}\n",
        );
        assert!(
            !r.findings.iter().any(|f| f.rule == "unbounded-queue"),
            "{:#?}",
            r.findings
        );
        let r = lint_text(
            "queues:\n  - {name: q, dead_letter_exchange: ''}\n\
             policies:\n  - {name: low, pattern: '.*', priority: 0, definition: {max-length: 10}}\n  - {name: high, pattern: '^q$', priority: 5, definition: {queue-mode: default}}\n",
        );
        assert!(
            r.findings.iter().any(|f| f.rule == "unbounded-queue"),
            "{:#?}",
            r.findings
        );
    }
}
