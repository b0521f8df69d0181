//! Streaming reader over all sources: yields raw records (a JSONL line, or a whole text file) in input
//! order, or the [`Problem`] that stopped a record from being read.
//!
//! Memory: one batch of raw records, plus one line buffer. Lines longer than the record limit are
//! skipped over without being held.

use crate::error::{Error, Problem, ProblemKind, Result};
use crate::io::parquet::ParquetRows;
use crate::io::{
    decompress_noting, sniff, Compression, DecompressNotes, FieldNames, Format, Location,
    ParquetRow, Source,
};
use std::fs::File;
use std::io::{self, BufRead, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// One record as read, before parsing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawRecord {
    /// Index of its source in the list given to the reader.
    pub source: u32,
    /// 1-based line number in a JSONL source; 1 for a text source.
    pub line: u64,
    /// The line (without its newline) or the whole file.
    pub bytes: Vec<u8>,
}

/// What the reader yields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadItem {
    /// A record to parse.
    Record(RawRecord),
    /// A row of a Parquet source, its fields already picked out.
    Parquet(ParquetRow),
    /// A record that could not be read.
    Problem(Problem),
}

/// Per-source counts, for the summary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceStats {
    /// Compression found by magic bytes.
    pub compression: Compression,
    /// Records read, good or bad (blank lines excluded).
    pub records: u64,
    /// Whitespace-only lines, which are not records.
    pub blank_lines: u64,
    /// What was tolerated while reading (zero padding after the last gzip member), for the summary
    /// and the user; not problems with any record.
    pub warnings: Vec<String>,
}

/// Reads every source in turn.
pub struct CorpusReader {
    sources: Vec<Source>,
    next_source: usize,
    open: Option<OpenSource>,
    max_record_bytes: usize,
    bytes_read: Arc<AtomicU64>,
    stats: Vec<SourceStats>,
    spools: Vec<Option<Box<dyn Write + Send>>>,
    sniff_names: bool,
    fields: FieldNames,
    parquet: Option<ParquetRows>,
}

struct OpenSource {
    index: usize,
    reader: Box<dyn BufRead + Send>,
    line: u64,
    notes: DecompressNotes,
}

impl CorpusReader {
    /// A reader over `sources`; records over `max_record_bytes` become [`ProblemKind::TooLarge`].
    pub fn new(sources: Vec<Source>, max_record_bytes: usize) -> Self {
        let stats = vec![SourceStats::default(); sources.len()];
        let spools = sources.iter().map(|_| None).collect();
        CorpusReader {
            sources,
            next_source: 0,
            open: None,
            max_record_bytes,
            bytes_read: Arc::new(AtomicU64::new(0)),
            stats,
            spools,
            sniff_names: true,
            fields: FieldNames::default(),
            parquet: None,
        }
    }

    /// Name the fields to read: columnar sources (Parquet) read only these columns.
    pub fn with_fields(mut self, fields: FieldNames) -> Self {
        self.fields = fields;
        self
    }

    /// Whether file names may mark a file as a format overlap does not read (`.csv`, `.tsv`;
    /// default: yes). Magic numbers (Parquet, zip, PDF, images, programs, NUL bytes) always do.
    pub fn sniff_names(&mut self, by_name: bool) {
        self.sniff_names = by_name;
    }

    /// Copy what is read of source `index` to `spool`, so that a second pass can read it again
    /// although the source itself cannot be (standard input, a FIFO, a process substitution): every
    /// line of a JSONL source, decompressed (a line that could not be read as an empty line, so line
    /// numbers agree), or the bytes of a text source.
    pub fn spool_to(&mut self, index: usize, spool: Box<dyn Write + Send>) {
        self.spools[index] = Some(spool);
    }

    /// Copy every line read from standard input to `spool`: [`CorpusReader::spool_to`] for each
    /// standard-input source.
    pub fn spool_stdin_to(&mut self, spool: Box<dyn Write + Send>) {
        if let Some(i) = self
            .sources
            .iter()
            .position(|s| s.location == Location::Stdin)
        {
            self.spool_to(i, spool);
        }
    }

