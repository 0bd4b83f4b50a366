//! `warren consume QUEUE`: take messages off a queue into JSON Lines, raw bodies, a readable
//! form or a directory, acking each only after it is written.

use anyhow::Result;

use super::ReadArgs;
use crate::broker::settings;
use crate::cli::Global;
use crate::message::consume::{self, AckMode};
use crate::message::read::{self, Source};
use crate::message::sink::Format;

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  warren consume orders --count 100 > orders.jsonl
  warren consume orders --idle-timeout 5 --output-dir saved/
  warren consume orders --count 10 --format pretty --requeue     # look, then put back
  warren consume orders.dlq --count 1 --reject                  # dead-letter one message
  warren consume orders --format raw --no-ack                    # fast, but may lose messages
  warren consume events.stream --offset 500 --count 100          # a stream, from offset 500
  warren consume events.stream --offset 30m --idle-timeout 2     # the last half hour of a stream

Messages go to stdout (or --output-dir); the summary goes to stderr. A message is acked only
after it has been written and flushed (fsynced with --output-dir): if warren is killed, every
acked message is already in the output, and the rest stay in the queue. A stream is read
from --offset (first by default) and keeps its messages; each envelope's `x-stream-offset`
header is the message's offset.")]
pub struct Args {
    /// The queue to consume from.
    #[arg(value_parser = crate::flags::short_string)]
    pub queue: String,

    #[command(flatten)]
    pub read: ReadArgs,

    /// Put every message back once the run is over (needs --count).
    #[arg(long, group = "mode")]
    pub requeue: bool,

    /// Reject every message (nack without requeue): it goes to the queue's dead-letter exchange.
    #[arg(long, group = "mode")]
    pub reject: bool,

    /// Let the broker forget each message as it is sent (auto-ack). Faster, but a crash loses
    /// what was in flight.
    #[arg(long, group = "mode")]
    pub no_ack: bool,

    /// Messages in flight at most (basic.qos); never unlimited.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u16).range(1..))]
    pub prefetch: u16,
}

pub async fn run(global: &Global, args: &Args) -> Result<()> {
    let mode = if args.requeue {
        AckMode::Requeue
    } else if args.reject {
        AckMode::Reject
    } else if args.no_ack {
        crate::warning!(
            "--no-ack: the broker forgets each message when it is sent; a crash or a full disk loses them"
        );
        AckMode::NoAck
    } else {
        AckMode::Ack
    };
    let mut target = args.read.target();
    consume::effective_prefetch(&target.options(args.prefetch, mode))?;
    let settings = settings::load(&global.connection.flags())?;
    let kind = super::queue_kind(&settings, &args.queue).await;
    let mode = super::stream_mode(kind.as_deref(), &args.queue, &mut target, mode)?;
    let options = target.options(args.prefetch, mode);
    let summary = read::read(
        &settings,
        Source::Queue(&args.queue),
        &target,
        &options,
        Format::Jsonl,
    )
    .await?;
    read::report(summary, &target, global.output)
}
