//! Reading the live topology through the management API, and applying a plan safely:
//! preflight, a backup, the ordered execution (`execute`), a rollback from the backup when
//! a step fails, and a verify that re-reads the broker and diffs it against the files.
//! Queues that hold messages are never deleted or replaced without `allow_message_loss`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::{Context, Result};
use serde_json::{Value, json};

use super::backup;
use super::defs::{Definitions, RawDefinitions};
use super::diff::{self, Action, Kind, Object, Plan};
use super::execute::{self, Executor};
use super::preflight::{self, Origins};
use crate::broker::amqp;
use crate::broker::http::{ManagementApi, Pages, api_path};
use crate::broker::settings::Settings;
use crate::exit::Error;

/// Live state of the given vhosts (those that exist), plus every user, permission and topic
/// permission (filtered by the caller). One definitions request per vhost.
pub async fn fetch_live(api: &ManagementApi, vhosts: &BTreeSet<String>) -> Result<Definitions> {
    let (all_vhosts, users, permissions, topic_permissions) = tokio::try_join!(
        api.list::<Value>("/api/vhosts", Pages::Paged),
        api.list::<Value>("/api/users", Pages::Paged),
        api.list::<Value>("/api/permissions", Pages::Paged),
        api.list::<Value>("/api/topic-permissions", Pages::Paged),
    )
    .context("reading vhosts, users and permissions from the management API")?;
    let existing: BTreeSet<String> = all_vhosts
        .iter()
        .filter_map(|v| v["name"].as_str().map(String::from))
        .collect();
    let mut combined = json!({
        "vhosts": all_vhosts.into_iter().filter(|v| v["name"].as_str().is_some_and(|n| vhosts.contains(n))).collect::<Vec<_>>(),
        "users": users,
        "permissions": permissions,
        "topic_permissions": topic_permissions,
        "exchanges": [], "queues": [], "bindings": [], "policies": [], "parameters": [],
    });
    let wanted: Vec<&String> = vhosts.iter().filter(|v| existing.contains(*v)).collect();
    let per_vhost = futures_util::future::try_join_all(
        wanted
            .iter()
            .map(|v| async move { fetch_vhost(api, v).await.map(|parts| (*v, parts)) }),
    )
    .await?;
    for (vhost, parts) in per_vhost {
        for (key, items) in parts {
            if let Some(target) = combined[key].as_array_mut() {
                for mut item in items {
                    if item.get("vhost").is_none_or(Value::is_null) {
                        item["vhost"] = Value::from(vhost.as_str());
                    }
                    target.push(item);
                }
            }
        }
    }
    let raw: RawDefinitions =
        serde_json::from_value(combined).context("decoding the live definitions")?;
    let mut live = raw.normalize("/");
    // convert hook: shovels, federation upstreams, global parameters, user limits.
    super::params::fetch_extras(api, vhosts, &mut live).await?;
    Ok(live)
}

/// One vhost's exchanges, queues, bindings, policies, operator policies and limits, keyed as
/// in a definitions document. The per-kind list endpoints run in parallel and, without
/// statistics, answer faster than one `GET /api/definitions/{vhost}` (about 1.4 s against 3 s
/// for 10,000 queues and bindings on RabbitMQ 3.10).
async fn fetch_vhost(api: &ManagementApi, vhost: &str) -> Result<Vec<(&'static str, Vec<Value>)>> {
    let list = |kind: &'static str, query: &'static str| async move {
        let path = format!("{}{query}", api_path(&[kind, vhost]));
        api.list::<Value>(&path, Pages::Whole)
            .await
            .with_context(|| format!("reading the {kind} of vhost `{vhost}`"))
    };
    let (queues, exchanges, bindings, policies, operator, limits) = tokio::try_join!(
        list(
            "queues",
            "?disable_stats=true&columns=name,durable,auto_delete,arguments"
        ),
        list("exchanges", "?disable_stats=true"),
        list("bindings", ""),
        list("policies", ""),
        list("operator-policies", ""),
        list("vhost-limits", ""),
    )?;
    let mut parameters: Vec<Value> = limits
        .into_iter()
        .map(|l| json!({"vhost": vhost, "component": "vhost-limits", "name": "limits", "value": l["value"]}))
        .collect();
    parameters.extend(operator.into_iter().map(|p| {
        json!({"vhost": vhost, "component": "operator_policy", "name": p["name"], "value": {
            "pattern": p["pattern"], "apply-to": p["apply-to"], "priority": p["priority"], "definition": p["definition"]
        }})
    }));
    Ok(vec![
        ("queues", queues),
        ("exchanges", exchanges),
        ("bindings", bindings),
        ("policies", policies),
        ("parameters", parameters),
    ])
}

