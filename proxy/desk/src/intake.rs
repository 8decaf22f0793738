//! What the desk knows about a reported URL before anyone looks at it:
//! its canonical form (the engine's Safe Browsing canonicalisation, the
//! form the proxies match), whether a served list covers it already, and
//! the country its host's address is in.
//!
//! The lists are compiled into one engine [`Snapshot`], rebuilt (never
//! edited) after each listing so the desk's own new entries count too.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use hashwall::lists::{LoadOptions, Loader, TrustStore};
use hashwall::url::CanonicalUrl;
use hashwall::{Action, Engine, ListConfig, Snapshot};

use crate::config::DeskConfig;
use crate::error::{Error, ErrorKind, Result};
use crate::geoip::GeoIp;
use crate::model::{AlreadyListed, NewReport};

/// How long a host name may take to resolve at intake.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(2);
/// Longest e-mail address (RFC 5321's path limit).
const MAX_EMAIL: usize = 254;

/// A reported URL, canonicalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canonical {
    /// The whole canonical URL.
    pub url: String,
    /// Its host.
    pub host: String,
    /// What a `url` entry for it is (host, path and query, no scheme).
    pub entry: String,
}

/// Canonicalise a reported URL as the engine does.
///
/// # Errors
///
/// [`ErrorKind::Invalid`] saying why the engine refuses it.
pub fn canonicalise(given: &str) -> Result<Canonical> {
    let url = CanonicalUrl::parse(given.trim().as_bytes())
        .map_err(|e| Error::new(ErrorKind::Invalid, format!("URL {given:?}: {e}")))?;
    Ok(Canonical {
        url: url.as_str().to_owned(),
        host: url.host().to_owned(),
        entry: format!("{}{}", url.host(), url.path_and_query()),
    })
}

/// Check a report's fields against the configured limits.
///
/// # Errors
///
/// [`ErrorKind::Invalid`] naming the field.
pub fn validate(report: &NewReport, config: &DeskConfig) -> Result<()> {
    let invalid = |m: String| Err(Error::new(ErrorKind::Invalid, m));
    if report.urls.is_empty() {
        return invalid("a report needs at least one URL".into());
    }
    if report.urls.len() > config.max_urls {
        return invalid(format!("at most {} URLs in one report", config.max_urls));
    }
    if let Some(u) = report
        .urls
        .iter()
        .find(|u| u.len() > hashwall::lists::MAX_URL_LEN)
    {
        return invalid(format!(
            "a URL is longer than {} bytes ({} bytes)",
            hashwall::lists::MAX_URL_LEN,
            u.len()
        ));
    }
    if report.description.len() > config.max_description {
        return invalid(format!(
            "the description is longer than {} bytes",
            config.max_description
        ));
    }
    if let Some(e) = &report.email {
        let ok = e.len() <= MAX_EMAIL
            && !e.chars().any(|c| c.is_whitespace() || c.is_control())
            && e.split_once('@')
                .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.contains('@'));
        if !ok {
            return invalid("the e-mail address is not valid".into());
        }
    }
    Ok(())
}

/// The served lists and the desk's own, compiled; the country table.
#[derive(Debug)]
pub struct Checker {
    engine: Engine,
    served: Vec<PathBuf>,
    served_loader: Loader,
    own: Vec<PathBuf>,
    own_loader: Loader,
    geoip: Option<GeoIp>,
    resolve_hosts: bool,
}

impl Checker {
    /// Load the served lists (verified against the configured trust store)
    /// and the desk's own (`own`, verified against `own_trust`).
    ///
    /// # Errors
    ///
    /// A list or the country table cannot be read or does not verify.
    pub fn open(config: &DeskConfig, own: Vec<PathBuf>, own_trust: &TrustStore) -> Result<Checker> {
        let options = LoadOptions {
            allow_unsigned: config.allow_unsigned,
            ..LoadOptions::default()
        };
        let served_loader = Loader::open(config.trust.as_deref(), options)?;
        let geoip = match &config.geoip {
            Some(v4) => Some(GeoIp::load(v4, config.geoip6.as_deref())?),
            None => None,
        };
        let checker = Checker {
            engine: Engine::new(Snapshot::empty()),
            served: config.lists.clone(),
            served_loader,
            own,
            own_loader: Loader::new(own_trust.clone(), LoadOptions::default()),
            geoip,
            resolve_hosts: config.resolve_hosts,
        };
        checker.reload()?;
        Ok(checker)
    }

