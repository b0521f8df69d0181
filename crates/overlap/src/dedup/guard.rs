//! Guarded clusters (`--clusters guarded`): a chain guard on top of the verified edges.
//!
//! Union-find ("components") puts two documents in one cluster whenever a chain of verified pairs
//! joins them, so A~B~C~... can fuse documents that share nothing. The guarded rule processes the
//! exact-group representatives in input order: a document joins the cluster of the earliest *kept*
//! document it verifies against at or above the threshold; otherwise it is kept and starts a cluster.
//! Every removed document is thus verified against the document kept for it. The rule is
//! [`guarded_join`], one function, so that other front ends (the index, the Python deduplicator) can
//! apply it to their own candidates and give the same clusters.
//!
//! A document only needs verifying against kept documents: candidates of large buckets (first-match
//! groups) are verified here, lazily, against those representatives that are kept.
//!
//! Memory: 4 bytes per document for the clusters, 16 bytes per verified edge (indexed by their later
//! document), the shingle sets already prepared for verification (in memory), or none when the
//! verification spilled: then the sets of a lazily verified pair are read from the store.

use super::linking::{sort_edges, Similarity, Verified};
use super::{assign_clusters, Assignment, Candidates, Edge, Reason, SketchStore};
use crate::error::Result;

/// The guarded rule for one document: the first document of `earlier` (candidates earlier in input
/// order, ascending) that is kept and that the document verifies against; `None` when there is
/// none, and the document is kept. `verified` is called only for kept candidates, in order, and not
/// after the first success.
pub fn guarded_join(
    earlier: impl IntoIterator<Item = u32>,
    is_kept: impl Fn(u32) -> bool,
    mut verified: impl FnMut(u32) -> bool,
) -> Option<u32> {
    earlier.into_iter().find(|&e| is_kept(e) && verified(e))
}

/// [`guarded_join`] for one document `d` over its candidates `earlier`: `(candidate, true)` for a
/// verified edge (known to pass), `(candidate, false)` for one verified here, lazily, only when the
/// guard asks (a kept candidate, in order); `earlier` is sorted and deduplicated here, a verified
/// edge winning over the same candidate unverified. A candidate whose `similarity` reaches
/// `threshold` is pushed to `added` as `edge(candidate, similarity)`, so that `pairs.jsonl` lists
/// the pair each removed document was kept out for. The first error stops the join and is
/// returned. Lexical and semantic dedup both cluster through this, so their rules cannot drift.
pub(crate) fn join_verifying<E>(
    earlier: &mut Vec<(u32, bool)>,
    cluster: &[u32],
    threshold: f64,
    mut similarity: impl FnMut(u32) -> Result<f64>,
    edge: impl Fn(u32, f64) -> E,
    added: &mut Vec<E>,
) -> Result<Option<u32>> {
    earlier.sort_unstable_by_key(|&(doc, known)| (doc, !known));
    earlier.dedup_by_key(|x| x.0);
    let mut failed = None;
    let join = guarded_join(
        earlier.iter().map(|&(doc, _)| doc),
        |doc| cluster[doc as usize] == doc,
        |doc| {
            let known = earlier[earlier.partition_point(|x| x.0 < doc)].1;
            known || {
                let s = match similarity(doc) {
                    Ok(s) => s,
                    Err(e) => {
                        // Stop at once: the join's answer is not used after an error.
                        failed = Some(e);
                        return true;
                    }
                };
                let ok = s >= threshold;
                if ok {
                    added.push(edge(doc, s));
                }
                ok
            }
        },
    );
    match failed {
        Some(e) => Err(e),
        None => Ok(join),
    }
}

/// The outcome of guarded clustering.
#[derive(Clone, Debug, PartialEq)]
pub struct Guarded {
    /// Clusters and reasons.
    pub assignment: Assignment,
    /// Documents kept by the guard that union-find over the same verified edges would have removed:
    /// the number of clusters the guard adds.
    pub split_off: u64,
}

/// Cluster with the guarded rule. Edges found by the lazy verification are added to
/// `verified.edges`, which stays sorted, so that `pairs.jsonl` lists them.
pub fn assign_guarded(
    store: &SketchStore,
    candidates: &Candidates,
    verified: &mut Verified,
    similarity: &Similarity,
    threshold: f64,
) -> Guarded {
    assign_guarded_entries(
        store,
        &candidates.first_match,
        verified,
        similarity,
        threshold,
    )
    .expect("prepared shingle sets are read without error")
}

