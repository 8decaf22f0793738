//! Proxy header semantics (RFC 9110 §7.6): hop-by-hop fields are removed in
//! both directions (hyper's HTTP/1 does not do it for a proxy), `Via` is
//! added, loops are recognised by our own `Via` token.

use hyper::HeaderMap;
use hyper::header::{self, HeaderName, HeaderValue};

/// Fields that only mean something on one connection, never forwarded.
/// `Transfer-Encoding` is framing: hyper re-frames the body on the other
/// side. `Proxy-Authorization` holds the subscriber's proxy credentials.
const HOP_BY_HOP: &[HeaderName] = &[
    header::CONNECTION,
    header::PROXY_AUTHORIZATION,
    header::PROXY_AUTHENTICATE,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

/// Removes hop-by-hop fields: the fixed ones, `Proxy-Connection`,
/// `Keep-Alive`, and every field the `Connection` header names.
pub fn remove_hop_by_hop(headers: &mut HeaderMap) {
    // Collect the names listed in Connection first: they are removed with it.
    // Split the raw bytes: a field that also holds non-ASCII bytes (obs-text)
    // still names its other tokens, which must not leak upstream.
    let mut named: Vec<HeaderName> = Vec::new();
    for value in headers.get_all(header::CONNECTION) {
        for token in value.as_bytes().split(|&b| b == b',') {
            if let Ok(name) = HeaderName::from_bytes(token.trim_ascii()) {
                named.push(name);
            }
        }
    }
    for name in named {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
    headers.remove("proxy-connection");
    headers.remove("keep-alive");
}

/// Appends `1.1 <pseudonym>` to `Via` (one combined field). Earlier hops
/// are kept byte for byte, non-ASCII comments included.
pub fn add_via(headers: &mut HeaderMap, pseudonym: &str) {
    let mut combined: Vec<u8> = Vec::new();
    for v in headers.get_all(header::VIA) {
        combined.extend_from_slice(v.as_bytes());
        combined.extend_from_slice(b", ");
    }
    combined.extend_from_slice(b"1.1 ");
    combined.extend_from_slice(pseudonym.as_bytes());
    if let Ok(v) = HeaderValue::from_bytes(&combined) {
        headers.insert(header::VIA, v);
    }
}

/// Whether `Via` already names this proxy: the request has been through it.
/// Read as bytes: another hop's non-ASCII comment must not hide ours.
pub fn via_has(headers: &HeaderMap, pseudonym: &str) -> bool {
    headers
        .get_all(header::VIA)
        .iter()
        .flat_map(|v| v.as_bytes().split(|&b| b == b','))
        .any(|hop| {
            // `protocol pseudonym [comment]`
            hop.split(u8::is_ascii_whitespace)
                .filter(|t| !t.is_empty())
                .nth(1)
                .is_some_and(|p| p.eq_ignore_ascii_case(pseudonym.as_bytes()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_connection_named_and_fixed() {
        let mut h = HeaderMap::new();
        h.insert(
            "connection",
            HeaderValue::from_static("keep-alive, X-Secret"),
        );
        h.insert("x-secret", HeaderValue::from_static("1"));
        h.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        h.insert("proxy-connection", HeaderValue::from_static("keep-alive"));
        h.insert("te", HeaderValue::from_static("trailers"));
        h.insert("trailer", HeaderValue::from_static("x"));
        h.insert("upgrade", HeaderValue::from_static("h2c"));
        h.insert("proxy-authorization", HeaderValue::from_static("Basic x"));
        h.insert("x-kept", HeaderValue::from_static("1"));
        remove_hop_by_hop(&mut h);
        assert_eq!(h.len(), 1, "{h:?}");
        assert!(h.contains_key("x-kept"));
    }

    #[test]
    fn via() {
        let mut h = HeaderMap::new();
        add_via(&mut h, "hashwall");
        assert_eq!(h["via"], "1.1 hashwall");
        assert!(via_has(&h, "hashwall"));
        let mut h = HeaderMap::new();
        h.insert(
            "via",
            HeaderValue::from_static("1.0 fred, 1.1 p.example (x)"),
        );
        assert!(!via_has(&h, "hashwall"));
        add_via(&mut h, "hashwall");
        assert_eq!(h["via"], "1.0 fred, 1.1 p.example (x), 1.1 hashwall");
    }

    /// Found by the proxy_request fuzz target: one non-ASCII byte anywhere
    /// in `Via` or `Connection` made the whole field unreadable as text, so
    /// our own hop (a loop) went unnoticed and the fields `Connection`
    /// named were forwarded.
    #[test]
    fn non_ascii_bytes_hide_nothing() {
        let mut h = HeaderMap::new();
        h.insert(
            "via",
            HeaderValue::from_bytes(b"1.0 fred (caf\xe9), 1.1 hashwall").expect("obs-text"),
        );
        assert!(via_has(&h, "hashwall"));
        add_via(&mut h, "other");
        assert_eq!(
            h["via"].as_bytes(),
            b"1.0 fred (caf\xe9), 1.1 hashwall, 1.1 other"
        );
        let mut h = HeaderMap::new();
        h.insert(
            "connection",
            HeaderValue::from_bytes(b"X-Secret, \xff").expect("obs-text"),
        );
        h.insert("x-secret", HeaderValue::from_static("1"));
        remove_hop_by_hop(&mut h);
        assert!(h.is_empty(), "{h:?}");
    }
}
