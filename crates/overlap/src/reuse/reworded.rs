//! Reworded passages by meaning (`reuse --semantic`, off by default): documents that share a few
//! passages rewritten by people, inside otherwise unrelated texts.
//!
//! A human paraphrase keeps a sentence's facts (names, numbers, the rare words of one statement) and
//! changes most of the rest: the pair shares few word 4-grams, so the anchor index rarely proposes
//! it, and its sentences fall below the reworded bar of word overlap, so the lexical alignment
//! pairs few of them and the relatedness rule (15 words of evidence) rejects what it pairs. This
//! pass adds, after the lexical alignment:
//!
//! 1. **Candidates by rare word pairs.** Every sentence of every document gives the pairs of its
//!    rare content words (corpus rarity, as in alignment; the [`RewordedConfig::words_per_sentence`]
//!    rarest); documents sharing [`RewordedConfig::min_shared_word_pairs`] such pairs, each in at most
//!    [`RewordedConfig::max_df`] documents, are candidates (those already related are left out). Two
//!    rare words of one sentence survive a paraphrase far more often than four consecutive words.
//! 2. **Alignment by meaning.** Each candidate is aligned as in `reuse`, with sentence vectors as
//!    evidence ([`crate::align::Semantic`]): a sentence pair that shares a rare word and two content
//!    words, whose static-model cosine is at least [`RewordedConfig::static_from`] (a cheap screen:
//!    the static model cannot tell a paraphrase from a sentence on the same topic, bench/RESULTS.md
//!    8.4), pairs when the full transformer's cosine reaches [`RewordedConfig::pair_cosine`]
//!    (neighbours of a pair at [`RewordedConfig::context_cosine`]). The static model alone never
//!    pairs a sentence here.
//! 3. **Related by meaning.** A pair is related by `align`'s rules, or when at least
//!    [`RewordedConfig::min_passages`] of its passages of [`RewordedConfig::min_passage_words`] words
//!    or more are verbatim or have a transformer cosine of their two sides at or above
//!    [`RewordedConfig::pair_cosine`]: a few sentences each said twice in other words.
//!
//! The transformer runs only on the sentences of the unsure sentence pairs of candidates and on
//! the passages judged in step 3, each sentence encoded once per chunk of candidates (cached across
//! the pairs that share it). Every result depends only on the pair, so the outputs are the same for
//! any `--threads`.
//!
//! Memory: the rare word pairs of every document (8 bytes each) and their sorted `(pair, document)`
//! entries (16 bytes each) while the candidates are found, in memory (this pass does not spill);
//! then per chunk of candidates the documents' prepared forms (as in `reuse`), one static vector
//! per sentence (1 KB) and one transformer vector per sentence encoded (1.5 KB); and 8 bytes (plus
//! the hash set's slack) per distinct sentence encoded, for the count.

use crate::align::{
    align_with_bags_semantic, cosine, AlignConfig, Alignment, Bag, KeyWeights, Passage,
    PassageKind, Prepared, Rescore, Semantic, SemanticConfig,
};
use crate::embed::{StaticModel, Transformer};
use crate::error::Result;
use crate::hashing::FastSet;
use crate::progress::{Progress, Unit};
use rayon::prelude::*;
use serde::Serialize;
use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

/// Parameters of the pass. `Default` gives the measured defaults (bench/RESULTS.md 8.5).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RewordedConfig {
    /// Fewest distinct rare word pairs (two rare words of one sentence) two documents must share to
    /// be a candidate. Default: 2.
    pub min_shared_word_pairs: usize,
    /// A word pair in more documents than this proposes no candidates. Default: 20.
    pub max_df: usize,
    /// The rarest words of a sentence that make its word pairs. Default: 10.
    pub words_per_sentence: usize,
    /// Static-model cosine from which the transformer is asked about a sentence pair. Default: 0.6
    /// (95% of STS news pairs scored 4 or more by people lie above it).
    pub static_from: f64,
    /// Transformer cosine at or above which a sentence pair pairs, and a passage counts as said
    /// twice. Default: 0.8.
    pub pair_cosine: f64,
    /// Transformer cosine enough for a neighbour of a pair to pair. Default: 0.75.
    pub context_cosine: f64,
    /// Fewest passages said twice for two documents to be related by meaning. Default: 2.
    pub min_passages: usize,
    /// Fewest words (on the side with fewer) of a passage that counts. Default: 6.
    pub min_passage_words: usize,
}

