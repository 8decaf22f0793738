//! Exact Hamming-radius search over perceptual hashes.
//!
//! [`HammingIndex`] finds every listed hash within a given Hamming distance
//! of a query, exactly (no missed match, no false match), for 256-bit PDQ
//! hashes (`[u64; 4]`) and 64-bit pHash / dHash (`u64`) with one generic
//! implementation ([`HammingHash`]).
//!
//! Large lists are searched with multi-index hashing (`mih.rs`); small lists,
//! and radii so large that probing would cost more than reading everything,
//! with an XOR-and-popcount scan (`flat.rs`), which is also the oracle the
//! tests compare against. The choice is made per query by a cost model and
//! never changes the result. See the "Hamming index" section of
//! `engine/DESIGN.md` for the layout and the measurements behind it.
//!
//! ```
//! use hashwall::index::hamming::{HammingIndex, HammingMatch};
//!
//! let listed: Vec<[u64; 4]> = vec![[0; 4], [u64::MAX; 4], [0b1011, 0, 0, 0]];
//! let index = HammingIndex::new(listed);
//! // Entry ids are positions in the input.
//! assert_eq!(
//!     index.query(&[0b1, 0, 0, 0], 31),
//!     vec![HammingMatch { id: 0, distance: 1 }, HammingMatch { id: 2, distance: 2 }]
//! );
//! // The 8 dihedral variants of a PDQ hash at once: each entry once, with its
//! // best variant.
//! let variants = [[u64::MAX; 4], [0; 4], [1, 0, 0, 0], [3, 0, 0, 0], [1; 4], [2; 4], [4; 4], [8; 4]];
//! let found = index.query_variants(&variants, 0);
//! assert_eq!(found.len(), 2);
//! assert_eq!((found[0].id, found[0].variant), (0, 1));
//! assert_eq!((found[1].id, found[1].variant), (1, 0));
//! ```

mod bits;
mod flat;
mod mih;

pub use bits::HammingHash;
pub use mih::MihParams;

use mih::Mih;

/// A 256-bit PDQ hash: bit `i` is bit `i % 64` of word `i / 64`.
pub type PdqWords = [u64; 4];

/// One listed hash within the query radius.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HammingMatch {
    /// Entry id: the hash's position in the list the index was built from.
    pub id: u32,
    /// Hamming distance between the query and the listed hash.
    pub distance: u32,
}

/// One listed hash within the radius of at least one of several query
/// variants (for example the 8 rotations and flips of an image's PDQ hash).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VariantMatch {
    /// Entry id: the hash's position in the list the index was built from.
    pub id: u32,
    /// The smallest distance between the listed hash and any variant.
    pub distance: u32,
    /// Index (in the query slice) of the variant at that smallest distance;
    /// the lowest such index on ties.
    pub variant: u8,
}

/// Which algorithm answers a query (the results are the same either way).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Exhaustive XOR-and-popcount scan over every listed hash.
    Flat,
    /// Multi-index hashing.
    MultiIndex,
}

/// An immutable index for exact Hamming-radius search over a list of hashes.
///
/// Entry ids are positions in the input (`u32`); duplicated hashes are kept
/// as separate entries. Built once, then shared freely (`Send + Sync`).
///
/// ```
/// use hashwall::index::hamming::{HammingIndex, PdqWords, Strategy};
///
/// // 20 000 pseudo-random PDQ hashes: enough for a multi-index.
/// let mut x = 0x2545_f491_4f6c_dd1du64;
/// let mut next = move || {
///     x ^= x << 13;
///     x ^= x >> 7;
///     x ^= x << 17;
///     x
/// };
/// let listed: Vec<PdqWords> = (0..20_000).map(|_| [next(), next(), next(), next()]).collect();
/// let index = HammingIndex::from_slice(&listed);
/// // The cost model probes at radius 15, but scans 20 000 hashes at 31
/// // (cheaper than ~5600 bucket visits); the results are the same.
/// assert_eq!(index.strategy(15), Strategy::MultiIndex);
/// assert_eq!(index.strategy(31), Strategy::Flat);
///
/// // A re-encoded copy of entry 1234: 12 bits differ.
/// let mut query = listed[1234];
/// query[0] ^= 0xfff;
/// let found = index.query(&query, 15);
/// assert_eq!(found.len(), 1);
/// assert_eq!((found[0].id, found[0].distance), (1234, 12));
/// // Exactly what the exhaustive scan finds.
/// assert_eq!(found, index.query_flat(&query, 15));
/// println!("{} bytes per hash", index.heap_bytes() / index.len());
/// ```
#[derive(Debug)]
pub struct HammingIndex<H: HammingHash> {
    hashes: Vec<H>,
    mih: Option<Mih>,
}

impl<H: HammingHash> HammingIndex<H> {
    /// Default layout: 32-bit substrings (m = 8 for PDQ, 2 for 64-bit
    /// hashes), buckets of ~32 entries, no multi-index under 16384 entries;
    /// see DESIGN.md for the measurements behind each choice.
    pub fn default_params() -> MihParams {
        MihParams {
            substrings: H::BITS.div_ceil(32),
            bucket_target: 32,
            min_entries: 16384,
        }
    }

    /// Builds the index over `hashes`; entry `i` is the `i`-th hash.
    ///
    /// # Panics
    ///
    /// If there are more than `u32::MAX` hashes (ids are `u32`).
    pub fn new(hashes: impl IntoIterator<Item = H>) -> Self {
        Self::with_params(hashes, Self::default_params())
    }

