//! The write-ahead order between a list and its audit log: a crash at any
//! point leaves the last good list, a log that still verifies, and a trace
//! that `change::check` reports and the next change repairs.

#![allow(clippy::unwrap_used)]

mod trust_common;

use std::io::Write as _;
use std::path::Path;

use hashwall_lists::atomic::AtomicStep;
use hashwall_lists::change::{Agreement, Change, check, commit_change, commit_change_with};
use hashwall_lists::{AuditOp, AuditRecord, EntryKind, List, audit, audit_path};
use trust_common::*;

fn add_change(l: &List, value: &str, base: u64) -> Change {
    Change {
        operation: "add".into(),
        reason: "test".into(),
        time: at(2),
        key_id: None,
        base_sequence: base,
        records: vec![AuditRecord {
            time: at(2),
            list_id: l.meta.id.clone(),
            list_sequence: l.meta.sequence,
            op: AuditOp::Add,
            kind: EntryKind::Domain,
            value: value.into(),
            reference: String::new(),
            reason: "test".into(),
            key_id: None,
        }],
    }
}

/// A list committed at sequence 1, and its successor (not yet written).
fn start(dir: &Path) -> (std::path::PathBuf, List, List) {
    let lp = dir.join("bka.list");
    let old = list("bka", "BKA", 1, 1, 10);
    let first = Change {
        operation: "new".into(),
        reason: String::new(),
        time: at(1),
        key_id: None,
        base_sequence: 0,
        records: Vec::new(),
    };
    commit_change(&lp, &old, &first).unwrap();
    let mut new = old.clone();
    new.meta.sequence = 2;
    new.entries
        .push(entry(EntryKind::Domain, "new.example", None));
    (lp, old, new)
}

fn crash_at(at_step: AtomicStep) -> impl FnMut(AtomicStep) -> std::io::Result<()> {
    move |step| {
        if step == at_step {
            Err(std::io::Error::other("simulated crash"))
        } else {
            Ok(())
        }
    }
}

#[test]
fn complete_change_is_consistent() {
    let dir = tempdir("wal-ok");
    let (lp, _, new) = start(&dir);
    let c = commit_change(&lp, &new, &add_change(&new, "new.example", 1)).unwrap();
    assert!(c.recovered.is_empty());
    assert_eq!(List::read_file(&lp).unwrap(), new);
    let chk = check(&lp).unwrap();
    assert_eq!(chk.agreement, Agreement::Consistent);
    assert!(chk.notes().is_empty(), "{:?}", chk.notes());
    // new's commit, the add record, its commit.
    assert_eq!(audit::verify(&audit_path(&lp)).unwrap().records, 3);
    let last = chk.journal.last_commit.unwrap();
    assert_eq!((last.list_sequence, last.reference.as_str()), (2, "add"));
}

/// Logged but not replaced: the list is the old one and the change is
/// reported pending; the next change records the recovery and ends
/// consistent.
#[test]
fn crash_before_rename_is_pending_then_recovered() {
    for step in [AtomicStep::Written, AtomicStep::Synced] {
        let dir = tempdir("wal-pending");
        let (lp, old, new) = start(&dir);
        let e = commit_change_with(
            &lp,
            &new,
            &add_change(&new, "new.example", 1),
            crash_at(step),
        );
        assert!(e.is_err(), "{step:?}");
        assert_eq!(List::read_file(&lp).unwrap(), old, "{step:?}");
        let chk = check(&lp).unwrap();
        assert_eq!(
            chk.agreement,
            Agreement::Pending { sequence: 2 },
            "{step:?}"
        );
        assert!(chk.notes()[0].starts_with("pending: "), "{:?}", chk.notes());
        // The log itself still verifies.
        audit::verify(&audit_path(&lp)).unwrap();
        // The next change starts from the list on disk (sequence 1).
        let c = commit_change(&lp, &new, &add_change(&new, "new.example", 1)).unwrap();
        assert_eq!(c.recovered.len(), 1, "{:?}", c.recovered);
        assert!(
            c.recovered[0].contains("never applied"),
            "{:?}",
            c.recovered
        );
        assert_eq!(check(&lp).unwrap().agreement, Agreement::Consistent);
        let (_, recs) = audit::read_file(&audit_path(&lp)).unwrap();
        let refs: Vec<&str> = recs
            .iter()
            .filter(|r| r.op == AuditOp::Commit)
            .map(|r| r.reference.as_str())
            .collect();
        assert_eq!(refs, ["new", "add", "recover", "add"]);
    }
}

