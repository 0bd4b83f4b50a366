//! Read one snapshot of the broker through the management API: every endpoint once, in
//! parallel, list endpoints paged. An endpoint the user may not read (401/403), or that this
//! broker version lacks (404), becomes a "not checked" reason instead of an error.

use anyhow::Result;
use reqwest::Method;
use serde::de::DeserializeOwned;

use super::snapshot::{HealthCheck, NotChecked, Snapshot, Source, Target};
use crate::broker::http::{Auth, ManagementApi, Pages, RawResponse, api_path};
use crate::exit::{Code, code_of};

/// What the audit is pointed at, from the management client's base URL.
pub fn target(api: &ManagementApi) -> Target {
    let url = api.base();
    let host = url.host_str().unwrap_or("").to_string();
    Target {
        api_url: url.as_str().trim_end_matches('/').to_string(),
        loopback: crate::broker::settings::is_loopback(&host),
        host,
    }
}

/// Turn a fetch error into the reason a rule is not checked, or keep it as an error when it
/// means the whole audit can't run (unreachable, TLS).
pub(super) fn source<T>(path: &str, user: &str, result: Result<T>) -> Source<T> {
    result.map_err(|e| {
        NotChecked(match code_of(&e) {
            Code::AuthRefused => format!("user `{user}` may not read {path}"),
            _ => format!("{path}: {e:#}"),
        })
    })
}

async fn list<T: DeserializeOwned>(api: &ManagementApi, path: &str) -> Source<Vec<T>> {
    source(path, api.user(), api.list(path, Pages::Paged).await)
}

/// A list read in one request, unpaged.
async fn whole<T: DeserializeOwned>(api: &ManagementApi, path: &str) -> Source<Vec<T>> {
    source(path, api.user(), api.list(path, Pages::Whole).await)
}

/// A list endpoint that older brokers don't have: its 404 (told apart by status, not by
/// the error's text) becomes "not checked" with `absent` as the reason.
async fn list_or_absent<T: DeserializeOwned>(
    api: &ManagementApi,
    path: &str,
    absent: &str,
) -> Source<Vec<T>> {
    match api.get_opt::<serde_json::Value>(path).await {
        Ok(None) => Err(NotChecked(format!("{path} {absent}"))),
        // The answer is the list already (these endpoints don't page): no second request.
        Ok(Some(v @ serde_json::Value::Array(_))) => serde_json::from_value(v)
            .map_err(|e| NotChecked(format!("{path}: unexpected response: {e}"))),
        Ok(Some(_)) => list(api, path).await,
        Err(e) => source(path, api.user(), Err(e)),
    }
}

async fn one<T: DeserializeOwned>(api: &ManagementApi, path: &str) -> Source<T> {
    match api.get_opt(path).await {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(NotChecked(format!(
            "{path} does not exist on this broker version (404)"
        ))),
        Err(e) => source(path, api.user(), Err(e)),
    }
}

async fn raw(
    api: &ManagementApi,
    target: &str,
    auth: Auth<'_>,
    headers: &[(&str, &str)],
) -> Source<RawResponse> {
    source(
        target,
        api.user(),
        api.raw(Method::GET, target, auth, headers).await,
    )
}

/// Brokers with at most this many queues get per-queue statistics read by default.
pub const QUEUE_STATS_LIMIT: usize = 2_000;

/// What to read besides the passive snapshot.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Run the active probes.
    pub probe: bool,
    /// Read per-queue statistics whatever the number of queues.
    pub queue_stats: bool,
    /// How far apart the two reads of the authentication counters are (SEC011's rate);
    /// zero reads them once, and SEC011 is not checked.
    pub rate_window: std::time::Duration,
    /// Work out SEC003's weak-password verdicts (with the operator's `--password-list`)
    /// while waiting for the rate window: `None` when SEC003 is not selected.
    pub weak_passwords: Option<super::password::PasswordList>,
}

