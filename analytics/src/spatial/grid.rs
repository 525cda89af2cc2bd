//! Square cells of a fixed size over projected space: aggregation of located counts
//! and harm, cell centres for Gi*, and each cell's outline in degrees for GeoJSON.

use std::collections::HashMap;

use super::LocalProjection;
use crate::AnalyticsError;

/// Most cells a grid may hold; a finer grid over a force area is a mistake.
pub const MAX_CELLS: usize = 2_000_000;

/// One square cell: its integer position and what fell in it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    pub ix: i64,
    pub iy: i64,
    pub count: u64,
    pub harm: f64,
}

/// Cells of `size` metres under a projection.
#[derive(Debug, Clone)]
pub struct CellGrid {
    pub projection: LocalProjection,
    pub size: f64,
    /// Non-empty cells, ordered by `(iy, ix)`.
    pub cells: Vec<Cell>,
}

impl CellGrid {
    /// Bins `(lon, lat, count, harm)` into cells, projected about the points' centre.
    pub fn aggregate(points: &[(f64, f64, u64, f64)], size: f64) -> Result<Self, AnalyticsError> {
        if !(size.is_finite() && size >= 1.0) {
            return Err(AnalyticsError::InvalidInput(format!(
                "the cell size must be at least 1 metre, not {size}"
            )));
        }
        let projection = LocalProjection::centred_on(points.iter().map(|p| (p.0, p.1)))
            .unwrap_or(LocalProjection::new(0.0, 0.0));
        let mut cells: HashMap<(i64, i64), Cell> = HashMap::new();
        for &(lon, lat, count, harm) in points {
            let (x, y) = projection.to_xy(lon, lat);
            let (ix, iy) = ((x / size).floor() as i64, (y / size).floor() as i64);
            let cell = cells.entry((ix, iy)).or_insert(Cell {
                ix,
                iy,
                count: 0,
                harm: 0.0,
            });
            cell.count += count;
            cell.harm += harm;
        }
        let mut cells: Vec<Cell> = cells.into_values().collect();
        cells.sort_by_key(|c| (c.iy, c.ix));
        Ok(Self {
            projection,
            size,
            cells,
        })
    }

    /// A cell's centre in metres.
    pub fn centre(&self, ix: i64, iy: i64) -> (f64, f64) {
        ((ix as f64 + 0.5) * self.size, (iy as f64 + 0.5) * self.size)
    }

    /// The cell holding a projected point.
    pub fn cell_at(&self, x: f64, y: f64) -> (i64, i64) {
        (
            (x / self.size).floor() as i64,
            (y / self.size).floor() as i64,
        )
    }

    /// `[west, south, east, north]` in degrees.
    pub fn bounds(&self, ix: i64, iy: i64) -> [f64; 4] {
        let (w, s) = self
            .projection
            .to_lonlat(ix as f64 * self.size, iy as f64 * self.size);
        let (e, n) = self
            .projection
            .to_lonlat((ix + 1) as f64 * self.size, (iy + 1) as f64 * self.size);
        [w, s, e, n]
    }

    /// The cell's outline as a GeoJSON `Polygon` geometry (lon/lat, counter-clockwise).
    pub fn polygon(&self, ix: i64, iy: i64) -> serde_json::Value {
        let [w, s, e, n] = self.bounds(ix, iy);
        serde_json::json!({
            "type": "Polygon",
            "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]],
        })
    }
}

/// A cell's id: its bounds in degrees, `west,south,east,north`, which is all
/// `hotspotIncidents` needs to find what lies behind it.
pub fn cell_id(bounds: [f64; 4]) -> String {
    format!(
        "{:.7},{:.7},{:.7},{:.7}",
        bounds[0], bounds[1], bounds[2], bounds[3]
    )
}

/// Parses a cell id back into bounds.
pub fn parse_cell_id(id: &str) -> Result<[f64; 4], AnalyticsError> {
    let bad = || {
        AnalyticsError::InvalidInput(format!(
            "`{id}` is not a cell id (west,south,east,north in degrees)"
        ))
    };
    let parts: Vec<f64> = id
        .split(',')
        .map(|p| p.trim().parse::<f64>().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    let [w, s, e, n]: [f64; 4] = parts.try_into().map_err(|_| bad())?;
    let ok = (-180.0..=180.0).contains(&w)
        && (-180.0..=180.0).contains(&e)
        && (-90.0..=90.0).contains(&s)
        && (-90.0..=90.0).contains(&n)
        && w < e
        && s < n;
    ok.then_some([w, s, e, n]).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_fall_in_cells_and_cells_map_back_to_degrees() {
        let pts = [
            (-1.55, 53.80, 2, 10.0),
            (-1.5501, 53.8001, 1, 5.0),
            (-1.60, 53.78, 1, 1.0),
        ];
        let g = CellGrid::aggregate(&pts, 250.0).unwrap();
        assert_eq!(g.cells.iter().map(|c| c.count).sum::<u64>(), 4);
        let big = g.cells.iter().find(|c| c.count == 3).unwrap();
        assert_eq!(big.harm, 15.0);
        let [w, s, e, n] = g.bounds(big.ix, big.iy);
        assert!(w <= -1.5501 && e >= -1.55 && s <= 53.80 && n >= 53.8001);
        let id = cell_id([w, s, e, n]);
        let back = parse_cell_id(&id).unwrap();
        assert!((back[0] - w).abs() < 1e-7);
        assert!(parse_cell_id("1,2,3").is_err());
        assert!(parse_cell_id("5,2,3,4").is_err());
        assert!(CellGrid::aggregate(&pts, 0.0).is_err());
    }
}
