//! Reading a failed call's [`HwError`] from C (its code, its message,
//! freeing it) and naming status codes.

use std::ffi::c_char;

use crate::error::HwError;
use crate::guard;
use crate::status::HwStatus;

/// The status code of `err` (`HASHWALL_STATUS_NULL_POINTER` for NULL).
///
/// # Safety
///
/// `err` is NULL or an error returned by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hashwall_error_code(err: *const HwError) -> HwStatus {
    guard::or(HwStatus::Panic, || {
        // SAFETY: the caller passes NULL or a live error.
        match unsafe { err.as_ref() } {
            Some(e) => e.status(),
            None => HwStatus::NullPointer,
        }
    })
}

/// The message of `err`: UTF-8, NUL-terminated, naming the file and line
/// for list errors. Valid until `err` is freed; NULL for a NULL `err`.
///
/// # Safety
///
/// `err` is NULL or an error returned by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hashwall_error_message(err: *const HwError) -> *const c_char {
    guard::or(std::ptr::null(), || {
        // SAFETY: the caller passes NULL or a live error.
        unsafe { err.as_ref() }.map_or(std::ptr::null(), |e| e.message().as_ptr())
    })
}

/// Frees an error. NULL is ignored.
///
/// # Safety
///
/// `err` is NULL or an error returned by this library, not freed before;
/// it must not be used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hashwall_error_free(err: *mut HwError) {
    // SAFETY: the caller hands back ownership of a live error (or NULL).
    guard::or((), || drop(unsafe { guard::take(err) }));
}

/// The short token naming a status code (`"ok"`, `"url-missing-host"`,
/// `"untrusted-key"`, …), or `"unknown"` for a code this library does not
/// define. The string is static: never free it. Any integer may be
/// passed.
#[unsafe(no_mangle)]
pub extern "C" fn hashwall_status_name(status: i32) -> *const c_char {
    guard::or(c"unknown".as_ptr(), || {
        HwStatus::from_code(status)
            .map_or(c"unknown", HwStatus::name)
            .as_ptr()
    })
}
