//! Semantic near-duplicates (`dedup --semantic`): documents that say the same thing in other words,
//! the job of NeMo Curator's SemDeDup and of semhash.
//!
//! The stages: every document's embedding from the static model ([`crate::embed::StaticModel`]);
//! exact duplicates grouped by the normalized text's key as in `dedup`, and only the first of each
//! group compared; the vectors centred on the corpus mean and scaled to unit length
//! ([`vectors::Vectors`]); candidates by random-hyperplane LSH over them ([`candidates`]: `bands`
//! blocks of `rows` sign bits, [`crate::sketch::Hyperplanes`] with [`crate::sketch::HammingBands`],
//! buckets turned into work as `dedup` does, [`super::BucketWork`]) or, with `exact`, every pair;
//! verification by cosine at `threshold`; clusters as `dedup` makes them: union-find components with
//! the first document of each cluster kept, or with `clusters: guarded` the chain guard
//! ([`guarded`], the rule of [`crate::dedup::guarded_join`]).
//!
//! Why centred: the static model's document vectors of one corpus share a large common direction (on
//! Reuters the median cosine of two random documents is 0.70 and a quarter of a percent of all pairs
//! reach 0.9; `bench/RESULTS.md`), so a raw-cosine bar calls whole topics duplicates. Centring
//! removes that direction; `raw` keeps semhash's raw cosine for comparisons.
//!
//! Determinism: each vector is summed in text order; the mean in input order (in `f64`); each
//! fingerprint bit and each cosine in index order. Candidates and edges are sorted sets. So every
//! output byte is the same for any thread count.

mod candidates;
mod first_match;
mod guarded;
mod job;
mod vectors;

pub use candidates::{
    candidate_work, exact_pairs, find_candidates, verify_chunk, verify_set, verify_work,
    CandidateSet, CandidateWork, SemanticEdge, SemanticVerified, VerifiedSet, VERIFY_CHUNK,
};
pub use first_match::{FirstMatch, FirstMatchReader, FirstMatchWriter};
pub use guarded::guarded_positions;
pub use job::{
    run_semantic, SemanticDocumentCounts, SemanticJob, SemanticPairCounts, SemanticParameters,
    SemanticSummary,
};
pub use vectors::{dot, Rows, Vectors};

use crate::dedup::ClusterMode;
use crate::error::{Error, Result};
use crate::text::Normalization;
use serde::{Deserialize, Serialize};

/// How semantic candidates are found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CandidateSearch {
    /// Random-hyperplane LSH: pairs sharing one band of sign bits.
    #[default]
    Lsh,
    /// Every pair of comparable documents (brute force: quadratic, for small corpora and for
    /// measuring the LSH's recall).
    Exact,
}

/// Parameters of `dedup --semantic`. `Default` gives the documented defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SemanticConfig {
    /// Cosine similarity at or above which two documents are semantic near-duplicates. Default:
    /// [`DEFAULT_THRESHOLD`].
    pub threshold: f64,
    /// LSH or brute force.
    pub search: CandidateSearch,
    /// LSH bands (blocks of sign bits). Default: chosen for the threshold, see
    /// [`SemanticConfig::lsh_bands`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bands: Option<usize>,
    /// Sign bits per band. Default: [`DEFAULT_ROWS`].
    pub rows: usize,
    /// Seed of the hyperplanes.
    pub seed: u64,
    /// Compare the model's vectors as they are (semhash's cosine) instead of centred on the corpus
    /// mean. Default: false.
    pub raw: bool,
    /// Normalization of the exact-duplicate key. Default: `dedup`'s.
    pub normalization: Normalization,
    /// Repair doubly encoded UTF-8 before embedding and normalizing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fix_encoding: bool,
    /// How verified pairs become clusters: union-find components (default) or the chain guard.
    #[serde(default)]
    pub clusters: ClusterMode,
}

