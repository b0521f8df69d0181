//! Semantic candidates and their verification.
//!
//! LSH: each vector's fingerprint is `bands x rows` random-hyperplane sign bits
//! ([`Hyperplanes`]); band `i` is bits `i * rows .. (i + 1) * rows`. Vectors with equal bits in some
//! band share a bucket. Buckets become candidate work as in `dedup` ([`BucketWork`]: every pair of a
//! bucket of up to 64 members, representatives and first-match groups beyond), so one topic whose
//! documents all fall in one bucket costs linear work. `exact` instead compares every pair.
//!
//! Memory: `bands x rows / 8` bytes of fingerprint per vector during the candidate stage, 16 bytes
//! per vector per band being sorted (one band per thread), 8 bytes per candidate pair or group
//! entry, 16 bytes per verified edge.

use super::vectors::Vectors;
use super::SemanticConfig;
use crate::dedup::BucketWork;
use crate::progress::Progress;
use crate::sketch::Hyperplanes;
use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};

/// A verified semantic pair, by vector position (see [`Vectors`]) until the job maps it to documents.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SemanticEdge {
    /// The earlier vector.
    pub a: u32,
    /// The later vector.
    pub b: u32,
    /// Their cosine.
    pub cosine: f64,
}

/// The candidate work of LSH, by vector position.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CandidateWork {
    /// Distinct pairs `(a, b)`, `a < b`, sorted.
    pub pairs: Vec<(u32, u32)>,
    /// Distinct first-match entries `(member, representative)`, sorted.
    pub first_match: Vec<(u32, u32)>,
    /// Largest bucket.
    pub largest_bucket: usize,
    /// Buckets over [`crate::dedup::ALL_PAIRS_LIMIT`].
    pub large_buckets: usize,
}

impl CandidateWork {
    /// Candidate comparisons in all.
    pub fn len(&self) -> usize {
        self.pairs.len() + self.first_match.len()
    }

    /// True when there is nothing to verify.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What verification found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SemanticVerified {
    /// Distinct edges at or above the threshold, sorted by `(a, b)`.
    pub edges: Vec<SemanticEdge>,
    /// Cosines computed.
    pub compared: u64,
    /// Large-bucket members that matched none of their representatives.
    pub unmatched_members: usize,
}

/// Bits `start..start + len` (`len <= 64`) of a fingerprint, as a number.
fn bits(fp: &[u64], start: usize, len: usize) -> u64 {
    let mut out = 0u64;
    let mut got = 0;
    while got < len {
        let pos = start + got;
        let lo = pos % 64;
        let take = (64 - lo).min(len - got);
        let mask = if take == 64 {
            u64::MAX
        } else {
            (1u64 << take) - 1
        };
        out |= ((fp[pos / 64] >> lo) & mask) << got;
        got += take;
    }
    out
}

/// LSH candidate work over `vectors`.
pub fn candidate_work(
    vectors: &Vectors,
    config: &SemanticConfig,
    progress: &dyn Progress,
) -> CandidateWork {
    let (bands, rows) = (config.lsh_bands(), config.rows);
    let planes = Hyperplanes::new(vectors.dims(), config.fingerprint_bits(), config.seed);
    let fingerprints: Vec<Vec<u64>> = (0..vectors.len())
        .into_par_iter()
        .map(|i| planes.fingerprint(vectors.get(i)))
        .collect();
    let done = AtomicU64::new(0);
    let per_band: Vec<BucketWork> = (0..bands)
        .into_par_iter()
        .map(|band| {
            let mut entries: Vec<(u64, u32)> = fingerprints
                .iter()
                .enumerate()
                .map(|(i, fp)| (bits(fp, band * rows, rows), i as u32))
                .collect();
            entries.sort_unstable();
            let mut work = BucketWork::default();
            let mut members = Vec::new();
            for run in entries.chunk_by(|x, y| x.0 == y.0) {
                members.clear();
                members.extend(run.iter().map(|&(_, i)| i));
                work.add_bucket(&members);
            }
            progress.update(done.fetch_add(1, Ordering::Relaxed) + 1);
            work
        })
        .collect();
    drop(fingerprints);
    let largest_bucket = per_band.iter().map(|w| w.largest_bucket).max().unwrap_or(0);
    let large_buckets = per_band.iter().map(|w| w.large_buckets).sum();
    let mut pairs: Vec<u64> = Vec::with_capacity(per_band.iter().map(|w| w.pairs.len()).sum());
    let mut first: Vec<u64> = Vec::new();
    for w in per_band {
        pairs.extend(w.pairs);
        first.extend(w.first_match);
    }
    let unpack = |mut v: Vec<u64>| -> Vec<(u32, u32)> {
        v.par_sort_unstable();
        v.dedup();
        v.into_iter()
            .map(|p| ((p >> 32) as u32, p as u32))
            .collect()
    };
    CandidateWork {
        pairs: unpack(pairs),
        first_match: unpack(first),
        largest_bucket,
        large_buckets,
    }
}

