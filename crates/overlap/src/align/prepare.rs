//! A document made ready for alignment: tokens with their hashes, soft-match keys and weights,
//! sentence units, and the map from bytes to characters for reporting offsets.
//!
//! Memory: about 40 bytes per token (spans, hashes, keys, weights, unit), plus the text.

use super::units::{units, Unit};
use super::AlignConfig;
use crate::hashing::FastSet;
use crate::text::tokenize;
use std::sync::OnceLock;
use xxhash_rust::xxh3::xxh3_64;

/// A document prepared for alignment. Borrowing the text keeps preparation allocation-light.
#[derive(Clone, Debug)]
pub struct Prepared<'t> {
    /// The original text.
    pub text: &'t str,
    /// Byte range of each token in the original text. (The normalized text of the tokens is not
    /// kept: `hashes` and `keys` are what alignment compares, and dropping it saves a third of the
    /// memory of a long document.)
    pub spans: Vec<(usize, usize)>,
    /// Hash of each normalized token: equal hashes are the same word.
    pub hashes: Vec<u64>,
    /// Soft-match key of each token: words with the same stem-like prefix share it
    /// (`characterize`/`characterized`, `Sergei`/`Sergey`).
    pub keys: Vec<u64>,
    /// Weight of each token in similarity: low for function words, zero where masked.
    pub weights: Vec<u32>,
    /// Sentence units.
    pub units: Vec<Unit>,
    /// For each token, the index of its unit.
    pub unit_of: Vec<u32>,
    /// Sorted byte offsets where a character begins past ASCII, for byte-to-char conversion.
    char_starts: CharIndex,
    /// Characters inside masked (boilerplate) spans.
    masked: usize,
    /// Which tokens are masked (empty while none is).
    pub masked_tokens: Vec<bool>,
}

/// Weight of a content word; function words weigh 1.
pub const CONTENT_WEIGHT: u32 = 4;

impl<'t> Prepared<'t> {
    /// Prepare `text`.
    pub fn new(text: &'t str, config: &AlignConfig) -> Self {
        let tokens = tokenize(text, &config.normalization);
        let n = tokens.len();
        let mut hashes = Vec::with_capacity(n);
        let mut keys = Vec::with_capacity(n);
        let mut weights = Vec::with_capacity(n);
        for i in 0..n {
            let word = tokens.token(i);
            hashes.push(xxh3_64(word.as_bytes()));
            keys.push(xxh3_64(soft_key(word).as_bytes()));
            weights.push(if is_function_word(word) {
                1
            } else {
                CONTENT_WEIGHT
            });
        }
        let units = units(text, &tokens);
        let mut unit_of = vec![0u32; n];
        for (u, unit) in units.iter().enumerate() {
            unit_of[unit.first..unit.end].fill(u as u32);
        }
        Prepared {
            text,
            char_starts: CharIndex::new(text),
            spans: tokens.original_spans,
            hashes,
            keys,
            weights,
            units,
            unit_of,
            masked: 0,
            masked_tokens: Vec::new(),
        }
    }

    /// Exclude tokens `first..end` from alignment (boilerplate): they match nothing and weigh
    /// nothing.
    pub fn mask(&mut self, first: usize, end: usize) {
        let end = end.min(self.hashes.len());
        if first >= end {
            return;
        }
        if self.masked_tokens.is_empty() {
            self.masked_tokens = vec![false; self.hashes.len()];
        }
        // Count only what no earlier call masked: boilerplate, template and signature stretches
        // may overlap, and a character counted twice would inflate the pair score.
        let mut t = first;
        while t < end {
            if self.masked_tokens[t] {
                t += 1;
                continue;
            }
            let run = t;
            while t < end && !self.masked_tokens[t] {
                t += 1;
            }
            // The gaps to masked neighbours inside this call's range are newly covered too.
            let from = if run > first {
                self.spans[run - 1].1
            } else {
                self.spans[run].0
            };
            let to = if t < end {
                self.spans[t].0
            } else {
                self.spans[t - 1].1
            };
            self.masked += self.char_offset(to) - self.char_offset(from);
        }
        self.masked_tokens[first..end].fill(true);
        self.weights[first..end].fill(0);
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// True when the text has no token.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Character (code point) offset of byte offset `byte`.
    pub fn char_offset(&self, byte: usize) -> usize {
        self.char_starts.char_offset(byte)
    }

    /// Characters inside masked spans (each masked run of tokens counted once, however many
    /// [`Prepared::mask`] calls cover it).
    pub fn masked_chars(&self) -> usize {
        self.masked
    }

    /// The text of the character span `(s, e)` (as `text.chars().skip(s).take(e - s)`, without
    /// walking the text from its start: passages are given in characters, and a long document's
    /// passages were read that way once each).
    pub fn char_span_text(&self, (s, e): (usize, usize)) -> &'t str {
        let at = |c: usize| self.char_starts.byte_offset(c).min(self.text.len());
        let (start, end) = (at(s), at(e.max(s)));
        &self.text[start..end]
    }

