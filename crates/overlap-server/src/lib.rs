//! `overlap serve`: an HTTP service over an [`overlap::index::Index`]. The index does the work;
//! this crate maps JSON requests to its calls, and adds authentication, limits, metrics and a
//! graceful shutdown.
//!
//! Concurrency: requests run on a tokio runtime; index calls (redb transactions, sketching, Jaccard
//! verification) run on the blocking pool. Queries read the last committed state while a batch is
//! being written; writes are serialized by redb, one transaction per request.
//!
//! Memory: a request body (at most `max_body` bytes), its parsed documents and their sketches, per
//! request in flight; the metrics (a few counters per route).

mod metrics;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use metrics::Metrics;
use overlap::align::{align, AlignConfig, Alignment};
use overlap::index::{AddAnswer, DocumentInfo, Index, IndexError, OnExisting, QueryAnswer, Stats};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How the service runs. `Default` gives the documented defaults.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// Address to listen on. Default: 127.0.0.1:8080.
    pub addr: SocketAddr,
    /// Bearer token every request must carry; required on a non-loopback address.
    pub token: Option<String>,
    /// Largest request body in bytes. Default: 16 MiB.
    pub max_body: usize,
    /// Most documents in one `POST /v1/documents`. Default: 10,000.
    pub max_batch: usize,
    /// Longest a query may take before it is answered 503. Default: 30 s.
    pub query_timeout: Duration,
    /// With `passages`, at most this many matches are aligned. Default: 3.
    pub passages_for: usize,
    /// With `reuse`, at most this many documents are returned. Default: 5.
    pub reuse_limit: usize,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            token: None,
            max_body: 16 << 20,
            max_batch: 10_000,
            query_timeout: Duration::from_secs(30),
            passages_for: 3,
            reuse_limit: 5,
        }
    }
}

/// Why the service could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Serving beyond this machine without a token.
    #[error("{0} is not a loopback address: serving it requires --token")]
    NoToken(SocketAddr),
    /// Binding or serving failed.
    #[error("{addr}: {source}")]
    Io {
        /// The address.
        addr: SocketAddr,
        /// What the system said.
        source: std::io::Error,
    },
}

struct AppState {
    index: Index,
    options: ServeOptions,
    shutting_down: AtomicBool,
    metrics: Metrics,
}

/// An error answer: `{"error": {"code", "message"}}` with its status.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    fn bad(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": {"code": self.code, "message": self.message}});
        (self.status, Json(body)).into_response()
    }
}

impl From<IndexError> for ApiError {
    fn from(e: IndexError) -> Self {
        match e {
            IndexError::Exists(_) => ApiError::new(StatusCode::CONFLICT, "exists", e.to_string()),
            IndexError::NotFound(_) => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", e.to_string())
            }
            IndexError::DuplicateInBatch(_) => ApiError::bad("duplicate_id", e.to_string()),
            IndexError::Invalid(_) => ApiError::bad("invalid", e.to_string()),
            other => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                other.to_string(),
            ),
        }
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// Serve `index` until SIGTERM or SIGINT, then finish the requests in flight and return.
/// `ready` is told the bound address (useful with port 0) once the service accepts connections.
pub fn serve(
    index: Index,
    options: ServeOptions,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    if options.token.is_none() && !options.addr.ip().is_loopback() {
        return Err(ServeError::NoToken(options.addr));
    }
    let addr = options.addr;
    let io = |source| ServeError::Io { addr, source };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(io)?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(io)?;
        let bound = listener.local_addr().map_err(io)?;
        let state = Arc::new(AppState {
            index,
            options,
            shutting_down: AtomicBool::new(false),
            metrics: Metrics::default(),
        });
        let app = router(state.clone());
        ready(bound);
        let shutdown = {
            let state = state.clone();
            async move {
                wait_for_signal().await;
                state.shutting_down.store(true, Ordering::SeqCst);
            }
        };
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(io)
    })
}

async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).ok();
    let mut int = signal(SignalKind::interrupt()).ok();
    tokio::select! {
        _ = async { match term.as_mut() { Some(s) => { s.recv().await; } None => std::future::pending().await } } => {}
        _ = async { match int.as_mut() { Some(s) => { s.recv().await; } None => std::future::pending().await } } => {}
    }
}

fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/v1/query", post(query))
        .route("/v1/documents", post(add_documents))
        .route(
            "/v1/documents/{id}",
            get(get_document).delete(delete_document),
        )
        .route("/v1/stats", get(stats))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no_route", "no such endpoint") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this endpoint does not take that method",
            )
        })
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard))
        .layer(DefaultBodyLimit::max(state.options.max_body))
        .with_state(state)
}

