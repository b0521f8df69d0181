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
//!    [`RewordedConfig::max_df`] documents, two of them in distinct sentences of both documents
//!    (when two passages are needed), are candidates (those already related are left out). Two
//!    rare words of one sentence survive a paraphrase far more often than four consecutive words.
//!    A candidate whose documents have no verbatim run in common must share
//!    [`RewordedConfig::min_word_pairs_unquoted`] word pairs, or it is not aligned.
//! 2. **The screen.** Each candidate is aligned as in `reuse`, with sentence vectors as evidence
//!    ([`crate::align::Semantic`]), every sentence pair the transformer would be asked about taken
//!    as paired (a pair that shares [`RewordedConfig::screen_rare_words`] rare words and two
//!    content words, whose static-model cosine is at least [`RewordedConfig::static_from`]: the
//!    static model cannot tell a paraphrase from a sentence on the same topic, bench/RESULTS.md
//!    8.4). Its passages of
//!    [`RewordedConfig::min_passage_words`] words or more, verbatim or with a static cosine of
//!    their two sides at or above [`RewordedConfig::passage_screen`], are its hopeful passages; a
//!    candidate with fewer than [`RewordedConfig::min_passages`] (and not related) stops here.
//! 3. **The gate.** The transformer encodes the two sides of the hopeful passages, best static
//!    cosine first, until [`RewordedConfig::min_passages`] reach [`RewordedConfig::pair_cosine`]
//!    or too few are left; a candidate that fails stops here. A few texts per candidate, instead
//!    of every unsure sentence pair.
//! 4. **Alignment by meaning.** The candidates left are aligned again, an unsure sentence pair
//!    pairing when the transformer's cosine reaches [`RewordedConfig::pair_cosine`] (neighbours of
//!    a pair at [`RewordedConfig::context_cosine`]). The static model alone never pairs a sentence.
//!    The transformer is asked only about sentences inside or next to the passages of the screen's
//!    alignment with one shared rare word (on both sides; computed again for these few pairs when
//!    the screen asked for more); an unsure pair elsewhere stays unpaired, as in the lexical
//!    alignment.
//! 5. **Related by meaning.** A pair is related by `align`'s rules, or when at least
//!    [`RewordedConfig::min_passages`] of its hopeful passages are verbatim or have a transformer
//!    cosine of their two sides at or above [`RewordedConfig::pair_cosine`]: a few sentences each
//!    said twice in other words.
//!
//! Steps 3 to 5 name the transformer; who really decides there is [`RewordedConfig::rescore`]
//! ([`super::static_tier`]): with [`RescoreTier::Never`] (the default) the static tier's combined
//! score of the static cosine and the weighted word overlap, against its own bars, and the
//! transformer is not loaded; with [`RescoreTier::Unsure`] the same, but a score within
//! [`RewordedConfig::unsure_margin`] of its bar goes to the transformer; with
//! [`RescoreTier::Always`] the transformer, as described (bench/RESULTS.md 8.10).
//!
//! Every text the transformer encodes (a sentence, or a passage's side) is encoded once per run,
//! cached by document and byte span. Every result depends only on the pair, and a vector only on
//! its text, so the outputs and the counts are the same for any `--threads` and `--memory`.
//!
//! Memory: step 1 ([`super::reworded_candidates`]) sorts the `(pair, document, sentence)` entries
//! of the documents' rare word pairs (16 bytes each), then the `(document pair, sentence,
//! sentence)` entries of the shared ones, each sort in a buffer of an eighth of the budget, past
//! which it spills to sorted runs (the same candidates in the same order at any budget); the
//! candidates (8 bytes each) stay in memory; then per chunk of candidates the documents' prepared forms
//! (as in `reuse`, about 10 bytes per text byte), one static vector per sentence the alignment asks
//! about (1 KB; computed on first use, not for every sentence) and, for each document aligned, its
//! sorted n-grams (16 bytes per token); for the whole run, one transformer vector per text encoded
//! (1.5 KB, plus about 40 bytes of map entry). The documents the caller keeps prepared ([`Kept`]:
//! the lexical stage's single chunk, at most half the `reuse` budget) are neither prepared again
//! (for their rare word pairs or in a chunk) nor counted again: a chunk's other documents take what
//! is left of `chunk_budget`, so the prepared forms held stay within it. Under a small `--memory`
//! the lexical stage works in several chunks, keeps none, and this pass prepares what it needs.

