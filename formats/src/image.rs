//! Photos, scans and screenshots (JPEG, PNG, TIFF, WebP, BMP, GIF): the size checked from
//! the header before anything decodes, EXIF date, camera and GPS read (kamadak-exif), and
//! the text read by OCR, a segment per line with its box.

use std::io::Cursor;

use crate::ocr::{self, PageImage};
use crate::{FormatError, GeoPoint, Limits, Parsed};

/// The image formats OCR reads, by extension.
pub(crate) const EXTENSIONS: &[&str] = &["jpg", "jpeg", "png", "tif", "tiff", "webp", "bmp", "gif"];

/// The image format its first bytes name, whatever the file is called. (BMP's two
/// letters also begin text files: the caller trusts them only in a `.bmp`.)
pub(crate) fn sniff(bytes: &[u8]) -> Option<&'static str> {
    let is = |magic: &[u8]| bytes.starts_with(magic);
    if is(&[0xFF, 0xD8, 0xFF]) {
        Some("JPEG")
    } else if is(b"\x89PNG\r\n\x1a\n") {
        Some("PNG")
    } else if is(b"II*\0") || is(b"MM\0*") {
        Some("TIFF")
    } else if is(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        Some("WebP")
    } else if is(b"GIF87a") || is(b"GIF89a") {
        Some("GIF")
    } else if is(b"BM") && bytes.len() > 26 {
        Some("BMP")
    } else {
        None
    }
}

pub(crate) fn read(
    format: &'static str,
    bytes: &[u8],
    limits: &Limits,
) -> Result<Parsed, FormatError> {
    let mut parsed = facts(format, bytes, limits)?;
    if !limits.ocr {
        parsed.awaits_ocr = true;
        return Ok(parsed);
    }
    let scratch = tempfile::tempdir().map_err(|e| FormatError::Tool {
        tool: "tesseract",
        reason: format!("no scratch folder: {e}"),
    })?;
    let path = scratch
        .path()
        .join(format!("image.{}", format.to_ascii_lowercase()));
    std::fs::write(&path, bytes).map_err(|e| FormatError::Tool {
        tool: "tesseract",
        reason: format!("cannot write the scratch copy: {e}"),
    })?;
    parsed.segments = ocr::read_pages(1, scratch.path(), limits, |_, _| {
        Ok(PageImage {
            path: path.clone(),
            page: 1,
        })
    })?;
    parsed.tool = Some(ocr::version(&limits.ocr_languages));
    Ok(parsed)
}

/// What an image says of itself before any pixel decodes: its format (from its first
/// bytes), its size (refused over [`Limits::pixels`]) and its EXIF date, camera and
/// GPS. No text: that is OCR's (see [`crate::read`]).
pub fn image_facts(bytes: &[u8], limits: &Limits) -> Result<Parsed, FormatError> {
    let format = sniff(bytes).ok_or(FormatError::Damaged {
        format: "image",
        reason: "its first bytes name no image format".to_owned(),
    })?;
    facts(format, bytes, limits)
}

fn facts(format: &'static str, bytes: &[u8], limits: &Limits) -> Result<Parsed, FormatError> {
    let size = imagesize::blob_size(bytes).map_err(|e| FormatError::Damaged {
        format: "image",
        reason: format!("its {format} header cannot be read ({e})"),
    })?;
    let pixels = size.width as u64 * size.height as u64;
    if pixels > limits.pixels {
        return Err(FormatError::Bomb(format!(
            "a {} × {} pixel image ({} megapixels); the limit is {} megapixels",
            size.width,
            size.height,
            pixels / 1_000_000,
            limits.pixels / 1_000_000
        )));
    }
    let mut parsed = Parsed::new("image", format, Vec::new());
    parsed.headers.push((
        "Pixels".to_owned(),
        format!("{} × {}", size.width, size.height),
    ));
    exif(bytes, &mut parsed);
    Ok(parsed)
}

/// When and where a photo was taken, and with what, from its EXIF fields.
fn exif(bytes: &[u8], parsed: &mut Parsed) {
    use exif::{In, Tag, Value};
    let Ok(fields) = exif::Reader::new().read_from_container(&mut Cursor::new(bytes)) else {
        return;
    };
    let text = |tag: Tag| {
        fields
            .get_field(tag, In::PRIMARY)
            .and_then(|f| match &f.value {
                Value::Ascii(parts) => parts
                    .first()
                    .map(|p| String::from_utf8_lossy(p).trim().to_owned())
                    .filter(|s| !s.is_empty()),
                _ => None,
            })
    };
    let degrees = |tag: Tag, reference: Tag, negative: &str| {
        let field = fields.get_field(tag, In::PRIMARY)?;
        let Value::Rational(parts) = &field.value else {
            return None;
        };
        let [d, m, s] = parts.get(..3)? else {
            return None;
        };
        let value = d.to_f64() + m.to_f64() / 60.0 + s.to_f64() / 3600.0;
        let sign = match text(reference) {
            Some(r) if r.eq_ignore_ascii_case(negative) => -1.0,
            _ => 1.0,
        };
        value.is_finite().then_some(sign * value)
    };
    let taken = text(Tag::DateTimeOriginal).or_else(|| text(Tag::DateTime));
    if let Some(taken) = &taken {
        parsed.headers.push(("Taken".to_owned(), taken.clone()));
    }
    let camera = [text(Tag::Make), text(Tag::Model)]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    if !camera.is_empty() {
        parsed.headers.push(("Camera".to_owned(), camera));
    }
    if let (Some(latitude), Some(longitude)) = (
        degrees(Tag::GPSLatitude, Tag::GPSLatitudeRef, "S"),
        degrees(Tag::GPSLongitude, Tag::GPSLongitudeRef, "W"),
    ) && (-90.0..=90.0).contains(&latitude)
        && (-180.0..=180.0).contains(&longitude)
    {
        parsed
            .headers
            .push(("GPS".to_owned(), format!("{latitude:.6}, {longitude:.6}")));
        parsed.location = Some(GeoPoint {
            latitude,
            longitude,
        });
    }
    parsed.taken = taken;
}
