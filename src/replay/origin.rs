//! Where a dead-lettered message came from, read from its headers alone (pure, no I/O), and
//! where `--target original` sends it back given the original exchange's bindings.
//!
//! The DLQ delivery's own exchange and routing key belong to the dead-letter hop, never to
//! the origin. The most recent death is `x-death[0]`; `x-first-death-*` goes stale once a
//! message has died in two queues. RabbitMQ 3.13+ also sets `x-last-death-*` (3.10 does not);
//! Spring AMQP's RepublishMessageRecoverer sets `x-original-exchange`/`x-original-routingKey`.

use serde::Serialize;
use serde_json::Value;

use crate::rabbit::routing::{Kind, key_takes};

/// Which headers the origin was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    XDeath,
    XLastDeath,
    Spring,
}

/// The origin of one dead-lettered message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Origin {
    pub source: Source,
    /// The queue that dead-lettered it (unknown for Spring-style headers).
    pub queue: Option<String>,
    /// The exchange it was first published to; `""` is the default exchange.
    pub exchange: Option<String>,
    /// The routing key it was published with: `routing-keys[0]`. The rest of `routing-keys`
    /// are CC keys, which a replay must not use again (the CC queues already had their copy).
    pub routing_key: Option<String>,
    pub reason: Option<String>,
    /// Seconds since the epoch of the most recent death.
    pub time: Option<i64>,
    /// Deaths recorded in all x-death entries (the sum of their counts).
    pub deaths: i64,
    /// The message's per-message TTL before it expired (`original-expiration`).
    pub original_expiration: Option<String>,
}

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::to_string)
}

/// A number as the envelope writes it: a plain i64, or a tagged `{"$i32": n}`, `{"$timestamp": n}`...
pub fn number(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::Object(m) if m.len() == 1 => m.values().next().and_then(Value::as_i64),
        _ => None,
    }
}

/// Resolve from `x-death[0]`, then `x-last-death-*`, then Spring's `x-original-*` headers.
/// `headers` is the envelope's JSON header table.
pub fn resolve(headers: Option<&Value>) -> Option<Origin> {
    let headers = headers?.as_object()?;
    let deaths = headers.get("x-death").and_then(Value::as_array);
    let total = deaths
        .map(|d| {
            d.iter()
                .filter_map(|e| e.get("count").and_then(number))
                .sum()
        })
        .unwrap_or(0);
    if let Some(first) = deaths.and_then(|d| d.first()) {
        let keys = first.get("routing-keys").and_then(Value::as_array);
        return Some(Origin {
            source: Source::XDeath,
            queue: text(first.get("queue")),
            exchange: text(first.get("exchange")),
            routing_key: text(keys.and_then(|k| k.first())),
            reason: text(first.get("reason")),
            time: first.get("time").and_then(number),
            deaths: total.max(1),
            original_expiration: text(first.get("original-expiration")),
        });
    }
    if let Some(queue) = text(headers.get("x-last-death-queue")) {
        return Some(Origin {
            source: Source::XLastDeath,
            queue: Some(queue),
            exchange: text(headers.get("x-last-death-exchange")),
            routing_key: None,
            reason: text(headers.get("x-last-death-reason")),
            time: None,
            deaths: total.max(1),
            original_expiration: None,
        });
    }
    let exchange = text(headers.get("x-original-exchange"));
    let routing_key = text(headers.get("x-original-routingKey"));
    if exchange.is_some() || routing_key.is_some() {
        return Some(Origin {
            source: Source::Spring,
            queue: None,
            exchange: exchange.or(Some(String::new())),
            routing_key,
            reason: None,
            time: None,
            deaths: 1,
            original_expiration: None,
        });
    }
    None
}

/// Headers the broker owns: a replayed copy drops them (`keep_death` keeps the death
/// history). `CC`/`BCC` always go, so a copy never fans out to the CC queues again.
/// `x-delivery-count` is a quorum queue's counter for the DLQ delivery, not the message's.
pub fn is_dropped_header(name: &str, keep_death: bool) -> bool {
    let death = name == "x-death"
        || name.starts_with("x-first-death-")
        || name.starts_with("x-last-death-");
    matches!(name, "CC" | "BCC" | "x-delivery-count") || (death && !keep_death)
}

pub use crate::broker::api::Binding;

/// How a replayed message is published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Hash, PartialOrd, Ord)]
pub struct Route {
    pub exchange: String,
    pub routing_key: String,
}

impl Route {
    pub fn to_queue(queue: &str) -> Route {
        Route {
            exchange: String::new(),
            routing_key: queue.to_string(),
        }
    }

    pub fn describe(&self) -> String {
        if self.exchange.is_empty() {
            format!("queue `{}` (default exchange)", self.routing_key)
        } else {
            format!("exchange `{}` key `{}`", self.exchange, self.routing_key)
        }
    }
}

