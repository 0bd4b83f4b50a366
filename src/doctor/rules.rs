//! doctor's rules, one method each, over two samples a window apart.
//!
//! The management API refreshes a queue's counters every `collect_statistics_interval` (5 s
//! by default), so a counter that did not move within a short window may only be stale.
//! "Something happened" reads the counter's growth, or failing that the broker's own rate
//! (`<counter>_details.rate`); "nothing happened" needs both to be zero.

use serde_json::Value;

use super::{Diagnosis, Evidence, Finding, NotChecked, Sample, Severity};
use crate::broker::api::{Consumer, consumer_capacity_known, major_minor};

/// A cumulative counter of the queue's `message_stats` (`publish`, `ack`, ...). The API
/// lists a counter once it has counted something: with statistics on, a missing one (or a
/// missing `message_stats`, on a queue that never counted anything) is 0; with statistics
/// off it is unknown.
fn counter(s: &Sample, name: &str) -> Option<u64> {
    match s.queue.message_stats.as_object() {
        Some(stats) => Some(stats.get(name).and_then(Value::as_u64).unwrap_or(0)),
        None => s.queue.messages_details.is_some().then_some(0),
    }
}

/// The broker's own rate of a counter, per second, at a sample.
fn broker_rate(s: &Sample, name: &str) -> Option<f64> {
    let Some(stats) = s.queue.message_stats.as_object() else {
        return s.queue.messages_details.is_some().then_some(0.0);
    };
    Some(
        stats
            .get(&format!("{name}_details"))
            .and_then(|d| d["rate"].as_f64())
            .unwrap_or(0.0),
    )
}

fn rate_text(per_second: f64) -> String {
    if per_second == 0.0 || per_second >= 10.0 {
        format!("{per_second:.0}/s")
    } else {
        format!("{per_second:.1}/s")
    }
}

fn or_unknown<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "unknown".to_string(), |v| v.to_string())
}

pub(super) struct Rules<'a> {
    before: &'a Sample,
    after: &'a Sample,
    window: f64,
    vhost_flag: String,
    out: Diagnosis,
}

pub(super) fn run(before: &Sample, after: &Sample, window: f64) -> Diagnosis {
    let vhost = &after.queue.vhost;
    let mut rules = Rules {
        before,
        after,
        window: window.max(0.001),
        vhost_flag: if vhost == "/" || vhost.is_empty() {
            String::new()
        } else {
            format!(" --vhost {vhost}")
        },
        out: Diagnosis::default(),
    };
    rules.unavailable();
    rules.broker_throttling();
    rules.stream();
    if after.queue.kind != "stream" {
        rules.no_consumers();
        rules.unacked_stuck();
        rules.consumers_saturated();
        rules.prefetch_starved();
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
        rules.expiring();
        rules.routing();
    }
    rules.out
}

