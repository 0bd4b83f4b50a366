//! Typed management API resources, one decoder each, shared by every command: the broker
//! overview and its listeners, the cluster's nodes, queues, exchanges, bindings, connections
//! and channels. Decoding is tolerant (fields differ between 3.x and 4.x) and a
//! missing value is unknown (`None`), never zero.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::http::{ManagementApi, Pages, RawResponse};
use super::settings::is_loopback;
use anyhow::Result;

/// `GET /api/overview`.
#[derive(Deserialize, Debug, Default, Clone)]
#[serde(default)]
pub struct Overview {
    /// The node that serves this API.
    pub node: Option<String>,
    pub product_name: Option<String>,
    pub product_version: String,
    pub rabbitmq_version: String,
    pub erlang_version: String,
    pub cluster_name: String,
    /// Absent when the node's statistics are switched off (`management.disable_stats`):
    /// unknown, not "no listeners".
    pub listeners: Option<Vec<Listener>>,
    pub contexts: Vec<Value>,
    pub exchange_types: Option<Vec<ExchangeType>>,
    pub churn_rates: Value,
    /// `management.disable_stats` (3.7+); absent on older brokers.
    pub disable_stats: Option<bool>,
    pub message_stats: Value,
    pub object_totals: Value,
}

#[derive(Deserialize, Debug, Default, Clone)]
#[serde(default)]
pub struct ExchangeType {
    pub name: String,
}

impl Overview {
    pub async fn read(api: &ManagementApi) -> Result<Overview> {
        api.get("/api/overview").await
    }

    /// The broker's version, for a figure whose meaning depends on it; empty (unknown) when
    /// the overview can't be read.
    pub async fn version(api: &ManagementApi) -> String {
        Overview::read(api)
            .await
            .map(|o| o.rabbitmq_version)
            .unwrap_or_default()
    }

    /// The broker's major version, when it says.
    pub fn major(&self) -> Option<u32> {
        self.rabbitmq_version.split('.').next()?.parse().ok()
    }

    /// The broker's (major, minor) version, when it says.
    pub fn major_minor(&self) -> Option<(u32, u32)> {
        major_minor(&self.rabbitmq_version)
    }
}

pub use crate::rabbit::version::major_minor;

/// Seconds since `text`, a time the management API gives (`idle_since`, ...): an RFC 3339 or
/// `YYYY-MM-DD HH:MM:SS` UTC timestamp; `None` when it is not one.
pub fn age_seconds(text: &str, now: std::time::SystemTime) -> Option<f64> {
    let utc = text.trim_end_matches('Z');
    let at = humantime::parse_rfc3339_weak(utc.strip_suffix("+00:00").unwrap_or(utc)).ok()?;
    Some(now.duration_since(at).map_or(0.0, |d| d.as_secs_f64()))
}

/// A RabbitMQ version as (major, minor, patch); a missing patch is 0.
fn major_minor_patch(version: &str) -> Option<(u32, u32, u32)> {
    let (major, minor) = major_minor(version)?;
    let patch = version
        .split(['.', '-'])
        .nth(2)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    Some((major, minor, patch))
}

/// Whether a queue's `consumer_capacity` is a figure: RabbitMQ 4.3.1 and later report 0 for
/// every quorum queue, whatever its consumers do (4.3.6 gives 0 for an idle consumer that
/// can take deliveries, where 3.10 and 4.0 give 1.0). There it is unknown. An unreadable
/// version is not trusted either.
pub fn consumer_capacity_known(version: &str, queue_type: &str) -> bool {
    queue_type != "quorum" || major_minor_patch(version).is_some_and(|v| v < (4, 3, 1))
}

/// One listener of `/api/overview`.
#[derive(Deserialize, Debug, Default, Clone)]
#[serde(default)]
pub struct Listener {
    pub node: String,
    pub protocol: String,
    pub ip_address: String,
    pub port: Value,
    /// An object on 3.10 for most listeners, `[]` for some; TLS options under `ssl_opts`.
    pub socket_opts: Value,
}

