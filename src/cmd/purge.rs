//! `warren purge QUEUE`: remove every ready message of a queue, or, with `--export`, move
//! them into a file first through consume's loss-free path.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use lapin::options::QueuePurgeOptions;
use serde::Serialize;

use crate::broker::amqp::{self, bounded, operation_error};
use crate::broker::http::ManagementApi;
use crate::broker::{queue, settings};
use crate::cli::Global;
use crate::exit::Error;
use crate::message::consume::{AckMode, Stop};
use crate::message::read::{self, Source, Target};
use crate::message::sink::Format;
use crate::output::{self, Render};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  warren purge orders.retry --allow-message-loss --yes
  warren purge orders.dlq --export orders-dlq.jsonl --yes    # every message on disk first
  warren purge orders --vhost shop -o json --allow-message-loss --yes
  warren purge orders --match-header poison=true --export poison.jsonl --yes   # only those
  warren purge orders --match-jsonpath '$.sku=BAD-1' --allow-message-loss --yes
  warren purge orders.retry --dry-run                          # what it would remove

Without --export the messages are lost, so a queue that holds any (counted by the queue
itself, over AMQP) or whose count can't be read is refused (exit 2) unless
--allow-message-loss; then the broker drops the ready messages at once (AMQP queue.purge) and
warren prints how many. An export file must hold whole envelopes only; a partial last record
left by an earlier failure is moved aside to FILE.partial-N. If writing fails (a full disk),
the file keeps exactly the removed messages, the rest stay in the queue, and the exit code
is 5. With --export the queue is drained through `consume`: each message is
appended to the file and the file is fsynced before the ack that removes it, so a crash
leaves every message either in the file or still in the queue (a few may be in both);
`warren publish --file` puts them back. Messages delivered to other consumers and not yet
acknowledged are not ready, and neither way removes them. With --match-..., only the
matching messages are removed (through `consume`, exported first with --export); the others
are held and put back once, in their order. Without --yes, warren asks on a
terminal and refuses otherwise (exit 2). --dry-run says what would be removed (the queue's
own count) and changes nothing.")]
pub struct Args {
    /// The queue to empty.
    #[arg(value_parser = crate::flags::short_string)]
    pub queue: String,

    /// Append every message to this JSON Lines file (fsynced) before removing it.
    #[arg(long, value_name = "FILE.jsonl")]
    pub export: Option<PathBuf>,

    #[command(flatten)]
    pub change: super::ChangeArgs,

    /// Remove only the messages these match (the read filters of consume, peek, tap, move
    /// and replay).
    #[command(flatten)]
    pub filters: super::FilterArgs,
}

impl Args {
    fn filter(&self) -> Option<crate::message::Selection> {
        self.filters.filter()
    }
}

#[derive(Serialize)]
struct Report {
    queue: String,
    vhost: String,
    /// Messages removed from the queue.
    removed: u64,
    /// With --match-...: messages that didn't match, left in their order.
    #[serde(skip_serializing_if = "Option::is_none")]
    kept: Option<u64>,
    /// The file they were written to first (with --export).
    #[serde(skip_serializing_if = "Option::is_none")]
    exported_to: Option<PathBuf>,
}

impl Render for Report {
    fn human(&self) -> String {
        let kept = self
            .kept
            .map(|k| format!("; {k} that didn't match stay, in their order"))
            .unwrap_or_default();
        let text = match &self.exported_to {
            Some(file) => format!(
                "removed {} message(s) from `{}` (vhost `{}`), each written to {} first",
                self.removed,
                self.queue,
                self.vhost,
                file.display()
            ),
            None => format!(
                "removed {} message(s) from `{}` (vhost `{}`)",
                self.removed, self.queue, self.vhost
            ),
        };
        format!("{text}{kept}")
    }
}

/// What a `--dry-run` would remove.
#[derive(Serialize)]
struct DryRun {
    queue: String,
    vhost: String,
    dry_run: bool,
    /// Ready messages as the queue answered; `None`: unknown.
    ready: Option<u64>,
    /// With --match-...: only those of `ready` that match would go.
    filtered: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    export: Option<PathBuf>,
}

impl Render for DryRun {
    fn human(&self) -> String {
        let count = output::count_or_unknown(self.ready);
        let which = if self.filtered {
            format!("the messages matching the filters, of {count} ready,")
        } else {
            format!("{count} message(s)")
        };
        let export = self
            .export
            .as_ref()
            .map(|f| format!(", writing each to {} first", f.display()))
            .unwrap_or_default();
        format!(
            "dry run: would remove {which} from `{}` (vhost `{}`){export}; nothing changed",
            self.queue, self.vhost
        )
    }
}

/// How long the broker may take over one queue.purge (a large quorum queue takes a while).
const PURGE_TIMEOUT: Duration = Duration::from_secs(120);

pub async fn run(global: &Global, args: &Args) -> Result<()> {
    let settings = settings::load(&global.connection.flags())?;
    let api = ManagementApi::new(&settings)?;
    let info = queue::get(&api, &settings.vhost, &args.queue).await?;
    let session = amqp::session_on(&settings, &settings.vhost).await;
    // Purge removes ready messages only: what it would lose is what is ready.
    let mut risk = queue::at_risk(&session, &api, &settings.vhost, &info).await?;
    risk.messages = risk.ready;
    let result = purge(global, args, &settings, &risk).await;
    if let Ok(s) = session {
        s.close().await;
    }
    result
}

