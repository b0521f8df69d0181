//! One pair aligned as `overlap reuse` aligns it inside its corpus: words weighted by their rarity
//! in the corpus, and the corpus's boilerplate (n-grams repeated across many documents, template
//! lines, signature lines) masked, so that `overlap align --corpus` relates exactly the pairs that
//! `reuse` over the same corpus would (given they are candidates), and can say which of each
//! document's text is boilerplate.
//!
//! The corpus is one source (as `reuse` without `--source-field`). Memory: every document's anchor
//! n-grams and content-word keys while the corpus statistics are counted (as `reuse`'s read and
//! index stages), then the two documents prepared.

use super::{anchors, boilerplate, index, quoted_signatures, signatures, templates, ReuseConfig};
use crate::align::{
    align_with_bags, is_function_word, soft_key, unit_bags, Alignment, KeyWeights, Prepared,
};
use crate::hashing::FastMap;
use crate::text::tokenize;
use rayon::prelude::*;

/// A pair aligned within its corpus.
#[derive(Clone, Debug)]
pub struct PairInCorpus {
    /// The alignment, boilerplate masked, words weighted by corpus rarity.
    pub alignment: Alignment,
    /// Character spans `[start, end)` of A's boilerplate (what was masked).
    pub boilerplate_a: Vec<(usize, usize)>,
    /// The same for B.
    pub boilerplate_b: Vec<(usize, usize)>,
}

struct DocStats {
    grams: Vec<u64>,
    keys: Vec<u64>,
    templates: Vec<templates::TemplateLine>,
    lines: signatures::DocLines,
}

/// Align `texts[a]` with `texts[b]` as `reuse` would within the corpus `texts`.
pub fn align_in_corpus(texts: &[&str], a: usize, b: usize, config: &ReuseConfig) -> PairInCorpus {
    let n = config.anchor_ngram;
    let norm = config.align.normalization;
    let stats: Vec<DocStats> = texts
        .par_iter()
        .map(|text| {
            let tokens = tokenize(text, &norm);
            let mut keys: Vec<u64> = (0..tokens.len())
                .map(|i| tokens.token(i))
                .filter(|w| !is_function_word(w))
                .map(|w| xxhash_rust::xxh3::xxh3_64(soft_key(w).as_bytes()))
                .collect();
            keys.sort_unstable();
            keys.dedup();
            DocStats {
                grams: anchors::anchor_grams(&tokens, n),
                keys,
                templates: templates::template_lines(text, &tokens),
                lines: signatures::doc_lines(text, &tokens),
            }
        })
        .collect();
    let params = index::IndexParams {
        // Only the boilerplate is wanted: the fewest candidate pairs are generated.
        max_df: 2,
        min_shared: usize::MAX,
        boilerplate_min_docs: config.boilerplate_min_docs,
        boilerplate_fraction: config.boilerplate_fraction,
        boilerplate_cap_docs: config.boilerplate_cap_docs,
        global_boilerplate_docs: config.global_boilerplate_docs,
    };
    let distinct: Vec<Vec<u64>> = stats
        .par_iter()
        .map(|d| anchors::distinct(&d.grams))
        .collect();
    let found = index::build(&distinct, &vec![0; texts.len()], &[texts.len()], &params);
    drop(distinct);

    let template_needed = index::boilerplate_threshold(&params, texts.len());
    let template_view: Vec<(&[templates::TemplateLine], u32)> =
        stats.iter().map(|d| (d.templates.as_slice(), 0)).collect();
    let template_spans = templates::boilerplate_lines(&template_view, |_| template_needed);
    let sig_keys = signatures::signature_keys(
        &stats.iter().map(|d| (&d.lines, 0)).collect::<Vec<_>>(),
        config.signature_min_docs,
    );
    let mut df: FastMap<u64, u32> = FastMap::default();
    for d in &stats {
        for &k in &d.keys {
            *df.entry(k).or_default() += 1;
        }
    }
    let weights =
        KeyWeights::from_document_frequencies(&df, texts.len(), config.rare_word_min_docs);

    // As `reuse` prepares it: boilerplate, template and signature lines masked, less `unmask`.
    let prepare = |d: usize, unmask: &[(usize, usize)]| {
        let mut p = Prepared::new(texts[d], &config.align);
        let s = &stats[d];
        let spans = boilerplate::spans(
            &s.grams,
            0,
            &found.boilerplate,
            n,
            config.boilerplate_min_words,
        );
        let mut masks: Vec<(usize, usize)> =
            boilerplate::to_mask(&spans, p.text, &p.spans, config.boilerplate_inline_words)
                .map(|s| (s.first, s.end))
                .collect();
        let sigs = signatures::signature_spans(&s.lines, 0, &sig_keys);
        masks.extend(quoted_signatures::without(&sigs, unmask));
        masks.extend(template_spans[d].iter().copied());
        for (first, end) in masks {
            p.mask(first, end);
        }
        p
    };
    let align_pair = |pa: &Prepared, pb: &Prepared| {
        align_with_bags(
            pa,
            &unit_bags(pa, &weights),
            pb,
            &unit_bags(pb, &weights),
            &weights,
            &config.align,
        )
    };
    let (pa, pb) = (prepare(a, &[]), prepare(b, &[]));
    let masked = align_pair(&pa, &pb);
    let side = |d: usize, doc| quoted_signatures::Side {
        doc,
        lines: &stats[d].lines,
        source: 0,
    };
    let mut unmasked = None;
    let (alignment, _) =
        quoted_signatures::relate(masked, &side(a, &pa), &side(b, &pb), &sig_keys, |unmask| {
            let again = (prepare(a, &unmask[0]), prepare(b, &unmask[1]));
            let al = align_pair(&again.0, &again.1);
            unmasked = Some(again);
            al
        });
    // What was masked for the alignment that stands.
    let (pa, pb) = match unmasked {
        Some(again) if alignment.related => again,
        _ => (pa, pb),
    };
    PairInCorpus {
        alignment,
        boilerplate_a: masked_char_spans(&pa),
        boilerplate_b: masked_char_spans(&pb),
    }
}

