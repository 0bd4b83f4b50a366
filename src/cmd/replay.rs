//! `warren replay DLQ`: move dead-lettered messages back, filtered, without losing one.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use serde::Serialize;

use crate::broker::failover::{Failover, Failovers};
use crate::broker::http::ManagementApi;
use crate::broker::queue;
use crate::broker::settings;
use crate::cli::Global;
use crate::exit::Error;
use crate::output::{self, Render};
use crate::replay::filter::{self, Filter};
use crate::replay::run::{self, OnFailure, Stop, Summary, Target};
use crate::replay::summary::{Failure, ListedFailure, RouteReport, Sample};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  warren replay orders.dlq --dry-run                     # what would go where, changes nothing
  warren replay orders.dlq --yes                         # everything back where it died
  warren replay orders.dlq --reason rejected --older-than 30m --yes
  warren replay orders.dlq --match-header tenant=acme --match-body-regex '\"sku\":\"A-' --count 100 --yes
  warren replay orders.dlq --target queue:orders.retry --on-failure park:orders.parked --yes
  warren replay orders.dlq --redirect orders.v1=orders.v2 --export replayed.jsonl --yes

--target original (the default) publishes through the original exchange and routing key
only when that reaches the queue that dead-lettered the message and nothing else; otherwise
straight to that queue through the default exchange. Each choice is printed with its reason.
A DLQ message is acked only after its copy is confirmed with no return; anything else stays
in the DLQ in its order (or is parked). The exit code is 5 when any message was parked,
failed or has an unknown outcome.")]
pub struct Args {
    /// The dead-letter queue to replay from.
    #[arg(value_parser = crate::flags::short_string)]
    pub dlq: String,

    /// Where copies go: original, exchange:NAME[:KEY] or queue:NAME.
    #[arg(long, value_name = "TARGET", default_value = "original", value_parser = parse_target)]
    pub target: Target,

    /// Send messages that died in queue OLD to queue NEW instead (repeatable).
    #[arg(long, value_name = "OLD=NEW", value_parser = parse_redirect)]
    pub redirect: Vec<(String, String)>,

    /// Only messages dead-lettered for this reason (repeatable).
    #[arg(long, value_name = "REASON", value_parser = filter::parse_reason)]
    pub reason: Vec<String>,

    /// Only messages that died in this queue (repeatable).
    #[arg(long, value_name = "QUEUE")]
    pub from_queue: Vec<String>,

    /// Only messages that died at least this long ago (30m, 2h, 1h30m, 1d).
    #[arg(long, value_name = "DURATION", value_parser = filter::parse_age)]
    pub older_than: Option<i64>,

    /// Only messages that died at most this long ago.
    #[arg(long, value_name = "DURATION", value_parser = filter::parse_age)]
    pub newer_than: Option<i64>,

    /// Only messages with at least N recorded deaths.
    #[arg(long, value_name = "N")]
    pub min_deaths: Option<i64>,

    /// Only messages with at most N recorded deaths.
    #[arg(long, value_name = "N")]
    pub max_deaths: Option<i64>,

    #[command(flatten)]
    pub filters: super::FilterArgs,

    /// Show what would happen (counts by origin, reason and target, a sample); change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Dry-run even a quorum DLQ with a delivery limit.
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub copy: super::CopyArgs,

    /// What to do with a message whose copy is returned, nacked or has no route:
    /// requeue (leave it in the DLQ), park:QUEUE, or abort.
    #[arg(long, value_name = "ACTION", default_value = "requeue", value_parser = parse_on_failure)]
    pub on_failure: OnFailure,

    /// Treat messages replayed N times already as failures (see --on-failure).
    #[arg(long, value_name = "N")]
    pub max_replays: Option<i64>,

    /// Keep x-death and x-first/last-death-* on the copies (RabbitMQ 4.x ignores a
    /// client-set x-death; 3.x counts on from it).
    #[arg(long)]
    pub keep_death_headers: bool,

    /// Give copies their per-message TTL back (x-death's original-expiration).
    #[arg(long)]
    pub restore_expiration: bool,

    /// Append every replayed copy's envelope here, fsynced before the DLQ ack.
    #[arg(long, value_name = "FILE.jsonl")]
    pub export: Option<PathBuf>,

