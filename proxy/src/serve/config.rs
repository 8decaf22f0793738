//! The `hashwall serve` configuration: a TOML file, every limit and timeout
//! named. The defaults are the embedded default configuration
//! (`assets/default-config.toml`), so a value left out of an operator's file
//! means the same as in `hashwall serve` with no flag.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use hashwall_lists::{ExpiredPolicy, Policy};
use serde::Deserialize;

use super::acl::Cidr;

/// The embedded default configuration (documented TOML).
pub const DEFAULT_CONFIG: &str = include_str!("../../assets/default-config.toml");

/// The whole configuration.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The proxy listener and its request handling.
    pub proxy: ProxyConfig,
    /// Who may use the proxy.
    pub acl: AclConfig,
    /// Optional Basic proxy authentication.
    #[serde(default)]
    pub auth: Option<AuthConfig>,
    /// Timeouts.
    pub timeouts: TimeoutConfig,
    /// Size and count limits.
    pub limits: LimitConfig,
    /// The 451 stop page.
    pub stop_page: StopPageConfig,
    /// Reload behaviour for the lists.
    pub lists: ListsConfig,
    /// Which list signatures to accept.
    pub trust: TrustConfig,
    /// The lists to load, in order (`[[list]]`).
    #[serde(default, rename = "list")]
    pub list: Vec<ListSourceConfig>,
    /// The admin listener.
    pub admin: AdminConfig,
    /// Logging.
    pub log: LogConfig,
    /// Match statistics.
    pub stats: StatsConfig,
    /// Image scanning in plain-HTTP responses.
    pub images: ImagesConfig,
}

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

/// `[lists]`
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListsConfig {
    /// Poll list files for changes (mtime and size) every this many seconds;
    /// 0 turns polling off.
    pub poll_secs: f64,
    /// The state file recording, per list, the highest sequence ever
    /// served ([`super::state`]): the rollback floor survives a restart.
    /// None keeps the floor in memory only.
    #[serde(default)]
    pub state: Option<PathBuf>,
}

/// `[trust]`: every list file must verify against the trust store (signed
/// by a key trusted for its issuer, within the key's window, not expired)
/// unless unsigned lists are allowed. A signed list must always verify.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustConfig {
    /// The trust store file (`FORMAT.md`, "Trust store"); re-read at every
    /// reload, so a key rotation needs no restart. Without one, only
    /// unsigned lists (where allowed) load.
    #[serde(default)]
    pub store: Option<PathBuf>,
    /// Accept list files without a signature (default: no). `[[list]]`
    /// `allow_unsigned` overrides this per list.
    pub allow_unsigned: bool,
    /// An expired list: `refuse` it (the load fails) or `flag` it (load it
    /// and log a warning).
    #[serde(deserialize_with = "de_expired")]
    pub expired: ExpiredPolicy,
}

fn de_expired<'de, D: serde::Deserializer<'de>>(d: D) -> Result<ExpiredPolicy, D::Error> {
    match String::deserialize(d)?.as_str() {
        "refuse" => Ok(ExpiredPolicy::Refuse),
        "flag" => Ok(ExpiredPolicy::Flag),
        other => Err(serde::de::Error::custom(format!(
            "trust.expired must be \"refuse\" or \"flag\", got {other:?}"
        ))),
    }
}

