//! What a run of the loop reports, in types: the counts, why it stopped, where each origin's
//! messages went, and samples of failures and (in a dry run) of messages. The commands
//! (`cmd::replay`, `cmd::moving`) map it, each in one place, to what they print and to their
//! exit code.

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

/// What became of a message that was not copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Still in the queue the run takes from (the DLQ, or the source of a move).
    Left,
    /// Published to the `--on-failure park:` queue, then acked.
    Parked,
    /// Published without a confirm: still in the queue, and possibly copied too.
    Unknown,
}

/// One message that was not copied.
#[derive(Debug, Clone)]
pub struct Failure {
    pub message_id: Option<String>,
    pub origin_queue: Option<String>,
    pub reason: String,
    pub fate: Fate,
}

/// A [`Failure`] as a command lists it, its fate in the command's words.
#[derive(Debug, Clone, Serialize)]
pub struct ListedFailure {
    pub message_id: Option<String>,
    pub origin_queue: Option<String>,
    pub reason: String,
    pub fate: &'static str,
}

impl ListedFailure {
    /// Its line of a human report: `fate: message ID[ from QUEUE]: reason`, with the queue it
    /// came from where `from` (replay's DLQ holds several origins; move's source is one).
    pub fn line(&self, from: bool) -> String {
        let origin = match (from, self.origin_queue.as_deref()) {
            (false, _) => String::new(),
            (true, q) => format!(" from {}", q.unwrap_or("(unknown)")),
        };
        format!(
            "{}: message {}{origin}: {}\n",
            self.fate,
            self.message_id.as_deref().unwrap_or("(no id)"),
            self.reason
        )
    }
}

impl Failure {
    /// The failures as a command lists them (see [`Failure::listed`]).
    pub fn list(failures: Vec<Failure>, left: &'static str) -> Vec<ListedFailure> {
        failures.into_iter().map(|f| f.listed(left)).collect()
    }

    /// This failure as a command lists it: `left` names a message left in the queue
    /// (`left_in_dlq`, `left_in_source`); the other fates are `parked` and `unknown`.
    pub fn listed(self, left: &'static str) -> ListedFailure {
        ListedFailure {
            message_id: self.message_id,
            origin_queue: self.origin_queue,
            reason: self.reason,
            fate: match self.fate {
                Fate::Left => left,
                Fate::Parked => "parked",
                Fate::Unknown => "unknown",
            },
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    pub message_id: Option<String>,
    pub origin_queue: Option<String>,
    pub reason: Option<String>,
    pub target: String,
    pub body: String,
}

/// How many messages ended how.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub depth_at_start: u64,
    pub examined: u64,
    /// Dry run: messages that would be copied. Otherwise: confirmed at the target and acked
    /// in the queue.
    pub copied: u64,
    pub skipped_by_filter: u64,
    pub parked: u64,
    /// Returned, nacked, unroutable or past --max-replays: left in the queue.
    pub failed: u64,
    /// Published, but the confirm never came (or the queue's ack did not go through): the
    /// original stays in the queue and a copy may also have arrived.
    pub unknown: u64,
    /// Confirmed at the target (or the park queue), but the original could not be acked
    /// because the copy's `--export` record could not be written: in both places.
    pub in_both: u64,
    /// Of the messages there at the start: all but copied and parked.
    pub left: u64,
    /// Of `left`: messages the broker still held for this run's consumer on a lost node
    /// when the run ended, never examined after the failover. A RabbitMQ 4.3 quorum queue
    /// puts them back after `consumer_disconnected_timeout` (60 s by default), or when the
    /// node is back. Not lost: in the queue, for another run.
    pub held_for_lost_consumer: u64,
}

impl Counts {
    /// Ten messages at the start, all examined and copied (for tests).
    #[cfg(test)]
    pub(crate) const TEN_COPIED: Counts = Counts {
        depth_at_start: 10,
        examined: 10,
        copied: 10,
        skipped_by_filter: 0,
        parked: 0,
        failed: 0,
        unknown: 0,
        in_both: 0,
        left: 0,
        held_for_lost_consumer: 0,
    };

    /// Nothing parked, failed, unknown, in both places or held for a lost consumer.
    pub fn all_settled(&self) -> bool {
        self.parked == 0
            && self.failed == 0
            && self.unknown == 0
            && self.in_both == 0
            && self.held_for_lost_consumer == 0
    }
}

#[derive(Debug, Default)]
pub struct Summary {
    pub run_id: String,
    /// The queue the run took messages from.
    pub queue: String,
    pub dry_run: bool,
    pub counts: Counts,
    /// Why the run ended.
    pub stopped_by: Stop,
    /// The first error met, if any.
    pub error: Option<String>,
    pub routes: Vec<RouteReport>,
    pub by_reason: BTreeMap<String, u64>,
    pub by_origin: BTreeMap<String, u64>,
    pub by_target: BTreeMap<String, u64>,
    pub failures: Vec<Failure>,
    pub sample: Vec<Sample>,
    /// The nodes the run lost and went on after (`--uri` of each node).
    pub failovers: crate::broker::failover::Failovers,
    pub elapsed_seconds: f64,
    pub rate_per_second: f64,
}

impl Summary {
    /// Every message settled, and no error.
    pub fn all_done(&self) -> bool {
        self.counts.all_settled() && self.error.is_none()
    }

    /// The run's error when Ctrl-C stopped it (exit 130), naming what it did: `interrupted
    /// after 10 {copied}`.
    pub fn interrupted(&self, copied: &str) -> Result<(), crate::exit::Error> {
        if self.stopped_by != Stop::Interrupted {
            return Ok(());
        }
        Err(crate::exit::Error::interrupted(format!(
            "interrupted after {} {copied}",
            self.counts.copied
        )))
    }

