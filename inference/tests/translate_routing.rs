//! Routing of a mixed-language text, with two random models standing in: an OPUS-MT pair
//! for Arabic and an NLLB-200 model. Each line goes to its language's dedicated pair
//! first, else to NLLB, English stays as it is, and the provenance records which model
//! translated which lines; without NLLB, a line of another language is refused by name
//! (interactive) or kept untranslated (ingest).

use std::collections::BTreeMap;

use toex_inference::linear::Precision;
use toex_inference::translate::random::RandomModel;
use toex_inference::translate::{DecodeOptions, LineRun, Missing, Translators};

const MIXED: &str = "السيارة بالكراج يم الشقة وين انت هسه\n\
                     I will be at the garage at nine tonight, bring the car\n\
                     anh đang ở đâu xe trong nhà để ngày mai gặp nhau\n\
                     \n\
                     وين انت هسه السيارة بالكراج\n\
                     anh ở đâu ngày mai gặp nhau ở nhà để xe";

fn models() -> (
    tempfile::TempDir,
    BTreeMap<String, std::path::PathBuf>,
    std::path::PathBuf,
) {
    let dir = tempfile::tempdir().unwrap();
    let pair = dir.path().join("opus-mt-test-ar-en");
    RandomModel::tiny().write(&pair).unwrap();
    let nllb = dir.path().join("nllb-test");
    RandomModel::nllb_tiny().write(&nllb).unwrap();
    let pairs = BTreeMap::from([("ar".to_owned(), pair)]);
    (dir, pairs, nllb)
}

fn load(
    pairs: &BTreeMap<String, std::path::PathBuf>,
    nllb: Option<&std::path::Path>,
) -> Translators {
    Translators::load(pairs, nllb, DecodeOptions::default(), 8, Precision::F32).unwrap()
}

#[test]
fn a_mixed_arabic_english_vietnamese_text_goes_line_by_line_to_each_languages_model() {
    let (_dir, pairs, nllb) = models();
    let t = load(&pairs, Some(&nllb));
    let out = t
        .translate(MIXED, None, None, Missing::Refuse, &mut |_, _| {})
        .unwrap();
    assert_eq!(out.lines.len(), 6);
    assert_eq!(
        out.lines[1],
        MIXED.lines().nth(1).unwrap().trim(),
        "English kept"
    );
    assert_eq!(out.lines[3], "");
    let pair_id = t.route("ar").unwrap().model_id().to_owned();
    let nllb_id = t.route("vi").unwrap().model_id().to_owned();
    assert!(pair_id.starts_with("opus-mt-test-ar-en@") && nllb_id.starts_with("nllb-test@"));
    let run = |first, last, language: &str, model: &str| LineRun {
        first,
        last,
        language: language.to_owned(),
        model: model.to_owned(),
    };
    assert_eq!(
        out.runs,
        [
            run(0, 0, "ar", &pair_id),
            run(2, 2, "vi", &nllb_id),
            run(4, 4, "ar", &pair_id),
            run(5, 5, "vi", &nllb_id),
        ]
    );
    assert_eq!(out.engine, "marian-candle+nllb-candle");
    assert!(out.untranslated.is_empty());
    // Each line as the model of its language translates it alone.
    for (n, line) in MIXED
        .lines()
        .enumerate()
        .filter(|(n, _)| [0, 2].contains(n))
    {
        let alone = t
            .translate(line, None, None, Missing::Refuse, &mut |_, _| {})
            .unwrap();
        assert_eq!(alone.lines[0], out.lines[n], "line {n}");
    }
    // The pair is preferred; NLLB takes Arabic when told to by its code.
    let stated = t
        .translate(
            MIXED.lines().next().unwrap(),
            Some("arb_Arab"),
            None,
            Missing::Refuse,
            &mut |_, _| {},
        )
        .unwrap();
    assert_eq!(stated.runs[0].model, nllb_id);
    let languages = t.languages();
    let model_of = |l: &str| {
        languages
            .iter()
            .find(|x| x.language == l)
            .map(|x| x.model.as_str())
    };
    assert_eq!(model_of("ar"), Some(pair_id.as_str()));
    assert_eq!(model_of("vi"), Some(nllb_id.as_str()));
    assert_eq!(model_of("acm_Arab"), Some(nllb_id.as_str()));
    assert_eq!(model_of("en"), None, "English is the target");
}

#[test]
fn without_nllb_a_vietnamese_line_is_refused_by_name_or_kept_at_ingest() {
    let (_dir, pairs, _) = models();
    let t = load(&pairs, None);
    let err = t
        .translate(MIXED, None, None, Missing::Refuse, &mut |_, _| {})
        .unwrap_err()
        .to_string();
    assert!(err.contains("`vi`") && err.contains("NLLB-200"), "{err}");
    let kept = t
        .translate(MIXED, None, Some("ar"), Missing::Keep, &mut |_, _| {})
        .unwrap();
    assert_eq!(kept.untranslated, ["vi"]);
    assert_eq!(kept.lines[2], MIXED.lines().nth(2).unwrap().trim_start());
    assert_eq!(
        kept.runs.iter().map(|r| r.first).collect::<Vec<_>>(),
        [0, 4],
        "the Arabic lines are translated: {:?}",
        kept.runs
    );
}

#[test]
fn an_arabizi_line_is_read_in_arabic_script_by_the_arabic_model_and_says_so() {
    let (_dir, pairs, nllb) = models();
    let t = load(&pairs, Some(&nllb));
    let text = "es-sayyara bil-garaj yam esh-shuqqa, wain inta hassa? 07700 900123\n\
                I will be at the garage at nine tonight\n\
                السيارة بالكراج يم الشقة, وين انت هسه? 07700 900123";
    let out = t
        .translate(text, None, None, Missing::Refuse, &mut |_, _| {})
        .unwrap();
    let pair_id = t.route("ar").unwrap().model_id().to_owned();
    assert_eq!(
        out.runs
            .iter()
            .map(|r| (r.first, r.language.as_str(), r.model.as_str()))
            .collect::<Vec<_>>(),
        [
            (0, "ar-Latn", pair_id.as_str()),
            (2, "ar", pair_id.as_str())
        ]
    );
    // Written in Arabic script, it is the Arabic line: the same translation, the phone
    // number kept as it was.
    assert_eq!(out.lines[0], out.lines[2]);
    assert!(out.lines[0].contains("07700 900123"), "{}", out.lines[0]);
    assert_eq!(out.lines[1], text.lines().nth(1).unwrap().trim());
}
