//! Writes a Marian model with seeded random weights at the full opus-mt-ar-en
//! architecture (512 wide, 6 + 6 layers, 8 heads, 2048 feed-forward, 62,834 pieces) — or,
//! with FAMILY=nllb, an NLLB-200 one at nllb-200-distilled-600M's (1024 wide, 12 + 12
//! layers, 16 heads, 4096 feed-forward, 256,206 tokens) — and the seed's job: LINES Arabic chat lines of about 17 characters. The end token is
//! ruled out, so every line decodes to the forced length (`translation.max_tokens`).
//!
//! With TOKENS_FILE, also writes each line's source pieces as the model's tokenizer cuts
//! them (space-separated, ending in `</s>`), so a peer engine gets the same input.
//!
//! With EOS_BIAS set (e.g. 28: about a third of the lines end early), that is added to
//! the end token's logit instead, so lines end at lengths of their own: the model for
//! comparing two builds' beam search.
//!
//!   cargo run --release -p toex-bench --bin translate_model -- MODEL_DIR LINES_FILE [LINES [TOKENS_FILE]]

use std::fmt::Write as _;

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use toex_inference::translate::nllb::NllbTokenizer;
use toex_inference::translate::random::RandomModel;
use toex_inference::translate::{MarianTokenizer, Seq2SeqConfig};

const WORDS: &[&str] = &[
    "وين",
    "انت",
    "هسه",
    "السيارة",
    "بالكراج",
    "يم",
    "الشقة",
    "جيب",
    "الاغراض",
    "الليلة",
    "رقمي",
    "الجديد",
    "لا",
    "تنطيه",
    "لأحد",
    "الشرطة",
    "باچر",
    "الصبح",
    "شلونك",
    "زين",
];

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("MODEL_DIR");
    let lines_file = args.next().expect("LINES_FILE");
    let lines: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(6_000);
    let tokens_file = args.next();
    let eos_bias = std::env::var("EOS_BIAS")
        .ok()
        .map(|b| b.parse::<f32>().expect("EOS_BIAS is a number"))
        .unwrap_or(-1e9);
    let nllb = std::env::var("FAMILY").is_ok_and(|f| f == "nllb");
    let shape = if nllb {
        RandomModel::nllb_600m()
    } else {
        RandomModel::opus_mt_ar_en()
    };
    RandomModel { eos_bias, ..shape }
        .write(std::path::Path::new(&dir))
        .expect("writing the model");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(17);
    let mut text = String::new();
    let mut chars = 0;
    for _ in 0..lines {
        let mut line = String::new();
        while line.chars().count() < 14 + rng.random_range(0..6) {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(WORDS.choose(&mut rng).unwrap());
        }
        chars += line.chars().count();
        let _ = writeln!(text, "{line}");
    }
    std::fs::write(&lines_file, &text).expect("writing the lines");
    if let Some(tokens_file) = tokens_file {
        let dir = std::path::Path::new(&dir);
        let config = Seq2SeqConfig::read(dir).expect("reading config.json");
        let mut out = String::new();
        if nllb {
            let tokenizer = NllbTokenizer::load(dir, &config).expect("loading the tokenizer");
            let arabic = tokenizer.language("arb_Arab").expect("arb_Arab");
            for line in text.lines() {
                let pieces: Vec<&str> = tokenizer
                    .encode(line, arabic)
                    .into_iter()
                    .map(|id| tokenizer.token(id).expect("a known id"))
                    .collect();
                let _ = writeln!(out, "{}", pieces.join(" "));
            }
        } else {
            let tokenizer = MarianTokenizer::load(dir, &config).expect("loading the tokenizer");
            for line in text.lines() {
                let pieces: Vec<&str> = tokenizer
                    .encode(line)
                    .into_iter()
                    .map(|id| tokenizer.piece(id).expect("a known id"))
                    .collect();
                let _ = writeln!(out, "{}", pieces.join(" "));
            }
        }
        std::fs::write(&tokens_file, out).expect("writing the tokens");
    }
    println!(
        "model in {dir}; {lines} lines, {:.1} characters a line, in {lines_file}",
        chars as f64 / lines as f64
    );
}
