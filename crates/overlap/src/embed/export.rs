//! Exporting document embeddings (`overlap embed`): the static model (or the transformer) over a corpus, one JSON line per
//! document, for other systems and for evaluations.
//!
//! The transformer encodes the documents in batches ([`Transformer::encode_ids_many`]: the windows
//! of many texts through one product, the same bits as one by one): accepted documents wait, their
//! token ids only, until [`PENDING_TOKENS`] tokens or [`PENDING_DOCS`] documents are pending, and are
//! then encoded and written in input order.
//!
//! Memory: one batch of records in flight; for the transformer, up to [`PENDING_TOKENS`] pending
//! token ids (4 bytes each) and their documents' ids, plus the transformer's own batch
//! (`bert`'s memory model); vectors are streamed to the output.

use super::{Encoder, Transformer};
use crate::error::{Error, Problem, Result};
use crate::io::{ingest, BlockWriter, Compression, CorpusReader, FieldNames, Mapped, OnError};
use crate::progress::Progress;
use serde::Serialize;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

/// What an export did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct EmbedStats {
    /// Documents embedded.
    pub documents: u64,
    /// Model tokens (WordPiece pieces with a vector), summed over documents.
    pub tokens: u64,
    /// Documents without any token the model knows (their vector is all zeros).
    pub without_known_tokens: u64,
    /// Dimensions of each vector.
    pub dims: usize,
    /// Bad records skipped.
    pub skipped: Vec<Problem>,
    /// Wall-clock seconds, reading and writing included.
    pub wall_s: f64,
}

/// Tokens of pending documents from which the transformer encodes them.
pub const PENDING_TOKENS: usize = 1 << 16;

/// Pending documents from which the transformer encodes them.
pub const PENDING_DOCS: usize = 4096;

struct Embedded {
    /// Words by the engine's tokenizer, so that `empty_text` means what it means in every command.
    words: usize,
    tokens: usize,
    /// The static model's vector, computed on the mapping threads; `None` for the transformer,
    /// which encodes pending documents by batches.
    vector: Option<Vec<f32>>,
    ids: Vec<u32>,
}

impl Mapped for Embedded {
    fn word_count(&self) -> usize {
        self.words
    }
}

#[derive(Serialize)]
struct Line<'a> {
    id: &'a str,
    embedding: &'a [f32],
}

/// Embed every document of `reader` and write `{"id", "embedding"}` lines to `out`.
pub fn export_embeddings<'m>(
    reader: &mut CorpusReader,
    fields: &FieldNames,
    on_error: OnError,
    model: impl Into<Encoder<'m>>,
    out: &Path,
    compression: Compression,
    progress: &dyn Progress,
) -> Result<EmbedStats> {
    let started = Instant::now();
    let model: Encoder<'m> = model.into();
    let file = std::fs::File::create(out).map_err(|e| Error::io(out, e))?;
    let io = |e: std::io::Error| Error::io(out, e);
    let mut w = BlockWriter::new(BufWriter::with_capacity(1 << 16, file), compression);
    let mut stats = EmbedStats {
        dims: model.dims(),
        ..EmbedStats::default()
    };
    let normalization = crate::text::Normalization::default();
    let transformer = match model {
        Encoder::Transformer(t) => Some(t),
        Encoder::Static(_) => None,
    };
    let map = |text: &str| {
        let ids = model.token_ids(text);
        Embedded {
            words: crate::text::tokenize(text, &normalization).len(),
            tokens: ids.len(),
            vector: transformer.is_none().then(|| model.encode_ids(&ids)),
            ids: if transformer.is_some() {
                ids
            } else {
                Vec::new()
            },
        }
    };
    let mut pending = Pending::default();
    stats.skipped = ingest(reader, fields, on_error, progress, map, |doc| {
        stats.documents += 1;
        stats.tokens += doc.value.tokens as u64;
        stats.without_known_tokens += u64::from(doc.value.tokens == 0);
        let Some(t) = transformer else {
            let vector = doc.value.vector.unwrap_or_default();
            return write_line(&mut w, &doc.id, &vector).map_err(io);
        };
        pending.tokens += doc.value.ids.len();
        pending.docs.push((doc.id, doc.value.ids));
        if pending.tokens >= PENDING_TOKENS || pending.docs.len() >= PENDING_DOCS {
            pending.flush(t, &mut w).map_err(io)?;
        }
        Ok(())
    })?;
    if let Some(t) = transformer {
        pending.flush(t, &mut w).map_err(io)?;
    }
    w.finish().and_then(|mut f| f.flush()).map_err(io)?;
    stats.wall_s = started.elapsed().as_secs_f64();
    Ok(stats)
}

fn write_line(w: &mut impl Write, id: &str, embedding: &[f32]) -> std::io::Result<()> {
    serde_json::to_writer(&mut *w, &Line { id, embedding })?;
    w.write_all(b"\n")
}

/// Accepted documents waiting for the transformer, in input order.
#[derive(Default)]
struct Pending {
    docs: Vec<(String, Vec<u32>)>,
    tokens: usize,
}

impl Pending {
    /// Encode the pending documents as batches and write their lines, in input order.
    fn flush(&mut self, model: &Transformer, w: &mut impl Write) -> std::io::Result<()> {
        let ids: Vec<&[u32]> = self.docs.iter().map(|(_, ids)| ids.as_slice()).collect();
        let vectors = model.encode_ids_many(&ids);
        for ((id, _), v) in self.docs.iter().zip(&vectors) {
            write_line(w, id, v)?;
        }
        self.docs.clear();
        self.tokens = 0;
        Ok(())
    }
}
