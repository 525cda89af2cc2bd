//! The vector side of search: each document's English text cut into chunks of whole
//! segments, embedded, kept in an HNSW graph with the metadata filters need, and the
//! reciprocal rank fusion of keyword and semantic rankings.

use std::collections::{HashMap, HashSet};

use crate::embedding::EMBEDDING_DIM;
use crate::hnsw::Hnsw;
use toex_formats::Segment;

/// Most chunks embedded per document.
pub(crate) const MAX_CHUNKS: usize = 64;
/// The RRF constant (Cormack, Clarke & Büttcher 2009).
pub(crate) const RRF_K: f64 = 60.0;
/// No segment range: the chunk came from text without segments.
const NO_SEGMENT: u32 = u32::MAX;

/// A piece of a document's English text and the segments it spans.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Chunk {
    pub text: String,
    pub first: u32,
    pub last: u32,
}

/// Chunks of English text to embed: the translation when there is one (by lines),
/// else the original when it is English or of unknown language (by segments).
pub(crate) fn chunks(
    text: &str,
    language: Option<&str>,
    translation: Option<&str>,
    segments: &[Segment],
) -> Vec<Chunk> {
    let pieces: Vec<(String, u32)> = match translation {
        Some(t) => t.lines().map(|l| (l.to_owned(), NO_SEGMENT)).collect(),
        None if language.is_none_or(|l| l == "en") => {
            if segments.is_empty() {
                text.lines().map(|l| (l.to_owned(), NO_SEGMENT)).collect()
            } else {
                segments
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (s.text.clone(), i as u32))
                    .collect()
            }
        }
        None => Vec::new(),
    };
    let total_words: usize = pieces.iter().map(|p| p.0.split_whitespace().count()).sum();
    // One chunk per segment (or line) while there are few; packed more densely beyond
    // that, so a hit can point at the segment where it was said.
    let mut per_chunk = total_words.div_ceil(MAX_CHUNKS).max(1);
    loop {
        let packed = pack(&pieces, per_chunk);
        if packed.len() <= MAX_CHUNKS {
            return packed;
        }
        per_chunk += per_chunk / 4 + 1;
    }
}

/// Greedy packing of whole pieces into chunks of at most `per_chunk` words (a longer
/// piece is a chunk of its own).
fn pack(pieces: &[(String, u32)], per_chunk: usize) -> Vec<Chunk> {
    let mut out: Vec<Chunk> = Vec::new();
    let mut words = 0;
    for (line, seg) in pieces {
        let n = line.split_whitespace().count();
        if n == 0 {
            continue;
        }
        match out.last_mut() {
            Some(c) if words + n <= per_chunk => {
                c.text.push('\n');
                c.text.push_str(line);
                c.last = *seg;
                words += n;
            }
            _ => {
                out.push(Chunk {
                    text: line.clone(),
                    first: *seg,
                    last: *seg,
                });
                words = n;
            }
        }
    }
    out
}

/// Stored form of a document's vectors: per chunk, first and last segment (u32 LE)
/// then the vector (f32 LE).
pub(crate) fn encode(chunks: &[(u32, u32, Vec<f32>)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(chunks.len() * (8 + 4 * EMBEDDING_DIM));
    for (first, last, v) in chunks {
        out.extend_from_slice(&first.to_le_bytes());
        out.extend_from_slice(&last.to_le_bytes());
        for x in v {
            out.extend_from_slice(&x.to_le_bytes());
        }
    }
    out
}

pub(crate) fn decode(bytes: &[u8]) -> Vec<(u32, u32, Vec<f32>)> {
    let width = 8 + 4 * EMBEDDING_DIM;
    bytes
        .chunks_exact(width)
        .map(|c| {
            let u = |i: usize| u32::from_le_bytes([c[i], c[i + 1], c[i + 2], c[i + 3]]);
            let v = c[8..]
                .chunks_exact(4)
                .map(|f| f32::from_le_bytes([f[0], f[1], f[2], f[3]]))
                .collect();
            (u(0), u(4), v)
        })
        .collect()
}

/// What a filter needs to know of a document.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DocMeta {
    pub id: String,
    pub force: String,
    pub language: Option<String>,
    pub operation: Option<String>,
    pub source_type: String,
    /// Microseconds since the epoch.
    pub ingested_at: i64,
}

struct Node {
    doc: u32,
    first: u32,
    last: u32,
}

/// The HNSW graph plus, per node, its document and segment range.
pub(crate) struct VectorIndex {
    hnsw: Hnsw,
    nodes: Vec<Node>,
    docs: Vec<DocMeta>,
    by_id: HashMap<String, u32>,
    /// Nodes of documents replaced since (re-ingested): skipped.
    dead: HashSet<u32>,
    live_docs: HashMap<u32, Vec<u32>>,
}

/// A document found by similarity, with its best chunk.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Found {
    pub id: String,
    pub similarity: f32,
    /// Segment range of the best chunk, when it has one.
    pub segments: Option<(u32, u32)>,
}

