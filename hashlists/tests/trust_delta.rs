//! Deltas: diff, sign, apply, and every refusal; crash-safe replacement.

#![allow(clippy::unwrap_used)]

mod trust_common;

use hashwall_lists::atomic::{AtomicStep, remove_stale_temps, write_atomic_with};
use hashwall_lists::{
    Delta, EntryKind, ErrorKind, List, LoadOptions, Signature, apply_file, audit, audit_path,
    load_verified,
};
use trust_common::*;

/// old (seq 1) and new (seq 2, two removed, two added), both signed by key 1.
fn pair() -> (List, List) {
    let k = key(1);
    let old = signed(list("bka", "BKA", 1, 1, 10), &k);
    let mut new = old.clone();
    new.meta.sequence = 2;
    new.meta.created = at(2);
    new.entries.remove(3);
    new.entries.remove(0);
    new.entries
        .push(entry(EntryKind::Domain, "new.example", Some("CASE-N1")));
    let mut e = entry(EntryKind::Md5, "d41d8cd98f00b204e9800998ecf8427e", None);
    e.added = Some(at(2));
    new.entries.push(e);
    new.sign(&k);
    (old, new)
}

fn delta(old: &List, new: &List, k: u8) -> Delta {
    let mut d = Delta::diff(old, new);
    d.sign(old, &key(k)).unwrap();
    d
}

fn trust() -> hashwall_lists::TrustStore {
    store(vec![trusted("BKA", &key(1), None, None)])
}

fn err_kind<T: std::fmt::Debug>(r: Result<T, hashwall_lists::Error>) -> ErrorKind {
    r.unwrap_err().kind()
}

#[test]
fn diff_apply_gives_new_list_signed() {
    let (old, new) = pair();
    let d = delta(&old, &new, 1);
    assert_eq!((d.removed.len(), d.added.len()), (2, 2));
    let text = d.to_text();
    let back = Delta::from_text(text.as_bytes()).unwrap();
    assert_eq!(back, d);
    let mut l = old.clone();
    let v = back.apply_to(&mut l, &trust(), at(3)).unwrap();
    assert_eq!(v.key_id, key(1).public_key().key_id());
    assert_eq!(l.meta.sequence, 2);
    assert_eq!(l.entries, new.entries);
    // The produced list verifies on its own.
    l.verify(&trust(), at(3)).unwrap();
    let reread = List::from_text(l.to_text().as_bytes(), "x").unwrap();
    reread.verify(&trust(), at(3)).unwrap();
}

#[test]
fn reformatted_delta_still_verifies() {
    let (old, new) = pair();
    let d = delta(&old, &new, 1);
    let text = d
        .to_text()
        .replace('\n', "\r\n")
        .replace("+ domain", "+\tdomain")
        .replace(
            "d41d8cd98f00b204e9800998ecf8427e",
            "D41D8CD98F00B204E9800998ECF8427E",
        );
    let text = format!("# a comment\r\n{text}\r\n# trailing comment\r\n");
    let back = Delta::from_text(text.as_bytes()).unwrap();
    back.verify(&trust(), at(3)).unwrap();
}

#[test]
fn delta_bad_signature() {
    let (old, new) = pair();
    let text = delta(&old, &new, 1)
        .to_text()
        .replace("new.example", "evil.example");
    let d = Delta::from_text(text.as_bytes()).unwrap();
    assert_eq!(err_kind(d.verify(&trust(), at(3))), ErrorKind::BadSignature);
    let mut l = old.clone();
    assert_eq!(
        err_kind(d.apply_to(&mut l, &trust(), at(3))),
        ErrorKind::BadSignature
    );
    assert_eq!(l, old, "list unchanged on refusal");
}

#[test]
fn delta_wrong_key() {
    let (old, new) = pair();
    let d = delta(&old, &new, 2);
    let mut l = old.clone();
    assert_eq!(
        err_kind(d.apply_to(&mut l, &trust(), at(3))),
        ErrorKind::UntrustedKey
    );
}

#[test]
fn list_signature_cannot_pass_as_delta_signature() {
    // Domain separation: the list's own signature put on a delta fails.
    let (old, new) = pair();
    let mut d = delta(&old, &new, 1);
    d.signature = new.meta.signature;
    assert_eq!(err_kind(d.verify(&trust(), at(3))), ErrorKind::BadSignature);
}

