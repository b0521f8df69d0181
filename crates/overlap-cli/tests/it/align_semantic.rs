//! `overlap align --semantic`: sentence embeddings as further evidence of rewording. With the tiny
//! model the tests write (the real loading code, any machine) and with the distilled model when it is
//! built: the seed pair keeps its bars, alignment stays symmetric, and --json reports the documents'
//! semantic similarity.

use crate::align_seeds::assert_seed_pair_bars;
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
    assert_seed_pair_bars(&text_a, passages, "semantic");

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
