//! `warren publish`: publish messages with confirms and `mandatory` on by default.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use serde::Serialize;

use crate::broker::settings;
use crate::cli::Global;
use crate::exit::Error;
use crate::message::Properties;
use crate::message::publish::{self, Defaults, Options, Summary};
use crate::message::source::{self, Source};
use crate::output::{self, Render};

/// RabbitMQ's largest message (`max_message_size`, 128 MiB).
const MAX_BODY: u64 = 128 << 20;

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  warren publish -k orders --body '{\"id\":1}' --content-type application/json
  echo hello | warren publish -e events -k greeting.en
  warren publish -k orders --lines < bodies.txt
  warren publish --file saved.jsonl            # envelopes from `warren consume`
  warren publish --file saved.jsonl -k orders.retry   # the flag replaces their routing key
  warren publish -k load-test --count 100000 --size 1024 --window 1000
  warren publish --queues load-1,load-2 --channels 2 --count 100000   # dealt in turn
  warren publish -k orders --body x -H retry:i32=3 -H source=batch -H trace:json='{\"a\":[1,2]}'

Messages are persistent, published with confirms and `mandatory`. Unroutable or nacked
messages are counted and reported, and the exit code is 5 when any message was not
confirmed. With --file, the line numbers of unconfirmed messages are reported.")]
pub struct Args {
    /// Exchange (default: the default exchange ""). Given, it replaces an envelope's own.
    #[arg(short, long, value_name = "NAME", value_parser = crate::flags::short_string)]
    pub exchange: Option<String>,

    /// Routing key. Given, it replaces an envelope's own.
    #[arg(short = 'k', long, value_name = "KEY", value_parser = crate::flags::short_string)]
    pub routing_key: Option<String>,

    /// The body of one message (or of --count copies).
    #[arg(long, value_name = "TEXT", group = "source")]
    pub body: Option<String>,

    /// One message per line of stdin.
    #[arg(long, group = "source")]
    pub lines: bool,

    /// Envelopes, one JSON object per line (`-` for stdin), as `warren consume` writes them.
    #[arg(long, value_name = "FILE.jsonl", group = "source")]
    pub file: Option<PathBuf>,

    /// One message per file, in name order; `*.envelope.json` files are envelopes.
    #[arg(long, value_name = "DIR", group = "source")]
    pub dir: Option<PathBuf>,

    #[command(flatten)]
    pub limits: super::InputLimits,

    /// Generate this many messages (or repeat --body this many times).
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,

