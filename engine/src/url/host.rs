//! Host canonicalisation: lower-case, dots, IDNA, IP addresses.

use idna::uts46::{AsciiDenyList, ErrorPolicy, Hyphens, ProcessingSuccess, Uts46};

use super::escape::{EscapeSet, escape_into};
use super::{ipv4, ipv6};
use crate::{Error, UrlErrorKind};

/// Buffers reused from one host to the next.
#[derive(Default)]
pub(crate) struct HostScratch {
    bytes: Vec<u8>,
    idna: String,
}

/// Appends the canonical form of `host` (already percent-unescaped; no
/// userinfo, no port; brackets kept for IPv6) to `out`. Returns whether the
/// host is an IP address.
pub(crate) fn canonicalize(
    host: &[u8],
    scratch: &mut HostScratch,
    out: &mut Vec<u8>,
) -> Result<bool, Error> {
    if let Some(inner) = host.strip_prefix(b"[") {
        let Some(inner) = inner.strip_suffix(b"]") else {
            return Err(Error::url(
                UrlErrorKind::InvalidIpv6,
                "unterminated IPv6 literal",
            ));
        };
        ipv6::push_host(ipv6::parse(inner)?, out);
        return Ok(true);
    }

    if is_plain(host) {
        // Nothing to clean, map or escape: only letter case. An IPv4 address
        // (every part starts with a digit) is the one reading left.
        let start = out.len();
        out.extend_from_slice(host);
        out[start..].make_ascii_lowercase();
        if host[0].is_ascii_digit()
            && let Some(octets) = ipv4::parse(&out[start..])
        {
            out.truncate(start);
            ipv4::push_dotted(octets, out);
            return Ok(true);
        }
        return Ok(false);
    }
    canonicalize_general(host, scratch, out)
}

/// Whether `host` is a DNS name as written in most URLs: ASCII letters,
/// digits, `-`, `_`, and dots between labels (none leading, trailing or
/// doubled). Canonicalising such a host only lower-cases it (and reads an
/// IPv4 address), which [`canonicalize`] does without the general path.
fn is_plain(host: &[u8]) -> bool {
    let (Some(&first), Some(&last)) = (host.first(), host.last()) else {
        return false;
    };
    // Bitwise `|` and `&` rather than `||` and `&&`: no branch per byte.
    let other = host.iter().fold(false, |any, &b| {
        let letter = (b | 0x20).wrapping_sub(b'a') < 26;
        let digit = b.wrapping_sub(b'0') < 10;
        any | !(letter | digit | (b == b'-') | (b == b'_') | (b == b'.'))
    });
    let double_dot = host
        .iter()
        .zip(&host[1..])
        .fold(false, |any, (&a, &b)| any | ((a == b'.') & (b == b'.')));
    !other && !double_dot && first != b'.' && last != b'.'
}

/// [`canonicalize`] for any host that is not an IPv6 literal.
fn canonicalize_general(
    host: &[u8],
    scratch: &mut HostScratch,
    out: &mut Vec<u8>,
) -> Result<bool, Error> {
    if host.iter().any(|b| matches!(b, b':' | b'[' | b']')) {
        // Forbidden host code points for browsers too. Kept, they would
        // split differently when the canonical URL is parsed again: `a:b:80`
        // splits at the last `:`, and `.[` loses its dot and starts with `[`.
        return Err(Error::url(
            UrlErrorKind::InvalidHost,
            "':', '[' or ']' in a host that is not a bracketed IPv6 literal",
        ));
    }
    let bytes = &mut scratch.bytes;
    bytes.clear();
    bytes.extend_from_slice(host);
    bytes.make_ascii_lowercase();
    clean_dots(bytes);
    if !bytes.is_ascii() {
        // IDNA first, the IPv4 check after: full-width digits map to ASCII
        // ones, and a second canonicalisation must see the same address.
        if to_ascii(bytes, &mut scratch.idna) {
            bytes.clear();
            bytes.extend_from_slice(scratch.idna.as_bytes());
            clean_dots(bytes);
        }
        // Otherwise the raw bytes are kept and escaped below: a host IDNA
        // refuses (or that is not UTF-8) still has to match list entries
        // written the same way (`http://\x01\x80.com/` → `%01%80.com`).
    }
    if bytes.is_empty() {
        return Err(Error::url(UrlErrorKind::MissingHost, "the host is empty"));
    }
    if let Some(octets) = ipv4::parse(bytes) {
        ipv4::push_dotted(octets, out);
        return Ok(true);
    }
    escape_into(bytes, EscapeSet::Host, out);
    Ok(false)
}

/// Strips leading and trailing dots and collapses runs of dots, in place.
fn clean_dots(v: &mut Vec<u8>) {
    let mut w = 0;
    let mut after_dot = true;
    for r in 0..v.len() {
        let b = v[r];
        if b == b'.' {
            if after_dot {
                continue;
            }
            after_dot = true;
        } else {
            after_dot = false;
        }
        v[w] = b;
        w += 1;
    }
    if w > 0 && v[w - 1] == b'.' {
        w -= 1;
    }
    v.truncate(w);
}

