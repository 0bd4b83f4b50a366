//! The loss-free replay loop. One channel consumes the DLQ with manual acks; another publishes
//! copies with confirms and `mandatory`. A DLQ message is acked only after its copy was
//! confirmed with no `basic.return` (and, with `--export`, written and fsynced). Anything
//! else leaves it in the DLQ: held unacked until the end, then requeued in one nack, so the
//! messages that stay keep their order. The run stops at the depth seen at the start.
//!
//! The same loop moves messages for `warren move` (`CopyMode::Verbatim`): copies unchanged,
//! published on a connection of their own (another vhost or broker), with no origin routing.
//!
//! A run has three states, one function each: `Replay::start`, `Replay::pump` (the loop,
//! with `Replay::handle` for each event) and `Replay::finish`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Result;
use futures_util::StreamExt;
use indicatif::ProgressBar;
use lapin::options::{BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicQosOptions};
use lapin::types::FieldTable;
use lapin::{Channel, Connection, Consumer};

use super::filter::Filter;
use super::mark::{self, CopyMode, CopyRules};
use super::origin::{self, Route};
use super::route::Router;
pub use super::route::Target;
pub use super::summary::{Counts, Failure, Fate, RouteReport, Stop, Summary};
use super::summary::{SAMPLE, Sample, bump};
use crate::broker::amqp::{OPERATION_TIMEOUT, bounded, close_channel, operation_error, shut};
use crate::broker::http::ManagementApi;
use crate::broker::publisher::{Outcome, Publisher, describe};
use crate::exit::Error;
use crate::message::Envelope;
use crate::message::sink::{FileSink, Format, Sink};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnFailure {
    /// Leave the message in the DLQ.
    Requeue,
    /// Publish it to this queue (with confirm), then ack it.
    Park(String),
    /// Stop the run at the first failure.
    Abort,
}

#[derive(Debug)]
pub struct Options {
    /// Marks every copy (see `mark`): the same across the parts of a run that lost a node,
    /// so a copy made before the loss is still recognised as this run's own.
    pub run_id: String,
    /// The queue the run takes messages from (the DLQ, or `warren move`'s source).
    pub dlq: String,
    /// Replay's marked copies, or `warren move`'s verbatim ones.
    pub copy: CopyMode,
    pub vhost: String,
    /// The user that publishes the copies (whose `user_id` the broker accepts).
    pub login_user: String,
    pub target: Target,
    pub redirects: Vec<(String, String)>,
    pub filter: Filter,
    pub dry_run: bool,
    pub limit: Option<u64>,
    pub rate: Option<f64>,
    pub window: usize,
    pub confirm_timeout: Duration,
    pub on_failure: OnFailure,
    pub max_replays: Option<i64>,
    pub keep_death_headers: bool,
    pub restore_expiration: bool,
    pub export: Option<PathBuf>,
    /// How long to wait for a delivery before concluding the DLQ holds fewer messages than
    /// at the start (another consumer took some).
    pub idle: Duration,
}

/// At most this many confirmed copies wait for their DLQ ack (and the export's fsync); a
/// quarter of the window when that is less. Fewer, larger `multiple` acks spare the broker.
const ACK_BATCH: usize = 256;

/// Each consumer's prefetch: the window three times over (copies awaiting their confirm,
/// confirmed ones awaiting their ack, and held messages), never more than the messages of
/// the run or the broker's cap of 65535. When held messages fill it, the run consumes again
/// (`Replay::consume_again`).
pub fn prefetch_for(window: usize, depth: u64) -> u16 {
    let wanted = window.max(1) as u64 * 3;
    u16::try_from(wanted.min(depth).max(1)).unwrap_or(u16::MAX)
}

