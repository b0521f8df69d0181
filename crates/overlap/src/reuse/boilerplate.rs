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

#[cfg(test)]
mod tests {
    use super::*;

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
