//! Near-duplicate recall and precision on real corpora, against the exact set of pairs with true
//! Jaccard >= 0.8 computed without sketches.

use crate::common::{data, exact_pairs, jaccard, load_corpus, overlap, read_jsonl, shingle_sets};
use std::collections::{HashMap, HashSet};

struct Measured {
    truth: usize,
    found: usize,
    reported_near: usize,
}

fn measure(corpus: &str) -> Measured {
    let path = data(corpus);
    let out = tempfile::tempdir().unwrap();
    overlap()
        .args([
            "dedup",
            "--threshold",
            "0.8",
            "--ngram",
            "5",
            "--num-perm",
            "128",
            "--quiet",
        ])
        .arg(&path)
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();

    let docs = load_corpus(&path);
    let sets = shingle_sets(&docs, 5);
    let index: HashMap<&str, usize> = docs
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (id.as_str(), i))
        .collect();

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