#[test]
fn delta_with_forged_result_signature() {
    let (old, new) = pair();
    let mut d = Delta::diff(&old, &new);
    d.sign(&old, &key(1)).unwrap();
    // Re-sign the delta itself over a bogus list-signature.
    let mut bogus: Signature = d.list_signature.unwrap();
    bogus.bytes[0] ^= 1;
    d.list_signature = Some(bogus);
    d.signature = None;
    let dig = d.signed_digest();
    d.signature = Some(key(1).sign_digest(&dig));
    let mut l = old.clone();
    assert_eq!(
        err_kind(d.apply_to(&mut l, &trust(), at(3))),
        ErrorKind::BadSignature
    );
    assert_eq!(l, old);
}

#[test]
fn sequence_gap() {
    let (old, new) = pair();
    let mut newer = new.clone();
    newer.meta.sequence = 3;
    newer.meta.created = at(3);
    newer.sign(&key(1));
    let d23 = delta(&new, &newer, 1);
    let mut l = old.clone();
    assert_eq!(
        err_kind(d23.apply_to(&mut l, &trust(), at(4))),
        ErrorKind::SequenceGap
    );
}

#[test]
fn replay() {
    let (old, new) = pair();
    let d = delta(&old, &new, 1);
    let mut l = old.clone();
    d.apply_to(&mut l, &trust(), at(3)).unwrap();
    let before = l.clone();
    assert_eq!(
        err_kind(d.apply_to(&mut l, &trust(), at(3))),
        ErrorKind::Replay
    );
    assert_eq!(l, before);
}

#[test]
fn rollback() {
    let (old, new) = pair();
    // A delta from 2 back to 1, properly signed by the issuer's key.
    let mut back = old.clone();
    back.meta.created = at(3);
    back.sign(&key(1));
    let d = delta(&new, &back, 1);
    let mut l = new.clone();
    assert_eq!(
        err_kind(d.apply_to(&mut l, &trust(), at(4))),
        ErrorKind::Rollback
    );
}

#[test]
fn wrong_list() {
    let (old, new) = pair();
    let d = delta(&old, &new, 1);
    let mut other = old.clone();
    other.meta.id = "other".into();
    assert_eq!(
        err_kind(d.apply_to(&mut other, &trust(), at(3))),
        ErrorKind::WrongList
    );
}

#[test]
fn delta_cut() {
    let (old, new) = pair();
    let text = delta(&old, &new, 1).to_text();
    for cut in [
        text.len() - 2,
        text.len() - 20,
        text.rfind("\n+").unwrap() + 1,
    ] {
        let e = Delta::from_text(&text.as_bytes()[..cut]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Truncated, "cut {cut}: {e}");
    }
    // Cut before the `changes` header: refused as incomplete.
    let cut = text.find("# changes").unwrap();
    let e = Delta::from_text(&text.as_bytes()[..cut]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidHeaderValue);
    let e = Delta::from_text(&text.as_bytes()[..cut - 3]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Truncated);
}

#[test]
fn delta_parse_errors_name_the_line() {
    let e = Delta::from_text(
        b"# hashwall-delta: 1\n# id: a\n# issuer: b\n# from: 1\n# to: 2\n# changes: 1\n* url x\n",
    )
    .unwrap_err();
    assert_eq!((e.kind(), e.line()), (ErrorKind::InvalidValue, Some(7)));
    let e = Delta::from_text(b"# hashwall-delta: 2\n").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnsupportedVersion);
    let e = Delta::from_text(b"# hashwall-delta: 1\n# frm: 1\n").unwrap_err();
    assert_eq!((e.kind(), e.line()), (ErrorKind::UnknownHeaderKey, Some(2)));
}

