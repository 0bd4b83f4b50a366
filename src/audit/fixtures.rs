//! Test fixtures: the planted node's state as captured from real brokers (tests/audit.rs,
//! `capture_planted_fixtures`): RabbitMQ 3.10.8 with full statistics, with
//! `management.disable_stats = true`, with the metrics collector disabled, and 4.0.5.

use std::path::PathBuf;

use serde::de::DeserializeOwned;

use super::snapshot::{NotChecked, Snapshot, Source, Target, apply_policies};

/// One endpoint of a capture directory: `<name>.json` decoded, or `<name>.error` (the status
/// and body of a refused endpoint) as "not checked". A fixture that no longer decodes, or is
/// missing, fails the test that loads it instead of quietly turning its rules into "not
/// checked".
fn load<T: DeserializeOwned>(dir: &str, name: &str) -> Source<T> {
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir);
    let json = base.join(format!("{name}.json"));
    if let Ok(text) = std::fs::read_to_string(&json) {
        return Ok(serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("fixture {} does not decode: {e}", json.display())));
    }
    match std::fs::read_to_string(base.join(format!("{name}.error"))) {
        Ok(text) => Err(NotChecked(format!("{name}: {}", text.trim()))),
        Err(_) => panic!("fixture {} is missing", json.display()),
    }
}

/// The planted state captured in `dir` (under tests/fixtures/), read as the audit reads it.
pub fn captured(dir: &str) -> Snapshot {
    let mut s = Snapshot::empty(Target {
        api_url: "http://localhost:20582".into(),
        host: "localhost".into(),
        loopback: true,
    });
    // Each field from the file of its name.
    macro_rules! read {
        ($($field:ident: $file:literal),* $(,)?) => { $(s.$field = load(dir, $file);)* };
    }
    read! {
        whoami: "whoami", overview: "overview", nodes: "nodes", users: "users",
        permissions: "permissions", topic_permissions: "topic-permissions",
        users_without_permissions: "users-without-permissions", vhosts: "vhosts",
        vhost_limits: "vhost-limits", policies: "policies", operator_policies: "operator-policies",
    }
    // The audit reads the definitions with disable_stats=true (older captures lack that
    // file; their full list holds the same definitions) and the statistics separately.
    let has_definitions = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir)
        .join("queue-definitions.json")
        .exists();
    s.queues = load(
        dir,
        if has_definitions {
            "queue-definitions"
        } else {
            "queues"
        },
    );
    if let (Ok(queues), Ok(policies), Ok(operator)) =
        (&mut s.queues, &s.policies, &s.operator_policies)
    {
        apply_policies(queues, policies, operator);
    }
    read! {
        queue_stats: "queues", bindings: "bindings", exchanges: "exchanges",
        connections: "connections", channels: "channels", consumers: "consumers",
        shovels: "shovels",
    }
    s.federation_upstreams = Ok(vec![]);
    s.feature_flags = load(dir, "feature-flags");
    s
}

/// The planted node with full statistics, RabbitMQ 3.10.8.
pub fn planted() -> Snapshot {
    captured("rabbitmq-3.10.8/audit-planted")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::super::{Kind, Selection, Status, evaluate};
    use super::*;

    /// Per rule: its status, and the queue/user/vhost/... objects it names (node and
    /// cluster names differ between captures, so they are left out; connection and channel
    /// names hold client ports, so only their kind and vhost count).
    fn outcome(s: &Snapshot) -> Vec<(&'static str, Status, BTreeSet<String>)> {
        evaluate(s, &Selection::default())
            .into_iter()
            .map(|r| {
                let objects = r
                    .findings
                    .iter()
                    .filter(|f| !matches!(f.object.kind, Kind::Node | Kind::Cluster))
                    .map(|f| match f.object.kind {
                        Kind::Connection | Kind::Channel => {
                            format!("{} in {:?}", f.object.kind.as_str(), f.object.vhost)
                        }
                        _ => f.object.to_string(),
                    })
                    .collect();
                (r.id, r.status, objects)
            })
            .collect()
    }

    /// Statistics switched off must neither pass a rule that full statistics fail, nor find
    /// something full statistics don't: what it can't see is "not checked".
    #[test]
    fn statistics_off_gives_no_false_pass_and_no_false_finding() {
        let full = outcome(&planted());
        for variant in ["disable-stats", "no-metrics"] {
            let off = outcome(&captured(&format!(
                "rabbitmq-3.10.8/audit-planted-{variant}"
            )));
            let mut not_checked = 0;
            for ((id, full_status, full_objects), (_, status, objects)) in full.iter().zip(&off) {
                if *status == Status::NotChecked {
                    not_checked += 1;
                    continue;
                }
                assert!(
                    !(*full_status == Status::Finding && *status == Status::Pass),
                    "{variant}: {id} passes, but fails with statistics on ({full_objects:?})"
                );
                let extra: Vec<_> = objects.difference(full_objects).collect();
                assert!(
                    extra.is_empty(),
                    "{variant}: {id} finds {extra:?}, which statistics on don't"
                );
            }
            assert!(not_checked > 0, "{variant}: nothing was missing?");
            // Passing with full statistics too, so the comparison above can't tell: these read
            // node fields (auth_mechanisms, partitions) that statistics off leaves out.
            for id in ["SEC010", "RES005"] {
                let status = off.iter().find(|(r, _, _)| *r == id).unwrap().1;
                assert_eq!(status, Status::NotChecked, "{variant}: {id}");
            }
        }
    }

    /// RabbitMQ 4.0.5's answers decode, and the rules that read them evaluate.
    #[test]
    fn rabbitmq_4_0_capture_evaluates() {
        let s = captured("rabbitmq-4.0.5/audit-planted");
        let results = evaluate(&s, &Selection::default());
        let status = |id: &str| results.iter().find(|r| r.id == id).unwrap().status;
        // Q008 is not checked on 4.x: its channels no longer report global_prefetch_count.
        for id in ["RES009", "RES010", "Q003", "Q005", "Q009", "SEC003"] {
            assert_ne!(status(id), Status::NotChecked, "{id} on 4.0.5");
        }
    }
}
