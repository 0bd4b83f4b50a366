//! The routing evaluator: which queues a message published to an exchange reaches, and by
//! which hops, from the exchanges and bindings alone (pure). It follows RabbitMQ's own
//! routing (`rabbit_exchange:route/2` and the exchange type modules):
//!
//! - the routing keys are the message's key plus its `CC` and `BCC` headers (lists of
//!   strings); direct and topic bindings match any of them, fanout and headers ignore them;
//! - direct: the binding key equals a routing key; fanout: every binding;
//! - topic: keys are words split at `.`; `*` is exactly one word, `#` zero or more; the empty
//!   key has no words;
//! - headers: as the broker compares values (`rabbit::headers`); a binding whose arguments
//!   the management API can't show faithfully is uncertain, and named;
//! - a `CC` or `BCC` header that is not an array is refused (406);
//! - the default exchange (`""`) delivers to the queue named by each routing key;
//! - an exchange whose own bindings give no destination at all hands the message to its
//!   alternate exchange (its `alternate-exchange` argument, else its policy's); the default
//!   exchange as an alternate (`alternate-exchange: ""`) takes nothing, since it routes by
//!   name only what is published to it (`rabbit_exchange:route/3`; measured on 3.10, 4.0, 4.3);
//! - exchange-to-exchange bindings are followed; an exchange is visited once per message,
//!   so cycles end; a queue is delivered to once however many paths reach it;
//! - an internal exchange can't be published to directly (only through a binding).

use std::collections::{BTreeMap, BTreeSet};

use lapin::types::FieldTable;
use serde::Serialize;
use serde_json::{Map, Value};

use super::headers::{self, Comparison, Verdict};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Direct,
    Fanout,
    Topic,
    Headers,
    /// A plugin's type (consistent hash, x-random, ...), or a type that picks one binding
    /// (4.3's x-modulus-hash and x-local-random): which destination a message takes is not
    /// modelled.
    Other(String),
}

impl Kind {
    pub fn parse(name: &str) -> Kind {
        match name {
            "direct" => Kind::Direct,
            "fanout" => Kind::Fanout,
            "topic" => Kind::Topic,
            "headers" => Kind::Headers,
            other => Kind::Other(other.to_string()),
        }
    }

    fn name(&self) -> &str {
        match self {
            Kind::Direct => "direct",
            Kind::Fanout => "fanout",
            Kind::Topic => "topic",
            Kind::Headers => "headers",
            Kind::Other(n) => n,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Exchange {
    pub name: String,
    pub kind: Kind,
    pub internal: bool,
    /// The alternate exchange in effect (argument, else policy).
    pub alternate: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DestinationType {
    Queue,
    Exchange,
}

#[derive(Debug, Clone)]
pub struct Binding {
    pub source: String,
    pub destination: String,
    pub destination_type: DestinationType,
    pub routing_key: String,
    pub arguments: Map<String, Value>,
}

/// The live topology of one vhost.
#[derive(Debug, Clone, Default)]
pub struct Topology {
    pub exchanges: BTreeMap<String, Exchange>,
    pub queues: BTreeSet<String>,
    pub bindings: Vec<Binding>,
    /// How this broker compares header values (its version decides).
    pub comparison: Comparison,
}

/// What is routed: a routing key and typed headers (`CC` and `BCC` among them, if any).
#[derive(Debug, Clone, Default)]
pub struct Message {
    pub routing_key: String,
    pub headers: FieldTable,
}

impl Message {
    /// The key and every string of the `CC` and `BCC` arrays; the broker's refusal of a `CC`
    /// or `BCC` that is not an array.
    pub fn routing_keys(&self) -> Result<Vec<String>, RouteError> {
        let mut keys = vec![self.routing_key.clone()];
        keys.extend(headers::routing_headers(&self.headers).map_err(RouteError::BadHeader)?);
        Ok(keys)
    }
}

/// A binding the prediction can't decide for this message, and why: the route assumes it
/// does not take the message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Uncertain {
    pub source: String,
    pub destination: String,
    pub reason: String,
}

/// One step of the route: where the message went from an exchange, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum Step {
    Queue {
        name: String,
        /// Why: the binding that matched (its key or arguments).
        via: String,
        /// Reached before along another path: delivered once.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        already: bool,
    },
    Exchange {
        #[serde(flatten)]
        hop: Hop,
        via: String,
    },
    /// Nothing matched, so the exchange's alternate exchange took it.
    Alternate {
        #[serde(flatten)]
        hop: Hop,
    },
}

/// An exchange the message passed through, and where it went from there.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hop {
    pub exchange: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub steps: Vec<Step>,
    /// Why it went no further, when it didn't (missing exchange, seen before, a type not
    /// modelled, nothing matched and no alternate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<String>,
}

/// The route of a message: the tree of hops and the queues reached.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Route {
    pub root: Hop,
    pub queues: BTreeSet<String>,
    /// Every exchange whose routing warren can't model (plugin types): the answer may miss
    /// queues behind them.
    pub unmodelled: Vec<String>,
    /// Bindings the management API can't show faithfully enough to decide: the answer
    /// assumes they don't take the message, and may be wrong.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub uncertain: Vec<Uncertain>,
}

