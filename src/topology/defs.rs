//! The broker's definitions form of a topology: what `GET/POST /api/definitions` speak.
//! Both sides of a diff are in this form. Decoding is tolerant (fields differ between
//! RabbitMQ 3.x and 4.x); serializing produces what the definitions import accepts.

use std::collections::{BTreeMap, BTreeSet};

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
    /// Parameters of component `shovel` (dynamic shovels).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shovels: Vec<ParameterDef>,
    /// Parameters of component `federation-upstream`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub federation_upstreams: Vec<ParameterDef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub global_parameters: Vec<GlobalParameterDef>,
    /// What the document held that these definitions can't: one line per object, for stderr.
    #[serde(skip)]
    pub not_carried: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct VhostDef {
    pub name: String,
    pub description: Option<String>,
    pub default_queue_type: Option<String>,
    pub limits: Option<BTreeMap<String, i64>>,
    /// `None`: not managed (desired) or not reported (live).
    pub tags: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct UserDef {
    pub name: String,
    pub password_hash: Option<String>,
    pub hashing_algorithm: Option<String>,
    #[serde(deserialize_with = "tags")]
    pub tags: Vec<String>,
    /// `max-connections`, `max-channels`; `None` when not managed (desired) or unknown (live).
    /// Read by [`RawDefinitions::normalize`], which reports limits the model can't hold.
    #[serde(skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub limits: Option<BTreeMap<String, i64>>,
    /// Desired side only: the variable holding the password to create the user with.
    #[serde(skip)]
    pub password_env: Option<String>,
}

/// A JSON object, where the broker may write an empty one as `[]` (an Erlang empty proplist)
/// or leave it `null`. Anything else is refused, so the object is reported as not carried.
fn tolerant_map<'de, D: Deserializer<'de>>(d: D) -> Result<Arguments, D::Error> {
    match Value::deserialize(d)? {
        Value::Object(m) => Ok(m.into_iter().collect()),
        Value::Null => Ok(Arguments::new()),
        Value::Array(a) if a.is_empty() => Ok(Arguments::new()),
        other => Err(serde::de::Error::custom(format!(
            "expected a map, found {other}"
        ))),
    }
}

/// A runtime parameter of a vhost (a shovel or a federation upstream): its value as a map.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct ParameterDef {
    pub vhost: String,
    pub name: String,
    pub value: Arguments,
    /// Desired side only: value keys whose URI (with its password) is read from these
    /// environment variables before the plan (see `params::resolve_uri_env`).
    #[serde(skip)]
    pub uri_env: BTreeMap<String, EnvRef>,
}

/// One variable, or one per URI of a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EnvRef {
    One(String),
    Many(Vec<String>),
}

/// A global (cluster-wide) runtime parameter.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct GlobalParameterDef {
    pub name: String,
    pub value: Value,
}

/// Global parameters the broker keeps for itself (`internal_cluster_id`): never carried.
/// RabbitMQ's own export leaves out every name starting with `internal`.
pub fn is_internal_global_parameter(name: &str) -> bool {
    name.starts_with("internal")
}

/// Tags are a list on 3.9+ and a comma-separated string before (and on input).
fn tags<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(tag_list(&Value::deserialize(d)?).unwrap_or_default())
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
    #[serde(deserialize_with = "tolerant_map")]
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
    #[serde(deserialize_with = "tolerant_map")]
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
    #[serde(deserialize_with = "tolerant_map")]
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
    #[serde(deserialize_with = "tolerant_map")]
    pub definition: Arguments,
}

