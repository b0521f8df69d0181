//! Passage alignment of two documents: which spans of one were taken, verbatim or reworded, from the
//! other, despite reordering, inserted paragraphs and boilerplate.
//!
//! The method, in the order it runs:
//! 1. [`runs`]: verbatim runs, seeded by word n-grams unique in both documents and extended while
//!    the words agree, made one-to-one longest first;
//! 2. [`units`]: both documents cut into sentence units;
//! 3. [`pairing`]: units paired by verbatim runs between them or by weighted overlap of
//!    soft-matched words (rewording), strongest pairs first, one-to-one and then many-to-one for
//!    units that a longer unit of the other document contains;
//! 4. [`passages`]: each unit pair becomes a passage (verbatim when one side is copied whole,
//!    reworded otherwise), runs outside paired units become verbatim passages, and passages that
//!    follow each other in both documents merge.
//!
//! Offsets in the result are character (Unicode code point) offsets into the original texts.
//! Everything is symmetric: swapping the documents mirrors the passages.
//!
//! Memory: O(tokens) per document and O(candidate unit pairs); time is linear in the tokens plus the
//! unit pairs that share a content word.

mod pairing;
mod passages;
mod prepare;
mod runs;
mod semantic;
mod similarity;
mod units;

pub use prepare::{is_function_word, soft_key, Prepared, CONTENT_WEIGHT};
pub use runs::{sorted_grams, verbatim_runs, verbatim_runs_grams, verbatim_runs_masked, Run};
pub use semantic::{
    cosine, same_story, Rescore, Semantic, SemanticConfig, UnitVectors, SAME_STORY_SEMANTIC_WEIGHT,
};
pub use similarity::{Bag, KeyWeights};
pub use units::{units, Unit};

use crate::text::Normalization;
use serde::{Deserialize, Serialize};

/// Parameters of alignment. `Default` gives the documented defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlignConfig {
    /// Text normalization (as in dedup).
    pub normalization: Normalization,
    /// Length of the n-grams that seed verbatim runs. Default: 3.
    pub anchor_ngram: usize,
    /// Shortest verbatim run, in words, that counts as evidence. Default: 4.
    pub min_run: usize,
    /// Shortest verbatim passage, in words, outside paired sentences. Default: 6.
    pub min_passage_words: usize,
    /// Weighted Dice overlap of two sentences at or above which they are a rewording of each other.
    /// Default: 0.35.
    pub reworded_dice: f64,
    /// Share of the smaller sentence's weighted words found in the larger at or above which the
    /// smaller is a reworded part of the larger. Default: 0.75.
    pub reworded_containment: f64,
    /// Fewest content words two sentences must share to pair as reworded. Default: 3.
    pub min_shared_content_words: u32,
    /// Fewest rare words (in under 1% of a corpus's documents, with corpus weights; any content
    /// word otherwise) two sentences must share to pair as reworded. Default: 2.
    pub min_shared_rare_words: u32,
    /// Weighted Dice overlap enough for the sentences next to a pair, on both sides, to pair too
    /// (rewriting keeps order). Default: 0.25.
    pub context_dice: f64,
    /// Share of a sentence inside the partner of its paired neighbour enough for it to join that
    /// partner (a sentence split in two). Default: 0.5.
    pub context_containment: f64,
    /// Fewest content words shared by sentences paired through context. Default: 2.
    pub min_context_words: u32,
    /// Pair score at or above which two documents are related. Default: 0.2.
    pub related_score: f64,
    /// Fewest words in passages (on the side with fewer) for two documents to be related.
    /// Default: 12.
    pub min_related_words: usize,
    /// Passages holding at least this many words of evidence make two documents related whatever
    /// their score: a quoted paragraph inside a long article is reuse. A passage's evidence is its
    /// word count (on the side with fewer words) less 6, times its similarity, halved for an
    /// isolated weak rewording. Default: 15.
    pub min_related_evidence_words: f64,
    /// One verbatim passage of at least this many words (on the side with fewer) makes two documents
    /// related whatever their score: twelve words in the same order are not shared by chance once
    /// boilerplate is masked, and a short quote inside a long reply is reuse. Default: 12.
    pub min_related_verbatim_words: usize,
}

