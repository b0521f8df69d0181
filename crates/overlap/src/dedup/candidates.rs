//! Candidate pairs: documents that share at least one LSH band key.
//!
//! Each band is a bucket join done by sorting: the `(key, document)` entries of the band are sorted and
//! every run of equal keys (a bucket) yields its candidate work ([`super::buckets`]: all its pairs,
//! or for a bucket too large for that, pairs with a few representatives). Sorting (rather than a hash map of buckets) is what lets
//! this stage spill: sorted runs can be written to disk and merged when a corpus's entries exceed memory.
//! Only the first document of each exact-duplicate group takes part; its copies follow it.
//!
//! Memory: 16 bytes per document per band being sorted (bands run in parallel, one per thread), plus
//! 8 bytes per candidate pair or first-match entry.

use super::buckets::BucketWork;
use super::SketchStore;
use crate::progress::Progress;
use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};

/// The outcome of the candidate stage.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Candidates {
    /// Distinct candidate pairs `(a, b)` with `a < b`, sorted, each verified on its own.
    pub pairs: Vec<(u32, u32)>,
    /// First-match groups of large buckets: distinct `(member, representative)` entries with
    /// `representative < member`, sorted; a member is linked to the first representative it verifies
    /// against (see [`super::buckets`]).
    pub first_match: Vec<(u32, u32)>,
    /// Size of the largest bucket seen.
    pub largest_bucket: usize,
    /// Buckets too large to give all their pairs.
    pub large_buckets: usize,
}

impl Candidates {
    /// Candidate pairs in all: the pairs plus the first-match entries.
    pub fn len(&self) -> usize {
        self.pairs.len() + self.first_match.len()
    }

    /// True when there is nothing to verify.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Find every pair of exact-group representatives that share a band key.
pub fn candidate_pairs(store: &SketchStore, progress: &dyn Progress) -> Candidates {
    let docs: Vec<u32> = (0..store.len() as u32)
        .filter(|&d| store.is_exact_first(d))
        .collect();
    let done = AtomicU64::new(0);
    let per_band: Vec<BucketWork> = (0..store.bands_per_doc())
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
    let largest_bucket = per_band.iter().map(|w| w.largest_bucket).max().unwrap_or(0);
    let large_buckets = per_band.iter().map(|w| w.large_buckets).sum();
    let mut packed: Vec<u64> = Vec::with_capacity(per_band.iter().map(|w| w.pairs.len()).sum());
    let mut first_match: Vec<u64> =
        Vec::with_capacity(per_band.iter().map(|w| w.first_match.len()).sum());
    for w in per_band {
        packed.extend(w.pairs);
        first_match.extend(w.first_match);
    }
    let unpack = |v: Vec<u64>| -> Vec<(u32, u32)> {
        v.into_iter()
            .map(|p| ((p >> 32) as u32, p as u32))
            .collect()
    };
    packed.par_sort_unstable();
    packed.dedup();
    first_match.par_sort_unstable();
    first_match.dedup();
    Candidates {
        pairs: unpack(packed),
        first_match: unpack(first_match),
        largest_bucket,
        large_buckets,
    }
}

/// The candidate work of the runs of equal keys (buckets) of sorted `entries`.
fn bucket_pairs(entries: &[(u64, u32)]) -> BucketWork {
    let mut work = BucketWork::default();
    let mut members = Vec::new();
    for run in entries.chunk_by(|x, y| x.0 == y.0) {
        members.clear();
        members.extend(run.iter().map(|&(_, d)| d));
        work.add_bucket(&members);
    }
    work
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