/// The prefetch of the next consumer after held messages filled one with `prefetch`:
/// doubled, so that a run needs few consumers (RabbitMQ 3.10's quorum queues return the
/// messages of many consumers' nacks sent together in no set order), up to 10,000 or three
/// windows if more (what may wait unprocessed in memory), and the broker's cap.
pub fn next_prefetch(prefetch: u16, window: usize) -> u16 {
    let ceiling = (window.max(1) as u64 * 3).max(10_000);
    let wanted = (u64::from(prefetch) * 2)
        .min(ceiling)
        .max(u64::from(prefetch));
    u16::try_from(wanted).unwrap_or(u16::MAX)
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// What a published copy is for.
struct InFlight {
    park: bool,
    message_id: Option<String>,
    origin_queue: Option<String>,
    /// The copy as published, its text body only with --export (written there once
    /// confirmed); the properties serve parking after a failure too.
    copy: Envelope,
    /// The body to publish; kept once published only while a failure can still park it
    /// (`--on-failure park`), else empty.
    body: Vec<u8>,
}

struct Replay<'a> {
    opts: &'a Options,
    channel: Channel,
    /// None in a dry run.
    publisher: Option<Publisher>,
    export: Option<FileSink>,
    rules: CopyRules,
    router: Router<'a>,
    summary: Summary,
    prefetch: u16,
    /// Copies awaiting their confirm, by their original's delivery tag.
    in_flight: BTreeMap<u64, InFlight>,
    /// Confirmed copies whose originals await their ack, in DLQ order.
    to_ack: BTreeSet<u64>,
    /// Confirmed copies waiting for the export, written in DLQ order when their batch settles.
    to_export: BTreeMap<u64, Envelope>,
    /// Every delivery tag received and not (yet) acked: what the final nack may cover.
    unacked: BTreeSet<u64>,
    matched: u64,
    held: u64,
    /// Of `held`, those delivered to the current consumer: they count against its prefetch.
    held_here: u64,
    /// The last delivery tag of each consumer before the current one (`consume_again`).
    consumer_ends: Vec<u64>,
    /// The lowest delivery tag held unacked until the end.
    min_held: Option<u64>,
    stop: Option<Stop>,
    /// `--rate`, when given.
    pacer: Option<crate::pace::Pacer>,
}

/// Replay (or, with `dry_run`, examine) the DLQ. Copies are published on `publish_on`
/// when given (`warren move` to another vhost or broker), else on `connection`.
pub async fn run(
    connection: &Connection,
    publish_on: Option<&Connection>,
    api: &ManagementApi,
    opts: &Options,
    progress: &ProgressBar,
) -> Result<Summary> {
    let started = Instant::now();
    let (depth, _) = crate::broker::queue::depth(connection, &opts.dlq).await?;
    let summary = Summary {
        run_id: opts.run_id.clone(),
        queue: opts.dlq.clone(),
        dry_run: opts.dry_run,
        counts: Counts {
            depth_at_start: depth,
            ..Counts::default()
        },
        ..Default::default()
    };
    if depth == 0 {
        return Ok(summary);
    }
    progress.set_length(depth);
    let (mut r, mut consumer) = Replay::start(connection, publish_on, api, opts, summary).await?;
    r.pump(&mut consumer, progress).await?;
    r.finish(consumer, started).await
}

enum Event {
    Interrupted,
    Outcome((u64, Outcome)),
    ConfirmTimeout,
    Idle,
    Cancelled,
    Lost(String),
    Delivery(Box<lapin::message::Delivery>),
}

impl<'a> Replay<'a> {
    /// Set the prefetch, open the publisher and the export (unless a dry run), and start
    /// consuming the DLQ.
    async fn start(
        connection: &Connection,
        publish_on: Option<&Connection>,
        api: &'a ManagementApi,
        opts: &'a Options,
        summary: Summary,
    ) -> Result<(Replay<'a>, Consumer)> {
        let prefetch = prefetch_for(opts.window, summary.counts.depth_at_start);
        let channel = crate::broker::amqp::open_channel(connection).await?;
        bounded(
            OPERATION_TIMEOUT,
            channel.basic_qos(prefetch, BasicQosOptions::default()),
        )
        .await
        .map_err(|e| operation_error("setting the prefetch", &e))?;
        let publisher = if opts.dry_run {
            None
        } else {
            let on = publish_on.unwrap_or(connection);
            Some(Publisher::open(on, opts.window, opts.confirm_timeout).await?)
        };
        let export = match (&opts.export, opts.dry_run) {
            (Some(path), false) => Some(FileSink::append(Format::Jsonl, path)?),
            _ => None,
        };
        let consumer = consume(&channel, &opts.dlq).await?;
        let replay = Replay {
            opts,
            channel,
            publisher,
            export,
            rules: CopyRules {
                run_id: summary.run_id.clone(),
                login_user: opts.login_user.clone(),
                keep_death_headers: opts.keep_death_headers,
                restore_expiration: opts.restore_expiration,
            },
            router: Router::new(api, &opts.vhost, &opts.target, &opts.redirects),
            summary,
            prefetch,
            in_flight: BTreeMap::new(),
            to_ack: BTreeSet::new(),
            to_export: BTreeMap::new(),
            unacked: BTreeSet::new(),
            matched: 0,
            held: 0,
            held_here: 0,
            consumer_ends: Vec::new(),
            min_held: None,
            stop: None,
            pacer: crate::pace::Pacer::optional(opts.rate),
        };
        Ok((replay, consumer))
    }

