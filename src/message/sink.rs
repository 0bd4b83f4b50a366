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
/// removes its messages from the queue: `purge --export`, `replay --export`. An existing
/// file is never truncated below its last whole record ([`prepare_export`] runs first), and
/// a failed write or fsync truncates what it left back to the last commit, so the file is
/// always whole records, every one of them acked.
pub struct FileSink {
    file: File,
    path: PathBuf,
    format: Format,
    /// Records written since the last commit: they reach the file at the commit, in one write.
    pending: Vec<u8>,
    /// The file's length at the last commit, where a failure truncates back to.
    committed: u64,
}

impl FileSink {
    pub fn append(format: Format, path: &std::path::Path) -> Result<FileSink> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("opening {} to append to", path.display()))
            .map_err(|e| crate::exit::Error::invalid_input(format!("{e:#}")))?;
        let committed = file
            .metadata()
            .with_context(|| format!("reading the length of {}", path.display()))?
            .len();
        Ok(FileSink {
            file,
            path: path.to_path_buf(),
            format,
            pending: Vec::with_capacity(1 << 16),
            committed,
        })
    }

    /// Back to the last commit: the records written since are not acked, so they go.
    fn roll_back(&mut self, err: std::io::Error, what: &str) -> anyhow::Error {
        self.pending.clear();
        let _ = self.file.set_len(self.committed);
        let _ = self.file.sync_data();
        crate::output::io_error(err, &format!("{what} {}", self.path.display()))
    }
}

impl Sink for FileSink {
    fn write(&mut self, envelope: &Envelope, body: &[u8]) -> Result<()> {
        encode(self.format, envelope, body, &mut self.pending)
    }

    fn commit(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        if let Err(e) = self.file.write_all(&self.pending) {
            return Err(self.roll_back(e, "writing to"));
        }
        if let Err(e) = self.file.sync_data() {
            return Err(self.roll_back(e, "syncing"));
        }
        self.committed += self.pending.len() as u64;
        self.pending.clear();
        Ok(())
    }
}

/// Make an export file safe to append to: every line must be a whole envelope (else exit 4,
/// naming the line, and nothing changes); a partial last record, left by an earlier run that
/// failed while writing, is moved aside to `FILE.partial-N` and cut off, never built upon.
/// Returns a note saying so, when it happened. A missing file is fine.
pub fn prepare_export(path: &std::path::Path) -> Result<Option<String>> {
    use std::io::{BufRead, BufReader, Seek};
    let invalid = |e: String| crate::exit::Error::invalid_input(e);
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(invalid(format!("opening {}: {e}", path.display())).into()),
    };
    let mut reader = BufReader::new(&file);
    let (mut whole, mut number, mut line) = (0u64, 0usize, Vec::new());
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| invalid(format!("reading {}: {e}", path.display())))?;
        if n == 0 || line.last() != Some(&b'\n') {
            break;
        }
        number += 1;
        let text = String::from_utf8_lossy(&line[..n - 1]);
        if !text.trim().is_empty()
            && let Err(e) = Envelope::parse(&text)
        {
            return Err(invalid(format!(
                "{}: line {number} is not a whole envelope ({e}): warren appends only to a file \
                 of envelopes; choose another --export file",
                path.display()
            ))
            .into());
        }
        whole += n as u64;
    }
    if line.is_empty() {
        return Ok(None);
    }
    // A partial record: keep it aside, then cut it off.
    let aside = (1..)
        .map(|i| PathBuf::from(format!("{}.partial-{i}", path.display())))
        .find(|p| !p.exists())
        .ok_or_else(|| invalid("no free name for the partial record".into()))?;
    let moved = File::create_new(&aside)
        .and_then(|mut f| f.write_all(&line).and_then(|()| f.sync_all()))
        .and_then(|()| (&file).seek(std::io::SeekFrom::Start(0)).map(drop))
        .and_then(|()| file.set_len(whole))
        .and_then(|()| file.sync_all());
    moved.map_err(|e| {
        invalid(format!(
            "{} ends with a partial record that could not be moved aside to {}: {e}",
            path.display(),
            aside.display()
        ))
    })?;
    Ok(Some(format!(
        "{} ended with a partial record ({} bytes, line {}) left by an earlier run that failed \
         while writing; it was moved to {} and the file continues after the last whole record",
        path.display(),
        line.len(),
        number + 1,
        aside.display()
    )))
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
        self.line.clear();
        encode(self.format, envelope, body, &mut self.line)?;
        self.out
            .write_all(&self.line)
            .map_err(|e| crate::output::io_error(e, "writing a message to the output"))
    }

    fn commit(&mut self) -> Result<()> {
        self.out
            .flush()
            .map_err(|e| crate::output::io_error(e, "flushing the output"))
    }
}

/// One message as `format` writes it, appended to `out`.
fn encode(format: Format, envelope: &Envelope, body: &[u8], out: &mut Vec<u8>) -> Result<()> {
    match format {
        Format::Jsonl => {
            serde_json::to_writer(&mut *out, envelope)?;
            out.push(b'\n');
        }
        Format::Raw => {
            out.extend_from_slice(body);
            out.push(b'\n');
        }
        Format::Pretty => out.extend_from_slice(pretty(envelope).as_bytes()),
    }
    Ok(())
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
    /// Written since the last commit: each file, its temporary name and its envelope name.
    unsynced: Vec<(File, PathBuf, PathBuf)>,
}

/// A message file is named `.NNNN.envelope.json.partial` until it is fsynced: `publish --dir`
/// reads only `*.envelope.json`.
const PARTIAL_SUFFIX: &str = ".partial";

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

impl DirSink {
    /// Remove every file written since the last commit: their messages are not acked, so no
    /// empty or partial envelope file is left behind.
    fn roll_back(&mut self) {
        for (_, partial, done) in self.unsynced.drain(..) {
            let _ = std::fs::remove_file(partial);
            let _ = std::fs::remove_file(done);
            self.next -= 1;
        }
    }
}

impl Sink for DirSink {
    fn write(&mut self, envelope: &Envelope, _body: &[u8]) -> Result<()> {
        let name = format!("{:010}{ENVELOPE_SUFFIX}", self.next);
        let partial = self.dir.join(format!(".{name}{PARTIAL_SUFFIX}"));
        let mut record = serde_json::to_vec(envelope)?;
        record.push(b'\n');
        let written = File::create_new(&partial).and_then(|mut f| f.write_all(&record).map(|()| f));
        match written {
            Ok(file) => {
                self.next += 1;
                self.unsynced.push((file, partial, self.dir.join(name)));
                Ok(())
            }
            Err(e) => {
                let _ = std::fs::remove_file(&partial);
                self.roll_back();
                Err(crate::output::io_error(
                    e,
                    &format!("writing {}", partial.display()),
                ))
            }
        }
    }

    /// fsync each file written since the last commit, give it its envelope name, and fsync
    /// the directory. On a failure, every file of this commit goes: their messages are not
    /// acked, so no empty or partial envelope file is left behind.
    fn commit(&mut self) -> Result<()> {
        let batch = std::mem::take(&mut self.unsynced);
        let result = batch
            .iter()
            .try_for_each(|(file, partial, done)| {
                file.sync_all()?;
                std::fs::rename(partial, done)
            })
            .and_then(|()| File::open(&self.dir).and_then(|d| d.sync_all()));
        if let Err(e) = result {
            self.unsynced = batch;
            self.roll_back();
            return Err(crate::output::io_error(
                e,
                &format!("syncing the message files in {}", self.dir.display()),
            ));
        }
        Ok(())
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
