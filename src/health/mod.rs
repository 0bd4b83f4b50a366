//! `warren health`: fast checks of a running cluster, modelled on `rabbitmq-diagnostics`,
//! each reading one or two management API endpoints (or making one real connection) and
//! giving a verdict: ok, failed, skipped (the check does not apply, e.g. before 3.13), or
//! error (it could not be evaluated, which is never healthy).

use std::time::{Duration, Instant};

use anyhow::Result;
use reqwest::Method;
use serde::Serialize;

use crate::broker::api::{
    DeprecatedFeature, FeatureFlag, HealthCheck, Listener, MetadataStore, Node, Overview, Queue,
};
use crate::broker::http::{Auth, ManagementApi, Pages, RawResponse};
use crate::broker::settings::Settings;
use crate::broker::tls;
use crate::output::Render;

/// One check. The names follow `rabbitmq-diagnostics check_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    Running,
    Ready,
    MetadataStore,
    Alarms,
    LocalAlarms,
    Listeners,
    VirtualHosts,
    QuorumCritical,
    QuorumLeaders,
    Certificates,
    DeprecatedFeatures,
    FeatureFlags,
    Partitions,
}

impl Check {
    pub const ALL: [Check; 13] = [
        Check::Running,
        Check::Ready,
        Check::MetadataStore,
        Check::Alarms,
        Check::LocalAlarms,
        Check::Listeners,
        Check::VirtualHosts,
        Check::QuorumCritical,
        Check::QuorumLeaders,
        Check::Certificates,
        Check::DeprecatedFeatures,
        Check::FeatureFlags,
        Check::Partitions,
    ];

    /// What gates a rolling restart or an upgrade: every node up, no alarm, no partition, no
    /// quorum queue that one more stopped node would break or that has no leader, every vhost
    /// running, and every feature flag enabled with no deprecated feature in use.
    pub const PREFLIGHT: [Check; 8] = [
        Check::Running,
        Check::Alarms,
        Check::Partitions,
        Check::QuorumCritical,
        Check::QuorumLeaders,
        Check::VirtualHosts,
        Check::FeatureFlags,
        Check::DeprecatedFeatures,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Check::Running => "running",
            Check::Ready => "ready",
            Check::MetadataStore => "metadata-store",
            Check::Alarms => "alarms",
            Check::LocalAlarms => "local-alarms",
            Check::Listeners => "listeners",
            Check::VirtualHosts => "virtual-hosts",
            Check::QuorumCritical => "quorum-critical",
            Check::QuorumLeaders => "quorum-leaders",
            Check::Certificates => "certificates",
            Check::DeprecatedFeatures => "deprecated-features",
            Check::FeatureFlags => "feature-flags",
            Check::Partitions => "partitions",
        }
    }

    pub fn about(self) -> &'static str {
        match self {
            Check::Running => "every cluster node is running (/api/nodes)",
            Check::Ready => {
                "the node serving the API is in service, below its connection limit and \
                 serving clients (4.2 and later)"
            }
            Check::MetadataStore => {
                "the metadata store (Khepri or Mnesia) is initialized on the node serving the \
                 API (4.0.6 and later)"
            }
            Check::Alarms => "no memory or disk alarm anywhere in the cluster",
            Check::LocalAlarms => "no alarm on the node serving the API",
            Check::Listeners => {
                "every listener accepts a TCP connection, and each node has an AMQP listener"
            }
            Check::VirtualHosts => "every virtual host is running on every node",
            Check::QuorumCritical => {
                "no quorum queue has lost its majority or would lose it with one more node down"
            }
            Check::QuorumLeaders => "every quorum queue has an elected leader (4.1 and later)",
            Check::Certificates => {
                "the certificates TLS listeners present are valid beyond --within"
            }
            Check::DeprecatedFeatures => "no deprecated feature is in use (3.13 and later)",
            Check::FeatureFlags => "every stable feature flag is enabled (needed to upgrade)",
            Check::Partitions => {
                "no node reports a network partition (Mnesia; skipped where Khepri is the store)"
            }
        }
    }

    pub fn from_name(name: &str) -> Option<Check> {
        Check::ALL.into_iter().find(|c| c.name() == name)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Failed,
    /// The check does not apply here (no TLS listener; an endpoint older brokers lack).
    Skipped,
    /// The check could not be evaluated: never healthy.
    Error,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "FAILED",
            Status::Skipped => "skipped",
            Status::Error => "ERROR",
        }
    }
}