/// Why a message can't be routed at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteError {
    NoExchange(String),
    /// Publishing to an internal exchange is refused (403).
    Internal(String),
    /// The message itself is refused (406): why.
    BadHeader(String),
}

impl std::fmt::Display for RouteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RouteError::NoExchange(x) if x == "amq.default" => write!(
                f,
                "exchange `amq.default` does not exist for publishing (404): the management UI's \
                 name for the default exchange, which is `''`"
            ),
            RouteError::NoExchange(x) => write!(f, "exchange `{x}` does not exist"),
            RouteError::BadHeader(why) => write!(f, "{why}"),
            RouteError::Internal(x) => write!(
                f,
                "exchange `{x}` is internal: the broker refuses publishing to it (403); it takes messages only through bindings"
            ),
        }
    }
}

/// Topic matching: `binding` against `key`, word by word (`*` one word, `#` zero or more).
/// One pass over the binding's words, keeping which prefixes of the key they can match, so
/// that a binding of many `#` costs its length times the key's, not an exponential search.
pub fn topic_matches(binding: &str, key: &str) -> bool {
    fn words(s: &str) -> Vec<&str> {
        if s.is_empty() {
            Vec::new()
        } else {
            s.split('.').collect()
        }
    }
    let key = words(key);
    // reach[j]: the binding's words so far match the key's first j words.
    let mut reach = vec![false; key.len() + 1];
    reach[0] = true;
    for word in words(binding) {
        let mut next = vec![false; key.len() + 1];
        match word {
            "#" => {
                let mut any = false;
                for (j, r) in reach.iter().enumerate() {
                    any |= *r;
                    next[j] = any;
                }
            }
            _ => {
                for j in 1..=key.len() {
                    next[j] = reach[j - 1] && (word == "*" || word == key[j - 1]);
                }
            }
        }
        reach = next;
    }
    reach[key.len()]
}

/// Whether a binding with key `bound`, of an exchange of `kind`, takes a message routed with
/// `key`, where the key alone decides: `Some` for direct (equal), fanout (always) and topic
/// (a match); `None` where more than the key decides (headers) or the choice is not modelled
/// (a plugin's type). The one key rule of route, replay's origin and the dead-letter reach.
pub fn key_takes(kind: &Kind, bound: &str, key: &str) -> Option<bool> {
    match kind {
        Kind::Direct => Some(bound == key),
        Kind::Fanout => Some(true),
        Kind::Topic => Some(topic_matches(bound, key)),
        Kind::Headers | Kind::Other(_) => None,
    }
}

fn describe(b: &Binding, kind: &Kind) -> String {
    match kind {
        Kind::Fanout => "fanout binding".into(),
        Kind::Headers => format!("headers binding {}", Value::Object(b.arguments.clone())),
        _ => format!("binding key `{}`", b.routing_key),
    }
}

