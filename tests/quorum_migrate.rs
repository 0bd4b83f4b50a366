//! `warren quorum migrate plan`: on RabbitMQ 3.10, mirrored classic queues of every kind the
//! migration must tell apart are declared under an `ha-mode: all` policy that also sets
//! max-length, their definitions exported through the API (not warren), and the plan read
//! both live and offline from that export (with an exclusive queue added: exports leave
//! those out). RabbitMQ 4.x refuses ha-* policies, so there the live plan finds nothing and
//! the offline plan reads the same export as 3.10 writes it.

mod support;

use serde_json::{Value, json};
use support::{TestDir, TestVhost, shared_node};

fn classes(report: &Value) -> Vec<(String, String)> {
    let mut c: Vec<(String, String)> = report["queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            (
                q["queue"].as_str().unwrap().to_string(),
                q["class"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    c.sort();
    c
}

#[test]
fn plan_classifies_mirrored_queues_live_and_offline() {
    let node = shared_node();
    let vhost = TestVhost::new(node, "migrate");
    let dir = TestDir::new("migrate");
    let queues = [
        ("ha.ready", json!({"x-dead-letter-exchange": "dlx"})),
        ("ha.lazy", json!({"x-queue-mode": "lazy"})),
        ("ha.overflow", json!({"x-overflow": "reject-publish-dlx"})),
        ("ha.pinned", json!({"x-queue-type": "classic"})),
        ("ha.auto", json!({})),
        ("other", json!({})),
    ];
    for (name, args) in &queues {
        let auto_delete = *name == "ha.auto";
        vhost.queue(
            name,
            &json!({"durable": true, "auto_delete": auto_delete, "arguments": args}).to_string(),
        );
    }
    let policy = json!({"pattern": "^ha\\.", "apply-to": "all", "priority": 0,
        "definition": {"ha-mode": "all", "max-length": 1000}});
    let path = format!("/api/policies/{}/ha-all", support::encode(&vhost.name));
    let (status, body) = node.api("PUT", &path, Some(&policy.to_string()));
    let expected = vec![
        ("ha.auto".to_string(), "cannot".to_string()),
        ("ha.exclusive".to_string(), "cannot".to_string()),
        ("ha.lazy".to_string(), "change-arguments".to_string()),
        ("ha.overflow".to_string(), "change-arguments".to_string()),
        ("ha.pinned".to_string(), "ready".to_string()),
        ("ha.ready".to_string(), "ready".to_string()),
    ];
    let export: Value = if node.version() == "3.10" {
        assert!(status < 300, "{status} {body}");
        // Live: the broker's own queues and policy (no exclusive queue: it would need a
        // connection held open).
        let live = vhost
            .warren(&dir)
            .args(["quorum", "migrate", "plan", "-o", "json"])
            .succeeds()
            .json();
        let without_exclusive: Vec<(String, String)> = expected
            .iter()
            .filter(|(q, _)| q != "ha.exclusive")
            .cloned()
            .collect();
        assert_eq!(classes(&live), without_exclusive, "{live:#}");
        let body = node.api_ok(
            "GET",
            &format!("/api/definitions/{}", support::encode(&vhost.name)),
            None,
        );
        serde_json::from_str(&body).unwrap()
    } else {
        // 4.x refuses the ha-* policy: the offline plan reads a 3.10-shaped export.
        assert_eq!(status, 400, "an ha-* policy on {}: {body}", node.version());
        json!({
            "queues": queues.iter().map(|(name, args)| json!({"name": name, "durable": true,
                "auto_delete": *name == "ha.auto", "arguments": args})).collect::<Vec<_>>(),
            "policies": [{"name": "ha-all", "pattern": "^ha\\.", "apply-to": "all",
                "priority": 0, "definition": {"ha-mode": "all", "max-length": 1000}}]
        })
    };
    let mut export = export;
    export["queues"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "ha.exclusive",
        "durable": false, "auto_delete": false, "exclusive": true, "arguments": {}}));
    let file = dir.write("definitions.json", &export.to_string());
    let offline = dir
        .warren()
        .args(["quorum", "migrate", "plan", "-o", "json", "-f"])
        .arg(&file)
        .succeeds()
        .json();
    assert_eq!(classes(&offline), expected, "{offline:#}");
    let policies = offline["policies"].as_array().unwrap();
    assert_eq!(policies.len(), 1, "{offline:#}");
    assert_eq!(
        policies[0]["after"],
        json!({"max-length": 1000}),
        "{offline:#}"
    );
    assert_eq!(policies[0]["apply_to"], "queues", "{offline:#}");
    let pinned = offline["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["queue"] == "ha.pinned")
        .unwrap();
    assert!(
        pinned["risks"].to_string().contains("PRECONDITION_FAILED"),
        "{pinned:#}"
    );

    // A file that is not a definitions export: exit 4, naming it.
    let bad = dir.write("bad.json", r#"{"queues": [{"name": 5}]}"#);
    dir.warren()
        .args(["quorum", "migrate", "plan", "-f"])
        .arg(&bad)
        .fails_with(4)
        .says("bad.json: queues[0]");
}
