//! The Marian model on a tiny model with seeded random weights and a matching
//! tokenizer, built here (no OPUS-MT weights can be downloaded): loading, batches that
//! translate exactly as single lines, beam search, the length guard, determinism, line
//! alignment with identifiers kept verbatim, and clear errors for broken model folders.

use std::path::Path;

use candle_core::{Device, Tensor};
use toex_inference::InferenceError;
use toex_inference::linear::Precision;
use toex_inference::translate::random::RandomModel;
use toex_inference::translate::{DecodeOptions, Marian, PlanOptions, translate_text};

/// Writes the tiny random model (seeded: the same weights every run) into `dir`;
/// `eos_bias` is added to the end token's logit (very negative: it never ends).
fn write_model(dir: &Path, eos_bias: f32) {
    RandomModel {
        eos_bias,
        ..RandomModel::tiny()
    }
    .write(dir)
    .unwrap();
}

fn model(eos_bias: f32) -> (tempfile::TempDir, Marian) {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("opus-mt-test-ar-en");
    std::fs::create_dir(&folder).unwrap();
    write_model(&folder, eos_bias);
    let m = Marian::load_on(&folder, Precision::F32, &Device::Cpu).unwrap();
    (dir, m)
}

const SOURCES: &[&str] = &[
    "السيارة بالكراج يم الشقة",
    "the car",
    "السيارة بالكراج يم الشقة والبيت قريب من المدرسة",
    "ق",
];

#[test]
fn a_padded_batch_translates_exactly_as_each_line_alone() {
    let (_dir, m) = model(0.0);
    let ids: Vec<Vec<u32>> = SOURCES.iter().map(|s| m.tokenizer.encode(s)).collect();
    assert!(
        ids.iter().all(|i| i.last() == Some(&0)),
        "each ends with </s>"
    );
    for beam in [1, 4] {
        let opts = DecodeOptions {
            beam,
            ..DecodeOptions::default()
        };
        let batched = m.model.generate(&ids, &[], &opts).unwrap();
        for (one, together) in ids.iter().zip(&batched) {
            let alone = m
                .model
                .generate(std::slice::from_ref(one), &[], &opts)
                .unwrap();
            assert_eq!(&alone[0], together, "beam {beam}");
        }
        // Deterministic: the same again.
        assert_eq!(m.model.generate(&ids, &[], &opts).unwrap(), batched);
    }
}

#[test]
fn the_length_guard_stops_a_model_that_never_ends() {
    let (_dir, m) = model(-1e9);
    let ids: Vec<Vec<u32>> = SOURCES.iter().map(|s| m.tokenizer.encode(s)).collect();
    let opts = DecodeOptions::default();
    let out = m.model.generate(&ids, &[], &opts).unwrap();
    for (src, o) in ids.iter().zip(&out) {
        assert_eq!(o.len(), m.model.limit(src.len(), 0, &opts), "{src:?}");
        assert!(o.len() <= 2 * src.len() + 10);
        assert!(
            !o.contains(&(m.model.config().pad_token_id)),
            "padding is never output"
        );
    }
    let short = DecodeOptions {
        max_tokens: 5,
        beam: 3,
        ..DecodeOptions::default()
    };
    for o in m.model.generate(&ids, &[], &short).unwrap() {
        assert_eq!(o.len(), 5);
    }
    // An input past the model's positions is refused, not truncated silently.
    let long = vec![vec![3u32; 70]];
    assert!(matches!(
        m.model.generate(&long, &[], &opts),
        Err(InferenceError::InvalidDocument(_))
    ));
}

#[test]
fn a_beam_of_one_is_greedy_and_wider_beams_stay_in_bounds() {
    let (_dir, m) = model(0.0);
    let ids: Vec<Vec<u32>> = SOURCES.iter().map(|s| m.tokenizer.encode(s)).collect();
    let greedy = m
        .model
        .generate(&ids, &[], &DecodeOptions::default())
        .unwrap();
    let beam = |k| {
        m.model
            .generate(
                &ids,
                &[],
                &DecodeOptions {
                    beam: k,
                    ..DecodeOptions::default()
                },
            )
            .unwrap()
    };
    assert_eq!(beam(1), greedy);
    let opts = DecodeOptions::default();
    for (src, out) in ids.iter().zip(beam(5)) {
        assert!(out.len() <= m.model.limit(src.len(), 0, &opts));
        assert!(!out.contains(&0), "the end token is not part of the output");
    }
}

#[test]
fn lines_stay_aligned_and_identifiers_survive_a_random_model() {
    let (_dir, m) = model(0.0);
    let text =
        "رقمي ٠٧٧٠٠ ٩٠٠١٢٣ والسيارة YX19 ABC\n\nI am fine\nايميلي ali.h@example.co.uk تعال ١١\n";
    let (lines, pieces) = translate_text(
        &m,
        text,
        &PlanOptions::default(),
        &DecodeOptions::default(),
        8,
    )
    .unwrap();
    assert_eq!(lines.len(), 5, "{lines:?}");
    assert_eq!(pieces, 2);
    assert_eq!(lines[1], "");
    assert_eq!(lines[2], "I am fine", "English passes through");
    for id in ["٠٧٧٠٠ ٩٠٠١٢٣", "YX19 ABC"] {
        assert!(lines[0].contains(id), "{id} in {:?}", lines[0]);
    }
    for id in ["ali.h@example.co.uk", "١١"] {
        assert!(lines[3].contains(id), "{id} in {:?}", lines[3]);
    }
    let again = translate_text(
        &m,
        text,
        &PlanOptions::default(),
        &DecodeOptions::default(),
        1,
    )
    .unwrap();
    assert_eq!(again.0, lines, "batch size does not change the translation");
    assert!(
        m.model_id.starts_with("opus-mt-test-ar-en@"),
        "{}",
        m.model_id
    );
}

