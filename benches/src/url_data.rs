//! URL lists and URL streams for the benchmarks.
//!
//! Real data first: the hosts and URLs of EasyList, EasyPrivacy and the
//! URLhaus filter as Debian ships them in `webext-ublock-origin-firefox`
//! (`benches/setup.sh` installs it). The list is padded to the requested size
//! with generated entries that look like real ones (random labels under a
//! realistic spread of TLDs). Everything is deterministic: the same seed
//! gives the same list and the same URL stream.

use std::path::{Path, PathBuf};

use hashwall_lists::{Entry, EntryKind, List, ListMeta};

/// Where Debian's uBlock Origin package keeps its third-party lists.
pub const UBLOCK_DIR: &str = "/usr/share/mozilla/extensions/{ec8030f7-c20a-464f-9b0e-13a3a9e97384}/uBlock0@raymondhill.net/assets/thirdparties";

pub use crate::rng::Rng;

/// Hosts and URLs taken from the real lists.
#[derive(Clone, Debug, Default)]
pub struct RealData {
    /// Hosts (`||host^` rules of EasyList/EasyPrivacy, URLhaus host lines).
    pub hosts: Vec<String>,
    /// Full URLs (URLhaus `||host/path^$all` rules), with `http://`.
    pub urls: Vec<String>,
    /// Which files were read.
    pub sources: Vec<PathBuf>,
}

impl RealData {
    /// Reads the lists from `dir` (normally [`UBLOCK_DIR`]); files that are
    /// missing are skipped, so the result may be empty.
    pub fn load(dir: &Path) -> RealData {
        let mut out = RealData::default();
        for rel in ["easylist/easylist.txt", "easylist/easyprivacy.txt"] {
            let path = dir.join(rel);
            if let Ok(text) = std::fs::read_to_string(&path) {
                for line in text.lines() {
                    if let Some(host) = line.strip_prefix("||").and_then(|l| l.strip_suffix('^'))
                        && is_hostish(host)
                    {
                        out.hosts.push(host.to_owned());
                    }
                }
                out.sources.push(path);
            }
        }
        let path = dir.join("urlhaus-filter/urlhaus-filter-online.txt");
        if let Ok(text) = std::fs::read_to_string(&path) {
            for line in text.lines() {
                if line.starts_with('!') || line.is_empty() {
                    continue;
                }
                if let Some(rest) = line.strip_prefix("||") {
                    let rest = rest.split('^').next().unwrap_or(rest);
                    if rest.contains('/') && !rest.contains('*') {
                        out.urls.push(format!("http://{rest}"));
                    }
                } else if is_hostish(line) {
                    out.hosts.push(line.to_owned());
                }
            }
            out.sources.push(path);
        }
        out.hosts.sort();
        out.hosts.dedup();
        out.urls.sort();
        out.urls.dedup();
        out
    }
}

fn is_hostish(s: &str) -> bool {
    !s.is_empty()
        && s.contains('.')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
}

const TLDS: &[&str] = &[
    "com", "com", "com", "com", "net", "org", "de", "co.uk", "ru", "info", "xyz", "io", "fr", "nl",
    "top", "online", "site", "cn", "br", "in",
];
const WORDS: &[&str] = &[
    "img", "cdn", "static", "media", "files", "gallery", "photos", "upload", "share", "video",
    "news", "shop", "forum", "blog", "user", "data", "host", "free", "best", "hot",
];
const EXTS: &[&str] = &[
    "html", "php", "jpg", "png", "gif", "js", "css", "mp4", "webp", "htm",
];

fn label(rng: &mut Rng) -> String {
    const CH: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let len = 4 + rng.below(10);
    let mut s = String::with_capacity(len + 8);
    if rng.chance(0.4) {
        s.push_str(WORDS[rng.below(WORDS.len())]);
    }
    for _ in 0..len {
        s.push(CH[rng.below(26 + if s.is_empty() { 0 } else { 10 })] as char);
    }
    s
}

/// A generated registrable domain like `photoskq3x9.net`.
pub fn gen_domain(rng: &mut Rng) -> String {
    format!("{}.{}", label(rng), TLDS[rng.below(TLDS.len())])
}

/// A generated path (0–5 segments, sometimes a file name, sometimes a query).
pub fn gen_path(rng: &mut Rng) -> String {
    let mut p = String::from("/");
    let depth = rng.below(6);
    for i in 0..depth {
        if i + 1 == depth && rng.chance(0.6) {
            p.push_str(&format!("{}.{}", label(rng), EXTS[rng.below(EXTS.len())]));
        } else {
            p.push_str(&label(rng));
            p.push('/');
        }
    }
    if rng.chance(0.3) {
        p.push('?');
        for i in 0..1 + rng.below(4) {
            if i > 0 {
                p.push('&');
            }
            p.push_str(&format!(
                "{}={}",
                WORDS[rng.below(WORDS.len())],
                rng.below(100_000)
            ));
        }
    }
    p
}

