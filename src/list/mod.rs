//! `warren list`: one kind of broker object as flat rows, filtered (`--name`, `--where`),
//! sorted and cut to the columns asked for. The request asks the broker only for the fields
//! the command needs (`columns=`), and for no statistics when none of them is one
//! (`disable_stats=true`): both make large lists much cheaper for the broker to build.
//! Queues whose only statistics are message counts, state and consumers are read in the
//! broker's "queue totals" form instead (see [`QUEUE_TOTALS`]).

pub mod expr;
pub mod kinds;
pub mod render;

use std::cmp::Ordering;
use std::collections::HashMap;

use regex_lite::Regex;
use serde_json::{Map, Value};

use crate::broker::api::consumer_capacity_known;
use crate::broker::http::api_path;
use expr::{Expr, ExprError};
use kinds::{Column, Kind, Scope};

/// One sort key: a column, descending when written `-column`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    pub column: &'static str,
    pub descending: bool,
}

/// What to list and how.
pub struct Query {
    pub kind: &'static Kind,
    /// `None`: every vhost.
    pub vhost: Option<String>,
    pub name: Option<Regex>,
    /// The parsed `--where` and its text (for errors).
    pub filter: Option<(Expr, String)>,
    pub sort: Vec<SortKey>,
    pub columns: Vec<&'static Column>,
}

/// A listed object: its columns by name (the shown ones and those the filter and sort use).
pub type Row = Map<String, Value>;

/// The queue statistics the broker gives without its statistics database: with
/// `disable_stats=true&enable_queue_totals=true` it asks every queue for its state and
/// message totals. On 3.10 with 10,000 queues that answers in about a third of the time of
/// the statistics form (which computes every queue's rates and samples), and its figures
/// are the queues' own, not the last statistics emission. `consumers`, which that form lacks,
/// is counted from `/api/consumers` (one entry per consumer), asked at the same time.
pub const QUEUE_TOTALS: &[&str] = &[
    "state",
    "messages",
    "messages_ready",
    "messages_unacknowledged",
    "consumers",
];

/// The columns whose values the totals form gives as the statistics form does (`node` and
/// `exclusive` differ for quorum queues there, so they keep the statistics form).
const TOTALS_BASIC: &[&str] = &[
    "name",
    "vhost",
    "type",
    "durable",
    "auto_delete",
    "arguments",
];

/// Consumers per queue, by (vhost, queue name), from `/api/consumers`.
pub type ConsumerCounts = HashMap<(String, String), u64>;

/// Count the consumers of each queue in a `/api/consumers?columns=queue` answer.
pub fn count_consumers(consumers: &[Value]) -> ConsumerCounts {
    let mut counts = ConsumerCounts::new();
    for c in consumers {
        if let (Some(vhost), Some(name)) = (
            field(c, "queue.vhost").as_str(),
            field(c, "queue.name").as_str(),
        ) {
            *counts
                .entry((vhost.to_string(), name.to_string()))
                .or_default() += 1;
        }
    }
    counts
}

/// `--columns a,b,c` against `kind` (`None`: its defaults). A column named twice is shown
/// once, where it is first named: repeating one can't make the request any longer.
pub fn parse_columns(
    kind: &'static Kind,
    text: Option<&str>,
) -> Result<Vec<&'static Column>, String> {
    let names: Vec<&str> = match text {
        None => kind.default_columns.to_vec(),
        Some(t) => t
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect(),
    };
    if names.is_empty() {
        return Err("--columns: no column given".into());
    }
    let mut columns: Vec<&'static Column> = Vec::new();
    for n in names {
        let column = kind
            .column(n)
            .ok_or_else(|| unknown_column("--columns", kind, n))?;
        if !columns.iter().any(|c| c.name == column.name) {
            columns.push(column);
        }
    }
    Ok(columns)
}

/// `--sort -messages,name` against `kind`. An empty key (`--sort ''`, `a,,b`) is an error.
pub fn parse_sort(kind: &'static Kind, text: &str) -> Result<Vec<SortKey>, String> {
    text.split(',')
        .map(str::trim)
        .enumerate()
        .map(|(n, part)| {
            let bare = part.strip_prefix(['-', '+']).unwrap_or(part);
            if bare.is_empty() {
                return Err(format!(
                    "--sort: key {} of `{text}` is empty; give column names, e.g. --sort -messages,name",
                    n + 1
                ));
            }
            let (descending, name) = match part.strip_prefix('-') {
                Some(n) => (true, n),
                None => (false, part.strip_prefix('+').unwrap_or(part)),
            };
            let column = kind
                .column(name)
                .ok_or_else(|| unknown_column("--sort", kind, name))?;
            Ok(SortKey {
                column: column.name,
                descending,
            })
        })
        .collect()
}

