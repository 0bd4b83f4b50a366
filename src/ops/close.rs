//! `warren close connections`: select client connections by user, vhost, client-given name,
//! exact name, protocol and idle time, and close them through the management API with a
//! reason the clients see.

use std::time::{Duration, SystemTime};

use anyhow::Result;
use regex_lite::Regex;
use reqwest::Method;
use serde_json::{Map, json};

use super::Item;
use crate::broker::api::{Channel, Connection};
use crate::broker::http::{Auth, ManagementApi, Pages, api_path};
use crate::exit::Error;

/// Which connections to close; every selector given must hold.
#[derive(Clone, Debug, Default)]
pub struct Selector {
    pub user: Option<String>,
    pub vhost: Option<String>,
    /// Matched against the client-given name (`client_properties.connection_name`).
    pub client_name: Option<Regex>,
    /// Exact connection names (the broker's, `127.0.0.1:50000 -> 127.0.0.1:5672`).
    pub names: Vec<String>,
    pub idle_longer_than: Option<Duration>,
    /// Compared without case: `AMQP 0-9-1`.
    pub protocol: Option<String>,
}

impl Selector {
    /// No selector at all: that would close every connection, which is refused.
    pub fn is_empty(&self) -> bool {
        self.user.is_none()
            && self.vhost.is_none()
            && self.client_name.is_none()
            && self.names.is_empty()
            && self.idle_longer_than.is_none()
            && self.protocol.is_none()
    }

    /// Whether `c` is selected; `idle` is its idle time in seconds (`None`: unknown, which
    /// never counts as idle).
    pub fn selects(&self, c: &Connection, idle: Option<f64>) -> bool {
        let client_name = c.client_name();
        self.user.as_ref().is_none_or(|u| *u == c.user)
            && self.vhost.as_ref().is_none_or(|v| *v == c.vhost)
            && (self.names.is_empty() || self.names.contains(&c.name))
            && self
                .client_name
                .as_ref()
                .is_none_or(|re| client_name.is_some_and(|n| re.is_match(n)))
            && self.protocol.as_ref().is_none_or(|p| {
                c.protocol
                    .as_deref()
                    .is_some_and(|cp| cp.eq_ignore_ascii_case(p))
            })
            && self
                .idle_longer_than
                .is_none_or(|limit| idle.is_some_and(|i| i > limit.as_secs_f64()))
    }
}

/// How long `connection` has been idle, in seconds: since the latest `idle_since` of its
/// channels (none may be running), or since it connected when it has no channel. `None`
/// when that can't be told (statistics disabled).
pub fn idle_seconds(
    connection: &Connection,
    channels: &[&Channel],
    now: SystemTime,
) -> Option<f64> {
    if channels.is_empty() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(connection.connected_at?);
        return Some(now.duration_since(at).map_or(0.0, |d| d.as_secs_f64()));
    }
    let mut idle = f64::INFINITY;
    for ch in channels {
        match (ch.state.as_deref(), ch.idle_since.as_deref()) {
            (Some("idle"), Some(since)) => {
                idle = idle.min(crate::broker::api::age_seconds(since, now)?);
            }
            (Some(_), _) => return Some(0.0),
            (None, _) => return None,
        }
    }
    Some(idle)
}