/// Vhosts the topology uses but neither declares nor finds on the broker.
pub fn missing_vhosts(
    desired: &Definitions,
    live: &Definitions,
    managed: &BTreeSet<String>,
) -> Vec<String> {
    managed
        .iter()
        .filter(|v| {
            !desired.vhosts.iter().any(|d| &d.name == *v)
                && !live.vhosts.iter().any(|l| &l.name == *v)
        })
        .cloned()
        .collect()
}

/// Fill in the message count of every queue the plan replaces or deletes, by the one rule
/// ([`crate::broker::queue::at_risk`]): each queue counted by itself over AMQP, plus what
/// the API says is unacknowledged. A count that can't be read stays unknown.
pub async fn count_messages(
    api: &ManagementApi,
    settings: &Settings,
    plan: &mut Plan,
) -> Result<()> {
    let targets: Vec<usize> = plan
        .changes
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            c.kind == Kind::Queue && matches!(c.action, Action::Replace | Action::Delete)
        })
        .map(|(i, _)| i)
        .collect();
    let mut by_vhost: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for i in targets {
        let vhost = plan.changes[i].vhost.clone().unwrap_or_else(|| "/".into());
        by_vhost.entry(vhost).or_default().push(i);
    }
    for (vhost, indexes) in by_vhost {
        let session = amqp::session_on(settings, &vhost).await;
        for i in indexes {
            let name = plan.changes[i].name.clone();
            let path = format!(
                "{}?columns=name,messages,messages_unacknowledged,consumers",
                api_path(&["queues", &vhost, &name])
            );
            let Some(mut stats) = api.get_opt::<crate::broker::api::Queue>(&path).await? else {
                // Gone since the plan was made: nothing to lose.
                plan.changes[i].messages = Some(0);
                continue;
            };
            stats.name = name;
            let risk = crate::broker::queue::at_risk(&session, api, &vhost, &stats).await?;
            plan.changes[i].messages = risk.messages;
        }
        if let Ok(s) = session {
            s.close().await;
        }
    }
    Ok(())
}

/// Refuse to lose messages: every replaced or deleted queue must be empty, unless allowed.
pub fn check_message_loss(plan: &Plan, allow: bool) -> Result<()> {
    if allow {
        return Ok(());
    }
    let at_risk: Vec<String> = plan
        .changes
        .iter()
        .filter(|c| c.kind == Kind::Queue && matches!(c.action, Action::Replace | Action::Delete))
        .filter(|c| c.messages != Some(0))
        .map(|c| {
            let count = crate::output::count_or_unknown(c.messages);
            let mut s = format!(
                "queue `{}` in vhost `{}` holds {count} message(s) and would be {}d",
                c.name,
                c.vhost.as_deref().unwrap_or("/"),
                c.action.as_str()
            );
            if let Some(n) = &c.note {
                s.push_str(&format!(" ({n})"));
            }
            s
        })
        .collect();
    if at_risk.is_empty() {
        return Ok(());
    }
    Err(Error::usage(format!(
            "refusing to lose messages; nothing was changed:\n  {}\nDrain the queue(s) first (e.g. shovel them elsewhere), or pass --allow-message-loss",
            at_risk.join("\n  ")
        )).into())
}