fn unknown_column(flag: &str, kind: &Kind, name: &str) -> String {
    let names = kind.column_names();
    let mut message = format!("{flag}: unknown column `{name}` of {}", kind.name);
    if let Some(close) = crate::suggest::closest(name, &names) {
        message.push_str(&format!(" (did you mean `{close}`?)"));
    }
    message.push_str(&format!("; columns: {}", names.join(", ")));
    message
}

/// The column `--name` matches: `name`, or the kind's identifying column where it has none.
pub fn name_column(kind: &Kind) -> &'static str {
    ["name", "queue", "upstream", "user", "source"]
        .into_iter()
        .find(|n| kind.column(n).is_some())
        .unwrap_or("name")
}

/// A dotted field of an API object (`message_stats.publish_details.rate`); `Null` when absent.
fn field<'a>(item: &'a Value, dotted: &str) -> &'a Value {
    crate::json::at(item, dotted).unwrap_or(&Value::Null)
}

impl Query {
    /// Every column the query reads: shown, filtered on, sorted by, matched by `--name`, and
    /// `vhost` where one vhost is picked out of a global list.
    fn needed(&self) -> Vec<&'static Column> {
        let mut needed: Vec<&'static Column> = self.columns.clone();
        let mut add = |name: &str| {
            if let Some(c) = self.kind.column(name)
                && !needed.iter().any(|n| n.name == c.name)
            {
                needed.push(c);
            }
        };
        if let Some((e, _)) = &self.filter {
            e.columns().iter().for_each(|c| add(c));
        }
        self.sort.iter().for_each(|k| add(k.column));
        if self.name.is_some() {
            add(name_column(self.kind));
        }
        if self.vhost.is_some() && self.kind.scope == Scope::FilterByVhost {
            add("vhost");
        }
        needed
    }

    /// Whether the queues are read in the totals form: some statistic is needed, and every
    /// needed column is one that form gives (see [`QUEUE_TOTALS`]).
    fn totals_form(&self) -> bool {
        let needed = self.needed();
        self.kind.name == "queues"
            && needed.iter().any(|c| c.stats)
            && needed
                .iter()
                .all(|c| QUEUE_TOTALS.contains(&c.name) || TOTALS_BASIC.contains(&c.name))
    }

    /// Whether the rows need the broker's version: a queue's `consumer_capacity` is not a
    /// figure on every version (see [`consumer_capacity_known`]).
    pub fn needs_version(&self) -> bool {
        self.kind.name == "queues" && self.needed().iter().any(|c| c.name == "consumer_capacity")
    }

    /// Whether `consumers` is counted from `/api/consumers` (see [`Query::consumers_path`]).
    fn counts_consumers(&self) -> bool {
        self.totals_form() && self.needed().iter().any(|c| c.name == "consumers")
    }

    /// The request: the endpoint for the vhost (or all), with `columns=` naming just the
    /// fields needed, and `disable_stats=true` when none is a statistic (or, for queues, the
    /// totals form when those are enough).
    pub fn path(&self) -> String {
        let k = self.kind;
        let mut path = match (&self.vhost, k.scope) {
            (Some(v), Scope::PerVhost) => api_path(&[k.path, v]),
            (Some(v), Scope::VhostSubpath) => api_path(&["vhosts", v, k.path]),
            _ => api_path(&[k.path]),
        };
        let needed = self.needed();
        let mut fields: Vec<&str> = needed.iter().map(|c| c.field).collect();
        let totals = self.totals_form();
        if self.counts_consumers() {
            // The consumer count is matched by vhost and name; the broker has no such field.
            fields.retain(|f| *f != "consumers");
            for key in ["vhost", "name"] {
                if !fields.contains(&key) {
                    fields.push(key);
                }
            }
        }
        if self.needs_version() && !fields.contains(&"type") {
            fields.push("type");
        }
        path.push_str("?columns=");
        path.push_str(&fields.join(","));
        if totals {
            path.push_str("&disable_stats=true&enable_queue_totals=true");
        } else if !needed.iter().any(|c| c.stats) {
            path.push_str("&disable_stats=true");
        }
        path
    }

    /// The consumers request asked alongside a totals-form queue list that needs
    /// `consumers`: `/api/consumers` of the vhost (or all), just each one's queue.
    pub fn consumers_path(&self) -> Option<String> {
        if !self.counts_consumers() {
            return None;
        }
        let mut path = match &self.vhost {
            Some(v) => api_path(&["consumers", v]),
            None => api_path(&["consumers"]),
        };
        path.push_str("?columns=queue");
        Some(path)
    }

    /// The row of one API object: every needed column (`Null` when the broker left it out,
    /// or when `version`'s figure is not one). `consumers`, when counted from
    /// `/api/consumers`, is taken from `counts` (`None`: the count could not be read, so it
    /// is unknown).
    pub fn row(&self, item: &Value, counts: Option<&ConsumerCounts>, version: &str) -> Row {
        let counted = self.counts_consumers();
        self.needed()
            .into_iter()
            .map(|c| {
                let value = match counts {
                    Some(counts) if counted && c.name == "consumers" => {
                        match (field(item, "vhost").as_str(), field(item, "name").as_str()) {
                            (Some(v), Some(n)) => Value::from(
                                counts
                                    .get(&(v.to_string(), n.to_string()))
                                    .copied()
                                    .unwrap_or(0),
                            ),
                            _ => Value::Null,
                        }
                    }
                    _ if c.name == "consumer_capacity"
                        && !consumer_capacity_known(
                            version,
                            field(item, "type").as_str().unwrap_or(""),
                        ) =>
                    {
                        Value::Null
                    }
                    _ => field(item, c.field).clone(),
                };
                (c.name.to_string(), value)
            })
            .collect()
    }

    /// Whether `row` is listed: its vhost, `--name` and `--where`.
    pub fn keep(&self, row: &Row) -> Result<bool, ExprError> {
        if let (Some(v), Scope::FilterByVhost) = (&self.vhost, self.kind.scope)
            && row.get("vhost").and_then(Value::as_str) != Some(v.as_str())
        {
            return Ok(false);
        }
        if let Some(re) = &self.name {
            let name = row.get(name_column(self.kind)).and_then(Value::as_str);
            if !name.is_some_and(|n| re.is_match(n)) {
                return Ok(false);
            }
        }
        match &self.filter {
            Some((e, text)) => e.matches(row, text),
            None => Ok(true),
        }
    }

    /// Sort rows by the `--sort` keys; unknown values last either way.
    pub fn sort(&self, rows: &mut [Row]) {
        if self.sort.is_empty() {
            return;
        }
        rows.sort_by(|a, b| {
            for key in &self.sort {
                let (x, y) = (
                    a.get(key.column).unwrap_or(&Value::Null),
                    b.get(key.column).unwrap_or(&Value::Null),
                );
                let order = match (x.is_null(), y.is_null()) {
                    (true, true) => Ordering::Equal,
                    (true, false) => return Ordering::Greater,
                    (false, true) => return Ordering::Less,
                    _ if key.descending => compare(y, x),
                    _ => compare(x, y),
                };
                if order != Ordering::Equal {
                    return order;
                }
            }
            Ordering::Equal
        });
    }
}

