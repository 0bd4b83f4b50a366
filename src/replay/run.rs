//! The loss-free replay loop. One channel consumes the DLQ with manual acks; another publishes
//! copies with confirms and `mandatory`. A DLQ message is acked only after its copy was
//! confirmed with no `basic.return` (and, with `--export`, written and fsynced). Anything
//! else leaves it in the DLQ: held unacked until the end, then requeued in one nack, so the
//! messages that stay keep their order. The run stops at the depth seen at the start.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use futures_util::StreamExt;
use indicatif::ProgressBar;
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions,
};
use lapin::types::FieldTable;
use lapin::{Channel, Connection};
use serde::Serialize;

use super::filter::Filter;
use super::mark::{self, CopyRules};
use super::origin::{self, Binding, Origin, Route};
use crate::broker::amqp::{OPERATION_TIMEOUT, bounded, close_channel, operation_error, shut};
use crate::broker::http::{ManagementApi, api_path};
use crate::broker::publisher::{Outcome, Publisher, describe};
use crate::exit::{Code, fail};
use crate::message::Envelope;
use crate::message::sink::{Format, Sink, StreamSink};

/// Where copies go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Back where they came from (see `origin::original_route`).
    Original,
    Exchange {
        name: String,
        key: Option<String>,
    },
    Queue(String),
}

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
    pub dlq: String,
    pub vhost: String,
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
}

const FAILURE_SAMPLE: usize = 50;
const SAMPLE: usize = 5;
/// At most this many confirmed copies wait for their DLQ ack (and the export's fsync).
const ACK_BATCH: usize = 64;

/// The prefetch for `held` messages kept until the end plus twice the window, grown in
/// steps of the window (few basic.qos calls), never more than the messages of the run or
/// the broker's cap of 65535.
pub fn prefetch_for(held: u64, window: usize, depth: u64) -> u16 {
    let window = window.max(1) as u64;
    let wanted = (held / window + 3) * window;
    u16::try_from(wanted.min(depth).max(1)).unwrap_or(u16::MAX)
}

/// A new run id: time and process, unique enough to recognise our own copies.
pub fn new_run_id() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    format!("{:x}-{:x}", now.as_millis(), std::process::id())
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ExchangeInfo {
    #[serde(rename = "type")]
    kind: String,
    internal: bool,
}

/// A JSON Lines file whose commit also fsyncs, so an exported envelope is on disk before the
/// ack that removes the message from the DLQ.
struct Export {
    stream: StreamSink<std::fs::File>,
    file: std::fs::File,
    path: PathBuf,
}

impl Export {
    fn create(path: &PathBuf) -> Result<Export> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("opening --export {}", path.display()))?;
        let handle = file
            .try_clone()
            .context("duplicating the export file handle")?;
        Ok(Export {
            stream: StreamSink::new(Format::Jsonl, file),
            file: handle,
            path: path.clone(),
        })
    }

    fn write(&mut self, env: &Envelope) -> Result<()> {
        self.stream.write(env, &[])
    }

    fn commit(&mut self) -> Result<()> {
        self.stream.commit()?;
        self.file
            .sync_data()
            .with_context(|| format!("fsync of {}", self.path.display()))
    }
}

/// What a published copy is for.
struct InFlight {
    park: bool,
    message_id: Option<String>,
    origin_queue: Option<String>,
    /// The copy as published (for --export and for parking after a failure).
    copy: Envelope,
    body: Vec<u8>,
}

/// An origin's queue, exchange and routing key: messages with the same one share a route.
type OriginKey = (Option<String>, Option<String>, Option<String>);

struct Replay<'a> {
    opts: &'a Options,
    api: &'a ManagementApi,
    channel: Channel,
    publisher: Option<Publisher>,
    export: Option<Export>,
    rules: CopyRules,
    routes: HashMap<OriginKey, usize>,
    summary: Summary,
    in_flight: HashMap<u64, InFlight>,
    to_ack: Vec<u64>,
    /// Confirmed copies waiting for the export, written in DLQ order when their batch settles.
    to_export: BTreeMap<u64, Envelope>,
    /// Every delivery tag received and not (yet) acked: what the final nack may cover.
    unacked: BTreeSet<u64>,
    matched: u64,
    held: u64,
    /// The lowest delivery tag held unacked until the end.
    min_held: Option<u64>,
    stop: Option<Stop>,
    next_send: tokio::time::Instant,
}

