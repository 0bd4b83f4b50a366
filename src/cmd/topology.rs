//! `warren topology`: lint, plan, apply, export and convert a topology kept as YAML.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::Result;
use clap::Subcommand;
use serde::Serialize;

use crate::broker::http::ManagementApi;
use crate::broker::settings;
use crate::cli::Global;
use crate::exit::Error;
use crate::output::{self, Format, Render};
use crate::topology::diff::Plan;
use crate::topology::model::Topology;
use crate::topology::{apply, backup, export, lint, load, plan};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  warren topology lint -f topology.yaml
  warren topology plan -f topology.yaml --detailed-exitcode
  warren topology apply -f topology/ --prune --yes
  warren topology export --vhost orders > orders.yaml
  warren topology convert definitions.json > topology.yaml
  warren topology restore ~/.local/state/warren/backups/topology-...json --yes")]
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
  warren topology lint -f topology.yaml --target-version 3.10   # for a RabbitMQ 3.10 cluster

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
  warren topology apply -f topology/ --prune --dry-run     # the plan; nothing changes

Before the first change, apply checks what the broker would refuse (exit 4), then writes a
backup of the managed vhosts (with password hashes) to $XDG_STATE_HOME/warren/backups/.
If a step fails, what this run changed is rolled back (exit 5). Afterwards the broker is
read again: anything still differing is reported (exit 5).
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

    /// Put back a backup written by `apply` (or any definitions file): shown, then applied.
    #[command(after_help = "Examples:
  warren topology restore ~/.local/state/warren/backups/topology-2026-12-02T18-40-00Z-4242.json --yes
  warren topology restore backup.json --yes --no-backup
  warren topology restore backup.json --dry-run            # the plan; nothing changes

Restore re-creates and updates what the file holds; it deletes nothing the file lacks.
It shows its plan first, and needs --yes to change anything; --dry-run shows the plan and
exits 0.")]
    Restore(RestoreArgs),
}

#[derive(clap::Args, Debug)]
pub struct Files {
    /// Topology file or directory (of *.yaml / *.yml); repeat to merge several.
    #[arg(short = 'f', long = "file", value_name = "PATH", required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub limits: super::InputLimits,
}

#[derive(clap::Args, Debug)]
pub struct LintArgs {
    #[command(flatten)]
    pub files: Files,
    /// Fail (exit 3) on warnings too.
    #[arg(long)]
    pub strict: bool,
    /// The RabbitMQ series the topology is for (e.g. 3.10, 4.0, 4.3): what it refuses is an
    /// error, what it deprecates or ignores a warning. plan and apply ask the broker instead.
    #[arg(long, value_name = "MAJOR.MINOR", default_value = "4.3", value_parser = parse_series)]
    pub target_version: lint::Version,
}

fn parse_series(text: &str) -> Result<lint::Version, String> {
    crate::broker::api::major_minor(text)
        .ok_or_else(|| format!("`{text}` is not a RabbitMQ series such as 4.3 or 3.10"))
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
    #[command(flatten)]
    pub change: super::ChangeArgs,
    #[command(flatten)]
    pub backup: BackupArgs,
}

#[derive(clap::Args, Debug)]
pub struct BackupArgs {
    /// Write the backup taken before changing anything to this file (default: a timestamped
    /// file in $XDG_STATE_HOME/warren/backups/).
    #[arg(long, value_name = "PATH", conflicts_with = "no_backup")]
    pub backup: Option<PathBuf>,
    /// Change the broker without writing a backup first.
    #[arg(long)]
    pub no_backup: bool,
    /// How many backups to keep in the default directory.
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    pub keep_backups: u32,
}

