//! `overlap report`: a self-contained HTML report of an output folder.

use anyhow::{Context, Result};
use clap::Args;
use std::path::{Path, PathBuf};

/// Build a self-contained HTML report (one file, no network) of an output folder of
/// `overlap dedup` or `overlap reuse`.
///
/// The page has a summary with plots, searchable and sortable lists of clusters (stories) and
/// pairs, and a side-by-side view of any pair with its shared passages highlighted. Texts are not
/// in the output folder: they are read again from the inputs named in summary.json (relative to
/// the current directory), or from the paths given with --input. Inputs that cannot be found are
/// named, and the report is built without their texts.
#[derive(Args)]
#[command(
    verbatim_doc_comment,
    after_help = "Examples:\n  overlap report out/reuters\n  overlap report out/news --out news-report.html --input news.jsonl.gz"
)]
pub struct ReportArgs {
    /// The output folder of `overlap dedup` or `overlap reuse`.
    #[arg(value_name = "DIR")]
    dir: PathBuf,

    /// Where to write the page (default: DIR/report.html).
    #[arg(long, short, value_name = "FILE")]
    out: Option<PathBuf>,

    /// Read the documents' texts from these inputs instead of the ones named in summary.json.
    #[arg(long = "input", value_name = "PATH", num_args = 1..)]
    inputs: Vec<String>,

    /// No messages; errors are still printed.
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(args: ReportArgs) -> Result<()> {
    let out = args.out.unwrap_or_else(|| args.dir.join("report.html"));
    let inputs = (!args.inputs.is_empty()).then_some(args.inputs.as_slice());
    write(&args.dir, inputs, &out, args.quiet)
}

/// Build the report of `dir` and write it to `out`; tell what was written unless `quiet` (warnings
/// are printed even then).
pub fn write(dir: &Path, inputs: Option<&[String]>, out: &Path, quiet: bool) -> Result<()> {
    let report = overlap::report::build_report(dir, inputs)?;
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
    if !report.missing_inputs.is_empty() {
        eprintln!(
            "hint: run `overlap report` from the folder the job ran in, or give the inputs with \
             `overlap report {} --input PATH...`",
            dir.display()
        );
    }
    std::fs::write(out, &report.html).with_context(|| format!("cannot write {}", out.display()))?;
    if !quiet {
        eprintln!(
            "wrote {} ({} pairs, texts of {} of {} documents, {:.1} MB)",
            out.display(),
            report.pairs,
            report.texts,
            report.documents,
            report.html.len() as f64 / 1e6
        );
    }
    Ok(())
}
