//! Reading the rows of one Parquet file, row group by row group, only the columns a job needs.
//!
//! Memory: one decoded batch of the projected columns (at most [`BATCH_ROWS`] rows) and the pages
//! being decoded; the file's metadata (footer). Nothing of the columns that are not asked for.

use super::ParquetRow;
use crate::error::{Error, Problem, ProblemKind, Result};
use crate::io::{FieldNames, Location, ReadItem, Source, SourceStats};
use ::parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReader,
    ParquetRecordBatchReaderBuilder,
};
use ::parquet::arrow::ProjectionMask;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, Schema};
use std::borrow::Cow;
use std::fs::File;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Rows decoded at a time. Small enough that a batch of long documents stays a few MB, large
/// enough that per-batch costs vanish.
pub(crate) const BATCH_ROWS: usize = 1024;

/// The rows of one Parquet source, as reader items.
pub(crate) struct ParquetRows {
    index: u32,
    name: String,
    max_record_bytes: usize,
    counter: Arc<AtomicU64>,
    state: State,
}

enum State {
    /// The file cannot be read at all: one problem to report, then nothing.
    Failed(Option<Problem>),
    Reading(Box<OpenFile>),
    Done,
}

struct OpenFile {
    file: File,
    meta: ArrowReaderMetadata,
    mask: ProjectionMask,
    fields: FieldNames,
    /// The row group being read, or the next one when `batches` is `None`.
    group: usize,
    batches: Option<ParquetRecordBatchReader>,
    batch: Option<Batch>,
    /// 1-based number (in the file) of the next row to yield.
    next_row: u64,
}

/// A decoded batch and where its columns are.
struct Batch {
    batch: RecordBatch,
    text: usize,
    id: Option<usize>,
    source: Option<usize>,
    date: Option<usize>,
    row: usize,
}

/// What a column is used for, which decides the types it may have.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Strings only.
    Text,
    /// Strings or integers (written in decimal, losslessly).
    Scalar,
}

impl ParquetRows {
    /// Open the source and check its columns. A file that cannot be opened is a fatal error, as
    /// for every input; a file that is not readable Parquet, or lacks the text column, becomes one
    /// problem (the user's `--on-error` decides).
    pub(crate) fn open(
        source: &Source,
        index: usize,
        fields: &FieldNames,
        max_record_bytes: usize,
        counter: Arc<AtomicU64>,
    ) -> Result<Self> {
        let path = match &source.location {
            Location::Path(p) => p,
            Location::Stdin => {
                return Err(Error::Parquet(format!(
                    "{}: Parquet cannot be read from standard input (its index is at the end of \
                     the file); give the file's path",
                    source.name
                )))
            }
        };
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let state = match open_file(file, source, fields) {
            Ok(open) => State::Reading(Box::new(open)),
            Err(problem) => State::Failed(Some(*problem)),
        };
        Ok(ParquetRows {
            index: index as u32,
            name: source.name.clone(),
            max_record_bytes,
            counter,
            state,
        })
    }

