//! Match spans: the terms a query looks for, the segments they match, and the excerpts
//! with those spans marked.

use super::*;

impl SearchIndex {
    /// A hit from a stored document and the snippets chosen for it.
    pub(super) fn hit(
        &self,
        doc: &TantivyDocument,
        score: f32,
        snippet: Excerpt,
        translation_snippet: Option<Excerpt>,
    ) -> Hit {
        let f = self.fields;
        Hit {
            id: first_str(doc, f.id).unwrap_or_default(),
            title: first_str(doc, f.title).unwrap_or_default(),
            score,
            language: first_str(doc, f.language),
            force: first_str(doc, f.force).unwrap_or_default(),
            source_type: first_str(doc, f.source_type).unwrap_or_default(),
            snippet,
            translation_snippet,
            corrected_snippet: None,
            translation_matched: None,
            segments: Vec::new(),
            ingested_at: doc
                .get_first(f.ingested_at)
                .and_then(|v| v.as_datetime())
                .and_then(|d| DateTime::from_timestamp_micros(d.into_timestamp_micros())),
            identifiers: Vec::new(),
        }
    }

    /// The indexed words the query looks for in the original text, per analyser.
    pub(super) fn matched_terms(&self, query: &dyn Query) -> MatchedTerms {
        let f = self.fields;
        let mut terms = MatchedTerms::default();
        query.query_terms(&mut |term, _| {
            let value = term.value();
            let Some(text) = value.as_str() else {
                return;
            };
            if term.field() == f.text || term.field() == f.title {
                terms.multi.insert(text);
            } else if term.field() == f.text_en {
                terms.english.insert(text);
            } else if term.field() == f.text_skel {
                terms.skeleton.insert(text);
            }
        });
        terms
    }

    /// Segments holding any of `terms`, each marked, at most [`MAX_SEGMENT_MATCHES`], best
    /// first: those holding more of the query's words, then those holding them side by
    /// side (a phrase), then in document order. A segment that names an identifier the
    /// query named, or was written or spoken by someone it names (in any script), counts
    /// as holding one more word. At most [`MAX_SEGMENTS_RANKED`] segments are ranked.
    /// Each text is read only with the analysers the document was indexed with (see
    /// `searchable_fields`): English stems in English (or unknown) text, skeletons in
    /// any other, and in every sender's or speaker's name.
    pub(super) fn segment_matches(
        &self,
        segments: &[toex_formats::Segment],
        language: Option<&str>,
        terms: &MatchedTerms,
        written: &std::collections::HashMap<usize, Vec<(usize, usize)>>,
    ) -> Vec<SegmentMatch> {
        if terms.multi.is_empty()
            && terms.english.is_empty()
            && terms.skeleton.is_empty()
            && written.is_empty()
        {
            return Vec::new();
        }
        let tokenizers = self.index.tokenizers();
        let (Some(mut multi), Some(mut english), Some(mut skeleton)) = (
            tokenizers.get(analysis::MULTI),
            tokenizers.get("en_stem"),
            tokenizers.get(analysis::SKELETON),
        ) else {
            return Vec::new();
        };
        let none = Terms::default();
        let english_terms = if language.is_none_or(|l| l == "en") {
            &terms.english
        } else {
            &none
        };
        let skeleton_terms = if language == Some("en") {
            &none
        } else {
            &terms.skeleton
        };
        // The best a segment can do: every analyser's every word (and the identifier)
        // found, all side by side; once enough segments do that, the rest cannot win.
        let best = Rank {
            words: terms.multi.len()
                + english_terms.len()
                + skeleton_terms.len()
                + usize::from(!written.is_empty()),
            together: terms.multi.len(),
        };
        let mut complete = 0;
        // Whether each sender or speaker seen so far is one the query names.
        let mut named: std::collections::HashMap<&str, bool> = std::collections::HashMap::new();
        // (how well, which segment, the spans to mark)
        let mut ranked: Vec<(Rank, usize, Spans)> = Vec::new();
        let mut found: Vec<bool> = Vec::new();
        for (index, segment) in segments.iter().enumerate() {
            // A long chat is ranked up to a bound, so one hit never costs a search its
            // latency: past it, the best found so far are shown (or the first found).
            if index >= MAX_SEGMENTS_RANKED && !ranked.is_empty() {
                break;
            }
            // Identifiers the query named, where the segment writes them its own way.
            let mut spans: Vec<(usize, usize)> = written.get(&index).cloned().unwrap_or_default();
            let mut rank = Rank {
                words: usize::from(!spans.is_empty()),
                together: 0,
            };
            for (analyser, wanted, phrase) in [
                (&mut multi, &terms.multi, true),
                (&mut english, english_terms, false),
                (&mut skeleton, skeleton_terms, false),
            ] {
                if wanted.is_empty() {
                    continue;
                }
                // Which of the wanted words this segment holds (a query has a handful:
                // a scan beats hashing every word of the segment).
                found.clear();
                found.resize(wanted.len(), false);
                let mut run = 0;
                let mut stream = analyser.token_stream(&segment.text);
                while let Some(token) = stream.next() {
                    if let Some(at) = wanted.iter().position(|w| *w == token.text) {
                        spans.push((token.offset_from, token.offset_to));
                        found[at] = true;
                        run += 1;
                        if phrase {
                            rank.together = rank.together.max(run);
                        }
                    } else {
                        run = 0;
                    }
                }
                rank.words += found.iter().filter(|f| **f).count();
            }
            // A sender or speaker the query names, in whatever script it was written
            // (each name analysed once: a chat repeats a few names many times).
            let by_speaker = segment.speaker.as_deref().is_some_and(|name| {
                *named.entry(name).or_insert_with(|| {
                    [
                        (&mut english, english_terms),
                        (&mut skeleton, &terms.skeleton),
                    ]
                    .into_iter()
                    .any(|(analyser, wanted)| {
                        let mut stream = analyser.token_stream(name);
                        let mut hit = false;
                        while let Some(token) = stream.next() {
                            hit |= wanted.contains(&token.text);
                        }
                        hit
                    })
                })
            });
            rank.words += usize::from(by_speaker);
            if spans.is_empty() && !by_speaker {
                continue;
            }
            ranked.push((rank, index, spans));
            if rank >= best {
                complete += 1;
                if complete == MAX_SEGMENT_MATCHES {
                    break;
                }
            }
        }
        ranked.sort_by(|(a, i, _), (b, j, _)| b.cmp(a).then(i.cmp(j)));
        ranked
            .into_iter()
            .take(MAX_SEGMENT_MATCHES)
            .map(|(_, index, spans)| {
                let segment = &segments[index];
                SegmentMatch {
                    index,
                    line: segment.line,
                    start_ms: segment.start_ms,
                    end_ms: segment.end_ms,
                    speaker: segment.speaker.clone(),
                    sent: segment.sent.clone(),
                    page: segment.page,
                    cell: segment.cell.clone(),
                    text: Excerpt::marked(
                        segment.text.as_str(),
                        spans.into_iter().map(|(a, b)| a..b),
                    ),
                }
            })
            .collect()
    }

