//! Where messages to publish come from: a text, stdin, stdin lines, an envelope file, a
//! directory, or a generator. Each source runs on its own thread and hands messages over a
//! bounded channel, so a slow broker slows the reading instead of filling memory.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde::Serialize;
use tokio::sync::mpsc;

use super::envelope::{BodyEncoding, Envelope};

/// Where one message came from, for reports that let a rerun resume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Line N (from 1) of the envelope file or of stdin.
    Line(usize),
    /// A file of `--dir`.
    File(PathBuf),
    /// Message N (from 1) of `--count`, `--body` or stdin.
    Number(u64),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Line(n) => write!(f, "line {n}"),
            Origin::File(p) => write!(f, "{}", p.display()),
            Origin::Number(n) => write!(f, "message {n}"),
        }
    }
}

pub struct Item {
    pub origin: Origin,
    pub envelope: Envelope,
    /// Read as a whole envelope (not a raw body): its properties are kept as they are.
    pub is_envelope: bool,
}

impl Item {
    fn raw(origin: Origin, body: Vec<u8>) -> Item {
        Item {
            origin,
            envelope: raw(body),
            is_envelope: false,
        }
    }
}

/// A failure to read or parse input; names the file and line.
pub type SourceError = String;

#[derive(Debug, Clone)]
pub enum Source {
    /// `--body TEXT`, `count` times.
    Body { text: String, count: u64 },
    /// All of stdin as one message.
    Stdin,
    /// One message per line of stdin.
    Lines,
    /// Envelopes, one JSON object per line; `-` is stdin.
    EnvelopeFile(PathBuf),
    /// One message per regular file, in name order: `*.envelope.json` files are envelopes,
    /// any other file is a raw body.
    Dir(PathBuf),
    /// `count` generated bodies of `size` bytes.
    Generate { count: u64, size: usize },
}

/// The suffix of envelope files in `--dir` (and of `consume --output-dir` files).
pub const ENVELOPE_SUFFIX: &str = ".envelope.json";

fn raw(body: Vec<u8>) -> Envelope {
    let (body, body_encoding) = super::envelope::encode_body(&body);
    Envelope {
        body,
        body_encoding,
        ..Default::default()
    }
}

/// Check an envelope file before anything is published, so that a bad line stops the run
/// before the broker has seen any of it. Returns the number of messages.
pub fn validate_envelope_file(path: &Path) -> Result<u64, SourceError> {
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut count = 0;
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        parse_line(&line, path, i + 1)?
            .encode()
            .map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))?;
        count += 1;
    }
    Ok(count)
}

fn parse_line(line: &str, path: &Path, number: usize) -> Result<Envelope, SourceError> {
    Envelope::parse(line).map_err(|e| format!("{}:{number}: {e}", path.display()))
}

/// Check every envelope file of `--dir` (`*.envelope.json`) before anything is published,
/// as for an envelope file. Returns the number of files.
pub fn validate_envelope_dir(dir: &Path) -> Result<u64, SourceError> {
    let files = dir_files(dir)?;
    for path in &files {
        if path.to_string_lossy().ends_with(ENVELOPE_SUFFIX) {
            read_dir_file(path)?
                .envelope
                .encode()
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(files.len() as u64)
}

/// The files of `--dir`, sorted by name.
pub fn dir_files(dir: &Path) -> Result<Vec<PathBuf>, SourceError> {
    let mut files = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        let path = entry.path();
        if path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn read_dir_file(path: &Path) -> Result<Item, SourceError> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let origin = Origin::File(path.to_path_buf());
    if path.to_string_lossy().ends_with(ENVELOPE_SUFFIX) {
        let text =
            String::from_utf8(bytes).map_err(|_| format!("{}: not UTF-8", path.display()))?;
        let envelope = parse_line(text.trim(), path, 1)?;
        return Ok(Item {
            origin,
            envelope,
            is_envelope: true,
        });
    }
    Ok(Item::raw(origin, bytes))
}

/// How many items go over the channel at once: the reader thread and the publisher wake
/// each other once per chunk, not once per message (per message, the futex hand-over cost
/// more CPU than publishing itself).
const CHUNK: usize = 64;

/// The publisher's side of a source: items in their order, taken from chunks.
pub struct Input {
    rx: mpsc::Receiver<Vec<Result<Item, SourceError>>>,
    ready: std::collections::VecDeque<Result<Item, SourceError>>,
}

impl Input {
    /// The next item, or `None` at the end. Cancel-safe: a chunk is kept as soon as it
    /// arrives, so racing this against Ctrl-C loses nothing.
    pub async fn recv(&mut self) -> Option<Result<Item, SourceError>> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Some(item);
            }
            let chunk = self.rx.recv().await?;
            self.ready.extend(chunk);
        }
    }
}

