//! The web layer's limits and switches, in one struct.

use std::time::Duration;

use crate::config::DeskConfig;

/// Limits and switches of the web layer.
#[derive(Debug, Clone)]
pub struct WebOptions {
    /// Largest request body in bytes; larger ones get 413.
    pub max_body: usize,
    /// Time a client has to send a request's head; the connection is
    /// closed after it.
    pub header_timeout: Duration,
    /// Time a client has to send a request's body; 408 after it.
    pub read_timeout: Duration,
    /// How long a staff session lasts.
    pub session_lifetime: Duration,
    /// Mark cookies `Secure` (HTTPS in front of the desk).
    pub secure_cookies: bool,
    /// Reports per client address and minute (0: no limit).
    pub intake_per_minute: u32,
    /// Serve `/public-stats`.
    pub public_stats: bool,
}

impl Default for WebOptions {
    fn default() -> Self {
        WebOptions {
            max_body: 64 * 1024,
            header_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(20),
            session_lifetime: Duration::from_secs(8 * 3600),
            secure_cookies: true,
            intake_per_minute: 10,
            public_stats: false,
        }
    }
}

impl WebOptions {
    /// The options a desk configuration asks for (timeouts at their defaults).
    pub fn from_config(config: &DeskConfig) -> Self {
        WebOptions {
            max_body: config.max_body,
            session_lifetime: Duration::from_secs(u64::from(config.session_hours) * 3600),
            secure_cookies: config.secure_cookies,
            intake_per_minute: config.intake_per_minute,
            public_stats: config.public_stats,
            ..WebOptions::default()
        }
    }
}
