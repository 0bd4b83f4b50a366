//! The rule catalogue: one entry per rule (id, severity, title, fix, doc link) and one small
//! pure function per rule over the snapshot. See ../shared/reference/audit-rules.md for the
//! API fields behind each rule and how they differ between broker versions.

use serde_json::Value;

use super::password::{self, Verdict};
use super::snapshot::{Listener, NotChecked, Snapshot, Source};
use super::{Finding, Kind, Object, Outcome, Rule, Scope, Severity};

/// Rules in catalogue order (security, network, resources, queues).
pub static CATALOGUE: &[Rule] = &[
    Rule {
        id: "SEC001",
        severity: Severity::Critical,
        title: "guest:guest is accepted from a non-loopback address",
        fix: "rabbitmqctl delete_user guest; never set loopback_users = none",
        doc: "https://www.rabbitmq.com/docs/access-control#loopback-users",
        scope: Scope::Broker,
        check: sec001_guest_login,
    },
    Rule {
        id: "SEC002",
        severity: Severity::Medium,
        title: "the default guest user exists",
        fix: "rabbitmqctl delete_user guest",
        doc: "https://www.rabbitmq.com/docs/access-control#default-state",
        scope: Scope::Broker,
        check: sec002_guest_exists,
    },
    Rule {
        id: "SEC003",
        severity: Severity::High,
        title: "a user's password is a common default or a variant of its name",
        fix: "rabbitmqctl change_password <user>; set credential_validator.min_length",
        doc: "https://www.rabbitmq.com/docs/passwords",
        scope: Scope::Broker,
        check: sec003_weak_passwords,
    },
    Rule {
        id: "SEC004",
        severity: Severity::Medium,
        title: "password hashed with MD5, or a user without a password",
        fix: "password_hashing_module = rabbit_password_hashing_sha512, then reset the password",
        doc: "https://www.rabbitmq.com/docs/passwords#computing-password-hash",
        scope: Scope::Broker,
        check: sec004_hashing,
    },
    Rule {
        id: "SEC005",
        severity: Severity::High,
        title: "too many administrators, or an application connected as an administrator",
        fix: "rabbitmqctl set_user_tags <app-user> (no tags); keep at most two administrators",
        doc: "https://www.rabbitmq.com/docs/management#permissions",
        scope: Scope::Broker,
        check: sec005_administrators,
    },
    Rule {
        id: "SEC006",
        severity: Severity::Low,
        title: "a user has the impersonator tag",
        fix: "rabbitmqctl set_user_tags <user> without impersonator",
        doc: "https://www.rabbitmq.com/docs/validated-user-id",
        scope: Scope::Broker,
        check: sec006_impersonator,
    },
    Rule {
        id: "SEC007",
        severity: Severity::Medium,
        title: "a non-administrator has wildcard (.*) permissions",
        fix: "rabbitmqctl set_permissions -p <vhost> <user> with narrow regexes (e.g. '^orders\\.')",
        doc: "https://www.rabbitmq.com/docs/access-control#authorisation",
        scope: Scope::Broker,
        check: sec007_wildcard_permissions,
    },
    Rule {
        id: "SEC008",
        severity: Severity::Low,
        title: "MQTT or STOMP listeners without any topic permissions",
        fix: "rabbitmqctl set_topic_permissions -p <vhost> <user> <exchange> <write> <read>",
        doc: "https://www.rabbitmq.com/docs/access-control#topic-authorisation",
        scope: Scope::Broker,
        check: sec008_topic_permissions,
    },
    Rule {
        id: "SEC009",
        severity: Severity::Low,
        title: "a user has no permissions anywhere",
        fix: "rabbitmqctl delete_user <user> if it is unused",
        doc: "https://www.rabbitmq.com/docs/access-control",
        scope: Scope::Broker,
        check: sec009_users_without_permissions,
    },
    Rule {
        id: "SEC010",
        severity: Severity::High,
        title: "the ANONYMOUS authentication mechanism is enabled",
        fix: "auth_mechanisms.1 = PLAIN (without ANONYMOUS); anonymous_login_user = none",
        doc: "https://www.rabbitmq.com/docs/access-control#anonymous-connections",
        scope: Scope::Broker,
        check: sec010_anonymous,
    },
    Rule {
        id: "SEC011",
        severity: Severity::Medium,
        title: "many failed authentication attempts",
        fix: "find the client with rabbitmqctl list_auth_attempts / logs; firewall it",
        doc: "https://www.rabbitmq.com/docs/access-control#auth-attempts",
        scope: Scope::Broker,
        check: sec011_failed_auth,
    },
    Rule {
        id: "SEC012",
        severity: Severity::High,
        title: "a shovel or federation URI holds a password or uses plain amqp:// to a remote host",
        fix: "use amqps:// with x509 (EXTERNAL) credentials instead of user:password@ in the URI",
        doc: "https://www.rabbitmq.com/docs/shovel-dynamic",
        scope: Scope::PerVhost,
        check: sec012_uri_credentials,
    },
    Rule {
        id: "SEC013",
        severity: Severity::High,
        title: "the unauthenticated /api/auth exposes an OAuth client secret",
        fix: "upgrade (removed in 4.3) and rotate the OAuth client secret",
        doc: "https://www.rabbitmq.com/docs/management#oauth2-authentication",
        scope: Scope::Broker,
        check: sec013_oauth_secret,
    },
    Rule {
        id: "SEC014",
        severity: Severity::High,
        title: "the RabbitMQ version is out of community support",
        fix: "upgrade to a supported release series",
        doc: "https://www.rabbitmq.com/release-information",
        scope: Scope::Broker,
        check: sec014_version,
    },
    Rule {
        id: "NET001",
        severity: Severity::High,
        title: "the management API is served over plain HTTP",
        fix: "management.ssl.port = 15671 (with certificates) and management.tcp = none",
        doc: "https://www.rabbitmq.com/docs/management#single-listener-https",
        scope: Scope::Broker,
        check: net001_plain_http,
    },
    Rule {
        id: "NET002",
        severity: Severity::High,
        title: "AMQP is served without TLS",
        fix: "listeners.ssl.default = 5671 and listeners.tcp = none",
        doc: "https://www.rabbitmq.com/docs/ssl",
        scope: Scope::Broker,
        check: net002_plain_amqp,
    },
    Rule {
        id: "NET003",
        severity: Severity::Medium,
        title: "a TLS listener allows TLS 1.0/1.1, or a certificate expires within a month",
        fix: "ssl_options.versions.1 = tlsv1.3, ssl_options.versions.2 = tlsv1.2; renew certificates",
        doc: "https://www.rabbitmq.com/docs/ssl#tls-versions",
        scope: Scope::Broker,
        check: net003_tls_versions,
    },
    Rule {
        id: "NET004",
        severity: Severity::Medium,
        title: "clustering, HTTP or metrics listener bound to every interface",
        fix: "bind to one interface (management.tcp.ip, prometheus.tcp.ip) and firewall the ports",
        doc: "https://www.rabbitmq.com/docs/networking#interfaces",
        scope: Scope::Broker,
        check: net004_wildcard_binds,
    },
    Rule {
        id: "NET005",
        severity: Severity::High,
        title: "EPMD (port 4369) is reachable from clients",
        fix: "firewall 4369 and the distribution port; use inter-node TLS",
        doc: "https://www.rabbitmq.com/docs/networking#epmd",
        scope: Scope::Broker,
        check: net005_epmd,
    },
    Rule {
        id: "NET006",
        severity: Severity::Medium,
        title: "the Prometheus metrics endpoint answers without credentials",
        fix: "prometheus.tcp.ip = 127.0.0.1 or put it behind authentication / a firewall",
        doc: "https://www.rabbitmq.com/docs/prometheus",
        scope: Scope::Broker,
        check: net006_metrics,
    },
    Rule {
        id: "NET007",
        severity: Severity::High,
        title: "the management API allows cross-origin requests from any site",
        fix: "remove management.cors.allow_origins (or list only trusted origins, never *)",
        doc: "https://www.rabbitmq.com/docs/management#cors",
        scope: Scope::Broker,
        check: net007_cors,
    },
    Rule {
        id: "NET008",
        severity: Severity::Low,
        title: "the management UI sends no X-Frame-Options (or, over HTTPS, no HSTS) header",
        fix: "management.headers.frame_options = DENY; management.hsts.policy = max-age=31536000",
        doc: "https://www.rabbitmq.com/docs/management#hsts",
        scope: Scope::Broker,
        check: net008_headers,
    },
    Rule {
        id: "RES001",
        severity: Severity::Critical,
        title: "a memory or disk alarm is in effect: publishers are blocked",
        fix: "free memory or disk on the node; consume backlogs",
        doc: "https://www.rabbitmq.com/docs/alarms",
        scope: Scope::Broker,
        check: res001_alarms,
    },
    Rule {
        id: "RES002",
        severity: Severity::Medium,
        title: "the disk free limit is below the memory limit",
        fix: "disk_free_limit.relative = 1.0 (or an absolute value >= the memory high watermark)",
        doc: "https://www.rabbitmq.com/docs/disk-alarms",
        scope: Scope::Broker,
        check: res002_disk_limit,
    },
    Rule {
        id: "RES003",
        severity: Severity::Medium,
        title: "memory use above 80% of the high watermark",
        fix: "find the queues or connections using memory; vm_memory_high_watermark 0.4-0.7",
        doc: "https://www.rabbitmq.com/docs/memory-use",
        scope: Scope::Broker,
        check: res003_memory,
    },
    Rule {
        id: "RES004",
        severity: Severity::Medium,
        title: "too few file descriptors, or most of them in use",
        fix: "LimitNOFILE=64000 (systemd) or ulimit -n 64000",
        doc: "https://www.rabbitmq.com/docs/production-checklist#resource-limits-file-handle-limit",
        scope: Scope::Broker,
        check: res004_file_descriptors,
    },
    Rule {
        id: "RES005",
        severity: Severity::High,
        title: "a network partition, a stopped node, or an even number of nodes",
        fix: "cluster_partition_handling = pause_minority with an odd number of nodes",
        doc: "https://www.rabbitmq.com/docs/partitions",
        scope: Scope::Broker,
        check: res005_partitions,
    },
    Rule {
        id: "RES006",
        severity: Severity::Medium,
        title: "high connection churn",
        fix: "use long-lived connections (a pool) instead of one per operation",
        doc: "https://www.rabbitmq.com/docs/connections#high-connection-churn",
        scope: Scope::Broker,
        check: res006_churn,
    },
    Rule {
        id: "RES007",
        severity: Severity::Medium,
        title: "a connection has more than 100 channels",
        fix: "reuse channels; channel_max = 128",
        doc: "https://www.rabbitmq.com/docs/channels#channel-leaks",
        scope: Scope::PerVhost,
        check: res007_channels,
    },
    Rule {
        id: "RES008",
        severity: Severity::Low,
        title: "a connection has heartbeats disabled (timeout 0)",
        fix: "let the client negotiate a heartbeat (e.g. 60 s)",
        doc: "https://www.rabbitmq.com/docs/heartbeats",
        scope: Scope::PerVhost,
        check: res008_heartbeats,
    },
    Rule {
        id: "RES009",
        severity: Severity::Medium,
        title: "a vhost has no max-connections or max-queues limit",
        fix: "rabbitmqctl set_vhost_limits -p <vhost> '{\"max-connections\": 500, \"max-queues\": 1000}'",
        doc: "https://www.rabbitmq.com/docs/vhosts#limits",
        scope: Scope::PerVhost,
        check: res009_vhost_limits,
    },
    Rule {
        id: "RES010",
        severity: Severity::Low,
        title: "tracing on, consumers polling with basic.get, or unroutable messages",
        fix: "rabbitmqctl trace_off; use basic.consume; add bindings or an alternate exchange",
        doc: "https://www.rabbitmq.com/docs/firehose",
        scope: Scope::PerVhost,
        check: res010_waste,
    },
    Rule {
        id: "Q001",
        severity: Severity::High,
        title: "classic queue mirroring (ha-* policy) or another deprecated feature is used",
        fix: "migrate mirrored queues to quorum queues, then delete the ha-* policy",
        doc: "https://www.rabbitmq.com/docs/migrate-mcq-to-qq",
        scope: Scope::PerVhost,
        check: q001_mirroring,
    },
    Rule {
        id: "Q002",
        severity: Severity::Medium,
        title: "a non-durable queue holds messages",
        fix: "declare the queue durable (and publish persistent messages)",
        doc: "https://www.rabbitmq.com/docs/queues#durability",
        scope: Scope::PerVhost,
        check: q002_non_durable,
    },
    Rule {
        id: "Q003",
        severity: Severity::Medium,
        title: "a lazy queue (x-queue-mode lazy)",
        fix: "drop queue-mode: it has no effect from 3.12, and declaring it fails on 4.3",
        doc: "https://www.rabbitmq.com/docs/lazy-queues",
        scope: Scope::PerVhost,
        check: q003_lazy,
    },
    Rule {
        id: "Q004",
        severity: Severity::High,
        title: "a quorum queue lacks replicas, has members offline or no leader",
        fix: "rabbitmq-queues grow <node> all; restore the offline members",
        doc: "https://www.rabbitmq.com/docs/quorum-queues#replica-management",
        scope: Scope::PerVhost,
        check: q004_quorum_replicas,
    },
    Rule {
        id: "Q005",
        severity: Severity::Medium,
        title: "a queue has no dead-letter exchange",
        fix: "a policy with dead-letter-exchange (rejected and expired messages are kept)",
        doc: "https://www.rabbitmq.com/docs/dlx",
        scope: Scope::PerVhost,
        check: q005_no_dlx,
    },
    Rule {
        id: "Q006",
        severity: Severity::Medium,
        title: "a queue has no bound: no max-length, max-length-bytes, message-ttl or expires",
        fix: "an operator policy with max-length (or max-length-bytes)",
        doc: "https://www.rabbitmq.com/docs/maxlength",
        scope: Scope::PerVhost,
        check: q006_unbounded,
    },
    Rule {
        id: "Q007",
        severity: Severity::Medium,
        title: "a queue has a backlog and no consumers",
        fix: "start a consumer, or set a TTL / max-length if the messages are not needed",
        doc: "https://www.rabbitmq.com/docs/queues",
        scope: Scope::PerVhost,
        check: q007_backlog,
    },
    Rule {
        id: "Q008",
        severity: Severity::Medium,
        title: "a consumer with manual acks has no prefetch limit (prefetch 0)",
        fix: "basic.qos with a prefetch of 100-300 before basic.consume",
        doc: "https://www.rabbitmq.com/docs/consumer-prefetch",
        scope: Scope::PerVhost,
        check: q008_prefetch_zero,
    },
    Rule {
        id: "Q009",
        severity: Severity::Medium,
        title: "a consumer uses automatic acknowledgements",
        fix: "consume with manual acks (no_ack = false) and ack after processing",
        doc: "https://www.rabbitmq.com/docs/confirms#acknowledgement-modes",
        scope: Scope::PerVhost,
        check: q009_auto_ack,
    },
    Rule {
        id: "Q010",
        severity: Severity::Medium,
        title: "a policy matches every queue and exchange",
        fix: "narrow the pattern; merge policies, since only one applies per queue",
        doc: "https://www.rabbitmq.com/docs/parameters#policies",
        scope: Scope::PerVhost,
        check: q010_catch_all_policy,
    },
    Rule {
        id: "Q011",
        severity: Severity::Medium,
        title: "feature flags not enabled, RAM nodes, or global prefetch",
        fix: "rabbitmqctl enable_feature_flag all; use disc nodes; per-consumer prefetch",
        doc: "https://www.rabbitmq.com/docs/feature-flags",
        scope: Scope::PerVhost,
        check: q011_upgrade_blockers,
    },
];

