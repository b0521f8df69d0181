//! Input discovery: what the user named (files, directories, `-`) becomes an ordered list of sources.
//!
//! Order is part of the output contract (clusters are listed, and representatives chosen, in input
//! order), so directories are walked in byte order of their entry names at every level.

use crate::error::{Error, Result};
use crate::io::Compression;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// How the records of a source are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// JSON Lines: one JSON object per line.
    Jsonl,
    /// A whole file is one document.
    Text,
    /// Apache Parquet: one record per row (see [`crate::io::parquet`]).
    Parquet,
}

impl Format {
    /// The format a file name suggests: `.jsonl`, `.ndjson` or `.json` (optionally followed by a
    /// compression suffix) mean JSON Lines; anything else is a text document.
    pub fn from_name(name: &str) -> Format {
        if name.ends_with(".parquet") || name.ends_with(".pq") {
            return Format::Parquet;
        }
        let base = Compression::strip_extension(name);
        if [".jsonl", ".ndjson", ".json"]
            .iter()
            .any(|ext| base.ends_with(ext))
        {
            Format::Jsonl
        } else {
            Format::Text
        }
    }

    /// The format of the file at `path` named `name`: Parquet when its magic bytes say so (a file
    /// named like JSON Lines only when they are at both ends), otherwise as [`Format::from_name`].
    pub fn detect(path: &Path, name: &str) -> Format {
        let by_name = Format::from_name(name);
        match crate::io::sniff_parquet(path) {
            Ok(crate::io::ParquetMagic::Complete) => Format::Parquet,
            Ok(crate::io::ParquetMagic::HeadOnly) if by_name == Format::Text => Format::Parquet,
            _ => by_name,
        }
    }

    /// Whether records are numbered within their source (lines of JSONL, rows of Parquet), so a
    /// message can name the line.
    pub fn numbered(self) -> bool {
        self != Format::Text
    }
}

/// Where a source's bytes come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A file.
    Path(PathBuf),
    /// Standard input.
    Stdin,
}

/// One input stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// Where to read it.
    pub location: Location,
    /// Its name in messages and outputs: the path as the user gave it (or as found under a directory
    /// the user gave), `-` for standard input.
    pub name: String,
    /// How its records are laid out.
    pub format: Format,
    /// For a text source, the id of its one document: the path relative to the directory it was found
    /// in, or the path as given.
    pub text_id: Option<String>,
}

impl Source {
    /// True when the source can be opened and read a second time with the same bytes: a regular
    /// file. Standard input, FIFOs, process substitutions (`<(...)`, a pipe under `/dev/fd`) and
    /// devices are read once; a job that needs them twice spools them (see
    /// [`crate::io::CorpusReader::spool_to`]).
    pub fn can_be_read_again(&self) -> bool {
        match &self.location {
            Location::Stdin => false,
            Location::Path(p) => std::fs::metadata(p).is_ok_and(|m| m.is_file()),
        }
    }
}

/// Expand the user's input arguments into sources, in order.
///
/// `-` is standard input (JSON Lines). A directory contributes every non-hidden file below it; files
/// named like JSON Lines are read as such, others as one text document each, unless `format` forces
/// one format for every file.
pub fn discover(inputs: &[String], format: Option<Format>) -> Result<Vec<Source>> {
    if inputs.is_empty() {
        return Err(Error::NoInput("no input paths given".into()));
    }
    let mut sources = Vec::new();
    for input in inputs {
        if input.is_empty() {
            return Err(Error::NoInput(
                "an input name is empty (''): give a file, a directory or - for standard input"
                    .into(),
            ));
        }
        if input == "-" {
            let format = format.unwrap_or(Format::Jsonl);
            sources.push(Source {
                location: Location::Stdin,
                name: "-".into(),
                format,
                text_id: (format == Format::Text).then(|| "-".to_string()),
            });
            continue;
        }
        let path = Path::new(input);
        let meta = std::fs::metadata(path).map_err(|_| Error::InputNotFound(input.clone()))?;
        if meta.is_dir() {
            let before = sources.len();
            walk(path, path, input, format, &mut sources)?;
            if sources.len() == before {
                return Err(Error::NoInput(format!(
                    "{input}: the directory holds no files"
                )));
            }
        } else {
            let format = format.unwrap_or_else(|| Format::detect(path, input));
            sources.push(Source {
                location: Location::Path(path.to_path_buf()),
                name: input.clone(),
                format,
                text_id: (format == Format::Text).then(|| input.clone()),
            });
        }
    }
    Ok(sources)
}

fn walk(
    root: &Path,
    dir: &Path,
    root_name: &str,
    format: Option<Format>,
    out: &mut Vec<Source>,
) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .collect::<std::io::Result<_>>()
        .map_err(|e| Error::io(dir, e))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        let file_type = entry.file_type().map_err(|e| Error::io(&path, e))?;
        // Symlinked directories are not followed, so a link cycle cannot loop; symlinked files are.
        if file_type.is_dir() {
            walk(root, &path, root_name, format, out)?;
        } else if path.is_file() {
            // Names are kept byte for byte (escaped where they are not UTF-8), so that two files
            // never share an id.
            let relative = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .components()
                .map(|c| crate::io::ids::name_to_id(c.as_os_str()))
                .collect::<Vec<_>>()
                .join("/");
            let format = format.unwrap_or_else(|| Format::detect(&path, &relative));
            let shown = format!("{}/{}", root_name.trim_end_matches('/'), relative);
            out.push(Source {
                location: Location::Path(path),
                name: shown,
                format,
                text_id: (format == Format::Text).then_some(relative),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_follow_names() {
        assert_eq!(Format::from_name("a.jsonl.gz"), Format::Jsonl);
        assert_eq!(Format::from_name("a.ndjson"), Format::Jsonl);
        assert_eq!(Format::from_name("a.json.zst"), Format::Jsonl);
        assert_eq!(Format::from_name("a.txt"), Format::Text);
        assert_eq!(Format::from_name("notes"), Format::Text);
        assert_eq!(Format::from_name("part-0.parquet"), Format::Parquet);
    }

    #[test]
    fn directories_are_walked_in_order_with_relative_ids() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("b.txt"), "b").unwrap();
        std::fs::write(dir.path().join("a.txt"), "a").unwrap();
        std::fs::write(dir.path().join("sub/c.jsonl"), "{}").unwrap();
        std::fs::write(dir.path().join(".hidden"), "x").unwrap();
        let root = dir.path().to_string_lossy().to_string();
        let sources = discover(std::slice::from_ref(&root), None).unwrap();
        let ids: Vec<_> = sources
            .iter()
            .map(|s| (s.text_id.clone(), s.format))
            .collect();
        assert_eq!(
            ids,
            [
                (Some("a.txt".to_string()), Format::Text),
                (Some("b.txt".to_string()), Format::Text),
                (None, Format::Jsonl),
            ]
        );
        assert_eq!(sources[2].name, format!("{root}/sub/c.jsonl"));
    }

    #[test]
    fn missing_paths_and_empty_directories_are_errors() {
        assert!(matches!(
            discover(&["no/such/file.jsonl".into()], None),
            Err(Error::InputNotFound(_))
        ));
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_string_lossy().to_string();
        assert!(matches!(discover(&[root], None), Err(Error::NoInput(_))));
        assert!(matches!(discover(&[], None), Err(Error::NoInput(_))));
    }
}
