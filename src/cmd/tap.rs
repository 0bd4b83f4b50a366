//! `warren tap EXCHANGE`: watch what flows through an exchange without touching other
//! consumers, through a private queue bound to it that disappears with the connection.

use anyhow::Result;

use super::ReadArgs;
use crate::broker::settings;
use crate::cli::Global;
use crate::message::consume::AckMode;
use crate::message::read::{self, Source};
use crate::message::sink::Format;

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  warren tap orders                              # everything through a topic exchange (#)
  warren tap orders --binding-key 'order.*.eu' -n 20 --format pretty
  warren tap events --binding-key '' --idle-timeout 30 > traffic.jsonl
  warren tap orders payments -n 50                 # several exchanges into one stream
  warren tap by-tenant --bind-header tenant=acme --x-match any
  warren tap orders --match-jsonpath '$.status=failed'   # the same filters as consume

The tap queue is exclusive and auto-delete: it holds copies only, bounded to 100,000 messages
(the oldest are dropped beyond that, and the broker says so in the queue's stats), and it
vanishes when warren exits. Other consumers see every message as before.")]
pub struct Args {
    /// The exchanges to watch (one or more).
    #[arg(value_parser = crate::flags::short_string, num_args = 1.., required = true)]
    pub exchanges: Vec<String>,

    /// Binding key: `#` sees everything on a topic exchange; ignored by fanout exchanges.
    #[arg(long, short = 'b', value_name = "KEY", default_value = "#", value_parser = crate::flags::short_string)]
    pub binding_key: String,

    /// For headers exchanges: bind with this header (repeatable).
    #[arg(long = "bind-header", value_name = "KEY=VALUE", value_parser = crate::replay::filter::parse_header)]
    pub bind_headers: Vec<(String, String)>,

    /// How --bind-header values combine: all or any.
    #[arg(long, value_name = "all|any", default_value = "all", value_parser = ["all", "any"], requires = "bind_headers")]
    pub x_match: String,

    #[command(flatten)]
    pub read: ReadArgs,
}

pub async fn run(global: &Global, args: &Args) -> Result<()> {
    if args.read.offset.is_some() {
        return Err(crate::exit::Error::usage(
            "tap reads a temporary queue of its own: --offset reads a stream (consume, peek)",
        )
        .into());
    }
    let settings = settings::load(&global.connection.flags())?;
    let target = args.read.target();
    let summary = read::read(
        &settings,
        Source::Tap(crate::message::tap::Binding {
            exchanges: &args.exchanges,
            binding_key: &args.binding_key,
            headers: &args.bind_headers,
            x_match: &args.x_match,
        }),
        &target,
        &target.options(1000, AckMode::Ack),
        Format::Jsonl,
    )
    .await?;
    read::report(summary, &target, global.output)
}
