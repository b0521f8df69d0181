//! The persistent, incremental index: "have we seen this before?" for documents that arrive in
//! batches, with the same answers as `dedup` over everything added so far.
//!
//! One redb file (ACID, copy-on-write B-trees) in the index folder; its layout is in [`schema`].
//! Documents are sketched by the engine's own [`Sketcher`] (normalization, shingles, MinHash, LSH
//! bands chosen as `dedup` chooses them) with parameters fixed at creation, looked up by exact key,
//! then by LSH band postings, and every candidate is verified by its true Jaccard similarity, exactly
//! as [`crate::dedup`] verifies its candidate pairs. Only the first document of an exact group is
//! posted in the bands and compared, as in `dedup`. Adding a batch is one write transaction, committed
//! with immediate durability before the answers are returned ([`add_corpus`] commits batches that
//! are already waiting in groups, the group's last commit durable, and answers them after it);
//! readers see the last committed state.
//!
//! Clusters are not a second implementation of the clustering rule: the index persists the graph
//! (exact groups and verified edges) and [`Index::clusters`] hands it to
//! [`crate::dedup::assign_clusters`] and [`crate::dedup::duplicate_pairs`], in insertion order, so
//! adding a corpus in any number of batches gives the clusters and pairs of one `dedup` run over it.
//!
//! Memory: one batch of sketches (shingle hashes and band keys of each pending document; in
//! [`add_corpus`], up to seven batches: one filling, four waiting, one held, one being written, and
//! the pages of one group of commits in redb's write buffer) plus redb's page cache; lookups read postings and the candidates' shingle sets from the file; the hint of the
//! recent level (see [`delta`]: its postings, ids and exact keys) and, in the writer, a filter of
//! band keys (see
//! [`filter`]: 21 to 42 bytes per document). `clusters` and `check` hold one exact key and one id
//! per document.

mod batch;
mod check;
mod delta;
mod filter;
mod postings;
mod schema;

pub use check::CheckReport;
pub use delta::{DEFAULT_DELTA_LIMIT, DEFAULT_DELTA_RATIO};
pub use schema::{FILE_NAME, FORMAT_VERSION};

/// What `query --reuse` returns per match: see [`Index::reuse`].
pub type ReuseMatches = Vec<ReuseMatch>;

use crate::dedup::{
    assign_clusters, duplicate_pairs, jaccard, Assignment, DedupConfig, DocSketch, DuplicatePair,
    Edge, SketchStore, Sketcher,
};
use crate::error::Problem;
use crate::io::{ingest, CorpusInput, Mapped};
use crate::progress::Progress;
use redb::{
    Database, MultimapTable, ReadOnlyDatabase, ReadTransaction, ReadableDatabase,
    ReadableMultimapTable, ReadableTable, ReadableTableMetadata, Table, WriteTransaction,
};
use schema::{
    decode_set, encode_set, meta, DocRecord, ANCHORS, BAND_POSTINGS, DELTA, DOCUMENTS, EDGES,
    EXACT_MEMBERS, IDS, META, OLDEST_FORMAT_VERSION, PLAIN_POSTINGS_FORMAT, POSTINGS,
    RECENT_DOCUMENTS_FORMAT, SETS, SETS_FORMAT, SHINGLES, TEXTS,
};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Errors of the index.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// An error of the engine (reading inputs, bad records, parameters).
    #[error(transparent)]
    Engine(#[from] crate::Error),
    /// redb failed (I/O error, corrupt file).
    #[error("index storage: {0}")]
    Storage(Box<redb::Error>),
    /// The folder holds no index.
    #[error("{}: not an overlap index (no {FILE_NAME} in it; create one with `overlap index create`)", .0.display())]
    NotAnIndex(PathBuf),
    /// `create` on a folder that holds something.
    #[error("{}: exists and is not empty; an index is created in a new or empty folder", .0.display())]
    AlreadyExists(PathBuf),
    /// The index was written by a later overlap.
    #[error("{}: index format {found} was written by a newer overlap; this overlap ({}) reads format {FORMAT_VERSION} only: upgrade overlap", path.display(), env!("CARGO_PKG_VERSION"))]
    NewerFormat {
        /// The index folder.
        path: PathBuf,
        /// The version found.
        found: u32,
    },
    /// Another process has the index open.
    #[error("{}: the index is in use by another process (an `overlap index add`/`remove` or `overlap serve` writing it, or readers while this command needs to write); wait for it to finish, or send queries and documents to the running server", .0.display())]
    Locked(PathBuf),
    /// The index was opened read-only and a write was asked for.
    #[error("the index was opened read-only")]
    ReadOnly,
    /// The file does not hold what this format says.
    #[error("{}: corrupt index: {message}", path.display())]
    Corrupt {
        /// The index folder.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An added id exists and the policy is [`OnExisting::Error`].
    #[error("document {0:?} is already in the index")]
    Exists(String),
    /// A removed or fetched id is unknown.
    #[error("document {0:?} is not in the index")]
    NotFound(String),
    /// One batch names an id twice.
    #[error("id {0:?} appears more than once in the batch")]
    DuplicateInBatch(String),
    /// A parameter or document the index cannot take.
    #[error("{0}")]
    Invalid(String),
}

macro_rules! storage_errors {
    ($($t:ty),*) => {$(
        impl From<$t> for IndexError {
            fn from(e: $t) -> Self {
                IndexError::Storage(Box::new(e.into()))
            }
        }
    )*};
}
storage_errors!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// The index's result type.
pub type Result<T, E = IndexError> = std::result::Result<T, E>;

/// What is fixed when an index is created, stored in it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IndexParameters {
    /// The dedup parameters (threshold, shingles, MinHash, LSH, normalization).
    #[serde(flatten)]
    pub config: DedupConfig,
    /// LSH bands in use.
    pub bands: usize,
    /// LSH rows per band in use.
    pub rows: usize,
    /// Whether documents' texts are stored (needed for passages).
    pub store_text: bool,
    /// Words per anchor n-gram stored for `query --reuse` (with `store_text`; 0: none stored).
    #[serde(default)]
    pub anchor_ngram: usize,
    /// Group representatives the recent level of band postings holds before it is merged into
    /// the main level (see the `delta` module). Indexes made before it existed take the default.
    #[serde(default = "default_delta_limit")]
    pub delta_limit: usize,
    /// The recent level is also allowed to hold this many group representatives per group of the
    /// main level before it is merged: the limit grows with the index, so that the rewrites of the
    /// main level cost a constant amount per document (geometric merges). Indexes made before it
    /// existed take the default.
    #[serde(default = "default_delta_ratio")]
    pub delta_ratio: f64,
}

fn default_delta_limit() -> usize {
    DEFAULT_DELTA_LIMIT
}

fn default_delta_ratio() -> f64 {
    DEFAULT_DELTA_RATIO
}

/// What to do when an added id is already in the index.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnExisting {
    /// Fail the batch; nothing of it is added (default).
    #[default]
    Error,
    /// Leave the indexed document as it is; the new one is not added.
    Skip,
    /// Remove the indexed document, then add the new one (at the end of the insertion order).
    Replace,
}

/// The answer for one document: whether it duplicates an indexed one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnswerKind {
    /// Same normalized text as an indexed document.
    Exact,
    /// Verified Jaccard >= threshold with an indexed document.
    Near,
    /// Neither.
    Unique,
    /// Not added: the id exists and the policy is [`OnExisting::Skip`].
    Existing,
}

/// The answer to adding one document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AddAnswer {
    /// The document's id.
    pub id: String,
    /// The document it duplicates: the first of its exact group, else the verified match with the
    /// highest Jaccard (the earliest on ties). May have been added earlier in the same batch.
    pub duplicate_of: Option<String>,
    /// Jaccard with `duplicate_of` (1 for exact).
    pub jaccard: Option<f64>,
    /// Exact, near, unique, or existing.
    pub kind: AnswerKind,
}

/// One indexed document that a query matches.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Match {
    /// Its id.
    pub id: String,
    /// Verified Jaccard similarity of the shingle sets (1 for exact).
    pub jaccard: f64,
    /// `exact` (same normalized text) or `near`.
    pub kind: crate::dedup::PairKind,
}

