//! Parquet corpora: recognising them (always compiled), reading their rows and writing the
//! deduplicated corpus and result tables (behind the `parquet` cargo feature, which pulls in the
//! `parquet` and `arrow-*` crates).
//!
//! Memory: reading holds one batch (1,024 rows) of the projected columns (id, text, and the source
//! and date columns when asked for) plus the pages being decoded, never a whole row group of other
//! columns or a whole file. Writing the deduplicated corpus holds one input batch of every column and
//! the output row group being encoded (one input row group's kept rows at most).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

#[cfg(feature = "parquet")]
mod read;
#[cfg(feature = "parquet")]
mod write;

#[cfg(feature = "parquet")]
pub(crate) use read::ParquetRows;
#[cfg(feature = "parquet")]
pub(crate) use write::write_table;
#[cfg(feature = "parquet")]
pub use write::{check_same_schema, write_kept_rows, DEDUPED_PARQUET};

/// Parquet's magic bytes, at the start of a file and at its very end (after the footer).
pub const MAGIC: &[u8; 4] = b"PAR1";

/// What the magic bytes of a file say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParquetMagic {
    /// Not Parquet.
    None,
    /// `PAR1` at the start and at the end: a Parquet file.
    Complete,
    /// `PAR1` at the start only: a Parquet file cut short (or still being written).
    HeadOnly,
}

/// Look at the first and last four bytes of the file at `path`. Only regular files are looked at:
/// reading from a pipe would consume what the real reader needs.
pub fn sniff_parquet(path: &Path) -> std::io::Result<ParquetMagic> {
    if !std::fs::metadata(path)?.is_file() {
        return Ok(ParquetMagic::None);
    }
    let mut file = File::open(path)?;
    let mut head = [0u8; 4];
    if read_full(&mut file, &mut head)? < 4 || &head != MAGIC {
        return Ok(ParquetMagic::None);
    }
    let len = file.seek(SeekFrom::End(0))?;
    // The smallest Parquet file is the two magics around a 4-byte footer length.
    if len < 12 {
        return Ok(ParquetMagic::HeadOnly);
    }
    file.seek(SeekFrom::End(-4))?;
    let mut tail = [0u8; 4];
    read_full(&mut file, &mut tail)?;
    Ok(if &tail == MAGIC {
        ParquetMagic::Complete
    } else {
        ParquetMagic::HeadOnly
    })
}

fn read_full(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Whether the parquet feature was compiled in.
pub const SUPPORTED: bool = cfg!(feature = "parquet");

/// One row of a Parquet source, its fields already picked out of their columns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParquetRow {
    /// Index of its source in the list given to the reader.
    pub source: u32,
    /// 1-based row number in its file (the "line" of messages and of `clusters.jsonl` defaults).
    pub line: u64,
    /// The id column's value (integers in decimal), `None` when there is no id column or it is null.
    pub id: Option<String>,
    /// The text column's value; a null text is empty.
    pub text: String,
    /// The source column's value, when asked for and not null.
    pub source_field: Option<String>,
    /// The date column's value, when asked for and not null.
    pub date: Option<String>,
}

/// Stand-in when the feature is off: every Parquet source is refused when it is opened.
#[cfg(not(feature = "parquet"))]
pub(crate) struct ParquetRows(std::convert::Infallible);

#[cfg(not(feature = "parquet"))]
impl ParquetRows {
    pub(crate) fn open(
        source: &crate::io::Source,
        _index: usize,
        _fields: &crate::io::FieldNames,
        _max_record_bytes: usize,
        _counter: std::sync::Arc<std::sync::atomic::AtomicU64>,
    ) -> crate::Result<Self> {
        Err(crate::Error::Parquet(format!(
            "{}: this build of overlap reads no Parquet (it was compiled without the `parquet` feature)",
            source.name
        )))
    }

    pub(crate) fn next_item(
        &mut self,
        _stats: &mut crate::io::SourceStats,
    ) -> Option<crate::io::ReadItem> {
        match self.0 {}
    }
}

/// Without the feature no Parquet source is ever read, so there is nothing to check.
#[cfg(not(feature = "parquet"))]
pub fn check_same_schema(_sources: &[crate::io::Source]) -> crate::Result<()> {
    Ok(())
}

