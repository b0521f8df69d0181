//! Template lines: lines that repeat across many documents with only their variable part changed,
//! such as quote headers (`In article <id>, someone writes:`), link lines (`Read more: <a title>`)
//! and labelled lines (`Source: ...`, `Photo: ...`). No n-gram of them repeats (the id, the address or
//! the title differs every time), so the n-gram boilerplate of [`super::index`] misses them; their
//! label does repeat, and that is what is counted here.
//!
//! A line is a template candidate when it is short and one to three words (its label) are followed
//! by a slot: a colon, an opening `<`, or a word holding a digit or an `@`. Its key is the label's
//! normalized words and the kind of slot. A key held by enough documents of a source (the same
//! document counts as for boilerplate n-grams) makes each such line of those documents boilerplate:
//! masked before alignment, never evidence of reuse.
//!
//! Memory: one key (8 bytes) and a token range per candidate line of every document.

use crate::text::Tokens;
use std::collections::HashMap;

/// Longest line, in words, that can be a template line.
const MAX_LINE_WORDS: usize = 25;
/// Most label words before the slot.
const MAX_LABEL_WORDS: usize = 3;

/// One candidate line of a document: its key and its tokens `[first, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TemplateLine {
    /// Hash of the label words and the slot kind.
    pub key: u64,
    /// First token of the line.
    pub first: u32,
    /// One past its last token.
    pub end: u32,
}

/// The template candidate lines of `text`, whose `tokens` are given.
pub fn template_lines(text: &str, tokens: &Tokens) -> Vec<TemplateLine> {
    let spans = &tokens.original_spans;
    let mut out = Vec::new();
    let mut line_start = 0;
    let mut t = 0; // first token at or after line_start
    for line in text.split_inclusive('\n') {
        let line_end = line_start + line.len();
        let first = t;
        while t < spans.len() && spans[t].0 < line_end {
            t += 1;
        }
        let count = t - first;
        if (2..=MAX_LINE_WORDS).contains(&count) {
            if let Some(label) = slot_after(text, spans, line_start, first, count) {
                let mut key_text = String::new();
                for i in first..first + label.words {
                    key_text.push_str(tokens.token(i));
                    key_text.push(' ');
                }
                key_text.push(label.slot);
                out.push(TemplateLine {
                    key: xxhash_rust::xxh3::xxh3_64(key_text.as_bytes()),
                    first: first as u32,
                    end: t as u32,
                });
            }
        }
        line_start = line_end;
    }
    out
}

/// The token ranges of each document's template lines whose key is boilerplate of its source:
/// held by at least `needed(source)` of the source's documents (a document counts once however
/// many such lines it has). `docs` pairs each document's candidate lines with its source number.
pub fn boilerplate_lines(
    docs: &[(&[TemplateLine], u32)],
    needed: impl Fn(u32) -> usize,
) -> Vec<Vec<(usize, usize)>> {
    let mut counts: HashMap<(u64, u32), usize> = HashMap::new();
    for &(lines, source) in docs {
        let mut keys: Vec<u64> = lines.iter().map(|l| l.key).collect();
        keys.sort_unstable();
        keys.dedup();
        for k in keys {
            *counts.entry((k, source)).or_default() += 1;
        }
    }
    docs.iter()
        .map(|&(lines, source)| {
            let needed = needed(source);
            lines
                .iter()
                .filter(|l| counts[&(l.key, source)] >= needed)
                .map(|l| (l.first as usize, l.end as usize))
                .collect()
        })
        .collect()
}

struct Label {
    words: usize,
    slot: char,
}

