//! How origin servers read a path differently from Safe Browsing, and the
//! extra readings of a URL a snapshot looks up so that a listed resource is
//! not reached through a spelling the origin maps onto it.
//!
//! * **Path parameters.** Servlet containers (Tomcat, Jetty), Spring and
//!   many others drop `;…` from each path segment before they route:
//!   `/banned;x/a.jpg` and `/a.jpg;jsessionid=1` serve `/banned/a.jpg` and
//!   `/a.jpg`, and `/x/..;/banned/a.jpg` climbs out of `/x`. Every URL whose
//!   path holds a `;` is also looked up with the parameters removed from
//!   each segment and the dot segments resolved again, against every list.
//! * **Letter case.** IIS, and any origin on a case-insensitive file
//!   system, serve `/BANNED/A.JPG` for `/banned/a.jpg`. For a list
//!   configured with [`ListConfig::case_insensitive_paths`], the paths of
//!   its `url` and `url-prefix` entries are stored folded, and a URL is also
//!   looked up with its path folded, against those lists only. Folding is
//!   ASCII only (non-ASCII is percent-escaped in a canonical path, and the
//!   escapes are kept as they are); the host is always case-insensitive and
//!   the query never is. `url-sha256` entries cannot be folded (only their
//!   digest is known) and keep matching the case they were hashed from.
//!
//! A reading only ever adds matches: the URL as written is always looked up.
//!
//! [`ListConfig::case_insensitive_paths`]: super::ListConfig::case_insensitive_paths

use crate::url::CanonicalUrl;

/// Which lists a reading is matched against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Applies {
    /// Every list.
    All,
    /// Only lists whose paths are case-insensitive.
    CaseInsensitiveLists,
}

/// The readings of `url` beyond the URL as written: at most three
/// (parameters removed; path folded; both), each with the lists it is for.
/// `fold` says whether any list wants folded paths. Allocates only when a
/// reading applies.
pub(crate) fn readings(url: &CanonicalUrl, fold: bool) -> Vec<(CanonicalUrl, Applies)> {
    let mut out = Vec::new();
    let path = url.path();
    let stripped = path.contains(';').then(|| strip_params(path));
    if let Some(p) = &stripped
        && let Some(u) = with_path(url, p)
    {
        out.push((u, Applies::All));
    }
    if fold {
        for p in std::iter::once(path).chain(stripped.as_deref()) {
            if has_upper(p)
                && let Some(u) = with_path(url, &fold_path(p))
            {
                out.push((u, Applies::CaseInsensitiveLists));
            }
        }
    }
    out
}

/// `path` with `;…` removed from each segment (up to the segment's end).
pub(crate) fn strip_params(path: &str) -> String {
    path.split('/')
        .map(|seg| seg.split_once(';').map_or(seg, |(kept, _)| kept))
        .collect::<Vec<_>>()
        .join("/")
}

/// `s` with ASCII letters lower-cased, except inside `%XX` escapes (which a
/// canonical URL writes in upper case).
pub(crate) fn fold_path(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut escape_left = 0u8;
    for c in s.chars() {
        if escape_left > 0 {
            escape_left -= 1;
            out.push(c);
        } else if c == '%' {
            escape_left = 2;
            out.push(c);
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// Whether folding `s` would change it.
fn has_upper(s: &str) -> bool {
    let mut escape_left = 0u8;
    for b in s.bytes() {
        if escape_left > 0 {
            escape_left -= 1;
        } else if b == b'%' {
            escape_left = 2;
        } else if b.is_ascii_uppercase() {
            return true;
        }
    }
    false
}

/// `url` with its path replaced, canonicalised again (dot segments that
/// removing parameters exposed are resolved).
fn with_path(url: &CanonicalUrl, path: &str) -> Option<CanonicalUrl> {
    let mut s = String::with_capacity(url.as_str().len());
    s.push_str(url.scheme());
    s.push_str("://");
    s.push_str(url.host());
    s.push_str(path);
    if let Some(q) = url.query() {
        s.push('?');
        s.push_str(q);
    }
    CanonicalUrl::parse(s.as_bytes()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_removed_per_segment() {
        let rows = [
            ("/banned;x/a.jpg", "/banned/a.jpg"),
            ("/a.jpg;jsessionid=1", "/a.jpg"),
            ("/x/..;/banned/a.jpg", "/x/../banned/a.jpg"),
            ("/a;b;c/d;e", "/a/d"),
            (";/a", "/a"),
            ("/plain/path", "/plain/path"),
        ];
        for (path, want) in rows {
            assert_eq!(strip_params(path), want, "{path}");
        }
    }

    #[test]
    fn folding_keeps_escapes() {
        assert_eq!(fold_path("/BANNED/%C3%A9A.JPG"), "/banned/%C3%A9a.jpg");
        assert!(has_upper("/a/B"));
        assert!(!has_upper("/a/%C3%A9"));
        assert!(!has_upper("/a/%4"));
    }

    fn reading_strs(url: &str, fold: bool) -> Vec<(String, Applies)> {
        let url = CanonicalUrl::parse(url.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        readings(&url, fold)
            .into_iter()
            .map(|(u, a)| (u.as_str().to_owned(), a))
            .collect()
    }

    #[test]
    fn readings_table() {
        use Applies::*;
        assert!(reading_strs("http://h.example/a/b.jpg?Q=1", true).is_empty());
        assert!(reading_strs("http://h.example/A/b.jpg", false).is_empty());
        assert_eq!(
            reading_strs("http://h.example/x/..;/Banned/a.jpg;s=1?Q", true),
            [
                ("http://h.example/Banned/a.jpg?Q".to_owned(), All),
                (
                    "http://h.example/x/..;/banned/a.jpg;s=1?Q".to_owned(),
                    CaseInsensitiveLists
                ),
                (
                    "http://h.example/banned/a.jpg?Q".to_owned(),
                    CaseInsensitiveLists
                ),
            ]
        );
    }
}
