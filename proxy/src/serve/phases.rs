//! The proxy as explicit phases, each a small function (as in pingora):
//!
//! 1. **accept** — the client's address against the ACL (per connection, in
//!    `mod.rs`; a refused client gets 403 on every request);
//! 2. **request filter** — proxy authentication, the request target
//!    (absolute-form, CONNECT authority, or `Host` in transparent mode),
//!    loops, CONNECT ports, framing sanity;
//! 3. **decide** — the URL against the current snapshot: block (451),
//!    monitor (count, pass), allow / no match (pass), invalid (fail closed or
//!    open);
//! 4. **upstream** — the pooled client for HTTP, a TCP tunnel for CONNECT;
//! 5. **response filter** — hop-by-hop removal and `Via` on the way back;
//!    then an image body is held back and hashed (bounded, on the scan
//!    pool, see [`super::images`]) before it is released to the client.

// A phase's `Err` is the early response itself (403, 407, 451…): returning
// it by value keeps the phases plain functions and costs no allocation.
#![allow(clippy::result_large_err)]

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

use bytes::Bytes;
use hashwall::{Action, Snapshot, Verdict};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::client_body::{ClientBody, client_body_failed};
use super::config::secs;
use super::headers::{add_via, remove_hop_by_hop};
use super::images::{self, Filtered};
use super::metrics::Outcome;
use super::ranges;
use super::route::{Decision, Refusal, Target, decide_url, route, upstream_head};
use super::stop_page::{error_page, full};
use super::upstream::{Activity, DeadlineBody, TrackedIo, is_timeout};
use super::{ProxyBody, Shared};

/// What the proxy knows about one client connection.
#[derive(Debug)]
pub struct ConnInfo {
    /// The client's address.
    pub peer: SocketAddr,
    /// Whether the client ACL allows it (decided once, at accept).
    pub allowed: bool,
}

/// An early answer from a phase, with its outcome for the metrics.
type Early = (Outcome, Response<ProxyBody>);

