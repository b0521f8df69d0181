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
//! rewrote it every 65,536 groups: bench/RESULTS.md 6.4, 6.6). A representative is in exactly
//! one level at every commit, so lookups (main level plus delta) find the same candidates as one
//! table would, and the answers are unchanged.
//!
//! Lookups by band key in the delta go through an in-memory [`Hint`]: `(band, key) -> ordinals`,
//! built from the delta table once per process (and after each merge) and extended by the writer
//! before each commit. The hint may hold more than the delta (entries of a batch whose commit failed,
//! of removed documents, of ordinals reused after a failed commit); never less for the generation it
//! names. So every hit is checked against the reader's own snapshot: the ordinal is in its `delta`
//! table and its record's band key matches. A reader whose snapshot is of another generation than
//! the shared hint (it straddles a merge) builds its own from its snapshot.
//!
//! Since format 5 the recent level also holds the ids and exact-group entries of the recent
//! documents (ordinals from `meta.recent_from` on): they are not written to `ids` and
//! `exact_members`, whose random keys dirtied pages all over both tables at every commit
//! (bench/RESULTS.md 6.6, 6.7); the hint maps each recent document's id (by its xxh3-64) and exact
//! key to its ordinal, read from its `documents` record, and every hit is checked against the
//! snapshot's record as band hits are. A merge writes them to the main tables in key order (one
//! pass over each table's pages) and moves `recent_from` to the next ordinal. Lookups by id or by
//! exact group ask the main table, then the recent level: the union is what one table would hold.
//!
//! Memory: the hint, about 30 bytes per posting of the delta: at most the larger of `delta_limit`
//! and the main level's groups, times the bands (about 33 MB at 65,536 x 17; it reached 445,515
//! groups, about 230 MB, at the end of 1M documents), plus about 80 bytes per recent document
//! (its id hash and exact key; at most [`RECENT_DOCUMENTS_PER_GROUP`] times the delta limit); a
//! merge holds the delta's postings, 24 bytes each, and the recent documents' ids and exact keys.

use super::batch::Fast;
use super::schema::{meta, DocRecord, BAND_POSTINGS, DELTA, DOCUMENTS, EXACT_MEMBERS, IDS};
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

/// Recent documents the level may hold per representative of [`Index::delta_limit`] before it is
/// merged: their ids and exact keys cost the hint about 80 bytes each, a representative's band
/// keys about 500.
pub const RECENT_DOCUMENTS_PER_GROUP: u64 = 4;

/// Ordinals under keys, as a multimap in memory: one allocation per shared key, not per key.
pub(super) struct Multi<K> {
    /// The first ordinal under each key; nearly every key has one.
    first: HashMap<K, u64, Fast>,
    /// The others, in insertion order.
    more: HashMap<K, Vec<u64>, Fast>,
}

impl<K> Multi<K> {
    /// Room for `keys` keys without growing.
    fn with_capacity(keys: usize) -> Self {
        Multi {
            first: HashMap::with_capacity_and_hasher(keys, Fast::default()),
            more: HashMap::default(),
        }
    }
}

impl<K> Default for Multi<K> {
    fn default() -> Self {
        Multi {
            first: HashMap::default(),
            more: HashMap::default(),
        }
    }
}

impl<K: std::hash::Hash + Eq + Copy> Multi<K> {
    fn insert(&mut self, key: K, d: u64) {
        match self.first.entry(key) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(d);
            }
            std::collections::hash_map::Entry::Occupied(o) => {
                if *o.get() != d {
                    let more = self.more.entry(key).or_default();
                    if !more.contains(&d) {
                        more.push(d);
                    }
                }
            }
        }
    }

    /// Every ordinal noted under `key`, maybe some that are no longer.
    fn get(&self, key: K, out: &mut Vec<u64>) {
        if let Some(&d) = self.first.get(&key) {
            out.push(d);
            if let Some(more) = self.more.get(&key) {
                out.extend_from_slice(more);
            }
        }
    }
}

/// The recent level by key, for one generation: the delta's postings by band key, and the recent
/// documents (ordinals from the snapshot's `recent_from` on) by id and by exact key. Hashed by a
/// multiply, as the batch overlay is: the keys are already uniform hashes (SipHash was 2% of the
/// ingest CPU).
#[derive(Default)]
pub(super) struct Hint {
    generation: u64,
    bands: Multi<(u32, u64)>,
    /// By xxh3-64 of the id.
    ids: Multi<u64>,
    exact: Multi<u128>,
}

