//! Ingest: the shared front half of every corpus job. Reads records, parses them, maps each text to
//! whatever the job needs (in parallel, per batch), assigns ids, and applies the bad-record policy,
//! handing accepted documents to the job in input order.
//!
//! Memory: one batch of raw records (at most 4,096 records or 32 MiB) being mapped while the reader
//! thread decodes the next, plus 16 bytes per accepted id for the duplicate check.

use crate::error::{Error, Problem, ProblemKind, Result};
use crate::io::{parse_record, CorpusReader, FieldNames, Format, RawRecord, ReadItem, Source};
use crate::progress::{Progress, Unit};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashSet;
use std::sync::atomic::Ordering;

/// What to do with a bad record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OnError {
    /// Stop the run with an error naming the file and line (default).
    #[default]
    Fail,
    /// Skip the record and list it.
    Skip,
}

/// Where a corpus job's documents come from, and how bad records are treated: the half of the
/// options every corpus job shares.
#[derive(Clone, Debug)]
pub struct CorpusInput {
    /// Input paths: files, directories, or `-` for JSON Lines on standard input.
    pub paths: Vec<String>,
    /// Force one format for every input instead of going by file names.
    pub format: Option<Format>,
    /// Which JSON fields hold the id, the text and (for reuse) the source and date.
    pub fields: FieldNames,
    /// Fail or skip on bad records. Default: fail.
    pub on_error: OnError,
    /// Records larger than this many bytes are bad records. Default: 64 MiB.
    pub max_record_bytes: usize,
}

impl CorpusInput {
    /// Defaults for everything but the paths.
    pub fn new(paths: Vec<String>) -> Self {
        CorpusInput {
            paths,
            format: None,
            fields: FieldNames::default(),
            on_error: OnError::Fail,
            max_record_bytes: 64 << 20,
        }
    }

    /// Discover the sources and open a reader over them.
    pub fn open(&self) -> Result<CorpusReader> {
        let sources = crate::io::discover(&self.paths, self.format)?;
        let mut reader =
            CorpusReader::new(sources, self.max_record_bytes).with_fields(self.fields.clone());
        // A forced format is the user's word on how to read every file, CSV named files included.
        reader.sniff_names(self.format.is_none());
        Ok(reader)
    }
}

/// A document's text mapped to what a job keeps of it.
pub trait Mapped: Send {
    /// Number of words found in the text; zero marks the document [`Accepted::empty`].
    fn word_count(&self) -> usize;
}

/// An accepted document, in input order.
#[derive(Debug)]
pub struct Accepted<T> {
    /// Its id: from the id field, the text file's path, or its position.
    pub id: String,
    /// Index of its source.
    pub source: u32,
    /// Its line (1 for text files).
    pub line: u64,
    /// The source field's value, if one was asked for and given.
    pub source_field: Option<String>,
    /// The date field's value, if one was asked for and given.
    pub date: Option<String>,
    /// True when the text has no word after normalization (empty, or only spaces and punctuation).
    /// Such a document is accepted like any other (it is data, not a broken record); jobs mark it in
    /// their outputs and never compare it with others.
    pub empty: bool,
    /// What the job's map made of its text.
    pub value: T,
}

/// Skipped records, in input order (empty under [`OnError::Fail`], which stops at the first).
pub type Skipped = Vec<Problem>;

