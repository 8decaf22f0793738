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
//!
//! [`Edit`] is the list-edit transaction over it: add and remove entries
//! (with their references), bump the sequence, sign, produce the signed
//! delta from the version before, and commit — what `hashwall lists
//! add|remove|add-image|sign|new` and a reporting desk call.

use std::path::Path;

use sha2::{Digest as _, Sha256};

use crate::atomic::{AtomicStep, write_atomic_with};
use crate::audit::{self, AuditOp, AuditRecord, audit_path};
use crate::error::{Error, ErrorKind};
use crate::hex;
use crate::key::KeyId;
use crate::kind::EntryKind;
use crate::model::List;
use crate::time::Timestamp;

mod check;
mod edit;

pub use check::{Agreement, AuditCheck, check, file_digest};
pub use edit::{Edit, Edited};

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
    let digest = hex::encode(&Sha256::digest(&bytes));
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
