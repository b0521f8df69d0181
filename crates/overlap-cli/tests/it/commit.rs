//! Outputs never destroy an input, are committed whole, are locked against concurrent runs, and
//! failures name the output and the operation (see `crates/overlap/src/io/commit.rs`).

use crate::common::{data, outputs, overlap, read_json, stable_summary};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Every entry below `dir` (hidden ones included) with its bytes; folders end in `/`.
pub fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if path.is_dir() {
                out.insert(format!("{rel}/"), Vec::new());
                walk(root, &path, out);
            } else {
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out
}

/// Copy the visible files and the lock file of an output folder.
pub fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for (rel, bytes) in snapshot(from) {
        let target = to.join(&rel);
        if rel.ends_with('/') {
            std::fs::create_dir_all(target).unwrap();
        } else {
            std::fs::write(target, bytes).unwrap();
        }
    }
}

fn small_corpus(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    let mut text = String::new();
    for i in 0..30 {
        text.push_str(&format!(
            "{{\"id\":\"d{i}\",\"text\":\"story number {} about the harbour, the ships and the \
             long winter of the year {}\"}}\n",
            i % 10,
            i % 7
        ));
    }
    std::fs::write(&path, text).unwrap();
    path
}

/// Run `args` in `dir`; the command must fail as a usage error (exit 2) and name `names`.
fn refused(dir: &Path, args: &[&str], names: &[&str]) -> String {
    let out = overlap().current_dir(dir).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    for name in names {
        assert!(
            stderr.contains(name),
            "{args:?}: {name} not named in {stderr}"
        );
    }
    assert!(!stderr.contains("os error"), "{stderr}");
    stderr
}

#[test]
fn an_output_over_an_input_is_refused_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    small_corpus(dir, "x.jsonl");
    std::fs::create_dir(dir.join("d")).unwrap();
    for name in [
        "deduped.jsonl",
        "clusters.jsonl",
        "pairs.jsonl",
        "stories.jsonl",
    ] {
        small_corpus(&dir.join("d"), name);
    }
    std::fs::create_dir(dir.join("texts")).unwrap();
    std::fs::write(dir.join("texts/a.txt"), "a text document about ships").unwrap();
    std::fs::write(dir.join("texts/b.txt"), "another text document about ships").unwrap();
    let before = snapshot(dir);

    let stderr = refused(
        dir,
        &["sketch", "x.jsonl", "--out", "x.jsonl"],
        &["x.jsonl"],
    );
    assert!(stderr.contains("would overwrite the input"), "{stderr}");
    refused(
        dir,
        &["sketch", "d", "--out", "d/pairs.jsonl"],
        &["d/pairs.jsonl"],
    );
    refused(
        dir,
        &["sketch", "x.jsonl", "--out", "./x.jsonl"],
        &["x.jsonl"],
    );
    for job in ["dedup", "reuse"] {
        for name in [
            "deduped.jsonl",
            "clusters.jsonl",
            "pairs.jsonl",
            "stories.jsonl",
        ] {
            let input = format!("d/{name}");
            refused(dir, &[job, &input, "--out", "d"], &[&input, "d/"]);
        }
        let stderr = refused(dir, &[job, "texts", "--out", "texts"], &["texts"]);
        assert!(stderr.contains("is the input folder"), "{stderr}");
        let stderr = refused(dir, &[job, "texts", "--out", "texts/out"], &["texts/out"]);
        assert!(
            stderr.contains("lies inside the input folder texts"),
            "{stderr}"
        );
        refused(dir, &[job, "d", "--out", "d"], &["d"]);
    }
    refused(
        dir,
        &[
            "align",
            "texts/a.txt",
            "texts/b.txt",
            "--html",
            "texts/b.txt",
        ],
        &["texts/b.txt"],
    );
    refused(
        dir,
        &[
            "align", "--corpus", "x.jsonl", "d0", "d1", "--html", "x.jsonl",
        ],
        &["x.jsonl"],
    );
    assert!(snapshot(dir) == before, "an input or folder changed");

    // report: its own folder's files and the corpus it reads are inputs.
    overlap()
        .current_dir(dir)
        .args(["dedup", "x.jsonl", "--out", "o", "-q"])
        .assert()
        .success();
    let before = snapshot(dir);
    for out in [
        "o/summary.json",
        "o/clusters.jsonl",
        "o/pairs.jsonl",
        "x.jsonl",
    ] {
        refused(dir, &["report", "o", "--out", out], &[out]);
    }
    refused(
        dir,
        &["report", "o", "--input", "d", "--out", "d/stories.jsonl"],
        &["d/stories.jsonl"],
    );
    assert!(snapshot(dir) == before, "an input or folder changed");
}

