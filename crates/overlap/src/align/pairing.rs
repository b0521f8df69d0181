//! Pairing sentence units across two documents: verbatim evidence from runs, and reworded evidence
//! from weighted word overlap, resolved one-to-one (then many-to-one for units that one longer unit
//! of the other document contains).

use super::prepare::Prepared;
use super::runs::Run;
use super::semantic::Semantic;
use super::similarity::{overlap, Bag, Overlap};
use super::AlignConfig;
use crate::hashing::{FastMap, FastSet};

/// Two units judged to correspond.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UnitPair {
    /// Unit in the first document.
    pub u: usize,
    /// Unit in the second document.
    pub v: usize,
    /// Word overlap of the two units.
    pub overlap: Overlap,
    /// Tokens of `u` matched verbatim inside `v`.
    pub verbatim_u: usize,
    /// Tokens of `v` matched verbatim inside `u`.
    pub verbatim_v: usize,
}

impl UnitPair {
    /// How strongly the pair corresponds, for ordering the choice: verbatim agreement first, then
    /// word overlap.
    fn strength(&self, a: &Prepared, b: &Prepared) -> f64 {
        let lu = a.units[self.u].len().max(1) as f64;
        let lv = b.units[self.v].len().max(1) as f64;
        let verbatim = (self.verbatim_u as f64 / lu).min(self.verbatim_v as f64 / lv);
        verbatim + self.overlap.dice.max(0.9 * self.overlap.containment)
    }
}

/// Choose corresponding unit pairs.
pub fn pair_units(
    a: &Prepared,
    b: &Prepared,
    bags_a: &[Bag],
    bags_b: &[Bag],
    runs: &[Run],
    semantic: Option<&Semantic>,
    config: &AlignConfig,
) -> Vec<UnitPair> {
    // Verbatim tokens shared by each unit pair, from the runs.
    let mut verbatim: FastMap<(usize, usize), (usize, usize)> = FastMap::default();
    for r in runs {
        for k in 0..r.len {
            let u = a.unit_of[r.a + k] as usize;
            let v = b.unit_of[r.b + k] as usize;
            let e = verbatim.entry((u, v)).or_default();
            e.0 += 1;
            e.1 += 1;
        }
    }

    // Candidates: unit pairs holding verbatim tokens in common, or sharing enough distinct rare
    // words to pass `acceptable` as a rewording (every acceptable pair is one or the other), found
    // through the keys that `generating_keys` allows. With sentence vectors, one shared rare word
    // makes a candidate (meaning may supply the rest), or the
    // semantic configuration's `candidate_rare_words`.
    let need = match semantic {
        Some(s) => s.config.candidate_rare_words.max(1) as usize,
        None => config.min_shared_rare_words.max(1) as usize,
    };
    let budget = MIN_HIT_BUDGET.max(HITS_PER_TOKEN * (a.len() + b.len()) as u64);
    let generating = generating_keys(bags_a, bags_b, budget);
    let allowed = |key: u64| generating.as_ref().is_none_or(|g| g.contains(&key));
    // (rare key, unit of b), sorted by key: a merge-friendly index without per-key allocations.
    let mut index: Vec<(u64, u32)> = bags_b
        .iter()
        .enumerate()
        .flat_map(|(v, bag)| {
            bag.items
                .iter()
                .filter(|i| i.rare > 0 && allowed(i.key))
                .map(move |i| (i.key, v as u32))
        })
        .collect();
    index.sort_unstable();
    let mut candidates: Vec<(usize, usize)> = verbatim.keys().copied().collect();
    let mut hits: Vec<u32> = Vec::new();
    for (u, bag) in bags_a.iter().enumerate() {
        hits.clear();
        for item in bag.items.iter().filter(|i| i.rare > 0 && allowed(i.key)) {
            let from = index.partition_point(|e| e.0 < item.key);
            hits.extend(
                index[from..]
                    .iter()
                    .take_while(|e| e.0 == item.key)
                    .map(|e| e.1),
            );
        }
        hits.sort_unstable();
        candidates.extend(
            hits.chunk_by(|x, y| x == y)
                .filter(|run| run.len() >= need)
                .map(|run| (u, run[0] as usize)),
        );
    }
    candidates.sort_unstable();
    candidates.dedup();

    let mut pairs: Vec<UnitPair> = candidates
        .into_iter()
        .map(|(u, v)| {
            let (vu, vv) = verbatim.get(&(u, v)).copied().unwrap_or((0, 0));
            UnitPair {
                u,
                v,
                overlap: overlap(&bags_a[u], &bags_b[v]),
                verbatim_u: vu,
                verbatim_v: vv,
            }
        })
        .filter(|p| {
            acceptable(p, a, b, config) || semantic.is_some_and(|s| s.accepts(p.u, p.v, &p.overlap))
        })
        .collect();

    // One-to-one, strongest first. The order key is symmetric in the two documents, so swapping
    // them picks the mirrored pairs.
    pairs.sort_by(|p, q| {
        q.strength(a, b)
            .total_cmp(&p.strength(a, b))
            .then((p.u + p.v).cmp(&(q.u + q.v)))
            .then(p.u.min(p.v).cmp(&q.u.min(q.v)))
    });
    let mut used_a = vec![false; a.units.len()];
    let mut used_b = vec![false; b.units.len()];
    let mut chosen = Vec::new();
    let mut rest = Vec::new();
    for p in pairs {
        if !used_a[p.u] && !used_b[p.v] {
            used_a[p.u] = true;
            used_b[p.v] = true;
            chosen.push(p);
        } else {
            rest.push(p);
        }
    }
    // Many-to-one: a unit left over joins a taken unit of the other document that contains it
    // (a sentence merged into, or split out of, a longer one).
    for p in rest {
        let contained = p.overlap.containment >= config.reworded_containment
            && p.overlap.shared_content_words >= config.min_shared_content_words;
        let verbatim_inside = p.verbatim_u.max(p.verbatim_v) >= config.min_passage_words;
        if !(contained || verbatim_inside) {
            continue;
        }
        let u_free = !used_a[p.u];
        let v_free = !used_b[p.v];
        // Only the strictly lighter unit may join (equal weights would make the choice depend on
        // which document is first).
        let (wu, wv) = (bags_a[p.u].total, bags_b[p.v].total);
        let lighter_is_free = (wu < wv && u_free) || (wv < wu && v_free);
        if u_free != v_free && lighter_is_free {
            used_a[p.u] = true;
            used_b[p.v] = true;
            chosen.push(p);
        }
    }
    grow_along_context(
        a,
        b,
        bags_a,
        bags_b,
        &verbatim,
        &mut used_a,
        &mut used_b,
        &mut chosen,
        semantic,
        config,
    );
    chosen.sort_unstable_by_key(|p| (p.u, p.v));
    chosen
}

