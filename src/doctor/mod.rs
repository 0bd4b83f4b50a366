//! `warren doctor` (issue 31, first part): why a queue grows or is stuck, from two samples
//! a window apart (pure). Each diagnosis has an id, a severity, the numbers it read, a fix and
//! the next command; a signal that can't be read is "not checked" with the reason, never
//! "ok". The command that takes the samples comes next; the rules are unit-tested on
//! scenarios captured from real brokers (tests/fixtures/capture-doctor.py).

use serde::Serialize;
use serde_json::Value;

use crate::broker::api::{Consumer, Node, Queue};

/// What doctor reads at one moment.
#[derive(Debug, Default, Clone)]
pub struct Sample {
    pub queue: Queue,
    /// The queue's consumers (of its vhost's list).
    pub consumers: Vec<Consumer>,
    pub nodes: Vec<Node>,
    /// Messages ready by a passive declare: exact, where the API's counts lag.
    pub depth: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Problem,
    Warning,
}

/// One diagnosis.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub id: &'static str,
    pub severity: Severity,
    /// The numbers it read, by name.
    pub evidence: Vec<(String, String)>,
    pub fix: String,
    pub next: String,
}

/// What doctor concluded: the findings, the checks that passed, and those it could not make.
#[derive(Debug, Default, Serialize)]
pub struct Diagnosis {
    pub findings: Vec<Finding>,
    pub passed: Vec<&'static str>,
    pub not_checked: Vec<(&'static str, String)>,
}

/// A cumulative counter of the queue's `message_stats` (`publish`, `ack`, ...). The API
/// lists a counter once it has counted something: with `message_stats` present, a missing
/// one is 0; without `message_stats` (statistics off) it is unknown.
fn counter(q: &Queue, name: &str) -> Option<u64> {
    let stats = q.message_stats.as_object()?;
    Some(stats.get(name).and_then(Value::as_u64).unwrap_or(0))
}

/// How much a counter grew across the window; unknown when either end is.
fn grew(before: &Sample, after: &Sample, name: &str) -> Option<u64> {
    Some(counter(&after.queue, name)?.saturating_sub(counter(&before.queue, name)?))
}

struct Rules<'a> {
    before: &'a Sample,
    after: &'a Sample,
    vhost_flag: String,
    out: Diagnosis,
}

