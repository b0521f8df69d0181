//! Finding the texts of the documents in a report by reading the inputs again.
//!
//! Ids are settled as the jobs settle them (see [`crate::io::ingest`]): the id field, else the line
//! number (`NAME:LINE` when the run had several sources), or a text file's path. The first record of
//! an id that has a word in it wins, as in the jobs, which skip empty texts and later duplicates.
//!
//! Memory: one batch of raw records, plus the texts kept. Reading stops once every text is found.

use crate::io::{
    discover, parse_record, CorpusReader, FieldNames, Format, Location, ReadItem, Source,
};
use std::collections::HashMap;
use std::path::PathBuf;

/// One input as named in `summary.json`.
#[derive(Clone, Debug)]
pub(crate) struct SourceInfo {
    /// The path as the user gave it (or as found under a directory the user gave).
    pub path: String,
    /// Its format, when the summary says.
    pub format: Option<Format>,
    /// Its path relative to the output folder, when the summary records it, already joined to the
    /// folder: found from any working directory.
    pub from_out: Option<PathBuf>,
}

/// Texts found, one per document (`None` when not found), and warnings.
pub(crate) struct Loaded {
    pub texts: Vec<Option<String>>,
    pub warnings: Vec<String>,
    pub missing_inputs: Vec<String>,
}

/// Read the texts of `docs` from `overrides` (when given) or from the `sources` of the summary.
pub(crate) fn load_texts(
    sources: &[SourceInfo],
    overrides: Option<&[String]>,
    fields: &FieldNames,
    max_record_bytes: usize,
    docs: &[String],
) -> Loaded {
    let mut warnings = Vec::new();
    let mut missing_inputs = Vec::new();
    // Sources named in the summary have no text id of their own: a text file's id is then its path,
    // or a trailing part of it below the directory the user named.
    let mut readable: Vec<Source> = Vec::new();
    let id_sources;
    match overrides {
        Some(inputs) => {
            for input in inputs {
                if input == "-" {
                    warnings.push("standard input cannot be read for texts; give a file".into());
                    continue;
                }
                match discover(std::slice::from_ref(input), None) {
                    Ok(found) => readable.extend(found),
                    Err(e) => {
                        missing_inputs.push(input.clone());
                        warnings.push(format!("input {input}: {e}; no texts from it"));
                    }
                }
            }
            id_sources = readable.len();
        }
        None => {
            id_sources = sources.len();
            if sources.is_empty() {
                warnings.push("summary.json names no inputs; the report has no texts".into());
            }
            for info in sources {
                if info.path == "-" {
                    warnings.push(
                        "the job read standard input, which cannot be read again; \
                         the report has no texts from it"
                            .into(),
                    );
                    continue;
                }
                let given = PathBuf::from(&info.path);
                if given.exists() && !given.is_file() && !given.is_dir() {
                    // A FIFO or process substitution was read once by the job; opening it again
                    // would wait forever for a writer.
                    warnings.push(format!(
                        "input {} is not a regular file (a pipe?) and cannot be read again; \
                         the report has no texts from it",
                        info.path
                    ));
                    continue;
                }
                // The location recorded relative to the output folder first (it holds wherever
                // the report is built from), then the path as the user gave it (from here).
                let Some(path) = info
                    .from_out
                    .clone()
                    .filter(|p| p.is_file())
                    .or_else(|| Some(given).filter(|p| p.is_file()))
                else {
                    missing_inputs.push(info.path.clone());
                    warnings.push(format!(
                        "input {} not found (neither from the output folder nor from the current \
                         directory); the report has no texts from it",
                        info.path
                    ));
                    continue;
                };
                let format = info.format.unwrap_or_else(|| Format::from_name(&info.path));
                readable.push(Source {
                    location: Location::Path(path),
                    name: info.path.clone(),
                    format,
                    text_id: None,
                });
            }
        }
    }

    let wanted: HashMap<&str, usize> = docs
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut texts: Vec<Option<String>> = vec![None; docs.len()];
    let mut left = docs.len();
    if left > 0 && !readable.is_empty() {
        read_sources(
            readable,
            id_sources,
            fields,
            max_record_bytes,
            &wanted,
            &mut texts,
            &mut left,
            &mut warnings,
        );
    }
    Loaded {
        texts,
        warnings,
        missing_inputs,
    }
}

