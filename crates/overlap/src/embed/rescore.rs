//! The transformer as `align`'s second opinion ([`crate::align::Rescore`]): sentence vectors are
//! computed only for the units of the pairs the static model is unsure of, once each.
//!
//! Memory: one 384-float vector per unit encoded; the units themselves are the caller's.

use super::{cosine, Transformer};
use crate::align::{Prepared, Rescore};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// Lazily encoded sentence vectors of two prepared documents.
#[derive(Debug)]
pub struct UnitRescorer<'t> {
    model: &'t Transformer,
    a: &'t Prepared<'t>,
    b: &'t Prepared<'t>,
    va: Vec<OnceLock<Vec<f32>>>,
    vb: Vec<OnceLock<Vec<f32>>>,
    encoded: AtomicUsize,
    asked: AtomicUsize,
}

impl<'t> UnitRescorer<'t> {
    /// A rescorer of units of `a` against units of `b`.
    pub fn new(model: &'t Transformer, a: &'t Prepared<'t>, b: &'t Prepared<'t>) -> Self {
        UnitRescorer {
            model,
            a,
            b,
            va: (0..a.units.len()).map(|_| OnceLock::new()).collect(),
            vb: (0..b.units.len()).map(|_| OnceLock::new()).collect(),
            encoded: AtomicUsize::new(0),
            asked: AtomicUsize::new(0),
        }
    }

    /// Pairs re-scored so far.
    pub fn pairs_rescored(&self) -> usize {
        self.asked.load(Ordering::Relaxed)
    }

    /// Sentences the transformer has encoded so far.
    pub fn units_encoded(&self) -> usize {
        self.encoded.load(Ordering::Relaxed)
    }

    fn vector<'s>(
        &'s self,
        doc: &Prepared,
        cache: &'s [OnceLock<Vec<f32>>],
        i: usize,
    ) -> &'s [f32] {
        cache[i].get_or_init(|| {
            self.encoded.fetch_add(1, Ordering::Relaxed);
            let u = &doc.units[i];
            self.model.encode(&doc.text[u.start_byte..u.end_byte])
        })
    }
}

impl Rescore for UnitRescorer<'_> {
    fn cosine(&self, u: usize, v: usize) -> f64 {
        if u >= self.va.len() || v >= self.vb.len() {
            return 0.0;
        }
        self.asked.fetch_add(1, Ordering::Relaxed);
        cosine(
            self.vector(self.a, &self.va, u),
            self.vector(self.b, &self.vb, v),
        )
    }
}
