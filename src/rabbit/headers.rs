//! Headers-exchange matching exactly as the broker compares a binding's arguments with a
//! message's headers (pure). Read from the broker's source:
//!
//! - before 3.13 (`rabbit_exchange_type_headers:headers_match/5`): a merge of the two sorted
//!   tables comparing values with Erlang `==`: the header's type is ignored, an integer equals
//!   a float of exactly the same value, a timestamp is its seconds;
//! - 3.13 and later (`match/2` over `mc:routing_headers/2`): `=:=` against the header's value:
//!   an integer never equals a float, and a timestamp header counts in milliseconds
//!   (`mc_amqpl:routing_value/2`);
//! - on every version: a void (presence-only) argument matches when the header is there,
//!   whatever its value; integers of any width are one Erlang integer; a 32-bit float is
//!   widened to a double; a byte array and a string of the same bytes are one binary; arrays
//!   and tables keep each element's type.
//!
//! A binding is read through the management API, which shows its arguments without their
//! types: a void value as the string `"undefined"`, arrays and tables without the types of
//! their elements. Where that hides what the broker compares, the answer is [`Verdict::Unsure`]
//! with the reason, never a guess.

use lapin::types::{AMQPValue, FieldTable};
use serde_json::{Map, Value};

/// How a broker compares values: changed in RabbitMQ 3.13.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Comparison {
    /// Before 3.13: Erlang `==`.
    Loose,
    /// 3.13 and later: Erlang `=:=`.
    #[default]
    Exact,
}

impl Comparison {
    /// The comparison of a broker of `version` ("3.10.8", "4.3.6"); an unreadable version is
    /// taken as current.
    pub fn of_version(version: &str) -> Comparison {
        match super::version::major_minor(version) {
            Some((major, minor)) if (major, minor) < (3, 13) => Comparison::Loose,
            _ => Comparison::Exact,
        }
    }
}

/// Whether one binding takes a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Yes,
    No,
    /// What the management API shows of the binding can't decide it: why.
    Unsure(String),
}

/// A value as the broker holds it: an Erlang term.
#[derive(Debug, Clone, PartialEq)]
enum Term {
    /// `undefined`: a void header.
    Undefined,
    Bool(bool),
    Int(i128),
    Float(f64),
    Bin(Vec<u8>),
    Decimal(u8, u32),
    /// An array: each element with its type.
    List(Vec<(char, Term)>),
    /// A table: each field with its type.
    Table(Vec<(String, char, Term)>),
}

fn term(value: &AMQPValue) -> Term {
    match value {
        AMQPValue::Void => Term::Undefined,
        AMQPValue::Boolean(b) => Term::Bool(*b),
        AMQPValue::ShortShortInt(n) => Term::Int((*n).into()),
        AMQPValue::ShortShortUInt(n) => Term::Int((*n).into()),
        AMQPValue::ShortInt(n) => Term::Int((*n).into()),
        AMQPValue::ShortUInt(n) => Term::Int((*n).into()),
        AMQPValue::LongInt(n) => Term::Int((*n).into()),
        AMQPValue::LongUInt(n) => Term::Int((*n).into()),
        AMQPValue::LongLongInt(n) => Term::Int((*n).into()),
        AMQPValue::Timestamp(n) => Term::Int((*n).into()),
        AMQPValue::Float(x) => Term::Float(f64::from(*x)),
        AMQPValue::Double(x) => Term::Float(*x),
        AMQPValue::DecimalValue(d) => Term::Decimal(d.scale, d.value),
        AMQPValue::ShortString(s) => Term::Bin(s.as_str().as_bytes().to_vec()),
        AMQPValue::LongString(s) => Term::Bin(s.as_bytes().to_vec()),
        AMQPValue::ByteArray(b) => Term::Bin(b.as_slice().to_vec()),
        AMQPValue::FieldArray(a) => Term::List(
            a.as_slice()
                .iter()
                .map(|v| (v.get_type().get_id(), term(v)))
                .collect(),
        ),
        AMQPValue::FieldTable(t) => Term::Table(
            t.inner()
                .iter()
                .map(|(k, v)| (k.as_str().to_string(), v.get_type().get_id(), term(v)))
                .collect(),
        ),
    }
}

