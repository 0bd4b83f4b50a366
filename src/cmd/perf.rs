//! `warren perf`: load a broker with producers and consumers and measure rates and latency.

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::Result;

use crate::broker::settings;
use crate::cli::Global;
use crate::output::{self, Render};
use crate::perf::{self, Latency, Options, QueueType, Summary};

/// The largest body, as for `publish` (RabbitMQ's own limit).
const MAX_SIZE: u64 = 128 << 20;

/// The most producers, and the most consumers: each is a connection of its own.
const MAX_CLIENTS: i64 = 500;

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  warren perf --duration 30s                                  # 1 producer, 1 consumer, flat out
  warren perf --producers 2 --consumers 2 --rate 5000 --size 1024 --duration 1m
  warren perf --queue-type quorum --confirm 100 --multi-ack 50 --duration 60s
  warren perf --queue-type stream --rate 1000 -o json > perf.json

Every second a line gives the send and receive rates and the latency percentiles (p50, p95,
p99, p99.9) of the messages received in it, measured from a timestamp in each body; on a
terminal it is one updating line. When the broker blocks a producer's connection (a memory
or disk alarm: connection.blocked), the lines and the summary say so. The summary goes to
stdout, the per-second lines to stderr. warren declares a durable queue of --queue-type
named warren-perf-<pid> (or --queue) and deletes it at the end if it created it, with the
messages left in it: run it on a vhost of its own, never on a queue that matters.

Memory: each producer or consumer is a connection that costs warren about 0.2 MB with small
bodies (frames are sized to the body, up to 32 KiB), plus the messages in flight: up to
--confirm unconfirmed bodies per producer and --prefetch bodies per consumer. 250 + 250
clients of 12-byte bodies peaked at about 110 MB. --producers and --consumers are at most
500 each.")]
pub struct Args {
    /// Publishing connections, one channel each (at most 500).
    #[arg(long, value_name = "P", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(0..=MAX_CLIENTS))]
    pub producers: u16,

    /// Consuming connections, one channel each (at most 500).
    #[arg(long, value_name = "C", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(0..=MAX_CLIENTS))]
    pub consumers: u16,

    /// Messages per second, all producers together (default: as fast as they can).
    #[arg(long, value_name = "MSGS_PER_S", value_parser = crate::flags::rate)]
    pub rate: Option<f64>,

    /// Body size in bytes (the first 8 hold the timestamp).
    #[arg(long, value_name = "BYTES", default_value_t = 12,
          value_parser = clap::value_parser!(u64).range(perf::STAMP as u64..=MAX_SIZE))]
    pub size: u64,

    #[arg(long, value_enum, default_value_t = QueueType::Classic)]
    pub queue_type: QueueType,

    /// The queue to use (default: a new warren-perf-<pid>). An existing queue is kept.
    #[arg(long, value_name = "NAME", value_parser = crate::flags::short_string)]
    pub queue: Option<String>,

    /// Unconfirmed messages per producer, at most; 0 turns publisher confirms off.
    #[arg(long, value_name = "N", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(0..=1_000_000))]
    pub confirm: u64,

    /// Consumers ack with `multiple` every M messages (and whenever none is waiting).
    #[arg(long, value_name = "M", default_value_t = 1,
          value_parser = clap::value_parser!(u64).range(1..=65_535))]
    pub multi_ack: u64,

    /// Messages in flight per consumer (basic.qos).
    #[arg(long, value_name = "N", default_value_t = 1000,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub prefetch: u16,

    /// Persistent messages (delivery mode 2) instead of transient ones.
    #[arg(long)]
    pub persistent: bool,

    /// How long to run (e.g. 30s, 5m).
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = crate::flags::span)]
    pub duration: Duration,
}

fn ms(v: Option<f64>) -> String {
    v.map_or_else(|| "unknown".into(), |v| format!("{v:.2}"))
}

impl Render for Summary {
    fn human(&self) -> String {
        let s = self;
        let mut t = output::table(["", "value"]);
        let l: &Latency = &s.latency_ms;
        let rows: Vec<(&str, String)> = vec![
            (
                "queue",
                format!("{} ({:?})", s.queue, s.queue_type).to_lowercase(),
            ),
            (
                "producers / consumers",
                format!("{} / {}", s.producers, s.consumers),
            ),
            ("elapsed", format!("{:.1}s", s.elapsed_seconds)),
            (
                "sent",
                format!("{} ({:.0} msg/s)", s.sent, s.sent_per_second),
            ),
            (
                "confirmed",
                format!("{} ({} not confirmed)", s.confirmed, s.not_confirmed),
            ),
            (
                "received",
                format!("{} ({:.0} msg/s)", s.received, s.received_per_second),
            ),
            (
                "latency ms min / p50",
                format!("{} / {}", ms(l.min), ms(l.p50)),
            ),
            (
                "latency ms p95 / p99",
                format!("{} / {}", ms(l.p95), ms(l.p99)),
            ),
            (
                "latency ms p99.9 / max",
                format!("{} / {}", ms(l.p99_9), ms(l.max)),
            ),
            (
                "blocked (connection.blocked)",
                if s.blocked {
                    format!(
                        "yes, {} of {} samples{}",
                        s.blocked_seconds,
                        s.samples.len(),
                        s.blocked_reason
                            .as_ref()
                            .map(|r| format!(": {r}"))
                            .unwrap_or_default()
                    )
                } else {
                    "no".into()
                },
            ),
            ("queue deleted", output::yes_no(s.queue_deleted).into()),
        ];
        for (k, v) in rows {
            t.add_row([k.to_string(), v]);
        }
        t.to_string()
    }
}

pub async fn run(global: &Global, args: &Args) -> Result<()> {
    let options = Options {
        queue: args.queue.clone(),
        queue_type: args.queue_type,
        producers: usize::from(args.producers),
        consumers: usize::from(args.consumers),
        rate: args.rate,
        size: usize::try_from(args.size).unwrap_or(usize::MAX),
        persistent: args.persistent,
        confirm: usize::try_from(args.confirm).unwrap_or(usize::MAX),
        multi_ack: args.multi_ack,
        prefetch: args.prefetch,
        duration: args.duration,
    };
    let settings = settings::load(&global.connection.flags())?;
    let connections = perf::connect(
        &settings,
        options.producers,
        options.consumers,
        options.size,
    )
    .await?;
    // On a terminal, one line updated every second; otherwise one plain line per second.
    let bar = (!crate::output::quiet() && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new_spinner().with_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    });
    let result = perf::run(&connections, &options, |sample| match &bar {
        Some(bar) => bar.set_message(sample.line()),
        None => crate::output::report(
            crate::output::Level::Progress,
            format_args!("{}", sample.line()),
        ),
    })
    .await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    connections.close().await;
    let summary = result?;
    if summary.blocked {
        crate::note!(
            "the broker blocked publishing (connection.blocked) during {} of {} samples{}",
            summary.blocked_seconds,
            summary.samples.len(),
            summary
                .blocked_reason
                .as_ref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        );
    }
    output::print(global.output, &summary)?;
    if summary.interrupted {
        return Err(crate::exit::Error::interrupted(format!(
            "interrupted after {:.1}s: {} sent, {} received",
            summary.elapsed_seconds, summary.sent, summary.received
        ))
        .into());
    }
    Ok(())
}
