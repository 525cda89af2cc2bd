//! Search hits, their matched segments, filters, facets and the identifiers a search
//! text held.

use async_graphql::{ComplexObject, Context, InputObject, SimpleObject};
use chrono::{DateTime, Utc};
use toex_indexer::Hit;

use crate::error::ApiResult;

/// One search hit.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct SearchHit {
    pub id: String,
    pub title: String,
    pub score: f32,
    pub language: Option<String>,
    pub force: String,
    pub source_type: String,
    /// Highlighted HTML of the original (`<b>` marks matches, `…` where the text goes on;
    /// everything else escaped).
    pub snippet: String,
    /// Highlighted HTML of the translation, side by side with `snippet`.
    pub translation_snippet: Option<String>,
    /// Highlighted HTML of the analyst's corrected translation, when there is one.
    pub corrected_snippet: Option<String>,
    /// Which translation the query matched: `CORRECTED`, `MACHINE`, or null.
    pub translation_matched: Option<String>,
    /// The segments (lines, messages, cues) where the query matched, with their times,
    /// best first: those holding more of the query's words, then those holding them side
    /// by side, then in document order.
    pub segments: Vec<SegmentMatch>,
    /// When the document was first ingested.
    pub ingested_at: Option<DateTime<Utc>>,
    /// The search text's identifiers this document holds, however it writes them: why it
    /// matched when its words differ.
    pub matched_as: Vec<MatchedIdentifier>,
}

#[ComplexObject]
impl SearchHit {
    /// Whether the document's node exists in the graph (batched across hits).
    async fn in_graph(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        let loader = ctx.data_unchecked::<async_graphql::dataloader::DataLoader<
            crate::loaders::DocumentNodeLoader,
        >>();
        let scope = crate::access::scope(ctx)?;
        Ok(loader
            .load_one(crate::loaders::Scoped::new(&scope, self.id.clone()))
            .await?
            .unwrap_or(false))
    }
}

/// A segment of a hit that holds a matched term.
#[derive(Debug, Clone, SimpleObject)]
pub struct SegmentMatch {
    /// 0-based position among the document's segments.
    pub index: i32,
    pub line: Option<u32>,
    /// Milliseconds from the start of the recording (transcripts).
    pub start_ms: Option<u64>,
    pub end_ms: Option<u64>,
    pub speaker: Option<String>,
    /// When a chat message was sent, as written in the export.
    pub sent: Option<String>,
    /// 1-based page of a PDF, or slide of a presentation.
    pub page: Option<u32>,
    /// Sheet and first cell of a spreadsheet row, as `Calls!A7`.
    pub cell: Option<String>,
    /// The segment, HTML-escaped, with `<b>` around matched words.
    pub highlighted: String,
}

impl From<Hit> for SearchHit {
    fn from(h: Hit) -> Self {
        Self {
            id: h.id,
            title: h.title,
            score: h.score,
            language: h.language,
            force: h.force,
            source_type: h.source_type,
            snippet: crate::markup::html(&h.snippet),
            translation_snippet: h.translation_snippet.as_ref().map(crate::markup::html),
            corrected_snippet: h.corrected_snippet.as_ref().map(crate::markup::html),
            translation_matched: h.translation_matched.map(str::to_uppercase),
            segments: h
                .segments
                .into_iter()
                .map(|m| SegmentMatch {
                    index: m.index as i32,
                    line: m.line,
                    start_ms: m.start_ms,
                    end_ms: m.end_ms,
                    speaker: m.speaker,
                    sent: m.sent,
                    page: m.page,
                    cell: m.cell,
                    highlighted: crate::markup::html(&m.text),
                })
                .collect(),
            ingested_at: h.ingested_at,
            matched_as: h.identifiers.into_iter().map(Into::into).collect(),
        }
    }
}

/// How search ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum SearchMode {
    /// BM25 over the words; the query syntax applies.
    Keyword,
    /// Meaning: nearest neighbours of the query's sentence embedding (all-MiniLM-L6-v2)
    /// among the documents' English text and translations.
    Semantic,
    /// Keyword and semantic rankings fused by reciprocal rank fusion.
    Hybrid,
}

impl From<SearchMode> for toex_indexer::SearchMode {
    fn from(m: SearchMode) -> Self {
        match m {
            SearchMode::Keyword => Self::Keyword,
            SearchMode::Semantic => Self::Semantic,
            SearchMode::Hybrid => Self::Hybrid,
        }
    }
}

/// Search filters.
#[derive(Debug, Clone, Default, InputObject)]
pub struct SearchFilter {
    /// Only these force codes.
    #[graphql(default)]
    pub forces: Vec<String>,
    /// Only these ISO 639-1 languages.
    #[graphql(default)]
    pub languages: Vec<String>,
    /// Only these operations.
    #[graphql(default)]
    pub operations: Vec<String>,
    /// Only these source types (text, chat, transcript, audio).
    #[graphql(default)]
    pub source_types: Vec<String>,
    /// Only documents ingested at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Only documents ingested before this instant.
    pub to: Option<DateTime<Utc>>,
}

/// Order of results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum SearchSort {
    /// Best match first.
    Relevance,
    /// Most recently ingested first (keyword mode).
    Newest,
}

/// How many matching documents have a value.
#[derive(Debug, Clone, SimpleObject)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

/// Facet counts over every matching document (not just this page).
#[derive(Debug, Clone, SimpleObject)]
pub struct SearchFacets {
    pub languages: Vec<FacetCount>,
    pub forces: Vec<FacetCount>,
    pub operations: Vec<FacetCount>,
    pub source_types: Vec<FacetCount>,
}

impl From<toex_indexer::Facets> for SearchFacets {
    fn from(f: toex_indexer::Facets) -> Self {
        let conv = |v: Vec<toex_indexer::FacetCount>| {
            v.into_iter()
                .map(|c| FacetCount {
                    value: c.value,
                    count: c.count,
                })
                .collect()
        };
        Self {
            languages: conv(f.languages),
            forces: conv(f.forces),
            operations: conv(f.operations),
            source_types: conv(f.source_types),
        }
    }
}

/// Extra fields on a search connection.
#[derive(Debug, Clone, SimpleObject)]
pub struct SearchTotals {
    /// How many documents match in all.
    pub total: usize,
    pub facets: SearchFacets,
    /// Identifiers the search text held (a phone, VRM, postcode, email, handle, bank
    /// detail): each matched however a document writes it, through its normalised form.
    pub matched_as: Vec<MatchedIdentifier>,
    /// Semantic and hybrid searches: the cosine similarity (0–1) a passage had to reach
    /// to match; null for keyword searches.
    pub min_similarity: Option<f64>,
}

/// An identifier found in the search text: "matched as phone +447700900001".
#[derive(Debug, Clone, SimpleObject)]
pub struct MatchedIdentifier {
    /// `phone`, `email`, `vehicle`, `postcode`, `account`, …
    pub kind: String,
    /// Its normalised form, which documents are matched by.
    pub value: String,
    /// As the search text wrote it.
    pub as_written: String,
}

impl From<toex_extract::Found> for MatchedIdentifier {
    fn from(f: toex_extract::Found) -> Self {
        Self {
            kind: f.kind.as_str().to_owned(),
            value: f.value,
            as_written: f.text,
        }
    }
}
