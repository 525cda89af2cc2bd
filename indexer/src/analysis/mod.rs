//! Text analysis for the index. `multi` handles any script: it splits words keeping
//! Arabic diacritics and tatweel inside them, lower-cases, folds Arabic-Indic and Persian
//! digits to ASCII, and for Arabic-script words strips diacritics and tatweel, unifies
//! alef forms (أ إ آ ٱ → ا), ى → ي and ة → ه, drops stop words and applies light
//! stemming (the Light10 prefixes and suffixes of Larkey, Ballesteros and Connell, 2007).
//! English gets tantivy's `en_stem` on a separate field.

mod chars;
mod rewrite;

use tantivy::Index;
use tantivy::tokenizer::{RemoveLongFilter, TextAnalyzer, Token, TokenStream, Tokenizer};

use chars::{Lower, is_word_char};
use rewrite::{Rewrite, Rewriting};

/// Name of the multilingual analyser registered on the index.
pub const MULTI: &str = "multi";

/// Name of the Arabic/Arabizi consonant-skeleton analyser.
pub const SKELETON: &str = "skeleton";

/// Registers the analysers on an index.
pub fn register(index: &Index) {
    index.tokenizers().register(MULTI, multi_analyzer());
    index.tokenizers().register(SKELETON, skeleton_analyzer());
}

/// The `skeleton` analyser: `multi`, then each word reduced to its consonant skeleton,
/// so that Arabic script and Arabizi (Arabic in Latin letters and digits: 7 = ح,
/// 3 = ع, 5 = خ, 6 = ط, 9 = ص, 2 = ء) meet: حبيبي, 7abibi and habibi are all `hb`.
pub fn skeleton_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer::default())
        .filter(RemoveLongFilter::limit(64))
        .filter(Rewriting(Lower))
        .filter(Rewriting(ArabicFilter))
        .filter(Rewriting(SkeletonFilter))
        .build()
}

/// The consonant skeleton of an Arabic or Arabizi word; `None` when under two
/// consonants (too ambiguous to match on) or when the word is a number.
pub fn skeleton(word: &str) -> Option<String> {
    if word.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let arabic = word.chars().any(is_arabic_letter);
    let mut out = String::new();
    let mut push = |c: char| {
        if !out.ends_with(c) {
            out.push(c);
        }
    };
    if arabic {
        for (i, c) in word.chars().enumerate() {
            let mapped = match c {
                'ب' | 'پ' => 'b',
                'ت' | 'ث' | 'ط' => 't',
                'ج' | 'چ' => 'j',
                'ح' | 'ه' => 'h',
                'خ' | 'ق' | 'ك' | 'گ' => 'k',
                'د' | 'ذ' | 'ض' => 'd',
                'ر' => 'r',
                'ز' | 'ظ' => 'z',
                'س' | 'ش' | 'ص' => 's',
                'غ' => 'g',
                'ف' | 'ڤ' => 'f',
                'ل' => 'l',
                'م' => 'm',
                'ن' => 'n',
                'و' if i == 0 => 'w',
                'ي' if i == 0 => 'y',
                _ => continue,
            };
            push(mapped);
        }
    } else {
        let w = word.to_lowercase();
        let w = match (w.strip_prefix("al"), w.strip_prefix("el")) {
            (Some(rest), _) | (_, Some(rest)) if rest.chars().count() >= 4 => rest.to_owned(),
            _ => w,
        };
        let chars: Vec<char> = w.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let next = chars.get(i + 1).copied();
            let (mapped, step) = match (chars[i], next) {
                ('s' | 'c', Some('h')) => (Some('s'), 2),
                ('k', Some('h')) => (Some('k'), 2),
                ('g', Some('h')) => (Some('g'), 2),
                ('t' | 'd', Some('h')) => (Some(if chars[i] == 't' { 't' } else { 'd' }), 2),
                ('b' | 'p', _) => (Some('b'), 1),
                ('t' | '6', _) => (Some('t'), 1),
                ('j' | 'g', _) => (Some('j'), 1),
                ('h' | '7', _) => (Some('h'), 1),
                ('k' | 'q' | 'c' | '5' | '8', _) if chars[i] != '8' => (Some('k'), 1),
                ('8', _) => (Some('g'), 1),
                ('d', _) => (Some('d'), 1),
                ('r', _) => (Some('r'), 1),
                ('z', _) => (Some('z'), 1),
                ('s' | '9', _) => (Some('s'), 1),
                ('f' | 'v', _) => (Some('f'), 1),
                ('l', _) => (Some('l'), 1),
                ('m', _) => (Some('m'), 1),
                ('n', _) => (Some('n'), 1),
                ('w', _) if i == 0 => (Some('w'), 1),
                ('y', _) if i == 0 => (Some('y'), 1),
                ('x', _) => (Some('k'), 1),
                _ => (None, 1),
            };
            if let Some(m) = mapped {
                push(m);
            }
            i += step;
        }
    }
    (out.chars().count() >= 2).then_some(out)
}

