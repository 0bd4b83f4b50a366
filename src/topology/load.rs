//! Reading topology files: `${VAR}` interpolation, strict parsing (unknown keys rejected with
//! the closest valid key suggested), merging several files or a directory, and duplicate
//! detection. Every error names the file, line and column. A file is read within its size
//! limit and its nesting measured before it is parsed (see [`crate::input`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::model::{Origin, Topology};
use crate::exit::Error;
use crate::input::{self, Limits};

/// Load and merge the given files and directories (a directory contributes its `*.yaml` and
/// `*.yml` files, sorted by name), each within `limits`. `env` resolves `${VAR}`.
pub fn load(
    paths: &[PathBuf],
    limits: &Limits,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Topology> {
    if paths.is_empty() {
        return Err(Error::usage("no topology file given (use -f FILE)").into());
    }
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("reading directory {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "yaml" || x == "yml"))
                .collect();
            found.sort();
            if found.is_empty() {
                return Err(Error::invalid_input(format!(
                    "{}: no *.yaml or *.yml files in this directory",
                    p.display()
                ))
                .into());
            }
            files.extend(found);
        } else {
            files.push(p.clone());
        }
    }
    let mut parts = Vec::new();
    for f in &files {
        let what = format!("topology file {}", f.display());
        let text = input::read_text(f, limits.max_file_size, &what)?;
        parts.push(parse_within(&display(f), &text, limits.max_depth, env)?);
    }
    merge(parts)
}

fn display(p: &Path) -> String {
    p.display().to_string()
}

/// Parse one file's text, nested at most [`input::DEFAULT_MAX_DEPTH`] deep.
pub fn parse(file: &str, text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Topology> {
    parse_within(file, text, input::DEFAULT_MAX_DEPTH, env)
}

/// Parse one file's text. Nesting deeper than `max_depth` is refused before the YAML parser
/// sees it. `${VAR}` references are resolved into the parsed scalar values, never into the
/// text, so a value can't change the document's structure.
pub fn parse_within(
    file: &str,
    text: &str,
    max_depth: usize,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Topology> {
    if is_blank(text) {
        return Ok(Topology::default());
    }
    if let Some((line, column)) = input::yaml_too_deep(text, max_depth) {
        return Err(
            input::too_deep(file, &format!("line {line}, column {column}"), max_depth).into(),
        );
    }
    let scan = scan_references(file, text, env)?;
    let mut doc: serde_yaml::Value =
        serde_yaml::from_str(&scan.placeholders).map_err(|e| yaml_error(file, &e))?;
    substitute(&mut doc, &scan.references)?;
    let mut topology: Topology = match serde_yaml::from_value(doc) {
        Ok(t) => t,
        // serde_yaml keeps no positions in a Value: parse the text again, with every value
        // that is plain enough written in place, to say where the error is.
        Err(e) => {
            return Err(match serde_yaml::from_str::<Topology>(&scan.located) {
                Err(located) => reference_error(&located, &scan.references)
                    .unwrap_or_else(|| yaml_error(file, &located)),
                Ok(_) => Error::invalid_input(scan.describe(&e.to_string()))
                    .about(file)
                    .into(),
            });
        }
    };
    assign_origins(file, &scan, &mut topology);
    Ok(topology)
}

fn is_blank(text: &str) -> bool {
    text.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#') || t == "---"
    })
}

fn invalid(origin: &Origin, message: impl std::fmt::Display) -> anyhow::Error {
    Error::invalid_input(message.to_string())
        .about(origin.to_string())
        .into()
}

/// Turn a serde_yaml error into `file:line:column: message`, with a suggestion for a typo'd key.
fn yaml_error(file: &str, err: &serde_yaml::Error) -> anyhow::Error {
    let mut message = err.to_string();
    let (line, column) = match err.location() {
        Some(l) => (l.line(), l.column()),
        None => (1, 1),
    };
    // serde_yaml appends " at line L column C"; the location goes in front instead.
    if let Some(i) = message.rfind(" at line ") {
        message.truncate(i);
    }
    if let Some(hint) = unknown_field_hint(&message) {
        message = hint;
    }
    invalid(
        &Origin {
            file: file.into(),
            line,
            column,
        },
        message,
    )
}

