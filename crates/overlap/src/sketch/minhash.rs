//! MinHash signatures of shingle sets.
//!
//! Two schemes, selectable because they trade speed against a textbook pedigree:
//! - [`MinHashScheme::OnePermutation`] (default): one-permutation hashing (Li, Owen & Zhang, 2012) with
//!   optimal densification (Shrivastava, 2017). Each shingle is hashed once and falls into one of `k`
//!   bins; a bin keeps its minimum. Empty bins borrow the value of a non-empty bin chosen by a
//!   seeded probe sequence that both documents follow alike, which keeps the estimator unbiased.
//!   Cost: O(|shingles| + k) per document instead of O(|shingles| * k).
//! - [`MinHashScheme::Permutations`]: `k` independent multiply-shift hash functions, the scheme of
//!   datasketch and rensa. Cost O(|shingles| * k).
//!
//! Both give `P[sig_a[i] == sig_b[i]] = J(a, b)` for every `i`, so the fraction of equal positions
//! estimates the Jaccard similarity. Values are 32 bits: a chance collision (2^-32 per position) is far
//! below the estimator's own error. Signatures depend only on the shingle set, `k`, the scheme and the
//! seed: they are identical across platforms, thread counts and runs.

use super::{fast_range, fmix64, SplitMix64};
use serde::{Deserialize, Serialize};

/// How a signature is computed. See the module documentation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MinHashScheme {
    /// One-permutation hashing with optimal densification (fast; default).
    #[default]
    OnePermutation,
    /// `k` independent hash functions (classic).
    Permutations,
    /// Not MinHash: a 64-bit SimHash of the shingles (see [`super::SimHasher`]), as two 32-bit
    /// values (low word first). Candidates come from Hamming blocks rather than MinHash bands, and
    /// the fingerprint estimates cosine, not Jaccard, so it needs verification.
    #[serde(rename = "simhash")]
    SimHash,
}

/// The value of a bin (or position) that saw no shingle: only an empty document keeps it.
const EMPTY: u64 = u64::MAX;

