//! The corpus index of anchor n-grams: which n-grams are boilerplate (repeated across many documents
//! of one source, or across the corpus), and which document pairs share enough of the others to be
//! worth aligning.
//!
//! Built by sorting `(n-gram, document)` entries, like the dedup bucket join. Memory in memory mode
//! ([`build`]): 16 bytes per distinct n-gram of every document, plus 8 bytes per emitted document pair
//! (before counting). [`build_spilling`] gives the same result within a budget: the entries and the
//! pairs go through external sorters (12- and 8-byte records on disk, see [`crate::spill::record`]),
//! and only the boilerplate marks and the counted candidates (12 bytes each) stay in memory.

use crate::error::Result;
use crate::spill::{ExternalSorter, KeyDoc, SpillDir};
use rayon::prelude::*;
use std::collections::HashSet;
use std::sync::Arc;

/// Parameters of the index.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexParams {
    /// N-grams in more documents than this generate no candidate pairs (stock phrases).
    pub max_df: usize,
    /// Fewest distinct shared n-grams for a candidate pair.
    pub min_shared: usize,
    /// An n-gram is boilerplate of a source when at least this many of its documents hold it...
    pub boilerplate_min_docs: usize,
    /// ...and at least this share of the source's documents (capped at `boilerplate_cap_docs`).
    pub boilerplate_fraction: f64,
    /// The document count that makes an n-gram boilerplate of its source whatever the share.
    pub boilerplate_cap_docs: usize,
    /// An n-gram in at least this many documents from at least three sources is boilerplate
    /// everywhere (a widget line, a syndication notice).
    pub global_boilerplate_docs: usize,
}

/// The source number that marks corpus-wide boilerplate.
pub const GLOBAL: u32 = u32::MAX;

/// What the index found.
#[derive(Clone, Debug, Default)]
pub struct IndexResult {
    /// Candidate pairs `(a, b)`, `a < b`, sorted, with their count of shared n-grams.
    pub candidates: Vec<(u32, u32, u32)>,
    /// Boilerplate n-grams per source: `(n-gram, source)`.
    pub boilerplate: HashSet<(u64, u32)>,
    /// Distinct n-grams over the corpus.
    pub distinct_grams: usize,
    /// N-grams left out of candidate generation for being too common.
    pub too_common: usize,
}

/// What one n-gram's group of documents contributes.
struct GroupOutcome {
    /// `(n-gram, source)` boilerplate marks.
    boiler: Vec<(u64, u32)>,
    /// Packed pairs `a << 32 | b` of the documents for which the n-gram is not boilerplate.
    pairs: Vec<u64>,
    /// The n-gram is in too many documents to propose pairs.
    too_common: bool,
}

/// Documents of a source of `source_size` documents that must hold an n-gram (or a template line's
/// label) for it to be that source's boilerplate.
pub fn boilerplate_threshold(params: &IndexParams, source_size: usize) -> usize {
    let share = (params.boilerplate_fraction * source_size as f64).ceil() as usize;
    params
        .boilerplate_min_docs
        .max(share.min(params.boilerplate_cap_docs))
}

/// Build the index over each document's distinct n-grams. `source_of[d]` numbers document `d`'s
/// source (all documents share source 0 when sources are unknown); `source_sizes[s]` counts the
/// documents of source `s`.
pub fn build(
    grams: &[Vec<u64>],
    source_of: &[u32],
    source_sizes: &[usize],
    params: &IndexParams,
) -> IndexResult {
    let mut entries: Vec<(u64, u32)> = grams
        .iter()
        .enumerate()
        .flat_map(|(d, gs)| gs.iter().map(move |&g| (g, d as u32)))
        .collect();
    entries.par_sort_unstable();

    let groups: Vec<&[(u64, u32)]> = entries.chunk_by(|x, y| x.0 == y.0).collect();
    let distinct_grams = groups.len();
    // Per group: boilerplate (n-gram, source) marks and the packed pairs of the remaining documents.
    let per_group: Vec<GroupOutcome> = groups
        .par_iter()
        .filter(|g| g.len() >= 2)
        .map(|group| group_outcome(group, source_of, source_sizes, params))
        .collect();

    let mut boilerplate = HashSet::new();
    let mut too_common = 0;
    let mut packed: Vec<u64> = Vec::with_capacity(per_group.iter().map(|g| g.pairs.len()).sum());
    for g in per_group {
        boilerplate.extend(g.boiler);
        packed.extend(g.pairs);
        too_common += usize::from(g.too_common);
    }
    packed.par_sort_unstable();
    let candidates = packed
        .chunk_by(|x, y| x == y)
        .filter(|run| run.len() >= params.min_shared)
        .map(|run| ((run[0] >> 32) as u32, run[0] as u32, run.len() as u32))
        .collect();
    IndexResult {
        candidates,
        boilerplate,
        distinct_grams,
        too_common,
    }
}

