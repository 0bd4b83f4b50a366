//! What a replay run reports: the counts, why it stopped, where each origin's messages went,
//! and samples of failures and (in a dry run) of messages. `cmd::replay` renders it.

use std::collections::BTreeMap;

use serde::Serialize;

use super::origin::Route;

/// At most this many failures are listed; the counts cover them all.
pub(super) const FAILURE_SAMPLE: usize = 50;
/// A dry run shows this many messages.
pub(super) const SAMPLE: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// Every message present at the start was examined.
    #[default]
    Depth,
    Limit,
    /// No message arrived for a while: the DLQ held fewer messages than at the start.
    Drained,
    Interrupted,
    /// `--on-failure abort` met a failure.
    Aborted,
    /// A copy made by this very run came back: it died again.
    OwnCopy,
    ConfirmTimeout,
    ConnectionLost,
    /// The broker cancelled the consumer (the DLQ was deleted?).
    Cancelled,
    /// Writing or syncing the `--export` file failed (a full disk): the copies not yet
    /// written are at the target and their originals still in the DLQ.
    ExportFailed,
}

impl std::fmt::Display for Stop {
    /// The name `-o json` gives it (`connection_lost`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = serde_json::to_value(self).ok();
        f.write_str(name.as_ref().and_then(|v| v.as_str()).unwrap_or("unknown"))
    }
}

/// Where messages from one origin went, and why.
#[derive(Debug, Clone, Serialize)]
pub struct RouteReport {
    pub origin_queue: Option<String>,
    pub route: Option<Route>,
    pub why: String,
    pub messages: u64,
}

/// One message that was not replayed.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub message_id: Option<String>,
    pub origin_queue: Option<String>,
    pub reason: String,
    /// `left_in_dlq`, `parked` or `unknown`.
    pub fate: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    pub message_id: Option<String>,
    pub origin_queue: Option<String>,
    pub reason: Option<String>,
    pub target: String,
    pub body: String,
}

#[derive(Debug, Serialize, Default)]
pub struct Summary {
    pub run_id: String,
    pub dlq: String,
    pub dry_run: bool,
    pub depth_at_start: u64,
    pub examined: u64,
    /// Dry run: messages that would be replayed. Otherwise: confirmed at the target and
    /// acked in the DLQ.
    pub replayed: u64,
    pub skipped_by_filter: u64,
    pub parked: u64,
    /// Returned, nacked, unroutable or past --max-replays: left in the DLQ.
    pub failed: u64,
    /// Published, but the confirm never came (or the DLQ ack did not go through): the
    /// original stays in the DLQ and a copy may also have arrived.
    pub unknown: u64,
    /// Confirmed at the target (or the park queue), but the original could not be acked
    /// because the copy's `--export` record could not be written: in both places.
    pub in_both: u64,
    /// Of the messages there at the start: all but replayed and parked.
    pub left_in_dlq: u64,
    /// Of `left_in_dlq`: messages the broker still held for this run's consumer on a lost
    /// node when the run ended, never examined after the failover. A RabbitMQ 4.3 quorum
    /// queue puts them back after `consumer_disconnected_timeout` (60 s by default), or when
    /// the node is back. Not lost: in the DLQ, for another run.
    pub held_for_lost_consumer: u64,
    pub stopped_by: Stop,
    pub error: Option<String>,
    pub routes: Vec<RouteReport>,
    pub by_reason: BTreeMap<String, u64>,
    pub by_origin: BTreeMap<String, u64>,
    pub by_target: BTreeMap<String, u64>,
    pub failures: Vec<Failure>,
    pub sample: Vec<Sample>,
    /// The nodes the run lost and went on after (`--uri` of each node).
    #[serde(flatten)]
    pub failovers: crate::broker::failover::Failovers,
    pub elapsed_seconds: f64,
    pub rate_per_second: f64,
}

impl Summary {
    pub fn all_done(&self) -> bool {
        self.parked == 0
            && self.failed == 0
            && self.unknown == 0
            && self.in_both == 0
            && self.held_for_lost_consumer == 0
            && self.error.is_none()
    }

    /// List a message that was not replayed (the first `FAILURE_SAMPLE` of them).
    pub(super) fn failure(
        &mut self,
        message_id: Option<String>,
        origin_queue: Option<String>,
        reason: String,
        fate: &str,
    ) {
        if self.failures.len() < FAILURE_SAMPLE {
            self.failures.push(Failure {
                message_id,
                origin_queue,
                reason,
                fate: fate.into(),
            });
        }
    }
}

