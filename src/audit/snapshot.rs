//! One snapshot of the broker's state as the audit rules see it: tolerant types over the
//! management API's JSON, each source either read or missing with the reason it is missing.
//! Nothing here does I/O; `fetch.rs` fills a snapshot, the unit tests decode captured files.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::password::PasswordList;
pub use crate::broker::api::{
    Binding, Channel, ChannelRef, Connection, Consumer, Exchange, QueueRef,
};
pub use crate::rabbit::policy::Policy;

/// Why a source (or a rule) could not be read: shown as the "not checked" reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotChecked(pub String);

/// One part of the snapshot: its decoded value, or why it is missing.
pub type Source<T> = Result<T, NotChecked>;

/// A source that was never requested (the default of an empty snapshot).
pub fn unread<T>() -> Source<T> {
    Err(NotChecked("not read".into()))
}

/// Everything the rules look at.
#[derive(Debug)]
pub struct Snapshot {
    pub target: Target,
    pub whoami: Source<WhoAmI>,
    pub overview: Source<Overview>,
    pub nodes: Source<Vec<Node>>,
    pub users: Source<Vec<User>>,
    pub permissions: Source<Vec<Permission>>,
    pub topic_permissions: Source<Vec<Value>>,
    pub users_without_permissions: Source<Vec<User>>,
    pub vhosts: Source<Vec<Vhost>>,
    pub vhost_limits: Source<Vec<Limits>>,
    pub user_limits: Source<Vec<Limits>>,
    pub policies: Source<Vec<Policy>>,
    pub operator_policies: Source<Vec<Policy>>,
    /// Queue definitions, read in one request with `disable_stats=true`.
    pub queues: Source<Vec<Queue>>,
    /// Per-queue statistics (messages, consumers, basic.get counts); read only for brokers
    /// with few queues or with `--queue-stats`, since every page costs the broker a full list.
    pub queue_stats: Source<Vec<Queue>>,
    /// Every binding (one request): which queues are dead-letter queues (Q005).
    pub bindings: Source<Vec<Binding>>,
    /// Every exchange's name and type (one request, no statistics).
    pub exchanges: Source<Vec<Exchange>>,
    pub connections: Source<Vec<Connection>>,
    pub channels: Source<Vec<Channel>>,
    pub consumers: Source<Vec<Consumer>>,
    pub shovels: Source<Vec<Parameter>>,
    pub federation_upstreams: Source<Vec<Parameter>>,
    pub feature_flags: Source<Vec<FeatureFlag>>,
    /// Two reads of `/api/auth/attempts/{node}` some seconds apart (`--rate-window`).
    pub auth_attempts: Source<AuthSample>,
    /// `/api/deprecated-features/used` (3.13+; 404 before).
    pub deprecated_used: Source<Vec<DeprecatedFeature>>,
    /// `/api/deprecated-features`: every one, with its state (permitted or denied; 3.13+).
    pub deprecated_features: Source<Vec<DeprecatedFeature>>,
    /// `/api/auth`, read without credentials as the login page does.
    pub auth_settings: Source<Value>,
    /// `/api/health/checks/certificate-expiration/1/months`.
    pub cert_expiry: Source<HealthCheck>,
    /// Response headers of the management UI's start page.
    pub ui_headers: Source<Vec<(String, String)>>,
    /// Active probes; `None` unless `--probe`.
    pub probes: Option<Probes>,
    /// The operator's own weak passwords (`--password-list`), which SEC003 tries besides its
    /// built-in list. Not read from the broker: empty unless the command line gives a file.
    pub extra_passwords: PasswordList,
    /// SEC003's verdicts per user (in `users` order), worked out by the fetch while it waits
    /// for the second read of the authentication counters; `None`: SEC003 works them out.
    pub password_verdicts: Option<Vec<super::password::Verdict>>,
    /// The thresholds in effect (defaults, with `--set` overrides): the run's settings, kept
    /// here so that every rule stays a pure function of the snapshot.
    pub limits: super::thresholds::Limits,
}

impl Connection {
    /// Whether this is a client's network connection; `None` when the list doesn't say.
    pub fn is_network(&self) -> Option<bool> {
        self.kind.as_deref().map(|k| k == "network")
    }
}

