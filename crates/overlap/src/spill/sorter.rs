//! External sorting: records gather in a buffer of bounded size; a full buffer is sorted and written
//! as a run; at the end the runs (and the last buffer) are merged k ways into one sorted stream.
//!
//! Memory: the buffer (`capacity` records at their in-memory size), then during the merge one read
//! buffer per run ([`READ_BUFFER`](super::run::READ_BUFFER), 256 KiB) and one record per run in the
//! heap. More than [`MAX_FAN_IN`] runs are first merged in groups into longer runs.
//! Disk: every record once per merge pass (usually one), `WIDTH` bytes each.

use super::run::READ_BUFFER;
use super::{Record, Run, RunReader, RunWriter, SpillDir};
use crate::error::Result;
use rayon::prelude::*;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

/// Most runs merged at once.
pub const MAX_FAN_IN: usize = 64;

/// Sorts records that may not fit in memory.
pub struct ExternalSorter<R> {
    buffer: Vec<R>,
    capacity: usize,
    dedup: bool,
    runs: Vec<Run<R>>,
    dir: Arc<SpillDir>,
    stem: &'static str,
    spilled_bytes: u64,
}

impl<R: Record> ExternalSorter<R> {
    /// A sorter that holds at most `budget_bytes` of records in memory before spilling to `dir`.
    /// With `dedup`, equal records are kept once.
    pub fn new(dir: &Arc<SpillDir>, stem: &'static str, budget_bytes: usize, dedup: bool) -> Self {
        ExternalSorter {
            buffer: Vec::new(),
            capacity: (budget_bytes / std::mem::size_of::<R>()).max(1024),
            dedup,
            runs: Vec::new(),
            dir: Arc::clone(dir),
            stem,
            spilled_bytes: 0,
        }
    }

    /// Add a record.
    pub fn push(&mut self, record: R) -> Result<()> {
        self.buffer.push(record);
        if self.buffer.len() >= self.capacity {
            self.spill()?;
        }
        Ok(())
    }

    /// Records in the buffer now.
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// Bytes written to disk so far.
    pub fn spilled_bytes(&self) -> u64 {
        self.spilled_bytes
    }

    /// Runs written so far.
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    /// Sort the buffer and write it as a run (nothing when it is empty).
    pub fn spill(&mut self) -> Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        sort(&mut self.buffer, self.dedup);
        let run = Run::write(&self.dir, self.stem, &self.buffer)?;
        self.spilled_bytes += run.bytes();
        self.runs.push(run);
        self.buffer.clear();
        Ok(())
    }

    /// Everything pushed, sorted: in memory when nothing was spilled, else as runs to merge.
    pub fn finish(mut self) -> Result<Sorted<R>> {
        if self.runs.is_empty() {
            // Sorted only when needed: a caller that concatenates several sorters' records sorts
            // once (see `Sorted::try_into_vec`).
            return Ok(Sorted {
                memory: vec![std::mem::take(&mut self.buffer)],
                runs: Vec::new(),
                dedup: self.dedup,
                spilled_bytes: 0,
                memory_sorted: false,
            });
        }
        self.spill()?;
        Ok(Sorted {
            memory: Vec::new(),
            runs: std::mem::take(&mut self.runs),
            dedup: self.dedup,
            spilled_bytes: self.spilled_bytes,
            memory_sorted: true,
        })
    }
}

fn sort<R: Record>(records: &mut Vec<R>, dedup: bool) {
    if records.len() > 1 << 16 {
        records.par_sort_unstable();
    } else {
        records.sort_unstable();
    }
    if dedup {
        records.dedup();
    }
}

/// Sorted records: vectors in memory and runs on disk, to be merged.
pub struct Sorted<R> {
    memory: Vec<Vec<R>>,
    runs: Vec<Run<R>>,
    dedup: bool,
    spilled_bytes: u64,
    /// Whether each vector of `memory` is sorted already.
    memory_sorted: bool,
}

impl<R: Record> Sorted<R> {
    /// Sorted records held in memory.
    pub fn from_sorted_vec(records: Vec<R>, dedup: bool) -> Self {
        Self::from_parts(records, Vec::new(), dedup)
    }

