//! Networks in CIDR notation, as the configuration names them (client
//! networks, allowed and denied destinations). A thin layer over
//! [`ipnet::IpNet`] that compares IPv4-mapped IPv6 addresses as IPv4, as a
//! dual-stack socket reports IPv4 peers.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use serde::Deserialize;

/// A network in CIDR notation (`192.0.2.0/24`, `2001:db8::/32`), or one
/// address (a full-length prefix).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr(IpNet);

impl Cidr {
    /// Whether every address in the network is a loopback address.
    pub fn is_loopback_only(&self) -> bool {
        match self.0 {
            IpNet::V4(n) => n.network().is_loopback() && n.prefix_len() >= 8,
            IpNet::V6(n) => n.network().is_loopback() && n.prefix_len() == 128,
        }
    }

    /// Whether `ip` is in this network. IPv4-mapped IPv6 addresses
    /// (`::ffff:192.0.2.1`) are compared as IPv4.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        self.0.contains(&ip)
    }
}

impl FromStr for Cidr {
    type Err = String;

    /// Parses `addr/prefix` or a bare address. Host bits beyond the prefix
    /// are ignored (`192.0.2.7/24` is `192.0.2.0/24`), as in Squid's ACLs.
    fn from_str(s: &str) -> Result<Cidr, String> {
        let s = s.trim();
        if s.contains('/') {
            return s
                .parse::<IpNet>()
                .map(|n| Cidr(n.trunc()))
                .map_err(|_| format!("{s:?} is not an IP network (CIDR, prefix in range)"));
        }
        s.parse::<IpAddr>()
            .map(|a| Cidr(IpNet::from(a)))
            .map_err(|_| format!("{s:?} is not an IP network (CIDR)"))
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.0.network(), self.0.prefix_len())
    }
}

impl<'de> Deserialize<'de> for Cidr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Cidr, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(s: &str) -> Cidr {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|_| panic!("{s}"))
    }

    #[test]
    fn membership_table() {
        let rows = [
            ("127.0.0.0/8", "127.1.2.3", true),
            ("127.0.0.0/8", "128.0.0.1", false),
            ("127.0.0.0/8", "::ffff:127.0.0.1", true),
            ("::1/128", "::1", true),
            ("::1", "::1", true),
            ("::1", "::2", false),
            ("192.0.2.7/24", "192.0.2.200", true),
            ("192.0.2.0/24", "192.0.3.1", false),
            ("0.0.0.0/0", "203.0.113.9", true),
            ("0.0.0.0/0", "2001:db8::1", false),
            ("2001:db8::/32", "2001:db8:ffff::1", true),
            ("2001:db8::/32", "2001:db9::1", false),
            ("10.0.0.1", "10.0.0.1", true),
            ("10.0.0.1", "10.0.0.2", false),
        ];
        for (net, addr, want) in rows {
            assert_eq!(cidr(net).contains(ip(addr)), want, "{net} ∋ {addr}");
        }
    }

    #[test]
    fn loopback_only() {
        assert!(cidr("127.0.0.0/8").is_loopback_only());
        assert!(cidr("127.0.0.1").is_loopback_only());
        assert!(!cidr("0.0.0.0/0").is_loopback_only());
        assert!(cidr("::1").is_loopback_only());
        assert!(!cidr("::/0").is_loopback_only());
    }

    #[test]
    fn refuses_what_is_not_a_network() {
        for bad in [
            "",
            "a.b",
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/",
            "10.0.0.0/x",
            "1.2.3",
        ] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad:?}");
        }
        assert_eq!(cidr("192.0.2.7/24").to_string(), "192.0.2.0/24");
    }
}
