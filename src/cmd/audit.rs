//! `warren audit`: read the broker once, evaluate the rule catalogue, print the findings and
//! exit 3 when any is at or above `--fail-on`. `warren audit rules` lists the catalogue.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Subcommand, ValueEnum};

use crate::audit::password::PasswordList;
use crate::audit::report::{Catalogue, Report};
use crate::audit::thresholds::Limits;
use crate::audit::{self, Selection, Severity, fetch};
use crate::broker::http::ManagementApi;
use crate::broker::settings;
use crate::cli::Global;
use crate::exit::Error;
use crate::output::{self, Format};

const EXAMPLES: &str = "Examples:
  warren audit
  warren audit --fail-on medium --output sarif > warren.sarif
  warren audit --rule SEC003 --rule SEC005 --output json
  warren audit --skip SEC014 --probe --api-url https://rabbit-1:15671 --ca-cert ca.pem
  warren audit --set Q007.messages=5000 --set SEC011.failed_per_second=0.5
  warren audit --fail-on medium --fail-on-not-checked     # a CI gate that can't pass blind
  warren audit --rule SEC003 --password-list our-old-passwords.txt
  warren audit rules

Exit code 3 when a finding is at or above --fail-on (default high), or with
--fail-on-not-checked when a rule could not be evaluated. Rules the audit can't evaluate (a
user without the administrator tag can't read users; statistics switched off; a setting the
API doesn't report) are listed as \"not checked\" with the reason, never as passed. A figure
within 10% under a threshold gives an info note; `warren audit rules` lists the thresholds.
Weak passwords are found offline from the password hashes; the audit never says which
password matched.";

#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true, after_help = EXAMPLES)]
pub struct Args {
    #[command(subcommand)]
    pub action: Option<Action>,

    #[command(flatten)]
    pub run: RunArgs,

    /// Output format: sarif (SARIF 2.1.0, for code scanning) besides table, json and yaml.
    /// Same id as the global --output, which it replaces under `audit`; its value reaches
    /// `Global::output`.
    #[arg(long, short = 'o', global = true, default_value = "table",
          value_parser = crate::cli::formats(&[Format::Sarif]))]
    pub output: Format,
}

#[derive(Subcommand, Debug)]
pub enum Action {
    /// Run the audit (the default when no subcommand is given).
    #[command(after_help = EXAMPLES)]
    Run(RunArgs),

    /// List the rule catalogue: id, severity, title, fix and documentation link.
    #[command(after_help = "Examples:
  warren audit rules
  warren audit rules --output json | jq -r '.rules[] | select(.severity == \"high\") | .id'")]
    Rules,
}

#[derive(clap::Args, Debug, Clone, Default)]
pub struct RunArgs {
    /// Exit with code 3 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::High)]
    pub fail_on: FailOn,

    /// Run only this rule (repeatable).
    #[arg(long = "rule", value_name = "ID")]
    pub rules: Vec<String>,

    /// Skip this rule (repeatable).
    #[arg(long = "skip", value_name = "ID")]
    pub skip: Vec<String>,

    /// Also run the active probes: a guest:guest login and an EPMD NAMES request (port 4369)
    /// as a remote client would send them (for a loopback target, to this machine's
    /// non-loopback address), a CORS preflight from https://evil.example, and an
    /// unauthenticated GET of the metrics endpoint.
    #[arg(long)]
    pub probe: bool,

    /// Read per-queue statistics (messages, consumers, basic.get) even when the broker has
    /// more than 2,000 queues; slower, since every page of /api/queues lists every queue.
    #[arg(long)]
    pub queue_stats: bool,

    /// Also exit with code 3 when any selected rule is "not checked" (missing permissions,
    /// statistics switched off, an endpoint this version lacks): without it such a rule is
    /// listed with its reason but doesn't fail the run.
    #[arg(long)]
    pub fail_on_not_checked: bool,