/// UTS 46 ToASCII of `host` into `out`. False when IDNA refuses the name,
/// or maps it to something other than a plain DNS name (an ASCII byte that
/// would need escaping could change the URL's structure).
fn to_ascii(host: &[u8], out: &mut String) -> bool {
    out.clear();
    let result = Uts46::new().process(
        host,
        AsciiDenyList::URL,
        Hyphens::Allow,
        ErrorPolicy::FailFast,
        |_, _, _| false,
        out,
        None,
    );
    match result {
        Ok(ProcessingSuccess::WroteToSink) => out
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_')),
        // Passthrough means the input was ASCII: not a case we call with.
        Ok(_) | Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::every_string::every_string;
    use super::*;

    /// The host of `s` written escaped, as in a URL.
    fn host(s: &[u8]) -> Result<(String, bool), crate::ErrorKind> {
        let mut unescaped = Vec::new();
        super::super::escape::unescape_into(s, &mut unescaped);
        let mut out = Vec::new();
        canonicalize(&unescaped, &mut HostScratch::default(), &mut out)
            .map(|ip| (String::from_utf8(out).expect("ASCII"), ip))
            .map_err(|e| e.kind())
    }

    fn ok(s: &[u8]) -> String {
        host(s)
            .map(|(h, _)| h)
            .unwrap_or_else(|e| panic!("{s:?}: {e:?}"))
    }

    /// The plain-host shortcut gives what the general path gives, for hosts
    /// built from every byte class that matters (letters of both cases,
    /// digits, `-`, `_`, dots, `x` for hex, and bytes the shortcut refuses).
    #[test]
    fn plain_hosts_canonicalise_as_the_general_path_does() {
        let mut n = 0;
        every_string(b"aZ09-_.x:%\x80 ", 1..=5, |host| {
            let mut fast = Vec::new();
            let mut general = Vec::new();
            let a = canonicalize(host, &mut HostScratch::default(), &mut fast);
            let b = canonicalize_general(host, &mut HostScratch::default(), &mut general);
            assert_eq!(
                (a.map_err(|e| e.kind()), &fast),
                (b.map_err(|e| e.kind()), &general),
                "{:?}",
                String::from_utf8_lossy(host)
            );
            n += usize::from(is_plain(host));
        });
        assert!(n > 10_000, "only {n} plain hosts");
        for h in [
            &b"0x7f.1"[..],
            b"3279880203",
            b"010.0.0.1",
            b"1.2.3.4",
            b"0x",
        ] {
            assert!(is_plain(h));
            let mut fast = Vec::new();
            let ip = canonicalize(h, &mut HostScratch::default(), &mut fast);
            assert!(ip.is_ok_and(|ip| ip), "{h:?}");
        }
    }

    #[test]
    fn lower_case_and_dots() {
        assert_eq!(ok(b"WWW.Example.COM."), "www.example.com");
        assert_eq!(ok(b"..a...b.."), "a.b");
        assert_eq!(ok(b"%2E%2Ea.b"), "a.b");
    }

    #[test]
    fn addresses() {
        assert_eq!(host(b"0x7f.1"), Ok(("127.0.0.1".into(), true)));
        assert_eq!(host(b"%31%32%37.0.0.1"), Ok(("127.0.0.1".into(), true)));
        assert_eq!(host(b"[2001:DB8:0::1]"), Ok(("[2001:db8::1]".into(), true)));
        assert_eq!(host(b"[::ffff:1.2.3.4]"), Ok(("1.2.3.4".into(), true)));
        assert_eq!(host(b"[64:ff9b::102:304]"), Ok(("1.2.3.4".into(), true)));
        assert_eq!(host(b"[%3A%3Affff:1.2.3.4]"), Ok(("1.2.3.4".into(), true)));
        assert_eq!(host(b"example.com"), Ok(("example.com".into(), false)));
    }

    #[test]
    fn invalid_ipv6() {
        let e = Err(crate::ErrorKind::Url(UrlErrorKind::InvalidIpv6));
        assert_eq!(host(b"[::1"), e);
        assert_eq!(host(b"[1.2.3.4]"), e);
        assert_eq!(host(b"[::1%25eth0]"), e);
        assert_eq!(host(b"[]"), e);
    }

    #[test]
    fn colon_and_brackets_outside_an_ipv6_literal() {
        let e = Err(crate::ErrorKind::Url(UrlErrorKind::InvalidHost));
        assert_eq!(host(b"a:b"), e);
        assert_eq!(host(b"0[::1]x"), e);
        assert_eq!(host(b"a%3Ab"), e);
        assert_eq!(host(b".["), e);
        assert_eq!(host(b"a]"), e);
    }

    #[test]
    fn empty_after_cleanup() {
        let e = Err(crate::ErrorKind::Url(UrlErrorKind::MissingHost));
        assert_eq!(host(b"..."), e);
        assert_eq!(host(b"%2e"), e);
        assert_eq!(host(b""), e);
    }

    #[test]
    fn idna() {
        assert_eq!(ok("bücher.example".as_bytes()), "xn--bcher-kva.example");
        assert_eq!(ok("BÜCHER.example".as_bytes()), "xn--bcher-kva.example");
        assert_eq!(ok(b"b%C3%BCcher.example"), "xn--bcher-kva.example");
        // Ideographic full stops are label separators after mapping.
        assert_eq!(ok("bücher。example。".as_bytes()), "xn--bcher-kva.example");
        // Full-width digits map to an address.
        assert_eq!(
            host("１２７.０.０.１".as_bytes()),
            Ok(("127.0.0.1".into(), true))
        );
    }

    #[test]
    fn idna_refusal_falls_back_to_escaping() {
        assert_eq!(ok(b"\x01\x80.com"), "%01%80.com");
        assert_eq!(ok("a b\u{fc}.com".as_bytes()), "a%20b%C3%BC.com");
    }

    #[test]
    fn structural_bytes_are_escaped() {
        assert_eq!(ok(b"a%2Fb%3Fc%40d%5C%23"), "a%2Fb%3Fc%40d%5C%23");
        assert_eq!(ok(b"host%23.com"), "host%23.com");
        assert_eq!(ok(b"a%25zz"), "a%25zz");
    }
}
