//! Translation end to end with a model folder (a seeded random Marian: no OPUS-MT weights
//! can be downloaded here): `toex translate` (N lines in and N out, English and empty
//! lines untouched, identifiers verbatim, throughput and cost reported, the model from
//! settings, clear errors without one); GraphQL `translate`; and documents translated at
//! ingest, shown beside their originals in search with their provenance.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;
use toex_inference::translate::random::RandomModel;

use crate::helpers::{TestApp, error_code, unique};

fn toex() -> Command {
    crate::helpers::toex_command()
}

/// Uploads `files` as a job for WYP's operation `op`, waits (a minute at most) until it
/// is done, and returns the first file's document id.
async fn ingested(app: &TestApp, op: &str, files: Vec<(String, Vec<u8>)>) -> String {
    let url = app.url("/graphql");
    let r = crate::jobs::upload(&app.client, &url, "WYP", op, files).await;
    let id = r["data"]["ingestFiles"]["id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(60);
    let j = loop {
        let j = crate::jobs::job(&app.client, &url, &id).await;
        if j["state"] == "DONE" || Instant::now() > deadline {
            break j;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    j["files"][0]["documentId"]
        .as_str()
        .unwrap_or_else(|| panic!("{j}"))
        .to_owned()
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
        why.contains("no translation model is installed for `ar`"),
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_translates_and_ingest_puts_translations_beside_originals() {
    let models = tempfile::tempdir().unwrap();
    let dir = models.path().join("opus-mt-test-ar-en");
    RandomModel::tiny().write(&dir).unwrap();
    let app = TestApp::spawn_adjusting(|s| {
        s.translation.models.insert("ar".into(), dir.clone());
        s.translation.beam = 2;
    })
    .await;

    let r = app
        .graphql(
            "query($t: String!) { translate(text: $t, from: \"ar\") { text lines engine models } }",
            json!({"t": "السيارة بالكراج رقمي ٠٧٧٠٠ ٩٠٠١٢٣\n\nOK see you there"}),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let t = &r["data"]["translate"];
    let lines: Vec<&str> = t["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{t}");
    assert!(lines[0].contains("٠٧٧٠٠ ٩٠٠١٢٣"), "{t}");
    assert_eq!(lines[1..], ["", "OK see you there"]);
    assert_eq!(t["engine"], "marian-candle");
    assert!(
        t["models"][0]
            .as_str()
            .unwrap()
            .starts_with("opus-mt-test-ar-en@"),
        "{t}"
    );

    // A language without a model, and a bad `from`.
    let r = app
        .graphql(
            "{ translate(text: \"Bonjour à tous, comment allez-vous aujourd'hui, mes amis ?\") { text } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&r), Some("MODEL_UNAVAILABLE"), "{r}");
    assert!(
        r["errors"][0]["message"].as_str().unwrap().contains("`fr`"),
        "{r}"
    );
    let r = app
        .graphql(
            "{ translate(text: \"x\", from: \"arabic\") { text } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&r), Some("BAD_INPUT"), "{r}");

    let h = app
        .graphql("{ health { models { name task loaded } } }", json!({}))
        .await;
    let models = h["data"]["health"]["models"].as_array().unwrap();
    assert!(
        models
            .iter()
            .any(|m| m["task"] == "translation" && m["loaded"] == true),
        "{h}"
    );

    // An Arabic chat uploaded as a job comes out translated, with its provenance, and
    // search shows the translation beside the original.
    let op = unique("translated");
    let doc = ingested(&app, &op, vec![(
            "chat.txt".into(),
            "15/03/2024, 22:10 - محمد: رقمي الجديد ٠٧٧٠٠ ٩٠٠٥٥٥ لا تنطيه لأحد\n15/03/2024, 22:11 - علي: زين، السيارة بالكراج يم الشقة\n"
                .as_bytes()
                .to_vec(),
        )]).await;
    let d = app
        .graphql(
            "query($id: String!) { document(id: $id) { language text translation translationProvenance { engine model version translatedAt } } }",
            json!({"id": doc}),
        )
        .await;
    let d = &d["data"]["document"];
    assert_eq!(d["language"], "ar", "{d}");
    let translation = d["translation"].as_str().unwrap_or_else(|| panic!("{d}"));
    assert_eq!(
        translation.lines().count(),
        d["text"].as_str().unwrap().lines().count(),
        "a line of translation per line of text: {d}"
    );
    assert!(translation.contains("٠٧٧٠٠ ٩٠٠٥٥٥"), "{d}");
    let p = &d["translationProvenance"];
    assert_eq!(p["engine"], "marian-candle", "{d}");
    assert_eq!(p["model"], "opus-mt-test-ar-en", "{d}");
    assert_eq!(p["version"].as_str().unwrap().len(), 12, "{d}");
    let s = app
        .graphql(
            "query($op: String!) { search(queryText: \"الشقة\", filter: {operations: [$op]}) { edges { node { id snippet translationSnippet } } } }",
            json!({"op": op}),
        )
        .await;
    let hit = &s["data"]["search"]["edges"][0]["node"];
    assert_eq!(hit["id"], doc.as_str(), "{s}");
    assert!(
        hit["translationSnippet"]
            .as_str()
            .is_some_and(|t| !t.is_empty()),
        "{s}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_translation_job_translates_documents_ingested_before_the_model() {
    use futures::StreamExt;

    let models = tempfile::tempdir().unwrap();
    let dir = models.path().join("opus-mt-test-ar-en");
    RandomModel::tiny().write(&dir).unwrap();
    let app = TestApp::spawn_adjusting(|s| {
        s.translation.models.insert("ar".into(), dir.clone());
    })
    .await;
    let op = unique("later");
    let ingest = |title: &str, text: &str, language: &str| json!({"input": {"title": title, "text": text, "language": language, "force": "WYP", "operation": op}});
    const INGEST: &str = "mutation($input: IngestTextInput!) { ingestText(input: $input) { id } }";
    let mut ids = Vec::new();
    for (title, text, language) in [
        (
            "chat-ar.txt",
            "السيارة بالكراج يم الشقة\n\nرقمي الجديد ٠٧٧٠٠ ٩٠٠١٢٣",
            "ar",
        ),
        (
            "note-fr.txt",
            "La voiture est au garage près de l'appartement depuis lundi soir.",
            "fr",
        ),
        ("note-en.txt", "The car is in the garage by the flat.", "en"),
    ] {
        let r = app.graphql(INGEST, ingest(title, text, language)).await;
        assert!(r["errors"].is_null(), "{r}");
        ids.push(r["data"]["ingestText"]["id"].as_str().unwrap().to_owned());
    }
    // Ingested as text: untranslated. An analyst's correction comes first.
    const DOC: &str = "query($id: String!) { document(id: $id) { text translation ingestedAt translationProvenance { engine model version } correctedTranslation { text } } }";
    let before = app.graphql(DOC, json!({"id": ids[0]})).await;
    assert!(
        before["data"]["document"]["translation"].is_null(),
        "{before}"
    );
    let fix = "The car is in the garage by the flat\n\nMy new number 07700 900123";
    let r = app
        .graphql(
            "mutation($id: String!, $t: String!) { correctTranslation(documentId: $id, text: $t) { id } }",
            json!({"id": ids[0], "t": fix}),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");

    const TRANSLATE: &str = "mutation($op: String, $lang: String, $again: Boolean! = false) { translateDocuments(force: \"WYP\", operation: $op, language: $lang, retranslate: $again) { id kind state total files { name status documentId } } }";
    let r = app
        .graphql(TRANSLATE, json!({"op": op, "again": false}))
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let job = &r["data"]["translateDocuments"];
    assert_eq!(job["kind"], "TRANSLATE", "{r}");
    assert_eq!(
        job["total"], 2,
        "the Arabic and French documents, not the English: {r}"
    );
    assert_eq!(job["files"][0]["documentId"], ids[0].as_str(), "{r}");
    let id = job["id"].as_str().unwrap().to_owned();

    // Followed through the subscription until it is done.
    let schema = toex_schema::build_schema(app.services.clone(), Default::default(), None);
    let request = crate::helpers::internal_request(format!(
        "subscription {{ ingestJob(id: \"{id}\") {{ state kind done pending current {{ name done total unit }} files {{ name status reason }} }} }}"
    ));
    let events: Vec<serde_json::Value> = tokio::time::timeout(
        Duration::from_secs(120),
        schema
            .execute_stream(request)
            .map(|r| r.data.into_json().unwrap())
            .collect::<Vec<_>>(),
    )
    .await
    .expect("the subscription ends when the job is done");
    for e in &events {
        let current = &e["ingestJob"]["current"];
        if !current.is_null() {
            assert_eq!(current["unit"], "sentences", "{e}");
            assert!(current["done"].as_u64() <= current["total"].as_u64(), "{e}");
        }
    }
    let last = &events.last().unwrap()["ingestJob"];
    assert_eq!(last["state"], "DONE", "{events:?}");
    assert_eq!(last["done"], 1, "{last}");
    assert_eq!(last["pending"], 1, "{last}");
    assert!(last["current"].is_null(), "{last}");
    let fr = &last["files"][1];
    assert_eq!(fr["status"], "PENDING", "{last}");
    assert!(
        fr["reason"].as_str().unwrap().contains("`fr`"),
        "the missing model is named: {last}"
    );

    // Translated in place: same id and ingest time, the identifier verbatim, its
    // provenance, the correction kept beside it.
    let after = app.graphql(DOC, json!({"id": ids[0]})).await;
    let (b, a) = (&before["data"]["document"], &after["data"]["document"]);
    assert_eq!(a["ingestedAt"], b["ingestedAt"], "{after}");
    let translation = a["translation"]
        .as_str()
        .unwrap_or_else(|| panic!("{after}"));
    assert_eq!(translation.lines().count(), 3, "{after}");
    assert_eq!(translation.lines().nth(1), Some(""), "{after}");
    assert!(translation.contains("٠٧٧٠٠ ٩٠٠١٢٣"), "{after}");
    assert_eq!(a["translationProvenance"]["engine"], "marian-candle");
    assert_eq!(a["translationProvenance"]["model"], "opus-mt-test-ar-en");
    assert_eq!(a["correctedTranslation"]["text"], fix);
    let s = app
        .graphql(
            "query($op: String!) { search(queryText: \"الشقة\", filter: {operations: [$op]}) { total edges { node { id translationSnippet } } } }",
            json!({"op": op}),
        )
        .await;
    assert_eq!(s["data"]["search"]["total"], 1, "no duplicate: {s}");
    assert_eq!(
        s["data"]["search"]["edges"][0]["node"]["id"],
        ids[0].as_str()
    );

    // Nothing left in Arabic without a translation, unless asked to translate again.
    let r = app
        .graphql(TRANSLATE, json!({"op": op, "lang": "ar", "again": false}))
        .await;
    assert_eq!(error_code(&r), Some("NOT_FOUND"), "{r}");
    let r = app
        .graphql(TRANSLATE, json!({"op": op, "lang": "ar", "again": true}))
        .await;
    assert_eq!(r["data"]["translateDocuments"]["total"], 1, "{r}");

    // Bad requests say what is wrong.
    let r = app
        .graphql(TRANSLATE, json!({"op": op, "lang": "en"}))
        .await;
    assert_eq!(error_code(&r), Some("BAD_INPUT"), "{r}");
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("English documents need no translation"),
        "{r}"
    );
    let r = app
        .graphql(TRANSLATE, json!({"op": op, "lang": "arabic"}))
        .await;
    assert_eq!(error_code(&r), Some("BAD_INPUT"), "{r}");
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("ISO 639-1"),
        "{r}"
    );
    let other = crate::helpers::user_client(
        &app.users,
        &unique("gmp"),
        toex_access::Role::Analyst,
        &["GMP"],
    );
    let r: serde_json::Value = other
        .post(app.url("/graphql"))
        .json(&json!({"query": TRANSLATE, "variables": {"op": op}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(error_code(&r), Some("FORBIDDEN"), "{r}");
    app.stop().await;

    // Without any model the request says so plainly.
    let bare = TestApp::spawn().await;
    let r = bare.graphql(TRANSLATE, json!({"op": op})).await;
    assert_eq!(error_code(&r), Some("MODEL_UNAVAILABLE"), "{r}");
    bare.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nllb_translates_what_no_pair_covers_line_by_line_and_each_lines_model_is_recorded() {
    let models = tempfile::tempdir().unwrap();
    let pair = models.path().join("opus-mt-test-ar-en");
    RandomModel::tiny().write(&pair).unwrap();
    let nllb = models.path().join("nllb-test");
    RandomModel::nllb_tiny().write(&nllb).unwrap();
    let app = TestApp::spawn_adjusting(|s| {
        s.translation.models.insert("ar".into(), pair.clone());
        s.translation.nllb = Some(nllb.clone());
    })
    .await;
    let mixed = "السيارة بالكراج يم الشقة وين انت هسه\nI will be at the garage at nine tonight, bring the car\nanh đang ở đâu xe trong nhà để ngày mai gặp nhau";

    // Health and the `health` query list what can be translated, and by which model.
    let h = app.health().await;
    let languages = h["translation"].as_array().unwrap_or_else(|| panic!("{h}"));
    let model_of = |l: &str| {
        languages
            .iter()
            .find(|t| t["language"] == l)
            .and_then(|t| t["model"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(model_of("ar").starts_with("opus-mt-test-ar-en@"), "{h}");
    assert!(model_of("vi").starts_with("nllb-test@"), "{h}");
    assert!(model_of("acm_Arab").starts_with("nllb-test@"), "{h}");

    let r = app
        .graphql(
            "query($t: String!) { translate(text: $t) { lines engine models runs { first last language model } untranslated } }",
            json!({"t": mixed}),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let t = &r["data"]["translate"];
    assert_eq!(t["engine"], "marian-candle+nllb-candle", "{t}");
    assert_eq!(t["lines"][1], mixed.lines().nth(1).unwrap(), "{t}");
    let runs: Vec<(u64, &str, &str)> = t["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["first"].as_u64().unwrap(),
                r["language"].as_str().unwrap(),
                r["model"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(runs.len(), 2, "{t}");
    assert_eq!((runs[0].0, runs[0].1), (0, "ar"), "{t}");
    assert!(runs[0].2.starts_with("opus-mt-test-ar-en@"), "{t}");
    assert_eq!((runs[1].0, runs[1].1), (2, "vi"), "{t}");
    assert!(runs[1].2.starts_with("nllb-test@"), "{t}");

    // An NLLB code is a valid `from`; a made-up one is not.
    let r = app
        .graphql(
            "{ translate(text: \"وين انت هسه\", from: \"acm_Arab\") { runs { model } } }",
            json!({}),
        )
        .await;
    assert!(
        r["data"]["translate"]["runs"][0]["model"]
            .as_str()
            .is_some_and(|m| m.starts_with("nllb-test@")),
        "{r}"
    );
    let r = app
        .graphql(
            "{ translate(text: \"x\", from: \"acm_arab\") { text } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&r), Some("BAD_INPUT"), "{r}");

    // Ingested, the mixed chat is translated line by line and says which model made
    // which lines.
    let op = unique("mixed");
    let doc = ingested(
        &app,
        &op,
        vec![("mixed.txt".into(), mixed.as_bytes().to_vec())],
    )
    .await;
    let d = app
        .graphql(
            "query($id: String!) { document(id: $id) { translation translationProvenance { engine lines { first last language model } } } }",
            json!({"id": doc}),
        )
        .await;
    let d = &d["data"]["document"];
    assert_eq!(d["translation"].as_str().unwrap().lines().count(), 3, "{d}");
    let p = &d["translationProvenance"];
    assert_eq!(p["engine"], "marian-candle+nllb-candle", "{d}");
    let lines = p["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "{d}");
    assert_eq!(
        (&lines[1]["first"], &lines[1]["language"]),
        (&json!(2), &json!("vi")),
        "{d}"
    );
    assert!(
        lines[1]["model"]
            .as_str()
            .unwrap()
            .starts_with("nllb-test@"),
        "{d}"
    );
    app.stop().await;
}
