//! Sending at a rate (`--rate` of publish, replay, move and perf): send k is due at
//! `first + k × step`. A sender woken late sends what is due at once, so the rate holds
//! although timers wake in millisecond steps (sleeping one step before each send gave
//! 880 msg/s for `publish --rate 5000`). A sender held up for longer than [`MAX_BACKLOG`]
//! (a blocked connection, a pause) goes on at the rate from where it is, rather than
//! bursting to catch up.

use std::time::Duration;

use tokio::time::Instant;

/// How far a sender may fall behind its schedule before the backlog is given up.
pub const MAX_BACKLOG: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub struct Pacer {
    step: Duration,
    due: Instant,
}

impl Pacer {
    /// At `rate` messages per second (in range by [`crate::flags::rate`]), the first send due
    /// at `start`.
    pub fn new(rate: f64, start: Instant) -> Pacer {
        Pacer {
            step: crate::flags::interval(rate),
            due: start,
        }
    }

    /// A pacer from now for a `--rate` flag's value; `None` (no pacing) for no rate or 0.
    pub fn optional(rate: Option<f64>) -> Option<Pacer> {
        rate.filter(|r| *r > 0.0)
            .map(|r| Pacer::new(r, Instant::now()))
    }

    /// When the next send is due, if that is after `now`; and the schedule moves on by one.
    pub fn next_due(&mut self, now: Instant) -> Option<Instant> {
        if self.due + MAX_BACKLOG < now {
            self.due = now;
        }
        let due = self.due;
        self.due += self.step;
        (due > now).then_some(due)
    }

    /// Wait until the next send is due.
    pub async fn wait(&mut self) {
        if let Some(due) = self.next_due(Instant::now()) {
            tokio::time::sleep_until(due).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sends in one simulated second at `rate`, when every sleep wakes `late` after its
    /// deadline.
    fn sends_in_a_second(rate: f64, late: Duration) -> u32 {
        let start = Instant::now();
        let end = start + Duration::from_secs(1);
        let mut pacer = Pacer::new(rate, start);
        let (mut now, mut sent) = (start, 0);
        loop {
            if let Some(due) = pacer.next_due(now) {
                now = due + late;
            }
            if now >= end {
                return sent;
            }
            sent += 1;
        }
    }

    #[test]
    fn the_rate_holds_when_timers_wake_late() {
        for late in [
            Duration::ZERO,
            Duration::from_millis(1),
            Duration::from_millis(4),
        ] {
            for rate in [10.0, 1000.0, 5000.0, 100_000.0] {
                let sent = f64::from(sends_in_a_second(rate, late));
                assert!(
                    (sent - rate).abs() <= rate * 0.01 + 5.0,
                    "{sent} sent at {rate}/s, woken {late:?} late"
                );
            }
        }
    }

    #[test]
    fn a_stalled_sender_bursts_at_most_the_backlog() {
        let at_once = |stall: Duration| {
            let start = Instant::now();
            let mut pacer = Pacer::new(1000.0, start);
            let now = start + stall;
            let mut sent = 0;
            while pacer.next_due(now).is_none() {
                sent += 1;
            }
            sent
        };
        // Half a second behind: what was due goes out at once (501 sends, 0 ms to 500 ms).
        assert_eq!(at_once(Duration::from_millis(500)), 501);
        // Ten seconds behind: the backlog is given up, and it goes on at the rate.
        assert_eq!(at_once(Duration::from_secs(10)), 1);
    }
}
