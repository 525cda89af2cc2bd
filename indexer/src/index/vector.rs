//! Semantic and hybrid search: nearest chunks of the query's embedding, filtered inside
//! the vector search, fused with keyword ranks by RRF.

use super::*;

impl SearchIndex {
    pub(super) fn vector_search(&self, req: &SearchRequest) -> Result<SearchResults, IndexError> {
        let Some(embedder) = &self.embedder else {
            return Err(IndexError::Model(
                "semantic search needs the embedding model (setting `models.embedding`)".to_owned(),
            ));
        };
        if req.query.trim().is_empty() {
            return Err(IndexError::BadQuery {
                message: "the query is empty".to_owned(),
                position: Some(0),
            });
        }
        let limit = req.limit.clamp(1, 1000);
        let depth = (req.offset + limit).max(HYBRID_DEPTH);
        let query = embedder
            .embed(&[req.query.as_str()])?
            .pop()
            .unwrap_or_default();
        let allowed = |values: &[String], v: Option<&str>| {
            values.is_empty() || v.is_some_and(|v| values.iter().any(|x| x == v))
        };
        let threshold = req.min_similarity.unwrap_or(DEFAULT_MIN_SIMILARITY);
        let mut found = self
            .vectors
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .search(&query, depth, |m| {
                req.scope.contains(&m.force, m.operation.as_deref())
                    && allowed(&req.languages, m.language.as_deref())
                    && allowed(&req.source_types, Some(&m.source_type))
                    && allowed(&req.documents, Some(&m.id))
                    && req
                        .from
                        .is_none_or(|t| m.ingested_at >= t.timestamp_micros())
                    && req.to.is_none_or(|t| m.ingested_at < t.timestamp_micros())
            });
        found.retain(|f| f.similarity >= threshold);
        let mut keyword = None;
        let ranked: Vec<(String, f32)> = if req.mode == SearchMode::Hybrid {
            let mut k = req.clone();
            k.mode = SearchMode::Keyword;
            k.offset = 0;
            k.limit = depth;
            let results = self.keyword_search(&k)?;
            let fused = semantic::rrf(&[
                results.hits.iter().map(|h| h.id.clone()).collect(),
                found.iter().map(|f| f.id.clone()).collect(),
            ]);
            keyword = Some(results);
            fused.into_iter().map(|(id, s)| (id, s as f32)).collect()
        } else {
            found.iter().map(|f| (f.id.clone(), f.similarity)).collect()
        };
        let by_id: std::collections::HashMap<&str, &semantic::Found> =
            found.iter().map(|f| (f.id.as_str(), f)).collect();
        let searcher = self.reader.searcher();
        let f = self.fields;
        let mut hits = Vec::new();
        for (id, score) in ranked.iter().skip(req.offset).take(limit) {
            if let Some(k) = keyword
                .as_ref()
                .and_then(|k| k.hits.iter().find(|h| &h.id == id))
            {
                let mut hit = k.clone();
                hit.score = *score;
                hits.push(hit);
                continue;
            }
            let Some(addr) = self.address(&searcher, id, &req.scope)? else {
                continue;
            };
            let doc: TantivyDocument = searcher.doc(addr)?;
            let opening = |field| opening(&doc, field);
            let mut hit = self.hit(
                &doc,
                *score,
                opening(f.text).unwrap_or_default(),
                opening(f.translation),
            );
            if let Some((first, last)) = by_id.get(id.as_str()).and_then(|f| f.segments) {
                let segments = first_str(&doc, f.segments)
                    .map(|j| segments_from_json(&j))
                    .unwrap_or_default();
                hit.segments = segments
                    .iter()
                    .enumerate()
                    .skip(first as usize)
                    .take((last.saturating_sub(first) as usize + 1).min(MAX_SEGMENT_MATCHES))
                    .map(|(index, s)| SegmentMatch {
                        index,
                        line: s.line,
                        start_ms: s.start_ms,
                        end_ms: s.end_ms,
                        speaker: s.speaker.clone(),
                        sent: s.sent.clone(),
                        page: s.page,
                        cell: s.cell.clone(),
                        text: Excerpt::whole(s.text.as_str()),
                    })
                    .collect();
            }
            hits.push(hit);
        }
        let facets = match &keyword {
            Some(k) => k.facets.clone(),
            None => {
                let vectors = self.vectors.read().unwrap_or_else(|p| p.into_inner());
                let metas: Vec<DocMeta> = found
                    .iter()
                    .filter_map(|f| vectors.meta(&f.id).cloned())
                    .collect();
                facets_of(&metas)
            }
        };
        Ok(SearchResults {
            total: ranked.len(),
            hits,
            facets,
            matched_as: keyword.map(|k| k.matched_as).unwrap_or_default(),
            min_similarity: Some(threshold),
        })
    }
}
