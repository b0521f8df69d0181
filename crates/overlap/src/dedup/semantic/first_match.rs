//! The first-match entries that verification keeps for the guard (`--clusters guarded`), in order:
//! in memory up to a limit, then in one run in the spill directory.
//!
//! Why: the guard verifies lazily the representatives of every large bucket's first-match groups, so
//! it needs every entry, and at scale they are the largest thing it holds: 77 million entries
//! (619 MB) for a million documents of `bench/gen_corpus.py` (`bench/RESULTS.md` 8.34), more than
//! twice a `--memory 256MiB` budget. The guard reads them once, in `(member, representative)`
//! order, so one sequential file is enough. Memory: 8 bytes per entry up to the limit, then one
//! write or read buffer.

use crate::error::Result;
use crate::spill::{Run, RunReader, RunWriter, SpillDir};
use std::sync::Arc;

/// First-match entries `(member, representative)` being kept, pushed in order.
pub struct FirstMatchWriter {
    memory: Vec<(u32, u32)>,
    /// Entries held in memory before they all move to disk.
    limit: usize,
    disk: Option<RunWriter<(u32, u32)>>,
    dir: Arc<SpillDir>,
}

impl FirstMatchWriter {
    /// A writer holding up to `limit_bytes` of entries in memory (at least one entry).
    pub fn new(limit_bytes: usize, dir: &Arc<SpillDir>) -> Self {
        FirstMatchWriter {
            memory: Vec::new(),
            limit: (limit_bytes / 8).max(1),
            disk: None,
            dir: Arc::clone(dir),
        }
    }

    /// Append `entries`, which follow the ones pushed before in order.
    pub fn extend(&mut self, entries: &[(u32, u32)]) -> Result<()> {
        if self.disk.is_none() && self.memory.len() + entries.len() > self.limit {
            let mut w = RunWriter::new(&self.dir, "first-match")?;
            for e in &self.memory {
                w.push(e)?;
            }
            self.memory = Vec::new();
            self.disk = Some(w);
        }
        match &mut self.disk {
            Some(w) => entries.iter().try_for_each(|e| w.push(e)),
            None => {
                self.memory.extend_from_slice(entries);
                Ok(())
            }
        }
    }

    /// The kept entries.
    pub fn finish(self) -> Result<FirstMatch> {
        Ok(match self.disk {
            Some(w) => FirstMatch::Disk(w.finish()?),
            None => FirstMatch::Memory(self.memory),
        })
    }
}

/// Kept first-match entries, in `(member, representative)` order.
#[derive(Debug)]
pub enum FirstMatch {
    /// Every entry in memory.
    Memory(Vec<(u32, u32)>),
    /// Every entry in one run on disk (removed when read to the end or dropped).
    Disk(Run<(u32, u32)>),
}

impl Default for FirstMatch {
    fn default() -> Self {
        FirstMatch::Memory(Vec::new())
    }
}

impl From<Vec<(u32, u32)>> for FirstMatch {
    fn from(entries: Vec<(u32, u32)>) -> Self {
        FirstMatch::Memory(entries)
    }
}

impl FirstMatch {
    /// Number of entries.
    pub fn len(&self) -> u64 {
        match self {
            FirstMatch::Memory(v) => v.len() as u64,
            FirstMatch::Disk(run) => run.len(),
        }
    }

    /// True without any entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held in memory.
    pub fn memory_bytes(&self) -> u64 {
        match self {
            FirstMatch::Memory(v) => v.len() as u64 * 8,
            FirstMatch::Disk(_) => 0,
        }
    }

    /// Bytes written to disk.
    pub fn spilled_bytes(&self) -> u64 {
        match self {
            FirstMatch::Memory(_) => 0,
            FirstMatch::Disk(run) => run.bytes(),
        }
    }

    /// Read the entries in order.
    pub fn reader(self) -> Result<FirstMatchReader> {
        Ok(match self {
            FirstMatch::Memory(v) => FirstMatchReader::Memory(v.into_iter()),
            FirstMatch::Disk(run) => FirstMatchReader::Disk(run.reader()?),
        })
    }

    /// Give every entry, in order, to `f`, and keep them for another reader (verification counts
    /// its tries over the entries that the guard then reads).
    pub fn scan(self, mut f: impl FnMut((u32, u32))) -> Result<FirstMatch> {
        Ok(match self {
            FirstMatch::Memory(v) => {
                v.iter().for_each(|&e| f(e));
                FirstMatch::Memory(v)
            }
            FirstMatch::Disk(run) => {
                let mut r = run.reader()?;
                while let Some(e) = r.next_record()? {
                    f(e);
                }
                FirstMatch::Disk(r.into_run())
            }
        })
    }

    /// Every entry, read into memory (for tests and small sets).
    pub fn into_vec(self) -> Result<Vec<(u32, u32)>> {
        let mut r = self.reader()?;
        let mut out = Vec::new();
        while let Some(e) = r.next_entry()? {
            out.push(e);
        }
        Ok(out)
    }
}

/// Reads [`FirstMatch`] entries in order.
pub enum FirstMatchReader {
    /// From memory.
    Memory(std::vec::IntoIter<(u32, u32)>),
    /// From the run on disk.
    Disk(RunReader<(u32, u32)>),
}

impl FirstMatchReader {
    /// The next entry, or `None` at the end.
    pub fn next_entry(&mut self) -> Result<Option<(u32, u32)>> {
        match self {
            FirstMatchReader::Memory(it) => Ok(it.next()),
            FirstMatchReader::Disk(r) => r.next_record(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_read_back_in_order_in_memory_and_past_the_limit() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = Arc::new(SpillDir::for_job(tmp.path(), None));
        let entries: Vec<(u32, u32)> = (0..1000u32).map(|i| (i / 3, i % 7)).collect();
        for limit_bytes in [0, 80, 8 * 999, 8 * 1000, 1 << 20] {
            let mut w = FirstMatchWriter::new(limit_bytes, &dir);
            for piece in entries.chunks(37) {
                w.extend(piece).unwrap();
            }
            let kept = w.finish().unwrap();
            assert_eq!(kept.len(), 1000);
            let on_disk = limit_bytes < 8 * 1000;
            assert_eq!(kept.spilled_bytes() > 0, on_disk, "limit {limit_bytes}");
            assert_eq!(kept.memory_bytes() == 0, on_disk, "limit {limit_bytes}");
            let mut scanned = Vec::new();
            let kept = kept.scan(|e| scanned.push(e)).unwrap();
            assert_eq!(scanned, entries, "limit {limit_bytes}");
            assert_eq!(kept.into_vec().unwrap(), entries, "limit {limit_bytes}");
        }
        // Read to the end, the runs are gone.
        assert_eq!(dir.disk_now(), 0);
    }
}
