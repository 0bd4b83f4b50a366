//! Publishing a stream of envelopes: defaults from the command line, confirms in a sliding
//! window, an optional rate, Ctrl-C handling, and an exact account of every message.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::Result;
use indicatif::ProgressBar;
use serde::Serialize;

use super::envelope::{Envelope, Properties};
use super::source::{Item, Origin};
use crate::broker::failover::{Failover, Failovers};
use crate::broker::publisher::{Outcome, Publisher};
use crate::broker::settings::Settings;
use crate::exit::Error;

/// Values from the command line. An explicit exchange or routing key wins over an
/// envelope's own (re-targeting a dump needs no editing, as flags win over files everywhere
/// in warren); for the properties, an envelope's own values win, so that a republished
/// message is unchanged.
#[derive(Debug, Clone, Default)]
pub struct Defaults {
    pub exchange: Option<String>,
    pub routing_key: Option<String>,
    pub properties: Properties,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub window: usize,
    /// Messages per second, at most.
    pub rate: Option<f64>,
    pub confirm_timeout: Duration,
    pub mandatory: bool,
    /// Queues to deal the messages to in turn, through the default exchange (each message's
    /// routing key becomes the queue's name); empty, each message keeps its own route.
    pub queues: Vec<String>,
}

/// One message that was not confirmed, and why.
#[derive(Debug, Serialize)]
pub struct NotConfirmed {
    pub origin: Origin,
    #[serde(flatten)]
    pub outcome: Outcome,
}

#[derive(Debug, Serialize, Default)]
pub struct Summary {
    pub published: u64,
    pub confirmed: u64,
    pub returned: u64,
    pub nacked: u64,
    /// Sent, but no answer from the broker: may or may not have been taken.
    pub unknown: u64,
    pub interrupted: bool,
    pub elapsed_seconds: f64,
    pub rate_per_second: f64,
    /// Every message not confirmed, in input order.
    pub not_confirmed: Vec<NotConfirmed>,
    /// The input error that stopped reading, if any (names file and line).
    pub input_error: Option<String>,
    /// The broker's reason when the channel closed (e.g. a missing exchange).
    pub channel_error: Option<String>,
    /// Why the run ended early: its node was lost and there was no other to go on with. The
    /// rest of the input was not published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lost: Option<String>,
    /// The nodes the run lost and went on after (`--uri` of each node).
    #[serde(flatten)]
    pub failovers: Failovers,
}

impl Summary {
    pub fn all_confirmed(&self) -> bool {
        self.not_confirmed.is_empty()
    }

    /// Add another lane's account (`run` with several channels); `not_confirmed` is put
    /// back in input order afterwards.
    fn absorb(&mut self, other: Summary) {
        self.published += other.published;
        self.confirmed += other.confirmed;
        self.returned += other.returned;
        self.nacked += other.nacked;
        self.unknown += other.unknown;
        self.interrupted |= other.interrupted;
        self.not_confirmed.extend(other.not_confirmed);
        self.input_error = self.input_error.take().or(other.input_error);
        self.channel_error = self.channel_error.take().or(other.channel_error);
        self.lost = self.lost.take().or(other.lost);
        self.failovers.absorb(&other.failovers);
    }

    /// The line numbers of unconfirmed messages from an envelope file, as ranges: `3-5,9`.
    pub fn unconfirmed_lines(&self) -> String {
        let lines: Vec<usize> = self
            .not_confirmed
            .iter()
            .filter_map(|n| match n.origin {
                Origin::Line(l) => Some(l),
                _ => None,
            })
            .collect();
        ranges(&lines)
    }
}

/// `[1,2,3,5]` -> `1-3,5`.
pub fn ranges(sorted: &[usize]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        out.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    out.join(",")
}

