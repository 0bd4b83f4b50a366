//! Queue facts, in one place: what the management API says about a queue (its type,
//! arguments, policy and statistics), the delivery limit that follows (with the broker
//! version), the requeue guard built on it, and the exact depth by passive declare.

use anyhow::Result;

use super::api::Queue;
use super::http::{ManagementApi, api_path};
use crate::exit::Error;
use crate::output::UNKNOWN_NUMBER;

/// The delivery limit that applies to a queue, if any: the argument, the policy's, or the
/// 4.x default of 20 for quorum queues.
pub fn delivery_limit(queue: &Queue, broker_major: u32) -> Option<i64> {
    if queue.kind != "quorum" {
        return None;
    }
    queue
        .setting("delivery-limit")
        .and_then(serde_json::Value::as_i64)
        .or((broker_major >= 4).then_some(20))
        .filter(|limit| *limit >= 0)
}

/// The queue's info; a missing queue is an error naming it, a missing vhost exit 9.
pub async fn get(api: &ManagementApi, vhost: &str, queue: &str) -> Result<Queue> {
    if let Some(info) = api
        .get_opt::<serde_json::Value>(&api_path(&["queues", vhost, queue]))
        .await?
    {
        return super::api::tolerant(info);
    }
    api.require_vhost(vhost).await?;
    Err(Error::broker_refused(format!("queue `{queue}` not found in vhost `{vhost}`")).into())
}

/// Messages ready in `queue` and its consumers, as the queue itself answers a passive
/// declare (exact, unlike the management API's statistics, which lag). The one depth helper.
pub async fn depth(connection: &lapin::Connection, queue: &str) -> Result<(u64, u64)> {
    passive_declare(connection, queue)
        .await?
        .map_err(|e| super::amqp::operation_error(&format!("queue `{queue}`"), &e).into())
}

/// [`depth`], or `None` when there is no such queue.
pub async fn depth_if_exists(
    connection: &lapin::Connection,
    queue: &str,
) -> Result<Option<(u64, u64)>> {
    match passive_declare(connection, queue).await? {
        Ok(depth) => Ok(Some(depth)),
        Err(e) if super::amqp::is_not_found(&e) => Ok(None),
        Err(e) => Err(super::amqp::operation_error(&format!("queue `{queue}`"), &e).into()),
    }
}

/// A passive declare on its own channel: the outer error is the channel failing to open,
/// the inner one the broker's answer.
async fn passive_declare(
    connection: &lapin::Connection,
    queue: &str,
) -> Result<lapin::Result<(u64, u64)>> {
    use super::amqp::{OPERATION_TIMEOUT, bounded, close_channel, open_channel};
    let channel = open_channel(connection).await?;
    let answer = bounded(
        OPERATION_TIMEOUT,
        channel.queue_declare(
            queue.into(),
            lapin::options::QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            lapin::types::FieldTable::default(),
        ),
    )
    .await
    .map(|q| (u64::from(q.message_count()), u64::from(q.consumer_count())));
    close_channel(&channel).await;
    Ok(answer)
}

/// What deleting or purging one queue would lose, counted at the moment of acting. The
/// one rule every destructive command uses (delete queue and vhost, purge, topology prune and
/// replace): ready messages as the queue itself answers a passive declare (exact, where the
/// management API's statistics lag by seconds), plus the unacknowledged ones that only the
/// API reports; never less than the API's own total. A count that can't be read is unknown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AtRisk {
    /// Ready and unacknowledged messages; `None`: unknown (see `unknown_because`).
    pub messages: Option<u64>,
    /// Ready messages, as the queue answered.
    pub ready: Option<u64>,
    pub consumers: Option<u64>,
    /// Why `messages` is unknown.
    pub unknown_because: Option<String>,
    /// The queue and the API's unacknowledged count say nothing is held, but the API's
    /// total says something is: its statistics lag a purge or a consume (by up to two
    /// 5 s intervals: the queue's emission, then the collector's), or a consumer took the
    /// messages since the API's unacknowledged count was taken.
    api_ahead: bool,
}

impl AtRisk {
    /// The rule, from the API's view of the queue and the queue's answer to a passive
    /// declare (ready, consumers), or why there is none.
    pub fn judge(api: &Queue, declared: std::result::Result<(u64, u64), String>) -> AtRisk {
        match declared {
            Err(why) => AtRisk {
                messages: None,
                ready: None,
                consumers: api.consumers,
                unknown_because: Some(why),
                api_ahead: false,
            },
            Ok((ready, consumers)) => {
                let consumers = Some(api.consumers.unwrap_or(0).max(consumers));
                // Unacknowledged messages only the API reports; without its count they are
                // known to be none only when nothing consumes the queue.
                let unacked = match (api.messages_unacknowledged, consumers) {
                    (Some(n), _) => Some(n),
                    (None, Some(0)) => Some(0),
                    (None, _) => None,
                };
                let counted = unacked.map(|u| ready + u);
                let api_ahead = counted == Some(0) && api.messages.is_some_and(|a| a > 0);
                let messages = counted.map(|c| c.max(api.messages.unwrap_or(0)));
                AtRisk {
                    messages,
                    ready: Some(ready),
                    consumers,
                    api_ahead,
                    unknown_because: messages.is_none().then(|| {
                        "it has consumers, and the management API does not say how many \
                         messages they hold unacknowledged"
                            .to_string()
                    }),
                }
            }
        }
    }

