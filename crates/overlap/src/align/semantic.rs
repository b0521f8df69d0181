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
//! Where the static model is unsure (its cosine in a band below the bars), the full transformer can
//! decide instead ([`Rescore`], given by the caller; `crate::embed::rescore` runs it on the
//! sentences concerned only): the static model's cosine is high between any two sentences on one
//! topic, the transformer's much less so (bench/RESULTS.md, section 8).
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
    /// With a [`Rescore`]: static cosines at or above this (and below the bars above) are unsure,
    /// and the transformer's cosine decides. Default: 0.8 (with the two bars below, Clough's ROC AUC
    /// stays 0.982; a wider band or lower bars pair more `non` sentences: bench/RESULTS.md 8.4).
    pub rescore_from: f64,
    /// With a [`Rescore`]: transformer cosine at or above which an unsure pair pairs. Default: 0.9.
    pub rescore_pair_cosine: f64,
    /// With a [`Rescore`]: transformer cosine enough for an unsure neighbour to pair. Default: 0.85.
    pub rescore_context_cosine: f64,
    /// Fewest distinct rare words two sentences must share to be considered as a rewording by
    /// meaning at all (their word overlap and cosine are computed only then). Default: 1.
    pub candidate_rare_words: u32,
}

/// A second opinion on a sentence pair: the cosine of unit `u` of the first document and unit `v`
/// of the second by a stronger (slower) model.
pub trait Rescore: Sync + std::fmt::Debug {
    /// The stronger model's cosine of the two units.
    fn cosine(&self, u: usize, v: usize) -> f64;
}

impl Default for SemanticConfig {
    fn default() -> Self {
        SemanticConfig {
            pair_cosine: 0.9,
            min_dice: 0.15,
            min_shared_content_words: 2,
            context_cosine: 0.9,
            rescore_from: 0.8,
            rescore_pair_cosine: 0.9,
            rescore_context_cosine: 0.85,
            candidate_rare_words: 1,
        }
    }
}

/// The sentence vectors of one document, one per unit in unit order: computed beforehand, or on
/// first use (a vector depends only on its sentence, so when it is computed changes no result).
pub trait UnitVectors: Sync + std::fmt::Debug {
    /// The vector of unit `u`, `None` past the last unit.
    fn vector(&self, u: usize) -> Option<&[f32]>;
}

impl UnitVectors for [Vec<f32>] {
    fn vector(&self, u: usize) -> Option<&[f32]> {
        self.get(u).map(Vec::as_slice)
    }
}

impl UnitVectors for Vec<Vec<f32>> {
    fn vector(&self, u: usize) -> Option<&[f32]> {
        self.get(u).map(Vec::as_slice)
    }
}

/// Sentence vectors of both documents (one per unit, in unit order) and how to use them.
#[derive(Clone, Copy, Debug)]
pub struct Semantic<'v> {
    /// One vector per unit of the first document.
    pub a: &'v dyn UnitVectors,
    /// One vector per unit of the second document.
    pub b: &'v dyn UnitVectors,
    /// Thresholds.
    pub config: &'v SemanticConfig,
    /// The transformer, for the pairs whose static cosine is unsure.
    pub rescore: Option<&'v dyn Rescore>,
}

impl Semantic<'_> {
    /// Cosine of unit `u` of the first document and unit `v` of the second.
    pub fn cosine(&self, u: usize, v: usize) -> f64 {
        match (self.a.vector(u), self.b.vector(v)) {
            (Some(x), Some(y)) => cosine(x, y),
            _ => 0.0,
        }
    }

    /// Whether a pair that failed the lexical bars is a rewording by meaning.
    pub fn accepts(&self, u: usize, v: usize, o: &Overlap) -> bool {
        o.shared_rare_words >= 1
            && o.shared_content_words >= self.config.min_shared_content_words
            && o.dice >= self.config.min_dice
            && self.similar(
                u,
                v,
                self.config.pair_cosine,
                self.config.rescore_pair_cosine,
            )
    }

    /// Whether the neighbours `u`, `v` of a pair are close enough in meaning to pair too.
    pub fn context_similar(&self, u: usize, v: usize) -> bool {
        self.similar(
            u,
            v,
            self.config.context_cosine,
            self.config.rescore_context_cosine,
        )
    }

    /// Static cosine at or above `bar`, or, in the unsure band below it, the transformer's at or
    /// above `rescore_bar`.
    fn similar(&self, u: usize, v: usize, bar: f64, rescore_bar: f64) -> bool {
        let c = self.cosine(u, v);
        if c >= bar {
            return true;
        }
        match self.rescore {
            Some(r) if c >= self.config.rescore_from => r.cosine(u, v) >= rescore_bar,
            _ => false,
        }
    }
}

/// Weight of the transformer's document cosine in [`same_story`]: the linear combination with the
/// pair score chosen on STS news train+dev (test Spearman 0.827 against 0.823 for the cosine alone;
/// bench/RESULTS.md 8.4).
pub const SAME_STORY_SEMANTIC_WEIGHT: f64 = 0.85;

/// The same-story similarity of two documents: `0.85 * semantic + 0.15 * score`, from the
/// transformer's document cosine and `align`'s pair score.
pub fn same_story(semantic: f64, score: f64) -> f64 {
    SAME_STORY_SEMANTIC_WEIGHT * semantic + (1.0 - SAME_STORY_SEMANTIC_WEIGHT) * score
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A second opinion with fixed answers, counting how often it is asked.
    #[derive(Debug)]
    struct Fixed(f64, AtomicUsize);

    impl Rescore for Fixed {
        fn cosine(&self, _: usize, _: usize) -> f64 {
            self.1.fetch_add(1, Ordering::Relaxed);
            self.0
        }
    }

    #[test]
    fn the_transformer_decides_only_inside_the_unsure_band() {
        let config = SemanticConfig::default();
        let words = Overlap {
            shared: 4,
            shared_content_words: 2,
            shared_rare_words: 1,
            dice: 0.2,
            containment: 0.3,
        };
        // Unit vectors at static cosines 0.95 (sure), 0.85 (unsure) and 0.5 (sure no).
        let angle = |c: f64| vec![c as f32, (1.0 - c * c).sqrt() as f32];
        let a = vec![vec![1.0f32, 0.0]];
        let b = vec![angle(0.95), angle(0.85), angle(0.5)];
        for (opinion, want) in [(0.95, [true, true, false]), (0.3, [true, false, false])] {
            let r = Fixed(opinion, AtomicUsize::new(0));
            let s = Semantic {
                a: &a,
                b: &b,
                config: &config,
                rescore: Some(&r),
            };
            let got: Vec<bool> = (0..3).map(|v| s.accepts(0, v, &words)).collect();
            assert_eq!(got, want, "transformer cosine {opinion}");
            assert_eq!(
                r.1.load(Ordering::Relaxed),
                1,
                "asked only about the unsure pair"
            );
            // The context bar (0.85 for the transformer) is lower than the pair bar (0.9).
            assert_eq!(s.context_similar(0, 1), opinion >= 0.85);
        }
        // Without enough shared words, meaning alone pairs nothing, and nobody is asked.
        let r = Fixed(1.0, AtomicUsize::new(0));
        let s = Semantic {
            a: &a,
            b: &b,
            config: &config,
            rescore: Some(&r),
        };
        let few = Overlap {
            shared_rare_words: 0,
            ..words
        };
        assert!(!s.accepts(0, 1, &few));
        assert_eq!(r.1.load(Ordering::Relaxed), 0);
    }
}
