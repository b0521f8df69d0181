//! Committing outputs: a job's result appears in its output folder whole, or not at all.
//!
//! # Output commit protocol
//!
//! An output folder `<out>` holds one result. `summary.json` is its commit record: the files it
//! lists are a complete result, and they are only to be read while `summary.json` exists and no
//! commit journal (`.overlap-commit.json`) does.
//!
//! 1. **Lock.** A run takes an advisory lock on `<out>/.overlap.lock` (`flock`; the lock file stays,
//!    holding the pid of the last run) and fails at once if another run holds it.
//! 2. **Recover.** An interrupted commit (a journal is present) is rolled forward (step 5 again; it is
//!    idempotent), then every `<out>/.overlap-tmp-*` left by killed runs is deleted.
//! 3. **Stage.** Every output is written into `<out>/.overlap-tmp-staging-<pid>-<n>/`; nothing under
//!    `<out>` changes meanwhile. A run that fails or is killed leaves the previous result as it was.
//! 4. **Journal.** Each staged file, the staging folder and its sub-folders are fsynced; then the
//!    journal (staging folder, names to install, stale names to remove) is written beside them,
//!    fsynced and renamed to `.overlap-commit.json`, and `<out>` is fsynced. From here the commit is
//!    decided: a kill is rolled forward by the next run or `overlap report`.
//! 5. **Apply.** The old `summary.json` is removed and `<out>` fsynced (so no reader can pair it with
//!    new files); the staged outputs are renamed in (a folder such as `deduped/` by moving the old one
//!    aside first); names that overlap writes but this run did not (a `deduped.jsonl.gz` after
//!    `--no-deduped`, a stale `report.html`) are removed; `<out>` is fsynced; the new `summary.json`
//!    is renamed in last, `<out>` fsynced, and the journal removed.
//!
//! So at any kill point `<out>` holds the complete previous result, the complete new one, or (inside
//! step 5) a journal and no `summary.json`, which readers refuse and the next run or report finishes.
//! [`OutputFolder::commit_add`] adds outputs to a result without replacing it (`overlap report`
//! writing `report.html`): the same steps without the summary.
//!
//! Single-file outputs (`sketch --out FILE`, `report --out FILE`, `align --html FILE`) use
//! [`FileCommit`]: `FILE.tmp-<pid>-<n>` beside the target, fsync, rename, fsync of the folder. A
//! temporary file of a dead process is removed by the next write of the same target.
//!
//! Test-only fault injection for all of this lives in `failpoint.rs` (`OVERLAP_FAILPOINT`).
//!
//! Memory: the lists of names; files are never read into memory.

use crate::error::{Error, Result};
use crate::io::failpoint::abort_at;
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The lock file of an output folder.
pub const LOCK_FILE: &str = ".overlap.lock";
/// The commit journal: present only while a commit is being applied.
pub const JOURNAL_FILE: &str = ".overlap-commit.json";
/// Prefix of every temporary entry in an output folder (staging, spill, journal being written):
/// deleted by the next run that takes the lock.
pub const TMP_PREFIX: &str = ".overlap-tmp-";
/// The commit record of an output folder.
pub const SUMMARY_FILE: &str = "summary.json";
/// Every name overlap writes in an output folder. A commit that replaces a result removes those of
/// them it does not install; an input at or below one of them is refused (it would be destroyed).
pub const OUTPUT_NAMES: &[&str] = &[
    "summary.json",
    "clusters.jsonl",
    "pairs.jsonl",
    "deduped.jsonl",
    "deduped.jsonl.gz",
    "deduped.jsonl.zst",
    "deduped",
    "stories.jsonl",
    "boilerplate.jsonl",
    "same_story.jsonl",
    "report.html",
];

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// `<prefix><pid>-<n>`: a name no other live process and no earlier call of this one uses.
pub fn unique_name(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}{}-{n}", std::process::id())
}

