//! The top-level command line: global options (connection, output format) and the subcommands.

use std::path::PathBuf;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::broker::settings::ConnectionFlags;
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

impl Cli {
    /// Parse the process's arguments; a usage error prints clap's message and exits 2. A
    /// deprecated spelling ([`DEPRECATED`]) works, with a warning on stderr.
    pub fn from_args() -> Cli {
        let args: Vec<String> = std::env::args_os()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let matches = Cli::command().get_matches_from(&args);
        let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
        crate::output::set_quiet(cli.global.quiet);
        for note in deprecation_notes(matches.subcommand_name(), &args) {
            crate::warning!("{note}");
        }
        cli
    }
}

/// A flag the one grammar (docs/cli-grammar.md) renamed, still taken (hidden) for one
/// release, with a warning.
pub struct Deprecated {
    /// The commands that took the old spelling.
    pub commands: &'static [&'static str],
    pub old: &'static str,
    /// What to write instead.
    pub new: &'static str,
}

/// The commands that read messages through the shared filter flags (`cmd::FilterArgs`).
const FILTERING: &[&str] = &["consume", "peek", "tap", "move", "replay", "purge"];

pub const DEPRECATED: &[Deprecated] = &[
    // One word for "stop after N messages" on every command that reads messages.
    Deprecated {
        commands: &["replay", "move"],
        old: "--limit",
        new: "--count (or -n)",
    },
    // `--name REGEX` selects by name wherever a command selects objects, as in list.
    Deprecated {
        commands: &["delete"],
        old: "--name-pattern",
        new: "--name",
    },
    // close acted on every vhost unless --in-vhost; it now has list's scope.
    Deprecated {
        commands: &["close"],
        old: "--in-vhost",
        new: "--vhost (close acts in the vhost of --vhost or the URI, as list does; --all-vhosts for every vhost)",
    },
    Deprecated {
        commands: &["close"],
        old: "--delay-ms",
        new: "--delay with a duration (`--delay-ms 200` is `--delay 200ms`)",
    },
    // Matching a header and setting one (`publish -H/--header`) no longer share a name;
    // every filter is `--match-...` on every command that reads messages, as purge had it.
    Deprecated {
        commands: FILTERING,
        old: "--header",
        new: "--match-header",
    },
    Deprecated {
        commands: FILTERING,
        old: "--body-regex",
        new: "--match-body-regex",
    },
    Deprecated {
        commands: FILTERING,
        old: "--routing-key",
        new: "--match-routing-key",
    },
    Deprecated {
        commands: FILTERING,
        old: "--message-id",
        new: "--match-message-id",
    },
    Deprecated {
        commands: FILTERING,
        old: "--jsonpath",
        new: "--match-jsonpath",
    },
];

/// One note for each old spelling of [`DEPRECATED`] that `args` (the whole command line)
/// uses with `command`.
pub fn deprecation_notes(command: Option<&str>, args: &[String]) -> Vec<String> {
    DEPRECATED
        .iter()
        .filter(|d| command.is_some_and(|c| d.commands.contains(&c)))
        .filter(|d| {
            args.iter()
                .any(|a| a == d.old || a.strip_prefix(d.old).is_some_and(|r| r.starts_with('=')))
        })
        .map(|d| {
            format!(
                "{} is deprecated and will be removed in the next release: use {}",
                d.old, d.new
            )
        })
        .collect()
}

/// Options every command takes.
#[derive(clap::Args, Debug, Clone)]
pub struct Global {
    /// Output format (`warren audit` also takes sarif).
    #[arg(long, short = 'o', global = true, default_value = "table",
          value_parser = common_formats())]
    pub output: Format,

    /// No notes and no progress on stderr: only results, warnings and errors.
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,

    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// Connection flags shared by every command.
#[derive(clap::Args, Debug, Clone, Default)]
#[command(next_help_heading = "Connection")]
pub struct ConnectionArgs {
    /// AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`).
    /// Repeat for the nodes of a cluster: they are tried in order. Never put a password here.
    #[arg(long = "uri", value_name = "URI", global = true)]
    pub uris: Vec<String>,

    /// Management API base URL `http[s]://host:port`; repeatable like --uri.
    /// Default: derived from the first URI's host (port 15672, or 15671 for amqps).
    #[arg(long = "api-url", value_name = "URL", global = true)]
    pub api_urls: Vec<String>,

    /// User name (overrides the one in the URI).
    #[arg(long, value_name = "NAME", global = true)]
    pub user: Option<String>,

    /// Read the password from this file (its first line). There is no password flag, so
    /// that a password never shows in `ps`.
    #[arg(long, value_name = "PATH", global = true)]
    pub password_file: Option<PathBuf>,

    /// Virtual host (overrides the one in the URI).
    #[arg(long, value_name = "VHOST", global = true, value_parser = crate::flags::short_string)]
    pub vhost: Option<String>,

    /// Named profile from $XDG_CONFIG_HOME/warren/config.yaml.
    #[arg(long, value_name = "NAME", global = true)]
    pub profile: Option<String>,

    /// PEM file of the CA(s) to trust for TLS, instead of the system's trust store.
    #[arg(long, value_name = "PEM", global = true)]
    pub ca_cert: Option<PathBuf>,

    /// PEM client certificate (chain) for mutual TLS.
    #[arg(long, value_name = "PEM", global = true, requires = "client_key")]
    pub client_cert: Option<PathBuf>,

    /// PEM private key of --client-cert.
    #[arg(long, value_name = "PEM", global = true, requires = "client_cert")]
    pub client_key: Option<PathBuf>,

