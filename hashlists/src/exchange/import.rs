//! Imports from foreign list formats into a [`List`]. Formats in `EXCHANGE.md`.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::str::FromStr;

use super::Canonicalize;
use crate::error::{Error, ErrorKind};
use crate::kind::EntryKind;
use crate::model::{Entry, List, ListMeta};
use crate::text::{MAX_LINE_LEN, clip};

/// How many rejected lines [`Imported::rejections`] keeps in
/// `--skip-invalid` mode; the rest are only counted, so that a hostile file of
/// millions of bad lines cannot make the report grow without bound.
pub const MAX_KEPT_REJECTIONS: usize = 100;

/// The foreign formats [`import`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ImportFormat {
    /// One URL per line (`urls`) → `url`, or `url-prefix` with
    /// [`ImportOptions::url_prefix`].
    Urls,
    /// A hosts file (`hosts`): `IP host [host…]` → `domain`.
    Hosts,
    /// A squidGuard `domains` file (`squid-domains`) → `domain`.
    SquidDomains,
    /// A squidGuard `urls` file (`squid-urls`): `host/path` → `url-prefix`.
    SquidUrls,
    /// A python-threatexchange / HMA file bank (`threatexchange`):
    /// `signal_type signal` lines such as `pdq <hex>`.
    ThreatExchange,
    /// A CSV hash list with a header row (`csv`): MD5 / SHA-1 / SHA-256 /
    /// PDQ columns, or type and value columns (ThreatExchange and HMA
    /// exports), and an optional reference column.
    Csv,
}

impl ImportFormat {
    /// Every format, in documentation order.
    pub const ALL: [ImportFormat; 6] = [
        ImportFormat::Urls,
        ImportFormat::Hosts,
        ImportFormat::SquidDomains,
        ImportFormat::SquidUrls,
        ImportFormat::ThreatExchange,
        ImportFormat::Csv,
    ];

    /// The format's name on the command line.
    pub const fn as_str(self) -> &'static str {
        match self {
            ImportFormat::Urls => "urls",
            ImportFormat::Hosts => "hosts",
            ImportFormat::SquidDomains => "squid-domains",
            ImportFormat::SquidUrls => "squid-urls",
            ImportFormat::ThreatExchange => "threatexchange",
            ImportFormat::Csv => "csv",
        }
    }
}

impl fmt::Display for ImportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ImportFormat {
    type Err = Error;

    fn from_str(s: &str) -> Result<ImportFormat, Error> {
        ImportFormat::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let names: Vec<&str> = ImportFormat::ALL.iter().map(|f| f.as_str()).collect();
                Error::new(
                    ErrorKind::Import,
                    format!(
                        "unknown import format {:?}; formats: {}",
                        clip(s),
                        names.join(", ")
                    ),
                )
            })
    }
}

/// Options for [`import`].
#[derive(Clone, Copy)]
pub struct ImportOptions<'a> {
    /// The input's format.
    pub format: ImportFormat,
    /// For [`ImportFormat::Urls`] (and `url` signals of ThreatExchange
    /// files): make `url-prefix` entries instead of exact `url` entries.
    pub url_prefix: bool,
    /// Skip and count rejected lines instead of failing on the first.
    pub skip_invalid: bool,
    /// Validates URL and host values as the engine will, so that a value
    /// the engine cannot load is rejected here, with its line. Without it
    /// only the list format's own rules apply.
    pub canon: Option<&'a dyn Canonicalize>,
}

impl<'a> ImportOptions<'a> {
    /// Options for `format`: exact `url` entries, fail on the first bad
    /// line, no canonical validation.
    pub fn new(format: ImportFormat) -> ImportOptions<'a> {
        ImportOptions {
            format,
            url_prefix: false,
            skip_invalid: false,
            canon: None,
        }
    }
}

impl fmt::Debug for ImportOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportOptions")
            .field("format", &self.format)
            .field("url_prefix", &self.url_prefix)
            .field("skip_invalid", &self.skip_invalid)
            .field("canon", &self.canon.is_some())
            .finish()
    }
}

