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
    /// The held (unmatched or failed) messages fill the prefetch: nothing more can arrive.
    PrefetchFull,
    /// A copy made by this very run came back: it died again.
    OwnCopy,
    ConfirmTimeout,
    ConnectionLost,
    /// The broker cancelled the consumer (the DLQ was deleted?).
    Cancelled,
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
    /// Of the messages there at the start: all but replayed and parked.
    pub left_in_dlq: u64,
    pub stopped_by: Stop,
    pub error: Option<String>,
    pub routes: Vec<RouteReport>,
    pub by_reason: BTreeMap<String, u64>,
    pub by_origin: BTreeMap<String, u64>,
    pub by_target: BTreeMap<String, u64>,
    pub failures: Vec<Failure>,
    pub sample: Vec<Sample>,
    pub elapsed_seconds: f64,
    pub rate_per_second: f64,
}

impl Summary {
    pub fn all_done(&self) -> bool {
        self.parked == 0 && self.failed == 0 && self.unknown == 0 && self.error.is_none()
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

/// Count one more message under `key`.
pub(super) fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
    *map.entry(key.to_string()).or_default() += 1;
}

#[cfg(test)]
mod tests {
    use super::*;

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
