//! The `--where` language of `warren list`: typed comparisons over a row's columns joined by
//! `&&`, `||`, `!` and parentheses, e.g. `messages > 1000 && consumers == 0`,
//! `type == "quorum"`, `state != "running"`, `idle_since > 1h`, `memory >= 100MiB`,
//! `name =~ "^orders\."`.
//!
//! Values are numbers (with an optional unit: `ms s m h d` for durations, `KB MB GB KiB MiB
//! GiB` for sizes), strings in double quotes, `true`, `false` and `null`. A timestamp column
//! compared with a duration compares its age: `idle_since > 1h` is "idle for more than an
//! hour". A column the broker left out is unknown: every comparison with it is false (test
//! for it with `== null`). A bare column name is true when the column is `true`; a bare
//! column that holds a number or a string is an error, as any comparison of the wrong type.
//!
//! A mistake is reported with a caret under the token: pure, so it is checked before any
//! request is made. Parentheses and `!` nest at most [`MAX_NESTING`] deep, and chains of
//! `&&` and `||` are kept flat, so neither parsing nor evaluating recurses with the input's
//! length.

use std::fmt;
use std::time::SystemTime;

use regex_lite::Regex;
use serde_json::Value;

/// A parse or evaluation error, shown with the expression and a caret under `at`.
#[derive(Debug, Clone, PartialEq)]
pub struct ExprError {
    pub input: String,
    /// Byte offset of the offending token.
    pub at: usize,
    pub message: String,
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let col = self.input[..self.at.min(self.input.len())].chars().count();
        write!(
            f,
            "--where: {}\n  {}\n  {}^",
            self.message,
            self.input,
            " ".repeat(col)
        )
    }
}

impl std::error::Error for ExprError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Match,
    NotMatch,
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Match => "=~",
            Op::NotMatch => "!~",
        }
    }
}

/// A literal of the language.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Number(f64),
    /// Seconds.
    Duration(f64),
    Str(String),
    Bool(bool),
    Null,
}

/// How deep parentheses and `!` may nest.
pub const MAX_NESTING: usize = 64;

#[derive(Debug, Clone)]
pub enum Expr {
    /// Every one holds (`a && b && c`).
    And(Vec<Expr>),
    /// Any one holds (`a || b || c`).
    Or(Vec<Expr>),
    Not(Box<Expr>),
    /// A bare column: true when it is `true`.
    Truthy {
        column: String,
        at: usize,
    },
    Compare(Comparison),
}

/// `column op value`, with where each stands in the input.
#[derive(Debug, Clone)]
pub struct Comparison {
    column: String,
    at: usize,
    op: Op,
    value: Literal,
    /// The compiled pattern of `=~` / `!~`.
    regex: Option<Regex>,
    value_at: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Lit(Literal),
    Op(Op),
    And,
    Or,
    Not,
    Open,
    Close,
}

fn describe(t: &Token) -> String {
    match t {
        Token::Ident(s) => format!("`{s}`"),
        Token::Lit(Literal::Str(s)) => format!("\"{s}\""),
        Token::Lit(_) => "a value".into(),
        Token::Op(op) => format!("`{}`", op.symbol()),
        Token::And => "`&&`".into(),
        Token::Or => "`||`".into(),
        Token::Not => "`!`".into(),
        Token::Open => "`(`".into(),
        Token::Close => "`)`".into(),
    }
}

/// A number with an optional unit: the literal, or why not.
fn number(text: &str) -> Result<Literal, String> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: f64 = digits
        .replace('_', "")
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    let scale = |k: f64| Ok(Literal::Number(n * k));
    let secs = |k: f64| Ok(Literal::Duration(n * k));
    match unit {
        "" => scale(1.0),
        "ms" => secs(0.001),
        "s" => secs(1.0),
        "m" => secs(60.0),
        "h" => secs(3600.0),
        "d" => secs(86_400.0),
        "KB" => scale(1e3),
        "MB" => scale(1e6),
        "GB" => scale(1e9),
        "KiB" => scale(1024.0),
        "MiB" => scale(1024.0 * 1024.0),
        "GiB" => scale(1024.0 * 1024.0 * 1024.0),
        _ => Err(format!(
            "unknown unit `{unit}` (durations: ms s m h d; sizes: KB MB GB KiB MiB GiB)"
        )),
    }
}

