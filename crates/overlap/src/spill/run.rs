//! Sorted runs on disk: files of fixed-width records, written and read through large buffers, deleted
//! when read to the end or dropped.

use super::{Record, SpillDir};
use crate::error::{Error, Result};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::marker::PhantomData;
use std::path::PathBuf;
use std::sync::Arc;

/// Buffer of a run being written.
const WRITE_BUFFER: usize = 1 << 20;
/// Buffer of a run being read in a merge (a merge of `k` runs holds `k` of these).
pub(crate) const READ_BUFFER: usize = 256 << 10;

/// A finished run on disk: `len` records in order. The file is removed when the run is dropped.
#[derive(Debug)]
pub struct Run<R> {
    path: PathBuf,
    len: u64,
    bytes: u64,
    dir: Arc<SpillDir>,
    _records: PhantomData<R>,
}

impl<R: Record> Run<R> {
    /// Write `records` (already in order) as a new run in `dir`.
    pub fn write(dir: &Arc<SpillDir>, stem: &str, records: &[R]) -> Result<Self> {
        let mut w = RunWriter::new(dir, stem)?;
        for r in records {
            w.push(r)?;
        }
        w.finish()
    }

    /// Number of records.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True when the run holds no record.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes on disk.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Read the run from the start.
    pub fn reader(self) -> Result<RunReader<R>> {
        let file = File::open(&self.path).map_err(|e| Error::io(&self.path, e))?;
        Ok(RunReader {
            inner: BufReader::with_capacity(READ_BUFFER, file),
            left: self.len,
            buf: vec![0; R::WIDTH],
            run: self,
        })
    }
}

impl<R> Drop for Run<R> {
    fn drop(&mut self) {
        if std::fs::remove_file(&self.path).is_ok() {
            self.dir.shrank(self.bytes);
        }
    }
}

/// Writes records to a new run file.
pub struct RunWriter<R> {
    inner: BufWriter<File>,
    path: PathBuf,
    len: u64,
    buf: Vec<u8>,
    dir: Arc<SpillDir>,
    _records: PhantomData<R>,
}

impl<R: Record> RunWriter<R> {
    /// A new, empty run file in `dir`, named after `stem`.
    pub fn new(dir: &Arc<SpillDir>, stem: &str) -> Result<Self> {
        let path = dir.new_file(stem)?;
        let file = File::create(&path).map_err(|e| Error::io(&path, e))?;
        Ok(RunWriter {
            inner: BufWriter::with_capacity(WRITE_BUFFER, file),
            path,
            len: 0,
            buf: vec![0; R::WIDTH],
            dir: Arc::clone(dir),
            _records: PhantomData,
        })
    }

    /// Append one record (callers push in order).
    pub fn push(&mut self, record: &R) -> Result<()> {
        record.encode(&mut self.buf);
        self.inner
            .write_all(&self.buf)
            .map_err(|e| Error::io(&self.path, e))?;
        self.len += 1;
        Ok(())
    }

    /// Flush and close the file.
    pub fn finish(mut self) -> Result<Run<R>> {
        self.inner.flush().map_err(|e| Error::io(&self.path, e))?;
        let bytes = self.len * R::WIDTH as u64;
        self.dir.grew(bytes);
        Ok(Run {
            path: std::mem::take(&mut self.path),
            len: self.len,
            bytes,
            dir: Arc::clone(&self.dir),
            _records: PhantomData,
        })
    }
}

/// Reads a run's records in order.
pub struct RunReader<R> {
    inner: BufReader<File>,
    left: u64,
    buf: Vec<u8>,
    run: Run<R>,
}

impl<R: Record> RunReader<R> {
    /// The next record, or `None` at the end.
    pub fn next_record(&mut self) -> Result<Option<R>> {
        if self.left == 0 {
            return Ok(None);
        }
        self.inner
            .read_exact(&mut self.buf)
            .map_err(|e| Error::io(&self.run.path, e))?;
        self.left -= 1;
        Ok(Some(R::decode(&self.buf)))
    }

    /// The run itself, kept on disk, for a reader that starts again from the first record.
    pub fn into_run(self) -> Run<R> {
        self.run
    }
}
