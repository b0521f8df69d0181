//! Hamming-space sketches and their LSH: bit fingerprints compared by Hamming distance, shared by
//! SimHash over shingles ([`super::simhash`]) and random-hyperplane sketches of embeddings.
//!
//! Candidates by the pigeonhole principle (Manku, Jain & Das Sarma, 2007): cut a fingerprint into
//! `k + 1` blocks of bits; two fingerprints within Hamming distance `k` differ in at most `k` blocks,
//! so they agree exactly on at least one, and sharing a block key is a complete candidate test for
//! distance `<= k` (no false negatives; false positives are verified afterwards).
//!
//! Memory: the fingerprint (`bits / 8` bytes) and one `u64` key per block per document.

use super::{fmix64, SplitMix64};

/// Hamming distance of two fingerprints of the same length.
pub fn hamming(a: &[u64], b: &[u64]) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum()
}

/// Pigeonhole banding of `bits`-bit fingerprints for a maximum Hamming distance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HammingBands {
    /// Fingerprint length in bits.
    pub bits: usize,
    /// Largest distance every pair of which must become a candidate.
    pub max_distance: usize,
}

impl HammingBands {
    /// Banding of `bits`-bit fingerprints (a multiple of 64) that finds every pair within
    /// `max_distance`. Needs `max_distance < bits`.
    pub fn new(bits: usize, max_distance: usize) -> Self {
        assert!(
            bits > 0 && bits.is_multiple_of(64),
            "fingerprints are whole u64 words"
        );
        assert!(
            max_distance < bits,
            "distance {max_distance} of {bits} bits"
        );
        HammingBands { bits, max_distance }
    }

    /// Number of blocks (bands): `max_distance + 1`.
    pub fn blocks(&self) -> usize {
        self.max_distance + 1
    }

    /// Bit range `start..end` of block `i`: contiguous, as even as possible.
    fn block(&self, i: usize) -> (usize, usize) {
        let n = self.blocks();
        (i * self.bits / n, (i + 1) * self.bits / n)
    }

    /// One key per block: a hash of the block's bits and its index (so blocks that happen to hold
    /// equal bits in different places do not share a key).
    pub fn band_keys(&self, fingerprint: &[u64], out: &mut Vec<u64>) {
        debug_assert_eq!(fingerprint.len() * 64, self.bits);
        out.clear();
        for i in 0..self.blocks() {
            let (start, end) = self.block(i);
            let mut h = fmix64(i as u64 ^ 0x9e37_79b9_7f4a_7c15);
            // Bits start..end, gathered word by word.
            let mut pos = start;
            while pos < end {
                let word = fingerprint[pos / 64];
                let lo = pos % 64;
                let take = (64 - lo).min(end - pos);
                let mask = if take == 64 {
                    u64::MAX
                } else {
                    (1u64 << take) - 1
                };
                h = fmix64(h ^ ((word >> lo) & mask) ^ ((take as u64) << 58));
                pos += take;
            }
            out.push(h);
        }
    }
}

/// Random hyperplanes for sketching vectors (Charikar, 2002): bit `j` of a vector's fingerprint is
/// whether it lies on the positive side of hyperplane `j`; two vectors at angle `theta` differ in a
/// bit with probability `theta / pi`. Hyperplanes have random +-1 coordinates (Achlioptas), drawn
/// from a seed, so that fingerprints are exact and reproducible on every platform.
#[derive(Clone, Debug)]
pub struct Hyperplanes {
    dims: usize,
    bits: usize,
    /// `bits x dims` signs, row-major, as `+1.0` or `-1.0`.
    signs: Vec<f32>,
}

impl Hyperplanes {
    /// `bits` hyperplanes (a multiple of 64) in `dims` dimensions.
    pub fn new(dims: usize, bits: usize, seed: u64) -> Self {
        assert!(
            bits > 0 && bits.is_multiple_of(64),
            "fingerprints are whole u64 words"
        );
        let mut rng = SplitMix64(seed ^ 0x6c62_272e_07bb_0142);
        let mut signs = Vec::with_capacity(bits * dims);
        let mut word = 0u64;
        for k in 0..bits * dims {
            if k % 64 == 0 {
                word = rng.next_u64();
            }
            signs.push(if (word >> (k % 64)) & 1 == 1 {
                1.0
            } else {
                -1.0
            });
        }
        Hyperplanes { dims, bits, signs }
    }

