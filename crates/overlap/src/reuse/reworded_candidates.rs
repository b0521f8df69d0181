//! Step 1 of `reuse --semantic` ([`super::reworded`]): candidate pairs of documents by the rare
//! word pairs they share, within the memory budget.
//!
//! Every document gives its rare word pairs ([`super::reworded::word_pairs`]: hashes, each with
//! the first sentence that holds it). They become `(pair, document, sentence)` entries, sorted; a
//! word pair in 2 to [`Rule::max_df`] documents gives, for each two of them `a < b`, an entry
//! `(a << 32 | b, sentence of a, sentence of b)`; those, sorted, give the document pairs sharing
//! [`Rule::min_shared`] word pairs (two of them in distinct sentences of both documents, with
//! [`Rule::distinct_sentences`]) that are not related already: the candidates, sorted.
//!
//! Memory: both sorts go through the spill store ([`crate::spill::ExternalSorter`], 16 bytes an
//! entry, `(u64, u32, u32)` records on disk), one after the other, each buffer at most
//! [`CandidateSpill::bytes`] (the job gives an eighth of `--memory`); past it the buffer is sorted
//! and written as a run, and the runs are merged (256 KiB of read buffer per run, at most 64 runs
//! at once; more are first merged in groups). The documents' word pairs are computed a batch at a
//! time (as many documents as `doc_cost` says fit in [`CandidateSpill::bytes`], 1,024 at most),
//! pushed, and dropped; while a document's word pairs are computed its prepared form is held (one
//! per thread). When a buffer fits, nothing touches the disk and its entries are sorted in memory
//! as before this stage spilled (the first sort's entries are held while the second fills, as
//! they were). Held beside the budget: the candidates (8 bytes each) and the set of pairs related
//! already. Sorted runs and the in-memory sort give the same records in the same order, so the
//! candidates are the same, in the same order, at any budget and thread count. Disk, when
//! spilled: 16 bytes per word pair per document and 16 per shared word pair per document pair
//! (once per merge pass). `summary.json` reports the stage as `memory.stages.semantic_candidates`.

use crate::error::Result;
use crate::hashing::FastSet;
use crate::progress::{Progress, Unit};
use crate::spill::{ExternalSorter, Record, Sorted, SpillDir, StageMemory, MAX_FAN_IN};
use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Which document pairs are candidates (see [`super::reworded::RewordedConfig`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Fewest distinct word pairs two documents must share.
    pub min_shared: usize,
    /// A word pair in more documents than this proposes no candidates.
    pub max_df: usize,
    /// Whether two of the shared word pairs must lie in distinct sentences of both documents.
    pub distinct_sentences: bool,
    /// Word pairs held by this many documents or more are also returned, as lines recurring
    /// across the corpus ([`super::recurring`]); 0 returns none.
    pub common_from: usize,
}

/// What step 1 found.
#[derive(Debug)]
pub struct Found {
    /// The candidate pairs `(a, b)`, `a < b`, sorted.
    pub candidates: Vec<(u32, u32)>,
    /// How many word pairs each candidate shares, in the order of `candidates`.
    pub shared: Vec<u32>,
    /// The hashes of the word pairs held by [`Rule::common_from`] documents or more, sorted.
    pub common: Vec<u64>,
    /// What the stage held and spilled.
    pub memory: StageMemory,
}

/// Where the candidate stage spills, and how much each of its buffers may hold.
#[derive(Clone, Copy, Debug)]
pub struct CandidateSpill<'a> {
    /// The job's spill directory.
    pub dir: &'a Arc<SpillDir>,
    /// Bytes each sort buffer (and each batch of documents' word pairs) may take.
    pub bytes: usize,
}

/// Records of both sorts: `(word pair, document, sentence)`, then `(a << 32 | b, sentence of a,
/// sentence of b)`.
type Entry = (u64, u32, u32);

