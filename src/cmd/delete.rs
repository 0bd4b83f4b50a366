//! `warren delete KIND NAME...`: delete queues, exchanges, bindings, vhosts, users, policies
//! or shovels, every one checked before the first is deleted.

use anyhow::Result;

use crate::broker::http::ManagementApi;
use crate::broker::settings;
use crate::cli::Global;
use crate::exit::Error;
use crate::ops::delete::{self, BindingSpec, Checks, Kind, Refusal, Selection, Target};
use crate::ops::{Item, Report};
use crate::output;

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  warren delete queue orders.tmp --yes
  warren delete queue --name '^load-test\\.' --dry-run      # what would go
  warren delete queue --name '^load-test\\.' --allow-message-loss --yes
  warren delete queue orders.retry --if-empty --yes               # quorum queues too
  warren delete exchange legacy.events --if-unused --yes
  warren delete binding --source orders --destination orders.audit --routing-key 'eu.#' --yes
  warren delete policy ttl-30d --vhost billing --yes
  warren delete vhost staging-42 staging-43 --allow-message-loss --yes
  warren delete user ci-bot --yes

Objects of a vhost are looked for in the vhost of --vhost or the URI (default /).
Everything selected is checked before anything is deleted; if one is refused, nothing is
deleted. A queue that holds messages (or whose count is unknown) is refused (exit 2) unless
--allow-message-loss; so is a vhost whose queues do. The count is the larger of the
management API's and the queue's own answer to a passive declare over AMQP.
--if-empty and --if-unused are sent to the broker for classic queues, which checks them
atomically; the broker ignores them for quorum and stream queues, so warren checks those
itself just before the delete (a message published in between is lost). A refusal by
--if-empty or --if-unused is exit 10, like the broker's own.
Without --yes, warren asks at a terminal and refuses (exit 2) otherwise. --dry-run shows what
would be deleted and changes nothing; its exit code is the one the run would have.
A binding is chosen by --source, --destination [--destination-type] and --routing-key
(without it, every binding between the two).")]
pub struct Args {
    /// What to delete: queue, exchange, binding, vhost, user, policy or shovel (plural
    /// accepted).
    #[arg(value_name = "KIND")]
    pub kind: String,

    /// The names of the objects (not for bindings).
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,

    /// Every object of the kind whose name matches this regular expression, instead of names
    /// (never the default exchange or an amq.* one).
    // `--name-pattern` is its old spelling (deprecated: see `crate::cli::DEPRECATED`).
    #[arg(
        long = "name",
        alias = "name-pattern",
        value_name = "REGEX",
        conflicts_with = "names"
    )]
    pub name_pattern: Option<String>,

    /// Queues: only if they hold no message.
    #[arg(long)]
    pub if_empty: bool,

    /// Queues: only if they have no consumer. Exchanges: only if they are no binding's source.
    #[arg(long)]
    pub if_unused: bool,

    #[command(flatten)]
    pub change: super::ChangeArgs,

    /// Bindings: the source exchange.
    #[arg(long, value_name = "EXCHANGE", value_parser = crate::flags::short_string)]
    pub source: Option<String>,

    /// Bindings: the destination queue (or exchange, see --destination-type).
    #[arg(long, value_name = "NAME", value_parser = crate::flags::short_string)]
    pub destination: Option<String>,

    /// Bindings: what the destination is.
    #[arg(long, value_name = "TYPE", default_value = "queue",
          value_parser = ["queue", "exchange"])]
    pub destination_type: String,

    /// Bindings: only the binding with this routing key.
    #[arg(long, value_name = "KEY", value_parser = crate::flags::short_string)]
    pub routing_key: Option<String>,
}

/// The selection and checks the flags describe, refused (exit 2) where they don't fit the kind.
fn selection(args: &Args, kind: Kind) -> Result<(Selection, Checks)> {
    let misfit = |flag: &str, kinds: &str| {
        Err(Error::usage(format!(
            "{flag} does not apply to {}s (only to {kinds})",
            kind.name()
        ))
        .into())
    };
    if args.if_empty && kind != Kind::Queue {
        return misfit("--if-empty", "queues");
    }
    if args.if_unused && !matches!(kind, Kind::Queue | Kind::Exchange) {
        return misfit("--if-unused", "queues and exchanges");
    }
    if args.change.allow_message_loss && !matches!(kind, Kind::Queue | Kind::Vhost) {
        return misfit("--allow-message-loss", "queues and vhosts");
    }
    let binding_flags = args.source.is_some() || args.destination.is_some();
    if binding_flags != (kind == Kind::Binding) || (args.routing_key.is_some() && !binding_flags) {
        return misfit(
            "--source, --destination and --routing-key",
            "bindings, which need --source and --destination",
        );
    }
    let checks = Checks {
        if_empty: args.if_empty,
        if_unused: args.if_unused,
        allow_message_loss: args.change.allow_message_loss,
    };
    let selection = match (&args.name_pattern, kind) {
        (_, Kind::Binding) => {
            if !args.names.is_empty() || args.name_pattern.is_some() {
                return Err(Error::usage(
                    "bindings have no names: choose one with --source, --destination and --routing-key",
                )
                .into());
            }
            match (&args.source, &args.destination) {
                (Some(source), Some(destination)) => Selection::Binding(BindingSpec {
                    source: source.clone(),
                    destination: destination.clone(),
                    destination_type: args.destination_type.clone(),
                    routing_key: args.routing_key.clone(),
                }),
                _ => {
                    return Err(
                        Error::usage("a binding needs both --source and --destination").into(),
                    );
                }
            }
        }
        (Some(pattern), _) => Selection::Pattern(
            regex_lite::Regex::new(pattern).map_err(|e| Error::usage(format!("--name: {e}")))?,
        ),
        (None, _) if args.names.is_empty() => {
            return Err(Error::usage(format!(
                "name the {}s to delete, or select them with --name REGEX",
                kind.name()
            ))
            .into());
        }
        (None, _) => Selection::Names(args.names.clone()),
    };
    Ok((selection, checks))
}