/// Replay (or, with `dry_run`, examine) the DLQ.
pub async fn run(
    connection: &Connection,
    api: &ManagementApi,
    opts: &Options,
    progress: &ProgressBar,
) -> Result<Summary> {
    let started = Instant::now();
    let (depth, _) = crate::broker::queue_info::depth(connection, &opts.dlq).await?;
    let run_id = new_run_id();
    let mut summary = Summary {
        run_id: run_id.clone(),
        dlq: opts.dlq.clone(),
        dry_run: opts.dry_run,
        depth_at_start: depth,
        ..Default::default()
    };
    if depth == 0 {
        return Ok(summary);
    }
    progress.set_length(depth);
    // Room for the window twice over; held messages (filtered out, failed) stay unacked
    // until the end and occupy the prefetch, so it grows with them (see `grow_prefetch`), up
    // to the broker's cap of 65535.
    let mut prefetch = prefetch_for(0, opts.window, depth);
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
        Some(Publisher::open(connection, opts.window, opts.confirm_timeout).await?)
    };
    let export = match (&opts.export, opts.dry_run) {
        (Some(path), false) => Some(Export::create(path)?),
        _ => None,
    };
    let mut consumer = bounded(
        OPERATION_TIMEOUT,
        channel.basic_consume(
            opts.dlq.as_str().into(),
            "".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        ),
    )
    .await
    .map_err(|e| operation_error(&format!("consuming from `{}`", opts.dlq), &e))?;
    summary.run_id = run_id.clone();
    let mut r = Replay {
        opts,
        api,
        channel: channel.clone(),
        publisher,
        export,
        rules: CopyRules {
            run_id,
            login_user: opts.login_user.clone(),
            keep_death_headers: opts.keep_death_headers,
            restore_expiration: opts.restore_expiration,
        },
        routes: HashMap::new(),
        summary,
        in_flight: HashMap::new(),
        to_ack: Vec::new(),
        to_export: BTreeMap::new(),
        unacked: BTreeSet::new(),
        matched: 0,
        held: 0,
        min_held: None,
        stop: None,
        next_send: tokio::time::Instant::now(),
    };
    let ack_batch = (opts.window / 4).clamp(1, ACK_BATCH);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);

    loop {
        if r.stop.is_some() {
            break;
        }
        if r.summary.examined >= depth {
            r.stop = Some(Stop::Depth);
            break;
        }
        if opts.limit.is_some_and(|l| r.matched >= l) {
            r.stop = Some(Stop::Limit);
            break;
        }
        let wanted = prefetch_for(r.held, opts.window, depth);
        if wanted > prefetch {
            bounded(
                OPERATION_TIMEOUT,
                channel.basic_qos(wanted, BasicQosOptions::default()),
            )
            .await
            .map_err(|e| operation_error("raising the prefetch", &e))?;
            prefetch = wanted;
        }
        let outstanding = r.publisher.as_ref().map_or(0, Publisher::outstanding);
        if r.held >= u64::from(prefetch) && outstanding == 0 && r.to_ack.is_empty() {
            r.stop = Some(Stop::PrefetchFull);
            break;
        }
        // Confirmed-but-unacked copies count against the window too: after a crash, at most
        // `window` messages can be both at the target and still in the DLQ.
        let window_open = outstanding + r.to_ack.len() < opts.window;
        let publisher = r.publisher.as_mut();
        let event = tokio::select! {
            biased;
            _ = &mut ctrl_c => Event::Interrupted,
            outcome = async {
                match publisher {
                    Some(p) => tokio::time::timeout(opts.confirm_timeout, p.next_outcome()).await,
                    None => std::future::pending().await,
                }
            }, if outstanding > 0 => match outcome {
                Ok(Some(o)) => Event::Outcome(o),
                Ok(None) => continue,
                Err(_) => Event::ConfirmTimeout,
            },
            delivery = tokio::time::timeout(opts.idle, consumer.next()), if window_open => match delivery {
                Err(_) => Event::Idle,
                Ok(None) => Event::Cancelled,
                Ok(Some(Err(e))) => Event::Lost(describe(&e)),
                Ok(Some(Ok(d))) => Event::Delivery(Box::new(d)),
            },
        };
        match event {
            Event::Interrupted => r.stop = Some(Stop::Interrupted),
            Event::Outcome((id, outcome)) => r.outcome(id, outcome).await?,
            Event::ConfirmTimeout => {
                r.summary.error = Some(format!(
                    "no publisher confirm within {:?}",
                    opts.confirm_timeout
                ));
                r.stop = Some(Stop::ConfirmTimeout);
            }
            Event::Idle => {
                if outstanding == 0 {
                    r.stop = Some(Stop::Drained);
                }
            }
            Event::Cancelled => r.stop = Some(Stop::Cancelled),
            Event::Lost(reason) => {
                r.summary.error = Some(format!("connection lost: {reason}"));
                r.stop = Some(Stop::ConnectionLost);
            }
            Event::Delivery(d) => {
                r.unacked.insert(d.delivery_tag);
                progress.inc(1);
                r.delivery(&d).await?;
            }
        }
        let outstanding = r.publisher.as_ref().map_or(0, Publisher::outstanding);
        if r.to_ack.len() >= ack_batch || outstanding == 0 {
            r.settle().await?;
        }
    }

    // Wait for outstanding confirms (unless the connection is gone), then settle.
    let lost = r.stop == Some(Stop::ConnectionLost);
    let wait = if lost {
        Duration::from_secs(2)
    } else {
        opts.confirm_timeout
    };
    let deadline = tokio::time::Instant::now() + wait;
    while let Some(p) = r.publisher.as_mut() {
        if p.outstanding() == 0 {
            break;
        }
        match tokio::time::timeout_at(deadline, p.next_outcome()).await {
            // Parking publishes more; the loop waits for those too.
            Ok(Some((id, o))) => r.outcome(id, o).await?,
            _ => break,
        }
    }
    r.settle().await?;
    // Whatever never got an outcome: the original stays in the DLQ.
    for (_, f) in r.in_flight.drain() {
        r.summary.unknown += 1;
        if r.summary.failures.len() < FAILURE_SAMPLE {
            r.summary.failures.push(Failure {
                message_id: f.message_id,
                origin_queue: f.origin_queue,
                reason: r
                    .summary
                    .error
                    .clone()
                    .unwrap_or_else(|| "no confirm".into()),
                fate: "unknown".into(),
            });
        }
    }
    shut(channel.basic_cancel(consumer.tag(), BasicCancelOptions::default())).await;
    // One nack puts back every message still unacked (held, failed, unknown): a classic queue
    // returns them to their original places. It names the highest tag still unacked, never
    // an acked one, which the broker would answer with 406 PRECONDITION_FAILED "unknown
    // delivery tag" and a closed channel. Prefetched messages never examined go back when
    // the channel closes.
    if let Some(&tag) = r.unacked.last()
        && !lost
    {
        shut(channel.basic_nack(
            tag,
            BasicNackOptions {
                multiple: true,
                requeue: true,
            },
        ))
        .await;
    }
    if let Some(p) = r.publisher.take() {
        p.close().await;
    }
    close_channel(&channel).await;
    let mut summary = r.summary;
    summary.stopped_by = r.stop.unwrap_or_default();
    summary.left_in_dlq = if opts.dry_run {
        depth
    } else {
        depth.saturating_sub(summary.replayed + summary.parked)
    };
    summary.elapsed_seconds = started.elapsed().as_secs_f64();
    summary.rate_per_second = crate::output::per_second(summary.replayed, summary.elapsed_seconds);
    Ok(summary)
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

