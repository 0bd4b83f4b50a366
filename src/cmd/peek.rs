//! `warren peek QUEUE`: show messages and put them back. Peeking is a consume followed by a
//! requeue, so it says what that changes, and refuses where it could delete messages.

use anyhow::Result;

use super::ReadArgs;
use crate::broker::http::ManagementApi;
use crate::broker::{queue, settings};
use crate::cli::Global;
use crate::message::consume::AckMode;
use crate::message::read::{self, Source};
use crate::message::sink::Format;

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  warren peek orders                       # the first 10 messages, readable
  warren peek orders -n 100 --format jsonl > sample.jsonl
  warren peek orders.quorum --force        # a quorum queue with a delivery limit
  warren peek events.stream --offset last  # a stream: its messages stay anyway

A peek consumes and then requeues: the messages come back marked redelivered, and a quorum
queue counts the delivery. On a quorum queue with a delivery limit, repeated peeks can make
the broker drop or dead-letter messages, so warren refuses there unless --force. RabbitMQ 4.x
gives every quorum queue a delivery limit (20) by default.")]
pub struct Args {
    /// The queue to look into.
    #[arg(value_parser = crate::flags::short_string)]
    pub queue: String,

    #[command(flatten)]
    pub read: ReadArgs,

    /// Peek even where it counts against a delivery limit.
    #[arg(long)]
    pub force: bool,
}

pub async fn run(global: &Global, args: &Args) -> Result<()> {
    let mut read = args.read.clone();
    if read.count.is_none() {
        read.count = Some(10);
    }
    let settings = settings::load(&global.connection.flags())?;
    let api = ManagementApi::new(&settings)?;
    let (queue, limit, counts) = queue::guard_requeue(
        &api,
        &settings.vhost,
        &args.queue,
        Some(("every peek", "peek")),
        args.force,
    )
    .await?;
    if let Some(limit) = limit {
        crate::warning!(
            "peeking counts against `{}`'s delivery limit of {limit}",
            args.queue
        );
    }
    let mut target = read.target();
    let mode = super::stream_mode(
        Some(&queue.kind),
        &args.queue,
        &mut target,
        AckMode::Requeue,
    )?;
    if mode == AckMode::Requeue {
        crate::note!(
            "note: peeked messages are requeued: they come back marked redelivered{}",
            if counts {
                ", and the quorum queue counts the delivery (x-delivery-count)"
            } else {
                ""
            }
        );
    }
    let options = target.options(100, mode);
    // A peek must not wait forever on a queue with fewer messages than asked for.
    let options = crate::message::consume::Options {
        idle_timeout: options
            .idle_timeout
            .or(Some(std::time::Duration::from_secs(1))),
        ..options
    };
    let summary = read::read(
        &settings,
        Source::Queue(&args.queue),
        &target,
        &options,
        Format::Pretty,
    )
    .await?;
    read::report(summary, &target, global.output)
}