impl Default for RewordedConfig {
    fn default() -> Self {
        RewordedConfig {
            min_shared_word_pairs: 2,
            max_df: 20,
            words_per_sentence: 10,
            static_from: 0.6,
            pair_cosine: 0.8,
            context_cosine: 0.75,
            min_passages: 2,
            min_passage_words: 6,
        }
    }
}

impl RewordedConfig {
    /// Check that every parameter is in range.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(crate::Error::Config(m));
        for (name, v) in [
            ("static_from", self.static_from),
            ("pair_cosine", self.pair_cosine),
            ("context_cosine", self.context_cosine),
        ] {
            if !(-1.0..=1.0).contains(&v) {
                return bad(format!("{name} must be in [-1, 1], got {v}"));
            }
        }
        for (name, v) in [
            ("min_shared_word_pairs", self.min_shared_word_pairs),
            ("max_df", self.max_df),
            ("words_per_sentence", self.words_per_sentence),
            ("min_passages", self.min_passages),
        ] {
            if v == 0 {
                return bad(format!("{name} must be at least 1"));
            }
        }
        Ok(())
    }

    /// How the alignment uses the vectors: the static model screens, the transformer decides.
    fn semantic(&self) -> SemanticConfig {
        SemanticConfig {
            // Above any cosine: the static model alone pairs nothing.
            pair_cosine: 2.0,
            context_cosine: 2.0,
            rescore_from: self.static_from,
            rescore_pair_cosine: self.pair_cosine,
            rescore_context_cosine: self.context_cosine,
            ..SemanticConfig::default()
        }
    }
}

/// What `reuse --semantic` needs.
#[derive(Clone, Copy, Debug)]
pub struct Reworded<'m> {
    /// The static model (the screen).
    pub model: &'m StaticModel,
    /// The full transformer (the judge).
    pub transformer: &'m Transformer,
    /// Parameters.
    pub config: &'m RewordedConfig,
}

/// Counts for `summary.json`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RewordedCounts {
    /// The parameters used.
    pub parameters: RewordedConfig,
    /// Candidate pairs from rare word pairs (related pairs left out).
    pub candidates: u64,
    /// Of those, pairs that passed the screen (see `Optimist`) and were judged by the transformer.
    pub judged: u64,
    /// Of those, pairs related by this pass.
    pub related: u64,
    /// Sentence pairs the transformer judged.
    pub sentence_pairs_rescored: u64,
    /// Texts the transformer encoded: each distinct sentence once (even when two chunks of
    /// candidates, whose size follows `--memory`, each encode it) and each passage judged, so that
    /// the count is the same at any budget.
    pub texts_encoded: u64,
}

/// A pair related by this pass: its document numbers and alignment.
pub type RelatedPair = (u32, u32, Alignment);

/// A document prepared for alignment, masked as the job masks it, with its sentences' bags.
pub type PreparedDoc<'t> = (Prepared<'t>, Vec<Bag>);