use super::contrast::{self, ContrastConfig};
use super::parts;
use super::reworded_candidates as candidates;
use super::static_tier::{self, verdict, RescoreTier, Verdict};
use super::{facts, recurring};
use crate::align::{
    align_with_runs_semantic, cosine, sorted_grams, verbatim_runs_grams, AlignConfig, Alignment,
    Bag, KeyWeights, Passage, PassageKind, Prepared, Rescore, Semantic, SemanticConfig,
    UnitVectors,
};
use crate::embed::{StaticModel, Transformer};
use crate::error::Result;
use crate::hashing::{FastMap, FastSet};
use crate::progress::{Progress, Unit};
use crate::spill::StageMemory;
use rayon::prelude::*;
use serde::Serialize;
use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Parameters of the pass. `Default` gives the measured defaults (bench/RESULTS.md 8.5).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RewordedConfig {
    /// Fewest distinct rare word pairs (two rare words of one sentence) two documents must share to
    /// be a candidate. Default: 2.
    pub min_shared_word_pairs: usize,
    /// Fewest distinct rare word pairs a candidate must share when its two documents have no
    /// verbatim run in common (anchor n-grams over `align`'s `min_run` tokens); one that shares
    /// fewer is not aligned. Default: 3 (on Reuters + 20 Newsgroups it skips a quarter of the
    /// candidates and relates the same pairs; on the dev sets it loses one pair of 600 and one
    /// false pair; bench/RESULTS.md 8.33). A quote keeps its words in order; a paraphrase
    /// sharing two word pairs and nothing verbatim is the weakest evidence the pass sees.
    pub min_word_pairs_unquoted: usize,
    /// Fewest distinct rare words two sentences must share for the screen's alignment to consider
    /// them a rewording by meaning (the judged alignment of the pairs that pass the gate takes
    /// one, near the passages of an alignment that takes one). Default: 2 (about 15% less CPU for
    /// the whole `--semantic` run on Reuters + 20 Newsgroups; on the dev sets one pair of 600 lost
    /// and one false pair gone; bench/RESULTS.md 8.33).
    pub screen_rare_words: u32,
    /// A word pair in more documents than this proposes no candidates. Default: 20.
    pub max_df: usize,
    /// The rarest words of a sentence that make its word pairs. Default: 10.
    pub words_per_sentence: usize,
    /// Static-model cosine from which the transformer is asked about a sentence pair. Default: 0.6
    /// (95% of STS news pairs scored 4 or more by people lie above it).
    pub static_from: f64,
    /// Static-model cosine of a passage's two sides from which it is judged (reworded passages
    /// below it never count as said twice). Default: 0.75 for [`RescoreTier::Never`] (0.6 adds
    /// decoys there and almost nothing else), [`RewordedConfig::TRANSFORMER_PASSAGE_SCREEN`]
    /// with the transformer, whose judgement lets a wider screen through without the decoys
    /// (bench/RESULTS.md 8.27; [`RewordedConfig::for_tier`]).
    pub passage_screen: f64,
    /// Transformer cosine at or above which a sentence pair pairs, and a passage counts as said
    /// twice. Default: 0.75 (0.8 until bench/RESULTS.md 8.27).
    pub pair_cosine: f64,
    /// Transformer cosine enough for a neighbour of a pair to pair. Default: 0.75.
    pub context_cosine: f64,
    /// Fewest passages said twice for two documents to be related by meaning. Default: 2.
    pub min_passages: usize,
    /// Fewest words (on the side with fewer) of a passage that counts. Default: 5 (about a tenth
    /// of the human-paraphrased passages of the dev sets have a side of 5 words; 6 until
    /// bench/RESULTS.md 8.18).
    pub min_passage_words: usize,
    /// Who decides the sentence pairs and passages the static model screens (see
    /// [`super::static_tier`]). Default: [`RescoreTier::Never`] (bench/RESULTS.md 8.10).
    pub rescore: RescoreTier,
    /// Weight `w` of the static cosine in the static tier's `w * cosine + (1 - w) * word
    /// overlap`. Default: 0.6.
    pub static_weight: f64,
    /// Static tier: combined score at or above which an unsure sentence pair pairs. Default: 0.6.
    pub static_pair: f64,
    /// Static tier: combined score enough for a neighbour of a pair to pair. Default: 0.55.
    pub static_context: f64,
    /// Static tier: combined score (static cosine of the two sides with the passage's word
    /// overlap) at or above which a reworded passage counts as said twice. Default: 0.6.
    pub static_passage: f64,
    /// With [`RescoreTier::Unsure`]: a combined score within this of its bar goes to the
    /// transformer. Default: 0.1 (0.05 until bench/RESULTS.md 8.28: 0.1 gains about a point
    /// of pair F1 on the dev sets, with the transformer on about twice as many texts).
    pub unsure_margin: f64,
    /// What must not count as said twice: addresses, passages no closer to each other than to
    /// the rest of the other document, `align`'s rule of evidence alone ([`super::contrast`],
    /// bench/RESULTS.md 8.14).
    pub contrast: ContrastConfig,
    /// A reworded passage whose whole is not said twice is judged again by its best sentence
    /// pair ([`super::parts`], bench/RESULTS.md 8.18). Default: true.
    pub sentence_pairs: bool,
    /// A reworded passage (or sentence pair) whose two sides both state numbers and share none is
    /// not said twice: the same topic with other facts ([`super::facts`], bench/RESULTS.md 8.24).
    /// Default: true.
    pub numbers_agree: bool,
    /// A passage whose sides share rare word pairs, each held by this many documents of the
    /// corpus or more, is a recurring line, not said twice ([`super::recurring`],
    /// bench/RESULTS.md 8.24); 0 turns the rule off. Default: 0 (off: on Reuters + 20 Newsgroups
    /// at 5 it removed real quotes of a thread's posts about as often as series lines).
    pub template_docs: usize,
}

impl Default for RewordedConfig {
    fn default() -> Self {
        RewordedConfig {
            min_shared_word_pairs: 2,
            min_word_pairs_unquoted: 3,
            screen_rare_words: 2,
            max_df: 20,
            words_per_sentence: 10,
            static_from: 0.6,
            passage_screen: 0.75,
            pair_cosine: 0.75,
            context_cosine: 0.75,
            min_passages: 2,
            min_passage_words: 5,
            rescore: RescoreTier::default(),
            static_weight: 0.3,
            static_pair: 0.65,
            static_context: 0.6,
            static_passage: 0.65,
            unsure_margin: 0.1,
            contrast: ContrastConfig::default(),
            sentence_pairs: true,
            numbers_agree: true,
            template_docs: 0,
        }
    }
}

impl RewordedConfig {
    /// [`RewordedConfig::passage_screen`] when the transformer judges ([`RescoreTier::Unsure`],
    /// [`RescoreTier::Always`]).
    pub const TRANSFORMER_PASSAGE_SCREEN: f64 = 0.6;

    /// The defaults for the tier `rescore`: [`Default`]'s, with the passage screen the tier
    /// was measured best with.
    pub fn for_tier(rescore: RescoreTier) -> Self {
        let passage_screen = match rescore {
            RescoreTier::Never => RewordedConfig::default().passage_screen,
            RescoreTier::Unsure | RescoreTier::Always => Self::TRANSFORMER_PASSAGE_SCREEN,
        };
        RewordedConfig {
            rescore,
            passage_screen,
            ..RewordedConfig::default()
        }
    }

