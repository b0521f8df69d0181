//! Results do not depend on the memory budget: a budget small enough to force the spill paths gives
//! byte-identical outputs, for any thread count, and leaves no temporary file behind.

use crate::common::{data, overlap, read_json, stable_summary};
use std::path::Path;

fn dedup(input: &Path, out: &Path, extra: &[&str]) {
    overlap()
        .arg("dedup")
        .arg(input)
        .arg("--out")
        .arg(out)
        .args(["--on-error", "skip", "-q"])
        .args(extra)
        .assert()
        .success();
}

fn same_outputs(a: &Path, b: &Path, files: &[&str]) {
    for f in files {
        let (x, y) = (
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
        );
        assert!(
            x == y,
            "{f} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
    assert_eq!(
        stable_summary(&a.join("summary.json")),
        stable_summary(&b.join("summary.json"))
    );
}

fn no_spill_left(dir: &Path) {
    let left: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("spill"))
        .collect();
    assert!(
        left.is_empty(),
        "spill files left in {}: {left:?}",
        dir.display()
    );
}

fn stage(out: &Path, stage: &str, field: &str) -> u64 {
    read_json(&out.join("summary.json"))["memory"]["stages"][stage][field]
        .as_u64()
        .unwrap()
}

#[test]
fn small_budgets_give_identical_outputs_on_the_shared_corpora() {
    let tmp = tempfile::tempdir().unwrap();
    for (corpus, deduped) in [
        ("reuters21578.jsonl.gz", true),
        ("bbc-news.jsonl.gz", false),
        ("20newsgroups.jsonl.gz", false),
    ] {
        let input = data(corpus);
        let base = tmp.path().join(format!("{corpus}-default"));
        let no_deduped: &[&str] = if deduped { &[] } else { &["--no-deduped"] };
        dedup(&input, &base, &[&["--threads", "2"], no_deduped].concat());
        assert_eq!(stage(&base, "read_sketch", "spilled_bytes"), 0);
        let mut files = vec!["clusters.jsonl", "pairs.jsonl"];
        if deduped {
            files.push("deduped.jsonl.gz");
        }
        for (memory, threads) in [("32MiB", "1"), ("1MiB", "2")] {
            let out = tmp.path().join(format!("{corpus}-{memory}"));
            dedup(
                &input,
                &out,
                &[&["--memory", memory, "--threads", threads], no_deduped].concat(),
            );
            same_outputs(&base, &out, &files);
            // The shingles went to disk (BBC's fit in 32 MiB), and every spill file is gone.
            if memory == "1MiB" || corpus != "bbc-news.jsonl.gz" {
                assert!(
                    stage(&out, "read_sketch", "spilled_bytes") > 0,
                    "{corpus} {memory}"
                );
            }
            no_spill_left(&out);
        }
        // At 1 MiB the band keys were written as sorted runs too.
        let out = tmp.path().join(format!("{corpus}-1MiB"));
        assert!(stage(&out, "read_sketch", "spill_files") > 1, "{corpus}");
    }
}

/// A template cluster: hundreds of documents that are one text with one word changed. Its buckets
/// give far more candidate pairs than a 1 MiB budget holds, so the pair runs spill and merge too.
#[test]
fn a_template_cluster_spills_candidate_pairs_with_identical_results() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("template.jsonl");
    let words: Vec<String> = (0..80).map(|i| format!("w{i}")).collect();
    let mut lines = String::new();
    for i in 0..300 {
        let mut w = words.clone();
        w[i % 80] = format!("changed{i}");
        lines += &serde_json::json!({"id": i, "text": w.join(" ")}).to_string();
        lines += "\n";
    }
    std::fs::write(&input, lines).unwrap();
    let base = tmp.path().join("default");
    dedup(&input, &base, &[]);
    let small = tmp.path().join("small");
    let spill_root = tmp.path().join("spill-root");
    std::fs::create_dir(&spill_root).unwrap();
    // Spill folders of a killed run (pid 0 is never a user process): removed by the next run.
    let stale_out = small.join(".overlap-tmp-spill-0-7");
    let stale_tmp = spill_root.join("overlap-spill-0-7");
    std::fs::create_dir_all(&stale_out).unwrap();
    std::fs::create_dir_all(&stale_tmp).unwrap();
    let tmp_dir = spill_root.to_str().unwrap();
    dedup(&input, &small, &["--memory", "1MiB", "--tmp-dir", tmp_dir]);
    same_outputs(
        &base,
        &small,
        &["clusters.jsonl", "pairs.jsonl", "deduped.jsonl"],
    );
    assert!(stage(&small, "candidates", "spilled_bytes") > 0);
    assert!(stage(&small, "candidates", "temp_disk_peak_bytes") > 0);
    assert!(
        !stale_tmp.exists(),
        "stale spill folder in --tmp-dir removed"
    );
    assert_eq!(std::fs::read_dir(&spill_root).unwrap().count(), 0);
    // Spill files went to --tmp-dir, not the output folder, whose own stale folder is left to the
    // output folder's cleanup.
    assert!(read_json(&small.join("summary.json"))["memory"]["spilled_bytes"].as_u64() > Some(0));
}

#[test]
fn bad_memory_sizes_are_usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    for bad in ["10KiB", "lots", "4 parsecs"] {
        let out = overlap()
            .arg("dedup")
            .arg(data("bbc-news.jsonl.gz"))
            .arg("--out")
            .arg(tmp.path().join("o"))
            .args(["--memory", bad])
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(stderr.contains("--memory"), "{stderr}");
    }
}

/// `reuse` with a 1 MiB budget (texts and anchors spooled to disk, the anchor index sorted externally,
/// alignment in many chunks) writes the same files as with the default budget. BBC only: Reuters and
/// 20 Newsgroups take tens of seconds per run on a loaded machine (checked by hand, see the README).
#[test]
fn reuse_outputs_do_not_depend_on_the_budget() {
    let tmp = tempfile::tempdir().unwrap();
    let input = data("bbc-news.jsonl.gz");
    let run = |out: &Path, extra: &[&str]| {
        overlap()
            .arg("reuse")
            .arg(&input)
            .arg("--out")
            .arg(out)
            .arg("-q")
            .args(extra)
            .assert()
            .success();
    };
    let base = tmp.path().join("default");
    run(&base, &["--threads", "2"]);
    let small = tmp.path().join("small");
    run(&small, &["--memory", "1MiB", "--threads", "1"]);
    same_outputs(
        &base,
        &small,
        &["pairs.jsonl", "stories.jsonl", "boilerplate.jsonl"],
    );
    for stage in ["read", "index"] {
        assert!(stage_of(&small, stage) > 0, "{stage} spilled");
        assert_eq!(stage_of(&base, stage), 0, "{stage} fits by default");
    }
    no_spill_left(&small);
}

fn stage_of(out: &Path, name: &str) -> u64 {
    stage(out, name, "spilled_bytes")
}
