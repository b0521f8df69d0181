//! Text that recurs across many documents of a corpus is not evidence that two of them share text
//! (`reuse --semantic`).
//!
//! The lexical stage masks what repeats verbatim in enough documents (boilerplate n-grams,
//! template lines by their label, signatures: [`super::templates`], [`super::signatures`]). The
//! semantic pass relates documents by two short passages each, and what got through on Reuters +
//! 20 Newsgroups was mostly short lines of one series (a column's trailer, a briefing's header, a
//! FAQ's table of contents, one company's disclaimer: bench/RESULTS.md 8.14, 8.18), too few words
//! or too few documents for those masks, sometimes reworded from one issue to the next. Any two
//! issues of the series share them; a quote or a reprint is shared by few documents.
//!
//! The pass already counts, for every rare word pair (two rare words of one sentence,
//! [`super::reworded::word_pairs`]), the documents that hold it, to find its candidates. With
//! [`super::reworded::RewordedConfig::template_docs`] `n`, the word pairs held by `n` documents or
//! more are *common*, and a passage (verbatim or reworded) whose two sides share rare word pairs,
//! every one of them common, is a recurring line, not a passage said twice ([`recurring`]). A
//! passage whose sides share no rare word pair is left to the other rules. By words or by
//! meaning: a reworded line of a series keeps its rare word pairs as a paraphrase does.
//!
//! Memory: the hashes of the common word pairs (8 bytes each), sorted; the word pairs of two
//! passage sides at a time.

use super::reworded::word_pairs;
use crate::align::{Bag, Passage, Prepared};

/// Fewest shared rare word pairs of a recurring line: three rare words in common (three pairs), a
/// line of its own; one or two pairs are a name and a place, which a paraphrase of a sentence on a
/// common subject may share with many documents (on the dev sets, with one pair enough, true
/// passages of 1 to 2 pairs in common were taken for recurring lines: bench/RESULTS.md 8.24).
const MIN_SHARED: usize = 3;

/// The sentences of `doc` with a word inside the character span `(s, e)`, as a range of units.
fn units_touching(doc: &Prepared, (s, e): (usize, usize)) -> std::ops::Range<usize> {
    let touches = |u: usize| {
        let unit = &doc.units[u];
        !unit.is_empty()
            && doc.char_offset(doc.spans[unit.first].0) < e
            && doc.char_offset(doc.spans[unit.end - 1].1) > s
    };
    let Some(first) = (0..doc.units.len()).find(|&u| touches(u)) else {
        return 0..0;
    };
    let last = (first..doc.units.len())
        .rev()
        .find(|&u| touches(u))
        .unwrap_or(first);
    first..last + 1
}

/// The rare word pairs (hashes, sorted, distinct) of the sentences of one side of a passage.
fn side_pairs(doc: &Prepared, bags: &[Bag], span: (usize, usize), per_sentence: usize) -> Vec<u64> {
    let units = units_touching(doc, span);
    let bags = bags.get(units).unwrap_or(&[]);
    // `word_pairs` gives them sorted by hash, distinct.
    word_pairs(bags, per_sentence)
        .into_iter()
        .map(|(h, _)| h)
        .collect()
}

/// The rare word pairs the sides of passage `p` between `a` and `b` (prepared, with their
/// sentences' bags) share (of their sentences' `per_sentence` rarest words, as the candidates are
/// found), and how many of them are not in `common` (sorted hashes).
pub fn shared_pairs(
    p: &Passage,
    (a, bags_a): (&Prepared, &[Bag]),
    (b, bags_b): (&Prepared, &[Bag]),
    common: &[u64],
    per_sentence: usize,
) -> (usize, usize) {
    let x = side_pairs(a, bags_a, p.a, per_sentence);
    let y = side_pairs(b, bags_b, p.b, per_sentence);
    let (mut i, mut j, mut shared, mut rare) = (0, 0, 0usize, 0usize);
    while i < x.len() && j < y.len() {
        match x[i].cmp(&y[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                rare += usize::from(common.binary_search(&x[i]).is_err());
                i += 1;
                j += 1;
            }
        }
    }
    (shared, rare)
}