/// The answer to a query: what adding the document would answer, and every match.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QueryAnswer {
    /// As in [`AddAnswer::duplicate_of`].
    pub duplicate_of: Option<String>,
    /// As in [`AddAnswer::jaccard`].
    pub jaccard: Option<f64>,
    /// Exact, near or unique.
    pub kind: AnswerKind,
    /// The exact group's members in insertion order, then the near-duplicate group representatives
    /// by Jaccard (highest first, earliest on ties), at most `limit` in all.
    pub matches: Vec<Match>,
    /// Matches found before the limit cut them.
    pub total_matches: usize,
}

/// An earlier document that shares passages with a query.
#[derive(Clone, Debug, Serialize)]
pub struct ReuseMatch {
    /// Its id.
    pub id: String,
    /// Distinct rare anchor n-grams shared with the query.
    pub shared_anchors: usize,
    /// The passages, as `overlap align --json` prints them (the query is `a`).
    pub alignment: crate::align::Alignment,
}

/// A document ready to add: sketched (and its text kept when the index stores texts).
#[derive(Clone, Debug)]
pub struct NewDocument {
    /// Its id.
    pub id: String,
    /// Its sketch, by the index's sketcher.
    pub sketch: DocSketch,
    /// Its shingle set (sorted, distinct), made when it is prepared, in parallel with the others.
    pub set: Vec<u64>,
    /// Its text, when the index stores texts.
    pub text: Option<String>,
    /// Its distinct anchor n-grams, when the index stores texts.
    pub anchors: Vec<u64>,
}

impl Mapped for NewDocument {
    fn word_count(&self) -> usize {
        self.sketch.tokens
    }
}

/// An indexed document.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DocumentInfo {
    /// Its id.
    pub id: String,
    /// Its position in insertion order (never reused).
    pub ordinal: u64,
    /// Exact key, 32 hex digits.
    pub exact: String,
    /// Word tokens.
    pub tokens: u32,
    /// The first document of its exact group.
    pub exact_of: Option<String>,
    /// The verified near-duplicate edges of its exact group's representative: `(id, jaccard)`.
    pub near: Vec<Match>,
    /// Its text, when stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// Counts and sizes.
#[derive(Clone, Debug, Serialize)]
pub struct Stats {
    /// Index format version.
    pub format_version: u32,
    /// The overlap version that created the index.
    pub created_by: String,
    /// Documents.
    pub documents: u64,
    /// Exact groups (distinct normalized texts).
    pub exact_groups: u64,
    /// Band postings in the main level (one per band per exact group not in the delta).
    pub postings: u64,
    /// Exact groups whose band postings are in the recent level (merged into the main level once
    /// there are more than `parameters.delta_limit`).
    pub delta_groups: u64,
    /// Merges of the delta into the main level so far.
    pub delta_generation: u64,
    /// Group representatives the delta may hold now before it is merged: `parameters.delta_limit`
    /// or `parameters.delta_ratio` times the main level's groups, whichever is larger.
    pub delta_limit_now: u64,
    /// Merges that failed after their batch was committed, in this process (not stored).
    pub merge_failures: MergeFailures,
    /// Verified near-duplicate pairs of group representatives.
    pub near_pairs: u64,
    /// Stored texts.
    pub texts: u64,
    /// Size of the index file in bytes.
    pub file_bytes: u64,
    /// `file_bytes / documents`.
    pub bytes_per_document: f64,
    /// Per table: bytes of keys and values stored, and of B-tree metadata and fragmentation (the
    /// rest of the file is free or preallocated space).
    pub tables: std::collections::BTreeMap<&'static str, TableBytes>,
    /// The parameters.
    pub parameters: IndexParameters,
}

/// Space one table takes in the file.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct TableBytes {
    /// Keys and values.
    pub stored: u64,
    /// B-tree pages' own bookkeeping.
    pub metadata: u64,
    /// Unused parts of its pages.
    pub fragmented: u64,
}

impl From<redb::TableStats> for TableBytes {
    fn from(s: redb::TableStats) -> Self {
        TableBytes {
            stored: s.stored_bytes(),
            metadata: s.metadata_bytes(),
            fragmented: s.fragmented_bytes(),
        }
    }
}

/// The clusters of everything indexed, as `dedup` would give them over the documents in insertion
/// order.
#[derive(Clone, Debug)]
pub struct Clusters {
    /// Ids in insertion order.
    pub ids: Vec<String>,
    /// Representatives and reasons, by position in `ids`.
    pub assignment: Assignment,
    /// The duplicate pairs (`pairs.jsonl`), by position in `ids`.
    pub pairs: Vec<DuplicatePair>,
}

/// Totals of [`add_corpus`].
#[derive(Clone, Debug, Default)]
pub struct AddReport {
    /// Documents added.
    pub added: u64,
    /// Documents not added because their id exists ([`OnExisting::Skip`]).
    pub existing: u64,
    /// Batches committed.
    pub batches: u64,
    /// Bad records skipped (with `--on-error skip`).
    pub skipped: Vec<Problem>,
}

enum Db {
    ReadWrite(Database),
    ReadOnly(ReadOnlyDatabase),
}

/// An open index.
pub struct Index {
    dir: PathBuf,
    db: Db,
    params: IndexParameters,
    sketcher: Sketcher,
    /// The delta's postings by band key (see the `delta` module); loaded on first use.
    hint: std::sync::RwLock<Option<delta::Hint>>,
    /// The writer's filter of the band keys it may find in the main level (see the `filter`
    /// module).
    filter: std::sync::Mutex<filter::FilterState>,
    /// The format of the file as it is open: [`FORMAT_VERSION`] once opened for writing (older
    /// files are migrated then), the stored one for an older file opened read-only.
    layout: u32,
    /// Merges of the recent level that failed after their batch was committed, in this process,
    /// and the last one's error (see [`Index::add`]).
    merge_failures: std::sync::Mutex<MergeFailures>,
    /// Makes the next merge fail before its commit (fault injection for the tests).
    #[cfg(test)]
    fail_next_merge: std::sync::atomic::AtomicBool,
}

/// Merges of the recent level that failed after their batch had been committed and answered (see
/// [`Index::add`]): counted for this process, not stored in the index.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MergeFailures {
    /// How many failed.
    pub count: u64,
    /// The last one's error.
    pub last_error: Option<String>,
}

fn open_error(dir: &Path, e: redb::DatabaseError) -> IndexError {
    match e {
        redb::DatabaseError::DatabaseAlreadyOpen => IndexError::Locked(dir.to_path_buf()),
        other => other.into(),
    }
}

fn get_u64(bytes: Option<&[u8]>) -> Option<u64> {
    Some(u64::from_le_bytes(bytes?.try_into().ok()?))
}

impl Index {
    /// Create an index in `dir` (new, or empty) with `config`. The file is built under a temporary
    /// name and renamed into place, so a killed `create` leaves no half-made index.
    pub fn create(dir: &Path, config: &DedupConfig, store_text: bool) -> Result<Index> {
        Self::create_with_delta_limit(dir, config, store_text, DEFAULT_DELTA_LIMIT)
    }

    /// [`Index::create`] with the number of group representatives the recent level of postings
    /// holds before it is merged (at least 1): larger makes merges rarer and the in-memory hint of
    /// that level larger (about 30 bytes per band per representative).
    pub fn create_with_delta_limit(
        dir: &Path,
        config: &DedupConfig,
        store_text: bool,
        delta_limit: usize,
    ) -> Result<Index> {
        Self::create_with_levels(dir, config, store_text, delta_limit, DEFAULT_DELTA_RATIO)
    }