    /// Don't ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub(crate) fn parse_target(text: &str) -> Result<Target, String> {
    let bad = || format!("`{text}`: expected original, exchange:NAME[:KEY] or queue:NAME");
    if text == "original" {
        return Ok(Target::Original);
    }
    let (kind, rest) = text.split_once(':').ok_or_else(bad)?;
    // The names and the key all travel as AMQP short strings.
    rest.split(':')
        .try_for_each(|part| crate::flags::check_short(part).map(drop))?;
    match kind {
        "queue" if !rest.is_empty() => Ok(Target::Queue(rest.to_string())),
        "exchange" => {
            let (name, key) = match rest.split_once(':') {
                Some((n, k)) => (n, Some(k.to_string())),
                None => (rest, None),
            };
            Ok(Target::Exchange {
                name: name.to_string(),
                key,
            })
        }
        _ => Err(bad()),
    }
}

fn parse_redirect(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((a, b)) if !a.is_empty() && !b.is_empty() => Ok((
            crate::flags::short_string(a)?,
            crate::flags::short_string(b)?,
        )),
        _ => Err(format!("`{text}`: expected OLD_QUEUE=NEW_QUEUE")),
    }
}

fn parse_on_failure(text: &str) -> Result<OnFailure, String> {
    match text {
        "requeue" => Ok(OnFailure::Requeue),
        "abort" => Ok(OnFailure::Abort),
        _ => match text.strip_prefix("park:") {
            Some(q) if !q.is_empty() => Ok(OnFailure::Park(crate::flags::short_string(q)?)),
            _ => Err(format!("`{text}`: expected requeue, park:QUEUE or abort")),
        },
    }
}

/// What `warren replay` reports (`-o json`): the run's outcome in replay's words.
#[derive(Serialize)]
struct Report {
    run_id: String,
    dlq: String,
    dry_run: bool,
    depth_at_start: u64,
    examined: u64,
    /// Dry run: messages that would be replayed. Otherwise: confirmed at the target and
    /// acked in the DLQ.
    replayed: u64,
    skipped_by_filter: u64,
    parked: u64,
    /// Returned, nacked, unroutable or past --max-replays: left in the DLQ.
    failed: u64,
    /// Published, but the confirm never came (or the DLQ ack did not go through): the
    /// original stays in the DLQ and a copy may also have arrived.
    unknown: u64,
    /// Confirmed at the target (or the park queue), but the original could not be acked
    /// because the copy's `--export` record could not be written: in both places.
    in_both: u64,
    /// Of the messages there at the start: all but replayed and parked.
    left_in_dlq: u64,
    /// Of `left_in_dlq`: held by the broker for this run's consumer on a lost node.
    held_for_lost_consumer: u64,
    stopped_by: Stop,
    error: Option<String>,
    routes: Vec<RouteReport>,
    by_reason: BTreeMap<String, u64>,
    by_origin: BTreeMap<String, u64>,
    by_target: BTreeMap<String, u64>,
    failures: Vec<ListedFailure>,
    sample: Vec<Sample>,
    /// The nodes the run lost and went on after (`--uri` of each node).
    #[serde(flatten)]
    failovers: Failovers,
    elapsed_seconds: f64,
    rate_per_second: f64,
}

impl From<Summary> for Report {
    fn from(s: Summary) -> Report {
        let c = s.counts;
        Report {
            run_id: s.run_id,
            dlq: s.queue,
            dry_run: s.dry_run,
            depth_at_start: c.depth_at_start,
            examined: c.examined,
            replayed: c.copied,
            skipped_by_filter: c.skipped_by_filter,
            parked: c.parked,
            failed: c.failed,
            unknown: c.unknown,
            in_both: c.in_both,
            left_in_dlq: c.left,
            held_for_lost_consumer: c.held_for_lost_consumer,
            stopped_by: s.stopped_by,
            error: s.error,
            routes: s.routes,
            by_reason: s.by_reason,
            by_origin: s.by_origin,
            by_target: s.by_target,
            failures: Failure::list(s.failures, "left_in_dlq"),
            sample: s.sample,
            failovers: s.failovers,
            elapsed_seconds: s.elapsed_seconds,
            rate_per_second: s.rate_per_second,
        }
    }
}

/// The exit code of a run: 130 when interrupted, 5 when anything was parked, failed, is in
/// both places, has an unknown outcome or is held for a lost consumer, or on an error.
fn verdict(s: &Summary) -> Result<(), Error> {
    let c = &s.counts;
    s.interrupted("replayed")?;
    if s.all_done() {
        return Ok(());
    }
    Err(Error::partial_failure(format!(
        "{} replayed, {} parked, {} failed (left in the DLQ), {} in both the target and the \
         DLQ, {} with an unknown outcome, {} left in the DLQ{}{}",
        c.copied,
        c.parked,
        c.failed,
        c.in_both,
        c.unknown,
        c.left,
        match c.held_for_lost_consumer {
            0 => String::new(),
            n => format!(
                " ({n} of them held by the broker for this run's consumer on the lost node: \
                 RabbitMQ 4.3 puts them back after consumer_disconnected_timeout, 60 s by \
                 default; replay again then)"
            ),
        },
        s.error_in_brackets()
    )))
}