/// The rare word pairs of a prepared document: for every sentence, the pairs of its
/// `words_per_sentence` rarest rare words, hashed; sorted, distinct.
pub fn word_pairs(bags: &[Bag], words_per_sentence: usize) -> Vec<u64> {
    let mut out = Vec::new();
    let mut rare: Vec<(u32, u64)> = Vec::new();
    for bag in bags {
        rare.clear();
        rare.extend(
            bag.items
                .iter()
                .filter(|i| i.rare > 0)
                .map(|i| (i.weight / i.content.max(1), i.key)),
        );
        // Rarest first (highest weight per occurrence), ties by key.
        rare.sort_unstable_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
        rare.truncate(words_per_sentence);
        let mut keys: Vec<u64> = rare.iter().map(|r| r.1).collect();
        keys.sort_unstable();
        for (i, &x) in keys.iter().enumerate() {
            for &y in &keys[i + 1..] {
                let mut bytes = [0u8; 16];
                bytes[..8].copy_from_slice(&x.to_le_bytes());
                bytes[8..].copy_from_slice(&y.to_le_bytes());
                out.push(xxhash_rust::xxh3::xxh3_64(&bytes));
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Document pairs `(a, b)`, `a < b`, sorted, that share at least `min_shared` distinct word pairs
/// each in at most `max_df` documents.
pub fn candidates(grams: &[Vec<u64>], min_shared: usize, max_df: usize) -> Vec<(u32, u32)> {
    let mut entries: Vec<(u64, u32)> = grams
        .iter()
        .enumerate()
        .flat_map(|(d, gs)| gs.iter().map(move |&g| (g, d as u32)))
        .collect();
    entries.par_sort_unstable();
    let mut packed: Vec<u64> = entries
        .chunk_by(|x, y| x.0 == y.0)
        .filter(|g| g.len() >= 2 && g.len() <= max_df)
        .flat_map(|g| {
            g.iter().enumerate().flat_map(move |(i, &(_, a))| {
                g[i + 1..]
                    .iter()
                    .map(move |&(_, b)| u64::from(a) << 32 | u64::from(b))
            })
        })
        .collect();
    drop(entries);
    packed.par_sort_unstable();
    packed
        .chunk_by(|x, y| x == y)
        .filter(|run| run.len() >= min_shared)
        .map(|run| ((run[0] >> 32) as u32, run[0] as u32))
        .collect()
}

/// Transformer vectors of a chunk's sentences, each encoded once, whichever pair asks first.
struct Vectors<'c> {
    transformer: &'c Transformer,
    units: Vec<Vec<OnceLock<Vec<f32>>>>,
    /// Passages encoded (sentences are counted from `units` after each chunk).
    encoded: &'c AtomicU64,
}

impl Vectors<'_> {
    fn unit(&self, m: usize, doc: &Prepared, u: usize) -> &[f32] {
        self.units[m][u].get_or_init(|| {
            let unit = &doc.units[u];
            self.transformer
                .encode(&doc.text[unit.start_byte..unit.end_byte])
        })
    }
}

/// The transformer's opinion on the sentence pairs of one candidate, counted.
#[derive(Debug)]
struct PairJudge<'p> {
    vectors: &'p Vectors<'p>,
    ma: usize,
    mb: usize,
    a: &'p Prepared<'p>,
    b: &'p Prepared<'p>,
    asked: Mutex<u64>,
}

impl std::fmt::Debug for Vectors<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vectors")
            .field("documents", &self.units.len())
            .finish()
    }
}

impl Rescore for PairJudge<'_> {
    fn cosine(&self, u: usize, v: usize) -> f64 {
        if u >= self.a.units.len() || v >= self.b.units.len() {
            return 0.0;
        }
        *self.asked.lock().expect("no panic holds the lock") += 1;
        cosine(
            self.vectors.unit(self.ma, self.a, u),
            self.vectors.unit(self.mb, self.b, v),
        )
    }
}

/// The screen before the transformer: every sentence pair it would be asked about is taken as
/// said twice. A candidate whose alignment even then holds fewer than `min_passages` passages of
/// `min_passage_words` words (and is not related) cannot be related by meaning, and the transformer
/// is not asked about it at all.
#[derive(Debug, Default)]
struct Optimist;

impl Rescore for Optimist {
    fn cosine(&self, _: usize, _: usize) -> f64 {
        1.0
    }
}

/// The text of the character span `(s, e)` of `doc`.
fn span_text(doc: &Prepared, (s, e): (usize, usize)) -> String {
    doc.text.chars().skip(s).take(e - s).collect()
}

/// Whether passage `p` may be said twice: verbatim, or reworded with a static-model cosine of its
/// two sides at or above the screen (the static model is cheap; the transformer then decides).
fn hopeful(p: &Passage, a: &Prepared, b: &Prepared, model: &StaticModel, from: f64) -> bool {
    p.kind == PassageKind::Verbatim
        || cosine(
            &model.encode(&span_text(a, p.a)),
            &model.encode(&span_text(b, p.b)),
        ) >= from
}

/// Whether the words of unit `u` of `doc` lie inside the character span `(s, e)`.
fn inside(doc: &Prepared, u: usize, (s, e): (usize, usize)) -> bool {
    let unit = &doc.units[u];
    if unit.is_empty() {
        return false;
    }
    let first = doc.char_offset(doc.spans[unit.first].0);
    let last = doc.char_offset(doc.spans[unit.end - 1].1);
    s <= first && last <= e
}

