//! The compared vectors: one unit-length vector per comparable document, centred on the corpus mean
//! unless raw cosine was asked for.
//!
//! Memory: 4 bytes per comparable document for its document number, the running sum for the mean
//! (`dims x 8` bytes), and the vectors themselves (`dims x 4` bytes each, 1 KiB with the
//! 256-dimension model) while they fit in the limit given to [`Vectors::spilling`]. Past it they are
//! moved to one file in the spill directory (the same `f32` values, so every cosine and every output
//! byte is the same), centred there in place, and read back by positioned reads: a block of rows at
//! a time ([`Vectors::rows`], [`Vectors::range`], [`Vectors::read_block`]) of at most
//! [`Vectors::block_rows`] rows, which the candidate stage and verification size their chunks and
//! tiles to, through a buffer of at most 1 MiB. Disk: `dims x 4` bytes per vector.

use crate::error::{Error, Result};
use crate::spill::SpillDir;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;

/// Unit vectors of the comparable documents, in input order, in one flat array in memory or in one
/// file.
#[derive(Debug, Default)]
pub struct Vectors {
    dims: usize,
    docs: Vec<u32>,
    data: Vec<f32>,
    /// Sum of the pushed vectors, in input order (for the mean).
    sum: Vec<f64>,
    /// Bytes of vectors held in memory before they move to disk.
    limit: usize,
    dir: Option<Arc<SpillDir>>,
    disk: Option<Disk>,
}

/// The vectors' file in the spill directory, removed on drop.
#[derive(Debug)]
struct Disk {
    path: PathBuf,
    writer: Option<BufWriter<File>>,
    file: Option<File>,
    bytes: u64,
    dir: Arc<SpillDir>,
}

impl Drop for Disk {
    fn drop(&mut self) {
        self.writer = None;
        self.file = None;
        if std::fs::remove_file(&self.path).is_ok() {
            self.dir.shrank(self.bytes);
        }
    }
}

/// Bytes read from the vectors' file per positioned read of a block (a whole number of rows, at
/// least one).
const READ_PIECE: usize = 1 << 20;

/// Rows of [`Vectors`] for reading: all of them in memory, or a block read from disk.
#[derive(Debug)]
pub enum Rows<'a> {
    /// Every row, in memory.
    All {
        /// Dimensions.
        dims: usize,
        /// The rows, flat.
        data: &'a [f32],
    },
    /// Rows `start..` read from disk.
    Range {
        /// Dimensions.
        dims: usize,
        /// Position of the first row.
        start: usize,
        /// The rows, flat.
        data: Vec<f32>,
    },
    /// The rows at `positions` (sorted, distinct), read from disk.
    Some {
        /// Dimensions.
        dims: usize,
        /// Their positions.
        positions: Vec<u32>,
        /// The rows, flat, in that order.
        data: Vec<f32>,
    },
}

impl Rows<'_> {
    /// Row `i` (which must be in the block).
    pub fn get(&self, i: usize) -> &[f32] {
        match self {
            Rows::All { dims, data } => &data[i * dims..][..*dims],
            Rows::Range { dims, start, data } => &data[(i - start) * dims..][..*dims],
            Rows::Some {
                dims,
                positions,
                data,
            } => {
                let k = positions
                    .binary_search(&(i as u32))
                    .expect("row read in the block");
                &data[k * dims..][..*dims]
            }
        }
    }

    /// Cosine of rows `i` and `j` (their dot product: both are unit length or zero).
    pub fn cosine(&self, i: usize, j: usize) -> f64 {
        dot(self.get(i), self.get(j))
    }
}

impl Vectors {
    /// An empty set of `dims`-dimension vectors, all held in memory.
    pub fn new(dims: usize) -> Self {
        Vectors {
            dims,
            sum: vec![0.0; dims],
            limit: usize::MAX,
            ..Vectors::default()
        }
    }

    /// An empty set that holds up to `limit` bytes of vectors in memory and moves them to a file in
    /// `dir` past it.
    pub fn spilling(dims: usize, limit: usize, dir: &Arc<SpillDir>) -> Self {
        Vectors {
            limit,
            dir: Some(Arc::clone(dir)),
            ..Vectors::new(dims)
        }
    }

