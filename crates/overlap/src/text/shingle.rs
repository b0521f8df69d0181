//! Word n-gram shingles, hashed to 64 bits with xxh3.
//!
//! A shingle's hash is `xxh3_64` of its normalized tokens joined by single spaces, a definition any
//! other implementation (Python's `xxhash.xxh3_64`, say) can reproduce. Because [`Tokens::normalized`]
//! already holds the tokens joined that way, each shingle is hashed straight from a slice of it,
//! without building a string per shingle.

use super::Tokens;
use xxhash_rust::xxh3::{xxh3_128, xxh3_64};

/// Append the hash of every word `n`-gram of `tokens` to `out`, in text order (repeats included).
///
/// A document with fewer than `n` tokens (but at least one) yields a single shingle of all its tokens,
/// so short documents still take part in deduplication; an empty document yields nothing.
/// `n = 0` is treated as 1.
pub fn shingle_hashes(tokens: &Tokens, n: usize, out: &mut Vec<u64>) {
    let n = n.max(1);
    let spans = &tokens.normalized_spans;
    let bytes = tokens.normalized.as_bytes();
    if spans.is_empty() {
        return;
    }
    if spans.len() < n {
        out.push(xxh3_64(bytes));
        return;
    }
    out.reserve(spans.len() + 1 - n);
    for (first, last) in spans.iter().zip(&spans[n - 1..]) {
        out.push(xxh3_64(&bytes[first.0..last.1]));
    }
}

/// The set of shingle hashes of `tokens`: sorted and without repeats, written into `out` (cleared first).
pub fn shingle_set(tokens: &Tokens, n: usize, out: &mut Vec<u64>) {
    out.clear();
    shingle_hashes(tokens, n, out);
    out.sort_unstable();
    out.dedup();
}

/// The exact-duplicate key of a document: the 128-bit xxh3 of its normalized text.
///
/// Two documents share a key exactly when their normalized token sequences are equal (up to the
/// negligible chance of a 128-bit collision).
pub fn exact_key(tokens: &Tokens) -> u128 {
    xxh3_128(tokens.normalized.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{tokenize, Normalization};

    fn shingles(text: &str, n: usize) -> Vec<u64> {
        let mut out = Vec::new();
        shingle_hashes(&tokenize(text, &Normalization::default()), n, &mut out);
        out
    }

    #[test]
    fn hash_is_xxh3_of_space_joined_tokens() {
        assert_eq!(
            shingles("The quick, brown FOX jumps", 3),
            [
                xxh3_64(b"the quick brown"),
                xxh3_64(b"quick brown fox"),
                xxh3_64(b"brown fox jumps")
            ]
        );
    }

    #[test]
    fn short_documents_get_one_shingle_and_empty_ones_none() {
        assert_eq!(shingles("Just two", 5), [xxh3_64(b"just two")]);
        assert!(shingles("  ... ", 5).is_empty());
    }

    #[test]
    fn exact_key_ignores_case_punctuation_and_spacing() {
        let norm = Normalization::default();
        let a = exact_key(&tokenize("Hello,   world!", &norm));
        let b = exact_key(&tokenize("hello world", &norm));
        let c = exact_key(&tokenize("hello there world", &norm));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
