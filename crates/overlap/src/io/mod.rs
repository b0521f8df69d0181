//! Reading corpora and writing results: input discovery, compression, JSONL records.

mod compression;
mod ingest;
mod input;
mod json;
pub(crate) mod output;
mod reader;
mod relpath;

pub use compression::{decompress, BlockWriter, CompressedWriter, Compression};
pub use ingest::{ingest, Accepted, CorpusInput, Mapped, OnError, Skipped};
pub use input::{discover, Format, Location, Source};
pub use json::{parse_record, FieldError, FieldNames, JsonRecord};
pub use reader::{copy_lines, CorpusReader, RawRecord, ReadItem, SourceStats};
pub use relpath::relative_from;
