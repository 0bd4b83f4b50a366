//! The documented exit codes, and the typed error that carries one up to `main`.
//!
//! Every failure that an operator or a script should tell apart has its own code here;
//! docs/exit-codes.md's table is generated from the same list (see `exit_code_table`).

use std::fmt;

/// One documented exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    Success,
    /// An unexpected error: a bug, or a failure that no other code describes.
    Internal,
    /// The command line was wrong (clap uses 2 too).
    Usage,
    /// Findings at or above the threshold (`audit`), drift (`topology plan --detailed-exitcode`),
    /// or a failed check (`health`).
    FindingsOrDrift,
    /// An input file (topology YAML, envelopes, profile config) is invalid.
    InvalidInput,
    /// Some messages were not delivered, or their outcome is unknown.
    PartialFailure,
    /// No broker answered: connection refused, DNS failure, timeout.
    Unreachable,
    /// The broker refused the credentials, or the user lacks a permission.
    AuthRefused,
    /// The TLS handshake failed: unknown issuer, name mismatch, expired certificate...
    Tls,
    /// The vhost does not exist, or the user may not access it.
    VhostUnavailable,
    /// The broker refused an operation: a missing exchange or queue, a precondition.
    BrokerRefused,
    /// Stopped by Ctrl-C (SIGINT); the summary printed says what was done.
    Interrupted,
    /// stdout or stderr was closed (e.g. `| head`): the process ends quietly, like a shell
    /// tool killed by SIGPIPE. Only what was written before is acked.
    BrokenPipe,
}

impl Code {
    pub const ALL: [Code; 13] = [
        Code::Success,
        Code::Internal,
        Code::Usage,
        Code::FindingsOrDrift,
        Code::InvalidInput,
        Code::PartialFailure,
        Code::Unreachable,
        Code::AuthRefused,
        Code::Tls,
        Code::VhostUnavailable,
        Code::BrokerRefused,
        Code::Interrupted,
        Code::BrokenPipe,
    ];

    pub fn as_i32(self) -> i32 {
        match self {
            Code::Success => 0,
            Code::Internal => 1,
            Code::Usage => 2,
            Code::FindingsOrDrift => 3,
            Code::InvalidInput => 4,
            Code::PartialFailure => 5,
            Code::Unreachable => 6,
            Code::AuthRefused => 7,
            Code::Tls => 8,
            Code::VhostUnavailable => 9,
            Code::BrokerRefused => 10,
            Code::Interrupted => 130,
            Code::BrokenPipe => 141,
        }
    }

    pub fn meaning(self) -> &'static str {
        match self {
            Code::Success => "success",
            Code::Internal => "unexpected error",
            Code::Usage => "usage error (bad flags or arguments)",
            Code::FindingsOrDrift => {
                "findings at or above --fail-on, or rules not checked with --fail-on-not-checked (audit), changes present (plan --detailed-exitcode), unhealthy (health), a problem found (doctor), or a prediction the broker contradicts (route --verify)"
            }
            Code::InvalidInput => {
                "invalid input file (topology YAML, message envelopes, profile config, password file or list)"
            }
            Code::PartialFailure => {
                "partial failure: some messages were not delivered, or their outcome is unknown"
            }
            Code::Unreachable => {
                "broker unreachable (connection refused, DNS failure, timeout), or the management URL is not RabbitMQ's"
            }
            Code::AuthRefused => "authentication or permission refused",
            Code::Tls => {
                "TLS failure (unknown issuer, name mismatch, expired or not yet valid certificate, a plain port, missing client certificate)"
            }
            Code::VhostUnavailable => "vhost does not exist or the user has no access to it",
            Code::BrokerRefused => {
                "the broker refused an operation (missing exchange or queue, precondition failed)"
            }
            Code::Interrupted => {
                "interrupted by Ctrl-C (SIGINT); the summary says exactly what was done"
            }
            Code::BrokenPipe => {
                "stdout or stderr was closed (e.g. piped into `head`): ends quietly; only what was written is acked"
            }
        }
    }
}

/// What failed, why, and what to do about it. The variant decides the exit code, so no code
/// needs to read an error's text to know what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    Usage(Detail),
    InvalidInput(Detail),
    Unreachable(Detail),
    AuthRefused(Detail),
    Tls(Detail),
    VhostUnavailable(Detail),
    BrokerRefused(Detail),
    PartialFailure(Detail),
    FindingsOrDrift(Detail),
    Interrupted(Detail),
    BrokenPipe(Detail),
    Internal(Detail),
}

