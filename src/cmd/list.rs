//! `warren list KIND`: queues, exchanges, bindings, connections, ... as rows, filtered,
//! sorted and cut to the columns asked for.

use anyhow::Result;

use crate::broker::api::Overview;
use crate::broker::http::ManagementApi;
use crate::broker::settings;
use crate::cli::Global;
use crate::exit::Error;
use crate::list::{self, Query, expr, kinds, render};
use crate::output::Format;

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  warren list queues --where 'messages > 1000 && consumers == 0' --sort -messages
  warren list queues --all-vhosts --columns vhost,name,type,messages,memory -o csv
  warren list queues --where 'type == \"quorum\" && online != members'
  warren list channels --where 'idle_since > 1h' --columns name,user,idle_since
  warren list exchanges --name '^orders\\.' -o json | jq -r '.[].name'
  warren list nodes --where 'mem_alarm || disk_free_alarm'
  warren list queues --columns help            # every column of a kind

Kinds: queues, exchanges, bindings, connections, channels, consumers, vhosts, users,
permissions, policies, operator-policies, nodes, shovels, federation-links, parameters.

--where compares columns: == != < <= > >= (numbers, strings, durations, sizes), =~ and !~
(regular expressions), joined by && || ! and parentheses. Numbers take units: 10s 5m 1h 2d,
100MB 1GiB. A timestamp compared with a duration is its age (`idle_since > 1h`: idle for more
than an hour). A value the broker left out is unknown: no comparison with it holds (test it
with `== null`); tables show it as `?`.

Only the fields needed are asked for, and no statistics unless a column needs them.")]
pub struct Args {
    /// What to list (singular accepted).
    #[arg(value_name = "KIND")]
    pub kind: String,

    /// Every virtual host instead of the one of --vhost / the URI.
    #[arg(long)]
    pub all_vhosts: bool,

    /// Only objects whose name matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    pub name: Option<String>,

    /// Only objects for which this expression holds (see below).
    #[arg(long = "where", value_name = "EXPR")]
    pub filter: Option<String>,

    /// Sort by these columns, `-` before one for descending: `-messages,name`.
    #[arg(long, value_name = "COLUMNS", allow_hyphen_values = true)]
    pub sort: Option<String>,

    /// The columns to show, in order (`help` lists them).
    #[arg(long, value_name = "COLUMNS")]
    pub columns: Option<String>,

    /// Output format: csv and tsv besides table, json and yaml. JSON is an array of flat
    /// objects whose keys are the columns.
    #[arg(long, short = 'o', global = true, default_value = "table",
          value_parser = crate::cli::formats(&[Format::Csv, Format::Tsv]))]
    pub output: Format,
}

/// The query the flags describe, checked in full before any request.
fn query(args: &Args, vhost: &str) -> Result<Query> {
    let kind = kinds::find(&args.kind).map_err(Error::usage)?;
    let columns = list::parse_columns(kind, args.columns.as_deref()).map_err(Error::usage)?;
    let names = kind.column_names();
    let filter = match &args.filter {
        Some(text) => Some((
            expr::parse(text, &names).map_err(|e| Error::usage(e.to_string()))?,
            text.clone(),
        )),
        None => None,
    };
    let sort = match &args.sort {
        Some(text) => list::parse_sort(kind, text).map_err(Error::usage)?,
        None => Vec::new(),
    };
    let name = args
        .name
        .as_deref()
        .map(regex_lite::Regex::new)
        .transpose()
        .map_err(|e| Error::usage(format!("--name: {e}")))?;
    Ok(Query {
        kind,
        vhost: (!args.all_vhosts && kind.scope != kinds::Scope::Global).then(|| vhost.to_string()),
        name,
        filter,
        sort,
        columns,
    })
}

pub async fn run(global: &Global, args: &Args) -> Result<()> {
    if args.columns.as_deref() == Some("help") {
        let kind = kinds::find(&args.kind).map_err(Error::usage)?;
        let mut out = std::io::stdout().lock();
        let mut w = render::Writer::new(
            args.output,
            vec!["column", "statistic", "default"],
            &mut out,
        )?;
        for c in kind.columns {
            let row = serde_json::json!({
                "column": c.name,
                "statistic": c.stats,
                "default": kind.default_columns.contains(&c.name),
            });
            w.row(
                row.as_object()
                    .ok_or_else(|| Error::internal("column row"))?,
            )?;
        }
        w.finish()?;
        return Ok(());
    }
    let settings = settings::load(&global.connection.flags())?;
    let query = query(args, &settings.vhost)?;
    let api = ManagementApi::new(&settings)?;
    let path = query.path();
    // The consumer counts of a totals-form queue list are asked for at the same time.
    let consumers_path = query.consumers_path();
    let consumers = async {
        match &consumers_path {
            Some(p) => api.get_opt::<Vec<serde_json::Value>>(p).await,
            None => Ok(None),
        }
    };
    // The version, when a column's meaning depends on it; unreadable: unknown.
    let version = async {
        if query.needs_version() {
            Overview::version(&api).await
        } else {
            String::new()
        }
    };
    let (listed, consumers, version) = tokio::join!(
        api.get_opt::<Vec<serde_json::Value>>(&path),
        consumers,
        version
    );
    let items = match listed? {
        Some(items) => items,
        None => {
            return Err(match query.kind.plugin {
                Some(plugin) => Error::broker_refused(format!(
                    "the management API has no {} (404): is the {plugin} plugin enabled?",
                    query.kind.name
                )),
                None => Error::vhost_unavailable(format!(
                    "vhost `{}` not found (404)",
                    query.vhost.as_deref().unwrap_or("")
                )),
            }
            .into());
        }
    };
    // Not found (the vhost went away meanwhile): the counts are unknown, not 0.
    let counts = consumers?.map(|c| list::count_consumers(&c));
    let mut rows = Vec::new();
    for item in &items {
        let row = query.row(item, counts.as_ref(), &version);
        if query.keep(&row).map_err(|e| Error::usage(e.to_string()))? {
            rows.push(row);
        }
    }
    query.sort(&mut rows);
    let mut out = std::io::stdout().lock();
    let mut w = render::Writer::new(
        args.output,
        query.columns.iter().map(|c| c.name).collect(),
        &mut out,
    )?;
    for row in &rows {
        w.row(row)?;
    }
    w.finish()?;
    Ok(())
}
