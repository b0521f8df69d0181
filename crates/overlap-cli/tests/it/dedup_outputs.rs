//! Output formats (snapshot-tested), the deduplicated corpus, input kinds, and determinism.

use crate::common::{data, job, overlap, read_json, stable_summary, stderr_of};
use serde_json::Value;
use std::path::Path;

const CORPUS: &str = r#"{"id": "a", "title": "first", "text": "The quick brown fox jumps over the lazy dog near the river bank today."}
{"id": "b", "title": "same words, other case and punctuation", "text": "the QUICK brown fox -- jumps over the lazy dog, near the river bank today!"}
{"id": "c", "title": "one word changed", "text": "The quick brown fox jumps over the lazy dog near the river bank tomorrow."}
{"id": "d",   "text": "Completely different text about cooking pasta with tomato sauce and basil leaves.", "extra": [1, 2]}
{"id": "e", "text": "Short one."}
{"id": "f", "text": "short ONE"}
"#;

fn run_on_corpus(dir: &Path, extra: &[&str]) -> std::path::PathBuf {
    let input = dir.join("corpus.jsonl");
    std::fs::write(&input, CORPUS).unwrap();
    let out = dir.join("out");
    overlap()
        .current_dir(dir)
        .args(["dedup", "corpus.jsonl", "--quiet", "--out", "out"])
        .args(extra)
        .assert()
        .success();
    out
}

#[test]
fn output_formats() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_on_corpus(dir.path(), &[]);
    insta::assert_snapshot!(
        "clusters.jsonl",
        std::fs::read_to_string(out.join("clusters.jsonl")).unwrap()
    );
    insta::assert_snapshot!(
        "pairs.jsonl",
        std::fs::read_to_string(out.join("pairs.jsonl")).unwrap()
    );
    insta::assert_json_snapshot!("summary.json", stable_summary(&out.join("summary.json")));
    let timings = read_json(&out.join("summary.json"))["timings_ms"].clone();
    for stage in [
        "read_sketch",
        "candidates",
        "verify",
        "cluster",
        "write",
        "total",
    ] {
        assert!(
            timings[stage].as_f64().is_some(),
            "no timing for {stage}: {timings}"
        );
    }
}

#[test]
fn deduped_corpus_holds_the_kept_records_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_on_corpus(dir.path(), &[]);
    let deduped = std::fs::read_to_string(out.join("deduped.jsonl")).unwrap();
    let expected: Vec<&str> = CORPUS
        .lines()
        .filter(|l| {
            l.contains(r#""id": "a""#) || l.contains(r#""id": "d""#) || l.contains(r#""id": "e""#)
        })
        .collect();
    assert_eq!(deduped, expected.join("\n") + "\n");
}

#[test]
fn compressed_inputs_give_compressed_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("corpus.jsonl.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut enc, CORPUS.as_bytes()).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let zst = dir.path().join("corpus.jsonl.zst");
    std::fs::write(&zst, zstd::encode_all(CORPUS.as_bytes(), 3).unwrap()).unwrap();
    for (input, name) in [(&gz, "deduped.jsonl.gz"), (&zst, "deduped.jsonl.zst")] {
        let out = dir.path().join(format!("out-{name}"));
        overlap()
            .arg("dedup")
            .arg(input)
            .arg("-q")
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        let file = std::fs::File::open(out.join(name)).unwrap();
        let (mut reader, _) = overlap::io::decompress(file).unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut reader, &mut text).unwrap();
        assert_eq!(text.lines().count(), 3, "{name}: {text}");
    }
}

#[test]
fn stdin_gives_the_same_results_as_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let from_file = run_on_corpus(dir.path(), &[]);
    let from_stdin = dir.path().join("stdin-out");
    overlap()
        .args(["dedup", "-", "--quiet", "--out"])
        .arg(&from_stdin)
        .write_stdin(CORPUS)
        .assert()
        .success();
    for name in ["clusters.jsonl", "pairs.jsonl", "deduped.jsonl"] {
        assert_eq!(
            std::fs::read(from_file.join(name)).unwrap(),
            std::fs::read(from_stdin.join(name)).unwrap(),
            "{name} differs"
        );
    }
    assert!(
        !from_stdin.join(".stdin-spool.jsonl").exists(),
        "spool file left behind"
    );
}

