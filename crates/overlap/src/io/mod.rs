//! Reading corpora and writing results: input discovery, compression, JSONL records, and the
//! all-or-nothing commit of outputs that never touch an input.

pub mod commit;
mod compression;
mod failpoint;
pub mod guard;
mod ingest;
mod input;
mod json;
pub(crate) mod output;
mod reader;

pub use commit::{FileCommit, OutputFolder};
pub use compression::{decompress, BlockWriter, CompressedWriter, Compression};
pub use ingest::{ingest, Accepted, CorpusInput, Mapped, OnError, Skipped};
pub use input::{discover, Format, Location, Source};
pub use json::{parse_record, FieldError, FieldNames, JsonRecord};
pub use reader::{copy_lines, CorpusReader, RawRecord, ReadItem, SourceStats};