/// A header's value as the headers exchange compares it.
fn header_term(value: &AMQPValue, comparison: Comparison) -> Term {
    match (value, comparison) {
        (AMQPValue::Timestamp(t), Comparison::Exact) => Term::Int(i128::from(*t) * 1000),
        _ => term(value),
    }
}

/// What the management API shows of one binding argument.
enum Bound {
    /// The string `"undefined"`: a void argument, or that string.
    VoidOrUndefined,
    Known(Term),
    /// An array or a table, shown without the types of its elements.
    Untyped(Value),
    /// A binary that is not UTF-8, which the API shows as a note with base64.
    Hidden,
}

const NOT_UTF8: &str = "Not UTF-8, base64 is: ";

fn bound(value: &Value) -> Bound {
    match value {
        Value::String(s) if s == "undefined" => Bound::VoidOrUndefined,
        Value::String(s) if s.starts_with(NOT_UTF8) => Bound::Hidden,
        Value::String(s) => Bound::Known(Term::Bin(s.as_bytes().to_vec())),
        Value::Bool(b) => Bound::Known(Term::Bool(*b)),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Bound::Known(Term::Int(i.into())),
            (None, Some(u)) => Bound::Known(Term::Int(u.into())),
            _ => Bound::Known(Term::Float(n.as_f64().unwrap_or(f64::NAN))),
        },
        Value::Array(_) | Value::Object(_) => Bound::Untyped(value.clone()),
        Value::Null => Bound::Hidden,
    }
}

/// Erlang `==` between an integer and a float, as a real broker answers it: by exact value
/// (2^53 + 1 is not the float 2^53, although converting it to a float would round it there).
fn int_eq_float(i: i128, f: f64) -> bool {
    f.fract() == 0.0 && f.abs() < 1e38 && f as i128 == i
}

fn floats_equal(a: f64, b: f64, comparison: Comparison) -> bool {
    match comparison {
        Comparison::Loose => a == b,
        // `=:=` on floats tells 0.0 from -0.0 (OTP 27, under RabbitMQ 4.x).
        Comparison::Exact => a == b && a.is_sign_negative() == b.is_sign_negative(),
    }
}

/// The broker's equality of two terms.
fn equal(a: &Term, b: &Term, comparison: Comparison) -> bool {
    match (a, b) {
        (Term::Int(x), Term::Float(y)) | (Term::Float(y), Term::Int(x)) => {
            comparison == Comparison::Loose && int_eq_float(*x, *y)
        }
        (Term::Float(x), Term::Float(y)) => floats_equal(*x, *y, comparison),
        (Term::List(x), Term::List(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((t1, v1), (t2, v2))| t1 == t2 && equal(v1, v2, comparison))
        }
        (Term::Table(x), Term::Table(y)) => {
            x.len() == y.len()
                && x.iter().zip(y).all(|((k1, t1, v1), (k2, t2, v2))| {
                    k1 == k2 && t1 == t2 && equal(v1, v2, comparison)
                })
        }
        _ => a == b,
    }
}

/// Whether a header could equal an untyped array or table: the same shape and values once
/// the element types are set aside. When not, it surely doesn't.
fn could_equal(shown: &Value, header: &Term) -> bool {
    match (shown, header) {
        (Value::Array(items), Term::List(terms)) => {
            items.len() == terms.len()
                && items.iter().zip(terms).all(|(i, (_, t))| could_equal(i, t))
        }
        (Value::Object(fields), Term::Table(terms)) => {
            fields.len() == terms.len()
                && terms
                    .iter()
                    .all(|(k, _, t)| fields.get(k).is_some_and(|v| could_equal(v, t)))
        }
        (Value::String(s), Term::Undefined) => s == "undefined",
        (shown, term) => match bound(shown) {
            Bound::Known(k) => equal(&k, term, Comparison::Loose),
            Bound::VoidOrUndefined | Bound::Hidden | Bound::Untyped(_) => true,
        },
    }
}

