//! Progress reporting from long stages to whatever front end is watching.
//!
//! The engine never prints; it tells a [`Progress`] which stage it is in and how far along it is. The
//! CLI draws bars from this, a server could log it, and [`NoProgress`] ignores it.

/// Receives progress from a running job. Calls come from one thread at a time, stage after stage.
pub trait Progress: Sync {
    /// A stage begins; `total` is its amount of work in its own unit (bytes, pairs, documents) when
    /// known in advance.
    fn start(&self, stage: &str, total: Option<u64>, unit: Unit);
    /// The current stage has done `done` units of work so far.
    fn update(&self, done: u64);
    /// The current stage is over.
    fn finish(&self);
}

/// What a stage counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Input bytes.
    Bytes,
    /// Documents or records.
    Documents,
    /// Candidate pairs.
    Pairs,
    /// Anything else (bands, runs).
    Steps,
}

/// Ignores all progress.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: &str, _: Option<u64>, _: Unit) {}
    fn update(&self, _: u64) {}
    fn finish(&self) {}
}
