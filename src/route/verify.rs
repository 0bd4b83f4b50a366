//! `warren route --verify`: what the broker really does with a marked message. Every binding
//! to a queue behind the exchange (through exchange-to-exchange bindings and alternate
//! exchanges) is mirrored onto a temporary exclusive queue of warren's own, with the same
//! source, key and arguments, so the mirrors match exactly when the real queues do and no
//! exchange's "routed nowhere" (its alternate) changes. One message, marked by its message
//! id (a property: it changes no routing), is published with confirms and `mandatory`; the
//! mirrors that got it name the queues the broker delivered to. The mirrors go with the
//! connection. The real queues get the message too: that is why it needs --yes.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use anyhow::Result;
use lapin::options::{BasicGetOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::broker::amqp::{self, OPERATION_TIMEOUT, bounded, operation_error};
use crate::broker::publisher::{Outcome, Publisher};
use crate::broker::settings::Settings;
use crate::exit::Error;
use crate::message::envelope::{Envelope, Properties};
use crate::message::headers::table_from_json;
use crate::rabbit::headers;
use crate::rabbit::routing::{DestinationType, Kind, Topology};

/// What the broker did with the marked message.
#[derive(Debug, Serialize)]
pub struct Observed {
    pub observed: BTreeSet<String>,
    /// The message id of the marked message (it sits in the real queues now).
    pub message_id: String,
    /// Returned as unroutable (`mandatory`).
    pub returned: bool,
    pub how: String,
    /// The mirrors that differ from their bindings, and why: while any does, what the
    /// mirrors show proves nothing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub inexact: Vec<String>,
}

/// The exchanges a message published to `root` can pass through: along every
/// exchange-to-exchange binding and alternate exchange, whatever the keys.
fn reachable(topology: &Topology, root: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = VecDeque::from([root.to_string()]);
    while let Some(x) = todo.pop_front() {
        if !seen.insert(x.clone()) {
            continue;
        }
        for b in &topology.bindings {
            if b.source == x && b.destination_type == DestinationType::Exchange {
                todo.push_back(b.destination.clone());
            }
        }
        if let Some(ae) = topology.exchanges.get(&x).and_then(|e| e.alternate.clone()) {
            todo.push_back(ae);
        }
    }
    seen
}

pub async fn verify(
    settings: &Settings,
    topology: &Topology,
    exchange: &str,
    routing_key: &str,
    message_headers: &Map<String, Value>,
) -> Result<Observed> {
    if exchange.is_empty() {
        return Err(Error::usage(
            "--verify: the default exchange delivers to the queue the routing key names; there is nothing to verify",
        )
        .into());
    }
    let through = reachable(topology, exchange);
    let mirrored: Vec<_> = topology
        .bindings
        .iter()
        .filter(|b| b.destination_type == DestinationType::Queue && through.contains(&b.source))
        .collect();
    let inexact: Vec<String> = mirrored
        .iter()
        .filter(|b| {
            topology
                .exchanges
                .get(&b.source)
                .is_some_and(|x| x.kind == Kind::Headers)
        })
        .filter_map(|b| {
            headers::unfaithful(&b.arguments).map(|why| {
                format!(
                    "the binding of `{}` to `{}` can't be copied exactly: {why}",
                    b.source, b.destination
                )
            })
        })
        .collect();
    let message_id = format!("warren-route-probe-{}", crate::message::new_run_id());
    let session = amqp::connect(settings).await?;
    let result = async {
        let channel = session.channel().await?;
        // mirror queue -> the real queue it stands for
        let mut mirrors: BTreeMap<String, String> = BTreeMap::new();
        for b in &mirrored {
            let q = bounded(
                OPERATION_TIMEOUT,
                channel.queue_declare(
                    "".into(),
                    QueueDeclareOptions {
                        exclusive: true,
                        auto_delete: true,
                        ..Default::default()
                    },
                    FieldTable::default(),
                ),
            )
            .await
            .map_err(|e| operation_error("declaring a mirror queue", &e))?;
            let args = table_from_json(&Value::Object(b.arguments.clone()), "binding arguments")
                .map_err(Error::internal)?;
            bounded(
                OPERATION_TIMEOUT,
                channel.queue_bind(
                    q.name().as_str().into(),
                    b.source.as_str().into(),
                    b.routing_key.as_str().into(),
                    QueueBindOptions::default(),
                    args,
                ),
            )
            .await
            .map_err(|e| operation_error(&format!("mirroring a binding of `{}`", b.source), &e))?;
            mirrors.insert(q.name().to_string(), b.destination.clone());
        }
        let envelope = Envelope {
            exchange: Some(exchange.to_string()),
            routing_key: Some(routing_key.to_string()),
            properties: Properties {
                message_id: Some(message_id.clone()),
                kind: Some("warren.route.probe".into()),
                headers: (!message_headers.is_empty())
                    .then(|| Value::Object(message_headers.clone())),
                ..Default::default()
            },
            ..Default::default()
        };
        let (props, body) = envelope.encode().map_err(Error::usage)?;
        let mut publisher = Publisher::open(&session.connection, 1, OPERATION_TIMEOUT).await?;
        let mut outcomes = publisher
            .publish(1, exchange, routing_key, props, body, true)
            .await;
        outcomes.extend(publisher.drain(OPERATION_TIMEOUT).await);
        publisher.close().await;
        let returned = match outcomes.first().map(|(_, o)| o) {
            Some(Outcome::Confirmed) => false,
            Some(Outcome::Returned { .. }) => true,
            Some(other) => {
                return Err(Error::broker_refused(format!(
                    "the marked message was not confirmed: {}",
                    serde_json::to_string(other).unwrap_or_default()
                ))
                .into());
            }
            None => return Err(Error::unreachable("no confirm for the marked message").into()),
        };
        // Confirmed means enqueued everywhere it was routed: the mirrors hold it now.
        let mut observed = BTreeSet::new();
        for (mirror, real) in &mirrors {
            loop {
                let got = bounded(
                    OPERATION_TIMEOUT,
                    channel.basic_get(mirror.as_str().into(), BasicGetOptions { no_ack: true }),
                )
                .await
                .map_err(|e| operation_error("reading a mirror queue", &e))?;
                let Some(m) = got else { break };
                let id = m
                    .delivery
                    .properties
                    .message_id()
                    .as_ref()
                    .map(|s| s.to_string());
                if id.as_deref() == Some(message_id.as_str()) {
                    observed.insert(real.clone());
                    break;
                }
            }
        }
        amqp::close_channel(&channel).await;
        Ok::<_, anyhow::Error>(Observed {
            observed,
            message_id: message_id.clone(),
            returned,
            inexact: inexact.clone(),
            how: format!(
                "one marked message, id {message_id}, through {} mirrored binding(s)",
                mirrors.len()
            ),
        })
    }
    .await;
    session.close().await;
    result
}
