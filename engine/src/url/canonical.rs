//! The parse pipeline behind [`CanonicalUrl::parse_into`]: clean the input,
//! unescape the whole URL, split it (`split.rs`), canonicalise each part.

use super::CanonicalUrl;
use super::MAX_INPUT_LEN;
use super::escape::{self, EscapeSet, escape_into, unescape_into};
use super::host;
use super::split::{Parts, raw_userinfo, split};
use crate::{Error, UrlErrorKind};

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
        let mut unescaped = std::mem::take(&mut self.scratch.unescaped);
        let result = clean(input, &mut cleaned).and_then(|body| {
            let parts = split(unescape(body, &mut unescaped))?;
            self.build(&parts, &mut out)
        });
        self.scratch.cleaned = cleaned;
        self.scratch.unescaped = unescaped;
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
        push_path(parts.path, out);
        self.path_end = out.len();
        if let Some(query) = parts.query {
            out.push(b'?');
            escape_into(query, EscapeSet::Plain, out);
            self.has_query = true;
        }
        Ok(())
    }
}

/// `input` without its fragment, surrounding whitespace and embedded
/// TAB/CR/LF: a slice of `input` when nothing is embedded, else a copy in
/// `scratch`.
fn clean<'a>(input: &'a [u8], scratch: &'a mut Vec<u8>) -> Result<&'a [u8], Error> {
    let input = match memchr::memchr(b'#', input) {
        Some(hash) => &input[..hash],
        None => input,
    };
    let body = trim_controls(input);
    if body.is_empty() {
        return Err(Error::url(UrlErrorKind::Empty, "empty URL"));
    }
    if memchr::memchr3(b'\t', b'\r', b'\n', body).is_none() {
        return Ok(body);
    }
    scratch.clear();
    scratch.extend(
        body.iter()
            .filter(|&&b| !matches!(b, b'\t' | b'\r' | b'\n')),
    );
    Ok(scratch)
}

/// `input` without the bytes <= 0x20 at either end: C0 controls and
/// space, as the WHATWG URL parser strips them too. (Every non-ASCII byte
/// is above them, so this trims the same characters a `char` trim would.)
pub(super) fn trim_controls(input: &[u8]) -> &[u8] {
    let start = input.iter().position(|&b| b > b' ').unwrap_or(input.len());
    let end = input
        .iter()
        .rposition(|&b| b > b' ')
        .map_or(start, |e| e + 1);
    &input[start..end]
}

/// `body` percent-unescaped until no escape remains: `body` itself when it
/// has no `%`, else a copy in `scratch`. Every escape is gone afterwards, so
/// an escaped delimiter (`%2F`, `%3F`, `%40`, `%3A`, `%5C`) splits the URL
/// like a raw one. A `#` or `%` in the result is an ordinary byte: it can
/// only come from an escape (the fragment is already cut), and it is
/// escaped again on output.
///
/// A userinfo written with a raw `@` is dropped first (see
/// [`raw_userinfo`]): unescaped, `good.example%2F@evil.example` would
/// otherwise read as host `good.example` where browsers fetch `evil.example`.
fn unescape<'a>(body: &'a [u8], scratch: &'a mut Vec<u8>) -> &'a [u8] {
    if !body.contains(&b'%') {
        // Unescaping changes nothing, so the raw `@` is also the last one
        // the split sees: no need to look for a raw userinfo.
        return body;
    }
    let userinfo = if body.contains(&b'@') {
        raw_userinfo(body)
    } else {
        None
    };
    let (head, tail) = match userinfo {
        Some(userinfo) => (&body[..userinfo.start], &body[userinfo.end..]),
        None => (&body[..0], body),
    };
    scratch.clear();
    // `scheme://` or `//`: nothing to unescape.
    scratch.extend_from_slice(head);
    unescape_into(tail, scratch);
    scratch
}

/// Appends the unescaped `path` with dot segments resolved, runs of `/`
/// collapsed, and escaping applied. A `\` separates segments like `/`, as
/// browsers read it in an http(s) path. The result starts with `/`, keeps a
/// trailing `/` and never climbs above the root.
fn push_path(path: &[u8], out: &mut Vec<u8>) {
    if is_plain_path(path) {
        out.extend_from_slice(path);
        return;
    }
    push_path_general(path, out);
}

/// Whether `path` is already canonical: it starts with `/`, has no empty,
/// `.` or `..` segment (no `//`, no `/.` at all), no `\`, and nothing to
/// escape. Most paths are; [`push_path`] copies them as they are.
fn is_plain_path(path: &[u8]) -> bool {
    // Folds over the whole path rather than a search per pattern: on a
    // few dozen bytes, cheaper than `memchr`'s dispatch.
    let dot_or_empty_segment = path
        .iter()
        .zip(path.iter().skip(1))
        .fold(false, |any, (&a, &b)| {
            any | (a == b'/' && (b == b'/' || b == b'.'))
        });
    let backslash = path.iter().fold(false, |any, &b| any | (b == b'\\'));
    path.first() == Some(&b'/')
        && !escape::needs_escape(path, EscapeSet::Plain)
        && !backslash
        && !dot_or_empty_segment
}

/// [`push_path`] for any path.
fn push_path_general(path: &[u8], out: &mut Vec<u8>) {
    let root = out.len();
    out.push(b'/');
    let mut trailing = true;
    for seg in path.split(|&b| b == b'/' || b == b'\\') {
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
                escape_into(seg, EscapeSet::Plain, out);
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
    use super::super::every_string::every_string;
    use super::{is_plain_path, push_path, push_path_general};

    fn path(p: &str) -> String {
        let mut s = Vec::new();
        push_path(p.as_bytes(), &mut s);
        String::from_utf8(s).expect("ASCII")
    }

    /// Copying a plain path gives what resolving it does, for every path
    /// of up to 6 bytes over the bytes that matter to either.
    #[test]
    fn plain_paths_are_what_the_general_path_makes() {
        let mut plain = 0;
        every_string(b"/.a\\%#X \x80", 0..=6, |path| {
            let (mut fast, mut general) = (Vec::new(), Vec::new());
            push_path(path, &mut fast);
            push_path_general(path, &mut general);
            assert_eq!(fast, general, "{:?}", String::from_utf8_lossy(path));
            plain += usize::from(is_plain_path(path));
        });
        assert!(plain > 100, "only {plain} plain paths");
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
        assert_eq!(path("/a\\b\\..\\c"), "/a/c");
        assert_eq!(path("/a#b%c d"), "/a%23b%25c%20d");
    }
}
