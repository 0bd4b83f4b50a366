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
  warren purge orders.retry --yes
  warren purge orders.dlq --export orders-dlq.jsonl --yes    # every message on disk first
  warren purge orders --vhost shop -o json --yes

Without --export the broker drops the ready messages at once (AMQP queue.purge) and warren
prints how many. With --export the queue is drained through `consume`: each message is
appended to the file and the file is fsynced before the ack that removes it, so a crash
leaves every message either in the file or still in the queue (a few may be in both);
`warren publish --file` puts them back. Messages delivered to other consumers and not yet
acknowledged are not ready, and neither way removes them. Without --yes, warren asks on a
terminal and refuses otherwise (exit 2).")]
pub struct Args {
    /// The queue to empty.
    #[arg(value_parser = crate::flags::short_string)]
    pub queue: String,

    /// Append every message to this JSON Lines file (fsynced) before removing it.
    #[arg(long, value_name = "FILE.jsonl")]
    pub export: Option<PathBuf>,

    /// Go ahead without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Serialize)]
struct Report {
    queue: String,
    vhost: String,
    /// Messages removed from the queue.
    removed: u64,
    /// The file they were written to first (with --export).
    #[serde(skip_serializing_if = "Option::is_none")]
    exported_to: Option<PathBuf>,
}

impl Render for Report {
    fn human(&self) -> String {
        match &self.exported_to {
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
        }
    }
}

/// How long the broker may take over one queue.purge (a large quorum queue takes a while).
const PURGE_TIMEOUT: Duration = Duration::from_secs(120);

pub async fn run(global: &Global, args: &Args) -> Result<()> {
    let settings = settings::load(&global.connection.flags())?;
    let api = ManagementApi::new(&settings)?;
    let info = queue::get(&api, &settings.vhost, &args.queue).await?;
    let count = info
        .messages_ready
        .map_or_else(|| "an unknown number of".to_string(), |n| n.to_string());
    super::go_ahead(
        args.yes,
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
    let removed = match &args.export {
        Some(file) => export(&settings, &args.queue, file).await?,
        None => {
            let session = amqp::connect(&settings).await?;
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
            purged?
        }
    };
    output::print(
        global.output,
        &Report {
            queue: args.queue.clone(),
            vhost: settings.vhost.clone(),
            removed,
            exported_to: args.export.clone(),
        },
    )
}

/// Drain `queue` into `file` (acked after each fsync) until nothing arrives for 2 s.
async fn export(settings: &settings::Settings, queue: &str, file: &std::path::Path) -> Result<u64> {
    let target = Target {
        count: None,
        idle_timeout: Some(Duration::from_secs(2)),
        format: Some(Format::Jsonl),
        output_dir: None,
        output_file: Some(file.to_path_buf()),
        offset: None,
    };
    let options = target.options(1000, AckMode::Ack);
    let summary = read::read_quietly(
        settings,
        Source::Queue(queue),
        &target,
        &options,
        Format::Jsonl,
    )
    .await?;
    if summary.stopped_by == Stop::Interrupted {
        return Err(Error::interrupted(format!(
            "interrupted after {} message(s), each written to {} before it was removed",
            summary.acked,
            file.display()
        ))
        .into());
    }
    Ok(summary.acked)
}
