//! `warren doctor QUEUE`: why a queue grows or is stuck, from two samples a window apart;
//! `warren doctor [--all-vhosts] --top N`: the worst queues of a vhost (or all), doctored.

use std::time::{Duration, Instant};

use anyhow::Result;

use crate::broker::api::Overview;
use crate::broker::http::ManagementApi;
use crate::broker::settings::{self, Settings};
use crate::cli::Global;
use crate::doctor::{self, Report, Sample, TopReport};
use crate::exit::Error;
use crate::output;

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  warren doctor orders                      # why is `orders` growing or stuck?
  warren doctor orders --vhost shop --window 10s
  warren doctor orders -o json | jq '.findings[].id'
  warren doctor --top 5                     # the 5 worst queues of the vhost, doctored
  warren doctor --all-vhosts --top 10

doctor reads twice, --window apart, because the management API's counters lag: the depth
comes from a passive declare at both ends, the rates from the counters' growth (or, when
the API did not refresh them within a short window, from the broker's own rates). It reads
only: nothing is consumed, peeked or changed.

Diagnoses: no-consumers, unacked-stuck, consumers-saturated, prefetch-starved,
redelivery-loop, single-active-consumer, broker-throttling, unavailable, length-limit,
expiring, polling, auto-ack, routing, stream. Each gives the numbers it read, a fix and the
next command; a signal that can't be read is \"not checked\" with the reason, never ok.

--top reads every queue twice in the cheap totals form half a window apart, ranks them by
growth, then by unacked messages held, then by messages waiting without a consumer, and
doctors the worst N over the other half of the window.

Exit codes: 0 no problem (warnings allowed), 3 a problem found, 6-10 as every command.")]
pub struct Args {
    /// The queue, in the vhost of --vhost or the URI.
    #[arg(value_name = "QUEUE", required_unless_present_any = ["top", "all_vhosts"],
          value_parser = crate::flags::short_string)]
    pub queue: Option<String>,

    /// Time between the two samples (1s to 1m).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = crate::flags::sample_window)]
    pub window: Duration,

    /// Rank the vhost's queues and doctor the worst N (5 with --all-vhosts alone).
    #[arg(long, value_name = "N", conflicts_with = "queue", value_parser = clap::value_parser!(u64).range(1..=100))]
    pub top: Option<u64>,

    /// With --top: every virtual host instead of the one of --vhost / the URI.
    #[arg(long, conflicts_with = "queue")]
    pub all_vhosts: bool,
}

pub async fn run(global: &Global, args: &Args) -> Result<()> {
    let settings = settings::load(&global.connection.flags())?;
    let api = ManagementApi::new(&settings)?;
    let overview: Overview = api.get("/api/overview").await?;
    let version = overview.rabbitmq_version.clone();
    match &args.queue {
        Some(queue) => {
            api.require_vhost(&settings.vhost).await?;
            let report = one(&api, &settings, queue, &version, args.window).await?;
            output::print(global.output, &report)?;
            verdict(
                report.has_problem(),
                &format!("queue `{queue}` has a problem"),
            )
        }
        None => {
            let top = args.top.unwrap_or(5) as usize;
            let vhost = (!args.all_vhosts).then_some(settings.vhost.as_str());
            if let Some(v) = vhost {
                api.require_vhost(v).await?;
            }
            let report = worst(&api, &settings, vhost, top, &version, args.window).await?;
            output::print(global.output, &report)?;
            verdict(report.has_problem(), "a queue has a problem")
        }
    }
}

fn verdict(problem: bool, what: &str) -> Result<()> {
    if problem {
        Err(Error::findings_or_drift(what.to_string()).into())
    } else {
        Ok(())
    }
}

/// Wait `span`, or fail with exit 130 on Ctrl-C (nothing to undo: doctor only reads).
async fn wait(span: Duration) -> Result<()> {
    tokio::select! {
        _ = tokio::time::sleep(span) => Ok(()),
        _ = crate::interrupt::ctrl_c() => Err(Error::interrupted("interrupted; nothing was changed").into()),
    }
}

async fn one(
    api: &ManagementApi,
    settings: &Settings,
    queue: &str,
    version: &str,
    window: Duration,
) -> Result<Report> {
    let session = crate::broker::amqp::connect(settings).await?;
    let vhost = settings.vhost.as_str();
    let first = Instant::now();
    let before = doctor::take(api, Some(&session.connection), vhost, queue, version).await?;
    wait(window.saturating_sub(first.elapsed())).await?;
    let second = Instant::now();
    let after = doctor::take(api, Some(&session.connection), vhost, queue, version).await?;
    session.close().await;
    Ok(Report::new(
        &before,
        &after,
        second.duration_since(first).as_secs_f64(),
    ))
}

async fn worst(
    api: &ManagementApi,
    settings: &Settings,
    vhost: Option<&str>,
    top: usize,
    version: &str,
    window: Duration,
) -> Result<TopReport> {
    let half = window / 2;
    let first = Instant::now();
    let before = doctor::sample::totals(api, vhost).await?;
    wait(half.saturating_sub(first.elapsed())).await?;
    let after = doctor::sample::totals(api, vhost).await?;
    let ranked = doctor::rank(&before, &after, top);

    // One AMQP connection per vhost among the worst, for their passive declares.
    let mut vhosts: Vec<&str> = ranked.iter().map(|r| r.vhost.as_str()).collect();
    vhosts.sort();
    vhosts.dedup();
    let sessions = futures_util::future::join_all(
        vhosts
            .iter()
            .map(|v| crate::broker::amqp::session_on(settings, v)),
    )
    .await;
    let connection = |v: &str| {
        let i = vhosts.iter().position(|x| *x == v)?;
        sessions[i].as_ref().ok().map(|s| &s.connection)
    };
    let take_all = || {
        futures_util::future::join_all(
            ranked
                .iter()
                .map(|r| doctor::take(api, connection(&r.vhost), &r.vhost, &r.queue, version)),
        )
    };
    let second = Instant::now();
    let firsts: Vec<Result<Sample>> = take_all().await;
    wait(half.saturating_sub(second.elapsed())).await?;
    let seconds_at = Instant::now();
    let lasts: Vec<Result<Sample>> = take_all().await;
    let span = seconds_at.duration_since(second).as_secs_f64();
    for s in sessions.iter().flatten() {
        s.close().await;
    }
    let mut reports = Vec::new();
    for (b, a) in firsts.into_iter().zip(lasts) {
        // A queue deleted in between is left out; any other failure is the command's.
        match (b, a) {
            (Ok(b), Ok(a)) => reports.push(Report::new(&b, &a, span)),
            (Err(e), _) | (_, Err(e)) if is_missing(&e) => {}
            (Err(e), _) | (_, Err(e)) => return Err(e),
        }
    }
    Ok(TopReport {
        queues: after.len(),
        window: window.as_secs_f64(),
        ranked,
        reports,
    })
}

fn is_missing(err: &anyhow::Error) -> bool {
    crate::exit::error_of(err).is_some_and(|e| e.detail().reason.contains("not found"))
}
