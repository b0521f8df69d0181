//! `overlap reuse` on a crafted corpus (three outlets, two stories, a house footer) with snapshot-tested
//! outputs, on the seed pair hidden in a real corpus, and for determinism across thread counts.

use crate::common::{data, overlap, read_jsonl, stable_summary};
use serde_json::{json, Value};
use std::path::Path;

const FOOTER: &str = "Support independent journalism from the Harbor Chronicle: subscribe today for full access to every story we publish.";

fn story_one() -> [&'static str; 3] {
    [
        // The original, by the Harbor Chronicle.
        "Engineers at the Kessler Dam finished replacing the northern spillway gates on Tuesday, three weeks ahead of the schedule set by the regional water board. The gates, built in 1962, had been leaking since a winter flood cracked their concrete housings. Board chair Miriam Oduya said the early finish would let the reservoir refill before the dry season. Repairs to the southern gates will begin in April and cost an estimated 14 million dollars.",
        // A verbatim reprint by the Valley Post, with its own first line.
        "From our partners. Engineers at the Kessler Dam finished replacing the northern spillway gates on Tuesday, three weeks ahead of the schedule set by the regional water board. The gates, built in 1962, had been leaking since a winter flood cracked their concrete housings. Board chair Miriam Oduya said the early finish would let the reservoir refill before the dry season.",
        // A reworded version by the Coast Daily.
        "The northern spillway gates of the Kessler Dam have been replaced, engineers said on Tuesday, finishing three weeks earlier than the regional water board had planned. Built in 1962, the gates had leaked ever since a winter flood cracked their concrete housings. The early finish lets the reservoir refill before the dry season, board chair Miriam Oduya said.",
    ]
}

fn story_two() -> [&'static str; 2] {
    [
        "The Lantern Street night market will reopen on Friday after a six month closure, the city council announced. Stall holders had petitioned for the reopening after the market's fire exits were rebuilt. Council member Tomas Reyes said inspections found the new exits sound and the canopy wiring safe.",
        "The Lantern Street night market will reopen on Friday after a six month closure, the city council announced. Stall holders had petitioned for the reopening after the market's fire exits were rebuilt. Vendors said they expected large crowds on the first weekend.",
    ]
}

