//! Guarded clusters for `dedup --semantic --clusters guarded`: the chain guard of lexical dedup
//! ([`crate::dedup::guarded_join`], the one function that holds the rule, through the lazy
//! verification it shares with lexical dedup) over cosine instead of Jaccard.
//!
//! Compared vectors are taken in input order; a vector joins the cluster of the earliest *kept*
//! vector it verifies against at cosine >= the threshold, otherwise it is kept and starts a cluster.
//! Its candidates are its verified edges (known to pass) and the representatives of its first-match
//! groups (large LSH buckets), which verification only tried up to the first match: those are
//! verified here, lazily, when they are kept, and an edge found that way is added to the verified
//! edges so that `pairs.jsonl` lists the pair each removed document was kept out for. Exact copies
//! follow the first document of their group, as in lexical dedup.
//!
//! Memory: 4 bytes per compared vector for the clusters, 8 bytes per verified edge (indexed by its
//! later vector), and one document's candidates at a time; the first-match entries are read in
//! order from where verification kept them ([`FirstMatch`]: memory or disk). The vectors are the
//! job's; when they are on disk, a lazily verified pair reads the later vector's row once and the
//! earlier one through a direct-mapped cache of `cache_bytes` ([`GuardRows`]).

use super::candidates::{SemanticEdge, SemanticVerified};
use super::first_match::FirstMatch;
use super::vectors::{dot, Vectors};
use crate::dedup::guard::join_verifying;
use crate::error::Result;

/// The guarded clusters of the compared vectors, by vector position: for each vector, the position
/// of the kept vector whose cluster it is in (itself when kept). Edges found by the lazy
/// verification are added to `verified.edges`, which stays sorted by `(a, b)`. `cache_bytes`
/// bounds the rows cached when the vectors are on disk (the answer does not depend on it).
pub fn guarded_positions(
    vectors: &Vectors,
    first_match: FirstMatch,
    verified: &mut SemanticVerified,
    threshold: f64,
    cache_bytes: usize,
) -> Result<Vec<u32>> {
    let n = vectors.len();
    let mut by_later: Vec<(u32, u32)> = verified.edges.iter().map(|e| (e.b, e.a)).collect();
    by_later.sort_unstable();
    let mut cluster: Vec<u32> = (0..n as u32).collect();
    let mut added = Vec::new();
    let mut e = 0;
    let mut entries = first_match.reader()?;
    let mut entry = entries.next_entry()?;
    let mut rows = GuardRows::new(vectors, cache_bytes);
    let mut earlier: Vec<(u32, bool)> = Vec::new();
    for d in 0..n as u32 {
        earlier.clear();
        while e < by_later.len() && by_later[e].0 == d {
            earlier.push((by_later[e].1, true));
            e += 1;
        }
        while let Some((member, rep)) = entry {
            if member > d {
                break;
            }
            if member == d {
                earlier.push((rep, false));
            }
            entry = entries.next_entry()?;
        }
        let join = join_verifying(
            &mut earlier,
            &cluster,
            threshold,
            |doc| rows.cosine(doc, d),
            |a, cosine| SemanticEdge { a, b: d, cosine },
            &mut added,
        )?;
        if let Some(kept) = join {
            cluster[d as usize] = kept;
        }
    }
    if !added.is_empty() {
        verified.edges.extend(added);
        verified.edges.sort_unstable_by_key(|x| (x.a, x.b));
        verified.edges.dedup_by_key(|x| (x.a, x.b));
    }
    Ok(cluster)
}

/// Rows for the guard's lazy verifications. In memory, the vectors' own. On disk, the later
/// vector's row is read once for all its candidates and an earlier one through a direct-mapped
/// cache: a large bucket's few representatives are asked about by each of its members, so most
/// asks hit, where one positioned read per ask made the guard the slowest stage at 1M documents
/// under `--memory 256MiB` (`bench/RESULTS.md` 8.34). The cosines are the same bits either way.
struct GuardRows<'v> {
    vectors: &'v Vectors,
    dims: usize,
    /// The later vector and its row.
    current: Option<u32>,
    current_row: Vec<f32>,
    /// Position held by each slot (`u32::MAX`: none) and the slots' rows, flat.
    tags: Vec<u32>,
    data: Vec<f32>,
    buf: Vec<u8>,
    row: Vec<f32>,
}

