//! Candidate pairs: documents that share at least one LSH band key.
//!
//! Each band is a bucket join done by sorting: the `(key, document)` entries of the band are sorted,
//! grouped into buckets of equal keys, and each bucket yields its candidate work
//! ([`super::buckets`]: all its pairs, or for a bucket too large for that, pairs with a few
//! representatives and first-match entries). Sorting (rather than a hash map of buckets) is what
//! lets this stage spill: when the store wrote band keys as sorted runs, each band's runs are merged
//! with the entries still in memory, and the same buckets come out in the same order. Only the first
//! document of each exact-duplicate group takes part; its copies follow it.
//!
//! Memory: 16 bytes per in-memory entry of the band being sorted (bands run in parallel, one per
//! thread), 256 KiB per spilled run being merged, and 8 bytes per candidate pair or first-match
//! entry up to the pair budget; past it, both are written as sorted runs of 8-byte records
//! (`a << 32 | b` for pairs, `member << 32 | representative` for first-match entries), merged (and
//! deduplicated across bands) by the verification stage as it reads them. Disk: 8 bytes per
//! candidate pair or entry per band it was found in (before deduplication).

use super::buckets::BucketWork;
use super::SketchStore;
use crate::error::Result;
use crate::progress::Progress;
use crate::spill::{ExternalSorter, KeyDoc, Run, Sorted, SpillDir, StageMemory};
use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The outcome of the candidate stage, all in memory.
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

/// The outcome of the candidate stage, possibly on disk.
pub struct CandidateSet {
    /// Candidate pairs packed as `a << 32 | b` (`a < b`), sorted and distinct once merged.
    pub pairs: Sorted<u64>,
    /// First-match entries packed as `member << 32 | representative`, sorted and distinct once
    /// merged.
    pub first_match: Sorted<u64>,
    /// Size of the largest bucket seen.
    pub largest_bucket: usize,
    /// Buckets too large to give all their pairs.
    pub large_buckets: usize,
    /// Memory and disk the stage used.
    pub memory: StageMemory,
}

impl CandidateSet {
    /// True when some candidate work is on disk.
    pub fn is_spilled(&self) -> bool {
        self.pairs.is_spilled() || self.first_match.is_spilled()
    }

    /// An upper bound on the candidate work (exact when nothing spilled).
    pub fn len_bound(&self) -> u64 {
        self.pairs.len_bound() + self.first_match.len_bound()
    }

    /// The work as vectors, for a set found with an unbounded budget (nothing spilled).
    pub(crate) fn into_memory(self) -> Candidates {
        let in_memory = |s: Sorted<u64>| -> Vec<(u32, u32)> {
            match s.try_into_vec() {
                Ok(v) => v.into_iter().map(unpack).collect(),
                Err(_) => unreachable!("nothing spills with an unbounded budget"),
            }
        };
        Candidates {
            pairs: in_memory(self.pairs),
            first_match: in_memory(self.first_match),
            largest_bucket: self.largest_bucket,
            large_buckets: self.large_buckets,
        }
    }
}

/// `a << 32 | b` as `(a, b)`.
pub(crate) fn unpack(p: u64) -> (u32, u32) {
    ((p >> 32) as u32, p as u32)
}

/// Find every pair of exact-group representatives that share a band key, in memory.
pub fn candidate_pairs(store: &SketchStore, progress: &dyn Progress) -> Candidates {
    assert!(
        !store.bands_spilled(),
        "candidate_pairs is the in-memory path; use find_candidates for a spilling store"
    );
    let dir = Arc::new(SpillDir::for_job(&std::env::temp_dir(), None));
    let set = candidates_by_band(
        store,
        Vec::new(),
        usize::MAX / 4,
        &|_| false,
        &dir,
        progress,
    )
    .expect("nothing spills with an unbounded budget");
    set.into_memory()
}

/// Find every pair of exact-group representatives that share a band key, spilling the candidate
/// work past `pair_bytes` into `dir` and merging the band-key runs the store spilled. A pair with a
/// document for which `excluded` holds is dropped (first-match entries are kept).
pub fn find_candidates(
    store: &mut SketchStore,
    pair_bytes: usize,
    excluded: &(dyn Fn(u32) -> bool + Sync),
    dir: &Arc<SpillDir>,
    progress: &dyn Progress,
) -> Result<CandidateSet> {
    dir.start_stage();
    let runs = store.take_band_runs();
    let set = candidates_by_band(store, runs, pair_bytes, excluded, dir, progress);
    store.release_bands();
    set
}

/// One band's candidate work, written into sorters.
struct BandSink {
    work: BucketWork,
    members: Vec<u32>,
    pairs: ExternalSorter<u64>,
    first_match: ExternalSorter<u64>,
}

