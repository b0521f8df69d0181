//! The end-to-end dedup job: inputs in, output folder out.
//!
//! Memory: the [`SketchStore`] (see its module), one id per document (about 40 bytes plus the id's
//! length), one batch of raw records in flight, the candidate work and the verified edges (16 bytes
//! each). The kept records are copied by a second pass over the inputs rather than held. The budget
//! (`spill.budget`) is shared out: half for shingles in the store, a quarter for band keys, a quarter
//! for candidate pairs and first-match entries, and later half for the shingle sets of a
//! verification chunk (the band keys are freed by then). Spill files live in the spill directory
//! (see [`crate::spill::SpillDir`]). When nothing spilled, verification and clustering run the
//! in-memory functions ([`verify_candidates`], [`assign_guarded`]) on the candidates.

use super::{
    assign_clusters, assign_guarded, assign_guarded_entries, duplicate_pairs, find_candidates,
    verify_candidate_set, verify_candidates, Assignment, CandidateSet, Candidates, ClusterMode,
    DedupConfig, DuplicatePair, Reason, Similarity, SketchStore, Sketcher, StoreLimits,
};
use crate::error::{Error, Problem, ProblemKind, Result};
use crate::io::output::{create, ms, read_or_write_error, write_error, write_json, write_line};
use crate::io::{
    copy_lines, decompress, ingest, BlockWriter, Compression, CorpusInput, CorpusReader, Format,
    Location, OnError, Source, SourceStats,
};
use crate::progress::{Progress, Unit};
use crate::sketch::LshParams;
use crate::spill::{MemoryReport, SpillDir, SpillOptions, StageMemory};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Where the job reads and writes, and how it treats bad input.
#[derive(Clone, Debug)]
pub struct JobOptions {
    /// The documents, and the bad-record policy.
    pub input: CorpusInput,
    /// The output folder (created if missing).
    pub out_dir: PathBuf,
    /// Write the deduplicated corpus (default: true).
    pub write_deduped: bool,
    /// Also write the result tables as Parquet (default: JSON Lines only).
    pub output_format: super::OutputFormat,
    /// Memory budget and spill directory.
    pub spill: SpillOptions,
    /// Compression level of the deduplicated corpus (`None`: [`Compression::default_level`]); a
    /// level outside the format's range is clamped to it.
    pub compression_level: Option<u32>,
}

impl JobOptions {
    /// Options with defaults for everything but the inputs and the output folder.
    pub fn new(inputs: Vec<String>, out_dir: impl Into<PathBuf>) -> Self {
        JobOptions {
            input: CorpusInput::new(inputs),
            out_dir: out_dir.into(),
            write_deduped: true,
            output_format: super::OutputFormat::Jsonl,
            spill: SpillOptions::default(),
            compression_level: None,
        }
    }
}

/// Everything `summary.json` holds.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// The job that wrote it: `dedup`.
    pub command: &'static str,
    /// overlap's version.
    pub version: &'static str,
    /// Document counts.
    pub documents: DocumentCounts,
    /// Cluster counts.
    pub clusters: ClusterCounts,
    /// Pair counts.
    pub pairs: PairCounts,
    /// The parameters of the run.
    pub parameters: Parameters,
    /// One entry per input source.
    pub inputs: Vec<InputSummary>,
    /// Number of skipped records per reason.
    pub skipped_by_reason: BTreeMap<ProblemKind, u64>,
    /// Every skipped record, in input order.
    pub skipped: Vec<Problem>,
    /// The files written, relative to the output folder.
    pub outputs: Vec<String>,
    /// Wall-clock milliseconds per stage. These (and `threads`) are the only fields that vary between
    /// runs on the same input.
    pub timings_ms: BTreeMap<&'static str, f64>,
    /// Worker threads used.
    pub threads: usize,
    /// Memory budget, measured peak RSS, estimated peaks and spill volume per stage (varies between
    /// runs, budgets and machines, like `timings_ms`).
    pub memory: MemoryReport,
}

