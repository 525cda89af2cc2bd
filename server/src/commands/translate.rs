//! `toex translate`: a text file through the translation models, with throughput.

use super::*;

/// What `toex translate` was asked beyond its files.
pub struct TranslateArgs {
    pub from: Option<String>,
    pub model: Option<PathBuf>,
    pub beam: Option<usize>,
    pub batch: Option<usize>,
}

/// `toex translate FILE…`: each file decoded (any common encoding), translated line by
/// line with the model of each line's language, written to stdout; a progress bar, then
/// throughput and the cost per million characters at `price_per_hour_gbp`, on stderr.
pub fn translate(
    settings: &crate::settings::TranslationSettings,
    models_dir: &Path,
    files: &[PathBuf],
    args: TranslateArgs,
) -> anyhow::Result<()> {
    use std::io::Write;

    let from = args.from.map(|f| {
        if toex_inference::translate::nllb::is_nllb_code(&f) {
            f
        } else {
            f.to_ascii_lowercase()
        }
    });
    let mut t = settings.clone();
    t.beam = args.beam.unwrap_or(t.beam);
    t.batch = args.batch.unwrap_or(t.batch);
    if let Some(dir) = args.model {
        // An NLLB-200 folder serves every language it has; an OPUS-MT one, `--from`'s.
        let config = toex_inference::translate::Seq2SeqConfig::read(&dir)?;
        match (config.family()?, &from) {
            (toex_inference::translate::Family::M2M100, _) => t.nllb = Some(dir),
            (toex_inference::translate::Family::Marian, Some(from)) => {
                t.models.insert(from.clone(), dir);
            }
            (toex_inference::translate::Family::Marian, None) => {
                bail!("an OPUS-MT model translates one language: say which with --from")
            }
        }
    }
    if let Some(from) = &from {
        t.models
            .retain(|language, _| language.eq_ignore_ascii_case(from));
    }
    let started = Instant::now();
    let translators = toex_pipeline::load_translators(&t, models_dir)?;
    for (language, id) in translators.loaded() {
        eprintln!("model for `{language}`: {id}");
    }
    let load_secs = started.elapsed().as_secs_f64();
    let mut stdout = std::io::stdout().lock();
    let (mut lines, mut chars, mut pieces) = (0usize, 0usize, 0usize);
    let work = Instant::now();
    for file in files {
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        let (text, _) =
            toex_formats::decode(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        let label = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bar = bar(0, &label, "pieces");
        let text = text.strip_suffix('\n').unwrap_or(&text);
        let missing = toex_inference::translate::Missing::Refuse;
        let result = translators
            .translate(text, from.as_deref(), None, missing, &mut |done, total| {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            })
            .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        bar.finish_and_clear();
        if result.models.len() > 1 {
            for r in &result.runs {
                eprintln!(
                    "{label}: lines {}–{} ({}) by {}",
                    r.first + 1,
                    r.last + 1,
                    r.language,
                    r.model
                );
            }
        }
        for line in &result.lines {
            writeln!(stdout, "{line}").context("writing the translation")?;
        }
        lines += result.lines.len();
        chars += text.chars().count();
        pieces += result.pieces;
    }
    stdout.flush().ok();
    let secs = work.elapsed().as_secs_f64().max(1e-9);
    let per_million = t.price_per_hour_gbp / 3600.0 * secs / chars.max(1) as f64 * 1e6;
    eprintln!(
        "translated {lines} lines ({pieces} pieces, {chars} characters) in {secs:.2} s \
         (+{load_secs:.2} s loading): {:.1} lines/s, {:.0} characters/s; at £{:.2} an hour \
         that is £{per_million:.4} per million characters (beam {}, batch {}, {:?})",
        lines as f64 / secs,
        chars as f64 / secs,
        t.price_per_hour_gbp,
        translators.decode.beam,
        translators.batch,
        t.precision,
    );
    Ok(())
}
