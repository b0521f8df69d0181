//! Text processing: turning a document's text into normalized word tokens and hashed shingles.
//!
//! The pipeline is `tokenize` (find word spans in the original text and normalize each one) followed by
//! `shingle` (hash every run of `n` consecutive normalized tokens). Tokens keep their byte spans in the
//! original text so that passage alignment can map results back to the user's characters.

mod mojibake;
mod normalize;
mod shingle;
mod tokenize;

pub use mojibake::fix_mojibake;
pub use normalize::Normalization;
pub use shingle::{exact_key, shingle_hashes, shingle_set};
pub use tokenize::{tokenize, tokenize_into, Tokens};
