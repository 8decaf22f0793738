//! Coverage: which entries of a list subsume others (`covers-many`), and
//! which cover an entry of a trusted allow list (`covers-allowed`).
//!
//! `domain d` covers every entry whose host is `d` or ends in `.d`;
//! `url-prefix h/p` covers `url` and `url-prefix` entries on `h` or a
//! subdomain whose path is `p`, `p` followed by a query, or (when `p` ends
//! in `/`) starts with `p`. Lookups go through hash maps of the coverers, so
//! a list of 250 000 entries lints in under a second.

use std::collections::HashMap;

use super::canon::{Canon, host_suffixes, path_prefixes};
use super::{Finding, FindingCode, LintConfig, LintInput};

/// Indexes of the coverers: `domain` entries by host, `url-prefix` entries by
/// (host, path).
#[derive(Default)]
pub(super) struct Coverers<'c> {
    domains: HashMap<&'c str, Vec<usize>>,
    prefixes: HashMap<(&'c str, &'c str), Vec<usize>>,
}

impl<'c> Coverers<'c> {
    pub(super) fn build(canon: &'c [Option<Canon>]) -> Coverers<'c> {
        let mut c = Coverers::default();
        for (i, e) in canon.iter().enumerate() {
            match e {
                Some(Canon::Domain(h)) => c.domains.entry(h.as_str()).or_default().push(i),
                Some(Canon::Prefix(_, Some((e, at)))) => c
                    .prefixes
                    .entry((&e[..*at], &e[*at..]))
                    .or_default()
                    .push(i),
                _ => {}
            }
        }
        c
    }

    /// Every coverer of an entry with this host and path (path empty for a
    /// `domain` entry, which only a domain or a whole-host prefix covers).
    fn covering(&self, host: &str, path: &str, mut f: impl FnMut(usize)) {
        let mut seen_paths: Vec<&str> = Vec::new();
        for h in host_suffixes(host) {
            if let Some(v) = self.domains.get(h) {
                v.iter().for_each(|&i| f(i));
            }
            seen_paths.clear();
            let paths: Box<dyn Iterator<Item = &str>> = if path.is_empty() {
                Box::new(std::iter::once("/"))
            } else {
                Box::new(path_prefixes(path))
            };
            for p in paths {
                if seen_paths.contains(&p) {
                    continue;
                }
                seen_paths.push(p);
                if let Some(v) = self.prefixes.get(&(h, p)) {
                    v.iter().for_each(|&i| f(i));
                }
            }
        }
    }
}

/// `covers-many`: entries covering at least `config.cover_threshold` other
/// entries of the list. Neither an entry itself nor its duplicates count as
/// covered (duplicates are reported as such).
pub(super) fn covers_many(
    input: &LintInput<'_>,
    config: &LintConfig<'_>,
    canon: &[Option<Canon>],
    coverers: &Coverers<'_>,
    duplicate: &[bool],
) -> Vec<Finding> {
    let mut covers: Vec<(usize, usize)> = vec![(0, usize::MAX); canon.len()];
    for (i, c) in canon.iter().enumerate() {
        let Some((host, path)) = c.as_ref().and_then(Canon::host_path) else {
            continue;
        };
        let key = c.as_ref().map(Canon::key);
        coverers.covering(host, path, |a| {
            if a != i && !duplicate[a] && canon[a].as_ref().map(Canon::key) != key {
                covers[a].0 += 1;
                covers[a].1 = covers[a].1.min(i);
            }
        });
    }
    let mut out = Vec::new();
    for (a, &(n, example)) in covers.iter().enumerate() {
        if n >= config.cover_threshold.max(1) {
            let e = &input.list.entries[a];
            out.push(Finding::new(
                FindingCode::CoversMany,
                a,
                format!(
                    "{} {:?} covers {n} other entries of the list (the first at {}): are they meant to be blocked as a whole?",
                    e.kind,
                    e.value,
                    input.location(example)
                ),
            ));
        }
    }
    out
}

/// `covers-allowed`: entries of the list that cover an entry of a trusted
/// allow list (`allow_canon[i]` is `config.allow[i]` in canonical form).
pub(super) fn covers_allowed(
    input: &LintInput<'_>,
    config: &LintConfig<'_>,
    allow_canon: &[Vec<Option<Canon>>],
    canon: &[Option<Canon>],
    coverers: &Coverers<'_>,
    duplicate: &[bool],
) -> Vec<Finding> {
    let mut out = Vec::new();
    for (ai, entries) in allow_canon.iter().enumerate() {
        for (ei, c) in entries.iter().enumerate() {
            let Some((host, path)) = c.as_ref().and_then(Canon::host_path) else {
                continue;
            };
            let key = c.as_ref().map(Canon::key);
            let mut reported = Vec::new();
            coverers.covering(host, path, |a| {
                if !duplicate[a]
                    && canon[a].as_ref().map(Canon::key) != key
                    && !reported.contains(&a)
                {
                    reported.push(a);
                }
            });
            let allowed = &config.allow[ai];
            for a in reported {
                let e = &input.list.entries[a];
                out.push(Finding::new(
                    FindingCode::CoversAllowed,
                    a,
                    format!(
                        "{} {:?} covers {} {:?}, allowed at {}",
                        e.kind,
                        e.value,
                        allowed.list.entries[ei].kind,
                        allowed.list.entries[ei].value,
                        allowed.location(ei)
                    ),
                ));
            }
        }
    }
    out
}
