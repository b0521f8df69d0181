use super::*;
use std::fs;

const HOSTILE: &str = "Hello </script><script>alert(1)</script> <img src=x onerror=alert(1)> \
                       <!-- & \u{2028} done";

/// The text between `<script type="application/json" id="ID">` and the next `</script>`.
fn block<'a>(html: &'a str, id: &str) -> &'a str {
    let open = format!("<script type=\"application/json\" id=\"{id}\">");
    let start = html.find(&open).expect("block present") + open.len();
    let len = html[start..].find("</script>").expect("block closed");
    &html[start..start + len]
}

/// A dedup output folder of three documents (two near-duplicates with hostile text, one exact copy)
/// and the corpus it came from.
fn dedup_folder(root: &Path) -> (PathBuf, PathBuf) {
    let corpus = root.join("corpus.jsonl");
    let lines = [
        serde_json::json!({"id": "d1", "text": format!("{HOSTILE} one two three four five")}),
        serde_json::json!({"id": "d2", "text": format!("{HOSTILE} one two three four six")}),
        serde_json::json!({"id": "d3", "text": "unrelated words here"}),
        serde_json::json!({"id": "d4", "text": format!("{HOSTILE} one two three four five")}),
    ];
    let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
    fs::write(&corpus, body).unwrap();
    let out = root.join("out");
    fs::create_dir_all(&out).unwrap();
    let summary = serde_json::json!({
        "command": "dedup",
        "documents": {"read": 4, "accepted": 4, "skipped": 0, "kept": 2, "removed_exact": 1, "removed_near": 1},
        "clusters": {"total": 2, "with_duplicates": 1, "largest": 3},
        "pairs": {"candidates": 1, "near": 1, "exact": 1},
        "parameters": {"threshold": 0.8, "bands": 17, "rows": 7, "id_field": "id", "text_field": "text"},
        "inputs": [{"path": "corpus.jsonl", "format": "jsonl"}],
        "timings_ms": {"read_sketch": 1.5, "total": 2.0},
    });
    fs::write(out.join("summary.json"), summary.to_string()).unwrap();
    fs::write(
        out.join("pairs.jsonl"),
        "{\"a\":\"d1\",\"b\":\"d4\",\"jaccard\":1.0,\"kind\":\"exact\"}\n\
         {\"a\":\"d1\",\"b\":\"d2\",\"jaccard\":0.85,\"kind\":\"near\"}\n",
    )
    .unwrap();
    fs::write(
        out.join("clusters.jsonl"),
        "{\"id\":\"d1\",\"cluster\":\"d1\",\"kept\":true,\"reason\":\"unique\"}\n\
         {\"id\":\"d2\",\"cluster\":\"d1\",\"kept\":false,\"reason\":\"near\"}\n\
         {\"id\":\"d3\",\"cluster\":\"d3\",\"kept\":true,\"reason\":\"unique\"}\n\
         {\"id\":\"d4\",\"cluster\":\"d1\",\"kept\":false,\"reason\":\"exact\"}\n",
    )
    .unwrap();
    (out, corpus)
}

#[test]
fn escaped_json_cannot_leave_its_block() {
    let value = serde_json::json!({"text": HOSTILE, "n": 1});
    let escaped = escape_json_for_script(&value);
    for bad in ["<", ">", "&", "\u{2028}"] {
        assert!(!escaped.contains(bad), "{bad:?} left in {escaped}");
    }
    let back: serde_json::Value = serde_json::from_str(&escaped).unwrap();
    assert_eq!(back, value);
}

