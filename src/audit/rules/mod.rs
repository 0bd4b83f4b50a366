//! The rule catalogue: the registry of the rules in `security`, `network`, `resources` and
//! `queues`, where each rule's entry (id, severity, title, fix, doc link) stands next to its
//! small pure check over the snapshot, and the helpers they share. Each check's comments
//! name the API fields it reads and how they differ between broker versions.

use std::collections::BTreeMap;

use serde_json::Value;

use super::password::{self, Verdict};
use super::snapshot::{Listener, Node, NotChecked, Reach, Snapshot, Source};
use super::thresholds::Threshold;
use super::{Finding, Kind, Object, Outcome, Rule, Scope, Severity};

/// Rules in catalogue order (security, network, resources, queues).
mod network;
mod queues;
mod resources;
mod security;

/// Rules in catalogue order (security, network, resources, queues).
pub static CATALOGUE: std::sync::LazyLock<Vec<Rule>> = std::sync::LazyLock::new(|| {
    [
        security::RULES,
        network::RULES,
        resources::RULES,
        queues::RULES,
    ]
    .concat()
});

/// Every rule's tunable thresholds, in catalogue order.
pub static THRESHOLDS: std::sync::LazyLock<Vec<Threshold>> = std::sync::LazyLock::new(|| {
    [
        security::THRESHOLDS,
        resources::THRESHOLDS,
        queues::THRESHOLDS,
    ]
    .concat()
});

/// The thresholds of one rule.
pub fn thresholds_of(id: &str) -> impl Iterator<Item = &'static Threshold> {
    THRESHOLDS.iter().filter(move |t| t.rule == id)
}

/// Findings, unless there are none and some objects could not be judged for want of a figure:
/// then the rule is not checked, naming them. A missing figure never passes.
///
/// Info notes (a figure just under a threshold) don't count as findings here: a rule with
/// only notes and some objects it couldn't judge is not checked, the notes in the reason.
fn unless_unknown(findings: Vec<Finding>, unknown: &[String], what: &str) -> Outcome {
    let only_notes = findings.iter().all(|f| f.severity == Severity::Info);
    if only_notes && !unknown.is_empty() {
        let shown: Vec<&str> = unknown.iter().take(5).map(String::as_str).collect();
        let more = unknown.len().saturating_sub(shown.len());
        let notes: Vec<String> = findings
            .iter()
            .map(|f| format!("{}: {}", f.object, f.message))
            .collect();
        return Err(not_checked(format!(
            "{}{} did not report {what}{}",
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            },
            if notes.is_empty() {
                String::new()
            } else {
                format!("; {}", notes.join("; "))
            }
        )));
    }
    Ok(findings)
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
            None => unknown.push(n.name.clone()),
        }
    }
    unless_unknown(findings, &unknown, what)
}

fn node_object(n: &Node) -> Object {
    Object::new(Kind::Node, &n.name)
}

fn node_finding(rule: &Rule, n: &Node, message: impl Into<String>) -> Finding {
    rule.finding(node_object(n), message)
}

/// The rule with this id (case-insensitive).
pub fn find(id: &str) -> Option<&'static Rule> {
    CATALOGUE.iter().find(|r| r.id.eq_ignore_ascii_case(id))
}

fn read<T>(source: &Source<T>) -> Result<&T, NotChecked> {
    source.as_ref().map_err(Clone::clone)
}

fn not_checked(why: impl Into<String>) -> NotChecked {
    NotChecked(why.into())
}

fn listeners(s: &Snapshot) -> Result<&[Listener], NotChecked> {
    read(&s.overview)?.listeners.as_deref().ok_or_else(|| {
        not_checked(
            "/api/overview does not list the listeners (management statistics are disabled)",
        )
    })
}

/// A probe result, or why there is none.
fn probe<T>(
    s: &Snapshot,
    pick: fn(&super::snapshot::Probes) -> &Source<T>,
) -> Result<&T, NotChecked> {
    match &s.probes {
        None => Err(not_checked("an active probe: run with --probe")),
        Some(p) => read(pick(p)),
    }
}

fn is_wildcard(pattern: &str) -> bool {
    matches!(pattern, ".*" | "^.*" | "^.*$" | ".*$" | ".+" | "^.+$")
}

#[cfg(test)]
pub(crate) mod testing {
    pub use super::super::fixtures::planted;
    pub use super::super::snapshot::{ProbeAnswer, Probes, Remote};
    pub use super::*;

    pub fn run(id: &str, s: &Snapshot) -> Outcome {
        let rule = find(id).unwrap();
        (rule.check)(rule, s)
    }

    pub fn names(id: &str, s: &Snapshot) -> Vec<String> {
        run(id, s)
            .unwrap_or_else(|e| panic!("{id} not checked: {}", e.0))
            .iter()
            .map(|f| f.object.to_string())
            .collect()
    }

    pub fn has(id: &str, s: &Snapshot, object: &str) -> bool {
        names(id, s).iter().any(|n| n == object)
    }

