//! `overlap reuse` on small subsets of 20 Newsgroups (read from the shared data, built in the test):
//! short quotes that run through stock phrases are reported, as `overlap align` relates them, and
//! a poster's signature alone does not make two posts related, for `reuse` and for `align --corpus`
//! (which aligns a pair as `reuse` does in that corpus), unless a reply quotes it with text of the
//! post.
//!
//! Each subset keeps the corpus's condition that made the real miss or the real false pair: the
//! stock phrases of the quotes are in as many of the subset's posts as make them boilerplate, and
//! the signature closes several posts of its author.

use crate::common::{data, load_corpus, output_ok, overlap, positions, read_jsonl};
use overlap::text::{tokenize, Normalization};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

const PREFIX: &str = "20news:20news-bydate-";

/// Quotation pairs (source, reply) of the corpus that `align` relates and that `reuse` over the
/// whole corpus missed while 4-word stock phrases (in 50+ posts: "I don't know how", "one of the
/// things") were masked as boilerplate inside the quoted sentences.
const QUOTE_PAIRS: [(&str, &str); 3] = [
    ("train/sci.med/58880", "train/sci.med/58958"),
    ("train/sci.crypt/15640", "train/sci.crypt/15693"),
    ("test/rec.autos/103161", "test/rec.autos/103239"),
];

/// Posts whose fill-in posts share a stock phrase of the quotes: this many per 4-gram.
const FILLERS_PER_GRAM: usize = 60;

fn grams(text: &str) -> HashSet<String> {
    let t = tokenize(text, &Normalization::default());
    let words: Vec<&str> = (0..t.len()).map(|i| t.token(i)).collect();
    words.windows(4).map(|w| w.join(" ")).collect()
}