impl Render for Report {
    fn human(&self) -> String {
        let mut out = String::new();
        if self.dry_run {
            out.push_str(&format!(
                "dry run of `{}`: {} messages examined of {} — nothing was changed\n",
                self.dlq, self.examined, self.depth_at_start
            ));
            for (title, map) in [
                ("origin queue", &self.by_origin),
                ("reason", &self.by_reason),
                ("target", &self.by_target),
            ] {
                let mut t = output::table([title, "messages"]);
                for (k, v) in map {
                    t.add_row([k.clone(), v.to_string()]);
                }
                out.push_str(&format!("{t}\n"));
            }
            if !self.sample.is_empty() {
                let mut t = output::table(["message id", "origin", "reason", "target", "body"]);
                for s in &self.sample {
                    t.add_row([
                        s.message_id.clone().unwrap_or_default(),
                        s.origin_queue.clone().unwrap_or_default(),
                        s.reason.clone().unwrap_or_default(),
                        s.target.clone(),
                        s.body.chars().take(60).collect(),
                    ]);
                }
                out.push_str(&format!("sample:\n{t}\n"));
            }
            out.push_str(&format!(
                "would replay {}, skipped by filter {}\n",
                self.replayed, self.skipped_by_filter
            ));
            return out;
        }
        let t = counts_table(
            ("dlq", &self.dlq),
            &[
                ("at start", self.depth_at_start),
                ("replayed", self.replayed),
                ("skipped by filter", self.skipped_by_filter),
                ("parked", self.parked),
                ("failed", self.failed),
                ("unknown", self.unknown),
                ("left in DLQ", self.left_in_dlq),
            ],
            self.stopped_by,
            self.rate_per_second,
        );
        out.push_str(&format!("{t}\n"));
        out.extend(self.failures.iter().map(|f| f.line(true)));
        if self.in_both > 0 {
            out.push_str(&format!(
                "in both: {} confirmed at the target whose originals stay in the DLQ (their \
                 --export records could not be written): replaying again would copy them twice\n",
                self.in_both
            ));
        }
        if let Some(e) = &self.error {
            out.push_str(&format!("error: {e}\n"));
        }
        if let Some(lost) = self.failovers.human() {
            out.push_str(&format!(
                "{lost}; the copies in flight then count as unknown (possible duplicates)\n"
            ));
        }
        out
    }
}

/// A run's one-row table, in its command's words: the queue, the counts, how it stopped and
/// its rate.
pub(crate) fn counts_table(
    (title, queue): (&str, &str),
    counts: &[(&str, u64)],
    stopped_by: Stop,
    rate_per_second: f64,
) -> comfy_table::Table {
    let titles = counts.iter().map(|(title, _)| *title);
    let mut t = output::table(
        std::iter::once(title)
            .chain(titles)
            .chain(["stopped by", "msg/s"]),
    );
    t.add_row(
        std::iter::once(queue.to_string())
            .chain(counts.iter().map(|(_, n)| n.to_string()))
            .chain([stopped_by.to_string(), format!("{rate_per_second:.0}")]),
    );
    t
}

/// Replay; with the `--uri` of several nodes, a part that loses its node goes on on the next
/// one: what it left unacked in the DLQ is delivered again there, and its copies in flight
/// count as unknown (they may have arrived too).
async fn replay_across_nodes(
    settings: &settings::Settings,
    api: &ManagementApi,
    options: &mut run::Options,
    progress: &indicatif::ProgressBar,
) -> Result<Summary> {
    let started = std::time::Instant::now();
    let mut failover = Failover::new(settings, !options.dry_run);
    let limit = options.limit;
    let mut done: Option<Summary> = None;
    let summary = loop {
        let session = failover.connect().await?;
        let result = run::run(&session.connection, None, api, options, progress).await;
        session.close().await;
        let part = result?;
        let total = match done.take() {
            Some(before) => before.then(part),
            None => part,
        };
        if total.stopped_by != Stop::ConnectionLost {
            break total;
        }
        let reason = total.error.clone().unwrap_or_default();
        let consequence = "what was not yet acked in the DLQ will be delivered again; copies in \
             flight count as unknown";
        if failover.lost(&session, &reason, consequence).is_err() {
            break total;
        }
        options.limit = limit.map(|l| l.saturating_sub(total.counts.copied + total.counts.parked));
        done = Some(total);
    };
    let mut summary = summary;
    summary.failovers = failover.record;
    summary.elapsed_seconds = started.elapsed().as_secs_f64();
    summary.rate_per_second = output::per_second(summary.counts.copied, summary.elapsed_seconds);
    Ok(summary)
}