    /// Add document `doc`'s embedding (later documents have larger numbers). A zero vector (a text
    /// without any token the model knows) is not added: it has no direction to compare, and centred
    /// it would become the negated mean, equal for all such texts. Returns whether it was added.
    pub fn push(&mut self, doc: u32, v: &[f32]) -> Result<bool> {
        debug_assert_eq!(v.len(), self.dims);
        debug_assert!(self.docs.last().is_none_or(|&d| d < doc));
        if v.iter().all(|&x| x == 0.0) {
            return Ok(false);
        }
        self.docs.push(doc);
        for (s, &x) in self.sum.iter_mut().zip(v) {
            *s += f64::from(x);
        }
        if self.disk.is_some() {
            self.write(v)?;
        } else {
            self.data.extend_from_slice(v);
            if self.data.len() * 4 > self.limit {
                self.spill()?;
            }
        }
        Ok(true)
    }

    fn spill(&mut self) -> Result<()> {
        let dir = Arc::clone(self.dir.as_ref().expect("a limit comes with a directory"));
        let path = dir.new_file("semantic-vectors")?;
        let f = File::create(&path).map_err(|e| Error::io(&path, e))?;
        self.disk = Some(Disk {
            path,
            writer: Some(BufWriter::with_capacity(1 << 20, f)),
            file: None,
            bytes: 0,
            dir,
        });
        let data = std::mem::take(&mut self.data);
        for row in data.chunks_exact(self.dims) {
            self.write(row)?;
        }
        Ok(())
    }

    fn write(&mut self, v: &[f32]) -> Result<()> {
        let disk = self.disk.as_mut().expect("spilled");
        let w = disk.writer.as_mut().expect("written before it is sealed");
        let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
        w.write_all(&bytes).map_err(|e| Error::io(&disk.path, e))?;
        disk.bytes += bytes.len() as u64;
        disk.dir.grew(bytes.len() as u64);
        Ok(())
    }

    /// End of pushing: flush the file, if any, and open it for reading and centring.
    fn seal(&mut self) -> Result<()> {
        if let Some(disk) = self.disk.as_mut() {
            if let Some(w) = disk.writer.take() {
                w.into_inner()
                    .map_err(|e| Error::io(&disk.path, e.into_error()))?;
                let f = std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(&disk.path)
                    .map_err(|e| Error::io(&disk.path, e))?;
                disk.file = Some(f);
            }
        }
        Ok(())
    }

    /// Dimensions.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Number of vectors.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// True when the vectors are on disk.
    pub fn is_spilled(&self) -> bool {
        self.disk.is_some()
    }

    /// Bytes written to disk.
    pub fn spilled_bytes(&self) -> u64 {
        self.disk.as_ref().map_or(0, |d| d.bytes)
    }

    /// Bytes held in memory: the document numbers, and the vectors unless they are on disk.
    pub fn memory_bytes(&self) -> u64 {
        (self.docs.len() * 4 + self.data.len() * 4 + self.sum.len() * 8) as u64
    }

    /// The most rows a block read from disk holds (at least 64): the limit's worth. Unbounded in
    /// memory.
    pub fn block_rows(&self) -> usize {
        if self.disk.is_none() {
            return usize::MAX;
        }
        (self.limit / (self.dims * 4).max(1)).max(64)
    }

    /// Document number of vector `i`.
    pub fn doc(&self, i: usize) -> u32 {
        self.docs[i]
    }

    /// Position of document `doc`'s vector, if it has one.
    pub fn position(&self, doc: u32) -> Option<usize> {
        self.docs.binary_search(&doc).ok()
    }

    fn file(&self) -> Result<(&File, &PathBuf)> {
        let disk = self.disk.as_ref().expect("spilled");
        let f = disk.file.as_ref().ok_or_else(|| {
            Error::io(
                &disk.path,
                std::io::Error::other("vectors read before they were sealed"),
            )
        })?;
        Ok((f, &disk.path))
    }

    /// Read rows `start..start + count` from the file into `out`.
    fn read_rows(&self, start: usize, count: usize, out: &mut Vec<f32>) -> Result<()> {
        self.read_rows_with(start, count, &mut Vec::new(), out)
    }

