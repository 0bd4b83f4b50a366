//! Reading a queue into a sink and reporting: the run shared by consume, peek and tap
//! (connect, open a channel, consume, print the summary, close).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;

use super::consume::{self, AckMode, Stop, Summary};
use super::sink::{self, Format};
use crate::broker::amqp;
use crate::broker::failover::Failover;
use crate::broker::settings::Settings;
use crate::exit::Error;
use crate::output::{self, Render};

/// How much to read and where to write it (filled in from the command line).
#[derive(Clone, Debug, Default)]
pub struct Target {
    pub count: Option<u64>,
    pub idle_timeout: Option<Duration>,
    pub format: Option<Format>,
    pub output_dir: Option<PathBuf>,
    /// A file to append to, fsynced before every ack (`purge --export`).
    pub output_file: Option<PathBuf>,
    /// Where to start in a stream (`--offset`).
    pub offset: Option<super::stream::StreamOffset>,
    /// Which messages to take (`--header`, `--body-regex`, ...); the rest stay in order.
    pub filter: Option<super::Selection>,
    /// Write nothing: the messages taken are removed (`purge --match-...`).
    pub discard: bool,
}

impl Target {
    pub fn options(&self, prefetch: u16, mode: AckMode) -> consume::Options {
        consume::Options {
            count: self.count,
            idle_timeout: self.idle_timeout,
            prefetch,
            mode,
            stream_offset: self.offset.clone(),
            filter: self.filter.clone(),
        }
    }
}

/// What to read: a named queue, or a tap on an exchange.
pub enum Source<'a> {
    Queue(&'a str),
    /// A server-named, exclusive, auto-delete queue bound to exchanges.
    Tap(super::tap::Binding<'a>),
}

/// Connect, read `source` into the sink `target` names (its format defaults to
/// `default_format`), and close; [`report`] prints the summary.
///
/// With the `--uri` of several nodes, a queue read that takes messages (ack, reject or
/// no-ack) survives the loss of its node: it reconnects to the next node that answers and
/// goes on into the same sink. What was written and acked is done; what was written but
/// not yet acked is delivered again by the broker, so it may be written twice, never lost
/// (the summary counts it). A look (`--requeue`, peek) or a tap ends with the error instead:
/// a second pass would show the same messages again, and a tap's queue dies with its node.
pub async fn read(
    settings: &Settings,
    source: Source<'_>,
    target: &Target,
    options: &consume::Options,
    default_format: Format,
) -> Result<Summary> {
    // A stream read would start over at its offset on another node: not resumed.
    let mut failover = Failover::new(
        settings,
        matches!(source, Source::Queue(_))
            && options.mode != AckMode::Requeue
            && options.stream_offset.is_none(),
    );
    // A queue read that takes messages off the queue (not a look, not a tap).
    let removes = matches!(source, Source::Queue(_)) && options.mode != AckMode::Requeue;
    let mut gave_up = None;
    let started = std::time::Instant::now();
    let progress = output::progress(options.count, "consuming");
    let mut sink = None;
    let mut total: Option<Summary> = None;
    let mut round = options.clone();
    loop {
        let session = failover.connect().await?;
        let channel = match session.channel().await {
            Ok(c) => c,
            Err(e) => {
                session.close().await;
                return Err(e);
            }
        };
        let result = async {
            let queue = match source {
                Source::Queue(name) => name.to_string(),
                Source::Tap(binding) => super::tap::declare(&channel, binding).await?,
            };
            if sink.is_none() {
                sink = Some(sink::open(
                    target.format.unwrap_or(default_format),
                    target.output_dir.clone(),
                    target.output_file.clone(),
                    target.discard,
                )?);
            }
            let sink = sink
                .as_mut()
                .ok_or_else(|| Error::internal("the message sink was not opened"))?;
            consume::run(&channel, &queue, &round, sink.as_mut(), &progress).await
        }
        .await;
        amqp::close_channel(&channel).await;
        session.close().await;
        let summary = result?;
        let this_round = summary.received;
        let total = total.get_or_insert_with(Summary::default);
        total.absorb(summary);
        if total.stopped_by != Stop::NodeLost {
            break;
        }
        let reason = total.lost.clone().unwrap_or_default();
        let consequence = format!(
            "{} message(s) written but not acknowledged will be delivered again",
            total.unacked_at_loss
        );
        if let Err(e) = failover.lost(&session, &reason, &consequence) {
            if !removes {
                progress.finish_and_clear();
                return Err(e);
            }
            // A read that removes messages ends in its summary: what was done is known.
            gave_up = Some(format!("{e:#}"));
            break;
        }
        round.count = round.count.map(|n| n.saturating_sub(this_round));
    }
    progress.finish_and_clear();
    drop(sink);
    let mut summary = total.unwrap_or_default();
    summary.lost = gave_up;
    summary.failovers = failover.record;
    summary.elapsed_seconds = started.elapsed().as_secs_f64();
    summary.rate_per_second = output::per_second(summary.received, summary.elapsed_seconds);
    Ok(summary)
}

/// Print the summary of a [`read`] (to stderr when messages own stdout), and end with the
/// run's exit code: 5 for a run cut short (a full prefetch, a lost node, a failed write),
/// 130 for Ctrl-C.
pub fn report(summary: Summary, target: &Target, summary_format: output::Format) -> Result<()> {
    if target.output_dir.is_some() || target.output_file.is_some() {
        output::print(summary_format, &summary)?;
    } else {
        output::eprint(summary_format, &summary)?;
    }
    if summary.stopped_by == Stop::PrefetchFull {
        return Err(Error::partial_failure(format!(
            "stopped after {} skipped message(s): messages that don't match the filter fill the \
             prefetch ({}), so the rest of the queue was not examined; they were put back in order",
            summary.skipped,
            super::consume::FILTER_PREFETCH
        ))
        .into());
    }
    if summary.stopped_by == Stop::Interrupted {
        // Everything written was settled first (acked, or put back for a look).
        return Err(Error::interrupted(format!(
            "interrupted after {} message(s)",
            summary.received
        ))
        .into());
    }
    if let (Stop::NodeLost, Some(lost)) = (summary.stopped_by, &summary.lost) {
        return Err(Error::partial_failure(format!(
            "{lost}; {} message(s) were written and acknowledged; {} written but not \
             acknowledged will be delivered again (they may be in the output twice)",
            summary.acked + summary.rejected,
            summary.unacked_at_loss
        ))
        .into());
    }
    if summary.stopped_by == Stop::WriteFailed {
        return Err(Error::partial_failure(format!(
            "{}; {} message(s) were written whole and acknowledged, and the rest stay in the queue",
            summary
                .write_error
                .as_deref()
                .unwrap_or("writing the output failed"),
            summary.acked + summary.rejected,
        ))
        .into());
    }
    Ok(())
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
        let mut out = t.to_string();
        if self.skipped > 0 {
            out.push_str(&format!(
                "\nskipped {} message(s) that don't match the filters: put back, in their order",
                self.skipped
            ));
        }
        if let Some(lost) = self.failovers.human() {
            out.push_str(&format!(
                "\n{lost}; {} message(s) written but not acknowledged then were delivered \
                 again and may appear twice",
                self.unacked_at_loss
            ));
        }
        out
    }
}