    /// The next row or problem; `None` at the end of the file (or after a problem that stops it).
    pub(crate) fn next_item(&mut self, stats: &mut SourceStats) -> Option<ReadItem> {
        loop {
            let open = match &mut self.state {
                State::Done => return None,
                State::Failed(problem) => {
                    let problem = problem.take();
                    self.state = State::Done;
                    return problem.map(ReadItem::Problem);
                }
                State::Reading(open) => open,
            };
            if let Some(batch) = open.batch.as_mut() {
                if batch.row < batch.batch.num_rows() {
                    let line = open.next_row;
                    open.next_row += 1;
                    stats.records += 1;
                    return Some(row_item(
                        batch,
                        self.index,
                        line,
                        &self.name,
                        self.max_record_bytes,
                    ));
                }
                open.batch = None;
            }
            let groups = open.meta.metadata().num_row_groups();
            if open.batches.is_none() {
                if open.group == groups {
                    self.state = State::Done;
                    return None;
                }
                let built = open
                    .file
                    .try_clone()
                    .map_err(|e| e.to_string())
                    .and_then(|file| {
                        ParquetRecordBatchReaderBuilder::new_with_metadata(file, open.meta.clone())
                            .with_projection(open.mask.clone())
                            .with_row_groups(vec![open.group])
                            .with_batch_size(BATCH_ROWS)
                            .build()
                            .map_err(|e| e.to_string())
                    });
                match built {
                    Ok(reader) => open.batches = Some(reader),
                    Err(e) => {
                        let problem = group_problem(&self.name, open, groups, &e);
                        self.state = State::Done;
                        return Some(ReadItem::Problem(problem));
                    }
                }
            }
            match open.batches.as_mut().and_then(|b| b.next()) {
                Some(Ok(batch)) => match locate(batch, &open.fields) {
                    Ok(b) => open.batch = Some(b),
                    Err(e) => {
                        let problem = group_problem(&self.name, open, groups, &e);
                        self.state = State::Done;
                        return Some(ReadItem::Problem(problem));
                    }
                },
                Some(Err(e)) => {
                    let problem = group_problem(&self.name, open, groups, &e.to_string());
                    self.state = State::Done;
                    return Some(ReadItem::Problem(problem));
                }
                None => {
                    let size = open.meta.metadata().row_group(open.group).compressed_size();
                    self.counter
                        .fetch_add(size.max(0) as u64, Ordering::Relaxed);
                    open.group += 1;
                    open.batches = None;
                }
            }
        }
    }
}

/// A row group that cannot be decoded: nothing after it is trusted, as for a truncated stream.
fn group_problem(name: &str, open: &OpenFile, groups: usize, error: &str) -> Problem {
    Problem {
        file: name.to_string(),
        line: Some(open.next_row),
        id: None,
        reason: ProblemKind::Truncated,
        message: format!(
            "row group {} of {groups} cannot be read from row {} on ({error}); the rest of the \
             file is not read",
            open.group + 1,
            open.next_row
        ),
    }
}

/// Load the footer, check the named columns, and choose the projection.
fn open_file(file: File, source: &Source, fields: &FieldNames) -> Result<OpenFile, Box<Problem>> {
    let problem = |reason, message| {
        Box::new(Problem {
            file: source.name.clone(),
            line: None,
            id: None,
            reason,
            message,
        })
    };
    let meta = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new()).map_err(|e| {
        problem(
            ProblemKind::Truncated,
            format!(
                "not a readable Parquet file ({e}); it is truncated or corrupt, and none of it is read"
            ),
        )
    })?;
    let rows = meta.metadata().file_metadata().num_rows();
    let schema = meta.schema().clone();
    let column = |name: &str, role: Role| -> Result<Option<usize>, Box<Problem>> {
        let Ok(i) = schema.index_of(name) else {
            return Ok(None);
        };
        let data_type = schema.field(i).data_type();
        if accepts(data_type, role) {
            Ok(Some(i))
        } else {
            let wanted = match role {
                Role::Text => "a string column",
                Role::Scalar => "a string or integer column",
            };
            Err(problem(
                ProblemKind::BadFieldType,
                format!(
                    "column \"{name}\" is {data_type}; it must be {wanted}; the file's {rows} rows \
                     are not read"
                ),
            ))
        }
    };
    let Some(text) = column(&fields.text, Role::Text)? else {
        return Err(problem(
            ProblemKind::MissingField,
            format!(
                "no column \"{}\" (the columns are {}); the file's {rows} rows are not read",
                fields.text,
                column_names(&schema)
            ),
        ));
    };
    let mut wanted = vec![text];
    wanted.extend(column(&fields.id, Role::Scalar)?);
    for name in [&fields.source, &fields.date].into_iter().flatten() {
        wanted.extend(column(name, Role::Scalar)?);
    }
    let mask = ProjectionMask::roots(meta.parquet_schema(), wanted);
    Ok(OpenFile {
        file,
        meta,
        mask,
        fields: fields.clone(),
        group: 0,
        batches: None,
        batch: None,
        next_row: 1,
    })
}

