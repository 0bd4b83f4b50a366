//! `warren close connections`: close client connections chosen by selectors, with a reason.

use std::time::Duration;

use anyhow::Result;

use crate::broker::http::ManagementApi;
use crate::broker::settings;
use crate::cli::Global;
use crate::exit::{Code, Error};
use crate::ops::close::{self, Selector};
use crate::ops::{Item, Report};
use crate::output;

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  warren close connections --by-user legacy-app --yes
  warren close connections --help        # every selector")]
pub struct Args {
    #[command(subcommand)]
    pub what: What,
}

#[derive(clap::Subcommand, Debug)]
pub enum What {
    /// Close the client connections every given selector matches (at least one is needed).
    Connections(ConnectionsArgs),
}

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  warren close connections --by-user legacy-app --dry-run
  warren close connections --by-user legacy-app --reason 'credentials rotated' --yes
  warren close connections --vhost staging --idle-longer-than 1h --yes
  warren close connections --all-vhosts --by-user legacy-app --dry-run
  warren close connections --client-name '^batch-' --protocol 'AMQP 0-9-1' --yes
  warren close connections --name '127.0.0.1:50312 -> 127.0.0.1:5672' --yes
  warren close connections --by-user app --delay 500ms --yes -o json

Scope, as `warren list connections` has it: the connections of the vhost of --vhost (or the
URI), or of every vhost with --all-vhosts; `close connections F` closes exactly the rows
`list connections F` shows. Selectors (all given must hold; at least one is needed, or a
--vhost given on the command line, so that no run closes every connection by accident):
--by-user, --client-name, --name, --idle-longer-than, --protocol. --by-user is not --user:
that global flag says how warren itself logs in.

A connection's idle time is the time since the latest idle_since of its channels (none of
them running), or since it connected when it has no channel. Where the broker gives no
channel statistics, the idle time is unknown and --idle-longer-than never selects it.

Connections are closed through the management API (DELETE /api/connections/NAME, the reason
in X-Reason), one by one, --delay apart. warren itself uses only HTTP here, so it never
closes its own connection. Without --yes, warren asks at a terminal and refuses (exit 2)
otherwise; --dry-run lists the connections and closes nothing.")]
pub struct ConnectionsArgs {
    /// Only connections of this user.
    #[arg(long, value_name = "USER")]
    pub by_user: Option<String>,

    /// The old scope flag (deprecated: see `crate::cli::DEPRECATED`): the same as --vhost here.
    #[arg(long, value_name = "VHOST", hide = true, conflicts_with = "all_vhosts",
          value_parser = crate::flags::short_string)]
    pub in_vhost: Option<String>,

    /// Connections to every vhost instead of the one of --vhost / the URI.
    #[arg(long)]
    pub all_vhosts: bool,

    /// Only connections whose client-given name (client_properties.connection_name) matches
    /// this regular expression.
    #[arg(long, value_name = "REGEX")]
    pub client_name: Option<String>,

    /// Only the connection of this exact name (repeatable), as `warren list connections`
    /// shows it.
    #[arg(long = "name", value_name = "NAME")]
    pub names: Vec<String>,

    /// Only connections idle for longer than this (30m, 1h, 2d).
    #[arg(long, value_name = "DURATION", value_parser = crate::flags::span)]
    pub idle_longer_than: Option<Duration>,

    /// Only connections of this protocol, e.g. "AMQP 0-9-1", "MQTT 3.1.1" (any case).
    #[arg(long, value_name = "PROTOCOL")]
    pub protocol: Option<String>,

    /// The reason the clients are given (sent as X-Reason; printable ASCII).
    #[arg(long, value_name = "TEXT", default_value = "closed by warren",
          value_parser = parse_reason)]
    pub reason: String,

    /// Pause this long between two closes (200ms, 1s; 0 to 10m; a bare number is seconds).
    #[arg(long, value_name = "DURATION", default_value = "0s",
          value_parser = crate::flags::pause)]
    pub delay: Duration,

    /// The old spelling of --delay, in milliseconds (deprecated: see `crate::cli::DEPRECATED`).
    #[arg(long, value_name = "MS", hide = true, conflicts_with = "delay",
          value_parser = clap::value_parser!(u64).range(0..=600_000))]
    pub delay_ms: Option<u64>,

    /// List the connections that would be closed; close nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Don't ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// An HTTP header value: printable ASCII, at most 255 bytes.
