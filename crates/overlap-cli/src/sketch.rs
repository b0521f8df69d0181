//! `overlap sketch`: write the MinHash signature of every document.

use crate::args::{InputArgs, ShingleArgs};
use crate::progress::Bars;
use anyhow::Result;
use clap::Args;
use overlap::dedup::{export_signatures, DedupConfig};
use std::path::PathBuf;

/// Write the MinHash signature of every document, for use by other systems.
///
/// Each output line is {"id", "exact", "signature"}: the document's id, the 128-bit hash of its
/// normalized text (32 hex digits), and its num_perm signature values. The sketch is the one dedup
/// uses, with the same normalization, shingles, scheme and seed.
#[derive(Args)]
#[command(
    verbatim_doc_comment,
    after_help = "Examples:\n  overlap sketch ../shared/data/bbc-news.jsonl.gz --out signatures.jsonl.gz\n  overlap sketch corpus.jsonl --out sig.jsonl --num-perm 256 --seed 7 --json"
)]
pub struct SketchArgs {
    #[command(flatten)]
    input: InputArgs,

    #[command(flatten)]
    shingles: ShingleArgs,

    /// Output file (JSONL; compressed when the name ends in .gz or .zst).
    #[arg(long, short, value_name = "FILE")]
    out: PathBuf,

    /// Print run statistics (documents, shingles, seconds per step) as JSON on standard output.
    #[arg(long)]
    json: bool,

    /// No progress bars and no messages.
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(args: SketchArgs) -> Result<()> {
    overlap::set_threads(args.input.threads)?;
    let config = DedupConfig {
        ngram: args.shingles.ngram,
        num_perm: args.shingles.num_perm,
        seed: args.shingles.seed,
        scheme: args.shingles.scheme(),
        normalization: args.shingles.normalization(),
        fix_encoding: args.shingles.fix_encoding,
        ..DedupConfig::default()
    };
    let input = args.input.corpus_input();
    let mut reader = input.open()?;
    let bars = Bars::new(args.quiet || args.json);
    let stats = crate::jsonl_out::write_committed(
        &args.out,
        &input.paths,
        &mut reader,
        |reader, path, compression| {
            export_signatures(
                reader,
                &input.fields,
                input.on_error,
                &config,
                path,
                compression,
                &bars,
            )
        },
    )?;
    let line = || {
        format!(
            "sketched {} documents ({} shingles) in {:.2} s: tokenize {:.2} s, shingle {:.2} s, \
             minhash {:.2} s (summed over threads); {} skipped",
            stats.documents,
            stats.shingles,
            stats.wall_s,
            stats.tokenize_s,
            stats.shingle_s,
            stats.minhash_s,
            stats.skipped.len()
        )
    };
    crate::jsonl_out::print_stats(&stats, args.json, args.quiet, line, &stats.skipped)
}