    /// Check that every parameter is in range.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(crate::Error::Config(m));
        self.contrast.validate()?;
        for (name, v) in [
            ("static_from", self.static_from),
            ("passage_screen", self.passage_screen),
            ("pair_cosine", self.pair_cosine),
            ("context_cosine", self.context_cosine),
            ("static_pair", self.static_pair),
            ("static_context", self.static_context),
            ("static_passage", self.static_passage),
        ] {
            if !(-1.0..=1.0).contains(&v) {
                return bad(format!("{name} must be in [-1, 1], got {v}"));
            }
        }
        if !(0.0..=1.0).contains(&self.static_weight) || !(0.0..=1.0).contains(&self.unsure_margin)
        {
            return bad(format!(
                "static_weight and unsure_margin must be in [0, 1], got {} and {}",
                self.static_weight, self.unsure_margin
            ));
        }
        for (name, v) in [
            ("min_shared_word_pairs", self.min_shared_word_pairs),
            ("min_word_pairs_unquoted", self.min_word_pairs_unquoted),
            ("screen_rare_words", self.screen_rare_words as usize),
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

    /// How the alignment uses the vectors: the static cosine screens, the judge ([`PairJudge`])
    /// decides, its answer compared to the transformer's bars, or to the static tier's for
    /// [`RescoreTier::Never`].
    fn semantic(&self) -> SemanticConfig {
        let (pair, context) = match self.rescore {
            RescoreTier::Never => (self.static_pair, self.static_context),
            RescoreTier::Unsure | RescoreTier::Always => (self.pair_cosine, self.context_cosine),
        };
        SemanticConfig {
            // Above any cosine: the static cosine alone pairs nothing.
            pair_cosine: 2.0,
            context_cosine: 2.0,
            rescore_from: self.static_from,
            rescore_pair_cosine: pair,
            rescore_context_cosine: context,
            ..SemanticConfig::default()
        }
    }
}

/// What `reuse --semantic` needs.
#[derive(Clone, Copy, Debug)]
pub struct Reworded<'m> {
    /// The static model (the screen).
    pub model: &'m StaticModel,
    /// The full transformer (the judge; needed unless the tier is [`RescoreTier::Never`]).
    pub transformer: Option<&'m Transformer>,
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
    /// Of those, pairs that passed the screen (see `Optimist`): the alignment if every unsure
    /// sentence pair paired holds `min_passages` hopeful passages, or is related.
    pub screened: u64,
    /// Of those, pairs that passed the gate (the transformer on the screen's best passages) and
    /// whose sentence pairs the transformer judged.
    pub judged: u64,
    /// Of those, pairs related by this pass.
    pub related: u64,
    /// Sentence pairs the transformer judged.
    pub sentence_pairs_rescored: u64,
    /// Sentence pairs the static tier decided (with `rescore` `never` or `unsure`).
    pub sentence_pairs_static: u64,
    /// Texts the transformer encoded (sentences and passage sides), each once per run, so that the
    /// count is the same for any `--threads` and `--memory`.
    pub texts_encoded: u64,
    /// What the candidate stage held and spilled (for `summary.json`'s `memory`, not here: it
    /// depends on the budget).
    #[serde(skip)]
    pub candidate_memory: StageMemory,
}

/// A pair related by this pass: its document numbers and alignment.
pub type RelatedPair = (u32, u32, Alignment);

/// A document prepared for alignment, masked as the job masks it, with its sentences' bags.
pub type PreparedDoc<'t> = (Prepared<'t>, Vec<Bag>);

/// Documents the caller holds prepared already (the lexical stage's, when its candidates made one
/// chunk), as `prepare` would give them: the pass reads their bags and aligns them instead of
/// preparing them again.
#[derive(Clone, Copy, Debug)]
pub struct Kept<'k> {
    /// Their document numbers, sorted.
    pub members: &'k [u32],
    /// Their prepared forms, in the order of `members`.
    pub docs: &'k [PreparedDoc<'k>],
}

impl<'k> Kept<'k> {
    fn get(&self, d: u32) -> Option<&'k PreparedDoc<'k>> {
        self.members.binary_search(&d).ok().map(|i| &self.docs[i])
    }
}

/// What the pass derives from one document of a chunk, each part computed when first asked: the
/// static vectors of its sentences (the alignment asks only about sentences sharing a rare word
/// with the other side, and their neighbours, a fraction of a candidate document's sentences), and
/// its sorted n-grams for the verbatim runs (once per document instead of once per alignment). Each
/// depends only on the document, so which candidate computes it first changes no bit.
struct LazyUnits<'p> {
    model: &'p StaticModel,
    doc: &'p Prepared<'p>,
    cells: Vec<OnceLock<Vec<f32>>>,
    grams: OnceLock<Vec<(u64, usize)>>,
}

impl<'p> LazyUnits<'p> {
    fn new(model: &'p StaticModel, doc: &'p Prepared<'p>) -> Self {
        LazyUnits {
            model,
            doc,
            cells: (0..doc.units.len()).map(|_| OnceLock::new()).collect(),
            grams: OnceLock::new(),
        }
    }

    /// The document's [`sorted_grams`] of `n` tokens (one `n` per run).
    fn grams(&self, n: usize) -> &[(u64, usize)] {
        self.grams
            .get_or_init(|| sorted_grams(&self.doc.hashes, &self.doc.masked_tokens, n))
    }
}

impl std::fmt::Debug for LazyUnits<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyUnits")
            .field("units", &self.cells.len())
            .finish()
    }
}

impl UnitVectors for LazyUnits<'_> {
    fn vector(&self, u: usize) -> Option<&[f32]> {
        let unit = self.doc.units.get(u)?;
        Some(self.cells[u].get_or_init(|| {
            self.model
                .encode(&self.doc.text[unit.start_byte..unit.end_byte])
        }))
    }
}