impl Listener {
    /// 3.10 reports listener ports as numbers and context ports as strings.
    pub fn port(&self) -> Option<u16> {
        match &self.port {
            Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
    }

    /// The port as shown to a person (`?` when the broker didn't say).
    pub fn shown_port(&self) -> String {
        self.port().map_or("?".into(), |p| p.to_string())
    }

    /// TLS listeners are named `amqp/ssl`, `mqtt/ssl`, `https`, ... by the broker.
    pub fn is_tls(&self) -> bool {
        self.protocol.ends_with("/ssl")
            || self.protocol == "https"
            || self.protocol.ends_with("/https")
    }

    pub fn is_loopback(&self) -> bool {
        is_loopback(&self.ip_address)
    }

    pub fn is_wildcard(&self) -> bool {
        matches!(self.ip_address.as_str(), "::" | "0.0.0.0" | "")
    }

    /// `protocol host:port`, the object a listener finding names.
    pub fn label(&self) -> String {
        if self.ip_address.contains(':') {
            format!(
                "{} [{}]:{}",
                self.protocol,
                self.ip_address,
                self.shown_port()
            )
        } else {
            format!(
                "{} {}:{}",
                self.protocol,
                self.ip_address,
                self.shown_port()
            )
        }
    }
}

/// One node of `GET /api/nodes`. A figure the broker leaves out (the metrics collector is
/// off, the node is down, or a newer version dropped the field) is `None`: unknown, never 0.
#[derive(Deserialize, Debug, Default, Clone)]
#[serde(default)]
pub struct Node {
    pub name: String,
    /// `disc` or `ram`; 4.x no longer has ram nodes and may leave it out.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub running: Option<bool>,
    /// The nodes this one is partitioned from.
    pub partitions: Option<Vec<String>>,
    pub mem_alarm: Option<bool>,
    pub disk_free_alarm: Option<bool>,
    /// In maintenance mode (`rabbitmq-upgrade drain`): it hosts no leaders or clients.
    pub being_drained: Option<bool>,
    pub mem_limit: Option<u64>,
    pub mem_used: Option<u64>,
    pub disk_free_limit: Option<u64>,
    pub fd_total: Option<u64>,
    pub fd_used: Option<u64>,
    /// Absent with statistics off: unknown, not "none enabled".
    pub auth_mechanisms: Option<Vec<AuthMechanism>>,
    /// Not reported by the management API on 3.x or 4.x; kept so a future version is read.
    pub cluster_partition_handling: Option<String>,
    /// The node's running OTP applications; `rabbit`'s version is the node's.
    pub applications: Option<Vec<Application>>,
}

#[derive(Deserialize, Debug, Default, Clone)]
#[serde(default)]
pub struct Application {
    pub name: String,
    pub version: String,
}

#[derive(Deserialize, Debug, Default, Clone)]
#[serde(default)]
pub struct AuthMechanism {
    pub name: String,
    pub enabled: bool,
}

impl Node {
    /// `GET /api/nodes`; needs the monitoring tag.
    pub async fn list(api: &ManagementApi) -> Result<Vec<Node>> {
        api.list("/api/nodes", Pages::Whole).await
    }

    pub fn is_running(&self) -> bool {
        self.running == Some(true)
    }

