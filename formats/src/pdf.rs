//! PDFs through poppler (`pdfinfo`, `pdftotext`, from Debian's poppler-utils): the text
//! layer page by page, a segment per paragraph with its page; pages with no text are
//! rendered (`pdftoppm`) and read by OCR; password-protected and damaged files get their
//! own errors.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::Path;
use std::sync::OnceLock;

use crate::ocr::{self, PageImage};
use crate::process::run;
use crate::{FormatError, Limits, PageFrame, Parsed, Segment};

/// The resolution scans are rendered at for OCR, unless the page is too large for it.
const OCR_DPI: f64 = 300.0;

const FORMAT: &str = "PDF";

/// The poppler version, as `pdftotext -v` prints it.
fn version() -> String {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION
        .get_or_init(|| {
            std::process::Command::new("pdftotext")
                .arg("-v")
                .output()
                .ok()
                .and_then(|o| {
                    String::from_utf8_lossy(&o.stderr)
                        .lines()
                        .find_map(|l| l.strip_prefix("pdftotext version ").map(str::to_owned))
                })
                .unwrap_or_else(|| "unknown".to_owned())
        })
        .clone()
}

/// Why poppler refused a file, from what it printed.
fn refusal(stderr: &str) -> FormatError {
    if stderr.contains("password") {
        return FormatError::Encrypted { format: FORMAT };
    }
    let reason = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("poppler could not read it")
        .trim_start_matches("Syntax Error: ")
        .trim_start_matches("Syntax Error")
        .to_owned();
    FormatError::Damaged {
        format: FORMAT,
        reason,
    }
}

