//! Queue facts, in one place: what the management API says about a queue (its type,
//! arguments, policy and statistics), the delivery limit that follows (with the broker
//! version), the requeue guard built on it, and the exact depth by passive declare.

use anyhow::Result;

use super::api::Queue;
use super::http::{ManagementApi, api_path};
use crate::exit::Error;

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

/// The broker's major version (3 when it can't be read).
pub async fn broker_major(api: &ManagementApi) -> Result<u32> {
    Ok(super::api::Overview::read(api).await?.major().unwrap_or(3))
}

/// The queue's info; a missing queue is an error naming it, a missing vhost exit 9.
pub async fn get(api: &ManagementApi, vhost: &str, queue: &str) -> Result<Queue> {
    if let Some(info) = api.get_opt(&api_path(&["queues", vhost, queue])).await? {
        return Ok(info);
    }
    let vhost_exists = api
        .get_opt::<serde_json::Value>(&api_path(&["vhosts", vhost]))
        .await?
        .is_some();
    Err(if vhost_exists {
        Error::broker_refused(format!("queue `{queue}` not found in vhost `{vhost}`")).into()
    } else {
        Error::vhost_unavailable(format!(
            "vhost `{vhost}` does not exist or user `{}` has no access to it",
            api.user()
        ))
        .into()
    })
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

/// Where reading a queue and putting messages back counts against a quorum queue's
/// delivery limit, that is refused (exit 2) unless `force`: `action` says what would requeue
/// ("every peek", "a dry run, which reads and requeues every message,") and `flag` how to
/// go on. Returns the queue's info and its limit, if any.
pub async fn guard_requeue(
    api: &ManagementApi,
    vhost: &str,
    queue: &str,
    requeues: Option<(&str, &str)>,
    force: bool,
) -> Result<(Queue, Option<i64>)> {
    let info = get(api, vhost, queue).await?;
    let limit = delivery_limit(&info, broker_major(api).await?);
    if let (Some(limit), Some((action, flag)), false) = (limit, requeues, force) {
        return Err(Error::usage(format!(
            "`{queue}` is a quorum queue with a delivery limit of {limit}: {action} counts as a \
                 delivery, and messages past the limit are dropped or dead-lettered. Use --force \
                 to {flag} anyway"
        ))
        .into());
    }
    Ok((info, limit))
}

#[cfg(test)]
mod tests {
    use super::*;

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
