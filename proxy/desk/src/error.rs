//! The crate's one error type.

use std::fmt;

/// What went wrong, for callers that branch on it (HTTP status, exit code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input was malformed or out of bounds; nothing was stored.
    Invalid,
    /// No such report, user or session.
    NotFound,
    /// The caller may not do this (role, four eyes, lock held by another).
    Forbidden,
    /// The action does not fit the report's current state.
    Conflict,
    /// The database failed or refused.
    Storage,
    /// Reading or writing the list, key or publication files failed.
    Lists,
    /// Configuration or start-up failed.
    Config,
}

/// The desk's error: a kind and a message meant for a person.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    /// An error of `kind` saying `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::new(ErrorKind::Storage, format!("database: {e}"))
    }
}

impl From<hashwall_lists::Error> for Error {
    fn from(e: hashwall_lists::Error) -> Self {
        Error::new(ErrorKind::Lists, e.to_string())
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
