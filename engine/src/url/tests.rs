//! One test per documented decision and per error kind.

use super::*;
use crate::ErrorKind;

fn canon(input: &[u8]) -> String {
    match CanonicalUrl::parse(input) {
        Ok(u) => u.as_str().to_owned(),
        Err(e) => panic!("{}: {e}", String::from_utf8_lossy(input)),
    }
}

fn err(input: &[u8]) -> UrlErrorKind {
    match CanonicalUrl::parse(input) {
        Ok(u) => panic!("{} parsed as {u}", String::from_utf8_lossy(input)),
        Err(e) => match e.kind() {
            ErrorKind::Url(k) => k,
            other => panic!("unexpected kind {other:?}"),
        },
    }
}

fn exprs(input: &[u8]) -> Vec<String> {
    let u = CanonicalUrl::parse(input).unwrap_or_else(|e| panic!("{e}"));
    u.expressions().map(|e| e.to_string()).collect()
}

#[test]
fn components() {
    let u = CanonicalUrl::parse(b"HTTPS://u:p@Example.COM:443/a/b?c=d?e").expect("valid");
    assert_eq!(u.as_str(), "https://example.com/a/b?c=d?e");
    assert_eq!(u.scheme(), "https");
    assert_eq!(u.host(), "example.com");
    assert!(!u.host_is_ip());
    assert_eq!(u.path(), "/a/b");
    assert_eq!(u.query(), Some("c=d?e"));
    assert_eq!(u.path_and_query(), "/a/b?c=d?e");
    let none = CanonicalUrl::parse(b"example.com").expect("valid");
    assert_eq!(none.query(), None);
    assert_eq!(none.path_and_query(), "/");
}

#[test]
fn port_is_dropped() {
    assert_eq!(
        canon(b"http://www.gotaport.com:1234/"),
        "http://www.gotaport.com/"
    );
    assert_eq!(canon(b"http://a.b:/"), "http://a.b/");
    assert_eq!(canon(b"http://[::1]:80/"), "http://[::1]/");
    assert_eq!(canon(b"a.b:65535"), "http://a.b/");
}

#[test]
fn invalid_port() {
    assert_eq!(err(b"http://a.b:65536/"), UrlErrorKind::InvalidPort);
    assert_eq!(err(b"http://a.b:8o/"), UrlErrorKind::InvalidPort);
    assert_eq!(err(b"http://a.b:-1/"), UrlErrorKind::InvalidPort);
    let long = format!("http://a.b:{}/", "9".repeat(1000));
    assert_eq!(err(long.as_bytes()), UrlErrorKind::InvalidPort);
}

#[test]
fn userinfo_is_dropped() {
    assert_eq!(canon(b"http://user:pw@a.b/"), "http://a.b/");
    assert_eq!(canon(b"http://a@b@c.d/"), "http://c.d/");
    assert_eq!(canon(b"http://a.b/x@y"), "http://a.b/x@y");
}

#[test]
fn scheme_kept_but_not_in_expressions() {
    assert_eq!(canon(b"HTTP://a.b/x"), "http://a.b/x");
    assert_eq!(canon(b"HTTPS://a.b/x"), "https://a.b/x");
    assert_eq!(exprs(b"https://a.b/x"), exprs(b"http://a.b/x"));
    assert_eq!(exprs(b"https://a.b/x"), ["a.b/x", "a.b/"]);
}

#[test]
fn only_http_and_https() {
    for raw in [
        &b"ftp://a.b/x"[..],
        b"FTP://a.b/x",
        b"svn+ssh://a.b/",
        b"myprotocol://site.com/",
        b"mailto:a@example.com",
        b"javascript:alert(1)",
        b"file:///etc/passwd",
    ] {
        assert_eq!(err(raw), UrlErrorKind::UnsupportedScheme);
    }
    // A leading `name:` followed by digits is a host and a port.
    assert_eq!(canon(b"example.com:8080/path"), "http://example.com/path");
    assert_eq!(canon(b"host:80"), "http://host/");
    assert_eq!(canon(b"host:"), "http://host/");
    // Otherwise it is a scheme: scheme-less userinfo or a bad port.
    assert_eq!(err(b"user:pw@host/"), UrlErrorKind::UnsupportedScheme);
    assert_eq!(err(b"a.b:8o/"), UrlErrorKind::UnsupportedScheme);
    assert_eq!(err(b"http:a.b/"), UrlErrorKind::MissingHost);
}

#[test]
fn no_scheme_means_http() {
    assert_eq!(canon(b"www.google.com"), "http://www.google.com/");
    assert_eq!(canon(b"//www.google.com/x"), "http://www.google.com/x");
    assert_eq!(canon(b"localhost:8080/x"), "http://localhost/x");
}