/// One check's verdict.
#[derive(Debug, Serialize)]
pub struct Outcome {
    pub check: Check,
    pub status: Status,
    pub detail: String,
    pub millis: u64,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub healthy: bool,
    /// The node that serves the management API, as it says.
    pub node: Option<String>,
    pub checks: Vec<Outcome>,
}

pub struct Options {
    /// A certificate that expires sooner than this fails `certificates`.
    pub within: Duration,
}

/// Run `checks` at once, each bounded by the settings' timeout (plus the time a TCP or TLS
/// connection may take). The overview is read first: a broker that can't be reached, or
/// refuses the credentials, is that error (its own exit code), not an unhealthy report.
pub async fn run(
    api: &ManagementApi,
    settings: &Settings,
    checks: &[Check],
    options: &Options,
) -> Result<Report> {
    let overview = Overview::read(api).await?;
    let deadline = settings.timeout * 3;
    let outcomes = futures_util::future::join_all(checks.iter().map(|&check| {
        let overview = &overview;
        async move {
            let started = Instant::now();
            let verdict =
                tokio::time::timeout(deadline, evaluate(check, api, settings, overview, options))
                    .await
                    .unwrap_or_else(|_| {
                        Verdict::error(format!("no answer within {}s", deadline.as_secs()))
                    });
            Outcome {
                check,
                status: verdict.status,
                detail: verdict.detail,
                millis: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            }
        }
    }))
    .await;
    Ok(Report {
        healthy: outcomes
            .iter()
            .all(|o| matches!(o.status, Status::Ok | Status::Skipped)),
        node: overview.node.clone(),
        checks: outcomes,
    })
}

struct Verdict {
    status: Status,
    detail: String,
}

impl Verdict {
    fn ok(detail: impl Into<String>) -> Self {
        Verdict {
            status: Status::Ok,
            detail: detail.into(),
        }
    }
    fn failed(detail: impl Into<String>) -> Self {
        Verdict {
            status: Status::Failed,
            detail: detail.into(),
        }
    }
    fn skipped(detail: impl Into<String>) -> Self {
        Verdict {
            status: Status::Skipped,
            detail: detail.into(),
        }
    }
    fn error(detail: impl Into<String>) -> Self {
        Verdict {
            status: Status::Error,
            detail: detail.into(),
        }
    }

    /// Ok when nothing is wrong, failed with every problem otherwise.
    fn from_problems(problems: Vec<String>, fine: impl Into<String>) -> Self {
        if problems.is_empty() {
            Verdict::ok(fine)
        } else {
            Verdict::failed(problems.join("; "))
        }
    }
}

async fn evaluate(
    check: Check,
    api: &ManagementApi,
    settings: &Settings,
    overview: &Overview,
    options: &Options,
) -> Verdict {
    let result = match check {
        Check::Running => running(api).await,
        Check::Ready => {
            broker_check_since(
                api,
                "ready-to-serve-clients",
                "4.2",
                "in service, below its connection limit, serving clients",
            )
            .await
        }
        Check::MetadataStore => metadata_store(api).await,
        Check::Alarms => broker_check(api, "alarms", "no alarms in the cluster").await,
        Check::LocalAlarms => broker_check(api, "local-alarms", "no alarms on this node").await,
        Check::Listeners => Ok(listeners(overview, settings.timeout).await),
        Check::VirtualHosts => {
            broker_check(api, "virtual-hosts", "every virtual host is running").await
        }
        Check::QuorumCritical => quorum_critical(api).await,
        Check::QuorumLeaders => {
            broker_check_since(
                api,
                "quorum-queues-without-elected-leaders/all-vhosts/",
                "4.1",
                "every quorum queue has a leader",
            )
            .await
        }
        Check::Certificates => Ok(certificates(overview, settings, options.within).await),
        Check::DeprecatedFeatures => deprecated_features(api).await,
        Check::FeatureFlags => feature_flags(api).await,
        Check::Partitions => partitions(api).await,
    };
    result.unwrap_or_else(|e| Verdict::error(format!("{e:#}")))
}

