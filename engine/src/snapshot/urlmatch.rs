//! URL entries: how each kind becomes a key, and how a URL is looked up.
//!
//! Keys (see `DESIGN.md`, "URL index"):
//! - `url-prefix` `host/path`: `combine(h_host(host), h_path(path), PREFIX)`.
//!   A URL probes it once per Safe Browsing expression (≤ 30).
//! - `url` (an exact canonical URL): the same split, under the `EXACT` domain;
//!   probed with the URL's full expression (exact host, full path and
//!   non-empty query) and, when the URL has a query, with its path alone: an
//!   entry without a query matches the URL whatever its query, an entry with
//!   one only that query. It never matches another path or a subdomain.
//! - `domain` `host`: `combine(h_host(host), 0, DOMAIN)`; probed with the host
//!   and every parent domain at a label boundary.
//! - `url-sha256`: the first 8 bytes of the SHA-256 of the expression. Probed
//!   with the SHA-256 of each expression, which is only computed when the
//!   snapshot holds hashed entries. A hashed entry therefore matches exactly
//!   the URLs its plaintext `url-prefix` would.
//!
//! Plaintext kinds sit behind a Bloom filter of the hosts they name
//! (`index/hostfilter.rs`): a URL probes the paths of a host only when some
//! entry may name that host, which is what makes the common case (a host no
//! list names) cost a few cache-resident filter checks instead of up to 30
//! table probes.
//!
//! Hashing an expression as `combine(h_host, h_path)` rather than hashing the
//! joined string lets a lookup hash each of the ≤ 5 host suffixes and ≤ 6
//! path prefixes once, not each of the 30 pairs, and never build the joined
//! string: no allocation per expression.

use hashwall_lists::EntryKind;
use sha2::{Digest, Sha256};

use super::entries::EntryStore;
use crate::index::hostfilter::HostFilter;
use crate::index::keytable::{KeyTable, combine, hash_str};
use crate::url::{CanonicalUrl, MAX_HOSTS, MAX_PATHS, is_expression_host};

const SEED_HOST: u64 = 0x6861_7368_7761_6c6c; // "hashwall"
const SEED_PATH: u64 = 0x7061_7468_5f73_6565; // "path_see"
const DOMAIN_PREFIX: u64 = 0x1;
const DOMAIN_EXACT: u64 = 0x2;
const DOMAIN_DOMAIN: u64 = 0x3;

#[inline]
pub(crate) fn h_host(host: &str) -> u64 {
    hash_str(SEED_HOST, host)
}

#[inline]
pub(crate) fn h_path(path: &str) -> u64 {
    hash_str(SEED_PATH, path)
}

#[inline]
pub(crate) fn prefix_key(hh: u64, hp: u64) -> u64 {
    combine(hh, hp, DOMAIN_PREFIX)
}

#[inline]
pub(crate) fn exact_key(hh: u64, hp: u64) -> u64 {
    combine(hh, hp, DOMAIN_EXACT)
}

#[inline]
pub(crate) fn domain_key(hh: u64) -> u64 {
    combine(hh, 0, DOMAIN_DOMAIN)
}

#[inline]
pub(crate) fn hashed_key(sha: &[u8; 32]) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&sha[..8]);
    u64::from_le_bytes(b)
}

/// The path a `url` entry must equal: the path with its query, except that a
/// bare trailing `?` is dropped (`/q?` and `/q` name the same resource, and
/// Safe Browsing generates no expression for an empty query).
pub(crate) fn full_path(url: &CanonicalUrl) -> &str {
    match url.query() {
        Some("") => url.path(),
        _ => url.path_and_query(),
    }
}

/// Which kinds of URL entries a snapshot holds, so a lookup skips the rest.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct KindsPresent {
    pub(crate) exact: bool,
    pub(crate) prefix: bool,
    pub(crate) domain: bool,
    pub(crate) hashed: bool,
    /// Some list matches paths without regard to letter case.
    pub(crate) folded: bool,
}

/// A hit before it becomes a [`crate::Match`]: the entry and what matched.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Hit<'u> {
    Expression {
        entry: u32,
        host: &'u str,
        path: &'u str,
    },
    Domain {
        entry: u32,
        host: &'u str,
    },
}

/// True when `value` is `host` followed by `path`.
#[inline]
fn is_concat(value: &[u8], host: &str, path: &str) -> bool {
    value.len() == host.len() + path.len()
        && &value[..host.len()] == host.as_bytes()
        && &value[host.len()..] == path.as_bytes()
}

/// The URL part of a snapshot: the key table, the host filter in front of
/// it, and which kinds are present.
#[derive(Debug, Clone)]
pub(crate) struct UrlIndex {
    pub(crate) table: KeyTable,
    pub(crate) hosts: HostFilter,
    pub(crate) present: KindsPresent,
}

/// Probes gathered before any is made, so their cache misses overlap.
/// 1 exact + 30 expressions + the host's domain suffixes; a host with more
/// labels than fit is probed directly past this bound.
const MAX_PENDING: usize = 48;

