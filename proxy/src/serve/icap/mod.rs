//! The ICAP service (RFC 3507): `hashwall serve` as an adaptation server
//! for Squid and other ICAP clients, over the same lists, trust store,
//! subscriptions and hot swap as the proxy (one [`Shared`]).
//!
//! * [`parser`] — the incremental request parser ([`head`]: the ICAP head
//!   and the encapsulated HTTP heads, [`encapsulated`]: the offsets,
//!   [`chunked`]: bodies with `ieof`);
//! * `service` — `OPTIONS` per service, dispatch; `reqmod` — the URL as
//!   the proxy decides it; `respmod` — images as the proxy scans them;
//! * `exchange` — allow (`204` or echo) or replace (the 451 page);
//!   `reply` — responses as bytes; `istag` — the tag of the lists'
//!   snapshot; [`metrics`] — per ICAP method.
//!
//! A connection carries requests one after the other (keep-alive). A head
//! must arrive within `timeouts.request_header_secs` of its first byte; an
//! idle connection closes after `timeouts.idle_secs`; an exchange must end
//! within `timeouts.exchange_secs`. A request that does not parse gets
//! `400` (`501`, `505` for an unknown method or version) and the
//! connection closes.

mod bounds;
pub mod chunked;
mod conn;
pub mod encapsulated;
mod exchange;
pub mod head;
mod istag;
pub mod metrics;
pub mod parser;
mod reply;
pub mod reqmod;
mod respmod;
mod service;

pub use service::{REQMOD_PATH, RESPMOD_PATH};

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant as StdInstant;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::accept::Acceptor;
use super::config::secs;
use super::{Shared, stopped};
use conn::{Conn, ReadError};
use exchange::Abort;
use istag::IsTag;
use metrics::IcapOutcome;
use parser::{Limits, ParseError};

/// Serves ICAP on `listener` until `stop` is set.
pub(crate) fn spawn(
    shared: Arc<Shared>,
    listener: TcpListener,
    stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    let istag = Arc::new(IsTag::new(&shared.lists.engine().snapshot()));
    tokio::spawn(accept_loop(shared, istag, listener, stop))
}

async fn accept_loop(
    shared: Arc<Shared>,
    istag: Arc<IsTag>,
    listener: TcpListener,
    mut stop: watch::Receiver<bool>,
) {
    let acceptor = Acceptor::new(listener, Some(shared.config.icap.max_connections), "icap");
    while let Some(conn) = acceptor.next(&mut stop).await {
        let (permit, stream, peer) = (conn.permit, conn.stream, conn.peer);
        let shared = Arc::clone(&shared);
        let istag = Arc::clone(&istag);
        let stop = stop.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let _drain = shared.drain.clone();
            let m = &shared.metrics.icap;
            m.connections_total.fetch_add(1, Relaxed);
            m.connections_open.fetch_add(1, Relaxed);
            serve_connection(&shared, &istag, stream, peer, stop).await;
            m.connections_open.fetch_sub(1, Relaxed);
        });
    }
}

async fn serve_connection(
    shared: &Arc<Shared>,
    istag: &IsTag,
    stream: TcpStream,
    peer: SocketAddr,
    mut stop: watch::Receiver<bool>,
) {
    if !shared.config.client_allowed(peer.ip()) {
        tracing::debug!("ICAP client not in acl.allow_clients");
        return;
    }
    let _ = stream.set_nodelay(true);
    let config = &shared.config;
    let limits = Limits {
        max_head_bytes: config.limits.max_request_header_bytes,
        max_headers: config.limits.max_request_headers,
    };
    let mut conn = Conn::new(stream, limits);
    let idle = secs(config.timeouts.idle_secs);
    let head = secs(config.timeouts.request_header_secs);
    loop {
        let more = tokio::select! {
            m = conn.await_request(idle) => m,
            () = stopped(&mut stop) => false,
        };
        if !more {
            return;
        }
        let started = StdInstant::now();
        let req = match conn.next(tokio::time::Instant::now() + head).await {
            Ok(parser::Event::Request(r)) => r,
            Ok(_) => return,
            Err(e) => {
                let outcome = refuse(shared, istag, &mut conn, e).await;
                shared
                    .metrics
                    .icap
                    .request("other", outcome, started.elapsed());
                return;
            }
        };
        let method = req.method.as_str();
        let result = service::handle(shared, istag, &mut conn, peer, &req).await;
        let (outcome, keep) = match result {
            Ok(o) => (o, true),
            Err(Abort::Closed(o)) => (o, false),
            Err(Abort::Read(e)) => (refuse(shared, istag, &mut conn, e).await, false),
            Err(Abort::Write(e)) => {
                tracing::debug!(error = %e, "ICAP client write failed");
                (IcapOutcome::Aborted, false)
            }
        };
        let elapsed = started.elapsed();
        shared.metrics.icap.request(method, outcome, elapsed);
        tracing::debug!(
            target: "hashwall::icap",
            method,
            service = %req.service,
            outcome = outcome.as_str(),
            micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            "ICAP request"
        );
        if !keep {
            return;
        }
    }
}

/// Answers a request that failed to read: 400 (501, 505) for bytes that
/// are not ICAP, nothing for a client gone or too slow.
async fn refuse(shared: &Shared, istag: &IsTag, conn: &mut Conn, e: ReadError) -> IcapOutcome {
    let (status, reason) = match e {
        ReadError::Parse(ParseError::Method) => (501, "Method Not Implemented"),
        ReadError::Parse(ParseError::Version) => (505, "ICAP Version Not Supported"),
        ReadError::Parse(p) => {
            tracing::debug!(error = %p, "malformed ICAP request");
            (400, "Bad Request")
        }
        ReadError::Io(e) => {
            tracing::debug!(error = %e, "ICAP client read failed");
            return IcapOutcome::Aborted;
        }
        ReadError::Closed | ReadError::Timeout => return IcapOutcome::Aborted,
    };
    let tag = istag.tag(&shared.lists.engine().snapshot());
    let deadline = tokio::time::Instant::now() + secs(shared.config.timeouts.idle_secs);
    let _ = conn
        .write(&reply::error(status, reason, &tag), deadline)
        .await;
    IcapOutcome::BadRequest
}