/// Default cosine threshold (of centred vectors). 0.93 rather than semhash's 0.9 (which is on raw
/// cosine, another scale): on BBC News the pairs between 0.9 and 0.93 are mostly other stories on
/// one topic, those above it duplicates (`bench/RESULTS.md` 8.6).
pub const DEFAULT_THRESHOLD: f64 = 0.93;

/// Default sign bits per LSH band: two random documents share a 16-bit band with probability about
/// 2^-16, so buckets stay small while pairs at the threshold share some band of enough bands.
pub const DEFAULT_ROWS: usize = 16;

/// The share of pairs at exactly the threshold that the default bands make candidates.
pub const TARGET_RECALL: f64 = 0.99;

impl Default for SemanticConfig {
    fn default() -> Self {
        SemanticConfig {
            threshold: DEFAULT_THRESHOLD,
            search: CandidateSearch::Lsh,
            bands: None,
            rows: DEFAULT_ROWS,
            seed: 1,
            raw: false,
            normalization: Normalization::default(),
            fix_encoding: false,
            clusters: ClusterMode::default(),
        }
    }
}

impl SemanticConfig {
    /// Check every parameter.
    pub fn validate(&self) -> Result<()> {
        let fail = |m: String| Err(Error::Config(m));
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            return fail(format!(
                "--semantic-threshold must be in (0, 1], got {}",
                self.threshold
            ));
        }
        if self.rows == 0 || self.rows > 64 {
            return fail(format!(
                "--semantic-rows must be 1 to 64, got {}",
                self.rows
            ));
        }
        if let Some(b) = self.bands {
            if b == 0 || b > 1024 {
                return fail(format!("--semantic-bands must be 1 to 1024, got {b}"));
            }
        }
        Ok(())
    }

    /// The bands in use: the override, or the fewest bands of `rows` bits that make a pair at the
    /// threshold a candidate with probability [`TARGET_RECALL`], assuming two vectors at angle
    /// `theta` differ in a sign bit with probability `theta / pi` (Charikar).
    pub fn lsh_bands(&self) -> usize {
        if let Some(b) = self.bands {
            return b;
        }
        let p = self.bit_agreement(self.threshold).powi(self.rows as i32);
        if p >= 1.0 {
            return 1;
        }
        let b = ((1.0 - TARGET_RECALL).ln() / (1.0 - p).ln()).ceil();
        (b as usize).clamp(1, 1024)
    }

    /// Probability that one sign bit agrees for two vectors of cosine `c`.
    pub fn bit_agreement(&self, c: f64) -> f64 {
        1.0 - c.clamp(-1.0, 1.0).acos() / std::f64::consts::PI
    }

    /// Probability that a pair of cosine `c` becomes a candidate with the bands in use.
    pub fn candidate_probability(&self, c: f64) -> f64 {
        let p = self.bit_agreement(c).powi(self.rows as i32);
        1.0 - (1.0 - p).powi(self.lsh_bands() as i32)
    }

    /// Fingerprint bits: `bands x rows`, rounded up to whole 64-bit words.
    pub fn fingerprint_bits(&self) -> usize {
        (self.lsh_bands() * self.rows).div_ceil(64) * 64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_bands_reach_the_target_recall_at_the_threshold() {
        let c = SemanticConfig::default();
        let b = c.lsh_bands();
        assert!(c.candidate_probability(c.threshold) >= TARGET_RECALL);
        let fewer = SemanticConfig {
            bands: Some(b - 1),
            ..c.clone()
        };
        assert!(fewer.candidate_probability(c.threshold) < TARGET_RECALL);
        // A pair at right angles (centred vectors of unrelated documents) almost never is.
        assert!(c.candidate_probability(0.0) < 1e-3);
        assert_eq!(c.fingerprint_bits() % 64, 0);
    }

    #[test]
    fn bad_values_are_refused() {
        for bad in [
            SemanticConfig {
                threshold: 0.0,
                ..Default::default()
            },
            SemanticConfig {
                rows: 0,
                ..Default::default()
            },
            SemanticConfig {
                bands: Some(0),
                ..Default::default()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
        assert!(SemanticConfig::default().validate().is_ok());
    }
}
