//! Checks that serde cannot make: ranges and values that depend on each
//! other. Plain data only: nothing here reads a file or the network.

use super::{Config, ConfigError, tracing_level};

impl Config {
    /// Checks values serde cannot: ranges, mutual exclusions.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |m: String| Err(ConfigError(m));
        let t = &self.timeouts;
        for (name, v) in [
            ("timeouts.connect_secs", t.connect_secs),
            ("timeouts.request_header_secs", t.request_header_secs),
            ("timeouts.idle_secs", t.idle_secs),
            ("timeouts.exchange_secs", t.exchange_secs),
            (
                "timeouts.upstream_pool_idle_secs",
                t.upstream_pool_idle_secs,
            ),
            ("timeouts.shutdown_grace_secs", t.shutdown_grace_secs),
        ] {
            if !(v.is_finite() && v > 0.0 && v <= 86_400.0 * 7.0) {
                return err(format!("{name} must be > 0 and at most a week, got {v}"));
            }
        }
        if !(self.lists.poll_secs.is_finite() && (0.0..=86_400.0).contains(&self.lists.poll_secs)) {
            return err(format!(
                "lists.poll_secs must be in 0..=86400, got {}",
                self.lists.poll_secs
            ));
        }
        let l = &self.limits;
        // hyper's HTTP/1 reader refuses (panics on) buffers under 8 KiB.
        if !(8192..=1 << 20).contains(&l.max_request_header_bytes) {
            return err(format!(
                "limits.max_request_header_bytes must be in 8192..=1048576, got {}",
                l.max_request_header_bytes
            ));
        }
        if !(1..=10_000).contains(&l.max_request_headers) {
            return err("limits.max_request_headers must be in 1..=10000".into());
        }
        if l.max_connections == 0 || l.max_connections > 1 << 20 {
            return err("limits.max_connections must be in 1..=1048576".into());
        }
        if self.acl.allow_clients.is_empty() {
            return err("acl.allow_clients is empty: nobody could use the proxy".into());
        }
        if self.proxy.via_pseudonym.is_empty()
            || !self
                .proxy
                .via_pseudonym
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b))
        {
            return err("proxy.via_pseudonym must be a non-empty token (A-Z a-z 0-9 - . _)".into());
        }
        if let Some(a) = &self.auth {
            if a.users.is_empty() {
                return err("[auth] needs at least one user".into());
            }
            if a.users
                .iter()
                .any(|u| u.name.is_empty() || u.name.contains(':'))
            {
                return err("auth user names must be non-empty and hold no ':'".into());
            }
            if a.realm.contains(['"', '\\']) || a.realm.chars().any(char::is_control) {
                return err("auth.realm must not contain quotes, backslashes or controls".into());
            }
        }
        if self.list.is_empty() {
            return err("no [[list]] configured".into());
        }
        for (i, l) in self.list.iter().enumerate() {
            if l.subscription().is_some() && self.trust.store.is_none() {
                return err(format!(
                    "[[list]] #{}: a subscription needs [trust] store (what it fetches must verify)",
                    i + 1
                ));
            }
        }
        if !self.proxy.enabled && !self.api.enabled && !self.icap.enabled {
            return err(
                "proxy.enabled, api.enabled and icap.enabled are all false: nothing to serve"
                    .into(),
            );
        }
        self.validate_icap()?;
        if self.admin.enabled
            && self.proxy.enabled
            && self.admin.listen == self.proxy.listen
            && self.proxy.listen.port() != 0
        {
            return err("admin.listen and proxy.listen are the same address".into());
        }
        let blocked_by = &self.stop_page.blocked_by_url;
        if blocked_by.is_empty()
            || blocked_by
                .bytes()
                .any(|b| b <= b' ' || b == b'>' || b == b'<' || b >= 0x7f)
        {
            return err("stop_page.blocked_by_url must be a URL without spaces or <>".into());
        }
        if self.stats.retention_days == 0 || self.stats.retention_days > 3660 {
            return err("stats.retention_days must be in 1..=3660".into());
        }
        let i = &self.images;
        if !(1024..=1 << 30).contains(&i.max_bytes) {
            return err(format!(
                "images.max_bytes must be in 1024..=1073741824, got {}",
                i.max_bytes
            ));
        }
        if i.max_held_bytes < i.max_bytes as u64 {
            return err("images.max_held_bytes must be at least images.max_bytes".into());
        }
        if i.workers > 1024 || i.queue > 1 << 20 {
            return err(
                "images.workers must be at most 1024 and images.queue at most 1048576".into(),
            );
        }
        if !(i.scan_timeout_secs.is_finite()
            && i.scan_timeout_secs > 0.0
            && i.scan_timeout_secs <= 3600.0)
        {
            return err(format!(
                "images.scan_timeout_secs must be > 0 and at most 3600, got {}",
                i.scan_timeout_secs
            ));
        }
        if !(1..=1 << 30).contains(&i.max_pixels) || !(1..=65_535).contains(&i.max_side) {
            return err(
                "images.max_pixels must be in 1..=2^30 and images.max_side in 1..=65535".into(),
            );
        }
        if !(t.dns_cache_secs.is_finite() && (0.0..=86_400.0).contains(&t.dns_cache_secs)) {
            return err(format!(
                "timeouts.dns_cache_secs must be in 0..=86400, got {}",
                t.dns_cache_secs
            ));
        }
        if l.dns_cache_entries > 1 << 20 {
            return err("limits.dns_cache_entries must be at most 1048576".into());
        }
        let a = &self.api;
        if a.enabled && !a.is_loopback() && a.token_file.is_none() {
            return err(format!(
                "api.listen {} is not a loopback address and the API has no token_file: \
                 set api.token_file, or listen on 127.0.0.1 / [::1]",
                a.listen
            ));
        }
        if !(1024..=1 << 30).contains(&a.max_body_bytes) {
            return err(format!(
                "api.max_body_bytes must be in 1024..=1073741824, got {}",
                a.max_body_bytes
            ));
        }
        if !(1..=1_000_000).contains(&a.max_batch) {
            return err(format!(
                "api.max_batch must be in 1..=1000000, got {}",
                a.max_batch
            ));
        }
        if !(a.fetch_timeout_secs > 0.0 && a.fetch_timeout_secs <= 300.0) {
            return err(format!(
                "api.fetch_timeout_secs must be in (0, 300], got {}",
                a.fetch_timeout_secs
            ));
        }
        if let Some(bad) = a.fetch_hosts.iter().find(|h| !is_fetch_host(h)) {
            return err(format!(
                "api.fetch_hosts: {bad:?} is not a host name, an IP address or `.domain`"
            ));
        }
        if a.enabled
            && a.listen.port() != 0
            && ((self.proxy.enabled && a.listen == self.proxy.listen)
                || (self.admin.enabled && a.listen == self.admin.listen))
        {
            return err("api.listen is the same address as proxy.listen or admin.listen".into());
        }
        if let Err(e) = self.admin_exposure() {
            return err(e.to_string());
        }
        if tracing_level(&self.log.level).is_none() {
            return err(format!("log.level {:?} is not a level", self.log.level));
        }
        Ok(())
    }
}

