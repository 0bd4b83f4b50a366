//! Security rules (SEC...): users, passwords, permissions, credentials and versions.
//! Each rule's catalogue entry stands right above its check.

use super::*;

/// This file's rules, in catalogue order.
pub const RULES: &[Rule] = &[
    SEC001, SEC002, SEC003, SEC004, SEC005, SEC006, SEC007, SEC008, SEC009, SEC010, SEC011, SEC012,
    SEC013, SEC014,
];

const SEC001: Rule = Rule {
    id: "SEC001",
    severity: Severity::Critical,
    title: "guest:guest is accepted from a non-loopback address",
    fix: "rabbitmqctl delete_user guest; never set loopback_users = none",
    doc: "https://www.rabbitmq.com/docs/access-control#loopback-users",
    scope: Scope::Broker,
    check: sec001_guest_login,
};

/// The probe dials as a remote client would (for a loopback target, this machine's
/// non-loopback address: guest may log in from loopback by default). No connection there
/// means no remote login either: a pass, which the probe's note explains.
fn sec001_guest_login(rule: &Rule, s: &Snapshot) -> Outcome {
    if let Ok(users) = &s.users
        && !users.iter().any(|u| u.name == "guest")
    {
        return Ok(vec![]);
    }
    let remote = probe(s, |p| &p.guest_login)?;
    Ok(match &remote.reach {
        Reach::Answered(answer) if answer.status == 200 => vec![rule.finding(
            Object::new(Kind::User, "guest"),
            format!(
                "guest:guest logged in from a non-loopback address: {}",
                remote.described()
            ),
        )],
        Reach::Answered(_) | Reach::Unreachable(_) => vec![],
    })
}

const SEC002: Rule = Rule {
    id: "SEC002",
    severity: Severity::Medium,
    title: "the default guest user exists",
    fix: "rabbitmqctl delete_user guest",
    doc: "https://www.rabbitmq.com/docs/access-control#default-state",
    scope: Scope::Broker,
    check: sec002_guest_exists,
};

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

const SEC003: Rule = Rule {
    id: "SEC003",
    severity: Severity::High,
    title: "a user's password is a common password or a variant of its name",
    fix: "rabbitmqctl change_password <user>; set credential_validator.min_length",
    doc: "https://www.rabbitmq.com/docs/passwords",
    scope: Scope::Broker,
    check: sec003_weak_passwords,
};

fn sec003_weak_passwords(rule: &Rule, s: &Snapshot) -> Outcome {
    let mut findings = Vec::new();
    let mut unknown = Vec::new();
    let users = read(&s.users)?;
    // Vhost names are candidates too; when they can't be read the rest is still checked.
    // The fetch has usually worked the verdicts out already, during the rate window.
    let verdicts = match &s.password_verdicts {
        Some(v) if v.len() == users.len() => v.clone(),
        _ => password::assess(
            users,
            s.vhosts.as_deref().unwrap_or_default(),
            &s.extra_passwords,
        ),
    };
    for (u, verdict) in users.iter().zip(verdicts) {
        match verdict {
            Verdict::Weak => findings.push(rule.finding(
                Object::new(Kind::User, &u.name),
                format!(
                    "the password of `{}` is a common password, a variant of the user name, a \
                     vhost name or on --password-list (found offline from its hash; no login \
                     was tried)",
                    u.name
                ),
            )),
            Verdict::Unknown(why) => unknown.push(format!("{}: {why}", u.name)),
            Verdict::NotWeak | Verdict::NoPassword => {}
        }
    }
    unless_unknown(findings, &unknown, "a password hash that can be checked")
}

const SEC004: Rule = Rule {
    id: "SEC004",
    severity: Severity::Medium,
    title: "password hashed with MD5, or a user without a password",
    fix: "password_hashing_module = rabbit_password_hashing_sha512, then reset the password",
    doc: "https://www.rabbitmq.com/docs/passwords#computing-password-hash",
    scope: Scope::Broker,
    check: sec004_hashing,
};

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

const SEC005: Rule = Rule {
    id: "SEC005",
    severity: Severity::High,
    title: "too many administrators, or an application connected as an administrator",
    fix: "rabbitmqctl set_user_tags <app-user> (no tags); keep at most two administrators",
    doc: "https://www.rabbitmq.com/docs/management#permissions",
    scope: Scope::Broker,
    check: sec005_administrators,
};

