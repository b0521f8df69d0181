//! Verbatim runs: maximal stretches of identical tokens shared by two documents.
//!
//! Seeds are anchors, word n-grams that occur exactly once in each document (passim's rare n-grams,
//! within the pair), so stock phrases repeated inside a document cannot seed a wrong match. Each
//! anchor is extended left and right while the tokens agree, giving a maximal run on its diagonal.
//! Runs are then made one-to-one (a token takes part in at most one run per side) longest first,
//! trimming a run that overlaps a longer one to its longest free part. Because anchors, extension and
//! the order of acceptance only depend on the pair of token sequences, swapping the two documents
//! gives the mirrored runs.
//!
//! Cost: O(|a| + |b|) to index the anchors, plus the length of the runs found.

use crate::hashing::FastMap;

/// n-grams occurring more often than this in either document do not seed runs.
const MAX_OCCURRENCES: usize = 4;

/// Tokens `a..a + len` of the first document equal tokens `b..b + len` of the second.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Run {
    /// Start in the first document.
    pub a: usize,
    /// Start in the second document.
    pub b: usize,
    /// Length in tokens.
    pub len: usize,
}

/// The one-to-one verbatim runs of at least `min_len` tokens between token hash sequences `ha` and
/// `hb`, seeded by `n`-gram anchors, sorted by position in `ha`.
pub fn verbatim_runs(ha: &[u64], hb: &[u64], n: usize, min_len: usize) -> Vec<Run> {
    verbatim_runs_masked(ha, hb, &[], &[], n, min_len)
}

/// [`verbatim_runs`] where masked tokens (`ma[i]`, `mb[j]` true; an empty mask masks nothing) match
/// nothing: no anchor covers them and no run crosses them.
pub fn verbatim_runs_masked(
    ha: &[u64],
    hb: &[u64],
    ma: &[bool],
    mb: &[bool],
    n: usize,
    min_len: usize,
) -> Vec<Run> {
    let n = n.max(1);
    if ha.len() < n || hb.len() < n {
        return Vec::new();
    }
    let (ga, gb) = (sorted_grams(ha, ma, n), sorted_grams(hb, mb, n));
    verbatim_runs_grams((ha, ma, &ga), (hb, mb, &gb), min_len)
}

/// One document's side of [`verbatim_runs_masked`]: the `(n-gram, position)` of every window of
/// `n` tokens of `h` (`n` at least 1) that touches no masked token, sorted (every n-gram's
/// positions in ascending order, without a map entry and two small vectors per n-gram); none for a
/// document shorter than `n`. It depends on the document alone, so a caller aligning one document
/// with many may compute it once.
pub fn sorted_grams(h: &[u64], m: &[bool], n: usize) -> Vec<(u64, usize)> {
    let n = n.max(1);
    // Windows touching a masked token seed nothing.
    let clean = |i: usize| m.is_empty() || !m[i..i + n].contains(&true);
    let mut v: Vec<(u64, usize)> = ngram_hashes(h, n)
        .enumerate()
        .filter(|&(i, _)| clean(i))
        .map(|(i, g)| (g, i))
        .collect();
    v.sort_unstable();
    v
}

/// [`verbatim_runs_masked`] from each document's tokens, mask and [`sorted_grams`] (of the same
/// `n`). A document shorter than `n` has no n-grams, so it has no runs, as there.
pub fn verbatim_runs_grams(
    (ha, ma, ga): (&[u64], &[bool], &[(u64, usize)]),
    (hb, mb, gb): (&[u64], &[bool], &[(u64, usize)]),
    min_len: usize,
) -> Vec<Run> {
    let masked = |m: &[bool], i: usize| !m.is_empty() && m[i];
    // Unique n-grams pair their single occurrences; n-grams repeated a few times in both pair their
    // occurrences in order, which keeps repetitive text (and a document aligned with itself)
    // anchored. Commoner n-grams seed nothing.
    let mut anchors: Vec<(usize, usize)> = Vec::new();
    let (mut x, mut y) = (0, 0);
    while x < ga.len() && y < gb.len() {
        let (g, h) = (ga[x].0, gb[y].0);
        if g < h {
            x += 1;
        } else if h < g {
            y += 1;
        } else {
            let ca = ga[x..].iter().take_while(|e| e.0 == g).count();
            let cb = gb[y..].iter().take_while(|e| e.0 == g).count();
            if ca <= MAX_OCCURRENCES && cb <= MAX_OCCURRENCES {
                anchors.extend(
                    ga[x..x + ca]
                        .iter()
                        .zip(&gb[y..y + cb])
                        .map(|(pa, pb)| (pa.1, pb.1)),
                );
            }
            x += ca;
            y += cb;
        }
    }
    anchors.sort_unstable();

    let mut runs = Vec::new();
    // Furthest extension reached on each diagonal, so anchors inside a found run are skipped.
    let mut reached: FastMap<isize, usize> = FastMap::default();
    for (i, j) in anchors {
        let diagonal = i as isize - j as isize;
        if reached.get(&diagonal).is_some_and(|&end| i < end) {
            continue;
        }
        let (mut s_a, mut s_b) = (i, j);
        let same = |x: usize, y: usize| ha[x] == hb[y] && !masked(ma, x) && !masked(mb, y);
        while s_a > 0 && s_b > 0 && same(s_a - 1, s_b - 1) {
            s_a -= 1;
            s_b -= 1;
        }
        let (mut e_a, mut e_b) = (i, j);
        while e_a < ha.len() && e_b < hb.len() && same(e_a, e_b) {
            e_a += 1;
            e_b += 1;
        }
        reached.insert(diagonal, e_a);
        if e_a - s_a >= min_len {
            runs.push(Run {
                a: s_a,
                b: s_b,
                len: e_a - s_a,
            });
        }
    }
    one_to_one(runs, ha.len(), hb.len(), min_len)
}