    /// Where the document with `id` is, in any force: only for rewriting the same
    /// document (its id is the hash of its content, force and operation).
    pub(super) fn address_of(
        &self,
        searcher: &tantivy::Searcher,
        id: &str,
    ) -> Result<Option<tantivy::DocAddress>, IndexError> {
        let top = searcher.search(&self.id_query(id), &TopDocs::with_limit(1).order_by_score())?;
        Ok(top.into_iter().next().map(|(_, addr)| addr))
    }

    /// Where the document with `id` is, if it exists inside `scope`.
    pub(super) fn address(
        &self,
        searcher: &tantivy::Searcher,
        id: &str,
        scope: &Scope,
    ) -> Result<Option<tantivy::DocAddress>, IndexError> {
        let by_id: Box<dyn Query> = Box::new(self.id_query(id));
        let mut clauses = scope_clauses(&self.fields, scope);
        clauses.push((Occur::Must, by_id));
        let query: Box<dyn Query> = Box::new(BooleanQuery::new(clauses));
        let top = searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?;
        Ok(top.into_iter().next().map(|(_, addr)| addr))
    }
}

/// Most segments of one hit ranked for the best matches (a chat's first 5,000 messages;
/// tokenising them costs a few milliseconds); past them, only until a first match.
const MAX_SEGMENTS_RANKED: usize = 5_000;

/// Byte ranges to mark in a segment's text.
type Spans = Vec<(usize, usize)>;

/// How well a segment matches: the query's distinct words it holds (over every analyser),
/// then the most of them it holds side by side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Rank {
    words: usize,
    together: usize,
}

/// Indexed words a query looks for, by the analyser that produced them.
#[derive(Default)]
pub(super) struct MatchedTerms {
    pub(super) multi: Terms,
    pub(super) english: Terms,
    pub(super) skeleton: Terms,
}

/// Distinct indexed words, in the order the query names them.
#[derive(Default)]
pub(super) struct Terms(Vec<String>);

impl Terms {
    fn insert(&mut self, term: &str) {
        if !self.contains(term) {
            self.0.push(term.to_owned());
        }
    }

    fn contains(&self, term: &str) -> bool {
        self.0.iter().any(|t| t == term)
    }

    fn iter(&self) -> std::slice::Iter<'_, String> {
        self.0.iter()
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Characters either side of a mention in its excerpt.
const MENTION_CONTEXT: usize = 60;

/// The text around the mention at characters `[start, end)`, the mention marked.
pub(super) fn mention_excerpt(text: &str, start: u32, end: u32) -> Excerpt {
    Excerpt::around(text, start as usize, end as usize, MENTION_CONTEXT)
}

/// `snippet` of the stored `field` as an excerpt, saying whether it was cut; the field's
/// opening where the query matched nothing in it (side by side, the other side matched).
pub(super) fn snippet_or_opening(
    doc: &TantivyDocument,
    field: Field,
    snippet: tantivy::snippet::Snippet,
) -> Excerpt {
    if snippet.fragment().trim().is_empty() {
        return opening(doc, field).unwrap_or_default();
    }
    cut_snippet(doc, field, snippet)
}

/// `snippet` of the stored `field` as an excerpt, saying whether it was cut.
pub(super) fn cut_snippet(
    doc: &TantivyDocument,
    field: Field,
    snippet: tantivy::snippet::Snippet,
) -> Excerpt {
    // The generator snippets the field's text trimmed; its range is into that.
    let whole = first_str(doc, field).map_or(0, |t| t.trim().len());
    let range = snippet.fragment_range();
    Excerpt {
        cut_before: range.start > 0,
        cut_after: range.end < whole,
        ..Excerpt::from(snippet)
    }
}
