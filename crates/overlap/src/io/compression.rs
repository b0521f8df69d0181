//! Compression formats of inputs and outputs: none, gzip, zstd.
//!
//! Inputs are recognised by their magic bytes, not their names, so a mislabelled file still reads.

use serde::{Deserialize, Serialize};
use std::io::{self, BufRead, BufReader, Read, Write};

/// A compression format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// Plain bytes.
    #[default]
    None,
    /// gzip (RFC 1952), including multi-member files.
    Gzip,
    /// Zstandard, including multi-frame files.
    Zstd,
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

impl Compression {
    /// Recognise a format from the first bytes of a stream.
    pub fn from_magic(head: &[u8]) -> Self {
        if head.starts_with(&GZIP_MAGIC) {
            Compression::Gzip
        } else if head.starts_with(&ZSTD_MAGIC) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }

    /// The level outputs are compressed at unless told otherwise: gzip 1 and zstd 1, the fastest
    /// (see bench/RESULTS.md for what they cost in size against higher levels).
    pub fn default_level(self) -> u32 {
        match self {
            Compression::None => 0,
            Compression::Gzip | Compression::Zstd => 1,
        }
    }

    /// The levels a format accepts.
    pub fn levels(self) -> std::ops::RangeInclusive<u32> {
        match self {
            Compression::None => 0..=0,
            Compression::Gzip => 0..=9,
            Compression::Zstd => 1..=19,
        }
    }

    /// The usual file-name suffix (with its dot), empty for no compression.
    pub fn extension(self) -> &'static str {
        match self {
            Compression::None => "",
            Compression::Gzip => ".gz",
            Compression::Zstd => ".zst",
        }
    }

    /// Strip this format's suffix, if present, from a file name.
    pub fn strip_extension(name: &str) -> &str {
        name.strip_suffix(".gz")
            .or_else(|| name.strip_suffix(".zst"))
            .or_else(|| name.strip_suffix(".zstd"))
            .unwrap_or(name)
    }
}

/// Open a decompressing, buffered reader over `inner`, recognising its format from its first bytes.
pub fn decompress<'a, R: Read + Send + 'a>(
    inner: R,
) -> io::Result<(Box<dyn BufRead + Send + 'a>, Compression)> {
    let mut buffered = BufReader::with_capacity(1 << 16, inner);
    let compression = Compression::from_magic(buffered.fill_buf()?);
    let reader: Box<dyn BufRead + Send + 'a> = match compression {
        Compression::None => Box::new(buffered),
        Compression::Gzip => Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::bufread::MultiGzDecoder::new(buffered),
        )),
        Compression::Zstd => Box::new(BufReader::with_capacity(
            1 << 16,
            zstd::stream::read::Decoder::with_buffer(buffered)?,
        )),
    };
    Ok((reader, compression))
}

/// A compressing writer that must be [`finish`](CompressedWriter::finish)ed to write its trailer.
pub struct CompressedWriter<W: Write> {
    inner: Encoder<W>,
}

enum Encoder<W: Write> {
    Plain(W),
    Gzip(flate2::write::GzEncoder<W>),
    Zstd(zstd::stream::write::Encoder<'static, W>),
}

impl<W: Write> CompressedWriter<W> {
    /// Wrap `inner`. Levels favour speed (see [`Compression::default_level`]): outputs are as large
    /// as the input at most, and a slow encoder would dominate the run.
    pub fn new(inner: W, compression: Compression) -> io::Result<Self> {
        Self::with_level(inner, compression, None)
    }

    /// Wrap `inner`, compressing at `level` (gzip 0-9, zstd 1-19; `None`: the default level).
    pub fn with_level(inner: W, compression: Compression, level: Option<u32>) -> io::Result<Self> {
        let level = level.unwrap_or(compression.default_level());
        let inner = match compression {
            Compression::None => Encoder::Plain(inner),
            Compression::Gzip => Encoder::Gzip(flate2::write::GzEncoder::new(
                inner,
                flate2::Compression::new(level.min(9)),
            )),
            Compression::Zstd => Encoder::Zstd(zstd::stream::write::Encoder::new(
                inner,
                level.clamp(1, 19) as i32,
            )?),
        };
        Ok(CompressedWriter { inner })
    }

