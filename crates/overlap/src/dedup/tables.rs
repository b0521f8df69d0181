//! `clusters.parquet` and `pairs.parquet`: the result tables as Parquet, for Spark and pandas users,
//! with the fields (and order) of `clusters.jsonl` and `pairs.jsonl`.
//!
//! Memory: one batch of 65,536 rows being built and the row group being encoded; the ids are
//! borrowed from the job's per-document bookkeeping.

use super::{Assignment, DuplicatePair};
use crate::error::Result;
use serde::Serialize;
use std::path::Path;

/// The format of the result tables.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    /// `clusters.jsonl` and `pairs.jsonl` (default).
    #[default]
    Jsonl,
    /// Also `clusters.parquet` and `pairs.parquet`, with the same fields.
    Parquet,
}

impl OutputFormat {
    /// Refuse Parquet output in a build without the `parquet` feature.
    pub fn validate(self) -> Result<()> {
        if self == OutputFormat::Parquet && !crate::io::parquet::SUPPORTED {
            return Err(crate::Error::Config(
                "--output-format parquet: this build of overlap was compiled without the \
                 `parquet` feature"
                    .into(),
            ));
        }
        Ok(())
    }
}

/// Write `clusters.parquet` and `pairs.parquet` into `out_dir`; `ids[i]` is document `i`'s id.
/// Returns the names written. The `estimated` column exists only when `verified` is false, as the
/// field does in `pairs.jsonl`.
#[cfg(feature = "parquet")]
pub(super) fn write_parquet_tables(
    out_dir: &Path,
    ids: &[&str],
    assignment: &Assignment,
    pairs: &[DuplicatePair],
    verified: bool,
) -> Result<Vec<String>> {
    use super::{PairKind, Reason};
    use arrow_array::{ArrayRef, BooleanArray, Float64Array, RecordBatch, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    use std::sync::Arc;

    const CHUNK: usize = 1 << 16;
    let clusters_schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("cluster", DataType::Utf8, false),
        Field::new("kept", DataType::Boolean, false),
        Field::new("reason", DataType::Utf8, false),
    ]));
    let reason = |r: Reason| r.as_str();
    let batches = (0..ids.len()).step_by(CHUNK).map(|start| {
        let docs = start..(start + CHUNK).min(ids.len());
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter_values(docs.clone().map(|i| ids[i]))),
            Arc::new(StringArray::from_iter_values(
                docs.clone().map(|i| ids[assignment.cluster[i] as usize]),
            )),
            Arc::new(BooleanArray::from_iter(
                docs.clone()
                    .map(|i| Some(assignment.reason[i] == Reason::Unique)),
            )),
            Arc::new(StringArray::from_iter_values(
                docs.map(|i| reason(assignment.reason[i])),
            )),
        ];
        RecordBatch::try_new(clusters_schema.clone(), columns)
    });
    crate::io::parquet::write_table(
        &out_dir.join("clusters.parquet"),
        clusters_schema.clone(),
        batches,
    )?;

    let mut fields = vec![
        Field::new("a", DataType::Utf8, false),
        Field::new("b", DataType::Utf8, false),
        Field::new("jaccard", DataType::Float64, false),
        Field::new("kind", DataType::Utf8, false),
    ];
    if !verified {
        fields.push(Field::new("estimated", DataType::Boolean, false));
    }
    let pairs_schema = Arc::new(Schema::new(fields));
    let kind = |k: PairKind| match k {
        PairKind::Exact => "exact",
        PairKind::Near => "near",
    };
    let batches = pairs.chunks(CHUNK).map(|chunk| {
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter_values(
                chunk.iter().map(|p| ids[p.a as usize]),
            )),
            Arc::new(StringArray::from_iter_values(
                chunk.iter().map(|p| ids[p.b as usize]),
            )),
            Arc::new(Float64Array::from_iter_values(
                chunk.iter().map(|p| p.jaccard),
            )),
            Arc::new(StringArray::from_iter_values(
                chunk.iter().map(|p| kind(p.kind)),
            )),
        ];
        if !verified {
            columns.push(Arc::new(BooleanArray::from_iter(
                chunk.iter().map(|p| Some(p.kind == PairKind::Near)),
            )));
        }
        RecordBatch::try_new(pairs_schema.clone(), columns)
    });
    crate::io::parquet::write_table(
        &out_dir.join("pairs.parquet"),
        pairs_schema.clone(),
        batches,
    )?;
    Ok(vec!["clusters.parquet".into(), "pairs.parquet".into()])
}

/// Without the feature, [`OutputFormat::validate`] refuses Parquet output before the run.
#[cfg(not(feature = "parquet"))]
pub(super) fn write_parquet_tables(
    _out_dir: &Path,
    _ids: &[&str],
    _assignment: &Assignment,
    _pairs: &[DuplicatePair],
    _verified: bool,
) -> Result<Vec<String>> {
    OutputFormat::Parquet.validate().map(|_| Vec::new())
}
