//! The bad-input matrix of issue 7, as one table: each row makes its input files, runs the real
//! binary on them (in the folder that holds them, so names are short and relative), and checks the
//! exit code, the message (with its file and line), and, when the run succeeds, the accounting:
//! `read = accepted + skipped`, every accepted record listed once, in order, with the expected ids,
//! and every skipped record listed with its reason.

use crate::common::{overlap, read_json, read_jsonl};
use std::ffi::OsString;
use std::io::Write;
use std::path::Path;

struct Case {
    name: &'static str,
    command: &'static str,
    /// Makes the input files in the folder and returns the input arguments.
    setup: fn(&Path) -> Vec<OsString>,
    args: &'static [&'static str],
    code: i32,
    /// Texts the standard error must hold (file:line included where there is one).
    messages: &'static [&'static str],
    /// Ids of the accepted documents, in input order (runs that succeed).
    ids: &'static [&'static str],
    /// Reasons of the skipped records, in input order (runs that succeed).
    skipped: &'static [&'static str],
}

/// What a case is unless it says otherwise: `dedup` with no option, which succeeds without a
/// message and lists no document (a case names its inputs, and what it expects of them).
const DEDUP: Case = Case {
    name: "",
    command: "dedup",
    setup: no_input,
    args: &[],
    code: 0,
    messages: &[],
    ids: &[],
    skipped: &[],
};

