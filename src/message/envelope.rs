//! The message envelope: one JSON object per message, one per line in a `.jsonl` file.
//! `consume` writes it, `publish` and `replay` read it, and the round trip is exact.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use lapin::BasicProperties;
use lapin::types::ShortString;
use serde::{Deserialize, Serialize};

use super::headers::{table_from_json, table_to_json};

#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum BodyEncoding {
    #[default]
    Utf8,
    Base64,
}

/// Every AMQP basic property. `headers` keeps each field's AMQP type (see `headers.rs`).
#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Properties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<serde_json::Value>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "delivery_mode"
    )]
    pub delivery_mode: Option<u8>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "priority"
    )]
    pub priority: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<u64>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
}

/// One message. `queue` and `redelivered` are set by `consume` only; `publish` ignores them.
#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing_key: Option<String>,
    #[serde(default)]
    pub properties: Properties,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub body_encoding: BodyEncoding,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redelivered: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
}

fn text(s: &Option<ShortString>) -> Option<String> {
    s.as_ref().map(|s| s.as_str().to_string())
}

/// An octet property, with an error that names the field (serde's alone does not).
fn octet<'de, D: serde::Deserializer<'de>>(d: D, field: &str) -> Result<Option<u8>, D::Error> {
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    n.as_u64()
        .and_then(|n| u8::try_from(n).ok())
        .map(Some)
        .ok_or_else(|| {
            serde::de::Error::custom(format!(
                "properties.{field}: {n} is not an integer from 0 to 255"
            ))
        })
}

fn delivery_mode<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u8>, D::Error> {
    octet(d, "delivery_mode")
}

fn priority<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u8>, D::Error> {
    octet(d, "priority")
}

fn short(value: &Option<String>, field: &str) -> Result<Option<ShortString>, String> {
    value
        .as_ref()
        .map(|v| {
            ShortString::try_new(v.clone()).map_err(|e| {
                format!("properties.{field}: {e} (AMQP short strings hold at most 255 bytes)")
            })
        })
        .transpose()
}

impl Properties {
    pub fn from_amqp(p: &BasicProperties) -> Properties {
        Properties {
            content_type: text(p.content_type()),
            content_encoding: text(p.content_encoding()),
            headers: p.headers().as_ref().map(table_to_json),
            delivery_mode: *p.delivery_mode(),
            priority: *p.priority(),
            correlation_id: text(p.correlation_id()),
            reply_to: text(p.reply_to()),
            expiration: text(p.expiration()),
            message_id: text(p.message_id()),
            timestamp: *p.timestamp(),
            kind: text(p.kind()),
            user_id: text(p.user_id()),
            app_id: text(p.app_id()),
            cluster_id: text(p.cluster_id()),
        }
    }

    /// Build AMQP properties; an error names the field (`properties.headers.x-a`).
    pub fn to_amqp(&self) -> Result<BasicProperties, String> {
        let mut p = BasicProperties::default();
        if let Some(v) = short(&self.content_type, "content_type")? {
            p = p.with_content_type(v);
        }
        if let Some(v) = short(&self.content_encoding, "content_encoding")? {
            p = p.with_content_encoding(v);
        }
        if let Some(h) = &self.headers {
            p = p.with_headers(table_from_json(h, "properties.headers")?);
        }
        if let Some(v) = self.delivery_mode {
            if !matches!(v, 1 | 2) {
                return Err(format!(
                    "properties.delivery_mode: {v}: expected 1 (transient) or 2 (persistent)"
                ));
            }
            p = p.with_delivery_mode(v);
        }
        if let Some(v) = self.priority {
            p = p.with_priority(v);
        }
        if let Some(v) = short(&self.correlation_id, "correlation_id")? {
            p = p.with_correlation_id(v);
        }
        if let Some(v) = short(&self.reply_to, "reply_to")? {
            p = p.with_reply_to(v);
        }
        if let Some(v) = &self.expiration {
            crate::flags::expiration(v).map_err(|e| format!("properties.expiration: {e}"))?;
        }
        if let Some(v) = short(&self.expiration, "expiration")? {
            p = p.with_expiration(v);
        }
        if let Some(v) = short(&self.message_id, "message_id")? {
            p = p.with_message_id(v);
        }
        if let Some(v) = self.timestamp {
            p = p.with_timestamp(v);
        }
        if let Some(v) = short(&self.kind, "type")? {
            p = p.with_type(v);
        }
        if let Some(v) = short(&self.user_id, "user_id")? {
            p = p.with_user_id(v);
        }
        if let Some(v) = short(&self.app_id, "app_id")? {
            p = p.with_app_id(v);
        }
        if let Some(v) = short(&self.cluster_id, "cluster_id")? {
            p = p.with_cluster_id(v);
        }
        Ok(p)
    }
}

