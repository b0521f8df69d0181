//! Where an input lies as seen from the output folder, so that an output folder can find its inputs
//! again from any working directory (`overlap report` reads the texts back).

use std::path::{Component, Path, PathBuf};

/// The path of `target` relative to the folder `base` (both resolved to canonical paths), or `None`
/// when either cannot be resolved (the input went away, standard input).
pub fn relative_from(base: &Path, target: &Path) -> Option<String> {
    let base = base.canonicalize().ok()?;
    let target = target.canonicalize().ok()?;
    let base: Vec<Component> = base.components().collect();
    let target: Vec<Component> = target.components().collect();
    let common = base.iter().zip(&target).take_while(|(a, b)| a == b).count();
    let mut rel = PathBuf::new();
    for _ in common..base.len() {
        rel.push("..");
    }
    for c in &target[common..] {
        rel.push(c.as_os_str());
    }
    // Lossless or nothing: a path that is not UTF-8 cannot be written to summary.json as it is.
    rel.into_os_string().into_string().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_relative_to_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("data/sub")).unwrap();
        std::fs::create_dir_all(root.join("runs/out")).unwrap();
        std::fs::write(root.join("data/sub/c.jsonl"), "").unwrap();
        let got = relative_from(&root.join("runs/out"), &root.join("data/sub/c.jsonl"));
        assert_eq!(got.as_deref(), Some("../../data/sub/c.jsonl"));
        let inside = relative_from(&root.join("data"), &root.join("data/sub/c.jsonl"));
        assert_eq!(inside.as_deref(), Some("sub/c.jsonl"));
        assert_eq!(
            relative_from(&root.join("runs"), &root.join("gone.jsonl")),
            None
        );
    }
}
