//! Fault injection: runs killed (SIGKILL) at points spread over a real run, and aborted at every step
//! of the commit (test-only failpoints, `OVERLAP_FAILPOINT`), over an output that already holds an
//! earlier result. Afterwards the output must be the complete earlier result or the complete new
//! one, as a reader (`overlap report`) sees it, and the next run must clean every temporary file.
//!
//! Kill times are spread from the start to past the end of a reference run; whatever the machine's
//! speed, every outcome must be whole, so no timing decides whether a test passes.

use crate::commit::{copy_folder, snapshot};
use crate::common::{data, overlap};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

type Snap = BTreeMap<String, Vec<u8>>;

/// The visible result: the snapshot without the lock file and temporary entries.
fn result(dir: &Path) -> Snap {
    snapshot(dir)
        .into_iter()
        .filter(|(k, _)| k != ".overlap.lock" && !k.starts_with(".overlap-tmp-"))
        .collect()
}

fn temporaries(dir: &Path) -> Vec<String> {
    snapshot(dir)
        .into_keys()
        .filter(|k| k.starts_with(".overlap-tmp-") && !k.trim_end_matches('/').contains('/'))
        .collect()
}

/// summary.json without what varies between runs.
fn stable(bytes: &[u8]) -> Value {
    let mut v: Value = serde_json::from_slice(bytes).unwrap();
    for key in [
        "timings_ms",
        "threads",
        "aligned_pairs_per_second",
        "memory",
    ] {
        v.as_object_mut().unwrap().remove(key);
    }
    v
}

fn same(a: &Snap, b: &Snap) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|((ka, va), (kb, vb))| {
            ka == kb
                && if ka == "summary.json" {
                    stable(va) == stable(vb)
                } else {
                    va == vb
                }
        })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Earlier,
    New,
}

fn overlap_command() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin("overlap"))
}

/// What a reader sees in `dir`: an interrupted commit is first finished by `overlap report` (which
/// must then find the new result); then the folder must be one of the two results.
fn outcome(dir: &Path, earlier: &Snap, new: &Snap, what: &str) -> Outcome {
    if dir.join(".overlap-commit.json").exists() {
        let page = dir.with_extension("html");
        let out = overlap()
            .arg("report")
            .arg(dir)
            .arg("--out")
            .arg(&page)
            .arg("-q")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{what}: report: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!dir.join(".overlap-commit.json").exists(), "{what}");
        assert!(
            same(&result(dir), new),
            "{what}: a commit rolled forward is not the new result"
        );
        return Outcome::New;
    }
    let found = result(dir);
    if same(&found, earlier) {
        Outcome::Earlier
    } else if same(&found, new) {
        Outcome::New
    } else {
        let names: Vec<&String> = found.keys().collect();
        panic!("{what}: neither the earlier nor the new result: {names:?}");
    }
}

struct Setup {
    tmp: tempfile::TempDir,
    /// The job's arguments, without `--out DIR`.
    new_args: Vec<String>,
    earlier: Snap,
    new: Snap,
    /// Wall time of one reference run.
    took: Duration,
}

fn setup(earlier_args: &[String], new_args: &[String]) -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let run = |args: &[String], out: &Path| {
        let t = Instant::now();
        overlap()
            .args(args)
            .arg("--out")
            .arg(out)
            .arg("-q")
            .assert()
            .success();
        t.elapsed()
    };
    run(earlier_args, &tmp.path().join("earlier"));
    let took = run(new_args, &tmp.path().join("new"));
    let earlier = result(&tmp.path().join("earlier"));
    let new = result(&tmp.path().join("new"));
    assert!(!same(&earlier, &new), "the two results must differ");
    Setup {
        tmp,
        new_args: new_args.to_vec(),
        earlier,
        new,
        took,
    }
}

impl Setup {
    /// A copy of the earlier result to run into.
    fn fresh(&self, name: &str) -> PathBuf {
        let dir = self.tmp.path().join(name);
        copy_folder(&self.tmp.path().join("earlier"), &dir);
        dir
    }

    fn spawn(&self, dir: &Path, failpoint: Option<&str>) -> std::process::Child {
        let mut cmd = overlap_command();
        cmd.args(&self.new_args).arg("--out").arg(dir).arg("-q");
        if let Some(f) = failpoint {
            cmd.env("OVERLAP_FAILPOINT", format!("abort:{f}"));
        }
        cmd.stderr(std::process::Stdio::null()).spawn().unwrap()
    }

