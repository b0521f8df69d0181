//! The `dedup --semantic` job: inputs in, the same output folder as `dedup` out (`clusters.jsonl`,
//! `pairs.jsonl` with a `cosine` field, the deduplicated corpus, `summary.json`), committed with the
//! same protocol ([`crate::io::commit::run_committed`]).
//!
//! Memory, within the budget (`spill.budget`, `--memory`) but for the ids: per document one id,
//! 32 bytes of metadata and 4 bytes of exact group; per compared document 4 bytes of vector number;
//! an exact-key table (about 40 bytes per distinct text, freed after reading) and one batch of raw
//! records in flight. Of the budget:
//! - a quarter holds the vectors (`dims x 4` bytes each, 1 KiB with the 256-dimension model; see
//!   [`super::vectors`]). Past it they move to one file in the spill directory, are centred there,
//!   and are read back a block of at most a quarter of the budget at a time, by positioned reads:
//!   sequential blocks for the band keys; for verifying pairs, which are then sorted by tile, the
//!   tile's two blocks of half that many rows, one large read each; for first-match groups, per
//!   chunk the rows its records name (so a chunk is cut to half a block's rows);
//! - an eighth holds the band keys being sorted (16 bytes per vector per band: as many bands at
//!   once as fit, at least one), computed from one pass over the vectors per group of bands instead
//!   of a fingerprint kept per vector;
//! - half holds the candidate work, the one part that grows faster than the corpus (by chance
//!   collisions, about `n^2` pairs), the rest going to sorted runs in the spill directory (see
//!   [`super::candidates`]), merged by verification;
//! - then the verified edges (24 bytes each) and, for the guard, the first-match entries (8 bytes
//!   each up to an eighth of the budget, past it one sequential run in the spill directory) and,
//!   with the vectors on disk, a cache of the rows it verifies lazily (a quarter, the vectors' own
//!   share, which is free by then).
//!
//! So what stays beside the budget is about 40 bytes per document plus its id (as in `dedup`), and
//! one band's sort entries (16 bytes per vector) when even one does not fit. Disk: the vectors
//! (`dims x 4` bytes per compared document) and the candidate work's runs. With `exact` search two
//! blocks of vectors are held at once, each compared with the other. Outputs and every count but
//! `memory` and `timings_ms` are the same at any budget: the vectors on disk are the same `f32`
//! values, and chunks and band groups only change what is held at once. The kept records are copied
//! by a second pass over the inputs, as `dedup` does.

use super::candidates::{exact_pairs, find_candidates, verify_set};
use super::first_match::FirstMatch;
use super::guarded::guarded_positions;
use super::vectors::Vectors;
use super::{CandidateSearch, SemanticConfig};
use crate::cluster::UnionFind;
use crate::dedup::job::{
    skipped_by_reason, spool_once_read_inputs, write_clusters, write_deduped, ClusterCounts,
    DocMeta, InputSummary,
};
use crate::dedup::{Assignment, ClusterMode, JobOptions, PairKind, Reason};
use crate::embed::StaticModel;
use crate::error::{Error, Problem, ProblemKind, Result};
use crate::io::output::{create, ms, write_error, write_json, write_line};
use crate::io::{ingest, CorpusReader, Mapped, OnError};
use crate::progress::{Progress, Unit};
use crate::spill::{MemoryReport, SpillDir, StageMemory};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// What the job needs besides the parameters.
#[derive(Clone, Copy, Debug)]
pub struct SemanticJob<'a> {
    /// Inputs, output folder, bad-record policy, `--no-deduped`.
    pub options: &'a JobOptions,
    /// The semantic parameters.
    pub config: &'a SemanticConfig,
    /// The embedding model.
    pub model: &'a StaticModel,
}

