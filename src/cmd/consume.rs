//! `warren consume QUEUE`: take messages off a queue into JSON Lines, raw bodies, a readable
//! form or a directory, acking each only after it is written.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;

use crate::broker::{amqp, settings};
use crate::cli::Global;
use crate::exit::{Code, fail};
use crate::message::consume::{self, AckMode, Stop, Summary};
use crate::message::sink::{self, Format};
use crate::output::{self, Render};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  warren consume orders --count 100 > orders.jsonl
  warren consume orders --idle-timeout 5 --output-dir saved/
  warren consume orders --count 10 --format pretty --requeue     # look, then put back
  warren consume orders.dlq --count 1 --reject                  # dead-letter one message
  warren consume orders --format raw --no-ack                    # fast, but may lose messages

Messages go to stdout (or --output-dir); the summary goes to stderr. A message is acked only
after it has been written and flushed (fsynced with --output-dir): if warren is killed, every
acked message is already in the output, and the rest stay in the queue.")]
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

/// How much to read and where to write it; shared by consume, peek and tap.
#[derive(clap::Args, Debug, Clone)]
pub struct ReadArgs {
    /// Stop after N messages.
    #[arg(long, short = 'n', value_name = "N")]
    pub count: Option<u64>,

    /// Stop when no message arrives for this many seconds (above 0).
    #[arg(long, value_name = "SECS", value_parser = crate::flags::seconds)]
    pub idle_timeout: Option<Duration>,

    /// How messages are written to stdout [default: jsonl; pretty for peek].
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// Write one `NNNNNNNNNN.envelope.json` file per message here instead of stdout.
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
}

impl ReadArgs {
    pub fn options(&self, prefetch: u16, mode: AckMode) -> consume::Options {
        consume::Options {
            count: self.count,
            idle_timeout: self.idle_timeout,
            prefetch,
            mode,
        }
    }
}

impl Render for Summary {
    fn human(&self) -> String {
        let mut t = output::table([
            "queue",
            "received",
            "acked",
            "requeued",
            "rejected",
            "auto-acked",
            "stopped by",
            "msg/s",
        ]);
        t.add_row([
            self.queue.clone(),
            self.received.to_string(),
            self.acked.to_string(),
            self.requeued.to_string(),
            self.rejected.to_string(),
            self.auto_acked.to_string(),
            format!("{:?}", self.stopped_by).to_lowercase(),
            format!("{:.0}", self.rate_per_second),
        ]);
        t.to_string()
    }
}

/// Consume with `options` and report; shared by consume, peek and tap.
pub async fn consume_and_report(
    global: &Global,
    channel: &lapin::Channel,
    queue: &str,
    read: &ReadArgs,
    options: &consume::Options,
    default_format: Format,
) -> Result<Summary> {
    let mut sink = sink::open(
        read.format.unwrap_or(default_format),
        read.output_dir.clone(),
    )?;
    let progress = output::progress(options.count, "consuming");
    let summary = consume::run(channel, queue, options, sink.as_mut(), &progress).await?;
    progress.finish_and_clear();
    drop(sink);
    // Messages own stdout unless they went to a directory.
    if read.output_dir.is_some() {
        output::print(global.output, &summary)?;
    } else {
        output::eprint(global.output, &summary)?;
    }
    Ok(summary)
}

pub async fn run(global: &Global, args: &Args) -> Result<()> {
    let mode = if args.requeue {
        AckMode::Requeue
    } else if args.reject {
        AckMode::Reject
    } else if args.no_ack {
        crate::note!(
            "warren: warning: --no-ack: the broker forgets each message when it is sent; a crash or a full disk loses them"
        );
        AckMode::NoAck
    } else {
        AckMode::Ack
    };
    let options = args.read.options(args.prefetch, mode);
    consume::effective_prefetch(&options)?;
    let settings = settings::load(&global.connection.flags())?;
    let session = amqp::connect(&settings).await?;
    let channel = session.channel().await?;
    let summary = consume_and_report(
        global,
        &channel,
        &args.queue,
        &args.read,
        &options,
        Format::Jsonl,
    )
    .await?;
    amqp::close_channel(&channel).await;
    session.close().await;
    if summary.stopped_by == Stop::Interrupted && args.read.count.is_some() {
        return Err(fail(
            Code::Interrupted,
            format!("interrupted after {} messages", summary.received),
        ));
    }
    Ok(())
}
