//! The archetype of passage reuse: two outlets' versions of one story (../shared/data/seeds).
//! Whole-document similarity misses them (word 5-gram Jaccard 0.18); alignment must find the shared
//! passages, reworded ones included, and leave the publisher's appeal and the unshared sentences alone.

use crate::common::{data, output_ok, overlap};
use serde_json::Value;

const A: &str = "seeds/000_9646bb2135868c17.txt";
const B: &str = "seeds/003_b5dab42e183730da.txt";

fn align_json(a: &str, b: &str) -> Value {
    let out = output_ok(
        overlap()
            .arg("align")
            .arg(data(a))
            .arg(data(b))
            .arg("--json"),
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Character offsets of `needle` in `text`, or a panic naming it.
fn find_chars(text: &str, needle: &str) -> usize {
    let byte = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in the seed text"));
    text[..byte].chars().count()
}

/// Characters of `[start, end)` covered by the given spans.
fn covered(spans: &[(usize, usize)], start: usize, end: usize) -> usize {
    (start..end)
        .filter(|&c| spans.iter().any(|&(s, e)| s <= c && c < e))
        .count()
}

fn spans(passages: &[Value], side: &str, kind: Option<&str>) -> Vec<(usize, usize)> {
    passages
        .iter()
        .filter(|p| kind.is_none_or(|k| p["kind"] == k))
        .map(|p| {
            let s = p[side].as_array().unwrap();
            (
                s[0].as_u64().unwrap() as usize,
                s[1].as_u64().unwrap() as usize,
            )
        })
        .collect()
}

/// The span of the sentence that starts with `start` (up to the end of its line).
fn sentence(text: &str, start: &str) -> (usize, usize) {
    let s = find_chars(text, start);
    let line_end = text[text.find(start).unwrap()..]
        .find('\n')
        .map_or(text.len(), |i| text.find(start).unwrap() + i);
    (s, text[..line_end].chars().count())
}

#[test]
fn seed_pair_passages() {
    let text_a = std::fs::read_to_string(data(A)).unwrap();
    let al = align_json(A, B);
    assert_eq!(al["related"], true, "{al:#}");
    assert_seed_pair_bars(&text_a, al["passages"].as_array().unwrap(), "lexical");
}

/// The bars an alignment of the seed pair (A's side of its `passages`) must pass, with or without
/// the semantic layer: at least 8 passages covering most of the story and none of the publisher's
/// appeal, the reworded sentences covered by reworded passages, the unshared ones left alone.
pub(crate) fn assert_seed_pair_bars(text_a: &str, passages: &[Value], layer: &str) {
    assert!(passages.len() >= 8, "{} passages", passages.len());
    let all = spans(passages, "a", None);
    let reworded = spans(passages, "a", Some("reworded"));

    let appeal = find_chars(text_a, "A Message from The Moscow Times:");
    let total = text_a.chars().count();
    let story = covered(&all, 0, appeal) as f64 / appeal as f64;
    let boiler = covered(&all, appeal, total) as f64 / (total - appeal) as f64;
    eprintln!(
        "{layer}: story coverage {story:.3}, appeal coverage {boiler:.3}, {} passages",
        passages.len()
    );
    assert!(story >= 0.72, "story coverage {story}");
    assert!(boiler < 0.02, "appeal coverage {boiler}");

    for start in [
        "US Secretary of State Antony Blinken spoke Friday",
        "Blinken said on Wednesday he planned to contact Lavrov in a bid to free",
        "The top US diplomat declined to characterize",
    ] {
        let (s, e) = sentence(text_a, start);
        let share = covered(&reworded, s, e) as f64 / (e - s) as f64;
        eprintln!("reworded coverage of {start:?}: {share:.3}");
        assert!(
            share >= 0.7,
            "{start:?} is {share} covered by reworded passages"
        );
    }
    for start in [
        "The proposal reportedly includes swapping",
        "Putin went ahead",
    ] {
        let (s, e) = sentence(text_a, start);
        let share = covered(&all, s, e) as f64 / (e - s) as f64;
        eprintln!("coverage of unshared {start:?}: {share:.3}");
        assert!(share < 0.2, "{start:?} is {share} covered");
    }
}

#[test]
fn offsets_are_in_characters_of_the_original_texts() {
    let text_a = std::fs::read_to_string(data(A)).unwrap();
    let text_b = std::fs::read_to_string(data(B)).unwrap();
    let al = align_json(A, B);
    let ca: Vec<char> = text_a.chars().collect();
    let cb: Vec<char> = text_b.chars().collect();
    for p in al["passages"].as_array().unwrap() {
        let a = spans(std::slice::from_ref(p), "a", None)[0];
        let b = spans(std::slice::from_ref(p), "b", None)[0];
        assert!(
            a.0 < a.1 && a.1 <= ca.len() && b.0 < b.1 && b.1 <= cb.len(),
            "{p}"
        );
        if p["kind"] == "verbatim" {
            // Verbatim passages hold the same words (punctuation such as an em dash versus "--" may differ).
            let words = |s: &[char]| {
                s.iter()
                    .collect::<String>()
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .map(str::to_lowercase)
                    .collect::<Vec<_>>()
            };
            assert_eq!(words(&ca[a.0..a.1]), words(&cb[b.0..b.1]), "{p}");
        }
    }
}

#[test]
fn swapping_the_documents_mirrors_the_alignment() {
    let ab = align_json(A, B);
    let ba = align_json(B, A);
    let mut mirrored: Vec<(Value, Value, String)> = ba["passages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["b"].clone(), p["a"].clone(), p["kind"].to_string()))
        .collect();
    mirrored.sort_by_key(|m| m.0[0].as_u64());
    let direct: Vec<(Value, Value, String)> = ab["passages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["a"].clone(), p["b"].clone(), p["kind"].to_string()))
        .collect();
    assert_eq!(direct, mirrored);
    assert_eq!(ab["coverage_a"], ba["coverage_b"]);
    assert_eq!(ab["score"], ba["score"]);
}