impl Envelope {
    /// The envelope of a message as received.
    pub fn from_delivery(
        exchange: &str,
        routing_key: &str,
        properties: &BasicProperties,
        body: &[u8],
        redelivered: bool,
        queue: Option<&str>,
    ) -> Envelope {
        let (body, body_encoding) = encode_body(body);
        Envelope {
            exchange: Some(exchange.to_string()),
            routing_key: Some(routing_key.to_string()),
            properties: Properties::from_amqp(properties),
            body,
            body_encoding,
            redelivered: Some(redelivered),
            queue: queue.map(str::to_string),
        }
    }

    pub fn body_bytes(&self) -> Result<Vec<u8>, String> {
        match self.body_encoding {
            BodyEncoding::Utf8 => Ok(self.body.as_bytes().to_vec()),
            BodyEncoding::Base64 => B64
                .decode(&self.body)
                .map_err(|e| format!("body: not valid base64: {e}")),
        }
    }

    /// Everything publishing this envelope sends, checked first: the exchange and routing
    /// key (AMQP short strings), the properties and the body. Nothing the broker would refuse
    /// (or lapin could not encode) gets through.
    pub fn encode(&self) -> Result<(BasicProperties, Vec<u8>), String> {
        for (field, value) in [
            ("exchange", &self.exchange),
            ("routing_key", &self.routing_key),
        ] {
            if let Some(v) = value {
                crate::flags::check_short(v).map_err(|e| format!("{field}: {e}"))?;
            }
        }
        Ok((self.properties.to_amqp()?, self.body_bytes()?))
    }

    /// Parse one JSON line, nested at most [`crate::input::DEFAULT_MAX_DEPTH`] deep; the
    /// error says which field is wrong.
    pub fn parse(line: &str) -> Result<Envelope, String> {
        Envelope::parse_within(line, crate::input::DEFAULT_MAX_DEPTH)
    }

    /// Parse one JSON line; nesting deeper than `max_depth` is refused before parsing.
    pub fn parse_within(line: &str, max_depth: usize) -> Result<Envelope, String> {
        if let Some(at) = crate::input::json_too_deep(line.as_bytes(), max_depth) {
            let column = line[..at].chars().count() + 1;
            return Err(crate::input::too_deep_reason(
                &format!("column {column}"),
                max_depth,
            ));
        }
        serde_json::from_str(line).map_err(|e| e.to_string())
    }
}

/// A body as UTF-8 text when it is valid UTF-8, base64 otherwise.
pub fn encode_body(body: &[u8]) -> (String, BodyEncoding) {
    match std::str::from_utf8(body) {
        Ok(text) => (text.to_string(), BodyEncoding::Utf8),
        Err(_) => (B64.encode(body), BodyEncoding::Base64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lapin::types::{AMQPValue, FieldTable, LongString};

    fn full_properties() -> BasicProperties {
        let mut headers = FieldTable::default();
        headers.insert("n".into(), AMQPValue::LongInt(7));
        headers.insert(
            "bin".into(),
            AMQPValue::LongString(LongString::from(vec![0xff, 0x00])),
        );
        BasicProperties::default()
            .with_content_type("application/json".into())
            .with_content_encoding("gzip".into())
            .with_headers(headers)
            .with_delivery_mode(2)
            .with_priority(9)
            .with_correlation_id("corr".into())
            .with_reply_to("amq.rabbitmq.reply-to".into())
            .with_expiration("60000".into())
            .with_message_id("m-1".into())
            .with_timestamp(1_700_000_000)
            .with_type("order.created".into())
            .with_user_id("app".into())
            .with_app_id("shop".into())
            .with_cluster_id("c1".into())
    }

    #[test]
    fn properties_and_binary_body_round_trip() {
        let props = full_properties();
        let body = [0u8, 159, 146, 150, 10];
        let env = Envelope::from_delivery("ex", "rk", &props, &body, true, Some("q"));
        assert_eq!(env.body_encoding, BodyEncoding::Base64);
        let line = serde_json::to_string(&env).unwrap();
        assert!(!line.contains('\n'));
        let back = Envelope::parse(&line).unwrap();
        assert_eq!(back.properties.to_amqp().unwrap(), props);
        assert_eq!(back.body_bytes().unwrap(), body);
        assert_eq!(back.redelivered, Some(true));
    }

    #[test]
    fn empty_and_text_bodies() {
        let (b, enc) = encode_body(b"");
        assert_eq!((b.as_str(), enc), ("", BodyEncoding::Utf8));
        let env = Envelope::parse(r#"{"body":"hi"}"#).unwrap();
        assert_eq!(env.body_bytes().unwrap(), b"hi");
        assert_eq!(
            env.properties.to_amqp().unwrap(),
            BasicProperties::default()
        );
    }

    #[test]
    fn unknown_fields_and_long_short_strings_are_rejected() {
        let err = Envelope::parse(r#"{"routingkey":"x"}"#).unwrap_err();
        assert!(err.contains("unknown field `routingkey`"), "{err}");
        let env = Envelope {
            properties: Properties {
                message_id: Some("x".repeat(300)),
                ..Default::default()
            },
            ..Default::default()
        };
        assert!(
            env.properties
                .to_amqp()
                .unwrap_err()
                .starts_with("properties.message_id")
        );
    }
}