/// Document counts. `read = accepted + skipped`: every record is in `clusters.jsonl` or `skipped`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DocumentCounts {
    /// Records read, good or bad (plus one per truncated input).
    pub read: u64,
    /// Records deduplicated: the lines of `clusters.jsonl`.
    pub accepted: u64,
    /// Records skipped as bad.
    pub skipped: u64,
    /// Documents kept.
    pub kept: u64,
    /// Documents removed as exact duplicates.
    pub removed_exact: u64,
    /// Documents removed as near duplicates.
    pub removed_near: u64,
    /// Documents shorter than one shingle, which were shingled whole (empty ones not included).
    pub shorter_than_ngram: u64,
    /// Documents with no word after normalization: accepted, kept each alone, never compared.
    pub empty: u64,
}

/// Cluster counts.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ClusterCounts {
    /// All clusters, singletons included (equals `documents.kept`).
    pub total: u64,
    /// Clusters with more than one document.
    pub with_duplicates: u64,
    /// Size of the largest cluster.
    pub largest: u64,
    /// Documents the chain guard (`--clusters guarded`) kept apart that union-find over the same
    /// verified pairs would have removed (0 with `components`).
    pub split_by_guard: u64,
}

/// Pair counts.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PairCounts {
    /// Distinct candidate pairs from LSH.
    pub candidates: u64,
    /// Candidates at or above the threshold (`near` lines of `pairs.jsonl`).
    pub near: u64,
    /// Exact-copy edges (`exact` lines of `pairs.jsonl`).
    pub exact: u64,
    /// Largest LSH bucket.
    pub largest_bucket: u64,
    /// Buckets too large to give all their pairs: their members are verified against a few
    /// representatives instead.
    pub large_buckets: u64,
    /// Members of large buckets that verified against none of the representatives.
    pub unmatched_members: u64,
}

/// The parameters, as used.
#[derive(Clone, Debug, Serialize)]
pub struct Parameters {
    /// Dedup parameters.
    #[serde(flatten)]
    pub config: DedupConfig,
    /// Bands and rows in use.
    pub bands: usize,
    /// Rows per band.
    pub rows: usize,
    /// Weight of false negatives in the choice of bands and rows.
    pub false_negative_weight: f64,
    /// Area of false positives under the S-curve.
    pub false_positive_area: f64,
    /// Area of false negatives under the S-curve.
    pub false_negative_area: f64,
    /// Id field.
    pub id_field: String,
    /// Text field.
    pub text_field: String,
    /// Bad-record policy.
    pub on_error: OnError,
    /// Record size limit in bytes.
    pub max_record_bytes: usize,
}

/// One input source in the summary.
#[derive(Clone, Debug, Serialize)]
pub struct InputSummary {
    /// As named.
    pub path: String,
    /// JSON Lines or text.
    pub format: Format,
    /// Compression found.
    pub compression: Compression,
    /// Records read.
    pub records: u64,
    /// Whitespace-only lines (not records).
    pub blank_lines: u64,
    /// What was tolerated while reading it (such as zero padding after gzip data); absent if none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The input's path relative to the output folder, so that the folder finds its inputs from
    /// any working directory; absent for standard input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_out: Option<String>,
}

struct ReadState {
    store: SketchStore,
    docs: Vec<DocMeta>,
    skipped: Vec<Problem>,
    short: u64,
    empty: u64,
}

/// Per-document bookkeeping besides the sketch.
pub(super) struct DocMeta {
    pub(super) id: String,
    pub(super) source: u32,
    pub(super) line: u64,
    /// No word after normalization: kept, alone, never compared.
    pub(super) empty: bool,
}

/// Run the dedup job: read every input, find exact and near duplicates, write the outputs into
/// `options.out_dir`, and return the summary (also written as `summary.json`).
///
/// The outputs are committed all or nothing (see [`crate::io::commit`]); an output folder that
/// would destroy or re-read an input is refused before anything is written.
pub fn run(options: &JobOptions, config: &DedupConfig, progress: &dyn Progress) -> Result<Summary> {
    run_with(options, config, progress, |_| Ok(Vec::new()))
}

