//! Semantic candidates and their verification.
//!
//! LSH: each vector's fingerprint is `bands x rows` random-hyperplane sign bits
//! ([`Hyperplanes`]); band `i` is bits `i * rows .. (i + 1) * rows`. Vectors with equal bits in some
//! band share a bucket. Buckets become candidate work as in `dedup` ([`BucketWork`]: every pair of a
//! bucket of up to 64 members, representatives and first-match groups beyond), so one topic whose
//! documents all fall in one bucket costs linear work. `exact` instead compares every pair.
//!
//! Memory: no fingerprint is kept. The band keys are computed from the vectors (a block of rows
//! at a time when they are on disk) for a group of bands at once, 16 bytes per vector per band of
//! the group, as many bands as the key budget of [`find_candidates`] holds (at least one); then 8
//! bytes per candidate pair or group entry up to its pair budget. Past it, both are written as
//! sorted runs of 8-byte records (`a << 32 | b`, `member << 32 | representative`) in the spill
//! directory, and [`verify_set`] merges them (deduplicating across bands) and verifies them a
//! chunk of [`VERIFY_CHUNK`] records at a time (fewer with the vectors on disk: [`verify_chunk`]).
//! With the vectors on disk the pairs are keyed by tile (`Tiles`: two blocks of rows that fit in
//! [`Vectors::block_rows`]), so that a chunk is one tile's pairs and reads its two blocks of rows
//! in one piece each, the first block staying loaded across the tiles that share it. The
//! first-match entries are then verified by tile too ([`verify_set`]): their tile keys sorted in
//! `sort_bytes` (past it in runs, 8 bytes an entry), 16 bytes per vector for each member's best
//! match, and one sequential run of the entries, read again in input order for the counts.
//! Then 16 bytes per verified edge, and with `keep_first_match` 8 bytes per distinct first-match
//! entry (for the guard). Disk: 8 bytes per candidate pair or entry per band it was found in, once
//! per merge pass. A corpus of random directions has about `n^2 / 2 x bands x 2^-rows` candidate
//! pairs by chance (4 x 10^8 at a million documents with 53 x 16, the bands at 0.9), so at that
//! scale the candidate work is the largest part of the budget.

use super::first_match::{FirstMatch, FirstMatchWriter};
use super::vectors::{dot, Vectors};
use super::SemanticConfig;
use crate::dedup::candidates::unpack;
use crate::dedup::BucketWork;
use crate::error::Result;
use crate::progress::Progress;
use crate::sketch::Hyperplanes;
use crate::spill::{ExternalSorter, Sorted, SpillDir, StageMemory};
use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A verified semantic pair, by vector position (see [`Vectors`]) until the job maps it to documents.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SemanticEdge {
    /// The earlier vector.
    pub a: u32,
    /// The later vector.
    pub b: u32,
    /// Their cosine.
    pub cosine: f64,
}

/// The candidate work of LSH, by vector position: the lexical stage's own types (pairs and
/// first-match entries, in memory or as sorted runs).
pub use crate::dedup::{CandidateSet, Candidates as CandidateWork};

/// What verification found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SemanticVerified {
    /// Distinct edges at or above the threshold, sorted by `(a, b)`.
    pub edges: Vec<SemanticEdge>,
    /// Cosines computed.
    pub compared: u64,
    /// Large-bucket members that matched none of their representatives.
    pub unmatched_members: usize,
}

/// Bits `start..start + len` (`len <= 64`) of a fingerprint, as a number.
#[cfg(test)]
fn bits(fp: &[u64], start: usize, len: usize) -> u64 {
    let mut out = 0u64;
    let mut got = 0;
    while got < len {
        let pos = start + got;
        let lo = pos % 64;
        let take = (64 - lo).min(len - got);
        let mask = if take == 64 {
            u64::MAX
        } else {
            (1u64 << take) - 1
        };
        out |= ((fp[pos / 64] >> lo) & mask) << got;
        got += take;
    }
    out
}

/// LSH candidate work over `vectors`, all in memory (for small sets: `reuse --same-story`, tests).
pub fn candidate_work(
    vectors: &Vectors,
    config: &SemanticConfig,
    progress: &dyn Progress,
) -> Result<CandidateWork> {
    let dir = Arc::new(SpillDir::for_job(&std::env::temp_dir(), None));
    let set = find_candidates(
        vectors,
        config,
        usize::MAX / 4,
        usize::MAX / 4,
        &dir,
        progress,
    )?;
    let mut work = set.into_memory();
    if let Some(tiles) = Tiles::of(vectors) {
        for p in &mut work.pairs {
            *p = tiles.unpack(u64::from(p.0) << 32 | u64::from(p.1));
        }
        work.pairs.sort_unstable();
    }
    Ok(work)
}

/// Bytes per vector of one band's sort entries (key and position, padded).
const ENTRY_BYTES: usize = 16;

