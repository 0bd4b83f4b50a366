//! `warren perf`: a load generator and latency meter, as RabbitMQ's PerfTest is, without a
//! JVM. Producers publish timestamped bodies at a set rate (or as fast as their confirm
//! window allows), consumers take them and measure the time each spent in the broker, and
//! every second a sample gives the send and receive rates and the latency percentiles.
//!
//! Latency is measured from a timestamp in the body: the nanoseconds since the run started,
//! on this process's monotonic clock, in its first 8 bytes. Producers and consumers share the
//! clock, so no clock skew enters the figures.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Result;
use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, StreamExt};
use hdrhistogram::Histogram;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Confirmation};
use serde::Serialize;
use tokio::time::Instant;

use crate::broker::amqp::{OPERATION_TIMEOUT, Session, bounded, operation_error};
use crate::exit::Error;
use crate::pace::Pacer;

/// The bytes of a body taken by its timestamp.
pub const STAMP: usize = 8;

/// How long consumers go on after the end for the messages still on their way: their
/// latencies count (a stall at the end must show in the percentiles), their rates don't.
const DRAIN: Duration = Duration::from_secs(1);

/// The highest latency recorded, in microseconds (an hour); longer ones count as an hour.
const MAX_LATENCY_US: u64 = 3_600_000_000;

/// The queue type perf declares (its `--queue-type` values are in `cli`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueType {
    Classic,
    Quorum,
    Stream,
}

impl QueueType {
    pub fn name(self) -> &'static str {
        match self {
            QueueType::Classic => "classic",
            QueueType::Quorum => "quorum",
            QueueType::Stream => "stream",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    /// The queue to use; `None`: a new one named `warren-perf-<pid>`.
    pub queue: Option<String>,
    pub queue_type: QueueType,
    pub producers: usize,
    pub consumers: usize,
    /// Messages per second, all producers together; `None`: as fast as they can.
    pub rate: Option<f64>,
    /// Body size in bytes, at least [`STAMP`].
    pub size: usize,
    pub persistent: bool,
    /// Unconfirmed messages per producer, at most; 0: no publisher confirms.
    pub confirm: usize,
    /// Consumers ack with `multiple` every this many messages (and before they wait).
    pub multi_ack: u64,
    pub prefetch: u16,
    pub duration: Duration,
}

/// Latency percentiles in milliseconds; every one `None` when nothing arrived.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Latency {
    pub min: Option<f64>,
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    pub p99_9: Option<f64>,
    pub max: Option<f64>,
}

impl Latency {
    fn of(h: Option<&Histogram<u64>>) -> Latency {
        let Some(h) = h.filter(|h| !h.is_empty()) else {
            return Latency::default();
        };
        let ms = |us: u64| Some(us as f64 / 1000.0);
        Latency {
            min: ms(h.min()),
            p50: ms(h.value_at_quantile(0.50)),
            p95: ms(h.value_at_quantile(0.95)),
            p99: ms(h.value_at_quantile(0.99)),
            p99_9: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
        }
    }
}

/// One second of the run.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    /// Seconds since the start, at the end of this sample.
    pub second: u64,
    pub sent_per_second: f64,
    pub received_per_second: f64,
    pub latency_ms: Latency,
    /// Whether a producer's connection was blocked by the broker (`connection.blocked`).
    pub blocked: bool,
}

