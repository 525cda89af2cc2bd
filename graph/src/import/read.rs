//! Reads CSV (with a header row) or JSONL into loosely typed rows with their line
//! numbers. A row that cannot be read (bad UTF-8, bad JSON, wrong field count) becomes
//! an error for that line and reading goes on.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

/// One field: text, or a list (JSONL arrays; CSV lists are `;`-separated text).
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Text(String),
    List(Vec<String>),
}

/// A row: field name (lower-cased) to value. Empty values are absent.
///
/// A handful of fields, looked up by name a few times each: a list with names shared
/// between the rows of a file costs less than a map with a key allocated per field.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawRow {
    fields: Vec<(Arc<str>, Field)>,
}

impl RawRow {
    /// The value of field `name` (lower case), if present.
    pub fn get(&self, name: &str) -> Option<&Field> {
        self.fields
            .iter()
            .find_map(|(n, f)| (**n == *name).then_some(f))
    }

    /// Sets field `name`; a later value of a repeated name wins.
    pub fn insert(&mut self, name: Arc<str>, field: Field) {
        match self.fields.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = field,
            None => self.fields.push((name, field)),
        }
    }
}

/// Largest line accepted, in bytes; longer lines are rejected without being buffered whole.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Reads every row of `path`, calling `each(line, row)` in file order.
pub fn read_rows(path: &Path, each: impl FnMut(u64, Result<RawRow, String>)) -> Result<(), String> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let format = RowFormat::from_extension(&ext).ok_or_else(|| {
        format!(
            "{}: unsupported file type `.{ext}`; use .csv or .jsonl",
            path.display()
        )
    })?;
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    read_rows_from(file, format, each)
}

/// How rows are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowFormat {
    /// CSV with a header row.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

impl RowFormat {
    /// The format a file extension (lower case, no dot) names.
    pub fn from_extension(ext: &str) -> Option<Self> {
        match ext {
            "csv" => Some(RowFormat::Csv),
            "jsonl" | "ndjson" | "json" => Some(RowFormat::Jsonl),
            _ => None,
        }
    }
}

/// Reads every row from `reader` in `format`, calling `each(line, row)` in order.
pub fn read_rows_from(
    reader: impl Read,
    format: RowFormat,
    mut each: impl FnMut(u64, Result<RawRow, String>),
) -> Result<(), String> {
    match format {
        RowFormat::Csv => read_csv(reader, &mut each),
        RowFormat::Jsonl => read_jsonl(reader, &mut each),
    }
}

fn read_csv(
    file: impl Read,
    each: &mut impl FnMut(u64, Result<RawRow, String>),
) -> Result<(), String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(file);
    let headers: Vec<Arc<str>> = reader
        .byte_headers()
        .map_err(|e| format!("cannot read the header row: {e}"))?
        .iter()
        .map(|h| {
            String::from_utf8_lossy(h)
                .trim()
                .trim_start_matches('\u{feff}')
                .to_ascii_lowercase()
                .into()
        })
        .collect();
    if headers.iter().all(|h| h.is_empty()) {
        return Err("the file is empty or has no header row".to_owned());
    }
    let mut record = csv::ByteRecord::new();
    loop {
        let line = reader.position().line() + 1;
        match reader.read_byte_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                let line = record.position().map_or(line, |p| p.line());
                let mut row = RawRow {
                    fields: Vec::with_capacity(headers.len()),
                };
                let mut bad = None;
                for (name, value) in headers.iter().zip(record.iter()) {
                    match std::str::from_utf8(value) {
                        Ok(v) if !v.is_empty() => {
                            row.insert(name.clone(), Field::Text(v.to_owned()));
                        }
                        Ok(_) => {}
                        Err(e) => bad = Some(format!("column `{name}` is not valid UTF-8 ({e})")),
                    }
                }
                each(line, bad.map_or(Ok(row), Err));
            }
            Err(e) => {
                let line = e.position().map_or(line, |p| p.line());
                match e.kind() {
                    csv::ErrorKind::Io(_) => return Err(format!("line {line}: {e}")),
                    _ => each(line, Err(e.to_string())),
                }
            }
        }
    }
}

