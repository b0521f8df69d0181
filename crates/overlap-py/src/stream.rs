//! `Deduplicator`: the engine's streaming dedup ([`overlap::dedup::StreamingDedup`]) as a Python
//! class.

use crate::options::Opts;
use crate::texts::Texts;
use crate::to_py;
use overlap::dedup::{PairKind, StreamingDedup};
use pyo3::prelude::*;

/// Streaming in-memory dedup; see `overlap.Deduplicator` for the documented API.
#[pyclass(module = "overlap._native")]
pub struct Deduplicator {
    inner: StreamingDedup,
    threads: Option<usize>,
}

#[pymethods]
impl Deduplicator {
    #[new]
    fn new(py: Python<'_>, options: &str) -> PyResult<Self> {
        let mut o = Opts::parse(options)?;
        let config = o.dedup_config(true)?;
        let threads = o.threads()?;
        o.finish()?;
        Ok(Deduplicator {
            inner: StreamingDedup::new(config).map_err(|e| to_py(py, e))?,
            threads,
        })
    }

    /// Add documents in order; for each, the id of its cluster's first document when that is an
    /// earlier one, else `None`.
    fn add(
        &mut self,
        py: Python<'_>,
        ids: Vec<String>,
        texts: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<Option<String>>> {
        let texts = Texts::from_py(texts)?;
        let threads = self.threads;
        let inner = &mut self.inner;
        let answers = crate::detached(py, threads, || {
            let strs = texts.strs()?;
            inner.add(&ids, &strs)
        })?;
        Ok(answers
            .into_iter()
            .map(|a| a.duplicate_of.map(|d| self.inner.id(d).to_string()))
            .collect())
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    /// `clusters.jsonl`'s rows: `(id, cluster, kept, reason, empty)` per document, in the order
    /// added.
    fn clusters(&self) -> Vec<(String, String, bool, &'static str, bool)> {
        let a = self.inner.assignment();
        (0..self.inner.len() as u32)
            .map(|d| {
                let i = d as usize;
                (
                    self.inner.id(d).to_string(),
                    self.inner.id(a.cluster[i]).to_string(),
                    a.kept(d),
                    a.reason[i].as_str(),
                    self.inner.is_empty_doc(d),
                )
            })
            .collect()
    }

    /// `pairs.jsonl`'s rows: `(a, b, jaccard, kind)`, in the batch job's order.
    fn pairs(&self) -> Vec<(String, String, f64, &'static str)> {
        self.inner
            .pairs()
            .into_iter()
            .map(|p| {
                (
                    self.inner.id(p.a).to_string(),
                    self.inner.id(p.b).to_string(),
                    p.jaccard,
                    match p.kind {
                        PairKind::Exact => "exact",
                        PairKind::Near => "near",
                    },
                )
            })
            .collect()
    }

    /// Candidate pairs in all, as the batch job counts them.
    fn candidates(&self) -> u64 {
        self.inner.candidates()
    }

    /// Pairs and first-match entries verified on arrival so far.
    fn verified_on_arrival(&self) -> u64 {
        self.inner.verified_on_arrival()
    }

    /// Bands and rows in use.
    fn lsh(&self) -> (usize, usize) {
        let l = self.inner.sketcher().lsh();
        (l.bands, l.rows)
    }
}
