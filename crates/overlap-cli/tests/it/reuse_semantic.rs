//! `overlap reuse --semantic`: two unrelated BBC articles into which four human paraphrase pairs
//! of the STS news benchmark (score 4.8 or more) were put, one sentence of each pair into each
//! article, among 60 BBC articles. The lexical `reuse` does not relate them; `--semantic` does,
//! with reworded passages on the planted sentences, keeps every lexical pair, and writes the same
//! bytes (and counts) for one and two threads. Needs both models (skipped when they are not built, unless
//! OVERLAP_REQUIRE_MODEL is set).

use crate::common::{data, gz_lines, overlap, read_jsonl, real_model};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

/// `overlap reuse input --out out --json extra...`, which must succeed: its summary.
pub(crate) fn reuse(input: &Path, out: &Path, extra: &[&str]) -> Value {
    let r = overlap()
        .arg("reuse")
        .arg(input)
        .arg("--out")
        .arg(out)
        .arg("--json")
        .args(extra)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    serde_json::from_slice(&r.stdout).unwrap()
}

/// `text` with `sentences` put as paragraphs after its second, third, ... paragraph, and the
/// character span of each.
pub(crate) fn plant(text: &str, sentences: &[String]) -> (String, Vec<(usize, usize)>) {
    let mut out = String::new();
    let mut spans = Vec::new();
    for (i, para) in text.split("\n\n").enumerate() {
        if i > 0 {
            out.push_str("\n\n");
        }
        out.push_str(para);
        if (1..=sentences.len()).contains(&i) {
            out.push_str("\n\n");
            let start = out.chars().count();
            out.push_str(&sentences[i - 1]);
            spans.push((start, out.chars().count()));
        }
    }
    (out, spans)
}

/// The four STS news pairs scored 4.8 or more with 8 words a side, one sentence into each article.
pub(crate) fn paraphrases() -> (Vec<String>, Vec<String>) {
    let sts: Vec<Value> = gz_lines("sts-news.jsonl.gz")
        .into_iter()
        .filter(|r| {
            let words = |k: &str| r[k].as_str().unwrap().split_whitespace().count();
            r["score"].as_f64().unwrap() >= 4.8 && words("text1") >= 8 && words("text2") >= 8
        })
        .take(4)
        .collect();
    let side = |k: &str| {
        sts.iter()
            .map(|r| r[k].as_str().unwrap().trim().to_string())
            .collect()
    };
    (side("text1"), side("text2"))
}

