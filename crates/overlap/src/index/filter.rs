//! A filter in memory of the main level's band keys, so that the writer's batched lookups skip
//! the B-tree for keys no indexed document has.
//!
//! Why: nearly every band key of a new document is new, and in batches of 1,000 the 17,000 point
//! gets per batch in the main `postings` B-tree were a fifth of the ingest time (bench/RESULTS.md
//! 6.4), almost all of them misses. A Bloom filter answers "surely absent" from memory; a key it
//! may hold is looked up as before, so the candidates, hence the answers, are unchanged.
//!
//! Only the writer uses it, inside its write transaction, and only a superset of the main level's
//! keys is needed. The main level changes only in this process's writer (redb lets one process
//! write): a merge adds keys (and extends the filter after its commit, or replaces it by one built
//! from the merged table); a removal takes keys away (the filter keeps them: one wasted get); an
//! heir takes over the very keys of the representative it replaces. So a filter built from the
//! writer's table and kept up by its merges holds every key of the writer's later snapshots of
//! the same generation. A filter of another generation (a merge whose commit failed) is dropped.
//!
//! When: a scan of `postings` costs about as much as a tenth as many point gets, so the filter is
//! built once the writer has looked up (in this process) an eighth as many keys as the main level
//! holds (ski rental): a short `index add` to a large index never pays for a scan.
//!
//! Memory: 12 to 18 bits per posting of the main level (`capacity` is 1.5x the keys at build and
//! the filter is rebuilt when a merge would pass it): about 25 to 40 MB at 1M documents.

/// Bits per key of capacity.
const BITS_PER_KEY: u64 = 12;
/// The smallest capacity (small in tests, so that merges outgrow it and rebuild the filter).
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
    /// The delta generation whose main level it covers.
    generation: u64,
    words: Vec<u64>,
    /// Keys inserted.
    count: u64,
    /// Keys it was sized for.
    capacity: u64,
}

/// A 64-bit mix of `(band, key)` (splitmix64's finalizer): band keys are already hashes, but one
/// key may occur in several bands. In memory only, never stored.
fn mix(band: u32, key: u64) -> u64 {
    let mut z = key ^ (u64::from(band) + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl MainFilter {
    pub(super) fn with_capacity(generation: u64, keys: u64) -> MainFilter {
        let capacity = (keys + keys / 2).max(MIN_CAPACITY);
        let words = (capacity * BITS_PER_KEY).div_ceil(64) as usize;
        MainFilter {
            generation,
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

    /// Whether `more` keys still fit its capacity.
    pub(super) fn fits(&self, more: u64) -> bool {
        self.count + more <= self.capacity
    }

    pub(super) fn set_generation(&mut self, generation: u64) {
        self.generation = generation;
    }
}

impl FilterState {
    /// The filter for the main level of `generation`, if there is one.
    pub(super) fn current(&self, generation: u64) -> Option<&MainFilter> {
        self.filter.as_ref().filter(|f| f.generation == generation)
    }

    /// The filter to extend by a merge of `generation` into `generation + 1`, if one is kept.
    pub(super) fn current_mut(&mut self, generation: u64) -> Option<&mut MainFilter> {
        self.filter.as_mut().filter(|f| f.generation == generation)
    }

    /// Count `keys` looked up without a filter; whether one is now worth building for a main level
    /// of `postings` entries.
    pub(super) fn due(&mut self, keys: u64, postings: u64) -> bool {
        self.unfiltered += keys;
        self.unfiltered.saturating_mul(8) >= postings
    }

    pub(super) fn install(&mut self, filter: Option<MainFilter>) {
        self.filter = filter;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_every_inserted_key_and_few_others() {
        let mut f = MainFilter::with_capacity(0, 100_000);
        for k in 0..100_000u64 {
            f.insert((k % 17) as u32, k.wrapping_mul(0x2545_f491_4f6c_dd1d));
        }
        for k in 0..100_000u64 {
            assert!(f.may_contain((k % 17) as u32, k.wrapping_mul(0x2545_f491_4f6c_dd1d)));
        }
        let false_hits = (100_000..200_000u64)
            .filter(|&k| f.may_contain((k % 17) as u32, k.wrapping_mul(0x2545_f491_4f6c_dd1d)))
            .count();
        // 18 bits per key, 5 bits in one word: well under 2% (measured ~0.6%).
        assert!(false_hits < 2_000, "{false_hits}");
    }
}
