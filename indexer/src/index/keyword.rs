//! Keyword search: the query parser over the analysed fields, filters, facets, sorting
//! and paging, and more-like-this.

use super::*;
use tantivy::query_grammar::{UserInputAst, UserInputLeaf};

/// Largest page whose results are remembered for the next identical search.
const MAX_CACHED_HITS: usize = 100;

impl SearchIndex {
    /// Runs a query in its mode, or answers it from the results of the same request
    /// (scope included) made since the last commit. Syntax errors come back as [`IndexError::BadQuery`]
    /// with the position; semantic modes without a model as [`IndexError::Model`].
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults, IndexError> {
        // Collectors hold `offset + limit` entries: a page deep down is refused before
        // anything is allocated.
        if req.offset.saturating_add(req.limit) > MAX_SEARCH_DEPTH {
            return Err(IndexError::TooLarge(format!(
                "results are paged only within the first {MAX_SEARCH_DEPTH}; narrow the \
                 search (words, filters, dates) to reach the rest"
            )));
        }
        // Analysts page back and forth and repeat searches; a batch of alerts' documents
        // is searched once.
        let key =
            (req.documents.is_empty() && req.limit <= MAX_CACHED_HITS).then(|| format!("{req:?}"));
        if let Some(results) = key.as_deref().and_then(|k| self.results.get(k)) {
            return Ok(SearchResults::clone(&results));
        }
        let epoch = self.results.epoch();
        let results = match req.mode {
            SearchMode::Keyword => self.keyword_search(req)?,
            SearchMode::Semantic | SearchMode::Hybrid => self.vector_search(req)?,
        };
        if let Some(key) = key {
            self.results.put(key, epoch, Arc::new(results.clone()));
        }
        Ok(results)
    }

    /// The user's query within the request's scope (given as its documents, or else as
    /// its clauses) and filters.
    pub(super) fn keyword_query(
        &self,
        req: &SearchRequest,
        user_query: Box<dyn Query>,
        scope: Option<ScopeFilter>,
    ) -> BooleanQuery {
        let f = self.fields;
        let mut clauses = match scope {
            Some(docs) => vec![(Occur::Must, Box::new(docs) as Box<dyn Query>)],
            None => scope_clauses(&f, &req.scope),
        };
        clauses.push((Occur::Must, user_query));
        for (field, values) in [
            (f.language, &req.languages),
            (f.source_type, &req.source_types),
            (f.id, &req.documents),
        ] {
            if !values.is_empty() {
                clauses.push((Occur::Must, any_of(field, values)));
            }
        }
        if req.from.is_some() || req.to.is_some() {
            let term = |t: DateTime<Utc>| {
                Term::from_field_date_for_search(
                    f.ingested_at,
                    tantivy::DateTime::from_timestamp_micros(t.timestamp_micros()),
                )
            };
            let lower = req
                .from
                .map_or(Bound::Unbounded, |t| Bound::Included(term(t)));
            let upper = req
                .to
                .map_or(Bound::Unbounded, |t| Bound::Excluded(term(t)));
            clauses.push((Occur::Must, Box::new(RangeQuery::new(lower, upper))));
        }
        BooleanQuery::new(clauses)
    }

