//! Exports for partners and resolvers: a hashed URL list, a DNS RPZ zone, a
//! Bloom filter. Formats in `EXCHANGE.md`.

use std::collections::BTreeMap;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::Canonicalize;
use super::bloom::{BloomFilter, BloomTag};
use crate::error::{Error, ErrorKind, clip};
use crate::hex;
use crate::kind::EntryKind;
use crate::model::{Entry, List};

/// Lower-case hex SHA-256 of `s`.
pub fn sha256_hex(s: &[u8]) -> String {
    hex::encode(&Sha256::digest(s))
}

/// The bytes of a hex value that the list parser has already validated
/// (whole bytes of hex digits; anything else gives no bytes, which matches
/// nothing).
fn hex_bytes(text: &str) -> Vec<u8> {
    hex::decode(text).unwrap_or_default()
}

/// An export error naming the list (file and line when known) and entry.
fn entry_error(
    list: &List,
    path: Option<&Path>,
    lines: Option<&[usize]>,
    index: usize,
    entry: &Entry,
    why: &str,
) -> Error {
    let mut e = Error::new(
        ErrorKind::Export,
        format!(
            "list {}: {} entry {:?}: {why}",
            list.meta.id,
            entry.kind,
            clip(&entry.value)
        ),
    );
    if let Some(line) = lines.and_then(|l| l.get(index)) {
        e = e.at_line(*line);
    }
    if let Some(p) = path {
        e = e.with_path(p);
    }
    e
}

/// A hashed URL list: every URL entry as `url-sha256`, no plaintext.
#[derive(Debug)]
pub struct HashedExport {
    /// The list: the source's metadata, `url-sha256` entries sorted by
    /// digest (so the order reveals nothing about the source), duplicates
    /// removed (the first reference kept).
    pub list: List,
    /// `url`, `url-prefix` and `domain` entries hashed.
    pub hashed: usize,
    /// `url-sha256` entries carried over as they were.
    pub carried: usize,
    /// Entries that are not URL kinds (image hashes), left out.
    pub left_out: usize,
    /// Entries that hashed to a digest already in the output.
    pub duplicates: usize,
}

/// Export the URL entries of `list` as `url-sha256` entries of their
/// canonical expressions, so that a partner enforces the list without
/// holding its URLs:
///
/// * `url-prefix v` → SHA-256 of `canonical_expression(v)`: matches exactly
///   what the plaintext entry matches;
/// * `url v` → SHA-256 of its full expression `host/path?query`: as a
///   Safe Browsing expression it then also matches that path on
///   subdomains within five labels, which the exact entry did not;
/// * `domain d` → SHA-256 of `d/`: matches `d` and its subdomains as long as
///   `d` is among a URL's host suffixes (the host and the suffixes made of
///   its last five labels), not deeper subdomains;
/// * `url-sha256` entries are kept.
///
/// `path` and `lines` (from [`entry_lines`](super::entry_lines)), when
/// given, make errors name the file and line.
///
/// # Errors
///
/// [`ErrorKind::Export`] for an entry that cannot be canonicalised.
pub fn hashed_export(
    list: &List,
    canon: &dyn Canonicalize,
    path: Option<&Path>,
    lines: Option<&[usize]>,
) -> Result<HashedExport, Error> {
    let mut by_digest: BTreeMap<String, Option<String>> = BTreeMap::new();
    let (mut hashed, mut carried, mut left_out, mut duplicates) = (0, 0, 0, 0);
    for (i, e) in list.entries.iter().enumerate() {
        let digest = match e.kind {
            EntryKind::Url | EntryKind::UrlPrefix => {
                let expr = canon
                    .expression(&e.value)
                    .map_err(|m| entry_error(list, path, lines, i, e, &m))?;
                hashed += 1;
                sha256_hex(expr.as_bytes())
            }
            EntryKind::Domain => {
                let host = canon
                    .host(&e.value)
                    .map_err(|m| entry_error(list, path, lines, i, e, &m))?;
                hashed += 1;
                sha256_hex(format!("{host}/").as_bytes())
            }
            EntryKind::UrlSha256 => {
                carried += 1;
                e.value.clone()
            }
            _ => {
                left_out += 1;
                continue;
            }
        };
        match by_digest.entry(digest) {
            std::collections::btree_map::Entry::Occupied(_) => duplicates += 1,
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(e.reference.clone());
            }
        }
    }
    let entries = by_digest
        .into_iter()
        .map(|(value, reference)| Entry {
            kind: EntryKind::UrlSha256,
            value,
            reference,
            added: None,
        })
        .collect();
    // The source's signature covers its plaintext entries, not these: the
    // export is unsigned until its issuer signs it (`lists export --key`).
    let mut meta = list.meta.clone();
    meta.signature = None;
    Ok(HashedExport {
        list: List { meta, entries },
        hashed,
        carried,
        left_out,
        duplicates,
    })
}