#[test]
fn document_text_stays_inside_the_json_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let (out, corpus) = dedup_folder(dir.path());
    let inputs = [corpus.to_string_lossy().into_owned()];
    let report = build_report(&out, Some(&inputs)).unwrap();
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!((report.pairs, report.documents, report.texts), (2, 3, 3));
    let html = &report.html;
    // Exactly the page's own four script elements, and no markup from the documents.
    assert_eq!(html.matches("<script").count(), 4);
    assert_eq!(html.matches("</script>").count(), 4);
    assert!(!html.contains("<img"));
    assert!(!html.contains("alert(1)</"));
    let texts: Vec<Option<String>> = serde_json::from_str(block(html, "overlap-texts")).unwrap();
    assert!(texts
        .iter()
        .all(|t| t.as_deref().unwrap().starts_with(HOSTILE)));
    let data: serde_json::Value = serde_json::from_str(block(html, "overlap-data")).unwrap();
    assert_eq!(data["docs"], serde_json::json!(["d1", "d4", "d2"]));
    assert_eq!(block(html, "overlap-passages"), "null");
}

#[test]
fn missing_inputs_give_a_warning_and_a_report_without_texts() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = dedup_folder(dir.path());
    let inputs = [dir
        .path()
        .join("nowhere.jsonl")
        .to_string_lossy()
        .into_owned()];
    let report = build_report(&out, Some(&inputs)).unwrap();
    assert_eq!(report.texts, 0);
    assert_eq!(report.missing_inputs.len(), 1);
    assert!(report.warnings[0].contains("nowhere.jsonl"));
    let texts: Vec<Option<String>> =
        serde_json::from_str(block(&report.html, "overlap-texts")).unwrap();
    assert_eq!(texts, vec![None, None, None]);
}

#[test]
fn not_an_output_folder() {
    let dir = tempfile::tempdir().unwrap();
    let err = build_report(dir.path(), None).unwrap_err();
    assert!(err.to_string().contains("no summary.json"), "{err}");
}

#[test]
fn dedup_payload_shape() {
    let dir = tempfile::tempdir().unwrap();
    let (out, corpus) = dedup_folder(dir.path());
    let mut folder = folder::read_folder(&out).unwrap();
    let inputs = [corpus.to_string_lossy().into_owned()];
    let loaded = texts::load_texts(
        &folder.sources,
        Some(&inputs),
        &folder.fields,
        folder.max_record_bytes,
        &folder.payload.docs,
    );
    folder.payload.title = "(title)".into();
    insta::assert_json_snapshot!("dedup_payload", folder.payload);
    assert_eq!(loaded.texts.iter().filter(|t| t.is_some()).count(), 3);
}

#[test]
fn reuse_payload_shape() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    fs::write(
        out.join("summary.json"),
        r#"{"command": "reuse", "inputs": [], "parameters": {}}"#,
    )
    .unwrap();
    fs::write(
        out.join("pairs.jsonl"),
        r#"{"a":"x","b":"y","score":12.5,"coverage_a":0.5,"coverage_b":0.25,"passages":[{"a":[0,5],"b":[10,15],"score":5.0,"kind":"verbatim"},{"a":[6,9],"b":[1,4],"score":2.5,"kind":"reworded"}]}"#,
    )
    .unwrap();
    fs::write(
        out.join("stories.jsonl"),
        "{\"id\":\"x\",\"story\":0}\n{\"id\":\"y\",\"story\":0}\n{\"id\":\"z\",\"story\":1}\n",
    )
    .unwrap();
    fs::write(
        out.join("boilerplate.jsonl"),
        r#"{"source":"site","text":"Donate now","documents":["x","w"],"spans":{"x":[[20,30]],"w":[[0,10]]}}"#,
    )
    .unwrap();
    let mut folder = folder::read_folder(out).unwrap();
    folder.payload.title = "(title)".into();
    insta::assert_json_snapshot!("reuse_payload", folder.payload);
    insta::assert_json_snapshot!("reuse_passages", folder.passages);
}

