//! # overlap
//!
//! Finds the text that documents share: exact duplicates, near-duplicates, reprints and reworded
//! passages. This crate is the engine; the `overlap` command-line tool and other front ends are thin
//! layers over it.
//!
//! ```
//! use overlap::dedup::{DedupConfig, Sketcher};
//! use overlap::dedup::jaccard;
//!
//! let config = DedupConfig { ngram: 3, ..DedupConfig::default() };
//! let sketcher = Sketcher::new(&config);
//! let a = sketcher.sketch("The quick brown fox jumps over the lazy dog.");
//! let b = sketcher.sketch("The quick brown fox jumped over the lazy dog!");
//! // True Jaccard of the word 3-gram sets: 4 shared of 10 distinct.
//! assert_eq!(jaccard(&a.shingle_set(), &b.shingle_set()), 0.4);
//! ```

pub mod align;
pub mod cluster;
pub mod dedup;
#[cfg(feature = "embed")]
pub mod embed;
pub mod error;
mod hashing;
#[cfg(feature = "index")]
pub mod index;
pub mod io;
pub mod progress;
pub mod report;
pub mod reuse;
#[cfg(test)]
mod robustness_tests;
pub mod rss;
pub mod sketch;
pub mod spill;
pub mod text;

pub use error::{Error, Problem, ProblemKind, Result};

/// Size the global pool of worker threads (`0`: one per core). Call it once, before any work; results
/// do not depend on it.
pub fn set_threads(threads: usize) -> Result<()> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .map_err(|e| Error::Config(format!("cannot start {threads} worker threads: {e}")))
}
