//! Checking a URL at the address its host resolved to.
//!
//! List entries on IP hosts (`domain 192.0.2.7`, `url-prefix 192.0.2.7/x/`)
//! match a URL only when its host is written as that address. A client that
//! names the host (`http://files.example/x/`, with `files.example` resolving
//! to `192.0.2.7`) reaches the same server, so a front end that resolves the
//! host before it connects checks the URL again, once per resolved address,
//! with the host replaced by the address: [`Snapshot::check_canonical_at`].
//! The front end must then connect to an address it checked, never resolve
//! the name a second time (a DNS answer can change between two lookups).
//!
//! An IPv4-mapped IPv6 address (`::ffff:192.0.2.7`) and a NAT64 address of
//! the well-known prefix (`64:ff9b::c000:207`, RFC 6052) reach the IPv4
//! address they embed, so they are checked as that IPv4 address.

use std::net::IpAddr;

use super::Snapshot;
use crate::url::{CanonicalUrl, embedded_ipv4};
use crate::{Error, Verdict};

/// `addr` as a URL host: dotted decimal for IPv4 (and for an IPv6 address
/// that embeds one: the form [`CanonicalUrl`] gives such a host), bracketed RFC 5952 text for
/// other IPv6 addresses.
pub(crate) fn address_host(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match embedded_ipv4(v6) {
            Some(v4) => v4.to_string(),
            None => format!("[{v6}]"),
        },
    }
}

impl Snapshot {
    /// Checks `url` as if its host were `addr` (scheme, path and query
    /// kept): the check a front end makes for every address the host
    /// resolved to, so that `domain`, `url-prefix` and `url` entries on IP
    /// hosts match a name that resolves to them.
    ///
    /// ```
    /// use std::net::IpAddr;
    /// use hashwall::Snapshot;
    /// use hashwall::url::CanonicalUrl;
    /// use hashwall_lists::List;
    ///
    /// let list = List::from_text(
    ///     b"# issuer: Example Police\ndomain 192.0.2.7 case-1\nurl-prefix 192.0.2.8/x/ case-2\n",
    ///     "police",
    /// )?;
    /// let snapshot = Snapshot::builder().add_list(&list, &Default::default())?.build();
    /// let url = CanonicalUrl::parse(b"http://files.example/x/a.jpg")?;
    /// assert!(!snapshot.check_canonical(&url).is_blocked());
    /// // files.example resolved to 192.0.2.7: a listed address.
    /// let at: IpAddr = "192.0.2.7".parse()?;
    /// assert!(snapshot.check_canonical_at(&url, at)?.is_blocked());
    /// // ... or to 192.0.2.8, listed for paths under /x/ only.
    /// let at: IpAddr = "192.0.2.8".parse()?;
    /// assert!(snapshot.check_canonical_at(&url, at)?.is_blocked());
    /// let other = CanonicalUrl::parse(b"http://files.example/y/")?;
    /// assert!(!snapshot.check_canonical_at(&other, at)?.is_blocked());
    /// // An IPv4-mapped IPv6 address reaches the IPv4 address.
    /// let at: IpAddr = "::ffff:192.0.2.7".parse()?;
    /// assert!(snapshot.check_canonical_at(&url, at)?.is_blocked());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// When the URL with the address as host does not canonicalise, which
    /// only a `url` over [`crate::url::MAX_INPUT_LEN`] can cause.
    pub fn check_canonical_at(&self, url: &CanonicalUrl, addr: IpAddr) -> Result<Verdict, Error> {
        let host = address_host(addr);
        let mut text =
            String::with_capacity(url.scheme().len() + 3 + host.len() + url.path_and_query().len());
        text.push_str(url.scheme());
        text.push_str("://");
        text.push_str(&host);
        text.push_str(url.path_and_query());
        self.check_url(&text)
    }

    /// Checks the bare address `http://addr/`: the check for a destination
    /// whose URL could not be canonicalised (a front end that fails open on
    /// such URLs still checks where it connects). `domain` entries on the
    /// address and `url-prefix` entries on its root match.
    ///
    /// ```
    /// use hashwall::Snapshot;
    /// use hashwall_lists::List;
    ///
    /// let list = List::from_text(b"# issuer: Example Police\ndomain 2001:db8::7\n", "police")?;
    /// let snapshot = Snapshot::builder().add_list(&list, &Default::default())?.build();
    /// assert!(snapshot.check_address("2001:db8::7".parse()?).is_blocked());
    /// assert!(!snapshot.check_address("2001:db8::8".parse()?).is_blocked());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check_address(&self, addr: IpAddr) -> Verdict {
        let text = format!("http://{}/", address_host(addr));
        // An address always canonicalises; an empty verdict is unreachable.
        self.check_url(&text).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::net::Ipv4Addr;

    #[test]
    fn address_hosts() {
        assert_eq!(
            address_host(
                "::ffff:127.0.0.1"
                    .parse()
                    .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
            ),
            "127.0.0.1"
        );
        assert_eq!(
            address_host(
                "2001:DB8::1"
                    .parse()
                    .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
            ),
            "[2001:db8::1]"
        );
    }
}
