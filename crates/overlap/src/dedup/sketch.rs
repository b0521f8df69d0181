//! From one document's text to everything dedup needs to know about it.

use super::DedupConfig;
use crate::sketch::{HammingBands, LshParams, MinHashScheme, MinHasher};
use crate::text::{exact_key, fix_mojibake, shingle_hashes, tokenize_into, Tokens};
use std::cell::RefCell;

/// What dedup keeps of one document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DocSketch {
    /// 128-bit hash of the normalized text.
    pub exact: u128,
    /// Number of word tokens.
    pub tokens: usize,
    /// Shingle hashes in text order, repeats included: MinHash does not need a set, and sorting
    /// costs as much as hashing, so only the documents that verification compares are made sets
    /// (see [`DocSketch::shingle_set`]).
    pub shingles: Vec<u64>,
    /// The MinHash signature.
    pub signature: Vec<u32>,
    /// One LSH key per band.
    pub bands: Vec<u64>,
}

impl DocSketch {
    /// The shingle set: sorted, distinct hashes.
    pub fn shingle_set(&self) -> Vec<u64> {
        sorted_set(&self.shingles)
    }
}

/// `hashes` sorted, without repeats.
pub(crate) fn sorted_set(hashes: &[u64]) -> Vec<u64> {
    let mut set = hashes.to_vec();
    set.sort_unstable();
    set.dedup();
    set
}

impl crate::io::Mapped for DocSketch {
    fn word_count(&self) -> usize {
        self.tokens
    }
}

/// Hamming blocks of `--scheme simhash`: 64-bit fingerprints within distance 3 share one of 4 blocks
/// of 16 bits (Manku, Jain & Das Sarma's setting for web pages).
pub const SIMHASH_MAX_DISTANCE: usize = 3;

fn simhash_bands() -> HammingBands {
    HammingBands::new(64, SIMHASH_MAX_DISTANCE)
}

/// Sketches documents for one configuration. Cheap to share across threads.
#[derive(Clone, Debug)]
pub struct Sketcher {
    config: DedupConfig,
    hasher: MinHasher,
    lsh: LshParams,
}

thread_local! {
    static TOKENS: RefCell<Tokens> = RefCell::new(Tokens::default());
}

impl Sketcher {
    /// A sketcher for `config` (which should have been validated).
    pub fn new(config: &DedupConfig) -> Self {
        Sketcher {
            config: config.clone(),
            hasher: MinHasher::new(config.num_perm, config.seed, config.scheme),
            lsh: config.lsh_params(),
        }
    }

    /// The bands and rows in use.
    pub fn lsh(&self) -> LshParams {
        self.lsh
    }

    /// Sketch one document.
    pub fn sketch(&self, text: &str) -> DocSketch {
        let text = if self.config.fix_encoding {
            fix_mojibake(text)
        } else {
            std::borrow::Cow::Borrowed(text)
        };
        TOKENS.with(|tokens| {
            let mut tokens = tokens.borrow_mut();
            tokenize_into(&text, &self.config.normalization, &mut tokens);
            let mut sketch = DocSketch {
                exact: exact_key(&tokens),
                tokens: tokens.len(),
                ..DocSketch::default()
            };
            shingle_hashes(&tokens, self.config.ngram, &mut sketch.shingles);
            self.hasher
                .signature_into(&sketch.shingles, &mut sketch.signature);
            if self.config.scheme == MinHashScheme::SimHash {
                let fp = u64::from(sketch.signature[0]) | u64::from(sketch.signature[1]) << 32;
                simhash_bands().band_keys(&[fp], &mut sketch.bands);
            } else {
                self.lsh.band_keys(&sketch.signature, &mut sketch.bands);
            }
            sketch
        })
    }
}
