//! Which policies match a queue or an exchange, and which one applies: RabbitMQ applies the
//! matching policy of the highest priority, and separately the matching operator policy of
//! the highest priority; where both set a numeric limit (max-length, message-ttl, ...), the
//! lower value wins. Pure: the broker's own answer (`policy`, `operator_policy`,
//! `effective_policy_definition`) is shown beside it, and a disagreement is reported.

use regex_lite::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One policy or operator policy as `/api/policies/{vhost}` lists it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct Policy {
    /// Absent from a vhost's own list in older answers: then the vhost asked for.
    #[serde(default)]
    pub vhost: String,
    pub name: String,
    #[serde(default)]
    pub pattern: String,
    /// `all` when the broker leaves it out, as RabbitMQ defaults it.
    #[serde(rename = "apply-to", default = "apply_to_all")]
    pub apply_to: String,
    #[serde(default)]
    pub priority: i64,
    #[serde(default)]
    pub definition: Map<String, Value>,
}

fn apply_to_all() -> String {
    "all".into()
}

/// What a policy is matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// A queue of this type (`classic`, `quorum`, `stream`).
    Queue(&'a str),
    Exchange,
}

impl Policy {
    /// The pattern as warren can evaluate it, or `None` when it uses what the broker's
    /// regular expressions have and warren's don't (look-around, back-references).
    pub fn regex(&self) -> Option<Regex> {
        Regex::new(&self.pattern).ok()
    }

    /// Whether this policy applies to objects like `target` (its `apply-to`).
    fn applies_to(&self, target: Target<'_>) -> bool {
        match (self.apply_to.as_str(), target) {
            ("all" | "", _) => true,
            ("exchanges", Target::Exchange) => true,
            ("queues", Target::Queue(_)) => true,
            ("classic_queues", Target::Queue(t)) => t == "classic",
            ("quorum_queues", Target::Queue(t)) => t == "quorum",
            ("streams", Target::Queue(t)) => t == "stream",
            _ => false,
        }
    }

    /// Whether it matches `name`; a pattern that is not a regular expression warren can read
    /// is `None` (unknown).
    fn matches(&self, name: &str, target: Target<'_>) -> Option<bool> {
        if !self.applies_to(target) {
            return Some(false);
        }
        self.regex().map(|re| re.is_match(name))
    }
}

/// The policies of `all` that match `name`, highest priority first (stable for equal ones),
/// and the names whose pattern warren could not read.
pub fn matching<'a>(
    all: &'a [Policy],
    name: &str,
    target: Target<'_>,
) -> (Vec<&'a Policy>, Vec<String>) {
    let mut unreadable = Vec::new();
    let mut found: Vec<&Policy> = all
        .iter()
        .filter(|p| match p.matches(name, target) {
            Some(m) => m,
            None => {
                unreadable.push(p.name.clone());
                false
            }
        })
        .collect();
    found.sort_by_key(|p| std::cmp::Reverse(p.priority));
    (found, unreadable)
}

/// Policies with their patterns compiled once, for matching many names (audit's and lint's
/// queues): the same answers as [`matching`].
pub struct Compiled {
    entries: Vec<(Policy, Option<Regex>)>,
}

impl Compiled {
    pub fn new(all: impl IntoIterator<Item = Policy>) -> Compiled {
        Compiled {
            entries: all
                .into_iter()
                .map(|p| {
                    let re = p.regex();
                    (p, re)
                })
                .collect(),
        }
    }

    /// The policies of `vhost` that match `name`, highest priority first (stable for equal
    /// ones), and the names whose pattern warren could not read.
    pub fn matching(
        &self,
        vhost: &str,
        name: &str,
        target: Target<'_>,
    ) -> (Vec<&Policy>, Vec<String>) {
        let mut unreadable = Vec::new();
        let mut found: Vec<&Policy> = Vec::new();
        for (p, re) in &self.entries {
            if p.vhost != vhost || !p.applies_to(target) {
                continue;
            }
            match re {
                Some(re) if re.is_match(name) => found.push(p),
                Some(_) => {}
                None => unreadable.push(p.name.clone()),
            }
        }
        found.sort_by_key(|p| std::cmp::Reverse(p.priority));
        (found, unreadable)
    }
}

/// Keys where an operator policy and a policy combine by taking the lower value.
const LOWER_WINS: &[&str] = &[
    "max-length",
    "max-length-bytes",
    "message-ttl",
    "expires",
    "delivery-limit",
    "max-in-memory-length",
    "max-in-memory-bytes",
];