/// Bytes per entry in memory.
const ENTRY_BYTES: u64 = std::mem::size_of::<Entry>() as u64;

/// Most documents whose word pairs are computed at once.
const MAX_BATCH: usize = 1024;

/// The candidate pairs `(a, b)`, `a < b`, sorted, among `docs` documents whose word pairs
/// (sorted by hash, hashes distinct) `word_pairs(d)` gives, leaving out `related`; with the
/// common word pairs and what the stage held and spilled. `doc_cost(d)` bounds the memory of computing document `d`'s word pairs
/// (its prepared form, which holds more than its word pairs), for the size of a batch.
pub fn find(
    docs: usize,
    word_pairs: &(dyn Fn(usize) -> Result<Vec<(u64, u32)>> + Sync),
    doc_cost: &(dyn Fn(u32) -> u64 + Sync),
    rule: Rule,
    related: &[(u32, u32)],
    spill: CandidateSpill<'_>,
    progress: &dyn Progress,
) -> Result<Found> {
    let dir = spill.dir;
    dir.start_stage();
    progress.start("semantic candidates", Some(docs as u64), Unit::Documents);
    let done = AtomicU64::new(0);
    let mut entries: ExternalSorter<Entry> =
        ExternalSorter::new(dir, "semantic-word-pairs", spill.bytes, false);
    let mut peak = 0u64;
    let mut start = 0;
    while start < docs {
        let mut end = start;
        let mut cost = 0u64;
        while end < docs && end - start < MAX_BATCH && (cost < spill.bytes as u64 || end == start) {
            cost += doc_cost(end as u32);
            end += 1;
        }
        let batch: Vec<Vec<(u64, u32)>> = (start..end)
            .into_par_iter()
            .map(|d| {
                let out = word_pairs(d);
                progress.update(done.fetch_add(1, Ordering::Relaxed) + 1);
                out
            })
            .collect::<Result<_>>()?;
        let batch_bytes: u64 = batch.iter().map(|b| b.len() as u64 * 16).sum();
        peak = peak.max(batch_bytes + entries.buffered() as u64 * ENTRY_BYTES);
        for (i, pairs) in batch.into_iter().enumerate() {
            let d = (start + i) as u32;
            for (g, s) in pairs {
                entries.push((g, d, s))?;
            }
        }
        start = end;
    }
    progress.finish();
    let entries = entries.finish()?;
    let mut memory = StageMemory {
        spilled_bytes: entries.spilled_bytes(),
        spill_files: entries.runs() as u64,
        ..StageMemory::default()
    };
    let entries_held = held(&entries);

    // By word pair: each two documents of a group not too common, with their sentences.
    let mut shared: ExternalSorter<Entry> =
        ExternalSorter::new(dir, "semantic-shared-pairs", spill.bytes, false);
    let mut group: Vec<(u32, u32)> = Vec::new();
    // Documents holding the current word pair, counted past `max_df` (the group stops there).
    let mut holders = 0usize;
    let mut common: Vec<u64> = Vec::new();
    let mut key: Option<u64> = None;
    let emit = |group: &[(u32, u32)], shared: &mut ExternalSorter<Entry>| -> Result<()> {
        if group.len() < 2 || group.len() > rule.max_df {
            return Ok(());
        }
        for (i, &(a, sa)) in group.iter().enumerate() {
            for &(b, sb) in &group[i + 1..] {
                shared.push((u64::from(a) << 32 | u64::from(b), sa, sb))?;
            }
        }
        Ok(())
    };
    let mut shared_peak = 0u64;
    each(entries, dir, |(g, d, s)| {
        if key != Some(g) {
            emit(&group, &mut shared)?;
            shared_peak = shared_peak.max(shared.buffered() as u64);
            if let Some(k) = key.filter(|_| rule.common_from > 0 && holders >= rule.common_from) {
                common.push(k);
            }
            group.clear();
            holders = 0;
            key = Some(g);
        }
        holders += 1;
        // A group past `max_df` proposes nothing: its length is all that matters.
        if group.len() <= rule.max_df {
            group.push((d, s));
        }
        Ok(())
    })?;
    emit(&group, &mut shared)?;
    if let Some(k) = key.filter(|_| rule.common_from > 0 && holders >= rule.common_from) {
        common.push(k);
    }
    drop(group);
    shared_peak = shared_peak.max(shared.buffered() as u64);
    peak = peak.max(entries_held + shared_peak * ENTRY_BYTES);
    let shared = shared.finish()?;
    memory.spilled_bytes += shared.spilled_bytes();
    memory.spill_files += shared.runs() as u64;
    let shared_held = held(&shared);

    // By document pair: the pairs that share enough word pairs.
    let known: FastSet<(u32, u32)> = related.iter().copied().collect();
    let mut candidates: Vec<(u32, u32)> = Vec::new();
    let mut counts: Vec<u32> = Vec::new();
    let mut run: Option<(u64, SharedRun)> = None;
    let mut flush = |run: &Option<(u64, SharedRun)>, candidates: &mut Vec<(u32, u32)>| {
        if let Some((p, r)) = run {
            let pair = ((p >> 32) as u32, *p as u32);
            if r.count >= rule.min_shared
                && (!rule.distinct_sentences || r.in_two_sentences())
                && !known.contains(&pair)
            {
                candidates.push(pair);
                counts.push(u32::try_from(r.count).unwrap_or(u32::MAX));
            }
        }
    };
    each(shared, dir, |(p, sa, sb)| {
        match &mut run {
            Some((q, r)) if *q == p => r.add(sa, sb),
            _ => {
                flush(&run, &mut candidates);
                run = Some((p, SharedRun::new(sa, sb)));
            }
        }
        Ok(())
    })?;
    flush(&run, &mut candidates);
    peak = peak.max(shared_held + candidates.len() as u64 * 12);
    memory.memory_estimate_bytes = peak + common.len() as u64 * 8;
    memory.temp_disk_peak_bytes = dir.stage_peak();
    Ok(Found {
        candidates,
        shared: counts,
        common,
        memory,
    })
}

