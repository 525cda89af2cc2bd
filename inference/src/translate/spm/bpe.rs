//! BPE segmentation as SentencePiece does it: the text starts as single characters
//! (user-defined pieces kept whole and never merged); the adjacent pair whose joined
//! text is a piece with the highest score (the leftmost among equals) is merged, again
//! and again, until no pair is a piece; a run of symbols that are not pieces is one
//! unknown piece.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::{PieceKind, SentencePiece};

/// One symbol: a byte range of the normalised text, linked to its neighbours.
#[derive(Clone, Copy)]
struct Symbol {
    start: usize,
    end: usize,
    prev: Option<usize>,
    next: Option<usize>,
    frozen: bool,
}

/// A candidate merge of symbols `left` and `right`, worth `score`; stale once either
/// has changed (its joined length no longer `len`).
struct Pair {
    score: f32,
    left: usize,
    right: usize,
    len: usize,
}

impl PartialEq for Pair {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Pair {}

impl PartialOrd for Pair {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Pair {
    /// Higher score first, then the leftmost.
    fn cmp(&self, other: &Self) -> Ordering {
        self.score
            .total_cmp(&other.score)
            .then_with(|| other.left.cmp(&self.left))
    }
}

/// The BPE pieces of `normal` (normalised text), as ids.
pub(super) fn encode(m: &SentencePiece, normal: &str) -> Vec<u32> {
    let user: Vec<&str> = m
        .pieces
        .iter()
        .filter(|p| p.kind == PieceKind::UserDefined)
        .map(|p| p.text.as_str())
        .collect();
    let mut symbols: Vec<Symbol> = Vec::with_capacity(normal.len());
    let mut at = 0;
    while at < normal.len() {
        let rest = &normal[at..];
        let longest_user = user
            .iter()
            .filter(|u| rest.starts_with(**u))
            .map(|u| u.len())
            .max();
        let len = longest_user.unwrap_or_else(|| rest.chars().next().map_or(1, char::len_utf8));
        let i = symbols.len();
        symbols.push(Symbol {
            start: at,
            end: at + len,
            prev: i.checked_sub(1),
            next: None,
            frozen: longest_user.is_some(),
        });
        if i > 0 {
            symbols[i - 1].next = Some(i);
        }
        at += len;
    }
    let mut agenda = BinaryHeap::new();
    let candidate = |symbols: &[Symbol], left: usize, right: usize| -> Option<Pair> {
        let (l, r) = (symbols[left], symbols[right]);
        if l.frozen || r.frozen {
            return None;
        }
        let id = *m.index.get(&normal[l.start..r.end])?;
        Some(Pair {
            score: m.pieces[id as usize].score,
            left,
            right,
            len: r.end - l.start,
        })
    };
    for i in 1..symbols.len() {
        agenda.extend(candidate(&symbols, i - 1, i));
    }
    while let Some(top) = agenda.pop() {
        let (l, r) = (symbols[top.left], symbols[top.right]);
        // Stale: one side was merged away or has grown since.
        if l.next != Some(top.right) || l.end == l.start || r.end - l.start != top.len {
            continue;
        }
        symbols[top.left].end = r.end;
        symbols[top.left].next = r.next;
        if let Some(n) = r.next {
            symbols[n].prev = Some(top.left);
        }
        symbols[top.right].end = symbols[top.right].start;
        symbols[top.right].next = None;
        if let Some(p) = symbols[top.left].prev {
            agenda.extend(candidate(&symbols, p, top.left));
        }
        if let Some(n) = symbols[top.left].next {
            agenda.extend(candidate(&symbols, top.left, n));
        }
    }
    let mut ids = Vec::new();
    let mut next = (!symbols.is_empty()).then_some(0);
    while let Some(i) = next {
        let s = symbols[i];
        let id = m
            .index
            .get(&normal[s.start..s.end])
            .copied()
            .unwrap_or(m.unk);
        // A run of unknown symbols is one unknown piece, as SentencePiece writes it.
        if !(id == m.unk && ids.last() == Some(&m.unk)) {
            ids.push(id);
        }
        next = s.next;
    }
    ids
}
