//! PDFs through poppler (`pdfinfo`, `pdftotext`, from Debian's poppler-utils): the text
//! layer page by page, a segment per paragraph with its page; pages with no text are
//! listed for OCR; password-protected and damaged files get their own errors.

use std::ffi::OsStr;
use std::sync::OnceLock;

use crate::process::run;
use crate::{FormatError, Limits, Parsed, Segment};

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
    Ok(parsed)
}