impl BandSink {
    fn bucket(&mut self, bucket: &[KeyDoc], excluded: &(dyn Fn(u32) -> bool + Sync)) -> Result<()> {
        self.members.clear();
        self.members.extend(bucket.iter().map(|&(_, d)| d));
        self.work.add_bucket(&self.members);
        for p in self.work.pairs.drain(..) {
            let (a, b) = unpack(p);
            if !excluded(a) && !excluded(b) {
                self.pairs.push(p)?;
            }
        }
        for e in self.work.first_match.drain(..) {
            self.first_match.push(e)?;
        }
        Ok(())
    }
}

fn candidates_by_band(
    store: &SketchStore,
    mut runs: Vec<Vec<Run<KeyDoc>>>,
    pair_bytes: usize,
    excluded: &(dyn Fn(u32) -> bool + Sync),
    dir: &Arc<SpillDir>,
    progress: &dyn Progress,
) -> Result<CandidateSet> {
    let bands = store.bands_per_doc();
    runs.resize_with(bands, Vec::new);
    let docs: Vec<u32> = (store.band_base()..store.len() as u32)
        .filter(|&d| store.is_exact_first(d))
        .collect();
    let done = AtomicU64::new(0);
    // Half of a band's share for its pairs, half for its first-match entries.
    let per_sorter = (pair_bytes / bands.max(1) / 2).max(8 << 10);
    let merge_buffers = AtomicU64::new(0);
    let work: Vec<(usize, Vec<Run<KeyDoc>>)> = runs.into_iter().enumerate().collect();
    let per_band: Vec<(Sorted<u64>, Sorted<u64>, BucketWork, u64)> = work
        .into_par_iter()
        .map(|(band, band_runs)| {
            let mut entries: Vec<KeyDoc> = docs.iter().map(|&d| (store.band(d, band), d)).collect();
            entries.sort_unstable();
            let mut sink = BandSink {
                work: BucketWork::default(),
                members: Vec::new(),
                pairs: ExternalSorter::new(dir, "pairs", per_sorter, true),
                first_match: ExternalSorter::new(dir, "first-match", per_sorter, true),
            };
            if band_runs.is_empty() {
                for bucket in entries.chunk_by(|x, y| x.0 == y.0) {
                    sink.bucket(bucket, excluded)?;
                }
            } else {
                let mut merger = Sorted::from_parts(entries, band_runs, false).merge(dir)?;
                merge_buffers.fetch_max(merger.buffer_bytes() as u64, Ordering::Relaxed);
                let mut bucket: Vec<KeyDoc> = Vec::new();
                while let Some(entry) = merger.next_record()? {
                    if bucket.last().is_some_and(|last| last.0 != entry.0) {
                        sink.bucket(&bucket, excluded)?;
                        bucket.clear();
                    }
                    bucket.push(entry);
                }
                if !bucket.is_empty() {
                    sink.bucket(&bucket, excluded)?;
                }
            }
            let buffered = ((sink.pairs.buffered() + sink.first_match.buffered()) * 8) as u64;
            progress.update(done.fetch_add(1, Ordering::Relaxed) + 1);
            Ok((
                sink.pairs.finish()?,
                sink.first_match.finish()?,
                sink.work,
                buffered,
            ))
        })
        .collect::<Result<_>>()?;
    let largest_bucket = per_band
        .iter()
        .map(|(_, _, w, _)| w.largest_bucket)
        .max()
        .unwrap_or(0);
    let large_buckets = per_band.iter().map(|(_, _, w, _)| w.large_buckets).sum();
    let threads = rayon::current_num_threads() as u64;
    let buffered: u64 = per_band.iter().map(|(_, _, _, b)| *b).sum();
    let mut pairs = Vec::with_capacity(bands);
    let mut first_match = Vec::with_capacity(bands);
    for (p, f, _, _) in per_band {
        pairs.push(p);
        first_match.push(f);
    }
    let pairs = Sorted::concat(pairs);
    let first_match = Sorted::concat(first_match);
    let memory = StageMemory {
        memory_estimate_bytes: store.memory_bytes()
            + threads * (docs.len() as u64 * 16 + merge_buffers.load(Ordering::Relaxed))
            + buffered,
        spilled_bytes: pairs.spilled_bytes() + first_match.spilled_bytes(),
        spill_files: (pairs.runs() + first_match.runs()) as u64,
        temp_disk_peak_bytes: dir.stage_peak(),
    };
    Ok(CandidateSet {
        pairs,
        first_match,
        largest_bucket,
        large_buckets,
        memory,
    })
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
