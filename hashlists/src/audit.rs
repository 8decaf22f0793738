//! The audit log: an append-only, hash-chained record of every change to a
//! list. Format in `FORMAT.md`, "Audit log".
//!
//! Each line carries its record number, the previous record's hash and its
//! own hash (SHA-256 over a domain tag and the rest of the line), so editing,
//! removing or reordering records anywhere but at the very end breaks the
//! chain. Cutting whole records off the end cannot be seen from the file
//! alone: compare the head hash ([`AuditSummary::head`]) with one kept
//! elsewhere (the CLI prints it after every change).

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use sha2::{Digest as _, Sha256};

use crate::error::{Error, ErrorKind};
use crate::hex;
use crate::key::KeyId;
use crate::kind::EntryKind;
use crate::time::Timestamp;

/// Domain-separation tag hashed before each audit line.
pub const AUDIT_DOMAIN: &[u8] = b"hashwall-audit-v1\0";

/// The previous-hash of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What a record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditOp {
    /// An entry was added (`add`).
    Add,
    /// An entry was removed (`remove`).
    Remove,
    /// The end of one change: the list file after it has the SHA-256 in
    /// the record's value (kind `sha256`), and the record's reference names
    /// the operation (`new`, `add`, `apply`, `sign`, `recover` …). Written
    /// (and fsynced) before the list is replaced: see [`crate::change`].
    Commit,
}

impl AuditOp {
    /// `add` or `remove`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditOp::Add => "add",
            AuditOp::Remove => "remove",
            AuditOp::Commit => "commit",
        }
    }
}

impl fmt::Display for AuditOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// When the change was made (recorded).
    pub time: Timestamp,
    /// The list changed.
    pub list_id: String,
    /// The list's sequence after the change.
    pub list_sequence: u64,
    /// Added or removed.
    pub op: AuditOp,
    /// The entry's kind.
    pub kind: EntryKind,
    /// The entry's value.
    pub value: String,
    /// The entry's reference (empty if none).
    pub reference: String,
    /// Why (empty if not given).
    pub reason: String,
    /// The key that signed the change, if signed.
    pub key_id: Option<KeyId>,
}

/// The audit log of the list at `list_path`: the same path with `.audit`
/// appended (`police.list` → `police.list.audit`).
pub fn audit_path(list_path: &Path) -> PathBuf {
    let mut p = list_path.as_os_str().to_owned();
    p.push(".audit");
    PathBuf::from(p)
}

/// Escape `\`, tab, LF and CR so a field holds no separator.
fn esc(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

fn unesc(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match it.next()? {
            '\\' => '\\',
            't' => '\t',
            'n' => '\n',
            'r' => '\r',
            _ => return None,
        });
    }
    Some(out)
}

fn line_hash(body: &str) -> String {
    let mut h = Sha256::new();
    h.update(AUDIT_DOMAIN);
    h.update(body.as_bytes());
    hex::encode(&h.finalize())
}

/// The line body (without the final hash field) of record number `n`.
fn body(n: u64, r: &AuditRecord, prev: &str) -> String {
    let mut s = String::with_capacity(128 + r.value.len());
    s.push_str(&n.to_string());
    s.push('\t');
    s.push_str(&r.time.to_string());
    s.push('\t');
    esc(&r.list_id, &mut s);
    s.push('\t');
    s.push_str(&r.list_sequence.to_string());
    s.push('\t');
    s.push_str(r.op.as_str());
    s.push('\t');
    s.push_str(r.kind.as_str());
    s.push('\t');
    esc(&r.value, &mut s);
    s.push('\t');
    esc(&r.reference, &mut s);
    s.push('\t');
    esc(&r.reason, &mut s);
    s.push('\t');
    if let Some(k) = r.key_id {
        s.push_str(&k.to_string());
    }
    s.push('\t');
    s.push_str(prev);
    s
}

/// The state of a verified log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditSummary {
    /// Number of records.
    pub records: u64,
    /// The last record's hash ([`GENESIS`] for an empty log).
    pub head: String,
}

fn corrupt(line: usize, msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::AuditCorrupt, msg).at_line(line)
}

