//! Locality-sensitive hashing of MinHash signatures: `b` bands of `r` rows.
//!
//! Two documents of Jaccard similarity `s` share at least one band key with probability
//! `P(s) = 1 - (1 - s^r)^b`, an S-shaped curve. For a threshold `t` we choose `b` and `r` (with
//! `b * r <= num_perm`) to minimise the weighted area of false positives (`P` over `[0, t]`) plus false
//! negatives (`1 - P` over `[t, 1]`), the criterion datasketch uses. With verification on, false
//! positives only cost time, so a caller may weight false negatives more.

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// A choice of bands and rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LshParams {
    /// Number of bands `b`: one bucket key per band.
    pub bands: usize,
    /// Rows per band `r`: signature values hashed into each key.
    pub rows: usize,
}

impl LshParams {
    /// The `(b, r)` minimising false positive + false negative area for `threshold`, equal weights.
    pub fn optimal(threshold: f64, num_perm: usize) -> Self {
        Self::optimal_weighted(threshold, num_perm, 0.5, 0.5)
    }

    /// The `(b, r)` minimising `fp_weight * FP area + fn_weight * FN area`, searching `b` then `r`
    /// upwards and keeping the first strict minimum (so ties resolve the same way every time).
    pub fn optimal_weighted(
        threshold: f64,
        num_perm: usize,
        fp_weight: f64,
        fn_weight: f64,
    ) -> Self {
        let num_perm = num_perm.max(1);
        let mut best = LshParams { bands: 1, rows: 1 };
        let mut best_error = f64::INFINITY;
        for bands in 1..=num_perm {
            for rows in 1..=num_perm / bands {
                let p = LshParams { bands, rows };
                let error = fp_weight * p.false_positive_area(threshold)
                    + fn_weight * p.false_negative_area(threshold);
                if error < best_error {
                    best_error = error;
                    best = p;
                }
            }
        }
        best
    }

    /// Probability that two documents of Jaccard similarity `s` share at least one band.
    pub fn collision_probability(&self, s: f64) -> f64 {
        1.0 - (1.0 - s.powi(self.rows as i32)).powi(self.bands as i32)
    }

    /// Area under the S-curve below the threshold: pairs under it that still become candidates.
    pub fn false_positive_area(&self, threshold: f64) -> f64 {
        integrate(|s| self.collision_probability(s), 0.0, threshold)
    }

    /// Area above the S-curve beyond the threshold: pairs over it that are missed.
    pub fn false_negative_area(&self, threshold: f64) -> f64 {
        integrate(|s| 1.0 - self.collision_probability(s), threshold, 1.0)
    }

    /// The threshold implied by the curve, `(1/b)^(1/r)`: where it rises most steeply.
    pub fn implied_threshold(&self) -> f64 {
        (1.0 / self.bands as f64).powf(1.0 / self.rows as f64)
    }

    /// Append one key per band of `signature` to `out`. Band `i`'s key hashes rows
    /// `i*r .. (i+1)*r` with the band number as seed, so keys of different bands never meet.
    pub fn band_keys(&self, signature: &[u32], out: &mut Vec<u64>) {
        let mut bytes = Vec::with_capacity(self.rows * 4);
        for (band, rows) in signature
            .chunks_exact(self.rows)
            .take(self.bands)
            .enumerate()
        {
            bytes.clear();
            for v in rows {
                bytes.extend_from_slice(&v.to_le_bytes());
            }
            out.push(xxh3_64_with_seed(&bytes, band as u64));
        }
    }
}

/// Composite Simpson's rule over `PANELS` panels. The integrands are smooth, and only the order of the
/// candidates' errors matters: a test checks that this gives the same choices as ten times the
/// panels over a grid of thresholds and signature sizes.
fn integrate(f: impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    integrate_with(f, a, b, PANELS)
}

const PANELS: usize = 128;

