//! `toex transcribe`: a recording through Whisper, as text, SRT, WebVTT or JSON.

use super::*;

/// `toex transcribe`: each file's transcript to stdout in `format`, a progress bar and
/// the real-time factor to stderr.
pub fn transcribe(
    settings: &crate::settings::TranscriptionSettings,
    files: &[PathBuf],
    format: crate::cli::TranscriptFormat,
    task: crate::cli::SpeechTask,
    language: Option<String>,
    fallback: bool,
) -> anyhow::Result<()> {
    use std::io::Write;
    use toex_inference::transcribe::{Task, Whisper, render};

    let started = Instant::now();
    let whisper = Whisper::load(&settings.model, settings.precision()).with_context(|| {
        format!(
            "loading Whisper from {} (scripts/fetch-models.sh installs the default models)",
            settings.model.display()
        )
    })?;
    eprintln!("model: {} ({:?})", whisper.model_id, settings.precision);
    let load_secs = started.elapsed().as_secs_f64();
    let mut opts = settings.options();
    opts.task = match task {
        crate::cli::SpeechTask::Transcribe => Task::Transcribe,
        crate::cli::SpeechTask::Translate => Task::Translate,
    };
    opts.language = language.map(|l| l.to_ascii_lowercase());
    opts.fallback = fallback;
    let mut stdout = std::io::stdout().lock();
    let (mut audio_secs, mut failed) = (0.0, 0);
    let work = Instant::now();
    for (i, file) in files.iter().enumerate() {
        let label = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bar = bar(0, &label, "s");
        let result = whisper.transcribe_file(file, &opts, &mut |done, total| {
            bar.set_length(total.ceil() as u64);
            bar.set_position(done.round() as u64);
        });
        bar.finish_and_clear();
        let transcript = match result {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{}: {e}", file.display());
                failed += 1;
                continue;
            }
        };
        audio_secs += transcript.duration;
        let out = match format {
            crate::cli::TranscriptFormat::Text => {
                let head = if files.len() > 1 {
                    format!("{}# {}\n", if i > 0 { "\n" } else { "" }, file.display())
                } else {
                    String::new()
                };
                format!("{head}{}", render::text(&transcript))
            }
            crate::cli::TranscriptFormat::Srt => render::srt(&transcript),
            crate::cli::TranscriptFormat::Vtt => render::vtt(&transcript),
            crate::cli::TranscriptFormat::Json => {
                let mut v = serde_json::to_value(&transcript).context("serialising")?;
                v["file"] = serde_json::Value::String(file.display().to_string());
                format!("{v}\n")
            }
        };
        stdout
            .write_all(out.as_bytes())
            .context("writing the transcript")?;
    }
    stdout.flush().ok();
    let secs = work.elapsed().as_secs_f64().max(1e-9);
    eprintln!(
        "transcribed {audio_secs:.1} s of audio in {secs:.2} s (+{load_secs:.2} s loading): \
         real-time factor {:.3} ({:.1}× real time), beam {}, batch {}; peak memory {} MiB",
        secs / audio_secs.max(1e-9),
        audio_secs / secs,
        opts.beam,
        opts.batch,
        peak_rss_mib().map_or_else(|| "?".to_owned(), |m| m.to_string()),
    );
    if failed > 0 {
        bail!("{failed} of {} files could not be transcribed", files.len());
    }
    Ok(())
}

/// The process's peak resident memory (Linux), in MiB.
pub(super) fn peak_rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}
