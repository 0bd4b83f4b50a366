//! `warren delete`: select objects of one kind (names, a name pattern, or a binding's ends),
//! check every one before anything is deleted (messages that would be lost, `--if-empty`,
//! `--if-unused`), then delete them one by one.

use anyhow::Result;
use regex_lite::Regex;
use serde_json::{Map, Value, json};

use super::Item;
use crate::broker::amqp::Session;
use crate::broker::api::Queue;
use crate::broker::http::{ManagementApi, Pages, api_path};
use crate::exit::Error;

/// The kinds `warren delete` takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Queue,
    Exchange,
    Binding,
    Vhost,
    User,
    Policy,
    Shovel,
}

const KINDS: [(&str, Kind); 7] = [
    ("queue", Kind::Queue),
    ("exchange", Kind::Exchange),
    ("binding", Kind::Binding),
    ("vhost", Kind::Vhost),
    ("user", Kind::User),
    ("policy", Kind::Policy),
    ("shovel", Kind::Shovel),
];

impl Kind {
    /// A kind by its name, singular or plural; an unknown one suggests the closest.
    pub fn find(name: &str) -> Result<Kind, String> {
        let singular = name
            .strip_suffix("ies")
            .map(|s| format!("{s}y"))
            .or_else(|| name.strip_suffix('s').map(String::from))
            .unwrap_or_else(|| name.to_string());
        if let Some((_, k)) = KINDS.iter().find(|(n, _)| *n == name || *n == singular) {
            return Ok(*k);
        }
        let names: Vec<&str> = KINDS.iter().map(|(n, _)| *n).collect();
        Err(crate::list::expr::unknown("kind", name, &names))
    }

    pub fn name(self) -> &'static str {
        KINDS
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("object", |(n, _)| n)
    }

    /// Objects of this kind live in a vhost (all but vhosts and users).
    pub fn in_vhost(self) -> bool {
        !matches!(self, Kind::Vhost | Kind::User)
    }

    /// The path of one object (`None`: the kind's list).
    fn path(self, vhost: &str, name: Option<&str>) -> String {
        let mut segments: Vec<&str> = match self {
            Kind::Queue => vec!["queues", vhost],
            Kind::Exchange => vec!["exchanges", vhost],
            Kind::Policy => vec!["policies", vhost],
            Kind::Shovel => vec!["parameters", "shovel", vhost],
            Kind::Vhost => vec!["vhosts"],
            Kind::User => vec!["users"],
            Kind::Binding => vec!["bindings", vhost],
        };
        segments.extend(name);
        api_path(&segments)
    }
}

/// A binding's ends, and its routing key (`None`: every binding between the two).
#[derive(Clone, Debug)]
pub struct BindingSpec {
    pub source: String,
    pub destination: String,
    /// `queue` or `exchange`.
    pub destination_type: String,
    pub routing_key: Option<String>,
}

/// Which objects to delete.
#[derive(Clone, Debug)]
pub enum Selection {
    Names(Vec<String>),
    Pattern(Regex),
    Binding(BindingSpec),
}

/// The checks asked for.
#[derive(Clone, Copy, Debug, Default)]
pub struct Checks {
    pub if_empty: bool,
    pub if_unused: bool,
    pub allow_message_loss: bool,
}

/// Why an object is not deleted; the kind decides the exit code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Messages would be lost: needs --allow-message-loss (exit 2).
    MessageLoss(String),
    /// A condition asked for (--if-empty, --if-unused) or a rule does not hold (exit 10).
    Precondition(String),
}

impl Refusal {
    pub fn reason(&self) -> &str {
        match self {
            Refusal::MessageLoss(r) | Refusal::Precondition(r) => r,
        }
    }
}

/// One object selected for deletion: what is shown, its DELETE path, and its refusal.
#[derive(Clone, Debug)]
pub struct Target {
    pub item: Item,
    pub delete_path: String,
    pub refusal: Option<Refusal>,
}