impl AlignConfig {
    /// Check that every parameter is in range: shares in [0, 1], counts and lengths at least 1,
    /// evidence finite and not negative. NaN and infinities are refused everywhere.
    pub fn validate(&self) -> crate::Result<()> {
        let bad = |m: String| Err(crate::Error::Config(m));
        for (name, v) in [
            ("reworded_dice", self.reworded_dice),
            ("reworded_containment", self.reworded_containment),
            ("context_dice", self.context_dice),
            ("context_containment", self.context_containment),
            ("related_score", self.related_score),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return bad(format!("{name} must be in [0, 1], got {v}"));
            }
        }
        if !(self.min_related_evidence_words >= 0.0 && self.min_related_evidence_words.is_finite())
        {
            return bad(format!(
                "min_related_evidence_words must be a finite number >= 0, got {}",
                self.min_related_evidence_words
            ));
        }
        for (name, v) in [
            ("anchor_ngram", self.anchor_ngram),
            ("min_run", self.min_run),
            (
                "min_shared_content_words",
                self.min_shared_content_words as usize,
            ),
        ] {
            if v == 0 {
                return bad(format!("{name} must be at least 1"));
            }
        }
        Ok(())
    }
}

impl Default for AlignConfig {
    fn default() -> Self {
        AlignConfig {
            normalization: Normalization::default(),
            anchor_ngram: 3,
            min_run: 4,
            min_passage_words: 6,
            reworded_dice: 0.35,
            reworded_containment: 0.75,
            min_shared_content_words: 3,
            min_shared_rare_words: 2,
            context_dice: 0.25,
            context_containment: 0.5,
            min_context_words: 2,
            related_score: 0.2,
            min_related_words: 12,
            min_related_evidence_words: 15.0,
            min_related_verbatim_words: 12,
        }
    }
}

/// Whether a passage is copied word for word or reworded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PassageKind {
    /// The same words in the same order (after normalization).
    Verbatim,
    /// Corresponding text with words changed, added, dropped or moved.
    Reworded,
}

/// One aligned passage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Passage {
    /// Half-open character span in the first document.
    pub a: (usize, usize),
    /// Half-open character span in the second document.
    pub b: (usize, usize),
    /// Words of the first document inside the passage.
    #[serde(skip)]
    pub a_words: usize,
    /// Words of the second document inside the passage.
    #[serde(skip)]
    pub b_words: usize,
    /// Similarity of the two spans: 1 for verbatim, weighted word overlap for reworded.
    pub score: f64,
    /// How much the passage counts towards the pair score: its similarity, halved for a weakly
    /// similar reworded passage with no other passage in the neighbouring sentences.
    #[serde(skip)]
    pub evidence: f64,
    /// Verbatim or reworded.
    pub kind: PassageKind,
}

/// The alignment of two documents.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alignment {
    /// Whether the documents share enough text to be related (see [`AlignConfig::related_score`]).
    pub related: bool,
    /// How much of the more-reused document is covered, weighted by passage similarity: the larger
    /// of the two documents' weighted coverages, boilerplate excluded.
    pub score: f64,
    /// Fraction of the first document's characters inside passages.
    pub coverage_a: f64,
    /// Fraction of the second document's characters inside passages.
    pub coverage_b: f64,
    /// The passages, in order of their position in the first document.
    pub passages: Vec<Passage>,
}

/// Words of every passage that count for nothing towards [`AlignConfig::min_related_evidence_words`]:
/// short lines (a link, a headline, a credit) recur by chance or by house style.
const SHORT_PASSAGE_WORDS: usize = 6;

/// Align two texts.
///
/// ```
/// use overlap::align::{align, AlignConfig, PassageKind};
///
/// let a = "The minister met his counterpart on Friday. They talked for an hour about grain exports.";
/// let b = "They talked for an hour about grain exports. The call was their first since February.";
/// let al = align(a, b, &AlignConfig::default());
/// assert_eq!(al.passages.len(), 1);
/// let p = &al.passages[0];
/// assert_eq!(p.kind, PassageKind::Verbatim);
/// let chars: Vec<char> = a.chars().collect();
/// assert_eq!(chars[p.a.0..p.a.1].iter().collect::<String>(), "They talked for an hour about grain exports.");
/// ```
pub fn align(a: &str, b: &str, config: &AlignConfig) -> Alignment {
    let pa = Prepared::new(a, config);
    let pb = Prepared::new(b, config);
    align_prepared(&pa, &pb, config)
}

