//! A reworded passage judged by its best sentence pair, not only as a whole (`reuse --semantic`).
//!
//! A paraphrased sentence inside an unrelated article is aligned with its source, but the
//! alignment's passage often takes in a neighbouring sentence of the host on one side (the screen
//! pairs every sentence pair it is unsure of, and a neighbour of a pair pairs more easily): a
//! passage of 7 words on one side and 27 on the other. Its two sides' static cosine and word
//! overlap are then those of one sentence against three, diluted below the bar although one of its
//! sentence pairs is a paraphrase (bench/RESULTS.md 8.18: of the positive pairs of the dev sets
//! that were candidates and were missed, 9 of 17 (seed 1) and 9 of 20 (seed 3) had a true passage
//! whose sides were 1.8x or more apart in words).
//!
//! With [`super::reworded::RewordedConfig::sentence_pairs`], a reworded passage whose whole does
//! not count as said twice is judged again by its best sentence pair: of the sentences wholly
//! inside each side (each of at least `min_passage_words` words), the pair with the highest static
//! tier score ([`static_tier::sentence_score`], the score whose bars were set on STS sentence
//! pairs, bench/RESULTS.md 8.10). That pair is then a passage of its own and passes every other
//! rule as one (addresses, the margin of [`super::contrast`], the judge's bar), so a passage counts
//! no more easily than the same sentence pair aligned alone would.
//!
//! Memory: nothing of its own beyond the pair's sentence numbers; the caller's static vectors.

use super::contrast::Side;
use super::static_tier;
use crate::align::{cosine, Passage, PassageKind, Prepared};

/// A passage's best sentence pair, as a passage of its own.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    /// The sentence pair as a passage: its two sentences' character spans and word counts, its
    /// `score` the weighted word overlap (Dice) of their bags, kind reworded.
    pub passage: Passage,
    /// The static cosine of the two sentences.
    pub static_cosine: f64,
    /// The static tier's score of the pair (`w * static_cosine + (1 - w) * score`).
    pub combined: f64,
}

/// The sentences of `doc` whose words all lie inside the character span `(s, e)`.
fn units_inside(doc: &Prepared, (s, e): (usize, usize)) -> Vec<usize> {
    (0..doc.units.len())
        .filter(|&u| {
            let unit = &doc.units[u];
            !unit.is_empty()
                && s <= doc.char_offset(doc.spans[unit.first].0)
                && doc.char_offset(doc.spans[unit.end - 1].1) <= e
        })
        .collect()
}

/// The character span of unit `u` of `doc`.
fn unit_span(doc: &Prepared, u: usize) -> (usize, usize) {
    let unit = &doc.units[u];
    (
        doc.char_offset(doc.spans[unit.first].0),
        doc.char_offset(doc.spans[unit.end - 1].1),
    )
}

