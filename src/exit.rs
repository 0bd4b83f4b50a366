//! The documented exit codes, and the typed error that carries one up to `main`.
//!
//! Every failure that an operator or a script should tell apart has its own code here;
//! the README's exit-code table is generated from the same list (see `exit_code_table`).

use std::fmt;

/// One documented exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    Success,
    /// An unexpected error: a bug, or a failure that no other code describes.
    Internal,
    /// The command line was wrong (clap uses 2 too).
    Usage,
    /// Findings at or above the threshold (`audit`), or drift (`topology plan --detailed-exitcode`).
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
                "findings at or above --fail-on (audit), or changes present (plan --detailed-exitcode)"
            }
            Code::InvalidInput => {
                "invalid input file (topology YAML, message envelopes, profile config)"
            }
            Code::PartialFailure => {
                "partial failure: some messages were not delivered, or their outcome is unknown"
            }
            Code::Unreachable => "broker unreachable (connection refused, DNS failure, timeout)",
            Code::AuthRefused => "authentication or permission refused",
            Code::Tls => {
                "TLS failure (unknown issuer, name mismatch, expired or missing certificate)"
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

/// An error that knows its exit code. Attach it with [`fail`] or [`WithCode::code`];
/// `main` finds it anywhere in an `anyhow` chain.
#[derive(Debug)]
pub struct Failure {
    pub code: Code,
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// Build an `anyhow::Error` that carries `code`.
pub fn fail(code: Code, message: impl Into<String>) -> anyhow::Error {
    Failure {
        code,
        message: message.into(),
    }
    .into()
}

/// The exit code for an error chain: the outermost [`Failure`] wins; otherwise `Internal`.
pub fn code_of(err: &anyhow::Error) -> Code {
    err.chain()
        .find_map(|e| e.downcast_ref::<Failure>().map(|f| f.code))
        .unwrap_or(Code::Internal)
}

/// A markdown table of every code, for the README (checked by a test).
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
        let err = fail(Code::Tls, "handshake").context("connecting to node 1");
        assert_eq!(code_of(&err), Code::Tls);
        assert_eq!(code_of(&anyhow::anyhow!("plain")), Code::Internal);
    }
}