/// LSH candidate work over `vectors`, holding at most about `pair_bytes` of it in memory and
/// writing the rest as sorted runs into `dir`. The band keys are computed for a group of bands at a
/// time, as many as fit in `key_bytes` (16 bytes per vector per band; at least one band), from one
/// pass over the vectors each. The records are the same whatever the budgets.
pub fn find_candidates(
    vectors: &Vectors,
    config: &SemanticConfig,
    pair_bytes: usize,
    key_bytes: usize,
    dir: &Arc<SpillDir>,
    progress: &dyn Progress,
) -> Result<CandidateSet> {
    dir.start_stage();
    let (bands, rows) = (config.lsh_bands(), config.rows);
    let n = vectors.len();
    let planes = Hyperplanes::new(vectors.dims(), config.fingerprint_bits(), config.seed);
    let tiles = Tiles::of(vectors);
    let group = (key_bytes / (n * ENTRY_BYTES).max(1)).clamp(1, bands.max(1));
    let block = vectors.block_rows().min(1 << 14);
    let done = AtomicU64::new(0);
    // Half of a band's share for its pairs, half for its first-match entries.
    let per_sorter = (pair_bytes / bands.max(1) / 2).max(8 << 10);
    let mut per_band: Vec<(Sorted<u64>, Sorted<u64>, BucketWork, u64)> = Vec::with_capacity(bands);
    for first_band in (0..bands).step_by(group) {
        let these = first_band..(first_band + group).min(bands);
        let mut entries: Vec<Vec<(u64, u32)>> =
            these.clone().map(|_| Vec::with_capacity(n)).collect();
        for start in (0..n).step_by(block) {
            let end = (start + block).min(n);
            let block_rows = vectors.range(start, end)?;
            let keys: Vec<u64> = (start..end)
                .into_par_iter()
                .flat_map_iter(|i| {
                    let v = block_rows.get(i);
                    these
                        .clone()
                        .map(|band| planes.key(v, band * rows, rows))
                        .collect::<Vec<_>>()
                })
                .collect();
            for (k, key) in keys.into_iter().enumerate() {
                let (i, band) = (start + k / these.len(), k % these.len());
                entries[band].push((key, i as u32));
            }
        }
        let finished: Vec<_> = entries
            .into_par_iter()
            .map(|mut entries| {
                entries.sort_unstable();
                let mut work = BucketWork::default();
                let mut pairs = ExternalSorter::new(dir, "semantic-pairs", per_sorter, true);
                let mut first = ExternalSorter::new(dir, "semantic-first-match", per_sorter, true);
                let mut members = Vec::new();
                for run in entries.chunk_by(|x, y| x.0 == y.0) {
                    members.clear();
                    members.extend(run.iter().map(|&(_, i)| i));
                    work.add_bucket(&members);
                    for p in work.pairs.drain(..) {
                        pairs.push(tiles.map_or(p, |t| t.pack(p)))?;
                    }
                    for e in work.first_match.drain(..) {
                        first.push(e)?;
                    }
                }
                drop(entries);
                let buffered = ((pairs.buffered() + first.buffered()) * 8) as u64;
                progress.update(done.fetch_add(1, Ordering::Relaxed) + 1);
                Ok((pairs.finish()?, first.finish()?, work, buffered))
            })
            .collect::<Result<_>>()?;
        per_band.extend(finished);
    }
    let largest_bucket = per_band
        .iter()
        .map(|w| w.2.largest_bucket)
        .max()
        .unwrap_or(0);
    let large_buckets = per_band.iter().map(|w| w.2.large_buckets).sum();
    let buffered: u64 = per_band.iter().map(|w| w.3).sum();
    let (mut pairs, mut first) = (Vec::with_capacity(bands), Vec::with_capacity(bands));
    for (p, f, _, _) in per_band {
        pairs.push(p);
        first.push(f);
    }
    let (pairs, first_match) = (Sorted::concat(pairs), Sorted::concat(first));
    let block_bytes = if vectors.is_spilled() {
        (block * vectors.dims() * 4) as u64
    } else {
        0
    };
    let memory = StageMemory {
        memory_estimate_bytes: (group.min(bands) * n * ENTRY_BYTES) as u64 + block_bytes + buffered,
        spilled_bytes: pairs.spilled_bytes() + first_match.spilled_bytes(),
        spill_files: (pairs.runs() + first_match.runs()) as u64,
        temp_disk_peak_bytes: dir.stage_peak(),
    };
    Ok(CandidateSet {
        pairs,
        first_match,
        largest_bucket,
        large_buckets,
        memory,
    })
}

/// Records of candidate work verified at once by [`verify_set`] (fewer when the vectors are on
/// disk: a chunk reads at most [`Vectors::block_rows`] of them).
pub const VERIFY_CHUNK: usize = 1 << 20;

/// What [`verify_set`] found.
pub struct VerifiedSet {
    /// As [`verify_work`] finds it on the same work.
    pub verified: SemanticVerified,
    /// The distinct first-match entries, sorted, when asked for (the guard needs them); empty
    /// otherwise.
    pub first_match: FirstMatch,
    /// Distinct candidate records read: pairs plus first-match entries.
    pub candidates: u64,
}

