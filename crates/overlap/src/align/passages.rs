//! From unit pairs and verbatim runs to passages: spans in both documents, with a kind and a score;
//! adjacent passages of one kind merged; coverage and the pair score computed over characters.

use super::pairing::UnitPair;
use super::prepare::Prepared;
use super::runs::Run;
use super::similarity::{overlap, Bag, KeyWeights};
use super::{AlignConfig, Passage, PassageKind};
use crate::hashing::FastMap;

/// A passage in token and byte coordinates, before conversion to characters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Span {
    a: (usize, usize),
    b: (usize, usize),
    a_bytes: (usize, usize),
    b_bytes: (usize, usize),
    score: f64,
    kind: PassageKind,
    /// Tokens on each side, for length-weighted merging of scores.
    weight: usize,
}

impl Span {
    /// The passage of tokens `a0..a1` of `a` and `b0..b1` of `b`.
    #[allow(clippy::too_many_arguments)]
    fn new(
        a: &Prepared,
        b: &Prepared,
        (a0, a1): (usize, usize),
        (b0, b1): (usize, usize),
        score: f64,
        kind: PassageKind,
    ) -> Span {
        Span {
            a: (a0, a1),
            b: (b0, b1),
            a_bytes: byte_span(a, a0, a1),
            b_bytes: byte_span(b, b0, b1),
            score,
            kind,
            weight: (a1 - a0).max(b1 - b0),
        }
    }
}

/// Share of its score that an isolated, weakly similar reworded passage contributes to the pair score.
const ISOLATED_EVIDENCE: f64 = 0.5;

/// Similarity at which a reworded passage is evidence on its own, isolated or not.
const STRONG_REWORDING: f64 = 0.6;

/// Build the passages of an alignment, sorted by position in the first document.
pub(super) fn build(
    a: &Prepared,
    b: &Prepared,
    runs: &[Run],
    pairs: &[UnitPair],
    weights: &KeyWeights,
    config: &AlignConfig,
) -> Vec<Span> {
    // For each token, where its run maps it (if anywhere).
    let mut map_a: Vec<Option<usize>> = vec![None; a.len()];
    for r in runs {
        for k in 0..r.len {
            map_a[r.a + k] = Some(r.b + k);
        }
    }
    let mut spans = Vec::new();
    let mut covered_a = vec![false; a.len()];
    let mut covered_b = vec![false; b.len()];
    for p in pairs {
        let ua = a.units[p.u];
        let vb = b.units[p.v];
        let (uf, ue, vf, ve) = (ua.first, ua.end, vb.first, vb.end);
        let full_u = p.verbatim_u == ua.len();
        let full_v = p.verbatim_v == vb.len();
        // Tokens of u mapped by runs into v, in order.
        let mapped: Vec<(usize, usize)> = if full_u || full_v {
            (uf..ue)
                .filter_map(|t| map_a[t].filter(|&m| (vf..ve).contains(&m)).map(|m| (t, m)))
                .collect()
        } else {
            Vec::new()
        };
        // Verbatim means one unbroken copy: the mapped tokens follow each other on both sides. A
        // word inserted into the copy, or copied sentences in another order, make it a rewording.
        let unbroken = !mapped.is_empty()
            && mapped
                .windows(2)
                .all(|w| w[1].0 == w[0].0 + 1 && w[1].1 == w[0].1 + 1);
        let span = if unbroken {
            let last = mapped[mapped.len() - 1];
            let tokens_a = (mapped[0].0, last.0 + 1);
            let tokens_b = (mapped[0].1, last.1 + 1);
            Span::new(a, b, tokens_a, tokens_b, 1.0, PassageKind::Verbatim)
        } else {
            let (a0, a1, b0, b1) = trim_partial(a, b, p, config);
            let similarity = overlap(
                &Bag::of_tokens(a, a0, a1, weights),
                &Bag::of_tokens(b, b0, b1, weights),
            );
            Span::new(
                a,
                b,
                (a0, a1),
                (b0, b1),
                similarity.dice,
                PassageKind::Reworded,
            )
        };
        covered_a[span.a.0..span.a.1]
            .iter_mut()
            .for_each(|c| *c = true);
        covered_b[span.b.0..span.b.1]
            .iter_mut()
            .for_each(|c| *c = true);
        spans.push(span);
    }
    // Verbatim runs outside the paired units: text copied into a sentence that did not pair as a
    // whole (a quotation inside new text, a passage across sentence breaks).
    for r in runs {
        let mut k = 0;
        while k < r.len {
            let free = |k: usize| !covered_a[r.a + k] && !covered_b[r.b + k];
            if !free(k) {
                k += 1;
                continue;
            }
            let start = k;
            while k < r.len && free(k) {
                k += 1;
            }
            if k - start >= config.min_passage_words {
                let (tokens_a, tokens_b) = ((r.a + start, r.a + k), (r.b + start, r.b + k));
                spans.push(Span::new(
                    a,
                    b,
                    tokens_a,
                    tokens_b,
                    1.0,
                    PassageKind::Verbatim,
                ));
            }
        }
    }
    spans.sort_unstable_by_key(|s| (s.a, s.b));
    merge_adjacent(spans)
}