/// One `[[list]]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListSourceConfig {
    /// A list file in the text format.
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// A list built into the binary (`demo`).
    #[serde(default)]
    pub builtin: Option<String>,
    /// Override the issuer's policy: `block`, `monitor` or `allow`.
    #[serde(default, deserialize_with = "de_policy")]
    pub policy: Option<Policy>,
    /// Skip (and count) entries that cannot be compiled instead of refusing
    /// the list.
    #[serde(default)]
    pub skip_invalid: bool,
    /// Accept this list unsigned (overrides `trust.allow_unsigned`); the
    /// built-in demo list is always accepted unsigned.
    #[serde(default)]
    pub allow_unsigned: Option<bool>,
    /// Accept a reload that finds this list at a lower sequence than the
    /// one served (off: such a rollback is refused and the last good list
    /// kept).
    #[serde(default)]
    pub allow_rollback: bool,
    /// Subscribe to a publisher: the URL (`https://`, or `http://`) of a
    /// list's publication directory (`hashlists/FORMAT.md`, "Publication").
    #[serde(default)]
    pub subscribe: Option<String>,
    /// The subscription's local copy of the list (required with
    /// `subscribe`): served, and loaded at start when the publisher is
    /// unreachable.
    #[serde(default)]
    pub cache: Option<PathBuf>,
    /// Poll the publisher's manifest this often (seconds; default 60).
    #[serde(default)]
    pub poll_secs: Option<f64>,
    /// Longest one fetch from the publisher may take (seconds, connect
    /// included; default 120).
    #[serde(default)]
    pub timeout_secs: Option<f64>,
    /// Largest file fetched from the publisher (bytes; default 1 GiB).
    #[serde(default)]
    pub max_bytes: Option<u64>,
    /// PEM file of the CA(s) that sign an `https://` publisher's
    /// certificate; when given, only they are trusted (default: Mozilla's
    /// roots).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// File holding the bearer token sent to the publisher
    /// (`Authorization: Bearer …`); surrounding whitespace is ignored.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// Allow `token_file` with an `http://` URL, where anyone on the path
    /// can read the token (default: refused).
    #[serde(default)]
    pub allow_cleartext_token: bool,
}

impl ListSourceConfig {
    /// `poll_secs` or its default.
    pub fn sub_poll_secs(&self) -> f64 {
        self.poll_secs.unwrap_or(60.0)
    }

    /// `timeout_secs` or its default.
    pub fn sub_timeout_secs(&self) -> f64 {
        self.timeout_secs.unwrap_or(120.0)
    }

    /// `max_bytes` or its default.
    pub fn sub_max_bytes(&self) -> u64 {
        self.max_bytes.unwrap_or(1 << 30)
    }
}

fn de_policy<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Policy>, D::Error> {
    let s = Option::<String>::deserialize(d)?;
    s.map(|s| s.parse::<Policy>().map_err(serde::de::Error::custom))
        .transpose()
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

/// A configuration that could not be read or is invalid.
#[derive(Debug)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// Merges `over` into `base`: tables recursively, everything else replaced.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

impl Config {
    /// The embedded default configuration.
    pub fn default_config() -> Config {
        // The embedded file is checked by a unit test; fall back to nothing
        // is impossible, so parse errors here are a build defect.
        match Config::from_toml(DEFAULT_CONFIG, None) {
            Ok(c) => c,
            Err(e) => unreachable!("embedded default config is invalid: {e}"),
        }
    }

    /// Parses a configuration file's text over the embedded defaults. Paths
    /// in it are resolved against `base_dir` when relative.
    ///
    /// `[[list]]` in the file replaces the default list set entirely (the
    /// demo list is only there when no list is configured).
    pub fn from_toml(text: &str, base_dir: Option<&Path>) -> Result<Config, ConfigError> {
        let mut base: toml::Table = DEFAULT_CONFIG
            .parse()
            .map_err(|e| ConfigError(format!("embedded default config: {e}")))?;
        let over: toml::Table = text.parse().map_err(|e| ConfigError(format!("{e}")))?;
        merge(&mut base, over);
        let mut config: Config = base
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError(format!("{e}")))?;
        if let Some(dir) = base_dir {
            for l in &mut config.list {
                for p in [&mut l.path, &mut l.cache, &mut l.ca_file, &mut l.token_file]
                    .into_iter()
                    .flatten()
                {
                    if p.is_relative() {
                        *p = dir.join(&*p);
                    }
                }
            }
            if let Some(p) = &mut config.stop_page.template
                && p.is_relative()
            {
                *p = dir.join(&*p);
            }
            for p in [&mut config.trust.store, &mut config.lists.state]
                .into_iter()
                .flatten()
            {
                if p.is_relative() {
                    *p = dir.join(&*p);
                }
            }
        }
        config.validate()?;
        Ok(config)
    }

    /// Reads and validates a configuration file.
    pub fn read_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
        Config::from_toml(&text, path.parent())
            .map_err(|e| ConfigError(format!("{}: {e}", path.display())))
    }

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
            match (&l.path, &l.builtin, &l.subscribe) {
                (Some(_), None, None) => {}
                (None, Some(b), None) if b == "demo" => {}
                (None, Some(b), None) => {
                    return err(format!("[[list]] #{}: unknown builtin {b:?}", i + 1));
                }
                (None, None, Some(url)) => {
                    validate_subscription(i + 1, url, l)?;
                    if self.trust.store.is_none() {
                        return err(format!(
                            "[[list]] #{}: a subscription needs [trust] store (what it fetches must verify)",
                            i + 1
                        ));
                    }
                }
                _ => {
                    return err(format!(
                        "[[list]] #{}: give exactly one of `path`, `builtin` and `subscribe`",
                        i + 1
                    ));
                }
            }
            if l.subscribe.is_none()
                && (l.cache.is_some()
                    || l.poll_secs.is_some()
                    || l.timeout_secs.is_some()
                    || l.max_bytes.is_some()
                    || l.ca_file.is_some()
                    || l.token_file.is_some()
                    || l.allow_cleartext_token)
            {
                return err(format!(
                    "[[list]] #{}: `cache`, `poll_secs`, `timeout_secs`, `max_bytes`, `ca_file`, \
                     `token_file` and `allow_cleartext_token` are only for a `subscribe` list",
                    i + 1
                ));
            }
        }
        if self.admin.enabled
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
        if let Err(e) = self.admin_exposure() {
            return err(e.to_string());
        }
        if tracing_level(&self.log.level).is_none() {
            return err(format!("log.level {:?} is not a level", self.log.level));
        }
        Ok(())
    }

    /// The admin token: `admin.token`, else the variable `admin.token_env`
    /// names (unset or empty means no token).
    pub fn admin_token(&self) -> Option<String> {
        if let Some(t) = &self.admin.token
            && !t.is_empty()
        {
            return Some(t.clone());
        }
        let var = self.admin.token_env.as_deref()?;
        std::env::var(var).ok().filter(|t| !t.is_empty())
    }

    /// Refuses an admin listener reachable from outside the host without a
    /// token: anyone who can reach it could read the statistics and reload
    /// the lists.
    ///
    /// # Errors
    ///
    /// [`UnprotectedAdmin`] when the admin listener is enabled on an
    /// address other than loopback and no token is configured.
    pub fn admin_exposure(&self) -> Result<(), UnprotectedAdmin> {
        let a = &self.admin;
        let loopback = match a.listen.ip() {
            IpAddr::V6(v6) => v6
                .to_ipv4_mapped()
                .map_or(v6.is_loopback(), |v4| v4.is_loopback()),
            v4 => v4.is_loopback(),
        };
        if a.enabled && !loopback && self.admin_token().is_none() {
            return Err(UnprotectedAdmin { listen: a.listen });
        }
        Ok(())
    }

    /// Whether `ip` may use the proxy.
    pub fn client_allowed(&self, ip: IpAddr) -> bool {
        self.acl.allow_clients.iter().any(|c| c.contains(ip))
    }
}