/// Grow the alignment from its pairs into their neighbourhood, as a rewriter keeps the order of what
/// they rewrite: the next (or previous) sentences of a pair, on both sides, pair with a lower bar of
/// word overlap; so does a neighbouring sentence with the same partner when one sentence was split
/// in two. Isolated weak similarities between unrelated texts have no paired neighbour to grow from.
#[allow(clippy::too_many_arguments)]
fn grow_along_context(
    a: &Prepared,
    b: &Prepared,
    bags_a: &[Bag],
    bags_b: &[Bag],
    verbatim: &FastMap<(usize, usize), (usize, usize)>,
    used_a: &mut [bool],
    used_b: &mut [bool],
    chosen: &mut Vec<UnitPair>,
    semantic: Option<&Semantic>,
    config: &AlignConfig,
) {
    const STEPS: [(isize, isize); 6] = [(1, 1), (-1, -1), (1, 0), (-1, 0), (0, 1), (0, -1)];
    let mut frontier: Vec<UnitPair> = chosen.clone();
    let mut taken: FastSet<(usize, usize)> = chosen.iter().map(|c| (c.u, c.v)).collect();
    while !frontier.is_empty() {
        let mut candidates: Vec<UnitPair> = Vec::new();
        for p in &frontier {
            for (du, dv) in STEPS {
                let (Some(u), Some(v)) = (p.u.checked_add_signed(du), p.v.checked_add_signed(dv))
                else {
                    continue;
                };
                if u >= bags_a.len() || v >= bags_b.len() {
                    continue;
                }
                let diagonal = du == dv;
                let free = if diagonal {
                    !used_a[u] && !used_b[v]
                } else if du != 0 {
                    // A sentence of the first document next to one already paired joins its partner.
                    !used_a[u]
                } else {
                    !used_b[v]
                };
                if !free {
                    continue;
                }
                let (vu, vv) = verbatim.get(&(u, v)).copied().unwrap_or((0, 0));
                let pair = UnitPair {
                    u,
                    v,
                    overlap: overlap(&bags_a[u], &bags_b[v]),
                    verbatim_u: vu,
                    verbatim_v: vv,
                };
                let o = &pair.overlap;
                let words =
                    o.shared_content_words >= config.min_context_words && o.shared_rare_words >= 1;
                let similar = if diagonal {
                    o.dice >= config.context_dice
                        || semantic.is_some_and(|s| s.context_similar(u, v))
                } else {
                    // The joining sentence must be mostly inside its partner.
                    let joining = if du != 0 { &bags_a[u] } else { &bags_b[v] };
                    let partner = if du != 0 { &bags_b[v] } else { &bags_a[u] };
                    joining.total <= partner.total && o.containment >= config.context_containment
                };
                if words && similar {
                    candidates.push(pair);
                }
            }
        }
        candidates.sort_by(|p, q| {
            q.strength(a, b)
                .total_cmp(&p.strength(a, b))
                .then((p.u + p.v).cmp(&(q.u + q.v)))
                .then(p.u.min(p.v).cmp(&q.u.min(q.v)))
        });
        candidates.dedup_by_key(|p| (p.u, p.v));
        frontier.clear();
        for p in candidates {
            let diagonal_ok = !used_a[p.u] && !used_b[p.v];
            let joins = used_a[p.u] != used_b[p.v];
            if diagonal_ok || joins {
                if !taken.insert((p.u, p.v)) {
                    continue;
                }
                used_a[p.u] = true;
                used_b[p.v] = true;
                chosen.push(p);
                frontier.push(p);
            }
        }
    }
}