/// Records per chunk of verification: [`VERIFY_CHUNK`], or with the vectors on disk as many as
/// read at most [`Vectors::block_rows`] rows (two per record).
pub fn verify_chunk(vectors: &Vectors) -> usize {
    VERIFY_CHUNK.min(vectors.block_rows() / 2).max(1)
}

/// Verify a [`CandidateSet`] as [`verify_work`] verifies the same work in memory, reading it in
/// chunks of [`verify_chunk`] records (a first-match group is never cut). With
/// `keep_first_match`, the first-match entries are kept for the guard, up to that many bytes in
/// memory and past it on disk ([`FirstMatchWriter`]). With the vectors on disk, the first-match
/// entries are verified by tile as the pairs are ([`verify_groups_by_tiles`]), their tile keys
/// sorted in `sort_bytes`.
pub fn verify_set(
    vectors: &Vectors,
    set: CandidateSet,
    threshold: f64,
    keep_first_match: Option<usize>,
    sort_bytes: usize,
    dir: &Arc<SpillDir>,
    progress: &dyn Progress,
) -> Result<VerifiedSet> {
    dir.start_stage();
    let cap = verify_chunk(vectors);
    let done = AtomicU64::new(0);
    let mut out = SemanticVerified::default();
    let mut merger = set.pairs.merge(dir)?;
    let tiles = Tiles::of(vectors);
    let mut candidates = match tiles {
        Some(tiles) => verify_by_tiles(
            vectors,
            tiles,
            cap,
            || merger.next_record(),
            threshold,
            &done,
            progress,
            |edges| out.edges.extend(edges),
        )?,
        None => {
            let mut candidates = 0;
            let mut chunk: Vec<(u32, u32)> = Vec::with_capacity(cap.min(1 << 16));
            loop {
                let next = merger.next_record()?;
                if let Some(p) = next {
                    chunk.push(unpack(p));
                    candidates += 1;
                }
                if chunk.len() >= cap || (next.is_none() && !chunk.is_empty()) {
                    out.edges
                        .extend(verify_pairs(vectors, &chunk, threshold, &done, progress)?);
                    chunk.clear();
                }
                if next.is_none() {
                    break;
                }
            }
            candidates
        }
    };
    out.compared = candidates;
    drop(merger);
    let first_match = match tiles {
        Some(tiles) => {
            let groups = verify_groups_by_tiles(
                vectors,
                set.first_match,
                tiles,
                threshold,
                keep_first_match,
                sort_bytes,
                dir,
                &done,
                progress,
            )?;
            candidates += groups.entries;
            out.edges.extend(groups.edges);
            out.compared += groups.compared;
            out.unmatched_members += groups.unmatched;
            groups.kept
        }
        None => {
            let mut kept = keep_first_match.map(|limit| FirstMatchWriter::new(limit, dir));
            let mut chunk: Vec<(u32, u32)> = Vec::with_capacity(cap.min(1 << 16));
            let mut merger = set.first_match.merge(dir)?;
            loop {
                let next = merger.next_record()?.map(unpack);
                // A chunk ends only between groups, so that each group is tried in one piece.
                let boundary = next.is_none_or(|(m, _)| chunk.last().is_none_or(|l| l.0 != m));
                if boundary && (chunk.len() >= cap || next.is_none()) && !chunk.is_empty() {
                    let (edges, compared, unmatched) =
                        verify_groups(vectors, &chunk, threshold, &done, progress)?;
                    out.edges.extend(edges);
                    out.compared += compared;
                    out.unmatched_members += unmatched;
                    if let Some(kept) = &mut kept {
                        kept.extend(&chunk)?;
                    }
                    chunk.clear();
                }
                match next {
                    Some(e) => {
                        chunk.push(e);
                        candidates += 1;
                    }
                    None => break,
                }
            }
            match kept {
                Some(kept) => kept.finish()?,
                None => FirstMatch::default(),
            }
        }
    };
    out.edges.par_sort_unstable_by_key(|e| (e.a, e.b));
    out.edges.dedup_by_key(|e| (e.a, e.b));
    Ok(VerifiedSet {
        verified: out,
        first_match,
        candidates,
    })
}

/// Verify tile-keyed records, sorted, as `next` gives them: a tile (or `cap` records of one) at a
/// time, its two blocks of rows read in one piece each; `found` takes each chunk's edges at or
/// above the threshold. Returns the number of records.
#[allow(clippy::too_many_arguments)]
fn verify_by_tiles(
    vectors: &Vectors,
    tiles: Tiles,
    cap: usize,
    mut next: impl FnMut() -> Result<Option<u64>>,
    threshold: f64,
    done: &AtomicU64,
    progress: &dyn Progress,
    mut found: impl FnMut(Vec<SemanticEdge>),
) -> Result<u64> {
    let mut blocks = TileBlocks::default();
    let mut chunk: Vec<(u32, u32)> = Vec::with_capacity(cap.min(1 << 16));
    let (mut tile, mut records) = (0, 0u64);
    loop {
        let key = next()?;
        let next_tile = key.map(|k| tiles.tile(k));
        if !chunk.is_empty() && (chunk.len() >= cap || next_tile != Some(tile)) {
            blocks.load(vectors, tiles, tile)?;
            found(verify_tile(
                &blocks, vectors, &chunk, threshold, done, progress,
            ));
            chunk.clear();
        }
        match key {
            Some(k) => {
                tile = tiles.tile(k);
                chunk.push(tiles.unpack(k));
                records += 1;
            }
            None => return Ok(records),
        }
    }
}

