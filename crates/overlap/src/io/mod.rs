//! Reading corpora and writing results: input discovery, compression, JSONL records, and the
//! all-or-nothing commit of outputs that never touch an input.

pub mod commit;
mod compression;
mod failpoint;
pub mod guard;
pub mod ids;
mod ingest;
mod input;
mod json;
pub(crate) mod output;
pub mod parquet;
mod reader;
mod relpath;
mod sniff;

pub use self::parquet::{sniff_parquet, ParquetMagic, ParquetRow};
pub use commit::{FileCommit, OutputFolder};
pub use compression::{
    decompress, decompress_noting, BlockWriter, CompressedWriter, Compression, DecompressNotes,
};
pub use ingest::{ingest, Accepted, CorpusInput, Mapped, OnError, Skipped};
pub use input::{discover, Format, Location, Source};
pub use json::{parse_record, FieldError, FieldNames, JsonRecord};
pub use reader::{copy_lines, CorpusReader, RawRecord, ReadItem, SourceStats};
pub use relpath::relative_from;
pub use sniff::{sniff, Unsupported};
