//! Exporting document embeddings (`overlap embed`): the static model (or the transformer) over a corpus, one JSON line per
//! document, for other systems and for evaluations.
//!
//! Memory: one batch of records in flight; vectors are streamed to the output.

use super::Encoder;
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

struct Embedded {
    /// Words by the engine's tokenizer, so that `empty_text` means what it means in every command.
    words: usize,
    tokens: usize,
    vector: Vec<f32>,
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
    let map = |text: &str| {
        let ids = model.token_ids(text);
        Embedded {
            words: crate::text::tokenize(text, &normalization).len(),
            tokens: ids.len(),
            vector: model.encode_ids(&ids),
        }
    };
    stats.skipped = ingest(reader, fields, on_error, progress, map, |doc| {
        stats.documents += 1;
        stats.tokens += doc.value.tokens as u64;
        stats.without_known_tokens += u64::from(doc.value.tokens == 0);
        let line = Line {
            id: &doc.id,
            embedding: &doc.value.vector,
        };
        serde_json::to_writer(&mut w, &line).map_err(|e| io(e.into()))?;
        w.write_all(b"\n").map_err(io)
    })?;
    w.finish().and_then(|mut f| f.flush()).map_err(io)?;
    stats.wall_s = started.elapsed().as_secs_f64();
    Ok(stats)
}
