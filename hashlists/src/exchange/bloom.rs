//! A portable Bloom filter: a specified byte format and a specified hash,
//! so that a filter built here is read bit for bit the same by a partner's
//! implementation in any language. Byte layout in `EXCHANGE.md`.
//!
//! Why not the `bloomfilter` or `fastbloom` crates: they derive bit positions
//! from Rust's `Hash` trait with per-process keys, so their bytes cannot be
//! checked by anyone else.

use sha2::{Digest, Sha256};

use crate::error::{Error, ErrorKind};
use crate::key::Signature;
use crate::time::Timestamp;

mod file;
mod signature;

/// The file's first eight bytes.
pub const BLOOM_MAGIC: [u8; 8] = *b"HWBLOOM\0";

/// The format version this crate reads and writes.
pub const BLOOM_VERSION: u16 = 1;

/// Length of the fixed header, before the bit array.
pub const BLOOM_HEADER_LEN: usize = 48;

/// Length of the SHA-256 checksum that ends the file.
const CHECKSUM_LEN: usize = 32;

/// Header flag: a signature block follows the bit array.
pub const BLOOM_FLAG_SIGNED: u16 = 1;

/// Domain-separation tag of the signed digest of a Bloom filter.
pub const BLOOM_SIGNATURE_DOMAIN: &[u8] = b"hashwall-bloom-signature-v1\0";

/// Longest issuer name a signature block holds, in bytes.
pub const MAX_BLOOM_ISSUER_LEN: usize = 255;

/// Signature block bytes besides the issuer: its length (2), the signing
/// time (8), the key id (8), the ed25519 signature (64).
const SIG_FIXED_LEN: usize = 2 + 8 + 8 + 64;

/// Who signed a filter, when, and the signature over its canonical bytes
/// (`EXCHANGE.md`, "Signature").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BloomSignature {
    /// The exporter, as named in partners' trust stores.
    pub issuer: String,
    /// When it was signed (checked against the key's validity window).
    pub created: Timestamp,
    /// The key id and the signature.
    pub signature: Signature,
}

/// Largest bit count accepted: 2³⁵ bits = 4 GiB of bit array, room for ~2
/// billion items at 0.1 %. Bounds the memory a hostile header can ask for.
pub const MAX_BLOOM_BITS: u64 = 1 << 35;

/// Largest number of hash functions accepted. At a false-positive rate of
/// 10⁻¹² the optimum is 40; more only costs time.
pub const MAX_BLOOM_HASHES: u32 = 64;

/// Smallest bit array written, so that an empty list still yields a filter
/// with a sane shape.
const MIN_BITS: u64 = 64;

/// What an item is: each kind is hashed with its own domain-separation tag,
/// so an MD5 that happens to equal some URL's bytes cannot collide with it,
/// and a `url` (exact) entry is not mistaken for a `url-prefix` one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BloomTag {
    /// A `url` entry: the canonical full expression, matched only by a
    /// URL's first expression.
    UrlExact,
    /// A `url-prefix` entry: a canonical expression, matched by any of a
    /// URL's expressions.
    UrlPrefix,
    /// A `domain` entry: a canonical host, matched by a URL's host or any
    /// parent domain.
    Domain,
    /// A `url-sha256` entry: the 32-byte SHA-256 of an expression.
    UrlSha256,
    /// An `md5` entry: the 16 digest bytes.
    Md5,
    /// A `sha1` entry: the 20 digest bytes.
    Sha1,
    /// A `sha256` entry: the 32 digest bytes.
    Sha256,
}

impl BloomTag {
    /// Every tag, in the order of their bits in the header's tag mask.
    pub const ALL: [BloomTag; 7] = [
        BloomTag::UrlExact,
        BloomTag::UrlPrefix,
        BloomTag::Domain,
        BloomTag::UrlSha256,
        BloomTag::Md5,
        BloomTag::Sha1,
        BloomTag::Sha256,
    ];

    /// The tag's bit in the header's tag mask.
    pub const fn bit(self) -> u64 {
        1 << match self {
            BloomTag::UrlExact => 0,
            BloomTag::UrlPrefix => 1,
            BloomTag::Domain => 2,
            BloomTag::UrlSha256 => 3,
            BloomTag::Md5 => 4,
            BloomTag::Sha1 => 5,
            BloomTag::Sha256 => 6,
        }
    }