    /// `messages`, or `unknown` with the reason, as a refusal or a table says it.
    pub fn describe(&self) -> String {
        match (self.messages, &self.unknown_because) {
            (Some(n), _) => format!("{n} message(s)"),
            (None, Some(why)) => format!("{UNKNOWN_NUMBER} messages ({why})"),
            (None, None) => format!("{UNKNOWN_NUMBER} messages"),
        }
    }
}

/// How long to wait for the management API's statistics of a queue to come or to catch up:
/// the queue emits them every 5 s by default, and the API's collector takes them in on its
/// own 5 s timer, so a change can take 10 s to show (seen on 4.3.6: over 6 s after a purge).
const STATS_WAIT: std::time::Duration = std::time::Duration::from_secs(11);

/// The queue's own (ready, consumers), by a passive declare, or why it can't be read.
async fn declared_depth(
    session: &std::result::Result<super::amqp::Session, String>,
    queue: &str,
) -> std::result::Result<(u64, u64), String> {
    match session {
        Err(why) => Err(format!("its count can't be read over AMQP: {why}")),
        Ok(s) => match passive_declare(&s.connection, queue).await {
            Err(e) => Err(format!("its count can't be read over AMQP: {e:#}")),
            Ok(Ok(depth)) => Ok(depth),
            Ok(Err(e)) => Err(match e.kind() {
                lapin::ErrorKind::ProtocolError(p) if p.get_id() == 405 => {
                    "it is exclusive to another connection, so its count can't be read".into()
                }
                _ => format!(
                    "the queue did not answer a passive declare: {}",
                    super::amqp::describe(&e)
                ),
            }),
        },
    }
}

/// [`AtRisk`] for one queue of `vhost`, whose API view is `stats`: `session` is an AMQP
/// session on the vhost ([`super::amqp::session_on`]), or why there is none. While the
/// API's view can't be trusted, the queue and the API are read again, every 500 ms and at
/// most `STATS_WAIT`: a queue with consumers whose statistics the API has not emitted yet
/// (a new queue), or a queue that looks empty while the API's total says it is not (it
/// lags a purge or a consume). Past that, the count stays unknown or the API's.
pub async fn at_risk(
    session: &std::result::Result<super::amqp::Session, String>,
    api: &ManagementApi,
    vhost: &str,
    stats: &Queue,
) -> Result<AtRisk> {
    let mut declared = declared_depth(session, &stats.name).await;
    let mut risk = AtRisk::judge(stats, declared.clone());
    let started = std::time::Instant::now();
    let path = format!(
        "{}?columns=name,messages,messages_unacknowledged,consumers",
        api_path(&["queues", vhost, &stats.name])
    );
    while (risk.messages.is_none() || risk.api_ahead)
        && declared.is_ok()
        && started.elapsed() < STATS_WAIT
    {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let Some(now) = api.get_opt::<Queue>(&path).await? else {
            break;
        };
        declared = declared_depth(session, &stats.name).await;
        risk = AtRisk::judge(&now, declared.clone());
    }
    Ok(risk)
}

/// The refusal for what is at risk, unless `allow` (--allow-message-loss): `None` when nothing
/// would be lost.
pub fn loss_refusal(risk: &AtRisk, allow: bool) -> Option<String> {
    if allow || risk.messages == Some(0) {
        return None;
    }
    Some(format!(
        "{} would be lost: add --allow-message-loss to go ahead anyway",
        risk.describe()
    ))
}

/// Whether warren's requeue (`basic.nack` with requeue) counts against a quorum queue's
/// delivery limit: up to RabbitMQ 4.2 every return does; 4.3 counts `basic.reject` only
/// (rabbitmq-server #15387), so a peek or a dry run costs a message nothing there.
pub fn nack_counts_a_delivery(broker: Option<(u32, u32)>) -> bool {
    broker.is_none_or(|v| v < (4, 3))
}