/// The rare word pairs of a prepared document: for every sentence, the pairs of its
/// `words_per_sentence` rarest rare words, hashed, each with the first sentence that holds it;
/// sorted by hash, hashes distinct.
pub fn word_pairs(bags: &[Bag], words_per_sentence: usize) -> Vec<(u64, u32)> {
    let mut out = Vec::new();
    let mut rare: Vec<(u32, u64)> = Vec::new();
    for (s, bag) in bags.iter().enumerate() {
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
                out.push((xxhash_rust::xxh3::xxh3_64(&bytes), s as u32));
            }
        }
    }
    // By hash, then sentence: the first sentence of each hash is kept.
    out.sort_unstable();
    out.dedup_by_key(|e| e.0);
    out
}

/// A text of the run: document, start and end byte.
type TextKey = (u32, u32, u32);

/// A text's transformer vector, once computed.
type Cell = Arc<OnceLock<Vec<f32>>>;

/// Transformer vectors of texts of the run (a sentence, or a passage's side), each encoded once
/// per run, whichever candidate asks first, keyed by document and byte span. A vector depends
/// only on its text, so which candidate computes it changes no bit of any result, and the count of
/// texts encoded is the number of distinct keys asked, the same for any `--threads`.
struct Vectors<'c> {
    transformer: Option<&'c Transformer>,
    cells: Mutex<FastMap<TextKey, Cell>>,
    encoded: AtomicU64,
}

impl std::fmt::Debug for Vectors<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vectors")
            .field("encoded", &self.encoded.load(Ordering::Relaxed))
            .finish()
    }
}

impl<'c> Vectors<'c> {
    fn new(transformer: Option<&'c Transformer>) -> Self {
        Vectors {
            transformer,
            cells: Mutex::new(FastMap::default()),
            encoded: AtomicU64::new(0),
        }
    }

    /// The vector of bytes `s..e` of document `d`'s `text`.
    fn of(&self, d: u32, text: &str, (s, e): (usize, usize)) -> Cell {
        let cell = self
            .cells
            .lock()
            .expect("no panic holds the lock")
            .entry((d, s as u32, e as u32))
            .or_default()
            .clone();
        cell.get_or_init(|| {
            self.encoded.fetch_add(1, Ordering::Relaxed);
            self.transformer
                .expect("find() refuses a tier that needs the transformer without one")
                .encode(&text[s..e])
        });
        cell
    }

    /// The vector of unit `u` of document `d`.
    fn unit(&self, d: u32, doc: &Prepared, u: usize) -> Cell {
        let unit = &doc.units[u];
        self.of(d, doc.text, (unit.start_byte, unit.end_byte))
    }

    /// The vector of one side, the character span `(s, e)` of `words` words, of a passage of
    /// document `d`: a passage that is one sentence has that sentence's vector.
    fn side(&self, d: u32, doc: &Prepared, (s, e): (usize, usize), words: usize) -> Cell {
        match (0..doc.units.len()).find(|&u| inside(doc, u, (s, e)) && doc.units[u].len() == words)
        {
            Some(u) => self.unit(d, doc, u),
            None => self.of(d, doc.text, byte_span(doc.text, (s, e))),
        }
    }

    /// The transformer cosine of passage `p`'s two sides.
    fn passage(&self, p: &Passage, (da, a): (u32, &Prepared), (db, b): (u32, &Prepared)) -> f64 {
        let x = self.side(da, a, p.a, p.a_words);
        let y = self.side(db, b, p.b, p.b_words);
        cosine(vector(&x), vector(&y))
    }
}

/// The vector of an initialized cell.
fn vector(cell: &OnceLock<Vec<f32>>) -> &[f32] {
    cell.get().expect("initialized by Vectors::of")
}

/// The byte span of the character span `(s, e)` of `text`.
fn byte_span(text: &str, (s, e): (usize, usize)) -> (usize, usize) {
    let mut at = text.char_indices().map(|(b, _)| b).chain([text.len()]);
    let start = at.nth(s).unwrap_or(text.len());
    let end = if e > s {
        at.nth(e - s - 1).unwrap_or(text.len())
    } else {
        start
    };
    (start, end)
}

/// The judge's opinion on the sentence pairs of one candidate, counted: the transformer's cosine,
/// the static tier's combined score, or the static tier's verdict with the transformer in its
/// unsure band ([`RescoreTier`]). It is asked only about a pair whose two sentences each lie
/// inside or next to a side of one of `regions` (the passages of the screen's alignment; not
/// necessarily the same passage, as a sentence the screen paired wrongly may pair rightly by
/// meaning): any other unsure pair is left unpaired, as the lexical alignment leaves it. On the
/// dev set this asks 108 pairs instead of 261 for the same bytes (bench/RESULTS.md 8.9).
#[derive(Debug)]
struct PairJudge<'p> {
    vectors: &'p Vectors<'p>,
    config: &'p RewordedConfig,
    da: u32,
    db: u32,
    a: &'p Prepared<'p>,
    b: &'p Prepared<'p>,
    /// Static vectors and bags of both documents' sentences.
    statics: StaticSides<'p>,
    regions: Vec<Region>,
    /// Sentence pairs the transformer judged.
    asked: AtomicU64,
    /// Sentence pairs the static tier decided.
    decided: AtomicU64,
}

/// The static vectors and bags of the sentences of two documents.
type StaticSides<'p> = (
    (&'p dyn UnitVectors, &'p [Bag]),
    (&'p dyn UnitVectors, &'p [Bag]),
);

/// The units `a.0..=a.1` of one document and `b.0..=b.1` of the other, a passage's sentences and
/// one more on each side.
type Region = ((usize, usize), (usize, usize));

/// The sentences of `doc` inside the character span `span`, and one more on each side; `None`
/// when no sentence lies inside.
fn around(doc: &Prepared, span: (usize, usize)) -> Option<(usize, usize)> {
    let mut units = (0..doc.units.len()).filter(|&u| inside(doc, u, span));
    let first = units.next()?;
    let last = units.next_back().unwrap_or(first);
    Some((first.saturating_sub(1), last + 1))
}