    /// The tag's bytes, hashed before a 0x00 byte and the item.
    pub const fn as_str(self) -> &'static str {
        match self {
            BloomTag::UrlExact => "hashwall-bloom-v1:url",
            BloomTag::UrlPrefix => "hashwall-bloom-v1:url-prefix",
            BloomTag::Domain => "hashwall-bloom-v1:domain",
            BloomTag::UrlSha256 => "hashwall-bloom-v1:url-sha256",
            BloomTag::Md5 => "hashwall-bloom-v1:md5",
            BloomTag::Sha1 => "hashwall-bloom-v1:sha1",
            BloomTag::Sha256 => "hashwall-bloom-v1:sha256",
        }
    }
}

/// A Bloom filter in the hashwall exchange format.
///
/// ```
/// use hashwall_lists::exchange::{BloomFilter, BloomTag};
///
/// let mut f = BloomFilter::with_rate(1000, 0.001)?;
/// f.insert(BloomTag::UrlPrefix, b"evil.example/gallery/");
/// assert!(f.contains(BloomTag::UrlPrefix, b"evil.example/gallery/"));
/// let bytes = f.to_bytes();
/// assert_eq!(BloomFilter::from_bytes(&bytes)?, f);
/// # Ok::<(), hashwall_lists::Error>(())
/// ```
#[derive(Clone, PartialEq)]
pub struct BloomFilter {
    m: u64,
    k: u32,
    n: u64,
    fp_rate: f64,
    /// Which tags have been inserted ([`BloomTag::bit`]): a URL check
    /// probes up to ~66 items, and skipping the tags a filter never holds
    /// keeps its false-positive rate near that of the tags it does hold.
    tags: u64,
    bits: Vec<u8>,
    /// Set by [`BloomFilter::sign`] or read from a signed file; any
    /// insertion drops it.
    signature: Option<BloomSignature>,
}

impl std::fmt::Debug for BloomFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BloomFilter")
            .field("m", &self.m)
            .field("k", &self.k)
            .field("n", &self.n)
            .field("fp_rate", &self.fp_rate)
            .field("tags", &self.tags)
            .field("signature", &self.signature)
            .finish_non_exhaustive()
    }
}

fn bloom_error(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::BloomFormat, msg)
}

/// Bytes of bit array for `m` bits.
fn array_len(m: u64) -> u64 {
    m.div_ceil(8)
}

impl BloomFilter {
    /// An empty filter sized for `expected_items` at false-positive rate
    /// `fp_rate` (0 < rate < 1): m = ⌈−n·ln p / (ln 2)²⌉ bits (at least 64),
    /// k = round(m/n · ln 2) hash functions, clamped to 1..=64.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BloomFormat`] when the rate is not in (0, 1) or the
    /// filter would exceed [`MAX_BLOOM_BITS`].
    pub fn with_rate(expected_items: u64, fp_rate: f64) -> Result<BloomFilter, Error> {
        if !(fp_rate > 0.0 && fp_rate < 1.0) {
            return Err(bloom_error(format!(
                "false-positive rate must be between 0 and 1 (exclusive), got {fp_rate}"
            )));
        }
        let n = expected_items.max(1) as f64;
        let ln2 = std::f64::consts::LN_2;
        let m = (-(n * fp_rate.ln()) / (ln2 * ln2)).ceil();
        if !m.is_finite() || m > MAX_BLOOM_BITS as f64 {
            return Err(bloom_error(format!(
                "{expected_items} items at rate {fp_rate} need {m} bits, more than the {MAX_BLOOM_BITS} bit limit"
            )));
        }
        let m = (m as u64).max(MIN_BITS);
        let k = ((m as f64 / n) * ln2)
            .round()
            .clamp(1.0, f64::from(MAX_BLOOM_HASHES)) as u32;
        BloomFilter::with_params(m, k, fp_rate)
    }

