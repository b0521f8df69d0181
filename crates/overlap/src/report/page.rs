//! Assembling the page: the template with its stylesheet, script and data blocks filled in.

use super::payload::{Passages, Payload};
use serde::Serialize;

const TEMPLATE: &str = include_str!("template.html");
const STYLE: &str = include_str!("report.css");
const SCRIPT: &str = include_str!("report.js");

/// Serialize `value` as JSON that can sit inside `<script type="application/json">`: `<`, `>` and `&`
/// become `\u003c`, `\u003e` and `\u0026` (and the line separators U+2028, U+2029 are escaped too), so
/// no string in it can close the block or open a comment, whatever the documents hold. The result is
/// still JSON and parses to the same value.
pub fn escape_json_for_script(value: &impl Serialize) -> String {
    let json = serde_json::to_string(value).expect("report data serializes to JSON");
    let mut out = String::with_capacity(json.len() + json.len() / 64);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// The page of `payload` with `texts` (one per document) and `passages`.
pub(crate) fn render(payload: &Payload, texts: &[Option<String>], passages: &Passages) -> String {
    let data = escape_json_for_script(payload);
    let texts = escape_json_for_script(&texts);
    let passages = escape_json_for_script(passages);
    // The Content-Security-Policy lets only the script carrying this nonce run. It is a fixed
    // function of the script, so equal inputs give byte-identical pages.
    let nonce = format!("{:032x}", xxhash_rust::xxh3::xxh3_128(SCRIPT.as_bytes()));
    fill(TEMPLATE, |name| match name {
        "STYLE" => Some(STYLE),
        "SCRIPT" => Some(SCRIPT),
        "NONCE" => Some(&nonce),
        "DATA" => Some(&data),
        "TEXTS" => Some(&texts),
        "PASSAGES" => Some(&passages),
        _ => None,
    })
}

/// Replace every `@@NAME@@` of `template` by `value(NAME)`, in one pass over the template: inserted
/// text is never scanned again, so data cannot smuggle in a placeholder.
fn fill<'a>(template: &str, value: impl Fn(&str) -> Option<&'a str>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("@@") {
        let after = &rest[start + 2..];
        let name_end = after
            .find("@@")
            .filter(|&end| after[..end].bytes().all(|b| b.is_ascii_uppercase()));
        match name_end.and_then(|end| value(&after[..end]).map(|v| (end, v))) {
            Some((end, v)) => {
                out.push_str(&rest[..start]);
                out.push_str(v);
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[..start + 2]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_replaces_known_names_once() {
        let filled = fill("a @@X@@ b @@Y@@ @@ c @@x@@", |n| match n {
            "X" => Some("@@Y@@"),
            "Y" => Some("y"),
            _ => None,
        });
        assert_eq!(filled, "a @@Y@@ b y @@ c @@x@@");
    }

    #[test]
    fn static_parts_cannot_close_their_elements() {
        assert!(!SCRIPT.to_ascii_lowercase().contains("</script"));
        assert!(!SCRIPT.contains("<!--"));
        assert!(!STYLE.to_ascii_lowercase().contains("</style"));
        for name in ["STYLE", "SCRIPT", "NONCE", "DATA", "TEXTS", "PASSAGES"] {
            assert!(
                TEMPLATE.contains(&format!("@@{name}@@")),
                "{name} missing from the template"
            );
        }
    }
}
