//! Publishing with publisher confirms, `mandatory`, and a sliding window of outstanding
//! confirms. A message counts as delivered only when the broker acks it with no
//! `basic.return` before the ack; everything else is reported, never dropped silently.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use anyhow::Result;
use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, StreamExt};
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::{BasicProperties, Channel, Confirmation, Connection, ErrorKind};
use serde::Serialize;

use crate::broker::amqp::{OPERATION_TIMEOUT, bounded};

/// What became of one published message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Acked by the broker and routed to at least one queue.
    Confirmed,
    /// Unroutable: returned by the broker (`mandatory`), then acked.
    Returned { code: u16, text: String },
    /// Negatively acknowledged: the broker could not take responsibility for it.
    Nacked,
    /// The channel or connection failed before the broker answered: the message may or may
    /// not have been taken.
    Unknown { reason: String },
}

/// What identifies a message the broker returns: its exchange, routing key and body.
type Fingerprint = u64;

fn fingerprint(exchange: &str, routing_key: &str, body: &[u8]) -> Fingerprint {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (exchange, routing_key, body).hash(&mut h);
    h.finish()
}

/// One message's confirm as lapin reports it.
struct Settled {
    id: u64,
    outcome: Outcome,
    /// The broker itself refused it (a channel error such as a missing exchange), rather
    /// than the connection being lost.
    refused: bool,
    /// The message's own fingerprint.
    own: Fingerprint,
    /// The fingerprint of the returned message lapin popped with this confirm, if any.
    returned: Option<Fingerprint>,
}

type Pending = Pin<Box<dyn Future<Output = Settled> + Send>>;

/// Gives each `basic.return` to the message it belongs to. lapin pairs a return with
/// whichever confirm it completes next (a FIFO of returns, popped by every ack), not with
/// the message returned: of 200 alternating routable and unroutable messages, about 10
/// returns were pinned on routable ones. The broker sends a message's return before its ack,
/// so:
/// - a confirm that popped no return completed with lapin's FIFO empty: its own return, if
///   any, was popped earlier and is in `pool`; if not, it is confirmed for good;
/// - a confirm that popped a foreign return may have its own still queued in lapin: it is
///   held until its return shows up, or until a later batch holds a confirm that popped
///   nothing (the FIFO was empty then), or until every confirm is in.
///
/// Confirms are handled a batch at a time (every one already resolved), so a pop that came
/// earlier in lapin's order is never seen after a later one. Messages are told apart by
/// fingerprint (exchange, routing key, body); identical ones are interchangeable.
#[derive(Default)]
struct ReturnMatcher {
    /// Returns popped whose message hasn't been seen yet.
    pool: Vec<(Fingerprint, Outcome)>,
    /// Confirmed messages whose own return may still be queued in lapin.
    held: Vec<(u64, Fingerprint)>,
}

impl ReturnMatcher {
    fn take_return(&mut self, fp: Fingerprint) -> Option<Outcome> {
        let i = self.pool.iter().position(|(p, _)| *p == fp)?;
        Some(self.pool.swap_remove(i).1)
    }

    /// The final outcomes this batch decides: (id, outcome, refused).
    fn settle(&mut self, batch: Vec<Settled>) -> Vec<(u64, Outcome, bool)> {
        let mut emptied = false;
        let mut seen = Vec::with_capacity(batch.len());
        for s in batch {
            match (s.outcome, s.returned) {
                (returned @ Outcome::Returned { .. }, Some(fp)) => {
                    self.pool.push((fp, returned));
                    seen.push((s.id, s.own, true, Outcome::Confirmed, s.refused));
                }
                (outcome, popped) => {
                    emptied |= popped.is_none() && outcome == Outcome::Confirmed;
                    seen.push((s.id, s.own, popped.is_some(), outcome, s.refused));
                }
            }
        }
        let mut decided = Vec::with_capacity(seen.len());
        for (id, fp) in std::mem::take(&mut self.held) {
            match self.take_return(fp) {
                Some(returned) => decided.push((id, returned, false)),
                None if emptied => decided.push((id, Outcome::Confirmed, false)),
                None => self.held.push((id, fp)),
            }
        }
        for (id, fp, popped, outcome, refused) in seen {
            if outcome != Outcome::Confirmed {
                decided.push((id, outcome, refused));
            } else if let Some(returned) = self.take_return(fp) {
                decided.push((id, returned, false));
            } else if popped {
                self.held.push((id, fp));
            } else {
                decided.push((id, Outcome::Confirmed, false));
            }
        }
        decided
    }