/// Merge the command line with an envelope: an explicit exchange and routing key replace the
/// envelope's; its properties win over the flags', and headers merge key by key. A raw body
/// (not an envelope) is persistent unless a delivery mode was given.
pub fn apply_defaults(env: Envelope, defaults: &Defaults, is_envelope: bool) -> Envelope {
    let mut merged = env;
    for (flag, own) in [
        (&defaults.exchange, &mut merged.exchange),
        (&defaults.routing_key, &mut merged.routing_key),
    ] {
        match flag {
            Some(given) => *own = Some(given.clone()),
            None => {
                own.get_or_insert_with(String::new);
            }
        }
    }
    let d = &defaults.properties;
    let p = &mut merged.properties;
    macro_rules! default_field {
        ($($f:ident),*) => { $( if p.$f.is_none() { p.$f = d.$f.clone(); } )* };
    }
    default_field!(
        content_type,
        content_encoding,
        delivery_mode,
        priority,
        correlation_id,
        reply_to,
        expiration,
        message_id,
        timestamp,
        kind,
        user_id,
        app_id,
        cluster_id
    );
    if let Some(serde_json::Value::Object(default_headers)) = &d.headers {
        match &mut p.headers {
            Some(serde_json::Value::Object(own)) => {
                for (k, v) in default_headers {
                    own.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
            None => p.headers = d.headers.clone(),
            Some(_) => {}
        }
    }
    if !is_envelope && p.delivery_mode.is_none() {
        p.delivery_mode = Some(2);
    }
    merged
}

/// The queues lane `lane` of `lanes` deals its messages to, in turn: it gets messages
/// `lane`, `lane + lanes`, … of the input, so message `k` still goes to `queues[k % len]`.
fn lane_queues(queues: &[String], lane: usize, lanes: usize) -> Vec<String> {
    (0..queues.len())
        .map(|j| queues[(lane + lanes * j) % queues.len()].clone())
        .collect()
}

/// Publish everything the inputs yield: one lane per input (`source::spawn` deals the
/// messages to them in turn), each on a connection and a task of its own, so that the
/// client's work for one channel (framing, writing, confirms) never waits on another's;
/// `--rate` is shared out between them. Returns when the inputs end, one fails, or Ctrl-C
/// comes, with the lanes' accounts added up.
pub async fn run(
    settings: &Settings,
    inputs: Vec<super::source::Input>,
    defaults: &Defaults,
    options: &Options,
    progress: &ProgressBar,
) -> Result<Summary> {
    let lanes = inputs.len();
    if lanes <= 1 {
        let Some(input) = inputs.into_iter().next() else {
            return Ok(Summary::default());
        };
        return lane(
            &mut Failover::new(settings, true),
            input,
            defaults,
            options,
            progress,
        )
        .await;
    }
    let started = Instant::now();
    let tasks: Vec<_> = inputs
        .into_iter()
        .enumerate()
        .map(|(i, input)| {
            let (settings, defaults, progress) =
                (settings.clone(), defaults.clone(), progress.clone());
            let options = Options {
                queues: lane_queues(&options.queues, i, lanes),
                rate: options.rate.map(|r| r / lanes as f64),
                ..options.clone()
            };
            tokio::spawn(async move {
                let mut failover = Failover::new(&settings, true);
                lane(&mut failover, input, &defaults, &options, &progress).await
            })
        })
        .collect();
    let mut summary: Option<Summary> = None;
    let mut failure = None;
    for task in tasks {
        match task.await {
            Ok(Ok(s)) => match summary.as_mut() {
                Some(all) => all.absorb(s),
                None => summary = Some(s),
            },
            Ok(Err(e)) => failure = failure.or(Some(e)),
            Err(e) => {
                failure = failure.or(Some(
                    Error::internal(format!("a publishing task failed: {e}")).into(),
                ))
            }
        }
    }
    // A lane that could not start (its connection refused, say): when others published,
    // their account stands and the run counts as cut short; when none did, the error is the
    // run's.
    let mut summary = match (summary, failure) {
        (None, Some(e)) => return Err(e),
        (Some(mut s), Some(e)) => {
            s.lost = s.lost.or(Some(format!("{e:#}")));
            s
        }
        (s, None) => s.unwrap_or_default(),
    };
    summary
        .not_confirmed
        .sort_by(|a, b| a.origin.cmp(&b.origin));
    summary.elapsed_seconds = started.elapsed().as_secs_f64();
    summary.rate_per_second = crate::output::per_second(summary.confirmed, summary.elapsed_seconds);
    Ok(summary)
}

/// Publish everything `input` yields on one channel. Returns when the input ends, fails, or
/// Ctrl-C comes.
///
/// With the `--uri` of several nodes, the loss of the node (or a confirm that never comes)
/// doesn't end the run: the messages in flight count as unknown (the broker may or may not
/// have taken them; they are listed, never guessed), and the rest of the input goes to the
/// next node that answers. A message not yet sent when the loss was noticed goes there too.
async fn lane(
    failover: &mut Failover<'_>,
    input: super::source::Input,
    defaults: &Defaults,
    options: &Options,
    progress: &ProgressBar,
) -> Result<Summary> {
    let started = Instant::now();
    let mut lane = Lane {
        input,
        defaults,
        options,
        pacer: crate::pace::Pacer::optional(options.rate),
        seq: 0,
        unsent: None,
        ledger: Ledger {
            summary: Summary::default(),
            not_confirmed: BTreeMap::new(),
            progress,
        },
    };
    let ctrl_c = crate::interrupt::ctrl_c();
    tokio::pin!(ctrl_c);

    loop {
        let session = failover.connect().await?;
        let mut publisher =
            match Publisher::open(&session.connection, options.window, options.confirm_timeout)
                .await
            {
                Ok(p) => p,
                Err(e) => {
                    session.close().await;
                    return Err(e);
                }
            };
        let mut in_flight: BTreeMap<u64, Origin> = BTreeMap::new();
        lane.feed(&mut publisher, &mut in_flight, &mut ctrl_c).await;
        let (closed, lost, unanswered) = lane.wind_down(&mut publisher, &mut in_flight).await;
        publisher.close().await;
        session.close().await;
        let summary = &mut lane.ledger.summary;
        match closed {
            Some(why) if lost && !summary.interrupted && summary.input_error.is_none() => {
                let consequence = format!(
                    "{unanswered} message(s) in flight count as unknown (they may or may not \
                     have arrived)"
                );
                if let Err(e) = failover.lost(&session, &why, &consequence) {
                    summary.lost = Some(format!("{e:#}"));
                    break;
                }
            }
            _ => break,
        }
    }
    // A message read but never sent (the run ended on the loss): not sent, so not at the
    // broker; listed with the rest.
    if let Some(item) = lane.unsent.take() {
        lane.seq += 1;
        let mut pending = BTreeMap::from([(lane.seq, item.origin)]);
        lane.ledger.record(
            lane.seq,
            Outcome::Unknown {
                reason: "not sent: the node was lost".into(),
            },
            &mut pending,
        );
        lane.ledger.summary.published += 1;
    }

    let Ledger {
        mut summary,
        not_confirmed,
        ..
    } = lane.ledger;
    summary.failovers = failover.record.clone();
    summary.not_confirmed = not_confirmed.into_values().collect();
    summary.elapsed_seconds = started.elapsed().as_secs_f64();
    summary.rate_per_second = crate::output::per_second(summary.confirmed, summary.elapsed_seconds);
    Ok(summary)
}

/// A lane's account of its messages: the counts, and each one not confirmed.
struct Ledger<'a> {
    summary: Summary,
    /// By sequence number: input order.
    not_confirmed: BTreeMap<u64, NotConfirmed>,
    progress: &'a ProgressBar,
}

impl Ledger<'_> {
    /// Count the outcome of copy `id`, once: it leaves `in_flight`.
    fn record(&mut self, id: u64, outcome: Outcome, in_flight: &mut BTreeMap<u64, Origin>) {
        let Some(origin) = in_flight.remove(&id) else {
            return;
        };
        match &outcome {
            Outcome::Confirmed => self.summary.confirmed += 1,
            Outcome::Returned { .. } => self.summary.returned += 1,
            Outcome::Nacked => self.summary.nacked += 1,
            Outcome::Unknown { .. } => self.summary.unknown += 1,
        }
        if outcome != Outcome::Confirmed {
            self.not_confirmed
                .insert(id, NotConfirmed { origin, outcome });
        }
        self.progress.inc(1);
    }
}