/// Everything `summary.json` holds after `dedup --semantic`.
#[derive(Clone, Debug, Serialize)]
pub struct SemanticSummary {
    /// `dedup`.
    pub command: &'static str,
    /// `semantic` (plain `dedup` has no such field).
    pub mode: &'static str,
    /// overlap's version.
    pub version: &'static str,
    /// Document counts.
    pub documents: SemanticDocumentCounts,
    /// Cluster counts (`split_by_guard`: with `--clusters guarded`, the documents the guard kept
    /// that union-find over the same edges would have removed).
    pub clusters: ClusterCounts,
    /// Pair counts.
    pub pairs: SemanticPairCounts,
    /// The parameters of the run.
    pub parameters: SemanticParameters,
    /// One entry per input source.
    pub inputs: Vec<InputSummary>,
    /// Number of skipped records per reason.
    pub skipped_by_reason: BTreeMap<ProblemKind, u64>,
    /// Every skipped record, in input order.
    pub skipped: Vec<Problem>,
    /// The files written, `summary.json` last.
    pub outputs: Vec<String>,
    /// Wall-clock milliseconds per stage (varies between runs, like `threads` and `memory`).
    pub timings_ms: BTreeMap<&'static str, f64>,
    /// Worker threads used.
    pub threads: usize,
    /// Memory budget, peak RSS, estimated peaks and spill volume per stage (as in `dedup`).
    pub memory: MemoryReport,
}

/// Document counts. `read = accepted + skipped`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SemanticDocumentCounts {
    /// Records read.
    pub read: u64,
    /// Lines of `clusters.jsonl`.
    pub accepted: u64,
    /// Records skipped as bad.
    pub skipped: u64,
    /// Documents kept.
    pub kept: u64,
    /// Removed: same normalized text as an earlier document.
    pub removed_exact: u64,
    /// Removed: a semantic near-duplicate in an earlier document's cluster.
    pub removed_near: u64,
    /// Documents with no word: kept, each alone, never compared.
    pub empty: u64,
    /// Documents with words but no token the model knows: no vector, so compared with nothing (their
    /// exact copies are still found).
    pub without_known_tokens: u64,
    /// Documents whose vectors were compared (the first of each exact group, empty and unknown ones
    /// aside).
    pub compared: u64,
}

/// Pair counts.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SemanticPairCounts {
    /// LSH candidate comparisons (pairs plus first-match entries), or all pairs with `exact`.
    pub candidates: u64,
    /// Cosines computed.
    pub compared: u64,
    /// `near` lines of `pairs.jsonl`.
    pub near: u64,
    /// `exact` lines of `pairs.jsonl`.
    pub exact: u64,
    /// Largest LSH bucket (0 with `exact`).
    pub largest_bucket: u64,
    /// LSH buckets over 64 documents, whose members were verified against representatives.
    pub large_buckets: u64,
    /// Large-bucket members that verified against none of the representatives.
    pub unmatched_members: u64,
}

/// The parameters, as used.
#[derive(Clone, Debug, Serialize)]
pub struct SemanticParameters {
    /// The semantic parameters.
    #[serde(flatten)]
    pub config: SemanticConfig,
    /// LSH bands in use.
    pub lsh_bands: usize,
    /// Fingerprint bits.
    pub fingerprint_bits: usize,
    /// Probability that a pair exactly at the threshold becomes an LSH candidate.
    pub candidate_probability_at_threshold: f64,
    /// The model's folder, as given.
    pub model: String,
    /// Dimensions of its vectors.
    pub dims: usize,
    /// Id field.
    pub id_field: String,
    /// Text field.
    pub text_field: String,
    /// Bad-record policy.
    pub on_error: OnError,
    /// Record size limit in bytes.
    pub max_record_bytes: usize,
}

/// What the map stage makes of one text.
struct Embedded {
    exact: u128,
    words: usize,
    vector: Vec<f32>,
}

impl Mapped for Embedded {
    fn word_count(&self) -> usize {
        self.words
    }
}

