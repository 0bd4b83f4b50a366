//! `warren audit`: a security and reliability audit of a live broker. The rules are data
//! (`rules.rs`), evaluated purely over one snapshot (`snapshot.rs`) that `fetch.rs` reads once;
//! `report.rs` renders the results as a table, JSON/YAML or SARIF.

pub mod fetch;
#[cfg(test)]
mod fixtures;
pub mod password;
pub mod probe;
pub mod report;
pub mod rules;
pub mod snapshot;
pub mod thresholds;

use std::fmt;

use serde::Serialize;

pub use snapshot::{NotChecked, Snapshot};

/// How bad a finding is. Ordered: `Info < Low < ... < Critical`.
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kind of broker object a finding names.
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Cluster,
    Node,
    Listener,
    User,
    Permission,
    Vhost,
    Queue,
    Policy,
    Connection,
    Channel,
    Consumer,
    Parameter,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Cluster => "cluster",
            Kind::Node => "node",
            Kind::Listener => "listener",
            Kind::User => "user",
            Kind::Permission => "permission",
            Kind::Vhost => "vhost",
            Kind::Queue => "queue",
            Kind::Policy => "policy",
            Kind::Connection => "connection",
            Kind::Channel => "channel",
            Kind::Consumer => "consumer",
            Kind::Parameter => "parameter",
        }
    }
}

/// The object a finding is about.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Object {
    pub kind: Kind,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vhost: Option<String>,
}

impl Object {
    pub fn new(kind: Kind, name: impl Into<String>) -> Object {
        Object {
            kind,
            name: name.into(),
            vhost: None,
        }
    }

    pub fn in_vhost(kind: Kind, vhost: &str, name: impl Into<String>) -> Object {
        Object {
            kind,
            name: name.into(),
            vhost: Some(vhost.to_string()),
        }
    }
}

impl fmt::Display for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.vhost {
            Some(v) => write!(f, "{} {}/{}", self.kind.as_str(), v, self.name),
            None => write!(f, "{} {}", self.kind.as_str(), self.name),
        }
    }
}

/// One problem found by a rule.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    pub object: Object,
    pub message: String,
}

/// What a rule's evaluation returns: its findings, or why it could not look.
pub type Outcome = Result<Vec<Finding>, NotChecked>;

/// Whether a rule reads per-vhost lists, which a user without the monitoring or administrator
/// tag sees only in part: such a rule with no finding is "not checked", never passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Broker,
    PerVhost,
}

/// One rule of the catalogue.
#[derive(Clone, Copy)]
pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    pub fix: &'static str,
    pub doc: &'static str,
    pub scope: Scope,
    pub check: fn(&Rule, &Snapshot) -> Outcome,
}

impl Rule {
    /// A finding at the rule's own severity.
    pub fn finding(&self, object: Object, message: impl Into<String>) -> Finding {
        Finding {
            severity: self.severity,
            object,
            message: message.into(),
        }
    }

    /// An info-severity note: a figure just under one of the rule's thresholds.
    pub fn note(&self, object: Object, message: impl Into<String>) -> Finding {
        Finding {
            severity: Severity::Info,
            object,
            message: message.into(),
        }
    }

    /// The finding or note for a figure measured against `threshold` (none when well under),
    /// its message ending with the limit in effect.
    pub fn against(
        &self,
        s: &Snapshot,
        threshold: &thresholds::Threshold,
        value: f64,
        object: Object,
        what: &str,
    ) -> Option<Finding> {
        let limit = s.limits.describe(threshold);
        match s.limits.standing(threshold, value) {
            thresholds::Standing::Over => Some(self.finding(object, format!("{what} ({limit})"))),
            thresholds::Standing::Near => {
                Some(self.note(object, format!("note: {what}, just under the {limit}")))
            }
            thresholds::Standing::Under => None,
        }
    }
}

/// The status of one rule after evaluation.
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Finding,
    Pass,
    NotChecked,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Finding => "finding",
            Status::Pass => "pass",
            Status::NotChecked => "not checked",
        }
    }
}

/// One rule's result.
#[derive(Serialize, Clone, Debug)]
pub struct RuleResult {
    pub id: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub findings: Vec<Finding>,
    pub fix: &'static str,
    pub doc: &'static str,
}

/// Which rules to run.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Only these ids (all when empty).
    pub only: Vec<String>,
    pub skip: Vec<String>,
}

impl Selection {
    /// Unknown ids are an error naming the closest known one.
    pub fn validate(&self) -> Result<(), String> {
        for id in self.only.iter().chain(&self.skip) {
            if rules::find(id).is_none() {
                let known: Vec<&str> = rules::CATALOGUE.iter().map(|r| r.id).collect();
                return Err(format!(
                    "unknown rule `{id}`; known rules: {} (see `warren audit rules`)",
                    known.join(", ")
                ));
            }
        }
        Ok(())
    }

    pub fn includes(&self, id: &str) -> bool {
        let eq = |x: &String| x.eq_ignore_ascii_case(id);
        (self.only.is_empty() || self.only.iter().any(eq)) && !self.skip.iter().any(eq)
    }
}

/// Run the selected rules over the snapshot. Pure.
pub fn evaluate(snapshot: &Snapshot, selection: &Selection) -> Vec<RuleResult> {
    let partial = snapshot.partial_view();
    rules::CATALOGUE
        .iter()
        .filter(|r| selection.includes(r.id))
        .map(|rule| {
            let (status, reason, findings) = match (rule.check)(rule, snapshot) {
                Ok(f) if !f.is_empty() => (Status::Finding, None, f),
                Ok(_) => match (&partial, rule.scope) {
                    (Some(why), Scope::PerVhost) => {
                        (Status::NotChecked, Some(why.0.clone()), Vec::new())
                    }
                    _ => (Status::Pass, None, Vec::new()),
                },
                Err(NotChecked(why)) => (Status::NotChecked, Some(why), Vec::new()),
            };
            RuleResult {
                id: rule.id,
                severity: rule.severity,
                title: rule.title,
                status,
                reason,
                findings,
                fix: rule.fix,
                doc: rule.doc,
            }
        })
        .collect()
}

/// The highest severity among all findings.
pub fn worst(results: &[RuleResult]) -> Option<Severity> {
    results
        .iter()
        .flat_map(|r| r.findings.iter().map(|f| f.severity))
        .max()
}
