//! `toex case export` and `toex case import`: an operation as one bundle file (CSV,
//! documents, notes, charts and its graph as GraphML, with a manifest and the marking),
//! and a bundle read back into this instance's database and index.

use super::*;

/// `toex case export OPERATION --forces … --out FILE`: everything of the case in those
/// forces, protected persons included (an operator on the machine, not an analyst).
pub async fn case_export(
    settings: Settings,
    operation: String,
    forces: Vec<String>,
    out: PathBuf,
) -> anyhow::Result<()> {
    let scope = toex_graph::Scope::new(&forces, &[], true)?;
    let marking = settings.server.marking.clone();
    let opened = toex_pipeline::Services::open(settings.core())
        .await
        .context("is a toex server using the index?")?;
    let (services, monitor) = (opened.services, opened.monitor);
    if !services.graph.wait_until_up(Duration::from_secs(60)).await {
        bail!("Neo4j is not reachable");
    }
    let file =
        std::fs::File::create(&out).with_context(|| format!("creating {}", out.display()))?;
    let user = std::env::var("USER").unwrap_or_else(|_| "operator".to_owned());
    let manifest = services
        .export_case(
            &scope,
            &operation,
            &format!("{user} (toex case export)"),
            &marking,
            file,
        )
        .await;
    monitor.abort();
    let manifest = match manifest {
        Ok(m) => m,
        Err(e) => {
            let _ = std::fs::remove_file(&out);
            return Err(e.into());
        }
    };
    eprintln!("{}: {}", out.display(), counts(&manifest));
    Ok(())
}

/// `toex case import FILE`: the bundle checked against its manifest and read back in.
pub async fn case_import(settings: Settings, bundle: PathBuf) -> anyhow::Result<()> {
    let opened = toex_pipeline::Services::open(settings.core())
        .await
        .context("is a toex server using the index?")?;
    let (services, monitor) = (opened.services, opened.monitor);
    if !services.graph.wait_until_up(Duration::from_secs(60)).await {
        bail!("Neo4j is not reachable");
    }
    let manifest = services.import_case(&bundle).await;
    monitor.abort();
    let manifest = manifest.with_context(|| format!("importing {}", bundle.display()))?;
    eprintln!(
        "{} ({}): {}",
        manifest.operation,
        manifest.marking,
        counts(&manifest)
    );
    Ok(())
}

fn counts(manifest: &toex_pipeline::cases::CaseManifest) -> String {
    manifest
        .counts
        .iter()
        .map(|(what, n)| format!("{n} {what}"))
        .collect::<Vec<_>>()
        .join(", ")
}