pub(crate) fn read(bytes: &[u8], limits: &Limits) -> Result<Parsed, FormatError> {
    // Readers accept the header anywhere in the first kilobyte.
    if !bytes[..bytes.len().min(1024)]
        .windows(5)
        .any(|w| w == b"%PDF-")
    {
        return Err(FormatError::Damaged {
            format: FORMAT,
            reason: "it has no %PDF- header".to_owned(),
        });
    }
    let scratch = tempfile::tempdir().map_err(|e| FormatError::Tool {
        tool: "pdftotext",
        reason: format!("no scratch folder: {e}"),
    })?;
    let input = scratch.path().join("in.pdf");
    std::fs::write(&input, bytes).map_err(|e| FormatError::Tool {
        tool: "pdftotext",
        reason: format!("cannot write the scratch copy: {e}"),
    })?;
    let info = run(
        "pdfinfo",
        &[input.as_os_str()],
        scratch.path(),
        limits.tool_seconds,
    )?;
    if !info.success {
        return Err(refusal(&info.stderr));
    }
    let pages: u32 = info
        .stdout
        .lines()
        .find_map(|l| {
            l.strip_prefix("Pages:")
                .map(|v| v.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0);
    if pages == 0 {
        return Err(FormatError::Damaged {
            format: FORMAT,
            reason: "it has no pages".to_owned(),
        });
    }
    let text_path = scratch.path().join("text.txt");
    let text = run(
        "pdftotext",
        &[
            OsStr::new("-enc"),
            OsStr::new("UTF-8"),
            input.as_os_str(),
            text_path.as_os_str(),
        ],
        scratch.path(),
        limits.tool_seconds,
    )?;
    if !text.success {
        return Err(refusal(&text.stderr));
    }
    let size = std::fs::metadata(&text_path).map(|m| m.len()).unwrap_or(0);
    limits.check_file(size)?;
    let content = std::fs::read(&text_path).map_err(|e| FormatError::Tool {
        tool: "pdftotext",
        reason: e.to_string(),
    })?;
    let content = String::from_utf8_lossy(&content);
    let mut parsed = Parsed::new("pdf", FORMAT, Vec::new());
    for (i, page) in content.split('\u{c}').take(pages as usize).enumerate() {
        let number = i as u32 + 1;
        let before = parsed.segments.len();
        parsed.segments.extend(
            page.split("\n\n")
                .map(|p| p.trim())
                .filter(|p| !p.is_empty())
                .map(|p| Segment {
                    text: p.to_owned(),
                    page: Some(number),
                    ..Segment::default()
                }),
        );
        if parsed.segments.len() == before {
            parsed.pages_without_text.push(number);
        }
    }
    parsed.headers.push(("Pages".to_owned(), pages.to_string()));
    for key in ["Title", "Author", "Creator", "Producer", "CreationDate"] {
        if let Some(v) = info.stdout.lines().find_map(|l| {
            l.strip_prefix(key)
                .and_then(|r| r.strip_prefix(':'))
                .map(str::trim)
        }) && !v.is_empty()
        {
            parsed.headers.push((key.to_owned(), v.to_owned()));
        }
    }
    parsed.tool = Some(format!("poppler pdftotext {}", version()));
    if limits.ocr {
        read_scans(&input, scratch.path(), &mut parsed, limits)?;
    } else {
        parsed.awaits_ocr = !parsed.pages_without_text.is_empty();
    }
    Ok(parsed)
}

/// Renders each page without a text layer (up to `limits.ocr_pages`) and reads it by OCR,
/// in parallel; pages OCR finds nothing on stay listed.
fn read_scans(
    input: &Path,
    scratch: &Path,
    parsed: &mut Parsed,
    limits: &Limits,
) -> Result<(), FormatError> {
    let pages: Vec<u32> = parsed
        .pages_without_text
        .iter()
        .copied()
        .take(limits.ocr_pages)
        .collect();
    let (Some(first), Some(last)) = (pages.first(), pages.last()) else {
        return Ok(());
    };
    let sizes = page_sizes(input, scratch, *first, *last, limits)?;
    // Each page's resolution and the pixel frame it renders to (letter size when pdfinfo
    // gave none): the boxes OCR reads are in that frame.
    let plans: Vec<(f64, PageFrame)> = pages
        .iter()
        .map(|&page| {
            let (width, height) = sizes.get(&page).copied().unwrap_or((612.0, 792.0));
            let dpi = dpi_within(width, height, limits.pixels);
            // pdftoppm's own rounding of points at a resolution to pixels.
            let pixels = |points: f64| (points * dpi / 72.0).ceil() as u32;
            let frame = PageFrame {
                page,
                width: pixels(width),
                height: pixels(height),
            };
            (dpi, frame)
        })
        .collect();
    let read = ocr::read_pages(pages.len(), scratch, limits, |i, folder| {
        let (dpi, PageFrame { page, .. }) = plans[i];
        // PGM: a PNG's compression took 95% of the time on a scan's noise.
        let path = pdftoppm(input, page, dpi, &["-gray"], "pgm", folder, limits)?;
        Ok(PageImage { path, page })
    })?;
    parsed.page_frames = plans.into_iter().map(|(_, frame)| frame).collect();
    parsed
        .pages_without_text
        .retain(|p| !read.iter().any(|s| s.page == Some(*p)));
    parsed.segments.extend(read);
    parsed.segments.sort_by_key(|s| s.page);
    parsed.tool = Some(format!(
        "poppler pdftotext {}; OCR {}",
        version(),
        ocr::version(&limits.ocr_languages)
    ));
    Ok(())
}

/// Renders page `page` of the PDF at `input` as a JPEG of at most `pixels` pixels into
/// `output` (for showing a scanned page beside what OCR read; boxes scale from its
/// [`PageFrame`]). Blocking: run it on the CPU pool.
pub fn render_page(
    input: &Path,
    page: u32,
    pixels: u64,
    output: &Path,
    limits: &Limits,
) -> Result<(), FormatError> {
    let scratch = tempfile::tempdir().map_err(|e| FormatError::Tool {
        tool: "pdftoppm",
        reason: format!("no scratch folder: {e}"),
    })?;
    let sizes = page_sizes(input, scratch.path(), page, page, limits)?;
    let Some(&(width, height)) = sizes.get(&page) else {
        return Err(FormatError::Damaged {
            format: FORMAT,
            reason: format!("it has no page {page}"),
        });
    };
    let dpi = dpi_within(width, height, pixels);
    let jpeg = ["-jpeg", "-jpegopt", "quality=80"];
    let rendered = pdftoppm(input, page, dpi, &jpeg, "jpg", scratch.path(), limits)?;
    std::fs::copy(&rendered, output)
        .map(drop)
        .map_err(|e| FormatError::Tool {
            tool: "pdftoppm",
            reason: format!("cannot keep the rendered page: {e}"),
        })
}

/// Renders page `page` of `input` at `dpi` into `folder` with pdftoppm and `options`
/// (the image format); the image's path, ending in `extension`.
fn pdftoppm(
    input: &Path,
    page: u32,
    dpi: f64,
    options: &[&str],
    extension: &str,
    folder: &Path,
    limits: &Limits,
) -> Result<std::path::PathBuf, FormatError> {
    let stem = folder.join("page");
    let (number, resolution) = (page.to_string(), format!("{dpi:.0}"));
    let mut args: Vec<&OsStr> = vec![OsStr::new("-r"), OsStr::new(&resolution)];
    args.extend(options.iter().map(OsStr::new));
    args.extend([
        OsStr::new("-f"),
        OsStr::new(&number),
        OsStr::new("-l"),
        OsStr::new(&number),
        OsStr::new("-singlefile"),
        input.as_os_str(),
        stem.as_os_str(),
    ]);
    let ran = run("pdftoppm", &args, folder, limits.tool_seconds)?;
    if !ran.success {
        return Err(refusal(&ran.stderr));
    }
    Ok(stem.with_extension(extension))
}

/// The resolution that renders a page of `width` × `height` points within `pixels`.
fn dpi_within(width: f64, height: f64, pixels: u64) -> f64 {
    let area = (width / 72.0) * (height / 72.0);
    if !(area.is_finite() && area > 0.0) {
        return OCR_DPI;
    }
    (pixels as f64 / area).sqrt().floor().clamp(1.0, OCR_DPI)
}

/// Each page's size in points, from `pdfinfo -f first -l last`.
fn page_sizes(
    input: &Path,
    scratch: &Path,
    first: u32,
    last: u32,
    limits: &Limits,
) -> Result<HashMap<u32, (f64, f64)>, FormatError> {
    let (first, last) = (first.to_string(), last.to_string());
    let info = run(
        "pdfinfo",
        &[
            OsStr::new("-f"),
            OsStr::new(&first),
            OsStr::new("-l"),
            OsStr::new(&last),
            input.as_os_str(),
        ],
        scratch,
        limits.tool_seconds,
    )?;
    // "Page    3 size: 595.28 x 841.89 pts (A4)"
    Ok(info
        .stdout
        .lines()
        .filter_map(|l| {
            let (page, size) = l.strip_prefix("Page")?.split_once("size:")?;
            let mut numbers = size.split_whitespace();
            let width = numbers.next()?.parse().ok()?;
            numbers.next()?;
            let height = numbers.next()?.parse().ok()?;
            Some((page.trim().parse().ok()?, (width, height)))
        })
        .collect())
}
