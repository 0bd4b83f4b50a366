//! One snapshot of the broker's state as the audit rules see it: tolerant types over the
//! management API's JSON, each source either read or missing with the reason it is missing.
//! Nothing here does I/O; `fetch.rs` fills a snapshot, the unit tests decode captured files.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

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
    pub connections: Source<Vec<Connection>>,
    pub channels: Source<Vec<Channel>>,
    pub consumers: Source<Vec<Consumer>>,
    pub shovels: Source<Vec<Parameter>>,
    pub federation_upstreams: Source<Vec<Parameter>>,
    pub feature_flags: Source<Vec<FeatureFlag>>,
    pub auth_attempts: Source<Vec<AuthAttempts>>,
    /// `/api/deprecated-features/used` (3.13+; 404 before).
    pub deprecated_used: Source<Vec<DeprecatedFeature>>,
    /// `/api/auth`, read without credentials as the login page does.
    pub auth_settings: Source<Value>,
    /// `/api/health/checks/certificate-expiration/1/months`.
    pub cert_expiry: Source<HealthCheck>,
    /// Response headers of the management UI's start page.
    pub ui_headers: Source<Vec<(String, String)>>,
    /// Active probes; `None` unless `--probe`.
    pub probes: Option<Probes>,
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
            connections: unread(),
            channels: unread(),
            consumers: unread(),
            shovels: unread(),
            federation_upstreams: unread(),
            feature_flags: unread(),
            auth_attempts: unread(),
            deprecated_used: unread(),
            auth_settings: unread(),
            cert_expiry: unread(),
            ui_headers: unread(),
            probes: None,
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

#[derive(Deserialize, Debug, Default)]
#[serde(default)]
pub struct Vhost {
    pub name: String,
    pub tracing: bool,
}

/// One entry of `/api/vhost-limits` or `/api/user-limits`.
#[derive(Deserialize, Debug, Default)]
#[serde(default)]
pub struct Limits {
    pub vhost: Option<String>,
    pub user: Option<String>,
    pub value: BTreeMap<String, Value>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(default)]
pub struct Policy {
    pub vhost: String,
    pub name: String,
    pub pattern: String,
    #[serde(rename = "apply-to")]
    pub apply_to: String,
    pub definition: BTreeMap<String, Value>,
    pub priority: i64,
}

/// Fill in each queue's effective policy definition from the names of the policy and the
/// operator policy the broker applied to it (`policy`, `operator_policy`), where the list
/// did not carry it. Keys of both are kept: the rules only ask whether a setting is present.
pub fn apply_policies(queues: &mut [Queue], policies: &[Policy], operator_policies: &[Policy]) {
    let find = |list: &[Policy], vhost: &str, name: &Option<String>| {
        name.as_ref().and_then(|n| {
            list.iter()
                .find(|p| p.vhost == vhost && &p.name == n)
                .map(|p| p.definition.clone())
        })
    };
    for q in queues.iter_mut() {
        if !q.effective_policy_definition.is_null() {
            continue;
        }
        let mut merged = serde_json::Map::new();
        for definition in [
            find(operator_policies, &q.vhost, &q.operator_policy),
            find(policies, &q.vhost, &q.policy),
        ]
        .into_iter()
        .flatten()
        {
            merged.extend(definition);
        }
        q.effective_policy_definition = Value::Object(merged);
    }
}

#[derive(Deserialize, Debug, Default)]
#[serde(default)]
pub struct Connection {
    pub name: String,
    pub vhost: String,
    pub user: String,
    pub peer_host: Value,
    pub ssl: bool,
    pub protocol: String,
    pub channels: u64,
    pub timeout: Option<u64>,
    pub auth_mechanism: String,
}

#[derive(Deserialize, Debug, Default)]
#[serde(default)]
pub struct Channel {
    pub name: String,
    pub vhost: String,
    pub user: String,
    pub prefetch_count: u64,
    pub global_prefetch_count: u64,
    pub consumer_count: u64,
}

#[derive(Deserialize, Debug, Default)]
#[serde(default)]
pub struct Consumer {
    pub consumer_tag: String,
    pub ack_required: bool,
    pub prefetch_count: u64,
    pub queue: QueueRef,
    pub channel_details: ChannelRef,
}

#[derive(Deserialize, Debug, Default)]
#[serde(default)]
pub struct QueueRef {
    pub name: String,
    pub vhost: String,
}

#[derive(Deserialize, Debug, Default)]
#[serde(default)]
pub struct ChannelRef {
    pub name: String,
    pub user: String,
    pub connection_name: String,
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

#[derive(Deserialize, Debug, Default)]
#[serde(default)]
pub struct AuthAttempts {
    /// Filled in by the fetcher: the endpoint is per node.
    pub node: String,
    pub protocol: String,
    pub auth_attempts: u64,
    pub auth_attempts_failed: u64,
}

/// Results of the active probes (`--probe`); each may be missing with its reason.
#[derive(Debug)]
pub struct Probes {
    /// guest:guest against `/api/whoami` of the target.
    pub guest_login: Source<ProbeAnswer>,
    /// A CORS preflight with `Origin: https://evil.example`.
    pub cors: Source<ProbeAnswer>,
    /// `GET /metrics` on the prometheus port without credentials.
    pub metrics: Source<ProbeAnswer>,
}

/// What one probe saw.
#[derive(Debug, Clone, Default)]
pub struct ProbeAnswer {
    pub url: String,
    pub status: u16,
    /// For CORS: the `Access-Control-Allow-Origin` header, if any.
    pub allow_origin: Option<String>,
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
