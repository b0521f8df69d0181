//! Streaming dedup in memory: documents arrive in batches, and each is answered at once with the
//! cluster it joins, while the clusters built over the whole stream stay those of the batch job
//! ([`super::run`]) on the same documents in the same order.
//!
//! Why the answers agree with the batch job: the batch job's near edges are the pairs of
//! exact-group representatives that share a band key and reach the threshold. Here, each new
//! representative is compared with every earlier representative that shares a band key with it
//! (earlier batches and earlier documents of its own batch), so each such pair is verified exactly
//! once, when its later document arrives: the same edges. The final clusters are then computed by
//! the batch job's own functions ([`assign_clusters`], [`duplicate_pairs`]) over the same
//! [`SketchStore`], so the cluster rule lives in one place.
//!
//! Memory: the [`SketchStore`] (exact keys, band keys, the sorted shingle set of every exact-group
//! representative), one id per document, a band index of 12 bytes per representative per band, the
//! verified edges (16 bytes each) and two `u32` per document of union-find.

use super::{
    assign_clusters, duplicate_pairs, jaccard, Assignment, DedupConfig, DuplicatePair, Edge,
    SketchStore, Sketcher,
};
use crate::cluster::UnionFind;
use crate::error::{Error, Problem, ProblemKind, Result};
use crate::hashing::FastMap;
use rayon::prelude::*;
use std::collections::HashSet;

/// What [`StreamingDedup::add`] says about one new document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamAnswer {
    /// Number of the document in the stream (0-based, in the order added).
    pub doc: u32,
    /// The representative (first document) of the cluster it is in once its batch is added, when
    /// that is an earlier document; `None` when it starts a cluster.
    pub duplicate_of: Option<u32>,
}

/// Deduplicates a stream of documents in memory. See the module documentation.
#[derive(Debug)]
pub struct StreamingDedup {
    config: DedupConfig,
    sketcher: Sketcher,
    store: SketchStore,
    ids: Vec<String>,
    seen_ids: HashSet<String>,
    /// Per band: band key -> exact-group representatives holding it, in input order.
    bands: Vec<FastMap<u64, Vec<u32>>>,
    edges: Vec<Edge>,
    candidates: u64,
    union: UnionFind,
    /// For each union-find root, the smallest document of its set.
    first: Vec<u32>,
}

