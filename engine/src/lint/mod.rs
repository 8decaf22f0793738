//! List lint: catch over-blocking before a list ships.
//!
//! It lives in the engine rather than in `hashwall-lists` because every check
//! compares canonical forms (the form the engine matches), and the public
//! suffix rules need the same IDNA mapping as hosts. Checks, with their codes
//! (documented in `hashlists/EXCHANGE.md`):
//!
//! | code | severity | finding |
//! |---|---|---|
//! | `invalid` | error | the engine cannot canonicalise the entry |
//! | `public-suffix` | error | a `domain` (or a whole-host `url-prefix host/`, or its `url-sha256`) on a public suffix |
//! | `never-block` | error | the entry blocks a never-block domain (or a parent of one) as a whole |
//! | `allowed` | error | the same entry is on a trusted allow list |
//! | `duplicate` | warning | the same entry (after canonicalisation) earlier in the list |
//! | `deep-prefix` | warning | a `url-prefix` directory deeper than Safe Browsing looks up |
//! | `covers-many` | warning | a `domain` or `url-prefix` that subsumes at least N other entries |
//! | `covers-allowed` | info | the entry covers an entry of a trusted allow list |
//! | `cross-duplicate` | warning | the same entry is in an earlier list linted together ([`lint_across`]) |
//!
//! ```
//! use hashwall::lint::{LintConfig, LintInput, PublicSuffixList, Severity, lint};
//! use hashwall_lists::List;
//!
//! let list = List::from_text(b"domain co.uk\ndomain bad.example\ndomain BAD.example.\n", "l")?;
//! let config = LintConfig::new(PublicSuffixList::fallback());
//! let findings = lint(&LintInput::new(&list), &config);
//! assert_eq!(findings[0].code, "public-suffix");
//! assert_eq!(findings[0].severity, Severity::Error);
//! assert_eq!(findings[1].code, "duplicate");
//! assert_eq!(findings[1].entry, 2);
//! # Ok::<(), hashwall_lists::Error>(())
//! ```

use std::collections::{HashMap, HashSet};
use std::fmt;

use hashwall_lists::{EntryKind, List};
use sha2::{Digest, Sha256};

use crate::url::{canonical_expression, canonical_host};

/// Where Debian's `publicsuffix` package installs the Public Suffix List.
pub const DEFAULT_PSL_PATH: &str = "/usr/share/publicsuffix/public_suffix_list.dat";

/// The embedded fallback when no Public Suffix List file is available: the
/// most common multi-label suffixes and shared-hosting platforms. Single-label
/// names (every TLD) are public suffixes anyway, by the list's default rule.
const FALLBACK_SUFFIXES: &[&str] = &[
    "co.uk",
    "org.uk",
    "ac.uk",
    "gov.uk",
    "ltd.uk",
    "plc.uk",
    "me.uk",
    "net.uk",
    "sch.uk",
    "com.au",
    "net.au",
    "org.au",
    "edu.au",
    "gov.au",
    "co.nz",
    "org.nz",
    "net.nz",
    "co.jp",
    "ne.jp",
    "or.jp",
    "ac.jp",
    "go.jp",
    "co.kr",
    "or.kr",
    "com.cn",
    "net.cn",
    "org.cn",
    "gov.cn",
    "com.br",
    "net.br",
    "org.br",
    "gov.br",
    "co.in",
    "net.in",
    "org.in",
    "gov.in",
    "com.mx",
    "org.mx",
    "gob.mx",
    "co.za",
    "org.za",
    "gov.za",
    "com.tr",
    "org.tr",
    "gov.tr",
    "com.ar",
    "com.ru",
    "org.ru",
    "net.ru",
    "com.ua",
    "co.il",
    "org.il",
    "com.sg",
    "com.hk",
    "com.tw",
    "co.id",
    "com.my",
    "com.pl",
    "net.pl",
    "org.pl",
    "co.at",
    "or.at",
    "gv.at",
    "com.es",
    "org.es",
    "gouv.fr",
    "co.it",
    "com.pt",
    "com.gr",
    "co.th",
    "in.th",
    "com.vn",
    "com.ph",
    "com.pk",
    "com.eg",
    "com.sa",
    "com.ng",
    "co.ke",
    "eu.org",
    "us.com",
    "uk.com",
    // Shared hosting and platforms (PSL private section): blocking one of
    // these as a domain blocks every customer.
    "blogspot.com",
    "github.io",
    "gitlab.io",
    "herokuapp.com",
    "appspot.com",
    "cloudfront.net",
    "azurewebsites.net",
    "netlify.app",
    "vercel.app",
    "pages.dev",
    "workers.dev",
    "web.app",
    "firebaseapp.com",
    "wordpress.com",
    "tumblr.com",
    "s3.amazonaws.com",
    "blob.core.windows.net",
    "fly.dev",
    "onrender.com",
    "glitch.me",
    "neocities.org",
    "weebly.com",
    "wixsite.com",
    "000webhostapp.com",
    "ngrok.io",
    "duckdns.org",
    "no-ip.org",
    "dyndns.org",
];