/// Every object of `kind` the selection names, with its facts; missing ones are an error
/// naming them all (exit 10), a missing vhost exit 9.
pub async fn select(
    api: &ManagementApi,
    kind: Kind,
    vhost: &str,
    selection: &Selection,
) -> Result<Vec<Target>> {
    if kind.in_vhost() {
        super::require_vhost(api, vhost).await?;
    }
    let names = match selection {
        Selection::Binding(spec) => return bindings(api, vhost, spec).await,
        Selection::Names(names) => names.clone(),
        Selection::Pattern(re) => {
            let list: Vec<Value> = match api.get_opt(&kind.path(vhost, None)).await? {
                Some(Value::Array(items)) => items,
                _ if kind == Kind::Shovel => {
                    return Err(Error::broker_refused(
                        "the management API lists no shovels (404): is the rabbitmq_shovel plugin enabled?",
                    )
                    .into());
                }
                _ => {
                    return Err(Error::internal(format!(
                        "management API: {} did not answer with a list",
                        kind.path(vhost, None)
                    ))
                    .into());
                }
            };
            let mut names: Vec<String> = list
                .iter()
                .filter_map(|o| o["name"].as_str())
                .filter(|n| re.is_match(n))
                // The default exchange and the amq.* ones can't be deleted.
                .filter(|n| kind != Kind::Exchange || !(n.is_empty() || n.starts_with("amq.")))
                .map(String::from)
                .collect();
            names.sort();
            names
        }
    };
    let mut targets = Vec::new();
    let mut missing = Vec::new();
    for name in names {
        if kind == Kind::Exchange && (name.is_empty() || name.starts_with("amq.")) {
            return Err(Error::usage(format!(
                "exchange `{name}` is built in: the broker does not let it be deleted"
            ))
            .into());
        }
        let path = kind.path(vhost, Some(&name));
        match api.get_opt::<Value>(&path).await? {
            Some(object) => targets.push(Target {
                item: Item::new(name, facts(kind, &object)),
                delete_path: path,
                refusal: None,
            }),
            None => missing.push(format!("`{name}`")),
        }
    }
    if !missing.is_empty() {
        let place = if kind.in_vhost() {
            format!(" in vhost `{vhost}`")
        } else {
            String::new()
        };
        return Err(Error::broker_refused(format!(
            "{} {} not found{place}",
            kind.name(),
            missing.join(", ")
        ))
        .into());
    }
    Ok(targets)
}

/// What the table shows of an object before it is checked.
fn facts(kind: Kind, object: &Value) -> Map<String, Value> {
    let mut facts = Map::new();
    match kind {
        Kind::Queue => {
            facts.insert("type".into(), object["type"].clone());
        }
        Kind::Exchange => {
            facts.insert("type".into(), object["type"].clone());
        }
        Kind::Policy => {
            facts.insert("pattern".into(), object["pattern"].clone());
        }
        _ => {}
    }
    facts
}

/// The bindings between the spec's ends (with its routing key, if given).
async fn bindings(api: &ManagementApi, vhost: &str, spec: &BindingSpec) -> Result<Vec<Target>> {
    if spec.source.is_empty() {
        return Err(Error::usage(
            "bindings of the default exchange are implicit and can't be deleted",
        )
        .into());
    }
    let dest = if spec.destination_type == "exchange" {
        "e"
    } else {
        "q"
    };
    let ends = [
        "bindings",
        vhost,
        "e",
        &spec.source,
        dest,
        &spec.destination,
    ];
    let path = api_path(&ends);
    let what = format!(
        "binding from exchange `{}` to {} `{}`{}",
        spec.source,
        spec.destination_type,
        spec.destination,
        spec.routing_key
            .as_deref()
            .map(|k| format!(" with routing key `{k}`"))
            .unwrap_or_default()
    );
    let Some(list) = api.get_opt::<Vec<Value>>(&path).await? else {
        return Err(Error::broker_refused(format!(
            "{what}: exchange `{}` or {} `{}` not found in vhost `{vhost}`",
            spec.source, spec.destination_type, spec.destination
        ))
        .into());
    };
    let targets: Vec<Target> = list
        .iter()
        .filter(|b| {
            spec.routing_key
                .as_deref()
                .is_none_or(|k| b["routing_key"].as_str() == Some(k))
        })
        .map(|b| {
            let key = b["properties_key"].as_str().unwrap_or("~");
            let mut facts = Map::new();
            facts.insert("destination_type".into(), json!(spec.destination_type));
            facts.insert("routing_key".into(), b["routing_key"].clone());
            facts.insert("arguments".into(), b["arguments"].clone());
            facts.insert("properties_key".into(), json!(key));
            Target {
                item: Item::new(format!("{} -> {}", spec.source, spec.destination), facts),
                delete_path: format!("{path}/{}", api_path(&[key]).trim_start_matches("/api/")),
                refusal: None,
            }
        })
        .collect();
    if targets.is_empty() {
        return Err(Error::broker_refused(format!("{what} not found in vhost `{vhost}`")).into());
    }
    Ok(targets)
}

/// Check every target: fill in what it holds and refuse what the checks forbid. Queue
/// counts are the larger of the management API's and, when `session` is open on the vhost,
/// the queue's own answer to a passive declare (the API's statistics lag).
pub async fn check(
    api: &ManagementApi,
    session: Option<&Session>,
    kind: Kind,
    vhost: &str,
    checks: Checks,
    targets: &mut [Target],
) -> Result<()> {
    for t in targets.iter_mut() {
        let name = t.item.name.clone();
        t.refusal = match kind {
            Kind::Queue => check_queue(api, session, vhost, checks, t).await?,
            Kind::Exchange if checks.if_unused => {
                let path = api_path(&["exchanges", vhost, &name, "bindings", "source"]);
                let bound = api.get::<Vec<Value>>(&path).await?.len();
                t.item.facts.insert("bindings".into(), json!(bound));
                t.delete_path.push_str("?if-unused=true");
                (bound > 0).then(|| {
                    Refusal::Precondition(format!(
                        "has {bound} binding(s) as a source (--if-unused)"
                    ))
                })
            }
            Kind::Vhost => {
                let path = format!("{}?columns=name,messages", api_path(&["queues", &name]));
                let queues: Vec<Value> = api.list(&path, Pages::Paged).await?;
                let messages = queues
                    .iter()
                    .map(|q| q["messages"].as_u64())
                    .sum::<Option<u64>>();
                t.item.facts.insert("queues".into(), json!(queues.len()));
                t.item.facts.insert("messages".into(), json!(messages));
                loss(messages, checks).map(|why| {
                    Refusal::MessageLoss(format!("its {} queue(s): {why}", queues.len()))
                })
            }
            Kind::User if name == api.user() => Some(Refusal::Precondition(
                "is the user warren is logged in as".into(),
            )),
            _ => None,
        };
    }
    Ok(())
}

