//! Candidate pairs: documents that share at least one LSH band key.
//!
//! Each band is a bucket join done by sorting: the `(key, document)` entries of the band are sorted and
//! every run of equal keys yields all its pairs. Sorting (rather than a hash map of buckets) is what lets
//! this stage spill: sorted runs can be written to disk and merged when a corpus's entries exceed memory.
//! Only the first document of each exact-duplicate group takes part; its copies follow it.
//!
//! Memory: 16 bytes per document per band being sorted (bands run in parallel, one per thread), plus
//! 8 bytes per candidate pair.

use super::SketchStore;
use crate::progress::Progress;
use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};

/// The outcome of the candidate stage.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Candidates {
    /// Distinct candidate pairs `(a, b)` with `a < b`, sorted.
    pub pairs: Vec<(u32, u32)>,
    /// Size of the largest bucket seen: a bucket of `m` documents yields `m (m - 1) / 2` pairs.
    pub largest_bucket: usize,
}

/// Find every pair of exact-group representatives that share a band key.
pub fn candidate_pairs(store: &SketchStore, progress: &dyn Progress) -> Candidates {
    let docs: Vec<u32> = (0..store.len() as u32)
        .filter(|&d| store.is_exact_first(d))
        .collect();
    let done = AtomicU64::new(0);
    let per_band: Vec<(Vec<u64>, usize)> = (0..store.bands_per_doc())
        .into_par_iter()
        .map(|band| {
            let mut entries: Vec<(u64, u32)> =
                docs.iter().map(|&d| (store.band(d, band), d)).collect();
            entries.sort_unstable();
            let result = bucket_pairs(&entries);
            progress.update(done.fetch_add(1, Ordering::Relaxed) + 1);
            result
        })
        .collect();
    let largest_bucket = per_band.iter().map(|(_, m)| *m).max().unwrap_or(0);
    let mut packed: Vec<u64> = Vec::with_capacity(per_band.iter().map(|(p, _)| p.len()).sum());
    for (pairs, _) in per_band {
        packed.extend(pairs);
    }
    packed.par_sort_unstable();
    packed.dedup();
    Candidates {
        pairs: packed
            .into_iter()
            .map(|p| ((p >> 32) as u32, p as u32))
            .collect(),
        largest_bucket,
    }
}

/// All pairs within runs of equal keys of sorted `entries`, packed as `a << 32 | b`, and the largest
/// run's length.
fn bucket_pairs(entries: &[(u64, u32)]) -> (Vec<u64>, usize) {
    let mut pairs = Vec::new();
    let mut largest = 0;
    for run in entries.chunk_by(|x, y| x.0 == y.0) {
        largest = largest.max(run.len());
        for (i, &(_, a)) in run.iter().enumerate() {
            for &(_, b) in &run[i + 1..] {
                pairs.push(u64::from(a) << 32 | u64::from(b));
            }
        }
    }
    (pairs, largest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::DocSketch;
    use crate::progress::NoProgress;

    #[test]
    fn pairs_come_from_shared_bands_only() {
        let mut store = SketchStore::new(false);
        let bands = [[1, 10], [1, 11], [2, 11], [3, 12], [3, 12]];
        for (i, b) in bands.iter().enumerate() {
            store.push(DocSketch {
                // Documents 3 and 4 are exact copies: only 3 takes part.
                exact: if i == 4 { 3 } else { i as u128 },
                bands: b.to_vec(),
                ..DocSketch::default()
            });
        }
        let c = candidate_pairs(&store, &NoProgress);
        assert_eq!(c.pairs, [(0, 1), (1, 2)]);
        assert_eq!(c.largest_bucket, 2);
    }
}
