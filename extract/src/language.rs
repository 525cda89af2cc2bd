//! The language of a text, when it can be told with confidence (whatlang's trigram
//! model, with a script rule for short Arabic and English texts).

/// The ISO 639-1 code of the text's language, when it can be told with confidence.
pub fn detect_language(text: &str) -> Option<String> {
    let sample: String = text.chars().take(4_000).collect();
    let info = whatlang::detect(&sample)?;
    if !info.is_reliable() && info.confidence() < 0.5 {
        // Short texts: trust the script for Arabic, and a weak guess only for English.
        return match (info.script(), info.lang()) {
            (whatlang::Script::Arabic, _) => Some("ar".to_owned()),
            (whatlang::Script::Latin, whatlang::Lang::Eng) => Some("en".to_owned()),
            _ => None,
        };
    }
    Some(code(info.lang()))
}

/// The trigram model's best guess at the text's language with its confidence (0–1),
/// however short the text: for a caller that confirms the guess another way.
pub fn guess_language(text: &str) -> Option<(String, f64)> {
    let sample: String = text.chars().take(4_000).collect();
    let info = whatlang::detect(&sample)?;
    Some((code(info.lang()), info.confidence()))
}

/// ISO 639-1 for the languages toex meets most, else whatlang's ISO 639-3.
fn code(lang: whatlang::Lang) -> String {
    let code = match lang {
        whatlang::Lang::Eng => "en",
        whatlang::Lang::Ara => "ar",
        whatlang::Lang::Pes => "fa",
        whatlang::Lang::Urd => "ur",
        whatlang::Lang::Pol => "pl",
        whatlang::Lang::Ron => "ro",
        whatlang::Lang::Vie => "vi",
        whatlang::Lang::Fra => "fr",
        whatlang::Lang::Spa => "es",
        whatlang::Lang::Por => "pt",
        whatlang::Lang::Deu => "de",
        whatlang::Lang::Tur => "tr",
        whatlang::Lang::Rus => "ru",
        whatlang::Lang::Ukr => "uk",
        whatlang::Lang::Ita => "it",
        whatlang::Lang::Nld => "nl",
        other => other.code(),
    };
    code.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_are_detected_on_real_sentences() {
        assert_eq!(
            detect_language("قال إنه سيقابله عند محطة الحافلات في الساعة التاسعة مساء").as_deref(),
            Some("ar")
        );
        assert_eq!(
            detect_language("He said he would meet him at the bus station at nine in the evening")
                .as_deref(),
            Some("en")
        );
        // A short Spanish line: no reliable answer, a guess with its confidence.
        let line = "Nos vemos esta noche en la estación.";
        assert_eq!(detect_language(line), None);
        let (code, confidence) = guess_language(line).unwrap();
        assert_eq!(code, "es");
        assert!((0.2..0.9).contains(&confidence), "{confidence}");
    }
}
