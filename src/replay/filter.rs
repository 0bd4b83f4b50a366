//! Which dead-lettered messages a replay takes (pure). A message that doesn't match stays in
//! the DLQ, in its place.

use regex_lite::Regex;
use serde_json::Value;

use super::origin::{Origin, number};
use crate::message::Envelope;

pub const REASONS: [&str; 4] = ["rejected", "expired", "maxlen", "delivery_limit"];

#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub reasons: Vec<String>,
    pub from_queues: Vec<String>,
    pub headers: Vec<(String, String)>,
    pub body_regex: Option<Regex>,
    /// Died at least this many seconds ago.
    pub older_than: Option<i64>,
    /// Died at most this many seconds ago.
    pub newer_than: Option<i64>,
    pub min_deaths: Option<i64>,
    pub max_deaths: Option<i64>,
    pub message_ids: Vec<String>,
    /// The message's routing key is one of these.
    pub routing_keys: Vec<String>,
    /// `(path, value)`: the JSON body has `value` at `path` (`$.a.b[0]`).
    pub json_paths: Vec<(String, String)>,
}

/// The oldest age a filter takes: a century, so `now - age` can't overflow.
const MAX_AGE_SECONDS: i64 = 100 * 365 * 86_400;

/// An age in the duration grammar of every flag ([`crate::flags::parse_duration`]: `30m`,
/// `1h30m`, `2d`, or bare seconds) as whole seconds, at most a century.
pub fn parse_age(text: &str) -> Result<i64, String> {
    let age = crate::flags::parse_duration(text)?;
    i64::try_from(age.as_secs())
        .ok()
        .filter(|s| *s <= MAX_AGE_SECONDS)
        .ok_or_else(|| format!("`{text}`: at most 100 years (36500d)"))
}

/// `KEY=VALUE` for `--header`.
pub fn parse_header(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("`{text}`: expected KEY=VALUE")),
    }
}

pub fn parse_reason(text: &str) -> Result<String, String> {
    if REASONS.contains(&text) {
        Ok(text.to_string())
    } else {
        Err(format!("`{text}`: expected one of {}", REASONS.join(", ")))
    }
}

/// A header value as text, for `--header k=v`: strings as they are, numbers and booleans
/// printed, tagged numbers (`{"$i32": 3}`) by their value.
fn header_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(_) | Value::Bool(_) => Some(v.to_string()),
        Value::Object(_) => number(v).map(|n| n.to_string()),
        _ => None,
    }
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        self.reasons.is_empty()
            && self.from_queues.is_empty()
            && self.headers.is_empty()
            && self.body_regex.is_none()
            && self.older_than.is_none()
            && self.newer_than.is_none()
            && self.min_deaths.is_none()
            && self.max_deaths.is_none()
            && self.message_ids.is_empty()
            && self.routing_keys.is_empty()
            && self.json_paths.is_empty()
    }

    /// Does the message match every given filter? `now` is seconds since the epoch.
    pub fn matches(&self, env: &Envelope, origin: Option<&Origin>, body: &[u8], now: i64) -> bool {
        let reason = origin.and_then(|o| o.reason.as_deref());
        if !self.reasons.is_empty() && !reason.is_some_and(|r| self.reasons.iter().any(|x| x == r))
        {
            return false;
        }
        let queue = origin.and_then(|o| o.queue.as_deref());
        if !self.from_queues.is_empty()
            && !queue.is_some_and(|q| self.from_queues.iter().any(|x| x == q))
        {
            return false;
        }
        let headers = env.properties.headers.as_ref();
        for (key, want) in &self.headers {
            let have = headers.and_then(|h| h.get(key)).and_then(header_text);
            if have.as_deref() != Some(want.as_str()) {
                return false;
            }
        }
        if let Some(re) = &self.body_regex
            && !re.is_match(&String::from_utf8_lossy(body))
        {
            return false;
        }
        let age = origin.and_then(|o| o.time).map(|t| now - t);
        if self
            .older_than
            .is_some_and(|min| age.is_none_or(|a| a < min))
        {
            return false;
        }
        if self
            .newer_than
            .is_some_and(|max| age.is_none_or(|a| a > max))
        {
            return false;
        }
        let deaths = origin.map(|o| o.deaths).unwrap_or(0);
        if self.min_deaths.is_some_and(|m| deaths < m)
            || self.max_deaths.is_some_and(|m| deaths > m)
        {
            return false;
        }
        if !self.message_ids.is_empty()
            && !env
                .properties
                .message_id
                .as_ref()
                .is_some_and(|id| self.message_ids.contains(id))
        {
            return false;
        }
        if !self.routing_keys.is_empty()
            && !env
                .routing_key
                .as_ref()
                .is_some_and(|k| self.routing_keys.contains(k))
        {
            return false;
        }
        if !self.json_paths.is_empty() {
            let Ok(doc) = serde_json::from_slice::<Value>(body) else {
                return false;
            };
            for (path, want) in &self.json_paths {
                let have = json_path(&doc, path).and_then(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Null => None,
                    other => Some(other.to_string()),
                });
                if have.as_deref() != Some(want.as_str()) {
                    return false;
                }
            }
        }
        true
    }
}

pub use crate::json::at as json_path;

impl crate::message::Select for Filter {
    fn takes(&self, envelope: &Envelope, body: &[u8], now: i64) -> bool {
        self.matches(envelope, None, body, now)
    }
}