/// What [`verify_groups_by_tiles`] finds.
struct TiledGroups {
    /// Each matched member's edge to the first representative it verifies against.
    edges: Vec<SemanticEdge>,
    /// Entries tried as in input order: up to and including the match, or the whole group.
    compared: u64,
    /// Members that match none of their representatives.
    unmatched: usize,
    /// Distinct entries.
    entries: u64,
    /// The entries, when `keep_first_match` asked for them.
    kept: FirstMatch,
}

/// First-match groups verified by tile, with the vectors on disk. Tried in input order, a group's
/// rows would be read from all over the file for every chunk of members (a million documents have
/// 77 million entries naming some 550,000 representatives, far more than a budget holds: verifying
/// them so took 140 s where in memory it takes 100, `bench/RESULTS.md` 8.35). The first match of a
/// member is its smallest representative at or above the threshold, so every entry is verified in
/// tile order instead and the smallest such representative kept per member (16 bytes per vector);
/// a second pass over the entries in order counts what the in-order trial would have tried, and
/// leaves them, unchanged, to the guard when it asked for them. The
/// edges, counts and kept entries are those of [`verify_groups`]; the cost is the cosines of the
/// entries after a member's match (most members match none) and a sort of the tile keys (8 bytes an
/// entry, past `sort_bytes` on disk), plus one sequential run of the entries.
#[allow(clippy::too_many_arguments)]
fn verify_groups_by_tiles(
    vectors: &Vectors,
    first_match: Sorted<u64>,
    tiles: Tiles,
    threshold: f64,
    keep_first_match: Option<usize>,
    sort_bytes: usize,
    dir: &Arc<SpillDir>,
    done: &AtomicU64,
    progress: &dyn Progress,
) -> Result<TiledGroups> {
    let mut sorter = ExternalSorter::new(dir, "semantic-first-match-tiles", sort_bytes, false);
    let mut order = FirstMatchWriter::new(keep_first_match.unwrap_or(sort_bytes), dir);
    let mut piece: Vec<(u32, u32)> = Vec::with_capacity(1 << 12);
    let mut entries = 0u64;
    let mut merger = first_match.merge(dir)?;
    while let Some(p) = merger.next_record()? {
        let (member, rep) = unpack(p);
        // A representative comes before its member: the pair key `rep << 32 | member`.
        sorter.push(tiles.pack((u64::from(rep) << 32) | u64::from(member)))?;
        piece.push((member, rep));
        if piece.len() == piece.capacity() {
            order.extend(&piece)?;
            piece.clear();
        }
        entries += 1;
    }
    order.extend(&piece)?;
    drop(merger);
    let order = order.finish()?;
    let mut best: Vec<(u32, f64)> = vec![(u32::MAX, 0.0); vectors.len()];
    let mut keys = sorter.finish()?.merge(dir)?;
    verify_by_tiles(
        vectors,
        tiles,
        verify_chunk(vectors),
        || keys.next_record(),
        threshold,
        done,
        progress,
        |edges| {
            for e in edges {
                let b = &mut best[e.b as usize];
                if e.a < b.0 {
                    *b = (e.a, e.cosine);
                }
            }
        },
    )?;
    drop(keys);
    let mut found = TiledGroups {
        edges: Vec::new(),
        compared: 0,
        unmatched: 0,
        entries,
        kept: FirstMatch::default(),
    };
    // The entries in input order, once more: what the in-order trial would have tried. They are
    // then the guard's, as they stand.
    let mut group: Vec<(u32, u32)> = Vec::new();
    let order = order.scan(|e| {
        if group.last().is_some_and(|l| l.0 != e.0) {
            settle_group(&group, &best, &mut found);
            group.clear();
        }
        group.push(e);
    })?;
    if !group.is_empty() {
        settle_group(&group, &best, &mut found);
    }
    if keep_first_match.is_some() {
        found.kept = order;
    }
    Ok(found)
}

/// Count one member's group (its entries, representatives ascending) as tried in input order, up to
/// its best match, and add that match's edge.
fn settle_group(group: &[(u32, u32)], best: &[(u32, f64)], found: &mut TiledGroups) {
    let member = group[0].0;
    let (rep, cosine) = best[member as usize];
    if rep == u32::MAX {
        found.compared += group.len() as u64;
        found.unmatched += 1;
    } else {
        found.compared += group.iter().filter(|e| e.1 <= rep).count() as u64;
        found.edges.push(SemanticEdge {
            a: rep,
            b: member,
            cosine,
        });
    }
}