/// The definition in effect: the policy's, with the operator policy's keys added, and for
/// numeric limits both set, the lower value.
pub fn effective(policy: Option<&Policy>, operator: Option<&Policy>) -> Map<String, Value> {
    let mut out = policy.map(|p| p.definition.clone()).unwrap_or_default();
    if let Some(op) = operator {
        for (key, value) in &op.definition {
            let lower = match (out.get(key).and_then(Value::as_f64), value.as_f64()) {
                (Some(mine), Some(theirs)) if LOWER_WINS.contains(&key.as_str()) => {
                    if theirs < mine {
                        value.clone()
                    } else {
                        out[key].clone()
                    }
                }
                _ => value.clone(),
            };
            out.insert(key.clone(), lower);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(name: &str, pattern: &str, apply_to: &str, priority: i64, def: Value) -> Policy {
        Policy {
            vhost: "/".into(),
            name: name.into(),
            pattern: pattern.into(),
            apply_to: apply_to.into(),
            priority,
            definition: def.as_object().cloned().unwrap(),
        }
    }

    #[test]
    fn the_highest_priority_match_applies() {
        let all = vec![
            policy("low", "^orders", "queues", 1, json!({"max-length": 10})),
            policy(
                "high",
                "^orders\\.",
                "all",
                5,
                json!({"message-ttl": 60000}),
            ),
            policy(
                "ex-only",
                ".*",
                "exchanges",
                9,
                json!({"alternate-exchange": "ae"}),
            ),
            policy("streams", ".*", "streams", 9, json!({})),
            policy("other", "^billing", "queues", 7, json!({})),
        ];
        let (found, unreadable) = matching(&all, "orders.new", Target::Queue("classic"));
        let names: Vec<&str> = found.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["high", "low"]);
        assert!(unreadable.is_empty());
        let (found, _) = matching(&all, "orders.new", Target::Exchange);
        let names: Vec<&str> = found.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["ex-only", "high"]);
        let (found, _) = matching(&all, "x", Target::Queue("stream"));
        assert_eq!(found[0].name, "streams");
        let quorum_only = vec![policy("q", ".*", "quorum_queues", 0, json!({}))];
        assert!(
            matching(&quorum_only, "a", Target::Queue("classic"))
                .0
                .is_empty()
        );
        assert_eq!(
            matching(&quorum_only, "a", Target::Queue("quorum")).0.len(),
            1
        );
    }

    #[test]
    fn an_operator_policy_lowers_limits_and_adds_keys() {
        let p = policy(
            "p",
            ".*",
            "queues",
            0,
            json!({"max-length": 1000, "message-ttl": 5000, "dead-letter-exchange": "dlx"}),
        );
        let op = policy(
            "op",
            ".*",
            "queues",
            0,
            json!({"max-length": 100, "message-ttl": 9000, "expires": 60000}),
        );
        let e = effective(Some(&p), Some(&op));
        assert_eq!(e["max-length"], 100);
        assert_eq!(e["message-ttl"], 5000);
        assert_eq!(e["expires"], 60000);
        assert_eq!(e["dead-letter-exchange"], "dlx");
        assert!(effective(None, None).is_empty());
    }

    #[test]
    fn an_unreadable_pattern_is_reported_not_guessed() {
        let all = vec![policy("odd", "(?<=x)a", "queues", 0, json!({}))];
        let (found, unreadable) = matching(&all, "xa", Target::Queue("classic"));
        assert!(found.is_empty());
        assert_eq!(unreadable, ["odd"]);
    }

    #[test]
    fn a_policy_without_apply_to_applies_to_all_as_the_broker_defaults_it() {
        let listed: Vec<Policy> = serde_json::from_str(
            r#"[{"name":"cap","pattern":"^orders","priority":0,"definition":{"max-length":1}}]"#,
        )
        .unwrap();
        assert_eq!(listed[0].apply_to, "all");
        for target in [Target::Queue("quorum"), Target::Exchange] {
            let (found, _) = matching(&listed, "orders", target);
            assert_eq!(found.len(), 1, "{target:?}");
        }
        // An empty one, as a hand-made definitions file may carry, is the same.
        let empty = vec![policy("cap", "^orders", "", 0, json!({}))];
        assert_eq!(matching(&empty, "orders", Target::Exchange).0.len(), 1);
    }
}
