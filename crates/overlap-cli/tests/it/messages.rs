//! What the commands say on standard error, in order.

use crate::common::{data, output_ok, overlap};

#[test]
fn lsh_choice_is_printed_only_once_the_inputs_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"id\": 1, \"text\": \"a b c\"}\nnot json\n").unwrap();
    let out = overlap()
        .args(["dedup"])
        .arg(&bad)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.jsonl:2: malformed JSON"), "{err}");
    assert!(!err.contains("LSH:"), "{err}");

    let out = overlap()
        .args(["dedup"])
        .arg(data("bbc-news.jsonl.gz"))
        .arg("--out")
        .arg(dir.path().join("bbc"))
        .arg("--no-deduped")
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let lsh = err.find("LSH: 17 bands x 7 rows").expect("the LSH line");
    assert!(lsh < err.find("read 2225 records").unwrap(), "{err}");
}

/// An output folder records where its inputs lie relative to itself, so `overlap report` finds the
/// texts from any working directory, not only the one the job ran in.
#[test]
fn report_finds_inputs_from_any_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    std::fs::create_dir_all(dir.path().join("elsewhere")).unwrap();
    let story = "The northern line will be extended by two stations before the end of next year, \
                 the committee agreed after a long debate on the regional transport budget.";
    let lines: String = (0..3)
        .map(|i| {
            format!(
                "{}\n",
                serde_json::json!({"id": format!("d{i}"), "text": format!("{story} Note {i}.")})
            )
        })
        .collect();
    std::fs::write(dir.path().join("data/corpus.jsonl"), lines).unwrap();
    overlap()
        .current_dir(dir.path())
        .args(["dedup", "data/corpus.jsonl", "--out", "runs/out", "--quiet"])
        .assert()
        .success();
    let summary = crate::common::read_json(&dir.path().join("runs/out/summary.json"));
    assert_eq!(summary["inputs"][0]["path"], "data/corpus.jsonl");
    assert_eq!(summary["inputs"][0]["from_out"], "../../data/corpus.jsonl");

    let out = output_ok(
        overlap()
            .current_dir(dir.path().join("elsewhere"))
            .args(["report", "../runs/out"]),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("not found"), "{err}");
    let page = std::fs::read_to_string(dir.path().join("runs/out/report.html")).unwrap();
    assert!(
        page.contains("the committee agreed"),
        "the texts are embedded"
    );
}
