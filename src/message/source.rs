//! Where messages to publish come from: a text, stdin, stdin lines, an envelope file, a
//! directory, or a generator. Each source runs on its own thread and hands messages over a
//! bounded channel, so a slow broker slows the reading instead of filling memory.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde::Serialize;
use tokio::sync::mpsc;

use super::envelope::{BodyEncoding, Envelope};
use crate::input::{self, Limits};

/// Where one message came from, for reports that let a rerun resume. Within one run (one
/// kind of source), the order is the input's.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
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
    validate_envelope_file_within(path, &Limits::default())
}

/// [`validate_envelope_file`] with each line within `limits` (its size and nesting).
pub fn validate_envelope_file_within(path: &Path, limits: &Limits) -> Result<u64, SourceError> {
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut count = 0;
    for line in envelope_lines(BufReader::new(file), path, limits) {
        if let (n, Some(envelope), _) = line? {
            envelope
                .encode()
                .map_err(|e| format!("{}:{n}: {e}", path.display()))?;
            count += 1;
        }
    }
    Ok(count)
}

fn parse_line(
    line: &str,
    path: &Path,
    number: usize,
    limits: &Limits,
) -> Result<Envelope, SourceError> {
    Envelope::parse_within(line, limits.max_depth)
        .map_err(|e| format!("{}:{number}: {e}", path.display()))
}

/// Check every envelope file of `--dir` (`*.envelope.json`) before anything is published,
/// as for an envelope file. Returns the number of files.
pub fn validate_envelope_dir(dir: &Path) -> Result<u64, SourceError> {
    validate_envelope_dir_within(dir, &Limits::default())
}

