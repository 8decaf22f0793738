//! The proxy as explicit phases, each a small function (as in pingora):
//!
//! 1. **accept** — the client's address against the ACL (per connection, in
//!    `mod.rs`; a refused client gets 403 on every request);
//! 2. **request filter** — proxy authentication, the request target
//!    (absolute-form, CONNECT authority, or `Host` in transparent mode),
//!    loops, CONNECT ports, framing sanity;
//! 3. **decide** — the URL against the current snapshot: block (451),
//!    monitor (count, pass), allow / no match (pass), invalid (fail closed or
//!    open); then **destination**: the host resolved once
//!    ([`super::resolve`]), the URL checked again at every address (IP
//!    entries: 451), and every address against the destination rules
//!    ([`super::destination`]: 403);
//! 4. **upstream** — to a checked address only: the pooled client for HTTP
//!    (the address as the URI's host, the name in `Host`), a TCP tunnel for
//!    CONNECT;
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
use hashwall::Snapshot;
use hashwall::url::CanonicalUrl;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::client_body::{ClientBody, client_body_failed};
use super::config::secs;
use super::destination::{self, Refused};
use super::headers::{add_via, remove_hop_by_hop};
use super::images::{self, Filtered};
use super::metrics::Outcome;
use super::ranges;
use super::resolve::ResolveError;
use super::route::{Decision, Refusal, Target, decide_url, route, upstream_head, verdict_blocks};
use super::stop_page::{error_page, full};
use super::upstream::{Activity, DeadlineBody, TrackedIo, is_timeout};
use super::verdicts::{block_page, record};
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
    let addrs = destination(shared, conn, &snapshot, &target, &url).await?;
    match target {
        Target::Connect { .. } => tunnel(shared, req, addrs).await,
        Target::Http(uri) => forward(shared, conn, snapshot, req, uri, &addrs, unchecked).await,
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
        Refusal::Authority(e) => {
            shared.metrics.destinations.authority(e);
            tracing::info!(
                target: "hashwall::destination",
                reason = e.as_str(),
                "malformed host or port refused"
            );
            (
                Outcome::BadRequest,
                error_page(StatusCode::BAD_REQUEST, e.message()),
            )
        }
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
                record(shared, conn.peer.ip(), &verdict, "url", None);
            }
            Ok(false)
        }
        Decision::Block(verdict) => {
            record(shared, conn.peer.ip(), &verdict, "url", None);
            match block_page(shared, &verdict) {
                Some(page) => Err((Outcome::Blocked, page)),
                None => Ok(false),
            }
        }
    }
}

/// Phase 3b: resolves the target's host once, checks the URL at every
/// address (451 when a list blocks it there) and every address against the
/// destination rules (403), and returns the addresses the upstream phase
/// may connect to, and only to.
async fn destination(
    shared: &Shared,
    conn: &ConnInfo,
    snapshot: &Snapshot,
    target: &Target,
    url: &str,
) -> Result<Vec<SocketAddr>, Early> {
    let (host, port) = target.host_port();
    let lookup = shared.resolver.resolve(host, port);
    let addrs = match tokio::time::timeout(secs(shared.config.timeouts.connect_secs), lookup).await
    {
        Ok(Ok(a)) => a,
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "target host does not resolve");
            return Err(unresolved(&e));
        }
        Err(_) => return Err(upstream_failure(true)),
    };
    // An address written as the host (a literal, as the resolver returns
    // it): the URL check already was the check at this address.
    let literal = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
        .parse::<IpAddr>()
        .ok();
    if let [only] = addrs.as_slice()
        && literal == Some(only.ip())
        && destination::forms(only.ip())[1].is_none()
    {
        return refuse_destinations(shared, conn, addrs);
    }
    // A URL that does not canonicalise (forwarded under fail-open) is
    // still checked at its addresses, as the bare address.
    let canonical = CanonicalUrl::parse(url.as_bytes()).ok();
    for addr in &addrs {
        let ip = addr.ip();
        let verdict = match &canonical {
            Some(c) if names_address(c, ip) => continue,
            Some(c) => snapshot
                .check_canonical_at(c, ip)
                .unwrap_or_else(|_| snapshot.check_address(ip)),
            None => snapshot.check_address(ip),
        };
        if verdict.is_empty() {
            continue;
        }
        record(shared, conn.peer.ip(), &verdict, "address", Some(ip));
        if verdict_blocks(&verdict) {
            shared
                .metrics
                .destinations
                .destination(Refused::ListedAddress);
            if let Some(page) = block_page(shared, &verdict) {
                return Err((Outcome::Blocked, page));
            }
        }
    }
    refuse_destinations(shared, conn, addrs)
}