impl Snapshot {
    /// An empty snapshot: every source unread.
    pub fn empty(target: Target) -> Snapshot {
        Snapshot {
            target,
            whoami: unread(),
            overview: unread(),
            nodes: unread(),
            users: unread(),
            permissions: unread(),
            topic_permissions: unread(),
            users_without_permissions: unread(),
            vhosts: unread(),
            vhost_limits: unread(),
            user_limits: unread(),
            policies: unread(),
            operator_policies: unread(),
            queues: unread(),
            queue_stats: unread(),
            bindings: unread(),
            exchanges: unread(),
            connections: unread(),
            channels: unread(),
            consumers: unread(),
            shovels: unread(),
            federation_upstreams: unread(),
            feature_flags: unread(),
            auth_attempts: unread(),
            deprecated_used: unread(),
            deprecated_features: unread(),
            auth_settings: unread(),
            cert_expiry: unread(),
            ui_headers: unread(),
            probes: None,
            limits: Default::default(),
            extra_passwords: PasswordList::default(),
            password_verdicts: None,
        }
    }

    /// Why per-vhost lists may be incomplete: a user with neither the `administrator` nor the
    /// `monitoring` tag sees only the vhosts it has permissions in.
    pub fn partial_view(&self) -> Option<NotChecked> {
        match &self.whoami {
            Ok(w) if w.has_tag("administrator") || w.has_tag("monitoring") => None,
            Ok(w) => Some(NotChecked(format!(
                "user `{}` has neither the administrator nor the monitoring tag, so it sees only \
                 its own vhosts",
                w.name
            ))),
            Err(e) => Some(e.clone()),
        }
    }

    /// Names of the users tagged administrator.
    pub fn administrators(&self) -> Source<Vec<&str>> {
        Ok(self
            .users
            .as_ref()
            .map_err(Clone::clone)?
            .iter()
            .filter(|u| u.has_tag("administrator"))
            .map(|u| u.name.as_str())
            .collect())
    }
}

/// What the audit was pointed at.
#[derive(Clone, Debug, Default)]
pub struct Target {
    /// The management API base URL (no credentials in it).
    pub api_url: String,
    /// The host of that URL.
    pub host: String,
    /// Whether the host is a loopback address or `localhost`.
    pub loopback: bool,
}

