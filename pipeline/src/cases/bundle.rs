//! The bundle's files: a ZIP written entry by entry with each entry's SHA-256 kept for
//! the manifest, CSV under the import formats' headers, the graph as GraphML, and a
//! bundle unpacked and checked against its manifest.

use crate::hex;
use std::collections::BTreeMap;
use std::io::{Read, Seek, Write};
use std::path::Path;

use sha2::{Digest, Sha256};
use toex_graph::{NodeExport, PlaceExport, RelationshipExport};

use super::{CASE_FORMAT, CaseManifest};
use crate::PipelineError;

pub(super) fn bundle_error(what: &str, e: impl std::fmt::Display) -> PipelineError {
    PipelineError::Bundle(format!("{what}: {e}"))
}

/// A ZIP being written, each file's checksum kept for the manifest.
pub(super) struct Writer<W: Write + Seek> {
    pub(super) zip: zip::ZipWriter<W>,
    pub(super) files: BTreeMap<String, String>,
}

impl<W: Write + Seek> Writer<W> {
    pub(super) fn file(&mut self, name: &str, bytes: &[u8]) -> Result<(), PipelineError> {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(bytes.len() > u32::MAX as usize / 2);
        self.zip
            .start_file(name, options)
            .map_err(|e| bundle_error(name, e))?;
        self.zip
            .write_all(bytes)
            .map_err(|e| bundle_error(name, e))?;
        self.files
            .insert(name.to_owned(), hex(&Sha256::digest(bytes)));
        Ok(())
    }

    /// A file written line by line (as the lines come), checksummed on the way.
    pub(super) fn lines<I: IntoIterator<Item = Result<String, PipelineError>>>(
        &mut self,
        name: &str,
        lines: I,
    ) -> Result<u64, PipelineError> {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        self.zip
            .start_file(name, options)
            .map_err(|e| bundle_error(name, e))?;
        let mut hash = Sha256::new();
        let mut n = 0;
        for line in lines {
            let line = line? + "\n";
            hash.update(line.as_bytes());
            self.zip
                .write_all(line.as_bytes())
                .map_err(|e| bundle_error(name, e))?;
            n += 1;
        }
        self.files.insert(name.to_owned(), hex(&hash.finalize()));
        Ok(n)
    }
}

/// Rows as CSV under `header`, in the columns `toex import` reads.
pub(super) fn csv_of(
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<Vec<u8>, PipelineError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).map_err(|e| bundle_error("CSV", e))?;
    for row in rows {
        w.write_record(&row).map_err(|e| bundle_error("CSV", e))?;
    }
    w.into_inner().map_err(|e| bundle_error("CSV", e))
}

/// A cell: empty for none.
pub(super) fn cell<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// A place's cells: location id, postcode, LSOA and its name, latitude, longitude, address.
pub(super) fn place_cells(p: &PlaceExport) -> [String; 7] {
    [
        cell(&p.location_id),
        cell(&p.postcode),
        cell(&p.lsoa),
        cell(&p.lsoa_name),
        cell(&p.lat),
        cell(&p.lon),
        cell(&p.address),
    ]
}

pub(super) const PLACE: [&str; 7] = [
    "location_id",
    "postcode",
    "lsoa",
    "lsoa_name",
    "lat",
    "lon",
    "address",
];

fn xml(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect::<String>()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The case's graph as GraphML, the marking in a comment at the top.
pub(super) fn graphml(marking: &str, nodes: &[NodeExport], rels: &[RelationshipExport]) -> String {
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- {} -->\n\
         <graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\">\n\
         <key id=\"label\" for=\"node\" attr.name=\"label\" attr.type=\"string\"/>\n\
         <key id=\"caption\" for=\"node\" attr.name=\"caption\" attr.type=\"string\"/>\n\
         <key id=\"force\" for=\"node\" attr.name=\"force\" attr.type=\"string\"/>\n\
         <key id=\"type\" for=\"edge\" attr.name=\"type\" attr.type=\"string\"/>\n\
         <key id=\"properties\" for=\"edge\" attr.name=\"properties\" attr.type=\"string\"/>\n\
         <graph id=\"case\" edgedefault=\"directed\">\n",
        xml(marking).replace("--", "- -")
    );
    for n in nodes {
        out.push_str(&format!(
            "<node id=\"{}\"><data key=\"label\">{}</data><data key=\"caption\">{}</data><data key=\"force\">{}</data></node>\n",
            xml(&n.key),
            xml(&n.label),
            xml(n.caption.as_deref().unwrap_or("")),
            xml(n.force.as_deref().unwrap_or(""))
        ));
    }
    for (i, r) in rels.iter().enumerate() {
        let props = serde_json::to_string(&r.properties).unwrap_or_default();
        out.push_str(&format!(
            "<edge id=\"e{i}\" source=\"{}\" target=\"{}\"><data key=\"type\">{}</data><data key=\"properties\">{}</data></edge>\n",
            xml(&r.from),
            xml(&r.to),
            xml(&r.rel_type),
            xml(&props)
        ));
    }
    out.push_str("</graph>\n</graphml>\n");
    out
}

pub(super) fn read_lines(path: &Path) -> Result<Vec<String>, PipelineError> {
    let text = std::fs::read_to_string(path).map_err(|e| bundle_error("a bundle file", e))?;
    Ok(text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect())
}

/// Unpacks the bundle into `folder`, each file checked against the manifest (a file
/// the manifest does not list, or one whose bytes differ, refuses the whole bundle).
pub(super) fn unpack(
    bundle: &Path,
    folder: &Path,
) -> Result<(CaseManifest, std::path::PathBuf), PipelineError> {
    let file = std::fs::File::open(bundle).map_err(|e| bundle_error("the bundle", e))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| bundle_error("the bundle", e))?;
    let manifest: CaseManifest = {
        let mut m = zip
            .by_name("MANIFEST.json")
            .map_err(|e| bundle_error("MANIFEST.json", e))?;
        let mut text = String::new();
        m.read_to_string(&mut text)
            .map_err(|e| bundle_error("MANIFEST.json", e))?;
        serde_json::from_str(&text).map_err(|e| bundle_error("MANIFEST.json", e))?
    };
    if manifest.format != CASE_FORMAT {
        return Err(PipelineError::InvalidInput(format!(
            "the bundle is `{}`, not {CASE_FORMAT}",
            manifest.format
        )));
    }
    for (name, sum) in &manifest.files {
        if name.contains('/') || name.contains('\\') || name.starts_with('.') {
            return Err(PipelineError::InvalidInput(format!(
                "the bundle names a file `{name}` outside itself"
            )));
        }
        let mut entry = zip.by_name(name).map_err(|e| bundle_error(name, e))?;
        let path = folder.join(name);
        let mut out = std::fs::File::create(&path).map_err(|e| bundle_error(name, e))?;
        let mut hash = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = entry.read(&mut buf).map_err(|e| bundle_error(name, e))?;
            if n == 0 {
                break;
            }
            hash.update(&buf[..n]);
            out.write_all(&buf[..n])
                .map_err(|e| bundle_error(name, e))?;
        }
        if &hex(&hash.finalize()) != sum {
            return Err(PipelineError::InvalidInput(format!(
                "{name} in the bundle does not match its checksum: altered or damaged"
            )));
        }
    }
    Ok((manifest, folder.to_owned()))
}
