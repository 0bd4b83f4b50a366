//! The audit's results as a table grouped by severity, as JSON/YAML, and as SARIF 2.1.0 for
//! GitHub code scanning and similar tools. Pure: no I/O.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use super::rules::CATALOGUE;
use super::{RuleResult, Severity, Status};
use crate::output::{self, Render};

/// The whole audit result.
#[derive(Serialize, Debug)]
pub struct Report {
    /// The management API audited (never with credentials).
    pub target: String,
    /// The user the audit read the broker as.
    pub user: String,
    pub rabbitmq_version: Option<String>,
    /// The cluster's name (`/api/overview`): names the broker in SARIF locations and
    /// fingerprints, whichever node or URL the audit went through.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
    /// Whether the active probes ran (`--probe`).
    pub probes: bool,
    pub summary: Summary,
    pub rules: Vec<RuleResult>,
}

#[derive(Serialize, Debug, Default)]
pub struct Summary {
    /// Findings per severity (only severities with findings).
    pub findings: BTreeMap<Severity, usize>,
    pub rules_with_findings: usize,
    pub passed: usize,
    pub not_checked: usize,
}

impl Report {
    pub fn new(
        target: String,
        user: String,
        rabbitmq_version: Option<String>,
        probes: bool,
        rules: Vec<RuleResult>,
    ) -> Report {
        let mut summary = Summary::default();
        for r in &rules {
            match r.status {
                Status::Finding => summary.rules_with_findings += 1,
                Status::Pass => summary.passed += 1,
                Status::NotChecked => summary.not_checked += 1,
            }
            for f in &r.findings {
                *summary.findings.entry(f.severity).or_default() += 1;
            }
        }
        Report {
            target,
            user,
            rabbitmq_version,
            cluster_name: None,
            probes,
            summary,
            rules,
        }
    }

    /// The broker's cluster name, when it could be read.
    pub fn with_cluster_name(mut self, name: Option<String>) -> Report {
        self.cluster_name = name.filter(|n| !n.is_empty());
        self
    }

    /// How SARIF names the broker: its cluster name, else the management API's URL.
    fn broker(&self) -> &str {
        self.cluster_name.as_deref().unwrap_or(&self.target)
    }

    /// The number of findings at or above `threshold`.
    pub fn count_at_or_above(&self, threshold: Severity) -> usize {
        self.summary
            .findings
            .iter()
            .filter(|(s, _)| **s >= threshold)
            .map(|(_, n)| n)
            .sum()
    }
}

impl Render for Report {
    fn human(&self) -> String {
        let mut out = format!(
            "Audit of {} as `{}`{}{}\n",
            self.target,
            self.user,
            self.rabbitmq_version
                .as_ref()
                .map(|v| format!(", RabbitMQ {v}"))
                .unwrap_or_default(),
            if self.probes {
                ", with active probes"
            } else {
                ""
            }
        );
        for severity in Severity::ALL {
            let rows: Vec<[String; 3]> = self
                .rules
                .iter()
                .flat_map(|r| {
                    r.findings
                        .iter()
                        .filter(move |f| f.severity == severity)
                        .map(move |f| [r.id.to_string(), f.object.to_string(), f.message.clone()])
                })
                .collect();
            if rows.is_empty() {
                continue;
            }
            let mut t = output::table(["rule", "object", "finding"]);
            for row in rows {
                t.add_row(row);
            }
            out.push_str(&format!(
                "\n{} ({})\n{t}\n",
                severity.as_str().to_uppercase(),
                self.summary.findings.get(&severity).copied().unwrap_or(0)
            ));
        }
        let unchecked: Vec<&RuleResult> = self
            .rules
            .iter()
            .filter(|r| r.status == Status::NotChecked)
            .collect();
        if !unchecked.is_empty() {
            let mut t = output::table(["rule", "title", "why not checked"]);
            for r in unchecked {
                t.add_row([
                    r.id.to_string(),
                    r.title.to_string(),
                    r.reason.clone().unwrap_or_default(),
                ]);
            }
            out.push_str(&format!("\nNOT CHECKED\n{t}\n"));
        }
        let counts: Vec<String> = Severity::ALL
            .iter()
            .filter_map(|s| self.summary.findings.get(s).map(|n| format!("{n} {s}")))
            .collect();
        out.push_str(&format!(
            "\n{} finding(s){} from {} rule(s); {} passed; {} not checked. \
             Fixes: warren audit --output json, or `warren audit rules`.",
            self.summary.findings.values().sum::<usize>(),
            if counts.is_empty() {
                String::new()
            } else {
                format!(" ({})", counts.join(", "))
            },
            self.summary.rules_with_findings,
            self.summary.passed,
            self.summary.not_checked
        ));
        out
    }

