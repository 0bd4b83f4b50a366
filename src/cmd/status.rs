//! `warren status` (alias `ping`): reach the broker over AMQP and over HTTP, and say what is there.

use anyhow::Result;
use serde::Serialize;

use crate::broker::api::{self, Overview};
use crate::broker::http::ManagementApi;
use crate::broker::{amqp, settings};
use crate::cli::Global;
use crate::exit::{Code, code_of};
use crate::output::{self, Render, yes_no};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  warren status
  warren ping --uri amqps://ops@rabbit-1:5671/orders --ca-cert ca.pem --password-file ~/.rabbit-pw
  warren status --uri amqp://app@node1/%2f --uri amqp://app@node2/%2f --output json")]
pub struct Args {}

#[derive(Serialize, Default)]
pub struct Report {
    pub amqp: PathStatus,
    pub http: PathStatus,
    pub broker: Option<BrokerInfo>,
    /// `None` when unknown: the API was not reached, or its overview leaves the listeners
    /// out (management statistics disabled).
    pub listeners: Option<Vec<Listener>>,
}

/// Whether one path (AMQP or HTTP) reached the vhost.
#[derive(Serialize, Default)]
pub struct PathStatus {
    /// The node or URL tried last; never holds a password.
    pub endpoint: String,
    pub user: String,
    pub vhost: String,
    pub reached_vhost: bool,
    pub error: Option<String>,
    #[serde(skip)]
    code: Option<Code>,
}

#[derive(Serialize)]
pub struct BrokerInfo {
    pub product: String,
    pub rabbitmq_version: String,
    pub erlang_version: String,
    pub cluster_name: String,
    /// Khepri or Mnesia; `None` (unknown) when the feature flags can't be read.
    pub metadata_store: Option<api::MetadataStore>,
    pub nodes: Vec<Node>,
}

/// A node as `status` shows it; `None` where the broker didn't say.
#[derive(Serialize)]
pub struct Node {
    pub name: String,
    pub kind: Option<String>,
    pub running: Option<bool>,
}

#[derive(Serialize)]
pub struct Listener {
    pub node: String,
    pub protocol: String,
    pub address: String,
    /// `None` when the broker didn't say.
    pub port: Option<u16>,
    pub tls: bool,
}

pub async fn run(global: &Global, _args: &Args) -> Result<()> {
    let settings = settings::load(&global.connection.flags())?;
    let api = ManagementApi::new(&settings)?;
    let mut report = Report::default();
    // The AMQP failure decides the exit code when both failed: it is the path messages take.
    let mut first_failure = None;

    let (amqp_result, http_result) =
        tokio::join!(amqp::connect(&settings), fetch_http(&api, &settings.vhost));

    report.amqp = PathStatus {
        endpoint: settings.amqp[0].redacted(&settings.user, &settings.vhost),
        user: settings.user.clone(),
        vhost: settings.vhost.clone(),
        ..Default::default()
    };
    match amqp_result {
        Ok(session) => {
            report.amqp.endpoint = session.endpoint.clone();
            report.amqp.reached_vhost = true;
            session.close().await;
        }
        Err(e) => {
            report.amqp.code = Some(code_of(&e));
            report.amqp.error = Some(format!("{e:#}"));
            first_failure = Some(e);
        }
    }

    report.http = PathStatus {
        endpoint: api.base().to_string(),
        user: settings.user.clone(),
        vhost: settings.vhost.clone(),
        ..Default::default()
    };
    match http_result {
        Ok((overview, nodes, metadata_store)) => {
            report.http.reached_vhost = true;
            report.listeners = overview.listeners.as_ref().map(|all| {
                all.iter()
                    .map(|l| Listener {
                        node: l.node.clone(),
                        protocol: l.protocol.clone(),
                        address: l.ip_address.clone(),
                        port: l.port(),
                        tls: l.is_tls(),
                    })
                    .collect()
            });
            report.broker = Some(BrokerInfo {
                product: overview.product_name.unwrap_or_else(|| "RabbitMQ".into()),
                rabbitmq_version: overview.rabbitmq_version,
                erlang_version: overview.erlang_version,
                cluster_name: overview.cluster_name,
                metadata_store,
                nodes,
            });
        }
        Err(e) => {
            report.http.code = Some(code_of(&e));
            report.http.error = Some(format!("{e:#}"));
            first_failure = first_failure.or(Some(e));
        }
    }
    report.http.endpoint = api.base().to_string();

    output::print(global.output, &report)?;
    first_failure.map_or(Ok(()), Err)
}

async fn fetch_http(
    api: &ManagementApi,
    vhost: &str,
) -> Result<(Overview, Vec<Node>, Option<api::MetadataStore>)> {
    let overview = Overview::read(api).await?;
    // A user without the monitoring tag can't read the feature flags: the store is unknown.
    let metadata_store = api::MetadataStore::read(api).await.ok();
    // A user without the monitoring tag can't list nodes; the overview still names one.
    let nodes = api::Node::list(api)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|n| Node {
            name: n.name,
            kind: n.kind,
            running: n.running,
        })
        .collect();
    if !api.vhost_exists(vhost).await? {
        return Err(anyhow::Error::from(api.vhost_unavailable(vhost)).context("management API"));
    }
    Ok((overview, nodes, metadata_store))
}

impl Render for Report {
    fn human(&self) -> String {
        let mut out = String::new();
        if let Some(b) = &self.broker {
            out.push_str(&format!(
                "{} {} on Erlang {}, cluster `{}`, metadata store {}\n",
                b.product,
                b.rabbitmq_version,
                b.erlang_version,
                b.cluster_name,
                b.metadata_store.map_or("unknown", |s| s.name())
            ));
            if !b.nodes.is_empty() {
                let mut t = output::table(["node", "type", "running"]);
                for n in &b.nodes {
                    t.add_row([
                        n.name.as_str(),
                        n.kind.as_deref().unwrap_or("?"),
                        n.running.map_or("?", yes_no),
                    ]);
                }
                out.push_str(&format!("{t}\n"));
            }
        }
        match &self.listeners {
            None if self.http.reached_vhost => {
                out.push_str("listeners: unknown (management statistics are disabled)\n")
            }
            None => {}
            Some(listeners) if !listeners.is_empty() => {
                let mut t = output::table(["node", "protocol", "address", "port", "tls"]);
                for l in listeners {
                    t.add_row([
                        l.node.clone(),
                        l.protocol.clone(),
                        l.address.clone(),
                        l.port.map_or("?".to_string(), |p| p.to_string()),
                        yes_no(l.tls).to_string(),
                    ]);
                }
                out.push_str(&format!("{t}\n"));
            }
            Some(_) => out.push_str("listeners: none\n"),
        }
        let mut t = output::table(["path", "endpoint", "user", "vhost", "reached", "error"]);
        for (name, p) in [("amqp", &self.amqp), ("http", &self.http)] {
            t.add_row([
                name.to_string(),
                p.endpoint.clone(),
                p.user.clone(),
                p.vhost.clone(),
                yes_no(p.reached_vhost).to_string(),
                p.error.clone().unwrap_or_default(),
            ]);
        }
        out.push_str(&t.to_string());
        out
    }
}