impl Sample {
    /// The plain line printed for this sample.
    pub fn line(&self) -> String {
        let l = &self.latency_ms;
        let f = |v: Option<f64>| v.map_or_else(|| "-".into(), |v| format!("{v:.2}"));
        let mut line = format!(
            "{:>4}s  sent {:>8.0} msg/s  received {:>8.0} msg/s  latency ms p50 {} p95 {} p99 {} p99.9 {}",
            self.second,
            self.sent_per_second,
            self.received_per_second,
            f(l.p50),
            f(l.p95),
            f(l.p99),
            f(l.p99_9)
        );
        if self.blocked {
            line.push_str("  BLOCKED by the broker (connection.blocked)");
        }
        line
    }
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub queue: String,
    pub queue_type: QueueType,
    pub producers: usize,
    pub consumers: usize,
    pub size: usize,
    /// The rate asked for, all producers together.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_rate: Option<f64>,
    pub elapsed_seconds: f64,
    pub sent: u64,
    /// Confirmed by the broker (with confirms on; otherwise 0).
    pub confirmed: u64,
    /// Nacked by the broker, or without an answer at the end.
    pub not_confirmed: u64,
    /// Received by the end of the run.
    pub received: u64,
    /// Received in the second after the end (sent before it): in the latencies, not the rates.
    pub received_after: u64,
    pub sent_per_second: f64,
    pub received_per_second: f64,
    pub latency_ms: Latency,
    /// Whether the broker blocked a producer's connection at any time (`connection.blocked`,
    /// e.g. a memory or disk alarm), its reason, and the samples it spanned.
    pub blocked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked_reason: Option<String>,
    pub blocked_seconds: u64,
    /// Whether warren deleted the queue at the end (it does when it created it).
    pub queue_deleted: bool,
    /// Ctrl-C ended the run before its duration.
    pub interrupted: bool,
    pub samples: Vec<Sample>,
}

/// The counters producers and consumers share with the sampler.
struct Stats {
    sent: AtomicU64,
    confirmed: AtomicU64,
    not_confirmed: AtomicU64,
    received: AtomicU64,
    /// The latencies of the current sample, in microseconds.
    interval: Mutex<Histogram<u64>>,
    blocked_reason: Mutex<Option<String>>,
    ever_blocked: AtomicBool,
}

/// Three significant digits from 1 µs to an hour, in fixed memory.
fn histogram() -> Result<Histogram<u64>> {
    Histogram::new_with_bounds(1, MAX_LATENCY_US, 3)
        .map_err(|e| Error::internal(format!("latency histogram: {e}")).into())
}

impl Stats {
    fn new() -> Result<Stats> {
        Ok(Stats {
            sent: AtomicU64::new(0),
            confirmed: AtomicU64::new(0),
            not_confirmed: AtomicU64::new(0),
            received: AtomicU64::new(0),
            interval: Mutex::new(histogram()?),
            blocked_reason: Mutex::new(None),
            ever_blocked: AtomicBool::new(false),
        })
    }

    fn record_latency(&self, us: u64) {
        if let Ok(mut h) = self.interval.lock() {
            h.saturating_record(us.clamp(1, MAX_LATENCY_US));
        }
    }

    /// The current sample's latencies, leaving it empty for the next; `None` if a producer
    /// or consumer panicked while holding it (then the sample has no latencies).
    fn take_interval(&self) -> Option<Histogram<u64>> {
        let mut h = self.interval.lock().ok()?;
        let taken = h.clone();
        h.reset();
        Some(taken)
    }
}

/// The connections of one run: a control session (declares and deletes the queue, never
/// publishes, so never blocked) and one per producer and per consumer, as PerfTest has.
pub struct Connections {
    pub control: Session,
    pub producers: Vec<Session>,
    pub consumers: Vec<Session>,
}

impl Connections {
    pub async fn close(&self) {
        for s in self.producers.iter().chain(&self.consumers) {
            s.close().await;
        }
        self.control.close().await;
    }
}

/// The queue's arguments for its type.
fn queue_arguments(kind: QueueType) -> FieldTable {
    let mut args = FieldTable::default();
    if kind != QueueType::Classic {
        args.insert(
            "x-queue-type".into(),
            AMQPValue::LongString(kind.name().into()),
        );
    }
    args
}

/// Declare the queue; returns whether this run created it (and so deletes it at the end).
async fn declare(control: &Session, queue: &str, kind: QueueType) -> Result<bool> {
    // A passive declare first: an existing queue is used as it is and left in place.
    if crate::broker::queue::depth_if_exists(&control.connection, queue)
        .await?
        .is_some()
    {
        return Ok(false);
    }
    let channel = control.channel().await?;
    bounded(
        OPERATION_TIMEOUT,
        channel.queue_declare(
            queue.into(),
            QueueDeclareOptions {
                durable: true,
                ..Default::default()
            },
            queue_arguments(kind),
        ),
    )
    .await
    .map_err(|e| operation_error(&format!("declaring queue `{queue}`"), &e))?;
    crate::broker::amqp::close_channel(&channel).await;
    Ok(true)
}

