//! Writing: documents added with one commit (validated, embedded, replacing the same
//! content), and an analyst's correction of a translation.

use super::*;

impl SearchIndex {
    /// Adds documents and commits once. A document already present (same content hash)
    /// is replaced, never duplicated, and keeps its first ingest time (a translation or
    /// correction added later does not make it new). Returns the ids in input order.
    pub fn add_documents(&self, docs: &[NewDocument]) -> Result<Vec<String>, IndexError> {
        Ok(self
            .add_documents_hashed(docs)?
            .into_iter()
            .map(|a| a.id)
            .collect())
    }

    /// [`SearchIndex::add_documents`], with each document's content hash beside its id
    /// (the text is hashed once, here).
    pub fn add_documents_hashed(&self, docs: &[NewDocument]) -> Result<Vec<Added>, IndexError> {
        self.add_documents_at(docs, &vec![Utc::now().timestamp_micros(); docs.len()])
    }

    /// [`Self::add_documents_hashed`] with each document's ingest time given
    /// (microseconds since the epoch): replicas applying the same entries of the index
    /// log store the same times.
    pub fn add_documents_at(
        &self,
        docs: &[NewDocument],
        at_micros: &[i64],
    ) -> Result<Vec<Added>, IndexError> {
        self.add_documents_embedded(docs, at_micros, &vec![None; docs.len()])
    }

    /// [`Self::add_documents_at`] with vectors made elsewhere (one entry per document): a
    /// document's [`Embedded`] made by this index's model (or by any, where this index
    /// has none) is stored as it came; the others are embedded here.
    pub fn add_documents_embedded(
        &self,
        docs: &[NewDocument],
        at_micros: &[i64],
        given: &[Option<Embedded>],
    ) -> Result<Vec<Added>, IndexError> {
        for doc in docs {
            doc.validate()?;
        }
        let f = self.fields;
        let embedded = self.vectors_for(docs, given)?;
        if at_micros.len() != docs.len() {
            return Err(IndexError::InvalidDocument(
                "one ingest time per document".to_owned(),
            ));
        }
        let mut times = Vec::with_capacity(docs.len());
        let mut writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        // A delete costs a term look-up in every segment at commit: only documents that
        // are there already (or twice in this batch) are deleted before they are added.
        let searcher = self.reader.searcher();
        // The documents of this batch by id: their title and provenance, for a repeat.
        let mut in_batch: std::collections::HashMap<String, (String, Option<Provenance>)> =
            std::collections::HashMap::with_capacity(docs.len());
        let mut ids = Vec::with_capacity(docs.len());
        for ((doc, vectors), &micros) in docs.iter().zip(&embedded).zip(at_micros) {
            let hash = doc.content_hash();
            let id = NewDocument::id_of(&hash);
            let term = Term::from_field_text(f.id, &id);
            let mut at = tantivy::DateTime::from_timestamp_micros(micros);
            let mut provenance = doc.provenance.clone();
            let mut earlier = in_batch.get(&id).cloned();
            if earlier.is_some() || searcher.doc_freq(&term)? > 0 {
                if let Some(addr) = self.address_of(&searcher, &id)? {
                    let old: TantivyDocument = searcher.doc(addr)?;
                    if let Some(first) = old.get_first(f.ingested_at).and_then(|v| v.as_datetime())
                    {
                        at = first;
                    }
                    if earlier.is_none() {
                        earlier = Some((
                            first_str(&old, f.title).unwrap_or_default(),
                            first_str(&old, f.provenance)
                                .and_then(|j| serde_json::from_str(&j).ok()),
                        ));
                    }
                }
                writer.delete_term(term);
            }
            // The same file found again: stored once, remembering every place.
            if let (Some(p), Some((name, Some(before)))) = (&mut provenance, earlier) {
                p.remember_places(&doc.title, &name, before);
            }
            in_batch.insert(id.clone(), (doc.title.clone(), provenance.clone()));
            times.push(at);
            let mut d = TantivyDocument::default();
            d.add_text(f.id, &id);
            searchable_fields(&f, doc, &mut d);
            if let Some(m) = &doc.translation_meta {
                d.add_text(
                    f.translation_meta,
                    serde_json::to_string(m).unwrap_or_default(),
                );
            }
            if let Some(p) = &provenance {
                d.add_text(f.provenance, serde_json::to_string(p).unwrap_or_default());
            }
            if let Some(c) = &doc.correction {
                d.add_text(
                    f.correction_meta,
                    serde_json::json!({"by": c.by, "at": c.at}).to_string(),
                );
            }
            if !doc.segments.is_empty() {
                d.add_text(f.segments, segments_json(&doc.segments));
            }
            if !vectors.is_empty() {
                d.add_bytes(f.vectors, &semantic::encode(vectors));
            }
            if !doc.mentions.is_empty() {
                d.add_text(
                    f.entities,
                    serde_json::to_string(&doc.mentions).unwrap_or_default(),
                );
            }
            // The containers' documents, so each can list what was found in it.
            for container in provenance.iter().flat_map(Provenance::containers) {
                d.add_text(f.identifiers, document::found_in_key(container));
            }
            d.add_text(f.content_hash, &hash);
            d.add_date(f.ingested_at, at);
            writer.add_document(d)?;
            ids.push(Added {
                id,
                content_hash: hash,
            });
        }
        writer.commit()?;
        drop(writer);
        self.reader.reload()?;
        let mut index = self.vectors.write().unwrap_or_else(|p| p.into_inner());
        for (((doc, added), vectors), at) in docs.iter().zip(&ids).zip(embedded).zip(times) {
            if !vectors.is_empty() {
                let meta = DocMeta {
                    id: added.id.clone(),
                    force: doc.force.clone(),
                    language: doc.language.clone(),
                    operation: doc.operation.clone(),
                    source_type: doc.source_type.clone(),
                    ingested_at: at.into_timestamp_micros(),
                };
                index.add(meta, vectors);
            }
        }
        drop(index);
        // Searches from now on see this commit: none is answered from before it.
        self.results.invalidate();
        Ok(ids)
    }

