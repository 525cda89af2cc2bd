//! `toex models` end to end: an NLLB-200 folder (seeded random weights) installed from a
//! .tar.gz while a server runs is picked up without a restart — `/health` lists its
//! languages and GraphQL `translate` uses it — and `toex translate` uses it too; list
//! shows it with its size and hash; removing it takes it away again. A CTranslate2
//! folder (converted by CTranslate2's own writer) installs and translates too. Archives
//! that would write outside their folder, and folders that are not models, are refused
//! plainly.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;
use toex_inference::translate::random::RandomModel;

use crate::helpers::{TestApp, error_code};

fn toex(models_dir: &Path) -> Command {
    let mut c = crate::helpers::toex_command();
    c.env("TOEX_MODELS_DIR", models_dir);
    c
}

fn run(c: &mut Command) -> (bool, String, String) {
    let out = c.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Polls `/health` until `vi` is translatable (or not), within 30 s.
async fn wait_for_vietnamese(app: &TestApp, present: bool) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let h = app.health().await;
        let has = h["translation"]
            .as_array()
            .is_some_and(|l| l.iter().any(|t| t["language"] == "vi"));
        if has == present || Instant::now() > deadline {
            return h;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_nllb_model_installed_while_serving_is_used_without_a_restart_and_removed() {
    let work = tempfile::tempdir().unwrap();
    let models_dir = work.path().join("models");
    let folder = work.path().join("nllb-test");
    RandomModel::nllb_tiny().write(&folder).unwrap();
    let archive = work.path().join("nllb-test.tar.gz");
    let tarred = Command::new("tar")
        .arg("czf")
        .arg(&archive)
        .arg("-C")
        .arg(work.path())
        .arg("nllb-test")
        .status()
        .unwrap();
    assert!(tarred.success());
    let dir = models_dir.clone();
    let app = TestApp::spawn_adjusting(|s| s.models.dir = dir).await;

    const TRANSLATE: &str =
        "query($t: String!) { translate(text: $t) { lines runs { language model } } }";
    let line = "anh đang ở đâu xe trong nhà để ngày mai gặp nhau";
    let r = app.graphql(TRANSLATE, json!({"t": line})).await;
    assert_eq!(error_code(&r), Some("MODEL_UNAVAILABLE"), "{r}");
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("toex models install"),
        "the message says what to do: {r}"
    );

    let (ok, out, err) = run(toex(&models_dir).args(["models", "install"]).arg(&archive));
    assert!(ok, "{err}");
    assert!(
        out.contains("installed nllb-test (nllb, 15 languages"),
        "{out}"
    );

    // The server sees it within seconds, without a restart.
    let h = wait_for_vietnamese(&app, true).await;
    let vi = h["translation"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["language"] == "vi")
        .unwrap_or_else(|| panic!("{h}"));
    assert!(
        vi["model"].as_str().unwrap().starts_with("nllb-test@"),
        "{h}"
    );
    let r = app.graphql(TRANSLATE, json!({"t": line})).await;
    assert!(r["errors"].is_null(), "{r}");
    assert_eq!(r["data"]["translate"]["runs"][0]["language"], "vi", "{r}");

    // The CLI uses it as well, and lists it with its size and weights hash.
    let input = work.path().join("chat.txt");
    std::fs::write(&input, format!("{line}\nsee you tomorrow at the flat\n")).unwrap();
    let (ok, out, err) = run(toex(&models_dir).arg("translate").arg(&input));
    assert!(ok, "{err}");
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(err.contains("nllb-test@"), "{err}");
    let (ok, out, _) = run(toex(&models_dir).args(["models", "list"]));
    assert!(ok);
    let row = out
        .lines()
        .find(|l| l.starts_with("nllb-test\t"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        row.contains("\tnllb\t15 languages\t") && row.contains("KiB"),
        "{row}"
    );
    let record: serde_json::Value = serde_json::from_slice(
        &std::fs::read(models_dir.join("translation/nllb-test/toex-model.json")).unwrap(),
    )
    .unwrap();
    let weights = record["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "model.safetensors")
        .unwrap();
    assert_eq!(weights["sha256"].as_str().unwrap().len(), 64);
    assert!(
        row.contains(&weights["sha256"].as_str().unwrap()[..12]),
        "{row}"
    );

    // Installed twice, or a name that is not one: refused, nothing changed.
    let (ok, _, err) = run(toex(&models_dir).args(["models", "install"]).arg(&archive));
    assert!(!ok && err.contains("installed already"), "{err}");
    let (ok, _, err) = run(toex(&models_dir)
        .args(["models", "install", "--name", "../x"])
        .arg(&folder));
    assert!(!ok && err.contains("not a model name"), "{err}");

    let (ok, out, err) = run(toex(&models_dir).args(["models", "remove", "nllb-test"]));
    assert!(ok && out.contains("removed nllb-test"), "{err}");
    let h = wait_for_vietnamese(&app, false).await;
    assert!(
        !h["translation"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["language"] == "vi"),
        "{h}"
    );
    app.stop().await;
}

#[test]
fn archives_that_escape_their_folder_and_folders_that_are_not_models_are_refused() {
    let work = tempfile::tempdir().unwrap();
    let models_dir = work.path().join("models");
    // A zip whose entry climbs out of the folder.
    let evil = work.path().join("evil.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&evil).unwrap());
    zip.start_file(
        "../../outside.txt",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    zip.write_all(b"x").unwrap();
    zip.finish().unwrap();
    let (ok, _, err) = run(toex(&models_dir).args(["models", "install"]).arg(&evil));
    assert!(!ok && err.contains("points outside the archive"), "{err}");
    assert!(!work.path().join("outside.txt").exists());

    // A folder with no model in it, a broken CTranslate2 folder, an unknown archive type.
    let empty = work.path().join("empty-model");
    std::fs::create_dir(&empty).unwrap();
    let (ok, _, err) = run(toex(&models_dir).args(["models", "install"]).arg(&empty));
    assert!(!ok && err.contains("config.json"), "{err}");
    let ct2 = work.path().join("nllb-ct2");
    std::fs::create_dir(&ct2).unwrap();
    std::fs::write(ct2.join("model.bin"), b"ct2").unwrap();
    std::fs::write(ct2.join("config.json"), b"{}").unwrap();
    let (ok, _, err) = run(toex(&models_dir).args(["models", "install"]).arg(&ct2));
    assert!(
        !ok && err.contains("model.bin") && err.contains("ends early"),
        "{err}"
    );
    let rar = work.path().join("model.rar");
    std::fs::write(&rar, b"Rar!").unwrap();
    let (ok, _, err) = run(toex(&models_dir).args(["models", "install"]).arg(&rar));
    assert!(!ok && err.contains(".tar.gz"), "{err}");
    // Nothing was left behind, not even the unpacking folders.
    let left: Vec<_> = std::fs::read_dir(models_dir.join("translation"))
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
    let (ok, out, _) = run(toex(&models_dir).args(["models", "list"]));
    assert!(ok && out.lines().count() == 1, "{out}");
}

#[test]
fn a_ctranslate2_nllb_folder_installs_and_translates() {
    let work = tempfile::tempdir().unwrap();
    let models_dir = work.path().join("models");
    let hf = work.path().join("nllb-hf");
    RandomModel::nllb_tiny().write(&hf).unwrap();
    // CTranslate2's own writer makes the folder (tests/reference/ct2_nllb.py).
    let ct2 = work.path().join("nllb-ct2");
    let converted = Command::new(crate::helpers::reference_python())
        .arg(crate::helpers::repo_root().join("tests/reference/ct2_nllb.py"))
        .args([hf.as_os_str(), ct2.as_os_str()])
        .args(["int8", "arb_Arab"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(converted.status.success(), "{converted:?}");
    let (ok, out, err) = run(toex(&models_dir).args(["models", "install"]).arg(&ct2));
    assert!(ok, "{err}");
    assert!(
        out.contains("installed nllb-ct2 (nllb, 15 languages"),
        "{out}"
    );
    let input = work.path().join("chat.txt");
    std::fs::write(&input, "وين انت هسه السيارة بالكراج\n").unwrap();
    let (ok, out, err) = run(toex(&models_dir).arg("translate").arg(&input));
    assert!(ok, "{err}");
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(err.contains("nllb-ct2@"), "{err}");
    let (ok, out, _) = run(toex(&models_dir).args(["models", "list"]));
    let row = out.lines().find(|l| l.starts_with("nllb-ct2\t"));
    assert!(
        ok && row.is_some_and(|r| r.contains("\tnllb\t15 languages\t")),
        "{out}"
    );
}
