//! Parquet in and out: files written by pyarrow (committed fixtures, made by
//! `tests/fixtures/parquet/make_fixtures.py`) and by the Rust writer (Reuters converted here), read by
//! `dedup`, `reuse` and `sketch`; the deduplicated corpus and result tables as Parquet.

use crate::common::{data, overlap, read_json, read_jsonl};
use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, BooleanArray, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use serde_json::Value;
use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/parquet")
        .join(name)
}

/// Every row of a Parquet file, as one batch, with its schema and the codec of its first column.
fn read_parquet(path: &Path) -> (SchemaRef, RecordBatch, Compression, usize) {
    let file = std::fs::File::open(path).unwrap();
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let meta = builder.metadata().clone();
    let schema = builder.schema().clone();
    let batches: Vec<RecordBatch> = builder.build().unwrap().map(|b| b.unwrap()).collect();
    let all = arrow_select::concat::concat_batches(&schema, &batches).unwrap();
    let codec = meta.row_group(0).column(0).compression();
    (schema, all, codec, meta.num_row_groups())
}

/// The values of a string-like column, as strings (dictionaries and views resolved).
fn strings(batch: &RecordBatch, name: &str) -> Vec<Option<String>> {
    let column = batch.column(batch.schema().index_of(name).unwrap());
    let strings = arrow_cast_to_utf8(column);
    (0..strings.len())
        .map(|i| strings.is_valid(i).then(|| strings.value(i).to_string()))
        .collect()
}

fn arrow_cast_to_utf8(column: &ArrayRef) -> StringArray {
    let get = |i: usize| -> Option<String> {
        if column.is_null(i) {
            return None;
        }
        Some(match column.data_type() {
            DataType::Utf8 => column.as_string::<i32>().value(i).to_string(),
            DataType::LargeUtf8 => column.as_string::<i64>().value(i).to_string(),
            DataType::Utf8View => column.as_string_view().value(i).to_string(),
            DataType::Dictionary(_, _) => {
                let dict = column.as_any_dictionary();
                let key = dict
                    .keys()
                    .as_primitive::<arrow_array::types::Int32Type>()
                    .value(i);
                dict.values()
                    .as_string::<i32>()
                    .value(key as usize)
                    .to_string()
            }
            other => panic!("not a string column: {other}"),
        })
    };
    (0..column.len()).map(get).collect()
}

/// Run `overlap dedup INPUT --out OUT ARGS`, expecting success.
fn dedup(input: &Path, out: &Path, args: &[&str]) {
    overlap()
        .arg("dedup")
        .arg(input)
        .arg("--out")
        .arg(out)
        .args(["--quiet"])
        .args(args)
        .assert()
        .success();
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Skipped records without their file name (which differs between inputs).
fn skipped(out: &Path) -> Vec<Value> {
    let summary = read_json(&out.join("summary.json"));
    summary["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let mut p = p.clone();
            p.as_object_mut().unwrap().remove("file");
            p
        })
        .collect()
}

const VARIANTS: [&str; 4] = [
    "snappy.parquet",
    "zstd_dict.parquet",
    "gzip_large.parquet",
    "string_view.parquet",
];

#[test]
fn pyarrow_files_read_as_their_jsonl_twin() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl_out = dir.path().join("jsonl");
    dedup(&fixture("table.jsonl"), &jsonl_out, &["--on-error", "skip"]);
    let clusters = read(&jsonl_out.join("clusters.jsonl"));
    let pairs = read(&jsonl_out.join("pairs.jsonl"));
    // The twin itself holds what the fixtures are made for: exact and near copies, a null text.
    let lines = read_jsonl(&jsonl_out.join("clusters.jsonl"));
    let reason = |id: &str| {
        let l = lines.iter().find(|l| l["id"] == id).unwrap();
        (
            l["cluster"].as_str().unwrap().to_string(),
            l["reason"].as_str().unwrap().to_string(),
        )
    };
    assert_eq!(reason("d03"), ("d01".into(), "exact".into()));
    assert_eq!(reason("d05"), ("d01".into(), "near".into()));
    assert_eq!(reason("d12"), ("d02".into(), "exact".into()));
    // The null text is an empty document: accepted, alone, flagged.
    assert!(skipped(&jsonl_out).is_empty());
    let d06 = lines.iter().find(|l| l["id"] == "d06").unwrap();
    assert_eq!(d06["empty"], true);
    assert_eq!(d06["reason"], "unique");

    for variant in VARIANTS {
        let out = dir.path().join(variant);
        dedup(&fixture(variant), &out, &["--on-error", "skip"]);
        assert_eq!(read(&out.join("clusters.jsonl")), clusters, "{variant}");
        assert_eq!(read(&out.join("pairs.jsonl")), pairs, "{variant}");
        // The null text is an empty text, at its row number.
        assert!(skipped(&out).is_empty(), "{variant}");
        let summary = read_json(&out.join("summary.json"));
        assert_eq!(summary["inputs"][0]["format"], "parquet", "{variant}");
        assert_eq!(summary["inputs"][0]["records"], 12, "{variant}");
        assert_eq!(summary["documents"]["read"], 12, "{variant}");
    }
}

