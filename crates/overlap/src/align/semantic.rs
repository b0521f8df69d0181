//! Meaning as evidence in sentence pairing: the cosine of two sentences' embeddings beside their
//! weighted word overlap.
//!
//! A rewriter who keeps the facts but changes the words leaves sentences whose word overlap falls
//! below the reworded bar while their meaning stays. With sentence vectors (from
//! `crate::embed`, computed by the caller), a pair of sentences that shares at least one rare word
//! and some content words also pairs when its cosine is high and its word overlap is not negligible;
//! the neighbours of a pair also pair on cosine. Shared words stay required: sentences about one
//! topic that share no specific word are what independently written texts look like (the `non`
//! answers of the Clough corpus), so meaning alone pairs nothing.
//!
//! The passages' scores stay their word overlap, so `score` keeps its meaning; the semantic layer
//! changes which sentences pair.
//!
//! Memory: the caller's vectors (dims x 4 bytes per sentence); nothing else.

use super::similarity::Overlap;

/// How sentence embeddings take part in pairing. `Default` gives the measured defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct SemanticConfig {
    /// Cosine at or above which two sentences sharing a rare word and
    /// [`min_shared_content_words`](Self::min_shared_content_words) content words pair as a
    /// rewording, if their weighted word overlap reaches [`min_dice`](Self::min_dice).
    /// Default: 0.9 (on Clough, 0.8 pairs sentences of independently written answers on one
    /// topic: ROC AUC 0.971 instead of 0.982; see bench/RESULTS.md).
    pub pair_cosine: f64,
    /// Lowest weighted word overlap for a pair accepted on cosine. Default: 0.15.
    pub min_dice: f64,
    /// Fewest content words shared by a pair accepted on cosine. Default: 2.
    pub min_shared_content_words: u32,
    /// Cosine enough for the sentences next to a pair to pair too. Default: 0.9.
    pub context_cosine: f64,
}

impl Default for SemanticConfig {
    fn default() -> Self {
        SemanticConfig {
            pair_cosine: 0.9,
            min_dice: 0.15,
            min_shared_content_words: 2,
            context_cosine: 0.9,
        }
    }
}

/// Sentence vectors of both documents (one per unit, in unit order) and how to use them.
#[derive(Clone, Copy, Debug)]
pub struct Semantic<'v> {
    /// One vector per unit of the first document.
    pub a: &'v [Vec<f32>],
    /// One vector per unit of the second document.
    pub b: &'v [Vec<f32>],
    /// Thresholds.
    pub config: &'v SemanticConfig,
}

impl Semantic<'_> {
    /// Cosine of unit `u` of the first document and unit `v` of the second.
    pub fn cosine(&self, u: usize, v: usize) -> f64 {
        match (self.a.get(u), self.b.get(v)) {
            (Some(x), Some(y)) => cosine(x, y),
            _ => 0.0,
        }
    }

    /// Whether a pair that failed the lexical bars is a rewording by meaning.
    pub fn accepts(&self, u: usize, v: usize, o: &Overlap) -> bool {
        o.shared_rare_words >= 1
            && o.shared_content_words >= self.config.min_shared_content_words
            && o.dice >= self.config.min_dice
            && self.cosine(u, v) >= self.config.pair_cosine
    }
}

/// Cosine similarity of two vectors, accumulated in `f64` in index order (0 when either is zero).
pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let (mut ab, mut aa, mut bb) = (0f64, 0f64, 0f64);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (f64::from(x), f64::from(y));
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa == 0.0 || bb == 0.0 {
        0.0
    } else {
        ab / (aa.sqrt() * bb.sqrt())
    }
}
