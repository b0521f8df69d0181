//! The data a report page embeds, as the page's script reads it.
//!
//! Three JSON blocks: the payload (everything but texts and passages, parsed when the page opens),
//! the texts (one per document, `null` when not found) and the passages (one list per pair, or
//! `null` when the page computes verbatim runs itself, as for dedup pairs). Texts and passages are
//! parsed only when first needed, so a page with many pairs opens quickly.
//!
//! Pairs are stored by column (one array per field, documents as indices into `docs`) to keep the
//! page small: about 60 bytes per pair.

use super::{PairView, PassageView};
use serde::Serialize;
use std::collections::BTreeMap;

/// Version of the payload layout, for the page's script.
pub(crate) const PAYLOAD_FORMAT: u32 = 1;

/// Everything the page shows but texts and passages.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct Payload {
    /// [`PAYLOAD_FORMAT`].
    pub format: u32,
    /// `dedup`, `reuse`, or `pair` (a page of one pair).
    pub command: String,
    /// Shown as the page title.
    pub title: String,
    /// `summary.json` as the job wrote it (`null` for a pair page).
    pub summary: serde_json::Value,
    /// Ids of the documents the page knows: those in pairs, then other members of groups.
    pub docs: Vec<String>,
    /// Length of each document's text in code points, `null` when the text was not found.
    pub lengths: Vec<Option<usize>>,
    /// Documents whose texts were found.
    pub texts_found: usize,
    /// The pairs.
    pub pairs: PairColumns,
    /// Clusters (dedup) or stories (reuse) with more than one document.
    pub groups: Groups,
    /// Boilerplate spans per document index (code points, half-open).
    pub doc_boilerplate: BTreeMap<u32, Vec<(u64, u64)>>,
    /// Boilerplate found by the job (reuse).
    pub boilerplate: Vec<Boilerplate>,
    /// Sentences for the reader: inputs not found and the like.
    pub warnings: Vec<String>,
}

/// The pairs, one array per field, in the order of `pairs.jsonl`.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct PairColumns {
    /// Index of document `a` in `docs`.
    pub a: Vec<u32>,
    /// Index of document `b` in `docs`.
    pub b: Vec<u32>,
    /// Jaccard similarity (dedup) or score (reuse).
    pub score: Vec<f64>,
    /// Name of the score, for headings: `jaccard` or `score`.
    pub score_name: String,
    /// Index into `kind_names` (dedup: `exact`, `near`); empty when pairs have no kind.
    pub kind: Vec<u8>,
    /// Names of the kinds.
    pub kind_names: Vec<String>,
    /// Coverage of `a` by passages (reuse); empty when unknown.
    pub coverage_a: Vec<f64>,
    /// Coverage of `b` by passages (reuse); empty when unknown.
    pub coverage_b: Vec<f64>,
    /// Number of passages per pair (reuse); empty when the page computes them.
    pub passages: Vec<u32>,
    /// True when scores are MinHash estimates (`--no-verify`).
    pub estimated: bool,
}

/// Groups of documents: clusters or stories.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct Groups {
    /// `cluster` or `story`.
    pub label: String,
    /// Each group's id (a cluster's representative).
    pub ids: Vec<String>,
    /// Each group's documents (indices into `docs`), its representative first.
    pub members: Vec<Vec<u32>>,
    /// For clusters: each member's reason, an index into `reason_names`; empty for stories.
    pub reasons: Vec<Vec<u8>>,
    /// `unique`, `exact`, `near`.
    pub reason_names: Vec<String>,
    /// Number of groups of each size, singletons included: `[[size, count], ...]` by size.
    pub size_counts: Vec<(u64, u64)>,
}

/// One boilerplate text.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct Boilerplate {
    /// The source it repeats across, if known.
    pub source: Option<String>,
    /// The repeated text.
    pub text: String,
    /// Number of documents it was found in.
    pub count: usize,
    /// The first of those documents' ids (at most [`BOILERPLATE_SAMPLE`]).
    pub sample: Vec<String>,
}

/// How many document ids of each boilerplate text the page lists.
pub(crate) const BOILERPLATE_SAMPLE: usize = 20;

/// One passage in the passages block: `[a_start, a_end, b_start, b_end, score, kind]` with kind 0
/// verbatim, 1 reworded (anything else is shown as reworded).
pub(crate) type PassageTuple = (u64, u64, u64, u64, f64, u8);

/// The passages block: one list per pair, or `None` when the page computes verbatim runs.
pub(crate) type Passages = Option<Vec<Vec<PassageTuple>>>;

/// The code of a passage kind.
pub(crate) fn passage_kind(kind: &str) -> u8 {
    match kind {
        "verbatim" => 0,
        _ => 1,
    }
}

fn passage_tuple(p: &PassageView) -> PassageTuple {
    (
        p.a.0 as u64,
        p.a.1 as u64,
        p.b.0 as u64,
        p.b.1 as u64,
        p.score,
        passage_kind(&p.kind),
    )
}

/// The payload of a page of one pair.
pub(crate) fn pair_payload(view: &PairView) -> (Payload, Vec<Option<String>>, Passages) {
    let texts = vec![Some(view.a.text.clone()), Some(view.b.text.clone())];
    let mut doc_boilerplate = BTreeMap::new();
    for (i, spans) in [&view.boilerplate_a, &view.boilerplate_b]
        .into_iter()
        .enumerate()
    {
        if !spans.is_empty() {
            doc_boilerplate.insert(
                i as u32,
                spans.iter().map(|&(s, e)| (s as u64, e as u64)).collect(),
            );
        }
    }
    let payload = Payload {
        format: PAYLOAD_FORMAT,
        command: "pair".into(),
        title: view.title.clone(),
        summary: serde_json::Value::Null,
        docs: vec![view.a.id.clone(), view.b.id.clone()],
        lengths: texts
            .iter()
            .map(|t| t.as_ref().map(|t| t.chars().count()))
            .collect(),
        texts_found: 2,
        pairs: PairColumns {
            a: vec![0],
            b: vec![1],
            score: vec![view.score],
            score_name: "score".into(),
            coverage_a: view.coverage_a.into_iter().collect(),
            coverage_b: view.coverage_b.into_iter().collect(),
            passages: vec![view.passages.len() as u32],
            ..PairColumns::default()
        },
        doc_boilerplate,
        ..Payload::default()
    };
    let passages = Some(vec![view.passages.iter().map(passage_tuple).collect()]);
    (payload, texts, passages)
}
