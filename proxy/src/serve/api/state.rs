//! What every API request shares: the serving state of the process (the
//! same lists and engine as the proxy, the image pool) and the API's own
//! access control.

use std::sync::Arc;

use hashwall::Snapshot;

use super::auth::{RateLimiter, Tokens};
use super::fetch::MediaFetcher;
use crate::serve::Shared;
use crate::serve::config::ApiConfig;

/// The API's state.
#[derive(Debug)]
pub struct ApiState {
    /// The process's shared state: lists (hot-swapped on reload and by
    /// subscriptions), image pool, configuration.
    pub shared: Arc<Shared>,
    /// Bearer tokens.
    pub tokens: Tokens,
    /// Per-client rate limits.
    pub rate: RateLimiter,
    /// Media by URL, from the operator's hosts only.
    pub fetcher: MediaFetcher,
}

impl ApiState {
    /// The state over `shared`; reads the token file.
    ///
    /// # Errors
    ///
    /// When the token file cannot be read or is invalid, or the fetcher's
    /// TLS configuration cannot be built.
    pub fn new(shared: Arc<Shared>) -> Result<ApiState, String> {
        let tokens = match &shared.config.api.token_file {
            Some(p) => Tokens::from_file(p)?,
            None => Tokens::open(),
        };
        Ok(ApiState {
            fetcher: MediaFetcher::new(&shared.config.api)?,
            rate: RateLimiter::new(shared.config.api.rate_per_sec),
            tokens,
            shared,
        })
    }

    /// The `[api]` configuration.
    pub fn config(&self) -> &ApiConfig {
        &self.shared.config.api
    }

    /// The current snapshot (one per request, so a request sees one list
    /// set even when a reload lands meanwhile).
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.shared.lists.engine().snapshot()
    }
}
