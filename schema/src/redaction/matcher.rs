//! Finds protected persons in running text — their names (any spelling or script the
//! gazetteer knows, never a lone word of a longer name) and their linked identifiers —
//! after Unicode normalisation (NFKC, format and zero-width characters dropped, Cyrillic
//! and Greek look-alikes read as Latin), and replaces each with the person's pseudonym.

use std::collections::{HashMap, HashSet};

use toex_access::Pseudonyms;
use toex_extract::{EntityKind, Found, Gazetteer, KnownPerson, find_identifiers, names};
use toex_graph::ProtectedPerson;
use unicode_normalization::UnicodeNormalization;

/// The highlight tags of the API's HTML excerpts, skipped when matching and kept when
/// replacing.
const TAGS: [&str; 2] = ["<b>", "</b>"];

/// The protected persons of a set of forces, ready to find in text.
#[derive(Default)]
pub struct Protected {
    /// Names of two or more words (and their transliterations); value = person index.
    gazetteer: Gazetteer,
    /// Single-word names, folded, and their transliteration keys.
    words: HashMap<String, usize>,
    word_keys: HashMap<String, usize>,
    /// Linked identifiers as `kind:value`.
    identifiers: HashMap<String, usize>,
    /// Handles of linked accounts, lower-cased, without `@`: found as bare words too.
    handles: HashMap<String, usize>,
    /// `Person:<id>` and the person's id (kind `None`), and the linked nodes' keys (their
    /// label, lower-cased).
    keys: HashMap<String, (usize, Option<String>)>,
    pseudonyms: Vec<String>,
    /// Unprotected persons recorded under exactly a protected person's name.
    exempt: HashSet<String>,
}

/// A stretch of the original text to replace.
struct Span {
    start: usize,
    end: usize,
    label: String,
}

