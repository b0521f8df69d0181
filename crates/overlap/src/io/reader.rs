//! Streaming reader over all sources: yields raw records (a JSONL line, or a whole text file) in input
//! order, or the [`Problem`] that stopped a record from being read.
//!
//! Memory: one batch of raw records, plus one line buffer. Lines longer than the record limit are
//! skipped over without being held.

use crate::error::{Error, Problem, ProblemKind, Result};
use crate::io::parquet::ParquetRows;
use crate::io::{decompress, Compression, FieldNames, Format, Location, ParquetRow, Source};
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
}

/// Reads every source in turn.
pub struct CorpusReader {
    sources: Vec<Source>,
    next_source: usize,
    open: Option<OpenSource>,
    max_record_bytes: usize,
    bytes_read: Arc<AtomicU64>,
    stats: Vec<SourceStats>,
    stdin_spool: Option<Box<dyn Write + Send>>,
    fields: FieldNames,
    parquet: Option<ParquetRows>,
}

struct OpenSource {
    index: usize,
    reader: Box<dyn BufRead + Send>,
    line: u64,
}

impl CorpusReader {
    /// A reader over `sources`; records over `max_record_bytes` become [`ProblemKind::TooLarge`].
    pub fn new(sources: Vec<Source>, max_record_bytes: usize) -> Self {
        let stats = vec![SourceStats::default(); sources.len()];
        CorpusReader {
            sources,
            next_source: 0,
            open: None,
            max_record_bytes,
            bytes_read: Arc::new(AtomicU64::new(0)),
            stats,
            stdin_spool: None,
            fields: FieldNames::default(),
            parquet: None,
        }
    }

    /// Name the fields to read: columnar sources (Parquet) read only these columns.
    pub fn with_fields(mut self, fields: FieldNames) -> Self {
        self.fields = fields;
        self
    }

    /// Copy every line read from standard input to `spool` (one line per line, so line numbers
    /// agree), so that a second pass can re-read it.
    pub fn spool_stdin_to(&mut self, spool: Box<dyn Write + Send>) {
        self.stdin_spool = Some(spool);
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
                    if let Some(mut spool) = self.stdin_spool.take() {
                        spool.flush().map_err(|e| Error::io("stdin spool", e))?;
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
                let (reader, compression) = self.open_source(index)?;
                self.stats[index].compression = compression;
                if self.sources[index].format == Format::Text {
                    return Ok(Some(self.read_text(index, reader)));
                }
                self.open = Some(OpenSource {
                    index,
                    reader,
                    line: 0,
                });
            }
            if let Some(item) = self.next_line()? {
                return Ok(Some(item));
            }
            self.open = None;
        }
    }

    fn open_source(&self, index: usize) -> Result<(Box<dyn BufRead + Send>, Compression)> {
        let source = &self.sources[index];
        let counter = Arc::clone(&self.bytes_read);
        let opened = match &source.location {
            Location::Path(path) => {
                let file = File::open(path).map_err(|e| Error::io(path, e))?;
                decompress(CountingReader {
                    inner: file,
                    counter,
                })
            }
            Location::Stdin => decompress(CountingReader {
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
        let is_stdin = self.sources[index].location == Location::Stdin;
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
                Ok(Line::Complete) => ReadItem::Record(RawRecord {
                    source: index as u32,
                    line,
                    bytes,
                }),
            };
            open.line = line;
            if is_stdin {
                if let Some(spool) = self.stdin_spool.as_mut() {
                    let kept: &[u8] = match &outcome {
                        ReadItem::Record(r) => &r.bytes,
                        ReadItem::Problem(_) | ReadItem::Parquet(_) => b"",
                    };
                    spool
                        .write_all(kept)
                        .and_then(|_| spool.write_all(b"\n"))
                        .map_err(|e| Error::io("stdin spool", e))?;
                }
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
