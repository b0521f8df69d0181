//! Verification: the true Jaccard similarity of each candidate pair's shingle sets.
//!
//! Memory: 16 bytes per verified edge; the shingle sets are read in place from the store.

use super::sketch::sorted_set;
use super::SketchStore;
use crate::progress::Progress;
use crate::sketch::estimate_jaccard;
use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};

/// A pair of documents and their similarity.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Edge {
    /// The earlier document.
    pub a: u32,
    /// The later document.
    pub b: u32,
    /// Jaccard similarity: exact with verification, the MinHash estimate without.
    pub jaccard: f64,
}

/// Jaccard similarity of two sorted, distinct sets (1 for two empty sets).
pub fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut shared) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    shared as f64 / (a.len() + b.len() - shared) as f64
}

/// Keep the candidate pairs whose similarity reaches `threshold`, in the order given. Similarity is
/// the true Jaccard of the shingle sets, or the signature estimate when the store keeps signatures.
/// The shingle sets of the documents in candidate pairs (and only those) are built first, once each.
pub fn verify_pairs(
    store: &SketchStore,
    pairs: &[(u32, u32)],
    threshold: f64,
    progress: &dyn Progress,
) -> Vec<Edge> {
    const CHUNK: usize = 4096;
    let done = AtomicU64::new(0);
    let mut docs: Vec<u32> = if store.keeps_signatures() {
        Vec::new()
    } else {
        pairs.iter().flat_map(|&(a, b)| [a, b]).collect()
    };
    docs.par_sort_unstable();
    docs.dedup();
    let sets: Vec<Vec<u64>> = docs
        .par_iter()
        .map(|&d| sorted_set(store.shingles(d)))
        .collect();
    let set = |d: u32| -> &[u64] { docs.binary_search(&d).map_or(&[], |i| &sets[i]) };
    pairs
        .par_chunks(CHUNK)
        .flat_map_iter(|chunk| {
            let edges: Vec<Edge> = chunk
                .iter()
                .filter_map(|&(a, b)| {
                    let similarity = match (store.signature(a), store.signature(b)) {
                        (Some(sa), Some(sb)) => estimate_jaccard(sa, sb),
                        _ => jaccard(set(a), set(b)),
                    };
                    (similarity >= threshold).then_some(Edge {
                        a,
                        b,
                        jaccard: similarity,
                    })
                })
                .collect();
            progress
                .update(done.fetch_add(chunk.len() as u64, Ordering::Relaxed) + chunk.len() as u64);
            edges
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jaccard_of_sorted_sets() {
        assert_eq!(jaccard(&[1, 2, 3, 4], &[3, 4, 5]), 2.0 / 5.0);
        assert_eq!(jaccard(&[1], &[2]), 0.0);
        assert_eq!(jaccard(&[], &[]), 1.0);
        assert_eq!(jaccard(&[7, 9], &[7, 9]), 1.0);
    }
}
