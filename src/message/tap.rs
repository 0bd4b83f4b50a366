//! The tap: a private queue bound to an exchange, so `warren tap` sees what the exchange
//! routes without touching any application queue.

use anyhow::Result;
use lapin::options::{QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable};

use crate::broker::amqp;

/// The tap queue is bounded so a forgotten tap can't fill the broker's memory.
pub const TAP_MAX_LENGTH: i64 = 100_000;

/// Declare the tap's private queue and bind it; returns its server-given name.
pub async fn declare(
    channel: &lapin::Channel,
    exchange: &str,
    binding_key: &str,
) -> Result<String> {
    let mut arguments = FieldTable::default();
    arguments.insert(
        "x-max-length".into(),
        AMQPValue::LongLongInt(TAP_MAX_LENGTH),
    );
    let queue = amqp::bounded(
        amqp::OPERATION_TIMEOUT,
        channel.queue_declare(
            "".into(),
            QueueDeclareOptions {
                exclusive: true,
                auto_delete: true,
                durable: false,
                ..Default::default()
            },
            arguments,
        ),
    )
    .await
    .map_err(|e| amqp::operation_error("declaring the tap queue", &e))?;
    amqp::bounded(
        amqp::OPERATION_TIMEOUT,
        channel.queue_bind(
            queue.name().clone(),
            exchange.into(),
            binding_key.into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        ),
    )
    .await
    .map_err(|e| amqp::operation_error(&format!("binding to exchange `{exchange}`"), &e))?;
    crate::note!("warren: tapping exchange `{exchange}` with binding key `{binding_key}`");
    Ok(queue.name().to_string())
}