fn tokenize(input: &str) -> Result<Vec<(usize, Token)>, ExprError> {
    let err = |at: usize, message: String| ExprError {
        input: input.to_string(),
        at,
        message,
    };
    let bytes = input.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let two = input.get(i..i + 2).unwrap_or("");
        let start = i;
        let token = match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'(' => {
                i += 1;
                Token::Open
            }
            b')' => {
                i += 1;
                Token::Close
            }
            _ if two == "&&" => {
                i += 2;
                Token::And
            }
            _ if two == "||" => {
                i += 2;
                Token::Or
            }
            _ if ["==", "!=", "<=", ">=", "=~", "!~"].contains(&two) => {
                i += 2;
                Token::Op(match two {
                    "==" => Op::Eq,
                    "!=" => Op::Ne,
                    "<=" => Op::Le,
                    ">=" => Op::Ge,
                    "=~" => Op::Match,
                    _ => Op::NotMatch,
                })
            }
            b'<' => {
                i += 1;
                Token::Op(Op::Lt)
            }
            b'>' => {
                i += 1;
                Token::Op(Op::Gt)
            }
            b'!' => {
                i += 1;
                Token::Not
            }
            b'=' => return Err(err(i, "`=` is not an operator: compare with `==`".into())),
            b'&' | b'|' => {
                return Err(err(
                    i,
                    format!("`{}` alone is not an operator: use `&&` or `||`", c as char),
                ));
            }
            b'"' => {
                let mut s = String::new();
                i += 1;
                loop {
                    match input[i..].chars().next() {
                        None => return Err(err(start, "this string has no closing `\"`".into())),
                        Some('"') => {
                            i += 1;
                            break;
                        }
                        Some('\\') => {
                            let next = input[i + 1..].chars().next().ok_or_else(|| {
                                err(start, "this string has no closing `\"`".into())
                            })?;
                            s.push(next);
                            i += 1 + next.len_utf8();
                        }
                        Some(ch) => {
                            s.push(ch);
                            i += ch.len_utf8();
                        }
                    }
                }
                Token::Lit(Literal::Str(s))
            }
            b'0'..=b'9' | b'-' | b'.' => {
                i += 1;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.' || bytes[i] == b'_')
                {
                    i += 1;
                }
                let text = &input[start..i];
                let (negative, text) = match text.strip_prefix('-') {
                    Some(rest) => (true, rest),
                    None => (false, text),
                };
                let lit = number(text).map_err(|m| err(start, m))?;
                Token::Lit(match (negative, lit) {
                    (true, Literal::Number(n)) => Literal::Number(-n),
                    (true, Literal::Duration(n)) => Literal::Duration(-n),
                    (_, lit) => lit,
                })
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'.')
                {
                    i += 1;
                }
                match &input[start..i] {
                    "true" => Token::Lit(Literal::Bool(true)),
                    "false" => Token::Lit(Literal::Bool(false)),
                    "null" => Token::Lit(Literal::Null),
                    "and" | "AND" => Token::And,
                    "or" | "OR" => Token::Or,
                    "not" | "NOT" => Token::Not,
                    word => Token::Ident(word.to_string()),
                }
            }
            _ => {
                let ch = input[i..].chars().next().unwrap_or('?');
                return Err(err(i, format!("unexpected `{ch}`")));
            }
        };
        out.push((start, token));
    }
    Ok(out)
}

struct Parser<'a> {
    input: &'a str,
    tokens: Vec<(usize, Token)>,
    pos: usize,
    columns: &'a [&'a str],
    /// Parentheses and `!` open around the token being parsed.
    nesting: usize,
}