/// The best sentence pair of reworded passage `p` between documents `a` and `b` (static tier
/// weight `w`), among the sentences wholly inside its sides of `min_words` words or more; `None`
/// for a verbatim passage, for a passage of one sentence on each side (its pair is the passage),
/// or when no pair qualifies. Ties keep the first pair in document order.
pub fn best_sentence_pair(
    p: &Passage,
    (a, b): (Side, Side),
    w: f64,
    min_words: usize,
) -> Option<Part> {
    if p.kind == PassageKind::Verbatim {
        return None;
    }
    let long = |doc: &Prepared, units: Vec<usize>| -> Vec<usize> {
        units
            .into_iter()
            .filter(|&u| doc.units[u].len() >= min_words)
            .collect()
    };
    let all_a = units_inside(a.doc, p.a);
    let all_b = units_inside(b.doc, p.b);
    if all_a.len() <= 1 && all_b.len() <= 1 {
        return None;
    }
    let (ua, ub) = (long(a.doc, all_a), long(b.doc, all_b));
    let mut best: Option<(f64, usize, usize)> = None;
    for &u in &ua {
        for &v in &ub {
            let c =
                static_tier::sentence_score(w, (a.vectors, a.bags), (b.vectors, b.bags), (u, v));
            if best.is_none_or(|(x, _, _)| c > x) {
                best = Some((c, u, v));
            }
        }
    }
    let (combined, u, v) = best?;
    let static_cosine = match (a.vectors.vector(u), b.vectors.vector(v)) {
        (Some(x), Some(y)) => cosine(x, y),
        _ => 0.0,
    };
    let score = match (a.bags.get(u), b.bags.get(v)) {
        (Some(x), Some(y)) => static_tier::dice(x, y),
        _ => 0.0,
    };
    Some(Part {
        passage: Passage {
            a: unit_span(a.doc, u),
            b: unit_span(b.doc, v),
            score,
            evidence: p.evidence,
            kind: PassageKind::Reworded,
            a_words: a.doc.units[u].len(),
            b_words: b.doc.units[v].len(),
        },
        static_cosine,
        combined,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::align::{unit_bags, AlignConfig, KeyWeights, Prepared, UnitVectors};
    use crate::embed::StaticModel;

    #[derive(Debug)]
    struct Fixed(Vec<Vec<f32>>);
    impl UnitVectors for Fixed {
        fn vector(&self, u: usize) -> Option<&[f32]> {
            self.0.get(u).map(Vec::as_slice)
        }
    }

    fn whole(a: &Prepared, b: &Prepared) -> Passage {
        Passage {
            a: (0, a.text.chars().count()),
            b: (0, b.text.chars().count()),
            score: 0.2,
            evidence: 0.2,
            kind: PassageKind::Reworded,
            a_words: 20,
            b_words: 20,
        }
    }

    #[test]
    fn the_sentence_pair_that_is_said_twice_is_found_inside_a_diluted_passage() {
        let config = AlignConfig::default();
        // One sentence on one side; on the other, a host sentence, then its paraphrase.
        let a = Prepared::new(
            "The central bank raised its main interest rate by half a point on Tuesday.",
            &config,
        );
        let b = Prepared::new(
            "Farmers in the north planted less wheat than last spring. On Tuesday the central bank \
             lifted its key interest rate by half a percentage point.",
            &config,
        );
        assert_eq!((a.units.len(), b.units.len()), (1, 2));
        let weights = KeyWeights::for_pair(&a, &b);
        let (bags_a, bags_b) = (unit_bags(&a, &weights), unit_bags(&b, &weights));
        // Vectors: the paraphrase points the same way as the source, the host sentence away.
        let va = Fixed(vec![vec![1.0, 0.0]]);
        let vb = Fixed(vec![vec![0.0, 1.0], vec![0.9, 0.1]]);
        let sides = (Side::new(&a, &va, &bags_a), Side::new(&b, &vb, &bags_b));
        let p = whole(&a, &b);
        let part = best_sentence_pair(&p, sides, 0.3, 6).expect("a pair");
        // The second sentence of `b`, whole.
        let text: String = b
            .text
            .chars()
            .skip(part.passage.b.0)
            .take(part.passage.b.1 - part.passage.b.0)
            .collect();
        assert!(
            text.starts_with("On Tuesday") && text.ends_with("point"),
            "{text}"
        );
        // The whole of `a`'s one sentence (its span ends at its last word, before the full stop).
        assert_eq!(part.passage.a.0, 0);
        assert_eq!(part.passage.a_words, a.units[0].len());
        assert!(part.static_cosine > 0.9);
        assert!(
            (part.combined - (0.3 * part.static_cosine + 0.7 * part.passage.score)).abs() < 1e-12
        );
        assert_eq!(part.passage.kind, PassageKind::Reworded);
        // Only sentences of at least `min_words` words: none of 20.
        assert_eq!(best_sentence_pair(&p, sides, 0.3, 20), None);
        // A verbatim passage is never split.
        let v = Passage {
            kind: PassageKind::Verbatim,
            ..p.clone()
        };
        assert_eq!(best_sentence_pair(&v, sides, 0.3, 6), None);
    }

    #[test]
    fn a_passage_of_one_sentence_on_each_side_is_its_own_pair() {
        let config = AlignConfig::default();
        let a = Prepared::new(
            "The central bank raised its main interest rate today.",
            &config,
        );
        let b = Prepared::new(
            "Today the central bank lifted its key interest rate.",
            &config,
        );
        let weights = KeyWeights::for_pair(&a, &b);
        let (bags_a, bags_b) = (unit_bags(&a, &weights), unit_bags(&b, &weights));
        let dir = tempfile::tempdir().unwrap();
        crate::embed::tiny::write_tiny_model(dir.path()).unwrap();
        let model = StaticModel::load(dir.path()).unwrap();
        let (va, vb) = (model.encode_units(&a), model.encode_units(&b));
        let sides = (Side::new(&a, &va, &bags_a), Side::new(&b, &vb, &bags_b));
        assert_eq!(best_sentence_pair(&whole(&a, &b), sides, 0.3, 6), None);
    }
}
