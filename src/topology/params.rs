//! Shovels, federation upstreams, global parameters and user limits: their URIs' secrets
//! (kept out of files as `uri_env`), reading them live, and writing them one request each.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use super::defs::{
    Definitions, EnvRef, GlobalParameterDef, ParameterDef, RawDefinitions, USER_LIMITS,
};
use super::diff::{Change, Object};
use super::model::Topology;
use crate::broker::http::{ManagementApi, Pages, api_path};
use crate::exit::Error;

pub const SHOVEL: &str = "shovel";
pub const FEDERATION_UPSTREAM: &str = "federation-upstream";

/// Value keys that hold URIs: `uri` (federation), `src-uri` and `dest-uri` (shovels).
pub fn is_uri_key(key: &str) -> bool {
    key == "uri" || key.ends_with("-uri")
}

/// Where the password of `amqp://user:password@host/...` is, if the URI has one.
fn password_span(uri: &str) -> Option<Range<usize>> {
    let start = uri.find("://")? + 3;
    let end = uri[start..]
        .find(['/', '?', '#'])
        .map_or(uri.len(), |i| start + i);
    let at = uri[start..end].rfind('@')? + start;
    let colon = uri[start..at].find(':')? + start;
    (colon + 1 < at).then_some(colon + 1..at)
}

pub fn has_password(uri: &str) -> bool {
    password_span(uri).is_some()
}

/// The URI without its password (`amqp://user@host/...`): what plans compare and print.
pub fn redact(uri: &str) -> String {
    match password_span(uri) {
        Some(span) => format!("{}{}", &uri[..span.start - 1], &uri[span.end..]),
        None => uri.to_string(),
    }
}

/// A parameter value with every URI's password removed.
pub fn redacted_value(value: &BTreeMap<String, Value>) -> BTreeMap<String, Value> {
    value
        .iter()
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) if is_uri_key(k) => Value::from(redact(s)),
                Value::Array(a) if is_uri_key(k) => a
                    .iter()
                    .map(|u| u.as_str().map_or_else(|| u.clone(), |s| redact(s).into()))
                    .collect(),
                other => other.clone(),
            };
            (k.clone(), v)
        })
        .collect()
}