    /// Sorted records in memory and sorted runs on disk.
    pub fn from_parts(records: Vec<R>, runs: Vec<Run<R>>, dedup: bool) -> Self {
        let spilled_bytes = runs.iter().map(Run::bytes).sum();
        Sorted {
            memory: vec![records],
            runs,
            dedup,
            spilled_bytes,
            memory_sorted: true,
        }
    }

    /// True when some records are on disk.
    pub fn is_spilled(&self) -> bool {
        !self.runs.is_empty()
    }

    /// Bytes written to disk for these records (merge passes included).
    pub fn spilled_bytes(&self) -> u64 {
        self.spilled_bytes
    }

    /// Runs on disk.
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    /// An upper bound on the number of records (exact unless deduplicating across parts).
    pub fn len_bound(&self) -> u64 {
        self.memory.iter().map(|m| m.len() as u64).sum::<u64>()
            + self.runs.iter().map(Run::len).sum::<u64>()
    }

    /// Several sorted collections as one (deduplicating if any of them does).
    pub fn concat(parts: Vec<Sorted<R>>) -> Self {
        let mut all = Sorted {
            memory: Vec::new(),
            runs: Vec::new(),
            dedup: false,
            spilled_bytes: 0,
            memory_sorted: true,
        };
        for p in parts {
            all.dedup |= p.dedup;
            all.memory_sorted &= p.memory_sorted;
            all.spilled_bytes += p.spilled_bytes;
            all.memory
                .extend(p.memory.into_iter().filter(|m| !m.is_empty()));
            all.runs.extend(p.runs);
        }
        all
    }

    /// All records in one sorted vector, when none is on disk (`None` otherwise, leaving `self` as
    /// it was).
    pub fn try_into_vec(self) -> std::result::Result<Vec<R>, Self> {
        if self.is_spilled() {
            return Err(self);
        }
        let mut memory = self.memory;
        if memory.len() <= 1 {
            let mut v = memory.pop().unwrap_or_default();
            if self.memory_sorted {
                if self.dedup {
                    v.dedup();
                }
            } else {
                sort(&mut v, self.dedup);
            }
            return Ok(v);
        }
        let mut v: Vec<R> = Vec::with_capacity(memory.iter().map(Vec::len).sum());
        for m in memory {
            v.extend(m);
        }
        sort(&mut v, self.dedup);
        Ok(v)
    }

    /// A stream of the records in order, merging what is on disk. `dir` receives the longer runs of
    /// a merge with more than [`MAX_FAN_IN`] inputs.
    pub fn merge(mut self, dir: &Arc<SpillDir>) -> Result<Merger<R>> {
        if !self.memory_sorted {
            for m in &mut self.memory {
                sort(m, self.dedup);
            }
            self.memory_sorted = true;
        }
        if self.memory.len() > MAX_FAN_IN / 2 {
            let mut all: Vec<R> = self.memory.drain(..).flatten().collect();
            sort(&mut all, self.dedup);
            self.memory.push(all);
        }
        while self.runs.len() + self.memory.len() > MAX_FAN_IN {
            // Merge the shortest runs first, so that each record is rewritten as few times as possible.
            self.runs.sort_by_key(|r| Reverse(r.len()));
            let from = self.runs.len() - MAX_FAN_IN.min(self.runs.len());
            let group: Vec<Run<R>> = self.runs.split_off(from);
            let mut merger = Merger::new(Vec::new(), group, self.dedup)?;
            let mut w = RunWriter::new(dir, "merge")?;
            while let Some(r) = merger.next_record()? {
                w.push(&r)?;
            }
            let run = w.finish()?;
            self.spilled_bytes += run.bytes();
            self.runs.push(run);
        }
        Merger::new(self.memory, self.runs, self.dedup)
    }
}

enum Source<R> {
    Memory(std::vec::IntoIter<R>),
    Disk(RunReader<R>),
}

