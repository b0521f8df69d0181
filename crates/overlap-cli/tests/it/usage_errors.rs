//! Usage errors exit with code 2 and say what the valid range is, before any input is read: every
//! numeric option of every command is checked at parse time (NaN and infinities included), and
//! configurations that are only wrong together (bands x rows above the signature length) too.

use crate::common::{data, overlap, stderr_of};

#[test]
fn out_of_range_options_are_usage_errors_naming_the_range() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    let seeds = data("seeds");
    let seeds = seeds.to_str().unwrap();
    let seed = data("seeds/000_9646bb2135868c17.txt");
    let seed = seed.to_str().unwrap();
    // A job on the seeds folder, or align of one seed with itself, given these options.
    let job = |command: &'static str, options: &[&'static str]| {
        [&[command, seeds, "--out", out][..], options].concat()
    };
    let align = |options: &[&'static str]| [&["align", seed, seed][..], options].concat();
    // (arguments, text the message must hold)
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (job("dedup", &["--threshold", "1.5"]), "in (0, 1]"),
        (job("dedup", &["--threshold", "0"]), "in (0, 1]"),
        (job("dedup", &["--threshold", "NaN"]), "in (0, 1]"),
        (job("dedup", &["--ngram", "0"]), "1..=64"),
        (job("dedup", &["--num-perm", "0"]), "1..=4096"),
        (job("dedup", &["--bands", "0", "--rows", "4"]), "1..=4096"),
        (
            job("dedup", &["--bands", "20", "--rows", "10"]),
            "at most num_perm",
        ),
        (job("dedup", &["--fn-weight", "inf"]), "in [0, 1]"),
        (job("dedup", &["--max-record-bytes", "0"]), "1.."),
        (job("dedup", &["--threads", "100000"]), "0..=1024"),
        (job("sketch", &["--num-perm", "5000"]), "1..=4096"),
        (job("reuse", &["--max-df", "0"]), "2.."),
        (job("reuse", &["--anchor-ngram", "0"]), "1..=32"),
        (job("reuse", &["--min-shared-anchors", "0"]), "1.."),
        (job("reuse", &["--reworded-dice", "NaN"]), "in [0, 1]"),
        (job("reuse", &["--related-words", "inf"]), ">= 0"),
        (job("reuse", &["--context-containment", "2"]), "in [0, 1]"),
        (align(&["--related-score", "1.01"]), "in [0, 1]"),
        (align(&["--reworded-containment", "nan"]), "in [0, 1]"),
        (align(&["--min-shared-words", "0"]), "1.."),
        (vec!["dedup", "", "--out", out], "an input name is empty"),
    ];
    for (args, expected) in &cases {
        let stderr = stderr_of(overlap().args(args), 2);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(
            !std::path::Path::new(out).join("summary.json").exists(),
            "{args:?} wrote outputs"
        );
    }
}

#[test]
fn an_empty_document_name_in_align_is_named() {
    let stderr = stderr_of(overlap().args(["align", "", "x"]), 1);
    assert!(stderr.contains("a document name is empty"), "{stderr}");
}
