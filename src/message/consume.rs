//! The loss-free consume loop shared by `consume`, `peek` and `tap`: every message is
//! written and committed to its sink before the broker hears the ack that removes it, and
//! acks go in batches with `multiple`. Memory stays bounded by the prefetch.

use std::time::{Duration, Instant};

use anyhow::Result;
use futures_util::{FutureExt, StreamExt};
use indicatif::ProgressBar;
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions,
};
use lapin::types::FieldTable;
use lapin::{Channel, ErrorKind};
use serde::Serialize;

use super::envelope::Envelope;
use super::sink::Sink;
use crate::broker::amqp::{OPERATION_TIMEOUT, bounded, shut};
use crate::exit::Error;

/// What happens to a message once it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AckMode {
    /// Remove it from the queue (ack).
    Ack,
    /// Put it back (nack with requeue) once the run is over: a look, not a take.
    Requeue,
    /// Dead-letter it (nack without requeue).
    Reject,
    /// The broker forgets it as soon as it is sent (auto-ack): may lose messages.
    NoAck,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub count: Option<u64>,
    pub idle_timeout: Option<Duration>,
    pub prefetch: u16,
    pub mode: AckMode,
    /// Where to start reading a stream (`x-stream-offset`); `None` for other queues.
    pub stream_offset: Option<super::stream::StreamOffset>,
    /// Only matching messages are taken; the others are held unacked and put back, in their
    /// order, once at the end (as replay does).
    pub filter: Option<super::Selection>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    #[default]
    Count,
    Idle,
    Interrupted,
    /// The broker cancelled the consumer, e.g. the queue was deleted.
    Cancelled,
    /// Messages that don't match the filter fill the largest prefetch (65535): nothing more
    /// can arrive until they are put back.
    PrefetchFull,
    /// The connection to the node was lost (the node died, or the network did): what was
    /// written and acked is done; what was written and not yet acked is delivered again.
    NodeLost,
    /// Writing the output failed (a full disk): what was written and acked is whole in the
    /// output; the rest went back to the queue.
    WriteFailed,
}

#[derive(Debug, Serialize, Default)]
pub struct Summary {
    pub queue: String,
    pub received: u64,
    pub acked: u64,
    pub requeued: u64,
    pub rejected: u64,
    /// Received with --no-ack: already gone from the queue when they arrived.
    pub auto_acked: u64,
    /// Not matching the filter: put back, in their order, untouched.
    pub skipped: u64,
    pub stopped_by: Stop,
    /// The nodes the run lost and went on after (`--uri` of each node).
    #[serde(flatten)]
    pub failovers: crate::broker::failover::Failovers,
    /// Messages written but not acked when a node was lost: the broker delivers them
    /// again, so they may be written twice (never lost).
    pub unacked_at_loss: u64,
    /// Why the last node was lost, when it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lost: Option<String>,
    /// Why writing the output failed, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write_error: Option<String>,
    pub elapsed_seconds: f64,
    pub rate_per_second: f64,
}

impl Summary {
    /// Writing the output failed: the run stops here and says why in its summary. A closed
    /// pipe (`| head`) is no failure of the run: it ends it quietly, as an error (exit 141).
    fn write_failed(&mut self, err: anyhow::Error) -> Result<()> {
        if crate::exit::code_of(&err) == crate::exit::Code::BrokenPipe {
            return Err(err);
        }
        self.stopped_by = Stop::WriteFailed;
        self.write_error = Some(format!("{err:#}"));
        Ok(())
    }

    /// Add one round of a run (before and after a node was lost) to the total.
    pub fn absorb(&mut self, round: Summary) {
        if self.queue.is_empty() {
            self.queue = round.queue;
        }
        self.received += round.received;
        self.acked += round.acked;
        self.requeued += round.requeued;
        self.rejected += round.rejected;
        self.auto_acked += round.auto_acked;
        self.skipped += round.skipped;
        self.unacked_at_loss += round.unacked_at_loss;
        self.stopped_by = round.stopped_by;
        self.lost = round.lost;
        self.write_error = round.write_error;
    }
}