    /// The loop: take the next event (Ctrl-C, a confirm, a delivery) until a stop
    /// condition, settling acks in batches.
    async fn pump(&mut self, consumer: &mut Consumer, progress: &ProgressBar) -> Result<()> {
        let opts = self.opts;
        let depth = self.summary.counts.depth_at_start;
        let ack_batch = (opts.window / 4).clamp(1, ACK_BATCH);
        let ctrl_c = crate::interrupt::ctrl_c();
        tokio::pin!(ctrl_c);

        loop {
            if self.stop.is_some() {
                break;
            }
            if self.summary.counts.examined >= depth {
                self.stop = Some(Stop::Depth);
                break;
            }
            if opts.limit.is_some_and(|l| self.matched >= l) {
                self.stop = Some(Stop::Limit);
                break;
            }
            let outstanding = self.publisher.as_ref().map_or(0, Publisher::outstanding);
            if self.held_here >= u64::from(self.prefetch)
                && outstanding == 0
                && self.to_ack.is_empty()
            {
                if let Err(e) = self.consume_again(consumer, progress).await {
                    // Nothing is in flight here; `finish` still puts the held messages back.
                    self.summary.error.get_or_insert_with(|| format!("{e:#}"));
                    self.stop = Some(Stop::ConnectionLost);
                }
                continue;
            }
            // Confirmed-but-unacked copies count against the window too: after a crash, at
            // most `window` messages can be both at the target and still in the DLQ.
            let window_open = outstanding + self.to_ack.len() < opts.window;
            let publisher = self.publisher.as_mut();
            let event = tokio::select! {
                biased;
                _ = &mut ctrl_c => Event::Interrupted,
                outcome = async {
                    match publisher {
                        Some(p) => {
                            tokio::time::timeout(opts.confirm_timeout, p.next_outcome()).await
                        }
                        None => std::future::pending().await,
                    }
                }, if outstanding > 0 => match outcome {
                    Ok(Some(o)) => Event::Outcome(o),
                    Ok(None) => continue,
                    Err(_) => Event::ConfirmTimeout,
                },
                delivery = tokio::time::timeout(opts.idle, consumer.next()), if window_open => {
                    match delivery {
                        Err(_) => Event::Idle,
                        Ok(None) => Event::Cancelled,
                        Ok(Some(Err(e))) => Event::Lost(describe(&e)),
                        Ok(Some(Ok(d))) => Event::Delivery(Box::new(d)),
                    }
                }
            };
            self.handle(event, outstanding, progress).await?;
            let outstanding = self.publisher.as_ref().map_or(0, Publisher::outstanding);
            if self.to_ack.len() >= ack_batch || outstanding == 0 {
                self.settle(false).await?;
            }
        }
        Ok(())
    }

