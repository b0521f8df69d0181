//! `overlap._native`: the engine, reached from Python. The typed, documented API is the Python package
//! in `python/overlap/`; this module only converts arguments, releases the GIL around the engine's
//! work, and maps engine errors to Python exceptions. No logic of its own.
//!
//! Options arrive as one JSON object (the Python wrappers build it from their keyword arguments), so
//! every default lives in the engine's `Default` impls and an unknown option is a `ValueError`.

mod index;
mod options;
mod spark;
mod stream;
mod texts;

use options::Opts;
use overlap::dedup::{JobOptions, Sketcher};
use overlap::io::Compression;
use overlap::progress::NoProgress;
use overlap::reuse::ReuseOptions;
use overlap::Error;
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyByteArray;
use texts::Texts;

/// An engine error as the Python exception the package documents: `overlap.InputError` (with `file`,
/// `line`, `reason`, `id`) for bad input, `ValueError` for bad options, `OSError` for I/O.
pub(crate) fn to_py(py: Python<'_>, e: Error) -> PyErr {
    let input_error = |message: String,
                       file: Option<String>,
                       line: Option<u64>,
                       reason: &str,
                       id: Option<String>| {
        match py
            .import("overlap._errors")
            .and_then(|m| m.getattr("InputError"))
            .and_then(|cls| cls.call1((message.clone(), file, line, reason, id)))
        {
            Ok(value) => PyErr::from_value(value),
            Err(err) => err,
        }
    };
    match e {
        Error::BadRecord(p) => {
            input_error(p.to_string(), Some(p.file), p.line, p.reason.as_str(), p.id)
        }
        Error::InputNotFound(path) => input_error(
            format!("{path}: no such file or directory"),
            Some(path),
            None,
            "not_found",
            None,
        ),
        Error::NoInput(m) => input_error(
            format!("no input documents: {m}"),
            None,
            None,
            "no_input",
            None,
        ),
        Error::TooManyDocuments => input_error(
            Error::TooManyDocuments.to_string(),
            None,
            None,
            "too_many_documents",
            None,
        ),
        Error::Config(m) => PyValueError::new_err(m),
        // I/O errors, and whatever fatal error the engine adds later.
        e => PyOSError::new_err(e.to_string()),
    }
}

/// Run `work` without the GIL, on a pool of `threads` workers when given (0: one per core), else on
/// the global pool.
fn detached<T: Send>(
    py: Python<'_>,
    threads: Option<usize>,
    work: impl FnOnce() -> overlap::Result<T> + Send,
) -> PyResult<T> {
    let result = py.detach(|| match threads {
        None => work(),
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map_err(|e| Error::Config(format!("cannot start {n} worker threads: {e}")))
            .and_then(|pool| pool.install(work)),
    });
    result.map_err(|e| to_py(py, e))
}

fn json_out(v: &impl serde::Serialize) -> PyResult<String> {
    serde_json::to_string(v).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// Run the dedup job; returns `summary.json`'s text.
#[pyfunction]
fn dedup(py: Python<'_>, inputs: Vec<String>, out: String, options: &str) -> PyResult<String> {
    let mut o = Opts::parse(options)?;
    let config = o.dedup_config(true)?;
    let input = o.corpus_input(inputs)?;
    let write_deduped = o.bool("write_deduped")?.unwrap_or(true);
    let output_format = match o.string("output_format")?.as_deref() {
        None | Some("jsonl") => overlap::dedup::OutputFormat::Jsonl,
        Some("parquet") => overlap::dedup::OutputFormat::Parquet,
        Some(other) => {
            return Err(PyValueError::new_err(format!(
                "output_format must be 'jsonl' or 'parquet', got {other:?}"
            )))
        }
    };
    // As the CLI's range: gzip 0-9, zstd 1-19, clamped to the output's format.
    let compression_level = match o.u32("compression_level")? {
        Some(l) if l > 19 => {
            return Err(PyValueError::new_err(format!(
                "compression_level must be in 0..=19, got {l}"
            )))
        }
        l => l,
    };
    let spill = o.spill()?;
    let threads = o.threads()?;
    o.finish()?;
    let job = JobOptions {
        input,
        out_dir: out.into(),
        write_deduped,
        output_format,
        spill,
        compression_level,
    };
    let summary = detached(py, threads, || {
        config.validate()?;
        overlap::dedup::run(&job, &config, &NoProgress)
    })?;
    json_out(&summary)
}

/// Run the reuse job; returns `summary.json`'s text.
#[pyfunction]
fn reuse(py: Python<'_>, inputs: Vec<String>, out: String, options: &str) -> PyResult<String> {
    let mut o = Opts::parse(options)?;
    let config = o.reuse_config()?;
    let mut input = o.corpus_input(inputs)?;
    input.fields.source = o.string("source_field")?;
    input.fields.date = o.string("date_field")?;
    let spill = o.spill()?;
    let threads = o.threads()?;
    o.finish()?;
    let job = ReuseOptions {
        input,
        out_dir: out.into(),
        spill,
    };
    let summary = detached(py, threads, || {
        overlap::reuse::run(&job, &config, &NoProgress)
    })?;
    json_out(&summary)
}

/// Write every document's signature (as `overlap sketch`); returns the run's statistics as JSON.
#[pyfunction]
fn sketch(py: Python<'_>, inputs: Vec<String>, out: String, options: &str) -> PyResult<String> {
    let mut o = Opts::parse(options)?;
    let config = o.dedup_config(false)?;
    let input = o.corpus_input(inputs)?;
    let threads = o.threads()?;
    o.finish()?;
    let compression = if out.ends_with(".gz") {
        Compression::Gzip
    } else if out.ends_with(".zst") {
        Compression::Zstd
    } else {
        Compression::None
    };
    let stats = detached(py, threads, || {
        let mut reader = input.open()?;
        overlap::dedup::export_signatures(
            &mut reader,
            &input.fields,
            input.on_error,
            &config,
            std::path::Path::new(&out),
            compression,
            &NoProgress,
        )
    })?;
    json_out(&stats)
}

/// Align two texts; returns the alignment as `overlap align --json` prints it.
#[pyfunction]
fn align(py: Python<'_>, a: String, b: String, options: &str) -> PyResult<String> {
    let mut o = Opts::parse(options)?;
    let config = o.align_config()?;
    o.finish()?;
    let alignment = py.detach(|| overlap::align::align(&a, &b, &config));
    json_out(&alignment)
}

/// What [`sketch_texts`] returns: exact keys, word counts, signature bytes, band-key bytes.
type SketchOut<'py> = (
    Vec<String>,
    Vec<usize>,
    Bound<'py, PyByteArray>,
    Bound<'py, PyByteArray>,
);

