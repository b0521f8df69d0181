//! Hash maps keyed by values that are already uniform 64-bit hashes (xxh3 of words and n-grams).
//!
//! Such keys need no further mixing, so the map's hasher passes them through; this is several times
//! faster than the default SipHash in the alignment and index loops. Only for in-memory lookups:
//! nothing here is persisted, and no output depends on map iteration order.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// A hasher for keys that are already hashes: `u64`s pass through; other integers and tuples are
/// folded with a multiply-rotate step.
#[derive(Default, Clone, Copy)]
pub struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(29) ^ v).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    fn write_u32(&mut self, v: u32) {
        self.write_u64(u64::from(v));
    }
    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }
    fn write_u128(&mut self, v: u128) {
        self.write_u64(v as u64 ^ (v >> 64) as u64);
    }
}

/// The build-hasher of [`PassThrough`].
pub type Fast = BuildHasherDefault<PassThrough>;
/// A `HashMap` with the pass-through hasher.
pub type FastMap<K, V> = HashMap<K, V, Fast>;
/// A `HashSet` with the pass-through hasher.
pub type FastSet<K> = HashSet<K, Fast>;