/// For "unknown field `x`, expected one of `a`, `b`", say which valid key is closest.
fn unknown_field_hint(message: &str) -> Option<String> {
    let start = message.find("unknown field `")?;
    let rest = &message[start + "unknown field `".len()..];
    let end = rest.find('`')?;
    let field = &rest[..end];
    let expected: Vec<&str> = rest[end + 1..].split('`').skip(1).step_by(2).collect();
    let prefix = &message[..start];
    if field == "password" {
        return Some(format!(
            "{prefix}unknown field `password`: a password never goes in the file; \
             use `password_env: VARIABLE` or `password_hash: ...`"
        ));
    }
    let valid = format!(
        "valid keys: {}",
        expected
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Some(match crate::suggest::closest(field, &expected) {
        Some(best) => format!("{prefix}unknown field `{field}`, did you mean `{best}`? ({valid})"),
        None => format!("{prefix}unknown field `{field}` ({valid})"),
    })
}

/// The error of a value that came from a `${VAR}`: it names the variable and its value's
/// type, never the placeholder that stood for it. `None` when the error is not at one.
fn reference_error(err: &serde_yaml::Error, refs: &[Reference]) -> Option<anyhow::Error> {
    let location = err.location()?;
    let message = err.to_string();
    let by_mark = refs
        .iter()
        .enumerate()
        .find(|(n, _)| message.contains(&placeholder(*n)) || message.contains(&escaped(*n)));
    // A quoted reference starts one column after its scalar's quote.
    let by_place = refs.iter().enumerate().find(|(_, r)| {
        r.origin.line == location.line()
            && (r.origin.column == location.column()
                || (r.quoted && r.origin.column == location.column() + 1))
    });
    let (_, r) = by_mark.or(by_place)?;
    let name = r.name.as_deref()?;
    let expected = message
        .split_once(", expected ")
        .map(|(_, e)| e.rsplit_once(" at line ").map_or(e, |(e, _)| e).to_string());
    let what = match expected {
        Some(e) => format!("expected {e}"),
        None => "not valid here".to_string(),
    };
    Some(invalid(
        &r.origin,
        format!("`${{{name}}}` is {} {:?}: {what}", r.kind(), r.value),
    ))
}

/// The placeholder as serde's messages show it (`{:?}` of a string).
fn escaped(index: usize) -> String {
    format!("\\u{{f8ff}}{index}\\u{{f8ff}}")
}

/// One `${VAR}` reference (or a literal `$${`) found in a file.
struct Reference {
    /// The variable (`None` for a literal `$${`).
    name: Option<String>,
    value: String,
    /// Inside a quoted scalar: always a string. Unquoted, a whole-scalar reference whose value
    /// reads as a number or a boolean becomes one (`message_ttl: ${TTL}`).
    quoted: bool,
    origin: Origin,
    /// How many characters it takes in the file (its placeholder takes another number).
    width: usize,
}

impl Reference {
    /// What the value becomes in the document: a whole unquoted reference may be a number or
    /// a boolean (see [`substitute`]).
    fn kind(&self) -> &'static str {
        if !self.quoted {
            match serde_yaml::from_str::<serde_yaml::Value>(&self.value) {
                Ok(serde_yaml::Value::Number(_)) => return "the number",
                Ok(serde_yaml::Value::Bool(_)) => return "the boolean",
                _ => {}
            }
        }
        "the string"
    }
}

/// The text with each reference replaced by a placeholder, the text with plain values
/// written in place (only to locate errors), and the references.
struct Scan {
    placeholders: String,
    located: String,
    references: Vec<Reference>,
}

impl Scan {
    /// The file's column of `column` on `line` of the placeholder text: each placeholder
    /// before it on that line is as wide as the reference it stands for.
    fn column_in_file(&self, line: usize, column: usize) -> usize {
        let mut shift = 0isize;
        let on_line = self.references.iter().enumerate();
        for (n, r) in on_line.filter(|(_, r)| r.origin.line == line) {
            if r.origin.column.saturating_add_signed(shift) < column {
                shift += placeholder(n).chars().count() as isize - r.width as isize;
            }
        }
        column.saturating_add_signed(-shift)
    }

    /// `message` with every placeholder written as the reference it stands for.
    fn describe(&self, message: &str) -> String {
        let mut out = message.to_string();
        for (n, r) in self.references.iter().enumerate().rev() {
            let shown = match &r.name {
                Some(name) => format!("${{{name}}}"),
                None => "$${".to_string(),
            };
            out = out
                .replace(&placeholder(n), &shown)
                .replace(&escaped(n), &shown);
        }
        out
    }
}

