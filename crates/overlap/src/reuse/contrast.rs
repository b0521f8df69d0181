//! What `reuse --semantic` must not take for text said twice: lines of addresses, and statements
//! that are close to the other document as a whole rather than to one of its passages.
//!
//! On Reuters + 20 Newsgroups the pairs the semantic pass relates only by meaning were 7 of 20 real
//! reuse when read by hand (bench/RESULTS.md 8.10). The false ones were of three kinds, and each
//! rule here aims at one phenomenon, not at that corpus:
//!
//! - **Addresses are not statements.** FTP-site lines of FAQs (`available by anonymous FTP from
//!   export.lcs.mit.edu`), contact and attribution lines (`henry@zoo.toronto.edu (Henry Spencer)
//!   writes:`) pair by their rare host names and e-mail addresses. A passage counts only when each
//!   side has [`super::reworded::RewordedConfig::min_passage_words`] words outside address tokens
//!   (e-mail addresses, URLs, host and file names, paths: [`is_address`]), see
//!   [`ContrastConfig::skip_addresses`].
//! - **Generic is not reused (hubness).** Two reports of one market or one kind of event (two
//!   Moody's downgrades, two Soviet nuclear tests) say close things in every sentence: a reworded
//!   passage's side is then about as close to the other document's other sentences as to the
//!   passage it pairs with. A human paraphrase inside an unrelated text stands out from its
//!   surroundings. As in CSLS (cross-domain similarity local scaling), the passage's static cosine
//!   is compared with each side's mean cosine to its [`ContrastConfig::neighbours`] nearest
//!   sentences of the other document outside the passage: the passage counts when
//!   `cos(x, y) - (r(x) + r(y)) / 2 >= ` [`ContrastConfig::min_margin`] ([`margin`]). It needs no
//!   corpus statistics: only the two documents' static sentence vectors, which the pass has.
//! - **Passages, not the lexical rules, relate by meaning.** A candidate of the pass was not
//!   related by the lexical stage; its semantic alignment may reach `align`'s relatedness rule (15
//!   words of evidence) by adding reworded sentence pairs of one topic. With
//!   [`ContrastConfig::passages_decide`], a pair is related by meaning only when
//!   `min_passages` of its passages are said twice (after the two rules above), whatever the
//!   rule of evidence says.
//!
//! Memory: nothing of its own beyond two passage-side vectors at a time.

use crate::align::{cosine, Bag, Passage, Prepared, UnitVectors};
use crate::embed::StaticModel;
use serde::Serialize;

/// The rules of this module, each with its switch. `Default` gives the measured defaults
/// (bench/RESULTS.md 8.14).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ContrastConfig {
    /// A passage counts only when each side has `min_passage_words` words outside address tokens.
    /// Default: true.
    pub skip_addresses: bool,
    /// Fewest `cos(x, y) - (r(x) + r(y)) / 2` for a reworded passage to count as said twice (see
    /// [`margin`]); `-2` or less turns the rule off. Default: 0.2 (no passage of the dev sets below 0.25, half of those on Reuters + 20 Newsgroups below 0.17: bench/RESULTS.md 8.14).
    pub min_margin: f64,
    /// Sentences of the other document in each side's `r`. Default: 3.
    pub neighbours: usize,
    /// Only passages said twice relate a pair by meaning (not `align`'s rule of evidence).
    /// Default: true.
    pub passages_decide: bool,
}

impl Default for ContrastConfig {
    fn default() -> Self {
        ContrastConfig {
            skip_addresses: true,
            min_margin: 0.2,
            neighbours: 3,
            passages_decide: true,
        }
    }
}

impl ContrastConfig {
    /// Check that every parameter is in range.
    pub fn validate(&self) -> crate::error::Result<()> {
        if self.min_margin.is_nan() || self.min_margin > 2.0 || self.neighbours == 0 {
            return Err(crate::Error::Config(format!(
                "contrast: min_margin must be at most 2 and neighbours at least 1, got {} and {}",
                self.min_margin, self.neighbours
            )));
        }
        Ok(())
    }

