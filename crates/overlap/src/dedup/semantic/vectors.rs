//! The compared vectors: one unit-length vector per comparable document, centred on the corpus mean
//! unless raw cosine was asked for.
//!
//! Memory: `dims x 4` bytes per comparable document (1 KB with the 256-dimension model) plus 4 bytes
//! for its document number; the mean, `dims x 8` bytes.

/// Unit vectors of the comparable documents, in input order, in one flat array.
#[derive(Clone, Debug, Default)]
pub struct Vectors {
    dims: usize,
    docs: Vec<u32>,
    data: Vec<f32>,
}

impl Vectors {
    /// An empty set of `dims`-dimension vectors.
    pub fn new(dims: usize) -> Self {
        Vectors {
            dims,
            ..Vectors::default()
        }
    }

    /// Add document `doc`'s embedding (later documents have larger numbers). A zero vector (a text
    /// without any token the model knows) is not added: it has no direction to compare, and centred
    /// it would become the negated mean, equal for all such texts. Returns whether it was added.
    pub fn push(&mut self, doc: u32, v: &[f32]) -> bool {
        debug_assert_eq!(v.len(), self.dims);
        debug_assert!(self.docs.last().is_none_or(|&d| d < doc));
        if v.iter().all(|&x| x == 0.0) {
            return false;
        }
        self.docs.push(doc);
        self.data.extend_from_slice(v);
        true
    }

    /// Dimensions.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Number of vectors.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Document number of vector `i`.
    pub fn doc(&self, i: usize) -> u32 {
        self.docs[i]
    }

    /// Vector `i`.
    pub fn get(&self, i: usize) -> &[f32] {
        &self.data[i * self.dims..][..self.dims]
    }

    /// Position of document `doc`'s vector, if it has one.
    pub fn position(&self, doc: u32) -> Option<usize> {
        self.docs.binary_search(&doc).ok()
    }

    /// Subtract the mean of all vectors (summed in input order in `f64`) and scale each back to unit
    /// length. A vector equal to the mean (a corpus of one text) becomes zero: it then matches
    /// nothing, which is right for a document with nothing to tell it apart. Unit-length inputs
    /// without centring are left as they are.
    pub fn centre(&mut self) {
        if self.is_empty() {
            return;
        }
        let mut mean = vec![0f64; self.dims];
        for row in self.data.chunks_exact(self.dims) {
            for (m, &x) in mean.iter_mut().zip(row) {
                *m += f64::from(x);
            }
        }
        let n = self.len() as f64;
        mean.iter_mut().for_each(|m| *m /= n);
        for row in self.data.chunks_exact_mut(self.dims) {
            let centred: Vec<f64> = row
                .iter()
                .zip(&mean)
                .map(|(&x, m)| f64::from(x) - m)
                .collect();
            let norm = centred.iter().map(|x| x * x).sum::<f64>().sqrt();
            let scale = if norm > 1e-12 { 1.0 / norm } else { 0.0 };
            for (r, c) in row.iter_mut().zip(centred) {
                *r = (c * scale) as f32;
            }
        }
    }

    /// Cosine of vectors `i` and `j` (their dot product: both are unit length or zero).
    pub fn cosine(&self, i: usize, j: usize) -> f64 {
        dot(self.get(i), self.get(j))
    }
}

/// Dot product of two vectors (the engine's one float reduction, see [`lane_dot`]).
pub use crate::sketch::lane_dot as dot;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centring_removes_the_common_direction() {
        // Three unit vectors close to the x axis: high raw cosine, spread out once centred.
        let mut v = Vectors::new(3);
        let raw = [[0.99, 0.14, 0.0], [0.99, 0.0, 0.14], [0.99, -0.1, -0.1]];
        for (i, r) in raw.iter().enumerate() {
            let n = r.iter().map(|x: &f32| x * x).sum::<f32>().sqrt();
            let u: Vec<f32> = r.iter().map(|x| x / n).collect();
            assert!(v.push(i as u32, &u));
        }
        assert!(v.cosine(0, 1) > 0.97);
        v.centre();
        assert!(v.cosine(0, 1) < 0.0, "{}", v.cosine(0, 1));
        for i in 0..3 {
            assert!((v.cosine(i, i) - 1.0).abs() < 1e-6);
        }
        // Zero vectors are not comparable.
        assert!(!v.push(7, &[0.0, 0.0, 0.0]));
        assert_eq!(v.position(2), Some(2));
        assert_eq!(v.position(7), None);
    }

    #[test]
    fn dot_matches_the_plain_sum() {
        let a: Vec<f32> = (0..21).map(|i| i as f32 * 0.1).collect();
        let b: Vec<f32> = (0..21).map(|i| 1.0 - i as f32 * 0.05).collect();
        let plain: f64 = a.iter().zip(&b).map(|(x, y)| f64::from(*x * *y)).sum();
        assert!((dot(&a, &b) - plain).abs() < 1e-5);
    }
}