/// Read the snapshot. Fails only when the management API can't be used at all: unreachable,
/// TLS failure, not RabbitMQ's, or credentials refused on `/api/whoami`.
pub async fn snapshot(api: &ManagementApi, options: Options) -> Result<Snapshot> {
    let mut s = Snapshot::empty(target(api));
    // Every other read may fail on its own and leave its rules "not checked"; a server that
    // answers them all with JSON but is not RabbitMQ must end the audit instead (exit 6).
    api.check_peer().await?;
    s.whoami = Ok(api.get("/api/whoami").await?);
    // The first read of the authentication counters, before everything else, so that the
    // rest of the reads fill most of the window.
    let nodes = one(api, "/api/nodes").await;
    let started = std::time::Instant::now();
    let before = auth_attempts(api, &nodes).await;
    // Each read is taken as made halfway through its requests: the window between those
    // midpoints divides the failures, neither longer nor shorter than the time they had.
    let before_at = started + started.elapsed() / 2;
    s.nodes = nodes;
    read_objects(api, &mut s).await;
    s.queue_stats = queue_stats(api, &s, options.queue_stats).await;
    // The weak-password check is CPU work over users already read: it runs on other threads
    // while the rate window passes, instead of after it.
    let verdicts = match (&options.weak_passwords, &s.users) {
        (Some(extra), Ok(users)) => {
            s.extra_passwords = extra.clone();
            let (users, extra) = (users.clone(), extra.clone());
            let vhosts = s.vhosts.clone().unwrap_or_default();
            Some(tokio::task::spawn_blocking(move || {
                super::password::assess(&users, &vhosts, &extra)
            }))
        }
        _ => None,
    };
    s.auth_attempts = if options.rate_window.is_zero() {
        Err(NotChecked(
            "--rate-window 0: the failed-login rate needs two reads of /api/auth/attempts".into(),
        ))
    } else {
        if let Some(rest) = options.rate_window.checked_sub(started.elapsed()) {
            tokio::time::sleep(rest).await;
        }
        let asked = std::time::Instant::now();
        let after = auth_attempts(api, &s.nodes).await;
        let after_at = asked + asked.elapsed() / 2;
        let seconds = after_at.duration_since(before_at).as_secs_f64();
        before.and_then(|before| {
            Ok(super::snapshot::AuthSample {
                seconds,
                before,
                after: after?,
            })
        })
    };
    if options.probe {
        s.probes = Some(super::probe::run(api, &s).await);
    }
    if let Some(task) = verdicts {
        // A panicked check leaves the verdicts to SEC003 itself.
        s.password_verdicts = task.await.ok();
    }
    Ok(s)
}