    /// Whether the margin rule is on.
    fn margin_on(&self) -> bool {
        self.min_margin > -2.0
    }
}

/// Whether a whitespace-delimited token (surrounding punctuation and brackets trimmed) is an
/// address rather than a word: an e-mail address, a URL, a path, or a host or file name (three or
/// more dot-separated parts, or two ending in a common top-level domain).
pub fn is_address(token: &str) -> bool {
    let t = token.trim_matches(|c: char| !c.is_alphanumeric() && c != '/' && c != '~');
    if t.is_empty() {
        return false;
    }
    if t.contains('@') || t.contains("://") || t.starts_with('/') || t.matches('/').count() >= 2 {
        return true;
    }
    if t.contains('/') && t.contains('.') {
        return true;
    }
    // A host name before a colon or slash (`soda.berkeley.edu:pub/...`).
    let host = t.split([':', '/']).next().unwrap_or(t);
    let parts: Vec<&str> = host.split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return false;
    }
    let letters = parts.iter().any(|p| p.chars().any(|c| c.is_alphabetic()));
    match parts.len() {
        0 | 1 => false,
        2 => {
            let tld = parts[1].to_ascii_lowercase();
            parts[0].len() > 1
                && matches!(tld.as_str(), "com" | "edu" | "org" | "net" | "gov" | "mil")
        }
        // Three parts of single letters or digits are initials or a number (`U.S.A`, `1.2.3`):
        // words, unless one part is longer (`export.lcs.mit.edu`, `xv.tar.Z`, `18.24.0.12`).
        _ => letters && parts.iter().any(|p| p.len() > 1) || parts.len() >= 4,
    }
}

/// The words of `text` outside address tokens: the alphanumeric runs of its other tokens.
pub fn words_outside_addresses(text: &str) -> usize {
    text.split_whitespace()
        .filter(|t| !is_address(t))
        .map(|t| {
            t.split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .count()
        })
        .sum()
}

/// Whether both sides of a passage (their texts) have `min_words` words outside addresses.
pub fn not_addresses(config: &ContrastConfig, a: &str, b: &str, min_words: usize) -> bool {
    !config.skip_addresses
        || (words_outside_addresses(a) >= min_words && words_outside_addresses(b) >= min_words)
}

/// The mean of the `k` largest cosines of `x` with `others` (0 when there is none).
fn mean_top(x: &[f32], others: &[&[f32]], k: usize) -> f64 {
    let mut c: Vec<f64> = others.iter().map(|y| cosine(x, y)).collect();
    if c.is_empty() {
        return 0.0;
    }
    c.sort_by(|p, q| q.total_cmp(p));
    c.truncate(k);
    c.iter().sum::<f64>() / c.len() as f64
}

/// The sentence vectors of `doc` outside the character span `(s, e)`, of sentences with words
/// left after masking (a nonzero bag) and a nonzero vector.
fn outside<'v>(
    doc: &Prepared,
    vectors: &'v dyn UnitVectors,
    bags: &[Bag],
    (s, e): (usize, usize),
) -> Vec<&'v [f32]> {
    doc.units
        .iter()
        .enumerate()
        .filter(|(u, unit)| {
            if unit.is_empty() || bags.get(*u).is_none_or(|b| b.total == 0) {
                return false;
            }
            let first = doc.char_offset(doc.spans[unit.first].0);
            let last = doc.char_offset(doc.spans[unit.end - 1].1);
            // Outside: no word of the unit inside the span.
            last <= s || first >= e
        })
        .filter_map(|(u, _)| vectors.vector(u))
        .filter(|v| v.iter().any(|&x| x != 0.0))
        .collect()
}

/// One document of a pair as this module sees it: prepared, with its sentences' static vectors
/// and bags.
#[derive(Clone, Copy, Debug)]
pub struct Side<'d> {
    /// The prepared (masked) document.
    pub doc: &'d Prepared<'d>,
    /// Static vector of each sentence unit.
    pub vectors: &'d dyn UnitVectors,
    /// Bag of each sentence unit.
    pub bags: &'d [Bag],
}