fn sec005_administrators(rule: &Rule, s: &Snapshot) -> Outcome {
    let admins = s.administrators()?;
    let mut findings = Vec::new();
    findings.extend(rule.against(
        s,
        &SEC005_ADMINISTRATORS,
        admins.len() as f64,
        Object::new(Kind::Cluster, "users"),
        &format!(
            "{} users are administrators: {}",
            admins.len(),
            admins.join(", ")
        ),
    ));
    match &s.connections {
        Ok(connections) => {
            for c in connections
                .iter()
                .filter(|c| admins.contains(&c.user.as_str()))
            {
                let message = match connected_by(c) {
                    ConnectedBy::Shovel(name) => format!(
                        "the shovel `{name}` is connected as the administrator `{}`: give the \
                         shovel's URI a user of its own, without the administrator tag",
                        c.user
                    ),
                    ConnectedBy::Federation(link) => format!(
                        "a {link} is connected as the administrator `{}`: give the upstream's \
                         URI a user of its own, without the administrator tag",
                        c.user
                    ),
                    ConnectedBy::Application => format!(
                        "an application is connected as the administrator `{}`",
                        c.user
                    ),
                    ConnectedBy::Unknown => format!(
                        "a client is connected as the administrator `{}` (the connection list \
                         doesn't say whether a shovel, a federation link or an application \
                         opened it: no client_properties)",
                        c.user
                    ),
                };
                findings.push(rule.finding(
                    Object::in_vhost(Kind::Connection, &c.vhost, &c.name),
                    message,
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

/// Who opened a connection.
enum ConnectedBy<'a> {
    Shovel(&'a str),
    /// `federation link (upstream: U, policy: P)`.
    Federation(String),
    Application,
    /// The list has no `client_properties` (statistics off): nothing says who.
    Unknown,
}

/// The shovel and federation plugins name their connections in `client_properties`:
/// `connection_name` is `Shovel <name>` or `Federation link (upstream: <u>, policy: <p>)`,
/// on network connections (whose `product` is `RabbitMQ`, the Erlang client) and direct ones
/// alike (3.10.8 and 4.0.5 checked). A name without the Erlang client's product, on a network
/// connection, is an application's own choice. A list without `client_properties` says
/// nothing either way.
fn connected_by(c: &crate::audit::snapshot::Connection) -> ConnectedBy<'_> {
    if c.client_properties.is_none() {
        return ConnectedBy::Unknown;
    }
    let internal = c
        .protocol
        .as_deref()
        .is_some_and(|p| p.starts_with("Direct"))
        || c.client_product() == Some("RabbitMQ");
    match c.client_name() {
        Some(name) if internal => {
            if let Some(shovel) = name.strip_prefix("Shovel ") {
                ConnectedBy::Shovel(shovel)
            } else if let Some(link) = name.strip_prefix("Federation link") {
                ConnectedBy::Federation(format!("federation link{link}"))
            } else {
                ConnectedBy::Application
            }
        }
        _ => ConnectedBy::Application,
    }
}

const SEC006: Rule = Rule {
    id: "SEC006",
    severity: Severity::Low,
    title: "a user has the impersonator tag",
    fix: "rabbitmqctl set_user_tags <user> without impersonator",
    doc: "https://www.rabbitmq.com/docs/validated-user-id",
    scope: Scope::Broker,
    check: sec006_impersonator,
};

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

const SEC007: Rule = Rule {
    id: "SEC007",
    severity: Severity::Medium,
    title: "a non-administrator has wildcard (.*) permissions",
    fix: "rabbitmqctl set_permissions -p <vhost> <user> with narrow regexes (e.g. '^orders\\.')",
    doc: "https://www.rabbitmq.com/docs/access-control#authorisation",
    scope: Scope::Broker,
    check: sec007_wildcard_permissions,
};

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

const SEC008: Rule = Rule {
    id: "SEC008",
    severity: Severity::Low,
    title: "MQTT or STOMP listeners without any topic permissions",
    fix: "rabbitmqctl set_topic_permissions -p <vhost> <user> <exchange> <write> <read>",
    doc: "https://www.rabbitmq.com/docs/access-control#topic-authorisation",
    scope: Scope::Broker,
    check: sec008_topic_permissions,
};

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

const SEC009: Rule = Rule {
    id: "SEC009",
    severity: Severity::Low,
    title: "a user has no permissions anywhere",
    fix: "rabbitmqctl delete_user <user> if it is unused",
    doc: "https://www.rabbitmq.com/docs/access-control",
    scope: Scope::Broker,
    check: sec009_users_without_permissions,
};

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

const SEC010: Rule = Rule {
    id: "SEC010",
    severity: Severity::High,
    title: "the ANONYMOUS authentication mechanism is enabled",
    fix: "auth_mechanisms.1 = PLAIN (without ANONYMOUS); anonymous_login_user = none",
    doc: "https://www.rabbitmq.com/docs/access-control#anonymous-connections",
    scope: Scope::Broker,
    check: sec010_anonymous,
};

fn sec010_anonymous(rule: &Rule, s: &Snapshot) -> Outcome {
    per_node(
        s,
        "its authentication mechanisms",
        |n| {
            let mechanisms = n.auth_mechanisms.as_ref()?;
            Some(
                mechanisms
                    .iter()
                    .any(|m| m.name == "ANONYMOUS" && m.enabled),
            )
        },
        |n, anonymous| {
            anonymous
                .then(|| {
                    node_finding(
                        rule,
                        n,
                        "ANONYMOUS is enabled: clients can connect without credentials (default \
                         on 4.x)",
                    )
                })
                .into_iter()
                .collect()
        },
    )
}

/// This file's tunable figures (`warren audit rules`, `--set`).
pub const THRESHOLDS: &[Threshold] = &[SEC005_ADMINISTRATORS, SEC011_RATE];

const SEC005_ADMINISTRATORS: Threshold = Threshold {
    rule: "SEC005",
    name: "administrators",
    default: 3.0,
    unit: "users",
    meaning: "users with the administrator tag",
};

const SEC011_RATE: Threshold = Threshold {
    rule: "SEC011",
    name: "failed_per_second",
    default: 1.0,
    unit: "failed logins per second",
    meaning: "failed authentication attempts per second on a node and protocol, over the \
              audit's --rate-window",
};

const SEC011: Rule = Rule {
    id: "SEC011",
    severity: Severity::Medium,
    title: "failed authentication attempts now (1 or more per second by default)",
    fix: "find the client with rabbitmqctl list_auth_attempts / logs; firewall it",
    doc: "https://www.rabbitmq.com/docs/access-control#auth-attempts",
    scope: Scope::Broker,
    check: sec011_failed_auth,
};

/// The counters of `/api/auth/attempts/{node}` are lifetime totals, so a burst long ago and
/// an attack now look alike; the rate between two reads `--rate-window` apart tells them
/// apart.
fn sec011_failed_auth(rule: &Rule, s: &Snapshot) -> Outcome {
    let sample = read(&s.auth_attempts)?;
    let (rates, unknown) = sample.rates();
    let findings = rates
        .iter()
        .filter_map(|r| {
            let what = format!(
                "{:.1} failed {} logins per second ({} of {} attempts failed in {:.1} s)",
                r.failed_per_second, r.protocol, r.failed, r.attempts, sample.seconds
            );
            rule.against(
                s,
                &SEC011_RATE,
                r.failed_per_second,
                Object::new(Kind::Node, &r.node),
                &what,
            )
        })
        .collect();
    unless_unknown(
        findings,
        &unknown,
        "both reads of their authentication counters",
    )
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
    if parsed.scheme() == "amqp" && !host.is_empty() && !crate::broker::settings::is_loopback(host)
    {
        return Some(format!("uses plain amqp:// to the remote host {host}"));
    }
    None
}

const SEC012: Rule = Rule {
    id: "SEC012",
    severity: Severity::High,
    title: "a shovel or federation URI holds a password or uses plain amqp:// to a remote host",
    fix: "use amqps:// with x509 (EXTERNAL) credentials instead of user:password@ in the URI",
    doc: "https://www.rabbitmq.com/docs/shovel-dynamic",
    scope: Scope::PerVhost,
    check: sec012_uri_credentials,
};

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

const SEC013: Rule = Rule {
    id: "SEC013",
    severity: Severity::High,
    title: "the unauthenticated /api/auth exposes an OAuth client secret",
    fix: "upgrade (removed in 4.3) and rotate the OAuth client secret",
    doc: "https://www.rabbitmq.com/docs/management#oauth2-authentication",
    scope: Scope::Broker,
    check: sec013_oauth_secret,
};

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

const SEC014: Rule = Rule {
    id: "SEC014",
    severity: Severity::High,
    title: "the RabbitMQ version is out of community support",
    fix: "upgrade to a supported release series",
    doc: "https://www.rabbitmq.com/release-information",
    scope: Scope::Broker,
    check: sec014_version,
};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::rules::testing::*;

    #[test]
    fn shovels_and_federation_links_connected_as_administrators_are_named() {
        // client_properties as 3.10.8 and 4.0.5 show them for a shovel's and a federation
        // link's network connections (tests/audit_findings.rs plants both).
        let connection = |name: &str, properties: Value| {
            serde_json::from_value::<crate::audit::snapshot::Connection>(serde_json::json!({
                "name": name, "vhost": "v", "user": "app-admin", "protocol": "AMQP 0-9-1",
                "client_properties": properties
            }))
            .unwrap()
        };
        let mut s = planted();
        s.connections = Ok(vec![
            connection(
                "shovel",
                serde_json::json!({"connection_name": "Shovel admin-shovel", "product": "RabbitMQ", "platform": "Erlang"}),
            ),
            connection(
                "federation",
                serde_json::json!({"connection_name": "Federation link (upstream: up, policy: fed)", "product": "RabbitMQ", "platform": "Erlang"}),
            ),
            // An application may call its connection anything.
            connection(
                "app",
                serde_json::json!({"connection_name": "Shovel lookalike", "product": "my-app"}),
            ),
            // A list without client_properties doesn't say what opened the connection.
            connection("unsaid", Value::Null),
        ]);
        let messages: BTreeMap<String, String> = run("SEC005", &s)
            .unwrap()
            .into_iter()
            .filter(|f| f.object.kind == Kind::Connection)
            .map(|f| (f.object.name, f.message))
            .collect();
        assert!(
            messages["shovel"].starts_with(
                "the shovel `admin-shovel` is connected as the administrator `app-admin`"
            ),
            "{messages:#?}"
        );
        assert!(
            messages["federation"].starts_with(
                "a federation link (upstream: up, policy: fed) is connected as the administrator `app-admin`"
            ),
            "{messages:#?}"
        );
        assert!(
            messages["app"].starts_with("an application is connected"),
            "{messages:#?}"
        );
        assert!(
            messages["unsaid"].starts_with(
                "a client is connected as the administrator `app-admin` (the connection list \
                 doesn't say whether a shovel, a federation link or an application"
            ),
            "{messages:#?}"
        );
    }

    #[test]
    fn the_administrator_count_is_a_threshold() {
        let mut s = planted();
        s.connections = Ok(vec![]);
        s.users = Ok(["a", "b", "c"]
            .iter()
            .map(|name| {
                serde_json::from_value(serde_json::json!({"name": name, "tags": ["administrator"]}))
                    .unwrap()
            })
            .collect());
        let found = run("SEC005", &s).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].message,
            "3 users are administrators: a, b, c (threshold SEC005.administrators = 3)"
        );
        s.limits = crate::audit::thresholds::Limits::parse(
            &["SEC005.administrators=4".into()],
            super::THRESHOLDS,
        )
        .unwrap();
        assert!(run("SEC005", &s).unwrap().is_empty());
    }

    #[test]
    fn guest_probe_counts_only_from_a_non_loopback_address() {
        assert!(run("SEC001", &planted()).is_err(), "no probe: not checked");
        let found = run("SEC001", &with_probes(true, 200, None)).unwrap();
        assert_eq!(found.len(), 1);
        assert!(found[0].message.contains("10.1.2.3"), "{found:?}");
        assert!(found[0].message.contains("non-loopback"), "{found:?}");
        assert_eq!(
            run("SEC001", &with_probes(false, 200, None)).unwrap().len(),
            1
        );
        assert!(
            run("SEC001", &with_probes(false, 401, None))
                .unwrap()
                .is_empty()
        );
        // The listener accepts no connection there: no remote login, a pass.
        let mut closed = with_probes(true, 200, None);
        if let Some(Ok(remote)) = closed.probes.as_mut().map(|p| &mut p.guest_login) {
            remote.reach = Reach::Unreachable("Connection refused (os error 111)".into());
        }
        assert!(run("SEC001", &closed).unwrap().is_empty());
        // No address to stand in for a remote client: not checked, never passed.
        let mut nowhere = with_probes(true, 200, None);
        if let Some(p) = nowhere.probes.as_mut() {
            p.guest_login = Err(NotChecked("no non-loopback address".into()));
        }
        assert!(run("SEC001", &nowhere).is_err());
        let mut no_guest = with_probes(false, 200, None);
        no_guest
            .users
            .as_mut()
            .unwrap()
            .retain(|u| u.name != "guest");
        assert!(run("SEC001", &no_guest).unwrap().is_empty());
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
