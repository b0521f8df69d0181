//! `overlap report`: a self-contained HTML report of an output folder.

use anyhow::Result;
use clap::Args;
use overlap::io::guard::check_output_file;
use overlap::io::OutputFolder;
use std::io::ErrorKind;
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
    let dir = &args.dir;
    let out = args.out.unwrap_or_else(|| dir.join("report.html"));
    let inputs = (!args.inputs.is_empty()).then_some(args.inputs.as_slice());
    // Checked before the lock is taken, so a refusal writes nothing, and again once the folder is
    // held (an interrupted commit finished), when summary.json names the inputs for certain.
    check_report_output(dir, inputs, &out)?;
    // Held while the folder is read, so no commit can change it underneath.
    let folder = lock_for_reading(dir)?;
    check_report_output(dir, inputs, &out)?;
    let report = build(dir, inputs, dir)?;
    match folder {
        Some(folder) if is_folder_report(dir, &out) => {
            let staged = folder.staging().join("report.html");
            std::fs::write(&staged, &report.html)
                .map_err(|e| overlap::Error::output("writing", &out, e))?;
            let mut added = vec!["report.html".to_string()];
            // summary.json lists the report too, and is replaced with it, last.
            let summary = std::fs::read_to_string(dir.join("summary.json")).unwrap_or_default();
            if let Some(listed) = overlap::io::commit::list_output(&summary, "report.html") {
                let staged = folder.staging().join("summary.json");
                std::fs::write(&staged, listed)
                    .map_err(|e| overlap::Error::output("writing", dir.join("summary.json"), e))?;
                added.push("summary.json".into());
            }
            folder.commit_add(&added)?;
        }
        _ => overlap::io::commit::write_file(&out, report.html.as_bytes())?,
    }
    tell(&out, &report, args.quiet);
    Ok(())
}

/// Refuse an `--out` that is a file the report reads.
fn check_report_output(dir: &Path, inputs: Option<&[String]>, out: &Path) -> Result<()> {
    let read = read_paths(dir, inputs);
    // Folders given as inputs stand for the files below them.
    let found: Vec<_> = read
        .iter()
        .filter_map(|p| overlap::io::discover(std::slice::from_ref(p), None).ok())
        .flatten()
        .collect();
    Ok(check_output_file(out, "--out", &read, &found)?)
}

/// Build the report of the staged outputs of a job (`--report`) into `staging/report.html`;
/// `out_dir` is the folder they are committed to, named in messages. Returns the names written.
pub fn write_staged(staging: &Path, out_dir: &Path, quiet: bool) -> Result<Vec<String>> {
    let report = build(staging, None, out_dir)?;
    let out = out_dir.join("report.html");
    std::fs::write(staging.join("report.html"), &report.html)
        .map_err(|e| overlap::Error::output("writing", &out, e))?;
    tell(&out, &report, quiet);
    Ok(vec!["report.html".into()])
}

/// Lock an output folder while its report is built, finishing an interrupted commit first. `None`
/// when it is not an output folder (the report says what is wrong) or cannot be locked because it
/// is read-only (then it must not be in the middle of a commit).
fn lock_for_reading(dir: &Path) -> Result<Option<OutputFolder>> {
    let journal = dir.join(overlap::io::commit::JOURNAL_FILE);
    if !dir.join("summary.json").is_file() && !journal.exists() {
        return Ok(None);
    }
    match OutputFolder::open_existing(dir) {
        Ok(folder) => Ok(Some(folder)),
        Err(overlap::Error::Output {
            op: "opening",
            cause,
            ..
        }) if matches!(
            cause.kind(),
            ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem
        ) =>
        {
            overlap::io::commit::check_committed(dir)?;
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// Whether `out` is the folder's own `report.html`.
fn is_folder_report(dir: &Path, out: &Path) -> bool {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    out.file_name().is_some_and(|n| n == "report.html")
        && std::fs::canonicalize(parent).ok() == std::fs::canonicalize(dir).ok()
}

/// Every file the report reads: the folder's outputs and the corpus inputs (as given, or as named
/// in summary.json).
fn read_paths(dir: &Path, inputs: Option<&[String]>) -> Vec<String> {
    let mut paths: Vec<String> = overlap::io::commit::OUTPUT_NAMES
        .iter()
        .filter(|n| **n != "report.html")
        .map(|n| dir.join(n).to_string_lossy().into_owned())
        .collect();
    match inputs {
        Some(given) => paths.extend(given.iter().cloned()),
        None => {
            let summary = std::fs::read(dir.join("summary.json")).unwrap_or_default();
            let summary: serde_json::Value = serde_json::from_slice(&summary).unwrap_or_default();
            if let Some(list) = summary.get("inputs").and_then(|i| i.as_array()) {
                paths.extend(
                    list.iter()
                        .filter_map(|i| i.get("path")?.as_str())
                        .map(String::from),
                );
            }
        }
    }
    paths
}

/// Build the report of `dir` (named `shown` in messages), printing its warnings.
fn build(dir: &Path, inputs: Option<&[String]>, shown: &Path) -> Result<overlap::report::Report> {
    let report = overlap::report::build_report(dir, inputs)?;
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
    if !report.missing_inputs.is_empty() {
        eprintln!(
            "hint: run `overlap report` from the folder the job ran in, or give the inputs with \
             `overlap report {} --input PATH...`",
            shown.display()
        );
    }
    Ok(report)
}

/// Tell what was written unless `quiet` (warnings are printed even then).
fn tell(out: &Path, report: &overlap::report::Report, quiet: bool) {
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
}
