//! Same-story links by meaning (`reuse --same-story`, off by default): documents of one story that
//! share little text, found by their embeddings, reported in `same_story.jsonl` apart from the
//! text-reuse pairs. Shared text stays the definition of `related`: these links change neither
//! `pairs.jsonl` nor `stories.jsonl`.
//!
//! The machinery is `dedup --semantic`'s ([`crate::dedup::semantic`]): each document's static-model
//! embedding, centred on the corpus mean, random-hyperplane LSH candidates, cosine verification. A
//! pair at or above the threshold that is not a related pair of `pairs.jsonl` is written, sorted by
//! input order; pairs that are both are only counted.
//!
//! Memory: one vector per non-empty document (`dims x 4` bytes), the LSH's candidate work, and the
//! links.

use crate::dedup::semantic::{candidate_work, verify_work, SemanticConfig, Vectors};
use crate::embed::StaticModel;
use crate::error::Result;
use crate::io::output::{create, write_error, write_line};
use crate::progress::{Progress, Unit};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

/// The output file.
pub const FILE: &str = "same_story.jsonl";

/// Default cosine (of centred document vectors) for a same-story link, as `dedup --semantic`'s: on
/// BBC News the pairs it adds to text reuse at 0.85 are often one topic on other days (monthly house
/// prices, different fixtures), fewer at 0.9 (`bench/RESULTS.md`).
pub const DEFAULT_THRESHOLD: f64 = 0.9;

/// What `reuse --same-story` needs.
#[derive(Clone, Debug)]
pub struct SameStory<'a> {
    /// The embedding model.
    pub model: &'a StaticModel,
    /// Cosine at or above which two documents are linked.
    pub threshold: f64,
}

/// Counts for `summary.json`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SameStoryCounts {
    /// The threshold used.
    pub threshold: f64,
    /// Documents embedded (the non-empty ones with a token the model knows).
    pub documents: u64,
    /// LSH candidate comparisons.
    pub candidates: u64,
    /// Pairs at or above the threshold.
    pub pairs: u64,
    /// Of those, pairs that are related by shared text too (in `pairs.jsonl`, not repeated).
    pub also_related: u64,
    /// Lines of `same_story.jsonl`: linked by meaning, not by shared text.
    pub without_shared_text: u64,
}

#[derive(Serialize)]
struct Line<'a> {
    a: &'a str,
    b: &'a str,
    cosine: f64,
}

/// Embed the documents (`(id, empty)` in input order, each text read through `text`, so a spooled
/// corpus is read back one document at a time; empty ones take no part), link the pairs at the
/// threshold, and write those not in `related` (document numbers) to `out/FILE`. Memory: one vector
/// (4 bytes per dimension) per document.
pub fn write<'t>(
    out: &Path,
    job: &SameStory<'_>,
    docs: &[(&str, bool)],
    text: &(dyn Fn(usize) -> Result<std::borrow::Cow<'t, str>> + Sync),
    related: &[(u32, u32)],
    progress: &dyn Progress,
) -> Result<SameStoryCounts> {
    progress.start("same story", None, Unit::Steps);
    let vectors: Vec<Option<Vec<f32>>> = docs
        .par_iter()
        .enumerate()
        .map(|(d, &(_, e))| {
            (!e).then(|| text(d).map(|t| job.model.encode(&t)))
                .transpose()
        })
        .collect::<Result<_>>()?;
    let mut set = Vectors::new(job.model.dims());
    for (d, v) in vectors.iter().enumerate() {
        if let Some(v) = v {
            set.push(d as u32, v)?;
        }
    }
    drop(vectors);
    set.centre()?;
    let config = SemanticConfig {
        threshold: job.threshold,
        ..SemanticConfig::default()
    };
    config.validate()?;
    let work = candidate_work(&set, &config, &crate::progress::NoProgress)?;
    let verified = verify_work(&set, &work, config.threshold, &crate::progress::NoProgress)?;
    progress.finish();
    let related: HashSet<(u32, u32)> = related.iter().map(|&(a, b)| (a.min(b), a.max(b))).collect();
    let path = out.join(FILE);
    let mut w = create(&path)?;
    let mut counts = SameStoryCounts {
        threshold: job.threshold,
        documents: set.len() as u64,
        candidates: work.len() as u64,
        pairs: verified.edges.len() as u64,
        ..SameStoryCounts::default()
    };
    for e in &verified.edges {
        let (a, b) = (set.doc(e.a as usize), set.doc(e.b as usize));
        if related.contains(&(a, b)) {
            counts.also_related += 1;
            continue;
        }
        counts.without_shared_text += 1;
        let line = Line {
            a: docs[a as usize].0,
            b: docs[b as usize].0,
            cosine: e.cosine,
        };
        write_line(&mut w, &path, &line)?;
    }
    w.flush().map_err(|e| write_error(&path, e))?;
    Ok(counts)
}