/// What a commit does, written down before it starts doing it.
#[derive(Debug, Serialize, Deserialize)]
struct Journal {
    /// The staging folder's name inside the output folder.
    staging: String,
    /// Names to move from the staging folder into the output folder (`summary.json` last).
    install: Vec<String>,
    /// Names to remove from the output folder.
    remove: Vec<String>,
}

/// A locked output folder with a staging folder inside it. Write every output into
/// [`staging`](Self::staging), then [`commit`](Self::commit). Dropped without a commit, it removes the
/// staging folder and leaves the previous result untouched.
#[derive(Debug)]
pub struct OutputFolder {
    dir: PathBuf,
    staging: PathBuf,
    _lock: File,
    committed: bool,
    /// This run made the folder: a failure removes it again rather than leave an empty folder.
    created: bool,
}

impl OutputFolder {
    /// Create `dir` if missing, lock it, finish an interrupted commit, delete the temporary files of
    /// killed runs, and make a fresh staging folder. Fails at once with [`Error::Locked`] if another
    /// run holds the folder.
    pub fn open(dir: &Path) -> Result<Self> {
        if dir.exists() && !dir.is_dir() {
            return Err(Error::OutputConflict(format!(
                "--out {}: exists and is not a folder",
                dir.display()
            )));
        }
        let created = !dir.exists();
        fs::create_dir_all(dir).map_err(|e| Error::output("creating", dir, e))?;
        let mut folder = Self::open_existing(dir)?;
        folder.created = created;
        Ok(folder)
    }

    /// [`open`](Self::open) for a folder that must exist already.
    pub fn open_existing(dir: &Path) -> Result<Self> {
        let lock = lock(dir)?;
        recover(dir)?;
        clean(dir)?;
        let staging = dir.join(unique_name(&format!("{TMP_PREFIX}staging-")));
        fs::create_dir(&staging).map_err(|e| Error::output("creating", &staging, e))?;
        Ok(OutputFolder {
            dir: dir.to_path_buf(),
            staging,
            _lock: lock,
            committed: false,
            created: false,
        })
    }

    /// The output folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where to write the outputs until the commit.
    pub fn staging(&self) -> &Path {
        &self.staging
    }

    /// A fresh path `<out>/.overlap-tmp-<kind>-<pid>-<n>` for temporary files (spill runs) that the
    /// next run deletes if this one is killed.
    pub fn temp_path(&self, kind: &str) -> PathBuf {
        self.dir.join(unique_name(&format!("{TMP_PREFIX}{kind}-")))
    }

    /// `error` with paths inside the staging folder shown under their final names, so that a full
    /// disk is reported as "writing out/deduped.jsonl.gz: ...".
    pub fn public_error(&self, error: Error) -> Error {
        with_public_path(error, |p| match p.strip_prefix(&self.staging) {
            Ok(rel) => self.dir.join(rel),
            Err(_) => p,
        })
    }

    /// Replace the folder's result by the staged one: install `outputs` (names relative to the
    /// staging folder, `summary.json` among them; a trailing `/` marks a folder) and remove every
    /// other name of [`OUTPUT_NAMES`].
    pub fn commit(self, outputs: &[String]) -> Result<()> {
        let install = names(outputs);
        if !install.iter().any(|n| n == SUMMARY_FILE) {
            return Err(Error::Config(format!(
                "a commit that replaces a result must install {SUMMARY_FILE}"
            )));
        }
        let remove = OUTPUT_NAMES
            .iter()
            .filter(|n| !install.iter().any(|i| i == *n))
            .map(|n| n.to_string())
            .collect();
        self.apply_all(install, remove)
    }

    /// Add `outputs` to the folder's result (replacing files of the same names), keeping the rest.
    /// A staged `summary.json` among them (the old one listing the added files, see
    /// [`list_output`]) replaces the old one last, as in [`commit`](Self::commit).
    pub fn commit_add(self, outputs: &[String]) -> Result<()> {
        self.apply_all(names(outputs), Vec::new())
    }

