//! The diff between a desired topology and the live one, both in definitions form. Pure: no
//! I/O. Broker-added defaults are not drift (a missing `x-queue-type` means classic, values a
//! policy applies never show in a queue's own arguments).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use serde_json::Value;

use super::defs::{
    Arguments, BindingDef, Definitions, ExchangeDef, GlobalParameterDef, ParameterDef,
    PermissionDef, PolicyDef, QueueDef, TopicPermissionDef, UserDef, VhostDef,
};
use super::defs::{USER_LIMITS, VHOST_LIMITS};
use super::params::redacted_value;
use crate::output::{self, Render};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    Replace,
    Delete,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Vhost,
    User,
    Permission,
    TopicPermission,
    Exchange,
    Queue,
    Binding,
    Policy,
    OperatorPolicy,
    Shovel,
    FederationUpstream,
    GlobalParameter,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Vhost => "vhost",
            Kind::User => "user",
            Kind::Permission => "permission",
            Kind::TopicPermission => "topic_permission",
            Kind::Exchange => "exchange",
            Kind::Queue => "queue",
            Kind::Binding => "binding",
            Kind::Policy => "policy",
            Kind::OperatorPolicy => "operator_policy",
            Kind::Shovel => "shovel",
            Kind::FederationUpstream => "federation_upstream",
            Kind::GlobalParameter => "global_parameter",
        }
    }
}