async fn delete(control: &Session, queue: &str) -> Result<()> {
    let channel = control.channel().await?;
    bounded(
        OPERATION_TIMEOUT,
        channel.queue_delete(queue.into(), QueueDeleteOptions::default()),
    )
    .await
    .map_err(|e| operation_error(&format!("deleting queue `{queue}`"), &e))?;
    crate::broker::amqp::close_channel(&channel).await;
    Ok(())
}

/// The default queue name: one per process, so runs side by side don't share a queue.
pub fn default_queue() -> String {
    format!("warren-perf-{}", std::process::id())
}

/// Run the load for `options.duration`, calling `on_sample` every second. The queue is
/// deleted at the end if this run created it, also when the run fails or is interrupted.
pub async fn run(
    connections: &Connections,
    options: &Options,
    mut on_sample: impl FnMut(&Sample),
) -> Result<Summary> {
    let queue = options.queue.clone().unwrap_or_else(default_queue);
    let created = declare(&connections.control, &queue, options.queue_type).await?;
    let outcome = load(connections, &queue, options, &mut on_sample).await;
    let deleted = if created {
        match delete(&connections.control, &queue).await {
            Ok(()) => true,
            Err(e) => {
                crate::note!("could not delete queue `{queue}` after the run: {e:#}");
                false
            }
        }
    } else {
        false
    };
    let mut summary = outcome?;
    summary.queue_deleted = deleted;
    Ok(summary)
}

async fn load(
    connections: &Connections,
    queue: &str,
    options: &Options,
    on_sample: &mut impl FnMut(&Sample),
) -> Result<Summary> {
    let stats = Arc::new(Stats::new()?);
    // Channels and consumers are all set up before the clock starts.
    let consumer_channels = open_consumers(connections, queue, options).await?;
    let producer_channels = open_producers(connections, options, &stats).await?;
    let start = Instant::now();
    let deadline = start + options.duration;
    let mut tasks = spawn_workers(
        producer_channels,
        consumer_channels,
        queue,
        options,
        &stats,
        start,
    );
    let mut sampled =
        sample_every_second(connections, &stats, &mut tasks, start, deadline, on_sample).await?;
    // The rates are those of the run; the messages still on their way get up to DRAIN to
    // arrive, for their latencies.
    if !sampled.interrupted && sampled.failure.is_none() && options.consumers > 0 {
        let drained = deadline + DRAIN;
        while stats.received.load(Ordering::Relaxed) < stats.sent.load(Ordering::Relaxed)
            && Instant::now() < drained
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if let Some(h) = stats.take_interval() {
            let _ = sampled.total.add(&h);
        }
    }
    // Stop producers and consumers (producers stop themselves at the deadline, consumers
    // after the drain).
    tasks.abort_all();
    while let Some(done) = tasks.join_next().await {
        if let Ok(Err(e)) = done {
            sampled.failure.get_or_insert(e);
        }
    }
    if let Some(e) = sampled.failure.take() {
        return Err(e);
    }
    Ok(summarise(queue, options, &stats, sampled, start))
}

/// A consumer, with its channel, on each consumer connection.
async fn open_consumers(
    connections: &Connections,
    queue: &str,
    options: &Options,
) -> Result<Vec<(Channel, lapin::Consumer)>> {
    let mut consumer_channels = Vec::new();
    for session in &connections.consumers {
        let channel = session.channel().await?;
        let consumer = start_consumer(&channel, queue, options).await?;
        consumer_channels.push((channel, consumer));
    }
    Ok(consumer_channels)
}