    /// Held messages fill the consumer's prefetch, so nothing more can arrive. A prefetch
    /// (basic.qos, global=false) applies to consumers created after it, never to one that
    /// exists, so raising it would change nothing: instead, cancel the consumer and consume
    /// again on the same channel. The held messages stay unacked on the channel, and no
    /// longer count against the new consumer's prefetch (doubled: `next_prefetch`); the
    /// final nacks, one per consumer, put them back.
    async fn consume_again(
        &mut self,
        consumer: &mut Consumer,
        progress: &ProgressBar,
    ) -> Result<()> {
        bounded(
            OPERATION_TIMEOUT,
            self.channel.basic_cancel(
                consumer.tag().as_str().into(),
                BasicCancelOptions::default(),
            ),
        )
        .await
        .map_err(|e| operation_error("cancelling the full consumer", &e))?;
        // Deliveries sent before the cancel come first; then the stream ends.
        loop {
            let next = tokio::time::timeout(OPERATION_TIMEOUT, consumer.next())
                .await
                .map_err(|_| {
                    Error::unreachable(format!(
                        "the consumer of `{}` did not end within {:?} of its cancel",
                        self.opts.dlq, OPERATION_TIMEOUT
                    ))
                })?;
            let event = match next {
                None => break,
                Some(Ok(d)) => Event::Delivery(Box::new(d)),
                Some(Err(e)) => Event::Lost(describe(&e)),
            };
            let outstanding = self.publisher.as_ref().map_or(0, Publisher::outstanding);
            self.handle(event, outstanding, progress).await?;
            if self.stop.is_some() {
                return Ok(());
            }
        }
        // Every tag so far was the old consumer's (channel tags only grow).
        if let Some(&last) = self.unacked.last() {
            self.consumer_ends.push(last);
        }
        let prefetch = next_prefetch(self.prefetch, self.opts.window);
        if prefetch > self.prefetch {
            bounded(
                OPERATION_TIMEOUT,
                self.channel.basic_qos(prefetch, BasicQosOptions::default()),
            )
            .await
            .map_err(|e| operation_error("setting the next consumer's prefetch", &e))?;
            self.prefetch = prefetch;
        }
        *consumer = consume(&self.channel, &self.opts.dlq).await?;
        self.held_here = 0;
        Ok(())
    }

    /// One event of the loop; `outstanding` is the number of unconfirmed copies before it.
    async fn handle(
        &mut self,
        event: Event,
        outstanding: usize,
        progress: &ProgressBar,
    ) -> Result<()> {
        match event {
            Event::Interrupted => self.stop = Some(Stop::Interrupted),
            Event::Outcome((id, outcome)) => self.outcome(id, outcome).await?,
            Event::ConfirmTimeout => {
                self.summary.error = Some(format!(
                    "no publisher confirm within {:?}",
                    self.opts.confirm_timeout
                ));
                self.stop = Some(Stop::ConfirmTimeout);
            }
            Event::Idle => {
                if outstanding == 0 {
                    self.stop = Some(Stop::Drained);
                }
            }
            Event::Cancelled => self.stop = Some(Stop::Cancelled),
            Event::Lost(reason) => {
                self.summary.error = Some(format!("connection lost: {reason}"));
                self.stop = Some(Stop::ConnectionLost);
            }
            Event::Delivery(d) => {
                self.unacked.insert(d.delivery_tag);
                progress.inc(1);
                self.delivery(*d).await?;
            }
        }
        Ok(())
    }

