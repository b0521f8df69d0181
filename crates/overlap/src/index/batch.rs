//! The fast path of [`Index::add`]: a batch of new ids (none already indexed) looked up and
//! written with the B-trees touched in key order.
//!
//! Why: inserting each document's 17 band postings, shingle set, exact-group entry, record and id
//! as it is answered scatters about 21 random B-tree operations per document over the file; redb
//! then spends its time finding, reading and copying pages. Here the committed state is read once
//! per batch with the keys sorted (postings and exact groups of all the batch's documents), each
//! document is answered against that snapshot plus an in-memory overlay of the batch's earlier
//! documents (the same candidates, hence the same answers, as inserting one by one), and the
//! overlay is written at the end, each table's keys in sorted order, in the same transaction: the
//! commit is still one all-or-nothing, durable step.
//!
//! Memory: the batch's sketches (already held by the caller), its band keys, exact keys and the
//! committed postings they hit, and the overlay (one entry per new posting, record, id, text and
//! anchor of the batch).

use super::schema::{encode_set, DocRecord};
use super::{get_u64, meta, AddAnswer, AnswerKind, Index, NewDocument, Result, WriteTables};
use crate::dedup::jaccard;
use redb::ReadableTable;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Hashes the overlay's keys (band keys and exact keys are already uniform hashes) by a multiply
/// instead of SipHash: the overlay holds one batch's keys, so flooding it needs no defence beyond
/// the batch size, and SipHash over ~20,000 keys per batch was a visible part of its time.
#[derive(Default, Clone, Copy)]
pub(super) struct KeyHasher(u64);

const MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(MULTIPLIER);
        }
    }
    fn write_u32(&mut self, v: u32) {
        self.write_u64(u64::from(v));
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(26) ^ v).wrapping_mul(MULTIPLIER);
    }
    fn write_u128(&mut self, v: u128) {
        self.write_u64(v as u64);
        self.write_u64((v >> 64) as u64);
    }
}

pub(super) type Fast = BuildHasherDefault<KeyHasher>;

/// What the batch has added so far, not yet written.
#[derive(Default)]
struct Overlay {
    /// The first of the batch's representatives posted under each band key (nearly every key has
    /// one), and the others: one allocation per shared key, not per key.
    first: HashMap<(u32, u64), u64, Fast>,
    more: HashMap<(u32, u64), Vec<u64>, Fast>,
    members: HashMap<u128, Vec<u64>, Fast>,
    /// Shingle sets of the batch's new group representatives, by ordinal.
    sets: HashMap<u64, Vec<u64>, Fast>,
    records: HashMap<u64, DocRecord, Fast>,
    edges: Vec<((u64, u64), f64)>,
}