/// Bytes `sorted` holds while it is read: its records when none is on disk, else one read buffer
/// per run merged at once.
fn held<R: Record>(sorted: &Sorted<R>) -> u64 {
    if sorted.is_spilled() {
        (sorted.runs().min(MAX_FAN_IN) * crate::spill::READ_BUFFER) as u64
    } else {
        sorted.len_bound() * std::mem::size_of::<R>() as u64
    }
}

/// Call `f` on each record of `sorted` in order: from one sorted vector when none is on disk (as
/// the pass sorted before it spilled), else through a merge of the runs.
fn each<R: Record>(
    sorted: Sorted<R>,
    dir: &Arc<SpillDir>,
    mut f: impl FnMut(R) -> Result<()>,
) -> Result<()> {
    match sorted.try_into_vec() {
        Ok(records) => records.into_iter().try_for_each(f),
        Err(sorted) => {
            let mut merger = sorted.merge(dir)?;
            while let Some(r) = merger.next_record()? {
                f(r)?;
            }
            Ok(())
        }
    }
}

/// The shared word pairs of one document pair, read in order: how many, and whether two of them
/// lie in distinct sentences of both documents. In one pass: against the first entry `(s, t)`,
/// another entry in other sentences of both is such a second one; failing that, every entry
/// shares `s` or `t`, and two entries qualify exactly when one lies outside `s` (so in `t`) and
/// another outside `t` (so in `s`).
#[derive(Clone, Copy, Debug)]
struct SharedRun {
    count: usize,
    first: (u32, u32),
    both_differ: bool,
    other_a: bool,
    other_b: bool,
}

impl SharedRun {
    fn new(s: u32, t: u32) -> Self {
        SharedRun {
            count: 1,
            first: (s, t),
            both_differ: false,
            other_a: false,
            other_b: false,
        }
    }

