//! Deltas: the entries an issuer removed and added between two sequences of
//! a list, signed like lists (with their own domain-separation tag).
//!
//! A delta also carries the issuer's signature of the list it produces
//! (`list-signature`), so the list on disk after applying it is an ordinary
//! signed list that [`load_verified`](crate::load_verified) accepts, without
//! the issuer having to ship the whole list again. The produced list is
//! defined exactly: the old entries in order with each removed entry's first
//! equal occurrence taken out, then the added entries in delta order;
//! header as before except `sequence` = `to`, `created` and `expires` from
//! the delta.

use std::collections::HashMap;
use std::path::Path;

use crate::audit::{AuditOp, AuditRecord};
use crate::error::{Error, ErrorKind, clip};
use crate::key::{SecretKey, Signature};
use crate::model::{Entry, List, ListMeta};
use crate::sign::{Canon, DELTA_DOMAIN};
use crate::text::FORMAT_VERSION;
use crate::time::Timestamp;
use crate::trust::{TrustStore, Verified, check_window, trusted_key};

mod produce;
mod text;

use produce::Plan;

/// A signed change from one sequence of a list to a later one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delta {
    /// The list's id.
    pub list_id: String,
    /// The list's issuer.
    pub issuer: String,
    /// The sequence the delta applies to.
    pub from: u64,
    /// The sequence the list has after applying it.
    pub to: u64,
    /// When the issuer made it; becomes the list's `created`.
    pub created: Timestamp,
    /// Becomes the list's `expires`.
    pub expires: Option<Timestamp>,
    /// Entries to remove (each removes one equal entry: kind, value,
    /// reference and added-at).
    pub removed: Vec<Entry>,
    /// Entries to append.
    pub added: Vec<Entry>,
    /// The issuer's signature of the resulting list.
    pub list_signature: Option<Signature>,
    /// The issuer's signature of this delta.
    pub signature: Option<Signature>,
}

impl Delta {
    /// The delta that turns `old` into a list with `new`'s entries (as a
    /// multiset; the produced list orders them as described in the module
    /// docs) and `new`'s `sequence`, `created` and `expires`. Unsigned; see
    /// [`Delta::sign`].
    pub fn diff(old: &List, new: &List) -> Delta {
        let mut counts: HashMap<&Entry, isize> = HashMap::with_capacity(new.entries.len());
        for e in &new.entries {
            *counts.entry(e).or_default() += 1;
        }
        let mut removed = Vec::new();
        for e in &old.entries {
            match counts.get_mut(e) {
                Some(c) if *c > 0 => *c -= 1,
                _ => removed.push(e.clone()),
            }
        }
        // What is left in `counts` is added, in `new`'s order.
        let mut added = Vec::new();
        for e in &new.entries {
            if let Some(c) = counts.get_mut(e)
                && *c > 0
            {
                *c -= 1;
                added.push(e.clone());
            }
        }
        Delta {
            list_id: old.meta.id.clone(),
            issuer: old.meta.issuer.clone(),
            from: old.meta.sequence,
            to: new.meta.sequence,
            created: new.meta.created,
            expires: new.meta.expires,
            removed,
            added,
            list_signature: None,
            signature: None,
        }
    }

    /// SHA-256 of the delta's canonical form (`FORMAT.md`, "Deltas").
    pub fn signed_digest(&self) -> [u8; 32] {
        let mut c = Canon::new(DELTA_DOMAIN);
        c.str(&FORMAT_VERSION.to_string());
        c.str(&self.list_id);
        c.str(&self.issuer);
        c.str(&self.from.to_string());
        c.str(&self.to.to_string());
        c.str(&self.created.to_string());
        c.opt_time(self.expires);
        c.str(
            &self
                .list_signature
                .map(|s| s.to_string())
                .unwrap_or_default(),
        );
        c.str(&self.removed.len().to_string());
        for e in &self.removed {
            c.entry(e);
        }
        c.str(&self.added.len().to_string());
        for e in &self.added {
            c.entry(e);
        }
        c.finish()
    }

    /// Sign the delta, and the list it produces from `old`, with `key`.
    /// Fails if the delta does not apply to `old`.
    pub fn sign(&mut self, old: &List, key: &SecretKey) -> Result<(), Error> {
        let meta = self.result_meta(&old.meta);
        let (_, d) = Plan::with_digest(old, self, &meta)?;
        self.list_signature = Some(key.sign_digest(&d));
        self.signature = None;
        let d = self.signed_digest();
        self.signature = Some(key.sign_digest(&d));
        Ok(())
    }

    /// Check the delta's own signature: signed by a key the store trusts for
    /// its issuer, valid at its `created` time.
    pub fn verify(&self, trust: &TrustStore, now: Timestamp) -> Result<Verified, Error> {
        let sig = self.signature.ok_or_else(|| {
            Error::new(
                ErrorKind::Unsigned,
                format!("delta {} -> {} is not signed", self.from, self.to),
            )
        })?;
        let tk = trusted_key(trust, &self.issuer, sig.key_id)?;
        tk.key.verify_digest(&self.signed_digest(), &sig)?;
        check_window(tk, &self.issuer, self.created, now)?;
        Ok(Verified {
            issuer: self.issuer.clone(),
            key_id: sig.key_id,
        })
    }

