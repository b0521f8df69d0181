//! `overlap index ...`: a persistent index of documents, for "have we seen this before?" as
//! documents arrive in batches. The engine's `overlap::index` does the work.

use crate::args::{InputArgs, ShingleArgs};
use crate::progress::Bars;
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use overlap::align::{align, AlignConfig, Alignment};
use overlap::dedup::{DedupConfig, PairKind, Reason};
use overlap::index::{add_corpus, AddAnswer, Index, OnExisting, QueryAnswer};
use overlap::io::{ingest, Mapped};
use overlap::sketch::LshParams;
use serde::Serialize;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A persistent, crash-safe index of documents: add batches, ask whether a document was seen.
///
/// The index is one redb file in DIR, with the parameters fixed at creation. Answers agree with
/// `overlap dedup` over everything added, in the order added (same normalization, shingles,
/// MinHash, LSH and true-Jaccard verification).
///
/// Examples:
///   overlap index create ix --threshold 0.8 --store-text
///   overlap index add ix ../shared/data/reuters21578.jsonl.gz > answers.jsonl
///   overlap index query ix new-articles.jsonl --passages
///   overlap index clusters ix --out clusters/     # clusters.jsonl + pairs.jsonl, as dedup writes them
///   overlap index stats ix
///   overlap index check ix
///   overlap index remove ix reuters-17 reuters-18
#[derive(Args)]
#[command(verbatim_doc_comment)]
pub struct IndexArgs {
    #[command(subcommand)]
    command: IndexCommand,
}

#[derive(Subcommand)]
enum IndexCommand {
    Create(CreateArgs),
    Add(AddArgs),
    Query(QueryArgs),
    Get(GetArgs),
    Remove(RemoveArgs),
    Stats(DirArgs),
    Check(CheckArgs),
    Clusters(ClustersArgs),
}

/// Create an empty index in DIR (a new or empty folder) with its parameters fixed.
///
/// Example:
///   overlap index create ix --threshold 0.8 --ngram 5 --num-perm 128 --seed 1 --store-text
#[derive(Args)]
#[command(verbatim_doc_comment)]
struct CreateArgs {
    /// The index folder.
    dir: PathBuf,

    /// Jaccard similarity at or above which two documents are near-duplicates.
    #[arg(long, default_value_t = 0.8, value_name = "J")]
    threshold: f64,

    #[command(flatten)]
    shingles: ShingleArgs,

    /// LSH bands (with --rows); by default chosen for the threshold as `dedup` chooses them.
    #[arg(long, requires = "rows", value_name = "B")]
    bands: Option<usize>,

    /// LSH rows per band (with --bands).
    #[arg(long, requires = "bands", value_name = "R")]
    rows: Option<usize>,

    /// Weight of missed pairs against extra candidates when choosing bands and rows, in [0, 1]
    /// (default 0.98, as `dedup` with verification).
    #[arg(long, value_name = "W")]
    fn_weight: Option<f64>,

    /// Store every document's text (needed for `query --passages`).
    #[arg(long)]
    store_text: bool,

    /// New documents' band postings go to a recent level, merged into the main one once it holds
    /// more than N groups and more than the main level (so merges get rarer as the index grows):
    /// larger makes merges rarer and costs about 30 bytes of memory per band per group of the
    /// recent level in the writer and in each reader.
    #[arg(long, default_value_t = overlap::index::DEFAULT_DELTA_LIMIT, value_name = "N")]
    delta_limit: usize,
}

/// Add documents: one transaction per batch, durably committed before its answers are written.
///
/// Writes one JSON line per input document, in input order:
/// {"id", "duplicate_of", "jaccard", "kind"}, kind being exact (same normalized text as
/// duplicate_of), near (verified Jaccard >= threshold; duplicate_of is the best match), unique, or
/// existing (the id was indexed and --on-existing skip left it). duplicate_of may be a document of
/// the same batch. Lines appear only once their batch is committed.
///
/// Examples:
///   overlap index add ix batch1.jsonl.gz batch2.jsonl
///   overlap index add ix feed.jsonl --batch-size 1000 --on-existing replace --out answers.jsonl
#[derive(Args)]
#[command(verbatim_doc_comment)]
struct AddArgs {
    /// The index folder.
    dir: PathBuf,

