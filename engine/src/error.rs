//! The crate's one error type.
//!
//! [`Error`] is opaque: its representation is private so that it can grow
//! without breaking callers. [`Error::kind`] classifies it for programs, its
//! `Display` explains it to people.

use std::borrow::Cow;
use std::fmt;

/// Why a URL could not be canonicalised.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UrlErrorKind {
    /// The input is empty (or only whitespace and control characters).
    Empty,
    /// The input is longer than the canonicaliser accepts.
    TooLong,
    /// There is no host (for example `/path` or `http:///path`).
    MissingHost,
    /// The port is not a decimal number in 0..=65535.
    InvalidPort,
    /// A bracketed IPv6 literal does not parse.
    InvalidIpv6,
    /// The host cannot be a DNS name or an IP address.
    InvalidHost,
    /// The scheme is not `http` or `https` (`ftp://x/`, `mailto:a@b`,
    /// `javascript:…`): only web URLs are canonicalised.
    UnsupportedScheme,
}

/// Why an image could not be decoded or hashed.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ImageErrorKind {
    /// The input is empty.
    Empty,
    /// The bytes are not in a supported format (JPEG, PNG, GIF, WebP, BMP,
    /// TIFF), or use a feature of it the decoder does not support.
    Unsupported,
    /// The image exceeds the configured limits (width, height or memory);
    /// refused before the large allocation.
    TooLarge,
    /// The file ends before the image data does.
    Truncated,
    /// The image data is invalid.
    Corrupt,
    /// The decoder panicked on this input (caught; a bug in the decoder).
    DecoderPanic,
}

impl ImageErrorKind {
    /// A short token for the reason (`empty`, `unsupported`, `too-large`,
    /// `truncated`, `corrupt`, `decoder-panic`), e.g. for logs and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            ImageErrorKind::Empty => "empty",
            ImageErrorKind::Unsupported => "unsupported",
            ImageErrorKind::TooLarge => "too-large",
            ImageErrorKind::Truncated => "truncated",
            ImageErrorKind::Corrupt => "corrupt",
            ImageErrorKind::DecoderPanic => "decoder-panic",
        }
    }
}

/// The broad class of an [`Error`].
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A URL (to check, or in a list entry) could not be canonicalised.
    Url(UrlErrorKind),
    /// A list entry's value is not valid for its kind.
    InvalidEntry,
    /// A list could not be read.
    List,
    /// An image could not be decoded or hashed.
    Image(ImageErrorKind),
}

/// The error type of this crate.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    detail: Cow<'static, str>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, detail: impl Into<Cow<'static, str>>) -> Error {
        Error {
            kind,
            detail: detail.into(),
            source: None,
        }
    }

    pub(crate) fn url(kind: UrlErrorKind, detail: impl Into<Cow<'static, str>>) -> Error {
        Error::new(ErrorKind::Url(kind), detail)
    }

    pub(crate) fn image(kind: ImageErrorKind, detail: impl Into<Cow<'static, str>>) -> Error {
        Error::new(ErrorKind::Image(kind), detail)
    }

    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Error {
        self.source = Some(Box::new(source));
        self
    }

    /// What kind of error this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)?;
        if let Some(source) = &self.source {
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