async fn running(api: &ManagementApi) -> Result<Verdict> {
    let nodes = Node::list(api).await?;
    let problems: Vec<String> = nodes
        .iter()
        .filter_map(|n| match n.running {
            Some(true) => None,
            Some(false) => Some(format!("node {} is not running", n.name)),
            None => Some(format!("node {} did not say whether it runs", n.name)),
        })
        .collect();
    Ok(Verdict::from_problems(
        problems,
        format!("{} node(s) running", nodes.len()),
    ))
}

/// A node reports its partitions with its statistics, a few seconds after it starts: until
/// then they are unknown, and asked again (up to `PARTITION_WAIT`) before that is the verdict.
const PARTITION_WAIT: Duration = Duration::from_secs(8);

async fn partitions(api: &ManagementApi) -> Result<Verdict> {
    // Partitions are Mnesia's: with Khepri (4.3's only store) nodes report none, ever.
    if MetadataStore::read(api).await? == MetadataStore::Khepri {
        return Ok(Verdict::skipped(
            "the metadata store is Khepri, which has no Mnesia partitions: a member cut off \
             from the majority shows in `running` and `quorum-critical`",
        ));
    }
    let started = Instant::now();
    let mut nodes = Node::list(api).await?;
    let unknown = |nodes: &[Node]| {
        nodes
            .iter()
            .any(|n| n.partitions.is_none() && n.running == Some(true))
    };
    while unknown(&nodes) && started.elapsed() < PARTITION_WAIT {
        tokio::time::sleep(Duration::from_secs(1)).await;
        nodes = Node::list(api).await?;
    }
    let problems = nodes
        .iter()
        .filter_map(|n| match &n.partitions {
            Some(p) if !p.is_empty() => Some(format!(
                "node {} is partitioned from {}",
                n.name,
                p.join(", ")
            )),
            Some(_) => None,
            // A stopped node reports nothing; `running` says so.
            None if n.running == Some(false) => None,
            None => Some(format!("node {} did not report its partitions", n.name)),
        })
        .collect();
    Ok(Verdict::from_problems(problems, "no partitions"))
}

/// One of the broker's own health checks (`/api/health/checks/NAME`): 200 is ok, 503 is
/// failed with the broker's reason and the details it lists.
async fn broker_check(api: &ManagementApi, name: &str, fine: &str) -> Result<Verdict> {
    let path = format!("/api/health/checks/{name}");
    let answer = api.raw(Method::GET, &path, Auth::Configured, &[]).await?;
    Ok(judged(&path, &answer, fine))
}

/// [`broker_check`] for a check the broker has from version `since` on: 404 (an older
/// broker) skips it.
async fn broker_check_since(
    api: &ManagementApi,
    name: &str,
    since: &str,
    fine: &str,
) -> Result<Verdict> {
    let path = format!("/api/health/checks/{name}");
    let answer = api.raw(Method::GET, &path, Auth::Configured, &[]).await?;
    if answer.status == 404 {
        return Ok(Verdict::skipped(format!(
            "the broker has no such check (RabbitMQ {since} and later)"
        )));
    }
    Ok(judged(&path, &answer, fine))
}

fn judged(path: &str, answer: &RawResponse, fine: &str) -> Verdict {
    match HealthCheck::judge(answer) {
        Some(h) if h.healthy => Verdict::ok(fine),
        Some(h) => Verdict::failed(with_details(&h)),
        None => Verdict::error(format!("{path} answered {}", answer.status)),
    }
}