    /// Change a rule's threshold for this run, as ID.NAME=VALUE (repeatable); `warren audit
    /// rules` lists the thresholds and their defaults.
    #[arg(long = "set", value_name = "ID.NAME=VALUE")]
    pub set: Vec<String>,

    /// How far apart the two reads of the authentication counters are, from which SEC011
    /// computes the recent failed-login rate (0s: one read, and SEC011 is not checked).
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = crate::flags::window)]
    pub rate_window: std::time::Duration,
    /// Also try these passwords (one a line) in the weak-password rule (SEC003), besides its
    /// 10,000 common passwords and the variants of each user's name. Offline, from the
    /// password hashes; a finding never says which password matched.
    #[arg(long, value_name = "FILE")]
    pub password_list: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FailOn {
    Low,
    Medium,
    #[default]
    High,
    Critical,
}

impl FailOn {
    fn severity(self) -> Severity {
        match self {
            FailOn::Low => Severity::Low,
            FailOn::Medium => Severity::Medium,
            FailOn::High => Severity::High,
            FailOn::Critical => Severity::Critical,
        }
    }
}

pub async fn run(global: &Global, args: &Args) -> Result<()> {
    match &args.action {
        Some(Action::Rules) => output::print(global.output, &Catalogue::new()),
        Some(Action::Run(run_args)) => audit_broker(global, run_args).await,
        None => audit_broker(global, &args.run).await,
    }
}

async fn audit_broker(global: &Global, args: &RunArgs) -> Result<()> {
    let selection = Selection {
        only: args.rules.clone(),
        skip: args.skip.clone(),
    };
    selection.validate().map_err(Error::usage)?;
    let limits = Limits::parse(&args.set, &audit::rules::THRESHOLDS).map_err(Error::usage)?;
    // Read before connecting, so a wrong path fails at once.
    let extra_passwords = match &args.password_list {
        Some(path) => read_password_list(path)?,
        None => PasswordList::default(),
    };
    let settings = settings::load(&global.connection.flags())?;
    let api = ManagementApi::new(&settings)?;
    let options = fetch::Options {
        probe: args.probe,
        queue_stats: args.queue_stats,
        rate_window: args.rate_window,
        weak_passwords: selection.includes("SEC003").then_some(extra_passwords),
    };
    let mut snapshot = fetch::snapshot(&api, options).await?;
    snapshot.limits = limits;
    // What the remote-client probes dialled and met, so that a pass says why it passed.
    for (id, note) in snapshot.probes.iter().flat_map(|p| p.notes()) {
        if selection.includes(id) {
            crate::note!("{id} probe: {note}");
        }
    }
    let results = audit::evaluate(&snapshot, &selection);
    let version = snapshot
        .overview
        .as_ref()
        .ok()
        .map(|o| o.rabbitmq_version.clone());
    let report = Report::new(
        snapshot.target.api_url.clone(),
        settings.user.clone(),
        version,
        args.probe,
        results,
    )
    .with_cluster_name(
        snapshot
            .overview
            .as_ref()
            .ok()
            .map(|o| o.cluster_name.clone()),
    );
    output::print(global.output, &report)?;
    let threshold = args.fail_on.severity();
    let mut failures = Vec::new();
    match report.count_at_or_above(threshold) {
        0 => {}
        n => failures.push(format!(
            "{n} finding(s) at or above {threshold} (--fail-on)"
        )),
    }
    if args.fail_on_not_checked && report.summary.not_checked > 0 {
        failures.push(format!(
            "{} rule(s) not checked (--fail-on-not-checked)",
            report.summary.not_checked
        ));
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(Error::findings_or_drift(failures.join("; ")).into())
    }
}

/// The operator's password list (`PasswordList::parse`). An unreadable file is invalid
/// input (exit 4), like `--password-file`; its contents are never printed.
fn read_password_list(path: &Path) -> Result<PasswordList> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::invalid_input(format!("reading password list {}: {e}", path.display()))
    })?;
    Ok(PasswordList::parse(&text))
}