/// One lane's input and what it has sent, across the nodes it publishes to.
struct Lane<'a> {
    input: super::source::Input,
    defaults: &'a Defaults,
    options: &'a Options,
    pacer: Option<crate::pace::Pacer>,
    /// The sequence number of the last message sent.
    seq: u64,
    /// A message read but not sent when the node was lost: the first for the next node.
    unsent: Option<Item>,
    ledger: Ledger<'a>,
}

impl Lane<'_> {
    /// Publish the input on `publisher` until it ends, fails, Ctrl-C comes or the channel
    /// closes.
    async fn feed(
        &mut self,
        publisher: &mut Publisher,
        in_flight: &mut BTreeMap<u64, Origin>,
        ctrl_c: &mut (impl std::future::Future<Output = ()> + Unpin),
    ) {
        let options = self.options;
        loop {
            let item = match self.unsent.take() {
                Some(item) => item,
                None => {
                    let item = tokio::select! {
                        biased;
                        _ = &mut *ctrl_c => {
                            self.ledger.summary.interrupted = true;
                            break;
                        }
                        item = self.input.recv() => item,
                    };
                    match item {
                        None => break,
                        Some(Err(e)) => {
                            self.ledger.summary.input_error = Some(e);
                            break;
                        }
                        Some(Ok(item)) => item,
                    }
                }
            };
            for (id, outcome) in publisher.make_room().await {
                self.ledger.record(id, outcome, in_flight);
            }
            if publisher.closed_reason().is_some() {
                self.unsent = Some(item);
                break;
            }
            if let Some(pacer) = &mut self.pacer {
                pacer.wait().await;
            }
            let mut env = apply_defaults(item.envelope, self.defaults, item.is_envelope);
            if !options.queues.is_empty() {
                let queue =
                    &options.queues[usize::try_from(self.seq).unwrap_or(0) % options.queues.len()];
                env.exchange = Some(String::new());
                env.routing_key = Some(queue.clone());
            }
            let (props, body) = match env.encode() {
                Ok(x) => x,
                Err(e) => {
                    self.ledger.summary.input_error = Some(format!("{}: {e}", item.origin));
                    break;
                }
            };
            self.seq += 1;
            in_flight.insert(self.seq, item.origin);
            self.ledger.summary.published += 1;
            let done = publisher
                .publish(
                    self.seq,
                    env.exchange.as_deref().unwrap_or(""),
                    env.routing_key.as_deref().unwrap_or(""),
                    props,
                    body,
                    options.mandatory,
                )
                .await;
            for (id, outcome) in done {
                self.ledger.record(id, outcome, in_flight);
            }
            if publisher.closed_reason().is_some() {
                break;
            }
        }
    }

    /// Wait for the confirms in flight (briefly when the node is gone) and count what got
    /// none as unknown. Returns why the channel closed, whether the node was lost (not the
    /// broker refusing something), and how many messages got no answer.
    async fn wind_down(
        &mut self,
        publisher: &mut Publisher,
        in_flight: &mut BTreeMap<u64, Origin>,
    ) -> (Option<String>, bool, usize) {
        let options = self.options;
        // The node is gone (not the broker refusing something): what is in flight will not be
        // answered, so there is no point waiting the whole confirm timeout for it.
        let closed = publisher.closed_reason().map(str::to_string);
        let lost = closed.is_some() && publisher.refusal().is_none();
        let wait = if lost {
            options.confirm_timeout.min(LOST_WAIT)
        } else {
            options.confirm_timeout
        };
        for (id, outcome) in publisher.drain(wait).await {
            self.ledger.record(id, outcome, in_flight);
        }
        // What came to light while draining (the broker's refusal, say) counts too.
        let closed = closed.or_else(|| publisher.closed_reason().map(str::to_string));
        let refusal = publisher.refusal().map(str::to_string);
        // Whatever is still in flight got no answer in time.
        let reason = match &closed {
            Some(r) => format!("the node was lost ({r}): no confirm"),
            None => format!(
                "no confirm within {}s",
                options.confirm_timeout.as_secs_f64()
            ),
        };
        let unanswered = in_flight.len();
        for id in in_flight.keys().copied().collect::<Vec<_>>() {
            self.ledger.record(
                id,
                Outcome::Unknown {
                    reason: reason.clone(),
                },
                in_flight,
            );
        }
        self.ledger.summary.channel_error = refusal;
        (closed, lost, unanswered)
    }
}

