//! `warren quorum migrate plan` (pure): what moving from mirrored classic queues (`ha-*`
//! policies, removed in RabbitMQ 4.0) to quorum queues takes, queue by queue and policy by
//! policy. Facts from the broker's source (/work/shared/reference/quorum-ops.md):
//! - a quorum queue refuses at declaration `x-queue-mode`, `x-queue-version`,
//!   `x-queue-master-locator` and `x-max-priority`; it accepts `x-overflow:
//!   reject-publish-dlx` but ignores it (drop-head);
//! - exclusive, auto-delete and non-durable quorum queues are refused;
//! - a policy holding any key a quorum queue does not support (ha-*, queue-mode,
//!   queue-master-locator, max-priority, ...) does not apply to a quorum queue at all, so
//!   an `{ha-mode, max-length}` policy silently stops limiting it until rewritten;
//! - RabbitMQ 4.x gives every quorum queue a delivery limit of 20: without a dead-letter
//!   exchange, a message redelivered more often is dropped.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::rabbit::policy::{Policy, Target, matching};

/// A queue as a definitions export or the queue list gives it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct QueueDef {
    pub name: String,
    pub vhost: String,
    #[serde(default = "yes")]
    pub durable: bool,
    pub auto_delete: bool,
    pub exclusive: bool,
    pub arguments: Map<String, Value>,
}

fn yes() -> bool {
    true
}

/// Policy keys a quorum queue does not support (rabbit_quorum_queue's capabilities, 3.10.8
/// and 4.0.5), plus `ha-sync-batch-size` and `queue-version`, classic-only all the same.
const UNSUPPORTED_KEYS: &[&str] = &[
    "ha-mode",
    "ha-params",
    "ha-sync-mode",
    "ha-sync-batch-size",
    "ha-promote-on-shutdown",
    "ha-promote-on-failure",
    "queue-mode",
    "queue-version",
    "queue-master-locator",
    "max-priority",
];

/// `queue-master-locator` values as `queue-leader-locator` has them.
fn leader_locator(master: &str) -> &'static str {
    match master {
        "client-local" => "client-local",
        _ => "balanced",
    }
}

/// What becomes of one queue.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// Durable, not exclusive, not auto-delete, nothing to change.
    Ready,
    /// Its arguments must change first (each in `changes`).
    ChangeArguments,
    /// It can't become a quorum queue (why and what instead in `changes`).
    Cannot,
}

#[derive(Debug, Clone, Serialize)]
pub struct QueuePlan {
    pub vhost: String,
    pub queue: String,
    /// The `ha-*` policy that covers it.
    pub policy: String,
    pub class: Class,
    pub changes: Vec<String>,
    pub risks: Vec<String>,
}

/// A policy with `ha-*` keys, rewritten.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyRewrite {
    pub vhost: String,
    pub name: String,
    pub before: Map<String, Value>,
    /// `None`: nothing is left, the policy is deleted.
    pub after: Option<Map<String, Value>>,
    pub apply_to: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub queues: Vec<QueuePlan>,
    pub policies: Vec<PolicyRewrite>,
}

fn is_mirroring(p: &Policy) -> bool {
    p.definition.keys().any(|k| k.starts_with("ha-"))
}

/// The plan for every queue an `ha-*` policy covers (the policy that applies to it, the
/// highest-priority match, has `ha-*` keys), and every such policy rewritten.
pub fn plan(queues: &[QueueDef], policies: &[Policy]) -> Plan {
    let mut out = Plan {
        queues: Vec::new(),
        policies: Vec::new(),
    };
    for q in queues {
        let in_vhost: Vec<Policy> = policies
            .iter()
            .filter(|p| p.vhost == q.vhost)
            .cloned()
            .collect();
        let (found, _) = matching(&in_vhost, &q.name, Target::Queue("classic"));
        let Some(applied) = found.first().filter(|p| is_mirroring(p)) else {
            continue;
        };
        out.queues.push(queue_plan(q, applied));
    }
    for p in policies.iter().filter(|p| is_mirroring(p)) {
        out.policies.push(rewrite(p));
    }
    out
}