/// One object as it is (live) or should be (desired).
#[derive(Clone, Debug)]
pub enum Object {
    Vhost(VhostDef),
    User(UserDef),
    Permission(PermissionDef),
    TopicPermission(TopicPermissionDef),
    Exchange(ExchangeDef),
    Queue(QueueDef),
    Binding(BindingDef),
    Policy(PolicyDef),
    OperatorPolicy(PolicyDef),
    Shovel(ParameterDef),
    FederationUpstream(ParameterDef),
    GlobalParameter(GlobalParameterDef),
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FieldChange {
    pub field: String,
    pub from: Value,
    pub to: Value,
}

#[derive(Clone, Debug, Serialize)]
pub struct Change {
    pub action: Action,
    pub kind: Kind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vhost: Option<String>,
    pub name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
    /// Messages in a queue that is replaced or deleted (filled in from the live broker).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(skip)]
    pub desired: Option<Object>,
    #[serde(skip)]
    pub live: Option<Object>,
}

impl Change {
    fn new(action: Action, kind: Kind, vhost: Option<&str>, name: String) -> Change {
        Change {
            action,
            kind,
            vhost: vhost.map(String::from),
            name,
            fields: Vec::new(),
            messages: None,
            note: None,
            desired: None,
            live: None,
        }
    }
}

/// What `apply` would do, and what it leaves alone.
#[derive(Clone, Debug, Serialize, Default)]
pub struct Plan {
    pub changes: Vec<Change>,
    /// Objects in the managed vhosts that the files don't declare; deleted only with `--prune`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub undeclared: Vec<Change>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// Equality of JSON values where `1` and `1.0` are the same number.
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn field(changes: &mut Vec<FieldChange>, name: &str, from: Value, to: Value) {
    if !same(&from, &to) {
        changes.push(FieldChange {
            field: name.to_string(),
            from,
            to,
        });
    }
}

fn map_fields(changes: &mut Vec<FieldChange>, prefix: &str, live: &Arguments, desired: &Arguments) {
    let keys: BTreeSet<&String> = live.keys().chain(desired.keys()).collect();
    for k in keys {
        let from = live.get(k).cloned().unwrap_or(Value::Null);
        let to = desired.get(k).cloned().unwrap_or(Value::Null);
        field(changes, &format!("{prefix}.{k}"), from, to);
    }
}

/// The queue arguments a policy can carry instead (so changing them needs no new queue).
pub const POLICY_CARRIED: [(&str, &str); 8] = [
    ("x-dead-letter-exchange", "dead-letter-exchange"),
    ("x-dead-letter-routing-key", "dead-letter-routing-key"),
    ("x-message-ttl", "message-ttl"),
    ("x-expires", "expires"),
    ("x-max-length", "max-length"),
    ("x-max-length-bytes", "max-length-bytes"),
    ("x-overflow", "overflow"),
    ("x-delivery-limit", "delivery-limit"),
];

pub fn binding_name(b: &BindingDef) -> String {
    let mut s = format!("{} -> {} {}", b.source, b.destination_type, b.destination);
    if !b.routing_key.is_empty() {
        s.push_str(&format!(" [{}]", b.routing_key));
    }
    if !b.arguments.is_empty() {
        s.push_str(&format!(
            " {}",
            serde_json::to_string(&b.arguments).unwrap_or_default()
        ));
    }
    s
}

fn binding_key(b: &BindingDef) -> String {
    format!(
        "{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}",
        b.vhost,
        b.source,
        b.destination_type,
        b.destination,
        b.routing_key,
        serde_json::to_string(&b.arguments).unwrap_or_default()
    )
}

/// How one kind of object is keyed, named, compared and wrapped, for [`keyed`].
struct Spec<'a, T> {
    kind: Kind,
    key: &'a dyn Fn(&T) -> String,
    vhost: &'a dyn Fn(&T) -> Option<String>,
    name: &'a dyn Fn(&T) -> String,
    wrap: &'a dyn Fn(&T) -> Object,
    /// The differing fields of (live, desired).
    compare: &'a dyn Fn(&T, &T) -> Vec<FieldChange>,
    /// What a difference means: update, or replace for properties fixed at declaration.
    on_change: Action,
    /// Whether an undeclared live object is ours to list (and prune).
    prunable: &'a dyn Fn(&T) -> bool,
}

/// Diff one kind of object: create what is missing, update or replace what differs, and
/// list undeclared live objects.
fn keyed<T>(desired: &[T], live: &[T], spec: &Spec<T>, plan: &mut Plan) {
    let live_by_key: HashMap<String, &T> = live.iter().map(|l| ((spec.key)(l), l)).collect();
    let mut wanted = BTreeSet::new();
    for d in desired {
        let key = (spec.key)(d);
        let vhost = (spec.vhost)(d);
        let change = match live_by_key.get(&key) {
            None => Some(Change::new(
                Action::Create,
                spec.kind,
                vhost.as_deref(),
                (spec.name)(d),
            )),
            Some(l) => {
                let fields = (spec.compare)(l, d);
                (!fields.is_empty()).then(|| {
                    let mut c =
                        Change::new(spec.on_change, spec.kind, vhost.as_deref(), (spec.name)(d));
                    c.fields = fields;
                    c.live = Some((spec.wrap)(l));
                    c
                })
            }
        };
        if let Some(mut c) = change {
            c.desired = Some((spec.wrap)(d));
            plan.changes.push(c);
        }
        wanted.insert(key);
    }
    for l in live {
        if (spec.prunable)(l) && !wanted.contains(&(spec.key)(l)) {
            let mut c = Change::new(
                Action::Delete,
                spec.kind,
                (spec.vhost)(l).as_deref(),
                (spec.name)(l),
            );
            c.live = Some((spec.wrap)(l));
            plan.undeclared.push(c);
        }
    }
}

fn compare_with(f: impl Fn(&mut Vec<FieldChange>)) -> Vec<FieldChange> {
    let mut out = Vec::new();
    f(&mut out);
    out
}

fn sorted(tags: &[String]) -> Value {
    let mut t = tags.to_vec();
    t.sort();
    Value::from(t)
}

/// Compare `desired` with `live`. `managed` vhosts are those whose undeclared objects are
/// listed (and pruned on request); permissions are only pruned for users the files declare.
/// Vhosts and users are created or updated, never deleted.
pub fn diff(
    desired: &Definitions,
    live: &Definitions,
    managed: &BTreeSet<String>,
    prune: bool,
) -> Plan {
    let mut plan = Plan::default();
    let scope = Scope {
        managed,
        declared_users: desired.users.iter().map(|u| u.name.as_str()).collect(),
    };
    vhosts(&desired.vhosts, &live.vhosts, &mut plan);
    users(&desired.users, &live.users, &mut plan);
    permissions(&desired.permissions, &live.permissions, &scope, &mut plan);
    topic_permissions(
        &desired.topic_permissions,
        &live.topic_permissions,
        &scope,
        &mut plan,
    );
    exchanges(&desired.exchanges, &live.exchanges, &scope, &mut plan);
    queues(&desired.queues, &live.queues, &scope, &mut plan);
    bindings(&desired.bindings, &live.bindings, &scope, &mut plan);
    let (d, l, s, p) = (desired, live, &scope, &mut plan);
    updated_in_vhost(&policies(Kind::Policy), &d.policies, &l.policies, s, p);
    let operator = policies(Kind::OperatorPolicy);
    updated_in_vhost(&operator, &d.operator_policies, &l.operator_policies, s, p);
    updated_in_vhost(&parameters(Kind::Shovel), &d.shovels, &l.shovels, s, p);
    let upstream = parameters(Kind::FederationUpstream);
    updated_in_vhost(
        &upstream,
        &d.federation_upstreams,
        &l.federation_upstreams,
        s,
        p,
    );
    global_parameters(
        &desired.global_parameters,
        &live.global_parameters,
        &mut plan,
    );

    if prune {
        let mut undeclared = std::mem::take(&mut plan.undeclared);
        plan.changes.append(&mut undeclared);
    }
    plan
}

/// Which undeclared live objects are ours to list (and prune).
struct Scope<'a> {
    managed: &'a BTreeSet<String>,
    declared_users: BTreeSet<&'a str>,
}