/// Everything but the nodes, the rate sample and the queue statistics, read side by side;
/// each read that fails leaves its rules "not checked".
async fn read_objects(api: &ManagementApi, s: &mut Snapshot) {
    // Queue definitions in one unpaged request without statistics: on 3.x every page of
    // /api/queues makes the broker list and format every queue, so 10,000 queues in pages of
    // 500 cost 20 full listings (measured: ~0.7 s each), while one disable_stats listing costs
    // about one. The list omits effective_policy_definition; `apply_policies` fills it in.
    let queues_path = "/api/queues?disable_stats=true";
    let (overview, users, permissions, topic_permissions, without, vhosts, vhost_limits) = tokio::join!(
        one(api, "/api/overview"),
        list(api, "/api/users"),
        list(api, "/api/permissions"),
        list(api, "/api/topic-permissions"),
        list(api, "/api/users/without-permissions"),
        list(api, "/api/vhosts"),
        list(api, "/api/vhost-limits"),
    );
    // Bindings and exchanges (names and types) in one request each, next to the queues: Q005
    // tells the dead-letter queues by them. With 10,000 queues /api/bindings took 0.3-0.5 s
    // on 3.10 (1.4 MB), about as long as the queue list it runs beside.
    let bindings_path = "/api/bindings";
    let exchanges_path = "/api/exchanges?disable_stats=true&columns=vhost,name,type";
    let (
        user_limits,
        policies,
        operator_policies,
        queues,
        bindings,
        exchanges,
        connections,
        channels,
        consumers,
    ) = tokio::join!(
        list(api, "/api/user-limits"),
        list(api, "/api/policies"),
        list(api, "/api/operator-policies"),
        one(api, queues_path),
        whole(api, bindings_path),
        whole(api, exchanges_path),
        list(api, "/api/connections"),
        list(api, "/api/channels"),
        list(api, "/api/consumers"),
    );
    let (shovels, federation, flags, deprecated, deprecated_all, auth, cert, ui) = tokio::join!(
        list(api, "/api/parameters/shovel"),
        list(api, "/api/parameters/federation-upstream"),
        list(api, "/api/feature-flags"),
        list_or_absent(
            api,
            "/api/deprecated-features/used",
            "does not exist before RabbitMQ 3.13"
        ),
        list_or_absent(
            api,
            "/api/deprecated-features",
            "does not exist before RabbitMQ 3.13"
        ),
        raw(api, "/api/auth", Auth::Anonymous, &[]),
        raw(
            api,
            "/api/health/checks/certificate-expiration/1/months",
            Auth::Configured,
            &[]
        ),
        raw(api, "/", Auth::Anonymous, &[]),
    );
    s.overview = overview;
    s.users = users;
    s.permissions = permissions;
    s.topic_permissions = topic_permissions;
    s.users_without_permissions = without;
    s.vhosts = vhosts;
    s.vhost_limits = vhost_limits;
    s.user_limits = user_limits;
    s.queues = queues;
    s.policies = policies;
    s.operator_policies = operator_policies;
    if let (Ok(queues), Ok(policies), Ok(operator)) =
        (&mut s.queues, &s.policies, &s.operator_policies)
    {
        super::snapshot::apply_policies(queues, policies, operator);
    }
    s.bindings = bindings;
    s.exchanges = exchanges;
    s.connections = connections;
    s.channels = channels;
    s.consumers = consumers;
    s.shovels = shovels;
    s.federation_upstreams = federation;
    s.feature_flags = flags;
    s.deprecated_used = deprecated;
    s.deprecated_features = deprecated_all;
    // RabbitMQ 4.3 removed /api/auth: a 404 exposes nothing (SEC013 passes).
    s.auth_settings = auth.and_then(|r| match r.status {
        404 => Ok(serde_json::json!({})),
        _ => json_body("/api/auth", &r),
    });
    s.cert_expiry = cert.and_then(|r| {
        HealthCheck::judge(&r).ok_or_else(|| {
            NotChecked(format!(
                "certificate-expiration health check answered {}",
                r.status
            ))
        })
    });
    s.ui_headers = ui.map(|r| r.headers);
}

/// Per-queue statistics: every page of /api/queues lists every queue, so only for at most
/// QUEUE_STATS_LIMIT queues unless `asked` (--queue-stats).
async fn queue_stats(
    api: &ManagementApi,
    s: &Snapshot,
    asked: bool,
) -> Source<Vec<super::snapshot::Queue>> {
    let count = s.queues.as_ref().map(Vec::len).unwrap_or(0);
    if asked || count <= QUEUE_STATS_LIMIT {
        if count > QUEUE_STATS_LIMIT {
            crate::note!(
                "reading the statistics of {count} queues in pages of 500; this takes a while"
            );
        }
        list(api, "/api/queues").await
    } else {
        Err(NotChecked(format!(
            "per-queue statistics are read for at most {QUEUE_STATS_LIMIT} queues and this \
             broker has {count} (each page of /api/queues lists every queue); add --queue-stats"
        )))
    }
}

fn json_body(path: &str, r: &RawResponse) -> Source<serde_json::Value> {
    if r.status != 200 {
        return Err(NotChecked(format!("{path} answered {}", r.status)));
    }
    serde_json::from_str(&r.body)
        .map_err(|e| NotChecked(format!("{path}: unexpected response: {e}")))
}

/// `/api/auth/attempts/{node}` for every node, tagged with the node's name.
async fn auth_attempts(
    api: &ManagementApi,
    nodes: &Source<Vec<super::snapshot::Node>>,
) -> Source<Vec<super::snapshot::AuthAttempts>> {
    let nodes = nodes.as_ref().map_err(Clone::clone)?;
    let per_node = nodes.iter().map(|n| async move {
        let path = api_path(&["auth", "attempts", &n.name]);
        let mut attempts: Vec<super::snapshot::AuthAttempts> = one(api, &path).await?;
        for a in &mut attempts {
            a.node = n.name.clone();
        }
        Ok::<_, NotChecked>(attempts)
    });
    let mut all = Vec::new();
    for result in futures_util::future::join_all(per_node).await {
        all.extend(result?);
    }
    Ok(all)
}