/// One binding argument against the message's header of that name (`None`: absent).
fn argument(name: &str, shown: &Value, header: Option<&Term>, comparison: Comparison) -> Verdict {
    let yes = |b: bool| if b { Verdict::Yes } else { Verdict::No };
    let Some(header) = header else {
        return Verdict::No;
    };
    match bound(shown) {
        Bound::Known(value) => yes(equal(&value, header, comparison)),
        Bound::VoidOrUndefined => {
            if *header == Term::Bin(b"undefined".to_vec()) {
                // Present, and equal to the string: both readings take it.
                Verdict::Yes
            } else {
                Verdict::Unsure(format!(
                    "argument `{name}` shows as \"undefined\": a void (presence-only) value, \
                     which takes this message's `{name}`, or that string, which does not"
                ))
            }
        }
        Bound::Untyped(value) => {
            if could_equal(&value, header) {
                Verdict::Unsure(format!(
                    "argument `{name}` is an array or a table, which the management API shows \
                     without its elements' types; the broker compares those too"
                ))
            } else {
                Verdict::No
            }
        }
        Bound::Hidden => Verdict::Unsure(format!(
            "argument `{name}` is not UTF-8, which the management API does not show"
        )),
    }
}

/// Headers matching of one binding's arguments (as the management API shows them) against a
/// message's headers: `x-match` `all` (the default), `any`, `all-with-x`, `any-with-x`;
/// `all` and `any` set aside arguments named `x-...`; `all` of nothing takes every message,
/// `any` of nothing none.
pub fn headers_match(
    arguments: &Map<String, Value>,
    headers: &FieldTable,
    comparison: Comparison,
) -> Verdict {
    let mode = arguments
        .get("x-match")
        .and_then(Value::as_str)
        .unwrap_or("all");
    let with_x = mode.ends_with("-with-x");
    let any = mode.starts_with("any");
    let mut unsure = None;
    for (name, shown) in arguments {
        if name == "x-match" || (!with_x && name.starts_with("x-")) {
            continue;
        }
        let header = headers
            .inner()
            .iter()
            .find(|(k, _)| k.as_str() == name)
            .map(|(_, v)| header_term(v, comparison));
        match argument(name, shown, header.as_ref(), comparison) {
            Verdict::Yes if any => return Verdict::Yes,
            Verdict::No if !any => return Verdict::No,
            Verdict::Unsure(why) => unsure = unsure.or(Some(why)),
            _ => {}
        }
    }
    match unsure {
        Some(why) => Verdict::Unsure(why),
        None if any => Verdict::No,
        None => Verdict::Yes,
    }
}

/// Why a binding's arguments, as the management API shows them, can't be copied exactly
/// (a void value, an array or table without its elements' types, a binary that isn't UTF-8);
/// `None` when they can.
pub fn unfaithful(arguments: &Map<String, Value>) -> Option<String> {
    arguments.iter().find_map(|(name, shown)| match bound(shown) {
        Bound::Known(_) => None,
        Bound::VoidOrUndefined => Some(format!(
            "argument `{name}` shows as \"undefined\": a void (presence-only) value or that string"
        )),
        Bound::Untyped(_) => Some(format!(
            "argument `{name}` is an array or a table, shown without its elements' types"
        )),
        Bound::Hidden => Some(format!("argument `{name}` is not shown (not UTF-8)")),
    })
}