/// [`validate_envelope_dir`] with each envelope file within `limits`.
pub fn validate_envelope_dir_within(dir: &Path, limits: &Limits) -> Result<u64, SourceError> {
    let files = dir_files(dir)?;
    for path in &files {
        if path.to_string_lossy().ends_with(ENVELOPE_SUFFIX) {
            read_dir_file(path, limits)?
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

/// One file of `--dir`: an envelope file within `limits`, or a raw body.
fn read_dir_file(path: &Path, limits: &Limits) -> Result<Item, SourceError> {
    let origin = Origin::File(path.to_path_buf());
    if path.to_string_lossy().ends_with(ENVELOPE_SUFFIX) {
        let shown = path.display().to_string();
        let text =
            input::read_text(path, limits.max_file_size, &shown).map_err(|e| e.to_string())?;
        let envelope = parse_line(text.trim(), path, 1, limits)?;
        return Ok(Item {
            origin,
            envelope,
            is_envelope: true,
        });
    }
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
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

/// One publisher's share of the reader thread's output: its chunk being filled.
struct Lane {
    tx: mpsc::Sender<Vec<Result<Item, SourceError>>>,
    chunk: Vec<Result<Item, SourceError>>,
}

impl Lane {
    fn flush(&mut self) -> bool {
        if self.chunk.is_empty() {
            return true;
        }
        let chunk = std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK));
        self.tx.blocking_send(chunk).is_ok()
    }
}

/// The reader thread's side: items are dealt to the lanes in turn and gather into chunks,
/// each sent when full, when the reader would wait for more input (`flush`), and at the end.
struct Output {
    lanes: Vec<Lane>,
    turn: usize,
}

impl Output {
    /// Add an item (an error too: its lane's publisher reports it and stops); `flush` sends
    /// every lane's chunk now (the next item may be a while coming). Returns false once a
    /// publisher has gone: reading stops, the other lanes end with what they were given.
    fn send(&mut self, item: Result<Item, SourceError>, flush: bool) -> bool {
        let turn = self.turn;
        self.turn = (turn + 1) % self.lanes.len();
        let lane = &mut self.lanes[turn];
        lane.chunk.push(item);
        if flush {
            return self.flush();
        }
        lane.chunk.len() < CHUNK || lane.flush()
    }

    fn flush(&mut self) -> bool {
        // Every lane, even after one has gone: what was read goes out.
        let mut ok = true;
        for lane in &mut self.lanes {
            ok &= lane.flush();
        }
        ok
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Start reading `source` on its own thread, its items dealt in turn to `lanes` inputs
/// (at least one); about `capacity` items are read ahead for each.
pub fn spawn(source: Source, capacity: usize, lanes: usize) -> Vec<Input> {
    spawn_within(source, Limits::default(), capacity, lanes)
}

/// [`spawn`] with each envelope line or file within `limits`.
pub fn spawn_within(source: Source, limits: Limits, capacity: usize, lanes: usize) -> Vec<Input> {
    let (txs, inputs): (Vec<_>, Vec<_>) = (0..lanes.max(1))
        .map(|_| {
            let (tx, rx) = mpsc::channel((capacity / CHUNK).max(1));
            let input = Input {
                rx,
                ready: std::collections::VecDeque::new(),
            };
            (tx, input)
        })
        .unzip();
    std::thread::spawn(move || {
        let mut out = Output {
            lanes: txs
                .into_iter()
                .map(|tx| Lane {
                    tx,
                    chunk: Vec::with_capacity(CHUNK),
                })
                .collect(),
            turn: 0,
        };
        read(source, &limits, &mut out);
    });
    inputs
}

/// Lines of `reader`, each without its line ending, with whether the reader's buffer is
/// empty after it (reading on may wait: what was read should go now). `None` at the end.
/// A line longer than `max` bytes is an error as soon as that much of it is read.
fn next_line<R: Read>(
    reader: &mut BufReader<R>,
    max: u64,
) -> Option<std::io::Result<(Vec<u8>, bool)>> {
    let mut line = Vec::new();
    match reader
        .by_ref()
        .take(max.saturating_add(1))
        .read_until(b'\n', &mut line)
    {
        Ok(0) => None,
        Ok(n) if n as u64 > max && line.last() != Some(&b'\n') => Some(Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("this line is {}", input::too_large_reason(max)),
        ))),
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

fn read(source: Source, limits: &Limits, out: &mut Output) {
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
            read_envelopes(
                BufReader::with_capacity(1 << 16, reader),
                &shown,
                limits,
                out,
            );
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
                let item = read_dir_file(&path, limits);
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
    while let Some(line) = next_line(&mut reader, u64::MAX) {
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

/// The lines of an envelope file (`shown` in errors, which name the file and line): each
/// with its number, its envelope (none on a blank line), and whether the reader's buffer is
/// empty after it (`next_line`).
fn envelope_lines<'a, R: Read + 'a>(
    mut reader: BufReader<R>,
    shown: &'a Path,
    limits: &'a Limits,
) -> impl Iterator<Item = Result<(usize, Option<Envelope>, bool), SourceError>> + 'a {
    let mut n = 0;
    std::iter::from_fn(move || {
        let line = next_line(&mut reader, limits.max_file_size)?;
        n += 1;
        Some(
            line.map_err(|e| format!("{}:{n}: {e}", shown.display()))
                .and_then(|(line, idle)| {
                    let text = String::from_utf8(line).map_err(|_| {
                        format!(
                            "{}:{n}: stream did not contain valid UTF-8",
                            shown.display()
                        )
                    })?;
                    if text.trim().is_empty() {
                        Ok((n, None, idle))
                    } else {
                        parse_line(&text, shown, n, limits).map(|e| (n, Some(e), idle))
                    }
                }),
        )
    })
}

/// Each non-blank line an envelope (`--file`).
fn read_envelopes<R: Read>(reader: BufReader<R>, shown: &Path, limits: &Limits, out: &mut Output) {
    for line in envelope_lines(reader, shown, limits) {
        let keep_going = match line {
            Ok((_, None, idle)) => !idle || out.flush(),
            Ok((n, Some(envelope), idle)) => out.send(
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
        let mut rx = spawn(Source::Generate { count: 3, size: 5 }, 2, 1).remove(0);
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
        let mut rx = spawn(Source::EnvelopeFile(p), 1, 1).remove(0);
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

    /// Every lane's items, read side by side (as publish's lanes are: a lane left unread
    /// holds the reader, and so the others, back).
    async fn drain(lanes: Vec<Input>) -> Vec<Vec<Result<Origin, SourceError>>> {
        futures_util::future::join_all(lanes.into_iter().map(|mut lane| async move {
            let mut items = Vec::new();
            while let Some(item) = lane.recv().await {
                items.push(item.map(|i| i.origin));
            }
            items
        }))
        .await
    }

    /// With several lanes, items are dealt in turn; an input error ends every lane: the
    /// lane whose turn it was gets the error, the others end after what came before it.
    #[tokio::test]
    async fn items_are_dealt_to_the_lanes_in_turn() {
        let generated = Source::Generate {
            count: 200,
            size: 1,
        };
        for (l, seen) in drain(spawn(generated, 64, 3)).await.into_iter().enumerate() {
            let want: Vec<Result<Origin, SourceError>> = (1..=200u64)
                .filter(|n| (n - 1) % 3 == l as u64)
                .map(|n| Ok(Origin::Number(n)))
                .collect();
            assert_eq!(seen, want, "lane {l}");
        }

        let p = temp(
            "third-bad.jsonl",
            "{\"body\":\"a\"}\n{\"body\":\"b\"}\n{\"colour\":1}\n{\"body\":\"d\"}\n",
        );
        let got = drain(spawn(Source::EnvelopeFile(p), 64, 2)).await;
        assert_eq!(got[1], vec![Ok(Origin::Line(2))]);
        assert_eq!(got[0].len(), 2, "{:?}", got[0]);
        assert_eq!(got[0][0], Ok(Origin::Line(1)));
        let err = got[0][1].clone().unwrap_err();
        assert!(
            err.contains("third-bad.jsonl:3: unknown field `colour`"),
            "{err}"
        );
    }

    /// Lines are handed over in chunks, but a line never waits for the next one to arrive.
    #[tokio::test]
    async fn a_line_goes_out_before_the_next_arrives() {
        use std::io::Write;
        let (reader, mut writer) = std::io::pipe().unwrap();
        let (tx, rx) = mpsc::channel(4);
        std::thread::spawn(move || {
            let mut out = Output {
                lanes: vec![Lane {
                    tx,
                    chunk: Vec::new(),
                }],
                turn: 0,
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