    /// Length of the text in characters.
    pub fn char_len(&self) -> usize {
        self.char_starts.char_offset(self.text.len())
    }
}

/// Byte-to-character conversion in O(log n), exact for any text.
#[derive(Clone, Debug)]
struct CharIndex {
    /// `(byte offset, char offset, width in bytes)` of every non-ASCII character: between them one
    /// byte is one character.
    marks: Vec<(usize, usize, usize)>,
}

impl CharIndex {
    fn new(text: &str) -> Self {
        let marks = if text.is_ascii() {
            Vec::new()
        } else {
            text.char_indices()
                .enumerate()
                .filter(|(_, (_, c))| !c.is_ascii())
                .map(|(chars, (byte, c))| (byte, chars, c.len_utf8()))
                .collect()
        };
        CharIndex { marks }
    }

    /// The byte offset of character `chars` (the inverse of [`Self::char_offset`]).
    fn byte_offset(&self, chars: usize) -> usize {
        match self.marks.partition_point(|&(_, c, _)| c < chars) {
            0 => chars,
            i => {
                let (b, c, w) = self.marks[i - 1];
                b + w + (chars - c - 1)
            }
        }
    }

    /// The character offset of `byte`, a character boundary.
    fn char_offset(&self, byte: usize) -> usize {
        match self.marks.partition_point(|&(b, _, _)| b < byte) {
            0 => byte,
            i => {
                let (b, c, w) = self.marks[i - 1];
                c + 1 + (byte - (b + w))
            }
        }
    }
}

/// The soft-match key of a normalized word: possessive and common suffixes removed, then cut to
/// five characters, so that inflections and small spelling variants of longer words meet.
pub fn soft_key(word: &str) -> String {
    let w = word.strip_suffix("'s").unwrap_or(word);
    let mut stem = w;
    for suffix in ["ing", "ed", "es", "ly", "s"] {
        if let Some(s) = w.strip_suffix(suffix) {
            if s.chars().count() >= 4 {
                stem = s;
                break;
            }
        }
    }
    stem.chars().take(5).collect()
}

/// English function words: they carry little of a sentence's content, so they weigh little when
/// comparing sentences. (Other languages' function words simply weigh as content.)
pub fn is_function_word(word: &str) -> bool {
    is_function_hash(xxh3_64(word.as_bytes()))
}

/// [`is_function_word`] for a word given by its xxh3 hash (the form tokens are kept in).
fn is_function_hash(hash: u64) -> bool {
    static SET: OnceLock<FastSet<u64>> = OnceLock::new();
    SET.get_or_init(|| {
        FUNCTION_WORDS
            .iter()
            .map(|w| xxh3_64(w.as_bytes()))
            .collect()
    })
    .contains(&hash)
}

const FUNCTION_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "it's",
    "its",
    "itself",
    "just",
    "me",
    "more",
    "most",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "said",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "yourself",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_masks_count_each_character_once() {
        let config = AlignConfig::default();
        let text = "one two three four five six";
        let mut once = Prepared::new(text, &config);
        once.mask(0, 4);
        let mut twice = Prepared::new(text, &config);
        twice.mask(0, 3);
        twice.mask(1, 4);
        twice.mask(0, 2);
        assert_eq!(once.masked_chars(), "one two three four".len());
        assert_eq!(twice.masked_chars(), once.masked_chars());
        assert_eq!(twice.masked_tokens, once.masked_tokens);
    }

    #[test]
    fn function_words_are_sorted_for_binary_search() {
        assert!(FUNCTION_WORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(is_function_word("the"));
        assert!(!is_function_word("lavrov"));
    }

    #[test]
    fn soft_keys_meet_across_inflection_and_spelling() {
        assert_eq!(soft_key("characterize"), soft_key("characterized"));
        assert_eq!(soft_key("sergei"), soft_key("sergey"));
        assert_eq!(soft_key("lavrov's"), soft_key("lavrov"));
        assert_eq!(soft_key("freeing"), soft_key("free"));
        assert_ne!(soft_key("bout"), soft_key("about"));
    }

    #[test]
    fn char_offsets_count_code_points() {
        let text = "héllo wörld — ok";
        let p = Prepared::new(text, &AlignConfig::default());
        for (chars, (byte, _)) in text.char_indices().enumerate() {
            assert_eq!(p.char_offset(byte), chars, "byte {byte}");
        }
        assert_eq!(p.char_len(), text.chars().count());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1000))]
        /// A character span's text is the one read character by character, in any text.
        #[test]
        fn a_character_span_is_read_as_characters(
            text in "[a-zé€ 😀\\.]{0,40}",
            s in 0usize..45,
            len in 0usize..45,
        ) {
            let p = Prepared::new(&text, &AlignConfig::default());
            let e = s + len;
            let want: String = text.chars().skip(s).take(e - s).collect();
            proptest::prop_assert_eq!(p.char_span_text((s, e)), want.as_str());
        }
    }
}
