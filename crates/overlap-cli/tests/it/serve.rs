//! `overlap serve`: the real server on loopback. Bad requests get the right status and leave it
//! serving; queries run beside writes and never see half a batch; SIGTERM exits cleanly; a SIGKILL
//! loses no acknowledged batch and leaves no batch half-visible.

use crate::common::{indexed_ids, overlap};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `overlap serve`, killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(ix: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("overlap"))
            .arg("serve")
            .arg(ix)
            .args(["--addr", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        stderr.read_line(&mut line).unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .parse()
            .unwrap();
        // Keep draining stderr so the server never blocks on it.
        std::thread::spawn(move || {
            let mut sink = String::new();
            let _ = stderr.read_to_string(&mut sink);
        });
        Server { child, addr }
    }

    fn request(&self, method: &str, path: &str, token: Option<&str>, body: &[u8]) -> (u16, Value) {
        let (status, text) = http(self.addr, method, path, token, body);
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request on a fresh connection: status and body.
fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &[u8],
) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\n\r\n",
        body.len()
    );
    // A server that answers early (413) may close before reading everything; the answer counts.
    let _ = s.write_all(head.as_bytes()).and_then(|_| s.write_all(body));
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let status = raw
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status in {raw:?}"));
    let body = raw.split_once("\r\n\r\n").map_or("", |x| x.1).to_string();
    (status, body)
}

/// A small delta limit, so that the recent level of postings is merged into the main one many
/// times during each test, beside queries and under SIGKILL.
fn create(ix: &Path, store_text: bool) {
    let mut cmd = overlap();
    cmd.args(["index", "create", "--delta-limit", "64"]).arg(ix);
    if store_text {
        cmd.arg("--store-text");
    }
    cmd.assert().success();
}

const T: Option<&str> = Some("s3cret");

/// name, method, path, token, body, expected status, expected error code.
type Case = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Vec<u8>,
    u16,
    &'static str,
);

fn doc(id: &str, text: &str) -> Value {
    json!({"id": id, "text": text})
}

const STORY: &str =
    "The harbour commission voted on Tuesday to extend the northern pier by forty metres, \
    citing growing ferry traffic and the need for a second loading berth before next summer.";