    /// Every confirm is in: lapin's FIFO is empty, what is held is confirmed.
    fn finish(&mut self) -> Vec<(u64, Outcome, bool)> {
        self.pool.clear();
        self.held
            .drain(..)
            .map(|(id, _)| (id, Outcome::Confirmed, false))
            .collect()
    }
}

/// A confirm-mode channel with at most `window` messages awaiting their confirm.
pub struct Publisher {
    channel: Channel,
    window: usize,
    /// How long a full window waits for a confirm before the channel counts as lost.
    confirm_timeout: Duration,
    pending: FuturesUnordered<Pending>,
    /// Outcomes decided but not yet handed to the caller.
    ready: std::collections::VecDeque<(u64, Outcome)>,
    returns: ReturnMatcher,
    /// The first channel error, e.g. a missing exchange (404), or the lost connection:
    /// every later publish fails with it.
    closed: Option<String>,
    /// The broker's reason, when it was the broker that closed the channel.
    refused: Option<String>,
}

impl Publisher {
    pub async fn open(
        connection: &Connection,
        window: usize,
        confirm_timeout: Duration,
    ) -> Result<Publisher> {
        let channel = crate::broker::amqp::open_channel(connection).await?;
        bounded(
            OPERATION_TIMEOUT,
            channel.confirm_select(ConfirmSelectOptions::default()),
        )
        .await
        .map_err(|e| crate::broker::amqp::operation_error("enabling publisher confirms", &e))?;
        Ok(Publisher {
            channel,
            window: window.max(1),
            confirm_timeout,
            pending: FuturesUnordered::new(),
            ready: std::collections::VecDeque::new(),
            returns: ReturnMatcher::default(),
            closed: None,
            refused: None,
        })
    }

    pub fn outstanding(&self) -> usize {
        self.pending.len() + self.ready.len() + self.returns.held.len()
    }

    /// The reason the channel closed or was lost, if it was.
    pub fn closed_reason(&self) -> Option<&str> {
        self.closed.as_deref()
    }

    /// The broker's reason when it closed the channel (e.g. `404 NOT_FOUND - no exchange`);
    /// `None` when the channel is fine or only the connection was lost.
    pub fn refusal(&self) -> Option<&str> {
        self.refused.as_deref()
    }

    /// Wait while the window is full; returns the outcomes that completed meanwhile. After
    /// it, [`closed_reason`](Self::closed_reason) tells whether the next message can go out:
    /// a caller that can send it elsewhere checks before publishing.
    pub async fn make_room(&mut self) -> Vec<(u64, Outcome)> {
        let mut done: Vec<(u64, Outcome)> = self.ready.drain(..).collect();
        while self.closed.is_none() && self.pending.len() >= self.window {
            match tokio::time::timeout(self.confirm_timeout, self.pending.next()).await {
                Ok(Some(first)) => done.extend(self.batch(first)),
                Ok(None) => break,
                Err(_) => {
                    // The rest stay pending; `drain` reports them as unknown.
                    self.closed.get_or_insert_with(|| {
                        format!("no confirm within {}s", self.confirm_timeout.as_secs_f64())
                    });
                    break;
                }
            }
        }
        done
    }