/// The never-block default: platforms, CDNs and shared hosting whose blocking
/// as a whole would take down much more than the content listed. A list may
/// still name a URL on them; lint objects only to a whole-domain block.
pub const DEFAULT_NEVER_BLOCK: &[&str] = &[
    "google.com",
    "youtube.com",
    "googleusercontent.com",
    "googleapis.com",
    "gstatic.com",
    "facebook.com",
    "fbcdn.net",
    "instagram.com",
    "whatsapp.net",
    "twitter.com",
    "x.com",
    "twimg.com",
    "tiktok.com",
    "reddit.com",
    "redd.it",
    "wikipedia.org",
    "wikimedia.org",
    "microsoft.com",
    "live.com",
    "outlook.com",
    "office.com",
    "sharepoint.com",
    "onedrive.com",
    "apple.com",
    "icloud.com",
    "amazon.com",
    "amazonaws.com",
    "cloudfront.net",
    "akamaized.net",
    "akamaihd.net",
    "akamai.net",
    "fastly.net",
    "cloudflare.com",
    "cloudflare.net",
    "github.com",
    "githubusercontent.com",
    "gitlab.com",
    "dropbox.com",
    "dropboxusercontent.com",
    "discord.com",
    "discordapp.com",
    "discordapp.net",
    "telegram.org",
    "t.me",
    "imgur.com",
    "pinterest.com",
    "linkedin.com",
    "yahoo.com",
    "bing.com",
    "duckduckgo.com",
    "archive.org",
    "mega.nz",
    "wordpress.com",
    "blogspot.com",
    "tumblr.com",
    "medium.com",
    "vk.com",
    "yandex.ru",
    "baidu.com",
    "weibo.com",
    "qq.com",
];

/// The Public Suffix List's rules, canonicalised like hosts (IDN rules as
/// punycode), so that lookups compare canonical hosts.
#[derive(Debug, Clone, Default)]
pub struct PublicSuffixList {
    rules: HashSet<String>,
    wildcards: HashSet<String>,
    exceptions: HashSet<String>,
}

impl PublicSuffixList {
    /// Parse the list's text format (`public_suffix_list.dat`): one rule per
    /// line, `//` comments, `*.` wildcards, `!` exceptions. Rules that do not
    /// canonicalise are ignored.
    pub fn parse(text: &str) -> PublicSuffixList {
        let mut psl = PublicSuffixList::default();
        for line in text.lines() {
            let Some(rule) = line.split_whitespace().next() else {
                continue;
            };
            if rule.starts_with("//") {
                continue;
            }
            let (set, name) = if let Some(r) = rule.strip_prefix('!') {
                (&mut psl.exceptions, r)
            } else if let Some(r) = rule.strip_prefix("*.") {
                (&mut psl.wildcards, r)
            } else {
                (&mut psl.rules, rule)
            };
            if let Ok(host) = canonical_host(name) {
                set.insert(host);
            }
        }
        psl
    }

