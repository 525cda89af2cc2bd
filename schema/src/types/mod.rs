//! GraphQL object and input types that wrap the engines' values.

use async_graphql::{ComplexObject, Context, InputObject, SimpleObject};
use chrono::{DateTime, Utc};
use toex_indexer::StoredDocument;

use crate::Services;
use crate::error::ApiResult;

mod provenance;
mod search;

pub use provenance::*;
pub use search::*;

/// A person in the intelligence network.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct Person {
    pub id: String,
    /// The name as recorded, in its original script.
    pub name: String,
    pub aliases: Vec<String>,
    /// Owning force code.
    pub force: String,
    /// A victim with a right to anonymity, or a child: the name and aliases are
    /// redacted for callers without the right.
    pub protected: bool,
}

#[ComplexObject]
impl Person {
    /// Documents that mention this person by name (any spelling or script the
    /// gazetteer knows), within your forces; up to 50.
    async fn mentions(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<Vec<crate::linkage::PersonMentionRef>> {
        let scope = crate::access::scope(ctx)?;
        let loader = ctx.data_unchecked::<
            async_graphql::dataloader::DataLoader<crate::linkage::PersonMentionsLoader>,
        >();
        Ok(loader
            .load_one(crate::loaders::Scoped::new(&scope, self.id.clone()))
            .await?
            .unwrap_or_default())
    }

    /// What the force records beyond the name: date of birth, flags and the operations
    /// the person is part of (within yours). For a protected person, only callers who
    /// may see protected persons get the date of birth, gender and vulnerabilities.
    async fn details(&self, ctx: &Context<'_>) -> ApiResult<Option<PersonDetails>> {
        let scope = crate::access::scope(ctx)?;
        let loader = ctx.data_unchecked::<
            async_graphql::dataloader::DataLoader<crate::loaders::PersonDetailsLoader>,
        >();
        let found = loader
            .load_one(crate::loaders::Scoped::new(&scope, self.id.clone()))
            .await?;
        let withheld = self.protected && !scope.sees_protected();
        Ok(found.map(|d| PersonDetails::from_graph(d, withheld)))
    }
}

/// What a force records about a person beyond the name.
#[derive(Debug, Clone, SimpleObject)]
pub struct PersonDetails {
    /// Date of birth, `YYYY-MM-DD`.
    pub date_of_birth: Option<String>,
    pub gender: Option<String>,
    /// A registered sex offender.
    pub registered_sex_offender: bool,
    /// ViSOR category (`RSO`, `VO`, `PDP`), for managed offenders.
    pub visor_category: Option<String>,
    /// MAPPA level, 1 to 3.
    pub mappa_level: Option<i64>,
    pub vulnerabilities: Vec<String>,
    /// The operations (cases) the person is part of, within yours.
    pub operations: Vec<String>,
    /// Whether identifying details were withheld (a protected person, and you may not
    /// see protected persons).
    pub withheld: bool,
}

impl PersonDetails {
    fn from_graph(d: toex_graph::PersonDetails, withheld: bool) -> Self {
        Self {
            date_of_birth: d.dob.filter(|_| !withheld),
            gender: d.gender.filter(|_| !withheld),
            registered_sex_offender: d.rso,
            visor_category: d.visor_category,
            mappa_level: d.mappa_level,
            vulnerabilities: if withheld {
                Vec::new()
            } else {
                d.vulnerabilities
            },
            operations: d.operations,
            withheld,
        }
    }
}

impl From<toex_graph::Person> for Person {
    fn from(p: toex_graph::Person) -> Self {
        Self {
            id: p.id,
            name: p.name,
            aliases: p.aliases,
            force: p.force,
            protected: p.protected,
        }
    }
}

/// A line, chat message or time-coded cue of a document.
#[derive(Debug, Clone, SimpleObject)]
pub struct Segment {
    pub text: String,
    /// 1-based line in the source file.
    pub line: Option<u32>,
    /// Start and end in milliseconds, for transcripts and subtitles.
    pub start_ms: Option<u64>,
    pub end_ms: Option<u64>,
    pub speaker: Option<String>,
    /// When a chat message or email was sent, as written in the source.
    pub sent: Option<String>,
    /// 1-based page of a PDF, or slide of a presentation.
    pub page: Option<u32>,
    /// Sheet and first cell of a spreadsheet row, as `Calls!A7`.
    pub cell: Option<String>,
    /// 1-based index, in this document's segments, of the message this one answers.
    pub reply_to: Option<u32>,
    /// Names of the files a message carried.
    pub attachments: Vec<String>,
    /// Where an OCR'd line lies on its page image.
    pub region: Option<PageRegion>,
    /// OCR's confidence in the line, 0 to 100.
    pub confidence: Option<f32>,
}

/// A box on a page image, in its pixels from the top left.
#[derive(Debug, Clone, Copy, SimpleObject)]
pub struct PageRegion {
    pub left: u32,
    pub top: u32,
    pub width: u32,
    pub height: u32,
}

/// An ingested item: its text, translation and where it came from.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct Document {
    pub id: String,
    pub title: String,
    /// The original text.
    pub text: String,
    /// ISO 639-1 code of the original, where known.
    pub language: Option<String>,
    /// English translation, where there is one.
    pub translation: Option<String>,
    pub force: String,
    pub operation: Option<String>,
    pub source_type: String,
    pub content_hash: String,
    pub ingested_at: DateTime<Utc>,
    /// Lines, messages or cues, in order.
    pub segments: Vec<Segment>,
    #[graphql(skip)]
    pub mentions: Vec<toex_extract::Mention>,
    /// Where the (machine) translation came from.
    pub translation_provenance: Option<TranslationProvenance>,
    /// An analyst's corrected translation, kept beside the machine one.
    pub corrected_translation: Option<CorrectedTranslation>,
    /// Where its file came from: hash, container, the program that read it, headers.
    pub provenance: Option<FileProvenance>,
}

