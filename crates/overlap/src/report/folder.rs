//! Reading an output folder (`summary.json`, `pairs.jsonl`, `clusters.jsonl` or `stories.jsonl`,
//! `boilerplate.jsonl`) into a page payload.
//!
//! Memory: the pairs and their passages, one id per document in pairs, and the removed documents of
//! `clusters.jsonl` (kept singletons are only counted). Stories are grouped in a map of every
//! document's story.

use super::payload::{
    passage_kind, Boilerplate, Groups, PairColumns, PassageTuple, Passages, Payload,
    BOILERPLATE_SAMPLE, PAYLOAD_FORMAT,
};
use super::texts::SourceInfo;
use super::ReportError;
use crate::io::{FieldNames, Format};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

/// An output folder, read.
pub(crate) struct Folder {
    /// What the page shows (texts not yet loaded).
    pub payload: Payload,
    /// The passages block.
    pub passages: Passages,
    /// The inputs named in `summary.json`.
    pub sources: Vec<SourceInfo>,
    /// The id and text fields of the run.
    pub fields: FieldNames,
    /// The record size limit of the run.
    pub max_record_bytes: usize,
}

/// Document ids in order of first appearance, with their indices.
#[derive(Default)]
struct DocTable {
    ids: Vec<String>,
    index: HashMap<String, u32>,
}

impl DocTable {
    fn intern(&mut self, id: String) -> u32 {
        if let Some(&i) = self.index.get(&id) {
            return i;
        }
        let i = self.ids.len() as u32;
        self.index.insert(id.clone(), i);
        self.ids.push(id);
        i
    }
}

#[derive(Deserialize)]
struct PairLine {
    a: String,
    b: String,
    #[serde(default)]
    jaccard: Option<f64>,
    #[serde(default)]
    score: Option<f64>,
    #[serde(default)]
    cosine: Option<f64>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    estimated: bool,
    #[serde(default)]
    coverage_a: Option<f64>,
    #[serde(default)]
    coverage_b: Option<f64>,
    #[serde(default)]
    passages: Option<Vec<PassageLine>>,
}

#[derive(Deserialize)]
struct PassageLine {
    a: (u64, u64),
    b: (u64, u64),
    #[serde(default)]
    score: f64,
    #[serde(default)]
    kind: Option<String>,
}

#[derive(Deserialize)]
struct ClusterLine {
    id: String,
    cluster: String,
    kept: bool,
    reason: String,
}

#[derive(Deserialize)]
struct StoryLine {
    id: String,
    story: StoryId,
}

/// A story id as written: a string or a number.
#[derive(Deserialize)]
#[serde(untagged)]
enum StoryId {
    Str(String),
    Num(serde_json::Number),
}

impl StoryId {
    fn into_string(self) -> String {
        match self {
            StoryId::Str(s) => s,
            StoryId::Num(n) => n.to_string(),
        }
    }
}

#[derive(Deserialize)]
struct BoilerplateLine {
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    text: String,
    #[serde(default)]
    documents: Vec<String>,
    #[serde(default)]
    spans: BTreeMap<String, Vec<(u64, u64)>>,
}

const REASONS: [&str; 3] = ["unique", "exact", "near"];

