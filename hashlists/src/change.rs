//! Changing a list crash-safely: the write-ahead order between the list
//! file and its audit log (`FORMAT.md`, "Audit log", "Write-ahead order").
//!
//! Every change first appends its audit records and a closing `commit`
//! record — naming the resulting list's sequence and the SHA-256 of its
//! file — and fsyncs the log; only then is the list replaced (temporary
//! file, fsync, rename, fsync of the directory). A crash therefore leaves
//! one of three traces, all recognisable by [`check`]:
//!
//! - a torn or unfinished batch after the last commit record: the change
//!   was being logged; the list was not touched;
//! - a last commit whose digest is not the list's, while the commit before
//!   names the list on disk: the change was logged but the list not
//!   replaced (*pending*); the list on disk is the last good version;
//! - nothing: the change completed.
//!
//! The next change ([`commit_change`]) repairs the log before logging
//! itself: it cuts an unfinished batch off (those records never took
//! effect) and records the list's actual state with a `recover` commit.

use std::path::Path;

use sha2::{Digest as _, Sha256};

use crate::atomic::{AtomicStep, write_atomic_with};
use crate::audit::{self, AuditOp, AuditRecord, Journal, audit_path};
use crate::error::{Error, ErrorKind};
use crate::kind::EntryKind;
use crate::model::List;
use crate::sign::{KeyId, hex};
use crate::time::Timestamp;

/// One change to a list, as [`commit_change`] logs it.
#[derive(Debug, Clone)]
pub struct Change {
    /// What made the change, recorded in the commit record's reference
    /// field: `new`, `add`, `add-image`, `remove`, `sign`, `apply`, `import`.
    pub operation: String,
    /// Why (the audit records' reason).
    pub reason: String,
    /// When.
    pub time: Timestamp,
    /// The key that signed the new version, if any.
    pub key_id: Option<KeyId>,
    /// The sequence of the list on disk before the change (0 for a new
    /// list), used when the log has to be brought up to date first.
    pub base_sequence: u64,
    /// One record per entry added or removed (may be empty: `sign`).
    pub records: Vec<AuditRecord>,
}

