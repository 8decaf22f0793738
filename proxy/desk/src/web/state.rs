//! What every handler shares: the desk, the options, sessions, the rate
//! limiter and the counters.

use std::sync::Arc;

use super::metrics::Metrics;
use super::options::WebOptions;
use super::ratelimit::RateLimiter;
use super::session::SessionStore;
use crate::Desk;
use crate::model::User;

/// The shared state behind every handler.
pub struct App {
    /// The desk.
    pub desk: Desk,
    /// Limits and switches.
    pub options: WebOptions,
    /// Staff sessions.
    pub sessions: SessionStore<User>,
    /// Intake rate limit per salted client hash.
    pub limiter: RateLimiter,
    /// Counters for `/metrics`.
    pub metrics: Metrics,
}

/// The state as handlers receive it.
pub type Shared = Arc<App>;
