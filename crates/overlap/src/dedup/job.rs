//! The end-to-end dedup job: inputs in, output folder out.
//!
//! Memory: the [`SketchStore`] (see its module), one id per document (about 40 bytes plus the id's
//! length), one batch of raw records in flight, the candidate pairs and the verified edges (16 bytes
//! each). The kept records are copied by a second pass over the inputs rather than held. The budget
//! (`spill.budget`) is shared out: half for shingles in the store, a quarter for band keys, a quarter
//! for candidate pairs, and later half for the shingle sets of a verification chunk (the band keys
//! are freed by then). Spill files live in the spill directory (see [`crate::spill::SpillDir`]).

use super::{
    assign_clusters, duplicate_pairs, find_candidates, verify_candidates, Assignment, DedupConfig,
    DuplicatePair, Reason, SketchStore, Sketcher, StoreLimits,
};
use crate::error::{Error, Problem, ProblemKind, Result};
use crate::io::output::{create, ms, write_json, write_line};
use crate::io::{
    copy_lines, decompress, ingest, BlockWriter, Compression, CorpusInput, CorpusReader, Format,
    Location, OnError, Source,
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
    /// Memory budget, estimated and measured peaks, spill volume per stage. Varies with the budget and
    /// the machine, like `timings_ms`.
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
    /// Documents shorter than one shingle, which were shingled whole.
    pub shorter_than_ngram: u64,
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
}

struct ReadState {
    store: SketchStore,
    docs: Vec<DocMeta>,
    skipped: Vec<Problem>,
    short: u64,
}

/// Per-document bookkeeping besides the sketch.
struct DocMeta {
    id: String,
    source: u32,
    line: u64,
}

