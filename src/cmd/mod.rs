//! One module per subcommand: its arguments and a thin `run` over the library modules.

pub mod audit;
pub mod completions;
pub mod consume;
pub mod peek;
pub mod publish;
pub mod replay;
pub mod status;
pub mod tap;
pub mod topology;

use anyhow::Result;

use crate::cli::{Cli, Command};

pub async fn run(cli: Cli) -> Result<()> {
    match &cli.command {
        Command::Status(args) => status::run(&cli.global, args).await,
        Command::Publish(args) => publish::run(&cli.global, args).await,
        Command::Consume(args) => consume::run(&cli.global, args).await,
        Command::Peek(args) => peek::run(&cli.global, args).await,
        Command::Tap(args) => tap::run(&cli.global, args).await,
        Command::Audit(args) => audit::run(&cli.global, args).await,
        Command::Replay(args) => replay::run(&cli.global, args).await,
        Command::Completions(args) => completions::run(args),
        Command::Topology(args) => topology::run(&cli.global, args).await,
    }
}