/// Run `dedup --semantic`: read every input, embed, find exact and semantic near-duplicates, write
/// the outputs into `job.options.out_dir` (committed all or nothing) and return the summary. `extra`
/// adds files to the staging folder, as in [`crate::dedup::run_with`].
pub fn run_semantic<E: From<Error>>(
    job: SemanticJob<'_>,
    progress: &dyn Progress,
    extra: impl FnOnce(&Path) -> Result<Vec<String>, E>,
) -> Result<SemanticSummary, E> {
    job.config.validate()?;
    if job.options.output_format != crate::dedup::OutputFormat::Jsonl {
        return Err(Error::Config(
            "--semantic writes JSON Lines only (no --output-format parquet)".into(),
        )
        .into());
    }
    crate::io::commit::run_committed(
        &job.options.input,
        &job.options.out_dir,
        |reader, staging| stage(job, progress, reader, staging),
        |s: &mut SemanticSummary| &mut s.outputs,
        extra,
    )
}

fn stage(
    job: SemanticJob<'_>,
    progress: &dyn Progress,
    mut reader: CorpusReader,
    out: &Path,
) -> Result<SemanticSummary> {
    let (options, config, model) = (job.options, job.config, job.model);
    let started = Instant::now();
    let mut timings = BTreeMap::new();
    let budget = options.spill.budget;
    // Spill files go beside the staging folder (removed by the next run's cleanup after a kill) or
    // under `--tmp-dir`, as in `dedup`.
    let dir = Arc::new(SpillDir::for_job(
        &options.out_dir,
        options.spill.tmp_dir.as_deref(),
    ));
    let mut stages: BTreeMap<&'static str, StageMemory> = BTreeMap::new();
    if options.write_deduped {
        crate::io::parquet::check_same_schema(reader.sources())?;
    }
    // Inputs that cannot be read twice are spooled for the second pass, as in `dedup`.
    let (spools, spool_guards) = spool_once_read_inputs(&mut reader, out, options.write_deduped)?;

    // Stage 1: read, normalize (exact key) and embed.
    let t = Instant::now();
    let mut docs: Vec<DocMeta> = Vec::new();
    let mut exact_first: Vec<u32> = Vec::new();
    let mut groups: HashMap<u128, u32> = HashMap::new();
    // A quarter of the budget holds the vectors; past it they go to the spill directory.
    let mut vectors = Vectors::spilling(model.dims(), budget.share(1, 4), &dir);
    let (mut empty, mut unknown) = (0u64, 0u64);
    let normalization = config.normalization;
    let fix = config.fix_encoding;
    let map = |text: &str| {
        let text = if fix {
            crate::text::fix_mojibake(text)
        } else {
            std::borrow::Cow::Borrowed(text)
        };
        let tokens = crate::text::tokenize(&text, &normalization);
        Embedded {
            exact: crate::text::exact_key(&tokens),
            words: tokens.len(),
            vector: if tokens.is_empty() {
                Vec::new()
            } else {
                model.encode(&text)
            },
        }
    };
    let skipped = ingest(
        &mut reader,
        &options.input.fields,
        options.input.on_error,
        progress,
        map,
        |doc| {
            if docs.len() >= u32::MAX as usize {
                return Err(Error::TooManyDocuments);
            }
            let n = docs.len() as u32;
            let first = if doc.empty {
                empty += 1;
                n
            } else {
                *groups.entry(doc.value.exact).or_insert(n)
            };
            if first == n && !doc.empty && !vectors.push(n, &doc.value.vector)? {
                unknown += 1;
            }
            exact_first.push(first);
            docs.push(DocMeta {
                id: doc.id,
                source: doc.source,
                line: doc.line,
                empty: doc.empty,
            });
            Ok(())
        },
    )?;
    let distinct = groups.len() as u64;
    drop(groups);
    timings.insert("read_embed", ms(t));
    stages.insert(
        "read_embed",
        StageMemory {
            memory_estimate_bytes: vectors.memory_bytes() + docs.len() as u64 * 36 + distinct * 40,
            spilled_bytes: vectors.spilled_bytes(),
            spill_files: u64::from(vectors.is_spilled()),
            temp_disk_peak_bytes: dir.stage_peak(),
        },
    );

    // Stage 2: candidates (after centring, which needs every vector).
    let t = Instant::now();
    if config.raw {
        vectors.finish()?;
    } else {
        vectors.centre()?;
    }
    let guarded = config.clusters == ClusterMode::Guarded;
    let (mut verified, first_match, candidates, largest_bucket, large_buckets) = match config.search
    {
        CandidateSearch::Lsh => {
            progress.start("candidates", Some(config.lsh_bands() as u64), Unit::Steps);
            let set = find_candidates(
                &vectors,
                config,
                budget.share(1, 2),
                budget.share(1, 8),
                &dir,
                progress,
            )?;
            progress.finish();
            timings.insert("candidates", ms(t));
            stages.insert("candidates", set.memory);
            let (largest, large) = (set.largest_bucket, set.large_buckets);
            let t = Instant::now();
            let spilled = set.pairs.is_spilled() || set.first_match.is_spilled();
            let bound = set.pairs.len_bound() + set.first_match.len_bound();
            progress.start(
                if spilled {
                    "verify (spilled)"
                } else {
                    "verify"
                },
                Some(bound),
                Unit::Pairs,
            );
            // The guard verifies the representatives of first-match groups lazily.
            // An eighth of the budget keeps them in memory, past it on disk.
            let keep = guarded.then(|| budget.share(1, 8));
            // With the vectors on disk, an eighth sorts the first-match entries by tile.
            let sort = budget.share(1, 8);
            let v = verify_set(&vectors, set, config.threshold, keep, sort, &dir, progress)?;
            let chunk = super::candidates::verify_chunk(&vectors);
            // Tile blocks, the tile sort and the best match of each vector.
            let (chunk_rows, by_tiles) = if vectors.is_spilled() {
                (2 * chunk, sort + vectors.len() * 16)
            } else {
                (0, 0)
            };
            progress.finish();
            timings.insert("verify", ms(t));
            stages.insert(
                "verify",
                StageMemory {
                    memory_estimate_bytes: (chunk * 8
                        + chunk_rows * model.dims() * 4
                        + by_tiles
                        + v.verified.edges.len() * 24)
                        as u64
                        + v.first_match.memory_bytes(),
                    spilled_bytes: v.first_match.spilled_bytes(),
                    spill_files: u64::from(v.first_match.spilled_bytes() > 0),
                    temp_disk_peak_bytes: dir.stage_peak(),
                },
            );
            // Distinct candidate comparisons (pairs plus first-match entries), as without spilling.
            (v.verified, v.first_match, v.candidates, largest, large)
        }
        CandidateSearch::Exact => {
            let n = vectors.len() as u64;
            progress.start("compare", Some(n * n.saturating_sub(1) / 2), Unit::Pairs);
            let v = exact_pairs(&vectors, config.threshold, progress)?;
            progress.finish();
            timings.insert("candidates", 0.0);
            timings.insert("verify", ms(t));
            let c = v.compared;
            (v, FirstMatch::default(), c, 0, 0)
        }
    };

    // Stage 3: clusters.
    let t = Instant::now();
    // With the vectors on disk, a quarter of the budget caches the rows the guard asks about (the
    // vectors' own quarter is free by now).
    let guard_cache = budget.share(1, 4);
    let guarded_clusters = if guarded {
        dir.start_stage();
        let c = guarded_positions(
            &vectors,
            first_match,
            &mut verified,
            config.threshold,
            guard_cache,
        )?;
        let cache = if vectors.is_spilled() { guard_cache } else { 0 };
        stages.insert(
            "guard",
            StageMemory {
                memory_estimate_bytes: (vectors.len() * 4 + verified.edges.len() * 32 + cache)
                    as u64,
                temp_disk_peak_bytes: dir.stage_peak(),
                ..StageMemory::default()
            },
        );
        Some(c)
    } else {
        None
    };
    let edges: Vec<(u32, u32, f64)> = verified
        .edges
        .iter()
        .map(|e| {
            (
                vectors.doc(e.a as usize),
                vectors.doc(e.b as usize),
                e.cosine,
            )
        })
        .collect();
    let compared_docs = vectors.len() as u64;
    let components = assign(&exact_first, &edges);
    let (assignment, split_off) = match guarded_clusters {
        None => (components, 0),
        Some(positions) => {
            let a = assign_guarded(&exact_first, &vectors, &positions);
            let kept = |x: &Assignment| x.reason.iter().filter(|&&r| r == Reason::Unique).count();
            let split_off = (kept(&a) - kept(&components)) as u64;
            (a, split_off)
        }
    };
    drop(vectors);
    let pairs = pair_lines(&exact_first, &edges);
    timings.insert("cluster", ms(t));

    // Stage 4: outputs.
    let t = Instant::now();
    progress.start("write", Some(docs.len() as u64), Unit::Documents);
    let mut outputs = vec!["clusters.jsonl".to_string(), "pairs.jsonl".to_string()];
    write_clusters(&out.join("clusters.jsonl"), &docs, &assignment)?;
    write_pairs(&out.join("pairs.jsonl"), &docs, &pairs)?;
    if options.write_deduped {
        outputs.extend(write_deduped(
            out,
            reader.sources(),
            reader.stats(),
            &spools,
            &docs,
            &assignment,
            options.input.max_record_bytes,
            options.compression_level,
        )?);
    }
    progress.finish();
    outputs.push("summary.json".into());
    timings.insert("write", ms(t));
    timings.insert("total", ms(started));

    let count = |r: Reason| assignment.reason.iter().filter(|&&x| x == r).count() as u64;
    let accepted = docs.len() as u64;
    let kind_count = |k: PairKind| pairs.iter().filter(|p| p.3 == k).count() as u64;
    let summary = SemanticSummary {
        command: "dedup",
        mode: "semantic",
        version: env!("CARGO_PKG_VERSION"),
        documents: SemanticDocumentCounts {
            read: accepted + skipped.len() as u64,
            accepted,
            skipped: skipped.len() as u64,
            kept: count(Reason::Unique),
            removed_exact: count(Reason::Exact),
            removed_near: count(Reason::Near),
            empty,
            without_known_tokens: unknown,
            compared: compared_docs,
        },
        clusters: ClusterCounts::of(&assignment, split_off),
        pairs: SemanticPairCounts {
            candidates,
            compared: verified.compared,
            near: kind_count(PairKind::Near),
            exact: kind_count(PairKind::Exact),
            largest_bucket: largest_bucket as u64,
            large_buckets: large_buckets as u64,
            unmatched_members: verified.unmatched_members as u64,
        },
        parameters: SemanticParameters {
            config: config.clone(),
            lsh_bands: config.lsh_bands(),
            fingerprint_bits: config.fingerprint_bits(),
            candidate_probability_at_threshold: config.candidate_probability(config.threshold),
            model: model.dir().display().to_string(),
            dims: model.dims(),
            id_field: options.input.fields.id.clone(),
            text_field: options.input.fields.text.clone(),
            on_error: options.input.on_error,
            max_record_bytes: options.input.max_record_bytes,
        },
        inputs: InputSummary::of(&reader, &options.out_dir),
        skipped_by_reason: skipped_by_reason(&skipped),
        skipped,
        outputs,
        timings_ms: timings,
        threads: rayon::current_num_threads(),
        memory: MemoryReport::new(budget, &dir, stages),
    };
    drop(spool_guards);
    write_json(&out.join("summary.json"), &summary)?;
    Ok(summary)
}

