//! Who decides in `reuse --semantic` (`--semantic-rescore`): the static model with the weighted
//! word overlap, the full transformer, or the transformer only where the first is unsure.
//!
//! The transformer costs about 100 sentences per CPU second, the static model about 80,000
//! (bench/RESULTS.md 8.4): on Reuters + 20 Newsgroups a run where the transformer judges every
//! unsure sentence pair and passage takes about 100 times the lexical run's CPU. The static tier
//! scores a sentence pair, or a passage's two sides, by
//! `combined = w * static cosine + (1 - w) * weighted word overlap` (the Dice of
//! [`crate::align::Bag`]s for a sentence pair, the passage's own `score` for a passage; `w` is
//! [`super::reworded::RewordedConfig::static_weight`], tuned on STS news train+dev, bench/RESULTS.md
//! 8.10) and compares it to a bar. With [`RescoreTier::Unsure`] a combined score within
//! [`super::reworded::RewordedConfig::unsure_margin`] of its bar is handed to the transformer,
//! whose cosine decides as in [`RescoreTier::Always`].
//!
//! Memory: nothing of its own; the caller's sentence vectors and bags.

use crate::align::{cosine, Bag, UnitVectors};
use serde::Serialize;

/// Which model decides the sentence pairs and passages that the static model screens.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RescoreTier {
    /// The static cosine with the weighted word overlap decides; the transformer is not loaded.
    #[default]
    Never,
    /// The static tier decides, except within a margin of its bars, where the transformer does.
    Unsure,
    /// The transformer decides every pair and passage the static model screens (the pass of
    /// bench/RESULTS.md 8.5 to 8.9).
    Always,
}

impl RescoreTier {
    /// Whether the tier needs the transformer.
    pub fn needs_transformer(self) -> bool {
        self != RescoreTier::Never
    }
}

/// What the static tier says of a score against its bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Said twice.
    Yes,
    /// Not said twice.
    No,
    /// Too close to the bar: the transformer decides.
    Unsure,
}

/// The verdict on `combined` against `bar`: with `margin > 0`, `[bar - margin, bar + margin)` is
/// unsure.
pub fn verdict(combined: f64, bar: f64, margin: f64) -> Verdict {
    if combined >= bar + margin {
        Verdict::Yes
    } else if combined < bar - margin || margin <= 0.0 {
        // With no margin, `combined < bar` here.
        Verdict::No
    } else {
        Verdict::Unsure
    }
}

/// `w * cosine + (1 - w) * lexical`.
pub fn combined(w: f64, cosine: f64, lexical: f64) -> f64 {
    w * cosine + (1.0 - w) * lexical
}

/// The weighted Dice coefficient of two bags (`2 shared / (total_u + total_v)`, shared weight the
/// `min` of each common key's weights), as `align` computes it.
pub fn dice(u: &Bag, v: &Bag) -> f64 {
    let (mut i, mut j, mut shared) = (0, 0, 0u64);
    while i < u.items.len() && j < v.items.len() {
        let (x, y) = (&u.items[i], &v.items[j]);
        match x.key.cmp(&y.key) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += u64::from(x.weight.min(y.weight));
                i += 1;
                j += 1;
            }
        }
    }
    let total = u64::from(u.total) + u64::from(v.total);
    if total == 0 {
        0.0
    } else {
        2.0 * shared as f64 / total as f64
    }
}

/// The combined static score of sentence `u` of one document and `v` of the other, from their
/// static vectors and bags (0 for a unit out of range).
pub fn sentence_score(
    w: f64,
    (va, bags_a): (&dyn UnitVectors, &[Bag]),
    (vb, bags_b): (&dyn UnitVectors, &[Bag]),
    (u, v): (usize, usize),
) -> f64 {
    match (va.vector(u), vb.vector(v), bags_a.get(u), bags_b.get(v)) {
        (Some(x), Some(y), Some(p), Some(q)) => combined(w, cosine(x, y), dice(p, q)),
        _ => 0.0,
    }
}