    /// Flush everything, write the format's trailer, and return the inner writer.
    pub fn finish(self) -> io::Result<W> {
        match self.inner {
            Encoder::Plain(mut w) => {
                w.flush()?;
                Ok(w)
            }
            Encoder::Gzip(w) => w.finish(),
            Encoder::Zstd(w) => w.finish(),
        }
    }
}

impl<W: Write> Write for CompressedWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.inner {
            Encoder::Plain(w) => w.write(buf),
            Encoder::Gzip(w) => w.write(buf),
            Encoder::Zstd(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.inner {
            Encoder::Plain(w) => w.flush(),
            Encoder::Gzip(w) => w.flush(),
            Encoder::Zstd(w) => w.flush(),
        }
    }
}

/// A compressing writer that compresses blocks of about `BLOCK` bytes in parallel, each as its own
/// gzip member or zstd frame, written in order. Standard readers (gzip, zcat, zstd, Python) read the
/// concatenation as one stream; the output is the same for any number of threads. Must be
/// [`finish`](BlockWriter::finish)ed.
///
/// Memory: up to `2 x threads` blocks in flight.
pub struct BlockWriter<W: Write> {
    inner: W,
    compression: Compression,
    level: Option<u32>,
    block: Vec<u8>,
    pending: Vec<Vec<u8>>,
}

/// Uncompressed bytes per block.
const BLOCK: usize = 4 << 20;

impl<W: Write> BlockWriter<W> {
    /// Wrap `inner`.
    pub fn new(inner: W, compression: Compression) -> Self {
        Self::with_level(inner, compression, None)
    }

    /// Wrap `inner`, compressing at `level` (see [`CompressedWriter::with_level`]).
    pub fn with_level(inner: W, compression: Compression, level: Option<u32>) -> Self {
        BlockWriter {
            inner,
            compression,
            level,
            block: Vec::new(),
            pending: Vec::new(),
        }
    }

    fn flush_pending(&mut self) -> io::Result<()> {
        use rayon::prelude::*;
        let (compression, level) = (self.compression, self.level);
        let compressed: Vec<io::Result<Vec<u8>>> = self
            .pending
            .par_iter()
            .map(|block| {
                let mut w = CompressedWriter::with_level(
                    Vec::with_capacity(block.len() / 3),
                    compression,
                    level,
                )?;
                w.write_all(block)?;
                w.finish()
            })
            .collect();
        self.pending.clear();
        for c in compressed {
            self.inner.write_all(&c?)?;
        }
        Ok(())
    }

    /// Compress and write what is left, and return the inner writer (flushed).
    pub fn finish(mut self) -> io::Result<W> {
        if !self.block.is_empty() {
            let block = std::mem::take(&mut self.block);
            self.pending.push(block);
        }
        self.flush_pending()?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for BlockWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.compression == Compression::None {
            return self.inner.write(buf);
        }
        self.block.extend_from_slice(buf);
        if self.block.len() >= BLOCK {
            let block = std::mem::replace(&mut self.block, Vec::with_capacity(BLOCK + (1 << 16)));
            self.pending.push(block);
            if self.pending.len() >= 2 * rayon::current_num_threads() {
                self.flush_pending()?;
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        // Blocks are only complete at `finish`; flushing the inner writer is all that is safe here.
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(c: Compression) -> (Vec<u8>, Compression) {
        let mut w = CompressedWriter::new(Vec::new(), c).unwrap();
        w.write_all(b"line one\nline two\n").unwrap();
        let bytes = w.finish().unwrap();
        let (mut r, found) = decompress(&bytes[..]).unwrap();
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        (out, found)
    }

    #[test]
    fn every_format_round_trips_and_is_recognised() {
        for c in [Compression::None, Compression::Gzip, Compression::Zstd] {
            let (out, found) = roundtrip(c);
            assert_eq!(out, b"line one\nline two\n");
            assert_eq!(found, c);
        }
    }

    #[test]
    fn block_writer_output_reads_back_as_one_stream() {
        let text: Vec<u8> = (0..400_000)
            .flat_map(|i| format!("{{\"id\": {i}, \"text\": \"line {i}\"}}\n").into_bytes())
            .collect();
        assert!(text.len() > 2 * BLOCK, "the test must span several blocks");
        for c in [Compression::None, Compression::Gzip, Compression::Zstd] {
            let mut w = BlockWriter::new(Vec::new(), c);
            for chunk in text.chunks(1000) {
                w.write_all(chunk).unwrap();
            }
            let bytes = w.finish().unwrap();
            let (mut r, found) = decompress(&bytes[..]).unwrap();
            let mut out = Vec::new();
            r.read_to_end(&mut out).unwrap();
            assert_eq!(found, c);
            assert!(out == text, "{c:?}: round trip differs");
        }
    }

    #[test]
    fn truncated_streams_are_errors_not_silent_ends() {
        for c in [Compression::Gzip, Compression::Zstd] {
            let mut w = CompressedWriter::new(Vec::new(), c).unwrap();
            for i in 0..2000 {
                writeln!(w, "{{\"id\": {i}, \"text\": \"some words {i}\"}}").unwrap();
            }
            let bytes = w.finish().unwrap();
            let cut = &bytes[..bytes.len() / 2];
            let (mut r, _) = decompress(cut).unwrap();
            let mut out = Vec::new();
            assert!(
                r.read_to_end(&mut out).is_err(),
                "{c:?}: truncation went unnoticed"
            );
        }
    }
}
