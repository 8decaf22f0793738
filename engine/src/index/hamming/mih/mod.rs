//! Multi-index hashing (Norouzi, Punjani & Fleet, "Fast Exact Search in
//! Hamming Space with Multi-Index Hashing", TPAMI 2014), with a compact
//! two-level bucket layout.
//!
//! The hash is cut into `m` contiguous substrings. If `d(x, q) <= r` with
//! `r = s*m + a` (`0 <= a < m`), then at least one of the first `a + 1`
//! substrings is within `s` bits, or one of the others within `s - 1`:
//! otherwise the distance would be at least `(a+1)(s+1) + (m-a-1)s = r + 1`.
//! Searching table `t` at its radius `rho_t` therefore finds every match.
//!
//! Each table is a counting sort of all entries by the top `hi_bits` of their
//! substring: an offsets array (CSR, `2^hi_bits + 1` `u32`) points into two
//! parallel arrays, the remaining low bits of the substring (the *tag*, at
//! most 16 bits, `u16`) and the entry id (3 bytes when the list has fewer
//! than 2^24 entries, else 4). A probe enumerates every `hi` value within
//! `rho_t` bits of the query's and scans that range's tags contiguously,
//! keeping those within the remaining budget. No per-bucket allocation.
//!
//! Duplicates across tables are removed without any per-query set: an entry
//! found in table `t` is reported only if no earlier searched table `j < t`
//! also qualifies it (`d_j <= rho_j`), which is checked on the candidate's
//! own hash: exactly one table reports each match.

mod table;

use super::HammingMatch;
use super::bits::{HammingHash, ball_size, low_mask};
use crate::index::prefetch::prefetch;
pub(crate) use table::advise_huge_pages;
use table::{Table, build_table};

/// Layout parameters of the multi-index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MihParams {
    /// Number of substrings `m`, clamped to `BITS / 32 ..= min(BITS, 256)`
    /// (a substring is at most 32 bits). Lengths differ by at most one bit.
    pub substrings: u32,
    /// Target average number of entries per bucket, which sets `hi_bits`
    /// (clamped so that tags fit 16 bits and offsets stay at most 2^24).
    pub bucket_target: u32,
    /// Lists with fewer entries get no multi-index: the flat scan reads
    /// them faster than a few thousand probes, and the offsets arrays
    /// (2^`hi_bits` each) would dominate their memory.
    pub min_entries: usize,
}

/// The multi-index over a list of hashes (which the caller keeps).
#[derive(Debug)]
pub(crate) struct Mih {
    tables: Vec<Table>,
    /// Number of entries, for the cost model.
    n: usize,
}

/// Estimated costs in nanoseconds, from the radius sweep in DESIGN.md
/// (1 M and 10 M PDQ hashes): a bucket visit (two dependent cache misses,
/// partly overlapped by the prefetch pipeline: 13 to 70 ns measured, lower
/// when visits are dense), one tag check (AVX2, 16 at a time), and one
/// 64-bit word of the flat scan (1.4 ns per PDQ hash).
const COST_VISIT: f64 = 25.0;
const COST_TAG: f64 = 0.1;
const COST_FLAT_PER_WORD: f64 = 0.35;
/// Verifying one candidate (load its hash, distance, dedup check): ~11 ns
/// measured on 20 000 clustered hashes where each query matched ~4800
/// entries, each found in all 8 tables.
const COST_CANDIDATE: f64 = 10.0;

