//! `REQMOD`: the encapsulated request's URL decided as the proxy decides
//! it ([`decide_url`]); a block replaces the request with the stop page.
//!
//! Squid resolves and connects itself, so the proxy's destination phase
//! (the URL at every resolved address, the destination rules) has no
//! counterpart here.

use hashwall::Snapshot;
use hyper::{Method, StatusCode, Uri};

use super::exchange::{Abort, Exchange};
use super::head::HttpRequestHead;
use super::metrics::IcapOutcome;
use crate::serve::authority::{Authority, UserInfo};
use crate::serve::route::{Decision, Target, decide_url, origin_form_target};
use crate::serve::stop_page::error_page;
use crate::serve::verdicts::{block_page, record};

/// The URL the proxy would check for this request: the absolute-form
/// target, `https://host/` for CONNECT, or `http://Host/path` for
/// origin-form; `None` when there is none.
pub fn target_url(http: &HttpRequestHead) -> Option<String> {
    if http.method == Method::CONNECT {
        let a = Authority::parse(&http.target, UserInfo::Refuse).ok()?;
        let target = Target::Connect {
            host: a.host.to_owned(),
            port: a.port?,
        };
        return Some(target.url());
    }
    if http.target.starts_with('/') {
        let host = http.headers.get(hyper::header::HOST)?.to_str().ok()?;
        Authority::parse(host, UserInfo::Refuse).ok()?;
        let uri: Uri = http.target.parse().ok()?;
        return match origin_form_target(&uri, host) {
            Ok(t) => Some(t.url()),
            Err(_) => None,
        };
    }
    Some(http.target.clone())
}

/// Answers one `REQMOD`.
pub(super) async fn reqmod(
    ex: &mut Exchange<'_>,
    snapshot: &Snapshot,
) -> Result<IcapOutcome, Abort> {
    let shared = ex.shared;
    let on_invalid = shared.config.proxy.on_invalid_url;
    let url = ex.req.http_request.as_ref().and_then(target_url);
    let decision = match &url {
        Some(u) => decide_url(snapshot, u, on_invalid),
        None => match on_invalid {
            crate::serve::config::FailMode::Open => Decision::PassUnchecked,
            crate::serve::config::FailMode::Closed => Decision::Invalid,
        },
    };
    match decision {
        Decision::Pass(verdict) => {
            if !verdict.is_empty() {
                record(shared, ex.client, &verdict, "url", None);
            }
            ex.allow().await?;
            Ok(IcapOutcome::Allowed)
        }
        Decision::PassUnchecked => {
            ex.allow().await?;
            Ok(IcapOutcome::InvalidUrlOpen)
        }
        Decision::Invalid => {
            let page = error_page(StatusCode::BAD_REQUEST, "The address is not a valid URL.");
            ex.replace(page).await?;
            Ok(IcapOutcome::InvalidUrl)
        }
        Decision::Block(verdict) => {
            record(shared, ex.client, &verdict, "url", None);
            match block_page(shared, &verdict) {
                Some(page) => {
                    ex.replace(page).await?;
                    Ok(IcapOutcome::Blocked)
                }
                None => {
                    ex.allow().await?;
                    Ok(IcapOutcome::Allowed)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::HeaderMap;
    use hyper::header::HeaderValue;

    fn head(method: Method, target: &str, host: Option<&'static str>) -> HttpRequestHead {
        let mut headers = HeaderMap::new();
        if let Some(h) = host {
            headers.insert(hyper::header::HOST, HeaderValue::from_static(h));
        }
        HttpRequestHead {
            method,
            target: target.to_owned(),
            headers,
        }
    }

    #[test]
    fn urls_as_the_proxy_checks_them() {
        assert_eq!(
            target_url(&head(Method::GET, "http://a.example/x?y", None)).as_deref(),
            Some("http://a.example/x?y")
        );
        assert_eq!(
            target_url(&head(Method::CONNECT, "a.example:443", None)).as_deref(),
            Some("https://a.example/")
        );
        assert_eq!(
            target_url(&head(Method::CONNECT, "a.example:8443", None)).as_deref(),
            Some("https://a.example:8443/")
        );
        assert_eq!(
            target_url(&head(Method::GET, "/p", Some("b.example:8080"))).as_deref(),
            Some("http://b.example:8080/p")
        );
        assert_eq!(target_url(&head(Method::GET, "/p", None)), None);
        assert_eq!(target_url(&head(Method::CONNECT, "a.example", None)), None);
    }
}
