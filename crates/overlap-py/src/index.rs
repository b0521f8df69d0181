//! `Index`: the engine's persistent index ([`overlap::index::Index`], the one `overlap index` and
//! `overlap serve` open) as a Python class. Answers cross as the JSON the CLI writes, so a Python
//! answer is the CLI's line for the same document; index errors become the exceptions of
//! `overlap._index` (see `python/overlap/_index.py`).

use crate::options::Opts;
use crate::texts::Texts;
use overlap::index::{Index as Engine, IndexError, OnExisting};
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use rayon::prelude::*;
use serde::Serialize;

/// An index error as the exception `overlap._index` defines for it.
fn to_py(py: Python<'_>, e: IndexError) -> PyErr {
    let e = match e {
        IndexError::Engine(inner) => return crate::to_py(py, inner),
        other => other,
    };
    let class = match &e {
        IndexError::Engine(_) => "IndexFormatError",
        IndexError::Exists(_) | IndexError::DuplicateInBatch(_) => "DocumentExistsError",
        IndexError::NotFound(_) => "DocumentNotFoundError",
        IndexError::Locked(_) => "IndexLockedError",
        IndexError::NotAnIndex(_)
        | IndexError::NewerFormat { .. }
        | IndexError::Corrupt { .. }
        | IndexError::AlreadyExists(_) => "IndexFormatError",
        IndexError::ReadOnly => "IndexReadOnlyError",
        IndexError::Invalid(m) => return PyValueError::new_err(m.clone()),
        IndexError::Storage(_) => return PyOSError::new_err(e.to_string()),
    };
    let id = match &e {
        IndexError::Exists(id) | IndexError::DuplicateInBatch(id) | IndexError::NotFound(id) => {
            Some(id.clone())
        }
        _ => None,
    };
    match py
        .import("overlap._index")
        .and_then(|m| m.getattr(class))
        .and_then(|cls| cls.call1((e.to_string(), id)))
    {
        Ok(value) => PyErr::from_value(value),
        Err(err) => err,
    }
}

