//! `warren peek QUEUE`: show messages and put them back. Peeking is a consume followed by a
//! requeue, so it says what that changes, and refuses where it could delete messages.

use anyhow::Result;
use serde::Deserialize;

use crate::broker::http::{ManagementApi, api_path};
use crate::broker::{amqp, settings};
use crate::cli::Global;
use crate::cmd::consume::{ReadArgs, consume_and_report};
use crate::exit::{Code, fail};
use crate::message::consume::AckMode;
use crate::message::sink::Format;

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  warren peek orders                       # the first 10 messages, readable
  warren peek orders -n 100 --format jsonl > sample.jsonl
  warren peek orders.quorum --force        # a quorum queue with a delivery limit

A peek consumes and then requeues: the messages come back marked redelivered, and a quorum
queue counts the delivery. On a quorum queue with a delivery limit, repeated peeks can make
the broker drop or dead-letter messages, so warren refuses there unless --force. RabbitMQ 4.x
gives every quorum queue a delivery limit (20) by default.")]
pub struct Args {
    /// The queue to look into.
    pub queue: String,

    #[command(flatten)]
    pub read: ReadArgs,

    /// Peek even where it counts against a delivery limit.
    #[arg(long)]
    pub force: bool,
}

/// The parts of `GET /api/queues/{vhost}/{name}` that decide whether a peek is safe.
#[derive(Deserialize, Default, Debug)]
#[serde(default)]
pub struct QueueInfo {
    #[serde(rename = "type")]
    pub kind: String,
    pub arguments: serde_json::Value,
    pub effective_policy_definition: serde_json::Value,
}

/// The delivery limit that applies to a queue, if any: the argument, the policy's, or the
/// 4.x default of 20 for quorum queues.
pub fn delivery_limit(queue: &QueueInfo, broker_major: u32) -> Option<i64> {
    if queue.kind != "quorum" {
        return None;
    }
    let from = |v: &serde_json::Value, key: &str| v.get(key).and_then(serde_json::Value::as_i64);
    from(&queue.arguments, "x-delivery-limit")
        .or_else(|| from(&queue.effective_policy_definition, "delivery-limit"))
        .or((broker_major >= 4).then_some(20))
        .filter(|limit| *limit >= 0)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Overview {
    rabbitmq_version: String,
}

pub async fn run(global: &Global, args: &Args) -> Result<()> {
    let mut read = args.read.clone();
    if read.count.is_none() {
        read.count = Some(10);
    }
    let settings = settings::load(&global.connection)?;
    let api = ManagementApi::new(&settings)?;
    let queue: Option<QueueInfo> = api
        .get_opt(&api_path(&["queues", &settings.vhost, &args.queue]))
        .await?;
    let queue = queue.ok_or_else(|| {
        fail(
            Code::BrokerRefused,
            format!(
                "queue `{}` not found in vhost `{}`",
                args.queue, settings.vhost
            ),
        )
    })?;
    let overview: Overview = api.get("/api/overview").await?;
    let major = overview
        .rabbitmq_version
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(3);
    if let Some(limit) = delivery_limit(&queue, major) {
        if !args.force {
            return Err(fail(
                Code::Usage,
                format!(
                    "`{}` is a quorum queue with a delivery limit of {limit}: every peek counts as a \
                     delivery, and messages past the limit are dropped or dead-lettered. Use \
                     --force to peek anyway",
                    args.queue
                ),
            ));
        }
        eprintln!(
            "warren: warning: peeking counts against `{}`'s delivery limit of {limit}",
            args.queue
        );
    }
    eprintln!(
        "warren: note: peeked messages are requeued: they come back marked redelivered{}",
        if queue.kind == "quorum" {
            ", and the quorum queue counts the delivery (x-delivery-count)"
        } else {
            ""
        }
    );
    let session = amqp::connect(&settings).await?;
    let channel = session
        .connection
        .create_channel()
        .await
        .map_err(|e| fail(Code::BrokerRefused, format!("opening a channel: {e}")))?;
    let options = read.options(100, AckMode::Requeue);
    // A peek must not wait forever on a queue with fewer messages than asked for.
    let options = crate::message::consume::Options {
        idle_timeout: options
            .idle_timeout
            .or(Some(std::time::Duration::from_secs(1))),
        ..options
    };
    consume_and_report(
        global,
        &channel,
        &args.queue,
        &read,
        &options,
        Format::Pretty,
    )
    .await?;
    let _ = channel.close(200, "done".into()).await;
    session.close().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(kind: &str, args: serde_json::Value, policy: serde_json::Value) -> QueueInfo {
        QueueInfo {
            kind: kind.into(),
            arguments: args,
            effective_policy_definition: policy,
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