/// What the n-gram `group` (its `(n-gram, document)` entries, two or more) contributes: boilerplate
/// marks, and the pairs of the documents for which it is not boilerplate.
fn group_outcome(
    group: &[(u64, u32)],
    source_of: &[u32],
    source_sizes: &[usize],
    params: &IndexParams,
) -> GroupOutcome {
    let threshold = |s: usize| boilerplate_threshold(params, source_sizes[s]);
    let gram = group[0].0;
    let mut counts: Vec<(u32, usize)> = Vec::new();
    for &(_, d) in group.iter() {
        let s = source_of[d as usize];
        match counts.iter_mut().find(|c| c.0 == s) {
            Some(c) => c.1 += 1,
            None => counts.push((s, 1)),
        }
    }
    let mut boiler: Vec<(u64, u32)> = counts
        .iter()
        .filter(|&&(s, c)| c >= threshold(s as usize))
        .map(|&(s, _)| (gram, s))
        .collect();
    if group.len() >= params.global_boilerplate_docs && counts.len() >= 3 {
        boiler.push((gram, GLOBAL));
    }
    let global = boiler.iter().any(|b| b.1 == GLOBAL);
    let docs: Vec<u32> = group
        .iter()
        .map(|&(_, d)| d)
        .filter(|&d| !global && !boiler.iter().any(|b| b.1 == source_of[d as usize]))
        .collect();
    let too_common = docs.len() > params.max_df;
    let mut pairs = Vec::new();
    if !too_common {
        for (i, &a) in docs.iter().enumerate() {
            for &b in &docs[i + 1..] {
                pairs.push(u64::from(a) << 32 | u64::from(b));
            }
        }
    }
    GroupOutcome {
        boiler,
        pairs,
        too_common,
    }
}

