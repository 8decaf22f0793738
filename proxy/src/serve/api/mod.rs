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
//! | [`multipart`] | bounded bodies, raw or multipart `photo` uploads |
//! | [`imaging`] | hashing uploads on the bounded `[images]` pool |
//! | [`errors`] | JSON errors `{"error": {"kind", "message"}}` |
//! | [`state`] | what every request shares |

pub mod auth;
pub mod errors;
pub mod hma;
pub mod imaging;
pub mod multipart;
pub mod native;
pub mod routes;
pub mod state;

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

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

/// Serves the API on `listener` until `stop`.
pub fn spawn(
    state: Arc<ApiState>,
    listener: TcpListener,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    let app = routes::router(state);
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move { stopped(&mut stop).await })
            .await;
        if let Err(e) = served {
            tracing::warn!(error = %e, "api listener ended");
        }
    })
}