impl Protected {
    /// `exempt`: ids of unprotected persons who share a protected name exactly (their own
    /// name fields are left alone).
    pub fn new(
        persons: &[ProtectedPerson],
        pseudonyms: &Pseudonyms,
        exempt: HashSet<String>,
    ) -> Self {
        let mut words = HashMap::new();
        let mut word_keys = HashMap::new();
        let mut identifiers = HashMap::new();
        let mut handles = HashMap::new();
        let mut keys = HashMap::new();
        let mut known = Vec::with_capacity(persons.len());
        for (i, p) in persons.iter().enumerate() {
            let mut multi = Vec::new();
            for name in &p.names {
                let name = normalise(name).text;
                match names::name_keys(&name).as_slice() {
                    [] => {}
                    [key] => {
                        // "Al Rahman" is one name word: the article is not redacted.
                        for w in names::folded_words(&name) {
                            if names::word_key(&w).as_ref() == Some(key) {
                                words.insert(w, i);
                            }
                        }
                        word_keys.insert(key.clone(), i);
                    }
                    _ => multi.push(name),
                }
            }
            known.push(KnownPerson {
                id: i.to_string(),
                names: multi,
            });
            for id in &p.identifiers {
                let id = id.to_lowercase();
                if let Some(h) = id.strip_prefix("account:@") {
                    handles.insert(h.to_owned(), i);
                }
                identifiers.insert(id, i);
            }
            for k in &p.keys {
                let label = k.split_once(':').map(|(l, _)| match l {
                    "Location" => "address".to_owned(),
                    "OnlineAccount" => "account".to_owned(),
                    l => l.to_lowercase(),
                });
                keys.insert(k.clone(), (i, label));
            }
            keys.insert(p.id.clone(), (i, None));
            keys.insert(format!("Person:{}", p.id), (i, None));
        }
        Self {
            gazetteer: Gazetteer::new(known),
            words,
            word_keys,
            identifiers,
            handles,
            keys,
            pseudonyms: persons
                .iter()
                .map(|p| pseudonyms.of(&p.force, &p.id))
                .collect(),
            exempt,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.pseudonyms.is_empty()
    }

    /// What stands for the protected person, or the node linked to one, with this id or
    /// key: `[Protected person 7QK2MX]`, `[phone of Protected person 7QK2MX]`.
    pub fn label_of_key(&self, key: &str) -> Option<String> {
        let (i, kind) = self.keys.get(key)?;
        Some(self.label(*i, kind.as_deref()))
    }

    /// Whether `key` is the graph key of an identifier or place linked to a protected person.
    pub fn is_protected_node(&self, key: &str) -> bool {
        self.keys.get(key).is_some_and(|(_, kind)| kind.is_some())
    }

    fn label(&self, person: usize, kind: Option<&str>) -> String {
        match kind {
            None => format!("[{}]", self.pseudonyms[person]),
            Some(kind) => format!("[{kind} of {}]", self.pseudonyms[person]),
        }
    }

    /// The graph keys a redacted key as the caller saw it (`Phone:[phone of Protected
    /// person 7QK2MX]`, `Person:[Protected person 7QK2MX]`) stands for, so what such a
    /// caller keeps (a chart) keeps the nodes themselves; none for any other key.
    pub fn keys_shown_as(&self, shown: &str) -> Vec<String> {
        let Some((label, pseudonym)) = shown.split_once(':') else {
            return Vec::new();
        };
        if !pseudonym.starts_with('[') {
            return Vec::new();
        }
        let mut keys: Vec<String> = self
            .keys
            .iter()
            .filter(|(k, (i, kind))| {
                k.split_once(':').is_some_and(|(l, _)| l == label)
                    && self.label(*i, kind.as_deref()) == pseudonym
            })
            .map(|(k, _)| k.clone())
            .collect();
        keys.sort();
        keys
    }

    /// Whether the person with this id or key is exempt (shares a protected name).
    pub fn is_exempt(&self, id_or_key: &str) -> bool {
        let id = id_or_key.strip_prefix("Person:").unwrap_or(id_or_key);
        self.exempt.contains(id)
    }

    /// Whether an identifier (`kind:value`, normalised) is linked to a protected person.
    pub fn is_protected_identifier(&self, kind: EntityKind, value: &str) -> bool {
        self.identifier(kind, value).is_some()
    }

    fn identifier(&self, kind: EntityKind, value: &str) -> Option<usize> {
        let value = value.to_lowercase();
        let kind = kind.as_str();
        if let Some(&i) = self.identifiers.get(&format!("{kind}:{value}")) {
            return Some(i);
        }
        // `platform:handle` also matches the bare handle, and the other way round.
        let (_, handle) = value.rsplit_once(':').filter(|_| kind == "account")?;
        self.identifiers.get(&format!("account:@{handle}")).copied()
    }

    /// `text` with each protected name and identifier replaced by a label carrying the
    /// pseudonym, and how many were replaced; `None` when nothing was.
    pub fn redact(&self, text: &str) -> Option<(String, usize)> {
        let spans = self.spans(text);
        // Highlight tags inside a replaced stretch stay, so markup stays balanced.
        let out = splice(text, &spans, |out, s| {
            out.push_str(&s.label);
            out.extend(tags_in(&text[s.start..s.end]));
        })?;
        Some((out, spans.len()))
    }

    /// `text` without its protected names and identifiers, for a query that names one:
    /// it is answered as if that name or identifier were unknown. `None` when none.
    pub fn strip(&self, text: &str) -> Option<String> {
        splice(text, &self.spans(text), |out, _| out.push(' '))
    }

    fn spans(&self, text: &str) -> Vec<Span> {
        if self.is_empty() || text.is_empty() {
            return Vec::new();
        }
        let norm = normalise(text);
        let mut found: Vec<(u32, u32, String)> = Vec::new();
        for f in find_identifiers(&norm.text) {
            if let Some(i) = self.identifier(f.kind, &f.value) {
                found.push((f.start, f.end, self.label(i, Some(f.kind.as_str()))));
            }
        }
        let overlaps = |found: &[(u32, u32, String)], f: &Found| {
            found.iter().any(|(s, e, _)| *s < f.end && f.start < *e)
        };
        for f in self.gazetteer.find_every(&norm.text) {
            if !overlaps(&found, &f)
                && let Ok(i) = f.value.parse::<usize>()
            {
                found.push((f.start, f.end, self.label(i, None)));
            }
        }
        for f in self.bare_handles(&norm.text) {
            if !overlaps(&found, &f)
                && let Ok(i) = f.value.parse::<usize>()
            {
                found.push((f.start, f.end, self.label(i, Some("account"))));
            }
        }
        if !self.words.is_empty() {
            for f in self.single_words(&norm.text) {
                if !overlaps(&found, &f)
                    && let Ok(i) = f.value.parse::<usize>()
                {
                    found.push((f.start, f.end, self.label(i, None)));
                }
            }
        }
        found.sort_by_key(|(s, _, _)| *s);
        found
            .into_iter()
            .map(|(s, e, label)| Span {
                start: norm.origin[s as usize].0,
                end: norm.origin[e as usize - 1].1,
                label,
            })
            .collect()
    }

    /// Words of `text` spelling a protected person's handle without its `@`.
    fn bare_handles(&self, text: &str) -> Vec<Found> {
        if self.handles.is_empty() {
            return Vec::new();
        }
        let handle_char = |c: char| c.is_alphanumeric() || c == '_' || c == '.';
        words_of(text, handle_char, |word| {
            let word = word.to_lowercase();
            self.handles.get(word.trim_matches('.')).copied()
        })
    }

    /// Words of `text` that are a protected person's whole (one-word) name.
    fn single_words(&self, text: &str) -> Vec<Found> {
        words_of(text, is_word_char, |word| {
            names::folded_words(word)
                .iter()
                .find_map(|w| self.words.get(w))
                .or_else(|| {
                    let arabic = word.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c));
                    arabic
                        .then(|| names::word_key(word))
                        .flatten()
                        .and_then(|k| self.word_keys.get(&k))
                })
                .copied()
        })
    }
}

