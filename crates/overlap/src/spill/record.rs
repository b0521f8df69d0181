//! Fixed-width records: the one key layout shared by spill runs, the index's postings and the Spark
//! job's shuffle.
//!
//! Every record is encoded big-endian, field after field, so that comparing two encodings byte by
//! byte (what a B-tree such as redb, or a binary sort column, does) gives the same order as comparing
//! the records: sorted runs on disk, index tables and Spark partitions sort alike.
//!
//! | record | width | layout |
//! |---|---|---|
//! | [`KeyDoc`] `(key, doc)` | 12 bytes | `key: u64 BE` then `doc: u32 BE` (a band key or anchor hash, then the document number in input order) |
//! | `u64` (a pair `a << 32 \| b`, `a < b`) | 8 bytes | `u64 BE` |
//! | `(u32, u32)` (a pair, or a document and a count) | 8 bytes | `u32 BE` then `u32 BE` |
//! | `(u64, u32, u32)` (a key and two numbers: `reuse --semantic`'s word pair, document and sentence, or pair and two sentences) | 16 bytes | `u64 BE`, `u32 BE`, `u32 BE` |

/// A `(key, document)` entry: a hash key (LSH band key, anchor n-gram) and a document number.
pub type KeyDoc = (u64, u32);

/// A value that sorts and has a fixed-width, order-preserving binary encoding.
pub trait Record: Copy + Ord + Send + Sync + 'static {
    /// Bytes per record on disk.
    const WIDTH: usize;
    /// Write the record into `out` (exactly `WIDTH` bytes).
    fn encode(&self, out: &mut [u8]);
    /// Read a record from `bytes` (exactly `WIDTH` bytes).
    fn decode(bytes: &[u8]) -> Self;
}

impl Record for u64 {
    const WIDTH: usize = 8;
    fn encode(&self, out: &mut [u8]) {
        out.copy_from_slice(&self.to_be_bytes());
    }
    fn decode(bytes: &[u8]) -> Self {
        u64::from_be_bytes(bytes.try_into().expect("8 bytes"))
    }
}

impl Record for (u64, u32) {
    const WIDTH: usize = 12;
    fn encode(&self, out: &mut [u8]) {
        out[..8].copy_from_slice(&self.0.to_be_bytes());
        out[8..].copy_from_slice(&self.1.to_be_bytes());
    }
    fn decode(bytes: &[u8]) -> Self {
        (
            u64::from_be_bytes(bytes[..8].try_into().expect("8 bytes")),
            u32::from_be_bytes(bytes[8..].try_into().expect("4 bytes")),
        )
    }
}

impl Record for (u32, u32) {
    const WIDTH: usize = 8;
    fn encode(&self, out: &mut [u8]) {
        out[..4].copy_from_slice(&self.0.to_be_bytes());
        out[4..].copy_from_slice(&self.1.to_be_bytes());
    }
    fn decode(bytes: &[u8]) -> Self {
        (
            u32::from_be_bytes(bytes[..4].try_into().expect("4 bytes")),
            u32::from_be_bytes(bytes[4..].try_into().expect("4 bytes")),
        )
    }
}

impl Record for (u64, u32, u32) {
    const WIDTH: usize = 16;
    fn encode(&self, out: &mut [u8]) {
        out[..8].copy_from_slice(&self.0.to_be_bytes());
        out[8..12].copy_from_slice(&self.1.to_be_bytes());
        out[12..].copy_from_slice(&self.2.to_be_bytes());
    }
    fn decode(bytes: &[u8]) -> Self {
        (
            u64::from_be_bytes(bytes[..8].try_into().expect("8 bytes")),
            u32::from_be_bytes(bytes[8..12].try_into().expect("4 bytes")),
            u32::from_be_bytes(bytes[12..].try_into().expect("4 bytes")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn bytes<R: Record>(r: R) -> Vec<u8> {
        let mut b = vec![0; R::WIDTH];
        r.encode(&mut b);
        b
    }

    proptest! {
        #[test]
        fn encodings_round_trip_and_sort_like_the_records(
            a in any::<(u64, u32)>(), b in any::<(u64, u32)>(), x in any::<u64>(), y in any::<u64>(),
            t in any::<(u64, u32, u32)>(), u in any::<(u64, u32, u32)>()
        ) {
            prop_assert_eq!(<(u64, u32, u32)>::decode(&bytes(t)), t);
            prop_assert_eq!(bytes(t).cmp(&bytes(u)), t.cmp(&u));
            // Equal keys: the numbers decide.
            let v = (t.0, u.1, u.2);
            prop_assert_eq!(bytes(t).cmp(&bytes(v)), t.cmp(&v));
            prop_assert_eq!(KeyDoc::decode(&bytes(a)), a);
            prop_assert_eq!(bytes(a).cmp(&bytes(b)), a.cmp(&b));
            prop_assert_eq!(u64::decode(&bytes(x)), x);
            prop_assert_eq!(bytes(x).cmp(&bytes(y)), x.cmp(&y));
            let (p, q) = ((a.1, b.1), (b.1, a.1));
            prop_assert_eq!(bytes(p).cmp(&bytes(q)), p.cmp(&q));
        }
    }
}