    fn sarif(&self) -> Option<Value> {
        Some(sarif(self))
    }
}

/// SARIF `level` for a severity.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// The score GitHub code scanning reads to rank security results.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The report as one SARIF 2.1.0 log with one run. Every catalogue rule is described, so a
/// result's `ruleIndex` points into `tool.driver.rules`; "not checked" rules become tool
/// execution notifications, so they are visible rather than silently absent.
pub fn sarif(report: &Report) -> Value {
    let rules: Vec<Value> = CATALOGUE
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.id,
                "shortDescription": { "text": r.title },
                "fullDescription": { "text": format!("{} Fix: {}", r.title, r.fix) },
                "help": { "text": r.fix, "markdown": format!("{}\n\nSee {}", r.fix, r.doc) },
                "helpUri": r.doc,
                "defaultConfiguration": { "level": level(r.severity) },
                "properties": {
                    "security-severity": security_severity(r.severity),
                    "severity": r.severity.as_str(),
                    "tags": ["rabbitmq", "security"],
                }
            })
        })
        .collect();
    let index = |id: &str| CATALOGUE.iter().position(|r| r.id == id).unwrap_or(0);
    let broker = report.broker();
    let mut locations = Locations::default();
    let mut seen: BTreeMap<(&str, String), usize> = BTreeMap::new();
    let results: Vec<Value> = report
        .rules
        .iter()
        .flat_map(|r| r.findings.iter().map(move |f| (r, f)))
        .map(|(r, f)| {
            let at = locations.object(broker, &f.object);
            let location = &locations.all[at];
            // Several findings of one rule on one object (Q004: too few replicas and no
            // leader) are told apart by their order, which the rule's checks fix.
            let occurrence = seen
                .entry((r.id, location.qualified.clone()))
                .and_modify(|n| *n += 1)
                .or_insert(0);
            json!({
                "ruleId": r.id,
                "ruleIndex": index(r.id),
                "level": level(f.severity),
                "message": { "text": format!("{}: {}", f.object, f.message) },
                "locations": [{
                    "physicalLocation": { "artifactLocation": { "uri": report.target } },
                    "logicalLocations": [location.json(at)],
                }],
                "partialFingerprints": {
                    "warrenFinding/v1": fingerprint(r.id, broker, &f.object, *occurrence),
                },
                "properties": { "severity": f.severity.as_str() },
            })
        })
        .collect();
    let notifications: Vec<Value> = report
        .rules
        .iter()
        .filter(|r| r.status == Status::NotChecked)
        .map(|r| {
            json!({
                "descriptor": { "id": r.id, "index": index(r.id) },
                "level": "note",
                "message": { "text": format!("{} not checked: {}", r.id, r.reason.clone().unwrap_or_default()) },
            })
        })
        .collect();
    json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "warren",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://www.rabbitmq.com/docs/production-checklist",
                    "rules": rules,
                }
            },
            "logicalLocations": locations.all.iter().enumerate().map(|(i, l)| l.json(i)).collect::<Vec<_>>(),
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }]
    })
}

/// One segment of a fully qualified name: `/` (a vhost's usual name) and `%` escaped.
fn segment(text: &str) -> String {
    text.replace('%', "%25").replace('/', "%2F")
}

/// A SARIF logical location: the broker, a vhost in it, or an object in either.
struct Location {
    name: String,
    qualified: String,
    kind: &'static str,
    parent: Option<usize>,
}

impl Location {
    fn json(&self, index: usize) -> Value {
        let mut v = json!({
            "index": index,
            "name": self.name,
            "fullyQualifiedName": self.qualified,
            "kind": self.kind,
        });
        if let Some(p) = self.parent {
            v["parentIndex"] = json!(p);
        }
        v
    }
}

