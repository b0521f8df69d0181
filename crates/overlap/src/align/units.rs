//! Sentence units: the granularity at which reworded text is compared.
//!
//! A unit is a sentence, or a line when a line holds no sentence break. A line break ends a unit
//! (headings, list items and one-sentence paragraphs rarely continue across one) unless it is a soft
//! wrap: text hard-wrapped at a fixed width, where a line that fills the width and stops mid-sentence
//! continues on the next, or a line that stops mid-sentence before a line starting in lower case.
//! Blank lines and indented lines always end a unit. Inside a line, a unit ends after `.`, `!` or `?`
//! (and any closing quotes or brackets) when whitespace and then an upper-case letter, digit or
//! opening quote follow, unless the word before the period is a common abbreviation or an initial.
//! Very long units are cut at the token boundary nearest a clause mark so that one run-on line cannot
//! swallow a passage.

use crate::text::Tokens;

/// One unit: a run of tokens and its byte span in the original text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unit {
    /// First token.
    pub first: usize,
    /// One past the last token.
    pub end: usize,
    /// Byte span in the original text, from the unit's first character to its last (closing
    /// punctuation included, surrounding whitespace excluded).
    pub start_byte: usize,
    /// End of the span (exclusive).
    pub end_byte: usize,
}

impl Unit {
    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.end - self.first
    }

    /// True for a unit without tokens (never produced by [`units`]).
    pub fn is_empty(&self) -> bool {
        self.end == self.first
    }
}

/// Longest unit, in tokens, before it is cut.
pub const MAX_UNIT_TOKENS: usize = 60;

const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "st", "jr", "sr", "gen", "sen", "rep", "gov", "lt", "col", "capt",
    "sgt", "prof", "inc", "ltd", "co", "corp", "vs", "etc", "no", "jan", "feb", "mar", "apr",
    "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mt", "ft", "fig", "e.g", "i.e",
    "u.s", "u.k", "approx", "dept", "est", "vol", "pp", "cf",
];

/// Split `text` (already tokenized into `tokens`) into units, in order. Units without tokens are
/// dropped.
pub fn units(text: &str, tokens: &Tokens) -> Vec<Unit> {
    let breaks = break_points(text);
    let mut units = Vec::new();
    let spans = &tokens.original_spans;
    let mut seg_start = 0;
    let mut token = 0;
    for &brk in breaks.iter().chain(std::iter::once(&text.len())) {
        let first = token;
        while token < spans.len() && spans[token].0 < brk {
            token += 1;
        }
        if token > first {
            let (s, e) = trim(text, seg_start, brk);
            push_cut(text, tokens, first, token, s, e, &mut units);
        }
        seg_start = brk;
    }
    units
}

/// Byte offsets where a new unit begins.
fn break_points(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let width = text
        .lines()
        .map(|l| l.trim_end().chars().count())
        .max()
        .unwrap_or(0);
    let mut breaks = Vec::new();
    let mut line_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\n' {
            if !is_soft_wrap(&text[line_start..i], &text[i + 1..], width) {
                breaks.push(i + 1);
            }
            line_start = i + 1;
            i += 1;
            continue;
        }
        if matches!(b, b'.' | b'!' | b'?') {
            // Closing quotes and brackets belong to the sentence they close.
            let mut j = i + 1;
            while j < bytes.len() {
                let rest = &text[j..];
                let c = rest.chars().next().unwrap_or(' ');
                if matches!(
                    c,
                    '"' | '\'' | ')' | ']' | '”' | '’' | '»' | '.' | '!' | '?'
                ) {
                    j += c.len_utf8();
                } else {
                    break;
                }
            }
            let mut k = j;
            while k < bytes.len() && (bytes[k] == b' ' || bytes[k] == b'\t') {
                k += 1;
            }
            if k > j && k < bytes.len() {
                let next = text[k..].chars().next().unwrap_or(' ');
                let starts_sentence = next.is_uppercase()
                    || next.is_numeric()
                    || matches!(next, '"' | '\'' | '“' | '‘' | '(' | '«');
                if starts_sentence && !(b == b'.' && is_abbreviation(text, i)) {
                    breaks.push(k);
                }
            }
            i = j.max(i + 1);
            continue;
        }
        i += 1;
    }
    breaks
}

/// Shortest line that can be part of hard-wrapped text.
const MIN_WRAPPED_LINE: usize = 30;

/// Whether the line break between `line` and the text `after` it only wraps a sentence.
fn is_soft_wrap(line: &str, after: &str, width: usize) -> bool {
    let line = line.trim_end();
    let Some(last) = line.chars().last() else {
        return false;
    };
    let Some(next) = after.chars().next() else {
        return false;
    };
    // A blank or indented next line starts a paragraph; a line ending a sentence or clause block
    // ends the unit.
    if next.is_whitespace() || matches!(last, '.' | '!' | '?' | ':' | ';') {
        return false;
    }
    if !(last.is_alphanumeric() || matches!(last, ',' | '-' | '(' | '\'' | '"' | '’' | '”')) {
        return false;
    }
    let len = line.chars().count();
    let fills_width = len >= MIN_WRAPPED_LINE && len + 20 >= width;
    let continues = len >= MIN_WRAPPED_LINE && next.is_lowercase();
    fills_width || continues
}