/// The parts of an [`Error`]: rendered as `object: reason; hint`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Detail {
    /// What the error is about: a file and line, a field, a queue, a node. `None` when the
    /// reason names it already.
    pub object: Option<String>,
    /// What went wrong.
    pub reason: String,
    /// What the operator can do about it.
    pub hint: Option<String>,
}

macro_rules! constructors {
    ($($name:ident => $variant:ident),* $(,)?) => {
        impl Error {
            $(
                #[doc = concat!("An [`Error::", stringify!($variant), "`] with this reason.")]
                pub fn $name(reason: impl Into<String>) -> Self {
                    Error::$variant(Detail { reason: reason.into(), ..Detail::default() })
                }
            )*

            /// The exit code this error ends the run with.
            pub fn code(&self) -> Code {
                match self {
                    $(Error::$variant(_) => Code::$variant,)*
                }
            }

            pub fn detail(&self) -> &Detail {
                match self {
                    $(Error::$variant(d) => d,)*
                }
            }

            fn detail_mut(&mut self) -> &mut Detail {
                match self {
                    $(Error::$variant(d) => d,)*
                }
            }
        }
    };
}

constructors! {
    usage => Usage,
    invalid_input => InvalidInput,
    unreachable => Unreachable,
    auth_refused => AuthRefused,
    tls => Tls,
    vhost_unavailable => VhostUnavailable,
    broker_refused => BrokerRefused,
    partial_failure => PartialFailure,
    findings_or_drift => FindingsOrDrift,
    interrupted => Interrupted,
    broken_pipe => BrokenPipe,
    internal => Internal,
}

impl Error {
    /// Name what the error is about (rendered before the reason).
    pub fn about(mut self, object: impl Into<String>) -> Self {
        self.detail_mut().object = Some(object.into());
        self
    }

    /// Say what the operator can do about it (rendered after the reason).
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.detail_mut().hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.detail();
        if let Some(object) = &d.object {
            write!(f, "{object}: ")?;
        }
        f.write_str(&d.reason)?;
        if let Some(hint) = &d.hint {
            write!(f, "; {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// The typed error in an `anyhow` chain, if any: the outermost one.
pub fn error_of(err: &anyhow::Error) -> Option<&Error> {
    err.chain().find_map(|e| e.downcast_ref::<Error>())
}

/// The exit code for an error chain: the outermost [`Error`] decides; otherwise `Internal`.
pub fn code_of(err: &anyhow::Error) -> Code {
    error_of(err).map_or(Code::Internal, Error::code)
}

/// A markdown table of every code, for docs/exit-codes.md (checked by a test).
pub fn exit_code_table() -> String {
    let mut out = String::from("| code | meaning |\n|---|---|\n");
    for code in Code::ALL {
        out.push_str(&format!("| {} | {} |\n", code.as_i32(), code.meaning()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct() {
        let mut seen: Vec<i32> = Code::ALL.iter().map(|c| c.as_i32()).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), Code::ALL.len());
    }

    #[test]
    fn outermost_failure_decides_the_code() {
        let err = anyhow::Error::from(Error::tls("handshake")).context("connecting to node 1");
        assert_eq!(code_of(&err), Code::Tls);
        assert_eq!(code_of(&anyhow::anyhow!("plain")), Code::Internal);
    }

    #[test]
    fn every_variant_has_its_own_code() {
        let all = [
            Error::usage(""),
            Error::invalid_input(""),
            Error::unreachable(""),
            Error::auth_refused(""),
            Error::tls(""),
            Error::vhost_unavailable(""),
            Error::broker_refused(""),
            Error::partial_failure(""),
            Error::findings_or_drift(""),
            Error::interrupted(""),
            Error::broken_pipe(""),
            Error::internal(""),
        ];
        let mut codes: Vec<i32> = all.iter().map(|e| e.code().as_i32()).collect();
        codes.sort();
        codes.dedup();
        // Every code but Success is reachable from exactly one variant.
        assert_eq!(codes.len(), Code::ALL.len() - 1);
    }

    #[test]
    fn display_renders_object_reason_and_hint() {
        let e = Error::invalid_input("unknown field `colour`")
            .about("bad.jsonl:3")
            .hint("see `warren publish --help`");
        assert_eq!(
            e.to_string(),
            "bad.jsonl:3: unknown field `colour`; see `warren publish --help`"
        );
        assert_eq!(e.code(), Code::InvalidInput);
        assert_eq!(Error::usage("plain").to_string(), "plain");
    }
}
