//! all-MiniLM-L6-v2 on candle against a NumPy BERT forward pass with Hugging Face's
//! tokenizer (tests/reference/minilm.py), on real sentences: the token ids must be equal
//! and the vectors must agree to 1e-4; and similar sentences must be near.

use std::path::PathBuf;

use toex_inference::embed::{EMBEDDING_DIM, Embedder, WordPiece};

mod common;
use common::repo_root;

fn model_dir() -> PathBuf {
    let dir = repo_root().join(".toex/models/all-MiniLM-L6-v2");
    assert!(
        dir.join("model.safetensors").is_file(),
        "{} is missing: run scripts/fetch-models.sh (scripts/setup.sh does)",
        dir.display()
    );
    dir
}

const SENTENCES: &[&str] = &[
    "He would pick the girls up after school and take them to the flat.",
    "The victim said the man drove a silver Vauxhall Astra with a broken headlight.",
    "Meet me at the car wash on Leeds Road at 9pm, bring the package.",
    "Café owners in Bradford reported the suspect's phone number: 07700 900123!",
    "I told my social worker about it last summer but nobody listened.",
];

#[test]
fn embeddings_match_a_numpy_reference_and_tokens_match_hugging_face() {
    let model = model_dir();
    let reference = common::reference("minilm.py", &[model.as_path()], SENTENCES);

    let embedder = Embedder::load(&model_dir()).unwrap();
    let tokenizer = WordPiece::from_vocab_file(&model_dir().join("vocab.txt")).unwrap();
    let ours = embedder.embed(SENTENCES).unwrap();
    for (i, (r, v)) in reference.iter().zip(&ours).enumerate() {
        let ids: Vec<u32> = r["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as u32)
            .collect();
        assert_eq!(
            tokenizer.encode(SENTENCES[i], 256),
            ids,
            "tokens of {:?}",
            SENTENCES[i]
        );
        assert_eq!(v.len(), EMBEDDING_DIM);
        let worst = r["vector"]
            .as_array()
            .unwrap()
            .iter()
            .zip(v)
            .map(|(a, b)| (a.as_f64().unwrap() - *b as f64).abs())
            .fold(0.0, f64::max);
        assert!(worst < 1e-4, "sentence {i}: max |Δ| = {worst}");
    }
    let cos = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    let pair = embedder
        .embed(&[
            "The man assaulted his partner at home.",
            "He hit his girlfriend in their house.",
        ])
        .unwrap();
    let other = embedder
        .embed(&["Quarterly rainfall in Scotland rose sharply."])
        .unwrap();
    assert!(cos(&pair[0], &pair[1]) > 0.5, "{}", cos(&pair[0], &pair[1]));
    assert!(cos(&pair[0], &other[0]) < 0.2);
}
