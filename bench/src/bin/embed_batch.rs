//! Times one batch of sentence embeddings (all-MiniLM-L6-v2) on the device inference
//! chooses: DOCS seeded synthetic paragraphs of 60–120 words, embedded once after a
//! warm-up batch; prints documents/s. Built with `--features cuda` it runs on the GPU.
//!
//!   embed_batch MODEL_DIR [DOCS]    default 1,000 documents

use std::time::Instant;

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use toex_inference::embed::{Embedder, device};

const WORDS: &[&str] = &[
    "the",
    "driver",
    "collected",
    "her",
    "from",
    "school",
    "after",
    "midnight",
    "and",
    "phone",
    "number",
    "changed",
    "again",
    "address",
    "flat",
    "above",
    "takeaway",
    "money",
    "transferred",
    "account",
    "cousin",
    "arrived",
    "station",
    "silver",
    "car",
    "keys",
    "garage",
    "told",
    "police",
    "missing",
    "since",
    "Friday",
    "staying",
    "with",
    "friend",
    "hotel",
    "room",
    "booked",
    "cash",
    "work",
    "car wash",
    "passport",
    "kept",
    "by",
    "boss",
];

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("usage: embed_batch MODEL_DIR [DOCS]");
    let docs: usize = args
        .next()
        .map_or(1000, |n| n.parse().expect("DOCS: a count"));
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let texts: Vec<String> = (0..docs)
        .map(|_| {
            let n = rng.random_range(60..=120);
            (0..n)
                .map(|_| *WORDS.choose(&mut rng).expect("words"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let started = Instant::now();
    let embedder = Embedder::load(std::path::Path::new(&dir)).expect("the model loads");
    let loaded = started.elapsed().as_secs_f64();
    embedder
        .embed(&refs[..refs.len().min(32)])
        .expect("warm-up");
    let started = Instant::now();
    let vectors = embedder.embed(&refs).expect("embeds");
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(vectors.len(), docs);
    println!(
        "embedded {docs} documents in {secs:.2} s ({:.0} documents/s) on {:?}; model loaded in {loaded:.2} s",
        docs as f64 / secs,
        device::select(),
    );
}