fn parse_reason(text: &str) -> Result<String, String> {
    if text.is_empty() || text.len() > 255 || !text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(format!(
            "`{text}`: expected 1 to 255 printable ASCII characters (it travels as an HTTP header)"
        ));
    }
    Ok(text.to_string())
}

pub async fn run(global: &Global, args: &Args) -> Result<()> {
    let What::Connections(args) = &args.what;
    let mut selector = Selector {
        user: args.by_user.clone(),
        vhost: None,
        client_name: args
            .client_name
            .as_deref()
            .map(regex_lite::Regex::new)
            .transpose()
            .map_err(|e| Error::usage(format!("--client-name: {e}")))?,
        names: args.names.clone(),
        idle_longer_than: args.idle_longer_than,
        protocol: args.protocol.clone(),
    };
    // A vhost named on the command line is a choice; the URI's or the profile's is not.
    let named_vhost = args.in_vhost.is_some() || global.connection.vhost.is_some();
    if selector.is_empty() && (!named_vhost || args.all_vhosts) {
        return Err(Error::usage(
            "no selector given: warren won't close every connection; choose them with --by-user, \
             --client-name, --name, --idle-longer-than or --protocol, or name a --vhost",
        )
        .into());
    }
    let settings = settings::load(&global.connection.flags())?;
    selector.vhost = (!args.all_vhosts).then(|| {
        args.in_vhost
            .clone()
            .unwrap_or_else(|| settings.vhost.clone())
    });
    let api = ManagementApi::new(&settings)?;
    let mut items = close::select(&api, &selector).await?;
    let report = |items: Vec<Item>| {
        Report::new(
            "close connections".into(),
            selector.vhost.clone(),
            args.dry_run,
            "closed",
            items,
        )
    };
    if args.dry_run || items.is_empty() {
        items.iter_mut().for_each(|i| i.set("would close", None));
        return output::print(global.output, &report(items));
    }
    super::go_ahead(
        args.yes,
        || {
            format!(
                "closing {} connection(s) can't be undone: pass --yes to go ahead (or look first with --dry-run)",
                items.len()
            )
        },
        || {
            let mut preview = items.clone();
            preview
                .iter_mut()
                .for_each(|i| i.set("will be closed", None));
            format!(
                "{}\nClose these {} connection(s)?",
                output::render(output::Format::Table, &report(preview)).unwrap_or_default(),
                items.len()
            )
        },
    )?;
    let mut first_failure: Option<Code> = None;
    let total = items.len();
    for (i, item) in items.iter_mut().enumerate() {
        let delay = args.delay_ms.map_or(args.delay, Duration::from_millis);
        if i > 0 && !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        match close::close(&api, &item.name, &args.reason).await {
            Ok(true) => item.set("closed", None),
            Ok(false) => item.set("gone", Some("closed before warren got to it".into())),
            Err(e) => {
                first_failure.get_or_insert(crate::exit::code_of(&e));
                item.set("failed", Some(format!("{e:#}")));
            }
        }
    }
    let report = report(items);
    output::print(global.output, &report)?;
    if let Some(code) = first_failure {
        let reason = format!(
            "{} of {total} connection(s) not closed (see above)",
            report.count("failed")
        );
        return Err(match code {
            Code::AuthRefused => Error::auth_refused(reason),
            Code::Unreachable => Error::unreachable(reason),
            _ => Error::broker_refused(reason),
        }
        .into());
    }
    Ok(())
}