#[test]
fn crash_after_rename_is_consistent() {
    let dir = tempdir("wal-renamed");
    let (lp, _, new) = start(&dir);
    let e = commit_change_with(
        &lp,
        &new,
        &add_change(&new, "new.example", 1),
        crash_at(AtomicStep::Renamed),
    );
    assert!(e.is_err());
    assert_eq!(List::read_file(&lp).unwrap(), new);
    assert_eq!(check(&lp).unwrap().agreement, Agreement::Consistent);
}

/// A crash while the records were being appended: a torn line (and maybe
/// complete records) after the last commit. Reported as interrupted, not as
/// corruption; the next change cuts it off.
#[test]
fn torn_batch_is_interrupted_then_discarded() {
    let dir = tempdir("wal-torn");
    let (lp, old, new) = start(&dir);
    let log = audit_path(&lp);
    let good = std::fs::read(&log).unwrap();
    // What a complete change would have appended, cut in its third line.
    commit_change(&lp, &new, &add_change(&new, "new.example", 1)).unwrap();
    let full = std::fs::read(&log).unwrap();
    let extra = &full[good.len()..];
    let cut = good.len() + extra.iter().position(|&b| b == b'\n').unwrap() + 10;
    std::fs::write(&log, &full[..cut]).unwrap();
    std::fs::write(&lp, old.to_text()).unwrap();

    let chk = check(&lp).unwrap();
    assert!(chk.journal.torn);
    assert_eq!(chk.journal.uncommitted, 1);
    assert_eq!(chk.agreement, Agreement::Consistent);
    assert!(
        chk.notes()[0].starts_with("interrupted: "),
        "{:?}",
        chk.notes()
    );
    // `verify` (strict) says truncated; `journal` tolerates it.
    assert_eq!(
        audit::verify(&log).unwrap_err().kind(),
        hashwall_lists::ErrorKind::Truncated
    );

    let c = commit_change(&lp, &new, &add_change(&new, "new.example", 1)).unwrap();
    assert!(
        c.recovered[0].contains("discarded 1 record"),
        "{:?}",
        c.recovered
    );
    let chk = check(&lp).unwrap();
    assert_eq!(chk.agreement, Agreement::Consistent);
    assert!(!chk.journal.torn);
    assert_eq!(audit::verify(&log).unwrap().records, 3);
}

/// A list replaced behind hashwall's back matches neither commit.
#[test]
fn foreign_list_is_a_mismatch() {
    let dir = tempdir("wal-mismatch");
    let (lp, old, _) = start(&dir);
    let mut other = old.clone();
    other.entries.pop();
    std::fs::write(&lp, other.to_text()).unwrap();
    let chk = check(&lp).unwrap();
    assert_eq!(chk.agreement, Agreement::Mismatch { sequence: 1 });
    assert!(
        chk.notes()[0].starts_with("mismatch: "),
        "{:?}",
        chk.notes()
    );
}

/// A log written before the write-ahead order (no commit records) is
/// untracked; the first change records a baseline of the list as found.
#[test]
fn legacy_log_gets_a_baseline() {
    let dir = tempdir("wal-legacy");
    let lp = dir.join("bka.list");
    let old = list("bka", "BKA", 1, 1, 10);
    std::fs::write(&lp, old.to_text()).unwrap();
    audit::append(&audit_path(&lp), &add_change(&old, "x.example", 1).records).unwrap();
    assert_eq!(check(&lp).unwrap().agreement, Agreement::Untracked);
    let mut new = old.clone();
    new.meta.sequence = 2;
    let c = commit_change(&lp, &new, &add_change(&new, "y.example", 1)).unwrap();
    assert!(c.recovered.is_empty());
    let (_, recs) = audit::read_file(&audit_path(&lp)).unwrap();
    assert_eq!(recs.len(), 4);
    assert_eq!(recs[1].reference, "baseline");
    assert_eq!(recs[1].list_sequence, 1);
    assert_eq!(check(&lp).unwrap().agreement, Agreement::Consistent);
}

/// A log that cannot be read or appended to (here a directory in its
/// place) stops the change before the list is touched.
#[test]
fn failed_log_write_changes_nothing() {
    let dir = tempdir("wal-fail");
    let (lp, old, new) = start(&dir);
    let log = audit_path(&lp);
    let before = std::fs::read(&log).unwrap();
    // Make the log unappendable: replace it by a directory.
    std::fs::remove_file(&log).unwrap();
    std::fs::create_dir(&log).unwrap();
    let e = commit_change(&lp, &new, &add_change(&new, "new.example", 1)).unwrap_err();
    assert_eq!(e.path(), Some(log.as_path()), "{e}");
    assert_eq!(List::read_file(&lp).unwrap(), old);
    std::fs::remove_dir(&log).unwrap();
    let mut f = std::fs::File::create(&log).unwrap();
    f.write_all(&before).unwrap();
    assert_eq!(check(&lp).unwrap().agreement, Agreement::Consistent);
}
