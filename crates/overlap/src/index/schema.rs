//! The on-disk layout of an index: one redb file, its tables, the format version, and the byte
//! encodings of the values that are not plain integers.
//!
//! Per document (ordinal `d`, assigned in insertion order and never reused):
//! - `documents[d]`: id, exact key, token count and band keys (see [`DocRecord`]);
//! - `ids[id] = d` and `exact_members[exact] ∋ d` (the exact-duplicate group; its first, smallest,
//!   member represents it), for the documents of the main level, `d < meta.recent_from`; the
//!   recent ones are found by the keys of their records (see [`super::delta`]);
//! - for the representative of an exact group only (its copies are never compared, as in `dedup`):
//!   its band postings, in one of two levels (see [`super::delta`]): either `band_postings[(band,
//!   key, d)]` for each band (the main level; `postings[(band, key)] ∋ d`, a multimap, before
//!   format 4), or `delta[d]` (the recent level: its band keys are those of
//!   `documents[d]`); and `sets[d]`, the sorted distinct shingle hashes that verification compares
//!   (keyed by the representative's ordinal, so that a batch appends them; removing the
//!   representative moves them to the next member of its group);
//! - `edges[(a, b)] = jaccard` (both directions) for each verified near-duplicate pair of group
//!   representatives: the graph the clusters are computed from;
//! - `texts[d]`, the original text, and `anchors[(gram, d)]` for each distinct anchor word n-gram
//!   (as `reuse` hashes them), with `--store-text`.
//!
//! `meta` holds the format version, the parameters and the counters.

use redb::{MultimapTableDefinition, TableDefinition};

/// The layout version this build writes and reads. Bump it on any change of the tables or
/// encodings, keep a fixture of the old format under `crates/overlap-cli/tests/fixtures/`, and teach
/// [`super::Index::open`] to read or migrate it.
///
/// - 1: one level of band postings (`postings` only).
/// - 2: two levels: `postings` plus `delta` and `meta.delta_generation`. A format-1 file is read as
///   a format-2 file with an empty delta.
/// - 3: shingle sets in `sets`, keyed by the group representative's ordinal, in place of
///   `shingles` keyed by the exact key (random keys: a batch dirtied pages all over that table). A
///   format-1 or 2 file opened read-only is read as it is (its `shingles` table); opened for writing,
///   it is migrated in one transaction (the delta created, the sets re-keyed, the version set).
/// - 4: the main level of band postings in `band_postings`, a plain table keyed `(band, key,
///   ordinal)`, in place of the multimap `postings` keyed `(band, key)`: a merge writes each
///   posting with one B-tree insert instead of a multimap's lookup and insert (bench/RESULTS.md
///   6.7). Older files opened read-only are read as they are; opened for writing, they are migrated
///   in one transaction (the postings copied in key order, the multimap deleted).
/// - 5: the ids and exact-group entries of the recent documents (ordinals from
///   `meta.recent_from` on) are not in `ids` and `exact_members` but found through the in-memory
///   hint of the recent level (from their `documents` records), and folded into those tables, in
///   key order, by the merges: a batch no longer dirties pages all over two tables of random keys
///   (bench/RESULTS.md 6.7). A file of format 4 or older opened read-only has no recent
///   documents; opened for writing, it is migrated (`recent_from` set to the next ordinal).
pub const FORMAT_VERSION: u32 = 5;

/// The first format whose shingle sets are in [`SETS`].
pub const SETS_FORMAT: u32 = 3;

/// The first format whose main level of postings is [`BAND_POSTINGS`].
pub const PLAIN_POSTINGS_FORMAT: u32 = 4;

/// The first format with recent documents (`meta.recent_from`).
pub const RECENT_DOCUMENTS_FORMAT: u32 = 5;

/// The oldest layout version this build reads.
pub const OLDEST_FORMAT_VERSION: u32 = 1;

/// The file inside the index folder.
pub const FILE_NAME: &str = "index.redb";

pub const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
pub const DOCUMENTS: TableDefinition<u64, &[u8]> = TableDefinition::new("documents");
pub const IDS: TableDefinition<&str, u64> = TableDefinition::new("ids");
pub const EXACT_MEMBERS: MultimapTableDefinition<u128, u64> =
    MultimapTableDefinition::new("exact_members");
/// Formats 1 to 3: the main level of band postings (read as they are, migrated to
/// [`BAND_POSTINGS`]).
pub const POSTINGS: MultimapTableDefinition<(u32, u64), u64> =
    MultimapTableDefinition::new("postings");
/// Format 4: the main level of band postings, one entry `(band, key, ordinal)` per posting, so the
/// ordinals under a band key come out sorted.
pub const BAND_POSTINGS: TableDefinition<(u32, u64, u64), ()> =
    TableDefinition::new("band_postings");