impl StreamingDedup {
    /// An empty stream with `config`, which must be valid and must verify candidates (the stream
    /// keeps shingle sets, not signatures).
    pub fn new(config: DedupConfig) -> Result<Self> {
        config.validate()?;
        if !config.verify {
            return Err(Error::Config(
                "streaming dedup always verifies candidates by their true Jaccard".into(),
            ));
        }
        let sketcher = Sketcher::new(&config);
        let bands = vec![FastMap::default(); sketcher.lsh().bands];
        Ok(StreamingDedup {
            config,
            sketcher,
            store: SketchStore::new(false),
            ids: Vec::new(),
            seen_ids: HashSet::new(),
            bands,
            edges: Vec::new(),
            candidates: 0,
            union: UnionFind::new(0),
            first: Vec::new(),
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &DedupConfig {
        &self.config
    }

    /// The sketcher in use (its bands and rows).
    pub fn sketcher(&self) -> &Sketcher {
        &self.sketcher
    }

    /// Number of documents added.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when nothing was added.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The id of document `doc`.
    pub fn id(&self, doc: u32) -> &str {
        &self.ids[doc as usize]
    }

    /// Distinct candidate pairs verified so far.
    pub fn candidates(&self) -> u64 {
        self.candidates
    }

    /// Add a batch of documents, in order; returns one answer per document. Sketching and
    /// verification run on the worker threads. An id used before (in this or an earlier batch) is
    /// a [`Error::BadRecord`] (`duplicate_id`, the line being its position in the batch), and then
    /// nothing of the batch is added.
    pub fn add<S: AsRef<str> + Sync>(
        &mut self,
        ids: &[String],
        texts: &[S],
    ) -> Result<Vec<StreamAnswer>> {
        if ids.len() != texts.len() {
            return Err(Error::Config(format!(
                "{} ids for {} texts",
                ids.len(),
                texts.len()
            )));
        }
        let mut batch_ids = HashSet::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            if self.seen_ids.contains(id) || !batch_ids.insert(id.as_str()) {
                // As the batch job treats a reused id: a bad record, located by its position.
                return Err(Error::BadRecord(Box::new(Problem {
                    file: "batch".into(),
                    line: Some(i as u64 + 1),
                    id: Some(id.clone()),
                    reason: ProblemKind::DuplicateId,
                    message: format!("id {id:?} was already used by an earlier document"),
                })));
            }
        }
        if self.store.len() + ids.len() >= u32::MAX as usize {
            return Err(Error::TooManyDocuments);
        }
        let sketches: Vec<_> = texts
            .par_iter()
            .map(|t| {
                let mut s = self.sketcher.sketch(t.as_ref());
                // Stored as the sorted set: verification compares sets, and sorting once here
                // saves sorting again for every comparison.
                s.shingles = s.shingle_set();
                s
            })
            .collect();
        let start = self.store.len() as u32;
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        for (sketch, id) in sketches.into_iter().zip(ids) {
            let doc = self.store.push(sketch);
            self.ids.push(id.clone());
            self.seen_ids.insert(id.clone());
            if !self.store.is_exact_first(doc) {
                continue;
            }
            let mut mine: Vec<(u32, u32)> = Vec::new();
            for (band, index) in self.bands.iter_mut().enumerate() {
                let bucket = index.entry(self.store.band(doc, band)).or_default();
                mine.extend(bucket.iter().map(|&a| (a, doc)));
                bucket.push(doc);
            }
            // A pair sharing several bands is verified once, as in the batch job.
            mine.sort_unstable();
            mine.dedup();
            pairs.extend(mine);
        }
        self.candidates += pairs.len() as u64;
        let threshold = self.config.threshold;
        let store = &self.store;
        let new_edges: Vec<Edge> = pairs
            .par_iter()
            .map(|&(a, b)| {
                let j = jaccard(&store.shingles(a)?, &store.shingles(b)?);
                Ok((j >= threshold).then_some(Edge { a, b, jaccard: j }))
            })
            .collect::<crate::Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect();
        let end = self.store.len() as u32;
        self.union.grow(end as usize);
        self.first.extend(start..end);
        for doc in start..end {
            self.link(self.store.exact_first(doc), doc);
        }
        for e in &new_edges {
            self.link(e.a, e.b);
        }
        self.edges.extend(new_edges);
        Ok((start..end)
            .map(|doc| {
                let root = self.union.find(doc);
                let first = self.first[root as usize];
                StreamAnswer {
                    doc,
                    duplicate_of: (first != doc).then_some(first),
                }
            })
            .collect())
    }

    fn link(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.union.find(a), self.union.find(b));
        if self.union.union(ra, rb) {
            let root = self.union.find(ra);
            self.first[root as usize] = self.first[ra as usize].min(self.first[rb as usize]);
        }
    }

    /// The clusters of everything added so far, by the batch job's rule.
    pub fn assignment(&self) -> Assignment {
        assign_clusters(&self.store, &self.edges)
    }

    /// Every duplicate edge so far, as the batch job lists them in `pairs.jsonl`.
    pub fn pairs(&self) -> Vec<DuplicatePair> {
        duplicate_pairs(&self.store, &self.edges)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::{candidate_pairs, verify_pairs, Reason};
    use crate::progress::NoProgress;

    fn corpus() -> Vec<String> {
        let base =
            "the quick brown fox jumps over the lazy dog while the cat sleeps on the warm mat";
        vec![
            base.to_string(),
            "an entirely different text about markets and prices and the weather today".into(),
            base.to_string(),
            format!("{base} today"),
            "an entirely different text about markets and prices and the weather today".into(),
            "something else again with its own words and nothing shared at all here".into(),
            format!("{base} today again"),
        ]
    }

    /// The batch job's stages on the same texts, for comparison.
    fn batch(config: &DedupConfig, texts: &[String]) -> (Assignment, Vec<DuplicatePair>) {
        let sketcher = Sketcher::new(config);
        let mut store = SketchStore::new(false);
        for t in texts {
            store.push(sketcher.sketch(t));
        }
        let c = candidate_pairs(&store, &NoProgress);
        let edges = verify_pairs(&store, &c.pairs, config.threshold, &NoProgress);
        (
            assign_clusters(&store, &edges),
            duplicate_pairs(&store, &edges),
        )
    }

    #[test]
    fn batches_give_the_batch_jobs_clusters() {
        let config = DedupConfig {
            ngram: 3,
            ..DedupConfig::default()
        };
        let texts = corpus();
        let ids: Vec<String> = (0..texts.len()).map(|i| format!("d{i}")).collect();
        let (want, want_pairs) = batch(&config, &texts);
        for split in [1, 2, 3, 7] {
            let mut s = StreamingDedup::new(config.clone()).unwrap();
            let mut answers = Vec::new();
            for (i, t) in ids.chunks(split).zip(texts.chunks(split)) {
                answers.extend(s.add(i, t).unwrap());
            }
            assert_eq!(s.assignment(), want, "batches of {split}");
            assert_eq!(s.pairs(), want_pairs, "batches of {split}");
            assert_eq!(answers[0].duplicate_of, None);
            assert_eq!(answers[2].duplicate_of, Some(0));
            assert_eq!(answers[4].duplicate_of, Some(1));
        }
        assert_eq!(want.reason[2], Reason::Exact);
        assert_eq!(want.reason[3], Reason::Near);
    }

    proptest::proptest! {
        /// Any corpus (near-copies are likely: few words), cut into any batches, gives the batch
        /// job's clusters and pairs.
        #[test]
        fn any_batches_give_the_batch_job(
            docs in proptest::collection::vec(proptest::collection::vec(0u8..6, 1..12), 1..40),
            cuts in proptest::collection::vec(1usize..8, 1..10),
            threshold in 0.3f64..1.0,
        ) {
            let config = DedupConfig { ngram: 2, threshold, ..DedupConfig::default() };
            let texts: Vec<String> = docs
                .iter()
                .map(|d| d.iter().map(|w| format!("w{w}")).collect::<Vec<_>>().join(" "))
                .collect();
            let ids: Vec<String> = (0..texts.len()).map(|i| i.to_string()).collect();
            let (want, want_pairs) = batch(&config, &texts);
            let mut s = StreamingDedup::new(config).unwrap();
            let (mut at, mut k) = (0, 0);
            while at < texts.len() {
                let end = (at + cuts[k % cuts.len()]).min(texts.len());
                s.add(&ids[at..end], &texts[at..end]).unwrap();
                at = end;
                k += 1;
            }
            proptest::prop_assert_eq!(s.assignment(), want);
            proptest::prop_assert_eq!(s.pairs(), want_pairs);
        }
    }

    #[test]
    fn reused_ids_are_refused_and_nothing_is_added() {
        let mut s = StreamingDedup::new(DedupConfig::default()).unwrap();
        s.add(&["a".to_string()], &["some text here"]).unwrap();
        assert!(s
            .add(&["b".to_string(), "a".to_string()], &["x", "y"])
            .is_err());
        assert!(s
            .add(&["c".to_string(), "c".to_string()], &["x", "y"])
            .is_err());
        assert_eq!(s.len(), 1);
    }
}
