//! `overlap dedup`: remove exact and near-duplicate documents from a corpus.

use crate::args::{InputArgs, ShingleArgs, SpillArgs};
use crate::progress::Bars;
use crate::ranges::{int, real, share, Bound};
use anyhow::Result;
use clap::Args;
use overlap::dedup::{ClusterMode, DedupConfig, InputSummary, JobOptions, OutputFormat, Summary};
use overlap::sketch::LshParams;
use std::path::PathBuf;

/// Remove exact and near-duplicate documents from a corpus.
///
/// Reads JSONL (.jsonl, .jsonl.gz, .jsonl.zst), Parquet (one document per row), text files (one
/// document each), directories of them, or JSONL on standard input (`-`). Documents are normalized (NFKC, case folding, punctuation and
/// whitespace folding), cut into word n-gram shingles, sketched with MinHash, and paired by LSH;
/// every candidate pair is then checked with its true Jaccard similarity. Writes to DIR:
/// clusters.jsonl (one line per document, in input order), pairs.jsonl (the duplicate edges that
/// join each document to its cluster), deduped.jsonl[.gz|.zst] (the kept records, unchanged),
/// deduped.parquet (the kept rows of Parquet inputs, every column) and summary.json.
#[derive(Args)]
#[command(
    verbatim_doc_comment,
    after_help = "Examples:\n  overlap dedup ../shared/data/reuters21578.jsonl.gz --out out/reuters\n  overlap dedup crawl/ --out out/crawl --threshold 0.7 --on-error skip --report\n  zcat part-*.jsonl.gz | overlap dedup - --out out/parts --no-deduped --json\n  overlap dedup ../shared/data/bbc-news.jsonl.gz --out out/bbc-semantic --semantic"
)]
pub struct DedupArgs {
    #[command(flatten)]
    input: InputArgs,

    /// Output folder (created if missing).
    #[arg(long, short, value_name = "DIR")]
    out: PathBuf,

    /// Jaccard similarity at or above which two documents are near-duplicates.
    #[arg(long, default_value_t = 0.8, value_name = "J",
          value_parser = real(Bound::Open(0.0), Bound::Closed(1.0)))]
    threshold: f64,

    #[command(flatten)]
    shingles: ShingleArgs,

    #[command(flatten)]
    spill: SpillArgs,

    /// Trust the MinHash estimate instead of computing each candidate pair's true Jaccard
    /// (faster, uses less memory; pairs.jsonl then marks similarities as estimated).
    #[arg(long)]
    no_verify: bool,

    /// LSH bands (with --rows); by default chosen for the threshold to minimise false positive
    /// plus false negative area under the S-curve.
    #[arg(long, requires = "rows", value_name = "B", value_parser = int(1, 4096))]
    bands: Option<usize>,

    /// LSH rows per band (with --bands).
    #[arg(long, requires = "bands", value_name = "R", value_parser = int(1, 4096))]
    rows: Option<usize>,

    /// Weight of missed pairs against extra candidates when choosing bands and rows, in [0, 1].
    /// Default: 0.98 with verification (extra candidates are only checked and dropped), 0.5 with
    /// --no-verify (datasketch's choice).
    #[arg(long, value_name = "W", value_parser = share())]
    fn_weight: Option<f64>,

    /// How verified pairs become clusters. components: documents joined by any chain of verified
    /// pairs form one cluster. guarded: in input order, a document joins the cluster of the
    /// earliest kept document it verifies against, otherwise it is kept (every removed document is
    /// verified against the one kept for it; no chains).
    #[arg(long, value_enum, default_value_t = Clusters::Components, value_name = "MODE")]
    clusters: Clusters,

    /// Do not write the deduplicated corpus (only clusters, pairs and summary).
    #[arg(long)]
    no_deduped: bool,

    /// `parquet` also writes clusters.parquet and pairs.parquet (the fields of the JSONL files).
    #[arg(long, value_enum, default_value_t = OutputFormatArg::Jsonl, value_name = "FORMAT")]
    output_format: OutputFormatArg,

    /// Compression level of the deduplicated corpus: gzip 0-9, zstd 1-19 (clamped to the
    /// format's range). Default 1, the fastest: level 6 makes a gzip output about 20% smaller and
    /// the run about twice as long.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=19))]
    compression_level: Option<u32>,

    /// Also write DIR/report.html: a self-contained HTML report (see `overlap report --help`).
    #[arg(long)]
    report: bool,

    /// Print summary.json on standard output (and no progress bars).
    #[arg(long)]
    json: bool,

    /// No progress bars and no messages; errors are still printed.
    #[arg(long, short)]
    quiet: bool,

    #[command(flatten)]
    semantic: crate::dedup_semantic::SemanticDedupArgs,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Clusters {
    Components,
    Guarded,
}

impl From<Clusters> for ClusterMode {
    fn from(c: Clusters) -> Self {
        match c {
            Clusters::Components => ClusterMode::Components,
            Clusters::Guarded => ClusterMode::Guarded,
        }
    }
}

