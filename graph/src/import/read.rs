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
    let format = RowFormat::of(path)?;
    let file = open(path)?;
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
    /// The format of `path`, by its extension.
    pub fn of(path: &Path) -> Result<Self, String> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        Self::from_extension(&ext).ok_or_else(|| {
            format!(
                "{}: unsupported file type `.{ext}`; use .csv or .jsonl",
                path.display()
            )
        })
    }

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

/// Reads the rows of a file in up to `parts` pieces at once, each on a thread of its own:
/// `each(state, line, row)` runs for the rows of a piece in order, on that piece's
/// `init()` state, and the states come back in file order. Rows and line numbers are
/// exactly those of [`read_rows`]: a CSV piece starts where a record starts when the
/// whole file is read (found by reading the records before it without decoding them).
/// JSONL, and CSV shorter than `min_part_bytes` a piece, is read in one piece.
pub fn read_rows_in_parts<S: Send>(
    path: &Path,
    parts: usize,
    min_part_bytes: u64,
    init: impl Fn() -> S + Sync,
    each: impl Fn(&mut S, u64, Result<RawRow, String>) + Sync,
) -> Result<Vec<S>, String> {
    let format = RowFormat::of(path)?;
    let bytes = std::fs::metadata(path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?
        .len();
    let parts = (bytes / min_part_bytes.max(1)).clamp(1, parts.max(1) as u64) as usize;
    if parts == 1 || format != RowFormat::Csv {
        let mut state = init();
        read_rows(path, |line, row| each(&mut state, line, row))?;
        return Ok(vec![state]);
    }
    let starts = csv_part_starts(open(path)?, bytes, parts)?;
    let piece = |k: usize| -> Result<S, String> {
        let mut reader = csv_reader(open(path)?);
        let headers = csv_headers(&mut reader)?;
        if let Some(start) = k.checked_sub(1).map(|k| starts[k].clone()) {
            reader
                .seek(start)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        }
        let end = starts.get(k).map(csv::Position::byte);
        let mut state = init();
        read_csv_records(&mut reader, &headers, end, &mut |line, row| {
            each(&mut state, line, row)
        })?;
        Ok(state)
    };
    std::thread::scope(|scope| {
        let pieces: Vec<_> = (1..=starts.len())
            .map(|k| scope.spawn(move || piece(k)))
            .collect();
        let first = piece(0);
        std::iter::once(first)
            .chain(pieces.into_iter().map(|p| {
                p.join()
                    .unwrap_or_else(|_| Err("a reading thread failed".to_owned()))
            }))
            .collect()
    })
}

/// Where the 2nd to `parts`th pieces of a CSV file of `bytes` bytes start: the first
/// record at or after each equal share of the bytes. Fewer when records run out.
fn csv_part_starts(
    file: impl Read,
    bytes: u64,
    parts: usize,
) -> Result<Vec<csv::Position>, String> {
    // Only where records start matters here: fields are neither trimmed nor counted.
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(file);
    let mut record = csv::ByteRecord::new();
    let mut starts = Vec::with_capacity(parts - 1);
    for k in 1..parts as u64 {
        let target = bytes / parts as u64 * k;
        loop {
            let start = match reader.read_byte_record(&mut record) {
                Ok(false) => return Ok(starts),
                Ok(true) => record.position().cloned(),
                Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => {
                    return Err(format!("line {}: {e}", reader.position().line()));
                }
                Err(e) => e.position().cloned(),
            };
            if let Some(start) = start.filter(|p| p.byte() >= target) {
                starts.push(start);
                break;
            }
        }
    }
    Ok(starts)
}

fn open(path: &Path) -> Result<std::fs::File, String> {
    std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))
}

fn csv_reader<R: Read>(file: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(file)
}

/// The header row's names, lower-cased.
fn csv_headers<R: Read>(reader: &mut csv::Reader<R>) -> Result<Vec<Arc<str>>, String> {
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
    Ok(headers)
}

fn read_csv(
    file: impl Read,
    each: &mut impl FnMut(u64, Result<RawRow, String>),
) -> Result<(), String> {
    let mut reader = csv_reader(file);
    let headers = csv_headers(&mut reader)?;
    read_csv_records(&mut reader, &headers, None, each)
}

/// Reads records up to the one starting at byte `end` (excluded), or to the end.
fn read_csv_records<R: Read>(
    reader: &mut csv::Reader<R>,
    headers: &[Arc<str>],
    end: Option<u64>,
    each: &mut impl FnMut(u64, Result<RawRow, String>),
) -> Result<(), String> {
    let ended = |p: Option<&csv::Position>| end.zip(p).is_some_and(|(end, p)| p.byte() >= end);
    let mut record = csv::ByteRecord::new();
    loop {
        let line = reader.position().line() + 1;
        match reader.read_byte_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                if ended(record.position()) {
                    return Ok(());
                }
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
                if ended(e.position()) {
                    return Ok(());
                }
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
    fn csv_read_in_pieces_gives_the_rows_and_lines_of_one_reading() {
        use rand::{Rng, SeedableRng};
        // Quoted commas, line breaks and quotes, blank lines, CRLF, bad UTF-8, wrong
        // field counts and stray quotes: every piece must start where a record does.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let mut bytes = b"\xef\xbb\xbfID,Name,Note\r\n".to_vec();
        for i in 0..600 {
            let row: &[u8] = match rng.random_range(0..9) {
                0 => b"\"quoted, with comma\",\"line\nbreak\nand more\",x\n",
                1 => b"a,\"say \"\"hi\"\"\",z\r\n",
                2 => b"\n\n",
                3 => b"bad,\xff\xfe,utf8\n",
                4 => b"too,few\n",
                5 => b"st\"ray,quote\",here\n",
                6 => b"four,fields,in,row\n",
                _ => b"",
            };
            bytes.extend_from_slice(row);
            bytes.extend_from_slice(format!("p{i},Name {i},\"n\n{i}\"\n").as_bytes());
        }
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.csv");
        std::fs::write(&p, &bytes).unwrap();
        let whole = collect(&p);
        assert!(
            whole.iter().any(|(_, r)| r.is_err()),
            "the file has bad rows"
        );
        for parts in [2, 3, 4, 7] {
            let pieces = read_rows_in_parts(&p, parts, 1, Vec::new, |v, l, r| v.push((l, r)));
            let pieces = pieces.unwrap();
            assert_eq!(pieces.len(), parts, "{parts} pieces");
            assert!(pieces.iter().all(|p| !p.is_empty()));
            let joined: Vec<_> = pieces.into_iter().flatten().collect();
            assert_eq!(joined, whole, "{parts} pieces");
        }
        let small = read_rows_in_parts(&p, 4, bytes.len() as u64, Vec::new, |v, l, r| {
            v.push((l, r))
        });
        assert_eq!(small.unwrap(), vec![whole], "a small file is one piece");
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
