//! Quoted signatures: a reply that quotes a post together with its signature has quoted the
//! signature too. Signature lines (see [`super::signatures`]) are masked everywhere, so that two
//! posts sharing nothing but their author's signature are not related; but then a reply quoting a
//! short sentence of a post plus the signature under it keeps only the sentence, often under the
//! twelve verbatim words that make a pair related.
//!
//! The rule, per pair: when the masked alignment is not related, a signature line held by both
//! documents is quoted (a `>` line) in one of them, and that document also quotes text of the other
//! outside the signatures (a verbatim passage of at least `min_passage_words` words lying in its
//! quoted lines, and outside what follows a `--` delimiter or lies in PGP armour in either
//! document), the quoted signature lines are unmasked in both and the pair aligned again; the
//! second alignment stands when it is related. Two posts of one author share the signature unquoted
//! in both, so they never qualify; nor does a reply quoting a post's signature alone, or one that
//! quotes another post of the same author (its quoted body is not in this document).
//!
//! Memory: nothing kept; per qualifying pair, the two documents prepared again.

use super::signatures::{is_quoted, DocLines};
use crate::align::{Alignment, PassageKind, Prepared};
use std::collections::HashSet;

/// Token ranges `[first, end)` of the lines to unmask in each document of a pair.
pub type Unmask = [Vec<(usize, usize)>; 2];

/// Fewest words of quoted text, outside and before the signature, that let a quoted signature
/// count: two thirds of the twelve verbatim words that relate a pair on their own. Six-word
/// stretches (`the rest of the Bill of Rights`, the `Shots on goal: Penalties: Attendance:` line
/// of a results post) recur between different posts of one author.
pub const MIN_QUOTED_WORDS: usize = 8;

/// One document of a pair, as the rule sees it.
#[derive(Clone, Copy)]
pub struct Side<'a> {
    /// The document prepared, signature lines masked.
    pub doc: &'a Prepared<'a>,
    /// Its short lines (see [`super::signatures::doc_lines`]).
    pub lines: &'a DocLines,
    /// Its source number.
    pub source: u32,
}

/// The signature lines of each side that the pair quotes (lines whose key is a signature key of
/// the side's source, held by both sides, and quoted in at least one), and whether each side holds
/// such a line quoted.
pub fn quoted_between(a: &Side, b: &Side, keys: &HashSet<(u64, u32)>) -> (Unmask, [bool; 2]) {
    let none = ([Vec::new(), Vec::new()], [false, false]);
    if keys.is_empty() {
        return none;
    }
    let is_sig = |side: &Side, key: u64| keys.contains(&(key, side.source));
    let keys_of = |side: &Side, quoted: bool| -> HashSet<u64> {
        side.lines
            .lines
            .iter()
            .filter(|l| (!quoted || l.quoted) && is_sig(side, l.key))
            .map(|l| l.key)
            .collect()
    };
    let (all_a, all_b) = (keys_of(a, false), keys_of(b, false));
    let all_a_any: HashSet<u64> = a.lines.lines.iter().map(|l| l.key).collect();
    let all_b_any: HashSet<u64> = b.lines.lines.iter().map(|l| l.key).collect();
    // Quoted signature lines of one side that the other side holds (as a line of any kind).
    let quoted_a: HashSet<u64> = keys_of(a, true)
        .into_iter()
        .filter(|k| all_b_any.contains(k))
        .collect();
    let quoted_b: HashSet<u64> = keys_of(b, true)
        .into_iter()
        .filter(|k| all_a_any.contains(k))
        .collect();
    if quoted_a.is_empty() && quoted_b.is_empty() {
        return none;
    }
    let shared: HashSet<u64> = quoted_a.union(&quoted_b).copied().collect();
    let lines = |side: &Side, all: &HashSet<u64>| -> Vec<(usize, usize)> {
        side.lines
            .lines
            .iter()
            .filter(|l| shared.contains(&l.key) && all.contains(&l.key))
            .map(|l| (l.first as usize, l.end as usize))
            .collect()
    };
    (
        [lines(a, &all_a), lines(b, &all_b)],
        [!quoted_a.is_empty(), !quoted_b.is_empty()],
    )
}

/// Whether the characters `[start, end)` of `text` lie in quoted lines only.
fn in_quoted_lines(text: &str, (start, end): (usize, usize)) -> bool {
    let byte = |c: usize| text.char_indices().nth(c).map_or(text.len(), |(b, _)| b);
    let (s, e) = (byte(start), byte(end));
    let line_start = text[..s].rfind('\n').map_or(0, |i| i + 1);
    text[line_start..e.max(line_start)]
        .split('\n')
        .all(|line| line.trim().is_empty() || is_quoted(line))
}

