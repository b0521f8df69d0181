//! Convert a JSON Lines corpus (plain, .gz or .zst) whose fields are all strings into Parquet, for
//! the Parquet benchmark (`bench/parquet_read.sh`): one string column per field of the first record.
//!
//! `cargo run --release -p overlap-cli --example jsonl_to_parquet -- IN OUT [zstd|snappy|gzip|none] [ROWS_PER_GROUP]`

use arrow_array::{ArrayRef, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::io::BufRead;
use std::sync::Arc;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    anyhow::ensure!(
        args.len() >= 2,
        "usage: jsonl_to_parquet IN OUT [codec] [rows per group]"
    );
    let codec = match args.get(2).map(String::as_str).unwrap_or("zstd") {
        "zstd" => Compression::ZSTD(Default::default()),
        "snappy" => Compression::SNAPPY,
        "gzip" => Compression::GZIP(Default::default()),
        "none" => Compression::UNCOMPRESSED,
        other => anyhow::bail!("unknown codec {other}"),
    };
    let rows_per_group: usize = args
        .get(3)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(10_000);
    let (reader, _) = overlap::io::decompress(std::fs::File::open(&args[0])?)?;
    let mut records: Vec<serde_json::Map<String, serde_json::Value>> = Vec::new();
    for line in reader.lines() {
        let line = line?;
        if !line.trim().is_empty() {
            records.push(serde_json::from_str(&line)?);
        }
    }
    let names: Vec<String> = records
        .first()
        .map(|r| r.keys().cloned().collect())
        .unwrap_or_default();
    let schema = Arc::new(Schema::new(
        names
            .iter()
            .map(|n| Field::new(n, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ));
    let props = WriterProperties::builder()
        .set_compression(codec)
        .set_max_row_group_row_count(Some(rows_per_group))
        .build();
    let mut writer = ArrowWriter::try_new(
        std::fs::File::create(&args[1])?,
        schema.clone(),
        Some(props),
    )?;
    for chunk in records.chunks(rows_per_group) {
        let columns: Vec<ArrayRef> = names
            .iter()
            .map(|n| {
                Arc::new(
                    chunk
                        .iter()
                        .map(|r| r.get(n).and_then(|v| v.as_str()))
                        .collect::<StringArray>(),
                ) as ArrayRef
            })
            .collect();
        writer.write(&RecordBatch::try_new(schema.clone(), columns)?)?;
    }
    writer.close()?;
    Ok(())
}
