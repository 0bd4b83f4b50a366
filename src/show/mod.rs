//! `warren show KIND NAME`: one object in depth, as sections (fields or a table each). The
//! JSON form is one object whose keys are the sections, so `jq '.policy.applied'` works.

use anyhow::Result;
use serde_json::{Map, Value, json};

use crate::broker::api::{Overview, consumer_capacity_known};
use crate::broker::http::{ManagementApi, Pages, api_path};
use crate::exit::Error;
use crate::output::{self, Render};
use crate::rabbit::policy::{self, Policy};

/// One section: named fields, or a table of rows.
#[derive(Debug)]
pub enum Body {
    Fields(Vec<(&'static str, Value)>),
    Table {
        columns: Vec<&'static str>,
        rows: Vec<Vec<Value>>,
    },
}

#[derive(Debug)]
pub struct Shown {
    pub sections: Vec<(&'static str, Body)>,
    /// Remarks printed under the sections (and kept in JSON as `notes`).
    pub notes: Vec<String>,
}

impl serde::Serialize for Shown {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut doc = Map::new();
        for (title, body) in &self.sections {
            let value = match body {
                Body::Fields(fields) => Value::Object(
                    fields
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.clone()))
                        .collect(),
                ),
                Body::Table { columns, rows } => Value::Array(
                    rows.iter()
                        .map(|r| {
                            Value::Object(
                                columns
                                    .iter()
                                    .zip(r)
                                    .map(|(c, v)| (c.to_string(), v.clone()))
                                    .collect(),
                            )
                        })
                        .collect(),
                ),
            };
            doc.insert(title.to_string(), value);
        }
        doc.insert("notes".into(), json!(self.notes));
        Value::Object(doc).serialize(s)
    }
}

