//! Unit tests of `topology::defs` (kept apart so the module reads in one go).

use super::*;

#[test]
fn a_vhost_export_from_3_10_normalizes() {
    // Captured from RabbitMQ 3.10.8: see tests/fixtures/README.md for the command.
    let raw = include_str!("../../../tests/fixtures/rabbitmq-3.10.8/definitions-vhost.json");
    let d: RawDefinitions = serde_json::from_str(raw).unwrap();
    let d = d.normalize("probe");
    assert!(d.exchanges.iter().all(|e| !e.name.starts_with("amq.")));
    let q = d.queues.iter().find(|q| q.name == "q").unwrap();
    assert_eq!(q.vhost, "probe");
    assert_eq!(q.kind(), "quorum");
    assert_eq!(
        d.queues.iter().find(|q| q.name == "c").unwrap().kind(),
        "classic"
    );
    assert_eq!(d.bindings[0].routing_key, "a.#");
    assert_eq!(d.operator_policies[0].name, "op");
    assert_eq!(d.policies[0].apply_to, "queues");
}

fn every_kind() -> Definitions {
    // Captured from RabbitMQ 3.10.8: see tests/fixtures/README.md for the commands.
    let raw = include_str!("../../../tests/fixtures/rabbitmq-3.10.8/definitions-every-kind.json");
    serde_json::from_str::<RawDefinitions>(raw)
        .unwrap()
        .normalize("/")
}

#[test]
fn every_kind_from_3_10_decodes() {
    let d = every_kind();
    let u = d.users.iter().find(|u| u.name == "cap-user").unwrap();
    assert!(u.password_hash.as_deref().is_some_and(|h| h.len() > 20));
    assert_eq!(
        u.hashing_algorithm.as_deref(),
        Some("rabbit_password_hashing_sha256")
    );
    let limits = u.limits.as_ref().unwrap();
    assert_eq!(
        (limits["max-connections"], limits["max-channels"]),
        (10, 20)
    );
    assert_eq!(d.shovels.len(), 1);
    assert_eq!(d.shovels[0].vhost, "cap-src");
    assert_eq!(d.shovels[0].value["src-queue"], "src-q");
    assert_eq!(d.federation_upstreams[0].name, "up");
    assert_eq!(d.federation_upstreams[0].value["max-hops"], 1);
    assert_eq!(d.global_parameters.len(), 1);
    assert_eq!(d.global_parameters[0].name, "warren-note");
    assert_eq!(
        d.global_parameters[0].value,
        serde_json::json!({"a": [1, 2]})
    );
    assert_eq!(d.not_carried.len(), 1, "{:?}", d.not_carried);
    assert!(d.not_carried[0].contains("internal_cluster_id"));
}

/// The shape of a 4.x export (`rabbit_definitions.erl`): vhost metadata, queue `type`,
/// vhost `limits`, empty proplists as `[]`.
const EXPORT_4_0: &str = r#"{
    "vhosts": [
        {"name": "q4", "limits": [], "metadata": {"description": "d", "tags": ["eu", "prod"], "default_queue_type": "quorum"}},
        {"name": "old", "tags": "a, b", "limits": {"max-queues": 7}}
    ],
    "users": [{"name": "u", "password_hash": "h", "hashing_algorithm": "rabbit_password_hashing_sha512", "tags": ["management"], "limits": []}],
    "queues": [
        {"name": "typed", "vhost": "q4", "type": "stream", "durable": true, "auto_delete": false, "arguments": {}},
        {"name": "untyped", "vhost": "q4", "durable": true, "auto_delete": false, "arguments": []}
    ],
    "global_parameters": [{"name": "cluster_name", "value": "c1"}]
}"#;

#[test]
fn a_4_0_export_decodes() {
    let d = serde_json::from_str::<RawDefinitions>(EXPORT_4_0)
        .unwrap()
        .normalize("/");
    assert!(d.not_carried.is_empty(), "{:?}", d.not_carried);
    let q4 = &d.vhosts[0];
    assert_eq!(
        q4.tags.as_deref(),
        Some(&["eu".to_string(), "prod".into()][..])
    );
    assert_eq!(q4.default_queue_type.as_deref(), Some("quorum"));
    assert_eq!(q4.description.as_deref(), Some("d"));
    assert_eq!(q4.limits, None);
    let old = &d.vhosts[1];
    assert_eq!(
        old.tags.as_deref(),
        Some(&["a".to_string(), "b".into()][..])
    );
    assert_eq!(old.limits.as_ref().unwrap()["max-queues"], 7);
    assert_eq!(d.users[0].limits, Some(BTreeMap::new()));
    assert_eq!(d.queues[0].kind(), "stream");
    assert!(!d.queues[1].arguments.contains_key("x-queue-type"));
    assert_eq!(d.global_parameters[0].name, "cluster_name");
}

