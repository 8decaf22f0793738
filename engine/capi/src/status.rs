//! [`HwStatus`]: the result code of every fallible call, mirroring the
//! engine's [`ErrorKind`] and the list crate's
//! [`hashwall::lists::ErrorKind`](hashwall_engine::lists::ErrorKind), plus the
//! boundary's own failures (null pointer, invalid UTF-8, a caught panic).

use std::ffi::CStr;

use hashwall_engine::lists::ErrorKind as ListErrorKind;
use hashwall_engine::{ErrorKind, ImageErrorKind, UrlErrorKind};

/// The outcome of a call: `HASHWALL_STATUS_OK` (0) or why it failed.
///
/// Codes are stable: new ones may be added, existing ones keep their
/// numbers. `hashwall_status_name` gives each a short token.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HwStatus {
    /// Success.
    Ok = 0,
    /// A pointer argument that must not be NULL was NULL.
    NullPointer = 1,
    /// A string argument is not valid UTF-8.
    InvalidUtf8 = 2,
    /// An argument is out of range (an unknown hash kind, a hash of the
    /// wrong length or with non-hex digits).
    InvalidArgument = 3,
    /// The library panicked (a bug); the panic was caught at the boundary.
    Panic = 4,
    /// The URL is empty (or only whitespace and control characters).
    UrlEmpty = 10,
    /// The URL is longer than the canonicaliser accepts.
    UrlTooLong = 11,
    /// The URL has no host.
    UrlMissingHost = 12,
    /// The URL's port is not a number in 0..=65535.
    UrlInvalidPort = 13,
    /// The URL's bracketed IPv6 literal does not parse.
    UrlInvalidIpv6 = 14,
    /// The URL's host cannot be a DNS name or an IP address.
    UrlInvalidHost = 15,
    /// The URL's scheme is not `http` or `https`.
    UrlUnsupportedScheme = 16,
    /// The URL cannot be canonicalised for another reason.
    UrlInvalid = 17,
    /// A list entry cannot be compiled (a URL that does not canonicalise, a
    /// hash of the wrong length).
    InvalidEntry = 20,
    /// A list cannot be compiled into the snapshot (too many lists or
    /// entries, a distance out of range).
    List = 21,
    /// The image is empty.
    ImageEmpty = 30,
    /// The image format (or a feature of it) is not supported.
    ImageUnsupported = 31,
    /// The image exceeds the decoding limits.
    ImageTooLarge = 32,
    /// The image file ends early.
    ImageTruncated = 33,
    /// The image data is invalid.
    ImageCorrupt = 34,
    /// The image decoder panicked on this input (caught).
    ImageDecoderPanic = 35,
    /// The image cannot be decoded for another reason.
    ImageInvalid = 36,
    /// A list or trust store file cannot be read.
    Io = 40,
    /// A list file is malformed (the message names the file and line).
    ListFormat = 41,
    /// The trust store is malformed (a bad key line).
    InvalidKey = 42,
    /// A list's signature does not verify: it was changed after signing.
    BadSignature = 43,
    /// A list is signed by a key the trust store does not hold for its
    /// issuer.
    UntrustedKey = 44,
    /// A list was signed by a key outside its validity window.
    RetiredKey = 45,
    /// A list's signed creation time is in the future.
    FutureDated = 46,
    /// A list is not signed and unsigned lists were not allowed.
    Unsigned = 47,
    /// A list is past its `expires` time.
    Expired = 48,
    /// A list's sequence is below one already accepted.
    Rollback = 49,
    /// Loading a list failed for another reason.
    LoadFailed = 50,
}

impl HwStatus {
    /// The status for an engine error.
    pub(crate) fn of_engine(kind: ErrorKind) -> HwStatus {
        match kind {
            ErrorKind::Url(u) => match u {
                UrlErrorKind::Empty => HwStatus::UrlEmpty,
                UrlErrorKind::TooLong => HwStatus::UrlTooLong,
                UrlErrorKind::MissingHost => HwStatus::UrlMissingHost,
                UrlErrorKind::InvalidPort => HwStatus::UrlInvalidPort,
                UrlErrorKind::InvalidIpv6 => HwStatus::UrlInvalidIpv6,
                UrlErrorKind::InvalidHost => HwStatus::UrlInvalidHost,
                UrlErrorKind::UnsupportedScheme => HwStatus::UrlUnsupportedScheme,
                _ => HwStatus::UrlInvalid,
            },
            ErrorKind::InvalidEntry => HwStatus::InvalidEntry,
            ErrorKind::List => HwStatus::List,
            ErrorKind::Image(i) => match i {
                ImageErrorKind::Empty => HwStatus::ImageEmpty,
                ImageErrorKind::Unsupported => HwStatus::ImageUnsupported,
                ImageErrorKind::TooLarge => HwStatus::ImageTooLarge,
                ImageErrorKind::Truncated => HwStatus::ImageTruncated,
                ImageErrorKind::Corrupt => HwStatus::ImageCorrupt,
                ImageErrorKind::DecoderPanic => HwStatus::ImageDecoderPanic,
                _ => HwStatus::ImageInvalid,
            },
            _ => HwStatus::List,
        }
    }