    /// Each document's vectors: those `given` where this index takes them, the others
    /// embedded here.
    fn vectors_for(
        &self,
        docs: &[NewDocument],
        given: &[Option<Embedded>],
    ) -> Result<Vec<ChunkVectors>, IndexError> {
        if given.len() != docs.len() {
            return Err(IndexError::InvalidDocument(
                "one set of vectors (or none) per document".to_owned(),
            ));
        }
        let here = self.embedder.as_ref().map(|e| e.model_id());
        let mut out = vec![Vec::new(); docs.len()];
        let mut missing = Vec::new();
        for (i, g) in given.iter().enumerate() {
            match g {
                Some(e) if here.is_none_or(|m| m == e.model) => out[i] = e.chunks()?,
                _ => missing.push(i),
            }
        }
        let wanted: Vec<&NewDocument> = missing.iter().map(|&i| &docs[i]).collect();
        for (i, vectors) in missing.into_iter().zip(self.embed_documents(&wanted)?) {
            out[i] = vectors;
        }
        Ok(out)
    }

    /// Each document's vectors, made here by this index's model, to be stored by other
    /// indexes too (`None` each without a model).
    pub fn embed(&self, docs: &[NewDocument]) -> Result<Vec<Option<Embedded>>, IndexError> {
        let Some(embedder) = &self.embedder else {
            return Ok(vec![None; docs.len()]);
        };
        let docs: Vec<&NewDocument> = docs.iter().collect();
        Ok(self
            .embed_documents(&docs)?
            .iter()
            .map(|chunks| Some(Embedded::of(embedder.model_id(), chunks)))
            .collect())
    }

    /// Chunk vectors per document (empty without a model or English text).
    pub(super) fn embed_documents(
        &self,
        docs: &[&NewDocument],
    ) -> Result<Vec<ChunkVectors>, IndexError> {
        let Some(embedder) = &self.embedder else {
            return Ok(vec![Vec::new(); docs.len()]);
        };
        let chunked: Vec<Vec<semantic::Chunk>> = docs.iter().map(|d| d.chunks()).collect();
        let texts: Vec<&str> = chunked.iter().flatten().map(|c| c.text.as_str()).collect();
        let mut vectors = embedder.embed(&texts)?.into_iter();
        Ok(chunked
            .iter()
            .map(|cs| {
                cs.iter()
                    .filter_map(|c| vectors.next().map(|v| (c.first, c.last, v)))
                    .collect()
            })
            .collect())
    }

