//! Getis-Ord Gi* (Ord & Getis 1995) with binary distance-band weights, self included.
//!
//! For point i with neighbours N(i) (all j with d(i,j) ≤ band, i itself included),
//! W_i = |N(i)| and L_i = Σ_{j∈N(i)} y_j:
//!
//! ```text
//! G_i = L_i / Σ_j y_j        E[G_i] = W_i / n
//! Var[G_i] = W_i (n − W_i) / ((n − 1) n²) · s² / ȳ²     (s² = Σy²/n − ȳ²)
//! z_i = (G_i − E[G_i]) / √Var[G_i]
//! ```
//!
//! which is the standardised Gi* of Ord & Getis and what PySAL's `esda.G_Local` gives
//! with `transform='B', star=True`. p-values are two-sided (esda's `p_norm` is one).

use super::Point;
use super::neighbours::BucketGrid;
use crate::AnalyticsError;

/// The confidence class of a point, from its z-score sign and p-value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum HotspotClass {
    Hot99,
    Hot95,
    Hot90,
    NotSignificant,
    Cold90,
    Cold95,
    Cold99,
}

impl HotspotClass {
    /// `hot-99`, `cold-90`, `none`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hot99 => "hot-99",
            Self::Hot95 => "hot-95",
            Self::Hot90 => "hot-90",
            Self::NotSignificant => "none",
            Self::Cold90 => "cold-90",
            Self::Cold95 => "cold-95",
            Self::Cold99 => "cold-99",
        }
    }

    /// Hot at 95% or more.
    pub fn is_hot(self) -> bool {
        matches!(self, Self::Hot95 | Self::Hot99)
    }
}

/// How to run Gi*.
#[derive(Debug, Clone, Copy)]
pub struct GiOptions {
    /// Distance band in the points' units (metres once projected).
    pub band: f64,
    /// Benjamini–Hochberg false-discovery-rate correction of the significance levels.
    pub fdr: bool,
}

/// One point's result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GiStar {
    pub z: f64,
    /// Two-sided p-value under normality.
    pub p: f64,
    pub class: HotspotClass,
    /// Points inside the band, the point itself included.
    pub neighbours: usize,
}

const LEVELS: [(f64, HotspotClass, HotspotClass); 3] = [
    (0.01, HotspotClass::Hot99, HotspotClass::Cold99),
    (0.05, HotspotClass::Hot95, HotspotClass::Cold95),
    (0.10, HotspotClass::Hot90, HotspotClass::Cold90),
];

/// Gi* for every point, in input order.
pub fn gi_star(points: &[Point], options: GiOptions) -> Result<Vec<GiStar>, AnalyticsError> {
    let bad = |m: String| Err(AnalyticsError::InvalidInput(m));
    if !(options.band.is_finite() && options.band > 0.0) {
        return bad(format!(
            "the distance band must be a positive number, not {}",
            options.band
        ));
    }
    let n = points.len();
    if n < 3 {
        return bad(format!("Gi* needs at least 3 points, not {n}"));
    }
    if let Some(p) = points
        .iter()
        .find(|p| !(p.x.is_finite() && p.y.is_finite() && p.value.is_finite()))
    {
        return bad(format!(
            "a point is not finite: {},{},{}",
            p.x, p.y, p.value
        ));
    }
    let nf = n as f64;
    let sum: f64 = points.iter().map(|p| p.value).sum();
    let mean = sum / nf;
    let variance = points.iter().map(|p| p.value * p.value).sum::<f64>() / nf - mean * mean;
    if mean == 0.0 || variance <= f64::EPSILON * mean * mean {
        return bad(
            "every value is the same (or the values sum to zero), so no point can stand out"
                .to_owned(),
        );
    }
    let grid = BucketGrid::new(points.iter().map(|p| (p.x, p.y)), options.band);
    let xy = |j: usize| (points[j].x, points[j].y);
    let mut out: Vec<GiStar> = points
        .iter()
        .map(|p| {
            let (mut w, mut local) = (0usize, 0.0);
            grid.within(p.x, p.y, &xy, |j, _| {
                w += 1;
                local += points[j].value;
            });
            let wf = w as f64;
            let g = local / sum;
            let expected = wf / nf;
            let var = wf * (nf - wf) / (nf - 1.0) / (nf * nf) * variance / (mean * mean);
            let z = if var > 0.0 {
                (g - expected) / var.sqrt()
            } else {
                0.0
            };
            GiStar {
                z,
                p: two_sided_p(z),
                class: HotspotClass::NotSignificant,
                neighbours: w,
            }
        })
        .collect();
    classify(&mut out, options.fdr);
    Ok(out)
}

/// 2·(1 − Φ(|z|)).
pub(crate) fn two_sided_p(z: f64) -> f64 {
    libm::erfc(z.abs() / std::f64::consts::SQRT_2)
}