/// The rule with this id (case-insensitive).
pub fn find(id: &str) -> Option<&'static Rule> {
    CATALOGUE.iter().find(|r| r.id.eq_ignore_ascii_case(id))
}

fn read<T>(source: &Source<T>) -> Result<&T, NotChecked> {
    source.as_ref().map_err(Clone::clone)
}

fn not_checked(why: impl Into<String>) -> NotChecked {
    NotChecked(why.into())
}

fn listeners(s: &Snapshot) -> Result<&[Listener], NotChecked> {
    Ok(&read(&s.overview)?.listeners)
}

/// A probe result, or why there is none.
fn probe<T>(
    s: &Snapshot,
    pick: fn(&super::snapshot::Probes) -> &Source<T>,
) -> Result<&T, NotChecked> {
    match &s.probes {
        None => Err(not_checked("an active probe: run with --probe")),
        Some(p) => read(pick(p)),
    }
}

fn sec001_guest_login(rule: &Rule, s: &Snapshot) -> Outcome {
    if let Ok(users) = &s.users
        && !users.iter().any(|u| u.name == "guest")
    {
        return Ok(vec![]);
    }
    let answer = probe(s, |p| &p.guest_login)?;
    if s.target.loopback {
        return Err(not_checked(format!(
            "the target {} is a loopback address: guest may log in from loopback by default, so \
             a login from here proves nothing about remote access (probe a non-loopback address)",
            s.target.host
        )));
    }
    if answer.status == 200 {
        return Ok(vec![rule.finding(
            Object::new(Kind::User, "guest"),
            format!(
                "guest:guest logged in to {} from a non-loopback address",
                answer.url
            ),
        )]);
    }
    Ok(vec![])
}