/// The broker's `metadata-store/initialized` check, naming the store.
async fn metadata_store(api: &ManagementApi) -> Result<Verdict> {
    let store = MetadataStore::read(api).await?;
    broker_check_since(
        api,
        "metadata-store/initialized",
        "4.0.6",
        &format!("{} is initialized", store.name()),
    )
    .await
}

/// The broker's reason, followed by what its body lists: the alarms in effect, the
/// critical queues, or the vhosts that are down.
fn with_details(h: &HealthCheck) -> String {
    let mut details = Vec::new();
    for alarm in h.body["alarms"].as_array().into_iter().flatten() {
        details.push(format!(
            "{} alarm on {}",
            alarm["resource"].as_str().unwrap_or("?"),
            alarm["node"].as_str().unwrap_or("?")
        ));
    }
    for q in h.body["queues"].as_array().into_iter().flatten() {
        details.push(format!(
            "queue `{}` in vhost `{}`",
            q["name"].as_str().unwrap_or("?"),
            q["virtual_host"].as_str().unwrap_or("?")
        ));
    }
    for v in h.body["virtual-hosts"].as_array().into_iter().flatten() {
        details.push(format!("vhost `{}`", v.as_str().unwrap_or("?")));
    }
    if details.is_empty() {
        h.reason.clone()
    } else {
        format!("{}: {}", h.reason, details.join(", "))
    }
}

/// Quorum queues whose online members are at or below a majority. The broker's own check
/// judges only the node serving the API; reading every quorum queue judges the cluster.
async fn quorum_critical(api: &ManagementApi) -> Result<Verdict> {
    let (own, queues) = tokio::join!(
        broker_check(api, "node-is-quorum-critical", ""),
        api.list::<Queue>(
            "/api/queues?disable_stats=true&columns=name,vhost,type,members,online",
            Pages::Whole
        )
    );
    let mut problems = Vec::new();
    let own = own?;
    if own.status != Status::Ok {
        problems.push(own.detail);
    }
    let mut quorum = 0;
    for q in queues?.iter().filter(|q| q.kind == "quorum") {
        quorum += 1;
        if let Some(problem) = majority_problem(q) {
            problems.push(problem);
        }
    }
    Ok(Verdict::from_problems(
        problems,
        format!("{quorum} quorum queue(s), each with a spare member online"),
    ))
}

/// How a quorum queue stands against its majority: lost, or one node away from it.
pub fn majority_problem(q: &Queue) -> Option<String> {
    let (Some(members), Some(online)) = (&q.members, &q.online) else {
        return Some(format!(
            "quorum queue `{}` in vhost `{}` did not report its members",
            q.name, q.vhost
        ));
    };
    let majority = members.len() / 2 + 1;
    let up = online.len();
    let name = format!("quorum queue `{}` in vhost `{}`", q.name, q.vhost);
    if up < majority {
        Some(format!(
            "{name} has lost its majority: {up} of {} members online",
            members.len()
        ))
    } else if up == majority && members.len() > 1 {
        Some(format!(
            "{name} is critical: {up} of {} members online, one more node down loses its majority",
            members.len()
        ))
    } else {
        None
    }
}

/// Where to dial a listener: its address, or the host in its node's name when it listens
/// on every address.
fn listener_host(l: &Listener) -> String {
    if l.is_wildcard() {
        l.node
            .split_once('@')
            .map_or("localhost", |(_, host)| host)
            .to_string()
    } else {
        l.ip_address.clone()
    }
}

/// The listeners the overview reports; `None` when it leaves them out (statistics off).
fn reported(overview: &Overview) -> Result<&[Listener], Verdict> {
    overview.listeners.as_deref().ok_or_else(|| {
        Verdict::skipped(
            "/api/overview does not list the listeners (management statistics are disabled)",
        )
    })
}

