//! The `--export` sink: a JSON Lines file of the replayed copies whose commit also fsyncs, so
//! an exported envelope is on disk before the ack that removes the message from the DLQ.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::message::Envelope;
use crate::message::sink::{Format, Sink, StreamSink};

pub(super) struct Export {
    stream: StreamSink<File>,
    file: File,
    path: PathBuf,
}

impl Export {
    /// Open `path` for appending.
    pub(super) fn create(path: &Path) -> Result<Export> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("opening --export {}", path.display()))?;
        let handle = file
            .try_clone()
            .context("duplicating the export file handle")?;
        Ok(Export {
            stream: StreamSink::new(Format::Jsonl, file),
            file: handle,
            path: path.to_path_buf(),
        })
    }

    pub(super) fn write(&mut self, env: &Envelope) -> Result<()> {
        self.stream.write(env, &[])
    }

    /// Flush what was written and fsync it.
    pub(super) fn commit(&mut self) -> Result<()> {
        self.stream.commit()?;
        self.file
            .sync_data()
            .with_context(|| format!("fsync of {}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_leaves_one_envelope_per_line_and_create_appends() {
        let path = std::env::temp_dir().join(format!(
            "warren-export-test-{}-{:?}.jsonl",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_file(&path);
        let envelope = |id: &str| {
            let mut env = Envelope {
                body: format!("body {id}"),
                ..Default::default()
            };
            env.properties.message_id = Some(id.into());
            env
        };
        let mut export = Export::create(&path).expect("create");
        export.write(&envelope("a")).expect("write");
        export.write(&envelope("b")).expect("write");
        export.commit().expect("commit");
        let mut again = Export::create(&path).expect("reopen");
        again.write(&envelope("c")).expect("write");
        again.commit().expect("commit");
        let text = std::fs::read_to_string(&path).expect("read");
        let _ = std::fs::remove_file(&path);
        let ids: Vec<_> = text
            .lines()
            .map(|line| {
                Envelope::parse(line)
                    .expect("envelope")
                    .properties
                    .message_id
            })
            .collect();
        assert_eq!(ids, [Some("a".into()), Some("b".into()), Some("c".into())]);
    }
}
