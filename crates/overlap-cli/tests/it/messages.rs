//! What the commands say on standard error, in order.

use crate::common::{data, overlap};

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