/// Run the dedup job: read every input, find exact and near duplicates, write the outputs into
/// `options.out_dir`, and return the summary (also written as `summary.json`).
pub fn run(options: &JobOptions, config: &DedupConfig, progress: &dyn Progress) -> Result<Summary> {
    config.validate()?;
    let started = Instant::now();
    let mut timings = BTreeMap::new();
    std::fs::create_dir_all(&options.out_dir).map_err(|e| Error::io(&options.out_dir, e))?;
    let spool_path = options.out_dir.join(".stdin-spool.jsonl");
    let _spool_guard = RemoveOnDrop(spool_path.clone());

    let budget = options.spill.budget;
    let dir = Arc::new(SpillDir::for_job(
        &options.out_dir,
        options.spill.tmp_dir.as_deref(),
    ));
    let mut stages: BTreeMap<&'static str, StageMemory> = BTreeMap::new();
    let sketcher = Sketcher::new(config);
    let mut reader = options.input.open()?;
    if options.write_deduped
        && reader
            .sources()
            .iter()
            .any(|s| s.location == Location::Stdin)
    {
        let spool = File::create(&spool_path).map_err(|e| Error::io(&spool_path, e))?;
        reader.spool_stdin_to(Box::new(BufWriter::new(spool)));
    }

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
            if doc.value.tokens < config.ngram {
                state.short += 1;
            }
            state.store.push(doc.value);
            state.store.spill_if_needed()?;
            state.docs.push(DocMeta {
                id: doc.id,
                source: doc.source,
                line: doc.line,
            });
            Ok(())
        },
    )?;
    state.store.seal()?;
    stages.insert(
        "read_sketch",
        StageMemory {
            memory_estimate_bytes: state.store.memory_bytes()
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
    let stage = if state.store.bands_spilled() {
        "candidates (merge)"
    } else {
        "candidates"
    };
    progress.start(stage, Some(state.store.bands_per_doc() as u64), Unit::Steps);
    let candidates = find_candidates(&mut state.store, budget.share(1, 4), &dir, progress)?;
    progress.finish();
    stages.insert("candidates", candidates.memory);
    let largest_bucket = candidates.largest_bucket;
    timings.insert("candidates", ms(t));

    // Stage 3: verification.
    let t = Instant::now();
    let stage = if candidates.pairs.is_spilled() || state.store.shingles_spilled() {
        "verify (spilled)"
    } else {
        "verify"
    };
    progress.start(stage, Some(candidates.pairs.len_bound()), Unit::Pairs);
    let verified = verify_candidates(
        &state.store,
        candidates,
        config.threshold,
        budget.share(1, 2),
        &dir,
        progress,
    )?;
    progress.finish();
    stages.insert("verify", verified.memory);
    let edges = verified.edges;
    timings.insert("verify", ms(t));

    // Stage 4: clusters.
    let t = Instant::now();
    let assignment = assign_clusters(&state.store, &edges);
    let pairs = duplicate_pairs(&state.store, &edges);
    timings.insert("cluster", ms(t));

    // Stage 5: outputs.
    let t = Instant::now();
    let out = &options.out_dir;
    progress.start("write", Some(state.docs.len() as u64), Unit::Documents);
    let mut outputs = vec!["clusters.jsonl".to_string(), "pairs.jsonl".to_string()];
    write_clusters(&out.join("clusters.jsonl"), &state.docs, &assignment)?;
    write_pairs(&out.join("pairs.jsonl"), &state.docs, &pairs, config.verify)?;
    if options.write_deduped {
        outputs.extend(write_deduped(
            out,
            reader.sources(),
            &spool_path,
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
    let summary = build_summary(
        options,
        config,
        lsh,
        &reader,
        state,
        &assignment,
        &pairs,
        verified.candidates as usize,
        largest_bucket,
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
}

fn write_clusters(path: &Path, docs: &[DocMeta], assignment: &Assignment) -> Result<()> {
    let mut w = create(path)?;
    let io = |e: std::io::Error| Error::io(path, e);
    for (i, doc) in docs.iter().enumerate() {
        let line = ClusterLine {
            id: &doc.id,
            cluster: &docs[assignment.cluster[i] as usize].id,
            kept: assignment.reason[i] == Reason::Unique,
            reason: assignment.reason[i],
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
    let io = |e: std::io::Error| Error::io(path, e);
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
fn write_deduped(
    out: &Path,
    sources: &[Source],
    spool: &Path,
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
        let compression = output_compression(sources, &jsonl)?;
        let name = format!("deduped.jsonl{}", compression.extension());
        let path = out.join(&name);
        let io = |e: std::io::Error| Error::io(&path, e);
        let mut w = BlockWriter::with_level(create(&path)?, compression, level);
        for &s in &jsonl {
            let (mut reader, _) = open_again(&sources[s], spool)?;
            copy_lines(&mut reader, &kept_lines[s], max_record_bytes, &mut w)
                .map_err(|e| Error::io(&sources[s].name, e))?;
        }
        w.finish().and_then(|mut f| f.flush()).map_err(io)?;
        written.push(name);
    }
    for (s, source) in sources.iter().enumerate() {
        if source.format != Format::Text || kept_lines[s].is_empty() {
            continue;
        }
        let id = source.text_id.as_deref().unwrap_or("-");
        let target = out.join("deduped").join(safe_relative_path(id));
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        let (mut reader, _) = open_again(source, spool)?;
        let mut w = create(&target)?;
        std::io::copy(&mut reader, &mut w)
            .and_then(|_| w.flush())
            .map_err(|e| Error::io(&target, e))?;
        if !written.iter().any(|w| w == "deduped/") {
            written.push("deduped/".into());
        }
    }
    Ok(written)
}

fn output_compression(sources: &[Source], jsonl: &[usize]) -> Result<Compression> {
    let mut found = None;
    for &s in jsonl {
        let c = match &sources[s].location {
            Location::Stdin => Compression::None,
            Location::Path(p) => {
                let f = File::open(p).map_err(|e| Error::io(p, e))?;
                decompress(f).map_err(|e| Error::io(p, e))?.1
            }
        };
        match found {
            None => found = Some(c),
            Some(prev) if prev != c => return Ok(Compression::Gzip),
            _ => {}
        }
    }
    Ok(found.unwrap_or(Compression::Gzip))
}

fn open_again(
    source: &Source,
    spool: &Path,
) -> Result<(Box<dyn std::io::BufRead + Send>, Compression)> {
    let path: &Path = match &source.location {
        Location::Path(p) => p,
        Location::Stdin => spool,
    };
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    decompress(file).map_err(|e| Error::io(path, e))
}

/// A relative path that stays inside the output folder: only normal components of `id` are kept.
fn safe_relative_path(id: &str) -> PathBuf {
    let p: PathBuf = Path::new(id)
        .components()
        .filter(|c| matches!(c, std::path::Component::Normal(_)))
        .collect();
    if p.as_os_str().is_empty() {
        PathBuf::from("document")
    } else {
        p
    }
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
    candidates: usize,
    largest_bucket: usize,
    outputs: Vec<String>,
    timings: BTreeMap<&'static str, f64>,
    memory: MemoryReport,
) -> Summary {
    let count = |r: Reason| assignment.reason.iter().filter(|&&x| x == r).count() as u64;
    let mut sizes: BTreeMap<u32, u64> = BTreeMap::new();
    for &c in &assignment.cluster {
        *sizes.entry(c).or_default() += 1;
    }
    let mut skipped_by_reason = BTreeMap::new();
    for p in &state.skipped {
        *skipped_by_reason.entry(p.reason).or_default() += 1;
    }
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
        },
        clusters: ClusterCounts {
            total: sizes.len() as u64,
            with_duplicates: sizes.values().filter(|&&s| s > 1).count() as u64,
            largest: sizes.values().copied().max().unwrap_or(0),
        },
        pairs: PairCounts {
            candidates: candidates as u64,
            near: pairs
                .iter()
                .filter(|p| p.kind == super::PairKind::Near)
                .count() as u64,
            exact: pairs
                .iter()
                .filter(|p| p.kind == super::PairKind::Exact)
                .count() as u64,
            largest_bucket: largest_bucket as u64,
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
        inputs: reader
            .sources()
            .iter()
            .zip(reader.stats())
            .map(|(s, st)| InputSummary {
                path: s.name.clone(),
                format: s.format,
                compression: st.compression,
                records: st.records,
                blank_lines: st.blank_lines,
            })
            .collect(),
        skipped_by_reason,
        skipped: state.skipped,
        outputs,
        timings_ms: timings,
        threads: rayon::current_num_threads(),
        memory,
    }
}

struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
