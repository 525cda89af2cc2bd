//! Writes a seeded corpus of transcripts into a toex index for the latency benchmark.
//!
//!   cargo run --release -p toex-bench --bin search_corpus -- INDEX_DIR SEGMENTS

use std::time::Instant;

use toex_bench::Corpus;
use toex_indexer::SearchIndex;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("INDEX_DIR");
    let segments: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let index = SearchIndex::open_or_create(std::path::Path::new(&dir)).unwrap();
    let mut corpus = Corpus::new(7);
    let started = Instant::now();
    let per_doc = 20;
    let mut written = 0;
    while written < segments {
        let batch: Vec<_> = (0..1000.min((segments - written).div_ceil(per_doc)))
            .map(|_| corpus.document(per_doc))
            .collect();
        written += batch.len() * per_doc;
        index.add_documents(&batch).unwrap();
    }
    println!(
        "{} documents, {written} segments indexed in {:.1} s",
        index.num_docs(),
        started.elapsed().as_secs_f64()
    );
}