/// Fewest key hits (unit pairs sharing a key) that candidate generation may always spend. A pair of
/// documents needs at most (content words of one) x (units of the other): 1.25M for two 5,000-word
/// articles of 250 sentences, so alignment of normal documents is never limited.
const MIN_HIT_BUDGET: u64 = 1 << 22;

/// Key hits allowed per token of the two documents beyond [`MIN_HIT_BUDGET`].
const HITS_PER_TOKEN: u64 = 8;

/// The rare keys through which candidate unit pairs are found, or `None` for all of them.
///
/// A key in `m` units of one document and `n` of the other costs `m n` hits. Between two very long
/// documents (two 20 MB texts) the common keys would cost hits quadratic in their length, so keys
/// are taken rarest first (fewest hits, then by key: symmetric in the two documents) while the total
/// stays within `budget` (`max(MIN_HIT_BUDGET, HITS_PER_TOKEN x tokens)`); the keys left out are
/// the most frequent ones, the weakest evidence. Every key still counts in the similarity of the
/// pairs found.
fn generating_keys(bags_a: &[Bag], bags_b: &[Bag], budget: u64) -> Option<FastSet<u64>> {
    let units_with = |bags: &[Bag]| {
        let mut keys: Vec<u64> = bags
            .iter()
            .flat_map(|bag| bag.items.iter().filter(|i| i.rare > 0).map(|i| i.key))
            .collect();
        keys.sort_unstable();
        keys
    };
    // The hits are at most (rare items of a) x (rare items of b): within the budget (nearly every
    // pair of documents), every key generates, and the keys need not be sorted and counted.
    let rare_items = |bags: &[Bag]| -> u64 {
        bags.iter()
            .map(|bag| bag.items.iter().filter(|i| i.rare > 0).count() as u64)
            .sum()
    };
    if rare_items(bags_a).saturating_mul(rare_items(bags_b)) <= budget {
        return None;
    }
    let (ka, kb) = (units_with(bags_a), units_with(bags_b));
    let mut cost: Vec<(u64, u64)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < ka.len() && j < kb.len() {
        match ka[i].cmp(&kb[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                let key = ka[i];
                let m = ka[i..].iter().take_while(|&&k| k == key).count();
                let n = kb[j..].iter().take_while(|&&k| k == key).count();
                cost.push((m as u64 * n as u64, key));
                i += m;
                j += n;
            }
        }
    }
    if cost.iter().map(|c| c.0).sum::<u64>() <= budget {
        return None;
    }
    cost.sort_unstable();
    let mut spent = 0;
    Some(
        cost.into_iter()
            .take_while(|&(c, _)| {
                spent += c;
                spent <= budget
            })
            .map(|(_, key)| key)
            .collect(),
    )
}

