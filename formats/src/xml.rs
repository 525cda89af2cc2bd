//! The packages Office files are made of (a ZIP of XML parts, checked against the limits
//! before any part expands) and the paragraphs, slides and rows of their XML, read with
//! `quick-xml`.

use std::io::Cursor;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::limits::{Budget, read_at_most};
use crate::{FormatError, Limits, Segment};

/// An OOXML or ODF package whose parts have been checked against the limits.
pub(crate) struct Package<'a> {
    zip: zip::ZipArchive<Cursor<&'a [u8]>>,
    limits: &'a Limits,
    format: &'static str,
}

impl<'a> Package<'a> {
    pub(crate) fn open(
        bytes: &'a [u8],
        limits: &'a Limits,
        format: &'static str,
    ) -> Result<Self, FormatError> {
        let damaged = |e: zip::result::ZipError| FormatError::Damaged {
            format,
            reason: e.to_string(),
        };
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(damaged)?;
        let mut budget = Budget::default();
        for i in 0..zip.len() {
            let entry = zip.by_index_raw(i).map_err(damaged)?;
            if entry.encrypted() {
                return Err(FormatError::Encrypted { format });
            }
            let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
            limits.check_member(&name, entry.size(), entry.compressed_size())?;
            budget.take(limits, entry.size())?;
        }
        Ok(Self {
            zip,
            limits,
            format,
        })
    }

    /// The names of the parts, in the package's order.
    pub(crate) fn names(&self) -> Vec<String> {
        self.zip
            .file_names()
            .filter_map(|n| n.ok().map(|n| n.into_owned()))
            .collect()
    }

    /// One part's bytes; `None` when the package has no such part.
    pub(crate) fn part(&mut self, name: &str) -> Result<Option<Vec<u8>>, FormatError> {
        let format = self.format;
        let entry = match self.zip.by_name(name) {
            Ok(e) => e,
            Err(zip::result::ZipError::FileNotFound) => return Ok(None),
            Err(e) => {
                return Err(FormatError::Damaged {
                    format,
                    reason: e.to_string(),
                });
            }
        };
        match read_at_most(entry, self.limits.file_bytes) {
            Ok(Some(bytes)) => Ok(Some(bytes)),
            Ok(None) => Err(FormatError::Bomb(format!("{name} is larger than declared"))),
            Err(e) => Err(FormatError::Damaged {
                format,
                reason: format!("{name}: {e}"),
            }),
        }
    }

    /// A part that must be there.
    pub(crate) fn required(&mut self, name: &str) -> Result<Vec<u8>, FormatError> {
        let format = self.format;
        self.part(name)?.ok_or_else(|| FormatError::Damaged {
            format,
            reason: format!("it has no {name}"),
        })
    }
}

fn xml_error(format: &'static str, e: impl std::fmt::Display) -> FormatError {
    FormatError::Damaged {
        format,
        reason: format!("bad XML: {e}"),
    }
}

/// Which family of XML: OOXML keeps text in `t` elements; ODF anywhere in a paragraph.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Dialect {
    Ooxml,
    Odf,
}

fn attribute(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.try_get_attribute(name)
        .ok()
        .flatten()
        .map(|a| a.value.into_owned())
}

