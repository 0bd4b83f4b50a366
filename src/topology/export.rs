//! Live state, or a RabbitMQ definitions file, written as a warren topology. Passwords are
//! never written: a URI holding one becomes `uri_env`. `convert` carries users' password
//! hashes; `export` of live state does not (add `password_env` to users that need one).

use std::collections::BTreeSet;

use anyhow::{Context, Result};

use super::apply::fetch_live;
use super::defs::{self, Definitions, RawDefinitions};
use super::model::Topology;
use super::params;
use crate::broker::http::{ManagementApi, Pages};
use crate::exit::Error;

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
            let all: Vec<serde_json::Value> = api.list("/api/vhosts", Pages::Paged).await?;
            all.iter()
                .filter_map(|v| v["name"].as_str().map(String::from))
                .collect()
        }
    };
    let live = fetch_live(api, &scope).await?;
    for v in &scope {
        if !live.vhosts.iter().any(|l| &l.name == v) {
            return Err(api.vhost_unavailable(v).into());
        }
    }
    Ok(Converted::from_defs(scoped(live, &scope, all_vhosts)))
}

/// Keep what belongs to `scope`: its objects, its permissions, and the users holding them,
/// without their password hashes; global parameters only for an export of every vhost.
fn scoped(mut d: Definitions, scope: &BTreeSet<String>, all_vhosts: bool) -> Definitions {
    d.permissions.retain(|p| scope.contains(&p.vhost));
    d.topic_permissions.retain(|p| scope.contains(&p.vhost));
    let holders: BTreeSet<String> = d
        .permissions
        .iter()
        .map(|p| p.user.clone())
        .chain(d.topic_permissions.iter().map(|p| p.user.clone()))
        .collect();
    d.users.retain(|u| holders.contains(&u.name));
    for u in &mut d.users {
        u.password_hash = None;
        u.hashing_algorithm = None;
    }
    if !all_vhosts {
        d.global_parameters.clear();
    }
    d
}