/// A DNS response policy zone.
#[derive(Debug)]
pub struct RpzExport {
    /// The zone file text.
    pub text: String,
    /// Domains written (each as two records: the name and its wildcard).
    pub names: usize,
    /// `domain` entries that are IP addresses: RPZ QNAME triggers cannot
    /// hold them, so they are left out.
    pub skipped_ip: usize,
    /// Entries of other kinds, left out.
    pub left_out: usize,
    /// `domain` entries already written.
    pub duplicates: usize,
}

/// Whether `host` (canonical) is a DNS name an RPZ owner name can hold:
/// labels of `[a-z0-9_-]`, 1 to 63 bytes, at most 253 in all.
fn is_dns_name(host: &str) -> bool {
    host.len() <= 253
        && host.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        })
}

/// Write the `domain` entries of `list` as an RPZ zone (for Unbound, BIND,
/// Knot Resolver, PowerDNS Recursor): an SOA whose serial is the list's
/// sequence, an NS record, and for each domain `name CNAME .` and
/// `*.name CNAME .` (NXDOMAIN for the name and its subdomains). Owner names
/// are relative: the zone's name comes from the resolver's configuration.
///
/// # Errors
///
/// [`ErrorKind::Export`] when the sequence does not fit a DNS serial (32
/// bits), or a domain cannot be canonicalised or is not a DNS name.
pub fn rpz_export(
    list: &List,
    canon: &dyn Canonicalize,
    path: Option<&Path>,
    lines: Option<&[usize]>,
) -> Result<RpzExport, Error> {
    let serial = u32::try_from(list.meta.sequence).map_err(|_| {
        let mut e = Error::new(
            ErrorKind::Export,
            format!(
                "list {}: sequence {} does not fit a DNS zone serial (at most {})",
                list.meta.id,
                list.meta.sequence,
                u32::MAX
            ),
        );
        if let Some(p) = path {
            e = e.with_path(p);
        }
        e
    })?;
    let mut text = String::with_capacity(512 + list.entries.len() * 48);
    let _ = writeln!(
        text,
        "; RPZ zone exported by hashwall from list {} (issuer: {}, jurisdiction: {}, category: {})",
        list.meta.id,
        one_line(&list.meta.issuer),
        list.meta.jurisdiction,
        list.meta.category
    );
    let _ = writeln!(text, "; created {}", list.meta.created);
    text.push_str("$TTL 300\n");
    let _ = writeln!(
        text,
        "@ IN SOA localhost. hostmaster.localhost. {serial} 3600 600 604800 300"
    );
    text.push_str("@ IN NS localhost.\n");
    let mut seen = HashSet::new();
    let mut out = RpzExport {
        text: String::new(),
        names: 0,
        skipped_ip: 0,
        left_out: 0,
        duplicates: 0,
    };
    for (i, e) in list.entries.iter().enumerate() {
        if e.kind != EntryKind::Domain {
            out.left_out += 1;
            continue;
        }
        let host = canon
            .host(&e.value)
            .map_err(|m| entry_error(list, path, lines, i, e, &m))?;
        if host.starts_with('[') || host.parse::<std::net::Ipv4Addr>().is_ok() {
            out.skipped_ip += 1;
            continue;
        }
        if !is_dns_name(&host) {
            return Err(entry_error(
                list,
                path,
                lines,
                i,
                e,
                "not a DNS name (labels of a-z 0-9 - _, 1 to 63 bytes)",
            ));
        }
        if !seen.insert(host.clone()) {
            out.duplicates += 1;
            continue;
        }
        let _ = writeln!(text, "{host} CNAME .");
        let _ = writeln!(text, "*.{host} CNAME .");
        out.names += 1;
    }
    out.text = text;
    Ok(out)
}

