//! Results do not depend on the memory budget: a budget small enough to force the spill paths gives
//! byte-identical outputs, for any thread count and either cluster rule, and leaves no temporary
//! file behind.

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

/// Dedup of the three shared corpora: `--memory 32MiB` (shingles on disk) and `--memory 1MiB` (band
/// keys as sorted runs too) give the default's files byte for byte, with one thread or two, under
/// both cluster rules.
#[test]
fn small_budgets_give_identical_outputs_on_the_shared_corpora() {
    let tmp = tempfile::tempdir().unwrap();
    for (corpus, deduped) in [
        ("reuters21578.jsonl.gz", true),
        ("bbc-news.jsonl.gz", true),
        ("20newsgroups.jsonl.gz", true),
    ] {
        let input = data(corpus);
        let mut files = vec!["clusters.jsonl", "pairs.jsonl"];
        if deduped {
            files.push("deduped.jsonl.gz");
        }
        for clusters in ["components", "guarded"] {
            let mode: &[&str] = &["--clusters", clusters];
            let base = tmp.path().join(format!("{corpus}-{clusters}-default"));
            dedup(&input, &base, &[&["--threads", "2"], mode].concat());
            assert_eq!(stage(&base, "read_sketch", "spilled_bytes"), 0);
            let budgets: &[(&str, &str)] = if clusters == "components" {
                &[("32MiB", "1"), ("32MiB", "2"), ("1MiB", "2")]
            } else {
                &[("32MiB", "1"), ("1MiB", "2")]
            };
            for &(memory, threads) in budgets {
                let out = tmp
                    .path()
                    .join(format!("{corpus}-{clusters}-{memory}-{threads}"));
                dedup(
                    &input,
                    &out,
                    &[&["--memory", memory, "--threads", threads], mode].concat(),
                );
                same_outputs(&base, &out, &files);
                // The shingles went to disk (BBC's fit in 32 MiB), and every spill file is gone.
                if memory == "1MiB" || corpus != "bbc-news.jsonl.gz" {
                    assert!(
                        stage(&out, "read_sketch", "spilled_bytes") > 0,
                        "{corpus} {memory}"
                    );
                }
                if memory == "1MiB" {
                    // The band keys were written as sorted runs too.
                    assert!(stage(&out, "read_sketch", "spill_files") > 1, "{corpus}");
                }
                no_spill_left(&out);
            }
        }
    }
}

/// Template clusters whose buckets exceed bounds' 64-document limit (so members are linked to
/// representatives), and a chain of drifting texts that the guard cuts.
fn template_corpus(path: &Path) {
    let mut lines = String::new();
    let mut push = |id: String, text: String| {
        lines += &serde_json::json!({"id": id, "text": text}).to_string();
        lines += "\n";
    };
    for i in 0..900 {
        let t = i % 3;
        let mut w: Vec<String> = (0..80).map(|k| format!("t{t}w{k}")).collect();
        w[i % 80] = format!("changed{i}");
        if i % 11 == 0 {
            w.truncate(70);
        }
        push(format!("tpl-{i}"), w.join(" "));
        if i % 9 == 0 {
            // A chain: each link replaces two more words of a 100-word text.
            let k = i / 9;
            let w: Vec<String> = (0..100)
                .map(|x| {
                    if x < 2 * k {
                        format!("drift{x}")
                    } else {
                        format!("chain{x}")
                    }
                })
                .collect();
            push(format!("chain-{k}"), w.join(" "));
        }
        if i % 4 == 0 {
            push(
                format!("single-{i}"),
                format!("a single document number {i} on topic {}", i * 37 % 101),
            );
        }
    }
    std::fs::write(path, lines).unwrap();
}

