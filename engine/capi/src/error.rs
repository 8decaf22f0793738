//! [`HwError`]: a failed call's status and message, handed to the caller
//! through the `err` out-parameter every fallible function takes.
//!
//! Out-parameters rather than a thread-local "last error": a Go goroutine
//! may move between OS threads between two calls, and PHP or Node hosts run
//! several requests on one thread, so an error that travels with the call
//! is the one that cannot be read by the wrong caller.

use std::ffi::{CStr, CString};

use crate::status::HwStatus;

/// Why a call failed: a status code and a message for people. Created by
/// the library, owned by the caller, freed with `hashwall_error_free`.
#[derive(Debug)]
pub struct HwError {
    status: HwStatus,
    message: CString,
}

impl HwError {
    /// An error with `status` and `message` (NUL bytes in it are escaped).
    pub(crate) fn new(status: HwStatus, message: impl Into<String>) -> HwError {
        HwError {
            status,
            message: c_string(message.into()),
        }
    }

    /// The error for an engine error.
    pub(crate) fn engine(e: &hashwall_engine::Error) -> HwError {
        HwError::new(HwStatus::of_engine(e.kind()), e.to_string())
    }

    /// The error for a list-loading error.
    pub(crate) fn list(e: &hashwall_engine::lists::Error) -> HwError {
        HwError::new(HwStatus::of_list(e.kind()), e.to_string())
    }

    /// The status.
    pub(crate) fn status(&self) -> HwStatus {
        self.status
    }

    /// The message.
    pub(crate) fn message(&self) -> &CStr {
        &self.message
    }
}

/// `s` as a C string, with any NUL byte written `\0` (list values and
/// canonical URLs never hold one; this keeps the conversion total).
pub(crate) fn c_string(s: String) -> CString {
    CString::new(s).unwrap_or_else(|e| {
        let escaped = String::from_utf8_lossy(&e.into_vec()).replace('\0', "\\0");
        // No NUL is left after the replacement.
        CString::new(escaped).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_in_a_message_is_escaped_not_lost() {
        let e = HwError::new(HwStatus::ListFormat, "a\0b");
        assert_eq!(e.message().to_str(), Ok("a\\0b"));
        assert_eq!(e.status(), HwStatus::ListFormat);
    }
}