impl<'d> Side<'d> {
    /// A document with its sentences' static vectors and bags.
    pub fn new(doc: &'d Prepared<'d>, vectors: &'d dyn UnitVectors, bags: &'d [Bag]) -> Self {
        Side { doc, vectors, bags }
    }

    /// The text of the character span `(s, e)`.
    fn text(&self, (s, e): (usize, usize)) -> String {
        self.doc.text.chars().skip(s).take(e - s).collect()
    }
}

/// The judge's score `score` of passage `p` against `bar`, or `-1` when it reaches the bar but
/// does not [stand out](stands_out) (the margin is computed only then).
pub fn judged(
    model: &StaticModel,
    config: &ContrastConfig,
    p: &Passage,
    (a, b): (Side, Side),
    score: f64,
    bar: f64,
) -> f64 {
    if score < bar {
        return score;
    }
    let (ta, tb) = (a.text(p.a), b.text(p.b));
    if stands_out(model, config, p, (a, &ta), (b, &tb)) {
        score
    } else {
        -1.0
    }
}

/// The contrast of passage `p` between documents `a` and `b`: the static cosine of its two sides
/// (texts `ta`, `tb`) less the mean of each side's `r`, its mean cosine to its
/// [`ContrastConfig::neighbours`] nearest sentences of the other document outside the passage.
pub fn margin(
    model: &StaticModel,
    config: &ContrastConfig,
    p: &Passage,
    (a, ta): (Side, &str),
    (b, tb): (Side, &str),
) -> f64 {
    let (x, y) = (model.encode(ta), model.encode(tb));
    let k = config.neighbours;
    let rx = mean_top(&x, &outside(b.doc, b.vectors, b.bags, p.b), k);
    let ry = mean_top(&y, &outside(a.doc, a.vectors, a.bags, p.a), k);
    cosine(&x, &y) - (rx + ry) / 2.0
}