/// Warn about what else reads `queue` (a run takes its messages from it): a delivery limit
/// that what stays behind counts against, other consumers, messages they hold.
pub(crate) fn note_sharing(info: &crate::broker::api::Queue, limit: Option<i64>, queue: &str) {
    if let Some(limit) = limit {
        crate::warning!(
            "`{}` has a delivery limit of {limit}: messages left in it (filtered out, failed) count a delivery",
            queue
        );
    }
    if let Some(consumers) = info.consumers.filter(|n| *n > 0) {
        crate::warning!(
            "`{}` has {consumers} other consumer(s): they take messages too, and the order of what stays can change",
            queue,
        );
    }
    if let Some(unacked) = info.messages_unacknowledged.filter(|n| *n > 0) {
        crate::note!(
            "note: {unacked} messages of `{}` are delivered to another consumer (or to a connection the \
             broker has not yet seen die) and unacknowledged: they are not part of this run",
            queue
        );
    }
}

/// A target queue or exchange must exist before anything moves: publishing to a missing
/// exchange would close the channel.
pub(crate) async fn target_exists(api: &ManagementApi, vhost: &str, target: &Target) -> Result<()> {
    match target {
        Target::Queue(q) => {
            queue::get(api, vhost, q).await?;
        }
        Target::Exchange { name, .. } if !name.is_empty() => {
            let path = crate::broker::http::api_path(&["exchanges", vhost, name]);
            if api.get_opt::<serde_json::Value>(&path).await?.is_none() {
                return Err(Error::broker_refused(format!(
                    "exchange `{name}` not found in vhost `{vhost}`"
                ))
                .into());
            }
        }
        _ => {}
    }
    Ok(())
}

