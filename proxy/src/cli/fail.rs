//! The failure type of the list-maintenance commands (`hashwall lists …`,
//! `hashwall lists publish …`) and their shared exit status: 1 when a list,
//! delta or version fails verification or does not go forwards, 2 for usage
//! and I/O errors.

use std::path::Path;
use std::process::ExitCode;

use hashwall_lists::{Error, ErrorKind};

/// A failure with its exit status.
pub(crate) struct Fail {
    pub(crate) code: u8,
    pub(crate) message: String,
}

impl Fail {
    /// Prints `error: MESSAGE` and gives the exit status.
    pub(crate) fn report(self) -> ExitCode {
        eprintln!("error: {}", self.message);
        ExitCode::from(self.code)
    }
}

impl From<Error> for Fail {
    fn from(e: Error) -> Fail {
        let code = match e.kind() {
            ErrorKind::BadSignature
            | ErrorKind::UntrustedKey
            | ErrorKind::RetiredKey
            | ErrorKind::FutureDated
            | ErrorKind::Unsigned
            | ErrorKind::Expired
            | ErrorKind::SequenceGap
            | ErrorKind::Replay
            | ErrorKind::Rollback
            | ErrorKind::WrongList
            | ErrorKind::Truncated
            | ErrorKind::AuditCorrupt => 1,
            _ => 2,
        };
        fail(code, e.to_string())
    }
}

/// A failure with exit status `code`.
pub(crate) fn fail(code: u8, message: impl Into<String>) -> Fail {
    Fail {
        code,
        message: message.into(),
    }
}

/// A usage error (exit 2).
pub(crate) fn usage(message: impl Into<String>) -> Fail {
    fail(2, message)
}

/// An I/O error naming its path (exit 2).
pub(crate) fn io(path: &Path, e: std::io::Error) -> Fail {
    fail(2, format!("{}: {e}", path.display()))
}