fn read_jsonl(
    file: impl Read,
    each: &mut impl FnMut(u64, Result<RawRow, String>),
) -> Result<(), String> {
    let mut reader = BufReader::new(file);
    let mut buf = Vec::new();
    let mut line = 0u64;
    loop {
        buf.clear();
        line += 1;
        let n = (&mut reader)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| format!("line {line}: {e}"))?;
        if n == 0 {
            return Ok(());
        }
        if buf.len() > MAX_LINE_BYTES && !buf.ends_with(b"\n") {
            each(
                line,
                Err(format!("the line is longer than {MAX_LINE_BYTES} bytes")),
            );
            // Skip the rest of the over-long line.
            loop {
                buf.clear();
                let n = (&mut reader)
                    .take(MAX_LINE_BYTES as u64)
                    .read_until(b'\n', &mut buf)
                    .map_err(|e| format!("line {line}: {e}"))?;
                if n == 0 || buf.ends_with(b"\n") {
                    break;
                }
            }
            continue;
        }
        let text = match std::str::from_utf8(&buf) {
            Ok(t) => t.trim(),
            Err(e) => {
                each(line, Err(format!("not valid UTF-8 ({e})")));
                continue;
            }
        };
        if text.is_empty() {
            continue;
        }
        each(line, parse_json_object(text));
    }
}

fn parse_json_object(text: &str) -> Result<RawRow, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    let serde_json::Value::Object(map) = value else {
        return Err("expected a JSON object".to_owned());
    };
    let mut row = RawRow::default();
    for (k, v) in map {
        let field = match v {
            serde_json::Value::Null => continue,
            serde_json::Value::String(s) if s.trim().is_empty() => continue,
            serde_json::Value::String(s) => Field::Text(s.trim().to_owned()),
            serde_json::Value::Array(items) => Field::List(
                items
                    .into_iter()
                    .map(|i| match i {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    })
                    .collect(),
            ),
            other => Field::Text(other.to_string()),
        };
        row.insert(k.to_ascii_lowercase().into(), field);
    }
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(path: &Path) -> Vec<(u64, Result<RawRow, String>)> {
        let mut out = Vec::new();
        read_rows(path, |l, r| out.push((l, r))).unwrap();
        out
    }

    #[test]
    fn csv_rows_keep_their_line_numbers_and_bad_rows_do_not_stop_reading() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.csv");
        let mut bytes = b"id,name\np1,Ann\np2\n".to_vec();
        bytes.extend_from_slice(b"p3,\xff\xfe\np4,\"Bo\"\n");
        std::fs::write(&p, bytes).unwrap();
        let rows = collect(&p);
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].0, 2);
        assert!(rows[1].1.is_err(), "wrong field count");
        assert_eq!(rows[1].0, 3);
        assert!(rows[2].1.as_ref().unwrap_err().contains("UTF-8"));
        assert_eq!(
            rows[3].1.as_ref().unwrap().get("name"),
            Some(&Field::Text("Bo".into()))
        );
    }

    #[test]
    fn jsonl_rows_with_lists_and_bad_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.jsonl");
        std::fs::write(
            &p,
            "{\"id\":\"p1\",\"aliases\":[\"A\",\"B\"]}\nnot json\n\n[1]\n",
        )
        .unwrap();
        let rows = collect(&p);
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[0].1.as_ref().unwrap().get("aliases"),
            Some(&Field::List(vec!["A".into(), "B".into()]))
        );
        assert_eq!(rows[1].0, 2);
        assert!(rows[1].1.is_err());
        assert_eq!(rows[2].0, 4);
        assert!(rows[2].1.is_err());
    }
}
