//! `warren topology`: lint, plan, apply, export and convert a topology kept as YAML.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::Result;
use clap::Subcommand;
use serde::Serialize;

use crate::broker::http::ManagementApi;
use crate::broker::settings;
use crate::cli::Global;
use crate::exit::{Code, fail};
use crate::output::{self, Format, Render};
use crate::topology::diff::{self, Plan};
use crate::topology::model::Topology;
use crate::topology::{apply, defs, export, lint, load, params};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  warren topology lint -f topology.yaml
  warren topology plan -f topology.yaml --detailed-exitcode
  warren topology apply -f topology/ --prune --yes
  warren topology export --vhost orders > orders.yaml
  warren topology convert definitions.json > topology.yaml")]
pub struct Args {
    #[command(subcommand)]
    pub command: TopologyCommand,
}

#[derive(Subcommand, Debug)]
pub enum TopologyCommand {
    /// Check topology files offline: broken references, invalid combinations, advice.
    #[command(after_help = "Examples:
  warren topology lint -f topology.yaml
  warren topology lint -f base.yaml -f orders.yaml --strict
  warren topology lint -f topology/ --output json

Exit codes: 0 clean (warnings allowed), 4 errors in the files or lint errors,
3 warnings with --strict.")]
    Lint(LintArgs),

    /// Show what `apply` would change on the broker.
    #[command(after_help = "Examples:
  warren topology plan -f topology.yaml
  warren topology plan -f topology.yaml --detailed-exitcode   # 0 no changes, 3 changes
  warren topology plan -f topology/ --prune --output json")]
    Plan(PlanArgs),

    /// Make the broker match the topology files.
    #[command(after_help = "Examples:
  ORDERS_APP_PASSWORD=... warren topology apply -f topology.yaml
  warren topology apply -f topology/ --prune --yes
  warren topology apply -f topology.yaml --allow-message-loss

A queue that holds messages is never replaced or deleted without --allow-message-loss.")]
    Apply(ApplyArgs),

    /// Write live state as topology YAML (the vhost of the connection, or every vhost).
    #[command(after_help = "Examples:
  warren topology export --vhost orders > orders.yaml
  warren topology export --all-vhosts > everything.yaml
  warren topology export --vhost orders --output json")]
    Export(ExportArgs),

    /// Turn a RabbitMQ definitions export (JSON) into topology YAML.
    #[command(after_help = "Examples:
  warren topology convert definitions.json > topology.yaml
  warren topology convert orders-vhost.json --vhost orders > orders.yaml

Objects without a vhost (a per-vhost export) go to --vhost (default `/`).
Users keep their password hashes. A shovel or federation URI holding a password is not
written: `uri_env` names the environment variable to put it in (listed on stderr).
Whatever the model can't hold is listed on stderr; --strict then exits 3.")]
    Convert(ConvertArgs),
}

#[derive(clap::Args, Debug)]
pub struct Files {
    /// Topology file or directory (of *.yaml / *.yml); repeat to merge several.
    #[arg(short = 'f', long = "file", value_name = "PATH", required = true)]
    pub files: Vec<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct LintArgs {
    #[command(flatten)]
    pub files: Files,
    /// Fail (exit 3) on warnings too.
    #[arg(long)]
    pub strict: bool,
}

#[derive(clap::Args, Debug)]
pub struct PlanArgs {
    #[command(flatten)]
    pub files: Files,
    /// Exit 0 when there are no changes and 3 when there are.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Include deleting objects of the managed vhosts that the files don't declare.
    #[arg(long)]
    pub prune: bool,
}

#[derive(clap::Args, Debug)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub files: Files,
    /// Delete objects of the managed vhosts that the files don't declare (needs --yes).
    #[arg(long)]
    pub prune: bool,
    /// Confirm destructive changes (--prune).
    #[arg(long)]
    pub yes: bool,
    /// Allow replacing or deleting queues that hold messages; their messages are lost.
    #[arg(long)]
    pub allow_message_loss: bool,
}

#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// Export every vhost instead of the connection's (--vhost or the URI's).
    #[arg(long)]
    pub all_vhosts: bool,
}

