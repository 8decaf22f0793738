//! URL canonicalisation and Safe Browsing expressions.
//!
//! [`CanonicalUrl`] implements the canonicalisation of Google Safe Browsing
//! v4 ("URLs and Hashing"): the form in which URLs are compared with list
//! entries and hashed. [`CanonicalUrl::expressions`] yields the
//! host-suffix/path-prefix combinations a URL is looked up under, and
//! [`canonical_expression`] / [`canonical_host`] bring list entries into the
//! same form.
//!
//! ```
//! use hashwall::url::CanonicalUrl;
//!
//! let url = CanonicalUrl::parse(b"  HTTP://user@WWW.Example.COM.:8080/a/./b/../c?q#frag ")?;
//! assert_eq!(url.as_str(), "http://www.example.com/a/c?q");
//! let exprs: Vec<String> = url.expressions().map(|e| e.to_string()).collect();
//! assert_eq!(exprs[..3], ["www.example.com/a/c?q", "www.example.com/a/c", "www.example.com/"]);
//! # Ok::<(), hashwall::Error>(())
//! ```
//!
//! # The rules
//!
//! Input is raw bytes, possibly not UTF-8. In order, as Google's reference
//! clients do:
//!
//! 1. the fragment (from the first raw `#`) is dropped; surrounding bytes
//!    `<= 0x20` are trimmed; every TAB, CR and LF is removed; a userinfo
//!    ending in a raw `@` is dropped (see **Userinfo** below);
//! 2. the **whole URL** is percent-unescaped until no escape remains (in one
//!    linear pass, see `escape.rs`): `http%3A%2F%2Fa.b%2Fc` is `http://a.b/c`;
//! 3. the result is split into scheme, authority, path (to the first `?`)
//!    and query. Escaped delimiters split like raw ones, so
//!    `http://evil.example%2Fgallery/x.jpg` has host `evil.example` and
//!    `http://host:80%2F../` a port. A `#` or `%` that unescaping produced
//!    is an ordinary byte (`http://host%23.com/` keeps host `host%23.com`),
//!    as in the references, which re-escape them before splitting;
//! 4. each component is canonicalised:
//!
//! * host: lower-cased; leading and trailing dots stripped, runs of dots
//!   collapsed; IPv4 addresses in any encoding (`0x7f.1`, `3279880203`,
//!   octal) become dotted decimal; a bracketed IPv6 literal becomes its
//!   RFC 5952 text in brackets, except that an IPv4-mapped
//!   (`[::ffff:10.66.77.88]`) or NAT64 (`[64:ff9b::a42:4d58]`) address
//!   becomes the IPv4 address it reaches (`10.66.77.88`); non-ASCII names
//!   become IDNA (UTS 46) punycode, and when IDNA refuses the name or it is
//!   not UTF-8 the raw bytes are kept, escaped (`\x01\x80.com` → `%01%80.com`);
//! * path: `.` and `..` segments resolved (never above the root), runs of
//!   `/` collapsed, a trailing `/` kept;
//! * query: no normalisation beyond unescaping and escaping.
//!
//! Finally bytes `<= 0x20`, `>= 0x7F`, `#` and `%` are escaped as `%XX`
//! (upper-case hex) in all three components.
//!
//! # Decisions the specification leaves open
//!
//! Each is covered by a unit test in this module.
//!
//! * **Idempotence.** Canonicalising a canonical URL changes nothing: the
//!   only bytes left escaped are ones that are not delimiters (`#` and `%`
//!   among them, which step 3 treats as ordinary bytes). So a host that is
//!   not a bracketed IPv6 literal must not hold `:`, `[` or `]` (they would
//!   split differently when parsed again): such a host is `InvalidHost`, as
//!   browsers refuse it too.
//! * **Escaped `?`**: `http://a.b/x%3Fy` is `http://a.b/x?y`, a query, as
//!   for the Go reference client (Chromium's keeps `%3F` in the path).
//! * **Backslash**: a `\` ends the authority and separates path segments,
//!   as browsers do for http(s) (`http://evil.example\@good.example/` is
//!   fetched from `evil.example`, so it must be checked as that). An escaped
//!   `%5C` is unescaped with the rest of the URL and then acts the same way
//!   (a browser fetching `/a%5Cb` asks for `/a\b`, which http servers
//!   commonly treat as `/a/b`). In the query a backslash is left alone.
//! * **Port**: dropped. A port that is not decimal or exceeds 65535 is
//!   [`UrlErrorKind::InvalidPort`]; an
//!   empty one (`host:`) is accepted.
//! * **Userinfo** (`user:pw@`): dropped. When the input starts with
//!   `scheme://` or `//` and its raw authority (up to the first raw
//!   `/ ? \`) holds a raw `@`, everything up to the last one is dropped
//!   *before* unescaping, as browsers skip it to find the host they
//!   connect to: `http://good.example%2F@evil.example/` is `evil.example`,
//!   not `good.example` with path `/@evil.example/`. After unescaping, the
//!   host follows the last `@` left in the authority, so
//!   `http://evil.example%40good.example/` is `good.example` (browsers
//!   refuse that URL: an `@` decoded from a host is forbidden; the Go
//!   reference client reads it so).
//! * **Scheme**: only `http` and `https` (any case) are accepted, kept
//!   lower-cased in [`CanonicalUrl::as_str`] but not part of any expression.
//!   Any other scheme is [`UrlErrorKind::UnsupportedScheme`]: `ftp://x/`,
//!   `myprotocol://site.com/`, and schemes without an authority such as
//!   `mailto:a@example.com` or `javascript:alert(1)`. Input without a
//!   scheme is `http`: a leading `name:` counts as a scheme unless digits
//!   up to the end of the authority follow it, which is a port
//!   (`example.com:8080/path`, `host:80`, `host:`); so scheme-less input
//!   with userinfo (`user:pw@host`) or a bad port (`a.b:8o`) is
//!   `UnsupportedScheme`, and `http:` without `//` is `MissingHost`.
//! * **Protocol-relative** input (`//host/path`) is taken as `http`.
//! * **Empty query**: `http://a.b/?` keeps its `?` in the canonical URL
//!   ([`CanonicalUrl::query`] is `Some("")`), but no query expression is
//!   generated for it: its expressions are just `a.b/`.
//! * **Errors**: empty input (or only whitespace and a fragment) is
//!   `Empty`; input longer than [`MAX_INPUT_LEN`] is `TooLong` (checked on
//!   the raw input, before unescaping); no host (`/asdf`, `http:///x`, or a
//!   host of dots) is `MissingHost`; a bad IPv6 literal is `InvalidIpv6`;
//!   a scheme other than http(s) is `UnsupportedScheme`; a host with `:`,
//!   `[` or `]` outside an IPv6 literal is `InvalidHost`; [`canonical_host`]
//!   also rejects a value with URL structure in it (`InvalidHost`).