#[test]
fn odd_objects_are_noted_one_line_each_and_the_rest_is_kept() {
    let raw = r#"{
        "queues": [
            {"name": "weird", "vhost": "v", "arguments": {"x-queue-type": "x-custom"}},
            {"name": "bad", "vhost": "v", "arguments": [1]},
            {"name": "ok", "vhost": "v", "arguments": {"x-a": []}}
        ],
        "users": [{"name": "u", "limits": {"max-connections": 1, "max-sessions": 2, "max-channels": "3"}}],
        "parameters": [
            {"vhost": "v", "component": "mqtt-port-to-vhost", "name": "m", "value": {}},
            {"vhost": "v", "component": "shovel", "name": "s", "value": "nope"}
        ],
        "global_parameters": [{"name": "internal_cluster_id", "value": "x"}]
    }"#;
    let d = serde_json::from_str::<RawDefinitions>(raw)
        .unwrap()
        .normalize("/");
    let notes = d.not_carried.join("\n");
    assert_eq!(d.not_carried.len(), 6, "{notes}");
    for expected in [
        "queue `weird` in vhost `v`: not carried: `x-queue-type: \"x-custom\"`",
        "queue `bad` in vhost `v`: not carried: expected a map, found [1]",
        "user `u`: limit(s) `max-channels: \"3\"`, `max-sessions: 2` not carried",
        "parameter `m` of component `mqtt-port-to-vhost` in vhost `v`: not carried",
        "shovel `s` in vhost `v`: not carried: its value `\"nope\"` is not a map",
        "global parameter `internal_cluster_id`: not carried",
    ] {
        assert!(notes.contains(expected), "missing {expected:?} in\n{notes}");
    }
    // An argument whose value is `[]` stays `[]`; the odd queues are still in the
    // definitions (the model leaves out the one of unknown type).
    let ok = d.queues.iter().find(|q| q.name == "ok").unwrap();
    assert_eq!(ok.arguments["x-a"], serde_json::json!([]));
    assert_eq!(d.queues.len(), 2);
    assert_eq!(d.users[0].limits.as_ref().unwrap().len(), 1);
}

fn queue(vhost: &str, name: &str, kind: Option<&str>) -> QueueDef {
    let mut q = QueueDef {
        name: name.into(),
        vhost: vhost.into(),
        ..Default::default()
    };
    if let Some(k) = kind {
        q.arguments.insert("x-queue-type".into(), k.into());
    }
    q
}

fn vhost(name: &str, default: Option<&str>) -> VhostDef {
    VhostDef {
        name: name.into(),
        default_queue_type: default.map(String::from),
        ..Default::default()
    }
}

#[test]
fn untyped_queues_get_the_type_the_broker_would_give() {
    let mut desired = Definitions {
        vhosts: vec![vhost("declared", Some("quorum")), vhost("plain", None)],
        queues: vec![
            queue("declared", "a", None),
            queue("declared", "s", Some("stream")),
            queue("plain", "b", None),
            queue("live-only", "c", None),
            queue("nowhere", "d", None),
        ],
        ..Default::default()
    };
    let mut convert = desired.clone();
    apply_declared_queue_types(&mut convert);
    let kinds = |d: &Definitions| -> Vec<Option<String>> {
        d.queues
            .iter()
            .map(|q| {
                q.arguments
                    .get("x-queue-type")
                    .and_then(|t| t.as_str().map(String::from))
            })
            .collect()
    };
    let s = |t: &str| Some(t.to_string());
    assert_eq!(
        kinds(&convert),
        [s("quorum"), s("stream"), None, None, None]
    );
    let live = Definitions {
        vhosts: vec![
            vhost("plain", Some("stream")),
            vhost("live-only", Some("quorum")),
        ],
        ..Default::default()
    };
    resolve_queue_types(&mut desired, &live);
    // The declared vhost's default first, else the live vhost's, else none (classic).
    assert_eq!(
        kinds(&desired),
        [s("quorum"), s("stream"), s("stream"), s("quorum"), None]
    );
}

#[test]
fn tags_decode_from_a_list_or_a_string() {
    let u: UserDef =
        serde_json::from_str(r#"{"name":"a","tags":"administrator, monitoring"}"#).unwrap();
    assert_eq!(u.tags, ["administrator", "monitoring"]);
    let u: UserDef = serde_json::from_str(r#"{"name":"a","tags":["management"]}"#).unwrap();
    assert_eq!(u.tags, ["management"]);
}
