//! Shared harness: running the binary, locating the shared data, reading outputs, and the exact
//! ground truth for near-duplicate pairs.

pub mod generate;

use assert_cmd::Command;
use overlap::io::{discover, parse_record, CorpusReader, FieldNames, ReadItem};
use overlap::text::{shingle_set, tokenize, Normalization};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The `overlap` binary under test.
pub fn overlap() -> Command {
    Command::cargo_bin("overlap").expect("the overlap binary is built")
}

/// `overlap COMMAND INPUT ARGS... --out OUT`, to run.
pub fn job(command: &str, input: &Path, out: &Path, args: &[&str]) -> Command {
    let mut cmd = overlap();
    cmd.arg(command).arg(input).args(args).arg("--out").arg(out);
    cmd
}

/// Run `cmd`, which must exit with `code`, and return its standard error.
pub fn stderr_of(cmd: &mut Command, code: i32) -> String {
    let assert = cmd.assert().code(code);
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

/// Run `cmd`, which must succeed (its standard error is the message when it does not), and return
/// its output.
pub fn output_ok(cmd: &mut Command) -> std::process::Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A file of the shared test data. The data lives beside the repository, never in it.
pub fn data(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    let path = root.join(name);
    assert!(
        path.exists(),
        "test data {} is missing: the shared data folder must sit beside the repository",
        path.display()
    );
    path
}

/// Parse a JSONL file into values.
/// The records of the shared corpus `name` (a gzip-compressed JSON Lines file of `../shared/data`).
pub fn gz_lines(name: &str) -> Vec<Value> {
    let f = std::fs::File::open(data(name)).unwrap();
    std::io::BufRead::lines(std::io::BufReader::new(flate2::read::GzDecoder::new(f)))
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect()
}

pub fn read_jsonl(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad line {l:?}: {e}")))
        .collect()
}

/// The ids of the documents in index `ix`, as `overlap index clusters` lists them (one line each).
pub fn indexed_ids<C: FromIterator<String>>(ix: &Path) -> C {
    let out = overlap()
        .args(["index", "clusters"])
        .arg(ix)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out)
        .expect("index clusters writes UTF-8")
        .lines()
        .map(|l| {
            let c: Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("bad line {l:?}: {e}"));
            c["id"].as_str().expect("a string id").to_string()
        })
        .collect()
}

/// The `(a, b)` ids of the pairs a `pairs.jsonl` lists.
pub fn id_pairs<C: FromIterator<(String, String)>>(path: &Path) -> C {
    read_jsonl(path)
        .iter()
        .map(|p| {
            (
                p["a"].as_str().unwrap().into(),
                p["b"].as_str().unwrap().into(),
            )
        })
        .collect()
}

/// Parse a JSON file.
pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// The file names a `summary.json` lists under `outputs`, in its order.
pub fn outputs(summary: &Value) -> Vec<&str> {
    summary["outputs"]
        .as_array()
        .expect("summary.json lists its outputs")
        .iter()
        .map(|o| o.as_str().expect("an output is a file name"))
        .collect()
}

/// summary.json without the fields that legitimately vary between runs (timings, thread count, the
/// throughput derived from them, and memory).
pub fn stable_summary(path: &Path) -> Value {
    let mut summary = read_json(path);
    let obj = summary.as_object_mut().unwrap();
    for key in [
        "timings_ms",
        "threads",
        "aligned_pairs_per_second",
        "memory",
    ] {
        obj.remove(key);
    }
    summary
}

/// Ids and texts of a JSONL corpus, read with the engine's own reader.
pub fn load_corpus(path: &Path) -> Vec<(String, String)> {
    let sources = discover(&[path.to_string_lossy().into_owned()], None).unwrap();
    let mut reader = CorpusReader::new(sources, usize::MAX);
    let mut docs = Vec::new();
    loop {
        let batch = reader.next_batch(10_000, usize::MAX).unwrap();
        if batch.is_empty() {
            return docs;
        }
        for item in batch {
            let ReadItem::Record(r) = item else {
                panic!("bad record in test data: {item:?}")
            };
            let rec = parse_record(&r.bytes, &FieldNames::default()).unwrap();
            docs.push((rec.id.unwrap().into_owned(), rec.text.into_owned()));
        }
    }
}

/// Each document's place in the corpus, by id.
pub fn positions(docs: &[(String, String)]) -> HashMap<&str, usize> {
    docs.iter()
        .enumerate()
        .map(|(i, (id, _))| (id.as_str(), i))
        .collect()
}

/// The word `n`-gram shingle set of every document (the engine's definition).
pub fn shingle_sets(docs: &[(String, String)], n: usize) -> Vec<Vec<u64>> {
    let norm = Normalization::default();
    docs.iter()
        .map(|(_, text)| {
            let mut set = Vec::new();
            shingle_set(&tokenize(text, &norm), n, &mut set);
            set
        })
        .collect()
}

/// Jaccard similarity of two sorted sets.
pub fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    let (mut i, mut j, mut shared) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - shared;
    if union == 0 {
        1.0
    } else {
        shared as f64 / union as f64
    }
}

/// Every pair `(a, b)`, `a < b`, with Jaccard >= `t`, found exactly: an inverted index over each set's
/// prefix of rarest shingles (the prefix-filtering principle: two sets with Jaccard >= t must share a
/// shingle among the first `|x| - ceil(t |x|) + 1` of each, in any fixed global order), then every
/// candidate's Jaccard computed in full. No sampling, no sketches.
pub fn exact_pairs(sets: &[Vec<u64>], t: f64) -> HashMap<(usize, usize), f64> {
    let mut df: HashMap<u64, u32> = HashMap::new();
    for s in sets {
        for &h in s {
            *df.entry(h).or_default() += 1;
        }
    }
    let mut index: HashMap<u64, Vec<usize>> = HashMap::new();
    let mut result = HashMap::new();
    for (x, set) in sets.iter().enumerate() {
        let mut ordered = set.clone();
        ordered.sort_unstable_by_key(|h| (df[h], *h));
        // A longer prefix than needed is always safe; subtract an epsilon so float rounding can only
        // lengthen it.
        let needed = (t * set.len() as f64 - 1e-9).ceil() as usize;
        let prefix = (set.len() + 1).saturating_sub(needed).min(set.len());
        let mut candidates: Vec<usize> = Vec::new();
        for h in &ordered[..prefix] {
            if let Some(docs) = index.get(h) {
                candidates.extend(docs);
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        for y in candidates {
            let j = jaccard(&sets[y], set);
            if j >= t {
                result.insert((y, x), j);
            }
        }
        for h in &ordered[..prefix] {
            index.entry(*h).or_default().push(x);
        }
        if set.is_empty() {
            // Empty sets share no shingle but have Jaccard 1 with each other.
            for (y, other) in sets[..x].iter().enumerate() {
                if other.is_empty() {
                    result.insert((y, x), 1.0);
                }
            }
        }
    }
    result
}

/// The distilled semantic model that scripts/make-model.sh links into models/, or None (the
/// real-model checks are then skipped) unless OVERLAP_REQUIRE_MODEL makes its absence a failure.
pub fn real_model() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/overlap-minilm-static");
    if dir.join("config.json").exists() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("OVERLAP_REQUIRE_MODEL").is_none(),
        "the semantic model is missing: run scripts/make-model.sh"
    );
    eprintln!(
        "semantic model not built: the real-model checks are skipped (scripts/make-model.sh)"
    );
    None
}
