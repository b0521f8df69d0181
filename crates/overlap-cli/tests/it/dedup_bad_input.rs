//! Bad input: every kind of broken record gets a clear message with file and line; `--on-error skip`
//! lists it and goes on, `fail` (the default) stops with exit code 1; no input record is lost.

use crate::common::{job, overlap, read_json, read_jsonl, stderr_of};
use serde_json::Value;
use std::io::Write;
use std::path::Path;

/// A JSONL file with one record of each kind of problem, and the line each is on.
fn broken_corpus(dir: &Path) -> std::path::PathBuf {
    let mut bytes: Vec<u8> = Vec::new();
    let lines: [&[u8]; 10] = [
        br#"{"id": "good-1", "text": "the first good document has some words in it"}"#,
        br#"{"id": "bad-json", "text": "unterminated"#,
        b"{\"id\": \"bad-utf8\", \"text\": \"caf\xe9 au lait\"}",
        br#"{"id": "no-text", "body": "the text is in the wrong field"}"#,
        br#"{"id": "empty", "text": "  ... !! "}"#,
        br#"{"id": "good-1", "text": "a second record reusing the first id"}"#,
        br#"{"id": "number-text", "text": 42}"#,
        b"   ",
        br#"{"text": "a good document without an id gets its line number"}"#,
        br#"{"id": "good-2", "text": "the first good document has some words in it"}"#,
    ];
    for line in lines {
        bytes.extend_from_slice(line);
        bytes.push(b'\n');
    }
    let path = dir.join("broken.jsonl");
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn fail_is_the_default_and_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let input = broken_corpus(dir.path());
    let out = dir.path().join("out");
    let stderr = stderr_of(&mut job("dedup", &input, &out, &[]), 1);
    assert!(
        stderr.contains("broken.jsonl:2: malformed JSON"),
        "stderr: {stderr}"
    );
    assert!(stderr.contains("--on-error skip"), "stderr: {stderr}");
    assert!(
        !out.join("clusters.jsonl").exists(),
        "a failed run must not leave outputs"
    );
}

