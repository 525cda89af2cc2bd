//! Installed translation models: a damaged record in one folder is named by `list` and
//! skipped by the loader, so the other installed models (here a tiny random NLLB-200)
//! still load and translate — one bad folder never stops a server from starting.

use toex_inference::translate::random::RandomModel;
use toex_pipeline::installed::{self, InstallOptions};
use toex_pipeline::settings::TranslationSettings;

#[test]
fn a_damaged_record_is_named_and_skipped_and_the_other_models_still_load() {
    let work = tempfile::tempdir().unwrap();
    let models_dir = work.path().join("models");
    let source = work.path().join("nllb-test");
    RandomModel::nllb_tiny().write(&source).unwrap();
    let options = InstallOptions {
        name: None,
        language: None,
        max_bytes: 1 << 30,
    };
    let model = installed::install(&models_dir, &source, &options).unwrap();
    assert_eq!(
        (model.name.as_str(), model.family.as_str()),
        ("nllb-test", "nllb")
    );

    let damaged = installed::translation_dir(&models_dir).join("half-copied");
    std::fs::create_dir_all(&damaged).unwrap();
    std::fs::write(damaged.join(installed::RECORD), b"{\"name\": ").unwrap();

    let err = installed::list(&models_dir).unwrap_err().to_string();
    assert!(
        err.contains("half-copied") && err.contains("not a model record"),
        "{err}"
    );
    let (readable, unreadable) = installed::list_readable(&models_dir).unwrap();
    assert_eq!(readable.len(), 1);
    assert_eq!(unreadable.len(), 1);

    let translators =
        toex_pipeline::load_translators(&TranslationSettings::default(), &models_dir).unwrap();
    assert!(
        translators.can_translate("vi"),
        "{:?}",
        translators.loaded()
    );
    // Both are removed by name, the damaged one too; a name that is none is refused.
    assert!(installed::remove(&models_dir, "../models").is_err());
    assert!(installed::remove(&models_dir, "nothing-here").is_err());
    installed::remove(&models_dir, "half-copied").unwrap();
    installed::remove(&models_dir, "nllb-test").unwrap();
    assert!(installed::list(&models_dir).unwrap().is_empty());
}
