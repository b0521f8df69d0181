//! Streaming dedup in memory: documents arrive in batches, and each is answered at once with the
//! cluster it joins, while the clusters built over the whole stream stay those of the batch job
//! ([`super::run`]) on the same documents in the same order.
//!
//! Why the clusters agree with the batch job: the batch job's candidate work depends on each LSH
//! bucket's members ([`super::buckets`]): every pair of a bucket of at most
//! [`super::ALL_PAIRS_LIMIT`] documents, and for a larger bucket the pairs of its first
//! representatives and a first-match group for every later member. A stream does not know yet
//! whether a bucket will grow past the limit, so each new exact-group representative gets the work
//! of the bucket as it stands ([`on_arrival`]): a pair with every earlier member while the bucket is
//! small, a first-match group once it is large. That is never less work than the complete bucket
//! gives (the pairs a bucket loses by growing were verified when they arrived), so the batch job's
//! edges are among those verified on arrival. [`StreamingDedup::settle`] takes them from there: it
//! computes the batch job's candidates with the batch job's function ([`candidate_pairs`]) on the
//! same [`SketchStore`], keeps the verified edges that are among its pairs, and runs its
//! first-match groups with the batch job's verification ([`verify_candidates`]); the clusters and
//! pairs then come from [`assign_clusters`] and [`duplicate_pairs`]. The rules live in one place.
//!
//! The answers of [`StreamingDedup::add`] follow the edges verified on arrival. Without a bucket
//! larger than the limit these are the batch job's edges. With one (a template cluster), they can
//! be more: the final clusters are then the same as or finer than the answers', and every answer
//! is still an earlier document reached through verified duplicates.
//!
//! Empty documents (no word) follow the batch job's rule: each is its own exact group, with band
//! keys of its own, so none is compared with another.
//!
//! Memory: the [`SketchStore`] (exact keys, band keys, the sorted shingle set of every exact-group
//! representative), one id per document, a band index of 12 bytes per representative per band, the
//! edges verified on arrival (16 bytes each) and two `u32` per document of union-find. Settling
//! holds the batch job's candidates (8 bytes per pair or group entry) until the next batch.

use super::buckets::{on_arrival, Arrival};
use super::linking::sort_edges;
use super::{
    assign_clusters, candidate_pairs, duplicate_pairs, jaccard, verify_candidates, Assignment,
    Candidates, DedupConfig, DuplicatePair, Edge, SketchStore, Sketcher,
};
use crate::cluster::UnionFind;
use crate::error::{Error, Problem, ProblemKind, Result};
use crate::hashing::FastMap;
use crate::progress::NoProgress;
use rayon::prelude::*;
use std::collections::HashSet;
use std::sync::OnceLock;

/// What [`StreamingDedup::add`] says about one new document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamAnswer {
    /// Number of the document in the stream (0-based, in the order added).
    pub doc: u32,
    /// The representative (first document) of the cluster it is in once its batch is added, when
    /// that is an earlier document; `None` when it starts a cluster.
    pub duplicate_of: Option<u32>,
}

/// The batch job's candidate work and edges on the documents added so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Settled {
    /// The candidates, as [`candidate_pairs`] gives them for the whole stream.
    pub candidates: Candidates,
    /// The verified edges, as [`verify_candidates`] gives them, sorted by `(a, b)`.
    pub edges: Vec<Edge>,
    /// Members of large buckets that verified against none of their representatives.
    pub unmatched_members: usize,
}

/// Deduplicates a stream of documents in memory. See the module documentation.
#[derive(Debug)]
pub struct StreamingDedup {
    config: DedupConfig,
    sketcher: Sketcher,
    store: SketchStore,
    ids: Vec<String>,
    seen_ids: HashSet<String>,
    empty: Vec<bool>,
    /// Per band: band key -> exact-group representatives holding it, in input order.
    bands: Vec<FastMap<u64, Vec<u32>>>,
    /// Every edge verified on arrival (a superset of the batch job's, see the module doc).
    edges: Vec<Edge>,
    verified: u64,
    union: UnionFind,
    /// For each union-find root, the smallest document of its set.
    first: Vec<u32>,
    /// [`StreamingDedup::settle`]'s result until the next batch.
    settled: OnceLock<Settled>,
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
            empty: Vec::new(),
            bands,
            edges: Vec::new(),
            verified: 0,
            union: UnionFind::new(0),
            first: Vec::new(),
            settled: OnceLock::new(),
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

    /// True when document `doc` has no word (an empty document, flagged in `clusters.jsonl`).
    pub fn is_empty_doc(&self, doc: u32) -> bool {
        self.empty[doc as usize]
    }

