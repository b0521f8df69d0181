//! One JSON Lines output file (`sketch --out FILE`, `embed --out FILE`): refused when it would
//! overwrite an input, compressed as its name says, and written whole or not at all (a temporary
//! file beside it, renamed over it at the end; see `overlap::io::FileCommit`).

use anyhow::Result;
use overlap::io::guard::check_output_file;
use overlap::io::{Compression, CorpusReader, FileCommit};
use overlap::Problem;
use serde::Serialize;
use std::path::Path;

/// The compression a file name asks for: `.gz` gzip, `.zst` zstd, anything else none.
pub fn compression_for(path: &Path) -> Compression {
    let name = path.to_string_lossy();
    if name.ends_with(".gz") {
        Compression::Gzip
    } else if name.ends_with(".zst") {
        Compression::Zstd
    } else {
        Compression::None
    }
}

/// Check `out` against the inputs of `reader`, then let `write` fill a temporary file (given its
/// path and compression) and commit it as `out`. Errors name `out`, not the temporary file.
pub fn write_committed<T>(
    out: &Path,
    paths: &[String],
    reader: &mut CorpusReader,
    write: impl FnOnce(&mut CorpusReader, &Path, Compression) -> overlap::Result<T>,
) -> Result<T> {
    check_output_file(out, "--out", paths, reader.sources())?;
    let file = FileCommit::new(out)?;
    let value =
        write(reader, file.path(), compression_for(out)).map_err(|e| file.public_error(e))?;
    file.commit()?;
    Ok(value)
}

/// What an export prints when it is done: its statistics as JSON on standard output with `--json`,
/// else (unless `--quiet`) `line` and the first ten skipped records on standard error.
pub fn print_stats<T: Serialize>(
    stats: &T,
    json: bool,
    quiet: bool,
    line: impl FnOnce() -> String,
    skipped: &[Problem],
) -> Result<()> {
    if json {
        crate::print_out(&(serde_json::to_string_pretty(stats)? + "\n"))?;
    } else if !quiet {
        eprintln!("{}", line());
        for p in skipped.iter().take(10) {
            eprintln!("  skipped {p}");
        }
    }
    Ok(())
}
