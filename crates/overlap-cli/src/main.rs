//! The `overlap` command-line tool: argument parsing, progress bars, printing and exit codes. All the
//! work is done by the `overlap` library.

mod align;
mod args;
mod dedup;
mod progress;
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
    Sketch(sketch::SketchArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Align(args) => align::run(args),
        Command::Dedup(args) => dedup::run(args),
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
