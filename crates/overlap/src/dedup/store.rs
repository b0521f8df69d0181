//! The sketches of a whole corpus, indexed by document number (input order).
//!
//! Memory per document, always in RAM: 16 bytes of exact key in the exact-group map (about 32 with
//! the map's overhead), 4 of exact-group link, 8 of shingle offset. Grown with the corpus and bounded
//! by the memory budget (see [`StoreLimits`]):
//! - shingles: 8 bytes per shingle (repeats included) of the first document of each exact group
//!   (later copies keep none: they are never verified). Past `shingle_bytes` they move to one spill
//!   file, written once in input order and read back by offset for the documents verification
//!   compares. Recomputing them in a second pass over the inputs instead would cost the whole read
//!   and sketch stage again (the dearest stage); writing them costs one sequential write.
//! - band keys: 8 bytes per band per document. Past `band_bytes` the buffered documents' keys are
//!   written as one sorted run of 12-byte `(key, doc)` records per band (exact-group firsts only),
//!   which the candidate stage merges.
//!
//! With verification off, 4 bytes per signature value stay in RAM instead of the shingles.
//! Disk, when spilled: 8 bytes per shingle plus 12 bytes per document per band.

use super::DocSketch;
use crate::error::{Error, Result};
use crate::spill::{KeyDoc, Run, SpillDir};
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::File;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;

/// How much of the store may stay in memory before it spills, and where it spills.
#[derive(Clone, Debug)]
pub struct StoreLimits {
    /// Bytes of shingles held in RAM before they move to a spill file.
    pub shingle_bytes: usize,
    /// Bytes of band keys held in RAM before they are written as sorted runs.
    pub band_bytes: usize,
    /// The spill directory.
    pub dir: Arc<SpillDir>,
}

/// The spilled part of a store.
#[derive(Debug)]
struct Spilled {
    limits: StoreLimits,
    shingle_file: Option<ShingleFile>,
    band_runs: Vec<Vec<Run<KeyDoc>>>,
    band_spilled_bytes: u64,
}

/// Shingles on disk: native 8-byte words, in document order.
#[derive(Debug)]
struct ShingleFile {
    path: PathBuf,
    writer: Option<BufWriter<File>>,
    reader: Option<File>,
    bytes: u64,
    dir: Arc<SpillDir>,
}

/// All sketches of a corpus.
#[derive(Debug, Default)]
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
    /// Number of shingles before `shingles[0]` (those in the spill file).
    shingle_base: usize,
    /// First document whose band keys are in `bands`.
    band_base: usize,
    spilled: Option<Spilled>,
    /// The most [`SketchStore::memory_bytes`] seen before a spill freed some of it.
    peak_memory: u64,
}

impl SketchStore {
    /// An empty store. `keep_signatures` keeps MinHash signatures, for estimate-only mode; otherwise
    /// shingle sets are kept for verification. Everything stays in memory.
    pub fn new(keep_signatures: bool) -> Self {
        SketchStore {
            keep_signatures,
            ..Default::default()
        }
    }

