//! Reading the `Cookie` header and writing `Set-Cookie` values.

use axum::http::{HeaderMap, HeaderValue, header};

/// The value of cookie `name` in the request, if present.
pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
}

/// A `Set-Cookie` value: always `HttpOnly; SameSite=Strict; Path=/`,
/// `Secure` when `secure`, `Max-Age` when given (0 deletes the cookie).
pub fn set(name: &str, value: &str, max_age_secs: Option<u64>, secure: bool) -> HeaderValue {
    let mut s = format!("{name}={value}; HttpOnly; SameSite=Strict; Path=/");
    if let Some(age) = max_age_secs {
        s.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        s.push_str("; Secure");
    }
    // Names are constants and values are base64url or language tags: always
    // valid header text; fall back to an empty, expiring cookie otherwise.
    HeaderValue::from_str(&s).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_named_cookie_among_several() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1; hw_s=abc"));
        h.append(header::COOKIE, HeaderValue::from_static("hw_lang=nl"));
        assert_eq!(get(&h, "hw_s").as_deref(), Some("abc"));
        assert_eq!(get(&h, "hw_lang").as_deref(), Some("nl"));
        assert_eq!(get(&h, "hw"), None);
    }

    #[test]
    fn set_cookie_has_the_flags() {
        let v = set("hw_s", "tok", Some(60), true);
        assert_eq!(
            v.to_str().ok(),
            Some("hw_s=tok; HttpOnly; SameSite=Strict; Path=/; Max-Age=60; Secure")
        );
        let v = set("hw_lang", "nl", None, false);
        assert_eq!(
            v.to_str().ok(),
            Some("hw_lang=nl; HttpOnly; SameSite=Strict; Path=/")
        );
    }
}
