//! The graph-loading commands: `toex import`, `toex generate` and `toex demo`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use toex_graph::GraphClient;
use toex_graph::import::{ImportKind, ImportOptions, ImportProgress, ImportReport};
use toex_graph::synthetic::{self, Scale};

use crate::settings::Settings;

/// Connects to Neo4j, waiting up to a minute for it.
async fn connect(
    settings: &Settings,
) -> anyhow::Result<(GraphClient, tokio::task::JoinHandle<()>)> {
    let graph = GraphClient::new(settings.neo4j.clone()).context("configuring Neo4j")?;
    let monitor = graph.spawn_monitor();
    if !graph.wait_until_up(Duration::from_secs(60)).await {
        bail!(
            "Neo4j at {} is not reachable ({:?}); start it with scripts/neo4j.sh start",
            settings.neo4j.uri,
            graph.connectivity()
        );
    }
    Ok((graph, monitor))
}

struct Bar(ProgressBar);

impl ImportProgress for Bar {
    fn parsed(&self, rows: u64) {
        self.0.inc_length(rows);
    }

    fn written(&self, rows: u64) {
        self.0.inc(rows);
    }
}

fn bar(len: u64, label: &str, unit: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{prefix:>16}} [{{bar:30}}] {{pos}}/{{len}} {unit} {{per_sec}} {{eta}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_prefix(label.to_owned());
    bar
}

async fn import_one(
    graph: &GraphClient,
    kind: ImportKind,
    file: &Path,
    opts: &ImportOptions,
) -> anyhow::Result<ImportReport> {
    let label = file
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let progress = Bar(bar(0, &label, "rows"));
    let report = graph
        .import_file(kind, file, opts, &progress)
        .await
        .with_context(|| format!("importing {}", file.display()))?;
    progress.0.finish_and_clear();
    for err in &report.rejected {
        eprintln!("{err}");
    }
    let secs = report.elapsed.as_secs_f64().max(1e-9);
    let aggregates = report.aggregates.map_or_else(String::new, |n| {
        format!(
            " ({n} distinct aggregate relationships, {:.0}/s)",
            n as f64 / secs
        )
    });
    eprintln!(
        "{}: {} rows, {} imported, {} rejected, {} relationships in {:.2} s ({:.0} rows/s, {:.0} relationships/s){aggregates}",
        file.display(),
        report.rows,
        report.imported,
        report.rejected.len(),
        report.relationships,
        secs,
        report.rows as f64 / secs,
        report.relationships as f64 / secs,
    );
    Ok(report)
}

/// `toex import KIND FILE…`
pub async fn import(
    settings: Settings,
    kind: ImportKind,
    files: Vec<PathBuf>,
    opts: ImportOptions,
) -> anyhow::Result<()> {
    let (graph, monitor) = connect(&settings).await?;
    let started = Instant::now();
    let mut failed = 0;
    for file in &files {
        if let Err(err) = import_one(&graph, kind, file, &opts).await {
            eprintln!("toex: {err:#}");
            failed += 1;
        }
    }
    monitor.abort();
    eprintln!("done in {:.1} s", started.elapsed().as_secs_f64());
    if failed > 0 {
        bail!("{failed} of {} file(s) were not imported", files.len());
    }
    Ok(())
}