    /// The sources, in order.
    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    /// Per-source counts so far.
    pub fn stats(&self) -> &[SourceStats] {
        &self.stats
    }

    /// A counter of (compressed) bytes consumed from files so far, for progress display.
    pub fn bytes_read(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.bytes_read)
    }

    /// Total size of the file sources in bytes, or `None` when standard input is among them.
    pub fn total_bytes(&self) -> Option<u64> {
        self.sources
            .iter()
            .try_fold(0u64, |acc, s| match &s.location {
                Location::Path(p) => Some(acc + std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)),
                Location::Stdin => None,
            })
    }

    /// The next items, at most `max_items` or about `max_bytes` of records; empty at the end.
    ///
    /// Only failures to open a source or write the stdin spool are fatal; everything wrong with the
    /// data itself comes back as a [`ReadItem::Problem`].
    pub fn next_batch(&mut self, max_items: usize, max_bytes: usize) -> Result<Vec<ReadItem>> {
        let mut batch = Vec::new();
        let mut bytes = 0;
        while batch.len() < max_items && bytes < max_bytes {
            let Some(item) = self.next_item()? else { break };
            match &item {
                ReadItem::Record(r) => bytes += r.bytes.len(),
                ReadItem::Parquet(r) => bytes += r.text.len(),
                ReadItem::Problem(_) => {}
            }
            batch.push(item);
        }
        Ok(batch)
    }

    fn next_item(&mut self) -> Result<Option<ReadItem>> {
        loop {
            if let Some(rows) = self.parquet.as_mut() {
                let index = self.next_source - 1;
                match rows.next_item(&mut self.stats[index]) {
                    Some(item) => return Ok(Some(item)),
                    None => self.parquet = None,
                }
            }
            if self.open.is_none() {
                if self.next_source == self.sources.len() {
                    for (source, spool) in self.sources.iter().zip(&mut self.spools) {
                        if let Some(mut spool) = spool.take() {
                            spool.flush().map_err(|e| spool_error(source, e))?;
                        }
                    }
                    return Ok(None);
                }
                let index = self.next_source;
                self.next_source += 1;
                if self.sources[index].format == Format::Parquet {
                    self.parquet = Some(ParquetRows::open(
                        &self.sources[index],
                        index,
                        &self.fields,
                        self.max_record_bytes,
                        Arc::clone(&self.bytes_read),
                    )?);
                    continue;
                }
                let (mut reader, compression, notes) = self.open_source(index)?;
                self.stats[index].compression = compression;
                let source = &self.sources[index];
                let head = match reader.fill_buf() {
                    Ok(head) => head,
                    // A stream that fails at once (a gzip header cut short) must say so here: a
                    // decoder that failed may read as empty afterwards.
                    Err(e) => {
                        let text = source.format == Format::Text;
                        self.stats[index].records += u64::from(text);
                        return Ok(Some(ReadItem::Problem(Problem {
                            file: source.name.clone(),
                            line: (!text).then_some(1),
                            id: source.text_id.clone(),
                            reason: ProblemKind::Truncated,
                            message: format!(
                                "input cannot be read from its start ({e}); nothing of it is read"
                            ),
                        })));
                    }
                };
                // In JSON Lines a NUL byte is one broken line, reported with its line; the file's
                // other records still count.
                let kind = sniff(&source.name, head, self.sniff_names).filter(|k| {
                    !(source.format == Format::Jsonl && *k == crate::io::Unsupported::Binary)
                });
                if let Some(kind) = kind {
                    self.stats[index].records += 1;
                    return Ok(Some(ReadItem::Problem(Problem {
                        file: source.name.clone(),
                        line: None,
                        id: source.text_id.clone(),
                        reason: ProblemKind::UnsupportedFormat,
                        message: kind.to_string(),
                    })));
                }
                if self.sources[index].format == Format::Text {
                    let item = self.read_text(index, reader);
                    if let (ReadItem::Record(r), Some(spool)) = (&item, &mut self.spools[index]) {
                        let source = &self.sources[index];
                        spool
                            .write_all(&r.bytes)
                            .map_err(|e| spool_error(source, e))?;
                    }
                    return Ok(Some(item));
                }
                self.open = Some(OpenSource {
                    index,
                    reader,
                    line: 0,
                    notes,
                });
            }
            if let Some(item) = self.next_line()? {
                return Ok(Some(item));
            }
            if let Some(open) = self.open.take() {
                let zeros = open.notes.trailing_zeros();
                if zeros > 0 {
                    self.stats[open.index].warnings.push(format!(
                        "{zeros} zero bytes after the last gzip member ignored (padding)"
                    ));
                }
            }
        }
    }

    fn open_source(
        &self,
        index: usize,
    ) -> Result<(Box<dyn BufRead + Send>, Compression, DecompressNotes)> {
        let source = &self.sources[index];
        let counter = Arc::clone(&self.bytes_read);
        let opened = match &source.location {
            Location::Path(path) => {
                let file = File::open(path).map_err(|e| Error::io(path, e))?;
                decompress_noting(CountingReader {
                    inner: file,
                    counter,
                })
            }
            Location::Stdin => decompress_noting(CountingReader {
                inner: io::stdin(),
                counter,
            }),
        };
        opened.map_err(|e| Error::io(&source.name, e))
    }

    fn read_text(&mut self, index: usize, reader: Box<dyn BufRead + Send>) -> ReadItem {
        self.stats[index].records += 1;
        let mut bytes = Vec::new();
        let limit = self.max_record_bytes as u64;
        let result = reader.take(limit + 1).read_to_end(&mut bytes);
        let source = &self.sources[index];
        let problem = |reason, message| {
            ReadItem::Problem(Problem {
                file: source.name.clone(),
                line: None,
                id: source.text_id.clone(),
                reason,
                message,
            })
        };
        match result {
            Err(e) => problem(ProblemKind::Truncated, format!("cannot read the file: {e}")),
            Ok(_) if bytes.len() as u64 > limit => problem(
                ProblemKind::TooLarge,
                format!("document is larger than the limit of {limit} bytes"),
            ),
            Ok(_) => ReadItem::Record(RawRecord {
                source: index as u32,
                line: 1,
                bytes,
            }),
        }
    }

    fn next_line(&mut self) -> Result<Option<ReadItem>> {
        let Some(open) = self.open.as_mut() else {
            return Ok(None);
        };
        let index = open.index;
        loop {
            let mut bytes = Vec::new();
            let read = read_line(&mut open.reader, &mut bytes, self.max_record_bytes);
            let line = open.line + 1;
            let name = &self.sources[index].name;
            let problem = |reason, message| Problem {
                file: name.clone(),
                line: Some(line),
                id: None,
                reason,
                message,
            };
            let outcome = match read {
                Ok(Line::Eof) => return Ok(None),
                Err(e) => {
                    // A decompression or read error: nothing after it can be trusted.
                    let p = problem(
                        ProblemKind::Truncated,
                        format!("input cannot be read from this line on ({e}); the rest of the file is not read"),
                    );
                    self.open = None;
                    return Ok(Some(ReadItem::Problem(p)));
                }
                Ok(Line::TooLong(len)) => {
                    self.stats[index].records += 1;
                    ReadItem::Problem(problem(
                        ProblemKind::TooLarge,
                        format!(
                            "record of {len} bytes is larger than the limit of {} bytes",
                            self.max_record_bytes
                        ),
                    ))
                }
                Ok(Line::Complete) => {
                    if line == 1 {
                        strip_bom(&mut bytes);
                    }
                    ReadItem::Record(RawRecord {
                        source: index as u32,
                        line,
                        bytes,
                    })
                }
            };
            open.line = line;
            if let Some(spool) = self.spools[index].as_mut() {
                let kept: &[u8] = match &outcome {
                    ReadItem::Record(r) => &r.bytes,
                    ReadItem::Problem(_) | ReadItem::Parquet(_) => b"",
                };
                spool
                    .write_all(kept)
                    .and_then(|_| spool.write_all(b"\n"))
                    .map_err(|e| spool_error(&self.sources[index], e))?;
            }
            if let ReadItem::Record(r) = &outcome {
                if r.bytes.iter().all(u8::is_ascii_whitespace) {
                    self.stats[index].blank_lines += 1;
                    continue;
                }
                self.stats[index].records += 1;
            }
            return Ok(Some(outcome));
        }
    }
}