async fn purge(
    global: &Global,
    args: &Args,
    settings: &settings::Settings,
    risk: &queue::AtRisk,
) -> Result<()> {
    let filter = args.filter();
    let count = output::count_or_unknown(risk.ready);
    let count = if filter.is_some() {
        format!("those matching the filters, of {count}")
    } else {
        count
    };
    if args.change.dry_run {
        return output::print(
            global.output,
            &DryRun {
                queue: args.queue.clone(),
                vhost: settings.vhost.clone(),
                dry_run: true,
                ready: risk.ready,
                filtered: filter.is_some(),
                export: args.export.clone(),
            },
        );
    }
    if args.export.is_none() && risk.ready == Some(0) {
        // Nothing to lose, and nothing purged that might arrive meanwhile.
        return report(global, args, settings, 0, filter.as_ref().map(|_| 0));
    }
    if args.export.is_none()
        && let Some(why) = queue::loss_refusal(risk, args.change.allow_message_loss)
    {
        return Err(Error::usage(format!(
            "`{}`: {why}, or --export FILE to keep them",
            args.queue
        ))
        .into());
    }
    if let Some(path) = &args.export
        && let Some(note) = crate::message::sink::prepare_export(path)?
    {
        crate::note!("note: {note}");
    }
    super::go_ahead(
        args.change.yes,
        || {
            format!(
                "purge removes every ready message of `{}` ({count}): pass --yes to go ahead",
                args.queue
            )
        },
        || {
            format!(
                "Remove {count} message(s) from `{}`{}?",
                args.queue,
                args.export
                    .as_ref()
                    .map(|f| format!(", writing each to {} first", f.display()))
                    .unwrap_or_default()
            )
        },
    )?;
    let (removed, kept) = match (&args.export, &filter) {
        (None, None) => {
            let session = amqp::connect(settings).await?;
            let purged = async {
                let channel = session.channel().await?;
                let purged = bounded(
                    PURGE_TIMEOUT,
                    channel.queue_purge(args.queue.as_str().into(), QueuePurgeOptions::default()),
                )
                .await
                .map_err(|e| operation_error(&format!("purging `{}`", args.queue), &e));
                amqp::close_channel(&channel).await;
                Ok::<u64, anyhow::Error>(u64::from(purged?))
            }
            .await;
            session.close().await;
            (purged?, None)
        }
        (file, filter) => {
            let (removed, skipped) =
                drain(settings, &args.queue, file.as_deref(), filter.clone()).await?;
            (removed, filter.as_ref().map(|_| skipped))
        }
    };
    report(global, args, settings, removed, kept)
}

fn report(
    global: &Global,
    args: &Args,
    settings: &settings::Settings,
    removed: u64,
    kept: Option<u64>,
) -> Result<()> {
    output::print(
        global.output,
        &Report {
            queue: args.queue.clone(),
            vhost: settings.vhost.clone(),
            removed,
            kept,
            exported_to: args.export.clone(),
        },
    )
}

/// Drain `queue` through consume's path until nothing arrives for 2 s: into `file` (acked
/// after each fsync), or nowhere; with a filter, only the matching messages, the others
/// held and put back in their order. Returns (removed, skipped).
async fn drain(
    settings: &settings::Settings,
    queue: &str,
    file: Option<&std::path::Path>,
    filter: Option<crate::message::Selection>,
) -> Result<(u64, u64)> {
    let target = Target {
        count: None,
        idle_timeout: Some(Duration::from_secs(2)),
        format: Some(Format::Jsonl),
        output_dir: None,
        output_file: file.map(std::path::Path::to_path_buf),
        offset: None,
        discard: file.is_none(),
        filter,
    };
    let options = target.options(1000, AckMode::Ack);
    let summary = read::read(
        settings,
        Source::Queue(queue),
        &target,
        &options,
        Format::Jsonl,
    )
    .await?;
    if summary.stopped_by == Stop::Interrupted {
        return Err(Error::interrupted(format!(
            "interrupted after removing {} message(s){}",
            summary.acked,
            file.map(|f| format!(", each written to {} first", f.display()))
                .unwrap_or_default()
        ))
        .into());
    }
    if let (Stop::NodeLost, Some(lost)) = (summary.stopped_by, &summary.lost) {
        return Err(Error::partial_failure(format!(
            "{lost}; removed {} message(s){}; the rest stay in the queue ({} written but not \
             acknowledged may be in the file and the queue both)",
            summary.acked,
            file.map(|f| format!(", each written to {} first", f.display()))
                .unwrap_or_default(),
            summary.unacked_at_loss
        ))
        .into());
    }
    if summary.stopped_by == Stop::WriteFailed {
        let left = match amqp::connect(settings).await {
            Ok(s) => {
                let depth = queue::depth(&s.connection, queue).await;
                s.close().await;
                depth.map_or_else(|_| "the rest".to_string(), |(n, _)| n.to_string())
            }
            Err(_) => "the rest".to_string(),
        };
        return Err(Error::partial_failure(format!(
            "{}; removed {} message(s){}, {left} still in the queue",
            summary.write_error.as_deref().unwrap_or("writing failed"),
            summary.acked,
            file.map(|f| format!(", each written whole to {} first", f.display()))
                .unwrap_or_default()
        ))
        .into());
    }
    if summary.stopped_by == Stop::PrefetchFull {
        return Err(Error::partial_failure(format!(
            "removed {} message(s); stopped because 65535 messages that don't match fill the \
             prefetch: narrow the queue first",
            summary.acked
        ))
        .into());
    }
    Ok((summary.acked, summary.skipped))
}