/// A list of `n` entries: the real hosts (`domain`) and URLs (`url`) first,
/// then generated entries: 60 % `domain`, 30 % `url-prefix`, 10 % `url`.
pub fn url_list(n: usize, real: &RealData, seed: u64) -> List {
    let mut rng = Rng::new(seed);
    let mut entries = Vec::with_capacity(n);
    let mk = |kind, value: String, i: usize| Entry {
        kind,
        value,
        reference: Some(format!("B{i}")),
        added: None,
    };
    for h in real.hosts.iter().take(n) {
        entries.push(mk(EntryKind::Domain, h.clone(), entries.len()));
    }
    for u in real.urls.iter().take(n - entries.len()) {
        entries.push(mk(EntryKind::Url, u.clone(), entries.len()));
    }
    while entries.len() < n {
        let i = entries.len();
        let r = rng.below(10);
        let host = gen_domain(&mut rng);
        let e = if r < 6 {
            mk(EntryKind::Domain, host, i)
        } else if r < 9 {
            let mut path = String::from("/");
            for _ in 0..1 + rng.below(2) {
                path.push_str(&label(&mut rng));
                path.push('/');
            }
            mk(EntryKind::UrlPrefix, format!("{host}{path}"), i)
        } else {
            mk(
                EntryKind::Url,
                format!("http://{host}{}", gen_path(&mut rng)),
                i,
            )
        };
        entries.push(e);
    }
    List {
        meta: ListMeta::with_defaults("bench"),
        entries,
    }
}

/// A list of `n` `domain` entries: the real hosts first, then generated
/// domains. The side-by-side benchmark gives the same hosts to `adblock`.
pub fn domain_list(n: usize, real: &RealData, seed: u64) -> List {
    let mut rng = Rng::new(seed);
    let mut entries: Vec<Entry> = real
        .hosts
        .iter()
        .take(n)
        .enumerate()
        .map(|(i, h)| Entry {
            kind: EntryKind::Domain,
            value: h.clone(),
            reference: Some(format!("H{i}")),
            added: None,
        })
        .collect();
    while entries.len() < n {
        let i = entries.len();
        entries.push(Entry {
            kind: EntryKind::Domain,
            value: gen_domain(&mut rng),
            reference: Some(format!("H{i}")),
            added: None,
        });
    }
    List {
        meta: ListMeta::with_defaults("hosts"),
        entries,
    }
}

/// `||host^` rules for the first `n` `domain` entries of `list` (what the
/// `adblock` crate is given in the side-by-side benchmark).
pub fn adblock_rules(list: &List, n: usize) -> Vec<String> {
    list.entries
        .iter()
        .filter(|e| e.kind == EntryKind::Domain)
        .take(n)
        .map(|e| format!("||{}^", e.value))
        .collect()
}

/// A stream of `n` URLs: 70 % on hosts no list names, 20 % on listed hosts
/// (random subdomain and path: `domain` hits), 5 % listed URLs and
/// expressions verbatim, 5 % listed URLs written the hard way (upper case,
/// escapes, ports, fragments) — the canonicaliser's real work.
pub fn url_stream(n: usize, list: &List, seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed);
    let domains: Vec<&str> = list
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Domain)
        .map(|e| e.value.as_str())
        .collect();
    let urls: Vec<String> = list
        .entries
        .iter()
        .filter_map(|e| match e.kind {
            EntryKind::Url => Some(e.value.clone()),
            EntryKind::UrlPrefix => Some(format!("https://{}x.jpg", e.value)),
            _ => None,
        })
        .collect();
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let r = rng.below(100);
        let scheme = if rng.chance(0.7) { "https" } else { "http" };
        // Lists without URL entries get domain hits in place of URL hits.
        let r = if urls.is_empty() && r >= 90 { 80 } else { r };
        let u = if r < 70 || domains.is_empty() {
            let sub = if rng.chance(0.5) { "www." } else { "" };
            format!(
                "{scheme}://{sub}{}{}",
                gen_domain(&mut rng),
                gen_path(&mut rng)
            )
        } else if r < 90 {
            let sub = if rng.chance(0.5) { "cdn." } else { "" };
            let d = domains[rng.below(domains.len())];
            format!("{scheme}://{sub}{d}{}", gen_path(&mut rng))
        } else if r < 95 {
            urls[rng.below(urls.len())].clone()
        } else {
            let u = &urls[rng.below(urls.len())];
            let rest = u.split_once("://").map_or(u.as_str(), |(_, r)| r);
            let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let path = path.replacen('/', "/./%2e%2E/", 1).replace('a', "%61");
            format!("HTTP://{}:8080{path}#frag", host.to_uppercase())
        };
        out.push(u);
    }
    out
}
