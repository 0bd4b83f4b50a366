//! The tap: a private queue bound to an exchange, so `warren tap` sees what the exchange
//! routes without touching any application queue.

use anyhow::Result;
use lapin::options::{QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable};

use crate::broker::amqp;

/// The tap queue is bounded so a forgotten tap can't fill the broker's memory.
pub const TAP_MAX_LENGTH: i64 = 100_000;

/// What the tap queue is bound to: every exchange, with one binding key, and for headers
/// exchanges the binding's headers (`x-match` and `key=value` pairs).
#[derive(Debug, Clone, Copy)]
pub struct Binding<'a> {
    pub exchanges: &'a [String],
    pub binding_key: &'a str,
    pub headers: &'a [(String, String)],
    pub x_match: &'a str,
}

impl Binding<'_> {
    fn arguments(&self) -> FieldTable {
        let mut args = FieldTable::default();
        if !self.headers.is_empty() {
            args.insert("x-match".into(), AMQPValue::LongString(self.x_match.into()));
            for (k, v) in self.headers {
                args.insert(k.as_str().into(), AMQPValue::LongString(v.as_str().into()));
            }
        }
        args
    }
}

/// Declare the tap's private queue and bind it to every exchange; returns its server-given
/// name.
pub async fn declare(channel: &lapin::Channel, binding: Binding<'_>) -> Result<String> {
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
    for exchange in binding.exchanges {
        amqp::bounded(
            amqp::OPERATION_TIMEOUT,
            channel.queue_bind(
                queue.name().clone(),
                exchange.as_str().into(),
                binding.binding_key.into(),
                QueueBindOptions::default(),
                binding.arguments(),
            ),
        )
        .await
        .map_err(|e| amqp::operation_error(&format!("binding to exchange `{exchange}`"), &e))?;
        crate::note!(
            "tapping exchange `{exchange}` with binding key `{}`{}",
            binding.binding_key,
            if binding.headers.is_empty() {
                String::new()
            } else {
                format!(
                    " and headers (x-match {}) {:?}",
                    binding.x_match, binding.headers
                )
            }
        );
    }
    Ok(queue.name().to_string())
}
