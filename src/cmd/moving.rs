//! `warren move SRC DST`: move a queue's messages to another queue or exchange, in this vhost,
//! another vhost or another broker, through replay's loss-free loop (`replay::run`) with
//! verbatim copies published on a connection of their own.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use serde::Serialize;

use crate::broker::amqp;
use crate::broker::http::ManagementApi;
use crate::broker::settings::{self, ConnectionFlags, Settings};
use crate::cli::Global;
use crate::cmd::FilterArgs;
use crate::exit::Error;
use crate::output::{self, Render};
use crate::replay::filter::Filter;
use crate::replay::mark::CopyMode;
use crate::replay::run::{self, OnFailure, Stop, Summary, Target};
use crate::replay::summary::{Failure, ListedFailure};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  warren move orders.parked queue:orders --yes
  warren move orders.parked queue:orders --dry-run --match-header tenant=acme   # what would move
  warren move orders exchange:orders.v2 --yes            # each message keeps its routing key
  warren move orders exchange:orders.v2:eu.new --count 100 --rate 500 --yes
  warren move orders queue:orders --to-vhost shop-v2 --yes
  warren move orders queue:orders --to-uri amqps://ops@new-cluster:5671/shop \\
      --to-password-file ~/.new-pw --to-ca-cert new-ca.pem --yes
  warren move orders queue:orders --to-profile new-cluster --moved-from --yes

Each message is published to the destination with a confirm and `mandatory`, and only then
acked in the source queue: a crash or a lost node leaves every message in the source, at the
destination, or (at most --window of them) in both, reported as unknown. Properties, headers
and body travel unchanged; only a user_id other than the publishing user's is dropped (the
broker refuses it). The run stops at the depth the source had at the start, so a queue that
is still being fed doesn't keep it going. Messages the filters leave out stay in the source
in their order. A transient message (delivery_mode 1) stays transient: it survives a restart
of the destination only if its queue keeps it (a quorum queue does).

The destination broker (--to-uri or --to-profile) takes only its own --to-* flags and
profile: WARREN_URI, WARREN_USER, WARREN_PASSWORD and the default profile describe the source.
The exit code is 5 when any message failed or has an unknown outcome.")]
#[command(group(clap::ArgGroup::new("to_broker").args(["to_uris", "to_profile"]).multiple(true)))]
pub struct Args {
    /// The queue to move messages out of.
    #[arg(value_parser = crate::flags::short_string)]
    pub source: String,

    /// Where they go: queue:NAME or exchange:NAME[:KEY] (without KEY, each message keeps its
    /// routing key).
    #[arg(value_name = "DST", value_parser = parse_destination)]
    pub destination: Target,

    /// The destination's virtual host (default: the source's, or the destination broker's).
    #[arg(long, value_name = "VHOST", value_parser = crate::flags::short_string)]
    pub to_vhost: Option<String>,

    /// The destination broker's AMQP URI (repeatable, one per node).
    #[arg(long = "to-uri", value_name = "URI")]
    pub to_uris: Vec<String>,

    /// The destination broker's management API URL (default: from --to-uri).
    #[arg(long = "to-api-url", value_name = "URL", requires = "to_broker")]
    pub to_api_urls: Vec<String>,

    /// The destination broker as a profile of the config file.
    #[arg(long, value_name = "NAME")]
    pub to_profile: Option<String>,

    /// The destination broker's user.
    #[arg(long, value_name = "NAME", requires = "to_broker")]
    pub to_user: Option<String>,

    /// Read the destination user's password from this file.
    #[arg(long, value_name = "PATH", requires = "to_broker")]
    pub to_password_file: Option<PathBuf>,

    /// CA(s) to trust for the destination's TLS.
    #[arg(long, value_name = "PEM", requires = "to_broker")]
    pub to_ca_cert: Option<PathBuf>,

    /// Client certificate for the destination.
    #[arg(long, value_name = "PEM", requires_all = ["to_broker", "to_client_key"])]
    pub to_client_cert: Option<PathBuf>,

