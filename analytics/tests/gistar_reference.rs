//! Gi* against PySAL's esda.G_Local on real police.uk street crime for West Yorkshire
//! (fetched by scripts/fetch-data.sh), both on incident points and on grid cells.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use toex_analytics::spatial::{CellGrid, GiOptions, LocalProjection, Point, gi_star};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn reference_python() -> PathBuf {
    std::env::var_os("REFERENCE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".toex/venv/bin/python"))
}

/// `(lon, lat) → incidents` for one month of street crime.
fn street_crime(month: &str) -> Vec<(f64, f64, u64, f64)> {
    let path = repo_root().join(format!(
        ".toex/data/police-uk/{month}-west-yorkshire-street.csv"
    ));
    let mut reader = csv::Reader::from_path(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run scripts/fetch-data.sh (scripts/setup.sh does) first",
            path.display()
        )
    });
    let mut at: HashMap<(String, String), u64> = HashMap::new();
    for row in reader.records() {
        let row = row.unwrap();
        let (lon, lat) = (row[4].to_owned(), row[5].to_owned());
        if !lon.is_empty() && !lat.is_empty() {
            *at.entry((lon, lat)).or_default() += 1;
        }
    }
    let mut points: Vec<_> = at
        .into_iter()
        .map(|((lon, lat), n)| (lon.parse().unwrap(), lat.parse().unwrap(), n, n as f64))
        .collect();
    points.sort_by(|a: &(f64, f64, u64, f64), b| a.partial_cmp(b).unwrap());
    points
}

/// Runs esda on the points and checks every z (to 1e-6) and p against ours.
fn compare_with_esda(points: &[Point], band: f64, label: &str) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("points.csv");
    let output = dir.path().join("esda.csv");
    let mut csv = String::from("x,y,value\n");
    for p in points {
        csv.push_str(&format!("{:.17e},{:.17e},{:.17e}\n", p.x, p.y, p.value));
    }
    std::fs::write(&input, csv).unwrap();
    let python = reference_python();
    let status = Command::new(&python)
        .arg(repo_root().join("tests/reference/gistar.py"))
        .arg(&input)
        .arg(&output)
        .arg(band.to_string())
        .status()
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run scripts/setup.sh --test to create the reference venv",
                python.display()
            )
        });
    assert!(status.success(), "esda reference failed: {status}");
    let reference: Vec<(f64, f64)> = std::fs::read_to_string(&output)
        .unwrap()
        .lines()
        .map(|l| {
            let (z, p) = l.split_once(',').unwrap();
            (z.parse().unwrap(), p.parse().unwrap())
        })
        .collect();
    let ours = gi_star(points, GiOptions { band, fdr: false }).unwrap();
    assert_eq!(ours.len(), reference.len(), "{label}: row counts differ");
    let mut worst = 0.0f64;
    for (i, (g, (z, p_one_sided))) in ours.iter().zip(&reference).enumerate() {
        let dz = (g.z - z).abs();
        worst = worst.max(dz);
        assert!(dz <= 1e-6, "{label} row {i}: z {} vs esda {z}", g.z);
        assert!(
            (g.p - 2.0 * p_one_sided).abs() <= 1e-9,
            "{label} row {i}: p {} vs 2·esda {}",
            g.p,
            2.0 * p_one_sided
        );
    }
    let hot = ours.iter().filter(|g| g.class.is_hot()).count();
    assert!(hot > 0, "{label}: real crime data has hot spots");
    eprintln!(
        "{label}: {} points, worst |Δz| = {worst:.2e}, {hot} hot at ≥95%",
        ours.len()
    );
}

#[test]
fn gi_star_equals_esda_on_west_yorkshire_incident_points() {
    let located = street_crime("2018-07");
    assert!(located.len() > 5_000, "{} distinct places", located.len());
    let projection = LocalProjection::centred_on(located.iter().map(|p| (p.0, p.1))).unwrap();
    let points: Vec<Point> = located
        .iter()
        .map(|&(lon, lat, n, _)| {
            let (x, y) = projection.to_xy(lon, lat);
            Point {
                x,
                y,
                value: n as f64,
            }
        })
        .collect();
    compare_with_esda(&points, 500.0, "points, 500 m band");
}

#[test]
fn gi_star_equals_esda_on_west_yorkshire_grid_cells() {
    let located = street_crime("2016-07");
    let grid = CellGrid::aggregate(&located, 250.0).unwrap();
    let points: Vec<Point> = grid
        .cells
        .iter()
        .map(|c| {
            let (x, y) = grid.centre(c.ix, c.iy);
            Point {
                x,
                y,
                value: c.count as f64,
            }
        })
        .collect();
    // 1.5 cells: the eight cells around each one, and itself.
    compare_with_esda(&points, 375.0, "250 m cells, queen band");
}