/// A channel on each producer connection (in confirm mode with --confirm), each
/// connection's blocked notices recorded in `stats`.
async fn open_producers(
    connections: &Connections,
    options: &Options,
    stats: &Arc<Stats>,
) -> Result<Vec<Channel>> {
    let mut producer_channels = Vec::new();
    for session in &connections.producers {
        let channel = session.channel().await?;
        if options.confirm > 0 {
            bounded(
                OPERATION_TIMEOUT,
                channel.confirm_select(ConfirmSelectOptions::default()),
            )
            .await
            .map_err(|e| operation_error("enabling publisher confirms", &e))?;
        }
        producer_channels.push(channel);
        let stats = stats.clone();
        let mut events = session.connection.events_listener();
        tokio::spawn(async move {
            while let Some(event) = events.next().await {
                if let lapin::Event::ConnectionBlocked(reason) = event
                    && let Ok(mut r) = stats.blocked_reason.lock()
                {
                    *r = Some(reason);
                }
            }
        });
    }
    Ok(producer_channels)
}

/// Start every producer and consumer on a task of its own.
fn spawn_workers(
    producer_channels: Vec<Channel>,
    consumer_channels: Vec<(Channel, lapin::Consumer)>,
    queue: &str,
    options: &Options,
    stats: &Arc<Stats>,
    start: Instant,
) -> tokio::task::JoinSet<Result<()>> {
    let deadline = start + options.duration;
    let mut tasks = tokio::task::JoinSet::new();
    let per_producer = options.rate.map(|r| r / options.producers.max(1) as f64);
    for channel in producer_channels {
        let (stats, queue, options) = (stats.clone(), queue.to_string(), options.clone());
        tasks.spawn(async move {
            produce(
                channel,
                &queue,
                &options,
                per_producer,
                &stats,
                start,
                deadline,
            )
            .await
        });
    }
    for (channel, consumer) in consumer_channels {
        let (stats, multi_ack) = (stats.clone(), options.multi_ack);
        tasks.spawn(
            // Consumers go on through the drain, for the messages still on their way at the
            // deadline (a consumer that stopped at the deadline left the drain nothing to
            // wait for: `received_after` was always 0).
            async move {
                consume(
                    channel,
                    consumer,
                    multi_ack,
                    &stats,
                    start,
                    deadline + DRAIN,
                )
                .await
            },
        );
    }
    tasks
}

/// What the sampler saw until the deadline (or Ctrl-C, or a failed task).
struct Sampled {
    samples: Vec<Sample>,
    /// Every latency of the run.
    total: Histogram<u64>,
    blocked_seconds: u64,
    /// Sent and received at the last sample, and its time.
    last_sent: u64,
    last_received: u64,
    last_tick: Instant,
    interrupted: bool,
    failure: Option<anyhow::Error>,
}

/// The sampler: one sample a second until the deadline, and Ctrl-C ends the run early.
async fn sample_every_second(
    connections: &Connections,
    stats: &Stats,
    tasks: &mut tokio::task::JoinSet<Result<()>>,
    start: Instant,
    deadline: Instant,
    on_sample: &mut impl FnMut(&Sample),
) -> Result<Sampled> {
    let mut s = Sampled {
        samples: Vec::new(),
        total: histogram()?,
        blocked_seconds: 0,
        last_sent: 0,
        last_received: 0,
        last_tick: start,
        interrupted: false,
        failure: None,
    };
    let ctrl_c = crate::interrupt::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut second = 0;
    loop {
        let tick = (start + Duration::from_secs(second + 1)).min(deadline);
        tokio::select! {
            biased;
            _ = &mut ctrl_c => { s.interrupted = true; }
            Some(done) = tasks.join_next() => {
                // A task that ends before the deadline failed (its connection was lost).
                if let Ok(Err(e)) = done {
                    s.failure.get_or_insert(e);
                }
                if s.failure.is_none() { continue; }
            }
            () = tokio::time::sleep_until(tick) => {}
        }
        let now = Instant::now();
        let blocked = connections
            .producers
            .iter()
            .any(|p| p.connection.status().blocked());
        if blocked {
            stats.ever_blocked.store(true, Ordering::Relaxed);
        }
        let (sent, received) = (
            stats.sent.load(Ordering::Relaxed),
            stats.received.load(Ordering::Relaxed),
        );
        let span = now.duration_since(s.last_tick).as_secs_f64();
        let interval = stats.take_interval();
        if let Some(h) = &interval {
            let _ = s.total.add(h);
        }
        second += 1;
        let sample = Sample {
            second,
            sent_per_second: crate::output::per_second(sent - s.last_sent, span),
            received_per_second: crate::output::per_second(received - s.last_received, span),
            latency_ms: Latency::of(interval.as_ref()),
            blocked,
        };
        s.blocked_seconds += u64::from(blocked);
        on_sample(&sample);
        s.samples.push(sample);
        (s.last_sent, s.last_received, s.last_tick) = (sent, received, now);
        if s.interrupted || s.failure.is_some() || now >= deadline {
            return Ok(s);
        }
    }
}