    /// An empty filter with `m` bits and `k` hash functions; `fp_rate` is
    /// recorded in the header for information only.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BloomFormat`] when `m` is 0 or above [`MAX_BLOOM_BITS`],
    /// or `k` is 0 or above [`MAX_BLOOM_HASHES`].
    pub fn with_params(m: u64, k: u32, fp_rate: f64) -> Result<BloomFilter, Error> {
        check_params(m, k)?;
        let len = usize::try_from(array_len(m))
            .map_err(|_| bloom_error("bit array does not fit in memory on this platform"))?;
        Ok(BloomFilter {
            m,
            k,
            n: 0,
            fp_rate,
            tags: 0,
            bits: vec![0; len],
            signature: None,
        })
    }

    /// Number of bits (m).
    pub fn bits(&self) -> u64 {
        self.m
    }

    /// Number of hash functions (k).
    pub fn hashes(&self) -> u32 {
        self.k
    }

    /// Number of insertions made (n), duplicates included.
    pub fn items(&self) -> u64 {
        self.n
    }

    /// The false-positive rate the filter was sized for (informational).
    pub fn target_fp_rate(&self) -> f64 {
        self.fp_rate
    }

    /// The expected false-positive rate for the items inserted:
    /// (1 − e^(−k·n/m))^k.
    pub fn estimated_fp_rate(&self) -> f64 {
        let (k, n, m) = (f64::from(self.k), self.n as f64, self.m as f64);
        (1.0 - (-k * n / m).exp()).powf(k)
    }

    /// The bit indices of an item: d = SHA-256(tag ‖ 0x00 ‖ item),
    /// h1 = d[0..8] and h2 = d[8..16] as little-endian u64, h2 forced odd,
    /// index_i = (h1 + i·h2 mod 2⁶⁴) mod m for i in 0..k
    /// (Kirsch–Mitzenmacher double hashing).
    fn indices(&self, tag: BloomTag, item: &[u8]) -> impl Iterator<Item = u64> + use<> {
        let mut sha = Sha256::new();
        sha.update(tag.as_str().as_bytes());
        sha.update([0u8]);
        sha.update(item);
        let d: [u8; 32] = sha.finalize().into();
        let mut h1 = [0u8; 8];
        let mut h2 = [0u8; 8];
        h1.copy_from_slice(&d[..8]);
        h2.copy_from_slice(&d[8..16]);
        let h1 = u64::from_le_bytes(h1);
        // Odd, so that h2 is never 0 (which would give k equal indices).
        let h2 = u64::from_le_bytes(h2) | 1;
        let m = self.m;
        (0..u64::from(self.k)).map(move |i| h1.wrapping_add(i.wrapping_mul(h2)) % m)
    }

    /// Add an item.
    pub fn insert(&mut self, tag: BloomTag, item: &[u8]) {
        for i in self.indices(tag, item) {
            // i < m, and bits holds ⌈m/8⌉ bytes.
            if let Some(byte) = self.bits.get_mut((i / 8) as usize) {
                *byte |= 1 << (i % 8);
            }
        }
        self.n = self.n.saturating_add(1);
        self.tags |= tag.bit();
        self.signature = None;
    }

    /// Whether any item with this tag has been inserted.
    pub fn has_tag(&self, tag: BloomTag) -> bool {
        self.tags & tag.bit() != 0
    }

    /// Whether the item may have been inserted (`false`: certainly not).
    pub fn contains(&self, tag: BloomTag, item: &[u8]) -> bool {
        self.has_tag(tag)
            && self.indices(tag, item).all(|i| {
                self.bits
                    .get((i / 8) as usize)
                    .is_some_and(|b| b & (1 << (i % 8)) != 0)
            })
    }
}

fn check_params(m: u64, k: u32) -> Result<(), Error> {
    if m == 0 || m > MAX_BLOOM_BITS {
        return Err(bloom_error(format!(
            "bit count m = {m} is out of range 1..={MAX_BLOOM_BITS}"
        )));
    }
    if k == 0 || k > MAX_BLOOM_HASHES {
        return Err(bloom_error(format!(
            "hash count k = {k} is out of range 1..={MAX_BLOOM_HASHES}"
        )));
    }
    Ok(())
}