#[test]
fn an_existing_file_as_the_output_folder_is_named_once() {
    let tmp = tempfile::tempdir().unwrap();
    small_corpus(tmp.path(), "x.jsonl");
    std::fs::write(tmp.path().join("out.txt"), "mine").unwrap();
    for job in ["dedup", "reuse"] {
        let stderr = refused(
            tmp.path(),
            &[job, "x.jsonl", "--out", "out.txt"],
            &["out.txt"],
        );
        assert!(
            stderr.contains("error: --out out.txt: exists and is not a folder"),
            "{stderr}"
        );
        assert_eq!(stderr.matches("exists").count(), 1, "{stderr}");
    }
    assert_eq!(std::fs::read(tmp.path().join("out.txt")).unwrap(), b"mine");
}

#[test]
fn a_report_is_listed_when_written_and_removed_when_stale() {
    let tmp = tempfile::tempdir().unwrap();
    small_corpus(tmp.path(), "x.jsonl");
    let run = |extra: &[&str]| {
        overlap()
            .current_dir(tmp.path())
            .args(["dedup", "x.jsonl", "--out", "o", "-q"])
            .args(extra)
            .assert()
            .success();
    };
    run(&["--report"]);
    let summary = read_json(&tmp.path().join("o/summary.json"));
    assert_eq!(
        outputs(&summary),
        [
            "clusters.jsonl",
            "pairs.jsonl",
            "deduped.jsonl",
            "report.html",
            "summary.json"
        ]
    );
    assert!(tmp.path().join("o/report.html").is_file());
    run(&["--no-deduped"]);
    let names: Vec<String> = snapshot(&tmp.path().join("o")).into_keys().collect();
    assert_eq!(
        names,
        [
            ".overlap.lock",
            "clusters.jsonl",
            "pairs.jsonl",
            "summary.json"
        ]
    );
    // A report added later is listed too; nothing else in summary.json changes.
    let before = read_json(&tmp.path().join("o/summary.json"));
    overlap()
        .current_dir(tmp.path())
        .args(["report", "o", "-q"])
        .assert()
        .success();
    let mut after = read_json(&tmp.path().join("o/summary.json"));
    let listed = after["outputs"].as_array_mut().unwrap();
    assert_eq!(listed[2], "report.html");
    listed.remove(2);
    assert_eq!(after, before);
    let names: Vec<String> = snapshot(&tmp.path().join("o")).into_keys().collect();
    assert_eq!(names.len(), 5, "{names:?}");
    assert!(names.contains(&"report.html".to_string()));
}