/// The URIs of one value key (a string or a list of strings).
fn uris(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Checks on the files' shovels, federation upstreams and global parameters: no password in
/// a plain URI, a key given in `value` or `uri_env` but not both, non-empty names.
pub fn validate(t: &Topology) -> Vec<String> {
    let mut errors = Vec::new();
    for (what, list) in [
        ("shovel", &t.shovels),
        ("federation upstream", &t.federation_upstreams),
    ] {
        for p in list {
            if p.name.is_empty() {
                errors.push(format!("{}: {what} needs a non-empty name", p.origin));
            }
            for (key, v) in &p.value {
                if is_uri_key(key) && uris(v).iter().any(|u| has_password(u)) {
                    errors.push(format!(
                        "{}: {what} `{}`: `{key}` holds a password; a password never goes in the file: put the URI in an environment variable and name it in `uri_env: {{{key}: VARIABLE}}`",
                        p.origin, p.name
                    ));
                }
            }
            for key in p.uri_env.keys() {
                if p.value.contains_key(key) {
                    errors.push(format!(
                        "{}: {what} `{}`: `{key}` is given in `value` and in `uri_env`; keep one",
                        p.origin, p.name
                    ));
                }
            }
        }
    }
    for g in &t.global_parameters {
        if g.name.is_empty() {
            errors.push(format!(
                "{}: global parameter needs a non-empty name",
                g.origin
            ));
        }
    }
    errors
}

/// Put the URIs named by `uri_env` into the values, read from the environment, before the
/// plan: an unset variable stops the run early (exit 4).
pub fn resolve_uri_env(d: &mut Definitions, env: &dyn Fn(&str) -> Option<String>) -> Result<()> {
    for (what, list) in [
        ("shovel", &mut d.shovels),
        ("federation upstream", &mut d.federation_upstreams),
    ] {
        for p in list.iter_mut() {
            for (key, var) in std::mem::take(&mut p.uri_env) {
                let read = |var: &str| {
                    env(var).filter(|v| !v.is_empty()).ok_or_else(|| {
                        Error::invalid_input(format!(
                                "{what} `{}` in vhost `{}`: environment variable `{var}` (uri_env `{key}`) is not set",
                                p.name, p.vhost
                            ))
                        .into()
                    })
                };
                let value = match &var {
                    EnvRef::One(v) => Value::from(read(v)?),
                    EnvRef::Many(vs) => vs
                        .iter()
                        .map(|v| read(v).map(Value::from))
                        .collect::<Result<Vec<_>>>()?
                        .into(),
                };
                p.value.insert(key, value);
            }
        }
    }
    Ok(())
}

/// An environment variable name made of `parts`: upper case, `_` for anything else.
fn env_name(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| {
            p.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_uppercase()
                    } else {
                        '_'
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("_")
}

/// Convert: move every URI that holds a password out of the values and into `uri_env`
/// (`SHOVEL_<NAME>_SRC_URI`, ...). Returns one line per variable for stderr, naming the
/// URI without its password.
pub fn move_secrets_to_env(d: &mut Definitions) -> Vec<String> {
    let mut used = BTreeSet::new();
    let mut unique = |base: String| {
        let mut name = base.clone();
        let mut n = 2;
        while !used.insert(name.clone()) {
            name = format!("{base}_{n}");
            n += 1;
        }
        name
    };
    let mut lines = Vec::new();
    for (what, prefix, list) in [
        ("shovel", "SHOVEL", &mut d.shovels),
        (
            "federation upstream",
            "FEDERATION_UPSTREAM",
            &mut d.federation_upstreams,
        ),
    ] {
        for p in list.iter_mut() {
            let secret: Vec<String> = p
                .value
                .iter()
                .filter(|(k, v)| is_uri_key(k) && uris(v).iter().any(|u| has_password(u)))
                .map(|(k, _)| k.clone())
                .collect();
            for key in secret {
                let Some(v) = p.value.remove(&key) else {
                    continue;
                };
                let base = env_name(&[prefix, &p.name, &key]);
                let list = uris(&v);
                let vars: Vec<String> = if v.is_string() {
                    vec![unique(base)]
                } else {
                    (1..=list.len())
                        .map(|i| unique(format!("{base}_{i}")))
                        .collect()
                };
                let held = if v.is_string() {
                    "holds a password"
                } else {
                    "is a list of URIs holding a password"
                };
                for (var, uri) in vars.iter().zip(&list) {
                    lines.push(format!(
                        "{what} `{}` in vhost `{}`: `{key}` {held}, so it is not written: set {var} to the URI {} (with its password, if it has one)",
                        p.name,
                        p.vhost,
                        redact(uri)
                    ));
                }
                let env = match (v.is_string(), vars.as_slice()) {
                    (true, [one]) => EnvRef::One(one.clone()),
                    _ => EnvRef::Many(vars),
                };
                p.uri_env.insert(key, env);
            }
        }
    }
    lines
}

/// Fill in what `fetch_live` doesn't read: the shovels and federation upstreams of `vhosts`,
/// every global parameter, and the limits of users the user list left without.
pub async fn fetch_extras(
    api: &ManagementApi,
    vhosts: &BTreeSet<String>,
    live: &mut Definitions,
) -> Result<()> {
    let (parameters, globals, user_limits) = tokio::try_join!(
        api.list::<Value>("/api/parameters", Pages::Paged),
        api.list::<Value>("/api/global-parameters", Pages::Paged),
        api.list::<Value>("/api/user-limits", Pages::Paged),
    )
    .context("reading runtime parameters, global parameters and user limits")?;
    let parameters: Vec<Value> = parameters
        .into_iter()
        .filter(|p| {
            p["vhost"].as_str().is_some_and(|v| vhosts.contains(v))
                && p["component"]
                    .as_str()
                    .is_some_and(|c| c == SHOVEL || c == FEDERATION_UPSTREAM)
        })
        .collect();
    let raw: RawDefinitions =
        serde_json::from_value(json!({"parameters": parameters, "global_parameters": globals}))
            .context("decoding runtime parameters")?;
    let extras = raw.normalize("/");
    live.shovels = extras.shovels;
    live.federation_upstreams = extras.federation_upstreams;
    live.global_parameters = extras.global_parameters;
    let mut limits: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for l in user_limits {
        if let (Some(user), Some(value)) = (l["user"].as_str(), l["value"].as_object()) {
            limits.entry(user.to_string()).or_default().extend(
                value
                    .iter()
                    .filter_map(|(k, v)| v.as_i64().map(|n| (k.clone(), n))),
            );
        }
    }
    for u in &mut live.users {
        if u.limits.is_none() {
            u.limits = Some(limits.remove(&u.name).unwrap_or_default());
        }
    }
    Ok(())
}

/// Write what a create or update of `c` needs here: user limits, shovels, federation
/// upstreams and global parameters (one request each). Called for every written change,
/// after the object's own request.
pub async fn write(api: &ManagementApi, c: &Change) -> Result<()> {
    match &c.desired {
        Some(Object::User(u)) => {
            if let Some(wanted) = &u.limits {
                let before = match &c.live {
                    Some(Object::User(l)) => l.limits.clone().unwrap_or_default(),
                    _ => BTreeMap::new(),
                };
                write_user_limits(api, &u.name, wanted, &before).await?;
            }
        }
        Some(Object::Shovel(p)) => put_parameter(api, SHOVEL, p).await?,
        Some(Object::FederationUpstream(p)) => put_parameter(api, FEDERATION_UPSTREAM, p).await?,
        Some(Object::GlobalParameter(g)) => put_global(api, g).await?,
        _ => {}
    }
    Ok(())
}

/// Delete a pruned shovel or federation upstream, or a global parameter a rolled-back run
/// created.
pub async fn delete(api: &ManagementApi, c: &Change) -> Result<()> {
    match &c.live {
        Some(Object::Shovel(p)) => delete_parameter(api, SHOVEL, p).await,
        Some(Object::FederationUpstream(p)) => delete_parameter(api, FEDERATION_UPSTREAM, p).await,
        Some(Object::GlobalParameter(g)) => api
            .delete(&api_path(&["global-parameters", &g.name]))
            .await
            .with_context(|| format!("deleting global parameter `{}`", g.name)),
        _ => Ok(()),
    }
}

/// Set the wanted limits and remove those set before but no longer wanted.
pub async fn write_user_limits(
    api: &ManagementApi,
    user: &str,
    wanted: &BTreeMap<String, i64>,
    before: &BTreeMap<String, i64>,
) -> Result<()> {
    for key in USER_LIMITS {
        let path = api_path(&["user-limits", user, key]);
        match wanted.get(key) {
            Some(n) if before.get(key) != Some(n) => api
                .put(&path, &json!({"value": n}))
                .await
                .with_context(|| format!("setting limit `{key}` of user `{user}`"))?,
            None if before.contains_key(key) => api
                .delete(&path)
                .await
                .with_context(|| format!("removing limit `{key}` of user `{user}`"))?,
            _ => {}
        }
    }
    Ok(())
}

fn component_name(component: &str) -> &'static str {
    if component == SHOVEL {
        "shovel"
    } else {
        "federation upstream"
    }
}

pub async fn put_parameter(api: &ManagementApi, component: &str, p: &ParameterDef) -> Result<()> {
    api.put(
        &api_path(&["parameters", component, &p.vhost, &p.name]),
        &json!({"component": component, "vhost": p.vhost, "name": p.name, "value": p.value}),
    )
    .await
    .with_context(|| {
        format!(
            "writing {} `{}` in vhost `{}`",
            component_name(component),
            p.name,
            p.vhost
        )
    })
}

pub async fn delete_parameter(
    api: &ManagementApi,
    component: &str,
    p: &ParameterDef,
) -> Result<()> {
    api.delete(&api_path(&["parameters", component, &p.vhost, &p.name]))
        .await
        .with_context(|| {
            format!(
                "deleting {} `{}` in vhost `{}`",
                component_name(component),
                p.name,
                p.vhost
            )
        })
}

pub async fn put_global(api: &ManagementApi, g: &GlobalParameterDef) -> Result<()> {
    api.put(
        &api_path(&["global-parameters", &g.name]),
        &json!({"name": g.name, "value": g.value}),
    )
    .await
    .with_context(|| format!("writing global parameter `{}`", g.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Topology> {
        let t = super::super::load::parse("t.yaml", text, &|_| None)?;
        super::super::load::merge(vec![t])
    }

    #[test]
    fn a_password_in_a_plain_uri_is_refused_at_its_line() {
        let e = load(
            "shovels:\n  - name: ok\n    value: {src-uri: \"amqp://\"}\n  - name: mv\n    vhost: v\n    value:\n      src-uri: amqp://u:hunter2@h/v\n",
        )
        .unwrap_err();
        assert_eq!(crate::exit::code_of(&e), crate::exit::Code::InvalidInput);
        let e = format!("{e:#}");
        assert!(
            e.starts_with("t.yaml:4:5: shovel `mv`: `src-uri` holds a password"),
            "{e}"
        );
        assert!(e.contains("uri_env"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
        let e = load(
            "federation_upstreams:\n  - name: up\n    value: {uri: [amqp://h, amqp://u:p@h]}\n",
        )
        .unwrap_err();
        assert!(format!("{e:#}").contains("federation upstream `up`: `uri` holds a password"));
    }

    #[test]
    fn uri_env_loads_and_must_not_repeat_a_value_key() {
        let t = load(
            "shovels:\n  - name: mv\n    value: {src-queue: q}\n    uri_env: {src-uri: SRC, dest-uri: [A, B]}\nglobal_parameters:\n  - {name: cluster_name, value: c1}\n",
        )
        .unwrap();
        assert_eq!(t.shovels[0].uri_env["src-uri"], EnvRef::One("SRC".into()));
        assert_eq!(
            t.shovels[0].uri_env["dest-uri"],
            EnvRef::Many(vec!["A".into(), "B".into()])
        );
        assert_eq!(t.global_parameters[0].value, "c1");
        let e = load(
            "shovels:\n  - name: mv\n    value: {src-uri: \"amqp://\"}\n    uri_env: {src-uri: SRC}\n",
        )
        .unwrap_err();
        assert!(
            format!("{e:#}").contains("given in `value` and in `uri_env`"),
            "{e:#}"
        );
        let e = load("shovels:\n  - {name: a, value: {}}\n  - {name: a, value: {}}\n").unwrap_err();
        assert!(
            format!("{e:#}").contains("duplicate shovel `a` in vhost `/`"),
            "{e:#}"
        );
    }

    #[test]
    fn passwords_are_found_and_removed() {
        let u = "amqp://app:s3cr:et@host:5672/v?heartbeat=5";
        assert!(has_password(u));
        assert_eq!(redact(u), "amqp://app@host:5672/v?heartbeat=5");
        for plain in [
            "amqp://",
            "amqp://host/v",
            "amqp://app@host",
            "amqp://app:@host",
            "amqps://host/v?password=x:y@z",
        ] {
            assert!(!has_password(plain), "{plain}");
            assert_eq!(redact(plain), plain);
        }
    }

    fn shovel(value: Value) -> ParameterDef {
        ParameterDef {
            vhost: "v".into(),
            name: "move orders".into(),
            value: serde_json::from_value(value).unwrap(),
            uri_env: BTreeMap::new(),
        }
    }

    #[test]
    fn secrets_move_to_env_and_back() {
        let mut d = Definitions {
            shovels: vec![shovel(json!({
                "src-uri": "amqp://a:pw@h/v", "dest-uri": "amqp://", "src-queue": "q"
            }))],
            federation_upstreams: vec![ParameterDef {
                name: "up".into(),
                ..shovel(json!({"uri": ["amqp://b:pw2@h1", "amqp://h2"]}))
            }],
            ..Default::default()
        };
        let original = d.clone();
        let lines = move_secrets_to_env(&mut d);
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(lines.iter().all(|l| !l.contains("pw")), "{lines:?}");
        assert!(lines[0].contains("SHOVEL_MOVE_ORDERS_SRC_URI"), "{lines:?}");
        assert!(lines[0].contains("amqp://a@h/v"), "{lines:?}");
        let s = &d.shovels[0];
        assert!(!s.value.contains_key("src-uri"));
        assert_eq!(s.value["dest-uri"], "amqp://");
        assert_eq!(
            s.uri_env["src-uri"],
            EnvRef::One("SHOVEL_MOVE_ORDERS_SRC_URI".into())
        );
        assert_eq!(
            d.federation_upstreams[0].uri_env["uri"],
            EnvRef::Many(vec![
                "FEDERATION_UPSTREAM_UP_URI_1".into(),
                "FEDERATION_UPSTREAM_UP_URI_2".into()
            ])
        );
        let env = |k: &str| match k {
            "SHOVEL_MOVE_ORDERS_SRC_URI" => Some("amqp://a:pw@h/v".to_string()),
            "FEDERATION_UPSTREAM_UP_URI_1" => Some("amqp://b:pw2@h1".to_string()),
            "FEDERATION_UPSTREAM_UP_URI_2" => Some("amqp://h2".to_string()),
            _ => None,
        };
        resolve_uri_env(&mut d, &env).unwrap();
        assert_eq!(d, original);
    }

    #[test]
    fn an_unset_uri_variable_is_invalid_input() {
        let mut d = Definitions {
            shovels: vec![ParameterDef {
                uri_env: [("src-uri".to_string(), EnvRef::One("NOPE".into()))].into(),
                ..shovel(json!({}))
            }],
            ..Default::default()
        };
        let e = resolve_uri_env(&mut d, &|_| None).unwrap_err();
        assert_eq!(crate::exit::code_of(&e), crate::exit::Code::InvalidInput);
        assert!(format!("{e:#}").contains("`NOPE`"), "{e:#}");
    }

    #[test]
    fn a_redacted_value_keeps_everything_but_passwords() {
        let v = shovel(json!({"src-uri": "amqp://a:pw@h", "dest-uri": ["amqp://b:x@h", 5], "n": "amqp://c:d@h"})).value;
        let r = redacted_value(&v);
        assert_eq!(r["src-uri"], "amqp://a@h");
        assert_eq!(r["dest-uri"], json!(["amqp://b@h", 5]));
        // Only URI keys are touched.
        assert_eq!(r["n"], "amqp://c:d@h");
    }
}