/// The regions of `passages`, a sentence pair's neighbourhood in which the transformer decides.
fn regions(passages: &[&Passage], a: &Prepared, b: &Prepared) -> Vec<Region> {
    passages
        .iter()
        .filter_map(|p| Some((around(a, p.a)?, around(b, p.b)?)))
        .collect()
}

impl Rescore for PairJudge<'_> {
    fn cosine(&self, u: usize, v: usize) -> f64 {
        if u >= self.a.units.len() || v >= self.b.units.len() {
            return 0.0;
        }
        let near_a = self
            .regions
            .iter()
            .any(|&((a0, a1), _)| (a0..=a1).contains(&u));
        let near_b = self
            .regions
            .iter()
            .any(|&(_, (b0, b1))| (b0..=b1).contains(&v));
        if !(near_a && near_b) {
            return 0.0;
        }
        let config = self.config;
        let score = || {
            static_tier::sentence_score(
                config.static_weight,
                self.statics.0,
                self.statics.1,
                (u, v),
            )
        };
        match config.rescore {
            RescoreTier::Never => {
                self.decided.fetch_add(1, Ordering::Relaxed);
                return score();
            }
            RescoreTier::Unsure => match verdict(score(), config.static_pair, config.unsure_margin)
            {
                Verdict::Yes => {
                    self.decided.fetch_add(1, Ordering::Relaxed);
                    return 1.0;
                }
                Verdict::No => {
                    self.decided.fetch_add(1, Ordering::Relaxed);
                    return -1.0;
                }
                Verdict::Unsure => {}
            },
            RescoreTier::Always => {}
        }
        self.asked.fetch_add(1, Ordering::Relaxed);
        let x = self.vectors.unit(self.da, self.a, u);
        let y = self.vectors.unit(self.db, self.b, v);
        cosine(vector(&x), vector(&y))
    }
}

/// The screen before the transformer: every sentence pair it would be asked about is taken as
/// said twice. A candidate whose alignment even then holds fewer than `min_passages` passages of
/// `min_passage_words` words (and is not related) is not related by meaning, and the transformer
/// is not asked about it at all. The screen's alignment considers only sentence pairs sharing
/// [`RewordedConfig::screen_rare_words`] rare words, so with more than one it is a cheaper
/// estimate of that best, not a bound.
#[derive(Debug, Default)]
struct Optimist;

impl Rescore for Optimist {
    fn cosine(&self, _: usize, _: usize) -> f64 {
        1.0
    }
}

/// The text of the character span `(s, e)` of `doc`.
fn span_text<'t>(doc: &Prepared<'t>, span: (usize, usize)) -> Cow<'t, str> {
    Cow::Borrowed(doc.char_span_text(span))
}

/// The passages of `al` that may be said twice, best first: of `min_passage_words` words or more,
/// and verbatim (static cosine taken as 1) or reworded with a static-model cosine of their two
/// sides at or above [`RewordedConfig::passage_screen`] (the static model is cheap; the
/// transformer then decides), each with that static cosine. Ties keep the alignment's order.
fn hopeful<'p>(
    al: &'p Alignment,
    (sa, sb): (contrast::Side, contrast::Side),
    model: &StaticModel,
    config: &RewordedConfig,
) -> Vec<(&'p Passage, f64)> {
    let (a, b) = (sa.doc, sb.doc);
    let mut out: Vec<(f64, f64, &Passage)> = al
        .passages
        .iter()
        .filter(|p| p.a_words.min(p.b_words) >= config.min_passage_words)
        .filter_map(|p| {
            let (ta, tb) = (span_text(a, p.a), span_text(b, p.b));
            // Hook: lines of addresses are not statements (see contrast).
            if !contrast::not_addresses(&config.contrast, &ta, &tb, config.min_passage_words) {
                return None;
            }
            let c = if p.kind == PassageKind::Verbatim {
                1.0
            } else {
                cosine(&model.encode(&ta), &model.encode(&tb))
            };
            // Hook: a passage diluted by a neighbouring sentence is hopeful by its best sentence
            // pair (see parts); it is ranked by that pair, and keeps its own cosine.
            let part = (c < config.passage_screen && config.sentence_pairs)
                .then(|| {
                    parts::best_sentence_pair(
                        p,
                        (sa, sb),
                        config.static_weight,
                        config.min_passage_words,
                    )
                })
                .flatten()
                .map_or(f64::NEG_INFINITY, |q| q.static_cosine);
            (c.max(part) >= config.passage_screen).then_some((c.max(part), c, p))
        })
        .collect();
    out.sort_by(|x, y| y.0.total_cmp(&x.0));
    out.into_iter().map(|(_, c, p)| (p, c)).collect()
}

/// Whether `al` holds at least `min_passages` passages of `min_passage_words` words: without them
/// [`hopeful`] cannot find enough, and the static model is not asked.
fn enough_long(al: &Alignment, config: &RewordedConfig) -> bool {
    al.passages
        .iter()
        .filter(|p| p.a_words.min(p.b_words) >= config.min_passage_words)
        .count()
        >= config.min_passages
}

/// Whether at least `need` of `passages` (best first) are said twice: verbatim, or of a cosine
/// `judge(p)` (the transformer's, of the two sides) at or above `bar`. Stops as soon as the answer
/// is known, so the transformer encodes the sides of the best passages only.
fn said_twice(
    passages: &[&Passage],
    need: usize,
    bar: f64,
    judge: &dyn Fn(&Passage) -> f64,
) -> bool {
    let mut count = 0;
    for (i, p) in passages.iter().enumerate() {
        if count >= need {
            break;
        }
        if count + (passages.len() - i) < need {
            return false;
        }
        count += usize::from(p.kind == PassageKind::Verbatim || judge(p) >= bar);
    }
    count >= need
}