/// Provenance of a translation.
#[derive(Debug, Clone, SimpleObject)]
pub struct TranslationProvenance {
    pub engine: String,
    pub model: Option<String>,
    /// Model version or weights hash.
    pub version: Option<String>,
    pub translated_at: Option<String>,
    /// Which model translated which lines, from which language (empty for a translation
    /// that came with its document).
    pub lines: Vec<TranslatedLines>,
}

/// Lines of a text translated by one model from one language.
#[derive(Debug, Clone, SimpleObject)]
pub struct TranslatedLines {
    /// First and last line (0-based, inclusive).
    pub first: u32,
    pub last: u32,
    /// ISO 639-1 (else the NLLB code) of the language they were translated from.
    pub language: String,
    /// `name@` the first hex digits of the weights' SHA-256.
    pub model: String,
}

impl From<&toex_inference::translate::LineRun> for TranslatedLines {
    fn from(r: &toex_inference::translate::LineRun) -> Self {
        Self {
            first: r.first as u32,
            last: r.last as u32,
            language: r.language.clone(),
            model: r.model.clone(),
        }
    }
}

/// An analyst's corrected translation: the text, who made it, when.
#[derive(Debug, Clone, SimpleObject)]
pub struct CorrectedTranslation {
    pub text: String,
    pub by: String,
    pub at: String,
}

impl From<toex_formats::Segment> for Segment {
    fn from(s: toex_formats::Segment) -> Self {
        Self {
            text: s.text,
            line: s.line,
            start_ms: s.start_ms,
            end_ms: s.end_ms,
            speaker: s.speaker,
            sent: s.sent,
            page: s.page,
            cell: s.cell,
            reply_to: s.reply_to,
            attachments: s.attachments,
            region: s.bbox.map(|[left, top, width, height]| PageRegion {
                left,
                top,
                width,
                height,
            }),
            confidence: s.confidence,
        }
    }
}