#[test]
fn bad_requests_get_the_right_status_and_the_server_keeps_serving() {
    let tmp = tempfile::tempdir().unwrap();
    let ix = tmp.path().join("ix");
    create(&ix, true);
    let server = Server::start(
        &ix,
        &[
            "--token",
            "s3cret",
            "--max-body",
            "4096",
            "--max-batch",
            "5",
        ],
    );
    let (status, body) = server.request(
        "POST",
        "/v1/documents",
        T,
        json!({"documents": [doc("a", STORY)]})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(
        (status, body["results"][0]["kind"].clone()),
        (200, json!("unique"))
    );
    let six: Vec<Value> = (0..6).map(|i| doc(&format!("x{i}"), STORY)).collect();
    let cases: Vec<Case> = vec![
        (
            "no token",
            "POST",
            "/v1/query",
            None,
            br#"{"text":"a b"}"#.to_vec(),
            401,
            "unauthorized",
        ),
        (
            "wrong token",
            "POST",
            "/v1/query",
            Some("nope"),
            br#"{"text":"a b"}"#.to_vec(),
            401,
            "unauthorized",
        ),
        (
            "not JSON",
            "POST",
            "/v1/query",
            T,
            b"text=hello".to_vec(),
            400,
            "malformed_json",
        ),
        (
            "truncated JSON",
            "POST",
            "/v1/query",
            T,
            br#"{"text": "ab"#.to_vec(),
            400,
            "malformed_json",
        ),
        (
            "array body",
            "POST",
            "/v1/query",
            T,
            b"[1, 2]".to_vec(),
            400,
            "malformed_json",
        ),
        (
            "empty body",
            "POST",
            "/v1/query",
            T,
            Vec::new(),
            400,
            "malformed_json",
        ),
        (
            "text a number",
            "POST",
            "/v1/query",
            T,
            br#"{"text": 5}"#.to_vec(),
            400,
            "bad_field_type",
        ),
        (
            "no text",
            "POST",
            "/v1/query",
            T,
            br#"{"limit": 3}"#.to_vec(),
            400,
            "missing_field",
        ),
        (
            "invalid UTF-8",
            "POST",
            "/v1/query",
            T,
            b"{\"text\": \"\xff\xfe\"}".to_vec(),
            400,
            "invalid_utf8",
        ),
        (
            "negative limit",
            "POST",
            "/v1/query",
            T,
            br#"{"text": "a b", "limit": -1}"#.to_vec(),
            400,
            "bad_field_type",
        ),
        (
            "passages not bool",
            "POST",
            "/v1/query",
            T,
            br#"{"text": "a b", "passages": "yes"}"#.to_vec(),
            400,
            "bad_field_type",
        ),
        (
            "huge body",
            "POST",
            "/v1/query",
            T,
            format!(r#"{{"text": "{}"}}"#, "word ".repeat(2000)).into_bytes(),
            413,
            "body_too_large",
        ),
        (
            "unknown route",
            "GET",
            "/v2/everything",
            T,
            Vec::new(),
            404,
            "no_route",
        ),
        (
            "wrong method",
            "GET",
            "/v1/query",
            T,
            Vec::new(),
            405,
            "method_not_allowed",
        ),
        (
            "unknown id",
            "GET",
            "/v1/documents/nope",
            T,
            Vec::new(),
            404,
            "not_found",
        ),
        (
            "delete unknown id",
            "DELETE",
            "/v1/documents/nope",
            T,
            Vec::new(),
            404,
            "not_found",
        ),
        (
            "documents not an array",
            "POST",
            "/v1/documents",
            T,
            br#"{"documents": "x"}"#.to_vec(),
            400,
            "missing_field",
        ),
        (
            "document without text",
            "POST",
            "/v1/documents",
            T,
            br#"{"documents": [{"id": "q"}]}"#.to_vec(),
            400,
            "missing_field",
        ),
        (
            "document without id",
            "POST",
            "/v1/documents",
            T,
            br#"{"documents": [{"text": "a b c"}]}"#.to_vec(),
            400,
            "missing_field",
        ),
        (
            "id an object",
            "POST",
            "/v1/documents",
            T,
            br#"{"documents": [{"id": {}, "text": "a b c"}]}"#.to_vec(),
            400,
            "bad_field_type",
        ),
        (
            "empty text",
            "POST",
            "/v1/documents",
            T,
            br#"{"documents": [{"id": "e", "text": " ... "}]}"#.to_vec(),
            400,
            "empty_text",
        ),
        (
            "id twice",
            "POST",
            "/v1/documents",
            T,
            json!({"documents": [doc("t", "one two"), doc("t", "three four")]})
                .to_string()
                .into_bytes(),
            400,
            "duplicate_id",
        ),
        (
            "bad policy",
            "POST",
            "/v1/documents",
            T,
            json!({"documents": [doc("p", "one two")], "on_existing": "maybe"})
                .to_string()
                .into_bytes(),
            400,
            "bad_field_type",
        ),
        (
            "batch too large",
            "POST",
            "/v1/documents",
            T,
            json!({"documents": six}).to_string().into_bytes(),
            413,
            "batch_too_large",
        ),
        (
            "existing id",
            "POST",
            "/v1/documents",
            T,
            json!({"documents": [doc("n1", "a new one here"), doc("a", STORY)]})
                .to_string()
                .into_bytes(),
            409,
            "exists",
        ),
    ];
    for (name, method, path, token, body, want, code) in &cases {
        let (status, answer) = server.request(method, path, *token, body);
        assert_eq!(status, *want, "{name}: {answer}");
        assert_eq!(answer["error"]["code"], *code, "{name}: {answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{name}"
        );
        let (health, _) = server.request("GET", "/healthz", T, b"");
        assert_eq!(health, 200, "not serving after {name}");
    }
    // The batch refused for its existing id left nothing behind: all or nothing.
    assert_eq!(server.request("GET", "/v1/documents/n1", T, b"").0, 404);
    assert_eq!(server.request("GET", "/v1/documents/x0", T, b"").0, 404);
    let (_, stats) = server.request("GET", "/v1/stats", T, b"");
    assert_eq!(stats["documents"], 1);
    let (status, answer) = server.request(
        "POST",
        "/v1/query",
        T,
        json!({"text": STORY, "passages": true})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["kind"], "exact");
    assert_eq!(answer["passages"][0]["alignment"]["related"], true);
    let (status, answer) = server.request(
        "POST",
        "/v1/query",
        T,
        json!({"text": STORY, "reuse": true}).to_string().as_bytes(),
    );
    assert_eq!(status, 200, "{answer}");
    // Its only indexed relative is an exact copy: a match, so no reuse to report.
    assert_eq!(answer["reuse"], json!([]));
    let (_, metrics) = server.request("GET", "/metrics", T, b"");
    let metrics = metrics.as_str().unwrap().to_string();
    assert!(
        metrics.contains(r#"overlap_requests_total{route="/v1/query",method="POST",status="400"}"#),
        "{metrics}"
    );
    assert!(metrics.contains("overlap_request_duration_seconds_bucket"));
    assert!(metrics.contains("overlap_index_documents 1"));
    assert!(
        metrics.contains("# TYPE overlap_index_merge_failures_total counter\noverlap_index_merge_failures_total 0\n"),
        "{metrics}"
    );
    assert_eq!(server.request("DELETE", "/v1/documents/a", T, b"").0, 200);
    assert_eq!(server.request("GET", "/v1/documents/a", T, b"").0, 404);
}

#[test]
fn refusals_at_start() {
    let tmp = tempfile::tempdir().unwrap();
    let ix = tmp.path().join("ix");
    create(&ix, false);
    let out = overlap()
        .arg("serve")
        .arg(&ix)
        .args(["--addr", "0.0.0.0:0"])
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("--token"));
    let _server = Server::start(&ix, &[]);
    let busy = overlap()
        .args(["index", "add"])
        .arg(&ix)
        .arg("-")
        .write_stdin("")
        .assert()
        .code(1);
    assert!(
        String::from_utf8_lossy(&busy.get_output().stderr).contains("in use by another process")
    );
}

/// Texts that are unlike each other (so every document is unique) yet deterministic.
fn text_for(batch: usize, i: usize) -> String {
    let words: Vec<String> = (0..30)
        .map(|w| format!("w{}x{}", (batch * 7919 + i * 104729 + w * 31) % 100_003, w))
        .collect();
    words.join(" ")
}

#[test]
fn queries_run_beside_writes_and_never_see_half_a_batch() {
    const BATCH: usize = 25;
    let tmp = tempfile::tempdir().unwrap();
    let ix = tmp.path().join("ix");
    create(&ix, false);
    let server = Server::start(&ix, &[]);
    let addr = server.addr;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut seen = 0;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    let (status, body) = http(addr, "GET", "/v1/stats", None, b"");
                    assert_eq!(status, 200);
                    let n = serde_json::from_str::<Value>(&body).unwrap()["documents"]
                        .as_u64()
                        .unwrap();
                    assert_eq!(
                        n % BATCH as u64,
                        0,
                        "a reader saw {n} documents: half a batch"
                    );
                    let q = json!({"text": text_for(0, 0)}).to_string();
                    assert_eq!(http(addr, "POST", "/v1/query", None, q.as_bytes()).0, 200);
                    seen += 1;
                }
                seen
            })
        })
        .collect();
    for b in 0..20 {
        let docs: Vec<Value> = (0..BATCH)
            .map(|i| doc(&format!("b{b}-{i}"), &text_for(b, i)))
            .collect();
        let (status, body) = server.request(
            "POST",
            "/v1/documents",
            None,
            json!({"documents": docs}).to_string().as_bytes(),
        );
        assert_eq!(status, 200, "{body}");
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let reads: usize = readers.into_iter().map(|r| r.join().unwrap()).sum();
    assert!(reads > 3, "readers ran {reads} times");
    let (_, stats) = server.request("GET", "/v1/stats", None, b"");
    assert_eq!(stats["documents"], 20 * BATCH);
}

