//! Identifier-aware keyword search: a phone, VRM, postcode, email, handle or bank detail
//! in the query, written any common way, also matches every document holding that
//! identifier through the normalised keys extraction stored, and the hit's segments that
//! hold it are marked where it was written.

use std::collections::HashMap;

use toex_extract::Found;

use super::*;

/// A query as searched: the parsed query, and the identifiers found in it.
pub(super) struct IdentifierQuery {
    pub query: Box<dyn Query>,
    pub found: Vec<Found>,
}

impl SearchIndex {
    /// `query` parsed, each identifier in it matched as written or by its normalised key
    /// (`phone:+447700900001`). Queries with phrases or groups (other than a phone's
    /// `(0)`), and queries whose other words do not parse on their own, are searched as
    /// written.
    pub(super) fn parse_with_identifiers(
        &self,
        query: &str,
    ) -> Result<IdentifierQuery, IndexError> {
        let plain = || {
            Ok(IdentifierQuery {
                query: self.parse(query)?,
                found: Vec::new(),
            })
        };
        if query.contains(['"', '(', ')']) && !query.contains("(0)") {
            return plain();
        }
        let found: Vec<Found> = toex_extract::find_identifiers(query)
            .into_iter()
            .filter(|f| f.kind != toex_extract::EntityKind::Person)
            .collect();
        if found.is_empty() {
            return plain();
        }
        // The words around the identifiers, searched as the user wrote them.
        let chars: Vec<char> = query.chars().collect();
        let mut rest = String::with_capacity(query.len());
        let mut at = 0usize;
        for f in &found {
            rest.extend(&chars[at..f.start as usize]);
            rest.push(' ');
            at = f.end as usize;
        }
        rest.extend(&chars[at.min(chars.len())..]);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if !rest.trim().is_empty() {
            match self.parse(&rest) {
                Ok(q) => clauses.push((Occur::Must, q)),
                Err(_) => return plain(),
            }
        }
        let f = self.fields;
        for id in &found {
            let by_key: Box<dyn Query> = Box::new(TermQuery::new(
                Term::from_field_text(f.identifiers, &id.kind.key(&id.value)),
                IndexRecordOption::Basic,
            ));
            let written = id.text.replace(['"', '\\'], " ");
            let mut either = vec![(Occur::Should, by_key)];
            if let Ok(q) = self.parse(&format!("\"{written}\"")) {
                either.push((Occur::Should, q));
            }
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(either))));
        }
        Ok(IdentifierQuery {
            query: Box::new(BooleanQuery::new(clauses)),
            found,
        })
    }

    /// The document's stored mentions of `found` (the query's identifiers).
    pub(super) fn mentions_of(
        &self,
        doc: &TantivyDocument,
        found: &[Found],
    ) -> Vec<toex_extract::Mention> {
        if found.is_empty() {
            return Vec::new();
        }
        let Some(json) = first_str(doc, self.fields.entities) else {
            return Vec::new();
        };
        let mentions: Vec<toex_extract::Mention> = serde_json::from_str(&json).unwrap_or_default();
        mentions
            .into_iter()
            .filter(|m| {
                found
                    .iter()
                    .any(|f| f.kind == m.found.kind && f.value == m.found.value)
            })
            .collect()
    }
}

/// The query's identifiers a document holds, in the query's order.
pub(super) fn held(found: &[Found], mentions: &[toex_extract::Mention]) -> Vec<Found> {
    found
        .iter()
        .filter(|f| {
            mentions
                .iter()
                .any(|m| m.found.kind == f.kind && m.found.value == f.value)
        })
        .cloned()
        .collect()
}

/// Byte ranges, per segment, where `mentions` were written in the original text.
pub(super) fn written_spans(
    segments: &[toex_formats::Segment],
    mentions: &[toex_extract::Mention],
) -> HashMap<usize, Vec<(usize, usize)>> {
    let mut out: HashMap<usize, Vec<(usize, usize)>> = HashMap::new();
    for m in mentions {
        let (Some(i), toex_extract::TextSide::Original) = (m.segment, m.side) else {
            continue;
        };
        let Some(text) = segments.get(i as usize).map(|s| s.text.as_str()) else {
            continue;
        };
        let byte = |c: u32| {
            text.char_indices()
                .nth(c as usize)
                .map_or(text.len(), |(b, _)| b)
        };
        out.entry(i as usize)
            .or_default()
            .push((byte(m.found.start), byte(m.found.end)));
    }
    out
}
