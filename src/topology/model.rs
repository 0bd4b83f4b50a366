//! The topology YAML schema: what an operator writes, validated strictly (unknown keys are
//! rejected). Its translation into the broker's definitions form is in `translate`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::defs;

/// Where an object was declared, for error messages: `file:line:column`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

pub type Arguments = BTreeMap<String, Value>;

fn default_vhost() -> String {
    "/".into()
}
fn yes() -> bool {
    true
}
fn is_true(b: &bool) -> bool {
    *b
}
fn is_false(b: &bool) -> bool {
    !*b
}

/// A whole topology: one file, or several merged.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topology {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vhosts: Vec<Vhost>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<User>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<Permission>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topic_permissions: Vec<TopicPermission>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exchanges: Vec<Exchange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queues: Vec<Queue>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bindings: Vec<Binding>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<Policy>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operator_policies: Vec<Policy>,
    /// Dynamic shovels (runtime parameters of component `shovel`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shovels: Vec<Parameter>,
    /// Federation upstreams (runtime parameters of component `federation-upstream`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub federation_upstreams: Vec<Parameter>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub global_parameters: Vec<GlobalParameter>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vhost {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_queue_type: Option<QueueType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<Limits>,
    /// Absent: the vhost's tags are left as they are; `[]` removes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(skip)]
    pub origin: Origin,
}

/// A kind of limits: `max_connections` and a second field, each `Option<i64>` that also
/// reads in the broker's spelling (`max-connections`), and is left out when unset.
macro_rules! limits {
    ($(#[$doc:meta])* $kind:ident, $second:ident, $second_key:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $kind {
            #[serde(default, alias = "max-connections", skip_serializing_if = "Option::is_none")]
            pub max_connections: Option<i64>,
            #[serde(default, alias = $second_key, skip_serializing_if = "Option::is_none")]
            pub $second: Option<i64>,
        }
    };
}
limits!(
    /// A vhost's limits.
    Limits, max_queues, "max-queues"
);
limits!(
    /// A user's limits.
    UserLimits, max_channels, "max-channels"
);

/// A kind of limits (a vhost's, a user's): the values of its fields in the order of their
/// broker keys, `KEYS`, which are the ones the definitions form carries.
pub trait LimitSet {
    const KEYS: [&'static str; 2];
    fn values(&self) -> [Option<i64>; 2];
    fn from_values(values: [Option<i64>; 2]) -> Self;
}

/// The two fields of a kind of limits, in the order of its keys.
macro_rules! limit_set {
    ($kind:ident, $keys:expr, $first:ident, $second:ident) => {
        impl LimitSet for $kind {
            const KEYS: [&'static str; 2] = $keys;
            fn values(&self) -> [Option<i64>; 2] {
                [self.$first, self.$second]
            }
            fn from_values([$first, $second]: [Option<i64>; 2]) -> Self {
                $kind { $first, $second }
            }
        }
    };
}
limit_set!(Limits, defs::VHOST_LIMITS, max_connections, max_queues);
limit_set!(UserLimits, defs::USER_LIMITS, max_connections, max_channels);

/// A user. The password never appears in the file: it comes from an environment variable
/// (`password_env`) or is given as the broker's hash (`password_hash`). A user with neither
/// is created without a password (e.g. for x509 authentication).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hashing_algorithm: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<UserLimits>,
    #[serde(skip)]
    pub origin: Origin,
}

/// A runtime parameter of a vhost: a shovel or a federation upstream. `value` is the
/// broker's own (e.g. `src-uri`, `src-queue`, `ack-mode`; or `uri`, `max-hops`). A URI that
/// holds a password is never written here: `uri_env` names the environment variable that
/// holds it, by value key (`src-uri: SHOVEL_MOVE_SRC_URI`, or a list for a list of URIs).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    pub name: String,
    #[serde(default = "default_vhost")]
    pub vhost: String,
    #[serde(default)]
    pub value: Arguments,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub uri_env: BTreeMap<String, defs::EnvRef>,
    #[serde(skip)]
    pub origin: Origin,
}