/// [`run`], with more outputs committed together with the job's: `extra` is called with the staging
/// folder, which then holds every output and `summary.json`, writes its files there (the HTML
/// report of `dedup --report`) and returns their names, which `summary.json` then lists.
pub fn run_with<E: From<Error>>(
    options: &JobOptions,
    config: &DedupConfig,
    progress: &dyn Progress,
    extra: impl FnOnce(&Path) -> Result<Vec<String>, E>,
) -> Result<Summary, E> {
    config.validate()?;
    options.output_format.validate()?;
    crate::io::commit::run_committed(
        &options.input,
        &options.out_dir,
        |reader, staging| stage(options, config, progress, reader, staging),
        |s: &mut Summary| &mut s.outputs,
        extra,
    )
}

/// The job, writing every output into `out` (the staging folder).
fn stage(
    options: &JobOptions,
    config: &DedupConfig,
    progress: &dyn Progress,
    mut reader: CorpusReader,
    out: &Path,
) -> Result<Summary> {
    let started = Instant::now();
    let mut timings = BTreeMap::new();
    let budget = options.spill.budget;
    // Spill files go beside the staging folder (`<out>/.overlap-tmp-spill-*`, removed by the next
    // run's cleanup after a kill) or under `--tmp-dir`.
    let dir = Arc::new(SpillDir::for_job(
        &options.out_dir,
        options.spill.tmp_dir.as_deref(),
    ));
    let mut stages: BTreeMap<&'static str, StageMemory> = BTreeMap::new();
    let sketcher = Sketcher::new(config);
    if options.write_deduped {
        crate::io::parquet::check_same_schema(reader.sources())?;
    }
    let (spools, _spool_guards) = spool_once_read_inputs(&mut reader, out, options.write_deduped)?;

    // Stage 1: read, parse and sketch.
    let t = Instant::now();
    let mut state = ReadState {
        store: SketchStore::with_limits(
            !config.verify,
            StoreLimits {
                shingle_bytes: budget.share(1, 2),
                band_bytes: budget.share(1, 4),
                dir: Arc::clone(&dir),
            },
        ),
        docs: Vec::new(),
        skipped: Vec::new(),
        short: 0,
        empty: 0,
    };
    state.skipped = ingest(
        &mut reader,
        &options.input.fields,
        options.input.on_error,
        progress,
        |text| sketcher.sketch(text),
        |doc| {
            if state.store.is_full() {
                return Err(Error::TooManyDocuments);
            }
            if doc.empty {
                state.empty += 1;
                state.store.push_alone(doc.value);
            } else {
                if doc.value.tokens < config.ngram {
                    state.short += 1;
                }
                state.store.push(doc.value);
            }
            state.store.spill_if_needed()?;
            state.docs.push(DocMeta {
                id: doc.id,
                source: doc.source,
                line: doc.line,
                empty: doc.empty,
            });
            Ok(())
        },
    )?;
    state.store.seal()?;
    stages.insert(
        "read_sketch",
        StageMemory {
            memory_estimate_bytes: state.store.peak_memory_bytes()
                + state
                    .docs
                    .iter()
                    .map(|d| 40 + d.id.len() as u64)
                    .sum::<u64>(),
            spilled_bytes: state.store.shingle_spilled_bytes() + state.store.band_spilled_bytes(),
            spill_files: state.store.spill_files(),
            temp_disk_peak_bytes: dir.stage_peak(),
        },
    );
    timings.insert("read_sketch", ms(t));

    // Stage 2: candidates (merging the band-key runs when the store spilled them).
    let t = Instant::now();
    let stage_name = if state.store.bands_spilled() {
        "candidates (merge)"
    } else {
        "candidates"
    };
    progress.start(
        stage_name,
        Some(state.store.bands_per_doc() as u64),
        Unit::Steps,
    );
    // Empty documents share the sketch of the empty text, so LSH could pair them with each other;
    // they are never compared (the empty-document rule), so such pairs are dropped before
    // verification.
    let empty: Vec<bool> = if state.empty > 0 {
        state.docs.iter().map(|d| d.empty).collect()
    } else {
        Vec::new()
    };
    let excluded = |d: u32| empty.get(d as usize).copied().unwrap_or(false);
    let set = find_candidates(
        &mut state.store,
        budget.share(1, 4),
        &excluded,
        &dir,
        progress,
    )?;
    drop(empty);
    progress.finish();
    stages.insert("candidates", set.memory);
    let (largest_bucket, large_buckets) = (set.largest_bucket, set.large_buckets);
    timings.insert("candidates", ms(t));

    // Stages 3 and 4: verification and clusters, in memory when everything fits, else streaming
    // the candidate work from its runs and the shingles from their spill file.
    let guarded = config.clusters == ClusterMode::Guarded;
    let (verified, assignment, split_off, candidate_count) =
        if set.is_spilled() || state.store.shingles_spilled() {
            let t = Instant::now();
            progress.start("verify (spilled)", Some(set.len_bound()), Unit::Pairs);
            let v = verify_candidate_set(
                &state.store,
                set,
                config.threshold,
                budget.share(1, 2),
                guarded,
                &dir,
                progress,
            )?;
            progress.finish();
            stages.insert("verify", v.memory);
            timings.insert("verify", ms(t));
            let t = Instant::now();
            let mut verified = v.verified;
            let (assignment, split_off) = if guarded {
                let g = assign_guarded_entries(
                    &state.store,
                    &v.entries,
                    &mut verified,
                    &Similarity::lazy(&state.store),
                    config.threshold,
                )?;
                (g.assignment, g.split_off)
            } else {
                (assign_clusters(&state.store, &verified.edges), 0)
            };
            timings.insert("cluster", ms(t));
            (verified, assignment, split_off, v.candidates)
        } else {
            let candidates = in_memory(set);
            let t = Instant::now();
            progress.start("verify", Some(candidates.len() as u64), Unit::Pairs);
            let (mut verified, similarity) =
                verify_candidates(&state.store, &candidates, config.threshold, progress);
            progress.finish();
            stages.insert(
                "verify",
                StageMemory {
                    memory_estimate_bytes: state.store.memory_bytes()
                        + candidates.len() as u64 * 8
                        + similarity.memory_bytes()
                        + verified.edges.len() as u64 * 16,
                    temp_disk_peak_bytes: dir.disk_now(),
                    ..StageMemory::default()
                },
            );
            timings.insert("verify", ms(t));
            let t = Instant::now();
            let (assignment, split_off) = match config.clusters {
                ClusterMode::Components => (assign_clusters(&state.store, &verified.edges), 0),
                ClusterMode::Guarded => {
                    let g = assign_guarded(
                        &state.store,
                        &candidates,
                        &mut verified,
                        &similarity,
                        config.threshold,
                    );
                    (g.assignment, g.split_off)
                }
            };
            timings.insert("cluster", ms(t));
            drop(similarity);
            (verified, assignment, split_off, candidates.len() as u64)
        };
    let t = Instant::now();
    let pairs = duplicate_pairs(&state.store, &verified.edges);
    *timings.entry("cluster").or_insert(0.0) += ms(t);

    // Stage 5: outputs.
    let t = Instant::now();
    progress.start("write", Some(state.docs.len() as u64), Unit::Documents);
    let mut outputs = vec!["clusters.jsonl".to_string(), "pairs.jsonl".to_string()];
    write_clusters(&out.join("clusters.jsonl"), &state.docs, &assignment)?;
    write_pairs(&out.join("pairs.jsonl"), &state.docs, &pairs, config.verify)?;
    if options.output_format == super::OutputFormat::Parquet {
        let ids: Vec<&str> = state.docs.iter().map(|d| d.id.as_str()).collect();
        outputs.extend(super::tables::write_parquet_tables(
            out,
            &ids,
            &assignment,
            &pairs,
            config.verify,
        )?);
    }
    if options.write_deduped {
        outputs.extend(write_deduped(
            out,
            reader.sources(),
            reader.stats(),
            &spools,
            &state.docs,
            &assignment,
            options.input.max_record_bytes,
            options.compression_level,
        )?);
    }
    progress.finish();
    outputs.push("summary.json".into());
    timings.insert("write", ms(t));
    timings.insert("total", ms(started));

    let lsh = sketcher.lsh();
    let memory = MemoryReport::new(budget, &dir, stages);
    drop(dir);
    let counts = CandidateCounts {
        candidates: candidate_count,
        largest_bucket,
        large_buckets,
        unmatched_members: verified.unmatched_members,
        split_off,
    };
    let summary = build_summary(
        options,
        config,
        lsh,
        &reader,
        state,
        &assignment,
        &pairs,
        counts,
        outputs,
        timings,
        memory,
    );
    write_json(&out.join("summary.json"), &summary)?;
    Ok(summary)
}

