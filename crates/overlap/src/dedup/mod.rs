//! Corpus deduplication: exact and near-duplicate documents, found by MinHash LSH and verified by
//! their true Jaccard similarity.
//!
//! The stages, each a function a front end (CLI, Python, Spark) can call on its own:
//! [`Sketcher::sketch`] (text to exact key, shingle set, band keys) -> [`SketchStore`] (the corpus's
//! sketches) -> [`candidate_pairs`] (documents sharing a band key) -> [`verify_pairs`] (true Jaccard)
//! -> [`assign_clusters`] (union-find, representatives, reasons). [`run`] wires them to files.

mod assign;
mod candidates;
mod config;
mod job;
mod signatures;
mod sketch;
mod store;
mod verify;

pub use assign::{assign_clusters, duplicate_pairs, Assignment, DuplicatePair, PairKind, Reason};
pub use candidates::{
    bucket_candidates, candidate_pairs, find_candidates, CandidateSet, Candidates,
};
pub use config::DedupConfig;
pub use job::{run, JobOptions, Summary};
pub use signatures::{export_signatures, SketchStats};
pub use sketch::{DocSketch, Sketcher};
pub use store::{SketchStore, StoreLimits};
pub use verify::{jaccard, verify_candidates, verify_pairs, Edge, Verified};

#[cfg(test)]
mod spill_tests;
