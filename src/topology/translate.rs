//! The translation between the topology model (what an operator writes) and the broker's
//! definitions form (`defs`), both ways: `to_defs` for plan and apply, `from_defs` for
//! export and convert.

use std::collections::BTreeMap;

use serde_json::Value;

use super::defs;
use super::model::*;

impl Topology {
    /// The broker definitions this topology stands for (passwords are not resolved here).
    pub fn to_defs(&self) -> defs::Definitions {
        defs::Definitions {
            vhosts: self
                .vhosts
                .iter()
                .map(|v| defs::VhostDef {
                    name: v.name.clone(),
                    description: v.description.clone(),
                    default_queue_type: v.default_queue_type.map(|t| t.as_str().to_string()),
                    limits: v.limits.as_ref().map(limit_map),
                    tags: v.tags.clone(),
                })
                .collect(),
            users: self
                .users
                .iter()
                .map(|u| defs::UserDef {
                    name: u.name.clone(),
                    password_hash: u.password_hash.clone(),
                    hashing_algorithm: u.hashing_algorithm.clone(),
                    tags: u.tags.clone(),
                    limits: u.limits.as_ref().map(limit_map),
                    password_env: u.password_env.clone(),
                })
                .collect(),
            permissions: self
                .permissions
                .iter()
                .map(|p| defs::PermissionDef {
                    user: p.user.clone(),
                    vhost: p.vhost.clone(),
                    configure: p.configure.clone(),
                    write: p.write.clone(),
                    read: p.read.clone(),
                })
                .collect(),
            topic_permissions: self
                .topic_permissions
                .iter()
                .map(|p| defs::TopicPermissionDef {
                    user: p.user.clone(),
                    vhost: p.vhost.clone(),
                    exchange: p.exchange.clone(),
                    write: p.write.clone(),
                    read: p.read.clone(),
                })
                .collect(),
            exchanges: self
                .exchanges
                .iter()
                .map(|e| {
                    let mut arguments = e.arguments.clone();
                    if let Some(ae) = &e.alternate_exchange {
                        arguments.insert("alternate-exchange".into(), Value::from(ae.clone()));
                    }
                    defs::ExchangeDef {
                        name: e.name.clone(),
                        vhost: e.vhost.clone(),
                        kind: e.kind.clone(),
                        durable: e.durable,
                        auto_delete: e.auto_delete,
                        internal: e.internal,
                        arguments,
                    }
                })
                .collect(),
            queues: self
                .queues
                .iter()
                .map(|q| {
                    let mut arguments = q.all_arguments();
                    if let Some(kind) = q.kind {
                        arguments.insert("x-queue-type".into(), Value::from(kind.as_str()));
                    }
                    defs::QueueDef {
                        name: q.name.clone(),
                        vhost: q.vhost.clone(),
                        durable: q.durable,
                        auto_delete: q.auto_delete,
                        arguments,
                    }
                })
                .collect(),
            bindings: self
                .bindings
                .iter()
                .map(|b| defs::BindingDef {
                    vhost: b.vhost.clone(),
                    source: b.source.clone(),
                    destination: b.destination.clone(),
                    destination_type: b.destination_type.as_str().to_string(),
                    routing_key: b.routing_key.clone(),
                    arguments: b.arguments.clone(),
                })
                .collect(),
            policies: self.policies.iter().map(policy_def).collect(),
            operator_policies: self.operator_policies.iter().map(policy_def).collect(),
            shovels: self.shovels.iter().map(parameter_def).collect(),
            federation_upstreams: self
                .federation_upstreams
                .iter()
                .map(parameter_def)
                .collect(),
            global_parameters: self
                .global_parameters
                .iter()
                .map(|g| defs::GlobalParameterDef {
                    name: g.name.clone(),
                    value: g.value.clone(),
                })
                .collect(),
            not_carried: Vec::new(),
        }
    }