/// The prefetch to ask for: `--requeue` holds every message until the end, so it needs room
/// for all of them; otherwise no more than the count, so few extra messages are touched.
pub fn effective_prefetch(options: &Options) -> Result<u16> {
    let prefetch = options.prefetch.max(1);
    match (options.mode, options.count) {
        (AckMode::Requeue, Some(n)) => u16::try_from(n).map_err(|_| {
            Error::usage(format!(
                "--count {n}: looking at more than 65535 messages at once is not possible"
            ))
            .into()
        }),
        (AckMode::Requeue, None) => {
            Err(Error::usage("putting messages back needs --count (at most 65535)").into())
        }
        (_, Some(n)) => Ok(prefetch.min(u16::try_from(n).unwrap_or(u16::MAX)).max(1)),
        (_, None) => Ok(prefetch),
    }
}

/// The prefetch of a filtered read: how many skipped messages it can hold before it stops.
pub const FILTER_PREFETCH: u16 = 10_000;

/// How long a pause in the deliveries must last before what was written is settled.
const LULL: Duration = Duration::from_millis(10);

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Acks in batches of half the prefetch: the broker keeps sending while a batch settles.
fn batch_size(prefetch: u16) -> u64 {
    u64::from(prefetch / 2).max(1)
}

fn broker_error(queue: &str, err: &lapin::Error) -> Error {
    crate::broker::amqp::operation_error(&format!("queue `{queue}`"), err)
}

/// The consumer's arguments: a stream's starting offset.
fn consumer_arguments(options: &Options) -> FieldTable {
    let mut args = FieldTable::default();
    if let Some(offset) = &options.stream_offset {
        args.insert("x-stream-offset".into(), offset.to_amqp());
    }
    args
}

/// Consume `queue` into `sink` until the count, the idle timeout, Ctrl-C, or cancellation.
pub async fn run(
    channel: &Channel,
    queue: &str,
    options: &Options,
    sink: &mut dyn Sink,
    progress: &ProgressBar,
) -> Result<Summary> {
    let (prefetch, mut consumer) = start(channel, queue, options).await?;
    let mut summary = Summary {
        queue: queue.to_string(),
        ..Default::default()
    };
    let started = Instant::now();
    let mut pending = Pending {
        one_by_one: options.filter.is_some(),
        ..Default::default()
    };
    let mut take = Take {
        channel,
        queue,
        options,
        prefetch,
        batch: batch_size(prefetch),
        sink,
        progress,
    };
    let ctrl_c = crate::interrupt::ctrl_c();
    tokio::pin!(ctrl_c);

    loop {
        if options.count.is_some_and(|n| summary.received >= n) {
            summary.stopped_by = Stop::Count;
            break;
        }
        // Ctrl-C also ends a run whose messages never pause (a busy tap), not only a wait.
        if (&mut ctrl_c).now_or_never().is_some() {
            summary.stopped_by = Stop::Interrupted;
            break;
        }
        // Settle before waiting, so a slow trickle of messages still gets acked promptly; but
        // not in a lull of a few milliseconds: under load the next delivery is on its way,
        // and settling at every lull would flush and ack every few messages, which costs the
        // broker more than the batch (`batch_size`) it was meant to be.
        let mut ready = consumer.next().now_or_never();
        if ready.is_none() && pending.count > 0 {
            ready = tokio::time::timeout(LULL, consumer.next()).await.ok();
        }
        let next = match ready {
            Some(item) => item,
            None => {
                if pending.count > 0
                    && options.mode != AckMode::Requeue
                    && take.settle(&mut pending, &mut summary).await?
                {
                    break;
                }
                let wait = async {
                    match options.idle_timeout {
                        Some(t) => tokio::time::timeout(t, consumer.next()).await.ok(),
                        None => Some(consumer.next().await),
                    }
                };
                tokio::select! {
                    biased;
                    _ = &mut ctrl_c => {
                        summary.stopped_by = Stop::Interrupted;
                        break;
                    }
                    item = wait => match item {
                        Some(item) => item,
                        None => {
                            summary.stopped_by = Stop::Idle;
                            break;
                        }
                    },
                }
            }
        };
        let delivery = match next {
            None => {
                summary.stopped_by = Stop::Cancelled;
                break;
            }
            // A protocol error is the broker refusing something; anything else is the
            // connection gone.
            Some(Err(e)) if matches!(e.kind(), ErrorKind::ProtocolError(_)) => {
                return Err(broker_error(queue, &e).into());
            }
            Some(Err(e)) => {
                summary.lost = Some(broker_error(queue, &e).to_string());
                break;
            }
            Some(Ok(d)) => d,
        };
        if take.delivery(delivery, &mut pending, &mut summary).await? == Flow::Stop {
            break;
        }
    }
    finish(
        channel,
        consumer,
        options.mode,
        take.sink,
        pending,
        summary,
        started,
    )
    .await
}

