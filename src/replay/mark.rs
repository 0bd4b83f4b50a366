//! The properties of a copy (pure). A replayed copy: the original's, minus what the broker
//! owns or would refuse, plus non-`x-` headers that say which replay made it. A moved copy
//! (`warren move`): the original's, unchanged but for what the broker would refuse.

use serde_json::{Map, Value};

use super::origin::{Origin, is_dropped_header, number};
use crate::message::Properties;

pub const RUN_ID: &str = "replay-run-id";
pub const COUNT: &str = "replay-count";

/// How to build copies.
#[derive(Debug, Clone, Default)]
pub struct CopyRules {
    pub run_id: String,
    pub login_user: String,
    /// Keep x-death and x-first/last-death-* (RabbitMQ 4.x ignores a client-set x-death).
    pub keep_death_headers: bool,
    /// Set `expiration` again (from x-death's `original-expiration`, else the message's).
    pub restore_expiration: bool,
}

/// How a run makes its copies.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CopyMode {
    /// Replay's: marked (`copy_properties`), and routed by origin.
    #[default]
    Replay,
    /// `warren move`'s: verbatim (`verbatim_properties`), sent where the run's target says
    /// (an exchange without a key keeps each message's routing key). `moved_from` is the
    /// source `(vhost, queue)` to name in `moved-from` headers, when asked for.
    Verbatim {
        moved_from: Option<(String, String)>,
    },
}

pub const MOVED_FROM: &str = "moved-from";
pub const MOVED_FROM_VHOST: &str = "moved-from-vhost";

/// How often the message was replayed before (our own `replay-count` header).
pub fn replay_count(headers: Option<&Value>) -> i64 {
    headers
        .and_then(|h| h.get(COUNT))
        .and_then(number)
        .unwrap_or(0)
}

/// The run that replayed this message last, if any.
pub fn run_id(headers: Option<&Value>) -> Option<&str> {
    headers.and_then(|h| h.get(RUN_ID)).and_then(Value::as_str)
}

/// The properties of the copy to publish, made from the original's (taken, so that nothing
/// is copied). `now` is seconds since the epoch.
pub fn copy_properties(
    original: Properties,
    origin: Option<&Origin>,
    rules: &CopyRules,
    now: u64,
) -> Properties {
    let count = replay_count(original.headers.as_ref()) + 1;
    let mut p = original;
    let mut headers: Map<String, Value> = match p.headers.take() {
        Some(Value::Object(h)) => h
            .into_iter()
            .filter(|(k, _)| !is_dropped_header(k, rules.keep_death_headers))
            .collect(),
        _ => Map::new(),
    };
    headers.insert(RUN_ID.into(), Value::String(rules.run_id.clone()));
    headers.insert(COUNT.into(), Value::from(count));
    headers.insert(
        "replayed-at".into(),
        serde_json::json!({ "$timestamp": now }),
    );
    if let Some(o) = origin {
        for (key, value) in [
            ("replay-original-queue", &o.queue),
            ("replay-original-exchange", &o.exchange),
            ("replay-original-routing-key", &o.routing_key),
        ] {
            if let Some(v) = value {
                headers.insert(key.into(), Value::String(v.clone()));
            }
        }
    }
    p.headers = Some(Value::Object(headers));
    drop_foreign_user_id(&mut p, &rules.login_user);
    let expiration = p.expiration.take();
    if rules.restore_expiration {
        p.expiration = origin
            .and_then(|o| o.original_expiration.clone())
            .or(expiration);
    }
    p
}

/// The broker refuses (406) a user_id other than the connection's user.
fn drop_foreign_user_id(p: &mut Properties, login_user: &str) {
    if p.user_id.as_deref().is_some_and(|u| u != login_user) {
        p.user_id = None;
    }
}

