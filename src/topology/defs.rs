//! The broker's definitions form of a topology: what `GET/POST /api/definitions` speak.
//! Both sides of a diff are in this form. Decoding is tolerant (fields differ between
//! RabbitMQ 3.x and 4.x); serializing produces what the definitions import accepts.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

pub type Arguments = BTreeMap<String, Value>;

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Definitions {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub vhosts: Vec<VhostDef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<UserDef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<PermissionDef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub topic_permissions: Vec<TopicPermissionDef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exchanges: Vec<ExchangeDef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub queues: Vec<QueueDef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bindings: Vec<BindingDef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<PolicyDef>,
    /// Not a key of the broker's format (there they are `parameters`); see [`RawDefinitions`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub operator_policies: Vec<PolicyDef>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct VhostDef {
    pub name: String,
    pub description: Option<String>,
    pub default_queue_type: Option<String>,
    pub limits: Option<BTreeMap<String, i64>>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct UserDef {
    pub name: String,
    pub password_hash: Option<String>,
    pub hashing_algorithm: Option<String>,
    #[serde(deserialize_with = "tags")]
    pub tags: Vec<String>,
    /// Desired side only: the variable holding the password to create the user with.
    #[serde(skip)]
    pub password_env: Option<String>,
}

/// Tags are a list on 3.9+ and a comma-separated string before (and on input).
fn tags<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => s
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(String::from)
            .collect(),
        Value::Array(a) => a
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    })
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct PermissionDef {
    pub user: String,
    pub vhost: String,
    pub configure: String,
    pub write: String,
    pub read: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct TopicPermissionDef {
    pub user: String,
    pub vhost: String,
    pub exchange: String,
    pub write: String,
    pub read: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct ExchangeDef {
    pub name: String,
    pub vhost: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub durable: bool,
    pub auto_delete: bool,
    pub internal: bool,
    pub arguments: Arguments,
}

impl Default for ExchangeDef {
    fn default() -> Self {
        ExchangeDef {
            name: String::new(),
            vhost: "/".into(),
            kind: "direct".into(),
            durable: true,
            auto_delete: false,
            internal: false,
            arguments: Arguments::new(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct QueueDef {
    pub name: String,
    pub vhost: String,
    pub durable: bool,
    pub auto_delete: bool,
    pub arguments: Arguments,
}

impl Default for QueueDef {
    fn default() -> Self {
        QueueDef {
            name: String::new(),
            vhost: "/".into(),
            durable: true,
            auto_delete: false,
            arguments: Arguments::new(),
        }
    }
}

impl QueueDef {
    /// The queue type: `x-queue-type`, or classic when the broker (3.x) left it out.
    pub fn kind(&self) -> &str {
        self.arguments
            .get("x-queue-type")
            .and_then(Value::as_str)
            .unwrap_or("classic")
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct BindingDef {
    pub vhost: String,
    pub source: String,
    pub destination: String,
    pub destination_type: String,
    pub routing_key: String,
    pub arguments: Arguments,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct PolicyDef {
    pub vhost: String,
    pub name: String,
    pub pattern: String,
    #[serde(rename = "apply-to")]
    pub apply_to: String,
    pub priority: i64,
    pub definition: Arguments,
}

/// A definitions document as the broker writes it (`GET /api/definitions[/{vhost}]`, or a
/// file exported from the UI): vhost limits and operator policies live in `parameters`, and a
/// per-vhost export leaves out the `vhost` field of each object.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RawDefinitions {
    vhosts: Vec<RawVhost>,
    users: Vec<UserDef>,
    permissions: Vec<PermissionDef>,
    topic_permissions: Vec<TopicPermissionDef>,
    exchanges: Vec<Object<ExchangeDef>>,
    queues: Vec<Object<QueueDef>>,
    bindings: Vec<Object<BindingDef>>,
    policies: Vec<Object<PolicyDef>>,
    parameters: Vec<Parameter>,
}

#[derive(Deserialize)]
struct Object<T> {
    #[serde(default)]
    vhost: Option<String>,
    #[serde(flatten)]
    inner: T,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawVhost {
    name: String,
    description: Option<String>,
    default_queue_type: Option<String>,
    metadata: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Parameter {
    vhost: String,
    component: String,
    name: String,
    value: Value,
}

/// Built-in exchanges every vhost has: never diffed, exported or pruned.
pub fn is_builtin_exchange(name: &str) -> bool {
    name.is_empty() || name.starts_with("amq.")
}

impl RawDefinitions {
    /// Normalize into [`Definitions`]; objects without a vhost get `default_vhost`.
    pub fn normalize(self, default_vhost: &str) -> Definitions {
        let vh = |v: Option<String>| v.unwrap_or_else(|| default_vhost.to_string());
        let mut out = Definitions {
            users: self.users,
            permissions: self.permissions,
            topic_permissions: self.topic_permissions,
            ..Default::default()
        };
        let mut limits: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
        for p in self.parameters {
            let vhost = if p.vhost.is_empty() {
                default_vhost.to_string()
            } else {
                p.vhost
            };
            match p.component.as_str() {
                "vhost-limits" => {
                    if let Value::Object(m) = &p.value {
                        let entry = limits.entry(vhost).or_default();
                        for (k, v) in m {
                            if let Some(n) = v.as_i64() {
                                entry.insert(k.clone(), n);
                            }
                        }
                    }
                }
                "operator_policy" => {
                    let v = &p.value;
                    out.operator_policies.push(PolicyDef {
                        vhost,
                        name: p.name,
                        pattern: v["pattern"].as_str().unwrap_or_default().to_string(),
                        apply_to: v["apply-to"].as_str().unwrap_or("all").to_string(),
                        priority: v["priority"].as_i64().unwrap_or(0),
                        definition: v["definition"]
                            .as_object()
                            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                            .unwrap_or_default(),
                    });
                }
                _ => {}
            }
        }
        for v in self.vhosts {
            let meta = v.metadata.unwrap_or(Value::Null);
            let description = v
                .description
                .or_else(|| meta["description"].as_str().map(String::from));
            let default_queue_type = v
                .default_queue_type
                .or_else(|| meta["default_queue_type"].as_str().map(String::from))
                .filter(|t| t != "undefined");
            out.vhosts.push(VhostDef {
                limits: limits.remove(&v.name),
                name: v.name,
                description,
                default_queue_type,
            });
        }
        for e in self.exchanges {
            let mut d = e.inner;
            d.vhost = vh(e.vhost);
            if !is_builtin_exchange(&d.name) {
                out.exchanges.push(d);
            }
        }
        for q in self.queues {
            let mut d = q.inner;
            d.vhost = vh(q.vhost);
            out.queues.push(d);
        }
        for b in self.bindings {
            let mut d = b.inner;
            d.vhost = vh(b.vhost);
            if !d.source.is_empty() {
                out.bindings.push(d);
            }
        }
        for p in self.policies {
            let mut d = p.inner;
            d.vhost = vh(p.vhost);
            if d.apply_to.is_empty() {
                d.apply_to = "all".into();
            }
            out.policies.push(d);
        }
        out
    }
}

/// The body of `POST /api/definitions` for these objects: the broker's bulk, additive import.
/// Vhost limits and operator policies travel as `parameters`; users and permissions are
/// sent separately (passwords need resolving).
pub fn import_body(d: &Definitions) -> Value {
    let mut parameters = Vec::new();
    for v in &d.vhosts {
        if let Some(l) = &v.limits
            && !l.is_empty()
        {
            parameters.push(serde_json::json!({
                "vhost": v.vhost_name(), "component": "vhost-limits", "name": "limits", "value": l
            }));
        }
    }
    for p in &d.operator_policies {
        parameters.push(serde_json::json!({
            "vhost": p.vhost, "component": "operator_policy", "name": p.name,
            "value": {"pattern": p.pattern, "apply-to": p.apply_to, "priority": p.priority, "definition": p.definition}
        }));
    }
    serde_json::json!({
        "exchanges": d.exchanges,
        "queues": d.queues,
        "bindings": d.bindings,
        "policies": d.policies,
        "parameters": parameters,
    })
}

impl VhostDef {
    fn vhost_name(&self) -> &str {
        &self.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vhost_export_from_3_10_normalizes() {
        // Captured from RabbitMQ 3.10.8: see tests/fixtures/README.md for the command.
        let raw = include_str!("../../tests/fixtures/rabbitmq-3.10.8/definitions-vhost.json");
        let d: RawDefinitions = serde_json::from_str(raw).unwrap();
        let d = d.normalize("probe");
        assert!(d.exchanges.iter().all(|e| !e.name.starts_with("amq.")));
        let q = d.queues.iter().find(|q| q.name == "q").unwrap();
        assert_eq!(q.vhost, "probe");
        assert_eq!(q.kind(), "quorum");
        assert_eq!(
            d.queues.iter().find(|q| q.name == "c").unwrap().kind(),
            "classic"
        );
        assert_eq!(d.bindings[0].routing_key, "a.#");
        assert_eq!(d.operator_policies[0].name, "op");
        assert_eq!(d.policies[0].apply_to, "queues");
    }

    #[test]
    fn tags_decode_from_a_list_or_a_string() {
        let u: UserDef =
            serde_json::from_str(r#"{"name":"a","tags":"administrator, monitoring"}"#).unwrap();
        assert_eq!(u.tags, ["administrator", "monitoring"]);
        let u: UserDef = serde_json::from_str(r#"{"name":"a","tags":["management"]}"#).unwrap();
        assert_eq!(u.tags, ["management"]);
    }
}