/// Align two prepared documents (prepare each once when aligning it with many others). Words are
/// weighted by their rarity among the sentences of the two documents.
pub fn align_prepared(a: &Prepared, b: &Prepared, config: &AlignConfig) -> Alignment {
    if is_exact_copy(a, b) {
        return exact_copy(a, b);
    }
    align_prepared_with(a, b, &similarity::KeyWeights::for_pair(a, b), config)
}

/// Align two prepared documents with given word weights (corpus-wide rarity, in `overlap reuse`).
pub fn align_prepared_with(
    a: &Prepared,
    b: &Prepared,
    weights: &KeyWeights,
    config: &AlignConfig,
) -> Alignment {
    if is_exact_copy(a, b) {
        return exact_copy(a, b);
    }
    let bags_a = unit_bags(a, weights);
    let bags_b = unit_bags(b, weights);
    align_with_bags(a, &bags_a, b, &bags_b, weights, config)
}

/// The weighted word bag of every sentence unit of `doc`: what [`align_with_bags`] compares. With
/// fixed (corpus) weights, compute them once per document rather than once per pair.
pub fn unit_bags(doc: &Prepared, weights: &KeyWeights) -> Vec<Bag> {
    doc.units.iter().map(|u| Bag::of(doc, u, weights)).collect()
}

/// [`align_prepared_with`] with the units' bags computed beforehand by [`unit_bags`] with the same
/// weights.
pub fn align_with_bags(
    a: &Prepared,
    bags_a: &[Bag],
    b: &Prepared,
    bags_b: &[Bag],
    weights: &KeyWeights,
    config: &AlignConfig,
) -> Alignment {
    align_with_bags_semantic(a, bags_a, b, bags_b, weights, None, config)
}

/// [`align_with_bags`] with sentence embeddings as further evidence of rewording
/// (see [`Semantic`]).
pub fn align_with_bags_semantic(
    a: &Prepared,
    bags_a: &[Bag],
    b: &Prepared,
    bags_b: &[Bag],
    weights: &KeyWeights,
    semantic: Option<&Semantic>,
    config: &AlignConfig,
) -> Alignment {
    if is_exact_copy(a, b) {
        return exact_copy(a, b);
    }
    let runs = verbatim_runs_masked(
        &a.hashes,
        &b.hashes,
        &a.masked_tokens,
        &b.masked_tokens,
        config.anchor_ngram,
        config.min_run,
    );
    align_with_runs_semantic(a, bags_a, b, bags_b, &runs, weights, semantic, config)
}

/// [`align_with_bags_semantic`] with the pair's verbatim runs computed beforehand by
/// [`verbatim_runs_masked`] (or [`verbatim_runs_grams`]) with `config`'s `anchor_ngram` and
/// `min_run`: a caller aligning one pair twice finds them once.
#[allow(clippy::too_many_arguments)]
pub fn align_with_runs_semantic(
    a: &Prepared,
    bags_a: &[Bag],
    b: &Prepared,
    bags_b: &[Bag],
    runs: &[Run],
    weights: &KeyWeights,
    semantic: Option<&Semantic>,
    config: &AlignConfig,
) -> Alignment {
    if is_exact_copy(a, b) {
        return exact_copy(a, b);
    }
    let pairs = pairing::pair_units(a, b, bags_a, bags_b, runs, semantic, config);
    let spans = passages::build(a, b, runs, &pairs, weights, config);
    let passages = passages::to_passages(a, b, &spans);

    let (coverage_a, coverage_b, score) = scores(a, b, passages.iter());
    let all: Vec<&Passage> = passages.iter().collect();
    Alignment {
        related: is_related(&all, score, config),
        score,
        coverage_a,
        coverage_b,
        passages,
    }
}