#[test]
fn pair_page_embeds_both_texts() {
    let view = PairView {
        title: "a <b> pair".into(),
        a: DocView {
            id: "left".into(),
            text: format!("{HOSTILE} shared words here 😀 end"),
        },
        b: DocView {
            id: "right".into(),
            text: "shared words here".into(),
        },
        passages: vec![PassageView {
            a: (0, 5),
            b: (0, 6),
            score: 3.0,
            kind: "verbatim".into(),
        }],
        boilerplate_a: vec![(1, 2)],
        score: 0.5,
        coverage_a: Some(0.4),
        ..PairView::default()
    };
    let html = render_pair_page(&view);
    assert_eq!(html.matches("</script>").count(), 4);
    assert!(!html.contains("<img") && !html.contains("a <b> pair"));
    let data: serde_json::Value = serde_json::from_str(block(&html, "overlap-data")).unwrap();
    assert_eq!(data["command"], "pair");
    assert_eq!(data["title"], "a <b> pair");
    assert_eq!(data["doc_boilerplate"], serde_json::json!({"0": [[1, 2]]}));
    let passages: serde_json::Value =
        serde_json::from_str(block(&html, "overlap-passages")).unwrap();
    assert_eq!(passages, serde_json::json!([[[0, 5, 0, 6, 3.0, 0]]]));
}

#[test]
fn pair_view_of_an_alignment() {
    let a =
        "The minister met his counterpart on Friday. They talked for an hour about grain exports.";
    let b = "They talked for an hour about grain exports. The call was their first since February.";
    let alignment = crate::align::align(a, b, &crate::align::AlignConfig::default());
    let doc = |id: &str, text: &str| DocView {
        id: id.into(),
        text: text.into(),
    };
    let view = PairView::from_alignment("t", doc("a", a), doc("b", b), &alignment);
    assert_eq!(view.passages.len(), alignment.passages.len());
    assert_eq!(view.passages[0].kind, "verbatim");
    let chars: Vec<char> = a.chars().collect();
    let (s, e) = view.passages[0].a;
    assert_eq!(
        chars[s..e].iter().collect::<String>(),
        "They talked for an hour about grain exports."
    );
    assert!(render_pair_page(&view).contains("\"command\":\"pair\""));
}

#[test]
fn texts_found_by_the_ids_the_job_gave_them() {
    // A directory of text files (ids relative to it) and JSONL without ids (ids `NAME:LINE`), given
    // now by other (absolute) paths than the job was given.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("docs/sub")).unwrap();
    fs::write(root.join("docs/a.txt"), "text of a").unwrap();
    fs::write(root.join("docs/sub/b.txt"), "text of b").unwrap();
    fs::write(
        root.join("x.jsonl"),
        "{\"text\": \"\"}\n{\"text\": \"first x\"}\n{\"text\": \"second x\"}\n",
    )
    .unwrap();
    let out = root.join("out");
    fs::create_dir_all(&out).unwrap();
    fs::write(
        out.join("summary.json"),
        r#"{"command": "dedup", "inputs": [{"path": "docs/a.txt"}, {"path": "docs/sub/b.txt"}, {"path": "x.jsonl"}]}"#,
    )
    .unwrap();
    fs::write(
        out.join("pairs.jsonl"),
        "{\"a\":\"a.txt\",\"b\":\"sub/b.txt\",\"jaccard\":0.9,\"kind\":\"near\"}\n\
         {\"a\":\"x.jsonl:2\",\"b\":\"x.jsonl:3\",\"jaccard\":0.9,\"kind\":\"near\"}\n",
    )
    .unwrap();
    // A dedup folder always has its clusters listing; the report refuses one without.
    fs::write(out.join("clusters.jsonl"), "").unwrap();
    let inputs = [
        root.join("docs").to_string_lossy().into_owned(),
        root.join("x.jsonl").to_string_lossy().into_owned(),
    ];
    let report = build_report(&out, Some(&inputs)).unwrap();
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let texts: Vec<Option<String>> =
        serde_json::from_str(block(&report.html, "overlap-texts")).unwrap();
    let texts: Vec<&str> = texts.iter().map(|t| t.as_deref().unwrap()).collect();
    assert_eq!(texts, ["text of a", "text of b", "first x", "second x"]);
}