/// A machine translation into English.
#[derive(Debug, Clone, SimpleObject)]
pub struct TranslationResult {
    /// The lines joined with line breaks.
    pub text: String,
    /// One per input line.
    pub lines: Vec<String>,
    /// `marian-candle`, `nllb-candle`, or both `+`-joined.
    pub engine: String,
    /// The models used, `name@` the first hex digits of the weights' SHA-256.
    pub models: Vec<String>,
    /// Which model translated which lines, from which language.
    pub runs: Vec<TranslatedLines>,
    /// Languages of lines no installed model translates (left as they were).
    pub untranslated: Vec<String>,
    pub translated_at: DateTime<Utc>,
}

/// A recording a transcript was made from.
#[derive(Debug, Clone, SimpleObject)]
pub struct Media {
    /// Where to fetch it: a same-origin path signed for this document, valid for an
    /// hour, that an `<audio>`, `<video>` or `<img>` element can load (HTTP ranges).
    pub url: String,
    pub content_type: String,
    pub bytes: i64,
}

/// A scanned PDF page as an image (a JPEG rendered on first request and kept).
#[derive(Debug, Clone, SimpleObject)]
pub struct ScannedPage {
    pub page: u32,
    /// A same-origin path signed for this page, valid for an hour.
    pub url: String,
    /// The frame OCR read the page in: segments' `region`s are in these pixels (the
    /// image itself is smaller; scale the boxes by its width over this one).
    pub width: u32,
    pub height: u32,
}

/// Most files listed as found in one document.
const MAX_CONTENTS: usize = 500;

/// How long a media URL stays valid.
const MEDIA_URL_SECONDS: i64 = 3600;

#[ComplexObject]
impl Document {
    /// The original: the recording a transcript came with (uploaded or ingested beside
    /// it under the same file name), or the photo, scan or PDF that was read; or null.
    async fn media(&self, ctx: &Context<'_>) -> Option<Media> {
        let services = ctx.data_unchecked::<Services>();
        let store = services.jobs.store().media();
        let file = services.media_kept(&self.id).await?;
        let expires = Utc::now().timestamp() + MEDIA_URL_SECONDS;
        let signature = store.sign(&self.id, expires);
        Some(Media {
            url: format!("/media/{}?expires={expires}&signature={signature}", self.id),
            content_type: file.content_type.to_owned(),
            bytes: i64::try_from(file.bytes).unwrap_or(i64::MAX),
        })
    }

    /// The pages of a scanned PDF that OCR read, each as an image to show beside its
    /// lines, with the pixel frame their `region`s are in; empty for other documents.
    async fn scanned_pages(&self, ctx: &Context<'_>) -> Vec<ScannedPage> {
        let services = ctx.data_unchecked::<Services>();
        let store = services.jobs.store().media();
        let frames = self.provenance.as_ref().map(|p| &p.page_frames);
        let Some(frames) = frames.filter(|f| !f.is_empty()) else {
            return Vec::new();
        };
        if services.media_kept(&self.id).await.is_none() {
            return Vec::new();
        }
        let expires = Utc::now().timestamp() + MEDIA_URL_SECONDS;
        frames
            .iter()
            .map(|f| {
                let key = toex_indexer::media::MediaStore::page_key(&self.id, f.page);
                let signature = store.sign(&key, expires);
                ScannedPage {
                    page: f.page,
                    url: format!(
                        "/media/{}/page/{}?expires={expires}&signature={signature}",
                        self.id, f.page
                    ),
                    width: f.width,
                    height: f.height,
                }
            })
            .collect()
    }

    /// The files found in this document that you may see (an email's attachments, the
    /// messages it forwarded), each with its own document, in the order they came in.
    async fn contents(&self, ctx: &Context<'_>) -> ApiResult<Vec<ContainedFile>> {
        let services = ctx.data_unchecked::<Services>();
        let scope = crate::access::scope(ctx)?;
        let (index, id) = (services.index.clone(), self.id.clone());
        let found = services
            .cpu
            .run(move || index.contents(&id, &scope, MAX_CONTENTS))
            .await??;
        Ok(found.into_iter().map(ContainedFile::from).collect())
    }