/// The routing keys a message's `CC` and `BCC` headers add: the strings of an array (other
/// elements are ignored). Any other type is refused by the broker (406 PRECONDITION_FAILED):
/// the error names the header and its type.
pub fn routing_headers(headers: &FieldTable) -> Result<Vec<String>, String> {
    let mut keys = Vec::new();
    for name in ["CC", "BCC"] {
        let Some((_, value)) = headers.inner().iter().find(|(k, _)| k.as_str() == name) else {
            continue;
        };
        let AMQPValue::FieldArray(items) = value else {
            return Err(format!(
                "header `{name}` is {}, not an array: the broker refuses the message \
                 (406 PRECONDITION_FAILED, unacceptable_type_in_header)",
                type_name(value)
            ));
        };
        keys.extend(items.as_slice().iter().filter_map(|v| match v {
            AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
            _ => None,
        }));
    }
    Ok(keys)
}

fn type_name(value: &AMQPValue) -> &'static str {
    match value {
        AMQPValue::Void => "void",
        AMQPValue::Boolean(_) => "a boolean",
        AMQPValue::LongString(_) | AMQPValue::ShortString(_) => "a string",
        AMQPValue::ByteArray(_) => "a byte array",
        AMQPValue::FieldTable(_) => "a table",
        AMQPValue::FieldArray(_) => "an array",
        AMQPValue::Float(_) | AMQPValue::Double(_) | AMQPValue::DecimalValue(_) => "a number",
        _ => "an integer",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lapin::types::{ByteArray, DecimalValue, FieldArray, LongString, ShortString};
    use serde_json::json;

    fn headers(pairs: &[(&str, AMQPValue)]) -> FieldTable {
        let mut t = FieldTable::default();
        for (k, v) in pairs {
            t.insert(ShortString::from(k.to_string()), v.clone());
        }
        t
    }

    fn args(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    fn s(text: &str) -> AMQPValue {
        AMQPValue::LongString(LongString::from(text.as_bytes().to_vec()))
    }

    use Comparison::{Exact, Loose};

    #[test]
    fn the_modes_and_x_arguments() {
        let h = headers(&[
            ("a", AMQPValue::LongInt(1)),
            ("b", s("x")),
            ("x-trace", s("t")),
        ]);
        let m = |a: Value| headers_match(&args(a), &h, Exact);
        assert_eq!(m(json!({"a": 1, "b": "x"})), Verdict::Yes);
        assert_eq!(m(json!({"a": 1, "c": 2})), Verdict::No);
        assert_eq!(m(json!({"x-match": "any", "a": 2, "b": "x"})), Verdict::Yes);
        assert_eq!(m(json!({"x-match": "any", "a": 2})), Verdict::No);
        assert_eq!(m(json!({"a": 1, "x-trace": "other"})), Verdict::Yes);
        assert_eq!(
            m(json!({"x-match": "all-with-x", "a": 1, "x-trace": "other"})),
            Verdict::No
        );
        assert_eq!(
            m(json!({"x-match": "any-with-x", "x-trace": "t", "z": 0})),
            Verdict::Yes
        );
        assert_eq!(m(json!({"x-match": "any", "x-trace": "t"})), Verdict::No);
        assert_eq!(m(json!({})), Verdict::Yes);
        assert_eq!(m(json!({"x-match": "any"})), Verdict::No);
    }

    #[test]
    fn numbers_as_each_version_compares_them() {
        let one = headers(&[("n", AMQPValue::ShortShortUInt(1))]);
        let m = |a: Value, h: &FieldTable, c| headers_match(&args(a), h, c);
        // Every integer width is one integer.
        assert_eq!(m(json!({"n": 1}), &one, Exact), Verdict::Yes);
        // An integer equals a float of its value before 3.13 only.
        assert_eq!(m(json!({"n": 1.0}), &one, Loose), Verdict::Yes);
        assert_eq!(m(json!({"n": 1.0}), &one, Exact), Verdict::No);
        // A 32-bit float is widened: 0.1f32 is not the double 0.1.
        let f = headers(&[("n", AMQPValue::Float(0.1))]);
        assert_eq!(m(json!({"n": 0.1}), &f, Exact), Verdict::No);
        assert_eq!(m(json!({"n": f64::from(0.1f32)}), &f, Exact), Verdict::Yes);
        // Erlang compares an integer and a float by exact value (measured on 3.10).
        let big = headers(&[("n", AMQPValue::LongLongInt((1 << 53) + 1))]);
        assert_eq!(
            m(json!({"n": 9007199254740992.0}), &big, Loose),
            Verdict::No
        );
        let at = headers(&[("n", AMQPValue::LongLongInt(1 << 53))]);
        assert_eq!(
            m(json!({"n": 9007199254740992.0}), &at, Loose),
            Verdict::Yes
        );
        let bigger = headers(&[("n", AMQPValue::LongLongInt((1 << 54) + 2))]);
        assert_eq!(
            m(json!({"n": 18014398509481984.0}), &bigger, Loose),
            Verdict::No
        );
        assert_eq!(
            m(json!({"n": (1u64 << 54) + 2}), &bigger, Exact),
            Verdict::Yes
        );
        // A timestamp header counts in milliseconds from 3.13.
        let t = headers(&[("n", AMQPValue::Timestamp(5))]);
        assert_eq!(m(json!({"n": 5}), &t, Loose), Verdict::Yes);
        assert_eq!(m(json!({"n": 5}), &t, Exact), Verdict::No);
        assert_eq!(m(json!({"n": 5000}), &t, Exact), Verdict::Yes);
        // A decimal equals no scalar the API can show.
        let d = headers(&[(
            "n",
            AMQPValue::DecimalValue(DecimalValue { scale: 0, value: 1 }),
        )]);
        assert_eq!(m(json!({"n": 1}), &d, Loose), Verdict::No);
    }

    #[test]
    fn bytes_strings_void_and_containers() {
        let m = |a: Value, h: &FieldTable| headers_match(&args(a), h, Exact);
        let bytes = headers(&[("k", AMQPValue::ByteArray(ByteArray::from(b"abc".to_vec())))]);
        assert_eq!(m(json!({"k": "abc"}), &bytes), Verdict::Yes);
        // A void argument: presence, unless the header is the string itself.
        let other = headers(&[("k", s("x"))]);
        assert!(matches!(
            m(json!({"k": "undefined"}), &other),
            Verdict::Unsure(_)
        ));
        assert_eq!(m(json!({"k": "undefined"}), &headers(&[])), Verdict::No);
        assert_eq!(
            m(
                json!({"k": "undefined"}),
                &headers(&[("k", s("undefined"))])
            ),
            Verdict::Yes
        );
        // An `any` binding that another argument already decides is sure.
        assert_eq!(
            m(
                json!({"x-match": "any", "k": "undefined", "j": 1}),
                &headers(&[("k", s("x")), ("j", AMQPValue::LongInt(1))])
            ),
            Verdict::Yes
        );
        // Arrays: equal values may differ in element types; other values surely differ.
        let list = headers(&[(
            "k",
            AMQPValue::FieldArray(FieldArray::from(vec![AMQPValue::LongInt(1)])),
        )]);
        assert!(matches!(m(json!({"k": [1]}), &list), Verdict::Unsure(_)));
        assert_eq!(m(json!({"k": [2]}), &list), Verdict::No);
        assert_eq!(m(json!({"k": "1"}), &list), Verdict::No);
    }

    #[test]
    fn cc_must_be_an_array() {
        let cc = |v: AMQPValue| routing_headers(&headers(&[("CC", v)]));
        assert_eq!(
            cc(AMQPValue::FieldArray(FieldArray::from(vec![
                s("a"),
                AMQPValue::ByteArray(ByteArray::from(b"b".to_vec())),
            ]))),
            Ok(vec!["a".to_string()])
        );
        assert!(
            cc(s("a"))
                .unwrap_err()
                .contains("`CC` is a string, not an array")
        );
        assert!(cc(AMQPValue::Void).is_err());
    }
}