/// The run's summary: the rates of the sampled window, the latencies of every message.
fn summarise(
    queue: &str,
    options: &Options,
    stats: &Stats,
    sampled: Sampled,
    start: Instant,
) -> Summary {
    let elapsed = sampled.last_tick.duration_since(start).as_secs_f64();
    let (sent, received) = (sampled.last_sent, sampled.last_received);
    let received_after = stats.received.load(Ordering::Relaxed) - received;
    let reason = stats.blocked_reason.lock().ok().and_then(|r| r.clone());
    let blocked = stats.ever_blocked.load(Ordering::Relaxed) || reason.is_some();
    Summary {
        queue: queue.to_string(),
        queue_type: options.queue_type,
        producers: options.producers,
        consumers: options.consumers,
        size: options.size,
        target_rate: options.rate,
        elapsed_seconds: elapsed,
        sent,
        confirmed: stats.confirmed.load(Ordering::Relaxed),
        not_confirmed: stats.not_confirmed.load(Ordering::Relaxed),
        received,
        received_after,
        sent_per_second: crate::output::per_second(sent, elapsed),
        received_per_second: crate::output::per_second(received, elapsed),
        latency_ms: Latency::of(Some(&sampled.total)),
        blocked,
        blocked_reason: blocked.then_some(reason).flatten(),
        blocked_seconds: sampled.blocked_seconds,
        queue_deleted: false,
        interrupted: sampled.interrupted,
        samples: sampled.samples,
    }
}

async fn start_consumer(
    channel: &Channel,
    queue: &str,
    options: &Options,
) -> Result<lapin::Consumer> {
    bounded(
        OPERATION_TIMEOUT,
        channel.basic_qos(options.prefetch, BasicQosOptions::default()),
    )
    .await
    .map_err(|e| operation_error(&format!("queue `{queue}`"), &e))?;
    let mut args = FieldTable::default();
    if options.queue_type == QueueType::Stream {
        // Only what is published from now on: the run measures its own messages.
        args.insert(
            "x-stream-offset".into(),
            AMQPValue::LongString("next".into()),
        );
    }
    let consumer = bounded(
        OPERATION_TIMEOUT,
        channel.basic_consume(
            queue.into(),
            "".into(),
            BasicConsumeOptions::default(),
            args,
        ),
    )
    .await
    .map_err(|e| operation_error(&format!("consuming from queue `{queue}`"), &e))?;
    Ok(consumer)
}

