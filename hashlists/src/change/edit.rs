//! The list-edit transaction: one change to a list file, from reading it
//! to the committed new version.

use std::path::{Path, PathBuf};

use super::{Change, commit_change};
use crate::audit::{AuditOp, AuditRecord};
use crate::delta::Delta;
use crate::error::{Error, ErrorKind};
use crate::key::{KeyId, SecretKey};
use crate::kind::EntryKind;
use crate::model::{Entry, List, ListMeta};
use crate::time::Timestamp;

/// One change to a list file: open it (or create it), add and remove
/// entries, choose a key, and [`commit`](Edit::commit).
///
/// Committing bumps the sequence when entries changed (`created` becomes
/// the edit's time, never moving backwards), signs the new version with
/// the key (or, without one, drops the now stale signature), optionally
/// produces the signed delta from the version before, and commits it
/// write-ahead ([`commit_change`]): an audit record per entry added or
/// removed and a commit record appended to the list's audit log and
/// fsynced, then the list replaced atomically. Until then nothing is
/// written; dropping an `Edit` abandons it.
///
/// ```
/// use hashwall_lists::change::Edit;
/// use hashwall_lists::{Entry, EntryKind, ListMeta, SecretKey, Timestamp};
///
/// let dir = std::env::temp_dir().join(format!("hashwall-edit-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("desk.list");
/// let key = SecretKey::from_seed(&[5; 32]);
/// let now = Timestamp::from_unix_seconds(1_800_000_000);
///
/// let mut meta = ListMeta::with_defaults("desk");
/// meta.issuer = "Desk".into();
/// Edit::create(&path, meta, now)?.signed_by(&key).commit()?;
///
/// let mut edit = Edit::open(&path, "add", now)?.signed_by(&key).with_delta().reason("report R-17");
/// edit.add(Entry::new(EntryKind::Domain, "bad.example", Some("R-17"))?)?;
/// let done = edit.commit()?;
/// assert_eq!(done.list.meta.sequence, 1);
/// let delta = done.delta.as_ref().expect("a signed delta from sequence 0");
/// assert_eq!((delta.from, delta.to, delta.added.len()), (0, 1, 1));
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Edit<'k> {
    path: PathBuf,
    list: List,
    /// The version before, kept only when a delta is wanted.
    before: Option<List>,
    base_sequence: u64,
    operation: String,
    reason: String,
    time: Timestamp,
    key: Option<&'k SecretKey>,
    added: Vec<Entry>,
    removed: Vec<Entry>,
    want_delta: bool,
}

/// What [`Edit::commit`] did.
#[derive(Debug, Clone)]
pub struct Edited {
    /// The list as written.
    pub list: List,
    /// Its sequence before the edit (0 for a new list).
    pub previous_sequence: u64,
    /// Entries added.
    pub added: usize,
    /// Entries removed.
    pub removed: usize,
    /// The audit log's head hash after the commit.
    pub audit_head: String,
    /// An interrupted earlier change found and repaired first, one
    /// sentence each.
    pub recovered: Vec<String>,
    /// The signed delta from the version before, when asked for
    /// ([`Edit::with_delta`]), a key signed the edit and entries changed.
    pub delta: Option<Delta>,
    /// The key of a signature the edit dropped: the list was signed and no
    /// key signed the new version, so it is now unsigned.
    pub dropped_signature: Option<KeyId>,
}

