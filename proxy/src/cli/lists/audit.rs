//! `hashwall lists audit`: a list's audit log checked, and its records.

use std::path::{Path, PathBuf};

use clap::Args;
use hashwall_lists::audit::AuditSummary;
use hashwall_lists::{Agreement, AuditRecord, audit_path, change};

use super::out;
use crate::cli::fail::{Fail, fail, io};

/// `hashwall lists audit`
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The list file (its audit log is LIST.audit).
    pub list: PathBuf,
    /// Also print the records.
    #[arg(long)]
    pub records: bool,
}

/// Verifies the log's chain and compares it with the list; exit 1 when
/// they disagree.
pub fn run(a: &AuditArgs) -> Result<(), Fail> {
    let list = &a.list;
    let path = audit_path(list);
    let checked = change::check(list)?;
    if a.records {
        let (_, recs) = read_complete_records(&path)?;
        let mut s = String::new();
        for r in &recs {
            s.push_str(&format!(
                "{}\t{}\t{}\t{} {}\t{}\t{}\t{}\n",
                r.time,
                r.list_sequence,
                r.op,
                r.kind,
                r.value,
                r.reference,
                r.reason,
                r.key_id.map(|k| k.to_string()).unwrap_or_default()
            ));
        }
        out(&s);
    }
    // An interrupted or pending change is the expected trace of a
    // crash, not corruption: the list is the last good version.
    for note in checked.notes() {
        let (tag, text) = note.split_once(": ").unwrap_or(("note", &note));
        out(&format!("{tag}\t{}\t{text}\n", path.display()));
    }
    if let Agreement::Mismatch { .. } = checked.agreement {
        return Err(fail(
            1,
            format!(
                "{}: the list does not match its audit log {}",
                list.display(),
                path.display()
            ),
        ));
    }
    let sum = &checked.journal.summary;
    out(&format!(
        "ok\t{}\t{} records, head {}\n",
        path.display(),
        sum.records,
        sum.head
    ));
    Ok(())
}

/// The complete records of a log (a torn last line left out: `check`
/// reports it).
fn read_complete_records(path: &Path) -> Result<(AuditSummary, Vec<AuditRecord>), Fail> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(io(path, e)),
    };
    let end = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    hashwall_lists::audit::read_records(&bytes[..end]).map_err(|e| {
        let mut f = Fail::from(e);
        f.message = format!("{}: {}", path.display(), f.message);
        f
    })
}