/// The corpus of the module doc, the pair is related by `reuse --semantic` with `tier_args` (and
/// the models), the same bytes and counts for one and two threads and `--memory 1MiB`; returns
/// the counts of the semantic pass.
fn relates_planted_pair(model: &Path, transformer: &Path, tier_args: &[&str]) -> Value {
    let (text1, text2) = paraphrases();
    assert_eq!((text1.len(), text2.len()), (4, 4));
    let bbc: Vec<Value> = gz_lines("bbc-news.jsonl.gz").into_iter().take(60).collect();
    let (ia, ib) = (0, 40);
    let mut planted = Vec::new();
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus.jsonl");
    let mut lines = String::new();
    for (i, d) in bbc.iter().enumerate() {
        let text = d["text"].as_str().unwrap();
        let text = match i {
            _ if i == ia => {
                let (t, s) = plant(text, &text1);
                planted.push(s);
                t
            }
            _ if i == ib => {
                let (t, s) = plant(text, &text2);
                planted.push(s);
                t
            }
            _ => text.to_string(),
        };
        lines.push_str(&serde_json::json!({"id": d["id"], "text": text}).to_string());
        lines.push('\n');
    }
    std::fs::write(&corpus, lines).unwrap();
    let (ida, idb) = (
        bbc[ia]["id"].as_str().unwrap(),
        bbc[ib]["id"].as_str().unwrap(),
    );

    let pairs = |dir: &Path| -> Vec<Value> { read_jsonl(&dir.join("pairs.jsonl")) };
    let keys = |ps: &[Value]| -> BTreeSet<(String, String)> {
        ps.iter()
            .map(|p| {
                (
                    p["a"].as_str().unwrap().into(),
                    p["b"].as_str().unwrap().into(),
                )
            })
            .collect()
    };
    let lexical = tmp.path().join("lexical");
    let s0 = reuse(&corpus, &lexical, &[]);
    assert!(s0.get("semantic").is_none());
    let lex = keys(&pairs(&lexical));
    let pair = (ida.to_string(), idb.to_string());
    assert!(!lex.contains(&pair), "the lexical rules do not relate them");

    let models = [
        &[
            "--semantic",
            "--model",
            model.to_str().unwrap(),
            "--transformer-model",
            transformer.to_str().unwrap(),
        ][..],
        tier_args,
    ]
    .concat();
    let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
    let small = tmp.path().join("small");
    let s1 = reuse(&corpus, &one, &[&models[..], &["--threads", "1"]].concat());
    let s2 = reuse(&corpus, &two, &[&models[..], &["--threads", "2"]].concat());
    // A small budget cuts the candidates into more chunks; outputs and counts stay those of the work.
    let s3 = reuse(
        &corpus,
        &small,
        &[&models[..], &["--threads", "2", "--memory", "1MiB"]].concat(),
    );
    for f in ["pairs.jsonl", "stories.jsonl"] {
        for other in [&two, &small] {
            assert!(
                std::fs::read(one.join(f)).unwrap() == std::fs::read(other.join(f)).unwrap(),
                "{f} differs between one and two threads or with --memory ({other:?})"
            );
        }
    }
    // The counts too: each text is encoded once per run, whichever thread asks first.
    assert_eq!(
        s1["semantic"], s2["semantic"],
        "counts differ between one and two threads"
    );
    assert_eq!(s1["semantic"], s3["semantic"], "counts depend on --memory");
    let found = pairs(&one);
    let sem = keys(&found);
    assert!(lex.is_subset(&sem), "every lexical pair stays");
    assert!(
        sem.contains(&pair),
        "the paraphrase pair is related: {sem:?}"
    );
    let counts = &s1["semantic"];
    assert!(counts["judged"].as_u64().unwrap() >= 1, "{counts}");
    assert!(
        counts["screened"].as_u64().unwrap() >= counts["judged"].as_u64().unwrap(),
        "{counts}"
    );
    assert_eq!(
        counts["related"].as_u64().unwrap() as usize,
        sem.len() - lex.len()
    );
    // At least two reworded passages, each on a planted sentence in both articles.
    let p = found
        .iter()
        .find(|p| p["a"] == ida && p["b"] == idb)
        .unwrap();
    let on_planted = p["passages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|q| q["kind"] == "reworded")
        .filter(|q| {
            let span = |k: &str| {
                (
                    q[k][0].as_u64().unwrap() as usize,
                    q[k][1].as_u64().unwrap() as usize,
                )
            };
            let hits = |(s, e): (usize, usize), side: &[(usize, usize)]| {
                side.iter().any(|&(ps, pe)| s < pe && ps < e)
            };
            hits(span("a"), &planted[0]) && hits(span("b"), &planted[1])
        })
        .count();
    assert!(on_planted >= 2, "{p}");
    counts.clone()
}

#[test]
fn semantic_reuse_relates_articles_sharing_only_paraphrased_sentences() {
    // The default tier, --semantic-rescore never: the static model with the word overlap decides,
    // and the transformer is not even loaded (its folder here does not exist).
    let Some(model) = real_model() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let counts = relates_planted_pair(&model, &tmp.path().join("no-transformer"), &[]);
    assert_eq!(counts["parameters"]["rescore"], "never", "{counts}");
    assert_eq!(counts["sentence_pairs_rescored"], 0, "{counts}");
    assert_eq!(counts["texts_encoded"], 0, "{counts}");
}

#[test]
fn semantic_reuse_with_the_transformer_relates_them_too() {
    let Some(model) = real_model() else { return };
    let transformer = model.with_file_name("all-minilm-l6-v2");
    let always = relates_planted_pair(&model, &transformer, &["--semantic-rescore", "always"]);
    assert_eq!(always["sentence_pairs_static"], 0, "{always}");
    assert!(always["texts_encoded"].as_u64().unwrap() >= 2, "{always}");
    // unsure: the static tier decides, the transformer only within the margin of its bars.
    let unsure = relates_planted_pair(&model, &transformer, &["--semantic-rescore", "unsure"]);
    assert_eq!(unsure["parameters"]["rescore"], "unsure", "{unsure}");
}

#[test]
fn semantic_reuse_without_the_transformer_names_the_command_that_installs_it() {
    let Some(model) = real_model() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let r = overlap()
        .arg("reuse")
        .arg(data("clough-reuse.jsonl.gz"))
        .args([
            "--text-field",
            "text1",
            "--id-field",
            "id1",
            "--on-error",
            "skip",
        ])
        .arg("--out")
        .arg(tmp.path().join("out"))
        .args(["--semantic", "--semantic-rescore", "always", "--model"])
        .arg(&model)
        .arg("--transformer-model")
        .arg(tmp.path().join("missing"))
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(1));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("make-model.sh"), "{err}");
    assert!(!tmp.path().join("out").join("pairs.jsonl").exists());
}

#[test]
fn align_semantic_json_reports_the_same_story_similarity_with_the_transformer() {
    let Some(model) = real_model() else { return };
    let transformer = model.with_file_name("all-minilm-l6-v2");
    let seeds = data("seeds");
    let (a, b) = (
        seeds.join("000_9646bb2135868c17.txt"),
        seeds.join("003_b5dab42e183730da.txt"),
    );
    let run = |extra: &[&str]| -> Value {
        let r = overlap()
            .arg("align")
            .arg(&a)
            .arg(&b)
            .arg("--json")
            .args(extra)
            .output()
            .unwrap();
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        serde_json::from_slice(&r.stdout).unwrap()
    };
    let (m, t) = (model.to_str().unwrap(), transformer.to_str().unwrap());
    let al = run(&["--semantic", "--model", m, "--transformer-model", t]);
    let (semantic, score) = (
        al["semantic"].as_f64().unwrap(),
        al["score"].as_f64().unwrap(),
    );
    let same = al["same_story"].as_f64().unwrap();
    assert_eq!(same, overlap::align::same_story(semantic, score));
    assert!((same - (0.85 * semantic + 0.15 * score)).abs() < 1e-12);
    assert!(
        score < same && same < semantic,
        "{same} between {score} and {semantic}"
    );
    // The weights were fitted on the transformer's cosine: not given for the static model alone,
    // nor without --semantic.
    let fast = run(&["--semantic", "--static-only", "--model", m]);
    assert!(fast.get("same_story").is_none());
    assert!(run(&[]).get("same_story").is_none());
}