/// `toex hotspots FILE --band D`: Gi* over the file's points, to stdout in input order.
pub fn hotspots(
    file: &Path,
    band: f64,
    lonlat: bool,
    fdr: bool,
    format: crate::cli::HotspotFormat,
) -> anyhow::Result<()> {
    use std::io::Write;
    use toex_graph::spatial::{GiOptions, LocalProjection, Point, gi_star, read_points};

    let input = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let rows = read_points(std::io::BufReader::new(input), lonlat)
        .with_context(|| format!("reading {}", file.display()))?;
    let points: Vec<Point> = if lonlat {
        let projection = LocalProjection::centred_on(rows.iter().map(|r| (r.point.x, r.point.y)))
            .expect("read_points returns at least one point");
        rows.iter()
            .map(|r| {
                let (x, y) = projection.to_xy(r.point.x, r.point.y);
                Point {
                    x,
                    y,
                    value: r.point.value,
                }
            })
            .collect()
    } else {
        rows.iter().map(|r| r.point).collect()
    };
    let started = std::time::Instant::now();
    let stats = gi_star(&points, GiOptions { band, fdr })
        .with_context(|| format!("Gi* over {}", file.display()))?;
    let elapsed = started.elapsed();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match format {
        crate::cli::HotspotFormat::Csv => {
            let mut writer = csv::Writer::from_writer(&mut out);
            writer
                .write_record(["id", "x", "y", "value", "z", "p", "class"])
                .map_err(csv_io)?;
            for (r, g) in rows.iter().zip(&stats) {
                writer
                    .write_record([
                        r.id.clone(),
                        r.point.x.to_string(),
                        r.point.y.to_string(),
                        r.point.value.to_string(),
                        g.z.to_string(),
                        g.p.to_string(),
                        g.class.as_str().to_owned(),
                    ])
                    .map_err(csv_io)?;
            }
            writer.flush()?;
        }
        crate::cli::HotspotFormat::Geojson => {
            let features: Vec<serde_json::Value> = rows
                .iter()
                .zip(&stats)
                .map(|(r, g)| {
                    serde_json::json!({
                        "type": "Feature",
                        "id": r.id,
                        "geometry": {"type": "Point", "coordinates": [r.point.x, r.point.y]},
                        "properties": {
                            "value": r.point.value, "z": g.z, "p": g.p,
                            "class": g.class.as_str(), "neighbours": g.neighbours,
                        },
                    })
                })
                .collect();
            serde_json::to_writer(
                &mut out,
                &serde_json::json!({"type": "FeatureCollection", "features": features}),
            )?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    let hot = stats.iter().filter(|g| g.class.is_hot()).count();
    eprintln!(
        "{} points, band {band}, {hot} hot at ≥95%, Gi* in {:.3} s",
        rows.len(),
        elapsed.as_secs_f64()
    );
    Ok(())
}

/// `toex profile KIND --force F`: one threat profile to stdout.
pub async fn profile(
    settings: Settings,
    kind: crate::cli::ProfileKind,
    force: &str,
    as_of: chrono::DateTime<chrono::Utc>,
    first: usize,
    format: crate::cli::ProfileFormat,
) -> anyhow::Result<()> {
    use std::io::Write;
    use toex_graph::ThreatKind;
    let config = settings.profiles.load()?;
    let (graph, monitor) = connect(&settings).await?;
    let kind = match kind {
        crate::cli::ProfileKind::Vawg => ThreatKind::Vawg,
        crate::cli::ProfileKind::Missing => ThreatKind::Missing,
        crate::cli::ProfileKind::RegisteredOffender => ThreatKind::RegisteredOffender,
    };
    let profile = graph
        .threat_profile(kind, &[force.to_uppercase()], as_of, &config)
        .await?;
    monitor.abort();
    let rows: Vec<_> = profile.rows.into_iter().take(first).collect();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match format {
        crate::cli::ProfileFormat::Json => {
            serde_json::to_writer_pretty(
                &mut out,
                &serde_json::json!({
                    "method": profile.method,
                    "asOf": profile.as_of,
                    "windowStart": profile.window_start,
                    "rows": rows,
                }),
            )?;
            writeln!(out)?;
        }
        crate::cli::ProfileFormat::Csv => {
            let names: Vec<&str> = rows
                .first()
                .map(|r| r.components.iter().map(|c| c.name).collect())
                .unwrap_or_default();
            let mut writer = csv::Writer::from_writer(&mut out);
            let mut header = vec!["rank", "person_id", "name", "force", "score"];
            header.extend(names.iter().copied());
            header.extend(["flags", "explanation", "method"]);
            writer.write_record(&header).map_err(csv_io)?;
            for (i, r) in rows.iter().enumerate() {
                let mut record = vec![
                    (i + 1).to_string(),
                    r.person_id.clone(),
                    r.name.clone().unwrap_or_default(),
                    r.force.clone().unwrap_or_default(),
                    r.score.to_string(),
                ];
                record.extend(r.components.iter().map(|c| c.contribution.to_string()));
                record.extend([r.flags.join("; "), r.explanation.clone(), r.method.clone()]);
                writer.write_record(&record).map_err(csv_io)?;
            }
            writer.flush()?;
        }
    }
    out.flush()?;
    Ok(())
}

/// A csv write error as the I/O error under it, so a closed pipe is recognised.
fn csv_io(e: csv::Error) -> anyhow::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io.into(),
        other => anyhow::anyhow!("writing CSV: {other:?}"),
    }
}

