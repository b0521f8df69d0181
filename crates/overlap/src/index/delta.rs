//! Two levels of band postings, so that a commit costs in proportion to its batch, not to the
//! index.
//!
//! Why: band keys are uniformly random, so a batch's 17 postings per document land on nearly every
//! leaf of a large `postings` B-tree, and redb's copy-on-write commit copies and writes every leaf
//! it dirtied: in batches of 1,000, the cost of a commit grew with the index (bench/RESULTS.md 6.1).
//! Here a new group representative is posted in the recent level instead: `delta[d]`, keyed by its
//! ordinal, which only grows, so a batch appends to the last pages of a small table (its band keys
//! are already in `documents[d]`). When the delta holds more representatives than the index's
//! `delta_limit` and than `delta_ratio` times the main level's groups ([`Index::delta_limit`]), one
//! write transaction folds it into `postings`, key-sorted, and empties it ([`Index::merge_delta`]).
//! With the default ratio 1 each merge at least doubles the main level, so the rewrites of the main
//! level add up to a constant cost per document, whatever the size of the index (a fixed limit
//! rewrote it every 65,536 groups: bench/RESULTS.md 6.4, 6.6). A representative is in exactly one level at every commit, so lookups (main level
//! plus delta) find the same candidates as one table would, and the answers are unchanged.
//!
//! Lookups by band key in the delta go through an in-memory [`Hint`]: `(band, key) -> ordinals`,
//! built from the delta table once per process (and after each merge) and extended by the writer
//! before each commit. The hint may hold more than the delta (entries of a batch whose commit failed,
//! of removed documents, of ordinals reused after a failed commit); never less for the generation it
//! names. So every hit is checked against the reader's own snapshot: the ordinal is in its `delta`
//! table and its record's band key matches. A reader whose snapshot is of another generation than
//! the shared hint (it straddles a merge) builds its own from its snapshot.
//!
//! Memory: the hint, about 30 bytes per posting of the delta: at most the larger of `delta_limit`
//! and the main level's groups, times the bands (about 33 MB at 65,536 x 17; it reached 445,515
//! groups, about 230 MB, at the end of 1M documents); a merge holds the delta's postings, 24 bytes
//! each.

use super::batch::Fast;
use super::schema::{meta, DocRecord, BAND_POSTINGS, DELTA, DOCUMENTS};
use super::{get_u64, Index, Result};
use redb::{ReadableTable, ReadableTableMetadata};
use std::collections::HashMap;

/// Representatives the delta may hold before it is merged, by default, at least.
pub const DEFAULT_DELTA_LIMIT: usize = 65_536;

/// Representatives the delta may hold per group of the main level, by default: 1, so each merge
/// (at least) doubles the main level, and the main level's rewrites add up to about twice the
/// postings ever merged, whatever the size of the index (a fixed limit rewrote it every 65,536
/// groups: a cost per document growing with the index, bench/RESULTS.md 6.4).
pub const DEFAULT_DELTA_RATIO: f64 = 1.0;

/// The delta's postings by band key, for one generation of the delta.
#[derive(Default)]
pub(super) struct Hint {
    generation: u64,
    /// The first ordinal posted under each key; nearly every key has one.
    /// Hashed by a multiply, as the batch overlay is: band keys are already uniform hashes (SipHash
    /// was 2% of the ingest CPU).
    first: HashMap<(u32, u64), u64, Fast>,
    /// The others, in posting order.
    more: HashMap<(u32, u64), Vec<u64>, Fast>,
}

impl Hint {
    fn insert(&mut self, band: u32, key: u64, d: u64) {
        match self.first.entry((band, key)) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(d);
            }
            std::collections::hash_map::Entry::Occupied(o) => {
                if *o.get() != d {
                    let more = self.more.entry((band, key)).or_default();
                    if !more.contains(&d) {
                        more.push(d);
                    }
                }
            }
        }
    }

    fn insert_document(&mut self, d: u64, bands: &[u64]) {
        for (band, &key) in bands.iter().enumerate() {
            self.insert(band as u32, key, d);
        }
    }

    /// Every ordinal posted under `(band, key)`, maybe some that are no longer.
    fn get(&self, band: u32, key: u64, out: &mut Vec<u64>) {
        if let Some(&d) = self.first.get(&(band, key)) {
            out.push(d);
            if let Some(more) = self.more.get(&(band, key)) {
                out.extend_from_slice(more);
            }
        }
    }
}

/// The delta generation of a snapshot.
pub(super) fn generation(m: &impl ReadableTable<&'static str, &'static [u8]>) -> Result<u64> {
    Ok(get_u64(m.get(meta::DELTA_GENERATION)?.as_ref().map(|v| v.value())).unwrap_or(0))
}

impl Index {
    /// The hint of a snapshot's delta, built from its tables.
    fn build_hint(
        &self,
        generation: u64,
        delta: Option<&impl ReadableTable<u64, ()>>,
        docs: &impl ReadableTable<u64, &'static [u8]>,
    ) -> Result<Hint> {
        let mut hint = Hint {
            generation,
            ..Hint::default()
        };
        if let Some(delta) = delta {
            for entry in delta.iter()? {
                let d = entry?.0.value();
                hint.insert_document(d, &self.record(docs, d)?.bands);
            }
        }
        Ok(hint)
    }

