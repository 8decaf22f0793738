//! The plain sections of the configuration, one struct each, as the TOML
//! file names them. Only data: checks that need more than one value run in
//! `validate.rs`, and file or network checks run when `serve` starts.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

use crate::serve::cidr::Cidr;

/// `[images]`: hashing image responses against the lists' image entries.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImagesConfig {
    /// Scan image responses. Even when on, nothing is buffered while the
    /// loaded lists hold no image entry.
    pub enabled: bool,
    /// Largest body scanned, in bytes; larger ones are unscannable.
    pub max_bytes: usize,
    /// Bytes held back for scanning across all exchanges at once; beyond
    /// it an image is unscannable (`saturated`).
    pub max_held_bytes: u64,
    /// Hashing threads; 0 = one per core.
    pub workers: usize,
    /// Scans that may wait for a worker; beyond it the pool is saturated.
    pub queue: usize,
    /// Longest wait for a scan (queue and hashing), seconds.
    pub scan_timeout_secs: f64,
    /// Largest image decoded, in pixels (width × height).
    pub max_pixels: u64,
    /// Largest image side decoded, in pixels.
    pub max_side: u32,
    /// An image that cannot be scanned (too large, undecodable, pool
    /// saturated, timeout): `open` forwards it, `closed` answers 403.
    pub on_unscannable: FailMode,
    /// Which bodies not typed `image/*` are checked for image magic bytes:
    /// `all` (any type: a server cannot slip a listed image past by
    /// calling it `text/html`) or `generic` (only a missing or generic
    /// type such as `application/octet-stream`).
    pub sniff: Sniff,
}

/// `[images] sniff`.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Sniff {
    /// Every body not typed `image/*`.
    All,
    /// Only bodies with no type or a generic one.
    Generic,
}

impl ImagesConfig {
    /// The hashing threads: `workers`, or the number of cores for 0.
    pub fn worker_count(&self) -> usize {
        if self.workers > 0 {
            return self.workers;
        }
        std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
    }
}

/// `[proxy]`
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyConfig {
    /// Run the proxy listener; off for an API-only deployment (a hosting
    /// provider that runs no proxy).
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Address the proxy listens on.
    pub listen: SocketAddr,
    /// Also accept origin-form requests (`GET /path` with `Host`), as sent to
    /// an interception (transparent) proxy.
    pub transparent: bool,
    /// The pseudonym in the `Via` header this proxy adds (and recognises to
    /// refuse forwarding loops).
    pub via_pseudonym: String,
    /// Add `X-Forwarded-For` with the subscriber's address. Off by default:
    /// subscribers' privacy.
    pub forwarded_for: bool,
    /// What to do with a URL that cannot be canonicalised: `closed` (400) or
    /// `open` (forward it unchecked).
    pub on_invalid_url: FailMode,
}

fn default_true() -> bool {
    true
}

/// Fail-open or fail-closed (what `closed` answers depends on the key).
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum FailMode {
    /// Refuse (400 for URLs, 403 for images).
    Closed,
    /// Let through unchecked (and count it).
    Open,
}

/// `[acl]`
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AclConfig {
    /// Client networks allowed to use the proxy (CIDR).
    pub allow_clients: Vec<Cidr>,
    /// Ports `CONNECT` may reach.
    pub connect_ports: Vec<u16>,
    /// Networks exempt from the refusal of local destinations (loopback,
    /// link-local, unspecified, the host's own addresses; see
    /// [`super::destination`]). Never exempts the proxy's own listeners.
    #[serde(default)]
    pub allow_destinations: Vec<Cidr>,
    /// More networks the proxy never connects to (403), whatever
    /// `allow_destinations` says.
    #[serde(default)]
    pub deny_destinations: Vec<Cidr>,
}

/// `[auth]`: Basic proxy authentication (RFC 7235 `Proxy-Authorization`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// The realm in `Proxy-Authenticate`.
    #[serde(default = "default_realm")]
    pub realm: String,
    /// Accepted users.
    pub users: Vec<UserConfig>,
}

fn default_realm() -> String {
    "hashwall".to_owned()
}

/// One proxy user.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    /// User name (no `:`).
    pub name: String,
    /// Password.
    pub password: String,
}

impl std::fmt::Debug for UserConfig {
    // Never print a password, not even in a debug log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserConfig")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// `[timeouts]`, all in seconds (fractions allowed).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeoutConfig {
    /// Connecting to an upstream server (HTTP or CONNECT target).
    pub connect_secs: f64,
    /// Reading a client's request head.
    pub request_header_secs: f64,
    /// A connection (client, tunnel) with no byte in either direction is closed.
    pub idle_secs: f64,
    /// A whole HTTP exchange: request sent, response head and body received.
    pub exchange_secs: f64,
    /// Idle pooled upstream connections are closed after this.
    pub upstream_pool_idle_secs: f64,
    /// Graceful shutdown waits this long for connections to finish.
    pub shutdown_grace_secs: f64,
    /// How long a resolved host's addresses are reused; 0 resolves for
    /// every request.
    #[serde(default = "default_dns_cache_secs")]
    pub dns_cache_secs: f64,
}

