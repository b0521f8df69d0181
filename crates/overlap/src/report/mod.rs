//! Self-contained HTML reports: one file, no network, that shows what a job found.
//!
//! [`build_report`] turns the output folder of `overlap dedup` (or `overlap reuse`) into a page with a
//! summary, plots (inline SVG), browsable lists of clusters (stories) and pairs, and a side-by-side
//! view of any pair with its shared passages highlighted. [`render_pair_page`] gives the side-by-side
//! view of one pair alone (what `overlap align --html` writes).
//!
//! The page is `template.html` with its stylesheet (`report.css`) and script (`report.js`) inlined, and
//! the data embedded as JSON in `<script type="application/json">` blocks, with `<`, `>` and `&`
//! escaped so that no document text can close the block. The script renders every piece of data with
//! `textContent` and `createElement`, never as markup, and a Content-Security-Policy forbids any
//! network access and any script but the page's own.
//!
//! Texts are not in an output folder: the builder re-reads the inputs named in `summary.json`
//! (relative to the current directory, or the paths given instead) and keeps the texts of the
//! documents that appear in pairs. Inputs that cannot be found give a warning, and the report is
//! built without those texts.
//!
//! Offsets in passages and boilerplate spans are in Unicode code points of the original texts, as in
//! the job outputs; the page converts them to its own string indices.
//!
//! Memory: the pairs (a few dozen bytes each, plus their passages), the ids of the documents in pairs,
//! and those documents' texts; the page is built in memory, about the size of the embedded texts plus
//! some 60 bytes per pair.

mod folder;
mod page;
mod payload;
mod texts;
mod validate;

use serde::Serialize;
use std::path::{Path, PathBuf};

pub use page::escape_json_for_script;

/// Why a report could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file of the output folder could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A line of an output file is not what the job writes.
    #[error("{}:{line}: {message}", path.display())]
    Malformed {
        /// The file concerned.
        path: PathBuf,
        /// 1-based line number (1 for `summary.json`).
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// The folder is not an output folder of a job the report knows.
    #[error("{}: {message}", path.display())]
    NotAnOutputFolder {
        /// The folder.
        path: PathBuf,
        /// What is missing or unexpected.
        message: String,
    },
}

/// A built report page.
#[derive(Clone, Debug)]
pub struct Report {
    /// The whole page.
    pub html: String,
    /// Things the reader of the page should know, one sentence each: inputs not found, documents
    /// whose texts could not be found. The page shows them too.
    pub warnings: Vec<String>,
    /// Which job wrote the folder: `dedup` or `reuse`.
    pub command: String,
    /// Pairs listed.
    pub pairs: usize,
    /// Documents in pairs.
    pub documents: usize,
    /// Documents in pairs whose text was found.
    pub texts: usize,
    /// Inputs that could not be found (as named in `summary.json`, or as given).
    pub missing_inputs: Vec<String>,
}

/// Build the report page of an output folder.
///
/// `inputs`: where to read the documents' texts. `None` reads the inputs named in `summary.json`,
/// resolved relative to the current directory; `Some(paths)` reads those instead (files,
/// directories, as for the job). The report is built without texts for inputs that cannot be read;
/// [`Report::warnings`] says which.
pub fn build_report(dir: &Path, inputs: Option<&[String]>) -> Result<Report, ReportError> {
    let mut folder = folder::read_folder(dir)?;
    let loaded = texts::load_texts(
        &folder.sources,
        inputs,
        &folder.fields,
        folder.max_record_bytes,
        &folder.payload.docs,
    );
    let found = loaded.texts.iter().filter(|t| t.is_some()).count();
    let mut warnings = loaded.warnings;
    let documents = folder.payload.docs.len();
    if found < documents && (found > 0 || warnings.is_empty()) {
        warnings.push(format!(
            "{} of {documents} documents in pairs were not found in the inputs; \
             their texts are not in the report",
            documents - found
        ));
    }
    folder.payload.texts_found = found;
    folder.payload.lengths = loaded
        .texts
        .iter()
        .map(|t| t.as_ref().map(|t| t.chars().count()))
        .collect();
    folder.payload.warnings = warnings.clone();
    let html = page::render(&folder.payload, &loaded.texts, &folder.passages);
    Ok(Report {
        html,
        warnings,
        command: folder.payload.command.clone(),
        pairs: folder.payload.pairs.a.len(),
        documents,
        texts: found,
        missing_inputs: loaded.missing_inputs,
    })
}

/// One document of a [`PairView`].
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DocView {
    /// Its id.
    pub id: String,
    /// Its whole original text.
    pub text: String,
}

/// One aligned passage of a [`PairView`]: half-open ranges in Unicode code points of each text.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PassageView {
    /// Range in document `a`.
    pub a: (usize, usize),
    /// Range in document `b`.
    pub b: (usize, usize),
    /// Alignment score of the passage.
    pub score: f64,
    /// `verbatim` or `reworded` (shown differently); anything else is shown as reworded.
    pub kind: String,
}

/// Two documents and what they share, for [`render_pair_page`].
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PairView {
    /// Page title (escaped by the page, like everything else).
    pub title: String,
    /// The first document.
    pub a: DocView,
    /// The second document.
    pub b: DocView,
    /// Aligned passages (the page says so when there are none).
    pub passages: Vec<PassageView>,
    /// Boilerplate spans of `a` (code points, half-open), shown greyed.
    pub boilerplate_a: Vec<(usize, usize)>,
    /// Boilerplate spans of `b`.
    pub boilerplate_b: Vec<(usize, usize)>,
    /// Score of the pair.
    pub score: f64,
    /// Share of `a` covered by passages, when known.
    pub coverage_a: Option<f64>,
    /// Share of `b` covered by passages, when known.
    pub coverage_b: Option<f64>,
}

impl PairView {
    /// The view of an [`Alignment`](crate::align::Alignment) of two documents (what
    /// `overlap align A B --html FILE` shows): `render_pair_page(&PairView::from_alignment(...))`.
    pub fn from_alignment(
        title: impl Into<String>,
        a: DocView,
        b: DocView,
        alignment: &crate::align::Alignment,
    ) -> Self {
        PairView {
            title: title.into(),
            a,
            b,
            passages: alignment
                .passages
                .iter()
                .map(|p| PassageView {
                    a: p.a,
                    b: p.b,
                    score: p.score,
                    kind: match p.kind {
                        crate::align::PassageKind::Verbatim => "verbatim",
                        crate::align::PassageKind::Reworded => "reworded",
                    }
                    .into(),
                })
                .collect(),
            score: alignment.score,
            coverage_a: Some(alignment.coverage_a),
            coverage_b: Some(alignment.coverage_b),
            ..PairView::default()
        }
    }
}

/// The side-by-side page of one pair: both texts, passages highlighted in matching colours (verbatim
/// and reworded distinguishable), boilerplate greyed, each side's additions marked; clicking a passage
/// scrolls the other side to its match. Self-contained, like the report.
pub fn render_pair_page(view: &PairView) -> String {
    let (payload, texts, passages) = payload::pair_payload(view);
    page::render(&payload, &texts, &passages)
}

#[cfg(test)]
mod tests;
