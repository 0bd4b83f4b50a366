//! The ceiling for warren's message benchmarks: a bare lapin client, built with the project's
//! own lapin, doing the least the same work can take.
//!
//! - `publish`: COUNT persistent messages of SIZE bytes to the default exchange with routing
//!   key QUEUE, with publisher confirms and at most WINDOW unconfirmed, and `mandatory` (an
//!   unroutable message comes back rather than being confirmed and dropped), as `warren
//!   publish`: the flag costs the broker 5-12% of its publishing rate on bench/messages.sh.
//! - `consume`: COUNT messages from QUEUE with prefetch PREFETCH, acked with `multiple` every
//!   PREFETCH/2 messages, as `warren consume` acks; the bodies are dropped, nothing is written.
//! - `replay`: COUNT messages from QUEUE (a DLQ), each published as it is (body and
//!   properties, headers included) to the default exchange with routing key TARGET on a
//!   second channel with confirms and `mandatory`, at most WINDOW unconfirmed, and acked in the DLQ once
//!   confirmed, with `multiple` every WINDOW/4, as `warren replay` does; prefetch 3 x WINDOW.
//!   No x-death reading, no routing, no marks: the least a replay can do.
//!
//! Usage: lapin_ceiling publish|consume AMQP_URI PASSWORD_FILE QUEUE COUNT [SIZE|PREFETCH] [WINDOW]
//!        lapin_ceiling replay AMQP_URI PASSWORD_FILE QUEUE COUNT TARGET [WINDOW]
//! (AMQP_URI without a password; the password is read from PASSWORD_FILE.)
//! Prints one line: `<mode> <count> <seconds> <msg/s>`; the bench times the whole process.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::Instant;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Connection, ConnectionProperties};

type Failure = Box<dyn std::error::Error>;

/// Every copy is published `mandatory`, as warren publishes: the same work for the broker.
/// (A message that does come back would still be counted here: the benches route every one.)
const MANDATORY: BasicPublishOptions = BasicPublishOptions {
    mandatory: true,
    immediate: false,
};

fn arg(args: &[String], i: usize, default: Option<u64>) -> Result<u64, Failure> {
    match (args.get(i), default) {
        (Some(v), _) => Ok(v.parse()?),
        (None, Some(d)) => Ok(d),
        (None, None) => Err("missing argument (see the usage in bench/lapin_ceiling.rs)".into()),
    }
}