#[test]
fn text_directories_dedup_by_relative_path() {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir_all(docs.join("sub")).unwrap();
    std::fs::write(
        docs.join("one.txt"),
        "A story about a cat who sat on the mat all day long.",
    )
    .unwrap();
    std::fs::write(
        docs.join("sub/two.txt"),
        "a story about a cat, who sat on the mat all day long",
    )
    .unwrap();
    std::fs::write(
        docs.join("three.txt"),
        "Something else entirely, about dogs in the park.",
    )
    .unwrap();
    let out = dir.path().join("out");
    overlap()
        .arg("dedup")
        .arg(&docs)
        .arg("-q")
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let clusters = std::fs::read_to_string(out.join("clusters.jsonl")).unwrap();
    assert_eq!(
        clusters,
        concat!(
            r#"{"id":"one.txt","cluster":"one.txt","kept":true,"reason":"unique"}"#,
            "\n",
            r#"{"id":"sub/two.txt","cluster":"one.txt","kept":false,"reason":"exact"}"#,
            "\n",
            r#"{"id":"three.txt","cluster":"three.txt","kept":true,"reason":"unique"}"#,
            "\n",
        )
    );
    assert!(out.join("deduped/one.txt").exists());
    assert!(out.join("deduped/three.txt").exists());
    assert!(!out.join("deduped/sub/two.txt").exists());
}

#[test]
fn json_flag_prints_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("corpus.jsonl");
    std::fs::write(&input, CORPUS).unwrap();
    let assert = job("dedup", &input, &dir.path().join("out"), &["--json"])
        .assert()
        .success();
    let printed: Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert_eq!(printed["documents"]["accepted"], 6);
    assert_eq!(printed["parameters"]["bands"], 17);
    assert!(
        assert.get_output().stderr.is_empty(),
        "--json must not chatter on stderr"
    );
}

#[test]
fn lsh_choice_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("corpus.jsonl");
    std::fs::write(&input, CORPUS).unwrap();
    let stderr = stderr_of(&mut job("dedup", &input, &dir.path().join("o"), &[]), 0);
    assert!(
        stderr.contains("LSH: 17 bands x 7 rows for threshold 0.8"),
        "{stderr}"
    );
}

#[test]
fn outputs_are_identical_for_any_thread_count() {
    let input = data("reuters21578.jsonl.gz");
    let dir = tempfile::tempdir().unwrap();
    let mut runs = Vec::new();
    for threads in ["1", "2", "3"] {
        let out = dir.path().join(format!("t{threads}"));
        overlap()
            .arg("dedup")
            .arg(&input)
            .args(["--quiet", "--threads", threads, "--out"])
            .arg(&out)
            .assert()
            .success();
        runs.push(out);
    }
    for name in ["clusters.jsonl", "pairs.jsonl", "deduped.jsonl.gz"] {
        let first = std::fs::read(runs[0].join(name)).unwrap();
        assert!(!first.is_empty());
        for other in &runs[1..] {
            assert!(
                first == std::fs::read(other.join(name)).unwrap(),
                "{name} differs"
            );
        }
    }
    let summaries: Vec<Value> = runs
        .iter()
        .map(|r| stable_summary(&r.join("summary.json")))
        .collect();
    assert_eq!(summaries[0], summaries[1]);
    assert_eq!(summaries[0], summaries[2]);
}

/// `--fix-encoding` repairs UTF-8 read as Windows-1252 before comparing, so a garbled copy of a
/// document is found as its exact duplicate; the records written out stay as they were read.
#[test]
fn fix_encoding_finds_garbled_copies() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let clean = "The club paid £339m for the café on Main Street, and it wasn’t cheap at all.";
    let garbled =
        "The club paid Â£339m for the cafÃ© on Main Street, and it wasnâ€™t cheap at all.";
    let lines = format!(
        "{}\n{}\n",
        serde_json::json!({"id": "clean", "text": clean}),
        serde_json::json!({"id": "garbled", "text": garbled})
    );
    std::fs::write(&input, &lines).unwrap();
    let run = |extra: &[&str], out: &str| {
        let out = dir.path().join(out);
        crate::common::overlap()
            .arg("dedup")
            .arg(&input)
            .arg("--out")
            .arg(&out)
            .args(extra)
            .arg("--quiet")
            .assert()
            .success();
        out
    };
    let plain = run(&[], "plain");
    let clusters = crate::common::read_jsonl(&plain.join("clusters.jsonl"));
    assert_eq!(clusters[1]["reason"], "unique");

    let fixed = run(&["--fix-encoding"], "fixed");
    let clusters = crate::common::read_jsonl(&fixed.join("clusters.jsonl"));
    assert_eq!(clusters[1]["reason"], "exact");
    assert_eq!(clusters[1]["cluster"], "clean");
    let summary = crate::common::read_json(&fixed.join("summary.json"));
    assert_eq!(summary["parameters"]["fix_encoding"], true);
    // The kept record is written byte for byte.
    let kept = std::fs::read_to_string(fixed.join("deduped.jsonl")).unwrap();
    assert_eq!(kept, format!("{}\n", lines.lines().next().unwrap()));
}