/// The run's logical locations, each once, parents before children:
/// `<broker>`, `<broker>/vhost:<vhost>`, `<broker>[/vhost:<vhost>]/<kind>:<name>`.
#[derive(Default)]
struct Locations {
    all: Vec<Location>,
}

impl Locations {
    fn add(
        &mut self,
        name: &str,
        qualified: String,
        kind: &'static str,
        parent: Option<usize>,
    ) -> usize {
        if let Some(i) = self.all.iter().position(|l| l.qualified == qualified) {
            return i;
        }
        self.all.push(Location {
            name: name.to_string(),
            qualified,
            kind,
            parent,
        });
        self.all.len() - 1
    }

    /// The object's location (adding it and its parents), by index.
    fn object(&mut self, broker: &str, object: &super::Object) -> usize {
        let root = self.add(broker, segment(broker), "broker", None);
        let parent = match &object.vhost {
            Some(v) => {
                let qualified = format!("{}/vhost:{}", self.all[root].qualified, segment(v));
                self.add(v, qualified, "vhost", Some(root))
            }
            None => root,
        };
        let kind = object.kind.as_str();
        let qualified = format!(
            "{}/{kind}:{}",
            self.all[parent].qualified,
            segment(&object.name)
        );
        self.add(&object.name, qualified, kind, Some(parent))
    }
}

