//! Where an ingested file came from: hash, container, reader, headers, photo place and
//! time, the other places the same file was found.

use async_graphql::SimpleObject;

/// A point on the earth in WGS 84 degrees.
#[derive(Debug, Clone, Copy, SimpleObject)]
pub struct GeoPoint {
    pub latitude: f64,
    pub longitude: f64,
}

/// Where an ingested file came from and what read it.
#[derive(Debug, Clone, SimpleObject)]
pub struct FileProvenance {
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// The format as read (`UTF-8`, `PDF`, `DOCX document`, `MIME`…).
    pub format: String,
    /// The program and version that read it, when not toex itself.
    pub tool: Option<String>,
    /// The container it was found in, when it was inside one.
    pub found_in: Option<FoundIn>,
    /// An email's headers, a chat export's title and participants, a PDF's page count.
    pub headers: Vec<HeaderField>,
    /// Pages with no text: no text layer, and nothing OCR could read.
    pub pages_without_text: Vec<u32>,
    /// Where a photo was taken, from its EXIF GPS fields.
    pub location: Option<GeoPoint>,
    /// When a photo was taken, as its EXIF fields write it (`2024:03:12 21:15:00`).
    pub taken: Option<String>,
    /// Every other place the same file was found: it is stored once, as this document.
    pub also_found: Vec<FilePlace>,
    #[graphql(skip)]
    pub page_frames: Vec<toex_formats::PageFrame>,
}

/// Another place the same file (the same bytes) was found.
#[derive(Debug, Clone, SimpleObject)]
pub struct FilePlace {
    /// The file's name there.
    pub name: String,
    /// The container it was in there, when it was inside one.
    pub found_in: Option<FoundIn>,
}

impl From<toex_indexer::Parent> for FoundIn {
    fn from(c: toex_indexer::Parent) -> Self {
        Self {
            name: c.name,
            sha256: c.sha256,
            document_id: c.document,
            path: c.path,
            depth: c.depth,
        }
    }
}

/// The archive or email a file was found in.
#[derive(Debug, Clone, SimpleObject)]
pub struct FoundIn {
    /// The container's name in its ingest job (`seized.zip/mail.mbox`).
    pub name: String,
    pub sha256: String,
    /// The container's own document, when it has one (an email, not a bare archive).
    pub document_id: Option<String>,
    /// The path inside the container.
    pub path: String,
    /// How many containers deep.
    pub depth: u32,
}

/// A named field of a document (`From`, `Subject`, `Pages`).
#[derive(Debug, Clone, SimpleObject)]
pub struct HeaderField {
    pub name: String,
    pub value: String,
}

impl From<toex_indexer::Provenance> for FileProvenance {
    fn from(p: toex_indexer::Provenance) -> Self {
        Self {
            sha256: p.sha256,
            format: p.format,
            tool: p.tool,
            found_in: p.parent.map(FoundIn::from),
            headers: p
                .headers
                .into_iter()
                .map(|(name, value)| HeaderField { name, value })
                .collect(),
            pages_without_text: p.pages_without_text,
            location: p.location.map(|g| GeoPoint {
                latitude: g.latitude,
                longitude: g.longitude,
            }),
            taken: p.taken,
            page_frames: p.page_frames,
            also_found: p
                .also_found
                .into_iter()
                .map(|place| FilePlace {
                    name: place.name,
                    found_in: place.parent.map(FoundIn::from),
                })
                .collect(),
        }
    }
}

/// A file found in a document (an email's attachment): its own document, and where in
/// the container it was.
#[derive(Debug, Clone, SimpleObject)]
pub struct ContainedFile {
    pub document_id: String,
    pub title: String,
    pub source_type: String,
    /// The path inside the container (an attachment's file name).
    pub path: String,
}

impl From<toex_indexer::Contained> for ContainedFile {
    fn from(c: toex_indexer::Contained) -> Self {
        Self {
            document_id: c.id,
            title: c.title,
            source_type: c.source_type,
            path: c.path,
        }
    }
}
