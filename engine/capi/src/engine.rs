//! [`HwEngine`]: the current snapshot, swapped atomically while other
//! threads check against it ([`hashwall_engine::Engine`]).

use std::ffi::c_char;
use std::sync::Arc;

use hashwall_engine::{Engine, Snapshot};

use crate::error::HwError;
use crate::guard;
use crate::query::{Query, Source, check};
use crate::snapshot::HwSnapshot;
use crate::status::HwStatus;
use crate::verdict::HwVerdict;

/// A handle on the current snapshot. Share one engine between every thread:
/// checks never wait, and `hashwall_engine_swap` replaces the snapshot
/// while they run (a check that started on the old one finishes on it).
/// Freed with `hashwall_engine_free` once no thread uses it.
#[derive(Debug)]
pub struct HwEngine(Engine);

impl Source for HwEngine {
    const NAME: &str = "engine";
    fn snapshot(&self) -> Arc<Snapshot> {
        self.0.snapshot()
    }
}

/// A new engine serving `snapshot` (shared, not copied: the caller still
/// owns and frees its snapshot handle). `*out` receives the engine.
///
/// # Safety
///
/// `snapshot` is NULL or a live snapshot; `out` is valid for writing a
/// pointer; `err` is NULL or valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hashwall_engine_new(
    snapshot: *const HwSnapshot,
    out: *mut *mut HwEngine,
    err: *mut *mut HwError,
) -> HwStatus {
    let body = || {
        // SAFETY: `out` is valid for writes (contract).
        let out = unsafe { guard::out(out, "out") }?;
        // SAFETY: NULL or a live snapshot (contract).
        let snapshot = unsafe { guard::handle(snapshot, "snapshot") }?;
        out.set(HwEngine(Engine::new(Arc::clone(&snapshot.0))));
        Ok(())
    };
    // SAFETY: `err` is NULL or valid for writes (contract).
    unsafe { guard::call(err, body) }
}

/// Makes `snapshot` the engine's current one, atomically: checks already
/// running finish on the old snapshot, later ones use the new. The caller
/// still owns and frees its snapshot handle. Safe to call while other
/// threads check through the same engine.
///
/// # Safety
///
/// `engine` is NULL or a live engine; `snapshot` is NULL or a live
/// snapshot; `err` is NULL or valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hashwall_engine_swap(
    engine: *const HwEngine,
    snapshot: *const HwSnapshot,
    err: *mut *mut HwError,
) -> HwStatus {
    let body = || {
        // SAFETY: NULL or a live engine (contract).
        let engine = unsafe { guard::handle(engine, "engine") }?;
        // SAFETY: NULL or a live snapshot (contract).
        let snapshot = unsafe { guard::handle(snapshot, "snapshot") }?;
        drop(engine.0.swap(Arc::clone(&snapshot.0)));
        Ok(())
    };
    // SAFETY: `err` is NULL or valid for writes (contract).
    unsafe { guard::call(err, body) }
}

/// A new handle on the engine's current snapshot (kept alive by the handle
/// after later swaps); free it with `hashwall_snapshot_free`.
///
/// # Safety
///
/// `engine` is NULL or a live engine; `out` is valid for writing a
/// pointer; `err` is NULL or valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hashwall_engine_snapshot(
    engine: *const HwEngine,
    out: *mut *mut HwSnapshot,
    err: *mut *mut HwError,
) -> HwStatus {
    let body = || {
        // SAFETY: `out` is valid for writes (contract).
        let out = unsafe { guard::out(out, "out") }?;
        // SAFETY: NULL or a live engine (contract).
        let engine = unsafe { guard::handle(engine, "engine") }?;
        out.set(HwSnapshot(engine.0.snapshot()));
        Ok(())
    };
    // SAFETY: `err` is NULL or valid for writes (contract).
    unsafe { guard::call(err, body) }
}

/// Frees an engine (and its reference to the current snapshot). NULL is
/// ignored.
///
/// # Safety
///
/// `engine` is NULL or an engine from this library, not freed before, that
/// no other thread is still using; it must not be used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hashwall_engine_free(engine: *mut HwEngine) {
    // SAFETY: the caller hands back ownership (or NULL).
    guard::or((), || drop(unsafe { guard::take(engine) }));
}

/// `hashwall_snapshot_check_url` against the engine's current snapshot.
///
/// # Safety
///
/// `engine` is NULL or a live engine; otherwise as for
/// `hashwall_snapshot_check_url`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hashwall_engine_check_url(
    engine: *const HwEngine,
    url: *const c_char,
    out: *mut *mut HwVerdict,
    err: *mut *mut HwError,
) -> HwStatus {
    // SAFETY: forwarded contract.
    unsafe { check(engine, || Query::url(url), out, err) }
}

/// `hashwall_snapshot_check_image` against the engine's current snapshot.
///
/// # Safety
///
/// `engine` is NULL or a live engine; otherwise as for
/// `hashwall_snapshot_check_image`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hashwall_engine_check_image(
    engine: *const HwEngine,
    bytes: *const u8,
    len: usize,
    out: *mut *mut HwVerdict,
    err: *mut *mut HwError,
) -> HwStatus {
    // SAFETY: forwarded contract.
    unsafe { check(engine, || Query::image(bytes, len), out, err) }
}

/// `hashwall_snapshot_check_hash_hex` against the engine's current
/// snapshot.
///
/// # Safety
///
/// `engine` is NULL or a live engine; otherwise as for
/// `hashwall_snapshot_check_hash_hex`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hashwall_engine_check_hash_hex(
    engine: *const HwEngine,
    kind: i32,
    hex: *const c_char,
    out: *mut *mut HwVerdict,
    err: *mut *mut HwError,
) -> HwStatus {
    // SAFETY: forwarded contract.
    unsafe { check(engine, || Query::hash_hex(kind, hex), out, err) }
}

/// `hashwall_snapshot_check_hash_bytes` against the engine's current
/// snapshot.
///
/// # Safety
///
/// `engine` is NULL or a live engine; otherwise as for
/// `hashwall_snapshot_check_hash_bytes`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hashwall_engine_check_hash_bytes(
    engine: *const HwEngine,
    kind: i32,
    bytes: *const u8,
    len: usize,
    out: *mut *mut HwVerdict,
    err: *mut *mut HwError,
) -> HwStatus {
    // SAFETY: forwarded contract.
    unsafe { check(engine, || Query::hash_bytes(kind, bytes, len), out, err) }
}
