//! Writing listed rows: a table, a JSON array of flat objects (keys in column order), YAML, CSV
//! or TSV. JSON, CSV and TSV are written row by row as rows arrive; a table and YAML need them
//! all first.

use std::io::Write;

use anyhow::Result;
use serde_json::Value;

use super::Row;
use crate::output::{self, Format};

/// The text of one cell: strings as they are, lists and objects as compact JSON; `None` for
/// a value the broker left out (unknown).
fn cell(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// RFC 4180: quoted when it holds a comma, a quote or a line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Tabs and line breaks escaped, so that every row stays one line of tab-separated fields.
fn tsv_field(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

/// Rows out, in one format.
pub struct Writer<'a> {
    format: Format,
    columns: Vec<&'static str>,
    out: &'a mut dyn Write,
    written: u64,
    held: Vec<Row>,
}

impl<'a> Writer<'a> {
    pub fn new(format: Format, columns: Vec<&'static str>, out: &'a mut dyn Write) -> Result<Self> {
        let mut w = Writer {
            format,
            columns,
            out,
            written: 0,
            held: Vec::new(),
        };
        let header = match format {
            Format::Csv => Some(
                w.columns
                    .iter()
                    .map(|c| csv_field(c))
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            Format::Tsv => Some(w.columns.join("\t")),
            _ => None,
        };
        if let Some(h) = header {
            w.line(&h)?;
        }
        Ok(w)
    }

    fn line(&mut self, text: &str) -> Result<()> {
        writeln!(self.out, "{text}").map_err(|e| output::io_error(e, "writing the list"))
    }

    /// One row: written at once (JSON, CSV, TSV) or kept for the end (table, YAML).
    pub fn row(&mut self, row: &Row) -> Result<()> {
        let cells = || {
            self.columns
                .iter()
                .map(|c| row.get(*c).unwrap_or(&Value::Null))
        };
        let text = match self.format {
            Format::Json => {
                let fields: Vec<String> = self
                    .columns
                    .iter()
                    .zip(cells())
                    .map(|(c, v)| format!("{}:{}", Value::from(*c), v))
                    .collect();
                let sep = if self.written == 0 { "[" } else { "," };
                format!("{sep}{{{}}}", fields.join(","))
            }
            Format::Csv => cells()
                .map(|v| cell(v).map(|t| csv_field(&t)).unwrap_or_default())
                .collect::<Vec<_>>()
                .join(","),
            Format::Tsv => cells()
                .map(|v| cell(v).map(|t| tsv_field(&t)).unwrap_or_default())
                .collect::<Vec<_>>()
                .join("\t"),
            _ => {
                self.held.push(row.clone());
                self.written += 1;
                return Ok(());
            }
        };
        self.line(&text)?;
        self.written += 1;
        // Flushed as it goes: a long list shows its first rows at once.
        if self.written % 256 == 1 {
            self.out
                .flush()
                .map_err(|e| output::io_error(e, "writing the list"))?;
        }
        Ok(())
    }

    /// Close the output (the JSON array, or everything for a table or YAML).
    pub fn finish(mut self) -> Result<u64> {
        match self.format {
            Format::Json if self.written == 0 => self.line("[]")?,
            Format::Json => self.line("]")?,
            Format::Yaml => {
                let rows: Vec<serde_yaml::Mapping> = self
                    .held
                    .iter()
                    .map(|r| {
                        self.columns
                            .iter()
                            .map(|c| {
                                let v = r.get(*c).cloned().unwrap_or(Value::Null);
                                (
                                    serde_yaml::Value::from(*c),
                                    serde_yaml::to_value(v).unwrap_or(serde_yaml::Value::Null),
                                )
                            })
                            .collect()
                    })
                    .collect();
                let text = serde_yaml::to_string(&rows)
                    .map_err(|e| crate::exit::Error::internal(format!("YAML: {e}")))?;
                self.line(text.trim_end())?;
            }
            Format::Table => {
                let mut t = output::table(self.columns.iter().copied());
                for r in &self.held {
                    t.add_row(self.columns.iter().map(|c| {
                        cell(r.get(*c).unwrap_or(&Value::Null)).unwrap_or_else(|| "?".into())
                    }));
                }
                if !self.held.is_empty() {
                    let text = t.to_string();
                    self.line(&text)?;
                }
            }
            _ => {}
        }
        self.out
            .flush()
            .map_err(|e| output::io_error(e, "writing the list"))?;
        Ok(self.written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rows() -> Vec<Row> {
        [
            json!({"name": "a,b", "messages": 3, "arguments": {"x": 1}}),
            json!({"name": "tab\there", "messages": null, "arguments": {}}),
        ]
        .into_iter()
        .map(|v| v.as_object().cloned().unwrap())
        .collect()
    }

    fn write(format: Format) -> String {
        let mut buf = Vec::new();
        let mut w = Writer::new(format, vec!["name", "messages", "arguments"], &mut buf).unwrap();
        for r in rows() {
            w.row(&r).unwrap();
        }
        w.finish().unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn json_is_an_array_of_flat_objects_in_column_order() {
        let text = write(Format::Json);
        assert!(
            text.starts_with("[{\"name\":\"a,b\",\"messages\":3,"),
            "{text}"
        );
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v[1]["messages"], Value::Null);
        assert_eq!(v.as_array().unwrap().len(), 2);
    }

    #[test]
    fn csv_quotes_and_tsv_escapes() {
        assert_eq!(
            write(Format::Csv),
            "name,messages,arguments\n\"a,b\",3,\"{\"\"x\"\":1}\"\ntab\there,,{}\n"
        );
        assert_eq!(
            write(Format::Tsv),
            "name\tmessages\targuments\na,b\t3\t{\"x\":1}\ntab\\there\t\t{}\n"
        );
    }

    #[test]
    fn tables_mark_unknown_values() {
        let text = write(Format::Table);
        assert!(text.contains('?'), "{text}");
        let yaml = write(Format::Yaml);
        assert!(yaml.contains("messages: null"), "{yaml}");
    }
}
