//! The index schema: every field, its analyser and options, and term filters over them.

use super::*;

#[derive(Clone, Copy)]
pub(super) struct Fields {
    pub(super) id: Field,
    pub(super) title: Field,
    /// The original, any language, through the `multi` analyser (Arabic-aware).
    pub(super) text: Field,
    /// English originals again, stemmed; not stored.
    pub(super) text_en: Field,
    /// Non-English originals as consonant skeletons, so Arabizi finds Arabic script
    /// and the other way round; not stored, weighted low.
    pub(super) text_skel: Field,
    pub(super) translation: Field,
    pub(super) language: Field,
    pub(super) force: Field,
    pub(super) operation: Field,
    pub(super) source_type: Field,
    /// The segments as stored JSON (not indexed; the text is).
    pub(super) segments: Field,
    /// Chunk embeddings of the English text (see `semantic::encode`).
    pub(super) vectors: Field,
    /// The mentions as stored JSON.
    pub(super) entities: Field,
    /// Look-up keys (indexed, not stored): `kind:value` of every identifier and person
    /// mentioned, and `found-in:<id>` of each document the file was found in.
    pub(super) identifiers: Field,
    /// The translation's provenance (stored JSON).
    pub(super) translation_meta: Field,
    /// An analyst's corrected translation (English analyser, stored) and who/when (JSON).
    pub(super) corrected: Field,
    pub(super) correction_meta: Field,
    /// Where the file came from (stored JSON, see `Provenance`).
    pub(super) provenance: Field,
    pub(super) content_hash: Field,
    pub(super) ingested_at: Field,
}

/// The index schema (for tools that compare against plain tantivy on the same schema).
pub fn index_schema() -> Schema {
    build_schema().0
}

pub(super) fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let english = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("en_stem")
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let multi = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analysis::MULTI)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let english_only = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("en_stem")
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let skeleton = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(analysis::SKELETON)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let keyword = STRING | STORED;
    let facet = STRING | STORED | FAST;
    let fields = Fields {
        id: b.add_text_field("id", keyword.clone()),
        title: b.add_text_field("title", multi.clone()),
        text: b.add_text_field("text", multi),
        text_en: b.add_text_field("text_en", english_only),
        text_skel: b.add_text_field("text_skel", skeleton),
        translation: b.add_text_field("translation", english.clone()),
        language: b.add_text_field("language", facet.clone()),
        force: b.add_text_field("force", facet.clone()),
        operation: b.add_text_field("operation", facet.clone()),
        source_type: b.add_text_field("source_type", facet.clone()),
        segments: b.add_text_field("segments", STORED),
        vectors: b.add_bytes_field("vectors", STORED),
        entities: b.add_text_field("entities", STORED),
        identifiers: b.add_text_field("identifiers", STRING),
        translation_meta: b.add_text_field("translation_meta", STORED),
        corrected: b.add_text_field("corrected", english.clone()),
        correction_meta: b.add_text_field("correction_meta", STORED),
        provenance: b.add_text_field("provenance", STORED),
        content_hash: b.add_text_field("content_hash", keyword),
        ingested_at: b.add_date_field("ingested_at", INDEXED | STORED | FAST),
    };
    (b.build(), fields)
}

/// The clauses that keep a query inside `scope`: one of its forces and, when it is
/// confined, one of its operations.
pub(super) fn scope_clauses(f: &Fields, scope: &Scope) -> Vec<(Occur, Box<dyn Query>)> {
    let mut clauses = vec![(Occur::Must, any_of(f.force, scope.forces()))];
    if let Some(ops) = scope.operations() {
        clauses.push((Occur::Must, any_of(f.operation, ops)));
    }
    clauses
}

pub(super) fn any_of(field: Field, values: &[String]) -> Box<dyn Query> {
    let terms = values
        .iter()
        .map(|v| {
            let q: Box<dyn Query> = Box::new(TermQuery::new(
                Term::from_field_text(field, v),
                IndexRecordOption::Basic,
            ));
            (Occur::Should, q)
        })
        .collect();
    // A filter: it confines, it does not rank.
    Box::new(ConstScoreQuery::new(
        Box::new(BooleanQuery::new(terms)),
        0.0,
    ))
}
