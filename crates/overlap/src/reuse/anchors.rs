//! Anchor n-grams of a document: hashed word n-grams in text order, the keys of the corpus index that
//! finds candidate pairs and boilerplate.

use crate::text::Tokens;
use xxhash_rust::xxh3::xxh3_64;

/// The hash of every word `n`-gram of `tokens`, in order (one per start position). Documents shorter
/// than `n` words have none.
pub fn anchor_grams(tokens: &Tokens, n: usize) -> Vec<u64> {
    let n = n.max(1);
    let spans = &tokens.normalized_spans;
    if spans.len() < n {
        return Vec::new();
    }
    let bytes = tokens.normalized.as_bytes();
    spans
        .iter()
        .zip(&spans[n - 1..])
        .map(|(first, last)| xxh3_64(&bytes[first.0..last.1]))
        .collect()
}

/// The distinct values of `grams`, sorted.
pub fn distinct(grams: &[u64]) -> Vec<u64> {
    let mut d = grams.to_vec();
    d.sort_unstable();
    d.dedup();
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{tokenize, Normalization};

    #[test]
    fn grams_are_shingle_hashes_in_order() {
        let t = tokenize("One two, three four.", &Normalization::default());
        assert_eq!(
            anchor_grams(&t, 2),
            [
                xxh3_64(b"one two"),
                xxh3_64(b"two three"),
                xxh3_64(b"three four")
            ]
        );
        assert!(anchor_grams(&t, 5).is_empty());
    }
}