/// Consume `queue` with `prefetch` and manual acks.
async fn consume(
    channel: &lapin::Channel,
    queue: &str,
    prefetch: u16,
) -> lapin::Result<lapin::Consumer> {
    channel
        .basic_qos(prefetch, BasicQosOptions::default())
        .await?;
    channel
        .basic_consume(
            queue.into(),
            "".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(mode), Some(uri), Some(password_file), Some(queue)) =
        (args.get(1), args.get(2), args.get(3), args.get(4))
    else {
        return Err("usage: lapin_ceiling publish|consume AMQP_URI PASSWORD_FILE QUEUE COUNT [SIZE|PREFETCH] [WINDOW]".into());
    };
    let count = arg(&args, 5, None)?;
    let password = std::fs::read_to_string(password_file)?;
    let mut uri = url::Url::parse(uri)?;
    uri.set_password(Some(password.trim()))
        .map_err(|()| "AMQP_URI has no host")?;
    let connection = Connection::connect(uri.as_str(), ConnectionProperties::default()).await?;
    let channel = connection.create_channel().await?;
    let started = Instant::now();
    match mode.as_str() {
        "publish" => {
            let size = usize::try_from(arg(&args, 6, Some(1024))?)?;
            let window = usize::try_from(arg(&args, 7, Some(1000))?)?;
            channel
                .confirm_select(ConfirmSelectOptions::default())
                .await?;
            let body = vec![b'x'; size];
            let properties = BasicProperties::default().with_delivery_mode(2);
            // Each message's publish and confirm is one future, polled once as it is made so
            // its frames are queued at once (awaiting basic_publish before the next message
            // would wait for every write); at most `window` are unconfirmed.
            let mut outstanding = FuturesUnordered::new();
            for _ in 0..count {
                while outstanding.len() >= window {
                    outstanding.next().await.ok_or("empty window")??;
                }
                let channel = channel.clone();
                let (body, properties, queue) = (body.clone(), properties.clone(), queue.clone());
                let mut one: Pin<Box<dyn Future<Output = lapin::Result<()>>>> =
                    Box::pin(async move {
                        channel
                            .basic_publish(
                                "".into(),
                                queue.as_str().into(),
                                MANDATORY,
                                &body,
                                properties,
                            )
                            .await?
                            .await?;
                        Ok(())
                    });
                match std::future::poll_fn(|cx| Poll::Ready(one.as_mut().poll(cx))).await {
                    Poll::Ready(done) => done?,
                    Poll::Pending => outstanding.push(one),
                }
            }
            while let Some(done) = outstanding.next().await {
                done?;
            }
        }
        "consume" => {
            let prefetch = u16::try_from(arg(&args, 6, Some(1000))?)?;
            let batch = u64::from(prefetch / 2).max(1);
            let mut consumer = consume(&channel, queue, prefetch).await?;
            let mut got = 0;
            while got < count {
                let delivery = consumer
                    .next()
                    .await
                    .ok_or("the consumer was cancelled")??;
                got += 1;
                if got % batch == 0 || got == count {
                    channel
                        .basic_ack(delivery.delivery_tag, BasicAckOptions { multiple: true })
                        .await?;
                }
            }
        }
        "replay" => {
            let target = args.get(6).ok_or("replay needs TARGET")?.clone();
            let window = usize::try_from(arg(&args, 7, Some(1000))?)?;
            let ack_batch = (window / 4).max(1);
            let publisher = connection.create_channel().await?;
            publisher
                .confirm_select(ConfirmSelectOptions::default())
                .await?;
            let prefetch = u16::try_from(window * 3).unwrap_or(u16::MAX);
            let mut consumer = consume(&channel, queue, prefetch).await?;
            // Each copy's publish and confirm is one future giving its delivery tag back.
            type Copy = Pin<Box<dyn Future<Output = lapin::Result<u64>>>>;
            let mut outstanding: FuturesUnordered<Copy> = FuturesUnordered::new();
            // Tags in delivery order, each with whether its copy is confirmed: the acked
            // prefix is popped and acked with `multiple`.
            let mut order: std::collections::VecDeque<(u64, bool)> = Default::default();
            let (mut got, mut acked, mut ready) = (0u64, 0u64, 0u64);
            let mut ack_to = None;
            let confirmed = |tag: u64, order: &mut std::collections::VecDeque<(u64, bool)>| {
                if let Some(entry) = order.iter_mut().find(|(t, _)| *t == tag) {
                    entry.1 = true;
                }
            };
            while acked < count {
                let window_open = outstanding.len() < window && got < count;
                tokio::select! {
                    Some(done) = outstanding.next(), if !outstanding.is_empty() => {
                        confirmed(done?, &mut order);
                    }
                    delivery = consumer.next(), if window_open => {
                        let delivery = delivery.ok_or("the consumer was cancelled")??;
                        got += 1;
                        order.push_back((delivery.delivery_tag, false));
                        let publisher = publisher.clone();
                        let target = target.clone();
                        let tag = delivery.delivery_tag;
                        let mut one: Copy = Box::pin(async move {
                            publisher
                                .basic_publish(
                                    "".into(),
                                    target.as_str().into(),
                                    MANDATORY,
                                    &delivery.data,
                                    delivery.properties,
                                )
                                .await?
                                .await?;
                            Ok(tag)
                        });
                        match std::future::poll_fn(|cx| Poll::Ready(one.as_mut().poll(cx))).await {
                            Poll::Ready(done) => confirmed(done?, &mut order),
                            Poll::Pending => outstanding.push(one),
                        }
                    }
                }
                // The confirmed prefix of the DLQ's deliveries is acked, `multiple`, in batches.
                while order.front().is_some_and(|(_, done)| *done) {
                    ack_to = order.pop_front().map(|(t, _)| t);
                    ready += 1;
                }
                if let Some(top) = ack_to
                    && ready > 0
                    && (ready >= ack_batch as u64 || outstanding.is_empty())
                {
                    channel
                        .basic_ack(top, BasicAckOptions { multiple: true })
                        .await?;
                    acked += ready;
                    ready = 0;
                }
            }
        }
        other => return Err(format!("unknown mode `{other}`: publish, consume or replay").into()),
    }
    let seconds = started.elapsed().as_secs_f64();
    println!("{mode} {count} {seconds:.3} {:.0}", count as f64 / seconds);
    // The count is measured and printed: a close refused while the broker still winds the
    // channels down (seen in replay mode) changes nothing in it.
    let _ = connection.close(200, "done".into()).await;
    Ok(())
}