/// Where reading a queue and putting messages back counts against a quorum queue's
/// delivery limit, that is refused (exit 2) unless `force`: `action` says what would requeue
/// ("every peek", "a dry run, which reads and requeues every message,") and `flag` how to
/// go on. Returns the queue's info, the limit its requeues count against, if any (none
/// on RabbitMQ 4.3, where a nack doesn't count), and whether a requeue counts a delivery
/// (`x-delivery-count`) at all: a quorum queue's does, before 4.3.
pub async fn guard_requeue(
    api: &ManagementApi,
    vhost: &str,
    queue: &str,
    requeues: Option<(&str, &str)>,
    force: bool,
) -> Result<(Queue, Option<i64>, bool)> {
    let info = get(api, vhost, queue).await?;
    let broker = super::api::Overview::read(api).await?.major_minor();
    let limit = delivery_limit(&info, broker.map_or(3, |(major, _)| major))
        .filter(|_| nack_counts_a_delivery(broker));
    if let (Some(limit), Some((action, flag)), false) = (limit, requeues, force) {
        return Err(Error::usage(format!(
            "`{queue}` is a quorum queue with a delivery limit of {limit}: {action} counts as a \
                 delivery, and messages past the limit are dropped or dead-lettered. Use --force \
                 to {flag} anyway"
        ))
        .into());
    }
    let counts = info.kind == "quorum" && nack_counts_a_delivery(broker);
    Ok((info, limit, counts))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(messages: Option<u64>, unacked: Option<u64>, consumers: Option<u64>) -> Queue {
        Queue {
            messages,
            messages_unacknowledged: unacked,
            consumers,
            ..Default::default()
        }
    }

    #[test]
    fn at_risk_counts_ready_from_the_queue_and_unacked_from_the_api() {
        // The API still says 0 while the queue holds 10: the queue's answer wins.
        let r = AtRisk::judge(&stats(Some(0), Some(0), Some(0)), Ok((10, 0)));
        assert_eq!(r.messages, Some(10));
        // Unacknowledged messages add to the ready ones.
        let r = AtRisk::judge(&stats(Some(5), Some(3), Some(1)), Ok((2, 1)));
        assert_eq!(r.messages, Some(5));
        let r = AtRisk::judge(&stats(Some(1), Some(3), Some(1)), Ok((4, 1)));
        assert_eq!(r.messages, Some(7));
        assert!(!r.api_ahead);
        // The API still says 5 after a purge: the larger count, and a sign to read again.
        let r = AtRisk::judge(&stats(Some(5), Some(0), Some(0)), Ok((0, 0)));
        assert_eq!(r.messages, Some(5));
        assert!(r.api_ahead);
        // Where the queue holds messages anyway, reading again would change nothing.
        let r = AtRisk::judge(&stats(Some(5), Some(0), Some(0)), Ok((2, 0)));
        assert_eq!(r.messages, Some(5));
        assert!(!r.api_ahead);
        // No statistics, no consumer: nothing can be unacked.
        let r = AtRisk::judge(&stats(None, None, None), Ok((4, 0)));
        assert_eq!(r.messages, Some(4));
        // No statistics and a consumer: unknown.
        let r = AtRisk::judge(&stats(None, None, None), Ok((4, 2)));
        assert_eq!(r.messages, None);
        assert!(r.describe().contains("unknown"), "{}", r.describe());
        // No answer from the queue: unknown whatever the API says, never its count.
        let r = AtRisk::judge(&stats(Some(0), Some(0), Some(0)), Err("no AMQP".into()));
        assert_eq!(r.messages, None);
        assert!(r.describe().contains("no AMQP"));
    }

    #[test]
    fn loss_needs_a_known_zero_or_the_flag() {
        let zero = AtRisk::judge(&stats(Some(0), Some(0), Some(0)), Ok((0, 0)));
        assert_eq!(loss_refusal(&zero, false), None);
        let three = AtRisk::judge(&stats(Some(0), Some(0), Some(0)), Ok((3, 0)));
        assert!(loss_refusal(&three, false).unwrap().contains("3 message"));
        let unknown = AtRisk::judge(&stats(None, None, None), Err("x".into()));
        assert!(loss_refusal(&unknown, false).unwrap().contains("unknown"));
        assert_eq!(loss_refusal(&unknown, true), None);
    }

    fn q(kind: &str, args: serde_json::Value, policy: serde_json::Value) -> Queue {
        Queue {
            kind: kind.into(),
            arguments: serde_json::from_value(args).unwrap(),
            effective_policy_definition: policy,
            ..Default::default()
        }
    }

    #[test]
    fn delivery_limits_by_version() {
        let none = serde_json::json!({});
        assert_eq!(
            delivery_limit(&q("classic", none.clone(), none.clone()), 4),
            None
        );
        assert_eq!(
            delivery_limit(&q("quorum", none.clone(), none.clone()), 3),
            None
        );
        assert_eq!(
            delivery_limit(&q("quorum", none.clone(), none.clone()), 4),
            Some(20)
        );
        assert_eq!(
            delivery_limit(
                &q(
                    "quorum",
                    serde_json::json!({"x-delivery-limit": 5}),
                    none.clone()
                ),
                3
            ),
            Some(5)
        );
        assert_eq!(
            delivery_limit(
                &q(
                    "quorum",
                    none.clone(),
                    serde_json::json!({"delivery-limit": 7})
                ),
                3
            ),
            Some(7)
        );
        // 4.x: -1 means unlimited.
        assert_eq!(
            delivery_limit(
                &q("quorum", serde_json::json!({"x-delivery-limit": -1}), none),
                4
            ),
            None
        );
        // 3.10 reports an empty policy definition as [] rather than {}.
        assert_eq!(
            delivery_limit(
                &q("quorum", serde_json::json!({}), serde_json::json!([])),
                3
            ),
            None
        );
    }
}
