//! The backup written before every apply that changes anything: the managed vhosts'
//! complete definitions (`GET /api/definitions/{vhost}`), their permissions, and the users
//! involved with their password hashes, as one definitions document that `topology restore`
//! (or the broker's own import) reads back.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::broker::http::{ManagementApi, Pages, api_path};
use crate::exit::Error;

/// Where and whether to write the backup.
#[derive(Clone, Debug)]
pub struct Options {
    /// `--backup PATH`; otherwise a timestamped file in [`default_dir`].
    pub path: Option<PathBuf>,
    /// `--no-backup`.
    pub disabled: bool,
    /// How many backups to keep in the default directory.
    pub keep: usize,
}

/// `$XDG_STATE_HOME/warren/backups`, or `~/.local/state/warren/backups`.
pub fn default_dir() -> Result<PathBuf> {
    let state = match std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => {
            let home = std::env::var_os("HOME").filter(|v| !v.is_empty()).ok_or_else(|| {
                Error::usage("neither XDG_STATE_HOME nor HOME is set: give --backup PATH (or --no-backup)")
            })?;
            PathBuf::from(home).join(".local/state")
        }
    };
    Ok(state.join("warren/backups"))
}

/// Read the definitions of `vhosts` (those that exist) with the given users, and write them.
/// Returns the file written.
pub async fn write(
    api: &ManagementApi,
    options: &Options,
    vhosts: &BTreeSet<String>,
    users: &BTreeSet<String>,
) -> Result<PathBuf> {
    let doc = read(api, vhosts, users)
        .await
        .context("writing the backup before apply (--no-backup applies without one)")?;
    let path = match &options.path {
        Some(p) => p.clone(),
        None => {
            let dir = default_dir()?;
            let stamp = humantime::format_rfc3339_seconds(std::time::SystemTime::now())
                .to_string()
                .replace(':', "-");
            dir.join(format!("topology-{stamp}-{}.json", std::process::id()))
        }
    };
    save(&path, &doc)?;
    if options.path.is_none() {
        prune_old(path.parent().unwrap_or(Path::new(".")), options.keep);
    }
    Ok(path)
}

/// The backup document: a definitions file the broker's import accepts as it is.
pub async fn read(
    api: &ManagementApi,
    vhosts: &BTreeSet<String>,
    users: &BTreeSet<String>,
) -> Result<Value> {
    let (all_vhosts, all_users, permissions, topic_permissions, overview) = tokio::try_join!(
        api.list::<Value>("/api/vhosts", Pages::Paged),
        api.list::<Value>("/api/users", Pages::Paged),
        api.list::<Value>("/api/permissions", Pages::Paged),
        api.list::<Value>("/api/topic-permissions", Pages::Paged),
        api.get::<Value>("/api/overview"),
    )
    .context("reading the state to back up")?;
    let in_scope = |v: &Value| v["vhost"].as_str().is_some_and(|n| vhosts.contains(n));
    let existing: Vec<Value> = all_vhosts
        .into_iter()
        .filter(|v| v["name"].as_str().is_some_and(|n| vhosts.contains(n)))
        .collect();
    let permissions: Vec<Value> = permissions.into_iter().filter(in_scope).collect();
    let topic_permissions: Vec<Value> = topic_permissions.into_iter().filter(in_scope).collect();
    let holders: BTreeSet<&str> = permissions
        .iter()
        .chain(&topic_permissions)
        .filter_map(|p| p["user"].as_str())
        .collect();
    let users: Vec<Value> = all_users
        .into_iter()
        .filter(|u| {
            u["name"]
                .as_str()
                .is_some_and(|n| users.contains(n) || holders.contains(n))
        })
        .collect();
    let mut doc = json!({
        "rabbit_version": overview["rabbitmq_version"],
        "warren_backup": {
            "created": humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            "broker": api.base().as_str(),
            "vhosts": vhosts,
        },
        "vhosts": existing.iter().map(vhost_entry).collect::<Vec<_>>(),
        "users": users,
        "permissions": permissions,
        "topic_permissions": topic_permissions,
        "exchanges": [], "queues": [], "bindings": [], "policies": [], "parameters": [],
    });
    for v in existing.iter().filter_map(|v| v["name"].as_str()) {
        let (mut defs, exchanges) = tokio::try_join!(
            async {
                api.get::<Value>(&api_path(&["definitions", v]))
                    .await
                    .with_context(|| format!("reading the definitions of vhost `{v}`"))
            },
            async {
                let path = format!("{}?disable_stats=true", api_path(&["exchanges", v]));
                api.list::<crate::broker::api::Exchange>(&path, Pages::Whole)
                    .await
                    .with_context(|| format!("reading the exchanges of vhost `{v}`"))
            },
        )?;
        add_internal_exchanges(&mut defs, exchanges);
        for key in ["exchanges", "queues", "bindings", "policies", "parameters"] {
            let items = defs[key].as_array().cloned().unwrap_or_default();
            if let Some(target) = doc[key].as_array_mut() {
                for mut item in items {
                    // A per-vhost export leaves the vhost out; the backup covers several.
                    item["vhost"] = Value::from(v);
                    target.push(item);
                }
            }
        }
    }
    Ok(doc)
}