    /// Wait for outstanding confirms (unless the connection is gone) and settle; put back
    /// every message still unacked, close, and complete the summary.
    async fn finish(mut self, consumer: Consumer, started: Instant) -> Result<Summary> {
        let lost = self.stop == Some(Stop::ConnectionLost);
        let wait = if lost {
            Duration::from_secs(2)
        } else {
            self.opts.confirm_timeout
        };
        let deadline = tokio::time::Instant::now() + wait;
        while let Some(p) = self.publisher.as_mut() {
            if p.outstanding() == 0 {
                break;
            }
            match tokio::time::timeout_at(deadline, p.next_outcome()).await {
                // Parking publishes more; the loop waits for those too.
                Ok(Some((id, o))) => self.outcome(id, o).await?,
                _ => break,
            }
        }
        self.settle(true).await?;
        // Whatever never got an outcome: the original stays in the DLQ.
        for (_, f) in std::mem::take(&mut self.in_flight) {
            self.summary.counts.unknown += 1;
            let reason = self
                .summary
                .error
                .clone()
                .unwrap_or_else(|| "no confirm".into());
            self.summary
                .failure(f.message_id, f.origin_queue, reason, Fate::Unknown);
        }
        let channel = &self.channel;
        shut(channel.basic_cancel(consumer.tag(), BasicCancelOptions::default())).await;
        // One nack per consumer puts back every message still unacked (held, failed,
        // unknown), oldest consumer first: a classic queue returns them to their original
        // places, and a quorum queue returns each consumer's messages in order, in the
        // order of the nacks (one nack across consumers would return them consumer by
        // consumer in no set order). Each names the highest tag still unacked up to its
        // consumer's last, never an acked one, which the broker would answer with 406
        // PRECONDITION_FAILED "unknown delivery tag" and a closed channel. Prefetched
        // messages never examined go back when the channel closes.
        // The source's channel may be fine when it was the destination that was lost.
        if channel.status().connected() {
            for end in self.consumer_ends.iter().copied().chain([u64::MAX]) {
                let Some(&tag) = self.unacked.range(..=end).next_back() else {
                    continue;
                };
                crate::broker::amqp::requeue_through(channel, tag).await;
                self.unacked = self.unacked.split_off(&(tag + 1));
            }
        }
        if let Some(p) = self.publisher.take() {
            p.close().await;
        }
        close_channel(channel).await;
        let mut summary = self.summary;
        let depth = summary.counts.depth_at_start;
        summary.stopped_by = self.stop.unwrap_or_default();
        summary.counts.left = if self.opts.dry_run {
            depth
        } else {
            depth.saturating_sub(summary.counts.copied + summary.counts.parked)
        };
        summary.elapsed_seconds = started.elapsed().as_secs_f64();
        summary.rate_per_second =
            crate::output::per_second(summary.counts.copied, summary.elapsed_seconds);
        Ok(summary)
    }

    /// Keep a message unacked until the end of the run (it stays in the DLQ).
    fn hold(&mut self, tag: u64) {
        self.held += 1;
        self.held_here += 1;
        self.min_held = Some(self.min_held.map_or(tag, |m| m.min(tag)));
    }

    async fn delivery(&mut self, d: lapin::message::Delivery) -> Result<()> {
        self.summary.counts.examined += 1;
        let env = Envelope::from_delivery(
            d.exchange.as_str(),
            d.routing_key.as_str(),
            &d.properties,
            &d.data,
            d.redelivered,
            Some(&self.opts.dlq),
        );
        let headers = env.properties.headers.as_ref();
        let moving = matches!(self.opts.copy, CopyMode::Verbatim { .. });
        if !moving && mark::run_id(headers) == Some(self.rules.run_id.as_str()) {
            self.hold(d.delivery_tag);
            self.stop = Some(Stop::OwnCopy);
            return Ok(());
        }
        // A moved message goes where the run's target says, whatever its history.
        let origin = if moving {
            None
        } else {
            origin::resolve(headers)
        };
        let now = now_secs();
        if !self.opts.filter.matches(
            &env,
            origin.as_ref(),
            &d.data,
            i64::try_from(now).unwrap_or(i64::MAX),
        ) {
            self.summary.counts.skipped_by_filter += 1;
            self.hold(d.delivery_tag);
            return Ok(());
        }
        self.matched += 1;
        let origin_queue = origin.as_ref().and_then(|o| o.queue.clone());
        let message_id = env.properties.message_id.clone();
        bump(
            &mut self.summary.by_reason,
            origin
                .as_ref()
                .and_then(|o| o.reason.as_deref())
                .unwrap_or("(none)"),
        );
        bump(
            &mut self.summary.by_origin,
            origin_queue.as_deref().unwrap_or("(unknown)"),
        );
        let route = if let CopyMode::Verbatim { .. } = self.opts.copy {
            Some(moved_route(&self.opts.target, &env))
        } else {
            let i = self
                .router
                .route(origin.as_ref(), &mut self.summary.routes)
                .await?;
            self.summary.routes[i].messages += 1;
            self.summary.routes[i].route.clone()
        };
        let target = route
            .as_ref()
            .map_or("(stays in the DLQ)".into(), Route::describe);
        bump(&mut self.summary.by_target, &target);
        if self.opts.dry_run {
            if self.summary.sample.len() < SAMPLE {
                self.summary.sample.push(Sample {
                    message_id,
                    origin_queue,
                    reason: origin.as_ref().and_then(|o| o.reason.clone()),
                    target,
                    body: env.body.chars().take(200).collect(),
                });
            }
            if route.is_some() {
                self.summary.counts.copied += 1;
            }
            self.hold(d.delivery_tag);
            return Ok(());
        }
        let replays = mark::replay_count(headers);
        let copy = Envelope {
            exchange: route.as_ref().map(|r| r.exchange.clone()),
            routing_key: route.as_ref().map(|r| r.routing_key.clone()),
            properties: match &self.opts.copy {
                CopyMode::Replay => {
                    mark::copy_properties(env.properties, origin.as_ref(), &self.rules, now)
                }
                CopyMode::Verbatim { moved_from } => mark::verbatim_properties(
                    env.properties,
                    &self.rules.login_user,
                    moved_from.as_ref(),
                ),
            },
            // The copy's text body is only ever written to the export.
            body: if self.export.is_some() {
                env.body
            } else {
                String::new()
            },
            body_encoding: env.body_encoding,
            redelivered: None,
            queue: None,
        };
        let in_flight = InFlight {
            park: false,
            message_id,
            origin_queue,
            copy,
            body: d.data,
        };
        if let Some(max) = self.opts.max_replays
            && replays >= max
        {
            return self
                .failed(
                    d.delivery_tag,
                    in_flight,
                    format!("replayed {replays} times already (--max-replays {max})"),
                )
                .await;
        }
        if route.is_none() {
            return self
                .failed(d.delivery_tag, in_flight, "origin unknown".into())
                .await;
        }
        self.publish(d.delivery_tag, in_flight).await
    }