    /// Keeps an analyst's corrected translation of document `id` beside the machine one
    /// (which stays as it was), with who made it and when; the document is re-indexed
    /// whole, so search finds the corrected words. `None` when the document is not there
    /// inside `scope`.
    pub fn correct_translation(
        &self,
        id: &str,
        scope: &Scope,
        text: &str,
        by: &str,
    ) -> Result<Option<StoredDocument>, IndexError> {
        let Some(doc) = self.corrected(id, scope, text, by)? else {
            return Ok(None);
        };
        self.add_documents(std::slice::from_ref(&doc))?;
        self.get(id, scope)
    }

    /// Document `id` as it would be stored with `text` as its corrected translation
    /// (checked, not written); `None` when it is not there inside `scope`.
    pub fn corrected(
        &self,
        id: &str,
        scope: &Scope,
        text: &str,
        by: &str,
    ) -> Result<Option<NewDocument>, IndexError> {
        if text.trim().is_empty() || text.len() > MAX_TEXT_BYTES {
            return Err(IndexError::InvalidDocument(format!(
                "a corrected translation must be 1 to {MAX_TEXT_BYTES} bytes"
            )));
        }
        let Some(stored) = self.get(id, scope)? else {
            return Ok(None);
        };
        Ok(Some(NewDocument {
            title: stored.title,
            text: stored.text,
            language: stored.language,
            translation: stored.translation,
            force: stored.force,
            operation: stored.operation,
            source_type: stored.source_type,
            segments: stored.segments,
            mentions: stored.mentions,
            translation_meta: stored.translation_meta,
            correction: Some(Correction {
                text: text.to_owned(),
                by: by.to_owned(),
                at: Utc::now().to_rfc3339(),
            }),
            provenance: stored.provenance,
        }))
    }
}

/// The names segments were written or spoken by, each once, a line each.
fn speakers_of(segments: &[toex_formats::Segment]) -> String {
    let mut names: Vec<&str> = segments
        .iter()
        .filter_map(|s| s.speaker.as_deref())
        .filter(|n| !n.trim().is_empty())
        .collect();
    names.sort_unstable();
    names.dedup();
    names.join("\n")
}

/// The fields a query can match of a new document: its words (original, English,
/// skeleton, translation, correction, speakers), title, language, force, operation,
/// source type and the keys of the identifiers it mentions. Indexing adds the stored
/// rest; percolation indexes only these.
pub(super) fn searchable_fields(f: &Fields, doc: &NewDocument, d: &mut TantivyDocument) {
    d.add_text(f.title, &doc.title);
    d.add_text(f.text, &doc.text);
    if doc.language.as_deref().is_none_or(|l| l == "en") {
        d.add_text(f.text_en, &doc.text);
    }
    if doc.language.as_deref() != Some("en") {
        d.add_text(f.text_skel, &doc.text);
    }
    // Who wrote each message or spoke each line: searchable, in any script through the
    // skeleton, without entering the stored text.
    let speakers = speakers_of(&doc.segments);
    if !speakers.is_empty() {
        if doc.language.as_deref().is_none_or(|l| l == "en") {
            d.add_text(f.text_en, &speakers);
        }
        d.add_text(f.text_skel, &speakers);
    }
    if let Some(t) = &doc.translation {
        d.add_text(f.translation, t);
    }
    if let Some(c) = &doc.correction {
        d.add_text(f.corrected, &c.text);
    }
    if let Some(l) = &doc.language {
        d.add_text(f.language, l);
    }
    d.add_text(f.force, &doc.force);
    if let Some(o) = &doc.operation {
        d.add_text(f.operation, o);
    }
    d.add_text(f.source_type, &doc.source_type);
    let mut keys: Vec<String> = doc
        .mentions
        .iter()
        .map(|m| m.found.kind.key(&m.found.value))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    for key in keys {
        d.add_text(f.identifiers, key);
    }
}
