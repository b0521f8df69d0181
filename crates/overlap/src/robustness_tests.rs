//! Robustness by property tests: the parsers and the aligner on arbitrary bytes and Unicode, with a
//! bounded number of cases so CI stays fast (stable Rust; proptest shrinks any failure to a small
//! input, which is then kept below as a regression case).
//!
//! Invariants: nothing panics; the record reader yields every line once, as a record or a problem,
//! with its counts agreeing; what a truncated compressed stream yields is a prefix of what the whole
//! stream holds; token spans and alignment offsets lie on character boundaries inside their texts.

use crate::align::{align, AlignConfig};
use crate::error::ProblemKind;
use crate::io::{
    parse_record, CompressedWriter, Compression, CorpusReader, FieldNames, Format, Location,
    ReadItem, Source,
};
use crate::text::{tokenize, Normalization};
use proptest::prelude::*;
use std::io::Write;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Lines built of JSON fragments, control bytes and broken UTF-8: what a damaged corpus holds.
fn jsonish() -> impl Strategy<Value = Vec<u8>> {
    let fragment = prop_oneof![
        Just(b"{".to_vec()),
        Just(b"}".to_vec()),
        Just(b"[".to_vec()),
        Just(b"\"id\"".to_vec()),
        Just(b"\"text\"".to_vec()),
        Just(b":".to_vec()),
        Just(b",".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"\\".to_vec()),
        Just(b"\\u00".to_vec()),
        Just(b"\\ud800".to_vec()),
        Just(b"1e999".to_vec()),
        Just(b"-0".to_vec()),
        Just(b"184467440737095516161".to_vec()),
        Just(b"null".to_vec()),
        Just(b"\xef\xbb\xbf".to_vec()),
        Just(b"\xf0\x9f".to_vec()),
        Just(b"\0".to_vec()),
        proptest::collection::vec(any::<u8>(), 1..4),
    ];
    proptest::collection::vec(fragment, 0..16).prop_map(|parts| parts.concat())
}

fn reader_over(bytes: &[u8], name: &str) -> (tempfile::TempDir, CorpusReader) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let source = Source {
        location: Location::Path(path),
        name: name.into(),
        format: Format::from_name(name),
        text_id: None,
    };
    (dir, CorpusReader::new(vec![source], 1 << 16))
}

/// Everything a reader yields, checking the accounting: every item is a record or a problem, and
/// the records counted (records, oversized, unsupported, unreadable text files) plus the
/// truncations of JSONL files (which stop a file at a line, and are no record of it) are all the
/// items.
fn read_all(reader: &mut CorpusReader) -> Vec<ReadItem> {
    let mut items = Vec::new();
    loop {
        let batch = reader
            .next_batch(64, 1 << 20)
            .expect("data errors are problems, not failures");
        if batch.is_empty() {
            break;
        }
        items.extend(batch);
    }
    let truncated = items
        .iter()
        .filter(|i| {
            matches!(i, ReadItem::Problem(p) if p.reason == ProblemKind::Truncated && p.line.is_some())
        })
        .count() as u64;
    let records: u64 = reader.stats().iter().map(|s| s.records).sum();
    assert_eq!(records + truncated, items.len() as u64, "{items:?}");
    items
}

fn compress(raw: &[u8], c: Compression) -> Vec<u8> {
    let mut w = CompressedWriter::new(Vec::new(), c).unwrap();
    w.write_all(raw).unwrap();
    w.finish().unwrap()
}

fn records(items: &[ReadItem]) -> Vec<Vec<u8>> {
    items
        .iter()
        .filter_map(|i| match i {
            ReadItem::Record(r) => Some(r.bytes.clone()),
            ReadItem::Problem(_) | ReadItem::Parquet(_) => None,
        })
        .collect()
}

