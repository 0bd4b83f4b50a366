//! AMQP field tables as JSON, keeping every field type exactly.
//!
//! The common types map to plain JSON: a UTF-8 long string is a string, a signed 64-bit
//! integer (`l`, what RabbitMQ itself uses, e.g. in `x-death`) is a number, booleans, arrays
//! and tables are themselves, void is `null`. Every other type is an object with exactly one
//! key that starts with `$`, naming the type: `{"$i32": 7}`. A real table whose only key
//! starts with `$` is wrapped as `{"$table": {...}}`, so decoding is never ambiguous.
//! docs/envelope.md's "Header type mapping" table lists every tag.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use lapin::types::{
    AMQPValue, ByteArray, DecimalValue, FieldArray, FieldTable, LongString, ShortString,
};
use serde_json::{Map, Number, Value};

/// Every tag, in docs/envelope.md's order: the tag, the AMQP type letter, and its meaning,
/// one per line.
const TAG_LINES: &str = "\
$i8 b signed 8-bit integer
$u8 B unsigned 8-bit integer
$i16 s signed 16-bit integer
$u16 u unsigned 16-bit integer
$i32 I signed 32-bit integer
$u32 i unsigned 32-bit integer
$i64 l signed 64-bit integer (plain JSON numbers decode to this too)
$f32 f 32-bit float (NaN and infinities are refused: RabbitMQ can't parse them)
$f64 d 64-bit float (NaN and infinities are refused: RabbitMQ can't parse them)
$decimal D decimal: {\"scale\": u8, \"value\": u32}
$timestamp T timestamp, seconds since the epoch
$bytes x byte array, base64
$string_base64 S long string that is not valid UTF-8, base64
$table F a table whose only key starts with `$`";

/// Every tag as (tag, AMQP type letter, meaning).
pub fn tags() -> impl Iterator<Item = (&'static str, &'static str, &'static str)> {
    TAG_LINES.lines().filter_map(|line| {
        let mut parts = line.splitn(3, ' ');
        Some((parts.next()?, parts.next()?, parts.next()?))
    })
}

/// docs/envelope.md's table of tags (checked by a test).
pub fn tags_table() -> String {
    let mut out = String::from("| JSON | AMQP type | meaning |\n|---|---|---|\n");
    for (tag, letter, meaning) in tags() {
        out.push_str(&format!(
            "| `{{\"{tag}\": ...}}` | `{letter}` | {meaning} |\n"
        ));
    }
    out
}

pub fn table_to_json(table: &FieldTable) -> Value {
    let map: Map<String, Value> = table
        .inner()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), value_to_json(v)))
        .collect();
    if map.len() == 1 && map.keys().all(|k| k.starts_with('$')) {
        tagged("$table", Value::Object(map))
    } else {
        Value::Object(map)
    }
}

fn tagged(tag: &str, value: Value) -> Value {
    let mut m = Map::new();
    m.insert(tag.to_string(), value);
    Value::Object(m)
}

fn float_to_json(x: f64) -> Value {
    match Number::from_f64(x) {
        Some(n) => Value::Number(n),
        None if x.is_nan() => Value::String("NaN".into()),
        None if x > 0.0 => Value::String("Infinity".into()),
        None => Value::String("-Infinity".into()),
    }
}

pub fn value_to_json(value: &AMQPValue) -> Value {
    match value {
        AMQPValue::Boolean(b) => Value::Bool(*b),
        AMQPValue::ShortShortInt(n) => tagged("$i8", (*n).into()),
        AMQPValue::ShortShortUInt(n) => tagged("$u8", (*n).into()),
        AMQPValue::ShortInt(n) => tagged("$i16", (*n).into()),
        AMQPValue::ShortUInt(n) => tagged("$u16", (*n).into()),
        AMQPValue::LongInt(n) => tagged("$i32", (*n).into()),
        AMQPValue::LongUInt(n) => tagged("$u32", (*n).into()),
        AMQPValue::LongLongInt(n) => Value::Number((*n).into()),
        AMQPValue::Float(x) => tagged("$f32", float_to_json(f64::from(*x))),
        AMQPValue::Double(x) => tagged("$f64", float_to_json(*x)),
        AMQPValue::DecimalValue(d) => tagged(
            "$decimal",
            serde_json::json!({"scale": d.scale, "value": d.value}),
        ),
        // Short strings never appear in tables on the wire (RabbitMQ reads `s` as a 16-bit
        // integer); lapin may still hold one, so keep its text.
        AMQPValue::ShortString(s) => Value::String(s.as_str().to_string()),
        AMQPValue::LongString(s) => match std::str::from_utf8(s.as_bytes()) {
            Ok(text) => Value::String(text.to_string()),
            Err(_) => tagged("$string_base64", Value::String(B64.encode(s.as_bytes()))),
        },
        AMQPValue::FieldArray(a) => Value::Array(a.as_slice().iter().map(value_to_json).collect()),
        AMQPValue::Timestamp(t) => tagged("$timestamp", (*t).into()),
        AMQPValue::FieldTable(t) => table_to_json(t),
        AMQPValue::ByteArray(b) => tagged("$bytes", Value::String(B64.encode(b.as_slice()))),
        AMQPValue::Void => Value::Null,
    }
}

