//! `overlap serve`: the HTTP service over an index (crate `overlap-server` does the serving).

use anyhow::Result;
use clap::{Args, CommandFactory};
use overlap::index::Index;
use overlap_server::ServeOptions;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Serve an index over HTTP (JSON in and out) until SIGTERM or Ctrl-C.
///
/// Endpoints: POST /v1/query {"text", "passages"?, "limit"?}; POST /v1/documents {"documents":
/// [{"id", "text"}], "on_existing"?}, answered once the batch is durably committed (all or
/// nothing); GET and DELETE /v1/documents/{id}; GET /v1/stats; GET /healthz; GET /metrics
/// (Prometheus text). Errors are {"error": {"code", "message"}} with status 400, 401, 404, 409, 413
/// or 503. The server holds the index for writing: other overlap processes cannot open it meanwhile.
///
/// Examples:
///   overlap serve ix
///   overlap serve ix --addr 0.0.0.0:8080 --token "$OVERLAP_TOKEN"
///   curl -s localhost:8080/v1/query -d '{"text": "..."}'
#[derive(Args)]
#[command(verbatim_doc_comment)]
pub struct ServeArgs {
    /// The index folder.
    dir: PathBuf,

    /// Address to listen on (port 0: any free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "HOST:PORT")]
    addr: SocketAddr,

    /// Require `Authorization: Bearer TOKEN` on every request (required on a non-loopback address).
    #[arg(long, value_name = "TOKEN")]
    token: Option<String>,

    /// Largest request body in bytes.
    #[arg(long, default_value_t = 16 << 20, value_name = "BYTES")]
    max_body: usize,

    /// Most documents in one POST /v1/documents.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    max_batch: usize,

    /// Longest a query may run, in milliseconds, before it is answered 503.
    #[arg(long, default_value_t = 30_000, value_name = "MS")]
    query_timeout_ms: u64,

    /// No messages.
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(args: ServeArgs) -> Result<()> {
    if args.token.is_none() && !args.addr.ip().is_loopback() {
        crate::Cli::command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                format!(
                    "{} is not a loopback address: serving it without --token is refused",
                    args.addr
                ),
            )
            .exit();
    }
    let index = Index::open(&args.dir)?;
    let options = ServeOptions {
        addr: args.addr,
        token: args.token,
        max_body: args.max_body,
        max_batch: args.max_batch,
        query_timeout: Duration::from_millis(args.query_timeout_ms),
        ..ServeOptions::default()
    };
    let quiet = args.quiet;
    let result = overlap_server::serve(index, options, |bound| {
        // Always printed: a caller that asked for port 0 learns the port here.
        eprintln!("listening on http://{bound}");
    });
    match result {
        Ok(()) => {
            if !quiet {
                eprintln!("stopped");
            }
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}
