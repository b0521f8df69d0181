//! Writing output files: buffered creation with the path in every error, JSON and JSON Lines.
//!
//! Every write error is tagged with the output's path on its way out of [`OutFile`], so that a caller
//! copying from an input to an output (where one `io::Error` may come from either side) can tell a
//! full disk from a broken input: see [`read_or_write_error`].

use crate::error::{Error, Result};
use crate::io::failpoint;
use serde::Serialize;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// An output file: a `File` whose write errors carry its path.
pub(crate) struct OutFile {
    file: File,
    path: PathBuf,
    /// Test-only: bytes left before an injected full-disk error.
    budget: Option<u64>,
}

/// A write error of an output file, wrapped in the `io::Error` it travels in.
#[derive(Debug)]
struct WriteFailed {
    path: PathBuf,
    cause: io::Error,
}

impl std::fmt::Display for WriteFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "writing {}: {}", self.path.display(), self.cause)
    }
}

impl std::error::Error for WriteFailed {}

impl OutFile {
    fn fail(&self, cause: io::Error) -> io::Error {
        io::Error::new(
            cause.kind(),
            WriteFailed {
                path: self.path.clone(),
                cause,
            },
        )
    }
}

impl Write for OutFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(left) = self.budget {
            if left < buf.len() as u64 {
                return Err(self.fail(failpoint::disk_full()));
            }
            self.budget = Some(left - buf.len() as u64);
        }
        self.file.write(buf).map_err(|e| self.fail(e))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush().map_err(|e| self.fail(e))
    }
}

/// Create `path` for buffered writing.
pub(crate) fn create(path: &Path) -> Result<BufWriter<OutFile>> {
    let file = File::create(path).map_err(|e| Error::output("creating", path, e))?;
    let budget = path
        .file_name()
        // A temporary `NAME.tmp-<pid>-<n>` stands for `NAME`.
        .and_then(|n| failpoint::write_budget(n.to_string_lossy().split(".tmp-").next()?));
    Ok(BufWriter::with_capacity(
        1 << 16,
        OutFile {
            file,
            path: path.to_path_buf(),
            budget,
        },
    ))
}

/// The error of writing to the output `path`.
pub(crate) fn write_error(path: &Path, e: io::Error) -> Error {
    match untag(e) {
        Ok((tagged, cause)) => Error::output("writing", tagged, cause),
        Err(e) => Error::output("writing", path, e),
    }
}

/// The error of copying from the input `input` to an output: the output's, when writing failed (a
/// full disk is not the input's fault), the input's otherwise.
pub(crate) fn read_or_write_error(input: impl Into<PathBuf>, e: io::Error) -> Error {
    match untag(e) {
        Ok((tagged, cause)) => Error::output("writing", tagged, cause),
        Err(e) => Error::io(input, e),
    }
}

fn untag(e: io::Error) -> std::result::Result<(PathBuf, io::Error), io::Error> {
    if e.get_ref().is_some_and(|inner| inner.is::<WriteFailed>()) {
        let inner = e.into_inner().expect("checked above");
        let failed = inner.downcast::<WriteFailed>().expect("checked above");
        Ok((failed.path, failed.cause))
    } else {
        Err(e)
    }
}

/// Write `value` as one JSON line to `w` (a file at `path`, named in errors).
pub(crate) fn write_line(w: &mut impl Write, path: &Path, value: &impl Serialize) -> Result<()> {
    serde_json::to_writer(&mut *w, value)
        .map_err(io::Error::from)
        .and_then(|_| w.write_all(b"\n"))
        .map_err(|e| write_error(path, e))
}

/// Write `value` as indented JSON to a new file at `path`.
pub(crate) fn write_json(path: &Path, value: &impl Serialize) -> Result<()> {
    let mut w = create(path)?;
    serde_json::to_writer_pretty(&mut w, value)
        .map_err(io::Error::from)
        .and_then(|_| w.write_all(b"\n"))
        .and_then(|_| w.flush())
        .map_err(|e| write_error(path, e))
}

/// Milliseconds since `t`, to a tenth: the unit of `timings_ms` in summaries.
pub(crate) fn ms(t: Instant) -> f64 {
    (t.elapsed().as_secs_f64() * 10_000.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_errors_are_told_apart_from_read_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.jsonl");
        let f = OutFile {
            file: File::create(&path).unwrap(),
            path: path.clone(),
            budget: Some(0),
        };
        let mut w = BufWriter::with_capacity(4, f);
        let e = w.write_all(b"hello world").unwrap_err();
        let e = read_or_write_error("input.jsonl", e);
        assert_eq!(
            e.to_string(),
            format!("writing {}: no space left on device", path.display())
        );
        let e = read_or_write_error("input.jsonl", io::Error::other("bad gzip"));
        assert_eq!(e.to_string(), "input.jsonl: bad gzip");
    }
}
