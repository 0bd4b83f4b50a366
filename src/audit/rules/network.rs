//! Network rules (NET...): listeners, TLS, exposed endpoints and HTTP headers.
//! Each rule's catalogue entry stands right above its check.

use super::*;

/// This file's rules, in catalogue order.
pub const RULES: &[Rule] = &[
    NET001, NET002, NET003, NET004, NET005, NET006, NET007, NET008,
];

const NET001: Rule = Rule {
    id: "NET001",
    severity: Severity::High,
    title: "the management API is served over plain HTTP",
    fix: "management.ssl.port = 15671 (with certificates) and management.tcp = none",
    doc: "https://www.rabbitmq.com/docs/management#single-listener-https",
    scope: Scope::Broker,
    check: net001_plain_http,
};

fn net001_plain_http(rule: &Rule, s: &Snapshot) -> Outcome {
    Ok(listeners(s)?
        .iter()
        .filter(|l| l.protocol == "http" && !l.is_loopback())
        .map(|l| {
            rule.finding(
                Object::new(Kind::Listener, l.label()),
                format!(
                    "management over plain HTTP on port {}: credentials cross the network in clear",
                    l.shown_port()
                ),
            )
        })
        .collect())
}

const NET002: Rule = Rule {
    id: "NET002",
    severity: Severity::High,
    title: "AMQP is served without TLS",
    fix: "listeners.ssl.default = 5671 and listeners.tcp = none",
    doc: "https://www.rabbitmq.com/docs/ssl",
    scope: Scope::Broker,
    check: net002_plain_amqp,
};

fn net002_plain_amqp(rule: &Rule, s: &Snapshot) -> Outcome {
    Ok(listeners(s)?
        .iter()
        .filter(|l| l.protocol == "amqp" && !l.is_loopback())
        .map(|l| {
            rule.finding(
                Object::new(Kind::Listener, l.label()),
                format!("AMQP without TLS on port {}", l.shown_port()),
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

const NET003: Rule = Rule {
    id: "NET003",
    severity: Severity::Medium,
    title: "a TLS listener allows TLS 1.0/1.1, or a certificate expires within a month",
    fix: "ssl_options.versions.1 = tlsv1.3, ssl_options.versions.2 = tlsv1.2; renew certificates",
    doc: "https://www.rabbitmq.com/docs/ssl#tls-versions",
    scope: Scope::Broker,
    check: net003_tls_versions,
};

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

const NET004: Rule = Rule {
    id: "NET004",
    severity: Severity::Medium,
    title: "clustering, HTTP or metrics listener bound to every interface",
    fix: "bind to one interface (management.tcp.ip, prometheus.tcp.ip) and firewall the ports",
    doc: "https://www.rabbitmq.com/docs/networking#interfaces",
    scope: Scope::Broker,
    check: net004_wildcard_binds,
};

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

const NET005: Rule = Rule {
    id: "NET005",
    severity: Severity::High,
    title: "EPMD (port 4369) is reachable from clients",
    fix: "firewall 4369 and the distribution port; use inter-node TLS",
    doc: "https://www.rabbitmq.com/docs/networking#epmd",
    scope: Scope::Broker,
    check: net005_epmd,
};

/// EPMD answers NAMES to anyone who connects, naming every node and its distribution port:
/// the first step to the Erlang cookie attacks. The probe dials port 4369 as a remote client
/// would (for a loopback target, this machine's non-loopback address); the management API
/// doesn't report EPMD at all.
fn net005_epmd(rule: &Rule, s: &Snapshot) -> Outcome {
    let Some(probes) = &s.probes else {
        return Err(not_checked(
            "EPMD reachability is a network property the management API does not report: run \
             with --probe (it connects to port 4369 of the broker's host)",
        ));
    };
    let remote = read(&probes.epmd)?;
    Ok(match &remote.reach {
        Reach::Answered(names) => vec![rule.finding(
            Object::new(Kind::Listener, format!("epmd {}", remote.dialled)),
            format!(
                "EPMD answered NAMES at {} and disclosed {}",
                remote.described(),
                names.listing()
            ),
        )],
        Reach::Unreachable(_) => vec![],
    })
}

const NET006: Rule = Rule {
    id: "NET006",
    severity: Severity::Medium,
    title: "the Prometheus metrics endpoint answers without credentials",
    fix: "prometheus.tcp.ip = 127.0.0.1 or put it behind authentication / a firewall",
    doc: "https://www.rabbitmq.com/docs/prometheus",
    scope: Scope::Broker,
    check: net006_metrics,
};

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

const NET007: Rule = Rule {
    id: "NET007",
    severity: Severity::High,
    title: "the management API allows cross-origin requests from any site",
    fix: "remove management.cors.allow_origins (or list only trusted origins, never *)",
    doc: "https://www.rabbitmq.com/docs/management#cors",
    scope: Scope::Broker,
    check: net007_cors,
};

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

const NET008: Rule = Rule {
    id: "NET008",
    severity: Severity::Low,
    title: "the management UI sends no X-Frame-Options (or, over HTTPS, no HSTS) header",
    fix: "management.headers.frame_options = DENY; management.hsts.policy = max-age=31536000",
    doc: "https://www.rabbitmq.com/docs/management#hsts",
    scope: Scope::Broker,
    check: net008_headers,
};

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

#[cfg(test)]
mod tests {
    use crate::audit::rules::testing::*;

    #[test]
    fn epmd_answering_names_is_a_finding() {
        use crate::audit::snapshot::{EpmdNames, EpmdNode};
        let mut s = with_probes(true, 401, None);
        assert!(run("NET005", &s).unwrap().is_empty(), "unreachable: a pass");
        if let Some(Ok(remote)) = s.probes.as_mut().map(|p| &mut p.epmd) {
            remote.reach = Reach::Answered(EpmdNames {
                epmd_port: 4369,
                nodes: vec![EpmdNode {
                    name: "rabbit".into(),
                    port: 25672,
                }],
                truncated: false,
            });
        }
        let found = run("NET005", &s).unwrap();
        assert_eq!(found.len(), 1);
        assert!(
            found[0]
                .message
                .contains("rabbit (distribution port 25672)"),
            "{found:?}"
        );
        assert!(found[0].message.contains("10.1.2.3"), "{found:?}");
        let reason = run("NET005", &planted()).unwrap_err().0;
        assert!(reason.contains("--probe"), "{reason}");
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
}
