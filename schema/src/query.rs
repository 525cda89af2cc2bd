//! The Query root.

use async_graphql::connection::{Connection, Edge, query};
use async_graphql::{Context, Object};
use chrono::Datelike;
use toex_indexer::SearchRequest;

use crate::error::{ApiError, ApiResult};
use crate::types::{Document, Person, SearchFilter, SearchHit, SearchTotals};
use crate::{Health, Services};

/// Largest page any list returns.
pub const MAX_PAGE_SIZE: usize = 100;
pub(crate) const DEFAULT_PAGE_SIZE: usize = 20;

#[derive(Default)]
pub struct CoreQuery;

/// The Query root: core fields plus the network.
#[derive(async_graphql::MergedObject, Default)]
pub struct QueryRoot(
    CoreQuery,
    crate::network::NetworkQuery,
    crate::hotspots::HotspotQuery,
    crate::profiles::ProfileQuery,
    crate::jobs::JobsQuery,
    crate::audit::AuditQueryRoot,
    crate::linkage::LinkageQuery,
    crate::workspace::WorkspaceQuery,
    crate::notes::NotesQuery,
    crate::review::ReviewQuery,
    crate::charts::ChartsQuery,
    crate::cases::CasesQuery,
);

/// Longest text `translate` takes; longer material is ingested as a document.
const MAX_TRANSLATE_CHARS: usize = 100_000;
/// Longest search text, in characters, and most words in it: a longer one is refused
/// before any work (a 400,000-word text took seconds and gigabytes to run).
pub(crate) const MAX_QUERY_CHARS: usize = 2_000;
pub(crate) const MAX_QUERY_TERMS: usize = 64;

/// Refuses a search text longer than [`MAX_QUERY_CHARS`] characters or of more than
/// [`MAX_QUERY_TERMS`] words, at once.
/// The search text as the caller may search it. A protected person's name or identifier
/// is taken out, so it is searched as if it were unknown; and since a prefix could spell
/// out a protected handle or name letter by letter (each step confirmed by whether the
/// redacted document still matches), callers who may not see protected persons search
/// whole words.
pub(crate) async fn searchable(ctx: &Context<'_>, query_text: String) -> ApiResult<String> {
    let hidden = crate::redaction::hidden_from(ctx)
        .await?
        .filter(|p| !p.is_empty());
    if hidden.is_some() && toex_indexer::QuerySyntax::of(&query_text).prefix {
        return Err(ApiError::bad_input(
            "prefix searches (`\"word\"*`) are open only to roles that may see protected \
             persons; search whole words",
        ));
    }
    Ok(match hidden.and_then(|p| p.strip(&query_text)) {
        Some(stripped) => stripped,
        None => query_text,
    })
}

pub(crate) fn check_query_text(text: &str) -> ApiResult<()> {
    // Bytes bound characters from above: most texts need no count.
    if text.len() > MAX_QUERY_CHARS && text.chars().nth(MAX_QUERY_CHARS).is_some() {
        return Err(ApiError::bad_input(format!(
            "the search text is longer than {MAX_QUERY_CHARS} characters"
        )));
    }
    if text.split_whitespace().nth(MAX_QUERY_TERMS).is_some() {
        return Err(ApiError::bad_input(format!(
            "the search text has more than {MAX_QUERY_TERMS} words"
        )));
    }
    Ok(())
}

#[Object]
impl CoreQuery {
    /// Health of this instance: Neo4j, the index, models, version.
    async fn health(&self, ctx: &Context<'_>) -> Health {
        crate::health::health(ctx.data_unchecked::<Services>())
    }

