//! Carrying out a checked plan in an order that a failure can always be undone from:
//! 1. create and update (vhosts, users, permissions, then exchanges, queues, bindings and
//!    policies; one request each, or one bulk import for large plans);
//! 2. replace (delete and re-create) exchanges and queues with *every* binding they had,
//!    declared or not, re-created and checked;
//! 3. delete (only with `--prune`), bindings first.
//!
//! Every change is recorded before it is made, so a rollback knows what this run touched.
//! A queue is only deleted once it is unbound and seen empty (see [`Executor::remove_queue`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::{Context, Result};
use serde_json::{Value, json};

use super::defs::{
    BindingDef, Definitions, ExchangeDef, QueueDef, TopicPermissionDef, import_body,
};
use super::diff::{Action, Change, Kind, Object, Plan};
use super::preflight::{Origins, policy_body, same_binding};
use crate::broker::amqp::{self, Session};
use crate::broker::http::{ManagementApi, Pages, api_path};
use crate::broker::settings::Settings;
use crate::exit::Error;

const BULK_IMPORT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(900);
/// Above this many exchanges, queues, bindings and policies to create or update, phase 1 is
/// one bulk import (tens of thousands of objects); below, one request each, so that an error
/// names its object.
const BULK_THRESHOLD: usize = 200;

pub struct Executor<'a> {
    pub api: &'a ManagementApi,
    pub settings: &'a Settings,
    pub origins: &'a Origins,
    /// Passwords of users to create (from `password_env`).
    pub passwords: &'a HashMap<String, String>,
    /// The declared topic permissions, re-granted after a pruned one.
    pub desired: &'a Definitions,
    pub allow_message_loss: bool,
    /// Every change this run started, in order: what a rollback undoes.
    pub touched: Vec<Change>,
    /// An AMQP session per vhost, or why there is none (a count that needs it is unknown).
    sessions: BTreeMap<String, std::result::Result<Session, String>>,
}

fn order(kind: Kind) -> u8 {
    match kind {
        Kind::Vhost => 0,
        Kind::User => 1,
        Kind::Permission => 2,
        Kind::Exchange => 3,
        Kind::Queue => 4,
        Kind::Binding => 5,
        // 4.3 refuses a topic permission for an exchange that does not exist yet (400
        // no_such_exchange); 3.10 and 4.0 accept it.
        Kind::TopicPermission => 6,
        Kind::Policy => 7,
        Kind::OperatorPolicy => 8,
        // convert hook: runtime parameters once their vhosts, users and queues exist.
        Kind::GlobalParameter => 9,
        Kind::Shovel | Kind::FederationUpstream => 10,
    }
}

impl<'a> Executor<'a> {
    pub fn new(
        api: &'a ManagementApi,
        settings: &'a Settings,
        origins: &'a Origins,
        passwords: &'a HashMap<String, String>,
        desired: &'a Definitions,
        allow_message_loss: bool,
    ) -> Self {
        Executor {
            api,
            settings,
            origins,
            passwords,
            desired,
            allow_message_loss,
            touched: Vec::new(),
            sessions: BTreeMap::new(),
        }
    }

    pub async fn close(&mut self) {
        for s in std::mem::take(&mut self.sessions).into_values().flatten() {
            s.close().await;
        }
    }