    pub(super) fn keyword_search(&self, req: &SearchRequest) -> Result<SearchResults, IndexError> {
        let f = self.fields;
        let IdentifierQuery {
            query: user_query,
            found: identifiers,
        } = self.parse_with_identifiers(&req.query)?;
        let searcher = self.reader.searcher();
        let scope = self.scopes.get(&searcher, &f, &req.scope)?;
        let query = self.keyword_query(
            req,
            user_query.box_clone(),
            Some(ScopeFilter(Arc::clone(&scope))),
        );
        let limit = req.limit.clamp(1, 1000);
        let facets =
            (req.want.facets.any()).then_some(super::facets::FacetCounter(req.want.facets));
        let statistics = ScopedStatistics::new(&searcher, &scope);
        let (top, total, facet_results) = match req.sort {
            // Scores from the scope's documents only: never from other forces'.
            SearchSort::Relevance => searcher.search_with_statistics_provider(
                &query,
                &(
                    TopDocs::with_limit(limit)
                        .and_offset(req.offset)
                        .order_by_score(),
                    Count,
                    facets,
                ),
                &statistics,
            )?,
            SearchSort::Newest => {
                let (top, total, facets) = searcher.search(
                    &query,
                    &(
                        TopDocs::with_limit(limit)
                            .and_offset(req.offset)
                            .order_by_fast_field::<tantivy::DateTime>("ingested_at", Order::Desc),
                        Count,
                        facets,
                    ),
                )?;
                (
                    top.into_iter().map(|(_, a)| (0.0, a)).collect(),
                    total,
                    facets,
                )
            }
        };
        let facets = facet_results.unwrap_or_default();
        let excerpts = if req.want.excerpts {
            let excerpts = |field| self.snippets(&statistics, &*user_query, field);
            Some(Excerpts {
                text: excerpts(f.text)?,
                translation: excerpts(f.translation)?,
                corrected: excerpts(f.corrected)?,
            })
        } else {
            None
        };
        let terms = self.matched_terms(&*user_query);
        let mut hits = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let mut hit = match &excerpts {
                Some(excerpts) => self.excerpted_hit(&doc, score, excerpts),
                None => self.hit(&doc, score, Excerpt::default(), None),
            };
            let mentioned = self.mentions_of(&doc, &identifiers);
            hit.identifiers = super::identifiers::held(&identifiers, &mentioned);
            if !req.want.segments {
                hits.push(hit);
                continue;
            }
            if let Some(json) = first_str(&doc, f.segments) {
                let segments = segments_from_json(&json);
                let written = super::identifiers::written_spans(&segments, &mentioned);
                hit.segments =
                    self.segment_matches(&segments, hit.language.as_deref(), &terms, &written);
            }
            hits.push(hit);
        }
        Ok(SearchResults {
            total,
            hits,
            facets,
            matched_as: identifiers,
            min_similarity: None,
        })
    }

    /// A hit with the best passages of its original and translations side by side (where
    /// only one side matched, the other shows its opening), and which translation matched.
    fn excerpted_hit(&self, doc: &TantivyDocument, score: f32, excerpts: &Excerpts) -> Hit {
        let f = self.fields;
        let snippet = snippet_or_opening(doc, f.text, snippet_of(&excerpts.text, doc));
        let translation =
            first_str(doc, f.translation).map(|_| snippet_of(&excerpts.translation, doc));
        // Whether the query matched the machine translation, from the snippet's spans.
        let translation_hit = translation
            .as_ref()
            .is_some_and(|s| !s.highlighted().is_empty());
        let translation_snippet = translation.map(|s| snippet_or_opening(doc, f.translation, s));
        let mut hit = self.hit(doc, score, snippet, translation_snippet);
        if first_str(doc, f.corrected).is_some() {
            let corrected = cut_snippet(doc, f.corrected, snippet_of(&excerpts.corrected, doc));
            if corrected.is_marked() {
                hit.translation_matched = Some("corrected");
            }
            hit.corrected_snippet = Some(corrected);
        }
        if hit.translation_matched.is_none() && translation_hit {
            hit.translation_matched = Some("machine");
        }
        hit
    }

    /// Documents like `id` (by the distinctive terms of its text and translation), best
    /// first, within `scope`. `None` when `id` does not exist there.
    pub fn more_like_this(
        &self,
        id: &str,
        scope: &Scope,
        limit: usize,
    ) -> Result<Option<Vec<Hit>>, IndexError> {
        let f = self.fields;
        let searcher = self.reader.searcher();
        let Some(addr) = self.address(&searcher, id, scope)? else {
            return Ok(None);
        };
        let by_id = self.id_query(id);
        let like = tantivy::query::MoreLikeThisQuery::builder()
            .with_min_doc_frequency(1)
            .with_min_term_frequency(1)
            .with_max_query_terms(32)
            .with_document(addr);
        let docs = self.scopes.get(&searcher, &f, scope)?;
        let query = BooleanQuery::new(vec![
            (Occur::Must, Box::new(ScopeFilter(Arc::clone(&docs)))),
            (Occur::Must, Box::new(like)),
            (Occur::MustNot, Box::new(by_id)),
        ]);
        let top = searcher.search_with_statistics_provider(
            &query,
            &TopDocs::with_limit(limit.clamp(1, 100)).order_by_score(),
            &ScopedStatistics::new(&searcher, &docs),
        )?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let opening = |field| opening(&doc, field);
            let (snippet, translation_snippet) =
                (opening(f.text).unwrap_or_default(), opening(f.translation));
            hits.push(self.hit(&doc, score, snippet, translation_snippet));
        }
        Ok(Some(hits))
    }

    pub(super) fn parse(&self, query: &str) -> Result<Box<dyn Query>, IndexError> {
        let f = self.fields;
        if query.trim().is_empty() {
            return Err(IndexError::BadQuery {
                message: "the query is empty".to_owned(),
                position: Some(0),
            });
        }
        let (ast, errors) = tantivy::query_grammar::parse_query_lenient(query);
        if let Some(first) = errors.first() {
            return Err(IndexError::BadQuery {
                message: first.message.clone(),
                position: Some(first.pos),
            });
        }
        if QuerySyntax::of_ast(&ast).range {
            return Err(IndexError::BadQuery {
                message: "ranges (`[a TO b]`, `>a`) are not searched in text; filter \
                          by date with `from` and `to`"
                    .to_owned(),
                position: None,
            });
        }
        let mut parser = QueryParser::for_index(
            &self.index,
            vec![
                f.title,
                f.text,
                f.text_en,
                f.translation,
                f.corrected,
                f.text_skel,
            ],
        );
        parser.set_conjunction_by_default();
        // A skeleton match (Arabizi ↔ Arabic) counts, but below a match of the word itself.
        parser.set_field_boost(f.text_skel, 0.3);
        let parsed = parser
            .parse_query(query)
            .map_err(|e| IndexError::BadQuery {
                message: e.to_string(),
                position: None,
            })?;
        // Some clauses (`field:*`) are checked only when weighed: weigh the query now, so
        // that a bad one is refused as the query's fault, not failed as the index's.
        let schema = self.index.schema();
        match parsed.weight(tantivy::query::EnableScoring::disabled_from_schema(&schema)) {
            Ok(_) => Ok(parsed),
            Err(tantivy::TantivyError::FieldNotFound(field)) => Err(IndexError::BadQuery {
                message: format!("no field `{field}`; use title, text, translation or corrected"),
                position: None,
            }),
            Err(tantivy::TantivyError::SchemaError(message)) => Err(IndexError::BadQuery {
                message: format!("this field cannot be searched that way: {message}"),
                position: None,
            }),
            Err(other) => Err(other.into()),
        }
    }
}