/// For a pair accepted because one unit contains most of the other, cut the larger unit down to the
/// stretch holding the shared words (plus up to three tokens on either side, so a near-whole unit
/// stays whole).
fn trim_partial(
    a: &Prepared,
    b: &Prepared,
    p: &UnitPair,
    config: &AlignConfig,
) -> (usize, usize, usize, usize) {
    let (ua, vb) = (a.units[p.u], b.units[p.v]);
    if p.overlap.dice >= config.reworded_dice {
        return (ua.first, ua.end, vb.first, vb.end);
    }
    let keys_a: Vec<u64> = (ua.first..ua.end).map(|t| a.keys[t]).collect();
    let keys_b: Vec<u64> = (vb.first..vb.end).map(|t| b.keys[t]).collect();
    let shrink = |doc: &Prepared, first: usize, end: usize, other: &[u64]| {
        let shared: Vec<usize> = (first..end)
            .filter(|&t| doc.weights[t] > 1 && other.contains(&doc.keys[t]))
            .collect();
        match (shared.first(), shared.last()) {
            (Some(&s), Some(&e)) => {
                let s = if s - first <= 3 { first } else { s };
                let e = if end - (e + 1) <= 3 { end } else { e + 1 };
                (s, e)
            }
            _ => (first, end),
        }
    };
    let (a0, a1) = shrink(a, ua.first, ua.end, &keys_b);
    let (b0, b1) = shrink(b, vb.first, vb.end, &keys_a);
    (a0, a1, b0, b1)
}

/// Byte span of tokens `first..end`: from the token's start, or from its unit's start when the span
/// begins the unit (so an opening quote is included); to the token's end, or its unit's end when the
/// span ends the unit (so closing punctuation is included).
fn byte_span(doc: &Prepared, first: usize, end: usize) -> (usize, usize) {
    let spans = &doc.spans;
    let u_first = doc.units[doc.unit_of[first] as usize];
    let u_last = doc.units[doc.unit_of[end - 1] as usize];
    let start = if u_first.first == first {
        u_first.start_byte
    } else {
        spans[first].0
    };
    let stop = if u_last.end == end {
        u_last.end_byte
    } else {
        spans[end - 1].1
    };
    (start, stop)
}

/// Merge passages of one kind that follow each other directly in both documents: a copy that spans
/// several sentences is one passage, and so is a stretch of rewritten sentences kept in order (as
/// passage-level evaluations such as PAN's count them). Each kind is merged on its own, so a
/// passage of the other kind in between (in one document's order) cannot block a merge, and the
/// result does not depend on which document is listed first.
fn merge_adjacent(spans: Vec<Span>) -> Vec<Span> {
    let (verbatim, reworded): (Vec<Span>, Vec<Span>) = spans
        .into_iter()
        .partition(|s| s.kind == PassageKind::Verbatim);
    let mut out = merge_kind(verbatim);
    out.extend(merge_kind(reworded));
    out.sort_unstable_by_key(|s| (s.a, s.b));
    out
}

