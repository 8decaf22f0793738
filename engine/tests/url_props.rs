//! Properties of the canonicaliser over random and URL-shaped input.

use std::collections::HashSet;

use hashwall::ErrorKind;
use hashwall::url::CanonicalUrl;
use proptest::prelude::*;

/// Pieces that exercise escaping, dots, structure, IP forms and IDNA.
const TOKENS: &[&[u8]] = &[
    b"%",
    b"%2",
    b"%25",
    b"%2e",
    b"%2E",
    b"%3F",
    b"%3f",
    b"%23",
    b"%2F",
    b"%40",
    b"%3A",
    b"%5B",
    b"%5D",
    b"%00",
    b"%20",
    b"%80",
    b"%C3%BC",
    b"%ff",
    b"%%",
    b"a",
    b"B",
    b"z",
    b"0",
    b"1",
    b"7",
    b"8",
    b"9",
    b"0x",
    b"0X",
    b"x",
    b"f",
    b"255",
    b"256",
    b"65536",
    b"4294967296",
    b".",
    b"..",
    b"...",
    b"/",
    b"//",
    b"/./",
    b"/../",
    b"@",
    b":",
    b":80",
    b"[",
    b"]",
    b"[::1]",
    b"::",
    b"#",
    b"?",
    b"\\",
    b"%5C",
    b"%5c",
    b"%2f",
    b"%252F",
    b"%3A%2F%2F",
    b"%5B::ffff:",
    b"[::ffff:",
    b"[64:ff9b::",
    b"a42:4d58]",
    b"10.66.77.88",
    b"mailto:",
    b"javascript:",
    b"&",
    b"=",
    b" ",
    b"\t",
    b"\n",
    b"\x01",
    b"\x7f",
    b"\x80",
    b"\xff",
    b"\xc3\xbc",
    "ü".as_bytes(),
    "。".as_bytes(),
    "１".as_bytes(),
    "Ａ".as_bytes(),
    "ß".as_bytes(),
    "\u{ad}".as_bytes(),
    "％".as_bytes(),
    "／".as_bytes(),
    b"xn--",
    b"xn--a",
    b"-",
    b"_",
    b"http://",
    b"HTTPS://",
    b"ftp://",
    b"www.",
    b".com",
    b"example",
];

/// Inputs whose raw userinfo is dropped before unescaping.
const USERINFO_PREFIXES: &[&[u8]] = &[b"http://", b"HTTPS://", b"//", b"ftp://"];

const PREFIXES: &[&[u8]] = &[b"", b"http://", b"https://", b"http%3A%2F%2F", b"ftp://"];

fn urlish() -> impl Strategy<Value = Vec<u8>> {
    let token = proptest::sample::select(TOKENS);
    (
        proptest::sample::select(PREFIXES),
        proptest::collection::vec(token, 0..24),
    )
        .prop_map(|(prefix, tokens)| {
            let mut v = prefix.to_vec();
            for t in tokens {
                v.extend_from_slice(t);
            }
            v
        })
}

fn any_bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..160)
}

fn expressions(u: &CanonicalUrl) -> Vec<String> {
    u.expressions().map(|e| e.to_string()).collect()
}

/// Everything that must hold for one input.
fn check(input: &[u8]) -> Result<(), TestCaseError> {
    let url = match CanonicalUrl::parse(input) {
        Ok(url) => url,
        Err(e) => {
            prop_assert!(matches!(e.kind(), ErrorKind::Url(_)), "{e:?}");
            return Ok(());
        }
    };
    let s = url.as_str();
    prop_assert!(s.is_ascii(), "{s}");
    prop_assert!(s.starts_with(url.scheme()) && s[url.scheme().len()..].starts_with("://"));
    prop_assert!(url.path().starts_with('/'));
    prop_assert!(!url.host().is_empty());

    // Canonical -> canonical is the identity, expressions included.
    let again = CanonicalUrl::parse(s.as_bytes());
    prop_assert!(again.is_ok(), "{s} does not re-parse: {:?}", again.err());
    let again = again.map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(again.as_str(), s);
    prop_assert_eq!(again.host(), url.host());
    prop_assert_eq!(again.path(), url.path());
    prop_assert_eq!(again.query(), url.query());
    prop_assert_eq!(again.host_is_ip(), url.host_is_ip());
    prop_assert_eq!(expressions(&again), expressions(&url));

    // At most 30 distinct expressions; only the first is full.
    let ex = expressions(&url);
    prop_assert!(!ex.is_empty() && ex.len() <= 30, "{}", ex.len());
    prop_assert_eq!(url.expressions().len(), ex.len());
    let distinct: HashSet<&String> = ex.iter().collect();
    prop_assert_eq!(distinct.len(), ex.len(), "{:?}", ex);
    for (i, e) in url.expressions().enumerate() {
        prop_assert_eq!(e.is_full(), i == 0);
        prop_assert!(e.path().starts_with('/'));
        prop_assert!(url.host().ends_with(e.host()));
        prop_assert!(url.path_and_query().starts_with(e.path()));
        prop_assert!(e.eq_str(&ex[i]));
    }
    let first = &ex[0];
    let full = format!("{}{}", url.host(), url.path_and_query());
    let with_empty_query = format!("{first}?");
    prop_assert!(
        full == *first || full == with_empty_query,
        "{} vs {}",
        full,
        first
    );

    // Domain suffixes: host first, each a label-boundary suffix.
    let suffixes: Vec<&str> = url.domain_suffixes().collect();
    prop_assert_eq!(suffixes[0], url.host());
    for w in suffixes.windows(2) {
        let parent = format!(".{}", w[1]);
        prop_assert!(w[0].ends_with(&parent), "{} / {}", w[0], w[1]);
    }
    Ok(())
}

