//! Verification of the candidate work: every candidate pair on its own ([`verify_pairs`]), and each
//! first-match group of a large bucket ([`super::buckets`]) tried in input order until the member
//! verifies against one of its representatives.
//!
//! Memory, in memory ([`verify_candidates`]): the shingle set of every document in a first-match
//! group (8 bytes per distinct shingle), besides what [`verify_pairs`] holds; 16 bytes per verified
//! edge; 24 bytes per group.
//!
//! Memory, spilling ([`verify_candidate_set`], when candidate work or shingles are on disk): pairs
//! as [`super::verify_pair_set`] holds them; first-match entries are read in order (merged from
//! their runs) in chunks of whole groups whose documents' shingle sets fit the set budget, read
//! from the store (the shingle spill file, by offset) and dropped after the chunk. For guarded
//! clustering the entries a group did not try (those after the representative it matched) stay in
//! memory, 8 bytes each, and the guard reads the sets it needs from the store one pair at a time.

use super::sketch::sorted_set;
use super::{verify_pair_set, verify_pairs, CandidateSet, Candidates, Edge, SketchStore};
use crate::error::Result;
use crate::hashing::FastSet;
use crate::progress::Progress;
use crate::sketch::estimate_jaccard;
use crate::spill::{SpillDir, StageMemory};
use rayon::prelude::*;
use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The outcome of verification.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Verified {
    /// Distinct verified edges (similarity >= threshold), sorted by `(a, b)`.
    pub edges: Vec<Edge>,
    /// Members of large buckets that verified against none of their representatives.
    pub unmatched_members: usize,
    /// The first-match groups: `(member, representatives)` ranges into `Candidates::first_match`,
    /// with the representative each member was linked to (`None`: unmatched).
    pub groups: Vec<Group>,
}

/// One first-match group after verification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Group {
    /// The member.
    pub member: u32,
    /// Its entries in `Candidates::first_match`: `start..end`.
    pub start: usize,
    /// End of its entries.
    pub end: usize,
    /// The first representative it verified against, if any.
    pub matched: Option<u32>,
}

/// The similarity of two documents as verification defines it: the true Jaccard of their shingle
/// sets, or the signature estimate when the store keeps signatures instead. The sets of the prepared
/// documents are held; any other document's set is read from the store when asked for.
pub struct Similarity<'a> {
    store: &'a SketchStore,
    docs: Vec<u32>,
    sets: Vec<Vec<u64>>,
}

impl<'a> Similarity<'a> {
    /// Prepare the shingle sets of `docs` (any order, repeats allowed), from a store whose shingles
    /// are in memory.
    pub fn new(store: &'a SketchStore, docs: Vec<u32>) -> Self {
        Self::try_new(store, docs).expect("shingles in memory are read without error")
    }

    /// Prepare the shingle sets of `docs`, reading them from disk where the store spilled them.
    pub fn try_new(store: &'a SketchStore, mut docs: Vec<u32>) -> Result<Self> {
        if store.keeps_signatures() {
            docs.clear();
        }
        docs.par_sort_unstable();
        docs.dedup();
        let sets = docs
            .par_iter()
            .map(|&d| store.shingles(d).map(|s| sorted_set(&s)))
            .collect::<Result<_>>()?;
        Ok(Similarity { store, docs, sets })
    }

    /// Bytes of the prepared sets.
    pub fn memory_bytes(&self) -> u64 {
        self.sets
            .iter()
            .map(|s| s.capacity() as u64 * 8 + 24)
            .sum::<u64>()
            + self.docs.len() as u64 * 4
    }

    /// Nothing prepared: every set is read from the store when asked for.
    pub fn lazy(store: &'a SketchStore) -> Self {
        Similarity {
            store,
            docs: Vec::new(),
            sets: Vec::new(),
        }
    }

    fn set(&self, d: u32) -> Result<Cow<'_, [u64]>> {
        match self.docs.binary_search(&d) {
            Ok(i) => Ok(Cow::Borrowed(&self.sets[i])),
            Err(_) => Ok(Cow::Owned(sorted_set(&self.store.shingles(d)?))),
        }
    }

    /// Similarity of `a` and `b`, reading from the store what is not prepared.
    pub fn try_of(&self, a: u32, b: u32) -> Result<f64> {
        Ok(match (self.store.signature(a), self.store.signature(b)) {
            (Some(sa), Some(sb)) => estimate_jaccard(sa, sb),
            _ => super::jaccard(&self.set(a)?, &self.set(b)?),
        })
    }

    /// Similarity of `a` and `b` (both among the prepared documents, or in a store whose shingles
    /// are in memory).
    pub fn of(&self, a: u32, b: u32) -> f64 {
        self.try_of(a, b)
            .expect("prepared or in-memory shingles are read without error")
    }
}

