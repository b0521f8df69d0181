//! Outputs never destroy inputs. Before a job writes anything, every output path and every input
//! (as named and as found under named folders) is resolved to its canonical path and its device and
//! inode; a job whose output would overwrite or remove an input, or whose output folder is an input
//! folder or lies inside one (its outputs would be read as input by the next run), is refused with
//! [`Error::OutputConflict`], a usage error that names both paths.
//!
//! Memory: one canonical path per input file.

use crate::error::{Error, Result};
use crate::io::commit::{OUTPUT_NAMES, TMP_PREFIX};
use crate::io::{Location, Source};
use std::path::{Component, Path, PathBuf};

/// An input as named, resolved.
struct Resolved {
    shown: String,
    canonical: PathBuf,
    id: Option<(u64, u64)>,
    is_dir: bool,
}

#[cfg(unix)]
fn file_id(meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn file_id(_: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

fn resolve(shown: String, path: &Path) -> Option<Resolved> {
    let canonical = std::fs::canonicalize(path).ok()?;
    let meta = std::fs::metadata(&canonical).ok()?;
    Some(Resolved {
        shown,
        canonical,
        id: file_id(&meta),
        is_dir: meta.is_dir(),
    })
}

/// The canonical form of a path that may not exist yet: its longest existing ancestor, canonical,
/// followed by the rest.
fn resolve_future(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .unwrap_or_else(|_| PathBuf::from("/"))
            .join(path)
    };
    let mut base = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(c) = std::fs::canonicalize(base) {
            let mut out = c;
            for part in rest.iter().rev() {
                match part {
                    Component::ParentDir => {
                        out.pop();
                    }
                    Component::Normal(p) => out.push(p),
                    _ => {}
                }
            }
            return out;
        }
        match (base.parent(), base.components().next_back()) {
            (Some(parent), Some(last)) => {
                rest.push(last);
                base = parent;
            }
            _ => return absolute,
        }
    }
}

fn inputs(paths: &[String], sources: &[Source]) -> Vec<Resolved> {
    let named = paths
        .iter()
        .filter(|p| p.as_str() != "-")
        .filter_map(|p| resolve(p.clone(), Path::new(p)));
    let found = sources.iter().filter_map(|s| match &s.location {
        Location::Path(p) => resolve(s.name.clone(), p),
        Location::Stdin => None,
    });
    named.chain(found).collect()
}

/// Refuse an output folder `out` that would destroy or re-read inputs: `out` an existing file, an
/// input folder or inside one; an input at or below a name the job writes or removes in `out`
/// ([`OUTPUT_NAMES`], the temporary `.overlap-tmp-*` entries).
pub fn check_output_folder(out: &Path, paths: &[String], sources: &[Source]) -> Result<()> {
    if out.exists() && !out.is_dir() {
        return Err(Error::OutputConflict(format!(
            "--out {}: exists and is not a folder",
            out.display()
        )));
    }
    let out_canonical = resolve_future(out);
    let out_id = std::fs::metadata(&out_canonical)
        .ok()
        .and_then(|m| file_id(&m));
    let shown_out = out.display();
    let inputs = inputs(paths, sources);
    for input in &inputs {
        if input.is_dir {
            let same = input.canonical == out_canonical || (out_id.is_some() && out_id == input.id);
            if same {
                return Err(Error::OutputConflict(format!(
                    "--out {shown_out} is the input folder {}: its outputs would be read as input \
                     by the next run; choose another --out folder",
                    input.shown
                )));
            }
            if out_canonical.starts_with(&input.canonical) {
                return Err(Error::OutputConflict(format!(
                    "--out {shown_out} lies inside the input folder {}: its outputs would be read \
                     as input by the next run; choose a folder outside it",
                    input.shown
                )));
            }
        }
        let Ok(inside) = input.canonical.strip_prefix(&out_canonical) else {
            continue;
        };
        let Some(Component::Normal(first)) = inside.components().next() else {
            continue;
        };
        let first = first.to_string_lossy();
        if OUTPUT_NAMES.contains(&first.as_ref()) || first.starts_with(TMP_PREFIX) {
            return Err(Error::OutputConflict(format!(
                "the input {} would be overwritten by the output {}; nothing was written: \
                 choose another --out folder, or move the input",
                input.shown,
                out.join(first.as_ref()).display()
            )));
        }
    }
    // The same files under other names (bind mounts, hard links into the folder).
    for name in OUTPUT_NAMES {
        let Some(id) = std::fs::metadata(out.join(name))
            .ok()
            .and_then(|m| file_id(&m))
        else {
            continue;
        };
        if let Some(input) = inputs.iter().find(|i| !i.is_dir && i.id == Some(id)) {
            return Err(Error::OutputConflict(format!(
                "the input {} is the same file as the output {}; nothing was written: choose \
                 another --out folder",
                input.shown,
                out.join(name).display()
            )));
        }
    }
    Ok(())
}

/// Refuse an output file `out` (given with the option `flag`) that is one of `inputs` (as named;
/// folders stand for the files found below them) or an existing folder.
pub fn check_output_file(
    out: &Path,
    flag: &str,
    paths: &[String],
    sources: &[Source],
) -> Result<()> {
    if out.is_dir() {
        return Err(Error::OutputConflict(format!(
            "{flag} {}: is a folder; name a file",
            out.display()
        )));
    }
    let canonical = resolve_future(out);
    let id = std::fs::metadata(&canonical).ok().and_then(|m| file_id(&m));
    for input in inputs(paths, sources) {
        if input.is_dir {
            continue;
        }
        if input.canonical == canonical || (id.is_some() && input.id == id) {
            return Err(Error::OutputConflict(format!(
                "{flag} {} would overwrite the input {}; nothing was written",
                out.display(),
                input.shown
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_that_would_destroy_inputs_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().join("d");
        std::fs::create_dir(&d).unwrap();
        let input = d.join("pairs.jsonl");
        std::fs::write(&input, "{}").unwrap();
        let name = input.to_string_lossy().into_owned();
        let sources = crate::io::discover(std::slice::from_ref(&name), None).unwrap();
        let named = [name];
        let err = check_output_folder(&d, &named, &sources).unwrap_err();
        assert!(err.is_usage(), "{err}");
        assert!(err.to_string().contains("pairs.jsonl"), "{err}");
        let err = check_output_file(&input, "--out", &named, &sources).unwrap_err();
        assert!(
            err.to_string().contains("would overwrite the input"),
            "{err}"
        );
        // Through `..` and a missing folder, still the same file.
        let roundabout = d.join("missing/../pairs.jsonl");
        assert!(check_output_file(&roundabout, "--out", &named, &sources).is_err());
        // A folder beside the input is fine.
        check_output_folder(&tmp.path().join("out"), &named, &sources).unwrap();
        check_output_file(&d.join("other.jsonl"), "--out", &named, &sources).unwrap();
    }

    #[test]
    fn an_input_folder_cannot_hold_the_outputs() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("a.txt"), "a").unwrap();
        let root = tmp.path().to_string_lossy().into_owned();
        let sources = crate::io::discover(std::slice::from_ref(&root), None).unwrap();
        let named = [root];
        for out in [tmp.path().to_path_buf(), tmp.path().join("sub/out")] {
            let err = check_output_folder(&out, &named, &sources).unwrap_err();
            assert!(err.to_string().contains("input folder"), "{err}");
        }
    }
}
