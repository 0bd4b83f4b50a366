//! `warren route EXCHANGE ROUTING_KEY`: which queues a message would reach, and why.

use anyhow::Result;
use serde_json::Map;

use crate::broker::http::ManagementApi;
use crate::broker::settings;
use crate::cli::Global;
use crate::exit::Error;
use crate::output;
use crate::rabbit::routing;
use crate::route::{self, Report};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  warren route events order.created                       # the tree of hops and the queues reached
  warren route by-tenant '' -H tenant=acme -H region=eu   # a headers exchange
  warren route '' orders -H CC:json='[\"audit\"]'          # the default exchange, with CC
  warren route events invoice.paid -o json | jq '.queues'
  warren route events order.created --verify --yes        # publish one marked message and compare

The prediction follows RabbitMQ's routing: direct, fanout, topic (`*` one word, `#` zero or
more) and headers bindings (x-match all, any, all-with-x, any-with-x), exchange-to-exchange
bindings, alternate exchanges (argument or policy) when nothing matched, the default
exchange, CC and BCC headers, and internal exchanges (which refuse direct publishing).
Header values compare as the broker's version does (before 3.13 an integer equals a float of
its value; from 3.13 it doesn't, and a timestamp header counts in milliseconds). The
management API shows a void (presence-only) binding argument as \"undefined\" and arrays
without their elements' types: where that decides, the binding is reported as uncertain.
--verify mirrors every binding to a queue behind the exchange onto temporary queues of its
own and publishes one marked message (type warren.route.probe, confirmed, mandatory); the
real queues receive it too, so it needs --yes. A disagreement is exit 3, and so is a mirror
that could not copy its binding exactly.")]
pub struct Args {
    /// The exchange (`''` for the default exchange; the broker refuses `amq.default`).
    pub exchange: String,

    /// The routing key.
    pub routing_key: String,

    /// A header of the message: `key=value` or `key:TYPE=value`, as `warren publish -H`.
    #[arg(short = 'H', long = "header", value_name = "KEY[:TYPE]=VALUE")]
    pub headers: Vec<String>,

    /// Also publish one marked message and compare what the broker did.
    #[arg(long)]
    pub verify: bool,

    /// Go ahead with --verify without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub async fn run(global: &Global, args: &Args) -> Result<()> {
    let exchange = args.exchange.as_str();
    crate::flags::check_short(exchange).map_err(Error::usage)?;
    crate::flags::check_short(&args.routing_key).map_err(Error::usage)?;
    let mut headers = Map::new();
    for spec in &args.headers {
        let (k, v) = crate::message::headers::parse_flag(spec).map_err(Error::usage)?;
        headers.insert(k, v);
    }
    let settings = settings::load(&global.connection.flags())?;
    let api = ManagementApi::new(&settings)?;
    let topology = route::fetch(&api, &settings.vhost).await?;
    let message = routing::Message {
        routing_key: args.routing_key.clone(),
        headers: crate::message::headers::table_from_json(
            &serde_json::Value::Object(headers.clone()),
            "--header",
        )
        .map_err(Error::usage)?,
    };
    let predicted = routing::route(&topology, exchange, &message).map_err(|e| match e {
        routing::RouteError::NoExchange(_) => {
            Error::broker_refused(format!("{e} in vhost `{}`", settings.vhost))
        }
        routing::RouteError::Internal(_) => Error::auth_refused(e.to_string()),
        routing::RouteError::BadHeader(_) => Error::broker_refused(e.to_string()),
    })?;
    let verified = if args.verify {
        super::go_ahead(
            args.yes,
            || {
                "route --verify publishes one real message that reaches the real queues: pass --yes"
                    .into()
            },
            || {
                format!(
                    "Publish one marked message to `{}` (it reaches {} real queue(s))?",
                    args.exchange,
                    predicted.queues.len()
                )
            },
        )?;
        Some(
            route::verify::verify(&settings, &topology, exchange, &args.routing_key, &headers)
                .await?,
        )
    } else {
        None
    };
    let report = Report {
        exchange: exchange.to_string(),
        routing_key: args.routing_key.clone(),
        headers,
        route: predicted,
        verified,
    };
    output::print(global.output, &report)?;
    if report.disagrees() {
        return Err(Error::findings_or_drift(
            "the broker delivered the marked message differently from the prediction",
        )
        .into());
    }
    Ok(())
}