    /// Carry out the plan in the three phases.
    pub async fn run(&mut self, plan: &Plan) -> Result<()> {
        let mut writes: Vec<&Change> = plan
            .changes
            .iter()
            .filter(|c| matches!(c.action, Action::Create | Action::Update))
            .collect();
        writes.sort_by_key(|c| order(c.kind));
        let bulk_kinds = |k: Kind| {
            matches!(
                k,
                Kind::Exchange | Kind::Queue | Kind::Binding | Kind::Policy | Kind::OperatorPolicy
            )
        };
        let bulk = writes.iter().filter(|c| bulk_kinds(c.kind)).count() > BULK_THRESHOLD;
        // The bulk import takes the place of the exchanges' writes in the order: what
        // comes after exchanges (topic permissions, parameters) is written after it.
        let (before, after): (Vec<&Change>, Vec<&Change>) = writes
            .iter()
            .filter(|c| !(bulk && bulk_kinds(c.kind)))
            .partition(|c| !bulk || order(c.kind) < order(Kind::Exchange));
        for c in before {
            self.touched.push(c.clone());
            self.write(c)
                .await
                .with_context(|| self.origins.describe(c))?;
        }
        if bulk {
            let mut defs = Definitions::default();
            for c in writes.iter().filter(|c| bulk_kinds(c.kind)) {
                self.touched.push((*c).clone());
                match &c.desired {
                    Some(Object::Exchange(e)) => defs.exchanges.push(e.clone()),
                    Some(Object::Queue(q)) => defs.queues.push(q.clone()),
                    Some(Object::Binding(b)) => defs.bindings.push(b.clone()),
                    Some(Object::Policy(p)) => defs.policies.push(p.clone()),
                    Some(Object::OperatorPolicy(p)) => defs.operator_policies.push(p.clone()),
                    _ => {}
                }
            }
            self.bulk_import(&defs).await?;
        }
        for c in after {
            self.touched.push(c.clone());
            self.write(c)
                .await
                .with_context(|| self.origins.describe(c))?;
        }

        let mut replaces: Vec<&Change> = plan
            .changes
            .iter()
            .filter(|c| c.action == Action::Replace)
            .collect();
        replaces.sort_by_key(|c| order(c.kind));
        for c in replaces {
            self.touched.push(c.clone());
            let result = match &c.desired {
                Some(Object::Exchange(e)) => self.replace_exchange(e).await,
                Some(Object::Queue(q)) => self.replace_queue(q, c).await,
                _ => Ok(()),
            };
            result.with_context(|| format!("replacing {}", self.origins.describe(c)))?;
        }

        let mut deletes: Vec<&Change> = plan
            .changes
            .iter()
            .filter(|c| c.action == Action::Delete)
            .collect();
        deletes.sort_by_key(|c| match c.kind {
            Kind::Binding => 0,
            Kind::Queue => 1,
            Kind::Exchange => 2,
            _ => 3,
        });
        let bar =
            crate::output::progress(Some(deletes.len() as u64), "deleting undeclared objects");
        let mut topic_reset = BTreeSet::new();
        for c in deletes {
            bar.inc(1);
            self.touched.push(c.clone());
            if let Some(Object::TopicPermission(p)) = &c.live {
                topic_reset.insert((p.vhost.clone(), p.user.clone()));
                continue;
            }
            self.delete(c)
                .await
                .with_context(|| format!("deleting {}", self.origins.describe(c)))?;
        }
        bar.finish_and_clear();
        // The API deletes a user's topic permissions in a vhost all at once: re-grant the
        // declared ones.
        for (vhost, user) in topic_reset {
            self.api
                .delete(&api_path(&["topic-permissions", &vhost, &user]))
                .await?;
            for p in self
                .desired
                .topic_permissions
                .iter()
                .filter(|p| p.vhost == vhost && p.user == user)
            {
                self.grant_topic(p).await?;
            }
        }
        Ok(())
    }

