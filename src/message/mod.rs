//! The message envelope (JSON Lines) shared by consume, publish and replay, and the exact
//! mapping of AMQP header field types to JSON.

pub mod envelope;
pub mod headers;

pub use envelope::{BodyEncoding, Envelope, Properties};
pub mod consume;
pub mod publish;
pub mod read;
pub mod sink;
pub mod source;
pub mod stream;
pub mod tap;
