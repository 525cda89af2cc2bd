//! The document model: what is indexed (`NewDocument`, its translation provenance and
//! correction), what comes back (`StoredDocument`, `MentionHit`), and the stored forms of
//! segments and mentions.

use super::*;

/// An item to index (serialisable: it is what the index log carries between replicas).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct NewDocument {
    pub title: String,
    /// The original text.
    pub text: String,
    /// ISO 639-1 code of the original text, if known.
    pub language: Option<String>,
    /// English translation, if any.
    pub translation: Option<String>,
    pub force: String,
    pub operation: Option<String>,
    /// `text`, `chat`, `transcript`, `audio`.
    pub source_type: String,
    /// Lines, messages or time-coded cues; empty for a single block of text.
    pub segments: Vec<toex_formats::Segment>,
    /// Identifiers and known names found in it (see [`toex_extract::extract_document`]).
    pub mentions: Vec<Mention>,
    /// Where the translation came from, when there is one.
    pub translation_meta: Option<TranslationMeta>,
    /// An analyst's correction of the translation, kept beside the machine one.
    pub correction: Option<Correction>,
    /// Where the file came from and what read it.
    pub provenance: Option<Provenance>,
}

/// Where a document's file came from: its hash, the containers it was found in, and the
/// program that read it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Provenance {
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
    /// The file's format as read (`UTF-8`, `PDF`, `DOCX document`, `MIME`…).
    pub format: String,
    /// The program and version that read it, when not toex itself.
    pub tool: Option<String>,
    /// The file it was found in (an archive, an email), when it was inside one.
    pub parent: Option<Parent>,
    /// Named fields of the whole document: an email's headers, a PDF's page count.
    pub headers: Vec<(String, String)>,
    /// Pages with no text, neither a text layer nor any OCR could read.
    pub pages_without_text: Vec<u32>,
    /// Where a photo was taken, from its EXIF GPS fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<toex_formats::GeoPoint>,
    /// When a photo was taken, as its EXIF fields write it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub taken: Option<String>,
    /// The PDF pages read by OCR, with the pixel frame their segments' boxes are in.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub page_frames: Vec<toex_formats::PageFrame>,
    /// Every other place the same file was found (it is stored once): names and
    /// containers, oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_found: Vec<Place>,
}

impl Provenance {
    /// The containers this file was found in, here and in every other place.
    pub fn parents(&self) -> impl Iterator<Item = &Parent> {
        std::iter::once(&self.parent)
            .chain(self.also_found.iter().map(|p| &p.parent))
            .flatten()
    }

    /// The documents this file was found in (an email it was attached to, a message
    /// that forwarded it), here and in every other place, without repeats.
    pub fn containers(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .parents()
            .filter_map(|p| p.document.as_deref())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// The look-up key of documents found in the document `id`.
pub(super) fn found_in_key(id: &str) -> String {
    format!("found-in:{id}")
}

/// A file found in a document (an attachment of an email): its own document and where
/// in the container it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contained {
    pub id: String,
    pub title: String,
    pub source_type: String,
    /// The path inside the container (the attachment's name).
    pub path: String,
}

/// A place a file was found: its name and, when it was inside one, its container.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Place {
    pub name: String,
    pub parent: Option<Parent>,
}

/// Most places one document remembers; a file found more often keeps the first ones.
pub const MAX_PLACES: usize = 1_000;

impl Provenance {
    /// Adds where `earlier` (the same file, stored before under `earlier_name`) was
    /// found to this provenance's other places, leaving out this document's own place
    /// (`name` and [`Provenance::parent`]) and repeats.
    pub fn remember_places(&mut self, name: &str, earlier_name: &str, earlier: Provenance) {
        let here = Place {
            name: name.to_owned(),
            parent: self.parent.clone(),
        };
        let before = earlier.also_found.into_iter().chain(std::iter::once(Place {
            name: earlier_name.to_owned(),
            parent: earlier.parent,
        }));
        let mut places: Vec<Place> = before.chain(std::mem::take(&mut self.also_found)).collect();
        let mut seen = std::collections::HashSet::new();
        places.retain(|p| *p != here && seen.insert(p.clone()));
        places.truncate(MAX_PLACES);
        self.also_found = places;
    }
}

/// The container a document's file was found in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Parent {
    /// The container's name as the job knows it (`seized.zip`, `seized.zip/mail.mbox`).
    pub name: String,
    pub sha256: String,
    /// The container's own document, when it is one (an email, not a bare archive).
    pub document: Option<String>,
    /// The path inside the container.
    pub path: String,
    /// How many containers deep the file was.
    pub depth: u32,
}

/// Provenance of a machine (or human) translation.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
pub struct TranslationMeta {
    /// `marian-candle`, `nllb-candle` (both, `+`-joined, when a text needed both),
    /// `whisper-translate`, `human`, or what the source says.
    pub engine: String,
    /// The model id (e.g. `Helsinki-NLP/opus-mt-ar-en`).
    pub model: Option<String>,
    /// Model version or weights hash.
    pub version: Option<String>,
    /// When it was translated (RFC 3339).
    pub translated_at: Option<String>,
    /// Which model translated which lines (a text of several languages).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<TranslatedLines>,
}

/// Lines of a text translated by one model from one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct TranslatedLines {
    /// First and last line (0-based, inclusive).
    pub first: usize,
    pub last: usize,
    pub language: String,
    /// `name@weights-hash`.
    pub model: String,
}

/// An analyst's corrected translation: who and when; it never replaces the machine one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Correction {
    pub text: String,
    pub by: String,
    /// RFC 3339.
    pub at: String,
}

/// A document as added: its id and the content hash it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Added {
    pub id: String,
    pub content_hash: String,
}

