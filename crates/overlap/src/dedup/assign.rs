//! Clusters from edges: union-find over exact-duplicate links and verified near-duplicate edges, the
//! first document of each cluster (in input order) as its representative, and a reason per document.

use super::{Edge, SketchStore};
use crate::cluster::UnionFind;
use serde::Serialize;

/// Why a document is kept or removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Reason {
    /// Kept: it is the first document of its cluster (alone or not).
    Unique,
    /// Removed: its normalized text equals an earlier document's.
    Exact,
    /// Removed: it is a near-duplicate of an earlier document in its cluster.
    Near,
}

impl Reason {
    /// The name used in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Unique => "unique",
            Reason::Exact => "exact",
            Reason::Near => "near",
        }
    }
}

/// Cluster membership of every document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    /// For each document, its cluster's representative (the cluster's first document).
    pub cluster: Vec<u32>,
    /// For each document, why it is kept or removed.
    pub reason: Vec<Reason>,
}

impl Assignment {
    /// True when document `doc` is kept.
    pub fn kept(&self, doc: u32) -> bool {
        self.reason[doc as usize] == Reason::Unique
    }
}

/// Cluster the documents of `store` by their exact links and the verified `edges`.
pub fn assign_clusters(store: &SketchStore, edges: &[Edge]) -> Assignment {
    let n = store.len();
    let mut uf = UnionFind::new(n);
    for doc in 0..n as u32 {
        uf.union(store.exact_first(doc), doc);
    }
    for e in edges {
        uf.union(e.a, e.b);
    }
    let cluster = uf.representatives();
    let reason = (0..n as u32)
        .map(|doc| {
            if cluster[doc as usize] == doc {
                Reason::Unique
            } else if !store.is_exact_first(doc) {
                Reason::Exact
            } else {
                Reason::Near
            }
        })
        .collect();
    Assignment { cluster, reason }
}

/// Whether a pair is an exact or a near duplicate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PairKind {
    /// Equal normalized texts.
    Exact,
    /// Similar shingle sets.
    Near,
}

/// One line of `pairs.jsonl`, by document number.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DuplicatePair {
    /// The earlier document.
    pub a: u32,
    /// The later document.
    pub b: u32,
    /// Jaccard similarity (1 for exact pairs).
    pub jaccard: f64,
    /// Exact or near.
    pub kind: PairKind,
}

/// Every duplicate edge, sorted by `(a, b)`: each exact copy linked to the first document of its group,
/// and the verified near-duplicate edges between group representatives.
pub fn duplicate_pairs(store: &SketchStore, edges: &[Edge]) -> Vec<DuplicatePair> {
    let mut pairs: Vec<DuplicatePair> = (0..store.len() as u32)
        .filter(|&d| !store.is_exact_first(d))
        .map(|d| DuplicatePair {
            a: store.exact_first(d),
            b: d,
            jaccard: 1.0,
            kind: PairKind::Exact,
        })
        .chain(edges.iter().map(|e| DuplicatePair {
            a: e.a,
            b: e.b,
            jaccard: e.jaccard,
            kind: PairKind::Near,
        }))
        .collect();
    pairs.sort_unstable_by_key(|p| (p.a, p.b));
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::DocSketch;

    #[test]
    fn reasons_and_representatives() {
        let mut store = SketchStore::new(false);
        // 0 and 2 are exact copies; 1 is near 2; 3 is alone.
        for exact in [10, 11, 10, 12] {
            store.push(DocSketch {
                exact,
                bands: vec![0],
                ..DocSketch::default()
            });
        }
        let edges = [Edge {
            a: 0,
            b: 1,
            jaccard: 0.9,
        }];
        let a = assign_clusters(&store, &edges);
        assert_eq!(a.cluster, [0, 0, 0, 3]);
        assert_eq!(
            a.reason,
            [Reason::Unique, Reason::Near, Reason::Exact, Reason::Unique]
        );
        let pairs = duplicate_pairs(&store, &edges);
        let summary: Vec<_> = pairs.iter().map(|p| (p.a, p.b, p.kind)).collect();
        assert_eq!(summary, [(0, 1, PairKind::Near), (0, 2, PairKind::Exact)]);
    }
}