#[derive(Serialize)]
struct ClusterLine<'a> {
    id: &'a str,
    cluster: &'a str,
    kept: bool,
    reason: Reason,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    empty: bool,
}

pub(super) fn write_clusters(path: &Path, docs: &[DocMeta], assignment: &Assignment) -> Result<()> {
    let mut w = create(path)?;
    let io = |e: std::io::Error| write_error(path, e);
    for (i, doc) in docs.iter().enumerate() {
        let line = ClusterLine {
            id: &doc.id,
            cluster: &docs[assignment.cluster[i] as usize].id,
            kept: assignment.reason[i] == Reason::Unique,
            reason: assignment.reason[i],
            empty: doc.empty,
        };
        write_line(&mut w, path, &line)?;
    }
    w.flush().map_err(io)
}

#[derive(Serialize)]
struct PairLine<'a> {
    a: &'a str,
    b: &'a str,
    jaccard: f64,
    kind: super::PairKind,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    estimated: bool,
}

fn write_pairs(
    path: &Path,
    docs: &[DocMeta],
    pairs: &[DuplicatePair],
    verified: bool,
) -> Result<()> {
    let mut w = create(path)?;
    let io = |e: std::io::Error| write_error(path, e);
    for p in pairs {
        let line = PairLine {
            a: &docs[p.a as usize].id,
            b: &docs[p.b as usize].id,
            jaccard: p.jaccard,
            kind: p.kind,
            estimated: !verified && p.kind == super::PairKind::Near,
        };
        write_line(&mut w, path, &line)?;
    }
    w.flush().map_err(io)
}