/// The words of `text` (runs of `word_char`) for which `person` names a protected
/// person, as [`Found`]s whose value is that person's index.
fn words_of(
    text: &str,
    word_char: impl Fn(char) -> bool,
    person: impl Fn(&str) -> Option<usize>,
) -> Vec<Found> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !word_char(chars[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && word_char(chars[i]) {
            i += 1;
        }
        let word: String = chars[start..i].iter().collect();
        if let Some(p) = person(&word) {
            out.push(Found {
                kind: EntityKind::Person,
                value: p.to_string(),
                text: word,
                start: start as u32,
                end: i as u32,
                candidates: 1,
            });
        }
    }
    out
}

/// `text` with each of `spans` replaced by what `put` writes; `None` when there are none.
fn splice(text: &str, spans: &[Span], put: impl Fn(&mut String, &Span)) -> Option<String> {
    if spans.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for s in spans {
        out.push_str(&text[at..s.start]);
        put(&mut out, s);
        at = s.end;
    }
    out.push_str(&text[at..]);
    Some(out)
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || ('\u{064B}'..='\u{065F}').contains(&c) || c == '\u{0670}'
}

fn tags_in(s: &str) -> impl Iterator<Item = &'static str> + '_ {
    let mut rest = s;
    std::iter::from_fn(move || {
        loop {
            let at = rest.find('<')?;
            rest = &rest[at..];
            if let Some(t) = TAGS.iter().find(|t| rest.starts_with(**t)) {
                rest = &rest[t.len()..];
                return Some(*t);
            }
            rest = &rest[1..];
        }
    })
}

/// Text as matched, with the original byte range of each of its characters.
pub(crate) struct Normalised {
    pub text: String,
    pub origin: Vec<(usize, usize)>,
}

/// NFKC, lower-level tricks undone: format and zero-width characters and the Arabic
/// tatweel dropped, Cyrillic and Greek look-alikes read as Latin, highlight tags skipped.
pub(crate) fn normalise(text: &str) -> Normalised {
    let mut out = Normalised {
        text: String::with_capacity(text.len()),
        origin: Vec::with_capacity(text.len()),
    };
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        if let Some(t) = TAGS.iter().find(|t| rest.starts_with(**t)) {
            i += t.len();
            continue;
        }
        let c = rest.chars().next().expect("not at the end");
        let end = i + c.len_utf8();
        if !is_invisible(c) {
            for n in std::iter::once(c).nfkc() {
                if is_invisible(n) {
                    continue;
                }
                out.text.push(confusable(n));
                out.origin.push((i, end));
            }
        }
        i = end;
    }
    out
}

/// Characters that render as nothing (or nearly) and so hide a name from a plain match.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{0640}' | '\u{115F}' | '\u{1160}'
        | '\u{17B4}' | '\u{17B5}' | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{3164}'
        | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}' | '\u{E0000}'..='\u{E0FFF}')
}

/// The Latin letter a Cyrillic or Greek look-alike passes for.
fn confusable(c: char) -> char {
    match c {
        'а' | 'α' => 'a',
        'в' => 'b',
        'с' | 'ϲ' => 'c',
        'ԁ' => 'd',
        'е' | 'ε' => 'e',
        'һ' => 'h',
        'і' | 'ι' => 'i',
        'ј' => 'j',
        'к' | 'κ' => 'k',
        'ӏ' => 'l',
        'м' => 'm',
        'п' => 'n',
        'о' | 'ο' | 'σ' => 'o',
        'р' | 'ρ' => 'p',
        'ԛ' => 'q',
        'ѕ' => 's',
        'т' | 'τ' => 't',
        'υ' => 'u',
        'ν' => 'v',
        'ԝ' => 'w',
        'х' | 'χ' => 'x',
        'у' | 'γ' => 'y',
        'А' | 'Α' => 'A',
        'В' | 'Β' => 'B',
        'С' | 'Ϲ' => 'C',
        'Е' | 'Ε' => 'E',
        'Н' | 'Η' => 'H',
        'І' | 'Ι' => 'I',
        'Ј' => 'J',
        'К' | 'Κ' => 'K',
        'М' | 'Μ' => 'M',
        'Ν' => 'N',
        'О' | 'Ο' => 'O',
        'Р' | 'Ρ' => 'P',
        'Ѕ' => 'S',
        'Т' | 'Τ' => 'T',
        'Х' | 'Χ' => 'X',
        'У' | 'Υ' => 'Y',
        'Ζ' => 'Z',
        _ => c,
    }
}
