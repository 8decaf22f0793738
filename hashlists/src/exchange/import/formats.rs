//! The line formats: URL lists, hosts files, squidGuard files,
//! ThreatExchange / HMA banks.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::{
    ImportOptions, Imported, Step, first_token, import_error, make_entry, push, reject, signal_kind,
};
use crate::error::clip;
use crate::kind::EntryKind;
use crate::model::Entry;

pub(super) fn url_line(line: &str, opts: &ImportOptions<'_>, entries: &mut Vec<Entry>) -> Step {
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

pub(super) fn hosts_line(line: &str, opts: &ImportOptions<'_>, out: &mut Imported) -> Step {
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

pub(super) fn squid_domain_line(
    line: &str,
    opts: &ImportOptions<'_>,
    entries: &mut Vec<Entry>,
) -> Step {
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

pub(super) fn squid_url_line(
    line: &str,
    opts: &ImportOptions<'_>,
    entries: &mut Vec<Entry>,
) -> Step {
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

pub(super) fn te_line(line: &str, opts: &ImportOptions<'_>, entries: &mut Vec<Entry>) -> Step {
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