    /// [`Index::create_with_delta_limit`] with the ratio of the recent level to the main one it may
    /// reach before a merge (see [`IndexParameters::delta_ratio`]; 0: the fixed limit alone).
    pub fn create_with_levels(
        dir: &Path,
        config: &DedupConfig,
        store_text: bool,
        delta_limit: usize,
        delta_ratio: f64,
    ) -> Result<Index> {
        config.validate()?;
        if delta_limit == 0 {
            return Err(IndexError::Invalid(
                "the delta limit must be at least 1".into(),
            ));
        }
        if !delta_ratio.is_finite() || delta_ratio < 0.0 {
            return Err(IndexError::Invalid(
                "the delta ratio must be a finite number >= 0".into(),
            ));
        }
        if !config.verify {
            return Err(IndexError::Invalid(
                "the index always verifies candidates by their true Jaccard similarity".into(),
            ));
        }
        if dir.exists() {
            let mut entries = std::fs::read_dir(dir).map_err(|e| crate::Error::io(dir, e))?;
            if entries.next().is_some() {
                return Err(IndexError::AlreadyExists(dir.to_path_buf()));
            }
        }
        std::fs::create_dir_all(dir).map_err(|e| crate::Error::io(dir, e))?;
        let lsh = config.lsh_params();
        let params = IndexParameters {
            config: config.clone(),
            bands: lsh.bands,
            rows: lsh.rows,
            store_text,
            anchor_ngram: if store_text {
                crate::reuse::ReuseConfig::default().anchor_ngram
            } else {
                0
            },
            delta_limit,
            delta_ratio,
        };
        let tmp = dir.join(format!(".{FILE_NAME}.tmp-{}", std::process::id()));
        {
            let db = Database::create(&tmp).map_err(|e| open_error(dir, e))?;
            let txn = db.begin_write()?;
            {
                let mut m = txn.open_table(META)?;
                m.insert(meta::FORMAT_VERSION, &FORMAT_VERSION.to_le_bytes()[..])?;
                let json = serde_json::to_vec(&params).map_err(|e| {
                    IndexError::Invalid(format!("cannot encode the parameters: {e}"))
                })?;
                m.insert(meta::PARAMETERS, &json[..])?;
                m.insert(meta::NEXT_ORDINAL, &0u64.to_le_bytes()[..])?;
                m.insert(meta::DOCUMENTS, &0u64.to_le_bytes()[..])?;
                m.insert(meta::RECENT_FROM, &0u64.to_le_bytes()[..])?;
                m.insert(meta::CREATED_BY, env!("CARGO_PKG_VERSION").as_bytes())?;
                txn.open_table(DOCUMENTS)?;
                txn.open_table(IDS)?;
                txn.open_multimap_table(EXACT_MEMBERS)?;
                txn.open_table(BAND_POSTINGS)?;
                txn.open_table(SETS)?;
                txn.open_table(EDGES)?;
                txn.open_table(TEXTS)?;
                txn.open_table(ANCHORS)?;
                txn.open_table(DELTA)?;
            }
            txn.commit()?;
        }
        let target = dir.join(FILE_NAME);
        std::fs::rename(&tmp, &target).map_err(|e| crate::Error::io(&target, e))?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Index::open(dir)
    }

    /// Open the index in `dir` for reading and writing. Only one process may hold it so; a second
    /// gets [`IndexError::Locked`]. Recovers the last committed state after a crash.
    pub fn open(dir: &Path) -> Result<Index> {
        let file = Self::file_in(dir)?;
        let db = Database::open(&file).map_err(|e| open_error(dir, e))?;
        Self::with_db(dir, Db::ReadWrite(db))
    }

    /// Open the index in `dir` for reading only; several readers may share it, but not with a writer.
    /// After a crash the file needs a repair that only a writer may do: then it is opened for writing.
    pub fn open_read_only(dir: &Path) -> Result<Index> {
        let file = Self::file_in(dir)?;
        match ReadOnlyDatabase::open(&file) {
            Ok(db) => Self::with_db(dir, Db::ReadOnly(db)),
            Err(redb::DatabaseError::RepairAborted) => Self::open(dir),
            Err(e) => Err(open_error(dir, e)),
        }
    }

    fn file_in(dir: &Path) -> Result<PathBuf> {
        let file = dir.join(FILE_NAME);
        if !file.is_file() {
            return Err(IndexError::NotAnIndex(dir.to_path_buf()));
        }
        Ok(file)
    }

