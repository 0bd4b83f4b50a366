//! Going on after losing a node: a run given the `--uri` of several nodes of a cluster
//! reconnects to the next node that answers and resumes there. Each command decides what its
//! messages in flight become (consume: delivered again; publish: unknown; replay: replayed
//! again); this is the one place for the policy, the attempts and what is reported.

use std::time::Instant;

use anyhow::Result;
use serde::Serialize;

use super::amqp::{self, Session};
use super::settings::Settings;
use crate::exit::Error;

/// How many times one run may lose its node and go on on another.
pub const MAX_RECONNECTS: u64 = 10;

/// What a run reports about the nodes it lost.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Failovers {
    /// Times the run lost its node and went on on another.
    pub reconnects: u64,
    /// The longest time, in seconds, from noticing the loss of a node to being connected to
    /// the next one. Absent when no node was lost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longest_reconnect_seconds: Option<f64>,
}

impl Failovers {
    /// Add a later part's record (a part of a run that itself went on elsewhere).
    pub fn absorb(&mut self, other: &Failovers) {
        self.reconnects += other.reconnects;
        self.longest_reconnect_seconds = match (
            self.longest_reconnect_seconds,
            other.longest_reconnect_seconds,
        ) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }

    /// The sentence a human summary ends with, when a node was lost.
    pub fn human(&self) -> Option<String> {
        (self.reconnects > 0).then(|| {
            format!(
                "went on on another node {} time(s) after losing one{}",
                self.reconnects,
                self.longest_reconnect_seconds
                    .map(|s| format!(" (reconnected within {s:.1}s)"))
                    .unwrap_or_default()
            )
        })
    }
}

/// The connections of one run, across the nodes it loses.
pub struct Failover<'a> {
    settings: &'a Settings,
    allowed: bool,
    next: usize,
    lost_at: Option<Instant>,
    pub record: Failovers,
}

impl<'a> Failover<'a> {
    /// `allowed`: whether this run can go on on another node at all (a tap, whose queue dies
    /// with its node, cannot). It also needs the URI of more than one node.
    pub fn new(settings: &'a Settings, allowed: bool) -> Failover<'a> {
        Failover {
            settings,
            allowed: allowed && settings.amqp.len() > 1,
            next: 0,
            lost_at: None,
            record: Failovers::default(),
        }
    }

    /// Connect: the first node that answers, starting after the last one lost.
    pub async fn connect(&mut self) -> Result<Session> {
        let session = amqp::connect_from(self.settings, self.next).await?;
        if let Some(at) = self.lost_at.take() {
            let took = at.elapsed().as_secs_f64();
            let longest = self.record.longest_reconnect_seconds.get_or_insert(took);
            *longest = longest.max(took);
        }
        self.next = session.index;
        Ok(session)
    }

    /// `session`'s node was lost for `reason`; `consequence` says what becomes of the
    /// messages in flight. `Ok` to go on with the next node, or the error that ends the run.
    pub fn lost(&mut self, session: &Session, reason: &str, consequence: &str) -> Result<()> {
        if !self.allowed || self.record.reconnects >= MAX_RECONNECTS {
            let mut error = Error::unreachable(format!("lost {}: {reason}", session.endpoint));
            if self.settings.amqp.len() == 1 {
                error = error.hint("give the --uri of every node of a cluster to go on on another");
            } else if self.allowed {
                error = error.hint(format!("gave up after {MAX_RECONNECTS} lost nodes"));
            }
            return Err(error.into());
        }
        self.record.reconnects += 1;
        self.next = (session.index + 1) % self.settings.amqp.len();
        self.lost_at = Some(Instant::now());
        crate::note!(
            "lost {} ({reason}); {consequence}; going on with the next node",
            session.endpoint
        );
        Ok(())
    }
}