fn tags_of(value: &Value) -> Vec<String> {
    // 3.x reports tags as a list; some older versions as a comma-separated string.
    match value {
        Value::Array(a) => a
            .iter()
            .filter_map(|t| t.as_str().map(str::to_string))
            .collect(),
        Value::String(s) => s
            .split(',')
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}

#[derive(Deserialize, Debug, Default, Clone)]
#[serde(default)]
pub struct WhoAmI {
    pub name: String,
    pub tags: Value,
}

impl WhoAmI {
    pub fn has_tag(&self, tag: &str) -> bool {
        tags_of(&self.tags).iter().any(|t| t == tag)
    }
}

pub use crate::broker::api::{
    DeprecatedFeature, FeatureFlag, HealthCheck, Listener, Node, Overview, Queue,
};

#[derive(Deserialize, Debug, Default, Clone)]
#[serde(default)]
pub struct User {
    pub name: String,
    pub password_hash: String,
    pub hashing_algorithm: String,
    pub tags: Value,
    pub limits: Value,
}

impl User {
    pub fn has_tag(&self, tag: &str) -> bool {
        tags_of(&self.tags).iter().any(|t| t == tag)
    }

    pub fn tags(&self) -> Vec<String> {
        tags_of(&self.tags)
    }
}

#[derive(Deserialize, Debug, Default)]
#[serde(default)]
pub struct Permission {
    pub user: String,
    pub vhost: String,
    pub configure: String,
    pub write: String,
    pub read: String,
}

#[derive(Deserialize, Debug, Default, Clone)]
#[serde(default)]
pub struct Vhost {
    pub name: String,
    pub tracing: Option<bool>,
}

/// One entry of `/api/vhost-limits` or `/api/user-limits`.
#[derive(Deserialize, Debug, Default)]
#[serde(default)]
pub struct Limits {
    pub vhost: Option<String>,
    pub user: Option<String>,
    pub value: BTreeMap<String, Value>,
}

/// Fill in each queue's effective policy definition from the policy and the operator policy
/// the broker applied to it, where the list did not carry it. Keys of both are kept: the
/// rules only ask whether a setting is present.
///
/// The queue definitions list (`disable_stats=true`, with or without statistics on the node)
/// names the policy in effect (`policy`, absent when none applies) but never the operator
/// policy (checked on 3.10.8 and 4.0.5). Operator policies are therefore matched the way the
/// broker does: same vhost, `apply-to` covering the queue's type, pattern matching the name,
/// highest priority wins. When a pattern that may cover the queue is one warren cannot
/// evaluate ([`Policy::regex`]), its definition stays null: unknown.
pub fn apply_policies(queues: &mut [Queue], policies: &[Policy], operator_policies: &[Policy]) {
    let by_name = |list: &[Policy], vhost: &str, name: &str| {
        list.iter()
            .find(|p| p.vhost == vhost && p.name == name)
            .map(|p| p.definition.clone())
    };
    let operator = crate::rabbit::policy::Compiled::new(operator_policies.iter().cloned());
    // `None`: a policy warren cannot evaluate may apply, so the queue's is unknown.
    let by_pattern = |q: &Queue| {
        let (found, unreadable) = operator.matching(
            &q.vhost,
            &q.name,
            crate::rabbit::policy::Target::Queue(&q.kind),
        );
        if !unreadable.is_empty() {
            return None;
        }
        Some(found.first().map(|p| p.definition.clone()))
    };
    for q in queues.iter_mut() {
        if !q.effective_policy_definition.is_null() {
            continue;
        }
        let Some(operator) = (match &q.operator_policy {
            Some(name) => Some(by_name(operator_policies, &q.vhost, name)),
            None => by_pattern(q),
        }) else {
            continue;
        };
        let policy = q
            .policy
            .as_ref()
            .and_then(|name| by_name(policies, &q.vhost, name));
        let mut merged = serde_json::Map::new();
        for definition in [operator, policy].into_iter().flatten() {
            merged.extend(definition);
        }
        q.effective_policy_definition = Value::Object(merged);
    }
}

/// A runtime parameter (shovel, federation upstream).
#[derive(Deserialize, Debug, Default)]
#[serde(default)]
pub struct Parameter {
    pub vhost: String,
    pub component: String,
    pub name: String,
    pub value: Value,
}

#[derive(Deserialize, Debug, Default, Clone)]
#[serde(default)]
pub struct AuthAttempts {
    /// Filled in by the fetcher: the endpoint is per node.
    pub node: String,
    pub protocol: String,
    /// Counters since the node started (or since they were reset).
    pub auth_attempts: Option<u64>,
    pub auth_attempts_failed: Option<u64>,
}

/// Two reads of every node's authentication counters, `seconds` apart: the counters are
/// lifetime totals, so only their difference says what is happening now.
#[derive(Debug, Default, Clone)]
pub struct AuthSample {
    pub seconds: f64,
    pub before: Vec<AuthAttempts>,
    pub after: Vec<AuthAttempts>,
}

/// Attempts and failures per second on one node and protocol over a sample.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthRate {
    pub node: String,
    pub protocol: String,
    pub attempts: u64,
    pub failed: u64,
    pub failed_per_second: f64,
}

impl AuthSample {
    /// The rate per node and protocol; `Err` names the counters that are missing, or that
    /// went down (a node restarted or its counters were reset between the reads).
    pub fn rates(&self) -> (Vec<AuthRate>, Vec<String>) {
        let mut rates = Vec::new();
        let mut unknown = Vec::new();
        for a in &self.after {
            let label = format!("{} ({})", a.node, a.protocol);
            let b = self
                .before
                .iter()
                .find(|b| b.node == a.node && b.protocol == a.protocol);
            let counted = |x: &AuthAttempts| Some((x.auth_attempts?, x.auth_attempts_failed?));
            let (Some((a_all, a_failed)), before) = (counted(a), b.map(counted)) else {
                unknown.push(label);
                continue;
            };
            // A protocol first seen between the reads started from zero.
            let (b_all, b_failed) = match before {
                Some(Some(figures)) => figures,
                Some(None) => {
                    unknown.push(label);
                    continue;
                }
                None => (0, 0),
            };
            if a_all < b_all || a_failed < b_failed || self.seconds <= 0.0 {
                unknown.push(label);
                continue;
            }
            let failed = a_failed - b_failed;
            rates.push(AuthRate {
                node: a.node.clone(),
                protocol: a.protocol.clone(),
                attempts: a_all - b_all,
                failed,
                failed_per_second: failed as f64 / self.seconds,
            });
        }
        (rates, unknown)
    }
}

