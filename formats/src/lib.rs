//! Reads seized material into toex documents: each file becomes segments that keep their
//! place (line, time, page, cell, message) and, for containers (archives, email with
//! attachments, whole chat exports), the members to read in turn. Bad files get one clear
//! [`FormatError`]; limits stop bombs before they expand.

mod archive;
mod email;
mod exports;
mod image;
mod limits;
mod ocr;
mod office;
mod pdf;
mod process;
mod text;
mod xml;

pub use image::image_facts;
pub use limits::Limits;
pub use ocr::version as ocr_version;
pub use pdf::render_page;
pub use text::decode;

use serde::{Deserialize, Serialize};

/// Largest file accepted for ingestion, in bytes.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// What went wrong reading one file; every message names the reason.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FormatError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is {bytes} bytes; the limit is {limit}")]
    TooLarge { bytes: u64, limit: u64 },
    /// A text file that cannot be decoded or parsed (the reason says where).
    #[error("{0}")]
    Unreadable(String),
    #[error("a damaged {format}: {reason}")]
    Damaged {
        format: &'static str,
        reason: String,
    },
    #[error("a password-protected {format}: it cannot be read without its password")]
    Encrypted { format: &'static str },
    #[error("refused as a decompression bomb: {0}")]
    Bomb(String),
    #[error("{format} is not supported: {hint}")]
    Unsupported {
        format: &'static str,
        hint: &'static str,
    },
    #[error("{tool} could not be run ({reason}); scripts/setup.sh installs it")]
    ToolMissing { tool: &'static str, reason: String },
    #[error("{tool} failed: {reason}")]
    Tool { tool: &'static str, reason: String },
    #[error("the file has no text")]
    NoText,
}

/// One segment of a document: a line, a message, a subtitle cue, a paragraph of a page,
/// a spreadsheet row or a slide.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Segment {
    pub text: String,
    /// 1-based line in the source file.
    pub line: Option<u32>,
    pub start_ms: Option<u64>,
    pub end_ms: Option<u64>,
    pub speaker: Option<String>,
    /// When a chat message or email was sent, as written in the source.
    pub sent: Option<String>,
    /// 1-based page of a PDF, or slide of a presentation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// Sheet and first cell of a spreadsheet row, as `Calls!A7`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cell: Option<String>,
    /// 1-based index, within the same document, of the message this one answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<u32>,
    /// Names of the files a message carried (photos, voice notes, documents).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<String>,
    /// Where an OCR'd line lies on its page image: left, top, width, height in pixels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bbox: Option<[u32; 4]>,
    /// OCR's confidence in the line, 0 to 100 (the mean over its words).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f32>,
}

/// A point on the earth (WGS 84 degrees), as a photo's GPS fields give it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    pub latitude: f64,
    pub longitude: f64,
}

/// The pixel frame a scanned page was read by OCR in: its segments' boxes are in these
/// pixels, whatever size the page is shown at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PageFrame {
    pub page: u32,
    pub width: u32,
    pub height: u32,
}

/// A document read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// `text`, `chat`, `transcript`, `pdf`, `document`, `spreadsheet`, `slides`, `email` or
    /// `image`.
    pub source_type: &'static str,
    /// The text encoding, or the container format for files that are not plain text.
    pub encoding: &'static str,
    pub segments: Vec<Segment>,
    /// Named fields of the whole document: an email's From, To, Cc, Date and Subject, a
    /// chat export's title and participants, a PDF's page count.
    pub headers: Vec<(String, String)>,
    /// The program and version that read it, when not toex itself (`pdftotext 22.12.0`).
    pub tool: Option<String>,
    /// Pages with no text, neither a text layer nor any OCR could read.
    pub pages_without_text: Vec<u32>,
    /// Where a photo was taken, from its EXIF GPS fields.
    pub location: Option<GeoPoint>,
    /// When a photo was taken, as its EXIF fields write it (`2024:03:12 21:15:00`).
    pub taken: Option<String>,
    /// The PDF pages rendered for OCR, each with the frame its boxes are in.
    pub page_frames: Vec<PageFrame>,
    /// OCR was left out ([`Limits::ocr`]) and the file has something for it to read: its
    /// [`Scanned`] lines come from elsewhere ([`Parsed::take_scan`]).
    pub awaits_ocr: bool,
}

/// What OCR made of a file: the parts of its [`Parsed`] reading scans changes, sent
/// between the process that read its facts and the one that ran OCR.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scanned {
    pub segments: Vec<Segment>,
    pub pages_without_text: Vec<u32>,
    pub page_frames: Vec<PageFrame>,
    pub tool: Option<String>,
}

impl Parsed {
    fn new(source_type: &'static str, encoding: &'static str, segments: Vec<Segment>) -> Self {
        Self {
            source_type,
            encoding,
            segments,
            headers: Vec::new(),
            tool: None,
            pages_without_text: Vec::new(),
            location: None,
            taken: None,
            page_frames: Vec::new(),
            awaits_ocr: false,
        }
    }

    /// What OCR read of this document (read with OCR on).
    pub fn into_scan(self) -> Scanned {
        Scanned {
            segments: self.segments,
            pages_without_text: self.pages_without_text,
            page_frames: self.page_frames,
            tool: self.tool,
        }
    }