/// Stop at the first write to `name` with a full disk: the message names the output and the
/// operation once, the previous result stays whole, nothing partial is left.
fn disk_full(args: &[&str], out: &Path, name: &str, shown: &str) {
    // The lock file holds the pid of the last run; everything else must stay as it was.
    let snapshot = |dir: &Path| {
        let mut s = snapshot(dir);
        for (name, bytes) in s.iter_mut() {
            if name.ends_with(".overlap.lock") {
                bytes.clear();
            }
        }
        s
    };
    let before = snapshot(out);
    let result = overlap()
        .args(args)
        .env("OVERLAP_FAILPOINT", format!("enospc:{name}"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(1), "{stderr}");
    let expected = format!("error: writing {shown}: no space left on device\n");
    assert!(stderr.ends_with(&expected), "{stderr}");
    assert_eq!(stderr.matches("no space left").count(), 1, "{stderr}");
    assert!(
        !stderr.contains("reuters21578"),
        "the input is blamed: {stderr}"
    );
    assert!(snapshot(out) == before, "{} changed", out.display());
}

#[test]
fn a_full_disk_names_the_output_and_leaves_the_previous_result() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = data("reuters21578.jsonl.gz");
    let corpus = corpus.to_str().unwrap();
    let out = tmp.path().join("out");
    let out_s = out.to_str().unwrap();
    overlap()
        .args(["dedup", corpus, "--out", out_s, "-q", "--threshold", "0.9"])
        .assert()
        .success();
    for name in [
        "deduped.jsonl.gz",
        "clusters.jsonl",
        "pairs.jsonl",
        "summary.json",
    ] {
        let shown = format!("{out_s}/{name}");
        disk_full(&["dedup", corpus, "--out", out_s, "-q"], &out, name, &shown);
    }
    // A fresh folder is not left behind, empty, by a failed run.
    let fresh = tmp.path().join("fresh");
    let fresh_s = fresh.to_str().unwrap();
    let shown = format!("{fresh_s}/pairs.jsonl");
    disk_full(
        &["dedup", corpus, "--out", fresh_s, "-q"],
        &fresh,
        "pairs.jsonl",
        &shown,
    );
    assert!(!fresh.exists());
    // Single-file outputs: the previous file stays, no temporary file is left.
    let sig = tmp.path().join("sig.jsonl.gz");
    std::fs::write(&sig, "previous").unwrap();
    let sig_s = sig.to_str().unwrap();
    disk_full(
        &["sketch", corpus, "--out", sig_s, "-q"],
        tmp.path(),
        "sig.jsonl.gz",
        sig_s,
    );
}

#[test]
fn a_second_run_into_a_busy_folder_fails_at_once_and_the_first_completes() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = data("reuters21578.jsonl.gz");
    let reference = tmp.path().join("reference");
    overlap()
        .args(["dedup", corpus.to_str().unwrap(), "--out"])
        .arg(&reference)
        .arg("-q")
        .assert()
        .success();
    let out = tmp.path().join("out");
    // The first run reads standard input, so it holds the folder for as long as the test keeps its
    // input open: no timing is involved.
    let mut first = Command::new(assert_cmd::cargo::cargo_bin("overlap"))
        .args(["dedup", "-", "-q", "--out"])
        .arg(&out)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let held = |out: &Path| {
        std::fs::read_dir(out).is_ok_and(|mut d| {
            d.any(|e| {
                e.unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with(".overlap-tmp-staging-")
            })
        })
    };
    while !held(&out) {
        assert!(
            first.try_wait().unwrap().is_none(),
            "the first run ended early"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let second = overlap()
        .arg("dedup")
        .arg(&corpus)
        .args(["-q", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr,
        format!(
            "error: {} is in use by another overlap run (pid {}); wait for it to finish, or \
             choose another --out\n",
            out.display(),
            first.id()
        )
    );
    assert!(
        first.try_wait().unwrap().is_none(),
        "the second run did not fail at once"
    );
    let mut text = Vec::new();
    let (mut r, _) = overlap::io::decompress(std::fs::File::open(&corpus).unwrap()).unwrap();
    std::io::Read::read_to_end(&mut r, &mut text).unwrap();
    let mut stdin = first.stdin.take().unwrap();
    stdin.write_all(&text).unwrap();
    drop(stdin);
    let done = first.wait_with_output().unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    for name in ["clusters.jsonl", "pairs.jsonl"] {
        assert!(
            std::fs::read(out.join(name)).unwrap() == std::fs::read(reference.join(name)).unwrap(),
            "{name} differs from a run alone"
        );
    }
    let summary = stable_summary(&out.join("summary.json"));
    assert_eq!(summary["documents"]["accepted"], 19043);
    let names: Vec<String> = snapshot(&out).into_keys().collect();
    assert_eq!(
        names,
        [
            ".overlap.lock",
            "clusters.jsonl",
            "deduped.jsonl",
            "pairs.jsonl",
            "summary.json"
        ]
    );
}