async fn listeners(overview: &Overview, timeout: Duration) -> Verdict {
    let all = match reported(overview) {
        Ok(all) => all,
        Err(unknown) => return unknown,
    };
    let mut problems = Vec::new();
    let mut nodes: Vec<&str> = all.iter().map(|l| l.node.as_str()).collect();
    nodes.sort();
    nodes.dedup();
    for node in &nodes {
        let amqp = all
            .iter()
            .any(|l| l.node == *node && (l.protocol == "amqp" || l.protocol == "amqp/ssl"));
        if !amqp {
            problems.push(format!("node {node} has no AMQP listener"));
        }
    }
    let dials = all.iter().map(|l| async move {
        let Some(port) = l.port() else {
            return Some(format!("{}: the broker did not say its port", l.label()));
        };
        let host = listener_host(l);
        let connect =
            tokio::task::spawn_blocking(move || tls::dial(&host, port, timeout).map(drop)).await;
        match connect {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(format!("{} on {}: {e}", l.label(), l.node)),
            Err(e) => Some(format!("{}: {e}", l.label())),
        }
    });
    problems.extend(
        futures_util::future::join_all(dials)
            .await
            .into_iter()
            .flatten(),
    );
    Verdict::from_problems(
        problems,
        format!(
            "{} listener(s) on {} node(s) accept connections",
            all.len(),
            nodes.len()
        ),
    )
}

