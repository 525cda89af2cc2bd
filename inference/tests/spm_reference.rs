//! The SentencePiece tokeniser against Google's sentencepiece itself
//! (tests/reference/spm.py): a unigram model (as OPUS-MT's) trained there on seeded
//! English and Iraqi-Arabic chat lines, and a BPE model (as NLLB-200's) trained on those
//! and eight more languages in five scripts, are read here from their files, and every
//! line must give the same pieces, the same ids and the same decoded text.

use toex_inference::translate::spm::{Algorithm, SentencePiece};

mod common;

const LINES: &[&str] = &[
    "the car is at the garage near the flat",
    "السيارة بالكراج يم الشقة",
    "رقمي الجديد لا تنطيه لأحد، الشرطة بالمنطقة",
    "  extra   spaces\tand a tab here ",
    "unseen words xyzzy ق ٠٧٧٠٠ 9",
    "ＦＵＬＬ width and ﻻ ligature",
    "",
    "money tomorrow, police!",
    "meet me after school وين انت جاي هسه",
    "e\u{301}cole café",
];

/// Multilingual chat, with words and characters the BPE model never saw.
const MULTILINGUAL: &[&str] = &[
    "anh đang ở đâu mai gặp nhau ở nhà hàng",
    "ku je nesër takohemi te shtëpia",
    "unde ești mâine ne vedem la mașină",
    "gdzie jesteś jutro spotkamy się, policja!",
    "کجایی فردا همدیگر را می بینیم",
    "የት ነህ ነገ እንገናኛለን",
    "你在哪里 明天见",
    "meet me tomorrow ok? السيارة بالكراج 07700 900123",
    "Zürich straße ŽŽŽ qqq ñandú",
    "  spaced\tout   text ",
    "",
    "ＦＵＬＬ width ﻻ",
];

#[test]
fn unigram_pieces_ids_and_decoding_match_sentencepiece() {
    check("unigram", Algorithm::Unigram, 100, LINES);
}

#[test]
fn bpe_pieces_ids_and_decoding_match_sentencepiece_in_nine_languages() {
    let all: Vec<&str> = LINES.iter().chain(MULTILINGUAL).copied().collect();
    check("bpe", Algorithm::Bpe, 600, &all);
}

fn check(kind: &str, algorithm: Algorithm, pieces: usize, lines: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let reference = common::reference("spm.py", &[dir.path(), std::path::Path::new(kind)], lines);

    let model =
        SentencePiece::from_spm(&std::fs::read(dir.path().join("m.model")).unwrap()).unwrap();
    assert_eq!((model.len(), model.algorithm()), (pieces, algorithm));
    for (line, r) in lines.iter().zip(&reference) {
        let ids = model.encode(line);
        let pieces: Vec<&str> = ids.iter().map(|&i| model.piece(i).unwrap()).collect();
        let want: Vec<&str> = r["pieces"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap())
            .collect();
        assert_eq!(pieces, want, "pieces of {line:?}");
        let want_ids: Vec<u32> = r["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i.as_u64().unwrap() as u32)
            .collect();
        assert_eq!(ids, want_ids, "ids of {line:?}");
        assert_eq!(
            model.decode(&ids),
            r["decoded"].as_str().unwrap(),
            "decoding {line:?}"
        );
    }
}
