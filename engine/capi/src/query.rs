//! [`Query`]: one input to check (a URL, an image, a hash), read from C
//! arguments, checked against a snapshot into a [`HwVerdict`]. The
//! snapshot and engine handles share it.

use std::ffi::c_char;
use std::sync::Arc;

use hashwall_engine::lists::EntryKind;
use hashwall_engine::{HashValue, Snapshot};

use crate::error::HwError;
use crate::guard;
use crate::status::HwStatus;
use crate::verdict::HwVerdict;

/// The kind of a hash passed to the `check_hash` functions (as an
/// `int32_t`: any other value is `HASHWALL_STATUS_INVALID_ARGUMENT`).
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HwHashKind {
    /// Meta PDQ: 64 hex digits or 32 bytes (word 15 first).
    Pdq = 1,
    /// 64-bit pHash: 16 hex digits or 8 bytes, big-endian.
    Phash = 2,
    /// 64-bit dHash: 16 hex digits or 8 bytes, big-endian.
    Dhash = 3,
    /// MD5 of the file: 32 hex digits or 16 bytes.
    Md5 = 4,
    /// SHA-1 of the file: 40 hex digits or 20 bytes.
    Sha1 = 5,
    /// SHA-256 of the file: 64 hex digits or 32 bytes.
    Sha256 = 6,
}

/// The entry kind for a C hash-kind code.
fn kind_of(code: i32) -> Result<EntryKind, HwError> {
    let kinds = [
        (HwHashKind::Pdq, EntryKind::Pdq),
        (HwHashKind::Phash, EntryKind::Phash),
        (HwHashKind::Dhash, EntryKind::Dhash),
        (HwHashKind::Md5, EntryKind::Md5),
        (HwHashKind::Sha1, EntryKind::Sha1),
        (HwHashKind::Sha256, EntryKind::Sha256),
    ];
    kinds
        .into_iter()
        .find(|(c, _)| *c as i32 == code)
        .map(|(_, k)| k)
        .ok_or_else(|| {
            HwError::new(
                HwStatus::InvalidArgument,
                format!("{code} is not a hash kind (HASHWALL_HASH_KIND_PDQ … _SHA256)"),
            )
        })
}

/// A bad hash value is the caller's argument, not a list entry.
fn bad_hash(e: &hashwall_engine::Error) -> HwError {
    HwError::new(HwStatus::InvalidArgument, e.to_string())
}

/// One input to check.
pub(crate) enum Query<'a> {
    Url(&'a str),
    Image(&'a [u8]),
    Hash(HashValue),
}

impl<'a> Query<'a> {
    /// A URL query.
    ///
    /// # Safety
    ///
    /// `url` is NULL or a NUL-terminated string alive for `'a`.
    pub(crate) unsafe fn url(url: *const c_char) -> Result<Query<'a>, HwError> {
        // SAFETY: forwarded contract.
        Ok(Query::Url(unsafe { guard::text(url, "url") }?))
    }

    /// An image query (a whole file's bytes).
    ///
    /// # Safety
    ///
    /// `bytes` is NULL or valid for reading `len` bytes for `'a`.
    pub(crate) unsafe fn image(bytes: *const u8, len: usize) -> Result<Query<'a>, HwError> {
        // SAFETY: forwarded contract.
        Ok(Query::Image(unsafe { guard::bytes(bytes, len, "image") }?))
    }

    /// A hash given as hex digits (either case).
    ///
    /// # Safety
    ///
    /// `hex` is NULL or a NUL-terminated string.
    pub(crate) unsafe fn hash_hex(kind: i32, hex: *const c_char) -> Result<Query<'a>, HwError> {
        let kind = kind_of(kind)?;
        // SAFETY: forwarded contract.
        let hex = unsafe { guard::text(hex, "hash") }?;
        let value = HashValue::parse(kind, hex).map_err(|e| bad_hash(&e))?;
        Ok(Query::Hash(value))
    }

    /// A hash given as raw bytes.
    ///
    /// # Safety
    ///
    /// `bytes` is NULL or valid for reading `len` bytes.
    pub(crate) unsafe fn hash_bytes(
        kind: i32,
        bytes: *const u8,
        len: usize,
    ) -> Result<Query<'a>, HwError> {
        let kind = kind_of(kind)?;
        // SAFETY: forwarded contract.
        let bytes = unsafe { guard::bytes(bytes, len, "hash") }?;
        let value = HashValue::from_bytes(kind, bytes).map_err(|e| bad_hash(&e))?;
        Ok(Query::Hash(value))
    }

    /// The verdict of `snapshot` on this input.
    pub(crate) fn check(self, snapshot: &Snapshot) -> Result<HwVerdict, HwError> {
        let verdict = match self {
            Query::Url(url) => snapshot.check_url(url),
            Query::Image(bytes) => snapshot.check_image(bytes),
            Query::Hash(h) => Ok(snapshot.check_hash(&h)),
        }
        .map_err(|e| HwError::engine(&e))?;
        Ok(HwVerdict::new(&verdict))
    }
}

/// A handle queries are checked against: a snapshot, or an engine's
/// current one.
pub(crate) trait Source {
    /// The argument's name in error messages.
    const NAME: &str;
    /// The snapshot to check against.
    fn snapshot(&self) -> Arc<Snapshot>;
}

/// Checks the input `query` reads against `source`; the verdict into
/// `*out`.
///
/// # Safety
///
/// `source` is NULL or a live handle; `out` is valid for writing a pointer;
/// `err` is NULL or valid for writing a pointer; `query` reads its own
/// arguments under its own contract.
pub(crate) unsafe fn check<'a, S: Source>(
    source: *const S,
    query: impl FnOnce() -> Result<Query<'a>, HwError>,
    out: *mut *mut HwVerdict,
    err: *mut *mut HwError,
) -> HwStatus {
    let body = || {
        // SAFETY: `out` is valid for writes (contract).
        let out = unsafe { guard::out(out, "out") }?;
        // SAFETY: NULL or a live handle (contract).
        let source = unsafe { guard::handle(source, S::NAME) }?;
        out.set(query()?.check(&source.snapshot())?);
        Ok(())
    };
    // SAFETY: `err` is NULL or valid for writes (contract).
    unsafe { guard::call(err, body) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_kinds_and_bad_values_are_invalid_arguments() {
        assert_eq!(
            kind_of(0).map_err(|e| e.status()).err(),
            Some(HwStatus::InvalidArgument)
        );
        assert_eq!(kind_of(HwHashKind::Sha1 as i32).ok(), Some(EntryKind::Sha1));
        let bad = c"abc";
        // SAFETY: a NUL-terminated literal.
        let e = unsafe { Query::hash_hex(HwHashKind::Md5 as i32, bad.as_ptr()) }.err();
        assert_eq!(e.map(|e| e.status()), Some(HwStatus::InvalidArgument));
    }
}