    /// Takes what OCR read of the same file elsewhere in place of what was read here.
    pub fn take_scan(&mut self, scan: Scanned) {
        self.segments = scan.segments;
        self.pages_without_text = scan.pages_without_text;
        self.page_frames = scan.page_frames;
        self.tool = scan.tool;
        self.awaits_ocr = false;
    }

    /// The whole text, segment per line.
    pub fn text(&self) -> String {
        self.segments
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn has_text(&self) -> bool {
        self.segments.iter().any(|s| !s.text.trim().is_empty())
    }
}

/// A file inside a container: an archive entry, an email attachment, a chat of a whole
/// export. Its bytes are read in turn, as a document of its own.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// Its path inside the container (`statements/2024-03.pdf`, an attachment's name).
    pub path: String,
    pub bytes: Vec<u8>,
}

/// A member the container holds but that was not taken out, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    pub path: String,
    pub error: FormatError,
}

/// What one file holds: a document of its own (none for a pure archive), the members to
/// read in turn, and the members refused.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Read {
    pub document: Option<Parsed>,
    pub members: Vec<Member>,
    pub refused: Vec<Refused>,
}

impl Read {
    fn document(parsed: Parsed) -> Self {
        Self {
            document: Some(parsed),
            ..Self::default()
        }
    }
}

/// Extensions of the formats read by their structure, never taken for an image.
const NAMED_FORMATS: &[&str] = &[
    "pdf", "docx", "pptx", "xlsx", "xlsm", "xls", "odt", "odp", "ods", "doc", "ppt", "eml", "mbox",
    "zip", "tar", "tgz", "gz", "json",
];

/// The lower-case extension of a file name.
pub fn extension(name: &str) -> String {
    name.rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

/// Reads one file by its name and content. Limits are checked before anything expands.
pub fn read(name: &str, bytes: &[u8], limits: &Limits) -> Result<Read, FormatError> {
    if bytes.is_empty() {
        return Err(FormatError::Empty);
    }
    limits.check_file(bytes.len() as u64)?;
    let lower = name.to_ascii_lowercase();
    let ext = extension(name);
    let zip_magic = bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06");
    let ole_magic = bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    // An image is known by its bytes (phone dumps name photos anyhow), except in a file
    // named as another format, which is read as that format and refused if it is not.
    let named_otherwise = NAMED_FORMATS.contains(&ext.as_str());
    if let Some(format) =
        image::sniff(bytes).filter(|f| !named_otherwise && (*f != "BMP" || ext == "bmp"))
    {
        return Ok(Read::document(image::read(format, bytes, limits)?));
    }
    let read = match ext.as_str() {
        e if image::EXTENSIONS.contains(&e) => {
            return Err(FormatError::Damaged {
                format: "image",
                reason: format!("a .{ext} file whose first bytes are those of no image format"),
            });
        }
        "pdf" => Read::document(pdf::read(bytes, limits)?),
        "docx" | "pptx" | "xlsx" | "xlsm" | "odt" | "odp" | "ods" if ole_magic => {
            // An OOXML or ODF file saved with a password is an OLE container.
            return Err(FormatError::Encrypted {
                format: "Office file",
            });
        }
        "docx" | "odt" | "pptx" | "odp" => Read::document(office::document(&ext, bytes, limits)?),
        "xlsx" | "xlsm" | "xls" | "ods" => {
            Read::document(office::spreadsheet(&ext, bytes, limits)?)
        }
        "doc" | "ppt" => {
            return Err(FormatError::Unsupported {
                format: "a legacy binary Office file",
                hint: "save it as DOCX or PPTX and ingest that",
            });
        }
        "eml" => email::message(bytes, limits)?,
        "mbox" => email::mailbox(bytes, limits)?,
        "zip" => archive::zip(bytes, limits)?,
        "tar" => archive::tar(bytes, limits)?,
        "tgz" => archive::tar_gz(bytes, limits)?,
        "gz" if lower.ends_with(".tar.gz") => archive::tar_gz(bytes, limits)?,
        "gz" => archive::gunzip(name, bytes, limits)?,
        _ if zip_magic && ext != "json" => archive::zip(bytes, limits)?,
        "json" => match exports::read(bytes)? {
            Some(read) => read,
            None => Read::document(text::parse(name, bytes)?),
        },
        _ => Read::document(text::parse(name, bytes)?),
    };
    // Every container's readers count as they go; this holds for all of them at once.
    let mut budget = limits::Budget::default();
    for m in &read.members {
        budget.take(limits, m.bytes.len() as u64)?;
    }
    // A photo is evidence with nothing written on it; every other document needs text.
    if let Some(doc) = &read.document
        && doc.source_type != "image"
        && !doc.has_text()
        && doc.pages_without_text.is_empty()
        && read.members.is_empty()
    {
        return Err(FormatError::NoText);
    }
    Ok(read)
}

/// Parses a file that holds one document (text, chat, subtitles, JSONL, PDF, Office,
/// a single email without attachments); containers are refused with the reason.
pub fn parse(name: &str, bytes: &[u8]) -> Result<Parsed, FormatError> {
    read(name, bytes, &Limits::default())?
        .document
        .ok_or_else(|| FormatError::Unreadable("an archive, not a document".to_owned()))
}
