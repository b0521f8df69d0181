//! The spilling paths of the store, candidate and verification stages give the in-memory results.

use super::*;
use crate::progress::NoProgress;
use crate::spill::SpillDir;
use std::sync::Arc;

/// A corpus with a template cluster (one shared text, one varying word), near-copies and singles.
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
    }
    docs
}

fn run(limits: Option<(usize, usize, usize, usize)>) -> (Vec<Edge>, u64, usize, bool) {
    let config = DedupConfig::default();
    let sketcher = Sketcher::new(&config);
    let out = tempfile::tempdir().unwrap();
    let dir = Arc::new(SpillDir::for_job(out.path(), None));
    let (shingle_bytes, band_bytes, pair_bytes, set_bytes) = limits.unwrap_or((
        usize::MAX / 4,
        usize::MAX / 4,
        usize::MAX / 4,
        usize::MAX / 4,
    ));
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
    let spilled = store.shingles_spilled() && store.bands_spilled();
    let candidates = find_candidates(&mut store, pair_bytes, &dir, &NoProgress).unwrap();
    let spilled = spilled && candidates.pairs.is_spilled();
    let largest = candidates.largest_bucket;
    let v = verify_candidates(&store, candidates, 0.8, set_bytes, &dir, &NoProgress).unwrap();
    drop(store);
    assert_eq!(dir.disk_now(), 0, "every spill file is removed once read");
    (v.edges, v.candidates, largest, spilled)
}

#[test]
fn spilling_every_stage_gives_the_in_memory_edges() {
    let (edges, candidates, largest, spilled) = run(None);
    assert!(!spilled);
    assert!(candidates > 50_000, "{candidates}");
    // The in-memory API agrees with the spilling one when nothing spills.
    let config = DedupConfig::default();
    let sketcher = Sketcher::new(&config);
    let mut store = SketchStore::new(false);
    for text in corpus() {
        store.push(sketcher.sketch(&text));
    }
    let c = candidate_pairs(&store, &NoProgress);
    assert_eq!(c.pairs.len() as u64, candidates);
    assert_eq!(verify_pairs(&store, &c.pairs, 0.8, &NoProgress), edges);

    let tiny = run(Some((4096, 4096, 1, 4096)));
    assert!(tiny.3, "every stage spilled");
    assert_eq!((tiny.0, tiny.1, tiny.2), (edges, candidates, largest));
}
