//! Resolving a target's host, once per request, to the addresses that are
//! then checked and connected to.
//!
//! Checking a name and letting the connector resolve it again would check
//! one address and connect to another whenever the DNS answer changes in
//! between (DNS rebinding). So the proxy resolves here, checks every
//! address ([`super::destination`], the lists' IP entries), and connects
//! only to those: CONNECT tunnels with the address list, HTTP through the
//! pooled client with the first address as the URI's host. The pooled
//! client's connector is built with [`NoResolve`], so it cannot resolve a
//! name even by mistake.
//!
//! Answers are cached for `timeouts.dns_cache_secs` (up to
//! `limits.dns_cache_entries` names): keep-alive traffic to one server
//! would otherwise cost a lookup per request. The cache holds addresses,
//! never verdicts: every request checks them against the lists in force.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper_util::client::legacy::connect::dns::Name;

use super::host_addrs::unmapped;

/// Why a host did not resolve.
#[derive(Debug)]
pub enum ResolveError {
    /// The lookup failed (no such name, no resolver reachable).
    Lookup(io::Error),
    /// The name has no address.
    NoAddress,
}

impl std::fmt::Display for ResolveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResolveError::Lookup(e) => write!(f, "lookup failed: {e}"),
            ResolveError::NoAddress => f.write_str("the name has no address"),
        }
    }
}

impl std::error::Error for ResolveError {}

/// Cached answers: name (lower case) → when it was resolved, addresses.
type Cache = HashMap<Box<str>, (Instant, Arc<[IpAddr]>)>;

/// The system resolver (`getaddrinfo`: `/etc/hosts`, DNS) with a small
/// positive cache.
#[derive(Debug)]
pub struct Resolver {
    ttl: Duration,
    capacity: usize,
    cache: Mutex<Cache>,
}

impl Resolver {
    /// A resolver caching up to `capacity` names for `ttl` (a zero of
    /// either turns the cache off).
    pub fn new(ttl: Duration, capacity: usize) -> Resolver {
        Resolver {
            ttl,
            capacity,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The addresses of `host` (as written in the request; an IPv6 literal
    /// in brackets) with `port`, deduplicated, in the resolver's order of
    /// preference, IPv4-mapped IPv6 addresses as IPv4.
    ///
    /// # Errors
    ///
    /// When the lookup fails or finds no address.
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, ResolveError> {
        let bare = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(unmapped(ip), port)]);
        }
        let key = bare.to_ascii_lowercase();
        if let Some(ips) = self.cached(&key) {
            return Ok(with_port(&ips, port));
        }
        // getaddrinfo also reads numeric forms the strict parser above
        // does not (`127.1`, `2130706433`, `0x7f.1`): what it returns is
        // what gets checked.
        let found = tokio::net::lookup_host((bare, port))
            .await
            .map_err(ResolveError::Lookup)?;
        let mut ips: Vec<IpAddr> = Vec::new();
        for a in found {
            let ip = unmapped(a.ip());
            if !ips.contains(&ip) {
                ips.push(ip);
            }
        }
        if ips.is_empty() {
            return Err(ResolveError::NoAddress);
        }
        let ips: Arc<[IpAddr]> = Arc::from(ips);
        self.store(key, Arc::clone(&ips));
        Ok(with_port(&ips, port))
    }

    fn cached(&self, key: &str) -> Option<Arc<[IpAddr]>> {
        let cache = self.cache.lock().ok()?;
        let (at, ips) = cache.get(key)?;
        (at.elapsed() < self.ttl).then(|| Arc::clone(ips))
    }

    fn store(&self, key: String, ips: Arc<[IpAddr]>) {
        if self.ttl.is_zero() || self.capacity == 0 {
            return;
        }
        let Ok(mut cache) = self.cache.lock() else {
            return;
        };
        if cache.len() >= self.capacity {
            let ttl = self.ttl;
            cache.retain(|_, (at, _)| at.elapsed() < ttl);
            if cache.len() >= self.capacity {
                // Still full of live answers: start afresh (bounded work,
                // bounded memory; the next lookups refill it).
                cache.clear();
            }
        }
        cache.insert(key.into_boxed_str(), (Instant::now(), ips));
    }
}

fn with_port(ips: &[IpAddr], port: u16) -> Vec<SocketAddr> {
    ips.iter().map(|ip| SocketAddr::new(*ip, port)).collect()
}

/// The pooled client's resolver: refuses every name. The proxy hands the
/// client URIs whose host is an address it resolved and checked; a name
/// reaching the connector would be a second, unchecked resolution.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoResolve;

impl tower_service::Service<Name> for NoResolve {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, io::Error>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), io::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let msg = format!("refusing to resolve {:?} in the connector", name.as_str());
        Box::pin(async move { Err(io::Error::other(msg)) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn literals_are_not_looked_up_and_mapped_become_ipv4() {
        let r = Resolver::new(Duration::from_secs(30), 10);
        let cases = [
            ("192.0.2.1", "192.0.2.1:80"),
            ("[2001:db8::1]", "[2001:db8::1]:80"),
            ("[::ffff:192.0.2.1]", "192.0.2.1:80"),
        ];
        for (host, want) in cases {
            let got = r.resolve(host, 80).await.map_err(|e| e.to_string());
            assert_eq!(
                got,
                Ok(vec![want.parse().unwrap_or_else(|_| panic!())]),
                "{host}"
            );
        }
        // Numeric forms go through the system resolver (inet_aton rules).
        let got = r.resolve("127.1", 8080).await.map_err(|e| e.to_string());
        assert_eq!(got, Ok(vec![SocketAddr::from(([127, 0, 0, 1], 8080))]));
        assert!(r.cached("127.1").is_some());
    }

    #[tokio::test]
    async fn the_cache_is_bounded() {
        let r = Resolver::new(Duration::from_secs(30), 2);
        for n in ["127.1", "127.2", "127.3"] {
            assert!(r.resolve(n, 1).await.is_ok());
        }
        let len = r.cache.lock().map(|c| c.len()).unwrap_or(99);
        assert!(len <= 2, "{len}");
        let off = Resolver::new(Duration::ZERO, 2);
        assert!(off.resolve("127.1", 1).await.is_ok());
        assert!(off.cached("127.1").is_none());
    }

    #[tokio::test]
    async fn the_connector_never_resolves() {
        use tower_service::Service as _;
        let name: Name = "localhost".parse().unwrap_or_else(|_| panic!());
        assert!(NoResolve.call(name).await.is_err());
    }
}
