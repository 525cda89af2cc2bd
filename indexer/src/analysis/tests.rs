//! The analysers' words: Arabic normalisation, stop words, Light10, skeletons.
use super::*;

/// Light10 as written first (over characters): the slices must agree with it.
fn light_stem_by_chars(word: &str) -> String {
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
    if pronoun && w.len() >= 4 && w.last() == Some(&'ت') {
        w.pop();
    }
    w.into_iter().collect()
}

#[test]
fn every_stop_word_is_found_and_within_the_length_checked_first() {
    for w in STOP_WORDS {
        assert!(w.len() <= MAX_STOP_WORD_BYTES, "{w}");
        assert!(is_stop_word(w), "{w}");
        assert!(!is_stop_word(&format!("{w}x")), "{w}x");
    }
}

#[test]
fn stems_are_those_of_light10_over_characters() {
    // Every word of up to five letters over an alphabet of the affixes' letters and two
    // others: every affix rule, alone and together, at every length it guards.
    let letters = ['و', 'ا', 'ل', 'ب', 'ك', 'ف', 'ه', 'ن', 'ت', 'ي', 'س', 'ر'];
    let mut words = vec![String::new()];
    for _ in 0..5 {
        let longer: Vec<String> = words
            .iter()
            .filter(|w| w.chars().count() == words.last().map_or(0, |l| l.chars().count()))
            .flat_map(|w| letters.iter().map(move |c| format!("{w}{c}")))
            .collect();
        words.extend(longer);
    }
    assert!(words.len() > 200_000);
    for w in &words {
        assert_eq!(light_stem(w), light_stem_by_chars(w), "{w}");
    }
}

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

#[test]
fn arabic_and_arabizi_meet_on_their_skeletons() {
    let words = |text: &str| {
        let mut a = skeleton_analyzer();
        let mut stream = a.token_stream(text);
        let mut out = Vec::new();
        while let Some(t) = stream.next() {
            out.push(t.text.clone());
        }
        out
    };
    // "my darling", "Mohammed", "the car", "Khaled", "tomorrow" in chat Arabizi.
    assert_eq!(words("حبيبي"), words("7abibi"));
    assert_eq!(words("habibi"), words("7abibi"));
    assert_eq!(words("محمد"), words("mo7ammed"));
    assert_eq!(words("محمد"), words("Mohamed"));
    assert_eq!(words("السيارة"), words("sayyara"));
    assert_eq!(words("خالد"), words("5aled"));
    assert_eq!(words("خالد"), words("Khalid"));
    assert_eq!(words("بكرة"), words("bukra"));
    // Too short, or a number: no skeleton.
    assert!(words("3a 12345 o").is_empty());
}
