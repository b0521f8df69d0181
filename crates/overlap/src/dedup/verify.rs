//! Verification: the true Jaccard similarity of each candidate pair's shingle sets.
//!
//! Memory: 16 bytes per verified edge, plus the sorted shingle sets of the documents being compared.
//! In memory (pairs and shingles both in RAM), the sets of all documents in candidate pairs are built
//! once each: 8 bytes per distinct shingle of each such document. Otherwise pairs are read in order
//! (merged from their runs) in chunks whose documents' sets fit the set budget; a chunk's sets are
//! built (read from the shingle spill file by offset), its pairs checked, and the sets dropped, so a
//! document in several chunks is read several times.

use super::{Similarity, SketchStore};
use crate::error::Result;
use crate::hashing::FastSet;
use crate::progress::Progress;
use crate::spill::{Sorted, SpillDir, StageMemory};
use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

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
    let similarity = Similarity::new(store, pair_docs(store, pairs));
    let done = AtomicU64::new(0);
    check_pairs(&similarity, pairs, threshold, |n| {
        progress.update(done.fetch_add(n as u64, Ordering::Relaxed) + n as u64)
    })
}

/// The documents of `pairs`, whose shingle sets verification compares (none when the store keeps
/// signatures, which are compared instead).
fn pair_docs(store: &SketchStore, pairs: &[(u32, u32)]) -> Vec<u32> {
    if store.keeps_signatures() {
        Vec::new()
    } else {
        pairs.iter().flat_map(|&(a, b)| [a, b]).collect()
    }
}

/// The `pairs` whose similarity reaches `threshold`, in order, checked in parallel chunks (every
/// document of a pair prepared in `similarity`); `checked(n)` is called after each chunk of `n`.
fn check_pairs(
    similarity: &Similarity,
    pairs: &[(u32, u32)],
    threshold: f64,
    checked: impl Fn(usize) + Sync,
) -> Vec<Edge> {
    const CHUNK: usize = 4096;
    pairs
        .par_chunks(CHUNK)
        .flat_map_iter(|chunk| {
            let edges: Vec<Edge> = chunk
                .iter()
                .filter_map(|&(a, b)| {
                    let jaccard = similarity.of(a, b);
                    (jaccard >= threshold).then_some(Edge { a, b, jaccard })
                })
                .collect();
            checked(chunk.len());
            edges
        })
        .collect()
}

/// What verifying the candidate pairs found: the edges at or above the threshold, the number of
/// distinct candidate pairs read, and the memory used.
#[derive(Debug)]
pub struct VerifiedPairs {
    /// Verified edges, in pair order.
    pub edges: Vec<Edge>,
    /// Distinct candidate pairs checked.
    pub candidates: u64,
    /// Memory and disk the stage used.
    pub memory: StageMemory,
}

/// Verify the candidate `pairs` (packed `a << 32 | b`) against `threshold`: all at once when pairs
/// and shingles are in memory (as [`verify_pairs`]), else in chunks whose shingle sets take at most
/// `set_bytes`. Same edges either way.
pub fn verify_pair_set(
    store: &SketchStore,
    pairs: Sorted<u64>,
    threshold: f64,
    set_bytes: usize,
    dir: &Arc<SpillDir>,
    progress: &dyn Progress,
) -> Result<VerifiedPairs> {
    let pairs = match pairs.try_into_vec() {
        Ok(pairs) if !store.shingles_spilled() => {
            let pairs: Vec<(u32, u32)> = pairs
                .into_iter()
                .map(|p| ((p >> 32) as u32, p as u32))
                .collect();
            let set_estimate: u64 = if store.keeps_signatures() {
                0
            } else {
                let mut docs: Vec<u32> = pairs.iter().flat_map(|&(a, b)| [a, b]).collect();
                docs.par_sort_unstable();
                docs.dedup();
                docs.iter()
                    .map(|&d| store.shingle_count(d) as u64 * 8)
                    .sum()
            };
            let edges = verify_pairs(store, &pairs, threshold, progress);
            return Ok(VerifiedPairs {
                memory: StageMemory {
                    memory_estimate_bytes: store.memory_bytes()
                        + pairs.len() as u64 * 8
                        + set_estimate
                        + edges.len() as u64 * 16,
                    ..StageMemory::default()
                },
                candidates: pairs.len() as u64,
                edges,
            });
        }
        Ok(pairs) => Sorted::from_sorted_vec(pairs, true),
        Err(sorted) => sorted,
    };
    const MAX_CHUNK_PAIRS: usize = 1 << 20;
    let mut merger = pairs.merge(dir)?;
    let mut edges = Vec::new();
    let mut chunk: Vec<(u32, u32)> = Vec::new();
    let mut docs: FastSet<u32> = FastSet::default();
    let mut chunk_bytes = 0usize;
    let mut peak_chunk_bytes = 0usize;
    let mut candidates = 0u64;
    let spill_read = merger.buffer_bytes() as u64;
    loop {
        let next = merger.next_record()?;
        if let Some(p) = next {
            let (a, b) = ((p >> 32) as u32, p as u32);
            for d in [a, b] {
                if !store.keeps_signatures() && docs.insert(d) {
                    chunk_bytes += store.shingle_count(d) * 8 + 16;
                }
            }
            chunk.push((a, b));
            candidates += 1;
        }
        let full = chunk_bytes >= set_bytes || chunk.len() >= MAX_CHUNK_PAIRS;
        if (full || next.is_none()) && !chunk.is_empty() {
            peak_chunk_bytes = peak_chunk_bytes.max(chunk_bytes + chunk.len() * 8);
            edges.extend(verify_chunk(store, &chunk, threshold)?);
            progress.update(candidates);
            chunk.clear();
            docs.clear();
            chunk_bytes = 0;
        }
        if next.is_none() {
            break;
        }
    }
    Ok(VerifiedPairs {
        memory: StageMemory {
            memory_estimate_bytes: store.memory_bytes()
                + peak_chunk_bytes as u64
                + spill_read
                + edges.len() as u64 * 16,
            spilled_bytes: 0,
            spill_files: 0,
            temp_disk_peak_bytes: dir.stage_peak(),
        },
        candidates,
        edges,
    })
}

/// Verify one chunk of pairs, reading the shingle sets of its documents (from disk when spilled).
fn verify_chunk(store: &SketchStore, pairs: &[(u32, u32)], threshold: f64) -> Result<Vec<Edge>> {
    let similarity = Similarity::try_new(store, pair_docs(store, pairs))?;
    Ok(check_pairs(&similarity, pairs, threshold, |_| {}))
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
