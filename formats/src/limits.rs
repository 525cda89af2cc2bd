//! How far a file may expand: its size, the members of a container, their total and their
//! compression ratio, the cells of a spreadsheet and the time a helper program may take.

use crate::{FormatError, MAX_FILE_BYTES};

/// Limits on what one file may become. The defaults suit seized material on a modest
/// machine: a phone download's archive of thousands of files passes, a bomb does not.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Largest file, and largest member taken out of a container, in bytes.
    pub file_bytes: u64,
    /// Most members taken out of one container.
    pub members: usize,
    /// Most bytes taken out of one container, all members together.
    pub expanded_bytes: u64,
    /// Largest ratio of a member's size to its compressed size (past 1 MiB).
    pub ratio: u64,
    /// Most non-empty cells read from one spreadsheet.
    pub cells: usize,
    /// Longest a helper program (pdftotext, Tesseract on one page) may run, in seconds.
    pub tool_seconds: u64,
    /// Most pixels in one image (or one PDF page rendered for OCR).
    pub pixels: u64,
    /// Tesseract's languages, as its `-l` takes them (`eng+ara`).
    pub ocr_languages: String,
    /// Pages OCR reads at once (the CPU pool's size, where the caller has one).
    pub ocr_workers: usize,
    /// Most pages of one PDF read by OCR; pages past it stay listed without text.
    pub ocr_pages: usize,
    /// Whether OCR runs while the file is read. Without it, what needs OCR (an image, a
    /// PDF's pages without a text layer) is left for the caller to have read elsewhere
    /// ([`crate::Parsed::awaits_ocr`]).
    pub ocr: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            file_bytes: MAX_FILE_BYTES,
            members: 10_000,
            expanded_bytes: 1024 * 1024 * 1024,
            ratio: 200,
            cells: 2_000_000,
            tool_seconds: 120,
            pixels: 120_000_000,
            ocr_languages: "eng+ara".to_owned(),
            ocr_workers: 1,
            ocr_pages: 500,
            ocr: true,
        }
    }
}

/// Below this a member's ratio is not judged: small files compress as they like.
const RATIO_FLOOR: u64 = 1024 * 1024;

impl Limits {
    pub(crate) fn check_file(&self, bytes: u64) -> Result<(), FormatError> {
        if bytes > self.file_bytes {
            return Err(FormatError::TooLarge {
                bytes,
                limit: self.file_bytes,
            });
        }
        Ok(())
    }

    /// Checks one member before it is expanded, from what the container declares.
    pub(crate) fn check_member(
        &self,
        path: &str,
        size: u64,
        compressed: u64,
    ) -> Result<(), FormatError> {
        if size > self.file_bytes {
            return Err(FormatError::Bomb(format!(
                "{path} expands to {size} bytes; the limit is {}",
                self.file_bytes
            )));
        }
        if size > RATIO_FLOOR && size / compressed.max(1) > self.ratio {
            return Err(FormatError::Bomb(format!(
                "{path} expands {}-fold ({compressed} bytes to {size}); the limit is {}-fold",
                size / compressed.max(1),
                self.ratio
            )));
        }
        Ok(())
    }
}

/// The running total of one container's members.
#[derive(Debug, Default)]
pub(crate) struct Budget {
    members: usize,
    bytes: u64,
}

impl Budget {
    /// Counts a member of `size` bytes, or refuses the container when it goes past a limit.
    pub(crate) fn take(&mut self, limits: &Limits, size: u64) -> Result<(), FormatError> {
        self.members += 1;
        self.bytes = self.bytes.saturating_add(size);
        if self.members > limits.members {
            return Err(FormatError::Bomb(format!(
                "it holds more than {} files",
                limits.members
            )));
        }
        if self.bytes > limits.expanded_bytes {
            return Err(FormatError::Bomb(format!(
                "it expands to more than {} bytes",
                limits.expanded_bytes
            )));
        }
        Ok(())
    }
}

/// Reads at most `limit` bytes of `reader`; `None` when there were more.
pub(crate) fn read_at_most(
    reader: impl std::io::Read,
    limit: u64,
) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let mut out = Vec::new();
    reader.take(limit + 1).read_to_end(&mut out)?;
    Ok((out.len() as u64 <= limit).then_some(out))
}