/// Sets each class from the most stringent level it passes; with `fdr`, a level's
/// cut-off is the Benjamini–Hochberg threshold instead of α itself.
fn classify(results: &mut [GiStar], fdr: bool) {
    let mut sorted: Vec<f64> = results.iter().map(|r| r.p).collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as f64;
    for (alpha, hot, cold) in LEVELS.iter().rev() {
        let cutoff = if fdr {
            sorted
                .iter()
                .enumerate()
                .filter(|(k, p)| **p <= alpha * (*k as f64 + 1.0) / n)
                .map(|(_, p)| *p)
                .next_back()
                .unwrap_or(-1.0)
        } else {
            *alpha
        };
        for r in results.iter_mut() {
            if r.p <= cutoff {
                r.class = if r.z > 0.0 { *hot } else { *cold };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(v: &[(f64, f64, f64)]) -> Vec<Point> {
        v.iter()
            .map(|&(x, y, value)| Point { x, y, value })
            .collect()
    }

    /// Worked by hand: five points on a line one metre apart, band 1.
    #[test]
    fn matches_a_hand_worked_line() {
        let p = pts(&[
            (0.0, 0.0, 1.0),
            (1.0, 0.0, 2.0),
            (2.0, 0.0, 3.0),
            (3.0, 0.0, 4.0),
            (4.0, 0.0, 10.0),
        ]);
        let r = gi_star(
            &p,
            GiOptions {
                band: 1.0,
                fdr: false,
            },
        )
        .unwrap();
        // n = 5, Σy = 20, ȳ = 4, s² = (1+4+9+16+100)/5 − 16 = 10.
        // Point 4: neighbours {3,4} → W = 2, L = 14, G = 0.7, E = 0.4,
        // Var = 2·3/4/25 · 10/16 = 0.0375, z = 0.3/√0.0375.
        let z4 = 0.3 / 0.0375f64.sqrt();
        assert!((r[4].z - z4).abs() < 1e-12, "{} vs {z4}", r[4].z);
        assert_eq!(r[4].neighbours, 2);
        // Point 2: neighbours {1,2,3} → W = 3, L = 9, G = 0.45, E = 0.6,
        // Var = 3·2/4/25 · 10/16 = 0.0375.
        let z2 = -0.15 / 0.0375f64.sqrt();
        assert!((r[2].z - z2).abs() < 1e-12);
        // z4 ≈ 1.549: two-sided p ≈ 0.1213, not significant at 90%.
        assert!((r[4].p - 0.121_335).abs() < 1e-5, "{}", r[4].p);
        assert_eq!(r[4].class, HotspotClass::NotSignificant);
    }

    #[test]
    fn a_dense_cluster_of_high_values_is_hot_and_fdr_is_stricter() {
        let mut v = Vec::new();
        for i in 0..20 {
            for j in 0..20 {
                let high = i < 4 && j < 4;
                let value = if high {
                    20.0
                } else {
                    ((i * 7 + j * 3) % 5) as f64
                };
                v.push((i as f64 * 100.0, j as f64 * 100.0, value));
            }
        }
        let p = pts(&v);
        let plain = gi_star(
            &p,
            GiOptions {
                band: 150.0,
                fdr: false,
            },
        )
        .unwrap();
        let fdr = gi_star(
            &p,
            GiOptions {
                band: 150.0,
                fdr: true,
            },
        )
        .unwrap();
        assert_eq!(plain[0].class, HotspotClass::Hot99);
        assert!(plain[21].z > 3.0);
        let hot = |r: &[GiStar]| {
            r.iter()
                .filter(|g| g.class != HotspotClass::NotSignificant)
                .count()
        };
        assert!(hot(&fdr) <= hot(&plain));
        assert_eq!(fdr[0].class, HotspotClass::Hot99);
    }

    #[test]
    fn bad_input_is_refused_clearly() {
        let p = pts(&[(0.0, 0.0, 1.0), (1.0, 0.0, 1.0), (2.0, 0.0, 1.0)]);
        let opts = GiOptions {
            band: 1.0,
            fdr: false,
        };
        assert!(gi_star(&p, opts).unwrap_err().to_string().contains("same"));
        assert!(
            gi_star(&p[..2], opts)
                .unwrap_err()
                .to_string()
                .contains("3 points")
        );
        let bad_band = GiOptions {
            band: f64::NAN,
            fdr: false,
        };
        assert!(
            gi_star(&p, bad_band)
                .unwrap_err()
                .to_string()
                .contains("band")
        );
        let inf = pts(&[(0.0, 0.0, 1.0), (f64::INFINITY, 0.0, 2.0), (2.0, 0.0, 1.0)]);
        assert!(
            gi_star(&inf, opts)
                .unwrap_err()
                .to_string()
                .contains("finite")
        );
    }
}
