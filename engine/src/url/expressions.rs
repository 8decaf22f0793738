//! Safe Browsing host-suffix / path-prefix expressions, and domain suffixes.

use std::fmt;
use std::iter::FusedIterator;

use super::CanonicalUrl;

/// At most this many host suffixes (the exact host and four more).
pub(crate) const MAX_HOSTS: usize = 5;
/// At most this many path prefixes (with query, without, and four more).
pub(crate) const MAX_PATHS: usize = 6;

/// Whether the domain suffix at `index` (0 for the host itself, then one
/// label shorter each, as [`DomainSuffixes`] yields them) of a host of
/// `labels` labels starts Safe Browsing expressions: the host itself and
/// its suffixes of 2 to [`MAX_HOSTS`] labels, as [`Expressions`] pairs
/// them with paths.
pub(crate) fn is_expression_host(index: usize, labels: usize) -> bool {
    index == 0 || (2..=MAX_HOSTS).contains(&labels.saturating_sub(index))
}

/// One host-suffix / path-prefix combination of a [`CanonicalUrl`], as
/// hashed by Safe Browsing: `host` then `path` (no scheme, no separator).
/// Both halves borrow from the URL, so producing one costs nothing.
///
/// ```
/// use hashwall::url::CanonicalUrl;
///
/// let url = CanonicalUrl::parse(b"http://a.b.c/1/2.html?param=1")?;
/// let first = url.expressions().next().expect("there is always one");
/// assert_eq!(first.host(), "a.b.c");
/// assert_eq!(first.path(), "/1/2.html?param=1");
/// assert!(first.is_full());
/// assert!(first.eq_str("a.b.c/1/2.html?param=1"));
/// assert_eq!(first.to_string(), "a.b.c/1/2.html?param=1");
/// # Ok::<(), hashwall::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Expression<'a> {
    host: &'a str,
    path: &'a str,
    full: bool,
}

impl<'a> Expression<'a> {
    /// The host suffix (the whole host for the first expressions).
    pub fn host(&self) -> &'a str {
        self.host
    }

    /// The path prefix, including `?query` for the one expression that
    /// carries the query.
    pub fn path(&self) -> &'a str {
        self.path
    }

    /// Length in bytes of `host` + `path`.
    pub fn len(&self) -> usize {
        self.host.len() + self.path.len()
    }

    /// Always false: an expression has at least a host byte and a `/`.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether this is the exact host with the full path and query: the
    /// only expression an exact-URL list entry may match.
    pub fn is_full(&self) -> bool {
        self.full
    }

    /// Whether `s` equals `host` + `path`, without concatenating them.
    pub fn eq_str(&self, s: &str) -> bool {
        s.len() == self.len()
            && s.as_bytes()[..self.host.len()] == *self.host.as_bytes()
            && s.as_bytes()[self.host.len()..] == *self.path.as_bytes()
    }

    /// Appends `host` + `path` to `out` (for hashing into a reused buffer).
    pub fn write_to(&self, out: &mut String) {
        out.push_str(self.host);
        out.push_str(self.path);
    }
}

impl fmt::Display for Expression<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.host)?;
        f.write_str(self.path)
    }
}

/// The expressions of a [`CanonicalUrl`], in Safe Browsing order: for each
/// host suffix (exact host, then longest to shortest), each path prefix
/// (path with query, path, then `/` and deeper directories). At most 30,
/// all distinct; created by [`CanonicalUrl::expressions`].
#[derive(Clone, Debug)]
pub struct Expressions<'a> {
    buf: &'a str,
    host_end: usize,
    hosts: [usize; MAX_HOSTS],
    host_count: usize,
    paths: PathPrefixes<'a>,
    next_host: usize,
    next_path: usize,
}

/// The path prefixes of a [`CanonicalUrl`] in Safe Browsing order: the path
/// with its query (when the query is not empty), the path, then `/` and up
/// to three more directories. Every expression pairs one host suffix with
/// each of these.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PathPrefixes<'a> {
    buf: &'a str,
    start: usize,
    ends: [usize; MAX_PATHS],
    count: usize,
}