fn nanos_since(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

type Confirm = std::pin::Pin<Box<dyn std::future::Future<Output = lapin::Result<bool>> + Send>>;

async fn produce(
    channel: Channel,
    queue: &str,
    options: &Options,
    rate: Option<f64>,
    stats: &Stats,
    start: Instant,
    deadline: Instant,
) -> Result<()> {
    let properties =
        BasicProperties::default().with_delivery_mode(if options.persistent { 2 } else { 1 });
    let mut body = vec![0u8; options.size.max(STAMP)];
    let mut pacer = rate.map(|r| Pacer::new(r, start));
    let mut outstanding: FuturesUnordered<Confirm> = FuturesUnordered::new();
    let settle = |answer: Option<lapin::Result<bool>>| -> Result<()> {
        match answer {
            Some(Ok(true)) => stats.confirmed.fetch_add(1, Ordering::Relaxed),
            Some(Ok(false)) => stats.not_confirmed.fetch_add(1, Ordering::Relaxed),
            Some(Err(e)) => return Err(operation_error("publishing", &e).into()),
            None => 0,
        };
        Ok(())
    };
    'run: loop {
        if let Some(due) = pacer.as_mut().and_then(|p| p.next_due(Instant::now())) {
            // Collect confirms while waiting for the next send.
            loop {
                tokio::select! {
                    biased;
                    () = tokio::time::sleep_until(due.min(deadline)) => break,
                    answer = outstanding.next(), if !outstanding.is_empty() => settle(answer)?,
                }
            }
        }
        while options.confirm > 0 && outstanding.len() >= options.confirm {
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => break 'run,
                answer = outstanding.next() => settle(answer)?,
            }
        }
        if Instant::now() >= deadline {
            break;
        }
        body[..STAMP].copy_from_slice(&nanos_since(start).to_be_bytes());
        if options.confirm > 0 {
            let (channel, body, properties, queue) = (
                channel.clone(),
                body.clone(),
                properties.clone(),
                queue.to_string(),
            );
            let mut one: Confirm = Box::pin(async move {
                let confirm = channel
                    .basic_publish(
                        "".into(),
                        queue.as_str().into(),
                        BasicPublishOptions::default(),
                        &body,
                        properties,
                    )
                    .await?;
                Ok(matches!(confirm.await?, Confirmation::Ack(_)))
            });
            // Polled once here, so its frames are queued in order at once (see
            // broker::publisher); the confirm is collected later.
            match (&mut one).now_or_never() {
                Some(answer) => settle(Some(answer))?,
                None => outstanding.push(one),
            }
        } else {
            let publish = channel.basic_publish(
                "".into(),
                queue.into(),
                BasicPublishOptions::default(),
                &body,
                properties.clone(),
            );
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => break,
                sent = publish => { sent.map_err(|e| operation_error("publishing", &e))?; }
            }
        }
        stats.sent.fetch_add(1, Ordering::Relaxed);
    }
    // Confirms still out at the deadline are not waited for: they count as not confirmed.
    stats
        .not_confirmed
        .fetch_add(outstanding.len() as u64, Ordering::Relaxed);
    Ok(())
}

async fn consume(
    channel: Channel,
    mut consumer: lapin::Consumer,
    multi_ack: u64,
    stats: &Stats,
    start: Instant,
    deadline: Instant,
) -> Result<()> {
    let mut unacked: u64 = 0;
    let mut last_tag = 0;
    let ack = async |tag: u64, count: u64| -> Result<()> {
        bounded(
            OPERATION_TIMEOUT,
            channel.basic_ack(
                tag,
                BasicAckOptions {
                    multiple: count > 1,
                },
            ),
        )
        .await
        .map_err(|e| operation_error("acking", &e).into())
    };
    loop {
        let next = match consumer.next().now_or_never() {
            Some(next) => next,
            None => {
                // Nothing waiting: settle what was taken before waiting.
                if unacked > 0 {
                    ack(last_tag, unacked).await?;
                    unacked = 0;
                }
                tokio::select! {
                    () = tokio::time::sleep_until(deadline) => return Ok(()),
                    next = consumer.next() => next,
                }
            }
        };
        let delivery = match next {
            Some(Ok(d)) => d,
            Some(Err(e)) => return Err(operation_error("consuming", &e).into()),
            None => {
                return Err(Error::broker_refused("the broker cancelled the consumer").into());
            }
        };
        if let Some(stamp) = delivery.data.get(..STAMP) {
            let sent = u64::from_be_bytes(stamp.try_into().unwrap_or([0; STAMP]));
            stats.record_latency(nanos_since(start).saturating_sub(sent) / 1000);
        }
        stats.received.fetch_add(1, Ordering::Relaxed);
        last_tag = delivery.delivery_tag;
        unacked += 1;
        if unacked >= multi_ack {
            ack(last_tag, unacked).await?;
            unacked = 0;
        }
        if Instant::now() >= deadline {
            return Ok(());
        }
    }
}

