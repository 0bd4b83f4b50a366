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
            probes,
            summary,
            rules,
        }
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
    let results: Vec<Value> = report
        .rules
        .iter()
        .flat_map(|r| r.findings.iter().map(move |f| (r, f)))
        .map(|(r, f)| {
            let qualified = match &f.object.vhost {
                Some(v) => format!("{}/{}/{}", f.object.kind.as_str(), v, f.object.name),
                None => format!("{}/{}", f.object.kind.as_str(), f.object.name),
            };
            json!({
                "ruleId": r.id,
                "ruleIndex": index(r.id),
                "level": level(f.severity),
                "message": { "text": format!("{}: {}", f.object, f.message) },
                "locations": [{
                    "physicalLocation": { "artifactLocation": { "uri": report.target } },
                    "logicalLocations": [{
                        "name": f.object.name,
                        "fullyQualifiedName": qualified,
                        "kind": f.object.kind.as_str(),
                    }]
                }],
                "partialFingerprints": { "warrenObject/v1": format!("{}:{qualified}", r.id) },
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
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }]
    })
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
        let mut t = output::table(["id", "severity", "title", "fix", "doc"]);
        for r in &self.rules {
            t.add_row([r.id, r.severity.as_str(), r.title, r.fix, r.doc]);
        }
        format!("{t}\n{} rules.", self.rules.len())
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