    /// The header of the list this delta produces from one with header `m`.
    fn result_meta(&self, m: &ListMeta) -> ListMeta {
        ListMeta {
            sequence: self.to,
            created: self.created,
            expires: self.expires,
            signature: self.list_signature,
            ..m.clone()
        }
    }

    /// Check the delta against `list` and apply it in memory. On any error
    /// `list` is unchanged. Checks, in order: the delta's signature; list id
    /// and issuer ([`ErrorKind::WrongList`]); `to > from`
    /// ([`ErrorKind::Rollback`]); `to > list.sequence`
    /// ([`ErrorKind::Replay`]); `from == list.sequence`
    /// ([`ErrorKind::SequenceGap`]); every removed entry present; the
    /// issuer's signature of the produced list.
    pub fn apply_to(
        &self,
        list: &mut List,
        trust: &TrustStore,
        now: Timestamp,
    ) -> Result<Verified, Error> {
        let signer = self.verify(trust, now)?;
        let m = &list.meta;
        if self.list_id != m.id || self.issuer != m.issuer {
            return Err(Error::new(
                ErrorKind::WrongList,
                format!(
                    "delta is for list {:?} of {:?}, not {:?} of {:?}",
                    clip(&self.list_id),
                    clip(&self.issuer),
                    m.id,
                    clip(&m.issuer)
                ),
            ));
        }
        if self.to <= self.from {
            return Err(Error::new(
                ErrorKind::Rollback,
                format!("delta goes from sequence {} back to {}", self.from, self.to),
            ));
        }
        if self.to <= m.sequence {
            return Err(Error::new(
                ErrorKind::Replay,
                format!(
                    "delta {} -> {} is already applied: the list is at sequence {}",
                    self.from, self.to, m.sequence
                ),
            ));
        }
        if self.from != m.sequence {
            return Err(Error::new(
                ErrorKind::SequenceGap,
                format!(
                    "delta starts at sequence {} but the list is at {}: apply the deltas in between first",
                    self.from, m.sequence
                ),
            ));
        }
        let meta = self.result_meta(m);
        // Trust first (cheap), then one pass over the list that finds the
        // removed entries and hashes the produced list at the same time.
        let sig = meta.signature.ok_or_else(|| {
            Error::new(
                ErrorKind::Unsigned,
                "delta carries no list-signature for the list it produces",
            )
        })?;
        let tk = trusted_key(trust, &meta.issuer, sig.key_id)?;
        let (plan, digest) = Plan::with_digest(list, self, &meta)?;
        tk.key.verify_digest(&digest, &sig)?;
        check_window(tk, &meta.issuer, meta.created, now)?;
        plan.apply(list, meta, self);
        Ok(signer)
    }

    /// Audit records for applying this delta: removals then additions.
    pub fn audit_records(&self, reason: &str, now: Timestamp) -> Vec<AuditRecord> {
        let key_id = self.signature.map(|s| s.key_id);
        let rec = |op, e: &Entry| AuditRecord {
            time: now,
            list_id: self.list_id.clone(),
            list_sequence: self.to,
            op,
            kind: e.kind,
            value: e.value.clone(),
            reference: e.reference.clone().unwrap_or_default(),
            reason: reason.to_owned(),
            key_id,
        };
        self.removed
            .iter()
            .map(|e| rec(AuditOp::Remove, e))
            .chain(self.added.iter().map(|e| rec(AuditOp::Add, e)))
            .collect()
    }
}

/// What [`apply_file`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// Who signed the delta.
    pub signer: Verified,
    /// The list's sequence before and after.
    pub from: u64,
    /// The list's sequence after.
    pub to: u64,
    /// Entries removed and added.
    pub removed: usize,
    /// Entries added.
    pub added: usize,
    /// The audit log's head hash after the records were appended.
    pub audit_head: String,
    /// An interrupted earlier change found and repaired in the audit log
    /// first ([`Committed::recovered`](crate::Committed::recovered)).
    pub recovered: Vec<String>,
}

/// Apply the delta file at `delta_path` to the list file at `list_path`:
/// verify the list and the delta against `trust`, then commit the change
/// write-ahead ([`commit_change`](crate::commit_change)): one audit record
/// per change and a commit record appended and fsynced to the list's audit
/// log ([`audit_path`](crate::audit_path)), then the list replaced
/// atomically ([`write_atomic`](crate::write_atomic)).
pub fn apply_file(
    list_path: &Path,
    delta_path: &Path,
    trust: &TrustStore,
    reason: &str,
    now: Timestamp,
) -> Result<Applied, Error> {
    let mut list = List::read_file(list_path)?;
    // The list we start from must itself be trusted: applying a genuine
    // delta to a forged base would launder it.
    list.verify(trust, now)
        .map_err(|e| e.with_path(list_path))?;
    let base_sequence = list.meta.sequence;
    let delta = Delta::read_file(delta_path)?;
    let signer = delta
        .apply_to(&mut list, trust, now)
        .map_err(|e| e.with_path(delta_path))?;
    let change = crate::change::Change {
        operation: "apply".to_owned(),
        reason: reason.to_owned(),
        time: now,
        key_id: delta.signature.map(|s| s.key_id),
        base_sequence,
        records: delta.audit_records(reason, now),
    };
    let done = crate::change::commit_change(list_path, &list, &change)?;
    Ok(Applied {
        signer,
        from: delta.from,
        to: delta.to,
        removed: delta.removed.len(),
        added: delta.added.len(),
        audit_head: done.head,
        recovered: done.recovered,
    })
}