fn id_hash(id: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(id.as_bytes())
}

impl Hint {
    /// An empty hint of `generation` with room for `groups` representatives of `bands` bands and
    /// as many recent documents, for a hint built from a delta of known size: grown from empty it
    /// rehashes every table at each doubling (3.6% of the ingest CPU at 300k, with the fresh pages
    /// the kernel zeroes: bench/RESULTS.md 6.8).
    fn with_capacity(generation: u64, groups: usize, bands: usize) -> Hint {
        Hint {
            generation,
            bands: Multi::with_capacity(groups.saturating_mul(bands)),
            ids: Multi::with_capacity(groups),
            exact: Multi::with_capacity(groups),
        }
    }

    fn insert_posted(&mut self, d: u64, bands: &[u64]) {
        for (band, &key) in bands.iter().enumerate() {
            self.bands.insert((band as u32, key), d);
        }
    }

    fn insert_document(&mut self, d: u64, id: &str, exact: u128) {
        self.ids.insert(id_hash(id), d);
        self.exact.insert(exact, d);
    }
}

/// The delta generation of a snapshot.
pub(super) fn generation(m: &impl ReadableTable<&'static str, &'static [u8]>) -> Result<u64> {
    Ok(get_u64(m.get(meta::DELTA_GENERATION)?.as_ref().map(|v| v.value())).unwrap_or(0))
}

/// The first ordinal of a snapshot whose id and exact-group entry are in the recent level
/// (`u64::MAX`, none, in a file of a format before 5 opened read-only).
pub(super) fn recent_from(m: &impl ReadableTable<&'static str, &'static [u8]>) -> Result<u64> {
    Ok(get_u64(m.get(meta::RECENT_FROM)?.as_ref().map(|v| v.value())).unwrap_or(u64::MAX))
}

/// What lookups in a snapshot's recent level need: its generation, where its recent documents
/// start, and its `delta` and `documents` tables.
pub(super) struct Recent<'a, D, T> {
    pub(super) generation: u64,
    pub(super) from: u64,
    pub(super) delta: Option<&'a D>,
    pub(super) docs: &'a T,
}

impl<'a, D, T> Recent<'a, D, T> {
    /// The recent level of a snapshot whose `meta` table records its generation and start.
    pub(super) fn of(
        meta: &impl ReadableTable<&'static str, &'static [u8]>,
        delta: Option<&'a D>,
        docs: &'a T,
    ) -> Result<Self> {
        Ok(Recent {
            generation: generation(meta)?,
            from: recent_from(meta)?,
            delta,
            docs,
        })
    }
}

