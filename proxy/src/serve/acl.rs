//! Who may use the proxy: client networks (CIDR), CONNECT ports, Basic
//! proxy authentication. A proxy reachable by anyone is abused within hours,
//! so every check here fails closed.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use hyper::HeaderMap;
use hyper::header::PROXY_AUTHORIZATION;
use serde::Deserialize;

use super::config::AuthConfig;

/// A network in CIDR notation (`192.0.2.0/24`, `2001:db8::/32`), or one
/// address (a full-length prefix).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Whether every address in the network is a loopback address.
    pub fn is_loopback_only(&self) -> bool {
        match self.addr {
            IpAddr::V4(a) => a.is_loopback() && self.prefix >= 8,
            IpAddr::V6(a) => a.is_loopback() && self.prefix == 128,
        }
    }

    /// Whether `ip` is in this network. IPv4-mapped IPv6 addresses
    /// (`::ffff:192.0.2.1`, as a dual-stack socket reports IPv4 clients) are
    /// compared as IPv4.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Cidr, String> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a
            .trim()
            .parse()
            .map_err(|_| format!("{s:?} is not an IP network (CIDR)"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            None => max,
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?}: prefix length must be 0..={max}"))?,
        };
        Ok(Cidr { addr, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl<'de> Deserialize<'de> for Cidr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Cidr, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

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
        let ok = ct_eq(u.name.as_bytes(), user) & ct_eq(u.password.as_bytes(), pass);
        if ok && found.is_none() {
            found = Some(u.name.clone());
        }
    }
    match found {
        Some(name) => AuthOutcome::Allowed(Some(name)),
        None => AuthOutcome::Required,
    }
}

/// Equality whose time does not depend on where the inputs differ.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for i in 0..a.len().max(b.len()) {
        diff |= a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0xff);
    }
    diff == 0
}

/// Standard base64 (RFC 4648, padding optional). `None` on anything else.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    if s.len() > 4096 {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0u32;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (bits < 6).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::config::UserConfig;

    fn cidr(s: &str) -> Cidr {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|_| panic!("{s}"))
    }

    #[test]
    fn cidr_matching() {
        assert!(cidr("127.0.0.0/8").contains(ip("127.1.2.3")));
        assert!(!cidr("127.0.0.0/8").contains(ip("128.0.0.1")));
        assert!(cidr("127.0.0.0/8").contains(ip("::ffff:127.0.0.1")));
        assert!(cidr("::1/128").contains(ip("::1")));
        assert!(!cidr("::1").contains(ip("::2")));
        assert!(cidr("0.0.0.0/0").contains(ip("203.0.113.9")));
        assert!(!cidr("0.0.0.0/0").contains(ip("2001:db8::1")));
        assert!(cidr("2001:db8::/32").contains(ip("2001:db8:ffff::1")));
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("nope/8".parse::<Cidr>().is_err());
    }

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
        assert_eq!(base64_decode("").as_deref(), Some(&b""[..]));
        assert!(base64_decode("a").is_none());
    }
}