    /// Create or update one object.
    async fn write(&self, c: &Change) -> Result<()> {
        let api = self.api;
        match &c.desired {
            Some(Object::Vhost(v)) => {
                let mut body = json!({});
                if let Some(d) = &v.description {
                    body["description"] = d.clone().into();
                }
                if let Some(t) = &v.default_queue_type {
                    // 3.x reads `defaultqueuetype`, 4.x `default_queue_type`: send both.
                    body["default_queue_type"] = t.clone().into();
                    body["defaultqueuetype"] = t.clone().into();
                }
                // convert hook: vhost tags (a comma-separated string: 3.10 and 4.x read it).
                if let Some(tags) = &v.tags {
                    body["tags"] = tags.join(",").into();
                }
                api.put(&api_path(&["vhosts", &v.name]), &body).await?;
                let had_limits = matches!(&c.live, Some(Object::Vhost(l)) if l.limits.as_ref().is_some_and(|l| !l.is_empty()));
                if let Some(limits) = v.limits.as_ref().filter(|l| l.is_empty()) {
                    // Deleting each limit leaves an empty parameter behind: remove it whole.
                    if had_limits && limits.is_empty() {
                        api.delete(&api_path(&[
                            "parameters",
                            "vhost-limits",
                            &v.name,
                            "limits",
                        ]))
                        .await?;
                    }
                } else if let Some(limits) = &v.limits {
                    for key in ["max-connections", "max-queues"] {
                        let path = api_path(&["vhost-limits", &v.name, key]);
                        match limits.get(key) {
                            Some(n) => api.put(&path, &json!({"value": n})).await?,
                            None if c.action == Action::Update => {
                                let _ = api.delete(&path).await;
                            }
                            None => {}
                        }
                    }
                }
            }
            Some(Object::User(u)) => {
                let mut body = json!({"tags": u.tags.join(",")});
                if let Some(p) = self.passwords.get(&u.name) {
                    body["password"] = p.clone().into();
                } else if let Some(h) = &u.password_hash {
                    body["password_hash"] = h.clone().into();
                    if let Some(a) = &u.hashing_algorithm {
                        body["hashing_algorithm"] = a.clone().into();
                    }
                } else if c.action == Action::Create {
                    // No password: the user can only log in by other means (e.g. x509).
                    body["password_hash"] = "".into();
                }
                if c.action == Action::Update && body.get("password_hash").is_none() {
                    // An update without a password keeps the current one: the API needs it said.
                    let live: Value = api.get(&api_path(&["users", &u.name])).await?;
                    body["password_hash"] = live["password_hash"].clone();
                    body["hashing_algorithm"] = live["hashing_algorithm"].clone();
                }
                api.put(&api_path(&["users", &u.name]), &body).await?;
            }
            Some(Object::Permission(p)) => {
                api.put(
                    &api_path(&["permissions", &p.vhost, &p.user]),
                    &json!({"configure": p.configure, "write": p.write, "read": p.read}),
                )
                .await?;
            }
            Some(Object::TopicPermission(p)) => self.grant_topic(p).await?,
            Some(Object::Exchange(e)) => self.declare_exchange(e).await?,
            Some(Object::Queue(q)) => self.declare_queue(q).await?,
            Some(Object::Binding(b)) => self.bind(b).await?,
            Some(Object::Policy(p)) => {
                api.put(&api_path(&["policies", &p.vhost, &p.name]), &policy_body(p))
                    .await?
            }
            Some(Object::OperatorPolicy(p)) => {
                api.put(
                    &api_path(&["operator-policies", &p.vhost, &p.name]),
                    &policy_body(p),
                )
                .await?
            }
            // convert hook: written by `params::write` below.
            Some(
                Object::Shovel(_) | Object::FederationUpstream(_) | Object::GlobalParameter(_),
            ) => {}
            None => {}
        }
        // convert hook: user limits, shovels, federation upstreams, global parameters.
        super::params::write(api, c).await
    }

    /// Grant one topic permission (the API keys them by vhost and user, the body names the
    /// exchange).
    async fn grant_topic(&self, p: &TopicPermissionDef) -> Result<()> {
        self.api
            .put(
                &api_path(&["topic-permissions", &p.vhost, &p.user]),
                &json!({"exchange": p.exchange, "write": p.write, "read": p.read}),
            )
            .await
    }

    async fn bulk_import(&self, defs: &Definitions) -> Result<()> {
        crate::note!(
            "importing {} exchange(s), {} queue(s), {} binding(s), {} policy(ies), {} operator policy(ies) in one bulk request",
            defs.exchanges.len(),
            defs.queues.len(),
            defs.bindings.len(),
            defs.policies.len(),
            defs.operator_policies.len()
        );
        // The broker answers when the whole import is done: minutes for tens of thousands of
        // objects on a busy node. If this still times out, the import may go on regardless.
        let spinner =
            crate::output::progress(None, "bulk import: the broker is declaring the objects");
        let result = self
            .api
            .post_slow("/api/definitions", &import_body(defs), BULK_IMPORT_TIMEOUT)
            .await;
        spinner.finish_and_clear();
        result.context("bulk import (POST /api/definitions); if it timed out, the broker may still be importing: run plan again to see")
    }

