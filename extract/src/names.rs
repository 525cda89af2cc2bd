//! Name keys for search that tolerates spelling and Arabic↔Latin transliteration:
//! Mohammed, Muhammad, Mohamed and محمد all reduce to the key `mhmd`.
//!
//! A key is a consonant skeleton: Arabic script is normalised and transliterated to Latin
//! (long vowels written with و/ي become vowels), Latin is folded to ASCII with Arabizi
//! digits read as letters, the article al-/el- is dropped, vowels are removed (a `y` or
//! `w` that starts a word stays), sound-alike consonants merge and doubled letters collapse.

/// The key of every word of `name`, in order, without duplicates. Empty words are dropped.
pub fn name_keys(name: &str) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for word in words(name) {
        if let Some(key) = word_key(&word)
            && !keys.contains(&key)
        {
            keys.push(key);
        }
    }
    keys
}

/// The key of one word, or `None` for the article (al-, el-) and words with no consonant.
pub fn word_key(word: &str) -> Option<String> {
    let latin = if word.chars().any(is_arabic) {
        transliterate_arabic(word)
    } else {
        fold_latin(word)
    };
    if matches!(latin.as_str(), "al" | "el" | "") {
        return None;
    }
    // A final h after a vowel is silent in Latin spellings: Fatimah, Aishah.
    let latin = match latin.strip_suffix('h') {
        Some(stem) if stem.len() > 2 && stem.ends_with(['a', 'e']) => stem.to_owned(),
        _ => latin,
    };
    Some(skeleton(&latin)).filter(|k| !k.is_empty())
}

pub(crate) fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic() || matches!(c, '2' | '3' | '5' | '6' | '7' | '8' | '9');
    }
    is_arabic(c) || c.is_alphabetic()
}