/// A finding's identity across runs, for code scanning to track it: the rule, the broker and
/// the object (kind, vhost, name), and which of the rule's findings on that object it is;
/// never the message, whose wording and figures change.
fn fingerprint(rule: &str, broker: &str, object: &super::Object, occurrence: usize) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for part in [
        rule,
        broker,
        object.kind.as_str(),
        object.vhost.as_deref().unwrap_or(""),
        &object.name,
        &occurrence.to_string(),
    ] {
        // Length-prefixed, so no two different tuples hash the same text.
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    hash.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The catalogue, for `warren audit rules`.
#[derive(Serialize, Debug)]
pub struct Catalogue {
    pub rules: Vec<CatalogueEntry>,
}

#[derive(Serialize, Debug)]
pub struct CatalogueEntry {
    pub id: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    pub fix: &'static str,
    pub doc: &'static str,
    /// The rule's tunable figures (`--set ID.NAME=VALUE`), with their defaults.
    pub thresholds: Vec<CatalogueThreshold>,
}

#[derive(Serialize, Debug)]
pub struct CatalogueThreshold {
    /// `Q007.messages`, as `--set` takes it.
    pub key: String,
    pub default: f64,
    pub unit: &'static str,
    pub meaning: &'static str,
}

impl Catalogue {
    pub fn new() -> Catalogue {
        Catalogue {
            rules: CATALOGUE
                .iter()
                .map(|r| CatalogueEntry {
                    id: r.id,
                    severity: r.severity,
                    title: r.title,
                    fix: r.fix,
                    doc: r.doc,
                    thresholds: super::rules::thresholds_of(r.id)
                        .map(|t| CatalogueThreshold {
                            key: t.key(),
                            default: t.default,
                            unit: t.unit,
                            meaning: t.meaning,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

impl Default for Catalogue {
    fn default() -> Self {
        Catalogue::new()
    }
}

impl Render for Catalogue {
    fn human(&self) -> String {
        let mut t = output::table(["id", "severity", "title", "fix", "doc", "thresholds"]);
        for r in &self.rules {
            let thresholds: Vec<String> = r
                .thresholds
                .iter()
                .map(|t| format!("{}={} ({})", t.key, t.default, t.unit))
                .collect();
            t.add_row([
                r.id,
                r.severity.as_str(),
                r.title,
                r.fix,
                r.doc,
                &thresholds.join("\n"),
            ]);
        }
        format!(
            "{t}\n{} rules. Change a threshold with --set ID.NAME=VALUE; a figure within 10% \
             under one gives an info note.",
            self.rules.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::planted;
    use super::super::{Selection, evaluate};
    use super::*;

    fn report() -> Report {
        let s = planted();
        Report::new(
            s.target.api_url.clone(),
            "warren-admin".into(),
            Some("3.10.8".into()),
            false,
            evaluate(&s, &Selection::default()),
        )
        .with_cluster_name(s.overview.as_ref().ok().map(|o| o.cluster_name.clone()))
    }

    fn fingerprints(log: &Value) -> Vec<String> {
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["partialFingerprints"]["warrenFinding/v1"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn sarif_locates_findings_logically_and_fingerprints_them_stably() {
        let r = report();
        let cluster = r.cluster_name.clone().expect("the fixture's cluster name");
        let log = sarif(&r);
        let run = &log["runs"][0];
        let all = run["logicalLocations"].as_array().unwrap();
        let results = run["results"].as_array().unwrap();
        let located = |rule: &str, qualified: &str| {
            results
                .iter()
                .find(|x| {
                    x["ruleId"] == rule
                        && x["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
                            == qualified
                })
                .unwrap_or_else(|| panic!("no {rule} result at {qualified}"))
        };
        // broker -> vhost -> object, each a location of the run that the result points at.
        let q005 = located("Q005", &format!("{cluster}/vhost:planted/queue:plain-q"));
        let at = &q005["locations"][0]["logicalLocations"][0];
        assert_eq!(at["kind"], "queue");
        assert_eq!(at["name"], "plain-q");
        let object = &all[at["index"].as_u64().unwrap() as usize];
        assert_eq!(object["fullyQualifiedName"], at["fullyQualifiedName"]);
        let vhost = &all[object["parentIndex"].as_u64().unwrap() as usize];
        assert_eq!(
            vhost["fullyQualifiedName"],
            format!("{cluster}/vhost:planted")
        );
        let broker = &all[vhost["parentIndex"].as_u64().unwrap() as usize];
        assert_eq!(broker["fullyQualifiedName"], cluster.as_str());
        assert_eq!(broker["kind"], "broker");
        // The vhost `/` is escaped in the name; objects without a vhost hang off the broker.
        located("RES009", &format!("{cluster}/vhost:%2F"));
        located("SEC002", &format!("{cluster}/user:guest"));

        // Fingerprints: one per finding, equal across runs, blind to wording and figures.
        let first = fingerprints(&log);
        let mut distinct = first.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(
            distinct.len(),
            first.len(),
            "two findings share a fingerprint"
        );
        assert_eq!(fingerprints(&sarif(&report())), first);
        let mut reworded = report();
        for rule in &mut reworded.rules {
            for f in &mut rule.findings {
                f.message = format!("{} (now with other figures: 42)", f.message);
            }
        }
        assert_eq!(fingerprints(&sarif(&reworded)), first);
        // Another broker's findings are other findings.
        let elsewhere = report().with_cluster_name(Some("rabbit@elsewhere".into()));
        assert!(
            fingerprints(&sarif(&elsewhere))
                .iter()
                .all(|f| !first.contains(f))
        );
    }

    #[test]
    fn table_groups_findings_by_severity_and_lists_not_checked() {
        let text = report().human();
        let high = text.find("HIGH (").expect("HIGH section");
        let medium = text.find("MEDIUM (").expect("MEDIUM section");
        assert!(high < medium, "{text}");
        assert!(text.contains("user weakling"), "{text}");
        assert!(text.contains("NOT CHECKED"), "{text}");
        assert!(text.contains("SEC001"), "{text}");
    }

    #[test]
    fn threshold_counts_follow_severity_order() {
        let r = report();
        let high = r.count_at_or_above(Severity::High);
        assert!(high > 0);
        assert!(r.count_at_or_above(Severity::Medium) > high);
        assert_eq!(r.count_at_or_above(Severity::Critical), 0);
    }

    #[test]
    fn sarif_results_point_at_their_rules() {
        let log = sarif(&report());
        assert_eq!(log["version"], "2.1.0");
        let run = &log["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        assert_eq!(rules.len(), CATALOGUE.len());
        let results = run["results"].as_array().unwrap();
        assert!(!results.is_empty());
        for r in results {
            let i = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[i]["id"], r["ruleId"]);
            assert!(r["locations"][0]["logicalLocations"][0]["name"].is_string());
        }
        let sec003 = results.iter().find(|r| r["ruleId"] == "SEC003").unwrap();
        assert_eq!(sec003["level"], "error");
    }
}