fn default_dns_cache_secs() -> f64 {
    30.0
}

/// `[limits]`
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitConfig {
    /// Largest request head (request line and headers) in bytes; larger gets 431.
    pub max_request_header_bytes: usize,
    /// Most headers in a request; more gets 431.
    pub max_request_headers: usize,
    /// Most client connections open at once; more wait to be accepted.
    pub max_connections: usize,
    /// Most idle pooled connections kept per upstream host.
    pub upstream_pool_max_idle_per_host: usize,
    /// Most host names whose addresses are cached; 0 turns the cache off.
    #[serde(default = "default_dns_cache_entries")]
    pub dns_cache_entries: usize,
}

fn default_dns_cache_entries() -> usize {
    4096
}

/// `[stop_page]`
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StopPageConfig {
    /// An HTML template file; empty for the built-in one.
    pub template: Option<PathBuf>,
    /// Who operates the proxy (shown on the page).
    pub operator: String,
    /// Where to appeal a block.
    pub appeal_url: String,
    /// The national reporting point for illegal content.
    pub reporting_url: String,
    /// The `Link: <…>; rel="blocked-by"` target (RFC 7725): the entity
    /// implementing the block.
    pub blocked_by_url: String,
}

/// `[admin]`
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminConfig {
    /// Run the admin listener.
    pub enabled: bool,
    /// Address of the admin listener.
    pub listen: SocketAddr,
    /// Bearer token required by admin endpoints (except `/healthz` from
    /// loopback). Prefer `token_env`.
    #[serde(default)]
    pub token: Option<String>,
    /// Name of an environment variable holding the token.
    #[serde(default)]
    pub token_env: Option<String>,
}

/// `[log]`
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// Put the subscriber's address in log events. Off by default.
    pub client_address: bool,
    /// Minimum level: `error`, `warn`, `info`, `debug`, `trace`.
    pub level: String,
}

/// `[stats]`
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsConfig {
    /// Keep hourly match counts this many days.
    pub retention_days: u32,
}

/// `[api]`: the matching API for hosting providers (native and
/// HMA-compatible endpoints, see `serve::api`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    /// Run the API listener.
    pub enabled: bool,
    /// Address of the API listener.
    pub listen: SocketAddr,
    /// Bearer tokens, one `NAME TOKEN` per line (`#` comments). Re-read
    /// when its modification time changes. None: no token needed (loopback
    /// only).
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// Largest request body, in bytes; larger gets 413.
    pub max_body_bytes: usize,
    /// Most items (URLs plus hashes) in one `POST /v1/check`.
    pub max_batch: usize,
    /// Requests per second per token (a token bucket, burst of one second's
    /// worth); 0 = no limit.
    #[serde(default)]
    pub rate_per_sec: u32,
    /// Hosts whose media `GET /h/hash?url=` and `GET /m/lookup?url=` may
    /// fetch: a name or an IP literal matches itself, `.example.org`
    /// matches every name under it. Empty (the default): fetching by URL
    /// is off, never an open fetcher.
    #[serde(default)]
    pub fetch_hosts: Vec<String>,
    /// Seconds a fetch by URL may take, connect included.
    #[serde(default = "default_fetch_timeout")]
    pub fetch_timeout_secs: f64,
}

fn default_fetch_timeout() -> f64 {
    10.0
}

impl ApiConfig {
    /// Whether the listen address is loopback (IPv4-mapped included).
    pub fn is_loopback(&self) -> bool {
        match self.listen.ip() {
            std::net::IpAddr::V6(v6) => v6
                .to_ipv4_mapped()
                .map_or(v6.is_loopback(), |v4| v4.is_loopback()),
            v4 => v4.is_loopback(),
        }
    }
}

/// `[icap]`: the ICAP service (RFC 3507) for Squid and other ICAP clients
/// (see `serve::icap`): `REQMOD` on `/reqmod`, `RESPMOD` on `/respmod`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IcapConfig {
    /// Run the ICAP listener.
    pub enabled: bool,
    /// Address of the ICAP listener.
    pub listen: SocketAddr,
    /// Most ICAP connections at once (announced as `Max-Connections`);
    /// more wait in the accept queue.
    pub max_connections: usize,
    /// How long a client may reuse an `OPTIONS` answer (`Options-TTL`),
    /// seconds.
    pub options_ttl_secs: u32,
    /// The preview asked of clients (`Preview`), bytes: enough to tell an
    /// image from anything else.
    pub preview_bytes: usize,
}