/// What [`commit_change`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    /// The audit log's head hash after the change.
    pub head: String,
    /// What had to be repaired first (an interrupted change found in the
    /// log), one sentence each; empty normally.
    pub recovered: Vec<String>,
}

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
        Ok(b) => Ok(Some(hex(&Sha256::digest(&b)))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Compare the list at `list_path` with its audit log. Read-only: nothing
/// is repaired. A log corrupted anywhere but in its torn last line is an
/// error ([`ErrorKind::AuditCorrupt`]), as with [`audit::verify`].
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

fn commit_record(
    list: &str,
    sequence: u64,
    digest: String,
    operation: &str,
    reason: &str,
    time: Timestamp,
    key_id: Option<KeyId>,
) -> AuditRecord {
    AuditRecord {
        time,
        list_id: list.to_owned(),
        list_sequence: sequence,
        op: AuditOp::Commit,
        kind: EntryKind::Sha256,
        value: digest,
        reference: operation.to_owned(),
        reason: reason.to_owned(),
        key_id,
    }
}

/// Replace the list at `list_path` with `list`, write-ahead: log first
/// (records + commit, fsynced), then replace the file atomically.
///
/// Before logging, an interrupted earlier change is repaired (see the
/// module docs) and reported in [`Committed::recovered`].
///
/// # Errors
///
/// [`ErrorKind::AuditCorrupt`] for a broken log (nothing is written);
/// [`ErrorKind::NoSpace`] or [`ErrorKind::Io`] naming the file that could
/// not be written. When the list could not be replaced, the records just
/// appended are cut off again, so the log still describes the list on
/// disk (if even that fails, [`check`] reports the change as pending).
pub fn commit_change(list_path: &Path, list: &List, change: &Change) -> Result<Committed, Error> {
    commit_change_with(list_path, list, change, |_| Ok(()))
}

/// [`commit_change`] with [`write_atomic_with`]'s hook: an error from the
/// hook stops there as a crash would (the log is not rolled back), so
/// tests can check what every crash point leaves behind.
pub fn commit_change_with(
    list_path: &Path,
    list: &List,
    change: &Change,
    mut hook: impl FnMut(AtomicStep) -> std::io::Result<()>,
) -> Result<Committed, Error> {
    let log = audit_path(list_path);
    let j = audit::journal(&log)?;
    let mut recovered = Vec::new();
    // Temporary files of killed writers are never read; clear them away.
    if list_path
        .parent()
        .is_none_or(|d| d.as_os_str().is_empty() || d.is_dir())
    {
        let gone = crate::atomic::remove_dead_temps(list_path)?;
        if gone > 0 {
            recovered.push(format!(
                "{}: removed {gone} temporary file(s) left by an interrupted write",
                list_path.display()
            ));
        }
    }
    if j.torn || j.uncommitted > 0 {
        // Records after the last commit never took effect: the list is
        // replaced only once its commit is durable.
        let keep = if j.last_commit.is_some() {
            j.committed_len
        } else {
            j.complete_len
        };
        audit::truncate(&log, keep)?;
        recovered.push(format!(
            "{}: discarded {} record(s){} of a change whose logging was interrupted (never applied)",
            log.display(),
            if j.last_commit.is_some() {
                j.uncommitted
            } else {
                0
            },
            if j.torn { " and a torn last line" } else { "" }
        ));
    }
    let id = &list.meta.id;
    let mut batch = Vec::with_capacity(change.records.len() + 2);
    let current = file_digest(list_path)?;
    match (&j.last_commit, current) {
        (Some(c), Some(cur)) if c.value == cur => {}
        (last, Some(cur)) => {
            let why = match last {
                None => "baseline",
                Some(_) => "recover",
            };
            if let Some(c) = last {
                let pending = j.previous_commit.as_ref().is_some_and(|p| p.value == cur);
                recovered.push(if pending {
                    format!(
                        "{}: the change to sequence {} was logged but never applied; the list is still sequence {} (recorded)",
                        list_path.display(),
                        c.list_sequence,
                        change.base_sequence
                    )
                } else {
                    format!(
                        "{}: the list is not the version its audit log last committed (sequence {}): changed outside hashwall? (recorded)",
                        list_path.display(),
                        c.list_sequence
                    )
                });
            }
            batch.push(commit_record(
                id,
                change.base_sequence,
                cur,
                why,
                "",
                change.time,
                None,
            ));
        }
        (Some(c), None) => recovered.push(format!(
            "{}: the list logged at sequence {} was never written",
            list_path.display(),
            c.list_sequence
        )),
        (None, None) => {}
    }
    let mut bytes = Vec::new();
    list.write_text(&mut bytes)
        .map_err(|e| Error::new(ErrorKind::Io, e.to_string()))?;
    let digest = hex(&Sha256::digest(&bytes));
    batch.extend(change.records.iter().cloned());
    batch.push(commit_record(
        id,
        list.meta.sequence,
        digest.clone(),
        &change.operation,
        &change.reason,
        change.time,
        change.key_id,
    ));
    let before = std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
    let head = audit::append(&log, &batch)?;
    let mut crashed = false;
    let written = write_atomic_with(
        list_path,
        |w| w.write_all(&bytes),
        |step| {
            let r = hook(step);
            crashed = r.is_err();
            r
        },
    );
    if let Err(e) = written {
        let replaced = file_digest(list_path).ok().flatten().as_deref() == Some(&digest);
        if !crashed && !replaced {
            // Undo the log so it still describes the list on disk; if this
            // fails too, `check` reports the change as pending.
            let _ = audit::truncate(&log, before);
        }
        return Err(e);
    }
    Ok(Committed { head, recovered })
}
