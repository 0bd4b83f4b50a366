//! Reading a queue into a sink and reporting: the run shared by consume, peek and tap
//! (connect, open a channel, consume, print the summary, close).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;

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
            } => super::tap::declare(&channel, exchange, binding_key).await?,
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
