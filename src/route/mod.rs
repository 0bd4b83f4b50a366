//! `warren route`: which queues a message would reach, and why, from the live bindings
//! (`eval`, pure), and with `--verify` what the broker really does with a marked message.

pub mod verify;

use std::collections::BTreeSet;

use anyhow::Result;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::broker::api::{self, Overview};
use crate::broker::http::{ManagementApi, Pages, api_path};
use crate::output::Render;
use crate::rabbit::headers::Comparison;
use crate::rabbit::policy::{self, Policy};
use crate::rabbit::routing::{
    Binding, DestinationType, Exchange, Hop, Kind, Route, Step, Topology,
};

/// The topology of `vhost` as the evaluator takes it: exchanges with their alternate
/// exchange in effect (argument, else the applying policy's), queue names, and bindings.
pub async fn fetch(api: &ManagementApi, vhost: &str) -> Result<Topology> {
    let xs_path = format!(
        "{}?columns=name,type,internal,arguments&disable_stats=true",
        api_path(&["exchanges", vhost])
    );
    let qs_path = format!(
        "{}?columns=name&disable_stats=true",
        api_path(&["queues", vhost])
    );
    let (bs_path, ps_path) = (
        api_path(&["bindings", vhost]),
        api_path(&["policies", vhost]),
    );
    let (exchanges, queues, bindings, policies, version) = tokio::join!(
        api.list::<api::Exchange>(&xs_path, Pages::Whole),
        api.list::<api::Queue>(&qs_path, Pages::Whole),
        api.list::<api::Binding>(&bs_path, Pages::Whole),
        api.list::<Policy>(&ps_path, Pages::Whole),
        Overview::version(api),
    );
    let (exchanges, queues, bindings, policies) = (exchanges?, queues?, bindings?, policies?);
    let alternate = |x: &api::Exchange| -> Option<String> {
        if let Some(Value::String(ae)) = x.arguments.get("alternate-exchange") {
            return Some(ae.clone());
        }
        let (matched, _) = policy::matching(&policies, &x.name, policy::Target::Exchange);
        matched
            .first()
            .and_then(|p| p.definition.get("alternate-exchange"))
            .and_then(Value::as_str)
            .map(String::from)
    };
    Ok(Topology {
        exchanges: exchanges
            .iter()
            .map(|x| {
                (
                    x.name.clone(),
                    Exchange {
                        name: x.name.clone(),
                        kind: Kind::parse(x.kind.as_deref().unwrap_or_default()),
                        // Every broker lists it; a missing one is taken as not internal.
                        internal: x.internal.unwrap_or(false),
                        alternate: alternate(x),
                    },
                )
            })
            .collect(),
        queues: queues.into_iter().map(|q| q.name).collect(),
        bindings: bindings
            .into_iter()
            // The default exchange's implicit bindings: routed by name, not listed.
            .filter(|b| !b.source.is_empty())
            .map(|b| Binding {
                destination_type: if b.to_exchange() {
                    DestinationType::Exchange
                } else {
                    DestinationType::Queue
                },
                source: b.source,
                destination: b.destination,
                routing_key: b.routing_key,
                arguments: b.arguments,
            })
            .collect(),
        comparison: Comparison::of_version(&version),
    })
}

/// What `warren route` reports.
#[derive(Serialize)]
pub struct Report {
    pub exchange: String,
    pub routing_key: String,
    pub headers: Map<String, Value>,
    #[serde(flatten)]
    pub route: Route,
    /// With --verify: what the broker did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<verify::Observed>,
}

impl Report {
    /// Whether a verification disagrees with the prediction, or could not copy every
    /// binding exactly (then a match proves nothing).
    pub fn disagrees(&self) -> bool {
        self.verified
            .as_ref()
            .is_some_and(|v| v.observed != self.route.queues || !v.inexact.is_empty())
    }
}

fn tree(hop: &Hop, prefix: &str, out: &mut String) {
    let n = hop.steps.len();
    for (i, step) in hop.steps.iter().enumerate() {
        let last = i + 1 == n && hop.stop.is_none();
        let (branch, next) = if last {
            ("└── ", "    ")
        } else {
            ("├── ", "│   ")
        };
        match step {
            Step::Queue { name, via, already } => out.push_str(&format!(
                "{prefix}{branch}queue `{name}`  ({via}){}\n",
                if *already {
                    ", reached before: delivered once"
                } else {
                    ""
                }
            )),
            Step::Exchange { hop: h, via } => {
                out.push_str(&format!(
                    "{prefix}{branch}exchange `{}` ({})  ({via})\n",
                    h.exchange, h.kind
                ));
                tree(h, &format!("{prefix}{next}"), out);
            }
            Step::Alternate { hop: h } => {
                out.push_str(&format!(
                    "{prefix}{branch}alternate exchange `{}` ({})  (no binding matched)\n",
                    h.exchange, h.kind
                ));
                tree(h, &format!("{prefix}{next}"), out);
            }
        }
    }
    if let Some(stop) = &hop.stop {
        out.push_str(&format!("{prefix}└── {stop}\n"));
    }
}

impl Render for Report {
    fn human(&self) -> String {
        let shown = if self.exchange.is_empty() {
            "(default)"
        } else {
            &self.exchange
        };
        let mut out = format!(
            "exchange `{shown}` ({}), routing key `{}`{}\n",
            self.route.root.kind,
            self.routing_key,
            if self.headers.is_empty() {
                String::new()
            } else {
                format!(", headers {}", Value::Object(self.headers.clone()))
            }
        );
        tree(&self.route.root, "", &mut out);
        let names = |set: &BTreeSet<String>| set.iter().cloned().collect::<Vec<_>>().join(", ");
        if self.route.queues.is_empty() {
            out.push_str(
                "reaches no queue: published with mandatory it is returned (312 NO_ROUTE)\n",
            );
        } else {
            out.push_str(&format!(
                "reaches {} queue(s): {}\n",
                self.route.queues.len(),
                names(&self.route.queues)
            ));
        }
        for u in &self.route.uncertain {
            out.push_str(&format!(
                "uncertain: the binding of `{}` to `{}`: {} (the prediction assumes it does not match)\n",
                u.source, u.destination, u.reason
            ));
        }
        for x in &self.route.unmodelled {
            out.push_str(&format!(
                "note: exchange `{x}` is of a plugin's type: queues behind it are not predicted (use --verify)\n"
            ));
        }
        if let Some(v) = &self.verified {
            for why in &v.inexact {
                out.push_str(&format!("not verified: {why}\n"));
            }
            let delivered = if v.observed.is_empty() {
                "no queue".to_string()
            } else {
                names(&v.observed)
            };
            out.push_str(&if !v.inexact.is_empty() {
                format!(
                    "NOT VERIFIED: a mirror differs from its binding, so what it shows proves nothing; \
                     the broker delivered to: {delivered} ({})\n",
                    v.how
                )
            } else if v.observed == self.route.queues {
                format!(
                    "verified: the broker delivered to exactly these ({})\n",
                    v.how
                )
            } else {
                format!(
                    "DISAGREEMENT: the broker delivered to: {delivered} ({})\n",
                    v.how
                )
            });
        }
        out
    }
}
