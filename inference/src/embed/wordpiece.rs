//! The BERT uncased tokenizer: text cleaning, CJK splitting, lower-casing and accent
//! stripping, punctuation splitting, then greedy longest-match WordPiece over `vocab.txt`.

use std::collections::HashMap;
use std::path::Path;

use unicode_normalization::UnicodeNormalization;

use crate::InferenceError;

/// A WordPiece vocabulary and its special tokens.
#[derive(Debug, Clone)]
pub struct WordPiece {
    vocab: HashMap<String, u32>,
    unk: u32,
    cls: u32,
    sep: u32,
}

/// Longest word (in characters) WordPiece tries; longer ones become `[UNK]`.
const MAX_WORD_CHARS: usize = 100;

impl WordPiece {
    /// Reads `vocab.txt` (one token per line; the line number is the id).
    pub fn from_vocab_file(path: &Path) -> Result<Self, InferenceError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| InferenceError::Model(format!("{}: {e}", path.display())))?;
        Self::from_vocab(text.lines())
    }

    pub fn from_vocab<'a>(lines: impl Iterator<Item = &'a str>) -> Result<Self, InferenceError> {
        let vocab: HashMap<String, u32> = lines
            .enumerate()
            .map(|(i, t)| (t.trim_end_matches('\r').to_owned(), i as u32))
            .collect();
        let id = |t: &str| {
            vocab
                .get(t)
                .copied()
                .ok_or_else(|| InferenceError::Model(format!("the vocabulary has no {t}")))
        };
        Ok(Self {
            unk: id("[UNK]")?,
            cls: id("[CLS]")?,
            sep: id("[SEP]")?,
            vocab,
        })
    }

    /// `[CLS] pieces… [SEP]`, at most `max_len` ids in all.
    pub fn encode(&self, text: &str, max_len: usize) -> Vec<u32> {
        let mut ids = vec![self.cls];
        let budget = max_len.saturating_sub(2);
        'words: for word in basic_tokens(text) {
            for id in self.pieces(&word) {
                if ids.len() > budget {
                    break 'words;
                }
                ids.push(id);
            }
        }
        ids.push(self.sep);
        ids
    }

    fn pieces(&self, word: &str) -> Vec<u32> {
        let chars: Vec<char> = word.chars().collect();
        if chars.len() > MAX_WORD_CHARS {
            return vec![self.unk];
        }
        let mut out = Vec::new();
        let mut start = 0;
        let mut candidate = String::new();
        while start < chars.len() {
            let mut end = chars.len();
            let mut found = None;
            while start < end {
                candidate.clear();
                if start > 0 {
                    candidate.push_str("##");
                }
                candidate.extend(&chars[start..end]);
                if let Some(&id) = self.vocab.get(&candidate) {
                    found = Some(id);
                    break;
                }
                end -= 1;
            }
            match found {
                Some(id) => out.push(id),
                None => return vec![self.unk],
            }
            start = end;
        }
        out
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0x2A700..=0x2B73F
        | 0x2B740..=0x2B81F | 0x2B820..=0x2CEAF | 0xF900..=0xFAFF | 0x2F800..=0x2FA1F)
}

fn is_punctuation(c: char) -> bool {
    let u = c as u32;
    (33..=47).contains(&u)
        || (58..=64).contains(&u)
        || (91..=96).contains(&u)
        || (123..=126).contains(&u)
        || unicode_categories::UnicodeCategories::is_punctuation(c)
}

/// Lower-cased, accent-stripped words and punctuation marks, as BERT's basic tokenizer.
fn basic_tokens(text: &str) -> Vec<String> {
    let mut cleaned = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '\0' || c == '\u{fffd}' {
            continue;
        }
        if c.is_whitespace() {
            cleaned.push(' ');
        } else if c.is_control() {
            continue;
        } else if is_cjk(c) {
            cleaned.push(' ');
            cleaned.push(c);
            cleaned.push(' ');
        } else {
            cleaned.push(c);
        }
    }
    let mut out = Vec::new();
    for word in cleaned.split_whitespace() {
        let folded: String = word
            .to_lowercase()
            .nfd()
            .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
            .collect();
        let mut current = String::new();
        for c in folded.chars() {
            if is_punctuation(c) {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
                out.push(c.to_string());
            } else {
                current.push(c);
            }
        }
        if !current.is_empty() {
            out.push(current);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_into_pieces_like_bert() {
        let vocab = [
            "[PAD]", "[UNK]", "[CLS]", "[SEP]", "the", "van", "un", "##aff", "##able", ",", "cafe",
            "!",
        ];
        let wp = WordPiece::from_vocab(vocab.into_iter()).unwrap();
        assert_eq!(
            wp.encode("The VAN, unaffable!", 64),
            [2, 4, 5, 9, 6, 7, 8, 11, 3]
        );
        // Accents stripped; an unknown word is one [UNK].
        assert_eq!(wp.encode("Café xyz", 64), [2, 10, 1, 3]);
        // Truncation keeps [CLS] and [SEP].
        assert_eq!(wp.encode("the the the the", 4), [2, 4, 4, 3]);
    }
}
