//! A case as one bundle: everything an operation holds that the exporter may see —
//! persons, identifiers and addresses, incidents, missing episodes (as CSV in the
//! formats `toex import` reads), its documents (JSON lines, text, segments, translation
//! and provenance), the notes, tags, bookmarks and charts its team keeps, and its graph
//! (nodes and relationships as CSV and GraphML) — written as a ZIP file one document at a
//! time (no size cap), with a manifest of counts and SHA-256 checksums and the deployment's
//! protective marking; and read back into a database, checked against its manifest.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Seek, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use toex_graph::import::{ImportKind, ImportOptions};
use toex_graph::{AnnotationFilter, AnnotationRow, ChartRow, Scope};
use toex_indexer::NewDocument;

use crate::{PipelineError, Services};

mod bundle;

use bundle::{PLACE, Writer, bundle_error, cell, csv_of, graphml, place_cells, read_lines, unpack};

/// The bundle format this writes and reads.
pub const CASE_FORMAT: &str = "toex-case-1";

/// Documents read back and indexed together.
const IMPORT_BATCH: usize = 32;

/// What a bundle holds: its case, who wrote it and when, under what marking, how many of
/// each thing, and each file's SHA-256.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseManifest {
    pub format: String,
    pub operation: String,
    pub exported_at: String,
    pub exported_by: String,
    /// The protective marking every file of the bundle is held under.
    pub marking: String,
    pub toex_version: String,
    /// `persons`, `identifiers`, `incidents`, `missing`, `documents`, `annotations`,
    /// `charts`, `nodes`, `relationships`.
    pub counts: BTreeMap<String, u64>,
    /// File name → SHA-256 (hex) of its bytes.
    pub files: BTreeMap<String, String>,
}

/// A document as bundled: what ingestion needs to index it again.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct BundledDocument {
    id: String,
    title: String,
    text: String,
    language: Option<String>,
    translation: Option<String>,
    force: String,
    operation: Option<String>,
    source_type: String,
    segments: Vec<toex_formats::Segment>,
    translation_meta: Option<toex_indexer::TranslationMeta>,
    correction: Option<toex_indexer::Correction>,
    provenance: Option<toex_indexer::Provenance>,
}

