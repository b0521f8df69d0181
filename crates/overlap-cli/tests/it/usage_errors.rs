//! Usage errors exit with code 2 and say what the valid range is, before any input is read: every
//! numeric option of every command is checked at parse time (NaN and infinities included), and
//! configurations that are only wrong together (bands x rows above the signature length) too.

use crate::common::{data, overlap};

#[test]
fn out_of_range_options_are_usage_errors_naming_the_range() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    let seeds = data("seeds");
    let seeds = seeds.to_str().unwrap();
    let seed = data("seeds/000_9646bb2135868c17.txt");
    let seed = seed.to_str().unwrap();
    // (arguments, text the message must hold)
    let cases: &[(&[&str], &str)] = &[
        (
            &["dedup", seeds, "--out", out, "--threshold", "1.5"],
            "in (0, 1]",
        ),
        (
            &["dedup", seeds, "--out", out, "--threshold", "0"],
            "in (0, 1]",
        ),
        (
            &["dedup", seeds, "--out", out, "--threshold", "NaN"],
            "in (0, 1]",
        ),
        (&["dedup", seeds, "--out", out, "--ngram", "0"], "1..=64"),
        (
            &["dedup", seeds, "--out", out, "--num-perm", "0"],
            "1..=4096",
        ),
        (
            &["dedup", seeds, "--out", out, "--bands", "0", "--rows", "4"],
            "1..=4096",
        ),
        (
            &[
                "dedup", seeds, "--out", out, "--bands", "20", "--rows", "10",
            ],
            "at most num_perm",
        ),
        (
            &["dedup", seeds, "--out", out, "--fn-weight", "inf"],
            "in [0, 1]",
        ),
        (
            &["dedup", seeds, "--out", out, "--max-record-bytes", "0"],
            "1..",
        ),
        (
            &["dedup", seeds, "--out", out, "--threads", "100000"],
            "0..=1024",
        ),
        (
            &["sketch", seeds, "--out", out, "--num-perm", "5000"],
            "1..=4096",
        ),
        (&["reuse", seeds, "--out", out, "--max-df", "0"], "2.."),
        (
            &["reuse", seeds, "--out", out, "--anchor-ngram", "0"],
            "1..=32",
        ),
        (
            &["reuse", seeds, "--out", out, "--min-shared-anchors", "0"],
            "1..",
        ),
        (
            &["reuse", seeds, "--out", out, "--reworded-dice", "NaN"],
            "in [0, 1]",
        ),
        (
            &["reuse", seeds, "--out", out, "--related-words", "inf"],
            ">= 0",
        ),
        (
            &["reuse", seeds, "--out", out, "--context-containment", "2"],
            "in [0, 1]",
        ),
        (
            &["align", seed, seed, "--related-score", "1.01"],
            "in [0, 1]",
        ),
        (
            &["align", seed, seed, "--reworded-containment", "nan"],
            "in [0, 1]",
        ),
        (&["align", seed, seed, "--min-shared-words", "0"], "1.."),
        (&["dedup", "", "--out", out], "an input name is empty"),
    ];
    for (args, expected) in cases {
        let assert = overlap().args(*args).assert().code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(
            !std::path::Path::new(out).join("summary.json").exists(),
            "{args:?} wrote outputs"
        );
    }
}

#[test]
fn an_empty_document_name_in_align_is_named() {
    let assert = overlap().args(["align", "", "x"]).assert().code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("a document name is empty"), "{stderr}");
}
