//! Transcription end to end with the real Whisper models from their PyPI packages:
//! `toex transcribe` on real recorded speech with both default models (tiny.en and base),
//! in every output format, with clear errors for bad audio; and a recording uploaded as
//! an ingest job, transcribed by the server's speech worker into time-coded segments
//! that search finds, with the recording kept as the document's media.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{TestApp, unique};

fn toex() -> Command {
    crate::helpers::toex_command()
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn model(name: &str) -> PathBuf {
    let dir = repo().join(".toex/models").join(name);
    assert!(
        dir.join("model.bin").is_file(),
        "{} is missing: run scripts/fetch-models.sh",
        dir.display()
    );
    dir
}

fn clip(name: &str) -> PathBuf {
    let p = Path::new("/usr/share/sounds/alsa").join(name);
    assert!(
        p.is_file(),
        "{} is missing: scripts/setup.sh --test installs alsa-utils",
        p.display()
    );
    p
}

/// Lower case, letters and digits only, single spaces.
fn words(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// English speech from espeak-ng, as WAV bytes.
pub(crate) fn espeak(text: &str, voice: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("speech.wav");
    let status = Command::new("espeak-ng")
        .args(["-v", voice, "-w"])
        .arg(&out)
        .arg(text)
        .status()
        .expect("espeak-ng (scripts/setup.sh --test installs it)");
    assert!(status.success());
    std::fs::read(out).unwrap()
}

#[test]
fn toex_transcribe_prints_time_coded_transcripts_with_both_default_models() {
    // tiny.en named on the command line, text format (the default).
    let out = toex()
        .arg("transcribe")
        .arg(clip("Front_Left.wav"))
        .arg("--model")
        .arg(model("whisper-tiny.en"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("[00:00:00.000 → 00:00:0"), "{text}");
    assert!(
        text.to_lowercase().contains("front") && text.to_lowercase().contains("left"),
        "{text}"
    );
    assert!(
        stderr.contains("whisper-tiny.en@") && stderr.contains("real-time factor"),
        "{stderr}"
    );

    // base, the default model, from settings (here the environment); SRT and JSON.
    let base = model("whisper-base");
    let out = toex()
        .arg("transcribe")
        .arg(clip("Rear_Right.wav"))
        .args(["--format", "srt"])
        .env("TOEX_TRANSCRIPTION_MODEL", &base)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let srt = String::from_utf8(out.stdout).unwrap();
    assert!(srt.starts_with("1\n00:00:00,000 --> 00:00:0"), "{srt}");
    assert!(words(&srt).contains("rear right"), "{srt}");
    let out = toex()
        .arg("transcribe")
        .arg(clip("Side_Right.wav"))
        .args(["--format", "json", "--beam", "1", "--precision", "int8"])
        .env("TOEX_TRANSCRIPTION_MODEL", &base)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["language"], "en", "{j}");
    let seg = &j["segments"][0];
    assert!(
        words(seg["text"].as_str().unwrap()).contains("side right"),
        "{j}"
    );
    assert!(
        seg["end"].as_f64().unwrap() > seg["start"].as_f64().unwrap(),
        "{j}"
    );
    assert!(
        seg["avg_logprob"].is_number() && seg["no_speech_prob"].is_number(),
        "{j}"
    );

    // Bad audio: a clear error naming the file, and the good file beside it still done.
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("notes.wav");
    std::fs::write(&junk, "this is not a recording").unwrap();
    let empty = dir.path().join("empty.mp3");
    std::fs::write(&empty, "").unwrap();
    let out = toex()
        .arg("transcribe")
        .args([&junk, &empty])
        .arg(clip("Front_Left.wav"))
        .arg("--model")
        .arg(model("whisper-tiny.en"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("notes.wav: ") && stderr.contains("not a recording toex can read"),
        "{stderr}"
    );
    assert!(
        stderr.contains("empty.mp3: ") && stderr.contains("the file is empty"),
        "{stderr}"
    );
    assert!(
        stderr.contains("2 of 3 files could not be transcribed"),
        "{stderr}"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .to_lowercase()
            .contains("front")
    );
    let missing = toex()
        .args(["transcribe", "x.wav", "--model", "/nonexistent/whisper"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/whisper"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploaded_recording_is_transcribed_indexed_and_searchable() {
    let app = TestApp::spawn_adjusting(|s| {
        s.transcription.model = model("whisper-tiny.en");
        s.transcription.beam = 1;
        s.server.max_body_bytes = 4 * 1024 * 1024;
    })
    .await;
    let h = app
        .graphql("{ health { models { name task loaded } } }", json!({}))
        .await;
    assert!(
        h["data"]["health"]["models"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["task"] == "transcription" && m["loaded"] == true),
        "{h}"
    );
    let op = unique("speech");
    let url = app.url("/graphql");
    let speech = espeak(
        "The blue van was parked behind the chip shop. Bring the money on Friday.",
        "en",
    );
    let r = crate::jobs::upload(
        &app.client,
        &url,
        "WYP",
        &op,
        vec![
            ("voice note 7.wav".into(), speech),
            ("broken.wav".into(), b"RIFF\x10\0\0\0WAVEjunkjunk".to_vec()),
        ],
    )
    .await;
    let id = r["data"]["ingestFiles"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"))
        .to_owned();
    let deadline = Instant::now() + Duration::from_secs(120);
    let j = loop {
        let j = crate::jobs::job(&app.client, &url, &id).await;
        if j["state"] == "DONE" || Instant::now() > deadline {
            break j;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(j["state"], "DONE", "{j}");
    let files = j["files"].as_array().unwrap();
    let voice = files
        .iter()
        .find(|f| f["name"] == "voice note 7.wav")
        .unwrap();
    assert_eq!(voice["status"], "DONE", "{j}");
    let broken = files.iter().find(|f| f["name"] == "broken.wav").unwrap();
    assert_eq!(broken["status"], "FAILED", "{j}");
    assert!(
        broken["reason"].as_str().unwrap().contains("recording"),
        "{j}"
    );
    let doc = voice["documentId"].as_str().unwrap().to_owned();

    let d = app
        .graphql(
            "query($id: String!) { document(id: $id) { sourceType language text segments { text startMs endMs } media { contentType url } } }",
            json!({"id": doc}),
        )
        .await;
    let d = &d["data"]["document"];
    assert_eq!(d["sourceType"], "transcript", "{d}");
    assert_eq!(d["language"], "en", "{d}");
    let text = d["text"].as_str().unwrap().to_lowercase();
    assert!(text.contains("chip shop") && text.contains("friday"), "{d}");
    let segments = d["segments"].as_array().unwrap();
    assert!(!segments.is_empty(), "{d}");
    let mut previous_end = 0;
    for s in segments {
        let (start, end) = (s["startMs"].as_u64().unwrap(), s["endMs"].as_u64().unwrap());
        assert!(start >= previous_end && end > start && end <= 8_000, "{d}");
        previous_end = end;
    }
    assert_eq!(d["media"]["contentType"], "audio/wav", "{d}");

    // Search finds the spoken words, with the time of the segment they were said in.
    let s = app
        .graphql(
            "query($op: String!) { search(queryText: \"friday\", filter: {operations: [$op]}) { edges { node { id segments { startMs endMs highlighted } } } } }",
            json!({"op": op}),
        )
        .await;
    let hit = &s["data"]["search"]["edges"][0]["node"];
    assert_eq!(hit["id"], doc.as_str(), "{s}");
    let seg = &hit["segments"][0];
    assert!(seg["highlighted"].as_str().unwrap().contains("<b>"), "{s}");
    assert!(seg["startMs"].as_u64().is_some(), "{s}");
}
