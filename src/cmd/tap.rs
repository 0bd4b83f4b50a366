//! `warren tap EXCHANGE`: watch what flows through an exchange without touching other
//! consumers, through a private queue bound to it that disappears with the connection.

use anyhow::Result;
use lapin::options::{QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable};

use crate::broker::{amqp, settings};
use crate::cli::Global;
use crate::cmd::consume::{ReadArgs, consume_and_report};
use crate::message::consume::AckMode;
use crate::message::sink::Format;

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  warren tap orders                              # everything through a topic exchange (#)
  warren tap orders --binding-key 'order.*.eu' -n 20 --format pretty
  warren tap events --binding-key '' --idle-timeout 30 > traffic.jsonl

The tap queue is exclusive and auto-delete: it holds copies only, bounded to 100,000 messages
(the oldest are dropped beyond that, and the broker says so in the queue's stats), and it
vanishes when warren exits. Other consumers see every message as before.")]
pub struct Args {
    /// The exchange to watch.
    #[arg(value_parser = crate::flags::short_string)]
    pub exchange: String,

    /// Binding key: `#` sees everything on a topic exchange; ignored by fanout exchanges.
    #[arg(long, short = 'b', value_name = "KEY", default_value = "#", value_parser = crate::flags::short_string)]
    pub binding_key: String,

    #[command(flatten)]
    pub read: ReadArgs,
}

pub async fn run(global: &Global, args: &Args) -> Result<()> {
    let settings = settings::load(&global.connection.flags())?;
    let session = amqp::connect(&settings).await?;
    let channel = session.channel().await?;
    let mut arguments = FieldTable::default();
    // Bound the tap so a forgotten tap can't fill the broker's memory.
    arguments.insert("x-max-length".into(), AMQPValue::LongLongInt(100_000));
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
            args.exchange.as_str().into(),
            args.binding_key.as_str().into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        ),
    )
    .await
    .map_err(|e| amqp::operation_error(&format!("binding to exchange `{}`", args.exchange), &e))?;
    crate::note!(
        "warren: tapping exchange `{}` with binding key `{}`",
        args.exchange,
        args.binding_key
    );
    let options = args.read.options(1000, AckMode::Ack);
    consume_and_report(
        global,
        &channel,
        queue.name().as_str(),
        &args.read,
        &options,
        Format::Jsonl,
    )
    .await?;
    amqp::close_channel(&channel).await;
    session.close().await;
    Ok(())
}
