//! The ceiling for warren's message benchmarks: a bare lapin client, built with the project's
//! own lapin, doing the least the same work can take.
//!
//! - `publish`: COUNT persistent messages of SIZE bytes to the default exchange with routing
//!   key QUEUE, with publisher confirms and at most WINDOW unconfirmed, as `warren publish`.
//! - `consume`: COUNT messages from QUEUE with prefetch PREFETCH, acked with `multiple` every
//!   PREFETCH/2 messages, as `warren consume` acks; the bodies are dropped, nothing is written.
//!
//! Usage: lapin_ceiling publish|consume AMQP_URI PASSWORD_FILE QUEUE COUNT [SIZE|PREFETCH] [WINDOW]
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

fn arg(args: &[String], i: usize, default: Option<u64>) -> Result<u64, Failure> {
    match (args.get(i), default) {
        (Some(v), _) => Ok(v.parse()?),
        (None, Some(d)) => Ok(d),
        (None, None) => Err("missing argument (see the usage in bench/lapin_ceiling.rs)".into()),
    }
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
                                BasicPublishOptions::default(),
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
            channel
                .basic_qos(prefetch, BasicQosOptions::default())
                .await?;
            let mut consumer = channel
                .basic_consume(
                    queue.as_str().into(),
                    "".into(),
                    BasicConsumeOptions::default(),
                    FieldTable::default(),
                )
                .await?;
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
        other => return Err(format!("unknown mode `{other}`: publish or consume").into()),
    }
    let seconds = started.elapsed().as_secs_f64();
    println!("{mode} {count} {seconds:.3} {:.0}", count as f64 / seconds);
    connection.close(200, "done".into()).await?;
    Ok(())
}