/// Verify LSH candidate work: each pair on its own, and each first-match group's representatives in
/// input order until one reaches the threshold.
pub fn verify_work(
    vectors: &Vectors,
    work: &CandidateWork,
    threshold: f64,
    progress: &dyn Progress,
) -> SemanticVerified {
    const CHUNK: usize = 4096;
    let done = AtomicU64::new(0);
    let mut edges: Vec<SemanticEdge> = work
        .pairs
        .par_chunks(CHUNK)
        .flat_map_iter(|chunk| {
            let n = chunk.len() as u64;
            progress.update(done.fetch_add(n, Ordering::Relaxed) + n);
            chunk.iter().filter_map(|&(a, b)| {
                let cosine = vectors.cosine(a as usize, b as usize);
                (cosine >= threshold).then_some(SemanticEdge { a, b, cosine })
            })
        })
        .collect();
    let groups: Vec<&[(u32, u32)]> = work.first_match.chunk_by(|x, y| x.0 == y.0).collect();
    let matched: Vec<(Option<SemanticEdge>, u64)> = groups
        .par_iter()
        .map(|g| {
            let member = g[0].0;
            let mut tried = 0;
            let mut found = None;
            for &(_, rep) in g.iter() {
                tried += 1;
                let cosine = vectors.cosine(rep as usize, member as usize);
                if cosine >= threshold {
                    found = Some(SemanticEdge {
                        a: rep,
                        b: member,
                        cosine,
                    });
                    break;
                }
            }
            let n = g.len() as u64;
            progress.update(done.fetch_add(n, Ordering::Relaxed) + n);
            (found, tried)
        })
        .collect();
    let unmatched_members = matched.iter().filter(|m| m.0.is_none()).count();
    let compared = work.pairs.len() as u64 + matched.iter().map(|m| m.1).sum::<u64>();
    edges.extend(matched.into_iter().filter_map(|m| m.0));
    edges.par_sort_unstable_by_key(|e| (e.a, e.b));
    edges.dedup_by_key(|e| (e.a, e.b));
    SemanticVerified {
        edges,
        compared,
        unmatched_members,
    }
}

/// Every pair of vectors at or above the threshold, by brute force (`n (n - 1) / 2` cosines).
pub fn exact_pairs(vectors: &Vectors, threshold: f64, progress: &dyn Progress) -> SemanticVerified {
    let n = vectors.len();
    let done = AtomicU64::new(0);
    let edges: Vec<SemanticEdge> = (0..n)
        .into_par_iter()
        .flat_map_iter(|i| {
            let row: Vec<SemanticEdge> = (i + 1..n)
                .filter_map(|j| {
                    let cosine = vectors.cosine(i, j);
                    (cosine >= threshold).then_some(SemanticEdge {
                        a: i as u32,
                        b: j as u32,
                        cosine,
                    })
                })
                .collect();
            let k = (n - i - 1) as u64;
            progress.update(done.fetch_add(k, Ordering::Relaxed) + k);
            row
        })
        .collect();
    SemanticVerified {
        edges,
        compared: (n as u64) * (n as u64).saturating_sub(1) / 2,
        unmatched_members: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;
    use crate::sketch::SplitMix64;

    fn random_unit(rng: &mut SplitMix64, dims: usize) -> Vec<f32> {
        let v: Vec<f32> = (0..dims)
            .map(|_| (rng.next_u64() >> 11) as f32 / (1u64 << 53) as f32 - 0.5)
            .collect();
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.into_iter().map(|x| x / n).collect()
    }

    #[test]
    fn bits_are_cut_across_words() {
        let fp = [u64::MAX << 60, 0b1011];
        assert_eq!(bits(&fp, 60, 8), 0b1011_1111);
        assert_eq!(bits(&fp, 0, 64), u64::MAX << 60);
        assert_eq!(bits(&fp, 64, 3), 0b011);
    }

    #[test]
    fn lsh_finds_what_brute_force_finds_on_close_pairs() {
        // 200 random directions, and for 20 of them a near copy (cosine about 0.97).
        let dims = 32;
        let mut rng = SplitMix64(5);
        let mut vectors = Vectors::new(dims);
        let mut doc = 0u32;
        for i in 0..200 {
            let v = random_unit(&mut rng, dims);
            vectors.push(doc, &v);
            doc += 1;
            if i % 10 == 0 {
                let noise = random_unit(&mut rng, dims);
                let w: Vec<f32> = v.iter().zip(&noise).map(|(x, e)| x + 0.25 * e).collect();
                let n = w.iter().map(|x| x * x).sum::<f32>().sqrt();
                let w: Vec<f32> = w.into_iter().map(|x| x / n).collect();
                vectors.push(doc, &w);
                doc += 1;
            }
        }
        let config = SemanticConfig::default();
        let exact = exact_pairs(&vectors, config.threshold, &NoProgress);
        assert_eq!(exact.edges.len(), 20);
        let work = candidate_work(&vectors, &config, &NoProgress);
        let lsh = verify_work(&vectors, &work, config.threshold, &NoProgress);
        assert_eq!(lsh.edges, exact.edges);
        // Far fewer comparisons than brute force.
        assert!(lsh.compared * 20 < exact.compared, "{}", lsh.compared);
    }
}