/// Hashes of every `n`-gram of `tokens`, in order.
fn ngram_hashes(tokens: &[u64], n: usize) -> impl Iterator<Item = u64> + '_ {
    tokens.windows(n).map(|w| {
        w.iter().fold(0x9e37_79b9_7f4a_7c15u64, |h, &t| {
            (h.rotate_left(23) ^ t).wrapping_mul(0xff51_afd7_ed55_8ccd)
        })
    })
}

/// Keep runs so that every token is in at most one run per side: longest first (ties broken by
/// position in a way that does not depend on which document is first), trimming overlaps.
fn one_to_one(mut runs: Vec<Run>, len_a: usize, len_b: usize, min_len: usize) -> Vec<Run> {
    runs.sort_unstable_by_key(|r| {
        (
            std::cmp::Reverse(r.len),
            r.a + r.b,
            r.a.min(r.b),
            r.a.max(r.b),
        )
    });
    let mut used_a = vec![false; len_a];
    let mut used_b = vec![false; len_b];
    let mut kept = Vec::new();
    for r in runs {
        // The longest stretch of the run whose tokens are free on both sides.
        let (mut best_start, mut best_len, mut cur_start) = (0, 0, 0);
        for k in 0..=r.len {
            let free = k < r.len && !used_a[r.a + k] && !used_b[r.b + k];
            if !free {
                if k - cur_start > best_len {
                    best_start = cur_start;
                    best_len = k - cur_start;
                }
                cur_start = k + 1;
            }
        }
        if best_len >= min_len {
            for k in best_start..best_start + best_len {
                used_a[r.a + k] = true;
                used_b[r.b + k] = true;
            }
            kept.push(Run {
                a: r.a + best_start,
                b: r.b + best_start,
                len: best_len,
            });
        }
    }
    kept.sort_unstable();
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(words: &str) -> Vec<u64> {
        words
            .split_whitespace()
            .map(|w| xxhash_rust::xxh3::xxh3_64(w.as_bytes()))
            .collect()
    }

    #[test]
    fn finds_reordered_runs() {
        let a = h("one two three four five six seven eight nine ten x y z");
        let b = h("q seven eight nine ten x w one two three four five r");
        let runs = verbatim_runs(&a, &b, 3, 4);
        assert_eq!(
            runs,
            [Run { a: 0, b: 7, len: 5 }, Run { a: 6, b: 1, len: 5 }]
        );
    }

    #[test]
    fn short_matches_are_not_runs() {
        let a = h("the cat sat on the mat the cat sat");
        let b = h("the cat sat by the door");
        assert!(verbatim_runs(&a, &b, 3, 4).is_empty());
    }

    #[test]
    fn repetitive_text_still_aligns_with_itself() {
        let a = h("a a a a a a a b a a a");
        assert_eq!(
            verbatim_runs(&a, &a, 3, 3),
            [Run {
                a: 0,
                b: 0,
                len: 11
            }]
        );
    }

    #[test]
    fn mirrored_when_swapped() {
        let a = h("a b c d e f g h i j k l m n o p a b c d e");
        let b = h("x a b c d e f g y h i j k l m n o p");
        let ab = verbatim_runs(&a, &b, 3, 3);
        let mut ba: Vec<Run> = verbatim_runs(&b, &a, 3, 3)
            .into_iter()
            .map(|r| Run {
                a: r.b,
                b: r.a,
                len: r.len,
            })
            .collect();
        ba.sort_unstable();
        assert_eq!(ab, ba);
        assert!(!ab.is_empty());
    }

    #[test]
    fn masked_tokens_match_nothing() {
        let a = h("one two three four five six seven eight");
        let mut ma = vec![false; a.len()];
        ma[3] = true;
        let runs = verbatim_runs_masked(&a, &a, &ma, &ma, 3, 3);
        assert_eq!(
            runs,
            [Run { a: 0, b: 0, len: 3 }, Run { a: 4, b: 4, len: 4 }]
        );
    }

    #[test]
    fn a_document_with_itself_is_one_run() {
        let a = h("w1 w2 w3 w4 w5 w6 w7 w8 w1 w2 w3 w9");
        assert_eq!(
            verbatim_runs(&a, &a, 3, 3),
            [Run {
                a: 0,
                b: 0,
                len: 12
            }]
        );
    }

    #[test]
    fn runs_from_sorted_grams_are_those_found_directly_short_documents_included() {
        let a = h("one two three four five six seven eight nine ten x y z");
        let b = h("q seven eight nine ten x w one two three four five r");
        let short = h("seven eight");
        for (x, y) in [
            (&a, &b),
            (&b, &a),
            (&a, &short),
            (&short, &b),
            (&short, &short),
        ] {
            let (gx, gy) = (sorted_grams(x, &[], 3), sorted_grams(y, &[], 3));
            assert_eq!(
                verbatim_runs_grams((x, &[], &gx), (y, &[], &gy), 4),
                verbatim_runs_masked(x, y, &[], &[], 3, 4)
            );
        }
        assert!(sorted_grams(&short, &[], 3).is_empty());
    }
}