impl Mih {
    pub(crate) fn build<H: HammingHash>(hashes: &[H], params: MihParams) -> Mih {
        let m = params
            .substrings
            .clamp(H::BITS.div_ceil(32), H::BITS.min(256));
        let n = hashes.len();
        let max_id = u32::try_from(n.saturating_sub(1)).unwrap_or(u32::MAX);
        // hi bits so that n / 2^hi ~= bucket_target.
        let target = (n as f64 / f64::from(params.bucket_target.max(1))).max(1.0);
        let hi_target = target.log2().round().clamp(0.0, 24.0) as u32;
        let base = H::BITS / m;
        let extra = H::BITS % m;
        let mut specs = Vec::with_capacity(m as usize);
        let mut start = 0;
        for t in 0..m {
            let len = base + u32::from(t < extra);
            let hi_bits = hi_target.clamp(len.saturating_sub(16), len.min(24));
            specs.push((start, len, hi_bits));
            start += len;
        }
        // Tables are independent: build them on up to as many threads as
        // there are cores (each one is a scatter-bound counting sort). If a
        // thread cannot be started, its tables are built on this one.
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(specs.len());
        let per = specs.len().div_ceil(threads.max(1));
        let tables = std::thread::scope(|s| {
            let handles: Vec<_> = specs
                .chunks(per)
                .map(|chunk| {
                    let work = move || -> Vec<Table> {
                        chunk
                            .iter()
                            .map(|&(start, len, hi)| build_table(hashes, start, len, hi, max_id))
                            .collect()
                    };
                    std::thread::Builder::new()
                        .spawn_scoped(s, work)
                        .map_err(|_| work)
                })
                .collect();
            let mut tables = Vec::with_capacity(specs.len());
            for h in handles {
                match h {
                    Ok(handle) => match handle.join() {
                        Ok(built) => tables.extend(built),
                        Err(panic) => std::panic::resume_unwind(panic),
                    },
                    Err(work) => tables.extend(work()),
                }
            }
            tables
        });
        Mih { tables, n }
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.tables.capacity() * std::mem::size_of::<Table>()
            + self
                .tables
                .iter()
                .map(|t| t.offsets.capacity() * 4 + t.tags.capacity() * 2 + t.ids.bytes.capacity())
                .sum::<usize>()
    }

    /// Radius each table is searched at (`None`: not searched).
    fn radii(&self, r: u32) -> impl Iterator<Item = Option<u32>> + '_ {
        let m = self.tables.len() as u32;
        let (s, a) = (r / m, r % m);
        (0..m).map(move |t| if t <= a { Some(s) } else { s.checked_sub(1) })
    }

    /// Estimated query cost in nanoseconds, and the flat scan's.
    pub(crate) fn cost<H: HammingHash>(&self, r: u32) -> (f64, f64) {
        let mut mih = 0.0;
        for (t, rho) in self.tables.iter().zip(self.radii(r)) {
            if let Some(rho) = rho {
                let visits = ball_size(t.hi_bits, rho);
                let per_bucket = self.n as f64 / (1u64 << t.hi_bits) as f64;
                mih += visits * (COST_VISIT + per_bucket * COST_TAG);
            }
        }
        let flat = self.n as f64 * COST_FLAT_PER_WORD * f64::from(H::BITS / 64);
        (mih, flat)
    }

    /// How many candidates a query at radius `r` may verify before the scan
    /// would have been cheaper (at least a few, so that a query is never
    /// abandoned before it starts).
    pub(crate) fn candidate_budget<H: HammingHash>(&self, r: u32) -> u64 {
        let (mih, flat) = self.cost::<H>(r);
        // Float to int saturates; the cost model keeps this well in range.
        (((flat - mih) / COST_CANDIDATE).max(64.0)) as u64
    }

    /// Appends every match within `r` of `query` to `out` (unordered).
    ///
    /// Gives up, returning `false` with `out` partly filled, once more than
    /// `max_candidates` candidates have been verified: a query landing in a
    /// group of thousands of near-duplicates finds each of them in up to
    /// every table, and on a short list that costs more than the scan.
    pub(crate) fn query<H: HammingHash>(
        &self,
        hashes: &[H],
        query: &H,
        r: u32,
        out: &mut Vec<HammingMatch>,
        max_candidates: u64,
    ) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("popcnt") {
                // SAFETY: the CPU supports the features the function is compiled for.
                return unsafe { self.query_avx2(hashes, query, r, out, max_candidates) };
            }
            if std::is_x86_feature_detected!("popcnt") {
                // SAFETY: as above.
                return unsafe { self.query_popcnt(hashes, query, r, out, max_candidates) };
            }
        }
        self.query_generic::<H, false>(hashes, query, r, out, max_candidates)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,popcnt")]
    unsafe fn query_avx2<H: HammingHash>(
        &self,
        hashes: &[H],
        query: &H,
        r: u32,
        out: &mut Vec<HammingMatch>,
        max_candidates: u64,
    ) -> bool {
        self.query_generic::<H, true>(hashes, query, r, out, max_candidates)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "popcnt")]
    unsafe fn query_popcnt<H: HammingHash>(
        &self,
        hashes: &[H],
        query: &H,
        r: u32,
        out: &mut Vec<HammingMatch>,
        max_candidates: u64,
    ) -> bool {
        self.query_generic::<H, false>(hashes, query, r, out, max_candidates)
    }

    // The hot path uses no closures: a closure is a separate function that
    // does not inherit the caller's target features, so its popcounts would
    // compile to bit tricks. `#[inline(always)]` functions are inlined into
    // the feature-enabled callers above instead.
    #[inline(always)]
    fn query_generic<H: HammingHash, const AVX2: bool>(
        &self,
        hashes: &[H],
        query: &H,
        r: u32,
        out: &mut Vec<HammingMatch>,
        max_candidates: u64,
    ) -> bool {
        let mut probe = Probe::<H, AVX2> {
            hashes,
            query,
            r,
            candidates_left: max_candidates,
            qsub: [0; 256],
            rho: [-1; 256],
            tables: &self.tables,
            out,
        };
        for (t, (table, radius)) in self.tables.iter().zip(self.radii(r)).enumerate() {
            probe.qsub[t] = query.substring(table.start, table.len);
            // Radii are at most 256, so the cast is lossless.
            probe.rho[t] = radius.map_or(-1, |x| x.min(table.len) as i32);
        }
        for t in 0..self.tables.len() {
            if probe.rho[t] >= 0 {
                probe.search_table(t);
            }
        }
        probe.candidates_left > 0
    }
}