impl Rules<'_> {
    fn found(
        &mut self,
        id: &'static str,
        severity: Severity,
        evidence: &[(&str, String)],
        fix: &str,
        next: String,
    ) {
        self.out.findings.push(Finding {
            id,
            severity,
            evidence: evidence
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            fix: fix.to_string(),
            next,
        });
    }

    /// Record a check: `Some(true)` found (already pushed), `Some(false)` passed, `None`
    /// not checked with `why`.
    fn checked(&mut self, id: &'static str, outcome: Option<bool>, why: &str) {
        match outcome {
            Some(false) => self.out.passed.push(id),
            None => self.out.not_checked.push((id, why.to_string())),
            Some(true) => {}
        }
    }

    fn queue_name(&self) -> &str {
        &self.after.queue.name
    }

    fn no_consumers(&mut self) {
        let q = &self.after.queue;
        let published = grew(self.before, self.after, "publish");
        let outcome = match (q.consumers, published, self.after.depth) {
            (Some(0), Some(p), depth) if p > 0 || depth.is_some_and(|d| d > 0) => {
                let evidence = [
                    ("consumers", "0".to_string()),
                    ("published in the window", p.to_string()),
                    (
                        "ready (passive declare)",
                        depth.map_or("unknown".into(), |d| d.to_string()),
                    ),
                ];
                let next = format!("warren list connections{}", self.vhost_flag);
                self.found(
                    "no-consumers",
                    Severity::Problem,
                    &evidence,
                    "start the consuming application, or check why its connection closed",
                    next,
                );
                Some(true)
            }
            (Some(_), Some(_), _) => Some(false),
            _ => None,
        };
        self.checked(
            "no-consumers",
            outcome,
            "the consumer count or the publish counter is unknown",
        );
    }

    /// Unacked messages, and neither an ack nor a delivery in the whole window: the
    /// consumers hold what they have and take nothing more. (The unacked count at the start
    /// is not asked for: the API's lags a sample behind.)
    fn unacked_stuck(&mut self) {
        let unacked = self.after.queue.messages_unacknowledged;
        let acked = grew(self.before, self.after, "ack");
        let delivered = grew(self.before, self.after, "deliver");
        let outcome = match (unacked, acked, delivered) {
            (Some(u), Some(0), Some(0)) if u > 0 => {
                let holders: Vec<String> = self
                    .after
                    .consumers
                    .iter()
                    .filter(|c| c.ack_required == Some(true))
                    .map(|c| c.consumer_tag.clone())
                    .collect();
                let evidence = [
                    ("unacknowledged", u.to_string()),
                    ("acks and deliveries in the window", "0".to_string()),
                    ("consumers that ack", holders.join(", ")),
                ];
                let next = format!("warren show queue {}{}", self.queue_name(), self.vhost_flag);
                self.found(
                    "unacked-stuck",
                    Severity::Problem,
                    &evidence,
                    "the consumer holds messages without acking: fix or restart it (its channel's \
                     consumer timeout closes it eventually on quorum queues)",
                    next,
                );
                Some(true)
            }
            (Some(_), Some(_), Some(_)) => Some(false),
            _ => None,
        };
        self.checked(
            "unacked-stuck",
            outcome,
            "the unacked count or the ack and delivery counters are unknown",
        );
    }

    fn redelivery_loop(&mut self) {
        let delivered = grew(self.before, self.after, "deliver");
        let redelivered = grew(self.before, self.after, "redeliver");
        let outcome = match (delivered, redelivered) {
            (Some(d), Some(r)) if d > 0 && r * 2 > d => {
                let limit = self
                    .after
                    .queue
                    .setting("delivery-limit")
                    .map(Value::to_string);
                let evidence = [
                    ("delivered in the window", d.to_string()),
                    ("of them redelivered", r.to_string()),
                    ("delivery limit", limit.unwrap_or_else(|| "none".into())),
                ];
                let next = format!("warren peek {} -n 5{}", self.queue_name(), self.vhost_flag);
                self.found(
                    "redelivery-loop",
                    Severity::Problem,
                    &evidence,
                    "most deliveries are requeued again (poison messages): dead-letter them \
                     (a delivery limit with a dead-letter exchange) and fix what fails on them",
                    next,
                );
                Some(true)
            }
            (Some(_), Some(_)) => Some(false),
            _ => None,
        };
        self.checked(
            "redelivery-loop",
            outcome,
            "the delivery counters are unknown",
        );
    }

    /// A counter that should stay still on a healthy queue (`get`, `deliver_no_ack`).
    fn counted(&mut self, id: &'static str, name: &str, what: &str, fix: &str) {
        let outcome = match grew(self.before, self.after, name) {
            Some(n) if n > 0 => {
                let next = format!("warren list consumers{}", self.vhost_flag);
                self.found(id, Severity::Warning, &[(what, n.to_string())], fix, next);
                Some(true)
            }
            Some(_) => Some(false),
            None => None,
        };
        self.checked(id, outcome, "the queue's message counters are unknown");
    }

    fn single_active_consumer(&mut self) {
        let sac = self.after.queue.setting("single-active-consumer") == Some(&Value::Bool(true));
        let waiting = self
            .after
            .consumers
            .iter()
            .filter(|c| c.active == Some(false))
            .count();
        if sac && waiting > 0 {
            let evidence = [
                ("consumers", self.after.consumers.len().to_string()),
                ("waiting (not active)", waiting.to_string()),
            ];
            let next = format!("warren show queue {}{}", self.queue_name(), self.vhost_flag);
            self.found(
                "single-active-consumer",
                Severity::Warning,
                &evidence,
                "only one consumer receives at a time (x-single-active-consumer): more consumers \
                 add no throughput",
                next,
            );
        } else {
            self.out.passed.push("single-active-consumer");
        }
    }

    fn broker_throttling(&mut self) {
        let alarms: Vec<String> = self
            .after
            .nodes
            .iter()
            .flat_map(|n| {
                let mem = (n.mem_alarm == Some(true)).then(|| format!("{}: memory alarm", n.name));
                let disk =
                    (n.disk_free_alarm == Some(true)).then(|| format!("{}: disk alarm", n.name));
                [mem, disk].into_iter().flatten()
            })
            .collect();
        if self.after.nodes.is_empty() {
            self.checked("broker-throttling", None, "the nodes could not be read");
        } else if alarms.is_empty() {
            self.out.passed.push("broker-throttling");
        } else {
            self.found(
                "broker-throttling",
                Severity::Problem,
                &[("alarms", alarms.join("; "))],
                "the broker blocks every publisher while an alarm lasts: free memory or disk",
                "warren health".to_string(),
            );
        }
    }

    fn length_limit(&mut self) {
        let q = &self.after.queue;
        let limit = q.setting("max-length").and_then(Value::as_u64);
        let depth = self.after.depth.or(q.messages);
        match (limit, depth) {
            (Some(l), Some(d)) if d >= l => {
                let overflow = q
                    .setting("overflow")
                    .and_then(Value::as_str)
                    .unwrap_or("drop-head")
                    .to_string();
                let what = match overflow.as_str() {
                    "reject-publish" | "reject-publish-dlx" => "new messages are refused (nacked)",
                    _ => "the oldest messages are dropped (or dead-lettered) to make room",
                };
                self.found(
                    "length-limit",
                    Severity::Problem,
                    &[
                        ("depth", d.to_string()),
                        ("max-length", l.to_string()),
                        ("overflow", format!("{overflow}: {what}")),
                    ],
                    "the queue is full: consume faster, or raise the limit",
                    format!("warren show queue {}{}", self.queue_name(), self.vhost_flag),
                );
            }
            (_, None) => self.checked("length-limit", None, "the depth is unknown"),
            _ => self.out.passed.push("length-limit"),
        }
    }

    fn stream(&mut self) {
        if self.after.queue.kind == "stream" {
            self.found(
                "stream",
                Severity::Warning,
                &[("type", "stream".into())],
                "a stream keeps its messages until its retention removes them: growth is normal",
                format!("warren show queue {}{}", self.queue_name(), self.vhost_flag),
            );
        } else {
            self.out.passed.push("stream");
        }
    }
}