    #[command(flatten)]
    input: InputArgs,

    /// Write the answers to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    out: Option<PathBuf>,

    /// What to do with an id that is already indexed: fail the batch, skip the new document, or
    /// replace the indexed one (the new one goes to the end of the insertion order).
    #[arg(long, value_enum, default_value_t = OnExistingArg::Error)]
    on_existing: OnExistingArg,

    /// Commit every N documents (0: the whole command is one transaction, all or nothing).
    #[arg(long, default_value_t = 0, value_name = "N")]
    batch_size: usize,

    /// No progress bars and no messages.
    #[arg(long, short)]
    quiet: bool,
}

/// What a document would get from `index add`, without adding it.
///
/// Writes one JSON line per input document: {"id", "duplicate_of", "jaccard", "kind", "matches":
/// [{"id", "jaccard", "kind"}], "total_matches"}. matches lists the indexed documents with the same
/// normalized text (kind exact, insertion order), then the verified near-duplicates (representatives
/// of their exact groups, highest Jaccard first). The documents of the query are matched against the
/// index only, not against each other. --passages adds "passages": [{"id", "alignment"}] for the best
/// matches, with alignment as `overlap align --json` prints it (needs an index made with --store-text).
/// --reuse adds "reuse": [{"id", "shared_anchors", "alignment"}]: documents that share passages with it
/// (related by `align`) but are neither exact nor near duplicates: what an article took from others.
///
/// Examples:
///   overlap index query ix article.txt
///   overlap index query ix new.jsonl --passages --limit 3
///   overlap index query ix article.txt --reuse
#[derive(Args)]
#[command(verbatim_doc_comment)]
struct QueryArgs {
    /// The index folder.
    dir: PathBuf,

    #[command(flatten)]
    input: InputArgs,

    /// List at most N matches per document (0: all).
    #[arg(long, default_value_t = 10, value_name = "N")]
    limit: usize,

    /// Align each document with its best matches (up to --passages-for of them) and give the passages.
    #[arg(long)]
    passages: bool,

    /// With --passages: how many of the best matches to align.
    #[arg(long, default_value_t = 3, value_name = "N")]
    passages_for: usize,

    /// Also find indexed documents that share passages without being near-duplicates (rare-anchor
    /// candidates as in `overlap reuse`, then alignment); needs an index made with --store-text.
    #[arg(long)]
    reuse: bool,

    /// With --reuse: at most this many documents per query.
    #[arg(long, default_value_t = 5, value_name = "N")]
    reuse_limit: usize,

    /// Write the answers to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    out: Option<PathBuf>,

    /// No progress bars and no messages.
    #[arg(long, short)]
    quiet: bool,
}

/// Print what the index holds about one document, as JSON.
#[derive(Args)]
struct GetArgs {
    /// The index folder.
    dir: PathBuf,
    /// The document's id.
    id: String,
}

/// Remove documents (all or nothing: an unknown id removes none).
///
/// Example:
///   overlap index remove ix doc-17 doc-18
#[derive(Args)]
#[command(verbatim_doc_comment)]
struct RemoveArgs {
    /// The index folder.
    dir: PathBuf,
    /// Ids to remove.
    #[arg(required = true)]
    ids: Vec<String>,
}

/// Print the index's counts, sizes and parameters as JSON.
#[derive(Args)]
struct DirArgs {
    /// The index folder.
    dir: PathBuf,
}

