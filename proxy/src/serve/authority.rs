//! Request authorities (`host[:port]`) parsed strictly, before anything is
//! routed or resolved.
//!
//! The `http` crate accepts authorities that no client should send and
//! reads them loosely: `blocked.example:99999` has no `u16` port, which
//! callers turned into port 80, and `a[::1]b.blocked.example:443` has the
//! host `a[` (everything before the first `:`), which the lists never
//! matched while the name as written is under `blocked.example`. Here an
//! authority is exactly RFC 3986's `host [":" port]`:
//!
//! * the host is a bracketed IPv6 literal (`[2001:db8::1]`, the whole host,
//!   nothing before or after the brackets but the port), or a name or IPv4
//!   address of `reg-name` characters (letters, digits, `-._~%!$&'()*+,;=`);
//!   a bracket anywhere else is malformed;
//! * the port, when a `:` is present, is one or more ASCII digits with a
//!   value of at most 65535 (`:`, `:-1`, `:+80`, `:0x50`, `:80a`,
//!   `:65536` are all invalid, never "no port");
//! * user information (`user@`) only where the caller allows it (an
//!   absolute-form URL; not a CONNECT target, not a `Host` field).
//!
//! ```
//! use hashwall_proxy::serve::authority::{Authority, AuthorityError, UserInfo};
//!
//! let a = Authority::parse("Files.Example:8080", UserInfo::Refuse)?;
//! assert_eq!((a.host, a.port), ("Files.Example", Some(8080)));
//! let a = Authority::parse("u:pw@[::1]", UserInfo::Allow)?;
//! assert_eq!((a.host, a.port), ("[::1]", None));
//! assert_eq!(Authority::parse("blocked.example:99999", UserInfo::Refuse), Err(AuthorityError::InvalidPort));
//! assert_eq!(Authority::parse("a[::1]b.example:443", UserInfo::Refuse), Err(AuthorityError::Brackets));
//! # Ok::<(), AuthorityError>(())
//! ```

use std::fmt;
use std::net::Ipv6Addr;

/// Whether user information (`user[:password]@`) may precede the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserInfo {
    /// Allowed and skipped (an absolute-form URL).
    Allow,
    /// Refused (a CONNECT target, a `Host` field).
    Refuse,
}

/// A well-formed authority. `host` is as written (case, trailing dot and
/// brackets kept).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Authority<'a> {
    /// The host: a bracketed IPv6 literal, or a name or IPv4 address.
    pub host: &'a str,
    /// The port, when one was written.
    pub port: Option<u16>,
}

/// Why an authority is malformed (each is a 400).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthorityError {
    /// No host.
    EmptyHost,
    /// User information where none is allowed.
    UserInfo,
    /// A bracket that does not enclose a whole IPv6 literal.
    Brackets,
    /// A character that cannot be in a host.
    InvalidHost,
    /// A port that is not 1-5 significant digits up to 65535 (an empty
    /// one included).
    InvalidPort,
}

impl AuthorityError {
    /// The message for the 400 page.
    pub fn message(self) -> &'static str {
        match self {
            AuthorityError::EmptyHost => "The address has no host.",
            AuthorityError::UserInfo => "The address holds user information where none is allowed.",
            AuthorityError::Brackets => {
                "The host holds brackets that do not enclose a whole IPv6 address."
            }
            AuthorityError::InvalidHost => "The host holds a character a host name cannot have.",
            AuthorityError::InvalidPort => "The port is not a number from 1 to 65535.",
        }
    }

    /// The metrics label.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthorityError::EmptyHost => "empty_host",
            AuthorityError::UserInfo => "userinfo",
            AuthorityError::Brackets => "brackets",
            AuthorityError::InvalidHost => "invalid_host",
            AuthorityError::InvalidPort => "invalid_port",
        }
    }
}

impl fmt::Display for AuthorityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for AuthorityError {}

impl<'a> Authority<'a> {
    /// Parses `s` as `[userinfo@]host[:port]`.
    ///
    /// # Errors
    ///
    /// An [`AuthorityError`] saying what is malformed.
    pub fn parse(s: &'a str, userinfo: UserInfo) -> Result<Authority<'a>, AuthorityError> {
        let rest = match s.rfind('@') {
            Some(_) if userinfo == UserInfo::Refuse => return Err(AuthorityError::UserInfo),
            Some(at) => &s[at + 1..],
            None => s,
        };
        let (host, port) = if rest.starts_with('[') {
            let close = rest.find(']').ok_or(AuthorityError::Brackets)?;
            let (host, after) = rest.split_at(close + 1);
            if host[1..close].parse::<Ipv6Addr>().is_err() {
                return Err(AuthorityError::Brackets);
            }
            match after {
                "" => (host, None),
                p => (
                    host,
                    Some(p.strip_prefix(':').ok_or(AuthorityError::Brackets)?),
                ),
            }
        } else {
            if rest.contains(['[', ']']) {
                return Err(AuthorityError::Brackets);
            }
            match rest.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (rest, None),
            }
        };
        if host.is_empty() {
            return Err(AuthorityError::EmptyHost);
        }
        if !host.starts_with('[') && !host.bytes().all(is_reg_name_byte) {
            return Err(AuthorityError::InvalidHost);
        }
        let port = port.map(parse_port).transpose()?;
        Ok(Authority { host, port })
    }
}