/// The status line: type, where it lives, depth and trend, rates, consumers and prefetch.
pub(super) fn status_line(before: &Sample, after: &Sample, window: f64) -> String {
    let q = &after.queue;
    let mut place = match (&q.leader, &q.members) {
        (Some(leader), Some(members)) => format!(
            "leader {leader}, {} of {} members online",
            q.online
                .as_ref()
                .map_or("?".into(), |o| o.len().to_string()),
            members.len()
        ),
        _ => format!("on {}", q.node.as_deref().unwrap_or("unknown node")),
    };
    if q.kind.is_empty() {
        place = "type unknown".into();
    }
    let trend = match (before.depth, after.depth) {
        (Some(b), Some(a)) => {
            let per_second = (a as f64 - b as f64) / window.max(0.001);
            format!("ready {b} -> {a} ({per_second:+.1}/s)")
        }
        (_, a) => format!("ready {}", or_unknown(a)),
    };
    let per_second = |name: &str| match (counter(before, name), counter(after, name)) {
        (Some(b), Some(a)) => rate_text(a.saturating_sub(b) as f64 / window.max(0.001)),
        _ => "unknown".into(),
    };
    let prefetch: Vec<String> = after
        .consumers
        .iter()
        .map(|c| or_unknown(c.prefetch_count))
        .collect();
    format!(
        "queue {} (vhost {}): {} {place}; {trend}, unacked {}; in {}, delivered {}, acked {}; \
         consumers {}{}",
        q.name,
        q.vhost,
        if q.kind.is_empty() { "?" } else { &q.kind },
        or_unknown(q.messages_unacknowledged),
        per_second("publish"),
        per_second("deliver_get"),
        per_second("ack"),
        or_unknown(q.consumers),
        if prefetch.is_empty() {
            String::new()
        } else {
            format!(" (prefetch {})", prefetch.join(", "))
        }
    )
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
            evidence: Evidence(
                evidence
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect(),
            ),
            fix: fix.to_string(),
            next,
        });
    }

    /// Record a check: `Some(true)` found (already pushed), `Some(false)` passed, `None`
    /// not checked with `why`.
    fn checked(&mut self, id: &'static str, outcome: Option<bool>, why: &str) {
        match outcome {
            Some(false) => self.out.passed.push(id),
            None => self.out.not_checked.push(NotChecked {
                id,
                reason: why.to_string(),
            }),
            Some(true) => {}
        }
    }

    fn queue_name(&self) -> &str {
        &self.after.queue.name
    }

    fn next(&self, command: &str) -> String {
        let name = self.queue_name();
        let quoted = if name.contains(|c: char| c.is_whitespace() || "'\"$`\\".contains(c)) {
            format!("'{}'", name.replace('\'', r"'\''"))
        } else {
            name.to_string()
        };
        format!("warren {command} {quoted}{}", self.vhost_flag)
    }

    /// How much a counter grew across the window; unknown when either end is.
    fn grew(&self, name: &str) -> Option<u64> {
        Some(counter(self.after, name)?.saturating_sub(counter(self.before, name)?))
    }

    /// How many times it happened in the window: the growth, or when the counter did not
    /// move (stale within a short window), the broker's rate over the window.
    fn happened(&self, name: &str) -> Option<u64> {
        let grew = self.grew(name)?;
        if grew > 0 {
            return Some(grew);
        }
        let rate = broker_rate(self.after, name)?;
        Some((rate * self.window).round() as u64)
    }

    /// Per second in the window, as [`Self::happened`].
    fn rate(&self, name: &str) -> Option<f64> {
        Some(self.happened(name)? as f64 / self.window)
    }

    /// Consumers the broker delivers to (single active consumer: the active one), and of
    /// them those that ack.
    fn active_consumers(&self) -> (Vec<&Consumer>, Vec<&Consumer>) {
        let active: Vec<&Consumer> = self
            .after
            .consumers
            .iter()
            .filter(|c| c.active != Some(false))
            .collect();
        let acking = active
            .iter()
            .copied()
            .filter(|c| c.ack_required == Some(true))
            .collect();
        (active, acking)
    }

    fn broker_major(&self) -> Option<u32> {
        major_minor(&self.after.version).map(|(major, _)| major)
    }

    fn unavailable(&mut self) {
        let q = &self.after.queue;
        let mut evidence: Vec<(&str, String)> = Vec::new();
        let mut fix = "";
        if let (Some(members), Some(online)) = (&q.members, &q.online) {
            let majority = members.len() / 2 + 1;
            if online.len() < majority {
                evidence.push((
                    "members online",
                    format!("{} of {}", online.len(), members.len()),
                ));
                evidence.push(("needed", majority.to_string()));
                fix = "the queue has lost its majority and takes no publishes or deliveries: \
                       bring its members' nodes back";
            } else if q.kind == "quorum" && q.leader.as_deref().is_none_or(str::is_empty) {
                evidence.push(("leader", "none".into()));
                fix = "no leader is elected: check the members' nodes and their network";
            }
        } else if let Some(state) = q
            .state
            .as_deref()
            .filter(|s| ["down", "crashed", "stopped", "minority"].contains(s))
        {
            evidence.push(("state", state.to_string()));
            fix = "the queue is not running: bring its node back (`warren health`)";
        }
        if evidence.is_empty()
            && let Some(node) = self.hosting_node_down()
        {
            evidence.push(("node", format!("{node} is not running")));
            fix = "the queue's node is down: bring it back";
        }
        if !evidence.is_empty() {
            self.found(
                "unavailable",
                Severity::Problem,
                &evidence,
                fix,
                "warren health".into(),
            );
            return;
        }
        if let Some(node) = self.hosting_node_drained() {
            self.found(
                "unavailable",
                Severity::Warning,
                &[(
                    "node",
                    format!("{node} is being drained (maintenance mode)"),
                )],
                "the node is in maintenance mode: its clients move elsewhere until it is revived",
                "warren health".into(),
            );
            return;
        }
        let known = q.state.is_some() || q.members.is_some();
        self.checked(
            "unavailable",
            known.then_some(false),
            "the queue's state is unknown",
        );
    }

    /// The hosting node (a classic queue's, a quorum queue's leader's) when it is listed as
    /// not running.
    fn hosting_node_down(&self) -> Option<String> {
        let host = self
            .after
            .queue
            .leader
            .as_ref()
            .or(self.after.queue.node.as_ref())?;
        let node = self.after.nodes.iter().find(|n| &n.name == host)?;
        (node.running == Some(false)).then(|| host.clone())
    }

    fn hosting_node_drained(&self) -> Option<String> {
        let host = self
            .after
            .queue
            .leader
            .as_ref()
            .or(self.after.queue.node.as_ref())?;
        let node = self.after.nodes.iter().find(|n| &n.name == host)?;
        (node.being_drained == Some(true)).then(|| host.clone())
    }

    fn no_consumers(&mut self) {
        let q = &self.after.queue;
        let consumers = self.after_consumers();
        let published = self.happened("publish");
        let waiting = self.after.depth.or(q.messages_ready);
        // Messages taken by basic.get have a reader: that is `polling`'s to say.
        let polled = self.happened("get").is_some_and(|g| g > 0);
        let outcome = match (consumers, published, waiting) {
            (Some(0), _, _) if polled => Some(false),
            (Some(0), p, w) if p.is_some_and(|p| p > 0) || w.is_some_and(|w| w > 0) => {
                let mut evidence = vec![
                    ("consumers", "0".to_string()),
                    ("published in the window", or_unknown(p)),
                    ("ready", or_unknown(w)),
                ];
                if let Some(since) = &q.idle_since {
                    evidence.push(("idle since", since.clone()));
                }
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
            (Some(_), _, _) => Some(false),
            _ => None,
        };
        self.checked("no-consumers", outcome, "the consumer count is unknown");
    }

    /// Consumers by the passive declare at the end, or the API's count.
    fn after_consumers(&self) -> Option<u64> {
        self.after.queue.consumers
    }

    /// Unacked messages, and neither an ack nor a delivery in the whole window: the
    /// consumers hold what they have and take nothing more. (The unacked count at the start
    /// is not asked for: the API's lags a sample behind.)
    fn unacked_stuck(&mut self) {
        let unacked = self.after.queue.messages_unacknowledged;
        let acked = self.happened("ack");
        let delivered = self.happened("deliver");
        let outcome = match (unacked, acked, delivered) {
            (Some(u), Some(0), Some(0)) if u > 0 => {
                let holders: Vec<String> = self
                    .after
                    .consumers
                    .iter()
                    .filter(|c| c.ack_required == Some(true))
                    .map(|c| format!("{} on {}", c.consumer_tag, c.channel_details.name))
                    .collect();
                let timeout = self
                    .after
                    .consumers
                    .iter()
                    .find_map(|c| c.consumer_timeout)
                    .map(|ms| {
                        format!(
                            "{}",
                            humantime::format_duration(std::time::Duration::from_millis(ms))
                        )
                    });
                let enforced = match (
                    self.after.queue.kind.as_str(),
                    major_minor(&self.after.version),
                ) {
                    ("classic", Some(v)) if v >= (4, 3) => {
                        "not enforced: classic queues stop evaluating the consumer timeout from \
                         RabbitMQ 4.3, so nothing will redeliver them"
                    }
                    _ => {
                        "past it the broker cancels the consumer (or closes its channel) and \
                          requeues what it holds"
                    }
                };
                let evidence = [
                    ("unacknowledged", u.to_string()),
                    ("acks and deliveries in the window", "0".to_string()),
                    (
                        "held by",
                        if holders.is_empty() {
                            "unknown".into()
                        } else {
                            holders.join("; ")
                        },
                    ),
                    (
                        "consumer timeout",
                        format!(
                            "{}: {enforced}",
                            timeout.unwrap_or_else(|| "not listed".into())
                        ),
                    ),
                ];
                let next = format!("warren list consumers{}", self.vhost_flag);
                self.found(
                    "unacked-stuck",
                    Severity::Problem,
                    &evidence,
                    "the consumer holds messages without acking: fix or restart it",
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

    /// Every active consumer's prefetch in use, and acks slower than publishes.
    fn consumers_saturated(&mut self) {
        let (_, acking) = self.active_consumers();
        let prefetch: Option<u64> = acking.iter().map(|c| c.prefetch_count).sum();
        let unacked = self.after.queue.messages_unacknowledged;
        let (published, acked) = (self.rate("publish"), self.rate("ack"));
        let outcome = match (
            prefetch,
            unacked,
            published,
            acked,
            self.before.depth,
            self.after.depth,
        ) {
            (_, _, _, _, _, _) if acking.is_empty() => Some(false),
            (Some(p), Some(u), Some(inp), Some(out), Some(d0), Some(d1))
                if p > 0 && !acking.iter().any(|c| c.prefetch_count == Some(0)) =>
            {
                if u * 10 >= p * 9 && out > 0.0 && out < inp && d1 > d0 {
                    let growth = (d1 - d0) as f64 / self.window;
                    let evidence = [
                        ("unacknowledged", u.to_string()),
                        ("prefetch of the active consumers", p.to_string()),
                        ("in", rate_text(inp)),
                        ("acked", rate_text(out)),
                        ("growth", format!("{growth:+.1}/s")),
                        (
                            "time to drain",
                            "never (acks are slower than publishes)".into(),
                        ),
                    ];
                    self.found(
                        "consumers-saturated",
                        Severity::Problem,
                        &evidence,
                        "the consumers work at their limit: add consumers, or make each faster",
                        format!("warren list consumers{}", self.vhost_flag),
                    );
                    Some(true)
                } else {
                    Some(false)
                }
            }
            (_, _, _, _, _, _) if acking.iter().any(|c| c.prefetch_count == Some(0)) => Some(false),
            _ => None,
        };
        self.checked(
            "consumers-saturated",
            outcome,
            "the prefetch, the unacked count, the rates or the depth are unknown",
        );
    }

    /// A prefetch of 1 or 2 with messages waiting while the queue could deliver at once
    /// only a small share of the time: the consumers wait on round trips.
    fn prefetch_starved(&mut self) {
        let (active, acking) = self.active_consumers();
        let small: Vec<&Consumer> = acking
            .into_iter()
            .filter(|c| matches!(c.prefetch_count, Some(1..=2)))
            .collect();
        if small.is_empty() || small.len() != active.len() {
            self.out.passed.push("prefetch-starved");
            return;
        }
        let q = &self.after.queue;
        if !consumer_capacity_known(&self.after.version, &q.kind) {
            self.checked(
                "prefetch-starved",
                None,
                "this version reports no consumer capacity for quorum queues (4.3.1 and later give 0)",
            );
            return;
        }
        let outcome = match (q.consumer_capacity, self.after.depth) {
            (Some(capacity), Some(ready)) if ready > 0 && capacity < 0.5 => {
                let evidence = [
                    ("prefetch", or_unknown(small[0].prefetch_count)),
                    ("consumer capacity", format!("{:.0}%", capacity * 100.0)),
                    ("ready", ready.to_string()),
                ];
                self.found(
                    "prefetch-starved",
                    Severity::Warning,
                    &evidence,
                    "a prefetch of 1-2 makes each consumer wait a round trip per message: raise it \
                     (e.g. 50-300)",
                    format!("warren list consumers{}", self.vhost_flag),
                );
                Some(true)
            }
            (Some(_), Some(_)) => Some(false),
            _ => None,
        };
        self.checked(
            "prefetch-starved",
            outcome,
            "the consumer capacity or the depth is unknown",
        );
    }

    fn redelivery_loop(&mut self) {
        let delivered = self.happened("deliver");
        let redelivered = self.happened("redeliver");
        let outcome = match (delivered, redelivered) {
            (Some(d), Some(r)) if d > 0 && r * 2 > d => {
                let q = &self.after.queue;
                let mut evidence = vec![
                    ("delivered in the window", d.to_string()),
                    ("of them redelivered", r.to_string()),
                ];
                if q.kind == "quorum" {
                    let limit = self
                        .broker_major()
                        .and_then(|major| crate::broker::queue::delivery_limit(q, major));
                    let past = match (
                        limit,
                        q.setting("dead-letter-exchange").and_then(Value::as_str),
                    ) {
                        (None, _) => "none: a poison message is redelivered forever".to_string(),
                        (Some(l), Some(dlx)) => {
                            format!("{l}: past it a message is dead-lettered to `{dlx}`")
                        }
                        (Some(l), None) => {
                            format!(
                                "{l}: past it a message is dropped silently (no dead-letter exchange)"
                            )
                        }
                    };
                    evidence.push(("delivery limit", past));
                }
                let next = self.next("peek") + " -n 5";
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
        let outcome = match self.happened(name) {
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

    /// With `x-single-active-consumer` only one consumer receives, whatever the others'
    /// listing says (the API may list a new one as active for a stats interval).
    fn single_active_consumer(&mut self) {
        let sac = self.after.queue.setting("single-active-consumer") == Some(&Value::Bool(true));
        let consumers = self
            .after
            .queue
            .consumers
            .unwrap_or(0)
            .max(self.after.consumers.len() as u64);
        if sac && consumers > 1 {
            let active = self
                .after
                .consumers
                .iter()
                .find(|c| c.active == Some(true))
                .map_or("unknown".to_string(), |c| c.consumer_tag.clone());
            let evidence = [
                ("consumers", consumers.to_string()),
                ("waiting (not active)", (consumers - 1).to_string()),
                ("active", active),
            ];
            let next = self.next("show queue");
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
        let mut evidence: Vec<(&str, String)> = Vec::new();
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
        if !alarms.is_empty() {
            evidence.push(("alarms", alarms.join("; ")));
        }
        let held: Vec<String> = self
            .after
            .connections
            .iter()
            .filter_map(|c| {
                let state = c.state.as_deref()?;
                ["blocked", "blocking", "flow"]
                    .contains(&state)
                    .then(|| format!("{} ({state})", c.name))
            })
            .collect();
        if !held.is_empty() {
            evidence.push(("connections", held.join("; ")));
        }
        if self.after.queue.state.as_deref() == Some("flow") {
            evidence.push(("queue state", "flow".into()));
        }
        if !evidence.is_empty() {
            let problem = !alarms.is_empty() || held.iter().any(|h| h.contains("(blocked)"));
            self.found(
                "broker-throttling",
                if problem {
                    Severity::Problem
                } else {
                    Severity::Warning
                },
                &evidence,
                "an alarm blocks every publisher until memory or disk is freed; flow control \
                 slows publishers the queue can't keep up with",
                "warren health alarms".to_string(),
            );
        } else if self.after.nodes.is_empty() {
            let why = format!(
                "the nodes could not be read: {}",
                self.after.nodes_error.as_deref().unwrap_or("none listed")
            );
            self.checked("broker-throttling", None, &why);
        } else {
            self.out.passed.push("broker-throttling");
        }
    }

    fn length_limit(&mut self) {
        let q = &self.after.queue;
        let limit = q.setting("max-length").and_then(Value::as_u64);
        let depth = self.after.depth.or(q.messages_ready);
        match (limit, depth) {
            (Some(l), Some(d)) if d >= l => {
                let overflow = q
                    .setting("overflow")
                    .and_then(Value::as_str)
                    .unwrap_or("drop-head")
                    .to_string();
                let what = match overflow.as_str() {
                    "reject-publish" | "reject-publish-dlx" => {
                        "new messages are refused (nacked to publishers that confirm)"
                    }
                    _ if q.setting("dead-letter-exchange").is_some() => {
                        "the oldest messages are dead-lettered to make room"
                    }
                    _ => "the oldest messages are dropped to make room (lost)",
                };
                let next = self.next("show queue");
                self.found(
                    "length-limit",
                    Severity::Problem,
                    &[
                        ("ready", d.to_string()),
                        ("max-length", l.to_string()),
                        ("overflow", format!("{overflow}: {what}")),
                    ],
                    "the queue is full: consume faster, or raise the limit",
                    next,
                );
            }
            (_, None) => self.checked("length-limit", None, "the depth is unknown"),
            _ => self.out.passed.push("length-limit"),
        }
    }

    /// Messages leave without being delivered while a TTL applies: published minus
    /// delivered minus the depth's growth (by passive declare) died of TTL.
    fn expiring(&mut self) {
        let ttl = self
            .after
            .queue
            .setting("message-ttl")
            .and_then(Value::as_u64);
        let Some(ttl) = ttl else {
            self.out.passed.push("expiring");
            return;
        };
        let taken = match (
            self.happened("deliver_get"),
            self.happened("deliver"),
            self.happened("get"),
        ) {
            (Some(all), _, _) if all > 0 => Some(all),
            (_, Some(d), Some(g)) => Some(d + g),
            _ => None,
        };
        let outcome = match (
            self.happened("publish"),
            taken,
            self.before.depth,
            self.after.depth,
        ) {
            (Some(p), Some(t), Some(d0), Some(d1)) => {
                let left = p as i64 - t as i64 - (d1 as i64 - d0 as i64);
                if left > 0 && left as u64 * 10 >= p.max(1) {
                    let dead_letter = match self
                        .after
                        .queue
                        .setting("dead-letter-exchange")
                        .and_then(Value::as_str)
                    {
                        Some(dlx) => format!("dead-lettered to `{dlx}`"),
                        None => "dropped (no dead-letter exchange)".into(),
                    };
                    let evidence = [
                        ("message-ttl", format!("{ttl} ms")),
                        ("published in the window", p.to_string()),
                        ("taken by consumers", t.to_string()),
                        ("expired (about)", format!("{left}: {dead_letter}")),
                    ];
                    let next = self.next("show queue");
                    self.found(
                        "expiring",
                        Severity::Warning,
                        &evidence,
                        "messages die of TTL before a consumer takes them: consume faster or \
                         raise the TTL, if they matter",
                        next,
                    );
                    Some(true)
                } else {
                    Some(false)
                }
            }
            _ => None,
        };
        self.checked("expiring", outcome, "the counters or the depth are unknown");
    }

    /// The exchanges bound to the queue received publishes, the queue none.
    fn routing(&mut self) {
        let (Some(before), Some(after)) = (&self.before.sources, &self.after.sources) else {
            self.checked("routing", None, "the queue's bindings could not be read");
            return;
        };
        let busy: Vec<String> = after
            .iter()
            .filter_map(|a| {
                let b = before.iter().find(|b| b.exchange == a.exchange)?;
                let grew = a.published_in?.checked_sub(b.published_in?)?;
                (grew > 0).then(|| format!("{} (+{grew})", a.exchange))
            })
            .collect();
        let outcome = match self.happened("publish") {
            Some(0) if !busy.is_empty() => {
                let exchange = busy[0].rsplit_once(" (+").map_or("", |(name, _)| name);
                let next = format!("warren route {exchange} KEY{}", self.vhost_flag);
                self.found(
                    "routing",
                    Severity::Warning,
                    &[
                        ("bound exchanges that received publishes", busy.join(", ")),
                        ("routed to this queue", "0".into()),
                    ],
                    "publishes reach the exchanges but no binding routes them here: check the \
                     routing keys or headers against the bindings",
                    next,
                );
                Some(true)
            }
            Some(_) => Some(false),
            None => None,
        };
        self.checked("routing", outcome, "the queue's publish counter is unknown");
    }

    fn stream(&mut self) {
        let q = &self.after.queue;
        if q.kind == "stream" {
            let retention = [
                "max-age",
                "max-length-bytes",
                "stream-max-segment-size-bytes",
            ]
            .iter()
            .filter_map(|k| q.setting(k).map(|v| format!("{k} {v}")))
            .collect::<Vec<_>>();
            let next = self.next("show queue");
            self.found(
                "stream",
                Severity::Warning,
                &[
                    ("type", "stream".into()),
                    ("messages", or_unknown(q.messages)),
                    (
                        "retention",
                        if retention.is_empty() {
                            "none set (kept forever)".into()
                        } else {
                            retention.join(", ")
                        },
                    ),
                ],
                "a stream keeps its messages until its retention removes them: growth is normal",
                next,
            );
        } else {
            self.out.passed.push("stream");
        }
    }
}