/// Union-find over exact links and verified edges; the first document of each cluster is kept (the
/// rule of `dedup`'s `components`).
fn assign(exact_first: &[u32], edges: &[(u32, u32, f64)]) -> Assignment {
    let n = exact_first.len();
    let mut uf = UnionFind::new(n);
    for (doc, &first) in exact_first.iter().enumerate() {
        uf.union(first, doc as u32);
    }
    for &(a, b, _) in edges {
        uf.union(a, b);
    }
    let cluster = uf.representatives();
    let reason = (0..n)
        .map(|d| {
            if cluster[d] as usize == d {
                Reason::Unique
            } else if exact_first[d] as usize != d {
                Reason::Exact
            } else {
                Reason::Near
            }
        })
        .collect();
    Assignment { cluster, reason }
}

/// The guarded clusters of every document from those of the compared vectors (`positions`, see
/// [`guarded_positions`]): an exact copy follows the first document of its group, a document
/// without a vector is kept alone, and a compared one is in the cluster of the kept document its
/// vector joined.
fn assign_guarded(exact_first: &[u32], vectors: &Vectors, positions: &[u32]) -> Assignment {
    let n = exact_first.len();
    let mut cluster: Vec<u32> = (0..n as u32).collect();
    let mut reason = vec![Reason::Unique; n];
    let mut next = 0;
    for d in 0..n {
        let first = exact_first[d] as usize;
        if first != d {
            cluster[d] = cluster[first];
            reason[d] = Reason::Exact;
            continue;
        }
        if next < vectors.len() && vectors.doc(next) as usize == d {
            let kept = vectors.doc(positions[next] as usize);
            cluster[d] = kept;
            if kept as usize != d {
                reason[d] = Reason::Near;
            }
            next += 1;
        }
    }
    Assignment { cluster, reason }
}