/// The route a path belongs to, for metrics (ids are not labels).
fn route_of(path: &str) -> &'static str {
    match path {
        "/v1/query" => "/v1/query",
        "/v1/documents" => "/v1/documents",
        "/v1/stats" => "/v1/stats",
        "/healthz" => "/healthz",
        "/metrics" => "/metrics",
        p if p.starts_with("/v1/documents/") => "/v1/documents/{id}",
        _ => "other",
    }
}

/// Every request: refused while shutting down, authenticated when a token is set, measured.
async fn guard(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = route_of(req.uri().path());
    let method = req.method().as_str().to_string();
    let response = if state.shutting_down.load(Ordering::SeqCst) {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "the server is shutting down",
        )
        .into_response()
    } else if !authorized(&state, &req) {
        let mut r = ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing or wrong bearer token (Authorization: Bearer TOKEN)",
        )
        .into_response();
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        r
    } else {
        next.run(req).await
    };
    state.metrics.record(
        route,
        &method,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

fn authorized(state: &AppState, req: &Request) -> bool {
    let Some(token) = &state.options.token else {
        return true;
    };
    let Some(given) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    // Compare in time independent of where the strings differ.
    let (a, b) = (given.as_bytes(), token.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The body as a JSON object, or the right error: 413 over the limit, 400 otherwise.
fn json_body(body: Result<Bytes, BytesRejection>) -> ApiResult<serde_json::Map<String, Value>> {
    let bytes = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "the request body is over the limit (--max-body)",
            )
        } else {
            ApiError::bad("bad_body", r.body_text())
        }
    })?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        ApiError::bad(
            "invalid_utf8",
            format!("the body is not UTF-8 (byte {})", e.valid_up_to() + 1),
        )
    })?;
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::bad(
            "malformed_json",
            "the body must be a JSON object",
        )),
        Err(e) => Err(ApiError::bad(
            "malformed_json",
            format!("malformed JSON: {e}"),
        )),
    }
}

fn opt_bool(map: &serde_json::Map<String, Value>, key: &str) -> ApiResult<bool> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(ApiError::bad(
            "bad_field_type",
            format!("{key:?} must be true or false"),
        )),
    }
}

fn text_field(map: &serde_json::Map<String, Value>, what: &str) -> ApiResult<String> {
    match map.get("text") {
        Some(Value::String(s)) => Ok(s.clone()),
        None | Some(Value::Null) => Err(ApiError::bad(
            "missing_field",
            format!("{what} has no \"text\""),
        )),
        Some(_) => Err(ApiError::bad(
            "bad_field_type",
            format!("\"text\" of {what} must be a string"),
        )),
    }
}

/// Run index work on the blocking pool.
async fn blocking<T: Send + 'static>(
    state: &Arc<AppState>,
    timeout: Option<Duration>,
    work: impl FnOnce(&AppState) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let s = state.clone();
    let task = tokio::task::spawn_blocking(move || work(&s));
    let joined = match timeout {
        Some(t) => tokio::time::timeout(t, task).await.map_err(|_| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                format!("the request took longer than {} ms", t.as_millis()),
            )
        })?,
        None => task.await,
    };
    joined
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
}

#[derive(Serialize)]
struct QueryResponse {
    #[serde(flatten)]
    answer: QueryAnswer,
    #[serde(skip_serializing_if = "Option::is_none")]
    passages: Option<Vec<PassagesWith>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reuse: Option<overlap::index::ReuseMatches>,
}

#[derive(Serialize)]
struct AddResponse {
    results: Vec<AddAnswer>,
}

#[derive(Serialize)]
struct PassagesWith {
    id: String,
    alignment: Alignment,
}

