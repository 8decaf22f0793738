//! [`HashValue`]: a hash of some kind, typed — what [`super::hash_image`]
//! computes, what a list entry holds and what a query checks. Hex only at
//! the edges: [`HashValue::parse`] in, `Display` out.

use std::fmt;

use hashwall_lists::EntryKind;

use super::pdq::PdqHash;
use crate::{Error, ErrorKind};

/// A hash value of one kind: computed by [`super::hash_image`], parsed from
/// a list or a query, checked with [`crate::Snapshot::check_hash`].
///
/// `Display` prints it as lists write it (lowercase hex; PDQ word 15 first).
///
/// ```
/// use hashwall::HashValue;
/// use hashwall::lists::EntryKind;
///
/// let v = HashValue::parse(EntryKind::Phash, "00000000000000FF")?;
/// assert_eq!(v, HashValue::Phash(0xff));
/// assert_eq!(v.kind(), EntryKind::Phash);
/// assert_eq!(v.to_string(), "00000000000000ff");
/// # Ok::<(), hashwall::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HashValue {
    /// A PDQ hash, with its quality when known (an unknown quality is not
    /// held against any list's floor).
    Pdq {
        /// The hash.
        hash: PdqHash,
        /// Its quality (0–100), if known.
        quality: Option<u8>,
    },
    /// A 64-bit pHash (bit 63 is the first hex digit's high bit).
    Phash(u64),
    /// A 64-bit dHash (bit 63 is the first hex digit's high bit).
    Dhash(u64),
    /// An MD5 digest of a file.
    Md5([u8; 16]),
    /// A SHA-1 digest of a file.
    Sha1([u8; 20]),
    /// A SHA-256 digest of a file.
    Sha256([u8; 32]),
}

impl HashValue {
    /// Parses `hex` (either case) as a hash of `kind`, as lists write it:
    /// PDQ 64 digits with word 15 first, pHash/dHash 16, MD5 32, SHA-1 40,
    /// SHA-256 64.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidEntry`] when `kind` is not an image kind or the
    /// hex has the wrong length or digits.
    pub fn parse(kind: EntryKind, hex: &str) -> Result<HashValue, Error> {
        let bad = || {
            Error::new(
                ErrorKind::InvalidEntry,
                format!("`{hex}` is not a valid {} hash", kind.as_str()),
            )
        };
        let word = || {
            hashwall_lists::hex::decode_array(hex)
                .ok()
                .map(u64::from_be_bytes)
                .ok_or_else(bad)
        };
        Ok(match kind {
            EntryKind::Pdq => HashValue::Pdq {
                hash: PdqHash::from_hex(hex).ok_or_else(bad)?,
                quality: None,
            },
            EntryKind::Phash => HashValue::Phash(word()?),
            EntryKind::Dhash => HashValue::Dhash(word()?),
            EntryKind::Md5 => {
                HashValue::Md5(hashwall_lists::hex::decode_array(hex).map_err(|_| bad())?)
            }
            EntryKind::Sha1 => {
                HashValue::Sha1(hashwall_lists::hex::decode_array(hex).map_err(|_| bad())?)
            }
            EntryKind::Sha256 => {
                HashValue::Sha256(hashwall_lists::hex::decode_array(hex).map_err(|_| bad())?)
            }
            _ => {
                return Err(Error::new(
                    ErrorKind::InvalidEntry,
                    format!("`{}` is not an image hash kind", kind.as_str()),
                ));
            }
        })
    }

    /// The hash of `kind` from its raw bytes, in the order its hex form
    /// spells them: PDQ 32 bytes (word 15 first), pHash/dHash 8 (big-endian),
    /// MD5 16, SHA-1 20, SHA-256 32. For callers that hold binary hashes
    /// (a database column, a foreign function interface).
    ///
    /// ```
    /// use hashwall::HashValue;
    /// use hashwall::lists::EntryKind;
    ///
    /// let v = HashValue::from_bytes(EntryKind::Dhash, &[0, 0, 0, 0, 0, 0, 1, 0xff])?;
    /// assert_eq!(v, HashValue::parse(EntryKind::Dhash, "00000000000001ff")?);
    /// # Ok::<(), hashwall::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidEntry`] when `kind` is not an image kind or
    /// `bytes` has the wrong length for it.
    pub fn from_bytes(kind: EntryKind, bytes: &[u8]) -> Result<HashValue, Error> {
        let bad = || {
            Error::new(
                ErrorKind::InvalidEntry,
                format!(
                    "{} bytes are not a valid {} hash",
                    bytes.len(),
                    kind.as_str()
                ),
            )
        };
        Ok(match kind {
            EntryKind::Pdq => HashValue::Pdq {
                hash: PdqHash::from_bytes(&bytes.try_into().map_err(|_| bad())?),
                quality: None,
            },
            EntryKind::Phash => {
                HashValue::Phash(u64::from_be_bytes(bytes.try_into().map_err(|_| bad())?))
            }
            EntryKind::Dhash => {
                HashValue::Dhash(u64::from_be_bytes(bytes.try_into().map_err(|_| bad())?))
            }
            EntryKind::Md5 => HashValue::Md5(bytes.try_into().map_err(|_| bad())?),
            EntryKind::Sha1 => HashValue::Sha1(bytes.try_into().map_err(|_| bad())?),
            EntryKind::Sha256 => HashValue::Sha256(bytes.try_into().map_err(|_| bad())?),
            _ => {
                return Err(Error::new(
                    ErrorKind::InvalidEntry,
                    format!("`{}` is not an image hash kind", kind.as_str()),
                ));
            }
        })
    }