/// The result of an [`import`].
#[derive(Debug)]
pub struct Imported {
    /// The list: the given metadata and the imported entries, in file order.
    pub list: List,
    /// Lines rejected and skipped (only with [`ImportOptions::skip_invalid`]).
    pub skipped: usize,
    /// The first [`MAX_KEPT_REJECTIONS`] of those, each with its line.
    pub rejections: Vec<Error>,
    /// Values deliberately left out: `localhost` and friends in hosts files.
    pub ignored: usize,
}

/// Import `bytes` in `opts.format` into a list with metadata `meta`.
///
/// # Errors
///
/// The first rejected line (unless `opts.skip_invalid`), as an [`Error`]
/// with its line number: kind [`ErrorKind::Import`] for a line the format
/// does not allow, [`ErrorKind::InvalidValue`] for a value the list format
/// rejects (bad hex, whitespace), [`ErrorKind::LineTooLong`] and
/// [`ErrorKind::InvalidUtf8`]. A CSV file without a usable header row fails
/// even with `skip_invalid`.
pub fn import(bytes: &[u8], meta: ListMeta, opts: &ImportOptions<'_>) -> Result<Imported, Error> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut out = Imported {
        list: List {
            meta,
            entries: Vec::new(),
        },
        skipped: 0,
        rejections: Vec::new(),
        ignored: 0,
    };
    let mut csv: Option<CsvColumns> = None;
    for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let lineno = i + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let result = line_text(raw).and_then(|line| {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                return Ok(());
            }
            match opts.format {
                ImportFormat::Urls => url_line(line, opts, &mut out.list.entries),
                ImportFormat::Hosts => hosts_line(line, opts, &mut out),
                ImportFormat::SquidDomains => squid_domain_line(line, opts, &mut out.list.entries),
                ImportFormat::SquidUrls => squid_url_line(line, opts, &mut out.list.entries),
                ImportFormat::ThreatExchange => te_line(line, opts, &mut out.list.entries),
                ImportFormat::Csv => match &csv {
                    None => {
                        // The header row is structural: without it no later
                        // line means anything, so it fails even when skipping.
                        csv = Some(CsvColumns::from_header(line).map_err(Stop::Fatal)?);
                        Ok(())
                    }
                    Some(cols) => cols.row(line, opts, &mut out.list.entries),
                },
            }
        });
        match result {
            Ok(()) => {}
            Err(Stop::Fatal(e)) => return Err(e.at_line(lineno)),
            Err(Stop::Reject(e)) if !opts.skip_invalid => return Err(e.at_line(lineno)),
            Err(Stop::Reject(e)) => {
                out.skipped += 1;
                if out.rejections.len() < MAX_KEPT_REJECTIONS {
                    out.rejections.push(e.at_line(lineno));
                }
            }
        }
    }
    if opts.format == ImportFormat::Csv && csv.is_none() {
        return Err(Error::new(
            ErrorKind::Import,
            "CSV input has no header row (expected column names such as md5, sha1, pdq, reference)",
        ));
    }
    Ok(out)
}

/// Like [`import`], reading `path`; errors name the file. The list's default
/// metadata comes from `meta`.
///
/// # Errors
///
/// As [`import`], plus [`ErrorKind::Io`].
pub fn import_file(
    path: &Path,
    meta: ListMeta,
    opts: &ImportOptions<'_>,
) -> Result<Imported, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let mut got = import(&bytes, meta, opts).map_err(|e| e.with_path(path))?;
    got.rejections = got
        .rejections
        .into_iter()
        .map(|e| e.with_path(path))
        .collect();
    Ok(got)
}

/// Why a line was not imported.
enum Stop {
    /// The line is bad: skipped and counted with `skip_invalid`, else fatal.
    Reject(Error),
    /// The import cannot go on whatever the options (a CSV header without
    /// usable columns).
    Fatal(Error),
}

