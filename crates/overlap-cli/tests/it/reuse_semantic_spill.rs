//! `reuse --semantic` within `--memory`: the candidate stage (the rare word pairs of every
//! document and their sorted entries) spills to sorted runs under a small budget and gives the
//! same candidates, so the same bytes. 300 BBC articles, two of which share four human paraphrase
//! pairs of the STS news benchmark (as in `reuse_semantic`). Needs the static model (skipped when
//! it is not built, unless OVERLAP_REQUIRE_MODEL is set).

use super::reuse_semantic::{paraphrases, plant, reuse};
use crate::common::{gz_lines, read_jsonl, real_model, stable_summary};
use serde_json::Value;

#[test]
fn semantic_candidates_spill_within_the_budget_and_give_the_same_outputs() {
    let Some(model) = real_model() else { return };
    let (text1, text2) = paraphrases();
    let bbc: Vec<Value> = gz_lines("bbc-news.jsonl.gz")
        .into_iter()
        .take(300)
        .collect();
    let (ia, ib) = (0, 150);
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus.jsonl");
    let mut lines = String::new();
    for (i, d) in bbc.iter().enumerate() {
        let text = d["text"].as_str().unwrap();
        let text = match i {
            _ if i == ia => plant(text, &text1).0,
            _ if i == ib => plant(text, &text2).0,
            _ => text.to_string(),
        };
        lines.push_str(&serde_json::json!({"id": d["id"], "text": text}).to_string());
        lines.push('\n');
    }
    std::fs::write(&corpus, lines).unwrap();

    let runs = [
        ("default-1", vec!["--threads", "1"]),
        ("default-2", vec!["--threads", "2"]),
        ("small-1", vec!["--threads", "1", "--memory", "1MiB"]),
        ("small-2", vec!["--threads", "2", "--memory", "1MiB"]),
    ];
    let mut summaries = Vec::new();
    for (name, args) in &runs {
        let out = tmp.path().join(name);
        let model = model.to_str().unwrap();
        let s = reuse(
            &corpus,
            &out,
            &[&["--semantic", "--model", model], &args[..]].concat(),
        );
        let left: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("spill"))
            .collect();
        assert!(left.is_empty(), "spill files left in {name}: {left:?}");
        summaries.push(s);
    }
    let first = tmp.path().join(runs[0].0);
    for (name, _) in &runs[1..] {
        let other = tmp.path().join(name);
        for f in ["pairs.jsonl", "stories.jsonl", "boilerplate.jsonl"] {
            assert!(
                std::fs::read(first.join(f)).unwrap() == std::fs::read(other.join(f)).unwrap(),
                "{f} differs between {} and {name}",
                runs[0].0
            );
        }
        assert_eq!(
            stable_summary(&first.join("summary.json")),
            stable_summary(&other.join("summary.json")),
            "summary.json (but memory, timings, threads) differs in {name}"
        );
    }

    // The work is real: candidates, and the planted pair related by this pass.
    let semantic = &summaries[0]["semantic"];
    assert!(semantic["candidates"].as_u64().unwrap() > 0, "{semantic}");
    let (ida, idb) = (
        bbc[ia]["id"].as_str().unwrap(),
        bbc[ib]["id"].as_str().unwrap(),
    );
    assert!(
        read_jsonl(&first.join("pairs.jsonl"))
            .iter()
            .any(|p| p["a"] == ida && p["b"] == idb),
        "the planted pair is related"
    );

    // At the default budget the candidate stage holds everything; at 1 MiB it spills both sorts.
    let stage = |s: &Value| s["memory"]["stages"]["semantic_candidates"].clone();
    for s in &summaries[..2] {
        let st = stage(s);
        assert_eq!(st["spilled_bytes"], 0, "{st}");
        assert_eq!(st["spill_files"], 0, "{st}");
        assert!(st["memory_estimate_bytes"].as_u64().unwrap() > 0, "{st}");
    }
    for s in &summaries[2..] {
        let st = stage(s);
        assert!(st["spilled_bytes"].as_u64().unwrap() > 0, "{st}");
        assert!(st["spill_files"].as_u64().unwrap() >= 2, "{st}");
        assert!(st["temp_disk_peak_bytes"].as_u64().unwrap() > 0, "{st}");
    }
}
