//! `warren doctor`: why a queue grows or is stuck, from two samples a window apart. Each
//! diagnosis has an id, a severity, the numbers it read, a fix and the next command; a signal
//! that can't be read is "not checked" with the reason, never "ok" (the audit's rule).
//!
//! The rules ([`diagnose`], in `rules.rs`) are pure and unit-tested on scenarios captured
//! from real brokers (tests/fixtures/capture-doctor.py); `sample.rs` reads the samples (the
//! management API and a passive declare) and ranks a vhost's queues for `--top`.

mod rules;
pub mod sample;

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::Value;

use crate::broker::api::{Connection, Consumer, Node, Queue};
use crate::output::Render;

pub use sample::{Ranked, rank, take};

/// What doctor reads at one moment.
#[derive(Debug, Default, Clone)]
pub struct Sample {
    pub queue: Queue,
    /// The queue's consumers (of its vhost's list).
    pub consumers: Vec<Consumer>,
    /// The vhost's connections (blocked or in flow by an alarm).
    pub connections: Vec<Connection>,
    /// Every node; empty when they could not be read (why in `nodes_error`).
    pub nodes: Vec<Node>,
    pub nodes_error: Option<String>,
    /// Messages ready and consumers by a passive declare: exact, where the API's counts lag;
    /// `None` when the declare failed (the reason in `declare_error`).
    pub depth: Option<u64>,
    pub declare_error: Option<String>,
    /// The exchanges bound to the queue and their `publish_in` counters; `None` when the
    /// bindings could not be read.
    pub sources: Option<Vec<Source>>,
    /// The broker's version (`3.10.8`), which decides what some fields mean.
    pub version: String,
}

/// An exchange bound to the queue, with how many messages it had received.
#[derive(Debug, Default, Clone)]
pub struct Source {
    pub exchange: String,
    /// `message_stats.publish_in`; `None` without statistics.
    pub published_in: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Problem,
    Warning,
}

/// The numbers a diagnosis read, by name, in the order they are shown (a JSON object).
#[derive(Debug, Clone, Default)]
pub struct Evidence(pub Vec<(String, String)>);

impl Serialize for Evidence {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// One diagnosis.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub id: &'static str,
    pub severity: Severity,
    pub evidence: Evidence,
    pub fix: String,
    pub next: String,
}

/// A check that could not be made, and why.
#[derive(Debug, Clone, Serialize)]
pub struct NotChecked {
    pub id: &'static str,
    pub reason: String,
}

/// What doctor concluded: the findings, the checks that passed, and those it could not make.
#[derive(Debug, Default, Serialize)]
pub struct Diagnosis {
    pub findings: Vec<Finding>,
    pub passed: Vec<&'static str>,
    pub not_checked: Vec<NotChecked>,
}

impl Diagnosis {
    /// Whether any finding is a problem (exit 3).
    pub fn has_problem(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.severity == Severity::Problem)
    }
}

/// Diagnose a queue from two samples `window` seconds apart.
pub fn diagnose(before: &Sample, after: &Sample, window: f64) -> Diagnosis {
    rules::run(before, after, window)
}

/// The queue at one sample, as the report shows it.
#[derive(Debug, Serialize)]
pub struct SampleView {
    /// Seconds since the first sample.
    pub at: f64,
    /// By passive declare (exact); `null` when it failed.
    pub ready: Option<u64>,
    /// The management API's (lagging) counts.
    pub messages: Option<u64>,
    pub unacknowledged: Option<u64>,
    pub consumers: Option<u64>,
    /// The queue's cumulative counters (`publish`, `deliver`, `ack`, ...); `null` without
    /// statistics.
    pub counters: Value,
}

impl SampleView {
    fn of(sample: &Sample, at: f64) -> SampleView {
        let counters = match sample.queue.message_stats.as_object() {
            Some(stats) => Value::Object(
                stats
                    .iter()
                    .filter(|(k, v)| !k.ends_with("_details") && v.is_u64())
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
            None => Value::Null,
        };
        SampleView {
            at,
            ready: sample.depth,
            messages: sample.queue.messages,
            unacknowledged: sample.queue.messages_unacknowledged,
            consumers: sample.queue.consumers,
            counters,
        }
    }
}

/// One queue's report: what `-o json` gives, and the screen.
#[derive(Debug, Serialize)]
pub struct Report {
    pub queue: String,
    pub vhost: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// Seconds between the samples.
    pub window: f64,
    pub samples: [SampleView; 2],
    pub findings: Vec<Finding>,
    pub passed: Vec<&'static str>,
    pub not_checked: Vec<NotChecked>,
    /// The one-line summary the screen starts with.
    pub status: String,
}

impl Report {
    pub fn new(before: &Sample, after: &Sample, window: f64) -> Report {
        let d = diagnose(before, after, window);
        Report {
            queue: after.queue.name.clone(),
            vhost: after.queue.vhost.clone(),
            kind: after.queue.kind.clone(),
            window,
            samples: [SampleView::of(before, 0.0), SampleView::of(after, window)],
            status: rules::status_line(before, after, window),
            findings: d.findings,
            passed: d.passed,
            not_checked: d.not_checked,
        }
    }

    pub fn has_problem(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.severity == Severity::Problem)
    }
}

impl Render for Report {
    fn human(&self) -> String {
        let mut out = format!("{}\n", self.status);
        for f in &self.findings {
            let label = match f.severity {
                Severity::Problem => "PROBLEM",
                Severity::Warning => "WARN",
            };
            let evidence: Vec<String> = f
                .evidence
                .0
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            out.push_str(&format!("{label:<7} {}: {}\n", f.id, evidence.join(", ")));
            out.push_str(&format!("        fix: {}\n", f.fix));
        }
        if !self.passed.is_empty() {
            out.push_str(&format!("passed: {}\n", self.passed.join(", ")));
        }
        for n in &self.not_checked {
            out.push_str(&format!("not checked: {} ({})\n", n.id, n.reason));
        }
        let mut next: Vec<&str> = self.findings.iter().map(|f| f.next.as_str()).collect();
        next.dedup();
        match next.first() {
            Some(first) => out.push_str(&format!("next: {first}")),
            None => out.push_str("no problem found"),
        }
        out
    }
}

/// `--top`: the queues ranked, and the worst ones doctored.
#[derive(Debug, Serialize)]
pub struct TopReport {
    /// Queues read (in the vhost, or every vhost).
    pub queues: usize,
    pub window: f64,
    pub ranked: Vec<Ranked>,
    pub reports: Vec<Report>,
}

impl TopReport {
    pub fn has_problem(&self) -> bool {
        self.reports.iter().any(Report::has_problem)
    }
}

impl Render for TopReport {
    fn human(&self) -> String {
        let read = format!(
            "{} queue{} read twice, {:.1}s apart",
            self.queues,
            if self.queues == 1 { "" } else { "s" },
            self.window / 2.0
        );
        if self.ranked.is_empty() {
            return format!(
                "{read}: none grows, holds unacked messages or waits without a consumer"
            );
        }
        let mut out = format!("{read}; the worst {}:\n", self.ranked.len());
        for r in &self.ranked {
            out.push_str(&format!("  {}\n", r.line()));
        }
        for report in &self.reports {
            out.push('\n');
            out.push_str(&report.human());
            out.push('\n');
        }
        out.trim_end().to_string()
    }
}

#[cfg(test)]
mod tests;
