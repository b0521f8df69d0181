//! Similarity of two sentence units, for rewording: weighted overlap of soft-matched words.
//!
//! A unit becomes a bag of soft keys (stem-like prefixes) with weights (content words weigh more than
//! function words). Two bags share `min(weight in u, weight in v)` of every key. All arithmetic is in
//! integers, so the similarity of `(u, v)` and `(v, u)` is bit-for-bit the same.

use super::prepare::{Prepared, CONTENT_WEIGHT};
use super::units::Unit;

/// A unit as a sorted bag of `(key, total weight)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bag {
    /// Sorted by key, keys distinct.
    pub items: Vec<(u64, u32)>,
    /// Sum of the weights.
    pub total: u32,
}

impl Bag {
    /// The bag of `unit` in `doc`.
    pub fn of(doc: &Prepared, unit: &Unit) -> Bag {
        let mut items: Vec<(u64, u32)> = (unit.first..unit.end)
            .filter(|&t| doc.weights[t] > 0)
            .map(|t| (doc.keys[t], doc.weights[t]))
            .collect();
        items.sort_unstable();
        let mut merged: Vec<(u64, u32)> = Vec::with_capacity(items.len());
        for (k, w) in items {
            match merged.last_mut() {
                Some((lk, lw)) if *lk == k => *lw += w,
                _ => merged.push((k, w)),
            }
        }
        let total = merged.iter().map(|(_, w)| w).sum();
        Bag {
            items: merged,
            total,
        }
    }
}

/// How two units overlap.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Overlap {
    /// Shared weight.
    pub shared: u32,
    /// Shared weight coming from content words (in units of content words).
    pub shared_content_words: u32,
    /// Weighted Dice coefficient: `2 shared / (total_u + total_v)`.
    pub dice: f64,
    /// Shared weight over the lighter unit's total: how much of the smaller unit the other holds.
    pub containment: f64,
}

/// The overlap of two bags.
pub fn overlap(u: &Bag, v: &Bag) -> Overlap {
    let (mut i, mut j) = (0, 0);
    let (mut shared, mut content) = (0u32, 0u32);
    while i < u.items.len() && j < v.items.len() {
        let (ku, wu) = u.items[i];
        let (kv, wv) = v.items[j];
        match ku.cmp(&kv) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                let m = wu.min(wv);
                shared += m;
                content += m / CONTENT_WEIGHT;
                i += 1;
                j += 1;
            }
        }
    }
    let total = u.total + v.total;
    let lighter = u.total.min(v.total);
    Overlap {
        shared,
        shared_content_words: content,
        dice: if total == 0 {
            0.0
        } else {
            2.0 * f64::from(shared) / f64::from(total)
        },
        containment: if lighter == 0 {
            0.0
        } else {
            f64::from(shared) / f64::from(lighter)
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::align::AlignConfig;

    fn bag(text: &str) -> Bag {
        let p = Prepared::new(text, &AlignConfig::default());
        Bag::of(&p, &p.units[0])
    }

    #[test]
    fn reworded_sentences_overlap_strongly_and_unrelated_ones_weakly() {
        let a = bag("The top US diplomat declined to characterize Lavrov's reaction, saying he could not assess it.");
        let b = bag(
            "On Lavrov's reaction, the top US diplomat commented by saying he could not assess it.",
        );
        let c =
            bag("Putin went ahead and attacked nine days later, leading to sweeping sanctions.");
        let ab = overlap(&a, &b);
        assert!(ab.dice > 0.6, "{ab:?}");
        assert!(overlap(&a, &c).dice < 0.2);
        assert_eq!(overlap(&a, &b), overlap(&b, &a));
    }
}