fn no_input(_: &Path) -> Vec<OsString> {
    Vec::new()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> Vec<OsString> {
    std::fs::write(dir.join(name), bytes).unwrap();
    vec![name.into()]
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

const TWO: &[u8] = b"{\"id\": \"a\", \"text\": \"the first document has words\"}\n\
                     {\"id\": \"b\", \"text\": \"another record with other words\"}\n";

fn mkfifo(path: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs")
        .success();
    assert!(ok, "mkfifo {}", path.display());
}

/// A FIFO fed by a thread once the binary opens it for reading.
fn fifo(dir: &Path, name: &str, bytes: &'static [u8]) -> Vec<OsString> {
    let path = dir.join(name);
    mkfifo(&path);
    std::thread::spawn(move || {
        let _ = std::fs::write(path, bytes);
    });
    vec![name.into()]
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "empty texts are accepted and marked",
            setup: |d| {
                write(d, "in.jsonl", b"{\"id\": \"a\", \"text\": \"words here\"}\n{\"id\": \"e\", \"text\": \" .. \"}\n{\"id\": \"f\", \"text\": \"\"}\n")
            },
            ids: &["a", "e", "f"],
            ..DEDUP
        },
        Case {
            name: "empty texts in reuse",
            command: "reuse",
            setup: |d| {
                write(
                    d,
                    "in.jsonl",
                    b"{\"id\": \"a\", \"text\": \"words here\"}\n{\"id\": \"e\", \"text\": \"\"}\n",
                )
            },
            ids: &["a", "e"],
            ..DEDUP
        },
        Case {
            name: "a broken Parquet file is named, not read as text",
            setup: |d| write(d, "data.parquet", b"PAR1\x15\x04\x15\x10garbage"),
            code: 1,
            messages: &[
                "data.parquet: not a readable Parquet file",
                "--on-error skip",
            ],
            ..DEDUP
        },
        Case {
            name: "a broken Parquet file beside good input is a listed skip",
            command: "reuse",
            setup: |d| {
                let mut inputs = write(d, "data.parquet", b"PAR1\x15\x04");
                inputs.extend(write(d, "in.jsonl", TWO));
                inputs
            },
            args: &["--on-error", "skip"],
            ids: &["a", "b"],
            skipped: &["truncated"],
            ..DEDUP
        },
        Case {
            name: "a CSV file is not read yet",
            setup: |d| write(d, "table.csv", b"id,text\n1,some words\n"),
            code: 1,
            messages: &["table.csv: a CSV file", "not read CSV/TSV yet"],
            ..DEDUP
        },
        Case {
            name: "a CSV file read as text when the format is forced",
            setup: |d| write(d, "table.csv", b"id,text\n1,some words\n"),
            args: &["--format", "text"],
            ids: &["table.csv"],
            ..DEDUP
        },
        Case {
            name: "binary files in a folder are listed skips",
            setup: |d| {
                let f = d.join("mixed");
                std::fs::create_dir(&f).unwrap();
                std::fs::write(f.join("a.pdf"), b"%PDF-1.7\n").unwrap();
                std::fs::write(f.join("b.png"), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
                std::fs::write(f.join("c.zip"), b"PK\x03\x04\x14\0").unwrap();
                std::fs::write(f.join("d.bin"), b"\x7fELF\x02\x01\x01\0").unwrap();
                std::fs::write(f.join("e.dat"), b"some\0bytes").unwrap();
                std::fs::write(f.join("f.txt"), b"a real text document").unwrap();
                vec!["mixed".into()]
            },
            args: &["--on-error", "skip"],
            ids: &["f.txt"],
            skipped: &["unsupported_format"; 5],
            ..DEDUP
        },
        Case {
            name: "a folder of only binary files fails under skip",
            setup: |d| {
                let f = d.join("bin");
                std::fs::create_dir(&f).unwrap();
                std::fs::write(f.join("a.pdf"), b"%PDF-1.4").unwrap();
                std::fs::write(f.join("b.exe"), b"\x7fELF").unwrap();
                vec!["bin".into()]
            },
            args: &["--on-error", "skip"],
            code: 1,
            messages: &[
                "every one of the 2 records read was skipped (2 unsupported_format)",
                "bin/a.pdf: a PDF document",
            ],
            ..DEDUP
        },
        Case {
            name: "zstd starting with a skippable frame",
            setup: |d| {
                let mut bytes = 0x184D_2A53u32.to_le_bytes().to_vec();
                bytes.extend_from_slice(&4u32.to_le_bytes());
                bytes.extend_from_slice(b"meta");
                bytes.extend(zstd::encode_all(TWO, 3).unwrap());
                write(d, "in.jsonl.zst", &bytes)
            },
            ids: &["a", "b"],
            ..DEDUP
        },
        Case {
            name: "gzip with trailing zero padding warns only",
            setup: |d| {
                let mut bytes = gzip(TWO);
                bytes.extend(std::iter::repeat_n(0u8, 512));
                write(d, "in.jsonl.gz", &bytes)
            },
            messages: &["warning: in.jsonl.gz: 512 zero bytes after the last gzip member ignored"],
            ids: &["a", "b"],
            ..DEDUP
        },
        Case {
            name: "gzip with trailing garbage is a truncation at its line",
            setup: |d| {
                let mut bytes = gzip(TWO);
                bytes.extend_from_slice(b"\0\0junk");
                write(d, "in.jsonl.gz", &bytes)
            },
            code: 1,
            messages: &[
                "in.jsonl.gz:3: input cannot be read from this line on",
                "trailing garbage",
            ],
            ..DEDUP
        },
        Case {
            name: "a gzip file cut inside its header",
            setup: |d| write(d, "cut.jsonl.gz", &gzip(TWO)[..6]),
            code: 1,
            messages: &["cut.jsonl.gz:1: input cannot be read from its start"],
            ..DEDUP
        },
        Case {
            name: "a truncated gzip stream under skip",
            setup: |d| {
                let lines: Vec<u8> = (0..2000)
                    .flat_map(|i| {
                        format!("{{\"id\": \"r{i}\", \"text\": \"record {i} of many\"}}\n")
                            .into_bytes()
                    })
                    .collect();
                let bytes = gzip(&lines);
                write(d, "cut.jsonl.gz", &bytes[..bytes.len() / 2])
            },
            args: &["--on-error", "skip", "--no-deduped"],
            skipped: &["truncated"],
            ..DEDUP
        },
        Case {
            name: "a UTF-8 byte order mark on line 1 is dropped",
            setup: |d| {
                let mut bytes = b"\xef\xbb\xbf".to_vec();
                bytes.extend_from_slice(TWO);
                write(d, "bom.jsonl", &bytes)
            },
            ids: &["a", "b"],
            ..DEDUP
        },
        Case {
            name: "a .json file holding one array",
            setup: |d| {
                write(
                    d,
                    "arr.json",
                    b"[{\"id\": \"a\", \"text\": \"x\"}, {\"id\": \"b\", \"text\": \"y\"}]\n",
                )
            },
            code: 1,
            messages: &[
                "arr.json:1: malformed JSON",
                "JSON Lines is expected: one JSON object per line",
            ],
            ..DEDUP
        },
        Case {
            name: "a pretty-printed JSON object",
            command: "reuse",
            setup: |d| {
                write(
                    d,
                    "obj.json",
                    b"{\n  \"id\": \"a\",\n  \"text\": \"x\"\n}\n",
                )
            },
            code: 1,
            messages: &["obj.json:1: malformed JSON", "spread over several lines"],
            ..DEDUP
        },
        Case {
            name: "broken records are listed with their lines",
            setup: |d| {
                write(d, "broken.jsonl", b"{\"id\": \"a\", \"text\": \"good words\"}\n{\"id\": \"x\", \"text\": \"unterminated\n{\"id\": \"y\", \"text\": \"caf\xe9\"}\n{\"id\": \"z\"}\n{\"id\": \"a\", \"text\": \"same id\"}\n{\"id\": true, \"text\": \"t\"}\n")
            },
            args: &["--on-error", "skip"],
            ids: &["a"],
            skipped: &[
                "malformed_json",
                "invalid_utf8",
                "missing_field",
                "duplicate_id",
                "bad_field_type",
            ],
            ..DEDUP
        },
        Case {
            name: "a JSONL FIFO is read once and its kept records written",
            setup: |d| fifo(d, "pipe.jsonl", TWO),
            ids: &["a", "b"],
            ..DEDUP
        },
        Case {
            name: "a FIFO with --report is not opened again for texts",
            setup: |d| fifo(d, "pipe.jsonl", TWO),
            args: &["--report"],
            messages: &["input pipe.jsonl is not a regular file (a pipe?)"],
            ids: &["a", "b"],
            ..DEDUP
        },
        Case {
            name: "a text FIFO is read once",
            setup: |d| fifo(d, "pipe.txt", b"a text document arriving through a pipe"),
            ids: &["pipe.txt"],
            ..DEDUP
        },
        Case {
            name: "integer ids above 2^64 keep their exact text",
            setup: |d| {
                write(d, "big.jsonl", b"{\"id\": 18446744073709551617, \"text\": \"one thing\"}\n{\"id\": 18446744073709551616, \"text\": \"another thing\"}\n{\"id\": 1.0, \"text\": \"third\"}\n{\"id\": 1, \"text\": \"fourth\"}\n")
            },
            ids: &["18446744073709551617", "18446744073709551616", "1.0", "1"],
            ..DEDUP
        },
        Case {
            name: "generated ids never take a real id",
            setup: |d| {
                write(d, "ids.jsonl", b"{\"id\": 2, \"text\": \"first\"}\n{\"text\": \"no id at line 2\"}\n{\"id\": \"ids.jsonl:4\", \"text\": \"named like a location\"}\n{\"text\": \"no id at line 4\"}\n{\"id\": 4, \"text\": \"fifth\"}\n")
            },
            ids: &["2", "ids.jsonl:2", "ids.jsonl:4", "ids.jsonl:4#2", "4"],
            ..DEDUP
        },
        Case {
            name: "a real id equal to an earlier generated one is explained",
            setup: |d| {
                write(
                    d,
                    "ids.jsonl",
                    b"{\"text\": \"no id\"}\n{\"id\": \"ids.jsonl:1\", \"text\": \"second\"}\n",
                )
            },
            args: &["--on-error", "skip"],
            ids: &["ids.jsonl:1"],
            skipped: &["duplicate_id"],
            ..DEDUP
        },
        Case {
            name: "text ids that shared a deduped/ path keep both copies",
            setup: |d| {
                std::fs::create_dir(d.join("x")).unwrap();
                std::fs::write(d.join("x/a.txt"), "the text inside the folder").unwrap();
                std::fs::write(d.join("a.txt"), "a different text beside it").unwrap();
                vec!["x".into(), "./a.txt".into()]
            },
            ids: &["a.txt", "./a.txt"],
            ..DEDUP
        },
        Case {
            name: "non-UTF-8 file names keep distinct ids",
            setup: |d| {
                use std::os::unix::ffi::OsStrExt;
                let f = d.join("names");
                std::fs::create_dir(&f).unwrap();
                for (name, text) in [
                    (&b"caf\xe9.txt"[..], "first text"),
                    (b"caf\xe8.txt", "second text"),
                    (b"caf%E9.txt", "third text"),
                ] {
                    std::fs::write(f.join(std::ffi::OsStr::from_bytes(name)), text).unwrap();
                }
                vec!["names".into()]
            },
            ids: &["caf%25E9.txt", "caf%E8.txt", "caf%E9.txt"],
            ..DEDUP
        },
        Case {
            name: "an empty input name",
            setup: |_| vec!["".into()],
            code: 2,
            messages: &["an input name is empty ('')"],
            ..DEDUP
        },
    ]
}

#[test]
fn every_bad_input_gets_a_clear_answer() {
    for case in cases() {
        let dir = tempfile::tempdir().unwrap();
        let inputs = (case.setup)(dir.path());
        let assert = overlap()
            .current_dir(dir.path())
            .arg(case.command)
            .args(&inputs)
            .args(case.args)
            .args(["--out", "out"])
            .timeout(std::time::Duration::from_secs(60))
            .assert();
        let output = assert.get_output();
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        assert_eq!(
            output.status.code(),
            Some(case.code),
            "{}: {stderr}",
            case.name
        );
        for m in case.messages {
            assert!(
                stderr.contains(m),
                "{}: expected {m:?} in: {stderr}",
                case.name
            );
        }
        let out = dir.path().join("out");
        if case.code != 0 {
            assert!(
                !out.join("summary.json").exists(),
                "{}: outputs of a failed run",
                case.name
            );
            continue;
        }
        let summary = read_json(&out.join("summary.json"));
        let docs = &summary["documents"];
        let n = |k: &str| docs[k].as_u64().unwrap();
        assert_eq!(
            n("read"),
            n("accepted") + n("skipped"),
            "{}: {docs}",
            case.name
        );
        let listing = if case.command == "dedup" {
            "clusters.jsonl"
        } else {
            "stories.jsonl"
        };
        let listed: Vec<String> = read_jsonl(&out.join(listing))
            .iter()
            .map(|l| l["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(listed.len() as u64, n("accepted"), "{}", case.name);
        if !case.ids.is_empty() || case.skipped != ["truncated"] {
            assert_eq!(listed, case.ids, "{}", case.name);
        }
        let unique: std::collections::HashSet<&String> = listed.iter().collect();
        assert_eq!(
            unique.len(),
            listed.len(),
            "{}: an id listed twice",
            case.name
        );
        let skipped: Vec<&str> = summary["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["reason"].as_str().unwrap())
            .collect();
        assert_eq!(skipped, case.skipped, "{}", case.name);
        for s in summary["skipped"].as_array().unwrap() {
            let file = s["file"].as_str().unwrap();
            assert!(
                !file.is_empty() && !s["message"].as_str().unwrap().is_empty(),
                "{}",
                case.name
            );
        }
    }
}

/// The kept copies of text documents whose ids once mapped to one `deduped/` path are both there,
/// and the kept records of a FIFO are in the deduplicated corpus (not a 0-byte document).
#[test]
fn no_kept_copy_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("x")).unwrap();
    std::fs::write(dir.path().join("x/a.txt"), "the text inside the folder").unwrap();
    std::fs::write(dir.path().join("a.txt"), "a different text beside it").unwrap();
    overlap()
        .current_dir(dir.path())
        .args(["dedup", "x", "./a.txt", "--quiet", "--out", "out"])
        .assert()
        .success();
    let deduped = dir.path().join("out/deduped");
    let mut texts: Vec<String> = Vec::new();
    let mut stack = vec![deduped];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                texts.push(std::fs::read_to_string(p).unwrap());
            }
        }
    }
    texts.sort();
    assert_eq!(
        texts,
        ["a different text beside it", "the text inside the folder"]
    );

    let dir = tempfile::tempdir().unwrap();
    fifo(dir.path(), "pipe.jsonl", TWO);
    overlap()
        .current_dir(dir.path())
        .args(["dedup", "pipe.jsonl", "--quiet", "--out", "out"])
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .success();
    let kept = std::fs::read(dir.path().join("out/deduped.jsonl")).unwrap();
    assert_eq!(kept, TWO);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with(".overlap-tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "spool files left: {leftovers:?}");
}
