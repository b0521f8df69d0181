//! Checking an output folder before a page is built from it: `summary.json` must have the shape the
//! jobs write (the page reads its counts, parameters and inputs), and the job's listing files must be
//! there. A folder that fails is an error saying what is wrong, rather than a page that never renders.

use super::ReportError;
use serde_json::Value;
use std::path::Path;

/// Check `summary` (read from `path`) and the files of `dir` for a report of `command`.
pub(crate) fn check_folder(
    dir: &Path,
    path: &Path,
    summary: &Value,
    command: &str,
) -> Result<(), ReportError> {
    check_summary(summary, command).map_err(|message| ReportError::Malformed {
        path: path.to_path_buf(),
        line: 1,
        message,
    })?;
    let listing = if command == "dedup" {
        "clusters.jsonl"
    } else {
        "stories.jsonl"
    };
    for name in [listing, "pairs.jsonl"] {
        if !dir.join(name).is_file() {
            return Err(ReportError::NotAnOutputFolder {
                path: dir.to_path_buf(),
                message: format!(
                    "{name} is missing: an output folder of `overlap {command}` has it (was the run \
                     interrupted, or a file removed?)"
                ),
            });
        }
    }
    Ok(())
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn check_summary(summary: &Value, command: &str) -> Result<(), String> {
    let Some(top) = summary.as_object() else {
        return Err(format!(
            "summary.json must be a JSON object, found {}",
            kind(summary)
        ));
    };
    let wrong = |field: &str, want: &str, found: &Value| {
        Err(format!(
            "field \"{field}\" must be {want}, found {}",
            kind(found)
        ))
    };
    // Fields may be missing (older or hand-made folders; the page leaves them out), but those
    // present must have the types the page reads.
    if let Some(documents) = top.get("documents") {
        let Some(documents) = documents.as_object() else {
            return wrong("documents", "an object of counts", documents);
        };
        for count in ["read", "accepted", "skipped"] {
            match documents.get(count) {
                Some(v) if !v.is_u64() => {
                    return wrong(&format!("documents.{count}"), "a whole number >= 0", v)
                }
                _ => {}
            }
        }
    }
    let mut counts = vec!["documents", "pairs", "skipped_by_reason", "timings_ms"];
    counts.extend(if command == "dedup" {
        &["clusters"][..]
    } else {
        &["stories", "boilerplate"][..]
    });
    for section in counts {
        match top.get(section) {
            None => {}
            Some(Value::Object(members)) => {
                for (key, v) in members {
                    if !v.is_number() {
                        return wrong(&format!("{section}.{key}"), "a number", v);
                    }
                }
            }
            Some(other) => return wrong(section, "an object of numbers", other),
        }
    }
    match top.get("parameters") {
        None | Some(Value::Object(_)) => {}
        Some(other) => return wrong("parameters", "an object", other),
    }
    match top.get("inputs") {
        Some(Value::Array(inputs)) => {
            for (i, input) in inputs.iter().enumerate() {
                match input.get("path") {
                    Some(Value::String(_)) => {}
                    Some(other) => return wrong(&format!("inputs[{i}].path"), "a string", other),
                    None if input.is_object() => {
                        return Err(format!("field \"inputs[{i}].path\" is missing"))
                    }
                    None => return wrong(&format!("inputs[{i}]"), "an object", input),
                }
            }
        }
        Some(other) => return wrong("inputs", "an array", other),
        None => {}
    }
    for (field, want) in [("skipped", "an array"), ("outputs", "an array")] {
        match top.get(field) {
            None | Some(Value::Array(_)) => {}
            Some(other) => return wrong(field, want, other),
        }
    }
    match top.get("threads") {
        None => {}
        Some(v) if v.is_u64() => {}
        Some(v) => return wrong("threads", "a whole number", v),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn good() -> Value {
        json!({
            "command": "dedup",
            "documents": {"read": 2, "accepted": 2, "skipped": 0, "kept": 2},
            "clusters": {"total": 2},
            "pairs": {"near": 0},
            "parameters": {"threshold": 0.8},
            "inputs": [{"path": "a.jsonl", "format": "jsonl"}],
            "timings_ms": {"total": 1.5},
            "threads": 2
        })
    }

    #[test]
    fn the_shape_the_jobs_write_passes_and_wrong_types_are_named() {
        assert_eq!(check_summary(&good(), "dedup"), Ok(()));
        let cases: Vec<(Value, &str)> = vec![
            (json!([]), "must be a JSON object, found an array"),
            (json!({"documents": "x"}), "\"documents\" must be an object"),
            (
                json!({"documents": {"read": "2"}}),
                "\"documents.read\" must be a whole number",
            ),
        ];
        for (summary, message) in cases {
            let e = check_summary(&summary, "dedup").unwrap_err();
            assert!(e.contains(message), "{e}");
        }
        for (pointer, value, message) in [
            ("/documents/accepted", json!(-1), "documents.accepted"),
            ("/clusters/total", json!("many"), "clusters.total"),
            ("/parameters", json!(3), "\"parameters\" must be an object"),
            ("/inputs", json!({}), "\"inputs\" must be an array"),
            ("/inputs/0/path", json!(7), "inputs[0].path"),
            ("/timings_ms", json!([1]), "timings_ms"),
            ("/threads", json!("two"), "threads"),
        ] {
            let mut s = good();
            *s.pointer_mut(pointer).unwrap() = value;
            let e = check_summary(&s, "dedup").unwrap_err();
            assert!(e.contains(message), "{pointer}: {e}");
        }
    }
}
