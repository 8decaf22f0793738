//! Who may use the proxy: client networks (CIDR), CONNECT ports, Basic
//! proxy authentication. A proxy reachable by anyone is abused within hours,
//! so every check here fails closed. The networks themselves are
//! [`super::cidr::Cidr`].

use base64::Engine as _;
use base64::engine::general_purpose::GeneralPurpose;
use base64::engine::{DecodePaddingMode, GeneralPurposeConfig};
use hyper::HeaderMap;
use hyper::header::PROXY_AUTHORIZATION;
use subtle::ConstantTimeEq;

use super::config::AuthConfig;

/// RFC 4648 standard base64, padding optional: clients differ on it.
const BASIC: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The longest `Basic` credential decoded: far above any honest one.
const MAX_CREDENTIAL_LEN: usize = 4096;

/// Result of the proxy authentication check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthOutcome {
    /// No authentication configured, or valid credentials (the user name).
    Allowed(Option<String>),
    /// Missing or wrong credentials: answer 407.
    Required,
}

/// Checks `Proxy-Authorization: Basic …` against the configured users.
pub fn check_auth(auth: Option<&AuthConfig>, headers: &HeaderMap) -> AuthOutcome {
    let Some(auth) = auth else {
        return AuthOutcome::Allowed(None);
    };
    let Some(value) = headers.get(PROXY_AUTHORIZATION) else {
        return AuthOutcome::Required;
    };
    let Some(decoded) = value
        .to_str()
        .ok()
        .and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("basic").then_some(rest.trim())
        })
        .and_then(base64_decode)
    else {
        return AuthOutcome::Required;
    };
    let Some(colon) = decoded.iter().position(|&b| b == b':') else {
        return AuthOutcome::Required;
    };
    let (user, pass) = (&decoded[..colon], &decoded[colon + 1..]);
    // Compare every configured user in constant time per byte so that the
    // response time says nothing about how much of a password was right.
    let mut found = None;
    for u in &auth.users {
        let ok: bool = (u.name.as_bytes().ct_eq(user) & u.password.as_bytes().ct_eq(pass)).into();
        if ok && found.is_none() {
            found = Some(u.name.clone());
        }
    }
    match found {
        Some(name) => AuthOutcome::Allowed(Some(name)),
        None => AuthOutcome::Required,
    }
}

/// Equality whose time does not depend on where the inputs differ (only on
/// their lengths).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    bool::from(a.ct_eq(b))
}

/// Standard base64 (RFC 4648, padding optional and not counted: clients
/// differ on it). `None` on anything else.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    if s.len() > MAX_CREDENTIAL_LEN {
        return None;
    }
    BASIC.decode(s.trim_end_matches('=')).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::config::UserConfig;

    #[test]
    fn basic_auth() {
        let auth = AuthConfig {
            realm: "r".into(),
            users: vec![UserConfig {
                name: "alice".into(),
                password: "s3cret".into(),
            }],
        };
        let mut h = HeaderMap::new();
        assert_eq!(check_auth(Some(&auth), &h), AuthOutcome::Required);
        assert_eq!(check_auth(None, &h), AuthOutcome::Allowed(None));
        // base64("alice:s3cret")
        h.insert(
            PROXY_AUTHORIZATION,
            hyper::header::HeaderValue::from_static("Basic YWxpY2U6czNjcmV0"),
        );
        assert_eq!(
            check_auth(Some(&auth), &h),
            AuthOutcome::Allowed(Some("alice".into()))
        );
        h.insert(
            PROXY_AUTHORIZATION,
            hyper::header::HeaderValue::from_static("Basic YWxpY2U6czNjcmV1"),
        );
        assert_eq!(check_auth(Some(&auth), &h), AuthOutcome::Required);
        h.insert(
            PROXY_AUTHORIZATION,
            hyper::header::HeaderValue::from_static("Basic !!!"),
        );
        assert_eq!(check_auth(Some(&auth), &h), AuthOutcome::Required);
    }

    #[test]
    fn base64() {
        assert_eq!(base64_decode("aGVsbG8=").as_deref(), Some(&b"hello"[..]));
        assert_eq!(base64_decode("aGVsbG8").as_deref(), Some(&b"hello"[..]));
        assert_eq!(base64_decode("aGVsbG8===").as_deref(), Some(&b"hello"[..]));
        assert_eq!(base64_decode("").as_deref(), Some(&b""[..]));
        assert!(base64_decode("a").is_none());
        assert!(base64_decode("aGVsbG8*").is_none());
        assert!(base64_decode(&"A".repeat(MAX_CREDENTIAL_LEN + 4)).is_none());
    }
}