    /// The error, if any, as the end of a sentence: ` (the error)`, or nothing.
    pub fn error_in_brackets(&self) -> String {
        self.error
            .as_deref()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default()
    }

    /// A summary of a run of `queue` that ended with `stopped_by` and `counts`.
    #[cfg(test)]
    pub(crate) fn ended(queue: &str, stopped_by: Stop, counts: Counts) -> Summary {
        Summary {
            queue: queue.into(),
            stopped_by,
            counts,
            ..Default::default()
        }
    }

    /// List a message that was not copied (the first `FAILURE_SAMPLE` of them).
    pub(super) fn failure(
        &mut self,
        message_id: Option<String>,
        origin_queue: Option<String>,
        reason: String,
        fate: Fate,
    ) {
        if self.failures.len() < FAILURE_SAMPLE {
            self.failures.push(Failure {
                message_id,
                origin_queue,
                reason,
                fate,
            });
        }
    }

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
        let mine = self.counts;
        let theirs = &mut total.counts;
        if !total.dry_run {
            let settled = mine.copied + mine.parked + theirs.copied + theirs.parked;
            let left = mine.depth_at_start.saturating_sub(settled);
            theirs.held_for_lost_consumer += left.saturating_sub(theirs.left);
            theirs.left = theirs.left.max(left);
        }
        theirs.depth_at_start = mine.depth_at_start;
        theirs.examined += mine.copied + mine.parked + mine.unknown;
        theirs.copied += mine.copied;
        theirs.parked += mine.parked;
        theirs.unknown += mine.unknown;
        theirs.in_both += mine.in_both;
        let mut failures: Vec<Failure> = self
            .failures
            .into_iter()
            .filter(|f| f.fate != Fate::Left)
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

    fn with(counts: Counts) -> Summary {
        Summary {
            counts,
            ..Default::default()
        }
    }

    /// RabbitMQ 4.3 holds a lost consumer's messages for a while: the next part starts from
    /// a smaller depth and ends without them, and they are still in the DLQ.
    #[test]
    fn messages_held_for_a_lost_consumer_are_left_in_the_dlq() {
        let lost = with(Counts {
            depth_at_start: 100,
            examined: 50,
            copied: 40,
            ..Default::default()
        });
        let next = with(Counts {
            depth_at_start: 30,
            examined: 30,
            copied: 30,
            ..Default::default()
        });
        let total = lost.then(next);
        assert_eq!((total.counts.copied, total.counts.left), (70, 30));
        assert_eq!(total.counts.held_for_lost_consumer, 30);
        assert!(!total.all_done());
    }

    #[test]
    fn a_part_lost_with_its_node_keeps_only_its_final_outcomes() {
        let mut lost = with(Counts {
            depth_at_start: 100,
            examined: 60,
            copied: 40,
            skipped_by_filter: 5,
            failed: 3,
            unknown: 12,
            ..Default::default()
        });
        lost.run_id = "r".into();
        lost.failure(None, None, "nacked".into(), Fate::Left);
        lost.failure(Some("m".into()), None, "lost".into(), Fate::Unknown);
        let mut next = with(Counts {
            depth_at_start: 60,
            examined: 60,
            copied: 52,
            skipped_by_filter: 5,
            failed: 3,
            left: 8,
            ..Default::default()
        });
        next.run_id = "r".into();
        let total = lost.then(next);
        let c = total.counts;
        assert_eq!(c.depth_at_start, 100);
        assert_eq!(c.copied, 92);
        assert_eq!(c.unknown, 12);
        // Skipped and failed messages went back and were counted again by the next part.
        assert_eq!((c.skipped_by_filter, c.failed), (5, 3));
        assert_eq!(c.examined, 60 + 40 + 12);
        assert_eq!(c.left, 8);
        assert_eq!(total.failures.len(), 1);
        assert_eq!(total.failures[0].fate, Fate::Unknown);
        assert!(!total.all_done());
    }

    #[test]
    fn failures_are_listed_up_to_the_sample_size() {
        let mut summary = Summary::default();
        for i in 0..FAILURE_SAMPLE + 3 {
            summary.failure(Some(format!("m{i}")), None, "nacked".into(), Fate::Left);
        }
        assert_eq!(summary.failures.len(), FAILURE_SAMPLE);
        assert_eq!(summary.failures[0].message_id.as_deref(), Some("m0"));
        assert_eq!(summary.failures[0].fate, Fate::Left);
    }

    #[test]
    fn a_failure_is_listed_in_the_words_of_its_command() {
        let failure = Failure {
            message_id: Some("m".into()),
            origin_queue: None,
            reason: "nacked".into(),
            fate: Fate::Left,
        };
        let listed = failure.listed("left_in_source");
        assert_eq!(listed.fate, "left_in_source");
        assert_eq!(listed.message_id.as_deref(), Some("m"));
    }

    #[test]
    fn all_done_means_nothing_parked_failed_unknown_or_broken() {
        assert!(Summary::default().all_done());
        let one = Counts::default();
        for broken in [
            with(Counts { parked: 1, ..one }),
            with(Counts { failed: 1, ..one }),
            with(Counts { unknown: 1, ..one }),
            with(Counts { in_both: 1, ..one }),
            with(Counts {
                held_for_lost_consumer: 1,
                ..one
            }),
            Summary {
                error: Some("lost".into()),
                ..Default::default()
            },
        ] {
            assert!(!broken.all_done());
        }
    }
}
