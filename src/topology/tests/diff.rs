//! Unit tests of `topology::diff` (kept apart so the module reads in one go).

use super::*;
use crate::topology::defs::RawDefinitions;

fn live() -> Definitions {
    // Captured from RabbitMQ 3.10.8: see tests/fixtures/README.md for the command.
    let raw = include_str!("../../../tests/fixtures/rabbitmq-3.10.8/definitions-vhost.json");
    serde_json::from_str::<RawDefinitions>(raw)
        .unwrap()
        .normalize("probe")
}

fn managed() -> BTreeSet<String> {
    ["probe".to_string()].into()
}

#[test]
fn identical_state_is_no_change() {
    let l = live();
    let mut d = l.clone();
    // The broker's own defaults are not drift: a classic queue declared with the explicit type.
    for q in &mut d.queues {
        q.arguments
            .entry("x-queue-type".into())
            .or_insert("classic".into());
    }
    let plan = diff(&d, &l, &managed(), true);
    assert!(plan.changes.is_empty(), "{:?}", plan.changes);
    assert!(plan.undeclared.is_empty());
}

#[test]
fn a_changed_queue_argument_is_a_replace_with_advice() {
    let l = live();
    let mut d = l.clone();
    d.queues[0]
        .arguments
        .insert("x-message-ttl".into(), 1000.into());
    let plan = diff(&d, &l, &managed(), false);
    assert_eq!(plan.changes.len(), 1);
    let c = &plan.changes[0];
    assert_eq!((c.action, c.kind), (Action::Replace, Kind::Queue));
    assert_eq!(c.fields[0].field, "arguments.x-message-ttl");
    assert!(c.note.as_deref().unwrap().contains("message-ttl"));
    d.queues[0].durable = false;
    let plan = diff(&d, &l, &managed(), false);
    assert!(plan.changes[0].note.is_none());
}

#[test]
fn undeclared_objects_are_deleted_only_with_prune() {
    let l = live();
    let mut d = l.clone();
    d.bindings.clear();
    d.queues.retain(|q| q.name != "c");
    let plan = diff(&d, &l, &managed(), false);
    assert!(plan.changes.is_empty());
    assert_eq!(plan.undeclared.len(), 2);
    let plan = diff(&d, &l, &managed(), true);
    assert_eq!(plan.changes.len(), 2);
    assert!(plan.changes.iter().all(|c| c.action == Action::Delete));
    // Outside the managed vhosts nothing is touched.
    let plan = diff(&d, &l, &BTreeSet::new(), true);
    assert!(plan.changes.is_empty());
}

#[test]
fn policy_changes_are_updates_and_numbers_compare_by_value() {
    let l = live();
    let mut d = l.clone();
    d.policies[0]
        .definition
        .insert("max-length".into(), serde_json::json!(5.0));
    assert!(diff(&d, &l, &managed(), true).changes.is_empty());
    d.policies[0]
        .definition
        .insert("max-length".into(), 6.into());
    let plan = diff(&d, &l, &managed(), true);
    assert_eq!(plan.changes[0].action, Action::Update);
    assert_eq!(describe(&plan.changes[0]), "definition.max-length: 5 -> 6");
}

fn every_kind() -> Definitions {
    // Captured from RabbitMQ 3.10.8: see tests/fixtures/README.md for the commands.
    let raw = include_str!("../../../tests/fixtures/rabbitmq-3.10.8/definitions-every-kind.json");
    serde_json::from_str::<RawDefinitions>(raw)
        .unwrap()
        .normalize("/")
}

fn src() -> BTreeSet<String> {
    ["cap-src".to_string()].into()
}

#[test]
fn every_kind_against_itself_is_no_change() {
    let l = every_kind();
    let plan = diff(&l, &l, &src(), true);
    assert!(plan.changes.is_empty(), "{:?}", plan.changes);
}