    pub fn with_probes(loopback: bool, guest: u16, origin: Option<&str>) -> Snapshot {
        let mut s = planted();
        s.target.loopback = loopback;
        s.target.host = if loopback { "localhost" } else { "10.1.2.3" }.into();
        let answer = |status: u16, origin: Option<&str>| ProbeAnswer {
            url: "http://10.1.2.3:15672/api/whoami".into(),
            status,
            allow_origin: origin.map(str::to_string),
        };
        // A loopback target is probed at a stand-in address: 10.1.2.3 plays it here.
        let stand_in = loopback.then(|| "10.1.2.3".parse().unwrap());
        s.probes = Some(Probes {
            guest_login: Ok(Remote {
                dialled: "http://10.1.2.3:15672/api/whoami".into(),
                stand_in,
                reach: Reach::Answered(answer(guest, None)),
            }),
            cors: Ok(answer(204, origin)),
            metrics: Err(NotChecked("no prometheus listener".into())),
            epmd: Ok(Remote {
                dialled: "10.1.2.3:4369".into(),
                stand_in,
                reach: Reach::Unreachable("Connection refused (os error 111)".into()),
            }),
        });
        s
    }

    pub fn node(name: &str, running: bool) -> super::super::snapshot::Node {
        serde_json::from_value(
            serde_json::json!({"name": name, "running": running, "type": "disc", "partitions": []}),
        )
        .unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::super::snapshot::WhoAmI;
    use super::super::{Selection, Status, evaluate};
    use super::testing::*;

    #[test]
    fn catalogue_is_well_formed() {
        assert!(CATALOGUE.len() >= 30);
        let mut ids: Vec<&str> = CATALOGUE.iter().map(|r| r.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), CATALOGUE.len(), "duplicate rule ids");
        for r in CATALOGUE.iter() {
            assert!(r.doc.starts_with("https://www.rabbitmq.com/"), "{}", r.id);
            assert!(!r.title.is_empty() && !r.fix.is_empty(), "{}", r.id);
        }
    }

    #[test]
    fn planted_problems_are_found() {
        let s = planted();
        assert!(has("SEC002", &s, "user guest"));
        assert!(has("SEC003", &s, "user weakling"));
        assert!(has("SEC003", &s, "user bob"));
        assert!(!has("SEC003", &s, "user app-admin"));
        assert!(!has("SEC003", &s, "user warren-admin"));
        let sec005 = run("SEC005", &s).unwrap();
        assert!(
            sec005
                .iter()
                .any(|f| f.object.kind == Kind::Connection && f.message.contains("app-admin")),
            "{sec005:#?}"
        );
        assert!(has("SEC007", &s, "permission planted/weakling"));
        assert!(!has("SEC007", &s, "permission planted/app-admin"));
        assert!(has("SEC009", &s, "user bob"));
        assert!(has("SEC012", &s, "parameter planted/leaky"));
        assert!(has("Q001", &s, "policy planted/ha-all"));
        assert!(has("Q003", &s, "queue planted/lazy-q"));
        assert!(has("Q005", &s, "queue planted/plain-q"));
        assert!(!has("Q005", &s, "queue planted/consumed"));
        assert!(has("Q006", &s, "queue planted/plain-q"));
        assert!(!has("Q006", &s, "queue planted/consumed"));
        assert!(has("Q008", &s, "consumer planted/consumed (no-prefetch)"));
        assert!(!has("Q008", &s, "consumer planted/consumed (auto-acker)"));
        assert!(has("Q009", &s, "consumer planted/consumed (auto-acker)"));
        assert!(has("RES009", &s, "vhost planted"));
        assert!(has("RES009", &s, "vhost /"));
        assert!(
            names("NET001", &s)
                .iter()
                .any(|n| n.starts_with("listener http"))
        );
        assert!(
            names("NET002", &s)
                .iter()
                .any(|n| n.starts_with("listener amqp"))
        );
        assert!(
            names("SEC014", &s)
                .iter()
                .any(|n| n.starts_with("cluster warren-audit-planted"))
        );
        // Nothing planted for these.
        // (SEC013 reads the certificate health check, which the fixtures don't hold.)
        for id in ["SEC010", "RES001", "Q004", "SEC006"] {
            assert_eq!(run(id, &s).unwrap().len(), 0, "{id}");
        }
    }

    #[test]
    fn secrets_never_reach_a_message() {
        let s = planted();
        for r in evaluate(&s, &Selection::default()) {
            for f in r.findings {
                let text = format!("{} {}", f.object, f.message);
                assert!(!text.contains("s3cret-shovel-pw"), "{text}");
                assert!(!text.contains("bob123"), "{text}");
            }
        }
    }

    #[test]
    fn unreadable_sources_are_not_checked_never_passed() {
        let mut s = planted();
        s.users = Err(NotChecked("user `mon` may not read /api/users".into()));
        s.permissions = Err(NotChecked(
            "user `mon` may not read /api/permissions".into(),
        ));
        let results = evaluate(&s, &Selection::default());
        for id in ["SEC002", "SEC003", "SEC004", "SEC005", "SEC006", "SEC007"] {
            let r = results.iter().find(|r| r.id == id).unwrap();
            assert_eq!(r.status, Status::NotChecked, "{id}");
            assert!(r.reason.as_deref().unwrap().contains("mon"), "{id}");
        }
    }

    #[test]
    fn a_partial_view_turns_per_vhost_passes_into_not_checked() {
        let mut s = planted();
        s.whoami = Ok(WhoAmI {
            name: "app".into(),
            tags: serde_json::json!(["management"]),
        });
        let results = evaluate(&s, &Selection::default());
        let status = |id: &str| results.iter().find(|r| r.id == id).unwrap().status;
        // Q004 has nothing to report on the visible queues: not a pass.
        assert_eq!(status("Q004"), Status::NotChecked);
        // Findings on what is visible are still findings.
        assert_eq!(status("Q003"), Status::Finding);
        // Broker-wide rules are unaffected.
        assert_eq!(status("SEC010"), Status::Pass);
    }
}
