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

/// A message's id, its outcome, and whether the broker itself refused it (a channel error
/// such as a missing exchange) rather than the connection being lost.
type Settled = (u64, Outcome, bool);
type Pending = Pin<Box<dyn Future<Output = Settled> + Send>>;

/// A confirm-mode channel with at most `window` messages awaiting their confirm.
pub struct Publisher {
    channel: Channel,
    window: usize,
    /// How long a full window waits for a confirm before the channel counts as lost.
    confirm_timeout: Duration,
    pending: FuturesUnordered<Pending>,
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
            closed: None,
            refused: None,
        })
    }

    pub fn outstanding(&self) -> usize {
        self.pending.len()
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
        let mut done = Vec::new();
        while self.pending.len() >= self.window {
            match tokio::time::timeout(self.confirm_timeout, self.pending.next()).await {
                Ok(Some(outcome)) => done.push(self.note(outcome)),
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

        let mut attempt: Pending = Box::pin(async move {
            let unknown = |e: &lapin::Error| {
                (
                    Outcome::Unknown {
                        reason: describe(e),
                    },
                    matches!(e.kind(), ErrorKind::ProtocolError(_)),
                )
            };
            let (outcome, refused) = match channel
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
                    Ok(Confirmation::Ack(None)) => (Outcome::Confirmed, false),
                    Ok(Confirmation::Ack(Some(returned))) => (
                        Outcome::Returned {
                            code: returned.reply_code,
                            text: returned.reply_text.to_string(),
                        },
                        false,
                    ),
                    Ok(Confirmation::Nack(_)) => (Outcome::Nacked, false),
                    Ok(Confirmation::NotRequested) => (
                        Outcome::Unknown {
                            reason: "publisher confirms were not enabled".into(),
                        },
                        false,
                    ),
                    Err(e) => unknown(&e),
                },
                Err(e) => unknown(&e),
            };
            (id, outcome, refused)
        });
        // Poll once right here: that queues the frames and takes the confirm sequence number,
        // so messages go out in call order while many wait for their write and confirm at once
        // (awaiting basic_publish would wait for each write before sending the next).
        match std::future::poll_fn(|cx| Poll::Ready(attempt.as_mut().poll(cx))).await {
            Poll::Ready(outcome) => done.push(self.note(outcome)),
            Poll::Pending => self.pending.push(attempt),
        }
        // Collect whatever is already resolved without waiting.
        while let Some(Some(outcome)) = self.pending.next().now_or_never() {
            done.push(self.note(outcome));
        }
        done
    }

    /// The next outcome to arrive, or `None` when nothing is outstanding. Cancel-safe, so a
    /// caller can race it against deliveries or a timeout.
    pub async fn next_outcome(&mut self) -> Option<(u64, Outcome)> {
        let outcome = self.pending.next().await?;
        Some(self.note(outcome))
    }

    /// Wait for every outstanding confirm, at most `timeout` in all. Returns the outcomes
    /// that arrived; the caller reports every id it sent without an outcome as unknown.
    pub async fn drain(&mut self, timeout: Duration) -> Vec<(u64, Outcome)> {
        let mut done = Vec::new();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.pending.next()).await {
                Ok(Some(outcome)) => done.push(self.note(outcome)),
                Ok(None) => return done,
                Err(_) => break,
            }
        }
        self.pending = FuturesUnordered::new();
        done
    }

    fn note(&mut self, (id, outcome, refused): Settled) -> (u64, Outcome) {
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
