//! Talking to a publisher: the publication directory's URL, the HTTP(S)
//! client with its bearer token, and bounded GETs (a timeout for the whole
//! fetch, a size cap checked before and while the body arrives), with
//! failures named by a fixed reason for the metrics.
//!
//! The one place hashwall fetches from a publisher: the proxy's
//! subscriptions ([`super::subscribe`]) use it, and so does any service
//! that follows a publisher. What to fetch is the library's planner's
//! decision ([`hashwall_lists::publication::plan`]); this module only
//! moves bytes.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hashwall_lists::{Error, ErrorKind};
use http_body_util::{BodyExt, Empty};
use hyper::{Request, StatusCode, Uri, header};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use hashwall_lists::publication::is_safe_name;

use super::transport::{Token, client_config, error_chain, is_tls_error};

/// A publication directory's URL: `http[s]://host[:port]/path/`.
#[derive(Debug, Clone)]
pub struct BaseUrl {
    pub(crate) base: String,
    pub(crate) name: String,
    pub(crate) https: bool,
}

impl BaseUrl {
    /// Parses a `subscribe` value: an `https://` (or `http://`) URL without
    /// query or user information; a missing final `/` is added. Its last
    /// path segment (the list id in the publication layout) names the
    /// subscription in logs and metrics.
    pub fn parse(s: &str) -> Result<BaseUrl, String> {
        let uri: Uri = s.parse().map_err(|e| format!("subscribe URL {s:?}: {e}"))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => {
                return Err(format!("subscribe URL {s:?} must be https:// (or http://)"));
            }
        };
        let Some(auth) = uri.authority() else {
            return Err(format!("subscribe URL {s:?} has no host"));
        };
        if auth.as_str().contains('@') || uri.query().is_some() {
            return Err(format!(
                "subscribe URL {s:?} must have no user information and no query"
            ));
        }
        let mut path = uri.path().to_owned();
        if !path.ends_with('/') {
            path.push('/');
        }
        let name = path
            .rsplit('/')
            .find(|seg| !seg.is_empty())
            .filter(|seg| is_safe_name(seg))
            .unwrap_or_else(|| auth.host())
            .to_owned();
        Ok(BaseUrl {
            base: format!("{}://{auth}{path}", if https { "https" } else { "http" }),
            name,
            https,
        })
    }

    /// Whether it is an `https://` URL.
    pub fn is_https(&self) -> bool {
        self.https
    }

    /// The URL of `file` in the directory.
    pub fn join(&self, file: &str) -> Result<Uri, String> {
        format!("{}{file}", self.base)
            .parse()
            .map_err(|e| format!("{}{file}: {e}", self.base))
    }
}

/// Why a poll failed: a fixed `reason` (the metric label) and the details.
#[derive(Debug)]
pub struct Failure {
    /// The metric label.
    pub reason: &'static str,
    /// What happened.
    pub message: String,
}

/// A failure with `reason` (a metric label) and `message`.
pub fn fail(reason: &'static str, message: impl Into<String>) -> Failure {
    Failure {
        reason,
        message: message.into(),
    }
}

/// The metric reason for a list or delta error.
pub fn reason_of(e: &Error) -> &'static str {
    match e.kind() {
        ErrorKind::BadSignature => "bad_signature",
        ErrorKind::UntrustedKey => "untrusted_key",
        ErrorKind::RetiredKey => "retired_key",
        ErrorKind::FutureDated => "future_dated",
        ErrorKind::Unsigned => "unsigned",
        ErrorKind::Expired => "expired",
        ErrorKind::Rollback => "rollback",
        ErrorKind::Replay => "replay",
        ErrorKind::SequenceGap => "gap",
        ErrorKind::WrongList => "wrong_list",
        ErrorKind::Truncated => "truncated",
        _ => "invalid",
    }
}

/// The HTTP client of a subscription's poller.
pub type HttpClient = Client<HttpsConnector<HttpConnector>, Empty<Bytes>>;

/// How a subscription reaches its publisher: the TLS configuration (its
/// trust roots) and the bearer token's file, if any.
#[derive(Debug, Clone)]
pub struct Transport {
    /// Verifies the publisher's certificate on `https://`.
    pub tls: Arc<rustls::ClientConfig>,
    /// The file of the token sent as `Authorization: Bearer …`.
    pub token_file: Option<PathBuf>,
    /// Only `https://` connections (an `https://` subscription): a plain
    /// one is refused by the connector, never attempted.
    pub https_only: bool,
}

impl Transport {
    /// The transport to `url` trusting the CAs in `ca_file` (default:
    /// Mozilla's roots) and sending the token in `token_file`: reads the
    /// CA file, and the token file once to check it.
    pub fn new(
        url: &BaseUrl,
        ca_file: Option<&Path>,
        token_file: Option<&Path>,
    ) -> Result<Transport, String> {
        let tls = client_config(ca_file).map_err(|e| format!("ca_file {e}"))?;
        if let Some(f) = token_file {
            Token::read_file(f)?;
        }
        Ok(Transport {
            tls,
            token_file: token_file.map(Path::to_path_buf),
            https_only: url.is_https(),
        })
    }

    /// The token to send, read afresh (at each poll, so a rotated token
    /// needs no restart); failure reason `token_file`.
    pub fn token(&self) -> Result<Option<Token>, Failure> {
        self.token_file
            .as_deref()
            .map(Token::read_file)
            .transpose()
            .map_err(|e| fail("token_file", e))
    }
}

