//! Which queues are dead-letter queues: the queues other queues' dead-lettered messages reach,
//! through a dead-letter exchange (and routing key) or straight through the default exchange.
//! A DLQ is the end of the line and needs no DLX of its own, so `topology lint`'s
//! `no-dead-letter` advice and the audit's Q005 both exempt these queues. Pure.

use std::collections::HashSet;

use super::routing::{Kind, key_takes};

/// Where a queue, or a policy, sends its dead-lettered messages.
#[derive(Clone, Copy, Debug)]
pub struct Sender<'a> {
    pub vhost: &'a str,
    /// The dead-lettering queue; `None` for a policy (whichever queues it applies to).
    pub queue: Option<&'a str>,
    /// `""` is the default exchange.
    pub exchange: &'a str,
    /// `None`: messages keep their own routing keys, which can't be known here.
    pub routing_key: Option<&'a str>,
}

/// A binding from an exchange to a queue.
#[derive(Clone, Copy, Debug)]
pub struct QueueBinding<'a> {
    pub vhost: &'a str,
    pub exchange: &'a str,
    pub queue: &'a str,
    /// `None` when the binding's key is unknown.
    pub key: Option<&'a str>,
}

/// The `(vhost, queue)` pairs some sender's dead-lettered messages reach: through the
/// default exchange, the queue its routing key names; through another exchange, the queues
/// bound to it whose binding key takes the dead-letter routing key (direct: equal; topic: a
/// match; fanout, headers, a plugin's type or an unknown type: any binding, since the key
/// doesn't decide there). With no dead-letter routing key, any binding of the exchange
/// counts. A queue is never its own DLQ. `kind` gives an exchange's type when known.
pub fn dead_letter_queues<'a>(
    senders: &[Sender<'a>],
    bindings: &[QueueBinding<'a>],
    kind: impl Fn(&str, &str) -> Option<Kind>,
) -> HashSet<(&'a str, &'a str)> {
    let mut queues = HashSet::new();
    for s in senders {
        if s.exchange.is_empty() {
            if let Some(target) = s.routing_key.filter(|k| Some(*k) != s.queue) {
                queues.insert((s.vhost, target));
            }
            continue;
        }
        let kind = kind(s.vhost, s.exchange);
        let takes = |b: &QueueBinding| match (s.routing_key, b.key, &kind) {
            (Some(key), Some(bound), Some(kind)) => key_takes(kind, bound, key).unwrap_or(true),
            _ => true,
        };
        for b in bindings {
            if b.vhost == s.vhost
                && b.exchange == s.exchange
                && Some(b.queue) != s.queue
                && takes(b)
            {
                queues.insert((b.vhost, b.queue));
            }
        }
    }
    queues
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sender<'a>(queue: &'a str, exchange: &'a str, key: Option<&'a str>) -> Sender<'a> {
        Sender {
            vhost: "v",
            queue: Some(queue),
            exchange,
            routing_key: key,
        }
    }

    fn binding<'a>(exchange: &'a str, queue: &'a str, key: &'a str) -> QueueBinding<'a> {
        QueueBinding {
            vhost: "v",
            exchange,
            queue,
            key: Some(key),
        }
    }

    fn kinds(_: &str, x: &str) -> Option<Kind> {
        match x {
            "direct" => Some(Kind::Direct),
            "topic" => Some(Kind::Topic),
            "fanout" => Some(Kind::Fanout),
            _ => None,
        }
    }

    fn sorted(set: HashSet<(&str, &str)>) -> Vec<String> {
        let mut v: Vec<String> = set.into_iter().map(|(_, q)| q.to_string()).collect();
        v.sort();
        v
    }

    #[test]
    fn the_default_exchange_delivers_to_the_queue_its_key_names() {
        let found = dead_letter_queues(&[sender("retry", "", Some("parking"))], &[], kinds);
        assert_eq!(sorted(found), ["parking"]);
        // Without a key the messages keep their own: unknown, and nothing is exempted.
        assert!(dead_letter_queues(&[sender("retry", "", None)], &[], kinds).is_empty());
        // Dead-lettering to itself doesn't make a queue a DLQ.
        assert!(dead_letter_queues(&[sender("q", "", Some("q"))], &[], kinds).is_empty());
    }

    #[test]
    fn the_routing_key_decides_on_direct_and_topic_exchanges() {
        let bindings = [
            binding("direct", "dead", "dead"),
            binding("direct", "other", "other"),
            binding("topic", "all-dead", "dead.#"),
            binding("topic", "none", "live.*"),
            binding("fanout", "fan", "anything"),
            binding("unknown", "plugin", "x"),
        ];
        let senders = [
            sender("a", "direct", Some("dead")),
            sender("b", "topic", Some("dead.orders")),
            sender("c", "fanout", Some("dead")),
            sender("d", "unknown", Some("dead")),
        ];
        assert_eq!(
            sorted(dead_letter_queues(&senders, &bindings, kinds)),
            ["all-dead", "dead", "fan", "plugin"]
        );
        // No dead-letter key: the messages' own keys, so every binding of the DLX counts.
        assert_eq!(
            sorted(dead_letter_queues(
                &[sender("a", "direct", None)],
                &bindings,
                kinds
            )),
            ["dead", "other"]
        );
    }

    #[test]
    fn vhosts_are_kept_apart() {
        let b = QueueBinding {
            vhost: "w",
            exchange: "direct",
            queue: "dead",
            key: Some("dead"),
        };
        assert!(dead_letter_queues(&[sender("a", "direct", Some("dead"))], &[b], kinds).is_empty());
    }
}