/// Copy the kept records, unchanged, in input order: JSONL records into one `deduped.jsonl[.gz|.zst]`
/// (compressed like the inputs when they agree, gzip when they do not), text documents into
/// `deduped/` under their ids. Returns the names written.
#[allow(clippy::too_many_arguments)]
pub(super) fn write_deduped(
    out: &Path,
    sources: &[Source],
    stats: &[SourceStats],
    spools: &[Option<PathBuf>],
    docs: &[DocMeta],
    assignment: &Assignment,
    max_record_bytes: usize,
    level: Option<u32>,
) -> Result<Vec<String>> {
    let mut kept_lines: Vec<Vec<u64>> = vec![Vec::new(); sources.len()];
    for (i, doc) in docs.iter().enumerate() {
        if assignment.kept(i as u32) {
            kept_lines[doc.source as usize].push(doc.line);
        }
    }
    let mut written = Vec::new();
    let jsonl: Vec<usize> = (0..sources.len())
        .filter(|&s| sources[s].format == Format::Jsonl)
        .collect();
    if !jsonl.is_empty() {
        let compression = output_compression(sources, stats, &jsonl);
        let name = format!("deduped.jsonl{}", compression.extension());
        let path = out.join(&name);
        let io = |e: std::io::Error| write_error(&path, e);
        let mut w = BlockWriter::with_level(create(&path)?, compression, level);
        for &s in &jsonl {
            let (mut reader, _) = open_again(&sources[s], spools[s].as_deref())?;
            copy_lines(&mut reader, &kept_lines[s], max_record_bytes, &mut w)
                .map_err(|e| read_or_write_error(&sources[s].name, e))?;
        }
        w.finish().and_then(|mut f| f.flush()).map_err(io)?;
        written.push(name);
    }
    written.extend(crate::io::parquet::write_kept_rows(
        out,
        sources,
        &kept_lines,
    )?);
    for (s, source) in sources.iter().enumerate() {
        if source.format != Format::Text || kept_lines[s].is_empty() {
            continue;
        }
        let id = source.text_id.as_deref().unwrap_or("-");
        let target = out
            .join("deduped")
            .join(crate::io::ids::id_to_relative_path(id));
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::output("creating", parent, e))?;
        }
        let (mut reader, _) = open_again(source, spools[s].as_deref())?;
        let mut w = create(&target)?;
        std::io::copy(&mut reader, &mut w).map_err(|e| read_or_write_error(&source.name, e))?;
        w.flush().map_err(|e| write_error(&target, e))?;
        if !written.iter().any(|w| w == "deduped/") {
            written.push("deduped/".into());
        }
    }
    Ok(written)
}

