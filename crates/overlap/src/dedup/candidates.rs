//! Candidate pairs: documents that share at least one LSH band key.
//!
//! Each band is a bucket join done by sorting: the `(key, document)` entries of the band are sorted,
//! grouped into buckets of equal keys, and each bucket is handed to [`bucket_candidates`], which emits
//! its candidate pairs. Sorting (rather than a hash map of buckets) is what lets this stage spill: when
//! the store wrote band keys as sorted runs, each band's runs are merged with the entries still in
//! memory, and the same buckets come out in the same order. Only the first document of each
//! exact-duplicate group takes part; its copies follow it.
//!
//! Memory: 16 bytes per in-memory entry of the band being sorted (bands run in parallel, one per
//! thread), 256 KiB per spilled run being merged, and 8 bytes per candidate pair up to the pair budget;
//! past it, pairs are written as sorted runs of 8-byte records (`a << 32 | b`), merged (and
//! deduplicated across bands) by the verification stage as it reads them.

use super::SketchStore;
use crate::error::Result;
use crate::progress::Progress;
use crate::spill::{ExternalSorter, KeyDoc, Sorted, SpillDir, StageMemory};
use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The outcome of the candidate stage, all in memory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Candidates {
    /// Distinct candidate pairs `(a, b)` with `a < b`, sorted.
    pub pairs: Vec<(u32, u32)>,
    /// Size of the largest bucket seen: a bucket of `m` documents yields `m (m - 1) / 2` pairs.
    pub largest_bucket: usize,
}

/// The outcome of the candidate stage, possibly on disk.
pub struct CandidateSet {
    /// Candidate pairs packed as `a << 32 | b` (`a < b`), sorted and distinct once merged.
    pub pairs: Sorted<u64>,
    /// Size of the largest bucket seen.
    pub largest_bucket: usize,
    /// Memory and disk the stage used.
    pub memory: StageMemory,
}

/// Find every pair of exact-group representatives that share a band key, in memory.
pub fn candidate_pairs(store: &SketchStore, progress: &dyn Progress) -> Candidates {
    assert!(
        !store.bands_spilled(),
        "candidate_pairs is the in-memory path; use find_candidates for a spilling store"
    );
    let dir = Arc::new(SpillDir::for_job(&std::env::temp_dir(), None));
    let mut store_view = BandSource::Memory(store);
    let set = candidates_by_band(&mut store_view, usize::MAX / 2, &dir, progress)
        .expect("nothing spills with an unbounded budget");
    let pairs = match set.pairs.try_into_vec() {
        Ok(v) => v,
        Err(_) => unreachable!("nothing spills with an unbounded budget"),
    };
    Candidates {
        pairs: pairs
            .into_iter()
            .map(|p| ((p >> 32) as u32, p as u32))
            .collect(),
        largest_bucket: set.largest_bucket,
    }
}

/// Find every pair of exact-group representatives that share a band key, spilling pairs past
/// `pair_bytes` into `dir` and merging the band-key runs the store spilled.
pub fn find_candidates(
    store: &mut SketchStore,
    pair_bytes: usize,
    dir: &Arc<SpillDir>,
    progress: &dyn Progress,
) -> Result<CandidateSet> {
    dir.start_stage();
    let runs = store.take_band_runs();
    let mut source = BandSource::Spilled(store, runs);
    let set = candidates_by_band(&mut source, pair_bytes, dir, progress);
    store.release_bands();
    set
}

enum BandSource<'a> {
    Memory(&'a SketchStore),
    Spilled(&'a SketchStore, Vec<Vec<crate::spill::Run<KeyDoc>>>),
}

fn candidates_by_band(
    source: &mut BandSource<'_>,
    pair_bytes: usize,
    dir: &Arc<SpillDir>,
    progress: &dyn Progress,
) -> Result<CandidateSet> {
    let (store, mut runs) = match source {
        BandSource::Memory(s) => (*s, Vec::new()),
        BandSource::Spilled(s, r) => (*s, std::mem::take(r)),
    };
    let bands = store.bands_per_doc();
    runs.resize_with(bands, Vec::new);
    let docs: Vec<u32> = (store.band_base()..store.len() as u32)
        .filter(|&d| store.is_exact_first(d))
        .collect();
    let done = AtomicU64::new(0);
    let per_band_budget = (pair_bytes / bands.max(1)).max(1 << 16);
    let merge_buffers = AtomicU64::new(0);
    let work: Vec<(usize, Vec<crate::spill::Run<KeyDoc>>)> = runs.into_iter().enumerate().collect();
    let per_band: Vec<(Sorted<u64>, usize, u64)> = work
        .into_par_iter()
        .map(|(band, band_runs)| {
            let mut entries: Vec<KeyDoc> = docs.iter().map(|&d| (store.band(d, band), d)).collect();
            entries.sort_unstable();
            let mut pairs = ExternalSorter::new(dir, "pairs", per_band_budget, true);
            let mut largest = 0;
            let mut emit = |a: u32, b: u32| pairs.push(u64::from(a) << 32 | u64::from(b));
            if band_runs.is_empty() {
                for bucket in entries.chunk_by(|x, y| x.0 == y.0) {
                    largest = largest.max(bucket.len());
                    bucket_candidates(bucket, &mut emit)?;
                }
            } else {
                let mut merger = Sorted::from_parts(entries, band_runs, false).merge(dir)?;
                merge_buffers.fetch_max(merger.buffer_bytes() as u64, Ordering::Relaxed);
                let mut bucket: Vec<KeyDoc> = Vec::new();
                while let Some(entry) = merger.next_record()? {
                    if bucket.last().is_some_and(|last| last.0 != entry.0) {
                        largest = largest.max(bucket.len());
                        bucket_candidates(&bucket, &mut emit)?;
                        bucket.clear();
                    }
                    bucket.push(entry);
                }
                if !bucket.is_empty() {
                    largest = largest.max(bucket.len());
                    bucket_candidates(&bucket, &mut emit)?;
                }
            }
            let buffered = (pairs.buffered() * 8) as u64;
            progress.update(done.fetch_add(1, Ordering::Relaxed) + 1);
            Ok((pairs.finish()?, largest, buffered))
        })
        .collect::<Result<_>>()?;
    let largest_bucket = per_band.iter().map(|(_, m, _)| *m).max().unwrap_or(0);
    let threads = rayon::current_num_threads() as u64;
    let buffered: u64 = per_band.iter().map(|(_, _, b)| *b).sum();
    let pairs = Sorted::concat(per_band.into_iter().map(|(p, _, _)| p).collect());
    let memory = StageMemory {
        memory_estimate_bytes: store.memory_bytes()
            + threads * (docs.len() as u64 * 16 + merge_buffers.load(Ordering::Relaxed))
            + buffered,
        spilled_bytes: pairs.spilled_bytes(),
        spill_files: pairs.runs() as u64,
        temp_disk_peak_bytes: dir.stage_peak(),
    };
    Ok(CandidateSet {
        pairs,
        largest_bucket,
        memory,
    })
}

/// The candidate pairs of one bucket: `bucket` holds the `(key, document)` entries that share one band
/// key, in document order; every pair `(a, b)`, `a < b`, is emitted.
pub fn bucket_candidates(
    bucket: &[KeyDoc],
    emit: &mut impl FnMut(u32, u32) -> Result<()>,
) -> Result<()> {
    for (i, &(_, a)) in bucket.iter().enumerate() {
        for &(_, b) in &bucket[i + 1..] {
            emit(a, b)?;
        }
    }
    Ok(())
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
