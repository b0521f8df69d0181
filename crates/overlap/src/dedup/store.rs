//! The sketches of a whole corpus, in flat arrays indexed by document number (input order).
//!
//! Memory per document: 16 bytes of exact key, 4 of exact-group link, 8 per band key, and 8 per
//! shingle for the first document of each exact group (later copies keep none: they are never
//! verified). With verification off, 4 bytes per signature value instead of the shingles.

use super::DocSketch;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// All sketches of a corpus.
#[derive(Clone, Debug, Default)]
pub struct SketchStore {
    bands_per_doc: usize,
    keep_signatures: bool,
    exact_first: Vec<u32>,
    exact_groups: HashMap<u128, u32, BuildHasherDefault<KeyHasher>>,
    shingle_ends: Vec<usize>,
    shingles: Vec<u64>,
    bands: Vec<u64>,
    signature_len: usize,
    signatures: Vec<u32>,
}

impl SketchStore {
    /// An empty store. `keep_signatures` keeps MinHash signatures, for estimate-only mode; otherwise
    /// shingle sets are kept for verification.
    pub fn new(keep_signatures: bool) -> Self {
        SketchStore {
            keep_signatures,
            ..Default::default()
        }
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.exact_first.len()
    }

    /// True when no document was added.
    pub fn is_empty(&self) -> bool {
        self.exact_first.is_empty()
    }

    /// Add the next document; returns its number.
    ///
    /// # Panics
    /// If the store already holds `u32::MAX` documents (callers check [`SketchStore::is_full`]).
    pub fn push(&mut self, sketch: DocSketch) -> u32 {
        let doc = self.exact_first.len() as u32;
        let first = *self.exact_groups.entry(sketch.exact).or_insert(doc);
        self.push_with_first(sketch, first)
    }

    /// Add the next document as the only one of its exact group, whatever its exact key: the rule
    /// for empty documents, which all share the key of the empty text but are not copies of each
    /// other (see the README's empty-document rule). Returns its number.
    ///
    /// # Panics
    /// As [`SketchStore::push`].
    pub fn push_alone(&mut self, mut sketch: DocSketch) -> u32 {
        let doc = self.exact_first.len() as u32;
        // Band keys of its own, so that no LSH bucket gathers the documents pushed alone (every
        // empty text has the same sketch: a crawl's many empty pages would make one huge bucket).
        for (band, key) in sketch.bands.iter_mut().enumerate() {
            let salt = [
                b"alone".as_slice(),
                &doc.to_le_bytes(),
                &(band as u32).to_le_bytes(),
            ]
            .concat();
            *key = xxhash_rust::xxh3::xxh3_64(&salt);
        }
        self.push_with_first(sketch, doc)
    }

    fn push_with_first(&mut self, sketch: DocSketch, first: u32) -> u32 {
        assert!(!self.is_full(), "document numbers are 32-bit");
        let doc = self.exact_first.len() as u32;
        if self.bands_per_doc == 0 {
            self.bands_per_doc = sketch.bands.len();
            self.signature_len = sketch.signature.len();
        }
        self.exact_first.push(first);
        if first == doc {
            if self.keep_signatures {
                self.signatures.extend_from_slice(&sketch.signature);
            } else {
                self.shingles.extend_from_slice(&sketch.shingles);
            }
        } else if self.keep_signatures {
            // Keep indexing uniform; copies are never compared, so any values will do.
            self.signatures
                .extend(std::iter::repeat_n(0, self.signature_len));
        }
        self.shingle_ends.push(self.shingles.len());
        self.bands.extend_from_slice(&sketch.bands);
        doc
    }

    /// True when no more documents fit the 32-bit numbering.
    pub fn is_full(&self) -> bool {
        self.exact_first.len() >= u32::MAX as usize
    }

    /// The first document with the same normalized text as `doc` (`doc` itself if it is the first).
    pub fn exact_first(&self, doc: u32) -> u32 {
        self.exact_first[doc as usize]
    }

    /// True when `doc` is the first of its exact-duplicate group.
    pub fn is_exact_first(&self, doc: u32) -> bool {
        self.exact_first[doc as usize] == doc
    }

    /// Number of bands per document.
    pub fn bands_per_doc(&self) -> usize {
        self.bands_per_doc
    }

    /// Band key `band` of `doc`.
    pub fn band(&self, doc: u32, band: usize) -> u64 {
        self.bands[doc as usize * self.bands_per_doc + band]
    }

    /// The shingle hashes of `doc` in text order, repeats included (empty for a later exact copy, or
    /// when signatures are kept instead).
    pub fn shingles(&self, doc: u32) -> &[u64] {
        let d = doc as usize;
        let start = if d == 0 { 0 } else { self.shingle_ends[d - 1] };
        &self.shingles[start..self.shingle_ends[d]]
    }

    /// The signature of `doc`, when signatures are kept.
    pub fn signature(&self, doc: u32) -> Option<&[u32]> {
        self.keep_signatures.then(|| {
            let start = doc as usize * self.signature_len;
            &self.signatures[start..start + self.signature_len]
        })
    }

    /// True when signatures (not shingle sets) are kept.
    pub fn keeps_signatures(&self) -> bool {
        self.keep_signatures
    }
}

/// Exact keys are already uniform 128-bit hashes: their low 64 bits make a perfectly good map hash.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u128(&mut self, v: u128) {
        self.0 = v as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sketch(exact: u128, shingles: &[u64]) -> DocSketch {
        DocSketch {
            exact,
            tokens: shingles.len(),
            shingles: shingles.to_vec(),
            signature: vec![1, 2],
            bands: vec![exact as u64, 7],
        }
    }

    #[test]
    fn exact_copies_link_to_the_first_and_keep_no_shingles() {
        let mut store = SketchStore::new(false);
        store.push(sketch(5, &[1, 2, 3]));
        store.push(sketch(6, &[4]));
        store.push(sketch(5, &[1, 2, 3]));
        assert_eq!(
            (0..3).map(|d| store.exact_first(d)).collect::<Vec<_>>(),
            [0, 1, 0]
        );
        assert_eq!(store.shingles(0), [1, 2, 3]);
        assert_eq!(store.shingles(1), [4]);
        assert!(store.shingles(2).is_empty());
        assert_eq!(store.band(2, 0), 5);
        assert_eq!(store.signature(0), None);
    }
}