impl Services {
    /// Writes the case `operation` as a bundle to `out`: what `scope` may see of it.
    /// NOT a case when the operation is not in the exporter's forces.
    pub async fn export_case<W: Write + Seek + Send + 'static>(
        &self,
        scope: &Scope,
        operation: &str,
        exported_by: &str,
        marking: &str,
        out: W,
    ) -> Result<CaseManifest, PipelineError> {
        let keys = self.graph.export_case_keys(scope, operation).await?;
        if keys.is_empty() {
            return Err(PipelineError::InvalidInput(format!(
                "there is no operation `{operation}` in your forces"
            )));
        }
        let persons = self.graph.export_persons(scope, operation).await?;
        let identifiers = self.graph.export_identifiers(scope, operation).await?;
        let incidents = self.graph.export_incidents(scope, operation).await?;
        let missing = self.graph.export_missing(scope, operation).await?;
        let documents = self.graph.export_document_ids(scope, operation).await?;
        let (nodes, rels) = self.graph.export_graph(scope, &keys).await?;
        let annotations = self
            .graph
            .annotations(
                scope,
                &AnnotationFilter {
                    case: Some(operation.to_owned()),
                    limit: i64::MAX,
                    ..AnnotationFilter::default()
                },
            )
            .await?;
        let charts = self.graph.charts(scope, Some(operation), i64::MAX).await?;

        // Written off the async runtime: the files (rows serialised there too), then each
        // document as it is read from the index, then the manifest.
        let index = self.index.clone();
        let scope = scope.clone();
        let (operation, exported_by, marking) = (
            operation.to_owned(),
            exported_by.to_owned(),
            marking.to_owned(),
        );
        let version = self.version;
        let work = move || -> Result<CaseManifest, PipelineError> {
            let persons_csv = csv_of(
                &[
                    "id",
                    "name",
                    "aliases",
                    "dob",
                    "gender",
                    "force",
                    "operation",
                    "rso",
                    "visor_category",
                    "mappa_level",
                    "vulnerabilities",
                    "protected",
                ],
                persons.iter().map(|p| {
                    vec![
                        p.id.clone(),
                        p.name.clone(),
                        p.aliases.join(";"),
                        cell(&p.dob),
                        cell(&p.gender),
                        p.force.clone(),
                        operation.to_owned(),
                        p.rso.to_string(),
                        cell(&p.visor_category),
                        cell(&p.mappa_level),
                        p.vulnerabilities.join(";"),
                        p.protected.to_string(),
                    ]
                }),
            )?;
            let identifiers_csv = csv_of(
                &[
                    ["person_id", "kind", "value", "platform"].as_slice(),
                    &PLACE,
                    &["first_seen", "last_seen", "force"],
                ]
                .concat(),
                identifiers.iter().map(|i| {
                    let mut row = vec![
                        i.person_id.clone(),
                        i.kind.clone(),
                        i.value.clone(),
                        cell(&i.platform),
                    ];
                    row.extend(place_cells(&i.place));
                    row.extend([cell(&i.first_seen), cell(&i.last_seen), i.force.clone()]);
                    row
                }),
            )?;
            let incidents_csv = csv_of(
                &[
                    ["id", "crime_type", "offence_code", "occurred_at", "harm"].as_slice(),
                    &PLACE,
                    &["force", "operation", "people"],
                ]
                .concat(),
                incidents.iter().map(|i| {
                    let mut row = vec![
                        i.id.clone(),
                        i.crime_type.clone(),
                        cell(&i.offence_code),
                        cell(&i.occurred_at),
                        cell(&i.harm),
                    ];
                    row.extend(place_cells(&i.place));
                    row.extend([i.force.clone(), operation.to_owned(), i.people.join(";")]);
                    row
                }),
            )?;
            let missing_csv = csv_of(
                &[
                    "id",
                    "person_id",
                    "reported_at",
                    "returned_at",
                    "risk_grade",
                    "from_location_id",
                    "from_postcode",
                    "from_lat",
                    "from_lon",
                    "found_location_id",
                    "found_postcode",
                    "found_lat",
                    "found_lon",
                    "force",
                    "operation",
                ],
                missing.iter().map(|m| {
                    vec![
                        m.id.clone(),
                        m.person_id.clone(),
                        cell(&m.reported_at),
                        cell(&m.returned_at),
                        cell(&m.risk_grade),
                        cell(&m.from_location_id),
                        cell(&m.from_postcode),
                        cell(&m.from_lat),
                        cell(&m.from_lon),
                        cell(&m.found_location_id),
                        cell(&m.found_postcode),
                        cell(&m.found_lat),
                        cell(&m.found_lon),
                        m.force.clone(),
                        cell(&m.operation),
                    ]
                }),
            )?;
            let calls_csv = csv_of(
                &["caller", "callee", "start", "duration", "force"],
                rels.iter()
                    .filter(|r| r.rel_type == "CALLED")
                    .flat_map(calls_of),
            )?;
            let nodes_csv = csv_of(
                &["key", "label", "caption", "force"],
                nodes.iter().map(|n| {
                    vec![
                        n.key.clone(),
                        n.label.clone(),
                        cell(&n.caption),
                        cell(&n.force),
                    ]
                }),
            )?;
            let rels_csv = csv_of(
                &["from", "type", "to", "properties"],
                rels.iter().map(|r| {
                    vec![
                        r.from.clone(),
                        r.rel_type.clone(),
                        r.to.clone(),
                        serde_json::to_string(&r.properties).unwrap_or_default(),
                    ]
                }),
            )?;
            let graph_ml = graphml(&marking, &nodes, &rels);

            let mut counts = BTreeMap::new();
            for (name, n) in [
                ("persons", persons.len()),
                ("identifiers", identifiers.len()),
                ("incidents", incidents.len()),
                ("missing", missing.len()),
                ("annotations", annotations.len()),
                ("charts", charts.len()),
                ("nodes", nodes.len()),
                ("relationships", rels.len()),
            ] {
                counts.insert(name.to_owned(), n as u64);
            }
            let mut manifest = CaseManifest {
                format: CASE_FORMAT.to_owned(),
                operation: operation.to_owned(),
                exported_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                exported_by: exported_by.to_owned(),
                marking: marking.to_owned(),
                toex_version: version.to_owned(),
                counts,
                files: BTreeMap::new(),
            };
            let annotation_lines: Vec<String> = annotations
                .iter()
                .map(|a| {
                    serde_json::to_string(&AnnotationRow {
                        id: a.id.clone(),
                        kind: a.kind.clone(),
                        target: a.target.clone(),
                        segment: a.segment,
                        text: a.text.clone(),
                        author: a.author.clone(),
                        force: a.force.clone(),
                        operation: a.operation.clone(),
                        created_at: a.created_at.clone(),
                    })
                    .unwrap_or_default()
                })
                .collect();
            let chart_lines: Vec<String> = charts
                .iter()
                .map(|c| serde_json::to_string(c).unwrap_or_default())
                .collect();

            let mut w = Writer {
                zip: zip::ZipWriter::new(out),
                files: BTreeMap::new(),
            };
            w.file("MARKING.txt", format!("{marking}\n").as_bytes())?;
            w.file("persons.csv", &persons_csv)?;
            w.file("identifiers.csv", &identifiers_csv)?;
            w.file("incidents.csv", &incidents_csv)?;
            w.file("missing.csv", &missing_csv)?;
            w.file("calls.csv", &calls_csv)?;
            w.file("nodes.csv", &nodes_csv)?;
            w.file("relationships.csv", &rels_csv)?;
            w.file("case.graphml", graph_ml.as_bytes())?;
            w.lines("annotations.jsonl", annotation_lines.into_iter().map(Ok))?;
            w.lines("charts.jsonl", chart_lines.into_iter().map(Ok))?;
            let docs = documents
                .iter()
                .filter_map(|id| match index.get(id, &scope) {
                    Ok(Some(d)) => Some(
                        serde_json::to_string(&BundledDocument {
                            id: d.id,
                            title: d.title,
                            text: d.text,
                            language: d.language,
                            translation: d.translation,
                            force: d.force,
                            operation: d.operation,
                            source_type: d.source_type,
                            segments: d.segments,
                            translation_meta: d.translation_meta,
                            correction: d.correction,
                            provenance: d.provenance,
                        })
                        .map_err(|e| bundle_error("a document", e)),
                    ),
                    Ok(None) => None,
                    Err(e) => Some(Err(e.into())),
                });
            let n = w.lines("documents.jsonl", docs)?;
            manifest.counts.insert("documents".to_owned(), n);
            manifest.files = w.files.clone();
            let json =
                serde_json::to_vec_pretty(&manifest).map_err(|e| bundle_error("manifest", e))?;
            w.file("MANIFEST.json", &json)?;
            w.zip.finish().map_err(|e| bundle_error("ZIP", e))?;
            Ok(manifest)
        };
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| bundle_error("export", e))?
    }

    /// Reads a case bundle back into this database: each file checked against the
    /// manifest, the CSVs imported, the documents indexed and
    /// linked again, the notes and charts kept; what it adds about a watched identifier
    /// or person raises alerts as any import does. Returns the bundle's manifest.
    pub async fn import_case(&self, bundle: &Path) -> Result<CaseManifest, PipelineError> {
        let dir = tempfile::tempdir().map_err(|e| bundle_error("a working folder", e))?;
        let (manifest, folder) = {
            let bundle = bundle.to_owned();
            let folder = dir.path().to_owned();
            tokio::task::spawn_blocking(move || unpack(&bundle, &folder))
                .await
                .map_err(|e| bundle_error("import", e))??
        };
        // Each row names its own operation (an episode only when it was in the case).
        let opts = ImportOptions {
            strict: true,
            watched: Some(crate::alerts::watched_keys(&self.graph).await?),
            ..ImportOptions::default()
        };
        for (file, kind) in [
            ("persons.csv", ImportKind::Persons),
            ("identifiers.csv", ImportKind::Identifiers),
            ("incidents.csv", ImportKind::Incidents),
            ("missing.csv", ImportKind::Missing),
            ("calls.csv", ImportKind::Calls),
        ] {
            let path = folder.join(file);
            if std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) == 0 {
                continue;
            }
            let report = self.graph.import_file(kind, &path, &opts, &()).await?;
            if let Some(bad) = report.rejected.first() {
                return Err(PipelineError::InvalidInput(format!(
                    "{file} of the bundle was refused: {bad}"
                )));
            }
            crate::alerts::alert_on_import(&self.graph, &report).await?;
        }
        let docs = BufReader::new(
            std::fs::File::open(folder.join("documents.jsonl"))
                .map_err(|e| bundle_error("documents.jsonl", e))?,
        );
        let mut batch = Vec::new();
        for line in docs.lines() {
            let line = line.map_err(|e| bundle_error("documents.jsonl", e))?;
            if line.trim().is_empty() {
                continue;
            }
            let d: BundledDocument =
                serde_json::from_str(&line).map_err(|e| bundle_error("documents.jsonl", e))?;
            batch.push(NewDocument {
                title: d.title,
                text: d.text,
                language: d.language,
                translation: d.translation,
                force: d.force,
                operation: d.operation,
                source_type: d.source_type,
                segments: d.segments,
                mentions: Vec::new(),
                translation_meta: d.translation_meta,
                correction: d.correction,
                provenance: d.provenance,
            });
            if batch.len() == IMPORT_BATCH {
                self.import_documents(std::mem::take(&mut batch)).await?;
            }
        }
        self.import_documents(batch).await?;
        // Names of the persons imported above, wherever the documents write them.
        self.refresh_names().await?;
        for line in read_lines(&folder.join("annotations.jsonl"))? {
            let row: AnnotationRow =
                serde_json::from_str(&line).map_err(|e| bundle_error("annotations.jsonl", e))?;
            self.graph.annotate(&row).await?;
        }
        for line in read_lines(&folder.join("charts.jsonl"))? {
            let row: ChartRow =
                serde_json::from_str(&line).map_err(|e| bundle_error("charts.jsonl", e))?;
            self.graph.save_chart(&row).await?;
        }
        Ok(manifest)
    }

    async fn import_documents(&self, batch: Vec<NewDocument>) -> Result<(), PipelineError> {
        // The rest of the bundle needs Neo4j too: an outage fails the import (run again,
        // it adds each document and row once) rather than leaving documents unlinked.
        for outcome in self.ingest_batch(batch).await {
            if !outcome?.graph_linked {
                return Err(PipelineError::Graph(toex_graph::GraphError::Unavailable {
                    reason: "the bundle's documents were indexed but not linked".to_owned(),
                }));
            }
        }
        Ok(())
    }
}