/// The line with its quote marks (`>`, `|`, `:` and the spaces between them) taken off.
fn unquoted(line: &str) -> &str {
    line.trim_start_matches(|c: char| matches!(c, '>' | '|' | ':') || c.is_whitespace())
}

/// Character ranges `[start, end)` of `text` that are signature matter even where no line of
/// them is a signature line: from a delimiter line (`--`, `-- `, quoted or not) to the end of
/// its block (the last line of the same quoting before a line of the other quoting, blank lines
/// going with either), and PGP armour (`-----BEGIN PGP` to `-----END PGP`). A motto or a key
/// block under the delimiter varies between an author's posts, so it never becomes a signature
/// line, yet it is no text of the post's own.
fn signature_matter(text: &str) -> Vec<(usize, usize)> {
    // (start char, end char, quoted, blank, unquoted text) of each line.
    let mut lines = Vec::new();
    let mut at = 0;
    for line in text.split('\n') {
        let n = line.chars().count();
        let blank = line.trim().is_empty();
        lines.push((
            at,
            at + n + 1,
            is_quoted(line),
            blank,
            unquoted(line).trim_end(),
        ));
        at += n + 1;
    }
    let mut ranges = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let (start, _, quoted, _, body) = lines[i];
        let pgp = body.starts_with("-----BEGIN PGP");
        if body == "--" || pgp {
            let mut j = i + 1;
            while j < lines.len() {
                let (_, _, q, blank, b) = lines[j];
                if pgp && b.starts_with("-----END PGP") {
                    j += 1;
                    break;
                }
                if !pgp && !blank && q != quoted {
                    break;
                }
                j += 1;
            }
            ranges.push((start, lines[j - 1].1));
            i = j;
        } else {
            i += 1;
        }
    }
    ranges
}

/// Whether `masked` holds verbatim passages of [`MIN_QUOTED_WORDS`] words in all that lie in
/// quoted lines of a side that quotes the signature, before the first quoted signature line of
/// each side and outside the [`signature_matter`] of both: that side quotes text of the other,
/// and the text is not the rest of a signature (a motto or a key block that varies between the
/// author's posts, so never became a signature line).
fn quotes_text(masked: &Alignment, sides: [&Side; 2], unmask: &Unmask, quoting: [bool; 2]) -> bool {
    let sig_start = |i: usize| {
        let doc = sides[i].doc;
        unmask[i]
            .iter()
            .map(|&(first, _)| doc.char_offset(doc.spans[first].0))
            .min()
            .unwrap_or(usize::MAX)
    };
    let starts = [sig_start(0), sig_start(1)];
    let matter = [
        signature_matter(sides[0].doc.text),
        signature_matter(sides[1].doc.text),
    ];
    let outside =
        |i: usize, (s, e): (usize, usize)| matter[i].iter().all(|&(f, t)| e <= f || s >= t);
    let words: usize = masked
        .passages
        .iter()
        .filter(|p| {
            let spans = [p.a, p.b];
            p.kind == PassageKind::Verbatim
                && (0..2).all(|i| spans[i].1 <= starts[i] && outside(i, spans[i]))
                && (0..2).any(|i| quoting[i] && in_quoted_lines(sides[i].doc.text, spans[i]))
        })
        .map(|p| p.a_words.min(p.b_words))
        .sum();
    words >= MIN_QUOTED_WORDS
}

/// The pair's alignment under the rule: `masked` (signature lines masked) unless it is unrelated
/// and the pair qualifies (see the module), in which case the alignment `realign` returns with the
/// quoted signature lines unmasked, when that one is related. The second value says whether the
/// quoted signature made the pair related.
pub fn relate(
    masked: Alignment,
    a: &Side,
    b: &Side,
    keys: &HashSet<(u64, u32)>,
    realign: impl FnOnce(&Unmask) -> Alignment,
) -> (Alignment, bool) {
    if masked.related || masked.passages.is_empty() {
        return (masked, false);
    }
    let (unmask, quoting) = quoted_between(a, b, keys);
    if unmask.iter().all(Vec::is_empty) || !quotes_text(&masked, [a, b], &unmask, quoting) {
        return (masked, false);
    }
    let again = realign(&unmask);
    if again.related {
        (again, true)
    } else {
        (masked, false)
    }
}