proptest! {
    #![proptest_config(config(400))]

    #[test]
    fn the_field_reader_never_panics(line in jsonish(), raw in proptest::collection::vec(any::<u8>(), 0..64)) {
        let fields = FieldNames::default();
        for bytes in [&line[..], &raw[..]] {
            if let Ok(r) = parse_record(bytes, &fields) {
                // Whatever it accepts was valid UTF-8 holding one JSON object.
                prop_assert!(std::str::from_utf8(bytes).is_ok());
                prop_assert!(r.text.len() <= bytes.len());
            }
        }
    }

    #[test]
    fn the_field_reader_returns_what_was_written(
        id in prop_oneof![
            "[a-z0-9\"\\\\/\u{e9}\u{1f600}]{0,8}".prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<u64>().prop_map(serde_json::Value::from),
        ],
        text in "\\PC{0,40}",
        noise in "[a-z]{1,5}",
    ) {
        let line = serde_json::json!({ noise.clone(): [1, {"x": null}], "text": text, "id": id });
        let bytes = line.to_string();
        let r = parse_record(bytes.as_bytes(), &FieldNames::default()).unwrap();
        prop_assert_eq!(&*r.text, text.as_str());
        let expected = match &id {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        prop_assert_eq!(r.id.as_deref(), Some(expected.as_str()));
    }

    #[test]
    fn the_record_reader_accounts_for_every_line_of_damaged_input(
        lines in proptest::collection::vec(jsonish(), 0..30),
        kind in prop_oneof![Just(Compression::None), Just(Compression::Gzip), Just(Compression::Zstd)],
    ) {
        let raw: Vec<u8> = lines.iter().flat_map(|l| {
            let mut l: Vec<u8> = l.iter().copied().filter(|&b| b != b'\n').collect();
            l.push(b'\n');
            l
        }).collect();
        let (_dir, mut reader) = reader_over(&compress(&raw, kind), "in.jsonl");
        let items = read_all(&mut reader);
        let stats = &reader.stats()[0];
        prop_assert_eq!(stats.compression, kind);
        // Every line is a record, a problem or a blank line; none is lost or invented.
        prop_assert_eq!(items.len() as u64 + stats.blank_lines, lines.len() as u64);
    }

    #[test]
    fn a_truncated_stream_yields_a_prefix_of_its_records(
        n in 1usize..200,
        cut in 0.0f64..1.0,
        kind in prop_oneof![Just(Compression::Gzip), Just(Compression::Zstd)],
    ) {
        let raw: Vec<u8> = (0..n)
            .flat_map(|i| format!("{{\"id\": {i}, \"text\": \"words of record {i}\"}}\n").into_bytes())
            .collect();
        let whole = compress(&raw, kind);
        let (_d, mut reader) = reader_over(&whole, "all.jsonl.gz");
        let full = records(&read_all(&mut reader));
        prop_assert_eq!(full.len(), n);
        // A stream cut inside its magic number is not recognisable as compressed: it is read as
        // plain text (and its bytes are then a malformed line, reported as such).
        let keep = 4 + ((whole.len() - 4) as f64 * cut) as usize;
        let (_d, mut reader) = reader_over(&whole[..keep], "cut.jsonl.gz");
        let items = read_all(&mut reader);
        let got = records(&items);
        prop_assert!(got.len() <= n);
        prop_assert_eq!(&full[..got.len()], &got[..]);
        if got.len() < n && keep > 0 {
            let last_is_truncation = matches!(items.last(),
                Some(ReadItem::Problem(p)) if p.reason == ProblemKind::Truncated);
            prop_assert!(last_is_truncation, "a shortened stream must say so: {:?}", items.last());
        }
    }

    #[test]
    fn random_bytes_as_any_input_never_fail_the_reader(
        bytes in proptest::collection::vec(any::<u8>(), 0..2048),
        magic in prop_oneof![Just(&b""[..]), Just(&b"\x1f\x8b"[..]), Just(&b"\x28\xb5\x2f\xfd"[..]),
                             Just(&b"\x50\x2a\x4d\x18"[..]), Just(&b"PAR1"[..])],
        name in prop_oneof![Just("x.jsonl"), Just("x.txt"), Just("x.csv")],
    ) {
        let mut data = magic.to_vec();
        data.extend_from_slice(&bytes);
        let (_d, mut reader) = reader_over(&data, name);
        read_all(&mut reader);
    }

    #[test]
    fn token_spans_lie_on_characters_of_arbitrary_unicode(
        text in "\\PC{0,80}|[\u{0}-\u{7f}]{0,40}|(\u{301}|\u{200d}|\u{fe0f}|ﬃ|ẞ|İ|\u{1f468}|中|\u{ffff}| |\\.|'){0,40}",
        nfkc in any::<bool>(),
        case_fold in any::<bool>(),
    ) {
        let norm = Normalization { nfkc, case_fold, ..Normalization::default() };
        let t = tokenize(&text, &norm);
        prop_assert_eq!(t.normalized_spans.len(), t.original_spans.len());
        for (&(s, e), &(ns, ne)) in t.original_spans.iter().zip(&t.normalized_spans) {
            prop_assert!(s < e && e <= text.len());
            prop_assert!(text.is_char_boundary(s) && text.is_char_boundary(e));
            prop_assert!(ns < ne && ne <= t.normalized.len());
            prop_assert!(t.normalized.is_char_boundary(ns) && t.normalized.is_char_boundary(ne));
        }
    }
}

proptest! {
    #![proptest_config(config(150))]

    #[test]
    fn align_takes_arbitrary_unicode(
        a in "\\PC{0,300}",
        b in "(\\PC|[a-z ]{1,12}|\\. |\n\n){0,60}",
        shared in "[a-z]{2,8}( [a-z]{2,8}){3,12}\\.",
    ) {
        for (x, y) in [(a.clone(), b.clone()), (format!("{a} {shared}"), format!("{shared} {b}"))] {
            let al = align(&x, &y, &AlignConfig::default());
            let (nx, ny) = (x.chars().count(), y.chars().count());
            prop_assert!(al.score.is_finite() && al.coverage_a.is_finite());
            for p in &al.passages {
                prop_assert!(p.a.0 < p.a.1 && p.a.1 <= nx, "{:?} of {}", p.a, nx);
                prop_assert!(p.b.0 < p.b.1 && p.b.1 <= ny, "{:?} of {}", p.b, ny);
            }
        }
    }
}
