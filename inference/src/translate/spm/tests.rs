//! The tokeniser's segmentations, normalisation and refusals.

use super::*;

fn toy() -> SentencePiece {
    let json = serde_json::json!({
        "model": {
            "type": "Unigram",
            "unk_id": 0,
            "vocab": [
                ["<unk>", 0.0], ["</s>", 0.0], ["<pad>", 0.0],
                ["▁", -2.0], ["▁the", -1.0], ["▁car", -1.5], ["▁ca", -3.0], ["r", -3.0],
                ["s", -2.5], ["▁السيارة", -1.2], ["▁ال", -2.0], ["سيارة", -2.2],
                ["a", -4.0], ["c", -4.0], ["e", -4.0], ["h", -4.0], ["t", -4.0]
            ]
        }
    });
    SentencePiece::from_tokenizer_json(&json).unwrap()
}

#[test]
fn the_best_scoring_segmentation_wins() {
    let m = toy();
    let pieces = |t: &str| -> Vec<String> {
        m.encode(t)
            .iter()
            .map(|&i| m.piece(i).unwrap().to_owned())
            .collect()
    };
    assert_eq!(pieces("the cars"), ["▁the", "▁car", "s"]);
    assert_eq!(
        pieces("  the   car "),
        ["▁the", "▁car"],
        "whitespace collapsed"
    );
    assert_eq!(
        pieces("السيارة"),
        ["▁السيارة"],
        "one piece beats ▁ال + سيارة"
    );
    // Unknown characters: one unknown piece per run, never the control pieces.
    assert_eq!(pieces("the zzq car"), ["▁the", "▁", "<unk>", "▁car"]);
    assert_eq!(m.decode(&m.encode("the cars")), "the cars");
    assert_eq!(m.decode(&m.encode("the zzq car")), "the  ⁇  car");
    assert!(m.encode("").is_empty());
    // Full-width letters are NFKC-normalised first.
    assert_eq!(pieces("ｔｈｅ"), ["▁the"]);
}

#[test]
fn bad_models_are_refused_clearly() {
    assert!(matches!(
        SentencePiece::from_spm(b"\x0a\x05ab"),
        Err(SpmError::Malformed(_))
    ));
    assert!(matches!(
        SentencePiece::from_spm(b""),
        Err(SpmError::Malformed(_))
    ));
    let bpe = serde_json::json!({"model": {"type": "BPE", "vocab": {}}});
    assert_eq!(
        SentencePiece::from_tokenizer_json(&bpe).unwrap_err(),
        SpmError::Unsupported("BPE".into())
    );
    let no_unk = serde_json::json!({"model": {"type": "Unigram", "vocab": [["▁a", -1.0]]}});
    assert_eq!(
        SentencePiece::from_tokenizer_json(&no_unk).unwrap_err(),
        SpmError::NoUnknown
    );
    // A model file with one unknown piece and a trainer spec naming its type.
    let piece = [0x0a, 5, b'<', b'u', b'n', b'k', b'>', 0x18, 0x02];
    let file = |model_type: u8| {
        let mut f = vec![0x0a, piece.len() as u8];
        f.extend_from_slice(&piece);
        f.extend_from_slice(&[0x12, 0x02, 0x18, model_type]);
        f
    };
    assert_eq!(
        SentencePiece::from_spm(&file(3)).unwrap_err(),
        SpmError::Unsupported("word".into())
    );
    let m = SentencePiece::from_spm(&file(1)).unwrap();
    assert_eq!(
        (m.len(), m.unk_id(), m.algorithm()),
        (1, 0, Algorithm::Unigram)
    );
    let m = SentencePiece::from_spm(&file(2)).unwrap();
    assert_eq!(m.algorithm(), Algorithm::Bpe);
}

#[test]
fn bpe_merges_the_highest_scoring_pair_first_and_keeps_unknowns_apart() {
    let pieces = [
        ("<unk>", 0.0, PieceKind::Unknown),
        ("<s>", 0.0, PieceKind::Control),
        ("</s>", 0.0, PieceKind::Control),
        ("▁t", -1.0, PieceKind::Normal),
        ("he", -2.0, PieceKind::Normal),
        ("▁the", -3.0, PieceKind::Normal),
        ("ar", -4.0, PieceKind::Normal),
        ("▁c", -5.0, PieceKind::Normal),
        ("▁car", -6.0, PieceKind::Normal),
        ("▁th", -0.5, PieceKind::Normal),
        ("▁", -7.0, PieceKind::Normal),
        ("t", -8.0, PieceKind::Normal),
        ("h", -8.0, PieceKind::Normal),
        ("e", -8.0, PieceKind::Normal),
        ("c", -8.0, PieceKind::Normal),
        ("a", -8.0, PieceKind::Normal),
        ("r", -8.0, PieceKind::Normal),
    ];
    let m = SentencePiece::from_spm(&write_model(&pieces, Algorithm::Bpe)).unwrap();
    assert_eq!(m.algorithm(), Algorithm::Bpe);
    let pieces = |t: &str| -> Vec<String> {
        m.encode(t)
            .iter()
            .map(|&i| m.piece(i).unwrap().to_owned())
            .collect()
    };
    // ▁t (−1) would merge first by itself, but ▁th (−0.5) does not exist until then: the
    // merges go ▁+t, then h+e, then ▁t+he (▁the); ▁th never forms from ▁t+h because
    // h+e scored higher and took the h.
    assert_eq!(pieces("the car"), ["▁the", "▁car"]);
    assert_eq!(pieces("tart"), ["▁t", "ar", "t"]);
    // A run of unknown characters is one unknown piece; control pieces never come out.
    assert_eq!(pieces("zq"), ["▁", "<unk>"]);
    assert_eq!(pieces("zqa"), ["▁", "<unk>", "a"]);
    assert_eq!(m.decode(&m.encode("the car")), "the car");
    assert!(m.encode("  ").is_empty());
}
