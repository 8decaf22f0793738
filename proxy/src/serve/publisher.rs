//! Talking to a publisher: the publication directory's URL, the HTTP
//! client, and bounded GETs (a timeout for the whole fetch, a size cap
//! checked before and while the body arrives), with failures named by a
//! fixed reason for the metrics.

use std::time::Duration;

use bytes::Bytes;
use hashwall_lists::{Error, ErrorKind};
use http_body_util::{BodyExt, Empty};
use hyper::{Request, StatusCode, Uri, header};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use super::publication::is_safe_name;

/// A publication directory's URL: `http://host[:port]/path/`.
#[derive(Debug, Clone)]
pub struct BaseUrl {
    pub(crate) base: String,
    pub(crate) name: String,
}

impl BaseUrl {
    /// Parses a `subscribe` value: an `http://` URL without query or user
    /// information; a missing final `/` is added. Its last path segment
    /// (the list id in the publication layout) names the subscription in
    /// logs and metrics.
    pub fn parse(s: &str) -> Result<BaseUrl, String> {
        let uri: Uri = s.parse().map_err(|e| format!("subscribe URL {s:?}: {e}"))?;
        if uri.scheme_str() != Some("http") {
            return Err(format!(
                "subscribe URL {s:?} must be http:// (what it serves is signed)"
            ));
        }
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
            base: format!("http://{auth}{path}"),
            name,
        })
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
pub(crate) struct Failure {
    /// The metric label.
    pub(crate) reason: &'static str,
    /// What happened.
    pub(crate) message: String,
}

pub(crate) fn fail(reason: &'static str, message: impl Into<String>) -> Failure {
    Failure {
        reason,
        message: message.into(),
    }
}

/// The metric reason for a list or delta error.
pub(crate) fn reason_of(e: &Error) -> &'static str {
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
pub type HttpClient = Client<HttpConnector, Empty<Bytes>>;

/// A client whose connects give up after `timeout`.
pub fn http_client(timeout: Duration) -> HttpClient {
    let mut connector = HttpConnector::new();
    connector.set_connect_timeout(Some(timeout));
    connector.set_nodelay(true);
    connector.enforce_http(true);
    Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .timer(TokioTimer::new())
        .pool_idle_timeout(Duration::from_secs(90))
        .build(connector)
}

/// A fetched file, or "unchanged" for a conditional request.
pub(crate) enum Fetched {
    /// 304: the `ETag` sent still matches.
    NotModified,
    /// The body and its `ETag`.
    Body(Bytes, Option<String>),
}

/// GETs `file` from the publication directory `url`, at most `cap`
/// bytes, within `timeout` (connect included).
pub(crate) async fn fetch(
    client: &HttpClient,
    url: &BaseUrl,
    timeout: Duration,
    file: &str,
    etag: Option<&str>,
    cap: u64,
) -> Result<Fetched, Failure> {
    let uri = url.join(file).map_err(|e| fail("invalid", e))?;
    let what = uri.to_string();
    let work = async {
        let mut req = Request::get(uri).header(header::USER_AGENT, "hashwall-subscribe");
        if let Some(e) = etag {
            req = req.header(header::IF_NONE_MATCH, e);
        }
        let req = req
            .body(Empty::new())
            .map_err(|e| fail("invalid", format!("{what}: {e}")))?;
        let resp = client
            .request(req)
            .await
            .map_err(|e| fail("unreachable", format!("{what}: {e}")))?;
        match resp.status() {
            StatusCode::OK => {}
            StatusCode::NOT_MODIFIED if etag.is_some() => return Ok(Fetched::NotModified),
            StatusCode::NOT_FOUND => return Err(fail("not_found", format!("{what}: 404"))),
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
            let frame = frame.map_err(|e| fail("unreachable", format!("{what}: {e}")))?;
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
        for bad in [
            "https://lists.example/x/",
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