/// Every exact copy with the first document of its group, and every verified edge, sorted by
/// `(a, b)`.
fn pair_lines(exact_first: &[u32], edges: &[(u32, u32, f64)]) -> Vec<(u32, u32, f64, PairKind)> {
    let mut pairs: Vec<(u32, u32, f64, PairKind)> = exact_first
        .iter()
        .enumerate()
        .filter(|&(d, &f)| f as usize != d)
        .map(|(d, &f)| (f, d as u32, 1.0, PairKind::Exact))
        .chain(edges.iter().map(|&(a, b, c)| (a, b, c, PairKind::Near)))
        .collect();
    pairs.sort_unstable_by_key(|p| (p.0, p.1));
    pairs
}

#[derive(Serialize)]
struct PairLine<'a> {
    a: &'a str,
    b: &'a str,
    cosine: f64,
    kind: PairKind,
}

fn write_pairs(path: &Path, docs: &[DocMeta], pairs: &[(u32, u32, f64, PairKind)]) -> Result<()> {
    let mut w = create(path)?;
    for &(a, b, cosine, kind) in pairs {
        let line = PairLine {
            a: &docs[a as usize].id,
            b: &docs[b as usize].id,
            cosine,
            kind,
        };
        write_line(&mut w, path, &line)?;
    }
    w.flush().map_err(|e| write_error(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clusters_follow_exact_links_and_edges() {
        // 0 and 2 are exact copies; 1 is semantically near 0; 3 alone.
        let exact_first = [0, 1, 0, 3];
        let edges = [(0, 1, 0.95)];
        let a = assign(&exact_first, &edges);
        assert_eq!(a.cluster, [0, 0, 0, 3]);
        assert_eq!(
            a.reason,
            [Reason::Unique, Reason::Near, Reason::Exact, Reason::Unique]
        );
        let p = pair_lines(&exact_first, &edges);
        assert_eq!(
            p,
            [(0, 1, 0.95, PairKind::Near), (0, 2, 1.0, PairKind::Exact)]
        );
    }
}
