//! The main level of band postings, in whichever table the file's format keeps it: the plain
//! `band_postings` table keyed `(band, key, ordinal)` (format 4), or the multimap `postings` keyed
//! `(band, key)` of formats 1 to 3, read as it is when such a file is opened read-only.
//!
//! Why a plain table: merges of the recent level insert every posting into the main level once,
//! in key order, and a multimap insert is a lookup of the key's collection and then an insert of
//! the rebuilt one (19% of the ingest CPU at 300k, bench/RESULTS.md 6.6); a plain table takes one
//! B-tree insert per posting. A band key holds one posting nearly always, so nothing is lost by
//! not sharing the key.
//!
//! Memory: nothing beyond the postings of the keys asked for.

use super::schema::{BAND_POSTINGS, PLAIN_POSTINGS_FORMAT, POSTINGS};
use super::{Index, Result};
use redb::{ReadTransaction, ReadableMultimapTable, ReadableTable, ReadableTableMetadata};

/// The ordinals posted under `(band, key)` in a format-4 table, ascending, appended to `out`.
pub(super) fn plain_get(
    table: &impl ReadableTable<(u32, u64, u64), ()>,
    (band, key): (u32, u64),
    out: &mut Vec<u64>,
) -> Result<()> {
    for entry in table.range((band, key, 0)..=(band, key, u64::MAX))? {
        out.push(entry?.0.value().2);
    }
    Ok(())
}

/// The main level of a read snapshot.
pub(super) enum ReadPostings {
    /// Format 4.
    Plain(redb::ReadOnlyTable<(u32, u64, u64), ()>),
    /// Formats 1 to 3, opened read-only.
    Multi(redb::ReadOnlyMultimapTable<(u32, u64), u64>),
}

impl ReadPostings {
    pub(super) fn open(index: &Index, txn: &ReadTransaction) -> Result<ReadPostings> {
        Ok(if index.layout >= PLAIN_POSTINGS_FORMAT {
            ReadPostings::Plain(txn.open_table(BAND_POSTINGS)?)
        } else {
            ReadPostings::Multi(txn.open_multimap_table(POSTINGS)?)
        })
    }

    /// The ordinals posted under `key`, ascending, appended to `out`.
    pub(super) fn get(&self, key: (u32, u64), out: &mut Vec<u64>) -> Result<()> {
        match self {
            ReadPostings::Plain(t) => plain_get(t, key, out)?,
            ReadPostings::Multi(t) => {
                for v in t.get(key)? {
                    out.push(v?.value());
                }
            }
        }
        Ok(())
    }

    /// Postings in the main level.
    pub(super) fn len(&self) -> Result<u64> {
        Ok(match self {
            ReadPostings::Plain(t) => t.len()?,
            ReadPostings::Multi(t) => t.len()?,
        })
    }

    pub(super) fn stats(&self) -> Result<redb::TableStats> {
        Ok(match self {
            ReadPostings::Plain(t) => t.stats()?,
            ReadPostings::Multi(t) => t.stats()?,
        })
    }

    /// Every posting `((band, key), ordinal)` in the table's order: by key, then as stored under it
    /// (ascending in a sound file).
    pub(super) fn for_each(&self, mut f: impl FnMut((u32, u64), u64)) -> Result<()> {
        match self {
            ReadPostings::Plain(t) => {
                for entry in t.iter()? {
                    let (band, key, d) = entry?.0.value();
                    f((band, key), d);
                }
            }
            ReadPostings::Multi(t) => {
                for entry in t.iter()? {
                    let (k, values) = entry?;
                    let key = k.value();
                    for v in values {
                        f(key, v?.value());
                    }
                }
            }
        }
        Ok(())
    }
}