/// Where a value sits, for error messages: `headers.x-death[0].count`.
fn at(path: &str, key: &str) -> String {
    format!("{path}.{key}")
}

pub fn table_from_json(value: &Value, path: &str) -> Result<FieldTable, String> {
    let Value::Object(map) = value else {
        return Err(format!(
            "{path}: expected a table (JSON object), found {}",
            kind(value)
        ));
    };
    let map = match single_tag(map) {
        Some(("$table", Value::Object(inner))) => inner,
        Some((tag, _)) => return Err(format!("{path}: expected a table, found a `{tag}` value")),
        None => map,
    };
    let mut table = FieldTable::default();
    for (k, v) in map {
        let key = ShortString::try_new(k.clone()).map_err(|e| format!("{path}: key `{k}`: {e}"))?;
        table.insert(key, value_from_json(v, &at(path, k))?);
    }
    Ok(table)
}

fn single_tag(map: &Map<String, Value>) -> Option<(&str, &Value)> {
    if map.len() != 1 {
        return None;
    }
    map.iter()
        .next()
        .filter(|(k, _)| k.starts_with('$'))
        .map(|(k, v)| (k.as_str(), v))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn int<T: TryFrom<i128>>(v: &Value, path: &str, tag: &str) -> Result<T, String> {
    let n = v
        .as_i64()
        .map(i128::from)
        .or_else(|| v.as_u64().map(i128::from))
        .ok_or_else(|| format!("{path}: `{tag}` needs an integer, found {}", kind(v)))?;
    T::try_from(n).map_err(|_| format!("{path}: {n} is out of range for `{tag}`"))
}

fn float(v: &Value, path: &str, tag: &str) -> Result<f64, String> {
    match v {
        Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| format!("{path}: bad number for `{tag}`")),
        Value::String(s) if s == "NaN" => Ok(f64::NAN),
        Value::String(s) if s == "Infinity" => Ok(f64::INFINITY),
        Value::String(s) if s == "-Infinity" => Ok(f64::NEG_INFINITY),
        other => Err(format!(
            "{path}: `{tag}` needs a number, found {}",
            kind(other)
        )),
    }
}

/// RabbitMQ's table parser has no clause for NaN or infinite floats: it crashes the channel
/// (541 INTERNAL_ERROR, seen on 3.10.8). Refuse them before they reach the broker.
fn finite(x: f64, path: &str) -> Result<f64, String> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(format!(
            "{path}: RabbitMQ cannot parse a NaN or infinite float in a header (it closes the channel with 541)"
        ))
    }
}

fn base64(v: &Value, path: &str, tag: &str) -> Result<Vec<u8>, String> {
    let s = v
        .as_str()
        .ok_or_else(|| format!("{path}: `{tag}` needs a base64 string, found {}", kind(v)))?;
    B64.decode(s)
        .map_err(|e| format!("{path}: `{tag}` is not valid base64: {e}"))
}

