//! Empty documents (no word after normalization) are data, not broken records: accepted, marked
//! `"empty": true`, counted, kept each alone by dedup and each its own story in reuse, and never a
//! reason to fail a run.

use crate::common::{data, job, read_json, stable_summary};
use std::path::Path;

fn corpus(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("with_empty.jsonl");
    std::fs::write(
        &path,
        concat!(
            r#"{"id": "a", "text": "the council approved the new budget for the city schools"}"#,
            "\n",
            r#"{"id": "blank", "text": ""}"#,
            "\n",
            r#"{"id": "dots", "text": " ... !! -- "}"#,
            "\n",
            r#"{"id": "b", "text": "the council approved the new budget for the city schools"}"#,
            "\n",
            r#"{"id": "again-blank", "text": "   "}"#,
            "\n",
        ),
    )
    .unwrap();
    path
}

#[test]
fn dedup_keeps_empty_documents_alone_and_marks_them() {
    let dir = tempfile::tempdir().unwrap();
    let input = corpus(dir.path());
    let out = dir.path().join("out");
    job("dedup", &input, &out, &["--quiet"]).assert().success();
    insta::assert_snapshot!(
        "empty_clusters.jsonl",
        std::fs::read_to_string(out.join("clusters.jsonl")).unwrap()
    );
    let summary = stable_summary(&out.join("summary.json"));
    assert_eq!(summary["documents"]["empty"], 3);
    assert_eq!(summary["documents"]["accepted"], 5);
    assert_eq!(summary["documents"]["kept"], 4, "{summary:#}");
    assert_eq!(
        summary["pairs"]["near"], 0,
        "empty documents are never compared"
    );
    // Kept empty records are copied to the deduplicated corpus like any kept record.
    let deduped = out.join("deduped.jsonl");
    let kept = std::fs::read_to_string(deduped).unwrap();
    assert_eq!(kept.lines().count(), 4);
}

#[test]
fn reuse_and_sketch_mark_empty_documents() {
    let dir = tempfile::tempdir().unwrap();
    let input = corpus(dir.path());
    let out = dir.path().join("reuse");
    job("reuse", &input, &out, &["--quiet"]).assert().success();
    insta::assert_snapshot!(
        "empty_stories.jsonl",
        std::fs::read_to_string(out.join("stories.jsonl")).unwrap()
    );
    assert_eq!(
        read_json(&out.join("summary.json"))["documents"]["empty"],
        3
    );

    let sig = dir.path().join("sig.jsonl");
    job("sketch", &input, &sig, &["--quiet"]).assert().success();
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&sig)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let empty: Vec<bool> = lines.iter().map(|l| l["empty"] == true).collect();
    assert_eq!(empty, [false, true, true, false, true]);
}

/// The README's example corpus with 35 empty texts: both jobs succeed on it as written.
#[test]
fn shipped_20newsgroups_runs_with_its_empty_texts() {
    let dir = tempfile::tempdir().unwrap();
    for command in ["dedup", "reuse"] {
        let out = dir.path().join(command);
        job(command, &data("20newsgroups.jsonl.gz"), &out, &["--quiet"])
            .assert()
            .success();
        let summary = read_json(&out.join("summary.json"));
        let docs = &summary["documents"];
        assert_eq!(docs["empty"], 35, "{command}: {docs}");
        assert_eq!(docs["skipped"], 0, "{command}: {docs}");
        assert_eq!(docs["read"], docs["accepted"], "{command}: {docs}");
        let listing = if command == "dedup" {
            "clusters.jsonl"
        } else {
            "stories.jsonl"
        };
        let marked = std::fs::read_to_string(out.join(listing))
            .unwrap()
            .lines()
            .filter(|l| l.contains(r#""empty":true"#))
            .count();
        assert_eq!(marked, 35, "{command}");
    }
}
