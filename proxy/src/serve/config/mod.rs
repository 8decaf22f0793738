//! The `hashwall serve` configuration: a TOML file, every limit and timeout
//! named. The defaults are the embedded default configuration
//! (`assets/default-config.toml`), so a value left out of an operator's file
//! means the same as in `hashwall serve` with no flag.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

mod list_source;
mod sections;
mod validate;

pub use list_source::{
    Builtin, ListSource, ListSourceConfig, ListsConfig, PathCase, SubscriptionConfig, TrustConfig,
};
pub use sections::{
    AclConfig, AdminConfig, ApiConfig, AuthConfig, FailMode, IcapConfig, ImagesConfig, LimitConfig,
    LogConfig, ProxyConfig, Sniff, StatsConfig, StopPageConfig, TimeoutConfig, UserConfig,
};

/// The embedded default configuration (documented TOML).
pub const DEFAULT_CONFIG: &str = include_str!("../../../assets/default-config.toml");

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
    #[serde(
        default,
        rename = "list",
        deserialize_with = "list_source::de_list_sources"
    )]
    pub list: Vec<ListSourceConfig>,
    /// The admin listener.
    pub admin: AdminConfig,
    /// Logging.
    pub log: LogConfig,
    /// Match statistics.
    pub stats: StatsConfig,
    /// Image scanning in plain-HTTP responses.
    pub images: ImagesConfig,
    /// The matching API.
    pub api: ApiConfig,
    /// The ICAP service.
    pub icap: IcapConfig,
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
                for p in l.paths_mut() {
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
            for p in [
                &mut config.trust.store,
                &mut config.lists.state,
                &mut config.api.token_file,
            ]
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

/// The tracing level for a `log.level` value.
pub fn tracing_level(s: &str) -> Option<tracing::Level> {
    s.parse().ok()
}

/// Seconds (validated finite and positive) as a `Duration`.
pub fn secs(v: f64) -> Duration {
    Duration::try_from_secs_f64(v).unwrap_or(Duration::from_secs(1))
}

#[cfg(test)]
mod tests;
