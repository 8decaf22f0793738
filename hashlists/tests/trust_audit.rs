//! The audit log: chaining, durability format, and tamper detection.

#![allow(clippy::unwrap_used)]

mod trust_common;

use hashwall_lists::audit::{self, AuditOp, AuditRecord, GENESIS};
use hashwall_lists::{EntryKind, ErrorKind};
use trust_common::*;

fn rec(i: u64, reason: &str) -> AuditRecord {
    AuditRecord {
        time: at(i as i64),
        list_id: "bka".into(),
        list_sequence: i,
        op: if i.is_multiple_of(3) {
            AuditOp::Remove
        } else {
            AuditOp::Add
        },
        kind: EntryKind::Url,
        value: format!("http://bad{i}.example/a"),
        reference: format!("CASE {i}"),
        reason: reason.into(),
        key_id: i.is_multiple_of(2).then(|| key(1).public_key().key_id()),
    }
}

/// A log of `n` records, in a scratch directory that lives as long as the
/// returned guard.
fn log_with(n: u64) -> (TempDir, std::path::PathBuf, String) {
    let dir = tempdir("audit");
    let p = dir.join("bka.list.audit");
    let mut head = String::new();
    for batch in 0..n / 2 {
        let recs = [
            rec(2 * batch + 1, "court order\tno. 5"),
            rec(2 * batch + 2, ""),
        ];
        head = audit::append(&p, &recs).unwrap();
    }
    (dir, p, head)
}

#[test]
fn append_and_verify() {
    let dir = tempdir("audit-empty");
    let p = dir.join("x.audit");
    assert_eq!(audit::verify(&p).unwrap().head, GENESIS);
    let (_dir, p, head) = log_with(6);
    let s = audit::verify(&p).unwrap();
    assert_eq!((s.records, s.head), (6, head));
    let (_, recs) = audit::read_records(&std::fs::read(&p).unwrap()).unwrap();
    assert_eq!(recs[0], rec(1, "court order\tno. 5"));
    assert_eq!(recs[5], rec(6, ""));
    assert_eq!(std::fs::read_to_string(&p).unwrap().lines().count(), 6);
}

fn lines(p: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

fn write_lines(p: &std::path::Path, l: &[String]) {
    std::fs::write(p, l.join("\n") + "\n").unwrap();
}

#[test]
fn edited_record_detected() {
    let (_dir, p, _) = log_with(6);
    let mut l = lines(&p);
    l[2] = l[2].replace("bad3", "bad7");
    write_lines(&p, &l);
    let e = audit::verify(&p).unwrap_err();
    assert_eq!((e.kind(), e.line()), (ErrorKind::AuditCorrupt, Some(3)));
}

#[test]
fn record_removed_from_middle_detected() {
    let (_dir, p, _) = log_with(6);
    let mut l = lines(&p);
    l.remove(3);
    write_lines(&p, &l);
    let e = audit::verify(&p).unwrap_err();
    assert_eq!((e.kind(), e.line()), (ErrorKind::AuditCorrupt, Some(4)));
}

#[test]
fn reordered_records_detected() {
    let (_dir, p, _) = log_with(6);
    let mut l = lines(&p);
    l.swap(1, 2);
    write_lines(&p, &l);
    let e = audit::verify(&p).unwrap_err();
    assert_eq!((e.kind(), e.line()), (ErrorKind::AuditCorrupt, Some(2)));
}

#[test]
fn renumbered_and_rehashed_middle_cut_detected() {
    // Removing a record and renumbering the rest still breaks the chain.
    let (_dir, p, _) = log_with(6);
    let mut l = lines(&p);
    l.remove(1);
    for (i, line) in l.iter_mut().enumerate() {
        let rest = line.split_once('\t').unwrap().1.to_owned();
        *line = format!("{}\t{rest}", i + 1);
    }
    write_lines(&p, &l);
    assert_eq!(
        audit::verify(&p).unwrap_err().kind(),
        ErrorKind::AuditCorrupt
    );
}

#[test]
fn torn_last_line_reported_distinctly() {
    let (_dir, p, _) = log_with(6);
    let bytes = std::fs::read(&p).unwrap();
    std::fs::write(&p, &bytes[..bytes.len() - 30]).unwrap();
    let e = audit::verify(&p).unwrap_err();
    assert_eq!((e.kind(), e.line()), (ErrorKind::Truncated, Some(6)));
    assert!(
        e.to_string().contains("5 records before it are intact"),
        "{e}"
    );
    // Appending to a torn log is refused rather than burying the damage.
    assert_eq!(
        audit::append(&p, &[rec(7, "")]).unwrap_err().kind(),
        ErrorKind::Truncated
    );
}

#[test]
fn garbage_never_panics() {
    for bad in [
        &b"\n"[..],
        b"1\t2\n",
        b"\xff\xfe\n",
        b"1\tnot-a-time\tbka\t1\tadd\turl\tv\t\t\t\t0\t0\n",
        b"\t\t\t\t\t\t\t\t\t\t\t\n",
    ] {
        let e = audit::verify_bytes(bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AuditCorrupt, "{bad:?}");
    }
}
