//! Splitting the unescaped URL into scheme, host, path and query.
//!
//! The input of [`split`] is the whole URL after percent-unescaping (see
//! `canonical.rs`), so `%2F`, `%3F`, `%40`, `%3A` and `%5C` are delimiters
//! like their raw spellings. `#` and `%` are ordinary bytes at this point:
//! the fragment was cut at the first raw `#` before unescaping. Only
//! [`raw_userinfo`] looks at the raw input.

use std::ops::Range;

use crate::{Error, UrlErrorKind};

/// The userinfo and its `@` in the raw (not yet unescaped) `body`, when
/// `body` starts with `scheme://` or `//` and its raw authority (up to the
/// first raw `/ ? \`) holds a raw `@`: everything up to the last one. This
/// is what browsers skip to find the host they connect to, whatever the
/// userinfo unescapes to.
pub(super) fn raw_userinfo(body: &[u8]) -> Option<Range<usize>> {
    let start = if body.starts_with(b"//") {
        2
    } else {
        raw_scheme_len(body)? + 3
    };
    let authority = &body[start..];
    let end = memchr::memchr3(b'/', b'?', b'\\', authority).unwrap_or(authority.len());
    let at = memchr::memrchr(b'@', &authority[..end])?;
    Some(start..start + at + 1)
}

/// Length of a leading raw `scheme` followed by `://`.
fn raw_scheme_len(s: &[u8]) -> Option<usize> {
    if !s.first()?.is_ascii_alphabetic() {
        return None;
    }
    let n = s
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-')))?;
    s[n..].starts_with(b"://").then_some(n)
}

/// The components of a URL, still to be canonicalised.
pub(super) struct Parts<'a> {
    pub(super) scheme: &'a [u8],
    pub(super) host: &'a [u8],
    pub(super) path: &'a [u8],
    pub(super) query: Option<&'a [u8]>,
}

/// Splits the unescaped URL `s`.
pub(super) fn split(s: &[u8]) -> Result<Parts<'_>, Error> {
    let (scheme, rest) = scheme(s)?;

    // `\` ends the authority as in browsers: otherwise
    // `http://evil.example\@good.example/` would be checked as
    // `good.example` while a browser fetches from `evil.example`.
    let auth_end = memchr::memchr3(b'/', b'?', b'\\', rest).unwrap_or(rest.len());
    let authority = &rest[..auth_end];
    let after = &rest[auth_end..];
    let (path, query) = match memchr::memchr(b'?', after) {
        Some(q) => (&after[..q], Some(&after[q + 1..])),
        None => (after, None),
    };

    let host_port = match memchr::memrchr(b'@', authority) {
        Some(at) => &authority[at + 1..],
        None => authority,
    };
    let (host, port) = host_and_port(host_port)?;
    if let Some(port) = port {
        check_port(port)?;
    }
    if host.is_empty() {
        return Err(Error::url(UrlErrorKind::MissingHost, "the URL has no host"));
    }
    Ok(Parts {
        scheme,
        host,
        path,
        query,
    })
}

/// The scheme (`http` when there is none) and what follows its `://`.
///
/// `name:` followed by `//` is a scheme, and only `http` and `https` are
/// accepted. `name:` followed by digits up to the end of the authority
/// (`example.com:8080/path`, `host:80`, `host:`) is a host and a port.
/// Any other `name:` is a scheme without an authority (`mailto:a@b`,
/// `javascript:…`): unsupported, or a missing host for `http:x`.
fn scheme(s: &[u8]) -> Result<(&[u8], &[u8]), Error> {
    let name_len = s
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-')))
        .unwrap_or(s.len());
    let starts_alpha = s.first().is_some_and(u8::is_ascii_alphabetic);
    if !starts_alpha || s.get(name_len) != Some(&b':') {
        // No scheme: also accept a protocol-relative `//host/path`.
        return Ok((b"http", s.strip_prefix(b"//").unwrap_or(s)));
    }
    let (name, after) = (&s[..name_len], &s[name_len + 1..]);
    let web = name.eq_ignore_ascii_case(b"http") || name.eq_ignore_ascii_case(b"https");
    match after.strip_prefix(b"//") {
        Some(rest) if web => Ok((name, rest)),
        Some(_) => Err(unsupported()),
        None if is_port(after) => Ok((b"http", s)),
        None if web => Err(Error::url(
            UrlErrorKind::MissingHost,
            "no `//` and host after the scheme",
        )),
        None => Err(unsupported()),
    }
}

fn unsupported() -> Error {
    Error::url(
        UrlErrorKind::UnsupportedScheme,
        "only http and https URLs are canonicalised",
    )
}

/// Whether `s` starts with a (possibly empty) run of digits that ends the
/// authority.
fn is_port(s: &[u8]) -> bool {
    s.iter()
        .find(|b| !b.is_ascii_digit())
        .is_none_or(|b| matches!(b, b'/' | b'?' | b'\\'))
}