    /// Fingerprint length in bits.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// The fingerprint of `v` (`dims` values); each projection summed in eight `f32` lanes in a
    /// fixed order (vectorizable, and the same bits on every run and platform).
    pub fn fingerprint(&self, v: &[f32]) -> Vec<u64> {
        assert_eq!(v.len(), self.dims, "vector of {} dimensions", v.len());
        let mut out = vec![0u64; self.bits / 64];
        for j in 0..self.bits {
            let row = &self.signs[j * self.dims..][..self.dims];
            if lane_dot(row, v) > 0.0 {
                out[j / 64] |= 1 << (j % 64);
            }
        }
        out
    }

    /// Bits `start..start + len` (`len <= 64`) of [`Hyperplanes::fingerprint`] of `v`, as a number
    /// (bit `k` is fingerprint bit `start + k`), computing only those projections.
    pub fn key(&self, v: &[f32], start: usize, len: usize) -> u64 {
        assert_eq!(v.len(), self.dims, "vector of {} dimensions", v.len());
        assert!(len <= 64 && start + len <= self.bits);
        let mut out = 0u64;
        for k in 0..len {
            let row = &self.signs[(start + k) * self.dims..][..self.dims];
            if lane_dot(row, v) > 0.0 {
                out |= 1 << k;
            }
        }
        out
    }
}

/// Dot product of two vectors of equal length in eight `f32` lanes, combined in a fixed order: the
/// same bits on every run and thread, and vectorized by the compiler.
pub fn lane_dot(a: &[f32], b: &[f32]) -> f64 {
    let mut lanes = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            lanes[k] += x[k] * y[k];
        }
    }
    let mut sum: f64 = lanes.iter().map(|&l| f64::from(l)).sum();
    for (x, y) in ra.iter().zip(rb) {
        sum += f64::from(x * y);
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The pigeonhole guarantee: fingerprints within the distance share a block key.
        #[test]
        fn pairs_within_the_distance_share_a_block(
            words in prop::collection::vec(any::<u64>(), 2),
            flips in prop::collection::vec(0usize..128, 0..8),
            k in 0usize..8,
        ) {
            let bands = HammingBands::new(128, k);
            let mut other = words.clone();
            for &f in flips.iter().take(k) {
                other[f / 64] ^= 1 << (f % 64);
            }
            prop_assume!(hamming(&words, &other) as usize <= k);
            let (mut ka, mut kb) = (Vec::new(), Vec::new());
            bands.band_keys(&words, &mut ka);
            bands.band_keys(&other, &mut kb);
            prop_assert_eq!(ka.len(), k + 1);
            prop_assert!(ka.iter().zip(&kb).any(|(x, y)| x == y));
        }
    }

    #[test]
    fn distant_fingerprints_share_no_block() {
        let bands = HammingBands::new(64, 3);
        let (mut ka, mut kb) = (Vec::new(), Vec::new());
        bands.band_keys(&[0], &mut ka);
        bands.band_keys(&[u64::MAX], &mut kb);
        assert!(ka.iter().zip(&kb).all(|(x, y)| x != y));
        // Equal block contents in different blocks give different keys.
        assert_eq!(ka.iter().collect::<std::collections::HashSet<_>>().len(), 4);
    }

    #[test]
    fn hyperplane_bits_differ_in_proportion_to_the_angle() {
        let dims = 32;
        let planes = Hyperplanes::new(dims, 1024, 7);
        let mut rng = SplitMix64(3);
        let mut unit = |_| (rng.next_u64() >> 11) as f32 / (1u64 << 53) as f32 - 0.5;
        let a: Vec<f32> = (0..dims).map(&mut unit).collect();
        let noise: Vec<f32> = (0..dims).map(&mut unit).collect();
        let b: Vec<f32> = a.iter().zip(&noise).map(|(x, n)| x + 0.8 * n).collect();
        let cos = crate::align::cosine(&a, &b);
        let expected = cos.acos() / std::f64::consts::PI;
        let observed =
            f64::from(hamming(&planes.fingerprint(&a), &planes.fingerprint(&b))) / 1024.0;
        // 1024 bits: the standard error of the observed share is under 0.016.
        assert!(
            (observed - expected).abs() < 0.06,
            "{observed} vs {expected}"
        );
        assert_eq!(planes.fingerprint(&a), planes.fingerprint(&a));
        assert_eq!(hamming(&planes.fingerprint(&a), &planes.fingerprint(&a)), 0);
    }
}
