//! `overlap reuse --same-story`: documents of one story linked by meaning, apart from the text-reuse
//! pairs, on BBC News with the distilled model (skipped when it is not built, unless
//! OVERLAP_REQUIRE_MODEL is set); off by default; a missing model fails clearly.

use crate::common::{data, id_pairs, overlap, read_jsonl, real_model};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn reuse(input: &Path, out: &Path, extra: &[&str], model: Option<&Path>) -> Value {
    let mut cmd = overlap();
    cmd.arg("reuse")
        .arg(input)
        .arg("--out")
        .arg(out)
        .arg("--json")
        .args(extra);
    if let Some(m) = model {
        cmd.arg("--model").arg(m);
    }
    let r = cmd.output().unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    serde_json::from_slice(&r.stdout).unwrap()
}

fn pairs(path: &Path) -> BTreeSet<(String, String)> {
    id_pairs(path)
}

#[test]
fn same_story_links_bbc_reports_that_share_little_text_and_leave_text_reuse_alone() {
    let Some(model) = real_model() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let bbc = data("bbc-news.jsonl.gz");
    let (plain, linked) = (tmp.path().join("plain"), tmp.path().join("linked"));
    let s0 = reuse(&bbc, &plain, &[], None);
    assert!(s0.get("same_story").is_none());
    assert!(!plain.join("same_story.jsonl").exists());
    let s = reuse(
        &bbc,
        &linked,
        &["--same-story", "--threads", "2"],
        Some(&model),
    );

    // Text reuse is unchanged: the same pairs and stories.
    for f in ["pairs.jsonl", "stories.jsonl"] {
        assert!(
            std::fs::read(plain.join(f)).unwrap() == std::fs::read(linked.join(f)).unwrap(),
            "{f}"
        );
    }
    let related = pairs(&linked.join("pairs.jsonl"));
    let lines = read_jsonl(&linked.join("same_story.jsonl"));
    let links = pairs(&linked.join("same_story.jsonl"));
    let ss = &s["same_story"];
    assert_eq!(ss["without_shared_text"].as_u64(), Some(lines.len() as u64));
    assert_eq!(
        ss["pairs"].as_u64().unwrap(),
        ss["also_related"].as_u64().unwrap() + lines.len() as u64
    );
    assert!(ss["also_related"].as_u64().unwrap() > 0);
    let threshold = ss["threshold"].as_f64().unwrap();
    for l in &lines {
        assert!(l["cosine"].as_f64().unwrap() >= threshold, "{l}");
    }
    // No link repeats a text-reuse pair.
    assert!(links.is_disjoint(&related));
    // Two reports of the FA Cup third-round draw in other words ("Holders Manchester United and
    // Premiership leaders Chelsea both face difficult away ties" / "Premiership side Newcastle
    // United face a trip to Ryman Premier League leaders Yeading"): no shared passage, one story.
    let draw = (
        "bbc:sports/184.txt".to_string(),
        "bbc:sports/205.txt".to_string(),
    );
    assert!(links.contains(&draw), "{links:?}");
    assert!(!related.contains(&draw));
    assert!(s["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o == "same_story.jsonl"));

    // Byte-identical with one thread; a later run without the option removes the file.
    let one = tmp.path().join("one");
    reuse(
        &bbc,
        &one,
        &["--same-story", "--threads", "1"],
        Some(&model),
    );
    assert!(
        std::fs::read(one.join("same_story.jsonl")).unwrap()
            == std::fs::read(linked.join("same_story.jsonl")).unwrap()
    );
    reuse(&bbc, &one, &[], None);
    assert!(!one.join("same_story.jsonl").exists());
}

#[test]
fn same_story_needs_the_model_and_its_flag() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("c.jsonl");
    std::fs::write(&corpus, "{\"id\":\"a\",\"text\":\"grain exports\"}\n").unwrap();
    let out = tmp.path().join("out");
    let r = overlap()
        .arg("reuse")
        .arg(&corpus)
        .arg("--out")
        .arg(&out)
        .args(["--same-story", "--model"])
        .arg(tmp.path().join("none"))
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("scripts/make-model.sh"));
    assert!(!out.exists());
    for bad in [
        &["--same-story-threshold", "0.9"][..],
        &["--same-story", "--same-story-threshold", "2"],
    ] {
        let r = overlap()
            .arg("reuse")
            .arg(&corpus)
            .arg("--out")
            .arg(&out)
            .args(bad)
            .output()
            .unwrap();
        assert_eq!(r.status.code(), Some(2), "{bad:?}");
    }
}