/// A `fetch_hosts` entry: a lower-case host name (optionally `.`-prefixed
/// for every name under it) or an IP literal (IPv6 in brackets).
fn is_fetch_host(h: &str) -> bool {
    if let Some(v6) = h.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return v6.parse::<std::net::Ipv6Addr>().is_ok();
    }
    let name = h.strip_prefix('.').unwrap_or(h);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

impl Config {
    /// `[icap]`: ranges, and an address of its own.
    fn validate_icap(&self) -> Result<(), ConfigError> {
        let i = &self.icap;
        let err = |m: String| Err(ConfigError(m));
        if !(1..=100_000).contains(&i.max_connections) {
            return err(format!(
                "icap.max_connections must be in 1..=100000, got {}",
                i.max_connections
            ));
        }
        if !(1..=86_400 * 7).contains(&i.options_ttl_secs) {
            return err(format!(
                "icap.options_ttl_secs must be in 1..=604800, got {}",
                i.options_ttl_secs
            ));
        }
        if !(12..=65_536).contains(&i.preview_bytes) {
            return err(format!(
                "icap.preview_bytes must be in 12..=65536 (an image is told by its first 12 bytes), got {}",
                i.preview_bytes
            ));
        }
        let taken = [
            (self.proxy.enabled, self.proxy.listen),
            (self.admin.enabled, self.admin.listen),
            (self.api.enabled, self.api.listen),
        ];
        if i.enabled && i.listen.port() != 0 && taken.iter().any(|(on, a)| *on && *a == i.listen) {
            return err(
                "icap.listen is the same address as proxy.listen, admin.listen or api.listen"
                    .into(),
            );
        }
        Ok(())
    }
}