pub async fn run(global: &Global, args: &Args) -> Result<()> {
    let filter = Filter {
        reasons: args.reason.clone(),
        from_queues: args.from_queue.clone(),
        older_than: args.older_than,
        newer_than: args.newer_than,
        min_deaths: args.min_deaths,
        max_deaths: args.max_deaths,
        ..args.filters.to_filter_with_defaults()
    };
    let settings = settings::load(&global.connection.flags())?;
    let api = ManagementApi::new(&settings)?;
    let (info, limit, counts) = queue::guard_requeue(
        &api,
        &settings.vhost,
        &args.dlq,
        args.dry_run.then_some((
            "a dry run reads and requeues every message, which",
            "dry-run",
        )),
        args.force,
    )
    .await?;
    note_sharing(&info, limit, &args.dlq);
    target_exists(&api, &settings.vhost, &args.target).await?;
    if let OnFailure::Park(q) = &args.on_failure {
        queue::get(&api, &settings.vhost, q).await?;
    }
    if args.dry_run {
        crate::note!(
            "note: a dry run reads every message and puts it back: they come back marked redelivered{}",
            if counts {
                ", and the quorum queue counts the delivery"
            } else {
                ""
            }
        );
    } else {
        super::go_ahead(
            args.yes,
            || {
                format!(
                    "replay moves messages out of `{}`: pass --yes to go ahead (or look first with --dry-run)",
                    args.dlq
                )
            },
            || {
                format!(
                    "Replay {} messages from `{}`{}?",
                    info.messages_ready
                        .map_or_else(|| "the".to_string(), |n| format!("up to {n}")),
                    args.dlq,
                    if filter.is_empty() {
                        ""
                    } else {
                        " that match the filters"
                    }
                )
            },
        )?;
    }
    let mut options = run::Options {
        run_id: crate::message::new_run_id(),
        dlq: args.dlq.clone(),
        copy: crate::replay::mark::CopyMode::Replay,
        vhost: settings.vhost.clone(),
        login_user: settings.user.clone(),
        target: args.target.clone(),
        redirects: args.redirect.clone(),
        filter,
        dry_run: args.dry_run,
        limit: args.copy.limit,
        rate: args.copy.rate,
        window: usize::try_from(args.copy.window).unwrap_or(1000),
        confirm_timeout: args.copy.confirm_timeout,
        on_failure: args.on_failure.clone(),
        max_replays: args.max_replays,
        keep_death_headers: args.keep_death_headers,
        restore_expiration: args.restore_expiration,
        export: args.export.clone(),
        idle: Duration::from_secs(5),
    };
    if let (Some(path), false) = (&args.export, args.dry_run)
        && let Some(note) = crate::message::sink::prepare_export(path)?
    {
        crate::note!("note: {note}");
    }
    let progress = output::progress(info.messages_ready, "replaying");
    let result = replay_across_nodes(&settings, &api, &mut options, &progress).await;
    progress.finish_and_clear();
    let summary = result?;
    let verdict = verdict(&summary);
    output::print(global.output, &Report::from(summary))?;
    Ok(verdict?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_targets_redirects_and_failure_actions() {
        assert_eq!(parse_target("original"), Ok(Target::Original));
        assert_eq!(parse_target("queue:q"), Ok(Target::Queue("q".into())));
        assert_eq!(
            parse_target("exchange:e:k.1"),
            Ok(Target::Exchange {
                name: "e".into(),
                key: Some("k.1".into())
            })
        );
        assert_eq!(
            parse_target("exchange:e"),
            Ok(Target::Exchange {
                name: "e".into(),
                key: None
            })
        );
        assert!(parse_target("queue:").is_err());
        assert!(parse_target("q").is_err());
        assert!(parse_target(&format!("queue:{}", "q".repeat(256))).is_err());
        assert!(parse_target(&format!("exchange:e:{}", "k".repeat(256))).is_err());
        assert_eq!(parse_redirect("a=b"), Ok(("a".into(), "b".into())));
        assert!(parse_redirect("a=").is_err());
        assert_eq!(parse_on_failure("park:p"), Ok(OnFailure::Park("p".into())));
        assert_eq!(parse_on_failure("abort"), Ok(OnFailure::Abort));
        assert!(parse_on_failure("park:").is_err());
    }

    /// The exit code of a run that ended so (None: success).
    fn code(stopped_by: Stop, counts: run::Counts) -> Option<crate::exit::Code> {
        verdict(&Summary::ended("dlq", stopped_by, counts))
            .err()
            .map(|e| e.code())
    }

    #[test]
    fn each_outcome_has_its_exit_code() {
        use crate::exit::Code;
        let all = run::Counts::TEN_COPIED;
        // A DLQ that held fewer messages than at the start is no failure of replay's.
        for fine in [Stop::Depth, Stop::Limit, Stop::Drained, Stop::Cancelled] {
            assert_eq!(code(fine, all), None);
        }
        let parked = run::Counts { parked: 1, ..all };
        assert_eq!(code(Stop::Interrupted, parked), Some(Code::Interrupted));
        for bad in [
            parked,
            run::Counts { failed: 1, ..all },
            run::Counts { unknown: 1, ..all },
            run::Counts { in_both: 1, ..all },
            run::Counts {
                held_for_lost_consumer: 1,
                ..all
            },
        ] {
            assert_eq!(code(Stop::Depth, bad), Some(Code::PartialFailure));
        }
        let mut broken = Summary::ended("dlq", Stop::ExportFailed, all);
        broken.error = Some("disk full".into());
        assert_eq!(
            verdict(&broken).err().map(|e| e.code()),
            Some(Code::PartialFailure)
        );
    }

    #[test]
    fn the_report_speaks_replays_words() {
        let mut s = Summary::ended(
            "dlq",
            Stop::Depth,
            run::Counts {
                depth_at_start: 3,
                copied: 1,
                failed: 1,
                left: 2,
                held_for_lost_consumer: 1,
                ..Default::default()
            },
        );
        s.failures.push(run::Failure {
            message_id: None,
            origin_queue: Some("orders".into()),
            reason: "nacked".into(),
            fate: run::Fate::Left,
        });
        assert_eq!(
            verdict(&s).map_err(|e| e.to_string()),
            Err(
                "1 replayed, 0 parked, 1 failed (left in the DLQ), 0 in both the target and \
                 the DLQ, 0 with an unknown outcome, 2 left in the DLQ (1 of them held by the \
                 broker for this run's consumer on the lost node: RabbitMQ 4.3 puts them back \
                 after consumer_disconnected_timeout, 60 s by default; replay again then)"
                    .into()
            )
        );
        let json = serde_json::to_string(&Report::from(s)).expect("json");
        assert!(json.starts_with(
            r#"{"run_id":"","dlq":"dlq","dry_run":false,"depth_at_start":3,"examined":0,"replayed":1,"#
        ));
        assert!(json.contains(r#""in_both":0,"left_in_dlq":2,"held_for_lost_consumer":1,"#));
        assert!(json.contains(
            r#""failures":[{"message_id":null,"origin_queue":"orders","reason":"nacked","fate":"left_in_dlq"}]"#
        ));
    }
}
