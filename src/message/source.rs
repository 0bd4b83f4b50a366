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

/// Start reading `source` on its own thread.
pub fn spawn(source: Source, capacity: usize) -> mpsc::Receiver<Result<Item, SourceError>> {
    let (tx, rx) = mpsc::channel(capacity.max(1));
    std::thread::spawn(move || {
        let send = |item: Result<Item, SourceError>| tx.blocking_send(item).is_ok();
        match source {
            Source::Body { text, count } => {
                for n in 1..=count {
                    if !send(Ok(Item::raw(Origin::Number(n), text.clone().into_bytes()))) {
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
                send(item);
            }
            Source::Lines => {
                let stdin = std::io::stdin();
                for (i, line) in stdin.lock().split(b'\n').enumerate() {
                    let item = line
                        .map(|mut l| {
                            if l.last() == Some(&b'\r') {
                                l.pop();
                            }
                            Item::raw(Origin::Line(i + 1), l)
                        })
                        .map_err(|e| format!("reading stdin line {}: {e}", i + 1));
                    let failed = item.is_err();
                    if !send(item) || failed {
                        return;
                    }
                }
            }
            Source::EnvelopeFile(path) => {
                let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
                    Box::new(BufReader::new(std::io::stdin()))
                } else {
                    match File::open(&path) {
                        Ok(f) => Box::new(BufReader::with_capacity(1 << 16, f)),
                        Err(e) => {
                            send(Err(format!("{}: {e}", path.display())));
                            return;
                        }
                    }
                };
                let shown = if path.as_os_str() == "-" {
                    PathBuf::from("<stdin>")
                } else {
                    path.clone()
                };
                for (i, line) in reader.lines().enumerate() {
                    let item = line
                        .map_err(|e| format!("{}:{}: {e}", shown.display(), i + 1))
                        .and_then(|l| {
                            if l.trim().is_empty() {
                                Ok(None)
                            } else {
                                parse_line(&l, &shown, i + 1).map(Some)
                            }
                        });
                    let keep_going = match item {
                        Ok(None) => true,
                        Ok(Some(envelope)) => send(Ok(Item {
                            origin: Origin::Line(i + 1),
                            envelope,
                            is_envelope: true,
                        })),
                        Err(e) => {
                            send(Err(e));
                            false
                        }
                    };
                    if !keep_going {
                        return;
                    }
                }
            }
            Source::Dir(dir) => {
                let files = match dir_files(&dir) {
                    Ok(f) => f,
                    Err(e) => {
                        send(Err(e));
                        return;
                    }
                };
                for path in files {
                    let item = read_dir_file(&path);
                    let failed = item.is_err();
                    if !send(item) || failed {
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
                    if !send(Ok(Item {
                        origin: Origin::Number(n),
                        envelope,
                        is_envelope: false,
                    })) {
                        return;
                    }
                }
            }
        }
    });
    rx
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
}