    /// [`Vectors::read_rows`] through a byte buffer kept by the caller, in pieces of at most
    /// [`READ_PIECE`] bytes (so that reading many large blocks neither allocates a new buffer each
    /// time nor holds a second copy of a block).
    fn read_rows_with(
        &self,
        start: usize,
        count: usize,
        buf: &mut Vec<u8>,
        out: &mut Vec<f32>,
    ) -> Result<()> {
        let (f, path) = self.file()?;
        let row = self.dims * 4;
        let step = (READ_PIECE / row.max(1)).max(1);
        out.reserve(count * self.dims);
        for first in (start..start + count).step_by(step) {
            let rows = step.min(start + count - first);
            buf.resize(rows * row, 0);
            crate::spill::read_at(f, buf, (first * row) as u64).map_err(|e| Error::io(path, e))?;
            out.extend(
                buf.chunks_exact(4)
                    .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes"))),
            );
        }
        Ok(())
    }

    /// Rows `start..end` read into `out` (replacing what it held) by [`Vectors::read_rows_with`]
    /// through `buf`; in memory, a copy of them. For verification by tiles, which keeps two such blocks.
    pub fn read_block(
        &self,
        start: usize,
        end: usize,
        buf: &mut Vec<u8>,
        out: &mut Vec<f32>,
    ) -> Result<()> {
        out.clear();
        if self.disk.is_none() {
            out.extend_from_slice(&self.data[start * self.dims..end * self.dims]);
            return Ok(());
        }
        self.read_rows_with(start, end - start, buf, out)
    }

    /// Rows `start..end` (at most [`Vectors::block_rows`] of them when on disk).
    pub fn range(&self, start: usize, end: usize) -> Result<Rows<'_>> {
        if self.disk.is_none() {
            return Ok(Rows::All {
                dims: self.dims,
                data: &self.data,
            });
        }
        let mut data = Vec::with_capacity((end - start) * self.dims);
        self.read_rows(start, end - start, &mut data)?;
        Ok(Rows::Range {
            dims: self.dims,
            start,
            data,
        })
    }

    /// The rows at `positions`, which must be sorted and distinct (every row, without reading, in
    /// memory). Consecutive positions are read in one piece.
    pub fn rows(&self, positions: impl FnOnce() -> Vec<u32>) -> Result<Rows<'_>> {
        if self.disk.is_none() {
            return Ok(Rows::All {
                dims: self.dims,
                data: &self.data,
            });
        }
        let positions = positions();
        debug_assert!(positions.windows(2).all(|w| w[0] < w[1]));
        let mut data = Vec::with_capacity(positions.len() * self.dims);
        for run in positions.chunk_by(|a, b| a + 1 == *b) {
            self.read_rows(run[0] as usize, run.len(), &mut data)?;
        }
        Ok(Rows::Some {
            dims: self.dims,
            positions,
            data,
        })
    }

    /// Cosine of vectors `i` and `j` (reading both when on disk).
    pub fn cosine(&self, i: usize, j: usize) -> Result<f64> {
        let (a, b) = (i.min(j) as u32, i.max(j) as u32);
        let rows = self.rows(|| if a == b { vec![a] } else { vec![a, b] })?;
        Ok(rows.cosine(i, j))
    }

    /// Subtract the mean of all vectors (summed in input order in `f64`) and scale each back to unit
    /// length. A vector equal to the mean (a corpus of one text) becomes zero: it then matches
    /// nothing, which is right for a document with nothing to tell it apart. Unit-length inputs
    /// without centring are left as they are. On disk, centred block by block in place.
    pub fn centre(&mut self) -> Result<()> {
        self.seal()?;
        if self.is_empty() {
            return Ok(());
        }
        let n = self.len() as f64;
        let mean: Vec<f64> = self.sum.iter().map(|m| m / n).collect();
        if self.disk.is_none() {
            for row in self.data.chunks_exact_mut(self.dims) {
                centre_row(row, &mean);
            }
            return Ok(());
        }
        let step = self.block_rows();
        for start in (0..self.len()).step_by(step) {
            let end = (start + step).min(self.len());
            let mut block = Vec::with_capacity((end - start) * self.dims);
            self.read_rows(start, end - start, &mut block)?;
            for row in block.chunks_exact_mut(self.dims) {
                centre_row(row, &mean);
            }
            let bytes: Vec<u8> = block.iter().flat_map(|x| x.to_le_bytes()).collect();
            let (mut f, path) = self.file()?;
            use std::io::{Seek, SeekFrom};
            f.seek(SeekFrom::Start((start * self.dims * 4) as u64))
                .and_then(|_| f.write_all(&bytes))
                .map_err(|e| Error::io(path, e))?;
        }
        Ok(())
    }

    /// Done pushing, without centring (raw cosine).
    pub fn finish(&mut self) -> Result<()> {
        self.seal()
    }
}