    /// The entry kind this hash is matched against.
    pub fn kind(&self) -> EntryKind {
        match self {
            HashValue::Pdq { .. } => EntryKind::Pdq,
            HashValue::Phash(_) => EntryKind::Phash,
            HashValue::Dhash(_) => EntryKind::Dhash,
            HashValue::Md5(_) => EntryKind::Md5,
            HashValue::Sha1(_) => EntryKind::Sha1,
            HashValue::Sha256(_) => EntryKind::Sha256,
        }
    }

    /// The PDQ quality, when this is a PDQ hash whose quality is known.
    pub fn quality(&self) -> Option<u8> {
        match self {
            HashValue::Pdq { quality, .. } => *quality,
            _ => None,
        }
    }

    /// Lowercase hex, as lists write it (the same as `to_string()`).
    pub fn to_hex(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for HashValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HashValue::Pdq { hash, .. } => fmt::Display::fmt(hash, f),
            HashValue::Phash(v) | HashValue::Dhash(v) => write!(f, "{v:016x}"),
            HashValue::Md5(b) => write!(f, "{}", hashwall_lists::hex::display(b)),
            HashValue::Sha1(b) => write!(f, "{}", hashwall_lists::hex::display(b)),
            HashValue::Sha256(b) => write!(f, "{}", hashwall_lists::hex::display(b)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_print_every_kind() {
        let cases = [
            (EntryKind::Pdq, "f".repeat(60) + "0001"),
            (EntryKind::Phash, "8000000000000001".to_owned()),
            (EntryKind::Dhash, "0123456789abcdef".to_owned()),
            (
                EntryKind::Md5,
                "d41d8cd98f00b204e9800998ecf8427e".to_owned(),
            ),
            (
                EntryKind::Sha1,
                "a9993e364706816aba3e25717850c26c9cd0d89d".to_owned(),
            ),
            (EntryKind::Sha256, "ab".repeat(32)),
        ];
        for (kind, hex) in cases {
            let v = HashValue::parse(kind, &hex.to_uppercase()).expect(&hex);
            assert_eq!(v.kind(), kind);
            assert_eq!(v.to_string(), hex);
            assert_eq!(v.quality(), None);
            assert!(HashValue::parse(kind, &hex[1..]).is_err(), "{kind}");
        }
        assert_eq!(
            HashValue::parse(EntryKind::Phash, "8000000000000001").ok(),
            Some(HashValue::Phash(0x8000_0000_0000_0001))
        );
        assert!(HashValue::parse(EntryKind::Domain, "ab").is_err());
    }

    #[test]
    fn from_bytes_reads_what_the_hex_form_spells() {
        let cases = [
            (EntryKind::Pdq, "0123456789abcdef".repeat(4)),
            (EntryKind::Phash, "8000000000000001".to_owned()),
            (EntryKind::Dhash, "0123456789abcdef".to_owned()),
            (
                EntryKind::Md5,
                "d41d8cd98f00b204e9800998ecf8427e".to_owned(),
            ),
            (
                EntryKind::Sha1,
                "a9993e364706816aba3e25717850c26c9cd0d89d".to_owned(),
            ),
            (EntryKind::Sha256, "0f".repeat(32)),
        ];
        for (kind, hex) in cases {
            let bytes = hashwall_lists::hex::decode(&hex).expect("test hex");
            let v = HashValue::from_bytes(kind, &bytes).expect(&hex);
            assert_eq!(v, HashValue::parse(kind, &hex).expect(&hex), "{kind}");
            assert_eq!(v.to_string(), hex);
            let err = HashValue::from_bytes(kind, &bytes[1..]).expect_err("too short");
            assert_eq!(err.kind(), ErrorKind::InvalidEntry, "{kind}");
        }
        assert!(HashValue::from_bytes(EntryKind::Url, &[0; 32]).is_err());
    }
}
