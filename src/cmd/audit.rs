//! `warren audit`: read the broker once, evaluate the rule catalogue, print the findings and
//! exit 3 when any is at or above `--fail-on`. `warren audit rules` lists the catalogue.

use anyhow::Result;
use clap::{Subcommand, ValueEnum};

use crate::audit::report::{Catalogue, Report};
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
  warren audit rules

Exit code 3 when a finding is at or above --fail-on (default high). Rules the audit can't
evaluate (a user without the administrator tag can't read users; a setting the API doesn't
report) are listed as \"not checked\" with the reason, never as passed.";

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

    /// Also run the active probes against the target: a guest:guest login, a CORS preflight
    /// from https://evil.example, and an unauthenticated GET of the metrics endpoint.
    #[arg(long)]
    pub probe: bool,

    /// Read per-queue statistics (messages, consumers, basic.get) even when the broker has
    /// more than 2,000 queues; slower, since every page of /api/queues lists every queue.
    #[arg(long)]
    pub queue_stats: bool,
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
    let settings = settings::load(&global.connection.flags())?;
    let api = ManagementApi::new(&settings)?;
    let options = fetch::Options {
        probe: args.probe,
        queue_stats: args.queue_stats,
    };
    let snapshot = fetch::snapshot(&api, options).await?;
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
    );
    output::print(global.output, &report)?;
    let threshold = args.fail_on.severity();
    match report.count_at_or_above(threshold) {
        0 => Ok(()),
        n => Err(Error::findings_or_drift(format!(
            "{n} finding(s) at or above {threshold} (--fail-on)"
        ))
        .into()),
    }
}