    async fn declare_exchange(&self, e: &ExchangeDef) -> Result<()> {
        self.api
            .put(
                &api_path(&["exchanges", &e.vhost, &e.name]),
                &json!({"type": e.kind, "durable": e.durable, "auto_delete": e.auto_delete,
                        "internal": e.internal, "arguments": e.arguments}),
            )
            .await
    }

    async fn declare_queue(&self, q: &QueueDef) -> Result<()> {
        self.api
            .put(
                &api_path(&["queues", &q.vhost, &q.name]),
                &json!({"durable": q.durable, "auto_delete": q.auto_delete, "arguments": q.arguments}),
            )
            .await
    }

    async fn bind(&self, b: &BindingDef) -> Result<()> {
        let kind = if b.destination_type == "exchange" {
            "e"
        } else {
            "q"
        };
        self.api
            .post(
                &api_path(&["bindings", &b.vhost, "e", &b.source, kind, &b.destination]),
                &json!({"routing_key": b.routing_key, "arguments": b.arguments}),
            )
            .await
    }

    /// Bindings are deleted by their properties key, which only the broker can tell.
    async fn unbind(&self, b: &BindingDef) -> Result<()> {
        let kind = if b.destination_type == "exchange" {
            "e"
        } else {
            "q"
        };
        let path = api_path(&["bindings", &b.vhost, "e", &b.source, kind, &b.destination]);
        let list: Vec<Value> = self.api.get_opt(&path).await?.unwrap_or_default();
        for found in list {
            let mut live: BindingDef = serde_json::from_value(found.clone()).unwrap_or_default();
            live.vhost = b.vhost.clone();
            if same_binding(&live, b)
                && let Some(key) = found["properties_key"].as_str()
            {
                self.api
                    .delete(&api_path(&[
                        "bindings",
                        &b.vhost,
                        "e",
                        &b.source,
                        kind,
                        &b.destination,
                        key,
                    ]))
                    .await?;
            }
        }
        Ok(())
    }

    /// The bindings that exist now with this exchange as source or destination.
    async fn exchange_bindings(&self, e: &ExchangeDef) -> Result<Vec<BindingDef>> {
        let base = api_path(&["exchanges", &e.vhost, &e.name, "bindings"]);
        let (source_path, destination_path) =
            (format!("{base}/source"), format!("{base}/destination"));
        let (source, destination) = tokio::try_join!(
            self.api.list::<BindingDef>(&source_path, Pages::Whole),
            self.api.list::<BindingDef>(&destination_path, Pages::Whole),
        )?;
        let mut all = source;
        for b in destination {
            if !all.iter().any(|a| same_binding(a, &b)) {
                all.push(b);
            }
        }
        Ok(all)
    }

    /// The bindings that exist now to this queue, without the default exchange's.
    async fn queue_bindings(&self, vhost: &str, name: &str) -> Result<Vec<BindingDef>> {
        let list: Vec<BindingDef> = self
            .api
            .get(&api_path(&["queues", vhost, name, "bindings"]))
            .await?;
        Ok(list.into_iter().filter(|b| !b.source.is_empty()).collect())
    }

    async fn rebind(&self, bindings: &[BindingDef]) -> Result<()> {
        for b in bindings {
            self.bind(b).await?;
        }
        Ok(())
    }

    async fn replace_exchange(&self, e: &ExchangeDef) -> Result<()> {
        let bindings = self.exchange_bindings(e).await?;
        self.api
            .delete(&api_path(&["exchanges", &e.vhost, &e.name]))
            .await?;
        self.declare_exchange(e).await?;
        self.rebind(&bindings).await?;
        let now = self.exchange_bindings(e).await?;
        check_bindings(&bindings, &now)
    }

    async fn replace_queue(&mut self, q: &QueueDef, c: &Change) -> Result<()> {
        let live_kind = match &c.live {
            Some(Object::Queue(l)) => l.kind().to_string(),
            _ => q.kind().to_string(),
        };
        let bindings = self.remove_queue(&q.vhost, &q.name, &live_kind).await?;
        self.declare_queue(q).await?;
        self.rebind(&bindings).await?;
        let now = self.queue_bindings(&q.vhost, &q.name).await?;
        check_bindings(&bindings, &now)
    }

