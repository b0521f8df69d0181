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
    /// The record is larger than the configured maximum.
    TooLarge,
    /// The id was already used by an earlier record.
    DuplicateId,
    /// The file is in a format overlap does not read (Parquet, CSV/TSV, zip, PDF, an image, a
    /// program, other binary data): the whole file is one skipped entry.
    UnsupportedFormat,
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
            ProblemKind::TooLarge => "too_large",
            ProblemKind::DuplicateId => "duplicate_id",
            ProblemKind::Truncated => "truncated",
            ProblemKind::UnsupportedFormat => "unsupported_format",
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
    #[error("{}: {}", path.display(), os_text(source))]
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
    /// A Parquet input or output cannot be used (the message names the file).
    #[error("{0}")]
    Parquet(String),
    /// The corpus is larger than the engine's 32-bit document numbering allows.
    #[error("too many documents: at most {} per run", u32::MAX)]
    TooManyDocuments,
    /// An output would overwrite or replace an input, an output folder is or lies inside an input
    /// folder, or an output path cannot be used (an existing file named as the output folder).
    /// Checked before anything is written; a usage error.
    #[error("{0}")]
    OutputConflict(String),
    /// Writing an output failed: `op` names the operation (`writing`, `renaming`, `syncing`, ...).
    /// The operating system's text is part of the message, once (it is not a `source`).
    #[error("{op} {}: {}", path.display(), os_text(cause))]
    Output {
        /// What was being done.
        op: &'static str,
        /// The output concerned, under its final name.
        path: PathBuf,
        /// What the operating system said.
        cause: std::io::Error,
    },
    /// Another run holds the lock of the output folder.
    #[error("{} is in use by another overlap run ({holder}); wait for it to finish, or choose another --out", path.display())]
    Locked {
        /// The output folder.
        path: PathBuf,
        /// `pid N`, or `pid unknown`.
        holder: String,
    },
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

    /// A failed output operation (`op`: `writing`, `renaming`, ...) on `path`.
    pub fn output(op: &'static str, path: impl Into<PathBuf>, cause: std::io::Error) -> Self {
        Error::Output {
            op,
            path: path.into(),
            cause,
        }
    }

    /// Whether the error is the user's usage mistake (exit code 2: a parameter out of range, an
    /// output that would destroy an input) rather than a failure of the input or the run (exit 1).
    pub fn is_usage(&self) -> bool {
        matches!(self, Error::Config(_) | Error::OutputConflict(_))
    }
}

/// The operating system's description of `e`, as a phrase: "no space left on device" rather than
/// "No space left on device (os error 28)".
pub fn os_text(e: &std::io::Error) -> String {
    let text = e.to_string();
    let text = match (e.raw_os_error(), text.rfind(" (os error ")) {
        (Some(_), Some(at)) => &text[..at],
        _ => &text[..],
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) if chars.clone().next().is_some_and(|c| c.is_lowercase()) => {
            first.to_lowercase().chain(chars).collect()
        }
        _ => text.to_string(),
    }
}

/// The engine's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_the_system_text_once_as_a_phrase() {
        let full = std::io::Error::from_raw_os_error(28);
        assert_eq!(os_text(&full), "no space left on device");
        let e = Error::output("writing", "out/deduped.jsonl.gz", full);
        assert_eq!(
            e.to_string(),
            "writing out/deduped.jsonl.gz: no space left on device"
        );
        assert!(std::error::Error::source(&e).is_none());
        assert_eq!(os_text(&std::io::Error::other("IDs differ")), "IDs differ");
        assert!(Error::OutputConflict("x".into()).is_usage());
        assert!(!Error::NoInput("x".into()).is_usage());
    }
}