impl Index {
    /// The hint of a snapshot's recent level, built from its tables.
    fn build_hint<D, T>(&self, r: &Recent<'_, D, T>) -> Result<Hint>
    where
        D: ReadableTable<u64, ()>,
        T: ReadableTable<u64, &'static [u8]>,
    {
        let groups = match r.delta {
            Some(delta) => delta.len()? as usize,
            None => 0,
        };
        let mut hint = Hint::with_capacity(r.generation, groups, self.params.bands);
        if let Some(delta) = r.delta {
            for entry in delta.iter()? {
                let d = entry?.0.value();
                hint.insert_posted(d, &self.record(r.docs, d)?.bands);
            }
        }
        for entry in r.docs.range(r.from..)? {
            let (d, v) = entry?;
            let d = d.value();
            let record = DocRecord::decode(v.value())
                .ok_or_else(|| self.corrupt(format!("unreadable document {d}")))?;
            hint.insert_document(d, &record.id, record.exact);
        }
        Ok(hint)
    }

    /// Run `f` on a hint that holds at least the recent level of the snapshot `r`: the shared one
    /// when it is of that generation, else one built from the snapshot (and shared, when none
    /// newer is).
    fn with_hint<D, T, R>(&self, r: &Recent<'_, D, T>, f: impl FnOnce(&Hint) -> R) -> Result<R>
    where
        D: ReadableTable<u64, ()>,
        T: ReadableTable<u64, &'static [u8]>,
    {
        {
            let shared = self.hint.read().unwrap_or_else(|e| e.into_inner());
            if let Some(h) = shared.as_ref().filter(|h| h.generation == r.generation) {
                return Ok(f(h));
            }
        }
        let built = self.build_hint(r)?;
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
    pub(super) fn delta_postings<D, T>(
        &self,
        r: &Recent<'_, D, T>,
        keys: &[(u32, u64)],
    ) -> Result<Vec<((u32, u64), u64)>>
    where
        D: ReadableTable<u64, ()>,
        T: ReadableTable<u64, &'static [u8]>,
    {
        let Some(delta_table) = r.delta else {
            return Ok(Vec::new());
        };
        if delta_table.len()? == 0 {
            return Ok(Vec::new());
        }
        let mut hits: Vec<((u32, u64), u64)> = Vec::new();
        self.with_hint(r, |h| {
            let mut found = Vec::new();
            for &key in keys {
                found.clear();
                h.bands.get(key, &mut found);
                hits.extend(found.iter().map(|&d| (key, d)));
            }
        })?;
        let mut out = Vec::with_capacity(hits.len());
        for ((band, key), d) in hits {
            if delta_table.get(d)?.is_none() {
                continue;
            }
            let Some(v) = r.docs.get(d)? else {
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

    /// The recent documents of a snapshot whose record passes `keep`, among the ordinals `pick`
    /// finds in the hint: ascending, each checked against the snapshot.
    fn recent_where<D, T>(
        &self,
        r: &Recent<'_, D, T>,
        pick: impl FnOnce(&Hint, &mut Vec<u64>),
        keep: impl Fn(&DocRecord) -> bool,
    ) -> Result<Vec<u64>>
    where
        D: ReadableTable<u64, ()>,
        T: ReadableTable<u64, &'static [u8]>,
    {
        let mut found = Vec::new();
        self.with_hint(r, |h| pick(h, &mut found))?;
        found.retain(|&d| d >= r.from);
        found.sort_unstable();
        found.dedup();
        let mut out = Vec::with_capacity(found.len());
        for d in found {
            let Some(v) = r.docs.get(d)? else {
                continue;
            };
            let record = DocRecord::decode(v.value())
                .ok_or_else(|| self.corrupt(format!("unreadable document {d}")))?;
            if keep(&record) {
                out.push(d);
            }
        }
        Ok(out)
    }

    /// The members of exact group `exact` in the recent level of a snapshot, ascending.
    pub(super) fn recent_members<D, T>(&self, r: &Recent<'_, D, T>, exact: u128) -> Result<Vec<u64>>
    where
        D: ReadableTable<u64, ()>,
        T: ReadableTable<u64, &'static [u8]>,
    {
        if r.from == u64::MAX {
            return Ok(Vec::new());
        }
        self.recent_where(
            r,
            |h, out| h.exact.get(exact, out),
            |rec| rec.exact == exact,
        )
    }

    /// The recent document of a snapshot with id `id`, if any.
    pub(super) fn recent_id<D, T>(&self, r: &Recent<'_, D, T>, id: &str) -> Result<Option<u64>>
    where
        D: ReadableTable<u64, ()>,
        T: ReadableTable<u64, &'static [u8]>,
    {
        if r.from == u64::MAX {
            return Ok(None);
        }
        Ok(self
            .recent_where(r, |h, out| h.ids.get(id_hash(id), out), |rec| rec.id == id)?
            .first()
            .copied())
    }

    /// Add to the shared hint of the writer's generation (before its commit, after the records are
    /// written) new representatives of the delta and new recent documents, building it from the
    /// writer's tables first when it is missing or of another generation.
    pub(super) fn hint_extend<'a, D, T>(
        &self,
        r: &Recent<'_, D, T>,
        posted: impl IntoIterator<Item = (u64, &'a [u64])>,
        added: impl IntoIterator<Item = (u64, &'a str, u128)>,
    ) -> Result<()>
    where
        D: ReadableTable<u64, ()>,
        T: ReadableTable<u64, &'static [u8]>,
    {
        let current = {
            let shared = self.hint.read().unwrap_or_else(|e| e.into_inner());
            shared
                .as_ref()
                .is_some_and(|h| h.generation == r.generation)
        };
        // Built outside the lock (it reads the file); only this writer changes the delta, so the
        // table cannot move meanwhile.
        let built = if current {
            None
        } else {
            Some(self.build_hint(r)?)
        };
        let mut shared = self.hint.write().unwrap_or_else(|e| e.into_inner());
        if let Some(b) = built {
            *shared = Some(b);
        }
        if let Some(h) = shared.as_mut() {
            for (d, bands) in posted {
                h.insert_posted(d, bands);
            }
            for (d, id, exact) in added {
                h.insert_document(d, id, exact);
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

    /// Fold the recent level into the main one, in one durable transaction, when the delta holds
    /// more than [`Index::delta_limit`] representatives or the recent documents number more than
    /// [`RECENT_DOCUMENTS_PER_GROUP`] times that (exact copies post nothing, but their ids and
    /// group entries are in the hint too). Returns whether it did.
    pub(super) fn merge_if_due(&self) -> Result<bool> {
        let due = {
            let txn = self.read()?;
            let delta = match txn.open_table(DELTA) {
                Ok(t) => t,
                Err(redb::TableError::TableDoesNotExist(_)) => return Ok(false),
                Err(e) => return Err(e.into()),
            };
            let postings = super::postings::ReadPostings::open(self, &txn)?;
            let limit = self.delta_limit(postings.len()?);
            let m = txn.open_table(super::schema::META)?;
            let next = get_u64(m.get(meta::NEXT_ORDINAL)?.as_ref().map(|v| v.value())).unwrap_or(0);
            let recent = next.saturating_sub(recent_from(&m)?);
            delta.len()? > limit || recent > limit.saturating_mul(RECENT_DOCUMENTS_PER_GROUP)
        };
        if due {
            self.merge_delta()?;
        }
        Ok(due)
    }

    /// Fold the recent level into the main one, in one durable transaction: the delta's postings
    /// into the main postings (the delta emptied), and the recent documents' ids and exact-group
    /// entries into `ids` and `exact_members` (`recent_from` moved past them), each table's keys in
    /// sorted order; the next generation's hint starts empty.
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
            let from = recent_from(&m)?;
            let next = get_u64(m.get(meta::NEXT_ORDINAL)?.as_ref().map(|v| v.value()))
                .ok_or_else(|| self.corrupt("no next ordinal"))?;
            if from < next {
                let mut ids: Vec<(String, u64)> = Vec::new();
                let mut members: Vec<(u128, u64)> = Vec::new();
                for entry in docs.range(from..)? {
                    let (d, v) = entry?;
                    let d = d.value();
                    let record = DocRecord::decode(v.value())
                        .ok_or_else(|| self.corrupt(format!("unreadable document {d}")))?;
                    members.push((record.exact, d));
                    ids.push((record.id, d));
                }
                ids.sort_unstable();
                members.sort_unstable();
                let mut id_table = txn.open_table(IDS)?;
                for (id, d) in &ids {
                    id_table.insert(id.as_str(), *d)?;
                }
                let mut member_table = txn.open_multimap_table(EXACT_MEMBERS)?;
                for (exact, d) in members {
                    member_table.insert(exact, d)?;
                }
            }
            m.insert(meta::RECENT_FROM, &next.to_le_bytes()[..])?;
            m.insert(meta::DELTA_GENERATION, &generation.to_le_bytes()[..])?;
            generation
        };
        // Fault injection for the tests: the merge fails with all its writes made but not
        // committed, as a full disk or an I/O error at commit would leave it.
        #[cfg(test)]
        if self
            .fail_next_merge
            .swap(false, std::sync::atomic::Ordering::SeqCst)
        {
            return Err(super::IndexError::Invalid("injected merge failure".into()));
        }
        txn.commit()?;
        let mut shared = self.hint.write().unwrap_or_else(|e| e.into_inner());
        // The old hint is freed before the next one grows (a lower peak at 1M: bench/RESULTS.md
        // 6.8). The next one is not sized for its limit up front: its table would then take its
        // full size as soon as a few batches had touched its pages (more memory at 300k, no
        // measurable time saved).
        *shared = None;
        *shared = Some(Hint {
            generation,
            ..Hint::default()
        });
        Ok(())
    }
}
