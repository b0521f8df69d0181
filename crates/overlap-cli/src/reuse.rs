//! `overlap reuse`: passage-level reuse across a corpus.

use crate::align::AlignTuning;
use crate::args::{InputArgs, SpillArgs};
use crate::progress::Bars;
use crate::ranges::int;
use anyhow::Result;
use clap::Args;
use overlap::reuse::{ReuseConfig, ReuseOptions, ReuseSummary};
use std::path::PathBuf;

/// Find the documents that share passages, verbatim or reworded, across a corpus.
///
/// Candidate pairs come from rare shared word n-grams (n-grams repeated across many documents of a
/// source, or of the corpus, are boilerplate: reported and left out); every candidate is aligned
/// like `overlap align` does. Writes to DIR:
///   pairs.jsonl        every related pair: {"a", "b", "score", "coverage_a", "coverage_b",
///                      "passages": [{"a": [start, end], "b": [start, end], "score", "kind"}]}
///   stories.jsonl      every document: {"id", "story"} (+ "origin" with --date-field)
///   boilerplate.jsonl  repeated passages: {"scope", "source", "text", "documents", "spans"}
///   summary.json       counts, parameters, skipped records, timings
#[derive(Args)]
#[command(
    verbatim_doc_comment,
    after_help = "Examples:\n  overlap reuse ../shared/data/20newsgroups.jsonl.gz --out out/20news --report\n  overlap reuse news.jsonl.gz --out out/news --source-field site --date-field published\n  overlap reuse corpus.jsonl --out out/reworded --semantic --semantic-rescore unsure"
)]
pub struct ReuseArgs {
    #[command(flatten)]
    input: InputArgs,

    /// Output folder (created if missing).
    #[arg(long, short, value_name = "DIR")]
    out: PathBuf,

    /// JSON field naming each document's source (publisher, site): boilerplate is what repeats
    /// across many documents of one source.
    #[arg(long, value_name = "NAME")]
    source_field: Option<String>,

    /// JSON field holding each document's date (ISO 8601 or Unix time): each story's earliest
    /// document is reported as its likely origin.
    #[arg(long, value_name = "NAME")]
    date_field: Option<String>,

    /// Words per anchor: runs of this many consecutive words that two documents must share (and
    /// that are rare in the corpus) to be proposed for alignment.
    #[arg(long, default_value_t = ReuseConfig::default().anchor_ngram, value_name = "N",
          value_parser = int(1, 32))]
    anchor_ngram: usize,

    /// Fewest distinct anchors (shared rare runs of words) two documents must have in common to be
    /// aligned.
    #[arg(long, default_value_t = ReuseConfig::default().min_shared_anchors, value_name = "N",
          value_parser = int(1, u32::MAX as u64))]
    min_shared_anchors: usize,

    /// An anchor found in more documents than this is too common (a stock phrase, boilerplate) and
    /// proposes no pairs (its maximum document frequency).
    #[arg(long, default_value_t = ReuseConfig::default().max_df, value_name = "N",
          value_parser = int(2, u32::MAX as u64))]
    max_df: usize,

    /// Words in at most this many documents (or 1% of the corpus, when more) count as rare;
    /// reworded sentences must share rare words.
    #[arg(long, default_value_t = ReuseConfig::default().rare_word_min_docs, value_name = "N",
          value_parser = int(0, u32::MAX as u64))]
    rare_word_docs: usize,

    /// A short line that closes at least this many posts of different texts, unquoted, is a
    /// signature (a poster's name, address, motto): masked wherever it appears, quoted too, and
    /// never evidence of reuse. 0 turns this off.
    #[arg(long, default_value_t = ReuseConfig::default().signature_min_docs, value_name = "N",
          value_parser = int(0, u32::MAX as u64))]
    signature_docs: usize,

    /// Boilerplate shorter than this many words is masked only when it fills its lines; inside a
    /// sentence it is a stock phrase ("I don't know how to") and stays text. 0 masks it all.
    #[arg(long, default_value_t = ReuseConfig::default().boilerplate_inline_words, value_name = "N",
          value_parser = int(0, u32::MAX as u64))]
    boilerplate_inline_words: usize,

    #[command(flatten)]
    tuning: AlignTuning,

    #[command(flatten)]
    same_story: crate::same_story::SameStoryArgs,

    #[command(flatten)]
    semantic: crate::reuse_semantic::ReuseSemanticArgs,

    #[command(flatten)]
    spill: SpillArgs,

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