pub fn run(args: DedupArgs) -> Result<()> {
    if args.semantic.semantic {
        let common = crate::dedup_semantic::Common {
            input: &args.input,
            shingles: &args.shingles,
            out: args.out.clone(),
            write_deduped: !args.no_deduped,
            json: args.json,
            quiet: args.quiet,
            clusters: args.clusters.into(),
            report: args.report,
            spill: args.spill.spill_options(),
        };
        return crate::dedup_semantic::run(&args.semantic, common);
    }
    overlap::set_threads(args.input.threads)?;
    let config = DedupConfig {
        threshold: args.threshold,
        ngram: args.shingles.ngram,
        num_perm: args.shingles.num_perm,
        seed: args.shingles.seed,
        scheme: args.shingles.scheme(),
        verify: !args.no_verify,
        lsh: args
            .bands
            .zip(args.rows)
            .map(|(bands, rows)| LshParams { bands, rows }),
        fn_weight: args.fn_weight,
        normalization: args.shingles.normalization(),
        clusters: args.clusters.into(),
        fix_encoding: args.shingles.fix_encoding,
    };
    config.validate()?;
    let options = JobOptions {
        input: args.input.corpus_input(),
        out_dir: args.out,
        write_deduped: !args.no_deduped,
        output_format: match args.output_format {
            OutputFormatArg::Jsonl => OutputFormat::Jsonl,
            OutputFormatArg::Parquet => OutputFormat::Parquet,
        },
        spill: args.spill.spill_options(),
        compression_level: args.compression_level,
    };
    let talk = !args.quiet && !args.json;
    let lsh = config.lsh_params();
    let mut bars = Bars::new(args.quiet || args.json);
    if talk {
        bars = bars.after_read(format!(
            "LSH: {} bands x {} rows for threshold {} with {} permutations, minimising \
             {:.2} x false positive area {:.4} + {:.2} x false negative area {:.4}",
            lsh.bands,
            lsh.rows,
            config.threshold,
            config.num_perm,
            1.0 - config.effective_fn_weight(),
            lsh.false_positive_area(config.threshold),
            config.effective_fn_weight(),
            lsh.false_negative_area(config.threshold),
        ));
    }
    let summary = if args.report {
        // The report is built from the staged outputs and committed with them.
        overlap::dedup::run_with(&options, &config, &bars, |staging| {
            crate::report::write_staged(staging, &options.out_dir, !talk)
        })?
    } else {
        overlap::dedup::run(&options, &config, &bars)?
    };
    if args.json {
        crate::print_out(&(serde_json::to_string_pretty(&summary)? + "\n"))?;
    } else if talk {
        print_summary(&summary, &options);
    }
    Ok(())
}

/// The inputs' warnings and the line of records read, as both kinds of dedup print them.
pub(crate) fn print_read(inputs: &[InputSummary], read: u64, accepted: u64, skipped: u64) {
    for input in inputs {
        for w in &input.warnings {
            eprintln!("warning: {}: {w}", input.path);
        }
    }
    eprintln!(
        "read {read} records: {accepted} deduplicated, {skipped} skipped{}",
        if skipped > 0 {
            " (listed in summary.json)"
        } else {
            ""
        }
    );
}

fn print_summary(s: &Summary, options: &JobOptions) {
    let d = &s.documents;
    print_read(&s.inputs, d.read, d.accepted, d.skipped);
    eprintln!(
        "kept {} documents; removed {} exact and {} near duplicates ({} clusters with duplicates, largest {})",
        d.kept, d.removed_exact, d.removed_near, s.clusters.with_duplicates, s.clusters.largest
    );
    eprintln!(
        "pairs: {} LSH candidates, {} near duplicates verified, {} exact copies",
        s.pairs.candidates, s.pairs.near, s.pairs.exact
    );
    print_spill_and_outputs(&s.memory, &s.timings_ms, &s.outputs, &options.out_dir);
}

/// The spill line (when anything spilled) and the line of the files written, as both kinds of
/// dedup print them.
pub(crate) fn print_spill_and_outputs(
    m: &overlap::spill::MemoryReport,
    timings_ms: &std::collections::BTreeMap<&'static str, f64>,
    outputs: &[String],
    out_dir: &std::path::Path,
) {
    if m.spilled_bytes > 0 {
        eprintln!(
            "memory budget {}: spilled {} to disk (peak {} at once)",
            overlap::spill::format_size(m.budget_bytes),
            overlap::spill::format_size(m.spilled_bytes),
            overlap::spill::format_size(m.temp_disk_peak_bytes)
        );
    }
    let total = timings_ms.get("total").copied().unwrap_or_default() / 1000.0;
    eprintln!(
        "wrote {} to {} in {total:.2} s",
        outputs.join(", "),
        out_dir.display()
    );
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum OutputFormatArg {
    Jsonl,
    Parquet,
}