/// Verify every invariant of the index; exit 1 if any is broken.
///
/// Checks: every document is in its id entry and exact group; every exact group's first document is
/// posted in exactly one level, in each of its band postings of the main level or in the recent
/// level (and found there by each band key), and has a sorted shingle set; postings are sorted and
/// name only
/// group representatives with that band key; edges are symmetric, between representatives, at or
/// above the threshold and equal to the Jaccard of the stored sets; stored texts sketch to the stored
/// keys; counters agree with the tables.
#[derive(Args)]
#[command(verbatim_doc_comment)]
struct CheckArgs {
    /// The index folder.
    dir: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// The clusters of everything indexed, as `overlap dedup` computes them over the documents in the
/// order they were added.
///
/// Without --out, prints clusters.jsonl lines ({"id", "cluster", "kept", "reason"}); with --out DIR,
/// writes DIR/clusters.jsonl and DIR/pairs.jsonl in dedup's formats.
///
/// Example:
///   overlap index clusters ix --out ix-clusters
#[derive(Args)]
#[command(verbatim_doc_comment)]
struct ClustersArgs {
    /// The index folder.
    dir: PathBuf,
    /// Write clusters.jsonl and pairs.jsonl into this folder.
    #[arg(long, short, value_name = "DIR")]
    out: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum OnExistingArg {
    Error,
    Skip,
    Replace,
}

pub fn run(args: IndexArgs) -> Result<()> {
    match args.command {
        IndexCommand::Create(a) => create(a),
        IndexCommand::Add(a) => add(a),
        IndexCommand::Query(a) => query(a),
        IndexCommand::Get(a) => get(a),
        IndexCommand::Remove(a) => remove(a),
        IndexCommand::Stats(a) => stats(a),
        IndexCommand::Check(a) => check(a),
        IndexCommand::Clusters(a) => clusters(a),
    }
}

fn create(args: CreateArgs) -> Result<()> {
    let config = DedupConfig {
        threshold: args.threshold,
        ngram: args.shingles.ngram,
        num_perm: args.shingles.num_perm,
        seed: args.shingles.seed,
        scheme: args.shingles.scheme(),
        verify: true,
        lsh: args
            .bands
            .zip(args.rows)
            .map(|(bands, rows)| LshParams { bands, rows }),
        fn_weight: args.fn_weight,
        normalization: args.shingles.normalization(),
        // The index keeps union-find clusters, as `dedup`'s default.
        ..DedupConfig::default()
    };
    let index =
        Index::create_with_delta_limit(&args.dir, &config, args.store_text, args.delta_limit)?;
    let p = index.parameters();
    eprintln!(
        "created {} (threshold {}, {}-word shingles, {} permutations, LSH {} bands x {} rows{})",
        args.dir.display(),
        p.config.threshold,
        p.config.ngram,
        p.config.num_perm,
        p.bands,
        p.rows,
        if p.store_text { ", texts stored" } else { "" }
    );
    Ok(())
}

/// Answers go to `--out FILE` or standard output, flushed (and for a file, synced) batch by batch,
/// so that what was written was committed. An output that is one of the inputs is refused.
fn answer_sink(out: Option<&Path>, inputs: &[String]) -> Result<Box<dyn Write + Send>> {
    let Some(path) = out else {
        return Ok(Box::new(std::io::stdout()));
    };
    if let Ok(target) = path.canonicalize() {
        for input in inputs {
            if Path::new(input).canonicalize().is_ok_and(|i| i == target) {
                bail!(
                    "--out {} is the input {input}: refusing to overwrite an input",
                    path.display()
                );
            }
        }
    }
    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    Ok(Box::new(SyncedFile(BufWriter::new(file))))
}

struct SyncedFile(BufWriter<File>);

impl Write for SyncedFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()?;
        self.0.get_ref().sync_data()
    }
}