    async fn publish(&mut self, tag: u64, mut f: InFlight) -> Result<()> {
        if let Some(pacer) = &mut self.pacer {
            pacer.wait().await;
        }
        let props = f
            .copy
            .properties
            .to_amqp()
            .map_err(|e| Error::internal(format!("building the copy's properties: {e}")))?;
        let exchange = f.copy.exchange.clone().unwrap_or_default();
        let key = f.copy.routing_key.clone().unwrap_or_default();
        // The body stays with the copy only while a failure can still park it.
        let body = if matches!(self.opts.on_failure, OnFailure::Park(_)) && !f.park {
            f.body.clone()
        } else {
            std::mem::take(&mut f.body)
        };
        self.in_flight.insert(tag, f);
        let Some(p) = self.publisher.as_mut() else {
            return Ok(());
        };
        let done = p.publish(tag, &exchange, &key, props, body, true).await;
        for (id, outcome) in done {
            Box::pin(self.outcome(id, outcome)).await?;
        }
        Ok(())
    }

    async fn outcome(&mut self, tag: u64, outcome: Outcome) -> Result<()> {
        let Some(f) = self.in_flight.remove(&tag) else {
            return Ok(());
        };
        match outcome {
            Outcome::Confirmed => {
                if self.export.is_some() && !f.park {
                    self.to_export.insert(tag, f.copy);
                }
                if f.park {
                    self.summary.counts.parked += 1;
                } else {
                    self.summary.counts.copied += 1;
                }
                self.to_ack.insert(tag);
                Ok(())
            }
            Outcome::Unknown { reason } => {
                // Its original stays unacked: no `multiple` ack may cover it (see `settle`).
                self.min_held = Some(self.min_held.map_or(tag, |m| m.min(tag)));
                self.summary.counts.unknown += 1;
                self.summary
                    .failure(f.message_id, f.origin_queue, reason.clone(), Fate::Unknown);
                if self.summary.error.is_none() {
                    self.summary.error = Some(reason);
                }
                self.stop = Some(Stop::ConnectionLost);
                Ok(())
            }
            Outcome::Returned { code, text } => {
                let why = format!(
                    "returned by the broker: {code} {text} (route: {} `{}`)",
                    f.copy.exchange.as_deref().unwrap_or(""),
                    f.copy.routing_key.as_deref().unwrap_or("")
                );
                self.failed_or_park_failed(tag, f, why).await
            }
            Outcome::Nacked => {
                self.failed_or_park_failed(tag, f, "nacked by the broker".into())
                    .await
            }
        }
    }

