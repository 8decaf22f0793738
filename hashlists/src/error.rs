//! The crate's single error type.

use std::fmt;
use std::path::{Path, PathBuf};

/// What went wrong, for callers that want to react to a class of error.
///
/// New variants may be added in minor releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading the file failed; [`std::error::Error::source`] holds the I/O error.
    Io,
    /// The input is not valid UTF-8.
    InvalidUtf8,
    /// A line is longer than [`MAX_LINE_LEN`](crate::MAX_LINE_LEN) bytes.
    LineTooLong,
    /// An entry line starts with a token that is not a known [`EntryKind`](crate::EntryKind).
    UnknownEntryKind,
    /// An entry's value (or reference) is missing or malformed: wrong hex length,
    /// non-hex digit, whitespace or control characters, too long.
    InvalidValue,
    /// A `# key: value` header line uses a key this version does not know
    /// (and that does not start with `x-`).
    UnknownHeaderKey,
    /// A header key appears twice.
    DuplicateHeaderKey,
    /// The `hashwall-list` format version is not supported.
    UnsupportedVersion,
    /// A list id is not `[A-Za-z0-9._-]{1,64}`.
    InvalidId,
    /// A jurisdiction is not an assigned ISO 3166-1 alpha-2 code nor `INT`.
    InvalidJurisdiction,
    /// A category token is not `[a-z0-9-]{1,64}`.
    InvalidCategory,
    /// A policy is not `block`, `monitor` or `allow`.
    InvalidPolicy,
    /// A timestamp is not RFC 3339 or out of range.
    InvalidTimestamp,
    /// A sequence number is not a decimal `u64`.
    InvalidSequence,
    /// Some other header value (issuer, name) is empty or contains control characters.
    InvalidHeaderValue,
    /// A line of a foreign list format (hosts file, CSV, squidGuard,
    /// ThreatExchange) could not be imported; the message says why.
    Import,
    /// A list cannot be exported in the requested format (a value that has
    /// no canonical form, a sequence that does not fit a DNS serial...).
    Export,
    /// A Bloom filter file is malformed: wrong magic, unsupported version,
    /// parameters out of range, a length or checksum that does not match.
    BloomFormat,

    /// A key file, signature or trust store line is malformed (bad hex,
    /// wrong length, unknown algorithm).
    InvalidKey,
    /// A secret key file is readable by its group or by others.
    InsecureKeyFile,
    /// A signature does not verify: the content was changed after signing or
    /// it was signed with another key than the one named.
    BadSignature,
    /// The signing key is not in the trust store for the list's issuer, or
    /// the issuer has no keys there.
    UntrustedKey,
    /// The signing key was not valid when the list says it was signed
    /// (before its not-before or after its not-after: a retired key).
    RetiredKey,
    /// A signed `created` time lies in the future (beyond the allowed clock
    /// skew): a pre-dated list cannot be checked against key windows.
    FutureDated,
    /// The list is not signed and unsigned lists were not allowed.
    Unsigned,
    /// The list is past its `expires` time.
    Expired,
    /// A delta does not start at the list's sequence (an update is missing).
    SequenceGap,
    /// A delta (or list) that is already applied: its target sequence is not
    /// newer than the list's.
    Replay,
    /// A delta or list that would move the sequence backwards.
    Rollback,
    /// A delta's id or issuer differs from the list it is applied to.
    WrongList,
    /// A file ends early: fewer entries than its header declares, or a torn
    /// last line in an audit log.
    Truncated,
    /// The audit log's hash chain or numbering is broken (edited, reordered
    /// or with records missing in the middle), or the list on disk is
    /// neither the version the log's last commit record names nor the one
    /// before it.
    AuditCorrupt,
    /// A publication manifest is malformed: a missing or repeated header,
    /// a `list` line not at its sequence, a delta going backwards, a file
    /// name that is not a plain name; or a publication directory has none.
    InvalidManifest,
    /// A key is already in the trust store for that issuer.
    DuplicateKey,
    /// A write failed for lack of space: the file system is full
    /// (`ENOSPC`), a quota is exhausted, or the file would exceed the
    /// process's file size limit (`EFBIG`). Nothing was replaced.
    NoSpace,
}

/// Shorten untrusted input quoted in error messages to at most 64 chars.
pub(crate) fn clip(s: &str) -> &str {
    match s.char_indices().nth(64) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// The error type of this crate.
///
/// Opaque, like [`std::io::Error`]: inspect it with [`Error::kind`],
/// [`Error::line`] and [`Error::path`]. `Display` renders
/// `path:line: message`, leaving out the parts that are unknown.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    line: Option<usize>,
    path: Option<PathBuf>,
    message: String,
    source: Option<std::io::Error>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            inner: Box::new(Inner {
                kind,
                line: None,
                path: None,
                message: message.into(),
                source: None,
            }),
        }
    }

    pub(crate) fn io(path: &Path, err: std::io::Error) -> Error {
        let kind = match err.kind() {
            std::io::ErrorKind::StorageFull
            | std::io::ErrorKind::QuotaExceeded
            | std::io::ErrorKind::FileTooLarge => ErrorKind::NoSpace,
            _ => ErrorKind::Io,
        };
        let message = match kind {
            ErrorKind::NoSpace => format!("no space to write the file: {err}"),
            _ => err.to_string(),
        };
        let mut e = Error::new(kind, message);
        e.inner.path = Some(path.to_path_buf());
        e.inner.source = Some(err);
        e
    }

    pub(crate) fn at_line(mut self, line: usize) -> Error {
        self.inner.line = Some(line);
        self
    }

    pub(crate) fn with_path(mut self, path: &Path) -> Error {
        self.inner.path = Some(path.to_path_buf());
        self
    }

    /// The same error with `what: ` before its message (`HASHWALL_NOW: …`,
    /// `trust store …`).
    pub(crate) fn context(mut self, what: &str) -> Error {
        self.inner.message = format!("{what}: {}", self.inner.message);
        self
    }

    /// The class of error.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The 1-based line number the error was found on, if it came from parsing.
    pub fn line(&self) -> Option<usize> {
        self.inner.line
    }

    /// The file the error came from, if it came from [`List::read_file`](crate::List::read_file).
    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    /// The message without the path and line prefix.
    pub fn message(&self) -> &str {
        &self.inner.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.inner.path, self.inner.line) {
            (Some(p), Some(l)) => write!(f, "{}:{}: ", p.display(), l)?,
            (Some(p), None) => write!(f, "{}: ", p.display())?,
            (None, Some(l)) => write!(f, "line {l}: ")?,
            (None, None) => {}
        }
        f.write_str(&self.inner.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.inner.kind)
            .field("line", &self.inner.line)
            .field("path", &self.inner.path)
            .field("message", &self.inner.message)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