pub async fn run(global: &Global, args: &Args) -> Result<()> {
    let kind = Kind::find(&args.kind).map_err(Error::usage)?;
    let (selection, checks) = selection(args, kind)?;
    let settings = settings::load(&global.connection.flags())?;
    let api = ManagementApi::new(&settings)?;
    let vhost = &settings.vhost;
    let mut targets = delete::select(&api, kind, vhost, &selection).await?;
    delete::check(&api, &settings, kind, vhost, checks, &mut targets).await?;
    let report = |items: Vec<Item>| {
        Report::new(
            format!("delete {}", kind.name()),
            kind.in_vhost().then(|| vhost.clone()),
            args.change.dry_run,
            "deleted",
            items,
        )
    };
    refuse(global, &report, kind, &mut targets)?;
    if args.change.dry_run || targets.is_empty() {
        let items = targets
            .into_iter()
            .map(|mut t| {
                t.item.set("would delete", None);
                t.item
            })
            .collect();
        return output::print(global.output, &report(items));
    }
    let preview: Vec<Item> = targets
        .iter()
        .map(|t| {
            let mut i = t.item.clone();
            i.set("will be deleted", None);
            i
        })
        .collect();
    super::go_ahead(
        args.change.yes,
        || {
            format!(
                "deleting {} {}(s) can't be undone: pass --yes to go ahead (or look first with --dry-run)",
                preview.len(),
                kind.name()
            )
        },
        || {
            format!(
                "{}\nDelete these {} {}(s)?",
                output::render(output::Format::Table, &report(preview.clone())).unwrap_or_default(),
                preview.len(),
                kind.name()
            )
        },
    )?;
    if !args.change.yes {
        // Time passed at the prompt: count again, at the moment of acting.
        delete::check(&api, &settings, kind, vhost, checks, &mut targets).await?;
        refuse(global, &report, kind, &mut targets)?;
    }
    let mut items = Vec::new();
    let mut failed = 0;
    for mut t in targets {
        match api.delete(&t.delete_path).await {
            Ok(()) => t.item.set("deleted", None),
            Err(e) => {
                failed += 1;
                t.item.set("failed", Some(format!("{e:#}")));
            }
        }
        items.push(t.item);
    }
    let report = report(items);
    output::print(global.output, &report)?;
    if failed > 0 {
        return Err(Error::broker_refused(format!(
            "{failed} of {} {}(s) not deleted (see above)",
            report.objects.len(),
            kind.name()
        ))
        .into());
    }
    Ok(())
}

/// Refuse the whole run (printing why for every object) when any target is refused.
fn refuse(
    global: &Global,
    report: &impl Fn(Vec<Item>) -> Report,
    kind: Kind,
    targets: &mut Vec<Target>,
) -> Result<()> {
    let refused: Vec<&Refusal> = targets.iter().filter_map(|t| t.refusal.as_ref()).collect();
    if !refused.is_empty() {
        let needs_flag = refused.iter().any(|r| matches!(r, Refusal::MessageLoss(_)));
        let count = refused.len();
        let items = std::mem::take(targets)
            .into_iter()
            .map(|mut t| {
                match &t.refusal {
                    Some(r) => t.item.set("refused", Some(r.reason().to_string())),
                    None => t.item.set(
                        "not deleted",
                        Some("another object was refused, so nothing was deleted".into()),
                    ),
                }
                t.item
            })
            .collect();
        let report = report(items);
        output::print(global.output, &report)?;
        let reasons: Vec<String> = report
            .objects
            .iter()
            .filter(|i| i.outcome == "refused")
            .map(|i| format!("`{}`: {}", i.name, i.reason.as_deref().unwrap_or("")))
            .collect();
        let reason = format!(
            "{count} {}(s) refused, nothing deleted: {}",
            kind.name(),
            reasons.join("; ")
        );
        return Err(if needs_flag {
            Error::usage(reason)
        } else {
            Error::broker_refused(reason)
        }
        .into());
    }
    Ok(())
}
