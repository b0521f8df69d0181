//! Corpus deduplication: exact and near-duplicate documents, found by MinHash LSH and verified by
//! their true Jaccard similarity.
//!
//! The stages, each a function a front end (CLI, Python, Spark) can call on its own:
//! [`Sketcher::sketch`] (text to exact key, shingle set, band keys) -> [`SketchStore`] (the corpus's
//! sketches) -> [`candidate_pairs`] (documents sharing a band key) -> [`verify_candidates`] (true
//! Jaccard) -> [`assign_clusters`] (union-find, representatives, reasons) or [`assign_guarded`] (the
//! chain guard). [`run`] wires them to files. Within a memory budget the job uses the spilling forms
//! of the same stages: a [`SketchStore`] with [`StoreLimits`], [`find_candidates`],
//! [`verify_candidate_set`] and [`assign_guarded_entries`], which give the same results.

mod assign;
mod buckets;
mod candidates;
mod config;
mod guard;
mod job;
mod linking;
pub mod semantic;
mod signatures;
mod sketch;
mod store;
mod stream;
mod tables;
mod verify;

pub use assign::{assign_clusters, duplicate_pairs, Assignment, DuplicatePair, PairKind, Reason};
pub use buckets::{on_arrival, Arrival, BucketWork, ALL_PAIRS_LIMIT, REPRESENTATIVES};
pub use candidates::{candidate_pairs, find_candidates, CandidateSet, Candidates};
pub use config::{ClusterMode, DedupConfig};
pub use guard::{assign_guarded, assign_guarded_entries, guarded_join, Guarded};
pub use job::{run, run_with, ClusterCounts, InputSummary, JobOptions, Summary};
pub use linking::{
    verify_candidate_set, verify_candidates, Group, Similarity, Verified, VerifiedSet,
};
pub use signatures::{export_signatures, SketchStats};
pub use sketch::{DocSketch, Sketcher};
pub use store::{SketchStore, StoreLimits};
pub use stream::{StreamAnswer, StreamingDedup};
pub use tables::OutputFormat;
pub use verify::{jaccard, verify_pair_set, verify_pairs, Edge, VerifiedPairs};

#[cfg(test)]
mod spill_tests;
