//! Boilerplate spans: stretches of a document covered by n-grams that repeat across many documents of
//! its source (or of the corpus), grouped across documents for reporting.

use super::index::GLOBAL;
use std::collections::HashSet;

/// One stretch of boilerplate in a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// First token.
    pub first: usize,
    /// One past the last token.
    pub end: usize,
    /// True when corpus-wide boilerplate n-grams cover any of it (otherwise only its source's do).
    pub global: bool,
}

/// Stretches of `doc`'s boilerplate, at least `min_words` long. `grams[p]` is the n-gram starting at
/// token `p`; a token is boilerplate when an n-gram covering it is boilerplate of the document's
/// source or of the corpus.
pub fn spans(
    grams: &[u64],
    source: u32,
    boilerplate: &HashSet<(u64, u32)>,
    n: usize,
    min_words: usize,
) -> Vec<Span> {
    if boilerplate.is_empty() {
        return Vec::new();
    }
    let mut spans: Vec<Span> = Vec::new();
    for (p, &g) in grams.iter().enumerate() {
        let global = boilerplate.contains(&(g, GLOBAL));
        if !(global || boilerplate.contains(&(g, source))) {
            continue;
        }
        match spans.last_mut() {
            Some(last) if p <= last.end => {
                last.end = last.end.max(p + n);
                last.global |= global;
            }
            _ => spans.push(Span {
                first: p,
                end: p + n,
                global,
            }),
        }
    }
    spans.retain(|s| s.end - s.first >= min_words);
    spans
}

/// The spans of `spans` to mask in a document whose text is `text` and whose tokens lie at
/// `token_spans` (byte ranges): those of at least `inline_words` words, and shorter ones only when
/// they fill their lines. A short stretch inside a line is a stock phrase of the language (`I don't
/// know how to`, in 50 of 19,000 posts of a newsgroup corpus read as one source), and masking it
/// would cut a quotation that runs through it into pieces too short to count; a short line of its
/// own (`Share this article: Facebook, Twitter`) is a house line. `inline_words` 0 masks every span.
pub fn to_mask<'s>(
    spans: &'s [Span],
    text: &str,
    token_spans: &[(usize, usize)],
    inline_words: usize,
) -> impl Iterator<Item = &'s Span> + 's {
    let keep: Vec<bool> = spans
        .iter()
        .map(|s| {
            let end = s.end.min(token_spans.len());
            if end <= s.first || end - s.first >= inline_words {
                return true;
            }
            let starts_line = s.first == 0
                || text[token_spans[s.first - 1].1..token_spans[s.first].0].contains('\n');
            let ends_line = end == token_spans.len()
                || text[token_spans[end - 1].1..token_spans[end].0].contains('\n');
            starts_line && ends_line
        })
        .collect();
    spans.iter().zip(keep).filter(|(_, k)| *k).map(|(s, _)| s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_stretches_are_masked_only_when_they_fill_their_lines() {
        use crate::text::{tokenize, Normalization};
        let text = "I can buy the tools but I don't know how to do it myself.\nShare this: Facebook, Twitter\nMore text here.\n";
        let tokens = tokenize(text, &Normalization::default());
        let word = |w: &str| {
            (0..tokens.len())
                .position(|i| tokens.token(i) == w)
                .unwrap()
        };
        // "i don't know how to": tokens 6 to 10.
        let phrase = Span {
            first: 6,
            end: 11,
            global: false,
        };
        let line = Span {
            first: word("share"),
            end: word("twitter") + 1,
            global: false,
        };
        let spans = [phrase, line];
        let kept = |w| {
            to_mask(&spans, text, &tokens.original_spans, w)
                .copied()
                .collect::<Vec<_>>()
        };
        assert_eq!((tokens.token(6), tokens.token(10)), ("i", "to"));
        assert_eq!(
            kept(8),
            [line],
            "the stock phrase inside a sentence stays text"
        );
        assert_eq!(kept(5), [phrase, line], "long enough to mask anywhere");
        assert_eq!(kept(0), [phrase, line]);
    }

    #[test]
    fn overlapping_grams_merge_and_short_stretches_drop() {
        let boiler: HashSet<(u64, u32)> = [(10, 0), (11, 0), (12, 0), (50, GLOBAL)].into();
        // Grams of 3 words; 10, 11, 12 at positions 1-3 cover tokens 1..6; 50 at 8 covers 8..11.
        let grams = [0, 10, 11, 12, 0, 0, 0, 0, 50, 0];
        let ranges = |v: Vec<Span>| {
            v.iter()
                .map(|s| (s.first, s.end, s.global))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ranges(spans(&grams, 0, &boiler, 3, 3)),
            [(1, 6, false), (8, 11, true)]
        );
        assert_eq!(ranges(spans(&grams, 0, &boiler, 3, 4)), [(1, 6, false)]);
        assert_eq!(
            ranges(spans(&grams, 1, &boiler, 3, 3)),
            [(8, 11, true)],
            "another source's boilerplate is text"
        );
    }
}