    /// The status for a list-loading error.
    pub(crate) fn of_list(kind: ListErrorKind) -> HwStatus {
        match kind {
            ListErrorKind::Io => HwStatus::Io,
            ListErrorKind::InvalidKey => HwStatus::InvalidKey,
            ListErrorKind::BadSignature => HwStatus::BadSignature,
            ListErrorKind::UntrustedKey => HwStatus::UntrustedKey,
            ListErrorKind::RetiredKey => HwStatus::RetiredKey,
            ListErrorKind::FutureDated => HwStatus::FutureDated,
            ListErrorKind::Unsigned => HwStatus::Unsigned,
            ListErrorKind::Expired => HwStatus::Expired,
            ListErrorKind::Rollback => HwStatus::Rollback,
            ListErrorKind::InvalidUtf8
            | ListErrorKind::LineTooLong
            | ListErrorKind::UnknownEntryKind
            | ListErrorKind::InvalidValue
            | ListErrorKind::UnknownHeaderKey
            | ListErrorKind::DuplicateHeaderKey
            | ListErrorKind::UnsupportedVersion
            | ListErrorKind::InvalidId
            | ListErrorKind::InvalidJurisdiction
            | ListErrorKind::InvalidCategory
            | ListErrorKind::InvalidPolicy
            | ListErrorKind::InvalidTimestamp
            | ListErrorKind::InvalidSequence
            | ListErrorKind::InvalidHeaderValue
            | ListErrorKind::Truncated => HwStatus::ListFormat,
            _ => HwStatus::LoadFailed,
        }
    }

    /// The short token (`ok`, `null-pointer`, `url-missing-host`, …).
    pub(crate) fn name(self) -> &'static CStr {
        match self {
            HwStatus::Ok => c"ok",
            HwStatus::NullPointer => c"null-pointer",
            HwStatus::InvalidUtf8 => c"invalid-utf8",
            HwStatus::InvalidArgument => c"invalid-argument",
            HwStatus::Panic => c"panic",
            HwStatus::UrlEmpty => c"url-empty",
            HwStatus::UrlTooLong => c"url-too-long",
            HwStatus::UrlMissingHost => c"url-missing-host",
            HwStatus::UrlInvalidPort => c"url-invalid-port",
            HwStatus::UrlInvalidIpv6 => c"url-invalid-ipv6",
            HwStatus::UrlInvalidHost => c"url-invalid-host",
            HwStatus::UrlUnsupportedScheme => c"url-unsupported-scheme",
            HwStatus::UrlInvalid => c"url-invalid",
            HwStatus::InvalidEntry => c"invalid-entry",
            HwStatus::List => c"list",
            HwStatus::ImageEmpty => c"image-empty",
            HwStatus::ImageUnsupported => c"image-unsupported",
            HwStatus::ImageTooLarge => c"image-too-large",
            HwStatus::ImageTruncated => c"image-truncated",
            HwStatus::ImageCorrupt => c"image-corrupt",
            HwStatus::ImageDecoderPanic => c"image-decoder-panic",
            HwStatus::ImageInvalid => c"image-invalid",
            HwStatus::Io => c"io",
            HwStatus::ListFormat => c"list-format",
            HwStatus::InvalidKey => c"invalid-key",
            HwStatus::BadSignature => c"bad-signature",
            HwStatus::UntrustedKey => c"untrusted-key",
            HwStatus::RetiredKey => c"retired-key",
            HwStatus::FutureDated => c"future-dated",
            HwStatus::Unsigned => c"unsigned",
            HwStatus::Expired => c"expired",
            HwStatus::Rollback => c"rollback",
            HwStatus::LoadFailed => c"load-failed",
        }
    }

    /// Every status, for `hashwall_status_name` (which takes a plain
    /// integer: C may pass any value).
    const ALL: [HwStatus; 33] = [
        HwStatus::Ok,
        HwStatus::NullPointer,
        HwStatus::InvalidUtf8,
        HwStatus::InvalidArgument,
        HwStatus::Panic,
        HwStatus::UrlEmpty,
        HwStatus::UrlTooLong,
        HwStatus::UrlMissingHost,
        HwStatus::UrlInvalidPort,
        HwStatus::UrlInvalidIpv6,
        HwStatus::UrlInvalidHost,
        HwStatus::UrlUnsupportedScheme,
        HwStatus::UrlInvalid,
        HwStatus::InvalidEntry,
        HwStatus::List,
        HwStatus::ImageEmpty,
        HwStatus::ImageUnsupported,
        HwStatus::ImageTooLarge,
        HwStatus::ImageTruncated,
        HwStatus::ImageCorrupt,
        HwStatus::ImageDecoderPanic,
        HwStatus::ImageInvalid,
        HwStatus::Io,
        HwStatus::ListFormat,
        HwStatus::InvalidKey,
        HwStatus::BadSignature,
        HwStatus::UntrustedKey,
        HwStatus::RetiredKey,
        HwStatus::FutureDated,
        HwStatus::Unsigned,
        HwStatus::Expired,
        HwStatus::Rollback,
        HwStatus::LoadFailed,
    ];

    /// The status with code `code`, if there is one.
    pub(crate) fn from_code(code: i32) -> Option<HwStatus> {
        HwStatus::ALL.into_iter().find(|s| *s as i32 == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_and_has_a_unique_name() {
        let mut names = std::collections::HashSet::new();
        for s in HwStatus::ALL {
            assert_eq!(HwStatus::from_code(s as i32), Some(s));
            assert!(names.insert(s.name()), "{s:?}");
        }
        assert_eq!(HwStatus::from_code(9999), None);
    }
}