    /// Whether the document's node exists in the graph (fails with GRAPH_UNAVAILABLE while Neo4j is down).
    async fn in_graph(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        let services = ctx.data_unchecked::<Services>();
        let scope = crate::access::scope(ctx)?;
        Ok(services
            .graph
            .document_node(&scope, &self.id)
            .await?
            .is_some())
    }

    /// Identifiers found in it (phones, emails, VRMs, postcodes, handles, URLs, bank
    /// details, wallets) with their segment and character offsets, and the known persons
    /// it names — those found at ingest and, from the graph, those found since (persons
    /// of forces you cannot see are left out).
    async fn entities(&self, ctx: &Context<'_>) -> ApiResult<Vec<crate::linkage::Entity>> {
        let services = ctx.data_unchecked::<Services>();
        let scope = crate::access::scope(ctx)?;
        let mut out: Vec<crate::linkage::Entity> = self
            .mentions
            .iter()
            .filter(|m| m.found.kind != toex_extract::EntityKind::Person)
            .map(crate::linkage::Entity::from)
            .collect();
        match services
            .graph
            .document_person_mentions(&scope, &self.id)
            .await
        {
            Ok(persons) => out.extend(persons.into_iter().map(|m| crate::linkage::Entity {
                kind: crate::linkage::EntityKind::Person,
                key: Some(format!("Person:{}", m.person_id)),
                value: m.person_id,
                text: m.text.unwrap_or_default(),
                side: m.side.to_uppercase(),
                segment: u32::try_from(m.segment).ok(),
                start: u32::try_from(m.start).unwrap_or(0),
                end: u32::try_from(m.end).unwrap_or(0),
            })),
            Err(e) if e.is_transient() => {}
            Err(e) => return Err(e.into()),
        }
        out.sort_by_key(|e| (e.side.clone(), e.segment, e.start));
        Ok(out)
    }
}

impl From<StoredDocument> for Document {
    fn from(d: StoredDocument) -> Self {
        Self {
            id: d.id,
            title: d.title,
            text: d.text,
            language: d.language,
            translation: d.translation,
            force: d.force,
            operation: d.operation,
            source_type: d.source_type,
            content_hash: d.content_hash,
            ingested_at: d.ingested_at,
            segments: d.segments.into_iter().map(Segment::from).collect(),
            mentions: d.mentions,
            translation_provenance: d.translation_meta.map(|m| TranslationProvenance {
                engine: m.engine,
                model: m.model,
                version: m.version,
                translated_at: m.translated_at,
                lines: m
                    .lines
                    .into_iter()
                    .map(|r| TranslatedLines {
                        first: r.first as u32,
                        last: r.last as u32,
                        language: r.language,
                        model: r.model,
                    })
                    .collect(),
            }),
            corrected_translation: d.correction.map(|c| CorrectedTranslation {
                text: c.text,
                by: c.by,
                at: c.at,
            }),
            provenance: d.provenance.map(FileProvenance::from),
        }
    }
}

/// A text item to ingest.
#[derive(Debug, Clone, InputObject)]
pub struct IngestTextInput {
    pub title: String,
    pub text: String,
    pub language: Option<String>,
    pub translation: Option<String>,
    /// Where `translation` came from: engine (e.g. `marian-candle`, `human`), model id,
    /// version or weights hash, and when (RFC 3339).
    pub translation_engine: Option<String>,
    pub translation_model: Option<String>,
    pub translation_version: Option<String>,
    pub translated_at: Option<String>,
    pub force: String,
    pub operation: Option<String>,
    /// `text` unless given.
    #[graphql(default_with = "\"text\".to_owned()")]
    pub source_type: String,
}

/// The outcome of an ingest.
#[derive(Debug, Clone, SimpleObject)]
pub struct IngestResult {
    /// The document id, shared by the index and the graph.
    pub id: String,
    /// Whether the document node was written to the graph (false while Neo4j is down).
    pub graph_linked: bool,
}
