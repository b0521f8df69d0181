//! Writing Parquet: the kept rows of Parquet inputs (every column, the input's schema, input order)
//! and plain result tables.
//!
//! Memory: one input batch of every column, and the output row group being encoded (at most one
//! input row group's kept rows, as a row group is closed after each input row group).

use crate::error::{Error, Result};
use crate::io::output::create;
use crate::io::{Format, Location, Source};
use ::parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use ::parquet::arrow::ArrowWriter;
use ::parquet::basic::{Compression, ZstdLevel};
use ::parquet::file::properties::WriterProperties;
use arrow_array::{BooleanArray, RecordBatch};
use arrow_schema::SchemaRef;
use std::fs::File;
use std::io::Write;
use std::path::Path;

/// The name of the deduplicated corpus of Parquet inputs.
pub const DEDUPED_PARQUET: &str = "deduped.parquet";

fn parquet_sources(sources: &[Source]) -> impl Iterator<Item = (usize, &Source, &Path)> {
    sources
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match &s.location {
            Location::Path(p) if s.format == Format::Parquet => Some((i, s, p.as_path())),
            _ => None,
        })
}

fn load(path: &Path) -> Option<(File, ArrowReaderMetadata)> {
    let file = File::open(path).ok()?;
    let meta = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new()).ok()?;
    Some((file, meta))
}

/// The deduplicated corpus of Parquet inputs is one file with one schema: refuse, before any work,
/// Parquet inputs whose columns differ. Files that cannot be read are left to the reader to report.
pub fn check_same_schema(sources: &[Source]) -> Result<()> {
    let mut first: Option<(&str, SchemaRef)> = None;
    for (_, source, path) in parquet_sources(sources) {
        let Some((_, meta)) = load(path) else {
            continue;
        };
        let schema = meta.schema().clone();
        match &first {
            None => first = Some((&source.name, schema)),
            Some((name, expected)) if expected.fields() != schema.fields() => {
                return Err(Error::Parquet(format!(
                    "the Parquet inputs {name} and {} have different columns, and {DEDUPED_PARQUET} \
                     holds one schema: deduplicate inputs of one schema together, or give \
                     --no-deduped",
                    source.name
                )))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The codec of the inputs' column chunks when they agree on one that overlap writes, zstd
/// otherwise.
fn output_codec(metas: &[&ArrowReaderMetadata]) -> Compression {
    let zstd = Compression::ZSTD(ZstdLevel::default());
    let mut found = None;
    for meta in metas {
        for group in meta.metadata().row_groups() {
            for column in group.columns() {
                let c = column.compression();
                match found {
                    None => found = Some(c),
                    Some(prev) if prev != c => return zstd,
                    Some(_) => {}
                }
            }
        }
    }
    match found {
        Some(
            c @ (Compression::UNCOMPRESSED
            | Compression::SNAPPY
            | Compression::GZIP(_)
            | Compression::ZSTD(_)),
        ) => c,
        _ => zstd,
    }
}

/// Write the rows of the Parquet sources whose 1-based row numbers are in `kept[source]` (sorted
/// ascending) to `out_dir/deduped.parquet`, every column as read, in input order, one output row
/// group per input row group. Returns the file's name, or `None` when no Parquet source is readable.
pub fn write_kept_rows(
    out_dir: &Path,
    sources: &[Source],
    kept: &[Vec<u64>],
) -> Result<Option<String>> {
    let inputs: Vec<(usize, &Source, File, ArrowReaderMetadata)> = parquet_sources(sources)
        .filter_map(|(i, s, p)| load(p).map(|(f, m)| (i, s, f, m)))
        .collect();
    let Some((_, _, _, first)) = inputs.first() else {
        return Ok(None);
    };
    let path = out_dir.join(DEDUPED_PARQUET);
    let metas: Vec<&ArrowReaderMetadata> = inputs.iter().map(|(_, _, _, m)| m).collect();
    let props = WriterProperties::builder()
        .set_compression(output_codec(&metas))
        .set_max_row_group_row_count(Some(usize::MAX))
        .build();
    let schema = first.schema().clone();
    let failed = |e: ::parquet::errors::ParquetError| {
        Error::Parquet(format!("{}: writing failed: {e}", path.display()))
    };
    let mut writer = ArrowWriter::try_new(create(&path)?, schema, Some(props)).map_err(failed)?;
    for (index, source, file, meta) in &inputs {
        let again = |e: String| {
            Error::Parquet(format!(
                "{}: reading it again for {DEDUPED_PARQUET} failed ({e}); did it change during the run?",
                source.name
            ))
        };
        let mut wanted = kept[*index].iter().copied().peekable();
        let mut next_row = 1u64;
        for group in 0..meta.metadata().num_row_groups() {
            if wanted.peek().is_none() {
                break;
            }
            let rows = meta.metadata().row_group(group).num_rows().max(0) as u64;
            if wanted.peek().is_some_and(|&w| w >= next_row + rows) {
                // Nothing kept in this row group: skip it without decoding it.
                next_row += rows;
                continue;
            }
            let batches = file
                .try_clone()
                .map_err(|e| again(e.to_string()))
                .and_then(|f| {
                    ParquetRecordBatchReaderBuilder::new_with_metadata(f, meta.clone())
                        .with_row_groups(vec![group])
                        .with_batch_size(super::read::BATCH_ROWS)
                        .build()
                        .map_err(|e| again(e.to_string()))
                })?;
            let mut batches = batches;
            // Stop at the last kept row: rows after it may be where the first pass found the file
            // unreadable.
            while wanted.peek().is_some() {
                let Some(batch) = batches.next() else { break };
                let batch = batch.map_err(|e| again(e.to_string()))?;
                let keep: BooleanArray = (0..batch.num_rows() as u64)
                    .map(|r| {
                        let hit = wanted.peek() == Some(&(next_row + r));
                        if hit {
                            wanted.next();
                        }
                        Some(hit)
                    })
                    .collect();
                next_row += batch.num_rows() as u64;
                let kept_rows =
                    arrow_select::filter::filter_record_batch(&batch, &keep).map_err(|e| {
                        Error::Parquet(format!("{}: selecting kept rows: {e}", source.name))
                    })?;
                if kept_rows.num_rows() > 0 {
                    writer.write(&kept_rows).map_err(failed)?;
                }
            }
            if writer.in_progress_rows() > 0 {
                writer.flush().map_err(failed)?;
            }
        }
    }
    let mut w = writer.into_inner().map_err(failed)?;
    w.flush().map_err(|e| Error::io(&path, e))?;
    Ok(Some(DEDUPED_PARQUET.to_string()))
}

/// Write `batches` (all of `schema`) to a new zstd-compressed Parquet file at `path`.
pub(crate) fn write_table(
    path: &Path,
    schema: SchemaRef,
    batches: impl IntoIterator<Item = std::result::Result<RecordBatch, arrow_schema::ArrowError>>,
) -> Result<()> {
    let failed = |e: &dyn std::fmt::Display| Error::Parquet(format!("{}: {e}", path.display()));
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .build();
    let mut writer =
        ArrowWriter::try_new(create(path)?, schema, Some(props)).map_err(|e| failed(&e))?;
    for batch in batches {
        let batch = batch.map_err(|e| failed(&e))?;
        writer.write(&batch).map_err(|e| failed(&e))?;
    }
    let mut w = writer.into_inner().map_err(|e| failed(&e))?;
    w.flush().map_err(|e| Error::io(path, e))
}
