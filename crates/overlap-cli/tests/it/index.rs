//! `overlap index`: batches agree with one `dedup` run, queries return what dedup paired, old index
//! files stay readable, and a SIGKILL at any point loses no acknowledged document and leaves no
//! batch half-visible.

use crate::common::{data, indexed_ids, overlap, read_jsonl};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The raw JSONL lines of a shared corpus.
fn corpus_lines(name: &str) -> Vec<String> {
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(data(name)).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(String::from)
        .collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

fn id_of(line: &str) -> String {
    let v: Value = serde_json::from_str(line).unwrap();
    match &v["id"] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn stdout_lines(bytes: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn reuters_in_three_batches_equals_one_dedup_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lines = corpus_lines("reuters21578.jsonl.gz");
    let third = lines.len().div_ceil(3);
    let mut batches = Vec::new();
    for (i, chunk) in lines.chunks(third).enumerate() {
        let path = d.join(format!("batch{i}.jsonl"));
        write_lines(&path, chunk);
        batches.push(path);
    }
    assert_eq!(batches.len(), 3);
    overlap()
        .arg("dedup")
        .arg(data("reuters21578.jsonl.gz"))
        .args(["--quiet", "--no-deduped", "--out"])
        .arg(d.join("dedup"))
        .assert()
        .success();
    let ix = d.join("ix");
    // The recent level of postings (about 6,300 new groups per batch) is merged into the main one
    // after the second batch, and holds the third's at the end: lookups meet both levels.
    overlap()
        .args(["index", "create", "--delta-limit", "10000"])
        .arg(&ix)
        .args([
            "--threshold",
            "0.8",
            "--ngram",
            "5",
            "--num-perm",
            "128",
            "--seed",
            "1",
        ])
        .assert()
        .success();
    let mut answers = Vec::new();
    for b in &batches {
        let out = overlap()
            .args(["index", "add", "--quiet"])
            .arg(&ix)
            .arg(b)
            .assert()
            .success();
        answers.extend(stdout_lines(&out.get_output().stdout));
    }
    assert_eq!(answers.len(), lines.len());
    overlap()
        .args(["index", "clusters"])
        .arg(&ix)
        .arg("--out")
        .arg(d.join("ic"))
        .assert()
        .success();
    for name in ["clusters.jsonl", "pairs.jsonl"] {
        let ours = std::fs::read(d.join("ic").join(name)).unwrap();
        let theirs = std::fs::read(d.join("dedup").join(name)).unwrap();
        assert!(ours == theirs, "{name} differs from dedup's");
    }
    overlap()
        .args(["index", "check"])
        .arg(&ix)
        .assert()
        .success();

    // Each add answer agrees with dedup: exact copies are exact, a group's first document with a
    // near pair to an earlier document is near, and duplicate_of is one of its dedup partners.
    let clusters = read_jsonl(&d.join("dedup/clusters.jsonl"));
    let pairs = read_jsonl(&d.join("dedup/pairs.jsonl"));
    let position: HashMap<String, usize> = clusters
        .iter()
        .enumerate()
        .map(|(i, c)| (c["id"].as_str().unwrap().to_string(), i))
        .collect();
    let mut partners: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    let mut earlier_near: HashSet<&str> = HashSet::new();
    for p in &pairs {
        let (a, b) = (p["a"].as_str().unwrap(), p["b"].as_str().unwrap());
        partners.entry(a).or_default().insert(b);
        partners.entry(b).or_default().insert(a);
        if p["kind"] == "near" {
            earlier_near.insert(b);
        }
    }
    let mut near = 0;
    for (a, c) in answers.iter().zip(&clusters) {
        let id = c["id"].as_str().unwrap();
        assert_eq!(a["id"], c["id"]);
        let expected = if c["reason"] == "exact" {
            "exact"
        } else if earlier_near.contains(id) {
            "near"
        } else {
            "unique"
        };
        assert_eq!(a["kind"], expected, "answer for {id}: {a}");
        if let Some(dup) = a["duplicate_of"].as_str() {
            assert!(
                partners[id].contains(dup),
                "{id}: {dup} is no dedup partner"
            );
            assert!(position[dup] < position[id]);
            near += usize::from(expected == "near");
        }
    }
    assert!(near > 50, "Reuters has near duplicates; found {near}");

    // A query of every corpus document returns what dedup paired it with: for a group's first
    // document exactly its pairs (plus itself); for a copy, its first document among the matches.
    let out = overlap()
        .args(["index", "query", "--quiet", "--limit", "0"])
        .arg(&ix)
        .arg(data("reuters21578.jsonl.gz"))
        .assert()
        .success();
    let queries = stdout_lines(&out.get_output().stdout);
    assert_eq!(queries.len(), lines.len());
    let first_of: HashMap<&str, &str> = pairs
        .iter()
        .filter(|p| p["kind"] == "exact")
        .map(|p| (p["b"].as_str().unwrap(), p["a"].as_str().unwrap()))
        .collect();
    for q in &queries {
        let id = q["id"].as_str().unwrap();
        let matched: BTreeSet<&str> = q["matches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap())
            .filter(|m| *m != id)
            .collect();
        assert!(
            q["matches"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["id"] == id),
            "{id} does not find itself"
        );
        match first_of.get(id) {
            Some(first) => assert!(matched.contains(first), "copy {id} misses {first}"),
            None => assert_eq!(
                matched,
                partners.get(id).cloned().unwrap_or_default(),
                "query of {id}"
            ),
        }
    }
}

/// A small index written by each format version, kept in the repository: later versions must
/// read it.
fn fixture(version: u32) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/index-v{version}"))
}

/// The current format version, as `index stats` reports it for a new index.
const CURRENT_FORMAT: u32 = 5;

const FIXTURE_DOCS: [(&str, &str); 6] = [
    ("a", "The committee approved the budget for the new harbour bridge on Monday evening after a long debate."),
    ("b", "A storm closed the mountain pass and stranded hundreds of drivers overnight near the border."),
    ("c", "The committee approved the budget for the new harbour bridge on Monday evening after a short debate."),
    ("d", "the COMMITTEE approved the budget for the new harbour bridge on monday evening, after a long debate!"),
    ("e", "Local bakers say the price of flour has doubled since spring, and bread will cost more."),
    ("f", "A storm closed the mountain pass and stranded hundreds of drivers overnight near the border town."),
];

/// Write the fixture of the current format (only when a format change calls for a new one, kept
/// beside the old ones): `OVERLAP_WRITE_INDEX_FIXTURE=1 cargo nextest run ... -E
/// 'test(write_index_fixture)'`. A delta limit of 2 and batches of 2 leave groups in both levels
/// of postings.
#[test]
fn write_index_fixture() {
    if std::env::var_os("OVERLAP_WRITE_INDEX_FIXTURE").is_none() {
        return;
    }
    let dir = fixture(CURRENT_FORMAT);
    let _ = std::fs::remove_dir_all(&dir);
    let docs = tempfile::tempdir().unwrap();
    let input = docs.path().join("docs.jsonl");
    let lines: Vec<String> = FIXTURE_DOCS
        .iter()
        .map(|(id, text)| serde_json::json!({"id": id, "text": text}).to_string())
        .collect();
    write_lines(&input, &lines);
    overlap()
        .args([
            "index",
            "create",
            "--ngram",
            "3",
            "--threshold",
            "0.5",
            "--store-text",
            "--delta-limit",
            "2",
        ])
        .arg(&dir)
        .assert()
        .success();
    overlap()
        .args(["index", "add", "--quiet", "--batch-size", "2"])
        .arg(&dir)
        .arg(&input)
        .assert()
        .success();
}

#[test]
fn the_format_1_fixture_is_read() {
    read_fixture(1);
}

#[test]
fn the_format_2_fixture_is_read() {
    read_fixture(2);
}

#[test]
fn the_format_3_fixture_is_read() {
    read_fixture(3);
}

#[test]
fn the_format_4_fixture_is_read() {
    read_fixture(4);
}

#[test]
fn the_format_5_fixture_is_read() {
    read_fixture(5);
}

/// A fixture of format `version` is checked, read and queried as written, then written to (which
/// migrates it to the current format) and read again.
fn read_fixture(version: u32) {
    let tmp = tempfile::tempdir().unwrap();
    let ix = tmp.path().join("ix");
    std::fs::create_dir(&ix).unwrap();
    std::fs::copy(fixture(version).join("index.redb"), ix.join("index.redb")).unwrap();
    overlap()
        .args(["index", "check"])
        .arg(&ix)
        .assert()
        .success();
    let stats: Value = serde_json::from_slice(
        &overlap()
            .args(["index", "stats"])
            .arg(&ix)
            .assert()
            .success()
            .get_output()
            .stdout,
    )
    .unwrap();
    assert_eq!(stats["format_version"], version);
    assert_eq!(stats["documents"], 6);
    if version >= 2 {
        assert!(stats["delta_groups"].as_u64().unwrap() > 0, "{stats}");
        assert!(stats["postings"].as_u64().unwrap() > 0, "{stats}");
    }
    assert_eq!(stats["parameters"]["ngram"], 3);
    assert_eq!(stats["texts"], 6);
    // Read as it is: the shingle sets where its format keeps them.
    let sets_table = if version >= 3 { "sets" } else { "shingles" };
    assert!(
        stats["tables"][sets_table]["stored"].as_u64().unwrap() > 0,
        "{stats}"
    );
    let postings_before = stats["postings"].as_u64().unwrap();
    let clusters = stdout_lines(
        &overlap()
            .args(["index", "clusters"])
            .arg(&ix)
            .assert()
            .success()
            .get_output()
            .stdout,
    );
    let reps: Vec<(&str, &str)> = clusters
        .iter()
        .map(|c| (c["id"].as_str().unwrap(), c["cluster"].as_str().unwrap()))
        .collect();
    assert_eq!(
        reps,
        [
            ("a", "a"),
            ("b", "b"),
            ("c", "a"),
            ("d", "a"),
            ("e", "e"),
            ("f", "b")
        ]
    );
    let q = tmp.path().join("q.txt");
    std::fs::write(&q, FIXTURE_DOCS[0].1).unwrap();
    let answers = stdout_lines(
        &overlap()
            .args(["index", "query", "--passages", "--quiet"])
            .arg(&ix)
            .arg(&q)
            .assert()
            .success()
            .get_output()
            .stdout,
    );
    assert_eq!(answers[0]["kind"], "exact");
    assert_eq!(answers[0]["duplicate_of"], "a");
    let passages = answers[0]["passages"].as_array().unwrap();
    assert_eq!(passages[0]["id"], "a");
    assert_eq!(passages[0]["alignment"]["related"], true);
    // It stays writable: a document added to a copy of it is answered.
    let more = tmp.path().join("more.jsonl");
    write_lines(
        &more,
        &[serde_json::json!({"id": "g", "text": FIXTURE_DOCS[4].1}).to_string()],
    );
    let added = stdout_lines(
        &overlap()
            .args(["index", "add", "--quiet"])
            .arg(&ix)
            .arg(&more)
            .assert()
            .success()
            .get_output()
            .stdout,
    );
    assert_eq!(added[0]["duplicate_of"], "e");
    // Opened for writing, it was migrated to the current format, and reads back whole.
    let stats: Value = serde_json::from_slice(
        &overlap()
            .args(["index", "stats"])
            .arg(&ix)
            .assert()
            .success()
            .get_output()
            .stdout,
    )
    .unwrap();
    assert_eq!(stats["format_version"], CURRENT_FORMAT);
    assert_eq!(stats["documents"], 7);
    assert!(
        stats["tables"]["sets"]["stored"].as_u64().unwrap() > 0,
        "{stats}"
    );
    assert!(stats["tables"].get("shingles").is_none(), "{stats}");
    // The main level's postings came over (the added exact copy posts nothing; a merge may add
    // the delta's), and `check` counts them against the groups.
    assert!(
        stats["postings"].as_u64().unwrap() >= postings_before,
        "{stats}"
    );
    overlap()
        .args(["index", "check"])
        .arg(&ix)
        .assert()
        .success();
    let answers = stdout_lines(
        &overlap()
            .args(["index", "query", "--quiet"])
            .arg(&ix)
            .arg(&q)
            .assert()
            .success()
            .get_output()
            .stdout,
    );
    assert_eq!(answers[0]["duplicate_of"], "a");
    let matched: Vec<&str> = answers[0]["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(matched, ["a", "d", "c"]);
}

/// `index add` writes batches on a writer thread while the next ones are sketched: a failing
/// batch, or a bad record, still leaves exactly the batches before it committed and answered, and
/// nothing after it, as when the batches ran in turn.
#[test]
fn a_failure_mid_stream_keeps_the_batches_before_it_and_nothing_after() {
    let tmp = tempfile::tempdir().unwrap();
    let ix = tmp.path().join("ix");
    overlap()
        .args(["index", "create"])
        .arg(&ix)
        .assert()
        .success();
    let doc = |id: &str, n: usize| {
        let words: Vec<String> = (0..12).map(|w| format!("w{}x{w}", n * 31 + w)).collect();
        serde_json::json!({"id": id, "text": words.join(" ")}).to_string()
    };
    let first = tmp.path().join("first.jsonl");
    write_lines(&first, &[doc("old", 0)]);
    overlap()
        .args(["index", "add", "-q"])
        .arg(&ix)
        .arg(&first)
        .assert()
        .success();
    let present = |ix: &Path| -> Vec<String> {
        let mut ids: Vec<String> = indexed_ids(ix);
        ids.sort();
        ids
    };
    // Batches of 2: [n1 n2] [n3 old] [n4 n5] [n6]: the second fails on the existing id.
    let feed = tmp.path().join("feed.jsonl");
    let mut lines: Vec<String> = ["n1", "n2", "n3"]
        .iter()
        .enumerate()
        .map(|(i, id)| doc(id, i + 1))
        .collect();
    lines.push(doc("old", 0));
    lines.extend(
        ["n4", "n5", "n6"]
            .iter()
            .enumerate()
            .map(|(i, id)| doc(id, i + 10)),
    );
    write_lines(&feed, &lines);
    let failed = overlap()
        .args(["index", "add", "-q", "--batch-size", "2"])
        .arg(&ix)
        .arg(&feed)
        .assert()
        .code(1);
    let answered: Vec<String> = stdout_lines(&failed.get_output().stdout)
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(answered, ["n1", "n2"]);
    assert!(String::from_utf8_lossy(&failed.get_output().stderr).contains("already in the index"));
    assert_eq!(present(&ix), ["n1", "n2", "old"]);
    // A bad record on line 6: the batches of lines 1-4 go in, line 5 (a partial batch) does not.
    let bad = tmp.path().join("bad.jsonl");
    let mut lines: Vec<String> = (0..5).map(|i| doc(&format!("b{i}"), i + 20)).collect();
    lines.push("{not json".to_string());
    lines.push(doc("b6", 30));
    write_lines(&bad, &lines);
    let failed = overlap()
        .args(["index", "add", "-q", "--batch-size", "2"])
        .arg(&ix)
        .arg(&bad)
        .assert()
        .code(1);
    assert_eq!(stdout_lines(&failed.get_output().stdout).len(), 4);
    assert_eq!(present(&ix), ["b0", "b1", "b2", "b3", "n1", "n2", "old"]);
    overlap()
        .args(["index", "check"])
        .arg(&ix)
        .assert()
        .success();
}

#[test]
fn usage_errors_and_refusals() {
    let tmp = tempfile::tempdir().unwrap();
    let ix = tmp.path().join("ix");
    overlap()
        .args(["index", "create", "--threshold"])
        .arg(&ix)
        .assert()
        .code(2);
    overlap().args(["index", "frobnicate"]).assert().code(2);
    overlap()
        .args(["index", "create", "--threshold", "1.5"])
        .arg(&ix)
        .assert()
        .failure();
    let not_an_index = overlap()
        .args(["index", "stats"])
        .arg(tmp.path())
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&not_an_index.get_output().stderr).into_owned();
    assert!(err.contains("not an overlap index"), "{err}");
    overlap()
        .args(["index", "create"])
        .arg(&ix)
        .assert()
        .success();
    let again = overlap()
        .args(["index", "create"])
        .arg(&ix)
        .assert()
        .code(1);
    assert!(String::from_utf8_lossy(&again.get_output().stderr).contains("not empty"));
    let docs = tmp.path().join("d.jsonl");
    write_lines(
        &docs,
        &[r#"{"id":"x","text":"one two three four five six"}"#.to_string()],
    );
    overlap()
        .args(["index", "add", "-q"])
        .arg(&ix)
        .arg(&docs)
        .assert()
        .success();
    let dup = overlap()
        .args(["index", "add", "-q"])
        .arg(&ix)
        .arg(&docs)
        .assert()
        .code(1);
    assert!(String::from_utf8_lossy(&dup.get_output().stderr).contains("--on-existing"));
    let skip = overlap()
        .args(["index", "add", "-q", "--on-existing", "skip"])
        .arg(&ix)
        .arg(&docs)
        .assert()
        .success();
    assert_eq!(
        stdout_lines(&skip.get_output().stdout)[0]["kind"],
        "existing"
    );
    let passages = overlap()
        .args(["index", "query", "--passages"])
        .arg(&ix)
        .arg(&docs)
        .assert()
        .code(1);
    assert!(String::from_utf8_lossy(&passages.get_output().stderr).contains("--store-text"));
    let refused = overlap()
        .args(["index", "add", "-q", "--on-existing", "skip", "--out"])
        .arg(&docs)
        .arg(&ix)
        .arg(&docs)
        .assert()
        .code(1);
    assert!(String::from_utf8_lossy(&refused.get_output().stderr).contains("overwrite an input"));
    assert!(std::fs::read_to_string(&docs).unwrap().contains("one two"));
    overlap()
        .args(["index", "remove"])
        .arg(&ix)
        .arg("nope")
        .assert()
        .code(1);
    overlap()
        .args(["index", "remove"])
        .arg(&ix)
        .arg("x")
        .assert()
        .success();
    overlap()
        .args(["index", "get"])
        .arg(&ix)
        .arg("x")
        .assert()
        .code(1);
}

/// A pseudo-random sequence with a fixed seed, so that a failing kill point can be replayed.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[test]
fn sigkill_during_add_loses_no_acknowledged_document() {
    const BATCH: usize = 40;
    const FILES: usize = 40;
    const KILLS: usize = 24;
    const PER_FILE: usize = 400;
    let tmp = tempfile::tempdir().unwrap();
    let ix = tmp.path().join("ix");
    // Merges of the recent level of postings every few batches, so that kills fall in them too.
    overlap()
        .args(["index", "create", "--store-text", "--delta-limit", "100"])
        .arg(&ix)
        .assert()
        .success();
    let lines = corpus_lines("reuters21578.jsonl.gz");
    let bin = assert_cmd::cargo::cargo_bin("overlap");
    // How long one uninterrupted writer takes here, so that the kill points spread over its run.
    let calibration = tmp.path().join("calibration");
    overlap()
        .args(["index", "create"])
        .arg(&calibration)
        .assert()
        .success();
    let sample = tmp.path().join("sample.jsonl");
    write_lines(&sample, &lines[lines.len() - PER_FILE..]);
    let t = Instant::now();
    overlap()
        .args(["index", "add", "--quiet", "--batch-size"])
        .arg(BATCH.to_string())
        .arg(&calibration)
        .arg(&sample)
        .assert()
        .success();
    let span = (t.elapsed().as_millis() as u64).max(20);
    let mut rng = Lcg(20261201);
    let mut acknowledged: Vec<String> = Vec::new();
    let mut kills = 0;
    let mut files = 0;
    let mut between_commits = 0;
    for f in 0..FILES {
        if kills >= KILLS && between_commits >= 5 {
            break;
        }
        files += 1;
        let chunk = &lines[f * PER_FILE..(f + 1) * PER_FILE];
        let file = tmp.path().join(format!("feed{f}.jsonl"));
        write_lines(&file, chunk);
        let ids: Vec<String> = chunk.iter().map(|l| id_of(l)).collect();
        // A writer killed at a random moment; its stdout lines are the acknowledgments.
        let mut child = Command::new(&bin)
            .args([
                "index",
                "add",
                "--quiet",
                "--on-existing",
                "skip",
                "--batch-size",
            ])
            .arg(BATCH.to_string())
            .arg(&ix)
            .arg(&file)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen_by_reader = std::sync::Arc::clone(&seen);
        let reader = std::thread::spawn(move || {
            let mut acked = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    acked.push(v["id"].as_str().unwrap().to_string());
                    seen_by_reader.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
            acked
        });
        // Every other writer is killed only after its first acknowledged batch, so that kills fall
        // between two commits however fast this machine is today; the others anywhere in the run.
        if f % 2 == 1 {
            let waited = Instant::now();
            while seen.load(std::sync::atomic::Ordering::Relaxed) == 0
                && child.try_wait().unwrap().is_none()
                && waited.elapsed() < Duration::from_secs(60)
            {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        let delay = Duration::from_millis(rng.below(span * 3 / 4));
        let started = Instant::now();
        while started.elapsed() < delay {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        if child.try_wait().unwrap().is_none() {
            kills += 1;
        }
        child.kill().ok();
        child.wait().unwrap();
        let acked = reader.join().unwrap();
        acknowledged.extend(acked.iter().cloned());

        // After the crash: the invariants hold, every acknowledged document is present, and what
        // is present of this file is whole batches.
        overlap()
            .args(["index", "check"])
            .arg(&ix)
            .assert()
            .success();
        let present: HashSet<String> = indexed_ids(&ix);
        for id in &acknowledged {
            assert!(
                present.contains(id),
                "acknowledged {id} lost (file {f}, delay {delay:?})"
            );
        }
        let here = ids.iter().take_while(|id| present.contains(*id)).count();
        between_commits += usize::from(here > 0 && here < ids.len());
        assert!(
            here % BATCH == 0 || here == ids.len(),
            "file {f}: {here} documents visible, not whole batches of {BATCH}"
        );
        assert!(
            ids[here..].iter().all(|id| !present.contains(id)),
            "file {f}: documents visible after the first missing one"
        );
        // The acknowledged documents of this file are queryable: each finds itself.
        let answers = stdout_lines(
            &overlap()
                .args(["index", "query", "--quiet", "--limit", "0"])
                .arg(&ix)
                .arg(&file)
                .assert()
                .success()
                .get_output()
                .stdout,
        );
        for a in &answers {
            let id = a["id"].as_str().unwrap();
            if acked.iter().any(|x| x == id) {
                assert!(
                    a["matches"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|m| m["id"] == id),
                    "{id} is not found by its own text"
                );
            }
        }
        // Restart: the rest of the file goes in.
        overlap()
            .args(["index", "add", "--quiet", "--on-existing", "skip"])
            .arg(&ix)
            .arg(&file)
            .assert()
            .success();
    }
    assert!(
        kills >= KILLS,
        "only {kills} of {files} writers were killed mid-run"
    );
    assert!(
        between_commits >= 5,
        "only {between_commits} kills fell between two commits of a writer"
    );
    overlap()
        .args(["index", "check"])
        .arg(&ix)
        .assert()
        .success();
    let stats: Value = serde_json::from_slice(
        &overlap()
            .args(["index", "stats"])
            .arg(&ix)
            .assert()
            .success()
            .get_output()
            .stdout,
    )
    .unwrap();
    assert_eq!(stats["documents"], files * PER_FILE);
}

#[test]
fn query_reuse_finds_the_reworded_version_among_reuters() {
    let tmp = tempfile::tempdir().unwrap();
    let ix = tmp.path().join("ix");
    let sample = tmp.path().join("reuters-2000.jsonl");
    write_lines(&sample, &corpus_lines("reuters21578.jsonl.gz")[..2000]);
    overlap()
        .args(["index", "create", "--store-text"])
        .arg(&ix)
        .assert()
        .success();
    let seed_a = data("seeds/000_9646bb2135868c17.txt");
    let seed_b = data("seeds/003_b5dab42e183730da.txt");
    overlap()
        .args(["index", "add", "--quiet"])
        .arg(&ix)
        .arg(&sample)
        .arg(&seed_a)
        .assert()
        .success();
    let answers = stdout_lines(
        &overlap()
            .args(["index", "query", "--quiet", "--reuse"])
            .arg(&ix)
            .arg(&seed_b)
            .assert()
            .success()
            .get_output()
            .stdout,
    );
    // Jaccard 0.18: no near-duplicate, but the other outlet's version of the story shares passages.
    assert_eq!(answers[0]["kind"], "unique");
    let reuse = answers[0]["reuse"].as_array().unwrap();
    assert_eq!(reuse[0]["id"], seed_a.to_string_lossy().as_ref());
    assert_eq!(reuse[0]["alignment"]["related"], true);
    assert!(reuse[0]["alignment"]["passages"].as_array().unwrap().len() >= 8);
    assert!(reuse[0]["shared_anchors"].as_u64().unwrap() >= 3);
    // A corpus document's reuse list never repeats its exact or near matches.
    let answers = stdout_lines(
        &overlap()
            .args(["index", "query", "--quiet", "--reuse", "--limit", "0"])
            .arg(&ix)
            .arg(&sample)
            .assert()
            .success()
            .get_output()
            .stdout,
    );
    let mut with_reuse = 0;
    for a in &answers {
        let matched: HashSet<&str> = a["matches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap())
            .collect();
        for r in a["reuse"].as_array().unwrap() {
            assert!(!matched.contains(r["id"].as_str().unwrap()), "{a}");
            assert_eq!(r["alignment"]["related"], true);
            with_reuse += 1;
        }
    }
    assert!(
        with_reuse > 0,
        "no Reuters story shares passages with another"
    );
    // Anchors leave with their document.
    overlap()
        .args(["index", "remove"])
        .arg(&ix)
        .arg(seed_a.to_string_lossy().as_ref())
        .assert()
        .success();
    overlap()
        .args(["index", "check"])
        .arg(&ix)
        .assert()
        .success();
    let answers = stdout_lines(
        &overlap()
            .args(["index", "query", "--quiet", "--reuse"])
            .arg(&ix)
            .arg(&seed_b)
            .assert()
            .success()
            .get_output()
            .stdout,
    );
    assert!(answers[0]["reuse"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["id"] != seed_a.to_string_lossy().as_ref()));
}
