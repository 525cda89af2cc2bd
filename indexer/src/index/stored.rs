//! Reading stored documents: one by id within the caller's scope, translation
//! candidates, names found in stored text, the documents mentioning an entity, and the
//! files found in a document.

use super::*;

impl SearchIndex {
    /// One stored document by id, if it lies inside `scope`.
    pub fn get(&self, id: &str, scope: &Scope) -> Result<Option<StoredDocument>, IndexError> {
        let f = self.fields;
        let searcher = self.reader.searcher();
        let Some(addr) = self.address(&searcher, id, scope)? else {
            return Ok(None);
        };
        let doc: TantivyDocument = searcher.doc(addr)?;
        let ingested_at = doc
            .get_first(f.ingested_at)
            .and_then(|v| v.as_datetime())
            .and_then(|d| DateTime::from_timestamp_micros(d.into_timestamp_micros()))
            .unwrap_or_default();
        Ok(Some(StoredDocument {
            id: first_str(&doc, f.id).unwrap_or_default(),
            title: first_str(&doc, f.title).unwrap_or_default(),
            text: first_str(&doc, f.text).unwrap_or_default(),
            language: first_str(&doc, f.language),
            translation: first_str(&doc, f.translation),
            force: first_str(&doc, f.force).unwrap_or_default(),
            operation: first_str(&doc, f.operation),
            source_type: first_str(&doc, f.source_type).unwrap_or_default(),
            content_hash: first_str(&doc, f.content_hash).unwrap_or_default(),
            ingested_at,
            segments: first_str(&doc, f.segments)
                .map(|j| segments_from_json(&j))
                .unwrap_or_default(),
            mentions: mentions_of(&doc, f.entities),
            translation_meta: first_str(&doc, f.translation_meta)
                .and_then(|j| serde_json::from_str(&j).ok()),
            correction: first_str(&doc, f.corrected).and_then(|text| {
                let meta: serde_json::Value =
                    serde_json::from_str(&first_str(&doc, f.correction_meta)?).ok()?;
                Some(Correction {
                    text,
                    by: meta["by"].as_str()?.to_owned(),
                    at: meta["at"].as_str()?.to_owned(),
                })
            }),
            provenance: first_str(&doc, f.provenance).and_then(|j| serde_json::from_str(&j).ok()),
        }))
    }