/// A value as a cell: strings bare (an empty one is `(none)`), unknown `?`, lists of
/// strings joined by commas, other lists and objects as compact JSON.
fn text(v: &Value) -> String {
    match v {
        Value::Null => "?".into(),
        Value::String(s) if s.is_empty() => "(none)".into(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.iter().all(Value::is_string) => {
            let names: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
            if names.is_empty() {
                "(none)".into()
            } else {
                names.join(", ")
            }
        }
        other => other.to_string(),
    }
}

/// A table cell: as [`text`], but the default exchange (an empty source) is named.
fn cell(column: &str, v: &Value) -> String {
    match (column, v) {
        ("source", Value::String(s)) if s.is_empty() => "(default exchange)".into(),
        _ => text(v),
    }
}

impl Render for Shown {
    fn human(&self) -> String {
        let mut out = String::new();
        for (title, body) in &self.sections {
            out.push_str(&format!("{}\n", title.replace('_', " ")));
            match body {
                Body::Fields(fields) => {
                    let width = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
                    for (k, v) in fields {
                        out.push_str(&format!("  {:width$}  {}\n", k.replace('_', " "), text(v)));
                    }
                }
                Body::Table { columns, rows } if rows.is_empty() => {
                    let _ = columns;
                    out.push_str("  (none)\n");
                }
                Body::Table { columns, rows } => {
                    let mut t = output::table(columns.iter().copied());
                    for r in rows {
                        t.add_row(columns.iter().zip(r).map(|(c, v)| cell(c, v)));
                    }
                    out.push_str(&format!("{t}\n"));
                }
            }
            out.push('\n');
        }
        for n in &self.notes {
            out.push_str(&format!("note: {n}\n"));
        }
        out
    }
}

/// A dotted field of an API object; `Null` when absent (unknown).
fn get(item: &Value, dotted: &str) -> Value {
    crate::json::at(item, dotted)
        .cloned()
        .unwrap_or(Value::Null)
}

fn field_list(item: &Value, spec: &[(&'static str, &str)]) -> Vec<(&'static str, Value)> {
    spec.iter().map(|(k, f)| (*k, get(item, f))).collect()
}

fn fields(item: &Value, spec: &[(&'static str, &str)]) -> Body {
    Body::Fields(field_list(item, spec))
}

fn table(items: &[Value], spec: &[(&'static str, &str)]) -> Body {
    Body::Table {
        columns: spec.iter().map(|(k, _)| *k).collect(),
        rows: items
            .iter()
            .map(|i| spec.iter().map(|(_, f)| get(i, f)).collect())
            .collect(),
    }
}

/// GET an object; 404 is "`what` not found", or a missing vhost (exit 9).
async fn object(api: &ManagementApi, path: &str, what: &str, vhost: Option<&str>) -> Result<Value> {
    if let Some(v) = api.get_opt::<Value>(path).await? {
        return Ok(v);
    }
    if let Some(vhost) = vhost {
        api.require_vhost(vhost).await?;
    }
    Err(Error::broker_refused(format!("{what} not found")).into())
}

async fn list(api: &ManagementApi, path: &str) -> Result<Vec<Value>> {
    api.list(path, Pages::Whole).await
}

/// The policy section of a queue or exchange: what the broker says applies, what warren
/// computes from the vhost's policies, the matching ones ranked, and the effective
/// definition.
async fn policy_section(
    api: &ManagementApi,
    vhost: &str,
    item: &Value,
    target: policy::Target<'_>,
    notes: &mut Vec<String>,
) -> Result<Body> {
    let name = item["name"].as_str().unwrap_or_default();
    let policies: Vec<Policy> = api
        .list(&api_path(&["policies", vhost]), Pages::Whole)
        .await?;
    let operator: Vec<Policy> = api
        .list(&api_path(&["operator-policies", vhost]), Pages::Whole)
        .await?;
    let (matched, mut unreadable) = policy::matching(&policies, name, target);
    let (op_matched, op_unreadable) = policy::matching(&operator, name, target);
    unreadable.extend(op_unreadable);
    let applied = matched.first().copied();
    let op_applied = op_matched.first().copied();
    if let [first, second, ..] = matched.as_slice()
        && first.priority == second.priority
    {
        notes.push(format!(
            "policies `{}` and `{}` match with the same priority {}: which one applies is the broker's choice; give them different priorities",
            first.name, second.name, first.priority
        ));
    }
    for p in &unreadable {
        notes.push(format!(
            "the pattern of policy `{p}` is not a regular expression warren reads: left out of the ranking"
        ));
    }
    // The broker's own answer, when it gives one (statistics on).
    let broker = |field: &str| match item.get(field) {
        Some(Value::String(s)) if !s.is_empty() => Value::String(s.clone()),
        Some(Value::Null) | Some(Value::String(_)) => Value::String(String::new()),
        _ => Value::Null,
    };
    let (said, said_op) = (broker("policy"), broker("operator_policy"));
    let ours = Value::String(applied.map(|p| p.name.clone()).unwrap_or_default());
    let ours_op = Value::String(op_applied.map(|p| p.name.clone()).unwrap_or_default());
    if !said.is_null() && said != ours && unreadable.is_empty() {
        notes.push(format!(
            "the broker applies policy {said}, warren's ranking gives {ours}: the policies changed meanwhile?"
        ));
    }
    let ranked = |list: &[&Policy]| {
        Value::Array(
            list.iter()
                .map(|p| json!(format!("{} (priority {})", p.name, p.priority)))
                .collect(),
        )
    };
    let effective = match item.get("effective_policy_definition") {
        Some(Value::Object(def)) => Value::Object(def.clone()),
        _ => Value::Object(policy::effective(applied, op_applied)),
    };
    Ok(Body::Fields(vec![
        ("applied", if said.is_null() { ours } else { said }),
        (
            "operator_policy",
            if said_op.is_null() { ours_op } else { said_op },
        ),
        ("matching", ranked(&matched)),
        ("matching_operator_policies", ranked(&op_matched)),
        ("effective_definition", effective),
        (
            "rule",
            json!(
                "the matching policy of the highest priority applies, and the operator policy of the highest priority on top; for numeric limits both set, the lower value wins"
            ),
        ),
    ]))
}

pub async fn queue(api: &ManagementApi, vhost: &str, name: &str) -> Result<Shown> {
    let path = api_path(&["queues", vhost, name]);
    let mut q = object(
        api,
        &path,
        &format!("queue `{name}` in vhost `{vhost}`"),
        Some(vhost),
    )
    .await?;
    let bindings = list(api, &format!("{path}/bindings")).await?;
    let mut notes = Vec::new();
    let kind = q["type"].as_str().unwrap_or("classic").to_string();
    if q.get("consumer_capacity").is_some_and(|c| !c.is_null()) && kind == "quorum" {
        // An unreadable overview leaves the version unknown, and the figure with it.
        let version = Overview::version(api).await;
        if !consumer_capacity_known(&version, &kind) {
            q["consumer_capacity"] = Value::Null;
            notes.push(format!(
                "the consumer_capacity of a quorum queue is unknown: RabbitMQ {} reports 0 for \
                 every quorum queue from 4.3.1 on",
                if version.is_empty() {
                    "(version unknown)"
                } else {
                    &version
                }
            ));
        }
    }
    let policy = policy_section(api, vhost, &q, policy::Target::Queue(&kind), &mut notes).await?;
    let consumers = q["consumer_details"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut sections = vec![
        (
            "queue",
            fields(
                &q,
                &[
                    ("name", "name"),
                    ("vhost", "vhost"),
                    ("type", "type"),
                    ("state", "state"),
                    ("node", "node"),
                    ("durable", "durable"),
                    ("auto_delete", "auto_delete"),
                    ("exclusive", "exclusive"),
                    ("arguments", "arguments"),
                ],
            ),
        ),
        (
            "messages",
            fields(
                &q,
                &[
                    ("total", "messages"),
                    ("ready", "messages_ready"),
                    ("unacknowledged", "messages_unacknowledged"),
                    ("bytes", "message_bytes"),
                    ("publish_rate", "message_stats.publish_details.rate"),
                    ("deliver_rate", "message_stats.deliver_get_details.rate"),
                    ("ack_rate", "message_stats.ack_details.rate"),
                    ("consumers", "consumers"),
                    ("consumer_capacity", "consumer_capacity"),
                    ("idle_since", "idle_since"),
                    ("memory", "memory"),
                ],
            ),
        ),
        ("policy", policy),
        (
            "bindings",
            table(
                &bindings,
                &[
                    ("source", "source"),
                    ("routing_key", "routing_key"),
                    ("arguments", "arguments"),
                ],
            ),
        ),
        (
            "consumers",
            table(
                &consumers,
                &[
                    ("consumer_tag", "consumer_tag"),
                    ("connection", "channel_details.connection_name"),
                    ("channel", "channel_details.name"),
                    ("user", "channel_details.user"),
                    ("prefetch", "prefetch_count"),
                    ("manual_ack", "ack_required"),
                    ("active", "active"),
                    ("exclusive", "exclusive"),
                ],
            ),
        ),
    ];
    if kind == "quorum" || kind == "stream" {
        sections.push((
            "replicas",
            fields(
                &q,
                &[
                    ("leader", "leader"),
                    ("members", "members"),
                    ("online", "online"),
                ],
            ),
        ));
    }
    if q.get("messages").is_none() {
        notes.push(
            "the broker gave no statistics (stats disabled, or the queue is new): `?` is unknown"
                .into(),
        );
    }
    Ok(Shown { sections, notes })
}

pub async fn exchange(api: &ManagementApi, vhost: &str, name: &str) -> Result<Shown> {
    let path = api_path(&["exchanges", vhost, name]);
    let x = object(
        api,
        &path,
        &format!("exchange `{name}` in vhost `{vhost}`"),
        Some(vhost),
    )
    .await?;
    let out = list(api, &format!("{path}/bindings/source")).await?;
    let inbound = list(api, &format!("{path}/bindings/destination")).await?;
    let mut notes = Vec::new();
    let policy = policy_section(api, vhost, &x, policy::Target::Exchange, &mut notes).await?;
    let alternate = match get(&x, "arguments.alternate-exchange") {
        Value::Null => match &policy {
            Body::Fields(f) => f
                .iter()
                .find(|(k, _)| *k == "effective_definition")
                .map(|(_, v)| get(v, "alternate-exchange"))
                .unwrap_or(Value::Null),
            Body::Table { .. } => Value::Null,
        },
        own => own,
    };
    Ok(Shown {
        sections: vec![
            (
                "exchange",
                fields(
                    &x,
                    &[
                        ("name", "name"),
                        ("vhost", "vhost"),
                        ("type", "type"),
                        ("durable", "durable"),
                        ("auto_delete", "auto_delete"),
                        ("internal", "internal"),
                        ("arguments", "arguments"),
                        ("publish_in_rate", "message_stats.publish_in_details.rate"),
                        ("publish_out_rate", "message_stats.publish_out_details.rate"),
                    ],
                ),
            ),
            (
                "alternate_exchange",
                Body::Fields(vec![("name", alternate)]),
            ),
            ("policy", policy),
            (
                "bindings_out",
                table(
                    &out,
                    &[
                        ("destination", "destination"),
                        ("destination_type", "destination_type"),
                        ("routing_key", "routing_key"),
                        ("arguments", "arguments"),
                    ],
                ),
            ),
            (
                "bindings_in",
                table(
                    &inbound,
                    &[
                        ("source", "source"),
                        ("routing_key", "routing_key"),
                        ("arguments", "arguments"),
                    ],
                ),
            ),
        ],
        notes,
    })
}

pub async fn connection(api: &ManagementApi, name: &str) -> Result<Shown> {
    let path = api_path(&["connections", name]);
    let c = object(api, &path, &format!("connection `{name}`"), None).await?;
    let channels = list(api, &format!("{path}/channels")).await?;
    Ok(Shown {
        sections: vec![
            (
                "connection",
                fields(
                    &c,
                    &[
                        ("name", "name"),
                        ("vhost", "vhost"),
                        ("user", "user"),
                        ("node", "node"),
                        ("state", "state"),
                        ("protocol", "protocol"),
                        ("client_name", "client_properties.connection_name"),
                        ("product", "client_properties.product"),
                        ("version", "client_properties.version"),
                        ("peer", "peer_host"),
                        ("peer_port", "peer_port"),
                        ("tls", "ssl"),
                        ("heartbeat", "timeout"),
                        ("frame_max", "frame_max"),
                        ("connected_at", "connected_at"),
                        ("channels", "channels"),
                        ("recv_rate", "recv_oct_details.rate"),
                        ("send_rate", "send_oct_details.rate"),
                    ],
                ),
            ),
            (
                "channels",
                table(
                    &channels,
                    &[
                        ("number", "number"),
                        ("consumers", "consumer_count"),
                        ("prefetch", "prefetch_count"),
                        ("unacknowledged", "messages_unacknowledged"),
                        ("unconfirmed", "messages_unconfirmed"),
                        ("confirm", "confirm"),
                        ("idle_since", "idle_since"),
                    ],
                ),
            ),
        ],
        notes: Vec::new(),
    })
}

pub async fn user(api: &ManagementApi, name: &str) -> Result<Shown> {
    let path = api_path(&["users", name]);
    let u = object(api, &path, &format!("user `{name}`"), None).await?;
    let permissions = list(api, &format!("{path}/permissions")).await?;
    let topic = list(api, &format!("{path}/topic-permissions")).await?;
    Ok(Shown {
        sections: vec![
            (
                "user",
                fields(
                    &u,
                    &[("name", "name"), ("tags", "tags"), ("limits", "limits")],
                ),
            ),
            (
                "permissions",
                table(
                    &permissions,
                    &[
                        ("vhost", "vhost"),
                        ("configure", "configure"),
                        ("write", "write"),
                        ("read", "read"),
                    ],
                ),
            ),
            (
                "topic_permissions",
                table(
                    &topic,
                    &[
                        ("vhost", "vhost"),
                        ("exchange", "exchange"),
                        ("write", "write"),
                        ("read", "read"),
                    ],
                ),
            ),
        ],
        notes: Vec::new(),
    })
}

pub async fn vhost(api: &ManagementApi, name: &str) -> Result<Shown> {
    let path = api_path(&["vhosts", name]);
    let v = api
        .get_opt::<Value>(&path)
        .await?
        .ok_or_else(|| api.vhost_unavailable(name))?;
    let permissions = list(api, &format!("{path}/permissions")).await?;
    let limits = api
        .get_opt::<Value>(&api_path(&["vhost-limits", name]))
        .await?
        .and_then(|l| {
            l.as_array()
                .and_then(|a| a.first())
                .map(|l| l["value"].clone())
        })
        .unwrap_or(Value::Null);
    let mut fields_of = field_list(
        &v,
        &[
            ("name", "name"),
            ("description", "description"),
            ("tags", "tags"),
            ("default_queue_type", "default_queue_type"),
            ("tracing", "tracing"),
            ("messages", "messages"),
            ("messages_ready", "messages_ready"),
            ("messages_unacknowledged", "messages_unacknowledged"),
            ("cluster_state", "cluster_state"),
        ],
    );
    fields_of.push(("limits", limits));
    Ok(Shown {
        sections: vec![
            ("vhost", Body::Fields(fields_of)),
            (
                "permissions",
                table(
                    &permissions,
                    &[
                        ("user", "user"),
                        ("configure", "configure"),
                        ("write", "write"),
                        ("read", "read"),
                    ],
                ),
            ),
        ],
        notes: Vec::new(),
    })
}