impl Scope<'_> {
    fn vhost(&self, vhost: &str) -> bool {
        self.managed.contains(vhost)
    }

    /// A permission is ours in a managed vhost, for a user the files declare.
    fn user(&self, vhost: &str, user: &str) -> bool {
        self.vhost(vhost) && self.declared_users.contains(user)
    }
}

/// The key of an object named within its vhost.
fn in_vhost(vhost: &str, name: &str) -> String {
    format!("{vhost}\u{0}{name}")
}

fn vhosts(desired: &[VhostDef], live: &[VhostDef], plan: &mut Plan) {
    let first = plan.changes.len();
    keyed(
        desired,
        live,
        &Spec {
            kind: Kind::Vhost,
            key: &|v: &VhostDef| v.name.clone(),
            vhost: &|_| None,
            name: &|v| v.name.clone(),
            wrap: &|v| Object::Vhost(v.clone()),
            compare: &|l, d| {
                compare_with(|f| {
                    if let Some(desc) = &d.description {
                        field(
                            f,
                            "description",
                            l.description.clone().unwrap_or_default().into(),
                            desc.clone().into(),
                        );
                    }
                    if let Some(t) = &d.default_queue_type {
                        // A vhost without a default queue type makes classic queues.
                        let current = l
                            .default_queue_type
                            .clone()
                            .unwrap_or_else(|| "classic".into());
                        field(f, "default_queue_type", current.into(), t.clone().into());
                    }
                    limit_fields(f, l.limits.as_ref(), d.limits.as_ref(), &VHOST_LIMITS);
                    if let Some(tags) = &d.tags {
                        let live_tags = l.tags.clone().unwrap_or_default();
                        field(f, "tags", sorted(&live_tags), sorted(tags));
                    }
                })
            },
            on_change: Action::Update,
            prunable: &|_| false,
        },
        plan,
    );
    for c in &mut plan.changes[first..] {
        if c.fields.iter().any(|f| f.field == "default_queue_type") {
            c.note = Some("RabbitMQ 3.x sets a vhost's default queue type only when it is created; 4.x can change it".into());
        }
    }
}

fn users(desired: &[UserDef], live: &[UserDef], plan: &mut Plan) {
    keyed(
        desired,
        live,
        &Spec {
            kind: Kind::User,
            key: &|u: &UserDef| u.name.clone(),
            vhost: &|_| None,
            name: &|u| u.name.clone(),
            wrap: &|u| Object::User(u.clone()),
            compare: &|l, d| {
                compare_with(|f| {
                    field(f, "tags", sorted(&l.tags), sorted(&d.tags));
                    if let Some(h) = &d.password_hash
                        && l.password_hash.as_deref() != Some(h)
                    {
                        // The hashes themselves are credentials: never print them.
                        field(
                            f,
                            "password_hash",
                            "(hidden)".into(),
                            "(hidden, changed)".into(),
                        );
                    }
                    limit_fields(f, l.limits.as_ref(), d.limits.as_ref(), &USER_LIMITS);
                })
            },
            on_change: Action::Update,
            prunable: &|_| false,
        },
        plan,
    );
}

