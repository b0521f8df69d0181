//! The spilling paths of the store, candidate, verification and guard stages give the in-memory
//! results, bounds' large-bucket rule included.

use super::*;
use crate::progress::NoProgress;
use crate::spill::SpillDir;
use std::sync::Arc;

/// A corpus with a template cluster (one shared text, one varying word: its buckets exceed the
/// 64-document limit), a chain of drifting texts (for the guard), near-copies and singles.
fn corpus() -> Vec<String> {
    let template: Vec<String> = (0..60).map(|i| format!("word{i}")).collect();
    let mut docs = Vec::new();
    for i in 0..400 {
        let mut words = template.clone();
        words[i % 60] = format!("varied{i}");
        if i % 7 == 0 {
            words.truncate(50);
        }
        docs.push(words.join(" "));
        docs.push(format!(
            "single document number {i} about topic {}",
            i * 31 % 97
        ));
        if i % 5 == 0 {
            // an exact copy of the previous template document
            docs.push(docs[docs.len() - 2].clone());
        }
        if i % 10 == 0 {
            // a chain: each link replaces two more words of a 100-word text
            let k = i / 10;
            let words: Vec<String> = (0..100)
                .map(|w| {
                    if w < 2 * k {
                        format!("drift{w}")
                    } else {
                        format!("chain{w}")
                    }
                })
                .collect();
            docs.push(words.join(" "));
        }
    }
    docs
}

struct Outcome {
    edges: Vec<Edge>,
    candidates: u64,
    unmatched: usize,
    components: Assignment,
    guarded: Assignment,
    guarded_edges: Vec<Edge>,
    split_off: u64,
    spilled: bool,
}

fn in_memory() -> Outcome {
    let config = DedupConfig::default();
    let sketcher = Sketcher::new(&config);
    let mut store = SketchStore::new(false);
    for text in corpus() {
        store.push(sketcher.sketch(&text));
    }
    let c = candidate_pairs(&store, &NoProgress);
    let (mut verified, similarity) = verify_candidates(&store, &c, 0.8, &NoProgress);
    let components = assign_clusters(&store, &verified.edges);
    let edges = verified.edges.clone();
    let g = assign_guarded(&store, &c, &mut verified, &similarity, 0.8);
    Outcome {
        edges,
        candidates: c.len() as u64,
        unmatched: verified.unmatched_members,
        components,
        guarded: g.assignment,
        guarded_edges: verified.edges,
        split_off: g.split_off,
        spilled: false,
    }
}

fn spilling(
    shingle_bytes: usize,
    band_bytes: usize,
    pair_bytes: usize,
    set_bytes: usize,
) -> Outcome {
    let config = DedupConfig::default();
    let sketcher = Sketcher::new(&config);
    let out = tempfile::tempdir().unwrap();
    let dir = Arc::new(SpillDir::for_job(out.path(), None));
    let sealed_store = || {
        let mut store = SketchStore::with_limits(
            false,
            StoreLimits {
                shingle_bytes,
                band_bytes,
                dir: Arc::clone(&dir),
            },
        );
        for text in corpus() {
            store.push(sketcher.sketch(&text));
            store.spill_if_needed().unwrap();
        }
        store.seal().unwrap();
        store
    };
    let mut store = sealed_store();
    let run = |guarded: bool, store: &mut SketchStore| {
        let set = find_candidates(store, pair_bytes, &|_| false, &dir, &NoProgress).unwrap();
        let spilled = set.pairs.is_spilled() && set.first_match.is_spilled();
        let v =
            verify_candidate_set(store, set, 0.8, set_bytes, guarded, &dir, &NoProgress).unwrap();
        (v, spilled)
    };
    let spilled = store.shingles_spilled() && store.bands_spilled();
    // The candidate stage consumes the band keys: a second store for the guarded run.
    let (v, candidates_spilled) = run(false, &mut store);
    let components = assign_clusters(&store, &v.verified.edges);
    let mut store2 = sealed_store();
    let (mut g, _) = run(true, &mut store2);
    let guarded = assign_guarded_entries(
        &store2,
        &g.entries,
        &mut g.verified,
        &Similarity::lazy(&store2),
        0.8,
    )
    .unwrap();
    drop((store, store2));
    assert_eq!(dir.disk_now(), 0, "every spill file is removed once read");
    Outcome {
        edges: v.verified.edges,
        candidates: v.candidates,
        unmatched: v.verified.unmatched_members,
        components,
        guarded: guarded.assignment,
        guarded_edges: g.verified.edges,
        split_off: guarded.split_off,
        spilled: spilled && candidates_spilled,
    }
}

fn assert_same(a: &Outcome, b: &Outcome) {
    assert_eq!(a.edges, b.edges);
    assert_eq!(a.candidates, b.candidates);
    assert_eq!(a.unmatched, b.unmatched);
    assert_eq!(a.components.cluster, b.components.cluster);
    assert_eq!(a.components.reason, b.components.reason);
    assert_eq!(a.guarded.cluster, b.guarded.cluster);
    assert_eq!(a.guarded.reason, b.guarded.reason);
    assert_eq!(a.guarded_edges, b.guarded_edges);
    assert_eq!(a.split_off, b.split_off);
}

#[test]
fn spilling_every_stage_gives_the_in_memory_results() {
    let memory = in_memory();
    assert!(memory.candidates > 5_000, "{}", memory.candidates);
    assert!(memory.split_off > 0, "the chain is split by the guard");
    // Unbounded limits: nothing spills, same results.
    let unbounded = spilling(
        usize::MAX / 4,
        usize::MAX / 4,
        usize::MAX / 4,
        usize::MAX / 4,
    );
    assert!(!unbounded.spilled);
    assert_same(&memory, &unbounded);
    // Tiny limits: every stage spills, verification runs in many chunks.
    let tiny = spilling(4096, 4096, 1, 4096);
    assert!(tiny.spilled, "every stage spilled");
    assert_same(&memory, &tiny);
}

#[test]
fn the_large_bucket_rule_holds_under_spilling() {
    let config = DedupConfig::default();
    let sketcher = Sketcher::new(&config);
    let mut store = SketchStore::new(false);
    for text in corpus() {
        store.push(sketcher.sketch(&text));
    }
    let c = candidate_pairs(&store, &NoProgress);
    assert!(c.large_buckets > 0 && c.largest_bucket > ALL_PAIRS_LIMIT);
    assert!(!c.first_match.is_empty());
    let out = tempfile::tempdir().unwrap();
    let dir = Arc::new(SpillDir::for_job(out.path(), None));
    let mut small = SketchStore::with_limits(
        false,
        StoreLimits {
            shingle_bytes: 4096,
            band_bytes: 4096,
            dir: Arc::clone(&dir),
        },
    );
    for text in corpus() {
        small.push(sketcher.sketch(&text));
        small.spill_if_needed().unwrap();
    }
    small.seal().unwrap();
    let set = find_candidates(&mut small, 1, &|_| false, &dir, &NoProgress).unwrap();
    assert_eq!(
        (set.largest_bucket, set.large_buckets),
        (c.largest_bucket, c.large_buckets)
    );
    let drain = |s: crate::spill::Sorted<u64>| {
        let mut m = s.merge(&dir).unwrap();
        let mut v = Vec::new();
        while let Some(p) = m.next_record().unwrap() {
            v.push(((p >> 32) as u32, p as u32));
        }
        v
    };
    assert_eq!(drain(set.pairs), c.pairs);
    assert_eq!(drain(set.first_match), c.first_match);
}