    /// The stored documents a translation job would work on, oldest ingest first (then
    /// in index order), at most `limit` (ask for one more to learn that there are more).
    pub fn translation_candidates(
        &self,
        selection: &TranslationSelection,
        limit: usize,
    ) -> Result<Vec<TranslationCandidate>, IndexError> {
        let f = self.fields;
        let term = |field: Field, value: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, value),
                IndexRecordOption::Basic,
            ))
        };
        let mut clauses = vec![(Occur::Must, term(f.force, &selection.force))];
        if let Some(operation) = &selection.operation {
            clauses.push((Occur::Must, term(f.operation, operation)));
        }
        match &selection.language {
            Some(language) => clauses.push((Occur::Must, term(f.language, language))),
            None => clauses.push((Occur::MustNot, term(f.language, "en"))),
        }
        if !selection.ids.is_empty() {
            clauses.push((Occur::Must, any_of(f.id, &selection.ids)));
        }
        let searcher = self.reader.searcher();
        let mut found: Vec<tantivy::DocAddress> = searcher
            .search(
                &BooleanQuery::new(clauses),
                &tantivy::collector::DocSetCollector,
            )?
            .into_iter()
            .collect();
        found.sort_unstable();
        let mut out = Vec::new();
        for addr in found {
            if out.len() == limit {
                break;
            }
            let doc: TantivyDocument = searcher.doc(addr)?;
            if !selection.retranslate && doc.get_first(f.translation).is_some() {
                continue;
            }
            let at = doc
                .get_first(f.ingested_at)
                .and_then(|v| v.as_datetime())
                .map_or(0, |d| d.into_timestamp_micros());
            out.push((
                (at, addr),
                TranslationCandidate {
                    id: first_str(&doc, f.id).unwrap_or_default(),
                    title: first_str(&doc, f.title).unwrap_or_default(),
                    bytes: doc
                        .get_first(f.text)
                        .and_then(|v| v.as_str())
                        .map_or(0, |t| t.len() as u64),
                },
            ));
        }
        out.sort_by_key(|(order, _)| *order);
        Ok(out.into_iter().map(|(_, c)| c).collect())
    }

    /// Every stored document searched for the names its force's gazetteer knows
    /// (`gazetteer_of(force)`; `None` skips the force's documents): `(id, force, person
    /// mentions)` for the documents that name someone. Blocking; run it on the CPU pool.
    pub fn find_names<'g>(
        &self,
        gazetteer_of: impl Fn(&str) -> Option<&'g toex_extract::Gazetteer>,
    ) -> Result<Vec<(String, String, Vec<Mention>)>, IndexError> {
        let f = self.fields;
        let searcher = self.reader.searcher();
        let mut out = Vec::new();
        for segment in searcher.segment_readers() {
            let store = segment
                .get_store_reader(64)
                .map_err(|e| IndexError::Tantivy(e.into()))?;
            for doc_id in segment.doc_ids_alive() {
                let doc: TantivyDocument = store.get(doc_id)?;
                let force = first_str(&doc, f.force).unwrap_or_default();
                let Some(gazetteer) = gazetteer_of(&force) else {
                    continue;
                };
                let segments = first_str(&doc, f.segments)
                    .map(|j| segments_from_json(&j))
                    .unwrap_or_default();
                let text = first_str(&doc, f.text).unwrap_or_default();
                let translation = first_str(&doc, f.translation);
                let mentions: Vec<Mention> = toex_extract::extract_document(
                    segments.iter().map(|s| s.text.as_str()),
                    &text,
                    translation.as_deref(),
                    Some(gazetteer),
                )
                .into_iter()
                .filter(|m| m.found.kind == toex_extract::EntityKind::Person)
                .collect();
                if !mentions.is_empty() {
                    out.push((first_str(&doc, f.id).unwrap_or_default(), force, mentions));
                }
            }
        }
        Ok(out)
    }

    /// The files found in the document `id` (an email's attachments, a forwarded
    /// message) that lie inside `scope`, in the order they were ingested, at most `limit`.
    pub fn contents(
        &self,
        id: &str,
        scope: &Scope,
        limit: usize,
    ) -> Result<Vec<Contained>, IndexError> {
        let f = self.fields;
        let searcher = self.reader.searcher();
        let top = searcher.search(
            &self.holding(&document::found_in_key(id), scope),
            &TopDocs::with_limit(limit.max(1))
                .order_by_fast_field::<tantivy::DateTime>("ingested_at", Order::Asc),
        )?;
        let mut out = Vec::with_capacity(top.len());
        for (_, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let provenance: Option<Provenance> =
                first_str(&doc, f.provenance).and_then(|j| serde_json::from_str(&j).ok());
            let path = provenance
                .iter()
                .flat_map(Provenance::parents)
                .find(|parent| parent.document.as_deref() == Some(id))
                .map(|parent| parent.path.clone())
                .unwrap_or_default();
            out.push(Contained {
                id: first_str(&doc, f.id).unwrap_or_default(),
                title: first_str(&doc, f.title).unwrap_or_default(),
                source_type: first_str(&doc, f.source_type).unwrap_or_default(),
                path,
            });
        }
        Ok(out)
    }

    /// Documents inside `scope` that mention `key` (`kind:value`, see
    /// [`toex_extract::EntityKind::key`]), newest first: one hit per mention, at most
    /// `limit` in all.
    pub fn mentioning(
        &self,
        key: &str,
        scope: &Scope,
        limit: usize,
    ) -> Result<Vec<MentionHit>, IndexError> {
        let f = self.fields;
        let searcher = self.reader.searcher();
        let top = searcher.search(
            &self.holding(key, scope),
            &TopDocs::with_limit(limit.max(1))
                .order_by_fast_field::<tantivy::DateTime>("ingested_at", Order::Desc),
        )?;
        let mut hits = Vec::new();
        for (_, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let segments = first_str(&doc, f.segments)
                .map(|j| segments_from_json(&j))
                .unwrap_or_default();
            let text = first_str(&doc, f.text).unwrap_or_default();
            let translation = first_str(&doc, f.translation);
            for mention in mentions_of(&doc, f.entities) {
                if mention.found.kind.key(&mention.found.value) != key || hits.len() >= limit {
                    continue;
                }
                let segment = mention
                    .segment
                    .and_then(|i| segments.get(i as usize))
                    .cloned();
                let within = match (&segment, mention.side) {
                    (Some(s), _) => s.text.as_str(),
                    (None, toex_extract::TextSide::Translation) => {
                        translation.as_deref().unwrap_or_default()
                    }
                    (None, toex_extract::TextSide::Original) => text.as_str(),
                };
                hits.push(MentionHit {
                    id: first_str(&doc, f.id).unwrap_or_default(),
                    title: first_str(&doc, f.title).unwrap_or_default(),
                    force: first_str(&doc, f.force).unwrap_or_default(),
                    operation: first_str(&doc, f.operation),
                    source_type: first_str(&doc, f.source_type).unwrap_or_default(),
                    snippet: mention_excerpt(within, mention.found.start, mention.found.end),
                    segment,
                    mention,
                });
            }
        }
        Ok(hits)
    }

    /// Documents inside `scope` holding the look-up `key` (an identifier's `kind:value`,
    /// a container's `found-in:<id>`).
    fn holding(&self, key: &str, scope: &Scope) -> BooleanQuery {
        let mut clauses = scope_clauses(&self.fields, scope);
        clauses.push((
            Occur::Must,
            Box::new(TermQuery::new(
                Term::from_field_text(self.fields.identifiers, key),
                IndexRecordOption::Basic,
            )),
        ));
        BooleanQuery::new(clauses)
    }
}
