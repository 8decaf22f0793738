//! [`HwSnapshot`]: list files loaded through the trust store and compiled
//! into one immutable snapshot, checked by any number of threads at once.

use std::ffi::c_char;
use std::path::Path;
use std::sync::Arc;

use hashwall_engine::lists::{LoadOptions, Loader, NoFloor};
use hashwall_engine::{ListConfig, Snapshot};

use crate::error::HwError;
use crate::guard;
use crate::query::{Query, Source, check};
use crate::status::HwStatus;
use crate::verdict::HwVerdict;

/// A compiled set of lists. Immutable: one handle may be shared by every
/// thread, each checking concurrently. Freed with `hashwall_snapshot_free`
/// (an engine serving it keeps its own reference).
#[derive(Debug)]
pub struct HwSnapshot(pub(crate) Arc<Snapshot>);

/// The snapshot of the list files `paths`, each read through `loader`:
/// used only if its signature verifies against the trust store (or it is
/// unsigned and unsigned lists are allowed), it is not expired, and every
/// entry compiles. The first file that fails is the error.
fn load(paths: &[&str], loader: &Loader) -> Result<Snapshot, HwError> {
    let mut builder = Snapshot::builder();
    let config = ListConfig::default();
    for path in paths {
        // Each entry is compiled as it is read while another thread parses
        // the file and hashes it for its signature; a list that fails
        // verification fails the whole load, so nothing compiled from it
        // escapes.
        let (_, added) = loader
            .load_streamed(Path::new(path), &NoFloor, builder.list_adder(&config))
            .map_err(|e| HwError::list(&e))?;
        added.map_err(|e| {
            let status = HwStatus::of_engine(e.kind());
            HwError::new(status, format!("{path}: {e}"))
        })?;
    }
    Ok(builder.build())
}

/// Loads the list files `list_paths[0..n_paths]` into a new snapshot.
///
/// Each file must verify against the trust store at `trust_store_path`
/// (NULL: an empty store, which trusts no key); unsigned files load only
/// when `allow_unsigned` is true (a signed file must verify even then).
/// Expired lists are refused. Times are checked against the system clock.
/// With `n_paths` 0 the snapshot is empty (every verdict is no-match).
///
/// On success `*out` receives the snapshot (free it with
/// `hashwall_snapshot_free`). On failure `*out` is NULL, the status says
/// why (`HASHWALL_STATUS_IO`, `_LIST_FORMAT`, `_UNSIGNED`,
/// `_UNTRUSTED_KEY`, `_BAD_SIGNATURE`, `_EXPIRED`, `_INVALID_ENTRY`, …) and
/// `*err`, when `err` is not NULL, receives an error naming the file.
///
/// # Safety
///
/// `list_paths` is NULL (only with `n_paths` 0) or points to `n_paths`
/// NUL-terminated UTF-8 strings; `trust_store_path` is NULL or such a
/// string; `out` is valid for writing a pointer; `err` is NULL or valid for
/// writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hashwall_snapshot_load(
    list_paths: *const *const c_char,
    n_paths: usize,
    trust_store_path: *const c_char,
    allow_unsigned: bool,
    out: *mut *mut HwSnapshot,
    err: *mut *mut HwError,
) -> HwStatus {
    let body = || {
        // SAFETY: `out` is valid for writes (contract).
        let out = unsafe { guard::out(out, "out") }?;
        let mut paths = Vec::with_capacity(n_paths.min(1024));
        if n_paths > 0 && list_paths.is_null() {
            return Err(guard::null("list_paths"));
        }
        for i in 0..n_paths {
            // SAFETY: `n_paths` readable pointers at `list_paths` (contract).
            let p = unsafe { list_paths.add(i).read() };
            // SAFETY: each a NUL-terminated string (contract).
            paths.push(unsafe { guard::text(p, "a list path") }?);
        }
        let trust = if trust_store_path.is_null() {
            None
        } else {
            // SAFETY: a NUL-terminated string (contract).
            Some(Path::new(unsafe {
                guard::text(trust_store_path, "trust_store_path")
            }?))
        };
        let options = LoadOptions {
            allow_unsigned,
            ..LoadOptions::default()
        };
        let loader = Loader::open(trust, options).map_err(|e| HwError::list(&e))?;
        out.set(HwSnapshot(Arc::new(load(&paths, &loader)?)));
        Ok(())
    };
    // SAFETY: `err` is NULL or valid for writes (contract).
    unsafe { guard::call(err, body) }
}