#[test]
fn apply_file_writes_list_and_audit() {
    let dir = tempdir("apply");
    let (old, new) = pair();
    let lp = dir.join("bka.list");
    let dp = dir.join("bka.1-2.delta");
    std::fs::write(&lp, old.to_text()).unwrap();
    std::fs::write(&dp, delta(&old, &new, 1).to_text()).unwrap();
    let a = apply_file(&lp, &dp, &trust(), "weekly update", at(3)).unwrap();
    assert_eq!((a.from, a.to, a.removed, a.added), (1, 2, 2, 2));
    let o = LoadOptions {
        now: Some(at(3)),
        ..LoadOptions::default()
    };
    let (l, _) = load_verified(&lp, &trust(), &o).unwrap();
    assert_eq!(l.entries, new.entries);
    // A baseline commit of the list as found, two removals, two additions,
    // the commit of the result.
    let s = audit::verify(&audit_path(&lp)).unwrap();
    assert_eq!(s.records, 6);
    assert_eq!(s.head, a.audit_head);
    // Applying again: replay, nothing changes.
    let e = apply_file(&lp, &dp, &trust(), "again", at(3)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Replay);
    assert_eq!(e.path(), Some(dp.as_path()));
    assert_eq!(audit::verify(&audit_path(&lp)).unwrap().records, 6);
}

/// A crash at any step of the replacement leaves the old list (or, after
/// the rename, the new one) complete and loadable; stale temporary files are
/// never read and can be cleaned up.
#[test]
fn crash_at_every_step_leaves_a_good_list() {
    let (old, new) = pair();
    let o = LoadOptions {
        now: Some(at(3)),
        ..LoadOptions::default()
    };
    for fail_at in [AtomicStep::Written, AtomicStep::Synced, AtomicStep::Renamed] {
        let dir = tempdir("crash");
        let lp = dir.join("bka.list");
        std::fs::write(&lp, old.to_text()).unwrap();
        let r = write_atomic_with(
            &lp,
            |w| new.write_text(w),
            |step| {
                if step == fail_at {
                    Err(std::io::Error::other("simulated crash"))
                } else {
                    Ok(())
                }
            },
        );
        assert_eq!(r.unwrap_err().kind(), ErrorKind::Io);
        let (l, _) = load_verified(&lp, &trust(), &o).unwrap();
        let expect = if fail_at == AtomicStep::Renamed {
            &new
        } else {
            &old
        };
        assert_eq!(&l, expect, "{fail_at:?}");
        let stale = usize::from(fail_at != AtomicStep::Renamed);
        assert_eq!(remove_stale_temps(&lp).unwrap(), stale, "{fail_at:?}");
    }
    // A half-written temp file (crash during write) beside the list.
    let dir = tempdir("crash-half");
    let lp = dir.join("bka.list");
    std::fs::write(&lp, old.to_text()).unwrap();
    let text = new.to_text();
    std::fs::write(dir.join(".bka.list.tmp.1.0"), &text[..text.len() / 2]).unwrap();
    let (l, _) = load_verified(&lp, &trust(), &o).unwrap();
    assert_eq!(l, old);
    assert_eq!(remove_stale_temps(&lp).unwrap(), 1);
}

/// A delta over several chunks, removing entries at and around chunk
/// boundaries and adding enough to spill into a new chunk: the produced
/// list (hashed through a view while applying) verifies when hashed again
/// as a plain list.
#[test]
fn multi_chunk_delta() {
    let k = key(1);
    let old = signed(list("bka", "BKA", 1, 1, 200_000), &k);
    let mut new = old.clone();
    new.meta.sequence = 2;
    new.meta.created = at(2);
    let gone = [
        0usize, 1, 65_535, 65_536, 65_537, 131_071, 131_072, 199_999, 200_000,
    ];
    new.entries = old
        .entries
        .iter()
        .enumerate()
        .filter(|(i, _)| !gone.contains(i))
        .map(|(_, e)| e.clone())
        .collect();
    for i in 0..70_000 {
        new.entries
            .push(entry(EntryKind::Domain, &format!("n{i}.example"), None));
    }
    let d = delta(&old, &new, 1);
    assert_eq!((d.removed.len(), d.added.len()), (gone.len(), 70_000));
    let mut l = old.clone();
    d.apply_to(&mut l, &trust(), at(3)).unwrap();
    assert_eq!(l.entries, new.entries);
    let mut plain = l.clone();
    plain.meta.signature = None;
    plain.sign(&k);
    assert_eq!(plain.meta.signature, l.meta.signature);
    l.verify(&trust(), at(3)).unwrap();
}
