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
use crate::hashing::FastMap;

/// Weights of content keys, for one pair of documents or for a corpus.
#[derive(Clone, Debug, Default)]
pub struct KeyWeights {
    weight: FastMap<u64, u32>,
    /// Weight from which a content word counts as rare (0: every content word does).
    rare: u32,
}

/// The corpus weight at which a word counts as rare (informative): that of a word in 1% of the
/// documents, or in `min_docs` documents when that is more, since in a small corpus one story's
/// reprints alone can make up 1% of it.
fn rare_weight(docs: usize, min_docs: usize) -> u32 {
    let n = docs as f64;
    let df = (0.01 * n).max(min_docs as f64).max(1.0);
    (8.0 * (1.0 + n / df).ln()).round() as u32
}

impl KeyWeights {
    /// Inverse sentence frequency of every content key over the units of both documents:
    /// `round(8 ln(1 + units / units containing the key))`, at least 1.
    pub fn for_pair(a: &Prepared, b: &Prepared) -> Self {
        let mut sentences: FastMap<u64, u32> = FastMap::default();
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
        KeyWeights { weight, rare: 0 }
    }

    /// Inverse document frequency of every content key over a corpus of `docs` documents:
    /// `round(8 ln(1 + docs / documents containing the key))`, at least 1. Corpus-wide rarity
    /// tells a statement's own words from a house style's or a template's better than two
    /// documents can. Words in fewer than 1% of the documents (or `rare_min_docs`) count as rare: sentences must share
    /// some to pair as a rewording, so that templates (earnings tables, weather reports) whose
    /// common words match while their facts differ do not.
    pub fn from_document_frequencies(
        df: &FastMap<u64, u32>,
        docs: usize,
        rare_min_docs: usize,
    ) -> Self {
        let n = docs as f64;
        let weight = df
            .iter()
            .map(|(&k, &d)| {
                (
                    k,
                    ((8.0 * (1.0 + n / f64::from(d.max(1))).ln()).round() as u32).max(1),
                )
            })
            .collect();
        KeyWeights {
            weight,
            rare: rare_weight(docs, rare_min_docs),
        }
    }

    /// Weight of token `t` of `doc`: 0 when masked, 1 for a function word, its key's weight otherwise.
    fn of(&self, doc: &Prepared, t: usize) -> Item {
        let key = doc.keys[t];
        let (weight, content) = match doc.weights[t] {
            0 => (0, 0),
            w if w < CONTENT_WEIGHT => (1, 0),
            _ => (self.weight.get(&key).copied().unwrap_or(1), 1),
        };
        Item {
            key,
            weight,
            content,
            rare: u32::from(content > 0 && weight >= self.rare),
        }
    }
}

/// One key of a bag: its total weight, and how many content words and rare words carry it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Item {
    /// Soft-match key.
    pub key: u64,
    /// Total weight.
    pub weight: u32,
    /// Content-word occurrences.
    pub content: u32,
    /// Rare-word occurrences.
    pub rare: u32,
}

/// A unit as a sorted bag of keys.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bag {
    /// Sorted by key, keys distinct.
    pub items: Vec<Item>,
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
        let mut items: Vec<Item> = (first..end)
            .filter(|&t| doc.weights[t] > 0)
            .map(|t| weights.of(doc, t))
            .collect();
        items.sort_unstable_by_key(|i| i.key);
        let mut merged: Vec<Item> = Vec::with_capacity(items.len());
        for i in items {
            match merged.last_mut() {
                Some(last) if last.key == i.key => {
                    last.weight += i.weight;
                    last.content += i.content;
                    last.rare += i.rare;
                }
                _ => merged.push(i),
            }
        }
        let total = merged.iter().map(|i| i.weight).sum();
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
    /// Rare words shared (all content words when weights are per pair).
    pub shared_rare_words: u32,
    /// Weighted Dice coefficient: `2 shared / (total_u + total_v)`.
    pub dice: f64,
    /// Shared weight over the lighter unit's total: how much of the smaller unit the other holds.
    pub containment: f64,
}

/// The overlap of two bags.
pub fn overlap(u: &Bag, v: &Bag) -> Overlap {
    // A merge of the two sorted bags whose steps do not branch on the keys' order (which side
    // moves is as good as random, and a mispredicted branch per step was most of its cost; it runs
    // for every candidate sentence pair). Shared keys are few: that branch is predicted well.
    let (xs, ys) = (u.items.as_slice(), v.items.as_slice());
    let (mut i, mut j) = (0, 0);
    let (mut shared, mut content, mut rare) = (0u32, 0u32, 0u32);
    while i < xs.len() && j < ys.len() {
        let (x, y) = (&xs[i], &ys[j]);
        if x.key == y.key {
            shared += x.weight.min(y.weight);
            content += x.content.min(y.content);
            rare += x.rare.min(y.rare);
        }
        i += usize::from(x.key <= y.key);
        j += usize::from(y.key <= x.key);
    }
    let total = u.total + v.total;
    let lighter = u.total.min(v.total);
    Overlap {
        shared,
        shared_content_words: content,
        shared_rare_words: rare,
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

    /// The overlap as first written (a merge branching on the keys' order): the reference the
    /// branchless merge must equal.
    fn overlap_reference(u: &Bag, v: &Bag) -> (u32, u32, u32) {
        let (mut i, mut j) = (0, 0);
        let (mut shared, mut content, mut rare) = (0u32, 0u32, 0u32);
        while i < u.items.len() && j < v.items.len() {
            let (x, y) = (u.items[i], v.items[j]);
            match x.key.cmp(&y.key) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    shared += x.weight.min(y.weight);
                    content += x.content.min(y.content);
                    rare += x.rare.min(y.rare);
                    i += 1;
                    j += 1;
                }
            }
        }
        (shared, content, rare)
    }

    fn arb_bag() -> impl proptest::strategy::Strategy<Value = Bag> {
        use proptest::prelude::*;
        // Keys from a small range, so that bags share many.
        proptest::collection::btree_map(0u64..40, (1u32..30, 0u32..3, 0u32..3), 0..25).prop_map(
            |m| {
                let items: Vec<Item> = m
                    .into_iter()
                    .map(|(key, (weight, content, rare))| Item {
                        key,
                        weight,
                        content,
                        rare,
                    })
                    .collect();
                let total = items.iter().map(|i| i.weight).sum();
                Bag { items, total }
            },
        )
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        #[test]
        fn the_branchless_merge_counts_what_the_branching_one_counts(u in arb_bag(), v in arb_bag()) {
            let o = overlap(&u, &v);
            proptest::prop_assert_eq!(
                (o.shared, o.shared_content_words, o.shared_rare_words),
                overlap_reference(&u, &v)
            );
            proptest::prop_assert_eq!(o, overlap(&v, &u));
        }
    }
}