/// The number of lists compiled into `snapshot` (0 for NULL).
///
/// # Safety
///
/// `snapshot` is NULL or a snapshot from this library, not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hashwall_snapshot_list_count(snapshot: *const HwSnapshot) -> usize {
    guard::or_some(0, || {
        // SAFETY: NULL or a live snapshot (contract).
        unsafe { snapshot.as_ref() }.map(|s| s.0.lists().len())
    })
}

/// Frees a snapshot handle. NULL is ignored. Engines serving it keep it
/// alive until they swap it out.
///
/// # Safety
///
/// `snapshot` is NULL or a snapshot from this library, not freed before,
/// and no other thread is using this handle; it must not be used
/// afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hashwall_snapshot_free(snapshot: *mut HwSnapshot) {
    // SAFETY: the caller hands back ownership (or NULL).
    guard::or((), || drop(unsafe { guard::take(snapshot) }));
}

impl Source for HwSnapshot {
    const NAME: &str = "snapshot";
    fn snapshot(&self) -> Arc<Snapshot> {
        Arc::clone(&self.0)
    }
}

/// Checks a URL (NUL-terminated UTF-8; canonicalised as Safe Browsing
/// does). On success `*out` receives the verdict (free it with
/// `hashwall_verdict_free`); a URL that cannot be canonicalised is a
/// `HASHWALL_STATUS_URL_*` status: the caller decides whether that fails
/// open or closed.
///
/// # Safety
///
/// `snapshot` is NULL or a live snapshot; `url` is NULL or a NUL-terminated
/// string; `out` is valid for writing a pointer; `err` is NULL or valid for
/// writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hashwall_snapshot_check_url(
    snapshot: *const HwSnapshot,
    url: *const c_char,
    out: *mut *mut HwVerdict,
    err: *mut *mut HwError,
) -> HwStatus {
    // SAFETY: forwarded contract.
    unsafe { check(snapshot, || Query::url(url), out, err) }
}

/// Checks an image: a whole file's `len` bytes (JPEG, PNG, GIF, WebP, BMP,
/// TIFF), hashed with PDQ (and its rotations), pHash, dHash and the file
/// digests the lists use. An undecodable image is a
/// `HASHWALL_STATUS_IMAGE_*` status unless a file digest matched.
///
/// # Safety
///
/// `snapshot` is NULL or a live snapshot; `bytes` is NULL (only with `len`
/// 0) or valid for reading `len` bytes; `out` is valid for writing a
/// pointer; `err` is NULL or valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hashwall_snapshot_check_image(
    snapshot: *const HwSnapshot,
    bytes: *const u8,
    len: usize,
    out: *mut *mut HwVerdict,
    err: *mut *mut HwError,
) -> HwStatus {
    // SAFETY: forwarded contract.
    unsafe { check(snapshot, || Query::image(bytes, len), out, err) }
}

/// Checks a hash computed elsewhere, given as hex digits (either case) of
/// `kind` (a `HASHWALL_HASH_KIND_*` value). A wrong kind or value is
/// `HASHWALL_STATUS_INVALID_ARGUMENT`.
///
/// # Safety
///
/// `snapshot` is NULL or a live snapshot; `hex` is NULL or a
/// NUL-terminated string; `out` is valid for writing a pointer; `err` is
/// NULL or valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hashwall_snapshot_check_hash_hex(
    snapshot: *const HwSnapshot,
    kind: i32,
    hex: *const c_char,
    out: *mut *mut HwVerdict,
    err: *mut *mut HwError,
) -> HwStatus {
    // SAFETY: forwarded contract.
    unsafe { check(snapshot, || Query::hash_hex(kind, hex), out, err) }
}

/// Checks a hash computed elsewhere, given as `len` raw bytes of `kind`
/// (in the order its hex form spells them; see `hashwall_hash_kind`).
///
/// # Safety
///
/// `snapshot` is NULL or a live snapshot; `bytes` is NULL (only with `len`
/// 0) or valid for reading `len` bytes; `out` is valid for writing a
/// pointer; `err` is NULL or valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hashwall_snapshot_check_hash_bytes(
    snapshot: *const HwSnapshot,
    kind: i32,
    bytes: *const u8,
    len: usize,
    out: *mut *mut HwVerdict,
    err: *mut *mut HwError,
) -> HwStatus {
    // SAFETY: forwarded contract.
    unsafe { check(snapshot, || Query::hash_bytes(kind, bytes, len), out, err) }
}