/// Set the prefetch (room for many skipped messages when filtering) and start consuming.
async fn start(
    channel: &Channel,
    queue: &str,
    options: &Options,
) -> Result<(u16, lapin::Consumer)> {
    let mut prefetch = effective_prefetch(options)?;
    if options.filter.is_some() {
        // Skipped messages stay unacked until the end and take room in the prefetch; a
        // consumer's prefetch can't grow once it consumes (a new basic.qos applies to later
        // consumers only), so a filtered read starts with room for many.
        prefetch = prefetch.max(FILTER_PREFETCH);
    }
    if options.filter.is_some() && options.mode == AckMode::NoAck {
        return Err(Error::usage(
            "a filter keeps the messages it skips in the queue, which needs acks: --no-ack can't filter",
        )
        .into());
    }
    bounded(
        OPERATION_TIMEOUT,
        channel.basic_qos(prefetch, BasicQosOptions::default()),
    )
    .await
    .map_err(|e| broker_error(queue, &e))?;
    let consumer = bounded(
        OPERATION_TIMEOUT,
        channel.basic_consume(
            queue.into(),
            "".into(),
            BasicConsumeOptions {
                no_ack: options.mode == AckMode::NoAck,
                ..Default::default()
            },
            consumer_arguments(options),
        ),
    )
    .await
    .map_err(|e| broker_error(queue, &e))?;
    Ok((prefetch, consumer))
}

/// Whether the loop goes on after a delivery.
#[derive(Debug, PartialEq, Eq)]
enum Flow {
    Go,
    Stop,
}

/// What taking one delivery needs: where it goes and how it is settled.
struct Take<'a> {
    channel: &'a Channel,
    queue: &'a str,
    options: &'a Options,
    prefetch: u16,
    batch: u64,
    sink: &'a mut dyn Sink,
    progress: &'a ProgressBar,
}

impl Take<'_> {
    /// Skip a delivery the filter leaves out (held for the end), or write it and settle the
    /// batch when it is full.
    async fn delivery(
        &mut self,
        delivery: lapin::message::Delivery,
        pending: &mut Pending,
        summary: &mut Summary,
    ) -> Result<Flow> {
        let envelope = Envelope::from_delivery(
            delivery.exchange.as_str(),
            delivery.routing_key.as_str(),
            &delivery.properties,
            &delivery.data,
            delivery.redelivered,
            Some(self.queue),
        );
        if let Some(filter) = &self.options.filter
            && !filter.takes(&envelope, &delivery.data, now_secs())
        {
            // Held unacked: it goes back, in its place, at the end.
            pending.skip(delivery.delivery_tag);
            summary.skipped += 1;
            self.progress.inc(1);
            if pending.skipped + pending.count >= u64::from(self.prefetch) {
                // Every message the broker may have in flight is held: nothing more comes.
                summary.stopped_by = Stop::PrefetchFull;
                return Ok(Flow::Stop);
            }
            return Ok(Flow::Go);
        }
        let no_ack = self.options.mode == AckMode::NoAck;
        if let Err(e) = self.sink.write(&envelope, &delivery.data) {
            // Not written, so not acked: it goes back with the others pending.
            if !no_ack {
                pending.add(delivery.delivery_tag);
            }
            summary.write_failed(e)?;
            return Ok(Flow::Stop);
        }
        summary.received += 1;
        self.progress.inc(1);
        if no_ack {
            summary.auto_acked += 1;
            return Ok(Flow::Go);
        }
        pending.add(delivery.delivery_tag);
        if pending.count >= self.batch
            && self.options.mode != AckMode::Requeue
            && self.settle(pending, summary).await?
        {
            return Ok(Flow::Stop);
        }
        Ok(Flow::Go)
    }

    /// Settle what is pending; true when the run must stop (the node lost, or the output
    /// failed).
    async fn settle(&mut self, pending: &mut Pending, summary: &mut Summary) -> Result<bool> {
        let settled = pending.settle(self.channel, self.options.mode, &mut *self.sink, summary);
        if let Some(lost) = node_lost(settled.await)? {
            summary.lost = Some(lost);
            return Ok(true);
        }
        Ok(summary.stopped_by == Stop::WriteFailed)
    }
}

