//! `overlap embed` and the semantic model: the real loading code on a tiny model the test writes,
//! and on the distilled model when `scripts/make-model.sh` has built it (set
//! OVERLAP_REQUIRE_MODEL=1, as scripts/test.sh does, to make its absence a failure).

use crate::common::{data, job, overlap, read_jsonl, real_model, stderr_of};

/// The distilled model, if built (its config.json is written last).
fn dot(a: &serde_json::Value, b: &serde_json::Value) -> f64 {
    let (a, b) = (a.as_array().unwrap(), b.as_array().unwrap());
    a.iter()
        .zip(b)
        .map(|(x, y)| x.as_f64().unwrap() * y.as_f64().unwrap())
        .sum()
}

#[test]
fn embed_writes_unit_vectors_with_a_tiny_model_and_skips_bad_records() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    overlap::embed::tiny::write_tiny_model(&model).unwrap();
    let input = dir.path().join("in.jsonl");
    std::fs::write(
        &input,
        "{\"id\": \"a\", \"text\": \"The grain exports resumed.\"}\n\
         {\"id\": \"b\", \"text\": \"zzz unknown words\"}\n\
         not json\n\
         {\"id\": \"c\", \"text\": \"Café, unrelated\"}\n",
    )
    .unwrap();
    let out = dir.path().join("e.jsonl");
    job("embed", &input, &out, &["--quiet", "--on-error", "skip"])
        .arg("--model")
        .arg(&model)
        .assert()
        .success();
    let lines = read_jsonl(&out);
    let ids: Vec<&str> = lines.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["a", "b", "c"]);
    for l in &lines {
        assert_eq!(l["embedding"].as_array().unwrap().len(), 4);
    }
    assert!((dot(&lines[0]["embedding"], &lines[0]["embedding"]) - 1.0).abs() < 1e-5);
    // Nothing the model knows: the zero vector, not an error.
    assert_eq!(dot(&lines[1]["embedding"], &lines[1]["embedding"]), 0.0);

    // The bad line fails the run by default, naming file and line.
    let failed = dir.path().join("f.jsonl");
    let stderr = stderr_of(
        job("embed", &input, &failed, &["--quiet"])
            .arg("--model")
            .arg(&model),
        1,
    );
    assert!(stderr.contains("in.jsonl:3"), "stderr: {stderr}");
}

#[test]
fn a_missing_model_is_a_clear_error_naming_the_command_that_builds_it() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    std::fs::write(&input, "{\"id\": \"a\", \"text\": \"words\"}\n").unwrap();
    let stderr = stderr_of(
        job("embed", &input, &dir.path().join("e.jsonl"), &[])
            .arg("--model")
            .arg(dir.path().join("no-model")),
        1,
    );
    assert!(stderr.contains("scripts/make-model.sh"), "stderr: {stderr}");
}

#[test]
fn the_distilled_model_embeds_meaning_and_is_thread_independent() {
    let Some(model) = real_model() else { return };
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let sentences = [
        "The central bank raised interest rates to fight inflation.",
        "To curb rising prices, the monetary authority increased borrowing costs.",
        "The striker scored twice in the second half of the match.",
    ];
    let mut text = String::new();
    for (i, s) in sentences.iter().enumerate() {
        text.push_str(&serde_json::json!({"id": i.to_string(), "text": s}).to_string());
        text.push('\n');
    }
    std::fs::write(&input, text).unwrap();
    let out = dir.path().join("e.jsonl");
    job("embed", &input, &out, &["--quiet"])
        .arg("--model")
        .arg(&model)
        .assert()
        .success();
    let v = read_jsonl(&out);
    assert_eq!(v[0]["embedding"].as_array().unwrap().len(), 256);
    let (close, far) = (
        dot(&v[0]["embedding"], &v[1]["embedding"]),
        dot(&v[0]["embedding"], &v[2]["embedding"]),
    );
    // The paraphrase shares almost no word with its source; the unrelated sentence shares none.
    assert!(
        close > far + 0.2,
        "paraphrase {close:.3}, unrelated {far:.3}"
    );

    // A real corpus, byte-identical for one and two threads.
    let run = |threads: &str, name: &str| {
        let out = dir.path().join(name);
        overlap()
            .arg("embed")
            .arg(data("bbc-news.jsonl.gz"))
            .arg("--model")
            .arg(&model)
            .args(["--quiet", "--threads", threads, "--out"])
            .arg(&out)
            .assert()
            .success();
        std::fs::read(out).unwrap()
    };
    let one = run("1", "one.jsonl");
    assert_eq!(one, run("2", "two.jsonl"));
    assert_eq!(one.iter().filter(|&&b| b == b'\n').count(), 2225);
}