    /// Run `f` on a hint that holds at least the delta of a snapshot of `generation` whose tables
    /// are `delta` and `docs`: the shared one when it is of that generation, else one built from
    /// the snapshot (and shared, when none newer is).
    fn with_hint<R>(
        &self,
        generation: u64,
        delta: Option<&impl ReadableTable<u64, ()>>,
        docs: &impl ReadableTable<u64, &'static [u8]>,
        f: impl FnOnce(&Hint) -> R,
    ) -> Result<R> {
        {
            let shared = self.hint.read().unwrap_or_else(|e| e.into_inner());
            if let Some(h) = shared.as_ref().filter(|h| h.generation == generation) {
                return Ok(f(h));
            }
        }
        let built = self.build_hint(generation, delta, docs)?;
        let mut shared = self.hint.write().unwrap_or_else(|e| e.into_inner());
        // Installed only where nothing is shared yet: a shared hint of this generation may have
        // been extended by the writer since this snapshot, and replacing it would lose that.
        if shared.is_none() {
            return Ok(f(shared.insert(built)));
        }
        Ok(f(&built))
    }

    /// The delta postings of a snapshot under each of `keys`: `(key, ordinal)` for the ordinals in
    /// its `delta` whose record has that band key, in the order of `keys`.
    pub(super) fn delta_postings(
        &self,
        generation: u64,
        delta: Option<&impl ReadableTable<u64, ()>>,
        docs: &impl ReadableTable<u64, &'static [u8]>,
        keys: &[(u32, u64)],
    ) -> Result<Vec<((u32, u64), u64)>> {
        let Some(delta_table) = delta else {
            return Ok(Vec::new());
        };
        if delta_table.len()? == 0 {
            return Ok(Vec::new());
        }
        let mut hits: Vec<((u32, u64), u64)> = Vec::new();
        self.with_hint(generation, delta, docs, |h| {
            let mut found = Vec::new();
            for &(band, key) in keys {
                found.clear();
                h.get(band, key, &mut found);
                hits.extend(found.iter().map(|&d| ((band, key), d)));
            }
        })?;
        let mut out = Vec::with_capacity(hits.len());
        for ((band, key), d) in hits {
            if delta_table.get(d)?.is_none() {
                continue;
            }
            let Some(v) = docs.get(d)? else {
                continue;
            };
            let record = DocRecord::decode(v.value())
                .ok_or_else(|| self.corrupt(format!("unreadable document {d}")))?;
            if record.bands.get(band as usize) == Some(&key) {
                out.push(((band, key), d));
            }
        }
        Ok(out)
    }

    /// Add representatives to the shared hint of `generation` (the writer's, before its commit),
    /// building it from the writer's tables first when it is missing or of another generation.
    pub(super) fn hint_extend<'a>(
        &self,
        generation: u64,
        delta: &impl ReadableTable<u64, ()>,
        docs: &impl ReadableTable<u64, &'static [u8]>,
        new: impl IntoIterator<Item = (u64, &'a [u64])>,
    ) -> Result<()> {
        let current = {
            let shared = self.hint.read().unwrap_or_else(|e| e.into_inner());
            shared.as_ref().is_some_and(|h| h.generation == generation)
        };
        // Built outside the lock (it reads the file); only this writer changes the delta, so the
        // table cannot move meanwhile.
        let built = if current {
            None
        } else {
            Some(self.build_hint(generation, Some(delta), docs)?)
        };
        let mut shared = self.hint.write().unwrap_or_else(|e| e.into_inner());
        if let Some(b) = built {
            *shared = Some(b);
        }
        if let Some(h) = shared.as_mut() {
            for (d, bands) in new {
                h.insert_document(d, bands);
            }
        }
        Ok(())
    }

    /// The representatives the delta may hold over a main level of `postings` entries.
    pub(super) fn delta_limit(&self, postings: u64) -> u64 {
        let main_groups = postings / self.params.bands.max(1) as u64;
        let proportional = (main_groups as f64 * self.params.delta_ratio.max(0.0)) as u64;
        proportional.max(self.params.delta_limit as u64)
    }

    /// Fold the delta into the main postings, in one durable transaction, when it holds more than
    /// [`Index::delta_limit`] representatives. Returns whether it did.
    pub(super) fn merge_if_due(&self) -> Result<bool> {
        let due = {
            let txn = self.read()?;
            let delta = match txn.open_table(DELTA) {
                Ok(t) => t,
                Err(redb::TableError::TableDoesNotExist(_)) => return Ok(false),
                Err(e) => return Err(e.into()),
            };
            let postings = super::postings::ReadPostings::open(self, &txn)?;
            delta.len()? > self.delta_limit(postings.len()?)
        };
        if due {
            self.merge_delta()?;
        }
        Ok(due)
    }

    /// Fold the delta into the main postings and empty it, in one durable transaction; the next
    /// generation's hint starts empty.
    pub fn merge_delta(&self) -> Result<()> {
        let txn = self.write()?;
        let generation = {
            let mut m = txn.open_table(super::schema::META)?;
            let generation = generation(&m)? + 1;
            let docs = txn.open_table(DOCUMENTS)?;
            let mut delta = txn.open_table(DELTA)?;
            let mut postings = txn.open_table(BAND_POSTINGS)?;
            let mut all: Vec<(u32, u64, u64)> = Vec::new();
            for entry in delta.iter()? {
                let d = entry?.0.value();
                let record = self.record(&docs, d)?;
                all.extend(
                    record
                        .bands
                        .iter()
                        .enumerate()
                        .map(|(band, &key)| (band as u32, key, d)),
                );
            }
            all.sort_unstable();
            for (band, key, d) in all {
                postings.insert((band, key, d), ())?;
            }
            delta.retain(|_, _| false)?;
            m.insert(meta::DELTA_GENERATION, &generation.to_le_bytes()[..])?;
            generation
        };
        txn.commit()?;
        let mut shared = self.hint.write().unwrap_or_else(|e| e.into_inner());
        *shared = Some(Hint {
            generation,
            ..Hint::default()
        });
        Ok(())
    }
}