/// Replaces each word by its skeleton, dropping words without one.
#[derive(Clone)]
pub struct SkeletonFilter;

impl Rewrite for SkeletonFilter {
    fn rewrite(&self, word: &mut String, _: &mut String) -> bool {
        match skeleton(word) {
            Some(skeleton) => {
                *word = skeleton;
                true
            }
            None => false,
        }
    }
}

/// The `multi` analyser.
pub fn multi_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer::default())
        .filter(RemoveLongFilter::limit(64))
        .filter(Rewriting(Lower))
        .filter(Rewriting(ArabicFilter))
        .build()
}

fn is_arabic_mark(c: char) -> bool {
    matches!(c, '\u{0610}'..='\u{061A}' | '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{06D6}'..='\u{06ED}' | '\u{0640}')
}

fn is_arabic_letter(c: char) -> bool {
    matches!(c, '\u{0620}'..='\u{064A}' | '\u{0671}'..='\u{06D3}' | '\u{06FA}'..='\u{06FF}')
}

/// Splits on anything that is not a letter, digit or Arabic mark.
#[derive(Clone, Default)]
pub struct WordTokenizer {
    token: Token,
}

pub struct WordStream<'a> {
    text: &'a str,
    chars: std::str::CharIndices<'a>,
    token: &'a mut Token,
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordStream<'a>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordStream<'a> {
        self.token.reset();
        self.token.position = usize::MAX;
        WordStream {
            text,
            chars: text.char_indices(),
            token: &mut self.token,
        }
    }
}

impl TokenStream for WordStream<'_> {
    fn advance(&mut self) -> bool {
        let in_word = is_word_char;
        let start = loop {
            match self.chars.next() {
                Some((i, c)) if in_word(c) => break i,
                Some(_) => {}
                None => return false,
            }
        };
        let mut end = self.text.len();
        for (i, c) in self.chars.by_ref() {
            if !in_word(c) {
                end = i;
                break;
            }
        }
        self.token.text.clear();
        self.token.text.push_str(&self.text[start..end]);
        self.token.offset_from = start;
        self.token.offset_to = end;
        self.token.position = self.token.position.wrapping_add(1);
        true
    }
    fn token(&self) -> &Token {
        self.token
    }
    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// Normalises digits everywhere and Arabic words fully; drops Arabic stop words.
#[derive(Clone)]
pub struct ArabicFilter;

impl Rewrite for ArabicFilter {
    fn rewrite(&self, word: &mut String, normalised: &mut String) -> bool {
        if word.is_ascii() {
            return true;
        }
        normalise_into(word, normalised);
        if normalised.chars().any(is_arabic_letter) {
            if is_stop_word(normalised) {
                return false;
            }
            word.clear();
            word.push_str(stem_of(normalised));
        } else {
            std::mem::swap(word, normalised);
        }
        !word.is_empty()
    }
}