impl<'k> Edit<'k> {
    /// Start an edit of the list file at `path`, recorded as `operation`
    /// (`add`, `remove`, `sign`…) at `time`.
    pub fn open(path: &Path, operation: &str, time: Timestamp) -> Result<Edit<'k>, Error> {
        let list = List::read_file(path)?;
        let base_sequence = list.meta.sequence;
        Ok(Edit::start(path, list, base_sequence, operation, time))
    }

    /// Start a new, empty list file at `path` with header `meta` (sequence
    /// as given, `created` set to `time`), recorded as `new`. Refuses a
    /// path that exists.
    pub fn create(path: &Path, mut meta: ListMeta, time: Timestamp) -> Result<Edit<'k>, Error> {
        if path.exists() {
            let e = std::io::Error::new(std::io::ErrorKind::AlreadyExists, "already exists");
            return Err(Error::io(path, e));
        }
        meta.created = time;
        meta.signature = None;
        let list = List {
            meta,
            entries: Vec::new(),
        };
        Ok(Edit::start(path, list, 0, "new", time))
    }

    fn start(path: &Path, list: List, base: u64, operation: &str, time: Timestamp) -> Edit<'k> {
        Edit {
            path: path.to_path_buf(),
            list,
            before: None,
            base_sequence: base,
            operation: operation.to_owned(),
            reason: String::new(),
            time,
            key: None,
            added: Vec::new(),
            removed: Vec::new(),
            want_delta: false,
        }
    }

    /// Sign the new version with `key` (the issuer's).
    pub fn signed_by(mut self, key: &'k SecretKey) -> Edit<'k> {
        self.key = Some(key);
        self
    }

    /// Why, for the audit log.
    pub fn reason(mut self, reason: &str) -> Edit<'k> {
        reason.clone_into(&mut self.reason);
        self
    }

    /// Also produce the signed delta from the version before (for
    /// publishing); keeps a copy of that version until the commit.
    pub fn with_delta(mut self) -> Edit<'k> {
        if self.before.is_none() {
            self.before = Some(self.list.clone());
        }
        self.want_delta = true;
        self
    }

    /// The list as edited so far.
    pub fn list(&self) -> &List {
        &self.list
    }

    /// Whether the list holds an entry of `kind` with `value`.
    pub fn contains(&self, kind: EntryKind, value: &str) -> bool {
        self.list
            .entries
            .iter()
            .any(|e| e.kind == kind && e.value == value)
    }

    /// Append `entry`, validated and normalised like a parsed one
    /// ([`Entry::new`]); its added-at time is the edit's time unless set.
    /// Duplicates are allowed (see [`Edit::contains`]).
    pub fn add(&mut self, entry: Entry) -> Result<(), Error> {
        let mut e = Entry::new(entry.kind, &entry.value, entry.reference.as_deref())?;
        e.added = Some(entry.added.unwrap_or(self.time));
        self.added.push(e.clone());
        self.list.entries.push(e);
        Ok(())
    }

    /// Remove every entry of `kind` with `value` (whatever its reference);
    /// returns how many were removed.
    pub fn remove(&mut self, kind: EntryKind, value: &str) -> usize {
        let (gone, kept): (Vec<Entry>, Vec<Entry>) = std::mem::take(&mut self.list.entries)
            .into_iter()
            .partition(|e| e.kind == kind && e.value == value);
        self.list.entries = kept;
        let n = gone.len();
        self.removed.extend(gone);
        n
    }

    /// Commit the edit (see [`Edit`]).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidSequence`] when the sequence cannot grow; the
    /// errors of [`commit_change`] (a corrupt audit log, no space, I/O),
    /// which leave the list file as it was.
    pub fn commit(mut self) -> Result<Edited, Error> {
        let changed = !self.added.is_empty() || !self.removed.is_empty();
        if changed {
            let m = &mut self.list.meta;
            m.sequence = m
                .sequence
                .checked_add(1)
                .ok_or_else(|| Error::new(ErrorKind::InvalidSequence, "sequence overflow"))?;
            m.created = self.time.max(m.created);
        }
        let dropped_signature = match self.key {
            Some(k) => {
                self.list.sign(k);
                None
            }
            None => self.list.meta.signature.take().map(|s| s.key_id),
        };
        let key_id = self.key.map(|k| k.public_key().key_id());
        let records = self.records(key_id);
        let delta = match (&self.before, self.key, self.want_delta && changed) {
            (Some(before), Some(key), true) => self.delta(before, key)?,
            _ => None,
        };
        let change = Change {
            operation: self.operation.clone(),
            reason: self.reason.clone(),
            time: self.time,
            key_id,
            base_sequence: self.base_sequence,
            records,
        };
        let done = commit_change(&self.path, &self.list, &change)?;
        Ok(Edited {
            previous_sequence: self.base_sequence,
            added: self.added.len(),
            removed: self.removed.len(),
            list: self.list,
            audit_head: done.head,
            recovered: done.recovered,
            delta,
            dropped_signature,
        })
    }

    /// One audit record per entry removed, then per entry added.
    fn records(&self, key_id: Option<KeyId>) -> Vec<AuditRecord> {
        let rec = |op, e: &Entry| AuditRecord {
            time: self.time,
            list_id: self.list.meta.id.clone(),
            list_sequence: self.list.meta.sequence,
            op,
            kind: e.kind,
            value: e.value.clone(),
            reference: e.reference.clone().unwrap_or_default(),
            reason: self.reason.clone(),
            key_id,
        };
        self.removed
            .iter()
            .map(|e| rec(AuditOp::Remove, e))
            .chain(self.added.iter().map(|e| rec(AuditOp::Add, e)))
            .collect()
    }

    /// The signed delta `before` → the new version; `None` when the delta
    /// format cannot express the edit (its produced list would differ).
    fn delta(&self, before: &List, key: &SecretKey) -> Result<Option<Delta>, Error> {
        let mut d = Delta::diff(before, &self.list);
        d.sign(before, key)?;
        // The delta's list-signature is over the list it produces; it is
        // the new version's only if that list is exactly this one.
        Ok((d.list_signature == self.list.meta.signature).then_some(d))
    }
}
