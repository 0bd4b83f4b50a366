//! Bounded input: a file is read with its size limit checked while reading, and its nesting
//! depth is measured by a linear pre-scan before any parser sees it, so that neither memory
//! nor a parser's recursion grows with hostile input (`/dev/zero`, `[[[[...`).

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::exit::Error;

/// The default size limit of one input file (a topology file, an envelope file or line).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 64 << 20;
/// The default nesting limit (lists and maps inside each other).
pub const DEFAULT_MAX_DEPTH: usize = 64;
/// The deepest nesting `--max-depth` can allow: the YAML and JSON parsers stop at 128.
pub const MAX_DEPTH_CEILING: usize = 128;

/// How much input one file may hold, and how deep it may nest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_file_size: u64,
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            max_depth: DEFAULT_MAX_DEPTH,
        }
    }
}

/// `64 MiB`, `1.5 GiB`, `512 bytes`: a size as the flags take it.
pub fn show_size(bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (scale, unit) in UNITS {
        if bytes >= scale && bytes.is_multiple_of(scale) {
            return format!("{}{unit}", bytes / scale);
        }
    }
    format!("{bytes} bytes")
}

/// Why input over the size limit is refused: the limit and the flag that raises it.
pub fn too_large_reason(max: u64) -> String {
    format!(
        "larger than the limit of {} (--max-file-size); raise it with --max-file-size SIZE, e.g. 1GiB",
        show_size(max)
    )
}

/// The error for the input `what` (a file) over the size limit.
pub fn too_large(what: &str, max: u64) -> Error {
    Error::invalid_input(too_large_reason(max)).about(what)
}

/// Why input nested deeper than the limit at `place` (a line and column) is refused.
pub fn too_deep_reason(place: &str, max: usize) -> String {
    format!(
        "{place}: nested deeper than the limit of {max} levels (--max-depth); \
         raise it with --max-depth N (at most {MAX_DEPTH_CEILING})"
    )
}

/// The error for the input `what` (a file) nested deeper than the limit at `place`.
pub fn too_deep(what: &str, place: &str, max: usize) -> Error {
    Error::invalid_input(too_deep_reason(place, max)).about(what)
}

/// Read the file at `path` as UTF-8 text, stopping as soon as it holds more than `max`
/// bytes. `what` names it in errors (`topology file x.yaml`).
pub fn read_text(path: &Path, max: u64, what: &str) -> Result<String, Error> {
    let failed = |e: &dyn std::fmt::Display| Error::invalid_input(format!("reading {what}: {e}"));
    let file = File::open(path).map_err(|e| failed(&e))?;
    // A regular file's length sizes the buffer once; a device or pipe grows it as it reads.
    let expected = file.metadata().map_or(0, |m| m.len()).min(max);
    let mut bytes = Vec::with_capacity(usize::try_from(expected).unwrap_or(0).saturating_add(1));
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| failed(&e))?;
    if bytes.len() as u64 > max {
        return Err(too_large(what, max));
    }
    String::from_utf8(bytes).map_err(|_| failed(&"stream did not contain valid UTF-8"))
}

/// A JSON file's text, refused (exit 4) when larger than the limit or nested deeper than it,
/// before it is parsed; `what` names it in the error.
pub fn read_json(path: &Path, limits: Limits, what: &str) -> Result<String, Error> {
    let text = read_text(path, limits.max_file_size, what)?;
    if let Some(at) = json_too_deep(text.as_bytes(), limits.max_depth) {
        return Err(too_deep(
            what,
            &format!("byte {}", at + 1),
            limits.max_depth,
        ));
    }
    Ok(text)
}

/// The byte offset where JSON `text` first nests deeper than `max` (brackets and braces
/// outside strings), if it does. Linear, no recursion.
pub fn json_too_deep(text: &[u8], max: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, &b) in text.iter().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// One open block collection of a YAML document: the column of its entries.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Block {
    Sequence(usize),
    Mapping(usize),
}