/// The reader thread's side: items gather into a chunk, sent when full, when the reader
/// would wait for more input (`flush`), and at the end.
struct Output {
    tx: mpsc::Sender<Vec<Result<Item, SourceError>>>,
    chunk: Vec<Result<Item, SourceError>>,
}

impl Output {
    /// Add an item; `flush` sends it now (the next one may be a while coming). Returns
    /// false once the publisher has gone.
    fn send(&mut self, item: Result<Item, SourceError>, flush: bool) -> bool {
        self.chunk.push(item);
        if flush || self.chunk.len() >= CHUNK {
            return self.flush();
        }
        true
    }

    fn flush(&mut self) -> bool {
        if self.chunk.is_empty() {
            return true;
        }
        let chunk = std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK));
        self.tx.blocking_send(chunk).is_ok()
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Start reading `source` on its own thread; about `capacity` items are read ahead.
pub fn spawn(source: Source, capacity: usize) -> Input {
    let (tx, rx) = mpsc::channel((capacity / CHUNK).max(1));
    std::thread::spawn(move || {
        let mut out = Output {
            tx,
            chunk: Vec::with_capacity(CHUNK),
        };
        read(source, &mut out);
    });
    Input {
        rx,
        ready: std::collections::VecDeque::new(),
    }
}

/// Lines of `reader`, each without its line ending, with whether the reader's buffer is
/// empty after it (reading on may wait: what was read should go now). `None` at the end.
fn next_line<R: Read>(reader: &mut BufReader<R>) -> Option<std::io::Result<(Vec<u8>, bool)>> {
    let mut line = Vec::new();
    match reader.read_until(b'\n', &mut line) {
        Ok(0) => None,
        Ok(_) => {
            if line.last() == Some(&b'\n') {
                line.pop();
            }
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            Some(Ok((line, reader.buffer().is_empty())))
        }
        Err(e) => Some(Err(e)),
    }
}

fn read(source: Source, out: &mut Output) {
    match source {
        Source::Body { text, count } => {
            for n in 1..=count {
                if !out.send(
                    Ok(Item::raw(Origin::Number(n), text.clone().into_bytes())),
                    false,
                ) {
                    return;
                }
            }
        }
        Source::Stdin => {
            let mut body = Vec::new();
            let item = std::io::stdin()
                .lock()
                .read_to_end(&mut body)
                .map(|_| Item::raw(Origin::Number(1), body))
                .map_err(|e| format!("reading stdin: {e}"));
            out.send(item, true);
        }
        Source::Lines => read_lines(BufReader::with_capacity(1 << 16, std::io::stdin()), out),
        Source::EnvelopeFile(path) => {
            let reader: Box<dyn Read> = if path.as_os_str() == "-" {
                Box::new(std::io::stdin())
            } else {
                match File::open(&path) {
                    Ok(f) => Box::new(f),
                    Err(e) => {
                        out.send(Err(format!("{}: {e}", path.display())), true);
                        return;
                    }
                }
            };
            let shown = if path.as_os_str() == "-" {
                PathBuf::from("<stdin>")
            } else {
                path.clone()
            };
            read_envelopes(BufReader::with_capacity(1 << 16, reader), &shown, out);
        }
        Source::Dir(dir) => {
            let files = match dir_files(&dir) {
                Ok(f) => f,
                Err(e) => {
                    out.send(Err(e), true);
                    return;
                }
            };
            for path in files {
                let item = read_dir_file(&path);
                let failed = item.is_err();
                if !out.send(item, failed) || failed {
                    return;
                }
            }
        }
        Source::Generate { count, size } => {
            let body: String = "warren-payload-".chars().cycle().take(size).collect();
            for n in 1..=count {
                let envelope = Envelope {
                    body: body.clone(),
                    body_encoding: BodyEncoding::Utf8,
                    ..Default::default()
                };
                let item = Item {
                    origin: Origin::Number(n),
                    envelope,
                    is_envelope: false,
                };
                if !out.send(Ok(item), false) {
                    return;
                }
            }
        }
    }
}

