//! [`EntryKind`]: what an entry's value is, and how values are validated.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, ErrorKind};

/// Longest value accepted for the URL kinds (`url`, `url-prefix`, `domain`), in bytes.
pub const MAX_URL_LEN: usize = 8 * 1024;

/// What an [`Entry`](crate::Entry)'s value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntryKind {
    /// A full URL (`url`), canonicalised by the engine, not here.
    Url,
    /// A URL prefix (`url-prefix`): matches the URL and everything below it.
    UrlPrefix,
    /// A host name (`domain`): matches the host and its subdomains.
    Domain,
    /// SHA-256 of a canonical URL (`url-sha256`), 64 hex digits.
    UrlSha256,
    /// Meta PDQ perceptual hash (`pdq`), 256 bits as 64 hex digits.
    Pdq,
    /// 64-bit perceptual hash (`phash`), 16 hex digits.
    Phash,
    /// 64-bit difference hash (`dhash`), 16 hex digits.
    Dhash,
    /// MD5 of the file bytes (`md5`), 32 hex digits.
    Md5,
    /// SHA-1 of the file bytes (`sha1`), 40 hex digits.
    Sha1,
    /// SHA-256 of the file bytes (`sha256`), 64 hex digits.
    Sha256,
}

impl EntryKind {
    /// Every kind, in token order of the format documentation.
    pub const ALL: [EntryKind; 10] = [
        EntryKind::Url,
        EntryKind::UrlPrefix,
        EntryKind::Domain,
        EntryKind::UrlSha256,
        EntryKind::Pdq,
        EntryKind::Phash,
        EntryKind::Dhash,
        EntryKind::Md5,
        EntryKind::Sha1,
        EntryKind::Sha256,
    ];

    /// The token used in the text format: `url`, `url-prefix`, `domain`,
    /// `url-sha256`, `pdq`, `phash`, `dhash`, `md5`, `sha1`, `sha256`.
    pub const fn as_str(self) -> &'static str {
        match self {
            EntryKind::Url => "url",
            EntryKind::UrlPrefix => "url-prefix",
            EntryKind::Domain => "domain",
            EntryKind::UrlSha256 => "url-sha256",
            EntryKind::Pdq => "pdq",
            EntryKind::Phash => "phash",
            EntryKind::Dhash => "dhash",
            EntryKind::Md5 => "md5",
            EntryKind::Sha1 => "sha1",
            EntryKind::Sha256 => "sha256",
        }
    }

    /// Matched against URLs: `url`, `url-prefix`, `domain`, `url-sha256`.
    pub const fn is_url_kind(self) -> bool {
        matches!(
            self,
            EntryKind::Url | EntryKind::UrlPrefix | EntryKind::Domain | EntryKind::UrlSha256
        )
    }

    /// Matched against images / files: `pdq`, `phash`, `dhash`, `md5`, `sha1`, `sha256`.
    pub const fn is_image_kind(self) -> bool {
        !self.is_url_kind()
    }

    /// The number of hex digits a value of this kind has, or `None` for the
    /// free-form URL kinds (`url`, `url-prefix`, `domain`).
    pub const fn hex_len(self) -> Option<usize> {
        match self {
            EntryKind::Url | EntryKind::UrlPrefix | EntryKind::Domain => None,
            EntryKind::UrlSha256 | EntryKind::Pdq | EntryKind::Sha256 => Some(64),
            EntryKind::Md5 => Some(32),
            EntryKind::Sha1 => Some(40),
            EntryKind::Phash | EntryKind::Dhash => Some(16),
        }
    }

    /// Parse a token from raw bytes (exact lower case fast path, then ASCII
    /// case-insensitive).
    pub(crate) fn from_token(t: &[u8]) -> Option<EntryKind> {
        let k = match t {
            b"url" => EntryKind::Url,
            b"url-prefix" => EntryKind::UrlPrefix,
            b"domain" => EntryKind::Domain,
            b"url-sha256" => EntryKind::UrlSha256,
            b"pdq" => EntryKind::Pdq,
            b"phash" => EntryKind::Phash,
            b"dhash" => EntryKind::Dhash,
            b"md5" => EntryKind::Md5,
            b"sha1" => EntryKind::Sha1,
            b"sha256" => EntryKind::Sha256,
            _ => {
                return EntryKind::ALL
                    .into_iter()
                    .find(|k| k.as_str().as_bytes().eq_ignore_ascii_case(t));
            }
        };
        Some(k)
    }

    pub(crate) fn unknown(token: &str) -> Error {
        let valid: Vec<&str> = EntryKind::ALL.iter().map(|k| k.as_str()).collect();
        Error::new(
            ErrorKind::UnknownEntryKind,
            format!(
                "unknown entry kind {:?}; valid kinds: {}",
                crate::error::clip(token),
                valid.join(", ")
            ),
        )
    }

    /// Validate a value of this kind and return it in stored form (hex
    /// lower-cased). `value` has already been split at spaces and tabs.
    pub(crate) fn normalise_value(self, value: &str) -> Result<String, Error> {
        let bytes = value.as_bytes();
        match self.hex_len() {
            Some(n) => {
                if let Some(pos) = bytes.iter().position(|b| !b.is_ascii_hexdigit()) {
                    let bad = value[pos..].chars().next().unwrap_or('?');
                    return Err(Error::new(
                        ErrorKind::InvalidValue,
                        format!(
                            "{self} value must be {n} hex digits, found {bad:?} at position {}",
                            pos + 1
                        ),
                    ));
                }
                if bytes.len() != n {
                    return Err(Error::new(
                        ErrorKind::InvalidValue,
                        format!("{self} value must be {n} hex digits, got {}", bytes.len()),
                    ));
                }
                Ok(value.to_ascii_lowercase())
            }
            None => {
                if bytes.is_empty() {
                    return Err(Error::new(
                        ErrorKind::InvalidValue,
                        format!("{self} value is empty"),
                    ));
                }
                if bytes.len() > MAX_URL_LEN {
                    return Err(Error::new(
                        ErrorKind::InvalidValue,
                        format!(
                            "{self} value is {} bytes, longer than the {MAX_URL_LEN} byte limit",
                            bytes.len()
                        ),
                    ));
                }
                check_no_space_or_control(value, self.as_str())?;
                Ok(value.to_owned())
            }
        }
    }
}

/// Reject ASCII and Unicode whitespace and control characters.
pub(crate) fn check_no_space_or_control(s: &str, what: &str) -> Result<(), Error> {
    let bytes = s.as_bytes();
    let ascii_bad = |b: &u8| *b <= b' ' || *b == 0x7f;
    let bad = if !bytes.iter().any(|b| ascii_bad(b) || *b >= 0x80) {
        None
    } else {
        s.chars().find(|c| c.is_whitespace() || c.is_control())
    };
    match bad {
        None => Ok(()),
        Some(c) => Err(Error::new(
            ErrorKind::InvalidValue,
            format!("{what} value contains whitespace or control character {c:?}"),
        )),
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EntryKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<EntryKind, Error> {
        EntryKind::from_token(s.as_bytes()).ok_or_else(|| EntryKind::unknown(s))
    }
}
