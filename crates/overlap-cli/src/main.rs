//! The `overlap` command-line tool: argument parsing, progress bars, printing and exit codes. All the
//! work is done by the `overlap` library.

mod align;
mod align_view;
mod args;
mod dedup;
mod dedup_semantic;
mod embed;
mod index;
mod jsonl_out;
mod progress;
mod ranges;
mod report;
mod reuse;
mod reuse_semantic;
mod same_story;
#[cfg(feature = "serve")]
mod serve;
mod sketch;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Find the text that documents share: exact duplicates, near-duplicates, reprints and reworded passages.
#[derive(Parser)]
#[command(
    name = "overlap",
    version,
    about,
    long_about = None,
    propagate_version = true,
    after_help = "Examples:\n  overlap dedup ../shared/data/reuters21578.jsonl.gz --out out/reuters\n  overlap align A.txt B.txt\n  overlap reuse ../shared/data/20newsgroups.jsonl.gz --out out/20news --report\n\nEvery command explains its options with `overlap COMMAND --help`."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Align(align::AlignArgs),
    Dedup(dedup::DedupArgs),
    Embed(embed::EmbedArgs),
    Index(index::IndexArgs),
    Report(report::ReportArgs),
    Reuse(reuse::ReuseArgs),
    #[cfg(feature = "serve")]
    Serve(serve::ServeArgs),
    Sketch(sketch::SketchArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Align(args) => align::run(args),
        Command::Dedup(args) => dedup::run(args),
        Command::Embed(args) => embed::run(args),
        Command::Index(args) => index::run(args),
        Command::Report(args) => report::run(args),
        Command::Reuse(args) => reuse::run(args),
        #[cfg(feature = "serve")]
        Command::Serve(args) => serve::run(args),
        Command::Sketch(args) => sketch::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", message(&e));
            let usage = e.chain().any(|c| {
                c.downcast_ref::<overlap::Error>()
                    .is_some_and(|e| e.is_usage())
            });
            ExitCode::from(if usage { 2 } else { 1 })
        }
    }
}

/// The error and its causes, each said once: the engine's errors already hold the text of the I/O
/// error beneath them, which `{:#}` would repeat.
fn message(e: &anyhow::Error) -> String {
    let mut text = String::new();
    let mut above_is_engine = false;
    for cause in e.chain() {
        let is_engine = cause.downcast_ref::<overlap::Error>().is_some()
            || cause
                .downcast_ref::<overlap::report::ReportError>()
                .is_some();
        let repeated = above_is_engine && cause.downcast_ref::<std::io::Error>().is_some();
        above_is_engine = is_engine;
        let line = cause.to_string();
        if repeated || text.contains(&line) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&line);
    }
    text
}

/// Write `text` to standard output. A reader that closed the pipe early (`| head`) is not an error:
/// there is nobody left to tell, so the rest is dropped quietly instead of panicking.
pub fn print_out(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