/// Convert a definitions export (JSON text) into a topology, password hashes included;
/// objects without a vhost (a per-vhost export) go to `default_vhost`. Untyped queues of a
/// vhost with a default queue type get that type, as RabbitMQ 4.0's import does.
pub fn convert(file: &str, text: &str, default_vhost: &str) -> Result<Converted> {
    let raw: RawDefinitions = serde_json::from_str(text).map_err(|e| {
        Error::invalid_input(format!(
            "{file}:{}:{}: not a RabbitMQ definitions file: {e}",
            e.line(),
            e.column()
        ))
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
    use super::super::model::QueueType;
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

    fn every_kind() -> &'static str {
        // Captured from RabbitMQ 3.10.8: see tests/fixtures/README.md for the commands.
        include_str!("../../tests/fixtures/rabbitmq-3.10.8/definitions-every-kind.json")
    }

    #[test]
    fn convert_carries_every_kind_and_no_password() {
        let c = convert("d.json", every_kind(), "/").unwrap();
        let yaml = to_yaml(&c.topology, "converted").unwrap();
        assert!(!yaml.contains("s3cret"), "{yaml}");
        let u = c
            .topology
            .users
            .iter()
            .find(|u| u.name == "cap-user")
            .unwrap();
        assert!(u.password_hash.is_some());
        assert_eq!(
            u.hashing_algorithm.as_deref(),
            Some("rabbit_password_hashing_sha256")
        );
        let limits = u.limits.as_ref().unwrap();
        assert_eq!(
            (limits.max_connections, limits.max_channels),
            (Some(10), Some(20))
        );
        assert_eq!(c.topology.global_parameters[0].name, "warren-note");
        assert_eq!(c.not_carried.len(), 1, "{:?}", c.not_carried);
        // Two variables: the shovel's src-uri, the upstream's list of two URIs.
        assert_eq!(c.variables.len(), 3, "{:?}", c.variables);
        assert!(c.variables.iter().all(|l| !l.contains("s3cret")));
        assert!(
            c.variables[0].contains("SHOVEL_MV_SRC_URI"),
            "{:?}",
            c.variables
        );

        // The YAML reloads, and with the variables set gives back the broker's definitions.
        let back = super::super::load::parse("x.yaml", &yaml, &|_| None).unwrap();
        let back = super::super::load::merge(vec![back]).unwrap();
        let mut d = back.to_defs();
        let env = |k: &str| {
            let uri = match k {
                "SHOVEL_MV_SRC_URI" => "amqp://cap-user:s3cret@localhost:27100/cap-src",
                "FEDERATION_UPSTREAM_UP_URI_1" => "amqp://cap-user:s3cret@localhost:27100/cap-q",
                "FEDERATION_UPSTREAM_UP_URI_2" => "amqp://localhost:27100",
                _ => return None,
            };
            Some(uri.to_string())
        };
        super::super::params::resolve_uri_env(&mut d, &env).unwrap();
        let original: RawDefinitions = serde_json::from_str(every_kind()).unwrap();
        let mut original = original.normalize("/");
        // No limits and an empty map of limits are the same to the broker.
        for u in &mut original.users {
            u.limits = u.limits.take().filter(|l| !l.is_empty());
        }
        assert_eq!(d.shovels, original.shovels);
        assert_eq!(d.federation_upstreams, original.federation_upstreams);
        assert_eq!(d.global_parameters, original.global_parameters);
        assert_eq!(d.users, original.users);
        assert_eq!(d.queues, original.queues);
    }

    #[test]
    fn convert_types_untyped_queues_by_their_vhost() {
        let raw = r#"{
            "vhosts": [{"name": "q", "metadata": {"default_queue_type": "quorum", "tags": ["eu"]}}, {"name": "c"}],
            "queues": [
                {"name": "a", "vhost": "q", "arguments": {}},
                {"name": "b", "vhost": "c", "arguments": {}},
                {"name": "s", "vhost": "q", "arguments": {"x-queue-type": "stream"}},
                {"name": "w", "vhost": "q", "arguments": {"x-queue-type": "weird"}}
            ]
        }"#;
        let c = convert("d.json", raw, "/").unwrap();
        let kinds: Vec<(&str, Option<QueueType>)> = c
            .topology
            .queues
            .iter()
            .map(|q| (q.name.as_str(), q.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                ("a", Some(QueueType::Quorum)),
                ("b", None),
                ("s", Some(QueueType::Stream))
            ]
        );
        assert_eq!(c.not_carried.len(), 1);
        assert!(c.not_carried[0].contains("`w`"), "{:?}", c.not_carried);
        assert_eq!(
            c.topology.vhosts[0].tags.as_deref(),
            Some(&["eu".to_string()][..])
        );
    }

    #[test]
    fn an_export_of_live_state_writes_no_hashes() {
        let original: RawDefinitions = serde_json::from_str(every_kind()).unwrap();
        let live = original.normalize("/");
        let scope = BTreeSet::from(["cap-src".to_string()]);
        let mut with_permission = live.clone();
        with_permission
            .permissions
            .push(super::super::defs::PermissionDef {
                user: "cap-user".into(),
                vhost: "cap-src".into(),
                ..Default::default()
            });
        let c = Converted::from_defs(scoped(with_permission, &scope, false));
        // cap-user and warren-admin hold permissions in cap-src.
        assert_eq!(c.topology.users.len(), 2);
        for u in &c.topology.users {
            assert!(u.password_hash.is_none() && u.hashing_algorithm.is_none());
        }
        assert!(c.topology.global_parameters.is_empty());
        let all = Converted::from_defs(scoped(live, &scope, true));
        assert_eq!(all.topology.global_parameters.len(), 1);
    }

    #[test]
    fn a_broken_file_says_where() {
        let e = convert("d.json", "{\n  \"queues\": 5\n}", "/").unwrap_err();
        assert!(format!("{e:#}").starts_with("d.json:2:"), "{e:#}");
    }
}