/// The `write` and `read` patterns both kinds of permission have.
fn access_fields(f: &mut Vec<FieldChange>, live: [&str; 2], desired: [&str; 2]) {
    field(f, "write", live[0].into(), desired[0].into());
    field(f, "read", live[1].into(), desired[1].into());
}

fn permissions(desired: &[PermissionDef], live: &[PermissionDef], scope: &Scope, plan: &mut Plan) {
    keyed(
        desired,
        live,
        &Spec {
            kind: Kind::Permission,
            key: &|p: &PermissionDef| in_vhost(&p.vhost, &p.user),
            vhost: &|p| Some(p.vhost.clone()),
            name: &|p| p.user.clone(),
            wrap: &|p| Object::Permission(p.clone()),
            compare: &|l, d| {
                compare_with(|f| {
                    field(
                        f,
                        "configure",
                        l.configure.clone().into(),
                        d.configure.clone().into(),
                    );
                    access_fields(f, [&l.write, &l.read], [&d.write, &d.read]);
                })
            },
            on_change: Action::Update,
            prunable: &|p| scope.user(&p.vhost, &p.user),
        },
        plan,
    );
}

fn topic_permissions(
    desired: &[TopicPermissionDef],
    live: &[TopicPermissionDef],
    scope: &Scope,
    plan: &mut Plan,
) {
    keyed(
        desired,
        live,
        &Spec {
            kind: Kind::TopicPermission,
            key: &|p: &TopicPermissionDef| format!("{}\u{0}{}\u{0}{}", p.vhost, p.user, p.exchange),
            vhost: &|p| Some(p.vhost.clone()),
            name: &|p| format!("{} on {}", p.user, p.exchange),
            wrap: &|p| Object::TopicPermission(p.clone()),
            compare: &|l, d| {
                compare_with(|f| access_fields(f, [&l.write, &l.read], [&d.write, &d.read]))
            },
            on_change: Action::Update,
            prunable: &|p| scope.user(&p.vhost, &p.user),
        },
        plan,
    );
}

/// Exchange properties are fixed at declaration, so a difference is a replace.
fn exchanges(desired: &[ExchangeDef], live: &[ExchangeDef], scope: &Scope, plan: &mut Plan) {
    keyed(
        desired,
        live,
        &Spec {
            kind: Kind::Exchange,
            key: &|e: &ExchangeDef| in_vhost(&e.vhost, &e.name),
            vhost: &|e| Some(e.vhost.clone()),
            name: &|e| e.name.clone(),
            wrap: &|e| Object::Exchange(e.clone()),
            compare: &|l, d| {
                compare_with(|f| {
                    field(f, "type", l.kind.clone().into(), d.kind.clone().into());
                    field(f, "durable", l.durable.into(), d.durable.into());
                    field(f, "auto_delete", l.auto_delete.into(), d.auto_delete.into());
                    field(f, "internal", l.internal.into(), d.internal.into());
                    map_fields(f, "arguments", &l.arguments, &d.arguments);
                })
            },
            on_change: Action::Replace,
            prunable: &|e| scope.vhost(&e.vhost) && !super::defs::is_builtin_exchange(&e.name),
        },
        plan,
    );
}

