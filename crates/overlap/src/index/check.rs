//! `index check`: every invariant of the stored index, verified from the file.
//!
//! Memory: the ordinal, exact key and band keys of every document, the ordinals of the delta, and
//! one shingle set at a time (two per edge check).

use super::postings::ReadPostings;
use super::schema::{meta, DocRecord, ANCHORS, DOCUMENTS, EDGES, EXACT_MEMBERS, IDS, META, TEXTS};
use super::{delta, get_u64, open_delta, Index, ReadSets, Result};
use crate::dedup::jaccard;
use redb::{ReadableMultimapTable, ReadableTable, ReadableTableMetadata};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// At most this many problems are listed (all are counted).
const LISTED: usize = 100;

/// What `check` found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CheckReport {
    /// Documents checked.
    pub documents: u64,
    /// Exact groups checked.
    pub exact_groups: u64,
    /// Band postings of the main level checked.
    pub postings: u64,
    /// Group representatives in the recent level (the delta) checked.
    pub delta: u64,
    /// Near-duplicate edges checked (each direction once).
    pub edges: u64,
    /// Stored texts re-sketched and compared.
    pub texts: u64,
    /// Anchor n-gram entries checked.
    pub anchors: u64,
    /// Problems found, in total.
    pub problem_count: u64,
    /// The first problems, for people.
    pub problems: Vec<String>,
}

impl CheckReport {
    /// True when no invariant is broken.
    pub fn ok(&self) -> bool {
        self.problem_count == 0
    }

    fn problem(&mut self, message: String) {
        self.problem_count += 1;
        if self.problems.len() < LISTED {
            self.problems.push(message);
        }
    }
}