/// A definitions document as the broker writes it (`GET /api/definitions[/{vhost}]`, or a
/// file exported from the UI): vhost limits, operator policies, shovels and federation
/// upstreams live in `parameters`, and a per-vhost export leaves out the `vhost` field of
/// each object. A list item that is not an object makes the document invalid; the fields of
/// each object are decoded on their own, so one odd object is reported (see
/// [`Definitions::not_carried`]) instead of failing the whole document.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RawDefinitions {
    /// The version of the broker that exported the document (`rabbit_version`, or
    /// `rabbitmq_version` in some exports).
    rabbit_version: Option<Value>,
    rabbitmq_version: Option<Value>,
    vhosts: Vec<JsonObject>,
    users: Vec<JsonObject>,
    permissions: Vec<JsonObject>,
    topic_permissions: Vec<JsonObject>,
    exchanges: Vec<JsonObject>,
    queues: Vec<JsonObject>,
    bindings: Vec<JsonObject>,
    policies: Vec<JsonObject>,
    parameters: Vec<JsonObject>,
    global_parameters: Vec<JsonObject>,
}

type JsonObject = serde_json::Map<String, Value>;

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
    tags: Option<Value>,
    metadata: Option<Value>,
    /// 3.11+ exports write the vhost's limits here too (usually empty; the parameters hold them).
    limits: Option<Value>,
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

/// The keys of vhost and user limits the model holds.
pub const VHOST_LIMITS: [&str; 2] = ["max-connections", "max-queues"];
pub const USER_LIMITS: [&str; 2] = ["max-connections", "max-channels"];

/// Tags as a list, or the comma-separated string older brokers and the API's input use.
fn tag_list(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(
            s.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(String::from)
                .collect(),
        ),
        Value::Array(a) => Some(
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect(),
        ),
        _ => None,
    }
}

/// How a raw object is named in a "not carried" line: `queue `q` in vhost `v``.
fn describe_raw(kind: &str, v: &Value, default_vhost: &str) -> String {
    let name = v["name"]
        .as_str()
        .or_else(|| v["user"].as_str())
        .or_else(|| v["source"].as_str())
        .unwrap_or("?");
    match kind {
        "vhost" | "user" | "global parameter" => format!("{kind} `{name}`"),
        _ => format!(
            "{kind} `{name}` in vhost `{}`",
            v["vhost"].as_str().unwrap_or(default_vhost)
        ),
    }
}

/// Decode each object on its own; those that don't decode are noted and left out.
fn decode_each<T: serde::de::DeserializeOwned>(
    kind: &str,
    items: Vec<JsonObject>,
    default_vhost: &str,
    notes: &mut Vec<String>,
) -> Vec<T> {
    items
        .into_iter()
        .map(Value::Object)
        .filter_map(|v| match T::deserialize(&v) {
            Ok(t) => Some(t),
            Err(e) => {
                notes.push(format!(
                    "{}: not carried: {e}",
                    describe_raw(kind, &v, default_vhost)
                ));
                None
            }
        })
        .collect()
}

/// Numeric limits of the known keys; other keys and non-numbers are noted.
fn known_limits(
    what: &str,
    value: &Value,
    keys: &[&str],
    notes: &mut Vec<String>,
) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    if let Value::Object(m) = value {
        let mut odd = Vec::new();
        for (k, v) in m {
            match v.as_i64() {
                Some(n) if keys.contains(&k.as_str()) => {
                    out.insert(k.clone(), n);
                }
                _ => odd.push(format!("`{k}: {v}`")),
            }
        }
        if !odd.is_empty() {
            notes.push(format!("{what}: limit(s) {} not carried", odd.join(", ")));
        }
    } else if !matches!(value, Value::Null) && value.as_array().is_none_or(|a| !a.is_empty()) {
        notes.push(format!("{what}: limits `{value}` not carried (not a map)"));
    }
    out
}

