//! `warren replay`: move dead-lettered messages back where they came from, filtered, and
//! without ever losing one. `origin` and `filter` are pure; `run` is the loss-free loop,
//! `route` decides where each origin's messages go (the --export file is `message::sink::FileSink`), and
//! `summary` what a run reports.

pub mod filter;
pub mod mark;
pub mod origin;
mod route;
pub mod run;
pub mod summary;

/// Dead-lettered messages captured from a real broker by
/// tests/fixtures/capture-dead-lettered.sh (`warren consume dlq` output).
#[cfg(test)]
pub(crate) fn fixture(case: &str) -> crate::message::Envelope {
    let path = format!(
        "{}/tests/fixtures/rabbitmq-3.10.8/dead-lettered/{case}.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    crate::message::Envelope::parse(text.lines().next().expect("a message")).expect("envelope")
}