    /// The RabbitMQ version the node runs, when it says.
    pub fn rabbitmq_version(&self) -> Option<&str> {
        self.applications
            .as_ref()?
            .iter()
            .find(|a| a.name == "rabbit")
            .map(|a| a.version.as_str())
            .filter(|v| !v.is_empty())
    }
}

/// One queue of `GET /api/queues[/{vhost}[/{name}]]`. Lists read with `disable_stats=true`
/// (or a broker with `management.disable_stats`) leave the statistics and the effective
/// policy out: those are `None` / null, unknown rather than zero.
#[derive(Deserialize, Debug, Default, Clone)]
#[serde(default)]
pub struct Queue {
    pub name: String,
    pub vhost: String,
    pub durable: bool,
    pub exclusive: bool,
    pub auto_delete: bool,
    #[serde(rename = "type")]
    pub kind: String,
    pub arguments: BTreeMap<String, Value>,
    pub policy: Option<String>,
    pub operator_policy: Option<String>,
    /// `{}` with values, or `[]` / `""` when none applies (3.10); absent from lists read with
    /// `disable_stats=true` (the audit fills it in from the policy names).
    pub effective_policy_definition: Value,
    /// Quorum and stream queues: every member node, the online ones, and the leader.
    pub members: Option<Vec<String>>,
    pub online: Option<Vec<String>>,
    pub leader: Option<String>,
    pub consumers: Option<u64>,
    pub messages: Option<u64>,
    pub messages_ready: Option<u64>,
    pub messages_unacknowledged: Option<u64>,
    pub message_stats: Value,
    /// The depth's rate; listed only while the management plugin collects statistics,
    /// which tells a queue that never counted anything (no `message_stats` yet) from one
    /// whose statistics are off.
    pub messages_details: Option<Value>,
    /// The node a classic queue lives on (a quorum queue's leader's, too).
    pub node: Option<String>,
    /// `running`, `idle`, `flow`, `down`, `crashed`, `stopped`, `minority` ...; absent
    /// without statistics.
    pub state: Option<String>,
    /// Since when the queue has done nothing; absent while it is busy.
    pub idle_since: Option<String>,
    /// The share of time the queue could deliver to a consumer at once (see
    /// [`consumer_capacity_known`]).
    pub consumer_capacity: Option<f64>,
}

/// A queue (or any API object) read through a JSON value first: RabbitMQ 3.10 and 4.0 may
/// list a quorum queue's `members`, `online`, `leader` or `node` twice (from its record and
/// from its statistics, when they disagree), which a typed read refuses as a duplicate field;
/// the value keeps the last.
pub fn tolerant<T: serde::de::DeserializeOwned>(value: Value) -> anyhow::Result<T> {
    serde_json::from_value(value).map_err(|e| {
        crate::exit::Error::internal(format!("management API: unexpected queue object: {e}")).into()
    })
}

impl Queue {
    /// A setting from the queue's arguments (`x-<key>`) or its effective policy (`<key>`),
    /// which on 3.x already merges the operator policy.
    pub fn setting(&self, key: &str) -> Option<&Value> {
        self.arguments.get(&format!("x-{key}")).or_else(|| {
            self.effective_policy_definition
                .as_object()
                .and_then(|o| o.get(key))
        })
    }
}

/// One feature flag of `GET /api/feature-flags`.
#[derive(Deserialize, Debug, Default, Clone)]
#[serde(default)]
pub struct FeatureFlag {
    pub name: String,
    pub state: String,
    pub stability: String,
}

/// Where the cluster keeps its metadata (vhosts, users, queues, bindings...): Mnesia, or
/// Khepri once its feature flag `khepri_db` is enabled (optional in 4.0-4.2, the only store
/// from 4.3 on). Partitions, and the checks for them, are Mnesia's.
#[derive(Serialize, Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetadataStore {
    Khepri,
    Mnesia,
}

impl MetadataStore {
    /// From the feature flags; a broker without `khepri_db` (before 3.13) uses Mnesia.
    pub fn of(flags: &[FeatureFlag]) -> MetadataStore {
        if flags
            .iter()
            .any(|f| f.name == "khepri_db" && f.state == "enabled")
        {
            MetadataStore::Khepri
        } else {
            MetadataStore::Mnesia
        }
    }

    pub async fn read(api: &ManagementApi) -> Result<MetadataStore> {
        let flags: Vec<FeatureFlag> = api.list("/api/feature-flags", Pages::Whole).await?;
        Ok(MetadataStore::of(&flags))
    }

    pub fn name(self) -> &'static str {
        match self {
            MetadataStore::Khepri => "Khepri",
            MetadataStore::Mnesia => "Mnesia",
        }
    }
}

/// One entry of `GET /api/deprecated-features/used` (3.13 and later; 404 before).
#[derive(Deserialize, Debug, Default, Clone)]
#[serde(default)]
pub struct DeprecatedFeature {
    pub name: String,
    pub deprecation_phase: String,
    /// `permitted` or `denied` (in `/api/deprecated-features`, not in `/used`).
    pub state: String,
}

/// A verdict of `GET /api/health/checks/...`: 200 is healthy, 503 is not, and the reason
/// is the broker's. The body is kept for the details some checks add (the alarms in
/// effect, the critical queues).
#[derive(Debug, Clone, Default)]
pub struct HealthCheck {
    pub healthy: bool,
    pub reason: String,
    pub body: Value,
}