/// So are a queue's type, durability and arguments.
fn queues(desired: &[QueueDef], live: &[QueueDef], scope: &Scope, plan: &mut Plan) {
    let strip = |a: &Arguments| {
        let mut a = a.clone();
        a.remove("x-queue-type");
        a
    };
    let first = plan.changes.len();
    keyed(
        desired,
        live,
        &Spec {
            kind: Kind::Queue,
            key: &|q: &QueueDef| in_vhost(&q.vhost, &q.name),
            vhost: &|q| Some(q.vhost.clone()),
            name: &|q| q.name.clone(),
            wrap: &|q| Object::Queue(q.clone()),
            compare: &|l, d| {
                compare_with(|f| {
                    field(f, "type", l.kind().into(), d.kind().into());
                    field(f, "durable", l.durable.into(), d.durable.into());
                    field(f, "auto_delete", l.auto_delete.into(), d.auto_delete.into());
                    map_fields(f, "arguments", &strip(&l.arguments), &strip(&d.arguments));
                })
            },
            on_change: Action::Replace,
            prunable: &|q| scope.vhost(&q.vhost),
        },
        plan,
    );
    for c in &mut plan.changes[first..] {
        if c.action == Action::Replace {
            c.note = policy_advice(&c.fields);
        }
    }
}

/// A binding is an identity: nothing to update.
fn bindings(desired: &[BindingDef], live: &[BindingDef], scope: &Scope, plan: &mut Plan) {
    keyed(
        desired,
        live,
        &Spec {
            kind: Kind::Binding,
            key: &binding_key,
            vhost: &|b| Some(b.vhost.clone()),
            name: &binding_name,
            wrap: &|b| Object::Binding(b.clone()),
            compare: &|_, _| Vec::new(),
            on_change: Action::Update,
            prunable: &|b| scope.vhost(&b.vhost),
        },
        plan,
    );
}

/// Policies and operator policies (`kind`).
fn policies(kind: Kind) -> Updated<PolicyDef> {
    Updated {
        kind,
        ends: |p| (&p.vhost, &p.name),
        wrap: match kind {
            Kind::OperatorPolicy => Object::OperatorPolicy,
            _ => Object::Policy,
        },
        compare: |l, d| {
            compare_with(|f| {
                field(
                    f,
                    "pattern",
                    l.pattern.as_str().into(),
                    d.pattern.as_str().into(),
                );
                field(
                    f,
                    "apply_to",
                    l.apply_to.as_str().into(),
                    d.apply_to.as_str().into(),
                );
                field(f, "priority", l.priority.into(), d.priority.into());
                map_fields(f, "definition", &l.definition, &d.definition);
            })
        },
    }
}

/// Shovels and federation upstreams (`kind`). URIs are compared without their passwords,
/// which are never shown.
fn parameters(kind: Kind) -> Updated<ParameterDef> {
    let compare = |l: &ParameterDef, d: &ParameterDef| {
        let (live, desired) = (redacted_value(&l.value), redacted_value(&d.value));
        compare_with(|f| map_fields(f, "value", &live, &desired))
    };
    let wrap = match kind {
        Kind::Shovel => Object::Shovel,
        _ => Object::FederationUpstream,
    };
    Updated {
        kind,
        ends: |p| (&p.vhost, &p.name),
        wrap,
        compare,
    }
}

/// A kind of object named within a vhost and updated in place, for [`updated_in_vhost`].
struct Updated<T> {
    kind: Kind,
    /// The vhost and the name.
    ends: fn(&T) -> (&str, &str),
    wrap: fn(T) -> Object,
    compare: fn(&T, &T) -> Vec<FieldChange>,
}

/// Diff a kind of object named within a vhost and updated in place (policies, shovels,
/// federation upstreams): undeclared ones are listed in the managed vhosts.
fn updated_in_vhost<T: Clone>(
    spec: &Updated<T>,
    desired: &[T],
    live: &[T],
    scope: &Scope,
    plan: &mut Plan,
) {
    let ends = spec.ends;
    keyed(
        desired,
        live,
        &Spec {
            kind: spec.kind,
            key: &|o| {
                let (vhost, name) = ends(o);
                in_vhost(vhost, name)
            },
            vhost: &|o| Some(ends(o).0.to_string()),
            name: &|o| ends(o).1.to_string(),
            wrap: &|o| (spec.wrap)(o.clone()),
            compare: &spec.compare,
            on_change: Action::Update,
            prunable: &|o| scope.vhost(ends(o).0),
        },
        plan,
    );
}

