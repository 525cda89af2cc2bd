//! Character classes the analysers ask of every character, answered from bitmaps over the
//! Basic Multilingual Plane built once from the standard library's own answers (so they
//! are the same answers, without its per-character Unicode table search), and the
//! lower-casing rule that uses them.

use std::sync::LazyLock;

use super::rewrite::Rewrite;

/// Bits over U+0000..U+FFFF.
type Plane = [u64; 1024];

/// Per BMP character: whether it is part of a word (alphanumeric, or an Arabic mark kept
/// inside words), and whether lower-casing leaves it as it is.
struct Tables {
    word: Plane,
    lower_fixed: Plane,
}

static TABLES: LazyLock<Box<Tables>> = LazyLock::new(|| {
    let mut t = Box::new(Tables {
        word: [0; 1024],
        lower_fixed: [0; 1024],
    });
    for c in (0..0x1_0000u32).filter_map(char::from_u32) {
        let (i, bit) = ((c as usize) >> 6, 1u64 << (c as u32 & 63));
        if word_char_slow(c) {
            t.word[i] |= bit;
        }
        let mut lower = c.to_lowercase();
        if lower.next() == Some(c) && lower.next().is_none() {
            t.lower_fixed[i] |= bit;
        }
    }
    t
});

fn test(plane: &Plane, c: char) -> Option<bool> {
    let i = c as usize;
    (i < 0x1_0000).then(|| plane[i >> 6] >> (i & 63) & 1 == 1)
}

/// Whether `c` belongs to a word, as [`word_char_slow`] says.
pub(super) fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    test(&TABLES.word, c).unwrap_or_else(|| word_char_slow(c))
}

/// A word is made of letters and digits of any script, and the Arabic marks (diacritics,
/// tatweel) written inside them.
fn word_char_slow(c: char) -> bool {
    c.is_alphanumeric() || super::is_arabic_mark(c)
}

/// Whether lower-casing `c` gives `c` itself.
fn lower_fixed(c: char) -> bool {
    if c.is_ascii() {
        return !c.is_ascii_uppercase();
    }
    test(&TABLES.lower_fixed, c).unwrap_or_else(|| {
        let mut lower = c.to_lowercase();
        lower.next() == Some(c) && lower.next().is_none()
    })
}

/// Lower-cases each word character by character (no final-sigma rule), as tantivy's
/// `LowerCaser` does, leaving a word that has no cased letter (most Arabic) untouched.
#[derive(Clone)]
pub struct Lower;

impl Rewrite for Lower {
    fn rewrite(&self, word: &mut String, scratch: &mut String) -> bool {
        if word.is_ascii() {
            word.make_ascii_lowercase();
        } else if !word.chars().all(lower_fixed) {
            scratch.clear();
            scratch.extend(word.chars().flat_map(char::to_lowercase));
            std::mem::swap(word, scratch);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::tokenizer::{LowerCaser, TextAnalyzer, WhitespaceTokenizer};

    #[test]
    fn the_tables_answer_as_the_standard_library_for_every_character() {
        for c in (0..0x11_0000u32).filter_map(char::from_u32) {
            assert_eq!(is_word_char(c), word_char_slow(c), "{c:?}");
            let mut lower = c.to_lowercase();
            let fixed = lower.next() == Some(c) && lower.next().is_none();
            assert_eq!(lower_fixed(c), fixed, "{c:?}");
        }
    }

    #[test]
    fn lower_gives_what_tantivys_lower_caser_gives() {
        let words = |mut a: TextAnalyzer, text: &str| {
            let mut stream = a.token_stream(text);
            let mut out = Vec::new();
            while let Some(t) = stream.next() {
                out.push(t.text.clone());
            }
            out
        };
        let text = "Meet AT Leeds السيارة ΟΔΟΣ Σίσυφος İstanbul ǅemal STRASSE ﷲ 𐐀𐐨 ẞ أحمد";
        let ours = TextAnalyzer::builder(WhitespaceTokenizer::default())
            .filter(super::super::rewrite::Rewriting(Lower))
            .build();
        let theirs = TextAnalyzer::builder(WhitespaceTokenizer::default())
            .filter(LowerCaser)
            .build();
        assert_eq!(words(ours, text), words(theirs, text));
    }
}