    /// Candidate pairs in all, as the batch job counts them (`pairs.candidates` of its summary).
    pub fn candidates(&self) -> u64 {
        self.settle().candidates.len() as u64
    }

    /// Pairs and first-match entries verified on arrival so far (the stream's own work).
    pub fn verified_on_arrival(&self) -> u64 {
        self.verified
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
        self.settled = OnceLock::new();
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
        // First-match groups: (member, its representatives in input order).
        let mut groups: Vec<(u32, Vec<u32>)> = Vec::new();
        for (sketch, id) in sketches.into_iter().zip(ids) {
            let empty = sketch.tokens == 0;
            let doc = if empty {
                self.store.push_alone(sketch)
            } else {
                self.store.push(sketch)
            };
            self.ids.push(id.clone());
            self.seen_ids.insert(id.clone());
            self.empty.push(empty);
            if !self.store.is_exact_first(doc) {
                continue;
            }
            let mut mine: Vec<(u32, u32)> = Vec::new();
            let mut reps: Vec<u32> = Vec::new();
            for (band, index) in self.bands.iter_mut().enumerate() {
                let bucket = index.entry(self.store.band(doc, band)).or_default();
                match on_arrival(bucket) {
                    Arrival::Pairs(earlier) => mine.extend(earlier.iter().map(|&a| (a, doc))),
                    Arrival::FirstMatch(r) => reps.extend_from_slice(r),
                }
                bucket.push(doc);
            }
            // A pair sharing several bands is verified once, as in the batch job.
            mine.sort_unstable();
            mine.dedup();
            pairs.extend(mine);
            if !reps.is_empty() {
                reps.sort_unstable();
                reps.dedup();
                groups.push((doc, reps));
            }
        }
        self.verified += (pairs.len() + groups.iter().map(|g| g.1.len()).sum::<usize>()) as u64;
        let threshold = self.config.threshold;
        let store = &self.store;
        // The streaming store never spills, but its reads are fallible like the batch job's.
        let similar = |a: u32, b: u32| -> crate::Result<Option<Edge>> {
            let j = jaccard(&store.shingles(a)?, &store.shingles(b)?);
            Ok((j >= threshold).then_some(Edge { a, b, jaccard: j }))
        };
        let mut new_edges: Vec<Edge> = pairs
            .par_iter()
            .map(|&(a, b)| similar(a, b))
            .collect::<crate::Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect();
        // A member joins through the first representative it is similar to.
        let joined = groups
            .par_iter()
            .map(|(member, reps)| {
                for &r in reps {
                    if let Some(edge) = similar(r, *member)? {
                        return Ok(Some(edge));
                    }
                }
                Ok(None)
            })
            .collect::<crate::Result<Vec<_>>>()?;
        new_edges.extend(joined.into_iter().flatten());
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

    /// The batch job's candidates and verified edges on everything added so far (computed once
    /// per batch; see the module documentation).
    pub fn settle(&self) -> &Settled {
        self.settled.get_or_init(|| {
            let mut candidates = candidate_pairs(&self.store, &NoProgress);
            let pairs = &candidates.pairs;
            // Every pair of the batch job was verified on arrival, with the same similarity.
            let mut edges: Vec<Edge> = self
                .edges
                .par_iter()
                .filter(|e| pairs.binary_search(&(e.a, e.b)).is_ok())
                .copied()
                .collect();
            // The first-match groups are verified again, as the batch job runs them: a member's
            // group can hold representatives it met only as pairs on arrival.
            let pairs = std::mem::take(&mut candidates.pairs);
            let (verified, _) =
                verify_candidates(&self.store, &candidates, self.config.threshold, &NoProgress);
            candidates.pairs = pairs;
            edges.extend(verified.edges);
            sort_edges(&mut edges);
            Settled {
                candidates,
                edges,
                unmatched_members: verified.unmatched_members,
            }
        })
    }

    /// The clusters of everything added so far, by the batch job's rule.
    pub fn assignment(&self) -> Assignment {
        assign_clusters(&self.store, &self.settle().edges)
    }

    /// Every duplicate edge so far, as the batch job lists them in `pairs.jsonl`.
    pub fn pairs(&self) -> Vec<DuplicatePair> {
        duplicate_pairs(&self.store, &self.settle().edges)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::Reason;

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

    /// The batch job's stages on the same texts, as `job.rs` runs them, for comparison.
    fn batch(config: &DedupConfig, texts: &[String]) -> (Assignment, Vec<DuplicatePair>) {
        let sketcher = Sketcher::new(config);
        let mut store = SketchStore::new(false);
        let mut empty = Vec::new();
        for t in texts {
            let sketch = sketcher.sketch(t);
            empty.push(sketch.tokens == 0);
            if sketch.tokens == 0 {
                store.push_alone(sketch);
            } else {
                store.push(sketch);
            }
        }
        let mut c = candidate_pairs(&store, &NoProgress);
        c.pairs
            .retain(|&(a, b)| !empty[a as usize] && !empty[b as usize]);
        let (verified, _) = verify_candidates(&store, &c, config.threshold, &NoProgress);
        (
            assign_clusters(&store, &verified.edges),
            duplicate_pairs(&store, &verified.edges),
        )
    }

    fn feed(s: &mut StreamingDedup, texts: &[String], cuts: &[usize]) -> Vec<StreamAnswer> {
        let ids: Vec<String> = (0..texts.len()).map(|i| i.to_string()).collect();
        let (mut at, mut k, mut answers) = (0, 0, Vec::new());
        while at < texts.len() {
            let end = (at + cuts[k % cuts.len()]).min(texts.len());
            answers.extend(s.add(&ids[at..end], &texts[at..end]).unwrap());
            at = end;
            k += 1;
        }
        answers
    }

    /// A template page in many variants: a word at each of `changes`' positions (of 200) replaced,
    /// so the variants share most band keys and fill buckets far past the all-pairs limit.
    fn template(variants: &[Vec<(u8, u8)>]) -> Vec<String> {
        variants
            .iter()
            .map(|changes| {
                let mut words: Vec<String> = (0..200).map(|i| format!("t{i}")).collect();
                for &(at, word) in changes {
                    words[at as usize % 200] = format!("v{word}");
                }
                words.join(" ")
            })
            .collect()
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
            let (want, want_pairs) = batch(&config, &texts);
            let mut s = StreamingDedup::new(config).unwrap();
            feed(&mut s, &texts, &cuts);
            proptest::prop_assert_eq!(s.assignment(), want);
            proptest::prop_assert_eq!(s.pairs(), want_pairs);
        }

        /// A corpus with buckets past the all-pairs limit (template variants, empty texts among
        /// them), cut into any batches, gives the batch job's clusters and pairs.
        #[test]
        fn giant_buckets_give_the_batch_job(
            variants in proptest::collection::vec(
                proptest::collection::vec((0u8..200, 0u8..30), 0..3), 100..250),
            empties in proptest::collection::vec(0usize..200, 0..4),
            cuts in proptest::collection::vec(1usize..90, 1..6),
            threshold in 0.5f64..0.95,
        ) {
            let config = DedupConfig { ngram: 3, threshold, ..DedupConfig::default() };
            let mut texts = template(&variants);
            for e in empties {
                let at = e % texts.len();
                texts[at] = " -- ".into();
            }
            let (want, want_pairs) = batch(&config, &texts);
            let mut s = StreamingDedup::new(config).unwrap();
            for a in feed(&mut s, &texts, &cuts) {
                proptest::prop_assert!(a.duplicate_of.is_none_or(|d| d < a.doc));
            }
            proptest::prop_assert_eq!(s.assignment(), want);
            proptest::prop_assert_eq!(s.pairs(), want_pairs);
        }
    }

    #[test]
    fn template_clusters_bound_the_work_as_the_batch_job() {
        let variants: Vec<Vec<(u8, u8)>> = (0..300u32)
            .map(|i| vec![((i % 200) as u8, (i / 200) as u8)])
            .collect();
        let texts = template(&variants);
        let config = DedupConfig {
            ngram: 3,
            ..DedupConfig::default()
        };
        let (want, want_pairs) = batch(&config, &texts);
        let mut s = StreamingDedup::new(config).unwrap();
        feed(&mut s, &texts, &[50]);
        let settled = s.settle();
        assert!(settled.candidates.large_buckets > 0);
        assert!(!settled.candidates.first_match.is_empty());
        assert_eq!(s.assignment(), want);
        assert_eq!(s.pairs(), want_pairs);
        // Linear, not quadratic, in the template's size: far fewer than all 44,850 pairs.
        assert!(
            s.verified_on_arrival() < 20_000,
            "{}",
            s.verified_on_arrival()
        );
    }

    #[test]
    fn empty_documents_are_their_own_clusters() {
        let texts: Vec<String> = ["", "one two three four five six", " -- ", ""]
            .map(String::from)
            .to_vec();
        let mut s = StreamingDedup::new(DedupConfig::default()).unwrap();
        let answers = feed(&mut s, &texts, &[4]);
        assert!(answers.iter().all(|a| a.duplicate_of.is_none()));
        assert_eq!(s.assignment(), batch(&DedupConfig::default(), &texts).0);
        assert!(s.is_empty_doc(0) && !s.is_empty_doc(1) && s.is_empty_doc(2));
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