    /// The embedded fallback: common multi-label suffixes and hosting
    /// platforms, plus the default rule (every single-label name).
    pub fn fallback() -> PublicSuffixList {
        PublicSuffixList {
            rules: FALLBACK_SUFFIXES.iter().map(|s| (*s).to_owned()).collect(),
            ..PublicSuffixList::default()
        }
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len() + self.wildcards.len() + self.exceptions.len()
    }

    /// Whether there are no rules (only the default rule applies).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether a canonical host is a public suffix: a rule, a label under a
    /// wildcard rule (unless an exception), or any single-label name (the
    /// list's default rule `*`). IP addresses never are.
    pub fn is_public_suffix(&self, host: &str) -> bool {
        if is_ip(host) || self.exceptions.contains(host) {
            return false;
        }
        if self.rules.contains(host) {
            return true;
        }
        match host.split_once('.') {
            Some((_, parent)) => self.wildcards.contains(parent),
            None => true,
        }
    }
}

fn is_ip(host: &str) -> bool {
    host.starts_with('[') || host.parse::<std::net::Ipv4Addr>().is_ok()
}

/// How serious a finding is. Errors fail `hashwall lists lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Would over-block or is broken: fix before shipping.
    Error,
    /// Probably a mistake.
    Warning,
    /// Worth knowing.
    Info,
}

impl Severity {
    /// `error`, `warning` or `info`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding about one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How serious.
    pub severity: Severity,
    /// A stable code: `invalid`, `public-suffix`, `never-block`, `allowed`,
    /// `duplicate`, `deep-prefix`, `covers-many`, `covers-allowed`.
    pub code: &'static str,
    /// Index of the entry in the list.
    pub entry: usize,
    /// What is wrong, naming related entries by location.
    pub message: String,
}

/// A list to lint or to lint against, with what is needed to name its
/// entries' locations.
#[derive(Debug, Clone, Copy)]
pub struct LintInput<'a> {
    /// The list.
    pub list: &'a List,
    /// How to name it in messages (its file path); the list id when `None`.
    pub name: Option<&'a str>,
    /// Line of each entry (`hashwall_lists::exchange::entry_lines`).
    pub lines: Option<&'a [usize]>,
}

impl<'a> LintInput<'a> {
    /// A list without file information.
    pub fn new(list: &'a List) -> LintInput<'a> {
        LintInput {
            list,
            name: None,
            lines: None,
        }
    }

    /// `name:line`, or `name entry #i` without line numbers.
    pub fn location(&self, entry: usize) -> String {
        let name = self.name.unwrap_or(&self.list.meta.id);
        match self.lines.and_then(|l| l.get(entry)) {
            Some(line) => format!("{name}:{line}"),
            None => format!("{name} entry #{}", entry + 1),
        }
    }
}

/// What [`lint`] checks against.
#[derive(Debug, Clone)]
pub struct LintConfig<'a> {
    /// The public suffixes.
    pub psl: PublicSuffixList,
    /// Never-block domains, canonical (see [`LintConfig::set_never_block`]).
    never_block: Vec<String>,
    /// Trusted allow lists.
    pub allow: Vec<LintInput<'a>>,
    /// `covers-many` fires for an entry covering at least this many others.
    pub cover_threshold: usize,
}

impl<'a> LintConfig<'a> {
    /// The given suffixes, [`DEFAULT_NEVER_BLOCK`], no allow list, and a
    /// `covers-many` threshold of 100.
    pub fn new(psl: PublicSuffixList) -> LintConfig<'a> {
        let mut c = LintConfig {
            psl,
            never_block: Vec::new(),
            allow: Vec::new(),
            cover_threshold: 100,
        };
        c.set_never_block(DEFAULT_NEVER_BLOCK.iter().copied());
        c
    }

    /// Replace the never-block domains; those that do not canonicalise are
    /// returned.
    pub fn set_never_block<'s>(
        &mut self,
        domains: impl IntoIterator<Item = &'s str>,
    ) -> Vec<String> {
        let mut bad = Vec::new();
        self.never_block.clear();
        for d in domains {
            match canonical_host(d) {
                Ok(h) => self.never_block.push(h),
                Err(_) => bad.push(d.to_owned()),
            }
        }
        bad
    }

    /// The never-block domains, canonical.
    pub fn never_block(&self) -> &[String] {
        &self.never_block
    }
}

