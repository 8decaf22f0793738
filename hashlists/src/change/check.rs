//! Comparing a list on disk with its audit log: what a crash left behind.

use std::path::Path;

use sha2::{Digest as _, Sha256};

use crate::audit::{self, Journal, audit_path};
use crate::error::Error;
use crate::hex;

/// How the list on disk relates to its audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Agreement {
    /// There is no audit log (or it is empty).
    NoLog,
    /// The log has no `commit` record: written before the write-ahead
    /// protocol; the list cannot be compared with it.
    Untracked,
    /// The list is the version the last commit names.
    Consistent,
    /// The last commit (to `sequence`) was logged but the list was not
    /// replaced: the list on disk is the version named by the commit before
    /// (or absent, for an interrupted `new`). Nothing is lost: the list is
    /// the last good version, and the next change records this.
    Pending {
        /// The sequence the unapplied change would have produced.
        sequence: u64,
    },
    /// The list is neither the last committed version nor the one before:
    /// it was changed outside hashwall, or the log belongs to another list.
    Mismatch {
        /// The sequence the last commit names.
        sequence: u64,
    },
}

/// A list's audit log checked against the list ([`check`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditCheck {
    /// The log's state.
    pub journal: Journal,
    /// How the list relates to it.
    pub agreement: Agreement,
}

impl AuditCheck {
    /// Human-readable notes about anything but a clean, consistent state:
    /// an interrupted batch, a pending change, a mismatch.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        let j = &self.journal;
        if j.torn || j.uncommitted > 0 {
            notes.push(format!(
                "interrupted: {} complete record(s){} after the last commit belong to a change whose logging was interrupted; it was never applied, and the next change discards them",
                j.uncommitted,
                if j.torn { " and a torn last line" } else { "" }
            ));
        }
        match self.agreement {
            Agreement::Pending { sequence } => notes.push(format!(
                "pending: the change to sequence {sequence} was logged but not applied; the list on disk is the last good version{}",
                match &j.previous_commit {
                    Some(c) => format!(" (sequence {})", c.list_sequence),
                    None => String::new(),
                }
            )),
            Agreement::Mismatch { sequence } => notes.push(format!(
                "mismatch: the list is neither the version the log's last commit names (sequence {sequence}) nor the one before"
            )),
            Agreement::Untracked => notes.push(
                "untracked: the log has no commit records (written before the write-ahead order); the list cannot be compared with it".to_owned(),
            ),
            Agreement::NoLog | Agreement::Consistent => {}
        }
        notes
    }
}

/// The SHA-256 of a file, lower-case hex, or `None` if it does not exist.
pub fn file_digest(path: &Path) -> Result<Option<String>, Error> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(hex::encode(&Sha256::digest(&b)))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Compare the list at `list_path` with its audit log. Read-only: nothing
/// is repaired. A log corrupted anywhere but in its torn last line is an
/// error ([`ErrorKind::AuditCorrupt`](crate::ErrorKind::AuditCorrupt)), as with [`audit::verify`].
pub fn check(list_path: &Path) -> Result<AuditCheck, Error> {
    let journal = audit::journal(&audit_path(list_path))?;
    let agreement = agreement(list_path, &journal)?;
    Ok(AuditCheck { journal, agreement })
}

fn agreement(list_path: &Path, j: &Journal) -> Result<Agreement, Error> {
    let Some(last) = &j.last_commit else {
        return Ok(if j.summary.records == 0 && !j.torn {
            Agreement::NoLog
        } else {
            Agreement::Untracked
        });
    };
    let current = file_digest(list_path)?;
    if current.as_deref() == Some(last.value.as_str()) {
        return Ok(Agreement::Consistent);
    }
    let before = j.previous_commit.as_ref().map(|c| c.value.as_str());
    if current.as_deref() == before {
        Ok(Agreement::Pending {
            sequence: last.list_sequence,
        })
    } else {
        Ok(Agreement::Mismatch {
            sequence: last.list_sequence,
        })
    }
}
