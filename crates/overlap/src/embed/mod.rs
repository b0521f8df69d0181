//! Sentence embeddings from a static model: the semantic layer of `align`, `reuse` and
//! `dedup --semantic`.
//!
//! A static model (model2vec's idea) is one vector per vocabulary token, distilled from a sentence
//! transformer (here all-MiniLM-L6-v2, by `scripts/make-model.sh`). A text's embedding is the mean of
//! its tokens' vectors, normalized to unit length: no transformer runs at inference, so it costs a
//! tokenization and a few hundred additions per token.
//!
//! The model is a folder in model2vec's format: `model.safetensors` (one `[vocab, dims]` tensor),
//! `tokenizer.json` (a WordPiece tokenizer, BERT's normalization) and `config.json`. This module reads
//! it with its own small readers ([`safetensors`], [`wordpiece`]) instead of the `tokenizers` and
//! `model2vec-rs` crates, so that the feature adds no dependency to the build.
//!
//! Determinism: a text's vector is a sum over its tokens in text order, in `f32`, then one division;
//! the same text gives the same bits on every run and with any number of threads.
//!
//! The full transformer the static model is distilled from runs too ([`bert`]), for the few pairs
//! where the static model is unsure: about 100 times slower, much closer to human judgement.
//!
//! Memory: the model's matrix (`vocab x dims x 4` bytes: 30,522 x 256 x 4 = 31 MB) and its vocabulary
//! (about 1 MB); per text, its token ids.

pub mod bert;
pub mod encoder;
pub mod export;
pub mod model;
pub mod rescore;
pub mod safetensors;
pub mod tiny;
pub mod wordpiece;

pub use crate::align::cosine;
pub use bert::{transformer_dir, Transformer};
pub use encoder::Encoder;
pub use export::{export_embeddings, EmbedStats};
pub use model::StaticModel;
pub use rescore::UnitRescorer;
pub use wordpiece::WordPiece;

use std::path::{Path, PathBuf};

/// Where `scripts/make-model.sh` puts the model, relative to the repository root.
pub const DEFAULT_MODEL_DIR: &str = "models/overlap-minilm-static";

/// Environment variable naming the model folder.
pub const MODEL_ENV: &str = "OVERLAP_MODEL";

/// The command that builds the model, for messages.
pub const MAKE_MODEL: &str = "scripts/make-model.sh";

/// The model folder to use: `explicit` when given, else `$OVERLAP_MODEL`, else
/// [`DEFAULT_MODEL_DIR`] under the current directory. The folder is not checked here;
/// [`StaticModel::load`] says what is missing.
pub fn model_dir(explicit: Option<&Path>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    match std::env::var_os(MODEL_ENV) {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => PathBuf::from(DEFAULT_MODEL_DIR),
    }
}