/// Passwords of users to create, read from their `password_env` variables before anything
/// changes, so a missing variable stops the run early.
pub fn resolve_passwords(
    plan: &Plan,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<HashMap<String, String>> {
    let mut out = HashMap::new();
    for c in &plan.changes {
        if let (Action::Create, Some(Object::User(u))) = (c.action, &c.desired)
            && let Some(var) = &u.password_env
        {
            let value = env(var).filter(|v| !v.is_empty()).ok_or_else(|| {
                Error::invalid_input(format!(
                    "user `{}`: environment variable `{var}` (password_env) is not set",
                    u.name
                ))
            })?;
            out.insert(u.name.clone(), value);
        }
    }
    Ok(out)
}

/// How `apply` runs: message loss, and the backup.
pub struct Options {
    pub allow_message_loss: bool,
    pub prune: bool,
    pub backup: backup::Options,
}

/// What a successful apply did.
pub struct Applied {
    pub backup: Option<std::path::PathBuf>,
}

/// Apply a checked plan: preflight, backup, execute, and on a failure roll back what this
/// run changed (exit 5, saying what was undone); then verify (exit 5 for what still differs).
#[allow(clippy::too_many_arguments)]
pub async fn apply(
    api: &ManagementApi,
    settings: &Settings,
    origins: &Origins,
    desired: &Definitions,
    live: &Definitions,
    managed: &BTreeSet<String>,
    plan: &Plan,
    passwords: &HashMap<String, String>,
    options: &Options,
) -> Result<Applied> {
    if plan.is_empty() {
        return Ok(Applied { backup: None });
    }
    preflight::check(api, plan, desired, live, origins).await?;
    let backup = if options.backup.disabled {
        crate::note!("no backup (--no-backup)");
        None
    } else {
        let existing: BTreeSet<String> = live.vhosts.iter().map(|v| v.name.clone()).collect();
        let users: BTreeSet<String> = desired.users.iter().map(|u| u.name.clone()).collect();
        let path = backup::write(api, &options.backup, &existing, &users).await?;
        crate::note!("backup written to {}", path.display());
        Some(path)
    };
    let restore_hint = match &backup {
        Some(p) => format!("warren topology restore {} --yes", p.display()),
        None => "no backup was written (--no-backup)".to_string(),
    };
    let mut executor = Executor::new(
        api,
        settings,
        origins,
        passwords,
        desired,
        options.allow_message_loss,
    );
    let result = executor.run(plan).await;
    executor.close().await;
    if let Err(e) = result {
        crate::note!("apply failed; rolling back what this run changed");
        return Err(anyhow::Error::from(
            match execute::rollback(api, settings, live, managed, &executor.touched).await {
                Ok(undone) => Error::partial_failure(format!(
                    "apply failed: {e:#}\nRolled back; the broker is as it was before this run:\n  {}\nBackup: {restore_hint}",
                    if undone.is_empty() {
                        "(nothing had changed)".to_string()
                    } else {
                        undone.join("\n  ")
                    }
                )),
                Err(r) => Error::partial_failure(format!(
                    "apply failed: {e:#}\nThe rollback failed too: {r:#}\nRestore with: {restore_hint}"
                )),
            },
        ));
    }
    verify(api, desired, managed, options.prune).await?;
    Ok(Applied { backup })
}

/// Re-read the broker and diff it against the files: anything still differing is reported
/// per object (exit 5), so "applied" is only said of changes the broker kept.
pub async fn verify(
    api: &ManagementApi,
    desired: &Definitions,
    managed: &BTreeSet<String>,
    prune: bool,
) -> Result<()> {
    let now = fetch_live(api, managed).await?;
    let left = diff::diff(desired, &now, managed, prune);
    if left.is_empty() {
        return Ok(());
    }
    Err(Error::partial_failure(format!(
        "applied, but the broker still differs from the files (it ignored or refused these):\n{}",
        diff::table(&left.changes)
    ))
    .into())
}