    fn apply_all(mut self, mut install: Vec<String>, remove: Vec<String>) -> Result<()> {
        abort_at("commit:staged");
        // summary.json last.
        install.sort_by_key(|n| n == SUMMARY_FILE);
        for name in &install {
            let path = self.staging.join(name);
            sync_tree(&path).map_err(|e| Error::output("syncing", self.dir.join(name), e))?;
        }
        sync_dir(&self.staging)?;
        let journal = Journal {
            staging: self
                .staging
                .file_name()
                .expect("staging has a name")
                .to_string_lossy()
                .into_owned(),
            install,
            remove,
        };
        let tmp = self.dir.join(unique_name(&format!("{TMP_PREFIX}journal-")));
        let bytes = serde_json::to_vec(&journal).expect("a journal serializes");
        let final_path = self.dir.join(JOURNAL_FILE);
        File::create(&tmp)
            .and_then(|mut f| f.write_all(&bytes).and_then(|_| f.sync_all()))
            .and_then(|_| fs::rename(&tmp, &final_path))
            .map_err(|e| Error::output("writing", &final_path, e))?;
        sync_dir(&self.dir)?;
        abort_at("commit:journal");
        apply(&self.dir, &journal)?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for OutputFolder {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
            if self.created {
                let _ = fs::remove_file(self.dir.join(LOCK_FILE));
                let _ = fs::remove_dir(&self.dir);
            }
        }
    }
}

/// `error` with the path it names (an I/O or output error's) passed through `public`.
fn with_public_path(error: Error, public: impl FnOnce(PathBuf) -> PathBuf) -> Error {
    match error {
        Error::Io { path, source } => Error::Io {
            path: public(path),
            source,
        },
        Error::Output { op, path, cause } => Error::Output {
            op,
            path: public(path),
            cause,
        },
        other => other,
    }
}

fn names(outputs: &[String]) -> Vec<String> {
    outputs
        .iter()
        .map(|o| o.trim_end_matches('/').to_string())
        .collect()
}

/// `summary` (the text of a `summary.json`) with `name` added to its `outputs`, before
/// `summary.json`, changing nothing else (not even the order of the fields); `None` when it is listed
/// already or the text is not laid out as the jobs write it.
pub fn list_output(summary: &str, name: &str) -> Option<String> {
    let before: serde_json::Value = serde_json::from_str(summary).ok()?;
    let listed = before.get("outputs")?.as_array()?;
    if listed.iter().any(|o| o.as_str() == Some(name)) {
        return None;
    }
    let open = summary.find("\n  \"outputs\": [\n")? + "\n  \"outputs\": [\n".len();
    let last = format!("    \"{SUMMARY_FILE}\"\n");
    let at = open + summary[open..].find(&last)?;
    let entry = serde_json::to_string(name).ok()?;
    let after = format!("{}    {entry},\n{}", &summary[..at], &summary[at..]);
    // Checked, not trusted: the same document with one more output.
    let mut expected = before;
    let outputs = expected.get_mut("outputs")?.as_array_mut()?;
    let end = outputs.len() - 1;
    outputs.insert(end, serde_json::Value::String(name.to_string()));
    (serde_json::from_str::<serde_json::Value>(&after).ok()? == expected).then_some(after)
}

/// Refuse to read a folder in the middle of a commit (for readers that cannot take the lock, such
/// as a report of a read-only folder).
pub fn check_committed(dir: &Path) -> Result<()> {
    if dir.join(JOURNAL_FILE).exists() {
        return Err(Error::Output {
            op: "reading",
            path: dir.to_path_buf(),
            cause: std::io::Error::other(format!(
                "an interrupted commit ({JOURNAL_FILE}); rerun the job, or run `overlap report` \
                 with write access to the folder, to finish it"
            )),
        });
    }
    Ok(())
}

