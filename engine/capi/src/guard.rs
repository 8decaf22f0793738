//! The boundary: every exported function runs inside [`call`] or [`or`]
//! (no panic unwinds into C), and reads its arguments through the checked
//! conversions here (NULL and invalid UTF-8 become status codes).

use std::any::Any;
use std::ffi::{CStr, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr::NonNull;

use crate::error::HwError;
use crate::status::HwStatus;

/// Runs `f`; `fallback` if it panics. For the infallible accessors.
pub(crate) fn or<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(fallback)
}

/// Runs `f`; `fallback` if it returns `None` or panics.
pub(crate) fn or_some<T>(fallback: T, f: impl FnOnce() -> Option<T>) -> T {
    catch_unwind(AssertUnwindSafe(f))
        .ok()
        .flatten()
        .unwrap_or(fallback)
}

/// Runs a fallible call: its status, and on failure (a panic included) its
/// error written to `*err` when `err` is not NULL.
///
/// # Safety
///
/// `err` is NULL or valid for writing one pointer.
pub(crate) unsafe fn call(
    err: *mut *mut HwError,
    f: impl FnOnce() -> Result<(), HwError>,
) -> HwStatus {
    let result = catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|payload| Err(HwError::new(HwStatus::Panic, panic_message(&payload))));
    match result {
        Ok(()) => HwStatus::Ok,
        Err(e) => {
            let status = e.status();
            if !err.is_null() {
                let boxed = Box::into_raw(Box::new(e));
                // SAFETY: `err` is not NULL and valid for writes (contract).
                unsafe { err.write(boxed) };
            }
            status
        }
    }
}

fn panic_message(payload: &Box<dyn Any + Send>) -> String {
    let what = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)");
    format!("internal error (a bug in hashwall, please report it): panic: {what}")
}

/// An out-parameter for a new handle, checked not NULL and cleared to NULL
/// up front, so a failed call leaves NULL behind.
pub(crate) struct Out<T>(NonNull<*mut T>);

impl<T> Out<T> {
    /// Hands `value` to the caller (who frees it with the matching
    /// `hashwall_*_free`).
    pub(crate) fn set(self, value: T) {
        let raw = Box::into_raw(Box::new(value));
        // SAFETY: `out` checked the pointer valid for writes.
        unsafe { self.0.as_ptr().write(raw) };
    }
}

/// Checks the out-parameter `p` and sets it to NULL.
///
/// # Safety
///
/// `p` is NULL or valid for writing one pointer until the [`Out`] is used.
pub(crate) unsafe fn out<T>(p: *mut *mut T, what: &str) -> Result<Out<T>, HwError> {
    let p = NonNull::new(p).ok_or_else(|| null(what))?;
    // SAFETY: not NULL, valid for writes (contract).
    unsafe { p.as_ptr().write(std::ptr::null_mut()) };
    Ok(Out(p))
}

/// The handle `p` points to.
///
/// # Safety
///
/// `p` is NULL or points to a live `T` for `'a`.
pub(crate) unsafe fn handle<'a, T>(p: *const T, what: &str) -> Result<&'a T, HwError> {
    // SAFETY: NULL or a live `T` (contract).
    unsafe { p.as_ref() }.ok_or_else(|| null(what))
}

/// Takes back ownership of a handle given out with [`Out::set`]; `None`
/// for NULL.
///
/// # Safety
///
/// `p` is NULL or came from [`Out::set`] with this `T` and was not taken
/// before.
pub(crate) unsafe fn take<T>(p: *mut T) -> Option<Box<T>> {
    // SAFETY: made by `Box::into_raw` for this `T` and not freed (contract).
    (!p.is_null()).then(|| unsafe { Box::from_raw(p) })
}

/// The NUL-terminated UTF-8 string `p`.
///
/// # Safety
///
/// `p` is NULL or a NUL-terminated string that lives and does not change
/// for `'a`.
pub(crate) unsafe fn text<'a>(p: *const c_char, what: &str) -> Result<&'a str, HwError> {
    if p.is_null() {
        return Err(null(what));
    }
    // SAFETY: not NULL, NUL-terminated, alive for 'a (contract).
    let c = unsafe { CStr::from_ptr(p) };
    c.to_str().map_err(|e| {
        HwError::new(
            HwStatus::InvalidUtf8,
            format!("{what} is not valid UTF-8 (at byte {})", e.valid_up_to()),
        )
    })
}

/// The `len` bytes at `p` (`p` may be NULL when `len` is 0).
///
/// # Safety
///
/// `p` is NULL or valid for reading `len` bytes that do not change for
/// `'a`.
pub(crate) unsafe fn bytes<'a>(p: *const u8, len: usize, what: &str) -> Result<&'a [u8], HwError> {
    if p.is_null() {
        return if len == 0 { Ok(&[]) } else { Err(null(what)) };
    }
    if isize::try_from(len).is_err() {
        return Err(HwError::new(
            HwStatus::InvalidArgument,
            format!("{what}: length {len} is too large"),
        ));
    }
    // SAFETY: `len` readable bytes at a non-NULL `p` (contract); len fits
    // isize.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// The error for a NULL argument.
pub(crate) fn null(what: &str) -> HwError {
    HwError::new(HwStatus::NullPointer, format!("{what} is NULL"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_status_and_a_message() {
        let mut err: *mut HwError = std::ptr::null_mut();
        // SAFETY: `err` is a valid out-pointer.
        let status = unsafe { call(&mut err, || panic!("boom")) };
        assert_eq!(status, HwStatus::Panic);
        // SAFETY: set by `call` above.
        let e = unsafe { take(err) }.expect("error set");
        assert!(e.message().to_str().is_ok_and(|m| m.contains("boom")));
        assert_eq!(or(7, || panic!("again")), 7);
    }

    #[test]
    fn null_and_bad_utf8_are_errors() {
        // SAFETY: NULL, and a NUL-terminated literal.
        let e = unsafe { text(std::ptr::null(), "url") }.expect_err("refused");
        assert_eq!(e.status(), HwStatus::NullPointer);
        let bad = c"\xff\xfe";
        // SAFETY: a NUL-terminated literal.
        let e = unsafe { text(bad.as_ptr(), "url") }.expect_err("refused");
        assert_eq!(e.status(), HwStatus::InvalidUtf8);
        // SAFETY: NULL with length 0 is allowed; NULL with 3 is refused.
        assert_eq!(
            unsafe { bytes(std::ptr::null(), 0, "b") }.ok(),
            Some(&[][..])
        );
        // SAFETY: as above.
        let e = unsafe { bytes(std::ptr::null(), 3, "b") }.expect_err("refused");
        assert_eq!(e.status(), HwStatus::NullPointer);
    }
}
