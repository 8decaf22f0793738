//! Fetching media by URL for `GET /h/hash?url=` and `GET /m/lookup?url=`,
//! only from the hosts the operator lists in `api.fetch_hosts`.
//!
//! An API that fetches whatever URL a client names is a server-side request
//! forgery vector: a client points it at an internal address and reads the
//! answer (or its timing). Here a URL is fetched only when its host is on
//! the operator's list; an empty list (the default) turns fetching off.
//! Redirects are not followed (a redirect could leave the list), the body
//! is capped at `api.max_body_bytes`, and the whole exchange at
//! `api.fetch_timeout_secs`. The bytes themselves travel through
//! [`crate::serve::publisher::get`], the one bounded GET of the service.

use axum::body::Bytes;
use hyper::Uri;

use super::errors::ApiError;
use crate::serve::config::{ApiConfig, secs};
use crate::serve::publisher::{Fetched, Get, HttpClient, Transport, get, http_client};
use crate::serve::transport::client_config;

/// The hosts a fetch may reach, as the operator wrote them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchHosts {
    exact: Vec<String>,
    suffixes: Vec<String>,
}

impl FetchHosts {
    /// The list from `api.fetch_hosts` (validated at start: lower case
    /// names, `.domain` suffixes, IP literals).
    pub fn new(entries: &[String]) -> FetchHosts {
        let (suffixes, exact) = entries.iter().cloned().partition(|e| e.starts_with('.'));
        FetchHosts { exact, suffixes }
    }

    /// Whether no host is allowed (fetching is off).
    pub fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.suffixes.is_empty()
    }

    /// Whether `host` (as a URI gives it: IPv6 in brackets) may be
    /// fetched from. Names compare case-insensitively, without a final dot.
    pub fn allows(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.exact.contains(&host)
            || self
                .suffixes
                .iter()
                .any(|s| host.len() > s.len() && host.ends_with(s.as_str()))
    }
}

/// The fetcher: the allowed hosts, a client and the limits.
#[derive(Debug)]
pub struct MediaFetcher {
    hosts: FetchHosts,
    client: HttpClient,
    cap: u64,
    timeout: std::time::Duration,
}

impl MediaFetcher {
    /// The fetcher `config` describes; `https://` is verified against
    /// Mozilla's roots.
    ///
    /// # Errors
    ///
    /// When the TLS configuration cannot be built.
    pub fn new(config: &ApiConfig) -> Result<MediaFetcher, String> {
        let transport = Transport {
            tls: client_config(None)?,
            token_file: None,
            https_only: false,
        };
        let timeout = secs(config.fetch_timeout_secs);
        Ok(MediaFetcher {
            hosts: FetchHosts::new(&config.fetch_hosts),
            client: http_client(timeout, &transport),
            cap: config.max_body_bytes as u64,
            timeout,
        })
    }

    /// The bytes at `url`.
    ///
    /// # Errors
    ///
    /// 400 when fetching is off, the URL is not `http(s)://host/…` or its
    /// host is not allowed; 413 over the size cap; 422 when the fetch
    /// fails (unreachable, timeout, a status other than 200).
    pub async fn fetch(&self, url: &str) -> Result<Bytes, ApiError> {
        if self.hosts.is_empty() {
            return Err(fetch_off());
        }
        let uri = self.allowed_uri(url)?;
        let req = Get {
            uri,
            token: None,
            etag: None,
            cap: self.cap,
            timeout: self.timeout,
            agent: "hashwall-api",
        };
        match get(&self.client, req).await {
            Ok(Fetched::Body(bytes, _)) => Ok(bytes),
            Ok(Fetched::NotModified) => Err(ApiError::unprocessable(
                "fetch_failed",
                format!("{url}: unexpected 304"),
            )),
            Err(f) if f.reason == "too_large" => Err(ApiError::too_large(
                "media_too_large",
                format!("{url}: over api.max_body_bytes = {}", self.cap),
            )),
            Err(f) => Err(ApiError::unprocessable("fetch_failed", f.message)),
        }
    }

    fn allowed_uri(&self, url: &str) -> Result<Uri, ApiError> {
        let bad = |why: &str| ApiError::bad_request("invalid_url", format!("url {url:?}: {why}"));
        let uri: Uri = url.parse().map_err(|_| bad("not a URL"))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) {
            return Err(bad("only http:// and https:// are fetched"));
        }
        let Some(authority) = uri.authority() else {
            return Err(bad("no host"));
        };
        if authority.as_str().contains('@') {
            return Err(bad("user information is not allowed"));
        }
        if !self.hosts.allows(authority.host()) {
            return Err(ApiError::bad_request(
                "url_not_allowed",
                format!(
                    "host {:?} is not in api.fetch_hosts: only the operator's hosts are fetched",
                    authority.host()
                ),
            ));
        }
        Ok(uri)
    }
}

/// The answer when `api.fetch_hosts` is empty.
fn fetch_off() -> ApiError {
    ApiError::bad_request(
        "url_fetch_disabled",
        "fetching media by url is off (api.fetch_hosts is empty; an open fetcher would be a \
         server-side request forgery vector): upload the file with POST instead",
    )
}

#[cfg(test)]
mod tests {
    use super::FetchHosts;

    #[test]
    fn hosts_match_exactly_or_under_a_suffix() {
        let hosts = FetchHosts::new(&[
            "media.example.org".into(),
            ".cdn.example.net".into(),
            "127.0.0.1".into(),
            "[::1]".into(),
        ]);
        let rows = [
            ("media.example.org", true),
            ("MEDIA.Example.org.", true),
            ("x.media.example.org", false),
            ("example.org", false),
            ("a.cdn.example.net", true),
            ("a.b.cdn.example.net", true),
            ("cdn.example.net", false),
            ("evilcdn.example.net", false),
            ("127.0.0.1", true),
            ("127.0.0.2", false),
            ("[::1]", true),
            ("[::2]", false),
        ];
        for (host, allowed) in rows {
            assert_eq!(hosts.allows(host), allowed, "{host}");
        }
        assert!(FetchHosts::new(&[]).is_empty());
    }
}