/// One row centred on `mean` and scaled back to unit length (in `f64`, stored as `f32`).
fn centre_row(row: &mut [f32], mean: &[f64]) {
    let centred: Vec<f64> = row
        .iter()
        .zip(mean)
        .map(|(&x, m)| f64::from(x) - m)
        .collect();
    let norm = centred.iter().map(|x| x * x).sum::<f64>().sqrt();
    let scale = if norm > 1e-12 { 1.0 / norm } else { 0.0 };
    for (r, c) in row.iter_mut().zip(centred) {
        *r = (c * scale) as f32;
    }
}

/// Dot product of two vectors (the engine's one float reduction, see [`lane_dot`]).
pub use crate::sketch::lane_dot as dot;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centring_removes_the_common_direction() {
        // Three unit vectors close to the x axis: high raw cosine, spread out once centred.
        let mut v = Vectors::new(3);
        let raw = [[0.99, 0.14, 0.0], [0.99, 0.0, 0.14], [0.99, -0.1, -0.1]];
        for (i, r) in raw.iter().enumerate() {
            let n = r.iter().map(|x: &f32| x * x).sum::<f32>().sqrt();
            let u: Vec<f32> = r.iter().map(|x| x / n).collect();
            assert!(v.push(i as u32, &u).unwrap());
        }
        assert!(v.cosine(0, 1).unwrap() > 0.97);
        v.centre().unwrap();
        assert!(v.cosine(0, 1).unwrap() < 0.0, "{}", v.cosine(0, 1).unwrap());
        for i in 0..3 {
            assert!((v.cosine(i, i).unwrap() - 1.0).abs() < 1e-6);
        }
        // Zero vectors are not comparable.
        assert!(!v.push(7, &[0.0, 0.0, 0.0]).unwrap());
        assert_eq!(v.position(2), Some(2));
        assert_eq!(v.position(7), None);
    }

    #[test]
    fn vectors_on_disk_read_back_bit_for_bit_as_in_memory() {
        let out = tempfile::tempdir().unwrap();
        let dir = Arc::new(SpillDir::for_job(out.path(), None));
        let dims = 5;
        let rows: Vec<Vec<f32>> = (0..300)
            .map(|i| {
                (0..dims)
                    .map(|k| ((i * 7 + k * 3) % 11) as f32 - 4.5)
                    .collect()
            })
            .collect();
        let mut memory = Vectors::new(dims);
        // 100 bytes in memory: the rows move to disk at once, and blocks are 64 rows.
        let mut disk = Vectors::spilling(dims, 100, &dir);
        for (i, r) in rows.iter().enumerate() {
            assert!(memory.push(i as u32 * 2, r).unwrap());
            assert!(disk.push(i as u32 * 2, r).unwrap());
        }
        assert!(disk.is_spilled() && !memory.is_spilled());
        assert_eq!(disk.spilled_bytes(), 300 * 5 * 4);
        assert_eq!(dir.disk_now(), 300 * 5 * 4);
        memory.centre().unwrap();
        disk.centre().unwrap();
        assert_eq!(disk.block_rows(), 64);
        let all = memory.range(0, 300).unwrap();
        let block = disk.range(70, 140).unwrap();
        for i in 70..140 {
            assert_eq!(all.get(i), block.get(i));
        }
        let some = disk.rows(|| vec![3, 4, 5, 200, 299]).unwrap();
        for i in [3, 4, 5, 200, 299] {
            assert_eq!(all.get(i), some.get(i));
            assert_eq!(
                memory.cosine(i, 17).unwrap().to_bits(),
                disk.cosine(i, 17).unwrap().to_bits()
            );
        }
        assert_eq!(disk.doc(10), 20);
        drop(disk);
        assert_eq!(dir.disk_now(), 0);
    }

    #[test]
    fn dot_matches_the_plain_sum() {
        let a: Vec<f32> = (0..21).map(|i| i as f32 * 0.1).collect();
        let b: Vec<f32> = (0..21).map(|i| 1.0 - i as f32 * 0.05).collect();
        let plain: f64 = a.iter().zip(&b).map(|(x, y)| f64::from(*x * *y)).sum();
        assert!((dot(&a, &b) - plain).abs() < 1e-5);
    }
}
