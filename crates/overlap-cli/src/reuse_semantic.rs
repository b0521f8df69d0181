//! `overlap reuse --semantic`: documents that share a few passages rewritten in other words.

use crate::ranges::{real, Bound};
use clap::{Args, ValueEnum};
use overlap::reuse::contrast::ContrastConfig;
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

    /// With --semantic: static-model cosine of a reworded passage's two sides from which it is
    /// judged; below it the passage is not said twice (the gate that keeps the judge off most
    /// candidates: lower judges more). Default: 0.75, or 0.6 with --semantic-rescore unsure or
    /// always (the transformer turns away what the wider screen lets through).
    #[arg(long, requires = "semantic", value_name = "C",
          value_parser = real(Bound::Closed(-1.0), Bound::Closed(1.0)))]
    pub semantic_passage_screen: Option<f64>,

    /// With --semantic: who decides the sentence pairs and passages the static model screens.
    /// never: the static model's cosine combined with the weighted word overlap, no transformer
    /// (fast; the transformer need not be installed); unsure: the same, but scores close to the
    /// bars go to the full transformer; always: the transformer decides every screened pair
    /// (about 100x the CPU of the lexical run on news). Example: overlap reuse news.jsonl --out
    /// out/news --semantic --semantic-rescore unsure
    #[arg(long, requires = "semantic", value_enum, default_value_t = RescoreArg::Never,
          value_name = "WHEN")]
    pub semantic_rescore: RescoreArg,

    /// With --semantic-rescore unsure: how close to its bar (in the static tier's combined score
    /// of cosine and word overlap) a sentence pair or passage must be for the transformer to
    /// decide it; wider asks the transformer more often, and 1 asks it about every screened pair,
    /// as always does.
    #[arg(long, requires = "semantic", default_value_t = RewordedConfig::default().unsure_margin,
          value_name = "M", value_parser = real(Bound::Closed(0.0), Bound::Closed(1.0)))]
    pub semantic_unsure_margin: f64,

    /// With --semantic: fewest words, on the side with fewer, of a passage (or sentence pair) that
    /// may count as said twice.
    #[arg(long, requires = "semantic", default_value_t = RewordedConfig::default().min_passage_words,
          value_name = "N", value_parser = crate::ranges::int(1, u32::MAX as u64))]
    pub semantic_min_words: usize,

    /// With --semantic: judge a reworded passage only as a whole. By default a passage whose
    /// whole is not said twice (a paraphrased sentence aligned together with a neighbouring
    /// sentence of its host) is judged again by its best sentence pair, under the same rules.
    #[arg(long, requires = "semantic")]
    pub semantic_whole_passages: bool,

    /// With --semantic: let passages whose words are mostly addresses (e-mail addresses, URLs,
    /// host and file names, paths) count. By default each side of a passage needs
    /// --semantic-min-words words outside addresses.
    #[arg(long, requires = "semantic")]
    pub semantic_keep_addresses: bool,

    /// With --semantic: how far a reworded passage's static cosine must stand above each side's
    /// mean cosine to its --semantic-margin-neighbours nearest sentences of the other document
    /// (a passage about as close to the rest of the other document is generic, not reused); -2
    /// turns the rule off.
    #[arg(long, requires = "semantic", default_value_t = ContrastConfig::default().min_margin,
          value_name = "M", value_parser = real(Bound::Closed(-2.0), Bound::Closed(2.0)))]
    pub semantic_margin: f64,

    /// With --semantic: sentences of the other document each side of a passage is compared with
    /// for --semantic-margin.
    #[arg(long, requires = "semantic", default_value_t = ContrastConfig::default().neighbours,
          value_name = "N", value_parser = crate::ranges::int(1, u32::MAX as u64))]
    pub semantic_margin_neighbours: usize,

    /// With --semantic: also relate a candidate by align's rule of evidence (15 words of paired
    /// sentences), not only by --semantic-passages passages said twice (the default).
    #[arg(long, requires = "semantic")]
    pub semantic_evidence_relates: bool,

    /// With --semantic: let a reworded passage whose two sides both state numbers, none of them
    /// shared, count as said twice. By default it does not: a paraphrase keeps its facts, and two
    /// sentences on one topic with other numbers state other facts.
    #[arg(long, requires = "semantic")]
    pub semantic_numbers_may_differ: bool,

    /// With --semantic: a passage whose sides share rare word pairs (two rare words of one
    /// sentence), each held by N or more documents of the corpus, is a recurring line (a series'
    /// header, trailer or legend), not a passage said twice; 0 (the default) turns the rule off
    /// (at 5, on Reuters + 20 Newsgroups, it removed quotes of posts that several replies quote
    /// about as often as series lines: bench/RESULTS.md 8.24).
    #[arg(long, requires = "semantic", default_value_t = RewordedConfig::default().template_docs,
          value_name = "N", value_parser = crate::ranges::int(0, u32::MAX as u64))]
    pub semantic_template_docs: usize,

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
        let tier = RewordedConfig::for_tier(self.semantic_rescore.tier());
        RewordedConfig {
            pair_cosine: self.semantic_cosine,
            min_passages: self.semantic_passages,
            static_from: self.semantic_screen,
            passage_screen: self.semantic_passage_screen.unwrap_or(tier.passage_screen),
            min_passage_words: self.semantic_min_words,
            unsure_margin: self.semantic_unsure_margin,
            sentence_pairs: !self.semantic_whole_passages,
            numbers_agree: !self.semantic_numbers_may_differ,
            template_docs: self.semantic_template_docs,
            contrast: ContrastConfig {
                skip_addresses: !self.semantic_keep_addresses,
                min_margin: self.semantic_margin,
                neighbours: self.semantic_margin_neighbours,
                passages_decide: !self.semantic_evidence_relates,
            },
            ..tier
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        semantic: ReuseSemanticArgs,
    }

    fn config(args: &[&str]) -> RewordedConfig {
        let argv = std::iter::once("reuse").chain(args.iter().copied());
        Cli::try_parse_from(argv).unwrap().semantic.config()
    }

    #[test]
    fn the_passage_screen_defaults_by_tier_and_an_explicit_one_wins() {
        let never = config(&["--semantic"]);
        assert_eq!(never.rescore, RescoreTier::Never);
        assert_eq!(
            never.passage_screen,
            RewordedConfig::default().passage_screen
        );
        for tier in ["unsure", "always"] {
            let c = config(&["--semantic", "--semantic-rescore", tier]);
            assert_eq!(
                c.passage_screen,
                RewordedConfig::TRANSFORMER_PASSAGE_SCREEN,
                "{tier}"
            );
            assert_eq!(c, RewordedConfig::for_tier(c.rescore), "{tier}");
            let c = config(&[
                "--semantic",
                "--semantic-rescore",
                tier,
                "--semantic-passage-screen",
                "0.7",
            ]);
            assert_eq!(c.passage_screen, 0.7, "{tier}");
        }
        let c = config(&[
            "--semantic",
            "--semantic-rescore",
            "unsure",
            "--semantic-unsure-margin",
            "0.2",
        ]);
        assert_eq!(c.unsure_margin, 0.2);
        assert_eq!(
            config(&["--semantic", "--semantic-rescore", "unsure"]).unsure_margin,
            RewordedConfig::default().unsure_margin
        );
        let c = config(&["--semantic", "--semantic-passage-screen", "0.5"]);
        assert_eq!(c.passage_screen, 0.5);
        assert_eq!(config(&["--semantic"]), RewordedConfig::default());
    }
}