fn json<T: Serialize>(v: &T) -> PyResult<String> {
    serde_json::to_string(v).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// A persistent index; see `overlap.Index` for the documented API.
#[pyclass(module = "overlap._native", name = "Index")]
pub struct Index {
    inner: Option<Engine>,
}

impl Index {
    fn engine(&self) -> PyResult<&Engine> {
        self.inner
            .as_ref()
            .ok_or_else(|| PyRuntimeError::new_err("the index is closed"))
    }
}

/// One `index query` line, as the CLI writes it.
#[derive(Serialize)]
struct QueryLine {
    #[serde(flatten)]
    answer: overlap::index::QueryAnswer,
    #[serde(skip_serializing_if = "Option::is_none")]
    passages: Option<Vec<PassagesWith>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reuse: Option<overlap::index::ReuseMatches>,
}

#[derive(Serialize)]
struct PassagesWith {
    id: String,
    alignment: overlap::align::Alignment,
}

#[pymethods]
impl Index {
    /// Create an index in `path` (new or empty folder); `options` are dedup's, as JSON.
    #[staticmethod]
    fn create(py: Python<'_>, path: String, options: &str, store_text: bool) -> PyResult<Self> {
        let mut o = Opts::parse(options)?;
        let config = o.dedup_config(true)?;
        o.finish()?;
        let inner = py
            .detach(|| Engine::create(std::path::Path::new(&path), &config, store_text))
            .map_err(|e| to_py(py, e))?;
        Ok(Index { inner: Some(inner) })
    }

    /// Open the index in `path`, for writing (one writer per file) or for reading only.
    #[staticmethod]
    fn open(py: Python<'_>, path: String, read_only: bool) -> PyResult<Self> {
        let inner = py
            .detach(|| {
                let p = std::path::Path::new(&path);
                if read_only {
                    Engine::open_read_only(p)
                } else {
                    Engine::open(p)
                }
            })
            .map_err(|e| to_py(py, e))?;
        Ok(Index { inner: Some(inner) })
    }

    /// Add one batch (one durable transaction); the answers as a JSON list of `index add` lines.
    fn add(
        &self,
        py: Python<'_>,
        ids: Vec<String>,
        texts: &Bound<'_, PyAny>,
        on_existing: &str,
    ) -> PyResult<String> {
        let policy = match on_existing {
            "error" => OnExisting::Error,
            "skip" => OnExisting::Skip,
            "replace" => OnExisting::Replace,
            other => {
                return Err(PyValueError::new_err(format!(
                    "on_existing must be 'error', 'skip' or 'replace', not {other:?}"
                )))
            }
        };
        let texts = Texts::from_py(texts)?;
        let index = self.engine()?;
        let answers = py.detach(|| -> Result<_, IndexError> {
            let strs = texts.strs()?;
            if strs.len() != ids.len() {
                return Err(IndexError::Invalid(format!(
                    "{} ids for {} texts",
                    ids.len(),
                    strs.len()
                )));
            }
            let docs: Vec<_> = ids
                .par_iter()
                .zip(strs.par_iter())
                .map(|(id, text)| index.prepare(id.clone(), text))
                .collect();
            index.add(docs, policy)
        });
        json(&answers.map_err(|e| to_py(py, e))?)
    }

    /// `index query` for each text (`limit` 0: all matches; `passages`/`reuse`: how many to
    /// align, 0: none), as a JSON list of lines without ids.
    fn query(
        &self,
        py: Python<'_>,
        texts: &Bound<'_, PyAny>,
        limit: usize,
        passages: usize,
        reuse: usize,
    ) -> PyResult<String> {
        let texts = Texts::from_py(texts)?;
        let index = self.engine()?;
        let lines = py.detach(|| -> Result<Vec<QueryLine>, IndexError> {
            let strs = texts.strs()?;
            if (passages > 0 || reuse > 0) && !index.parameters().store_text {
                return Err(IndexError::Invalid(
                    "passages and reuse need the indexed texts, and this index was created without store_text"
                        .into(),
                ));
            }
            let config = overlap::align::AlignConfig::default();
            strs.par_iter()
                .map(|text| {
                    let answer = index.query(text, (limit > 0).then_some(limit))?;
                    let passages = if passages > 0 {
                        let mut out = Vec::new();
                        for m in answer.matches.iter().take(passages) {
                            let other = index.text(&m.id)?.unwrap_or_default();
                            out.push(PassagesWith {
                                id: m.id.clone(),
                                alignment: overlap::align::align(text, &other, &config),
                            });
                        }
                        Some(out)
                    } else {
                        None
                    };
                    let reuse = if reuse > 0 {
                        Some(index.reuse(text, &answer.matches, reuse)?)
                    } else {
                        None
                    };
                    Ok(QueryLine {
                        answer,
                        passages,
                        reuse,
                    })
                })
                .collect()
        });
        json(&lines.map_err(|e| to_py(py, e))?)
    }

    /// Remove documents, all or nothing.
    fn remove(&self, py: Python<'_>, ids: Vec<String>) -> PyResult<()> {
        let index = self.engine()?;
        py.detach(|| index.remove(&ids)).map_err(|e| to_py(py, e))
    }

    /// `index get`'s JSON, or `None` for an unknown id.
    fn get(&self, py: Python<'_>, id: &str) -> PyResult<Option<String>> {
        let index = self.engine()?;
        match py.detach(|| index.get(id)).map_err(|e| to_py(py, e))? {
            Some(info) => Ok(Some(json(&info)?)),
            None => Ok(None),
        }
    }

    /// `index stats`' JSON.
    fn stats(&self, py: Python<'_>) -> PyResult<String> {
        let index = self.engine()?;
        json(&py.detach(|| index.stats()).map_err(|e| to_py(py, e))?)
    }

    /// `index check`'s JSON.
    fn check(&self, py: Python<'_>) -> PyResult<String> {
        let index = self.engine()?;
        json(&py.detach(|| index.check()).map_err(|e| to_py(py, e))?)
    }

    /// The parameters fixed at creation, as JSON.
    fn parameters(&self) -> PyResult<String> {
        json(self.engine()?.parameters())
    }

    /// Release the file (another process may then open it).
    fn close(&mut self) {
        self.inner = None;
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Index>()
}