impl Summary {
    /// The whole run from `self`, a part that ended when its node was lost, and `next`, the
    /// part that went on on another node. The broker puts back everything the lost part left
    /// unacked (skipped by a filter, failed, in flight), and `next` examines it again, so
    /// only the lost part's final outcomes carry over: replayed, parked, and unknown (the
    /// copy may have arrived before the original was replayed again: a possible duplicate).
    /// What is left in the DLQ is counted from the first depth and the totals, not taken
    /// from `next`: a RabbitMQ 4.3 quorum queue holds the messages of a consumer on a lost
    /// node for `consumer_disconnected_timeout` (60 s by default) before it puts them back,
    /// so `next` may end without having seen them, and they are still in the DLQ.
    pub fn then(self, next: Summary) -> Summary {
        let mut total = next;
        total.run_id = self.run_id;
        if !total.dry_run {
            let settled = self.replayed + self.parked + total.replayed + total.parked;
            let left = self.depth_at_start.saturating_sub(settled);
            total.held_for_lost_consumer += left.saturating_sub(total.left_in_dlq);
            total.left_in_dlq = total.left_in_dlq.max(left);
        }
        total.depth_at_start = self.depth_at_start;
        total.examined += self.replayed + self.parked + self.unknown;
        total.replayed += self.replayed;
        total.parked += self.parked;
        total.unknown += self.unknown;
        total.in_both += self.in_both;
        let mut failures: Vec<Failure> = self
            .failures
            .into_iter()
            .filter(|f| f.fate != "left_in_dlq")
            .collect();
        failures.append(&mut total.failures);
        failures.truncate(FAILURE_SAMPLE);
        total.failures = failures;
        for route in self.routes {
            match total
                .routes
                .iter_mut()
                .find(|r| r.origin_queue == route.origin_queue && r.route == route.route)
            {
                Some(r) => r.messages += route.messages,
                None => total.routes.push(route),
            }
        }
        for (mine, theirs) in [
            (self.by_reason, &mut total.by_reason),
            (self.by_origin, &mut total.by_origin),
            (self.by_target, &mut total.by_target),
        ] {
            for (k, v) in mine {
                *theirs.entry(k).or_default() += v;
            }
        }
        total
    }
}

/// Count one more message under `key`.
pub(super) fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
    // The key is copied only the first time: this runs three times per replayed message.
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(key.to_string(), 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RabbitMQ 4.3 holds a lost consumer's messages for a while: the next part starts from
    /// a smaller depth and ends without them, and they are still in the DLQ.
    #[test]
    fn messages_held_for_a_lost_consumer_are_left_in_the_dlq() {
        let lost = Summary {
            depth_at_start: 100,
            examined: 50,
            replayed: 40,
            ..Default::default()
        };
        let next = Summary {
            depth_at_start: 30,
            examined: 30,
            replayed: 30,
            ..Default::default()
        };
        let total = lost.then(next);
        assert_eq!((total.replayed, total.left_in_dlq), (70, 30));
        assert_eq!(total.held_for_lost_consumer, 30);
        assert!(!total.all_done());
    }

    #[test]
    fn a_part_lost_with_its_node_keeps_only_its_final_outcomes() {
        let mut lost = Summary {
            run_id: "r".into(),
            depth_at_start: 100,
            examined: 60,
            replayed: 40,
            skipped_by_filter: 5,
            failed: 3,
            unknown: 12,
            ..Default::default()
        };
        lost.failure(None, None, "nacked".into(), "left_in_dlq");
        lost.failure(Some("m".into()), None, "lost".into(), "unknown");
        let next = Summary {
            run_id: "r".into(),
            depth_at_start: 60,
            examined: 60,
            replayed: 52,
            skipped_by_filter: 5,
            failed: 3,
            left_in_dlq: 8,
            ..Default::default()
        };
        let total = lost.then(next);
        assert_eq!(total.depth_at_start, 100);
        assert_eq!(total.replayed, 92);
        assert_eq!(total.unknown, 12);
        // Skipped and failed messages went back and were counted again by the next part.
        assert_eq!((total.skipped_by_filter, total.failed), (5, 3));
        assert_eq!(total.examined, 60 + 40 + 12);
        assert_eq!(total.left_in_dlq, 8);
        assert_eq!(total.failures.len(), 1);
        assert_eq!(total.failures[0].fate, "unknown");
        assert!(!total.all_done());
    }

    #[test]
    fn failures_are_listed_up_to_the_sample_size() {
        let mut summary = Summary::default();
        for i in 0..FAILURE_SAMPLE + 3 {
            summary.failure(Some(format!("m{i}")), None, "nacked".into(), "left_in_dlq");
        }
        assert_eq!(summary.failures.len(), FAILURE_SAMPLE);
        assert_eq!(summary.failures[0].message_id.as_deref(), Some("m0"));
        assert_eq!(summary.failures[0].fate, "left_in_dlq");
    }

    #[test]
    fn all_done_means_nothing_parked_failed_unknown_or_broken() {
        assert!(Summary::default().all_done());
        for broken in [
            Summary {
                parked: 1,
                ..Default::default()
            },
            Summary {
                failed: 1,
                ..Default::default()
            },
            Summary {
                unknown: 1,
                ..Default::default()
            },
            Summary {
                error: Some("lost".into()),
                ..Default::default()
            },
        ] {
            assert!(!broken.all_done());
        }
    }
}
