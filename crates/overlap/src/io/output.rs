//! Writing output files: buffered creation with the path in every error, JSON and JSON Lines.

use crate::error::{Error, Result};
use serde::Serialize;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

/// Create `path` for buffered writing.
pub(crate) fn create(path: &Path) -> Result<BufWriter<File>> {
    File::create(path)
        .map(|f| BufWriter::with_capacity(1 << 16, f))
        .map_err(|e| Error::io(path, e))
}

/// Write `value` as one JSON line to `w` (a file at `path`, named in errors).
pub(crate) fn write_line(w: &mut impl Write, path: &Path, value: &impl Serialize) -> Result<()> {
    serde_json::to_writer(&mut *w, value)
        .map_err(std::io::Error::from)
        .and_then(|_| w.write_all(b"\n"))
        .map_err(|e| Error::io(path, e))
}

/// Write `value` as indented JSON to a new file at `path`.
pub(crate) fn write_json(path: &Path, value: &impl Serialize) -> Result<()> {
    let mut w = create(path)?;
    serde_json::to_writer_pretty(&mut w, value)
        .map_err(std::io::Error::from)
        .and_then(|_| w.write_all(b"\n"))
        .and_then(|_| w.flush())
        .map_err(|e| Error::io(path, e))
}

/// Milliseconds since `t`, to a tenth: the unit of `timings_ms` in summaries.
pub(crate) fn ms(t: Instant) -> f64 {
    (t.elapsed().as_secs_f64() * 10_000.0).round() / 10.0
}