    /// An empty store that spills past `limits` (see [`SketchStore::spill_if_needed`]).
    pub fn with_limits(keep_signatures: bool, limits: StoreLimits) -> Self {
        SketchStore {
            keep_signatures,
            spilled: Some(Spilled {
                limits,
                shingle_file: None,
                band_runs: Vec::new(),
                band_spilled_bytes: 0,
            }),
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

    /// Add the next document; returns its number. A store with limits then needs
    /// [`SketchStore::spill_if_needed`].
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
        let mut end = self.shingle_ends.last().copied().unwrap_or(0);
        if first == doc {
            if self.keep_signatures {
                self.signatures.extend_from_slice(&sketch.signature);
            } else {
                self.shingles.extend_from_slice(&sketch.shingles);
                end += sketch.shingles.len();
            }
        } else if self.keep_signatures {
            // Keep indexing uniform; copies are never compared, so any values will do.
            self.signatures
                .extend(std::iter::repeat_n(0, self.signature_len));
        }
        self.shingle_ends.push(end);
        self.bands.extend_from_slice(&sketch.bands);
        doc
    }

    /// Move what exceeds the limits to disk: the shingles to the spill file (once past the limit,
    /// every later document's too), the buffered band keys to one sorted run per band.
    pub fn spill_if_needed(&mut self) -> Result<()> {
        let Some(limits) = self.spilled.as_ref().map(|s| &s.limits) else {
            return Ok(());
        };
        let over_shingles = self.shingles.len() * 8 > limits.shingle_bytes;
        if over_shingles || self.bands.len() * 8 > limits.band_bytes {
            // What the buffers held just before they were written out: the stage's peak.
            self.peak_memory = self.peak_memory.max(self.memory_bytes());
        }
        let Some(sp) = self.spilled.as_mut() else {
            return Ok(());
        };
        if sp.shingle_file.is_some() || over_shingles {
            let file = match &mut sp.shingle_file {
                Some(f) => f,
                None => {
                    let path = sp.limits.dir.new_file("shingles")?;
                    let f = File::create(&path).map_err(|e| Error::io(&path, e))?;
                    sp.shingle_file.insert(ShingleFile {
                        path,
                        writer: Some(BufWriter::with_capacity(1 << 20, f)),
                        reader: None,
                        bytes: 0,
                        dir: Arc::clone(&sp.limits.dir),
                    })
                }
            };
            if let Some(w) = file.writer.as_mut() {
                for &h in &self.shingles {
                    w.write_all(&h.to_ne_bytes())
                        .map_err(|e| Error::io(&file.path, e))?;
                }
            }
            let bytes = self.shingles.len() as u64 * 8;
            file.bytes += bytes;
            sp.limits.dir.grew(bytes);
            self.shingle_base += self.shingles.len();
            self.shingles.clear();
            if over_shingles {
                self.shingles.shrink_to_fit();
            }
        }
        if self.bands.len() * 8 > sp.limits.band_bytes {
            self.spill_bands()?;
        }
        Ok(())
    }

    fn spill_bands(&mut self) -> Result<()> {
        let Some(sp) = self.spilled.as_mut() else {
            return Ok(());
        };
        let (base, per) = (self.band_base, self.bands_per_doc);
        let docs: Vec<u32> = (base..self.exact_first.len())
            .filter(|&d| self.exact_first[d] == d as u32)
            .map(|d| d as u32)
            .collect();
        let bands = &self.bands;
        let dir = &sp.limits.dir;
        let runs: Vec<Run<KeyDoc>> = (0..per)
            .into_par_iter()
            .map(|band| {
                let mut entries: Vec<KeyDoc> = docs
                    .iter()
                    .map(|&d| (bands[(d as usize - base) * per + band], d))
                    .collect();
                entries.sort_unstable();
                Run::write(dir, "bands", &entries)
            })
            .collect::<Result<_>>()?;
        if sp.band_runs.is_empty() {
            sp.band_runs = (0..per).map(|_| Vec::new()).collect();
        }
        for (band, run) in runs.into_iter().enumerate() {
            sp.band_spilled_bytes += run.bytes();
            sp.band_runs[band].push(run);
        }
        self.band_base = self.exact_first.len();
        self.bands.clear();
        Ok(())
    }

    /// End of input: flush the shingle spill file and open it for reading.
    pub fn seal(&mut self) -> Result<()> {
        self.spill_if_needed()?;
        if let Some(file) = self.spilled.as_mut().and_then(|s| s.shingle_file.as_mut()) {
            if let Some(w) = file.writer.take() {
                let f = w
                    .into_inner()
                    .map_err(|e| Error::io(&file.path, e.into_error()))?;
                f.sync_data().ok();
                drop(f);
                file.reader = Some(File::open(&file.path).map_err(|e| Error::io(&file.path, e))?);
            }
        }
        Ok(())
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

    /// True when some band keys were written to sorted runs.
    pub fn bands_spilled(&self) -> bool {
        self.spilled
            .as_ref()
            .is_some_and(|s| !s.band_runs.is_empty())
    }

    /// First document whose band keys are still in memory (0 unless bands were spilled).
    pub fn band_base(&self) -> u32 {
        self.band_base as u32
    }

    /// Band key `band` of `doc`, for a document at or after [`SketchStore::band_base`].
    pub fn band(&self, doc: u32, band: usize) -> u64 {
        self.bands[(doc as usize - self.band_base) * self.bands_per_doc + band]
    }

    /// Take the sorted runs of band keys written so far: one list per band (empty when none).
    pub fn take_band_runs(&mut self) -> Vec<Vec<Run<KeyDoc>>> {
        self.spilled
            .as_mut()
            .map(|s| std::mem::take(&mut s.band_runs))
            .unwrap_or_default()
    }

    /// Free the band keys (once the candidate stage has used them).
    pub fn release_bands(&mut self) {
        self.bands = Vec::new();
    }

    /// Bytes written to band-key runs.
    pub fn band_spilled_bytes(&self) -> u64 {
        self.spilled.as_ref().map_or(0, |s| s.band_spilled_bytes)
    }

    /// Spill files written: the shingle file and the band-key runs.
    pub fn spill_files(&self) -> u64 {
        self.spilled.as_ref().map_or(0, |s| {
            u64::from(s.shingle_file.is_some())
                + s.band_runs.iter().map(|r| r.len() as u64).sum::<u64>()
        })
    }

    /// Bytes written to the shingle spill file.
    pub fn shingle_spilled_bytes(&self) -> u64 {
        self.spilled
            .as_ref()
            .and_then(|s| s.shingle_file.as_ref())
            .map_or(0, |f| f.bytes)
    }

    /// True when the shingles are on disk.
    pub fn shingles_spilled(&self) -> bool {
        self.spilled
            .as_ref()
            .is_some_and(|s| s.shingle_file.is_some())
    }

    /// Number of shingles (repeats included) kept for `doc`.
    pub fn shingle_count(&self, doc: u32) -> usize {
        let d = doc as usize;
        let start = if d == 0 { 0 } else { self.shingle_ends[d - 1] };
        self.shingle_ends[d] - start
    }

    /// The shingle hashes of `doc` in text order, repeats included (empty for a later exact copy, or
    /// when signatures are kept instead); read from the spill file when they are on disk (after
    /// [`SketchStore::seal`]).
    pub fn shingles(&self, doc: u32) -> Result<Cow<'_, [u64]>> {
        let d = doc as usize;
        let start = if d == 0 { 0 } else { self.shingle_ends[d - 1] };
        let end = self.shingle_ends[d];
        if start >= self.shingle_base {
            return Ok(Cow::Borrowed(
                &self.shingles[start - self.shingle_base..end - self.shingle_base],
            ));
        }
        let file = self
            .spilled
            .as_ref()
            .and_then(|s| s.shingle_file.as_ref())
            .expect("shingles before the base are in the spill file");
        let reader = file.reader.as_ref().ok_or_else(|| {
            Error::io(
                &file.path,
                std::io::Error::other("shingle spill file read before the store was sealed"),
            )
        })?;
        let mut bytes = vec![0u8; (end - start) * 8];
        crate::spill::read_at(reader, &mut bytes, start as u64 * 8)
            .map_err(|e| Error::io(&file.path, e))?;
        Ok(Cow::Owned(
            bytes
                .chunks_exact(8)
                .map(|c| u64::from_ne_bytes(c.try_into().expect("8 bytes")))
                .collect(),
        ))
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

    /// Estimated peak bytes the store held in memory, its buffers before they were spilled included.
    pub fn peak_memory_bytes(&self) -> u64 {
        self.peak_memory.max(self.memory_bytes())
    }

    /// Estimated bytes the store holds in memory now.
    pub fn memory_bytes(&self) -> u64 {
        let n = self.exact_first.len() as u64;
        // exact map entry (16 + 4, about 32 with the table's slack), link, offset
        n * (32 + 4 + 8)
            + (self.shingles.capacity() * 8) as u64
            + (self.bands.capacity() * 8) as u64
            + (self.signatures.capacity() * 4) as u64
    }
}

impl Drop for ShingleFile {
    fn drop(&mut self) {
        // The directory is removed at the end anyway; removing the file early frees the disk for
        // later stages' runs.
        self.writer = None;
        self.reader = None;
        if std::fs::remove_file(&self.path).is_ok() {
            self.dir.shrank(self.bytes);
        }
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
        assert_eq!(*store.shingles(0).unwrap(), [1, 2, 3]);
        assert_eq!(*store.shingles(1).unwrap(), [4]);
        assert!(store.shingles(2).unwrap().is_empty());
        assert_eq!(store.band(2, 0), 5);
        assert_eq!(store.signature(0), None);
    }
}