    /// Kill runs at `points` times spread from the start to 1.3 times a whole run, then abort runs at
    /// each failpoint; check every outcome. Returns the folders left with temporary files.
    fn kill_everywhere(&self, points: usize, failpoints: &[&str]) -> Vec<PathBuf> {
        let mut seen = BTreeMap::new();
        let mut leftovers = Vec::new();
        for i in 0..points {
            let dir = self.fresh(&format!("kill-{i}"));
            let at = self.took.mul_f64(1.3 * i as f64 / (points - 1) as f64);
            let mut child = self.spawn(&dir, None);
            std::thread::sleep(at);
            let _ = child.kill();
            child.wait().unwrap();
            let what = format!("killed after {at:?}");
            *seen
                .entry(outcome(&dir, &self.earlier, &self.new, &what))
                .or_insert(0) += 1;
            if !temporaries(&dir).is_empty() {
                leftovers.push(dir.clone());
            }
        }
        for point in failpoints {
            let dir = self.fresh(&format!("abort-{}", point.replace(':', "-")));
            let status = self.spawn(&dir, Some(point)).wait().unwrap();
            assert!(!status.success(), "{point}: the failpoint was not reached");
            let what = format!("aborted at {point}");
            *seen
                .entry(outcome(&dir, &self.earlier, &self.new, &what))
                .or_insert(0) += 1;
            if !temporaries(&dir).is_empty() {
                leftovers.push(dir.clone());
            }
        }
        eprintln!("outcomes: {seen:?}; one run took {:?}", self.took);
        leftovers
    }

    /// Rerun into folders left by killed runs: the new result, and no temporary entry left.
    fn rerun(&self, dirs: &[PathBuf]) {
        assert!(!dirs.is_empty(), "no kill left temporary files to clean");
        for dir in dirs.iter().take(3) {
            let status = self.spawn(dir, None).wait().unwrap();
            assert!(status.success());
            assert!(same(&result(dir), &self.new), "{}", dir.display());
            assert_eq!(temporaries(dir), Vec::<String>::new());
        }
    }
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_killed_dedup_leaves_the_earlier_or_the_new_result() {
    let corpus = data("reuters21578.jsonl.gz");
    let corpus = corpus.to_str().unwrap();
    // The earlier result has a report and no deduplicated corpus, so a commit must also remove a
    // stale file and add one.
    let setup = setup(
        &strings(&[
            "dedup",
            corpus,
            "--threshold",
            "0.9",
            "--no-deduped",
            "--report",
        ]),
        &strings(&["dedup", corpus]),
    );
    let leftovers = setup.kill_everywhere(
        20,
        &[
            "commit:staged",
            "commit:journal",
            "commit:old-summary-removed",
            "commit:installed:clusters.jsonl",
            "commit:installed:deduped.jsonl.gz",
            "commit:stale-removed",
            "commit:summary",
        ],
    );
    setup.rerun(&leftovers);
}

#[test]
fn a_killed_reuse_leaves_the_earlier_or_the_new_result() {
    let corpus = data("bbc-news.jsonl.gz");
    let corpus = corpus.to_str().unwrap();
    let setup = setup(
        &strings(&["reuse", corpus, "--min-shared-anchors", "6", "--report"]),
        &strings(&["reuse", corpus]),
    );
    let leftovers =
        setup.kill_everywhere(6, &["commit:staged", "commit:journal", "commit:summary"]);
    setup.rerun(&leftovers);
}

#[test]
fn a_killed_sketch_leaves_the_earlier_or_the_new_file() {
    let corpus = data("reuters21578.jsonl.gz");
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("sig.jsonl.gz");
    let sketch = |num_perm: &str, failpoint: Option<&str>| {
        let mut cmd = overlap_command();
        cmd.arg("sketch")
            .arg(&corpus)
            .args(["--num-perm", num_perm, "-q", "--out"])
            .arg(&target);
        if let Some(f) = failpoint {
            cmd.env("OVERLAP_FAILPOINT", format!("abort:{f}"));
        }
        cmd.spawn().unwrap()
    };
    let t = Instant::now();
    assert!(sketch("128", None).wait().unwrap().success());
    let took = t.elapsed();
    let new = std::fs::read(&target).unwrap();
    assert!(sketch("16", None).wait().unwrap().success());
    let earlier = std::fs::read(&target).unwrap();
    let check = |what: &str| {
        let now = std::fs::read(&target).unwrap();
        assert!(now == earlier || now == new, "{what}: a partial file");
        now == new
    };
    let points = 8;
    let mut became_new = 0;
    for i in 0..points {
        std::fs::write(&target, &earlier).unwrap();
        let at = took.mul_f64(1.3 * i as f64 / (points - 1) as f64);
        let mut child = sketch("128", None);
        std::thread::sleep(at);
        let _ = child.kill();
        child.wait().unwrap();
        became_new += check(&format!("killed after {at:?}")) as usize;
    }
    // file:synced last: its temporary file is left for the next run to clean.
    for (point, expect_new) in [("file:renamed", true), ("file:synced", false)] {
        std::fs::write(&target, &earlier).unwrap();
        assert!(!sketch("128", Some(point)).wait().unwrap().success());
        assert_eq!(check(point), expect_new, "{point}");
    }
    eprintln!("{became_new} of {points} killed runs had finished; one run took {took:?}");
    // The aborted runs left their temporary file; the next write of the target removes it.
    let names = |dir: &Path| -> Vec<String> { snapshot(dir).into_keys().collect() };
    assert!(names(tmp.path()).len() > 1, "no temporary file was left");
    assert!(sketch("128", None).wait().unwrap().success());
    assert_eq!(names(tmp.path()), ["sig.jsonl.gz"]);
    assert!(std::fs::read(&target).unwrap() == new);
}