/// Arabic orthographic normalisation and digit folding (idempotent).
pub fn normalise(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    normalise_into(word, &mut out);
    out
}

/// [`normalise`] into `out`, replacing what it held.
fn normalise_into(word: &str, out: &mut String) {
    out.clear();
    out.extend(
        word.chars()
            .filter(|c| !is_arabic_mark(*c))
            .map(|c| match c {
                'أ' | 'إ' | 'آ' | 'ٱ' => 'ا',
                'ى' => 'ي',
                'ة' => 'ه',
                'ؤ' => 'و',
                'ئ' => 'ي',
                '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
                '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
                other => other,
            }),
    );
}

/// Common Arabic function words, in normalised form.
const STOP_WORDS: &[&str] = &[
    "في",
    "من",
    "علي",
    "الي",
    "عن",
    "مع",
    "هذا",
    "هذه",
    "ذلك",
    "تلك",
    "التي",
    "الذي",
    "الذين",
    "ان",
    "كان",
    "كانت",
    "قد",
    "لا",
    "ما",
    "لم",
    "لن",
    "هو",
    "هي",
    "هم",
    "انا",
    "نحن",
    "انت",
    "او",
    "و",
    "ثم",
    "كل",
    "بعد",
    "قبل",
    "عند",
    "حتي",
    "اذا",
    "لقد",
    "يا",
    "ايضا",
    "بين",
    "كما",
    "لكن",
    "اي",
    "هل",
    "مثل",
    "عندما",
    "منذ",
    "غير",
    "حيث",
    "انه",
    "انها",
    "وهو",
    "وهي",
    "فيه",
    "فيها",
    "عليه",
    "عليها",
    "منه",
    "منها",
    "له",
    "لها",
    "به",
    "بها",
    "ف",
    "ب",
    "ل",
    "ك",
    "هناك",
    "الان",
    "اللي",
    "شو",
    "هاي",
    "هاذا",
    "اكو",
    "ماكو",
];

fn is_stop_word(w: &str) -> bool {
    type Set = std::collections::HashSet<&'static str, std::hash::BuildHasherDefault<Fnv>>;
    static SET: std::sync::LazyLock<Set> =
        std::sync::LazyLock::new(|| STOP_WORDS.iter().copied().collect());
    // Every stop word is short: most words are answered by their length alone.
    w.len() <= MAX_STOP_WORD_BYTES && SET.contains(w)
}

/// Bytes in the longest stop word.
const MAX_STOP_WORD_BYTES: usize = 10;

/// FNV-1a: a few bytes hashed for a set that never sees a caller's choice of keys.
#[derive(Default)]
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// Light10 stemming on a normalised Arabic word.
pub fn light_stem(word: &str) -> String {
    stem_of(word).to_owned()
}

/// The stem of `word`: a slice of it, since Light10 only takes letters off its ends.
fn stem_of(word: &str) -> &str {
    let mut w = word;
    let mut len = w.chars().count();
    if len >= 4 && w.starts_with('و') {
        w = &w['و'.len_utf8()..];
        len -= 1;
    }
    for prefix in ["وال", "بال", "كال", "فال", "لل", "ال"] {
        let chars = prefix.chars().count();
        if len >= chars + 2 && w.starts_with(prefix) {
            w = &w[prefix.len()..];
            len -= chars;
            break;
        }
    }
    let mut pronoun = false;
    for suffix in ["ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي"] {
        let chars = suffix.chars().count();
        if len >= chars + 2 && w.ends_with(suffix) {
            w = &w[..w.len() - suffix.len()];
            len -= chars;
            pronoun |= matches!(suffix, "ها" | "ه");
        }
    }
    // Taa marbuta is written ت before a pronoun: سيارة → سيارته.
    if pronoun && len >= 4 && w.ends_with('ت') {
        w = &w[..w.len() - 'ت'.len_utf8()];
    }
    w
}

#[cfg(test)]
mod tests;
