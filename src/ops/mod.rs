//! Everyday destructive operations: `warren delete` (delete.rs) and `warren close
//! connections` (close.rs). Each selects objects, checks them all before changing anything,
//! and reports what happened to every one in one [`Report`].

pub mod close;
pub mod delete;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::broker::http::ManagementApi;
use crate::output::{self, Render};

/// Fail with exit 9 unless `vhost` exists and the user may see it.
pub async fn require_vhost(api: &ManagementApi, vhost: &str) -> anyhow::Result<()> {
    api.require_vhost(vhost).await
}

/// What happened to one selected object.
#[derive(Serialize, Debug, Clone)]
pub struct Item {
    pub name: String,
    /// What is shown with it (message count, user, ...); `null` is unknown.
    #[serde(flatten)]
    pub facts: Map<String, Value>,
    /// `deleted`, `would delete`, `refused`, `not deleted`, `failed`, ...
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Item {
    pub fn new(name: impl Into<String>, facts: Map<String, Value>) -> Item {
        Item {
            name: name.into(),
            facts,
            outcome: "",
            reason: None,
        }
    }

    pub fn set(&mut self, outcome: &'static str, reason: Option<String>) {
        self.outcome = outcome;
        self.reason = reason;
    }
}

/// The summary of one run: every object selected, with its outcome, and counts by outcome.
#[derive(Serialize, Debug)]
pub struct Report {
    /// `delete queue`, `close connections`.
    pub action: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vhost: Option<String>,
    pub dry_run: bool,
    /// How many objects had each outcome (the done outcome, `refused` and `failed` always).
    #[serde(flatten)]
    pub counts: std::collections::BTreeMap<String, usize>,
    pub objects: Vec<Item>,
}

impl Report {
    /// `done` is the outcome of a change made (`deleted`, `closed`).
    pub fn new(
        action: String,
        vhost: Option<String>,
        dry_run: bool,
        done: &str,
        objects: Vec<Item>,
    ) -> Report {
        let mut counts: std::collections::BTreeMap<String, usize> = [done, "refused", "failed"]
            .into_iter()
            .map(|k| (k.to_string(), 0))
            .collect();
        for item in &objects {
            *counts.entry(item.outcome.to_string()).or_default() += 1;
        }
        Report {
            action,
            vhost,
            dry_run,
            counts,
            objects,
        }
    }

    pub fn count(&self, outcome: &str) -> usize {
        self.counts.get(outcome).copied().unwrap_or(0)
    }
}

/// A fact as a table shows it: unknown is `?`.
fn cell(value: &Value) -> String {
    match value {
        Value::Null => "?".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Render for Report {
    fn human(&self) -> String {
        if self.objects.is_empty() {
            return format!("{}: nothing matched", self.action);
        }
        let mut columns: Vec<&str> = vec!["name"];
        for item in &self.objects {
            for key in item.facts.keys() {
                if !columns.contains(&key.as_str()) {
                    columns.push(key);
                }
            }
        }
        columns.extend(["outcome", "reason"]);
        let mut t = output::table(columns.iter().map(|c| c.replace('_', " ")));
        for item in &self.objects {
            let mut row = vec![item.name.clone()];
            for c in &columns[1..columns.len() - 2] {
                row.push(item.facts.get(*c).map_or_else(String::new, cell));
            }
            row.push(item.outcome.to_string());
            row.push(item.reason.clone().unwrap_or_default());
            t.add_row(row);
        }
        let counts: Vec<String> = self
            .counts
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        let mut out = format!("{t}\n{}: {}", self.action, counts.join(", "));
        if self.dry_run {
            out.push_str(" (dry run: nothing was changed)");
        }
        out
    }
}
