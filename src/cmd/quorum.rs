//! `warren quorum status|rebalance|grow|shrink`: quorum queue members and leaders.

use std::time::Duration;

use anyhow::Result;
use regex_lite::Regex;

use crate::broker::http::ManagementApi;
use crate::broker::settings;
use crate::cli::Global;
use crate::exit::Error;
use crate::output;
use crate::quorum::{self, Direction, Membership};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  warren quorum status invoices               # members, leader, Raft state and lag
  warren quorum rebalance --dry-run           # leaders per node, and the fair share
  warren quorum rebalance                     # spread the leaders; placement before and after
  warren quorum grow rabbit@node4 --all-vhosts --dry-run
  warren quorum grow rabbit@node4 --name '^orders\\.'
  warren quorum shrink rabbit@node4 --all-vhosts --yes
  warren quorum migrate plan -f definitions.json

grow and shrink add or remove one node's member of each selected quorum queue (those of the
vhost of --vhost or the URI, or --all-vhosts; --name narrows by a regular expression), one
queue after another, and read each queue back: a change counts only when the API shows it.
shrink refuses to leave a queue with fewer than 3 members, or fewer online than a majority,
unless --allow-below-quorum; it never removes a queue's last member.

Versions: rebalance works on every version (the broker's own, for every vhost: the API
takes no filter). status shows Raft state and lag from RabbitMQ 3.13; grow and shrink need
3.12 or later (before, only rabbitmq-queues on a cluster node can).")]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(clap::Subcommand, Debug)]
pub enum Action {
    /// One quorum queue's members: leader, online, Raft state, commit index and lag.
    #[command(after_help = "Examples:
  warren quorum status invoices
  warren quorum status invoices --vhost shop -o json | jq '.members[] | {node, lag}'

Raft state, membership, commit index and lag come from RabbitMQ 3.13 and later; before,
only the members, which are online, and the leader are known.")]
    Status {
        /// The queue, in the vhost of --vhost or the URI.
        queue: String,
    },
    /// Spread the leaders of every quorum queue across the running nodes.
    #[command(after_help = "Examples:
  warren quorum rebalance --dry-run     # leaders and members per node, the fair share
  warren quorum rebalance               # ask the broker, watch the leaders move, show both

The broker's rebalance covers every vhost (the API takes no filter) and runs in the
background; warren reads the placement until every node leads at most its fair share, it
stops changing for 5 s, or --timeout passes. Exit 3 when a node still leads more than twice
its share (the audit's Q012).")]
    Rebalance {
        /// Show the leaders per node and the fair share; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// How long to watch the leaders move (the broker rebalances in the background).
        #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = crate::flags::duration)]
        timeout: Duration,
    },
    /// Moving from mirrored classic queues (ha-* policies) to quorum queues.
    #[command(after_help = "Examples:
  warren quorum migrate plan                       # what moving this vhost's queues takes
  warren quorum migrate plan -f definitions.json   # offline, from a definitions export")]
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Add a member on NODE to each selected quorum queue that has none there.
    #[command(after_help = "Examples:
  warren quorum grow rabbit@node4 --all-vhosts --dry-run
  warren quorum grow rabbit@node4 --name '^orders\\.' --vhost shop

Each queue is changed through its own replicas/add call and read back. Exit 5 when one
failed, 10 before RabbitMQ 3.12 (no HTTP API for members: use rabbitmq-queues grow).")]
    Grow(MemberArgs),
    /// Remove the member on NODE from each selected quorum queue.
    #[command(after_help = "Examples:
  warren quorum shrink rabbit@node4 --all-vhosts --dry-run
  warren quorum shrink rabbit@node4 --all-vhosts --yes
  warren quorum shrink rabbit@node4 --name '^scratch-' --allow-below-quorum --yes

A queue that would keep fewer than 3 members, or fewer online than a majority, is refused
unless --allow-below-quorum; a queue's last member is never removed. Exit 5 when a queue
was refused or failed.")]
    Shrink(MemberArgs),
}

#[derive(clap::Subcommand, Debug)]
pub enum MigrateAction {
    /// Classify every queue an ha-* policy covers, and rewrite those policies (read-only).
    #[command(after_help = "Examples:
  warren quorum migrate plan                       # the vhost of --vhost or the URI, live
  warren quorum migrate plan --all-vhosts -o json
  warren quorum migrate plan -f definitions.json   # offline, from a definitions export

Each queue is ready (durable, not exclusive, not auto-delete), needs its arguments changed
(x-queue-mode, x-queue-version, x-queue-master-locator, x-max-priority, x-overflow
reject-publish-dlx), or cannot become a quorum queue (exclusive, non-durable, auto-delete),
with what to do instead; risks are named (no dead-letter exchange under 4.x's delivery limit
of 20, clients pinning x-queue-type classic, a policy that stops applying). Each ha-* policy
is shown rewritten: ha-* and queue-mode stripped, queue-master-locator replaced, apply-to
narrowed to queues, deleted when nothing is left. Nothing is changed.")]
    Plan(PlanArgs),
}

#[derive(clap::Args, Debug)]
pub struct PlanArgs {
    /// A definitions export to read instead of the broker (offline).
    #[arg(long, short = 'f', value_name = "FILE")]
    pub file: Option<std::path::PathBuf>,
    /// Every virtual host instead of the one of --vhost / the URI (live).
    #[arg(long, conflicts_with = "file")]
    pub all_vhosts: bool,
    #[command(flatten)]
    pub limits: super::InputLimits,
}

#[derive(clap::Args, Debug)]
pub struct MemberArgs {
    /// The node, as the cluster names it (rabbit@host).
    pub node: String,
    /// Only queues whose name matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    pub name: Option<String>,
    /// Every virtual host instead of the one of --vhost / the URI.
    #[arg(long)]
    pub all_vhosts: bool,
    /// Show what would change; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Go ahead without asking (shrink; without a terminal it needs this).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// shrink: go ahead where a queue would keep fewer than 3 members or fewer online than a
    /// majority.
    #[arg(long)]
    pub allow_below_quorum: bool,
}

pub async fn run(global: &Global, args: &Args) -> Result<()> {
    if let Action::Migrate {
        action: MigrateAction::Plan(plan),
    } = &args.action
        && let Some(path) = &plan.file
    {
        let file = path.display().to_string();
        let text = crate::input::read_json(path, plan.limits.limits(), &file)?;
        let vhost = global
            .connection
            .vhost
            .clone()
            .unwrap_or_else(|| "/".into());
        let (queues, policies) = quorum::migrate::from_definitions(&file, &text, &vhost)?;
        return output::print(global.output, &quorum::migrate::plan(&queues, &policies));
    }
    let settings = settings::load(&global.connection.flags())?;
    let api = ManagementApi::new(&settings)?;
    match &args.action {
        Action::Status { queue } => {
            let status = quorum::status(&api, &settings.vhost, queue).await?;
            output::print(global.output, &status)
        }
        Action::Rebalance { dry_run, timeout } => {
            let report = quorum::rebalance(&api, *dry_run, *timeout).await?;
            output::print(global.output, &report)?;
            if report.piled_after.is_empty() {
                Ok(())
            } else {
                Err(Error::findings_or_drift(format!(
                    "leaders still piled on {}",
                    report.piled_after.join(", ")
                ))
                .into())
            }
        }
        Action::Migrate {
            action: MigrateAction::Plan(plan),
        } => {
            let vhost = (!plan.all_vhosts).then_some(settings.vhost.as_str());
            if let Some(v) = vhost {
                api.require_vhost(v).await?;
            }
            output::print(global.output, &quorum::migrate_plan(&api, vhost).await?)
        }
        Action::Grow(m) => members(global, &api, &settings.vhost, Direction::Grow, m).await,
        Action::Shrink(m) => members(global, &api, &settings.vhost, Direction::Shrink, m).await,
    }
}

async fn members(
    global: &Global,
    api: &ManagementApi,
    vhost: &str,
    direction: Direction,
    args: &MemberArgs,
) -> Result<()> {
    let name = args
        .name
        .as_deref()
        .map(Regex::new)
        .transpose()
        .map_err(|e| Error::usage(format!("--name: {e}")))?;
    if quorum::version(api).await?.is_none_or(|v| v < (3, 12)) {
        return Err(Error::broker_refused(
            "this RabbitMQ has no HTTP API for quorum queue members (3.12 and later have it): \
             use `rabbitmq-queues grow` or `shrink` on a cluster node",
        )
        .into());
    }
    let (_, nodes) = quorum::nodes(api).await?;
    let Some(node) = nodes.iter().find(|n| n.name == args.node) else {
        let names: Vec<&str> = nodes.iter().map(|n| n.name.as_str()).collect();
        return Err(Error::usage(format!(
            "`{}` is not a node of this cluster; its nodes: {}",
            args.node,
            names.join(", ")
        ))
        .into());
    };
    if direction == Direction::Grow && !node.is_running() {
        return Err(Error::broker_refused(format!("{} is not running", args.node)).into());
    }
    if !args.all_vhosts {
        api.require_vhost(vhost).await?;
    }
    let queues: Vec<_> = quorum::quorum_queues(api, (!args.all_vhosts).then_some(vhost))
        .await?
        .into_iter()
        .filter(|q| name.as_ref().is_none_or(|r| r.is_match(&q.name)))
        .collect();
    let mut changes = quorum::plan(direction, &args.node, &queues, args.allow_below_quorum);
    let to_change = changes.iter().filter(|c| c.outcome != "refused").count();
    if !args.dry_run && to_change > 0 && direction == Direction::Shrink {
        super::go_ahead(
            args.yes,
            || {
                format!(
                    "shrink would remove {to_change} member(s) on {}: pass --yes (or --dry-run to see them)",
                    args.node
                )
            },
            || {
                format!(
                    "Remove the member on {} from {to_change} quorum queue(s)?",
                    args.node
                )
            },
        )?;
    }
    if !args.dry_run {
        quorum::apply(api, direction, &args.node, &mut changes).await;
    }
    let report = Membership {
        node: args.node.clone(),
        changes,
        dry_run: args.dry_run,
    };
    output::print(global.output, &report)?;
    match report.failed() {
        0 => Ok(()),
        n => Err(Error::partial_failure(format!("{n} queue(s) refused or failed")).into()),
    }
}