/// Chain the spans where one ends exactly where another starts, in both documents, and merge each
/// chain. The chains are found by position, not by list order, so overlapping passages elsewhere in
/// the list cannot interrupt them.
fn merge_kind(spans: Vec<Span>) -> Vec<Span> {
    let mut starting: FastMap<(usize, usize), usize> = FastMap::default();
    for (i, s) in spans.iter().enumerate() {
        starting.entry((s.a.0, s.b.0)).or_insert(i);
    }
    let next: Vec<Option<usize>> = spans
        .iter()
        .map(|s| starting.get(&(s.a.1, s.b.1)).copied())
        .collect();
    let mut continues = vec![false; spans.len()];
    for &j in next.iter().flatten() {
        continues[j] = true;
    }
    let mut used = vec![false; spans.len()];
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    // Chain heads first; anything left (a span only reachable through a cycle-free duplicate start)
    // stands alone.
    let heads = (0..spans.len())
        .filter(|&i| !continues[i])
        .chain(0..spans.len());
    for i in heads {
        if used[i] {
            continue;
        }
        used[i] = true;
        let mut merged = spans[i];
        let mut at = i;
        while let Some(j) = next[at].filter(|&j| !used[j]) {
            used[j] = true;
            let s = spans[j];
            let total = (merged.weight + s.weight) as f64;
            merged.score =
                (merged.score * merged.weight as f64 + s.score * s.weight as f64) / total;
            merged.weight += s.weight;
            merged.a.1 = s.a.1;
            merged.b.1 = s.b.1;
            merged.a_bytes.1 = s.a_bytes.1;
            merged.b_bytes.1 = s.b_bytes.1;
            at = j;
        }
        out.push(merged);
    }
    out
}

/// How much each passage counts as evidence of reuse. Like the seed filtering of text-alignment
/// systems, a reworded passage of modest similarity with no other passage in the neighbouring
/// sentences of either document counts for less: unrelated texts on one topic produce such isolated
/// look-alikes, while real rewriting produces runs of them.
fn evidence(a: &Prepared, b: &Prepared, spans: &[Span]) -> Vec<f64> {
    let units = |doc: &Prepared, (first, end): (usize, usize)| {
        (doc.unit_of[first] as usize, doc.unit_of[end - 1] as usize)
    };
    let near_a = Neighbours::new(spans.iter().map(|s| units(a, s.a)).collect());
    let near_b = Neighbours::new(spans.iter().map(|s| units(b, s.b)).collect());
    spans
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if s.kind == PassageKind::Verbatim || s.score >= STRONG_REWORDING {
                return s.score;
            }
            let supported = near_a.has_other(i) || near_b.has_other(i);
            if supported {
                s.score
            } else {
                s.score * ISOLATED_EVIDENCE
            }
        })
        .collect()
}

/// Unit ranges of passages on one side, answering "is any other passage's range overlapping or
/// next to this one's" in O(log n): ranges sorted by start, with the two largest ends (and whose)
/// of every prefix.
struct Neighbours {
    ranges: Vec<(usize, usize)>,
    /// Starts, sorted.
    starts: Vec<usize>,
    /// For each prefix of the sorted ranges: the largest end and its passage, and the second largest
    /// end.
    best: Vec<(usize, usize, Option<usize>)>,
}

impl Neighbours {
    fn new(ranges: Vec<(usize, usize)>) -> Self {
        let mut order: Vec<usize> = (0..ranges.len()).collect();
        order.sort_unstable_by_key(|&i| ranges[i].0);
        let starts = order.iter().map(|&i| ranges[i].0).collect();
        let mut best = Vec::with_capacity(order.len());
        let mut top: Option<(usize, usize, Option<usize>)> = None;
        for &i in &order {
            let end = ranges[i].1;
            top = Some(match top {
                None => (end, i, None),
                Some((e1, _, _)) if end > e1 => (end, i, Some(e1)),
                Some((e1, i1, e2)) => (e1, i1, Some(e2.map_or(end, |e2| e2.max(end)))),
            });
            best.push(top.unwrap());
        }
        Neighbours {
            ranges,
            starts,
            best,
        }
    }