#[derive(clap::Args, Debug)]
pub struct ConvertArgs {
    /// The definitions file exported by RabbitMQ (`rabbitmqctl export_definitions`, the UI or the API).
    pub file: PathBuf,
    /// Exit 3 when the file holds anything the model can't carry (listed on stderr).
    #[arg(long)]
    pub strict: bool,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

pub async fn run(global: &Global, args: &Args) -> Result<()> {
    match &args.command {
        TopologyCommand::Lint(a) => run_lint(global, a),
        TopologyCommand::Plan(a) => run_plan(global, a).await,
        TopologyCommand::Apply(a) => run_apply(global, a).await,
        TopologyCommand::Export(a) => run_export(global, a).await,
        TopologyCommand::Convert(a) => run_convert(global, a),
    }
}

fn run_lint(global: &Global, args: &LintArgs) -> Result<()> {
    let topology = load::load(&args.files.files, &env)?;
    let report = lint::lint(&topology);
    output::print(global.output, &report)?;
    if report.errors > 0 {
        return Err(fail(
            Code::InvalidInput,
            format!("lint found {} error(s)", report.errors),
        ));
    }
    if args.strict && report.warnings > 0 {
        return Err(fail(
            Code::FindingsOrDrift,
            format!("lint found {} warning(s) (--strict)", report.warnings),
        ));
    }
    Ok(())
}

/// Load the files, read the broker, and diff.
async fn prepare(
    global: &Global,
    files: &Files,
    prune: bool,
) -> Result<(ManagementApi, settings::Settings, Topology, Plan)> {
    let topology = load::load(&files.files, &env)?;
    let invalid = lint::invalid_for_apply(&topology);
    if !invalid.is_empty() {
        return Err(fail(Code::InvalidInput, invalid.join("\n")));
    }
    let settings = settings::load(&global.connection)?;
    let api = ManagementApi::new(&settings)?;
    let managed = topology.managed_vhosts();
    let mut desired = topology.to_defs();
    // convert hook: URIs from their uri_env variables, then untyped queues typed as the broker would.
    params::resolve_uri_env(&mut desired, &env)?;
    let live = apply::fetch_live(&api, &managed).await?;
    defs::resolve_queue_types(&mut desired, &live);
    let missing = apply::missing_vhosts(&desired, &live, &managed);
    if !missing.is_empty() {
        return Err(fail(
            Code::VhostUnavailable,
            format!(
                "vhost(s) {} do not exist on the broker and are not declared under `vhosts:`",
                missing.join(", ")
            ),
        ));
    }
    let mut plan = diff::diff(&desired, &live, &managed, prune);
    apply::count_messages(&api, &settings, &mut plan).await?;
    Ok((api, settings, topology, plan))
}

async fn run_plan(global: &Global, args: &PlanArgs) -> Result<()> {
    let (_, _, _, plan) = prepare(global, &args.files, args.prune).await?;
    output::print(global.output, &plan)?;
    if args.detailed_exitcode && !plan.is_empty() {
        return Err(fail(
            Code::FindingsOrDrift,
            format!("{} change(s) to apply", plan.changes.len()),
        ));
    }
    Ok(())
}

#[derive(Serialize)]
struct Applied {
    applied: Plan,
}

impl Render for Applied {
    fn human(&self) -> String {
        if self.applied.is_empty() {
            return self.applied.human();
        }
        format!(
            "{}\nApplied {} change(s).",
            self.applied.human(),
            self.applied.changes.len()
        )
    }
}

async fn run_apply(global: &Global, args: &ApplyArgs) -> Result<()> {
    if args.prune && !args.yes {
        return Err(fail(
            Code::Usage,
            "--prune deletes undeclared objects: add --yes to confirm (run `warren topology plan --prune` to see them)",
        ));
    }
    let (api, _, topology, plan) = prepare(global, &args.files, args.prune).await?;
    apply::check_message_loss(&plan, args.allow_message_loss)?;
    let passwords = apply::resolve_passwords(&plan, &env)?;
    apply::execute(
        &api,
        &plan,
        &topology.to_defs(),
        &passwords,
        args.allow_message_loss,
    )
    .await?;
    output::print(global.output, &Applied { applied: plan })
}

async fn run_export(global: &Global, args: &ExportArgs) -> Result<()> {
    let settings = settings::load(&global.connection)?;
    let api = ManagementApi::new(&settings)?;
    let scope = (!args.all_vhosts).then(|| BTreeSet::from([settings.vhost.clone()]));
    let exported = export::export(&api, scope).await?;
    report_converted(&exported);
    let what = if args.all_vhosts {
        "every vhost".to_string()
    } else {
        format!("vhost `{}`", settings.vhost)
    };
    print_topology(
        global.output,
        &exported.topology,
        &format!(
            "warren topology export of {what} from {}\nPasswords are not exported: add password_env to users that need one.",
            api.base()
        ),
    )
}

fn run_convert(global: &Global, args: &ConvertArgs) -> Result<()> {
    let file = args.file.display().to_string();
    let text = std::fs::read_to_string(&args.file)
        .map_err(|e| fail(Code::InvalidInput, format!("reading {file}: {e}")))?;
    let vhost = global
        .connection
        .vhost
        .clone()
        .unwrap_or_else(|| "/".into());
    let converted = export::convert(&file, &text, &vhost)?;
    report_converted(&converted);
    print_topology(
        global.output,
        &converted.topology,
        &format!(
            "converted by warren from {file}\nUsers keep their password hashes; URIs holding a password are read from the uri_env variables."
        ),
    )?;
    if args.strict && !converted.not_carried.is_empty() {
        return Err(fail(
            Code::FindingsOrDrift,
            format!(
                "{} object(s) not carried (--strict)",
                converted.not_carried.len()
            ),
        ));
    }
    Ok(())
}

/// What a written topology leaves out, and the variables its URIs need, on stderr.
fn report_converted(c: &export::Converted) {
    for line in &c.not_carried {
        eprintln!("warren: {line}");
    }
    for line in &c.variables {
        eprintln!("warren: uri_env: {line}");
    }
}

fn print_topology(format: Format, topology: &Topology, header: &str) -> Result<()> {
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(topology)?),
        _ => print!("{}", export::to_yaml(topology, header)?),
    }
    Ok(())
}
