//! The `overlap` command-line tool: argument parsing, progress bars, printing and exit codes. All the
//! work is done by the `overlap` library.

mod align;
mod args;
mod dedup;
mod embed;
mod progress;
mod report;
mod reuse;
mod sketch;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Find the text that documents share: exact duplicates, near-duplicates, reprints and reworded passages.
#[derive(Parser)]
#[command(name = "overlap", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Align(align::AlignArgs),
    Dedup(dedup::DedupArgs),
    Embed(embed::EmbedArgs),
    Report(report::ReportArgs),
    Reuse(reuse::ReuseArgs),
    Sketch(sketch::SketchArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Align(args) => align::run(args),
        Command::Dedup(args) => dedup::run(args),
        Command::Embed(args) => embed::run(args),
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
