//! Sketches of shingle sets: MinHash signatures and the LSH banding that turns them into candidate keys;
//! SimHash fingerprints and random-hyperplane sketches of embeddings, with their Hamming-space LSH.

mod hamming;
mod lsh;
mod minhash;
mod simhash;

pub use hamming::{hamming, lane_dot, HammingBands, Hyperplanes};
pub use lsh::LshParams;
pub use minhash::{estimate_jaccard, MinHashScheme, MinHasher};
pub use simhash::{estimate_cosine, expected_distance, SimHasher};

/// A strong 64-bit finalizer (from MurmurHash3). It is a bijection, so distinct inputs stay distinct.
#[inline]
pub(crate) fn fmix64(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// SplitMix64: expands one seed into a reproducible stream of well-mixed 64-bit values.
pub(crate) struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Map a uniform 64-bit value onto `0..n` without division (Lemire's fast range).
#[inline]
pub(crate) fn fast_range(x: u64, n: usize) -> usize {
    ((x as u128 * n as u128) >> 64) as usize
}