    async fn failed_or_park_failed(&mut self, tag: u64, f: InFlight, why: String) -> Result<()> {
        if f.park {
            self.hold(tag);
            self.summary.counts.failed += 1;
            self.summary.failure(
                f.message_id,
                f.origin_queue,
                format!("parking failed: {why}"),
                Fate::Left,
            );
            return Ok(());
        }
        self.failed(tag, f, why).await
    }

    /// A message that can't be replayed: leave it, park it, or abort.
    async fn failed(&mut self, tag: u64, mut f: InFlight, why: String) -> Result<()> {
        match &self.opts.on_failure {
            OnFailure::Park(queue) => {
                f.park = true;
                f.copy.exchange = Some(String::new());
                f.copy.routing_key = Some(queue.clone());
                if let Some(serde_json::Value::Object(h)) = f.copy.properties.headers.as_mut() {
                    h.insert(
                        "replay-park-reason".into(),
                        serde_json::Value::String(why.clone()),
                    );
                }
                self.summary.failure(
                    f.message_id.clone(),
                    f.origin_queue.clone(),
                    why,
                    Fate::Parked,
                );
                Box::pin(self.publish(tag, f)).await
            }
            other => {
                self.hold(tag);
                self.summary.counts.failed += 1;
                self.summary
                    .failure(f.message_id, f.origin_queue, why, Fate::Left);
                if *other == OnFailure::Abort {
                    self.stop = Some(Stop::Aborted);
                }
                Ok(())
            }
        }
    }

    /// Write the batch's copies to the export, in DLQ order whatever order the confirms
    /// arrived in, and fsync. After one failure, every later batch fails too.
    fn export_batch(&mut self, tags: &BTreeSet<u64>) -> Result<()> {
        let Some(export) = self.export.as_mut() else {
            return Ok(());
        };
        if self.stop == Some(Stop::ExportFailed) {
            return Err(Error::partial_failure("the export failed earlier in this run").into());
        }
        for tag in tags {
            if let Some(copy) = self.to_export.get(tag) {
                export.write(copy, &[])?;
            }
        }
        export.commit()?;
        for tag in tags {
            self.to_export.remove(tag);
        }
        Ok(())
    }

