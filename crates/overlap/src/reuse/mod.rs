//! Corpus-level reuse: which documents share passages (verbatim or reworded), what the passages are,
//! which documents tell the same story, which passages are boilerplate, and where a story began.
//!
//! The stages, each callable on its own:
//! [`anchors::anchor_grams`] (each document's word n-grams) -> [`index::build`] (n-gram document
//! frequencies: boilerplate per source and corpus-wide, and candidate pairs sharing enough rare
//! n-grams) -> [`boilerplate::spans`] (each document's boilerplate, masked before alignment) ->
//! [`crate::align::align_prepared`] (passages of every candidate pair) -> [`stories::stories`]
//! (clusters with a chain guard) -> [`stories::origins`]. [`run`] wires them to files.

pub mod anchors;
pub mod boilerplate;
pub mod contrast;
pub mod facts;
pub mod in_corpus;
pub mod index;
mod job;
pub mod parts;
pub mod quoted_signatures;
pub mod recurring;
pub mod reworded;
pub mod reworded_candidates;
pub mod same_story;
pub mod signatures;
pub mod static_tier;
pub mod stories;
pub mod templates;

pub use job::{run, run_same_story, run_semantic, run_with, ReuseOptions, ReuseSummary};

use crate::align::AlignConfig;
use serde::{Deserialize, Serialize};

/// Parameters of corpus reuse detection. `Default` gives the documented defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReuseConfig {
    /// Alignment of candidate pairs (its defaults are `overlap align`'s).
    pub align: AlignConfig,
    /// Words per anchor n-gram. Default: 4.
    pub anchor_ngram: usize,
    /// Fewest distinct anchor n-grams two documents must share to be aligned. Default: 3.
    pub min_shared_anchors: usize,
    /// Anchor n-grams in more documents than this propose no pairs (stock phrases). Default: 200.
    pub max_df: usize,
    /// Boilerplate of a source: n-grams in at least this many of its documents... Default: 3.
    pub boilerplate_min_docs: usize,
    /// ...and in at least this share of them (or in `boilerplate_cap_docs`). Default: 0.2.
    pub boilerplate_fraction: f64,
    /// Documents of one source that make an n-gram its boilerplate whatever the share. Default: 50.
    pub boilerplate_cap_docs: usize,
    /// Corpus-wide boilerplate: n-grams in at least this many documents of at least three sources.
    /// Default: 100.
    pub global_boilerplate_docs: usize,
    /// Shortest boilerplate passage masked from alignment, in words. Default: 4 (one anchor n-gram):
    /// a short repeated line of one source ("Share this article: Facebook, Twitter") is boilerplate
    /// too. `boilerplate.jsonl` lists those of 8 words or more.
    pub boilerplate_min_words: usize,
    /// Boilerplate stretches shorter than this many words are masked only when they fill their
    /// lines: inside a sentence they are stock phrases (see [`boilerplate::to_mask`]). Default: 8.
    /// 0 masks every stretch.
    pub boilerplate_inline_words: usize,
    /// A short line among the last lines of at least this many documents of different texts,
    /// unquoted, is a signature line, masked wherever it appears (see [`signatures`]). Default: 3.
    /// 0 finds none.
    pub signature_min_docs: usize,
    /// Words in at most this many documents (or 1% of them, when more) count as rare, and reworded
    /// sentences must share some rare words. Default: 50.
    pub rare_word_min_docs: usize,
    /// Fewest related pairs joining two multi-document stories for them to merge. Default: 2.
    pub story_min_cross_edges: usize,
    /// Least share of the pairs between two multi-document stories that must be related for them
    /// to merge. Default: 0.1.
    pub story_cross_density: f64,
}

impl Default for ReuseConfig {
    fn default() -> Self {
        ReuseConfig {
            align: AlignConfig::default(),
            anchor_ngram: 4,
            min_shared_anchors: 3,
            max_df: 200,
            boilerplate_min_docs: 3,
            boilerplate_fraction: 0.2,
            boilerplate_cap_docs: 50,
            global_boilerplate_docs: 100,
            boilerplate_min_words: 4,
            boilerplate_inline_words: 8,
            signature_min_docs: 3,
            rare_word_min_docs: 50,
            story_min_cross_edges: 2,
            story_cross_density: 0.1,
        }
    }
}

impl ReuseConfig {
    /// Check that every parameter is in range.
    pub fn validate(&self) -> crate::Result<()> {
        self.align.validate()?;
        let bad = |m: &str| Err(crate::Error::Config(m.to_string()));
        if self.anchor_ngram == 0 || self.anchor_ngram > 32 {
            return bad("anchor_ngram must be 1 to 32");
        }
        if self.min_shared_anchors == 0 {
            return bad("min_shared_anchors must be at least 1");
        }
        if self.max_df < 2 {
            return bad("max_df must be at least 2");
        }
        if !(0.0..=1.0).contains(&self.boilerplate_fraction) {
            return bad("boilerplate_fraction must be in [0, 1]");
        }
        Ok(())
    }
}