/// With the vectors on disk, candidate pairs are keyed so that they sort by tile: vector positions
/// are cut into blocks of `2^bits` rows, and pair `(a, b)` belongs to tile `(a >> bits, b >> bits)`.
/// The key `(tile of a, tile of b, a's low bits, b's low bits)` packs into the same 64 bits as
/// `a << 32 | b` (a bijection, so merging still deduplicates across bands), and verification reads
/// each tile's two blocks with one large positioned read each instead of one read per row a chunk
/// names: those rows lie all over the file at scale, and reading them one by one cost more system
/// time than all the cosines (8.12 of `bench/RESULTS.md`). Tile order is row-block-major, so the
/// first block stays loaded across the consecutive tiles that share it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Tiles {
    bits: u32,
}

impl Tiles {
    /// The tiling for `vectors`: two blocks within [`Vectors::block_rows`] (so at least 32 rows per
    /// block), or `None` in memory, where pairs keep the plain key.
    fn of(vectors: &Vectors) -> Option<Tiles> {
        if !vectors.is_spilled() {
            return None;
        }
        let half = (vectors.block_rows() / 2).max(1);
        Some(Tiles {
            bits: half.ilog2().min(31),
        })
    }

    /// The tile key of the plain key `a << 32 | b`.
    fn pack(self, p: u64) -> u64 {
        let k = self.bits;
        let low = (1u64 << k) - 1;
        let (a, b) = (p >> 32, p & 0xffff_ffff);
        ((a >> k) << (32 + k)) | ((b >> k) << (2 * k)) | ((a & low) << k) | (b & low)
    }

    /// `(a, b)` of a tile key.
    fn unpack(self, key: u64) -> (u32, u32) {
        let k = self.bits;
        let low = (1u64 << k) - 1;
        let ta = key >> (32 + k);
        let tb = (key >> (2 * k)) & ((1u64 << (32 - k)) - 1);
        let a = (ta << k) | ((key >> k) & low);
        let b = (tb << k) | (key & low);
        (a as u32, b as u32)
    }

    /// The tile of a tile key, as one number (`tile of a << (32 - bits) | tile of b`).
    fn tile(self, key: u64) -> u64 {
        key >> (2 * self.bits)
    }

    /// The blocks `(a's, b's)` of a tile, as first rows and ends, cut at `n` rows.
    fn blocks(self, tile: u64, n: usize) -> ((usize, usize), (usize, usize)) {
        let k = self.bits;
        let (ta, tb) = (tile >> (32 - k), tile & ((1u64 << (32 - k)) - 1));
        let block = |t: u64| {
            let start = (t << k) as usize;
            (start, (start + (1usize << k)).min(n))
        };
        (block(ta), block(tb))
    }
}

/// The two blocks of rows of the tile being verified (the second empty when the tile is on the
/// diagonal), and the read buffer they share.
#[derive(Default)]
struct TileBlocks {
    a: (usize, usize),
    b: (usize, usize),
    a_rows: Vec<f32>,
    b_rows: Vec<f32>,
    buf: Vec<u8>,
    loaded: bool,
}

impl TileBlocks {
    /// Make `tile`'s blocks the ones held, reading only a block that changed.
    fn load(&mut self, vectors: &Vectors, tiles: Tiles, tile: u64) -> Result<()> {
        let (a, b) = tiles.blocks(tile, vectors.len());
        if !self.loaded || self.a != a {
            vectors.read_block(a.0, a.1, &mut self.buf, &mut self.a_rows)?;
            self.a = a;
        }
        if b == a {
            self.b_rows.clear();
            self.b = b;
        } else if !self.loaded || self.b != b {
            vectors.read_block(b.0, b.1, &mut self.buf, &mut self.b_rows)?;
            self.b = b;
        }
        self.loaded = true;
        Ok(())
    }

    /// Row `i` of the tile.
    fn get(&self, i: usize, dims: usize) -> &[f32] {
        if (self.a.0..self.a.1).contains(&i) {
            &self.a_rows[(i - self.a.0) * dims..][..dims]
        } else {
            &self.b_rows[(i - self.b.0) * dims..][..dims]
        }
    }
}

/// The pairs of `chunk` (all of one tile, whose blocks `blocks` holds) at or above the threshold.
fn verify_tile(
    blocks: &TileBlocks,
    vectors: &Vectors,
    chunk: &[(u32, u32)],
    threshold: f64,
    done: &AtomicU64,
    progress: &dyn Progress,
) -> Vec<SemanticEdge> {
    const PART: usize = 4096;
    let dims = vectors.dims();
    chunk
        .par_chunks(PART)
        .flat_map_iter(|part| {
            let n = part.len() as u64;
            progress.update(done.fetch_add(n, Ordering::Relaxed) + n);
            part.iter().filter_map(move |&(a, b)| {
                let cosine = dot(blocks.get(a as usize, dims), blocks.get(b as usize, dims));
                (cosine >= threshold).then_some(SemanticEdge { a, b, cosine })
            })
        })
        .collect()
}

