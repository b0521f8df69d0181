//! The spill directory: where one run's temporary files live, created on first use and removed when
//! the run ends (or by the next run, when this one was killed).
//!
//! Without `--tmp-dir` it is `<out>/.overlap-tmp-spill-<pid>-<n>/`, which the output folder's
//! cleanup of `.overlap-tmp-*` removes after a kill; with `--tmp-dir DIR` it is
//! `DIR/overlap-spill-<pid>-<n>/`. Either way a new spill directory first removes the spill
//! directories beside it whose process is gone.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// Name prefix of a spill directory inside an output folder.
pub const OUT_PREFIX: &str = ".overlap-tmp-spill-";
/// Name prefix of a spill directory inside `--tmp-dir`.
pub const TMP_PREFIX: &str = "overlap-spill-";

static NEXT: AtomicU64 = AtomicU64::new(0);

/// Where a job may spill.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpillOptions {
    /// The memory budget (default: [`super::MemoryBudget::default_for_machine`]).
    pub budget: super::MemoryBudget,
    /// `--tmp-dir`: the folder to spill under instead of the output folder.
    pub tmp_dir: Option<PathBuf>,
}

/// A spill directory, made on the first file asked of it and removed (with everything in it) on drop.
#[derive(Debug)]
pub struct SpillDir {
    path: PathBuf,
    created: OnceLock<std::result::Result<(), String>>,
    files: AtomicU64,
    disk_now: AtomicU64,
    disk_peak: AtomicU64,
    stage_peak: AtomicU64,
}

impl SpillDir {
    /// The spill directory of a job writing to `out` (or under `tmp_dir` when given). Nothing is
    /// created yet.
    pub fn for_job(out: &Path, tmp_dir: Option<&Path>) -> Self {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        let path = match tmp_dir {
            Some(dir) => dir.join(format!("{TMP_PREFIX}{pid}-{n}")),
            None => out.join(format!("{OUT_PREFIX}{pid}-{n}")),
        };
        SpillDir {
            path,
            created: OnceLock::new(),
            files: AtomicU64::new(0),
            disk_now: AtomicU64::new(0),
            disk_peak: AtomicU64::new(0),
            stage_peak: AtomicU64::new(0),
        }
    }

    /// Its path (which may not exist yet).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True once a file was made in it.
    pub fn is_used(&self) -> bool {
        self.created.get().is_some()
    }

    /// A fresh file path inside the directory, creating the directory (and removing stale siblings)
    /// the first time.
    pub fn new_file(&self, stem: &str) -> Result<PathBuf> {
        let made = self.created.get_or_init(|| {
            if let Some(parent) = self.path.parent() {
                remove_stale(parent);
            }
            std::fs::create_dir_all(&self.path).map_err(|e| e.to_string())
        });
        if let Err(e) = made {
            return Err(Error::io(
                &self.path,
                std::io::Error::other(format!("cannot create spill directory: {e}")),
            ));
        }
        let n = self.files.fetch_add(1, Ordering::Relaxed);
        Ok(self.path.join(format!("{stem}-{n}.bin")))
    }

    /// Count `bytes` more on disk.
    pub fn grew(&self, bytes: u64) {
        let now = self.disk_now.fetch_add(bytes, Ordering::Relaxed) + bytes;
        self.disk_peak.fetch_max(now, Ordering::Relaxed);
        self.stage_peak.fetch_max(now, Ordering::Relaxed);
    }

    /// Count `bytes` fewer on disk (a file was removed).
    pub fn shrank(&self, bytes: u64) {
        let _ = self
            .disk_now
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |now| {
                Some(now.saturating_sub(bytes))
            });
    }

    /// Bytes on disk now.
    pub fn disk_now(&self) -> u64 {
        self.disk_now.load(Ordering::Relaxed)
    }

    /// Start measuring a new stage's peak disk use (from what is on disk now).
    pub fn start_stage(&self) {
        self.stage_peak.store(self.disk_now(), Ordering::Relaxed);
    }

    /// The most bytes on disk since [`SpillDir::start_stage`].
    pub fn stage_peak(&self) -> u64 {
        self.stage_peak.load(Ordering::Relaxed)
    }

    /// The most bytes on disk at any time so far.
    pub fn disk_peak(&self) -> u64 {
        self.disk_peak.load(Ordering::Relaxed)
    }
}

impl Drop for SpillDir {
    fn drop(&mut self) {
        if self.is_used() {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Remove the spill directories in `parent` left by processes that no longer run.
pub fn remove_stale(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(rest) = name
            .strip_prefix(OUT_PREFIX)
            .or_else(|| name.strip_prefix(TMP_PREFIX))
        else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id() && !process_alive(pid) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Whether process `pid` runs. Only Linux's `/proc` can tell; elsewhere every process counts as
/// alive, so nothing is removed that might be in use.
fn process_alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.join("self").exists() || proc.join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_on_first_use_removed_on_drop_and_stale_siblings_cleaned() {
        let out = tempfile::tempdir().unwrap();
        // A killed run's directory (pid 0 never names a user process) and a live one's.
        let stale = out.path().join(format!("{OUT_PREFIX}0-3"));
        let live = out
            .path()
            .join(format!("{OUT_PREFIX}{}-999999", std::process::id()));
        std::fs::create_dir_all(&stale).unwrap();
        std::fs::create_dir_all(&live).unwrap();
        let dir = SpillDir::for_job(out.path(), None);
        assert!(!dir.path().exists());
        let f = dir.new_file("run").unwrap();
        std::fs::write(&f, b"x").unwrap();
        assert!(!stale.exists() && live.exists());
        let path = dir.path().to_path_buf();
        assert!(path.starts_with(out.path()));
        drop(dir);
        assert!(!path.exists());

        let tmp = tempfile::tempdir().unwrap();
        let dir = SpillDir::for_job(out.path(), Some(tmp.path()));
        dir.new_file("run").unwrap();
        let name = dir.path().file_name().unwrap().to_str().unwrap().to_owned();
        assert!(name.starts_with(TMP_PREFIX), "{name}");
        assert!(dir.path().starts_with(tmp.path()));
    }
}
