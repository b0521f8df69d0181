//! Verification of the candidate work: every candidate pair on its own ([`verify_pairs`]), and each
//! first-match group of a large bucket ([`super::buckets`]) tried in input order until the member
//! verifies against one of its representatives.
//!
//! Memory: the shingle set of every document in a first-match group (8 bytes per distinct shingle),
//! besides what [`verify_pairs`] holds; 16 bytes per verified edge; 4 bytes per group.

use super::sketch::sorted_set;
use super::{verify_pairs, Candidates, Edge, SketchStore};
use crate::progress::Progress;
use crate::sketch::estimate_jaccard;
use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};

/// The outcome of verification.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Verified {
    /// Distinct verified edges (similarity >= threshold), sorted by `(a, b)`.
    pub edges: Vec<Edge>,
    /// Members of large buckets that verified against none of their representatives.
    pub unmatched_members: usize,
    /// The first-match groups: `(member, representatives)` ranges into `Candidates::first_match`,
    /// with the representative each member was linked to (`None`: unmatched).
    pub groups: Vec<Group>,
}

/// One first-match group after verification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Group {
    /// The member.
    pub member: u32,
    /// Its entries in `Candidates::first_match`: `start..end`.
    pub start: usize,
    /// End of its entries.
    pub end: usize,
    /// The first representative it verified against, if any.
    pub matched: Option<u32>,
}

/// The similarity of two documents as verification defines it: the true Jaccard of their shingle
/// sets, or the signature estimate when the store keeps signatures instead.
pub struct Similarity<'a> {
    store: &'a SketchStore,
    docs: Vec<u32>,
    sets: Vec<Vec<u64>>,
}

impl<'a> Similarity<'a> {
    /// Prepare the shingle sets of `docs` (any order, repeats allowed).
    pub fn new(store: &'a SketchStore, mut docs: Vec<u32>) -> Self {
        if store.keeps_signatures() {
            docs.clear();
        }
        docs.par_sort_unstable();
        docs.dedup();
        let sets = docs
            .par_iter()
            .map(|&d| sorted_set(store.shingles(d)))
            .collect();
        Similarity { store, docs, sets }
    }

    fn set(&self, d: u32) -> &[u64] {
        self.docs.binary_search(&d).map_or(&[], |i| &self.sets[i])
    }

    /// Similarity of `a` and `b` (both among the prepared documents).
    pub fn of(&self, a: u32, b: u32) -> f64 {
        match (self.store.signature(a), self.store.signature(b)) {
            (Some(sa), Some(sb)) => estimate_jaccard(sa, sb),
            _ => super::jaccard(self.set(a), self.set(b)),
        }
    }
}

/// Verify the candidate work. Returns the verified edges and, for guarded clustering, the
/// first-match groups and the similarity they were verified with.
pub fn verify_candidates<'a>(
    store: &'a SketchStore,
    candidates: &Candidates,
    threshold: f64,
    progress: &dyn Progress,
) -> (Verified, Similarity<'a>) {
    let mut edges = verify_pairs(store, &candidates.pairs, threshold, progress);
    let entries = &candidates.first_match;
    let similarity = Similarity::new(store, entries.iter().flat_map(|&(m, r)| [m, r]).collect());
    let mut groups = Vec::new();
    let mut start = 0;
    for run in entries.chunk_by(|x, y| x.0 == y.0) {
        groups.push(Group {
            member: run[0].0,
            start,
            end: start + run.len(),
            matched: None,
        });
        start += run.len();
    }
    let done = AtomicU64::new(candidates.pairs.len() as u64);
    groups.par_iter_mut().for_each(|g| {
        let member = g.member;
        g.matched = entries[g.start..g.end]
            .iter()
            .map(|&(_, rep)| rep)
            .find(|&rep| similarity.of(rep, member) >= threshold);
        let n = (g.end - g.start) as u64;
        progress.update(done.fetch_add(n, Ordering::Relaxed) + n);
    });
    edges.extend(groups.iter().filter_map(|g| {
        g.matched.map(|rep| Edge {
            a: rep,
            b: g.member,
            jaccard: similarity.of(rep, g.member),
        })
    }));
    let unmatched_members = groups.iter().filter(|g| g.matched.is_none()).count();
    sort_edges(&mut edges);
    (
        Verified {
            edges,
            unmatched_members,
            groups,
        },
        similarity,
    )
}

/// Sort edges by `(a, b)` and drop repeats (an edge found both as a pair and in a group).
pub(crate) fn sort_edges(edges: &mut Vec<Edge>) {
    edges.par_sort_unstable_by_key(|e| (e.a, e.b));
    edges.dedup_by_key(|e| (e.a, e.b));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::DocSketch;
    use crate::progress::NoProgress;

    fn store(sets: &[&[u64]]) -> SketchStore {
        let mut store = SketchStore::new(false);
        for (i, s) in sets.iter().enumerate() {
            store.push(DocSketch {
                exact: i as u128,
                shingles: s.to_vec(),
                bands: vec![0],
                ..DocSketch::default()
            });
        }
        store
    }

    #[test]
    fn a_member_links_to_the_first_representative_it_matches() {
        let s = store(&[&[1, 2], &[5, 6, 7, 8, 9], &[5, 6, 7, 8, 9, 10], &[40]]);
        let candidates = Candidates {
            pairs: vec![(0, 1)],
            // Member 2 tries 0 (no), then 1 (yes); member 3 matches nobody.
            first_match: vec![(2, 0), (2, 1), (3, 0), (3, 1)],
            ..Candidates::default()
        };
        let (v, _) = verify_candidates(&s, &candidates, 0.8, &NoProgress);
        let edges: Vec<(u32, u32)> = v.edges.iter().map(|e| (e.a, e.b)).collect();
        assert_eq!(edges, [(1, 2)]);
        assert_eq!(v.edges[0].jaccard, 5.0 / 6.0);
        assert_eq!(v.unmatched_members, 1);
        assert_eq!(v.groups[0].matched, Some(1));
    }
}
