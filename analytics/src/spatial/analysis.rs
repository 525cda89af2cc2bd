//! A hot-spot map from located counts: cells, Gi* or quartic density per cell, the hot
//! area, and the Prediction Accuracy Index against a later period.

use std::collections::HashSet;

use super::LocatedCount;
use super::grid::{MAX_CELLS, cell_id};
use super::{
    CellGrid, GiOptions, HotspotClass, Point, gi_star, kde_quartic, prediction_accuracy_index,
};
use crate::AnalyticsError;

/// Gi* over cells, or a quartic kernel density surface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    GiStar,
    Kde,
}

/// What each record contributes: 1, or its harm in CHI days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weighting {
    Count,
    Harm,
}

/// How to build the map.
#[derive(Debug, Clone, Copy)]
pub struct MapOptions {
    pub method: Method,
    pub weighting: Weighting,
    /// Cell side in metres.
    pub cell_size: f64,
    /// Gi* distance band in metres; default 1.5 cells (a cell and the eight around it).
    pub band: Option<f64>,
    /// KDE bandwidth in metres; default 3 cells.
    pub bandwidth: Option<f64>,
    /// Benjamini–Hochberg correction for Gi*.
    pub fdr: bool,
    /// KDE: the share of the study area, densest first, that counts as hot.
    pub hot_share: f64,
}

/// One cell of the map.
#[derive(Debug, Clone, PartialEq)]
pub struct MapCell {
    /// `west,south,east,north` in degrees.
    pub id: String,
    pub bounds: [f64; 4],
    pub geometry: serde_json::Value,
    pub count: u64,
    pub harm: f64,
    /// The weighted value the statistic ran on.
    pub value: f64,
    pub z: Option<f64>,
    pub p: Option<f64>,
    pub class: Option<HotspotClass>,
    /// KDE only: weighted density per square kilometre at the cell centre.
    pub density: Option<f64>,
    pub hot: bool,
}

/// The whole map.
#[derive(Debug, Clone, PartialEq)]
pub struct HotspotMap {
    pub cells: Vec<MapCell>,
    pub band: Option<f64>,
    pub bandwidth: Option<f64>,
    /// Records counted.
    pub records: u64,
    pub study_area_km2: f64,
    pub hot_area_km2: f64,
    pub pai: Option<f64>,
    /// Later-period records used for the PAI.
    pub pai_records: Option<u64>,
}