fn lock(dir: &Path) -> Result<File> {
    let path = dir.join(LOCK_FILE);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| Error::output("opening", &path, e))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            let holder = match text.trim().parse::<u32>() {
                Ok(pid) => format!("pid {pid}"),
                Err(_) => "pid unknown".into(),
            };
            return Err(Error::Locked {
                path: dir.to_path_buf(),
                holder,
            });
        }
        Err(TryLockError::Error(e)) => return Err(Error::output("locking", &path, e)),
    }
    // The pid is for people reading the "in use" message; the lock is what counts.
    let _ = file
        .set_len(0)
        .and_then(|_| file.rewind())
        .and_then(|_| writeln!(file, "{}", std::process::id()));
    Ok(file)
}

fn recover(dir: &Path) -> Result<()> {
    let path = dir.join(JOURNAL_FILE);
    let bytes = match fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::output("reading", &path, e)),
    };
    // The journal is renamed into place only once complete and synced: a bad one is not ours.
    let journal: Journal = serde_json::from_slice(&bytes).map_err(|e| {
        Error::output(
            "reading",
            &path,
            std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        )
    })?;
    apply(dir, &journal)
}

/// Step 5 of the protocol. Idempotent: rerun from the start after a kill at any point, it ends in
/// the same state.
fn apply(dir: &Path, journal: &Journal) -> Result<()> {
    let staging = dir.join(&journal.staging);
    let new_summary = staging.join(SUMMARY_FILE);
    let summary_pending = journal.install.iter().any(|n| n == SUMMARY_FILE) && exists(&new_summary);
    if summary_pending {
        remove_entry(dir, &dir.join(SUMMARY_FILE))?;
        sync_dir(dir)?;
        abort_at("commit:old-summary-removed");
    }
    for name in journal.install.iter().filter(|n| *n != SUMMARY_FILE) {
        let from = staging.join(name);
        if !exists(&from) {
            continue; // moved before an interruption
        }
        let to = dir.join(name);
        if fs::symlink_metadata(&to).is_ok_and(|m| m.is_dir()) {
            move_aside(dir, &to)?;
        }
        fs::rename(&from, &to).map_err(|e| Error::output("renaming into place", &to, e))?;
        abort_at(&format!("commit:installed:{name}"));
    }
    for name in &journal.remove {
        remove_entry(dir, &dir.join(name))?;
    }
    sync_dir(dir)?;
    abort_at("commit:stale-removed");
    if summary_pending {
        let to = dir.join(SUMMARY_FILE);
        fs::rename(&new_summary, &to).map_err(|e| Error::output("renaming into place", &to, e))?;
        sync_dir(dir)?;
        abort_at("commit:summary");
    }
    let path = dir.join(JOURNAL_FILE);
    fs::remove_file(&path).map_err(|e| Error::output("removing", &path, e))?;
    sync_dir(dir)?;
    // Leftovers (the stdin spool, folders moved aside) are temporary entries: the next run would
    // delete them anyway.
    let _ = fs::remove_dir_all(&staging);
    clean(dir)
}

fn exists(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

/// Rename a folder to a temporary name (one atomic step), to be deleted at leisure.
fn move_aside(dir: &Path, path: &Path) -> Result<PathBuf> {
    let aside = dir.join(unique_name(&format!("{TMP_PREFIX}old-")));
    fs::rename(path, &aside).map_err(|e| Error::output("moving aside", path, e))?;
    Ok(aside)
}

fn remove_entry(dir: &Path, path: &Path) -> Result<()> {
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::output("removing", path, e)),
        Ok(m) if m.is_dir() => {
            let aside = move_aside(dir, path)?;
            let _ = fs::remove_dir_all(aside);
            Ok(())
        }
        Ok(_) => fs::remove_file(path).map_err(|e| Error::output("removing", path, e)),
    }
}

