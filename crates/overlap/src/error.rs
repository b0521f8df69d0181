//! Errors of the engine: fatal [`Error`]s that stop a run, and per-record [`Problem`]s that a caller
//! may either skip (and list) or turn into a fatal error.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;

/// What is wrong with one input record (or with the rest of an input, for `Truncated`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// The line is not a JSON object.
    MalformedJson,
    /// The bytes are not valid UTF-8.
    InvalidUtf8,
    /// The text field is absent.
    MissingField,
    /// The id or text field has the wrong JSON type (text must be a string; id a string or number).
    BadFieldType,
    /// The text has no word once normalized (empty, or only spaces and punctuation).
    EmptyText,
    /// The record is larger than the configured maximum.
    TooLarge,
    /// The id was already used by an earlier record.
    DuplicateId,
    /// The input could not be read past this point (a truncated or corrupt compressed stream, or an
    /// I/O error); the records after it are not read.
    Truncated,
}

impl ProblemKind {
    /// The name used in outputs (`summary.json`).
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::MalformedJson => "malformed_json",
            ProblemKind::InvalidUtf8 => "invalid_utf8",
            ProblemKind::MissingField => "missing_field",
            ProblemKind::BadFieldType => "bad_field_type",
            ProblemKind::EmptyText => "empty_text",
            ProblemKind::TooLarge => "too_large",
            ProblemKind::DuplicateId => "duplicate_id",
            ProblemKind::Truncated => "truncated",
        }
    }
}

/// One bad input record, with where it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The input it came from, as the user named it.
    pub file: String,
    /// 1-based line of a JSONL input; absent for a text-file input.
    pub line: Option<u64>,
    /// The record's id, when it could be read.
    pub id: Option<String>,
    /// What is wrong.
    pub reason: ProblemKind,
    /// A sentence for people.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// A fatal error: the run stops.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input or output file could not be opened, read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// An input path does not exist.
    #[error("{0}: no such file or directory")]
    InputNotFound(String),
    /// No input was given, or the directories given hold no files.
    #[error("no input documents: {0}")]
    NoInput(String),
    /// A record is bad and the caller chose to fail on bad records.
    #[error("{0} (use --on-error skip to skip bad records and list them in summary.json)")]
    BadRecord(Box<Problem>),
    /// A parameter is out of range.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The corpus is larger than the engine's 32-bit document numbering allows.
    #[error("too many documents: at most {} per run", u32::MAX)]
    TooManyDocuments,
    /// The semantic model is missing or cannot be read.
    #[error("semantic model: {0}")]
    Model(String),
}

impl Error {
    /// Attach a path to an I/O error.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// The engine's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