/// Read the output folder `dir`.
pub(crate) fn read_folder(dir: &Path) -> Result<Folder, ReportError> {
    let summary_path = dir.join("summary.json");
    if !dir.is_dir() {
        return Err(ReportError::NotAnOutputFolder {
            path: dir.to_path_buf(),
            message: "no such folder".into(),
        });
    }
    if !summary_path.is_file() {
        return Err(ReportError::NotAnOutputFolder {
            path: dir.to_path_buf(),
            message: "no summary.json here: not an output folder of overlap dedup or overlap reuse"
                .into(),
        });
    }
    let bytes = std::fs::read(&summary_path).map_err(|source| ReportError::Io {
        path: summary_path.clone(),
        source,
    })?;
    let summary: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| ReportError::Malformed {
            path: summary_path.clone(),
            line: e.line() as u64,
            message: format!("not JSON: {e}"),
        })?;
    let command = summary
        .get("command")
        .and_then(|c| c.as_str())
        .unwrap_or("dedup")
        .to_string();
    if command != "dedup" && command != "reuse" {
        return Err(ReportError::NotAnOutputFolder {
            path: dir.to_path_buf(),
            message: format!(
                "summary.json was written by `overlap {command}`; reports are made of the outputs \
                 of `overlap dedup` and `overlap reuse`"
            ),
        });
    }

    super::validate::check_folder(dir, &summary_path, &summary, &command)?;

    let mut docs = DocTable::default();
    let (mut pairs, passages) = read_pairs(&dir.join("pairs.jsonl"), &command, &mut docs)?;
    // `dedup --semantic` scores its pairs by the cosine of their embeddings.
    if summary.get("mode").and_then(|m| m.as_str()) == Some("semantic") {
        pairs.score_name = "cosine".into();
    }
    let groups = if command == "dedup" {
        read_clusters(&dir.join("clusters.jsonl"), &mut docs)?
    } else {
        read_stories(&dir.join("stories.jsonl"), &mut docs)?
    };
    let (boilerplate, doc_boilerplate) = read_boilerplate(&dir.join("boilerplate.jsonl"), &docs)?;

    let parameters = summary.get("parameters");
    let field = |name: &str, default: &str| {
        parameters
            .and_then(|p| p.get(name))
            .and_then(|v| v.as_str())
            .unwrap_or(default)
            .to_string()
    };
    let fields = FieldNames {
        id: field("id_field", "id"),
        text: field("text_field", "text"),
        ..FieldNames::default()
    };
    let max_record_bytes = parameters
        .and_then(|p| p.get("max_record_bytes"))
        .and_then(|v| v.as_u64())
        .map_or(64 << 20, |v| v as usize);
    let sources = summary
        .get("inputs")
        .and_then(|i| i.as_array())
        .map(|inputs| {
            inputs
                .iter()
                .filter_map(|input| {
                    let path = input.get("path")?.as_str()?.to_string();
                    let format = match input.get("format").and_then(|f| f.as_str()) {
                        Some("jsonl") => Some(Format::Jsonl),
                        Some("text") => Some(Format::Text),
                        Some("parquet") => Some(Format::Parquet),
                        _ => None,
                    };
                    let from_out = input
                        .get("from_out")
                        .and_then(|p| p.as_str())
                        .map(|p| dir.join(p));
                    Some(SourceInfo {
                        path,
                        format,
                        from_out,
                    })
                })
                .collect()
        })
        .unwrap_or_default();

    let name = dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| dir.display().to_string());
    let payload = Payload {
        format: PAYLOAD_FORMAT,
        title: format!("overlap {command}: {name}"),
        command,
        summary,
        lengths: vec![None; docs.ids.len()],
        docs: docs.ids,
        pairs,
        groups,
        doc_boilerplate,
        boilerplate,
        ..Payload::default()
    };
    Ok(Folder {
        payload,
        passages,
        sources,
        fields,
        max_record_bytes,
    })
}

