//! `overlap embed --out FILE` writes its file like `sketch` does (one shared helper): an output that
//! would overwrite an input is refused, and a failed run leaves no file (and an earlier one intact).

use crate::common::overlap;

#[test]
fn embed_refuses_to_overwrite_an_input_and_writes_all_or_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("model");
    overlap::embed::tiny::write_tiny_model(&model).unwrap();
    let corpus = tmp.path().join("c.jsonl");
    let good = "{\"id\":\"a\",\"text\":\"the grain exports\"}\n";
    std::fs::write(&corpus, good).unwrap();
    let embed = |input: &std::path::Path, out: &std::path::Path| {
        overlap()
            .arg("embed")
            .arg(input)
            .arg("--out")
            .arg(out)
            .arg("--model")
            .arg(&model)
            .arg("--quiet")
            .output()
            .unwrap()
    };
    // The input as the output: refused, the input untouched.
    let r = embed(&corpus, &corpus);
    assert_eq!(
        r.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    assert_eq!(std::fs::read_to_string(&corpus).unwrap(), good);

    // A good run, then a failing one: the first file stays, no temporary file is left.
    let out = tmp.path().join("e.jsonl");
    assert!(embed(&corpus, &out).status.success());
    let first = std::fs::read(&out).unwrap();
    assert!(!first.is_empty());
    let bad = tmp.path().join("bad.jsonl");
    std::fs::write(&bad, format!("{good}not json\n")).unwrap();
    let r = embed(&bad, &out);
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("bad.jsonl"));
    assert_eq!(std::fs::read(&out).unwrap(), first);
    let names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
}