/// The selected connections, sorted by name, with their facts; a missing `--in-vhost` is
/// exit 9.
pub async fn select(api: &ManagementApi, selector: &Selector) -> Result<Vec<Item>> {
    let scope: Vec<&str> = match &selector.vhost {
        Some(v) => {
            super::require_vhost(api, v).await?;
            vec!["vhosts", v]
        }
        None => vec![],
    };
    let path = |kind: &'static str| {
        let mut s = scope.clone();
        s.push(kind);
        api_path(&s)
    };
    let connections: Vec<Connection> = api.list(&path("connections"), Pages::Paged).await?;
    let channels: Vec<Channel> = match selector.idle_longer_than {
        Some(_) => api.list(&path("channels"), Pages::Paged).await?,
        None => Vec::new(),
    };
    let now = SystemTime::now();
    let mut items: Vec<Item> = connections
        .iter()
        .filter_map(|c| {
            let own: Vec<&Channel> = channels
                .iter()
                .filter(|ch| ch.connection_details["name"].as_str() == Some(c.name.as_str()))
                .collect();
            let idle = selector
                .idle_longer_than
                .and_then(|_| idle_seconds(c, &own, now));
            if !selector.selects(c, idle) {
                return None;
            }
            let mut facts = Map::new();
            facts.insert("user".into(), json!(c.user));
            facts.insert("vhost".into(), json!(c.vhost));
            facts.insert("client_name".into(), json!(c.client_name()));
            facts.insert("protocol".into(), json!(c.protocol));
            if selector.idle_longer_than.is_some() {
                facts.insert("idle_seconds".into(), json!(idle.map(|i| i.floor() as u64)));
            }
            Some(Item::new(c.name.clone(), facts))
        })
        .collect();
    items.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(items)
}

/// Close one connection, the reason sent as `X-Reason`. `Ok(false)`: it was gone already.
/// A refusal keeps its status for the exit code: 401/403 are exit 7, anything else 10.
pub async fn close(api: &ManagementApi, name: &str, reason: &str) -> Result<bool> {
    let answer = api
        .raw(
            Method::DELETE,
            &api_path(&["connections", name]),
            Auth::Configured,
            &[("x-reason", reason)],
        )
        .await?;
    let why = || {
        format!(
            "the broker answered {}: {}",
            answer.status,
            answer.body.chars().take(200).collect::<String>()
        )
    };
    match answer.status {
        200..=299 => Ok(true),
        404 => Ok(false),
        401 | 403 => Err(Error::auth_refused(why()).into()),
        _ => Err(Error::broker_refused(why()).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(user: &str, name: Option<&str>) -> Connection {
        Connection {
            name: "127.0.0.1:1 -> 127.0.0.1:5672".into(),
            user: user.into(),
            vhost: "/".into(),
            protocol: Some("AMQP 0-9-1".into()),
            client_properties: Some(json!({ "connection_name": name })),
            connected_at: Some(1_000_000),
            ..Default::default()
        }
    }

    fn channel(state: Option<&str>, since: Option<&str>) -> Channel {
        Channel {
            connection_details: json!({"name": "127.0.0.1:1 -> 127.0.0.1:5672"}),
            state: state.map(String::from),
            idle_since: since.map(String::from),
            ..Default::default()
        }
    }

    #[test]
    fn every_selector_must_hold() {
        let s = Selector {
            user: Some("app".into()),
            client_name: Some(Regex::new("^orders").unwrap()),
            protocol: Some("amqp 0-9-1".into()),
            ..Selector::default()
        };
        assert!(s.selects(&conn("app", Some("orders-1")), None));
        assert!(!s.selects(&conn("other", Some("orders-1")), None));
        assert!(!s.selects(&conn("app", Some("billing")), None));
        assert!(!s.selects(&conn("app", None), None));
        assert!(Selector::default().is_empty());
    }

    #[test]
    fn idle_time_is_since_the_latest_idle_channel_and_unknown_never_counts() {
        let now = humantime::parse_rfc3339("2026-12-03T12:00:00Z").unwrap();
        let c = conn("app", None);
        let two_h = channel(Some("idle"), Some("2026-12-03 10:00:00"));
        let one_h = channel(Some("idle"), Some("2026-12-03T11:00:00.000+00:00"));
        assert_eq!(idle_seconds(&c, &[&two_h, &one_h], now), Some(3600.0));
        assert_eq!(
            idle_seconds(&c, &[&two_h, &channel(Some("running"), None)], now),
            Some(0.0)
        );
        assert_eq!(idle_seconds(&c, &[&channel(None, None)], now), None);
        // No channel: idle since it connected.
        assert!(idle_seconds(&c, &[], now).unwrap() > 1e9);
        let s = Selector {
            idle_longer_than: Some(Duration::from_secs(1800)),
            ..Selector::default()
        };
        assert!(s.selects(&c, Some(3600.0)));
        assert!(!s.selects(&c, Some(60.0)));
        assert!(!s.selects(&c, None));
    }
}