/// Formats 1 and 2: the shingle sets by exact key (read as they are, migrated to [`SETS`]).
pub const SHINGLES: TableDefinition<u128, &[u8]> = TableDefinition::new("shingles");
/// Format 3: the shingle set of each exact group, keyed by its representative's ordinal.
pub const SETS: TableDefinition<u64, &[u8]> = TableDefinition::new("sets");
pub const EDGES: TableDefinition<(u64, u64), f64> = TableDefinition::new("edges");
pub const TEXTS: TableDefinition<u64, &str> = TableDefinition::new("texts");
/// The recent level of band postings: the ordinals of the group representatives whose band keys
/// are not (yet) in `postings`. Keys grow with the ordinals, so appending a batch touches the last
/// pages only.
pub const DELTA: TableDefinition<u64, ()> = TableDefinition::new("delta");
/// `(anchor n-gram, document)`, for each distinct anchor n-gram of each document, with
/// `--store-text`: the rare-anchor candidates of `query --reuse`, as `reuse` finds them.
pub const ANCHORS: TableDefinition<(u64, u64), ()> = TableDefinition::new("anchors");

/// Keys of the `meta` table.
pub mod meta {
    /// `u32` little-endian: [`super::FORMAT_VERSION`] of the writer.
    pub const FORMAT_VERSION: &str = "format_version";
    /// JSON of [`crate::index::IndexParameters`].
    pub const PARAMETERS: &str = "parameters";
    /// `u64` LE: the next ordinal to assign.
    pub const NEXT_ORDINAL: &str = "next_ordinal";
    /// `u64` LE: documents in the index.
    pub const DOCUMENTS: &str = "documents";
    /// UTF-8: the overlap version that created the index.
    pub const CREATED_BY: &str = "created_by";
    /// `u64` LE: how many times the delta has been merged into `postings` (absent: 0).
    pub const DELTA_GENERATION: &str = "delta_generation";
    /// `u64` LE (format 5): the first ordinal whose id and exact-group entry are in the recent
    /// level, not in `ids` and `exact_members` (absent: none are).
    pub const RECENT_FROM: &str = "recent_from";
}

/// What `documents[d]` holds. Encoded as `exact (16 bytes LE) | tokens (u32 LE) | band count (u16
/// LE) | band keys (u64 LE each) | id (UTF-8, the rest)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocRecord {
    /// The document's id.
    pub id: String,
    /// 128-bit hash of its normalized text.
    pub exact: u128,
    /// Number of word tokens.
    pub tokens: u32,
    /// One LSH key per band.
    pub bands: Vec<u64>,
}

impl DocRecord {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(22 + 8 * self.bands.len() + self.id.len());
        out.extend_from_slice(&self.exact.to_le_bytes());
        out.extend_from_slice(&self.tokens.to_le_bytes());
        out.extend_from_slice(&(self.bands.len() as u16).to_le_bytes());
        for b in &self.bands {
            out.extend_from_slice(&b.to_le_bytes());
        }
        out.extend_from_slice(self.id.as_bytes());
        out
    }

    /// `None` when the bytes are not a record of this format.
    pub fn decode(bytes: &[u8]) -> Option<DocRecord> {
        let exact = u128::from_le_bytes(bytes.get(0..16)?.try_into().ok()?);
        let tokens = u32::from_le_bytes(bytes.get(16..20)?.try_into().ok()?);
        let n = u16::from_le_bytes(bytes.get(20..22)?.try_into().ok()?) as usize;
        let end = 22 + 8 * n;
        let bands = bytes
            .get(22..end)?
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
            .collect();
        let id = std::str::from_utf8(bytes.get(end..)?).ok()?.to_string();
        Some(DocRecord {
            id,
            exact,
            tokens,
            bands,
        })
    }
}

/// A sorted shingle set as stored: `u64` LE each.
pub fn encode_set(set: &[u64]) -> Vec<u8> {
    set.iter().flat_map(|h| h.to_le_bytes()).collect()
}

/// The inverse of [`encode_set`]; `None` when the length is not a multiple of 8.
pub fn decode_set(bytes: &[u8]) -> Option<Vec<u64>> {
    if !bytes.len().is_multiple_of(8) {
        return None;
    }
    Some(
        bytes
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        let r = DocRecord {
            id: "doc é 1".into(),
            exact: u128::MAX - 7,
            tokens: 42,
            bands: vec![1, u64::MAX, 3],
        };
        assert_eq!(DocRecord::decode(&r.encode()), Some(r));
        assert_eq!(DocRecord::decode(&[1, 2, 3]), None);
        let set = vec![1, 5, u64::MAX];
        assert_eq!(decode_set(&encode_set(&set)), Some(set));
        assert_eq!(decode_set(&[0; 7]), None);
    }
}
