//! Similarity of two sentence units, for rewording: weighted overlap of soft-matched words.
//!
//! A unit becomes a bag of soft keys (stem-like prefixes) with weights. A content word weighs by how
//! rare it is among the sentences of the two documents (an inverse sentence frequency, so the words of
//! the shared topic, which occur everywhere, count for less than the words of one statement); a
//! function word weighs 1. Two bags share `min(weight in u, weight in v)` of every key. Weights are
//! integers computed from both documents together, so the similarity of `(u, v)` and `(v, u)` is
//! bit-for-bit the same.

use super::prepare::{Prepared, CONTENT_WEIGHT};
use super::units::Unit;
use std::collections::HashMap;

/// Weights of content keys for one pair of documents.
#[derive(Clone, Debug, Default)]
pub struct KeyWeights {
    weight: HashMap<u64, u32>,
}

impl KeyWeights {
    /// Inverse sentence frequency of every content key over the units of both documents:
    /// `round(8 ln(1 + units / units containing the key))`, at least 1.
    pub fn for_pair(a: &Prepared, b: &Prepared) -> Self {
        let mut sentences: HashMap<u64, u32> = HashMap::new();
        let mut seen = Vec::new();
        for doc in [a, b] {
            for unit in &doc.units {
                seen.clear();
                seen.extend(
                    (unit.first..unit.end)
                        .filter(|&t| doc.weights[t] >= CONTENT_WEIGHT)
                        .map(|t| doc.keys[t]),
                );
                seen.sort_unstable();
                seen.dedup();
                for &k in &seen {
                    *sentences.entry(k).or_default() += 1;
                }
            }
        }
        let n = (a.units.len() + b.units.len()) as f64;
        let weight = sentences
            .into_iter()
            .map(|(k, sf)| {
                (
                    k,
                    ((8.0 * (1.0 + n / f64::from(sf)).ln()).round() as u32).max(1),
                )
            })
            .collect();
        KeyWeights { weight }
    }

    /// Weight of token `t` of `doc`: 0 when masked, 1 for a function word, its key's weight otherwise.
    fn of(&self, doc: &Prepared, t: usize) -> (u32, u32) {
        match doc.weights[t] {
            0 => (0, 0),
            w if w < CONTENT_WEIGHT => (1, 0),
            _ => (self.weight.get(&doc.keys[t]).copied().unwrap_or(1), 1),
        }
    }
}

/// A unit as a sorted bag of `(key, total weight, content words)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bag {
    /// Sorted by key, keys distinct.
    pub items: Vec<(u64, u32, u32)>,
    /// Sum of the weights.
    pub total: u32,
}

impl Bag {
    /// The bag of `unit` in `doc`.
    pub fn of(doc: &Prepared, unit: &Unit, weights: &KeyWeights) -> Bag {
        Self::of_tokens(doc, unit.first, unit.end, weights)
    }

    /// The bag of tokens `first..end` of `doc`.
    pub fn of_tokens(doc: &Prepared, first: usize, end: usize, weights: &KeyWeights) -> Bag {
        let mut items: Vec<(u64, u32, u32)> = (first..end)
            .filter(|&t| doc.weights[t] > 0)
            .map(|t| {
                let (w, content) = weights.of(doc, t);
                (doc.keys[t], w, content)
            })
            .collect();
        items.sort_unstable();
        let mut merged: Vec<(u64, u32, u32)> = Vec::with_capacity(items.len());
        for (k, w, c) in items {
            match merged.last_mut() {
                Some((lk, lw, lc)) if *lk == k => {
                    *lw += w;
                    *lc += c;
                }
                _ => merged.push((k, w, c)),
            }
        }
        let total = merged.iter().map(|(_, w, _)| w).sum();
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
    /// Content words shared (counted once per matched occurrence).
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
        let (ku, wu, cu) = u.items[i];
        let (kv, wv, cv) = v.items[j];
        match ku.cmp(&kv) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += wu.min(wv);
                content += cu.min(cv);
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
        Bag::of(&p, &p.units[0], &KeyWeights::default())
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