fn write_lines<T: Serialize>(w: &mut dyn Write, items: &[T]) -> Result<()> {
    let mut buf = Vec::new();
    for item in items {
        serde_json::to_writer(&mut buf, item)?;
        buf.push(b'\n');
    }
    match w.write_all(&buf).and_then(|_| w.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

fn add(args: AddArgs) -> Result<()> {
    overlap::set_threads(args.input.threads)?;
    let index = Index::open(&args.dir)?;
    let input = args.input.corpus_input();
    let mut sink = answer_sink(args.out.as_deref(), &input.paths)?;
    let bars = Bars::new(args.quiet);
    let on_existing = match args.on_existing {
        OnExistingArg::Error => OnExisting::Error,
        OnExistingArg::Skip => OnExisting::Skip,
        OnExistingArg::Replace => OnExisting::Replace,
    };
    let mut counts = [0u64; 4];
    let report = add_corpus(
        &index,
        &input,
        on_existing,
        args.batch_size,
        &bars,
        |answers: &[AddAnswer]| {
            for a in answers {
                counts[a.kind as usize] += 1;
            }
            write_lines(&mut *sink, answers).map_err(|e| {
                overlap::index::IndexError::Invalid(format!("writing the answers: {e:#}"))
            })
        },
    )
    .map_err(|e| match e {
        overlap::index::IndexError::Exists(id) => anyhow::anyhow!(
            "document {id:?} is already in the index; nothing of this batch was added \
             (use --on-existing skip or replace)"
        ),
        other => other.into(),
    })?;
    if !args.quiet {
        eprintln!(
            "added {} documents in {} committed batch(es): {} exact, {} near duplicates, {} unique; \
             {} existing ids skipped, {} bad records skipped",
            report.added,
            report.batches,
            counts[0],
            counts[1],
            counts[2],
            report.existing,
            report.skipped.len()
        );
        for p in report.skipped.iter().take(10) {
            eprintln!("  skipped {p}");
        }
    }
    // Shown even with --quiet: the documents are in, but a storage problem may be coming.
    let failed = index.merge_failures();
    if let Some(e) = &failed.last_error {
        eprintln!(
            "warning: {} merge(s) of the index's recent level failed after their batch was \
             committed (every answered document is in the index; the next add retries the \
             merge): {e}",
            failed.count
        );
    }
    Ok(())
}

struct Queried {
    tokens: usize,
    answer: std::result::Result<QueryLine, String>,
}

impl Mapped for Queried {
    fn word_count(&self) -> usize {
        self.tokens
    }
}

#[derive(Serialize)]
struct QueryLine {
    id: String,
    #[serde(flatten)]
    answer: QueryAnswer,
    #[serde(skip_serializing_if = "Option::is_none")]
    passages: Option<Vec<PassagesWith>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reuse: Option<overlap::index::ReuseMatches>,
}

#[derive(Serialize)]
struct PassagesWith {
    id: String,
    alignment: Alignment,
}

fn query(args: QueryArgs) -> Result<()> {
    overlap::set_threads(args.input.threads)?;
    let index = Index::open_read_only(&args.dir)?;
    if (args.passages || args.reuse) && !index.parameters().store_text {
        bail!(
            "{}: --passages and --reuse need the indexed texts, and this index was created without --store-text",
            args.dir.display()
        );
    }
    let input = args.input.corpus_input();
    let mut sink = answer_sink(args.out.as_deref(), &input.paths)?;
    let bars = Bars::new(args.quiet);
    let limit = (args.limit > 0).then_some(args.limit);
    let align_config = AlignConfig::default();
    let one = |text: &str| -> std::result::Result<QueryLine, String> {
        let sketch = index.sketcher().sketch(text);
        let answer = index
            .query_sketch(&sketch, limit)
            .map_err(|e| e.to_string())?;
        let passages = if args.passages {
            let mut out = Vec::new();
            for m in answer.matches.iter().take(args.passages_for) {
                let other = index
                    .text(&m.id)
                    .map_err(|e| e.to_string())?
                    .unwrap_or_default();
                out.push(PassagesWith {
                    id: m.id.clone(),
                    alignment: align(text, &other, &align_config),
                });
            }
            Some(out)
        } else {
            None
        };
        let reuse = if args.reuse {
            Some(
                index
                    .reuse(text, &answer.matches, args.reuse_limit)
                    .map_err(|e| e.to_string())?,
            )
        } else {
            None
        };
        Ok(QueryLine {
            id: String::new(),
            answer,
            passages,
            reuse,
        })
    };
    let mut reader = input.open()?;
    let mut lines = Vec::new();
    let skipped = ingest(
        &mut reader,
        &input.fields,
        input.on_error,
        &bars,
        |text| Queried {
            tokens: index.sketcher().sketch(text).tokens,
            answer: one(text),
        },
        |doc| {
            let mut line = doc
                .value
                .answer
                .map_err(|e| overlap::Error::Config(format!("querying {:?}: {e}", doc.id)))?;
            line.id = doc.id;
            lines.push(line);
            if lines.len() >= 1024 {
                write_lines(&mut *sink, &lines)
                    .map_err(|e| overlap::Error::Config(format!("writing the answers: {e:#}")))?;
                lines.clear();
            }
            Ok(())
        },
    )?;
    write_lines(&mut *sink, &lines)?;
    if !args.quiet && !skipped.is_empty() {
        eprintln!("{} bad records skipped", skipped.len());
        for p in skipped.iter().take(10) {
            eprintln!("  skipped {p}");
        }
    }
    Ok(())
}

fn get(args: GetArgs) -> Result<()> {
    let index = Index::open_read_only(&args.dir)?;
    match index.get(&args.id)? {
        Some(info) => crate::print_out(&(serde_json::to_string_pretty(&info)? + "\n")),
        None => bail!("document {:?} is not in the index", args.id),
    }
}

fn remove(args: RemoveArgs) -> Result<()> {
    let index = Index::open(&args.dir)?;
    index.remove(&args.ids)?;
    eprintln!("removed {} documents", args.ids.len());
    Ok(())
}

fn stats(args: DirArgs) -> Result<()> {
    let index = Index::open_read_only(&args.dir)?;
    crate::print_out(&(serde_json::to_string_pretty(&index.stats()?)? + "\n"))
}

fn check(args: CheckArgs) -> Result<()> {
    let index = Index::open_read_only(&args.dir)?;
    let report = index.check()?;
    if args.json {
        crate::print_out(&(serde_json::to_string_pretty(&report)? + "\n"))?;
    } else {
        eprintln!(
            "checked {} documents, {} exact groups, {} postings (+{} groups in the recent level), {} edges, {} texts: {}",
            report.documents,
            report.exact_groups,
            report.postings,
            report.delta,
            report.edges,
            report.texts,
            if report.ok() {
                "all invariants hold".to_string()
            } else {
                format!("{} problems", report.problem_count)
            }
        );
        for p in &report.problems {
            eprintln!("  {p}");
        }
    }
    if !report.ok() {
        bail!("{}: the index is inconsistent", args.dir.display());
    }
    Ok(())
}

#[derive(Serialize)]
struct ClusterLine<'a> {
    id: &'a str,
    cluster: &'a str,
    kept: bool,
    reason: Reason,
}

#[derive(Serialize)]
struct PairLine<'a> {
    a: &'a str,
    b: &'a str,
    jaccard: f64,
    kind: PairKind,
}