impl HealthCheck {
    /// Judge an answer read with [`ManagementApi::raw`]; `None` for any status that is not a
    /// verdict (404 from a broker without this check, 401/403, 5xx other than 503).
    pub fn judge(answer: &RawResponse) -> Option<HealthCheck> {
        let healthy = match answer.status {
            200 => true,
            503 => false,
            _ => return None,
        };
        let body: Value = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
        let reason = body
            .get("reason")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| {
                if healthy {
                    String::new()
                } else {
                    answer.body.chars().take(200).collect()
                }
            });
        Some(HealthCheck {
            healthy,
            reason,
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quorum_consumer_capacity_is_unknown_from_4_3_1() {
        for (version, kind, known) in [
            ("3.10.8", "quorum", true),
            ("4.0.5", "quorum", true),
            ("4.3.0", "quorum", true),
            ("4.3.1", "quorum", false),
            ("4.3.6", "quorum", false),
            ("4.4", "quorum", false),
            ("5.0.0-beta.1", "quorum", false),
            ("", "quorum", false),
            ("4.3.6", "classic", true),
            ("", "stream", true),
        ] {
            assert_eq!(
                consumer_capacity_known(version, kind),
                known,
                "{version} {kind}"
            );
        }
    }

    #[test]
    fn overview_decodes_a_real_capture() {
        // Captured from RabbitMQ 3.10.8: see tests/fixtures/README.md for the command.
        let raw = include_str!("../../tests/fixtures/rabbitmq-3.10.8/overview.json");
        let o: Overview = serde_json::from_str(raw).unwrap();
        assert_eq!(o.rabbitmq_version, "3.10.8");
        assert_eq!(o.major(), Some(3));
        assert!(
            o.cluster_name.starts_with("warren-test"),
            "{}",
            o.cluster_name
        );
        let amqp = o
            .listeners
            .as_ref()
            .unwrap()
            .iter()
            .find(|l| l.protocol == "amqp")
            .unwrap();
        assert_eq!(amqp.port(), Some(22120));
        assert!(!amqp.is_tls());
    }

    #[test]
    fn missing_fields_are_unknown_and_string_ports_read() {
        let o: Overview = serde_json::from_str(r#"{"listeners":[{"port":"15672"},{}]}"#).unwrap();
        assert_eq!(o.rabbitmq_version, "");
        assert_eq!(o.major(), None);
        assert_eq!(o.listeners.as_ref().unwrap()[0].port(), Some(15672));
        assert_eq!(o.listeners.as_ref().unwrap()[1].port(), None);
        assert_eq!(o.listeners.as_ref().unwrap()[1].shown_port(), "?");
        assert!(o.exchange_types.is_none());
    }

    #[test]
    fn tls_listeners_are_recognised() {
        let l = |p: &str| Listener {
            protocol: p.into(),
            ..Default::default()
        };
        assert!(l("amqp/ssl").is_tls());
        assert!(l("https").is_tls());
        assert!(!l("amqp").is_tls());
        assert!(!l("clustering").is_tls());
    }

    #[test]
    fn nodes_decode_a_real_capture_and_missing_figures_stay_unknown() {
        let raw = include_str!("../../tests/fixtures/rabbitmq-3.10.8/audit-planted/nodes.json");
        let nodes: Vec<Node> = serde_json::from_str(raw).unwrap();
        let n = &nodes[0];
        assert!(n.is_running());
        assert_eq!(n.kind.as_deref(), Some("disc"));
        assert_eq!(n.mem_alarm, Some(false));
        assert_eq!(n.fd_total, Some(1024));
        assert_eq!(n.partitions.as_deref(), Some(&[][..]));
        assert!(
            n.auth_mechanisms
                .iter()
                .flatten()
                .any(|m| m.name == "PLAIN" && m.enabled)
        );

        let bare: Node = serde_json::from_str(r#"{"name":"n@h"}"#).unwrap();
        assert_eq!(bare.running, None);
        assert!(!bare.is_running());
        assert_eq!(
            (bare.mem_alarm, bare.mem_limit, bare.fd_total),
            (None, None, None)
        );
        assert_eq!(bare.partitions, None);
        assert_eq!(bare.rabbitmq_version(), None);
    }
}

/// One exchange of `GET /api/exchanges[/{vhost}[/{name}]]`.
#[derive(Deserialize, Debug, Default, Clone)]
#[serde(default)]
pub struct Exchange {
    pub vhost: String,
    pub name: String,
    /// `direct`, `topic`, ... or a plugin's type.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub durable: Option<bool>,
    pub auto_delete: Option<bool>,
    pub internal: Option<bool>,
    pub arguments: Map<String, Value>,
}

/// One binding of `GET /api/bindings[/{vhost}]` or an exchange's `bindings/source`.
#[derive(Deserialize, Debug, Default, Clone)]
#[serde(default)]
pub struct Binding {
    pub vhost: String,
    pub source: String,
    pub destination: String,
    /// `queue` or `exchange`.
    pub destination_type: String,
    pub routing_key: String,
    /// As the management API shows them: without their types (`rabbit::headers`).
    pub arguments: Map<String, Value>,
    /// The binding's name in the API's paths (`~` when it has no key and no arguments).
    pub properties_key: Option<String>,
}

impl Binding {
    pub fn to_exchange(&self) -> bool {
        self.destination_type == "exchange"
    }
}

/// One connection of `GET /api/connections`.
#[derive(Deserialize, Debug, Default, Clone)]
#[serde(default)]
pub struct Connection {
    pub name: String,
    pub vhost: String,
    pub user: String,
    /// `network` or `direct` (a plugin's in-node connection, e.g. a local shovel end, which
    /// has no socket, heartbeat or channel count); absent with statistics off.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub peer_host: Value,
    pub ssl: bool,
    /// `AMQP 0-9-1`, `Direct 0-9-1`, `MQTT 3.1.1`, ...; absent with statistics off.
    pub protocol: Option<String>,
    pub channels: Option<u64>,
    pub timeout: Option<u64>,
    pub auth_mechanism: String,
    /// `running`, or `blocked`/`blocking` (an alarm holds its publishes), `flow` (credit
    /// flow slows it); absent without statistics.
    pub state: Option<String>,
    /// What the client said about itself; RabbitMQ's shovel and federation plugins put their
    /// link's name in `connection_name`.
    pub client_properties: Option<Value>,
    /// Milliseconds since the epoch.
    pub connected_at: Option<u64>,
}

impl Connection {
    /// The client's `connection_name` property, if it gave one.
    pub fn client_name(&self) -> Option<&str> {
        self.client_properties
            .as_ref()?
            .get("connection_name")?
            .as_str()
    }

    /// The client's `product` property (RabbitMQ's own Erlang client says `RabbitMQ`).
    pub fn client_product(&self) -> Option<&str> {
        self.client_properties.as_ref()?.get("product")?.as_str()
    }
}

/// One channel of `GET /api/channels`.
#[derive(Deserialize, Debug, Default, Clone)]
#[serde(default)]
pub struct Channel {
    pub name: String,
    pub vhost: String,
    pub user: String,
    pub connection_details: Value,
    /// `running` or `idle` (and `flow`, `closing`); absent without statistics.
    pub state: Option<String>,
    pub idle_since: Option<String>,
    pub prefetch_count: Option<u64>,
    /// basic.qos(global=true). Missing from RabbitMQ 4.0 on (rabbit_channel stopped listing
    /// it, though global qos still works): unknown then, never 0.
    pub global_prefetch_count: Option<u64>,
    pub consumer_count: Option<u64>,
}

/// One consumer of `GET /api/consumers[/{vhost}]`.
#[derive(Deserialize, Debug, Default, Clone)]
#[serde(default)]
pub struct Consumer {
    pub consumer_tag: String,
    pub ack_required: Option<bool>,
    pub prefetch_count: Option<u64>,
    /// Whether the broker delivers to it (single active consumer: one at a time).
    pub active: Option<bool>,
    /// Milliseconds an unacked delivery may wait before the broker closes the channel
    /// (listed from 3.12 on).
    pub consumer_timeout: Option<u64>,
    pub queue: QueueRef,
    pub channel_details: ChannelRef,
}

/// The queue an object belongs to, by name.
#[derive(Deserialize, Debug, Default, Clone)]
#[serde(default)]
pub struct QueueRef {
    pub name: String,
    pub vhost: String,
}

/// The channel an object belongs to, by name.
#[derive(Deserialize, Debug, Default, Clone)]
#[serde(default)]
pub struct ChannelRef {
    pub name: String,
    pub user: String,
    pub connection_name: String,
}
