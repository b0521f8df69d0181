//! Ids that are lossless and unique by construction: file names made into ids without losing bytes,
//! ids made into paths under `deduped/` without two ids sharing a path, and the ids generated for
//! records that have none.
//!
//! The rules (also in the README):
//! - A file found under a directory has the id of its relative path; each name's bytes are kept,
//!   except that `%` is written `%25` and a byte that is not part of valid UTF-8 is written `%XX`
//!   (two upper-case hex digits), so distinct names give distinct ids and the name can be recovered.
//! - A kept text document is copied to `deduped/` under a path made of its id's `/`-separated parts,
//!   where a part that is empty, `.` or `..`, or starts with `%`, gets a `%` in front: every id has
//!   its own path, and no path leaves `deduped/`.
//! - A record without an id gets `FILE:LINE` (the input as named, and its line). If an earlier record
//!   already holds that id, `#2`, `#3`, ... is appended until it is free. A later record whose own id
//!   equals a generated one is a `duplicate_id` (its message names the rule): it needs an id of the
//!   form `FILE:LINE`, which a real id has only by design.

use std::path::PathBuf;

/// A file name (one path component) as an id part, losslessly (see the module's rules).
pub fn name_to_id(name: &std::ffi::OsStr) -> String {
    #[cfg(unix)]
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(name);
    #[cfg(not(unix))]
    let owned = name.to_string_lossy().into_owned().into_bytes();
    #[cfg(not(unix))]
    let bytes = &owned[..];
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '%' {
                out.push_str("%25");
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The path under `deduped/` of a kept text document: distinct ids give distinct paths, and the path
/// stays inside the folder (see the module's rules).
pub fn id_to_relative_path(id: &str) -> PathBuf {
    id.split('/')
        .map(|part| match part {
            "" | "." | ".." => format!("%{part}"),
            p if p.starts_with('%') => format!("%{p}"),
            p => p.to_string(),
        })
        .collect()
}

/// The id of a record without one: `FILE:LINE`.
pub fn generated_id(file: &str, line: u64) -> String {
    format!("{file}:{line}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    #[cfg(unix)]
    #[test]
    fn non_utf8_names_stay_distinct() {
        use std::os::unix::ffi::OsStrExt;
        let names: [&[u8]; 5] = [
            b"caf\xe9.txt",
            b"caf\xe8.txt",
            b"caf%E9.txt",
            b"caf\xc3\xa9.txt",
            b"100%",
        ];
        let ids: Vec<String> = names
            .iter()
            .map(|n| name_to_id(std::ffi::OsStr::from_bytes(n)))
            .collect();
        assert_eq!(
            ids,
            [
                "caf%E9.txt",
                "caf%E8.txt",
                "caf%25E9.txt",
                "café.txt",
                "100%25"
            ]
        );
    }

    #[test]
    fn paths_of_ids_stay_inside_and_apart() {
        let ids = [
            "a/b", "a//b", "/a/b", "a/./b", "a/../b", "../b", "%/b", "a/%2E", "a/.", "",
        ];
        let paths: HashSet<PathBuf> = ids.iter().map(|i| id_to_relative_path(i)).collect();
        assert_eq!(paths.len(), ids.len());
        for p in &paths {
            assert!(
                p.components()
                    .all(|c| matches!(c, std::path::Component::Normal(_))),
                "{p:?}"
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        #[test]
        fn distinct_ids_have_distinct_paths(a in "[a/.%]{0,8}", b in "[a/.%]{0,8}") {
            if a != b {
                prop_assert_ne!(id_to_relative_path(&a), id_to_relative_path(&b));
            }
            for c in id_to_relative_path(&a).components() {
                prop_assert!(matches!(c, std::path::Component::Normal(_)));
            }
        }

        #[cfg(unix)]
        #[test]
        fn distinct_names_have_distinct_ids(a in proptest::collection::vec(any::<u8>(), 0..8),
                                            b in proptest::collection::vec(any::<u8>(), 0..8)) {
            use std::os::unix::ffi::OsStrExt;
            let (x, y) = (std::ffi::OsStr::from_bytes(&a), std::ffi::OsStr::from_bytes(&b));
            if a != b {
                prop_assert_ne!(name_to_id(x), name_to_id(y));
            }
        }
    }
}