/// Sketches of `texts` (a list of str, or an Arrow string array's buffers): `(exact keys as 32 hex
/// digits, word counts, signatures as num_perm u32 per text, band keys as bands u64 per text)`.
#[pyfunction]
fn sketch_texts<'py>(
    py: Python<'py>,
    texts: &Bound<'py, PyAny>,
    options: &str,
) -> PyResult<SketchOut<'py>> {
    let mut o = Opts::parse(options)?;
    let config = o.dedup_config(true)?;
    let want_signatures = o.bool("signatures")?.unwrap_or(true);
    let want_bands = o.bool("bands_out")?.unwrap_or(true);
    let threads = o.threads()?;
    o.finish()?;
    let texts = Texts::from_py(texts)?;
    let (exact, words, sigs, bands) = detached(py, threads, || {
        config.validate()?;
        let texts = texts.strs()?;
        let sketcher = Sketcher::new(&config);
        Ok(texts::sketch_all(
            &sketcher,
            &texts,
            want_signatures,
            want_bands,
        ))
    })?;
    Ok((
        exact,
        words,
        PyByteArray::new(py, &texts::as_bytes_u32(&sigs)),
        PyByteArray::new(py, &texts::as_bytes_u64(&bands)),
    ))
}

/// True Jaccard similarity of the shingle sets of `a[i]` and `b[i]`, for every `i`.
#[pyfunction]
fn pair_jaccard(
    py: Python<'_>,
    a: &Bound<'_, PyAny>,
    b: &Bound<'_, PyAny>,
    options: &str,
) -> PyResult<Vec<f64>> {
    let mut o = Opts::parse(options)?;
    let config = o.dedup_config(true)?;
    let threads = o.threads()?;
    o.finish()?;
    let (a, b) = (Texts::from_py(a)?, Texts::from_py(b)?);
    detached(py, threads, || {
        config.validate()?;
        let (a, b) = (a.strs()?, b.strs()?);
        if a.len() != b.len() {
            return Err(Error::Config(format!(
                "{} first texts for {} second texts",
                a.len(),
                b.len()
            )));
        }
        Ok(texts::pair_jaccard(&Sketcher::new(&config), &a, &b))
    })
}

/// Parse JSON Lines records as the CLI does: for each line `(id or None, text or None, problem
/// reason or None, message or None)`.
#[pyfunction]
fn parse_records(
    py: Python<'_>,
    lines: Vec<Option<Vec<u8>>>,
    options: &str,
) -> PyResult<Vec<texts::ParsedLine>> {
    let mut o = Opts::parse(options)?;
    let input = o.corpus_input(Vec::new())?;
    o.finish()?;
    let fields = input.fields;
    let max = input.max_record_bytes;
    Ok(py.detach(|| texts::parse_lines(&lines, &fields, max)))
}

/// The `parameters` object of the dedup job's `summary.json` for these options.
#[pyfunction]
fn dedup_parameters(options: &str) -> PyResult<String> {
    let mut o = Opts::parse(options)?;
    let config = o.dedup_config(true)?;
    let input = o.corpus_input(Vec::new())?;
    o.finish()?;
    config
        .validate()
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    let lsh = config.lsh_params();
    let mut v = serde_json::to_value(&config).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let extra = serde_json::json!({
        "bands": lsh.bands,
        "rows": lsh.rows,
        "false_negative_weight": config.effective_fn_weight(),
        "false_positive_area": lsh.false_positive_area(config.threshold),
        "false_negative_area": lsh.false_negative_area(config.threshold),
        "id_field": input.fields.id,
        "text_field": input.fields.text,
        "on_error": input.on_error,
        "max_record_bytes": input.max_record_bytes,
    });
    if let (Some(map), serde_json::Value::Object(extra)) = (v.as_object_mut(), extra) {
        map.extend(extra);
    }
    json_out(&v)
}

/// The engine's version.
#[pyfunction]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// Worker threads of the global pool.
#[pyfunction]
fn default_threads() -> usize {
    rayon::current_num_threads()
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(dedup, m)?)?;
    m.add_function(wrap_pyfunction!(reuse, m)?)?;
    m.add_function(wrap_pyfunction!(sketch, m)?)?;
    m.add_function(wrap_pyfunction!(align, m)?)?;
    m.add_function(wrap_pyfunction!(sketch_texts, m)?)?;
    m.add_function(wrap_pyfunction!(pair_jaccard, m)?)?;
    m.add_function(wrap_pyfunction!(parse_records, m)?)?;
    m.add_function(wrap_pyfunction!(dedup_parameters, m)?)?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    m.add_function(wrap_pyfunction!(default_threads, m)?)?;
    m.add_class::<stream::Deduplicator>()?;
    index::register(m)?;
    spark::register(m)?;
    Ok(())
}
