//! Everything the broker would refuse, checked before the first change: exchange types the
//! broker has, binding endpoints that exist, and policy definitions (validated by the broker
//! itself in a scratch vhost that is deleted afterwards). Load already checked names, the
//! `amq.` prefix and numeric argument ranges. A failure is exit 4 naming `file:line`.

use std::collections::{BTreeSet, HashMap};

use anyhow::Result;
use serde_json::{Value, json};

use super::defs::{BindingDef, Definitions, PolicyDef};
use super::diff::{self, Action, Change, Kind, Object, Plan};
use super::model::{Origin, Topology};
use crate::broker::http::{ManagementApi, api_path};
use crate::exit::{Code, Error, code_of};

/// Where each declared object was written, keyed by kind, vhost and name (as in a plan).
#[derive(Default)]
pub struct Origins(HashMap<String, Origin>);

fn origin_key(kind: Kind, vhost: Option<&str>, name: &str) -> String {
    format!("{}\u{0}{}\u{0}{name}", kind.as_str(), vhost.unwrap_or(""))
}

impl Origins {
    /// `to_defs` keeps each kind's order, so the model and definitions lists pair up.
    pub fn of(t: &Topology, d: &Definitions) -> Origins {
        let mut map = HashMap::new();
        let mut put = |kind, vhost: Option<&str>, name: &str, origin: &Origin| {
            map.insert(origin_key(kind, vhost, name), origin.clone());
        };
        for v in &t.vhosts {
            put(Kind::Vhost, None, &v.name, &v.origin);
        }
        for u in &t.users {
            put(Kind::User, None, &u.name, &u.origin);
        }
        for p in &t.permissions {
            put(Kind::Permission, Some(&p.vhost), &p.user, &p.origin);
        }
        for p in &t.topic_permissions {
            let name = format!("{} on {}", p.user, p.exchange);
            put(Kind::TopicPermission, Some(&p.vhost), &name, &p.origin);
        }
        for e in &t.exchanges {
            put(Kind::Exchange, Some(&e.vhost), &e.name, &e.origin);
        }
        for q in &t.queues {
            put(Kind::Queue, Some(&q.vhost), &q.name, &q.origin);
        }
        for (b, def) in t.bindings.iter().zip(&d.bindings) {
            put(
                Kind::Binding,
                Some(&b.vhost),
                &diff::binding_name(def),
                &b.origin,
            );
        }
        for p in &t.policies {
            put(Kind::Policy, Some(&p.vhost), &p.name, &p.origin);
        }
        for p in &t.operator_policies {
            put(Kind::OperatorPolicy, Some(&p.vhost), &p.name, &p.origin);
        }
        // convert hook: the runtime parameters' places.
        for p in &t.shovels {
            put(Kind::Shovel, Some(&p.vhost), &p.name, &p.origin);
        }
        for p in &t.federation_upstreams {
            put(Kind::FederationUpstream, Some(&p.vhost), &p.name, &p.origin);
        }
        for g in &t.global_parameters {
            put(Kind::GlobalParameter, None, &g.name, &g.origin);
        }
        Origins(map)
    }

    pub fn get(&self, c: &Change) -> Option<&Origin> {
        self.0.get(&origin_key(c.kind, c.vhost.as_deref(), &c.name))
    }

    /// `file:line:column: kind `name` in vhost `v``, or without the place for objects that
    /// no file declares (a rollback's).
    pub fn describe(&self, c: &Change) -> String {
        let what = match &c.vhost {
            Some(v) => format!("{} `{}` in vhost `{v}`", c.kind.as_str(), c.name),
            None => format!("{} `{}`", c.kind.as_str(), c.name),
        };
        match self.get(c) {
            Some(o) => format!("{o}: {what}"),
            None => what,
        }
    }
}

/// Exchanges every vhost has, which the definitions lists leave out.
const BUILTIN_EXCHANGES: [&str; 8] = [
    "",
    "amq.direct",
    "amq.fanout",
    "amq.topic",
    "amq.headers",
    "amq.match",
    "amq.rabbitmq.trace",
    "amq.rabbitmq.log",
];

