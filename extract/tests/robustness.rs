//! Extraction never panics and its offsets always point at what it says it found, on
//! random text built from the characters the patterns care about (digits in three
//! scripts, separators, `@`, `:`, `/`, Latin and Arabic letters, combining marks).

use rand::{Rng, SeedableRng, seq::IndexedRandom};
use rand_chacha::ChaCha8Rng;
use toex_extract::{Gazetteer, KnownPerson, extract};

const PIECES: &[&str] = &[
    "0", "7", "9", "1", "٠", "٧", "۹", "+", "00", " ", "-", "(", ")", ".", "@", ":", "/", "a", "Z",
    "snap", "ig", "www.", "https://", "t.me/", "wa.me/", "GB82", "bc1q", "0x", "LS1", "1AB",
    "AB12", "CDE", "محمد", "حسن", "سناب", "\u{064E}", "ـ", "\n", "é", "👍", "Mohammed", "Hassan",
    ",", "3", "7abibi", "£",
];

#[test]
fn random_text_never_breaks_extraction() {
    let gazetteer = Gazetteer::new([KnownPerson {
        id: "P".into(),
        names: vec!["Mohammed Hassan".into(), "محمد حسن".into()],
    }]);
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    for _ in 0..20_000 {
        let len = rng.random_range(0..40);
        let text: String = (0..len)
            .map(|_| *PIECES.choose(&mut rng).unwrap())
            .collect();
        let chars: Vec<char> = text.chars().collect();
        for f in extract(&text, Some(&gazetteer)) {
            let (s, e) = (f.start as usize, f.end as usize);
            assert!(s < e && e <= chars.len(), "{f:?} in {text:?}");
            let span: String = chars[s..e].iter().collect();
            assert_eq!(span, f.text, "offsets of {f:?} in {text:?}");
        }
    }
}