pub fn value_from_json(value: &Value, path: &str) -> Result<AMQPValue, String> {
    Ok(match value {
        Value::Null => AMQPValue::Void,
        Value::Bool(b) => AMQPValue::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => AMQPValue::LongLongInt(i),
            None if n.is_u64() => {
                return Err(format!("{path}: {n} does not fit a signed 64-bit integer"));
            }
            None => AMQPValue::Double(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => AMQPValue::LongString(LongString::from(s.as_bytes().to_vec())),
        Value::Array(items) => AMQPValue::FieldArray(FieldArray::from(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| value_from_json(v, &format!("{path}[{i}]")))
                .collect::<Result<Vec<_>, _>>()?,
        )),
        Value::Object(map) => match single_tag(map) {
            None | Some(("$table", _)) => AMQPValue::FieldTable(table_from_json(value, path)?),
            Some((tag, v)) => match tag {
                "$i8" => AMQPValue::ShortShortInt(int(v, path, tag)?),
                "$u8" => AMQPValue::ShortShortUInt(int(v, path, tag)?),
                "$i16" => AMQPValue::ShortInt(int(v, path, tag)?),
                "$u16" => AMQPValue::ShortUInt(int(v, path, tag)?),
                "$i32" => AMQPValue::LongInt(int(v, path, tag)?),
                "$u32" => AMQPValue::LongUInt(int(v, path, tag)?),
                "$i64" => AMQPValue::LongLongInt(int(v, path, tag)?),
                "$f32" => AMQPValue::Float(finite(float(v, path, tag)?, path)? as f32),
                "$f64" => AMQPValue::Double(finite(float(v, path, tag)?, path)?),
                "$decimal" => AMQPValue::DecimalValue(DecimalValue {
                    scale: int(&v["scale"], &at(path, "scale"), tag)?,
                    value: int(&v["value"], &at(path, "value"), tag)?,
                }),
                "$timestamp" => AMQPValue::Timestamp(int(v, path, tag)?),
                "$bytes" => AMQPValue::ByteArray(ByteArray::from(base64(v, path, tag)?)),
                "$string_base64" => AMQPValue::LongString(LongString::from(base64(v, path, tag)?)),
                other => {
                    let known: Vec<&str> = tags().map(|t| t.0).collect();
                    return Err(format!(
                        "{path}: unknown type tag `{other}` (known: {}); wrap a table whose only \
                         key starts with `$` as {{\"$table\": ...}}",
                        known.join(", ")
                    ));
                }
            },
        },
    })
}