mod canonical;
mod escape;
#[cfg(test)]
mod every_string;
mod exchange;
mod expressions;
mod host;
mod ipv4;
mod ipv6;
mod split;

use std::fmt;

pub use exchange::EngineCanonicalizer;
pub use expressions::{DomainSuffixes, Expression, Expressions};
pub(crate) use expressions::{MAX_HOSTS, MAX_PATHS, PathPrefixes, is_expression_host};
pub(crate) use ipv6::embedded_ipv4;

use crate::{Error, UrlErrorKind};

/// The longest input, in bytes, [`CanonicalUrl::parse`] accepts. Browsers
/// cap URLs near 2 MB but real ones stay far below; 64 KiB bounds the work
/// a hostile request can cause while no honest URL comes close.
pub const MAX_INPUT_LEN: usize = 64 * 1024;

/// Buffers reused across [`CanonicalUrl::parse_into`] calls.
#[derive(Default)]
struct Scratch {
    cleaned: Vec<u8>,
    unescaped: Vec<u8>,
    host: host::HostScratch,
}

/// A URL in Safe Browsing canonical form: `scheme://host/path?query`.
///
/// One `String` holds the whole URL; accessors return slices of it. For the
/// hot path, [`CanonicalUrl::parse_into`] reuses a value's buffers and does
/// not allocate once they have grown to the size of the URLs seen (IDNA
/// processing of non-ASCII hosts included, for names up to 253 characters;
/// `tests/url_alloc.rs` checks this with a counting allocator).
///
/// ```
/// use hashwall::url::CanonicalUrl;
///
/// let url = CanonicalUrl::parse(b"http://3279880203/%2e%2E/blah?x=%41#top")?;
/// assert_eq!(url.as_str(), "http://195.127.0.11/blah?x=A");
/// assert_eq!(url.scheme(), "http");
/// assert_eq!(url.host(), "195.127.0.11");
/// assert!(url.host_is_ip());
/// assert_eq!(url.path(), "/blah");
/// assert_eq!(url.query(), Some("x=A"));
/// assert_eq!(url.path_and_query(), "/blah?x=A");
///
/// // Reuse one value per worker: no allocation once warmed up.
/// let mut reused = CanonicalUrl::new();
/// for raw in [&b"www.example.com"[..], b"HTTPS://Example.com/a//b/"] {
///     reused.parse_into(raw)?;
///     assert!(reused.expressions().count() >= 1);
/// }
/// assert_eq!(reused.as_str(), "https://example.com/a/b/");
/// # Ok::<(), hashwall::Error>(())
/// ```
pub struct CanonicalUrl {
    buf: String,
    scheme_end: usize,
    host_start: usize,
    host_end: usize,
    path_end: usize,
    has_query: bool,
    host_is_ip: bool,
    scratch: Scratch,
}

