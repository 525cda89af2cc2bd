//! `toex profile`: one threat profile from the command line.

use super::*;

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
    use toex_analytics::profiles::ThreatKind;
    let config = settings.profiles.load()?;
    let (graph, monitor) = connect(&settings).await?;
    let kind = match kind {
        crate::cli::ProfileKind::Vawg => ThreatKind::Vawg,
        crate::cli::ProfileKind::Missing => ThreatKind::Missing,
        crate::cli::ProfileKind::RegisteredOffender => ThreatKind::RegisteredOffender,
    };
    let cpu = toex_cpu::CpuPool::new("cpu", 1, 1)?;
    let config = std::sync::Arc::new(config);
    // The operator on the machine sees the force they name, protected persons included.
    let scope = toex_graph::Scope::new(&[force.to_owned()], &[], true)?;
    let profile =
        toex_pipeline::profiles::threat_profile(&graph, &cpu, kind, &scope, as_of, &config).await?;
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
