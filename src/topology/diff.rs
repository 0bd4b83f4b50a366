//! The diff between a desired topology and the live one, both in definitions form. Pure: no
//! I/O. Broker-added defaults are not drift (a missing `x-queue-type` means classic, values a
//! policy applies never show in a queue's own arguments).

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;
use serde_json::Value;

use super::defs::{
    Arguments, BindingDef, Definitions, ExchangeDef, PermissionDef, PolicyDef, QueueDef,
    TopicPermissionDef, UserDef, VhostDef,
};
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
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

/// Compare `desired` with `live`. `managed` vhosts are those whose undeclared objects are
/// listed (and pruned on request); permissions are only pruned for users the files declare.
pub fn diff(
    desired: &Definitions,
    live: &Definitions,
    managed: &BTreeSet<String>,
    prune: bool,
) -> Plan {
    let mut changes = Vec::new();
    let mut undeclared = Vec::new();
    let declared_users: BTreeSet<&str> = desired.users.iter().map(|u| u.name.as_str()).collect();

    // vhosts: created or updated, never deleted.
    let live_vhosts: HashMap<&str, &VhostDef> =
        live.vhosts.iter().map(|v| (v.name.as_str(), v)).collect();
    for v in &desired.vhosts {
        match live_vhosts.get(v.name.as_str()) {
            None => {
                let mut c = Change::new(Action::Create, Kind::Vhost, None, v.name.clone());
                c.desired = Some(Object::Vhost(v.clone()));
                changes.push(c);
            }
            Some(l) => {
                let mut f = Vec::new();
                if let Some(d) = &v.description {
                    field(
                        &mut f,
                        "description",
                        l.description.clone().unwrap_or_default().into(),
                        d.clone().into(),
                    );
                }
                if let Some(d) = &v.default_queue_type {
                    // A vhost without a default queue type makes classic queues.
                    let current = l
                        .default_queue_type
                        .clone()
                        .unwrap_or_else(|| "classic".into());
                    field(
                        &mut f,
                        "default_queue_type",
                        current.into(),
                        d.clone().into(),
                    );
                }
                if let Some(d) = &v.limits {
                    let empty = Default::default();
                    let live_limits = l.limits.as_ref().unwrap_or(&empty);
                    for k in ["max-connections", "max-queues"] {
                        field(
                            &mut f,
                            &format!("limits.{k}"),
                            json_opt(live_limits.get(k)),
                            json_opt(d.get(k)),
                        );
                    }
                }
                if !f.is_empty() {
                    let mut c = Change::new(Action::Update, Kind::Vhost, None, v.name.clone());
                    if f.iter().any(|f| f.field == "default_queue_type") {
                        c.note = Some("RabbitMQ 3.x sets a vhost's default queue type only when it is created; 4.x can change it".into());
                    }
                    c.fields = f;
                    c.desired = Some(Object::Vhost(v.clone()));
                    c.live = Some(Object::Vhost((*l).clone()));
                    changes.push(c);
                }
            }
        }
    }

    // users: created or updated, never deleted (they are global, not part of a vhost).
    let live_users: HashMap<&str, &UserDef> =
        live.users.iter().map(|u| (u.name.as_str(), u)).collect();
    for u in &desired.users {
        match live_users.get(u.name.as_str()) {
            None => {
                let mut c = Change::new(Action::Create, Kind::User, None, u.name.clone());
                c.desired = Some(Object::User(u.clone()));
                changes.push(c);
            }
            Some(l) => {
                let mut f = Vec::new();
                let sorted = |t: &[String]| {
                    let mut t = t.to_vec();
                    t.sort();
                    Value::from(t)
                };
                field(&mut f, "tags", sorted(&l.tags), sorted(&u.tags));
                if let Some(h) = &u.password_hash
                    && l.password_hash.as_deref() != Some(h)
                {
                    // The hashes themselves are credentials: never print them.
                    f.push(FieldChange {
                        field: "password_hash".into(),
                        from: "(hidden)".into(),
                        to: "(hidden)".into(),
                    });
                }
                if !f.is_empty() {
                    let mut c = Change::new(Action::Update, Kind::User, None, u.name.clone());
                    c.fields = f;
                    c.desired = Some(Object::User(u.clone()));
                    changes.push(c);
                }
            }
        }
    }

    let in_scope = |vhost: &str| managed.contains(vhost);

    // permissions
    let live_perms: HashMap<(&str, &str), &PermissionDef> = live
        .permissions
        .iter()
        .map(|p| ((p.vhost.as_str(), p.user.as_str()), p))
        .collect();
    let mut wanted = BTreeSet::new();
    for p in &desired.permissions {
        wanted.insert((p.vhost.as_str(), p.user.as_str()));
        let name = p.user.clone();
        match live_perms.get(&(p.vhost.as_str(), p.user.as_str())) {
            None => {
                let mut c = Change::new(Action::Create, Kind::Permission, Some(&p.vhost), name);
                c.desired = Some(Object::Permission(p.clone()));
                changes.push(c);
            }
            Some(l) => {
                let mut f = Vec::new();
                field(
                    &mut f,
                    "configure",
                    l.configure.clone().into(),
                    p.configure.clone().into(),
                );
                field(
                    &mut f,
                    "write",
                    l.write.clone().into(),
                    p.write.clone().into(),
                );
                field(&mut f, "read", l.read.clone().into(), p.read.clone().into());
                if !f.is_empty() {
                    let mut c = Change::new(Action::Update, Kind::Permission, Some(&p.vhost), name);
                    c.fields = f;
                    c.desired = Some(Object::Permission(p.clone()));
                    changes.push(c);
                }
            }
        }
    }
    for l in &live.permissions {
        if in_scope(&l.vhost)
            && declared_users.contains(l.user.as_str())
            && !wanted.contains(&(l.vhost.as_str(), l.user.as_str()))
        {
            let mut c = Change::new(
                Action::Delete,
                Kind::Permission,
                Some(&l.vhost),
                l.user.clone(),
            );
            c.live = Some(Object::Permission(l.clone()));
            undeclared.push(c);
        }
    }

    // topic permissions
    let live_tp: HashMap<(&str, &str, &str), &TopicPermissionDef> = live
        .topic_permissions
        .iter()
        .map(|p| ((p.vhost.as_str(), p.user.as_str(), p.exchange.as_str()), p))
        .collect();
    let mut wanted = BTreeSet::new();
    for p in &desired.topic_permissions {
        let key = (p.vhost.as_str(), p.user.as_str(), p.exchange.as_str());
        wanted.insert(key);
        let name = format!("{} on {}", p.user, p.exchange);
        match live_tp.get(&key) {
            None => {
                let mut c =
                    Change::new(Action::Create, Kind::TopicPermission, Some(&p.vhost), name);
                c.desired = Some(Object::TopicPermission(p.clone()));
                changes.push(c);
            }
            Some(l) => {
                let mut f = Vec::new();
                field(
                    &mut f,
                    "write",
                    l.write.clone().into(),
                    p.write.clone().into(),
                );
                field(&mut f, "read", l.read.clone().into(), p.read.clone().into());
                if !f.is_empty() {
                    let mut c =
                        Change::new(Action::Update, Kind::TopicPermission, Some(&p.vhost), name);
                    c.fields = f;
                    c.desired = Some(Object::TopicPermission(p.clone()));
                    changes.push(c);
                }
            }
        }
    }
    for l in &live.topic_permissions {
        let key = (l.vhost.as_str(), l.user.as_str(), l.exchange.as_str());
        if in_scope(&l.vhost) && declared_users.contains(l.user.as_str()) && !wanted.contains(&key)
        {
            let mut c = Change::new(
                Action::Delete,
                Kind::TopicPermission,
                Some(&l.vhost),
                format!("{} on {}", l.user, l.exchange),
            );
            c.live = Some(Object::TopicPermission(l.clone()));
            undeclared.push(c);
        }
    }

    // exchanges: every property is fixed at declaration, so a difference is a replace.
    let live_ex: HashMap<(&str, &str), &ExchangeDef> = live
        .exchanges
        .iter()
        .map(|e| ((e.vhost.as_str(), e.name.as_str()), e))
        .collect();
    let mut wanted = BTreeSet::new();
    for e in &desired.exchanges {
        wanted.insert((e.vhost.as_str(), e.name.as_str()));
        match live_ex.get(&(e.vhost.as_str(), e.name.as_str())) {
            None => {
                let mut c = Change::new(
                    Action::Create,
                    Kind::Exchange,
                    Some(&e.vhost),
                    e.name.clone(),
                );
                c.desired = Some(Object::Exchange(e.clone()));
                changes.push(c);
            }
            Some(l) => {
                let mut f = Vec::new();
                field(&mut f, "type", l.kind.clone().into(), e.kind.clone().into());
                field(&mut f, "durable", l.durable.into(), e.durable.into());
                field(
                    &mut f,
                    "auto_delete",
                    l.auto_delete.into(),
                    e.auto_delete.into(),
                );
                field(&mut f, "internal", l.internal.into(), e.internal.into());
                map_fields(&mut f, "arguments", &l.arguments, &e.arguments);
                if !f.is_empty() {
                    let mut c = Change::new(
                        Action::Replace,
                        Kind::Exchange,
                        Some(&e.vhost),
                        e.name.clone(),
                    );
                    c.fields = f;
                    c.desired = Some(Object::Exchange(e.clone()));
                    c.live = Some(Object::Exchange((*l).clone()));
                    changes.push(c);
                }
            }
        }
    }
    for l in &live.exchanges {
        if in_scope(&l.vhost)
            && !super::defs::is_builtin_exchange(&l.name)
            && !wanted.contains(&(l.vhost.as_str(), l.name.as_str()))
        {
            let mut c = Change::new(
                Action::Delete,
                Kind::Exchange,
                Some(&l.vhost),
                l.name.clone(),
            );
            c.live = Some(Object::Exchange(l.clone()));
            undeclared.push(c);
        }
    }

    // queues: type, durability and arguments are fixed at declaration: a difference is a replace.
    let live_q: HashMap<(&str, &str), &QueueDef> = live
        .queues
        .iter()
        .map(|q| ((q.vhost.as_str(), q.name.as_str()), q))
        .collect();
    let mut wanted = BTreeSet::new();
    for q in &desired.queues {
        wanted.insert((q.vhost.as_str(), q.name.as_str()));
        match live_q.get(&(q.vhost.as_str(), q.name.as_str())) {
            None => {
                let mut c =
                    Change::new(Action::Create, Kind::Queue, Some(&q.vhost), q.name.clone());
                c.desired = Some(Object::Queue(q.clone()));
                changes.push(c);
            }
            Some(l) => {
                let mut f = Vec::new();
                field(&mut f, "type", l.kind().into(), q.kind().into());
                field(&mut f, "durable", l.durable.into(), q.durable.into());
                field(
                    &mut f,
                    "auto_delete",
                    l.auto_delete.into(),
                    q.auto_delete.into(),
                );
                let strip = |a: &Arguments| {
                    let mut a = a.clone();
                    a.remove("x-queue-type");
                    a
                };
                map_fields(
                    &mut f,
                    "arguments",
                    &strip(&l.arguments),
                    &strip(&q.arguments),
                );
                if !f.is_empty() {
                    let mut c =
                        Change::new(Action::Replace, Kind::Queue, Some(&q.vhost), q.name.clone());
                    c.note = policy_advice(&f);
                    c.fields = f;
                    c.desired = Some(Object::Queue(q.clone()));
                    c.live = Some(Object::Queue((*l).clone()));
                    changes.push(c);
                }
            }
        }
    }
    for l in &live.queues {
        if in_scope(&l.vhost) && !wanted.contains(&(l.vhost.as_str(), l.name.as_str())) {
            let mut c = Change::new(Action::Delete, Kind::Queue, Some(&l.vhost), l.name.clone());
            c.live = Some(Object::Queue(l.clone()));
            undeclared.push(c);
        }
    }

    // bindings: an identity, nothing to update.
    let live_b: HashMap<String, &BindingDef> =
        live.bindings.iter().map(|b| (binding_key(b), b)).collect();
    let mut wanted = BTreeSet::new();
    for b in &desired.bindings {
        let key = binding_key(b);
        if !live_b.contains_key(&key) {
            let mut c = Change::new(
                Action::Create,
                Kind::Binding,
                Some(&b.vhost),
                binding_name(b),
            );
            c.desired = Some(Object::Binding(b.clone()));
            changes.push(c);
        }
        wanted.insert(key);
    }
    for l in &live.bindings {
        if in_scope(&l.vhost) && !wanted.contains(&binding_key(l)) {
            let mut c = Change::new(
                Action::Delete,
                Kind::Binding,
                Some(&l.vhost),
                binding_name(l),
            );
            c.live = Some(Object::Binding(l.clone()));
            undeclared.push(c);
        }
    }

    policies(
        &desired.policies,
        &live.policies,
        Kind::Policy,
        managed,
        &mut changes,
        &mut undeclared,
    );
    policies(
        &desired.operator_policies,
        &live.operator_policies,
        Kind::OperatorPolicy,
        managed,
        &mut changes,
        &mut undeclared,
    );

    if prune {
        changes.append(&mut undeclared);
    }
    Plan {
        changes,
        undeclared,
    }
}

