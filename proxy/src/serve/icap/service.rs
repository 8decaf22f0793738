//! One ICAP request, dispatched: `OPTIONS` for each service, `REQMOD` on
//! `/reqmod`, `RESPMOD` on `/respmod`.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use tokio::time::Instant;

use super::conn::Conn;
use super::exchange::{Abort, Body, Exchange};
use super::head::{IcapMethod, IcapRequest};
use super::istag::IsTag;
use super::metrics::IcapOutcome;
use super::reply;
use super::{reqmod, respmod};
use crate::serve::Shared;
use crate::serve::config::secs;

/// The service path of `REQMOD`.
pub const REQMOD_PATH: &str = "/reqmod";
/// The service path of `RESPMOD`.
pub const RESPMOD_PATH: &str = "/respmod";

/// The method a service path offers.
fn service_method(path: &str) -> Option<IcapMethod> {
    match path {
        REQMOD_PATH => Some(IcapMethod::Reqmod),
        RESPMOD_PATH => Some(IcapMethod::Respmod),
        _ => None,
    }
}

/// Answers `req` on `conn`.
pub(super) async fn handle(
    shared: &Arc<Shared>,
    istag: &IsTag,
    conn: &mut Conn,
    peer: SocketAddr,
    req: &IcapRequest,
) -> Result<IcapOutcome, Abort> {
    let config = &shared.config;
    let deadline = Instant::now() + secs(config.timeouts.exchange_secs);
    // One snapshot for the whole exchange, and the tag that names it.
    let snapshot = shared.lists.engine().snapshot();
    let tag = istag.tag(&snapshot);
    let Some(offered) = service_method(&req.service) else {
        conn.write(&reply::error(404, "ICAP Service Not Found", &tag), deadline)
            .await?;
        return Err(Abort::Closed(IcapOutcome::NotFound));
    };
    if req.method == IcapMethod::Options {
        let out = reply::options(&reply::Options {
            method: offered.as_str(),
            istag: &tag,
            max_connections: config.icap.max_connections,
            ttl_secs: config.icap.options_ttl_secs,
            preview: config.icap.preview_bytes,
        });
        conn.write(&out, deadline).await?;
        return Ok(IcapOutcome::Options);
    }
    if req.method != offered {
        conn.write(
            &reply::error(405, "Method Not Allowed For Service", &tag),
            deadline,
        )
        .await?;
        return Err(Abort::Closed(IcapOutcome::NotFound));
    }
    let client = req
        .headers
        .get("x-client-ip")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<IpAddr>().ok())
        .unwrap_or(peer.ip());
    let mut ex = Exchange {
        shared,
        conn,
        req,
        istag: tag,
        deadline,
        client,
        body: Body::default(),
    };
    match req.method {
        IcapMethod::Reqmod => reqmod::reqmod(&mut ex, &snapshot).await,
        _ => respmod::respmod(&mut ex, snapshot).await,
    }
}