/// `spans` without those in `unmask` (the same line ranges, as [`quoted_between`] returns them).
pub fn without<'s>(
    spans: &'s [(usize, usize)],
    unmask: &'s [(usize, usize)],
) -> impl Iterator<Item = (usize, usize)> + 's {
    spans.iter().copied().filter(move |s| !unmask.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::align::{align_prepared_with, AlignConfig, KeyWeights};
    use crate::reuse::signatures::{doc_lines, signature_keys, signature_spans};
    use crate::text::{tokenize, Normalization};

    fn lines(text: &str) -> DocLines {
        doc_lines(text, &tokenize(text, &Normalization::default()))
    }

    const SIG: &str =
        "Josh Hopkins   jbh55289@uxa.cso.uiuc.edu\n\"Find a way or make one, said the general.\"\n";

    fn keys() -> HashSet<(u64, u32)> {
        let posts: Vec<DocLines> = [
            "The launch slipped again.\n",
            "Orbital mechanics is not intuitive.\n",
            "I would rather fund the probes.\n",
        ]
        .iter()
        .map(|p| lines(&format!("{p}-- \n{SIG}")))
        .collect();
        signature_keys(&posts.iter().map(|d| (d, 0)).collect::<Vec<_>>(), 3)
    }

    /// The pair aligned as `reuse` aligns it: signature lines masked, then the rule.
    fn reuse_align(a: &str, b: &str, keys: &HashSet<(u64, u32)>) -> (Alignment, bool) {
        let cfg = AlignConfig::default();
        let (la, lb) = (lines(a), lines(b));
        let (texts, docs) = ([a, b], [&la, &lb]);
        let prepare = |i: usize, unmask: &[(usize, usize)]| {
            let mut p = Prepared::new(texts[i], &cfg);
            for (f, e) in without(&signature_spans(docs[i], 0, keys), unmask) {
                p.mask(f, e);
            }
            p
        };
        let align = |ua: &[(usize, usize)], ub: &[(usize, usize)]| {
            let (pa, pb) = (prepare(0, ua), prepare(1, ub));
            align_prepared_with(&pa, &pb, &KeyWeights::for_pair(&pa, &pb), &cfg)
        };
        let (pa, pb) = (prepare(0, &[]), prepare(1, &[]));
        let masked = align_prepared_with(&pa, &pb, &KeyWeights::for_pair(&pa, &pb), &cfg);
        let side_a = Side {
            doc: &pa,
            lines: &la,
            source: 0,
        };
        let side_b = Side {
            doc: &pb,
            lines: &lb,
            source: 0,
        };
        relate(masked, &side_a, &side_b, keys, |u| align(&u[0], &u[1]))
    }

    #[test]
    fn a_reply_quoting_body_and_signature_is_related_and_a_shared_signature_is_not() {
        let keys = keys();
        let post =
            format!("Orbital mechanics is not at all intuitive for most drivers.\n-- \n{SIG}");
        let reply = "Someone writes:\n> Orbital mechanics is not at all intuitive for most drivers.\n> -- \n> Josh Hopkins   jbh55289@uxa.cso.uiuc.edu\n> \"Find a way or make one, said the general.\"\nIt is once you do the sums.\n";
        let (al, used) = reuse_align(&post, reply, &keys);
        assert!(al.related && used, "{al:?}");
        // The body quote alone (9 words) is not enough, and the masked alignment is not related.
        let (la, lb) = (lines(&post), lines(reply));
        let cfg = AlignConfig::default();
        let (pa, pb) = (Prepared::new(&post, &cfg), Prepared::new(reply, &cfg));
        let (unmask, quoting) = quoted_between(
            &Side {
                doc: &pa,
                lines: &la,
                source: 0,
            },
            &Side {
                doc: &pb,
                lines: &lb,
                source: 0,
            },
            &keys,
        );
        assert_eq!((unmask[0].len(), unmask[1].len()), (2, 2));
        assert_eq!(quoting, [false, true]);
        // Two posts of the author share the signature, unquoted in both.
        let other = format!("Orbital mechanics is hard.\n-- \n{SIG}");
        assert!(!reuse_align(&post, &other, &keys).0.related);
        // A reply quoting another post of the author, with its signature: its quoted body is not
        // in this post.
        let elsewhere = "Someone writes:\n> The launch slipped again, nobody was surprised.\n> Josh Hopkins   jbh55289@uxa.cso.uiuc.edu\n> \"Find a way or make one, said the general.\"\nIt is once you do the sums.\n";
        assert!(!reuse_align(&post, elsewhere, &keys).0.related);
        // Without signature keys nothing is masked: the pair is related without the rule.
        let (al, used) = reuse_align(&post, reply, &HashSet::new());
        assert!(al.related && !used);
    }

    /// The shape of talk.politics.guns/55108 against 54736: a reply quotes another post of the
    /// author with its whole signature block, whose motto line (varying, so no signature line)
    /// lies after the `--` delimiter (the PGP key block under it, left out here, would relate the
    /// pair masked; [`signature_matter`] is checked on one below).
    #[test]
    fn a_motto_and_a_key_block_under_the_delimiter_are_no_quoted_text() {
        const DOD: &str = "  DoD #202 / loki@acca.nmsu.edu / liberty or death\n                 Send me something even YOU can't read...\n";
        const PGP: &str = "-----BEGIN PGP PUBLIC KEY BLOCK-----\nVersion: 2.2\n\nmQCNAitfksQAAAEEAKceEjWI9f5KMJyKP0LOgC5dGHRpbMY2xhOo8kpEHMDyuf8a\ntCREYW5pZWwgRiBUYXlsb3IgPExva2lAYWNjYS5ubXN1LmVkdT4=\n=S5ib\n-----END PGP PUBLIC KEY BLOCK-----\n";
        let motto = "Spooksmoke: Revolution, Assasination, Thorium, Cobalt-60, Clintin, CIA\n";
        let posts: Vec<DocLines> = [
            "The launch slipped again.\n",
            "Orbital mechanics.\n",
            "Fund probes.\n",
        ]
        .iter()
        .enumerate()
        .map(|(i, p)| lines(&format!("{p}\n--\nMotto number {i} here\n{DOD}")))
        .collect();
        let keys = signature_keys(&posts.iter().map(|d| (d, 0)).collect::<Vec<_>>(), 3);
        let post = format!(
            "A long study of the statistics quoted by the journal on defence.\n\nD.F. Taylor\n\n--\n{motto}{DOD}"
        );
        let quote = |t: &str| -> String { t.lines().map(|l| format!(">{l}\n")).collect() };
        let reply = format!(
            "In article someone writes:\n>The Denver Post will no longer accept any advertisement.\n>\n>--Dan\n>--\n{}\n\nI have seen lots of notes like these in the classifieds.\n",
            quote(&format!("{motto}{DOD}")),
        );
        // The rule's other conditions hold: the signature is quoted, and unmasked the pair is
        // related; only the motto and the key block count as quoted text.
        let (la, lb) = (lines(&post), lines(&reply));
        let cfg = AlignConfig::default();
        let (pa, pb) = (Prepared::new(&post, &cfg), Prepared::new(&reply, &cfg));
        let side = |doc, lines| Side {
            doc,
            lines,
            source: 0,
        };
        let (unmask, quoting) = quoted_between(&side(&pa, &la), &side(&pb, &lb), &keys);
        assert_eq!((unmask[0].len(), unmask[1].len()), (2, 2));
        assert_eq!(quoting, [false, true]);
        let unmasked = align_prepared_with(&pa, &pb, &KeyWeights::for_pair(&pa, &pb), &cfg);
        assert!(unmasked.related, "{unmasked:?}");
        let mask = |text, lines| {
            let mut p = Prepared::new(text, &cfg);
            for (f, e) in signature_spans(lines, 0, &keys) {
                p.mask(f, e);
            }
            p
        };
        let (ma, mb) = (mask(&post, &la), mask(&reply, &lb));
        let masked = align_prepared_with(&ma, &mb, &KeyWeights::for_pair(&ma, &mb), &cfg);
        assert!(!masked.related && !masked.passages.is_empty(), "{masked:?}");
        // The motto alone is quoted text as the rule counted it before.
        let words: usize = masked.passages.iter().map(|p| p.a_words).sum();
        assert!(words >= MIN_QUOTED_WORDS, "{masked:?}");
        let (al, used) = reuse_align(&post, &reply, &keys);
        assert!(!al.related && !used, "{al:?}");
        // The motto counts when it is the post's own text above the delimiter.
        let ranges = signature_matter(&post);
        let at = |s: &str| post[..post.find(s).unwrap()].chars().count();
        assert_eq!(ranges, [(at("--\n"), post.chars().count() + 1)]);
        let ranges = signature_matter(&reply);
        let at = |s: &str| reply[..reply.find(s).unwrap()].chars().count();
        assert_eq!(ranges.len(), 1);
        assert_eq!(ranges[0].0, at(">--\n"));
        assert_eq!(ranges[0].1, at("I have seen"));
        // PGP armour alone, not under a delimiter, is signature matter too.
        let armour = format!("Text.\n{}After.\n", quote(PGP));
        let r = signature_matter(&armour);
        assert_eq!(r, [(6, armour.find("After").unwrap())]);
    }

    #[test]
    fn quoted_lines_and_spans() {
        let text = "own line\n> quoted one\n>\n> quoted two\nown again\n";
        let at = |s: &str| {
            let start = text.find(s).unwrap();
            (start, start + s.len())
        };
        assert!(in_quoted_lines(text, at("quoted one\n>\n> quoted two")));
        assert!(!in_quoted_lines(text, at("quoted two\nown")));
        assert!(!in_quoted_lines(text, at("own line")));
        assert_eq!(
            without(&[(0, 2), (3, 5), (7, 9)], &[(3, 5)]).collect::<Vec<_>>(),
            [(0, 2), (7, 9)]
        );
    }
}
