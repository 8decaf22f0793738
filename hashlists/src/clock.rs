//! The one clock: the system clock, or a fixed time from `HASHWALL_NOW`.
//!
//! Every hashwall program that checks expiry, key windows or future-dated
//! lists, or stamps a change, asks a [`Clock`] for the time. Only
//! [`Clock::from_env`] reads the `HASHWALL_NOW` environment variable (an RFC
//! 3339 time): tests and "what will this list do on that date" runs set it;
//! a long-running service keeps [`Clock::System`].
//!
//! ```
//! use hashwall_lists::{Clock, Timestamp};
//!
//! let fixed = Clock::Fixed("2024-05-01T12:00:00Z".parse()?);
//! assert_eq!(fixed.now().to_string(), "2024-05-01T12:00:00Z");
//! assert!(Clock::System.now() > Timestamp::UNIX_EPOCH);
//! assert_eq!(Clock::from_text(Some("2024-05-01T12:00:00Z"))?, fixed);
//! assert_eq!(Clock::from_text(None)?, Clock::System);
//! assert!(Clock::from_text(Some("yesterday")).is_err());
//! # Ok::<(), hashwall_lists::Error>(())
//! ```

use crate::error::Error;
use crate::time::Timestamp;

/// Where the current time comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Clock {
    /// The system clock ([`Timestamp::now`]).
    #[default]
    System,
    /// Always this time.
    Fixed(Timestamp),
}

impl Clock {
    /// The environment variable that fixes the clock: an RFC 3339 time.
    pub const ENV: &'static str = "HASHWALL_NOW";

    /// [`Clock::Fixed`] at `HASHWALL_NOW` when it is set, else
    /// [`Clock::System`].
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidTimestamp`](crate::ErrorKind::InvalidTimestamp)
    /// when the variable is set but is not an RFC 3339 time (or not
    /// Unicode); the message names the variable.
    pub fn from_env() -> Result<Clock, Error> {
        match std::env::var(Clock::ENV) {
            Ok(s) => Clock::from_text(Some(&s)),
            Err(std::env::VarError::NotPresent) => Ok(Clock::System),
            Err(std::env::VarError::NotUnicode(_)) => Clock::from_text(Some("\u{fffd}")),
        }
    }

    /// The clock a `HASHWALL_NOW` value `text` asks for (`None`: unset).
    pub fn from_text(text: Option<&str>) -> Result<Clock, Error> {
        match text {
            None => Ok(Clock::System),
            Some(s) => s
                .parse()
                .map(Clock::Fixed)
                .map_err(|e: Error| e.context(Clock::ENV)),
        }
    }

    /// The current time by this clock.
    pub fn now(&self) -> Timestamp {
        match self {
            Clock::System => Timestamp::now(),
            Clock::Fixed(t) => *t,
        }
    }
}
