//! What one LSH bucket (the documents sharing one band key) turns into: the candidate work that
//! verification does for it.
//!
//! A bucket of `m` documents holds `m (m - 1) / 2` pairs. Buckets of a normal corpus are small
//! (Reuters-21578's largest holds 5 documents, BBC News's 2), and up to [`ALL_PAIRS_LIMIT`]
//! documents every pair is a candidate, as plain LSH has it. Crawls hold template clusters (calendar
//! pages, product pages, one page in 100,000 variants) whose members share nearly every band key, so
//! one bucket holds them all: 100,000 documents would be 5 billion pairs per band. A bucket larger
//! than the limit therefore gives only
//!
//! - every pair among its first [`REPRESENTATIVES`] members (in input order), and
//! - for each later member, a *first-match group*: the member and those representatives, which
//!   verification tries in input order, linking the member to the first it verifies against
//!   (see [`super::linking`]).
//!
//! So a large bucket costs `O(m R)` candidates and at most one edge per member, whatever `m`. What
//! is given up: a large-bucket member that matches none of the representatives is not compared with
//! the other members of that bucket (it may still be linked through its other bands); such members
//! are counted in `summary.json` (`pairs.unmatched_members`).
//!
//! Everything here depends only on the bucket's members, so the work is the same for any thread
//! count and for any way the band entries were sorted (in memory or in runs on disk).
//!
//! Memory: nothing beyond the output vectors: 8 bytes per candidate pair or group entry.

/// Buckets of at most this many documents give all their pairs.
pub const ALL_PAIRS_LIMIT: usize = 64;

/// A larger bucket's first this many members are its representatives.
pub const REPRESENTATIVES: usize = 8;

/// The candidate work of a set of buckets, packed as `u64`s.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BucketWork {
    /// Pairs to verify, each on its own: `a << 32 | b` with `a < b`.
    pub pairs: Vec<u64>,
    /// First-match group entries: `member << 32 | representative`, with `representative < member`.
    pub first_match: Vec<u64>,
    /// Buckets larger than [`ALL_PAIRS_LIMIT`].
    pub large_buckets: usize,
    /// Size of the largest bucket seen.
    pub largest_bucket: usize,
}

impl BucketWork {
    /// Add the work of one bucket: its members, distinct and in ascending (input) order.
    pub fn add_bucket(&mut self, members: &[u32]) {
        let m = members.len();
        self.largest_bucket = self.largest_bucket.max(m);
        if m < 2 {
            return;
        }
        let (all_pairs, rest) = if m <= ALL_PAIRS_LIMIT {
            (members, &[][..])
        } else {
            self.large_buckets += 1;
            members.split_at(REPRESENTATIVES)
        };
        for (i, &a) in all_pairs.iter().enumerate() {
            for &b in &all_pairs[i + 1..] {
                self.pairs.push(u64::from(a) << 32 | u64::from(b));
            }
        }
        for &member in rest {
            for &rep in all_pairs {
                self.first_match
                    .push(u64::from(member) << 32 | u64::from(rep));
            }
        }
    }
}

/// The candidate work of a document that joins a bucket holding `earlier` (its members so far, in
/// input order), for a stream that cannot wait for the bucket to be complete (the streaming
/// Deduplicator): while the bucket stays within [`ALL_PAIRS_LIMIT`], a pair with every earlier
/// member; once it is larger, a first-match group with its representatives. A bucket that grows
/// past the limit later gives [`BucketWork::add_bucket`] less work than this did (its late pairs
/// become first-match entries), never more, so the final work can be taken from what was verified
/// on arrival.
pub fn on_arrival(earlier: &[u32]) -> Arrival<'_> {
    if earlier.len() < ALL_PAIRS_LIMIT {
        Arrival::Pairs(earlier)
    } else {
        Arrival::FirstMatch(&earlier[..REPRESENTATIVES])
    }
}

/// What [`on_arrival`] gives a new member of a bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrival<'a> {
    /// Verify a pair with each of these earlier members.
    Pairs(&'a [u32]),
    /// Link to the first of these representatives (in input order) the member verifies against.
    FirstMatch(&'a [u32]),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_buckets_give_every_pair() {
        let mut w = BucketWork::default();
        w.add_bucket(&[2, 5, 9]);
        w.add_bucket(&[4]);
        assert_eq!(w.pairs, [2 << 32 | 5, 2 << 32 | 9, 5 << 32 | 9]);
        assert!(w.first_match.is_empty());
        assert_eq!((w.large_buckets, w.largest_bucket), (0, 3));
    }

    #[test]
    fn large_buckets_are_linear_in_their_size() {
        let members: Vec<u32> = (0..10_000).map(|i| i * 3).collect();
        let mut w = BucketWork::default();
        w.add_bucket(&members);
        let r = REPRESENTATIVES;
        assert_eq!(w.pairs.len(), r * (r - 1) / 2);
        assert_eq!(w.first_match.len(), (members.len() - r) * r);
        // Each later member is grouped with the representatives, in input order.
        let first: Vec<(u32, u32)> = w.first_match[..r]
            .iter()
            .map(|&p| ((p >> 32) as u32, p as u32))
            .collect();
        let expected: Vec<(u32, u32)> = members[..r].iter().map(|&rep| (members[r], rep)).collect();
        assert_eq!(first, expected);
        assert_eq!((w.large_buckets, w.largest_bucket), (1, 10_000));
    }

    #[test]
    fn arrivals_follow_the_bucket_so_far() {
        let members: Vec<u32> = (0..100).collect();
        assert_eq!(on_arrival(&members[..0]), Arrival::Pairs(&[]));
        assert_eq!(
            on_arrival(&members[..ALL_PAIRS_LIMIT - 1]),
            Arrival::Pairs(&members[..ALL_PAIRS_LIMIT - 1])
        );
        assert_eq!(
            on_arrival(&members[..ALL_PAIRS_LIMIT]),
            Arrival::FirstMatch(&members[..REPRESENTATIVES])
        );
    }
}