fn parse_record(line: &str, lineno: usize) -> Result<(u64, AuditRecord, String, String), Error> {
    let f: Vec<&str> = line.split('\t').collect();
    let [
        n,
        time,
        id,
        seq,
        op,
        kind,
        value,
        reference,
        reason,
        key,
        prev,
        hash,
    ] = f[..]
    else {
        return Err(corrupt(
            lineno,
            format!("expected 12 tab-separated fields, found {}", f.len()),
        ));
    };
    let bad = |what: &str| corrupt(lineno, format!("bad {what} field"));
    let rec = AuditRecord {
        time: time.parse().map_err(|_| bad("time"))?,
        list_id: unesc(id).ok_or_else(|| bad("list id"))?,
        list_sequence: seq.parse().map_err(|_| bad("sequence"))?,
        op: match op {
            "add" => AuditOp::Add,
            "remove" => AuditOp::Remove,
            "commit" => AuditOp::Commit,
            _ => return Err(bad("op")),
        },
        kind: EntryKind::from_str(kind).map_err(|_| bad("kind"))?,
        value: unesc(value).ok_or_else(|| bad("value"))?,
        reference: unesc(reference).ok_or_else(|| bad("reference"))?,
        reason: unesc(reason).ok_or_else(|| bad("reason"))?,
        key_id: if key.is_empty() {
            None
        } else {
            Some(key.parse().map_err(|_| bad("key id"))?)
        },
    };
    let n = n.parse().map_err(|_| bad("record number"))?;
    Ok((n, rec, prev.to_owned(), hash.to_owned()))
}

/// Check a whole log: numbering from 1 without gaps, each record's previous
/// hash equal to the record before's hash, each hash correct. A last line
/// without its newline (a write torn by a crash) is
/// [`ErrorKind::Truncated`]; everything else is [`ErrorKind::AuditCorrupt`]
/// naming the line. An absent file is an empty log.
pub fn verify(path: &Path) -> Result<AuditSummary, Error> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(Error::io(path, e)),
    };
    verify_bytes(&bytes).map_err(|e| e.with_path(path))
}

/// [`verify`] that also returns the records.
pub fn read_file(path: &Path) -> Result<(AuditSummary, Vec<AuditRecord>), Error> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(Error::io(path, e)),
    };
    read_records(&bytes).map_err(|e| e.with_path(path))
}

/// [`verify`] on the log's bytes; also returns the records.
pub fn read_records(bytes: &[u8]) -> Result<(AuditSummary, Vec<AuditRecord>), Error> {
    let mut records = Vec::new();
    let s = walk(bytes, false, |r, _, _| records.push(r))?;
    Ok((s.summary, records))
}

/// [`verify`] on the log's bytes.
pub fn verify_bytes(bytes: &[u8]) -> Result<AuditSummary, Error> {
    walk(bytes, false, |_, _, _| {}).map(|w| w.summary)
}

/// What [`walk`] found.
struct Walked {
    summary: AuditSummary,
    /// Byte length of the complete records (where a torn line starts).
    complete_len: u64,
    torn: bool,
}

/// The state of a log as the write-ahead protocol sees it ([`journal`]):
/// its complete records, where the last change was committed, and what
/// follows that commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journal {
    /// The complete, verified records (a torn last line not counted).
    pub summary: AuditSummary,
    /// Byte length of the complete records.
    pub complete_len: u64,
    /// The last line has no LF: a write torn by a crash.
    pub torn: bool,
    /// The last `commit` record, if any.
    pub last_commit: Option<AuditRecord>,
    /// The `commit` record before it, if any.
    pub previous_commit: Option<AuditRecord>,
    /// The log up to and including the last commit record: its length in
    /// bytes, its record count and head hash (0, 0, [`GENESIS`] when there
    /// is no commit record).
    pub committed_len: u64,
    /// Records up to and including the last commit.
    pub committed: AuditSummary,
    /// Complete records after the last commit record: a change whose
    /// logging was interrupted (never applied). Without any commit record
    /// (a log written before the write-ahead protocol) this is 0.
    pub uncommitted: u64,
}

/// Read a log for the write-ahead protocol: like [`verify`], but a torn
/// last line is reported in [`Journal::torn`] instead of failing (it is
/// the expected trace of a crash during an append). Corruption anywhere
/// else is still [`ErrorKind::AuditCorrupt`].
pub fn journal(path: &Path) -> Result<Journal, Error> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(Error::io(path, e)),
    };
    journal_bytes(&bytes).map_err(|e| e.with_path(path))
}