fn sec002_guest_exists(rule: &Rule, s: &Snapshot) -> Outcome {
    Ok(read(&s.users)?
        .iter()
        .filter(|u| u.name == "guest")
        .map(|u| {
            rule.finding(
                Object::new(Kind::User, &u.name),
                "the default user guest exists",
            )
        })
        .collect())
}

fn sec003_weak_passwords(rule: &Rule, s: &Snapshot) -> Outcome {
    let mut findings = Vec::new();
    let mut unknown = Vec::new();
    for u in read(&s.users)? {
        match password::check(&u.name, &u.password_hash, &u.hashing_algorithm) {
            Verdict::Weak => findings.push(rule.finding(
                Object::new(Kind::User, &u.name),
                format!(
                    "the password of `{}` is a common default or a variant of the user name \
                     (found offline from its hash; no login was tried)",
                    u.name
                ),
            )),
            Verdict::Unknown(why) => unknown.push(format!("{}: {why}", u.name)),
            Verdict::NotWeak | Verdict::NoPassword => {}
        }
    }
    if findings.is_empty() && !unknown.is_empty() {
        return Err(not_checked(format!(
            "some hashes can't be checked ({})",
            unknown.join("; ")
        )));
    }
    Ok(findings)
}

fn sec004_hashing(rule: &Rule, s: &Snapshot) -> Outcome {
    let mut findings = Vec::new();
    for u in read(&s.users)? {
        if u.password_hash.is_empty() {
            findings.push(Finding {
                severity: Severity::Info,
                object: Object::new(Kind::User, &u.name),
                message: format!(
                    "`{}` has no password: it can log in only through another mechanism (x509, OAuth)",
                    u.name
                ),
            });
        } else if u.hashing_algorithm == "rabbit_password_hashing_md5" {
            findings.push(rule.finding(
                Object::new(Kind::User, &u.name),
                format!("the password of `{}` is hashed with MD5", u.name),
            ));
        }
    }
    Ok(findings)
}

fn sec005_administrators(rule: &Rule, s: &Snapshot) -> Outcome {
    let admins = s.administrators()?;
    let mut findings = Vec::new();
    if admins.len() > 2 {
        findings.push(rule.finding(
            Object::new(Kind::Cluster, "users"),
            format!(
                "{} users are administrators: {}",
                admins.len(),
                admins.join(", ")
            ),
        ));
    }
    match &s.connections {
        Ok(connections) => {
            for c in connections
                .iter()
                .filter(|c| admins.contains(&c.user.as_str()))
            {
                findings.push(rule.finding(
                    Object::in_vhost(Kind::Connection, &c.vhost, &c.name),
                    format!(
                        "an application is connected as the administrator `{}`",
                        c.user
                    ),
                ));
            }
        }
        Err(why) if findings.is_empty() => {
            return Err(not_checked(format!("connections: {}", why.0)));
        }
        Err(_) => {}
    }
    Ok(findings)
}

fn sec006_impersonator(rule: &Rule, s: &Snapshot) -> Outcome {
    Ok(read(&s.users)?
        .iter()
        .filter(|u| u.has_tag("impersonator"))
        .map(|u| {
            rule.finding(
                Object::new(Kind::User, &u.name),
                format!("`{}` may publish with any user-id", u.name),
            )
        })
        .collect())
}

fn is_wildcard(pattern: &str) -> bool {
    matches!(pattern, ".*" | "^.*" | "^.*$" | ".*$" | ".+" | "^.+$")
}