/// Handles one request through every phase. Never fails: every error
/// becomes a response.
pub async fn handle(
    shared: Arc<Shared>,
    conn: Arc<ConnInfo>,
    req: Request<Incoming>,
) -> Result<Response<ProxyBody>, Infallible> {
    let start = Instant::now();
    let method = req.method().clone();
    let connect = method == Method::CONNECT;
    let (outcome, mut resp) = match run_phases(&shared, &conn, req).await {
        Ok(done) | Err(done) => done,
    };
    if connect && !resp.status().is_success() {
        // The framing guard stops following a connection at a CONNECT (see
        // `framing`), and with it the request-head timeout: unless it
        // became a tunnel, no more HTTP on it.
        resp.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    shared.metrics.request(&method, outcome, start.elapsed());
    Ok(resp)
}

async fn run_phases(
    shared: &Arc<Shared>,
    conn: &ConnInfo,
    req: Request<Incoming>,
) -> Result<Early, Early> {
    if !conn.allowed {
        let mut resp = error_page(
            StatusCode::FORBIDDEN,
            "This proxy does not serve your network.",
        );
        // Do not keep a refused client's connection open.
        resp.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return Err((Outcome::ClientDenied, resp));
    }
    let target = request_filter(shared, &req)?;
    let url = target.url();
    // One snapshot for the whole exchange: the URL and, later, an image in
    // the response are checked against the same lists.
    let snapshot = shared.lists.engine().snapshot();
    let unchecked = decide(shared, conn, &snapshot, &url)?;
    match target {
        Target::Connect { host, port } => tunnel(shared, req, host, port).await,
        Target::Http(uri) => forward(shared, conn, snapshot, req, uri, unchecked).await,
    }
}

/// Phase 2: authentication, the target, loops, ports, framing
/// ([`route`]), with a refusal turned into its response.
fn request_filter(shared: &Shared, req: &Request<Incoming>) -> Result<Target, Early> {
    let config = &shared.config;
    let refusal = match route(config, req.method(), req.uri(), req.headers(), |h, p| {
        shared.is_self(h, p)
    }) {
        Ok(target) => return Ok(target),
        Err(r) => r,
    };
    Err(match refusal {
        Refusal::AuthRequired => {
            let realm = config
                .auth
                .as_ref()
                .map_or("hashwall", |a| a.realm.as_str());
            let mut resp = error_page(
                StatusCode::PROXY_AUTHENTICATION_REQUIRED,
                "This proxy needs a user name and password.",
            );
            if let Ok(v) =
                HeaderValue::from_str(&format!("Basic realm=\"{realm}\", charset=\"UTF-8\""))
            {
                resp.headers_mut().insert(header::PROXY_AUTHENTICATE, v);
            }
            (Outcome::AuthRequired, resp)
        }
        Refusal::BadRequest(status, msg) => (Outcome::BadRequest, error_page(status, msg)),
        Refusal::Forbidden(msg) => forbidden(msg),
    })
}

fn forbidden(msg: &str) -> Early {
    (Outcome::Forbidden, error_page(StatusCode::FORBIDDEN, msg))
}

/// Phase 3: the verdict ([`decide_url`]), recorded. `Ok(true)` lets an
/// invalid URL through unchecked (fail-open), `Ok(false)` passes a checked
/// one.
fn decide(shared: &Shared, conn: &ConnInfo, snapshot: &Snapshot, url: &str) -> Result<bool, Early> {
    match decide_url(snapshot, url, shared.config.proxy.on_invalid_url) {
        Decision::PassUnchecked => Ok(true),
        Decision::Invalid => Err((
            Outcome::InvalidUrl,
            error_page(StatusCode::BAD_REQUEST, "The address is not a valid URL."),
        )),
        Decision::Pass(verdict) => {
            if !verdict.is_empty() {
                record(shared, conn, &verdict, "url");
            }
            Ok(false)
        }
        Decision::Block(verdict) => {
            record(shared, conn, &verdict, "url");
            match block_page(shared, &verdict) {
                Some(page) => Err((Outcome::Blocked, page)),
                None => Ok(false),
            }
        }
    }
}

/// The 451 stop page when `verdict` blocks (named after its first blocking
/// match), else `None`.
fn block_page(shared: &Shared, verdict: &Verdict) -> Option<Response<ProxyBody>> {
    if verdict.action() != Action::Block {
        return None;
    }
    let m = verdict
        .matches()
        .iter()
        .find(|m| m.action() == Action::Block)?;
    Some(shared.stop_page.response(m))
}

/// Counts and logs every match of a verdict; `subject` says what was
/// checked (`url`, `image`).
fn record(shared: &Shared, conn: &ConnInfo, verdict: &Verdict, subject: &'static str) {
    let action = verdict.action();
    let client = shared
        .config
        .log
        .client_address
        .then(|| conn.peer.ip().to_string());
    for m in verdict.matches() {
        let l = m.list();
        let category = l.category().to_string();
        let asked = m.action().as_str();
        shared.metrics.decision(l.id(), &category, asked);
        shared.stats.record(l.id(), &category, asked);
        // The reference goes to the operator's log (never to the page).
        tracing::info!(
            target: "hashwall::decision",
            decision = action.as_str(),
            list = l.id(),
            issuer = l.issuer(),
            category = %category,
            list_action = asked,
            subject,
            kind = m.kind().as_str(),
            reference = m.reference(),
            client = client.as_deref(),
            "list match"
        );
    }
}

/// Phase 4a: an HTTP exchange through the pooled client.
async fn forward(
    shared: &Arc<Shared>,
    conn: &ConnInfo,
    snapshot: Arc<Snapshot>,
    req: Request<Incoming>,
    uri: Uri,
    unchecked: bool,
) -> Result<Early, Early> {
    let config = &shared.config;
    let deadline = tokio::time::Instant::now() + secs(config.timeouts.exchange_secs);
    let (mut parts, body) = req.into_parts();
    let method = parts.method.clone();
    upstream_head(&mut parts, uri, &config.proxy, conn.peer.ip());
    let refetch = ranges::Refetch::capture(&shared.images, &parts);
    let upstream_req = Request::from_parts(parts, ClientBody::wrap(body));
    let result = tokio::time::timeout_at(deadline, shared.client.request(upstream_req)).await;
    let resp = match result {
        Ok(Ok(resp)) => resp,
        Ok(Err(e)) if client_body_failed(&e) => {
            tracing::debug!(error = %e, "client request body malformed");
            let mut resp = error_page(StatusCode::BAD_REQUEST, "The request body is malformed.");
            resp.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return Err((Outcome::BadRequest, resp));
        }
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "upstream request failed");
            return Err(upstream_failure(is_timeout(&e)));
        }
        Err(_) => return Err(upstream_failure(true)),
    };
    if resp.status() == StatusCode::SWITCHING_PROTOCOLS {
        // `Upgrade` is hop-by-hop and never forwarded, so a 101 is a broken
        // or hostile server; relaying it would switch the client connection
        // to a protocol nobody filters.
        tracing::debug!("upstream answered 101 to a request without Upgrade");
        return Err(upstream_failure(false));
    }
    let (mut parts, body) = resp.into_parts();
    response_filter(shared, &mut parts);
    let outcome = if unchecked {
        Outcome::InvalidUrlOpen
    } else {
        Outcome::Forwarded
    };
    let body = DeadlineBody::new(body, deadline);
    let filtered = if parts.status == StatusCode::PARTIAL_CONTENT {
        // A slice of an image is decided on the whole object.
        let upstream = ranges::Upstream::new(&shared.client, &config.proxy.via_pseudonym, deadline);
        ranges::Partial::new(&shared.images, snapshot, &method, refetch, upstream)
            .decide(
                &mut parts,
                body.boxed_unsync(),
                |verdict| record(shared, conn, verdict, "image"),
                |o| shared.metrics.image(o),
            )
            .await
    } else {
        let Some(options) = images::wants_scan(
            &shared.images,
            &snapshot,
            &method,
            parts.status,
            &parts.headers,
        ) else {
            return Ok((outcome, Response::from_parts(parts, body.boxed_unsync())));
        };
        images::filter(
            &shared.images,
            Arc::clone(&snapshot),
            options,
            &parts.headers,
            body,
            |verdict| record(shared, conn, verdict, "image"),
            |o| shared.metrics.image(o),
        )
        .await
    };
    match filtered {
        Filtered::Pass(body) => Ok((outcome, Response::from_parts(parts, body))),
        Filtered::Blocked(verdict) => match block_page(shared, &verdict) {
            Some(page) => Err((Outcome::Blocked, page)),
            None => Err((
                Outcome::ImageUnscannable,
                error_page(StatusCode::FORBIDDEN, "This image is withheld."),
            )),
        },
        Filtered::Refused(page) => Err((Outcome::ImageUnscannable, page)),
        Filtered::UpstreamError(e) => {
            tracing::debug!(error = %e, "upstream body failed while an image was held back");
            Err(upstream_failure(is_timeout(&*e)))
        }
    }
}