/// Verify the candidate work. Returns the verified edges and, for guarded clustering, the
/// first-match groups and the similarity they were verified with.
pub fn verify_candidates<'a>(
    store: &'a SketchStore,
    candidates: &Candidates,
    threshold: f64,
    progress: &dyn Progress,
) -> (Verified, Similarity<'a>) {
    let mut edges = verify_pairs(store, &candidates.pairs, threshold, progress);
    let entries = &candidates.first_match;
    let similarity = Similarity::new(store, entries.iter().flat_map(|&(m, r)| [m, r]).collect());
    let mut groups = Vec::new();
    let mut start = 0;
    for run in entries.chunk_by(|x, y| x.0 == y.0) {
        groups.push(Group {
            member: run[0].0,
            start,
            end: start + run.len(),
            matched: None,
        });
        start += run.len();
    }
    let done = AtomicU64::new(candidates.pairs.len() as u64);
    groups.par_iter_mut().for_each(|g| {
        let member = g.member;
        g.matched = entries[g.start..g.end]
            .iter()
            .map(|&(_, rep)| rep)
            .find(|&rep| similarity.of(rep, member) >= threshold);
        let n = (g.end - g.start) as u64;
        progress.update(done.fetch_add(n, Ordering::Relaxed) + n);
    });
    edges.extend(groups.iter().filter_map(|g| {
        g.matched.map(|rep| Edge {
            a: rep,
            b: g.member,
            jaccard: similarity.of(rep, g.member),
        })
    }));
    let unmatched_members = groups.iter().filter(|g| g.matched.is_none()).count();
    sort_edges(&mut edges);
    (
        Verified {
            edges,
            unmatched_members,
            groups,
        },
        similarity,
    )
}

/// The outcome of [`verify_candidate_set`].
pub struct VerifiedSet {
    /// Edges, unmatched members and groups. Each group's `start..end` indexes `entries`.
    pub verified: Verified,
    /// The first-match entries the guard still needs (`(member, representative)`): with
    /// `keep_entries`, for each matched group those after the representative it matched; else none.
    pub entries: Vec<(u32, u32)>,
    /// Distinct candidate pairs and first-match entries checked.
    pub candidates: u64,
    /// Memory and disk the stage used.
    pub memory: StageMemory,
}

/// Most first-match entries verified in one chunk.
const MAX_CHUNK_ENTRIES: usize = 1 << 20;