struct Walk<'a> {
    topology: &'a Topology,
    message: &'a Message,
    keys: Vec<String>,
    seen: BTreeSet<String>,
    queues: BTreeSet<String>,
    unmodelled: Vec<String>,
    uncertain: Vec<Uncertain>,
}

impl Walk<'_> {
    fn matches(&mut self, kind: &Kind, b: &Binding) -> bool {
        match kind {
            Kind::Headers => match headers::headers_match(
                &b.arguments,
                &self.message.headers,
                self.topology.comparison,
            ) {
                Verdict::Yes => true,
                Verdict::No => false,
                Verdict::Unsure(reason) => {
                    self.uncertain.push(Uncertain {
                        source: b.source.clone(),
                        destination: b.destination.clone(),
                        reason,
                    });
                    false
                }
            },
            Kind::Other(_) => false,
            _ => self
                .keys
                .iter()
                .any(|k| key_takes(kind, &b.routing_key, k) == Some(true)),
        }
    }

    fn hop(&mut self, name: &str, root: bool) -> Hop {
        let Some(x) = self.topology.exchanges.get(name).cloned() else {
            return Hop {
                exchange: name.to_string(),
                kind: "?".into(),
                steps: Vec::new(),
                stop: Some("the exchange does not exist".into()),
            };
        };
        let mut hop = Hop {
            exchange: name.to_string(),
            kind: if name.is_empty() {
                "direct (default)".into()
            } else {
                x.kind.name().to_string()
            },
            steps: Vec::new(),
            stop: None,
        };
        if !self.seen.insert(name.to_string()) {
            hop.stop = Some("already visited by this message: not routed twice".into());
            return hop;
        }
        if let Kind::Other(t) = &x.kind {
            self.unmodelled.push(name.to_string());
            let bound: Vec<String> = self
                .topology
                .bindings
                .iter()
                .filter(|b| b.source == name)
                .map(|b| format!("`{}`", b.destination))
                .collect();
            let among = if bound.is_empty() {
                "none is bound".to_string()
            } else {
                bound.join(", ")
            };
            hop.stop = Some(match t.as_str() {
                // Core exchange types of RabbitMQ 4.3 that send each message to one binding.
                "x-modulus-hash" => format!(
                    "type `x-modulus-hash` sends each message to one of its bound destinations, \
                     picked by a hash of the routing key: one of {among}"
                ),
                "x-local-random" => format!(
                    "type `x-local-random` sends each message to one bound queue on the \
                     publisher's node, at random: one of {among}"
                ),
                _ => format!("type `{t}` is a plugin's: its routing is not modelled"),
            });
            return hop;
        }
        let mut any = false;
        if name.is_empty() && !root {
            hop.stop = Some(
                "the default exchange routes by queue name only messages published to it: \
                 reached as an alternate exchange, it takes nothing"
                    .into(),
            );
            return hop;
        } else if name.is_empty() {
            for key in self.keys.clone() {
                if self.topology.queues.contains(&key) {
                    any = true;
                    let already = !self.queues.insert(key.clone());
                    hop.steps.push(Step::Queue {
                        name: key.clone(),
                        via: format!("the default exchange: routing key `{key}` names the queue"),
                        already,
                    });
                }
            }
        } else {
            let topology = self.topology;
            let bindings: Vec<&Binding> = topology
                .bindings
                .iter()
                .filter(|b| b.source == name)
                .filter(|b| self.matches(&x.kind, b))
                .collect();
            for b in bindings {
                any = true;
                let via = describe(b, &x.kind);
                match b.destination_type {
                    DestinationType::Queue => {
                        let already = !self.queues.insert(b.destination.clone());
                        hop.steps.push(Step::Queue {
                            name: b.destination.clone(),
                            via,
                            already,
                        });
                    }
                    DestinationType::Exchange => {
                        let next = self.hop(&b.destination, false);
                        hop.steps.push(Step::Exchange { hop: next, via });
                    }
                }
            }
        }
        if !any {
            match &x.alternate {
                Some(ae) => {
                    let next = self.hop(ae, false);
                    hop.steps.push(Step::Alternate { hop: next });
                }
                None => {
                    hop.stop = Some("no binding matched and there is no alternate exchange".into())
                }
            }
        }
        hop
    }
}

