//! Test-only fault injection, switched on by the environment variable `OVERLAP_FAILPOINT` (unset in
//! normal use, when every check is one load of a cached `None`). The integration tests use it to
//! reach states that real faults reach only by chance:
//!
//! - `abort:POINT` ends the process at once when it reaches `POINT` (no destructor runs, as under
//!   SIGKILL). Points: `commit:staged` (every output
//!   staged, nothing synced yet), `commit:journal` (the commit journal is durable), `commit:old-summary-removed`,
//!   `commit:installed:NAME` (after output `NAME` was renamed into place), `commit:stale-removed`,
//!   `commit:summary` (the new `summary.json` is in place, the journal not yet removed),
//!   `file:synced` and `file:renamed` (single-file outputs).
//! - `enospc:NAME` makes writes to the output file named `NAME` fail, after its first 512 bytes, with
//!   the error of a full disk.
//!
//! Several may be given, separated by commas.

use std::sync::OnceLock;

fn points() -> &'static [String] {
    static POINTS: OnceLock<Vec<String>> = OnceLock::new();
    POINTS.get_or_init(|| match std::env::var("OVERLAP_FAILPOINT") {
        Ok(v) => v.split(',').map(|s| s.trim().to_string()).collect(),
        Err(_) => Vec::new(),
    })
}

/// End the process here if `abort:POINT` was asked for.
pub(crate) fn abort_at(point: &str) {
    if points()
        .iter()
        .any(|p| p.strip_prefix("abort:") == Some(point))
    {
        std::process::abort();
    }
}

/// Bytes after which writes to the output file `name` fail, if `enospc:NAME` was asked for.
pub(crate) fn write_budget(name: &str) -> Option<u64> {
    points()
        .iter()
        .any(|p| p.strip_prefix("enospc:") == Some(name))
        .then_some(512)
}

/// The error a full disk gives.
pub(crate) fn disk_full() -> std::io::Error {
    // ENOSPC on Linux and the BSDs.
    std::io::Error::from_raw_os_error(28)
}
