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
    /// With `Outcome::Returned`: the fingerprint of the message lapin handed back.
    returned: Option<Fingerprint>,
}

type Pending = Pin<Box<dyn Future<Output = Settled> + Send>>;

/// lapin pairs each `basic.return` with whichever confirm it completes next, in its own
/// order, not with the message returned: of 200 alternating routable and unroutable
/// messages, about 10 returns were pinned on routable ones. Within one batch of confirms
/// resolved together (one `multiple` ack) this gives each return to the message it really
/// belongs to, by fingerprint, and confirms the others. It can't repair a return pinned on
/// a message of an earlier batch (an ack for another message came between the return and
/// its own ack): measured, 200 alternating messages still misplace 0 to 3 returns in about
/// a third of the runs. A complete fix needs the returns in wire order, which lapin doesn't
/// expose.
fn reattribute(batch: &mut [Settled]) {
    let mut returns = Vec::new();
    for (i, s) in batch.iter_mut().enumerate() {
        if let (Outcome::Returned { .. }, Some(fp)) = (&s.outcome, s.returned) {
            let outcome = std::mem::replace(&mut s.outcome, Outcome::Confirmed);
            returns.push((i, fp, outcome));
        }
    }
    let mut taken = vec![false; batch.len()];
    for (given_to, fp, outcome) in returns {
        // Its own message, preferring lapin's pick when that is it; else lapin's pick.
        let owner = std::iter::once(given_to)
            .chain(0..batch.len())
            .find(|&i| !taken[i] && batch[i].own == fp && batch[i].outcome == Outcome::Confirmed)
            .unwrap_or(given_to);
        taken[owner] = true;
        batch[owner].outcome = outcome;
    }
}

/// A confirm-mode channel with at most `window` messages awaiting their confirm.
pub struct Publisher {
    channel: Channel,
    window: usize,
    /// How long a full window waits for a confirm before the channel counts as lost.
    confirm_timeout: Duration,
    pending: FuturesUnordered<Pending>,
    /// Outcomes settled (and re-attributed) but not yet handed to the caller.
    ready: std::collections::VecDeque<(u64, Outcome)>,
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
            closed: None,
            refused: None,
        })
    }

    pub fn outstanding(&self) -> usize {
        self.pending.len() + self.ready.len()
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
        let mut done: Vec<(u64, Outcome)> = self.ready.drain(..).collect();
        while self.pending.len() >= self.window {
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
                    Ok(Confirmation::Nack(_)) => (Outcome::Nacked, false, None),
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
    /// at once), with the returns given to their own messages.
    fn batch(&mut self, first: Settled) -> Vec<(u64, Outcome)> {
        let mut batch = vec![first];
        while let Some(Some(more)) = self.pending.next().now_or_never() {
            batch.push(more);
        }
        reattribute(&mut batch);
        batch.into_iter().map(|s| self.note(s)).collect()
    }

    /// The next outcome to arrive, or `None` when nothing is outstanding. Cancel-safe, so a
    /// caller can race it against deliveries or a timeout.
    pub async fn next_outcome(&mut self) -> Option<(u64, Outcome)> {
        if let Some(ready) = self.ready.pop_front() {
            return Some(ready);
        }
        let first = self.pending.next().await?;
        let batch = self.batch(first);
        self.ready.extend(batch);
        self.ready.pop_front()
    }

    /// Wait for every outstanding confirm, at most `timeout` in all. Returns the outcomes
    /// that arrived; the caller reports every id it sent without an outcome as unknown.
    pub async fn drain(&mut self, timeout: Duration) -> Vec<(u64, Outcome)> {
        let mut done: Vec<(u64, Outcome)> = self.ready.drain(..).collect();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.pending.next()).await {
                Ok(Some(first)) => done.extend(self.batch(first)),
                Ok(None) => return done,
                Err(_) => break,
            }
        }
        self.pending = FuturesUnordered::new();
        done
    }

    fn note(
        &mut self,
        Settled {
            id,
            outcome,
            refused,
            ..
        }: Settled,
    ) -> (u64, Outcome) {
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

/// The broker's reason for a channel or connection error, in its own words.
pub fn describe(err: &lapin::Error) -> String {
    match err.kind() {
        ErrorKind::ProtocolError(e) => format!("{} {}", e.get_id(), e.get_message()),
        ErrorKind::InvalidChannelState(state, _) => format!("channel {state:?}"),
        _ => err.to_string(),
    }
}

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

    #[test]
    fn returns_go_to_the_messages_returned() {
        // lapin pinned the returns of 2 and 4 on 1 and 2.
        let mut batch = vec![
            settled(1, "a", Some("b")),
            settled(2, "b", Some("d")),
            settled(3, "c", None),
            settled(4, "d", None),
        ];
        reattribute(&mut batch);
        let returned: Vec<u64> = batch
            .iter()
            .filter(|s| matches!(s.outcome, Outcome::Returned { .. }))
            .map(|s| s.id)
            .collect();
        assert_eq!(returned, [2, 4]);
        // Identical messages: one return, one of them returned.
        let mut same = vec![settled(1, "x", Some("x")), settled(2, "x", None)];
        reattribute(&mut same);
        assert!(matches!(same[0].outcome, Outcome::Returned { .. }));
        assert_eq!(same[1].outcome, Outcome::Confirmed);
    }
}
