//! A filter in memory of the band keys the writer may find in the main level, so that its batched
//! lookups skip the B-tree for keys no indexed document has.
//!
//! Why: nearly every band key of a new document is new, and in batches of 1,000 the 17,000 point
//! gets per batch in the main `postings` B-tree were a fifth of the ingest time (bench/RESULTS.md
//! 6.4), almost all of them misses. A Bloom filter answers "surely absent" from memory; a key it
//! may hold is looked up as before, so the candidates, hence the answers, are unchanged.
//!
//! What it holds: the band keys of every document record the writer has seen: those of the
//! `documents` table when it was built, and those of every record the writer writes after
//! ([`Index::filter_note`], called wherever a record is written). Every posting of the main level
//! names a stored document under one of its own band keys (`index check` verifies it), so this is a
//! superset of the main level's keys at every later snapshot of the writer, whatever merges,
//! removals or heirs happen; extra keys (removed documents, the recent level's, a batch whose
//! commit failed) cost one get each, as before. Only the writer uses it (redb lets one process
//! write at a time), inside its write transaction.
//!
//! When: reading a record from a scan costs far less than a point get per band key, so the filter
//! is built once the writer has looked up (in this process) as many keys as the index holds
//! documents (ski rental): a short `index add` to a large index never pays for a scan. It is built
//! again, twice as large, when it is full.
//!
//! Memory: 10 to 20 bits per band key of the documents (17 by default): 21 to 42 bytes per
//! document, 21 to 42 MB at 1M documents.

use super::schema::DocRecord;
use super::{Index, Result};
use crate::sketch::fmix64;
use redb::ReadableTable;

/// Bits per key of capacity.
const BITS_PER_KEY: u64 = 10;
/// The smallest capacity (small in tests, so that their indexes outgrow it and rebuild it).
const MIN_CAPACITY: u64 = if cfg!(test) { 8 } else { 1024 };
/// Bits set per key, all in one 64-bit word (one cache line per probe).
const PROBES: u32 = 5;

/// The writer's filter, and what decides when to build it.
#[derive(Default)]
pub(super) struct FilterState {
    filter: Option<MainFilter>,
    /// Band keys looked up in the main level in this process without a filter.
    unfiltered: u64,
}

pub(super) struct MainFilter {
    words: Vec<u64>,
    /// Keys inserted.
    count: u64,
    /// Keys it was sized for.
    capacity: u64,
}

/// A 64-bit mix of `(band, key)` (the sketches' `fmix64`): band keys are already hashes, but one
/// key may occur in several bands. In memory only, never stored.
fn mix(band: u32, key: u64) -> u64 {
    fmix64(key ^ (u64::from(band) + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

impl MainFilter {
    /// A filter for `keys` keys and as many more.
    pub(super) fn with_capacity(keys: u64) -> MainFilter {
        let capacity = (2 * keys).max(MIN_CAPACITY);
        let words = (capacity * BITS_PER_KEY).div_ceil(64) as usize;
        MainFilter {
            words: vec![0; words],
            count: 0,
            capacity,
        }
    }

    fn slot(&self, band: u32, key: u64) -> (usize, u64) {
        let h = mix(band, key);
        let word = ((h >> 32) * self.words.len() as u64) >> 32;
        let mut mask = 0u64;
        for i in 0..PROBES {
            mask |= 1 << ((h >> (6 * i)) & 63);
        }
        (word as usize, mask)
    }

    pub(super) fn insert(&mut self, band: u32, key: u64) {
        let (w, mask) = self.slot(band, key);
        self.words[w] |= mask;
        self.count += 1;
    }

    pub(super) fn may_contain(&self, band: u32, key: u64) -> bool {
        let (w, mask) = self.slot(band, key);
        self.words[w] & mask == mask
    }

    /// Whether it holds as many keys as it was sized for.
    pub(super) fn full(&self) -> bool {
        self.count >= self.capacity
    }
}

impl FilterState {
    /// The filter, if one is built.
    pub(super) fn get(&self) -> Option<&MainFilter> {
        self.filter.as_ref()
    }

    pub(super) fn get_mut(&mut self) -> Option<&mut MainFilter> {
        self.filter.as_mut()
    }

    /// Count `keys` looked up without a filter; whether one is now worth building for an index of
    /// `documents` documents.
    pub(super) fn due(&mut self, keys: u64, documents: u64) -> bool {
        self.unfiltered += keys;
        self.unfiltered >= documents
    }

    pub(super) fn install(&mut self, filter: MainFilter) {
        self.filter = Some(filter);
    }
}

impl Index {
    /// A filter of the band keys of every document in `docs`, with room for as many more.
    pub(super) fn build_filter(
        &self,
        docs: &impl ReadableTable<u64, &'static [u8]>,
    ) -> Result<MainFilter> {
        let mut filter = MainFilter::with_capacity(docs.len()? * self.params.bands as u64);
        for entry in docs.iter()? {
            let (d, v) = entry?;
            let record = DocRecord::decode(v.value())
                .ok_or_else(|| self.corrupt(format!("unreadable document {}", d.value())))?;
            for (band, &key) in record.bands.iter().enumerate() {
                filter.insert(band as u32, key);
            }
        }
        Ok(filter)
    }

    /// Note the band keys of a document record the writer writes (wherever it writes one).
    pub(super) fn filter_note(&self, state: &mut FilterState, bands: &[u64]) {
        if let Some(f) = state.get_mut() {
            for (band, &key) in bands.iter().enumerate() {
                f.insert(band as u32, key);
            }
        }
    }

    /// The writer's filter state, built or rebuilt first when due: `keys` band keys are about to
    /// be looked up in an index of `documents` documents whose records are in `docs`.
    pub(super) fn filter_for(
        &self,
        docs: &impl ReadableTable<u64, &'static [u8]>,
        keys: u64,
        documents: u64,
    ) -> Result<std::sync::MutexGuard<'_, FilterState>> {
        let mut state = self.filter.lock().unwrap_or_else(|e| e.into_inner());
        let build = match state.get() {
            Some(f) => f.full(),
            None => state.due(keys, documents),
        };
        if build {
            let built = self.build_filter(docs)?;
            state.install(built);
        }
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_every_inserted_key_and_few_others() {
        let mut f = MainFilter::with_capacity(50_000);
        for k in 0..100_000u64 {
            f.insert((k % 17) as u32, k.wrapping_mul(0x2545_f491_4f6c_dd1d));
        }
        for k in 0..100_000u64 {
            assert!(f.may_contain((k % 17) as u32, k.wrapping_mul(0x2545_f491_4f6c_dd1d)));
        }
        let false_hits = (100_000..200_000u64)
            .filter(|&k| f.may_contain((k % 17) as u32, k.wrapping_mul(0x2545_f491_4f6c_dd1d)))
            .count();
        // 10 bits per key at capacity, 5 bits in one word: well under 5% (measured ~2%).
        assert!(false_hits < 5_000, "{false_hits}");
        assert!(f.full());
    }
}
