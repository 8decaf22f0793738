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
use std::fmt::Write as _;
use std::path::Path;

use crate::audit::{AuditOp, AuditRecord};
use crate::error::{Error, ErrorKind};
use crate::model::{Entry, List, ListMeta};
use crate::sign::{
    CHUNK_ENTRIES, Canon, DELTA_DOMAIN, EntrySeq, SecretKey, Signature, canon_meta,
    finish_list_digest,
};
use crate::text::{FORMAT_VERSION, MAX_LINE_LEN, clip, parse_entry, parse_u64, write_entry};
use crate::time::Timestamp;
use crate::trust::{TrustStore, Verified, check_window, trusted_key};

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

    /// Parse the delta text format (`FORMAT.md`, "Deltas").
    pub fn from_text(bytes: &[u8]) -> Result<Delta, Error> {
        parse(bytes)
    }

    /// Read and parse a delta file; errors carry the path.
    pub fn read_file(path: &Path) -> Result<Delta, Error> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Delta::from_text(&bytes).map_err(|e| e.with_path(path))
    }

    /// The delta in its text format.
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(512 + 48 * (self.added.len() + self.removed.len()));
        let _ = writeln!(out, "# hashwall-delta: {FORMAT_VERSION}");
        let _ = writeln!(out, "# id: {}", self.list_id);
        let _ = writeln!(out, "# issuer: {}", self.issuer);
        let _ = writeln!(out, "# from: {}", self.from);
        let _ = writeln!(out, "# to: {}", self.to);
        let _ = writeln!(out, "# created: {}", self.created);
        if let Some(e) = self.expires {
            let _ = writeln!(out, "# expires: {e}");
        }
        let _ = writeln!(out, "# changes: {}", self.removed.len() + self.added.len());
        if let Some(s) = self.list_signature {
            let _ = writeln!(out, "# list-signature: {s}");
        }
        if let Some(s) = self.signature {
            let _ = writeln!(out, "# signature: {s}");
        }
        out.push('\n');
        for (op, entries) in [("- ", &self.removed), ("+ ", &self.added)] {
            for e in entries {
                out.push_str(op);
                write_entry(e, &mut out);
            }
        }
        out
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

/// A cheap hash of an entry value for the removal pre-filter: probing 10 M
/// entries through SipHash costs more than the rest of applying a delta. It
/// only selects candidates; equality is then checked exactly.
fn value_hash(v: &str) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let bytes = v.as_bytes();
    let mut h = (bytes.len() as u64).wrapping_mul(K);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K).rotate_left(31);
    }
    let mut w = [0u8; 8];
    let rem = chunks.remainder();
    w[..rem.len()].copy_from_slice(rem);
    h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K);
    // Final avalanche so the high bits used below depend on every byte.
    h ^= h >> 29;
    h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h ^ (h >> 32)
}

/// A one-hash bit filter over the removed values: ~16 bits per value, so
/// about 6 % of kept entries reach the exact check.
struct BitFilter {
    bits: Vec<u64>,
    shift: u32,
}

impl BitFilter {
    fn new(values: impl ExactSizeIterator<Item = u64>) -> BitFilter {
        let want = (values.len().max(1) * 16).next_power_of_two().max(64);
        let log2 = want.trailing_zeros();
        let mut f = BitFilter {
            bits: vec![0; want / 64],
            shift: 64 - log2,
        };
        for h in values {
            let i = f.index(h);
            if let Some(w) = f.bits.get_mut(i / 64) {
                *w |= 1 << (i % 64);
            }
        }
        f
    }

    fn index(&self, h: u64) -> usize {
        // The top `log2` bits; the shift is < 64 since `want >= 64`.
        (h >> self.shift) as usize
    }

    fn may_contain(&self, h: u64) -> bool {
        let i = self.index(h);
        self.bits
            .get(i / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
}

/// Which entries of a list a delta removes, found without changing it.
struct Plan {
    /// Sorted indices of the entries to remove.
    remove: Vec<usize>,
}

/// The list a delta produces, as a view: `old` without the entries at the
/// sorted indices `removed`, then `added`.
struct Produced<'a> {
    old: &'a [Entry],
    removed: &'a [usize],
    added: &'a [Entry],
}

impl EntrySeq for Produced<'_> {
    fn len(&self) -> usize {
        self.old.len() - self.removed.len() + self.added.len()
    }

    fn visit(&self, start: usize, end: usize, f: &mut dyn FnMut(&Entry)) {
        let kept = self.old.len() - self.removed.len();
        if start < kept {
            // Old index of the `start`-th kept entry: start plus the removed
            // indices at or below it.
            let mut k = self.removed.partition_point(|&x| x < start);
            let mut o = start + k;
            while k < self.removed.len() && self.removed[k] <= o {
                o += 1;
                k += 1;
            }
            let mut left = end.min(kept) - start;
            while left > 0 && o < self.old.len() {
                if k < self.removed.len() && self.removed[k] == o {
                    k += 1;
                } else {
                    f(&self.old[o]);
                    left -= 1;
                }
                o += 1;
            }
        }
        let a = start.max(kept) - kept;
        let b = end.max(kept) - kept;
        for e in self.added.get(a..b).unwrap_or_default() {
            f(e);
        }
    }
}

