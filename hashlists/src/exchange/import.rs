//! Imports from foreign list formats into a [`List`]. Formats in `EXCHANGE.md`.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use super::Canonicalize;
use crate::error::{Error, ErrorKind, clip};
use crate::kind::EntryKind;
use crate::model::{Entry, List, ListMeta};
use crate::text::MAX_LINE_LEN;

mod csv;
mod formats;

use csv::CsvColumns;
use formats::{hosts_line, squid_domain_line, squid_url_line, te_line, url_line};

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