    fn with_db(dir: &Path, db: Db) -> Result<Index> {
        let corrupt = |message: String| IndexError::Corrupt {
            path: dir.to_path_buf(),
            message,
        };
        let txn = match &db {
            Db::ReadWrite(d) => d.begin_read()?,
            Db::ReadOnly(d) => d.begin_read()?,
        };
        let m = match txn.open_table(META) {
            Ok(m) => m,
            Err(redb::TableError::TableDoesNotExist(_)) => {
                return Err(corrupt("no meta table: not an overlap index".into()))
            }
            Err(e) => return Err(e.into()),
        };
        let version = m
            .get(meta::FORMAT_VERSION)?
            .and_then(|v| Some(u32::from_le_bytes(v.value().try_into().ok()?)))
            .ok_or_else(|| corrupt("no format version".into()))?;
        if version > FORMAT_VERSION {
            return Err(IndexError::NewerFormat {
                path: dir.to_path_buf(),
                found: version,
            });
        }
        if version < OLDEST_FORMAT_VERSION {
            return Err(corrupt(format!("unknown format version {version}")));
        }
        let params: IndexParameters = m
            .get(meta::PARAMETERS)?
            .ok_or_else(|| corrupt("no parameters".into()))
            .and_then(|v| {
                serde_json::from_slice(v.value())
                    .map_err(|e| corrupt(format!("unreadable parameters: {e}")))
            })?;
        let sketcher = Sketcher::new(&params.config);
        if sketcher.lsh().bands != params.bands || sketcher.lsh().rows != params.rows {
            return Err(corrupt(format!(
                "stored bands x rows {} x {} differ from the parameters' {} x {}",
                params.bands,
                params.rows,
                sketcher.lsh().bands,
                sketcher.lsh().rows
            )));
        }
        drop(m);
        drop(txn);
        let mut layout = version;
        if version < FORMAT_VERSION {
            if let Db::ReadWrite(d) = &db {
                Self::migrate(d, version).map_err(|e| match e {
                    IndexError::Corrupt { message, .. } => corrupt(message),
                    other => other,
                })?;
                layout = FORMAT_VERSION;
            }
        }
        Ok(Index {
            dir: dir.to_path_buf(),
            db,
            params,
            sketcher,
            hint: std::sync::RwLock::new(None),
            filter: std::sync::Mutex::new(filter::FilterState::default()),
            layout,
            merge_failures: std::sync::Mutex::new(MergeFailures::default()),
            #[cfg(test)]
            fail_next_merge: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Formats 1 to 4 to 5, in one transaction (a reader of an older format reads the old file as
    /// it is): the delta table, empty in format 1 (every posting is in the main level); the shingle
    /// sets re-keyed from exact keys to their group representatives' ordinals (written in ordinal
    /// order), the old table deleted (formats 1 and 2); the main level's postings copied, in key
    /// order, from the multimap into the plain table, the multimap deleted (formats 1 to 3); no
    /// recent documents (`recent_from` is the next ordinal); the version.
    fn migrate(db: &Database, version: u32) -> Result<()> {
        let txn = db.begin_write()?;
        {
            txn.open_table(DELTA)?;
            if version < SETS_FORMAT {
                let members = txn.open_multimap_table(EXACT_MEMBERS)?;
                let mut firsts: Vec<(u64, u128)> = Vec::new();
                for entry in members.iter()? {
                    let (k, mut values) = entry?;
                    if let Some(first) = values.next() {
                        firsts.push((first?.value(), k.value()));
                    }
                }
                firsts.sort_unstable();
                let old = txn.open_table(SHINGLES)?;
                let mut sets = txn.open_table(SETS)?;
                for (d, exact) in firsts {
                    let v = old.get(exact)?.ok_or_else(|| IndexError::Corrupt {
                        path: PathBuf::new(),
                        message: format!("no shingles for exact key {exact:032x}"),
                    })?;
                    sets.insert(d, v.value())?;
                }
                drop(old);
                drop(sets);
                drop(members);
                txn.delete_table(SHINGLES)?;
            }
            if version < PLAIN_POSTINGS_FORMAT {
                let old = txn.open_multimap_table(POSTINGS)?;
                let mut plain = txn.open_table(BAND_POSTINGS)?;
                for entry in old.iter()? {
                    let (k, values) = entry?;
                    let (band, key) = k.value();
                    for v in values {
                        plain.insert((band, key, v?.value()), ())?;
                    }
                }
                drop(old);
                drop(plain);
                txn.delete_multimap_table(POSTINGS)?;
            }
            let mut m = txn.open_table(META)?;
            if version < RECENT_DOCUMENTS_FORMAT {
                // Every id and group entry is in the main tables: the recent level starts empty.
                let next = get_u64(m.get(meta::NEXT_ORDINAL)?.as_ref().map(|v| v.value()))
                    .ok_or_else(|| IndexError::Corrupt {
                        path: PathBuf::new(),
                        message: "no next ordinal".into(),
                    })?;
                m.insert(meta::RECENT_FROM, &next.to_le_bytes()[..])?;
            }
            m.insert(meta::FORMAT_VERSION, &FORMAT_VERSION.to_le_bytes()[..])?;
        }
        txn.commit()?;
        Ok(())
    }

    /// The format version stored in the file (a format-1 file opened read-only stays 1).
    pub fn format_version(&self) -> Result<u32> {
        let txn = self.read()?;
        let m = txn.open_table(META)?;
        m.get(meta::FORMAT_VERSION)?
            .and_then(|v| Some(u32::from_le_bytes(v.value().try_into().ok()?)))
            .ok_or_else(|| self.corrupt("no format version"))
    }

    /// The index folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The parameters fixed at creation.
    pub fn parameters(&self) -> &IndexParameters {
        &self.params
    }

    /// The sketcher for these parameters.
    pub fn sketcher(&self) -> &Sketcher {
        &self.sketcher
    }

    /// Sketch a document for [`Index::add`] (keeping its text if the index stores texts).
    pub fn prepare(&self, id: String, text: &str) -> NewDocument {
        let sketch = self.sketcher.sketch(text);
        NewDocument {
            id,
            set: sketch.shingle_set(),
            sketch,
            text: self.params.store_text.then(|| text.to_string()),
            anchors: self.anchors_of(text),
        }
    }

    /// The distinct anchor n-grams of `text`, as `reuse` computes them (none when the index stores
    /// no anchors).
    pub fn anchors_of(&self, text: &str) -> Vec<u64> {
        if self.params.anchor_ngram == 0 {
            return Vec::new();
        }
        let tokens = crate::text::tokenize(text, &self.params.config.normalization);
        crate::reuse::anchors::distinct(&crate::reuse::anchors::anchor_grams(
            &tokens,
            self.params.anchor_ngram,
        ))
    }

    fn read(&self) -> Result<ReadTransaction> {
        Ok(match &self.db {
            Db::ReadWrite(d) => d.begin_read()?,
            Db::ReadOnly(d) => d.begin_read()?,
        })
    }

    fn write(&self) -> Result<WriteTransaction> {
        match &self.db {
            Db::ReadWrite(d) => Ok(d.begin_write()?),
            Db::ReadOnly(_) => Err(IndexError::ReadOnly),
        }
    }

    fn corrupt(&self, message: impl Into<String>) -> IndexError {
        IndexError::Corrupt {
            path: self.dir.clone(),
            message: message.into(),
        }
    }

    /// Add a batch in one transaction, durably committed before this returns. All or nothing: on any
    /// error nothing of the batch is visible. Documents are looked up in order, each against
    /// everything before it, the batch's earlier documents included.
    pub fn add(&self, docs: Vec<NewDocument>, on_existing: OnExisting) -> Result<Vec<AddAnswer>> {
        let answers = self.add_batch(docs, on_existing)?;
        // The batch is durable, so it is answered whatever happens next: the merge is its own
        // transaction, a failed or killed one leaves the delta as it was (a valid state, only
        // larger than the limit), and the next batch tries it again. A lasting storage failure
        // fails that batch's own commit, so it is not hidden; a passing one is counted in
        // [`Index::merge_failures`] (and `stats`), not lost.
        self.merge_after_commit();
        Ok(answers)
    }

    /// Merge the recent level when due, after a batch was committed and answered: a failure does
    /// not undo the batch, so it is recorded ([`Index::merge_failures`]) instead of returned.
    fn merge_after_commit(&self) {
        if let Err(e) = self.merge_if_due() {
            let mut f = self
                .merge_failures
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            f.count += 1;
            f.last_error = Some(e.to_string());
        }
    }

    /// Merges of the recent level that failed after their batch had been committed, in this
    /// process (the index stays valid: the recent level is only larger than its limit, and the
    /// next batch tries again).
    pub fn merge_failures(&self) -> MergeFailures {
        self.merge_failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// [`Index::add`] without the merge that may follow its commit.
    fn add_batch(&self, docs: Vec<NewDocument>, on_existing: OnExisting) -> Result<Vec<AddAnswer>> {
        self.add_batch_with(docs, on_existing, true)
    }

    /// [`Index::add_batch`], committed durably or not: a commit that is not durable is visible to
    /// the next transactions of this process but reaches the disk only with the next durable
    /// commit ([`Index::persist`]), so its answers must wait for that (see [`add_corpus`]).
    fn add_batch_with(
        &self,
        docs: Vec<NewDocument>,
        on_existing: OnExisting,
        durable: bool,
    ) -> Result<Vec<AddAnswer>> {
        let mut seen = std::collections::HashSet::new();
        for d in &docs {
            if d.sketch.bands.len() != self.params.bands {
                return Err(IndexError::Invalid(format!(
                    "document {:?} was not sketched with this index's parameters",
                    d.id
                )));
            }
            if !seen.insert(d.id.as_str()) {
                return Err(IndexError::DuplicateInBatch(d.id.clone()));
            }
        }
        let mut txn = self.write()?;
        let answers = {
            let mut t = WriteTables::open(&txn)?;
            let mut existing = Vec::new();
            for (i, d) in docs.iter().enumerate() {
                if self.id_in(&t.ids, &t.recent(), d.id.as_str())?.is_some() {
                    existing.push(i);
                }
            }
            match (existing.first(), on_existing) {
                (None, _) => self.add_new_in(&mut t, docs)?,
                (Some(&i), OnExisting::Error) => {
                    return Err(IndexError::Exists(docs[i].id.clone()))
                }
                (Some(_), OnExisting::Skip) => {
                    let n = docs.len();
                    let mut skipped = Vec::new();
                    let mut new = Vec::new();
                    for (i, d) in docs.into_iter().enumerate() {
                        if existing.binary_search(&i).is_ok() {
                            skipped.push(d.id);
                        } else {
                            new.push(d);
                        }
                    }
                    let mut added = self.add_new_in(&mut t, new)?.into_iter();
                    let mut skipped = skipped.into_iter();
                    let mut answers = Vec::with_capacity(n);
                    for i in 0..n {
                        let answer = if existing.binary_search(&i).is_ok() {
                            skipped.next().map(|id| AddAnswer {
                                id,
                                duplicate_of: None,
                                jaccard: None,
                                kind: AnswerKind::Existing,
                            })
                        } else {
                            added.next()
                        };
                        answers.extend(answer);
                    }
                    answers
                }
                (Some(_), OnExisting::Replace) => {
                    self.add_one_by_one_in(&mut t, docs, on_existing)?
                }
            }
        };
        if !durable {
            txn.set_durability(redb::Durability::None)
                .map_err(redb::Error::from)?;
        }
        txn.commit()?;
        Ok(answers)
    }

    /// Make every earlier commit of this process durable: an empty transaction committed with
    /// immediate durability (redb persists the non-durable commits before it with it).
    fn persist(&self) -> Result<()> {
        self.write()?.commit()?;
        Ok(())
    }

    /// [`Index::add`] one document at a time, each written before the next is looked up: for
    /// batches that replace indexed documents, whose removal changes what later lookups meet.
    fn add_one_by_one_in(
        &self,
        t: &mut WriteTables<'_>,
        docs: Vec<NewDocument>,
        on_existing: OnExisting,
    ) -> Result<Vec<AddAnswer>> {
        Ok({
            let mut next = get_u64(t.meta.get(meta::NEXT_ORDINAL)?.as_ref().map(|v| v.value()))
                .ok_or_else(|| self.corrupt("no next ordinal"))?;
            let mut count = get_u64(t.meta.get(meta::DOCUMENTS)?.as_ref().map(|v| v.value()))
                .ok_or_else(|| self.corrupt("no document count"))?;
            let mut answers = Vec::with_capacity(docs.len());
            for doc in docs {
                let existing = self.id_in(&t.ids, &t.recent(), doc.id.as_str())?;
                if let Some(old) = existing {
                    match on_existing {
                        OnExisting::Error => return Err(IndexError::Exists(doc.id)),
                        OnExisting::Skip => {
                            answers.push(AddAnswer {
                                id: doc.id,
                                duplicate_of: None,
                                jaccard: None,
                                kind: AnswerKind::Existing,
                            });
                            continue;
                        }
                        OnExisting::Replace => {
                            self.remove_in(t, old)?;
                            count -= 1;
                        }
                    }
                }
                let d = next;
                next += 1;
                count += 1;
                let set = doc.set;
                let sets = &t.sets;
                let main = &t.postings;
                let recent = t.recent();
                let found = self.find(
                    &recent,
                    &|exact| self.members_in(&t.members, &recent, exact),
                    &|key, out| postings::plain_get(main, key, out),
                    &|c, _| self.set_at(sets, c),
                    &doc.sketch,
                    &set,
                    false,
                )?;
                let answer = self.answer_of(&t.docs, &found)?;
                if found.exact.is_empty() {
                    t.sets.insert(d, &encode_set(&set)[..])?;

                    for &(other, j) in &found.near {
                        t.edges.insert((d, other), j)?;
                        t.edges.insert((other, d), j)?;
                    }
                }
                // Its group entry and id are in the recent level: found from its record.
                let record = DocRecord {
                    id: doc.id.clone(),
                    exact: doc.sketch.exact,
                    tokens: doc.sketch.tokens.min(u32::MAX as usize) as u32,
                    bands: doc.sketch.bands,
                };
                t.docs.insert(d, &record.encode()[..])?;
                {
                    let mut state = self.filter.lock().unwrap_or_else(|e| e.into_inner());
                    self.filter_note(&mut state, &record.bands);
                }
                if found.exact.is_empty() {
                    t.delta.insert(d, ())?;
                }
                // After its record (and its delta entry): a hint built here reads them.
                let posted = found.exact.is_empty().then_some((d, &record.bands[..]));
                self.hint_extend(&t.recent(), posted, [(d, record.id.as_str(), record.exact)])?;
                if let Some(text) = &doc.text {
                    t.texts.insert(d, text.as_str())?;
                }
                for &g in &doc.anchors {
                    t.anchors.insert((g, d), ())?;
                }
                answers.push(AddAnswer {
                    id: doc.id,
                    duplicate_of: answer.duplicate_of,
                    jaccard: answer.jaccard,
                    kind: answer.kind,
                });
            }
            t.meta.insert(meta::NEXT_ORDINAL, &next.to_le_bytes()[..])?;
            t.meta.insert(meta::DOCUMENTS, &count.to_le_bytes()[..])?;
            answers
        })
    }

    /// Remove documents, in one transaction (all or nothing: an unknown id fails the whole call).
    pub fn remove(&self, ids: &[String]) -> Result<()> {
        let txn = self.write()?;
        {
            let mut t = WriteTables::open(&txn)?;
            let mut count = get_u64(t.meta.get(meta::DOCUMENTS)?.as_ref().map(|v| v.value()))
                .ok_or_else(|| self.corrupt("no document count"))?;
            for id in ids {
                let d = self
                    .id_in(&t.ids, &t.recent(), id.as_str())?
                    .ok_or_else(|| IndexError::NotFound(id.clone()))?;
                self.remove_in(&mut t, d)?;
                count -= 1;
            }
            t.meta.insert(meta::DOCUMENTS, &count.to_le_bytes()[..])?;
        }
        txn.commit()?;
        Ok(())
    }

    /// Remove document `d`. When it represents an exact group with other members, the next member
    /// takes over its postings and edges: it has the same shingles, so the graph is the one `dedup`
    /// would build without `d`.
    fn remove_in(&self, t: &mut WriteTables<'_>, d: u64) -> Result<()> {
        let record = self.record(&t.docs, d)?;
        // Before the record goes: the recent level finds its group through it.
        let members = self.members_in(&t.members, &t.recent(), record.exact)?;
        t.docs.remove(d)?;
        // A recent document has neither entry in the main tables (nothing is removed then).
        t.ids.remove(record.id.as_str())?;
        let text = t.texts.remove(d)?.map(|v| v.value().to_string());
        if let Some(text) = text {
            for g in self.anchors_of(&text) {
                t.anchors.remove((g, d))?;
            }
        }
        t.members.remove(record.exact, d)?;
        if members.first() != Some(&d) {
            return Ok(());
        }
        // The heir takes the level the representative was in.
        let in_delta = t.delta.remove(d)?.is_some();
        if !in_delta {
            for (band, &key) in record.bands.iter().enumerate() {
                t.postings.remove((band as u32, key, d))?;
            }
        }
        let neighbours = self.neighbours(&t.edges, d)?;
        for &(other, _) in &neighbours {
            t.edges.remove((d, other))?;
            t.edges.remove((other, d))?;
        }
        let set = t
            .sets
            .remove(d)?
            .map(|v| v.value().to_vec())
            .ok_or_else(|| self.corrupt(format!("no shingle set for document {d}")))?;
        if let Some(&heir) = members.get(1) {
            t.sets.insert(heir, &set[..])?;
            if in_delta {
                t.delta.insert(heir, ())?;
                self.hint_extend(&t.recent(), [(heir, &record.bands[..])], std::iter::empty())?;
            } else {
                for (band, &key) in record.bands.iter().enumerate() {
                    t.postings.insert((band as u32, key, heir), ())?;
                }
            }
            for &(other, j) in &neighbours {
                t.edges.insert((heir, other), j)?;
                t.edges.insert((other, heir), j)?;
            }
        }
        Ok(())
    }

    /// What adding `text` would answer, without adding it: matches against the committed state.
    /// `limit` bounds the matches listed (`None`: all).
    pub fn query(&self, text: &str, limit: Option<usize>) -> Result<QueryAnswer> {
        self.query_sketch(&self.sketcher.sketch(text), limit)
    }

    /// [`Index::query`] for a document already sketched with [`Index::sketcher`].
    pub fn query_sketch(&self, sketch: &DocSketch, limit: Option<usize>) -> Result<QueryAnswer> {
        let txn = self.read()?;
        let docs = txn.open_table(DOCUMENTS)?;
        let members = txn.open_multimap_table(EXACT_MEMBERS)?;
        let main = postings::ReadPostings::open(self, &txn)?;
        let sets = ReadSets::open(self, &txn)?;
        let m = txn.open_table(META)?;
        let delta = open_delta(&txn)?;
        let recent = delta::Recent::of(&m, delta.as_ref(), &docs)?;
        let found = self.find(
            &recent,
            &|exact| self.members_in(&members, &recent, exact),
            &|key, out| main.get(key, out),
            &|c, exact| sets.get(self, c, exact),
            sketch,
            &sketch.shingle_set(),
            true,
        )?;
        let answer = self.answer_of(&docs, &found)?;
        let total = found.exact.len() + found.near.len();
        let mut near = found.near.clone();
        near.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
        let mut matches = Vec::new();
        let wanted = limit.unwrap_or(usize::MAX);
        let exact = found
            .exact
            .iter()
            .map(|&d| (d, 1.0, crate::dedup::PairKind::Exact));
        let near = near
            .iter()
            .map(|&(d, j)| (d, j, crate::dedup::PairKind::Near));
        for (d, jaccard, kind) in exact.chain(near).take(wanted) {
            matches.push(Match {
                id: self.record(&docs, d)?.id,
                jaccard,
                kind,
            });
        }
        Ok(QueryAnswer {
            duplicate_of: answer.duplicate_of,
            jaccard: answer.jaccard,
            kind: answer.kind,
            matches,
            total_matches: total,
        })
    }

    /// Indexed documents sharing at least `min_shared` rare anchor n-grams with `text` (n-grams in
    /// more than `max_df` documents are stock phrases and count for nothing), as `reuse` finds its
    /// candidate pairs: `(id, shared)`, most shared first (insertion order on ties), at most `limit`.
    /// Empty when the index stores no anchors.
    pub fn reuse_candidates(
        &self,
        text: &str,
        min_shared: usize,
        max_df: usize,
        limit: usize,
    ) -> Result<Vec<(String, usize)>> {
        let grams = self.anchors_of(text);
        let txn = self.read()?;
        let anchors = match txn.open_table(ANCHORS) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut shared: std::collections::HashMap<u64, usize> = std::collections::HashMap::new();
        let mut holders = Vec::new();
        for g in grams {
            holders.clear();
            for entry in anchors.range((g, 0)..=(g, u64::MAX))? {
                holders.push(entry?.0.value().1);
                if holders.len() > max_df {
                    break;
                }
            }
            if holders.len() <= max_df {
                for &d in &holders {
                    *shared.entry(d).or_default() += 1;
                }
            }
        }
        let mut found: Vec<(u64, usize)> = shared
            .into_iter()
            .filter(|&(_, n)| n >= min_shared)
            .collect();
        found.sort_unstable_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
        found.truncate(limit);
        let docs = txn.open_table(DOCUMENTS)?;
        let mut out = Vec::with_capacity(found.len());
        for (d, n) in found {
            out.push((self.record(&docs, d)?.id, n));
        }
        Ok(out)
    }

    /// Earlier documents that share passages with `text` without being its exact or near
    /// duplicates (`matches` of its query, excluded): rare-anchor candidates as `reuse` finds them
    /// (its default anchor length, `min_shared_anchors` and `max_df`), aligned with their stored
    /// texts; those the alignment finds related are returned, best score first, at most `limit`.
    /// Needs an index created with `--store-text`.
    pub fn reuse(&self, text: &str, matches: &[Match], limit: usize) -> Result<Vec<ReuseMatch>> {
        if !self.params.store_text || self.params.anchor_ngram == 0 {
            return Err(IndexError::Invalid(
                "reuse needs an index created with --store-text (this one stores no texts or anchors)"
                    .into(),
            ));
        }
        let config = crate::reuse::ReuseConfig::default();
        let exclude: std::collections::HashSet<&str> =
            matches.iter().map(|m| m.id.as_str()).collect();
        let candidates = self.reuse_candidates(
            text,
            config.min_shared_anchors,
            config.max_df,
            limit.saturating_mul(4).saturating_add(exclude.len()),
        )?;
        let mut out = Vec::new();
        for (id, shared) in candidates {
            if exclude.contains(id.as_str()) {
                continue;
            }
            let Some(other) = self.text(&id)? else {
                continue;
            };
            let alignment = crate::align::align(text, &other, &config.align);
            if alignment.related {
                out.push(ReuseMatch {
                    id,
                    shared_anchors: shared,
                    alignment,
                });
            }
        }
        out.sort_by(|x, y| y.alignment.score.total_cmp(&x.alignment.score));
        out.truncate(limit);
        Ok(out)
    }

    /// The stored text of `id`, when the index stores texts.
    pub fn text(&self, id: &str) -> Result<Option<String>> {
        let txn = self.read()?;
        let Some(d) = self.lookup_id(&txn, id)? else {
            return Ok(None);
        };
        let texts = txn.open_table(TEXTS)?;
        let text = texts.get(d)?.map(|v| v.value().to_string());
        Ok(text)
    }

    /// Everything the index holds about `id`, or `None` if it is not indexed.
    pub fn get(&self, id: &str) -> Result<Option<DocumentInfo>> {
        let txn = self.read()?;
        let Some(d) = self.lookup_id(&txn, id)? else {
            return Ok(None);
        };
        let docs = txn.open_table(DOCUMENTS)?;
        let members = txn.open_multimap_table(EXACT_MEMBERS)?;
        let edges = txn.open_table(EDGES)?;
        let texts = txn.open_table(TEXTS)?;
        let record = self.record(&docs, d)?;
        let m = txn.open_table(META)?;
        let delta = open_delta(&txn)?;
        let recent = delta::Recent::of(&m, delta.as_ref(), &docs)?;
        let group = self.members_in(&members, &recent, record.exact)?;
        let first = *group
            .first()
            .ok_or_else(|| self.corrupt(format!("document {d} is in no exact group")))?;
        let exact_of = if first == d {
            None
        } else {
            Some(self.record(&docs, first)?.id)
        };
        let mut near = Vec::new();
        for (other, jaccard) in self.neighbours(&edges, first)? {
            near.push(Match {
                id: self.record(&docs, other)?.id,
                jaccard,
                kind: crate::dedup::PairKind::Near,
            });
        }
        Ok(Some(DocumentInfo {
            id: record.id,
            ordinal: d,
            exact: format!("{:032x}", record.exact),
            tokens: record.tokens,
            exact_of,
            near,
            text: texts.get(d)?.map(|v| v.value().to_string()),
        }))
    }

    /// Counts and sizes.
    pub fn stats(&self) -> Result<Stats> {
        let txn = self.read()?;
        let m = txn.open_table(META)?;
        let documents = get_u64(m.get(meta::DOCUMENTS)?.as_ref().map(|v| v.value()))
            .ok_or_else(|| self.corrupt("no document count"))?;
        let created_by = m
            .get(meta::CREATED_BY)?
            .map(|v| String::from_utf8_lossy(v.value()).into_owned())
            .unwrap_or_default();
        let format_version = m
            .get(meta::FORMAT_VERSION)?
            .and_then(|v| Some(u32::from_le_bytes(v.value().try_into().ok()?)))
            .ok_or_else(|| self.corrupt("no format version"))?;
        let delta_generation = delta::generation(&m)?;
        let delta = open_delta(&txn)?;
        let file_bytes = std::fs::metadata(self.dir.join(FILE_NAME))
            .map(|m| m.len())
            .unwrap_or(0);
        let mut tables = std::collections::BTreeMap::new();
        tables.insert("meta", m.stats()?.into());
        tables.insert("documents", txn.open_table(DOCUMENTS)?.stats()?.into());
        tables.insert("ids", txn.open_table(IDS)?.stats()?.into());
        tables.insert(
            "exact_members",
            txn.open_multimap_table(EXACT_MEMBERS)?.stats()?.into(),
        );
        let main = postings::ReadPostings::open(self, &txn)?;
        tables.insert("postings", main.stats()?.into());
        let sets = ReadSets::open(self, &txn)?;
        tables.insert(sets.name(), sets.stats()?.into());
        tables.insert("edges", txn.open_table(EDGES)?.stats()?.into());
        tables.insert("texts", txn.open_table(TEXTS)?.stats()?.into());
        match txn.open_table(ANCHORS) {
            Ok(t) => {
                tables.insert("anchors", t.stats()?.into());
            }
            Err(redb::TableError::TableDoesNotExist(_)) => {}
            Err(e) => return Err(e.into()),
        }
        if let Some(t) = &delta {
            tables.insert("delta", t.stats()?.into());
        }
        Ok(Stats {
            format_version,
            created_by,
            documents,
            exact_groups: sets.len()?,
            postings: main.len()?,
            delta_groups: match &delta {
                Some(t) => t.len()?,
                None => 0,
            },
            delta_generation,
            delta_limit_now: self.delta_limit(main.len()?),
            merge_failures: self.merge_failures(),
            near_pairs: txn.open_table(EDGES)?.len()? / 2,
            texts: txn.open_table(TEXTS)?.len()?,
            file_bytes,
            bytes_per_document: if documents == 0 {
                0.0
            } else {
                file_bytes as f64 / documents as f64
            },
            tables,
            parameters: self.params.clone(),
        })
    }

    /// The clusters and duplicate pairs of everything indexed, by the same functions `dedup` uses,
    /// over the documents in insertion order.
    pub fn clusters(&self) -> Result<Clusters> {
        let txn = self.read()?;
        let docs = txn.open_table(DOCUMENTS)?;
        let edges = txn.open_table(EDGES)?;
        let mut ordinals = Vec::new();
        let mut ids = Vec::new();
        let mut store = SketchStore::new(false);
        for entry in docs.iter()? {
            let (d, v) = entry?;
            let record = DocRecord::decode(v.value())
                .ok_or_else(|| self.corrupt(format!("unreadable document {}", d.value())))?;
            ordinals.push(d.value());
            ids.push(record.id);
            store.push(DocSketch {
                exact: record.exact,
                tokens: record.tokens as usize,
                ..DocSketch::default()
            });
        }
        let position = |d: u64| -> Result<u32> {
            ordinals
                .binary_search(&d)
                .map(|p| p as u32)
                .map_err(|_| self.corrupt(format!("edge to missing document {d}")))
        };
        let mut list = Vec::new();
        for entry in edges.iter()? {
            let (k, v) = entry?;
            let (a, b) = k.value();
            if a < b {
                list.push(Edge {
                    a: position(a)?,
                    b: position(b)?,
                    jaccard: v.value(),
                });
            }
        }
        let assignment = assign_clusters(&store, &list);
        let pairs = duplicate_pairs(&store, &list);
        Ok(Clusters {
            ids,
            assignment,
            pairs,
        })
    }

    /// Verify every invariant of the stored index (see [`CheckReport`]).
    pub fn check(&self) -> Result<CheckReport> {
        check::check(self)
    }

    fn record(&self, docs: &impl ReadableTable<u64, &'static [u8]>, d: u64) -> Result<DocRecord> {
        let v = docs
            .get(d)?
            .ok_or_else(|| self.corrupt(format!("missing document {d}")))?;
        DocRecord::decode(v.value()).ok_or_else(|| self.corrupt(format!("unreadable document {d}")))
    }

    fn members(
        &self,
        members: &impl ReadableMultimapTable<u128, u64>,
        exact: u128,
    ) -> Result<Vec<u64>> {
        let mut out = Vec::new();
        for v in members.get(exact)? {
            out.push(v?.value());
        }
        Ok(out)
    }

    /// The whole exact group `exact` of a snapshot, ascending: the main level's members (all
    /// below `recent_from`), then the recent level's.
    fn members_in<D, T>(
        &self,
        main: &impl ReadableMultimapTable<u128, u64>,
        recent: &delta::Recent<'_, D, T>,
        exact: u128,
    ) -> Result<Vec<u64>>
    where
        D: ReadableTable<u64, ()>,
        T: ReadableTable<u64, &'static [u8]>,
    {
        let mut out = self.members(main, exact)?;
        out.extend(self.recent_members(recent, exact)?);
        Ok(out)
    }

    /// The ordinal of `id` in a snapshot: in the main level's `ids`, else among its recent
    /// documents.
    fn id_in<D, T>(
        &self,
        ids: &impl ReadableTable<&'static str, u64>,
        recent: &delta::Recent<'_, D, T>,
        id: &str,
    ) -> Result<Option<u64>>
    where
        D: ReadableTable<u64, ()>,
        T: ReadableTable<u64, &'static [u8]>,
    {
        if let Some(v) = ids.get(id)? {
            return Ok(Some(v.value()));
        }
        self.recent_id(recent, id)
    }

    /// [`Index::id_in`] in a read snapshot.
    fn lookup_id(&self, txn: &ReadTransaction, id: &str) -> Result<Option<u64>> {
        let ids = txn.open_table(IDS)?;
        let docs = txn.open_table(DOCUMENTS)?;
        let m = txn.open_table(META)?;
        let delta = open_delta(txn)?;
        let recent = delta::Recent::of(&m, delta.as_ref(), &docs)?;
        self.id_in(&ids, &recent, id)
    }

    fn neighbours(
        &self,
        edges: &impl ReadableTable<(u64, u64), f64>,
        d: u64,
    ) -> Result<Vec<(u64, f64)>> {
        let mut out = Vec::new();
        for entry in edges.range((d, 0)..=(d, u64::MAX))? {
            let (k, v) = entry?;
            out.push((k.value().1, v.value()));
        }
        Ok(out)
    }

    /// The shingle set of group representative `d` (format 3).
    fn set_at(&self, sets: &impl ReadableTable<u64, &'static [u8]>, d: u64) -> Result<Vec<u64>> {
        let v = sets
            .get(d)?
            .ok_or_else(|| self.corrupt(format!("no shingle set for document {d}")))?;
        decode_set(v.value()).ok_or_else(|| self.corrupt("unreadable shingle set"))
    }

    /// The exact group of `sketch` and the verified near-duplicate group representatives, as `dedup`
    /// finds them: candidates share a band key, and pass when their true Jaccard reaches the
    /// threshold. An exact copy's near matches are its group's, so `add` skips them (`near_of_copies`
    /// false), as `dedup` compares only each group's first document.
    #[allow(clippy::too_many_arguments)]
    fn find<D, T>(
        &self,
        recent: &delta::Recent<'_, D, T>,
        members: &dyn Fn(u128) -> Result<Vec<u64>>,
        postings: &PostingsOf<'_>,
        set_of: &dyn Fn(u64, u128) -> Result<Vec<u64>>,
        sketch: &DocSketch,
        set: &[u64],
        near_of_copies: bool,
    ) -> Result<Found>
    where
        D: ReadableTable<u64, ()>,
        T: ReadableTable<u64, &'static [u8]>,
    {
        let docs = recent.docs;
        let exact = members(sketch.exact)?;
        if !exact.is_empty() && !near_of_copies {
            return Ok(Found {
                exact,
                near: Vec::new(),
            });
        }
        let mut candidates = Vec::new();
        let keys: Vec<(u32, u64)> = sketch
            .bands
            .iter()
            .enumerate()
            .map(|(band, &key)| (band as u32, key))
            .collect();
        for &key in &keys {
            postings(key, &mut candidates)?;
        }
        for (_, d) in self.delta_postings(recent, &keys)? {
            candidates.push(d);
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut near = Vec::new();
        for c in candidates {
            let record = self.record(docs, c)?;
            if record.exact == sketch.exact {
                continue;
            }
            let j = jaccard(set, &set_of(c, record.exact)?);
            if j >= self.params.config.threshold {
                near.push((c, j));
            }
        }
        Ok(Found { exact, near })
    }

    fn answer_of(
        &self,
        docs: &impl ReadableTable<u64, &'static [u8]>,
        found: &Found,
    ) -> Result<Answer> {
        if let Some(&first) = found.exact.first() {
            return Ok(Answer {
                duplicate_of: Some(self.record(docs, first)?.id),
                jaccard: Some(1.0),
                kind: AnswerKind::Exact,
            });
        }
        let best = found
            .near
            .iter()
            .copied()
            .reduce(|x, y| if y.1 > x.1 { y } else { x });
        match best {
            Some((d, j)) => Ok(Answer {
                duplicate_of: Some(self.record(docs, d)?.id),
                jaccard: Some(j),
                kind: AnswerKind::Near,
            }),
            None => Ok(Answer {
                duplicate_of: None,
                jaccard: None,
                kind: AnswerKind::Unique,
            }),
        }
    }
}

/// The main level's postings under a band key, appended to the vector (see [`postings`]).
type PostingsOf<'a> = dyn Fn((u32, u64), &mut Vec<u64>) -> Result<()> + 'a;

/// Lookup result: the exact group (insertion order) and verified near matches `(ordinal, jaccard)`
/// in ordinal order.
#[derive(Clone, Debug, Default)]
struct Found {
    exact: Vec<u64>,
    near: Vec<(u64, f64)>,
}

struct Answer {
    duplicate_of: Option<String>,
    jaccard: Option<f64>,
    kind: AnswerKind,
}

struct WriteTables<'txn> {
    meta: Table<'txn, &'static str, &'static [u8]>,
    docs: Table<'txn, u64, &'static [u8]>,
    ids: Table<'txn, &'static str, u64>,
    members: MultimapTable<'txn, u128, u64>,
    /// The main level of postings (format 4: files are migrated when opened for writing).
    postings: Table<'txn, (u32, u64, u64), ()>,
    sets: Table<'txn, u64, &'static [u8]>,
    edges: Table<'txn, (u64, u64), f64>,
    texts: Table<'txn, u64, &'static str>,
    /// Created on first write in format-1 indexes made before anchors existed.
    anchors: Table<'txn, (u64, u64), ()>,
    delta: Table<'txn, u64, ()>,
    /// The delta generation of the transaction's snapshot (only a merge changes it).
    generation: u64,
    /// Its first recent document (only a merge changes it).
    recent_from: u64,
}

impl<'txn> WriteTables<'txn> {
    /// The recent level as this transaction sees it.
    fn recent(&self) -> delta::Recent<'_, Table<'txn, u64, ()>, Table<'txn, u64, &'static [u8]>> {
        delta::Recent {
            generation: self.generation,
            from: self.recent_from,
            delta: Some(&self.delta),
            docs: &self.docs,
        }
    }

    fn open(txn: &'txn WriteTransaction) -> Result<Self> {
        let meta = txn.open_table(META)?;
        let generation = delta::generation(&meta)?;
        let recent_from = delta::recent_from(&meta)?;
        Ok(WriteTables {
            meta,
            generation,
            recent_from,
            delta: txn.open_table(DELTA)?,
            docs: txn.open_table(DOCUMENTS)?,
            ids: txn.open_table(IDS)?,
            members: txn.open_multimap_table(EXACT_MEMBERS)?,
            postings: txn.open_table(BAND_POSTINGS)?,
            sets: txn.open_table(SETS)?,
            edges: txn.open_table(EDGES)?,
            texts: txn.open_table(TEXTS)?,
            anchors: txn.open_table(ANCHORS)?,
        })
    }
}

/// The shingle sets of a read snapshot, where its format keeps them.
enum ReadSets {
    /// Format 3: by group representative.
    ByOrdinal(redb::ReadOnlyTable<u64, &'static [u8]>),
    /// Formats 1 and 2, opened read-only (as they are): by exact key.
    ByExact(redb::ReadOnlyTable<u128, &'static [u8]>),
}

impl ReadSets {
    fn open(index: &Index, txn: &ReadTransaction) -> Result<ReadSets> {
        Ok(if index.layout >= SETS_FORMAT {
            ReadSets::ByOrdinal(txn.open_table(SETS)?)
        } else {
            ReadSets::ByExact(txn.open_table(SHINGLES)?)
        })
    }

    /// The stored set of representative `d` of exact group `exact`: `None` when there is none,
    /// `Some(None)` when it is unreadable.
    fn lookup(&self, d: u64, exact: u128) -> Result<Option<Option<Vec<u64>>>> {
        Ok(match self {
            ReadSets::ByOrdinal(t) => t.get(d)?.map(|v| decode_set(v.value())),
            ReadSets::ByExact(t) => t.get(exact)?.map(|v| decode_set(v.value())),
        })
    }

    fn get(&self, index: &Index, d: u64, exact: u128) -> Result<Vec<u64>> {
        match self.lookup(d, exact)? {
            Some(Some(set)) => Ok(set),
            Some(None) => Err(index.corrupt("unreadable shingle set")),
            None => Err(index.corrupt(format!("no shingle set for document {d}"))),
        }
    }

    fn len(&self) -> Result<u64> {
        Ok(match self {
            ReadSets::ByOrdinal(t) => t.len()?,
            ReadSets::ByExact(t) => t.len()?,
        })
    }

    fn stats(&self) -> Result<redb::TableStats> {
        Ok(match self {
            ReadSets::ByOrdinal(t) => t.stats()?,
            ReadSets::ByExact(t) => t.stats()?,
        })
    }

    /// The table's name in the file.
    fn name(&self) -> &'static str {
        match self {
            ReadSets::ByOrdinal(_) => "sets",
            ReadSets::ByExact(_) => "shingles",
        }
    }
}

/// The delta table of a read snapshot; `None` in a format-1 file opened read-only (no delta).
fn open_delta(txn: &ReadTransaction) -> Result<Option<redb::ReadOnlyTable<u64, ()>>> {
    match txn.open_table(DELTA) {
        Ok(t) => Ok(Some(t)),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Batches at most that [`add_corpus`] commits in one group (the last of them durably).
const MAX_GROUP: usize = 8;

/// Batches that may wait for the writer of [`add_corpus`] beyond the one it holds.
const QUEUED_BATCHES: usize = 4;

/// Add the documents of `input` (read, parsed and sketched as `dedup` does, with its bad-record
/// policy), committing every `batch_size` documents (0: all in one transaction). `committed` gets
/// the answers of the batches after their durable commit, in input order (the batches of one
/// group commit together, see below).
///
/// Pipelined on two threads: the batches are looked up, written and committed on a writer thread
/// (then handed to `committed`, then the recent level merged when due), while this thread reads,
/// parses and sketches the next ones. Sketching depends on nothing indexed, and the writer takes
/// the batches one by one in input order, so the answers and the committed states are those of
/// doing it all on one thread. Group commit: when the next batch is already waiting as the writer
/// commits one, that commit is not durable (redb keeps its pages in memory and the next
/// transaction sees it); the last batch of a group (none waiting, or [`MAX_GROUP`] reached) is
/// committed durably, which persists the whole group, and only then are the group's answers handed
/// to `committed`. So a batch is still answered only after a durable commit that holds it (a
/// kill before it loses only batches nobody was answered for), and the group's fsyncs and page
/// rewrites are paid once (bench/RESULTS.md 6.8). When either side fails, the batches already
/// handed over are finished (as they were committed before the failing point when run in turn);
/// when a batch of a group fails, its own transaction is dropped, the group's earlier batches are
/// made durable and answered, and nothing after it is committed; the first error in input order is
/// returned. Memory: at most [`QUEUED_BATCHES`] + 2 batches of sketches beyond the one being filled
/// (waiting, held, being written), and the pages of one group in redb's write buffer.
pub fn add_corpus(
    index: &Index,
    input: &CorpusInput,
    on_existing: OnExisting,
    batch_size: usize,
    progress: &dyn Progress,
    mut committed: impl FnMut(&[AddAnswer]) -> Result<()> + Send,
) -> Result<AddReport> {
    let mut reader = input.open()?;
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<NewDocument>>(QUEUED_BATCHES);
        let writer = scope.spawn(move || -> Result<AddReport> {
            write_batches(
                index,
                on_existing,
                |wait| {
                    if wait {
                        rx.recv().ok()
                    } else {
                        rx.try_recv().ok()
                    }
                },
                &mut committed,
            )
        });
        let mut pending: Vec<NewDocument> = Vec::new();
        let skipped = ingest(
            &mut reader,
            &input.fields,
            input.on_error,
            progress,
            |text| index.prepare(String::new(), text),
            |doc| {
                let mut new = doc.value;
                new.id = doc.id;
                pending.push(new);
                if batch_size > 0 && pending.len() >= batch_size {
                    // Refused only when the writer stopped: its error is returned when it is joined.
                    if tx.send(std::mem::take(&mut pending)).is_err() {
                        return Err(crate::Error::Config("index batch failed".into()));
                    }
                }
                Ok(())
            },
        );
        // The last, partial batch goes in only when the whole input was read without error, as
        // when the batches were run in turn.
        if skipped.is_ok() && !pending.is_empty() {
            // A refusal means the writer failed; its error is returned below.
            let _ = tx.send(std::mem::take(&mut pending));
        }
        drop(tx);
        let written = writer
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        // A writer's error is of a batch handed over before any failing record was reached.
        let mut report = written?;
        report.skipped = skipped?;
        Ok(report)
    })
}

/// The writer of [`add_corpus`]: commits the batches `next` gives (`next(true)` waits for one,
/// `next(false)` takes one only if it is already there; `None`: no more), in groups, and hands each
/// group's answers to `committed` after the group's durable commit, then merges the recent level
/// when due.
fn write_batches(
    index: &Index,
    on_existing: OnExisting,
    mut next: impl FnMut(bool) -> Option<Vec<NewDocument>>,
    committed: &mut dyn FnMut(&[AddAnswer]) -> Result<()>,
) -> Result<AddReport> {
    let mut report = AddReport::default();
    // The answers of the group's batches committed so far, not yet durable.
    let mut waiting: Vec<AddAnswer> = Vec::new();
    let mut grouped = 0usize;
    let mut ahead = next(true);
    while let Some(batch) = ahead.take() {
        ahead = next(false);
        let durable = ahead.is_none() || grouped + 1 >= MAX_GROUP;
        let answers = match index.add_batch_with(batch, on_existing, durable) {
            Ok(answers) => answers,
            Err(e) => {
                // This batch's transaction was dropped; the group's earlier batches were
                // committed, so they are kept and answered, as when each commit was durable.
                if grouped > 0 {
                    index.persist()?;
                    committed(&waiting)?;
                }
                return Err(e);
            }
        };
        report.batches += 1;
        for a in &answers {
            if a.kind == AnswerKind::Existing {
                report.existing += 1;
            } else {
                report.added += 1;
            }
        }
        waiting.extend(answers);
        grouped += 1;
        if durable {
            committed(&waiting)?;
            waiting.clear();
            grouped = 0;
            // After the answers: the merge is its own transaction (see [`Index::add`]).
            index.merge_after_commit();
            if ahead.is_none() {
                ahead = next(true);
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests;