fn write_subset(dir: &Path, name: &str, docs: &[&(String, String)]) -> PathBuf {
    let path = dir.join(name);
    let lines: Vec<String> = docs
        .iter()
        .map(|(id, text)| json!({"id": id, "text": text}).to_string())
        .collect();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

fn related_pairs(dir: &Path, input: &Path, out: &str, extra: &[&str]) -> HashSet<(String, String)> {
    overlap()
        .args(["reuse", input.to_str().unwrap(), "--quiet", "--out"])
        .arg(dir.join(out))
        .args(extra)
        .assert()
        .success();
    read_jsonl(&dir.join(out).join("pairs.jsonl"))
        .iter()
        .map(|p| {
            let (a, b) = (p["a"].as_str().unwrap(), p["b"].as_str().unwrap());
            (a.min(b).to_string(), a.max(b).to_string())
        })
        .collect()
}

fn key(a: &str, b: &str) -> (String, String) {
    let (a, b) = (format!("{PREFIX}{a}"), format!("{PREFIX}{b}"));
    (a.clone().min(b.clone()), a.max(b))
}

fn align_related(corpus: &Path, a: &str, b: &str) -> bool {
    let out = output_ok(
        overlap()
            .args(["align", "--json", "--corpus", corpus.to_str().unwrap()])
            .args([format!("{PREFIX}{a}"), format!("{PREFIX}{b}")]),
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["related"].as_bool().unwrap()
}

#[test]
fn quotes_through_stock_phrases_are_reported_as_align_relates_them() {
    let corpus = load_corpus(&data("20newsgroups.jsonl.gz"));
    let by_id = positions(&corpus);
    let doc = |short: &str| by_id[format!("{PREFIX}{short}").as_str()];
    // The 4-grams each pair shares, and for each up to FILLERS_PER_GRAM other posts holding it:
    // a gram as common in the corpus as a stock phrase gets that many, a quote's own grams few.
    let mut members: HashSet<usize> = HashSet::new();
    let mut wanted: HashMap<String, usize> = HashMap::new();
    for (a, b) in QUOTE_PAIRS {
        members.extend([doc(a), doc(b)]);
        let shared: HashSet<String> = grams(&corpus[doc(a)].1)
            .intersection(&grams(&corpus[doc(b)].1))
            .cloned()
            .collect();
        wanted.extend(shared.into_iter().map(|g| (g, 0)));
    }
    for (i, (_, text)) in corpus.iter().enumerate() {
        for g in grams(text) {
            if let Some(n) = wanted.get_mut(&g) {
                if *n < FILLERS_PER_GRAM {
                    *n += 1;
                    members.insert(i);
                }
            }
        }
    }
    let mut subset: Vec<usize> = members.into_iter().collect();
    subset.sort_unstable();
    let docs: Vec<&(String, String)> = subset.iter().map(|&i| &corpus[i]).collect();
    let dir = tempfile::tempdir().unwrap();
    let input = write_subset(dir.path(), "subset.jsonl", &docs);

    let found = related_pairs(dir.path(), &input, "out", &[]);
    for (a, b) in QUOTE_PAIRS {
        assert!(align_related(&input, a, b), "align relates {a} and {b}");
        assert!(found.contains(&key(a, b)), "reuse reports {a} and {b}");
    }
    // The subset holds the corpus's condition: masking the stock phrases inside sentences as
    // boilerplate (as before) loses the quotes again, so the test would see the miss.
    let masked = related_pairs(
        dir.path(),
        &input,
        "out-masked",
        &["--boilerplate-inline-words", "0"],
    );
    let lost = QUOTE_PAIRS
        .iter()
        .filter(|(a, b)| !masked.contains(&key(a, b)))
        .count();
    assert!(
        lost >= 2,
        "{lost} of the quotes lost with every stretch masked"
    );
}

/// The posts that `signed` picks, with the first 100 other posts of sci.electronics (train) beside
/// them, in corpus order.
fn signed_among_others(
    corpus: &[(String, String)],
    signed: impl Fn(&str) -> bool,
) -> Vec<&(String, String)> {
    let mut others = 0;
    corpus
        .iter()
        .filter(|(id, text)| {
            signed(text)
                || (id.starts_with("20news:20news-bydate-train/sci.electronics/") && {
                    others += 1;
                    others <= 100
                })
        })
        .collect()
}

#[test]
fn a_signature_alone_does_not_relate_two_posts() {
    // Bill Mayhew's posts to sci.electronics close with the same four-line signature; two of
    // them that share nothing else were a related pair before signatures were recognised.
    let (a, b) = ("train/sci.electronics/53588", "train/sci.electronics/53827");
    // With 100 other posts of the group beside them, the signature is under fewer posts than a
    // boilerplate n-gram needs (20% of them), as a signature is in the whole corpus.
    let corpus = load_corpus(&data("20newsgroups.jsonl.gz"));
    let signed = |text: &str| text.contains("NEOUCOM Computer Services Department");
    let mayhew = corpus.iter().filter(|(_, t)| signed(t)).count();
    assert!(mayhew >= 3, "the signature closes several posts");
    let docs = signed_among_others(&corpus, signed);
    let dir = tempfile::tempdir().unwrap();
    let input = write_subset(dir.path(), "mayhew.jsonl", &docs);
    let found = related_pairs(dir.path(), &input, "out", &[]);
    assert!(!found.contains(&key(a, b)), "{found:?}");
    let summary: Value = crate::common::read_json(&dir.path().join("out/summary.json"));
    assert!(summary["boilerplate"]["signature_lines"].as_u64().unwrap() >= mayhew as u64);
    // `align --corpus` aligns the pair as reuse does in that corpus: not related, and the view
    // labels the signature as boilerplate and gives the shares outside it.
    assert!(!align_related(&input, a, b));
    let view = overlap()
        .args(["align", "--corpus", input.to_str().unwrap()])
        .args([format!("{PREFIX}{a}"), format!("{PREFIX}{b}")])
        .output()
        .unwrap();
    let view = String::from_utf8(view.stdout).unwrap();
    assert!(
        view.contains("0% of A's text outside its boilerplate is in B"),
        "{view}"
    );
    let label = view
        .find("boilerplate of B (the corpus repeats it)")
        .unwrap_or_else(|| panic!("{view}"));
    assert!(view[label..].contains("NEOUCOM Computer Services Department"));
    let json = overlap()
        .args(["align", "--json", "--corpus", input.to_str().unwrap()])
        .args([format!("{PREFIX}{a}"), format!("{PREFIX}{b}")])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(!json["boilerplate_a"].as_array().unwrap().is_empty());
    // Without the signature rule the signature is the pair's shared passage.
    let unmasked = related_pairs(dir.path(), &input, "out-all", &["--signature-docs", "0"]);
    assert!(unmasked.contains(&key(a, b)), "{unmasked:?}");
}

#[test]
fn a_quoted_signature_counts_with_the_quote_and_a_shared_one_does_not() {
    // Theodore Kaldis's posts to talk.politics.misc close with a four-line signature. 178911 quotes
    // the last sentence of 178669 (11 words, under the 12 that relate a pair alone) with the
    // signature under it; 176939 is another of his posts, 179049 a reply quoting another of his
    // posts with its signature. With 100 posts of sci.electronics beside them, the signature is
    // under fewer posts than a boilerplate n-gram needs, as in the whole corpus.
    let (post, reply) = (
        "test/talk.politics.misc/178669",
        "test/talk.politics.misc/178911",
    );
    let (own, elsewhere) = (
        "train/talk.politics.misc/176939",
        "test/talk.politics.misc/179049",
    );
    let corpus = load_corpus(&data("20newsgroups.jsonl.gz"));
    let docs = signed_among_others(&corpus, |text| text.contains("Theodore A. Kaldis"));
    let dir = tempfile::tempdir().unwrap();
    let input = write_subset(dir.path(), "kaldis.jsonl", &docs);
    let found = related_pairs(dir.path(), &input, "out", &[]);
    assert!(found.contains(&key(post, reply)), "{found:?}");
    assert!(!found.contains(&key(post, own)), "a shared signature only");
    assert!(
        !found.contains(&key(post, elsewhere)),
        "a quoted signature only"
    );
    let summary: Value = crate::common::read_json(&dir.path().join("out/summary.json"));
    assert!(
        summary["pairs"]["related_by_quoted_signature"]
            .as_u64()
            .unwrap()
            >= 1
    );
    // `align --corpus` follows the same rule.
    assert!(align_related(&input, post, reply));
    assert!(!align_related(&input, post, own));
    assert!(!align_related(&input, post, elsewhere));
    // The subset holds the corpus's conditions: without the signature rule the signature relates
    // the other two pairs, and without its quoted signature the reply's quote is too short.
    let unmasked = related_pairs(dir.path(), &input, "out-all", &["--signature-docs", "0"]);
    assert!(unmasked.contains(&key(post, own)) && unmasked.contains(&key(post, elsewhere)));
    let reply_id = format!("{PREFIX}{reply}");
    let cut: Vec<(String, String)> = docs
        .iter()
        .map(|(id, text)| {
            let text = if *id == reply_id {
                let lines: Vec<&str> = text.lines().collect();
                let sig = lines
                    .iter()
                    .position(|l| l.contains("The views expressed herein are"))
                    .expect("the quoted signature");
                assert!(lines[sig].starts_with("|>"), "quoted: {}", lines[sig]);
                lines[..sig]
                    .iter()
                    .chain(&lines[sig + 4..])
                    .copied()
                    .collect::<Vec<_>>()
                    .join("\n")
            } else {
                text.clone()
            };
            (id.clone(), text)
        })
        .collect();
    let cut_input = write_subset(dir.path(), "cut.jsonl", &cut.iter().collect::<Vec<_>>());
    let without = related_pairs(dir.path(), &cut_input, "out-cut", &[]);
    assert!(!without.contains(&key(post, reply)), "{without:?}");
}