impl<'a> PathPrefixes<'a> {
    pub(super) fn new(url: &'a CanonicalUrl) -> Self {
        let buf = url.buf.as_str();
        let (start, path_end) = (url.host_end, url.path_end);
        let mut ends = [0; MAX_PATHS];
        let mut count = 0;
        if url.has_query && buf.len() > path_end + 1 {
            ends[0] = buf.len();
            count = 1;
        }
        ends[count] = path_end;
        count += 1;
        let slashes = buf.as_bytes()[start..path_end]
            .iter()
            .enumerate()
            .filter(|&(_, &b)| b == b'/')
            .take(4);
        for (offset, _) in slashes {
            let end = start + offset + 1;
            if end != path_end {
                ends[count] = end;
                count += 1;
            }
        }
        PathPrefixes {
            buf,
            start,
            ends,
            count,
        }
    }

    /// How many prefixes there are (at most [`MAX_PATHS`]).
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// The `i`-th prefix (empty past the end).
    pub(crate) fn get(&self, i: usize) -> &'a str {
        let end = self.ends.get(i).copied().unwrap_or_default();
        self.buf.get(self.start..end).unwrap_or_default()
    }

    /// The prefixes, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        let this = *self;
        (0..this.count).map(move |i| this.get(i))
    }
}

impl<'a> Expressions<'a> {
    pub(super) fn new(url: &'a CanonicalUrl) -> Self {
        let buf = url.buf.as_str();
        let bytes = buf.as_bytes();
        let (host_start, host_end) = (url.host_start, url.host_end);
        let mut hosts = [0; MAX_HOSTS];
        let mut host_count = 0;
        if host_end > host_start {
            hosts[0] = host_start;
            host_count = 1;
        }
        if !url.host_is_ip && host_count == 1 {
            // dots[k] = position of the (k+1)-th dot from the end.
            let mut dots = [0; MAX_HOSTS];
            let mut ndots = 0;
            for i in (host_start..host_end).rev() {
                if bytes[i] == b'.' {
                    dots[ndots] = i;
                    ndots += 1;
                    if ndots == MAX_HOSTS {
                        break;
                    }
                }
            }
            // A suffix of `m` components starts after the m-th dot from the
            // end; the bare TLD (m = 1) never counts.
            for m in (2..=MAX_HOSTS).rev() {
                let start = if m <= ndots {
                    dots[m - 1] + 1
                } else if m == ndots + 1 {
                    host_start
                } else {
                    continue;
                };
                if start != host_start {
                    hosts[host_count] = start;
                    host_count += 1;
                }
            }
        }

        // With no host there is no expression: `remaining` is 0 whatever
        // the prefixes are.
        let paths = PathPrefixes::new(url);
        Expressions {
            buf,
            host_end,
            hosts,
            host_count,
            paths,
            next_host: 0,
            next_path: 0,
        }
    }

    fn remaining(&self) -> usize {
        if self.next_host >= self.host_count {
            return 0;
        }
        (self.host_count - self.next_host) * self.paths.len() - self.next_path
    }
}

impl<'a> Iterator for Expressions<'a> {
    type Item = Expression<'a>;

    fn next(&mut self) -> Option<Expression<'a>> {
        if self.next_host >= self.host_count {
            return None;
        }
        let (h, p) = (self.next_host, self.next_path);
        let host = self.buf.get(self.hosts[h]..self.host_end)?;
        let path = self.paths.get(p);
        self.next_path += 1;
        if self.next_path == self.paths.len() {
            self.next_path = 0;
            self.next_host += 1;
        }
        Some(Expression {
            host,
            path,
            full: h == 0 && p == 0,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.remaining();
        (n, Some(n))
    }
}

impl ExactSizeIterator for Expressions<'_> {}
impl FusedIterator for Expressions<'_> {}

/// The host of a [`CanonicalUrl`] and every parent domain at a label
/// boundary, longest first (`a.b.c`, `b.c`, `c`); only the host itself for
/// an IP address. Created by [`CanonicalUrl::domain_suffixes`].
#[derive(Clone, Debug)]
pub struct DomainSuffixes<'a> {
    rest: Option<&'a str>,
    is_ip: bool,
}

impl<'a> DomainSuffixes<'a> {
    pub(super) fn new(host: &'a str, is_ip: bool) -> Self {
        DomainSuffixes {
            rest: (!host.is_empty()).then_some(host),
            is_ip,
        }
    }
}