/// RFC 3986 `reg-name`: unreserved, sub-delims and `%` (escapes are left
/// to the canonicaliser).
fn is_reg_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~%!$&'()*+,;=".contains(&b)
}

/// `1*DIGIT` with a value of at most 65535 (leading zeros allowed).
fn parse_port(p: &str) -> Result<u16, AuthorityError> {
    if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AuthorityError::InvalidPort);
    }
    let significant = p.trim_start_matches('0');
    if significant.len() > 5 {
        return Err(AuthorityError::InvalidPort);
    }
    if significant.is_empty() {
        return Ok(0);
    }
    significant
        .parse::<u16>()
        .map_err(|_| AuthorityError::InvalidPort)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed() {
        let ok = [
            ("example.com", UserInfo::Refuse, "example.com", None),
            (
                "Example.COM.:80",
                UserInfo::Refuse,
                "Example.COM.",
                Some(80),
            ),
            ("127.1:0080", UserInfo::Refuse, "127.1", Some(80)),
            ("2130706433:443", UserInfo::Refuse, "2130706433", Some(443)),
            ("[::1]", UserInfo::Refuse, "[::1]", None),
            (
                "[::ffff:10.0.0.1]:8080",
                UserInfo::Refuse,
                "[::ffff:10.0.0.1]",
                Some(8080),
            ),
            ("u:p@host:1", UserInfo::Allow, "host", Some(1)),
            ("a@b@host", UserInfo::Allow, "host", None),
            ("host:0", UserInfo::Refuse, "host", Some(0)),
            ("host:65535", UserInfo::Refuse, "host", Some(65535)),
            (
                "xn--bcher-kva.example",
                UserInfo::Refuse,
                "xn--bcher-kva.example",
                None,
            ),
            (
                "%62locked.example",
                UserInfo::Refuse,
                "%62locked.example",
                None,
            ),
        ];
        for (s, u, host, port) in ok {
            assert_eq!(Authority::parse(s, u), Ok(Authority { host, port }), "{s}");
        }
    }

    #[test]
    fn malformed() {
        use AuthorityError as E;
        let bad = [
            ("", E::EmptyHost),
            (":80", E::EmptyHost),
            ("blockedcked[::1]axe.blocked.example:443", E::Brackets),
            ("blockedcked[::1]axe.blocked.example", E::Brackets),
            ("a]b.example", E::Brackets),
            ("[::1", E::Brackets),
            ("[::1]x:443", E::Brackets),
            ("[::1]]:443", E::Brackets),
            ("[[::1]]:443", E::Brackets),
            ("[blocked.example]:443", E::Brackets),
            ("[10.0.0.1]", E::Brackets),
            ("[fe80::1%25eth0]", E::Brackets),
            ("[]", E::Brackets),
            ("::1:443", E::EmptyHost),
            ("host:99999", E::InvalidPort),
            ("host:65536", E::InvalidPort),
            ("host:-1", E::InvalidPort),
            ("host:+80", E::InvalidPort),
            ("host:0x50", E::InvalidPort),
            ("host:80a", E::InvalidPort),
            ("host:", E::InvalidPort),
            ("host:80:80", E::InvalidPort),
            ("host: 80", E::InvalidPort),
            ("host:000000000000000000000000000080x", E::InvalidPort),
            ("host:99999999999999999999999999", E::InvalidPort),
            ("[::1]:", E::InvalidPort),
            ("[::1]:99999", E::InvalidPort),
            ("host/path", E::InvalidHost),
            ("host?q", E::InvalidHost),
            ("host#f", E::InvalidHost),
            ("ho st", E::InvalidHost),
            ("host\\x", E::InvalidHost),
            ("b\u{fc}cher.example", E::InvalidHost),
        ];
        for (s, want) in bad {
            assert_eq!(Authority::parse(s, UserInfo::Allow), Err(want), "{s:?}");
        }
        assert_eq!(
            Authority::parse("u@host:443", UserInfo::Refuse),
            Err(E::UserInfo)
        );
        // Leading zeros do not make a port invalid; their count does not
        // matter either.
        assert_eq!(
            Authority::parse("h:000000000000000000443", UserInfo::Refuse).map(|a| a.port),
            Ok(Some(443))
        );
    }
}
