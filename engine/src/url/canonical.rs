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
        // Built as bytes (all pushes are ASCII) and validated once at the
        // end: cheaper than pushing `char`s, and no `unsafe`.
        let mut out = std::mem::take(&mut self.buf).into_bytes();
        out.clear();
        let mut cleaned = std::mem::take(&mut self.scratch.cleaned);
        let result = clean(input, &mut cleaned).and_then(|body| {
            let parts = split(body)?;
            self.build(&parts, &mut out)
        });
        self.scratch.cleaned = cleaned;
        match String::from_utf8(out) {
            Ok(s) => self.buf = s,
            Err(e) => {
                // Unreachable: every byte written is ASCII. Keep the buffer.
                let mut bytes = e.into_bytes();
                bytes.clear();
                self.buf = String::from_utf8(bytes).unwrap_or_default();
                return Err(Error::url(UrlErrorKind::InvalidHost, "non-ASCII output"));
            }
        }
        result
    }

    fn build(&mut self, parts: &Parts<'_>, out: &mut Vec<u8>) -> Result<(), Error> {
        out.extend(parts.scheme.iter().map(u8::to_ascii_lowercase));
        self.scheme_end = out.len();
        out.extend_from_slice(b"://");
        self.host_start = out.len();
        self.host_is_ip = host::canonicalize(parts.host, &mut self.scratch.host, out)?;
        self.host_end = out.len();

        // Browsers read a raw `\` in an http(s) path as `/`; an escaped one
        // (`%5C`) stays a backslash, so map before unescaping.
        let mut path = parts.path;
        if path.contains(&b'\\') {
            let slashed = &mut self.scratch.slashed;
            slashed.clear();
            slashed.extend(path.iter().map(|&b| if b == b'\\' { b'/' } else { b }));
            path = slashed;
        }
        let unescaped = &mut self.scratch.unescaped;
        unescaped.clear();
        unescape_into(path, unescaped);
        push_path(unescaped, out);
        self.path_end = out.len();

        if let Some(query) = parts.query {
            unescaped.clear();
            unescape_into(query, unescaped);
            out.push(b'?');
            escape_into(unescaped, EscapeSet::Query, out);
            self.has_query = true;
        }
        Ok(())
    }
}

/// `input` without its fragment, surrounding whitespace and embedded
/// TAB/CR/LF: a slice of `input` when nothing is embedded, else a copy in
/// `scratch`.
fn clean<'a>(input: &'a [u8], scratch: &'a mut Vec<u8>) -> Result<&'a [u8], Error> {
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
    let body = &input[start..=end];
    let embedded = |b: &u8| matches!(b, b'\t' | b'\r' | b'\n');
    if !body.iter().any(embedded) {
        return Ok(body);
    }
    scratch.clear();
    scratch.extend(body.iter().filter(|b| !embedded(b)));
    Ok(scratch)
}

fn split(s: &[u8]) -> Result<Parts<'_>, Error> {
    let (scheme, rest) = match scheme_len(s) {
        Some(n) => (&s[..n], &s[n + 3..]),
        // No scheme: also accept a protocol-relative `//host/path`.
        None => (&b"http"[..], s.strip_prefix(b"//").unwrap_or(s)),
    };

    // `\` ends the authority as in browsers: otherwise
    // `http://evil.example\@good.example/` would be checked as
    // `good.example` while a browser fetches from `evil.example`.
    let auth_end = rest
        .iter()
        .position(|&b| matches!(b, b'/' | b'?' | b'\\'))
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
fn push_path(path: &[u8], out: &mut Vec<u8>) {
    let root = out.len();
    out.push(b'/');
    let mut trailing = true;
    for seg in path.split(|&b| b == b'/') {
        match seg {
            b"" | b"." => trailing = true,
            b".." => {
                trailing = true;
                if out.len() > root + 1 {
                    out.pop();
                    let last = out[root..]
                        .iter()
                        .rposition(|&b| b == b'/')
                        .map_or(root, |p| root + p);
                    out.truncate(last + 1);
                }
            }
            _ => {
                trailing = false;
                escape_into(seg, EscapeSet::Path, out);
                out.push(b'/');
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
        let mut s = Vec::new();
        push_path(p.as_bytes(), &mut s);
        String::from_utf8(s).expect("ASCII")
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
