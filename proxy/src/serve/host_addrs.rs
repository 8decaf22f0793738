//! The addresses of the proxy host's own interfaces, read with
//! `getifaddrs` and re-read at most once a second, so an address added to
//! the host (a DHCP lease, a new VPN link) is recognised within a second
//! without a syscall per request.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a reading of the interface addresses is used.
const REFRESH: Duration = Duration::from_secs(1);

/// The host's interface addresses, refreshed on use.
#[derive(Debug)]
pub struct HostAddrs {
    cached: Mutex<Option<(Instant, Arc<[IpAddr]>)>>,
}

impl Default for HostAddrs {
    fn default() -> Self {
        HostAddrs::new()
    }
}

impl HostAddrs {
    /// Nothing read yet: the first use reads the interfaces.
    pub fn new() -> HostAddrs {
        HostAddrs {
            cached: Mutex::new(None),
        }
    }

    /// The current addresses (IPv4-mapped IPv6 ones as IPv4).
    pub fn get(&self) -> Arc<[IpAddr]> {
        let Ok(mut cached) = self.cached.lock() else {
            // A poisoned lock: read afresh rather than trust nothing.
            return read().unwrap_or_else(|| Arc::from(Vec::new()));
        };
        if let Some((at, addrs)) = cached.as_ref()
            && at.elapsed() < REFRESH
        {
            return Arc::clone(addrs);
        }
        let addrs = match read() {
            Some(a) => a,
            // Keep the last reading when the interfaces cannot be read;
            // loopback, link-local and unspecified addresses are refused
            // without it.
            None => cached
                .as_ref()
                .map_or_else(|| Arc::from(Vec::new()), |(_, a)| Arc::clone(a)),
        };
        *cached = Some((Instant::now(), Arc::clone(&addrs)));
        addrs
    }

    /// Whether `ip` is an address of one of the host's interfaces.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.get().contains(&ip)
    }
}

fn read() -> Option<Arc<[IpAddr]>> {
    match if_addrs::get_if_addrs() {
        Ok(ifs) => {
            let mut addrs: Vec<IpAddr> = ifs.into_iter().map(|i| unmapped(i.ip())).collect();
            addrs.sort_unstable();
            addrs.dedup();
            Some(Arc::from(addrs))
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the host's interface addresses");
            None
        }
    }
}

/// `::ffff:a.b.c.d` as `a.b.c.d`; other addresses unchanged.
pub fn unmapped(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_among_the_host_addresses() {
        let h = HostAddrs::new();
        assert!(h.contains(IpAddr::from([127, 0, 0, 1])), "{:?}", h.get());
        // The second call within a second is served from the cache.
        let a = h.get();
        let b = h.get();
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!h.contains(IpAddr::from([192, 0, 2, 254])));
    }
}
