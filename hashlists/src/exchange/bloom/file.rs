//! The Bloom filter's byte format (`EXCHANGE.md`): writing, and reading
//! with every declared size checked before anything is allocated.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::{
    BLOOM_FLAG_SIGNED, BLOOM_HEADER_LEN, BLOOM_MAGIC, BLOOM_VERSION, BloomFilter, BloomSignature,
    BloomTag, CHECKSUM_LEN, MAX_BLOOM_ISSUER_LEN, SIG_FIXED_LEN, array_len, bloom_error,
    check_params,
};
use crate::error::Error;
use crate::key::{KeyId, Signature};
use crate::time::Timestamp;

impl BloomFilter {
    /// The header as written: flags say whether a signature follows.
    pub(super) fn header(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(BLOOM_HEADER_LEN);
        let flags = if self.signature.is_some() {
            BLOOM_FLAG_SIGNED
        } else {
            0
        };
        out.extend_from_slice(&BLOOM_MAGIC);
        out.extend_from_slice(&BLOOM_VERSION.to_le_bytes());
        out.extend_from_slice(&flags.to_le_bytes());
        out.extend_from_slice(&self.k.to_le_bytes());
        out.extend_from_slice(&self.m.to_le_bytes());
        out.extend_from_slice(&self.n.to_le_bytes());
        out.extend_from_slice(&self.fp_rate.to_le_bytes());
        out.extend_from_slice(&self.tags.to_le_bytes());
        debug_assert_eq!(out.len(), BLOOM_HEADER_LEN);
        out
    }

    /// The filter in the exchange format: header, bit array, the
    /// signature block if signed, checksum.
    pub fn to_bytes(&self) -> Vec<u8> {
        let sig_len = self
            .signature
            .as_ref()
            .map_or(0, |s| SIG_FIXED_LEN + s.issuer.len());
        let mut out =
            Vec::with_capacity(BLOOM_HEADER_LEN + self.bits.len() + sig_len + CHECKSUM_LEN);
        out.extend_from_slice(&self.header());
        out.extend_from_slice(&self.bits);
        if let Some(s) = &self.signature {
            out.extend_from_slice(&(s.issuer.len() as u16).to_le_bytes());
            out.extend_from_slice(s.issuer.as_bytes());
            out.extend_from_slice(&s.created.unix_seconds().to_le_bytes());
            out.extend_from_slice(&s.signature.key_id.0);
            out.extend_from_slice(&s.signature.bytes);
        }
        let sum: [u8; 32] = Sha256::digest(&out).into();
        out.extend_from_slice(&sum);
        out
    }

    /// Parse the exchange format.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BloomFormat`](crate::ErrorKind::BloomFormat) for a wrong magic, an unknown version or
    /// flags, parameters out of range, a length that does not match `m`, or
    /// a checksum mismatch. Nothing is allocated from the declared sizes
    /// before they are checked against the bytes actually present.
    pub fn from_bytes(bytes: &[u8]) -> Result<BloomFilter, Error> {
        let header = bytes.get(..BLOOM_HEADER_LEN).ok_or_else(|| {
            bloom_error(format!(
                "file is {} bytes, shorter than the {BLOOM_HEADER_LEN} byte header",
                bytes.len()
            ))
        })?;
        let h = parse_header(header)?;
        let (min, max) = h.len_range();
        let len = bytes.len() as u64;
        if len < min || len > max {
            return Err(bloom_error(h.length_message(len)));
        }
        let body_end = bytes.len() - CHECKSUM_LEN;
        let sum: [u8; 32] = Sha256::digest(&bytes[..body_end]).into();
        if sum[..] != bytes[body_end..] {
            return Err(bloom_error(
                "checksum mismatch: the file is truncated or corrupted",
            ));
        }
        // In range, so the bit array fits in the bytes present.
        let bits_end = BLOOM_HEADER_LEN + array_len(h.m) as usize;
        let signature = if h.signed {
            Some(parse_signature(&bytes[bits_end..body_end])?)
        } else if bits_end != body_end {
            return Err(bloom_error(h.length_message(len)));
        } else {
            None
        };
        Ok(BloomFilter {
            m: h.m,
            k: h.k,
            n: h.n,
            fp_rate: h.fp_rate,
            tags: h.tags,
            bits: bytes[BLOOM_HEADER_LEN..bits_end].to_vec(),
            signature,
        })
    }