    /// Publish one message identified by `id`. Waits while the window is full; returns the
    /// outcomes that completed meanwhile.
    pub async fn publish(
        &mut self,
        id: u64,
        exchange: &str,
        routing_key: &str,
        properties: BasicProperties,
        body: Vec<u8>,
        mandatory: bool,
    ) -> Vec<(u64, Outcome)> {
        let mut done = self.make_room().await;
        if let Some(reason) = &self.closed {
            done.push((
                id,
                Outcome::Unknown {
                    reason: reason.clone(),
                },
            ));
            return done;
        }
        let options = BasicPublishOptions {
            mandatory,
            immediate: false,
        };
        let channel = self.channel.clone();
        let (exchange, routing_key) = (exchange.to_string(), routing_key.to_string());
        let own = fingerprint(&exchange, &routing_key, &body);

        let mut attempt: Pending = Box::pin(async move {
            let unknown = |e: &lapin::Error| {
                (
                    Outcome::Unknown {
                        reason: describe(e),
                    },
                    matches!(e.kind(), ErrorKind::ProtocolError(_)),
                    None,
                )
            };
            let (outcome, refused, returned) = match channel
                .basic_publish(
                    exchange.into(),
                    routing_key.into(),
                    options,
                    &body,
                    properties,
                )
                .await
            {
                Ok(confirm) => match confirm.await {
                    Ok(Confirmation::Ack(None)) => (Outcome::Confirmed, false, None),
                    Ok(Confirmation::Ack(Some(returned))) => (
                        Outcome::Returned {
                            code: returned.reply_code,
                            text: returned.reply_text.to_string(),
                        },
                        false,
                        Some(fingerprint(
                            returned.delivery.exchange.as_str(),
                            returned.delivery.routing_key.as_str(),
                            &returned.delivery.data,
                        )),
                    ),
                    Ok(Confirmation::Nack(returned)) => (
                        Outcome::Nacked,
                        false,
                        returned.map(|r| {
                            fingerprint(
                                r.delivery.exchange.as_str(),
                                r.delivery.routing_key.as_str(),
                                &r.delivery.data,
                            )
                        }),
                    ),
                    Ok(Confirmation::NotRequested) => (
                        Outcome::Unknown {
                            reason: "publisher confirms were not enabled".into(),
                        },
                        false,
                        None,
                    ),
                    Err(e) => unknown(&e),
                },
                Err(e) => unknown(&e),
            };
            Settled {
                id,
                outcome,
                refused,
                own,
                returned,
            }
        });
        // Poll once right here: that queues the frames and takes the confirm sequence number,
        // so messages go out in call order while many wait for their write and confirm at once
        // (awaiting basic_publish would wait for each write before sending the next).
        match std::future::poll_fn(|cx| Poll::Ready(attempt.as_mut().poll(cx))).await {
            Poll::Ready(settled) => done.extend(self.batch(settled)),
            Poll::Pending => self.pending.push(attempt),
        }
        // Collect whatever is already resolved without waiting.
        if let Some(Some(first)) = self.pending.next().now_or_never() {
            done.extend(self.batch(first));
        }
        done
    }

    /// `first` and every other confirm already resolved (one `multiple` ack resolves many
    /// at once): the outcomes they decide, each return given to its own message.
    fn batch(&mut self, first: Settled) -> Vec<(u64, Outcome)> {
        let mut batch = vec![first];
        while let Some(Some(more)) = self.pending.next().now_or_never() {
            batch.push(more);
        }
        let decided = self.returns.settle(batch);
        decided.into_iter().map(|d| self.note(d)).collect()
    }

    /// Every confirm is in: the held messages are confirmed.
    fn finish(&mut self) -> Vec<(u64, Outcome)> {
        let decided = self.returns.finish();
        decided.into_iter().map(|d| self.note(d)).collect()
    }

    /// The next outcome to arrive, or `None` when nothing is outstanding. Cancel-safe, so a
    /// caller can race it against deliveries or a timeout.
    pub async fn next_outcome(&mut self) -> Option<(u64, Outcome)> {
        loop {
            if let Some(ready) = self.ready.pop_front() {
                return Some(ready);
            }
            let batch = match self.pending.next().await {
                Some(first) => self.batch(first),
                None if self.returns.held.is_empty() => return None,
                None => self.finish(),
            };
            self.ready.extend(batch);
        }
    }