    /// Body size in bytes of generated messages (at most 128 MiB, RabbitMQ's own limit).
    #[arg(long, value_name = "BYTES", default_value_t = 1024, requires = "count",
          value_parser = clap::value_parser!(u64).range(0..=MAX_BODY))]
    pub size: u64,

    /// A header: `key=value` (a string) or `key:TYPE=value`, TYPE one of i8 u8 i16 u16 i32
    /// u32 i64 f32 f64 bool timestamp bytes (base64) json (the envelope's JSON mapping).
    #[arg(short = 'H', long = "header", value_name = "KEY[:TYPE]=VALUE")]
    pub headers: Vec<String>,

    #[arg(long, value_name = "MIME", value_parser = crate::flags::short_string)]
    pub content_type: Option<String>,
    #[arg(long, value_name = "ENCODING", value_parser = crate::flags::short_string)]
    pub content_encoding: Option<String>,
    /// Delivery mode 1 (not persisted) instead of the default 2 (persistent).
    #[arg(long)]
    pub transient: bool,
    #[arg(long, value_name = "0-255")]
    pub priority: Option<u8>,
    #[arg(long, value_name = "ID", value_parser = crate::flags::short_string)]
    pub correlation_id: Option<String>,
    #[arg(long, value_name = "QUEUE", value_parser = crate::flags::short_string)]
    pub reply_to: Option<String>,
    /// Per-message TTL in milliseconds.
    #[arg(long, value_name = "MS", value_parser = crate::flags::expiration)]
    pub expiration: Option<String>,
    #[arg(long, value_name = "ID", value_parser = crate::flags::short_string)]
    pub message_id: Option<String>,
    /// Seconds since the epoch, or `now`.
    #[arg(long, value_name = "SECS|now")]
    pub timestamp: Option<String>,
    #[arg(long = "type", value_name = "TYPE", value_parser = crate::flags::short_string)]
    pub kind: Option<String>,
    /// Must equal the connection's user, or the broker closes the channel (406).
    #[arg(long, value_name = "USER", value_parser = crate::flags::short_string)]
    pub user_id: Option<String>,
    #[arg(long, value_name = "APP", value_parser = crate::flags::short_string)]
    pub app_id: Option<String>,

    /// Messages awaiting their confirm, at most.
    #[arg(long, value_name = "N", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub window: u64,

    /// Channels to publish on, messages dealt to them in turn, each with its own --window.
    /// The broker runs a process per channel and per queue: with --queues, more than one
    /// channel keeps more of its cores busy.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub channels: u16,

    /// Queues to deal the messages to in turn, through the default exchange (e.g.
    /// `--queues q1,q2 --channels 2`). Replaces --exchange and --routing-key.
    #[arg(long, value_name = "Q1,Q2,...", value_delimiter = ',', num_args = 1..,
          conflicts_with_all = ["exchange", "routing_key"],
          value_parser = crate::flags::short_string)]
    pub queues: Vec<String>,

    /// Messages per second, at most (0.001 to 1000000000).
    #[arg(long, value_name = "MSGS_PER_S", value_parser = crate::flags::rate)]
    pub rate: Option<f64>,

    /// How long to wait for outstanding confirms at the end (and after Ctrl-C); above 0, a
    /// bare number is seconds.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = crate::flags::duration)]
    pub confirm_timeout: Duration,
}

impl Args {
    fn source(&self) -> Result<Source> {
        Ok(if let Some(text) = &self.body {
            Source::Body {
                text: text.clone(),
                count: self.count.unwrap_or(1),
            }
        } else if self.lines {
            Source::Lines
        } else if let Some(file) = &self.file {
            if file.as_os_str() != "-" {
                source::validate_envelope_file_within(file, &self.limits.limits())
                    .map_err(Error::invalid_input)?;
            }
            Source::EnvelopeFile(file.clone())
        } else if let Some(dir) = &self.dir {
            source::validate_envelope_dir_within(dir, &self.limits.limits())
                .map_err(Error::invalid_input)?;
            Source::Dir(dir.clone())
        } else if let Some(count) = self.count {
            Source::Generate {
                count,
                size: usize::try_from(self.size).unwrap_or(usize::MAX),
            }
        } else if std::io::stdin().is_terminal() {
            return Err(Error::usage("nothing to publish: give --body, --lines, --file, --dir or --count, or pipe a body into stdin").into());
        } else {
            Source::Stdin
        })
    }

    fn defaults(&self) -> Result<Defaults> {
        let mut headers = serde_json::Map::new();
        for spec in &self.headers {
            let (k, v) = crate::message::headers::parse_flag(spec).map_err(Error::usage)?;
            headers.insert(k, v);
        }
        let timestamp = match self.timestamp.as_deref() {
            None => None,
            Some("now") => Some(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0),
            ),
            Some(s) => Some(
                s.parse()
                    .map_err(|_| Error::usage(format!("--timestamp {s}: not a number or `now`")))?,
            ),
        };
        Ok(Defaults {
            exchange: self.exchange.clone(),
            routing_key: self.routing_key.clone(),
            properties: Properties {
                content_type: self.content_type.clone(),
                content_encoding: self.content_encoding.clone(),
                headers: (!headers.is_empty()).then_some(serde_json::Value::Object(headers)),
                // Raw bodies become persistent unless --transient (see publish::apply_defaults);
                // envelopes keep their own delivery mode, so a republished message is unchanged.
                delivery_mode: self.transient.then_some(1),
                priority: self.priority,
                correlation_id: self.correlation_id.clone(),
                reply_to: self.reply_to.clone(),
                expiration: self.expiration.clone(),
                message_id: self.message_id.clone(),
                timestamp,
                kind: self.kind.clone(),
                user_id: self.user_id.clone(),
                app_id: self.app_id.clone(),
                cluster_id: None,
            },
        })
    }
}