/// `toex generate DIR`
pub fn generate(dir: &Path, scale: Scale) -> anyhow::Result<()> {
    synthetic::generate(dir, scale)
        .with_context(|| format!("writing synthetic data to {}", dir.display()))?;
    eprintln!("synthetic data (seed {}) in {}", scale.seed, dir.display());
    Ok(())
}

/// `toex demo`: generates the demo dataset once and imports it (idempotently).
/// Then it loads every police.uk street-crime CSV in `street_crime` (real West Yorkshire
/// data from scripts/fetch-data.sh) for the hot-spot maps.
pub async fn demo(
    settings: Settings,
    dir: &Path,
    street_crime: &Path,
    scale: Scale,
) -> anyhow::Result<()> {
    if !dir.join("planted.json").is_file() || !dir.join("documents").is_dir() {
        generate(dir, scale)?;
    }
    let (graph, monitor) = connect(&settings).await?;
    for (file, kind) in synthetic::IMPORT_ORDER {
        import_one(&graph, *kind, &dir.join(file), &ImportOptions::default()).await?;
    }
    let mut months: Vec<_> = std::fs::read_dir(street_crime)
        .with_context(|| {
            format!(
                "reading {} (scripts/fetch-data.sh fetches the police.uk data)",
                street_crime.display()
            )
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    months.sort();
    for file in months {
        import_one(
            &graph,
            ImportKind::StreetCrime,
            &file,
            &ImportOptions::default(),
        )
        .await?;
    }
    monitor.abort();
    Ok(())
}

/// `toex ingest PATH…`: runs the files as one durable ingest job (the same worker code
/// as uploads): each file is parsed, indexed in committed batches and linked in the
/// graph, with a progress bar. A bad file gets one error line and the batch goes on; the
/// exit status says whether any failed. A job cut short is resumed by `toex serve`.
pub async fn ingest(
    settings: Settings,
    paths: Vec<PathBuf>,
    meta: IngestMeta,
) -> anyhow::Result<()> {
    use toex_indexer::CpuPool;
    use toex_indexer::jobs::{FileStatus, Job, JobFile, JobStore};
    use toex_schema::Services;

    let (index, models) = crate::startup::open_index(&settings)
        .await
        .context("is a toex server using the index?")?;
    let graph = GraphClient::new(settings.neo4j.clone()).context("configuring Neo4j")?;
    let monitor = graph.spawn_monitor();
    if !graph.wait_until_up(Duration::from_secs(10)).await {
        eprintln!(
            "warning: Neo4j is not reachable; documents are indexed, graph nodes are skipped"
        );
    }
    let (translation, _) = crate::startup::load_translators(&settings).await?;
    let (speech, _) = crate::startup::load_speech(&settings).await?;
    let store = JobStore::open(&settings.index.jobs).context("opening the ingest job store")?;
    let (jobs, _queue) = toex_schema::jobs::Jobs::new(store, 1);
    let services = Services {
        graph,
        index: std::sync::Arc::new(index),
        cpu: CpuPool::new("ingest", settings.index.threads, settings.index.queue)?,
        jobs: jobs.clone(),
        models,
        profiles: std::sync::Arc::new(settings.profiles.load()?),
        names: std::sync::Arc::new(toex_schema::linkage::Names::new()),
        translation,
        speech,
        version: env!("CARGO_PKG_VERSION"),
    };
    let mut files = Vec::new();
    for path in paths {
        collect_files(&path, &mut files);
    }
    let files: Vec<JobFile> = files
        .into_iter()
        .map(|path| JobFile {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            bytes: std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
            path: std::path::absolute(&path).unwrap_or(path),
            document_id: None,
            status: FileStatus::Waiting,
        })
        .collect();
    let job = Job::new(meta.force, meta.operation, meta.language, files);
    jobs.store().save(&job).context("saving the ingest job")?;
    let bar = ProgressBar::new(job.files.len() as u64).with_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} files {elapsed} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(job.id.clone());
    let mut progress = jobs.watch(&job);
    let ticker = {
        let bar = bar.clone();
        tokio::spawn(async move {
            while progress.changed().await.is_ok() {
                let (waiting, ..) = progress.borrow().counts();
                bar.set_position((bar.length().unwrap_or(0)).saturating_sub(waiting as u64));
            }
        })
    };
    let done = services
        .run_job(job)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    ticker.abort();
    bar.finish_and_clear();
    monitor.abort();
    let (mut ok, mut failed) = (0, 0);
    for f in &done.files {
        match &f.status {
            FileStatus::Done {
                document,
                graph_linked,
            } => {
                ok += 1;
                let note = if *graph_linked {
                    ""
                } else {
                    " (graph node skipped)"
                };
                println!("{}: {document}{note}", f.path.display());
            }
            FileStatus::Pending { reason } => {
                ok += 1;
                println!("{}: pending: {reason}", f.path.display());
            }
            FileStatus::Failed { error } => {
                failed += 1;
                eprintln!("{}: error: {error}", f.path.display());
            }
            FileStatus::Waiting => {}
        }
    }
    eprintln!("job {}: {ok} ingested, {failed} failed", done.id);
    if failed > 0 {
        bail!("{failed} file(s) were not ingested");
    }
    Ok(())
}

/// Who owns what `toex ingest` indexes.
pub struct IngestMeta {
    pub force: String,
    pub operation: Option<String>,
    pub language: Option<String>,
}

fn collect_files(path: &Path, out: &mut Vec<PathBuf>) {
    match std::fs::read_dir(path) {
        Ok(entries) => {
            let mut children: Vec<PathBuf> =
                entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            children.sort();
            for child in children {
                collect_files(&child, out);
            }
        }
        Err(_) => out.push(path.to_owned()),
    }
}

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
    files: &[PathBuf],
    args: TranslateArgs,
) -> anyhow::Result<()> {
    use std::io::Write;

    let from = args.from.map(|f| f.to_ascii_lowercase());
    let mut t = settings.clone();
    t.beam = args.beam.unwrap_or(t.beam);
    t.batch = args.batch.unwrap_or(t.batch);
    if let (Some(from), Some(dir)) = (&from, args.model) {
        t.models.insert(from.clone(), dir);
    }
    if let Some(from) = &from {
        t.models
            .retain(|language, _| language.eq_ignore_ascii_case(from));
        if t.models.is_empty() {
            bail!(
                "no translation model is configured for `{from}`: pass --model DIR or set \
                 translation.models.{from} (see the README's Translation section)"
            );
        }
    }
    let started = Instant::now();
    let translators = crate::startup::translators(&t)?;
    for (language, id) in translators.loaded() {
        eprintln!("model for `{language}`: {id}");
    }
    let load_secs = started.elapsed().as_secs_f64();
    let mut stdout = std::io::stdout().lock();
    let (mut lines, mut chars, mut pieces) = (0usize, 0usize, 0usize);
    let work = Instant::now();
    for file in files {
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        let (text, _) = toex_indexer::formats::decode(&bytes)
            .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        let label = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bar = bar(0, &label, "pieces");
        let text = text.strip_suffix('\n').unwrap_or(&text);
        let result = translators
            .translate(text, from.as_deref(), &mut |done, total| {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            })
            .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        bar.finish_and_clear();
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
    use toex_indexer::transcribe::{Task, Whisper, render};

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
fn peak_rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}