fn spool_error(source: &Source, e: io::Error) -> Error {
    Error::io(format!("the spool copy of {}", source.name), e)
}

/// Drop a UTF-8 byte order mark from the start of a file's first line: editors on Windows write
/// one, and it is not part of the first record.
fn strip_bom(line: &mut Vec<u8>) {
    if line.starts_with(b"\xef\xbb\xbf") {
        line.drain(..3);
    }
}

/// Outcome of reading one line.
pub(crate) enum Line {
    Eof,
    Complete,
    TooLong(u64),
}

/// Read one line (without its `\n`) into `buf`, holding at most `max` bytes of it. A longer line is
/// consumed to its end and reported with its length.
pub(crate) fn read_line(r: &mut dyn BufRead, buf: &mut Vec<u8>, max: usize) -> io::Result<Line> {
    buf.clear();
    let mut total: u64 = 0;
    let mut seen_any = false;
    loop {
        let available = match r.fill_buf() {
            Ok(a) => a,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(match (seen_any, total > max as u64) {
                (false, _) => Line::Eof,
                (true, true) => Line::TooLong(total),
                (true, false) => Line::Complete,
            });
        }
        seen_any = true;
        let (len, newline) = match memchr::memchr(b'\n', available) {
            Some(i) => (i, true),
            None => (available.len(), false),
        };
        if total + len as u64 <= max as u64 {
            buf.extend_from_slice(&available[..len]);
        } else if !buf.is_empty() {
            *buf = Vec::new();
        }
        total += len as u64;
        r.consume(len + usize::from(newline));
        if newline {
            return Ok(if total > max as u64 {
                Line::TooLong(total)
            } else {
                Line::Complete
            });
        }
    }
}

