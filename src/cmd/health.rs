//! `warren health`: the checks of `health::run`, selected by name or as the preflight
//! group, printed one line each; exit 3 when any check failed or could not be evaluated.

use std::time::Duration;

use anyhow::Result;

use crate::broker::http::ManagementApi;
use crate::broker::settings;
use crate::cli::Global;
use crate::exit::Error;
use crate::health::{self, Check};
use crate::output;

#[derive(clap::Args, Debug)]
#[command(after_help = "Checks (all of them when none is named):
  running              every cluster node is running
  ready                the API's node is in service, below its connection limit and serving
                       clients (RabbitMQ 4.2 and later; skipped before)
  metadata-store       the metadata store (Khepri or Mnesia) is initialized on the API's node
                       (4.0.6 and later; skipped before)
  alarms               no memory or disk alarm anywhere in the cluster
  local-alarms         no alarm on the node serving the API
  listeners            every listener accepts a TCP connection; each node has an AMQP listener
  virtual-hosts        every virtual host is running on every node
  quorum-critical      no quorum queue has lost its majority or is one node away from it
  quorum-leaders       every quorum queue has an elected leader (4.1 and later; skipped before)
  certificates         TLS listeners' certificates are valid beyond --within
  deprecated-features  no deprecated feature is in use (3.13 and later; skipped before)
  feature-flags        every stable feature flag is enabled (needed before an upgrade)
  partitions           no node reports a network partition (Mnesia's; skipped with Khepri,
                       the only metadata store from 4.3 on)
  preflight            the group that gates a rolling restart or an upgrade: running, alarms,
                       partitions, quorum-critical, quorum-leaders, virtual-hosts,
                       feature-flags, deprecated-features

Exit codes: 0 healthy, 3 a check failed or could not be evaluated, 6/7/8 the API could not
be reached, refused the credentials, or failed TLS.

Examples:
  warren health
  warren health preflight --api-url https://rabbit-1:15671 --ca-cert ca.pem
  warren health alarms local-alarms -o json          # a Kubernetes probe or a CI gate
  warren health certificates --within 21d")]
pub struct Args {
    /// Checks to run, or `preflight` (see below). Default: every check.
    #[arg(value_name = "CHECK", value_parser = parse_selection)]
    pub checks: Vec<Selection>,

    /// `certificates` fails for a certificate that expires within this span (e.g. 30d, 2w).
    #[arg(long, value_name = "DURATION", default_value = "30d", value_parser = crate::flags::span)]
    pub within: Duration,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    One(Check),
    Preflight,
}

fn parse_selection(text: &str) -> Result<Selection, String> {
    if text == "preflight" {
        return Ok(Selection::Preflight);
    }
    Check::from_name(text).map(Selection::One).ok_or_else(|| {
        let names: Vec<&str> = Check::ALL.iter().map(|c| c.name()).collect();
        format!(
            "unknown check `{text}`; expected preflight or one of: {}",
            names.join(", ")
        )
    })
}

/// The checks the selections name, each once, in catalogue order.
fn checks(selections: &[Selection]) -> Vec<Check> {
    if selections.is_empty() {
        return Check::ALL.to_vec();
    }
    Check::ALL
        .into_iter()
        .filter(|c| {
            selections.iter().any(|s| match s {
                Selection::One(one) => one == c,
                Selection::Preflight => Check::PREFLIGHT.contains(c),
            })
        })
        .collect()
}

pub async fn run(global: &Global, args: &Args) -> Result<()> {
    let settings = settings::load(&global.connection.flags())?;
    let api = ManagementApi::new(&settings)?;
    let options = health::Options {
        within: args.within,
    };
    let report = health::run(&api, &settings, &checks(&args.checks), &options).await?;
    output::print(global.output, &report)?;
    if report.healthy {
        return Ok(());
    }
    let failing: Vec<&str> = report
        .checks
        .iter()
        .filter(|o| !matches!(o.status, health::Status::Ok | health::Status::Skipped))
        .map(|o| o.check.name())
        .collect();
    Err(Error::findings_or_drift(format!("unhealthy: {}", failing.join(", "))).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn help_lists_every_check() {
        let help = crate::cli::Cli::command()
            .find_subcommand_mut("health")
            .expect("health subcommand")
            .render_long_help()
            .to_string();
        for c in Check::ALL {
            assert!(help.contains(&format!("\n  {} ", c.name())), "{}", c.name());
        }
    }

    #[test]
    fn selections_expand_in_catalogue_order_once() {
        assert_eq!(checks(&[]), Check::ALL.to_vec());
        let picked = checks(&[
            Selection::One(Check::Partitions),
            Selection::Preflight,
            Selection::One(Check::Listeners),
        ]);
        assert_eq!(picked.len(), Check::PREFLIGHT.len() + 1);
        assert!(picked.contains(&Check::Listeners));
        assert_eq!(parse_selection("preflight"), Ok(Selection::Preflight));
        assert!(
            parse_selection("alarm")
                .unwrap_err()
                .contains("local-alarms")
        );
    }
}