    /// True when a passage other than `i` has a range `t` with `t.0 <= r.1 + 1 && r.0 <= t.1 + 1`.
    fn has_other(&self, i: usize) -> bool {
        let r = self.ranges[i];
        let prefix = self.starts.partition_point(|&s| s <= r.1 + 1);
        if prefix == 0 {
            return false;
        }
        let (e1, i1, e2) = self.best[prefix - 1];
        let end = if i1 == i { e2 } else { Some(e1) };
        end.is_some_and(|e| r.0 <= e + 1)
    }
}

/// Convert to the public form, in characters.
pub(super) fn to_passages(a: &Prepared, b: &Prepared, spans: &[Span]) -> Vec<Passage> {
    let evidence = evidence(a, b, spans);
    spans
        .iter()
        .zip(evidence)
        .map(|(s, evidence)| Passage {
            a: (a.char_offset(s.a_bytes.0), a.char_offset(s.a_bytes.1)),
            b: (b.char_offset(s.b_bytes.0), b.char_offset(s.b_bytes.1)),
            a_words: s.a.1 - s.a.0,
            b_words: s.b.1 - s.b.0,
            score: s.score,
            evidence,
            kind: s.kind,
        })
        .collect()
}

/// A score ordered by `f64::total_cmp`.
#[derive(Clone, Copy)]
struct Score(f64);

impl PartialEq for Score {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Score {}

impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Score {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// Fraction of `len` characters covered by the intervals, and the same weighted by each
/// character's best interval score.
pub(super) fn coverage(intervals: &mut [(usize, usize, f64)], len: usize) -> (f64, f64) {
    if len == 0 {
        return (0.0, 0.0);
    }
    // Sweep over boundaries; at each elementary segment take the best score covering it: a max-heap
    // of the intervals begun so far, those that ended dropped when they reach the top.
    let mut points: Vec<usize> = intervals.iter().flat_map(|i| [i.0, i.1]).collect();
    points.sort_unstable();
    points.dedup();
    intervals.sort_unstable_by_key(|i| i.0);
    let mut active: std::collections::BinaryHeap<(Score, usize)> = Default::default();
    let mut next = 0;
    let (mut covered, mut weighted) = (0usize, 0.0f64);
    for w in points.windows(2) {
        let (s, e) = (w[0], w[1]);
        while next < intervals.len() && intervals[next].0 <= s {
            active.push((Score(intervals[next].2), intervals[next].1));
            next += 1;
        }
        while active.peek().is_some_and(|&(_, end)| end < e) {
            active.pop();
        }
        if let Some(&(Score(score), _)) = active.peek() {
            covered += e - s;
            weighted += score * (e - s) as f64;
        }
    }
    (covered as f64 / len as f64, weighted / len as f64)
}

#[cfg(test)]
mod tests {
    use super::coverage;
    use proptest::prelude::*;

    /// The definition: every elementary segment weighted by the best interval covering it.
    fn coverage_by_definition(intervals: &[(usize, usize, f64)], len: usize) -> (f64, f64) {
        let mut points: Vec<usize> = intervals.iter().flat_map(|i| [i.0, i.1]).collect();
        points.sort_unstable();
        points.dedup();
        let (mut covered, mut weighted) = (0usize, 0.0f64);
        for w in points.windows(2) {
            let (s, e) = (w[0], w[1]);
            let best = intervals
                .iter()
                .filter(|i| i.0 <= s && e <= i.1)
                .map(|i| i.2)
                .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))));
            if let Some(score) = best {
                covered += e - s;
                weighted += score * (e - s) as f64;
            }
        }
        (covered as f64 / len as f64, weighted / len as f64)
    }

    proptest! {
        #[test]
        fn the_sweep_gives_the_definition_bit_for_bit(
            raw in prop::collection::vec((0usize..200, 0usize..50, 0u32..5), 0..40),
        ) {
            let mut intervals: Vec<(usize, usize, f64)> =
                raw.iter().map(|&(s, l, w)| (s, s + l, f64::from(w) / 4.0)).collect();
            let expected = coverage_by_definition(&intervals, 300);
            prop_assert_eq!(coverage(&mut intervals, 300), expected);
        }
    }
}