/// [`build`] within a memory budget: `grams(d)` gives document `d`'s distinct n-grams (read from a
/// spool); entries and pairs spill to `dir` past `entry_bytes` and `pair_bytes`. Same result as
/// [`build`]. Returns the result, the bytes spilled and the runs written.
#[allow(clippy::too_many_arguments)]
pub fn build_spilling(
    docs: usize,
    grams: impl Fn(usize) -> Result<Vec<u64>> + Sync,
    source_of: &[u32],
    source_sizes: &[usize],
    params: &IndexParams,
    dir: &Arc<SpillDir>,
    entry_bytes: usize,
    pair_bytes: usize,
) -> Result<(IndexResult, u64, u64)> {
    let mut entries: ExternalSorter<KeyDoc> =
        ExternalSorter::new(dir, "anchors", entry_bytes, false);
    const BATCH: usize = 4096;
    for start in (0..docs).step_by(BATCH) {
        let batch: Vec<Vec<u64>> = (start..(start + BATCH).min(docs))
            .into_par_iter()
            .map(&grams)
            .collect::<Result<_>>()?;
        for (i, gs) in batch.into_iter().enumerate() {
            for g in gs {
                entries.push((g, (start + i) as u32))?;
            }
        }
    }
    let sorted = entries.finish()?;
    let mut spilled = sorted.spilled_bytes();
    let mut files = sorted.runs() as u64;
    let mut merger = sorted.merge(dir)?;
    let mut pairs: ExternalSorter<u64> =
        ExternalSorter::new(dir, "anchor-pairs", pair_bytes, false);
    let mut boilerplate = HashSet::new();
    let (mut distinct_grams, mut too_common) = (0, 0);
    let mut group: Vec<(u64, u32)> = Vec::new();
    let mut take = |group: &[(u64, u32)], pairs: &mut ExternalSorter<u64>| -> Result<()> {
        distinct_grams += 1;
        if group.len() < 2 {
            return Ok(());
        }
        let g = group_outcome(group, source_of, source_sizes, params);
        boilerplate.extend(g.boiler);
        too_common += usize::from(g.too_common);
        for p in g.pairs {
            pairs.push(p)?;
        }
        Ok(())
    };
    while let Some(e) = merger.next_record()? {
        if group.last().is_some_and(|l| l.0 != e.0) {
            take(&group, &mut pairs)?;
            group.clear();
        }
        group.push(e);
    }
    if !group.is_empty() {
        take(&group, &mut pairs)?;
    }
    drop(merger);
    let sorted = pairs.finish()?;
    spilled += sorted.spilled_bytes();
    files += sorted.runs() as u64;
    let mut merger = sorted.merge(dir)?;
    let mut candidates = Vec::new();
    let mut run: Option<(u64, u32)> = None;
    let flush = |run: Option<(u64, u32)>, candidates: &mut Vec<(u32, u32, u32)>| {
        if let Some((p, n)) = run {
            if n as usize >= params.min_shared {
                candidates.push(((p >> 32) as u32, p as u32, n));
            }
        }
    };
    while let Some(p) = merger.next_record()? {
        match &mut run {
            Some((q, n)) if *q == p => *n += 1,
            _ => {
                flush(run, &mut candidates);
                run = Some((p, 1));
            }
        }
    }
    flush(run, &mut candidates);
    Ok((
        IndexResult {
            candidates,
            boilerplate,
            distinct_grams,
            too_common,
        },
        spilled,
        files,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> IndexParams {
        IndexParams {
            max_df: 10,
            min_shared: 2,
            boilerplate_min_docs: 3,
            boilerplate_fraction: 0.5,
            boilerplate_cap_docs: 50,
            global_boilerplate_docs: 100,
        }
    }

    #[test]
    fn shared_grams_make_candidates_and_source_repeats_make_boilerplate() {
        // Docs 0-3 are one source sharing gram 99 (a footer); docs 0 and 4 share grams 1, 2.
        let grams = vec![
            vec![1, 2, 99],
            vec![3, 99],
            vec![4, 99],
            vec![5, 99],
            vec![1, 2, 6],
        ];
        let r = build(&grams, &[0, 0, 0, 0, 1], &[4, 1], &params());
        assert_eq!(r.candidates, [(0, 4, 2)]);
        assert!(r.boilerplate.contains(&(99, 0)));
        assert_eq!(r.boilerplate.len(), 1);
    }

    #[test]
    fn the_spilling_index_gives_the_same_result() {
        // Many documents sharing grams in overlapping windows: pairs and entries spill at tiny budgets.
        let grams: Vec<Vec<u64>> = (0..3000u64)
            .map(|d| (d..d + 6).chain([1_000_000 + d % 7]).collect())
            .collect();
        let sources: Vec<u32> = (0..3000).map(|d| d % 4).collect();
        let r = build(&grams, &sources, &[750; 4], &params());
        assert!(r.candidates.len() > 1000);
        let out = tempfile::tempdir().unwrap();
        let dir = Arc::new(SpillDir::for_job(out.path(), None));
        let (s, spilled, files) = build_spilling(
            grams.len(),
            |d| Ok(grams[d].clone()),
            &sources,
            &[750; 4],
            &params(),
            &dir,
            1,
            1,
        )
        .unwrap();
        assert!(spilled > 0 && files > 2);
        assert_eq!(s.candidates, r.candidates);
        assert_eq!(s.boilerplate, r.boilerplate);
        assert_eq!(
            (s.distinct_grams, s.too_common),
            (r.distinct_grams, r.too_common)
        );
        assert_eq!(dir.disk_now(), 0);
    }

    #[test]
    fn single_shared_grams_and_common_grams_do_not_pair() {
        let mut grams: Vec<Vec<u64>> = (0..12).map(|d| vec![7, 100 + d]).collect();
        grams[0].push(1);
        grams[1].push(1);
        // Twelve sources of one document each: gram 7 is in 12 > max_df documents.
        let sources: Vec<u32> = (0..12).collect();
        let r = build(&grams, &sources, &[1; 12], &params());
        assert!(r.candidates.is_empty(), "{:?}", r.candidates);
        assert_eq!(r.too_common, 1);
    }
}