impl VectorIndex {
    pub fn new() -> Self {
        Self {
            hnsw: Hnsw::new(EMBEDDING_DIM),
            nodes: Vec::new(),
            docs: Vec::new(),
            by_id: HashMap::new(),
            dead: HashSet::new(),
            live_docs: HashMap::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.nodes.len() - self.dead.len()
    }

    /// Adds (or replaces) a document's chunk vectors.
    pub fn add(&mut self, meta: DocMeta, chunks: Vec<(u32, u32, Vec<f32>)>) {
        let doc = match self.by_id.get(&meta.id) {
            Some(&d) => {
                for n in self.live_docs.remove(&d).unwrap_or_default() {
                    self.dead.insert(n);
                }
                self.docs[d as usize] = meta;
                d
            }
            None => {
                let d = self.docs.len() as u32;
                self.by_id.insert(meta.id.clone(), d);
                self.docs.push(meta);
                d
            }
        };
        let mut nodes = Vec::with_capacity(chunks.len());
        for (first, last, v) in chunks {
            let n = self.hnsw.insert(&v);
            debug_assert_eq!(n as usize, self.nodes.len());
            self.nodes.push(Node { doc, first, last });
            nodes.push(n);
        }
        self.live_docs.insert(doc, nodes);
    }

    /// Up to `limit` documents most similar to `query`, among those `accept` lets in.
    pub fn search(
        &self,
        query: &[f32],
        limit: usize,
        accept: impl Fn(&DocMeta) -> bool,
    ) -> Vec<Found> {
        let k = (limit * 4).clamp(16, 2_000);
        let hits = self.hnsw.search(query, k, k.max(64), |n| {
            !self.dead.contains(&n) && accept(&self.docs[self.nodes[n as usize].doc as usize])
        });
        let mut best: HashMap<u32, (f32, u32)> = HashMap::new();
        for (n, sim) in hits {
            let doc = self.nodes[n as usize].doc;
            let e = best.entry(doc).or_insert((sim, n));
            if sim > e.0 {
                *e = (sim, n);
            }
        }
        let mut found: Vec<Found> = best
            .into_iter()
            .map(|(doc, (similarity, n))| {
                let node = &self.nodes[n as usize];
                Found {
                    id: self.docs[doc as usize].id.clone(),
                    similarity,
                    segments: (node.first != NO_SEGMENT).then_some((node.first, node.last)),
                }
            })
            .collect();
        found.sort_by(|a, b| b.similarity.total_cmp(&a.similarity).then(a.id.cmp(&b.id)));
        found.truncate(limit);
        found
    }

    /// Metadata of a document, if it has vectors.
    pub fn meta(&self, id: &str) -> Option<&DocMeta> {
        self.by_id.get(id).map(|&d| &self.docs[d as usize])
    }
}

/// Reciprocal rank fusion: Σ 1/(k + rank) over the rankings each id appears in.
pub(crate) fn rrf(rankings: &[Vec<String>]) -> Vec<(String, f64)> {
    let mut scores: HashMap<&str, f64> = HashMap::new();
    for ranking in rankings {
        for (rank, id) in ranking.iter().enumerate() {
            *scores.entry(id).or_default() += 1.0 / (RRF_K + rank as f64 + 1.0);
        }
    }
    let mut fused: Vec<(String, f64)> = scores
        .into_iter()
        .map(|(id, s)| (id.to_owned(), s))
        .collect();
    fused.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    fused
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_keep_whole_segments_and_the_vectors_round_trip() {
        let segs: Vec<Segment> = (0..5)
            .map(|i| Segment {
                text: "word ".repeat(50) + &i.to_string(),
                ..Default::default()
            })
            .collect();
        let c = chunks("", Some("en"), None, &segs);
        assert_eq!(c.len(), 5, "one chunk per segment: {c:?}");
        assert_eq!((c[1].first, c[1].last), (1, 1));
        let many: Vec<Segment> = (0..200)
            .map(|i| Segment {
                text: format!("short segment {i}"),
                ..Default::default()
            })
            .collect();
        let c = chunks("", None, None, &many);
        assert!(c.len() <= MAX_CHUNKS, "{}", c.len());
        assert_eq!(c[0].first, 0);
        assert!(c[0].last >= 3, "{:?}", c[0]);
        assert!(chunks("نص", Some("ar"), None, &[]).is_empty());
        let t = chunks("نص", Some("ar"), Some("a text\nmore"), &[]);
        assert_eq!((t[0].text.as_str(), t[1].text.as_str()), ("a text", "more"));
        let v = vec![(1, 2, vec![0.5f32; EMBEDDING_DIM])];
        assert_eq!(decode(&encode(&v)), v);
    }

    #[test]
    fn rrf_rewards_agreement() {
        let a = vec!["x".to_owned(), "y".to_owned(), "z".to_owned()];
        let b = vec!["y".to_owned(), "w".to_owned()];
        let fused = rrf(&[a, b]);
        assert_eq!(fused[0].0, "y");
        assert!((fused[0].1 - (1.0 / 62.0 + 1.0 / 61.0)).abs() < 1e-12);
    }
}