/// Without the feature no Parquet source is ever read, so there is nothing to write.
#[cfg(not(feature = "parquet"))]
pub fn write_kept_rows(
    _out_dir: &Path,
    _sources: &[crate::io::Source],
    _kept: &[Vec<u64>],
) -> crate::Result<Option<String>> {
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes_tell_complete_from_cut_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        std::fs::write(&p, b"PAR1\x15\x04abcdefgh\x08\x00\x00\x00PAR1").unwrap();
        assert_eq!(sniff_parquet(&p).unwrap(), ParquetMagic::Complete);
        std::fs::write(&p, b"PAR1\x15\x04abcdefgh").unwrap();
        assert_eq!(sniff_parquet(&p).unwrap(), ParquetMagic::HeadOnly);
        std::fs::write(&p, b"PAR").unwrap();
        assert_eq!(sniff_parquet(&p).unwrap(), ParquetMagic::None);
        std::fs::write(&p, b"{\"text\": \"PAR1\"}").unwrap();
        assert_eq!(sniff_parquet(&p).unwrap(), ParquetMagic::None);
    }
}

#[cfg(all(test, feature = "parquet"))]
mod reader_tests {
    use crate::io::{discover, CorpusReader, FieldNames, Format, ReadItem};
    use crate::ProblemKind;
    use arrow_array::types::Int32Type;
    use arrow_array::{ArrayRef, DictionaryArray, Int64Array, LargeStringArray, RecordBatch};
    use std::sync::Arc;

    /// Five rows in two row groups: integer ids (one null), a dictionary-encoded source, a
    /// large_string text (one null, one too long).
    fn write(path: &std::path::Path) {
        let ids: ArrayRef = Arc::new(Int64Array::from(vec![
            Some(u32::MAX as i64 * 4),
            None,
            Some(-3),
            Some(7),
            Some(8),
        ]));
        let texts: ArrayRef = Arc::new(LargeStringArray::from(vec![
            Some("first text"),
            Some("second text"),
            None,
            Some("a text longer than the limit"),
            Some("last"),
        ]));
        let sources: ArrayRef = Arc::new(
            vec!["wire", "wire", "blog", "blog", "wire"]
                .into_iter()
                .collect::<DictionaryArray<Int32Type>>(),
        );
        let batch = RecordBatch::try_from_iter([("id", ids), ("body", texts), ("outlet", sources)])
            .unwrap();
        let props = ::parquet::file::properties::WriterProperties::builder()
            .set_max_row_group_row_count(Some(3))
            .build();
        let file = std::fs::File::create(path).unwrap();
        let mut w =
            ::parquet::arrow::ArrowWriter::try_new(file, batch.schema(), Some(props)).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
    }

    #[test]
    fn rows_come_with_their_fields_and_row_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rows.bin");
        write(&path);
        let name = path.to_string_lossy().into_owned();
        let sources = discover(std::slice::from_ref(&name), None).unwrap();
        assert_eq!(
            sources[0].format,
            Format::Parquet,
            "recognised by its magic bytes"
        );
        let fields = FieldNames {
            text: "body".into(),
            source: Some("outlet".into()),
            ..FieldNames::default()
        };
        let mut reader = CorpusReader::new(sources, 20).with_fields(fields);
        let items = reader.next_batch(100, 1 << 20).unwrap();
        assert_eq!(items.len(), 5);
        let row = |i: usize| match &items[i] {
            ReadItem::Parquet(r) => (r.line, r.id.clone(), r.text.clone(), r.source_field.clone()),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            row(0),
            (
                1,
                Some("17179869180".into()),
                "first text".into(),
                Some("wire".into())
            )
        );
        assert_eq!(row(1), (2, None, "second text".into(), Some("wire".into())));
        assert_eq!(
            row(2),
            (3, Some("-3".into()), String::new(), Some("blog".into()))
        );
        match &items[3] {
            ReadItem::Problem(p) => {
                assert_eq!(p.reason, ProblemKind::TooLarge);
                assert_eq!(p.line, Some(4));
                assert_eq!(p.id.as_deref(), Some("7"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            row(4),
            (5, Some("8".into()), "last".into(), Some("wire".into()))
        );
        assert!(reader.next_batch(100, 1 << 20).unwrap().is_empty());
        assert_eq!(reader.stats()[0].records, 5);
    }
}