#[test]
fn skip_lists_every_bad_record_and_loses_none() {
    let dir = tempfile::tempdir().unwrap();
    let input = broken_corpus(dir.path());
    let out = dir.path().join("out");
    job("dedup", &input, &out, &["--on-error", "skip", "--quiet"])
        .assert()
        .success();
    let summary = read_json(&out.join("summary.json"));
    let skipped = summary["skipped"].as_array().unwrap();
    let by_line: Vec<(u64, &str)> = skipped
        .iter()
        .map(|s| (s["line"].as_u64().unwrap(), s["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        by_line,
        [
            (2, "malformed_json"),
            (3, "invalid_utf8"),
            (4, "missing_field"),
            (6, "duplicate_id"),
            (7, "bad_field_type"),
        ]
    );
    for s in skipped {
        assert!(s["file"].as_str().unwrap().ends_with("broken.jsonl"));
        assert!(!s["message"].as_str().unwrap().is_empty());
    }
    let clusters = read_jsonl(&out.join("clusters.jsonl"));
    let ids: Vec<&str> = clusters.iter().map(|c| c["id"].as_str().unwrap()).collect();
    // An empty document is data, not a bad record: accepted, kept, marked. A record without an id
    // gets FILE:LINE.
    let generated = format!("{}:9", input.display());
    assert_eq!(ids, ["good-1", "empty", &generated, "good-2"]);
    assert_eq!(clusters[1]["empty"], true);
    assert_eq!(clusters[1]["kept"], true);
    // good-2 repeats good-1's text: an exact duplicate.
    assert_eq!(clusters[3]["reason"], "exact");
    assert_eq!(clusters[3]["cluster"], "good-1");
    let docs = &summary["documents"];
    assert_eq!(docs["read"], 9, "nine records (the blank line is not one)");
    assert_eq!(
        docs["accepted"].as_u64().unwrap() + docs["skipped"].as_u64().unwrap(),
        9
    );
    assert_eq!(summary["inputs"][0]["blank_lines"], 1);
    assert_eq!(summary["skipped_by_reason"]["duplicate_id"], 1);
}

fn compressed(kind: &str, records: usize) -> Vec<u8> {
    let mut raw = Vec::new();
    for i in 0..records {
        writeln!(
            raw,
            r#"{{"id": "doc-{i}", "text": "document number {i} says something about topic {}"}}"#,
            i % 17
        )
        .unwrap();
    }
    match kind {
        "gz" => {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(&raw).unwrap();
            enc.finish().unwrap()
        }
        "zst" => zstd::encode_all(&raw[..], 3).unwrap(),
        _ => unreachable!(),
    }
}

#[test]
fn truncated_compressed_inputs_are_reported_not_silently_shortened() {
    for kind in ["gz", "zst"] {
        let dir = tempfile::tempdir().unwrap();
        let full = compressed(kind, 3000);
        let input = dir.path().join(format!("cut.jsonl.{kind}"));
        std::fs::write(&input, &full[..full.len() * 2 / 3]).unwrap();

        let out = dir.path().join("fail");
        let stderr = stderr_of(&mut job("dedup", &input, &out, &[]), 1);
        assert!(
            stderr.contains(&format!("cut.jsonl.{kind}:")),
            "{kind}: {stderr}"
        );
        assert!(stderr.contains("cannot be read"), "{kind}: {stderr}");

        let out = dir.path().join("skip");
        job("dedup", &input, &out, &["--on-error", "skip", "--quiet"])
            .assert()
            .success();
        let summary = read_json(&out.join("summary.json"));
        let skipped = summary["skipped"].as_array().unwrap();
        assert_eq!(skipped.len(), 1, "{kind}: {skipped:?}");
        assert_eq!(skipped[0]["reason"], "truncated");
        let accepted = summary["documents"]["accepted"].as_u64().unwrap();
        assert!(
            accepted > 0 && accepted < 3000,
            "{kind}: {accepted} records before the cut"
        );
        // The truncation is reported at the first line that could not be read.
        assert_eq!(skipped[0]["line"].as_u64().unwrap(), accepted + 1);
    }
}

#[test]
fn a_50_mb_document_is_processed_and_a_limit_can_reject_it() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("huge.jsonl");
    let mut text = String::with_capacity(50 << 20);
    let mut i = 0u64;
    while text.len() < 50 << 20 {
        text.push_str(&format!("word{} ", i % 100_003));
        i += 1;
    }
    let mut f = std::fs::File::create(&input).unwrap();
    writeln!(f, "{}", serde_json::json!({"id": "huge", "text": text})).unwrap();
    writeln!(f, r#"{{"id": "small", "text": "a small document"}}"#).unwrap();
    drop(f);

    let out = dir.path().join("out");
    job("dedup", &input, &out, &["--quiet"]).assert().success();
    let clusters = read_jsonl(&out.join("clusters.jsonl"));
    assert_eq!(clusters.len(), 2);

    let out = dir.path().join("limited");
    let limited = &["--max-record-bytes", "1000000"];
    let stderr = stderr_of(&mut job("dedup", &input, &out, limited), 1);
    assert!(stderr.contains("huge.jsonl:1: record of"), "{stderr}");
    assert!(stderr.contains("larger than the limit"), "{stderr}");
}

#[test]
fn text_files_with_invalid_utf8_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir(&docs).unwrap();
    std::fs::write(docs.join("a.txt"), "a readable document").unwrap();
    std::fs::write(docs.join("b.txt"), b"not \xff readable").unwrap();
    let out = dir.path().join("out");
    let stderr = stderr_of(&mut job("dedup", &docs, &out, &[]), 1);
    assert!(stderr.contains("b.txt: invalid UTF-8"), "{stderr}");
}

#[test]
fn usage_and_path_errors_have_their_exit_codes() {
    overlap().args(["dedup", "x.jsonl"]).assert().code(2);
    overlap()
        .args(["dedup", "--threshold", "abc", "x", "--out", "o"])
        .assert()
        .code(2);
    let dir = tempfile::tempdir().unwrap();
    let missing = Path::new("no/such/input.jsonl");
    let stderr = stderr_of(&mut job("dedup", missing, dir.path(), &[]), 1);
    assert!(
        stderr.contains("no/such/input.jsonl: no such file"),
        "{stderr}"
    );
    let too_high = &["--threshold", "1.5"];
    let stderr = stderr_of(&mut job("dedup", Path::new("x"), dir.path(), too_high), 2);
    assert!(stderr.contains("--threshold"), "{stderr}");
    assert!(stderr.contains("in (0, 1]"), "{stderr}");
}

#[test]
fn random_bytes_never_crash_the_reader() {
    // A cheap fuzz pass over the binary: lines of random bytes, JSON-ish fragments and control
    // characters. Every run must end with exit 0 under skip and account for every line.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let fragments: [&[u8]; 8] = [
        b"{",
        b"}",
        b"\"text\"",
        b":",
        b"\"id\"",
        b"\\u0000",
        b"\"",
        b"\xf0\x9f",
    ];
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("fuzz.jsonl");
    let mut bytes = Vec::new();
    let mut lines = 0;
    for _ in 0..300 {
        let mut line = Vec::new();
        for _ in 0..(next() % 12) {
            let r = next();
            if r % 3 == 0 {
                line.push((r >> 8) as u8);
            } else {
                line.extend_from_slice(fragments[(r >> 8) as usize % fragments.len()]);
            }
        }
        line.retain(|&b| b != b'\n');
        bytes.extend_from_slice(&line);
        bytes.push(b'\n');
        lines += 1;
        if next() % 4 == 0 {
            bytes
                .extend_from_slice(format!("{{\"text\": \"words {} here\"}}\n", next()).as_bytes());
            lines += 1;
        }
    }
    std::fs::write(&input, &bytes).unwrap();
    let out = dir.path().join("out");
    job("dedup", &input, &out, &["--on-error", "skip", "--quiet"])
        .assert()
        .success();
    let summary: Value = read_json(&out.join("summary.json"));
    let blank = summary["inputs"][0]["blank_lines"].as_u64().unwrap();
    assert_eq!(
        summary["documents"]["read"].as_u64().unwrap() + blank,
        lines,
        "{summary:#}"
    );
    let clusters = read_jsonl(&out.join("clusters.jsonl"));
    assert_eq!(
        clusters.len() as u64,
        summary["documents"]["accepted"].as_u64().unwrap()
    );
}