impl<'v> GuardRows<'v> {
    fn new(vectors: &'v Vectors, cache_bytes: usize) -> Self {
        let dims = vectors.dims();
        let slots = if vectors.is_spilled() {
            (cache_bytes / (dims * 4).max(1)).clamp(1, vectors.len().max(1))
        } else {
            0
        };
        GuardRows {
            vectors,
            dims,
            current: None,
            current_row: Vec::new(),
            tags: vec![u32::MAX; slots],
            data: vec![0.0; slots * dims],
            buf: Vec::new(),
            row: Vec::new(),
        }
    }

    /// Cosine of the earlier vector `i` and the later `d`.
    fn cosine(&mut self, i: u32, d: u32) -> Result<f64> {
        if self.tags.is_empty() {
            return self.vectors.cosine(i as usize, d as usize);
        }
        if self.current != Some(d) {
            let d = d as usize;
            self.vectors
                .read_block(d, d + 1, &mut self.buf, &mut self.current_row)?;
            self.current = Some(d as u32);
        }
        let slot = i as usize % self.tags.len();
        let row = &mut self.data[slot * self.dims..][..self.dims];
        if self.tags[slot] != i {
            let i = i as usize;
            self.vectors
                .read_block(i, i + 1, &mut self.buf, &mut self.row)?;
            row.copy_from_slice(&self.row);
            self.tags[slot] = i as u32;
        }
        Ok(dot(row, &self.current_row))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::semantic::candidates::{candidate_work, exact_pairs, verify_work};
    use crate::dedup::semantic::SemanticConfig;
    use crate::progress::NoProgress;
    use crate::sketch::SplitMix64;

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    fn vectors_of(rows: &[Vec<f32>]) -> Vectors {
        let mut v = Vectors::new(rows[0].len());
        for (i, r) in rows.iter().enumerate() {
            assert!(v.push(i as u32, &unit(r)).unwrap());
        }
        v
    }

    #[test]
    fn a_chain_is_cut_where_the_kept_vector_no_longer_matches() {
        // 0 ~ 1 and 1 ~ 2 at cosine about 0.95; 0 and 2 at about 0.81.
        let t: f32 = 0.32;
        let rows = vec![
            vec![1.0, 0.0],
            vec![t.cos(), t.sin()],
            vec![(2.0 * t).cos(), (2.0 * t).sin()],
        ];
        let v = vectors_of(&rows);
        let mut verified = exact_pairs(&v, 0.9, &NoProgress).unwrap();
        assert_eq!(verified.edges.len(), 2);
        assert_eq!(
            guarded_positions(&v, FirstMatch::default(), &mut verified, 0.9, 0).unwrap(),
            [0, 0, 2]
        );
    }

    #[test]
    fn first_match_representatives_are_verified_when_kept() {
        // 1 is near 0, so removed. 2 has a verified edge with 1 and an untested first-match
        // representative 0 (verification stops at a group's first match): the guard verifies it
        // with 0, the earliest kept candidate, and lists that pair.
        let rows = vec![
            vec![1.0, 0.0, 0.0],
            vec![1.0, 0.1, 0.0],
            vec![1.0, 0.2, 0.0],
            vec![0.0, 0.0, 1.0],
        ];
        let v = vectors_of(&rows);
        let mut verified = SemanticVerified {
            edges: vec![
                SemanticEdge {
                    a: 0,
                    b: 1,
                    cosine: v.cosine(0, 1).unwrap(),
                },
                SemanticEdge {
                    a: 1,
                    b: 2,
                    cosine: v.cosine(1, 2).unwrap(),
                },
            ],
            compared: 2,
            unmatched_members: 0,
        };
        let first_match = vec![(2, 0), (2, 1), (3, 0)];
        let c = guarded_positions(&v, first_match.into(), &mut verified, 0.9, 0).unwrap();
        assert_eq!(c, [0, 0, 0, 3]);
        // The lazily verified pair (0, 2) is now listed; (0, 3) failed and is not.
        let listed: Vec<(u32, u32)> = verified.edges.iter().map(|e| (e.a, e.b)).collect();
        assert_eq!(listed, [(0, 1), (0, 2), (1, 2)]);
    }

    /// The rule by its definition, over cosine.
    fn by_definition(v: &Vectors, candidates: &[(u32, u32)], threshold: f64) -> Vec<u32> {
        crate::dedup::guard::rule_by_definition(v.len(), candidates.iter().copied(), |a, b| {
            v.cosine(a as usize, b as usize).unwrap() >= threshold
        })
    }

    #[test]
    fn lsh_work_gives_the_rule_and_every_removed_vector_verifies_against_its_kept_one() {
        // Clumps of near directions (chains within them), so that LSH buckets overflow the
        // 64-member limit and first-match groups are used.
        let dims = 16;
        let mut rng = SplitMix64(9);
        let mut r = || (rng.next_u64() >> 11) as f32 / (1u64 << 53) as f32 - 0.5;
        let centres: Vec<Vec<f32>> = (0..3).map(|_| (0..dims).map(|_| r()).collect()).collect();
        let rows: Vec<Vec<f32>> = (0..300)
            .map(|i| {
                let c = &centres[i % 3];
                c.iter().map(|x| x + 0.12 * r()).collect()
            })
            .collect();
        let v = vectors_of(&rows);
        let config = SemanticConfig {
            threshold: 0.95,
            rows: 4,
            bands: Some(6),
            ..SemanticConfig::default()
        };
        let work = candidate_work(&v, &config, &NoProgress).unwrap();
        assert!(work.large_buckets > 0 && !work.first_match.is_empty());
        let mut verified = verify_work(&v, &work, config.threshold, &NoProgress).unwrap();
        let c = guarded_positions(
            &v,
            work.first_match.clone().into(),
            &mut verified,
            config.threshold,
            0,
        )
        .unwrap();
        let all: Vec<(u32, u32)> = work
            .pairs
            .iter()
            .copied()
            .chain(work.first_match.iter().map(|&(m, rep)| (rep, m)))
            .collect();
        assert_eq!(c, by_definition(&v, &all, config.threshold));
        let listed: std::collections::BTreeSet<(u32, u32)> =
            verified.edges.iter().map(|e| (e.a, e.b)).collect();
        for (d, &k) in c.iter().enumerate() {
            if k != d as u32 {
                assert_eq!(c[k as usize], k, "joined a kept vector");
                assert!(v.cosine(k as usize, d).unwrap() >= config.threshold);
                assert!(listed.contains(&(k, d as u32)), "its pair is listed");
            }
        }
        assert!(c.iter().enumerate().any(|(d, &k)| k != d as u32));

        // The same vectors on disk: the same clusters and edges whatever rows the guard caches
        // (one slot, so that every ask of another row misses; a few; all).
        let tmp = tempfile::tempdir().unwrap();
        let dir = std::sync::Arc::new(crate::spill::SpillDir::for_job(tmp.path(), None));
        let mut disk = Vectors::spilling(dims, 0, &dir);
        for (i, r) in rows.iter().enumerate() {
            assert!(disk.push(i as u32, &unit(r)).unwrap());
        }
        disk.finish().unwrap();
        assert!(disk.is_spilled());
        for cache_bytes in [0, 7 * dims * 4, usize::MAX / 2] {
            let mut on_disk = verify_work(&disk, &work, config.threshold, &NoProgress).unwrap();
            let d = guarded_positions(
                &disk,
                work.first_match.clone().into(),
                &mut on_disk,
                config.threshold,
                cache_bytes,
            )
            .unwrap();
            assert_eq!(d, c, "cache of {cache_bytes} bytes");
            assert_eq!(on_disk, verified, "cache of {cache_bytes} bytes");
        }
    }
}