    /// Full-text search over originals and translations. Syntax: words (all must match),
    /// `"phrases"`, `"words near"~2` (within two positions), `OR`, `-exclusion`,
    /// `field:term` (title, text, translation, corrected), `"prefix"*` (for roles that may
    /// see protected persons). Pages reach the first 10,000 results. Semantic and hybrid
    /// searches match passages whose cosine similarity to the query reaches
    /// `minSimilarity` (0–1, default 0.25; `minSimilarity` on the result says which).
    #[allow(clippy::too_many_arguments)]
    async fn search(
        &self,
        ctx: &Context<'_>,
        query_text: String,
        #[graphql(default)] filter: SearchFilter,
        #[graphql(default_with = "crate::types::SearchMode::Keyword")]
        mode: crate::types::SearchMode,
        #[graphql(default_with = "crate::types::SearchSort::Relevance")]
        sort: crate::types::SearchSort,
        min_similarity: Option<f64>,
        after: Option<String>,
        first: Option<i32>,
    ) -> async_graphql::Result<Connection<usize, SearchHit, SearchTotals>> {
        check_query_text(&query_text)?;
        if min_similarity.is_some_and(|m| !(0.0..=1.0).contains(&m)) {
            return Err(
                ApiError::bad_input("`minSimilarity` is a cosine similarity from 0 to 1").into(),
            );
        }
        let query_text = searchable(ctx, query_text).await?;
        let want = wanted(&ctx.look_ahead());
        let services = ctx.data_unchecked::<Services>().clone();
        let first = page_size(first)?;
        let scope = crate::access::scope_for(ctx, &filter.forces, &filter.operations)?;
        // The index keeps times as nanoseconds: 1678–2261 is what it can represent.
        for t in [filter.from, filter.to].into_iter().flatten() {
            if !(1900..=2200).contains(&t.year()) {
                return Err(ApiError::bad_input(
                    "`filter.from` and `filter.to` must lie between the years 1900 and 2200",
                )
                .into());
            }
        }
        if let (Some(f), Some(t)) = (filter.from, filter.to)
            && f >= t
        {
            return Err(ApiError::bad_input("`filter.from` must be before `filter.to`").into());
        }
        query(
            after,
            None,
            Some(first as i32),
            None,
            |after: Option<usize>, _before: Option<usize>, first, _last| async move {
                if query_text.trim().is_empty() {
                    // Nothing left to look for once the protected terms are gone.
                    let totals = SearchTotals {
                        total: 0,
                        facets: toex_indexer::Facets::default().into(),
                        matched_as: Vec::new(),
                        min_similarity: None,
                    };
                    return Ok(Connection::with_additional_fields(false, false, totals));
                }
                let offset = after.map_or(0, |a| a + 1);
                let limit = first.unwrap_or(DEFAULT_PAGE_SIZE);
                let request = SearchRequest {
                    query: query_text,
                    scope,
                    languages: filter.languages,
                    source_types: filter.source_types,
                    limit,
                    offset,
                    mode: mode.into(),
                    from: filter.from,
                    to: filter.to,
                    sort: match sort {
                        crate::types::SearchSort::Relevance => toex_indexer::SearchSort::Relevance,
                        crate::types::SearchSort::Newest => toex_indexer::SearchSort::Newest,
                    },
                    min_similarity: min_similarity.map(|m| m as f32),
                    documents: Vec::new(),
                    want,
                };
                let index = services.index.clone();
                let results = services
                    .cpu
                    .run(move || index.search(&request))
                    .await
                    .map_err(ApiError::from)?
                    .map_err(ApiError::from)?;
                let has_next = offset + results.hits.len() < results.total;
                let mut connection = Connection::with_additional_fields(
                    offset > 0,
                    has_next,
                    SearchTotals {
                        total: results.total,
                        facets: results.facets.into(),
                        matched_as: results.matched_as.into_iter().map(Into::into).collect(),
                        min_similarity: results.min_similarity.map(f64::from),
                    },
                );
                connection.edges.extend(
                    results
                        .hits
                        .into_iter()
                        .enumerate()
                        .map(|(i, hit)| Edge::new(offset + i, SearchHit::from(hit))),
                );
                Ok::<_, async_graphql::Error>(connection)
            },
        )
        .await
    }