/// A client whose connects give up after `timeout`.
pub fn http_client(timeout: Duration, transport: &Transport) -> HttpClient {
    let mut connector = HttpConnector::new();
    connector.set_connect_timeout(Some(timeout));
    connector.set_nodelay(true);
    // The TLS layer sees `https://` URIs through it.
    connector.enforce_http(false);
    let tls = HttpsConnectorBuilder::new().with_tls_config((*transport.tls).clone());
    let tls = if transport.https_only {
        tls.https_only()
    } else {
        tls.https_or_http()
    };
    Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .timer(TokioTimer::new())
        .pool_idle_timeout(Duration::from_secs(90))
        .build(tls.enable_http1().wrap_connector(connector))
}

/// A fetched file, or "unchanged" for a conditional request.
pub enum Fetched {
    /// 304: the `ETag` sent still matches.
    NotModified,
    /// The body and its `ETag`.
    Body(Bytes, Option<String>),
}

/// GETs `file` from the publication directory `url`, at most `cap`
/// bytes, within `timeout` (connect included).
pub async fn fetch(
    client: &HttpClient,
    token: Option<&Token>,
    url: &BaseUrl,
    timeout: Duration,
    file: &str,
    etag: Option<&str>,
    cap: u64,
) -> Result<Fetched, Failure> {
    let uri = url.join(file).map_err(|e| fail("invalid", e))?;
    get(
        client,
        Get {
            uri,
            token,
            etag,
            cap,
            timeout,
            agent: "hashwall-subscribe",
        },
    )
    .await
}

/// One bounded GET: where, with what, and within which limits.
#[derive(Debug)]
pub struct Get<'a> {
    /// The URL (`http://` or `https://`, as the client allows).
    pub uri: Uri,
    /// Sent as `Authorization: Bearer …`.
    pub token: Option<&'a Token>,
    /// Sent as `If-None-Match`; a 304 is then [`Fetched::NotModified`].
    pub etag: Option<&'a str>,
    /// The largest body accepted, checked against `Content-Length` and
    /// while the body arrives.
    pub cap: u64,
    /// For the whole exchange, connect included.
    pub timeout: Duration,
    /// The `User-Agent`.
    pub agent: &'static str,
}

/// Performs `req`: only a `200` (or a `304` to a conditional request) is
/// a success; redirects are not followed.
pub async fn get(client: &HttpClient, req: Get<'_>) -> Result<Fetched, Failure> {
    let Get {
        uri,
        token,
        etag,
        cap,
        timeout,
        agent,
    } = req;
    let what = uri.to_string();
    let work = async {
        let mut req = Request::get(uri).header(header::USER_AGENT, agent);
        if let Some(e) = etag {
            req = req.header(header::IF_NONE_MATCH, e);
        }
        if let Some(t) = token {
            let v = t
                .header_value()
                .map_err(|e| fail("invalid", format!("{what}: {e}")))?;
            req = req.header(header::AUTHORIZATION, v);
        }
        let req = req
            .body(Empty::new())
            .map_err(|e| fail("invalid", format!("{what}: {e}")))?;
        let resp = client.request(req).await.map_err(|e| {
            let reason = if is_tls_error(&e) {
                "tls"
            } else {
                "unreachable"
            };
            fail(reason, format!("{what}: {}", error_chain(&e)))
        })?;
        match resp.status() {
            StatusCode::OK => {}
            StatusCode::NOT_MODIFIED if etag.is_some() => return Ok(Fetched::NotModified),
            StatusCode::NOT_FOUND => return Err(fail("not_found", format!("{what}: 404"))),
            s @ (StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) => {
                let sent = if token.is_some() {
                    "the token was refused"
                } else {
                    "no token_file configured"
                };
                return Err(fail("unauthorized", format!("{what}: HTTP {s} ({sent})")));
            }
            s => return Err(fail("http_status", format!("{what}: HTTP {s}"))),
        }
        let too_large = || fail("too_large", format!("{what}: over max_bytes = {cap}"));
        let declared = resp
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > cap) {
            return Err(too_large());
        }
        let tag = resp
            .headers()
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut body = resp.into_body();
        let mut buf = Vec::with_capacity(declared.map_or(0, |n| n.min(1 << 24) as usize));
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| {
                let reason = if is_tls_error(&e) {
                    "tls"
                } else {
                    "unreachable"
                };
                fail(reason, format!("{what}: {}", error_chain(&e)))
            })?;
            if let Ok(data) = frame.into_data() {
                if (buf.len() + data.len()) as u64 > cap {
                    return Err(too_large());
                }
                buf.extend_from_slice(&data);
            }
        }
        Ok(Fetched::Body(Bytes::from(buf), tag))
    };
    tokio::time::timeout(timeout, work).await.map_err(|_| {
        fail(
            "timeout",
            format!("{what}: no complete answer within {:?}", timeout),
        )
    })?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        let u = BaseUrl::parse("http://127.0.0.1:8080/police-nl").map_err(|e| e.to_string());
        let u = u.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(u.base, "http://127.0.0.1:8080/police-nl/");
        assert_eq!(u.name, "police-nl");
        assert_eq!(
            u.join("manifest").map(|x| x.to_string()).ok().as_deref(),
            Some("http://127.0.0.1:8080/police-nl/manifest")
        );
        let root = BaseUrl::parse("http://lists.example/").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(root.name, "lists.example");
        assert!(!root.is_https());
        let tls =
            BaseUrl::parse("https://lists.example:8443/police").unwrap_or_else(|e| panic!("{e}"));
        assert!(tls.is_https());
        assert_eq!(tls.base, "https://lists.example:8443/police/");
        assert_eq!(tls.name, "police");
        for bad in [
            "https://user@lists.example/x/",
            "ftp://lists.example/x/",
            "http://user:pw@lists.example/x/",
            "http://lists.example/x/?q=1",
            "/x/",
            "not a url",
        ] {
            assert!(BaseUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