/// Call `each` with every non-blank line of a JSONL file and its 1-based number; `None` when the file
/// does not exist.
fn for_each_line(
    path: &Path,
    mut each: impl FnMut(&str, u64) -> Result<(), String>,
) -> Result<Option<()>, ReportError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(ReportError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut line = String::new();
    let mut number = 0;
    loop {
        line.clear();
        let n = reader
            .read_line(&mut line)
            .map_err(|source| ReportError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        if n == 0 {
            return Ok(Some(()));
        }
        number += 1;
        if line.trim().is_empty() {
            continue;
        }
        each(&line, number).map_err(|message| ReportError::Malformed {
            path: path.to_path_buf(),
            line: number,
            message,
        })?;
    }
}

fn read_pairs(
    path: &Path,
    command: &str,
    docs: &mut DocTable,
) -> Result<(PairColumns, Passages), ReportError> {
    let dedup = command == "dedup";
    let mut columns = PairColumns {
        score_name: if dedup { "jaccard" } else { "score" }.into(),
        ..PairColumns::default()
    };
    let mut passages: Vec<Vec<PassageTuple>> = Vec::new();
    let mut kinds: Vec<String> = Vec::new();
    let mut all_kinds = true;
    let mut coverage = true;
    let found = for_each_line(path, |line, _| {
        let pair: PairLine = serde_json::from_str(line).map_err(|e| e.to_string())?;
        let score = pair
            .jaccard
            .or(pair.score)
            .or(pair.cosine)
            .ok_or_else(|| "a pair without \"jaccard\", \"cosine\" or \"score\"".to_string())?;
        columns.a.push(docs.intern(pair.a));
        columns.b.push(docs.intern(pair.b));
        columns.score.push(score);
        columns.estimated |= pair.estimated;
        match pair.kind {
            Some(kind) => {
                let code = match kinds.iter().position(|k| *k == kind) {
                    Some(c) => c,
                    None => {
                        kinds.push(kind);
                        kinds.len() - 1
                    }
                };
                columns.kind.push(code.min(u8::MAX as usize) as u8);
            }
            None => all_kinds = false,
        }
        match (pair.coverage_a, pair.coverage_b) {
            (Some(ca), Some(cb)) => {
                columns.coverage_a.push(ca);
                columns.coverage_b.push(cb);
            }
            _ => coverage = false,
        }
        if !dedup {
            let list: Vec<PassageTuple> = pair
                .passages
                .unwrap_or_default()
                .into_iter()
                .map(|p| {
                    (
                        p.a.0,
                        p.a.1,
                        p.b.0,
                        p.b.1,
                        p.score,
                        passage_kind(p.kind.as_deref().unwrap_or("verbatim")),
                    )
                })
                .collect();
            columns.passages.push(list.len() as u32);
            passages.push(list);
        }
        Ok(())
    })?;
    if found.is_none() {
        return Err(ReportError::NotAnOutputFolder {
            path: path.parent().unwrap_or(path).to_path_buf(),
            message: "no pairs.jsonl here".into(),
        });
    }
    if !all_kinds {
        columns.kind.clear();
        kinds.clear();
    }
    columns.kind_names = kinds;
    if !coverage {
        columns.coverage_a.clear();
        columns.coverage_b.clear();
    }
    Ok((columns, (!dedup).then_some(passages)))
}

/// Size histogram of groups: `[[size, count], ...]`.
fn size_counts(sizes: impl Iterator<Item = u64>) -> Vec<(u64, u64)> {
    let mut counts = BTreeMap::new();
    for size in sizes {
        *counts.entry(size).or_insert(0u64) += 1;
    }
    counts.into_iter().collect()
}

fn read_clusters(path: &Path, docs: &mut DocTable) -> Result<Groups, ReportError> {
    // Removed documents name their cluster's representative, which is kept and comes first; kept
    // documents are only counted, so singletons cost nothing.
    let mut order: Vec<String> = Vec::new();
    let mut removed: HashMap<String, Vec<(String, u8)>> = HashMap::new();
    let mut kept = 0u64;
    for_each_line(path, |line, _| {
        let c: ClusterLine = serde_json::from_str(line).map_err(|e| e.to_string())?;
        if c.kept {
            kept += 1;
            return Ok(());
        }
        let reason = REASONS.iter().position(|r| *r == c.reason).unwrap_or(0) as u8;
        removed
            .entry(c.cluster.clone())
            .or_insert_with(|| {
                order.push(c.cluster);
                Vec::new()
            })
            .push((c.id, reason));
        Ok(())
    })?;
    let mut groups = Groups {
        label: "cluster".into(),
        reason_names: REASONS.iter().map(|r| r.to_string()).collect(),
        ..Groups::default()
    };
    for rep in order {
        let others = removed.remove(&rep).unwrap_or_default();
        let mut members = vec![docs.intern(rep.clone())];
        let mut reasons = vec![0];
        for (id, reason) in others {
            members.push(docs.intern(id));
            reasons.push(reason);
        }
        groups.ids.push(rep);
        groups.members.push(members);
        groups.reasons.push(reasons);
    }
    let singletons = kept.saturating_sub(groups.ids.len() as u64);
    groups.size_counts = size_counts(groups.members.iter().map(|m| m.len() as u64));
    if singletons > 0 {
        groups.size_counts.insert(0, (1, singletons));
    }
    Ok(groups)
}

fn read_stories(path: &Path, docs: &mut DocTable) -> Result<Groups, ReportError> {
    let mut order: Vec<String> = Vec::new();
    let mut members: HashMap<String, Vec<String>> = HashMap::new();
    for_each_line(path, |line, _| {
        let s: StoryLine = serde_json::from_str(line).map_err(|e| e.to_string())?;
        let story = s.story.into_string();
        members
            .entry(story.clone())
            .or_insert_with(|| {
                order.push(story);
                Vec::new()
            })
            .push(s.id);
        Ok(())
    })?;
    let mut groups = Groups {
        label: "story".into(),
        ..Groups::default()
    };
    let mut sizes = Vec::with_capacity(order.len());
    for story in order {
        let list = members.remove(&story).unwrap_or_default();
        sizes.push(list.len() as u64);
        if list.len() > 1 {
            groups.ids.push(story);
            groups
                .members
                .push(list.into_iter().map(|id| docs.intern(id)).collect());
        }
    }
    groups.size_counts = size_counts(sizes.into_iter());
    Ok(groups)
}

type DocSpans = BTreeMap<u32, Vec<(u64, u64)>>;

fn read_boilerplate(
    path: &Path,
    docs: &DocTable,
) -> Result<(Vec<Boilerplate>, DocSpans), ReportError> {
    let mut list = Vec::new();
    let mut spans: DocSpans = BTreeMap::new();
    for_each_line(path, |line, _| {
        let b: BoilerplateLine = serde_json::from_str(line).map_err(|e| e.to_string())?;
        for (id, ranges) in b.spans {
            if let Some(&i) = docs.index.get(&id) {
                spans.entry(i).or_default().extend(ranges);
            }
        }
        list.push(Boilerplate {
            source: b.source,
            text: b.text,
            count: b.documents.len(),
            sample: b.documents.into_iter().take(BOILERPLATE_SAMPLE).collect(),
        });
        Ok(())
    })?;
    for ranges in spans.values_mut() {
        ranges.sort_unstable();
    }
    Ok((list, spans))
}