/// Read every record of `reader`, map its text with `map` (in parallel), and give each accepted
/// document to `accept` in input order. Bad records stop the run or are collected, as `on_error`
/// says. A record without an id gets `NAME:LINE` (see [`crate::io::ids`] for the id rules).
pub fn ingest<T: Mapped>(
    reader: &mut CorpusReader,
    fields: &FieldNames,
    on_error: OnError,
    progress: &dyn Progress,
    map: impl Fn(&str) -> T + Sync,
    mut accept: impl FnMut(Accepted<T>) -> Result<()>,
) -> Result<Skipped> {
    const BATCH_RECORDS: usize = 4096;
    const BATCH_BYTES: usize = 32 << 20;
    progress.start("read", reader.total_bytes(), Unit::Bytes);
    let counter = reader.bytes_read();
    let sources: Vec<Source> = reader.sources().to_vec();
    let mut ids = HashSet::new();
    // The ids generated for records without one, to explain a later clash with a given id.
    let mut generated = HashSet::new();
    let mut accepted = 0u64;
    let mut skipped = Vec::new();
    let mut problem = |p: Problem| match on_error {
        OnError::Fail => Err(Error::BadRecord(Box::new(p))),
        OnError::Skip => {
            skipped.push(p);
            Ok(())
        }
    };
    // Reading and decompression run on their own thread, one batch ahead of parsing and mapping.
    std::thread::scope(|scope| -> Result<()> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Vec<ReadItem>>>(2);
        scope.spawn(move || loop {
            let batch = reader.next_batch(BATCH_RECORDS, BATCH_BYTES);
            let end = matches!(&batch, Ok(b) if b.is_empty()) || batch.is_err();
            if tx.send(batch).is_err() || end {
                break;
            }
        });
        for batch in rx {
            let batch = batch?;
            if batch.is_empty() {
                break;
            }
            let mapped: Vec<Result<Parsed<T>, Problem>> = batch
                .into_par_iter()
                .map(|item| parse_and_map(item, &sources, fields, &map))
                .collect();
            for m in mapped {
                let Parsed {
                    source,
                    line,
                    id,
                    source_field,
                    date,
                    value,
                } = match m {
                    Ok(doc) => doc,
                    Err(p) => {
                        problem(p)?;
                        continue;
                    }
                };
                let src = &sources[source as usize];
                let key = |id: &str| xxhash_rust::xxh3::xxh3_128(id.as_bytes());
                let given = id.is_some();
                let id = id.unwrap_or_else(|| {
                    // The id rule of the README: `FILE:LINE`, made free of earlier ids with `#N`.
                    let base = crate::io::ids::generated_id(&src.name, line);
                    let mut id = base.clone();
                    let mut n = 2u64;
                    while ids.contains(&key(&id)) {
                        id = format!("{base}#{n}");
                        n += 1;
                    }
                    generated.insert(key(&id));
                    id
                });
                let located = |reason, message: String| Problem {
                    file: src.name.clone(),
                    line: src.format.numbered().then_some(line),
                    id: Some(id.clone()),
                    reason,
                    message,
                };
                if !ids.insert(key(&id)) {
                    let message = if given && generated.contains(&key(&id)) {
                        format!(
                            "id {id:?} was already given to an earlier record without an id \
                             (records without an id get FILE:LINE)"
                        )
                    } else {
                        format!("id {id:?} was already used by an earlier record")
                    };
                    problem(located(ProblemKind::DuplicateId, message))?;
                } else {
                    accepted += 1;
                    accept(Accepted {
                        id,
                        source,
                        line,
                        source_field,
                        date,
                        empty: value.word_count() == 0,
                        value,
                    })?;
                }
            }
            progress.update(counter.load(Ordering::Relaxed));
        }
        Ok(())
    })?;
    progress.finish();
    if accepted == 0 && !skipped.is_empty() {
        return Err(nothing_accepted(&skipped));
    }
    Ok(skipped)
}

/// The error of a run whose every record was skipped: there is nothing to work on, and an empty
/// result with exit code 0 would look like success.
fn nothing_accepted(skipped: &[Problem]) -> Error {
    let mut reasons: std::collections::BTreeMap<&str, usize> = Default::default();
    for p in skipped {
        *reasons.entry(p.reason.as_str()).or_default() += 1;
    }
    let reasons: Vec<String> = reasons.iter().map(|(r, n)| format!("{n} {r}")).collect();
    let mut message = format!(
        "every one of the {} records read was skipped ({}), none accepted; first: {}",
        skipped.len(),
        reasons.join(", "),
        skipped[0]
    );
    if let Some(last) = skipped.get(1..).and_then(|rest| rest.last()) {
        message.push_str(&format!("; last: {last}"));
    }
    Error::NoInput(message)
}

/// A record parsed and mapped, before its id is settled.
struct Parsed<T> {
    source: u32,
    line: u64,
    id: Option<String>,
    source_field: Option<String>,
    date: Option<String>,
    value: T,
}

fn parse_and_map<T>(
    item: ReadItem,
    sources: &[Source],
    fields: &FieldNames,
    map: &(impl Fn(&str) -> T + Sync),
) -> Result<Parsed<T>, Problem> {
    let RawRecord {
        source,
        line,
        bytes,
    } = match item {
        ReadItem::Problem(p) => return Err(p),
        ReadItem::Record(r) => r,
        ReadItem::Parquet(row) => {
            // A null text arrives empty, so it meets the same rule as an empty JSON text.
            return Ok(Parsed {
                source: row.source,
                line: row.line,
                value: map(&row.text),
                id: row.id,
                source_field: row.source_field,
                date: row.date,
            });
        }
    };
    let src = &sources[source as usize];
    let problem = |(reason, message): (ProblemKind, String)| Problem {
        file: src.name.clone(),
        line: src.format.numbered().then_some(line),
        id: src.text_id.clone(),
        reason,
        message,
    };
    match src.format {
        Format::Jsonl => {
            let record = parse_record(&bytes, fields).map_err(problem)?;
            Ok(Parsed {
                source,
                line,
                value: map(&record.text),
                id: record.id.map(|id| id.into_owned()),
                source_field: record.source,
                date: record.date,
            })
        }
        // Parquet rows arrive as `ReadItem::Parquet`, never as raw bytes.
        Format::Text | Format::Parquet => match std::str::from_utf8(&bytes) {
            Ok(text) => Ok(Parsed {
                source,
                line,
                id: src.text_id.clone(),
                source_field: None,
                date: None,
                value: map(text),
            }),
            Err(e) => Err(problem((
                ProblemKind::InvalidUtf8,
                format!("invalid UTF-8 at byte {} of the file", e.valid_up_to() + 1),
            ))),
        },
    }
}
