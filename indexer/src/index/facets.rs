//! Facet counts over every match: each segment counts the term ordinals of the four
//! keyword columns in an array (no per-document hashing or strings), and only the
//! ordinals that were counted are turned into values when the segments are merged.

use std::collections::HashMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use super::results::{FACET_FIELDS, FACET_MEMORY_BYTES, FacetCount, Facets, FacetsWanted};

/// Most values listed per facet (the commonest).
const MAX_VALUES: usize = 100;

/// Counts matching documents per language, force, operation and source type (those
/// asked for).
pub(super) struct FacetCounter(pub(super) FacetsWanted);

/// One segment's counts, per facet: its column and a count per term ordinal.
pub(super) struct SegmentFacets {
    columns: Vec<Option<(StrColumn, Vec<u32>)>>,
}

/// Per facet, the values counted and their counts.
type Counted = Vec<HashMap<String, u64>>;

impl Collector for FacetCounter {
    type Fruit = Facets;
    type Child = SegmentFacets;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentFacets> {
        let fast = reader.fast_fields();
        let columns = FACET_FIELDS
            .iter()
            .zip(self.0.each())
            .map(|(name, wanted)| {
                if !wanted {
                    return Ok(None);
                }
                let column = fast.str(name)?.filter(|c| {
                    c.num_terms().saturating_mul(size_of::<u32>()) <= FACET_MEMORY_BYTES
                });
                Ok(column.map(|column| {
                    let terms = column.num_terms();
                    (column, vec![0u32; terms])
                }))
            })
            .collect::<tantivy::Result<_>>()?;
        Ok(SegmentFacets { columns })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<Counted>) -> tantivy::Result<Facets> {
        let mut total: Counted = vec![HashMap::new(); FACET_FIELDS.len()];
        for segment in segments {
            for (into, from) in total.iter_mut().zip(segment) {
                for (value, count) in from {
                    *into.entry(value).or_default() += count;
                }
            }
        }
        let mut facets = total.into_iter().map(listed);
        let mut next = || facets.next().unwrap_or_default();
        Ok(Facets {
            languages: next(),
            forces: next(),
            operations: next(),
            source_types: next(),
        })
    }
}

impl SegmentCollector for SegmentFacets {
    type Fruit = Counted;

    fn collect(&mut self, doc: DocId, _score: Score) {
        for (column, counts) in self.columns.iter_mut().flatten() {
            for ord in column.term_ords(doc) {
                if let Some(count) = counts.get_mut(ord as usize) {
                    *count += 1;
                }
            }
        }
    }

    fn harvest(self) -> Counted {
        self.columns
            .into_iter()
            .map(|column| {
                let Some((column, counts)) = column else {
                    return HashMap::new();
                };
                let mut values = HashMap::new();
                let mut value = String::new();
                for (ord, &count) in counts.iter().enumerate() {
                    if count > 0 && column.ord_to_str(ord as u64, &mut value).unwrap_or(false) {
                        values.insert(value.clone(), u64::from(count));
                    }
                }
                values
            })
            .collect()
    }
}

/// The commonest values first, ties in alphabetical order, at most [`MAX_VALUES`].
fn listed(counts: HashMap<String, u64>) -> Vec<FacetCount> {
    let mut out: Vec<FacetCount> = counts
        .into_iter()
        .map(|(value, count)| FacetCount { value, count })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    out.truncate(MAX_VALUES);
    out
}
