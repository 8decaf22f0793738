//! Where the proxy may connect: the resolved addresses of a request's
//! target against the proxy's own listeners and the local-destination
//! rules (like Squid's `to_localhost`).
//!
//! Refused by default, whatever name or spelling led there:
//!
//! * the proxy's own listeners (a loop, or the admin API reached through
//!   the proxy) — never allowed: a listener on `0.0.0.0`/`::` is reached
//!   at every address of the host, a loopback one at every loopback
//!   address;
//! * loopback (`127.0.0.0/8`, `::1`), unspecified (`0.0.0.0/8`, `::`:
//!   connecting there reaches the host itself), link-local
//!   (`169.254.0.0/16` with the cloud metadata service `169.254.169.254`,
//!   `fe80::/10`) and every address of the host's interfaces;
//! * the networks of `acl.deny_destinations`.
//!
//! `acl.allow_destinations` exempts networks from the local rules (not
//! from the listener rule, nor from `deny_destinations`). An IPv4-mapped
//! (`::ffff:a.b.c.d`) or NAT64 (`64:ff9b::a.b.c.d`) address is judged as
//! the IPv4 address it reaches as well as itself.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use super::authority::AuthorityError;
use super::cidr::Cidr;
use super::host_addrs::{HostAddrs, unmapped};

/// Why a destination address is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// A list blocks the URL at this address (451).
    ListedAddress,
    /// One of the proxy's own listeners (403).
    Listener,
    /// A loopback address (403).
    Loopback,
    /// `0.0.0.0/8` or `::` (403).
    Unspecified,
    /// A link-local address (403).
    LinkLocal,
    /// An address of the host's interfaces (403).
    HostAddress,
    /// In `acl.deny_destinations` (403).
    DeniedNetwork,
}

impl Refused {
    /// Every reason, in exposition order.
    pub const ALL: [Refused; 7] = [
        Refused::ListedAddress,
        Refused::Listener,
        Refused::Loopback,
        Refused::Unspecified,
        Refused::LinkLocal,
        Refused::HostAddress,
        Refused::DeniedNetwork,
    ];

    /// The metrics label.
    pub fn as_str(self) -> &'static str {
        match self {
            Refused::ListedAddress => "listed_address",
            Refused::Listener => "listener",
            Refused::Loopback => "loopback",
            Refused::Unspecified => "unspecified",
            Refused::LinkLocal => "link_local",
            Refused::HostAddress => "host_address",
            Refused::DeniedNetwork => "denied_network",
        }
    }

    /// The message of the 403 page.
    pub fn message(self) -> &'static str {
        match self {
            Refused::ListedAddress => "The server's address is on a block list.",
            Refused::Listener => "Forwarding loop: the target is this proxy.",
            Refused::Loopback
            | Refused::Unspecified
            | Refused::LinkLocal
            | Refused::HostAddress => {
                "The destination is on the proxy host or its local link; this proxy does not connect there."
            }
            Refused::DeniedNetwork => "This proxy does not connect to that network.",
        }
    }
}

/// The authority errors counted, in exposition order.
const AUTHORITY_ERRORS: [AuthorityError; 5] = [
    AuthorityError::EmptyHost,
    AuthorityError::UserInfo,
    AuthorityError::Brackets,
    AuthorityError::InvalidHost,
    AuthorityError::InvalidPort,
];

/// Refusal counters: destinations by [`Refused`], malformed authorities by
/// [`AuthorityError`].
#[derive(Debug, Default)]
pub struct Counters {
    destinations: [AtomicU64; Refused::ALL.len()],
    authorities: [AtomicU64; AUTHORITY_ERRORS.len()],
}

impl Counters {
    /// Counts a refused destination.
    pub fn destination(&self, reason: Refused) {
        if let Some(i) = Refused::ALL.iter().position(|r| *r == reason) {
            self.destinations[i].fetch_add(1, Relaxed);
        }
    }

