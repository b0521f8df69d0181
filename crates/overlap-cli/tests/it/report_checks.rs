//! `overlap report` refuses an output folder it cannot make a working page of, and says what is
//! wrong (exit 1), instead of writing a page that never renders.

use crate::common::overlap;
use std::path::Path;

fn dedup_folder(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let summary = serde_json::json!({
        "command": "dedup",
        "documents": {"read": 1, "accepted": 1, "skipped": 0},
        "parameters": {"threshold": 0.8},
        "inputs": [{"path": "none.jsonl", "format": "jsonl"}],
    });
    std::fs::write(dir.join("summary.json"), summary.to_string()).unwrap();
    std::fs::write(dir.join("pairs.jsonl"), "").unwrap();
    std::fs::write(
        dir.join("clusters.jsonl"),
        "{\"id\":\"a\",\"cluster\":\"a\",\"kept\":true,\"reason\":\"unique\"}\n",
    )
    .unwrap();
}

#[test]
fn broken_output_folders_are_refused_with_the_reason() {
    let root = tempfile::tempdir().unwrap();
    let good = root.path().join("good");
    dedup_folder(&good);
    overlap()
        .args(["report", "--quiet"])
        .arg(&good)
        .assert()
        .success();
    assert!(good.join("report.html").is_file());

    // (what to break, the message expected)
    type Break = fn(&Path);
    let cases: [(&str, Break, &str); 5] = [
        (
            "array",
            |d| std::fs::write(d.join("summary.json"), "[]").unwrap(),
            "summary.json:1: summary.json must be a JSON object, found an array",
        ),
        (
            "documents",
            |d| std::fs::write(d.join("summary.json"), r#"{"documents": {"read": "1"}}"#).unwrap(),
            "\"documents.read\" must be a whole number >= 0, found a string",
        ),
        (
            "inputs",
            |d| std::fs::write(d.join("summary.json"), r#"{"inputs": {"path": "x"}}"#).unwrap(),
            "\"inputs\" must be an array, found an object",
        ),
        (
            "no-clusters",
            |d| std::fs::remove_file(d.join("clusters.jsonl")).unwrap(),
            "clusters.jsonl is missing",
        ),
        (
            "no-pairs",
            |d| std::fs::remove_file(d.join("pairs.jsonl")).unwrap(),
            "pairs.jsonl is missing",
        ),
    ];
    for (name, break_it, message) in cases {
        let dir = root.path().join(name);
        dedup_folder(&dir);
        break_it(&dir);
        let assert = overlap().arg("report").arg(&dir).assert().code(1);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(stderr.contains(message), "{name}: {stderr}");
        assert!(
            !dir.join("report.html").exists(),
            "{name}: a page was written"
        );
    }
}