/// Results of the active probes (`--probe`); each may be missing with its reason.
#[derive(Debug)]
pub struct Probes {
    /// guest:guest against `/api/whoami`, dialled as a remote client would.
    pub guest_login: Source<Remote<ProbeAnswer>>,
    /// A CORS preflight with `Origin: https://evil.example`.
    pub cors: Source<ProbeAnswer>,
    /// `GET /metrics` on the prometheus port without credentials.
    pub metrics: Source<ProbeAnswer>,
    /// EPMD's NAMES request on port 4369, dialled as a remote client would.
    pub epmd: Source<Remote<EpmdNames>>,
}

impl Probes {
    /// One line per probe that stands in for a remote client, with the rule it decides:
    /// what was dialled and what answered, so that a pass says why it passed.
    pub fn notes(&self) -> Vec<(&'static str, String)> {
        let mut notes = Vec::new();
        if let Ok(r) = &self.guest_login {
            let seen = match &r.reach {
                Reach::Answered(a) => format!("answered {}", a.status),
                Reach::Unreachable(why) => format!("not reachable ({why})"),
            };
            notes.push((
                "SEC001",
                format!("guest:guest to {}: {seen}", r.described()),
            ));
        }
        if let Ok(r) = &self.epmd {
            let seen = match &r.reach {
                Reach::Answered(names) => format!("answered NAMES with {}", names.listing()),
                Reach::Unreachable(why) => format!("not reachable ({why})"),
            };
            notes.push(("NET005", format!("EPMD at {}: {seen}", r.described())));
        }
        notes
    }
}

/// A probe that dials the broker's host as a remote client would: the target's own host,
/// or, when that is a loopback address, this machine's non-loopback address instead.
#[derive(Debug, Clone)]
pub struct Remote<T> {
    /// What was dialled: a URL, or `host:port`.
    pub dialled: String,
    /// For a loopback target, the non-loopback address of this machine dialled instead.
    pub stand_in: Option<std::net::IpAddr>,
    pub reach: Reach<T>,
}

impl<T> Remote<T> {
    /// `dialled`, with the stand-in address explained.
    pub fn described(&self) -> String {
        match self.stand_in {
            Some(ip) => format!(
                "{} ({ip}: this machine's non-loopback address, where a remote client connects, \
                 probed in place of the loopback target)",
                self.dialled
            ),
            None => self.dialled.clone(),
        }
    }
}

/// What a remote-client probe met.
#[derive(Debug, Clone)]
pub enum Reach<T> {
    Answered(T),
    /// Nothing accepted the connection (refused, or no answer before the deadline): no
    /// remote client gets further either.
    Unreachable(String),
}

/// What one probe saw.
#[derive(Debug, Clone, Default)]
pub struct ProbeAnswer {
    pub url: String,
    pub status: u16,
    /// For CORS: the `Access-Control-Allow-Origin` header, if any.
    pub allow_origin: Option<String>,
}

/// EPMD's answer to NAMES: its own port, then one `name <node> at port <port>` line for each
/// node registered with it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EpmdNames {
    pub epmd_port: u32,
    pub nodes: Vec<EpmdNode>,
    /// The answer was cut at the read cap or the deadline: more nodes may be registered.
    pub truncated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpmdNode {
    /// The node's short name (the part before `@`).
    pub name: String,
    /// Its Erlang distribution port.
    pub port: u16,
}

