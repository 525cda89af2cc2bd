//! `toex import`, `toex generate` and `toex demo`: CSV files into Neo4j, the seeded
//! synthetic dataset, and the whole demo (dataset, street crime, documents).

use super::*;

pub(super) async fn import_one(
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
    // What the file writes about watched identifiers and persons raises alerts.
    let opts = &ImportOptions {
        watched: Some(toex_pipeline::alerts::watched_keys(graph).await?),
        ..opts.clone()
    };
    let report = graph
        .import_file(kind, file, opts, &progress)
        .await
        .with_context(|| format!("importing {}", file.display()))?;
    progress.0.finish_and_clear();
    let alerts = toex_pipeline::alerts::alert_on_import(graph, &report)
        .await
        .with_context(|| format!("alerting on what {} wrote", file.display()))?;
    if alerts > 0 {
        eprintln!(
            "{}: {alerts} alert(s) on watched identifiers and persons",
            file.display()
        );
    }
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
    for (file, kind) in IMPORT_ORDER {
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