/// Delete every temporary entry of killed runs. Call with the lock held.
fn clean(dir: &Path) -> Result<()> {
    let entries = fs::read_dir(dir).map_err(|e| Error::output("listing", dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::output("listing", dir, e))?;
        if !entry.file_name().to_string_lossy().starts_with(TMP_PREFIX) {
            continue;
        }
        let path = entry.path();
        let removed = match entry.file_type() {
            Ok(t) if t.is_dir() => fs::remove_dir_all(&path),
            _ => fs::remove_file(&path),
        };
        match removed {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(Error::output("removing", &path, e))
            }
            _ => {}
        }
    }
    Ok(())
}

fn sync_tree(path: &Path) -> std::io::Result<()> {
    let meta = fs::symlink_metadata(path)?;
    if meta.is_dir() {
        for entry in fs::read_dir(path)? {
            sync_tree(&entry?.path())?;
        }
    } else if !meta.is_file() {
        return Ok(());
    }
    File::open(path)?.sync_all()
}

fn sync_dir(dir: &Path) -> Result<()> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    match File::open(dir).and_then(|f| f.sync_all()) {
        // Some file systems cannot sync a folder; their renames are as durable as they get.
        Err(e) if e.kind() == std::io::ErrorKind::Unsupported || e.raw_os_error() == Some(22) => {
            Ok(())
        }
        other => other.map_err(|e| Error::output("syncing", dir, e)),
    }
}

/// One output file written whole or not at all: write to [`path`](Self::path) (a temporary file
/// beside the target), then [`commit`](Self::commit) it. Dropped without a commit, the temporary file
/// is removed and the target is untouched.
#[derive(Debug)]
pub struct FileCommit {
    target: PathBuf,
    temp: PathBuf,
    committed: bool,
}

impl FileCommit {
    /// Prepare to write `target`; removes temporary files of dead processes left beside it.
    pub fn new(target: &Path) -> Result<Self> {
        let name = target
            .file_name()
            .ok_or_else(|| Error::OutputConflict(format!("{}: not a file name", target.display())))?
            .to_string_lossy()
            .into_owned();
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        remove_dead_temps(&parent, &name);
        let temp = parent.join(unique_name(&format!("{name}.tmp-")));
        Ok(FileCommit {
            target: target.to_path_buf(),
            temp,
            committed: false,
        })
    }

    /// Where to write.
    pub fn path(&self) -> &Path {
        &self.temp
    }

    /// `error` with the temporary path shown as the target.
    pub fn public_error(&self, error: Error) -> Error {
        with_public_path(error, |p| {
            if p == self.temp {
                self.target.clone()
            } else {
                p
            }
        })
    }

    /// Write `bytes` to the temporary file (the whole content).
    pub fn write_all(&self, bytes: &[u8]) -> Result<()> {
        let mut w = crate::io::output::create(&self.temp).map_err(|e| self.public_error(e))?;
        w.write_all(bytes)
            .and_then(|_| w.flush())
            .map_err(|e| self.public_error(crate::io::output::write_error(&self.temp, e)))
    }

    /// fsync the temporary file, rename it over the target, fsync the folder.
    pub fn commit(mut self) -> Result<()> {
        File::open(&self.temp)
            .and_then(|f| f.sync_all())
            .map_err(|e| Error::output("syncing", &self.target, e))?;
        abort_at("file:synced");
        fs::rename(&self.temp, &self.target)
            .map_err(|e| Error::output("renaming into place", &self.target, e))?;
        self.committed = true;
        abort_at("file:renamed");
        sync_dir(self.target.parent().unwrap_or(Path::new(".")))
    }
}

