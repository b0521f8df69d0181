//! External-memory building blocks: a memory budget, fixed-width records with one order-preserving
//! layout, sorted runs on disk, a k-way merge, and the spill directory's lifetime.
//!
//! A stage whose state grows with the corpus holds it in a buffer sized from the [`MemoryBudget`];
//! when the buffer fills it is sorted and written as a [`Run`]; at the end the runs are merged.
//! When everything fits, nothing touches the disk and the stage runs as it would without this module.
//!
//! Memory: what each user's buffer holds (they take a share of the budget), plus 256 KiB per run in a
//! merge. Disk: each spilled record once per merge pass, at its fixed width (see [`record`]).

mod budget;
mod dir;
pub mod record;
mod run;
mod sorter;
mod spool;

pub use budget::{format_size, parse_size, peak_rss, physical_memory, MemoryBudget};
pub use dir::{remove_stale, SpillDir, SpillOptions, OUT_PREFIX, TMP_PREFIX};
pub use record::{KeyDoc, Record};
pub(crate) use run::READ_BUFFER;
pub use run::{Run, RunReader, RunWriter};
pub use sorter::{ExternalSorter, Merger, Sorted, MAX_FAN_IN};
pub use spool::{u64s_to_bytes, Spool};

use serde::Serialize;

/// Read exactly `buf.len()` bytes at `offset` without moving a shared cursor (so threads can read one
/// file at once).
#[cfg(unix)]
pub(crate) fn read_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.read_exact_at(buf, offset)
}

/// Read exactly `buf.len()` bytes at `offset` without moving a shared cursor.
#[cfg(windows)]
pub(crate) fn read_at(
    file: &std::fs::File,
    mut buf: &mut [u8],
    mut offset: u64,
) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, offset)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}

/// What one stage did with memory and disk, for `summary.json`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StageMemory {
    /// Estimated peak bytes of the stage's large structures in memory.
    pub memory_estimate_bytes: u64,
    /// Bytes the stage wrote to spill files.
    pub spilled_bytes: u64,
    /// Sorted runs (or other spill files) the stage wrote.
    pub spill_files: u64,
    /// Peak bytes of spill files on disk during the stage (files of earlier stages included).
    pub temp_disk_peak_bytes: u64,
}

/// Memory and disk use of a whole job, for `summary.json`. Unlike the results, these depend on the
/// budget and the machine.
#[derive(Clone, Debug, Default, Serialize)]
pub struct MemoryReport {
    /// The memory budget in bytes.
    pub budget_bytes: u64,
    /// Peak resident set size of the process (Linux `VmHWM`; absent elsewhere).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_rss_bytes: Option<u64>,
    /// The largest stage estimate.
    pub peak_estimate_bytes: u64,
    /// Bytes written to spill files, all stages.
    pub spilled_bytes: u64,
    /// Peak bytes of spill files on disk.
    pub temp_disk_peak_bytes: u64,
    /// Per stage.
    pub stages: std::collections::BTreeMap<&'static str, StageMemory>,
}

impl MemoryReport {
    /// A report for `budget` with the given stages, reading the peak RSS now.
    pub fn new(
        budget: MemoryBudget,
        dir: &SpillDir,
        stages: std::collections::BTreeMap<&'static str, StageMemory>,
    ) -> Self {
        MemoryReport {
            budget_bytes: budget.get(),
            peak_rss_bytes: peak_rss(),
            peak_estimate_bytes: stages
                .values()
                .map(|s| s.memory_estimate_bytes)
                .max()
                .unwrap_or(0),
            spilled_bytes: stages.values().map(|s| s.spilled_bytes).sum(),
            temp_disk_peak_bytes: dir.disk_peak(),
            stages,
        }
    }
}