impl Plan {
    /// Find the entries `delta` removes from `list` (in parallel: this
    /// touches every entry) and the canonical digest of the list it
    /// produces with header `meta`.
    fn with_digest(list: &List, delta: &Delta, meta: &ListMeta) -> Result<(Plan, [u8; 32]), Error> {
        let filter = BitFilter::new(delta.removed.iter().map(|e| value_hash(&e.value)));
        let mut wanted: HashMap<&Entry, usize> = HashMap::with_capacity(delta.removed.len());
        for e in &delta.removed {
            *wanted.entry(e).or_default() += 1;
        }
        let entries = list.entries.as_slice();
        let candidates = |lo: usize, hi: usize| -> Vec<usize> {
            let mut v = Vec::new();
            for (i, e) in entries.iter().enumerate().take(hi).skip(lo) {
                if filter.may_contain(value_hash(&e.value)) && wanted.contains_key(e) {
                    v.push(i);
                }
            }
            v
        };
        let mut cand = Vec::new();
        if !delta.removed.is_empty() {
            let threads = std::thread::available_parallelism()
                .map_or(1, usize::from)
                .clamp(1, 8);
            if threads == 1 || entries.len() < 2 * CHUNK_ENTRIES {
                cand = candidates(0, entries.len());
            } else {
                let per = entries.len().div_ceil(threads);
                let parts: Vec<Option<Vec<usize>>> = std::thread::scope(|s| {
                    let hs: Vec<_> = (0..threads)
                        .map(|t| {
                            let c = &candidates;
                            s.spawn(move || c(t * per, ((t + 1) * per).min(entries.len())))
                        })
                        .collect();
                    hs.into_iter().map(|h| h.join().ok()).collect()
                });
                for p in parts {
                    // A scan thread cannot panic; if one did, refuse rather
                    // than produce a wrong list.
                    let p = p.ok_or_else(|| Error::new(ErrorKind::Io, "delta scan failed"))?;
                    cand.extend(p);
                }
            }
        }
        // First equal occurrences win, in list order.
        let mut remove = Vec::with_capacity(delta.removed.len());
        for i in cand {
            if let Some(e) = entries.get(i)
                && let Some(k) = wanted.get_mut(e)
                && *k > 0
            {
                *k -= 1;
                remove.push(i);
            }
        }
        if let Some((e, _)) = wanted.iter().find(|(_, k)| **k > 0) {
            return Err(Error::new(
                ErrorKind::WrongList,
                format!(
                    "delta removes `{} {}`, which is not in list {}",
                    e.kind,
                    clip(&e.value),
                    list.meta.id
                ),
            ));
        }
        let view = Produced {
            old: entries,
            removed: &remove,
            added: &delta.added,
        };
        let mut c = Canon::new(crate::sign::LIST_DOMAIN);
        canon_meta(&mut c, meta, view.len());
        let digest = finish_list_digest(c, &view);
        Ok((Plan { remove }, digest))
    }

    fn apply(self, list: &mut List, meta: ListMeta, delta: &Delta) {
        if !self.remove.is_empty() {
            let mut skip = self.remove.iter().peekable();
            let mut i = 0usize;
            list.entries.retain(|_| {
                let keep = skip.peek() != Some(&&i);
                if !keep {
                    skip.next();
                }
                i += 1;
                keep
            });
        }
        list.entries.extend(delta.added.iter().cloned());
        list.meta = meta;
    }
}

