//! `toex hotspots`: Gi* hot-spots of a points CSV, offline.

use super::*;

/// `toex hotspots FILE --band D`: Gi* over the file's points, to stdout in input order.
pub fn hotspots(
    file: &Path,
    band: f64,
    lonlat: bool,
    fdr: bool,
    format: crate::cli::HotspotFormat,
) -> anyhow::Result<()> {
    use std::io::Write;
    use toex_analytics::spatial::{GiOptions, LocalProjection, Point, gi_star, read_points};

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
