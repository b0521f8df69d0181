//! Exporting MinHash signatures: the sketch stage on its own, for use by other systems (a Spark job,
//! an external index) and for measuring the sketch stage's throughput.
//!
//! Memory: one batch in flight; signatures are streamed to the output.

use super::DedupConfig;
use crate::error::{Problem, Result};
use crate::io::{ingest, BlockWriter, Compression, CorpusReader, FieldNames, Mapped, OnError};
use crate::progress::Progress;
use crate::sketch::MinHasher;
use crate::text::{exact_key, shingle_hashes, tokenize_into, Tokens};
use serde::Serialize;
use std::cell::RefCell;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Time spent per step, summed over all documents and threads, and the volume processed.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SketchStats {
    /// Documents sketched.
    pub documents: u64,
    /// Of them, documents with no word after normalization (their line says `"empty": true`).
    pub empty: u64,
    /// Bad records skipped.
    pub skipped: Vec<Problem>,
    /// Word tokens.
    pub tokens: u64,
    /// Shingles (word n-grams, repeats included, summed over documents).
    pub shingles: u64,
    /// Seconds normalizing and tokenizing.
    pub tokenize_s: f64,
    /// Seconds hashing shingles.
    pub shingle_s: f64,
    /// Seconds computing MinHash signatures from shingle sets.
    pub minhash_s: f64,
    /// Wall-clock seconds for the whole run, reading and writing included.
    pub wall_s: f64,
}

struct Signed {
    exact: u128,
    tokens: usize,
    shingles: usize,
    signature: Vec<u32>,
}

impl Mapped for Signed {
    fn word_count(&self) -> usize {
        self.tokens
    }
}

#[derive(Serialize)]
struct Line<'a> {
    id: &'a str,
    exact: String,
    signature: &'a [u32],
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    empty: bool,
}

thread_local! {
    static SCRATCH: RefCell<(Tokens, Vec<u64>)> = RefCell::new(Default::default());
}

/// Sketch every document of `reader` and write one JSON line per document to `out`:
/// `{"id", "exact" (32 hex digits), "signature" (num_perm integers)}`, compressed by `compression`.
pub fn export_signatures(
    reader: &mut CorpusReader,
    fields: &FieldNames,
    on_error: OnError,
    config: &DedupConfig,
    out: &Path,
    compression: Compression,
    progress: &dyn Progress,
) -> Result<SketchStats> {
    config.validate()?;
    let started = Instant::now();
    let hasher = MinHasher::new(config.num_perm, config.seed, config.scheme);
    let nanos = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];
    let io = |e: std::io::Error| crate::io::output::write_error(out, e);
    let mut w = BlockWriter::new(crate::io::output::create(out)?, compression);
    let mut stats = SketchStats::default();
    let map = |text: &str| {
        SCRATCH.with(|s| {
            let (tokens, shingles) = &mut *s.borrow_mut();
            let t0 = Instant::now();
            tokenize_into(text, &config.normalization, tokens);
            let t1 = Instant::now();
            shingles.clear();
            shingle_hashes(tokens, config.ngram, shingles);
            let t2 = Instant::now();
            let signature = hasher.signature(shingles);
            let t3 = Instant::now();
            for (n, d) in nanos.iter().zip([t1 - t0, t2 - t1, t3 - t2]) {
                n.fetch_add(d.as_nanos() as u64, Ordering::Relaxed);
            }
            Signed {
                exact: exact_key(tokens),
                tokens: tokens.len(),
                shingles: shingles.len(),
                signature,
            }
        })
    };
    stats.skipped = ingest(reader, fields, on_error, progress, map, |doc| {
        stats.documents += 1;
        stats.empty += u64::from(doc.empty);
        stats.tokens += doc.value.tokens as u64;
        stats.shingles += doc.value.shingles as u64;
        let line = Line {
            id: &doc.id,
            exact: format!("{:032x}", doc.value.exact),
            signature: &doc.value.signature,
            empty: doc.empty,
        };
        serde_json::to_writer(&mut w, &line).map_err(|e| io(e.into()))?;
        w.write_all(b"\n").map_err(io)
    })?;
    w.finish().and_then(|mut f| f.flush()).map_err(io)?;
    let secs = |i: usize| nanos[i].load(Ordering::Relaxed) as f64 / 1e9;
    stats.tokenize_s = secs(0);
    stats.shingle_s = secs(1);
    stats.minhash_s = secs(2);
    stats.wall_s = started.elapsed().as_secs_f64();
    Ok(stats)
}
