//! `warren show queue|exchange|connection|user|vhost NAME`: one object in depth.

use anyhow::Result;

use crate::broker::http::ManagementApi;
use crate::broker::settings;
use crate::cli::Global;
use crate::output;
use crate::show;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    #[value(alias = "queues")]
    Queue,
    #[value(alias = "exchanges")]
    Exchange,
    #[value(alias = "connections")]
    Connection,
    #[value(alias = "users")]
    User,
    #[value(alias = "vhosts")]
    Vhost,
}

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  warren show queue orders                 # arguments, policy, bindings, consumers, counts
  warren show queue orders -o json | jq '.policy.applied'
  warren show exchange events --vhost shop # bindings both ways, alternate exchange, policy
  warren show connection '127.0.0.1:50412 -> 127.0.0.1:5672'
  warren show user app
  warren show vhost shop

For a queue or an exchange, `policy` names the policy the broker applies and ranks every
matching one: the matching policy of the highest priority applies, the operator policy of
the highest priority on top of it, and where both set a numeric limit (max-length,
message-ttl, expires, delivery-limit) the lower value wins. Two matching policies of the
same priority are flagged: which applies is then the broker's choice.")]
pub struct Args {
    /// What to show (plural accepted: `show queues NAME`).
    #[arg(value_enum, value_name = "KIND")]
    pub kind: Kind,

    /// Its name (queues and exchanges in the vhost of --vhost or the URI).
    pub name: String,
}

pub async fn run(global: &Global, args: &Args) -> Result<()> {
    let settings = settings::load(&global.connection.flags())?;
    let api = ManagementApi::new(&settings)?;
    let vhost = settings.vhost.as_str();
    let shown = match args.kind {
        Kind::Queue => show::queue(&api, vhost, &args.name).await?,
        Kind::Exchange => show::exchange(&api, vhost, &args.name).await?,
        Kind::Connection => show::connection(&api, &args.name).await?,
        Kind::User => show::user(&api, &args.name).await?,
        Kind::Vhost => show::vhost(&api, &args.name).await?,
    };
    output::print(global.output, &shown)
}
