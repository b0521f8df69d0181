//! Helpers of the Spark job (`overlap.spark`): the engine's rules that the job's DataFrame stages
//! need, so that they are not restated in Python.

use crate::to_py;
use overlap::dedup::{ALL_PAIRS_LIMIT, REPRESENTATIVES};
use overlap::io::{CompressedWriter, Compression};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::io::Write;

/// The giant-bucket rule of the CLI's candidate stage: `(all_pairs_limit, representatives)`.
#[pyfunction]
fn bucket_limits() -> (usize, usize) {
    (ALL_PAIRS_LIMIT, REPRESENTATIVES)
}

/// `data` compressed as one complete gzip member or zstd frame (`kind`), so that a file written
/// block by block is one valid multi-member / multi-frame stream, as the CLI writes its outputs.
#[pyfunction]
fn compress_block<'py>(py: Python<'py>, data: &[u8], kind: &str) -> PyResult<Bound<'py, PyBytes>> {
    let compression = match kind {
        "gzip" => Compression::Gzip,
        "zstd" => Compression::Zstd,
        other => {
            return Err(PyValueError::new_err(format!(
                "compression must be 'gzip' or 'zstd', got {other:?}"
            )))
        }
    };
    let out = py
        .detach(|| -> std::io::Result<Vec<u8>> {
            let mut w = CompressedWriter::new(Vec::new(), compression)?;
            w.write_all(data)?;
            w.finish()
        })
        .map_err(|e| to_py(py, overlap::Error::io("compressed block", e)))?;
    Ok(PyBytes::new(py, &out))
}

/// One source as `discover_sources` gives it: `(name, path, format, text_id)`.
type SourceRow = (String, String, &'static str, Option<String>);

/// The CLI's sources for `inputs`: `(name, path, format, text_id)` in input order (directories
/// walked, formats told by name and magic bytes, text ids made lossless), or the CLI's error.
#[pyfunction]
#[pyo3(signature = (inputs, format=None))]
fn discover_sources(
    py: Python<'_>,
    inputs: Vec<String>,
    format: Option<&str>,
) -> PyResult<Vec<SourceRow>> {
    use overlap::io::{discover, Format, Location};
    let format = match format {
        None => None,
        Some("jsonl") => Some(Format::Jsonl),
        Some("text") => Some(Format::Text),
        Some("parquet") => Some(Format::Parquet),
        Some(other) => {
            return Err(PyValueError::new_err(format!(
                "format must be 'jsonl', 'text' or 'parquet', got {other:?}"
            )))
        }
    };
    let sources = discover(&inputs, format).map_err(|e| to_py(py, e))?;
    Ok(sources
        .into_iter()
        .map(|s| {
            let path = match &s.location {
                Location::Path(p) => p.to_string_lossy().into_owned(),
                Location::Stdin => "-".into(),
            };
            let format = match s.format {
                Format::Jsonl => "jsonl",
                Format::Text => "text",
                Format::Parquet => "parquet",
            };
            (s.name, path, format, s.text_id)
        })
        .collect())
}

/// A text input's one document as the CLI reads it: decompressed when its magic bytes say so,
/// refused when it is a format overlap does not read as text (PDF, zip, image, binary, ...), over
/// `max_record_bytes`, or not UTF-8. Returns `(text, None, None)` or `(None, reason, message)`.
#[pyfunction]
fn text_document(
    py: Python<'_>,
    content: &[u8],
    name: &str,
    max_record_bytes: usize,
) -> (Option<String>, Option<&'static str>, Option<String>) {
    use overlap::io::{decompress, sniff};
    use overlap::ProblemKind;
    use std::io::{BufRead, Read};
    let problem = |kind: ProblemKind, message: String| (None, Some(kind.as_str()), Some(message));
    py.detach(|| {
        let (mut reader, _) = match decompress(content) {
            Ok(r) => r,
            Err(e) => {
                return problem(
                    ProblemKind::Truncated,
                    format!("input cannot be read from its start ({e}); nothing of it is read"),
                )
            }
        };
        match reader.fill_buf() {
            Ok(head) => {
                if let Some(kind) = sniff(name, head, true) {
                    return problem(ProblemKind::UnsupportedFormat, kind.to_string());
                }
            }
            Err(e) => {
                return problem(
                    ProblemKind::Truncated,
                    format!("input cannot be read from its start ({e}); nothing of it is read"),
                )
            }
        }
        let mut bytes = Vec::new();
        let limit = max_record_bytes as u64;
        if let Err(e) = reader.take(limit + 1).read_to_end(&mut bytes) {
            return problem(ProblemKind::Truncated, format!("cannot read the file: {e}"));
        }
        if bytes.len() as u64 > limit {
            return problem(
                ProblemKind::TooLarge,
                format!("document is larger than the limit of {limit} bytes"),
            );
        }
        match String::from_utf8(bytes) {
            Ok(text) => (Some(text), None, None),
            Err(e) => problem(
                ProblemKind::InvalidUtf8,
                format!(
                    "invalid UTF-8 at byte {} of the file",
                    e.utf8_error().valid_up_to() + 1
                ),
            ),
        }
    })
}

/// Where the CLI copies a kept text document under `deduped/`: its id's parts, made safe.
#[pyfunction]
fn id_to_relative_path(id: &str) -> String {
    overlap::io::ids::id_to_relative_path(id)
        .to_string_lossy()
        .into_owned()
}

/// Add the Spark helpers to the native module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(bucket_limits, m)?)?;
    m.add_function(wrap_pyfunction!(compress_block, m)?)?;
    m.add_function(wrap_pyfunction!(discover_sources, m)?)?;
    m.add_function(wrap_pyfunction!(text_document, m)?)?;
    m.add_function(wrap_pyfunction!(id_to_relative_path, m)?)?;
    Ok(())
}
