//! Test fixtures: the planted node's state as captured from RabbitMQ 3.10.8.

use super::snapshot::{NotChecked, Snapshot, Target};

/// The planted node's state, captured from RabbitMQ 3.10.8 while the integration test's
/// connections were open (tests/fixtures/README.md has the capture command).
/// A fixture that no longer decodes fails the test that loads it, instead of quietly
/// turning its rules into "not checked".
macro_rules! captured {
    ($name:literal) => {
        Ok::<_, NotChecked>(
            serde_json::from_str(include_str!(concat!(
                "../../tests/fixtures/rabbitmq-3.10.8/audit-planted/",
                $name,
                ".json"
            )))
            .unwrap_or_else(|e| panic!("fixture {}.json does not decode: {e}", $name)),
        )
    };
}

pub fn planted() -> Snapshot {
    let mut s = Snapshot::empty(Target {
        api_url: "http://localhost:20582".into(),
        host: "localhost".into(),
        loopback: true,
    });
    s.whoami = captured!("whoami");
    s.overview = captured!("overview");
    s.nodes = captured!("nodes");
    s.users = captured!("users");
    s.permissions = captured!("permissions");
    s.topic_permissions = captured!("topic-permissions");
    s.users_without_permissions = captured!("users-without-permissions");
    s.vhosts = captured!("vhosts");
    s.vhost_limits = captured!("vhost-limits");
    s.policies = captured!("policies");
    s.operator_policies = captured!("operator-policies");
    s.queues = captured!("queues");
    s.queue_stats = captured!("queues");
    s.connections = captured!("connections");
    s.channels = captured!("channels");
    s.consumers = captured!("consumers");
    s.shovels = captured!("shovels");
    s.federation_upstreams = Ok(vec![]);
    s.feature_flags = captured!("feature-flags");
    s
}
