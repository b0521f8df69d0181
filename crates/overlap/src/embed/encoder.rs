//! Either model behind one interface, for the code that embeds texts with whichever it is given
//! (`overlap embed`, the document-level similarity of `align`).

use super::{StaticModel, Transformer};

/// A text encoder: the static model or the full transformer.
#[derive(Clone, Copy, Debug)]
pub enum Encoder<'m> {
    /// The static model (mean of token vectors).
    Static(&'m StaticModel),
    /// The full transformer.
    Transformer(&'m Transformer),
}

impl<'m> From<&'m StaticModel> for Encoder<'m> {
    fn from(m: &'m StaticModel) -> Self {
        Encoder::Static(m)
    }
}

impl<'m> From<&'m Transformer> for Encoder<'m> {
    fn from(m: &'m Transformer) -> Self {
        Encoder::Transformer(m)
    }
}

impl Encoder<'_> {
    /// Dimensions of a vector.
    pub fn dims(&self) -> usize {
        match self {
            Encoder::Static(m) => m.dims(),
            Encoder::Transformer(m) => m.dims(),
        }
    }

    /// The token ids the model reads for `text` (the static model drops `[UNK]`; the transformer
    /// reads it).
    pub fn token_ids(&self, text: &str) -> Vec<u32> {
        match self {
            Encoder::Static(m) => m.token_ids(text),
            Encoder::Transformer(m) => m.token_ids(text),
        }
    }

    /// The embedding of token ids from [`token_ids`](Self::token_ids).
    pub fn encode_ids(&self, ids: &[u32]) -> Vec<f32> {
        match self {
            Encoder::Static(m) => m.pool(ids),
            Encoder::Transformer(m) => m.encode_ids(ids),
        }
    }

    /// The embedding of `text`.
    pub fn encode(&self, text: &str) -> Vec<f32> {
        self.encode_ids(&self.token_ids(text))
    }
}
