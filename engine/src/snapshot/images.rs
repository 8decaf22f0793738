//! Image-hash entries: PDQ, pHash and dHash in Hamming indexes, MD5, SHA-1
//! and SHA-256 in the key table.
//!
//! One Hamming index per hash width and kind holds the entries of every list;
//! a query uses the largest radius any list allows, then each match is kept
//! only if it is within its own list's radius and the query's quality is at
//! least the list's floor. Exact digests share the snapshot's key table
//! design (8-byte slots, full verification against the stored digest).

use hashwall_lists::EntryKind;

use super::entries::EntryStore;
use crate::Error;
use crate::image::{Dihedral, HashValue, PdqHash};
use crate::index::hamming::{HammingIndex, VariantMatch};
use crate::index::keytable::KeyTable;

/// PDQ: Meta's recommended match threshold.
pub const DEFAULT_PDQ_MAX_DISTANCE: u32 = 31;
/// PDQ: the largest radius a list may ask for (a quarter of the bits).
pub const MAX_PDQ_DISTANCE: u32 = 63;
/// pHash/dHash: the customary threshold for 64-bit perceptual hashes.
pub const DEFAULT_HASH64_MAX_DISTANCE: u32 = 10;
/// pHash/dHash: the largest radius a list may ask for.
pub const MAX_HASH64_DISTANCE: u32 = 32;
/// PDQ quality below which a hash is not trusted (Meta's recommendation).
pub const DEFAULT_MIN_QUALITY: u8 = 50;

/// Per-list matching thresholds for perceptual hashes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ImageThresholds {
    pub(crate) pdq_max_distance: u32,
    pub(crate) hash64_max_distance: u32,
    pub(crate) min_quality: u8,
}

impl Default for ImageThresholds {
    fn default() -> Self {
        ImageThresholds {
            pdq_max_distance: DEFAULT_PDQ_MAX_DISTANCE,
            hash64_max_distance: DEFAULT_HASH64_MAX_DISTANCE,
            min_quality: DEFAULT_MIN_QUALITY,
        }
    }
}

/// The PDQ hash as the Hamming index stores it. Any fixed bijection of the
/// 256 bits preserves Hamming distances; this one packs 16-bit word `4j + i`
/// into bits `16 i ..` of 64-bit word `j`.
pub(crate) fn pdq_words(h: &PdqHash) -> [u64; 4] {
    let w = &h.0;
    let mut out = [0u64; 4];
    for (j, o) in out.iter_mut().enumerate() {
        *o = u64::from(w[4 * j])
            | u64::from(w[4 * j + 1]) << 16
            | u64::from(w[4 * j + 2]) << 32
            | u64::from(w[4 * j + 3]) << 48;
    }
    out
}

fn digest_key(kind: EntryKind, digest: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&digest[..8]);
    // Domain separation, so an MD5 never probes the SHA-256 entries' slots.
    let salt = match kind {
        EntryKind::Md5 => 0x6d64_3500,
        EntryKind::Sha1 => 0x7368_6131,
        _ => 0x7368_3235,
    };
    u64::from_le_bytes(b) ^ salt
}

/// Collects image entries while lists are added.
#[derive(Debug, Default)]
pub(crate) struct ImageBuilder {
    pdq: Vec<[u64; 4]>,
    pdq_entries: Vec<u32>,
    phash: Vec<u64>,
    phash_entries: Vec<u32>,
    dhash: Vec<u64>,
    dhash_entries: Vec<u32>,
    digest_keys: Vec<(u64, u32)>,
    pdq_radius: u32,
    hash64_radius: u32,
    digests: [bool; 3],
}

impl ImageBuilder {
    /// Stores one image entry; `push` stores its value bytes and returns its
    /// entry id.
    pub(crate) fn add(
        &mut self,
        kind: EntryKind,
        value: &str,
        thresholds: ImageThresholds,
        push: impl FnOnce(&[u8]) -> Result<u32, Error>,
    ) -> Result<(), Error> {
        let hash = HashValue::parse(kind, value)?;
        match hash {
            HashValue::Pdq { hash, .. } => {
                let words = pdq_words(&hash);
                let mut bytes = [0u8; 32];
                for (c, w) in bytes.chunks_exact_mut(8).zip(words) {
                    c.copy_from_slice(&w.to_le_bytes());
                }
                let id = push(&bytes)?;
                self.pdq.push(words);
                self.pdq_entries.push(id);
                self.pdq_radius = self.pdq_radius.max(thresholds.pdq_max_distance);
            }
            HashValue::Phash(v) | HashValue::Dhash(v) => {
                let id = push(&v.to_be_bytes())?;
                let (hashes, ids) = if kind == EntryKind::Phash {
                    (&mut self.phash, &mut self.phash_entries)
                } else {
                    (&mut self.dhash, &mut self.dhash_entries)
                };
                hashes.push(v);
                ids.push(id);
                self.hash64_radius = self.hash64_radius.max(thresholds.hash64_max_distance);
            }
            HashValue::Md5(d) => self.digest(kind, &d, push)?,
            HashValue::Sha1(d) => self.digest(kind, &d, push)?,
            HashValue::Sha256(d) => self.digest(kind, &d, push)?,
        }
        Ok(())
    }