impl NewDocument {
    /// The pieces of English text semantic search embeds for this document.
    pub(crate) fn chunks(&self) -> Vec<semantic::Chunk> {
        semantic::chunks(
            &self.text,
            self.language.as_deref(),
            self.translation.as_deref(),
            &self.segments,
        )
    }

    /// What an embedding model elsewhere is given for this document: each chunk's text
    /// and the segments it spans (see [`crate::Embedded::from_vectors`]).
    pub fn texts_to_embed(&self) -> Vec<(u32, u32, String)> {
        self.chunks()
            .into_iter()
            .map(|c| (c.first, c.last, c.text))
            .collect()
    }

    /// Finds the document's identifiers and the names `gazetteer` knows, in each segment
    /// (or the whole text) and in the translation.
    pub fn extract_mentions(&mut self, gazetteer: Option<&toex_extract::Gazetteer>) {
        self.mentions = toex_extract::extract_document(
            self.segments.iter().map(|s| s.text.as_str()),
            &self.text,
            self.translation.as_deref(),
            gazetteer,
        );
    }

    /// The content hash that makes ingestion idempotent: same force and content, same id.
    pub fn content_hash(&self) -> String {
        let mut hasher = Sha256::new();
        // A file is the same document by its bytes, whatever it was called where it was
        // found (it is stored once and remembers every place); text without a file by
        // its title and text.
        let (title, sha256) = match &self.provenance {
            Some(p) => ("", p.sha256.as_str()),
            None => (self.title.as_str(), ""),
        };
        for part in [
            self.force.as_str(),
            self.operation.as_deref().unwrap_or(""),
            self.source_type.as_str(),
            title,
            self.text.as_str(),
        ] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        hasher.update(sha256.as_bytes());
        format!("{:x}", hasher.finalize())
    }

    /// The document id, derived from the content hash.
    pub fn id(&self) -> String {
        Self::id_of(&self.content_hash())
    }

    /// The document id of a [`NewDocument::content_hash`], for a caller that has it.
    pub fn id_of(content_hash: &str) -> String {
        format!("doc-{}", &content_hash[..24])
    }

    /// Whether the index takes this document (checked before it is written anywhere).
    pub fn validate(&self) -> Result<(), IndexError> {
        // A photo is evidence with nothing written on it: kept for when and where.
        let photo = self.source_type == "image" && self.provenance.is_some();
        if self.text.trim().is_empty() && !photo {
            return Err(IndexError::InvalidDocument("the text is empty".to_owned()));
        }
        if self.text.len() > MAX_TEXT_BYTES {
            return Err(IndexError::InvalidDocument(format!(
                "the text is {} bytes; the limit is {MAX_TEXT_BYTES}",
                self.text.len()
            )));
        }
        if self.force.trim().is_empty() {
            return Err(IndexError::InvalidDocument("the force is empty".to_owned()));
        }
        Ok(())
    }
}

/// Which stored documents a translation job covers: those of `force` not stated to be
/// English, narrowed by operation, language and ids when given, and only those without a
/// translation unless `retranslate`.
#[derive(Debug, Clone, Default)]
pub struct TranslationSelection {
    pub force: String,
    pub operation: Option<String>,
    /// ISO 639-1, as stored.
    pub language: Option<String>,
    pub ids: Vec<String>,
    pub retranslate: bool,
}

/// A stored document a translation job can work on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranslationCandidate {
    pub id: String,
    pub title: String,
    /// Bytes of its text.
    pub bytes: u64,
}

/// A stored document, as returned by [`SearchIndex::get`].
#[derive(Debug, Clone, Serialize)]
pub struct StoredDocument {
    pub id: String,
    pub title: String,
    pub text: String,
    pub language: Option<String>,
    pub translation: Option<String>,
    pub force: String,
    pub operation: Option<String>,
    pub source_type: String,
    pub content_hash: String,
    pub ingested_at: DateTime<Utc>,
    pub segments: Vec<toex_formats::Segment>,
    /// Identifiers and names found at ingest.
    pub mentions: Vec<Mention>,
    pub translation_meta: Option<TranslationMeta>,
    pub correction: Option<Correction>,
    pub provenance: Option<Provenance>,
}

/// Where a document mentions an identifier, for a linkage look-up.
#[derive(Debug, Clone, Serialize)]
pub struct MentionHit {
    pub id: String,
    pub title: String,
    pub force: String,
    pub operation: Option<String>,
    pub source_type: String,
    pub mention: Mention,
    /// The segment it is in (with its timestamps or line), when it is in one.
    pub segment: Option<toex_formats::Segment>,
    /// The text around the mention, the mention marked.
    pub snippet: super::Excerpt,
}

pub(super) fn segments_json(segments: &[toex_formats::Segment]) -> String {
    // `Segment` serialises to the fields `segments_from_json` reads.
    serde_json::to_string(segments).unwrap_or_else(|_| "[]".to_owned())
}

pub(super) fn segments_from_json(json: &str) -> Vec<toex_formats::Segment> {
    serde_json::from_str(json).unwrap_or_default()
}

pub(super) fn mentions_of(doc: &TantivyDocument, field: Field) -> Vec<Mention> {
    first_str(doc, field)
        .and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default()
}

/// The first characters of a stored text: the snippet of a side the query did not match.
pub(super) fn opening(doc: &TantivyDocument, field: Field) -> Option<Excerpt> {
    first_str(doc, field).map(|t| Excerpt::opening(&t, SNIPPET_OPENING))
}

pub(super) fn first_str(doc: &TantivyDocument, field: Field) -> Option<String> {
    doc.get_first(field)
        .and_then(|v| v.as_str())
        .map(str::to_owned)
}
