//! The switches of `reuse --semantic`'s rules (`--semantic-margin`, `--semantic-min-words`,
//! `--semantic-keep-addresses`, `--semantic-evidence-relates`, `--semantic-whole-passages`,
//! `--semantic-margin-neighbours`, `--semantic-numbers-may-differ`, `--semantic-template-docs`):
//! each reaches the pass (its parameters in `summary.json`) and
//! changes what it should on real data: two unrelated BBC articles into which four human
//! paraphrase pairs of the STS news benchmark were put, and two articles sharing two lines of
//! addresses only. Needs the static model (skipped when it is not built, unless
//! OVERLAP_REQUIRE_MODEL is set).

use super::reuse_semantic::{paraphrases, plant};
use crate::common::{gz_lines, overlap, read_jsonl, real_model};
use serde_json::Value;
use std::path::Path;

/// 60 BBC articles, `a` planted into the first and `b` into the 41st; the two ids.
fn corpus(path: &Path, a: &[String], b: &[String]) -> (String, String) {
    let bbc: Vec<Value> = gz_lines("bbc-news.jsonl.gz").into_iter().take(60).collect();
    let mut lines = String::new();
    for (i, d) in bbc.iter().enumerate() {
        let text = d["text"].as_str().unwrap();
        let text = match i {
            0 => plant(text, a).0,
            40 => plant(text, b).0,
            _ => text.to_string(),
        };
        lines.push_str(&serde_json::json!({"id": d["id"], "text": text}).to_string());
        lines.push('\n');
    }
    std::fs::write(path, lines).unwrap();
    let id = |i: usize| bbc[i]["id"].as_str().unwrap().to_string();
    (id(0), id(40))
}

/// Whether `reuse --semantic` with `extra` relates `pair`; and the pass's parameters.
fn related(model: &Path, input: &Path, pair: &(String, String), extra: &[&str]) -> (bool, Value) {
    let out = tempfile::tempdir().unwrap();
    let r = overlap()
        .arg("reuse")
        .arg(input)
        .arg("--out")
        .arg(out.path())
        .arg("--json")
        .args(["--semantic", "--model"])
        .arg(model)
        .args(extra)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let summary: Value = serde_json::from_slice(&r.stdout).unwrap();
    let found = read_jsonl(&out.path().join("pairs.jsonl"))
        .iter()
        .any(|p| p["a"] == pair.0.as_str() && p["b"] == pair.1.as_str());
    (found, summary["semantic"]["parameters"].clone())
}

#[test]
fn semantic_rule_switches_reach_the_pass_and_change_what_they_should() {
    let Some(model) = real_model() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("paraphrases.jsonl");
    let (a, b) = paraphrases();
    let pair = corpus(&input, &a, &b);

    let (yes, defaults) = related(&model, &input, &pair, &[]);
    assert!(yes, "related by default");
    assert_eq!(defaults["min_passage_words"], 5, "{defaults}");
    assert_eq!(defaults["sentence_pairs"], true, "{defaults}");
    let contrast = &defaults["contrast"];
    assert_eq!(contrast["skip_addresses"], true, "{contrast}");
    assert_eq!(contrast["min_margin"], 0.2, "{contrast}");
    assert_eq!(contrast["neighbours"], 3, "{contrast}");
    assert_eq!(contrast["passages_decide"], true, "{contrast}");
    assert_eq!(defaults["numbers_agree"], true, "{defaults}");
    assert_eq!(defaults["template_docs"], 0, "{defaults}");

    // No reworded passage stands 2 above its surroundings: the margin rule refuses them all; off
    // (-2), the pair is related as by default.
    let (yes, p) = related(&model, &input, &pair, &["--semantic-margin", "2"]);
    assert!(!yes, "no passage stands out by 2");
    assert_eq!(p["contrast"]["min_margin"], 2.0);
    let (yes, p) = related(&model, &input, &pair, &["--semantic-margin=-2"]);
    assert!(yes);
    assert_eq!(p["contrast"]["min_margin"], -2.0);
    // No planted sentence has 40 words.
    let (yes, p) = related(&model, &input, &pair, &["--semantic-min-words", "40"]);
    assert!(!yes, "no passage of 40 words");
    assert_eq!(p["min_passage_words"], 40);
    // The others reach the pass and keep this pair (its passages are said twice as wholes).
    for (flag, key, want) in [
        (
            "--semantic-whole-passages",
            "sentence_pairs",
            Value::from(false),
        ),
        (
            "--semantic-evidence-relates",
            "passages_decide",
            Value::from(false),
        ),
        (
            "--semantic-keep-addresses",
            "skip_addresses",
            Value::from(false),
        ),
    ] {
        let (yes, p) = related(&model, &input, &pair, &[flag]);
        assert!(yes, "{flag}");
        let got = if key == "sentence_pairs" {
            &p[key]
        } else {
            &p["contrast"][key]
        };
        assert_eq!(got, &want, "{flag}: {p}");
    }
    let (yes, p) = related(
        &model,
        &input,
        &pair,
        &["--semantic-margin-neighbours", "1"],
    );
    assert!(yes);
    assert_eq!(p["contrast"]["neighbours"], 1);
}