impl<R: Record> Source<R> {
    fn next_record(&mut self) -> Result<Option<R>> {
        match self {
            Source::Memory(it) => Ok(it.next()),
            Source::Disk(r) => r.next_record(),
        }
    }
}

/// A k-way merge of sorted sources.
pub struct Merger<R> {
    sources: Vec<Source<R>>,
    heap: BinaryHeap<Reverse<(R, usize)>>,
    dedup: bool,
    last: Option<R>,
}

impl<R: Record> Merger<R> {
    fn new(memory: Vec<Vec<R>>, runs: Vec<Run<R>>, dedup: bool) -> Result<Self> {
        let mut sources: Vec<Source<R>> = memory
            .into_iter()
            .map(|m| Source::Memory(m.into_iter()))
            .collect();
        for run in runs {
            sources.push(Source::Disk(run.reader()?));
        }
        let mut heap = BinaryHeap::with_capacity(sources.len());
        for (i, s) in sources.iter_mut().enumerate() {
            if let Some(r) = s.next_record()? {
                heap.push(Reverse((r, i)));
            }
        }
        Ok(Merger {
            sources,
            heap,
            dedup,
            last: None,
        })
    }

    /// Bytes of read buffers this merge holds.
    pub fn buffer_bytes(&self) -> usize {
        self.sources
            .iter()
            .filter(|s| matches!(s, Source::Disk(_)))
            .count()
            * READ_BUFFER
    }

    /// The next record in order, or `None` at the end.
    pub fn next_record(&mut self) -> Result<Option<R>> {
        loop {
            let Some(Reverse((r, i))) = self.heap.pop() else {
                return Ok(None);
            };
            if let Some(next) = self.sources[i].next_record()? {
                self.heap.push(Reverse((next, i)));
            }
            if self.dedup && self.last == Some(r) {
                continue;
            }
            self.last = Some(r);
            return Ok(Some(r));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn drain<R: Record>(mut m: Merger<R>) -> Vec<R> {
        let mut out = Vec::new();
        while let Some(r) = m.next_record().unwrap() {
            out.push(r);
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn spilled_sorting_equals_sorting_in_memory(
            records in proptest::collection::vec((0u64..50, any::<u32>()), 0..5000),
            dedup in any::<bool>(),
        ) {
            let out = tempfile::tempdir().unwrap();
            let dir = Arc::new(SpillDir::for_job(out.path(), None));
            // 1024 records per run at least: a few runs for the longer inputs.
            let mut sorter = ExternalSorter::new(&dir, "t", 0, dedup);
            for &r in &records {
                sorter.push(r).unwrap();
            }
            let mut expected = records.clone();
            expected.sort_unstable();
            if dedup {
                expected.dedup();
            }
            let sorted = sorter.finish().unwrap();
            prop_assert_eq!(sorted.is_spilled(), records.len() >= 1024);
            prop_assert_eq!(drain(sorted.merge(&dir).unwrap()), expected);
            // Every run file is gone once merged.
            prop_assert_eq!(dir.disk_now(), 0);
        }
    }

    #[test]
    fn wide_merges_go_through_intermediate_runs_and_concat_merges_parts() {
        let out = tempfile::tempdir().unwrap();
        let dir = Arc::new(SpillDir::for_job(out.path(), None));
        let mut parts = Vec::new();
        let mut expected = Vec::new();
        for p in 0..3u64 {
            let mut sorter = ExternalSorter::new(&dir, "t", 0, true);
            for i in 0..(MAX_FAN_IN as u64 * 1024 + 7) {
                let r = (i * 7919 + p) % 100_003;
                sorter.push(r).unwrap();
                expected.push(r);
            }
            parts.push(sorter.finish().unwrap());
        }
        parts.push(Sorted::from_sorted_vec(vec![5, 100_004], true));
        expected.extend([5, 100_004]);
        expected.sort_unstable();
        expected.dedup();
        let all = Sorted::concat(parts);
        assert!(all.runs() > MAX_FAN_IN);
        assert_eq!(drain(all.merge(&dir).unwrap()), expected);
        assert!(dir.disk_peak() > 0);
        assert_eq!(dir.disk_now(), 0);
    }
}