/// What a line handler returns.
type Step = Result<(), Stop>;

fn reject(e: Error) -> Step {
    Err(Stop::Reject(e))
}

/// Decode one line, rejecting lines too long or not UTF-8.
fn line_text(raw: &[u8]) -> Result<&str, Stop> {
    if raw.len() > MAX_LINE_LEN {
        return Err(Stop::Reject(Error::new(
            ErrorKind::LineTooLong,
            format!(
                "line is {} bytes, longer than the {MAX_LINE_LEN} byte limit",
                raw.len()
            ),
        )));
    }
    std::str::from_utf8(raw).map_err(|e| {
        Stop::Reject(Error::new(
            ErrorKind::InvalidUtf8,
            format!("invalid UTF-8 at byte {} of the line", e.valid_up_to() + 1),
        ))
    })
}

fn import_error(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Import, msg)
}

/// Validate a value for `kind` by the list format's rules and, when a
/// canonicaliser is given, by the engine's.
fn make_entry(
    kind: EntryKind,
    value: &str,
    reference: Option<&str>,
    opts: &ImportOptions<'_>,
) -> Result<Entry, Error> {
    let value = kind.normalise_value(value)?;
    if let Some(c) = opts.canon {
        let checked = match kind {
            EntryKind::Domain => c.host(&value),
            EntryKind::Url | EntryKind::UrlPrefix => c.expression(&value),
            _ => Ok(String::new()),
        };
        if let Err(msg) = checked {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!(
                    "{kind} value {:?} cannot be canonicalised: {msg}",
                    clip(&value)
                ),
            ));
        }
    }
    let reference = match reference.map(str::trim) {
        None | Some("") => None,
        Some(r) => {
            if let Some(ch) = r.chars().find(|&ch| ch.is_control() && ch != '\t') {
                return Err(Error::new(
                    ErrorKind::InvalidValue,
                    format!("reference contains control character {ch:?}"),
                ));
            }
            Some(r.to_owned())
        }
    };
    Ok(Entry {
        kind,
        value,
        reference,
        added: None,
    })
}

/// Push an entry or record the line's rejection.
fn push(
    entries: &mut Vec<Entry>,
    kind: EntryKind,
    value: &str,
    reference: Option<&str>,
    opts: &ImportOptions<'_>,
) -> Step {
    match make_entry(kind, value, reference, opts) {
        Ok(e) => {
            entries.push(e);
            Ok(())
        }
        Err(e) => reject(e),
    }
}

/// Split at the first run of whitespace.
fn first_token(line: &str) -> (&str, &str) {
    match line.find(char::is_whitespace) {
        Some(i) => (&line[..i], line[i..].trim_start()),
        None => (line, ""),
    }
}

fn url_line(line: &str, opts: &ImportOptions<'_>, entries: &mut Vec<Entry>) -> Step {
    let (url, rest) = first_token(line);
    let kind = if opts.url_prefix {
        EntryKind::UrlPrefix
    } else {
        EntryKind::Url
    };
    push(entries, kind, url, Some(rest), opts)
}

/// Host names a hosts file maps for the machine itself, not for blocking.
const LOCAL_NAMES: &[&str] = &[
    "localhost",
    "localhost.localdomain",
    "localhost4",
    "localhost4.localdomain4",
    "localhost6",
    "localhost6.localdomain6",
    "local",
    "broadcasthost",
    "ip6-localhost",
    "ip6-loopback",
    "ip6-localnet",
    "ip6-mcastprefix",
    "ip6-allnodes",
    "ip6-allrouters",
    "ip6-allhosts",
    "0.0.0.0",
];