    /// Verify the server's certificate against this name instead of the URL's host.
    #[arg(long, value_name = "NAME", global = true)]
    pub tls_server_name: Option<String>,

    /// How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms
    /// forms alike: a bare number is seconds).
    #[arg(long, value_name = "DURATION", global = true, default_value = "10s",
          value_parser = crate::flags::connect_timeout)]
    pub connect_timeout: std::time::Duration,
}

impl ConnectionArgs {
    /// The flags as the settings module takes them.
    pub fn flags(&self) -> ConnectionFlags {
        ConnectionFlags {
            uris: self.uris.clone(),
            api_urls: self.api_urls.clone(),
            user: self.user.clone(),
            password_file: self.password_file.clone(),
            vhost: self.vhost.clone(),
            profile: self.profile.clone(),
            ca_cert: self.ca_cert.clone(),
            client_cert: self.client_cert.clone(),
            client_key: self.client_key.clone(),
            tls_server_name: self.tls_server_name.clone(),
            connect_timeout: self.connect_timeout,
        }
    }
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

    /// Fast health checks of a cluster: nodes, alarms, listeners, quorum, certificates (exit 3 when unhealthy).
    Health(cmd::health::Args),

    /// Explain why a queue grows or is stuck: evidence, a fix and the next command (exit 3 on a problem).
    Doctor(cmd::doctor::Args),

    /// Quorum queues: members and Raft status, leader rebalancing, growing and shrinking members.
    Quorum(cmd::quorum::Args),

    /// Topology as code: lint, plan, apply, export and convert YAML topology files.
    Topology(cmd::topology::Args),

    /// Move dead-lettered messages back where they came from, filtered, without losing one.
    Replay(cmd::replay::Args),

    /// Load the broker with producers and consumers; rates and latency percentiles every second.
    Perf(cmd::perf::Args),

    /// Move a queue's messages to another queue, exchange, vhost or broker, without losing one.
    Move(cmd::moving::Args),

    /// List queues, exchanges, connections, ...: filtered (--where), sorted, chosen columns.
    List(cmd::list::Args),

    /// Remove every ready message of a queue (--export: into a file first, loss-free).
    Purge(cmd::purge::Args),

    /// Show one queue, exchange, connection, user or vhost in depth (policy, bindings, ...).
    Show(cmd::show::Args),

    /// Explain which queues a message would reach, and why; --verify checks with the broker.
    Route(cmd::route::Args),

    /// Delete queues, exchanges, bindings, vhosts, users, policies or shovels, safely.
    Delete(cmd::delete::Args),

    /// Close client connections chosen by user, vhost, name, protocol or idle time.
    Close(cmd::close::Args),

    /// Print a shell completion script.
    Completions(cmd::completions::Args),
}

/// The clap command tree, for completions and man pages.
pub fn command() -> clap::Command {
    Cli::command()
}

/// The value parser of the global `--output`: table, json and yaml.
pub fn common_formats() -> impl clap::builder::TypedValueParser<Value = Format> {
    formats(&[])
}

/// An `--output` value parser taking table, json, yaml and a command's own `extra` formats.
pub fn formats(extra: &'static [Format]) -> impl clap::builder::TypedValueParser<Value = Format> {
    use clap::ValueEnum;
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(
        Format::value_variants()
            .iter()
            .filter(|f| {
                matches!(f, Format::Table | Format::Json | Format::Yaml) || extra.contains(f)
            })
            .filter_map(ValueEnum::to_possible_value),
    )
    .map(|name: String| Format::from_str(&name, false).unwrap_or_default())
}

/// `--output` values; the help of each is what `--help` lists.
impl clap::ValueEnum for Format {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            Format::Table,
            Format::Json,
            Format::Yaml,
            Format::Sarif,
            Format::Csv,
            Format::Tsv,
        ]
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        use clap::builder::PossibleValue;
        Some(match self {
            Format::Table => PossibleValue::new("table").help("Human-readable tables"),
            Format::Json => PossibleValue::new("json").help("One JSON document"),
            Format::Yaml => PossibleValue::new("yaml").help("One YAML document"),
            Format::Sarif => PossibleValue::new("sarif")
                .help("SARIF 2.1.0, for code-scanning tools (`warren audit` only)"),
            Format::Csv => PossibleValue::new("csv")
                .help("Comma-separated values with a header line (`warren list` only)"),
            Format::Tsv => PossibleValue::new("tsv")
                .help("Tab-separated values with a header line (`warren list` only)"),
        })
    }
}

/// `--format` values of consume, peek and tap.
impl clap::ValueEnum for crate::message::sink::Format {
    fn value_variants<'a>() -> &'a [Self] {
        use crate::message::sink::Format;
        &[Format::Jsonl, Format::Raw, Format::Pretty]
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        use crate::message::sink::Format;
        use clap::builder::PossibleValue;
        Some(match self {
            Format::Jsonl => PossibleValue::new("jsonl")
                .help("One envelope per line (publish --file reads it back exactly)"),
            Format::Raw => {
                PossibleValue::new("raw").help("The bodies only, each followed by a newline")
            }
            Format::Pretty => PossibleValue::new("pretty").help("A readable block per message"),
        })
    }
}

/// `--queue-type` values of perf.
impl clap::ValueEnum for crate::perf::QueueType {
    fn value_variants<'a>() -> &'a [Self] {
        use crate::perf::QueueType;
        &[QueueType::Classic, QueueType::Quorum, QueueType::Stream]
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()))
    }
}