impl<'a> Iterator for DomainSuffixes<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let current = self.rest?;
        self.rest = if self.is_ip {
            None
        } else {
            current.split_once('.').map(|(_, parent)| parent)
        };
        Some(current)
    }
}

impl FusedIterator for DomainSuffixes<'_> {}

#[cfg(test)]
mod tests {
    use super::super::CanonicalUrl;

    fn exprs(url: &str) -> Vec<String> {
        let u = CanonicalUrl::parse(url.as_bytes()).unwrap_or_else(|e| panic!("{url}: {e}"));
        let v: Vec<String> = u.expressions().map(|e| e.to_string()).collect();
        assert_eq!(v.len(), u.expressions().len());
        v
    }

    #[test]
    fn v4_order() {
        assert_eq!(
            exprs("http://a.b.c/1/2.html?param=1"),
            [
                "a.b.c/1/2.html?param=1",
                "a.b.c/1/2.html",
                "a.b.c/",
                "a.b.c/1/",
                "b.c/1/2.html?param=1",
                "b.c/1/2.html",
                "b.c/",
                "b.c/1/",
            ]
        );
    }

    #[test]
    fn empty_query_gives_no_query_expression() {
        assert_eq!(exprs("http://a.b/?"), ["a.b/"]);
        let u = CanonicalUrl::parse(b"http://a.b/?").expect("valid");
        assert_eq!(u.as_str(), "http://a.b/?");
        assert_eq!(u.query(), Some(""));
        assert!(u.expressions().next().is_some_and(|e| e.is_full()));
    }

    #[test]
    fn ip_hosts_have_no_suffixes() {
        assert_eq!(
            exprs("http://1.2.3.4/a/b"),
            ["1.2.3.4/a/b", "1.2.3.4/", "1.2.3.4/a/"]
        );
        assert_eq!(exprs("http://[::1]/"), ["[::1]/"]);
    }

    #[test]
    fn at_most_thirty() {
        let v = exprs("http://a.b.c.d.e.f.g.h/1/2/3/4/5/6/7?q");
        assert_eq!(v.len(), 30);
        assert_eq!(v[6], "d.e.f.g.h/1/2/3/4/5/6/7?q");
        assert_eq!(v[29], "g.h/1/2/3/");
        let only_full = v.iter().filter(|s| s.ends_with("?q")).count();
        assert_eq!(only_full, 5);
    }

    #[test]
    fn only_first_is_full() {
        let u = CanonicalUrl::parse(b"http://a.b.c/x?y").expect("valid");
        let full: Vec<bool> = u.expressions().map(|e| e.is_full()).collect();
        assert!(full[0] && full[1..].iter().all(|f| !f));
    }

    /// The suffixes `is_expression_host` picks are the hosts the
    /// expressions start with, for hosts of 1 to 8 labels.
    #[test]
    fn expression_hosts_are_the_hosts_of_the_expressions() {
        let labels = ["a", "b", "c", "d", "e", "f", "g", "h"];
        for n in 1..=labels.len() {
            let url = format!("http://{}/", labels[..n].join("."));
            let u = CanonicalUrl::parse(url.as_bytes()).expect("valid");
            let picked: Vec<String> = u
                .domain_suffixes()
                .enumerate()
                .filter(|&(i, _)| super::is_expression_host(i, n))
                .map(|(_, s)| format!("{s}/"))
                .collect();
            assert_eq!(picked, exprs(&url), "{url}");
        }
    }

    #[test]
    fn domain_suffixes() {
        let u = CanonicalUrl::parse(b"http://a.b.c.d.e.f.g/").expect("valid");
        let v: Vec<&str> = u.domain_suffixes().collect();
        assert_eq!(
            v,
            [
                "a.b.c.d.e.f.g",
                "b.c.d.e.f.g",
                "c.d.e.f.g",
                "d.e.f.g",
                "e.f.g",
                "f.g",
                "g"
            ]
        );
        let u = CanonicalUrl::parse(b"http://1.2.3.4/").expect("valid");
        assert_eq!(u.domain_suffixes().collect::<Vec<_>>(), ["1.2.3.4"]);
        assert_eq!(CanonicalUrl::new().domain_suffixes().count(), 0);
        assert_eq!(CanonicalUrl::new().expressions().count(), 0);
    }
}