/// `PATH=VALUE` for `--jsonpath`: the path must be one `json_path` reads.
pub fn parse_json_path(text: &str) -> Result<(String, String), String> {
    let (path, value) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}`: expected PATH=VALUE, e.g. $.order.status=failed"))?;
    let ok = path
        .strip_prefix('$')
        .unwrap_or(path)
        .split('.')
        .filter(|p| !p.is_empty())
        .all(|part| {
            let (name, idx) = part.split_at(part.find('[').unwrap_or(part.len()));
            !name.contains(']')
                && idx.split('[').filter(|i| !i.is_empty()).all(|i| {
                    i.strip_suffix(']')
                        .is_some_and(|n| n.parse::<usize>().is_ok())
                })
        });
    if path.trim_start_matches('$').is_empty() || !ok {
        return Err(format!(
            "`{path}`: expected a path of names and [indexes], e.g. $.order.items[0].sku"
        ));
    }
    Ok((path.to_string(), value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::fixture;
    use crate::replay::origin::resolve;

    fn check(filter: &Filter, case: &str, now: i64) -> bool {
        let env = fixture(case);
        let origin = resolve(env.properties.headers.as_ref());
        filter.matches(&env, origin.as_ref(), &env.body_bytes().unwrap(), now)
    }

    #[test]
    fn json_paths_and_routing_keys() {
        let doc =
            serde_json::json!({"order": {"status": "failed", "items": [{"sku": "A-1", "n": 2}]}});
        assert_eq!(
            json_path(&doc, "$.order.status"),
            Some(&Value::from("failed"))
        );
        assert_eq!(
            json_path(&doc, "order.items[0].sku"),
            Some(&Value::from("A-1"))
        );
        assert_eq!(json_path(&doc, "$.order.items[1]"), None);
        assert_eq!(json_path(&doc, "$.nope"), None);
        assert!(parse_json_path("$.order.items[0].n=2").is_ok());
        assert!(parse_json_path("$.a[x]=1").is_err());
        assert!(parse_json_path("$=1").is_err());
        assert!(parse_json_path("no-equals").is_err());
        let f = Filter {
            json_paths: vec![("$.order.items[0].n".into(), "2".into())],
            routing_keys: vec!["rk".into()],
            ..Default::default()
        };
        let mut env = Envelope {
            routing_key: Some("rk".into()),
            ..Default::default()
        };
        let body = doc.to_string();
        assert!(f.matches(&env, None, body.as_bytes(), 0));
        assert!(!f.matches(&env, None, b"not json", 0));
        env.routing_key = Some("other".into());
        assert!(!f.matches(&env, None, body.as_bytes(), 0));
    }

    #[test]
    fn filters_on_reason_queue_header_body_id_and_deaths() {
        let now = 4_000_000_000;
        assert!(check(&Filter::default(), "rejected", now));
        let f = Filter {
            reasons: vec!["rejected".into()],
            ..Default::default()
        };
        assert!(check(&f, "rejected", now) && !check(&f, "maxlen", now));
        let f = Filter {
            from_queues: vec!["short".into()],
            ..Default::default()
        };
        assert!(check(&f, "maxlen", now) && !check(&f, "rejected", now));
        let f = Filter {
            headers: vec![("tenant".into(), "acme".into())],
            ..Default::default()
        };
        assert!(check(&f, "rejected", now) && !check(&f, "maxlen", now));
        let f = Filter {
            body_regex: Some(Regex::new(r#""id":\s*1\b"#).unwrap()),
            ..Default::default()
        };
        assert!(check(&f, "rejected", now) && !check(&f, "maxlen", now));
        let f = Filter {
            message_ids: vec!["m-maxlen".into()],
            ..Default::default()
        };
        assert!(check(&f, "maxlen", now) && !check(&f, "rejected", now));
        let f = Filter {
            min_deaths: Some(2),
            ..Default::default()
        };
        assert!(check(&f, "two-hops", now) && !check(&f, "rejected", now));
        let f = Filter {
            max_deaths: Some(1),
            ..Default::default()
        };
        assert!(!check(&f, "two-hops", now) && check(&f, "rejected", now));
        // The Spring fixture has no death record: reason and age filters never match it.
        let f = Filter {
            reasons: vec!["rejected".into()],
            ..Default::default()
        };
        assert!(!check(&f, "spring", now));
    }

    #[test]
    fn filters_on_death_time() {
        let env = fixture("rejected");
        let died = resolve(env.properties.headers.as_ref())
            .unwrap()
            .time
            .unwrap();
        let older = Filter {
            older_than: Some(3600),
            ..Default::default()
        };
        let newer = Filter {
            newer_than: Some(3600),
            ..Default::default()
        };
        assert!(!check(&older, "rejected", died + 60) && check(&newer, "rejected", died + 60));
        assert!(check(&older, "rejected", died + 7200) && !check(&newer, "rejected", died + 7200));
        assert!(!check(&older, "spring", died + 7200));
    }

    #[test]
    fn parses_user_input_strictly() {
        assert_eq!(parse_age("30m"), Ok(1800));
        assert_eq!(parse_age("2h"), Ok(7200));
        assert_eq!(parse_age("1d"), Ok(86_400));
        assert_eq!(parse_age("45s"), Ok(45));
        assert_eq!(parse_age("10"), Ok(10));
        assert_eq!(parse_age("1h30m"), Ok(5400));
        assert_eq!(parse_age("3w"), Ok(3 * 7 * 86_400));
        assert!(parse_age("h").is_err());
        assert!(parse_age("999999999999999999d").is_err());
        assert!(parse_age("9999999999999999999s").is_err());
        assert!(parse_age("36500d").is_ok());
        assert_eq!(parse_header("a=b=c"), Ok(("a".into(), "b=c".into())));
        assert!(parse_header("=b").is_err());
        assert!(parse_reason("maxlen").is_ok());
        assert!(
            parse_reason("max-len")
                .unwrap_err()
                .contains("delivery_limit")
        );
    }
}