/// [`assign_guarded`] with the groups of `verified` indexing `entries` (the first-match entries,
/// or those of them the guard still needs: see [`super::VerifiedSet::entries`]); the sets that
/// `similarity` has not prepared are read from the store, which may fail when it spilled them.
pub fn assign_guarded_entries(
    store: &SketchStore,
    entries: &[(u32, u32)],
    verified: &mut Verified,
    similarity: &Similarity,
    threshold: f64,
) -> Result<Guarded> {
    let n = store.len();
    // Verified edges by their later document.
    let mut by_later: Vec<(u32, u32)> = verified.edges.iter().map(|e| (e.b, e.a)).collect();
    by_later.sort_unstable();
    let mut cluster: Vec<u32> = (0..n as u32).collect();
    let mut added = Vec::new();
    let (mut e, mut g) = (0, 0);
    let mut earlier: Vec<(u32, bool)> = Vec::new();
    for d in 0..n as u32 {
        if !store.is_exact_first(d) {
            cluster[d as usize] = cluster[store.exact_first(d) as usize];
            continue;
        }
        // Candidates of d: its verified edges (true) and the representatives of its first-match
        // group not yet verified (false): those after the one it matched, or none if it matched
        // none (it was tried against all of them).
        earlier.clear();
        while e < by_later.len() && by_later[e].0 == d {
            earlier.push((by_later[e].1, true));
            e += 1;
        }
        while g < verified.groups.len() && verified.groups[g].member < d {
            g += 1;
        }
        if let Some(group) = verified.groups.get(g).filter(|gr| gr.member == d) {
            if let Some(matched) = group.matched {
                earlier.extend(
                    entries[group.start..group.end]
                        .iter()
                        .filter(|&&(_, rep)| rep > matched)
                        .map(|&(_, rep)| (rep, false)),
                );
            }
        }
        let join = join_verifying(
            &mut earlier,
            &cluster,
            threshold,
            |doc| similarity.try_of(doc, d),
            |a, jaccard| Edge { a, b: d, jaccard },
            &mut added,
        )?;
        if let Some(kept) = join {
            cluster[d as usize] = kept;
        }
    }
    if !added.is_empty() {
        verified.edges.extend(added);
        sort_edges(&mut verified.edges);
    }
    let reason = (0..n as u32)
        .map(|d| {
            if !store.is_exact_first(d) {
                Reason::Exact
            } else if cluster[d as usize] == d {
                Reason::Unique
            } else {
                Reason::Near
            }
        })
        .collect::<Vec<_>>();
    let kept = reason.iter().filter(|&&r| r == Reason::Unique).count() as u64;
    let components = assign_clusters(store, &verified.edges);
    let components_kept = components
        .reason
        .iter()
        .filter(|&&r| r == Reason::Unique)
        .count() as u64;
    Ok(Guarded {
        assignment: Assignment { cluster, reason },
        split_off: kept - components_kept,
    })
}