impl RawDefinitions {
    /// Normalize into [`Definitions`]; objects without a vhost get `default_vhost`.
    pub fn normalize(self, default_vhost: &str) -> Definitions {
        let version = self
            .rabbit_version
            .as_ref()
            .or(self.rabbitmq_version.as_ref())
            .and_then(Value::as_str)
            .and_then(crate::broker::api::major_minor);
        let mut n = Normalizing {
            default_vhost,
            notes: Vec::new(),
        };
        let mut out = Definitions {
            users: n.users(self.users),
            permissions: n.decode("permission", self.permissions),
            topic_permissions: n.decode("topic permission", self.topic_permissions),
            ..Definitions::default()
        };
        let vhost_limits = n.parameters(self.parameters, &mut out);
        out.global_parameters = n.global_parameters(self.global_parameters);
        out.vhosts = n.vhosts(self.vhosts, vhost_limits);
        out.exchanges = n.exchanges(self.exchanges);
        out.queues = n.queues(self.queues);
        out.bindings = n.bindings(self.bindings);
        out.policies = n.policies(self.policies);
        note_absent_exchanges(&out, version, &mut n.notes);
        out.not_carried = n.notes;
        out
    }
}

/// One document being normalized: the vhost of objects that name none, and what is not
/// carried, in the order it was found.
struct Normalizing<'a> {
    default_vhost: &'a str,
    notes: Vec<String>,
}