/// [`journal`] on the log's bytes.
pub fn journal_bytes(bytes: &[u8]) -> Result<Journal, Error> {
    let mut last_commit = None;
    let mut previous_commit = None;
    let mut committed_len = 0;
    let mut committed = AuditSummary {
        records: 0,
        head: GENESIS.to_owned(),
    };
    let mut after = 0u64;
    let w = walk(bytes, true, |r, end, hash| {
        if r.op == AuditOp::Commit {
            previous_commit = last_commit.take();
            committed_len = end;
            committed = AuditSummary {
                records: committed.records + after + 1,
                head: hash.to_owned(),
            };
            after = 0;
            last_commit = Some(r);
        } else {
            after += 1;
        }
    })?;
    Ok(Journal {
        summary: w.summary,
        complete_len: w.complete_len,
        torn: w.torn,
        uncommitted: if last_commit.is_some() { after } else { 0 },
        last_commit,
        previous_commit,
        committed_len,
        committed,
    })
}

fn walk(
    bytes: &[u8],
    tolerate_torn: bool,
    mut each: impl FnMut(AuditRecord, u64, &str),
) -> Result<Walked, Error> {
    let mut head = GENESIS.to_owned();
    let mut count = 0u64;
    if bytes.is_empty() {
        return Ok(Walked {
            summary: AuditSummary { records: 0, head },
            complete_len: 0,
            torn: false,
        });
    }
    let torn = !bytes.ends_with(b"\n");
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let lines: Vec<&[u8]> = body.split(|&b| b == b'\n').collect();
    let last = lines.len();
    let mut end = 0u64;
    for (i, raw) in lines.into_iter().enumerate() {
        let lineno = i + 1;
        if torn && lineno == last {
            if tolerate_torn {
                break;
            }
            return Err(Error::new(
                ErrorKind::Truncated,
                format!(
                    "the last record (line {lineno}) is incomplete: a write was interrupted; the {count} records before it are intact"
                ),
            )
            .at_line(lineno));
        }
        let line = std::str::from_utf8(raw).map_err(|_| corrupt(lineno, "not UTF-8"))?;
        let (n, rec, prev, hash) = parse_record(line, lineno)?;
        if n != count + 1 {
            return Err(corrupt(
                lineno,
                format!(
                    "record number {n} where {} was expected: records were removed or reordered",
                    count + 1
                ),
            ));
        }
        if prev != head {
            return Err(corrupt(
                lineno,
                "previous-hash does not match the record before: the log was edited, reordered or cut",
            ));
        }
        let body_len = line.len() - hash.len() - 1;
        if line_hash(&line[..body_len]) != hash {
            return Err(corrupt(
                lineno,
                "record hash does not match: the record was edited",
            ));
        }
        end += raw.len() as u64 + 1;
        each(rec, end, &hash);
        head = hash;
        count = n;
    }
    Ok(Walked {
        summary: AuditSummary {
            records: count,
            head,
        },
        complete_len: end,
        torn,
    })
}

/// Cut the log at `path` back to its first `len` bytes and fsync it: how
/// the write-ahead protocol drops a torn line or the records of a change
/// that was never applied. Only ever called with a length that ends a
/// verified record (or 0).
pub fn truncate(path: &Path, len: u64) -> Result<(), Error> {
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    f.set_len(len)
        .and_then(|()| f.sync_all())
        .map_err(|e| Error::io(path, e))
}

/// Append `records` to the log at `path` as one batch, then fsync. Verifies
/// the existing log first and refuses to extend a broken one. Returns the
/// new head hash.
///
/// If the write or the fsync fails (no space left, file size limit), the
/// log is cut back to its previous length, so a failed append leaves no
/// partial record behind.
pub fn append(path: &Path, records: &[AuditRecord]) -> Result<String, Error> {
    let existed = path.exists();
    let state = verify(path)?;
    if records.is_empty() {
        return Ok(state.head);
    }
    let mut out = String::with_capacity(records.len() * 160);
    let mut head = state.head;
    for (i, r) in records.iter().enumerate() {
        let b = body(state.records + 1 + i as u64, r, &head);
        head = line_hash(&b);
        out.push_str(&b);
        out.push('\t');
        out.push_str(&head);
        out.push('\n');
    }
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    let before = f.metadata().map_err(|e| Error::io(path, e))?.len();
    if let Err(e) = f.write_all(out.as_bytes()).and_then(|()| f.sync_data()) {
        // Shrinking is not a write: it works even when the disk is full or
        // the size limit reached.
        let _ = f.set_len(before).and_then(|()| f.sync_data());
        return Err(Error::io(path, e));
    }
    if !existed {
        // Make the new file's directory entry durable too.
        if let Some(dir) = path.parent() {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            crate::atomic::sync_dir(dir)?;
        }
    }
    Ok(head)
}