/// Write the lines of a JSONL source whose numbers are in `keep` (sorted ascending) to `out`, each
/// followed by `\n`, exactly as they were read. Used for the second pass that writes kept records.
pub fn copy_lines(
    reader: &mut dyn BufRead,
    keep: &[u64],
    max_record_bytes: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut buf = Vec::new();
    let mut line = 0u64;
    let mut wanted = keep.iter().peekable();
    while let Some(&&next) = wanted.peek() {
        match read_line(reader, &mut buf, max_record_bytes)? {
            Line::Eof => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("input ended before line {next}; did it change during the run?"),
                ))
            }
            Line::Complete | Line::TooLong(_) => line += 1,
        }
        if line == next {
            if line == 1 {
                strip_bom(&mut buf);
            }
            out.write_all(&buf)?;
            out.write_all(b"\n")?;
            wanted.next();
        }
    }
    Ok(())
}

struct CountingReader<R> {
    inner: R,
    counter: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn lines(input: &[u8], max: usize) -> Vec<String> {
        let mut r = Cursor::new(input);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        loop {
            match read_line(&mut r, &mut buf, max).unwrap() {
                Line::Eof => return out,
                Line::Complete => out.push(String::from_utf8(buf.clone()).unwrap()),
                Line::TooLong(n) => out.push(format!("<too long: {n}>")),
            }
        }
    }

    #[test]
    fn lines_are_split_and_long_ones_reported() {
        assert_eq!(lines(b"ab\ncd", 10), ["ab", "cd"]);
        assert_eq!(lines(b"ab\n\n", 10), ["ab", ""]);
        assert_eq!(lines(b"abcdef\nx\n", 3), ["<too long: 6>", "x"]);
        assert!(lines(b"", 3).is_empty());
    }