/// After the loop: settle or count what is pending, put back what was skipped, cancel the
/// consumer, and time the run.
async fn finish(
    channel: &Channel,
    consumer: lapin::Consumer,
    mode: AckMode,
    sink: &mut dyn Sink,
    mut pending: Pending,
    mut summary: Summary,
    started: Instant,
) -> Result<Summary> {
    if summary.lost.is_some() {
        // Nothing more can be settled on a dead connection: keep what was written, and
        // count what the broker will deliver again.
        sink.commit()?;
        summary.stopped_by = Stop::NodeLost;
        summary.unacked_at_loss = pending.count;
        return Ok(timed(summary, started));
    }
    // Whatever was written is committed and settled; the skipped ones go back in one nack
    // (a classic queue puts them in their places); prefetched messages that were never
    // looked at go back when the consumer is cancelled and the channel closes.
    if summary.stopped_by != Stop::WriteFailed {
        pending.settle(channel, mode, sink, &mut summary).await?;
    }
    if summary.stopped_by == Stop::WriteFailed {
        // What was written since the last commit is not in the output: it goes back, with
        // every message held, and nothing more is acked.
        pending.put_back_all(channel).await;
        shut(channel.basic_cancel(consumer.tag(), BasicCancelOptions::default())).await;
        return Ok(timed(summary, started));
    }
    sink.commit()?;
    pending.put_back_skipped(channel).await?;
    shut(channel.basic_cancel(consumer.tag(), BasicCancelOptions::default())).await;
    Ok(timed(summary, started))
}

/// The summary with the run's time and rate.
fn timed(mut summary: Summary, started: Instant) -> Summary {
    summary.elapsed_seconds = started.elapsed().as_secs_f64();
    summary.rate_per_second = crate::output::per_second(summary.received, summary.elapsed_seconds);
    summary
}

/// A settle that failed because the node is gone is the node lost (its reason); any other
/// failure stays an error.
fn node_lost(settled: Result<()>) -> Result<Option<String>> {
    match settled {
        Ok(()) => Ok(None),
        Err(e) if crate::exit::code_of(&e) == crate::exit::Code::Unreachable => {
            Ok(Some(format!("{e:#}")))
        }
        Err(e) => Err(e),
    }
}

/// Deliveries written to the sink but not yet settled with the broker, and those a filter
/// skipped (held until the end).
#[derive(Default)]
struct Pending {
    last_tag: Option<u64>,
    count: u64,
    /// With a filter, skipped messages lie between the written ones: each written one is
    /// settled on its own (a `multiple` ack would take the skipped ones too).
    one_by_one: bool,
    tags: Vec<u64>,
    skipped: u64,
    last_skipped: Option<u64>,
}

impl Pending {
    fn add(&mut self, tag: u64) {
        self.last_tag = Some(tag);
        self.count += 1;
        if self.one_by_one {
            self.tags.push(tag);
        }
    }

    fn skip(&mut self, tag: u64) {
        self.skipped += 1;
        self.last_skipped = Some(tag);
    }

    /// Put back every message this channel holds unacked, written or skipped, with one
    /// `multiple` nack (the broker would also put them back when the channel closes).
    async fn put_back_all(&mut self, channel: &Channel) {
        let written = if self.count > 0 { self.last_tag } else { None };
        let top = written.max(self.last_skipped);
        if let Some(tag) = top {
            crate::broker::amqp::requeue_through(channel, tag).await;
        }
        self.count = 0;
        self.last_skipped = None;
    }