/// Whether the alignment holds at least `min_passages` passages said twice: verbatim, or of a
/// transformer cosine at or above the bar, each of `min_passage_words` words or more.
fn said_twice(
    al: &Alignment,
    a: &Prepared,
    b: &Prepared,
    vectors: &Vectors<'_>,
    (ma, mb): (usize, usize),
    model: &StaticModel,
    config: &RewordedConfig,
) -> bool {
    let mut count = 0;
    for p in &al.passages {
        if p.a_words.min(p.b_words) < config.min_passage_words
            || !hopeful(p, a, b, model, config.static_from)
        {
            continue;
        }
        let ok = p.kind == PassageKind::Verbatim || {
            let side = |doc: &Prepared, m: usize, (s, e): (usize, usize), words: usize| {
                // A passage that is one sentence has its vector already.
                let one = (0..doc.units.len())
                    .find(|&u| inside(doc, u, (s, e)) && doc.units[u].len() == words);
                match one {
                    Some(u) => Cow::<[f32]>::Borrowed(vectors.unit(m, doc, u)),
                    None => {
                        vectors.encoded.fetch_add(1, Ordering::Relaxed);
                        Cow::Owned(vectors.transformer.encode(&span_text(doc, (s, e))))
                    }
                }
            };
            let (x, y) = (side(a, ma, p.a, p.a_words), side(b, mb, p.b, p.b_words));
            cosine(&x, &y) >= config.pair_cosine
        };
        count += usize::from(ok);
        if count >= config.min_passages {
            return true;
        }
    }
    false
}