fn clusters(args: ClustersArgs) -> Result<()> {
    let index = Index::open_read_only(&args.dir)?;
    let c = index.clusters()?;
    let cluster_lines: Vec<ClusterLine> = c
        .ids
        .iter()
        .enumerate()
        .map(|(i, id)| ClusterLine {
            id,
            cluster: &c.ids[c.assignment.cluster[i] as usize],
            kept: c.assignment.reason[i] == Reason::Unique,
            reason: c.assignment.reason[i],
        })
        .collect();
    match args.out {
        None => write_lines(&mut std::io::stdout(), &cluster_lines),
        Some(out) => {
            std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
            let pair_lines: Vec<PairLine> = c
                .pairs
                .iter()
                .map(|p| PairLine {
                    a: &c.ids[p.a as usize],
                    b: &c.ids[p.b as usize],
                    jaccard: p.jaccard,
                    kind: p.kind,
                })
                .collect();
            for (name, write) in [
                (
                    "clusters.jsonl",
                    &(|w: &mut dyn Write| write_lines(w, &cluster_lines))
                        as &dyn Fn(&mut dyn Write) -> Result<()>,
                ),
                ("pairs.jsonl", &|w: &mut dyn Write| {
                    write_lines(w, &pair_lines)
                }),
            ] {
                let path = out.join(name);
                let tmp = out.join(format!(".{name}.tmp-{}", std::process::id()));
                let mut f = SyncedFile(BufWriter::new(
                    File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?,
                ));
                write(&mut f).with_context(|| format!("writing {}", tmp.display()))?;
                std::fs::rename(&tmp, &path)
                    .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))?;
            }
            Ok(())
        }
    }
}