#[derive(Serialize)]
struct Report<'a> {
    #[serde(flatten)]
    summary: &'a Summary,
    /// With --file: the lines to publish again, e.g. `3-5,9`.
    #[serde(skip_serializing_if = "Option::is_none")]
    unconfirmed_lines: Option<String>,
}

impl Render for Report<'_> {
    fn human(&self) -> String {
        let s = self.summary;
        let mut t = output::table([
            "published",
            "confirmed",
            "returned",
            "nacked",
            "unknown",
            "msg/s",
        ]);
        t.add_row([
            s.published.to_string(),
            s.confirmed.to_string(),
            s.returned.to_string(),
            s.nacked.to_string(),
            s.unknown.to_string(),
            format!("{:.0}", s.rate_per_second),
        ]);
        let mut out = t.to_string();
        for n in s.not_confirmed.iter().take(20) {
            out.push_str(&format!(
                "\nnot confirmed: {}: {}",
                n.origin,
                serde_json::to_string(&n.outcome).unwrap_or_default()
            ));
        }
        if s.not_confirmed.len() > 20 {
            out.push_str(&format!(
                "\n... and {} more (see --output json)",
                s.not_confirmed.len() - 20
            ));
        }
        if let Some(lines) = &self.unconfirmed_lines {
            out.push_str(&format!("\nunconfirmed lines: {lines}"));
        }
        if s.interrupted {
            out.push_str("\ninterrupted: input reading stopped at Ctrl-C");
        }
        if let Some(lost) = s.failovers.human() {
            out.push_str(&format!(
                "\n{lost}; the messages in flight then count as unknown"
            ));
        }
        out
    }
}

pub async fn run(global: &Global, args: &Args) -> Result<()> {
    let defaults = args.defaults()?;
    let source = args.source()?;
    let total = match &source {
        Source::Generate { count, .. } | Source::Body { count, .. } => Some(*count),
        _ => None,
    };
    let settings = settings::load(&global.connection.flags())?;
    let window = usize::try_from(args.window).unwrap_or(usize::MAX);
    let inputs = source::spawn_within(
        source,
        args.limits.limits(),
        window.clamp(64, 65_536),
        usize::from(args.channels),
    );
    let progress = output::progress(total, "publishing");
    let options = Options {
        window,
        rate: args.rate,
        confirm_timeout: args.confirm_timeout,
        mandatory: true,
        queues: args.queues.clone(),
    };
    let summary = publish::run(&settings, inputs, &defaults, &options, &progress).await;
    progress.finish_and_clear();
    let summary = summary?;

    let report = Report {
        unconfirmed_lines: (args.file.is_some() && !summary.not_confirmed.is_empty())
            .then(|| summary.unconfirmed_lines()),
        summary: &summary,
    };
    output::print(global.output, &report)?;

    if let Some(e) = &summary.input_error {
        return Err(Error::invalid_input(format!(
            "{e}; messages before it were published (see the summary)"
        ))
        .into());
    }
    if let Some(e) = &summary.lost {
        // Partial, as any run with messages not confirmed: the summary lists them.
        return Err(Error::partial_failure(format!(
            "{e}; {} messages were published before (see the summary), the rest of the input \
             was not",
            summary.published
        ))
        .into());
    }
    if let Some(e) = &summary.channel_error {
        return Err(Error::broker_refused(format!("the broker closed the channel: {e}")).into());
    }
    if !summary.all_confirmed() {
        return Err(Error::partial_failure(format!(
            "{} of {} messages not confirmed ({} returned as unroutable, {} nacked, {} unknown)",
            summary.not_confirmed.len(),
            summary.published,
            summary.returned,
            summary.nacked,
            summary.unknown
        ))
        .into());
    }
    if summary.interrupted {
        return Err(Error::interrupted(format!(
            "interrupted after {} messages, all confirmed",
            summary.published
        ))
        .into());
    }
    Ok(())
}
