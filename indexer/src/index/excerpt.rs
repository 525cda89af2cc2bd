//! `Excerpt`: a piece of stored text and the byte ranges a query matched in it. The
//! engine answers with excerpts; whoever shows them (GraphQL, a CLI) chooses the markup.

use std::ops::Range;

use serde::Serialize;

/// Text cut from a stored field, with the places the query matched.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Excerpt {
    pub text: String,
    /// Byte ranges of `text` that matched: sorted, disjoint, on character boundaries.
    pub marks: Vec<Range<usize>>,
    /// The stored text goes on before `text`.
    pub cut_before: bool,
    /// The stored text goes on after `text`.
    pub cut_after: bool,
}

impl Excerpt {
    /// `text` whole, nothing matched in it.
    pub fn whole(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }

    /// `text` with `marks`; marks off character boundaries or outside the text are
    /// dropped, overlapping or touching ones merged.
    pub fn marked(text: impl Into<String>, marks: impl IntoIterator<Item = Range<usize>>) -> Self {
        let text = text.into();
        let mut marks: Vec<Range<usize>> = marks
            .into_iter()
            .filter(|m| {
                m.start < m.end
                    && m.end <= text.len()
                    && text.is_char_boundary(m.start)
                    && text.is_char_boundary(m.end)
            })
            .collect();
        marks.sort_unstable_by_key(|m| (m.start, m.end));
        let mut merged: Vec<Range<usize>> = Vec::with_capacity(marks.len());
        for m in marks {
            match merged.last_mut() {
                Some(last) if m.start <= last.end => last.end = last.end.max(m.end),
                _ => merged.push(m),
            }
        }
        Self {
            text,
            marks: merged,
            cut_before: false,
            cut_after: false,
        }
    }

    /// The first `chars` characters of `text`, nothing matched.
    pub fn opening(text: &str, chars: usize) -> Self {
        let end = text
            .char_indices()
            .nth(chars)
            .map_or(text.len(), |(i, _)| i);
        Self {
            cut_after: end < text.len(),
            ..Self::whole(&text[..end])
        }
    }

    /// Up to `context` characters either side of the character range `[start, end)` of
    /// `text`, that range marked.
    pub fn around(text: &str, start: usize, end: usize, context: usize) -> Self {
        let boundaries: Vec<usize> = text
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(text.len()))
            .collect();
        let chars = boundaries.len() - 1;
        let (start, end) = (start.min(chars), end.min(chars));
        let start = start.min(end);
        let (from, to) = (start.saturating_sub(context), (end + context).min(chars));
        let at = |c: usize| boundaries[c] - boundaries[from];
        Self {
            cut_before: from > 0,
            cut_after: to < chars,
            ..Self::marked(
                &text[boundaries[from]..boundaries[to]],
                std::iter::once(at(start)..at(end)),
            )
        }
    }

    /// Whether the query matched anything in it.
    pub fn is_marked(&self) -> bool {
        !self.marks.is_empty()
    }

    /// The text in order as pieces, each with whether it is a match.
    pub fn pieces(&self) -> impl Iterator<Item = (&str, bool)> {
        let mut pieces = Vec::with_capacity(self.marks.len() * 2 + 1);
        let mut at = 0;
        for m in &self.marks {
            if m.start > at {
                pieces.push((&self.text[at..m.start], false));
            }
            pieces.push((&self.text[m.clone()], true));
            at = m.end;
        }
        if at < self.text.len() {
            pieces.push((&self.text[at..], false));
        }
        pieces.into_iter()
    }
}

impl From<tantivy::snippet::Snippet> for Excerpt {
    /// The snippet's fragment and highlights; whether it was cut is for the caller to
    /// set, since only the caller knows the whole text's length.
    fn from(snippet: tantivy::snippet::Snippet) -> Self {
        let marks = snippet.highlighted().to_vec();
        Self::marked(snippet.fragment(), marks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_are_sorted_merged_and_kept_on_character_boundaries() {
        // Two bytes a letter: 1..6 and 8..9 start or end inside one; 7..200 runs out.
        let e = Excerpt::marked("شفت السيارة", [7..9, 2..6, 0..2, 1..6, 8..9, 7..200]);
        assert_eq!(e.marks, vec![0..6, 7..9]);
        let pieces: Vec<_> = e.pieces().collect();
        assert_eq!(
            pieces,
            vec![("شفت", true), (" ", false), ("ا", true), ("لسيارة", false)]
        );
    }

    #[test]
    fn around_counts_characters_and_says_where_it_was_cut() {
        let text = "أبو خالد met Sophie at the station";
        let start = text.chars().position(|c| c == 'S').unwrap();
        let e = Excerpt::around(text, start, start + 6, 4);
        assert_eq!(e.text, "met Sophie at ");
        assert_eq!(&e.text[e.marks[0].clone()], "Sophie");
        assert!(e.cut_before && e.cut_after);
        let whole = Excerpt::around(text, start, start + 6, 100);
        assert!(!whole.cut_before && !whole.cut_after);
        assert_eq!(whole.text, text);
    }

    #[test]
    fn opening_stops_at_a_character_not_a_byte() {
        let e = Excerpt::opening("السيارة عند الكراج", 7);
        assert_eq!(e.text, "السيارة");
        assert!(e.cut_after && !e.is_marked());
        assert!(!Excerpt::opening("short", 200).cut_after);
    }
}