/// The destination rules on every address: 403 for the first refused.
fn refuse_destinations(
    shared: &Shared,
    conn: &ConnInfo,
    addrs: Vec<SocketAddr>,
) -> Result<Vec<SocketAddr>, Early> {
    for addr in &addrs {
        if let Some(reason) = shared.destinations.refusal(*addr) {
            shared.metrics.destinations.destination(reason);
            tracing::info!(
                target: "hashwall::destination",
                reason = reason.as_str(),
                address = %addr,
                client = shared.config.log.client_address.then(|| conn.peer.ip().to_string()),
                "destination refused"
            );
            return Err((
                Outcome::DestinationDenied,
                error_page(StatusCode::FORBIDDEN, reason.message()),
            ));
        }
    }
    Ok(addrs)
}

/// Whether the canonical URL's host is `ip` written canonically: the
/// check at the address would repeat the check of the URL. Never for an
/// address that reaches an embedded IPv4 address (NAT64): that one is
/// checked as the IPv4 address.
fn names_address(url: &CanonicalUrl, ip: IpAddr) -> bool {
    if destination::forms(ip)[1].is_some() {
        return false;
    }
    let host = url.host();
    match ip {
        IpAddr::V4(v4) => url.host_is_ip() && host.parse() == Ok(v4),
        IpAddr::V6(v6) => {
            url.host_is_ip()
                && host
                    .strip_prefix('[')
                    .and_then(|h| h.strip_suffix(']'))
                    .is_some_and(|h| h.parse() == Ok(v6))
        }
    }
}

/// The answer when the target's host does not resolve.
fn unresolved(e: &ResolveError) -> Early {
    let timeout =
        matches!(e, ResolveError::Lookup(io) if io.kind() == std::io::ErrorKind::TimedOut);
    if timeout {
        return upstream_failure(true);
    }
    (
        Outcome::UpstreamError,
        error_page(
            StatusCode::BAD_GATEWAY,
            "The server's name could not be resolved.",
        ),
    )
}

/// Phase 4a: an HTTP exchange through the pooled client.
async fn forward(
    shared: &Arc<Shared>,
    conn: &ConnInfo,
    snapshot: Arc<Snapshot>,
    req: Request<Incoming>,
    uri: Uri,
    addrs: &[SocketAddr],
    unchecked: bool,
) -> Result<Early, Early> {
    let config = &shared.config;
    let deadline = tokio::time::Instant::now() + secs(config.timeouts.exchange_secs);
    let (mut parts, body) = req.into_parts();
    let method = parts.method.clone();
    upstream_head(&mut parts, uri, &config.proxy, conn.peer.ip());
    // The first checked address, in the resolver's order of preference.
    let Some(pinned) = addrs.first().and_then(|a| pinned_uri(&parts.uri, *a)) else {
        return Err(upstream_failure(false));
    };
    parts.uri = pinned;
    // Captured after pinning: a ranged image fetched whole goes to the same
    // checked address, never through a second lookup.
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
                |verdict| record(shared, conn.peer.ip(), verdict, "image", None),
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
            |verdict| record(shared, conn.peer.ip(), verdict, "image", None),
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

/// `uri` with its authority replaced by `addr`: the pooled client connects
/// there and nowhere else (`Host` already names the server).
fn pinned_uri(uri: &Uri, addr: SocketAddr) -> Option<Uri> {
    let pq = uri.path_and_query().map_or("/", |p| p.as_str());
    Uri::builder()
        .scheme("http")
        .authority(addr.to_string())
        .path_and_query(pq)
        .build()
        .ok()
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
    addrs: Vec<SocketAddr>,
) -> Result<Early, Early> {
    // The checked addresses, in order; never the name again.
    let connect = TcpStream::connect(addrs.as_slice());
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