#[test]
fn deduped_parquet_holds_the_kept_rows_with_the_input_schema() {
    let dir = tempfile::tempdir().unwrap();
    for variant in VARIANTS {
        let out = dir.path().join(variant);
        dedup(&fixture(variant), &out, &["--on-error", "skip"]);
        let kept: HashSet<String> = read_jsonl(&out.join("clusters.jsonl"))
            .iter()
            .filter(|l| l["kept"] == true)
            .map(|l| l["id"].as_str().unwrap().to_string())
            .collect();
        let (schema, input, codec, _) = read_parquet(&fixture(variant));
        let (out_schema, output, out_codec, groups) = read_parquet(&out.join("deduped.parquet"));
        assert_eq!(out_schema.fields(), schema.fields(), "{variant}");
        assert_eq!(out_codec, codec, "{variant}: the input's codec is kept");
        assert!(groups >= 1, "{variant}");
        let mask: BooleanArray = strings(&input, "id")
            .iter()
            .map(|id| Some(kept.contains(id.as_deref().unwrap())))
            .collect();
        let expected = arrow_select::filter::filter_record_batch(&input, &mask).unwrap();
        assert_eq!(output.num_rows(), kept.len(), "{variant}");
        assert_eq!(
            output, expected,
            "{variant}: every column of the kept rows, in input order"
        );
    }
    let summary = read_json(&dir.path().join("snappy.parquet/summary.json"));
    assert!(summary["outputs"]
        .as_array()
        .unwrap()
        .contains(&Value::from("deduped.parquet")));
}

#[test]
fn integer_ids_stay_lossless() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    dedup(&fixture("int_ids.parquet"), &out, &["--on-error", "skip"]);
    let ids: Vec<String> = read_jsonl(&out.join("clusters.jsonl"))
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids[0], "9007199254740993");
    assert_eq!(ids[1], "9007199254740994");
    assert_eq!(ids.len(), 12);
    // Its text is null: an empty document, accepted and flagged, its id exact all the same.
    let empty = read_jsonl(&out.join("clusters.jsonl"))
        .into_iter()
        .find(|l| l["empty"] == true)
        .unwrap();
    assert_eq!(empty["id"], "9007199254740998");
}

#[test]
fn text_field_names_the_column() {
    let dir = tempfile::tempdir().unwrap();
    let twin = dir.path().join("twin");
    dedup(&fixture("table.jsonl"), &twin, &["--on-error", "skip"]);
    let out = dir.path().join("body");
    dedup(
        &fixture("body.parquet"),
        &out,
        &["--on-error", "skip", "--text-field", "body"],
    );
    assert_eq!(
        read(&out.join("clusters.jsonl")),
        read(&twin.join("clusters.jsonl"))
    );
    let failed = overlap()
        .arg("dedup")
        .arg(fixture("body.parquet"))
        .arg("--out")
        .arg(dir.path().join("no-text"))
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&failed.get_output().stderr).to_string();
    assert!(stderr.contains("body.parquet"), "{stderr}");
    assert!(stderr.contains("no column \"text\""), "{stderr}");
    assert!(stderr.contains("\"body\""), "{stderr}");
}