fn queue_plan(q: &QueueDef, policy: &Policy) -> QueuePlan {
    let mut cannot = Vec::new();
    if q.exclusive {
        cannot.push("exclusive: keep it a classic queue (its connection owns it; nothing to replicate), and keep it out of the policy's pattern".to_string());
    }
    if !q.durable {
        cannot.push("not durable: a quorum queue always is; declare it durable".to_string());
    }
    if q.auto_delete {
        cannot.push("auto-delete: use a queue TTL (x-expires) instead".to_string());
    }
    let mut changes = Vec::new();
    for (arg, value) in &q.arguments {
        let text = value.as_str().unwrap_or_default();
        match arg.as_str() {
            "x-queue-mode" | "x-queue-version" => {
                changes.push(format!("drop {arg} (classic only; a quorum queue refuses it)"))
            }
            "x-queue-master-locator" => changes.push(format!(
                "replace x-queue-master-locator {text} with x-queue-leader-locator {}",
                leader_locator(text)
            )),
            "x-max-priority" => changes.push(
                "drop x-max-priority (refused; quorum queues on 4.x order by the message's priority without it)"
                    .to_string(),
            ),
            "x-overflow" if text == "reject-publish-dlx" => changes.push(
                "replace x-overflow reject-publish-dlx with reject-publish (a quorum queue ignores -dlx and drops the oldest)"
                    .to_string(),
            ),
            _ => {}
        }
    }
    let mut risks = Vec::new();
    let has_dlx = q.arguments.contains_key("x-dead-letter-exchange")
        || policy.definition.contains_key("dead-letter-exchange");
    if !has_dlx {
        risks.push(
            "no dead-letter exchange: RabbitMQ 4.x drops a message redelivered more than 20 times (the quorum queues' default delivery limit)"
                .to_string(),
        );
    }
    if q.arguments.get("x-queue-type").and_then(Value::as_str) == Some("classic") {
        risks.push(
            "declared with x-queue-type classic: clients that declare it so will fail with PRECONDITION_FAILED once it is a quorum queue"
                .to_string(),
        );
    }
    let kept: Vec<&String> = policy
        .definition
        .keys()
        .filter(|k| !UNSUPPORTED_KEYS.contains(&k.as_str()))
        .collect();
    if !kept.is_empty() {
        let keys: Vec<&str> = kept.iter().map(|k| k.as_str()).collect();
        risks.push(format!(
            "policy `{}` also sets {}: until its ha-* keys are removed it does not apply to a quorum queue at all",
            policy.name,
            keys.join(", ")
        ));
    }
    let class = if !cannot.is_empty() {
        changes = cannot;
        Class::Cannot
    } else if !changes.is_empty() {
        Class::ChangeArguments
    } else {
        Class::Ready
    };
    QueuePlan {
        vhost: q.vhost.clone(),
        queue: q.name.clone(),
        policy: policy.name.clone(),
        class,
        changes,
        risks,
    }
}

fn rewrite(p: &Policy) -> PolicyRewrite {
    let mut after = Map::new();
    for (k, v) in &p.definition {
        match k.as_str() {
            "queue-master-locator" => {
                let locator = leader_locator(v.as_str().unwrap_or_default());
                after.insert("queue-leader-locator".into(), Value::from(locator));
            }
            k if UNSUPPORTED_KEYS.contains(&k) => {}
            _ => {
                after.insert(k.clone(), v.clone());
            }
        }
    }
    let apply_to = if p.apply_to == "all" || p.apply_to.is_empty() {
        "queues".to_string()
    } else {
        p.apply_to.clone()
    };
    PolicyRewrite {
        vhost: p.vhost.clone(),
        name: p.name.clone(),
        before: p.definition.clone(),
        after: (!after.is_empty()).then_some(after),
        apply_to,
    }
}

/// A definitions export's queues and policies (what `plan` reads offline); a one-vhost
/// export's objects are all in `vhost`.
pub fn from_definitions(
    file: &str,
    text: &str,
    vhost: &str,
) -> Result<(Vec<QueueDef>, Vec<Policy>), crate::exit::Error> {
    #[derive(serde::Deserialize)]
    struct Definitions {
        #[serde(default)]
        queues: Vec<Value>,
        #[serde(default)]
        policies: Vec<Value>,
    }
    let bad = |what: &str, e: serde_json::Error| {
        crate::exit::Error::invalid_input(format!("{file}: {what}: {e}"))
    };
    let defs: Definitions =
        serde_json::from_str(text).map_err(|e| bad("not a definitions export", e))?;
    // A one-vhost export (`/api/definitions/{vhost}`) leaves the vhost out of its queues
    // (3.10 keeps it in its policies): every object is then in `vhost`.
    let no_vhost = |v: &Value| v.get("vhost").is_none_or(Value::is_null);
    let single = defs.queues.iter().any(no_vhost) || defs.policies.iter().any(no_vhost);
    let with_vhost = |mut v: Value| {
        if single {
            v["vhost"] = Value::from(vhost);
        }
        v
    };
    let mut queues = Vec::new();
    for (i, q) in defs.queues.into_iter().enumerate() {
        queues.push(
            serde_json::from_value(with_vhost(q)).map_err(|e| bad(&format!("queues[{i}]"), e))?,
        );
    }
    let mut policies = Vec::new();
    for (i, p) in defs.policies.into_iter().enumerate() {
        policies.push(
            serde_json::from_value(with_vhost(p)).map_err(|e| bad(&format!("policies[{i}]"), e))?,
        );
    }
    Ok((queues, policies))
}

