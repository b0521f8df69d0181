//! `overlap dedup --semantic`: semantic near-duplicates by document embeddings.

use crate::args::{InputArgs, ShingleArgs};
use crate::progress::Bars;
use crate::ranges::{int, real, Bound};
use anyhow::Result;
use clap::Args;
use overlap::dedup::semantic::{
    run_semantic, CandidateSearch, SemanticConfig, SemanticJob, SemanticSummary, DEFAULT_ROWS,
    DEFAULT_THRESHOLD,
};
use overlap::dedup::JobOptions;
use overlap::embed::{model_dir, StaticModel};
use std::path::PathBuf;

/// The options of `dedup --semantic`.
#[derive(Args, Clone)]
pub struct SemanticDedupArgs {
    /// Semantic near-duplicates instead of MinHash: documents whose embeddings (the static model
    /// distilled from all-MiniLM-L6-v2, centred on the corpus mean) have cosine >=
    /// --semantic-threshold, found by random-hyperplane LSH. Exact duplicates are found as without
    /// it. Needs the model (scripts/make-model.sh). --clusters applies as without it (guarded:
    /// every removed document has cosine >= the threshold with the one kept for it), and so does
    /// --report (the page lists pairs by cosine). The MinHash
    /// options (--threshold, --ngram, --num-perm, --scheme, --bands, --rows, --no-verify,
    /// --fn-weight, --output-format) do not apply.
    #[arg(long, conflicts_with_all = [
        "threshold", "ngram", "num_perm", "scheme", "bands", "rows", "no_verify", "fn_weight",
        "output_format",
    ])]
    pub semantic: bool,

    /// With --semantic: cosine at or above which two documents are semantic near-duplicates.
    #[arg(long, requires = "semantic", default_value_t = DEFAULT_THRESHOLD, value_name = "C",
          value_parser = real(Bound::Open(0.0), Bound::Closed(1.0)))]
    pub semantic_threshold: f64,

    /// With --semantic: how candidates are found. lsh: documents sharing one band of
    /// random-hyperplane sign bits; exact: every pair (quadratic; small corpora, or to measure
    /// the LSH's recall).
    #[arg(long, requires = "semantic", value_enum, default_value_t = SearchArg::Lsh,
          value_name = "HOW")]
    pub semantic_search: SearchArg,

    /// With --semantic: LSH bands (default: the fewest that make a pair at the threshold a
    /// candidate with probability 0.99).
    #[arg(long, requires = "semantic", value_name = "B", value_parser = int(1, 1024))]
    pub semantic_bands: Option<usize>,

    /// With --semantic: sign bits per LSH band.
    #[arg(long, requires = "semantic", default_value_t = DEFAULT_ROWS, value_name = "R",
          value_parser = int(1, 64))]
    pub semantic_rows: usize,

    /// With --semantic: compare the model's vectors as they are (semhash's cosine) instead of
    /// centred on the corpus mean. Within one domain raw vectors are all alike (on Reuters half
    /// of all pairs have cosine above 0.7), so this needs a much higher threshold; and their
    /// sign bits agree so often that LSH buckets overflow and pairs are lost: use it with
    /// --semantic-search exact.
    #[arg(long, requires = "semantic")]
    pub semantic_raw: bool,

    /// With --semantic: folder of the static embedding model (default: $OVERLAP_MODEL, else
    /// models/overlap-minilm-static, which scripts/make-model.sh builds).
    #[arg(long, requires = "semantic", value_name = "DIR")]
    pub model: Option<PathBuf>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum SearchArg {
    Lsh,
    Exact,
}

/// What `dedup` passes on besides the semantic options.
pub struct Common<'a> {
    pub input: &'a InputArgs,
    pub shingles: &'a ShingleArgs,
    pub out: PathBuf,
    pub write_deduped: bool,
    pub json: bool,
    pub quiet: bool,
    pub clusters: overlap::dedup::ClusterMode,
    pub report: bool,
    pub spill: overlap::spill::SpillOptions,
}

pub fn run(args: &SemanticDedupArgs, common: Common<'_>) -> Result<()> {
    overlap::set_threads(common.input.threads)?;
    let config = SemanticConfig {
        threshold: args.semantic_threshold,
        search: match args.semantic_search {
            SearchArg::Lsh => CandidateSearch::Lsh,
            SearchArg::Exact => CandidateSearch::Exact,
        },
        bands: args.semantic_bands,
        rows: args.semantic_rows,
        seed: common.shingles.seed,
        raw: args.semantic_raw,
        normalization: common.shingles.normalization(),
        fix_encoding: common.shingles.fix_encoding,
        clusters: common.clusters,
    };
    config.validate()?;
    let model = StaticModel::load(&model_dir(args.model.as_deref()))?;
    let mut options = JobOptions::new(Vec::new(), common.out);
    options.input = common.input.corpus_input();
    options.write_deduped = common.write_deduped;
    options.spill = common.spill;
    let talk = !common.quiet && !common.json;
    let mut bars = Bars::new(common.quiet || common.json);
    if talk && config.search == CandidateSearch::Lsh {
        bars =
            bars.after_read(format!(
            "semantic LSH: {} bands x {} sign bits for cosine {}{} (a pair at the threshold is a \
             candidate with probability {:.3})",
            config.lsh_bands(),
            config.rows,
            config.threshold,
            if config.raw { ", raw vectors" } else { ", centred" },
            config.candidate_probability(config.threshold),
        ));
    }
    let job = SemanticJob {
        options: &options,
        config: &config,
        model: &model,
    };
    let summary = run_semantic(job, &bars, |staging| {
        if common.report {
            // Built from the staged outputs and committed with them, as lexical dedup does.
            crate::report::write_staged(staging, &options.out_dir, !talk)
        } else {
            Ok(Vec::new())
        }
    })?;
    if common.json {
        crate::print_out(&(serde_json::to_string_pretty(&summary)? + "\n"))?;
    } else if talk {
        print_summary(&summary, &options);
    }
    Ok(())
}

fn print_summary(s: &SemanticSummary, options: &JobOptions) {
    let d = &s.documents;
    crate::dedup::print_read(&s.inputs, d.read, d.accepted, d.skipped);
    eprintln!(
        "kept {} documents; removed {} exact and {} semantic near duplicates ({} clusters with \
         duplicates, largest {})",
        d.kept, d.removed_exact, d.removed_near, s.clusters.with_duplicates, s.clusters.largest
    );
    eprintln!(
        "pairs: {} candidates, {} near pairs at cosine >= {}, {} exact copies",
        s.pairs.candidates, s.pairs.near, s.parameters.config.threshold, s.pairs.exact
    );
    crate::dedup::print_spill_and_outputs(&s.memory, &s.timings_ms, &s.outputs, &options.out_dir);
}