/// Diagnose a queue from two samples a window apart.
pub fn diagnose(before: &Sample, after: &Sample) -> Diagnosis {
    let vhost = &after.queue.vhost;
    let mut rules = Rules {
        before,
        after,
        vhost_flag: if vhost == "/" {
            String::new()
        } else {
            format!(" --vhost {vhost}")
        },
        out: Diagnosis::default(),
    };
    rules.broker_throttling();
    rules.stream();
    if after.queue.kind != "stream" {
        rules.no_consumers();
        rules.unacked_stuck();
        rules.redelivery_loop();
        rules.counted(
            "polling",
            "get",
            "basic.get in the window",
            "consumers poll with basic.get, one round trip per message: subscribe with basic.consume",
        );
        rules.counted(
            "auto-ack",
            "deliver_no_ack",
            "delivered without acks in the window",
            "consumers take messages without acking (auto-ack): a crash loses what they hold",
        );
        rules.single_active_consumer();
        rules.length_limit();
    }
    rules.out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read<T: serde::de::DeserializeOwned + Default>(dir: &str, file: &str) -> T {
        let path = format!(
            "{}/tests/fixtures/{dir}/{file}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn sample(dir: &str, n: u8) -> Sample {
        let declare: Value = read(dir, &format!("{n}-declare"));
        Sample {
            queue: read(dir, &format!("{n}-queue")),
            consumers: read(dir, &format!("{n}-consumers")),
            nodes: read(dir, &format!("{n}-nodes")),
            depth: declare["message_count"].as_u64(),
        }
    }

    /// Each captured scenario (tests/fixtures/capture-doctor.py) gets exactly its own
    /// diagnoses, on 3.10 and 4.3; the healthy busy queue none.
    #[test]
    fn each_captured_scenario_gets_its_own_diagnoses() {
        let expected: &[(&str, &[&str])] = &[
            ("healthy", &[]),
            ("no-consumers", &["no-consumers"]),
            ("holding-prefetch", &["unacked-stuck"]),
            ("requeue-loop-classic", &["redelivery-loop"]),
            ("requeue-loop-quorum", &["redelivery-loop"]),
            ("single-active-consumer", &["single-active-consumer"]),
            ("polling", &["no-consumers", "polling"]),
            ("auto-ack", &["auto-ack"]),
            ("max-length-reject", &["length-limit", "no-consumers"]),
            ("max-length-drop-head", &["length-limit", "no-consumers"]),
            ("stream", &["stream"]),
            ("memory-alarm", &["broker-throttling"]),
            // No TTL rule yet (`expiring` comes with the command): what dies of TTL here is
            // published with nobody consuming.
            ("ttl-expiring", &["no-consumers"]),
        ];
        let mut wrong = Vec::new();
        for version in ["rabbitmq-3.10.8", "rabbitmq-4.3.6"] {
            for (scenario, ids) in expected {
                let dir = format!("{version}/doctor/{scenario}");
                let d = diagnose(&sample(&dir, 1), &sample(&dir, 2));
                let mut found: Vec<&str> = d.findings.iter().map(|f| f.id).collect();
                found.sort();
                if found != *ids {
                    wrong.push(format!(
                        "{dir}: {found:?}, expected {ids:?}; not checked {:?}",
                        d.not_checked
                    ));
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