/// Each line a raw body (`--lines`).
fn read_lines<R: Read>(mut reader: BufReader<R>, out: &mut Output) {
    let mut n = 0;
    while let Some(line) = next_line(&mut reader) {
        n += 1;
        let (item, flush) = match line {
            Ok((line, idle)) => (Ok(Item::raw(Origin::Line(n), line)), idle),
            Err(e) => (Err(format!("reading stdin line {n}: {e}")), true),
        };
        let failed = item.is_err();
        if !out.send(item, flush) || failed {
            return;
        }
    }
}

/// Each non-blank line an envelope (`--file`).
fn read_envelopes<R: Read>(mut reader: BufReader<R>, shown: &Path, out: &mut Output) {
    let mut n = 0;
    while let Some(line) = next_line(&mut reader) {
        n += 1;
        let item = line
            .map_err(|e| format!("{}:{n}: {e}", shown.display()))
            .and_then(|(line, idle)| {
                let text = String::from_utf8(line).map_err(|_| {
                    format!(
                        "{}:{n}: stream did not contain valid UTF-8",
                        shown.display()
                    )
                })?;
                if text.trim().is_empty() {
                    Ok((None, idle))
                } else {
                    parse_line(&text, shown, n).map(|e| (Some(e), idle))
                }
            });
        let keep_going = match item {
            Ok((None, idle)) => !idle || out.flush(),
            Ok((Some(envelope), idle)) => out.send(
                Ok(Item {
                    origin: Origin::Line(n),
                    envelope,
                    is_envelope: true,
                }),
                idle,
            ),
            Err(e) => {
                out.send(Err(e), true);
                false
            }
        };
        if !keep_going {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("warren-source-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn validation_names_file_and_line() {
        let p = temp(
            "bad.jsonl",
            "{\"body\":\"a\"}\n\n{\"body\":\"b\",\"colour\":1}\n",
        );
        let err = validate_envelope_file(&p).unwrap_err();
        assert!(err.contains("bad.jsonl:3: unknown field `colour`"), "{err}");
        let p = temp(
            "good.jsonl",
            "{\"body\":\"a\"}\n\n{\"body\":\"AAE=\",\"body_encoding\":\"base64\"}\n",
        );
        assert_eq!(validate_envelope_file(&p).unwrap(), 2);
    }

    #[tokio::test]
    async fn generator_and_file_sources_yield_in_order() {
        let mut rx = spawn(Source::Generate { count: 3, size: 5 }, 2);
        let mut seen = Vec::new();
        while let Some(item) = rx.recv().await {
            let item = item.unwrap();
            assert_eq!(item.envelope.body.len(), 5);
            seen.push(item.origin);
        }
        assert_eq!(
            seen,
            vec![Origin::Number(1), Origin::Number(2), Origin::Number(3)]
        );

        let p = temp(
            "two.jsonl",
            "{\"routing_key\":\"a\"}\n\n{\"routing_key\":\"b\"}\n",
        );
        let mut rx = spawn(Source::EnvelopeFile(p), 1);
        let first = rx.recv().await.unwrap().unwrap();
        let second = rx.recv().await.unwrap().unwrap();
        assert_eq!(
            (first.origin, first.envelope.routing_key.as_deref()),
            (Origin::Line(1), Some("a"))
        );
        assert_eq!(
            (second.origin, second.envelope.routing_key.as_deref()),
            (Origin::Line(3), Some("b"))
        );
        assert!(rx.recv().await.is_none());
    }

    /// Lines are handed over in chunks, but a line never waits for the next one to arrive.
    #[tokio::test]
    async fn a_line_goes_out_before_the_next_arrives() {
        use std::io::Write;
        let (reader, mut writer) = std::io::pipe().unwrap();
        let (tx, rx) = mpsc::channel(4);
        std::thread::spawn(move || {
            let mut out = Output {
                tx,
                chunk: Vec::new(),
            };
            read_lines(BufReader::new(reader), &mut out);
        });
        let mut input = Input {
            rx,
            ready: std::collections::VecDeque::new(),
        };
        writer.write_all(b"one\r\n").unwrap();
        let first = tokio::time::timeout(std::time::Duration::from_secs(5), input.recv())
            .await
            .expect("the line waited for more input")
            .unwrap()
            .unwrap();
        assert_eq!(
            (first.origin, first.envelope.body.as_str()),
            (Origin::Line(1), "one")
        );
        writer.write_all(b"two").unwrap();
        drop(writer);
        let second = input.recv().await.unwrap().unwrap();
        assert_eq!(
            (second.origin, second.envelope.body.as_str()),
            (Origin::Line(2), "two")
        );
        assert!(input.recv().await.is_none());
    }
}
