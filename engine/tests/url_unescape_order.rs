//! The whole URL is unescaped before it is split (Safe Browsing v4 order):
//! one table row per input spelling, and the list matches that depend on it.

use hashwall::url::{CanonicalUrl, canonical_host};
use hashwall::{ErrorKind, ListConfig, Snapshot, UrlErrorKind};
use hashwall_lists::List;

/// What an input must canonicalise to.
enum Want {
    /// This canonical URL, with a DNS host.
    Url(&'static str),
    /// This canonical URL, with an IP host.
    Ip(&'static str),
    /// This error.
    Err(UrlErrorKind),
}

use Want::{Err as E, Ip, Url};

const ROWS: &[(&str, Want)] = &[
    // 1. An escaped `/` ends the host.
    (
        "http://evil.example%2Fgallery/x.jpg",
        Url("http://evil.example/gallery/x.jpg"),
    ),
    (
        "http://evil.example%2fgallery/x.jpg",
        Url("http://evil.example/gallery/x.jpg"),
    ),
    (
        "http://evil.example%252Fgallery/x.jpg",
        Url("http://evil.example/gallery/x.jpg"),
    ),
    (
        "http://evil.example%25252fgallery/x.jpg",
        Url("http://evil.example/gallery/x.jpg"),
    ),
    (
        "http://EVIL.example%2F%67allery/x.jpg",
        Url("http://evil.example/gallery/x.jpg"),
    ),
    (
        "evil.example%2Fgallery/x.jpg",
        Url("http://evil.example/gallery/x.jpg"),
    ),
    (
        "http://evil.example%5Cgallery/x.jpg",
        Url("http://evil.example/gallery/x.jpg"),
    ),
    (
        "http://evil.example%5cgallery%5Cx.jpg",
        Url("http://evil.example/gallery/x.jpg"),
    ),
    (
        "http://evil.example%2F..%2Fgallery%2Fx.jpg",
        Url("http://evil.example/gallery/x.jpg"),
    ),
    ("http://evil.example%3Fq=1", Url("http://evil.example/?q=1")),
    (
        "http://evil.example%2Fgallery%2F%3Fa%3Db",
        Url("http://evil.example/gallery/?a=b"),
    ),
    // 2. An escaped scheme.
    ("http%3A%2F%2Fwackyurl.com:80/", Url("http://wackyurl.com/")),
    ("http%3a%2f%2fwackyurl.com:80/", Url("http://wackyurl.com/")),
    (
        "http%253A%252F%252Fwackyurl.com%253A80/",
        Url("http://wackyurl.com/"),
    ),
    ("HTTPS%3A//WackyURL.com/a", Url("https://wackyurl.com/a")),
    ("%68ttp://wackyurl.com/", Url("http://wackyurl.com/")),
    ("http:%2F%2Fwackyurl.com/", Url("http://wackyurl.com/")),
    // 3. A port followed by an escaped delimiter.
    ("http://host:80%2F../", Url("http://host/")),
    ("http://host:80%2f..%2f", Url("http://host/")),
    ("http://host:80%252F../", Url("http://host/")),
    ("http://host%3A80/a", Url("http://host/a")),
    ("http://host:80%3Fq", Url("http://host/?q")),
    ("http://host:80%5C..%5Cx", Url("http://host/x")),
    ("http://host:8%30/", Url("http://host/")),
    ("http://host:99999%2F/", E(UrlErrorKind::InvalidPort)),
    ("http://host:80%2580/", E(UrlErrorKind::InvalidPort)),
    // 4. IPv4 in any encoding, then an escaped delimiter.
    ("http://0x7f.1%2Fa", Ip("http://127.0.0.1/a")),
    ("http://0x7F.1%2fa", Ip("http://127.0.0.1/a")),
    ("http://%30x7f.1%2Fa", Ip("http://127.0.0.1/a")),
    ("http://0x7f.1:80%2Fa", Ip("http://127.0.0.1/a")),
    ("http://3279880203%2Fx", Ip("http://195.127.0.11/x")),
    ("http://3279880203%252Fx", Ip("http://195.127.0.11/x")),
    ("http://0303.0177.0.013%2Fx", Ip("http://195.127.0.11/x")),
    ("http://0xc3.0x7f.0.0xb%3Fq", Ip("http://195.127.0.11/?q")),
    ("http://user%40127.0.0.1%2Fa", Ip("http://127.0.0.1/a")),
    // 5. Only http and https.
    ("mailto:a@example.com", E(UrlErrorKind::UnsupportedScheme)),
    ("MAILTO:a@example.com", E(UrlErrorKind::UnsupportedScheme)),
    ("myprotocol://site.com/", E(UrlErrorKind::UnsupportedScheme)),
    ("ftp://x/", E(UrlErrorKind::UnsupportedScheme)),
    ("FTP://x/", E(UrlErrorKind::UnsupportedScheme)),
    ("ftp%3A%2F%2Fx/", E(UrlErrorKind::UnsupportedScheme)),
    ("javascript:alert(1)", E(UrlErrorKind::UnsupportedScheme)),
    ("javascript%3Aalert(1)", E(UrlErrorKind::UnsupportedScheme)),
    ("ws://a.b/", E(UrlErrorKind::UnsupportedScheme)),
    ("data:text/html,hi", E(UrlErrorKind::UnsupportedScheme)),
    ("example.com:8080/path", Url("http://example.com/path")),
    ("example.com%3A8080/path", Url("http://example.com/path")),
    ("host:80", Url("http://host/")),
    ("localhost:8080/x", Url("http://localhost/x")),
    ("HTTP://a.b/", Url("http://a.b/")),
    // 6. IPv4-mapped and NAT64 addresses are the IPv4 address.
    ("http://[::ffff:10.66.77.88]/", Ip("http://10.66.77.88/")),
    ("http://[::ffff:a42:4d58]/", Ip("http://10.66.77.88/")),
    (
        "http://[0:0:0:0:0:ffff:10.66.77.88]/",
        Ip("http://10.66.77.88/"),
    ),
    (
        "http://[0000::FFFF:10.66.77.88]/",
        Ip("http://10.66.77.88/"),
    ),
    ("http://[64:ff9b::10.66.77.88]/", Ip("http://10.66.77.88/")),
    ("http://[64:ff9b::a42:4d58]/", Ip("http://10.66.77.88/")),
    (
        "http://[::FFFF:A42:4D58]:8080/x",
        Ip("http://10.66.77.88/x"),
    ),
    (
        "http://%5B::ffff:10.66.77.88%5D/",
        Ip("http://10.66.77.88/"),
    ),
    (
        "http://[%3A%3Affff:10.66.77.88]/",
        Ip("http://10.66.77.88/"),
    ),
    (
        "http://[::ffff:10.66.77.88]%2Fx",
        Ip("http://10.66.77.88/x"),
    ),
    (
        "http://[64:ff9b:1::a42:4d58]/",
        Ip("http://[64:ff9b:1::a42:4d58]/"),
    ),
    ("http://[::1]/", Ip("http://[::1]/")),
    // 7. What stays as it was.
    ("http://host%23.com/", Url("http://host%23.com/")),
    ("http://host%2523.com/", Url("http://host%23.com/")),
    ("http://host.com/ab%23cd", Url("http://host.com/ab%23cd")),
    (
        "http://evil.example%40good.example/",
        Url("http://good.example/"),
    ),
    ("http://a.b/x%3Fy?z", Url("http://a.b/x?y?z")),
    ("http://a.b/%25%32%35", Url("http://a.b/%25")),
];

/// Every byte as `%XX`, scheme and `://` included.
fn fully_escaped(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

fn url_kind(e: &hashwall::Error) -> UrlErrorKind {
    match e.kind() {
        ErrorKind::Url(k) => k,
        other => panic!("unexpected kind {other:?}"),
    }
}

#[test]
fn table() {
    for (input, want) in ROWS {
        let got = CanonicalUrl::parse(input.as_bytes());
        match (want, &got) {
            (Url(s) | Ip(s), Ok(u)) => {
                assert_eq!(u.as_str(), *s, "{input}");
                assert_eq!(u.host_is_ip(), matches!(want, Ip(_)), "{input}");
                let again = CanonicalUrl::parse(u.as_str().as_bytes());
                assert_eq!(again.as_ref().ok(), Some(u), "{input}: not idempotent");
            }
            (E(kind), Err(e)) => assert_eq!(url_kind(e), *kind, "{input}: {e}"),
            (_, got) => panic!("{input}: got {got:?}"),
        }
        // The fully escaped spelling means the same URL (no row has a raw
        // `#`, surrounding whitespace or TAB/CR/LF, which are removed first).
        // A raw `@` may end a userinfo, which is dropped before unescaping.
        if input.contains('@') {
            continue;
        }
        let escaped = CanonicalUrl::parse(fully_escaped(input).as_bytes());
        match (&got, &escaped) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{input}"),
            (Err(a), Err(b)) => assert_eq!(url_kind(a), url_kind(b), "{input}"),
            _ => panic!("{input}: {got:?} but escaped {escaped:?}"),
        }
    }
}

fn snapshot(entries: &str) -> Snapshot {
    let text = format!("# issuer: test\n{entries}");
    let list = List::from_text(text.as_bytes(), "test").expect("test list parses");
    let mut b = Snapshot::builder();
    b.add_list(&list, &ListConfig::default())
        .expect("list loads");
    b.build()
}

#[test]
fn listed_ipv4_matches_mapped_and_nat64_hosts() {
    for entry in [
        "domain 10.66.77.88",
        "domain ::ffff:10.66.77.88",
        "domain [64:ff9b::a42:4d58]",
        "url-prefix [::ffff:a42:4d58]/",
    ] {
        let snap = snapshot(&format!("{entry}\n"));
        for (input, want) in ROWS {
            if let Ip("http://10.66.77.88/") = want {
                let v = snap.check_url(input).expect("canonicalises");
                assert!(v.is_blocked(), "{entry}: {input}");
            }
        }
        let other = snap.check_url("http://[::ffff:10.66.77.89]/");
        assert!(!other.expect("canonicalises").is_blocked(), "{entry}");
    }
    assert_eq!(
        canonical_host("[0000::FFFF:10.66.77.88]").ok().as_deref(),
        Some("10.66.77.88")
    );
}

#[test]
fn listed_prefix_matches_escaped_host_delimiters() {
    let snap = snapshot("url-prefix evil.example/gallery/\ndomain wackyurl.com\n");
    for (input, want) in ROWS {
        if let Url(s) = want
            && (s.starts_with("http://evil.example/gallery/") || s.contains("wackyurl.com"))
        {
            let v = snap.check_url(input).expect("canonicalises");
            assert!(v.is_blocked(), "{input}");
        }
    }
    // The same entry escaped the other way round still meets them.
    let snap = snapshot("url-prefix evil.example%2Fgallery/\n");
    assert!(
        snap.check_url("http://evil.example/gallery/x.jpg")
            .expect("canonicalises")
            .is_blocked()
    );
}
