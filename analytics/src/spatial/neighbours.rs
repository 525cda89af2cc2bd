//! A uniform bucket grid for fixed-radius neighbour queries in O(n·k), not O(n²).

use std::collections::HashMap;

/// Points bucketed into square buckets as wide as the search radius, so every
/// neighbour of a point lies in its own bucket or one of the eight around it.
pub(crate) struct BucketGrid {
    radius: f64,
    buckets: HashMap<(i64, i64), Vec<u32>>,
}

impl BucketGrid {
    pub(crate) fn new(points: impl Iterator<Item = (f64, f64)>, radius: f64) -> Self {
        let mut buckets: HashMap<(i64, i64), Vec<u32>> = HashMap::new();
        for (i, (x, y)) in points.enumerate() {
            buckets
                .entry(bucket(x, y, radius))
                .or_default()
                .push(i as u32);
        }
        Self { radius, buckets }
    }

    /// Calls `each(j)` for every indexed point `j` within the radius of `(x, y)`,
    /// boundary included, given the indexed coordinates `xy`.
    pub(crate) fn within(
        &self,
        x: f64,
        y: f64,
        xy: &impl Fn(usize) -> (f64, f64),
        mut each: impl FnMut(usize, f64),
    ) {
        let (bx, by) = bucket(x, y, self.radius);
        let r2 = self.radius * self.radius;
        for dx in -1..=1 {
            for dy in -1..=1 {
                let Some(members) = self.buckets.get(&(bx + dx, by + dy)) else {
                    continue;
                };
                for &j in members {
                    let (xj, yj) = xy(j as usize);
                    let d2 = (xj - x).powi(2) + (yj - y).powi(2);
                    if d2 <= r2 {
                        each(j as usize, d2);
                    }
                }
            }
        }
    }
}

fn bucket(x: f64, y: f64, size: f64) -> (i64, i64) {
    ((x / size).floor() as i64, (y / size).floor() as i64)
}