impl Normalizing<'_> {
    fn decode<T: serde::de::DeserializeOwned>(
        &mut self,
        kind: &str,
        items: Vec<JsonObject>,
    ) -> Vec<T> {
        decode_each(kind, items, self.default_vhost, &mut self.notes)
    }

    fn vhost(&self, vhost: Option<String>) -> String {
        vhost.unwrap_or_else(|| self.default_vhost.to_string())
    }

    /// A user's limits are a map (`[]` when empty); what else they hold is reported.
    fn users(&mut self, users: Vec<JsonObject>) -> Vec<UserDef> {
        let mut limits_of = BTreeMap::new();
        let users: Vec<JsonObject> = users
            .into_iter()
            .map(|mut u| {
                if let (Some(name), Some(l)) = (
                    u.get("name").and_then(Value::as_str).map(String::from),
                    u.remove("limits"),
                ) {
                    limits_of.insert(name, l);
                }
                u
            })
            .collect();
        let mut users: Vec<UserDef> = self.decode("user", users);
        for u in &mut users {
            if let Some(l) = limits_of.get(&u.name) {
                let what = format!("user `{}`", u.name);
                u.limits = Some(known_limits(&what, l, &USER_LIMITS, &mut self.notes));
            }
        }
        users
    }

    /// Operator policies, shovels and federation upstreams go into `out`; the vhosts'
    /// limits are returned, by vhost.
    fn parameters(
        &mut self,
        parameters: Vec<JsonObject>,
        out: &mut Definitions,
    ) -> BTreeMap<String, BTreeMap<String, i64>> {
        let mut limits: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
        let parameters: Vec<Parameter> = self.decode("parameter", parameters);
        let notes = &mut self.notes;
        for p in parameters {
            let vhost = if p.vhost.is_empty() {
                self.default_vhost.to_string()
            } else {
                p.vhost
            };
            let what = format!("{} `{}` in vhost `{vhost}`", p.component, p.name);
            let as_map = |notes: &mut Vec<String>| match &p.value {
                Value::Object(m) => Some(m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
                other => {
                    notes.push(format!(
                        "{what}: not carried: its value `{other}` is not a map"
                    ));
                    None
                }
            };
            match p.component.as_str() {
                "vhost-limits" => {
                    let known = known_limits(&format!("vhost `{vhost}`"), &p.value, &VHOST_LIMITS, notes);
                    limits.entry(vhost).or_default().extend(known);
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
                "shovel" | "federation-upstream" => {
                    if let Some(value) = as_map(notes) {
                        let def = ParameterDef {
                            vhost,
                            name: p.name,
                            value,
                            uri_env: BTreeMap::new(),
                        };
                        if p.component == "shovel" {
                            out.shovels.push(def);
                        } else {
                            out.federation_upstreams.push(def);
                        }
                    }
                }
                _ => notes.push(format!(
                    "parameter `{}` of component `{}` in vhost `{vhost}`: not carried (warren has no model for this component)",
                    p.name, p.component
                )),
            }
        }
        limits
    }

    fn global_parameters(&mut self, items: Vec<JsonObject>) -> Vec<GlobalParameterDef> {
        let globals: Vec<GlobalParameterDef> = self.decode("global parameter", items);
        let mut out = Vec::new();
        for g in globals {
            if is_internal_global_parameter(&g.name) {
                self.notes.push(format!(
                    "global parameter `{}`: not carried (the broker's own, set by each cluster)",
                    g.name
                ));
            } else {
                out.push(g);
            }
        }
        out
    }

    /// `limits`: the vhosts' limits from the parameters.
    fn vhosts(
        &mut self,
        items: Vec<JsonObject>,
        mut limits: BTreeMap<String, BTreeMap<String, i64>>,
    ) -> Vec<VhostDef> {
        let vhosts: Vec<RawVhost> = self.decode("vhost", items);
        let mut out = Vec::new();
        for v in vhosts {
            let meta = v.metadata.unwrap_or(Value::Null);
            let description = v
                .description
                .or_else(|| meta["description"].as_str().map(String::from));
            let default_queue_type = v
                .default_queue_type
                .or_else(|| meta["default_queue_type"].as_str().map(String::from))
                .filter(|t| t != "undefined");
            let tags = v
                .tags
                .as_ref()
                .and_then(tag_list)
                .or_else(|| tag_list(&meta["tags"]));
            let mut vhost_limits = limits.remove(&v.name);
            if let Some(l) = &v.limits {
                let what = format!("vhost `{}`", v.name);
                let own = known_limits(&what, l, &VHOST_LIMITS, &mut self.notes);
                if !own.is_empty() {
                    vhost_limits.get_or_insert_default().extend(own);
                }
            }
            out.push(VhostDef {
                limits: vhost_limits,
                name: v.name,
                description,
                default_queue_type,
                tags,
            });
        }
        out
    }

    /// Decode objects that a per-vhost export leaves without their vhost, giving each one.
    fn decode_in_vhost<T: serde::de::DeserializeOwned>(
        &mut self,
        kind: &str,
        items: Vec<JsonObject>,
        vhost_of: fn(&mut T) -> &mut String,
    ) -> Vec<T> {
        let objects: Vec<Object<T>> = self.decode(kind, items);
        (objects.into_iter())
            .map(|o| {
                let mut d = o.inner;
                *vhost_of(&mut d) = self.vhost(o.vhost);
                d
            })
            .collect()
    }

    fn exchanges(&mut self, items: Vec<JsonObject>) -> Vec<ExchangeDef> {
        let mut exchanges =
            self.decode_in_vhost("exchange", items, |e: &mut ExchangeDef| &mut e.vhost);
        exchanges.retain(|e| !is_builtin_exchange(&e.name));
        exchanges
    }

    fn queues(&mut self, items: Vec<JsonObject>) -> Vec<QueueDef> {
        // 4.x exports give a queue's type as `type` too, and may leave it out of the arguments.
        let queues = items.into_iter().map(|mut q| {
            if let Some(t) = q.get("type").and_then(Value::as_str).map(String::from)
                && let Some(args) = q.get_mut("arguments").and_then(Value::as_object_mut)
            {
                args.entry("x-queue-type").or_insert(Value::from(t));
            }
            q
        });
        let queues =
            self.decode_in_vhost("queue", queues.collect(), |q: &mut QueueDef| &mut q.vhost);
        for d in queues.iter().filter(|d| !known_queue_type(d)) {
            self.notes.push(format!(
                "queue `{}` in vhost `{}`: not carried: `x-queue-type: {}` is not a type warren knows ({})",
                d.name,
                d.vhost,
                d.arguments["x-queue-type"],
                QUEUE_TYPES.join(", ")
            ));
        }
        queues
    }

    fn bindings(&mut self, items: Vec<JsonObject>) -> Vec<BindingDef> {
        let mut bindings =
            self.decode_in_vhost("binding", items, |b: &mut BindingDef| &mut b.vhost);
        bindings.retain(|b| !b.source.is_empty());
        bindings
    }

    fn policies(&mut self, items: Vec<JsonObject>) -> Vec<PolicyDef> {
        let mut policies = self.decode_in_vhost("policy", items, |p: &mut PolicyDef| &mut p.vhost);
        for p in policies.iter_mut().filter(|p| p.apply_to.is_empty()) {
            p.apply_to = "all".into();
        }
        policies
    }
}

/// RabbitMQ 4.3 leaves internal exchanges out of its definitions export: say so for an
/// export of 4.3 or later, and name each exchange a binding uses that the document lacks.
fn note_absent_exchanges(d: &Definitions, version: Option<(u32, u32)>, notes: &mut Vec<String>) {
    let declared: BTreeSet<(&str, &str)> = d
        .exchanges
        .iter()
        .map(|x| (x.vhost.as_str(), x.name.as_str()))
        .collect();
    let mut absent = BTreeSet::new();
    for b in &d.bindings {
        let exchanges = std::iter::once(b.source.as_str())
            .chain((b.destination_type == "exchange").then_some(b.destination.as_str()));
        for name in exchanges {
            if !is_builtin_exchange(name) && !declared.contains(&(b.vhost.as_str(), name)) {
                absent.insert((b.vhost.clone(), name.to_string()));
            }
        }
    }
    for (vhost, name) in &absent {
        notes.push(format!(
            "exchange `{name}` in vhost `{vhost}`: bound, but not in the document (RabbitMQ \
             4.3 and later leave internal exchanges out of definitions exports); declare it, or \
             take the topology with `warren topology export`, which reads it from the broker"
        ));
    }
    if version.is_some_and(|v| v >= (4, 3)) {
        notes.push(
            "the document comes from RabbitMQ 4.3 or later, whose definitions export leaves \
             out internal exchanges: `warren topology export` reads them from the broker"
                .into(),
        );
    }
}

/// Whether a queue's `x-queue-type` is one the model holds (absent counts: the vhost decides).
pub fn known_queue_type(q: &QueueDef) -> bool {
    q.arguments
        .get("x-queue-type")
        .is_none_or(|t| t.as_str().is_some_and(|t| QUEUE_TYPES.contains(&t)))
}

/// The queue types the model holds.
pub const QUEUE_TYPES: [&str; 3] = ["classic", "quorum", "stream"];

/// Give every queue without `x-queue-type` the type the broker would: its vhost's default
/// queue type, taken from the vhosts `desired` declares, else from the `live` vhost. Called
/// once the live state is known, so the plan and the import say the type (RabbitMQ 3.x's
/// definitions import ignores the vhost's default). Where neither names a default the queue
/// stays untyped: the broker makes it classic (the diff reads a missing type as classic),
/// and stores it without a type, as it would have stored the original.
pub fn resolve_queue_types(desired: &mut Definitions, live: &Definitions) {
    let vhosts: Vec<VhostDef> = desired.vhosts.clone();
    fill_queue_types(&mut desired.queues, &|vhost| {
        vhost_default(&vhosts, vhost).or_else(|| vhost_default(&live.vhosts, vhost))
    });
}

/// Convert: untyped queues of a vhost the document gives a default queue type get that
/// type, as RabbitMQ 4.0's import does; the others stay untyped (the target vhost decides).
pub fn apply_declared_queue_types(d: &mut Definitions) {
    let vhosts = d.vhosts.clone();
    fill_queue_types(&mut d.queues, &|vhost| vhost_default(&vhosts, vhost));
}

fn vhost_default(vhosts: &[VhostDef], name: &str) -> Option<String> {
    vhosts
        .iter()
        .find(|v| v.name == name)
        .and_then(|v| v.default_queue_type.clone())
}

fn fill_queue_types(queues: &mut [QueueDef], default: &dyn Fn(&str) -> Option<String>) {
    for q in queues {
        if !q.arguments.contains_key("x-queue-type")
            && let Some(t) = default(&q.vhost)
        {
            q.arguments.insert("x-queue-type".into(), Value::from(t));
        }
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
#[path = "tests/defs.rs"]
mod tests;