    /// Counts a malformed authority.
    pub fn authority(&self, e: AuthorityError) {
        if let Some(i) = AUTHORITY_ERRORS.iter().position(|r| *r == e) {
            self.authorities[i].fetch_add(1, Relaxed);
        }
    }

    /// The Prometheus text of both counters.
    pub fn render(&self, o: &mut String) {
        use std::fmt::Write as _;
        o.push_str("# HELP hashwall_destinations_refused_total Requests refused for where they would connect (after resolving the host), by reason.\n# TYPE hashwall_destinations_refused_total counter\n");
        for (i, r) in Refused::ALL.iter().enumerate() {
            let _ = writeln!(
                o,
                "hashwall_destinations_refused_total{{reason=\"{}\"}} {}",
                r.as_str(),
                self.destinations[i].load(Relaxed)
            );
        }
        o.push_str("# HELP hashwall_authorities_refused_total Requests refused (400) for a malformed host or port, by reason.\n# TYPE hashwall_authorities_refused_total counter\n");
        for (i, e) in AUTHORITY_ERRORS.iter().enumerate() {
            let _ = writeln!(
                o,
                "hashwall_authorities_refused_total{{reason=\"{}\"}} {}",
                e.as_str(),
                self.authorities[i].load(Relaxed)
            );
        }
    }
}

/// The NAT64 well-known prefix `64:ff9b::/96` (RFC 6052), top 96 bits.
const NAT64_PREFIX: u128 = 0x0064_ff9b_0000_0000_0000_0000;

/// `ip`, and the IPv4 address it reaches when it is IPv4-mapped or NAT64.
pub fn forms(ip: IpAddr) -> [Option<IpAddr>; 2] {
    let ip = unmapped(ip);
    let embedded = match ip {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            (bits >> 32 == NAT64_PREFIX).then(|| IpAddr::V4(Ipv4Addr::from(bits as u32)))
        }
        IpAddr::V4(_) => None,
    };
    [Some(ip), embedded]
}

/// Where the proxy may connect.
#[derive(Debug)]
pub struct Policy {
    listeners: Vec<SocketAddr>,
    allow: Vec<Cidr>,
    deny: Vec<Cidr>,
    host: HostAddrs,
}

impl Policy {
    /// The rules for a process listening on `listeners` (every listener:
    /// proxy, admin, any other), with the configured exemptions and
    /// denials.
    pub fn new(listeners: Vec<SocketAddr>, allow: Vec<Cidr>, deny: Vec<Cidr>) -> Policy {
        Policy {
            listeners: listeners
                .into_iter()
                .map(|l| SocketAddr::new(unmapped(l.ip()), l.port()))
                .collect(),
            allow,
            deny,
            host: HostAddrs::new(),
        }
    }

    /// The listeners this process answers on.
    pub fn listeners(&self) -> &[SocketAddr] {
        &self.listeners
    }

    /// Why the proxy must not connect to `addr`, if it must not.
    pub fn refusal(&self, addr: SocketAddr) -> Option<Refused> {
        let forms = forms(addr.ip());
        let forms = forms.iter().flatten().copied();
        if forms.clone().any(|ip| self.is_listener(ip, addr.port())) {
            return Some(Refused::Listener);
        }
        if forms
            .clone()
            .any(|ip| self.deny.iter().any(|c| c.contains(ip)))
        {
            return Some(Refused::DeniedNetwork);
        }
        forms
            .filter(|ip| !self.allow.iter().any(|c| c.contains(*ip)))
            .find_map(|ip| self.local_class(ip))
    }

    /// Which local class `ip` is in, if any.
    fn local_class(&self, ip: IpAddr) -> Option<Refused> {
        let unspecified = match ip {
            IpAddr::V4(v4) => v4.octets()[0] == 0,
            IpAddr::V6(v6) => v6.is_unspecified(),
        };
        let link_local = match ip {
            IpAddr::V4(v4) => v4.is_link_local(),
            IpAddr::V6(v6) => v6.is_unicast_link_local(),
        };
        if unspecified {
            Some(Refused::Unspecified)
        } else if ip.is_loopback() {
            Some(Refused::Loopback)
        } else if link_local {
            Some(Refused::LinkLocal)
        } else if self.host.contains(ip) {
            Some(Refused::HostAddress)
        } else {
            None
        }
    }