/// The static cosine and the weighted word overlap of each pair of texts, words weighted by their
/// rarity among all the texts (every text a document, rare from `rare_min_docs` as in `reuse`),
/// as [`sentence_score`] combines them: the features `bench/eval_sts.py` tunes the combination on
/// (each text taken whole, as one bag).
#[cfg(feature = "embed")]
pub fn pair_features(
    model: &crate::embed::StaticModel,
    pairs: &[(&str, &str)],
    rare_min_docs: usize,
) -> Vec<(f64, f64)> {
    use crate::align::{AlignConfig, KeyWeights, Prepared};
    use crate::hashing::FastMap;
    let config = AlignConfig::default();
    let prepared: Vec<(Prepared, Prepared)> = pairs
        .iter()
        .map(|(a, b)| (Prepared::new(a, &config), Prepared::new(b, &config)))
        .collect();
    let mut df: FastMap<u64, u32> = FastMap::default();
    for p in prepared.iter().flat_map(|(a, b)| [a, b]) {
        let mut keys: Vec<u64> = (0..p.keys.len())
            .filter(|&t| p.weights[t] >= crate::align::CONTENT_WEIGHT)
            .map(|t| p.keys[t])
            .collect();
        keys.sort_unstable();
        keys.dedup();
        for k in keys {
            *df.entry(k).or_default() += 1;
        }
    }
    let weights = KeyWeights::from_document_frequencies(&df, prepared.len() * 2, rare_min_docs);
    let bag = |p: &Prepared| Bag::of_tokens(p, 0, p.keys.len(), &weights);
    pairs
        .iter()
        .zip(&prepared)
        .map(|((ta, tb), (a, b))| {
            (
                cosine(&model.encode(ta), &model.encode(tb)),
                dice(&bag(a), &bag(b)),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::align::{AlignConfig, KeyWeights, Prepared};

    #[test]
    fn a_margin_makes_a_band_around_the_bar_unsure() {
        assert_eq!(verdict(0.8, 0.8, 0.0), Verdict::Yes);
        assert_eq!(verdict(0.79, 0.8, 0.0), Verdict::No);
        assert_eq!(verdict(0.86, 0.8, 0.05), Verdict::Yes);
        assert_eq!(verdict(0.84, 0.8, 0.05), Verdict::Unsure);
        assert_eq!(verdict(0.751, 0.8, 0.05), Verdict::Unsure);
        assert_eq!(verdict(0.749, 0.8, 0.05), Verdict::No);
        assert!((combined(0.6, 0.9, 0.4) - 0.7).abs() < 1e-12);
        assert!(RescoreTier::Unsure.needs_transformer() && !RescoreTier::Never.needs_transformer());
    }

    #[test]
    fn dice_is_aligns_weighted_overlap() {
        let config = AlignConfig::default();
        let a = Prepared::new("Gazprom cut gas supplies to Ukraine.", &config);
        let b = Prepared::new(
            "Ukraine's gas supplies were cut by Gazprom on Monday.",
            &config,
        );
        let weights = KeyWeights::for_pair(&a, &b);
        let (ba, bb) = (
            crate::align::unit_bags(&a, &weights),
            crate::align::unit_bags(&b, &weights),
        );
        let d = dice(&ba[0], &bb[0]);
        assert!(d > 0.3 && d < 1.0, "{d}");
        assert_eq!(d, dice(&bb[0], &ba[0]), "symmetric");
        assert_eq!(dice(&ba[0], &ba[0]), 1.0);
        assert_eq!(dice(&Bag::default(), &ba[0]), 0.0);
        let v = vec![vec![1.0f32, 0.0]];
        let s = sentence_score(0.5, (&v, &ba), (&v, &bb), (0, 0));
        assert!((s - (0.5 + 0.5 * d)).abs() < 1e-12);
        assert_eq!(sentence_score(0.5, (&v, &ba), (&v, &bb), (1, 0)), 0.0);
    }
}
