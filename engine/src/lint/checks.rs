//! The checks made on each entry alone, one function per finding code.
//!
//! Each takes the entry's index, the entry and its canonical form, and
//! returns its finding, if any. What they compare with (allow-list keys,
//! hashes of suffixes and never-block domains) is computed once per list in
//! [`Context`].

use std::collections::HashMap;
use std::collections::hash_map::Entry as MapEntry;

use hashwall_lists::Entry;

use super::canon::{Canon, Key, sha256};
use super::{Finding, FindingCode, LintConfig, LintInput};

/// What the per-entry checks compare with.
pub(super) struct Context<'a> {
    input: &'a LintInput<'a>,
    config: &'a LintConfig<'a>,
    /// Canonical allow-list entries: the first (allow list, entry) of each.
    allow_keys: HashMap<Key<'a>, (usize, usize)>,
    /// SHA-256 of `rule/` for each plain public-suffix rule (only when the
    /// list holds hashed entries: ~10 000 SHA-256).
    suffix_hashes: HashMap<[u8; 32], &'a str>,
    /// SHA-256 of `domain/` for each never-block domain.
    never_block_hashes: HashMap<[u8; 32], &'a str>,
}

impl<'a> Context<'a> {
    pub(super) fn new(
        input: &'a LintInput<'a>,
        config: &'a LintConfig<'a>,
        canon: &[Option<Canon>],
        allow_canon: &'a [Vec<Option<Canon>>],
    ) -> Context<'a> {
        let mut allow_keys = HashMap::new();
        for (ai, entries) in allow_canon.iter().enumerate() {
            for (ei, c) in entries.iter().enumerate() {
                if let Some(c) = c {
                    allow_keys.entry(c.key()).or_insert((ai, ei));
                }
            }
        }
        let has_hashed = canon.iter().flatten().any(|c| c.hashed().is_some());
        let suffix_hashes = if has_hashed {
            hashes_of(config.psl.plain_rules())
        } else {
            HashMap::new()
        };
        Context {
            input,
            config,
            allow_keys,
            suffix_hashes,
            never_block_hashes: hashes_of(config.never_block()),
        }
    }
}

fn hashes_of(hosts: &[String]) -> HashMap<[u8; 32], &str> {
    hosts
        .iter()
        .map(|h| (sha256(&format!("{h}/")), h.as_str()))
        .collect()
}

/// `public-suffix`: a whole-host block of a public suffix.
pub(super) fn public_suffix(cx: &Context<'_>, i: usize, e: &Entry, c: &Canon) -> Option<Finding> {
    let h = c.whole_host()?;
    cx.config.psl.is_public_suffix(h).then(|| {
        Finding::new(
            FindingCode::PublicSuffix,
            i,
            format!(
                "{} {:?} blocks the public suffix {h}: every site registered under it",
                e.kind, e.value
            ),
        )
    })
}

/// `never-block`: a whole-host block of a never-block domain or a parent.
pub(super) fn never_block(cx: &Context<'_>, i: usize, e: &Entry, c: &Canon) -> Option<Finding> {
    let h = c.whole_host()?;
    let nb = cx
        .config
        .never_block()
        .iter()
        .find(|nb| *nb == h || nb.ends_with(&format!(".{h}")))?;
    Some(Finding::new(
        FindingCode::NeverBlock,
        i,
        format!(
            "{} {:?} blocks all of {nb}, which is on the never-block list",
            e.kind, e.value
        ),
    ))
}

/// `public-suffix` for a hashed entry: the SHA-256 of `suffix/`.
pub(super) fn hashed_public_suffix(
    cx: &Context<'_>,
    i: usize,
    e: &Entry,
    c: &Canon,
) -> Option<Finding> {
    let ps = cx.suffix_hashes.get(c.hashed()?)?;
    Some(Finding::new(
        FindingCode::PublicSuffix,
        i,
        format!(
            "url-sha256 {} is the hash of {ps}/, a public suffix: every site registered under it",
            e.value
        ),
    ))
}

/// `never-block` for a hashed entry: the SHA-256 of `domain/`.
pub(super) fn hashed_never_block(
    cx: &Context<'_>,
    i: usize,
    e: &Entry,
    c: &Canon,
) -> Option<Finding> {
    let nb = cx.never_block_hashes.get(c.hashed()?)?;
    Some(Finding::new(
        FindingCode::NeverBlock,
        i,
        format!(
            "url-sha256 {} is the hash of {nb}/, on the never-block list",
            e.value
        ),
    ))
}

/// `deep-prefix`: a `url-prefix` directory deeper than Safe Browsing looks
/// up (`/a/b/c/` has 4 slashes, the deepest it tries), which matches only
/// its own URL.
pub(super) fn deep_prefix(i: usize, e: &Entry, c: &Canon) -> Option<Finding> {
    let Canon::Prefix(_, Some((x, at))) = c else {
        return None;
    };
    let path = &x[*at..];
    let dirs = path
        .split_once('?')
        .map_or(path, |(p, _)| p)
        .matches('/')
        .count();
    (path.ends_with('/') && dirs > 4).then(|| {
        Finding::new(
            FindingCode::DeepPrefix,
            i,
            format!(
                "{} {:?} is more than three directories deep: Safe Browsing lookups stop at three, so it matches only the URL {x} itself, nothing below it",
                e.kind, e.value
            ),
        )
    })
}

/// `allowed`: the same entry is on a trusted allow list.
pub(super) fn allowed(cx: &Context<'_>, i: usize, e: &Entry, c: &Canon) -> Option<Finding> {
    let &(ai, ei) = cx.allow_keys.get(&c.key())?;
    Some(Finding::new(
        FindingCode::Allowed,
        i,
        format!(
            "{} {:?} is also on the allow list at {}",
            e.kind,
            e.value,
            cx.config.allow[ai].location(ei)
        ),
    ))
}

/// `duplicate`: the same entry earlier in the list. `first_seen` maps each
/// key to its first entry.
pub(super) fn duplicate<'c>(
    cx: &Context<'_>,
    first_seen: &mut HashMap<Key<'c>, usize>,
    i: usize,
    e: &Entry,
    c: &'c Canon,
) -> Option<Finding> {
    match first_seen.entry(c.key()) {
        MapEntry::Occupied(o) => Some(Finding::new(
            FindingCode::Duplicate,
            i,
            format!(
                "{} {:?} duplicates the entry at {}",
                e.kind,
                e.value,
                cx.input.location(*o.get())
            ),
        )),
        MapEntry::Vacant(v) => {
            v.insert(i);
            None
        }
    }
}