/// A placeholder is a private-use character around the reference's index: valid inside any
/// YAML scalar, and never a flow indicator.
const MARK: char = '\u{F8FF}';

fn placeholder(index: usize) -> String {
    format!("{MARK}{index}{MARK}")
}

/// Find `${VAR}`, `${VAR:-default}` and `$${` (a literal `${`) outside comments, resolving
/// each. An unset variable without a default is an error at its position.
fn scan_references(file: &str, text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Scan> {
    let mut scan = Scan {
        placeholders: String::with_capacity(text.len()),
        located: String::with_capacity(text.len()),
        references: Vec::new(),
    };
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        let mut quote: Option<char> = None;
        while i < chars.len() {
            let c = chars[i];
            match c {
                '\'' | '"' if quote.is_none() => quote = Some(c),
                q if quote == Some(q) => quote = None,
                '#' if quote.is_none() && (i == 0 || chars[i - 1].is_whitespace()) => {
                    let rest: String = chars[i..].iter().collect();
                    scan.placeholders.push_str(&rest);
                    scan.located.push_str(&rest);
                    break;
                }
                _ => {}
            }
            let origin = Origin {
                file: file.into(),
                line: index + 1,
                column: i + 1,
            };
            let (name, value, consumed) =
                if c == '$' && chars.get(i + 1) == Some(&'$') && chars.get(i + 2) == Some(&'{') {
                    (None, "${".to_string(), 3)
                } else if c == '$' && chars.get(i + 1) == Some(&'{') {
                    let close = chars[i + 2..]
                        .iter()
                        .position(|&c| c == '}')
                        .ok_or_else(|| invalid(&origin, "unterminated `${` (missing `}`)"))?;
                    let inner: String = chars[i + 2..i + 2 + close].iter().collect();
                    let (name, value) = resolve(&inner, &origin, env)?;
                    (Some(name), value, close + 3)
                } else {
                    scan.placeholders.push(c);
                    scan.located.push(c);
                    i += 1;
                    continue;
                };
            let plain = !value.is_empty()
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-./".contains(c));
            let mark = placeholder(scan.references.len());
            scan.placeholders.push_str(&mark);
            scan.located.push_str(if plain { &value } else { &mark });
            scan.references.push(Reference {
                name,
                value,
                quoted: quote.is_some(),
                origin,
                width: consumed,
            });
            i += consumed;
        }
    }
    Ok(scan)
}