#[test]
fn broken_model_folders_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let err = |d: &Path| match Marian::load_on(d, Precision::F32, &Device::Cpu) {
        Err(InferenceError::Model(m)) => m,
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("loaded"),
    };
    assert!(err(dir.path()).contains("config.json"));
    write_model(dir.path(), 0.0);
    // Weights that do not fit the configuration.
    let cfg = dir.path().join("config.json");
    let good = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, good.replace("\"d_model\":16", "\"d_model\":32")).unwrap();
    assert!(
        err(dir.path()).contains("Marian weights"),
        "{}",
        err(dir.path())
    );
    std::fs::write(&cfg, &good).unwrap();
    // A vocabulary of the wrong size.
    let tok = dir.path().join("tokenizer.json");
    let t = std::fs::read_to_string(&tok).unwrap();
    std::fs::write(&tok, t.replacen("[\"▁the\",-2.0],", "", 1)).unwrap();
    assert!(
        err(dir.path()).contains("vocabulary"),
        "{}",
        err(dir.path())
    );
    std::fs::remove_file(&tok).unwrap();
    assert!(err(dir.path()).contains("tokenizer.json"));
    std::fs::write(&tok, &t).unwrap();
    std::fs::write(dir.path().join("model.safetensors"), b"not safetensors").unwrap();
    let e = err(dir.path());
    assert!(e.contains("model.safetensors") && !e.contains('\n'), "{e}");
}

#[test]
fn single_lines_decode_as_candle_transformers_stock_marian_does() {
    use candle_transformers::models::marian::{Config, MTModel};
    let dir = tempfile::tempdir().unwrap();
    write_model(dir.path(), 0.0);
    let ours = Marian::load_on(dir.path(), Precision::F32, &Device::Cpu).unwrap();
    let cfg: Config =
        serde_json::from_slice(&std::fs::read(dir.path().join("config.json")).unwrap()).unwrap();
    let vb = candle_nn::VarBuilder::from_buffered_safetensors(
        std::fs::read(dir.path().join("model.safetensors")).unwrap(),
        candle_core::DType::F32,
        &Device::Cpu,
    )
    .unwrap();
    let mut stock = MTModel::new(&cfg, vb).unwrap();
    let opts = DecodeOptions::default();
    for source in SOURCES {
        let ids = ours.tokenizer.encode(source);
        let limit = ours.model.limit(ids.len(), 0, &opts);
        // The stock model, greedy, with the padding token ruled out as Hugging Face does.
        stock.reset_kv_cache();
        let input = Tensor::new(ids.as_slice(), &Device::Cpu)
            .unwrap()
            .unsqueeze(0)
            .unwrap();
        let encoded = stock.encoder().forward(&input, 0).unwrap();
        let mut out: Vec<u32> = Vec::new();
        let mut last = cfg.decoder_start_token_id;
        for step in 0..limit {
            let t = Tensor::new(&[last], &Device::Cpu)
                .unwrap()
                .unsqueeze(0)
                .unwrap();
            let logits = stock.decode(&t, &encoded, step).unwrap();
            let mut row: Vec<f32> = logits
                .squeeze(0)
                .unwrap()
                .squeeze(0)
                .unwrap()
                .to_vec1()
                .unwrap();
            row[cfg.pad_token_id as usize] = f32::NEG_INFINITY;
            let next = row
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map(|(i, _)| i as u32)
                .unwrap();
            if next == cfg.eos_token_id {
                break;
            }
            out.push(next);
            last = next;
        }
        let mine = ours
            .model
            .generate(std::slice::from_ref(&ids), &[], &opts)
            .unwrap();
        assert_eq!(mine[0], out, "{source}");
    }
}

#[test]
fn int8_weights_translate_batches_as_single_lines_and_say_so_in_the_model_id() {
    // 64 wide, every projection quantised.
    let dir = tempfile::tempdir().unwrap();
    RandomModel {
        d_model: 64,
        heads: 4,
        ffn: 128,
        ..RandomModel::tiny()
    }
    .write(dir.path())
    .unwrap();
    let f32 = Marian::load_on(dir.path(), Precision::F32, &Device::Cpu).unwrap();
    let int8 = Marian::load_on(dir.path(), Precision::Int8, &Device::Cpu).unwrap();
    assert!(int8.model_id.ends_with("+int8"), "{}", int8.model_id);
    assert_eq!(
        int8.model_id.trim_end_matches("+int8"),
        f32.model_id,
        "same weights, same digest"
    );
    let ids: Vec<Vec<u32>> = SOURCES.iter().map(|s| int8.tokenizer.encode(s)).collect();
    let opts = DecodeOptions::default();
    let batched = int8.model.generate(&ids, &[], &opts).unwrap();
    for (one, together) in ids.iter().zip(&batched) {
        let alone = int8
            .model
            .generate(std::slice::from_ref(one), &[], &opts)
            .unwrap();
        assert_eq!(&alone[0], together);
        assert!(!together.is_empty() && together.len() <= int8.model.limit(one.len(), 0, &opts));
    }
    assert_eq!(int8.model.generate(&ids, &[], &opts).unwrap(), batched);
}