/// An entry in canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Canon {
    /// `domain`: a host.
    Domain(String),
    /// `url-prefix` (and its hashed form): the expression's SHA-256, plus
    /// the expression when known.
    Prefix([u8; 32], Option<(String, usize)>),
    /// `url`: the full expression and where host ends.
    Exact(String, usize),
    /// Image kinds: kind and value.
    Hash(EntryKind, String),
}

impl Canon {
    /// What makes two entries the same: a plaintext `url-prefix` and its
    /// `url-sha256` are the same entry.
    fn key(&self) -> Key<'_> {
        match self {
            Canon::Domain(h) => Key::Domain(h),
            Canon::Prefix(d, _) => Key::Prefix(d),
            Canon::Exact(e, _) => Key::Exact(e),
            Canon::Hash(k, v) => Key::Hash(*k, v),
        }
    }

    /// (host, path) of a URL entry, for coverage.
    fn host_path(&self) -> Option<(&str, &str)> {
        match self {
            Canon::Domain(h) => Some((h, "")),
            Canon::Prefix(_, Some((e, split))) | Canon::Exact(e, split) => {
                Some((&e[..*split], &e[*split..]))
            }
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key<'a> {
    Domain(&'a str),
    Prefix(&'a [u8; 32]),
    Exact(&'a str),
    Hash(EntryKind, &'a str),
}

fn sha256(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

fn canonicalise(kind: EntryKind, value: &str) -> Result<Canon, String> {
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
        EntryKind::UrlSha256 => {
            let mut d = [0u8; 32];
            for (i, b) in d.iter_mut().enumerate() {
                *b = value
                    .get(2 * i..2 * i + 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or("url-sha256 value is not 64 hex digits")?;
            }
            Canon::Prefix(d, None)
        }
        other => Canon::Hash(other, value.to_owned()),
    })
}

/// The host and every parent at a label boundary (only the host for an IP).
fn host_suffixes(host: &str) -> impl Iterator<Item = &str> {
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
fn path_prefixes(path: &str) -> impl Iterator<Item = &str> {
    let no_query = path.split_once('?').map(|(p, _)| p);
    let dirs = path
        .split_once('?')
        .map_or(path, |(p, _)| p)
        .match_indices('/')
        .map(move |(i, _)| &path[..=i]);
    std::iter::once(path).chain(no_query).chain(dirs)
}

/// Indexes of the coverers: `domain` entries by host, `url-prefix` entries by
/// (host, path).
#[derive(Default)]
struct Coverers<'c> {
    domains: HashMap<&'c str, Vec<usize>>,
    prefixes: HashMap<(&'c str, &'c str), Vec<usize>>,
}

impl<'c> Coverers<'c> {
    fn build(canon: &'c [Option<Canon>]) -> Coverers<'c> {
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

/// Lint one list. Findings come in entry order, each entry's by severity.
pub fn lint(input: &LintInput<'_>, config: &LintConfig<'_>) -> Vec<Finding> {
    let list = input.list;
    let mut findings = Vec::new();
    let canon: Vec<Option<Canon>> = list
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| match canonicalise(e.kind, &e.value) {
            Ok(c) => Some(c),
            Err(msg) => {
                findings.push(Finding {
                    severity: Severity::Error,
                    code: "invalid",
                    entry: i,
                    message: format!("{} {:?} cannot be canonicalised: {msg}", e.kind, e.value),
                });
                None
            }
        })
        .collect();

    // Allow lists, canonical, keyed.
    let allow_canon: Vec<Vec<Option<Canon>>> = config
        .allow
        .iter()
        .map(|a| {
            a.list
                .entries
                .iter()
                .map(|e| canonicalise(e.kind, &e.value).ok())
                .collect()
        })
        .collect();
    let mut allow_keys: HashMap<Key<'_>, (usize, usize)> = HashMap::new();
    for (ai, entries) in allow_canon.iter().enumerate() {
        for (ei, c) in entries.iter().enumerate() {
            if let Some(c) = c {
                allow_keys.entry(c.key()).or_insert((ai, ei));
            }
        }
    }
    // Hashed entries can hide a whole-host block: compare them with the
    // hashes of `suffix/` (only when the list holds any, ~10 000 SHA-256).
    let has_hashed = canon
        .iter()
        .any(|c| matches!(c, Some(Canon::Prefix(_, None))));
    let suffix_hashes: HashMap<[u8; 32], &str> = if has_hashed {
        config
            .psl
            .rules
            .iter()
            .map(|r| (sha256(&format!("{r}/")), r.as_str()))
            .collect()
    } else {
        HashMap::new()
    };
    let never_block_hashes: HashMap<[u8; 32], &str> = config
        .never_block
        .iter()
        .map(|d| (sha256(&format!("{d}/")), d.as_str()))
        .collect();

    let mut first_seen: HashMap<Key<'_>, usize> = HashMap::new();
    // Duplicates are reported once as such, not again for what they cover.
    let mut duplicate = vec![false; canon.len()];
    for (i, c) in canon.iter().enumerate() {
        let Some(c) = c else { continue };
        let e = &list.entries[i];
        let mut push = |severity, code, message| {
            findings.push(Finding {
                severity,
                code,
                entry: i,
                message,
            })
        };
        // The host an entry blocks as a whole, if it does.
        let whole_host = match c {
            Canon::Domain(h) => Some(h.as_str()),
            Canon::Prefix(_, Some((e, at))) if &e[*at..] == "/" => Some(&e[..*at]),
            _ => None,
        };
        if let Some(h) = whole_host {
            if config.psl.is_public_suffix(h) {
                push(
                    Severity::Error,
                    "public-suffix",
                    format!(
                        "{} {:?} blocks the public suffix {h}: every site registered under it",
                        e.kind, e.value
                    ),
                );
            }
            if let Some(nb) = config
                .never_block
                .iter()
                .find(|nb| *nb == h || nb.ends_with(&format!(".{h}")))
            {
                push(
                    Severity::Error,
                    "never-block",
                    format!(
                        "{} {:?} blocks all of {nb}, which is on the never-block list",
                        e.kind, e.value
                    ),
                );
            }
        }
        if let Canon::Prefix(d, None) = c
            && let Some(ps) = suffix_hashes.get(d)
        {
            push(
                Severity::Error,
                "public-suffix",
                format!(
                    "url-sha256 {} is the hash of {ps}/, a public suffix: every site registered under it",
                    e.value
                ),
            );
        }
        if let Canon::Prefix(d, None) = c
            && let Some(nb) = never_block_hashes.get(d)
        {
            push(
                Severity::Error,
                "never-block",
                format!(
                    "url-sha256 {} is the hash of {nb}/, on the never-block list",
                    e.value
                ),
            );
        }
        if let Canon::Prefix(_, Some((x, at))) = c {
            let path = &x[*at..];
            let dirs = path
                .split_once('?')
                .map_or(path, |(p, _)| p)
                .matches('/')
                .count();
            // `/a/b/c/` has 4 slashes: the deepest directory Safe Browsing
            // looks up. Deeper prefixes only ever match their own URL.
            if path.ends_with('/') && dirs > 4 {
                push(
                    Severity::Warning,
                    "deep-prefix",
                    format!(
                        "{} {:?} is more than three directories deep: Safe Browsing lookups stop at three, so it matches only the URL {x} itself, nothing below it",
                        e.kind, e.value
                    ),
                );
            }
        }
        if let Some(&(ai, ei)) = allow_keys.get(&c.key()) {
            push(
                Severity::Error,
                "allowed",
                format!(
                    "{} {:?} is also on the allow list at {}",
                    e.kind,
                    e.value,
                    config.allow[ai].location(ei)
                ),
            );
        }
        match first_seen.entry(c.key()) {
            std::collections::hash_map::Entry::Occupied(o) => {
                duplicate[i] = true;
                push(
                    Severity::Warning,
                    "duplicate",
                    format!(
                        "{} {:?} duplicates the entry at {}",
                        e.kind,
                        e.value,
                        input.location(*o.get())
                    ),
                );
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(i);
            }
        }
    }

    // Coverage within the list.
    let coverers = Coverers::build(&canon);
    let mut covers: Vec<(usize, usize)> = vec![(0, usize::MAX); canon.len()];
    for (i, c) in canon.iter().enumerate() {
        let Some((host, path)) = c.as_ref().and_then(Canon::host_path) else {
            continue;
        };
        let key = c.as_ref().map(Canon::key);
        coverers.covering(host, path, |a| {
            // Itself and exact duplicates are not "covered" (duplicates are
            // reported as such).
            if a != i && !duplicate[a] && canon[a].as_ref().map(Canon::key) != key {
                covers[a].0 += 1;
                covers[a].1 = covers[a].1.min(i);
            }
        });
    }
    for (a, &(n, example)) in covers.iter().enumerate() {
        if n >= config.cover_threshold.max(1) {
            let e = &list.entries[a];
            findings.push(Finding {
                severity: Severity::Warning,
                code: "covers-many",
                entry: a,
                message: format!(
                    "{} {:?} covers {n} other entries of the list (the first at {}): are they meant to be blocked as a whole?",
                    e.kind,
                    e.value,
                    input.location(example)
                ),
            });
        }
    }

    // Allow-list entries the list's entries cover.
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
            for a in reported {
                let e = &list.entries[a];
                findings.push(Finding {
                    severity: Severity::Info,
                    code: "covers-allowed",
                    entry: a,
                    message: format!(
                        "{} {:?} covers {} {:?}, allowed at {}",
                        e.kind,
                        e.value,
                        config.allow[ai].list.entries[ei].kind,
                        config.allow[ai].list.entries[ei].value,
                        config.allow[ai].location(ei)
                    ),
                });
            }
        }
    }
    findings.sort_by_key(|f| (f.entry, f.severity));
    findings
}

/// Entries present in more than one of `inputs` (lists linted together),
/// after canonicalisation as for `duplicate`: each entry also found in an
/// earlier list is reported once, as `cross-duplicate` (warning), naming
/// both lists' ids and where the first occurrence is. Returns (index of the
/// list in `inputs`, finding); within-list duplicates are left to [`lint`].
pub fn lint_across(inputs: &[LintInput<'_>]) -> Vec<(usize, Finding)> {
    let canon: Vec<Vec<Option<Canon>>> = inputs
        .iter()
        .map(|i| {
            i.list
                .entries
                .iter()
                .map(|e| canonicalise(e.kind, &e.value).ok())
                .collect()
        })
        .collect();
    let mut first: HashMap<Key<'_>, (usize, usize)> = HashMap::new();
    let mut findings = Vec::new();
    for (li, entries) in canon.iter().enumerate() {
        let mut here: HashSet<Key<'_>> = HashSet::new();
        for (ei, c) in entries.iter().enumerate() {
            let Some(c) = c else { continue };
            let key = c.key();
            if !here.insert(key) {
                continue;
            }
            match first.get(&key) {
                Some(&(fl, fe)) if fl != li => {
                    let e = &inputs[li].list.entries[ei];
                    findings.push((
                        li,
                        Finding {
                            severity: Severity::Warning,
                            code: "cross-duplicate",
                            entry: ei,
                            message: format!(
                                "{} {:?} of list {} is also in list {} at {}",
                                e.kind,
                                e.value,
                                inputs[li].list.meta.id,
                                inputs[fl].list.meta.id,
                                inputs[fl].location(fe)
                            ),
                        },
                    ));
                }
                Some(_) => {}
                None => {
                    first.insert(key, (li, ei));
                }
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_across_lists() {
        let parse =
            |t: &str, id: &str| List::from_text(t.as_bytes(), id).unwrap_or_else(|e| panic!("{e}"));
        let a = parse(
            "domain bad.example\nurl-prefix evil.example/a/\nmd5 d41d8cd98f00b204e9800998ecf8427e\n",
            "a",
        );
        let b_text = format!(
            "domain BAD.example.\nurl-sha256 {}\ndomain only-b.example\ndomain bad.example\n",
            hashwall_lists::exchange::sha256_hex(b"evil.example/a/")
        );
        let b = parse(&b_text, "b");
        let c = parse(
            "md5 D41D8CD98F00B204E9800998ECF8427E\ndomain only-b.example\n",
            "c",
        );
        let inputs = [LintInput::new(&a), LintInput::new(&b), LintInput::new(&c)];
        let got: Vec<(usize, usize, &str)> = lint_across(&inputs)
            .iter()
            .map(|(l, f)| (*l, f.entry, f.code))
            .collect();
        // b's first entry (same host) and its hashed prefix; not its own
        // second copy of bad.example (a within-list duplicate); c's md5 and
        // its domain first seen in b.
        assert_eq!(
            got,
            [
                (1, 0, "cross-duplicate"),
                (1, 1, "cross-duplicate"),
                (2, 0, "cross-duplicate"),
                (2, 1, "cross-duplicate"),
            ]
        );
        let f = &lint_across(&inputs)[0].1;
        assert_eq!(f.severity, Severity::Warning);
        assert_eq!(
            f.message,
            "domain \"BAD.example.\" of list b is also in list a at a entry #1"
        );
        // One list alone: nothing.
        assert!(lint_across(&inputs[..1]).is_empty());
    }

    #[test]
    fn psl_rules() {
        let psl = PublicSuffixList::parse(
            "// comment\ncom\nco.uk\n*.ck\n!www.ck\n// ===BEGIN PRIVATE DOMAINS===\ngithub.io\n公司.cn\n",
        );
        for h in [
            "com",
            "co.uk",
            "foo.ck",
            "github.io",
            "xn--55qx5d.cn",
            "example",
        ] {
            assert!(psl.is_public_suffix(h), "{h}");
        }
        for h in [
            "example.com",
            "www.ck",
            "a.foo.ck",
            "x.github.io",
            "192.0.2.1",
            "[::1]",
        ] {
            assert!(!psl.is_public_suffix(h), "{h}");
        }
    }

    #[test]
    fn hashed_whole_host_blocks_are_found() {
        use std::fmt::Write as _;
        let hex = |s: &str| {
            sha256(s).iter().fold(String::new(), |mut out, b| {
                let _ = write!(out, "{b:02x}");
                out
            })
        };
        let text = format!(
            "url-sha256 {}\nurl-sha256 {}\nurl-sha256 {}\n",
            hex("co.uk/"),
            hex("google.com/"),
            hex("fine.example/")
        );
        let list = List::from_text(text.as_bytes(), "h").expect("parses");
        let f = lint(
            &LintInput::new(&list),
            &LintConfig::new(PublicSuffixList::fallback()),
        );
        let got: Vec<(usize, &str)> = f.iter().map(|f| (f.entry, f.code)).collect();
        assert_eq!(got, [(0, "public-suffix"), (1, "never-block")]);
    }

    #[test]
    fn deep_prefixes_are_reported() {
        let list = List::from_text(
            b"url-prefix a.example/1/2/3/\nurl-prefix a.example/1/2/3/4/\nurl-prefix a.example/1/2/3/4/x.html\n",
            "d",
        )
        .expect("parses");
        let f = lint(
            &LintInput::new(&list),
            &LintConfig::new(PublicSuffixList::fallback()),
        );
        let got: Vec<(usize, &str)> = f.iter().map(|f| (f.entry, f.code)).collect();
        assert_eq!(got, [(1, "deep-prefix")]);
    }

    #[test]
    fn path_prefixes_cover_directories_and_query() {
        let got: Vec<&str> = path_prefixes("/a/b/c.html?x=1").collect();
        assert_eq!(got, ["/a/b/c.html?x=1", "/a/b/c.html", "/", "/a/", "/a/b/"]);
        let got: Vec<&str> = host_suffixes("a.b.example").collect();
        assert_eq!(got, ["a.b.example", "b.example", "example"]);
        assert_eq!(host_suffixes("192.0.2.1").count(), 1);
    }
}
