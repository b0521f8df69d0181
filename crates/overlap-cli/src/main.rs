//! The `overlap` command-line tool: argument parsing, progress bars, printing and exit codes. All the
//! work is done by the `overlap` library.

mod align;
mod align_view;
mod args;
mod dedup;
mod progress;
mod report;
mod reuse;
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
    Report(report::ReportArgs),
    Reuse(reuse::ReuseArgs),
    Sketch(sketch::SketchArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Align(args) => align::run(args),
        Command::Dedup(args) => dedup::run(args),
        Command::Report(args) => report::run(args),
        Command::Reuse(args) => reuse::run(args),
        Command::Sketch(args) => sketch::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
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