#[test]
fn empty_query_kept_without_expression() {
    assert_eq!(canon(b"http://a.b/?"), "http://a.b/?");
    assert_eq!(exprs(b"http://a.b/?"), ["a.b/"]);
    assert_eq!(exprs(b"http://a.b/x?"), ["a.b/x", "a.b/"]);
}

#[test]
fn query_is_unescaped_and_escaped_but_not_normalised() {
    assert_eq!(
        canon(b"http://a.b/?x=%41%2525&y=/../#f"),
        "http://a.b/?x=A%25&y=/../"
    );
    assert_eq!(canon(b"http://a.b/?%23"), "http://a.b/?%23");
}

#[test]
fn escaped_question_mark_starts_the_query() {
    let u = CanonicalUrl::parse(b"http://a.b/x%3Fy?z").expect("valid");
    assert_eq!(u.as_str(), "http://a.b/x?y?z");
    assert_eq!(u.path(), "/x");
    assert_eq!(u.query(), Some("y?z"));
    assert_eq!(canon(u.as_str().as_bytes()), u.as_str());
}

#[test]
fn escaped_delimiters_split_the_url() {
    for (raw, want) in [
        (&b"http://a%2Fb.c/"[..], "http://a/b.c/"),
        (b"http://a%3Fb.c/", "http://a/?b.c/"),
        (b"http://a%40b.c/", "http://b.c/"),
        (b"http://a%3A80/", "http://a/"),
        (b"http://%5B%3A%3A1%5D/", "http://[::1]/"),
        (b"http://host%23.com/", "http://host%23.com/"),
        (b"http://a%25zz/", "http://a%25zz/"),
    ] {
        let once = canon(raw);
        assert_eq!(once, want);
        assert_eq!(canon(once.as_bytes()), once, "{once}");
    }
    // `[ ] :` outside an IPv6 literal would split again when re-parsed.
    for raw in [&b"http://a%5Bb%5D/"[..], b"http://.[/", b"http://a:b:80/"] {
        assert_eq!(err(raw), UrlErrorKind::InvalidHost);
    }
}

#[test]
fn userinfo_after_unescaping() {
    assert_eq!(
        canon(b"http://evil.example%40good.example/"),
        "http://good.example/"
    );
    // A userinfo written with a raw `@` is dropped before unescaping, as
    // browsers skip it: they fetch these from evil.example.
    assert_eq!(
        canon(b"http://good.example%2F@evil.example/"),
        "http://evil.example/"
    );
    assert_eq!(
        canon(b"//a%3Fb%5Cc@evil.example/x"),
        "http://evil.example/x"
    );
    // Without a raw `://`, the unescaped authority decides.
    assert_eq!(canon(b"a%2F@b.c/"), "http://a/@b.c/");
}

#[test]
fn ip_hosts() {
    let u = CanonicalUrl::parse(b"http://0x7f.1/").expect("valid");
    assert_eq!((u.host(), u.host_is_ip()), ("127.0.0.1", true));
    let u = CanonicalUrl::parse(b"http://[2001:DB8:0:0::1]/").expect("valid");
    assert_eq!((u.host(), u.host_is_ip()), ("[2001:db8::1]", true));
    let u = CanonicalUrl::parse(b"http://[::ffff:10.66.77.88]/").expect("valid");
    assert_eq!((u.host(), u.host_is_ip()), ("10.66.77.88", true));
    assert_eq!(canon(b"http://10.192.95.89 xy/"), "http://10.192.95.89/");
}

#[test]
fn idn_hosts() {
    assert_eq!(
        canon("http://Bücher.example/".as_bytes()),
        "http://xn--bcher-kva.example/"
    );
    assert_eq!(canon(b"http://\x01\x80.com/"), "http://%01%80.com/");
}

#[test]
fn error_empty() {
    assert_eq!(err(b""), UrlErrorKind::Empty);
    assert_eq!(err(b" \t\r\n "), UrlErrorKind::Empty);
    assert_eq!(err(b"  #fragment"), UrlErrorKind::Empty);
}

#[test]
fn error_too_long() {
    let mut long = b"http://a.b/".to_vec();
    long.resize(MAX_INPUT_LEN + 1, b'a');
    assert_eq!(err(&long), UrlErrorKind::TooLong);
    long.truncate(MAX_INPUT_LEN);
    assert!(CanonicalUrl::parse(&long).is_ok());
}

#[test]
fn error_missing_host() {
    assert_eq!(err(b"/asdf"), UrlErrorKind::MissingHost);
    assert_eq!(err(b"http:///asdf"), UrlErrorKind::MissingHost);
    assert_eq!(err(b"http://.../"), UrlErrorKind::MissingHost);
    assert_eq!(err(b"http://user@/"), UrlErrorKind::MissingHost);
    assert_eq!(err(b"http://:80/"), UrlErrorKind::MissingHost);
}

