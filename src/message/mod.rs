//! The message envelope (JSON Lines) shared by consume, publish and replay, and the exact
//! mapping of AMQP header field types to JSON.

pub mod envelope;
pub mod headers;

pub use envelope::{BodyEncoding, Envelope, Properties};

/// Which messages a read keeps (consume, peek, tap, purge --export): the `--match-*`
/// filters stand behind it (`replay::filter::Filter`), so that message needs no feature.
pub trait Select: Send + Sync + std::fmt::Debug {
    /// Whether the message with this envelope and body is kept, at `now` (epoch seconds).
    fn takes(&self, envelope: &Envelope, body: &[u8], now: i64) -> bool;
}

/// A selection shared with a reader's tasks.
pub type Selection = std::sync::Arc<dyn Select>;
pub mod consume;
pub mod publish;
pub mod read;
pub mod sink;
pub mod source;
pub mod stream;
pub mod tap;

/// A new run id: time and process, unique enough to recognise our own copies.
pub fn new_run_id() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!("{:x}-{:x}", now.as_millis(), std::process::id())
}
