//! Office files: DOCX and ODT (a segment per paragraph), PPTX and ODP (a segment per
//! slide, its number as the page), XLSX (through `calamine`'s streaming cell reader) and
//! ODS (a segment per row, with sheet and cell). Cells are never laid out densely, so a
//! sheet that claims a million rows costs only what it holds.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{DataRef, Reader, Xlsx};

use crate::xml::{Dialect, Package, ods_rows, paragraphs, row_segment};
use crate::{FormatError, Limits, Parsed, Segment};

fn paragraph_segments(found: Vec<(u32, String)>) -> Vec<Segment> {
    found
        .into_iter()
        .enumerate()
        .map(|(i, (_, text))| Segment {
            text,
            line: Some(i as u32 + 1),
            ..Segment::default()
        })
        .collect()
}

fn slide(number: u32, found: Vec<(u32, String)>) -> Option<Segment> {
    let text: Vec<String> = found.into_iter().map(|(_, t)| t).collect();
    (!text.is_empty()).then(|| Segment {
        text: text.join("\n"),
        page: Some(number),
        ..Segment::default()
    })
}

/// The number in a slide part's name (`ppt/slides/slide12.xml` is 12).
fn slide_number(name: &str) -> Option<u32> {
    name.strip_prefix("ppt/slides/slide")?
        .strip_suffix(".xml")?
        .parse()
        .ok()
}

/// A word-processing file or a presentation.
pub(crate) fn document(ext: &str, bytes: &[u8], limits: &Limits) -> Result<Parsed, FormatError> {
    let (format, kind) = match ext {
        "docx" => ("DOCX document", "document"),
        "odt" => ("ODT document", "document"),
        "pptx" => ("PPTX presentation", "slides"),
        _ => ("ODP presentation", "slides"),
    };
    let mut package = Package::open(bytes, limits, format)?;
    let segments = match ext {
        "docx" => paragraph_segments(paragraphs(
            &package.required("word/document.xml")?,
            Dialect::Ooxml,
            None,
            format,
        )?),
        "odt" => paragraph_segments(paragraphs(
            &package.required("content.xml")?,
            Dialect::Odf,
            None,
            format,
        )?),
        "pptx" => {
            let mut numbers: Vec<(u32, String)> = package
                .names()
                .into_iter()
                .filter_map(|n| slide_number(&n).map(|k| (k, n)))
                .collect();
            numbers.sort();
            let mut slides = Vec::new();
            for (k, name) in numbers {
                let xml = package.required(&name)?;
                slides.extend(slide(k, paragraphs(&xml, Dialect::Ooxml, None, format)?));
            }
            slides
        }
        _ => {
            let found = paragraphs(
                &package.required("content.xml")?,
                Dialect::Odf,
                Some("page"),
                format,
            )?;
            let mut pages: BTreeMap<u32, Vec<(u32, String)>> = BTreeMap::new();
            for (page, text) in found {
                pages.entry(page).or_default().push((page, text));
            }
            pages
                .into_iter()
                .filter_map(|(page, found)| slide(page, found))
                .collect()
        }
    };
    Ok(Parsed::new(kind, format, segments))
}

/// A spreadsheet: a segment per row that holds anything, in sheet order.
pub(crate) fn spreadsheet(ext: &str, bytes: &[u8], limits: &Limits) -> Result<Parsed, FormatError> {
    if ext == "ods" {
        let mut package = Package::open(bytes, limits, "ODS spreadsheet")?;
        let rows = ods_rows(&package.required("content.xml")?, limits)?;
        return Ok(Parsed::new("spreadsheet", "ODS spreadsheet", rows));
    }
    if ext == "xls" {
        return Err(FormatError::Unsupported {
            format: "a legacy binary Excel file",
            hint: "save it as XLSX and ingest that",
        });
    }
    const FORMAT: &str = "XLSX spreadsheet";
    // The package's parts are checked before calamine expands any of them.
    Package::open(bytes, limits, FORMAT)?;
    let damaged = |e: calamine::XlsxError| FormatError::Damaged {
        format: FORMAT,
        reason: e.to_string(),
    };
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(damaged)?;
    let mut segments = Vec::new();
    let mut total = 0usize;
    for sheet in book.sheet_names() {
        let mut rows: BTreeMap<u32, Vec<(u32, String)>> = BTreeMap::new();
        let mut cells = book.worksheet_cells_reader(&sheet).map_err(damaged)?;
        while let Some(cell) = cells.next_cell().map_err(damaged)? {
            let text = cell_text(cell.get_value());
            if text.trim().is_empty() {
                continue;
            }
            total += 1;
            if total > limits.cells {
                return Err(FormatError::Bomb(format!(
                    "more than {} cells with content",
                    limits.cells
                )));
            }
            let (row, col) = cell.get_position();
            rows.entry(row).or_default().push((col, text));
        }
        for (row, mut cells) in rows {
            cells.sort_by_key(|(c, _)| *c);
            segments.extend(row_segment(&sheet, row, &cells));
        }
    }
    Ok(Parsed::new("spreadsheet", FORMAT, segments))
}

fn cell_text(value: &DataRef<'_>) -> String {
    match value {
        DataRef::Empty => String::new(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) => f.to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(d) => match d.as_datetime() {
            Some(t) if t.time() == chrono::NaiveTime::MIN => t.format("%Y-%m-%d").to_string(),
            Some(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => d.as_f64().to_string(),
        },
        DataRef::Error(e) => format!("#{e:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slides_are_numbered_from_their_part_names() {
        assert_eq!(slide_number("ppt/slides/slide12.xml"), Some(12));
        assert_eq!(slide_number("ppt/slides/_rels/slide1.xml.rels"), None);
        assert_eq!(slide_number("ppt/slideLayouts/slideLayout1.xml"), None);
    }
}