/// Phase 5: the response on its way back.
fn response_filter(shared: &Shared, parts: &mut hyper::http::response::Parts) {
    remove_hop_by_hop(&mut parts.headers);
    add_via(&mut parts.headers, &shared.config.proxy.via_pseudonym);
}

fn upstream_failure(timeout: bool) -> Early {
    if timeout {
        (
            Outcome::UpstreamTimeout,
            error_page(
                StatusCode::GATEWAY_TIMEOUT,
                "The server did not answer in time.",
            ),
        )
    } else {
        (
            Outcome::UpstreamError,
            error_page(StatusCode::BAD_GATEWAY, "The server could not be reached."),
        )
    }
}

/// Phase 4b: CONNECT. The target is connected first, so an unreachable one
/// gets 502/504 instead of a tunnel that closes at once; then 200, and the
/// bytes are copied both ways until either side closes or the tunnel idles.
async fn tunnel(
    shared: &Arc<Shared>,
    mut req: Request<Incoming>,
    host: String,
    port: u16,
) -> Result<Early, Early> {
    let connect = TcpStream::connect((strip_brackets(&host), port));
    let stream =
        match tokio::time::timeout(secs(shared.config.timeouts.connect_secs), connect).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "CONNECT target unreachable");
                return Err(upstream_failure(e.kind() == std::io::ErrorKind::TimedOut));
            }
            Err(_) => return Err(upstream_failure(true)),
        };
    let _ = stream.set_nodelay(true);
    let on_upgrade = hyper::upgrade::on(&mut req);
    let idle = secs(shared.config.timeouts.idle_secs);
    let metrics = Arc::clone(&shared.metrics);
    let drain = shared.drain.clone();
    tokio::spawn(async move {
        // Shutdown waits (bounded) for tunnels too.
        let _drain = drain;
        let upgraded = match on_upgrade.await {
            Ok(u) => u,
            Err(e) => {
                tracing::debug!(error = %e, "CONNECT upgrade failed");
                return;
            }
        };
        metrics.tunnels_open.fetch_add(1, Relaxed);
        let activity = Activity::new();
        let mut client = TokioIo::new(upgraded);
        let mut server = TrackedIo::new(stream, Arc::clone(&activity));
        tokio::select! {
            r = tokio::io::copy_bidirectional(&mut client, &mut server) => {
                if let Err(e) = r {
                    tracing::debug!(error = %e, "tunnel ended with an error");
                }
            }
            () = activity.idle_for(idle) => tracing::debug!("tunnel idle, closed"),
        }
        metrics.tunnels_open.fetch_sub(1, Relaxed);
    });
    Ok((Outcome::Tunnel, Response::new(full(Bytes::new()))))
}

/// `[::1]` → `::1` for the socket API.
fn strip_brackets(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// Whether `host:port` names one of our own listeners (a loop).
pub fn names_listener(host: &str, port: u16, listener: SocketAddr) -> bool {
    if port != listener.port() {
        return false;
    }
    let host = strip_brackets(host);
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(ip) => ip == listener.ip() || ip.is_loopback() || ip.is_unspecified(),
        Err(_) => false,
    }
}