/// True when the word ending just before byte `dot` is an abbreviation or a single-letter initial.
fn is_abbreviation(text: &str, dot: usize) -> bool {
    let before = &text[..dot];
    let word: String = before
        .chars()
        .rev()
        .take_while(|c| c.is_alphanumeric() || *c == '.')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if word.chars().count() == 1 && word.chars().all(char::is_uppercase) {
        return true;
    }
    let lower = word.to_lowercase();
    ABBREVIATIONS.contains(&lower.as_str())
}

/// The span `[start, end)` without surrounding whitespace.
fn trim(text: &str, start: usize, end: usize) -> (usize, usize) {
    let seg = &text[start..end];
    let lead = seg.len() - seg.trim_start().len();
    let trail = seg.len() - seg.trim_end().len();
    if lead + trail >= seg.len() {
        (start, start)
    } else {
        (start + lead, end - trail)
    }
}

/// Push tokens `first..end` (spanning bytes `s..e`) as one unit, or as several when longer than
/// [`MAX_UNIT_TOKENS`], cutting after the token followed by a clause mark nearest the middle.
fn push_cut(
    text: &str,
    tokens: &Tokens,
    first: usize,
    end: usize,
    s: usize,
    e: usize,
    out: &mut Vec<Unit>,
) {
    if end - first <= MAX_UNIT_TOKENS {
        out.push(Unit {
            first,
            end,
            start_byte: s,
            end_byte: e,
        });
        return;
    }
    let spans = &tokens.original_spans;
    let mid = first + (end - first) / 2;
    let clause_after = |t: usize| {
        let gap = &text[spans[t].1..spans[t + 1].0];
        gap.contains([',', ';', ':', '—', '–'])
    };
    // Search outwards from the middle for a clause mark; fall back to the middle itself.
    let cut = (0..(end - first) / 2)
        .flat_map(|d| [mid + d, mid.saturating_sub(d + 1)])
        .find(|&t| t > first && t + 1 < end && clause_after(t))
        .map_or(mid, |t| t + 1);
    let left_end = spans[cut - 1].1;
    let right_start = spans[cut].0;
    let (ls, le) = trim(text, s, left_end.max(s));
    push_cut(
        text,
        tokens,
        first,
        cut,
        ls,
        end_with_punct(text, le, right_start),
        out,
    );
    push_cut(text, tokens, cut, end, right_start, e, out);
}

/// Extend `end` over punctuation up to (not including) whitespace, without passing `limit`.
fn end_with_punct(text: &str, end: usize, limit: usize) -> usize {
    let extra = text[end..limit]
        .char_indices()
        .find(|(_, c)| c.is_whitespace())
        .map_or(limit - end, |(i, _)| i);
    end + extra
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{tokenize, Normalization};

    fn split(text: &str) -> Vec<&str> {
        let tokens = tokenize(text, &Normalization::default());
        units(text, &tokens)
            .iter()
            .map(|u| &text[u.start_byte..u.end_byte])
            .collect()
    }

    #[test]
    fn sentences_and_lines() {
        assert_eq!(
            split("First one. Second one! \"Third?\" she asked.\nA new line\n\n  Last."),
            [
                "First one.",
                "Second one!",
                "\"Third?\" she asked.",
                "A new line",
                "Last."
            ]
        );
    }

    #[test]
    fn hard_wrapped_text_is_joined_but_headings_and_paragraphs_are_not() {
        let text = "Showers continued throughout the week in the\nBahia cocoa zone, alleviating the drought since\nearly January.\n    The dry period means the temporao will be\nlate this year.\n";
        assert_eq!(
            split(text),
            [
                "Showers continued throughout the week in the\nBahia cocoa zone, alleviating the drought since\nearly January.",
                "The dry period means the temporao will be\nlate this year.",
            ]
        );
        let headed = "Blinken, Lavrov hold 'frank' discussions\nThe phone call is Blinken and Lavrov's first since February 15, and the first since the war began in Ukraine.\n";
        assert_eq!(split(headed).len(), 2);
    }

    #[test]
    fn abbreviations_and_initials_do_not_split() {
        assert_eq!(
            split("Mr. Smith met J. Doe in the U.S. capital. Then he left."),
            ["Mr. Smith met J. Doe in the U.S. capital.", "Then he left."]
        );
        assert_eq!(
            split("It grew 3.5 pct. in 1986."),
            ["It grew 3.5 pct. in 1986."]
        );
    }

    #[test]
    fn lower_case_after_a_period_continues_the_sentence() {
        assert_eq!(
            split("See fig. three for details."),
            ["See fig. three for details."]
        );
    }

    #[test]
    fn long_units_are_cut_at_clause_marks() {
        let long = (0..100)
            .map(|i| {
                if i == 45 {
                    "word45,".to_string()
                } else {
                    format!("word{i}")
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
        let parts = split(&long);
        assert_eq!(parts.len(), 2, "{parts:?}");
        assert!(parts[0].ends_with("word45,"), "{}", parts[0]);
        assert!(parts[1].starts_with("word46"));
    }

    #[test]
    fn punctuation_only_lines_make_no_unit() {
        assert_eq!(split("One.\n---\nTwo."), ["One.", "Two."]);
    }
}
