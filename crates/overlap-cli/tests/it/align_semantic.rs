//! `overlap align --semantic`: sentence embeddings as further evidence of rewording. With the tiny
//! model the tests write (the real loading code, any machine) and with the distilled model when it is
//! built: the seed pair keeps its bars, alignment stays symmetric, and --json reports the documents'
//! semantic similarity.

use crate::common::{data, output_ok, overlap, real_model};
use serde_json::Value;
use std::path::Path;

const A: &str = "seeds/000_9646bb2135868c17.txt";
const B: &str = "seeds/003_b5dab42e183730da.txt";

/// `align --semantic`: with the real static model, the transformer installed beside it re-scores;
/// with a tiny model, the static model alone.
fn align_semantic(a: &Path, b: &Path, model: &Path) -> Value {
    let transformer = model.with_file_name("all-minilm-l6-v2");
    let out = output_ok(
        overlap()
            .arg("align")
            .arg(a)
            .arg(b)
            .args(["--json", "--semantic", "--model"])
            .arg(model)
            .args(
                match transformer.join("config.json").exists()
                    && model.ends_with("overlap-minilm-static")
                {
                    true => vec!["--transformer-model".into(), transformer.into_os_string()],
                    false => vec!["--static-only".into()],
                },
            ),
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn covered(passages: &[Value], side: &str, kind: Option<&str>, start: usize, end: usize) -> usize {
    let spans: Vec<(u64, u64)> = passages
        .iter()
        .filter(|p| kind.is_none_or(|k| p["kind"] == k))
        .map(|p| (p[side][0].as_u64().unwrap(), p[side][1].as_u64().unwrap()))
        .collect();
    (start..end)
        .filter(|&c| {
            spans
                .iter()
                .any(|&(s, e)| s as usize <= c && c < e as usize)
        })
        .count()
}

fn sentence(text: &str, start: &str) -> (usize, usize) {
    let byte = text
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} not in the seed"));
    let end = text[byte..].find('\n').map_or(text.len(), |i| byte + i);
    (text[..byte].chars().count(), text[..end].chars().count())
}

#[test]
fn semantic_align_with_a_tiny_model_reports_similarity_and_a_missing_model_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    overlap::embed::tiny::write_tiny_model(&model).unwrap();
    let (a, b) = (dir.path().join("a.txt"), dir.path().join("b.txt"));
    std::fs::write(&a, "The grain exports resumed. The minister's cafe.").unwrap();
    std::fs::write(&b, "Unrelated grain exports. The cafe resumed.").unwrap();
    let al = align_semantic(&a, &b, &model);
    let s = al["semantic"].as_f64().unwrap();
    assert!(s > 0.0 && s <= 1.0 + 1e-9, "{al:#}");
    assert_eq!(align_semantic(&b, &a, &model)["semantic"], al["semantic"]);

    let out = overlap()
        .arg("align")
        .arg(&a)
        .arg(&b)
        .args(["--json", "--semantic", "--model"])
        .arg(dir.path().join("none"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("scripts/make-model.sh"), "{stderr}");
    // Without --semantic, no model is looked for and the output has no semantic field.
    let out = overlap()
        .arg("align")
        .arg(&a)
        .arg(&b)
        .arg("--json")
        .output()
        .unwrap();
    assert!(out.status.success());
    let plain: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(plain.get("semantic").is_none());
}

#[test]
fn seed_pair_keeps_its_bars_with_the_semantic_layer() {
    let Some(model) = real_model() else { return };
    let text_a = std::fs::read_to_string(data(A)).unwrap();
    let al = align_semantic(&data(A), &data(B), &model);
    assert_eq!(al["related"], true, "{al:#}");
    let semantic = al["semantic"].as_f64().unwrap();
    assert!(
        semantic > 0.8,
        "two versions of one story: semantic {semantic}"
    );
    let passages = al["passages"].as_array().unwrap();
    assert!(passages.len() >= 8, "{} passages", passages.len());
    let appeal = text_a.find("A Message from The Moscow Times:").unwrap();
    let appeal = text_a[..appeal].chars().count();
    let total = text_a.chars().count();
    let story = covered(passages, "a", None, 0, appeal) as f64 / appeal as f64;
    let boiler = covered(passages, "a", None, appeal, total) as f64 / (total - appeal) as f64;
    eprintln!(
        "semantic: story coverage {story:.3}, appeal {boiler:.3}, {} passages",
        passages.len()
    );
    assert!(story >= 0.72, "story coverage {story}");
    assert!(boiler < 0.02, "appeal coverage {boiler}");
    for start in [
        "US Secretary of State Antony Blinken spoke Friday",
        "Blinken said on Wednesday he planned to contact Lavrov in a bid to free",
        "The top US diplomat declined to characterize",
    ] {
        let (s, e) = sentence(&text_a, start);
        let share = covered(passages, "a", Some("reworded"), s, e) as f64 / (e - s) as f64;
        assert!(
            share >= 0.7,
            "{start:?} is {share} covered by reworded passages"
        );
    }
    for start in [
        "The proposal reportedly includes swapping",
        "Putin went ahead",
    ] {
        let (s, e) = sentence(&text_a, start);
        let share = covered(passages, "a", None, s, e) as f64 / (e - s) as f64;
        assert!(share < 0.2, "{start:?} is {share} covered");
    }

    // Symmetric: swapping the documents mirrors the passages.
    let ba = align_semantic(&data(B), &data(A), &model);
    let mut mirrored: Vec<(Value, Value)> = ba["passages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["b"].clone(), p["a"].clone()))
        .collect();
    mirrored.sort_by_key(|m| m.0[0].as_u64());
    let direct: Vec<(Value, Value)> = passages
        .iter()
        .map(|p| (p["a"].clone(), p["b"].clone()))
        .collect();
    assert_eq!(direct, mirrored);
    assert_eq!(al["score"], ba["score"]);
    assert_eq!(al["semantic"], ba["semantic"]);
}