/// Calls that add up to an aggregate `CALLED` (toex keeps counts, total duration and
/// first and last time, not each call): the first at the first time, the rest at the last,
/// the duration shared out, so importing them gives the same aggregate.
fn calls_of(r: &toex_graph::RelationshipExport) -> Vec<Vec<String>> {
    let prop = |k: &str| {
        r.properties
            .iter()
            .find(|(p, _)| p == k)
            .map(|(_, v)| v.clone())
    };
    let (Some(caller), Some(callee)) = (r.from.strip_prefix("Phone:"), r.to.strip_prefix("Phone:"))
    else {
        return Vec::new();
    };
    let count: u64 = prop("count")
        .and_then(|c| c.parse().ok())
        .unwrap_or(1)
        .max(1);
    let total: u64 = prop("totalDuration")
        .and_then(|d| d.parse().ok())
        .unwrap_or(0);
    let (Some(first), last) = (prop("firstSeen"), prop("lastSeen")) else {
        return Vec::new();
    };
    let last = last.unwrap_or_else(|| first.clone());
    let force = prop("force").unwrap_or_default();
    (0..count)
        .map(|i| {
            let share = total / count + u64::from(i < total % count);
            vec![
                caller.to_owned(),
                callee.to_owned(),
                if i == 0 { first.clone() } else { last.clone() },
                share.to_string(),
                force.clone(),
            ]
        })
        .collect()
}