impl CanonicalUrl {
    /// An empty value, to be filled by [`CanonicalUrl::parse_into`]. All
    /// accessors return empty strings and the iterators yield nothing.
    pub fn new() -> Self {
        CanonicalUrl {
            buf: String::new(),
            scheme_end: 0,
            host_start: 0,
            host_end: 0,
            path_end: 0,
            has_query: false,
            host_is_ip: false,
            scratch: Scratch::default(),
        }
    }

    /// Canonicalises `input` (raw bytes as received, not necessarily UTF-8).
    ///
    /// # Errors
    ///
    /// An [`Error`] of kind [`ErrorKind::Url`](crate::ErrorKind::Url) when
    /// the input is empty, too long, has no host, or has an invalid port or
    /// IPv6 literal.
    pub fn parse(input: &[u8]) -> Result<CanonicalUrl, Error> {
        let mut url = CanonicalUrl::new();
        url.parse_into(input)?;
        Ok(url)
    }

    /// Canonicalises `input` into `self`, reusing its buffers. On error
    /// `self` is left empty (as from [`CanonicalUrl::new`]).
    ///
    /// # Errors
    ///
    /// As [`CanonicalUrl::parse`].
    pub fn parse_into(&mut self, input: &[u8]) -> Result<(), Error> {
        self.clear();
        let result = self.fill(input);
        if result.is_err() {
            self.clear();
        }
        result
    }

    fn clear(&mut self) {
        self.buf.clear();
        self.scheme_end = 0;
        self.host_start = 0;
        self.host_end = 0;
        self.path_end = 0;
        self.has_query = false;
        self.host_is_ip = false;
    }

    /// The whole canonical URL, `scheme://host/path[?query]`.
    pub fn as_str(&self) -> &str {
        &self.buf
    }

    /// The scheme, lower-case (`http` when the input had none).
    pub fn scheme(&self) -> &str {
        self.buf.get(..self.scheme_end).unwrap_or_default()
    }

    /// The canonical host: a lower-case DNS name (punycode for IDNs), a
    /// dotted-decimal IPv4 address, a bracketed IPv6 address, or escaped
    /// bytes (`%01%80.com`).
    pub fn host(&self) -> &str {
        self.buf
            .get(self.host_start..self.host_end)
            .unwrap_or_default()
    }

    /// Whether the host is an IPv4 or IPv6 address.
    pub fn host_is_ip(&self) -> bool {
        self.host_is_ip
    }

    /// The path, starting with `/`, without the query.
    pub fn path(&self) -> &str {
        self.buf
            .get(self.host_end..self.path_end)
            .unwrap_or_default()
    }

    /// The query without its `?`; `Some("")` for a URL ending in `?`.
    pub fn query(&self) -> Option<&str> {
        if self.has_query {
            self.buf.get(self.path_end + 1..)
        } else {
            None
        }
    }

    /// The path and, if present, `?` and the query.
    pub fn path_and_query(&self) -> &str {
        self.buf.get(self.host_end..).unwrap_or_default()
    }

    /// The Safe Browsing expressions (host suffix + path prefix) to look
    /// this URL up under, in the specification's order; at most 30, all
    /// distinct, the first being the full URL without scheme.
    pub fn expressions(&self) -> Expressions<'_> {
        Expressions::new(self)
    }

    /// The path prefixes every expression's path is one of.
    pub(crate) fn path_prefixes(&self) -> PathPrefixes<'_> {
        PathPrefixes::new(self)
    }

    /// The host, then every parent domain at a label boundary, longest
    /// first (`a.b.c`, `b.c`, `c`); only the host for an IP address. For
    /// list entries that cover a domain and all its subdomains.
    pub fn domain_suffixes(&self) -> DomainSuffixes<'_> {
        DomainSuffixes::new(self.host(), self.host_is_ip)
    }
}

impl Default for CanonicalUrl {
    fn default() -> Self {
        CanonicalUrl::new()
    }
}

impl Clone for CanonicalUrl {
    fn clone(&self) -> Self {
        CanonicalUrl {
            buf: self.buf.clone(),
            scratch: Scratch::default(),
            ..*self
        }
    }
}

impl PartialEq for CanonicalUrl {
    fn eq(&self, other: &Self) -> bool {
        // The offsets follow from the text except for the IP flag.
        self.buf == other.buf && self.host_is_ip == other.host_is_ip
    }
}