fn parse(bytes: &[u8]) -> Result<Delta, Error> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        Error::new(ErrorKind::InvalidUtf8, "invalid UTF-8").at_line(line)
    })?;
    // Deltas are machine-written and every line ends with LF: a file that
    // does not was cut short, whatever line the cut fell in (a cut header
    // line would otherwise show up as, say, a bad timestamp).
    if !text.is_empty() && !text.ends_with('\n') {
        return Err(Error::new(
            ErrorKind::Truncated,
            "the delta ends without a line end: it was cut short",
        )
        .at_line(text.bytes().filter(|&b| b == b'\n').count() + 1));
    }
    let mut d = Delta {
        list_id: String::new(),
        issuer: String::new(),
        from: 0,
        to: 0,
        created: Timestamp::UNIX_EPOCH,
        expires: None,
        removed: Vec::new(),
        added: Vec::new(),
        list_signature: None,
        signature: None,
    };
    let mut seen: Vec<&str> = Vec::new();
    let mut changes: Option<u64> = None;
    let mut in_header = true;
    let mut last_line = 0;
    let total = text.bytes().filter(|&b| b == b'\n').count() + 1;
    for (i, raw) in text.split('\n').enumerate() {
        let lineno = i + 1;
        last_line = lineno;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if raw.len() > MAX_LINE_LEN {
            return Err(Error::new(ErrorKind::LineTooLong, "line too long").at_line(lineno));
        }
        let line = raw.trim_matches([' ', '\t']);
        if line.is_empty() {
            continue;
        }
        let at = |e: Error| e.at_line(lineno);
        if let Some(body) = line.strip_prefix('#') {
            if !in_header {
                continue;
            }
            let Some((key, value)) = body.split_once(':') else {
                continue;
            };
            let key = key.trim_matches([' ', '\t']).to_ascii_lowercase();
            if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                continue;
            }
            let v = value.trim_matches([' ', '\t']);
            if key.starts_with("x-") {
                continue;
            }
            const KEYS: [&str; 10] = [
                "hashwall-delta",
                "id",
                "issuer",
                "from",
                "to",
                "created",
                "expires",
                "changes",
                "list-signature",
                "signature",
            ];
            let Some(k) = KEYS.iter().find(|k| **k == key) else {
                return Err(at(Error::new(
                    ErrorKind::UnknownHeaderKey,
                    format!("unknown delta header key {:?}", clip(&key)),
                )));
            };
            if seen.contains(k) {
                return Err(at(Error::new(
                    ErrorKind::DuplicateHeaderKey,
                    format!("duplicate header key {k:?}"),
                )));
            }
            seen.push(k);
            match *k {
                "hashwall-delta" if v != "1" => {
                    return Err(at(Error::new(
                        ErrorKind::UnsupportedVersion,
                        format!("unsupported hashwall-delta version {:?}", clip(v)),
                    )));
                }
                "hashwall-delta" => {}
                "id" => {
                    if !ListMeta::is_valid_id(v) {
                        return Err(at(Error::new(
                            ErrorKind::InvalidId,
                            format!("invalid id {:?}", clip(v)),
                        )));
                    }
                    d.list_id = v.to_owned();
                }
                "issuer" => {
                    if v.is_empty() || v.chars().any(|c| c.is_control() && c != '\t') {
                        return Err(at(Error::new(
                            ErrorKind::InvalidHeaderValue,
                            "issuer must be non-empty text",
                        )));
                    }
                    d.issuer = v.to_owned();
                }
                "from" => d.from = parse_u64(v, ErrorKind::InvalidSequence, "from").map_err(at)?,
                "to" => d.to = parse_u64(v, ErrorKind::InvalidSequence, "to").map_err(at)?,
                "created" => d.created = v.parse().map_err(at)?,
                "expires" => d.expires = Some(v.parse().map_err(at)?),
                "changes" => {
                    changes =
                        Some(parse_u64(v, ErrorKind::InvalidHeaderValue, "changes").map_err(at)?);
                }
                "list-signature" => d.list_signature = Some(v.parse().map_err(at)?),
                _ => d.signature = Some(v.parse().map_err(at)?),
            }
            continue;
        }
        in_header = false;
        let (op, rest) = match line.as_bytes().first() {
            Some(b'+') => (AuditOp::Add, &line[1..]),
            Some(b'-') => (AuditOp::Remove, &line[1..]),
            _ => {
                return Err(at(Error::new(
                    ErrorKind::InvalidValue,
                    "delta lines must start with `+ ` (add) or `- ` (remove)",
                )));
            }
        };
        let e = match parse_entry(rest.trim_start_matches([' ', '\t'])) {
            Ok(e) => e,
            // The writer ends every line with LF: a bad fragment at the very
            // end of a file without one is a cut file, not a bad entry.
            Err(_) if !text.ends_with('\n') && lineno == total => {
                return Err(at(Error::new(
                    ErrorKind::Truncated,
                    "the delta ends in the middle of a change line: it was cut short",
                )));
            }
            Err(e) => return Err(at(e)),
        };
        match op {
            AuditOp::Remove => d.removed.push(e),
            // `+` lines (the parser makes no other op).
            _ => d.added.push(e),
        }
    }
    for required in ["hashwall-delta", "id", "issuer", "from", "to", "changes"] {
        if !seen.contains(&required) {
            return Err(Error::new(
                ErrorKind::InvalidHeaderValue,
                format!("delta header lacks `# {required}:`"),
            ));
        }
    }
    let have = (d.added.len() + d.removed.len()) as u64;
    match changes {
        Some(n) if have < n => Err(Error::new(
            ErrorKind::Truncated,
            format!(
                "the header declares {n} changes but the file holds only {have}: it was cut short"
            ),
        )
        .at_line(last_line)),
        Some(n) if have > n => Err(Error::new(
            ErrorKind::InvalidHeaderValue,
            format!("the header declares {n} changes but the file holds {have}"),
        )),
        _ => Ok(d),
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