/// Global parameters are cluster-wide: created or updated, never pruned.
fn global_parameters(desired: &[GlobalParameterDef], live: &[GlobalParameterDef], plan: &mut Plan) {
    keyed(
        desired,
        live,
        &Spec {
            kind: Kind::GlobalParameter,
            key: &|g: &GlobalParameterDef| g.name.clone(),
            vhost: &|_| None,
            name: &|g| g.name.clone(),
            wrap: &|g| Object::GlobalParameter(g.clone()),
            compare: &|l, d| compare_with(|f| field(f, "value", l.value.clone(), d.value.clone())),
            on_change: Action::Update,
            prunable: &|_| false,
        },
        plan,
    );
}

fn json_opt(v: Option<&i64>) -> Value {
    v.map(|n| Value::from(*n)).unwrap_or(Value::Null)
}

/// Limits are compared when the files give them; a limit the files leave out is removed.
fn limit_fields(
    f: &mut Vec<FieldChange>,
    live: Option<&BTreeMap<String, i64>>,
    desired: Option<&BTreeMap<String, i64>>,
    keys: &[&str],
) {
    let Some(desired) = desired else { return };
    let empty = BTreeMap::new();
    let live = live.unwrap_or(&empty);
    for k in keys {
        field(
            f,
            &format!("limits.{k}"),
            json_opt(live.get(*k)),
            json_opt(desired.get(*k)),
        );
    }
}

/// When only policy-carried arguments are added to a queue that lacks them, a policy can do
/// it without replacing the queue (queue arguments would win over a policy, so only additions).
fn policy_advice(fields: &[FieldChange]) -> Option<String> {
    let carried: Vec<&str> = fields
        .iter()
        .filter_map(|f| {
            let arg = f.field.strip_prefix("arguments.")?;
            POLICY_CARRIED
                .iter()
                .find(|(a, _)| *a == arg)
                .filter(|_| f.from.is_null())
                .map(|(_, p)| *p)
        })
        .collect();
    (carried.len() == fields.len()).then(|| {
        format!(
            "safer: declare {} in a policy matching this queue and drop the argument: no replace, no message loss",
            carried.join(", ")
        )
    })
}

fn show(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub fn describe(c: &Change) -> String {
    let mut parts: Vec<String> = c
        .fields
        .iter()
        .map(|f| format!("{}: {} -> {}", f.field, show(&f.from), show(&f.to)))
        .collect();
    if let Some(n) = c.messages {
        parts.push(format!("holds {n} message(s)"));
    }
    if let Some(n) = &c.note {
        parts.push(n.clone());
    }
    parts.join("\n")
}

pub fn table(changes: &[Change]) -> String {
    let mut t = output::table(["action", "kind", "vhost", "name", "changes"]);
    for c in changes {
        t.add_row([
            c.action.as_str().to_string(),
            c.kind.as_str().to_string(),
            c.vhost.clone().unwrap_or_default(),
            c.name.clone(),
            describe(c),
        ]);
    }
    t.to_string()
}

impl Render for Plan {
    fn human(&self) -> String {
        let mut out = String::new();
        if self.changes.is_empty() {
            out.push_str("No changes: the broker matches the topology.\n");
        } else {
            out.push_str(&table(&self.changes));
            out.push('\n');
            let count = |a: Action| self.changes.iter().filter(|c| c.action == a).count();
            out.push_str(&format!(
                "Plan: {} to create, {} to update, {} to replace, {} to delete.\n",
                count(Action::Create),
                count(Action::Update),
                count(Action::Replace),
                count(Action::Delete)
            ));
        }
        if !self.undeclared.is_empty() && !self.changes.iter().any(|c| c.action == Action::Delete) {
            out.push_str(&format!(
                "{} object(s) in the managed vhosts are not declared (kept; --prune deletes them):\n",
                self.undeclared.len()
            ));
            for c in self.undeclared.iter().take(20) {
                out.push_str(&format!(
                    "  {} {} {}\n",
                    c.kind.as_str(),
                    c.vhost.clone().unwrap_or_default(),
                    c.name
                ));
            }
            if self.undeclared.len() > 20 {
                out.push_str(&format!("  ... and {} more\n", self.undeclared.len() - 20));
            }
        }
        out
    }
}

#[cfg(test)]
#[path = "tests/diff.rs"]
mod tests;
