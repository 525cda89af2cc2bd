//! Text analysis for the index. `multi` handles any script: it splits words keeping
//! Arabic diacritics and tatweel inside them, lower-cases, folds Arabic-Indic and Persian
//! digits to ASCII, and for Arabic-script words strips diacritics and tatweel, unifies
//! alef forms (أ إ آ ٱ → ا), ى → ي and ة → ه, drops stop words and applies light
//! stemming (the Light10 prefixes and suffixes of Larkey, Ballesteros and Connell, 2007).
//! English gets tantivy's `en_stem` on a separate field.

use tantivy::Index;
use tantivy::tokenizer::{
    LowerCaser, RemoveLongFilter, TextAnalyzer, Token, TokenStream, Tokenizer,
};

/// Name of the multilingual analyser registered on the index.
pub const MULTI: &str = "multi";

/// Registers the analysers on an index.
pub fn register(index: &Index) {
    index.tokenizers().register(MULTI, multi_analyzer());
}

/// The `multi` analyser.
pub fn multi_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer::default())
        .filter(RemoveLongFilter::limit(64))
        .filter(LowerCaser)
        .filter(ArabicFilter)
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
        let in_word = |c: char| c.is_alphanumeric() || is_arabic_mark(c);
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

impl tantivy::tokenizer::TokenFilter for ArabicFilter {
    type Tokenizer<T: Tokenizer> = ArabicFilterTokenizer<T>;
    fn transform<T: Tokenizer>(self, tokenizer: T) -> ArabicFilterTokenizer<T> {
        ArabicFilterTokenizer(tokenizer)
    }
}

#[derive(Clone)]
pub struct ArabicFilterTokenizer<T>(T);

impl<T: Tokenizer> Tokenizer for ArabicFilterTokenizer<T> {
    type TokenStream<'a> = ArabicStream<T::TokenStream<'a>>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        ArabicStream(self.0.token_stream(text))
    }
}

pub struct ArabicStream<S>(S);

impl<S: TokenStream> TokenStream for ArabicStream<S> {
    fn advance(&mut self) -> bool {
        while self.0.advance() {
            let text = &mut self.0.token_mut().text;
            if text.is_ascii() {
                return true;
            }
            let normalised = normalise(text);
            if normalised.chars().any(is_arabic_letter) {
                if is_stop_word(&normalised) {
                    continue;
                }
                *text = light_stem(&normalised);
            } else {
                *text = normalised;
            }
            if !text.is_empty() {
                return true;
            }
        }
        false
    }
    fn token(&self) -> &Token {
        self.0.token()
    }
    fn token_mut(&mut self) -> &mut Token {
        self.0.token_mut()
    }
}

/// Arabic orthographic normalisation and digit folding (idempotent).
pub fn normalise(word: &str) -> String {
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
        })
        .collect()
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
    STOP_WORDS.contains(&w)
}

/// Light10 stemming on a normalised Arabic word.
pub fn light_stem(word: &str) -> String {
    let mut w: Vec<char> = word.chars().collect();
    if w.len() >= 4 && w[0] == 'و' {
        w.remove(0);
    }
    for prefix in ["وال", "بال", "كال", "فال", "لل", "ال"] {
        let p: Vec<char> = prefix.chars().collect();
        if w.len() >= p.len() + 2 && w.starts_with(&p) {
            w.drain(..p.len());
            break;
        }
    }
    let mut pronoun = false;
    for suffix in ["ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي"] {
        let s: Vec<char> = suffix.chars().collect();
        if w.len() >= s.len() + 2 && w.ends_with(&s) {
            w.truncate(w.len() - s.len());
            pronoun |= matches!(suffix, "ها" | "ه");
        }
    }
    // Taa marbuta is written ت before a pronoun: سيارة → سيارته.
    if pronoun && w.len() >= 4 && w.last() == Some(&'ت') {
        w.pop();
    }
    w.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<String> {
        let mut analyzer = multi_analyzer();
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    #[test]
    fn diacritics_tatweel_and_alef_forms_do_not_matter() {
        // "Ahmad went to the market" with and without diacritics, tatweel and hamza.
        let plain = terms("ذهب احمد الى السوق");
        assert_eq!(terms("ذَهَبَ أَحْمَدُ إِلَى السُّوقِ"), plain);
        assert_eq!(terms("ذهـــب أحمد إلى الســوق"), plain);
        assert_eq!(
            plain,
            vec!["ذهب", "احمد", "سوق"],
            "الى is a stop word, ال is stripped"
        );
    }

    #[test]
    fn taa_marbuta_and_alef_maqsura_unify() {
        assert_eq!(terms("سيارة"), terms("سياره"));
        assert_eq!(terms("مستشفى"), terms("مستشفي"));
    }

    #[test]
    fn light_stemming_meets_related_forms() {
        // "the car", "his car", "and the cars": one stem.
        let car = terms("السيارة");
        assert_eq!(terms("سيارته"), car);
        assert_eq!(terms("والسيارات"), car);
        // "the phone" / "phones" ~ "phone".
        assert_eq!(terms("الهاتف"), terms("هاتف"));
    }

    #[test]
    fn arabic_indic_digits_become_ascii_so_numbers_match() {
        assert_eq!(terms("رقمي ٠٧٧٠٠٩٠٠١٢٣"), vec!["رقم", "07700900123"]);
        assert_eq!(terms("۰۷۷۰۰"), vec!["07700"]);
    }

    #[test]
    fn real_sentence_keeps_content_words_and_offsets() {
        // Iraqi Arabic: "I'll meet you tomorrow at the garage next to the mosque".
        let text = "راح اشوفك باجر عند الكراج اللي يم الجامع";
        let mut analyzer = multi_analyzer();
        let mut stream = analyzer.token_stream(text);
        let mut seen = Vec::new();
        while stream.advance() {
            let t = stream.token();
            seen.push((t.text.clone(), &text[t.offset_from..t.offset_to]));
        }
        let stems: Vec<&str> = seen.iter().map(|(s, _)| s.as_str()).collect();
        assert!(
            stems.contains(&"كراج") && stems.contains(&"جامع"),
            "{stems:?}"
        );
        assert!(
            !stems.contains(&"اللي") && !stems.contains(&"عند"),
            "stop words dropped: {stems:?}"
        );
        assert!(
            seen.iter().any(|(_, orig)| *orig == "الكراج"),
            "offsets point at the original word"
        );
    }

    #[test]
    fn latin_text_is_lower_cased_untouched() {
        assert_eq!(
            terms("Meet at Leeds Road, 07700 900123"),
            vec!["meet", "at", "leeds", "road", "07700", "900123"]
        );
    }
}