    /// The model form of broker definitions (used by `export` and `convert`).
    pub fn from_defs(d: &defs::Definitions) -> Topology {
        Topology {
            vhosts: d
                .vhosts
                .iter()
                .map(|v| Vhost {
                    name: v.name.clone(),
                    description: v.description.clone().filter(|s| !s.is_empty()),
                    default_queue_type: v.default_queue_type.as_deref().and_then(QueueType::parse),
                    limits: limits_model(v.limits.as_ref()),
                    tags: v.tags.clone().filter(|t| !t.is_empty()),
                    origin: Origin::default(),
                })
                .collect(),
            users: d
                .users
                .iter()
                .map(|u| User {
                    name: u.name.clone(),
                    tags: u.tags.clone(),
                    password_env: None,
                    password_hash: u.password_hash.clone().filter(|h| !h.is_empty()),
                    hashing_algorithm: u
                        .hashing_algorithm
                        .clone()
                        .filter(|_| u.password_hash.as_ref().is_some_and(|h| !h.is_empty())),
                    limits: limits_model(u.limits.as_ref()),
                    origin: Origin::default(),
                })
                .collect(),
            permissions: d
                .permissions
                .iter()
                .map(|p| Permission {
                    user: p.user.clone(),
                    vhost: p.vhost.clone(),
                    configure: p.configure.clone(),
                    write: p.write.clone(),
                    read: p.read.clone(),
                    origin: Origin::default(),
                })
                .collect(),
            topic_permissions: d
                .topic_permissions
                .iter()
                .map(|p| TopicPermission {
                    user: p.user.clone(),
                    vhost: p.vhost.clone(),
                    exchange: p.exchange.clone(),
                    write: p.write.clone(),
                    read: p.read.clone(),
                    origin: Origin::default(),
                })
                .collect(),
            exchanges: d
                .exchanges
                .iter()
                .map(|e| {
                    let mut arguments = e.arguments.clone();
                    let alternate_exchange = match arguments.get("alternate-exchange") {
                        Some(Value::String(s)) => {
                            let s = s.clone();
                            arguments.remove("alternate-exchange");
                            Some(s)
                        }
                        _ => None,
                    };
                    Exchange {
                        name: e.name.clone(),
                        vhost: e.vhost.clone(),
                        kind: e.kind.clone(),
                        durable: e.durable,
                        auto_delete: e.auto_delete,
                        internal: e.internal,
                        alternate_exchange,
                        arguments,
                        origin: Origin::default(),
                    }
                })
                .collect(),
            // Queues of a type the model doesn't know are left out (`not_carried` says so).
            queues: d
                .queues
                .iter()
                .filter(|q| defs::known_queue_type(q))
                .map(|q| {
                    let mut args = q.arguments.clone();
                    let kind = args
                        .remove("x-queue-type")
                        .and_then(|v| v.as_str().and_then(QueueType::parse));
                    let mut out = Queue::from_arguments(&q.name, &q.vhost, kind, &args);
                    out.durable = q.durable;
                    out.auto_delete = q.auto_delete;
                    out
                })
                .collect(),
            bindings: d
                .bindings
                .iter()
                .map(|b| Binding {
                    vhost: b.vhost.clone(),
                    source: b.source.clone(),
                    destination: b.destination.clone(),
                    destination_type: if b.destination_type == "exchange" {
                        DestinationType::Exchange
                    } else {
                        DestinationType::Queue
                    },
                    routing_key: b.routing_key.clone(),
                    arguments: b.arguments.clone(),
                    origin: Origin::default(),
                })
                .collect(),
            policies: d.policies.iter().map(policy_model).collect(),
            operator_policies: d.operator_policies.iter().map(policy_model).collect(),
            shovels: d.shovels.iter().map(parameter_model).collect(),
            federation_upstreams: d.federation_upstreams.iter().map(parameter_model).collect(),
            global_parameters: d
                .global_parameters
                .iter()
                .map(|g| GlobalParameter {
                    name: g.name.clone(),
                    value: g.value.clone(),
                    origin: Origin::default(),
                })
                .collect(),
        }
    }
}

/// The limits that are set, keyed as the broker keys them.
fn limit_map<L: LimitSet>(limits: &L) -> BTreeMap<String, i64> {
    (L::KEYS.iter().zip(limits.values()))
        .filter_map(|(k, v)| v.map(|n| (k.to_string(), n)))
        .collect()
}

/// The model's limits from the broker's map; none when the map is empty.
fn limits_model<L: LimitSet>(map: Option<&BTreeMap<String, i64>>) -> Option<L> {
    let map = map.filter(|m| !m.is_empty())?;
    Some(L::from_values(L::KEYS.map(|k| map.get(k).copied())))
}

fn parameter_def(p: &Parameter) -> defs::ParameterDef {
    defs::ParameterDef {
        vhost: p.vhost.clone(),
        name: p.name.clone(),
        value: p.value.clone(),
        uri_env: p.uri_env.clone(),
    }
}

fn parameter_model(p: &defs::ParameterDef) -> Parameter {
    Parameter {
        name: p.name.clone(),
        vhost: p.vhost.clone(),
        value: p.value.clone(),
        uri_env: p.uri_env.clone(),
        origin: Origin::default(),
    }
}

fn policy_def(p: &Policy) -> defs::PolicyDef {
    defs::PolicyDef {
        vhost: p.vhost.clone(),
        name: p.name.clone(),
        pattern: p.pattern.clone(),
        apply_to: p.apply_to.as_str().to_string(),
        priority: p.priority,
        definition: p.definition.clone(),
    }
}

fn policy_model(p: &defs::PolicyDef) -> Policy {
    Policy {
        name: p.name.clone(),
        vhost: p.vhost.clone(),
        pattern: p.pattern.clone(),
        apply_to: ApplyTo::parse(&p.apply_to),
        priority: p.priority,
        definition: p.definition.clone(),
        origin: Origin::default(),
    }
}
