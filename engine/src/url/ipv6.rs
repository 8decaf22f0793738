//! Bracketed IPv6 hosts, and the IPv4 address some of them stand for.
//!
//! An IPv4-mapped address (`::ffff:10.66.77.88`, RFC 4291) and an address of
//! the NAT64 well-known prefix (`64:ff9b::a42:4d58`, RFC 6052) reach the IPv4
//! address they embed, so they canonicalise to that address in dotted
//! decimal: a list entry on `10.66.77.88` must match them. Every other
//! address is written in RFC 5952 form (`Ipv6Addr`'s `Display`) in brackets.

use std::io::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::ipv4;
use crate::{Error, UrlErrorKind};

/// The NAT64 well-known prefix `64:ff9b::/96` (RFC 6052), as its top 96 bits.
const NAT64_WELL_KNOWN: u128 = 0x0064_ff9b_0000_0000_0000_0000_0000_0000;

/// The IPv4 address an IPv6 address reaches through IPv4-mapping or the
/// NAT64 well-known prefix, if it does.
pub(crate) fn embedded_ipv4(addr: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = addr.to_ipv4_mapped() {
        return Some(v4);
    }
    let bits = u128::from(addr);
    // The low 32 bits are the IPv4 address; the rest must be the prefix.
    (bits >> 32 == NAT64_WELL_KNOWN >> 32).then(|| Ipv4Addr::from(bits as u32))
}

/// The address inside the brackets of an (already unescaped) IPv6 literal.
pub(super) fn parse(inner: &[u8]) -> Result<Ipv6Addr, Error> {
    let text = std::str::from_utf8(inner).map_err(|e| {
        Error::url(UrlErrorKind::InvalidIpv6, "invalid IPv6 literal").with_source(e)
    })?;
    text.parse::<Ipv6Addr>()
        .map_err(|e| Error::url(UrlErrorKind::InvalidIpv6, "invalid IPv6 literal").with_source(e))
}

/// Appends `addr` as a canonical host: the embedded IPv4 address in dotted
/// decimal when there is one, else `[rfc5952]`.
pub(super) fn push_host(addr: Ipv6Addr, out: &mut Vec<u8>) {
    match embedded_ipv4(addr) {
        Some(v4) => ipv4::push_dotted(v4.octets(), out),
        // Writing to a Vec cannot fail.
        None => {
            let _ = write!(out, "[{addr}]");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(s: &str) -> Result<String, crate::ErrorKind> {
        let mut out = Vec::new();
        push_host(parse(s.as_bytes()).map_err(|e| e.kind())?, &mut out);
        Ok(String::from_utf8(out).expect("ASCII"))
    }

    #[test]
    fn embedded_addresses() {
        let cases = [
            ("::ffff:10.66.77.88", Some("10.66.77.88")),
            ("::ffff:a42:4d58", Some("10.66.77.88")),
            ("::FFFF:A42:4D58", Some("10.66.77.88")),
            ("0:0:0:0:0:ffff:10.66.77.88", Some("10.66.77.88")),
            ("0000::FFFF:10.66.77.88", Some("10.66.77.88")),
            ("64:ff9b::a42:4d58", Some("10.66.77.88")),
            ("64:ff9b::10.66.77.88", Some("10.66.77.88")),
            ("64:FF9B:0:0:0:0:10.66.77.88", Some("10.66.77.88")),
            ("64:ff9b:1::a42:4d58", None),
            ("::10.66.77.88", None),
            ("2001:db8::1", None),
            ("::1", None),
            ("::", None),
        ];
        for (addr, want) in cases {
            let got = parse(addr.as_bytes())
                .ok()
                .and_then(embedded_ipv4)
                .map(|a| a.to_string());
            assert_eq!(got.as_deref(), want, "{addr}");
        }
    }

    #[test]
    fn canonical_hosts() {
        assert_eq!(host("::ffff:10.66.77.88").as_deref(), Ok("10.66.77.88"));
        assert_eq!(host("64:ff9b::a42:4d58").as_deref(), Ok("10.66.77.88"));
        assert_eq!(host("2001:DB8:0::1").as_deref(), Ok("[2001:db8::1]"));
        // IPv4-compatible (deprecated) addresses are not IPv4.
        assert_eq!(host("::10.66.77.88").as_deref(), Ok("[::a42:4d58]"));
        let bad = Err(crate::ErrorKind::Url(UrlErrorKind::InvalidIpv6));
        assert_eq!(host("::g"), bad);
        assert_eq!(host("1.2.3.4"), bad);
        assert_eq!(host("\u{ff11}::"), bad);
    }
}