thread_local! {
    /// The bins of the one-permutation scheme, reused from document to document.
    static BINS: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Computes MinHash signatures for one choice of size, scheme and seed.
#[derive(Clone, Debug)]
pub struct MinHasher {
    num_perm: usize,
    scheme: MinHashScheme,
    /// Mixed into every shingle hash, so that another seed gives an independent permutation.
    shingle_key: u64,
    /// Keys the densification probe sequence.
    probe_key: u64,
    /// Multiply-shift parameters of the `Permutations` scheme (empty for the other scheme).
    mul: Vec<u64>,
    add: Vec<u64>,
    /// For densification with few filled bins: `first_hit[j * k + b]` is the attempt (from 1) at
    /// which bin `j`'s probe sequence first reaches bin `b`, 0 if not within the probe limit. Built
    /// for `k <= MAX_TABLE_BINS` only (it has `k^2` entries).
    first_hit: Vec<u16>,
    /// The first `PRECOMPUTED_PROBES` bins of every bin's probe sequence, so that probing is a table
    /// read rather than a hash.
    probes: Vec<u16>,
}

/// Probes per bin kept in `MinHasher::probes`.
const PRECOMPUTED_PROBES: usize = 32;

/// Largest signature for which the densification table is built (512^2 entries of 2 bytes).
const MAX_TABLE_BINS: usize = 512;

impl MinHasher {
    /// A hasher producing signatures of `num_perm` values (at least 1).
    pub fn new(num_perm: usize, seed: u64, scheme: MinHashScheme) -> Self {
        let num_perm = num_perm.max(1);
        let mut rng = SplitMix64(seed);
        let shingle_key = rng.next_u64();
        let probe_key = rng.next_u64();
        let (mul, add) = match scheme {
            MinHashScheme::OnePermutation | MinHashScheme::SimHash => (Vec::new(), Vec::new()),
            MinHashScheme::Permutations => (0..num_perm)
                .map(|_| (rng.next_u64() | 1, rng.next_u64()))
                .unzip(),
        };
        let first_hit = if scheme == MinHashScheme::OnePermutation && num_perm <= MAX_TABLE_BINS {
            first_hits(num_perm, probe_key)
        } else {
            Vec::new()
        };
        let probes = if scheme == MinHashScheme::OnePermutation && num_perm <= usize::from(u16::MAX)
        {
            (0..num_perm)
                .flat_map(|j| {
                    (1..=PRECOMPUTED_PROBES as u64)
                        .map(move |a| probe(probe_key, j, a, num_perm) as u16)
                })
                .collect()
        } else {
            Vec::new()
        };
        MinHasher {
            num_perm,
            scheme,
            shingle_key,
            probe_key,
            mul,
            add,
            first_hit,
            probes,
        }
    }

    /// Signature length.
    pub fn num_perm(&self) -> usize {
        self.num_perm
    }

    /// The scheme in use.
    pub fn scheme(&self) -> MinHashScheme {
        self.scheme
    }

    /// The signature of a set of shingle hashes (repeats are harmless).
    pub fn signature(&self, shingles: &[u64]) -> Vec<u32> {
        let mut sig = Vec::new();
        self.signature_into(shingles, &mut sig);
        sig
    }

    /// Write the signature of `shingles` into `sig` (resized to `num_perm`).
    pub fn signature_into(&self, shingles: &[u64], sig: &mut Vec<u32>) {
        sig.clear();
        match self.scheme {
            MinHashScheme::OnePermutation => self.one_permutation(shingles, sig),
            MinHashScheme::Permutations => self.permutations(shingles, sig),
            MinHashScheme::SimHash => {
                let fp = super::SimHasher::new(self.shingle_key).fingerprint(shingles);
                sig.extend([fp as u32, (fp >> 32) as u32]);
            }
        }
    }

    fn one_permutation(&self, shingles: &[u64], sig: &mut Vec<u32>) {
        let k = self.num_perm;
        if shingles.is_empty() {
            sig.resize(k, u32::MAX);
            return;
        }
        BINS.with(|cell| {
            let mut bins = cell.borrow_mut();
            bins.clear();
            bins.resize(k, EMPTY);
            for &h in shingles {
                let x = fmix64(h ^ self.shingle_key);
                // High bits pick the bin, low bits rank within it: for a bijective mixer they are
                // independent. A branch-free minimum: whether a value is the bin's new minimum is
                // a coin toss the branch predictor cannot learn.
                let bin = fast_range(x, k);
                let slot = &mut bins[bin];
                *slot = (*slot).min(u64::from(x as u32));
            }
            let filled = bins.iter().filter(|&&v| v != EMPTY).count();
            sig.resize(k, 0);
            if filled == k {
                for (s, &v) in sig.iter_mut().zip(bins.iter()) {
                    *s = v as u32;
                }
                return;
            }
            // With few filled bins, probing walks about k / filled steps per empty bin; looking up
            // where each probe sequence first reaches each filled bin costs `filled` steps and
            // gives the same bin.
            let sparse = !self.first_hit.is_empty() && filled * filled < k;
            let filled_bins: Vec<usize> = if sparse {
                (0..k).filter(|&b| bins[b] != EMPTY).collect()
            } else {
                Vec::new()
            };
            for (j, s) in sig.iter_mut().enumerate() {
                let v = bins[j];
                *s = if v != EMPTY {
                    v as u32
                } else if sparse {
                    self.densify_by_table(j, &bins, &filled_bins)
                } else {
                    self.densify(j, &bins)
                };
            }
        })
    }

    /// [`MinHasher::densify`] through the first-hit table: the filled bin that bin `j`'s probe
    /// sequence reaches first.
    fn densify_by_table(&self, j: usize, bins: &[u64], filled: &[usize]) -> u32 {
        let k = bins.len();
        let row = &self.first_hit[j * k..(j + 1) * k];
        let first = filled
            .iter()
            .filter(|&&b| row[b] != 0)
            .min_by_key(|&&b| row[b]);
        match first {
            Some(&b) => bins[b] as u32,
            // No filled bin within the probe limit: the same fallback as `densify`.
            None => self.densify(j, bins),
        }
    }

    /// Optimal densification: empty bin `j` takes the value of the first non-empty bin on its own
    /// seeded probe sequence. Two documents whose bin `j` is empty walk the same sequence, which is
    /// what keeps `P[equal] = J`.
    fn densify(&self, j: usize, bins: &[u64]) -> u32 {
        let k = bins.len();
        let mut first_attempt = 1;
        if !self.probes.is_empty() {
            let row = &self.probes[j * PRECOMPUTED_PROBES..(j + 1) * PRECOMPUTED_PROBES];
            if let Some(&b) = row.iter().find(|&&b| bins[usize::from(b)] != EMPTY) {
                return bins[usize::from(b)] as u32;
            }
            first_attempt = PRECOMPUTED_PROBES as u64 + 1;
        }
        for attempt in first_attempt..=probe_limit(k) {
            let probe = probe(self.probe_key, j, attempt, k);
            if bins[probe] != EMPTY {
                return bins[probe] as u32;
            }
        }
        // Reached only with astronomically small probability; any deterministic choice keeps both
        // documents in step, so take the next non-empty bin in circular order.
        let probe = (1..k).map(|d| (j + d) % k).find(|&b| bins[b] != EMPTY);
        probe.map_or(u32::MAX, |b| bins[b] as u32)
    }

    fn permutations(&self, shingles: &[u64], sig: &mut Vec<u32>) {
        sig.resize(self.num_perm, u32::MAX);
        for &h in shingles {
            for ((s, &a), &b) in sig.iter_mut().zip(&self.mul).zip(&self.add) {
                let v = (a.wrapping_mul(h).wrapping_add(b) >> 32) as u32;
                *s = (*s).min(v);
            }
        }
    }
}

/// Most probes for one empty bin before the deterministic fallback.
fn probe_limit(k: usize) -> u64 {
    (64 * k as u64).min(u64::from(u16::MAX))
}

/// Attempt `attempt` (from 1) of bin `j`'s probe sequence.
#[inline]
fn probe(key: u64, j: usize, attempt: u64, k: usize) -> usize {
    fast_range(fmix64(key ^ ((j as u64) << 32 | attempt)), k)
}

/// The first-hit table of every bin's probe sequence (see `MinHasher::first_hit`).
fn first_hits(k: usize, key: u64) -> Vec<u16> {
    let mut table = vec![0u16; k * k];
    for j in 0..k {
        let row = &mut table[j * k..(j + 1) * k];
        let mut reached = 0;
        for attempt in 1..=probe_limit(k) {
            let b = probe(key, j, attempt, k);
            if row[b] == 0 {
                row[b] = attempt as u16;
                reached += 1;
                if reached == k {
                    break;
                }
            }
        }
    }
    table
}

/// Estimated Jaccard similarity: the fraction of positions where two signatures agree.
pub fn estimate_jaccard(a: &[u32], b: &[u32]) -> f64 {
    if a.is_empty() || a.len() != b.len() {
        return 0.0;
    }
    let equal = a.iter().zip(b).filter(|(x, y)| x == y).count();
    equal as f64 / a.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn set(range: std::ops::Range<u64>) -> Vec<u64> {
        range.map(|i| fmix64(i.wrapping_mul(7919))).collect()
    }

    /// Mean absolute error of the estimate over many seeds, and its mean signed error (bias).
    fn errors(scheme: MinHashScheme, a: &[u64], b: &[u64], truth: f64, seeds: u64) -> (f64, f64) {
        let (mut abs, mut signed) = (0.0, 0.0);
        for seed in 0..seeds {
            let h = MinHasher::new(128, seed, scheme);
            let e = estimate_jaccard(&h.signature(a), &h.signature(b)) - truth;
            abs += e.abs();
            signed += e;
        }
        (abs / seeds as f64, signed / seeds as f64)
    }

    #[test]
    fn identical_sets_agree_everywhere_and_disjoint_sets_almost_nowhere() {
        for scheme in [MinHashScheme::OnePermutation, MinHashScheme::Permutations] {
            let h = MinHasher::new(128, 7, scheme);
            let a = set(0..500);
            assert_eq!(estimate_jaccard(&h.signature(&a), &h.signature(&a)), 1.0);
            let b = set(1000..1500);
            assert!(estimate_jaccard(&h.signature(&a), &h.signature(&b)) < 0.05);
        }
    }

    #[test]
    fn signature_ignores_order_and_repeats() {
        let h = MinHasher::new(64, 1, MinHashScheme::OnePermutation);
        let a = set(0..50);
        let mut b: Vec<u64> = a.iter().rev().copied().collect();
        b.extend_from_slice(&a[..10]);
        assert_eq!(h.signature(&a), h.signature(&b));
    }

    #[test]
    fn table_densification_equals_probing() {
        let h = MinHasher::new(128, 9, MinHashScheme::OnePermutation);
        for n in [1u64, 2, 3, 5, 8, 11, 40, 200] {
            let shingles = set(0..n);
            let mut bins = vec![EMPTY; 128];
            for &x in &shingles {
                let y = fmix64(x ^ h.shingle_key);
                let b = fast_range(y, 128);
                bins[b] = bins[b].min(u64::from(y as u32));
            }
            let filled: Vec<usize> = (0..128).filter(|&b| bins[b] != EMPTY).collect();
            for j in (0..128).filter(|&j| bins[j] == EMPTY) {
                assert_eq!(
                    h.densify_by_table(j, &bins, &filled),
                    h.densify(j, &bins),
                    "n {n}, bin {j}"
                );
            }
        }
    }

    #[test]
    fn seeds_change_signatures() {
        let a = set(0..50);
        let s1 = MinHasher::new(64, 1, MinHashScheme::OnePermutation).signature(&a);
        let s2 = MinHasher::new(64, 2, MinHashScheme::OnePermutation).signature(&a);
        assert_ne!(s1, s2);
    }

    #[test]
    fn empty_sets_get_the_empty_signature() {
        for scheme in [MinHashScheme::OnePermutation, MinHashScheme::Permutations] {
            assert_eq!(
                MinHasher::new(8, 0, scheme).signature(&[]),
                vec![u32::MAX; 8]
            );
        }
    }

    #[test]
    fn small_sets_are_densified_without_bias() {
        // 10 shingles in 128 bins: most bins are filled by densification. J = 5 / 15.
        let a = set(0..10);
        let b = set(5..20);
        let truth = 5.0 / 20.0;
        for scheme in [MinHashScheme::OnePermutation, MinHashScheme::Permutations] {
            let (mae, bias) = errors(scheme, &a, &b, truth, 400);
            // The standard error of one estimate is at most sqrt(J(1-J)/k) ~ 0.038 (densified bins are
            // correlated, which can raise it somewhat); the bias over 400 seeds must be tiny.
            assert!(bias.abs() < 0.01, "{scheme:?}: bias {bias}");
            assert!(mae < 0.08, "{scheme:?}: mean abs error {mae}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// For random set pairs, the estimate averaged over independent seeds is unbiased, and a
        /// single estimate stays within the error MinHash theory allows: standard deviation
        /// sqrt(J(1-J)/k), so 5 sigma (plus a small slack for densified bins) bounds every seed.
        #[test]
        fn estimate_is_unbiased_and_within_expected_error(
            shared in 0u64..400,
            only_a in 0u64..400,
            only_b in 0u64..400,
            scheme in prop_oneof![Just(MinHashScheme::OnePermutation), Just(MinHashScheme::Permutations)],
        ) {
            prop_assume!(shared + only_a + only_b > 0);
            let a = set(0..shared + only_a);
            let b: Vec<u64> = set(0..shared).into_iter().chain(set(10_000..10_000 + only_b)).collect();
            let truth = shared as f64 / (shared + only_a + only_b) as f64;
            let seeds = 64;
            let sigma = (truth * (1.0 - truth) / 128.0).sqrt();
            let mut mean = 0.0;
            for seed in 0..seeds {
                let h = MinHasher::new(128, seed, scheme);
                let est = estimate_jaccard(&h.signature(&a), &h.signature(&b));
                prop_assert!((est - truth).abs() <= 5.0 * sigma + 0.03,
                    "seed {seed}: estimate {est} vs truth {truth}");
                mean += est / seeds as f64;
            }
            // The mean of 64 independent estimates has standard error sigma / 8.
            prop_assert!((mean - truth).abs() <= 4.0 * sigma / 8.0 + 0.01,
                "mean {mean} vs truth {truth}");
        }
    }
}
