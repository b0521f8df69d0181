//! `overlap dedup --semantic`: semantic near-duplicates by document embeddings. On BBC News with the
//! distilled model (skipped when it is not built, unless OVERLAP_REQUIRE_MODEL is set): the exact
//! copies and MinHash's near duplicates are found, and so is a same-story rewrite MinHash misses;
//! outputs are byte-identical for any thread count. With the tiny model the tests write: bad input,
//! standard input, usage errors, the report; and a missing model. On Reuters, `--clusters guarded`
//! cuts the chains of templated notices and keeps every removed document verified against the one
//! kept for it.

use crate::common::{
    data, job, outputs, overlap, read_jsonl, real_model, stable_summary, stderr_of,
};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn pair_set(out: &Path, kind: &str) -> BTreeSet<(String, String)> {
    read_jsonl(&out.join("pairs.jsonl"))
        .iter()
        .filter(|p| p["kind"] == kind)
        .map(|p| {
            (
                p["a"].as_str().unwrap().to_string(),
                p["b"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn run_ok(args: &[&str], extra: &[&Path]) -> Value {
    let out = overlap().args(args).args(extra).output().unwrap();
    assert!(
        out.status.success(),
        "{:?}: {}",
        args,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn semantic_dedup_of_bbc_finds_copies_near_duplicates_and_a_rewrite_minhash_misses() {
    let Some(model) = real_model() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let bbc = data("bbc-news.jsonl.gz");
    let (sem, mh) = (tmp.path().join("sem"), tmp.path().join("mh"));
    let s = semantic_json(&bbc, &sem, &model, &[]);
    run_ok(&["dedup", "--json"], &[&bbc, Path::new("--out"), &mh]);
    assert_eq!(s["command"], "dedup");
    assert_eq!(s["mode"], "semantic");

    // Exact copies: the same edges as MinHash dedup's (both group by the normalized text).
    assert_eq!(pair_set(&sem, "exact"), pair_set(&mh, "exact"));
    assert!(!pair_set(&sem, "exact").is_empty());
    // Every near duplicate MinHash verifies (Jaccard >= 0.8) is a semantic one too.
    let near = pair_set(&sem, "near");
    let lexical = pair_set(&mh, "near");
    assert!(!lexical.is_empty());
    for p in &lexical {
        assert!(
            near.contains(p),
            "MinHash pair {p:?} not found by --semantic"
        );
    }
    // Two BBC reports of one story in other words (5-gram Jaccard 0.27, below any MinHash
    // threshold): "Surfers outside the US have been unable to visit the official re-election site"
    // and "The official re-election site of President George W Bush is blocking visits from".
    let rewrite = (
        "bbc:tech/101.txt".to_string(),
        "bbc:tech/123.txt".to_string(),
    );
    assert!(near.contains(&rewrite), "{near:?}");
    assert!(!lexical.contains(&rewrite));
    // Cosines at or above the threshold; the file sorted by input order.
    let threshold = s["parameters"]["threshold"].as_f64().unwrap();
    let pairs = read_jsonl(&sem.join("pairs.jsonl"));
    for p in &pairs {
        let c = p["cosine"].as_f64().unwrap();
        assert!(c >= threshold && c <= 1.0 + 1e-6, "{p}");
    }

    // Every document accounted for; the kept ones are the deduplicated corpus.
    let clusters = read_jsonl(&sem.join("clusters.jsonl"));
    assert_eq!(clusters.len(), 2225);
    let kept = clusters.iter().filter(|c| c["kept"] == true).count() as u64;
    assert_eq!(s["documents"]["kept"].as_u64(), Some(kept));
    assert_eq!(
        s["documents"]["removed_near"].as_u64().unwrap()
            + s["documents"]["removed_exact"].as_u64().unwrap()
            + kept,
        2225
    );
    assert!(s["documents"]["removed_near"].as_u64().unwrap() > 0);
    let removed_rewrite = clusters
        .iter()
        .find(|c| c["id"] == "bbc:tech/123.txt")
        .unwrap();
    assert_eq!(removed_rewrite["cluster"], "bbc:tech/101.txt");
    assert_eq!(removed_rewrite["reason"], "near");
    let deduped = std::fs::read(sem.join("deduped.jsonl.gz")).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::MultiGzDecoder::new(&deduped[..]),
        &mut text,
    )
    .unwrap();
    assert_eq!(text.lines().count() as u64, kept);

    // LSH finds what brute force finds on BBC.
    let exact = tmp.path().join("exact");
    semantic_run(&bbc, &exact, &model, &["--semantic-search", "exact"]);
    assert_eq!(pair_set(&exact, "near"), near);
}

#[test]
fn semantic_dedup_is_byte_identical_for_any_thread_count() {
    let Some(model) = real_model() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let bbc = data("bbc-news.jsonl.gz");
    let mut outs = Vec::new();
    for threads in ["1", "2", "5"] {
        let out = tmp.path().join(format!("t{threads}"));
        semantic_json(&bbc, &out, &model, &["--threads", threads]);
        outs.push(out);
    }
    assert_same_files(
        &outs,
        &["clusters.jsonl", "pairs.jsonl", "deduped.jsonl.gz"],
        "the thread count",
    );
    for o in &outs[1..] {
        assert_eq!(budget_free_summary(o), budget_free_summary(&outs[0]));
    }
}

/// A temporary folder holding the tiny model and a corpus `c.jsonl` of `lines`: (folder, model,
/// corpus).
fn tiny_setup(lines: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("model");
    overlap::embed::tiny::write_tiny_model(&model).unwrap();
    let corpus = tmp.path().join("c.jsonl");
    std::fs::write(&corpus, lines).unwrap();
    (tmp, model, corpus)
}

#[test]
fn semantic_dedup_with_a_tiny_model_follows_the_input_rules() {
    let (tmp, model, corpus) = tiny_setup(concat!(
        "{\"id\":\"a\",\"text\":\"The grain exports resumed.\"}\n",
        "{\"id\":\"b\",\"text\":\"the grain exports, resumed\"}\n",
        "{\"id\":\"c\",\"text\":\"The minister's cafe.\"}\n",
        "not json\n",
        "{\"id\":\"e\",\"text\":\"  ...  \"}\n",
        "{\"id\":\"f\",\"text\":\"zzz qqq\"}\n",
    ));
    // A bad record fails the run by default: exit 1, file and line named, nothing written.
    let out = tmp.path().join("out");
    let args = ["--semantic", "--model", model.to_str().unwrap()];
    let err = stderr_of(&mut job("dedup", &corpus, &out, &args), 1);
    assert!(err.contains("c.jsonl") && err.contains('4'), "{err}");
    assert!(!out.join("summary.json").exists());

    // Skipped and listed with --on-error skip; the empty text is kept alone and flagged; a text of
    // unknown words has no vector and is compared with nothing.
    let s = semantic_json(&corpus, &out, &model, &["--on-error", "skip"]);
    assert_eq!(s["documents"]["read"], 6);
    assert_eq!(s["documents"]["accepted"], 5);
    assert_eq!(s["documents"]["skipped"], 1);
    assert_eq!(s["skipped"][0]["line"], 4);
    assert_eq!(s["documents"]["empty"], 1);
    assert_eq!(s["documents"]["without_known_tokens"], 1);
    assert_eq!(s["documents"]["removed_exact"], 1);
    let clusters = read_jsonl(&out.join("clusters.jsonl"));
    let ids: Vec<&str> = clusters.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["a", "b", "c", "e", "f"]);
    assert_eq!(clusters[1]["reason"], "exact");
    assert_eq!(clusters[1]["cluster"], "a");
    assert_eq!(clusters[3]["empty"], true);
    assert_eq!(clusters[3]["kept"], true);

    // Standard input is read once (spooled for the deduplicated corpus).
    let stdin_out = tmp.path().join("stdin");
    let r = overlap()
        .args([
            "dedup",
            "-",
            "--json",
            "--semantic",
            "--on-error",
            "skip",
            "--out",
        ])
        .arg(&stdin_out)
        .arg("--model")
        .arg(&model)
        .write_stdin(std::fs::read(&corpus).unwrap())
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let deduped = std::fs::read_to_string(stdin_out.join("deduped.jsonl")).unwrap();
    let kept = clusters.iter().filter(|c| c["kept"] == true).count();
    assert_eq!(deduped.lines().count(), kept);
    assert!(!deduped.contains("\"id\":\"b\""));
    assert_no_temporaries(&stdin_out);
}

#[test]
fn semantic_dedup_refuses_bad_options_and_a_missing_model() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("c.jsonl");
    std::fs::write(&corpus, "{\"id\":\"a\",\"text\":\"grain\"}\n").unwrap();
    let out = tmp.path().join("out");
    for bad in [
        &["--semantic", "--threshold", "0.5"][..],
        &["--semantic", "--semantic-threshold", "0"],
        &["--semantic", "--semantic-threshold", "1.5"],
        &["--semantic-threshold", "0.9"],
        &["--semantic", "--output-format", "parquet"],
        &["--semantic", "--semantic-rows", "65"],
    ] {
        stderr_of(&mut job("dedup", &corpus, &out, bad), 2);
    }
    let no_model = tmp.path().join("no-model");
    let args = ["--semantic", "--model", no_model.to_str().unwrap()];
    let err = stderr_of(&mut job("dedup", &corpus, &out, &args), 1);
    assert!(err.contains("scripts/make-model.sh"), "{err}");
    assert!(!out.exists());
}

#[test]
fn semantic_guarded_clusters_verify_every_removed_document_against_its_kept_one() {
    let Some(model) = real_model() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let reuters = data("reuters21578.jsonl.gz");
    let run = |name: &str, extra: &[&str]| {
        let out = tmp.path().join(name);
        let s = semantic_run(&reuters, &out, &model, extra);
        (out, s)
    };
    let (comp, sc) = run("components", &[]);
    let (guard, sg) = run("guarded", &["--clusters", "guarded"]);
    let (guard1, _) = run("guarded1", &["--clusters", "guarded", "--threads", "1"]);
    assert_eq!(sg["parameters"]["clusters"], "guarded");
    assert_eq!(sc["parameters"]["clusters"], "components");
    assert_same_files(
        &[&guard, &guard1],
        &["clusters.jsonl", "pairs.jsonl"],
        "the thread count",
    );

    // The templated notices chain into clusters of hundreds; the guard keeps more documents, and
    // says how many more.
    let kept = |s: &Value| s["documents"]["kept"].as_u64().unwrap();
    assert!(kept(&sg) > kept(&sc), "{} vs {}", kept(&sg), kept(&sc));
    assert_eq!(
        sg["clusters"]["split_by_guard"].as_u64(),
        Some(kept(&sg) - kept(&sc))
    );
    assert_eq!(sc["clusters"]["split_by_guard"].as_u64(), Some(0));
    assert!(sg["clusters"]["largest"].as_u64() < sc["clusters"]["largest"].as_u64());
    assert_eq!(
        sg["documents"]["removed_exact"],
        sc["documents"]["removed_exact"]
    );
    assert_eq!(pair_set(&guard, "exact"), pair_set(&comp, "exact"));

    // Every removed near duplicate is in the cluster of a kept document, and their pair is listed
    // at or above the threshold.
    let threshold = sg["parameters"]["threshold"].as_f64().unwrap();
    let cosine: std::collections::HashMap<(String, String), f64> =
        read_jsonl(&guard.join("pairs.jsonl"))
            .iter()
            .map(|p| {
                let id = |k: &str| p[k].as_str().unwrap().to_string();
                ((id("a"), id("b")), p["cosine"].as_f64().unwrap())
            })
            .collect();
    let clusters = read_jsonl(&guard.join("clusters.jsonl"));
    let kept_ids: BTreeSet<&str> = clusters
        .iter()
        .filter(|c| c["kept"] == true)
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    let mut near = 0;
    for c in &clusters {
        let (id, rep) = (c["id"].as_str().unwrap(), c["cluster"].as_str().unwrap());
        assert!(kept_ids.contains(rep), "{c}");
        if c["reason"] == "near" {
            near += 1;
            let cos = cosine
                .get(&(rep.to_string(), id.to_string()))
                .unwrap_or_else(|| panic!("no pair for {c}"));
            assert!(*cos >= threshold, "{c}: {cos}");
        }
    }
    assert_eq!(Some(near), sg["documents"]["removed_near"].as_u64());
}

#[test]
fn semantic_dedup_writes_a_report_scored_by_cosine() {
    // a and b have the same tokens in another order: not exact copies, but equal vectors.
    let (tmp, model, corpus) = tiny_setup(concat!(
        "{\"id\":\"a\",\"text\":\"The grain exports resumed.\"}\n",
        "{\"id\":\"b\",\"text\":\"Resumed the grain exports.\"}\n",
        "{\"id\":\"c\",\"text\":\"The minister's cafe.\"}\n",
    ));
    let out = tmp.path().join("out");
    let s = semantic_json(&corpus, &out, &model, &["--report"]);
    assert_eq!(s["documents"]["removed_near"], 1);
    assert_eq!(
        outputs(&s),
        [
            "clusters.jsonl",
            "pairs.jsonl",
            "deduped.jsonl",
            "report.html",
            "summary.json"
        ]
    );
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(page.contains("\"score_name\":\"cosine\""));
    // The texts of the paired documents are embedded.
    assert!(page.contains("Resumed the grain exports."));
    // `overlap report` makes the same page of the folder afterwards.
    let again = tmp.path().join("again.html");
    overlap()
        .args(["report", "--quiet"])
        .arg(&out)
        .arg("--out")
        .arg(&again)
        .assert()
        .success();
    assert!(std::fs::read_to_string(&again)
        .unwrap()
        .contains("\"score_name\":\"cosine\""));
}

/// `overlap dedup --json --semantic EXTRA CORPUS --out OUT --model MODEL`, its summary.
fn semantic_json(corpus: &Path, out: &Path, model: &Path, extra: &[&str]) -> Value {
    let args = [&["dedup", "--json", "--semantic"][..], extra].concat();
    run_ok(
        &args,
        &[corpus, Path::new("--out"), out, Path::new("--model"), model],
    )
}

/// One `dedup --semantic --no-deduped` run of `corpus` into `out`, its summary.
fn semantic_run(corpus: &Path, out: &Path, model: &Path, extra: &[&str]) -> Value {
    semantic_json(corpus, out, model, &[&["--no-deduped"][..], extra].concat())
}

/// Asserts that no `.overlap-tmp*` file or folder (staging, spill) is left in `out`.
fn assert_no_temporaries(out: &Path) {
    let left: Vec<_> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".overlap-tmp"))
        .collect();
    assert!(left.is_empty(), "{out:?}: {left:?}");
}

/// Asserts that each of `names` holds the same bytes in every folder of `outs` as in the first
/// (`varied`: what differs between the runs).
fn assert_same_files(outs: &[impl AsRef<Path>], names: &[&str], varied: &str) {
    for name in names {
        let first = std::fs::read(outs[0].as_ref().join(name)).unwrap();
        for o in &outs[1..] {
            let o = o.as_ref();
            assert!(
                std::fs::read(o.join(name)).unwrap() == first,
                "{name} depends on {varied} ({o:?})"
            );
        }
    }
}

/// The summary without what may vary with the budget, the threads or the folder.
fn budget_free_summary(out: &Path) -> Value {
    let mut s = stable_summary(&out.join("summary.json"));
    s.as_object_mut().unwrap().remove("inputs"); // from_out differs between folders
    s
}

#[test]
fn semantic_dedup_spills_its_vectors_and_candidate_work_within_the_budget_and_gives_the_same_outputs(
) {
    let Some(model) = real_model() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let reuters = data("reuters21578.jsonl.gz");
    for clusters in ["components", "guarded"] {
        let mut outs = Vec::new();
        for (memory, threads) in [(None, "2"), (Some("1MiB"), "1"), (Some("1MiB"), "2")] {
            let out = tmp.path().join(format!("{clusters}-{memory:?}-{threads}"));
            let mut extra = vec!["--clusters", clusters, "--threads", threads];
            if let Some(m) = memory {
                extra.extend(["--memory", m]);
            }
            let s = semantic_run(&reuters, &out, &model, &extra);
            let m = &s["memory"];
            let spilled = m["spilled_bytes"].as_u64().unwrap();
            assert_eq!(spilled > 0, memory.is_some(), "{out:?}: spilled {spilled}");
            // At 1 MiB the vectors (19 MB) are on disk too, not only the candidate work.
            let vectors = m["stages"]["read_embed"]["spilled_bytes"].as_u64().unwrap();
            assert_eq!(vectors > 0, memory.is_some(), "{out:?}: vectors {vectors}");
            // The guard's first-match entries (0.9 MB on Reuters) go to disk past an eighth of
            // the budget, and its cache of rows (256 of 18,700 at 1 MiB) misses often.
            if clusters == "guarded" {
                let first = m["stages"]["verify"]["spilled_bytes"].as_u64().unwrap();
                assert_eq!(first > 0, memory.is_some(), "{out:?}: first-match {first}");
            }
            outs.push(out);
        }
        assert_same_files(
            &outs,
            &["clusters.jsonl", "pairs.jsonl"],
            "--memory or --threads",
        );
        // Every count of the work (candidates, cosines, buckets) is the same at any budget.
        for o in &outs[1..] {
            assert_eq!(
                budget_free_summary(o),
                budget_free_summary(&outs[0]),
                "{o:?}"
            );
        }
        // No spill files are left behind.
        for o in &outs {
            assert_no_temporaries(o);
        }
    }
}

#[test]
fn semantic_brute_force_reads_its_vectors_from_disk_block_by_block_with_the_same_outputs() {
    let Some(model) = real_model() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let bbc = data("bbc-news.jsonl.gz");
    let spill = tmp.path().join("spill");
    std::fs::create_dir(&spill).unwrap();
    let mut outs = Vec::new();
    for memory in [None, Some("1MiB")] {
        let out = tmp.path().join(format!("{memory:?}"));
        let mut extra = vec!["--semantic-search", "exact", "--semantic-threshold", "0.9"];
        if let Some(m) = memory {
            extra.extend(["--memory", m, "--tmp-dir", spill.to_str().unwrap()]);
        }
        let s = semantic_run(&bbc, &out, &model, &extra);
        let vectors = s["memory"]["stages"]["read_embed"]["spilled_bytes"]
            .as_u64()
            .unwrap();
        assert_eq!(vectors > 0, memory.is_some(), "vectors {vectors}");
        outs.push(out);
    }
    assert_same_files(&outs, &["clusters.jsonl", "pairs.jsonl"], "--memory");
    assert_eq!(budget_free_summary(&outs[0]), budget_free_summary(&outs[1]));
    // The spill directory under --tmp-dir is removed at the end.
    assert_eq!(std::fs::read_dir(&spill).unwrap().count(), 0);
}