/// The guarded rule by its definition, for tests of its implementations: every candidate
/// `(earlier, later)` of `n` documents verified up front with `verifies`, then each document, in
/// order, joins the earliest kept candidate it verified against.
#[cfg(test)]
pub(crate) fn rule_by_definition(
    n: usize,
    candidates: impl IntoIterator<Item = (u32, u32)>,
    verifies: impl Fn(u32, u32) -> bool,
) -> Vec<u32> {
    let mut matches: Vec<Vec<u32>> = vec![Vec::new(); n];
    for (a, b) in candidates {
        if verifies(a, b) {
            matches[b as usize].push(a);
        }
    }
    let mut cluster: Vec<u32> = (0..n as u32).collect();
    for d in 0..n {
        matches[d].sort_unstable();
        if let Some(&e) = matches[d].iter().find(|&&e| cluster[e as usize] == e) {
            cluster[d] = e;
        }
    }
    cluster
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::linking::verify_candidates;
    use crate::dedup::DocSketch;
    use crate::progress::NoProgress;

    #[test]
    fn the_rule_takes_the_earliest_kept_match() {
        let kept = |d: u32| d != 1;
        assert_eq!(guarded_join([0, 1, 2], kept, |d| d >= 1), Some(2));
        assert_eq!(guarded_join([0, 1, 2], kept, |_| true), Some(0));
        assert_eq!(guarded_join([1], kept, |_| true), None);
        let mut asked = Vec::new();
        guarded_join([0, 1, 2, 3], kept, |d| {
            asked.push(d);
            d == 2
        });
        assert_eq!(asked, [0, 2], "only kept candidates, up to the first match");
    }

    #[test]
    fn a_chain_is_cut_where_the_kept_document_no_longer_matches() {
        // 0~1 and 1~2 verified, 0 and 2 unrelated; 3 is an exact copy of 2.
        let mut store = SketchStore::new(false);
        for exact in [0, 1, 2, 2] {
            store.push(DocSketch {
                exact,
                bands: vec![0],
                ..DocSketch::default()
            });
        }
        let candidates = Candidates::default();
        let (mut verified, similarity) = verify_candidates(&store, &candidates, 0.8, &NoProgress);
        verified.edges = vec![
            Edge {
                a: 0,
                b: 1,
                jaccard: 0.9,
            },
            Edge {
                a: 1,
                b: 2,
                jaccard: 0.9,
            },
        ];
        let g = assign_guarded(&store, &candidates, &mut verified, &similarity, 0.8);
        assert_eq!(g.assignment.cluster, [0, 0, 2, 2]);
        assert_eq!(
            g.assignment.reason,
            [Reason::Unique, Reason::Near, Reason::Unique, Reason::Exact]
        );
        assert_eq!(g.split_off, 1);
        assert_eq!(
            assign_clusters(&store, &verified.edges).cluster,
            [0, 0, 0, 0]
        );
    }

    /// The rule by its definition: every candidate verified up front, then each document joins the
    /// earliest kept candidate it verified against.
    fn guarded_by_definition(
        store: &SketchStore,
        candidates: &Candidates,
        threshold: f64,
    ) -> Vec<u32> {
        let sim = |a: u32, b: u32| {
            let set = |d: u32| crate::dedup::sketch::sorted_set(&store.shingles(d).unwrap());
            crate::dedup::jaccard(&set(a), &set(b))
        };
        let pairs = candidates
            .pairs
            .iter()
            .copied()
            .chain(candidates.first_match.iter().map(|&(m, rep)| (rep, m)));
        rule_by_definition(store.len(), pairs, |a, b| sim(a, b) >= threshold)
    }

    proptest::proptest! {
        #[test]
        fn lazy_verification_gives_the_rule(
            sets in proptest::collection::vec(proptest::collection::vec(0u64..12, 1..6), 2..30),
            raw in proptest::collection::vec((0u32..30, 0u32..30, proptest::bool::ANY), 0..80),
        ) {
            let mut store = SketchStore::new(false);
            for (i, s) in sets.iter().enumerate() {
                store.push(DocSketch {
                    exact: i as u128,
                    shingles: s.clone(),
                    bands: vec![0],
                    ..DocSketch::default()
                });
            }
            let n = sets.len() as u32;
            let mut candidates = Candidates::default();
            for (x, y, group) in raw {
                let (a, b) = ((x % n).min(y % n), (x % n).max(y % n));
                if a == b {
                    continue;
                }
                if group {
                    candidates.first_match.push((b, a));
                } else {
                    candidates.pairs.push((a, b));
                }
            }
            candidates.pairs.sort_unstable();
            candidates.pairs.dedup();
            candidates.first_match.sort_unstable();
            candidates.first_match.dedup();
            let threshold = 0.5;
            let (mut verified, similarity) =
                verify_candidates(&store, &candidates, threshold, &NoProgress);
            let g = assign_guarded(&store, &candidates, &mut verified, &similarity, threshold);
            proptest::prop_assert_eq!(
                g.assignment.cluster,
                guarded_by_definition(&store, &candidates, threshold)
            );
            // Every removed document is verified against its kept document.
            for (d, &c) in guarded_by_definition(&store, &candidates, threshold).iter().enumerate() {
                if c != d as u32 {
                    let set = |x: u32| crate::dedup::sketch::sorted_set(&store.shingles(x).unwrap());
                    proptest::prop_assert!(crate::dedup::jaccard(&set(c), &set(d as u32)) >= threshold);
                }
            }
        }
    }
}
