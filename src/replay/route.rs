//! The route decision: where messages from one origin go (`--redirect`, `--target`, or back
//! where they came from, which reads the exchange and its bindings over the management API),
//! decided once per distinct origin and reported.

use std::collections::HashMap;

use anyhow::Result;

use super::origin::{self, Binding, Origin, Route};
use super::summary::RouteReport;
use crate::broker::api::Exchange;
use crate::broker::http::{ManagementApi, api_path};

/// Where copies go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Back where they came from (see `origin::original_route`).
    Original,
    Exchange {
        name: String,
        key: Option<String>,
    },
    Queue(String),
}

/// An origin's queue, exchange and routing key: messages with the same one share a route.
type OriginKey = (Option<String>, Option<String>, Option<String>);

/// Decides each origin's route once, and remembers which report holds it.
pub(super) struct Router<'a> {
    api: &'a ManagementApi,
    vhost: &'a str,
    target: &'a Target,
    redirects: &'a [(String, String)],
    decided: HashMap<OriginKey, usize>,
}

impl<'a> Router<'a> {
    pub(super) fn new(
        api: &'a ManagementApi,
        vhost: &'a str,
        target: &'a Target,
        redirects: &'a [(String, String)],
    ) -> Router<'a> {
        Router {
            api,
            vhost,
            target,
            redirects,
            decided: HashMap::new(),
        }
    }

    /// The index in `reports` of the route for messages from `origin`; a new origin's route
    /// is decided, announced on stderr and added to `reports`.
    pub(super) async fn route(
        &mut self,
        origin: Option<&Origin>,
        reports: &mut Vec<RouteReport>,
    ) -> Result<usize> {
        let key = (
            origin.and_then(|o| o.queue.clone()),
            origin.and_then(|o| o.exchange.clone()),
            origin.and_then(|o| o.routing_key.clone()),
        );
        if let Some(i) = self.decided.get(&key) {
            return Ok(*i);
        }
        let decided = self.decide(origin).await?;
        let (route, why) = match decided {
            Some((r, w)) => (Some(r), w),
            None => (
                None,
                "the message has no x-death or x-original-* headers: its origin is unknown".into(),
            ),
        };
        let from = key
            .0
            .clone()
            .map_or("(unknown origin)".into(), |q| format!("`{q}`"));
        match &route {
            Some(r) => crate::note!("messages from {from} go to {}: {why}", r.describe()),
            None => crate::note!("messages from {from} stay in the DLQ: {why}"),
        }
        reports.push(RouteReport {
            origin_queue: key.0.clone(),
            route,
            why,
            messages: 0,
        });
        let i = reports.len() - 1;
        self.decided.insert(key, i);
        Ok(i)
    }

    async fn decide(&self, origin: Option<&Origin>) -> Result<Option<(Route, String)>> {
        let queue = origin.and_then(|o| o.queue.as_deref());
        if let Some(q) = queue
            && let Some((_, new)) = self.redirects.iter().find(|(old, _)| old == q)
        {
            return Ok(Some((
                Route::to_queue(new),
                format!("--redirect {q}={new}"),
            )));
        }
        match self.target {
            Target::Queue(q) => Ok(Some((Route::to_queue(q), "--target queue".into()))),
            Target::Exchange { name, key } => {
                let key = key
                    .clone()
                    .or_else(|| origin.and_then(|o| o.routing_key.clone()));
                Ok(key.map(|k| {
                    (
                        Route {
                            exchange: name.clone(),
                            routing_key: k,
                        },
                        "--target exchange".into(),
                    )
                }))
            }
            Target::Original => {
                let Some(origin) = origin else {
                    return Ok(None);
                };
                let exchange = match origin.exchange.as_deref() {
                    Some(e) if !e.is_empty() && origin.queue.is_some() => self.exchange(e).await?,
                    _ => None,
                };
                Ok(origin::original_route(
                    origin,
                    exchange.as_ref().map(|(k, b)| (k.as_str(), b.as_slice())),
                ))
            }
        }
    }

    /// The exchange's type and bindings (none for an internal one, whose type says so), or
    /// `None` when it no longer exists.
    async fn exchange(&self, name: &str) -> Result<Option<(String, Vec<Binding>)>> {
        let path = api_path(&["exchanges", self.vhost, name]);
        let info: Option<Exchange> = self.api.get_opt(&path).await?;
        Ok(match info {
            Some(info) if info.internal != Some(true) => {
                let bindings: Vec<Binding> = self
                    .api
                    .get_opt(&format!("{path}/bindings/source"))
                    .await?
                    .unwrap_or_default();
                Some((info.kind.unwrap_or_default(), bindings))
            }
            Some(info) => Some((
                format!("internal {}", info.kind.unwrap_or_default()),
                Vec::new(),
            )),
            None => None,
        })
    }
}