impl Index {
    /// Add `docs` (ids checked to be new and distinct by the caller) in the open transaction.
    pub(super) fn add_new_in(
        &self,
        t: &mut WriteTables<'_>,
        docs: Vec<NewDocument>,
    ) -> Result<Vec<AddAnswer>> {
        let mut next = get_u64(t.meta.get(meta::NEXT_ORDINAL)?.as_ref().map(|v| v.value()))
            .ok_or_else(|| self.corrupt("no next ordinal"))?;
        let mut count = get_u64(t.meta.get(meta::DOCUMENTS)?.as_ref().map(|v| v.value()))
            .ok_or_else(|| self.corrupt("no document count"))?;

        // The committed state the batch's documents can meet, read in key order.
        let mut exact_keys: Vec<u128> = docs.iter().map(|d| d.sketch.exact).collect();
        exact_keys.sort_unstable();
        exact_keys.dedup();
        let mut committed_members: HashMap<u128, Vec<u64>> = HashMap::new();
        for &e in &exact_keys {
            let group = self.members_in(&t.members, &t.recent(), e)?;
            if !group.is_empty() {
                committed_members.insert(e, group);
            }
        }
        let mut band_keys: Vec<(u32, u64)> = docs
            .iter()
            .filter(|d| !committed_members.contains_key(&d.sketch.exact))
            .flat_map(|d| {
                d.sketch
                    .bands
                    .iter()
                    .enumerate()
                    .map(|(b, &k)| (b as u32, k))
            })
            .collect();
        band_keys.sort_unstable();
        band_keys.dedup();
        let mut committed_postings: HashMap<(u32, u64), Vec<u64>, Fast> = HashMap::default();
        // Most band keys are new: the writer's filter of band keys (see the `filter` module) spares
        // their gets. Held to the end of the batch, which notes its records' keys in it.
        let mut filter = self.filter_for(&t.docs, band_keys.len() as u64, count)?;
        for &key in &band_keys {
            if filter.get().is_some_and(|f| !f.may_contain(key.0, key.1)) {
                continue;
            }
            let mut hits = Vec::new();
            super::postings::plain_get(&t.postings, key, &mut hits)?;
            if !hits.is_empty() {
                committed_postings.insert(key, hits);
            }
        }
        // The recent level: each representative is in one level only, so the union is what one
        // table would hold. Ordinals sorted as the main level's multimap gives them.
        for (key, d) in self.delta_postings(&t.recent(), &band_keys)? {
            let hits = committed_postings.entry(key).or_default();
            hits.push(d);
            hits.sort_unstable();
        }
        drop(band_keys);

        // Sized for the batch up front: growing these maps from empty at every batch was 2.5% of
        // the ingest CPU in rehashing and in fresh pages zeroed by the kernel (bench/RESULTS.md 6.8).
        let n = docs.len();
        let mut o = Overlay {
            first: HashMap::with_capacity_and_hasher(n * self.params.bands, Fast::default()),
            members: HashMap::with_capacity_and_hasher(n, Fast::default()),
            sets: HashMap::with_capacity_and_hasher(n, Fast::default()),
            records: HashMap::with_capacity_and_hasher(n, Fast::default()),
            ..Overlay::default()
        };
        let mut answers = Vec::with_capacity(docs.len());
        let mut texts: Vec<(u64, String)> = Vec::new();
        let mut anchors: Vec<(u64, u64)> = Vec::new();
        let record_of = |o: &Overlay, t: &WriteTables<'_>, d: u64| -> Result<DocRecord> {
            match o.records.get(&d) {
                Some(r) => Ok(r.clone()),
                None => self.record(&t.docs, d),
            }
        };
        for doc in docs {
            let d = next;
            next += 1;
            count += 1;
            let exact = doc.sketch.exact;
            let first_exact = committed_members
                .get(&exact)
                .and_then(|g| g.first())
                .or_else(|| o.members.get(&exact).and_then(|g| g.first()))
                .copied();
            let (duplicate_of, jaccard_of, kind) = if let Some(first) = first_exact {
                (
                    Some(record_of(&o, t, first)?.id),
                    Some(1.0),
                    AnswerKind::Exact,
                )
            } else {
                let mut candidates = Vec::new();
                for (band, &key) in doc.sketch.bands.iter().enumerate() {
                    let key = (band as u32, key);
                    if let Some(hits) = committed_postings.get(&key) {
                        candidates.extend_from_slice(hits);
                    }
                    if let Some(&first) = o.first.get(&key) {
                        candidates.push(first);
                        if let Some(more) = o.more.get(&key) {
                            candidates.extend_from_slice(more);
                        }
                    }
                }
                candidates.sort_unstable();
                candidates.dedup();
                let mut near = Vec::new();
                for c in candidates {
                    let record = record_of(&o, t, c)?;
                    if record.exact == exact {
                        continue;
                    }
                    let j = match o.sets.get(&c) {
                        Some(set) => jaccard(&doc.set, set),
                        None => jaccard(&doc.set, &self.set_at(&t.sets, c)?),
                    };
                    if j >= self.params.config.threshold {
                        near.push((c, j));
                    }
                }
                let best = near
                    .iter()
                    .copied()
                    .reduce(|x, y| if y.1 > x.1 { y } else { x });
                for &(other, j) in &near {
                    o.edges.push(((d, other), j));
                    o.edges.push(((other, d), j));
                }
                for (band, &key) in doc.sketch.bands.iter().enumerate() {
                    let key = (band as u32, key);
                    match o.first.entry(key) {
                        std::collections::hash_map::Entry::Vacant(v) => {
                            v.insert(d);
                        }
                        std::collections::hash_map::Entry::Occupied(_) => {
                            o.more.entry(key).or_default().push(d);
                        }
                    }
                }
                o.sets.insert(d, doc.set);
                match best {
                    Some((b, j)) => (Some(record_of(&o, t, b)?.id), Some(j), AnswerKind::Near),
                    None => (None, None, AnswerKind::Unique),
                }
            };
            o.members.entry(exact).or_default().push(d);
            o.records.insert(
                d,
                DocRecord {
                    id: doc.id.clone(),
                    exact,
                    tokens: doc.sketch.tokens.min(u32::MAX as usize) as u32,
                    bands: doc.sketch.bands,
                },
            );
            if let Some(text) = doc.text {
                texts.push((d, text));
            }
            anchors.extend(doc.anchors.iter().map(|&g| (g, d)));
            answers.push(AddAnswer {
                id: doc.id,
                duplicate_of,
                jaccard: jaccard_of,
                kind,
            });
        }