async fn certificates(overview: &Overview, settings: &Settings, within: Duration) -> Verdict {
    let all = match reported(overview) {
        Ok(all) => all,
        Err(unknown) => return unknown,
    };
    let tls_listeners: Vec<&Listener> = all.iter().filter(|l| l.is_tls()).collect();
    if tls_listeners.is_empty() {
        return Verdict::skipped("no TLS listeners");
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let within_secs = i64::try_from(within.as_secs()).unwrap_or(i64::MAX);
    let reads = tls_listeners.iter().map(|l| async move {
        let Some(port) = l.port() else {
            return Err(format!("{}: the broker did not say its port", l.label()));
        };
        let (host, files, timeout) = (listener_host(l), settings.tls.clone(), settings.timeout);
        let read = tokio::task::spawn_blocking(move || {
            let presented = tls::presented_certificate(&files, &host, port, timeout)?;
            Ok::<_, anyhow::Error>((tls::not_after(&presented.certificate)?, presented.refused))
        })
        .await;
        match read {
            Ok(Ok((not_after, _))) if not_after - now < within_secs => Err(format!(
                "{} on {}: the certificate {} {}",
                l.label(),
                l.node,
                if not_after < now {
                    "expired"
                } else {
                    "expires"
                },
                expiry(not_after, now)
            )),
            Ok(Ok((not_after, refused))) => {
                Ok((not_after, refused.map(|r| format!("{}: {r}", l.label()))))
            }
            Ok(Err(e)) => Err(format!("{}: {e:#}", l.label())),
            Err(e) => Err(format!("{}: {e}", l.label())),
        }
    });
    let results = futures_util::future::join_all(reads).await;
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    let mut soonest = i64::MAX;
    for r in results {
        match r {
            Ok((not_after, note)) => {
                soonest = soonest.min(not_after);
                notes.extend(note);
            }
            Err(p) => problems.push(p),
        }
    }
    if !problems.is_empty() {
        return Verdict::failed(problems.join("; "));
    }
    let mut fine = format!(
        "{} TLS listener(s); the soonest certificate expires {}",
        tls_listeners.len(),
        expiry(soonest, now)
    );
    if !notes.is_empty() {
        fine.push_str(&format!(" (not trusted here: {})", notes.join("; ")));
    }
    Verdict::ok(fine)
}

/// "in 12 days (2026-12-14)" or "3 days ago (2026-11-29)".
fn expiry(at: i64, now: i64) -> String {
    // RFC 3339 ends with the year 9999 (and formatting past it fails): say so instead.
    const YEAR_10000: i64 = 253_402_300_800;
    if at >= YEAR_10000 {
        return "after the year 9999".into();
    }
    let date = humantime::format_rfc3339_seconds(
        std::time::UNIX_EPOCH + Duration::from_secs(u64::try_from(at.max(0)).unwrap_or(0)),
    )
    .to_string();
    let day = date.split('T').next().unwrap_or(&date).to_string();
    let days = (at - now) / 86_400;
    if at >= now {
        format!("in {days} day(s) ({day})")
    } else {
        format!("{} day(s) ago ({day})", -days)
    }
}

async fn deprecated_features(api: &ManagementApi) -> Result<Verdict> {
    let used: Option<Vec<DeprecatedFeature>> = api.get_opt("/api/deprecated-features/used").await?;
    Ok(match used {
        None => Verdict::skipped("the broker does not report them (before RabbitMQ 3.13)"),
        Some(list) => Verdict::from_problems(
            list.iter()
                .map(|f| format!("`{}` ({})", f.name, f.deprecation_phase))
                .collect(),
            "none in use",
        ),
    })
}

async fn feature_flags(api: &ManagementApi) -> Result<Verdict> {
    let flags: Vec<FeatureFlag> = api.list("/api/feature-flags", Pages::Whole).await?;
    let disabled: Vec<&str> = flags
        .iter()
        .filter(|f| f.state != "enabled" && f.stability != "experimental")
        .map(|f| f.name.as_str())
        .collect();
    Ok(if disabled.is_empty() {
        Verdict::ok(format!("{} enabled", flags.len()))
    } else {
        Verdict::failed(format!(
            "not enabled: {} (enable them before an upgrade: rabbitmqctl enable_feature_flag all)",
            disabled.join(", ")
        ))
    })
}

impl Render for Report {
    fn human(&self) -> String {
        let width = self
            .checks
            .iter()
            .map(|o| o.check.name().len())
            .max()
            .unwrap_or(0);
        let mut out = String::new();
        for o in &self.checks {
            out.push_str(&format!(
                "{:<7} {:<width$}  {} ({} ms)\n",
                o.status.label(),
                o.check.name(),
                o.detail,
                o.millis
            ));
        }
        out.push_str(if self.healthy { "healthy" } else { "UNHEALTHY" });
        if let Some(node) = &self.node {
            out.push_str(&format!(" (asked {node})"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quorum(members: &[&str], online: &[&str]) -> Queue {
        Queue {
            name: "q".into(),
            vhost: "/".into(),
            kind: "quorum".into(),
            members: Some(members.iter().map(|s| s.to_string()).collect()),
            online: Some(online.iter().map(|s| s.to_string()).collect()),
            ..Default::default()
        }
    }

    #[test]
    fn majority_of_quorum_queues() {
        assert_eq!(
            majority_problem(&quorum(&["a", "b", "c"], &["a", "b", "c"])),
            None
        );
        assert_eq!(majority_problem(&quorum(&["a"], &["a"])), None);
        let critical = majority_problem(&quorum(&["a", "b", "c"], &["a", "b"])).unwrap();
        assert!(critical.contains("is critical: 2 of 3"), "{critical}");
        let lost = majority_problem(&quorum(&["a", "b", "c"], &["a"])).unwrap();
        assert!(lost.contains("has lost its majority: 1 of 3"), "{lost}");
        assert!(
            majority_problem(&quorum(&["a", "b", "c", "d", "e"], &["a", "b", "c", "d"])).is_none()
        );
        let unknown = Queue {
            kind: "quorum".into(),
            ..Default::default()
        };
        assert!(
            majority_problem(&unknown)
                .unwrap()
                .contains("did not report")
        );
    }

    #[test]
    fn names_round_trip_and_preflight_is_a_subset() {
        for c in Check::ALL {
            assert_eq!(Check::from_name(c.name()), Some(c));
        }
        assert!(Check::PREFLIGHT.iter().all(|c| Check::ALL.contains(c)));
    }

    #[test]
    fn expiry_reads_as_days_and_a_date() {
        let now = 1_800_000_000;
        assert_eq!(
            expiry(now + 12 * 86_400 + 5, now),
            "in 12 day(s) (2027-01-27)"
        );
        assert_eq!(expiry(now - 3 * 86_400, now), "3 day(s) ago (2027-01-12)");
        assert_eq!(expiry(i64::MAX, now), "after the year 9999");
    }
}