fn hosts_line(line: &str, opts: &ImportOptions<'_>, out: &mut Imported) -> Step {
    // Comments may follow the names.
    let line = line.split_once('#').map_or(line, |(l, _)| l);
    let mut tokens = line.split_whitespace();
    let Some(ip) = tokens.next() else {
        return Ok(());
    };
    if ip.parse::<Ipv4Addr>().is_err() && ip.parse::<Ipv6Addr>().is_err() {
        return reject(import_error(format!(
            "hosts line must start with an IP address, found {:?}",
            clip(ip)
        )));
    }
    let mut names = 0;
    let mut staged = Vec::new();
    for name in tokens {
        names += 1;
        let trimmed = name.trim_end_matches('.');
        if LOCAL_NAMES.iter().any(|l| l.eq_ignore_ascii_case(trimmed)) {
            out.ignored += 1;
            continue;
        }
        match make_entry(EntryKind::Domain, name, None, opts) {
            Ok(e) => staged.push(e),
            // One bad name rejects the whole line: a half-imported line
            // is harder to reason about than a skipped one.
            Err(e) => return reject(e),
        }
    }
    if names == 0 {
        return reject(import_error("hosts line has an address but no host name"));
    }
    out.list.entries.extend(staged);
    Ok(())
}

fn squid_domain_line(line: &str, opts: &ImportOptions<'_>, entries: &mut Vec<Entry>) -> Step {
    let (domain, rest) = first_token(line);
    if !rest.is_empty() {
        return reject(import_error(format!(
            "squidGuard domains line must hold one domain, found {:?} after it",
            clip(rest)
        )));
    }
    // squidGuard accepts `.example.org` as well as `example.org`; both mean
    // the domain and its subdomains.
    let domain = domain.strip_prefix('.').unwrap_or(domain);
    push(entries, EntryKind::Domain, domain, None, opts)
}

fn squid_url_line(line: &str, opts: &ImportOptions<'_>, entries: &mut Vec<Entry>) -> Step {
    let (url, rest) = first_token(line);
    if !rest.is_empty() {
        return reject(import_error(format!(
            "squidGuard urls line must hold one URL, found {:?} after it",
            clip(rest)
        )));
    }
    if url.contains("://") {
        return reject(import_error(
            "squidGuard urls entries are host/path without a scheme",
        ));
    }
    // squidGuard matches `host/dir` and everything below it. A Safe
    // Browsing prefix without a trailing `/` matches only that path, so a
    // path that does not end in `/` also gets its directory form.
    let path = url.split_once('/').map_or("", |(_, p)| p);
    if path.is_empty() || path.ends_with('/') || path.contains('?') {
        return push(entries, EntryKind::UrlPrefix, url, None, opts);
    }
    let first = match make_entry(EntryKind::UrlPrefix, url, None, opts) {
        Ok(e) => e,
        Err(e) => return reject(e),
    };
    let dir = format!("{url}/");
    match make_entry(EntryKind::UrlPrefix, &dir, None, opts) {
        Ok(e) => {
            entries.push(first);
            entries.push(e);
            Ok(())
        }
        Err(e) => reject(e),
    }
}

/// Map a ThreatExchange / HMA signal type name (python-threatexchange
/// `SignalType.get_name()`, Graph API `HASH_*` indicator types) or one of our
/// own kind tokens to an entry kind. `None`: known but not representable.
fn signal_kind(name: &str, url_prefix: bool) -> Result<EntryKind, String> {
    let lower = name.trim().to_ascii_lowercase();
    let kind = match lower.as_str() {
        "pdq" | "hash_pdq" | "photo_pdq" => EntryKind::Pdq,
        "video_md5" | "photo_md5" | "md5" | "hash_md5" => EntryKind::Md5,
        "sha1" | "hash_sha1" | "sha-1" => EntryKind::Sha1,
        "sha256" | "hash_sha256" | "sha-256" => EntryKind::Sha256,
        "phash" | "dhash" | "url-sha256" | "url-prefix" | "domain" => {
            return lower.parse::<EntryKind>().map_err(|e| e.to_string());
        }
        "url" | "uri" => {
            if url_prefix {
                EntryKind::UrlPrefix
            } else {
                EntryKind::Url
            }
        }
        "raw_text" | "trend_query" | "pdq_ocr" | "url_md5" | "tmk" | "vpdq" => {
            return Err(format!(
                "signal type {:?} has no equivalent list entry kind",
                clip(name)
            ));
        }
        _ => return Err(format!("unknown signal type {:?}", clip(name))),
    };
    Ok(kind)
}