/// Whether a unit pair is evidence of reuse at all.
fn acceptable(p: &UnitPair, a: &Prepared, b: &Prepared, config: &AlignConfig) -> bool {
    let lu = a.units[p.u].len();
    let lv = b.units[p.v].len();
    let verbatim_share =
        (p.verbatim_u as f64 / lu.max(1) as f64).max(p.verbatim_v as f64 / lv.max(1) as f64);
    let o = &p.overlap;
    // Some shared rare word is needed whatever the kind: a copied line of common words ("Period
    // ended January 31") is a template, not reuse.
    if o.shared_rare_words < 1 {
        return false;
    }
    let enough_words = o.shared_content_words >= config.min_shared_content_words
        && o.shared_rare_words >= config.min_shared_rare_words;
    (p.verbatim_u >= config.min_run && verbatim_share >= 0.5)
        || (enough_words && o.dice >= config.reworded_dice)
        || (enough_words
            && o.shared_content_words > config.min_shared_content_words
            && o.containment >= config.reworded_containment)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::align::{unit_bags, KeyWeights};

    #[test]
    fn over_budget_the_rarest_keys_generate_candidates_whichever_document_is_first() {
        let config = AlignConfig::default();
        let a = "Grain exports resumed from Odesa. Grain prices fell in Chicago. Odesa port reopened \
                 after talks. Talks in Istanbul on grain went well. Wheat and grain shipments rose.";
        let b =
            "Grain shipments left Odesa. Chicago grain futures fell. The Istanbul talks on grain \
                 ended. Odesa and Chernomorsk ports reopened. Grain, wheat and maize exports rose.";
        let (pa, pb) = (Prepared::new(a, &config), Prepared::new(b, &config));
        let weights = KeyWeights::for_pair(&pa, &pb);
        let (ba, bb) = (unit_bags(&pa, &weights), unit_bags(&pb, &weights));
        assert_eq!(
            generating_keys(&ba, &bb, u64::MAX),
            None,
            "within budget: every key"
        );
        let limited = generating_keys(&ba, &bb, 6).expect("over budget");
        assert_eq!(Some(&limited), generating_keys(&bb, &ba, 6).as_ref());
        // "grain" is in every sentence: the costliest key, the first left out.
        let grain = xxhash_rust::xxh3::xxh3_64(crate::align::soft_key("grain").as_bytes());
        assert!(!limited.contains(&grain));
        assert!(!limited.is_empty());
    }

    /// `generating_keys` as first written, without the bound that skips counting: the reference.
    fn generating_keys_reference(
        bags_a: &[Bag],
        bags_b: &[Bag],
        budget: u64,
    ) -> Option<FastSet<u64>> {
        let units_with = |bags: &[Bag]| {
            let mut keys: Vec<u64> = bags
                .iter()
                .flat_map(|bag| bag.items.iter().filter(|i| i.rare > 0).map(|i| i.key))
                .collect();
            keys.sort_unstable();
            keys
        };
        let (ka, kb) = (units_with(bags_a), units_with(bags_b));
        let mut cost: Vec<(u64, u64)> = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < ka.len() && j < kb.len() {
            match ka[i].cmp(&kb[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    let key = ka[i];
                    let m = ka[i..].iter().take_while(|&&k| k == key).count();
                    let n = kb[j..].iter().take_while(|&&k| k == key).count();
                    cost.push((m as u64 * n as u64, key));
                    i += m;
                    j += n;
                }
            }
        }
        if cost.iter().map(|c| c.0).sum::<u64>() <= budget {
            return None;
        }
        cost.sort_unstable();
        let mut spent = 0;
        Some(
            cost.into_iter()
                .take_while(|&(c, _)| {
                    spent += c;
                    spent <= budget
                })
                .map(|(_, key)| key)
                .collect(),
        )
    }

    fn arb_bags() -> impl proptest::strategy::Strategy<Value = Vec<Bag>> {
        use crate::align::similarity::Item;
        use proptest::prelude::*;
        let bag = proptest::collection::btree_map(0u64..30, 0u32..2, 0..8).prop_map(|m| {
            let items: Vec<Item> = m
                .into_iter()
                .map(|(key, rare)| Item {
                    key,
                    weight: 1,
                    content: rare,
                    rare,
                })
                .collect();
            let total = items.len() as u32;
            Bag { items, total }
        });
        proptest::collection::vec(bag, 0..12)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// The bound (hits at most the product of the two sides' rare items) never changes which
        /// keys generate, whatever the budget.
        #[test]
        fn the_hit_bound_never_changes_the_generating_keys(
            a in arb_bags(),
            b in arb_bags(),
            budget in 0u64..200,
        ) {
            proptest::prop_assert_eq!(
                generating_keys(&a, &b, budget),
                generating_keys_reference(&a, &b, budget)
            );
        }
    }
}
