//! Every knob of the dedup pipeline, with its default.

use crate::error::{Error, Result};
use crate::sketch::{LshParams, MinHashScheme};
use crate::text::Normalization;
use serde::{Deserialize, Serialize};

/// Parameters of near-duplicate detection. `Default` gives the documented defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DedupConfig {
    /// Jaccard similarity of shingle sets at or above which two documents are near-duplicates.
    /// Default: 0.8.
    pub threshold: f64,
    /// Words per shingle. Default: 5.
    pub ngram: usize,
    /// MinHash signature length. Default: 128.
    pub num_perm: usize,
    /// Seed of the MinHash permutations. Default: 1.
    pub seed: u64,
    /// MinHash scheme. Default: one-permutation hashing with optimal densification.
    pub scheme: MinHashScheme,
    /// Check every candidate pair's true Jaccard (default) rather than trusting the MinHash estimate.
    pub verify: bool,
    /// Bands and rows; `None` (default) chooses them for `threshold` and `num_perm`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lsh: Option<LshParams>,
    /// Weight of the false-negative area when choosing bands and rows (the false-positive area gets
    /// `1 - fn_weight`). `None` (default): 0.98 with verification, whose false positives cost only a
    /// Jaccard computation while a false negative is a duplicate lost for good; 0.5 (datasketch's
    /// choice) without it, where a false positive is a wrong answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fn_weight: Option<f64>,
    /// Text normalization. Default: NFKC, case folding, punctuation folding.
    pub normalization: Normalization,
    /// Repair doubly encoded UTF-8 (`Â£` -> `£`, see [`crate::text::fix_mojibake`]) before
    /// normalizing. Default: false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fix_encoding: bool,
    /// How verified pairs become clusters. Default: connected components.
    #[serde(default)]
    pub clusters: ClusterMode,
}

/// How verified near-duplicate pairs become clusters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClusterMode {
    /// Union-find: documents joined by any chain of verified pairs form one cluster.
    #[default]
    Components,
    /// The chain guard: every removed document is verified against the document kept for it (see
    /// `dedup::guard`).
    Guarded,
}

impl Default for DedupConfig {
    fn default() -> Self {
        DedupConfig {
            threshold: 0.8,
            ngram: 5,
            num_perm: 128,
            seed: 1,
            scheme: MinHashScheme::default(),
            verify: true,
            lsh: None,
            fn_weight: None,
            normalization: Normalization::default(),
            clusters: ClusterMode::default(),
            fix_encoding: false,
        }
    }
}

impl DedupConfig {
    /// Check that every parameter is in range.
    pub fn validate(&self) -> Result<()> {
        let fail = |m: String| Err(Error::Config(m));
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            return fail(format!(
                "threshold must be in (0, 1], got {}",
                self.threshold
            ));
        }
        if self.ngram == 0 || self.ngram > 64 {
            return fail(format!("ngram must be 1 to 64, got {}", self.ngram));
        }
        if self.num_perm == 0 || self.num_perm > 4096 {
            return fail(format!("num_perm must be 1 to 4096, got {}", self.num_perm));
        }
        if let Some(w) = self.fn_weight {
            if !(0.0..=1.0).contains(&w) {
                return fail(format!("fn_weight must be in [0, 1], got {w}"));
            }
        }
        if self.scheme == MinHashScheme::SimHash && (!self.verify || self.lsh.is_some()) {
            return fail(
                "the simhash scheme needs verification and its own Hamming blocks (no --no-verify, \
                 --bands or --rows)"
                    .into(),
            );
        }
        if let Some(p) = self.lsh {
            if p.bands == 0 || p.rows == 0 || p.bands * p.rows > self.num_perm {
                return fail(format!(
                    "bands x rows must be at least 1 x 1 and at most num_perm ({}), got {} x {}",
                    self.num_perm, p.bands, p.rows
                ));
            }
        }
        Ok(())
    }

    /// The weight of false negatives in use (see [`DedupConfig::fn_weight`]).
    pub fn effective_fn_weight(&self) -> f64 {
        self.fn_weight
            .unwrap_or(if self.verify { 0.98 } else { 0.5 })
    }

    /// The bands and rows in use: the override, or the minimiser of the weighted false positive and
    /// false negative areas for the threshold.
    pub fn lsh_params(&self) -> LshParams {
        if self.scheme == MinHashScheme::SimHash {
            // Hamming blocks, reported as bands of 16 bit-rows.
            let blocks = super::sketch::SIMHASH_MAX_DISTANCE + 1;
            return LshParams {
                bands: blocks,
                rows: 64 / blocks,
            };
        }
        self.lsh.unwrap_or_else(|| {
            let w = self.effective_fn_weight();
            LshParams::optimal_weighted(self.threshold, self.num_perm, 1.0 - w, w)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verification_favours_recall() {
        let verified = DedupConfig::default().lsh_params();
        assert_eq!(verified, LshParams { bands: 17, rows: 7 });
        assert!(verified.collision_probability(0.8) > 0.98);
        let estimated = DedupConfig {
            verify: false,
            ..Default::default()
        };
        assert_eq!(estimated.lsh_params(), LshParams { bands: 9, rows: 13 });
    }

    #[test]
    fn defaults_are_valid_and_bad_values_are_rejected() {
        assert!(DedupConfig::default().validate().is_ok());
        for bad in [
            DedupConfig {
                threshold: 0.0,
                ..Default::default()
            },
            DedupConfig {
                threshold: 1.5,
                ..Default::default()
            },
            DedupConfig {
                ngram: 0,
                ..Default::default()
            },
            DedupConfig {
                lsh: Some(LshParams {
                    bands: 20,
                    rows: 10,
                }),
                ..Default::default()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }
}