/// Whether a reworded passage whose judge said it is said twice stands out from the rest of the
/// other document ([`margin`] at or above [`ContrastConfig::min_margin`]); verbatim passages and
/// the rule switched off always do.
pub fn stands_out(
    model: &StaticModel,
    config: &ContrastConfig,
    p: &Passage,
    a: (Side, &str),
    b: (Side, &str),
) -> bool {
    p.kind == crate::align::PassageKind::Verbatim
        || !config.margin_on()
        || margin(model, config, p, a, b) >= config.min_margin
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_told_from_words() {
        for t in [
            "henry@zoo.toronto.edu",
            "<richardd@hoskyns.co.uk>",
            "export.lcs.mit.edu",
            "soda.berkeley.edu:pub/typing-injury.",
            "/contrib/CLX.R5.02.tar.Z.",
            "pub/ice.tar.Z,",
            "http://example.org/x",
            "(18.24.0.12)",
            "canrem.com",
            "xv.tar.Z",
        ] {
            assert!(is_address(t), "{t}");
        }
        for t in [
            "Teflon", "U.S.", "U.S.A.", "2.11,", "e.g.", "Inc.", "and/or", "1.5", "(Henry",
            "writes:", "St.", "...", "",
        ] {
            assert!(!is_address(t), "{t}");
        }
    }

    #[test]
    fn lines_of_addresses_have_few_words_left() {
        assert_eq!(
            words_outside_addresses("available via anonymous FTP from export.lcs.mit.edu"),
            5
        );
        assert_eq!(
            words_outside_addresses("henry@zoo.toronto.edu (Henry Spencer) writes:"),
            3
        );
        assert_eq!(
            words_outside_addresses("The U.S. plan calls for loans tied to reforms."),
            10
        );
        let on = ContrastConfig::default();
        let off = ContrastConfig {
            skip_addresses: false,
            ..on.clone()
        };
        let (x, y) = (
            "Richard Donkin <richardd@hoskyns.co.uk>",
            "Email to Richard Donkin at richardd@hoskyns.co.uk",
        );
        assert!(!not_addresses(&on, x, y, 6));
        assert!(not_addresses(&off, x, y, 6));
        let s = "The Soviet Union carried out a nuclear test early today.";
        assert!(not_addresses(&on, s, s, 6));
    }

    #[test]
    fn the_top_cosines_are_averaged() {
        let (x, y, z) = ([1.0f32, 0.0], [0.0f32, 1.0], [1.0f32, 1.0]);
        assert_eq!(mean_top(&x, &[], 3), 0.0);
        let m = mean_top(&x, &[&y, &z, &x], 2);
        assert!((m - (1.0 + 0.5f64.sqrt()) / 2.0).abs() < 1e-6, "{m}");
        assert!((mean_top(&x, &[&y], 3)).abs() < 1e-9);
    }

    #[test]
    fn a_passage_close_to_every_sentence_of_the_other_document_does_not_stand_out() {
        use crate::align::{unit_bags, AlignConfig, KeyWeights, PassageKind};
        let dir = tempfile::tempdir().unwrap();
        crate::embed::tiny::write_tiny_model(dir.path()).unwrap();
        let model = StaticModel::load(dir.path()).unwrap();
        // The tiny model has 4 dimensions: its margins are smaller than the real model's, so the
        // bar sits between the two cases here.
        let config = ContrastConfig {
            min_margin: 0.15,
            ..ContrastConfig::default()
        };
        let align = AlignConfig::default();
        let a_text = "The grain exports resumed. The minister's cafe.";
        // The passage is each document's first sentence; in `hub` every other sentence of the
        // second document says much the same, in `apart` none does.
        let margin_with = |b_text: &str| {
            let (a, b) = (Prepared::new(a_text, &align), Prepared::new(b_text, &align));
            let weights = KeyWeights::for_pair(&a, &b);
            let (bags_a, bags_b) = (unit_bags(&a, &weights), unit_bags(&b, &weights));
            let (va, vb) = (model.encode_units(&a), model.encode_units(&b));
            let p = Passage {
                a: (0, 26),
                b: (0, 22),
                score: 0.5,
                evidence: 0.5,
                kind: PassageKind::Reworded,
                a_words: 4,
                b_words: 3,
            };
            let (sa, sb) = (Side::new(&a, &va, &bags_a), Side::new(&b, &vb, &bags_b));
            let (ta, tb) = (&a_text[..26], &b_text[..22]);
            let m = margin(&model, &config, &p, (sa, ta), (sb, tb));
            let out = stands_out(&model, &config, &p, (sa, ta), (sb, tb));
            // `judged` keeps a score at the bar only for a passage that stands out, and leaves
            // one below the bar alone.
            let kept = judged(&model, &config, &p, (sa, sb), 0.7, 0.65);
            assert_eq!(kept, if out { 0.7 } else { -1.0 });
            assert_eq!(judged(&model, &config, &p, (sa, sb), 0.5, 0.65), 0.5);
            (m, out)
        };
        let (hub, hub_out) =
            margin_with("Grain exports resumed. The grain exports. Grain exports, grain.");
        let (apart, apart_out) =
            margin_with("Grain exports resumed. Unrelated cafe. The minister.");
        assert!(hub < apart, "{hub} {apart}");
        assert!(apart_out && !hub_out, "{hub} {apart}");
        // Switched off, both count.
        let off = ContrastConfig {
            min_margin: -2.0,
            ..config.clone()
        };
        assert!(!off.margin_on());
    }

    #[test]
    fn config_is_checked() {
        assert!(ContrastConfig::default().validate().is_ok());
        let bad = ContrastConfig {
            neighbours: 0,
            ..ContrastConfig::default()
        };
        assert!(bad.validate().is_err());
        let off = ContrastConfig {
            min_margin: -2.0,
            ..ContrastConfig::default()
        };
        assert!(off.validate().is_ok() && !off.margin_on());
    }
}
