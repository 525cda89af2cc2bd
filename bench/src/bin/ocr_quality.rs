//! OCR quality and speed through toex-formats: reads every `LANG-NN.png` of a folder made
//! by tests/reference/pages.py and prints the character error rate per language against
//! the `.txt` typeset beside it, then pages per second for `text.pdf` and `scanned.pdf`.
//!
//! Usage: ocr_quality DIR [WORKERS]

use std::collections::BTreeMap;
use std::time::Instant;

use toex_formats::{Limits, read};

/// Edit distance over characters.
fn distance(a: &[char], b: &[char]) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diagonal + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// The text as characters with every run of white space one space.
fn normalised(text: &str) -> Vec<char> {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(dir) = args.get(1) else {
        eprintln!("usage: ocr_quality DIR [WORKERS]");
        std::process::exit(2);
    };
    let workers = args
        .get(2)
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let limits = Limits {
        ocr_workers: workers,
        ..Limits::default()
    };
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("the folder")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".png"))
        .collect();
    names.sort();
    // language -> (errors, characters, pages, seconds)
    let mut totals: BTreeMap<String, (usize, usize, usize, f64)> = BTreeMap::new();
    let mut tool = String::new();
    for name in &names {
        let path = format!("{dir}/{name}");
        let bytes = std::fs::read(&path).expect("the image");
        let truth = std::fs::read_to_string(path.replace(".png", ".txt")).expect("its text");
        let started = Instant::now();
        let parsed = read(name, &bytes, &limits)
            .expect("a readable image")
            .document
            .expect("a document");
        let seconds = started.elapsed().as_secs_f64();
        tool = parsed.tool.clone().unwrap_or_default();
        let (got, want) = (normalised(&parsed.text()), normalised(&truth));
        let errors = distance(&got, &want);
        let language = name.split('-').next().unwrap_or("?").to_owned();
        println!(
            "{name}: CER {:.2}% ({errors} edits / {} characters), {seconds:.2} s",
            100.0 * errors as f64 / want.len().max(1) as f64,
            want.len()
        );
        let t = totals.entry(language).or_default();
        *t = (t.0 + errors, t.1 + want.len(), t.2 + 1, t.3 + seconds);
    }
    println!("engine: {tool}");
    for (language, (errors, chars, pages, seconds)) in &totals {
        println!(
            "{language}: CER {:.2}% over {pages} pages ({errors} / {chars}), {:.2} s per page one at a time",
            100.0 * *errors as f64 / (*chars).max(1) as f64,
            seconds / *pages as f64
        );
    }
    for pdf in ["text.pdf", "scanned.pdf"] {
        let path = format!("{dir}/{pdf}");
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let started = Instant::now();
        let parsed = read(pdf, &bytes, &limits)
            .expect("a readable PDF")
            .document
            .expect("a document");
        let seconds = started.elapsed().as_secs_f64();
        let pages: usize = parsed
            .headers
            .iter()
            .find(|(k, _)| k == "Pages")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        println!(
            "{pdf}: {pages} pages in {seconds:.2} s = {:.2} pages/s with {workers} OCR workers ({} segments, {} pages left without text)",
            pages as f64 / seconds,
            parsed.segments.len(),
            parsed.pages_without_text.len()
        );
    }
}