pub(super) fn check(index: &Index) -> Result<CheckReport> {
    let mut r = CheckReport::default();
    let params = &index.params;
    let txn = index.read()?;
    let m = txn.open_table(META)?;
    let docs = txn.open_table(DOCUMENTS)?;
    let ids = txn.open_table(IDS)?;
    let members = txn.open_multimap_table(EXACT_MEMBERS)?;
    // The plain table (format 4) or the multimap (an older format opened read-only).
    let postings = ReadPostings::open(index, &txn)?;
    // By representative (format 3) or by exact key (an older format opened read-only).
    let sets = ReadSets::open(index, &txn)?;
    let edges = txn.open_table(EDGES)?;
    let texts = txn.open_table(TEXTS)?;
    let delta_table = open_delta(&txn)?;
    let generation = delta::generation(&m)?;
    let recent_from = delta::recent_from(&m)?;
    let level = delta::Recent {
        generation,
        from: recent_from,
        delta: delta_table.as_ref(),
        docs: &docs,
    };
    let mut in_delta: std::collections::BTreeSet<u64> = std::collections::BTreeSet::new();
    if let Some(t) = &delta_table {
        for entry in t.iter()? {
            in_delta.insert(entry?.0.value());
        }
    }

    // Documents, ids and the counters.
    let count = get_u64(m.get(meta::DOCUMENTS)?.as_ref().map(|v| v.value()));
    let next = get_u64(m.get(meta::NEXT_ORDINAL)?.as_ref().map(|v| v.value()));
    let mut records: BTreeMap<u64, DocRecord> = BTreeMap::new();
    for entry in docs.iter()? {
        let (d, v) = entry?;
        let d = d.value();
        match DocRecord::decode(v.value()) {
            Some(rec) => {
                if rec.bands.len() != params.bands {
                    r.problem(format!(
                        "document {d} ({:?}) has {} band keys, the index uses {}",
                        rec.id,
                        rec.bands.len(),
                        params.bands
                    ));
                }
                let main_id = ids.get(rec.id.as_str())?.map(|v| v.value());
                if d < recent_from {
                    match main_id {
                        Some(x) if x == d => {}
                        other => r.problem(format!(
                            "id {:?} of document {d} maps to {other:?} in the id table",
                            rec.id
                        )),
                    }
                } else {
                    // A recent document: found by its id through the hint, not in the table.
                    if main_id.is_some() {
                        r.problem(format!(
                            "id {:?} of recent document {d} is in the id table",
                            rec.id
                        ));
                    }
                    match index.recent_id(&level, &rec.id)? {
                        Some(x) if x == d => {}
                        other => r.problem(format!(
                            "id {:?} of recent document {d} is found as {other:?}",
                            rec.id
                        )),
                    }
                }
                records.insert(d, rec);
            }
            None => r.problem(format!("document {d} is unreadable")),
        }
    }
    r.documents = records.len() as u64;
    if count != Some(records.len() as u64) {
        r.problem(format!(
            "the document counter says {count:?}, the table holds {}",
            records.len()
        ));
    }
    let main_documents = records.range(..recent_from).count() as u64;
    if ids.len()? != main_documents {
        r.problem(format!(
            "{} ids for {main_documents} documents of the main level",
            ids.len()?
        ));
    }
    if let Some(&last) = records.keys().next_back() {
        if next.is_none_or(|n| n <= last) {
            r.problem(format!(
                "next ordinal {next:?} is not past the last document {last}"
            ));
        }
    }

    // Exact groups: members sorted, existing, with the group's key; the first is posted and has
    // its shingle set, the others are not posted.
    // The main level's entries (documents before `recent_from`), then the recent documents, each
    // found in its group through the hint.
    let mut groups: BTreeMap<u128, Vec<u64>> = BTreeMap::new();
    for entry in members.iter()? {
        let (k, values) = entry?;
        let exact = k.value();
        let group = groups.entry(exact).or_default();
        for v in values {
            let d = v?.value();
            if d >= recent_from {
                r.problem(format!(
                    "recent document {d} is in exact group {exact:032x} of the main level"
                ));
            }
            group.push(d);
        }
    }
    for (&d, rec) in records.range(recent_from..) {
        groups.entry(rec.exact).or_default().push(d);
        if !index.recent_members(&level, rec.exact)?.contains(&d) {
            r.problem(format!(
                "recent document {d} ({:?}) is not found in its exact group",
                rec.id
            ));
        }
    }
    let mut first_of: HashMap<u128, u64> = HashMap::new();
    let mut in_groups = 0u64;
    for (exact, group) in groups {
        if group.windows(2).any(|w| w[0] >= w[1]) {
            r.problem(format!("exact group {exact:032x} is not sorted: {group:?}"));
        }
        for &d in &group {
            in_groups += 1;
            match records.get(&d) {
                Some(rec) if rec.exact == exact => {}
                Some(_) => r.problem(format!(
                    "document {d} is in exact group {exact:032x} with another exact key"
                )),
                None => r.problem(format!(
                    "exact group {exact:032x} lists missing document {d}"
                )),
            }
        }
        let Some(&first) = group.first() else {
            continue;
        };
        first_of.insert(exact, first);
        match sets.lookup(first, exact)? {
            Some(Some(set)) => {
                if set.windows(2).any(|w| w[0] >= w[1]) {
                    r.problem(format!(
                        "shingle set of exact group {exact:032x} is not sorted and distinct"
                    ));
                }
            }
            Some(None) => r.problem(format!(
                "shingle set of exact group {exact:032x} is unreadable"
            )),
            None => r.problem(format!("exact group {exact:032x} has no shingle set")),
        }
        // Posted in exactly one level: every band in the main level, or in the delta (and then
        // found there by its band keys, through the in-memory hint lookups use).
        if let Some(rec) = records.get(&first) {
            let recent = in_delta.contains(&first);
            for (band, &key) in rec.bands.iter().enumerate() {
                let mut under = Vec::new();
                postings.get((band as u32, key), &mut under)?;
                let posted = under.contains(&first);
                if recent && posted {
                    r.problem(format!(
                        "document {first} ({:?}) is posted in band {band} of both levels",
                        rec.id
                    ));
                }
                if !recent && !posted {
                    r.problem(format!(
                        "document {first} ({:?}) is missing from its band {band} posting",
                        rec.id
                    ));
                }
            }
            if recent {
                let keys: Vec<(u32, u64)> = rec
                    .bands
                    .iter()
                    .enumerate()
                    .map(|(band, &key)| (band as u32, key))
                    .collect();
                let found = index.delta_postings(&level, &keys)?;
                for &key in &keys {
                    if !found.contains(&(key, first)) {
                        r.problem(format!(
                            "document {first} ({:?}) of the delta is not found by its band {} key",
                            rec.id, key.0
                        ));
                    }
                }
            }
        }
    }
    r.exact_groups = first_of.len() as u64;
    if in_groups != records.len() as u64 {
        r.problem(format!(
            "{in_groups} exact group memberships for {} documents",
            records.len()
        ));
    }
    if sets.len()? != first_of.len() as u64 {
        r.problem(format!(
            "{} shingle sets for {} exact groups",
            sets.len()?,
            first_of.len()
        ));
    }
    let is_first = |d: u64, rec: &DocRecord| first_of.get(&rec.exact) == Some(&d);

    // The delta names group representatives only.
    for &d in &in_delta {
        r.delta += 1;
        match records.get(&d) {
            Some(rec) if is_first(d, rec) => {}
            Some(rec) => r.problem(format!(
                "the delta lists document {d} ({:?}), an exact copy",
                rec.id
            )),
            None => r.problem(format!("the delta lists missing document {d}")),
        }
    }

    // Postings: sorted, each naming a group's first document whose band key it is.
    let mut previous: Option<((u32, u64), u64)> = None;
    postings.for_each(|(band, key), d| {
        r.postings += 1;
        if previous.is_some_and(|(k, p)| k == (band, key) && p >= d) {
            r.problem(format!("posting ({band}, {key:016x}) is not sorted"));
        }
        previous = Some(((band, key), d));
        {
            match records.get(&d) {
                Some(rec) if rec.bands.get(band as usize) == Some(&key) && is_first(d, rec) => {}
                Some(rec) if !is_first(d, rec) => r.problem(format!(
                    "posting ({band}, {key:016x}) lists document {d}, an exact copy"
                )),
                Some(_) => r.problem(format!(
                    "posting ({band}, {key:016x}) lists document {d}, whose band key differs"
                )),
                None => r.problem(format!(
                    "posting ({band}, {key:016x}) lists missing document {d}"
                )),
            }
        }
    })?;
    let main_groups = (first_of.len() as u64).saturating_sub(r.delta);
    let expected = main_groups * params.bands as u64;
    if r.postings != expected {
        r.problem(format!(
            "{} postings in the main level, expected {expected} ({main_groups} groups not in the delta x {} bands)",
            r.postings,
            params.bands
        ));
    }

    // Edges: symmetric, between group representatives, verified Jaccard at or above the threshold.
    let set_of =
        |d: u64, exact: u128| -> Result<Option<Vec<u64>>> { Ok(sets.lookup(d, exact)?.flatten()) };
    for entry in edges.iter()? {
        let (k, v) = entry?;
        let (a, b) = k.value();
        let j = v.value();
        if a > b {
            if edges.get((b, a))?.map(|v| v.value()) != Some(j) {
                r.problem(format!("edge ({a}, {b}) has no equal reverse edge"));
            }
            continue;
        }
        r.edges += 1;
        if edges.get((b, a))?.map(|v| v.value()) != Some(j) {
            r.problem(format!("edge ({a}, {b}) has no equal reverse edge"));
        }
        let (Some(ra), Some(rb)) = (records.get(&a), records.get(&b)) else {
            r.problem(format!("edge ({a}, {b}) names a missing document"));
            continue;
        };
        if !is_first(a, ra) || !is_first(b, rb) {
            r.problem(format!(
                "edge ({a}, {b}) is not between exact group representatives"
            ));
        }
        if j < params.config.threshold {
            r.problem(format!(
                "edge ({a}, {b}) has Jaccard {j} below the threshold"
            ));
        }
        if let (Some(sa), Some(sb)) = (set_of(a, ra.exact)?, set_of(b, rb.exact)?) {
            let actual = jaccard(&sa, &sb);
            if actual != j {
                r.problem(format!(
                    "edge ({a}, {b}) says Jaccard {j}, the shingle sets give {actual}"
                ));
            }
        }
    }

    // Texts: present exactly when stored, and sketching them again gives the stored keys and
    // anchors.
    let mut expected_anchors = 0u64;
    for entry in texts.iter()? {
        let (d, v) = entry?;
        let d = d.value();
        r.texts += 1;
        let Some(rec) = records.get(&d) else {
            r.problem(format!("text of missing document {d}"));
            continue;
        };
        expected_anchors += index.anchors_of(v.value()).len() as u64;
        let sketch = index.sketcher.sketch(v.value());
        if sketch.exact != rec.exact || sketch.bands != rec.bands {
            r.problem(format!(
                "document {d} ({:?}): its stored text sketches to other keys",
                rec.id
            ));
        }
    }
    if params.store_text && r.texts != records.len() as u64 {
        r.problem(format!(
            "{} texts stored for {} documents",
            r.texts,
            records.len()
        ));
    }
    if !params.store_text && r.texts != 0 {
        r.problem(format!(
            "{} texts stored in an index created without --store-text",
            r.texts
        ));
    }
    // Anchors: one entry per distinct anchor n-gram of each stored text, naming existing documents.
    match txn.open_table(ANCHORS) {
        Ok(anchors) => {
            for entry in anchors.iter()? {
                let (k, _) = entry?;
                let (g, d) = k.value();
                r.anchors += 1;
                if !records.contains_key(&d) {
                    r.problem(format!("anchor {g:016x} names missing document {d}"));
                }
            }
        }
        Err(redb::TableError::TableDoesNotExist(_)) => {}
        Err(e) => return Err(e.into()),
    }
    if r.anchors != expected_anchors {
        r.problem(format!(
            "{} anchor entries, the stored texts give {expected_anchors}",
            r.anchors
        ));
    }
    drop((
        m,
        docs,
        ids,
        members,
        postings,
        sets,
        edges,
        texts,
        delta_table,
    ));
    drop(txn);
    // The cluster computation reads the whole graph; it must succeed.
    if let Err(e) = index.clusters() {
        r.problem(format!("clusters cannot be computed: {e}"));
    }
    Ok(r)
}