    /// Delete a queue without losing a message: unbind it (so nothing new is routed to it),
    /// check it is empty (the API's count, its unacknowledged messages and consumers, and an
    /// AMQP passive declare, which the queue answers itself), then delete it (a classic queue
    /// with `if-empty`, which the queue checks atomically; quorum and stream queues don't
    /// support that). If it is not empty, its bindings are put back and nothing is deleted.
    /// Returns the bindings it had.
    async fn remove_queue(
        &mut self,
        vhost: &str,
        name: &str,
        kind: &str,
    ) -> Result<Vec<BindingDef>> {
        let bindings = self.queue_bindings(vhost, name).await?;
        if self.allow_message_loss {
            self.api.delete(&api_path(&["queues", vhost, name])).await?;
            return Ok(bindings);
        }
        for b in &bindings {
            self.unbind(b).await?;
        }
        let holds = self.holds(vhost, name, kind).await;
        let deleted = match holds {
            Ok(None) => {
                let mut path = api_path(&["queues", vhost, name]);
                if kind == "classic" {
                    path.push_str("?if-empty=true");
                }
                self.api.delete(&path).await
            }
            Ok(Some(what)) => Err(Error::partial_failure(format!(
                    "queue `{name}` in vhost `{vhost}` {what}; it was not deleted and keeps its bindings"
                )).into()),
            Err(e) => Err(e),
        };
        if let Err(e) = deleted {
            self.rebind(&bindings).await?;
            return Err(e);
        }
        Ok(bindings)
    }

    /// `None` when the queue is seen empty, by the one rule ([`queue::at_risk`]); otherwise
    /// what it holds, or why its count is unknown.
    async fn holds(&mut self, vhost: &str, name: &str, kind: &str) -> Result<Option<String>> {
        let path = format!(
            "{}?columns=name,messages,messages_unacknowledged,consumers",
            api_path(&["queues", vhost, name])
        );
        let Some(mut stats) = self.api.get_opt::<crate::broker::api::Queue>(&path).await? else {
            return Ok(None);
        };
        stats.name = name.to_string();
        if !self.sessions.contains_key(vhost) {
            let session = amqp::session_on(self.settings, vhost).await;
            self.sessions.insert(vhost.to_string(), session);
        }
        let Some(session) = self.sessions.get(vhost) else {
            return Err(Error::internal("AMQP session vanished").into());
        };
        let risk = crate::broker::queue::at_risk(session, self.api, vhost, &stats).await?;
        if risk.messages != Some(0) {
            return Ok(Some(format!("holds {}", risk.describe())));
        }
        // Without `if-empty`, anything a consumer holds unacknowledged would be lost.
        if kind != "classic"
            && let Some(consumers) = risk.consumers.filter(|c| *c > 0)
        {
            return Ok(Some(format!("has {consumers} consumer(s)")));
        }
        Ok(None)
    }

    async fn delete(&mut self, c: &Change) -> Result<()> {
        let api = self.api;
        match &c.live {
            Some(Object::Binding(b)) => self.unbind(b).await?,
            Some(Object::Queue(q)) => {
                self.remove_queue(&q.vhost, &q.name, q.kind()).await?;
            }
            Some(Object::Exchange(e)) => {
                api.delete(&api_path(&["exchanges", &e.vhost, &e.name]))
                    .await?
            }
            Some(Object::Policy(p)) => {
                api.delete(&api_path(&["policies", &p.vhost, &p.name]))
                    .await?
            }
            Some(Object::OperatorPolicy(p)) => {
                api.delete(&api_path(&["operator-policies", &p.vhost, &p.name]))
                    .await?
            }
            Some(Object::Permission(p)) => {
                api.delete(&api_path(&["permissions", &p.vhost, &p.user]))
                    .await?
            }
            Some(Object::Vhost(v)) => api.delete(&api_path(&["vhosts", &v.name])).await?,
            Some(Object::User(u)) => api.delete(&api_path(&["users", &u.name])).await?,
            // convert hook: shovels, federation upstreams, global parameters (rollback only).
            Some(
                Object::Shovel(_) | Object::FederationUpstream(_) | Object::GlobalParameter(_),
            ) => super::params::delete(api, c).await?,
            _ => {}
        }
        Ok(())
    }
}