fn sec007_wildcard_permissions(rule: &Rule, s: &Snapshot) -> Outcome {
    let admins = s.administrators()?;
    Ok(read(&s.permissions)?
        .iter()
        .filter(|p| !admins.contains(&p.user.as_str()))
        .filter(|p| is_wildcard(&p.configure) || is_wildcard(&p.write) || is_wildcard(&p.read))
        .map(|p| {
            rule.finding(
                Object::in_vhost(Kind::Permission, &p.vhost, &p.user),
                format!(
                    "`{}` in vhost `{}`: configure `{}`, write `{}`, read `{}`",
                    p.user, p.vhost, p.configure, p.write, p.read
                ),
            )
        })
        .collect())
}

fn sec008_topic_permissions(rule: &Rule, s: &Snapshot) -> Outcome {
    let topic_listeners: Vec<&Listener> = listeners(s)?
        .iter()
        .filter(|l| l.protocol.starts_with("mqtt") || l.protocol.starts_with("stomp"))
        .collect();
    if topic_listeners.is_empty() || !read(&s.topic_permissions)?.is_empty() {
        return Ok(vec![]);
    }
    Ok(topic_listeners
        .iter()
        .map(|l| {
            rule.finding(
                Object::new(Kind::Listener, l.label()),
                format!(
                    "{} is enabled and no user has topic permissions",
                    l.protocol
                ),
            )
        })
        .collect())
}

fn sec009_users_without_permissions(rule: &Rule, s: &Snapshot) -> Outcome {
    Ok(read(&s.users_without_permissions)?
        .iter()
        .map(|u| {
            rule.finding(
                Object::new(Kind::User, &u.name),
                format!("`{}` has no permissions in any vhost", u.name),
            )
        })
        .collect())
}

fn sec010_anonymous(rule: &Rule, s: &Snapshot) -> Outcome {
    let mut findings = Vec::new();
    for n in read(&s.nodes)? {
        if n.auth_mechanisms
            .iter()
            .any(|m| m.name == "ANONYMOUS" && m.enabled)
        {
            findings.push(rule.finding(
                Object::new(Kind::Node, &n.name),
                "ANONYMOUS is enabled: clients can connect without credentials (default on 4.x)",
            ));
        }
    }
    Ok(findings)
}

/// A single snapshot can't see a rate: flag a high share of failures since the node started.
const FAILED_AUTH_MIN: u64 = 20;

fn sec011_failed_auth(rule: &Rule, s: &Snapshot) -> Outcome {
    Ok(read(&s.auth_attempts)?
        .iter()
        .filter(|a| {
            a.auth_attempts_failed >= FAILED_AUTH_MIN
                && a.auth_attempts_failed * 5 > a.auth_attempts
        })
        .map(|a| {
            rule.finding(
                Object::new(Kind::Node, &a.node),
                format!(
                    "{} of {} {} authentication attempts failed",
                    a.auth_attempts_failed, a.auth_attempts, a.protocol
                ),
            )
        })
        .collect())
}

/// The URIs in a shovel or federation-upstream value (a string or a list of strings).
fn uris_in(value: &Value, keys: &[&str]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for key in keys {
        match value.get(*key) {
            Some(Value::String(s)) => out.push((key.to_string(), s.clone())),
            Some(Value::Array(a)) => out.extend(
                a.iter()
                    .filter_map(Value::as_str)
                    .map(|s| (key.to_string(), s.to_string())),
            ),
            _ => {}
        }
    }
    out
}

/// What is wrong with one shovel/federation URI; never includes the URI itself.
fn uri_problem(uri: &str) -> Option<String> {
    let parsed = url::Url::parse(uri).ok()?;
    if parsed.password().is_some_and(|p| !p.is_empty()) {
        return Some("holds a password (user:password@)".into());
    }
    let host = parsed.host_str().unwrap_or("");
    if parsed.scheme() == "amqp" && !host.is_empty() && !super::snapshot::is_loopback_address(host)
    {
        return Some(format!("uses plain amqp:// to the remote host {host}"));
    }
    None
}

fn sec012_uri_credentials(rule: &Rule, s: &Snapshot) -> Outcome {
    let mut findings = Vec::new();
    let mut missing = Vec::new();
    for (source, keys) in [
        (&s.shovels, &["src-uri", "dest-uri"][..]),
        (&s.federation_upstreams, &["uri"][..]),
    ] {
        match source {
            Ok(params) => {
                for p in params {
                    for (key, uri) in uris_in(&p.value, keys) {
                        if let Some(problem) = uri_problem(&uri) {
                            findings.push(rule.finding(
                                Object::in_vhost(Kind::Parameter, &p.vhost, &p.name),
                                format!("{} `{}`: {key} {problem}", p.component, p.name),
                            ));
                        }
                    }
                }
            }
            Err(why) => missing.push(why.0.clone()),
        }
    }
    if findings.is_empty() && !missing.is_empty() {
        return Err(not_checked(missing.join("; ")));
    }
    Ok(findings)
}

fn sec013_oauth_secret(rule: &Rule, s: &Snapshot) -> Outcome {
    let auth = read(&s.auth_settings)?;
    let secret = auth
        .get("oauth_client_secret")
        .and_then(Value::as_str)
        .is_some_and(|v| !v.is_empty());
    Ok(if secret {
        vec![rule.finding(
            Object::new(Kind::Cluster, "/api/auth"),
            "GET /api/auth, which needs no login, returns oauth_client_secret",
        )]
    } else {
        vec![]
    })
}

/// The oldest release series still in community support (as of 2026-11: community support
/// covers the latest minor series only). Update with each RabbitMQ release.
/// `release_series_support_status` is not trusted: 3.10.8 reports itself "supported".
const OLDEST_SUPPORTED: (u32, u32) = (4, 1);