impl Parser<'_> {
    fn err(&self, at: usize, message: impl Into<String>) -> ExprError {
        ExprError {
            input: self.input.to_string(),
            at,
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos).map(|(_, t)| t)
    }

    /// Where the next token starts (the end of the input when there is none).
    fn here(&self) -> usize {
        self.tokens
            .get(self.pos)
            .map_or(self.input.len(), |(at, _)| *at)
    }

    fn or(&mut self) -> Result<Expr, ExprError> {
        self.chain(&Token::Or, Self::and, Expr::Or)
    }

    fn and(&mut self) -> Result<Expr, ExprError> {
        self.chain(&Token::And, Self::unary, Expr::And)
    }

    /// `operand (op operand)*`: one operand alone, or `join` of them all.
    fn chain(
        &mut self,
        op: &Token,
        operand: fn(&mut Self) -> Result<Expr, ExprError>,
        join: fn(Vec<Expr>) -> Expr,
    ) -> Result<Expr, ExprError> {
        let mut all = vec![operand(self)?];
        while self.peek() == Some(op) {
            self.pos += 1;
            all.push(operand(self)?);
        }
        Ok(if all.len() == 1 {
            all.remove(0)
        } else {
            join(all)
        })
    }

    /// One more level of `(` or `!` at the next token, within [`MAX_NESTING`].
    fn nest(&mut self) -> Result<(), ExprError> {
        if self.nesting >= MAX_NESTING {
            return Err(self.err(
                self.here(),
                format!("parentheses and `!` nest deeper than {MAX_NESTING} levels here"),
            ));
        }
        self.nesting += 1;
        Ok(())
    }

    fn unary(&mut self) -> Result<Expr, ExprError> {
        match self.peek() {
            Some(Token::Not) => {
                self.nest()?;
                self.pos += 1;
                let inner = self.unary()?;
                self.nesting -= 1;
                Ok(Expr::Not(Box::new(inner)))
            }
            Some(Token::Open) => {
                self.nest()?;
                let open = self.here();
                self.pos += 1;
                let inner = self.or()?;
                self.nesting -= 1;
                if self.peek() != Some(&Token::Close) {
                    let at = self.here();
                    return Err(match self.peek() {
                        None => self.err(open, "this `(` is never closed"),
                        Some(t) => self.err(at, format!("expected `)`, found {}", describe(t))),
                    });
                }
                self.pos += 1;
                Ok(inner)
            }
            _ => self.comparison(),
        }
    }

    fn column(&self, name: &str, at: usize) -> Result<String, ExprError> {
        if self.columns.is_empty() || self.columns.contains(&name) {
            return Ok(name.to_string());
        }
        let mut message = format!("unknown column `{name}`");
        if let Some(close) = crate::suggest::closest(name, self.columns) {
            message.push_str(&format!(" (did you mean `{close}`?)"));
        }
        message.push_str(&format!("; columns: {}", self.columns.join(", ")));
        Err(self.err(at, message))
    }

    fn comparison(&mut self) -> Result<Expr, ExprError> {
        let at = self.here();
        let column = match self.tokens.get(self.pos).cloned() {
            Some((_, Token::Ident(name))) => self.column(&name, at)?,
            Some((_, t)) => {
                return Err(self.err(
                    at,
                    format!("expected a column name, found {}", describe(&t)),
                ));
            }
            None => return Err(self.err(at, "expected a column name")),
        };
        self.pos += 1;
        let op = match self.peek() {
            Some(Token::Op(op)) => *op,
            _ => return Ok(Expr::Truthy { column, at }),
        };
        let op_at = self.here();
        self.pos += 1;
        let value_at = self.here();
        let value = match self.tokens.get(self.pos).cloned() {
            Some((_, Token::Lit(lit))) => lit,
            Some((_, Token::Ident(word))) => {
                return Err(self.err(
                    value_at,
                    format!(
                        "expected a value, found `{word}` (strings take double quotes: \"{word}\")"
                    ),
                ));
            }
            Some((_, t)) => {
                return Err(self.err(
                    value_at,
                    format!(
                        "expected a value after `{}`, found {}",
                        op.symbol(),
                        describe(&t)
                    ),
                ));
            }
            None => {
                return Err(self.err(
                    value_at,
                    format!("expected a value after `{}`", op.symbol()),
                ));
            }
        };
        self.pos += 1;
        let regex = match (op, &value) {
            (Op::Match | Op::NotMatch, Literal::Str(pattern)) => Some(
                Regex::new(pattern)
                    .map_err(|e| self.err(value_at, format!("not a regular expression: {e}")))?,
            ),
            (Op::Match | Op::NotMatch, _) => {
                return Err(self.err(value_at, "`=~` and `!~` take a string pattern"));
            }
            (Op::Lt | Op::Le | Op::Gt | Op::Ge, Literal::Bool(_) | Literal::Null) => {
                return Err(self.err(
                    op_at,
                    format!("`{}` compares numbers, durations or strings", op.symbol()),
                ));
            }
            _ => None,
        };
        Ok(Expr::Compare(Comparison {
            column,
            at,
            op,
            value,
            regex,
            value_at,
        }))
    }
}