    #[test]
    fn copy_lines_keeps_only_the_wanted_lines() {
        let mut out = Vec::new();
        copy_lines(&mut Cursor::new(b"a\nb\nc\nd"), &[2, 4], 100, &mut out).unwrap();
        assert_eq!(out, b"b\nd\n");
    }

    #[test]
    fn a_byte_order_mark_on_line_one_is_dropped_and_binary_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let bom = dir.path().join("bom.jsonl");
        std::fs::write(&bom, b"\xef\xbb\xbf{\"a\":1}\n\xef\xbb\xbf{\"b\":2}\n").unwrap();
        let bin = dir.path().join("data.parquet");
        std::fs::write(&bin, b"PAR1\0\0\0").unwrap();
        let sources = [(bom, "bom.jsonl"), (bin, "data.parquet")]
            .map(|(path, name)| Source {
                location: Location::Path(path),
                name: name.into(),
                format: Format::Jsonl,
                text_id: None,
            })
            .to_vec();
        let mut reader = CorpusReader::new(sources, 100);
        let items = reader.next_batch(100, 1 << 20).unwrap();
        assert!(matches!(&items[0], ReadItem::Record(r) if r.bytes == b"{\"a\":1}"));
        // Only the start of the file is a byte order mark; later, the bytes are the record's.
        assert!(matches!(&items[1], ReadItem::Record(r) if r.bytes.starts_with(b"\xef")));
        assert!(matches!(&items[2], ReadItem::Problem(p)
            if p.reason == ProblemKind::UnsupportedFormat && p.file == "data.parquet"
                && p.message.contains("Parquet")));
        assert_eq!(items.len(), 3);
        assert_eq!(reader.stats()[1].records, 1);
    }

    /// Found by the property tests (`robustness_tests`): a gzip file cut inside its header read as
    /// an empty file, with no problem reported.
    #[test]
    fn a_gzip_header_cut_short_is_a_truncation_not_an_empty_file() {
        let mut w = crate::io::CompressedWriter::new(Vec::new(), Compression::Gzip).unwrap();
        w.write_all(b"{\"text\": \"x\"}\n").unwrap();
        let bytes = w.finish().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cut.jsonl.gz");
        std::fs::write(&path, &bytes[..4]).unwrap();
        let source = Source {
            location: Location::Path(path),
            name: "cut.jsonl.gz".into(),
            format: Format::Jsonl,
            text_id: None,
        };
        let mut reader = CorpusReader::new(vec![source], 100);
        let items = reader.next_batch(100, 1 << 20).unwrap();
        assert!(
            matches!(&items[..], [ReadItem::Problem(p)] if p.reason == ProblemKind::Truncated && p.line == Some(1)),
            "{items:?}"
        );
    }

    #[test]
    fn copy_lines_drops_the_byte_order_mark_too() {
        let mut out = Vec::new();
        copy_lines(
            &mut Cursor::new(b"\xef\xbb\xbfa\nb"),
            &[1, 2],
            100,
            &mut out,
        )
        .unwrap();
        assert_eq!(out, b"a\nb\n");
    }

    #[test]
    fn reader_reports_problems_and_counts_records() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.jsonl");
        std::fs::write(&path, b"{\"a\":1}\n\n   \n0123456789012345\n{}\n").unwrap();
        let source = Source {
            location: Location::Path(path),
            name: "in.jsonl".into(),
            format: Format::Jsonl,
            text_id: None,
        };
        let mut reader = CorpusReader::new(vec![source], 10);
        let items = reader.next_batch(100, 1 << 20).unwrap();
        assert_eq!(items.len(), 3);
        assert!(matches!(&items[0], ReadItem::Record(r) if r.line == 1));
        assert!(
            matches!(&items[1], ReadItem::Problem(p) if p.line == Some(4) && p.reason == ProblemKind::TooLarge)
        );
        assert!(matches!(&items[2], ReadItem::Record(r) if r.line == 5));
        assert_eq!(reader.stats()[0].records, 3);
        assert_eq!(reader.stats()[0].blank_lines, 2);
        assert!(reader.next_batch(100, 1 << 20).unwrap().is_empty());
    }
}
