//! Unigram segmentation: the pieces of highest total score (Viterbi), a run of unknown
//! characters as one unknown piece.

use super::SentencePiece;

/// The pieces of `normal` (normalised text) with the highest total score, as ids.
pub(super) fn encode(m: &SentencePiece, normal: &str) -> Vec<u32> {
    let normal: Vec<char> = normal.chars().collect();
    let n = normal.len();
    // best[i]: best score of a segmentation of normal[..i], and where its last piece
    // starts and which piece it is (None: an unknown character).
    let mut best: Vec<(f32, usize, Option<u32>)> = vec![(f32::NEG_INFINITY, 0, None); n + 1];
    best[0].0 = 0.0;
    let mut buf = String::new();
    for start in 0..n {
        let base = best[start].0;
        if base == f32::NEG_INFINITY {
            continue;
        }
        buf.clear();
        let mut matched_single = false;
        for end in start + 1..=n.min(start + m.longest) {
            buf.push(normal[end - 1]);
            if let Some(&id) = m.index.get(buf.as_str()) {
                matched_single |= end == start + 1;
                let score = base + m.pieces[id as usize].score;
                if score > best[end].0 {
                    best[end] = (score, start, Some(id));
                }
            }
        }
        if !matched_single {
            let score = base + m.unk_score;
            if score > best[start + 1].0 {
                best[start + 1] = (score, start, None);
            }
        }
    }
    let mut ids = Vec::new();
    let mut at = n;
    while at > 0 {
        let (_, start, id) = best[at];
        let id = id.unwrap_or(m.unk);
        // A run of unknown characters is one unknown piece.
        if !(id == m.unk && ids.last() == Some(&m.unk)) {
            ids.push(id);
        }
        at = start;
    }
    ids.reverse();
    ids
}