/// A moved copy's properties: the original's, bit for bit, except a `user_id` that isn't
/// the publishing user's (the broker would refuse the message), the `CC` and `BCC` headers
/// (the broker would route the copy again to their keys: the original publish applied them),
/// and, with `moved_from`, the `moved-from` and `moved-from-vhost` headers.
pub fn verbatim_properties(
    original: Properties,
    login_user: &str,
    moved_from: Option<&(String, String)>,
) -> Properties {
    let mut p = original;
    drop_foreign_user_id(&mut p, login_user);
    if let Some(Value::Object(h)) = p.headers.as_mut() {
        h.remove("CC");
        h.remove("BCC");
    }
    if let Some((vhost, queue)) = moved_from {
        let mut headers = match p.headers.take() {
            Some(Value::Object(h)) => h,
            _ => Map::new(),
        };
        headers.insert(MOVED_FROM.into(), Value::String(queue.clone()));
        headers.insert(MOVED_FROM_VHOST.into(), Value::String(vhost.clone()));
        p.headers = Some(Value::Object(headers));
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::fixture;
    use crate::replay::origin::resolve;

    fn rules() -> CopyRules {
        CopyRules {
            run_id: "r1".into(),
            login_user: "warren-admin".into(),
            ..Default::default()
        }
    }

    #[test]
    fn copies_are_marked_and_lose_broker_headers() {
        let env = fixture("cc");
        let origin = resolve(env.properties.headers.as_ref());
        let p = copy_properties(
            env.properties.clone(),
            origin.as_ref(),
            &rules(),
            1_800_000_000,
        );
        let h = p.headers.clone().unwrap();
        for gone in ["x-death", "x-first-death-queue", "CC"] {
            assert!(h.get(gone).is_none(), "{gone} kept");
        }
        assert_eq!(h[RUN_ID], "r1");
        assert_eq!(h[COUNT], 1);
        assert_eq!(
            h["replayed-at"],
            serde_json::json!({"$timestamp": 1_800_000_000u64})
        );
        assert_eq!(h["replay-original-queue"], "work");
        assert_eq!(h["replay-original-exchange"], "orders");
        assert_eq!(h["replay-original-routing-key"], "o.new");
        assert_eq!(p.message_id.as_deref(), Some("m-cc"));
        assert_eq!(p.delivery_mode, Some(2));
        assert!(p.to_amqp().is_ok());
        // A second replay counts on.
        let again = copy_properties(p.clone(), origin.as_ref(), &rules(), 1_800_000_001);
        assert_eq!(replay_count(again.headers.as_ref()), 2);
        assert_eq!(run_id(again.headers.as_ref()), Some("r1"));
    }

    #[test]
    fn death_headers_kept_on_request_and_expiration_restored() {
        let env = fixture("expired-message");
        let origin = resolve(env.properties.headers.as_ref());
        let keep = CopyRules {
            keep_death_headers: true,
            restore_expiration: true,
            ..rules()
        };
        let p = copy_properties(env.properties.clone(), origin.as_ref(), &keep, 0);
        assert!(p.headers.unwrap().get("x-death").is_some());
        assert_eq!(p.expiration.as_deref(), Some("1"));
        let p = copy_properties(env.properties.clone(), origin.as_ref(), &rules(), 0);
        assert_eq!(p.expiration, None);
    }

    #[test]
    fn a_foreign_user_id_is_dropped() {
        let mut props = Properties {
            user_id: Some("someone-else".into()),
            ..Default::default()
        };
        assert_eq!(
            copy_properties(props.clone(), None, &rules(), 0).user_id,
            None
        );
        props.user_id = Some("warren-admin".into());
        assert_eq!(
            copy_properties(props.clone(), None, &rules(), 0)
                .user_id
                .as_deref(),
            Some("warren-admin")
        );
    }

    #[test]
    fn a_moved_copy_keeps_everything_but_a_foreign_user_id() {
        let env = fixture("cc");
        let p = verbatim_properties(env.properties.clone(), "warren-admin", None);
        let mut want = env.properties.clone();
        let cc = want
            .headers
            .as_mut()
            .unwrap()
            .as_object_mut()
            .unwrap()
            .remove("CC");
        assert!(cc.is_some(), "the fixture has CC");
        assert_eq!(p, want, "all but CC is kept, death headers too");
        let foreign = Properties {
            user_id: Some("someone-else".into()),
            ..env.properties.clone()
        };
        assert_eq!(
            verbatim_properties(foreign, "warren-admin", None).user_id,
            None
        );
        let from = ("/".to_string(), "orders".to_string());
        let marked = verbatim_properties(env.properties.clone(), "warren-admin", Some(&from));
        let h = marked.headers.unwrap();
        assert_eq!(h[MOVED_FROM], "orders");
        assert_eq!(h[MOVED_FROM_VHOST], "/");
        assert!(h.get("x-death").is_some());
    }
}
