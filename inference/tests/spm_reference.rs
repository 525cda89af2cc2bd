//! The SentencePiece unigram tokeniser against Google's sentencepiece itself
//! (tests/reference/spm.py): a model trained there on seeded English and Iraqi-Arabic
//! chat lines is read here from its file, and every line must give the same pieces, the
//! same ids and the same decoded text.

use toex_inference::translate::spm::Unigram;

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

#[test]
fn pieces_ids_and_decoding_match_sentencepiece() {
    let dir = tempfile::tempdir().unwrap();
    let reference = common::reference("spm.py", &[dir.path()], LINES);

    let model = Unigram::from_spm(&std::fs::read(dir.path().join("m.model")).unwrap()).unwrap();
    assert_eq!(model.len(), 100);
    for (line, r) in LINES.iter().zip(&reference) {
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
