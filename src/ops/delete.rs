//! `warren delete`: select objects of one kind (names, a name pattern, or a binding's ends),
//! check every one before anything is deleted (messages that would be lost, `--if-empty`,
//! `--if-unused`), then delete them one by one.

use anyhow::Result;
use regex_lite::Regex;
use serde_json::{Map, Value, json};

use super::Item;
use crate::broker::amqp::{self, Session};
use crate::broker::api::Queue;
use crate::broker::http::{ManagementApi, Pages, api_path};
use crate::broker::queue;
use crate::broker::settings::Settings;
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
        Err(crate::suggest::unknown("kind", name, &names))
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
    let Some(list) = api
        .get_opt::<Vec<crate::broker::api::Binding>>(&path)
        .await?
    else {
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
                .is_none_or(|k| b.routing_key == k)
        })
        .map(|b| {
            let key = b.properties_key.as_deref().unwrap_or("~");
            let mut facts = Map::new();
            facts.insert("destination_type".into(), json!(spec.destination_type));
            facts.insert("routing_key".into(), json!(b.routing_key));
            facts.insert("arguments".into(), Value::Object(b.arguments.clone()));
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

/// Check every target: fill in what it holds and refuse what the checks forbid. Queues are
/// counted by the one rule ([`queue::at_risk`]) at the moment of the check, over an AMQP
/// connection of their vhost's own; a vhost's count is every queue's in it.
pub async fn check(
    api: &ManagementApi,
    settings: &Settings,
    kind: Kind,
    vhost: &str,
    checks: Checks,
    targets: &mut [Target],
) -> Result<()> {
    let mut session = None;
    for t in targets.iter_mut() {
        let name = t.item.name.clone();
        t.refusal = match kind {
            Kind::Queue => {
                let session = session.get_or_insert(amqp::session_on(settings, vhost).await);
                check_queue(api, session, vhost, checks, t).await?
            }
            Kind::Exchange if checks.if_unused => {
                let path = api_path(&["exchanges", vhost, &name, "bindings", "source"]);
                let bound = api
                    .get::<Vec<crate::broker::api::Binding>>(&path)
                    .await?
                    .len();
                t.item.facts.insert("bindings".into(), json!(bound));
                t.delete_path.push_str("?if-unused=true");
                (bound > 0).then(|| {
                    Refusal::Precondition(format!(
                        "has {bound} binding(s) as a source (--if-unused)"
                    ))
                })
            }
            Kind::Vhost => check_vhost(api, settings, checks, t).await?,
            Kind::User if name == api.user() => Some(Refusal::Precondition(
                "is the user warren is logged in as".into(),
            )),
            _ => None,
        };
    }
    if let Some(Ok(s)) = session {
        s.close().await;
    }
    Ok(())
}

/// Every queue of the vhost counted at once; the refusal names those that hold messages or
/// whose count is unknown.
async fn check_vhost(
    api: &ManagementApi,
    settings: &Settings,
    checks: Checks,
    t: &mut Target,
) -> Result<Option<Refusal>> {
    let vhost = t.item.name.clone();
    let path = format!(
        "{}?columns=name,type,messages,messages_unacknowledged,consumers",
        api_path(&["queues", &vhost])
    );
    let queues: Vec<Queue> = api.list(&path, Pages::Paged).await?;
    let session = if queues.is_empty() {
        Err(String::new())
    } else {
        amqp::session_on(settings, &vhost).await
    };
    let mut total = Some(0u64);
    let mut at_risk = Vec::new();
    for q in &queues {
        let risk = queue::at_risk(&session, api, &vhost, q).await?;
        total = total.zip(risk.messages).map(|(a, b)| a + b);
        if risk.messages != Some(0) {
            at_risk.push(format!("`{}` holds {}", q.name, risk.describe()));
        }
    }
    if let Ok(s) = session {
        s.close().await;
    }
    t.item.facts.insert("queues".into(), json!(queues.len()));
    t.item.facts.insert("messages".into(), json!(total));
    if at_risk.is_empty() || checks.allow_message_loss {
        return Ok(None);
    }
    const SHOWN: usize = 20;
    let more = at_risk.len().saturating_sub(SHOWN);
    at_risk.truncate(SHOWN);
    if more > 0 {
        at_risk.push(format!("and {more} more queue(s)"));
    }
    Ok(Some(Refusal::MessageLoss(format!(
        "messages would be lost with its {} queue(s): {}; add --allow-message-loss to delete anyway",
        queues.len(),
        at_risk.join(", ")
    ))))
}

async fn check_queue(
    api: &ManagementApi,
    session: &std::result::Result<Session, String>,
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
    let risk = queue::at_risk(session, api, vhost, &info).await?;
    let (messages, consumers) = (risk.messages, risk.consumers);
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
        if messages != Some(0) {
            return Ok(Some(Refusal::Precondition(format!(
                "holds {} (--if-empty){how}",
                risk.describe()
            ))));
        }
    }
    if checks.if_unused {
        query.push("if-unused=true");
        if consumers != Some(0) {
            return Ok(Some(Refusal::Precondition(format!(
                "has {} consumer(s) (--if-unused)",
                crate::output::count_or_unknown(consumers)
            ))));
        }
    }
    // The broker checks if-empty and if-unused itself, atomically, on classic queues only.
    if kind == "classic" && !query.is_empty() {
        t.delete_path = format!("{}?{}", t.delete_path, query.join("&"));
    }
    Ok(queue::loss_refusal(&risk, checks.allow_message_loss).map(Refusal::MessageLoss))
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
    fn paths_are_encoded() {
        assert_eq!(Kind::Queue.path("/", Some("a b")), "/api/queues/%2F/a%20b");
        assert_eq!(Kind::Shovel.path("v", None), "/api/parameters/shovel/v");
        assert_eq!(Kind::User.path("ignored", Some("u")), "/api/users/u");
    }
}