    /// Wait for every outstanding confirm, at most `timeout` in all. Returns the outcomes
    /// that arrived; the caller reports every id it sent without an outcome as unknown.
    pub async fn drain(&mut self, timeout: Duration) -> Vec<(u64, Outcome)> {
        let mut done: Vec<(u64, Outcome)> = self.ready.drain(..).collect();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.pending.next()).await {
                Ok(Some(first)) => done.extend(self.batch(first)),
                Ok(None) => {
                    done.extend(self.finish());
                    return done;
                }
                Err(_) => break,
            }
        }
        // Held messages are reported unknown by the caller, like the rest without an answer.
        self.pending = FuturesUnordered::new();
        self.returns = ReturnMatcher::default();
        done
    }

    fn note(&mut self, (id, outcome, refused): (u64, Outcome, bool)) -> (u64, Outcome) {
        if let Outcome::Unknown { reason } = &outcome
            && self.closed.is_none()
        {
            self.closed = Some(reason.clone());
            if refused {
                self.refused = Some(reason.clone());
            }
        }
        (id, outcome)
    }

    pub async fn close(self) {
        crate::broker::amqp::close_channel(&self.channel).await;
    }
}

pub use super::amqp::describe;

#[cfg(test)]
mod tests {
    use super::*;

    fn settled(id: u64, body: &str, returned: Option<&str>) -> Settled {
        Settled {
            id,
            outcome: match returned {
                Some(_) => Outcome::Returned {
                    code: 312,
                    text: "NO_ROUTE".into(),
                },
                None => Outcome::Confirmed,
            },
            refused: false,
            own: fingerprint("", "k", body.as_bytes()),
            returned: returned.map(|b| fingerprint("", "k", b.as_bytes())),
        }
    }

    fn returned(outcomes: &[(u64, Outcome, bool)]) -> Vec<u64> {
        let mut ids: Vec<u64> = outcomes
            .iter()
            .filter(|(_, o, _)| matches!(o, Outcome::Returned { .. }))
            .map(|(id, _, _)| *id)
            .collect();
        ids.sort();
        ids
    }

    #[test]
    fn returns_go_to_the_messages_returned() {
        // One `multiple` ack: lapin pinned the returns of 2 and 4 on 1 and 2.
        let mut m = ReturnMatcher::default();
        let out = m.settle(vec![
            settled(1, "a", Some("b")),
            settled(2, "b", Some("d")),
            settled(3, "c", None),
            settled(4, "d", None),
        ]);
        assert_eq!(returned(&out), [2, 4]);
        // 1 popped a return: within a batch lapin's order is unknown, so it waits for a
        // later confirm that pops nothing, or for the end.
        assert_eq!(out.len(), 3);
        assert_eq!(m.held.len(), 1);
        assert!(m.pool.is_empty());
        assert_eq!(m.finish(), vec![(1, Outcome::Confirmed, false)]);
    }

    #[test]
    fn a_return_pinned_on_an_earlier_ack_waits_for_its_message() {
        let mut m = ReturnMatcher::default();
        // 1 (routable) is acked first and pops 2's return: 1 is held, not yet confirmed.
        assert!(m.settle(vec![settled(1, "a", Some("b"))]).is_empty());
        // 2 is acked next, popping nothing: returned; and the FIFO was empty, so 1 is final.
        let out = m.settle(vec![settled(2, "b", None)]);
        assert_eq!(returned(&out), [2]);
        assert_eq!(out.len(), 2);
        // 3 pops 4's return and waits; its own return (it was unroutable too) comes with 4.
        assert!(m.settle(vec![settled(3, "c", Some("d"))]).is_empty());
        let out = m.settle(vec![settled(4, "d", Some("c"))]);
        assert_eq!(returned(&out), [3, 4]);
        // Held at the end, with every confirm in: confirmed.
        assert!(m.settle(vec![settled(5, "e", Some("f"))]).is_empty());
        let out = m.settle(vec![settled(6, "f", Some("e"))]);
        assert_eq!(returned(&out), [5, 6]);
        assert!(m.settle(vec![settled(7, "g", Some("h"))]).is_empty());
        assert_eq!(m.finish(), vec![(7, Outcome::Confirmed, false)]);
    }
}