/// Coverage of each document by the passages, and the pair score: the larger share of a document's
/// unmasked characters covered, each passage weighted by its evidence.
fn scores<'p>(
    a: &Prepared,
    b: &Prepared,
    passages: impl Iterator<Item = &'p Passage> + Clone,
) -> (f64, f64, f64) {
    let mut ia: Vec<(usize, usize, f64)> = passages
        .clone()
        .map(|p| (p.a.0, p.a.1, p.evidence))
        .collect();
    let mut ib: Vec<(usize, usize, f64)> = passages.map(|p| (p.b.0, p.b.1, p.evidence)).collect();
    let (coverage_a, _) = passages::coverage(&mut ia, a.char_len());
    let (coverage_b, _) = passages::coverage(&mut ib, b.char_len());
    let (_, weighted_a) = passages::coverage(
        &mut ia,
        a.char_len().saturating_sub(a.masked_chars()).max(1),
    );
    let (_, weighted_b) = passages::coverage(
        &mut ib,
        b.char_len().saturating_sub(b.masked_chars()).max(1),
    );
    (coverage_a, coverage_b, weighted_a.max(weighted_b).min(1.0))
}

/// The relatedness rule (see [`AlignConfig::related_score`] and the fields after it), over the
/// passages that count as evidence and their score.
fn is_related(passages: &[&Passage], score: f64, config: &AlignConfig) -> bool {
    let words = passages
        .iter()
        .map(|p| p.a_words)
        .sum::<usize>()
        .min(passages.iter().map(|p| p.b_words).sum());
    let evidence_words: f64 = passages
        .iter()
        .map(|p| p.a_words.min(p.b_words).saturating_sub(SHORT_PASSAGE_WORDS) as f64 * p.evidence)
        .sum();
    let longest_verbatim = passages
        .iter()
        .filter(|p| p.kind == PassageKind::Verbatim)
        .map(|p| p.a_words.min(p.b_words))
        .max()
        .unwrap_or(0);
    (score >= config.related_score && words >= config.min_related_words)
        || evidence_words >= config.min_related_evidence_words
        || longest_verbatim >= config.min_related_verbatim_words
}

fn is_exact_copy(a: &Prepared, b: &Prepared) -> bool {
    !a.is_empty() && a.hashes == b.hashes && a.masked_chars() == 0 && b.masked_chars() == 0
}