fn column_names(schema: &Schema) -> String {
    let names: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| format!("\"{}\"", f.name()))
        .collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

fn accepts(data_type: &DataType, role: Role) -> bool {
    match data_type {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, values) => accepts(values, role),
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64 => role == Role::Scalar,
        _ => false,
    }
}

/// Find the named columns in a decoded batch (projected, so its column numbers differ from the
/// file's).
fn locate(batch: RecordBatch, fields: &FieldNames) -> Result<Batch, String> {
    let schema = batch.schema();
    let find = |name: &str| schema.index_of(name).ok();
    let text = find(&fields.text)
        .ok_or_else(|| format!("the decoded rows lack column \"{}\"", fields.text))?;
    Ok(Batch {
        text,
        id: find(&fields.id),
        source: fields.source.as_deref().and_then(find),
        date: fields.date.as_deref().and_then(find),
        row: 0,
        batch,
    })
}

fn row_item(
    batch: &mut Batch,
    source: u32,
    line: u64,
    name: &str,
    max_record_bytes: usize,
) -> ReadItem {
    let row = batch.row;
    batch.row += 1;
    let value = |column: Option<usize>| {
        column.and_then(|c| scalar_at(batch.batch.column(c).as_ref(), row).map(Cow::into_owned))
    };
    let id = value(batch.id);
    let text = scalar_at(batch.batch.column(batch.text).as_ref(), row).unwrap_or_default();
    if text.len() > max_record_bytes {
        return ReadItem::Problem(Problem {
            file: name.to_string(),
            line: Some(line),
            id,
            reason: ProblemKind::TooLarge,
            message: format!(
                "text of {} bytes is larger than the limit of {max_record_bytes} bytes",
                text.len()
            ),
        });
    }
    ReadItem::Parquet(ParquetRow {
        source,
        line,
        id,
        text: text.into_owned(),
        source_field: value(batch.source),
        date: value(batch.date),
    })
}

/// The value at `row` as text: strings as they are, integers in decimal; `None` for a null.
/// Columns were checked against [`accepts`] when the file was opened.
fn scalar_at(array: &dyn Array, row: usize) -> Option<Cow<'_, str>> {
    if array.is_null(row) {
        return None;
    }
    let int = |v: i128| Some(Cow::Owned(v.to_string()));
    match array.data_type() {
        DataType::Utf8 => Some(Cow::Borrowed(array.as_string::<i32>().value(row))),
        DataType::LargeUtf8 => Some(Cow::Borrowed(array.as_string::<i64>().value(row))),
        DataType::Utf8View => Some(Cow::Borrowed(array.as_string_view().value(row))),
        DataType::Dictionary(_, _) => {
            let dict = array.as_any_dictionary();
            let key = integer_at(dict.keys(), row)?;
            scalar_at(dict.values().as_ref(), usize::try_from(key).ok()?)
        }
        _ => int(integer_at(array, row)?),
    }
}

fn integer_at(array: &dyn Array, row: usize) -> Option<i128> {
    Some(match array.data_type() {
        DataType::Int8 => array.as_primitive::<Int8Type>().value(row).into(),
        DataType::Int16 => array.as_primitive::<Int16Type>().value(row).into(),
        DataType::Int32 => array.as_primitive::<Int32Type>().value(row).into(),
        DataType::Int64 => array.as_primitive::<Int64Type>().value(row).into(),
        DataType::UInt8 => array.as_primitive::<UInt8Type>().value(row).into(),
        DataType::UInt16 => array.as_primitive::<UInt16Type>().value(row).into(),
        DataType::UInt32 => array.as_primitive::<UInt32Type>().value(row).into(),
        DataType::UInt64 => array.as_primitive::<UInt64Type>().value(row).into(),
        _ => return None,
    })
}
