//! Near-duplicate recall and precision on real corpora, against the exact set of pairs with true
//! Jaccard >= 0.8 computed without sketches.

use crate::common::{
    data, exact_pairs, jaccard, job, load_corpus, positions, read_jsonl, shingle_sets,
};
use std::collections::{HashMap, HashSet};
use tempfile::TempDir;

/// `overlap dedup` with `args` on a shared corpus, and the corpus's documents and 5-gram shingle sets
/// (the ground truth's).
fn dedup_run(corpus: &str, args: &[&str]) -> (TempDir, Vec<(String, String)>, Vec<Vec<u64>>) {
    let path = data(corpus);
    let out = tempfile::tempdir().unwrap();
    job("dedup", &path, out.path(), args).assert().success();
    let docs = load_corpus(&path);
    let sets = shingle_sets(&docs, 5);
    (out, docs, sets)
}

struct Measured {
    truth: usize,
    found: usize,
    reported_near: usize,
}

fn measure(corpus: &str) -> Measured {
    let args = [
        "--threshold",
        "0.8",
        "--ngram",
        "5",
        "--num-perm",
        "128",
        "--quiet",
    ];
    let (out, docs, sets) = dedup_run(corpus, &args);
    let index = positions(&docs);

    // Every document is in clusters.jsonl, once, in input order.
    let clusters = read_jsonl(&out.path().join("clusters.jsonl"));
    let ids: Vec<&str> = clusters.iter().map(|c| c["id"].as_str().unwrap()).collect();
    let expected: Vec<&str> = docs.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, expected);

    // Precision: every reported pair is a true duplicate, with its true Jaccard.
    let mut exact_first: Vec<usize> = (0..docs.len()).collect();
    let mut near = HashSet::new();
    let pairs = read_jsonl(&out.path().join("pairs.jsonl"));
    for p in &pairs {
        let a = index[p["a"].as_str().unwrap()];
        let b = index[p["b"].as_str().unwrap()];
        assert!(a < b, "pair not in input order: {p}");
        let truth = jaccard(&sets[a], &sets[b]);
        match p["kind"].as_str().unwrap() {
            "exact" => {
                assert_eq!(truth, 1.0, "exact pair with different shingles: {p}");
                exact_first[b] = a;
            }
            "near" => {
                assert!(truth >= 0.8, "reported pair below the threshold: {p}");
                assert_eq!(
                    p["jaccard"].as_f64().unwrap(),
                    truth,
                    "jaccard is not the true one: {p}"
                );
                near.insert((a, b));
            }
            other => panic!("unknown kind {other}"),
        }
    }

    // Recall: a true pair is found when both documents are exact copies of one another, or when the
    // first documents of their exact groups (whose shingle sets are theirs) form a reported pair.
    let truth = exact_pairs(&sets, 0.8);
    let found = truth
        .keys()
        .filter(|&&(x, y)| {
            let (rx, ry) = (exact_first[x], exact_first[y]);
            rx == ry || near.contains(&(rx.min(ry), rx.max(ry)))
        })
        .count();
    Measured {
        truth: truth.len(),
        found,
        reported_near: near.len(),
    }
}

fn assert_recall(corpus: &str) {
    let m = measure(corpus);
    let recall = m.found as f64 / m.truth as f64;
    eprintln!(
        "{corpus}: {} true pairs with Jaccard >= 0.8, {} found (recall {recall:.4}), {} near pairs reported, precision 1.0",
        m.truth, m.found, m.reported_near
    );
    assert!(m.truth > 0, "{corpus}: the ground truth is empty");
    assert!(recall >= 0.99, "{corpus}: recall {recall} < 0.99");
}

#[test]
fn reuters_recall_and_precision_at_0_8() {
    assert_recall("reuters21578.jsonl.gz");
}

#[test]
fn bbc_news_recall_and_precision_at_0_8() {
    assert_recall("bbc-news.jsonl.gz");
}

/// Cluster-level figures of one run: what still means the same thing whatever `pairs.jsonl` lists.
struct ClusterLevel {
    /// True pairs (Jaccard >= 0.8) whose two documents end in one cluster.
    recall: f64,
    /// Pairs of documents in one cluster that are true pairs.
    pair_precision: f64,
    /// Removed documents with Jaccard >= 0.8 against the document kept for them.
    kept_precision: f64,
    kept: usize,
}

fn cluster_level(corpus: &str, mode: &str) -> ClusterLevel {
    let (out, docs, sets) = dedup_run(corpus, &["--quiet", "--no-deduped", "--clusters", mode]);
    let index = positions(&docs);
    let cluster: Vec<usize> = read_jsonl(&out.path().join("clusters.jsonl"))
        .iter()
        .map(|c| index[c["cluster"].as_str().unwrap()])
        .collect();
    let truth = exact_pairs(&sets, 0.8);
    let together = truth
        .keys()
        .filter(|&&(x, y)| cluster[x] == cluster[y])
        .count();
    let mut members: HashMap<usize, Vec<usize>> = HashMap::new();
    for (d, &c) in cluster.iter().enumerate() {
        members.entry(c).or_default().push(d);
    }
    let (mut same, mut same_true) = (0usize, 0usize);
    for m in members.values() {
        for (i, &x) in m.iter().enumerate() {
            for &y in &m[i + 1..] {
                same += 1;
                same_true += usize::from(truth.contains_key(&(x, y)));
            }
        }
    }
    let removed: Vec<usize> = (0..docs.len()).filter(|&d| cluster[d] != d).collect();
    let close = removed
        .iter()
        .filter(|&&d| jaccard(&sets[d], &sets[cluster[d]]) >= 0.8)
        .count();
    ClusterLevel {
        recall: together as f64 / truth.len() as f64,
        pair_precision: same_true as f64 / same.max(1) as f64,
        kept_precision: close as f64 / removed.len().max(1) as f64,
        kept: members.len(),
    }
}

/// Both cluster rules on both corpora: recall at the cluster level stays >= 0.99, and the guard
/// keeps its promise (every removed document is a true near-duplicate of the one kept for it).
#[test]
fn cluster_level_recall_and_precision_components_and_guarded() {
    for corpus in ["reuters21578.jsonl.gz", "bbc-news.jsonl.gz"] {
        for mode in ["components", "guarded"] {
            let m = cluster_level(corpus, mode);
            eprintln!(
                "{corpus} {mode}: kept {}, cluster recall {:.4}, same-cluster pair precision {:.4}, \
                 removed-to-kept precision {:.4}",
                m.kept, m.recall, m.pair_precision, m.kept_precision
            );
            assert!(m.recall >= 0.99, "{corpus} {mode}: recall {}", m.recall);
            if mode == "guarded" {
                assert_eq!(
                    m.kept_precision, 1.0,
                    "{corpus}: the guard let a chain through"
                );
            }
        }
    }
}
