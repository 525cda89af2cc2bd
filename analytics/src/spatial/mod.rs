//! Hot-spot statistics over points: a local metric projection, Getis-Ord Gi*, quartic
//! kernel density, square-cell aggregation and the Prediction Accuracy Index. Pure
//! computation, no I/O; callers run it off the async runtime.

mod analysis;
mod gistar;
mod grid;
mod kde;
mod neighbours;
mod points_csv;
mod projection;

pub use analysis::{HotspotMap, MapCell, MapOptions, Method, Weighting, analyse};
pub use gistar::{GiOptions, GiStar, HotspotClass, gi_star};
pub use grid::{Cell, CellGrid, MAX_CELLS, cell_id, parse_cell_id};
pub use kde::{kde_quartic, prediction_accuracy_index};
pub use points_csv::{IdPoint, MAX_POINTS, read_points};
pub use projection::LocalProjection;

/// A located value: planar metres, or degrees before projection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
    pub value: f64,
}

/// What happened at one place: `(lon, lat)`, how many, and their summed harm.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
pub struct LocatedCount {
    pub lon: f64,
    pub lat: f64,
    pub count: u64,
    pub harm: f64,
}
