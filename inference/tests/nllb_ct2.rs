//! NLLB-200 from a CTranslate2 folder (`model.bin` written by CTranslate2's own writer,
//! its vocabulary, `sentencepiece.bpe.model`): toex reads it as the same network as the
//! Hugging Face folder it came from, and translates as CTranslate2 itself does on the
//! folder (tests/reference/ct2_nllb.py); an int8 folder gives toex's own int8 weights.

use std::path::Path;

use candle_core::Device;
use toex_inference::linear::Precision;
use toex_inference::translate::DecodeOptions;
use toex_inference::translate::nllb::Nllb;
use toex_inference::translate::random::RandomModel;

mod common;

use common::ARABIC_CHAT as LINES;

/// Greedy outputs of `m` on `LINES` in Arabic, in one batch.
fn translate(m: &Nllb) -> Vec<Vec<u32>> {
    let source = m.language_token("ar").unwrap();
    let target = m.language_token("eng_Latn").unwrap();
    let ids: Vec<Vec<u32>> = LINES
        .iter()
        .map(|l| m.tokenizer.encode(l, source))
        .collect();
    m.model
        .generate(&ids, &[target], &DecodeOptions::default())
        .unwrap()
}

/// Converts `hf` into `out` at `quantization` and runs CTranslate2 on it; its rows.
fn ct2(hf: &Path, out: &Path, quantization: &str, m: &Nllb) -> Vec<serde_json::Value> {
    let source = m.language_token("ar").unwrap();
    let input: Vec<String> = LINES
        .iter()
        .map(|l| {
            let n = m.tokenizer.encode(l, source).len();
            let limit = m.model.limit(n, 1, &DecodeOptions::default());
            format!("{limit}\t{l}")
        })
        .collect();
    let input: Vec<&str> = input.iter().map(String::as_str).collect();
    let args = [hf, out, Path::new(quantization), Path::new("arb_Arab")];
    common::reference("ct2_nllb.py", &args, &input)
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_ctranslate2_nllb_folder_is_the_network_it_was_converted_from() {
    let dir = tempfile::tempdir().unwrap();
    let (hf, out) = (dir.path().join("hf"), dir.path().join("ct2"));
    RandomModel::nllb_tiny().write(&hf).unwrap();
    let from_hf = Nllb::load_on(&hf, Precision::F32, &Device::Cpu).unwrap();
    let reference = ct2(&hf, &out, "float32", &from_hf);
    assert!(out.join("model.bin").is_file() && !out.join("model.safetensors").exists());
    let m = Nllb::load_on(&out, Precision::F32, &Device::Cpu).unwrap();
    assert_eq!(
        m.model.config().vocab_size,
        from_hf.model.config().vocab_size
    );
    assert!(m.model_id.starts_with("ct2@"), "{}", m.model_id);
    assert_ne!(
        m.model_id, from_hf.model_id,
        "named by model.bin's own digest"
    );
    let mut languages: Vec<&str> = m.tokenizer.languages().collect();
    let mut expected: Vec<&str> = from_hf.tokenizer.languages().collect();
    languages.sort_unstable();
    expected.sort_unstable();
    assert_eq!(languages, expected);
    // The same ids from either folder's tokenizer, and the same network.
    let ours = translate(&m);
    assert_eq!(ours, translate(&from_hf));
    let source = m.language_token("ar").unwrap();
    let mut same = 0;
    for ((line, row), out) in LINES.iter().zip(&reference).zip(&ours) {
        let tokens: Vec<String> = m
            .tokenizer
            .encode(line, source)
            .iter()
            .map(|&id| m.tokenizer.token(id).unwrap().to_owned())
            .collect();
        assert_eq!(tokens, strings(&row["tokens"]), "source of {line:?}");
        let words: Vec<String> = out
            .iter()
            .map(|&id| m.tokenizer.token(id).unwrap().to_owned())
            .collect();
        if words == strings(&row["output"]) {
            same += 1;
        } else {
            eprintln!("{line:?}: toex {words:?}, CTranslate2 {:?}", row["output"]);
        }
    }
    common::assert_parity(same, LINES.len(), "CTranslate2");
}

#[test]
fn an_int8_ctranslate2_nllb_folder_translates_as_toex_int8_does() {
    let dir = tempfile::tempdir().unwrap();
    let (hf, out) = (dir.path().join("hf"), dir.path().join("ct2"));
    RandomModel::nllb_tiny().write(&hf).unwrap();
    let from_hf = Nllb::load_on(&hf, Precision::Int8, &Device::Cpu).unwrap();
    ct2(&hf, &out, "int8", &from_hf);
    let m = Nllb::load_on(&out, Precision::Int8, &Device::Cpu).unwrap();
    // CTranslate2's int8 rows (round(w × 127 / max|w|)), dequantised and quantised again
    // by toex's own per-row scheme, are the same integers: the same outputs.
    let ours = translate(&m);
    assert!(ours.iter().all(|o| !o.is_empty()));
    assert_eq!(ours, translate(&from_hf));
}
