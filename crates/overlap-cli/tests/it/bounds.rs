//! Memory bounds and the chain guard: template clusters of near-identical documents, a planted
//! chain, and the alignment of two long texts. Memory is asserted on the peak RSS the job itself
//! reports (`memory.peak_rss_bytes`, read from `/proc/self/status` on Linux); never on time.

use crate::common::generate::{chain_corpus, long_pair, template_corpus};
use crate::common::{
    jaccard, load_corpus, overlap, positions, read_json, read_jsonl, shingle_sets,
};
use overlap::cluster::connected_components;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

const GIB: u64 = 1 << 30;

fn dedup(input: &Path, out: &Path, extra: &[&str]) -> Value {
    overlap()
        .arg("dedup")
        .arg(input)
        .arg("--out")
        .arg(out)
        .args(["--no-deduped", "--quiet"])
        .args(extra)
        .assert()
        .success();
    read_json(&out.join("summary.json"))
}

fn peak(summary: &Value) -> Option<u64> {
    let p = summary["memory"]["peak_rss_bytes"].as_u64();
    if cfg!(target_os = "linux") {
        assert!(p.is_some(), "Linux reports the peak RSS: {summary}");
    }
    p
}

/// The clusters of `clusters.jsonl` (id -> cluster id) and union-find over the near and exact pairs
/// of `pairs.jsonl` agree: the pairs listed join every document to its cluster.
fn pairs_join_clusters(out: &Path) -> usize {
    let clusters = read_jsonl(&out.join("clusters.jsonl"));
    let index: HashMap<&str, u32> = clusters
        .iter()
        .enumerate()
        .map(|(i, c)| (c["id"].as_str().unwrap(), i as u32))
        .collect();
    let pairs = read_jsonl(&out.join("pairs.jsonl"));
    let reps = connected_components(
        clusters.len(),
        pairs.iter().map(|p| {
            (
                index[p["a"].as_str().unwrap()],
                index[p["b"].as_str().unwrap()],
            )
        }),
    );
    for (i, c) in clusters.iter().enumerate() {
        let cluster = index[c["cluster"].as_str().unwrap()];
        assert_eq!(
            reps[i], cluster,
            "pairs.jsonl does not join {c} to its cluster"
        );
    }
    pairs.len()
}

#[test]
fn a_template_cluster_of_100000_documents_is_one_cluster_in_under_2_gib() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("template.jsonl");
    let n = 100_000;
    std::fs::write(&input, template_corpus(n, 200, 1)).unwrap();
    let out = dir.path().join("out");
    let s = dedup(&input, &out, &[]);
    assert_eq!(s["documents"]["accepted"], n);
    assert_eq!(s["documents"]["kept"], 1, "{s}");
    assert_eq!(s["clusters"]["largest"], n);
    assert!(s["pairs"]["large_buckets"].as_u64().unwrap() > 0, "{s}");
    // Candidates and edges grow linearly: a few per document, not n (n - 1) / 2.
    let candidates = s["pairs"]["candidates"].as_u64().unwrap();
    assert!(candidates < 40 * n as u64, "{candidates} candidates");
    let lines = pairs_join_clusters(&out);
    assert!(lines < 3 * n, "{lines} lines in pairs.jsonl");
    if let Some(p) = peak(&s) {
        assert!(p < 2 * GIB, "peak RSS {p} bytes");
    }
}

#[test]
fn template_clusters_give_the_same_outputs_for_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("template.jsonl");
    std::fs::write(&input, template_corpus(3_000, 200, 2)).unwrap();
    for clusters in ["components", "guarded"] {
        let mut outputs = Vec::new();
        for threads in ["1", "3"] {
            let out = dir.path().join(format!("out-{clusters}-{threads}"));
            let s = dedup(
                &input,
                &out,
                &["--threads", threads, "--clusters", clusters],
            );
            assert_eq!(s["documents"]["kept"], 1, "{s}");
            outputs.push(
                ["clusters.jsonl", "pairs.jsonl"].map(|f| std::fs::read(out.join(f)).unwrap()),
            );
        }
        assert!(
            outputs[0] == outputs[1],
            "{clusters}: outputs differ by thread count"
        );
    }
}

/// Cluster of every document of a dedup output folder, by id.
fn clusters_of(out: &Path) -> BTreeMap<String, String> {
    read_jsonl(&out.join("clusters.jsonl"))
        .into_iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["cluster"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_chain_guard_cuts_a_planted_chain() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("chain.jsonl");
    let links = 20;
    std::fs::write(&input, chain_corpus(links, 400, 6, 30)).unwrap();
    let docs = load_corpus(&input);
    let sets = shingle_sets(&docs, 5);
    let index = positions(&docs);
    // The planted chain: neighbours are near-duplicates, the ends are not.
    for k in 1..links {
        assert!(jaccard(&sets[k - 1], &sets[k]) >= 0.8, "link {k}");
    }
    assert!(jaccard(&sets[0], &sets[links - 1]) < 0.3);

    let components = dedup(&input, &dir.path().join("components"), &[]);
    let guarded = dedup(
        &input,
        &dir.path().join("guarded"),
        &["--clusters", "guarded"],
    );
    // Union-find follows the chain end to end.
    let c = clusters_of(&dir.path().join("components"));
    assert!((0..links).all(|k| c[&format!("c{k}")] == "c0"), "{c:?}");
    assert_eq!(components["clusters"]["split_by_guard"], 0);

    // The guard: every removed document verified >= 0.8 against the document kept for it.
    let g = clusters_of(&dir.path().join("guarded"));
    let mut chain_clusters: Vec<&str> = (0..links).map(|k| g[&format!("c{k}")].as_str()).collect();
    for (id, kept) in &g {
        let j = jaccard(&sets[index[id.as_str()]], &sets[index[kept.as_str()]]);
        assert!(
            j >= 0.8,
            "{id} is in the cluster of {kept} with Jaccard {j}"
        );
    }
    chain_clusters.dedup();
    assert!(chain_clusters.len() > 1, "the guard did not cut the chain");
    let kept = |s: &Value| s["documents"]["kept"].as_u64().unwrap();
    assert!(kept(&guarded) > kept(&components));
    assert_eq!(
        guarded["clusters"]["split_by_guard"].as_u64().unwrap(),
        kept(&guarded) - kept(&components)
    );
    // The unrelated documents are alone in both.
    for u in 0..30 {
        let id = format!("u{u}");
        assert_eq!(c[&id], id);
        assert_eq!(g[&id], id);
    }
}

#[test]
fn aligning_two_20_mb_texts_stays_under_1_gib() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = long_pair(20_000_000, 3);
    let (pa, pb) = (dir.path().join("a.txt"), dir.path().join("b.txt"));
    std::fs::write(&pa, &a).unwrap();
    std::fs::write(&pb, &b).unwrap();
    let output = overlap()
        .arg("align")
        .arg(&pa)
        .arg(&pb)
        .arg("--json")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let result: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(result["related"], true);
    let passages = result["passages"].as_array().unwrap();
    assert!(passages.len() > 1000, "{} passages", passages.len());
    // About half of the second text was taken from the first.
    let coverage = result["coverage_b"].as_f64().unwrap();
    assert!((0.3..0.9).contains(&coverage), "coverage of b {coverage}");
    if let Some(p) = peak(&result) {
        assert!(p < GIB, "peak RSS {p} bytes");
    }
}