    /// Rebuild the snapshot from the list files as they are now.
    ///
    /// # Errors
    ///
    /// A list cannot be read or does not verify; the old snapshot stays.
    pub fn reload(&self) -> Result<()> {
        let mut builder = Snapshot::builder();
        let config = ListConfig::default();
        for (loader, paths) in [
            (&self.served_loader, &self.served),
            (&self.own_loader, &self.own),
        ] {
            for path in paths {
                let loaded = loader.load(path)?;
                builder.add_list(&loaded.list, &config).map_err(|e| {
                    Error::new(ErrorKind::Lists, format!("{}: {e}", path.display()))
                })?;
            }
        }
        self.engine.swap(builder.build());
        Ok(())
    }

    /// The blocking lists that cover `canonical` now.
    pub fn listed(&self, canonical: &str) -> Vec<AlreadyListed> {
        let Ok(verdict) = self.engine.check_url(canonical) else {
            return Vec::new();
        };
        verdict
            .matches()
            .iter()
            .filter(|m| m.action() == Action::Block)
            .map(|m| AlreadyListed {
                url: canonical.to_owned(),
                list: m.list().id().to_owned(),
                issuer: m.list().issuer().to_owned(),
                reference: m.reference().map(str::to_owned),
            })
            .collect()
    }

    /// The country of `host`'s address: looked up directly for an address,
    /// after resolving (at most two seconds) for a name when configured.
    pub async fn country(&self, host: &str) -> Option<String> {
        let geoip = self.geoip.as_ref()?;
        let literal = host.trim_start_matches('[').trim_end_matches(']');
        let ip = match literal.parse::<IpAddr>() {
            Ok(ip) => ip,
            Err(_) if self.resolve_hosts => {
                let lookup = tokio::net::lookup_host((host, 80));
                let mut addrs = tokio::time::timeout(RESOLVE_TIMEOUT, lookup)
                    .await
                    .ok()?
                    .ok()?;
                addrs.next()?.ip()
            }
            Err(_) => return None,
        };
        let cc = geoip.country(ip)?;
        Some(String::from_utf8_lossy(&cc).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonicalises_like_the_proxy() {
        let c = canonicalise("  HTTP://Bad.EXAMPLE/a/../b/%41?x=1#frag ").unwrap();
        assert_eq!(c.url, "http://bad.example/b/A?x=1");
        assert_eq!(c.host, "bad.example");
        assert_eq!(c.entry, "bad.example/b/A?x=1");
        assert_eq!(canonicalise("").unwrap_err().kind(), ErrorKind::Invalid);
    }

    #[test]
    fn validates_the_fields() {
        let config = DeskConfig::default();
        let mut r = NewReport {
            urls: vec!["http://a.example/".into()],
            category: crate::model::Category::Csam,
            description: String::new(),
            email: Some("someone@example.org".into()),
            source: crate::model::Source::Public,
        };
        validate(&r, &config).unwrap();
        for bad in ["no-at", "a@b", "a b@example.org", "@example.org"] {
            r.email = Some(bad.into());
            assert!(validate(&r, &config).is_err(), "{bad}");
        }
        r.email = None;
        r.urls = vec!["x".into(); config.max_urls + 1];
        assert!(
            validate(&r, &config)
                .unwrap_err()
                .to_string()
                .contains("at most")
        );
        r.urls.clear();
        assert!(validate(&r, &config).is_err());
    }
}
