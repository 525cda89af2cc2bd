//! `toex ingest`: files or folders through the ingest pipeline, with a progress bar.

use super::*;

/// Who owns what `toex ingest` indexes.
pub struct IngestMeta {
    pub force: String,
    pub operation: Option<String>,
    pub language: Option<String>,
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
    use toex_indexer::jobs::{FileStatus, Job, JobFile};

    let opened = toex_pipeline::Services::open(settings.core())
        .await
        .context("is a toex server using the index?")?;
    let (services, monitor) = (opened.services, opened.monitor);
    if !services.graph.wait_until_up(Duration::from_secs(10)).await {
        eprintln!(
            "warning: Neo4j is not reachable; documents are indexed, graph nodes are skipped"
        );
    }
    let jobs = services.jobs.clone();
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
            within: None,
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
    let done = services.run_job(job).await?;
    ticker.abort();
    bar.finish_and_clear();
    monitor.abort();
    let (mut ok, mut failed) = (0, 0);
    for f in &done.files {
        // Files found inside others are named by where they were found.
        let label = match &f.within {
            Some(_) => f.name.clone(),
            None => f.path.display().to_string(),
        };
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
                println!("{label}: {document}{note}");
            }
            FileStatus::Pending { reason } => {
                ok += 1;
                println!("{label}: pending: {reason}");
            }
            FileStatus::Failed { error } => {
                failed += 1;
                eprintln!("{label}: error: {error}");
            }
            FileStatus::Opened { files } => {
                ok += 1;
                println!("{label}: opened: {files} file(s) inside");
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

pub(super) fn collect_files(path: &Path, out: &mut Vec<PathBuf>) {
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
