//! What a search asks for (`SearchRequest`, sort, mode) and what it returns: hits,
//! per-segment matches and facet counts.

use super::*;

/// Deepest result a search pages to (`offset + limit`), as Elasticsearch's
/// `max_result_window`: collectors hold that many entries.
pub const MAX_SEARCH_DEPTH: usize = 10_000;
/// Memory one segment's facet counts may take: a column with more values than that is
/// not counted.
pub(super) const FACET_MEMORY_BYTES: usize = 16 * 1024 * 1024;
/// The least cosine similarity a semantic match must reach unless a search says
/// otherwise: with all-MiniLM-L6-v2, passages on the query's subject score about 0.35 and
/// up, unrelated ones under 0.1 (measured in `pipeline/tests/semantic_search.rs`).
pub const DEFAULT_MIN_SIMILARITY: f32 = 0.25;

/// A search over the index.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub query: String,
    /// The caller's compartment (forces, and operations when confined): nothing outside
    /// it is matched, counted or faceted.
    pub scope: Scope,
    /// Only these languages; empty means any.
    pub languages: Vec<String>,
    /// Only these source types; empty means any.
    pub source_types: Vec<String>,
    pub limit: usize,
    pub offset: usize,
    pub mode: SearchMode,
    /// Only documents ingested at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Only documents ingested before this instant.
    pub to: Option<DateTime<Utc>>,
    pub sort: SearchSort,
    /// Only these documents (by id); empty means any. Alerts run a saved search over
    /// a new batch this way.
    pub documents: Vec<String>,
    /// Semantic and hybrid: the least similarity a passage must reach to match
    /// (default [`DEFAULT_MIN_SIMILARITY`]); so an unrelated document is not returned just
    /// because it is the nearest there is.
    pub min_similarity: Option<f32>,
    /// What the caller will read: the facet counts and each hit's excerpts and matching
    /// segments are worked out only when wanted.
    pub want: Wanted,
}

/// The costly parts of a search's answer a caller asks for (all of them by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Wanted {
    /// Facet counts over every match, each facet only when asked for.
    pub facets: FacetsWanted,
    /// Each hit's snippets of the original and translations (and which one matched).
    pub excerpts: bool,
    /// Each hit's matching segments.
    pub segments: bool,
}

impl Wanted {
    /// Everything.
    pub const ALL: Wanted = Wanted {
        facets: FacetsWanted::ALL,
        excerpts: true,
        segments: true,
    };
}

/// Which facets to count (in the order of [`Facets`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FacetsWanted {
    pub languages: bool,
    pub forces: bool,
    pub operations: bool,
    pub source_types: bool,
}

impl FacetsWanted {
    /// Every facet.
    pub const ALL: FacetsWanted = FacetsWanted {
        languages: true,
        forces: true,
        operations: true,
        source_types: true,
    };
    /// None: no counting at all.
    pub const NONE: FacetsWanted = FacetsWanted {
        languages: false,
        forces: false,
        operations: false,
        source_types: false,
    };

    /// Whether any facet is asked for.
    pub fn any(self) -> bool {
        self != Self::NONE
    }

    /// Per facet of [`FACET_FIELDS`], whether it is asked for.
    pub(super) fn each(self) -> [bool; 4] {
        [
            self.languages,
            self.forces,
            self.operations,
            self.source_types,
        ]
    }
}

impl Default for Wanted {
    fn default() -> Self {
        Self::ALL
    }
}

impl SearchRequest {
    /// `query` within `scope`: every language and source type, any time, the first ten
    /// hits by relevance.
    pub fn new(query: impl Into<String>, scope: Scope) -> Self {
        Self {
            query: query.into(),
            scope,
            languages: Vec::new(),
            source_types: Vec::new(),
            limit: 10,
            offset: 0,
            mode: SearchMode::default(),
            from: None,
            to: None,
            sort: SearchSort::default(),
            documents: Vec::new(),
            min_similarity: None,
            want: Wanted::ALL,
        }
    }
}