/// The compression of the JSONL inputs (as found while reading them) when they agree, gzip when
/// they do not; standard input counts as plain.
fn output_compression(sources: &[Source], stats: &[SourceStats], jsonl: &[usize]) -> Compression {
    let mut found = None;
    for &s in jsonl {
        let c = match &sources[s].location {
            Location::Stdin => Compression::None,
            Location::Path(_) => stats[s].compression,
        };
        match found {
            None => found = Some(c),
            Some(prev) if prev != c => return Compression::Gzip,
            _ => {}
        }
    }
    found.unwrap_or(Compression::Gzip)
}

/// Open a source for the second pass: its spool copy if it had to be spooled, else the file.
fn open_again(
    source: &Source,
    spool: Option<&Path>,
) -> Result<(Box<dyn std::io::BufRead + Send>, Compression)> {
    let path: &Path = match (&source.location, spool) {
        (_, Some(spool)) => spool,
        (Location::Path(p), None) => p,
        (Location::Stdin, None) => {
            return Err(Error::io(
                "-",
                std::io::Error::other("standard input was not spooled"),
            ))
        }
    };
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    decompress(file).map_err(|e| Error::io(path, e))
}

#[allow(clippy::too_many_arguments)]
fn build_summary(
    options: &JobOptions,
    config: &DedupConfig,
    lsh: LshParams,
    reader: &CorpusReader,
    state: ReadState,
    assignment: &Assignment,
    pairs: &[DuplicatePair],
    counts: CandidateCounts,
    outputs: Vec<String>,
    timings: BTreeMap<&'static str, f64>,
    memory: MemoryReport,
) -> Summary {
    let count = |r: Reason| assignment.reason.iter().filter(|&&x| x == r).count() as u64;
    let accepted = state.docs.len() as u64;
    let skipped = state.skipped.len() as u64;
    Summary {
        command: "dedup",
        version: env!("CARGO_PKG_VERSION"),
        documents: DocumentCounts {
            read: accepted + skipped,
            accepted,
            skipped,
            kept: count(Reason::Unique),
            removed_exact: count(Reason::Exact),
            removed_near: count(Reason::Near),
            shorter_than_ngram: state.short,
            empty: state.empty,
        },
        clusters: ClusterCounts::of(assignment, counts.split_off),
        pairs: PairCounts {
            candidates: counts.candidates,
            near: pairs
                .iter()
                .filter(|p| p.kind == super::PairKind::Near)
                .count() as u64,
            exact: pairs
                .iter()
                .filter(|p| p.kind == super::PairKind::Exact)
                .count() as u64,
            largest_bucket: counts.largest_bucket as u64,
            large_buckets: counts.large_buckets as u64,
            unmatched_members: counts.unmatched_members as u64,
        },
        parameters: Parameters {
            config: config.clone(),
            bands: lsh.bands,
            rows: lsh.rows,
            false_negative_weight: config.effective_fn_weight(),
            false_positive_area: lsh.false_positive_area(config.threshold),
            false_negative_area: lsh.false_negative_area(config.threshold),
            id_field: options.input.fields.id.clone(),
            text_field: options.input.fields.text.clone(),
            on_error: options.input.on_error,
            max_record_bytes: options.input.max_record_bytes,
        },
        inputs: InputSummary::of(reader, &options.out_dir),
        skipped_by_reason: skipped_by_reason(&state.skipped),
        skipped: state.skipped,
        outputs,
        timings_ms: timings,
        threads: rayon::current_num_threads(),
        memory,
    }
}

