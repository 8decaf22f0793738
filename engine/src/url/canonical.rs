//! The parse pipeline behind [`CanonicalUrl::parse_into`].

use super::CanonicalUrl;
use super::MAX_INPUT_LEN;
use super::escape::{EscapeSet, escape_into, unescape_into};
use super::host;
use crate::{Error, UrlErrorKind};

/// The input split on its raw bytes, before any unescaping.
struct Parts<'a> {
    scheme: &'a [u8],
    host: &'a [u8],
    path: &'a [u8],
    query: Option<&'a [u8]>,
}

impl CanonicalUrl {
    pub(super) fn fill(&mut self, input: &[u8]) -> Result<(), Error> {
        if input.len() > MAX_INPUT_LEN {
            return Err(Error::url(
                UrlErrorKind::TooLong,
                "URL longer than the canonicaliser accepts",
            ));
        }
        let mut cleaned = std::mem::take(&mut self.scratch.cleaned);
        let result = clean(input, &mut cleaned).and_then(|()| {
            let parts = split(&cleaned)?;
            self.build(&parts)
        });
        self.scratch.cleaned = cleaned;
        result
    }

    fn build(&mut self, parts: &Parts<'_>) -> Result<(), Error> {
        let buf = &mut self.buf;
        for &b in parts.scheme {
            buf.push(char::from(b.to_ascii_lowercase()));
        }
        self.scheme_end = buf.len();
        buf.push_str("://");
        self.host_start = buf.len();
        self.host_is_ip = host::canonicalize(parts.host, &mut self.scratch.host, buf)?;
        self.host_end = buf.len();

        let unescaped = &mut self.scratch.unescaped;
        unescaped.clear();
        unescape_into(parts.path, unescaped);
        push_path(unescaped, buf);
        self.path_end = buf.len();

        if let Some(query) = parts.query {
            unescaped.clear();
            unescape_into(query, unescaped);
            buf.push('?');
            escape_into(unescaped, EscapeSet::Query, buf);
            self.has_query = true;
        }
        Ok(())
    }
}

/// Copies `input` to `out` without its fragment, surrounding whitespace and
/// embedded TAB/CR/LF.
fn clean(input: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
    out.clear();
    let input = match input.iter().position(|&b| b == b'#') {
        Some(hash) => &input[..hash],
        None => input,
    };
    // "Whitespace" is every byte <= 0x20: C0 controls and space, as the
    // WHATWG URL parser strips them too.
    let start = input.iter().position(|&b| b > b' ');
    let end = input.iter().rposition(|&b| b > b' ');
    let (Some(start), Some(end)) = (start, end) else {
        return Err(Error::url(UrlErrorKind::Empty, "empty URL"));
    };
    out.extend(
        input[start..=end]
            .iter()
            .copied()
            .filter(|&b| !matches!(b, b'\t' | b'\r' | b'\n')),
    );
    Ok(())
}

fn split(s: &[u8]) -> Result<Parts<'_>, Error> {
    let (scheme, rest) = match scheme_len(s) {
        Some(n) => (&s[..n], &s[n + 3..]),
        // No scheme: also accept a protocol-relative `//host/path`.
        None => (&b"http"[..], s.strip_prefix(b"//").unwrap_or(s)),
    };

    let auth_end = rest
        .iter()
        .position(|&b| b == b'/' || b == b'?')
        .unwrap_or(rest.len());
    let authority = &rest[..auth_end];
    let after = &rest[auth_end..];
    let (path, query) = match after.iter().position(|&b| b == b'?') {
        Some(q) => (&after[..q], Some(&after[q + 1..])),
        None => (after, None),
    };

    let host_port = match authority.iter().rposition(|&b| b == b'@') {
        Some(at) => &authority[at + 1..],
        None => authority,
    };
    let (host, port) = if host_port.first() == Some(&b'[') {
        match host_port.iter().position(|&b| b == b']') {
            Some(close) => {
                let tail = &host_port[close + 1..];
                match tail.split_first() {
                    None => (&host_port[..=close], None),
                    Some((b':', port)) => (&host_port[..=close], Some(port)),
                    Some(_) => {
                        return Err(Error::url(
                            UrlErrorKind::InvalidIpv6,
                            "text after an IPv6 literal",
                        ));
                    }
                }
            }
            None => (host_port, None),
        }
    } else {
        match host_port.iter().rposition(|&b| b == b':') {
            Some(colon) => (&host_port[..colon], Some(&host_port[colon + 1..])),
            None => (host_port, None),
        }
    };
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

/// Length of a leading `scheme` followed by `://`.
fn scheme_len(s: &[u8]) -> Option<usize> {
    if !s.first()?.is_ascii_alphabetic() {
        return None;
    }
    let n = s
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-')))?;
    s[n..].starts_with(b"://").then_some(n)
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

/// Appends the unescaped `path` with dot segments resolved, runs of `/`
/// collapsed, and escaping applied. The result starts with `/`, keeps a
/// trailing `/` and never climbs above the root.
fn push_path(path: &[u8], out: &mut String) {
    let root = out.len();
    out.push('/');
    let mut trailing = true;
    for seg in path.split(|&b| b == b'/') {
        match seg {
            b"" | b"." => trailing = true,
            b".." => {
                trailing = true;
                if out.len() > root + 1 {
                    out.pop();
                    let last = out.as_bytes()[root..]
                        .iter()
                        .rposition(|&b| b == b'/')
                        .map_or(root, |p| root + p);
                    out.truncate(last + 1);
                }
            }
            _ => {
                trailing = false;
                escape_into(seg, EscapeSet::Path, out);
                out.push('/');
            }
        }
    }
    if !trailing {
        out.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::push_path;

    fn path(p: &str) -> String {
        let mut s = String::new();
        push_path(p.as_bytes(), &mut s);
        s
    }

    #[test]
    fn dot_segments_and_slashes() {
        assert_eq!(path(""), "/");
        assert_eq!(path("/"), "/");
        assert_eq!(path("/blah/.."), "/");
        assert_eq!(path("/a/b/.."), "/a/");
        assert_eq!(path("/a/b/../c"), "/a/c");
        assert_eq!(path("/../../a"), "/a");
        assert_eq!(path("/a/./b/."), "/a/b/");
        assert_eq!(path("//a///b//"), "/a/b/");
        assert_eq!(path("/a/..b/.c"), "/a/..b/.c");
        assert_eq!(path("/a?b"), "/a%3Fb");
    }
}
