//! `toex translate` end to end with a model folder (a seeded random Marian: no OPUS-MT
//! weights can be downloaded here): N lines in and N out, English and empty lines
//! untouched, identifiers verbatim, throughput and cost reported; the model found through
//! settings; clear errors without one.

use std::process::Command;

use toex_indexer::translate::random::RandomModel;

fn toex() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_toex"));
    for (k, _) in std::env::vars() {
        if k.starts_with("TOEX_") {
            c.env_remove(k);
        }
    }
    c
}

#[test]
fn translate_runs_end_to_end_with_a_model_folder() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("opus-mt-test-ar-en");
    RandomModel::tiny().write(&model).unwrap();
    let input = dir.path().join("chat.txt");
    std::fs::write(
        &input,
        "السيارة بالكراج يم الشقة ورقمي ٠٧٧٠٠ ٩٠٠١٢٣\n\nI will be there at 9\nايميلي ali.h@example.co.uk\n",
    )
    .unwrap();

    let out = toex()
        .args([
            "translate",
            input.to_str().unwrap(),
            "--from",
            "ar",
            "--beam",
            "2",
        ])
        .arg("--model")
        .arg(&model)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].contains("٠٧٧٠٠ ٩٠٠١٢٣"), "{}", lines[0]);
    assert_eq!(lines[1], "");
    assert_eq!(lines[2], "I will be there at 9");
    assert!(lines[3].contains("ali.h@example.co.uk"), "{}", lines[3]);
    assert!(stderr.contains("opus-mt-test-ar-en@"), "{stderr}");
    assert!(
        stderr.contains("lines/s") && stderr.contains("per million characters"),
        "{stderr}"
    );

    // The model from settings (here the environment), not a flag.
    let again = toex()
        .args([
            "translate",
            input.to_str().unwrap(),
            "--from",
            "ar",
            "--beam",
            "2",
        ])
        .env("TOEX_TRANSLATION_MODELS_AR", &model)
        .output()
        .unwrap();
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(
        String::from_utf8(again.stdout).unwrap(),
        text,
        "deterministic"
    );

    // No model for the language: said plainly, nothing printed.
    let none = toex()
        .args(["translate", input.to_str().unwrap(), "--from", "ar"])
        .output()
        .unwrap();
    assert!(!none.status.success());
    assert!(none.stdout.is_empty());
    let why = String::from_utf8_lossy(&none.stderr);
    assert!(
        why.contains("no translation model is configured for `ar`"),
        "{why}"
    );

    // Detected per line, with only a French model: the Arabic lines have none.
    let fr = toex()
        .args(["translate", input.to_str().unwrap()])
        .env("TOEX_TRANSLATION_MODELS_FR", &model)
        .output()
        .unwrap();
    assert!(!fr.status.success());
    assert!(String::from_utf8_lossy(&fr.stderr).contains("`ar`"));

    let missing = toex()
        .args([
            "translate",
            "/nonexistent/file.txt",
            "--from",
            "ar",
            "--model",
        ])
        .arg(&model)
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/file.txt"));
}
