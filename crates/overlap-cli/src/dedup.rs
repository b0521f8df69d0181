//! `overlap dedup`: remove exact and near-duplicate documents from a corpus.

use crate::args::{InputArgs, ShingleArgs, SpillArgs};
use crate::progress::Bars;
use anyhow::Result;
use clap::Args;
use overlap::dedup::{DedupConfig, JobOptions, Summary};
use overlap::sketch::LshParams;
use std::path::PathBuf;

/// Remove exact and near-duplicate documents from a corpus.
///
/// Reads JSONL (.jsonl, .jsonl.gz, .jsonl.zst), text files (one document each), directories of them,
/// or JSONL on standard input (`-`). Documents are normalized (NFKC, case folding, punctuation and
/// whitespace folding), cut into word n-gram shingles, sketched with MinHash, and paired by LSH;
/// every candidate pair is then checked with its true Jaccard similarity. Writes to DIR:
/// clusters.jsonl (one line per document, in input order), pairs.jsonl (every duplicate edge),
/// deduped.jsonl[.gz|.zst] (the kept records, unchanged) and summary.json.
#[derive(Args)]
#[command(verbatim_doc_comment)]
pub struct DedupArgs {
    #[command(flatten)]
    input: InputArgs,

    /// Output folder (created if missing).
    #[arg(long, short, value_name = "DIR")]
    out: PathBuf,

    /// Jaccard similarity at or above which two documents are near-duplicates.
    #[arg(long, default_value_t = 0.8, value_name = "J")]
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
    #[arg(long, requires = "rows", value_name = "B")]
    bands: Option<usize>,

    /// LSH rows per band (with --bands).
    #[arg(long, requires = "bands", value_name = "R")]
    rows: Option<usize>,

    /// Weight of missed pairs against extra candidates when choosing bands and rows, in [0, 1].
    /// Default: 0.98 with verification (extra candidates are only checked and dropped), 0.5 with
    /// --no-verify (datasketch's choice).
    #[arg(long, value_name = "W")]
    fn_weight: Option<f64>,

    /// Do not write the deduplicated corpus (only clusters, pairs and summary).
    #[arg(long)]
    no_deduped: bool,

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
}

pub fn run(args: DedupArgs) -> Result<()> {
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
    };
    config.validate()?;
    let options = JobOptions {
        input: args.input.corpus_input(),
        out_dir: args.out,
        write_deduped: !args.no_deduped,
        spill: args.spill.spill_options(),
        compression_level: args.compression_level,
    };
    let talk = !args.quiet && !args.json;
    let lsh = config.lsh_params();
    if talk {
        eprintln!(
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
        );
    }
    let bars = Bars::new(args.quiet || args.json);
    let summary = overlap::dedup::run(&options, &config, &bars)?;
    if args.json {
        crate::print_out(&(serde_json::to_string_pretty(&summary)? + "\n"))?;
    } else if talk {
        print_summary(&summary, &options);
    }
    if args.report {
        let out = options.out_dir.join("report.html");
        crate::report::write(&options.out_dir, None, &out, !talk)?;
    }
    Ok(())
}

fn print_summary(s: &Summary, options: &JobOptions) {
    let d = &s.documents;
    eprintln!(
        "read {} records: {} deduplicated, {} skipped{}",
        d.read,
        d.accepted,
        d.skipped,
        if d.skipped > 0 {
            " (listed in summary.json)"
        } else {
            ""
        }
    );
    eprintln!(
        "kept {} documents; removed {} exact and {} near duplicates ({} clusters with duplicates, largest {})",
        d.kept, d.removed_exact, d.removed_near, s.clusters.with_duplicates, s.clusters.largest
    );
    eprintln!(
        "pairs: {} LSH candidates, {} near duplicates verified, {} exact copies",
        s.pairs.candidates, s.pairs.near, s.pairs.exact
    );
    let total = s.timings_ms.get("total").copied().unwrap_or_default() / 1000.0;
    eprintln!(
        "wrote {} to {} in {total:.2} s",
        s.outputs.join(", "),
        options.out_dir.display()
    );
}