impl Drop for FileCommit {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Write `bytes` to `target` whole or not at all.
pub fn write_file(target: &Path, bytes: &[u8]) -> Result<()> {
    let file = FileCommit::new(target)?;
    file.write_all(bytes)?;
    file.commit()
}

/// Remove `<name>.tmp-<pid>-<n>` files in `dir` whose process is gone (known from `/proc`; where
/// there is none, nothing is removed).
fn remove_dead_temps(dir: &Path, name: &str) {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    let prefix = format!("{name}.tmp-");
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = file_name.strip_prefix(&prefix) else {
            continue;
        };
        let Some((pid, n)) = rest.split_once('-') else {
            continue;
        };
        if pid.parse::<u32>().is_err() || n.parse::<u64>().is_err() {
            continue;
        }
        if !proc.join(pid).exists() {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Run a folder job with the commit protocol: open the inputs, refuse an output folder that would
/// destroy or re-read one, lock and stage `out_dir`, run `stage` into the staging folder, let `extra`
/// add files written there (the HTML report of `--report`; their names are listed in the summary
/// before `summary.json`, which is rewritten), and commit. `outputs` gives the summary's list of files.
pub(crate) fn run_committed<S: Serialize, E: From<Error>>(
    input: &crate::io::CorpusInput,
    out_dir: &Path,
    stage: impl FnOnce(crate::io::CorpusReader, &Path) -> Result<S>,
    outputs: impl Fn(&mut S) -> &mut Vec<String>,
    extra: impl FnOnce(&Path) -> Result<Vec<String>, E>,
) -> Result<S, E> {
    let reader = input.open()?;
    crate::io::guard::check_output_folder(out_dir, &input.paths, reader.sources())?;
    let folder = OutputFolder::open(out_dir)?;
    let mut summary = stage(reader, folder.staging()).map_err(|e| folder.public_error(e))?;
    let more = extra(folder.staging())?;
    if !more.is_empty() {
        let list = outputs(&mut summary);
        let at = list.len() - 1; // summary.json stays last
        list.splice(at..at, more);
        crate::io::output::write_json(&folder.staging().join(SUMMARY_FILE), &summary)
            .map_err(|e| folder.public_error(e))?;
    }
    folder.commit(outputs(&mut summary))?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        fs::write(dir.join(name), text).unwrap();
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_commit_replaces_the_result_and_removes_stale_outputs() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let first = OutputFolder::open(&out).unwrap();
        write(first.staging(), "pairs.jsonl", "old pairs");
        write(first.staging(), "report.html", "old report");
        write(first.staging(), "summary.json", "old");
        first
            .commit(&[
                "pairs.jsonl".into(),
                "report.html".into(),
                "summary.json".into(),
            ])
            .unwrap();
        let second = OutputFolder::open(&out).unwrap();
        write(second.staging(), "pairs.jsonl", "new pairs");
        write(second.staging(), "summary.json", "new");
        second
            .commit(&["pairs.jsonl".into(), "summary.json".into()])
            .unwrap();
        assert_eq!(listing(&out), [LOCK_FILE, "pairs.jsonl", "summary.json"]);
        assert_eq!(
            fs::read_to_string(out.join("pairs.jsonl")).unwrap(),
            "new pairs"
        );
        assert_eq!(fs::read_to_string(out.join("summary.json")).unwrap(), "new");
    }

    #[test]
    fn a_dropped_folder_leaves_the_previous_result() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let first = OutputFolder::open(&out).unwrap();
        write(first.staging(), "summary.json", "old");
        first.commit(&["summary.json".into()]).unwrap();
        let second = OutputFolder::open(&out).unwrap();
        write(second.staging(), "summary.json", "new");
        drop(second);
        assert_eq!(listing(&out), [LOCK_FILE, "summary.json"]);
        assert_eq!(fs::read_to_string(out.join("summary.json")).unwrap(), "old");
        // A folder made by a run that then fails is removed again.
        let fresh = tmp.path().join("fresh");
        drop(OutputFolder::open(&fresh).unwrap());
        assert!(!fresh.exists());
    }

    #[test]
    fn an_interrupted_commit_is_rolled_forward_from_any_step() {
        // Simulate a kill after each step of `apply` by replaying the journal on a copy of the
        // folder in every intermediate state: first with nothing applied, then with each prefix.
        for done in 0..=4 {
            let tmp = tempfile::tempdir().unwrap();
            let out = tmp.path().join("out");
            fs::create_dir(&out).unwrap();
            write(&out, "summary.json", "old");
            write(&out, "pairs.jsonl", "old pairs");
            fs::create_dir(out.join("deduped")).unwrap();
            write(&out.join("deduped"), "a.txt", "old a");
            let staging = out.join(".overlap-tmp-staging-1-0");
            fs::create_dir_all(staging.join("deduped")).unwrap();
            write(&staging, "summary.json", "new");
            write(&staging, "clusters.jsonl", "new clusters");
            write(&staging.join("deduped"), "b.txt", "new b");
            let journal = Journal {
                staging: ".overlap-tmp-staging-1-0".into(),
                install: vec![
                    "clusters.jsonl".into(),
                    "deduped".into(),
                    "summary.json".into(),
                ],
                remove: vec!["pairs.jsonl".into()],
            };
            fs::write(
                out.join(JOURNAL_FILE),
                serde_json::to_vec(&journal).unwrap(),
            )
            .unwrap();
            if done >= 1 {
                fs::remove_file(out.join("summary.json")).unwrap();
            }
            if done >= 2 {
                fs::rename(staging.join("clusters.jsonl"), out.join("clusters.jsonl")).unwrap();
            }
            if done >= 3 {
                fs::rename(out.join("deduped"), out.join(".overlap-tmp-old-1-1")).unwrap();
                fs::rename(staging.join("deduped"), out.join("deduped")).unwrap();
                fs::remove_file(out.join("pairs.jsonl")).unwrap();
            }
            if done >= 4 {
                fs::rename(staging.join("summary.json"), out.join("summary.json")).unwrap();
            }
            drop(OutputFolder::open(&out).unwrap());
            assert_eq!(
                listing(&out),
                [LOCK_FILE, "clusters.jsonl", "deduped", "summary.json"],
                "after step {done}"
            );
            assert_eq!(listing(&out.join("deduped")), ["b.txt"]);
            assert_eq!(fs::read_to_string(out.join("summary.json")).unwrap(), "new");
        }
    }

    #[test]
    fn an_added_output_is_listed_before_the_summary() {
        let summary = "{\n  \"command\": \"dedup\",\n  \"outputs\": [\n    \"pairs.jsonl\",\n    \
                       \"summary.json\"\n  ],\n  \"threads\": 2\n}\n";
        let listed = list_output(summary, "report.html").unwrap();
        assert_eq!(
            listed,
            "{\n  \"command\": \"dedup\",\n  \"outputs\": [\n    \"pairs.jsonl\",\n    \
             \"report.html\",\n    \"summary.json\"\n  ],\n  \"threads\": 2\n}\n"
        );
        assert_eq!(list_output(&listed, "report.html"), None);
        assert_eq!(list_output("[]", "report.html"), None);
    }

    #[test]
    fn a_second_run_cannot_take_a_held_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let first = OutputFolder::open(tmp.path()).unwrap();
        let second = OutputFolder::open(tmp.path()).unwrap_err();
        assert_eq!(
            second.to_string(),
            format!(
                "{} is in use by another overlap run (pid {}); wait for it to finish, or choose \
                 another --out",
                tmp.path().display(),
                std::process::id()
            )
        );
        drop(first);
        OutputFolder::open(tmp.path()).unwrap();
    }

    #[test]
    fn a_file_commit_replaces_the_target_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("sig.jsonl");
        fs::write(&target, "old").unwrap();
        // A temporary file of a dead process (pid 0 never runs a program) is cleaned up.
        fs::write(tmp.path().join("sig.jsonl.tmp-0-3"), "stale").unwrap();
        let file = FileCommit::new(&target).unwrap();
        file.write_all(b"new").unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "old");
        file.commit().unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(listing(tmp.path()), ["sig.jsonl"]);
        let dropped = FileCommit::new(&target).unwrap();
        dropped.write_all(b"newer").unwrap();
        drop(dropped);
        assert_eq!(listing(tmp.path()), ["sig.jsonl"]);
    }
}