impl ClusterCounts {
    /// The counts of `assignment`'s clusters; `split_by_guard` as the guard counted it.
    pub(super) fn of(assignment: &Assignment, split_by_guard: u64) -> Self {
        let mut sizes: BTreeMap<u32, u64> = BTreeMap::new();
        for &c in &assignment.cluster {
            *sizes.entry(c).or_default() += 1;
        }
        ClusterCounts {
            total: sizes.len() as u64,
            with_duplicates: sizes.values().filter(|&&s| s > 1).count() as u64,
            largest: sizes.values().copied().max().unwrap_or(0),
            split_by_guard,
        }
    }
}

impl InputSummary {
    /// One entry per source of `reader`, with its path relative to `out_dir`.
    pub(super) fn of(reader: &CorpusReader, out_dir: &Path) -> Vec<Self> {
        reader
            .sources()
            .iter()
            .zip(reader.stats())
            .map(|(s, st)| InputSummary {
                path: s.name.clone(),
                format: s.format,
                compression: st.compression,
                records: st.records,
                blank_lines: st.blank_lines,
                warnings: st.warnings.clone(),
                from_out: match &s.location {
                    Location::Path(p) => crate::io::relative_from(out_dir, p),
                    Location::Stdin => None,
                },
            })
            .collect()
    }
}

/// Number of skipped records per reason.
pub(super) fn skipped_by_reason(skipped: &[Problem]) -> BTreeMap<ProblemKind, u64> {
    let mut by = BTreeMap::new();
    for p in skipped {
        *by.entry(p.reason).or_default() += 1;
    }
    by
}

/// Inputs that cannot be read twice (stdin, FIFOs, `<(...)`) are copied during the first pass for
/// the second one, which writes the kept records (when `write_deduped`). The copies live in the
/// staging folder `out`, removed when the guards drop. Returns each source's copy, if any.
pub(super) fn spool_once_read_inputs(
    reader: &mut CorpusReader,
    out: &Path,
    write_deduped: bool,
) -> Result<(Vec<Option<PathBuf>>, Vec<RemoveOnDrop>)> {
    let mut spools: Vec<Option<PathBuf>> = vec![None; reader.sources().len()];
    let mut guards = Vec::new();
    if write_deduped {
        let once: Vec<usize> = (0..spools.len())
            .filter(|&i| !reader.sources()[i].can_be_read_again())
            .collect();
        for i in once {
            let name = format!(".overlap-tmp-spool-{}-{i}", std::process::id());
            let path = out.join(name);
            let spool = File::create(&path).map_err(|e| Error::output("creating", &path, e))?;
            guards.push(RemoveOnDrop(path.clone()));
            reader.spool_to(i, Box::new(BufWriter::new(spool)));
            spools[i] = Some(path);
        }
    }
    Ok((spools, guards))
}

/// What the candidate, verification and cluster stages counted, for the summary.
struct CandidateCounts {
    candidates: u64,
    largest_bucket: usize,
    large_buckets: usize,
    unmatched_members: usize,
    split_off: u64,
}

/// The candidate work, all in memory (the caller checked that nothing spilled).
fn in_memory(set: CandidateSet) -> Candidates {
    let unpack = |s: crate::spill::Sorted<u64>| -> Vec<(u32, u32)> {
        match s.try_into_vec() {
            Ok(v) => v
                .into_iter()
                .map(|p| ((p >> 32) as u32, p as u32))
                .collect(),
            Err(_) => unreachable!("the candidate work was checked to be in memory"),
        }
    };
    Candidates {
        pairs: unpack(set.pairs),
        first_match: unpack(set.first_match),
        largest_bucket: set.largest_bucket,
        large_buckets: set.large_buckets,
    }
}

pub(super) struct RemoveOnDrop(pub(super) PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