fn integrate_with(f: impl Fn(f64) -> f64, a: f64, b: f64, panels: usize) -> f64 {
    if b <= a {
        return 0.0;
    }
    let h = (b - a) / panels as f64;
    let mut sum = f(a) + f(b);
    for i in 1..panels {
        let weight = if i % 2 == 1 { 4.0 } else { 2.0 };
        sum += weight * f(a + i as f64 * h);
    }
    sum * h / 3.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_choices() {
        // Choices datasketch's MinHashLSH makes for the same inputs (equal weights).
        assert_eq!(
            LshParams::optimal(0.8, 128),
            LshParams { bands: 9, rows: 13 }
        );
        assert_eq!(
            LshParams::optimal(0.5, 128),
            LshParams { bands: 25, rows: 5 }
        );
        assert_eq!(
            LshParams::optimal(0.7, 128),
            LshParams { bands: 14, rows: 9 }
        );
        assert_eq!(
            LshParams::optimal(0.9, 128),
            LshParams { bands: 5, rows: 25 }
        );
    }

    /// The choice with `panels` panels (the same search as `optimal_weighted`).
    fn choice_with(t: f64, num_perm: usize, w: f64, panels: usize) -> LshParams {
        let mut best = LshParams { bands: 1, rows: 1 };
        let mut best_error = f64::INFINITY;
        for bands in 1..=num_perm {
            for rows in 1..=num_perm / bands {
                let p = LshParams { bands, rows };
                let fp = integrate_with(|s| p.collision_probability(s), 0.0, t, panels);
                let fneg = integrate_with(|s| 1.0 - p.collision_probability(s), t, 1.0, panels);
                let e = (1.0 - w) * fp + w * fneg;
                if e < best_error {
                    best_error = e;
                    best = p;
                }
            }
        }
        best
    }

    #[test]
    fn fewer_panels_choose_the_same_bands_and_rows() {
        for num_perm in [16, 64, 128, 256] {
            for step in 1..20 {
                let t = step as f64 * 0.05;
                for w in [0.5, 0.98] {
                    assert_eq!(
                        choice_with(t, num_perm, w, PANELS),
                        choice_with(t, num_perm, w, 10 * PANELS),
                        "threshold {t}, {num_perm} permutations, weight {w}"
                    );
                }
            }
        }
    }

    #[test]
    fn integrals_match_closed_forms() {
        // b = 1, r = 1: P(s) = s, so FP area over [0, t] is t^2 / 2 and FN area is (1 - t)^2 / 2.
        let p = LshParams { bands: 1, rows: 1 };
        assert!((p.false_positive_area(0.6) - 0.18).abs() < 1e-12);
        assert!((p.false_negative_area(0.6) - 0.08).abs() < 1e-12);
    }

    #[test]
    fn band_keys_depend_on_rows_and_band() {
        let p = LshParams { bands: 2, rows: 2 };
        let mut keys = Vec::new();
        p.band_keys(&[1, 2, 1, 2], &mut keys);
        assert_eq!(keys.len(), 2);
        assert_ne!(
            keys[0], keys[1],
            "equal rows in different bands must give different keys"
        );
        let mut other = Vec::new();
        p.band_keys(&[1, 2, 1, 3], &mut other);
        assert_eq!(keys[0], other[0]);
        assert_ne!(keys[1], other[1]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// The chosen (b, r) is the minimiser of the S-curve error over every admissible pair, and its
        /// curve rises through the threshold: below the threshold collisions are the rarer outcome
        /// well before it, above it the common one well after it.
        #[test]
        fn choice_minimises_the_s_curve_error(t in 0.3f64..0.95, num_perm in 16usize..160) {
            let best = LshParams::optimal(t, num_perm);
            prop_assert!(best.bands * best.rows <= num_perm);
            let err = |p: LshParams| 0.5 * p.false_positive_area(t) + 0.5 * p.false_negative_area(t);
            for bands in 1..=num_perm {
                for rows in 1..=num_perm / bands {
                    let other = LshParams { bands, rows };
                    prop_assert!(err(best) <= err(other) + 1e-15, "{:?} beats {:?}", other, best);
                }
            }
            prop_assert!(best.collision_probability((t - 0.25).max(0.0)) < 0.5);
            prop_assert!(best.collision_probability((t + 0.15).min(1.0)) > 0.5);
        }
    }
}
