//! Compression formats of inputs and outputs: none, gzip, zstd.
//!
//! Inputs are recognised by their magic bytes, not their names, so a mislabelled file still reads.

use serde::{Deserialize, Serialize};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

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
    /// Recognise a format from the first bytes of a stream. A zstd stream may start with a
    /// skippable frame (magic `0x184D2A50` to `0x184D2A5F`, little-endian), which zstd readers pass
    /// over.
    pub fn from_magic(head: &[u8]) -> Self {
        let skippable =
            head.len() >= 4 && head[0] & 0xf0 == 0x50 && head[1..4] == [0x2a, 0x4d, 0x18];
        if head.starts_with(&GZIP_MAGIC) {
            Compression::Gzip
        } else if head.starts_with(&ZSTD_MAGIC) || skippable {
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
    decompress_noting(inner).map(|(r, c, _)| (r, c))
}

/// What decompression tolerated but a reader should hear about.
#[derive(Clone, Debug, Default)]
pub struct DecompressNotes {
    trailing_zeros: Arc<AtomicU64>,
}

impl DecompressNotes {
    /// Zero bytes found after the last gzip member (padding, as written by some tape and block
    /// tools): ignored, as GNU gzip does, with a warning.
    pub fn trailing_zeros(&self) -> u64 {
        self.trailing_zeros.load(Ordering::Relaxed)
    }
}

/// [`decompress`], also returning the notes of what was tolerated, filled in as the stream is read.
pub fn decompress_noting<'a, R: Read + Send + 'a>(
    inner: R,
) -> io::Result<(Box<dyn BufRead + Send + 'a>, Compression, DecompressNotes)> {
    let mut buffered = BufReader::with_capacity(1 << 16, inner);
    let compression = Compression::from_magic(buffered.fill_buf()?);
    let notes = DecompressNotes::default();
    let reader: Box<dyn BufRead + Send + 'a> = match compression {
        Compression::None => Box::new(buffered),
        Compression::Gzip => Box::new(BufReader::with_capacity(
            1 << 16,
            GzMembers {
                current: Some(flate2::bufread::GzDecoder::new(buffered)),
                trailing_zeros: Arc::clone(&notes.trailing_zeros),
            },
        )),
        Compression::Zstd => Box::new(BufReader::with_capacity(
            1 << 16,
            zstd::stream::read::Decoder::with_buffer(buffered)?,
        )),
    };
    Ok((reader, compression, notes))
}

/// Every gzip member of a stream in turn (like `MultiGzDecoder`), accepting zero bytes after the
/// last member as GNU gzip does ("decompression OK, trailing zero bytes ignored"). Anything else
/// after a member is an error: it may be a corrupt member.
struct GzMembers<R: BufRead> {
    current: Option<flate2::bufread::GzDecoder<R>>,
    trailing_zeros: Arc<AtomicU64>,
}

impl<R: BufRead> Read for GzMembers<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(member) = self.current.as_mut() else {
                return Ok(0);
            };
            let n = member.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            let mut inner = self
                .current
                .take()
                .map(|m| m.into_inner())
                .expect("a member");
            let head = inner.fill_buf()?;
            if head.is_empty() {
                return Ok(0);
            }
            if head.starts_with(&GZIP_MAGIC) {
                self.current = Some(flate2::bufread::GzDecoder::new(inner));
                continue;
            }
            loop {
                let head = inner.fill_buf()?;
                if head.is_empty() {
                    return Ok(0);
                }
                if let Some(at) = head.iter().position(|&b| b != 0) {
                    let zeros = self.trailing_zeros.load(Ordering::Relaxed) + at as u64;
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "trailing garbage after the last gzip member (after {zeros} zero bytes)"
                        ),
                    ));
                }
                let len = head.len();
                self.trailing_zeros.fetch_add(len as u64, Ordering::Relaxed);
                inner.consume(len);
            }
        }
    }
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

    fn read_all(bytes: &[u8]) -> (io::Result<Vec<u8>>, Compression, u64) {
        let (mut r, c, notes) = decompress_noting(bytes).unwrap();
        let mut out = Vec::new();
        let result = r.read_to_end(&mut out).map(|_| out);
        (result, c, notes.trailing_zeros())
    }

    #[test]
    fn zstd_starting_with_a_skippable_frame_is_zstd() {
        for nibble in [0u8, 7, 15] {
            let mut bytes = (0x184D_2A50u32 + u32::from(nibble)).to_le_bytes().to_vec();
            bytes.extend_from_slice(&3u32.to_le_bytes());
            bytes.extend_from_slice(b"xyz");
            bytes.extend(zstd::encode_all(&b"line one\n"[..], 3).unwrap());
            let (out, c, _) = read_all(&bytes);
            assert_eq!(c, Compression::Zstd);
            assert_eq!(out.unwrap(), b"line one\n");
        }
    }

    #[test]
    fn gzip_zero_padding_is_ignored_and_noted_but_garbage_is_an_error() {
        let mut w = CompressedWriter::new(Vec::new(), Compression::Gzip).unwrap();
        w.write_all(b"one\n").unwrap();
        let member = w.finish().unwrap();
        let mut two = member.clone();
        two.extend_from_slice(&member);
        let (out, _, zeros) = read_all(&two);
        assert_eq!((out.unwrap(), zeros), (b"one\none\n".to_vec(), 0));

        let mut padded = two.clone();
        padded.extend(std::iter::repeat_n(0u8, 70_000));
        let (out, _, zeros) = read_all(&padded);
        assert_eq!((out.unwrap(), zeros), (b"one\none\n".to_vec(), 70_000));

        let mut garbage = padded.clone();
        garbage.extend_from_slice(b"junk");
        let (out, _, _) = read_all(&garbage);
        let e = out.unwrap_err().to_string();
        assert!(e.contains("trailing garbage"), "{e}");
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
