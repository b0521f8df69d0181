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

/// `--clusters guarded` over the verified edges `(a, b)` of exact-group representatives (`a < b`,
/// input positions), sorted by `(b, a)`: the engine's rule ([`overlap::dedup::guarded_join`]), each
/// document in input order joining the earliest kept document it verified against. `in_near` marks
/// the edges that `pairs.jsonl` lists under components (the pairs, and each first-match member's
/// first match). Returns the joins `(b, kept a)` in input order and how many documents union-find
/// over the listed edges (those and the joins) removes, so that the guard's splits can be counted.
///
/// Memory: the removed documents (a hash set) and a union-find over the documents of the edges.
#[pyfunction]
fn guarded_joins(
    py: Python<'_>,
    a: Vec<i64>,
    b: Vec<i64>,
    in_near: Vec<bool>,
) -> PyResult<(Vec<(i64, i64)>, u64)> {
    use overlap::cluster::UnionFind;
    use std::collections::{HashMap, HashSet};
    if a.len() != b.len() || a.len() != in_near.len() {
        return Err(PyValueError::new_err("a, b and in_near differ in length"));
    }
    py.detach(|| {
        let mut removed: HashSet<i64> = HashSet::new();
        let mut joins = Vec::new();
        let mut dense: HashMap<i64, u32> = HashMap::new();
        let mut uf = UnionFind::new(0);
        let mut node = |x: i64, uf: &mut UnionFind| -> u32 {
            let next = dense.len() as u32;
            let id = *dense.entry(x).or_insert(next);
            if id as usize >= uf.len() {
                uf.grow(id as usize + 1);
            }
            id
        };
        let mut merged = 0u64;
        let mut start = 0;
        while start < b.len() {
            let d = b[start];
            let mut end = start;
            while end < b.len() && b[end] == d {
                if a[end] >= d || (end > start && a[end] <= a[end - 1]) {
                    return Err(PyValueError::new_err(
                        "edges must have a < b and be sorted by (b, a) without repeats",
                    ));
                }
                end += 1;
            }
            if start > 0 && b[start - 1] > d {
                return Err(PyValueError::new_err("edges must be sorted by (b, a)"));
            }
            // Every edge here is verified: the rule takes the earliest candidate still kept.
            let group = &a[start..end];
            let join = overlap::dedup::guarded_join(
                0..group.len() as u32,
                |k| !removed.contains(&group[k as usize]),
                |_| true,
            )
            .map(|k| start + k as usize);
            for e in start..end {
                if in_near[e] || Some(e) == join {
                    let (x, y) = (node(a[e], &mut uf), node(d, &mut uf));
                    merged += uf.union(x, y) as u64;
                }
            }
            if let Some(e) = join {
                removed.insert(d);
                joins.push((d, a[e]));
            }
            start = end;
        }
        Ok((joins, merged))
    })
}

/// The compression a file's first bytes announce, as the CLI tells it (and lists it in
/// `summary.json`): "gzip", "zstd" or "none".
#[pyfunction]
fn compression_of(head: &[u8]) -> &'static str {
    match Compression::from_magic(head) {
        Compression::None => "none",
        Compression::Gzip => "gzip",
        Compression::Zstd => "zstd",
    }
}

/// Add the Spark helpers to the native module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(bucket_limits, m)?)?;
    m.add_function(wrap_pyfunction!(compress_block, m)?)?;
    m.add_function(wrap_pyfunction!(discover_sources, m)?)?;
    m.add_function(wrap_pyfunction!(text_document, m)?)?;
    m.add_function(wrap_pyfunction!(id_to_relative_path, m)?)?;
    m.add_function(wrap_pyfunction!(guarded_joins, m)?)?;
    m.add_function(wrap_pyfunction!(compression_of, m)?)?;
    Ok(())
}