#[test]
fn shovel_uris_compare_without_passwords_and_never_show_them() {
    let l = every_kind();
    let mut d = l.clone();
    d.shovels[0].value.insert(
        "src-uri".into(),
        "amqp://cap-user:other-secret@localhost:27100/cap-src".into(),
    );
    assert!(diff(&d, &l, &src(), false).changes.is_empty());
    d.shovels[0].value.insert(
        "src-uri".into(),
        "amqp://cap-user:other-secret@elsewhere/cap-src".into(),
    );
    d.shovels[0]
        .value
        .insert("ack-mode".into(), "on-publish".into());
    let plan = diff(&d, &l, &src(), false);
    assert_eq!(plan.changes.len(), 1);
    let c = &plan.changes[0];
    assert_eq!((c.action, c.kind), (Action::Update, Kind::Shovel));
    let shown = format!("{}\n{}", describe(c), serde_json::to_string(&plan).unwrap());
    assert!(
        shown.contains("value.ack-mode: on-confirm -> on-publish"),
        "{shown}"
    );
    assert!(
        shown.contains("value.src-uri: amqp://cap-user@localhost:27100/cap-src -> amqp://cap-user@elsewhere/cap-src"),
        "{shown}"
    );
    assert!(!shown.contains("secret"), "{shown}");
}

#[test]
fn federation_upstreams_are_created_updated_and_pruned_in_managed_vhosts() {
    let l = every_kind();
    let mut d = l.clone();
    d.federation_upstreams[0]
        .value
        .insert("max-hops".into(), 2.into());
    d.federation_upstreams.push(ParameterDef {
        name: "new".into(),
        ..d.federation_upstreams[0].clone()
    });
    d.shovels.clear();
    let plan = diff(&d, &l, &src(), true);
    let got: Vec<(Action, Kind, &str)> = plan
        .changes
        .iter()
        .map(|c| (c.action, c.kind, c.name.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (Action::Update, Kind::FederationUpstream, "up"),
            (Action::Create, Kind::FederationUpstream, "new"),
            (Action::Delete, Kind::Shovel, "mv"),
        ]
    );
    assert_eq!(describe(&plan.changes[0]), "value.max-hops: 1 -> 2");
    // Outside the managed vhosts nothing is pruned.
    assert!(
        diff(&d, &l, &BTreeSet::new(), true)
            .changes
            .iter()
            .all(|c| c.action != Action::Delete)
    );
}

#[test]
fn user_limits_and_vhost_tags_are_compared_when_declared() {
    let mut l = every_kind();
    l.vhosts[2].tags = Some(vec!["prod".into(), "eu".into()]);
    let mut d = l.clone();
    // Not declared: not compared.
    d.users[0].limits = None;
    d.vhosts[2].tags = None;
    assert!(diff(&d, &l, &src(), false).changes.is_empty());
    d.vhosts[2].tags = Some(vec!["eu".into(), "prod".into()]);
    assert!(
        diff(&d, &l, &src(), false).changes.is_empty(),
        "tags compare as a set"
    );
    d.vhosts[2].tags = Some(vec!["eu".into()]);
    d.users[0].limits = Some([("max-connections".to_string(), 5)].into());
    let plan = diff(&d, &l, &src(), false);
    let shown: Vec<String> = plan.changes.iter().map(describe).collect();
    assert_eq!(
        shown,
        [
            r#"tags: ["eu","prod"] -> ["eu"]"#,
            "limits.max-connections: 10 -> 5\nlimits.max-channels: 20 -> -",
        ]
    );
    assert_eq!(
        (plan.changes[0].kind, plan.changes[1].kind),
        (Kind::Vhost, Kind::User)
    );
}

#[test]
fn global_parameters_are_updated_and_never_pruned() {
    let l = every_kind();
    let mut d = l.clone();
    d.global_parameters[0].value = serde_json::json!({"a": [1]});
    let plan = diff(&d, &l, &src(), true);
    assert_eq!(plan.changes.len(), 1);
    assert_eq!(
        (plan.changes[0].action, plan.changes[0].kind),
        (Action::Update, Kind::GlobalParameter)
    );
    d.global_parameters.clear();
    assert!(diff(&d, &l, &src(), true).changes.is_empty());
}

#[test]
fn a_changed_binding_is_one_create_and_one_delete() {
    let l = live();
    let mut d = l.clone();
    d.bindings[0].routing_key = "b.#".into();
    let plan = diff(&d, &l, &managed(), true);
    let actions: Vec<Action> = plan.changes.iter().map(|c| c.action).collect();
    assert_eq!(actions, [Action::Create, Action::Delete]);
}