    fn add(&mut self, x: u32, y: u32) {
        let (s, t) = self.first;
        self.count += 1;
        self.both_differ |= x != s && y != t;
        self.other_a |= x != s;
        self.other_b |= y != t;
    }

    fn in_two_sentences(&self) -> bool {
        self.both_differ || (self.other_a && self.other_b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;
    use proptest::prelude::*;

    /// Whether two of `run`'s `(sentence of a, sentence of b)` lie in distinct sentences of both.
    fn in_two_sentences(run: &[(u32, u32)]) -> bool {
        let Some(&(s, t)) = run.first() else {
            return false;
        };
        let mut r = SharedRun::new(s, t);
        for &(x, y) in &run[1..] {
            r.add(x, y);
        }
        r.in_two_sentences()
    }

    /// [`find`] on documents' word pairs `grams` with every buffer at `bytes` (0: runs of 1,024
    /// entries), with its stage report; every spill file is gone after.
    fn find_with(
        grams: &[Vec<(u64, u32)>],
        rule: Rule,
        related: &[(u32, u32)],
        bytes: usize,
    ) -> Found {
        let out = tempfile::tempdir().unwrap();
        let dir = Arc::new(SpillDir::for_job(out.path(), None));
        let found = find(
            grams.len(),
            &|d| Ok(grams[d].clone()),
            &|_| 1 << 10,
            rule,
            related,
            CandidateSpill { dir: &dir, bytes },
            &NoProgress,
        )
        .unwrap();
        assert_eq!(dir.disk_now(), 0, "spill files left");
        found
    }

    fn candidates(
        grams: &[Vec<(u64, u32)>],
        min_shared: usize,
        max_df: usize,
        distinct: bool,
    ) -> Vec<(u32, u32)> {
        let rule = Rule {
            min_shared,
            max_df,
            distinct_sentences: distinct,
            common_from: 0,
        };
        find_with(grams, rule, &[], 1 << 30).candidates
    }

    /// The rule read plainly: every two documents, their shared word pairs that are in at most
    /// `max_df` documents, counted, and two of them in distinct sentences of both, tried every way.
    /// How many word pairs documents `a` and `b` share, each in at most `max_df` documents.
    fn shared_count(grams: &[Vec<(u64, u32)>], max_df: usize, (a, b): (u32, u32)) -> u32 {
        let df = |g: u64| {
            grams
                .iter()
                .filter(|gs| gs.iter().any(|x| x.0 == g))
                .count()
        };
        grams[a as usize]
            .iter()
            .filter(|&&(g, _)| grams[b as usize].iter().any(|x| x.0 == g) && df(g) <= max_df)
            .count() as u32
    }

    fn brute_force(
        grams: &[Vec<(u64, u32)>],
        rule: Rule,
        related: &[(u32, u32)],
    ) -> Vec<(u32, u32)> {
        let df = |g: u64| {
            grams
                .iter()
                .filter(|gs| gs.iter().any(|x| x.0 == g))
                .count()
        };
        let mut out = Vec::new();
        for a in 0..grams.len() {
            for b in a + 1..grams.len() {
                let shared: Vec<(u32, u32)> = grams[a]
                    .iter()
                    .filter_map(|&(g, sa)| {
                        let &(_, sb) = grams[b].iter().find(|x| x.0 == g)?;
                        (df(g) <= rule.max_df).then_some((sa, sb))
                    })
                    .collect();
                let two = shared
                    .iter()
                    .enumerate()
                    .any(|(i, x)| shared[i + 1..].iter().any(|y| x.0 != y.0 && x.1 != y.1));
                let pair = (a as u32, b as u32);
                if shared.len() >= rule.min_shared
                    && (!rule.distinct_sentences || two)
                    && !related.contains(&pair)
                {
                    out.push(pair);
                }
            }
        }
        out
    }

    /// Word pairs of `docs` documents as [`super::super::reworded::word_pairs`] gives them:
    /// hashes distinct (and sorted), each with a sentence.
    fn documents(raw: Vec<Vec<(u64, u32)>>) -> Vec<Vec<(u64, u32)>> {
        raw.into_iter()
            .map(|mut gs| {
                gs.sort_unstable();
                gs.dedup_by_key(|e| e.0);
                gs
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn candidates_spilled_are_those_in_memory_and_those_of_the_rule(
            raw in proptest::collection::vec(
                proptest::collection::vec((0u64..60, 0u32..4), 0..40), 0..60),
            min_shared in 1usize..4,
            max_df in 1usize..12,
            distinct in any::<bool>(),
            skip in 0usize..5,
            common_from in 0usize..8,
        ) {
            let grams = documents(raw);
            let rule = Rule { min_shared, max_df, distinct_sentences: distinct, common_from };
            let all = brute_force(&grams, rule, &[]);
            // Some of them related already.
            let related: Vec<(u32, u32)> = all.iter().copied().step_by(skip + 1).collect();
            let want = brute_force(&grams, rule, &related);
            // The word pairs held by `common_from` documents or more, read plainly.
            let mut want_common: Vec<u64> = grams.iter().flatten().map(|e| e.0).collect();
            want_common.sort_unstable();
            let want_common: Vec<u64> = if common_from == 0 {
                Vec::new()
            } else {
                want_common
                    .chunk_by(|x, y| x == y)
                    .filter(|g| g.len() >= common_from)
                    .map(|g| g[0])
                    .collect()
            };
            let want_shared: Vec<u32> =
                want.iter().map(|&p| shared_count(&grams, rule.max_df, p)).collect();
            let Found { candidates: in_memory, shared, common, memory: m } =
                find_with(&grams, rule, &related, 1 << 30);
            prop_assert_eq!(&in_memory, &want);
            prop_assert_eq!(&shared, &want_shared);
            prop_assert_eq!(&common, &want_common);
            prop_assert_eq!(m.spill_files, 0);
            prop_assert_eq!(m.spilled_bytes, 0);
            let Found { candidates: spilled, shared: spilled_shared, common: spilled_common, memory: s } =
                find_with(&grams, rule, &related, 0);
            prop_assert_eq!(&spilled, &want);
            prop_assert_eq!(&spilled_shared, &want_shared);
            prop_assert_eq!(&spilled_common, &want_common);
            let entries: usize = grams.iter().map(Vec::len).sum();
            // Runs of 1,024 entries: that many entries spill.
            if entries >= 1024 {
                prop_assert!(s.spill_files > 0);
            }
        }
    }

    #[test]
    fn a_corpus_past_the_buffer_spills_both_sorts_and_finds_the_same_candidates() {
        // 3,000 documents, each with 40 word pairs in 8 sentences, of which 6 shared with the
        // next document and 2 with every tenth: far more than 1,024 entries of either sort.
        let grams: Vec<Vec<(u64, u32)>> = documents(
            (0..3000u64)
                .map(|d| {
                    // Its own: no other document has them.
                    let mut gs: Vec<(u64, u32)> = (0..32)
                        .map(|i| (1 << 62 | d << 8 | i, i as u32 % 8))
                        .collect();
                    gs.extend((0..3).map(|i| (d * 8 + i, i as u32)));
                    gs.extend((0..3).map(|i| ((d + 1) * 8 + i, 4 + i as u32)));
                    gs.extend((0..2).map(|i| ((1 << 60) + (d / 10) * 2 + i, i as u32 * 3)));
                    gs
                })
                .collect(),
        );
        let rule = Rule {
            min_shared: 2,
            max_df: 20,
            distinct_sentences: true,
            common_from: 0,
        };
        let Found {
            candidates: in_memory,
            memory: m,
            ..
        } = find_with(&grams, rule, &[(0, 1)], 1 << 30);
        let Found {
            candidates: spilled,
            memory: s,
            ..
        } = find_with(&grams, rule, &[(0, 1)], 0);
        assert_eq!(in_memory, spilled);
        assert_eq!((m.spill_files, m.spilled_bytes), (0, 0));
        let entries: u64 = grams.iter().map(|g| g.len() as u64).sum();
        assert!(s.spill_files >= entries / 1024, "{s:?}");
        assert!(s.spilled_bytes > entries * 16, "both sorts spilled: {s:?}");
        // Each document with the next (but 0 with 1, related), and within every ten.
        assert!(in_memory.contains(&(1, 2)) && !in_memory.contains(&(0, 1)));
        assert!(in_memory.contains(&(10, 19)));
        assert!(in_memory.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn documents_sharing_enough_rare_word_pairs_are_candidates() {
        // Documents 0 and 1 share pairs 1 and 2; 2 shares only 1 with them; pair 9 is in too many.
        // Every pair in its own sentence (the sentence number is the pair's).
        let grams: Vec<Vec<(u64, u32)>> = [vec![1, 2, 9], vec![1, 2, 3, 9], vec![1, 9], vec![9]]
            .iter()
            .map(|gs| gs.iter().map(|&g| (g, g as u32)).collect())
            .chain([vec![]])
            .collect();
        for distinct in [false, true] {
            assert_eq!(candidates(&grams, 2, 3, distinct), vec![(0, 1)]);
            assert_eq!(
                candidates(&grams, 2, 4, distinct),
                vec![(0, 1), (0, 2), (1, 2)],
                "9 with 1"
            );
        }
        assert_eq!(
            candidates(&grams, 1, 3, false),
            vec![(0, 1), (0, 2), (1, 2)]
        );
    }

    #[test]
    fn two_shared_word_pairs_of_one_sentence_make_no_candidate_when_sentences_must_differ() {
        // Documents 0 and 1 share word pairs 1 and 2, both from sentence 0 of document 0.
        let grams = vec![vec![(1, 0), (2, 0)], vec![(1, 3), (2, 5)]];
        assert_eq!(candidates(&grams, 2, 20, false), vec![(0, 1)]);
        assert!(candidates(&grams, 2, 20, true).is_empty());
        // Distinct sentences on both sides: a candidate.
        let grams = vec![vec![(1, 0), (2, 1)], vec![(1, 3), (2, 5)]];
        assert_eq!(candidates(&grams, 2, 20, true), vec![(0, 1)]);
    }

    #[test]
    fn two_entries_in_distinct_sentences_of_both_sides_are_found_in_any_order() {
        assert!(!in_two_sentences(&[]));
        assert!(!in_two_sentences(&[(1, 1)]));
        assert!(
            !in_two_sentences(&[(1, 1), (1, 2), (1, 3)]),
            "one sentence of a"
        );
        assert!(
            !in_two_sentences(&[(1, 1), (2, 1), (3, 1)]),
            "one sentence of b"
        );
        assert!(in_two_sentences(&[(1, 1), (2, 2)]));
        // Neither entry differs from the first on both sides, but the two others do.
        assert!(in_two_sentences(&[(1, 1), (1, 2), (2, 1)]));
        // The brute force agrees on every small run.
        let all: Vec<(u32, u32)> = (0..3).flat_map(|s| (0..3).map(move |t| (s, t))).collect();
        for mask in 0u32..(1 << all.len()) {
            let run: Vec<_> = (0..all.len())
                .filter(|i| mask >> i & 1 == 1)
                .map(|i| all[i])
                .collect();
            let brute = run
                .iter()
                .enumerate()
                .any(|(i, x)| run[i + 1..].iter().any(|y| x.0 != y.0 && x.1 != y.1));
            assert_eq!(in_two_sentences(&run), brute, "{run:?}");
        }
    }
}
