//! Entries in the form lint compares them: canonical, as the engine matches
//! them (through [`crate::url`]), with a key that makes a `url-prefix` and
//! its `url-sha256` the same entry.

use hashwall_lists::EntryKind;
use sha2::{Digest, Sha256};

use crate::url::{canonical_expression, canonical_host};

/// An entry in canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Canon {
    /// `domain`: a host.
    Domain(String),
    /// `url-prefix` (and its hashed form): the expression's SHA-256, plus
    /// the expression and where its host ends, when known.
    Prefix([u8; 32], Option<(String, usize)>),
    /// `url`: the full expression and where its host ends.
    Exact(String, usize),
    /// Image kinds: kind and value.
    Hash(EntryKind, String),
}

/// What makes two entries the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Key<'a> {
    Domain(&'a str),
    Prefix(&'a [u8; 32]),
    Exact(&'a str),
    Hash(EntryKind, &'a str),
}

impl Canon {
    /// The canonical form of an entry, or why the engine would refuse it.
    pub(super) fn of(kind: EntryKind, value: &str) -> Result<Canon, String> {
        let split = |e: String| {
            let at = e.find('/').unwrap_or(e.len());
            (e, at)
        };
        Ok(match kind {
            EntryKind::Domain => Canon::Domain(canonical_host(value).map_err(|e| e.to_string())?),
            EntryKind::UrlPrefix => {
                let e = canonical_expression(value).map_err(|e| e.to_string())?;
                Canon::Prefix(sha256(&e), Some(split(e)))
            }
            EntryKind::Url => {
                let (e, at) = split(canonical_expression(value).map_err(|e| e.to_string())?);
                Canon::Exact(e, at)
            }
            EntryKind::UrlSha256 => Canon::Prefix(
                hashwall_lists::hex::decode_array(value)
                    .map_err(|_| "url-sha256 value is not 64 hex digits")?,
                None,
            ),
            other => Canon::Hash(other, value.to_owned()),
        })
    }

    /// The key: a plaintext `url-prefix` and its `url-sha256` share one.
    pub(super) fn key(&self) -> Key<'_> {
        match self {
            Canon::Domain(h) => Key::Domain(h),
            Canon::Prefix(d, _) => Key::Prefix(d),
            Canon::Exact(e, _) => Key::Exact(e),
            Canon::Hash(k, v) => Key::Hash(*k, v),
        }
    }

    /// (host, path) of a URL entry, for coverage (path empty for `domain`).
    pub(super) fn host_path(&self) -> Option<(&str, &str)> {
        match self {
            Canon::Domain(h) => Some((h, "")),
            Canon::Prefix(_, Some((e, split))) | Canon::Exact(e, split) => {
                Some((&e[..*split], &e[*split..]))
            }
            _ => None,
        }
    }

    /// The host the entry blocks as a whole, if it does: a `domain`, or a
    /// `url-prefix host/`.
    pub(super) fn whole_host(&self) -> Option<&str> {
        match self {
            Canon::Domain(h) => Some(h),
            Canon::Prefix(_, Some((e, at))) if &e[*at..] == "/" => Some(&e[..*at]),
            _ => None,
        }
    }

    /// The SHA-256 of a hashed entry (`url-sha256`, whose plaintext is
    /// unknown).
    pub(super) fn hashed(&self) -> Option<&[u8; 32]> {
        match self {
            Canon::Prefix(d, None) => Some(d),
            _ => None,
        }
    }
}

/// The canonical form of every entry of a list; `None` where it has none.
pub(super) fn all(list: &hashwall_lists::List) -> Vec<Option<Canon>> {
    list.entries
        .iter()
        .map(|e| Canon::of(e.kind, &e.value).ok())
        .collect()
}

pub(super) fn sha256(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

/// Whether a canonical host is an IP address (IPv4 dotted, or a bracketed
/// IPv6 literal).
pub(super) fn is_ip(host: &str) -> bool {
    host.starts_with('[') || host.parse::<std::net::Ipv4Addr>().is_ok()
}

/// The host and every parent at a label boundary (only the host for an IP).
pub(super) fn host_suffixes(host: &str) -> impl Iterator<Item = &str> {
    let ip = is_ip(host);
    std::iter::successors(Some(host), move |h| {
        if ip {
            None
        } else {
            h.split_once('.').map(|(_, p)| p)
        }
    })
}

/// The path prefixes a `url-prefix` with that path would cover `path` under:
/// the path itself, the path without its query, and every directory.
pub(super) fn path_prefixes(path: &str) -> impl Iterator<Item = &str> {
    let no_query = path.split_once('?').map(|(p, _)| p);
    let dirs = path
        .split_once('?')
        .map_or(path, |(p, _)| p)
        .match_indices('/')
        .map(move |(i, _)| &path[..=i]);
    std::iter::once(path).chain(no_query).chain(dirs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_prefixes_cover_directories_and_query() {
        let got: Vec<&str> = path_prefixes("/a/b/c.html?x=1").collect();
        assert_eq!(got, ["/a/b/c.html?x=1", "/a/b/c.html", "/", "/a/", "/a/b/"]);
        let got: Vec<&str> = host_suffixes("a.b.example").collect();
        assert_eq!(got, ["a.b.example", "b.example", "example"]);
        assert_eq!(host_suffixes("192.0.2.1").count(), 1);
    }

    #[test]
    fn a_prefix_and_its_hash_share_a_key() {
        let plain = Canon::of(EntryKind::UrlPrefix, "http://EVIL.example/a/").expect("valid");
        let hex = hashwall_lists::hex::encode(&sha256("evil.example/a/"));
        let hashed = Canon::of(EntryKind::UrlSha256, &hex.to_uppercase()).expect("valid");
        assert_eq!(plain.key(), hashed.key());
        assert_eq!(hashed.hashed(), Some(&sha256("evil.example/a/")));
        assert_eq!(plain.whole_host(), None);
        assert!(Canon::of(EntryKind::UrlSha256, "abc").is_err());
    }
}
