//! The full transformer (all-MiniLM-L6-v2, `crates/overlap/src/embed/bert.rs`) on the real model that
//! `scripts/make-model.sh` installs: `overlap embed --transformer` against values of an independent
//! reference (sentence-transformers' pipeline in numpy, float64: bench/check_transformer.py), the same
//! bytes for any thread count, long texts in windows, `align --semantic` with re-scoring, and clear
//! messages when the transformer is missing (set OVERLAP_REQUIRE_MODEL=1, as scripts/test.sh does, to
//! make its absence a failure).

use crate::common::{data, output_ok, overlap, read_jsonl};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn models() -> Option<(PathBuf, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
    let (st, tr) = (
        root.join("overlap-minilm-static"),
        root.join("all-minilm-l6-v2"),
    );
    if st.join("config.json").exists() && tr.join("config.json").exists() {
        return Some((st, tr));
    }
    assert!(
        std::env::var_os("OVERLAP_REQUIRE_MODEL").is_none(),
        "the semantic models are missing: run scripts/make-model.sh"
    );
    eprintln!(
        "semantic models not installed: the transformer checks are skipped (scripts/make-model.sh)"
    );
    None
}

fn embed(input: &Path, out: &Path, transformer: &Path, threads: &str) {
    overlap()
        .arg("embed")
        .arg(input)
        .args([
            "--transformer",
            "--quiet",
            "--threads",
            threads,
            "--transformer-model",
        ])
        .arg(transformer)
        .arg("--out")
        .arg(out)
        .assert()
        .success();
}

fn cos(a: &Value, b: &Value) -> f64 {
    let (a, b) = (a.as_array().unwrap(), b.as_array().unwrap());
    let d = |x: &[Value], y: &[Value]| -> f64 {
        x.iter()
            .zip(y)
            .map(|(p, q)| p.as_f64().unwrap() * q.as_f64().unwrap())
            .sum()
    };
    d(a, b) / (d(a, a) * d(b, b)).sqrt()
}

#[test]
fn transformer_embeddings_match_the_reference_and_do_not_depend_on_threads() {
    let Some((_, transformer)) = models() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let long =
        "The central bank raised its key interest rate by half a point on Tuesday. ".repeat(40);
    let lines = [
        "A man is playing a guitar.",
        "Someone plays the guitar.",
        "The stock market fell sharply on Monday.",
        long.as_str(),
        "",
    ];
    let mut text = String::new();
    for (i, t) in lines.iter().enumerate() {
        text += &serde_json::json!({"id": i.to_string(), "text": t}).to_string();
        text.push('\n');
    }
    std::fs::write(&input, text).unwrap();
    let (one, two) = (dir.path().join("1.jsonl"), dir.path().join("2.jsonl"));
    embed(&input, &one, &transformer, "1");
    embed(&input, &two, &transformer, "2");
    assert_eq!(std::fs::read(&one).unwrap(), std::fs::read(&two).unwrap());

    let v: Vec<Value> = read_jsonl(&one)
        .into_iter()
        .map(|l| l["embedding"].clone())
        .collect();
    for e in &v[..4] {
        assert_eq!(e.as_array().unwrap().len(), 384);
        assert!((cos(e, e) - 1.0).abs() < 1e-6);
    }
    // The reference's values (bench/check_transformer.py's pipeline on these sentences).
    for (i, j, want) in [
        (0, 1, 0.840_558_530),
        (0, 2, -0.061_473_523),
        (1, 2, -0.057_553_467),
    ] {
        let got = cos(&v[i], &v[j]);
        assert!(
            (got - want).abs() < 1e-4,
            "cos({i}, {j}) = {got}, reference {want}"
        );
    }
    let first: Vec<f64> = v[0].as_array().unwrap()[..4]
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    for (got, want) in first
        .iter()
        .zip([0.021_664_07, -0.004_864_23, -0.009_649_09, -0.063_401_24])
    {
        assert!((got - want).abs() < 1e-5, "{first:?}");
    }
    // A text of 600 tokens runs in windows of 254 and still means what it says.
    assert!(
        cos(&v[3], &v[2]) > cos(&v[3], &v[0]),
        "long text: {}",
        cos(&v[3], &v[2])
    );
    // Nothing to read is the zero vector, as with the static model.
    assert!(v[4]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x.as_f64() == Some(0.0)));
}

fn align_json(args: &[&str], model: &Path, transformer: &Path) -> Value {
    let out = output_ok(
        overlap()
            .arg("align")
            .arg(data("seeds/000_9646bb2135868c17.txt"))
            .arg(data("seeds/003_b5dab42e183730da.txt"))
            .args(["--json", "--model"])
            .arg(model)
            .arg("--transformer-model")
            .arg(transformer)
            .args(args),
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn align_semantic_rescores_with_the_transformer_and_reports_both_similarities() {
    let Some((model, transformer)) = models() else {
        return;
    };
    let full = align_json(&["--semantic"], &model, &transformer);
    let fast = align_json(&["--semantic", "--static-only"], &model, &transformer);
    let lexical = align_json(&[], &model, &transformer);
    // The seed pair: two versions of one story keep their passages and bars.
    assert_eq!(full["related"], true);
    assert_eq!(full["passages"], lexical["passages"], "{full:#}");
    let (semantic, static_cosine) = (
        full["semantic"].as_f64().unwrap(),
        full["semantic_static"].as_f64().unwrap(),
    );
    assert!(semantic > 0.8 && semantic <= 1.0, "{semantic}");
    assert_eq!(full["semantic_static"], fast["semantic"]);
    assert!(
        static_cosine > semantic,
        "the static model rates every pair of one domain high"
    );
    assert!(
        full["rescored_sentence_pairs"].as_u64().unwrap() > 0,
        "{full:#}"
    );
    assert!(fast.get("semantic_static").is_none() && lexical.get("semantic").is_none());
}

#[test]
fn a_missing_transformer_is_named_with_its_install_command_and_lexical_align_still_works() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.txt"), dir.path().join("b.txt"));
    std::fs::write(&a, "The grain exports resumed on Monday.").unwrap();
    std::fs::write(&b, "Grain exports resumed on Monday, officials said.").unwrap();
    let nowhere = dir.path().join("nowhere");
    let tiny = dir.path().join("tiny");
    overlap::embed::tiny::write_tiny_model(&tiny).unwrap();
    for args in [
        vec![
            "embed",
            a.to_str().unwrap(),
            "--out",
            "x.jsonl",
            "--transformer",
        ],
        vec![
            "align",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            "--semantic",
            "--model",
            tiny.to_str().unwrap(),
        ],
    ] {
        let out = overlap()
            .current_dir(dir.path())
            .args(&args)
            .arg("--transformer-model")
            .arg(&nowhere)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("scripts/make-model.sh") && stderr.contains("config.json is missing"),
            "{stderr}"
        );
    }
    assert!(!dir.path().join("x.jsonl").exists());
    // The static model alone, and no model at all, still align.
    for extra in [
        vec![
            "--semantic",
            "--static-only",
            "--model",
            tiny.to_str().unwrap(),
        ],
        vec![],
    ] {
        overlap()
            .current_dir(dir.path())
            .arg("align")
            .arg(&a)
            .arg(&b)
            .arg("--json")
            .args(&extra)
            .arg("--transformer-model")
            .arg(&nowhere)
            .assert()
            .success();
    }
}