impl Eq for CanonicalUrl {}

impl std::hash::Hash for CanonicalUrl {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.buf.hash(state);
    }
}

impl fmt::Debug for CanonicalUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CanonicalUrl").field(&self.as_str()).finish()
    }
}

impl fmt::Display for CanonicalUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for CanonicalUrl {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        CanonicalUrl::parse(s.as_bytes())
    }
}

/// The canonical expression of a `url-prefix` list entry: host + path
/// (+ `?query`), no scheme, exactly as [`CanonicalUrl::expressions`] yields
/// its first expression. The entry may carry a scheme and any escaping.
///
/// ```
/// use hashwall::url::canonical_expression;
///
/// assert_eq!(canonical_expression("Evil.Example/gallery/")?, "evil.example/gallery/");
/// assert_eq!(canonical_expression("https://evil.example/%67allery/./x?a")?, "evil.example/gallery/x?a");
/// assert_eq!(canonical_expression("evil.example")?, "evil.example/");
/// # Ok::<(), hashwall::Error>(())
/// ```
///
/// # Errors
///
/// As [`CanonicalUrl::parse`].
pub fn canonical_expression(value: &str) -> Result<String, Error> {
    let url = CanonicalUrl::parse(value.as_bytes())?;
    let mut out = String::with_capacity(url.as_str().len());
    if let Some(first) = url.expressions().next() {
        first.write_to(&mut out);
    }
    Ok(out)
}

/// The canonical form of a bare host, for `domain` list entries: the same
/// rules as the host of a URL, escapes included.
///
/// ```
/// use hashwall::url::canonical_host;
///
/// assert_eq!(canonical_host("WWW.Example.COM.")?, "www.example.com");
/// assert_eq!(canonical_host("bücher.example")?, "xn--bcher-kva.example");
/// assert_eq!(canonical_host("0x7f.1")?, "127.0.0.1");
/// assert_eq!(canonical_host("2001:DB8::1")?, "[2001:db8::1]");
/// assert_eq!(canonical_host("[::ffff:10.66.77.88]")?, "10.66.77.88");
/// assert_eq!(canonical_host("host%23.com")?, "host%23.com");
/// # Ok::<(), hashwall::Error>(())
/// ```
///
/// # Errors
///
/// `Empty` or `TooLong` as for URLs; `InvalidHost` when the value holds a
/// raw `#`, or after unescaping a `/ ? @ \`, a `:` that is not part of an
/// IPv6 address (a URL or a port is not a host), or a `[ ]` outside a
/// bracketed IPv6 literal; `MissingHost` when only
/// dots remain; `InvalidIpv6` for a bad bracketed literal.
pub fn canonical_host(value: &str) -> Result<String, Error> {
    if value.len() > MAX_INPUT_LEN {
        return Err(Error::url(UrlErrorKind::TooLong, "host too long"));
    }
    let value = canonical::trim_controls(value.as_bytes());
    if value.is_empty() {
        return Err(Error::url(UrlErrorKind::Empty, "empty host"));
    }
    if memchr::memchr(b'#', value).is_some() {
        return Err(Error::url(
            UrlErrorKind::InvalidHost,
            "a host cannot contain a raw # (it starts a fragment)",
        ));
    }
    // Unescaped first, as a URL is: `a%2Fb` is no more a host than `a/b`.
    let unescaped;
    let bytes = if memchr::memchr(b'%', value).is_some() {
        let mut v = Vec::with_capacity(value.len());
        escape::unescape_into(value, &mut v);
        unescaped = v;
        &unescaped[..]
    } else {
        value
    };
    let delimiter = bytes.iter().fold(false, |any, &b| {
        any | matches!(b, b'/' | b'?' | b'@' | b'\\')
    });
    if delimiter {
        return Err(Error::url(
            UrlErrorKind::InvalidHost,
            "a host cannot contain / ? @ or \\",
        ));
    }
    let mut out = Vec::with_capacity(bytes.len() + 2);
    if bytes.first() != Some(&b'[') && bytes.contains(&b':') {
        let addr = ipv6::parse(bytes).map_err(|_| {
            Error::url(
                UrlErrorKind::InvalidHost,
                "a host cannot contain ':' (ports are not part of a host)",
            )
        })?;
        ipv6::push_host(addr, &mut out);
    } else {
        host::canonicalize(bytes, &mut host::HostScratch::default(), &mut out)?;
    }
    String::from_utf8(out).map_err(|_| Error::url(UrlErrorKind::InvalidHost, "non-ASCII output"))
}

#[cfg(test)]
mod tests;