/// Whether passage `p` is a recurring line: its sides share at least [`MIN_SHARED`] rare word
/// pairs, every one in `common` (see [`shared_pairs`]).
pub fn recurring(
    p: &Passage,
    a: (&Prepared, &[Bag]),
    b: (&Prepared, &[Bag]),
    common: &[u64],
    per_sentence: usize,
) -> bool {
    let (shared, rare) = shared_pairs(p, a, b, common, per_sentence);
    shared >= MIN_SHARED && rare == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::align::{unit_bags, AlignConfig, KeyWeights, PassageKind};

    /// Two documents prepared, every content word rare (weights of the pair, rare from weight 0),
    /// with their sentences' bags.
    fn prepared<'t>(
        a: &'t str,
        b: &'t str,
    ) -> ((Prepared<'t>, Vec<Bag>), (Prepared<'t>, Vec<Bag>)) {
        let config = AlignConfig::default();
        let (pa, pb) = (Prepared::new(a, &config), Prepared::new(b, &config));
        let weights = KeyWeights::for_pair(&pa, &pb);
        let (ba, bb) = (unit_bags(&pa, &weights), unit_bags(&pb, &weights));
        ((pa, ba), (pb, bb))
    }

    /// A verbatim passage over the first `chars` characters of both sides, of `words` words.
    fn verbatim_line(chars: usize, words: usize) -> Passage {
        Passage {
            a: (0, chars),
            b: (0, chars),
            a_words: words,
            b_words: words,
            score: 1.0,
            evidence: 1.0,
            kind: PassageKind::Verbatim,
        }
    }

    #[test]
    fn a_line_whose_shared_word_pairs_are_all_common_recurs() {
        let a = "Ambassador Fitzwater briefed reporters aboard Marine helicopters today. \
                 Farmers planted sorghum early.";
        let b = "Ambassador Fitzwater briefed reporters aboard Marine helicopters today. \
                 Glaciers retreated quickly.";
        let ((pa, ba), (pb, bb)) = prepared(a, b);
        let line = a.find(" Farmers").unwrap();
        let p = verbatim_line(line, 8);
        let shared = side_pairs(&pa, &ba, p.a, 10);
        assert!(!shared.is_empty());
        // Every pair of the line held by many documents: a recurring line.
        assert!(recurring(&p, (&pa, &ba), (&pb, &bb), &shared, 10));
        // One of its pairs rare in the corpus: said twice, not recurring.
        assert!(!recurring(&p, (&pa, &ba), (&pb, &bb), &shared[1..], 10));
        assert!(!recurring(&p, (&pa, &ba), (&pb, &bb), &[], 10));
        // Sides that share no word pair are left to the other rules.
        let end = a.chars().count();
        let q = Passage {
            a: (line + 1, end),
            b: (line + 1, b.chars().count()),
            ..p
        };
        assert!(!recurring(&q, (&pa, &ba), (&pb, &bb), &shared, 10));
    }

    #[test]
    fn a_line_sharing_fewer_than_three_word_pairs_does_not_recur() {
        // Two rare words in common (one pair): a name and a place, not a line of its own.
        let a = "Fitzwater in Kennebunkport. Farmers planted sorghum early.";
        let b = "Fitzwater in Kennebunkport. Glaciers retreated quickly.";
        let ((pa, ba), (pb, bb)) = prepared(a, b);
        let line = a.find(" Farmers").unwrap();
        let p = verbatim_line(line, 3);
        let pairs = side_pairs(&pa, &ba, p.a, 10);
        assert!(!pairs.is_empty() && pairs.len() < MIN_SHARED, "{pairs:?}");
        assert_eq!(
            shared_pairs(&p, (&pa, &ba), (&pb, &bb), &pairs, 10),
            (pairs.len(), 0)
        );
        assert!(!recurring(&p, (&pa, &ba), (&pb, &bb), &pairs, 10));
    }
}
