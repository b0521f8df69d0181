//! `overlap reuse --semantic`: documents that share a few passages rewritten in other words.

use crate::ranges::{real, Bound};
use clap::{Args, ValueEnum};
use overlap::reuse::reworded::RewordedConfig;
use overlap::reuse::static_tier::RescoreTier;

/// The options of `reuse --semantic`.
#[derive(Args, Clone)]
pub struct ReuseSemanticArgs {
    /// Also relate documents that share a few passages said in other words (human paraphrases
    /// inside otherwise unrelated texts): documents whose sentences share pairs of rare words are
    /// aligned with sentence embeddings, the static model screening, and two passages said twice
    /// relate them. Who decides is --semantic-rescore: by default the static model's cosine with
    /// the weighted word overlap, or the full transformer. Off by default: slower, and shared text
    /// stays the definition of related. Needs the static model, and with --semantic-rescore
    /// unsure or always the transformer too (scripts/make-model.sh); --model and
    /// --transformer-model name other folders.
    #[arg(long)]
    pub semantic: bool,

    /// With --semantic and --semantic-rescore unsure or always: transformer cosine at or above
    /// which two sentences (or passages) are said twice.
    #[arg(long, requires = "semantic", default_value_t = RewordedConfig::default().pair_cosine,
          value_name = "C", value_parser = real(Bound::Closed(-1.0), Bound::Closed(1.0)))]
    pub semantic_cosine: f64,

    /// With --semantic: fewest passages said twice that relate two documents.
    #[arg(long, requires = "semantic", default_value_t = RewordedConfig::default().min_passages,
          value_name = "N", value_parser = crate::ranges::int(1, u32::MAX as u64))]
    pub semantic_passages: usize,

    /// With --semantic: static-model cosine from which the transformer is asked about a sentence
    /// pair (the cheap screen: lower asks the transformer more often).
    #[arg(long, requires = "semantic", default_value_t = RewordedConfig::default().static_from,
          value_name = "C", value_parser = real(Bound::Closed(-1.0), Bound::Closed(1.0)))]
    pub semantic_screen: f64,

    /// With --semantic: static-model cosine of a reworded passage's two sides from which the
    /// transformer is asked about it; below it the passage is not said twice (the gate that keeps
    /// the transformer off most candidates: lower asks it more often).
    #[arg(long, requires = "semantic", default_value_t = RewordedConfig::default().passage_screen,
          value_name = "C", value_parser = real(Bound::Closed(-1.0), Bound::Closed(1.0)))]
    pub semantic_passage_screen: f64,

    /// With --semantic: who decides the sentence pairs and passages the static model screens.
    /// never: the static model's cosine combined with the weighted word overlap, no transformer
    /// (fast; the transformer need not be installed); unsure: the same, but scores close to the
    /// bars go to the full transformer; always: the transformer decides every screened pair
    /// (about 100x the CPU of the lexical run on news). Example: overlap reuse news.jsonl --out
    /// out/news --semantic --semantic-rescore unsure
    #[arg(long, requires = "semantic", value_enum, default_value_t = RescoreArg::Never,
          value_name = "WHEN")]
    pub semantic_rescore: RescoreArg,

    #[command(flatten)]
    pub transformer: crate::embed::TransformerArgs,
}

/// `--semantic-rescore`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RescoreArg {
    Never,
    Unsure,
    Always,
}

impl RescoreArg {
    pub fn tier(self) -> RescoreTier {
        match self {
            RescoreArg::Never => RescoreTier::Never,
            RescoreArg::Unsure => RescoreTier::Unsure,
            RescoreArg::Always => RescoreTier::Always,
        }
    }
}

impl ReuseSemanticArgs {
    /// The parameters of the pass.
    pub fn config(&self) -> RewordedConfig {
        RewordedConfig {
            pair_cosine: self.semantic_cosine,
            min_passages: self.semantic_passages,
            static_from: self.semantic_screen,
            passage_screen: self.semantic_passage_screen,
            rescore: self.semantic_rescore.tier(),
            ..RewordedConfig::default()
        }
    }
}