    /// Commit the export, then ack confirmed messages' originals in the DLQ: those below
    /// the lowest copy still in flight, or with `all`, every one. Confirms are taken one at a
    /// time, so a batch often ends while lower ones of the same broker ack are still to be
    /// taken: waiting for them lets one `multiple` ack cover the batch, where acking at once
    /// would take an ack per message.
    async fn settle(&mut self, all: bool) -> Result<()> {
        let tags = match self.in_flight.keys().next().copied() {
            Some(floor) if !all => {
                let later = self.to_ack.split_off(&floor);
                std::mem::replace(&mut self.to_ack, later)
            }
            _ => std::mem::take(&mut self.to_ack),
        };
        if tags.is_empty() {
            return Ok(());
        }
        if let Err(e) = self.export_batch(&tags) {
            // The copies are at the target but not in the file: their originals stay in the
            // DLQ, unacked, and go back at the end. Nothing more is acked in this run.
            let replayed = tags
                .iter()
                .filter(|t| self.to_export.remove(t).is_some())
                .count() as u64;
            let n = tags.len() as u64;
            self.summary.counts.copied = self.summary.counts.copied.saturating_sub(replayed);
            self.summary.counts.parked = self.summary.counts.parked.saturating_sub(n - replayed);
            self.summary.counts.in_both += n;
            if self.summary.error.is_none() {
                self.summary.error = Some(format!("{e:#}"));
            }
            self.stop = Some(Stop::ExportFailed);
            return Ok(());
        }
        let channel = self.channel.clone();
        let top = tags.last().copied().unwrap_or(0);
        // One `multiple` ack covers the batch when no held or in-flight message lies below
        // its top tag (it would ack those too); otherwise each is acked, all sent together.
        let blocked = self.min_held.is_some_and(|h| h < top)
            || self.in_flight.keys().next().is_some_and(|t| *t < top);
        let (failed, error) = if blocked {
            let results = futures_util::future::join_all(tags.iter().map(|tag| {
                bounded(
                    OPERATION_TIMEOUT,
                    channel.basic_ack(*tag, BasicAckOptions { multiple: false }),
                )
            }))
            .await;
            let mut errors = Vec::new();
            for (tag, result) in tags.iter().zip(&results) {
                match result {
                    Ok(()) => {
                        self.unacked.remove(tag);
                    }
                    Err(e) => errors.push(describe(e)),
                }
            }
            (errors.len() as u64, errors.into_iter().next())
        } else {
            match bounded(
                OPERATION_TIMEOUT,
                channel.basic_ack(top, BasicAckOptions { multiple: true }),
            )
            .await
            {
                Ok(()) => {
                    // Everything at or below `top` was in this batch (nothing held or in
                    // flight lies below it), and is acked now.
                    self.unacked = self.unacked.split_off(&(top + 1));
                    (0, None)
                }
                Err(e) => (tags.len() as u64, Some(describe(&e))),
            }
        };
        if failed > 0 {
            // The copies are at the target, the originals may still be in the DLQ.
            self.summary.counts.unknown += failed;
            self.summary.counts.copied = self.summary.counts.copied.saturating_sub(failed);
            if self.summary.error.is_none() {
                self.summary.error = error.map(|e| format!("acking in the DLQ: {e}"));
            }
            self.stop = Some(Stop::ConnectionLost);
        }
        Ok(())
    }
}

/// Start consuming `queue` with manual acks.
async fn consume(channel: &Channel, queue: &str) -> Result<Consumer> {
    bounded(
        OPERATION_TIMEOUT,
        channel.basic_consume(
            queue.into(),
            "".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        ),
    )
    .await
    .map_err(|e| operation_error(&format!("consuming from `{queue}`"), &e).into())
}

/// Where a moved message goes: the target queue, or the target exchange with the target's
/// key or else the message's own (`Original`, which `warren move` never asks for: where it
/// was published).
fn moved_route(target: &Target, env: &Envelope) -> Route {
    let own_key = || env.routing_key.clone().unwrap_or_default();
    match target {
        Target::Queue(q) => Route::to_queue(q),
        Target::Exchange { name, key } => Route {
            exchange: name.clone(),
            routing_key: key.clone().unwrap_or_else(own_key),
        },
        Target::Original => Route {
            exchange: env.exchange.clone().unwrap_or_default(),
            routing_key: own_key(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moved_message_keeps_its_key_unless_the_target_names_one() {
        let env = Envelope {
            exchange: Some("orders".into()),
            routing_key: Some("o.new".into()),
            ..Default::default()
        };
        let to = |name: &str, key: Option<&str>| Target::Exchange {
            name: name.into(),
            key: key.map(str::to_string),
        };
        assert_eq!(moved_route(&to("x", None), &env).routing_key, "o.new");
        assert_eq!(moved_route(&to("x", Some("k")), &env).routing_key, "k");
        assert_eq!(
            moved_route(&Target::Queue("q".into()), &env),
            Route::to_queue("q")
        );
    }

    #[test]
    fn the_prefetch_is_three_windows_within_the_run_and_the_cap() {
        assert_eq!(prefetch_for(100, 50_000), 300);
        assert_eq!(prefetch_for(100, 20), 20);
        assert_eq!(prefetch_for(30_000, 100_000), u16::MAX);
        assert_eq!(prefetch_for(0, 0), 1);
        assert_eq!(next_prefetch(30, 10), 60);
        assert_eq!(next_prefetch(8_000, 10), 10_000);
        assert_eq!(next_prefetch(10_000, 10), 10_000);
        assert_eq!(next_prefetch(30_000, 10_000), 30_000);
        assert_eq!(next_prefetch(u16::MAX, 30_000), u16::MAX);
    }
}