#[test]
fn sigterm_finishes_and_exits_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let ix = tmp.path().join("ix");
    create(&ix, false);
    let mut server = Server::start(&ix, &[]);
    let body = json!({"documents": [doc("a", STORY)]}).to_string();
    assert_eq!(
        server
            .request("POST", "/v1/documents", None, body.as_bytes())
            .0,
        200
    );
    let pid = server.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let started = Instant::now();
    let status = loop {
        if let Some(s) = server.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
    overlap()
        .args(["index", "check"])
        .arg(&ix)
        .assert()
        .success();
    overlap()
        .args(["index", "get"])
        .arg(&ix)
        .arg("a")
        .assert()
        .success();
}

struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[test]
fn sigkill_of_serve_loses_no_acknowledged_batch() {
    const BATCH: usize = 20;
    const KILLS: usize = 22;
    let tmp = tempfile::tempdir().unwrap();
    let ix = tmp.path().join("ix");
    create(&ix, false);
    let mut rng = Lcg(7);
    let mut acknowledged: Vec<usize> = Vec::new();
    let mut posted = 0usize;
    let mut between_batches = 0;
    for round in 0..KILLS {
        let server = Server::start(&ix, &[]);
        let addr = server.addr;
        let first = posted;
        // A client posting batches until the connection fails; each 200 is an acknowledgment.
        let client = std::thread::spawn(move || {
            let mut acked = Vec::new();
            for b in first..first + 1000 {
                let docs: Vec<Value> = (0..BATCH)
                    .map(|i| doc(&format!("b{b}-{i}"), &text_for(b, i)))
                    .collect();
                let body = json!({"documents": docs}).to_string();
                let attempt = std::panic::catch_unwind(|| {
                    http(addr, "POST", "/v1/documents", None, body.as_bytes())
                });
                match attempt {
                    Ok((200, _)) => acked.push(b),
                    _ => return (acked, b + 1),
                }
            }
            (acked, first + 1000)
        });
        std::thread::sleep(Duration::from_millis(50 + rng.below(400)));
        drop(server);
        let (acked, tried) = client.join().unwrap();
        between_batches += usize::from(!acked.is_empty());
        acknowledged.extend(acked);
        posted = tried;
        overlap()
            .args(["index", "check"])
            .arg(&ix)
            .assert()
            .success();
        let present: HashSet<String> = indexed_ids(&ix);
        for &b in &acknowledged {
            assert!(
                present.contains(&format!("b{b}-0")),
                "round {round}: acknowledged batch {b} lost"
            );
        }
        for b in first..posted {
            let n = (0..BATCH)
                .filter(|i| present.contains(&format!("b{b}-{i}")))
                .count();
            assert!(
                n == 0 || n == BATCH,
                "round {round}: batch {b} is {n}/{BATCH} visible"
            );
        }
    }
    assert!(
        between_batches >= 10,
        "only {between_batches} kills came after an acknowledged batch"
    );
    // Every acknowledged document is queryable by its text after the restarts.
    let queries = tmp.path().join("q.jsonl");
    let lines: Vec<String> = acknowledged
        .iter()
        .map(|&b| doc(&format!("b{b}-3"), &text_for(b, 3)).to_string())
        .collect();
    std::fs::write(&queries, lines.join("\n") + "\n").unwrap();
    let out = overlap()
        .args(["index", "query", "--quiet"])
        .arg(&ix)
        .arg(&queries)
        .assert()
        .success();
    for line in String::from_utf8_lossy(&out.get_output().stdout).lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["kind"], "exact", "{v}");
        assert_eq!(v["duplicate_of"], v["id"]);
    }
}
