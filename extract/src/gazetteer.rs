//! Names of persons already in the graph, found in running text. Names and aliases are
//! reduced to per-word transliteration keys ([`crate::names`]), so محمد حسن finds
//! Mohammed Hassan and Mo7ammed Hasan; the text is keyed word by word and matched
//! against the keyed names, longest first. Only names of two or more words are entries:
//! a lone first name would match half the city.

use std::cell::RefCell;
use std::collections::HashMap;

use crate::names::{name_keys, word_key};
use crate::{EntityKind, Found};

/// A name shared by more persons than this is too common to link anyone by.
pub const MAX_CANDIDATES: usize = 5;
/// Longest entry, in words.
const MAX_WORDS: usize = 5;

/// A person the gazetteer can find.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownPerson {
    pub id: String,
    /// The name as recorded, then aliases and transliterations.
    pub names: Vec<String>,
}

/// Keyed names of known persons.
#[derive(Debug, Default)]
pub struct Gazetteer {
    /// Word keys of a name, joined by a space → the persons carrying it.
    entries: HashMap<String, Vec<u32>>,
    /// First-word keys of every entry, to skip most words at once.
    starts: HashMap<String, u8>,
    persons: Vec<String>,
}

impl Gazetteer {
    pub fn new(persons: impl IntoIterator<Item = KnownPerson>) -> Self {
        let mut g = Gazetteer::default();
        for person in persons {
            let index = g.persons.len() as u32;
            g.persons.push(person.id);
            for name in &person.names {
                let keys = name_keys(name);
                let mut variants = Vec::new();
                if (2..=MAX_WORDS).contains(&keys.len()) {
                    variants.push(keys.clone());
                }
                // "Mohammed Ali Hassan" is often written "Mohammed Hassan".
                if keys.len() >= 3 {
                    variants.push(vec![keys[0].clone(), keys[keys.len() - 1].clone()]);
                }
                for v in variants {
                    let longest = g.starts.entry(v[0].clone()).or_insert(0);
                    *longest = (*longest).max(v.len() as u8);
                    let ids = g.entries.entry(v.join(" ")).or_default();
                    if !ids.contains(&index) {
                        ids.push(index);
                    }
                }
            }
        }
        g
    }

    /// How many persons it knows.
    pub fn len(&self) -> usize {
        self.persons.len()
    }

    pub fn is_empty(&self) -> bool {
        self.persons.is_empty()
    }

    /// Every known name in `text`: one [`Found`] per person carrying it (value = person
    /// id, `candidates` = how many do), longest name first, never overlapping.
    pub fn find(&self, text: &str) -> Vec<Found> {
        if self.entries.is_empty() {
            return Vec::new();
        }
        let words = keyed(text);
        let chars: Vec<(usize, char)> = if text.is_ascii() {
            Vec::new()
        } else {
            text.char_indices().collect()
        };
        let slice = |start: usize, end: usize| -> String {
            if chars.is_empty() {
                text[start..end].to_owned()
            } else {
                let b0 = chars[start].0;
                let b1 = chars.get(end).map_or(text.len(), |c| c.0);
                text[b0..b1].to_owned()
            }
        };
        let mut out = Vec::new();
        let mut i = 0;
        while i < words.len() {
            let Some(&longest) = self.starts.get(&words[i].0) else {
                i += 1;
                continue;
            };
            let mut matched = 0;
            for len in (2..=usize::from(longest).min(words.len() - i)).rev() {
                let key = words[i..i + len]
                    .iter()
                    .map(|w| w.0.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                if let Some(ids) = self.entries.get(&key) {
                    if ids.len() <= MAX_CANDIDATES {
                        let (start, end) = (words[i].1, words[i + len - 1].2);
                        for &id in ids {
                            out.push(Found {
                                kind: EntityKind::Person,
                                value: self.persons[id as usize].clone(),
                                text: slice(start, end),
                                start: start as u32,
                                end: end as u32,
                                candidates: ids.len() as u32,
                            });
                        }
                    }
                    matched = len;
                    break;
                }
            }
            i += matched.max(1);
        }
        out
    }
}

thread_local! {
    /// Word → key, per thread: running text repeats its words, and keying one costs
    /// a transliteration and two allocations.
    static KEYS: RefCell<HashMap<String, Option<String>>> = RefCell::new(HashMap::new());
}
const KEY_CACHE_WORDS: usize = 200_000;

/// The words of `text` with their keys and character offsets.
fn keyed(text: &str) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    KEYS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() > KEY_CACHE_WORDS {
            cache.clear();
        }
        let mut start = None;
        let mut count = 0;
        let mut word = String::new();
        let mut push = |word: &mut String, start: usize, end: usize| {
            let key = match cache.get(word.as_str()) {
                Some(k) => k.clone(),
                None => {
                    let k = word_key(word);
                    cache.insert(word.clone(), k.clone());
                    k
                }
            };
            if let Some(key) = key {
                out.push((key, start, end));
            }
            word.clear();
        };
        for (i, c) in text.chars().enumerate() {
            count = i + 1;
            if crate::names::is_word_char(c) {
                start.get_or_insert(i);
                word.push(c);
            } else if let Some(s) = start.take() {
                push(&mut word, s, i);
            }
        }
        if let Some(s) = start {
            push(&mut word, s, count);
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gazetteer() -> Gazetteer {
        Gazetteer::new([
            KnownPerson {
                id: "P1".into(),
                names: vec!["Mohammed Al-Hassan".into(), "محمد الحسن".into()],
            },
            KnownPerson {
                id: "P2".into(),
                names: vec!["Kelly Ann Marsh".into()],
            },
            KnownPerson {
                id: "P3".into(),
                names: vec!["Jay".into()],
            },
        ])
    }

    #[test]
    fn names_are_found_across_scripts_and_spellings() {
        let g = gazetteer();
        for text in [
            "I saw Mohammed Hassan at the shop",
            "شفت محمد الحسن امس",
            "mo7ammed el-hasan came",
            "MUHAMMAD HASAN",
        ] {
            let f = g.find(text);
            assert_eq!(f.len(), 1, "{text}");
            assert_eq!(f[0].value, "P1");
            assert_eq!(f[0].candidates, 1);
        }
        let f = g.find("picked up by Kelly Marsh");
        assert_eq!(f[0].value, "P2");
        assert_eq!(f[0].text, "Kelly Marsh");
        assert_eq!((f[0].start, f[0].end), (13, 24));
        assert!(g.find("Jay said hello to Mohammed").is_empty());
    }

    #[test]
    fn running_text_is_keyed_with_character_offsets() {
        let words = keyed("رأيت محمد الحسن, and Mo7ammed!");
        let keys: Vec<&str> = words.iter().map(|(k, _, _)| k.as_str()).collect();
        assert_eq!(keys, ["rt", "mhmd", "hsn", "nd", "mhmd"]);
        assert_eq!((words[1].1, words[1].2), (5, 9));
        assert_eq!((words[4].1, words[4].2), (21, 29));
    }

    #[test]
    fn offsets_in_arabic_are_characters() {
        let f = gazetteer().find("شفت محمد الحسن امس");
        assert_eq!((f[0].start, f[0].end), (4, 14));
        assert_eq!(f[0].text, "محمد الحسن");
    }
}