/// Two documents with the same words in the same order: one verbatim passage over all of it,
/// however short.
fn exact_copy(a: &Prepared, b: &Prepared) -> Alignment {
    let whole = |p: &Prepared| {
        let units = &p.units;
        (
            p.char_offset(units[0].start_byte),
            p.char_offset(units[units.len() - 1].end_byte),
        )
    };
    let (pa, pb) = (whole(a), whole(b));
    let mut ia = [(pa.0, pa.1, 1.0)];
    let mut ib = [(pb.0, pb.1, 1.0)];
    Alignment {
        related: true,
        score: 1.0,
        coverage_a: passages::coverage(&mut ia, a.char_len()).0,
        coverage_b: passages::coverage(&mut ib, b.char_len()).0,
        passages: vec![Passage {
            a: pa,
            b: pb,
            a_words: a.len(),
            b_words: b.len(),
            score: 1.0,
            evidence: 1.0,
            kind: PassageKind::Verbatim,
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const WORDS: &[&str] = &[
        "the",
        "minister",
        "said",
        "grain",
        "exports",
        "would",
        "resume",
        "café",
        "naïve",
        "東京",
        "talks",
        "in",
        "Geneva",
        "on",
        "Friday",
        "sanctions",
        "ürün",
        "war",
        "a",
        "of",
        "proposal",
        "Lavrov",
        "Blinken",
        "Ukraine",
        "—",
        "\"quoted\"",
        "it's",
        "3.14",
        "1,000",
        "and",
    ];

    /// A document: sentences of random words with punctuation and line breaks.
    fn doc() -> impl Strategy<Value = String> {
        prop::collection::vec(
            (prop::collection::vec(0..WORDS.len(), 1..14), 0..5usize),
            1..9,
        )
        .prop_map(|sentences| {
            let mut text = String::new();
            for (words, end) in sentences {
                let s: Vec<&str> = words.iter().map(|&w| WORDS[w]).collect();
                text.push_str(&s.join(" "));
                text.push_str([". ", "! ", ".\n", ", ", "?\n\n"][end]);
            }
            text
        })
    }

    /// A second document made from the first: sentences reordered, words replaced, text added.
    fn variant() -> impl Strategy<Value = (String, String)> {
        (doc(), doc(), any::<u64>()).prop_map(|(a, extra, seed)| {
            let mut sentences: Vec<String> = a
                .split_inclusive(['.', '!', '?'])
                .map(str::to_string)
                .collect();
            let k = sentences.len();
            if k > 1 {
                sentences.rotate_left((seed as usize) % k);
            }
            let mut b = sentences.concat();
            if seed % 3 == 0 {
                b = b.replacen("minister", "official", 1);
            }
            b.push_str(&extra);
            (a, b)
        })
    }

    /// A passage as (span in one document, span in the other, kind).
    type Link = ((usize, usize), (usize, usize), PassageKind);

    fn mirrored(al: &Alignment) -> Vec<Link> {
        let mut m: Vec<_> = al.passages.iter().map(|p| (p.b, p.a, p.kind)).collect();
        m.sort_by_key(|x| (x.0, x.1));
        m
    }

    fn direct(al: &Alignment) -> Vec<Link> {
        let mut d: Vec<_> = al.passages.iter().map(|p| (p.a, p.b, p.kind)).collect();
        d.sort_by_key(|x| (x.0, x.1));
        d
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn alignment_is_symmetric((a, b) in variant()) {
            let config = AlignConfig::default();
            let ab = align(&a, &b, &config);
            let ba = align(&b, &a, &config);
            prop_assert_eq!(direct(&ab), mirrored(&ba));
            prop_assert_eq!(ab.score, ba.score);
            prop_assert_eq!(ab.coverage_a, ba.coverage_b);
            prop_assert_eq!(ab.related, ba.related);
        }

        #[test]
        fn offsets_lie_on_characters_inside_the_texts((a, b) in variant()) {
            let al = align(&a, &b, &AlignConfig::default());
            let (na, nb) = (a.chars().count(), b.chars().count());
            for p in &al.passages {
                prop_assert!(p.a.0 < p.a.1 && p.a.1 <= na, "{:?} in {} chars", p.a, na);
                prop_assert!(p.b.0 < p.b.1 && p.b.1 <= nb, "{:?} in {} chars", p.b, nb);
                let text: String = a.chars().skip(p.a.0).take(p.a.1 - p.a.0).collect();
                prop_assert!(!text.starts_with(char::is_whitespace) && !text.ends_with(char::is_whitespace),
                    "passage {:?} has surrounding whitespace", text);
            }
            prop_assert!((0.0..=1.0).contains(&al.coverage_a) && (0.0..=1.0).contains(&al.coverage_b));
        }

        #[test]
        fn a_document_aligned_with_itself_is_one_passage(a in doc()) {
            let config = AlignConfig::default();
            let p = Prepared::new(&a, &config);
            prop_assume!(!p.is_empty());
            let al = align(&a, &a, &config);
            prop_assert_eq!(al.passages.len(), 1, "{:?}", al.passages);
            let passage = &al.passages[0];
            prop_assert_eq!(passage.a, passage.b);
            prop_assert_eq!(passage.kind, PassageKind::Verbatim);
            let spans = &p.spans;
            let first = p.char_offset(spans[0].0);
            let last = p.char_offset(spans[spans.len() - 1].1);
            prop_assert!(passage.a.0 <= first && last <= passage.a.1,
                "passage {:?} does not cover tokens {}..{}", passage.a, first, last);
        }
    }

    #[test]
    fn unrelated_texts_share_no_passage() {
        let a = "Grain exports resumed from Odesa on Monday after weeks of talks in Istanbul.";
        let b = "The football season opened with a surprise win for the home side in Leeds.";
        let al = align(a, b, &AlignConfig::default());
        assert!(al.passages.is_empty());
        assert!(!al.related);
        assert_eq!(al.score, 0.0);
    }
}