/// A URL without what is handled before unescaping: no raw `#` (a
/// fragment), no TAB/CR/LF, no bytes `<= 0x20` at either end, and no raw
/// `@` (which may end a userinfo, dropped before unescaping: see
/// `raw_userinfo_never_matters`). `%40` stays.
fn unfragmented() -> impl Strategy<Value = Vec<u8>> {
    urlish().prop_map(|mut v| {
        v.retain(|b| !matches!(b, b'#' | b'\t' | b'\r' | b'\n' | b'@'));
        while v.last().is_some_and(|&b| b <= b' ') {
            v.pop();
        }
        let start = v.iter().position(|&b| b > b' ').unwrap_or(v.len());
        v.drain(..start);
        v
    })
}

/// Every byte of `input` as `%XX`, in upper- or lower-case hex.
fn fully_escaped(input: &[u8], lower: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() * 3);
    for b in input {
        let hex = if lower {
            format!("%{b:02x}")
        } else {
            format!("%{b:02X}")
        };
        out.extend_from_slice(hex.as_bytes());
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// A userinfo written with a raw `@` never changes the result, whatever
    /// it unescapes to (`good.example%2F@evil.example` is evil.example).
    #[test]
    fn raw_userinfo_never_matters(
        prefix in proptest::sample::select(USERINFO_PREFIXES),
        userinfo in unfragmented(),
        rest in unfragmented(),
    ) {
        let mut userinfo = userinfo;
        userinfo.retain(|b| !matches!(b, b'/' | b'?' | b'\\'));
        let plain = [prefix, &rest[..]].concat();
        let with = [prefix, &userinfo[..], b"@", &rest[..]].concat();
        match (CanonicalUrl::parse(&plain), CanonicalUrl::parse(&with)) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(a), Err(b)) => prop_assert_eq!(a.kind(), b.kind()),
            (a, b) => prop_assert!(false, "{:?} vs with userinfo {:?}", a, b),
        }
    }

    /// The whole URL is unescaped before it is split, so escaping every
    /// byte (scheme and `://` included) changes nothing.
    #[test]
    fn fully_escaped_spelling_is_the_same_url(input in unfragmented(), lower in any::<bool>()) {
        let escaped = fully_escaped(&input, lower);
        let plain = CanonicalUrl::parse(&input);
        let other = CanonicalUrl::parse(&escaped);
        match (plain, other) {
            (Ok(a), Ok(b)) => {
                prop_assert_eq!(a.as_str(), b.as_str());
                prop_assert_eq!(a.host_is_ip(), b.host_is_ip());
            }
            (Err(a), Err(b)) => prop_assert_eq!(a.kind(), b.kind()),
            (a, b) => prop_assert!(false, "{:?} vs escaped {:?}", a, b),
        }
    }

    #[test]
    fn urlish_inputs(input in urlish()) {
        check(&input)?;
    }

    #[test]
    fn arbitrary_bytes(input in any_bytes()) {
        check(&input)?;
    }

    #[test]
    fn parse_into_reuse_matches_parse(inputs in proptest::collection::vec(urlish(), 1..8)) {
        let mut reused = CanonicalUrl::new();
        for input in &inputs {
            let fresh = CanonicalUrl::parse(input);
            let r = reused.parse_into(input);
            match fresh {
                Ok(fresh) => {
                    prop_assert!(r.is_ok());
                    prop_assert_eq!(&reused, &fresh);
                    prop_assert_eq!(reused.host(), fresh.host());
                    prop_assert_eq!(reused.path_and_query(), fresh.path_and_query());
                    prop_assert_eq!(expressions(&reused), expressions(&fresh));
                }
                Err(e) => {
                    let kind = r.map_err(|e| e.kind());
                    prop_assert_eq!(kind, Err(e.kind()));
                    prop_assert_eq!(reused.as_str(), "");
                }
            }
        }
    }
}

#[test]
fn hostile_escapes_are_linear() {
    let mut input = b"http://a.b/%".to_vec();
    input.extend(std::iter::repeat_n(*b"25", 30_000).flatten());
    input.extend_from_slice(b"?%");
    input.extend(std::iter::repeat_n(*b"25", 2_000).flatten());
    let start = std::time::Instant::now();
    let url = CanonicalUrl::parse(&input).expect("valid");
    assert_eq!(url.as_str(), "http://a.b/%25?%25");
    assert!(start.elapsed() < std::time::Duration::from_secs(1));
}
