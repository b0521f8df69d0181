//! `dedup --scheme simhash`: 64-bit SimHash fingerprints with Hamming-block candidates, verified by
//! true Jaccard like MinHash candidates; a subset of the MinHash run's pairs on real data, and the
//! same determinism.

use crate::common::{data, id_pairs, overlap, read_json, read_jsonl};
use std::collections::HashSet;
use std::path::Path;

fn dedup(out: &Path, extra: &[&str]) {
    overlap()
        .arg("dedup")
        .arg(data("bbc-news.jsonl.gz"))
        .args(["--quiet", "--no-deduped", "--out"])
        .arg(out)
        .args(extra)
        .assert()
        .success();
}

fn pair_set(out: &Path) -> HashSet<(String, String)> {
    id_pairs(&out.join("pairs.jsonl"))
}

#[test]
fn simhash_candidates_are_verified_and_thread_independent() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two, minhash) = (
        dir.path().join("1"),
        dir.path().join("2"),
        dir.path().join("m"),
    );
    dedup(&one, &["--scheme", "simhash", "--threads", "1"]);
    dedup(&two, &["--scheme", "simhash", "--threads", "2"]);
    dedup(&minhash, &[]);
    for f in ["clusters.jsonl", "pairs.jsonl"] {
        assert_eq!(
            std::fs::read(one.join(f)).unwrap(),
            std::fs::read(two.join(f)).unwrap(),
            "{f} depends on the thread count"
        );
    }
    let pairs = read_jsonl(&one.join("pairs.jsonl"));
    assert!(pairs.iter().all(|p| p["jaccard"].as_f64().unwrap() >= 0.8));
    let summary = read_json(&one.join("summary.json"));
    assert_eq!(summary["parameters"]["scheme"], "simhash");
    assert_eq!(summary["parameters"]["bands"], 4);
    // Verified pairs are true pairs, so they are among MinHash's (which finds nearly all of them),
    // and the exact duplicates are the same whatever the scheme.
    let (s, m) = (pair_set(&one), pair_set(&minhash));
    assert!(
        s.is_subset(&m),
        "simhash found pairs MinHash missed: {:?}",
        s.difference(&m)
    );
    let msum = read_json(&minhash.join("summary.json"));
    assert_eq!(summary["pairs"]["exact"], msum["pairs"]["exact"]);
    eprintln!(
        "simhash: {} near pairs of MinHash's {}, {} candidates",
        summary["pairs"]["near"], msum["pairs"]["near"], summary["pairs"]["candidates"]
    );
}

#[test]
fn simhash_without_verification_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = overlap()
        .arg("dedup")
        .arg(data("bbc-news.jsonl.gz"))
        .args(["--quiet", "--scheme", "simhash", "--no-verify", "--out"])
        .arg(dir.path().join("o"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("simhash scheme needs verification"),
        "{stderr}"
    );
}