/// Every binding that was there before must be there now.
fn check_bindings(before: &[BindingDef], now: &[BindingDef]) -> Result<()> {
    let missing: Vec<String> = before
        .iter()
        .filter(|b| !now.iter().any(|n| same_binding(n, b)))
        .map(super::diff::binding_name)
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(
            Error::broker_refused(format!("binding(s) not re-created: {}", missing.join(", ")))
                .into(),
        )
    }
}

/// Undo what this run touched, from `backup` (the live state read before the run): the same
/// diff and executor as apply, limited to the touched objects and their bindings. Vhosts and
/// users this run created are deleted again. A queue that holds messages is never deleted by
/// a rollback: it is kept and reported. Returns a line per change undone or kept.
pub async fn rollback(
    api: &ManagementApi,
    settings: &Settings,
    backup: &Definitions,
    managed: &BTreeSet<String>,
    touched: &[Change],
) -> Result<Vec<String>> {
    let now = super::apply::fetch_live(api, managed).await?;
    // In the backup, a vhost without limits has none: the diff must put that back too.
    let mut backup = backup.clone();
    for v in &mut backup.vhosts {
        v.limits.get_or_insert_with(Default::default);
    }
    let backup = &backup;
    let key = |c: &Change| (c.kind, c.vhost.clone(), c.name.clone());
    let touched_keys: BTreeSet<_> = touched.iter().map(key).collect();
    let nodes: BTreeSet<(String, String, String)> = touched
        .iter()
        .filter(|c| matches!(c.kind, Kind::Exchange | Kind::Queue))
        .map(|c| {
            let kind = if c.kind == Kind::Exchange {
                "exchange"
            } else {
                "queue"
            };
            (
                c.vhost.clone().unwrap_or_default(),
                kind.to_string(),
                c.name.clone(),
            )
        })
        .collect();
    let near = |b: &BindingDef| {
        nodes.contains(&(b.vhost.clone(), "exchange".into(), b.source.clone()))
            || nodes.contains(&(
                b.vhost.clone(),
                b.destination_type.clone(),
                b.destination.clone(),
            ))
    };
    let mut undo = Plan::default();
    for c in super::diff::diff(backup, &now, managed, true).changes {
        let binding = match (&c.desired, &c.live) {
            (Some(Object::Binding(b)), _) | (_, Some(Object::Binding(b))) => Some(b.clone()),
            _ => None,
        };
        if touched_keys.contains(&key(&c)) || binding.is_some_and(|b| near(&b)) {
            undo.changes.push(c);
        }
    }
    for t in touched.iter().filter(|t| t.action == Action::Create) {
        // convert hook: and global parameters (never pruned, so the diff can't undo them).
        if matches!(t.kind, Kind::Vhost | Kind::User | Kind::GlobalParameter) {
            let mut c = t.clone();
            c.action = Action::Delete;
            c.live = t.desired.clone();
            undo.changes.push(c);
        }
    }
    super::apply::count_messages(api, settings, &mut undo).await?;
    let mut report = Vec::new();
    undo.changes.retain(|c| {
        let loses = c.kind == Kind::Queue
            && matches!(c.action, Action::Replace | Action::Delete)
            && c.messages != Some(0);
        if loses {
            report.push(format!(
                "kept queue `{}` in vhost `{}`: it holds {} message(s) (delete it by hand once drained)",
                c.name,
                c.vhost.as_deref().unwrap_or("/"),
                crate::output::count_or_unknown(c.messages)
            ));
        }
        !loses
    });
    let origins = Origins::default();
    let passwords = HashMap::new();
    let mut executor = Executor::new(api, settings, &origins, &passwords, backup, false);
    let result = executor.run(&undo).await;
    executor.close().await;
    result.context("rolling back")?;
    report.splice(
        0..0,
        undo.changes
            .iter()
            .map(|c| format!("{} {}", c.action.as_str(), origins.describe(c))),
    );
    Ok(report)
}