fn corpus(dir: &Path) -> std::path::PathBuf {
    let [s1_orig, s1_copy, s1_reworded] = story_one();
    let [s2_orig, s2_copy] = story_two();
    let other = [
        "A cold front will bring frost to the hill farms overnight, forecasters warned growers of early apples.",
        "The library's reading room closes for painting next month; the archive desk moves to the east wing.",
    ];
    let records = [
        json!({"id": "hc-dam", "source": "harbor", "date": "2024-03-05", "text": format!("{s1_orig}\n{FOOTER}")}),
        json!({"id": "vp-dam", "source": "valley", "date": "2024-03-06", "text": s1_copy}),
        json!({"id": "cd-dam", "source": "coast", "date": "2024-03-07T09:00:00Z", "text": s1_reworded}),
        json!({"id": "hc-market", "source": "harbor", "date": "2024-03-02", "text": format!("{s2_orig}\n{FOOTER}")}),
        json!({"id": "vp-market", "source": "valley", "date": "2024-03-03", "text": s2_copy}),
        json!({"id": "hc-frost", "source": "harbor", "date": "2024-03-01", "text": format!("{}\n{FOOTER}", other[0])}),
        json!({"id": "hc-library", "source": "harbor", "date": "2024-03-04", "text": format!("{}\n{FOOTER}", other[1])}),
    ];
    let path = dir.join("news.jsonl");
    let lines: Vec<String> = records.iter().map(Value::to_string).collect();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

/// Run reuse from `dir` on relative paths, so that summary.json names no temporary folder.
fn run_reuse(dir: &Path, input: &str, out: &str) {
    overlap()
        .current_dir(dir)
        .args([
            "reuse",
            input,
            "--source-field",
            "source",
            "--date-field",
            "date",
        ])
        .args(["--quiet", "--out", out])
        .assert()
        .success();
}

#[test]
fn stories_passages_boilerplate_and_origins() {
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path());
    let out = dir.path().join("out");
    run_reuse(dir.path(), "news.jsonl", "out");

    let pairs = read_jsonl(&out.join("pairs.jsonl"));
    let linked: Vec<(String, String)> = pairs
        .iter()
        .map(|p| {
            (
                p["a"].as_str().unwrap().into(),
                p["b"].as_str().unwrap().into(),
            )
        })
        .collect();
    for expected in [
        ("hc-dam", "vp-dam"),
        ("hc-dam", "cd-dam"),
        ("vp-dam", "cd-dam"),
        ("hc-market", "vp-market"),
    ] {
        assert!(
            linked
                .iter()
                .any(|(a, b)| (a, b) == (&expected.0.to_string(), &expected.1.to_string())),
            "missing pair {expected:?} in {linked:?}"
        );
    }
    // The house footer is boilerplate: documents sharing nothing else are not related.
    assert!(
        !linked.iter().any(|(a, b)| a == "hc-frost"
            || b == "hc-frost"
            || a == "hc-library"
            || b == "hc-library"),
        "footer-only pairs reported: {linked:?}"
    );
    let boiler = read_jsonl(&out.join("boilerplate.jsonl"));
    assert!(!boiler.is_empty());
    assert_eq!(boiler[0]["source"], "harbor");
    assert!(boiler[0]["text"]
        .as_str()
        .unwrap()
        .contains("Support independent journalism"));
    assert_eq!(boiler[0]["documents"].as_array().unwrap().len(), 4);
    // The footer is never inside a passage.
    for p in &pairs {
        if p["a"] == "hc-dam" {
            let text = story_one()[0];
            let footer_start = text.chars().count() + 1;
            for passage in p["passages"].as_array().unwrap() {
                assert!(
                    passage["a"][1].as_u64().unwrap() as usize <= footer_start,
                    "{passage}"
                );
            }
        }
    }
    // The reworded version is aligned as reworded.
    let reworded = pairs
        .iter()
        .find(|p| p["a"] == "hc-dam" && p["b"] == "cd-dam")
        .unwrap();
    assert!(reworded["passages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["kind"] == "reworded"));

    let stories = read_jsonl(&out.join("stories.jsonl"));
    let story = |id: &str| {
        stories
            .iter()
            .find(|s| s["id"] == id)
            .unwrap_or_else(|| panic!("{id} missing from stories.jsonl"))
            .clone()
    };
    assert_eq!(story("vp-dam")["story"], "hc-dam");
    assert_eq!(story("cd-dam")["story"], "hc-dam");
    assert_eq!(story("vp-market")["story"], "hc-market");
    assert_eq!(story("hc-frost")["story"], "hc-frost");
    assert_eq!(story("cd-dam")["origin"], "hc-dam");
    assert_eq!(story("vp-market")["origin"], "hc-market");
    assert_eq!(story("hc-frost")["origin"], Value::Null);
    assert_eq!(stories.len(), 7);

    insta::assert_snapshot!(
        "reuse_pairs.jsonl",
        std::fs::read_to_string(out.join("pairs.jsonl")).unwrap()
    );
    insta::assert_snapshot!(
        "reuse_stories.jsonl",
        std::fs::read_to_string(out.join("stories.jsonl")).unwrap()
    );
    insta::assert_snapshot!(
        "reuse_boilerplate.jsonl",
        std::fs::read_to_string(out.join("boilerplate.jsonl")).unwrap()
    );
    insta::assert_json_snapshot!(
        "reuse_summary.json",
        stable_summary(&out.join("summary.json"))
    );
}

#[test]
fn the_seed_pair_is_found_in_a_corpus() {
    // The two seed versions, hidden among 300 Reuters stories.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("mixed.jsonl");
    let mut lines = Vec::new();
    for (id, file) in [
        ("moscow-times", "seeds/000_9646bb2135868c17.txt"),
        ("other-outlet", "seeds/003_b5dab42e183730da.txt"),
    ] {
        let text = std::fs::read_to_string(data(file)).unwrap();
        lines.push(json!({"id": id, "text": text}).to_string());
    }
    let reuters = crate::common::load_corpus(&data("reuters21578.jsonl.gz"));
    for (id, text) in reuters.iter().take(300) {
        lines.push(json!({"id": id, "text": text}).to_string());
    }
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let out = dir.path().join("out");
    overlap()
        .arg("reuse")
        .arg(&input)
        .args(["--quiet", "--on-error", "skip", "--out"])
        .arg(&out)
        .assert()
        .success();
    let pairs = read_jsonl(&out.join("pairs.jsonl"));
    let seed = pairs
        .iter()
        .find(|p| p["a"] == "moscow-times" && p["b"] == "other-outlet")
        .expect("the seed pair is related");
    assert!(seed["passages"].as_array().unwrap().len() >= 8);
    let stories = read_jsonl(&out.join("stories.jsonl"));
    assert_eq!(stories[0]["story"], "moscow-times");
    assert_eq!(stories[1]["story"], "moscow-times");
}

#[test]
fn outputs_are_identical_for_any_thread_count() {
    let input = data("bbc-news.jsonl.gz");
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (dir.path().join("t1"), dir.path().join("t2"));
    for (threads, out) in [("1", &one), ("2", &two)] {
        overlap()
            .arg("reuse")
            .arg(&input)
            .args(["--quiet", "--threads", threads, "--out"])
            .arg(out)
            .assert()
            .success();
    }
    for name in ["pairs.jsonl", "stories.jsonl", "boilerplate.jsonl"] {
        let a = std::fs::read(one.join(name)).unwrap();
        assert!(
            a == std::fs::read(two.join(name)).unwrap(),
            "{name} differs"
        );
    }
    assert!(!read_jsonl(&one.join("pairs.jsonl")).is_empty());
}
