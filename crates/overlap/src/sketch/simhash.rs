//! SimHash over shingles (Charikar, 2002; Manku, Jain & Das Sarma, 2007, for web-scale
//! near-duplicates): a 64-bit fingerprint of a shingle set in which each bit is the sign of a random
//! +-1 projection of the set's indicator vector. Two sets at angle `theta` (`cos theta =
//! |A & B| / sqrt(|A| |B|)`) differ in each bit with probability `theta / pi`, so the Hamming
//! distance estimates their cosine similarity; candidates come from [`super::HammingBands`].
//!
//! Memory: 64 counters while a document is fingerprinted; 8 bytes per document after.

use super::fmix64;

/// Fingerprints shingle sets for one seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimHasher {
    seed: u64,
}

impl SimHasher {
    /// A SimHash with projections drawn from `seed`.
    pub fn new(seed: u64) -> Self {
        SimHasher {
            seed: fmix64(seed ^ 0x5bd1_e995_2545_f491),
        }
    }

    /// The fingerprint of a shingle set (sorted distinct hashes, or any list: repeats count again,
    /// as term frequencies do in Manku's weighted form).
    pub fn fingerprint(&self, shingles: &[u64]) -> u64 {
        let mut counts = [0i32; 64];
        for &s in shingles {
            // Re-mix with the seed: shingle hashes are xxh3 values, the projection must be
            // independent of them for every seed.
            let h = fmix64(s ^ self.seed);
            for (bit, c) in counts.iter_mut().enumerate() {
                *c += if (h >> bit) & 1 == 1 { 1 } else { -1 };
            }
        }
        counts
            .iter()
            .enumerate()
            .fold(0u64, |fp, (bit, &c)| if c > 0 { fp | 1 << bit } else { fp })
    }
}

/// The Hamming distance at or under which two fingerprints are expected for sets of equal size at
/// Jaccard `j`: `cos theta = 2j / (1 + j)`, distance `64 theta / pi`, rounded up.
pub fn expected_distance(jaccard: f64) -> usize {
    let cos = (2.0 * jaccard / (1.0 + jaccard)).clamp(-1.0, 1.0);
    (64.0 * cos.acos() / std::f64::consts::PI).ceil() as usize
}

/// Cosine similarity of two sets estimated from their fingerprints' Hamming distance.
pub fn estimate_cosine(a: u64, b: u64) -> f64 {
    (std::f64::consts::PI * f64::from((a ^ b).count_ones()) / 64.0).cos()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sketch::SplitMix64;
    use proptest::prelude::*;

    fn sets(shared: usize, own: usize, seed: u64) -> (Vec<u64>, Vec<u64>) {
        let mut rng = SplitMix64(seed);
        let common: Vec<u64> = (0..shared).map(|_| rng.next_u64()).collect();
        let mut a = common.clone();
        let mut b = common;
        a.extend((0..own).map(|_| rng.next_u64()));
        b.extend((0..own).map(|_| rng.next_u64()));
        (a, b)
    }

    #[test]
    fn hamming_distance_tracks_the_angle_between_sets() {
        // 300 shared, 100 own each: cos = 300 / 400 = 0.75, expected distance 64 acos(0.75) / pi.
        let expected = 64.0 * 0.75f64.acos() / std::f64::consts::PI;
        let mut total = 0u32;
        let trials = 200;
        for seed in 0..trials {
            let (a, b) = sets(300, 100, 1000 + seed);
            let h = SimHasher::new(seed);
            total += (h.fingerprint(&a) ^ h.fingerprint(&b)).count_ones();
        }
        let mean = f64::from(total) / trials as f64;
        // Over 200 x 64 bits the mean's standard error is about 0.25 bits.
        assert!(
            (mean - expected).abs() < 1.2,
            "mean {mean}, expected {expected}"
        );
    }

    proptest! {
        #[test]
        fn fingerprints_are_deterministic_and_order_free(mut set in prop::collection::vec(any::<u64>(), 0..200), seed in any::<u64>()) {
            let h = SimHasher::new(seed);
            let fp = h.fingerprint(&set);
            set.reverse();
            prop_assert_eq!(h.fingerprint(&set), fp);
            prop_assert_eq!(estimate_cosine(fp, fp), 1.0);
        }
    }

    #[test]
    fn expected_distances() {
        assert_eq!(expected_distance(1.0), 0);
        assert_eq!(expected_distance(0.8), 10);
        assert!(expected_distance(0.5) > expected_distance(0.8));
    }
}