/// Verify candidate work that may be on disk: the same edges, unmatched members and (for the guard,
/// with `keep_entries`) groups as [`verify_candidates`] over the same candidates in memory, with the
/// shingle sets of at most about `set_bytes` held at once.
pub fn verify_candidate_set(
    store: &SketchStore,
    set: CandidateSet,
    threshold: f64,
    set_bytes: usize,
    keep_entries: bool,
    dir: &Arc<SpillDir>,
    progress: &dyn Progress,
) -> Result<VerifiedSet> {
    dir.start_stage();
    let CandidateSet {
        pairs, first_match, ..
    } = set;
    let pairs = verify_pair_set(store, pairs, threshold, set_bytes, dir, progress)?;
    let mut edges = pairs.edges;
    let mut candidates = pairs.candidates;
    let mut groups: Vec<Group> = Vec::new();
    let mut entries: Vec<(u32, u32)> = Vec::new();
    let mut unmatched_members = 0usize;
    let mut merger = first_match.merge(dir)?;
    let read_buffers = merger.buffer_bytes() as u64;
    let mut chunk: Vec<(u32, u32)> = Vec::new();
    let mut chunk_docs: FastSet<u32> = FastSet::default();
    let (mut chunk_bytes, mut peak_chunk_bytes) = (0usize, 0usize);
    loop {
        let next = merger.next_record()?.map(|p| ((p >> 32) as u32, p as u32));
        // A chunk ends only between groups, so that each group is tried in one piece.
        let boundary = next.is_none_or(|(m, _)| chunk.last().is_none_or(|l| l.0 != m));
        let full = chunk_bytes >= set_bytes || chunk.len() >= MAX_CHUNK_ENTRIES;
        if boundary && (full || next.is_none()) && !chunk.is_empty() {
            peak_chunk_bytes = peak_chunk_bytes.max(chunk_bytes + chunk.len() * 8);
            let similarity = Similarity::try_new(store, chunk_docs.drain().collect())?;
            let mut matched: Vec<(usize, usize, Option<u32>)> = Vec::new();
            let mut start = 0;
            for run in chunk.chunk_by(|x, y| x.0 == y.0) {
                matched.push((start, start + run.len(), None));
                start += run.len();
            }
            matched
                .par_iter_mut()
                .try_for_each(|(s, e, m)| -> Result<()> {
                    let member = chunk[*s].0;
                    for &(_, rep) in &chunk[*s..*e] {
                        if similarity.try_of(rep, member)? >= threshold {
                            *m = Some(rep);
                            break;
                        }
                    }
                    Ok(())
                })?;
            for &(s, e, m) in &matched {
                let member = chunk[s].0;
                let Some(rep) = m else {
                    unmatched_members += 1;
                    if keep_entries {
                        let at = entries.len();
                        groups.push(Group {
                            member,
                            start: at,
                            end: at,
                            matched: None,
                        });
                    }
                    continue;
                };
                edges.push(Edge {
                    a: rep,
                    b: member,
                    jaccard: similarity.try_of(rep, member)?,
                });
                if keep_entries {
                    let at = entries.len();
                    entries.extend(chunk[s..e].iter().filter(|&&(_, r)| r > rep));
                    groups.push(Group {
                        member,
                        start: at,
                        end: entries.len(),
                        matched: Some(rep),
                    });
                }
            }
            candidates += chunk.len() as u64;
            progress.update(candidates);
            chunk.clear();
            chunk_bytes = 0;
        }
        let Some((member, rep)) = next else { break };
        for d in [member, rep] {
            if !store.keeps_signatures() && chunk_docs.insert(d) {
                chunk_bytes += store.shingle_count(d) * 8 + 16;
            }
        }
        chunk.push((member, rep));
    }
    drop(merger);
    sort_edges(&mut edges);
    let memory = StageMemory {
        memory_estimate_bytes: pairs
            .memory
            .memory_estimate_bytes
            .max(store.memory_bytes() + peak_chunk_bytes as u64 + read_buffers)
            + (edges.len() * 16 + entries.len() * 8 + groups.len() * 24) as u64,
        spilled_bytes: 0,
        spill_files: 0,
        temp_disk_peak_bytes: dir.stage_peak(),
    };
    Ok(VerifiedSet {
        verified: Verified {
            edges,
            unmatched_members,
            groups,
        },
        entries,
        candidates,
        memory,
    })
}

/// Sort edges by `(a, b)` and drop repeats (an edge found both as a pair and in a group).
pub(crate) fn sort_edges(edges: &mut Vec<Edge>) {
    edges.par_sort_unstable_by_key(|e| (e.a, e.b));
    edges.dedup_by_key(|e| (e.a, e.b));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::DocSketch;
    use crate::progress::NoProgress;

    fn store(sets: &[&[u64]]) -> SketchStore {
        let mut store = SketchStore::new(false);
        for (i, s) in sets.iter().enumerate() {
            store.push(DocSketch {
                exact: i as u128,
                shingles: s.to_vec(),
                bands: vec![0],
                ..DocSketch::default()
            });
        }
        store
    }

    #[test]
    fn a_member_links_to_the_first_representative_it_matches() {
        let s = store(&[&[1, 2], &[5, 6, 7, 8, 9], &[5, 6, 7, 8, 9, 10], &[40]]);
        let candidates = Candidates {
            pairs: vec![(0, 1)],
            // Member 2 tries 0 (no), then 1 (yes); member 3 matches nobody.
            first_match: vec![(2, 0), (2, 1), (3, 0), (3, 1)],
            ..Candidates::default()
        };
        let (v, _) = verify_candidates(&s, &candidates, 0.8, &NoProgress);
        let edges: Vec<(u32, u32)> = v.edges.iter().map(|e| (e.a, e.b)).collect();
        assert_eq!(edges, [(1, 2)]);
        assert_eq!(v.edges[0].jaccard, 5.0 / 6.0);
        assert_eq!(v.unmatched_members, 1);
        assert_eq!(v.groups[0].matched, Some(1));
    }
}