/// Where the line's label ends: the first of its tokens 2..=MAX_LABEL_WORDS+1 that is a slot.
fn slot_after(
    text: &str,
    spans: &[(usize, usize)],
    line_start: usize,
    first: usize,
    count: usize,
) -> Option<Label> {
    // A label starts the line: nothing but spaces or punctuation before its first word.
    if text[line_start..spans[first].0]
        .chars()
        .any(char::is_alphanumeric)
    {
        return None;
    }
    for k in 1..=MAX_LABEL_WORDS.min(count - 1) {
        let (prev_end, (start, end)) = (spans[first + k - 1].1, spans[first + k]);
        let gap = &text[prev_end..start];
        let word = &text[start..end];
        let slot = if gap.contains(':') {
            ':'
        } else if gap.contains('<') {
            '<'
        } else if word.contains('@') || gap.ends_with('@') || text[end..].starts_with('@') {
            '@'
        } else if word.bytes().any(|b| b.is_ascii_digit()) {
            '#'
        } else {
            continue;
        };
        // Label words hold no digits themselves: `July 29` is a date, not a label and a slot.
        let label_has_digits = spans[first..first + k]
            .iter()
            .any(|&(s, e)| text[s..e].bytes().any(|b| b.is_ascii_digit()));
        return (!label_has_digits).then_some(Label { words: k, slot });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{tokenize, Normalization};

    fn keys(text: &str) -> Vec<(u64, String)> {
        let tokens = tokenize(text, &Normalization::default());
        template_lines(text, &tokens)
            .into_iter()
            .map(|l| {
                let words: Vec<&str> = (l.first..l.end).map(|i| tokens.token(i as usize)).collect();
                (l.key, words.join(" "))
            })
            .collect()
    }

    #[test]
    fn quote_headers_and_link_lines_share_a_key_whatever_their_slot() {
        let a = keys("In article <1993Apr5.1234@cs.foo.edu> jsmith@foo.edu (John Smith) writes:\nbody text here\n");
        let b =
            keys("In article <C5L8r2.FAs@news.cso.uiuc.edu>, mary@bar.com writes:\nother words\n");
        assert_eq!(a.len(), 1);
        assert_eq!(b.len(), 1);
        assert_eq!(a[0].0, b[0].0);
        assert!(a[0].1.starts_with("in article"));
        let r1 = keys("Read more: Peru to Sell 40 State Firms\n");
        let r2 = keys("Read more: Russia cautions West against pumping weapons\n");
        assert_eq!(r1[0].0, r2[0].0);
        assert_ne!(r1[0].0, a[0].0);
        // Datelines: the day is the slot.
        let d1 = keys("MOSCOW, July 29 - The minister met his counterpart.\n");
        let d2 = keys("MOSCOW, July 30 - Talks resumed on grain exports.\n");
        assert_eq!(d1[0].0, d2[0].0);
    }

    #[test]
    fn ordinary_lines_are_not_templates() {
        assert!(keys("The company said it expected higher profits this year.\n").is_empty());
        assert!(
            keys("  He said: no.\n").len() == 1,
            "a colon after two words is a label"
        );
        let long = format!("Note: {}\n", "word ".repeat(40));
        assert!(keys(&long).is_empty(), "long lines are text, not templates");
    }

    #[test]
    fn a_label_held_by_enough_documents_of_a_source_is_boilerplate() {
        let lines = |text: &str| template_lines(text, &tokenize(text, &Normalization::default()));
        let docs: Vec<Vec<TemplateLine>> = [
            "Read more: Peru to Sell 40 State Firms\nbody\n",
            "Read more: Russia cautions West\nother\nRead more: Grain exports\n",
            "Read more: Talks resume\nthird\n",
        ]
        .iter()
        .map(|t| lines(t))
        .collect();
        let view = |sources: [u32; 3]| -> Vec<(&[TemplateLine], u32)> {
            docs.iter().map(Vec::as_slice).zip(sources).collect()
        };
        // Three documents hold the label (the second twice, counted once).
        let found = boilerplate_lines(&view([0, 0, 0]), |_| 3);
        assert_eq!(found.iter().map(Vec::len).collect::<Vec<_>>(), [1, 2, 1]);
        assert!(boilerplate_lines(&view([0, 0, 0]), |_| 4)
            .iter()
            .all(Vec::is_empty));
        // Of different sources, each source holds it once or twice.
        let found = boilerplate_lines(&view([0, 1, 0]), |s| if s == 0 { 2 } else { 3 });
        assert_eq!(found.iter().map(Vec::len).collect::<Vec<_>>(), [1, 0, 1]);
    }
}