impl Replay<'_> {
    /// Keep a message unacked until the end of the run (it stays in the DLQ).
    fn hold(&mut self, tag: u64) {
        self.held += 1;
        self.min_held = Some(self.min_held.map_or(tag, |m| m.min(tag)));
    }

    fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
        *map.entry(key.to_string()).or_default() += 1;
    }

    fn failure(
        &mut self,
        message_id: Option<String>,
        origin_queue: Option<String>,
        reason: String,
        fate: &str,
    ) {
        if self.summary.failures.len() < FAILURE_SAMPLE {
            self.summary.failures.push(Failure {
                message_id,
                origin_queue,
                reason,
                fate: fate.into(),
            });
        }
    }

    /// The route for messages from `origin`, decided once per distinct origin and reported.
    async fn route(&mut self, origin: Option<&Origin>) -> Result<usize> {
        let key = (
            origin.and_then(|o| o.queue.clone()),
            origin.and_then(|o| o.exchange.clone()),
            origin.and_then(|o| o.routing_key.clone()),
        );
        if let Some(i) = self.routes.get(&key) {
            return Ok(*i);
        }
        let decided = self.decide(origin).await?;
        let (route, why) = match decided {
            Some((r, w)) => (Some(r), w),
            None => (
                None,
                "the message has no x-death or x-original-* headers: its origin is unknown".into(),
            ),
        };
        let from = key
            .0
            .clone()
            .map_or("(unknown origin)".into(), |q| format!("`{q}`"));
        match &route {
            Some(r) => crate::note!("warren: messages from {from} go to {}: {why}", r.describe()),
            None => crate::note!("warren: messages from {from} stay in the DLQ: {why}"),
        }
        self.summary.routes.push(RouteReport {
            origin_queue: key.0.clone(),
            route,
            why,
            messages: 0,
        });
        let i = self.summary.routes.len() - 1;
        self.routes.insert(key, i);
        Ok(i)
    }

    async fn decide(&self, origin: Option<&Origin>) -> Result<Option<(Route, String)>> {
        let queue = origin.and_then(|o| o.queue.as_deref());
        if let Some(q) = queue
            && let Some((_, new)) = self.opts.redirects.iter().find(|(old, _)| old == q)
        {
            return Ok(Some((
                Route::to_queue(new),
                format!("--redirect {q}={new}"),
            )));
        }
        match &self.opts.target {
            Target::Queue(q) => Ok(Some((Route::to_queue(q), "--target queue".into()))),
            Target::Exchange { name, key } => {
                let key = key
                    .clone()
                    .or_else(|| origin.and_then(|o| o.routing_key.clone()));
                Ok(key.map(|k| {
                    (
                        Route {
                            exchange: name.clone(),
                            routing_key: k,
                        },
                        "--target exchange".into(),
                    )
                }))
            }
            Target::Original => {
                let Some(origin) = origin else {
                    return Ok(None);
                };
                let exchange = match origin.exchange.as_deref() {
                    Some(e) if !e.is_empty() && origin.queue.is_some() => {
                        let info: Option<ExchangeInfo> = self
                            .api
                            .get_opt(&api_path(&["exchanges", &self.opts.vhost, e]))
                            .await?;
                        match info {
                            Some(info) if !info.internal => {
                                let bindings: Vec<Binding> = self
                                    .api
                                    .get_opt(&format!(
                                        "{}/bindings/source",
                                        api_path(&["exchanges", &self.opts.vhost, e])
                                    ))
                                    .await?
                                    .unwrap_or_default();
                                Some((info.kind, bindings))
                            }
                            Some(info) => Some((format!("internal {}", info.kind), Vec::new())),
                            None => None,
                        }
                    }
                    _ => None,
                };
                Ok(origin::original_route(
                    origin,
                    exchange.as_ref().map(|(k, b)| (k.as_str(), b.as_slice())),
                ))
            }
        }
    }

    async fn delivery(&mut self, d: &lapin::message::Delivery) -> Result<()> {
        self.summary.examined += 1;
        let env = Envelope::from_delivery(
            d.exchange.as_str(),
            d.routing_key.as_str(),
            &d.properties,
            &d.data,
            d.redelivered,
            Some(&self.opts.dlq),
        );
        let headers = env.properties.headers.as_ref();
        if mark::run_id(headers) == Some(self.rules.run_id.as_str()) {
            self.hold(d.delivery_tag);
            self.stop = Some(Stop::OwnCopy);
            return Ok(());
        }
        let origin = origin::resolve(headers);
        let now = now_secs();
        if !self.opts.filter.matches(
            &env,
            origin.as_ref(),
            &d.data,
            i64::try_from(now).unwrap_or(i64::MAX),
        ) {
            self.summary.skipped_by_filter += 1;
            self.hold(d.delivery_tag);
            return Ok(());
        }
        self.matched += 1;
        let origin_queue = origin.as_ref().and_then(|o| o.queue.clone());
        let message_id = env.properties.message_id.clone();
        Self::bump(
            &mut self.summary.by_reason,
            origin
                .as_ref()
                .and_then(|o| o.reason.as_deref())
                .unwrap_or("(none)"),
        );
        Self::bump(
            &mut self.summary.by_origin,
            origin_queue.as_deref().unwrap_or("(unknown)"),
        );
        let i = self.route(origin.as_ref()).await?;
        self.summary.routes[i].messages += 1;
        let route = self.summary.routes[i].route.clone();
        let target = route
            .as_ref()
            .map_or("(stays in the DLQ)".into(), Route::describe);
        Self::bump(&mut self.summary.by_target, &target);
        let copy = Envelope {
            exchange: route.as_ref().map(|r| r.exchange.clone()),
            routing_key: route.as_ref().map(|r| r.routing_key.clone()),
            properties: mark::copy_properties(&env.properties, origin.as_ref(), &self.rules, now),
            body: env.body.clone(),
            body_encoding: env.body_encoding,
            redelivered: None,
            queue: None,
        };
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
                self.summary.replayed += 1;
            }
            self.hold(d.delivery_tag);
            return Ok(());
        }
        let in_flight = InFlight {
            park: false,
            message_id,
            origin_queue,
            copy,
            body: d.data.clone(),
        };
        let replays = mark::replay_count(headers);
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

    async fn publish(&mut self, tag: u64, f: InFlight) -> Result<()> {
        if let Some(rate) = self.opts.rate.filter(|r| *r > 0.0) {
            let step = crate::flags::interval(rate);
            tokio::time::sleep_until(self.next_send).await;
            self.next_send = self.next_send.max(tokio::time::Instant::now() - step) + step;
        }
        let props = f.copy.properties.to_amqp().map_err(|e| {
            fail(
                Code::Internal,
                format!("building the copy's properties: {e}"),
            )
        })?;
        let exchange = f.copy.exchange.clone().unwrap_or_default();
        let key = f.copy.routing_key.clone().unwrap_or_default();
        let body = f.body.clone();
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
                    self.summary.parked += 1;
                } else {
                    self.summary.replayed += 1;
                }
                self.to_ack.push(tag);
                Ok(())
            }
            Outcome::Unknown { reason } => {
                self.summary.unknown += 1;
                self.failure(f.message_id, f.origin_queue, reason.clone(), "unknown");
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
            self.summary.failed += 1;
            self.failure(
                f.message_id,
                f.origin_queue,
                format!("parking failed: {why}"),
                "left_in_dlq",
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
                self.failure(f.message_id.clone(), f.origin_queue.clone(), why, "parked");
                Box::pin(self.publish(tag, f)).await
            }
            other => {
                self.hold(tag);
                self.summary.failed += 1;
                self.failure(f.message_id, f.origin_queue, why, "left_in_dlq");
                if *other == OnFailure::Abort {
                    self.stop = Some(Stop::Aborted);
                }
                Ok(())
            }
        }
    }

    /// Commit the export, then ack every confirmed message's original in the DLQ.
    async fn settle(&mut self) -> Result<()> {
        if self.to_ack.is_empty() {
            return Ok(());
        }
        if let Some(export) = self.export.as_mut() {
            // In DLQ order: confirms of a batch arrive in any order.
            for (_, copy) in std::mem::take(&mut self.to_export) {
                export.write(&copy)?;
            }
            export.commit()?;
        }
        let channel = self.channel.clone();
        let tags = std::mem::take(&mut self.to_ack);
        let top = tags.iter().copied().max().unwrap_or(0);
        // One `multiple` ack covers the batch when no held or in-flight message lies below
        // its top tag (it would ack those too); otherwise each is acked, all sent together.
        let blocked =
            self.min_held.is_some_and(|h| h < top) || self.in_flight.keys().any(|t| *t < top);
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
            self.summary.unknown += failed;
            self.summary.replayed = self.summary.replayed.saturating_sub(failed);
            if self.summary.error.is_none() {
                self.summary.error = error.map(|e| format!("acking in the DLQ: {e}"));
            }
            self.stop = Some(Stop::ConnectionLost);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefetch_grows_with_held_messages_up_to_the_cap() {
        assert_eq!(prefetch_for(0, 100, 50_000), 300);
        assert_eq!(prefetch_for(99, 100, 50_000), 300);
        assert_eq!(prefetch_for(100, 100, 50_000), 400);
        assert_eq!(prefetch_for(0, 100, 20), 20);
        assert_eq!(prefetch_for(70_000, 1000, 100_000), u16::MAX);
        assert_eq!(prefetch_for(0, 0, 0), 1);
    }
}