pub fn run(args: ReuseArgs) -> Result<()> {
    overlap::set_threads(args.input.threads)?;
    let config = ReuseConfig {
        align: args.tuning.config(),
        anchor_ngram: args.anchor_ngram,
        min_shared_anchors: args.min_shared_anchors,
        max_df: args.max_df,
        rare_word_min_docs: args.rare_word_docs,
        signature_min_docs: args.signature_docs,
        boilerplate_inline_words: args.boilerplate_inline_words,
        ..ReuseConfig::default()
    };
    let mut input = args.input.corpus_input();
    input.fields.source = args.source_field.clone();
    input.fields.date = args.date_field.clone();
    let options = ReuseOptions {
        input,
        out_dir: args.out.clone(),
        spill: args.spill.spill_options(),
    };
    let bars = Bars::new(args.quiet || args.json);
    let model = args.same_story.load(args.semantic.semantic)?;
    let same_story = model
        .as_ref()
        .filter(|_| args.same_story.same_story)
        .map(|model| overlap::reuse::same_story::SameStory {
            model,
            threshold: args.same_story.same_story_threshold,
        });
    // --semantic: the static model, and the transformer unless --semantic-rescore never (a missing
    // one is an error naming the command that installs it).
    let reworded_config = args.semantic.config();
    let transformer = match args.semantic.semantic && reworded_config.rescore.needs_transformer() {
        true => Some(args.semantic.transformer.load()?),
        false => None,
    };
    let reworded = model
        .as_ref()
        .filter(|_| args.semantic.semantic)
        .map(|model| overlap::reuse::reworded::Reworded {
            model,
            transformer: transformer.as_ref(),
            config: &reworded_config,
        });
    let quiet = args.quiet || args.json;
    // The report is built from the staged outputs and committed with them.
    let summary = overlap::reuse::run_semantic(
        &options,
        &config,
        same_story.as_ref(),
        reworded.as_ref(),
        &bars,
        |staging| {
            if args.report {
                crate::report::write_staged(staging, &args.out, quiet)
            } else {
                Ok(Vec::new())
            }
        },
    )?;
    if args.json {
        crate::print_out(&(serde_json::to_string_pretty(&summary)? + "\n"))?;
    } else if !args.quiet {
        print_summary(&summary, &args.out);
    }
    Ok(())
}

fn print_summary(s: &ReuseSummary, out: &std::path::Path) {
    for input in &s.inputs {
        for w in input["warnings"].as_array().into_iter().flatten() {
            let (path, w) = (
                input["path"].as_str().unwrap_or("?"),
                w.as_str().unwrap_or("?"),
            );
            eprintln!("warning: {path}: {w}");
        }
    }
    let get = |m: &std::collections::BTreeMap<&str, u64>, k: &str| m.get(k).copied().unwrap_or(0);
    eprintln!(
        "read {} records: {} documents, {} skipped{}",
        get(&s.documents, "read"),
        get(&s.documents, "accepted"),
        get(&s.documents, "skipped"),
        if get(&s.documents, "skipped") > 0 {
            " (listed in summary.json)"
        } else {
            ""
        }
    );
    eprintln!(
        "aligned {} candidate pairs ({:.0} pairs/s): {} related",
        get(&s.pairs, "candidates"),
        s.aligned_pairs_per_second,
        get(&s.pairs, "related")
    );
    eprintln!(
        "{} stories with several documents (largest {}); {} boilerplate passages in {} documents",
        get(&s.stories, "with_several_documents"),
        get(&s.stories, "largest"),
        get(&s.boilerplate, "passages"),
        get(&s.documents, "with_boilerplate")
    );
    if let Some(ss) = &s.same_story {
        eprintln!(
            "same story by meaning: {} pairs at cosine >= {} ({} also related by shared text)",
            ss.pairs, ss.threshold, ss.also_related
        );
    }
    if let Some(sem) = &s.semantic {
        eprintln!(
            "related by meaning: {} more pairs of {} semantic candidates ({} sentence pairs judged by the transformer)",
            sem.related, sem.candidates, sem.sentence_pairs_rescored
        );
    }
    let total = s.timings_ms.get("total").copied().unwrap_or_default() / 1000.0;
    eprintln!(
        "wrote {} to {} in {total:.2} s",
        s.outputs.join(", "),
        out.display()
    );
}