/// The vectors that `records` name, for reading: every position in them, sorted and distinct.
fn positions_of(records: &[(u32, u32)]) -> Vec<u32> {
    let mut p: Vec<u32> = records.iter().flat_map(|&(a, b)| [a, b]).collect();
    p.sort_unstable();
    p.dedup();
    p
}

/// The pairs of `chunk` at or above the threshold, in order.
fn verify_pairs(
    vectors: &Vectors,
    chunk: &[(u32, u32)],
    threshold: f64,
    done: &AtomicU64,
    progress: &dyn Progress,
) -> Result<Vec<SemanticEdge>> {
    const PART: usize = 4096;
    let rows = vectors.rows(|| positions_of(chunk))?;
    Ok(chunk
        .par_chunks(PART)
        .flat_map_iter(|part| {
            let n = part.len() as u64;
            progress.update(done.fetch_add(n, Ordering::Relaxed) + n);
            let rows = &rows;
            part.iter().filter_map(move |&(a, b)| {
                let cosine = rows.cosine(a as usize, b as usize);
                (cosine >= threshold).then_some(SemanticEdge { a, b, cosine })
            })
        })
        .collect())
}

/// Each first-match group of `entries` (sorted, whole groups) linked to its first representative
/// at or above the threshold: the edges, the cosines computed and the members that matched none.
fn verify_groups(
    vectors: &Vectors,
    entries: &[(u32, u32)],
    threshold: f64,
    done: &AtomicU64,
    progress: &dyn Progress,
) -> Result<(Vec<SemanticEdge>, u64, usize)> {
    let rows = vectors.rows(|| positions_of(entries))?;
    let groups: Vec<&[(u32, u32)]> = entries.chunk_by(|x, y| x.0 == y.0).collect();
    let matched: Vec<(Option<SemanticEdge>, u64)> = groups
        .par_iter()
        .map(|g| {
            let member = g[0].0;
            let mut tried = 0;
            let mut found = None;
            for &(_, rep) in g.iter() {
                tried += 1;
                let cosine = rows.cosine(rep as usize, member as usize);
                if cosine >= threshold {
                    found = Some(SemanticEdge {
                        a: rep,
                        b: member,
                        cosine,
                    });
                    break;
                }
            }
            let n = g.len() as u64;
            progress.update(done.fetch_add(n, Ordering::Relaxed) + n);
            (found, tried)
        })
        .collect();
    let unmatched = matched.iter().filter(|m| m.0.is_none()).count();
    let compared = matched.iter().map(|m| m.1).sum();
    Ok((
        matched.into_iter().filter_map(|m| m.0).collect(),
        compared,
        unmatched,
    ))
}

/// Verify LSH candidate work: each pair on its own, and each first-match group's representatives in
/// input order until one reaches the threshold. (With the vectors on disk it reads every row the
/// work names at once; the job uses [`verify_set`].)
pub fn verify_work(
    vectors: &Vectors,
    work: &CandidateWork,
    threshold: f64,
    progress: &dyn Progress,
) -> Result<SemanticVerified> {
    let done = AtomicU64::new(0);
    let mut edges = verify_pairs(vectors, &work.pairs, threshold, &done, progress)?;
    let (matched, tried, unmatched_members) =
        verify_groups(vectors, &work.first_match, threshold, &done, progress)?;
    edges.extend(matched);
    edges.par_sort_unstable_by_key(|e| (e.a, e.b));
    edges.dedup_by_key(|e| (e.a, e.b));
    Ok(SemanticVerified {
        edges,
        compared: work.pairs.len() as u64 + tried,
        unmatched_members,
    })
}