/// The name and value of `VAR` or `VAR:-default`.
fn resolve(
    inner: &str,
    origin: &Origin,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(String, String)> {
    let (name, default) = match inner.split_once(":-") {
        Some((n, d)) => (n, Some(d)),
        None => (inner, None),
    };
    // `${X:-${Y}}` would end at the first `}`: refused rather than half taken.
    if let Some(d) = default
        && d.contains("${")
    {
        return Err(invalid(
            origin,
            format!(
                "`${{{inner}}}}}`: a default can't hold another `${{...}}` (nested defaults are not supported); \
                 set `{name}`, or give a plain default"
            ),
        ));
    }
    let valid_name =
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid_name {
        return Err(invalid(
            origin,
            format!("`${{{inner}}}` is not a valid variable reference"),
        ));
    }
    match (env(name), default) {
        (Some(v), _) => Ok((name.to_string(), v)),
        (None, Some(d)) => Ok((name.to_string(), d.to_string())),
        (None, None) => Err(invalid(
            origin,
            format!(
                "environment variable `{name}` is not set (use `${{{name}:-default}}` for a default)"
            ),
        )),
    }
}

/// Put the references' values into the parsed document's scalars. A reference in a key is
/// an error: keys are the document's structure.
fn substitute(doc: &mut serde_yaml::Value, refs: &[Reference]) -> Result<()> {
    use serde_yaml::Value;
    match doc {
        Value::String(s) if s.contains(MARK) => {
            let parts: Vec<&str> = s.split(MARK).collect();
            // "a\u{F8FF}0\u{F8FF}b" splits into a, 0, b: odd positions are indexes.
            let whole = parts.len() == 3 && parts[0].is_empty() && parts[2].is_empty();
            let mut out = String::new();
            let mut single = None;
            for (i, part) in parts.iter().enumerate() {
                if i % 2 == 0 {
                    out.push_str(part);
                } else if let Some(r) = part.parse::<usize>().ok().and_then(|n| refs.get(n)) {
                    out.push_str(&r.value);
                    single = Some(r);
                } else {
                    out.push(MARK);
                    out.push_str(part);
                    out.push(MARK);
                }
            }
            *doc = match single {
                Some(r) if whole && !r.quoted => match serde_yaml::from_str::<Value>(&r.value) {
                    Ok(v @ (Value::Number(_) | Value::Bool(_))) => v,
                    _ => Value::String(out),
                },
                _ => Value::String(out),
            };
        }
        Value::Sequence(items) => {
            for v in items {
                substitute(v, refs)?;
            }
        }
        Value::Mapping(map) => {
            for (k, v) in map.iter_mut() {
                if let Value::String(key) = k
                    && let Some(r) = key
                        .split(MARK)
                        .nth(1)
                        .and_then(|n| n.parse::<usize>().ok())
                        .and_then(|n| refs.get(n))
                {
                    return Err(invalid(
                        &r.origin,
                        "`${...}` is not allowed in a key: only values are interpolated",
                    ));
                }
                substitute(v, refs)?;
            }
        }
        Value::Tagged(t) => substitute(&mut t.value, refs)?,
        _ => {}
    }
    Ok(())
}

/// Where each item of each top-level list starts (line, column), from saphyr's marked nodes:
/// exact in block and flow style alike. `text` is the one serde_yaml parsed, placeholders in
/// place; [`Scan::column_in_file`] takes a column back to the file's text.
fn item_positions(text: &str) -> HashMap<String, Vec<(usize, usize)>> {
    use saphyr::{LoadableYamlNode, MarkedYaml, YamlData};
    let docs = MarkedYaml::load_from_str(text).unwrap_or_default();
    let Some(YamlData::Mapping(root)) = docs.first().map(|d| &d.data) else {
        return HashMap::new();
    };
    root.iter()
        .filter_map(|(key, value)| match (key.data.as_str(), &value.data) {
            (Some(section), YamlData::Sequence(items)) => Some((
                section.to_string(),
                (items.iter())
                    .map(|item| (item.span.start.line(), item.span.start.col() + 1))
                    .collect(),
            )),
            _ => None,
        })
        .collect()
}

fn assign_origins(file: &str, scan: &Scan, t: &mut Topology) {
    let positions = item_positions(&scan.placeholders);
    let at = |section: &str, i: usize| -> Origin {
        let (line, column) = positions
            .get(section)
            .and_then(|items| items.get(i))
            .map_or((1, 1), |&(line, column)| {
                (line, scan.column_in_file(line, column))
            });
        Origin {
            file: file.into(),
            line,
            column,
        }
    };
    macro_rules! mark {
        ($field:ident, $name:literal) => {
            for (i, o) in t.$field.iter_mut().enumerate() {
                o.origin = at($name, i);
            }
        };
    }
    mark!(vhosts, "vhosts");
    mark!(users, "users");
    mark!(permissions, "permissions");
    mark!(topic_permissions, "topic_permissions");
    mark!(exchanges, "exchanges");
    mark!(queues, "queues");
    mark!(bindings, "bindings");
    mark!(policies, "policies");
    mark!(operator_policies, "operator_policies");
    mark!(shovels, "shovels");
    mark!(federation_upstreams, "federation_upstreams");
    mark!(global_parameters, "global_parameters");
}

/// Merge parsed files into one topology, rejecting duplicates (naming both places) and
/// checking what the schema alone can't.
pub fn merge(parts: Vec<Topology>) -> Result<Topology> {
    let mut all = Topology::default();
    for p in parts {
        all.vhosts.extend(p.vhosts);
        all.users.extend(p.users);
        all.permissions.extend(p.permissions);
        all.topic_permissions.extend(p.topic_permissions);
        all.exchanges.extend(p.exchanges);
        all.queues.extend(p.queues);
        all.bindings.extend(p.bindings);
        all.policies.extend(p.policies);
        all.operator_policies.extend(p.operator_policies);
        all.shovels.extend(p.shovels);
        all.federation_upstreams.extend(p.federation_upstreams);
        all.global_parameters.extend(p.global_parameters);
    }
    // Every declaration's identity: two declarations of one object are an error.
    let in_vhost =
        |kind: &str, name: &str, vhost: &str| format!("{kind} `{name}` in vhost `{vhost}`");
    let parameters = [
        ("shovel", &all.shovels),
        ("federation upstream", &all.federation_upstreams),
    ];
    let identities = (all.vhosts.iter())
        .map(|o| (format!("vhost `{}`", o.name), &o.origin))
        .chain(
            all.users
                .iter()
                .map(|o| (format!("user `{}`", o.name), &o.origin)),
        )
        .chain(all.permissions.iter().map(|o| {
            let what = format!("permission of user `{}` in vhost `{}`", o.user, o.vhost);
            (what, &o.origin)
        }))
        .chain(all.topic_permissions.iter().map(|o| {
            let what = format!(
                "topic permission of user `{}` on exchange `{}` in vhost `{}`",
                o.user, o.exchange, o.vhost
            );
            (what, &o.origin)
        }))
        .chain(
            all.exchanges
                .iter()
                .map(|o| (in_vhost("exchange", &o.name, &o.vhost), &o.origin)),
        )
        .chain(
            all.queues
                .iter()
                .map(|o| (in_vhost("queue", &o.name, &o.vhost), &o.origin)),
        )
        .chain(all.bindings.iter().map(|o| {
            let what = format!(
                "binding `{}` -> {} `{}` (routing key `{}`, arguments {}) in vhost `{}`",
                o.source,
                o.destination_type.as_str(),
                o.destination,
                o.routing_key,
                serde_json::to_string(&o.arguments).unwrap_or_default(),
                o.vhost
            );
            (what, &o.origin)
        }))
        .chain(
            all.policies
                .iter()
                .map(|o| (in_vhost("policy", &o.name, &o.vhost), &o.origin)),
        )
        .chain(
            all.operator_policies
                .iter()
                .map(|o| (in_vhost("operator policy", &o.name, &o.vhost), &o.origin)),
        )
        .chain(parameters.into_iter().flat_map(|(kind, list)| {
            list.iter()
                .map(move |o| (in_vhost(kind, &o.name, &o.vhost), &o.origin))
        }))
        .chain(
            all.global_parameters
                .iter()
                .map(|o| (format!("global parameter `{}`", o.name), &o.origin)),
        );
    let mut errors = Vec::new();
    let mut seen: HashMap<String, &Origin> = HashMap::new();
    for (what, origin) in identities {
        if let Some(first) = seen.get(&what) {
            errors.push(format!(
                "{origin}: duplicate {what}: first declared at {first}"
            ));
        } else {
            seen.insert(what, origin);
        }
    }
    errors.extend(validate(&all));
    errors.extend(super::params::validate(&all));
    if errors.is_empty() {
        Ok(all)
    } else {
        Err(Error::invalid_input(errors.join("\n")).into())
    }
}

/// Checks on single objects that the schema can't express.
fn validate(t: &Topology) -> Vec<String> {
    let mut errors = Vec::new();
    let empty = |what: &str, name: &str, origin: &Origin, errors: &mut Vec<String>| {
        if name.is_empty() {
            errors.push(format!("{origin}: {what} needs a non-empty name"));
        }
    };
    for v in &t.vhosts {
        empty("vhost", &v.name, &v.origin, &mut errors);
    }
    for u in &t.users {
        empty("user", &u.name, &u.origin, &mut errors);
        if u.password_env.is_some() && u.password_hash.is_some() {
            errors.push(format!(
                "{}: user `{}`: give `password_env` or `password_hash`, not both",
                u.origin, u.name
            ));
        }
    }
    for e in &t.exchanges {
        empty("exchange", &e.name, &e.origin, &mut errors);
        if super::defs::is_builtin_exchange(&e.name) {
            errors.push(format!(
                "{}: exchange `{}`: names starting with `amq.` are reserved for the broker's own exchanges",
                e.origin, e.name
            ));
        }
        if e.alternate_exchange.is_some() && e.arguments.contains_key("alternate-exchange") {
            errors.push(format!(
                "{}: exchange `{}`: `alternate_exchange` is also given in `arguments`; keep one",
                e.origin, e.name
            ));
        }
    }
    for q in &t.queues {
        empty("queue", &q.name, &q.origin, &mut errors);
        for (field, arg) in super::model::TYPED_QUEUE_ARGS {
            let typed_set = q.all_arguments().get(arg) != q.arguments.get(arg);
            if typed_set && q.arguments.contains_key(arg) {
                errors.push(format!(
                    "{}: queue `{}`: `{field}` is also given as `{arg}` in `arguments`; keep one",
                    q.origin, q.name
                ));
            }
        }
        if q.arguments.contains_key("x-queue-type") {
            errors.push(format!(
                "{}: queue `{}`: give the queue type as `type:`, not as `x-queue-type` in `arguments`",
                q.origin, q.name
            ));
        }
    }
    for b in &t.bindings {
        if b.source.is_empty() || b.destination.is_empty() {
            errors.push(format!(
                "{}: a binding needs a source and a destination (the default exchange's bindings are implicit and can't be declared)",
                b.origin
            ));
        }
    }
    errors.extend(amqp_limits(t));
    for p in t.policies.iter().chain(&t.operator_policies) {
        empty("policy", &p.name, &p.origin, &mut errors);
        if p.definition.is_empty() {
            errors.push(format!(
                "{}: policy `{}` has an empty definition",
                p.origin, p.name
            ));
        }
    }
    errors
}

/// The longest name AMQP can carry: names and routing keys are short strings.
const SHORT_STRING: usize = 255;

/// Integer queue arguments and the ranges the broker accepts (rabbit_amqqueue's checks).
const NUMERIC_QUEUE_ARGS: [(&str, u64, u64); 6] = [
    ("x-message-ttl", 0, u32::MAX as u64),
    ("x-expires", 1, u32::MAX as u64),
    ("x-max-length", 0, i64::MAX as u64),
    ("x-max-length-bytes", 0, i64::MAX as u64),
    ("x-max-priority", 0, 255),
    ("x-delivery-limit", 0, i64::MAX as u64),
];

/// What the broker would refuse or ignore at declaration: names longer than a short
/// string, queue names in the reserved `amq.` space, numeric arguments out of range.
fn amqp_limits(t: &Topology) -> Vec<String> {
    let mut errors = Vec::new();
    let mut short = |origin: &Origin, what: &str, value: &str| {
        if value.chars().any(char::is_control) {
            errors.push(format!(
                "{origin}: {what} {value:?} holds a control character, which the management API drops from names"
            ));
        }
        if value.len() > SHORT_STRING {
            errors.push(format!(
                "{origin}: {what} is {} bytes long; AMQP names and routing keys hold at most {SHORT_STRING}",
                value.len()
            ));
        }
    };
    for v in &t.vhosts {
        short(&v.origin, "vhost name", &v.name);
    }
    for e in &t.exchanges {
        short(&e.origin, "exchange name", &e.name);
        short(&e.origin, "vhost name", &e.vhost);
        if let Some(ae) = &e.alternate_exchange {
            short(&e.origin, "alternate_exchange", ae);
        }
    }
    for q in &t.queues {
        short(&q.origin, "queue name", &q.name);
        short(&q.origin, "vhost name", &q.vhost);
        for key in ["x-dead-letter-exchange", "x-dead-letter-routing-key"] {
            if let Some(v) = q.all_arguments().get(key).and_then(|v| v.as_str()) {
                short(&q.origin, key, v);
            }
        }
    }
    for b in &t.bindings {
        short(&b.origin, "binding source", &b.source);
        short(&b.origin, "binding destination", &b.destination);
        // A routing key may hold any character; only its length is limited.
        let key: String = b.routing_key.chars().filter(|c| !c.is_control()).collect();
        short(&b.origin, "routing key", &key);
        if key.len() != b.routing_key.len() && b.routing_key.len() > SHORT_STRING {
            short(&b.origin, "routing key", &"k".repeat(b.routing_key.len()));
        }
    }
    for q in &t.queues {
        if q.name.starts_with("amq.") {
            errors.push(format!(
                "{}: queue `{}`: names starting with `amq.` are reserved for the broker (it refuses to declare them)",
                q.origin, q.name
            ));
        }
        let args = q.all_arguments();
        for (key, min, max) in NUMERIC_QUEUE_ARGS {
            let Some(value) = args.get(key) else { continue };
            let ok = value.as_u64().is_some_and(|n| (min..=max).contains(&n));
            if !ok {
                errors.push(format!(
                    "{}: queue `{}`: `{key}` must be a whole number from {min} to {max}, not {value}",
                    q.origin, q.name
                ));
            }
        }
    }
    errors
}

#[cfg(test)]
#[path = "tests/load.rs"]
mod tests;
