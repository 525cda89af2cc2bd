//! Quartic (biweight) kernel density on a grid, and the Prediction Accuracy Index.

use super::Point;
use super::neighbours::BucketGrid;
use crate::AnalyticsError;

/// Density at each `(x, y)` of `at`: Σ_j v_j · 3/(πh²) · (1 − d²/h²)² for d < h, in
/// value per square metre.
pub fn kde_quartic(
    points: &[Point],
    bandwidth: f64,
    at: &[(f64, f64)],
) -> Result<Vec<f64>, AnalyticsError> {
    if !(bandwidth.is_finite() && bandwidth > 0.0) {
        return Err(AnalyticsError::InvalidInput(format!(
            "the bandwidth must be a positive number of metres, not {bandwidth}"
        )));
    }
    let h2 = bandwidth * bandwidth;
    let scale = 3.0 / (std::f64::consts::PI * h2);
    let grid = BucketGrid::new(points.iter().map(|p| (p.x, p.y)), bandwidth);
    let xy = |j: usize| (points[j].x, points[j].y);
    Ok(at
        .iter()
        .map(|&(x, y)| {
            let mut density = 0.0;
            grid.within(x, y, &xy, |j, d2| {
                let u = 1.0 - d2 / h2;
                density += points[j].value * u * u;
            });
            density * scale
        })
        .collect())
}

/// PAI = (n/N) / (a/A): the share of later incidents caught by the hot area over the
/// share of the study area it covers. `None` when either share is undefined.
pub fn prediction_accuracy_index(
    hits_in_hot: u64,
    hits_total: u64,
    hot_area: f64,
    total_area: f64,
) -> Option<f64> {
    (hits_total > 0 && hot_area > 0.0 && total_area > 0.0)
        .then(|| (hits_in_hot as f64 / hits_total as f64) / (hot_area / total_area))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quartic_kernel_integrates_to_the_total_value() {
        let pts = [
            Point {
                x: 0.0,
                y: 0.0,
                value: 2.0,
            },
            Point {
                x: 30.0,
                y: -10.0,
                value: 1.0,
            },
        ];
        let step = 2.0;
        let mut at = Vec::new();
        let mut x = -200.0;
        while x < 200.0 {
            let mut y = -200.0;
            while y < 200.0 {
                at.push((x + step / 2.0, y + step / 2.0));
                y += step;
            }
            x += step;
        }
        let d = kde_quartic(&pts, 100.0, &at).unwrap();
        let total: f64 = d.iter().sum::<f64>() * step * step;
        assert!((total - 3.0).abs() < 0.01, "{total}");
        // The peak is 3/(πh²)·v at the point itself.
        let peak = kde_quartic(&pts[..1], 100.0, &[(0.0, 0.0)]).unwrap()[0];
        assert!((peak - 2.0 * 3.0 / (std::f64::consts::PI * 1e4)).abs() < 1e-15);
        assert!(kde_quartic(&pts, -1.0, &at).is_err());
    }

    #[test]
    fn pai_is_the_ratio_of_shares() {
        let pai = prediction_accuracy_index(30, 100, 5.0, 100.0).unwrap();
        assert!((pai - 6.0).abs() < 1e-12, "{pai}");
        assert_eq!(prediction_accuracy_index(0, 0, 5.0, 100.0), None);
    }
}
