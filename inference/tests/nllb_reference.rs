//! NLLB-200 (M2M100) on candle against a NumPy forward pass written in the tests
//! (tests/reference/nllb.py, tokenising with Google's sentencepiece): models with seeded
//! random weights, a tiny one and one at nllb-200-distilled-600M's dimensions, must give
//! the same source ids on every line and the same greedy output on at least 98% of lines
//! in f32; a padded batch translates as each line alone, greedy and beam.

use std::path::Path;

use candle_core::Device;
use toex_inference::linear::Precision;
use toex_inference::translate::DecodeOptions;
use toex_inference::translate::nllb::Nllb;
use toex_inference::translate::random::RandomModel;

mod common;

use common::ARABIC_CHAT as ARABIC;

const VIETNAMESE: &[&str] = &[
    "anh đang ở đâu",
    "xe trong nhà để",
    "ngày mai gặp nhau",
    "anh ở đâu ngày mai",
];

fn write(model: RandomModel) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("nllb-random");
    model.write(&folder).unwrap();
    (dir, folder)
}

/// Compares toex with the reference on `lines` of `language` (its token as the model
/// writes it), translated in batches of 8; returns how many lines' outputs agree.
fn agreement(m: &Nllb, folder: &Path, language: &str, lines: &[&str]) -> usize {
    let reference = common::reference("nllb.py", &[folder, Path::new(language)], lines);
    let iso = language.trim_matches('_');
    let source = m.language_token(iso).unwrap();
    let ids: Vec<Vec<u32>> = lines
        .iter()
        .map(|l| m.tokenizer.encode(l, source))
        .collect();
    let target = m.language_token("eng_Latn").unwrap();
    let mut ours = Vec::new();
    for chunk in ids.chunks(8) {
        ours.extend(
            m.model
                .generate(chunk, &[target], &DecodeOptions::default())
                .unwrap(),
        );
    }
    let numbers = |v: &serde_json::Value| -> Vec<u32> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|i| i.as_u64().unwrap() as u32)
            .collect()
    };
    // Not a trivial agreement: lines decode to outputs of their own.
    let distinct: std::collections::HashSet<&Vec<u32>> = ours.iter().collect();
    assert!(
        ours.iter().all(|o| !o.is_empty()) && distinct.len() * 2 > lines.len().min(8),
        "{ours:?}"
    );
    let mut same = 0;
    for ((line, r), (src, out)) in lines.iter().zip(&reference).zip(ids.iter().zip(&ours)) {
        assert_eq!(src, &numbers(&r["ids"]), "source ids of {line:?}");
        if out == &numbers(&r["output"]) {
            same += 1;
        } else {
            eprintln!("{line:?}: toex {out:?}, reference {:?}", r["output"]);
        }
    }
    same
}

#[test]
fn a_tiny_random_nllb_translates_as_the_numpy_reference_does() {
    let (_dir, folder) = write(RandomModel::nllb_tiny());
    let m = Nllb::load_on(&folder, Precision::F32, &Device::Cpu).unwrap();
    for (language, lines) in [("arb_Arab", ARABIC), ("vie_Latn", VIETNAMESE)] {
        let same = agreement(&m, &folder, language, lines);
        common::assert_parity(same, lines.len(), "the reference");
    }
}

#[test]
fn an_m2m100_folder_numbers_pieces_by_its_vocab_json_as_the_reference_does() {
    let (_dir, folder) = write(RandomModel::m2m100_tiny());
    assert!(folder.join("vocab.json").is_file());
    let m = Nllb::load_on(&folder, Precision::F32, &Device::Cpu).unwrap();
    // M2M100's `__ar__` is NLLB's arb_Arab to the router; its output starts at `__en__`.
    assert_eq!(m.language_token("ar"), m.language_token("arb_Arab"));
    assert_eq!(
        m.tokenizer.token(m.language_token("en").unwrap()),
        Some("__en__")
    );
    for (language, lines) in [("__ar__", ARABIC), ("__vi__", VIETNAMESE)] {
        let same = agreement(&m, &folder, language, lines);
        common::assert_parity(same, lines.len(), "the reference");
    }
}

#[test]
fn an_nllb_600m_shaped_random_model_agrees_with_the_reference_on_98_percent_of_lines() {
    let (_dir, folder) = write(RandomModel::nllb_600m());
    let m = Nllb::load_on(&folder, Precision::F32, &Device::Cpu).unwrap();
    assert_eq!(m.model.config().vocab_size, 256_206);
    let lines: Vec<&str> = ARABIC.iter().chain(ARABIC).copied().collect();
    let same = agreement(&m, &folder, "arb_Arab", &lines);
    common::assert_parity(same, lines.len(), "the reference");
}

#[test]
fn a_padded_nllb_batch_translates_exactly_as_each_line_alone() {
    let (_dir, folder) = write(RandomModel::nllb_tiny());
    let m = Nllb::load_on(&folder, Precision::F32, &Device::Cpu).unwrap();
    let source = m.language_token("ar").unwrap();
    let target = m.language_token("eng_Latn").unwrap();
    let ids: Vec<Vec<u32>> = ARABIC
        .iter()
        .map(|l| m.tokenizer.encode(l, source))
        .collect();
    for beam in [1, 4] {
        let opts = DecodeOptions {
            beam,
            ..DecodeOptions::default()
        };
        let batched = m.model.generate(&ids, &[target], &opts).unwrap();
        for (one, together) in ids.iter().zip(&batched) {
            let alone = m
                .model
                .generate(std::slice::from_ref(one), &[target], &opts)
                .unwrap();
            assert_eq!(&alone[0], together, "beam {beam}");
            assert!(
                !together.contains(&target),
                "the forced token is not output"
            );
        }
    }
}
