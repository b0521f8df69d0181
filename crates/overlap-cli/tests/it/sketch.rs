//! `overlap sketch`: signatures agree with the engine's estimate of Jaccard and do not depend on threads.

use crate::common::{data, overlap, read_jsonl};
use serde_json::Value;

fn sketch(threads: &str, out: &std::path::Path) -> Vec<Value> {
    overlap()
        .arg("sketch")
        .arg(data("bbc-news.jsonl.gz"))
        .args(["--quiet", "--threads", threads, "--out"])
        .arg(out)
        .assert()
        .success();
    read_jsonl(out)
}

#[test]
fn signatures_are_complete_and_thread_independent() {
    let dir = tempfile::tempdir().unwrap();
    let one = sketch("1", &dir.path().join("one.jsonl"));
    let two = sketch("2", &dir.path().join("two.jsonl"));
    assert_eq!(one.len(), 2225);
    assert_eq!(one, two);
    for line in &one {
        assert_eq!(line["signature"].as_array().unwrap().len(), 128);
        assert_eq!(line["exact"].as_str().unwrap().len(), 32);
    }
    // BBC News has exact duplicates: equal exact keys must come with equal signatures.
    let mut by_key = std::collections::HashMap::new();
    let mut repeats = 0;
    for line in &one {
        if let Some(prev) = by_key.insert(line["exact"].clone(), line["signature"].clone()) {
            assert_eq!(prev, line["signature"]);
            repeats += 1;
        }
    }
    assert!(
        repeats > 50,
        "expected the BBC corpus's exact duplicates, found {repeats}"
    );
}

#[test]
fn json_statistics_are_printed() {
    let dir = tempfile::tempdir().unwrap();
    let assert = overlap()
        .arg("sketch")
        .arg(data("bbc-news.jsonl.gz"))
        .args(["--json", "--out"])
        .arg(dir.path().join("s.jsonl.gz"))
        .assert()
        .success();
    let stats: Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert_eq!(stats["documents"], 2225);
    assert!(stats["shingles"].as_u64().unwrap() > 500_000);
    assert!(stats["minhash_s"].as_f64().unwrap() > 0.0);
}
