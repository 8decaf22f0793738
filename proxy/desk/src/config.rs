//! The desk's configuration: one struct, every limit in it.
//!
//! `hashwall desk` reads it from a TOML file (`[desk]` keys below); with no
//! file, [`DeskConfig::default`] serves on `127.0.0.1:8090` with everything
//! under `./desk-data/`.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

/// The desk's configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeskConfig {
    /// Where the web pages and the JSON API listen.
    pub listen: SocketAddr,
    /// `sqlite://FILE` (created when missing) or `postgres://…`. Empty:
    /// `sqlite://<data_dir>/desk.db`.
    pub database: String,
    /// The desk's files: its signing key, its lists and their audit logs,
    /// the publication directory.
    pub data_dir: PathBuf,
    /// The issuer name the desk signs its lists as.
    pub issuer: String,
    /// The desk's list ids start with this; one list per category
    /// (`<list_id>-csam`, `<list_id>-terrorism`, `<list_id>-other`).
    pub list_id: String,
    /// The desk's jurisdiction (ISO 3166 code, or `INT`).
    pub jurisdiction: String,
    /// Lists already served (by the proxies and APIs this desk feeds), to
    /// tell at intake that a URL is listed already.
    pub lists: Vec<PathBuf>,
    /// The trust store the served lists verify against.
    pub trust: Option<PathBuf>,
    /// Accept unsigned served lists (tests, local lists).
    pub allow_unsigned: bool,
    /// The IPv4 IP-to-country table (Debian `tor-geoipdb`:
    /// `/usr/share/tor/geoip`); `None`: no country lookup.
    pub geoip: Option<PathBuf>,
    /// The IPv6 table (`/usr/share/tor/geoip6`).
    pub geoip6: Option<PathBuf>,
    /// Resolve hosts to find their country (off: only IP-address hosts).
    pub resolve_hosts: bool,
    /// Minutes an opened report stays locked to its analyst.
    pub lock_minutes: u32,
    /// Days a reporter's e-mail address is kept at most.
    pub email_retention_days: u32,
    /// Days after closing before a report's URLs are anonymised (its
    /// counts stay in the statistics).
    pub report_retention_days: u32,
    /// Most URLs in one report.
    pub max_urls: usize,
    /// Longest description, in bytes.
    pub max_description: usize,
    /// Failed logins in a row before an account is locked.
    pub max_failed_logins: u32,
    /// Minutes an account stays locked after too many failures.
    pub lockout_minutes: u32,
    /// Public reports per client address per minute (the address is kept
    /// only as a salted hash, in memory).
    pub intake_per_minute: u32,
    /// Serve aggregate statistics at `/public-stats`.
    pub public_stats: bool,
    /// Mark session cookies `Secure` (off only behind plain HTTP on
    /// loopback, as the default listener is).
    pub secure_cookies: bool,
    /// Hours a staff session lasts.
    pub session_hours: u32,
    /// Largest request body, in bytes.
    pub max_body: usize,
}

impl Default for DeskConfig {
    fn default() -> Self {
        DeskConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8090)),
            database: String::new(),
            data_dir: PathBuf::from("desk-data"),
            issuer: "desk".into(),
            list_id: "desk".into(),
            jurisdiction: "INT".into(),
            lists: Vec::new(),
            trust: None,
            allow_unsigned: false,
            geoip: None,
            geoip6: None,
            resolve_hosts: true,
            lock_minutes: 60,
            email_retention_days: 30,
            report_retention_days: 365,
            max_urls: 50,
            max_description: 4000,
            max_failed_logins: 5,
            lockout_minutes: 15,
            intake_per_minute: 10,
            public_stats: false,
            secure_cookies: false,
            session_hours: 8,
            max_body: 64 * 1024,
        }
    }
}

impl DeskConfig {
    /// The database URL: [`DeskConfig::database`] or the SQLite file in
    /// the data directory.
    pub fn database_url(&self) -> String {
        if self.database.is_empty() {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("desk.db").display()
            )
        } else {
            self.database.clone()
        }
    }

    /// The desk's secret signing key.
    pub fn key_path(&self) -> PathBuf {
        self.data_dir.join("desk.key")
    }

    /// The trust store holding the desk's own public key (what subscribers
    /// of its publication add to theirs).
    pub fn own_trust_path(&self) -> PathBuf {
        self.data_dir.join("desk.trust")
    }

    /// The directory of the desk's list files (and their audit logs).
    pub fn lists_dir(&self) -> PathBuf {
        self.data_dir.join("lists")
    }

    /// The publication directory subscribers poll (serve it with any
    /// static web server, or `hashwall lists publish serve`).
    pub fn publication_dir(&self) -> PathBuf {
        self.data_dir.join("publication")
    }

    /// The list id for `category`.
    pub fn list_id_for(&self, category: crate::model::Category) -> String {
        format!("{}-{}", self.list_id, category.as_str())
    }

    /// The list file for `category`.
    pub fn list_path_for(&self, category: crate::model::Category) -> PathBuf {
        self.lists_dir()
            .join(format!("{}.hwl", self.list_id_for(category)))
    }
}
