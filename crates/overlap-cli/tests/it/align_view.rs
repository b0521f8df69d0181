//! `overlap align` as a person reads it on a terminal: a header in words, shared passages side by
//! side, and what each side has alone, in order. And the help every command ends with.

use crate::common::{data, output_ok, overlap};

const A: &str = "seeds/000_9646bb2135868c17.txt";
const B: &str = "seeds/003_b5dab42e183730da.txt";

fn view(extra: &[&str]) -> String {
    let out = output_ok(
        overlap()
            .current_dir(data("seeds"))
            .args([
                "align",
                "000_9646bb2135868c17.txt",
                "003_b5dab42e183730da.txt",
            ])
            .args(["--width", "100"])
            .args(extra),
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn seed_pair_view_says_what_is_shared_added_and_dropped() {
    let text = view(&[]);
    // Piped output carries no terminal escapes.
    assert!(!text.contains('\x1b'));
    insta::assert_snapshot!("align_seed_view", text);
    assert!(text.starts_with("RELATED: the two documents share text"));
    assert!(text.contains("57% of A's text is in B; 42% of B's text is in A."));
    // The publisher's appeal has no counterpart in B: it is shown, as dropped.
    let appeal = text.find("A Message from The Moscow Times").unwrap();
    let label = text[..appeal].rfind("only in A (B dropped it)").unwrap();
    assert!(text[label..appeal].lines().count() < 20);
    // B's Taiwan paragraph is something B added.
    let taiwan = text.find("Regarding Taiwan").unwrap();
    assert!(text[..taiwan].rfind("only in B (B added it)").is_some());
}

#[test]
fn only_shared_gives_the_passages_alone() {
    let full = view(&[]);
    let shared = view(&["--only-shared"]);
    assert!(!shared.contains("only in A"));
    assert!(!shared.contains("only in B"));
    assert!(!shared.contains("A Message from The Moscow Times"));
    // Every passage header of the full view is in the shared view, in the same order.
    let headers = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| l.starts_with('#'))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(headers(&full), headers(&shared));
    assert_eq!(headers(&full).len(), 8);
}

#[test]
fn compressed_or_jsonl_inputs_point_to_corpus() {
    let out = overlap()
        .arg("align")
        .arg(data("reuters21578.jsonl.gz"))
        .arg(data(A))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("gzip-compressed"), "{err}");
    assert!(err.contains("--corpus"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("two.txt");
    std::fs::write(&jsonl, "{\"id\": \"x\", \"text\": \"hello\"}\n").unwrap();
    let out = overlap()
        .arg("align")
        .arg(&jsonl)
        .arg(data(B))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("JSON Lines corpus"), "{err}");
    assert!(err.contains("--corpus"), "{err}");
}

#[test]
fn every_command_help_ends_with_examples() {
    for command in ["dedup", "align", "reuse", "report", "sketch"] {
        let out = overlap().args([command, "--help"]).output().unwrap();
        assert!(out.status.success());
        let help = String::from_utf8(out.stdout).unwrap();
        let examples = help
            .rfind("Examples:")
            .unwrap_or_else(|| panic!("{command} --help has no examples"));
        let lines: Vec<&str> = help[examples..].lines().skip(1).collect();
        assert!(lines.len() >= 2, "{command}: {lines:?}");
        assert!(
            lines.iter().all(|l| l.contains("overlap ")),
            "{command}: {lines:?}"
        );
    }
}