/// Check the plan against what the broker would refuse; nothing is changed (the scratch
/// vhost for policy validation is removed again).
pub async fn check(
    api: &ManagementApi,
    plan: &Plan,
    desired: &Definitions,
    live: &Definitions,
    origins: &Origins,
) -> Result<()> {
    let mut errors = Vec::new();
    let types = exchange_types(api).await?;
    for c in &plan.changes {
        if let (Action::Create | Action::Replace, Some(Object::Exchange(e))) =
            (c.action, &c.desired)
            && let Some(types) = &types
            && !types.contains(&e.kind)
        {
            errors.push(format!(
                "{}: type `{}` is not available on this broker (it has {}); enable the plugin that provides it first",
                origins.describe(c),
                e.kind,
                types.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
    }
    errors.extend(binding_endpoints(plan, desired, live, origins));
    errors.extend(policies(api, plan, origins).await?);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "preflight: the broker would refuse this; nothing was changed:\n  {}",
            errors.join("\n  ")
        ))
        .into())
    }
}

/// The exchange types the broker has (`/api/overview`), or `None` when it doesn't say.
async fn exchange_types(api: &ManagementApi) -> Result<Option<BTreeSet<String>>> {
    let overview = crate::broker::api::Overview::read(api).await?;
    Ok(overview
        .exchange_types
        .map(|list| list.into_iter().map(|t| t.name).collect()))
}

/// Every binding to create must have a source and a destination that exist after apply:
/// declared, or live and not deleted by this plan. The broker ignores such a binding in a
/// definitions import, and apply would report a change that never happened.
fn binding_endpoints(
    plan: &Plan,
    desired: &Definitions,
    live: &Definitions,
    origins: &Origins,
) -> Vec<String> {
    let deleted: BTreeSet<(Kind, String, String)> = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .map(|c| (c.kind, c.vhost.clone().unwrap_or_default(), c.name.clone()))
        .collect();
    let exchange = |vhost: &str, name: &str| {
        BUILTIN_EXCHANGES.contains(&name)
            || desired
                .exchanges
                .iter()
                .any(|e| e.vhost == vhost && e.name == name)
            || (live
                .exchanges
                .iter()
                .any(|e| e.vhost == vhost && e.name == name)
                && !deleted.contains(&(Kind::Exchange, vhost.into(), name.into())))
    };
    let queue = |vhost: &str, name: &str| {
        desired
            .queues
            .iter()
            .any(|q| q.vhost == vhost && q.name == name)
            || (live
                .queues
                .iter()
                .any(|q| q.vhost == vhost && q.name == name)
                && !deleted.contains(&(Kind::Queue, vhost.into(), name.into())))
    };
    let mut errors = Vec::new();
    for c in &plan.changes {
        let (Action::Create, Some(Object::Binding(b))) = (c.action, &c.desired) else {
            continue;
        };
        if !exchange(&b.vhost, &b.source) {
            errors.push(format!(
                "{}: source exchange `{}` does not exist and is not declared",
                origins.describe(c),
                b.source
            ));
        }
        let found = if b.destination_type == "exchange" {
            exchange(&b.vhost, &b.destination)
        } else {
            queue(&b.vhost, &b.destination)
        };
        if !found {
            errors.push(format!(
                "{}: destination {} `{}` does not exist and is not declared",
                origins.describe(c),
                b.destination_type,
                b.destination
            ));
        }
    }
    errors
}

/// Let the broker validate every policy and operator policy to write, in a scratch vhost
/// that exists only for this check.
async fn policies(api: &ManagementApi, plan: &Plan, origins: &Origins) -> Result<Vec<String>> {
    let to_write: Vec<(&Change, &PolicyDef, &str)> = plan
        .changes
        .iter()
        .filter(|c| matches!(c.action, Action::Create | Action::Update))
        .filter_map(|c| match &c.desired {
            Some(Object::Policy(p)) => Some((c, p, "policies")),
            Some(Object::OperatorPolicy(p)) => Some((c, p, "operator-policies")),
            _ => None,
        })
        .collect();
    if to_write.is_empty() {
        return Ok(Vec::new());
    }
    let scratch = format!(
        "warren-preflight-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default()
    );
    let vhost_path = api_path(&["vhosts", &scratch]);
    if let Err(e) = api
        .put(
            &vhost_path,
            &json!({"description": "warren preflight, deleted right away"}),
        )
        .await
    {
        crate::note!("policies not validated before apply: cannot create a scratch vhost ({e:#})");
        return Ok(Vec::new());
    }
    let result = validate_in(api, &scratch, &to_write, origins).await;
    if let Err(e) = api.delete(&vhost_path).await {
        crate::note!("could not delete the scratch vhost `{scratch}`: {e:#}");
    }
    result
}