/// Parse a `-H KEY=VALUE` or `-H KEY:TYPE=VALUE` flag into a header and its envelope JSON
/// value (checked, so a typo fails before anything is published).
pub fn parse_flag(spec: &str) -> Result<(String, Value), String> {
    let bad = |why: &str| format!("-H {spec}: {why}");
    let (key, value) = spec
        .split_once('=')
        .ok_or_else(|| bad("expected KEY=VALUE or KEY:TYPE=VALUE"))?;
    let (key, kind) = match key.rsplit_once(':') {
        Some((k, t)) => (k, Some(t)),
        None => (key, None),
    };
    if key.is_empty() {
        return Err(bad("empty key"));
    }
    crate::flags::check_short(key).map_err(|e| bad(&format!("the key is {e}")))?;
    let number = || -> Result<Value, String> {
        serde_json::from_str::<Number>(value)
            .map(Value::Number)
            .map_err(|_| bad("not a number"))
    };
    let tagged = |tag: &str, v: Value| serde_json::json!({ tag: v });
    let json = match kind {
        None => Value::String(value.to_string()),
        Some(
            t @ ("i8" | "u8" | "i16" | "u16" | "i32" | "u32" | "i64" | "f32" | "f64" | "timestamp"),
        ) => tagged(&format!("${t}"), number()?),
        Some("bool") => Value::Bool(value.parse().map_err(|_| bad("expected true or false"))?),
        Some("bytes") => tagged("$bytes", Value::String(value.to_string())),
        Some("json") => {
            serde_json::from_str(value).map_err(|e| bad(&format!("invalid JSON: {e}")))?
        }
        Some(other) => return Err(bad(&format!("unknown type `{other}`"))),
    };
    value_from_json(&json, &format!("header {key}")).map_err(|e| bad(&e))?;
    Ok((key.to_string(), json))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tag_line_reads_as_three_parts() {
        let all: Vec<_> = tags().collect();
        assert_eq!(all.len(), 14, "{all:?}");
        for (tag, letter, meaning) in all {
            assert!(tag.starts_with('$') && letter.len() == 1 && !meaning.is_empty());
        }
    }

    /// A table with every AMQP field type RabbitMQ puts on the wire, nested, with edge values.
    pub fn every_type() -> FieldTable {
        let mut inner = FieldTable::default();
        inner.insert("count".into(), AMQPValue::LongLongInt(3));
        inner.insert("$odd".into(), AMQPValue::Boolean(false));
        let mut dollar_only = FieldTable::default();
        dollar_only.insert("$i32".into(), AMQPValue::LongLongInt(1));
        let mut t = FieldTable::default();
        t.insert("bool".into(), AMQPValue::Boolean(true));
        t.insert("i8".into(), AMQPValue::ShortShortInt(-128));
        t.insert("u8".into(), AMQPValue::ShortShortUInt(255));
        t.insert("i16".into(), AMQPValue::ShortInt(-32768));
        t.insert("u16".into(), AMQPValue::ShortUInt(65535));
        t.insert("i32".into(), AMQPValue::LongInt(i32::MIN));
        t.insert("u32".into(), AMQPValue::LongUInt(u32::MAX));
        t.insert("i64".into(), AMQPValue::LongLongInt(i64::MIN));
        t.insert("f32".into(), AMQPValue::Float(1.1));
        t.insert("f64".into(), AMQPValue::Double(-2.5e-300));
        t.insert(
            "decimal".into(),
            AMQPValue::DecimalValue(DecimalValue {
                scale: 2,
                value: 12345,
            }),
        );
        t.insert("text".into(), AMQPValue::LongString("héllo".into()));
        t.insert(
            "latin1".into(),
            AMQPValue::LongString(LongString::from(vec![0x63, 0x61, 0x66, 0xe9])),
        );
        t.insert(
            "after-latin1".into(),
            AMQPValue::LongString("still here".into()),
        );
        t.insert(
            "bytes".into(),
            AMQPValue::ByteArray(ByteArray::from(vec![0u8, 1, 254, 255])),
        );
        t.insert("ts".into(), AMQPValue::Timestamp(1_700_000_000));
        t.insert("void".into(), AMQPValue::Void);
        t.insert(
            "array".into(),
            AMQPValue::FieldArray(FieldArray::from(vec![
                AMQPValue::LongInt(1),
                AMQPValue::FieldTable(inner.clone()),
                AMQPValue::FieldArray(FieldArray::default()),
            ])),
        );
        t.insert("table".into(), AMQPValue::FieldTable(inner));
        t.insert("dollar".into(), AMQPValue::FieldTable(dollar_only));
        t
    }

    #[test]
    fn every_type_round_trips_through_json_text() {
        let table = every_type();
        let text = serde_json::to_string(&table_to_json(&table)).unwrap();
        let back = table_from_json(&serde_json::from_str(&text).unwrap(), "headers").unwrap();
        assert_eq!(back, table, "{text}");
    }

    #[test]
    fn plain_json_is_natural() {
        let json = table_to_json(&every_type());
        assert_eq!(json["text"], "héllo");
        assert_eq!(json["i64"], i64::MIN);
        assert_eq!(json["i32"], serde_json::json!({"$i32": i32::MIN}));
        assert_eq!(
            json["latin1"],
            serde_json::json!({"$string_base64": "Y2Fm6Q=="})
        );
        assert_eq!(json["dollar"], serde_json::json!({"$table": {"$i32": 1}}));
        assert_eq!(json["void"], Value::Null);
    }

    #[test]
    fn bad_values_name_their_path() {
        let v = serde_json::json!({"x-retry": {"$u8": 300}});
        assert_eq!(
            table_from_json(&v, "headers").unwrap_err(),
            "headers.x-retry: 300 is out of range for `$u8`"
        );
        let v = serde_json::json!({"a": [{"$what": 1}]});
        assert!(
            table_from_json(&v, "headers")
                .unwrap_err()
                .starts_with("headers.a[0]: unknown type tag `$what`")
        );
        let v = serde_json::json!({"x": {"$f64": "Infinity"}});
        assert!(
            table_from_json(&v, "headers")
                .unwrap_err()
                .contains("headers.x: RabbitMQ cannot parse")
        );
        let v = serde_json::json!("nope");
        assert!(
            table_from_json(&v, "headers")
                .unwrap_err()
                .contains("expected a table")
        );
    }

    #[test]
    fn typed_headers() {
        assert_eq!(
            parse_flag("a=b").unwrap(),
            ("a".into(), serde_json::json!("b"))
        );
        assert_eq!(
            parse_flag("n:i32=5").unwrap(),
            ("n".into(), serde_json::json!({"$i32": 5}))
        );
        assert_eq!(
            parse_flag("ok:bool=true").unwrap().1,
            serde_json::json!(true)
        );
        assert_eq!(parse_flag("url=a=b").unwrap().1, serde_json::json!("a=b"));
        assert!(parse_flag("n:u8=300").unwrap_err().contains("out of range"));
        assert!(
            parse_flag("n:float=1")
                .unwrap_err()
                .contains("unknown type")
        );
        assert!(parse_flag("novalue").is_err());
        assert!(
            parse_flag(&format!("{}=v", "k".repeat(256)))
                .unwrap_err()
                .contains("255")
        );
    }
}