/// Every pair of vectors at or above the threshold, by brute force (`n (n - 1) / 2` cosines). With
/// the vectors on disk, a block of rows against each later block, two blocks of half
/// [`Vectors::block_rows`] in memory at once.
pub fn exact_pairs(
    vectors: &Vectors,
    threshold: f64,
    progress: &dyn Progress,
) -> Result<SemanticVerified> {
    let n = vectors.len();
    let done = AtomicU64::new(0);
    let block = (vectors.block_rows() / 2).max(1).min(n.max(1));
    let mut edges: Vec<SemanticEdge> = Vec::new();
    for a0 in (0..n).step_by(block) {
        let a1 = (a0 + block).min(n);
        let left = vectors.range(a0, a1)?;
        for b0 in (a0..n).step_by(block) {
            let b1 = (b0 + block).min(n);
            let right = if b0 == a0 {
                None
            } else {
                Some(vectors.range(b0, b1)?)
            };
            let right = right.as_ref().unwrap_or(&left);
            edges.par_extend((a0..a1).into_par_iter().flat_map_iter(|i| {
                let from = b0.max(i + 1);
                let row: Vec<SemanticEdge> = (from..b1)
                    .filter_map(|j| {
                        let cosine = dot(left.get(i), right.get(j));
                        (cosine >= threshold).then_some(SemanticEdge {
                            a: i as u32,
                            b: j as u32,
                            cosine,
                        })
                    })
                    .collect();
                let k = b1.saturating_sub(from) as u64;
                progress.update(done.fetch_add(k, Ordering::Relaxed) + k);
                row
            }));
        }
    }
    edges.par_sort_unstable_by_key(|e| (e.a, e.b));
    Ok(SemanticVerified {
        edges,
        compared: (n as u64) * (n as u64).saturating_sub(1) / 2,
        unmatched_members: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;
    use crate::sketch::SplitMix64;

    fn random_unit(rng: &mut SplitMix64, dims: usize) -> Vec<f32> {
        let v: Vec<f32> = (0..dims)
            .map(|_| (rng.next_u64() >> 11) as f32 / (1u64 << 53) as f32 - 0.5)
            .collect();
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.into_iter().map(|x| x / n).collect()
    }

    #[test]
    fn tile_keys_are_a_bijection_that_sorts_by_tile() {
        let mut rng = SplitMix64(9);
        for bits in [5, 15, 31] {
            let tiles = Tiles { bits };
            let mut pairs: Vec<(u32, u32)> = (0..2000)
                .map(|_| {
                    let x = rng.next_u64() as u32 >> (rng.next_u64() % 20);
                    let y = rng.next_u64() as u32 >> (rng.next_u64() % 20);
                    (x.min(y), x.max(y))
                })
                .chain([(0, 1), (0, u32::MAX), (u32::MAX - 1, u32::MAX)])
                .collect();
            let mut keys: Vec<u64> = pairs
                .iter()
                .map(|&(a, b)| tiles.pack(u64::from(a) << 32 | u64::from(b)))
                .collect();
            for (&p, &k) in pairs.iter().zip(&keys) {
                assert_eq!(tiles.unpack(k), p);
                let ((a0, a1), (b0, b1)) = tiles.blocks(tiles.tile(k), usize::MAX);
                assert!((a0..a1).contains(&(p.0 as usize)) && (b0..b1).contains(&(p.1 as usize)));
            }
            keys.sort_unstable();
            pairs.sort_unstable_by_key(|&(a, b)| (a >> bits, b >> bits, a, b));
            let unpacked: Vec<(u32, u32)> = keys.iter().map(|&k| tiles.unpack(k)).collect();
            assert_eq!(unpacked, pairs);
        }
    }

    #[test]
    fn bits_are_cut_across_words() {
        let fp = [u64::MAX << 60, 0b1011];
        assert_eq!(bits(&fp, 60, 8), 0b1011_1111);
        assert_eq!(bits(&fp, 0, 64), u64::MAX << 60);
        assert_eq!(bits(&fp, 64, 3), 0b011);
    }

    #[test]
    fn band_keys_are_the_fingerprints_bits() {
        let mut rng = SplitMix64(11);
        let planes = Hyperplanes::new(24, 192, 7);
        for _ in 0..20 {
            let v = random_unit(&mut rng, 24);
            let fp = planes.fingerprint(&v);
            for (start, len) in [(0, 16), (60, 8), (100, 64), (176, 16)] {
                assert_eq!(planes.key(&v, start, len), bits(&fp, start, len));
            }
        }
    }

    #[test]
    fn lsh_finds_what_brute_force_finds_on_close_pairs() {
        // 200 random directions, and for 20 of them a near copy (cosine about 0.97).
        let dims = 32;
        let mut rng = SplitMix64(5);
        let mut vectors = Vectors::new(dims);
        let mut doc = 0u32;
        for i in 0..200 {
            let v = random_unit(&mut rng, dims);
            vectors.push(doc, &v).unwrap();
            doc += 1;
            if i % 10 == 0 {
                let noise = random_unit(&mut rng, dims);
                let w: Vec<f32> = v.iter().zip(&noise).map(|(x, e)| x + 0.25 * e).collect();
                let n = w.iter().map(|x| x * x).sum::<f32>().sqrt();
                let w: Vec<f32> = w.into_iter().map(|x| x / n).collect();
                vectors.push(doc, &w).unwrap();
                doc += 1;
            }
        }
        let config = SemanticConfig::default();
        let exact = exact_pairs(&vectors, config.threshold, &NoProgress).unwrap();
        assert_eq!(exact.edges.len(), 20);
        let work = candidate_work(&vectors, &config, &NoProgress).unwrap();
        let lsh = verify_work(&vectors, &work, config.threshold, &NoProgress).unwrap();
        assert_eq!(lsh.edges, exact.edges);
        // Far fewer comparisons than brute force.
        assert!(lsh.compared * 20 < exact.compared, "{}", lsh.compared);
    }

    #[test]
    fn vectors_on_disk_and_one_band_at_a_time_give_the_same_work_and_edges() {
        let dims = 16;
        let mut rng = SplitMix64(4);
        let out = tempfile::tempdir().unwrap();
        let dir = Arc::new(SpillDir::for_job(out.path(), None));
        let mut memory = Vectors::new(dims);
        // 4 KiB of vectors in memory: blocks of 64 rows on disk.
        let mut disk = Vectors::spilling(dims, 4096, &dir);
        let centres: Vec<Vec<f32>> = (0..5).map(|_| random_unit(&mut rng, dims)).collect();
        for i in 0..600u32 {
            let noise = random_unit(&mut rng, dims);
            let w: Vec<f32> = centres[i as usize % 5]
                .iter()
                .zip(&noise)
                .map(|(x, e)| x + 0.3 * e)
                .collect();
            memory.push(i * 3, &w).unwrap();
            disk.push(i * 3, &w).unwrap();
        }
        memory.centre().unwrap();
        disk.centre().unwrap();
        assert!(disk.is_spilled() && verify_chunk(&disk) == 32);
        let config = SemanticConfig {
            threshold: 0.8,
            rows: 3,
            bands: Some(7),
            ..SemanticConfig::default()
        };
        let work = candidate_work(&memory, &config, &NoProgress).unwrap();
        assert!(!work.first_match.is_empty() && !work.pairs.is_empty());
        let expected = verify_work(&memory, &work, config.threshold, &NoProgress).unwrap();
        // Some members match none of their representatives, some match before their last one (so
        // fewer entries are tried than there are).
        assert!(expected.unmatched_members > 0 && expected.compared < work.len() as u64);
        // One band's keys at a time, every pair spilled, verified in chunks of 32 records; the
        // first-match entries by tile, their keys sorted in memory or in runs of one record, kept
        // in memory, on disk or not at all.
        for (sort_bytes, keep) in [
            (1 << 20, Some(usize::MAX)),
            (0, Some(usize::MAX)),
            (0, Some(0)),
            (1 << 20, None),
        ] {
            let set = find_candidates(&disk, &config, 0, 1, &dir, &NoProgress).unwrap();
            let on_disk = verify_set(
                &disk,
                set,
                config.threshold,
                keep,
                sort_bytes,
                &dir,
                &NoProgress,
            )
            .unwrap();
            assert_eq!(on_disk.verified, expected, "{sort_bytes} {keep:?}");
            assert_eq!(on_disk.candidates, work.len() as u64);
            let kept = on_disk.first_match;
            match keep {
                Some(0) => assert!(kept.spilled_bytes() > 0 && kept.memory_bytes() == 0),
                Some(_) => assert_eq!(kept.memory_bytes(), kept.len() * 8),
                None => assert!(kept.is_empty()),
            }
            let want = if keep.is_some() {
                work.first_match.clone()
            } else {
                Vec::new()
            };
            assert_eq!(kept.into_vec().unwrap(), want);
        }
        // Every run of the sorts and of the kept entries is gone once read.
        assert_eq!(dir.disk_now(), disk.spilled_bytes());
        // Tiles of 32 rows: the pairs were keyed by tile, and read back as plain pairs.
        assert_eq!(Tiles::of(&disk), Some(Tiles { bits: 5 }));
        assert_eq!(candidate_work(&disk, &config, &NoProgress).unwrap(), work);
        let brute = exact_pairs(&memory, config.threshold, &NoProgress).unwrap();
        assert_eq!(
            exact_pairs(&disk, config.threshold, &NoProgress).unwrap(),
            brute
        );
        assert!(!brute.edges.is_empty());
    }

    #[test]
    fn spilled_candidate_work_verifies_as_in_memory() {
        // Wide buckets (2 sign bits per band) so that each band's pairs overflow a sorter of the
        // smallest size and go to runs on disk; clumps so that large buckets give first-match
        // groups.
        let dims = 16;
        let mut rng = SplitMix64(3);
        let mut vectors = Vectors::new(dims);
        let centres: Vec<Vec<f32>> = (0..4).map(|_| random_unit(&mut rng, dims)).collect();
        for i in 0..400u32 {
            let noise = random_unit(&mut rng, dims);
            let w: Vec<f32> = centres[i as usize % 4]
                .iter()
                .zip(&noise)
                .map(|(x, e)| x + 0.3 * e)
                .collect();
            let n = w.iter().map(|x| x * x).sum::<f32>().sqrt();
            vectors
                .push(i, &w.into_iter().map(|x| x / n).collect::<Vec<f32>>())
                .unwrap();
        }
        let config = SemanticConfig {
            threshold: 0.9,
            rows: 2,
            bands: Some(8),
            ..SemanticConfig::default()
        };
        let work = candidate_work(&vectors, &config, &NoProgress).unwrap();
        assert!(!work.first_match.is_empty());
        let memory = verify_work(&vectors, &work, config.threshold, &NoProgress).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let dir = Arc::new(SpillDir::for_job(tmp.path(), None));
        let set = find_candidates(&vectors, &config, 0, 0, &dir, &NoProgress).unwrap();
        assert!(set.pairs.is_spilled() && set.memory.spilled_bytes > 0);
        // The kept first-match entries go to disk too (a limit of no bytes).
        let spilled = verify_set(
            &vectors,
            set,
            config.threshold,
            Some(0),
            0,
            &dir,
            &NoProgress,
        )
        .unwrap();
        assert_eq!(spilled.verified, memory);
        assert_eq!(spilled.candidates, work.len() as u64);
        assert!(spilled.first_match.spilled_bytes() > 0);
        assert_eq!(spilled.first_match.into_vec().unwrap(), work.first_match);
    }
}