#[allow(clippy::too_many_arguments)]
fn read_sources(
    sources: Vec<Source>,
    id_sources: usize,
    fields: &FieldNames,
    max_record_bytes: usize,
    wanted: &HashMap<&str, usize>,
    texts: &mut [Option<String>],
    left: &mut usize,
    warnings: &mut Vec<String>,
) {
    let text_ids: Vec<Option<String>> = sources.iter().map(|s| s.text_id.clone()).collect();
    let names: Vec<String> = sources.iter().map(|s| s.name.clone()).collect();
    let formats: Vec<Format> = sources.iter().map(|s| s.format).collect();
    let mut reader = CorpusReader::new(sources, max_record_bytes).with_fields(fields.clone());
    let keep = |index: usize, text: &str, texts: &mut [Option<String>], left: &mut usize| {
        if texts[index].is_none() && text.chars().any(char::is_alphanumeric) {
            texts[index] = Some(text.to_string());
            *left -= 1;
        }
    };
    while *left > 0 {
        let batch = match reader.next_batch(4096, 32 << 20) {
            Ok(b) => b,
            Err(e) => {
                // A source that cannot be opened: say so and go on with the next one.
                warnings.push(format!("{e}; no texts from it"));
                continue;
            }
        };
        if batch.is_empty() {
            break;
        }
        // The document a record with this id (or none) at this line was.
        let lookup = |id: Option<&str>, source: usize, line: u64| match id {
            Some(id) => wanted.get(id).copied(),
            // Outputs of versions before the `FILE:LINE` rule had the bare line number.
            None if id_sources == 1 && wanted.contains_key(line.to_string().as_str()) => {
                wanted.get(line.to_string().as_str()).copied()
            }
            // `NAME:LINE`, where NAME is the input as the job was given it: the path
            // given now, or a trailing part of it when it is given differently.
            None => suffixes(&names[source])
                .find_map(|name| wanted.get(format!("{name}:{line}").as_str()).copied()),
        };
        for item in batch {
            let record = match item {
                ReadItem::Record(record) => record,
                ReadItem::Parquet(row) => {
                    if let Some(i) = lookup(row.id.as_deref(), row.source as usize, row.line) {
                        keep(i, &row.text, texts, left);
                    }
                    continue;
                }
                ReadItem::Problem(_) => continue,
            };
            let source = record.source as usize;
            match formats[source] {
                Format::Jsonl => {
                    let Ok(parsed) = parse_record(&record.bytes, fields) else {
                        continue;
                    };
                    if let Some(i) = lookup(parsed.id.as_deref(), source, record.line) {
                        keep(i, &parsed.text, texts, left);
                    }
                }
                // Parquet rows arrive as `ReadItem::Parquet`.
                Format::Parquet => {}
                Format::Text => {
                    let Ok(text) = std::str::from_utf8(&record.bytes) else {
                        continue;
                    };
                    let known = text_ids[source].as_deref().and_then(|id| wanted.get(id));
                    let index = known.copied().or_else(|| {
                        suffixes(&names[source])
                            .find_map(|id| wanted.get(id))
                            .copied()
                    });
                    if let Some(i) = index {
                        keep(i, text, texts, left);
                    }
                }
            }
        }
    }
}

/// `a/b/c.txt`, `b/c.txt`, `c.txt`: the ids a text file found as `a/b/c.txt` may have had.
fn suffixes(name: &str) -> impl Iterator<Item = &str> {
    std::iter::once(name).chain(name.match_indices('/').filter_map(move |(i, _)| {
        let rest = &name[i + 1..];
        (!rest.is_empty()).then_some(rest)
    }))
}

#[cfg(test)]
mod tests {
    use super::suffixes;

    #[test]
    fn suffixes_of_a_path() {
        assert_eq!(
            suffixes("a/b/c.txt").collect::<Vec<_>>(),
            ["a/b/c.txt", "b/c.txt", "c.txt"]
        );
        assert_eq!(suffixes("c.txt").collect::<Vec<_>>(), ["c.txt"]);
    }
}