/// How many buckets ahead the offsets, then the tags, are prefetched.
const AHEAD: usize = 16;

/// State of one query.
/// `AVX2`: compiled into a function with AVX2 enabled (the tag scan uses it).
struct Probe<'a, H, const AVX2: bool> {
    hashes: &'a [H],
    query: &'a H,
    r: u32,
    /// Candidates still allowed before giving up; 0 = gave up.
    candidates_left: u64,
    /// Per-table query substring and radius (-1: table not searched);
    /// at most 256 tables.
    qsub: [u32; 256],
    rho: [i32; 256],
    tables: &'a [Table],
    out: &'a mut Vec<HammingMatch>,
}

impl<H: HammingHash, const AVX2: bool> Probe<'_, H, AVX2> {
    /// Visits every bucket of table `t` whose number is within `rho[t]` bits
    /// of the query's, checking the tags against the remaining budget.
    ///
    /// Buckets are scattered over the table, so each visit is a cache miss
    /// on the offsets and another, dependent one on the tags; one at a time
    /// they would cost ~100 ns each. The visits are independent and their
    /// order is known in advance, so they are pipelined: bucket
    /// `i + 2*AHEAD`'s offsets and bucket `i + AHEAD`'s tags are prefetched
    /// while bucket `i` is scanned.
    #[inline(always)]
    fn search_table(&mut self, t: usize) {
        const RING: usize = 4 * AHEAD;
        let tables = self.tables;
        let table = &tables[t];
        let radius = self.rho[t] as u32;
        let key = self.qsub[t];
        let q_hi = key >> table.tag_bits;
        let q_lo = key & low_mask(table.tag_bits);
        // Ring of upcoming buckets: (bucket number, budget).
        let mut ring = [(0u32, 0u32); RING];
        let (mut head, mut tail) = (0usize, 0usize);
        let limit = 1u64 << table.hi_bits;
        for k in 0..=radius.min(table.hi_bits) {
            let budget = radius - k;
            // Every `hi_bits`-bit mask with `k` bits set, in increasing order
            // (Gosper's hack).
            let mut mask: u64 = (1u64 << k) - 1;
            while mask < limit {
                // mask < 2^hi_bits <= 2^24: lossless.
                let b = q_hi ^ mask as u32;
                prefetch(table.offsets.as_ptr().wrapping_add(b as usize));
                ring[tail % RING] = (b, budget);
                tail += 1;
                if tail >= head + AHEAD {
                    // Its offsets were prefetched AHEAD buckets ago.
                    let (b, _) = ring[(tail - AHEAD) % RING];
                    let start = table.offsets[b as usize] as usize;
                    let end = table.offsets[b as usize + 1] as usize;
                    // First and last line of the range: a bucket of a few
                    // dozen tags usually straddles a line boundary.
                    if table.tag_bits > 0 {
                        prefetch(table.tags.as_ptr().wrapping_add(start));
                        prefetch(table.tags.as_ptr().wrapping_add(end));
                    } else {
                        let ids = table.ids.bytes.as_ptr();
                        prefetch(ids.wrapping_add(start * table.ids.width));
                        prefetch(ids.wrapping_add(end * table.ids.width));
                    }
                }
                if tail >= head + 2 * AHEAD {
                    let (b, budget) = ring[head % RING];
                    self.visit(t, b as usize, budget, q_lo);
                    head += 1;
                    if self.candidates_left == 0 {
                        return;
                    }
                }
                if k == 0 {
                    break;
                }
                let c = mask & mask.wrapping_neg();
                let r = mask + c;
                mask = (((r ^ mask) >> 2) / c) | r;
            }
        }
        while head < tail {
            let (b, budget) = ring[head % RING];
            self.visit(t, b as usize, budget, q_lo);
            head += 1;
        }
    }

    /// Checks bucket `b` of table `t`: entries whose tag is within `budget`
    /// bits of `q_lo` are candidates.
    #[inline(always)]
    fn visit(&mut self, t: usize, b: usize, budget: u32, q_lo: u32) {
        let table = &self.tables[t];
        let start = table.offsets[b] as usize;
        let end = table.offsets[b + 1] as usize;
        if budget >= table.tag_bits {
            for i in start..end {
                self.check(t, table.ids.get(i));
            }
            return;
        }
        #[cfg(target_arch = "x86_64")]
        if AVX2 {
            // SAFETY: `AVX2` is only true in code compiled for, and run on,
            // CPUs with AVX2 (`Mih::query_avx2`).
            unsafe { self.visit_avx2(t, start, end, budget, q_lo) };
            return;
        }
        for i in start..end {
            if (u32::from(table.tags[i]) ^ q_lo).count_ones() <= budget {
                self.check(t, table.ids.get(i));
            }
        }
    }

    /// The tag scan, 16 tags per step: XOR, per-lane popcount with the
    /// nibble lookup table, compare against `budget`, and visit only the
    /// lanes that pass (most fail).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    #[inline]
    #[allow(unused_unsafe)] // the intrinsics are safe here from Rust 1.87/1.89 on.
    unsafe fn visit_avx2(&mut self, t: usize, start: usize, end: usize, budget: u32, q_lo: u32) {
        use std::arch::x86_64::*;
        let tables = self.tables;
        let table = &tables[t];
        // budget < tag_bits <= 16 and q_lo < 2^16: the casts are lossless.
        let (q, limit) = unsafe {
            (
                _mm256_set1_epi16(q_lo as i16),
                _mm256_set1_epi16(budget as i16 + 1),
            )
        };
        let (lut, nibble, low_byte) = unsafe {
            (
                _mm256_setr_epi8(
                    0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2,
                    2, 3, 2, 3, 3, 4,
                ),
                _mm256_set1_epi8(0x0f),
                _mm256_set1_epi16(0xff),
            )
        };
        let mut pos = start;
        while pos < end {
            // `tags` has 16 entries of padding, so 16 lanes from any
            // position up to its length are in bounds.
            debug_assert!(pos + 16 <= table.tags.len());
            let mut mask = unsafe {
                // SAFETY: in bounds by the padding (see above).
                let v = _mm256_loadu_si256(table.tags.as_ptr().add(pos).cast::<__m256i>());
                let x = _mm256_xor_si256(v, q);
                let lo = _mm256_shuffle_epi8(lut, _mm256_and_si256(x, nibble));
                let hi =
                    _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16::<4>(x), nibble));
                let pc8 = _mm256_add_epi8(lo, hi);
                let pc16 =
                    _mm256_add_epi16(_mm256_and_si256(pc8, low_byte), _mm256_srli_epi16::<8>(pc8));
                // Two mask bits per 16-bit lane.
                _mm256_movemask_epi8(_mm256_cmpgt_epi16(limit, pc16)) as u32
            };
            let valid = end - pos;
            if valid < 16 {
                mask &= (1u32 << (2 * valid)) - 1;
            }
            while mask != 0 {
                let lane = (mask.trailing_zeros() / 2) as usize;
                self.check(t, table.ids.get(pos + lane));
                mask &= !(3u32 << (2 * lane));
            }
            pos += 16;
        }
    }

    /// Verifies a candidate found in table `t`, and reports it unless an
    /// earlier searched table also qualifies it (so exactly one table
    /// reports each match, without a per-query set).
    #[inline(always)]
    fn check(&mut self, t: usize, id: u32) {
        self.candidates_left = self.candidates_left.saturating_sub(1);
        let Some(h) = self.hashes.get(id as usize) else {
            return;
        };
        let d = h.distance(self.query);
        if d > self.r {
            return;
        }
        for (j, e) in self.tables[..t].iter().enumerate() {
            if self.rho[j] >= 0
                && ((h.substring(e.start, e.len) ^ self.qsub[j]).count_ones() as i32) <= self.rho[j]
            {
                return;
            }
        }
        self.out.push(HammingMatch { id, distance: d });
    }
}