    /// Translates `text` into English line by line, each line by the model of its
    /// language — a dedicated OPUS-MT pair, else NLLB-200 (`from` states the language of
    /// every non-English line, as ISO 639-1/3 or an NLLB code such as `acm_Arab`;
    /// otherwise it is detected per line): as many lines out as in, English and empty
    /// lines untouched, phone numbers, emails, registrations, handles, URLs and numbers
    /// kept verbatim; `runs` says which model translated which lines. MODEL_UNAVAILABLE
    /// names a language no installed model has, and what to install.
    async fn translate(
        &self,
        ctx: &Context<'_>,
        text: String,
        from: Option<String>,
    ) -> ApiResult<crate::types::TranslationResult> {
        crate::access::scope(ctx)?;
        if text.chars().count() > MAX_TRANSLATE_CHARS {
            return Err(ApiError::bad_input(format!(
                "the text is longer than {MAX_TRANSLATE_CHARS} characters; ingest it as a \
                 document instead"
            )));
        }
        if let Some(f) = &from
            && !(((2..=3).contains(&f.len()) && f.chars().all(|c| c.is_ascii_lowercase()))
                || toex_inference::translate::nllb::is_nllb_code(f))
        {
            return Err(ApiError::bad_input(
                "`from` is an ISO 639-1 or 639-3 language code (\"ar\", \"ckb\") or an \
                 NLLB-200 code (\"acm_Arab\")",
            ));
        }
        let services = ctx.data_unchecked::<Services>();
        let translation = services.translation.get();
        let t = services
            .cpu
            .run(move || {
                translation.translate(
                    &text,
                    from.as_deref(),
                    None,
                    toex_inference::translate::Missing::Refuse,
                    &mut |_, _| {},
                )
            })
            .await??;
        Ok(crate::types::TranslationResult {
            text: t.lines.join("\n"),
            runs: t
                .runs
                .iter()
                .map(crate::types::TranslatedLines::from)
                .collect(),
            untranslated: t.untranslated,
            lines: t.lines,
            engine: t.engine,
            models: t.models,
            translated_at: chrono::Utc::now(),
        })
    }

    /// One ingested document by id.
    async fn document(&self, ctx: &Context<'_>, id: String) -> ApiResult<Option<Document>> {
        let services = ctx.data_unchecked::<Services>();
        let scope = crate::access::scope(ctx)?;
        let index = services.index.clone();
        let doc = services.cpu.run(move || index.get(&id, &scope)).await??;
        Ok(doc.map(Document::from))
    }

    /// Documents similar to `id`, best first (null when `id` does not exist).
    async fn more_like_this(
        &self,
        ctx: &Context<'_>,
        id: String,
        #[graphql(default)] filter: SearchFilter,
        #[graphql(default = 10)] first: i32,
    ) -> ApiResult<Option<Vec<SearchHit>>> {
        let services = ctx.data_unchecked::<Services>();
        let limit = page_size(Some(first))?;
        let scope = crate::access::scope_for(ctx, &filter.forces, &filter.operations)?;
        let index = services.index.clone();
        let hits = services
            .cpu
            .run(move || index.more_like_this(&id, &scope, limit))
            .await??;
        Ok(hits.map(|h| h.into_iter().map(SearchHit::from).collect()))
    }

    /// One person by id.
    async fn person(&self, ctx: &Context<'_>, id: String) -> ApiResult<Option<Person>> {
        let services = ctx.data_unchecked::<Services>();
        let scope = crate::access::scope(ctx)?;
        Ok(services.graph.person(&scope, &id).await?.map(Person::from))
    }
}

/// Validates a requested page size against [`MAX_PAGE_SIZE`].
pub(crate) fn page_size(first: Option<i32>) -> ApiResult<usize> {
    match first {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(n) if n < 1 => Err(ApiError::bad_input("`first` must be at least 1")),
        Some(n) if n as usize > MAX_PAGE_SIZE => Err(ApiError::bad_input(format!(
            "`first` must be at most {MAX_PAGE_SIZE}"
        ))),
        Some(n) => Ok(n as usize),
    }
}

/// What of a search's answer the request selects (through fragments too): facets,
/// excerpts and matching segments are worked out only when asked for.
fn wanted(selection: &async_graphql::Lookahead<'_>) -> toex_indexer::Wanted {
    let of_hits = |field: &str| {
        selection.field("edges").field("node").field(field).exists()
            || selection.field("nodes").field(field).exists()
    };
    let facets = selection.field("facets");
    toex_indexer::Wanted {
        facets: toex_indexer::FacetsWanted {
            languages: facets.field("languages").exists(),
            forces: facets.field("forces").exists(),
            operations: facets.field("operations").exists(),
            source_types: facets.field("sourceTypes").exists(),
        },
        excerpts: [
            "snippet",
            "translationSnippet",
            "correctedSnippet",
            "translationMatched",
        ]
        .into_iter()
        .any(of_hits),
        segments: of_hits("segments"),
    }
}