/// Parse `input` against the known `columns` (empty: any column).
pub fn parse(input: &str, columns: &[&str]) -> Result<Expr, ExprError> {
    let tokens = tokenize(input)?;
    let mut p = Parser {
        input,
        tokens,
        pos: 0,
        columns,
        nesting: 0,
    };
    if p.tokens.is_empty() {
        return Err(p.err(0, "the expression is empty"));
    }
    let expr = p.or()?;
    if let Some(t) = p.peek() {
        let at = p.here();
        return Err(p.err(
            at,
            format!("expected `&&`, `||` or the end, found {}", describe(t)),
        ));
    }
    Ok(expr)
}

/// What a value is, for errors: "a number", "a string", ...
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "unknown",
        Value::Bool(_) => "true or false",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A column's value: the row's, looked up by name (flat rows: `a.b` is a key of its own).
pub trait Row {
    fn get(&self, column: &str) -> Option<&Value>;
}

impl Row for serde_json::Map<String, Value> {
    fn get(&self, column: &str) -> Option<&Value> {
        serde_json::Map::get(self, column)
    }
}

impl Expr {
    /// The columns the expression reads.
    pub fn columns(&self) -> Vec<&str> {
        match self {
            Expr::And(all) | Expr::Or(all) => all.iter().flat_map(Expr::columns).collect(),
            Expr::Not(a) => a.columns(),
            Expr::Truthy { column, .. } | Expr::Compare(Comparison { column, .. }) => {
                vec![column.as_str()]
            }
        }
    }

    /// Whether `row` matches. `Err` when a column's value can't be compared with the literal
    /// (a string column against a number, ...), naming both.
    pub fn matches(&self, row: &dyn Row, input: &str) -> Result<bool, ExprError> {
        self.eval(row, input, SystemTime::now())
    }