impl crate::output::Render for Plan {
    fn human(&self) -> String {
        let mut out = String::new();
        if self.queues.is_empty() {
            out.push_str("no queue is covered by an ha-* policy\n");
        } else {
            let mut t =
                crate::output::table(["vhost", "queue", "policy", "class", "changes and risks"]);
            for q in &self.queues {
                let class = match q.class {
                    Class::Ready => "ready",
                    Class::ChangeArguments => "change arguments",
                    Class::Cannot => "CANNOT",
                };
                let notes: Vec<String> = q
                    .changes
                    .iter()
                    .cloned()
                    .chain(q.risks.iter().map(|r| format!("risk: {r}")))
                    .collect();
                t.add_row(vec![
                    q.vhost.clone(),
                    q.queue.clone(),
                    q.policy.clone(),
                    class.to_string(),
                    notes.join("\n"),
                ]);
            }
            out.push_str(&format!("{t}\n"));
        }
        for p in &self.policies {
            let after = match &p.after {
                Some(a) => format!("{} (apply-to {})", Value::Object(a.clone()), p.apply_to),
                None => "nothing left: delete it".to_string(),
            };
            out.push_str(&format!(
                "policy {} (vhost {}): {} -> {after}\n",
                p.name,
                p.vhost,
                Value::Object(p.before.clone())
            ));
        }
        out.trim_end().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn queue(name: &str, extra: Value) -> QueueDef {
        let mut q = json!({"name": name, "vhost": "/", "durable": true, "auto_delete": false,
            "arguments": {}});
        for (k, v) in extra.as_object().unwrap() {
            q[k] = v.clone();
        }
        serde_json::from_value(q).unwrap()
    }

    #[test]
    fn classifies_every_kind_of_queue_and_rewrites_the_policy() {
        let policies: Vec<Policy> = serde_json::from_value(json!([
            {"vhost": "/", "name": "ha-all", "pattern": "^ha\\.", "apply-to": "all", "priority": 0,
             "definition": {"ha-mode": "all", "ha-sync-mode": "automatic", "max-length": 1000,
                            "queue-master-locator": "min-masters"}},
            {"vhost": "/", "name": "plain", "pattern": "^other", "priority": 0,
             "definition": {"max-length": 5}},
            {"vhost": "/", "name": "ha-only", "pattern": "^solo$", "priority": 0,
             "definition": {"ha-mode": "exactly", "ha-params": 2}}
        ]))
        .unwrap();
        let queues = vec![
            queue(
                "ha.ready",
                json!({"arguments": {"x-dead-letter-exchange": "dlx"}}),
            ),
            queue("ha.exclusive", json!({"exclusive": true})),
            queue("ha.transient", json!({"durable": false})),
            queue("ha.lazy", json!({"arguments": {"x-queue-mode": "lazy"}})),
            queue(
                "ha.dlx",
                json!({"arguments": {"x-overflow": "reject-publish-dlx"}}),
            ),
            queue(
                "ha.pinned",
                json!({"arguments": {"x-queue-type": "classic"}}),
            ),
            queue("other", json!({})),
            queue("solo", json!({})),
        ];
        let p = plan(&queues, &policies);
        let classes: Vec<(&str, &Class)> = p
            .queues
            .iter()
            .map(|q| (q.queue.as_str(), &q.class))
            .collect();
        assert_eq!(
            classes,
            [
                ("ha.ready", &Class::Ready),
                ("ha.exclusive", &Class::Cannot),
                ("ha.transient", &Class::Cannot),
                ("ha.lazy", &Class::ChangeArguments),
                ("ha.dlx", &Class::ChangeArguments),
                ("ha.pinned", &Class::Ready),
                ("solo", &Class::Ready),
            ]
        );
        let of = |name: &str| p.queues.iter().find(|q| q.queue == name).unwrap();
        assert!(of("ha.lazy").changes[0].starts_with("drop x-queue-mode"));
        assert!(of("ha.dlx").changes[0].contains("reject-publish (a quorum queue ignores -dlx"));
        assert!(
            of("ha.pinned")
                .risks
                .iter()
                .any(|r| r.contains("PRECONDITION_FAILED"))
        );
        // The DLX risk is named where no dead-letter exchange is set.
        assert!(
            !of("ha.ready")
                .risks
                .iter()
                .any(|r| r.contains("dead-letter"))
        );
        assert!(
            of("solo")
                .risks
                .iter()
                .any(|r| r.contains("drops a message redelivered"))
        );
        // The policy that also sets max-length stops applying until rewritten.
        assert!(
            of("ha.ready")
                .risks
                .iter()
                .any(|r| r.contains("also sets max-length"))
        );
        let rewrites: Vec<(&str, Option<Value>, &str)> = p
            .policies
            .iter()
            .map(|r| {
                (
                    r.name.as_str(),
                    r.after.clone().map(Value::Object),
                    r.apply_to.as_str(),
                )
            })
            .collect();
        assert_eq!(
            rewrites,
            [
                (
                    "ha-all",
                    Some(json!({"max-length": 1000, "queue-leader-locator": "balanced"})),
                    "queues"
                ),
                ("ha-only", None, "queues"),
            ]
        );
    }
}
