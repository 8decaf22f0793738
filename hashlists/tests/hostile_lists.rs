//! Hostile lists and deltas, one table each, every case with its expected
//! outcome (issue 7): truncation, bad signature, wrong key, sequence gap,
//! replay, rollback, duplicate and malformed entries, an enormous line, NUL
//! bytes, invalid UTF-8, CRLF.
//!
//! Everything goes through the file entry points a subscriber uses
//! (`load_verified`, `apply_file` — what `hashwall lists verify` and
//! `hashwall lists apply` call): a refused file names its line in the error
//! text, and the last good list and its audit log stay on disk byte for byte.

#![allow(clippy::unwrap_used)]

mod trust_common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use hashwall_lists::{
    Delta, EntryKind, ErrorKind, List, LoadOptions, MAX_LINE_LEN, apply_file, audit_path,
    load_verified,
};
use trust_common::*;

/// Counts bytes allocated by the whole process (the parser may use several
/// threads), for the enormous-line case.
struct Counting;

static ALLOCATED: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATED.fetch_add(new_size as u64, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn trust() -> hashwall_lists::TrustStore {
    store(vec![trusted("BKA", &key(1), None, None)])
}

fn opts() -> LoadOptions {
    LoadOptions {
        now: Some(at(3)),
        ..LoadOptions::default()
    }
}

/// The last good list: BKA, sequence 1, signed with the trusted key.
fn good() -> List {
    signed(list("bka", "BKA", 1, 1, 6), &key(1))
}

/// The number (1-based) of the first line of `text` that starts with `prefix`.
fn line_of(text: &str, prefix: &str) -> usize {
    text.lines().position(|l| l.starts_with(prefix)).unwrap() + 1
}

struct Expect {
    kind: ErrorKind,
    /// The line the error must name (`None`: the whole file is at fault,
    /// as for a signature that does not verify).
    line: Option<usize>,
}

fn refused(kind: ErrorKind, line: Option<usize>) -> Option<Expect> {
    Some(Expect { kind, line })
}

fn check(name: &str, path: &Path, got: Result<(), hashwall_lists::Error>, want: Option<Expect>) {
    match (got, want) {
        (Ok(()), None) => {}
        (Ok(()), Some(w)) => panic!("{name}: accepted, expected {:?}", w.kind),
        (Err(e), None) => panic!("{name}: refused, expected acceptance: {e}"),
        (Err(e), Some(w)) => {
            assert_eq!(e.kind(), w.kind, "{name}: {e}");
            assert_eq!(e.line(), w.line, "{name}: {e}");
            let text = e.to_string();
            assert!(
                text.starts_with(&path.display().to_string()),
                "{name}: {text}"
            );
            if let Some(l) = w.line {
                assert!(text.contains(&format!(":{l}: ")), "{name}: {text}");
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Whole lists.

#[test]
fn hostile_list_files_are_refused_with_their_line() {
    let dir = tempdir("hostile-lists");
    let text = good().to_text();
    let lines = text.lines().count();
    let sig_line = line_of(&text, "# signature:");
    let last_entry = lines;
    let unsigned = {
        let mut l = list("bka", "BKA", 1, 1, 2);
        l.meta.signature = None;
        l.to_text()
    };
    let unsigned_hdr = unsigned.find("\n\n").unwrap() + 2;
    // An unsigned header without an entry count, then the case's body.
    let header = unsigned[..unsigned_hdr].replace("# entries: 3\n", "");
    assert!(!header.contains("# entries"));
    let with_body = |body: &str| format!("{header}{body}");
    let body_line = header.lines().count() + 1;
    let mut bad_sig = good();
    bad_sig.entries[0].value = "evil.example/gallery/".into();
    let mut wrong_key = list("bka", "BKA", 1, 1, 6);
    wrong_key.sign(&key(2));

    // (case, file bytes, accept unsigned, expected outcome)
    let cases: Vec<(&str, Vec<u8>, bool, Option<Expect>)> = vec![
        ("the good list", text.clone().into_bytes(), false, None),
        (
            "body cut mid-entry",
            text.as_bytes()[..text.len() - 7].to_vec(),
            false,
            refused(ErrorKind::Truncated, Some(last_entry)),
        ),
        (
            "body cut after a whole entry",
            text.as_bytes()[..text.rfind("\nsha1").unwrap() + 1].to_vec(),
            false,
            refused(ErrorKind::Truncated, None),
        ),
        (
            "signature line cut",
            {
                let at = text.find("# signature:").unwrap() + 30;
                text.as_bytes()[..at].to_vec()
            },
            false,
            refused(ErrorKind::InvalidKey, Some(sig_line)),
        ),
        (
            "bad signature (an entry changed)",
            bad_sig.to_text().into_bytes(),
            false,
            refused(ErrorKind::BadSignature, None),
        ),
        (
            "signed with an untrusted key",
            wrong_key.to_text().into_bytes(),
            false,
            refused(ErrorKind::UntrustedKey, None),
        ),
        (
            "unsigned, not allowed",
            unsigned.clone().into_bytes(),
            false,
            refused(ErrorKind::Unsigned, None),
        ),
        (
            "duplicate entries (kept: a list may repeat an entry with two references)",
            with_body("url-prefix a.example/x/ R1\nurl-prefix a.example/x/ R1\nurl-prefix a.example/x/ R2\n").into_bytes(),
            true,
            None,
        ),
        (
            "bad hex",
            with_body("url-prefix a.example/x/\nsha1 zz39a3ee5e6b4b0d3255bfef95601890afd80709\n").into_bytes(),
            true,
            refused(ErrorKind::InvalidValue, Some(body_line + 1)),
        ),
        (
            "bad kind",
            with_body("url-prefix a.example/x/\nurl-regex .*\n").into_bytes(),
            true,
            refused(ErrorKind::UnknownEntryKind, Some(body_line + 1)),
        ),
        (
            "URL with a control character",
            with_body("url http://a.example/\u{7}\n").into_bytes(),
            true,
            refused(ErrorKind::InvalidValue, Some(body_line)),
        ),
        (
            "NUL byte in an entry",
            with_body("url-prefix a.example/x/\ndomain evil\0.example\n").into_bytes(),
            true,
            refused(ErrorKind::InvalidValue, Some(body_line + 1)),
        ),
        (
            "NUL byte in a comment",
            with_body("url-prefix a.example/x/\n# note \0\n").into_bytes(),
            true,
            None,
        ),
        (
            "invalid UTF-8",
            {
                let mut b = with_body("url-prefix a.example/x/\n").into_bytes();
                b.extend_from_slice(b"domain caf\xc3.example\n");
                b
            },
            true,
            refused(ErrorKind::InvalidUtf8, Some(body_line + 1)),
        ),
        (
            "CRLF line ends (accepted, read as LF)",
            text.replace('\n', "\r\n").into_bytes(),
            false,
            None,
        ),
        (
            "a lone CR inside a line",
            with_body("url-prefix a.example/x/\rdomain b.example\n").into_bytes(),
            true,
            refused(ErrorKind::InvalidValue, Some(body_line)),
        ),
        (
            "a line one byte over the limit",
            with_body(&format!("url-prefix a.example/x/\n#{}\n", "x".repeat(MAX_LINE_LEN))).into_bytes(),
            true,
            refused(ErrorKind::LineTooLong, Some(body_line + 1)),
        ),
    ];
    for (i, (name, bytes, allow_unsigned, want)) in cases.into_iter().enumerate() {
        let path = dir.join(format!("case{i}.list"));
        std::fs::write(&path, &bytes).unwrap();
        let o = LoadOptions {
            allow_unsigned,
            ..opts()
        };
        let got = load_verified(&path, &trust(), &o).map(|(l, _)| {
            if name.starts_with("duplicate") {
                assert_eq!(l.entries.len(), 3, "{name}");
            }
            if name.starts_with("CRLF") {
                assert_eq!(l, good(), "{name}");
            }
        });
        check(name, &path, got, want);
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "{name}: file untouched"
        );
    }
}

#[test]
fn an_enormous_line_is_refused_without_copying_it() {
    let dir = tempdir("hostile-huge");
    let path = dir.join("huge.list");
    // 64 MiB on line 3, after a valid header and entry.
    let mut bytes = b"# issuer: BKA\nurl-prefix a.example/x/\nurl-prefix a.example/".to_vec();
    bytes.resize(bytes.len() + (64 << 20), b'a');
    bytes.extend_from_slice(b"/\n");
    std::fs::write(&path, &bytes).unwrap();
    drop(bytes);
    let o = LoadOptions {
        allow_unsigned: true,
        ..opts()
    };
    let before = ALLOCATED.load(Ordering::Relaxed);
    let e = load_verified(&path, &trust(), &o).unwrap_err();
    let used = ALLOCATED.load(Ordering::Relaxed) - before;
    eprintln!("64 MiB line: {e}; {used} bytes allocated");
    assert_eq!(
        (e.kind(), e.line()),
        (ErrorKind::LineTooLong, Some(3)),
        "{e}"
    );
    assert!(e.to_string().contains(":3: line is"), "{e}");
    // The file is read once (64 MiB); the parser copies nothing of the line.
    // (Other tests of this binary may allocate meanwhile: a loose bound.)
    assert!(used < (64 << 20) + (16 << 20), "allocated {used} bytes");
}

// ---------------------------------------------------------------------------
// Deltas, applied to the last good list on disk.

/// Writes the good list (sequence 1) and returns its path.
fn install(dir: &Path) -> PathBuf {
    let p = dir.join("bka.list");
    std::fs::write(&p, good().to_text()).unwrap();
    p
}

fn next(from: &List, seq: u64) -> List {
    let mut l = from.clone();
    l.meta.sequence = seq;
    l.meta.created = at(1 + seq as i64);
    l.entries.push(entry(
        EntryKind::Domain,
        &format!("new{seq}.example"),
        Some("N"),
    ));
    l.sign(&key(1));
    l
}

fn signed_delta(old: &List, new: &List, k: u8) -> Delta {
    let mut d = Delta::diff(old, new);
    d.sign(old, &key(k)).unwrap();
    d
}

#[test]
fn hostile_deltas_leave_the_last_good_list_on_disk() {
    let dir = tempdir("hostile-deltas");
    let v1 = good();
    let v2 = next(&v1, 2);
    let v3 = next(&v2, 3);
    let good_delta = signed_delta(&v1, &v2, 1).to_text();
    let mut back = v1.clone();
    back.meta.created = at(4);
    back.sign(&key(1));

    let cases: Vec<(&str, Vec<u8>, Option<Expect>)> = vec![
        (
            "delta cut mid-entry",
            good_delta.as_bytes()[..good_delta.len() - 5].to_vec(),
            refused(ErrorKind::Truncated, Some(good_delta.lines().count())),
        ),
        (
            "bad signature (an added entry changed)",
            good_delta
                .replace("new2.example", "evil.example")
                .into_bytes(),
            refused(ErrorKind::BadSignature, None),
        ),
        (
            "signed with an untrusted key",
            signed_delta(&v1, &v2, 2).to_text().into_bytes(),
            refused(ErrorKind::UntrustedKey, None),
        ),
        (
            "sequence gap (2 -> 3 on a list at 1)",
            signed_delta(&v2, &v3, 1).to_text().into_bytes(),
            refused(ErrorKind::SequenceGap, None),
        ),
        (
            "rollback (a signed 2 -> 1 on a list at 1)",
            signed_delta(&v2, &back, 1).to_text().into_bytes(),
            refused(ErrorKind::Rollback, None),
        ),
        (
            "malformed change line",
            good_delta.replace("+ domain", "* domain").into_bytes(),
            refused(
                ErrorKind::InvalidValue,
                Some(line_of(&good_delta, "+ domain")),
            ),
        ),
        (
            "invalid UTF-8 in a change",
            {
                let at = good_delta.find("new2.example").unwrap();
                let mut b = good_delta.as_bytes().to_vec();
                b[at + 4] = 0xC3;
                b
            },
            refused(
                ErrorKind::InvalidUtf8,
                Some(line_of(&good_delta, "+ domain")),
            ),
        ),
        (
            "NUL byte in a change",
            good_delta
                .replace("new2.example", "new2\0.example")
                .into_bytes(),
            refused(
                ErrorKind::InvalidValue,
                Some(line_of(&good_delta, "+ domain")),
            ),
        ),
    ];
    for (i, (name, delta, want)) in cases.into_iter().enumerate() {
        let lp = install(&dir);
        let before = std::fs::read(&lp).unwrap();
        let dp = dir.join(format!("case{i}.delta"));
        std::fs::write(&dp, &delta).unwrap();
        let got = apply_file(&lp, &dp, &trust(), "hostile", at(5)).map(|_| ());
        check(name, &dp, got, want);
        assert_eq!(
            std::fs::read(&lp).unwrap(),
            before,
            "{name}: list untouched"
        );
        assert!(!audit_path(&lp).exists(), "{name}: nothing audited");
    }

    // Replay and rollback after a real update: the list stays at 2.
    let lp = install(&dir);
    let d12 = dir.join("d12.delta");
    std::fs::write(&d12, &good_delta).unwrap();
    apply_file(&lp, &d12, &trust(), "update", at(5)).unwrap();
    let at2 = std::fs::read(&lp).unwrap();
    let audit_at2 = std::fs::read(audit_path(&lp)).unwrap();
    let d21 = dir.join("d21.delta");
    std::fs::write(&d21, signed_delta(&v2, &back, 1).to_text()).unwrap();
    for (name, dp, kind) in [
        ("replayed delta", &d12, ErrorKind::Replay),
        ("rollback delta", &d21, ErrorKind::Rollback),
    ] {
        let got = apply_file(&lp, dp, &trust(), "hostile", at(5)).map(|_| ());
        check(name, dp, got, refused(kind, None));
        assert_eq!(std::fs::read(&lp).unwrap(), at2, "{name}: list untouched");
        assert_eq!(
            std::fs::read(audit_path(&lp)).unwrap(),
            audit_at2,
            "{name}: audit untouched"
        );
    }
}