#[derive(Clone, Copy)]
enum Probe {
    Exact,
    Prefix,
    Domain,
}

impl UrlIndex {
    /// Looks `url` up; calls `hit` for every verified match.
    pub(crate) fn lookup<'u>(
        &self,
        url: &'u CanonicalUrl,
        entries: &EntryStore,
        mut hit: impl FnMut(Hit<'u>),
    ) {
        let present = self.present;
        let mut pending: [(u64, Probe, &'u str, &'u str); MAX_PENDING] =
            [(0, Probe::Exact, "", ""); MAX_PENDING];
        let mut n = 0usize;
        let mut push = |p: (u64, Probe, &'u str, &'u str), hit: &mut dyn FnMut(Hit<'u>)| {
            if n < MAX_PENDING {
                self.table.prefetch(p.0);
                pending[n] = p;
                n += 1;
            } else {
                self.probe(p, entries, hit);
            }
        };

        // One pass over the host's domain suffixes (longest first): each is
        // hashed and asked of the filter once, for every kind that names
        // hosts. The Safe Browsing hosts an expression may start with are
        // the host itself and its suffixes of 2 to 5 labels.
        let labels = url.host().bytes().filter(|&b| b == b'.').count() + 1;
        let mut listed = [(0u64, ""); MAX_HOSTS];
        let mut n_listed = 0;
        let mut exact_host = None;
        if present.domain || present.exact || present.prefix {
            for (i, suffix) in url.domain_suffixes().enumerate() {
                let expression_host = is_expression_host(i, labels);
                if !present.domain && !expression_host {
                    continue;
                }
                let hh = h_host(suffix);
                if !self.hosts.may_contain(hh) {
                    continue;
                }
                if present.domain {
                    push((domain_key(hh), Probe::Domain, suffix, ""), &mut hit);
                }
                if i == 0 {
                    exact_host = Some((hh, suffix));
                }
                if expression_host && n_listed < MAX_HOSTS {
                    listed[n_listed] = (hh, suffix);
                    n_listed += 1;
                }
            }
        }
        if present.exact
            && let Some((hh, host)) = exact_host
        {
            let path = full_path(url);
            push(
                (exact_key(hh, h_path(path)), Probe::Exact, host, path),
                &mut hit,
            );
            // An entry without a query names the resource whatever query it
            // is fetched with (origins ignore unknown parameters), as Safe
            // Browsing looks a URL up with and without its query.
            if path.len() != url.path().len() {
                let bare = url.path();
                push(
                    (exact_key(hh, h_path(bare)), Probe::Exact, host, bare),
                    &mut hit,
                );
            }
        }
        if present.prefix && n_listed > 0 {
            // Every listed expression host with every path prefix; the
            // paths are hashed once, and only when some host passed.
            let paths = url.path_prefixes();
            let mut path_hashes = [(0u64, ""); MAX_PATHS];
            for (slot, ep) in path_hashes.iter_mut().zip(paths.iter()) {
                *slot = (h_path(ep), ep);
            }
            for &(hh, eh) in &listed[..n_listed] {
                for &(hp, ep) in &path_hashes[..paths.len()] {
                    push((prefix_key(hh, hp), Probe::Prefix, eh, ep), &mut hit);
                }
            }
        }
        if present.hashed {
            for e in url.expressions() {
                self.probe_hashed(e.host(), e.path(), entries, &mut hit);
            }
        }
        for &p in &pending[..n] {
            self.probe(p, entries, &mut hit);
        }
    }

    #[inline]
    fn probe<'u>(
        &self,
        (key, probe, host, path): (u64, Probe, &'u str, &'u str),
        entries: &EntryStore,
        hit: &mut dyn FnMut(Hit<'u>),
    ) {
        self.table.candidates(key, |id| {
            let ok = match (probe, entries.kind(id)) {
                (Probe::Exact, EntryKind::Url) | (Probe::Prefix, EntryKind::UrlPrefix) => {
                    is_concat(entries.value(id), host, path)
                }
                (Probe::Domain, EntryKind::Domain) => entries.value(id) == host.as_bytes(),
                _ => false,
            };
            if ok {
                hit(match probe {
                    Probe::Domain => Hit::Domain { entry: id, host },
                    _ => Hit::Expression {
                        entry: id,
                        host,
                        path,
                    },
                });
            }
        });
    }

    fn probe_hashed<'u>(
        &self,
        host: &'u str,
        path: &'u str,
        entries: &EntryStore,
        hit: &mut dyn FnMut(Hit<'u>),
    ) {
        let mut sha = Sha256::new();
        sha.update(host.as_bytes());
        sha.update(path.as_bytes());
        let digest: [u8; 32] = sha.finalize().into();
        self.table.candidates(hashed_key(&digest), |id| {
            if entries.kind(id) == EntryKind::UrlSha256 && entries.value(id) == digest {
                hit(Hit::Expression {
                    entry: id,
                    host,
                    path,
                });
            }
        });
    }
}
