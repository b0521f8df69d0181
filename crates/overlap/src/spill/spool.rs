//! A spooled store of variable-length records (texts, hash arrays) read back by offset: held in memory
//! until its bytes pass a limit, then moved to one append-only file in the spill directory.
//!
//! Memory: 12 bytes per record (offset and length) once spilled, plus the records themselves while
//! they fit. Disk: the records' bytes.

use super::SpillDir;
use crate::error::{Error, Result};
use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;

/// Records by number, in memory or in a file.
#[derive(Debug)]
pub struct Spool {
    limit: usize,
    dir: Arc<SpillDir>,
    stem: &'static str,
    memory: Vec<Vec<u8>>,
    memory_bytes: usize,
    file: Option<SpoolFile>,
    /// Offset and length of each record in the file (when spilled).
    index: Vec<(u64, u32)>,
}

#[derive(Debug)]
struct SpoolFile {
    path: PathBuf,
    writer: Option<BufWriter<File>>,
    reader: Option<File>,
    bytes: u64,
    dir: Arc<SpillDir>,
}

impl Spool {
    /// An empty spool that keeps up to `limit` bytes in memory.
    pub fn new(dir: &Arc<SpillDir>, stem: &'static str, limit: usize) -> Self {
        Spool {
            limit,
            dir: Arc::clone(dir),
            stem,
            memory: Vec::new(),
            memory_bytes: 0,
            file: None,
            index: Vec::new(),
        }
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.memory.len().max(self.index.len())
    }

    /// True when there is no record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when the records are on disk.
    pub fn is_spilled(&self) -> bool {
        self.file.is_some()
    }

    /// Bytes written to disk.
    pub fn spilled_bytes(&self) -> u64 {
        self.file.as_ref().map_or(0, |f| f.bytes)
    }

    /// Bytes held in memory (records, or the index once spilled).
    pub fn memory_bytes(&self) -> u64 {
        (self.memory_bytes + self.memory.len() * 24 + self.index.capacity() * 16) as u64
    }

    /// Append a record.
    pub fn push(&mut self, record: Vec<u8>) -> Result<()> {
        if self.file.is_none() {
            self.memory_bytes += record.len();
            self.memory.push(record);
            if self.memory_bytes > self.limit {
                self.spill()?;
            }
            return Ok(());
        }
        self.write(&record)
    }

    fn write(&mut self, record: &[u8]) -> Result<()> {
        let file = self.file.as_mut().expect("spilled");
        let w = file.writer.as_mut().ok_or_else(|| {
            Error::io(
                &file.path,
                std::io::Error::other("spool written after it was sealed"),
            )
        })?;
        w.write_all(record).map_err(|e| Error::io(&file.path, e))?;
        self.index.push((file.bytes, record.len() as u32));
        file.bytes += record.len() as u64;
        self.dir.grew(record.len() as u64);
        Ok(())
    }

    fn spill(&mut self) -> Result<()> {
        let path = self.dir.new_file(self.stem)?;
        let f = File::create(&path).map_err(|e| Error::io(&path, e))?;
        self.file = Some(SpoolFile {
            path,
            writer: Some(BufWriter::with_capacity(1 << 20, f)),
            reader: None,
            bytes: 0,
            dir: Arc::clone(&self.dir),
        });
        let memory = std::mem::take(&mut self.memory);
        self.memory_bytes = 0;
        for r in &memory {
            self.write(r)?;
        }
        Ok(())
    }

    /// End of writing: flush the file and open it for reading.
    pub fn seal(&mut self) -> Result<()> {
        if let Some(file) = self.file.as_mut() {
            if let Some(w) = file.writer.take() {
                let f = w
                    .into_inner()
                    .map_err(|e| Error::io(&file.path, e.into_error()))?;
                drop(f);
                file.reader = Some(File::open(&file.path).map_err(|e| Error::io(&file.path, e))?);
            }
        }
        Ok(())
    }

    /// Record `i` (after [`Spool::seal`] when spilled).
    pub fn get(&self, i: usize) -> Result<Cow<'_, [u8]>> {
        let Some(file) = &self.file else {
            return Ok(Cow::Borrowed(&self.memory[i]));
        };
        let reader = file.reader.as_ref().ok_or_else(|| {
            Error::io(
                &file.path,
                std::io::Error::other("spool read before it was sealed"),
            )
        })?;
        let (offset, len) = self.index[i];
        let mut buf = vec![0; len as usize];
        super::read_at(reader, &mut buf, offset).map_err(|e| Error::io(&file.path, e))?;
        Ok(Cow::Owned(buf))
    }

    /// Record `i` as text (records pushed as UTF-8).
    pub fn get_str(&self, i: usize) -> Result<Cow<'_, str>> {
        Ok(match self.get(i)? {
            Cow::Borrowed(b) => Cow::Borrowed(std::str::from_utf8(b).expect("pushed as UTF-8")),
            Cow::Owned(b) => Cow::Owned(String::from_utf8(b).expect("pushed as UTF-8")),
        })
    }

    /// Record `i` as 64-bit words (records pushed with [`u64s_to_bytes`]).
    pub fn get_u64s(&self, i: usize) -> Result<Vec<u64>> {
        Ok(self
            .get(i)?
            .chunks_exact(8)
            .map(|c| u64::from_ne_bytes(c.try_into().expect("8 bytes")))
            .collect())
    }
}

/// The bytes of `words`, for [`Spool::push`] and [`Spool::get_u64s`].
pub fn u64s_to_bytes(words: &[u64]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_ne_bytes()).collect()
}

impl Drop for SpoolFile {
    fn drop(&mut self) {
        self.writer = None;
        self.reader = None;
        if std::fs::remove_file(&self.path).is_ok() {
            self.dir.shrank(self.bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_back_the_same_in_memory_and_spilled() {
        let out = tempfile::tempdir().unwrap();
        let dir = Arc::new(SpillDir::for_job(out.path(), None));
        for limit in [usize::MAX, 100] {
            let mut s = Spool::new(&dir, "t", limit);
            for i in 0..50u64 {
                s.push(u64s_to_bytes(&[i, i * 3])).unwrap();
            }
            s.push("héllo".as_bytes().to_vec()).unwrap();
            s.seal().unwrap();
            assert_eq!(s.is_spilled(), limit == 100);
            assert_eq!(s.len(), 51);
            assert_eq!(s.get_u64s(7).unwrap(), [7, 21]);
            assert_eq!(s.get_str(50).unwrap(), "héllo");
        }
        assert_eq!(dir.disk_now(), 0);
    }
}
