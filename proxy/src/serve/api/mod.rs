//! The matching API for hosting providers (`[api]`): any stack calls
//! hashwall over HTTP, on the same lists (and the same hot swap on reload
//! and subscription) as the proxy.
//!
//! | module | what |
//! |---|---|
//! | [`routes`] | the router, the token/rate guard, `/openapi.json` |
//! | [`native`] | `POST /v1/check`, `POST /v1/check/image`, `GET /v1/lists` |
//! | [`hma`] | HMA 2.0 compatible `/m/…` and `/h/hash` |
//! | [`auth`] | bearer tokens from a file (re-read on change), per-token rate limits |
//! | [`fetch`] | media by URL, only from the operator's `fetch_hosts` |
//! | [`multipart`] | bounded bodies, raw or multipart `photo` uploads |
//! | [`imaging`] | hashing uploads on the bounded `[images]` pool |
//! | [`errors`] | JSON errors `{"error": {"kind", "message"}}` |
//! | [`metrics`] | requests, latency and images, on the admin `/metrics` |
//! | [`state`] | what every request shares |

pub mod auth;
pub mod errors;
pub mod fetch;
pub mod hma;
pub mod imaging;
pub mod metrics;
pub mod multipart;
pub mod native;
pub mod routes;
pub mod state;

use std::sync::Arc;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::accept::Acceptor;
use super::config::secs;
use super::{Shared, stopped};
use state::ApiState;

/// The API's state over `shared`: reads the token file.
///
/// # Errors
///
/// When the token file cannot be read or is invalid (the start is
/// refused).
pub fn prepare(shared: Arc<Shared>) -> Result<Arc<ApiState>, String> {
    let state = Arc::new(ApiState::new(shared)?);
    if !state.tokens.required() {
        tracing::warn!(
            listen = %state.config().listen,
            "the matching API has no token_file: every local process can call it"
        );
    }
    Ok(state)
}

/// Serves the API on `listener` until `stop`: HTTP/1.1 with keep-alive,
/// at most `limits.max_connections` connections (more wait in the
/// backlog), a request head within `timeouts.request_header_secs` (also
/// the bound on an idle keep-alive connection), and on `stop` the
/// exchanges in progress finish.
pub fn spawn(
    state: Arc<ApiState>,
    listener: TcpListener,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    let config = &state.shared.config;
    let head = secs(config.timeouts.request_header_secs);
    let acceptor = Acceptor::new(listener, Some(config.limits.max_connections), "api");
    let app = routes::router(state);
    tokio::spawn(async move {
        while let Some(conn) = acceptor.next(&mut stop).await {
            let (permit, stream) = (conn.permit, conn.stream);
            let _ = stream.set_nodelay(true);
            let service = TowerToHyperService::new(app.clone());
            let mut stop = stop.clone();
            tokio::spawn(async move {
                let _permit = permit;
                let mut builder = http1::Builder::new();
                builder
                    .timer(TokioTimer::new())
                    .header_read_timeout(head)
                    .keep_alive(true);
                let conn = builder.serve_connection(TokioIo::new(stream), service);
                tokio::pin!(conn);
                tokio::select! {
                    r = conn.as_mut() => {
                        if let Err(e) = r {
                            tracing::debug!(error = %e, "api connection ended with an error");
                        }
                        return;
                    }
                    () = stopped(&mut stop) => conn.as_mut().graceful_shutdown(),
                }
                let _ = conn.await;
            });
        }
    })
}