/// Words of `name` folded to ASCII Latin (Arabic transliterated), for ranking exact spellings first.
pub fn folded_words(name: &str) -> Vec<String> {
    words(name)
        .iter()
        .map(|w| {
            if w.chars().any(is_arabic) {
                transliterate_arabic(w)
            } else {
                fold_latin(w)
            }
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// The text stored in `Person.nameSearch` for the full-text index: the keys of every
/// name, then their folded words (`k:` marks keys so they never meet a word).
pub fn search_text<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let mut keys: Vec<String> = Vec::new();
    let mut words: Vec<String> = Vec::new();
    for name in names {
        for key in name_keys(name) {
            let key = format!("k{key}");
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        for word in folded_words(name) {
            if !words.contains(&word) {
                words.push(word);
            }
        }
    }
    keys.extend(words);
    keys.join(" ")
}

fn is_arabic(c: char) -> bool {
    matches!(c, '\u{0600}'..='\u{06FF}' | '\u{0750}'..='\u{077F}' | '\u{FB50}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}')
}

/// Splits on whitespace, hyphens, apostrophes and punctuation; keeps Arabizi digits.
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for c in name.chars() {
        if is_word_char(c) {
            current.push(c);
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn transliterate_arabic(word: &str) -> String {
    // The article ال at the start of a word.
    let word = word
        .strip_prefix("ال")
        .filter(|w| w.chars().count() >= 2)
        .unwrap_or(word);
    let mut out = String::new();
    for (i, c) in word.chars().enumerate() {
        let first = i == 0;
        let s = match c {
            'ا' | 'أ' | 'إ' | 'آ' | 'ٱ' | 'ى' | 'ة' => "a",
            'ب' => "b",
            'ت' | 'ط' => "t",
            'ث' => "th",
            'ج' => "j",
            'ح' | 'ه' => "h",
            'خ' => "kh",
            'د' | 'ض' => "d",
            'ذ' => "dh",
            'ر' => "r",
            'ز' | 'ظ' => "z",
            'س' | 'ص' => "s",
            'ش' => "sh",
            'غ' => "gh",
            'ف' => "f",
            'ق' | 'ك' => "k",
            'ل' => "l",
            'م' => "m",
            'ن' => "n",
            'و' | 'ؤ' if first => "w",
            'و' | 'ؤ' => "u",
            'ي' | 'ئ' if first => "y",
            'ي' | 'ئ' => "i",
            // ayn, hamza, tatweel and diacritics carry no consonant in Latin spellings.
            _ => "",
        };
        out.push_str(s);
    }
    out
}

fn fold_latin(word: &str) -> String {
    let mut out = String::new();
    for c in word.chars().flat_map(char::to_lowercase) {
        let s: &str = match c {
            'a'..='z' => {
                out.push(c);
                continue;
            }
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => "a",
            'è' | 'é' | 'ê' | 'ë' | 'ē' => "e",
            'ì' | 'í' | 'î' | 'ï' | 'ī' => "i",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ō' => "o",
            'ù' | 'ú' | 'û' | 'ü' | 'ū' => "u",
            'ç' => "c",
            'ñ' => "n",
            'ḥ' => "h",
            'ṣ' => "s",
            'ṭ' => "t",
            'ḍ' => "d",
            'ẓ' => "z",
            // Arabizi: 7 ح, 5 خ, 6 ط, 9 ق/ص, 8 غ; 2 (hamza) and 3 (ayn) are silent.
            '7' => "h",
            '5' => "kh",
            '6' => "t",
            '9' => "k",
            '8' => "gh",
            _ => "",
        };
        out.push_str(s);
    }
    out
}

/// Consonant skeleton of a folded Latin word.
fn skeleton(latin: &str) -> String {
    let b = latin.as_bytes();
    let mut out: Vec<u8> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        let (sound, step) = match (c, next) {
            (b'k', Some(b'h')) | (b'c', Some(b'h')) => (Some(b'k'), 2),
            (b'g', Some(b'h')) => (Some(b'g'), 2),
            (b's', Some(b'h')) => (Some(b's'), 2),
            (b't', Some(b'h')) => (Some(b't'), 2),
            (b'd', Some(b'h')) => (Some(b'd'), 2),
            (b'p', Some(b'h')) => (Some(b'f'), 2),
            (b'c', Some(b'k')) => (Some(b'k'), 2),
            (b'a' | b'e' | b'i' | b'o' | b'u', _) => (None, 1),
            (b'y' | b'w', _) if i > 0 => (None, 1),
            (b'c' | b'q', _) => (Some(b'k'), 1),
            (b'g', _) => (Some(b'j'), 1),
            (b'v', _) => (Some(b'f'), 1),
            (b'x', _) => (Some(b'k'), 1),
            (other, _) => (Some(other), 1),
        };
        if let Some(s) = sound
            && out.last() != Some(&s)
        {
            out.push(s);
        }
        i += step;
    }
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> Vec<String> {
        name_keys(name)
    }

    #[test]
    fn spellings_of_mohammed_share_a_key() {
        for name in [
            "Mohammed",
            "Muhammad",
            "Mohamed",
            "Mohamad",
            "MOHAMMAD",
            "محمد",
            "مُحَمَّد",
        ] {
            assert_eq!(key(name), vec!["mhmd"], "{name}");
        }
    }

    #[test]
    fn common_arabic_names_and_their_transliterations_meet() {
        let groups: &[&[&str]] = &[
            &["Hussein", "Hussain", "Husain", "حسين"],
            &["Yusuf", "Youssef", "Yousef", "يوسف"],
            &["Ahmed", "Ahmad", "أحمد"],
            &["Hassan", "Hasan", "حسن", "Al-Hassan", "الحسن"],
            &["Waleed", "Walid", "وليد"],
            &["Fatima", "Fatimah", "Fatema", "فاطمة"],
            &["Khalid", "Khaled", "خالد"],
            &["Omar", "Umar", "عمر", "3omar"],
            &["Hisham", "Hesham", "هشام"],
        ];
        for group in groups {
            let expected = key(group[0]);
            for name in *group {
                assert_eq!(key(name), expected, "{name} vs {}", group[0]);
            }
        }
    }

    #[test]
    fn different_names_stay_apart() {
        // Mahmoud shares Mohammed's skeleton; search ranks the exact spelling first.
        assert_eq!(key("Mahmoud"), key("Mohammed"));
        // So do Hassan and Hussein (one key, hsn); folded words rank them apart.
        assert_eq!(key("Hassan"), key("Hussein"));
        assert_ne!(key("Ali"), key("Omar"));
    }

    #[test]
    fn full_names_give_a_key_per_word() {
        assert_eq!(key("Mohammed Al-Hassan"), vec!["mhmd", "hsn"]);
        assert_eq!(key("محمد الحسن"), vec!["mhmd", "hsn"]);
        assert_eq!(
            search_text(["Mohammed Hassan", "محمد حسن"]),
            "kmhmd khsn mohammed hassan mhmd hsn"
        );
    }
}