        // Write the overlay, each table in key order.
        // Ascending new ordinals: appended to the last pages of `sets`.
        let mut sets: Vec<_> = o.sets.into_iter().collect();
        sets.sort_unstable_by_key(|s| s.0);
        for (d, set) in sets {
            t.sets.insert(d, &encode_set(&set)[..])?;
        }
        // The batch's representatives go to the recent level of postings: ascending ordinals, so
        // this appends to the last pages of the delta table (see the `delta` module).
        drop(o.first);
        drop(o.more);
        let mut posted: Vec<u64> = o
            .records
            .iter()
            .filter(|(d, r)| {
                o.members.get(&r.exact).and_then(|g| g.first()) == Some(*d)
                    && !committed_members.contains_key(&r.exact)
            })
            .map(|(&d, _)| d)
            .collect();
        posted.sort_unstable();
        let posted: Vec<(u64, Vec<u64>)> = posted
            .into_iter()
            .filter_map(|d| o.records.get(&d).map(|r| (d, r.bands.clone())))
            .collect();
        // The batch's documents are recent: their exact-group entries and ids are found from
        // their records through the hint until a merge writes them, in key order, to
        // `exact_members` and `ids` (see the `delta` module).
        drop(o.members);
        o.edges.sort_unstable_by_key(|e| e.0);
        for (key, j) in o.edges {
            t.edges.insert(key, j)?;
        }
        let mut records: Vec<_> = o.records.into_iter().collect();
        records.sort_unstable_by_key(|r| r.0);
        let mut added: Vec<(u64, String, u128)> = Vec::with_capacity(records.len());
        for (d, r) in records {
            t.docs.insert(d, &r.encode()[..])?;
            self.filter_note(&mut filter, &r.bands);
            added.push((d, r.id, r.exact));
        }
        for (d, text) in texts {
            t.texts.insert(d, text.as_str())?;
        }
        anchors.sort_unstable();
        for key in anchors {
            t.anchors.insert(key, ())?;
        }
        for (d, _) in &posted {
            t.delta.insert(*d, ())?;
        }
        // After the records are written: a hint built here reads them.
        self.hint_extend(
            &t.recent(),
            posted.iter().map(|(d, bands)| (*d, &bands[..])),
            added.iter().map(|(d, id, exact)| (*d, id.as_str(), *exact)),
        )?;
        t.meta.insert(meta::NEXT_ORDINAL, &next.to_le_bytes()[..])?;
        t.meta.insert(meta::DOCUMENTS, &count.to_le_bytes()[..])?;
        Ok(answers)
    }
}