/// What a query string asks for beyond words and phrases.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuerySyntax {
    /// A phrase prefix (`"sophiesmi"*`): it matches every word starting so.
    pub prefix: bool,
    /// A range over terms (`[a TO b]`, `>a`).
    pub range: bool,
}

impl QuerySyntax {
    /// Reads `query` as the parser does (leniently: a query that does not parse is
    /// refused by the parser itself).
    pub fn of(query: &str) -> Self {
        Self::of_ast(&tantivy::query_grammar::parse_query_lenient(query).0)
    }

    fn of_ast(ast: &UserInputAst) -> Self {
        fn walk(ast: &UserInputAst, out: &mut QuerySyntax) {
            match ast {
                UserInputAst::Clause(clauses) => clauses.iter().for_each(|(_, a)| walk(a, out)),
                UserInputAst::Boost(inner, _) => walk(inner, out),
                UserInputAst::Leaf(leaf) => match leaf.as_ref() {
                    UserInputLeaf::Literal(l) => out.prefix |= l.prefix,
                    UserInputLeaf::Range { .. } => out.range = true,
                    _ => {}
                },
            }
        }
        let mut out = QuerySyntax::default();
        walk(ast, &mut out);
        out
    }
}

/// The query's snippet generators for the original and both translations; none for a
/// field where the scope holds none of the query's words.
struct Excerpts {
    text: Option<SnippetGenerator>,
    translation: Option<SnippetGenerator>,
    corrected: Option<SnippetGenerator>,
}

/// The best passage of `doc` for `generator`; empty (the caller shows the opening) where
/// the query cannot match.
fn snippet_of(
    generator: &Option<SnippetGenerator>,
    doc: &TantivyDocument,
) -> tantivy::snippet::Snippet {
    generator
        .as_ref()
        .map_or_else(tantivy::snippet::Snippet::empty, |g| {
            g.snippet_from_doc(doc)
        })
}

/// Characters in a passage (tantivy's default).
const SNIPPET_CHARS: usize = 150;

impl SearchIndex {
    /// A snippet generator for `field`, its words weighted by how rare they are *within
    /// the scope* (tantivy's own weighs them over the whole index, so which passage is
    /// shown would hint at other forces' documents); `None` when the scope holds none.
    fn snippets(
        &self,
        statistics: &ScopedStatistics<'_>,
        query: &dyn Query,
        field: Field,
    ) -> Result<Option<SnippetGenerator>, IndexError> {
        use tantivy::query::Bm25StatisticsProvider;
        let mut terms: Vec<Term> = Vec::new();
        query.query_terms(&mut |term, _| {
            if term.field() == field && term.value().as_str().is_some() && !terms.contains(term) {
                terms.push(term.clone());
            }
        });
        let mut weights = std::collections::BTreeMap::new();
        for term in terms {
            let doc_freq = statistics.doc_freq(&term)?;
            if let (Some(text), true) = (term.value().as_str(), doc_freq > 0) {
                weights.insert(text.to_owned(), 1.0 / (1.0 + doc_freq as f32));
            }
        }
        if weights.is_empty() {
            return Ok(None);
        }
        let tokenizer = self.index.tokenizer_for_field(field)?;
        Ok(Some(SnippetGenerator::new(
            weights,
            tokenizer,
            field,
            SNIPPET_CHARS,
        )))
    }
}
