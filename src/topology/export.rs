//! Live state, or a RabbitMQ definitions file, written as a warren topology. Passwords are
//! never written: a URI holding one becomes `uri_env`. `convert` carries users' password
//! hashes; `export` of live state does not (add `password_env` to users that need one).

use std::collections::BTreeSet;

use anyhow::{Context, Result};

use super::apply::fetch_live;
use super::defs::{self, Definitions, RawDefinitions};
use super::model::Topology;
use super::params;
use crate::broker::http::ManagementApi;
use crate::exit::{Code, fail};

/// A topology written from live state or a definitions file, and what to tell the user.
#[derive(Debug)]
pub struct Converted {
    pub topology: Topology,
    /// Objects (or parts) the model can't hold, one line each.
    pub not_carried: Vec<String>,
    /// The environment variables to set for URIs that hold passwords, one line each.
    pub variables: Vec<String>,
}

impl Converted {
    fn from_defs(mut d: Definitions) -> Converted {
        let variables = params::move_secrets_to_env(&mut d);
        Converted {
            topology: Topology::from_defs(&d),
            not_carried: std::mem::take(&mut d.not_carried),
            variables,
        }
    }
}

/// Export the given vhosts (or every vhost, and the global parameters, when `vhosts` is
/// `None`). Users' password hashes are left out.
pub async fn export(api: &ManagementApi, vhosts: Option<BTreeSet<String>>) -> Result<Converted> {
    let all_vhosts = vhosts.is_none();
    let scope = match vhosts {
        Some(v) => v,
        None => {
            let all: Vec<serde_json::Value> = api.get("/api/vhosts").await?;
            all.iter()
                .filter_map(|v| v["name"].as_str().map(String::from))
                .collect()
        }
    };
    let live = fetch_live(api, &scope).await?;
    for v in &scope {
        if !live.vhosts.iter().any(|l| &l.name == v) {
            return Err(fail(
                Code::VhostUnavailable,
                format!(
                    "vhost `{v}` does not exist or user `{}` cannot see it",
                    api.user()
                ),
            ));
        }
    }
    let mut d = scoped(live, &scope);
    for u in &mut d.users {
        u.password_hash = None;
        u.hashing_algorithm = None;
    }
    if !all_vhosts {
        d.global_parameters.clear();
    }
    Ok(Converted::from_defs(d))
}

/// Keep what belongs to `scope`: its objects, its permissions, and the users holding them.
fn scoped(mut d: Definitions, scope: &BTreeSet<String>) -> Definitions {
    d.permissions.retain(|p| scope.contains(&p.vhost));
    d.topic_permissions.retain(|p| scope.contains(&p.vhost));
    let holders: BTreeSet<String> = d
        .permissions
        .iter()
        .map(|p| p.user.clone())
        .chain(d.topic_permissions.iter().map(|p| p.user.clone()))
        .collect();
    d.users.retain(|u| holders.contains(&u.name));
    d
}

/// Convert a definitions export (JSON text) into a topology, password hashes included;
/// objects without a vhost (a per-vhost export) go to `default_vhost`. Untyped queues of a
/// vhost with a default queue type get that type, as RabbitMQ 4.0's import does.
pub fn convert(file: &str, text: &str, default_vhost: &str) -> Result<Converted> {
    let raw: RawDefinitions = serde_json::from_str(text).map_err(|e| {
        fail(
            Code::InvalidInput,
            format!(
                "{file}:{}:{}: not a RabbitMQ definitions file: {e}",
                e.line(),
                e.column()
            ),
        )
    })?;
    let mut d = raw.normalize(default_vhost);
    defs::apply_declared_queue_types(&mut d);
    Ok(Converted::from_defs(d))
}

/// The YAML text of a topology, with a header saying where it came from.
pub fn to_yaml(t: &Topology, header: &str) -> Result<String> {
    let body = serde_yaml::to_string(t).context("writing the topology as YAML")?;
    let mut out = String::new();
    for line in header.lines() {
        out.push_str(&format!("# {line}\n"));
    }
    out.push_str(&body);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_definitions_file_converts_and_reloads() {
        // Captured from RabbitMQ 3.10.8: see tests/fixtures/README.md for the command.
        let raw = include_str!("../../tests/fixtures/rabbitmq-3.10.8/definitions-vhost.json");
        let t = convert("d.json", raw, "probe").unwrap().topology;
        let yaml = to_yaml(&t, "converted").unwrap();
        let back = super::super::load::parse("x.yaml", &yaml, &|_| None).unwrap();
        assert_eq!(back.to_defs(), t.to_defs());
        let q = back.queues.iter().find(|q| q.name == "q").unwrap();
        assert_eq!(q.kind, Some(super::super::model::QueueType::Quorum));
        assert_eq!(back.operator_policies[0].name, "op");
    }

    #[test]
    fn a_broken_file_says_where() {
        let e = convert("d.json", "{\n  \"queues\": 5\n}", "/").unwrap_err();
        assert!(format!("{e:#}").starts_with("d.json:2:"), "{e:#}");
    }
}