/// Splits `host[:port]` or `[ipv6][:port]`.
fn host_and_port(host_port: &[u8]) -> Result<(&[u8], Option<&[u8]>), Error> {
    if host_port.first() == Some(&b'[') {
        let Some(close) = host_port.iter().position(|&b| b == b']') else {
            // Reported as an unterminated literal by the host rules.
            return Ok((host_port, None));
        };
        return match host_port[close + 1..].split_first() {
            None => Ok((&host_port[..=close], None)),
            Some((b':', port)) => Ok((&host_port[..=close], Some(port))),
            Some(_) => Err(Error::url(
                UrlErrorKind::InvalidIpv6,
                "text after an IPv6 literal",
            )),
        };
    }
    Ok(match memchr::memrchr(b':', host_port) {
        Some(colon) => (&host_port[..colon], Some(&host_port[colon + 1..])),
        None => (host_port, None),
    })
}

/// The port is dropped, but only a well-formed one: anything else is more
/// likely an attempt to smuggle a different host past the parser.
fn check_port(port: &[u8]) -> Result<(), Error> {
    let mut value: u32 = 0;
    for &b in port {
        if !b.is_ascii_digit() {
            return Err(Error::url(UrlErrorKind::InvalidPort, "non-numeric port"));
        }
        value = value * 10 + u32::from(b - b'0');
        if value > 65535 {
            return Err(Error::url(UrlErrorKind::InvalidPort, "port above 65535"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(s: &str) -> Result<(String, String, String, Option<String>), UrlErrorKind> {
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        match split(s.as_bytes()) {
            Ok(p) => Ok((
                text(p.scheme),
                text(p.host),
                text(p.path),
                p.query.map(text),
            )),
            Err(e) => match e.kind() {
                crate::ErrorKind::Url(k) => Err(k),
                other => panic!("{other:?}"),
            },
        }
    }

    fn host(s: &str) -> String {
        parts(s)
            .map(|p| p.1)
            .unwrap_or_else(|e| panic!("{s}: {e:?}"))
    }

    #[test]
    fn schemes() {
        let p = parts("HTTPS://a.b/c?d").expect("valid");
        assert_eq!((p.0.as_str(), p.1.as_str()), ("HTTPS", "a.b"));
        assert_eq!((p.2.as_str(), p.3.as_deref()), ("/c", Some("d")));
        assert_eq!(parts("a.b:80/x").map(|p| p.0), Ok("http".into()));
        assert_eq!(parts("//a.b/x").map(|p| p.1), Ok("a.b".into()));
        let unsupported = Err(UrlErrorKind::UnsupportedScheme);
        assert_eq!(parts("ftp://a.b/").map(|_| ()), unsupported);
        assert_eq!(parts("mailto:a@b.c").map(|_| ()), unsupported);
        assert_eq!(parts("a.b:8o/").map(|_| ()), unsupported);
        let missing = Err(UrlErrorKind::MissingHost);
        assert_eq!(parts("http:a.b").map(|_| ()), missing);
    }

    #[test]
    fn authority() {
        assert_eq!(host("http://u:p@a.b:1/"), "a.b");
        assert_eq!(host("http://a@b@c:1"), "c");
        assert_eq!(host("http://a\\@b/"), "a");
        assert_eq!(host("http://[::1]:80/"), "[::1]");
        assert_eq!(host("http://[::1/"), "[::1");
        assert_eq!(host("a.b:"), "a.b");
        assert_eq!(host("a.b:/x"), "a.b");
        assert_eq!(host("http://a.b?c/d"), "a.b");
        assert_eq!(
            parts("http://[::1]x/").map(|_| ()),
            Err(UrlErrorKind::InvalidIpv6)
        );
        assert_eq!(
            parts("http://:1/").map(|_| ()),
            Err(UrlErrorKind::MissingHost)
        );
    }

    #[test]
    fn raw_userinfo_ranges() {
        let cut = |s: &str| raw_userinfo(s.as_bytes()).map(|r| s[r].to_owned());
        assert_eq!(cut("http://a%2F@b/").as_deref(), Some("a%2F@"));
        assert_eq!(cut("HTTP://u:p@a@b:1/c@d").as_deref(), Some("u:p@a@"));
        assert_eq!(cut("//u@b").as_deref(), Some("u@"));
        assert_eq!(cut("ftp://u@b").as_deref(), Some("u@"));
        assert_eq!(cut("http://a\\@b/"), None);
        assert_eq!(cut("http://a/@b"), None);
        assert_eq!(cut("http://a?@b"), None);
        assert_eq!(cut("http://a%40b/"), None);
        assert_eq!(cut("http%3A//u@b/"), None);
        assert_eq!(cut("u:p@b/"), None);
        assert_eq!(cut("mailto:a@b"), None);
    }

    #[test]
    fn ports() {
        assert!(check_port(b"").is_ok());
        assert!(check_port(b"65535").is_ok());
        assert!(check_port(b"65536").is_err());
        assert!(check_port(b"8o").is_err());
        assert!(check_port("9".repeat(1000).as_bytes()).is_err());
    }
}