/// The refusal for `messages` (unknown: `None`) unless --allow-message-loss.
fn loss(messages: Option<u64>, checks: Checks) -> Option<String> {
    if checks.allow_message_loss {
        return None;
    }
    match messages {
        Some(0) => None,
        Some(n) => Some(format!(
            "{n} message(s) would be lost: add --allow-message-loss to delete anyway"
        )),
        None => Some(
            "the message count is unknown, so messages may be lost: add --allow-message-loss \
             to delete anyway"
                .into(),
        ),
    }
}

async fn check_queue(
    api: &ManagementApi,
    session: Option<&Session>,
    vhost: &str,
    checks: Checks,
    t: &mut Target,
) -> Result<Option<Refusal>> {
    let name = t.item.name.clone();
    let Some(info) = api
        .get_opt::<Queue>(&api_path(&["queues", vhost, &name]))
        .await?
    else {
        return Err(
            Error::broker_refused(format!("queue `{name}` not found in vhost `{vhost}`")).into(),
        );
    };
    let declared = match session {
        Some(s) => crate::broker::queue::depth(&s.connection, &name).await.ok(),
        None => None,
    };
    // Ready messages as the queue itself counts them; unacknowledged ones only the API sees,
    // so without its count the total is known only while nothing is delivered.
    let messages = match (info.messages, declared) {
        (Some(api_count), Some((ready, _))) => Some(api_count.max(ready)),
        (Some(api_count), None) => Some(api_count),
        (None, Some((ready, 0))) => Some(ready),
        (None, _) => None,
    };
    let consumers = match (info.consumers, declared) {
        (Some(a), Some((_, b))) => Some(a.max(b)),
        (a, b) => a.or(b.map(|(_, c)| c)),
    };
    t.item.facts.insert("messages".into(), json!(messages));
    t.item.facts.insert("consumers".into(), json!(consumers));
    let kind = if info.kind.is_empty() {
        "classic"
    } else {
        info.kind.as_str()
    };
    let mut query = Vec::new();
    if checks.if_empty {
        query.push("if-empty=true");
        let how = if kind == "classic" {
            String::new()
        } else {
            format!(
                " (a {kind} queue: the broker ignores if-empty for {kind} queues, so warren checked its count)"
            )
        };
        match messages {
            Some(0) => {}
            Some(n) => {
                return Ok(Some(Refusal::Precondition(format!(
                    "holds {n} message(s) (--if-empty){how}"
                ))));
            }
            None => {
                return Ok(Some(Refusal::Precondition(format!(
                    "its message count is unknown (--if-empty){how}"
                ))));
            }
        }
    }
    if checks.if_unused {
        query.push("if-unused=true");
        if consumers != Some(0) {
            return Ok(Some(Refusal::Precondition(format!(
                "has {} consumer(s) (--if-unused)",
                consumers.map_or("an unknown number of".to_string(), |c| c.to_string())
            ))));
        }
    }
    // The broker checks if-empty and if-unused itself, atomically, on classic queues only.
    if kind == "classic" && !query.is_empty() {
        t.delete_path = format!("{}?{}", t.delete_path, query.join("&"));
    }
    Ok(loss(messages, checks).map(Refusal::MessageLoss))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_take_plurals_and_suggest_the_closest() {
        assert_eq!(Kind::find("queues"), Ok(Kind::Queue));
        assert_eq!(Kind::find("policies"), Ok(Kind::Policy));
        assert_eq!(Kind::find("vhost"), Ok(Kind::Vhost));
        let err = Kind::find("qeue").unwrap_err();
        assert!(err.contains("did you mean `queue`"), "{err}");
    }

    #[test]
    fn message_loss_needs_a_known_zero_or_the_flag() {
        let strict = Checks::default();
        assert_eq!(loss(Some(0), strict), None);
        assert!(loss(Some(3), strict).unwrap().contains("3 message"));
        assert!(loss(None, strict).unwrap().contains("unknown"));
        let lax = Checks {
            allow_message_loss: true,
            ..Checks::default()
        };
        assert_eq!(loss(None, lax), None);
    }

    #[test]
    fn paths_are_encoded() {
        assert_eq!(Kind::Queue.path("/", Some("a b")), "/api/queues/%2F/a%20b");
        assert_eq!(Kind::Shovel.path("v", None), "/api/parameters/shovel/v");
        assert_eq!(Kind::User.path("ignored", Some("u")), "/api/users/u");
    }
}