/// Find the pairs related by meaning among the documents not related by `related` (sorted `(a, b)`
/// document numbers, `a < b`).
///
/// `empty[d]` marks documents with no word; `text(d)` reads a document's text; `prepare(d, text)`
/// prepares it as the job does (boilerplate masked) with the corpus `weights`; `doc_cost(d)` is the
/// memory its prepared form takes, and chunks of candidates take at most `chunk_budget` of it.
/// Returns the new related pairs with their alignments, sorted, and the counts.
#[allow(clippy::too_many_arguments)]
pub fn find<'t>(
    job: &Reworded<'_>,
    empty: &[bool],
    text: &(dyn Fn(usize) -> Result<Cow<'t, str>> + Sync),
    prepare: &(dyn for<'a> Fn(u32, &'a str) -> PreparedDoc<'a> + Sync),
    doc_cost: &(dyn Fn(u32) -> u64 + Sync),
    chunk_budget: u64,
    related: &[(u32, u32)],
    weights: &KeyWeights,
    align: &AlignConfig,
    progress: &dyn Progress,
) -> Result<(Vec<RelatedPair>, RewordedCounts)> {
    let config = job.config;
    config.validate()?;
    progress.start(
        "semantic candidates",
        Some(empty.len() as u64),
        Unit::Documents,
    );
    let done = AtomicU64::new(0);
    let grams: Vec<Vec<u64>> = (0..empty.len())
        .into_par_iter()
        .map(|d| {
            let out = if empty[d] {
                Vec::new()
            } else {
                let t = text(d)?;
                let (_, bags) = prepare(d as u32, &t);
                word_pairs(&bags, config.words_per_sentence)
            };
            progress.update(done.fetch_add(1, Ordering::Relaxed) + 1);
            Ok(out)
        })
        .collect::<Result<_>>()?;
    progress.finish();
    let known: FastSet<(u32, u32)> = related.iter().copied().collect();
    let pairs: Vec<(u32, u32)> = candidates(&grams, config.min_shared_word_pairs, config.max_df)
        .into_iter()
        .filter(|p| !known.contains(p))
        .collect();
    drop(grams);

    let semantic_config = config.semantic();
    let encoded = AtomicU64::new(0);
    // (document, sentence) of every sentence encoded, for a count that does not follow the chunks.
    let mut sentences_encoded: FastSet<(u32, u32)> = FastSet::default();
    let rescored = AtomicU64::new(0);
    let screened = AtomicU64::new(0);
    let mut found: Vec<RelatedPair> = Vec::new();
    progress.start("semantic align", Some(pairs.len() as u64), Unit::Pairs);
    let done = AtomicU64::new(0);
    let mut start = 0;
    while start < pairs.len() {
        let mut seen: FastSet<u32> = FastSet::default();
        let mut cost = 0u64;
        let mut end = start;
        while end < pairs.len() && (cost < chunk_budget || end == start) {
            for d in [pairs[end].0, pairs[end].1] {
                if seen.insert(d) {
                    cost += doc_cost(d);
                }
            }
            end += 1;
        }
        let mut members: Vec<u32> = seen.into_iter().collect();
        members.sort_unstable();
        let texts: Vec<Cow<'_, str>> = members
            .par_iter()
            .map(|&d| text(d as usize))
            .collect::<Result<_>>()?;
        let docs: Vec<(PreparedDoc<'_>, Vec<Vec<f32>>)> = members
            .par_iter()
            .zip(&texts)
            .map(|(&d, t)| {
                let (p, bags) = prepare(d, t);
                let vectors = job.model.encode_units(&p);
                ((p, bags), vectors)
            })
            .collect();
        let vectors = Vectors {
            transformer: job.transformer,
            units: docs
                .iter()
                .map(|((p, _), _)| (0..p.units.len()).map(|_| OnceLock::new()).collect())
                .collect(),
            encoded: &encoded,
        };
        let index = |d: u32| members.binary_search(&d).expect("a member of the chunk");
        found.extend(
            pairs[start..end]
                .par_iter()
                .filter_map(|&(da, db)| {
                    let (ma, mb) = (index(da), index(db));
                    let (((a, bags_a), va), ((b, bags_b), vb)) = (&docs[ma], &docs[mb]);
                    let k = done.fetch_add(1, Ordering::Relaxed) + 1;
                    progress.update(k);
                    let optimist = Optimist;
                    let screen = Semantic {
                        a: va,
                        b: vb,
                        config: &semantic_config,
                        rescore: Some(&optimist),
                    };
                    let al = align_with_bags_semantic(
                        a,
                        bags_a,
                        b,
                        bags_b,
                        weights,
                        Some(&screen),
                        align,
                    );
                    let hopeful = al
                        .passages
                        .iter()
                        .filter(|p| p.a_words.min(p.b_words) >= config.min_passage_words)
                        .filter(|p| hopeful(p, a, b, job.model, config.static_from))
                        .count();
                    if !(al.related || hopeful >= config.min_passages) {
                        return None;
                    }
                    screened.fetch_add(1, Ordering::Relaxed);
                    let judge = PairJudge {
                        vectors: &vectors,
                        ma,
                        mb,
                        a,
                        b,
                        asked: Mutex::new(0),
                    };
                    let semantic = Semantic {
                        a: va,
                        b: vb,
                        config: &semantic_config,
                        rescore: Some(&judge),
                    };
                    let al = align_with_bags_semantic(
                        a,
                        bags_a,
                        b,
                        bags_b,
                        weights,
                        Some(&semantic),
                        align,
                    );
                    let asked = *judge.asked.lock().expect("no panic holds the lock");
                    rescored.fetch_add(asked, Ordering::Relaxed);
                    (al.related || said_twice(&al, a, b, &vectors, (ma, mb), job.model, config))
                        .then(|| {
                            let mut al = al;
                            al.related = true;
                            (da, db, al)
                        })
                })
                .collect::<Vec<_>>(),
        );
        for (m, cells) in vectors.units.iter().enumerate() {
            for (u, cell) in cells.iter().enumerate() {
                if cell.get().is_some() {
                    sentences_encoded.insert((members[m], u as u32));
                }
            }
        }
        start = end;
    }
    progress.finish();
    let counts = RewordedCounts {
        parameters: config.clone(),
        candidates: pairs.len() as u64,
        judged: screened.load(Ordering::Relaxed),
        related: found.len() as u64,
        sentence_pairs_rescored: rescored.load(Ordering::Relaxed),
        texts_encoded: encoded.load(Ordering::Relaxed) + sentences_encoded.len() as u64,
    };
    Ok((found, counts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_sharing_enough_rare_word_pairs_are_candidates() {
        // Documents 0 and 1 share pairs 1 and 2; 2 shares only 1 with them; pair 9 is in too many.
        let grams = vec![vec![1, 2, 9], vec![1, 2, 3, 9], vec![1, 9], vec![9], vec![]];
        assert_eq!(candidates(&grams, 2, 3), vec![(0, 1)]);
        assert_eq!(candidates(&grams, 1, 3), vec![(0, 1), (0, 2), (1, 2)]);
        // Word pair 9 (in four documents) counts once max_df allows it.
        assert_eq!(
            candidates(&grams, 2, 4),
            vec![(0, 1), (0, 2), (1, 2)],
            "9 with 1"
        );
    }

    #[test]
    fn word_pairs_are_those_of_rare_words_within_one_sentence() {
        let config = AlignConfig::default();
        let text = "Gazprom cut supplies to Ukraine. Brussels criticised Moscow.";
        let p = Prepared::new(text, &config);
        // Every content word rare: a pair's weights.
        let weights = KeyWeights::for_pair(&p, &p);
        let bags = crate::align::unit_bags(&p, &weights);
        let pairs = word_pairs(&bags, 10);
        // Sentence one: gazprom, cut, supplies, ukraine (4 words, 6 pairs); two: 3 words, 3 pairs.
        assert_eq!(pairs.len(), 9);
        assert_eq!(word_pairs(&bags, 2).len(), 2);
        assert!(pairs.windows(2).all(|w| w[0] < w[1]));
    }
}