    fn eval(&self, row: &dyn Row, input: &str, now: SystemTime) -> Result<bool, ExprError> {
        match self {
            Expr::And(all) => {
                for e in all {
                    if !e.eval(row, input, now)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Expr::Or(any) => {
                for e in any {
                    if e.eval(row, input, now)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Expr::Not(a) => Ok(!a.eval(row, input, now)?),
            Expr::Truthy { column, at } => match row.get(column) {
                Some(Value::Bool(b)) => Ok(*b),
                // Unknown: not true.
                None | Some(Value::Null) => Ok(false),
                Some(other) => Err(ExprError {
                    input: input.to_string(),
                    at: *at,
                    message: format!(
                        "`{column}` is {} here, not true or false: compare it (e.g. `{column} > 0` or `{column} == \"...\"`)",
                        kind_of(other)
                    ),
                }),
            },
            Expr::Compare(c) => c.eval(row, input, now),
        }
    }
}

impl Comparison {
    fn eval(&self, row: &dyn Row, input: &str, now: SystemTime) -> Result<bool, ExprError> {
        let (column, at, op, value_at) = (&self.column, &self.at, &self.op, &self.value_at);
        let (value, regex) = (&self.value, &self.regex);
        let actual = row.get(column).unwrap_or(&Value::Null);
        let mismatch = |what: &str| ExprError {
            input: input.to_string(),
            at: *value_at,
            message: format!("`{column}` is {what} here, which this value can't be compared with"),
        };
        if let Some(re) = regex {
            return match actual {
                Value::String(s) => Ok(re.is_match(s) == (*op == Op::Match)),
                Value::Null => Ok(false),
                other => Err(ExprError {
                    input: input.to_string(),
                    at: *at,
                    message: format!(
                        "`{column}` is {} here: `{}` matches strings only",
                        kind_of(other),
                        op.symbol()
                    ),
                }),
            };
        }
        let ordering = match (actual, value) {
            (Value::Null, Literal::Null) => return Ok(matches!(op, Op::Eq)),
            (_, Literal::Null) => return Ok(matches!(op, Op::Ne)),
            // Unknown: no comparison holds.
            (Value::Null, _) => return Ok(false),
            (Value::Number(n), Literal::Number(x) | Literal::Duration(x)) => {
                n.as_f64().and_then(|n| n.partial_cmp(x))
            }
            (Value::String(s), Literal::Duration(x)) => {
                let age = crate::broker::api::age_seconds(s, now)
                    .ok_or_else(|| mismatch("not a timestamp"))?;
                age.partial_cmp(x)
            }
            (Value::String(s), Literal::Str(x)) => Some(s.as_str().cmp(x.as_str())),
            (Value::Bool(b), Literal::Bool(x)) => {
                return match op {
                    Op::Eq => Ok(b == x),
                    Op::Ne => Ok(b != x),
                    _ => Err(mismatch("true or false")),
                };
            }
            (Value::String(_), _) => return Err(mismatch("a string")),
            (Value::Number(_), _) => return Err(mismatch("a number")),
            (Value::Bool(_), _) => return Err(mismatch("true or false")),
            (Value::Array(_) | Value::Object(_), _) => {
                return Err(ExprError {
                    input: input.to_string(),
                    at: *at,
                    message: format!("`{column}` is a list or an object: not comparable"),
                });
            }
        };
        let Some(ordering) = ordering else {
            return Ok(false);
        };
        use std::cmp::Ordering::*;
        Ok(match op {
            Op::Eq => ordering == Equal,
            Op::Ne => ordering != Equal,
            Op::Lt => ordering == Less,
            Op::Le => ordering != Greater,
            Op::Gt => ordering == Greater,
            Op::Ge => ordering != Less,
            Op::Match | Op::NotMatch => false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(v: Value) -> serde_json::Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    fn check(expr: &str, r: &serde_json::Map<String, Value>) -> bool {
        parse(expr, &[])
            .unwrap_or_else(|e| panic!("{e}"))
            .matches(r, expr)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn comparisons_and_logic() {
        let q = row(json!({"name": "orders", "messages": 1500, "consumers": 0,
                           "type": "quorum", "state": "running", "durable": true,
                           "memory": 2_000_000}));
        assert!(check("messages > 1000 && consumers == 0", &q));
        assert!(!check("messages > 1000 && consumers > 0", &q));
        assert!(check("type == \"quorum\" || messages < 0", &q));
        assert!(check("!(state != \"running\")", &q));
        assert!(check("durable", &q));
        assert!(check("not durable == false", &q));
        assert!(check("memory >= 1MB && memory < 2MiB", &q));
        assert!(check("name =~ \"^ord\" && name !~ \"x$\"", &q));
        assert!(check("messages >= 1_500", &q));
        // && binds tighter than ||.
        assert!(check("consumers > 0 && messages > 0 || durable", &q));
        assert!(!check("consumers > 0 && (messages > 0 || durable)", &q));
    }

    #[test]
    fn a_missing_value_is_unknown_never_zero() {
        let q = row(json!({"name": "q", "messages": null}));
        assert!(!check("messages == 0", &q));
        assert!(!check("messages < 1", &q));
        assert!(!check("consumers != 3", &q));
        assert!(check("messages == null", &q));
        assert!(check("consumers == null", &q));
        assert!(!check("name == null", &q));
    }

    #[test]
    fn a_timestamp_against_a_duration_is_its_age() {
        let now = humantime::parse_rfc3339("2026-12-03T12:00:00Z").unwrap();
        let c = row(json!({"idle_since": "2026-12-03 10:00:00", "other": "2026-12-03T11:59:00Z"}));
        let e = parse("idle_since > 1h && other < 2m && idle_since <= 120m", &[]).unwrap();
        assert!(e.eval(&c, "", now).unwrap());
    }

    #[test]
    fn mistakes_point_at_the_token() {
        let err = parse("messages > && consumers == 0", &[]).unwrap_err();
        assert_eq!(err.at, 11);
        assert_eq!(
            err.to_string(),
            "--where: expected a value after `>`, found `&&`\n  messages > && consumers == 0\n             ^"
        );
        assert_eq!(parse("type == quorum", &[]).unwrap_err().at, 8);
        assert_eq!(parse("messages = 1", &[]).unwrap_err().at, 9);
        assert_eq!(parse("(messages > 1", &[]).unwrap_err().at, 0);
        assert_eq!(parse("messages > 1 consumers", &[]).unwrap_err().at, 13);
        assert_eq!(parse("messages > 5x", &[]).unwrap_err().at, 11);
        assert_eq!(parse("name =~ \"(\"", &[]).unwrap_err().at, 8);
        assert_eq!(parse("name == \"open", &[]).unwrap_err().at, 8);
        assert!(parse("", &[]).is_err());
        let err = parse("mesages > 1", &["name", "messages"]).unwrap_err();
        assert!(err.message.contains("did you mean `messages`"), "{err}");
        assert!(err.message.contains("columns: name, messages"), "{err}");
    }

    #[test]
    fn a_value_of_the_wrong_type_is_an_error_not_false() {
        let q = row(json!({"name": "q", "messages": 3}));
        let e = parse("name > 3", &[]).unwrap();
        let err = e.matches(&q, "name > 3").unwrap_err();
        assert_eq!(err.at, 7);
        assert!(err.message.contains("`name` is a string"), "{err}");
        assert!(parse("messages > true", &[]).is_err());
    }

    #[test]
    fn nesting_is_limited_with_a_caret() {
        for n in [65, 10_000, 100_000] {
            for (open, close) in [("(", ")"), ("!", ""), ("!(", ")")] {
                let text = format!("{}durable{}", open.repeat(n), close.repeat(n));
                let err = parse(&text, &[]).unwrap_err();
                assert!(err.message.contains("nest deeper than 64 levels"), "{err}");
                assert_eq!(err.at, 64, "{open} x {n}");
                assert!(
                    err.to_string()
                        .ends_with(&format!("\n  {}^", " ".repeat(64)))
                );
            }
        }
        let q = row(json!({"durable": true}));
        let deepest = format!("{}durable{}", "(".repeat(64), ")".repeat(64));
        assert!(check(&deepest, &q));
        assert!(check(&format!("{}durable", "!".repeat(64)), &q));
    }

    #[test]
    fn long_chains_stay_flat() {
        let q = row(json!({"durable": true, "messages": 3}));
        let chain = vec!["messages > 1"; 50_000].join(" && ");
        assert!(check(&chain, &q));
        let chain = vec!["messages > 5"; 50_000].join(" || ") + " || durable";
        assert!(check(&chain, &q));
        let e = parse(&chain, &[]).unwrap();
        assert_eq!(e.columns().len(), 50_001);
    }

    #[test]
    fn a_bare_column_must_be_true_or_false() {
        let q = row(json!({"messages": 3, "name": "q", "durable": false, "gone": null}));
        for text in ["messages", "name", "durable || messages"] {
            let err = parse(text, &[]).unwrap().matches(&q, text).unwrap_err();
            assert!(err.message.contains("not true or false"), "{err}");
            assert_eq!(err.at, text.rfind(' ').map_or(0, |i| i + 1));
        }
        assert!(!check("durable", &q));
        assert!(!check("gone", &q));
    }

    #[test]
    fn a_pattern_on_a_number_is_a_type_error() {
        let q = row(json!({"messages": 30, "name": "q30"}));
        let err = parse("messages =~ \"3\"", &[])
            .unwrap()
            .matches(&q, "messages =~ \"3\"")
            .unwrap_err();
        assert_eq!(err.at, 0);
        assert!(
            err.message
                .contains("`messages` is a number here: `=~` matches strings only"),
            "{err}"
        );
        assert!(check("name =~ \"3\"", &q));
    }
}