/// How long the confirms in flight may take to fail once the node is known to be gone.
const LOST_WAIT: Duration = Duration::from_secs(5);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_replace_the_route_and_envelope_properties_win() {
        let defaults = Defaults {
            exchange: Some("ex".into()),
            routing_key: Some("rk".into()),
            properties: Properties {
                delivery_mode: Some(2),
                content_type: Some("text/plain".into()),
                headers: Some(serde_json::json!({"a": 1, "b": 2})),
                ..Default::default()
            },
        };
        let env = Envelope::parse(
            r#"{"routing_key":"own","properties":{"content_type":"application/json","headers":{"b":3}}}"#,
        )
        .unwrap();
        let merged = apply_defaults(env.clone(), &defaults, true);
        assert_eq!(merged.exchange.as_deref(), Some("ex"));
        // An explicit routing key replaces the envelope's own.
        assert_eq!(merged.routing_key.as_deref(), Some("rk"));
        // Without the flags, the envelope's own route stands; a missing one is "".
        let unflagged = Defaults {
            properties: defaults.properties.clone(),
            ..Default::default()
        };
        let own = apply_defaults(env.clone(), &unflagged, true);
        assert_eq!(own.routing_key.as_deref(), Some("own"));
        assert_eq!(own.exchange.as_deref(), Some(""));
        assert_eq!(
            merged.properties.content_type.as_deref(),
            Some("application/json")
        );
        assert_eq!(merged.properties.delivery_mode, Some(2));
        assert_eq!(
            merged.properties.headers,
            Some(serde_json::json!({"a": 1, "b": 3}))
        );
        // Raw bodies are persistent by default; envelopes keep what they have.
        let bare = Defaults::default();
        assert_eq!(
            apply_defaults(Envelope::default(), &bare, false)
                .properties
                .delivery_mode,
            Some(2)
        );
        assert_eq!(
            apply_defaults(Envelope::default(), &bare, true)
                .properties
                .delivery_mode,
            None
        );
    }

    #[test]
    fn each_lane_meets_the_queues_of_its_messages() {
        let queues: Vec<String> = ["c1", "c2", "c3"].map(String::from).to_vec();
        for lanes in 1..=4 {
            let per_lane: Vec<Vec<String>> =
                (0..lanes).map(|l| lane_queues(&queues, l, lanes)).collect();
            // Message k is lane k % lanes's (k / lanes)-th, and must go to queues[k % 3].
            for k in 0..24 {
                let lane = &per_lane[k % lanes];
                assert_eq!(
                    lane[(k / lanes) % lane.len()],
                    queues[k % 3],
                    "{lanes} lanes, message {k}"
                );
            }
        }
        assert!(lane_queues(&[], 1, 2).is_empty());
    }

    #[test]
    fn line_ranges() {
        assert_eq!(ranges(&[1, 2, 3, 5, 7, 8]), "1-3,5,7-8");
        assert_eq!(ranges(&[]), "");
    }
}