/// Add to a vhost's definitions export its internal exchanges from `GET /api/exchanges`:
/// RabbitMQ 4.3 leaves them out of the export (rabbit_definitions:list_exchanges/0), and
/// earlier versions put them in, so an exchange already there is left as it is.
fn add_internal_exchanges(defs: &mut Value, exchanges: Vec<crate::broker::api::Exchange>) {
    let Some(list) = defs
        .as_object_mut()
        .map(|d| d.entry("exchanges").or_insert_with(|| json!([])))
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for x in exchanges {
        let name = x.name.as_str();
        if x.internal != Some(true)
            || super::defs::is_builtin_exchange(name)
            || list.iter().any(|e| e["name"] == name)
        {
            continue;
        }
        list.push(json!({
            "name": name,
            "type": x.kind,
            "durable": x.durable,
            "auto_delete": x.auto_delete,
            "internal": true,
            "arguments": x.arguments,
        }));
    }
}

/// A vhost as the definitions import takes it.
fn vhost_entry(v: &Value) -> Value {
    let mut out = json!({"name": v["name"]});
    for key in [
        "description",
        "tags",
        "default_queue_type",
        "metadata",
        "limits",
    ] {
        if let Some(x) = v.get(key).filter(|x| !x.is_null()) {
            out[key] = x.clone();
        }
    }
    out
}

/// Write the file readable by its owner only: it holds password hashes.
fn save(path: &Path, doc: &Value) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::usage(format!("creating {}: {e}", dir.display())))?;
    }
    let text = serde_json::to_string_pretty(doc)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| Error::usage(format!("writing backup {}: {e}", path.display())))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::usage(format!("writing backup {}: {e}", path.display())))?;
    Ok(())
}

/// Keep the newest `keep` backups of the directory (names sort by time).
fn prune_old(dir: &Path, keep: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("topology-") && n.ends_with(".json"))
        })
        .collect();
    files.sort();
    let excess = files.len().saturating_sub(keep);
    for old in &files[..excess] {
        let _ = std::fs::remove_file(old);
    }
}

/// Read a backup (or any definitions file) for `topology restore`.
pub fn load(path: &Path) -> Result<(String, Value)> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::invalid_input(format!("reading {file}: {e}")))?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| {
        Error::invalid_input(format!(
            "{file}:{}:{}: not a definitions file: {e}",
            e.line(),
            e.column()
        ))
    })?;
    Ok((file, doc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_newest_backups_are_kept() {
        let dir = std::env::temp_dir().join(format!("warren-backup-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for i in 0..5 {
            std::fs::write(dir.join(format!("topology-2026-01-0{i}.json")), "{}").unwrap();
        }
        std::fs::write(dir.join("other.json"), "{}").unwrap();
        prune_old(&dir, 2);
        let mut left: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "other.json",
                "topology-2026-01-03.json",
                "topology-2026-01-04.json"
            ]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
