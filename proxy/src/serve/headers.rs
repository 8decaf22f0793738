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
    let mut named: Vec<HeaderName> = Vec::new();
    for value in headers.get_all(header::CONNECTION) {
        if let Ok(v) = value.to_str() {
            for token in v.split(',') {
                if let Ok(name) = HeaderName::from_bytes(token.trim().as_bytes()) {
                    named.push(name);
                }
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

/// Appends `1.1 <pseudonym>` to `Via` (one combined field).
pub fn add_via(headers: &mut HeaderMap, pseudonym: &str) {
    let ours = format!("1.1 {pseudonym}");
    let combined = {
        let existing: Vec<&str> = headers
            .get_all(header::VIA)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        if existing.is_empty() {
            ours
        } else {
            format!("{}, {ours}", existing.join(", "))
        }
    };
    if let Ok(v) = HeaderValue::from_str(&combined) {
        headers.insert(header::VIA, v);
    }
}

/// Whether `Via` already names this proxy: the request has been through it.
pub fn via_has(headers: &HeaderMap, pseudonym: &str) -> bool {
    headers
        .get_all(header::VIA)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|hop| {
            // `protocol pseudonym [comment]`
            hop.split_whitespace()
                .nth(1)
                .is_some_and(|p| p.eq_ignore_ascii_case(pseudonym))
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
}