    /// Put every skipped message back with one `multiple` nack at the last one: everything
    /// unacked up to it is skipped (the written ones are settled by now).
    async fn put_back_skipped(&mut self, channel: &Channel) -> Result<()> {
        let Some(tag) = self.last_skipped.take() else {
            return Ok(());
        };
        bounded(
            OPERATION_TIMEOUT,
            channel.basic_nack(
                tag,
                BasicNackOptions {
                    multiple: true,
                    requeue: true,
                },
            ),
        )
        .await
        .map_err(|e| {
            Error::unreachable(format!(
                "putting back {} skipped message(s) failed ({e}); the broker puts them back when the connection closes",
                self.skipped
            ))
            .into()
        })
    }

    /// Commit the sink, then ack, reject or requeue every pending delivery at once.
    async fn settle(
        &mut self,
        channel: &Channel,
        mode: AckMode,
        sink: &mut dyn Sink,
        summary: &mut Summary,
    ) -> Result<()> {
        let Some(tag) = self.last_tag else {
            return Ok(());
        };
        let unsettled = self.count;
        if unsettled == 0 {
            return Ok(());
        }
        if let Err(e) = sink.commit() {
            summary.write_failed(e)?;
            return Ok(());
        }
        // Requeue holds everything to the end anyway: one nack covers written and skipped.
        let tag = match mode {
            AckMode::Requeue => tag.max(self.last_skipped.take().unwrap_or(0)),
            _ => tag,
        };
        let one_by_one = self.one_by_one && mode != AckMode::Requeue;
        let tags = std::mem::take(&mut self.tags);
        let result = bounded(OPERATION_TIMEOUT, async {
            if one_by_one {
                let each = tags.iter().map(|t| async move {
                    match mode {
                        AckMode::Reject => {
                            channel
                                .basic_nack(
                                    *t,
                                    BasicNackOptions {
                                        multiple: false,
                                        requeue: false,
                                    },
                                )
                                .await
                        }
                        _ => {
                            channel
                                .basic_ack(*t, BasicAckOptions { multiple: false })
                                .await
                        }
                    }
                });
                return futures_util::future::try_join_all(each).await.map(drop);
            }
            match mode {
                AckMode::Ack => {
                    channel
                        .basic_ack(tag, BasicAckOptions { multiple: true })
                        .await
                }
                AckMode::Requeue => {
                    channel
                        .basic_nack(
                            tag,
                            BasicNackOptions {
                                multiple: true,
                                requeue: true,
                            },
                        )
                        .await
                }
                AckMode::Reject => {
                    channel
                        .basic_nack(
                            tag,
                            BasicNackOptions {
                                multiple: true,
                                requeue: false,
                            },
                        )
                        .await
                }
                AckMode::NoAck => Ok(()),
            }
        })
        .await;
        result.map_err(|e| {
        // A lost connection is the broker being unreachable, as anywhere else in the run;
        // a channel error on the ack itself is a partial failure.
        let reason = format!(
            "settling {unsettled} messages failed ({e}); they stay in the queue and will be delivered again"
        );
        if matches!(e.kind(), ErrorKind::ProtocolError(_)) {
            Error::partial_failure(reason)
        } else {
            Error::unreachable(reason)
        }
    })?;
        match mode {
            AckMode::Ack => summary.acked += unsettled,
            AckMode::Requeue => summary.requeued += unsettled,
            AckMode::Reject => summary.rejected += unsettled,
            AckMode::NoAck => {}
        }
        self.count = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(mode: AckMode, count: Option<u64>, prefetch: u16) -> Options {
        Options {
            count,
            idle_timeout: None,
            prefetch,
            mode,
            stream_offset: None,
            filter: None,
        }
    }

    #[test]
    fn prefetch_is_bounded() {
        assert_eq!(
            effective_prefetch(&opts(AckMode::Ack, None, 100)).unwrap(),
            100
        );
        assert_eq!(
            effective_prefetch(&opts(AckMode::Ack, Some(5), 100)).unwrap(),
            5
        );
        assert_eq!(effective_prefetch(&opts(AckMode::Ack, None, 0)).unwrap(), 1);
        assert_eq!(
            effective_prefetch(&opts(AckMode::Requeue, Some(500), 100)).unwrap(),
            500
        );
        assert!(effective_prefetch(&opts(AckMode::Requeue, None, 100)).is_err());
        assert!(effective_prefetch(&opts(AckMode::Requeue, Some(70_000), 100)).is_err());
        assert_eq!(batch_size(1), 1);
        assert_eq!(batch_size(100), 50);
    }
}