    /// Whether a connection to `ip:port` reaches one of our listeners.
    fn is_listener(&self, ip: IpAddr, port: u16) -> bool {
        let here = |ip: IpAddr| ip.is_loopback() || ip.is_unspecified() || self.host.contains(ip);
        self.listeners.iter().any(|l| {
            l.port() == port
                && (l.ip() == ip
                    || (ip.is_loopback() && l.ip().is_loopback())
                    // 0.0.0.0 / :: as a destination is the host itself.
                    || (ip.is_unspecified() && here(l.ip()))
                    // A wildcard listener answers at every host address.
                    || (l.ip().is_unspecified() && here(ip)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap_or_else(|_| panic!("{s}"))
    }

    fn cidrs(v: &[&str]) -> Vec<Cidr> {
        v.iter()
            .map(|s| s.parse().unwrap_or_else(|e| panic!("{e}")))
            .collect()
    }

    #[test]
    fn refusals_table() {
        let p = Policy::new(
            vec![sa("127.0.0.1:3128"), sa("[::]:9128")],
            cidrs(&["127.0.0.2/32"]),
            cidrs(&["10.0.0.0/8"]),
        );
        let cases: &[(&str, Option<Refused>)] = &[
            ("127.0.0.1:3128", Some(Refused::Listener)),
            ("127.0.0.5:3128", Some(Refused::Listener)),
            ("[::ffff:127.0.0.1]:3128", Some(Refused::Listener)),
            ("0.0.0.0:3128", Some(Refused::Listener)),
            ("[::]:3128", Some(Refused::Listener)),
            ("127.0.0.1:9128", Some(Refused::Listener)),
            ("[::1]:9128", Some(Refused::Listener)),
            // Allowed loopback, but still the listener.
            ("127.0.0.2:3128", Some(Refused::Listener)),
            ("127.0.0.2:80", None),
            ("127.0.0.1:80", Some(Refused::Loopback)),
            ("[::1]:80", Some(Refused::Loopback)),
            ("[::ffff:127.0.0.1]:80", Some(Refused::Loopback)),
            ("[64:ff9b::7f00:1]:80", Some(Refused::Loopback)),
            ("0.0.0.0:80", Some(Refused::Unspecified)),
            ("0.1.2.3:80", Some(Refused::Unspecified)),
            ("[::]:80", Some(Refused::Unspecified)),
            ("169.254.169.254:80", Some(Refused::LinkLocal)),
            ("[::ffff:169.254.169.254]:80", Some(Refused::LinkLocal)),
            ("[fe80::1]:80", Some(Refused::LinkLocal)),
            ("10.1.2.3:443", Some(Refused::DeniedNetwork)),
            ("[::ffff:10.1.2.3]:443", Some(Refused::DeniedNetwork)),
            ("[64:ff9b::a01:203]:443", Some(Refused::DeniedNetwork)),
            ("192.0.2.1:80", None),
            ("[2001:db8::1]:443", None),
        ];
        for (addr, want) in cases {
            assert_eq!(p.refusal(sa(addr)), *want, "{addr}");
        }
    }

    #[test]
    fn counters_render_every_reason() {
        let c = Counters::default();
        c.destination(Refused::Loopback);
        c.authority(AuthorityError::InvalidPort);
        let mut o = String::new();
        c.render(&mut o);
        assert!(o.contains("hashwall_destinations_refused_total{reason=\"loopback\"} 1"));
        assert!(o.contains("hashwall_destinations_refused_total{reason=\"listed_address\"} 0"));
        assert!(o.contains("hashwall_authorities_refused_total{reason=\"invalid_port\"} 1"));
    }
}