/// The destinations `key` reaches through an exchange of `kind` with `bindings`, or `None`
/// when warren can't tell for sure (headers and plugin exchange types).
pub fn destinations(kind: &str, bindings: &[Binding], key: &str) -> Option<Vec<(String, String)>> {
    let kind = Kind::parse(kind);
    let mut out = Vec::new();
    for b in bindings {
        if key_takes(&kind, &b.routing_key, key)? {
            out.push((b.destination_type.clone(), b.destination.clone()));
        }
    }
    out.sort();
    out.dedup();
    Some(out)
}

/// `--target original`: through the original exchange and key when that reaches the queue
/// that dead-lettered the message and nothing else, otherwise straight to that queue through
/// the default exchange. `exchange` is the original exchange's type and source bindings, or
/// `None` when it no longer exists. Returns the route and why it was chosen.
pub fn original_route(
    origin: &Origin,
    exchange: Option<(&str, &[Binding])>,
) -> Option<(Route, String)> {
    let queue = origin.queue.as_deref();
    let original = match (&origin.exchange, &origin.routing_key) {
        (Some(e), Some(k)) => Some(Route {
            exchange: e.clone(),
            routing_key: k.clone(),
        }),
        _ => None,
    };
    let Some(queue) = queue else {
        // Spring-style headers name no queue: the original exchange and key are all there is.
        let route = original?;
        return Some((
            route,
            "the headers name no queue: published as originally (x-original-exchange/-routingKey)"
                .into(),
        ));
    };
    let fallback = |why: String| Some((Route::to_queue(queue), why));
    let Some(route) = original else {
        return fallback("the original routing key is not recorded".into());
    };
    if route.exchange.is_empty() {
        return fallback("it was first published to the default exchange".into());
    }
    let Some((kind, bindings)) = exchange else {
        return fallback(format!("exchange `{}` no longer exists", route.exchange));
    };
    let Some(reached) = destinations(kind, bindings, &route.routing_key) else {
        return fallback(format!(
            "exchange `{}` is of type `{kind}`, whose routing warren does not evaluate",
            route.exchange
        ));
    };
    let alone = [("queue".to_string(), queue.to_string())];
    if reached == alone {
        let why = format!(
            "exchange `{}` with key `{}` reaches `{queue}` alone",
            route.exchange, route.routing_key
        );
        return Some((route, why));
    }
    let others: Vec<String> = reached
        .iter()
        .filter(|d| **d != alone[0])
        .map(|(t, d)| {
            if t == "exchange" {
                format!("exchange `{d}`")
            } else {
                format!("`{d}`")
            }
        })
        .collect();
    let why = if reached.contains(&alone[0]) {
        format!(
            "exchange `{}` with key `{}` also reaches {}",
            route.exchange,
            route.routing_key,
            others.join(", ")
        )
    } else {
        format!(
            "exchange `{}` with key `{}` no longer reaches `{queue}`",
            route.exchange, route.routing_key
        )
    };
    fallback(why)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A captured envelope as JSON, as `warren consume` wrote it.
    fn fixture(case: &str) -> Value {
        serde_json::to_value(crate::replay::fixture(case)).expect("json")
    }

    fn origin(case: &str) -> Origin {
        let env = fixture(case);
        resolve(env["properties"].get("headers")).expect("an origin")
    }

    fn binding(dest: &str, key: &str) -> Binding {
        Binding {
            destination: dest.into(),
            destination_type: "queue".into(),
            routing_key: key.into(),
            ..Default::default()
        }
    }

    #[test]
    fn rejected_resolves_to_the_original_exchange_and_key() {
        let env = fixture("rejected");
        // The delivery itself came through the DLX: never the origin.
        assert_eq!(env["exchange"], "dlx");
        let o = origin("rejected");
        assert_eq!(o.source, Source::XDeath);
        assert_eq!(o.queue.as_deref(), Some("work"));
        assert_eq!(o.exchange.as_deref(), Some("orders"));
        assert_eq!(o.routing_key.as_deref(), Some("o.new"));
        assert_eq!(o.reason.as_deref(), Some("rejected"));
        assert_eq!(o.deaths, 1);
        assert!(o.time.is_some_and(|t| t > 1_600_000_000));
    }

    #[test]
    fn each_reason_is_read() {
        for (case, reason, queue) in [
            ("expired-queue", "expired", "ttl"),
            ("expired-message", "expired", "slow"),
            ("maxlen", "maxlen", "short"),
            ("delivery-limit", "delivery_limit", "qq"),
        ] {
            let o = origin(case);
            assert_eq!(o.reason.as_deref(), Some(reason), "{case}");
            assert_eq!(o.queue.as_deref(), Some(queue), "{case}");
        }
        assert_eq!(
            origin("expired-message").original_expiration.as_deref(),
            Some("1")
        );
        assert_eq!(origin("expired-queue").original_expiration, None);
        // A per-message TTL is removed from the dead-lettered copy.
        assert!(
            fixture("expired-message")["properties"]
                .get("expiration")
                .is_none()
        );
    }

    #[test]
    fn default_exchange_publishes_go_back_to_the_queue() {
        let o = origin("expired-message");
        assert_eq!(o.exchange.as_deref(), Some(""));
        assert_eq!(o.routing_key.as_deref(), Some("slow"));
        let (route, why) = original_route(&o, None).unwrap();
        assert_eq!(route, Route::to_queue("slow"));
        assert!(why.contains("default exchange"), "{why}");
    }

    #[test]
    fn cc_keys_are_not_used_and_cc_headers_are_dropped() {
        let env = fixture("cc");
        let death = &env["properties"]["headers"]["x-death"][0];
        assert_eq!(death["routing-keys"], serde_json::json!(["o.new", "audit"]));
        let o = origin("cc");
        assert_eq!(o.routing_key.as_deref(), Some("o.new"));
        assert!(env["properties"]["headers"].get("CC").is_some());
        assert!(is_dropped_header("CC", true) && is_dropped_header("BCC", false));
        let bindings = [binding("work", "o.new"), binding("audit", "audit")];
        let (route, _) = original_route(&o, Some(("direct", &bindings))).unwrap();
        assert_eq!(route.routing_key, "o.new");
        assert_eq!(route.exchange, "orders");
    }

    #[test]
    fn two_hops_resolve_to_the_most_recent_queue() {
        let env = fixture("two-hops");
        let h = &env["properties"]["headers"];
        assert_eq!(h["x-first-death-queue"], "first");
        let o = origin("two-hops");
        assert_eq!(o.queue.as_deref(), Some("second"));
        assert_eq!(o.exchange.as_deref(), Some("hop"));
        assert_eq!(o.deaths, 2);
    }

    #[test]
    fn a_default_exchange_dlx_keeps_the_original_route() {
        let env = fixture("default-dlx");
        assert_eq!(env["exchange"], "");
        assert_eq!(env["routing_key"], "dlq");
        let o = origin("default-dlx");
        assert_eq!(o.queue.as_deref(), Some("direct-dl"));
        assert_eq!(o.exchange.as_deref(), Some("orders"));
        assert_eq!(o.routing_key.as_deref(), Some("o.direct"));
    }

    #[test]
    fn spring_headers_and_last_death_headers() {
        let o = origin("spring");
        assert_eq!(o.source, Source::Spring);
        assert_eq!(o.queue, None);
        let (route, _) = original_route(&o, None).unwrap();
        assert_eq!(route.exchange, "orders");
        assert_eq!(route.routing_key, "o.new");
        // 3.13+ headers (not set by 3.10): used when x-death is absent, e.g. stripped.
        let h = serde_json::json!({"x-last-death-queue": "q", "x-last-death-exchange": "e",
            "x-last-death-reason": "expired"});
        let o = resolve(Some(&h)).unwrap();
        assert_eq!(o.source, Source::XLastDeath);
        assert_eq!(o.queue.as_deref(), Some("q"));
        assert_eq!(original_route(&o, None).unwrap().0, Route::to_queue("q"));
        assert_eq!(resolve(Some(&serde_json::json!({"a": 1}))), None);
        assert_eq!(resolve(None), None);
    }

    #[test]
    fn original_route_reaches_the_queue_alone_or_falls_back() {
        let o = origin("rejected");
        let alone = [binding("work", "o.new"), binding("other", "o.old")];
        let (route, why) = original_route(&o, Some(("direct", &alone))).unwrap();
        assert_eq!(route.exchange, "orders");
        assert!(why.contains("alone"), "{why}");
        let shared = [binding("work", "o.new"), binding("audit", "o.new")];
        let (route, why) = original_route(&o, Some(("direct", &shared))).unwrap();
        assert_eq!(route, Route::to_queue("work"));
        assert!(why.contains("also reaches `audit`"), "{why}");
        let (route, _) = original_route(&o, Some(("fanout", &alone))).unwrap();
        assert_eq!(route, Route::to_queue("work"));
        let (route, why) = original_route(&o, Some(("headers", &alone))).unwrap();
        assert_eq!(route, Route::to_queue("work"));
        assert!(why.contains("headers"), "{why}");
        let (route, why) = original_route(&o, Some(("direct", &[]))).unwrap();
        assert_eq!(route, Route::to_queue("work"));
        assert!(why.contains("no longer reaches"), "{why}");
        let (_, why) = original_route(&o, None).unwrap();
        assert!(why.contains("no longer exists"), "{why}");
        let topic = [binding("work", "o.*")];
        assert_eq!(
            original_route(&o, Some(("topic", &topic)))
                .unwrap()
                .0
                .exchange,
            "orders"
        );
    }

    #[test]
    fn broker_owned_headers() {
        assert!(is_dropped_header("x-death", false));
        assert!(!is_dropped_header("x-death", true));
        assert!(is_dropped_header("x-first-death-queue", false));
        assert!(is_dropped_header("x-delivery-count", true));
        assert!(!is_dropped_header("x-original-exchange", false));
        assert!(!is_dropped_header("tenant", false));
    }
}