/// Builds the map; `later` (a later period) adds the Prediction Accuracy Index.
pub fn analyse(
    places: &[LocatedCount],
    later: Option<&[LocatedCount]>,
    options: MapOptions,
) -> Result<HotspotMap, AnalyticsError> {
    if places.is_empty() {
        return Ok(HotspotMap {
            cells: Vec::new(),
            band: None,
            bandwidth: None,
            records: 0,
            study_area_km2: 0.0,
            hot_area_km2: 0.0,
            pai: None,
            pai_records: None,
        });
    }
    let weighted = |p: &LocatedCount| match options.weighting {
        Weighting::Count => p.count as f64,
        Weighting::Harm => p.harm,
    };
    let tuples: Vec<(f64, f64, u64, f64)> = places
        .iter()
        .map(|p| (p.lon, p.lat, p.count, p.harm))
        .collect();
    let grid = CellGrid::aggregate(&tuples, options.cell_size)?;
    let cell_area_km2 = options.cell_size * options.cell_size / 1e6;
    let value_of = |count: u64, harm: f64| match options.weighting {
        Weighting::Count => count as f64,
        Weighting::Harm => harm,
    };
    let (cells, band, bandwidth) = match options.method {
        Method::GiStar => {
            let band = options.band.unwrap_or(1.5 * options.cell_size);
            let points: Vec<Point> = grid
                .cells
                .iter()
                .map(|c| {
                    let (x, y) = grid.centre(c.ix, c.iy);
                    Point {
                        x,
                        y,
                        value: value_of(c.count, c.harm),
                    }
                })
                .collect();
            let stats = gi_star(
                &points,
                GiOptions {
                    band,
                    fdr: options.fdr,
                },
            )?;
            let cells = grid
                .cells
                .iter()
                .zip(points.iter().zip(stats))
                .map(|(c, (p, g))| {
                    let bounds = grid.bounds(c.ix, c.iy);
                    MapCell {
                        id: cell_id(bounds),
                        bounds,
                        geometry: grid.polygon(c.ix, c.iy),
                        count: c.count,
                        harm: c.harm,
                        value: p.value,
                        z: Some(g.z),
                        p: Some(g.p),
                        class: Some(g.class),
                        density: None,
                        hot: g.class.is_hot(),
                    }
                })
                .collect::<Vec<_>>();
            (cells, Some(band), None)
        }
        Method::Kde => {
            let bandwidth = options.bandwidth.unwrap_or(3.0 * options.cell_size);
            if !(options.hot_share > 0.0 && options.hot_share <= 1.0) {
                return Err(AnalyticsError::InvalidInput(format!(
                    "the hot share must be in (0, 1], not {}",
                    options.hot_share
                )));
            }
            let points: Vec<Point> = places
                .iter()
                .map(|p| {
                    let (x, y) = grid.projection.to_xy(p.lon, p.lat);
                    Point {
                        x,
                        y,
                        value: weighted(p),
                    }
                })
                .collect();
            let surface = kde_cells(&grid, bandwidth)?;
            let densities = kde_quartic(
                &points,
                bandwidth,
                &surface
                    .iter()
                    .map(|&(ix, iy)| grid.centre(ix, iy))
                    .collect::<Vec<_>>(),
            )?;
            let counts: std::collections::HashMap<(i64, i64), (u64, f64)> = grid
                .cells
                .iter()
                .map(|c| ((c.ix, c.iy), (c.count, c.harm)))
                .collect();
            let mut cells: Vec<MapCell> = surface
                .iter()
                .zip(densities)
                .filter(|(_, d)| *d > 0.0)
                .map(|(&(ix, iy), d)| {
                    let (count, harm) = counts.get(&(ix, iy)).copied().unwrap_or((0, 0.0));
                    let bounds = grid.bounds(ix, iy);
                    MapCell {
                        id: cell_id(bounds),
                        bounds,
                        geometry: grid.polygon(ix, iy),
                        count,
                        harm,
                        value: value_of(count, harm),
                        z: None,
                        p: None,
                        class: None,
                        density: Some(d * 1e6),
                        hot: false,
                    }
                })
                .collect();
            cells.sort_by(|a, b| {
                b.density
                    .partial_cmp(&a.density)
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
            let hot = ((cells.len() as f64 * options.hot_share).ceil() as usize).min(cells.len());
            for c in &mut cells[..hot] {
                c.hot = true;
            }
            (cells, None, Some(bandwidth))
        }
    };
    let study_area_km2 = cells.len() as f64 * cell_area_km2;
    let hot_area_km2 = cells.iter().filter(|c| c.hot).count() as f64 * cell_area_km2;
    let (pai, pai_records) = match later {
        None => (None, None),
        Some(later) => {
            let hot: HashSet<(i64, i64)> = cells
                .iter()
                .filter(|c| c.hot)
                .map(|c| {
                    let (x, y) = grid.projection.to_xy(
                        (c.bounds[0] + c.bounds[2]) / 2.0,
                        (c.bounds[1] + c.bounds[3]) / 2.0,
                    );
                    grid.cell_at(x, y)
                })
                .collect();
            let (mut inside, mut total) = (0u64, 0u64);
            for p in later {
                let (x, y) = grid.projection.to_xy(p.lon, p.lat);
                total += p.count;
                if hot.contains(&grid.cell_at(x, y)) {
                    inside += p.count;
                }
            }
            (
                prediction_accuracy_index(inside, total, hot_area_km2, study_area_km2),
                Some(total),
            )
        }
    };
    Ok(HotspotMap {
        cells,
        band,
        bandwidth,
        records: places.iter().map(|p| p.count).sum(),
        study_area_km2,
        hot_area_km2,
        pai,
        pai_records,
    })
}

/// Every cell within one bandwidth of a cell with records: where density can be > 0.
fn kde_cells(grid: &CellGrid, bandwidth: f64) -> Result<Vec<(i64, i64)>, AnalyticsError> {
    let reach = (bandwidth / grid.size).ceil() as i64;
    let mut set: HashSet<(i64, i64)> = HashSet::new();
    for c in &grid.cells {
        for dx in -reach..=reach {
            for dy in -reach..=reach {
                set.insert((c.ix + dx, c.iy + dy));
                if set.len() > MAX_CELLS {
                    return Err(AnalyticsError::InvalidInput(format!(
                        "the density surface would need over {MAX_CELLS} cells; use larger cells"
                    )));
                }
            }
        }
    }
    let mut cells: Vec<(i64, i64)> = set.into_iter().collect();
    cells.sort_by_key(|&(ix, iy)| (iy, ix));
    Ok(cells)
}