    /// Private key of --to-client-cert.
    #[arg(long, value_name = "PEM", requires_all = ["to_broker", "to_client_cert"])]
    pub to_client_key: Option<PathBuf>,

    /// Verify the destination's certificate against this name.
    #[arg(long, value_name = "NAME", requires = "to_broker")]
    pub to_tls_server_name: Option<String>,

    #[command(flatten)]
    pub filters: FilterArgs,

    /// Add `moved-from` (the source queue) and `moved-from-vhost` headers to each copy.
    #[arg(long)]
    pub moved_from: bool,

    #[command(flatten)]
    pub copy: super::CopyArgs,

    /// Show what would move (counts, a sample); change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Dry-run even a quorum source with a delivery limit.
    #[arg(long)]
    pub force: bool,

    /// Don't ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

fn parse_destination(text: &str) -> Result<Target, String> {
    match super::replay::parse_target(text) {
        Ok(Target::Original) | Err(_) => Err(format!(
            "`{text}`: expected queue:NAME or exchange:NAME[:KEY]"
        )),
        Ok(target) => Ok(target),
    }
}

/// The destination's settings: another broker's (--to-uri/--to-profile, its own flags only),
/// or the source's with --to-vhost.
fn destination(source: &Settings, global: &Global, args: &Args) -> Result<Settings> {
    if args.to_uris.is_empty() && args.to_profile.is_none() {
        let mut to = source.clone();
        if let Some(v) = &args.to_vhost {
            to.vhost.clone_from(v);
        }
        return Ok(to);
    }
    let flags = ConnectionFlags {
        uris: args.to_uris.clone(),
        api_urls: args.to_api_urls.clone(),
        user: args.to_user.clone(),
        password_file: args.to_password_file.clone(),
        vhost: args.to_vhost.clone(),
        profile: args.to_profile.clone(),
        ca_cert: args.to_ca_cert.clone(),
        client_cert: args.to_client_cert.clone(),
        client_key: args.to_client_key.clone(),
        tls_server_name: args.to_tls_server_name.clone(),
        connect_timeout: global.connection.connect_timeout,
    };
    settings::load_other(&flags).map_err(|e| match e.downcast::<Error>() {
        Ok(typed) => typed.about("the destination (--to-*)").into(),
        Err(other) => other,
    })
}

/// The same queue on the same broker: moving it onto itself would go round for ever.
/// Whether the two settings reach a node in common (one AMQP host and port in both): the
/// one test of "the same broker", for the refusal and for the report.
fn same_broker(a: &Settings, b: &Settings) -> bool {
    a.amqp.iter().any(|x| {
        b.amqp
            .iter()
            .any(|y| (&x.host, x.port) == (&y.host, y.port))
    })
}

fn onto_itself(from: &Settings, to: &Settings, source: &str, target: &Target) -> bool {
    matches!(target, Target::Queue(q) if q == source)
        && from.vhost == to.vhost
        && same_broker(from, to)
}

/// What `warren move` reports (`-o json`): replay's summary in move's words.
#[derive(Serialize)]
struct Report {
    source: String,
    source_vhost: String,
    destination: String,
    destination_vhost: String,
    /// The destination broker's first node (no credentials), when it isn't the source's.
    #[serde(skip_serializing_if = "Option::is_none")]
    destination_broker: Option<String>,
    dry_run: bool,
    depth_at_start: u64,
    examined: u64,
    /// Confirmed at the destination and acked in the source (dry run: would move).
    moved: u64,
    skipped_by_filter: u64,
    /// Returned or nacked by the destination: left in the source.
    failed: u64,
    /// Published without a confirm: still in the source, and possibly at the destination
    /// too (a duplicate). At most the window.
    unknown: u64,
    left_in_source: u64,
    /// Of `left_in_source`: held by the broker for this run's consumer on a lost node (a
    /// RabbitMQ 4.3 quorum queue puts them back after consumer_disconnected_timeout).
    held_for_lost_consumer: u64,
    stopped_by: Stop,
    error: Option<String>,
    failures: Vec<ListedFailure>,
    elapsed_seconds: f64,
    rate_per_second: f64,
}

impl Report {
    fn new(s: Summary, from: &Settings, to: &Settings, target: &Target) -> Report {
        let other_broker = !same_broker(from, to);
        let c = s.counts;
        Report {
            source: s.queue,
            source_vhost: from.vhost.clone(),
            destination: describe(target),
            destination_vhost: to.vhost.clone(),
            destination_broker: other_broker
                .then(|| to.amqp.first().map(|e| e.redacted(&to.user, &to.vhost)))
                .flatten(),
            dry_run: s.dry_run,
            depth_at_start: c.depth_at_start,
            examined: c.examined,
            moved: c.copied,
            skipped_by_filter: c.skipped_by_filter,
            failed: c.failed,
            unknown: c.unknown,
            left_in_source: c.left,
            held_for_lost_consumer: c.held_for_lost_consumer,
            stopped_by: s.stopped_by,
            error: s.error,
            failures: Failure::list(s.failures, "left_in_source"),
            elapsed_seconds: s.elapsed_seconds,
            rate_per_second: s.rate_per_second,
        }
    }
}

/// The exit code of a move: 130 when interrupted; 5 when it ended before the depth at the
/// start (another consumer, a deleted queue), when the broker holds messages for a lost
/// consumer, or when any message failed, has an unknown outcome, or an error ended it.
fn verdict(s: &Summary) -> Result<(), Error> {
    let c = &s.counts;
    s.interrupted("moved")?;
    if matches!(s.stopped_by, Stop::Drained | Stop::Cancelled) {
        return Err(Error::partial_failure(format!(
            "stopped after {} of the {} messages `{}` held at the start ({}): another consumer \
             took or holds the rest, or the queue is gone",
            c.examined, c.depth_at_start, s.queue, s.stopped_by
        )));
    }
    if c.held_for_lost_consumer > 0 {
        return Err(Error::partial_failure(format!(
            "{} message(s) are still in `{}`, held by the broker for this run's consumer on \
             the lost node: RabbitMQ 4.3 puts them back after consumer_disconnected_timeout \
             (60 s by default); move again then",
            c.held_for_lost_consumer, s.queue
        )));
    }
    if c.failed > 0 || c.unknown > 0 || s.error.is_some() {
        return Err(Error::partial_failure(format!(
            "{} failed (left in `{}`), {} with an unknown outcome{}",
            c.failed,
            s.queue,
            c.unknown,
            s.error_in_brackets()
        )));
    }
    Ok(())
}

fn describe(target: &Target) -> String {
    match target {
        Target::Queue(q) => format!("queue:{q}"),
        Target::Exchange { name, key: Some(k) } => format!("exchange:{name}:{k}"),
        Target::Exchange { name, key: None } => format!("exchange:{name}"),
        Target::Original => "original".into(),
    }
}

impl Render for Report {
    fn human(&self) -> String {
        let to = match &self.destination_broker {
            Some(b) => format!("{} on {b}", self.destination),
            None => format!("{} in vhost `{}`", self.destination, self.destination_vhost),
        };
        let mut out = String::new();
        if self.dry_run {
            out.push_str(&format!(
                "dry run: of {} messages in `{}`, {} would move to {to}, {} are left out by the \
                 filters — nothing was changed\n",
                self.depth_at_start, self.source, self.moved, self.skipped_by_filter
            ));
            return out;
        }
        let t = super::replay::counts_table(
            ("source", &self.source),
            &[
                ("at start", self.depth_at_start),
                ("moved", self.moved),
                ("skipped by filter", self.skipped_by_filter),
                ("failed", self.failed),
                ("unknown", self.unknown),
                ("left in source", self.left_in_source),
            ],
            self.stopped_by,
            self.rate_per_second,
        );
        out.push_str(&format!("to {to}\n{t}\n"));
        out.extend(self.failures.iter().map(|f| f.line(false)));
        if self.unknown > 0 {
            out.push_str(&format!(
                "{} messages have an unknown outcome: they are still in `{}` and may also be at \
                 the destination (a rerun moves them, and may duplicate them)\n",
                self.unknown, self.source
            ));
        }
        if let Some(e) = &self.error {
            out.push_str(&format!("error: {e}\n"));
        }
        out
    }
}

pub async fn run(global: &Global, args: &Args) -> Result<()> {
    let from = settings::load(&global.connection.flags())?;
    let to = destination(&from, global, args)?;
    if onto_itself(&from, &to, &args.source, &args.destination) {
        return Err(Error::usage(format!(
            "`{}` is both the source and the destination: give another queue, --to-vhost or --to-uri",
            args.source
        ))
        .into());
    }
    let api = ManagementApi::new(&from)?;
    let to_api = ManagementApi::new(&to)?;
    let info = check_source(&api, &from, args).await?;
    super::replay::target_exists(&to_api, &to.vhost, &args.destination).await?;
    let filter = args.filters.to_filter();
    if !args.dry_run {
        ask(args, &info, filter.is_some())?;
    }
    let options = options(args, &from, &to, filter.unwrap_or_default());
    let summary = move_messages(&from, &to, &api, &options, info.messages_ready).await?;
    let verdict = verdict(&summary);
    output::print(
        global.output,
        &Report::new(summary, &from, &to, &args.destination),
    )?;
    Ok(verdict?)
}

/// The source queue as the API sees it, once the checks of a move pass: a requeue guard
/// (a dry run of a quorum queue with a delivery limit), no stream; with warnings about
/// what else reads it.
async fn check_source(
    api: &ManagementApi,
    from: &Settings,
    args: &Args,
) -> Result<crate::broker::api::Queue> {
    let (info, limit, _) = crate::broker::queue::guard_requeue(
        api,
        &from.vhost,
        &args.source,
        args.dry_run.then_some((
            "a dry run reads and requeues every message, which",
            "dry-run",
        )),
        args.force,
    )
    .await?;
    if info.kind == "stream" {
        return Err(Error::usage(format!(
            "`{}` is a stream, whose messages are read, never taken: copy it with `warren consume {} --offset first` and `warren publish --file`",
            args.source, args.source
        ))
        .into());
    }
    super::replay::note_sharing(&info, limit, &args.source);
    if info.setting("single-active-consumer") == Some(&serde_json::Value::Bool(true)) {
        crate::warning!(
            "`{}` has a single active consumer: while another consumer is active this move gets nothing, and it ends early (exit 5)",
            args.source
        );
    }
    Ok(info)
}

/// --yes, or the question at a terminal.
fn ask(args: &Args, info: &crate::broker::api::Queue, filtered: bool) -> Result<()> {
    super::go_ahead(
        args.yes,
        || {
            format!(
                "move takes messages out of `{}`: pass --yes to go ahead (or look first with --dry-run)",
                args.source
            )
        },
        || {
            format!(
                "Move {} messages from `{}` to {}{}?",
                info.messages_ready
                    .map_or_else(|| "the".to_string(), |n| format!("up to {n}")),
                args.source,
                describe(&args.destination),
                if filtered {
                    " that match the filters"
                } else {
                    ""
                }
            )
        },
    )
}

/// The loop's options for a move: verbatim copies to the destination, failures left in
/// the source.
fn options(args: &Args, from: &Settings, to: &Settings, filter: Filter) -> run::Options {
    run::Options {
        run_id: crate::message::new_run_id(),
        dlq: args.source.clone(),
        copy: CopyMode::Verbatim {
            moved_from: args
                .moved_from
                .then(|| (from.vhost.clone(), args.source.clone())),
        },
        vhost: from.vhost.clone(),
        login_user: to.user.clone(),
        target: args.destination.clone(),
        redirects: Vec::new(),
        filter,
        dry_run: args.dry_run,
        limit: args.copy.limit,
        rate: args.copy.rate,
        window: usize::try_from(args.copy.window).unwrap_or(1000),
        confirm_timeout: args.copy.confirm_timeout,
        on_failure: OnFailure::Requeue,
        max_replays: None,
        keep_death_headers: true,
        restore_expiration: false,
        export: None,
        idle: Duration::from_secs(5),
    }
}

/// Connect to both ends and run the loop; close both, whatever it ends with.
async fn move_messages(
    from: &Settings,
    to: &Settings,
    api: &ManagementApi,
    options: &run::Options,
    messages_ready: Option<u64>,
) -> Result<Summary> {
    let source = amqp::connect(from).await?;
    // Copies go out on a connection of their own, even to the same vhost: the broker's flow
    // control and alarms hold a publishing connection back, and the source's deliveries and
    // acks must not wait behind it (measured on one node: 4,800 msg/s on one connection,
    // 8,000 on two).
    let destination = if options.dry_run {
        None
    } else {
        match amqp::connect(to).await {
            Ok(s) => Some(s),
            Err(e) => {
                source.close().await;
                return Err(e);
            }
        }
    };
    let progress = output::progress(messages_ready, "moving");
    let result = run::run(
        &source.connection,
        destination.as_ref().map(|s| &s.connection),
        api,
        options,
        &progress,
    )
    .await;
    progress.finish_and_clear();
    if let Some(d) = destination {
        d.close().await;
    }
    source.close().await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_are_a_queue_or_an_exchange() {
        assert_eq!(parse_destination("queue:q"), Ok(Target::Queue("q".into())));
        assert_eq!(
            parse_destination("exchange:e"),
            Ok(Target::Exchange {
                name: "e".into(),
                key: None
            })
        );
        assert!(parse_destination("original").is_err());
        assert!(parse_destination("q").is_err());
    }

    /// The exit code of a run that ended so (None: success).
    fn code(stopped_by: Stop, counts: run::Counts) -> Option<crate::exit::Code> {
        verdict(&Summary::ended("src", stopped_by, counts))
            .err()
            .map(|e| e.code())
    }

    #[test]
    fn each_outcome_has_its_exit_code() {
        use crate::exit::Code;
        let all = run::Counts::TEN_COPIED;
        assert_eq!(code(Stop::Depth, all), None);
        assert_eq!(code(Stop::Limit, all), None);
        // Interrupted comes first, whatever else happened.
        let unknown = run::Counts { unknown: 1, ..all };
        assert_eq!(code(Stop::Interrupted, unknown), Some(Code::Interrupted));
        for short in [Stop::Drained, Stop::Cancelled] {
            assert_eq!(code(short, all), Some(Code::PartialFailure));
        }
        let held = run::Counts {
            held_for_lost_consumer: 2,
            ..all
        };
        assert_eq!(code(Stop::Depth, held), Some(Code::PartialFailure));
        assert_eq!(code(Stop::Depth, unknown), Some(Code::PartialFailure));
        let failed = run::Counts { failed: 1, ..all };
        assert_eq!(code(Stop::Depth, failed), Some(Code::PartialFailure));
        let mut broken = Summary::ended("src", Stop::ConfirmTimeout, all);
        broken.error = Some("no publisher confirm".into());
        assert_eq!(
            verdict(&broken).err().map(|e| e.code()),
            Some(Code::PartialFailure)
        );
    }

    #[test]
    fn messages_say_why_in_moves_words() {
        let drained = verdict(&Summary::ended(
            "src",
            Stop::Drained,
            run::Counts {
                depth_at_start: 10,
                examined: 4,
                ..Default::default()
            },
        ));
        assert_eq!(
            drained.map_err(|e| e.to_string()),
            Err(
                "stopped after 4 of the 10 messages `src` held at the start (drained): another \
                 consumer took or holds the rest, or the queue is gone"
                    .into()
            )
        );
        let mut failed = Summary::ended(
            "src",
            Stop::Depth,
            run::Counts {
                failed: 2,
                unknown: 1,
                ..Default::default()
            },
        );
        failed.error = Some("lost".into());
        assert_eq!(
            verdict(&failed).map_err(|e| e.to_string()),
            Err("2 failed (left in `src`), 1 with an unknown outcome (lost)".into())
        );
    }
}