    /// Read a filter file. The header is checked before the bit array is
    /// read, so a giant declared size is a typed error, not an allocation.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Io`](crate::ErrorKind::Io), or as [`BloomFilter::from_bytes`]; errors carry
    /// `path`.
    pub fn read_file(path: &Path) -> Result<BloomFilter, Error> {
        let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let mut header = [0u8; BLOOM_HEADER_LEN];
        let mut got = 0;
        while got < header.len() {
            match file.read(&mut header[got..]) {
                Ok(0) => break,
                Ok(r) => got += r,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::io(path, e)),
            }
        }
        let h = parse_header(&header[..got]).map_err(|e| e.with_path(path))?;
        let (min, max) = h.len_range();
        let actual = file.metadata().map_err(|e| Error::io(path, e))?.len();
        if actual < min || actual > max {
            return Err(bloom_error(h.length_message(actual)).with_path(path));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(actual).unwrap_or(0));
        bytes.extend_from_slice(&header);
        // `take` bounds the read even if the file grows meanwhile.
        file.take(max - BLOOM_HEADER_LEN as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(path, e))?;
        BloomFilter::from_bytes(&bytes).map_err(|e| e.with_path(path))
    }
}

fn le_u64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// A checked header.
struct Header {
    m: u64,
    k: u32,
    n: u64,
    fp_rate: f64,
    tags: u64,
    signed: bool,
}

impl Header {
    /// The shortest and longest file this header allows.
    fn len_range(&self) -> (u64, u64) {
        let base = BLOOM_HEADER_LEN as u64 + array_len(self.m) + CHECKSUM_LEN as u64;
        if self.signed {
            let fixed = base + SIG_FIXED_LEN as u64;
            (fixed + 1, fixed + MAX_BLOOM_ISSUER_LEN as u64)
        } else {
            (base, base)
        }
    }

    fn length_message(&self, actual: u64) -> String {
        let (min, max) = self.len_range();
        let what = if self.signed { "signed, " } else { "" };
        if min == max {
            format!(
                "file is {actual} bytes but its header ({what}m = {} bits) says {min}",
                self.m
            )
        } else {
            format!(
                "file is {actual} bytes but its header ({what}m = {} bits) says {min} to {max}",
                self.m
            )
        }
    }
}

/// Parse the signature block (between the bit array and the checksum).
fn parse_signature(b: &[u8]) -> Result<BloomSignature, Error> {
    let bad = |why: &str| bloom_error(format!("bad signature block: {why}"));
    let (len, rest) = b.split_at_checked(2).ok_or_else(|| bad("too short"))?;
    let len = usize::from(u16::from_le_bytes([len[0], len[1]]));
    if len == 0 || len > MAX_BLOOM_ISSUER_LEN || rest.len() != len + SIG_FIXED_LEN - 2 {
        return Err(bad("issuer length does not match the block"));
    }
    let (issuer, rest) = rest.split_at(len);
    let issuer = std::str::from_utf8(issuer).map_err(|_| bad("issuer is not UTF-8"))?;
    if issuer.chars().any(char::is_control) {
        return Err(bad("issuer holds control characters"));
    }
    let created = Timestamp::from_unix_seconds(le_u64(rest, 0) as i64);
    let mut id = [0u8; 8];
    id.copy_from_slice(&rest[8..16]);
    let mut sig = [0u8; 64];
    sig.copy_from_slice(&rest[16..80]);
    Ok(BloomSignature {
        issuer: issuer.to_owned(),
        created,
        signature: Signature {
            key_id: KeyId(id),
            bytes: sig,
        },
    })
}

/// Check a header.
fn parse_header(h: &[u8]) -> Result<Header, Error> {
    if h.len() < BLOOM_HEADER_LEN {
        return Err(bloom_error(format!(
            "file is {} bytes, shorter than the {BLOOM_HEADER_LEN} byte header",
            h.len()
        )));
    }
    if h[..8] != BLOOM_MAGIC {
        return Err(bloom_error("not a hashwall Bloom filter (bad magic)"));
    }
    let version = u16::from_le_bytes([h[8], h[9]]);
    if version != BLOOM_VERSION {
        return Err(bloom_error(format!(
            "unsupported Bloom filter version {version}, this reader supports {BLOOM_VERSION}"
        )));
    }
    let flags = u16::from_le_bytes([h[10], h[11]]);
    if flags & !BLOOM_FLAG_SIGNED != 0 {
        return Err(bloom_error(format!("unknown flags {flags:#06x}")));
    }
    let k = u32::from_le_bytes([h[12], h[13], h[14], h[15]]);
    let m = le_u64(h, 16);
    let n = le_u64(h, 24);
    let fp_rate = f64::from_bits(le_u64(h, 32));
    check_params(m, k)?;
    let tags = le_u64(h, 40);
    let known = BloomTag::ALL.iter().fold(0, |acc, t| acc | t.bit());
    if tags & !known != 0 {
        return Err(bloom_error(format!(
            "unknown tag bits {:#x}",
            tags & !known
        )));
    }
    Ok(Header {
        m,
        k,
        n,
        fp_rate,
        tags,
        signed: flags & BLOOM_FLAG_SIGNED != 0,
    })
}