/// Numbers by value, strings by text, anything else by its JSON text.
fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .unwrap_or(0.0)
            .total_cmp(&y.as_f64().unwrap_or(0.0)),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => a.to_string().cmp(&b.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn query(
        kind: &str,
        vhost: Option<&str>,
        columns: Option<&str>,
        filter: Option<&str>,
    ) -> Query {
        let kind = kinds::find(kind).unwrap();
        Query {
            kind,
            vhost: vhost.map(String::from),
            name: None,
            filter: filter.map(|f| (expr::parse(f, &kind.column_names()).unwrap(), f.to_string())),
            sort: vec![],
            columns: parse_columns(kind, columns).unwrap(),
        }
    }

    #[test]
    fn the_request_asks_for_just_the_fields_needed() {
        let q = query("queues", Some("/"), Some("name,durable"), None);
        assert_eq!(
            q.path(),
            "/api/queues/%2F?columns=name,durable&disable_stats=true"
        );
        let q = query("queues", None, Some("name"), Some("memory > 0"));
        assert_eq!(q.path(), "/api/queues?columns=name,memory");
        let q = query("connections", Some("v"), Some("name,client_name"), None);
        assert_eq!(
            q.path(),
            "/api/vhosts/v/connections?columns=name,client_properties.connection_name&disable_stats=true"
        );
        let q = query("permissions", Some("v"), Some("user"), None);
        assert_eq!(
            q.path(),
            "/api/permissions?columns=user,vhost&disable_stats=true"
        );
    }

    #[test]
    fn queues_needing_only_totals_use_the_totals_form() {
        let q = query("queues", None, Some("name"), Some("messages > 0"));
        assert_eq!(
            q.path(),
            "/api/queues?columns=name,messages&disable_stats=true&enable_queue_totals=true"
        );
        assert_eq!(q.consumers_path(), None);
        // The default columns: consumers are counted from /api/consumers.
        let q = query("queues", Some("v/1"), None, None);
        assert_eq!(
            q.path(),
            "/api/queues/v%2F1?columns=vhost,name,type,state,messages&disable_stats=true&enable_queue_totals=true"
        );
        assert_eq!(
            q.consumers_path().as_deref(),
            Some("/api/consumers/v%2F1?columns=queue")
        );
        let counts = count_consumers(&[
            json!({"queue": {"name": "a", "vhost": "v/1"}}),
            json!({"queue": {"name": "a", "vhost": "v/1"}}),
            json!({"queue": {"name": "a", "vhost": "other"}}),
        ]);
        let row = q.row(
            &json!({"vhost": "v/1", "name": "a", "messages": 2}),
            Some(&counts),
            "",
        );
        assert_eq!(row["consumers"], 2);
        let row = q.row(&json!({"vhost": "v/1", "name": "b"}), Some(&counts), "");
        assert_eq!(row["consumers"], 0);
        assert_eq!(row["messages"], Value::Null);
        let row = q.row(&json!({"vhost": "v/1", "name": "a"}), None, "");
        assert_eq!(row["consumers"], Value::Null);
        // A statistic the totals form lacks keeps the statistics form.
        let q = query("queues", None, Some("name,consumers,memory"), None);
        assert_eq!(q.path(), "/api/queues?columns=name,consumers,memory");
        assert_eq!(q.consumers_path(), None);
        let q = query("queues", None, Some("name,node,messages"), None);
        assert_eq!(q.path(), "/api/queues?columns=name,node,messages");
    }

    #[test]
    fn rows_are_flat_and_missing_values_unknown() {
        let q = query("queues", None, Some("name,publish_rate,messages"), None);
        let row = q.row(
            &json!({"name": "a", "message_stats": {"publish_details": {"rate": 2.5}}}),
            None,
            "",
        );
        assert_eq!(row["name"], "a");
        assert_eq!(row["publish_rate"], 2.5);
        assert_eq!(row["messages"], Value::Null);
    }

    #[test]
    fn a_quorum_queues_consumer_capacity_is_unknown_from_4_3_1() {
        let q = query("queues", None, Some("name,consumer_capacity"), None);
        assert_eq!(q.path(), "/api/queues?columns=name,consumer_capacity,type");
        let item = |kind: &str| json!({"name": "a", "type": kind, "consumer_capacity": 0.0});
        let capacity = |kind: &str, version: &str| {
            q.row(&item(kind), None, version)["consumer_capacity"].clone()
        };
        assert_eq!(capacity("quorum", "4.3.6"), Value::Null);
        assert_eq!(capacity("quorum", ""), Value::Null);
        assert_eq!(capacity("quorum", "4.0.5"), 0.0);
        assert_eq!(capacity("classic", "4.3.6"), 0.0);
    }

    #[test]
    fn sorting_puts_unknown_last_and_honours_direction() {
        let mut q = query("queues", None, Some("name,messages"), None);
        q.sort = parse_sort(q.kind, "-messages,name").unwrap();
        let mut rows: Vec<Row> = [
            ("b", json!(5)),
            ("a", json!(5)),
            ("c", Value::Null),
            ("d", json!(9)),
        ]
        .into_iter()
        .map(|(n, m)| q.row(&json!({"name": n, "messages": m}), None, ""))
        .collect();
        q.sort(&mut rows);
        let names: Vec<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["d", "a", "b", "c"]);
    }

    #[test]
    fn unknown_columns_are_named_with_the_list() {
        let kind = kinds::find("queues").unwrap();
        let err = parse_columns(kind, Some("name,mesages")).unwrap_err();
        assert!(err.contains("unknown column `mesages`"), "{err}");
        assert!(err.contains("did you mean `messages`"), "{err}");
        assert!(parse_sort(kind, "-nope").is_err());
        for empty in ["", ",,,", "name,", "name,,messages", "-", " , "] {
            let e = parse_sort(kind, empty).unwrap_err();
            assert!(e.contains("is empty"), "{empty}: {e}");
        }
    }

    #[test]
    fn a_column_named_twice_is_shown_once() {
        let kind = kinds::find("queues").unwrap();
        let names = |text: &str| -> Vec<&str> {
            parse_columns(kind, Some(text))
                .unwrap()
                .iter()
                .map(|c| c.name)
                .collect()
        };
        assert_eq!(names("name,durable,name,name,durable"), ["name", "durable"]);
        let many = vec!["name"; 5000].join(",");
        assert_eq!(names(&many), ["name"]);
    }
}