    fn digest(
        &mut self,
        kind: EntryKind,
        d: &[u8],
        push: impl FnOnce(&[u8]) -> Result<u32, Error>,
    ) -> Result<(), Error> {
        let id = push(d)?;
        self.digest_keys.push((digest_key(kind, d), id));
        self.digests[digest_slot(kind)] = true;
        Ok(())
    }

    pub(crate) fn build(self) -> ImageIndex {
        ImageIndex {
            pdq: HammingIndex::new(self.pdq),
            pdq_entries: self.pdq_entries.into_boxed_slice(),
            phash: HammingIndex::new(self.phash),
            phash_entries: self.phash_entries.into_boxed_slice(),
            dhash: HammingIndex::new(self.dhash),
            dhash_entries: self.dhash_entries.into_boxed_slice(),
            digests: KeyTable::build(&self.digest_keys),
            digest_kinds: self.digests,
            pdq_radius: self.pdq_radius,
            hash64_radius: self.hash64_radius,
        }
    }
}

fn digest_slot(kind: EntryKind) -> usize {
    match kind {
        EntryKind::Md5 => 0,
        EntryKind::Sha1 => 1,
        _ => 2,
    }
}

/// A perceptual or exact hit: the entry, its distance and variant.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ImageHit {
    pub(crate) entry: u32,
    pub(crate) distance: Option<u32>,
    pub(crate) variant: Option<usize>,
}

/// The image part of a snapshot.
#[derive(Debug)]
pub(crate) struct ImageIndex {
    pdq: HammingIndex<[u64; 4]>,
    pdq_entries: Box<[u32]>,
    phash: HammingIndex<u64>,
    phash_entries: Box<[u32]>,
    dhash: HammingIndex<u64>,
    dhash_entries: Box<[u32]>,
    digests: KeyTable,
    digest_kinds: [bool; 3],
    pdq_radius: u32,
    hash64_radius: u32,
}

impl ImageIndex {
    /// Entry kinds that have at least one entry.
    pub(crate) fn has(&self, kind: EntryKind) -> bool {
        match kind {
            EntryKind::Pdq => !self.pdq.is_empty(),
            EntryKind::Phash => !self.phash.is_empty(),
            EntryKind::Dhash => !self.dhash.is_empty(),
            EntryKind::Md5 | EntryKind::Sha1 | EntryKind::Sha256 => {
                self.digest_kinds[digest_slot(kind)]
            }
            _ => false,
        }
    }

    /// PDQ variants (index = position in `variants`), at the largest radius
    /// any list allows; the caller applies each list's own radius.
    pub(crate) fn pdq(&self, variants: &[[u64; 4]], mut hit: impl FnMut(ImageHit)) {
        if self.pdq.is_empty() || variants.is_empty() {
            return;
        }
        let found: Vec<VariantMatch> = self.pdq.query_variants(variants, self.pdq_radius);
        for m in found {
            if let Some(&entry) = self.pdq_entries.get(m.id as usize) {
                hit(ImageHit {
                    entry,
                    distance: Some(m.distance),
                    variant: Some(usize::from(m.variant)),
                });
            }
        }
    }

    pub(crate) fn hash64(&self, kind: EntryKind, value: u64, mut hit: impl FnMut(ImageHit)) {
        let (index, entries) = if kind == EntryKind::Phash {
            (&self.phash, &self.phash_entries)
        } else {
            (&self.dhash, &self.dhash_entries)
        };
        if index.is_empty() {
            return;
        }
        for m in index.query(&value, self.hash64_radius) {
            if let Some(&entry) = entries.get(m.id as usize) {
                hit(ImageHit {
                    entry,
                    distance: Some(m.distance),
                    variant: None,
                });
            }
        }
    }

    pub(crate) fn digest(
        &self,
        kind: EntryKind,
        digest: &[u8],
        entries: &EntryStore,
        mut hit: impl FnMut(ImageHit),
    ) {
        if !self.has(kind) {
            return;
        }
        self.digests.candidates(digest_key(kind, digest), |id| {
            if entries.kind(id) == kind && entries.value(id) == digest {
                hit(ImageHit {
                    entry: id,
                    distance: None,
                    variant: None,
                });
            }
        });
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.pdq.heap_bytes()
            + self.phash.heap_bytes()
            + self.dhash.heap_bytes()
            + (self.pdq_entries.len() + self.phash_entries.len() + self.dhash_entries.len()) * 4
            + self.digests.heap_bytes()
    }
}

/// The dihedral variant at position `i` of [`Dihedral::ALL`].
pub(crate) fn variant_at(i: usize) -> Dihedral {
    Dihedral::ALL.get(i).copied().unwrap_or(Dihedral::Original)
}