    /// Builds the index over a slice; entry `i` is `hashes[i]`.
    ///
    /// # Panics
    ///
    /// If there are more than `u32::MAX` hashes.
    pub fn from_slice(hashes: &[H]) -> Self {
        Self::new(hashes.iter().copied())
    }

    /// Builds the index with an explicit multi-index layout (for measuring
    /// alternatives; [`HammingIndex::new`] uses [`HammingIndex::default_params`]).
    ///
    /// # Panics
    ///
    /// If there are more than `u32::MAX` hashes.
    pub fn with_params(hashes: impl IntoIterator<Item = H>, params: MihParams) -> Self {
        let hashes: Vec<H> = hashes.into_iter().collect();
        // A fresh exact-size copy: `collect` may leave spare capacity, and a
        // fresh allocation can be backed by huge pages before it is written.
        let mut exact = Vec::with_capacity(hashes.len());
        mih::advise_huge_pages(exact.spare_capacity_mut());
        exact.extend_from_slice(&hashes);
        drop(hashes);
        let hashes = exact;
        assert!(
            u32::try_from(hashes.len()).is_ok(),
            "a Hamming index holds at most u32::MAX entries"
        );
        let mih = (!hashes.is_empty() && hashes.len() >= params.min_entries)
            .then(|| Mih::build(&hashes, params));
        HammingIndex { hashes, mih }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Whether the index has no entries.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// The hash of entry `id`.
    pub fn get(&self, id: u32) -> Option<&H> {
        self.hashes.get(id as usize)
    }

    /// Heap memory held by the index, in bytes (the hashes included).
    pub fn heap_bytes(&self) -> usize {
        self.hashes.capacity() * std::mem::size_of::<H>()
            + self.mih.as_ref().map_or(0, Mih::heap_bytes)
    }

    /// The algorithm a query of radius `max_distance` uses.
    pub fn strategy(&self, max_distance: u32) -> Strategy {
        match &self.mih {
            Some(mih) if max_distance < H::BITS => {
                let (mih_cost, flat_cost) = mih.cost::<H>(max_distance);
                if mih_cost < flat_cost {
                    Strategy::MultiIndex
                } else {
                    Strategy::Flat
                }
            }
            _ => Strategy::Flat,
        }
    }

    /// Every entry within `max_distance` bits of `query`, in increasing id
    /// order.
    pub fn query(&self, query: &H, max_distance: u32) -> Vec<HammingMatch> {
        let mut out = Vec::new();
        self.query_into(query, max_distance, &mut out);
        out
    }

    /// Like [`HammingIndex::query`], into a caller-provided buffer (cleared
    /// first) so repeated queries do not allocate.
    ///
    /// A multi-index query that meets more candidates than the scan would
    /// have cost (a query inside a large group of near-duplicates, on a list
    /// short enough to scan quickly) stops and scans instead, which bounds
    /// its cost at about twice the scan's.
    pub fn query_into(&self, query: &H, max_distance: u32, out: &mut Vec<HammingMatch>) {
        out.clear();
        if let (Strategy::MultiIndex, Some(mih)) = (self.strategy(max_distance), &self.mih) {
            let budget = mih.candidate_budget::<H>(max_distance);
            if mih.query(&self.hashes, query, max_distance, out, budget) {
                out.sort_unstable_by_key(|m| m.id);
                return;
            }
            out.clear();
        }
        flat::scan(&self.hashes, query, max_distance, out);
    }

    /// Like [`HammingIndex::query_into`] with the algorithm forced and no
    /// fallback, for tests and benchmarks. [`Strategy::MultiIndex`] on a list
    /// too small to have a multi-index scans instead. The result is the same
    /// either way.
    pub fn query_using(
        &self,
        strategy: Strategy,
        query: &H,
        max_distance: u32,
        out: &mut Vec<HammingMatch>,
    ) {
        out.clear();
        match (strategy, &self.mih) {
            (Strategy::MultiIndex, Some(mih)) => {
                mih.query(&self.hashes, query, max_distance, out, u64::MAX);
                out.sort_unstable_by_key(|m| m.id);
            }
            _ => flat::scan(&self.hashes, query, max_distance, out),
        }
    }

    /// The exhaustive scan, whatever the list size: the reference result.
    pub fn query_flat(&self, query: &H, max_distance: u32) -> Vec<HammingMatch> {
        let mut out = Vec::new();
        flat::scan(&self.hashes, query, max_distance, &mut out);
        out
    }

    /// Every entry within `max_distance` bits of at least one of `variants`
    /// (typically the 8 dihedral variants of a PDQ hash), in increasing id
    /// order. An entry matched by several variants is reported once, with
    /// its smallest distance and the variant achieving it (the lowest
    /// variant index on ties).
    ///
    /// # Panics
    ///
    /// If more than 256 variants are given (the variant index is a `u8`).
    pub fn query_variants(&self, variants: &[H], max_distance: u32) -> Vec<VariantMatch> {
        assert!(variants.len() <= 256, "at most 256 query variants");
        let mut all = Vec::new();
        let mut buf = Vec::new();
        for (v, q) in variants.iter().enumerate() {
            self.query_into(q, max_distance, &mut buf);
            // v < 256 by the assertion above.
            all.extend(buf.iter().map(|m| VariantMatch {
                id: m.id,
                distance: m.distance,
                variant: v as u8,
            }));
        }
        // (id, distance, variant) order puts each entry's best variant first.
        all.sort_unstable();
        all.dedup_by_key(|m| m.id);
        all
    }
}
