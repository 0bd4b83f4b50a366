//! Reading a queue into a sink and reporting: the run shared by consume, peek and tap
//! (connect, open a channel, consume, print the summary, close), and the tap's private
//! queue bound to an exchange.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use lapin::options::{QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable};

use super::consume::{self, AckMode, Summary};
use super::sink::{self, Format};
use crate::broker::amqp;
use crate::broker::settings::Settings;
use crate::output::{self, Render};

/// How much to read and where to write it (filled in from the command line).
#[derive(Clone, Debug, Default)]
pub struct Target {
    pub count: Option<u64>,
    pub idle_timeout: Option<Duration>,
    pub format: Option<Format>,
    pub output_dir: Option<PathBuf>,
}

impl Target {
    pub fn options(&self, prefetch: u16, mode: AckMode) -> consume::Options {
        consume::Options {
            count: self.count,
            idle_timeout: self.idle_timeout,
            prefetch,
            mode,
        }
    }
}

/// What to read: a named queue, or a tap on an exchange.
pub enum Source<'a> {
    Queue(&'a str),
    /// A server-named, exclusive, auto-delete queue bound to `exchange` with `binding_key`.
    Tap {
        exchange: &'a str,
        binding_key: &'a str,
    },
}

/// The tap queue is bounded so a forgotten tap can't fill the broker's memory.
pub const TAP_MAX_LENGTH: i64 = 100_000;

/// Connect, read `source` into the sink `target` names (its format defaults to
/// `default_format`), print the summary (to stderr when messages own stdout), and close.
pub async fn read(
    settings: &Settings,
    source: Source<'_>,
    target: &Target,
    options: &consume::Options,
    default_format: Format,
    summary_format: output::Format,
) -> Result<Summary> {
    let session = amqp::connect(settings).await?;
    let channel = session.channel().await?;
    let result = async {
        let queue = match source {
            Source::Queue(name) => name.to_string(),
            Source::Tap {
                exchange,
                binding_key,
            } => tap_queue(&channel, exchange, binding_key).await?,
        };
        let mut sink = sink::open(
            target.format.unwrap_or(default_format),
            target.output_dir.clone(),
        )?;
        let progress = output::progress(options.count, "consuming");
        let summary = consume::run(&channel, &queue, options, sink.as_mut(), &progress).await?;
        progress.finish_and_clear();
        drop(sink);
        if target.output_dir.is_some() {
            output::print(summary_format, &summary)?;
        } else {
            output::eprint(summary_format, &summary)?;
        }
        Ok(summary)
    }
    .await;
    amqp::close_channel(&channel).await;
    session.close().await;
    result
}

/// Declare the tap's private queue and bind it; returns its server-given name.
async fn tap_queue(channel: &lapin::Channel, exchange: &str, binding_key: &str) -> Result<String> {
    let mut arguments = FieldTable::default();
    arguments.insert(
        "x-max-length".into(),
        AMQPValue::LongLongInt(TAP_MAX_LENGTH),
    );
    let queue = amqp::bounded(
        amqp::OPERATION_TIMEOUT,
        channel.queue_declare(
            "".into(),
            QueueDeclareOptions {
                exclusive: true,
                auto_delete: true,
                durable: false,
                ..Default::default()
            },
            arguments,
        ),
    )
    .await
    .map_err(|e| amqp::operation_error("declaring the tap queue", &e))?;
    amqp::bounded(
        amqp::OPERATION_TIMEOUT,
        channel.queue_bind(
            queue.name().clone(),
            exchange.into(),
            binding_key.into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        ),
    )
    .await
    .map_err(|e| amqp::operation_error(&format!("binding to exchange `{exchange}`"), &e))?;
    crate::note!("warren: tapping exchange `{exchange}` with binding key `{binding_key}`");
    Ok(queue.name().to_string())
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