fn json_opt(v: Option<&i64>) -> Value {
    v.map(|n| Value::from(*n)).unwrap_or(Value::Null)
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

fn wrap(kind: Kind, p: &PolicyDef) -> Object {
    match kind {
        Kind::OperatorPolicy => Object::OperatorPolicy(p.clone()),
        _ => Object::Policy(p.clone()),
    }
}

fn policies(
    desired: &[PolicyDef],
    live: &[PolicyDef],
    kind: Kind,
    managed: &BTreeSet<String>,
    changes: &mut Vec<Change>,
    undeclared: &mut Vec<Change>,
) {
    let live_p: HashMap<(&str, &str), &PolicyDef> = live
        .iter()
        .map(|p| ((p.vhost.as_str(), p.name.as_str()), p))
        .collect();
    let mut wanted = BTreeSet::new();
    for p in desired {
        wanted.insert((p.vhost.as_str(), p.name.as_str()));
        match live_p.get(&(p.vhost.as_str(), p.name.as_str())) {
            None => {
                let mut c = Change::new(Action::Create, kind, Some(&p.vhost), p.name.clone());
                c.desired = Some(wrap(kind, p));
                changes.push(c);
            }
            Some(l) => {
                let mut f = Vec::new();
                field(
                    &mut f,
                    "pattern",
                    l.pattern.clone().into(),
                    p.pattern.clone().into(),
                );
                field(
                    &mut f,
                    "apply_to",
                    l.apply_to.clone().into(),
                    p.apply_to.clone().into(),
                );
                field(&mut f, "priority", l.priority.into(), p.priority.into());
                map_fields(&mut f, "definition", &l.definition, &p.definition);
                if !f.is_empty() {
                    let mut c = Change::new(Action::Update, kind, Some(&p.vhost), p.name.clone());
                    c.fields = f;
                    c.desired = Some(wrap(kind, p));
                    changes.push(c);
                }
            }
        }
    }
    for l in live {
        if managed.contains(&l.vhost) && !wanted.contains(&(l.vhost.as_str(), l.name.as_str())) {
            let mut c = Change::new(Action::Delete, kind, Some(&l.vhost), l.name.clone());
            c.live = Some(wrap(kind, l));
            undeclared.push(c);
        }
    }
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
mod tests {
    use super::*;
    use crate::topology::defs::RawDefinitions;

    fn live() -> Definitions {
        // Captured from RabbitMQ 3.10.8: see tests/fixtures/README.md for the command.
        let raw = include_str!("../../tests/fixtures/rabbitmq-3.10.8/definitions-vhost.json");
        serde_json::from_str::<RawDefinitions>(raw)
            .unwrap()
            .normalize("probe")
    }

    fn managed() -> BTreeSet<String> {
        ["probe".to_string()].into()
    }

    #[test]
    fn identical_state_is_no_change() {
        let l = live();
        let mut d = l.clone();
        // The broker's own defaults are not drift: a classic queue declared with the explicit type.
        for q in &mut d.queues {
            q.arguments
                .entry("x-queue-type".into())
                .or_insert("classic".into());
        }
        let plan = diff(&d, &l, &managed(), true);
        assert!(plan.changes.is_empty(), "{:?}", plan.changes);
        assert!(plan.undeclared.is_empty());
    }

    #[test]
    fn a_changed_queue_argument_is_a_replace_with_advice() {
        let l = live();
        let mut d = l.clone();
        d.queues[0]
            .arguments
            .insert("x-message-ttl".into(), 1000.into());
        let plan = diff(&d, &l, &managed(), false);
        assert_eq!(plan.changes.len(), 1);
        let c = &plan.changes[0];
        assert_eq!((c.action, c.kind), (Action::Replace, Kind::Queue));
        assert_eq!(c.fields[0].field, "arguments.x-message-ttl");
        assert!(c.note.as_deref().unwrap().contains("message-ttl"));
        d.queues[0].durable = false;
        let plan = diff(&d, &l, &managed(), false);
        assert!(plan.changes[0].note.is_none());
    }

    #[test]
    fn undeclared_objects_are_deleted_only_with_prune() {
        let l = live();
        let mut d = l.clone();
        d.bindings.clear();
        d.queues.retain(|q| q.name != "c");
        let plan = diff(&d, &l, &managed(), false);
        assert!(plan.changes.is_empty());
        assert_eq!(plan.undeclared.len(), 2);
        let plan = diff(&d, &l, &managed(), true);
        assert_eq!(plan.changes.len(), 2);
        assert!(plan.changes.iter().all(|c| c.action == Action::Delete));
        // Outside the managed vhosts nothing is touched.
        let plan = diff(&d, &l, &BTreeSet::new(), true);
        assert!(plan.changes.is_empty());
    }

    #[test]
    fn policy_changes_are_updates_and_numbers_compare_by_value() {
        let l = live();
        let mut d = l.clone();
        d.policies[0]
            .definition
            .insert("max-length".into(), serde_json::json!(5.0));
        assert!(diff(&d, &l, &managed(), true).changes.is_empty());
        d.policies[0]
            .definition
            .insert("max-length".into(), 6.into());
        let plan = diff(&d, &l, &managed(), true);
        assert_eq!(plan.changes[0].action, Action::Update);
        assert_eq!(describe(&plan.changes[0]), "definition.max-length: 5 -> 6");
    }

    #[test]
    fn a_changed_binding_is_one_create_and_one_delete() {
        let l = live();
        let mut d = l.clone();
        d.bindings[0].routing_key = "b.#".into();
        let plan = diff(&d, &l, &managed(), true);
        let actions: Vec<Action> = plan.changes.iter().map(|c| c.action).collect();
        assert_eq!(actions, [Action::Create, Action::Delete]);
    }
}