/// The largest frame perf's connections ask for. lapin keeps 32 frames of the negotiated
/// size for each direction of every connection, zeroed: at the broker's default (128 KiB)
/// that is 8 MiB per producer or consumer, which made 100 + 100 clients take 1.6 GB.
/// Bodies larger than a frame go in several frames.
pub const MAX_FRAME: u32 = 32 * 1024;

/// The smallest frame perf asks for: AMQP allows 4 KiB, but RabbitMQ 4.1 and later refuse
/// a `frame_max` below 8 KiB ("negotiated frame_max = 4096 is lower than the minimum allowed
/// value (8192)", seen on 4.3.6), closing the connection during the handshake.
pub const MIN_FRAME: u32 = 8 * 1024;

/// The frame size for bodies of `size` bytes: the smallest power of two that holds one
/// (with its 8 bytes of framing), from [`MIN_FRAME`] up to [`MAX_FRAME`].
pub fn frame_max(size: usize) -> u32 {
    let wanted = u32::try_from(size.saturating_add(8)).unwrap_or(u32::MAX);
    wanted
        .checked_next_power_of_two()
        .unwrap_or(MAX_FRAME)
        .clamp(MIN_FRAME, MAX_FRAME)
}

/// `settings` with `frame_max` asked for on every AMQP endpoint, unless its URI sets one.
fn with_frame_max(
    settings: &crate::broker::settings::Settings,
    frame: u32,
) -> crate::broker::settings::Settings {
    let mut settings = settings.clone();
    for endpoint in &mut settings.amqp {
        endpoint.query = Some(match endpoint.query.take() {
            Some(q) if q.contains("frame_max=") => q,
            Some(q) if !q.is_empty() => format!("{q}&frame_max={frame}"),
            _ => format!("frame_max={frame}"),
        });
    }
    settings
}

/// Open the run's connections: a control session, then one per producer and consumer, with
/// frames sized for bodies of `size` bytes (see [`frame_max`]).
pub async fn connect(
    settings: &crate::broker::settings::Settings,
    producers: usize,
    consumers: usize,
    size: usize,
) -> Result<Connections> {
    let settings = &with_frame_max(settings, frame_max(size));
    let control = crate::broker::amqp::connect(settings).await?;
    let mut all = Connections {
        control,
        producers: Vec::with_capacity(producers),
        consumers: Vec::with_capacity(consumers),
    };
    for n in 0..producers + consumers {
        match crate::broker::amqp::connect(settings).await {
            Ok(s) if n < producers => all.producers.push(s),
            Ok(s) => all.consumers.push(s),
            Err(e) => {
                all.close().await;
                return Err(e);
            }
        }
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_ordered_and_empty_is_unknown() {
        let mut h = histogram().unwrap();
        for us in 1..=10_000u64 {
            h.saturating_record(us);
        }
        let l = Latency::of(Some(&h));
        let values = [l.min, l.p50, l.p95, l.p99, l.p99_9, l.max].map(Option::unwrap);
        assert!(values.windows(2).all(|w| w[0] <= w[1]), "{values:?}");
        assert!((l.p50.unwrap() - 5.0).abs() < 0.01, "{l:?}");
        assert_eq!(Latency::of(Some(&histogram().unwrap())), Latency::default());
        assert_eq!(Latency::of(None), Latency::default());
    }

    #[test]
    fn frames_fit_the_body_within_bounds() {
        assert_eq!(frame_max(12), MIN_FRAME);
        assert_eq!(frame_max(8184), 8192);
        assert_eq!(frame_max(8185), 16384);
        assert_eq!(frame_max(1 << 20), MAX_FRAME);
        assert_eq!(frame_max(usize::MAX), MAX_FRAME);
    }

    #[test]
    fn a_blocked_sample_says_so() {
        let s = Sample {
            second: 3,
            sent_per_second: 0.0,
            received_per_second: 0.0,
            latency_ms: Latency::default(),
            blocked: true,
        };
        assert!(s.line().contains("BLOCKED"), "{}", s.line());
        assert!(s.line().contains("p50 -"), "{}", s.line());
    }
}