#[test]
fn lines_of_addresses_relate_only_with_semantic_keep_addresses() {
    let Some(model) = real_model() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("addresses.jsonl");
    // Two lines said verbatim in both articles, each mostly addresses: fewer than 5 words outside
    // them, too few words for the lexical rules.
    let lines = vec![
        "See henry@zoo.toronto.edu".to_string(),
        "Mirror ftp.lcs.mit.edu:/pub/quartz".to_string(),
    ];
    let pair = corpus(&input, &lines, &lines);
    let lexical = tempfile::tempdir().unwrap();
    let r = overlap()
        .arg("reuse")
        .arg(&input)
        .arg("--out")
        .arg(lexical.path())
        .output()
        .unwrap();
    assert!(r.status.success());
    assert!(
        !read_jsonl(&lexical.path().join("pairs.jsonl"))
            .iter()
            .any(|p| p["a"] == pair.0.as_str() && p["b"] == pair.1.as_str()),
        "the lexical rules do not relate them"
    );
    let (yes, _) = related(&model, &input, &pair, &[]);
    assert!(!yes, "addresses are not statements");
    let (yes, p) = related(&model, &input, &pair, &["--semantic-keep-addresses"]);
    assert!(yes, "counted with --semantic-keep-addresses");
    assert_eq!(p["contrast"]["skip_addresses"], false);
}

#[test]
fn paraphrases_stating_other_numbers_relate_only_with_semantic_numbers_may_differ() {
    let Some(model) = real_model() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = paraphrases();
    // The same four paraphrases, each side dated: the same year on both, or other years.
    let dated = |s: &[String], year: &str| -> Vec<String> {
        s.iter().map(|t| format!("In {year}, {t}")).collect()
    };
    let same = tmp.path().join("same.jsonl");
    let pair = corpus(&same, &dated(&a, "2008"), &dated(&b, "2008"));
    let (yes, _) = related(&model, &same, &pair, &[]);
    assert!(yes, "the same numbers: the same facts");
    let other = tmp.path().join("other.jsonl");
    let pair = corpus(&other, &dated(&a, "2008"), &dated(&b, "1994"));
    let (yes, _) = related(&model, &other, &pair, &[]);
    assert!(!yes, "other numbers on both sides: other facts");
    let (yes, p) = related(&model, &other, &pair, &["--semantic-numbers-may-differ"]);
    assert!(yes, "counted with --semantic-numbers-may-differ");
    assert_eq!(p["numbers_agree"], false);
}

#[test]
fn lines_recurring_in_many_documents_do_not_relate_with_semantic_template_docs() {
    let Some(model) = real_model() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("series.jsonl");
    // Two lines of one series, said verbatim in six of the 60 articles (too few for boilerplate,
    // too short for the lexical rules). These short articles have all their lines among their
    // last ten, where lines in three or more are masked as signatures: that mask is turned off
    // (`--signature-docs 0`) so that the lines reach the semantic pass, as lines in the body of
    // longer documents do.
    let lines = vec![
        "Spokesman Fitzwater briefed reporters aboard the presidential helicopter.".to_string(),
        "Transcripts follow from the Kennebunkport press office.".to_string(),
    ];
    let bbc: Vec<Value> = gz_lines("bbc-news.jsonl.gz").into_iter().take(60).collect();
    let mut text = String::new();
    for (i, d) in bbc.iter().enumerate() {
        let t = d["text"].as_str().unwrap();
        let t = if [0, 10, 20, 30, 40, 50].contains(&i) {
            plant(t, &lines).0
        } else {
            t.to_string()
        };
        text.push_str(&serde_json::json!({"id": d["id"], "text": t}).to_string());
        text.push('\n');
    }
    std::fs::write(&input, text).unwrap();
    let id = |i: usize| bbc[i]["id"].as_str().unwrap().to_string();
    let pair = (id(0), id(40));
    let no_signatures = ["--signature-docs", "0"];
    let (yes, p) = related(&model, &input, &pair, &no_signatures);
    assert!(yes, "said twice with the rule off (the default)");
    assert_eq!(p["template_docs"], 0);
    let five = [&no_signatures[..], &["--semantic-template-docs", "5"]].concat();
    let (yes, _) = related(&model, &input, &pair, &five);
    assert!(!yes, "lines held by six documents recur at 5");
    for n in ["6", "7"] {
        let args = [&no_signatures[..], &["--semantic-template-docs", n]].concat();
        let (yes, p) = related(&model, &input, &pair, &args);
        assert_eq!(
            yes,
            n == "7",
            "held by six documents: common from 6, not from 7"
        );
        assert_eq!(p["template_docs"], n.parse::<u64>().unwrap());
    }
}
