//! Where consumed messages go: a stream (stdout or a file) as JSON Lines, raw bodies or a
//! readable form, or a directory with one envelope file per message. `commit` makes what
//! was written durable enough to ack: flushed to the OS for a stream, fsynced for a directory.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};

use super::envelope::{BodyEncoding, Envelope};
use super::source::ENVELOPE_SUFFIX;

/// How `--format` writes messages (its clap value names are in `cli`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    /// One envelope per line (publish --file reads it back exactly).
    #[default]
    Jsonl,
    /// The bodies only, each followed by a newline.
    Raw,
    /// A readable block per message.
    Pretty,
}

pub trait Sink {
    fn write(&mut self, envelope: &Envelope, body: &[u8]) -> Result<()>;
    /// Make everything written so far safe to ack.
    fn commit(&mut self) -> Result<()>;
}

/// The sink for `--format`, `--output-dir` and a file: a directory of envelope files, a file
/// (appended to, fsynced at every commit), or stdout.
pub fn open(
    format: Format,
    output_dir: Option<PathBuf>,
    output_file: Option<PathBuf>,
    discard: bool,
) -> Result<Box<dyn Sink>> {
    if discard {
        return Ok(Box::new(Discard));
    }
    Ok(match (output_dir, output_file) {
        (Some(dir), _) => Box::new(DirSink::new(dir)?),
        (None, Some(path)) => Box::new(FileSink::append(format, &path)?),
        (None, None) => Box::new(StreamSink::new(format, std::io::stdout().lock())),
    })
}

/// Nowhere: the messages are removed, not kept (`purge --match-...` without --export).
pub struct Discard;

impl Sink for Discard {
    fn write(&mut self, _envelope: &Envelope, _body: &[u8]) -> Result<()> {
        Ok(())
    }

    fn commit(&mut self) -> Result<()> {
        Ok(())
    }
}

/// A file appended to, whose every commit reaches the disk (fsync) before the ack that
/// removes its messages from the queue: `purge --export`. An existing file is never
/// truncated.
pub struct FileSink {
    stream: StreamSink<File>,
}

impl FileSink {
    pub fn append(format: Format, path: &std::path::Path) -> Result<FileSink> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("opening {} to append to", path.display()))
            .map_err(|e| crate::exit::Error::invalid_input(format!("{e:#}")))?;
        Ok(FileSink {
            stream: StreamSink::new(format, file),
        })
    }
}

impl Sink for FileSink {
    fn write(&mut self, envelope: &Envelope, body: &[u8]) -> Result<()> {
        self.stream.write(envelope, body)
    }

    fn commit(&mut self) -> Result<()> {
        self.stream.commit()?;
        self.stream
            .out
            .get_ref()
            .sync_data()
            .map_err(|e| crate::output::io_error(e, "syncing the export file"))
    }
}

/// A byte stream: stdout or a file.
pub struct StreamSink<W: Write> {
    format: Format,
    out: BufWriter<W>,
    line: Vec<u8>,
}

impl<W: Write> StreamSink<W> {
    pub fn new(format: Format, out: W) -> Self {
        StreamSink {
            format,
            out: BufWriter::with_capacity(1 << 16, out),
            line: Vec::with_capacity(4096),
        }
    }
}

impl<W: Write> Sink for StreamSink<W> {
    fn write(&mut self, envelope: &Envelope, body: &[u8]) -> Result<()> {
        match self.format {
            Format::Jsonl => {
                self.line.clear();
                serde_json::to_writer(&mut self.line, envelope)?;
                self.line.push(b'\n');
                self.out.write_all(&self.line)
            }
            Format::Raw => self
                .out
                .write_all(body)
                .and_then(|_| self.out.write_all(b"\n")),
            Format::Pretty => self.out.write_all(pretty(envelope).as_bytes()),
        }
        .map_err(|e| crate::output::io_error(e, "writing a message to the output"))
    }

    fn commit(&mut self) -> Result<()> {
        self.out
            .flush()
            .map_err(|e| crate::output::io_error(e, "flushing the output"))
    }
}

fn pretty(env: &Envelope) -> String {
    let mut out = String::from("--- message\n");
    let field = |out: &mut String, name: &str, value: &Option<String>| {
        if let Some(v) = value {
            out.push_str(&format!("{name}: {v}\n"));
        }
    };
    field(&mut out, "queue", &env.queue);
    field(&mut out, "exchange", &env.exchange);
    field(&mut out, "routing key", &env.routing_key);
    if let Some(r) = env.redelivered {
        out.push_str(&format!("redelivered: {r}\n"));
    }
    if let Ok(serde_json::Value::Object(props)) = serde_json::to_value(&env.properties) {
        for (k, v) in props {
            out.push_str(&format!("{k}: {v}\n"));
        }
    }
    match env.body_encoding {
        BodyEncoding::Utf8 => out.push_str(&format!("body:\n{}\n", env.body)),
        BodyEncoding::Base64 => out.push_str(&format!("body (base64):\n{}\n", env.body)),
    }
    out
}

/// One `NNNNNNNNNN.envelope.json` file per message; `commit` fsyncs the files and the directory.
pub struct DirSink {
    dir: PathBuf,
    next: u64,
    unsynced: Vec<File>,
}

impl DirSink {
    pub fn new(dir: PathBuf) -> Result<DirSink> {
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        // Continue numbering after files already there, so a second run never overwrites.
        let mut next = 1;
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?
        {
            let name = entry?.file_name().to_string_lossy().into_owned();
            if let Some(n) = name
                .strip_suffix(ENVELOPE_SUFFIX)
                .and_then(|n| n.parse::<u64>().ok())
            {
                next = next.max(n + 1);
            }
        }
        Ok(DirSink {
            dir,
            next,
            unsynced: Vec::new(),
        })
    }
}

impl Sink for DirSink {
    fn write(&mut self, envelope: &Envelope, _body: &[u8]) -> Result<()> {
        let path = self.dir.join(format!("{:010}{ENVELOPE_SUFFIX}", self.next));
        let mut file =
            File::create_new(&path).with_context(|| format!("creating {}", path.display()))?;
        serde_json::to_writer(&mut file, envelope)?;
        file.write_all(b"\n")?;
        self.next += 1;
        self.unsynced.push(file);
        Ok(())
    }

    fn commit(&mut self) -> Result<()> {
        for file in self.unsynced.drain(..) {
            file.sync_all().context("fsync of a message file")?;
        }
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .with_context(|| format!("fsync of {}", self.dir.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_lines_parse_back() {
        let env = Envelope {
            body: "a\nb".into(),
            routing_key: Some("rk".into()),
            ..Default::default()
        };
        let mut sink = StreamSink::new(Format::Jsonl, Vec::new());
        sink.write(&env, b"a\nb").unwrap();
        sink.write(&env, b"a\nb").unwrap();
        sink.commit().unwrap();
        let bytes = sink.out.into_inner().unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(Envelope::parse(lines[1]).unwrap(), env);
    }

    #[test]
    fn dir_sink_numbers_after_existing_files() {
        let dir = std::env::temp_dir().join(format!("warren-dirsink-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let env = Envelope::default();
        let mut sink = DirSink::new(dir.clone()).unwrap();
        sink.write(&env, b"").unwrap();
        sink.commit().unwrap();
        let mut sink = DirSink::new(dir.clone()).unwrap();
        sink.write(&env, b"").unwrap();
        sink.commit().unwrap();
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["0000000001.envelope.json", "0000000002.envelope.json"]
        );
    }
}