impl Block {
    fn column(self) -> usize {
        match self {
            Block::Sequence(c) | Block::Mapping(c) => c,
        }
    }
}

/// Where (line and column, from 1) YAML `text` first nests deeper than `max`, if it does.
///
/// A linear estimate, never below the real depth by more than half (a block sequence
/// written at its parent key's column) and never above it for ordinary files: block
/// collections are tracked by the column of their entries (`key:`, `- `, `? `), flow
/// collections by their brackets, outside quotes, comments and block scalars.
pub fn yaml_too_deep(text: &str, max: usize) -> Option<(usize, usize)> {
    let mut blocks: Vec<Block> = Vec::new();
    let mut flow = 0usize;
    // A quoted scalar that goes on to the next line: its quote character.
    let mut quote: Option<u8> = None;
    // Inside a block scalar (`|`, `>`): lines indented deeper than this column are its text.
    let mut block_scalar: Option<Option<usize>> = None;
    for (index, line) in text.lines().enumerate() {
        // Every character the scan looks for is ASCII: bytes, with columns counted in
        // characters only for the report.
        let chars = line.as_bytes();
        let column = |byte: usize| line[..byte].chars().count() + 1;
        let indent = chars.iter().take_while(|&&c| c == b' ').count();
        let blank = chars[indent..].iter().all(|c| c.is_ascii_whitespace());
        if let Some(parent) = block_scalar {
            if blank || parent.is_none_or(|p| indent > p) {
                continue;
            }
            block_scalar = None;
        }
        let mut i = 0;
        // Block structure only where a line starts outside quotes and flow collections.
        let mut entries = quote.is_none() && flow == 0;
        if entries {
            if blank || chars[indent] == b'#' {
                continue;
            }
            if indent == 0 && (chars.starts_with(b"---") || chars.starts_with(b"...")) {
                blocks.clear();
                i = 3;
                entries = false;
            } else {
                i = indent;
            }
        }
        let open = |blocks: &mut Vec<Block>, block: Block, flow: usize| -> bool {
            let column = block.column();
            while let Some(&top) = blocks.last() {
                let closes = top.column() > column
                    || (top.column() == column
                        && matches!((top, block), (Block::Sequence(_), Block::Mapping(_))));
                if !closes {
                    break;
                }
                blocks.pop();
            }
            if blocks.last() != Some(&block) {
                blocks.push(block);
            }
            blocks.len() + flow > max
        };
        let indicator = |j: usize, c: u8| {
            chars.get(j) == Some(&c) && chars.get(j + 1).is_none_or(|n| *n == b' ')
        };
        // Compact nesting at the start of a line: `- - - x`, `? key`.
        while entries && i < chars.len() {
            let block = if indicator(i, b'-') {
                Block::Sequence(i)
            } else if indicator(i, b'?') {
                Block::Mapping(i)
            } else {
                break;
            };
            if open(&mut blocks, block, flow) {
                return Some((index + 1, column(i)));
            }
            i += 1;
            while chars.get(i) == Some(&b' ') {
                i += 1;
            }
        }
        let token_start = i;
        let mut key_found = false;
        let mut last_token = i;
        while i < chars.len() {
            let c = chars[i];
            let after_space = i == 0 || chars[i - 1] == b' ' || chars[i - 1] == b'\t';
            if let Some(q) = quote {
                if q == b'"' && c == b'\\' {
                    i += 2;
                    continue;
                }
                if c == q {
                    if q == b'\'' && chars.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    quote = None;
                }
                i += 1;
                continue;
            }
            let starts_scalar = i == token_start
                || (i > 0 && matches!(chars[i - 1], b' ' | b'\t' | b'[' | b'{' | b','));
            match c {
                b'#' if after_space => break,
                b'"' | b'\'' if starts_scalar => quote = Some(c),
                b'[' | b'{' => {
                    flow += 1;
                    if blocks.len() + flow > max {
                        return Some((index + 1, column(i)));
                    }
                }
                b']' | b'}' => flow = flow.saturating_sub(1),
                b':' if entries
                    && !key_found
                    && flow == 0
                    && chars.get(i + 1).is_none_or(|n| *n == b' ') =>
                {
                    key_found = true;
                    if open(&mut blocks, Block::Mapping(token_start), flow) {
                        return Some((index + 1, column(token_start)));
                    }
                }
                _ => {}
            }
            if c != b' ' && c != b'\t' && after_space {
                last_token = i;
            }
            i += 1;
        }
        // `key: |`, `- >-`: the lines after it indented deeper are text.
        let last_token = last_token.min(chars.len());
        let tail = chars[last_token..]
            .iter()
            .take_while(|c| !c.is_ascii_whitespace());
        let block_indicator = chars
            .get(last_token)
            .is_some_and(|c| *c == b'|' || *c == b'>')
            && tail
                .skip(1)
                .all(|c| *c == b'+' || *c == b'-' || c.is_ascii_digit());
        let value_starts = chars[..last_token]
            .iter()
            .rev()
            .find(|c| **c != b' ')
            .is_none_or(|c| *c == b':' || *c == b'-' || *c == b'?');
        if quote.is_none() && flow == 0 && block_indicator && value_starts {
            block_scalar = Some(blocks.last().map(|b| b.column()));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth(text: &str) -> usize {
        (1..=MAX_DEPTH_CEILING)
            .find(|&max| yaml_too_deep(text, max).is_none())
            .unwrap_or(usize::MAX)
    }

    #[test]
    fn yaml_depth_of_ordinary_documents() {
        assert_eq!(depth("a: 1\n"), 1);
        assert_eq!(
            depth("queues:\n  - name: q\n    arguments:\n      x: 1\n"),
            4
        );
        assert_eq!(
            depth("queues:\n- name: q\n  durable: true\nexchanges: []\n"),
            3
        );
        assert_eq!(depth("a: [1, [2, {b: 3}]]\n"), 4);
        // Brackets in quotes, comments and block scalars are text.
        assert_eq!(depth("a: \"[[[\" # [[[\nb: '[[''[['\n"), 1);
        assert_eq!(depth("a: |\n  - - - [[[\n  - - -\nb: 1\n"), 1);
        assert_eq!(depth("a:\n  - >-\n    - - - -\n  - b\n"), 2);
        assert_eq!(depth("a: it's [1]\n"), 2);
        let example = include_str!("../topology.example.yaml");
        assert!(depth(example) <= 8, "{}", depth(example));
    }

    #[test]
    fn yaml_depth_of_hostile_documents() {
        let brackets = format!("a: {}", "[".repeat(200_000));
        assert_eq!(yaml_too_deep(&brackets, 64), Some((1, 67)));
        let dashes = "- ".repeat(100_000);
        assert_eq!(yaml_too_deep(&dashes, 64), Some((1, 129)));
        let mut indented = String::new();
        for level in 0..100 {
            indented.push_str(&format!("{}k:\n", " ".repeat(level)));
        }
        assert_eq!(yaml_too_deep(&indented, 64), Some((65, 65)));
        // A sequence at its key's column still nests.
        let mut same_column = String::new();
        for level in 0..200 {
            same_column.push_str(&format!(
                "{}k:\n{}-\n",
                " ".repeat(level),
                " ".repeat(level)
            ));
        }
        assert!(yaml_too_deep(&same_column, 64).is_some());
    }

    #[test]
    fn json_depth_skips_strings() {
        assert_eq!(json_too_deep(br#"{"a": [1, {"b": "[[[[\"[["}]}"#, 3), None);
        assert_eq!(json_too_deep(br#"{"a": [1, {"b": [2]}]}"#, 3), Some(16));
        assert_eq!(json_too_deep("[".repeat(100_000).as_bytes(), 64), Some(64));
    }

    #[test]
    fn sizes_read_as_the_flags_take_them() {
        assert_eq!(show_size(64 << 20), "64MiB");
        assert_eq!(show_size(3 << 30), "3GiB");
        assert_eq!(show_size(1000), "1000 bytes");
    }
}
