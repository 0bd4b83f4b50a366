//! Reading a stream from an offset: `--offset first|last|next|N|TIMESTAMP|30m`, sent as the
//! consumer argument `x-stream-offset`. Each delivered message carries its own offset in the
//! `x-stream-offset` header, which the envelope keeps.

use lapin::types::{AMQPValue, LongString};

/// Where a stream consumer starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamOffset {
    First,
    Last,
    Next,
    /// The message at this offset (from 0).
    Offset(u64),
    /// The first chunk at or after this time, seconds since the epoch.
    Timestamp(u64),
    /// This long ago: RabbitMQ's interval form (`1800s`).
    Ago(u64),
}

/// The clap value parser of `--offset`.
pub fn parse(text: &str) -> Result<StreamOffset, String> {
    match text {
        "first" => return Ok(StreamOffset::First),
        "last" => return Ok(StreamOffset::Last),
        "next" => return Ok(StreamOffset::Next),
        _ => {}
    }
    if let Ok(n) = text.parse::<u64>() {
        return Ok(StreamOffset::Offset(n));
    }
    if let Ok(at) = humantime::parse_rfc3339_weak(text) {
        let secs = at
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|_| format!("`{text}`: before 1970"))?
            .as_secs();
        return Ok(StreamOffset::Timestamp(secs));
    }
    match humantime::parse_duration(text) {
        Ok(d) if d.as_secs() > 0 => Ok(StreamOffset::Ago(d.as_secs())),
        _ => Err(format!(
            "`{text}`: expected first, last, next, an offset (0, 1, ...), a time \
             (2026-12-03T10:00:00Z) or an age (30m, 2h, 1d)"
        )),
    }
}

impl StreamOffset {
    /// The value of the `x-stream-offset` consumer argument.
    pub fn to_amqp(&self) -> AMQPValue {
        let text = |s: String| AMQPValue::LongString(LongString::from(s));
        match self {
            StreamOffset::First => text("first".into()),
            StreamOffset::Last => text("last".into()),
            StreamOffset::Next => text("next".into()),
            StreamOffset::Offset(n) => {
                AMQPValue::LongLongInt(i64::try_from(*n).unwrap_or(i64::MAX))
            }
            StreamOffset::Timestamp(secs) => AMQPValue::Timestamp(*secs),
            StreamOffset::Ago(secs) => text(format!("{secs}s")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_offset() {
        assert_eq!(parse("first"), Ok(StreamOffset::First));
        assert_eq!(parse("next"), Ok(StreamOffset::Next));
        assert_eq!(parse("500"), Ok(StreamOffset::Offset(500)));
        assert_eq!(parse("30m"), Ok(StreamOffset::Ago(1800)));
        assert_eq!(parse("1d"), Ok(StreamOffset::Ago(86_400)));
        assert_eq!(
            parse("2026-12-03T10:00:00Z"),
            Ok(StreamOffset::Timestamp(1_796_292_000))
        );
        assert!(parse("soon").is_err());
        assert!(parse("-1").is_err());
        assert!(parse("0s").is_err());
        assert_eq!(
            StreamOffset::Ago(60).to_amqp(),
            AMQPValue::LongString("60s".into())
        );
        assert_eq!(StreamOffset::Offset(7).to_amqp(), AMQPValue::LongLongInt(7));
    }
}