/// The judge's score `score` of reworded passage `p` between `a` and `b` against `bar`, or `-1`
/// when it reaches the bar but its sides state other numbers ([`facts::disagree`], with
/// [`RewordedConfig::numbers_agree`]).
fn other_facts(
    config: &RewordedConfig,
    p: &Passage,
    (a, b): (&Prepared, &Prepared),
    score: f64,
    bar: f64,
) -> f64 {
    if score < bar || !config.numbers_agree || p.kind == PassageKind::Verbatim {
        return score;
    }
    if facts::disagree(&span_text(a, p.a), &span_text(b, p.b)) {
        -1.0
    } else {
        score
    }
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

/// Find the pairs related by meaning among the documents not related by `related` (sorted `(a, b)`
/// document numbers, `a < b`).
///
/// `empty[d]` marks documents with no word; `text(d)` reads a document's text; `prepare(d, text)`
/// prepares it as the job does (boilerplate masked) with the corpus `weights`; `doc_cost(d)` is the
/// memory its prepared form takes, and chunks of candidates take at most `chunk_budget` of it,
/// less what the documents of `kept` take (those are not prepared again). Returns the new related pairs with their alignments, sorted, and the counts.
#[allow(clippy::too_many_arguments)]
pub fn find<'t>(
    job: &Reworded<'_>,
    empty: &[bool],
    text: &(dyn Fn(usize) -> Result<Cow<'t, str>> + Sync),
    prepare: &(dyn for<'a> Fn(u32, &'a str) -> PreparedDoc<'a> + Sync),
    doc_cost: &(dyn Fn(u32) -> u64 + Sync),
    chunk_budget: u64,
    related: &[(u32, u32)],
    kept: Option<Kept<'_>>,
    spill: candidates::CandidateSpill<'_>,
    weights: &KeyWeights,
    align: &AlignConfig,
    progress: &dyn Progress,
) -> Result<(Vec<RelatedPair>, RewordedCounts)> {
    let config = job.config;
    config.validate()?;
    if config.rescore.needs_transformer() && job.transformer.is_none() {
        return Err(crate::Error::Config(format!(
            "reuse --semantic with rescore {:?} needs the transformer",
            config.rescore
        )));
    }
    // Step 1, within the budget (see reworded_candidates).
    let rule = candidates::Rule {
        min_shared: config.min_shared_word_pairs,
        max_df: config.max_df,
        distinct_sentences: config.min_passages >= 2,
        common_from: config.template_docs,
    };
    let candidates::Found {
        candidates: pairs,
        shared,
        common,
        memory: candidate_memory,
    } = candidates::find(
        empty.len(),
        &|d| {
            Ok(if empty[d] {
                Vec::new()
            } else if let Some((_, bags)) = kept.and_then(|k| k.get(d as u32)) {
                word_pairs(bags, config.words_per_sentence)
            } else {
                let t = text(d)?;
                let (_, bags) = prepare(d as u32, &t);
                word_pairs(&bags, config.words_per_sentence)
            })
        },
        doc_cost,
        rule,
        related,
        spill,
        progress,
    )?;

    let semantic_config = config.semantic();
    let screen_config = SemanticConfig {
        candidate_rare_words: config.screen_rare_words,
        ..semantic_config.clone()
    };
    let vectors = Vectors::new(job.transformer);
    let rescored = AtomicU64::new(0);
    let decided = AtomicU64::new(0);
    let screened = AtomicU64::new(0);
    let judged = AtomicU64::new(0);
    let mut found: Vec<RelatedPair> = Vec::new();
    progress.start("semantic align", Some(pairs.len() as u64), Unit::Pairs);
    let done = AtomicU64::new(0);
    let kept_doc = |d: u32| kept.and_then(|k| k.get(d));
    // The kept documents are held already: the others of a chunk take what is left of the budget.
    let kept_cost: u64 = kept.map_or(0, |k| k.members.iter().map(|&d| doc_cost(d)).sum());
    let fresh_budget = chunk_budget.saturating_sub(kept_cost);
    let mut start = 0;
    while start < pairs.len() {
        let mut seen: FastSet<u32> = FastSet::default();
        let mut cost = 0u64;
        let mut end = start;
        while end < pairs.len() && (cost < fresh_budget || end == start) {
            for d in [pairs[end].0, pairs[end].1] {
                if seen.insert(d) && kept_doc(d).is_none() {
                    cost += doc_cost(d);
                }
            }
            end += 1;
        }
        let mut members: Vec<u32> = seen.into_iter().collect();
        members.sort_unstable();
        let fresh: Vec<u32> = members
            .iter()
            .copied()
            .filter(|&d| kept_doc(d).is_none())
            .collect();
        let texts: Vec<Cow<'_, str>> = fresh
            .par_iter()
            .map(|&d| text(d as usize))
            .collect::<Result<_>>()?;
        let fresh_docs: Vec<PreparedDoc<'_>> = fresh
            .par_iter()
            .zip(&texts)
            .map(|(&d, t)| prepare(d, t))
            .collect();
        let docs: Vec<&PreparedDoc<'_>> = members
            .iter()
            .map(|&d| {
                kept_doc(d).unwrap_or_else(|| {
                    &fresh_docs[fresh.binary_search(&d).expect("a fresh member")]
                })
            })
            .collect();
        let lazy: Vec<LazyUnits<'_>> = docs
            .iter()
            .map(|(p, _)| LazyUnits::new(job.model, p))
            .collect();
        let index = |d: u32| members.binary_search(&d).expect("a member of the chunk");
        found.extend(
            pairs[start..end]
                .par_iter()
                .zip(&shared[start..end])
                .filter_map(|(&(da, db), &shared)| {
                    let (ia, ib) = (index(da), index(db));
                    let ((a, bags_a), (b, bags_b)) = (docs[ia], docs[ib]);
                    let (va, vb): (&dyn UnitVectors, &dyn UnitVectors) = (&lazy[ia], &lazy[ib]);
                    let k = done.fetch_add(1, Ordering::Relaxed) + 1;
                    progress.update(k);
                    // The verbatim runs, found once for both alignments of the pair.
                    let n = align.anchor_ngram.max(1);
                    let runs = verbatim_runs_grams(
                        (&a.hashes, &a.masked_tokens, lazy[ia].grams(n)),
                        (&b.hashes, &b.masked_tokens, lazy[ib].grams(n)),
                        align.min_run,
                    );
                    if runs.is_empty() && (shared as usize) < config.min_word_pairs_unquoted {
                        return None;
                    }
                    let align_with = |rescore: &dyn Rescore, semantic_config: &SemanticConfig| {
                        let semantic = Semantic {
                            a: va,
                            b: vb,
                            config: semantic_config,
                            rescore: Some(rescore),
                        };
                        align_with_runs_semantic(
                            a,
                            bags_a,
                            b,
                            bags_b,
                            &runs,
                            weights,
                            Some(&semantic),
                            align,
                        )
                    };
                    // The screen: about the best the pair could do if every unsure sentence pair
                    // paired (of those sharing `screen_rare_words` rare words).
                    let al = align_with(&Optimist, &screen_config);
                    // Whether `align`'s rule of evidence may relate the pair (see contrast).
                    let by_rules = |al: &Alignment| al.related && !config.contrast.passages_decide;
                    // Its hopeful passages matter only when the rules do not relate it.
                    let sides = (
                        contrast::Side::new(a, va, bags_a),
                        contrast::Side::new(b, vb, bags_b),
                    );
                    let best_scored = if by_rules(&al) {
                        Vec::new()
                    } else if enough_long(&al, config) {
                        hopeful(&al, sides, job.model, config)
                    } else {
                        return None;
                    };
                    if !(by_rules(&al) || best_scored.len() >= config.min_passages) {
                        return None;
                    }
                    screened.fetch_add(1, Ordering::Relaxed);
                    // The gate: the transformer on the screen's best passages, a few texts, before
                    // it is asked about every unsure sentence pair. A pair related by `align`'s
                    // rules goes on: sentence pairs may relate it.
                    let transformer_passage = |p: &Passage| vectors.passage(p, (da, a), (db, b));
                    // The static cosine `hopeful` found (verbatim passages are said twice
                    // without asking).
                    let static_passage = |p: &Passage, scored: &[(&Passage, f64)]| {
                        let c = scored
                            .iter()
                            .find(|x| std::ptr::eq(x.0, p))
                            .map_or(0.0, |x| x.1);
                        static_tier::combined(config.static_weight, c, p.score)
                    };
                    let bar = match config.rescore {
                        RescoreTier::Never => config.static_passage,
                        RescoreTier::Unsure | RescoreTier::Always => config.pair_cosine,
                    };
                    // The judge's score of a passage whose static tier score is `combined`.
                    let judge_by = |combined: f64, p: &Passage| match config.rescore {
                        RescoreTier::Never => combined,
                        RescoreTier::Always => transformer_passage(p),
                        RescoreTier::Unsure => {
                            match verdict(combined, config.static_passage, config.unsure_margin) {
                                Verdict::Yes => 1.0,
                                Verdict::No => -1.0,
                                Verdict::Unsure => transformer_passage(p),
                            }
                        }
                    };
                    let twice = |scored: &[(&Passage, f64)]| {
                        // Hook: a passage said twice must stand out from the rest of the other
                        // document (see contrast).
                        let judge_whole = |p: &Passage| {
                            let s = judge_by(static_passage(p, scored), p);
                            let s = contrast::judged(job.model, &config.contrast, p, sides, s, bar);
                            // Hook: other numbers, other facts (see facts).
                            other_facts(config, p, (a, b), s, bar)
                        };
                        // Hook: a passage not said twice as a whole, by its best sentence pair,
                        // which passes the same rules as a passage of its own (see parts).
                        let judge_passage = |p: &Passage| {
                            let s = judge_whole(p);
                            if s >= bar || !config.sentence_pairs {
                                return s;
                            }
                            let Some(part) = parts::best_sentence_pair(
                                p,
                                sides,
                                config.static_weight,
                                config.min_passage_words,
                            ) else {
                                return s;
                            };
                            let q = &part.passage;
                            let (ta, tb) = (span_text(a, q.a), span_text(b, q.b));
                            if !contrast::not_addresses(
                                &config.contrast,
                                &ta,
                                &tb,
                                config.min_passage_words,
                            ) {
                                return s;
                            }
                            let t = judge_by(part.combined, q);
                            let t = contrast::judged(job.model, &config.contrast, q, sides, t, bar);
                            s.max(other_facts(config, q, (a, b), t, bar))
                        };
                        // Hook: a line recurring across the corpus is not said twice (see
                        // recurring).
                        let best: Vec<&Passage> = scored
                            .iter()
                            .map(|x| x.0)
                            .filter(|p| {
                                common.is_empty()
                                    || !recurring::recurring(
                                        p,
                                        (a, bags_a),
                                        (b, bags_b),
                                        &common,
                                        config.words_per_sentence,
                                    )
                            })
                            .collect();
                        said_twice(&best, config.min_passages, bar, &judge_passage)
                    };
                    if !by_rules(&al) && !twice(&best_scored) {
                        return None;
                    }
                    judged.fetch_add(1, Ordering::Relaxed);
                    // The judge may pair sentences near any passage of the optimist's alignment
                    // with one shared rare word, as wide as before the screen asked for two.
                    let wide = (screen_config != semantic_config)
                        .then(|| align_with(&Optimist, &semantic_config));
                    let screen_passages: Vec<&Passage> =
                        wide.as_ref().unwrap_or(&al).passages.iter().collect();
                    let judge = PairJudge {
                        vectors: &vectors,
                        config,
                        da,
                        db,
                        a,
                        b,
                        statics: ((va, bags_a), (vb, bags_b)),
                        regions: regions(&screen_passages, a, b),
                        asked: AtomicU64::new(0),
                        decided: AtomicU64::new(0),
                    };
                    let al = align_with(&judge, &semantic_config);
                    rescored.fetch_add(judge.asked.load(Ordering::Relaxed), Ordering::Relaxed);
                    decided.fetch_add(judge.decided.load(Ordering::Relaxed), Ordering::Relaxed);
                    let ok = by_rules(&al)
                        || (enough_long(&al, config)
                            && twice(&hopeful(&al, sides, job.model, config)));
                    ok.then(|| {
                        let mut al = al;
                        al.related = true;
                        (da, db, al)
                    })
                })
                .collect::<Vec<_>>(),
        );
        start = end;
    }
    progress.finish();
    let counts = RewordedCounts {
        parameters: config.clone(),
        candidates: pairs.len() as u64,
        screened: screened.load(Ordering::Relaxed),
        judged: judged.load(Ordering::Relaxed),
        related: found.len() as u64,
        sentence_pairs_rescored: rescored.load(Ordering::Relaxed),
        sentence_pairs_static: decided.load(Ordering::Relaxed),
        texts_encoded: vectors.encoded.load(Ordering::Relaxed),
        candidate_memory,
    };
    Ok((found, counts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_spans_of_character_spans() {
        let text = "héllo wörld";
        assert_eq!(byte_span(text, (0, 5)), (0, 6));
        assert_eq!(
            &text[byte_span(text, (6, 11)).0..byte_span(text, (6, 11)).1],
            "wörld"
        );
        assert_eq!(byte_span(text, (3, 3)), (4, 4));
        assert_eq!(byte_span(text, (11, 11)), (text.len(), text.len()));
    }

    #[test]
    fn the_transformer_tiers_screen_passages_wider_and_the_rest_is_default() {
        let never = RewordedConfig::for_tier(RescoreTier::Never);
        assert_eq!(never, RewordedConfig::default());
        for tier in [RescoreTier::Unsure, RescoreTier::Always] {
            let c = RewordedConfig::for_tier(tier);
            assert_eq!(c.rescore, tier);
            assert!(c.passage_screen < never.passage_screen);
            let back = RewordedConfig {
                rescore: never.rescore,
                passage_screen: never.passage_screen,
                ..c.clone()
            };
            assert_eq!(back, never);
            c.validate().unwrap();
        }
    }

    #[test]
    fn said_twice_asks_only_until_the_answer_is_known() {
        let passage = |kind: PassageKind, n: usize| Passage {
            a: (n, n + 1),
            b: (n, n + 1),
            score: 0.5,
            evidence: 0.5,
            kind,
            a_words: 6,
            b_words: 6,
        };
        let (v, r) = (PassageKind::Verbatim, PassageKind::Reworded);
        let ps = [passage(r, 0), passage(r, 1), passage(v, 2), passage(r, 3)];
        let refs: Vec<&Passage> = ps.iter().collect();
        for (cosines, need, want, asked) in [
            // Passages 0 and 1 both high: two asked, said twice.
            (vec![0.9, 0.9, 0.0, 0.9], 2, true, 2),
            // 0 low, 1 high, 2 verbatim: two asked.
            (vec![0.1, 0.9, 0.0, 0.1], 2, true, 2),
            // Three low: after 0 and 1 fail, the verbatim 2 and passage 3 could still make two.
            (vec![0.1, 0.1, 0.0, 0.1], 2, false, 3),
            // Needing four, the first failure decides.
            (vec![0.1, 0.9, 0.0, 0.9], 4, false, 1),
        ] {
            let count = std::cell::Cell::new(0);
            let judge = |p: &Passage| {
                count.set(count.get() + 1);
                cosines[p.a.0]
            };
            assert_eq!(said_twice(&refs, need, 0.8, &judge), want, "{cosines:?}");
            assert_eq!(count.get(), asked, "{cosines:?} need {need}");
        }
    }

    #[test]
    fn lazy_vectors_and_grams_are_those_computed_up_front() {
        let dir = tempfile::tempdir().unwrap();
        crate::embed::tiny::write_tiny_model(dir.path()).unwrap();
        let model = StaticModel::load(dir.path()).unwrap();
        let config = AlignConfig::default();
        let text =
            "The grain exports resumed. Unrelated minister's cafe. The grain exports resumed.";
        let p = Prepared::new(text, &config);
        let lazy = LazyUnits::new(&model, &p);
        let all = model.encode_units(&p);
        assert!(all.len() >= 3);
        // Asked out of order, and twice: the same bits as encoding every sentence in order.
        for u in [2, 0, 2, 1] {
            assert_eq!(lazy.vector(u), Some(all[u].as_slice()), "unit {u}");
        }
        assert_eq!(lazy.vector(all.len()), None);
        let n = config.anchor_ngram;
        assert_eq!(
            lazy.grams(n),
            sorted_grams(&p.hashes, &p.masked_tokens, n).as_slice()
        );
        // Runs from the kept n-grams are the runs `align` finds.
        let q = Prepared::new("Then the grain exports resumed.", &config);
        let lazy_q = LazyUnits::new(&model, &q);
        let runs = verbatim_runs_grams(
            (&p.hashes, &p.masked_tokens, lazy.grams(n)),
            (&q.hashes, &q.masked_tokens, lazy_q.grams(n)),
            config.min_run,
        );
        assert!(!runs.is_empty());
        assert_eq!(
            runs,
            crate::align::verbatim_runs_masked(
                &p.hashes,
                &q.hashes,
                &p.masked_tokens,
                &q.masked_tokens,
                n,
                config.min_run
            )
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
        assert!(pairs.windows(2).all(|w| w[0].0 < w[1].0));
        // Each pair names its sentence: the first sentence's six, then the second's three.
        let mut sentences: Vec<u32> = pairs.iter().map(|p| p.1).collect();
        sentences.sort_unstable();
        assert_eq!(sentences, [0, 0, 0, 0, 0, 0, 1, 1, 1]);
    }
}