#[test]
fn error_invalid_ipv6() {
    assert_eq!(err(b"http://[::g]/"), UrlErrorKind::InvalidIpv6);
    assert_eq!(err(b"http://[::1/"), UrlErrorKind::InvalidIpv6);
    assert_eq!(err(b"http://[::1]x/"), UrlErrorKind::InvalidIpv6);
}

#[test]
fn failed_parse_into_leaves_empty_value() {
    let mut u = CanonicalUrl::parse(b"http://a.b/c?d").expect("valid");
    assert!(u.parse_into(b"/asdf").is_err());
    assert_eq!(u, CanonicalUrl::new());
    assert_eq!(
        (u.as_str(), u.host(), u.path(), u.query()),
        ("", "", "", None)
    );
}

#[test]
fn expression_helpers() {
    let u = CanonicalUrl::parse(b"http://a.b.c/d?e").expect("valid");
    let mut out = String::new();
    for e in u.expressions() {
        out.clear();
        e.write_to(&mut out);
        assert!(e.eq_str(&out));
        assert_eq!(e.len(), out.len());
        assert!(!e.is_empty());
        assert!(!e.eq_str(&out[1..]));
    }
    let first = u.expressions().next().expect("one");
    assert!(!first.eq_str("a.b.c/d?f"));
    assert!(!first.eq_str("a.b.c/d?ee"));
}

#[test]
fn list_entry_helpers() {
    assert_eq!(
        canonical_expression("HTTP://Evil.Example/Gallery/")
            .ok()
            .as_deref(),
        Some("evil.example/Gallery/")
    );
    assert_eq!(
        canonical_expression("evil.example/a/?").ok().as_deref(),
        Some("evil.example/a/")
    );
    assert!(canonical_expression("/nohost").is_err());
    assert_eq!(canonical_host(" a.b ").ok().as_deref(), Some("a.b"));
    assert_eq!(canonical_host("[::1]").ok().as_deref(), Some("[::1]"));
    for (mapped, want) in [
        ("[::ffff:10.66.77.88]", "10.66.77.88"),
        ("::ffff:a42:4d58", "10.66.77.88"),
        ("[64:FF9B::a42:4d58]", "10.66.77.88"),
        ("%5B::ffff:10.66.77.88%5D", "10.66.77.88"),
        ("host%23.com", "host%23.com"),
    ] {
        assert_eq!(
            canonical_host(mapped).ok().as_deref(),
            Some(want),
            "{mapped}"
        );
    }
    for bad in [
        "a.b/c", "a.b:80", "u@a.b", "a?b", "a#b", "a\\b", "a%2Fb", "a%3A80", "u%40a.b", "a%253Fb",
        "a%5Cb", "a[b", "a%5Db",
    ] {
        let kind = canonical_host(bad).map_err(|e| e.kind());
        assert_eq!(
            kind,
            Err(ErrorKind::Url(UrlErrorKind::InvalidHost)),
            "{bad}"
        );
    }
    assert_eq!(
        canonical_host("").map_err(|e| e.kind()),
        Err(ErrorKind::Url(UrlErrorKind::Empty))
    );
    assert_eq!(
        canonical_host("...").map_err(|e| e.kind()),
        Err(ErrorKind::Url(UrlErrorKind::MissingHost))
    );
}

#[test]
fn trait_impls() {
    let u: CanonicalUrl = "WWW.A.B".parse().expect("valid");
    assert_eq!(u.to_string(), "http://www.a.b/");
    assert_eq!(format!("{u:?}"), "CanonicalUrl(\"http://www.a.b/\")");
    assert_eq!(u.clone(), u);
    assert_eq!(CanonicalUrl::default(), CanonicalUrl::new());
}

#[test]
fn backslash_is_a_slash_as_in_browsers() {
    assert_eq!(
        canon(b"http://evil.example\\@good.example/"),
        "http://evil.example/@good.example/"
    );
    assert_eq!(canon(b"http://a.b\\c\\..\\d"), "http://a.b/d");
    // Escaped, it is unescaped with the whole URL and acts the same way.
    assert_eq!(canon(b"http://a.b/c%5Cd"), "http://a.b/c/d");
    assert_eq!(canon(b"http://a%5Cb.c/"), "http://a/b.c/");
    // ... except in a userinfo that a raw `@` ends, which browsers skip.
    assert_eq!(
        canon(b"http://evil.example%5C@good.example/"),
        "http://good.example/"
    );
    assert_eq!(canon(b"http://a.b/?c\\d"), "http://a.b/?c\\d");
    assert_eq!(canon(b"http://a.b/?c%5Cd"), "http://a.b/?c\\d");
}