fn te_line(line: &str, opts: &ImportOptions<'_>, entries: &mut Vec<Entry>) -> Step {
    // python-threatexchange's file exchange splits at the first space:
    // `signal_type signal`.
    let (ty, signal) = first_token(line);
    if signal.is_empty() {
        return reject(import_error(
            "expected `signal_type signal`, such as `pdq <64 hex digits>`",
        ));
    }
    match signal_kind(ty, opts.url_prefix) {
        Ok(kind) => push(entries, kind, signal, None, opts),
        Err(msg) => reject(import_error(msg)),
    }
}

/// Column names, matched after trimming, ASCII lower-casing and reading
/// spaces and `-` as `_`. Order
/// matters for references: the first present wins.
const COLUMN_ALIASES: &[(Column, &[&str])] = &[
    (
        Column::Hash(EntryKind::Md5),
        &[
            "md5",
            "md5_hash",
            "md5hash",
            "hash_md5",
            "video_md5",
            "photo_md5",
        ],
    ),
    (
        Column::Hash(EntryKind::Sha1),
        &["sha1", "sha_1", "sha1_hash", "sha1hash", "hash_sha1"],
    ),
    (
        Column::Hash(EntryKind::Sha256),
        &[
            "sha256",
            "sha_256",
            "sha256_hash",
            "sha256hash",
            "hash_sha256",
        ],
    ),
    (
        Column::Hash(EntryKind::Pdq),
        &["pdq", "pdq_hash", "pdqhash", "hash_pdq"],
    ),
    (Column::Hash(EntryKind::Phash), &["phash"]),
    (Column::Hash(EntryKind::Dhash), &["dhash"]),
    (
        Column::Type,
        &[
            "signal_type",
            "hash_type",
            "indicator_type",
            "td_indicator_type",
            "type",
        ],
    ),
    (
        Column::Value,
        &[
            "signal",
            "signal_value",
            "hash_value",
            "hash",
            "indicator",
            "td_raw_indicator",
            "raw_indicator",
            "value",
        ],
    ),
    (
        Column::Reference,
        &[
            "reference",
            "ref",
            "case",
            "case_id",
            "report_id",
            "content_id",
            "bank_content_id",
            "bank_member_id",
            "member_id",
            "descriptor_id",
            "td_id",
            "id",
        ],
    ),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    Hash(EntryKind),
    Type,
    Value,
    Reference,
}

/// The columns of a CSV hash list, from its header row.
struct CsvColumns {
    sep: char,
    width: usize,
    hashes: Vec<(usize, EntryKind)>,
    typed: Option<(usize, usize)>,
    reference: Option<usize>,
}

impl CsvColumns {
    fn from_header(line: &str) -> Result<CsvColumns, Error> {
        // Hotlines export with `,`, spreadsheets in some locales with `;`,
        // and some tools with tabs: take whichever the header uses.
        let sep = [',', ';', '\t']
            .into_iter()
            .find(|&c| line.contains(c))
            .unwrap_or(',');
        let names = split_csv(line, sep).map_err(import_error)?;
        let names: Vec<String> = names
            .iter()
            // `MD5 Hash`, `md5-hash` and `md5_hash` name the same column.
            .map(|n| n.trim().to_ascii_lowercase().replace([' ', '-'], "_"))
            .collect();
        let find = |col: Column| -> Option<usize> {
            let aliases = COLUMN_ALIASES.iter().find(|(c, _)| *c == col)?.1;
            aliases
                .iter()
                .find_map(|a| names.iter().position(|n| n == a))
        };
        let mut hashes = Vec::new();
        for (col, _) in COLUMN_ALIASES {
            if let Column::Hash(kind) = *col
                && let Some(i) = find(*col)
            {
                hashes.push((i, kind));
            }
        }
        let typed = match (find(Column::Type), find(Column::Value)) {
            (Some(t), Some(v)) => Some((t, v)),
            _ => None,
        };
        if hashes.is_empty() && typed.is_none() {
            return Err(import_error(format!(
                "CSV header names no hash column (md5, sha1, sha256, pdq, phash, dhash) nor a \
                 signal_type + signal pair; found: {}",
                clip(&names.join(", "))
            )));
        }
        Ok(CsvColumns {
            sep,
            width: names.len(),
            hashes,
            typed,
            reference: find(Column::Reference),
        })
    }