impl EpmdNames {
    /// "2 node(s): a (distribution port 25672), b (...)".
    pub fn listing(&self) -> String {
        let nodes: Vec<String> = self
            .nodes
            .iter()
            .map(|n| format!("{} (distribution port {})", n.name, n.port))
            .collect();
        format!(
            "{} node(s){}{}{}",
            self.nodes.len(),
            if nodes.is_empty() { "" } else { ": " },
            nodes.join(", "),
            if self.truncated {
                " (answer cut short; there may be more)"
            } else {
                ""
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_decode_as_list_or_string() {
        let u: User =
            serde_json::from_str(r#"{"name":"a","tags":"administrator, monitoring"}"#).unwrap();
        assert!(u.has_tag("monitoring"));
        let u: User = serde_json::from_str(r#"{"name":"a","tags":["management"]}"#).unwrap();
        assert!(u.has_tag("management") && !u.has_tag("administrator"));
    }

    #[test]
    fn queue_settings_come_from_arguments_or_policy() {
        let q: Queue = serde_json::from_str(
            r#"{"name":"q","arguments":{"x-max-length":10},"effective_policy_definition":{"dead-letter-exchange":"dlx"}}"#,
        )
        .unwrap();
        assert!(q.setting("max-length").is_some());
        assert!(q.setting("dead-letter-exchange").is_some());
        let q: Queue =
            serde_json::from_str(r#"{"name":"q","effective_policy_definition":[]}"#).unwrap();
        assert!(q.setting("dead-letter-exchange").is_none());
    }

    #[test]
    fn effective_policies_come_from_the_applied_names() {
        // Shapes as 3.10.8 returns them for /api/queues?disable_stats=true and /api/policies.
        let mut queues: Vec<Queue> = serde_json::from_str(
            r#"[{"name":"a","vhost":"v","policy":"dlx","operator_policy":"cap"},
                {"name":"b","vhost":"v"},
                {"name":"c","vhost":"v","effective_policy_definition":{"expires":1}}]"#,
        )
        .unwrap();
        let policies: Vec<Policy> = serde_json::from_str(
            r#"[{"vhost":"v","name":"dlx","pattern":"^a","definition":{"dead-letter-exchange":"x"}},
                {"vhost":"w","name":"cap","pattern":".*","definition":{"max-length":1}}]"#,
        )
        .unwrap();
        let operator: Vec<Policy> = serde_json::from_str(
            r#"[{"vhost":"v","name":"cap","pattern":".*","definition":{"max-length":5}}]"#,
        )
        .unwrap();
        apply_policies(&mut queues, &policies, &operator);
        assert!(queues[0].setting("dead-letter-exchange").is_some());
        assert_eq!(queues[0].setting("max-length"), Some(&serde_json::json!(5)));
        assert!(queues[1].setting("dead-letter-exchange").is_none());
        assert!(queues[2].setting("expires").is_some());
    }

    #[test]
    fn operator_policies_are_matched_by_pattern() {
        // The definitions list never names the operator policy; it names the policy, and
        // leaves `policy` out when none applies (3.10.8 and 4.0.5).
        let mut queues: Vec<Queue> = serde_json::from_str(
            r#"[{"name":"orders","vhost":"v","type":"classic"},
                {"name":"orders.q","vhost":"v","type":"quorum"},
                {"name":"other","vhost":"v","type":"classic"},
                {"name":"orders","vhost":"w","type":"classic"}]"#,
        )
        .unwrap();
        let operator: Vec<Policy> = serde_json::from_str(
            r#"[{"vhost":"v","name":"low","pattern":"^orders","apply-to":"queues","priority":0,
                 "definition":{"max-length":1}},
                {"vhost":"v","name":"high","pattern":"^orders","apply-to":"classic_queues",
                 "priority":5,"definition":{"max-length":5}},
                {"vhost":"v","name":"ex","pattern":".*","apply-to":"exchanges","priority":9,
                 "definition":{"max-length":9}}]"#,
        )
        .unwrap();
        // A policy the broker did not name applies to nothing, whatever its pattern.
        let policies: Vec<Policy> = serde_json::from_str(
            r#"[{"vhost":"v","name":"dlx","pattern":".*","definition":{"dead-letter-exchange":"x"}}]"#,
        )
        .unwrap();
        apply_policies(&mut queues, &policies, &operator);
        let cap = |i: usize| queues[i].setting("max-length").cloned();
        assert_eq!(cap(0), Some(serde_json::json!(5)));
        assert_eq!(
            cap(1),
            Some(serde_json::json!(1)),
            "classic_queues skips quorum"
        );
        assert_eq!(cap(2), None);
        assert_eq!(cap(3), None, "another vhost's operator policy");
        assert!(
            queues
                .iter()
                .all(|q| q.setting("dead-letter-exchange").is_none())
        );
    }

    #[test]
    fn a_pattern_warren_cannot_evaluate_leaves_the_policy_unknown() {
        // The broker's regular expressions have look-ahead; warren's don't. A queue such an
        // operator policy may cover has no known settings, and the rules that need them say
        // why. A policy with such a pattern is named by the broker where it applies, so it
        // costs nothing.
        let mut queues: Vec<Queue> = serde_json::from_str(
            r#"[{"name":"orders","vhost":"v","type":"classic"},
                {"name":"orders","vhost":"w","type":"classic"},
                {"name":"named","vhost":"w","type":"classic","policy":"all-but-amq"}]"#,
        )
        .unwrap();
        let operator: Vec<Policy> = serde_json::from_str(
            r#"[{"vhost":"v","name":"not-amq","pattern":"^(?!amq\\.).*","apply-to":"queues",
                 "definition":{"max-length":10}},
                {"vhost":"w","name":"cap","pattern":"^orders","definition":{"max-length":1}}]"#,
        )
        .unwrap();
        let policies: Vec<Policy> = serde_json::from_str(
            r#"[{"vhost":"w","name":"all-but-amq","pattern":"^(?!amq\\.).*",
                 "definition":{"dead-letter-exchange":"x"}}]"#,
        )
        .unwrap();
        assert!(operator[0].regex().is_none());
        apply_policies(&mut queues, &policies, &operator);
        assert!(queues[0].effective_policy_definition.is_null(), "unknown");
        assert_eq!(queues[1].setting("max-length"), Some(&serde_json::json!(1)));
        assert!(queues[2].setting("dead-letter-exchange").is_some(), "named");
        let mut s = crate::audit::rules::testing::planted();
        s.queues = Ok(queues);
        s.policies = Ok(policies);
        s.operator_policies = Ok(operator);
        for rule in ["Q003", "Q005", "Q006"] {
            let why = crate::audit::rules::testing::run(rule, &s).unwrap_err().0;
            assert!(
                why.contains("1 queue(s)")
                    && why.contains("operator policy `not-amq` in vhost `v`"),
                "{rule}: {why}"
            );
            assert!(!why.contains("all-but-amq"), "{rule}: {why}");
        }
    }

    #[test]
    fn auth_rates_come_from_the_difference_of_two_reads() {
        let a = |node: &str, protocol: &str, all: Option<u64>, failed: Option<u64>| AuthAttempts {
            node: node.into(),
            protocol: protocol.into(),
            auth_attempts: all,
            auth_attempts_failed: failed,
        };
        let sample = AuthSample {
            seconds: 2.0,
            before: vec![
                a("n1", "http", Some(1000), Some(500)),
                a("n2", "amqp091", Some(50), Some(10)),
                a("n3", "http", None, None),
            ],
            after: vec![
                // 6 failures in 2 s after a lifetime of 500: 3 per second.
                a("n1", "http", Some(1010), Some(506)),
                // Counters went down: the node restarted between the reads.
                a("n2", "amqp091", Some(3), Some(1)),
                // Missing in the first read.
                a("n3", "http", Some(5), Some(5)),
                // A protocol first seen in the second read started from zero.
                a("n1", "amqp091", Some(4), Some(2)),
                // Missing in the second read.
                a("n2", "http", Some(1), None),
            ],
        };
        let (rates, unknown) = sample.rates();
        assert_eq!(rates.len(), 2, "{rates:?}");
        assert_eq!((rates[0].failed, rates[0].attempts), (6, 10));
        assert!((rates[0].failed_per_second - 3.0).abs() < 1e-9);
        assert_eq!(rates[1].protocol, "amqp091");
        assert_eq!(rates[1].failed, 2);
        assert_eq!(unknown, ["n2 (amqp091)", "n3 (http)", "n2 (http)"]);
    }

    #[test]
    fn loopback_addresses() {
        use crate::broker::settings::is_loopback;
        assert!(is_loopback("127.0.0.1"));
        assert!(is_loopback("::1"));
        assert!(is_loopback("[::ffff:127.0.0.2]"));
        assert!(is_loopback("localhost"));
        assert!(!is_loopback("::"));
        assert!(!is_loopback("10.0.0.5"));
    }
}
