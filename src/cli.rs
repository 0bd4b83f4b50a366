//! The top-level command line: global options (connection, output format) and the subcommands.

use clap::{CommandFactory, Parser, Subcommand};

use crate::broker::settings::ConnectionArgs;
use crate::cmd;
use crate::output::Format;

const EXAMPLES: &str = "Examples:
  warren status
  warren status --profile prod --output json
  WARREN_PASSWORD=$(cat pw) warren ping --uri amqps://ops@rabbit-1:5671/%2f --ca-cert ca.pem
  warren completions bash > /etc/bash_completion.d/warren

Settings come from flags, then WARREN_* environment variables, then the profile
(--profile, WARREN_PROFILE or default_profile in $XDG_CONFIG_HOME/warren/config.yaml),
then defaults (amqp://localhost:5672/%2f, http://localhost:15672).";

#[derive(Parser, Debug)]
#[command(
    name = "warren",
    version,
    about = "RabbitMQ operations toolkit: status, topology, publish/consume, replay, audit",
    after_help = EXAMPLES,
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,

    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(clap::Args, Debug, Clone)]
pub struct Global {
    /// Output format (`warren audit` also takes sarif).
    #[arg(long, short = 'o', global = true, default_value = "table",
          value_parser = crate::output::common_formats())]
    pub output: Format,

    #[command(flatten)]
    pub connection: ConnectionArgs,
}

// Built once per run: the size of the largest variant costs nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Connect over AMQP and HTTP and show the broker, its nodes and listeners.
    #[command(visible_alias = "ping")]
    Status(cmd::status::Args),

    /// Publish messages with confirms and `mandatory`: a body, stdin, lines, envelope files, a generator.
    Publish(cmd::publish::Args),

    /// Consume messages from a queue into JSON Lines or files, acking only what is written.
    Consume(cmd::consume::Args),

    /// Show messages on a queue and put them back.
    Peek(cmd::peek::Args),

    /// Watch messages flowing through an exchange, through a private bound queue.
    Tap(cmd::tap::Args),

    /// Audit a live broker for security and reliability problems (exit 3 on findings).
    Audit(cmd::audit::Args),

    /// Topology as code: lint, plan, apply, export and convert YAML topology files.
    Topology(cmd::topology::Args),

    /// Move dead-lettered messages back where they came from, filtered, without losing one.
    Replay(cmd::replay::Args),

    /// Print a shell completion script.
    Completions(cmd::completions::Args),
}

/// The clap command tree, for completions and man pages.
pub fn command() -> clap::Command {
    Cli::command()
}
