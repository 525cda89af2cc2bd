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
    /// Every word key that occurs in an entry → a small id.
    ids: FastMap<String, u32>,
    /// Key ids of a name → the persons carrying it.
    entries: FastMap<Box<[u32]>, Vec<u32>>,
    /// First-word key id of every entry → the longest entry starting with it.
    starts: FastMap<u32, u8>,
    persons: Vec<String>,
    /// Tells this gazetteer's key ids apart in the per-thread word cache.
    generation: u64,
}

/// FNV-1a: the maps here are keyed by short words, where SipHash's set-up dominates.
#[derive(Clone, Copy)]
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        // Spread the low bits' entropy into the top ones, which hashbrown's tags use.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^ (h >> 33)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

pub(crate) type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<Fnv>>;

/// A word whose key is in no entry.
const UNKNOWN: u32 = u32::MAX;

impl Gazetteer {
    pub fn new(persons: impl IntoIterator<Item = KnownPerson>) -> Self {
        static GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let mut g = Gazetteer {
            generation: GENERATION.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            ..Gazetteer::default()
        };
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
                    let ids: Box<[u32]> = v
                        .into_iter()
                        .map(|k| {
                            let next = g.ids.len() as u32;
                            *g.ids.entry(k).or_insert(next)
                        })
                        .collect();
                    let longest = g.starts.entry(ids[0]).or_insert(0);
                    *longest = (*longest).max(ids.len() as u8);
                    let carriers = g.entries.entry(ids).or_default();
                    if !carriers.contains(&index) {
                        carriers.push(index);
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
        self.find_capped(text, MAX_CANDIDATES)
    }

    /// Every known name in `text`, however many persons share it (for redaction, where
    /// a common name must still be hidden): one [`Found`] per name, for its first carrier.
    pub fn find_every(&self, text: &str) -> Vec<Found> {
        let mut out = self.find_capped(text, usize::MAX);
        out.dedup_by(|a, b| a.start == b.start && a.end == b.end);
        out
    }

    fn find_capped(&self, text: &str, cap: usize) -> Vec<Found> {
        if self.entries.is_empty() {
            return Vec::new();
        }
        let words = self.keyed(text);
        let mut out = Vec::new();
        let mut i = 0;
        while i < words.len() {
            let longest = words[i].longest;
            if longest < 2 {
                i += 1;
                continue;
            }
            let ids: Vec<u32> = words[i..(i + usize::from(longest)).min(words.len())]
                .iter()
                .map(|w| w.id)
                .collect();
            let mut matched = 0;
            for len in (2..=ids.len()).rev() {
                if let Some(persons) = self.entries.get(&ids[..len]) {
                    if persons.len() <= cap {
                        let (first, last) = (&words[i], &words[i + len - 1]);
                        for &p in persons {
                            out.push(Found {
                                kind: EntityKind::Person,
                                value: self.persons[p as usize].clone(),
                                text: text[first.byte_start..last.byte_end].to_owned(),
                                start: first.start as u32,
                                end: last.end as u32,
                                candidates: persons.len() as u32,
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

    /// The words of `text` with their key ids and character and byte offsets; a line
    /// break is an unknown word, so no name runs over it.
    fn keyed(&self, text: &str) -> Vec<Word> {
        let mut out = Vec::new();
        KEYS.with(|cache| {
            let mut cache = cache.borrow_mut();
            if cache.len() > KEY_CACHE_WORDS {
                cache.clear();
            }
            let mut word = |byte_start: usize, byte_end: usize, start: usize, end: usize| {
                let w = &text[byte_start..byte_end];
                let entry = match cache.get_mut(w) {
                    Some(e) => e,
                    None => {
                        let key: Option<Box<str>> = word_key(w).map(Box::from);
                        cache.entry(w.to_owned()).or_insert(Cached {
                            key,
                            generation: 0,
                            id: UNKNOWN,
                            longest: 0,
                        })
                    }
                };
                // Articles and vowel-only words are not words of a name.
                let key = entry.key.as_deref()?;
                if entry.generation != self.generation {
                    entry.id = self.ids.get(key).copied().unwrap_or(UNKNOWN);
                    entry.longest = self.starts.get(&entry.id).copied().unwrap_or(0);
                    entry.generation = self.generation;
                }
                Some(Word {
                    id: entry.id,
                    longest: entry.longest,
                    start,
                    end,
                    byte_start,
                    byte_end,
                })
            };
            let mut current: Option<(usize, usize)> = None;
            let mut chars = 0;
            for (i, (b, c)) in text.char_indices().enumerate() {
                chars = i + 1;
                if crate::names::is_word_char(c) {
                    current.get_or_insert((b, i));
                    continue;
                }
                if let Some((bs, cs)) = current.take() {
                    out.extend(word(bs, b, cs, i));
                }
                if c == '\n' {
                    out.push(Word {
                        id: UNKNOWN,
                        longest: 0,
                        start: i,
                        end: i + 1,
                        byte_start: b,
                        byte_end: b + 1,
                    });
                }
            }
            if let Some((bs, cs)) = current {
                out.extend(word(bs, text.len(), cs, chars));
            }
        });
        out
    }
}

/// A word's key, and its id in the gazetteer that looked it up last.
struct Cached {
    key: Option<Box<str>>,
    generation: u64,
    id: u32,
    /// Words in the longest entry that starts with this one (0: none does).
    longest: u8,
}

/// A word of running text: its key id and where it is.
struct Word {
    id: u32,
    longest: u8,
    start: usize,
    end: usize,
    byte_start: usize,
    byte_end: usize,
}

thread_local! {
    /// Word → key, per thread: running text repeats its words, and keying one costs
    /// a transliteration and two allocations.
    static KEYS: RefCell<FastMap<String, Cached>> = RefCell::new(FastMap::default());
}
const KEY_CACHE_WORDS: usize = 200_000;

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
        let g = gazetteer();
        let words = g.keyed("رأيت محمد الحسن, and Mo7ammed!");
        let (mhmd, hsn) = (g.ids["mhmd"], g.ids["hsn"]);
        let ids: Vec<u32> = words.iter().map(|w| w.id).collect();
        assert_eq!(ids, [UNKNOWN, mhmd, hsn, UNKNOWN, mhmd]);
        assert_eq!((words[1].start, words[1].end), (5, 9));
        assert_eq!((words[4].start, words[4].end), (21, 29));
        assert_eq!(
            &"رأيت محمد الحسن, and Mo7ammed!"[words[1].byte_start..words[1].byte_end],
            "محمد"
        );
    }

    #[test]
    fn offsets_in_arabic_are_characters() {
        let f = gazetteer().find("شفت محمد الحسن امس");
        assert_eq!((f[0].start, f[0].end), (4, 14));
        assert_eq!(f[0].text, "محمد الحسن");
    }
}