/// Route `message` published to `exchange`.
pub fn route(topology: &Topology, exchange: &str, message: &Message) -> Result<Route, RouteError> {
    let Some(x) = topology.exchanges.get(exchange) else {
        return Err(RouteError::NoExchange(exchange.to_string()));
    };
    if x.internal {
        return Err(RouteError::Internal(exchange.to_string()));
    }
    let mut walk = Walk {
        topology,
        message,
        keys: message.routing_keys()?,
        seen: BTreeSet::new(),
        queues: BTreeSet::new(),
        unmodelled: Vec::new(),
        uncertain: Vec::new(),
    };
    let root = walk.hop(exchange, true);
    Ok(Route {
        root,
        queues: walk.queues,
        unmodelled: walk.unmodelled,
        uncertain: walk.uncertain,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_binding_of_many_hashes_is_matched_at_once() {
        // A backtracking match tries every way of sharing the key's words between the `#`s:
        // some 10^15 here, which would never end.
        let binding = format!("{}x", "#.".repeat(25));
        let key = format!("{}b", "a.".repeat(40));
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send((
                topic_matches(&binding, &key),
                topic_matches(&binding, &format!("{key}.x")),
            ));
        });
        let got = rx.recv_timeout(std::time::Duration::from_secs(10));
        assert_eq!(got, Ok((false, true)), "the match never ended");
    }

    #[test]
    fn topic_words_stars_and_hashes() {
        let cases = [
            ("a.b.c", "a.b.c", true),
            ("a.*.c", "a.b.c", true),
            ("a.*.c", "a.c", false),
            ("a.*.c", "a.b.b.c", false),
            ("a.#.c", "a.c", true),
            ("a.#.c", "a.b.b.c", true),
            ("a.#", "a", true),
            ("a.#", "a.b", true),
            ("#", "", true),
            ("#", "a.b.c", true),
            ("*", "", false),
            ("*", "a", true),
            ("*", "a.b", false),
            ("", "", true),
            ("", "a", false),
            ("#.#", "", true),
            ("#.#", "a", true),
            ("*.#", "", false),
            ("*.#", "a", true),
            ("#.*", "a.b", true),
            ("#.a.#", "b.a.c", true),
            ("#.a.#", "b.c", false),
            ("a.*", "a.", true),
            ("a..b", "a..b", true),
            ("a.*.b", "a..b", true),
            ("*.*", "a.b", true),
            ("*.*", "a", false),
            ("A", "a", false),
            ("#.b.#.d", "a.b.c.d", true),
            ("#.b.#.d", "b.d", true),
            ("#.b.#.d", "a.b.c", false),
        ];
        for (binding, key, expected) in cases {
            assert_eq!(
                topic_matches(binding, key),
                expected,
                "{binding:?} vs {key:?}"
            );
        }
    }

    fn args(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    fn topology() -> Topology {
        let x = |name: &str, kind: &str, internal: bool, ae: Option<&str>| {
            (
                name.to_string(),
                Exchange {
                    name: name.into(),
                    kind: Kind::parse(kind),
                    internal,
                    alternate: ae.map(String::from),
                },
            )
        };
        let b = |s: &str, d: &str, t: DestinationType, k: &str, a: Value| Binding {
            source: s.into(),
            destination: d.into(),
            destination_type: t,
            routing_key: k.into(),
            arguments: args(a),
        };
        use DestinationType::{Exchange as E, Queue as Q};
        Topology {
            exchanges: [
                x("", "direct", false, None),
                x("events", "topic", false, Some("unrouted")),
                x("unrouted", "fanout", false, None),
                x("archive", "fanout", true, None),
                x("by-tenant", "headers", false, None),
                x("loop-a", "fanout", false, None),
                x("loop-b", "fanout", false, None),
                x("hash", "x-consistent-hash", false, None),
                x("modulus", "x-modulus-hash", false, None),
            ]
            .into_iter()
            .collect(),
            queues: ["orders", "audit", "lost", "archive-q", "acme", "looped"]
                .into_iter()
                .map(String::from)
                .collect(),
            bindings: vec![
                b("modulus", "orders", Q, "", json!({})),
                b("modulus", "audit", Q, "", json!({})),
                b("events", "orders", Q, "order.*", json!({})),
                b("events", "archive", E, "order.#", json!({})),
                b("archive", "archive-q", Q, "", json!({})),
                b("archive", "by-tenant", E, "", json!({})),
                b("by-tenant", "acme", Q, "", json!({"tenant": "acme"})),
                b("unrouted", "lost", Q, "", json!({})),
                b("events", "audit", Q, "order.created", json!({})),
                b("loop-a", "loop-b", E, "", json!({})),
                b("loop-b", "loop-a", E, "", json!({})),
                b("loop-b", "looped", Q, "", json!({})),
            ],
            comparison: Comparison::Exact,
        }
    }

    fn queues(t: &Topology, exchange: &str, key: &str, headers: Value) -> Vec<String> {
        let m = Message {
            routing_key: key.into(),
            headers: crate::message::headers::table_from_json(&headers, "headers").unwrap(),
        };
        route(t, exchange, &m).unwrap().queues.into_iter().collect()
    }

    #[test]
    fn chains_alternates_defaults_and_cc() {
        let t = topology();
        assert_eq!(
            queues(&t, "events", "order.created", json!({"tenant": "acme"})),
            ["acme", "archive-q", "audit", "orders"]
        );
        assert_eq!(queues(&t, "events", "order.x.y", json!({})), ["archive-q"]);
        // Nothing matched in `events`: its alternate takes it.
        assert_eq!(queues(&t, "events", "invoice.paid", json!({})), ["lost"]);
        // A match through an e2e binding that then goes nowhere is still a match: no AE.
        // (archive is fanout, so it always routes.)
        assert_eq!(queues(&t, "", "orders", json!({})), ["orders"]);
        assert_eq!(queues(&t, "", "nope", json!({})), Vec::<String>::new());
        // CC and BCC add routing keys.
        assert_eq!(
            queues(
                &t,
                "",
                "orders",
                json!({"CC": ["audit"], "BCC": ["lost", "missing"]})
            ),
            ["audit", "lost", "orders"]
        );
        assert_eq!(
            queues(
                &t,
                "events",
                "invoice.paid",
                json!({"CC": ["order.created"]})
            ),
            ["archive-q", "audit", "orders"]
        );
        // A cycle ends; the queue is delivered to once.
        assert_eq!(queues(&t, "loop-a", "", json!({})), ["looped"]);
    }

    #[test]
    fn refusals_and_what_is_not_modelled() {
        let t = topology();
        let m = Message::default();
        assert_eq!(
            route(&t, "archive", &m).unwrap_err(),
            RouteError::Internal("archive".into())
        );
        assert_eq!(
            route(&t, "nope", &m).unwrap_err(),
            RouteError::NoExchange("nope".into())
        );
        let r = route(&t, "hash", &m).unwrap();
        assert!(r.queues.is_empty());
        assert_eq!(r.unmodelled, ["hash"]);
        assert_eq!(
            r.root.stop.as_deref(),
            Some("type `x-consistent-hash` is a plugin's: its routing is not modelled")
        );
        // 4.3's x-modulus-hash: one of its bound destinations, named.
        let r = route(&t, "modulus", &m).unwrap();
        assert!(r.queues.is_empty());
        assert_eq!(r.unmodelled, ["modulus"]);
        assert_eq!(
            r.root.stop.as_deref(),
            Some(
                "type `x-modulus-hash` sends each message to one of its bound destinations, \
                 picked by a hash of the routing key: one of `orders`, `audit`"
            )
        );
        let r = route(&t, "loop-a", &m).unwrap();
        let Step::Exchange { hop, .. } = &r.root.steps[0] else {
            panic!("{r:?}")
        };
        assert!(hop.steps.iter().any(|s| matches!(s, Step::Exchange { hop, .. } if hop.stop.as_deref().is_some_and(|s| s.contains("already visited")))));
    }
}