/// Paragraphs of an XML part, each with the 1-based `unit` (an ODF presentation's page)
/// it belongs to, 0 outside any.
pub(crate) fn paragraphs(
    xml: &[u8],
    dialect: Dialect,
    unit: Option<&str>,
    format: &'static str,
) -> Result<Vec<(u32, String)>, FormatError> {
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    let (mut depth, mut in_t, mut units) = (0usize, false, 0u32);
    let mut current = String::new();
    let mut out = Vec::new();
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| xml_error(format, e))?;
        match event {
            Event::Start(e) => match e.local_name().as_ref() {
                "p" | "h" => depth += 1,
                "t" => in_t = true,
                name if Some(name) == unit => units += 1,
                _ => {}
            },
            Event::Empty(e) => match e.local_name().as_ref() {
                "tab" if depth > 0 => current.push('\t'),
                "br" | "cr" | "line-break" if depth > 0 => current.push('\n'),
                "s" if depth > 0 && dialect == Dialect::Odf => {
                    let n = attribute(&e, "text:c").and_then(|c| c.parse::<usize>().ok());
                    current.push_str(&" ".repeat(n.unwrap_or(1).min(64)));
                }
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "p" | "h" if depth > 0 => {
                    depth -= 1;
                    if depth == 0 {
                        let text = std::mem::take(&mut current);
                        if !text.trim().is_empty() {
                            out.push((units, text.trim_end().to_owned()));
                        }
                    } else {
                        current.push(' ');
                    }
                }
                "t" => in_t = false,
                _ => {}
            },
            Event::Text(t) if depth > 0 && (in_t || dialect == Dialect::Odf) => {
                current.push_str(&t.xml10_content());
            }
            Event::CData(t) if depth > 0 && (in_t || dialect == Dialect::Odf) => {
                current.push_str(&t.xml10_content());
            }
            Event::GeneralRef(r) if depth > 0 && (in_t || dialect == Dialect::Odf) => {
                if let Some(c) = entity(&r) {
                    current.push(c);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(out)
}

fn entity(r: &quick_xml::events::BytesRef<'_>) -> Option<char> {
    if r.is_char_ref() {
        return r.resolve_char_ref().ok().flatten();
    }
    match r.xml10_content().as_ref() {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => None,
    }
}

/// A spreadsheet column as letters: 0 is `A`, 26 is `AA`.
pub(crate) fn column_letters(mut col: u32) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// One spreadsheet row as a segment: its non-empty cells joined by ` | `, and where it is.
pub(crate) fn row_segment(sheet: &str, row: u32, cells: &[(u32, String)]) -> Option<Segment> {
    let (first, _) = cells.first()?;
    Some(Segment {
        text: cells
            .iter()
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
            .join(" | "),
        cell: Some(format!("{sheet}!{}{}", column_letters(*first), row + 1)),
        line: Some(row + 1),
        ..Segment::default()
    })
}

/// The rows of an ODF spreadsheet's `content.xml`: repeated empty cells and rows only move
/// the position; repeated cells with content count against the cell limit.
pub(crate) fn ods_rows(xml: &[u8], limits: &Limits) -> Result<Vec<Segment>, FormatError> {
    const FORMAT: &str = "ODS spreadsheet";
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut out = Vec::new();
    let (mut sheet, mut row, mut col) = (String::new(), 0u32, 0u32);
    let (mut row_repeat, mut cell_repeat) = (1u32, 1u32);
    let mut cells: Vec<(u32, String)> = Vec::new();
    let mut cell: Option<String> = None;
    let mut total = 0usize;
    let count = |e: &BytesStart<'_>, name: &str| {
        attribute(e, name)
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(1)
            .max(1)
    };
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| xml_error(FORMAT, e))?;
        match event {
            Event::Start(e) | Event::Empty(e)
                if e.local_name().as_ref() == "table" && e.name().as_ref() == "table:table" =>
            {
                sheet = attribute(&e, "table:name").unwrap_or_else(|| "Sheet".to_owned());
                row = 0;
            }
            Event::Start(e) if e.local_name().as_ref() == "table-row" => {
                row_repeat = count(&e, "table:number-rows-repeated");
                col = 0;
                cells.clear();
            }
            Event::Empty(e) if e.local_name().as_ref() == "table-row" => {
                row = row.saturating_add(count(&e, "table:number-rows-repeated"));
            }
            Event::Start(e)
                if matches!(e.local_name().as_ref(), "table-cell" | "covered-table-cell") =>
            {
                cell_repeat = count(&e, "table:number-columns-repeated");
                cell = Some(String::new());
            }
            Event::Empty(e)
                if matches!(e.local_name().as_ref(), "table-cell" | "covered-table-cell") =>
            {
                col = col.saturating_add(count(&e, "table:number-columns-repeated"));
            }
            Event::Text(t) => {
                if let Some(c) = cell.as_mut() {
                    c.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let (Some(c), Some(ch)) = (cell.as_mut(), entity(&r)) {
                    c.push(ch);
                }
            }
            Event::End(e) if e.local_name().as_ref() == "p" => {
                if let Some(c) = cell.as_mut() {
                    c.push('\n');
                }
            }
            Event::End(e)
                if matches!(e.local_name().as_ref(), "table-cell" | "covered-table-cell") =>
            {
                let text = cell.take().unwrap_or_default();
                let text = text.trim();
                if !text.is_empty() {
                    total = total.saturating_add(cell_repeat as usize * row_repeat as usize);
                    if total > limits.cells {
                        return Err(FormatError::Bomb(format!(
                            "more than {} cells with content",
                            limits.cells
                        )));
                    }
                    for k in 0..cell_repeat {
                        cells.push((col + k, text.to_owned()));
                    }
                }
                col = col.saturating_add(cell_repeat);
            }
            Event::End(e) if e.local_name().as_ref() == "table-row" => {
                for _ in 0..row_repeat {
                    if let Some(segment) = row_segment(&sheet, row, &cells) {
                        out.push(segment);
                    }
                    row = row.saturating_add(1);
                    if cells.is_empty() {
                        row = row.saturating_add(row_repeat - 1);
                        break;
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_lettered_as_spreadsheets_do() {
        let names: Vec<String> = [0, 25, 26, 27, 51, 52, 701, 702]
            .into_iter()
            .map(column_letters)
            .collect();
        assert_eq!(names, ["A", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]);
    }

    #[test]
    fn ods_repeats_are_counted_not_expanded() {
        let xml = br#"<office:document-content xmlns:office="o" xmlns:table="t" xmlns:text="x"><office:body><office:spreadsheet>
<table:table table:name="Calls">
<table:table-row><table:table-cell><text:p>From</text:p></table:table-cell><table:table-cell table:number-columns-repeated="3"/><table:table-cell><text:p>To &amp; when</text:p></table:table-cell></table:table-row>
<table:table-row table:number-rows-repeated="1000000"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>
<table:table-row><table:table-cell><text:p>07700 900123</text:p></table:table-cell></table:table-row>
</table:table></office:spreadsheet></office:body></office:document-content>"#;
        let rows = ods_rows(xml, &Limits::default()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].text, "From | To & when");
        assert_eq!(rows[0].cell.as_deref(), Some("Calls!A1"));
        assert_eq!(rows[1].cell.as_deref(), Some("Calls!A1000002"));
        let bomb = br#"<table:table table:name="S"><table:table-row table:number-rows-repeated="1000000"><table:table-cell table:number-columns-repeated="16384"><text:p>x</text:p></table:table-cell></table:table-row></table:table>"#;
        assert!(matches!(
            ods_rows(bomb, &Limits::default()),
            Err(FormatError::Bomb(_))
        ));
    }
}