/// The admin listener is on a non-loopback address and has no token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnprotectedAdmin {
    /// Where the admin listener would listen.
    pub listen: SocketAddr,
}

impl std::fmt::Display for UnprotectedAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "admin.listen {} is not a loopback address and the admin API has no token: \
             set admin.token_env (or admin.token), or listen on 127.0.0.1 / [::1]",
            self.listen
        )
    }
}

impl std::error::Error for UnprotectedAdmin {}

/// Checks a `subscribe` `[[list]]` (number `n`, counted from 1).
fn validate_subscription(n: usize, url: &str, l: &ListSourceConfig) -> Result<(), ConfigError> {
    let err = |m: String| Err(ConfigError(format!("[[list]] #{n}: {m}")));
    let base = match super::publisher::BaseUrl::parse(url) {
        Ok(b) => b,
        Err(e) => return err(e),
    };
    if !base.is_https() {
        if l.ca_file.is_some() {
            return err(format!(
                "`ca_file` is for an https:// publisher, but {url:?} is http://"
            ));
        }
        if l.token_file.is_some() && !l.allow_cleartext_token {
            return err(format!(
                "`token_file` with {url:?} would send the token in clear text: \
                 use https://, or set allow_cleartext_token = true"
            ));
        }
    }
    // Read now so a missing CA, an empty or unreadable token file fails the
    // configuration, not the first poll.
    if let Err(e) = super::publisher::Transport::from_config(&base, l) {
        return err(e);
    }
    if l.cache.is_none() {
        return err("`subscribe` needs `cache`, the local copy of the list".into());
    }
    let (poll, timeout, max) = (l.sub_poll_secs(), l.sub_timeout_secs(), l.sub_max_bytes());
    if !(poll.is_finite() && (0.05..=86_400.0).contains(&poll)) {
        return err(format!("poll_secs must be in 0.05..=86400, got {poll}"));
    }
    if !(timeout.is_finite() && timeout > 0.0 && timeout <= 3600.0) {
        return err(format!(
            "timeout_secs must be > 0 and at most 3600, got {timeout}"
        ));
    }
    if !(1024..=1 << 34).contains(&max) {
        return err(format!(
            "max_bytes must be in 1024..=17179869184, got {max}"
        ));
    }
    Ok(())
}

