//! Arabizi: how much of a hand-written set of Iraqi chat lines in Latin letters
//! (inference/tests/data/arabizi.tsv, each with its Arabic-script twin) toex tells as
//! Arabizi and writes back as the twin — words and whole lines — and, with a random
//! NLLB-shaped model standing in (its tokenizer has every Arabic and Latin letter, so a
//! wrong letter changes the input), how many lines translate exactly as their twins do:
//! transliterated, and as they came (Latin letters under the Arabic token). Random
//! weights make this a measure of the input only, never of translation quality. Lines of
//! the OTHER files (English and other Latin-script text) are counted as false alarms.
//!
//! Usage: arabizi [TSV [OTHER…]]

use candle_core::Device;
use toex_inference::linear::Precision;
use toex_inference::translate::DecodeOptions;
use toex_inference::translate::arabizi::{is_arabizi, transliterate};
use toex_inference::translate::nllb::Nllb;
use toex_inference::translate::random::RandomModel;

/// Words without the punctuation around them.
fn words(s: &str) -> Vec<&str> {
    s.split_whitespace()
        .map(|w| w.trim_matches(|c: char| c.is_ascii_punctuation() || c == '؟' || c == '،'))
        .filter(|w| !w.is_empty())
        .collect()
}

fn main() {
    let others: Vec<String> = std::env::args().skip(2).collect();
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../inference/tests/data/arabizi.tsv"
        )
        .to_owned()
    });
    let text = std::fs::read_to_string(&path).expect("reading the lines");
    let pairs: Vec<(&str, &str)> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split_once('\t').expect("ARABIZI<TAB>ARABIC"))
        .collect();
    let n = pairs.len();

    let detected = pairs.iter().filter(|(a, _)| is_arabizi(a)).count();
    let twins_detected = pairs.iter().filter(|(_, b)| is_arabizi(b)).count();
    let (mut word_hits, mut word_total, mut line_hits) = (0, 0, 0);
    let mut misses = Vec::new();
    for (arabizi, arabic) in &pairs {
        let ours = transliterate(arabizi);
        let (got, want) = (words(&ours), words(arabic));
        word_total += want.len().max(got.len());
        word_hits += got.iter().zip(&want).filter(|(a, b)| a == b).count();
        if got == want {
            line_hits += 1;
        } else {
            misses.push(format!("  {arabizi}  →  {ours}   (twin: {arabic})"));
        }
    }

    // Every Arabic and Latin letter a piece, so no letter becomes the unknown token.
    let mut pieces: Vec<String> = ('\u{0621}'..='\u{064A}')
        .chain(['چ', 'گ', 'پ', 'ڤ', 'ی', 'ک', '?', ',', '.'])
        .chain('a'..='z')
        .chain('0'..='9')
        .map(String::from)
        .collect();
    pieces.push("▁".into());
    let dir = tempfile::tempdir().expect("a temporary folder");
    RandomModel {
        pieces,
        ..RandomModel::nllb_tiny()
    }
    .write(dir.path())
    .expect("writing the model");
    let m = Nllb::load_on(dir.path(), Precision::F32, &Device::Cpu).expect("loading it");
    let arabic_token = m.language_token("ar").expect("arb_Arab");
    let english = m.language_token("en").expect("eng_Latn");
    let translate = |lines: Vec<String>| {
        let ids: Vec<Vec<u32>> = lines
            .iter()
            .map(|l| m.tokenizer.encode(l, arabic_token))
            .collect();
        m.model
            .generate(&ids, &[english], &DecodeOptions::default())
            .expect("translating")
    };
    let twins = translate(pairs.iter().map(|(_, b)| (*b).to_owned()).collect());
    let written = translate(pairs.iter().map(|(a, _)| transliterate(a)).collect());
    let raw = translate(pairs.iter().map(|(a, _)| (*a).to_owned()).collect());
    let agree = |out: &[Vec<u32>]| out.iter().zip(&twins).filter(|(a, b)| a == b).count();

    let pct = |a: usize, b: usize| 100.0 * a as f64 / b.max(1) as f64;
    println!("== Arabizi: {n} lines of {path}");
    println!(
        "told as Arabizi        {detected:>3} of {n} ({:.0}%); Arabic-script twins: {twins_detected}",
        pct(detected, n)
    );
    println!(
        "words as the twin's    {word_hits:>3} of {word_total} ({:.1}%)",
        pct(word_hits, word_total)
    );
    println!(
        "lines as the twin      {line_hits:>3} of {n} ({:.1}%)",
        pct(line_hits, n)
    );
    println!("random model, output identical to the twin's:");
    println!(
        "  transliterated       {:>3} of {n} ({:.1}%)",
        agree(&written),
        pct(agree(&written), n)
    );
    println!(
        "  as it came           {:>3} of {n} ({:.1}%)",
        agree(&raw),
        pct(agree(&raw), n)
    );
    let mut alarms = Vec::new();
    let mut other_lines = 0;
    for file in &others {
        let text = std::fs::read_to_string(file).expect("reading the other text");
        for line in text.lines().filter(|l| l.chars().any(char::is_alphabetic)) {
            other_lines += 1;
            if is_arabizi(line) {
                alarms.push(format!("  {file}: {line}"));
            }
        }
    }
    if !others.is_empty() {
        println!(
            "false alarms           {:>3} of {other_lines} lines of other text",
            alarms.len()
        );
        for a in &alarms {
            println!("{a}");
        }
    }
    println!("lines not told as Arabizi:");
    for (a, _) in pairs.iter().filter(|(a, _)| !is_arabizi(a)) {
        println!("  {a}");
    }
    println!("lines written otherwise than the twin:");
    for m in misses {
        println!("{m}");
    }
}
