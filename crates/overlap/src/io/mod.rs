//! Reading corpora and writing results: input discovery, compression, JSONL records.

mod compression;
pub mod ids;
mod ingest;
mod input;
mod json;
pub(crate) mod output;
mod reader;
mod sniff;

pub use compression::{
    decompress, decompress_noting, BlockWriter, CompressedWriter, Compression, DecompressNotes,
};
pub use ingest::{ingest, Accepted, CorpusInput, Mapped, OnError, Skipped};
pub use input::{discover, Format, Location, Source};
pub use json::{parse_record, FieldError, FieldNames, JsonRecord};
pub use reader::{copy_lines, CorpusReader, RawRecord, ReadItem, SourceStats};
pub use sniff::{sniff, Unsupported};