#[test]
fn truncated_and_corrupt_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, policy: &str| {
        overlap()
            .arg("dedup")
            .arg(fixture(name))
            .args(["--quiet", "--on-error", policy, "--out"])
            .arg(dir.path().join(format!("{name}-{policy}")))
            .assert()
    };
    let failed = run("truncated.parquet", "fail").code(1);
    let stderr = String::from_utf8_lossy(&failed.get_output().stderr).to_string();
    assert!(
        stderr.contains("truncated.parquet: not a readable Parquet file"),
        "{stderr}"
    );
    assert!(stderr.contains("truncated or corrupt"), "{stderr}");

    // Skipped, the one record is accounted for; nothing was accepted, so the run still fails,
    // saying what was skipped.
    let skipped = run("truncated.parquet", "skip").code(1);
    let stderr = String::from_utf8_lossy(&skipped.get_output().stderr).to_string();
    assert!(stderr.contains("1 truncated"), "{stderr}");
    assert!(stderr.contains("truncated.parquet"), "{stderr}");

    // Row group 2 (rows 5-8) is broken: the rows before it are read, nothing after it.
    let failed = run("corrupt.parquet", "fail").code(1);
    let stderr = String::from_utf8_lossy(&failed.get_output().stderr).to_string();
    assert!(
        stderr.contains("corrupt.parquet:5: row group 2 of 3 cannot be read from row 5 on"),
        "{stderr}"
    );
    run("corrupt.parquet", "skip").success();
    let out = dir.path().join("corrupt.parquet-skip");
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(summary["documents"]["accepted"], 4);
    assert_eq!(summary["skipped"][0]["reason"], "truncated");
    assert_eq!(summary["skipped"][0]["line"], 5);
    // The deduplicated corpus holds the kept rows of the readable part.
    let (_, rows, _, _) = read_parquet(&out.join("deduped.parquet"));
    assert_eq!(
        strings(&rows, "id"),
        ["d01", "d02", "d04"].map(|s| Some(s.to_string()))
    );
}

#[test]
fn parquet_is_recognised_by_its_magic_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("inputs");
    std::fs::create_dir(&inputs).unwrap();
    std::fs::copy(fixture("snappy.parquet"), inputs.join("rows.dat")).unwrap();
    let out = dir.path().join("out");
    dedup(&inputs, &out, &["--on-error", "skip"]);
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(summary["inputs"][0]["format"], "parquet");
    assert_eq!(summary["documents"]["accepted"], 12);
    assert_eq!(summary["documents"]["empty"], 1);
}

#[test]
fn output_format_parquet_writes_the_tables_as_parquet() {
    let dir = tempfile::tempdir().unwrap();
    for (name, extra) in [("verified", vec![]), ("estimated", vec!["--no-verify"])] {
        let out = dir.path().join(name);
        let mut args = vec!["--on-error", "skip", "--output-format", "parquet"];
        args.extend(extra);
        dedup(&fixture("snappy.parquet"), &out, &args);
        let (_, clusters, _, _) = read_parquet(&out.join("clusters.parquet"));
        let lines = read_jsonl(&out.join("clusters.jsonl"));
        assert_eq!(clusters.num_rows(), lines.len());
        let kept = clusters.column(2).as_boolean();
        for (i, line) in lines.iter().enumerate() {
            for (c, field) in ["id", "cluster", "reason"].iter().enumerate() {
                let column = [0, 1, 3][c];
                assert_eq!(
                    clusters.column(column).as_string::<i32>().value(i),
                    line[field].as_str().unwrap()
                );
            }
            assert_eq!(kept.value(i), line["kept"].as_bool().unwrap());
        }
        let (schema, pairs, _, _) = read_parquet(&out.join("pairs.parquet"));
        let lines = read_jsonl(&out.join("pairs.jsonl"));
        assert!(!lines.is_empty());
        assert_eq!(pairs.num_rows(), lines.len());
        assert_eq!(schema.index_of("estimated").is_ok(), name == "estimated");
        for (i, line) in lines.iter().enumerate() {
            for field in ["a", "b", "kind"] {
                let column = pairs.column(schema.index_of(field).unwrap());
                assert_eq!(
                    column.as_string::<i32>().value(i),
                    line[field].as_str().unwrap()
                );
            }
            let jaccard = pairs
                .column(2)
                .as_primitive::<arrow_array::types::Float64Type>();
            assert_eq!(jaccard.value(i), line["jaccard"].as_f64().unwrap());
            if name == "estimated" {
                let estimated = pairs.column(4).as_boolean().value(i);
                assert_eq!(estimated, line.get("estimated").is_some());
            }
        }
        let summary = read_json(&out.join("summary.json"));
        let outputs = summary["outputs"].as_array().unwrap();
        assert!(outputs.contains(&Value::from("clusters.parquet")));
        assert!(outputs.contains(&Value::from("pairs.parquet")));
    }
}

#[test]
fn sketch_and_reuse_read_parquet_as_their_jsonl_twin() {
    let dir = tempfile::tempdir().unwrap();
    let mut signatures = Vec::new();
    for input in ["table.jsonl", "zstd_dict.parquet"] {
        let out = dir.path().join(format!("{input}.signatures.jsonl"));
        overlap()
            .args(["sketch", "--quiet", "--on-error", "skip"])
            .arg(fixture(input))
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        signatures.push(read(&out));
    }
    assert_eq!(signatures[0].lines().count(), 12);
    assert_eq!(signatures[0], signatures[1]);

    let mut outputs = Vec::new();
    for input in ["table.jsonl", "gzip_large.parquet"] {
        let out = dir.path().join(format!("{input}.reuse"));
        overlap()
            .args([
                "reuse",
                "--quiet",
                "--on-error",
                "skip",
                "--source-field",
                "source",
            ])
            .arg(fixture(input))
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        outputs.push(
            ["pairs.jsonl", "stories.jsonl", "boilerplate.jsonl"].map(|f| read(&out.join(f))),
        );
    }
    assert!(!outputs[0][0].is_empty(), "reuse finds the copies");
    assert_eq!(outputs[0], outputs[1]);
}