/// The character spans of the runs of masked tokens of `p`.
fn masked_char_spans(p: &Prepared) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut t = 0;
    while t < p.masked_tokens.len() {
        if !p.masked_tokens[t] {
            t += 1;
            continue;
        }
        let first = t;
        while t < p.masked_tokens.len() && p.masked_tokens[t] {
            t += 1;
        }
        out.push((
            p.char_offset(p.spans[first].0),
            p.char_offset(p.spans[t - 1].1),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_shared_by_the_corpus_is_boilerplate_of_the_pair() {
        let sig = "-- \nJosh Hopkins   jbh55289@uxa.cso.uiuc.edu\n\"Find a way or make one.\"\n";
        let texts: Vec<String> = [
            "The launch slipped again and nobody at the agency was surprised by it.",
            "Orbital mechanics is not intuitive for anyone who learned to drive a car.",
            "I would rather fund the planetary probes than another space station module.",
        ]
        .iter()
        .map(|t| format!("{t}\n{sig}"))
        .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let config = ReuseConfig::default();
        let pair = align_in_corpus(&refs, 0, 1, &config);
        assert!(!pair.alignment.related, "{:?}", pair.alignment);
        assert_eq!(
            pair.boilerplate_a.len(),
            1,
            "name line and motto, one stretch"
        );
        let (s, e) = pair.boilerplate_a[0];
        let chars: Vec<char> = texts[0].chars().collect();
        let masked: String = chars[s..e].iter().collect();
        assert!(
            masked.starts_with("Josh Hopkins") && masked.ends_with("one"),
            "{masked}"
        );
        // The same two texts alone: the signature is shared text.
        assert!(crate::align::align(&texts[0], &texts[1], &config.align).related);
    }
}