/// A cluster-wide runtime parameter (e.g. `cluster_name`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GlobalParameter {
    pub name: String,
    pub value: Value,
    #[serde(skip)]
    pub origin: Origin,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Permission {
    pub user: String,
    #[serde(default = "default_vhost")]
    pub vhost: String,
    pub configure: String,
    pub write: String,
    pub read: String,
    #[serde(skip)]
    pub origin: Origin,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicPermission {
    pub user: String,
    #[serde(default = "default_vhost")]
    pub vhost: String,
    pub exchange: String,
    pub write: String,
    pub read: String,
    #[serde(skip)]
    pub origin: Origin,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exchange {
    pub name: String,
    #[serde(default = "default_vhost")]
    pub vhost: String,
    /// `direct`, `fanout`, `topic`, `headers`, or a plugin's type such as `x-consistent-hash`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub durable: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub auto_delete: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub internal: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternate_exchange: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub arguments: Arguments,
    #[serde(skip)]
    pub origin: Origin,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QueueType {
    #[default]
    Classic,
    Quorum,
    Stream,
}

impl QueueType {
    pub fn as_str(self) -> &'static str {
        match self {
            QueueType::Classic => "classic",
            QueueType::Quorum => "quorum",
            QueueType::Stream => "stream",
        }
    }
    pub fn parse(s: &str) -> Option<QueueType> {
        match s {
            "classic" => Some(QueueType::Classic),
            "quorum" => Some(QueueType::Quorum),
            "stream" => Some(QueueType::Stream),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Overflow {
    DropHead,
    RejectPublish,
    RejectPublishDlx,
}

impl Overflow {
    pub fn as_str(self) -> &'static str {
        match self {
            Overflow::DropHead => "drop-head",
            Overflow::RejectPublish => "reject-publish",
            Overflow::RejectPublishDlx => "reject-publish-dlx",
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Queue {
    pub name: String,
    #[serde(default = "default_vhost")]
    pub vhost: String,
    /// Absent: the vhost's default queue type, as the broker does (classic when it has none).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<QueueType>,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub durable: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub auto_delete: bool,
    /// Only for lint: an exclusive queue belongs to one connection and can't be managed here.
    #[serde(default, skip_serializing_if = "is_false")]
    pub exclusive: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_letter_exchange: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_letter_routing_key: Option<String>,
    /// Milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_ttl: Option<u64>,
    /// Milliseconds of disuse after which the queue is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overflow: Option<Overflow>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_limit: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub single_active_consumer: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_priority: Option<u64>,
    /// Any other `x-` argument, passed through as written.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub arguments: Arguments,
    #[serde(skip)]
    pub origin: Origin,
}

/// The typed queue fields and the `x-` arguments they stand for.
pub const TYPED_QUEUE_ARGS: [(&str, &str); 10] = [
    ("dead_letter_exchange", "x-dead-letter-exchange"),
    ("dead_letter_routing_key", "x-dead-letter-routing-key"),
    ("message_ttl", "x-message-ttl"),
    ("expires", "x-expires"),
    ("max_length", "x-max-length"),
    ("max_length_bytes", "x-max-length-bytes"),
    ("overflow", "x-overflow"),
    ("delivery_limit", "x-delivery-limit"),
    ("single_active_consumer", "x-single-active-consumer"),
    ("max_priority", "x-max-priority"),
];

impl Queue {
    /// Every argument the queue is declared with, typed fields included, except `x-queue-type`.
    pub fn all_arguments(&self) -> Arguments {
        let mut args = self.arguments.clone();
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                args.insert(k.to_string(), v);
            }
        };
        put(
            "x-dead-letter-exchange",
            self.dead_letter_exchange.clone().map(Value::from),
        );
        put(
            "x-dead-letter-routing-key",
            self.dead_letter_routing_key.clone().map(Value::from),
        );
        put("x-message-ttl", self.message_ttl.map(Value::from));
        put("x-expires", self.expires.map(Value::from));
        put("x-max-length", self.max_length.map(Value::from));
        put("x-max-length-bytes", self.max_length_bytes.map(Value::from));
        put("x-overflow", self.overflow.map(|o| Value::from(o.as_str())));
        put("x-delivery-limit", self.delivery_limit.map(Value::from));
        put(
            "x-single-active-consumer",
            self.single_active_consumer.map(Value::from),
        );
        put("x-max-priority", self.max_priority.map(Value::from));
        args
    }

    /// Build a queue from broker arguments, lifting the common ones into typed fields
    /// when their value has the expected type.
    pub fn from_arguments(
        name: &str,
        vhost: &str,
        kind: Option<QueueType>,
        args: &Arguments,
    ) -> Queue {
        let mut q = Queue {
            name: name.to_string(),
            vhost: vhost.to_string(),
            kind,
            durable: true,
            ..Default::default()
        };
        for (key, value) in args {
            let lifted = match key.as_str() {
                "x-dead-letter-exchange" => value
                    .as_str()
                    .map(|s| q.dead_letter_exchange = Some(s.into())),
                "x-dead-letter-routing-key" => value
                    .as_str()
                    .map(|s| q.dead_letter_routing_key = Some(s.into())),
                "x-message-ttl" => value.as_u64().map(|n| q.message_ttl = Some(n)),
                "x-expires" => value.as_u64().map(|n| q.expires = Some(n)),
                "x-max-length" => value.as_u64().map(|n| q.max_length = Some(n)),
                "x-max-length-bytes" => value.as_u64().map(|n| q.max_length_bytes = Some(n)),
                "x-overflow" => {
                    let parsed = match value.as_str() {
                        Some("drop-head") => Some(Overflow::DropHead),
                        Some("reject-publish") => Some(Overflow::RejectPublish),
                        Some("reject-publish-dlx") => Some(Overflow::RejectPublishDlx),
                        _ => None,
                    };
                    parsed.map(|o| q.overflow = Some(o))
                }
                "x-delivery-limit" => value.as_u64().map(|n| q.delivery_limit = Some(n)),
                "x-single-active-consumer" => {
                    value.as_bool().map(|b| q.single_active_consumer = Some(b))
                }
                "x-max-priority" => value.as_u64().map(|n| q.max_priority = Some(n)),
                _ => None,
            };
            if lifted.is_none() {
                q.arguments.insert(key.clone(), value.clone());
            }
        }
        q
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DestinationType {
    #[default]
    Queue,
    Exchange,
}

impl DestinationType {
    pub fn as_str(self) -> &'static str {
        match self {
            DestinationType::Queue => "queue",
            DestinationType::Exchange => "exchange",
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Binding {
    #[serde(default = "default_vhost")]
    pub vhost: String,
    pub source: String,
    pub destination: String,
    #[serde(default)]
    pub destination_type: DestinationType,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub routing_key: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub arguments: Arguments,
    #[serde(skip)]
    pub origin: Origin,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplyTo {
    #[default]
    All,
    Queues,
    Exchanges,
    ClassicQueues,
    QuorumQueues,
    Streams,
}

impl ApplyTo {
    pub fn as_str(self) -> &'static str {
        match self {
            ApplyTo::All => "all",
            ApplyTo::Queues => "queues",
            ApplyTo::Exchanges => "exchanges",
            ApplyTo::ClassicQueues => "classic_queues",
            ApplyTo::QuorumQueues => "quorum_queues",
            ApplyTo::Streams => "streams",
        }
    }
    pub fn parse(s: &str) -> ApplyTo {
        match s {
            "queues" => ApplyTo::Queues,
            "exchanges" => ApplyTo::Exchanges,
            "classic_queues" => ApplyTo::ClassicQueues,
            "quorum_queues" => ApplyTo::QuorumQueues,
            "streams" => ApplyTo::Streams,
            _ => ApplyTo::All,
        }
    }
    fn is_all(&self) -> bool {
        *self == ApplyTo::All
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub name: String,
    #[serde(default = "default_vhost")]
    pub vhost: String,
    pub pattern: String,
    #[serde(default, skip_serializing_if = "ApplyTo::is_all")]
    pub apply_to: ApplyTo,
    #[serde(default)]
    pub priority: i64,
    pub definition: Arguments,
    #[serde(skip)]
    pub origin: Origin,
}

impl Topology {
    /// Every vhost the topology touches: declared ones and those its objects live in.
    pub fn managed_vhosts(&self) -> std::collections::BTreeSet<String> {
        let mut all: std::collections::BTreeSet<String> =
            self.vhosts.iter().map(|v| v.name.clone()).collect();
        all.extend(self.permissions.iter().map(|o| o.vhost.clone()));
        all.extend(self.topic_permissions.iter().map(|o| o.vhost.clone()));
        all.extend(self.exchanges.iter().map(|o| o.vhost.clone()));
        all.extend(self.queues.iter().map(|o| o.vhost.clone()));
        all.extend(self.bindings.iter().map(|o| o.vhost.clone()));
        all.extend(self.policies.iter().map(|o| o.vhost.clone()));
        all.extend(self.operator_policies.iter().map(|o| o.vhost.clone()));
        all.extend(self.shovels.iter().map(|o| o.vhost.clone()));
        all.extend(self.federation_upstreams.iter().map(|o| o.vhost.clone()));
        all
    }

    /// A queue's type: its own, else its declared vhost's default, else classic.
    pub fn queue_type(&self, q: &Queue) -> QueueType {
        q.kind
            .or_else(|| {
                self.vhosts
                    .iter()
                    .find(|v| v.name == q.vhost)
                    .and_then(|v| v.default_queue_type)
            })
            .unwrap_or_default()
    }
}