async fn query(
    State(state): State<Arc<AppState>>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<QueryResponse>> {
    let map = json_body(body)?;
    let text = text_field(&map, "the query")?;
    let passages = opt_bool(&map, "passages")?;
    let reuse = opt_bool(&map, "reuse")?;
    let limit = match map.get("limit") {
        None | Some(Value::Null) => Some(10),
        Some(v) => match v.as_u64() {
            Some(0) => None,
            Some(n) => Some(n as usize),
            None => {
                return Err(ApiError::bad(
                    "bad_field_type",
                    "\"limit\" must be a non-negative integer (0: all)",
                ))
            }
        },
    };
    if (passages || reuse) && !state.index.parameters().store_text {
        return Err(ApiError::bad(
            "no_texts",
            "\"passages\" and \"reuse\" need an index created with --store-text",
        ));
    }
    let timeout = state.options.query_timeout;
    let response = blocking(&state, Some(timeout), move |s| {
        let answer = s.index.query(&text, limit)?;
        let passages = if passages {
            let mut out = Vec::new();
            for m in answer.matches.iter().take(s.options.passages_for) {
                let other = s.index.text(&m.id)?.unwrap_or_default();
                out.push(PassagesWith {
                    id: m.id.clone(),
                    alignment: align(&text, &other, &AlignConfig::default()),
                });
            }
            Some(out)
        } else {
            None
        };
        let reuse = if reuse {
            Some(
                s.index
                    .reuse(&text, &answer.matches, s.options.passages_for.max(5))?,
            )
        } else {
            None
        };
        Ok(QueryResponse {
            answer,
            passages,
            reuse,
        })
    })
    .await?;
    Ok(Json(response))
}

async fn add_documents(
    State(state): State<Arc<AppState>>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<AddResponse>> {
    let map = json_body(body)?;
    let Some(Value::Array(docs)) = map.get("documents") else {
        return Err(ApiError::bad(
            "missing_field",
            "the body needs \"documents\": an array of {\"id\", \"text\"}",
        ));
    };
    if docs.len() > state.options.max_batch {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch_too_large",
            format!(
                "{} documents in one request; at most {} (--max-batch)",
                docs.len(),
                state.options.max_batch
            ),
        ));
    }
    let on_existing = match map.get("on_existing").and_then(|v| v.as_str()) {
        None => OnExisting::Error,
        Some("error") => OnExisting::Error,
        Some("skip") => OnExisting::Skip,
        Some("replace") => OnExisting::Replace,
        Some(other) => {
            return Err(ApiError::bad(
                "bad_field_type",
                format!("\"on_existing\" must be error, skip or replace, not {other:?}"),
            ))
        }
    };
    let mut parsed = Vec::with_capacity(docs.len());
    for (i, d) in docs.iter().enumerate() {
        let what = format!("document {i}");
        let Value::Object(obj) = d else {
            return Err(ApiError::bad(
                "bad_field_type",
                format!("{what} is not an object"),
            ));
        };
        let id = match obj.get("id") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            None | Some(Value::Null) => {
                return Err(ApiError::bad(
                    "missing_field",
                    format!("{what} has no \"id\""),
                ))
            }
            Some(_) => {
                return Err(ApiError::bad(
                    "bad_field_type",
                    format!("\"id\" of {what} must be a non-empty string or a number"),
                ))
            }
        };
        parsed.push((id, text_field(obj, &what)?));
    }
    if parsed.is_empty() {
        return Err(ApiError::bad("empty_batch", "\"documents\" is empty"));
    }
    let results = blocking(&state, None, move |s| {
        let prepared: Vec<_> = parsed
            .into_par_iter()
            .map(|(id, text)| s.index.prepare(id, &text))
            .collect();
        if let Some(empty) = prepared.iter().find(|d| d.sketch.tokens == 0) {
            return Err(ApiError::bad(
                "empty_text",
                format!("document {:?} has no words", empty.id),
            ));
        }
        Ok(s.index.add(prepared, on_existing)?)
    })
    .await?;
    Ok(Json(AddResponse { results }))
}

async fn get_document(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<DocumentInfo>> {
    let info = blocking(&state, Some(state.options.query_timeout), move |s| {
        Ok(s.index.get(&id)?.ok_or(IndexError::NotFound(id))?)
    })
    .await?;
    Ok(Json(info))
}

async fn delete_document(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let removed = blocking(&state, None, move |s| {
        s.index.remove(std::slice::from_ref(&id))?;
        Ok(id)
    })
    .await?;
    Ok(Json(serde_json::json!({ "removed": removed })))
}

async fn stats(State(state): State<Arc<AppState>>) -> ApiResult<Json<Stats>> {
    let stats = blocking(&state, Some(state.options.query_timeout), |s| {
        Ok(s.index.stats()?)
    })
    .await?;
    Ok(Json(stats))
}

async fn healthz() -> Json<Value> {
    Json(serde_json::json!({"status": "ok"}))
}

async fn metrics_text(State(state): State<Arc<AppState>>) -> ApiResult<Response> {
    let stats = blocking(&state, Some(state.options.query_timeout), |s| {
        Ok(s.index.stats()?)
    })
    .await?;
    let text = state.metrics.render(&stats);
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        text,
    )
        .into_response())
}