/// Reuters-21578 as Parquet, written with the Rust writer: zstd, row groups of 2,500 rows, every
/// field of the JSONL records as a column.
fn reuters_as_parquet(path: &Path) {
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(data("reuters21578.jsonl.gz")).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let records: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let names = ["id", "title", "text"];
    for r in &records {
        for key in r.as_object().unwrap().keys() {
            assert!(names.contains(&key.as_str()), "unexpected field {key}");
        }
    }
    let schema = Arc::new(Schema::new(
        names
            .iter()
            .map(|n| Field::new(*n, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ));
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(Default::default()))
        .set_max_row_group_row_count(Some(2500))
        .build();
    let file = std::fs::File::create(path).unwrap();
    let mut writer = ArrowWriter::try_new(file, schema.clone(), Some(props)).unwrap();
    for chunk in records.chunks(1000) {
        let columns: Vec<ArrayRef> = names
            .iter()
            .map(|n| {
                Arc::new(
                    chunk
                        .iter()
                        .map(|r| r.get(*n).and_then(|v| v.as_str()))
                        .collect::<StringArray>(),
                ) as ArrayRef
            })
            .collect();
        writer
            .write(&RecordBatch::try_new(schema.clone(), columns).unwrap())
            .unwrap();
    }
    writer.close().unwrap();
}

#[test]
fn reuters_as_parquet_gives_the_jsonl_results() {
    let dir = tempfile::tempdir().unwrap();
    let parquet = dir.path().join("reuters.parquet");
    reuters_as_parquet(&parquet);
    let from_jsonl = dir.path().join("jsonl");
    let from_parquet = dir.path().join("parquet");
    dedup(&data("reuters21578.jsonl.gz"), &from_jsonl, &[]);
    dedup(&parquet, &from_parquet, &[]);
    for file in ["clusters.jsonl", "pairs.jsonl"] {
        let a = read(&from_jsonl.join(file));
        assert!(a.lines().count() > 400, "{file}");
        assert!(a == read(&from_parquet.join(file)), "{file} differs");
    }
    // Byte-identical outputs, the Parquet corpus included, for any thread count.
    let one_thread = dir.path().join("parquet-1");
    dedup(&parquet, &one_thread, &["--threads", "1"]);
    for file in ["clusters.jsonl", "pairs.jsonl", "deduped.parquet"] {
        let a = std::fs::read(from_parquet.join(file)).unwrap();
        assert!(
            a == std::fs::read(one_thread.join(file)).unwrap(),
            "{file} differs"
        );
    }
    let jsonl_summary = read_json(&from_jsonl.join("summary.json"));
    let parquet_summary = read_json(&from_parquet.join("summary.json"));
    assert_eq!(jsonl_summary["documents"], parquet_summary["documents"]);

    // The deduplicated corpus: the records of deduped.jsonl.gz, as rows.
    let mut kept = String::new();
    flate2::read::MultiGzDecoder::new(
        std::fs::File::open(from_jsonl.join("deduped.jsonl.gz")).unwrap(),
    )
    .read_to_string(&mut kept)
    .unwrap();
    let kept: Vec<Value> = kept
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (_, rows, codec, groups) = read_parquet(&from_parquet.join("deduped.parquet"));
    assert!(matches!(codec, Compression::ZSTD(_)));
    assert!(groups > 1, "one output row group per input row group");
    assert_eq!(rows.num_rows(), kept.len());
    for name in ["id", "title", "text"] {
        let column = strings(&rows, name);
        for (row, record) in column.iter().zip(&kept) {
            assert_eq!(row.as_deref(), record.get(name).and_then(|v| v.as_str()));
        }
    }
}

#[test]
fn report_embeds_the_texts_of_parquet_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    dedup(
        &fixture("snappy.parquet"),
        &out,
        &["--on-error", "skip", "--report"],
    );
    let html = read(&out.join("report.html"));
    assert!(html.contains("harbour authority said on monday"));
    assert!(html.contains("\"warnings\":[]"), "no input was left unread");
}