/// Under spilling, bounds' large-bucket rule and the chain guard give the in-memory results: the
/// first-match entries and candidate pairs spill as sorted runs (1 MiB) or stay in memory with the
/// shingles on disk (32 MiB); `--tmp-dir` holds the spill folder and stale ones are removed.
#[test]
fn template_clusters_over_the_bucket_limit_spill_with_identical_results() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("template.jsonl");
    template_corpus(&input);
    let files = ["clusters.jsonl", "pairs.jsonl", "deduped.jsonl"];
    for clusters in ["components", "guarded"] {
        let mode: &[&str] = &["--clusters", clusters];
        let base = tmp.path().join(format!("{clusters}-default"));
        dedup(&input, &base, &[&["--threads", "1"], mode].concat());
        let summary = read_json(&base.join("summary.json"));
        assert!(summary["pairs"]["large_buckets"].as_u64() > Some(0));
        assert!(summary["pairs"]["largest_bucket"].as_u64() > Some(64));
        if clusters == "guarded" {
            assert!(summary["clusters"]["split_by_guard"].as_u64() > Some(0));
        }
        for (memory, threads) in [("32MiB", "2"), ("1MiB", "1"), ("1MiB", "2")] {
            let out = tmp.path().join(format!("{clusters}-{memory}-{threads}"));
            dedup(
                &input,
                &out,
                &[&["--memory", memory, "--threads", threads], mode].concat(),
            );
            same_outputs(&base, &out, &files);
            if memory == "1MiB" {
                assert!(stage(&out, "candidates", "spilled_bytes") > 0);
                assert!(stage(&out, "candidates", "spill_files") > 0);
            }
            no_spill_left(&out);
        }
    }

    let base = tmp.path().join("components-default");
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
    same_outputs(&base, &small, &files);
    assert!(stage(&small, "candidates", "spilled_bytes") > 0);
    assert!(stage(&small, "candidates", "temp_disk_peak_bytes") > 0);
    assert!(
        !stale_tmp.exists(),
        "stale spill folder in --tmp-dir removed"
    );
    assert!(
        !stale_out.exists(),
        "the output folder's cleanup removed its stale spill folder"
    );
    assert_eq!(std::fs::read_dir(&spill_root).unwrap().count(), 0);
    assert!(read_json(&small.join("summary.json"))["memory"]["spilled_bytes"].as_u64() > Some(0));
    no_spill_left(&small);
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

fn reuse(input: &Path, out: &Path, extra: &[&str]) {
    overlap()
        .arg("reuse")
        .arg(input)
        .arg("--out")
        .arg(out)
        .args(["-q", "--on-error", "skip"])
        .args(extra)
        .assert()
        .success();
}

const REUSE_FILES: [&str; 3] = ["pairs.jsonl", "stories.jsonl", "boilerplate.jsonl"];

/// `reuse` with a 1 MiB or 32 MiB budget (texts and anchors spooled to disk, the anchor index sorted
/// externally, alignment in many chunks) writes the same files as with the default budget.
#[test]
fn reuse_outputs_do_not_depend_on_the_budget() {
    let tmp = tempfile::tempdir().unwrap();
    let input = data("bbc-news.jsonl.gz");
    let base = tmp.path().join("default");
    reuse(&input, &base, &["--threads", "2"]);
    for (memory, threads) in [("1MiB", "1"), ("32MiB", "2")] {
        let small = tmp.path().join(format!("{memory}-{threads}"));
        reuse(&input, &small, &["--memory", memory, "--threads", threads]);
        same_outputs(&base, &small, &REUSE_FILES);
        if memory == "1MiB" {
            for stage in ["read", "index"] {
                assert!(stage_of(&small, stage) > 0, "{stage} spilled");
            }
        }
        no_spill_left(&small);
    }
    for stage in ["read", "index"] {
        assert_eq!(stage_of(&base, stage), 0, "{stage} fits by default");
    }
}

/// Reuters and 20 Newsgroups: `reuse --memory 32MiB` (their texts and anchors spill) gives the
/// default's files byte for byte.
#[test]
fn reuse_at_32_mib_matches_the_default_on_reuters_and_20_newsgroups() {
    let tmp = tempfile::tempdir().unwrap();
    for corpus in ["reuters21578.jsonl.gz", "20newsgroups.jsonl.gz"] {
        let input = data(corpus);
        let base = tmp.path().join(format!("{corpus}-default"));
        reuse(&input, &base, &["--threads", "2"]);
        let small = tmp.path().join(format!("{corpus}-32MiB"));
        reuse(&input, &small, &["--memory", "32MiB", "--threads", "1"]);
        same_outputs(&base, &small, &REUSE_FILES);
        assert!(stage_of(&small, "read") > 0, "{corpus}: texts spilled");
        no_spill_left(&small);
    }
}

fn stage_of(out: &Path, name: &str) -> u64 {
    stage(out, name, "spilled_bytes")
}