/// Order of keyword results.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SearchSort {
    /// Best match first.
    #[default]
    Relevance,
    /// Most recently ingested first.
    Newest,
}

/// How search ranks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SearchMode {
    /// BM25 over the analysed text (the query syntax applies).
    #[default]
    Keyword,
    /// Nearest neighbours of the query's embedding among the documents' English text.
    Semantic,
    /// Reciprocal rank fusion of the keyword and semantic rankings.
    Hybrid,
}

/// One hit, with excerpts of the original and the translation.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub id: String,
    pub title: String,
    pub score: f32,
    pub language: Option<String>,
    pub force: String,
    pub source_type: String,
    /// The best passage of the original, or its opening when only the translation
    /// matched.
    pub snippet: Excerpt,
    /// The same of the machine translation, when there is one.
    pub translation_snippet: Option<Excerpt>,
    /// The best passage of the analyst's corrected translation, when there is one
    /// (empty when the query matched nothing in it).
    pub corrected_snippet: Option<Excerpt>,
    /// Which translation the query matched: `corrected`, `machine`, or `None`.
    pub translation_matched: Option<&'static str>,
    /// The segments (lines, messages, cues) that hold a matched term, at most
    /// [`MAX_SEGMENT_MATCHES`], best first (more of the query's words, then side by
    /// side, then document order); each with its timestamps.
    pub segments: Vec<SegmentMatch>,
    /// When the document was first ingested.
    pub ingested_at: Option<DateTime<Utc>>,
    /// The query's identifiers this document holds (however it writes them).
    pub identifiers: Vec<toex_extract::Found>,
}

/// Most matching segments reported per hit.
pub const MAX_SEGMENT_MATCHES: usize = 5;

/// A segment that holds a matched term.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentMatch {
    /// 0-based position among the document's segments.
    pub index: usize,
    pub line: Option<u32>,
    pub start_ms: Option<u64>,
    pub end_ms: Option<u64>,
    pub speaker: Option<String>,
    pub sent: Option<String>,
    /// The page of a PDF or slide, and the cell of a spreadsheet row.
    pub page: Option<u32>,
    pub cell: Option<String>,
    /// The segment's text, with the matched words marked.
    pub text: Excerpt,
}

/// Hits, the total number of matching documents, and facet counts over all of them.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    pub total: usize,
    pub hits: Vec<Hit>,
    pub facets: Facets,
    /// The identifiers the query held, each also matched by its normalised key.
    pub matched_as: Vec<toex_extract::Found>,
    /// Semantic and hybrid: the similarity a passage had to reach.
    pub min_similarity: Option<f32>,
}

/// How many matching documents have each value.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Facets {
    pub languages: Vec<FacetCount>,
    pub forces: Vec<FacetCount>,
    pub operations: Vec<FacetCount>,
    pub source_types: Vec<FacetCount>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

pub(super) const FACET_FIELDS: [&str; 4] = ["language", "force", "operation", "source_type"];

/// Facet counts over a set of documents' metadata.
pub(super) fn facets_of(metas: &[DocMeta]) -> Facets {
    fn count<'a>(values: impl Iterator<Item = Option<&'a str>>) -> Vec<FacetCount> {
        let mut counts: std::collections::BTreeMap<&str, u64> = Default::default();
        for v in values.flatten() {
            *counts.entry(v).or_default() += 1;
        }
        let mut out: Vec<FacetCount> = counts
            .into_iter()
            .map(|(value, count)| FacetCount {
                value: value.to_owned(),
                count,
            })
            .collect();
        out.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
        out
    }
    Facets {
        languages: count(metas.iter().map(|m| m.language.as_deref())),
        forces: count(metas.iter().map(|m| Some(m.force.as_str()))),
        operations: count(metas.iter().map(|m| m.operation.as_deref())),
        source_types: count(metas.iter().map(|m| Some(m.source_type.as_str()))),
    }
}