impl BackupArgs {
    fn options(&self) -> backup::Options {
        backup::Options {
            path: self.backup.clone(),
            disabled: self.no_backup,
            keep: self.keep_backups as usize,
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct RestoreArgs {
    /// The backup file (a definitions document).
    pub file: PathBuf,
    /// Confirm: without it, restore only shows what it would change.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Print the plan and change nothing (exit 0, where no --yes is exit 2).
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub backup: BackupArgs,
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
    #[command(flatten)]
    pub limits: super::InputLimits,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

impl Files {
    /// Load the files within their limits, read the broker, and diff (`plan`, `apply`).
    async fn prepare(&self, global: &Global, prune: bool) -> Result<plan::Prepared> {
        let limits = self.limits.limits();
        plan::from_files(settings_of(global)?, &self.files, &limits, &env, prune).await
    }
}

pub async fn run(global: &Global, args: &Args) -> Result<()> {
    match &args.command {
        TopologyCommand::Lint(a) => run_lint(global, a),
        TopologyCommand::Plan(a) => run_plan(global, a).await,
        TopologyCommand::Apply(a) => run_apply(global, a).await,
        TopologyCommand::Export(a) => run_export(global, a).await,
        TopologyCommand::Convert(a) => run_convert(global, a),
        TopologyCommand::Restore(a) => run_restore(global, a).await,
    }
}

fn run_lint(global: &Global, args: &LintArgs) -> Result<()> {
    let topology = load::load(&args.files.files, &args.files.limits.limits(), &env)?;
    let report = lint::lint(&topology, Some(args.target_version));
    output::print(global.output, &report)?;
    if report.errors > 0 {
        return Err(Error::invalid_input(format!("lint found {} error(s)", report.errors)).into());
    }
    if args.strict && report.warnings > 0 {
        return Err(Error::findings_or_drift(format!(
            "lint found {} warning(s) (--strict)",
            report.warnings
        ))
        .into());
    }
    Ok(())
}

async fn run_plan(global: &Global, args: &PlanArgs) -> Result<()> {
    let plan = args.files.prepare(global, args.prune).await?.plan;
    output::print(global.output, &plan)?;
    if args.detailed_exitcode && !plan.is_empty() {
        return Err(
            Error::findings_or_drift(format!("{} change(s) to apply", plan.changes.len())).into(),
        );
    }
    Ok(())
}

#[derive(Serialize)]
struct Applied {
    applied: Plan,
    #[serde(skip_serializing_if = "Option::is_none")]
    backup: Option<String>,
}

impl Render for Applied {
    fn human(&self) -> String {
        if self.applied.is_empty() {
            return self.applied.human();
        }
        format!(
            "{}\nApplied {} change(s); the broker now matches the files.",
            self.applied.human(),
            self.applied.changes.len()
        )
    }
}

async fn run_apply(global: &Global, args: &ApplyArgs) -> Result<()> {
    if args.change.dry_run {
        let p = args.files.prepare(global, args.prune).await?;
        return output::print(global.output, &p.plan);
    }
    if args.prune && !args.change.yes {
        return Err(Error::usage("--prune deletes undeclared objects: add --yes to confirm (run `warren topology plan --prune` to see them)").into());
    }
    let p = args.files.prepare(global, args.prune).await?;
    apply::check_message_loss(&p.plan, args.change.allow_message_loss)?;
    let passwords = apply::resolve_passwords(&p.plan, &env)?;
    execute_plan(
        global,
        &p,
        &passwords,
        args.change.allow_message_loss,
        args.prune,
        &args.backup,
    )
    .await
}

fn settings_of(global: &Global) -> Result<settings::Settings> {
    settings::load(&global.connection.flags())
}

/// Apply a prepared plan and print what was applied.
async fn execute_plan(
    global: &Global,
    p: &plan::Prepared,
    passwords: &std::collections::HashMap<String, String>,
    allow_message_loss: bool,
    prune: bool,
    backup: &BackupArgs,
) -> Result<()> {
    let done = p
        .apply(
            passwords,
            &apply::Options {
                allow_message_loss,
                prune,
                backup: backup.options(),
            },
        )
        .await?;
    output::print(
        global.output,
        &Applied {
            applied: p.plan.clone(),
            backup: done.backup.map(|b| b.display().to_string()),
        },
    )
}

async fn run_restore(global: &Global, args: &RestoreArgs) -> Result<()> {
    let (file, p) = plan::from_backup(settings_of(global)?, &args.file).await?;
    if p.plan.is_empty() || args.dry_run {
        return output::print(global.output, &p.plan);
    }
    if !args.yes {
        output::print(global.output, &p.plan)?;
        return Err(Error::usage(format!(
            "restore would make the changes above: add --yes to make them ({file})"
        ))
        .into());
    }
    apply::check_message_loss(&p.plan, false)?;
    execute_plan(global, &p, &Default::default(), false, false, &args.backup).await
}

async fn run_export(global: &Global, args: &ExportArgs) -> Result<()> {
    let settings = settings::load(&global.connection.flags())?;
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
    let limits = args.limits.limits();
    let text = crate::input::read_json(&args.file, limits, &file)?;
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
        return Err(Error::findings_or_drift(format!(
            "{} object(s) not carried (--strict)",
            converted.not_carried.len()
        ))
        .into());
    }
    Ok(())
}

/// What a written topology leaves out, and the variables its URIs need, on stderr.
fn report_converted(c: &export::Converted) {
    for line in &c.not_carried {
        crate::note!("{line}");
    }
    for line in &c.variables {
        crate::note!("uri_env: {line}");
    }
}

fn print_topology(format: Format, topology: &Topology, header: &str) -> Result<()> {
    use std::io::Write;
    let text = match format {
        Format::Json => format!("{}\n", serde_json::to_string_pretty(topology)?),
        _ => export::to_yaml(topology, header)?,
    };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(|e| output::io_error(e, "writing the topology"))
}