async fn validate_in(
    api: &ManagementApi,
    scratch: &str,
    to_write: &[(&Change, &PolicyDef, &str)],
    origins: &Origins,
) -> Result<Vec<String>> {
    let me = api.user().to_string();
    // Best effort: an administrator may need permissions in the new vhost to write there.
    let _ = api
        .put(
            &api_path(&["permissions", scratch, &me]),
            &json!({"configure": ".*", "write": ".*", "read": ".*"}),
        )
        .await;
    let mut errors = Vec::new();
    for (c, p, endpoint) in to_write {
        match api
            .put(&api_path(&[endpoint, scratch, &p.name]), &policy_body(p))
            .await
        {
            Ok(()) => {}
            Err(e) if code_of(&e) == Code::BrokerRefused => {
                errors.push(format!("{}: {e:#}", origins.describe(c)))
            }
            Err(e) => return Err(e),
        }
    }
    Ok(errors)
}

/// The body of `PUT /api/policies/{vhost}/{name}` (and operator policies).
pub fn policy_body(p: &PolicyDef) -> Value {
    json!({"pattern": p.pattern, "definition": p.definition, "priority": p.priority, "apply-to": p.apply_to})
}

/// Whether two bindings are the same binding (a binding has no other identity).
pub fn same_binding(a: &BindingDef, b: &BindingDef) -> bool {
    a.vhost == b.vhost
        && a.source == b.source
        && a.destination_type == b.destination_type
        && a.destination == b.destination
        && a.routing_key == b.routing_key
        && diff::same(&json!(a.arguments), &json!(b.arguments))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::load;

    fn plan_for(files: &str, live: &Definitions, prune: bool) -> (Plan, Definitions, Origins) {
        let t = load::merge(vec![load::parse("t.yaml", files, &|_| None).unwrap()]).unwrap();
        let desired = t.to_defs();
        let origins = Origins::of(&t, &desired);
        let plan = diff::diff(&desired, live, &t.managed_vhosts(), prune);
        (plan, desired, origins)
    }

    #[test]
    fn bindings_need_endpoints_that_exist_after_apply() {
        let mut live = Definitions::default();
        live.queues.push(super::super::defs::QueueDef {
            name: "live-q".into(),
            ..Default::default()
        });
        let files = "queues:\n  - name: q\nbindings:\n  - {source: amq.topic, destination: q}\n  - {source: nope, destination: q}\n  - {source: amq.direct, destination: live-q}\n  - {source: amq.direct, destination: gone-q}\n  - {source: amq.direct, destination: x, destination_type: exchange}\n";
        let (plan, desired, origins) = plan_for(files, &live, false);
        let errors = binding_endpoints(&plan, &desired, &live, &origins);
        assert_eq!(errors.len(), 3, "{errors:#?}");
        assert!(
            errors[0].starts_with("t.yaml:5:5: binding `nope -> queue q`"),
            "{}",
            errors[0]
        );
        assert!(errors[0].contains("source exchange `nope`"));
        assert!(errors[1].contains("destination queue `gone-q`"));
        assert!(errors[2].contains("destination exchange `x`"));
        // A live queue the plan prunes is gone after apply.
        let (plan, desired, origins) = plan_for(
            "queues:\n  - name: q\nbindings:\n  - {source: amq.direct, destination: live-q}\n",
            &live,
            true,
        );
        let errors = binding_endpoints(&plan, &desired, &live, &origins);
        assert_eq!(errors.len(), 1, "{errors:#?}");
    }
}