/// The tracing level for a `log.level` value.
pub fn tracing_level(s: &str) -> Option<tracing::Level> {
    s.parse().ok()
}

/// Seconds (validated finite and positive) as a `Duration`.
pub fn secs(v: f64) -> Duration {
    Duration::try_from_secs_f64(v).unwrap_or(Duration::from_secs(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_default_is_valid_and_safe() {
        let c = Config::from_toml("", None).map_err(|e| e.0);
        let c = c.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.proxy.listen.to_string(), "127.0.0.1:3128");
        assert!(c.client_allowed("127.0.0.1".parse().unwrap_or(IpAddr::from([0; 4]))));
        assert!(!c.client_allowed(IpAddr::from([192, 0, 2, 1])));
        assert_eq!(c.acl.connect_ports, vec![443]);
        assert_eq!(c.proxy.on_invalid_url, FailMode::Closed);
        assert!(!c.proxy.forwarded_for);
        assert_eq!(c.list.len(), 1);
        assert_eq!(c.list[0].builtin.as_deref(), Some("demo"));
        assert_eq!(c.stats.retention_days, 30);
        assert!(c.images.enabled);
        assert_eq!(c.images.max_bytes, 16 << 20);
        assert_eq!(c.images.on_unscannable, FailMode::Open);
        assert!(c.images.worker_count() >= 1);
        assert!(Config::from_toml("[images]\nmax_bytes = 0\n", None).is_err());
        assert!(Config::from_toml("[images]\non_unscannable = \"maybe\"\n", None).is_err());
        assert!(Config::from_toml("[images]\nscan_timeout_secs = 0\n", None).is_err());
        assert!(!c.trust.allow_unsigned);
        assert_eq!(c.trust.expired, ExpiredPolicy::Refuse);
        assert!(c.trust.store.is_none());
        assert!(c.lists.state.is_none());
    }

    #[test]
    fn trust_section() {
        let c = Config::from_toml(
            "[trust]\nstore = \"trust.store\"\nexpired = \"flag\"\n\
             [lists]\nstate = \"state.json\"\n\
             [[list]]\npath = \"a.list\"\nallow_unsigned = true\n",
            Some(Path::new("/etc/hw")),
        );
        let c = c.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.trust.store.as_deref(),
            Some(Path::new("/etc/hw/trust.store"))
        );
        assert_eq!(c.trust.expired, ExpiredPolicy::Flag);
        assert_eq!(
            c.lists.state.as_deref(),
            Some(Path::new("/etc/hw/state.json"))
        );
        assert_eq!(c.list[0].allow_unsigned, Some(true));
        let e = Config::from_toml("[trust]\nexpired = \"ignore\"\n", None);
        assert!(e.is_err_and(|e| e.0.contains("trust.expired")));
        assert!(Config::from_toml("[trust]\nstor = \"x\"\n", None).is_err());
    }

    #[test]
    fn file_overrides_and_rejects_unknown_keys() {
        let c = Config::from_toml(
            "[proxy]\nlisten = \"127.0.0.1:0\"\n[[list]]\npath = \"a.list\"\npolicy = \"monitor\"\n",
            Some(Path::new("/etc/hw")),
        );
        let c = c.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.proxy.via_pseudonym, "hashwall");
        assert_eq!(c.list.len(), 1);
        assert_eq!(c.list[0].path.as_deref(), Some(Path::new("/etc/hw/a.list")));
        assert_eq!(c.list[0].policy, Some(Policy::Monitor));
        assert!(Config::from_toml("[proxy]\nlisen = 1\n", None).is_err());
        assert!(Config::from_toml("[limits]\nmax_request_header_bytes = 10\n", None).is_err());
        assert!(Config::from_toml("[[list]]\npolicy = \"block\"\n", None).is_err());
        assert!(Config::from_toml("[[list]]\npath = \"x\"\npolicy = \"deny\"\n", None).is_err());
    }
}