/// Replace control characters so that a header value stays on its comment line.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A Bloom filter export.
#[derive(Debug)]
pub struct BloomExport {
    /// The filter.
    pub filter: BloomFilter,
    /// Items inserted.
    pub items: u64,
    /// Entries with no exact form (`pdq`, `phash`, `dhash`), left out.
    pub left_out: usize,
}

/// A list and where it came from, for errors that name file and line.
#[derive(Clone, Copy, Debug)]
pub struct ExportSource<'a> {
    /// The list.
    pub list: &'a List,
    /// Its file, if any.
    pub path: Option<&'a Path>,
    /// Its entries' line numbers ([`entry_lines`](super::entry_lines)).
    pub lines: Option<&'a [usize]>,
}

/// The Bloom item of an entry, or `None` for kinds without an exact form.
fn bloom_item(e: &Entry, canon: &dyn Canonicalize) -> Result<Option<(BloomTag, Vec<u8>)>, String> {
    Ok(Some(match e.kind {
        EntryKind::Url => (BloomTag::UrlExact, canon.expression(&e.value)?.into_bytes()),
        EntryKind::UrlPrefix => (
            BloomTag::UrlPrefix,
            canon.expression(&e.value)?.into_bytes(),
        ),
        EntryKind::Domain => (BloomTag::Domain, canon.host(&e.value)?.into_bytes()),
        EntryKind::UrlSha256 => (BloomTag::UrlSha256, hex_bytes(&e.value)),
        EntryKind::Md5 => (BloomTag::Md5, hex_bytes(&e.value)),
        EntryKind::Sha1 => (BloomTag::Sha1, hex_bytes(&e.value)),
        EntryKind::Sha256 => (BloomTag::Sha256, hex_bytes(&e.value)),
        EntryKind::Pdq | EntryKind::Phash | EntryKind::Dhash => return Ok(None),
    }))
}

/// A Bloom filter of the URL entries (canonical expressions, hosts, hashed
/// expressions) and exact file hashes (`md5`, `sha1`, `sha256`) of
/// `sources`, sized for false-positive rate `fp_rate`. Perceptual hashes
/// (`pdq`, `phash`, `dhash`) match by distance, not equality, and are left
/// out.
///
/// # Errors
///
/// [`ErrorKind::Export`] for an entry that cannot be canonicalised;
/// [`ErrorKind::BloomFormat`] for a rate outside (0, 1) or a filter above
/// the size limit.
pub fn bloom_export(
    sources: &[ExportSource<'_>],
    canon: &dyn Canonicalize,
    fp_rate: f64,
) -> Result<BloomExport, Error> {
    // Canonicalise first so that the filter is sized for the exact number
    // of distinct items.
    let mut items: HashSet<(BloomTag, Vec<u8>)> = HashSet::new();
    let mut left_out = 0;
    for src in sources {
        for (i, e) in src.list.entries.iter().enumerate() {
            match bloom_item(e, canon)
                .map_err(|m| entry_error(src.list, src.path, src.lines, i, e, &m))?
            {
                Some(item) => {
                    items.insert(item);
                }
                None => left_out += 1,
            }
        }
    }
    let mut filter = BloomFilter::with_rate(items.len() as u64, fp_rate)?;
    for (tag, item) in &items {
        filter.insert(*tag, item);
    }
    Ok(BloomExport {
        filter,
        items: items.len() as u64,
        left_out,
    })
}