    fn row(&self, line: &str, opts: &ImportOptions<'_>, entries: &mut Vec<Entry>) -> Step {
        let fields = match split_csv(line, self.sep) {
            Ok(f) => f,
            Err(msg) => return reject(import_error(msg)),
        };
        if fields.len() != self.width {
            return reject(import_error(format!(
                "CSV row has {} fields, the header has {}",
                fields.len(),
                self.width
            )));
        }
        let cell = |i: usize| fields.get(i).map_or("", |s| s.trim());
        let reference = self.reference.map(cell).filter(|r| !r.is_empty());
        let mut staged = Vec::new();
        for &(i, kind) in &self.hashes {
            let v = cell(i);
            if v.is_empty() {
                continue;
            }
            match make_entry(kind, v, reference, opts) {
                Ok(e) => staged.push(e),
                Err(e) => return reject(e),
            }
        }
        if let Some((t, v)) = self.typed {
            let (ty, value) = (cell(t), cell(v));
            if !value.is_empty() {
                let kind = match signal_kind(ty, opts.url_prefix) {
                    Ok(k) => k,
                    Err(msg) => return reject(import_error(msg)),
                };
                match make_entry(kind, value, reference, opts) {
                    Ok(e) => staged.push(e),
                    Err(e) => return reject(e),
                }
            }
        }
        if staged.is_empty() {
            return reject(import_error("CSV row has no hash value"));
        }
        entries.extend(staged);
        Ok(())
    }
}

/// Split one CSV record (RFC 4180 quoting: `"a ""b"", c"`). Records do not
/// span lines: a quoted line break is an error, not a continuation, so one
/// bad quote cannot swallow the rest of the file.
fn split_csv(line: &str, sep: char) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    loop {
        // Start of a field: skip blanks before an opening quote.
        while let Some(&c) = chars.peek() {
            if c == ' ' && field.is_empty() {
                chars.next();
            } else {
                break;
            }
        }
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("unterminated quoted CSV field".to_owned()),
                }
            }
            // Only blanks may follow a closing quote.
            loop {
                match chars.peek() {
                    Some(&c) if c == sep => break,
                    Some(' ') | Some('\t') => {
                        chars.next();
                    }
                    Some(&c) => {
                        return Err(format!(
                            "unexpected {c:?} after a closing quote in CSV field"
                        ));
                    }
                    None => break,
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == sep {
                    break;
                }
                if c == '"' {
                    return Err("a quote inside an unquoted CSV field".to_owned());
                }
                field.push(c);
                chars.next();
            }
        }
        fields.push(std::mem::take(&mut field));
        match chars.next() {
            Some(_) => continue, // the separator
            None => break,
        }
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::split_csv;

    #[test]
    fn csv_quoting() {
        assert_eq!(
            split_csv("a,b,,c", ',').unwrap_or_default(),
            ["a", "b", "", "c"]
        );
        assert_eq!(
            split_csv(r#""a,1", "say ""hi""" ,x"#, ',').unwrap_or_default(),
            ["a,1", "say \"hi\"", "x"]
        );
        assert_eq!(split_csv("a;b", ';').unwrap_or_default(), ["a", "b"]);
        assert!(split_csv("\"open", ',').is_err());
        assert!(split_csv("\"a\"b", ',').is_err());
        assert!(split_csv("a\"b", ',').is_err());
    }
}