fn series(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.split(['.', '-', '+']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

fn sec014_version(rule: &Rule, s: &Snapshot) -> Outcome {
    let o = read(&s.overview)?;
    let version = if o.rabbitmq_version.is_empty() {
        &o.product_version
    } else {
        &o.rabbitmq_version
    };
    let Some(found) = series(version) else {
        return Err(not_checked(format!("unrecognised version `{version}`")));
    };
    Ok(if found < OLDEST_SUPPORTED {
        vec![rule.finding(
            Object::new(Kind::Cluster, &o.cluster_name),
            format!(
                "RabbitMQ {version} is out of community support (oldest supported series: {}.{})",
                OLDEST_SUPPORTED.0, OLDEST_SUPPORTED.1
            ),
        )]
    } else {
        vec![]
    })
}

fn net001_plain_http(rule: &Rule, s: &Snapshot) -> Outcome {
    Ok(listeners(s)?
        .iter()
        .filter(|l| l.protocol == "http" && !l.is_loopback())
        .map(|l| {
            rule.finding(
                Object::new(Kind::Listener, l.label()),
                format!(
                    "management over plain HTTP on port {}: credentials cross the network in clear",
                    l.port()
                ),
            )
        })
        .collect())
}

fn net002_plain_amqp(rule: &Rule, s: &Snapshot) -> Outcome {
    Ok(listeners(s)?
        .iter()
        .filter(|l| l.protocol == "amqp" && !l.is_loopback())
        .map(|l| {
            rule.finding(
                Object::new(Kind::Listener, l.label()),
                format!("AMQP without TLS on port {}", l.port()),
            )
        })
        .collect())
}

/// TLS versions configured on a listener, wherever 3.x puts them in `socket_opts`.
fn tls_versions(l: &Listener) -> Vec<String> {
    let opts = &l.socket_opts;
    let versions = opts
        .get("versions")
        .or_else(|| opts.get("ssl_opts").and_then(|o| o.get("versions")));
    versions
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn net003_tls_versions(rule: &Rule, s: &Snapshot) -> Outcome {
    let mut findings = Vec::new();
    for l in listeners(s)?.iter().filter(|l| l.is_tls()) {
        let old: Vec<String> = tls_versions(l)
            .into_iter()
            .filter(|v| v == "tlsv1" || v == "tlsv1.1")
            .collect();
        if !old.is_empty() {
            findings.push(rule.finding(
                Object::new(Kind::Listener, l.label()),
                format!("TLS versions include {}", old.join(", ")),
            ));
        }
    }
    if let Ok(check) = &s.cert_expiry
        && !check.healthy
    {
        findings.push(rule.finding(
            Object::new(Kind::Cluster, "certificates"),
            format!(
                "a listener's certificate expires within a month: {}",
                check.reason
            ),
        ));
    }
    Ok(findings)
}

fn net004_wildcard_binds(rule: &Rule, s: &Snapshot) -> Outcome {
    Ok(listeners(s)?
        .iter()
        .filter(|l| {
            l.is_wildcard()
                && (l.protocol == "clustering"
                    || l.protocol == "http"
                    || l.protocol == "https"
                    || l.protocol.contains("prometheus"))
        })
        .map(|l| {
            rule.finding(
                Object::new(Kind::Listener, l.label()),
                format!("{} listens on every interface", l.protocol),
            )
        })
        .collect())
}

fn net005_epmd(_rule: &Rule, _s: &Snapshot) -> Outcome {
    Err(not_checked(
        "EPMD reachability is a network property the management API does not report; check \
         from a client host with `nmap -p 4369 <host>`",
    ))
}

fn net006_metrics(rule: &Rule, s: &Snapshot) -> Outcome {
    if !listeners(s)?
        .iter()
        .any(|l| l.protocol.contains("prometheus"))
    {
        return Ok(vec![]);
    }
    let answer = probe(s, |p| &p.metrics)?;
    Ok(if answer.status == 200 {
        vec![rule.finding(
            Object::new(Kind::Listener, &answer.url),
            format!("{} answered without credentials", answer.url),
        )]
    } else {
        vec![]
    })
}

fn net007_cors(rule: &Rule, s: &Snapshot) -> Outcome {
    let answer = probe(s, |p| &p.cors)?;
    Ok(match &answer.allow_origin {
        Some(origin) if origin == "*" || origin.contains("evil.example") => {
            vec![rule.finding(
                Object::new(Kind::Listener, &answer.url),
                format!(
                    "a preflight from https://evil.example was allowed (Access-Control-Allow-Origin: {origin})"
                ),
            )]
        }
        _ => vec![],
    })
}

fn net008_headers(rule: &Rule, s: &Snapshot) -> Outcome {
    let headers = read(&s.ui_headers)?;
    let has = |name: &str| headers.iter().any(|(k, _)| k == name);
    let mut missing = Vec::new();
    if !has("x-frame-options") {
        missing.push("X-Frame-Options");
    }
    if s.target.api_url.starts_with("https://") && !has("strict-transport-security") {
        missing.push("Strict-Transport-Security");
    }
    Ok(if missing.is_empty() {
        vec![]
    } else {
        vec![rule.finding(
            Object::new(Kind::Listener, &s.target.api_url),
            format!("the management UI sends no {}", missing.join(" or ")),
        )]
    })
}

fn res001_alarms(rule: &Rule, s: &Snapshot) -> Outcome {
    let mut findings = Vec::new();
    for n in read(&s.nodes)? {
        for (on, what) in [(n.mem_alarm, "memory"), (n.disk_free_alarm, "disk")] {
            if on {
                findings.push(rule.finding(
                    Object::new(Kind::Node, &n.name),
                    format!("{what} alarm: publishers are blocked"),
                ));
            }
        }
    }
    Ok(findings)
}

fn res002_disk_limit(rule: &Rule, s: &Snapshot) -> Outcome {
    Ok(read(&s.nodes)?
        .iter()
        .filter(|n| n.mem_limit > 0 && n.disk_free_limit < n.mem_limit)
        .map(|n| {
            rule.finding(
                Object::new(Kind::Node, &n.name),
                format!(
                    "disk_free_limit {} MB is below the memory limit {} MB",
                    n.disk_free_limit / 1_000_000,
                    n.mem_limit / 1_000_000
                ),
            )
        })
        .collect())
}

fn res003_memory(rule: &Rule, s: &Snapshot) -> Outcome {
    Ok(read(&s.nodes)?
        .iter()
        .filter(|n| n.mem_limit > 0 && n.mem_used * 10 > n.mem_limit * 8)
        .map(|n| {
            rule.finding(
                Object::new(Kind::Node, &n.name),
                format!(
                    "memory use {} MB is {}% of the limit",
                    n.mem_used / 1_000_000,
                    n.mem_used * 100 / n.mem_limit
                ),
            )
        })
        .collect())
}

const MIN_FILE_DESCRIPTORS: u64 = 50_000;

fn res004_file_descriptors(rule: &Rule, s: &Snapshot) -> Outcome {
    let mut findings = Vec::new();
    for n in read(&s.nodes)? {
        if n.fd_total == 0 {
            continue;
        }
        if n.fd_total < MIN_FILE_DESCRIPTORS {
            findings.push(rule.finding(
                Object::new(Kind::Node, &n.name),
                format!(
                    "file descriptor limit {} is below {MIN_FILE_DESCRIPTORS}",
                    n.fd_total
                ),
            ));
        } else if n.fd_used * 10 > n.fd_total * 8 {
            findings.push(rule.finding(
                Object::new(Kind::Node, &n.name),
                format!("{} of {} file descriptors in use", n.fd_used, n.fd_total),
            ));
        }
    }
    Ok(findings)
}

fn res005_partitions(rule: &Rule, s: &Snapshot) -> Outcome {
    let nodes = read(&s.nodes)?;
    let mut findings = Vec::new();
    for n in nodes {
        if !n.partitions.is_empty() {
            findings.push(rule.finding(
                Object::new(Kind::Node, &n.name),
                format!("partitioned from {} node(s)", n.partitions.len()),
            ));
        }
        if !n.running {
            findings.push(rule.finding(Object::new(Kind::Node, &n.name), "node is not running"));
        }
    }
    if nodes.len() >= 2 && nodes.len() % 2 == 0 {
        findings.push(rule.finding(
            Object::new(Kind::Cluster, "nodes"),
            format!(
                "{} nodes: an even count can't keep a majority in a split",
                nodes.len()
            ),
        ));
    }
    if !findings.is_empty() || nodes.len() < 2 {
        return Ok(findings);
    }
    // Several nodes, none partitioned: the remaining question is how a partition would be
    // handled, which the management API does not report on 3.x or 4.x.
    match nodes
        .iter()
        .find_map(|n| n.cluster_partition_handling.as_deref())
    {
        Some("ignore") => Ok(vec![rule.finding(
            Object::new(Kind::Cluster, "partition handling"),
            "cluster_partition_handling = ignore",
        )]),
        Some(_) => Ok(vec![]),
        None => Err(not_checked(
            "no partitions now, but cluster_partition_handling is not reported by the management \
             API; check rabbitmq.conf",
        )),
    }
}

fn res006_churn(rule: &Rule, s: &Snapshot) -> Outcome {
    let o = read(&s.overview)?;
    let connections = read(&s.connections)?.len() as f64;
    let created = o
        .churn_rates
        .pointer("/connection_created_details/rate")
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    Ok(if connections >= 100.0 && created > connections * 0.1 {
        vec![rule.finding(
            Object::new(Kind::Cluster, &o.cluster_name),
            format!("{created:.1} connections opened per second for {connections} open"),
        )]
    } else {
        vec![]
    })
}

const MAX_CHANNELS: u64 = 100;

fn res007_channels(rule: &Rule, s: &Snapshot) -> Outcome {
    Ok(read(&s.connections)?
        .iter()
        .filter(|c| c.channels > MAX_CHANNELS)
        .map(|c| {
            rule.finding(
                Object::in_vhost(Kind::Connection, &c.vhost, &c.name),
                format!("{} channels open (user `{}`)", c.channels, c.user),
            )
        })
        .collect())
}

fn res008_heartbeats(rule: &Rule, s: &Snapshot) -> Outcome {
    Ok(read(&s.connections)?
        .iter()
        .filter(|c| c.protocol.starts_with("AMQP") && c.timeout == Some(0))
        .map(|c| {
            rule.finding(
                Object::in_vhost(Kind::Connection, &c.vhost, &c.name),
                format!("heartbeats disabled (user `{}`)", c.user),
            )
        })
        .collect())
}

fn res009_vhost_limits(rule: &Rule, s: &Snapshot) -> Outcome {
    let limits = read(&s.vhost_limits)?;
    let mut findings = Vec::new();
    for v in read(&s.vhosts)? {
        let set = limits
            .iter()
            .find(|l| l.vhost.as_deref() == Some(v.name.as_str()));
        let has = |key: &str| {
            set.and_then(|l| l.value.get(key))
                .and_then(Value::as_i64)
                .is_some_and(|n| n >= 0)
        };
        let missing: Vec<&str> = ["max-connections", "max-queues"]
            .into_iter()
            .filter(|k| !has(k))
            .collect();
        if !missing.is_empty() {
            findings.push(rule.finding(
                Object::new(Kind::Vhost, &v.name),
                format!("no {} limit", missing.join(" or ")),
            ));
        }
    }
    Ok(findings)
}

fn stat(value: &Value, key: &str) -> u64 {
    value.get(key).and_then(Value::as_u64).unwrap_or(0)
}

fn res010_waste(rule: &Rule, s: &Snapshot) -> Outcome {
    let mut findings = Vec::new();
    for v in read(&s.vhosts)?.iter().filter(|v| v.tracing) {
        findings.push(rule.finding(
            Object::new(Kind::Vhost, &v.name),
            "tracing (firehose) is on",
        ));
    }
    for q in read(&s.queue_stats)? {
        let polls = stat(&q.message_stats, "get")
            + stat(&q.message_stats, "get_no_ack")
            + stat(&q.message_stats, "get_empty");
        if polls > 0 {
            findings.push(rule.finding(
                Object::in_vhost(Kind::Queue, &q.vhost, &q.name),
                format!("{polls} basic.get calls: consumers are polling"),
            ));
        }
    }
    if let Ok(o) = &s.overview {
        for key in ["drop_unroutable", "return_unroutable"] {
            let n = stat(&o.message_stats, key);
            if n > 0 {
                findings.push(rule.finding(
                    Object::new(Kind::Cluster, &o.cluster_name),
                    format!("{n} messages {key}"),
                ));
            }
        }
    }
    Ok(findings)
}

fn q001_mirroring(rule: &Rule, s: &Snapshot) -> Outcome {
    let mut findings = Vec::new();
    for (label, source) in [
        ("policy", &s.policies),
        ("operator policy", &s.operator_policies),
    ] {
        for p in read(source)? {
            let keys: Vec<&str> = p
                .definition
                .keys()
                .map(String::as_str)
                .filter(|k| k.starts_with("ha-"))
                .collect();
            if !keys.is_empty() {
                findings.push(rule.finding(
                    Object::in_vhost(Kind::Policy, &p.vhost, &p.name),
                    format!(
                        "{label} `{}` mirrors classic queues ({}): removed in 4.0",
                        p.name,
                        keys.join(", ")
                    ),
                ));
            }
        }
    }
    // 3.13+ lists the deprecated features in use; before, the endpoint is absent (404).
    if let Ok(used) = &s.deprecated_used {
        for f in used {
            findings.push(rule.finding(
                Object::new(Kind::Cluster, &f.name),
                format!(
                    "deprecated feature `{}` is in use ({})",
                    f.name, f.deprecation_phase
                ),
            ));
        }
    }
    Ok(findings)
}

/// Queues a per-queue rule should look at: not exclusive (those belong to one connection).
fn lasting_queues(
    s: &Snapshot,
) -> Result<impl Iterator<Item = &super::snapshot::Queue>, NotChecked> {
    Ok(read(&s.queues)?.iter().filter(|q| !q.exclusive))
}

fn q002_non_durable(rule: &Rule, s: &Snapshot) -> Outcome {
    Ok(read(&s.queue_stats)?
        .iter()
        .filter(|q| !q.exclusive && !q.durable && q.messages.unwrap_or(0) > 0)
        .map(|q| {
            rule.finding(
                Object::in_vhost(Kind::Queue, &q.vhost, &q.name),
                format!(
                    "non-durable with {} messages: lost on restart",
                    q.messages.unwrap_or(0)
                ),
            )
        })
        .collect())
}

fn q003_lazy(rule: &Rule, s: &Snapshot) -> Outcome {
    Ok(read(&s.queues)?
        .iter()
        .filter(|q| q.setting("queue-mode").and_then(Value::as_str) == Some("lazy"))
        .map(|q| {
            rule.finding(
                Object::in_vhost(Kind::Queue, &q.vhost, &q.name),
                "queue-mode lazy: no effect from 3.12, declaring it fails on 4.3",
            )
        })
        .collect())
}

fn q004_quorum_replicas(rule: &Rule, s: &Snapshot) -> Outcome {
    let running = read(&s.nodes)?.iter().filter(|n| n.running).count();
    // A single-node broker can't hold more replicas than it has nodes.
    let wanted = running.clamp(1, 3);
    let mut findings = Vec::new();
    for q in read(&s.queues)?.iter().filter(|q| q.kind == "quorum") {
        let members = q.members.as_ref().map(Vec::len).unwrap_or(0);
        let online = q.online.as_ref().map(Vec::len).unwrap_or(0);
        let object = || Object::in_vhost(Kind::Queue, &q.vhost, &q.name);
        if members < wanted {
            findings.push(rule.finding(
                object(),
                format!("{members} replica(s) with {running} nodes running"),
            ));
        }
        if online < members {
            findings.push(rule.finding(object(), format!("{online} of {members} members online")));
        }
        if q.leader.as_deref().is_none_or(str::is_empty) {
            findings.push(rule.finding(object(), "no leader"));
        }
    }
    Ok(findings)
}

fn q005_no_dlx(rule: &Rule, s: &Snapshot) -> Outcome {
    // Without the policies, a setting given by policy would look missing.
    read(&s.policies)?;
    Ok(lasting_queues(s)?
        .filter(|q| q.kind != "stream" && q.setting("dead-letter-exchange").is_none())
        .map(|q| {
            rule.finding(
                Object::in_vhost(Kind::Queue, &q.vhost, &q.name),
                "no dead-letter exchange (argument or policy)",
            )
        })
        .collect())
}

fn q006_unbounded(rule: &Rule, s: &Snapshot) -> Outcome {
    // Without the policies, a setting given by policy would look missing.
    read(&s.policies)?;
    const BOUNDS: [&str; 4] = ["max-length", "max-length-bytes", "message-ttl", "expires"];
    Ok(lasting_queues(s)?
        .filter(|q| q.kind != "stream" && BOUNDS.iter().all(|b| q.setting(b).is_none()))
        .map(|q| {
            rule.finding(
                Object::in_vhost(Kind::Queue, &q.vhost, &q.name),
                "no max-length, max-length-bytes, message-ttl or expires",
            )
        })
        .collect())
}

const BACKLOG: u64 = 1000;

fn q007_backlog(rule: &Rule, s: &Snapshot) -> Outcome {
    Ok(read(&s.queue_stats)?
        .iter()
        .filter(|q| q.messages.unwrap_or(0) >= BACKLOG && q.consumers.unwrap_or(0) == 0)
        .map(|q| {
            rule.finding(
                Object::in_vhost(Kind::Queue, &q.vhost, &q.name),
                format!("{} messages and no consumer", q.messages.unwrap_or(0)),
            )
        })
        .collect())
}

fn consumer_object(c: &super::snapshot::Consumer) -> Object {
    Object::in_vhost(
        Kind::Consumer,
        &c.queue.vhost,
        format!("{} ({})", c.queue.name, c.consumer_tag),
    )
}

fn q008_prefetch_zero(rule: &Rule, s: &Snapshot) -> Outcome {
    Ok(read(&s.consumers)?
        .iter()
        .filter(|c| c.ack_required && c.prefetch_count == 0)
        .map(|c| {
            rule.finding(
                consumer_object(c),
                format!(
                    "unlimited prefetch on queue `{}` (user `{}`, connection {})",
                    c.queue.name, c.channel_details.user, c.channel_details.connection_name
                ),
            )
        })
        .collect())
}

fn q009_auto_ack(rule: &Rule, s: &Snapshot) -> Outcome {
    Ok(read(&s.consumers)?
        .iter()
        .filter(|c| !c.ack_required)
        .map(|c| {
            rule.finding(
                consumer_object(c),
                format!(
                    "auto-ack on queue `{}`: a crash loses delivered messages (user `{}`)",
                    c.queue.name, c.channel_details.user
                ),
            )
        })
        .collect())
}

fn q010_catch_all_policy(rule: &Rule, s: &Snapshot) -> Outcome {
    let mut findings = Vec::new();
    for source in [&s.policies, &s.operator_policies] {
        for p in read(source)?
            .iter()
            .filter(|p| p.pattern.is_empty() || is_wildcard(&p.pattern) || p.pattern == "^")
        {
            findings.push(rule.finding(
                Object::in_vhost(Kind::Policy, &p.vhost, &p.name),
                format!(
                    "pattern `{}` matches everything: it shadows any other policy of lower priority",
                    p.pattern
                ),
            ));
        }
    }
    Ok(findings)
}

fn q011_upgrade_blockers(rule: &Rule, s: &Snapshot) -> Outcome {
    let mut findings = Vec::new();
    for f in read(&s.feature_flags)? {
        if f.state != "enabled" && f.stability != "experimental" {
            findings.push(rule.finding(
                Object::new(Kind::Cluster, &f.name),
                format!("feature flag `{}` is {}", f.name, f.state),
            ));
        }
    }
    for n in read(&s.nodes)?.iter().filter(|n| n.kind == "ram") {
        findings.push(rule.finding(Object::new(Kind::Node, &n.name), "RAM node"));
    }
    if let Ok(channels) = &s.channels {
        for c in channels.iter().filter(|c| c.global_prefetch_count > 0) {
            findings.push(rule.finding(
                Object::in_vhost(Kind::Channel, &c.vhost, &c.name),
                format!(
                    "global prefetch {} (per-channel qos is deprecated)",
                    c.global_prefetch_count
                ),
            ));
        }
    }
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::super::snapshot::{ProbeAnswer, Probes, WhoAmI};
    use super::super::{Selection, Status, evaluate};
    use super::*;

    use super::super::fixtures::planted;

    fn run(id: &str, s: &Snapshot) -> Outcome {
        let rule = find(id).unwrap();
        (rule.check)(rule, s)
    }

    fn names(id: &str, s: &Snapshot) -> Vec<String> {
        run(id, s)
            .unwrap_or_else(|e| panic!("{id} not checked: {}", e.0))
            .iter()
            .map(|f| f.object.to_string())
            .collect()
    }

    fn has(id: &str, s: &Snapshot, object: &str) -> bool {
        names(id, s).iter().any(|n| n == object)
    }

    #[test]
    fn catalogue_is_well_formed() {
        assert!(CATALOGUE.len() >= 30);
        let mut ids: Vec<&str> = CATALOGUE.iter().map(|r| r.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), CATALOGUE.len(), "duplicate rule ids");
        for r in CATALOGUE {
            assert!(r.doc.starts_with("https://www.rabbitmq.com/"), "{}", r.id);
            assert!(!r.title.is_empty() && !r.fix.is_empty(), "{}", r.id);
        }
    }

    #[test]
    fn planted_problems_are_found() {
        let s = planted();
        assert!(has("SEC002", &s, "user guest"));
        assert!(has("SEC003", &s, "user weakling"));
        assert!(has("SEC003", &s, "user bob"));
        assert!(!has("SEC003", &s, "user app-admin"));
        assert!(!has("SEC003", &s, "user warren-admin"));
        let sec005 = run("SEC005", &s).unwrap();
        assert!(
            sec005
                .iter()
                .any(|f| f.object.kind == Kind::Connection && f.message.contains("app-admin")),
            "{sec005:#?}"
        );
        assert!(has("SEC007", &s, "permission planted/weakling"));
        assert!(!has("SEC007", &s, "permission planted/app-admin"));
        assert!(has("SEC009", &s, "user bob"));
        assert!(has("SEC012", &s, "parameter planted/leaky"));
        assert!(has("Q001", &s, "policy planted/ha-all"));
        assert!(has("Q003", &s, "queue planted/lazy-q"));
        assert!(has("Q005", &s, "queue planted/plain-q"));
        assert!(!has("Q005", &s, "queue planted/consumed"));
        assert!(has("Q006", &s, "queue planted/plain-q"));
        assert!(!has("Q006", &s, "queue planted/consumed"));
        assert!(has("Q008", &s, "consumer planted/consumed (no-prefetch)"));
        assert!(!has("Q008", &s, "consumer planted/consumed (auto-acker)"));
        assert!(has("Q009", &s, "consumer planted/consumed (auto-acker)"));
        assert!(has("RES009", &s, "vhost planted"));
        assert!(has("RES009", &s, "vhost /"));
        assert!(
            names("NET001", &s)
                .iter()
                .any(|n| n.starts_with("listener http"))
        );
        assert!(
            names("NET002", &s)
                .iter()
                .any(|n| n.starts_with("listener amqp"))
        );
        assert!(
            names("SEC014", &s)
                .iter()
                .any(|n| n.starts_with("cluster warren-audit-planted"))
        );
        // Nothing planted for these.
        for id in ["SEC010", "SEC013", "RES001", "Q004", "SEC006"] {
            assert_eq!(run(id, &s).map(|f| f.len()).unwrap_or(0), 0, "{id}");
        }
    }

    #[test]
    fn secrets_never_reach_a_message() {
        let s = planted();
        for r in evaluate(&s, &Selection::default()) {
            for f in r.findings {
                let text = format!("{} {}", f.object, f.message);
                assert!(!text.contains("s3cret-shovel-pw"), "{text}");
                assert!(!text.contains("bob123"), "{text}");
            }
        }
    }

    #[test]
    fn unreadable_sources_are_not_checked_never_passed() {
        let mut s = planted();
        s.users = Err(NotChecked("user `mon` may not read /api/users".into()));
        s.permissions = Err(NotChecked(
            "user `mon` may not read /api/permissions".into(),
        ));
        let results = evaluate(&s, &Selection::default());
        for id in ["SEC002", "SEC003", "SEC004", "SEC005", "SEC006", "SEC007"] {
            let r = results.iter().find(|r| r.id == id).unwrap();
            assert_eq!(r.status, Status::NotChecked, "{id}");
            assert!(r.reason.as_deref().unwrap().contains("mon"), "{id}");
        }
    }

    #[test]
    fn a_partial_view_turns_per_vhost_passes_into_not_checked() {
        let mut s = planted();
        s.whoami = Ok(WhoAmI {
            name: "app".into(),
            tags: serde_json::json!(["management"]),
        });
        let results = evaluate(&s, &Selection::default());
        let status = |id: &str| results.iter().find(|r| r.id == id).unwrap().status;
        // Q004 has nothing to report on the visible queues: not a pass.
        assert_eq!(status("Q004"), Status::NotChecked);
        // Findings on what is visible are still findings.
        assert_eq!(status("Q003"), Status::Finding);
        // Broker-wide rules are unaffected.
        assert_eq!(status("SEC010"), Status::Pass);
    }

    fn with_probes(loopback: bool, guest: u16, origin: Option<&str>) -> Snapshot {
        let mut s = planted();
        s.target.loopback = loopback;
        s.target.host = if loopback { "localhost" } else { "10.1.2.3" }.into();
        let answer = |status: u16, origin: Option<&str>| ProbeAnswer {
            url: "http://10.1.2.3:15672/api/whoami".into(),
            status,
            allow_origin: origin.map(str::to_string),
        };
        s.probes = Some(Probes {
            guest_login: Ok(answer(guest, None)),
            cors: Ok(answer(204, origin)),
            metrics: Err(NotChecked("no prometheus listener".into())),
        });
        s
    }

    #[test]
    fn guest_probe_counts_only_from_a_non_loopback_address() {
        assert!(run("SEC001", &planted()).is_err(), "no probe: not checked");
        assert!(run("SEC001", &with_probes(true, 200, None)).is_err());
        assert_eq!(
            run("SEC001", &with_probes(false, 200, None)).unwrap().len(),
            1
        );
        assert!(
            run("SEC001", &with_probes(false, 401, None))
                .unwrap()
                .is_empty()
        );
        let mut no_guest = with_probes(false, 200, None);
        no_guest
            .users
            .as_mut()
            .unwrap()
            .retain(|u| u.name != "guest");
        assert!(run("SEC001", &no_guest).unwrap().is_empty());
    }

    #[test]
    fn cors_echo_or_star_is_a_finding() {
        let s = with_probes(true, 401, Some("https://evil.example"));
        assert_eq!(run("NET007", &s).unwrap().len(), 1);
        assert_eq!(
            run("NET007", &with_probes(true, 401, Some("*")))
                .unwrap()
                .len(),
            1
        );
        assert!(
            run("NET007", &with_probes(true, 401, None))
                .unwrap()
                .is_empty()
        );
        // The planted node has no prometheus listener: nothing to expose.
        assert!(run("NET006", &s).unwrap().is_empty());
    }

    fn node(name: &str, running: bool) -> super::super::snapshot::NodeInfo {
        serde_json::from_value(
            serde_json::json!({"name": name, "running": running, "type": "disc"}),
        )
        .unwrap()
    }

    #[test]
    fn partitions_and_node_counts() {
        let mut s = planted();
        s.nodes = Ok(vec![node("a", true), node("b", true)]);
        assert_eq!(run("RES005", &s).unwrap().len(), 1, "even count");
        s.nodes = Ok(vec![node("a", true), node("b", true), node("c", true)]);
        let why = run("RES005", &s).unwrap_err();
        assert!(why.0.contains("cluster_partition_handling"), "{}", why.0);
        s.nodes = Ok(vec![node("a", true), node("b", false), node("c", true)]);
        assert_eq!(run("RES005", &s).unwrap().len(), 1);
        // One node: nothing to partition.
        assert!(run("RES005", &planted()).unwrap().is_empty());
    }

    #[test]
    fn quorum_replicas_are_judged_against_the_nodes_running() {
        let mut s = planted();
        s.queues = Ok(vec![
            serde_json::from_value(serde_json::json!({
                "name": "qq", "vhost": "/", "type": "quorum", "durable": true,
                "members": ["a"], "online": ["a"], "leader": "a"
            }))
            .unwrap(),
        ]);
        s.nodes = Ok(vec![node("a", true)]);
        assert!(run("Q004", &s).unwrap().is_empty(), "one node, one replica");
        s.nodes = Ok(vec![node("a", true), node("b", true), node("c", true)]);
        assert_eq!(run("Q004", &s).unwrap().len(), 1);
    }

    #[test]
    fn support_status_comes_from_the_version() {
        assert!(series("3.10.8") < Some(OLDEST_SUPPORTED));
        assert!(series("4.2.1") >= Some(OLDEST_SUPPORTED));
        assert_eq!(series("4.1.0-rc.1"), Some((4, 1)));
        assert_eq!(series("garbage"), None);
    }

    #[test]
    fn uri_problems() {
        assert!(uri_problem("amqp://u:p@localhost/v").is_some());
        assert!(uri_problem("amqp://remote.example/v").is_some());
        assert!(uri_problem("amqps://remote.example/v?auth_mechanism=external").is_none());
        assert!(uri_problem("amqp:///planted").is_none());
        let p = uri_problem("amqps://u:hunter2@remote/v").unwrap();
        assert!(!p.contains("hunter2"));
    }
}
