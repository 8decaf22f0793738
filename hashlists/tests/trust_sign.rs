//! Signed lists: signing, independent verification of the documented
//! canonical form, and every refusal of `List::verify` / `load_verified`.

#![allow(clippy::unwrap_used)]

mod trust_common;

use hashwall_lists::{
    EntryKind, ErrorKind, ExpiredPolicy, KeyId, List, LoadOptions, PublicKey, SecretKey, Signature,
    TrustStore, load_verified,
};
use sha2::{Digest as _, Sha256};
use trust_common::*;

fn opts(now_day: i64) -> LoadOptions {
    LoadOptions {
        now: Some(at(now_day)),
        ..LoadOptions::default()
    }
}

fn kind_of(r: Result<impl std::fmt::Debug, hashwall_lists::Error>) -> ErrorKind {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.kind(),
    }
}

#[test]
fn signed_list_round_trips_and_verifies() {
    let k = key(1);
    let trust = store(vec![trusted("BKA", &k, None, None)]);
    let l = signed(list("bka-urls", "BKA", 7, 10, 5), &k);
    let text = l.to_text();
    assert!(text.contains("# entries: 6\n"), "{text}");
    assert!(text.contains(&format!(
        "# signature: ed25519 {} ",
        k.public_key().key_id()
    )));
    assert!(text.contains("@2026-01-10T00:00:00Z url-prefix bad0.example/gallery/ CASE-0\n"));
    let back = List::from_text(text.as_bytes(), "x").unwrap();
    assert_eq!(back, l);
    let v = back.verify(&trust, at(11)).unwrap();
    assert_eq!(v.issuer, "BKA");
    assert_eq!(v.key_id, k.public_key().key_id());
}

/// Everything the text format lets a re-formatter change leaves the
/// signature valid: CRLF, BOM, comments, blank lines, header order and case,
/// hex case, blanks, extension keys.
#[test]
fn reformatted_file_still_verifies() {
    let k = key(1);
    let trust = store(vec![trusted("BKA", &k, None, None)]);
    let l = signed(list("bka-urls", "BKA", 7, 10, 3), &k);
    let text = l.to_text();
    let mut header: Vec<String> = Vec::new();
    let mut body: Vec<String> = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') {
            header.push(line.replacen("# ", "#   ", 1).to_uppercase_key());
        } else if !line.is_empty() {
            body.push(format!("  {}  ", line.replace("da39a3ee", "DA39A3EE")));
        }
    }
    header.reverse();
    header.insert(0, "# a comment: not a header because of the space".into());
    header.push("# x-partner-note: anything".into());
    let mut out = String::from("\u{feff}");
    out.push_str(&header.join("\r\n"));
    out.push_str("\r\n\r\n# comment between entries\r\n");
    out.push_str(&body.join("\r\n\r\n"));
    // A file that declares its entry count must end with a line end.
    out.push_str("\r\n");
    let back = List::from_text(out.as_bytes(), "x").unwrap();
    assert_eq!(back, l);
    back.verify(&trust, at(11)).unwrap();
}

trait UpperKey {
    fn to_uppercase_key(&self) -> String;
}
impl UpperKey for String {
    fn to_uppercase_key(&self) -> String {
        match self.split_once(':') {
            Some((k, v)) => format!("{}:{v}", k.to_uppercase()),
            None => self.clone(),
        }
    }
}

/// A partner can verify without this crate: the canonical form exactly as
/// FORMAT.md specifies it, SHA-256, then plain RFC 8032 ed25519.
#[test]
fn canonical_form_matches_format_md() {
    fn f(out: &mut Vec<u8>, s: &str) {
        out.extend_from_slice(&(s.len() as u32).to_be_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    let k = key(3);
    let mut l = list("iwf", "IWF", 42, 3, 2);
    l.meta.expires = Some(at(30));
    l.sign(&k);
    let m = &l.meta;
    let mut c = b"hashwall-list-v1\0".to_vec();
    for s in [
        "1",
        &m.id,
        &m.issuer,
        &m.name,
        "DE",
        "csam",
        "block",
        "42",
        "2026-01-04T00:00:00Z",
        "2026-01-31T00:00:00Z",
        "3",
    ] {
        f(&mut c, s);
    }
    // One chunk (fewer than 65 536 entries): its SHA-256 follows the header.
    let mut chunk = Vec::new();
    for e in &l.entries {
        f(&mut chunk, e.kind.as_str());
        f(&mut chunk, &e.value);
        f(&mut chunk, e.reference.as_deref().unwrap_or(""));
        f(
            &mut chunk,
            &e.added.map(|t| t.to_string()).unwrap_or_default(),
        );
    }
    c.extend_from_slice(&Sha256::digest(&chunk));
    let digest: [u8; 32] = Sha256::digest(&c).into();
    assert_eq!(digest, l.signed_digest());
    let sig = m.signature.unwrap();
    let vk = ed25519_dalek::VerifyingKey::from_bytes(&k.public_key().to_bytes()).unwrap();
    vk.verify_strict(&digest, &ed25519_dalek::Signature::from_bytes(&sig.bytes))
        .unwrap();
    // Key id: first 8 bytes of SHA-256 of the raw public key.
    let id = Sha256::digest(k.public_key().to_bytes());
    assert_eq!(sig.key_id, KeyId(id[..8].try_into().unwrap()));
}

#[test]
fn bad_signature_changed_entry() {
    let k = key(1);
    let trust = store(vec![trusted("BKA", &k, None, None)]);
    let l = signed(list("bka", "BKA", 1, 1, 3), &k);
    let text = l.to_text().replace("bad1.example", "good.example");
    let l2 = List::from_text(text.as_bytes(), "x").unwrap();
    assert_eq!(kind_of(l2.verify(&trust, at(2))), ErrorKind::BadSignature);
}

#[test]
fn bad_signature_changed_header() {
    let k = key(1);
    let trust = store(vec![trusted("BKA", &k, None, None)]);
    let l = signed(list("bka", "BKA", 1, 1, 3), &k);
    let text = l.to_text().replace("# policy: block", "# policy: monitor");
    let l2 = List::from_text(text.as_bytes(), "x").unwrap();
    assert_eq!(kind_of(l2.verify(&trust, at(2))), ErrorKind::BadSignature);
}

#[test]
fn bad_signature_wrong_key_claims_trusted_id() {
    // Signed by an untrusted key but labelled with the trusted key's id.
    let (good, evil) = (key(1), key(2));
    let trust = store(vec![trusted("BKA", &good, None, None)]);
    let mut l = signed(list("bka", "BKA", 1, 1, 3), &evil);
    let sig = l.meta.signature.unwrap();
    l.meta.signature = Some(Signature {
        key_id: good.public_key().key_id(),
        ..sig
    });
    assert_eq!(kind_of(l.verify(&trust, at(2))), ErrorKind::BadSignature);
}

#[test]
fn wrong_key_untrusted_for_issuer() {
    let (good, other) = (key(1), key(2));
    let trust = store(vec![
        trusted("BKA", &good, None, None),
        trusted("IWF", &other, None, None),
    ]);
    // IWF's key signing a BKA list.
    let l = signed(list("bka", "BKA", 1, 1, 3), &other);
    let e = l.verify(&trust, at(2)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UntrustedKey);
    assert!(e.to_string().contains("trusted for issuer \"IWF\""), "{e}");
}

#[test]
fn untrusted_issuer() {
    let k = key(1);
    let trust = store(vec![trusted("BKA", &k, None, None)]);
    let l = signed(list("x", "Somebody", 1, 1, 3), &k);
    assert_eq!(kind_of(l.verify(&trust, at(2))), ErrorKind::UntrustedKey);
    assert_eq!(
        kind_of(l.verify(&TrustStore::new(), at(2))),
        ErrorKind::UntrustedKey
    );
}

#[test]
fn retired_key_and_not_yet_valid_key() {
    let k = key(1);
    let trust = store(vec![trusted("BKA", &k, Some(5), Some(10))]);
    let after = signed(list("bka", "BKA", 1, 11, 3), &k);
    assert_eq!(kind_of(after.verify(&trust, at(12))), ErrorKind::RetiredKey);
    let before = signed(list("bka", "BKA", 1, 4, 3), &k);
    assert_eq!(
        kind_of(before.verify(&trust, at(12))),
        ErrorKind::RetiredKey
    );
    // Signed inside the window: still fine after the key retired.
    let inside = signed(list("bka", "BKA", 1, 10, 3), &k);
    inside.verify(&trust, at(100)).unwrap();
}

#[test]
fn future_dated_list_refused() {
    let k = key(1);
    let trust = store(vec![trusted("BKA", &k, None, None)]);
    let l = signed(list("bka", "BKA", 1, 10, 3), &k);
    assert_eq!(kind_of(l.verify(&trust, at(9))), ErrorKind::FutureDated);
}

#[test]
fn unsigned_needs_allow_unsigned() {
    let dir = tempdir("unsigned");
    let p = dir.join("local.list");
    std::fs::write(&p, list("local", "local", 1, 1, 2).to_text()).unwrap();
    let trust = TrustStore::new();
    let e = load_verified(&p, &trust, &opts(2)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsigned);
    assert_eq!(e.path(), Some(p.as_path()));
    let allow = LoadOptions {
        allow_unsigned: true,
        ..opts(2)
    };
    let (_, v) = load_verified(&p, &trust, &allow).unwrap();
    assert_eq!(v.signer, None);
    // allow_unsigned does not excuse a bad signature.
    let k = key(1);
    let text = signed(list("local", "local", 1, 1, 2), &k)
        .to_text()
        .replace("bad0", "bad9");
    std::fs::write(&p, text).unwrap();
    let t = store(vec![trusted("local", &k, None, None)]);
    assert_eq!(
        kind_of(load_verified(&p, &t, &allow)),
        ErrorKind::BadSignature
    );
}

#[test]
fn expired_refused_or_flagged() {
    let dir = tempdir("expired");
    let p = dir.join("l.list");
    let k = key(1);
    let trust = store(vec![trusted("BKA", &k, None, None)]);
    let mut l = list("bka", "BKA", 1, 1, 2);
    l.meta.expires = Some(at(5));
    l.sign(&k);
    std::fs::write(&p, l.to_text()).unwrap();
    let (_, v) = load_verified(&p, &trust, &opts(4)).unwrap();
    assert!(!v.expired);
    assert_eq!(
        kind_of(load_verified(&p, &trust, &opts(5))),
        ErrorKind::Expired
    );
    let flag = LoadOptions {
        expired: ExpiredPolicy::Flag,
        ..opts(6)
    };
    let (_, v) = load_verified(&p, &trust, &flag).unwrap();
    assert!(v.expired);
}

#[test]
fn rollback_below_min_sequence() {
    let dir = tempdir("rollback");
    let p = dir.join("l.list");
    let k = key(1);
    let trust = store(vec![trusted("BKA", &k, None, None)]);
    std::fs::write(&p, signed(list("bka", "BKA", 5, 1, 2), &k).to_text()).unwrap();
    let o = LoadOptions {
        min_sequence: Some(6),
        ..opts(2)
    };
    assert_eq!(kind_of(load_verified(&p, &trust, &o)), ErrorKind::Rollback);
    let o = LoadOptions {
        min_sequence: Some(5),
        ..opts(2)
    };
    load_verified(&p, &trust, &o).unwrap();
}

#[test]
fn truncated_list_cut_mid_file() {
    let k = key(1);
    let text = signed(list("bka", "BKA", 1, 1, 20), &k).to_text();
    for cut in [
        text.len() / 2,
        text.len() - 1,
        text.len() - 10,
        text.len() - 60,
    ] {
        let e = List::from_text(&text.as_bytes()[..cut], "x").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Truncated, "cut at {cut}: {e}");
    }
    // Cut inside the header, before the signature: the remains are unsigned.
    let cut = text.find("# sequence").unwrap();
    let l = List::from_text(&text.as_bytes()[..cut], "x").unwrap();
    let trust = store(vec![trusted("BKA", &k, None, None)]);
    assert_eq!(kind_of(l.verify(&trust, at(2))), ErrorKind::Unsigned);
}

#[test]
fn truncated_list_file_via_load_names_the_file() {
    let dir = tempdir("cut");
    let p = dir.join("l.list");
    let k = key(1);
    let text = signed(list("bka", "BKA", 1, 1, 20), &k).to_text();
    std::fs::write(&p, &text.as_bytes()[..text.len() / 2]).unwrap();
    let trust = store(vec![trusted("BKA", &k, None, None)]);
    let e = load_verified(&p, &trust, &opts(2)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Truncated);
    assert!(e.to_string().starts_with(&p.display().to_string()), "{e}");
}

#[test]
fn key_files() {
    let dir = tempdir("keys");
    let k = SecretKey::generate().unwrap();
    let sp = dir.join("bka.key");
    let pp = dir.join("bka.pub");
    k.write_file(&sp).unwrap();
    std::fs::write(&pp, k.public_key().to_file_text()).unwrap();
    let k2 = SecretKey::read_file(&sp).unwrap();
    assert_eq!(k2.public_key(), k.public_key());
    assert_eq!(PublicKey::read_file(&pp).unwrap(), k.public_key());
    // Refuses to overwrite.
    assert_eq!(k.write_file(&sp).unwrap_err().kind(), ErrorKind::Io);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&sp).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        for bad in [0o640, 0o604, 0o644, 0o660] {
            std::fs::set_permissions(&sp, std::fs::Permissions::from_mode(bad)).unwrap();
            let e = SecretKey::read_file(&sp).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InsecureKeyFile, "{bad:o}");
        }
    }
    let e = PublicKey::from_file_text("# x\nhashwall-ed25519-public 12zz\n").unwrap_err();
    assert_eq!((e.kind(), e.line()), (ErrorKind::InvalidKey, Some(2)));
    // Debug does not leak the secret.
    assert!(!format!("{k:?}").contains(&format!("{:?}", [1u8; 4])));
}

#[test]
fn trust_store_file_format() {
    let (a, b) = (key(1), key(2));
    let s = store(vec![
        trusted("Example Police", &a, None, Some(10)),
        trusted("Example Police", &b, Some(8), None),
    ]);
    let text = s.to_text();
    let back = TrustStore::from_text(text.as_bytes()).unwrap();
    assert_eq!(back, s);
    assert_eq!(back.keys_for("Example Police").count(), 2);
    // Key id not matching the key: error names the line.
    let bad = text.replace(&a.public_key().key_id().to_string(), "0000000000000000");
    let e = TrustStore::from_text(bad.as_bytes()).unwrap_err();
    assert_eq!((e.kind(), e.line()), (ErrorKind::InvalidKey, Some(2)));
    let e = TrustStore::from_text(b"\n\ned25519 00\n").unwrap_err();
    assert_eq!((e.kind(), e.line()), (ErrorKind::InvalidKey, Some(3)));
    let e = TrustStore::from_text(b"rsa 0 0 - - x\n").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidKey);
}

#[test]
fn signature_header_errors() {
    let e = List::from_text(b"# signature: ed25519 00 11\nurl a\n", "x").unwrap_err();
    assert_eq!((e.kind(), e.line()), (ErrorKind::InvalidKey, Some(1)));
    let e = List::from_text(b"# signature: rsa 00 11\nurl a\n", "x").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidKey);
    let e = List::from_text(b"# entries: 2\nurl a\n", "x").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Truncated);
    let e = List::from_text(b"# entries: 0\nurl a\n", "x").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidHeaderValue);
    let e = List::from_text(b"@yesterday url a\n", "x").unwrap_err();
    assert_eq!((e.kind(), e.line()), (ErrorKind::InvalidTimestamp, Some(1)));
}

/// Lists longer than one chunk: every chunk's hash, in order.
#[test]
fn canonical_form_multi_chunk() {
    fn f(out: &mut Vec<u8>, s: &str) {
        out.extend_from_slice(&(s.len() as u32).to_be_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    let l = list("big", "BKA", 1, 1, 140_000);
    let m = &l.meta;
    let mut c = b"hashwall-list-v1\0".to_vec();
    for s in [
        "1",
        &m.id,
        &m.issuer,
        &m.name,
        "DE",
        "csam",
        "block",
        "1",
        "2026-01-02T00:00:00Z",
        "",
        &l.entries.len().to_string(),
    ] {
        f(&mut c, s);
    }
    for chunk in l.entries.chunks(65_536) {
        let mut b = Vec::new();
        for e in chunk {
            f(&mut b, e.kind.as_str());
            f(&mut b, &e.value);
            f(&mut b, e.reference.as_deref().unwrap_or(""));
            f(&mut b, &e.added.map(|t| t.to_string()).unwrap_or_default());
        }
        c.extend_from_slice(&Sha256::digest(&b));
    }
    let digest: [u8; 32] = Sha256::digest(&c).into();
    assert_eq!(digest, l.signed_digest());
}

/// Lists over 8 MiB of entries are parsed on several threads: the result,
/// line numbers of errors and the first error are as if parsed in order.
#[test]
fn large_list_parses_in_parallel_like_sequentially() {
    let k = key(1);
    let trust = store(vec![trusted("BKA", &k, None, None)]);
    let mut l = list("big", "BKA", 1, 1, 0);
    l.entries = (0..300_000)
        .map(|i| {
            entry(
                EntryKind::Url,
                &format!("http://host-{i}.example.org/some/path/{i}.jpg"),
                Some(&format!("CASE {i}")),
            )
        })
        .collect();
    l.sign(&k);
    let text = l.to_text();
    assert!(text.len() > 16 << 20, "{}", text.len());
    let back = List::from_text(text.as_bytes(), "x").unwrap();
    assert_eq!(back, l);
    back.verify(&trust, at(2)).unwrap();
    // Comments and blank lines in the body, CRLF.
    let noisy = text
        .replace("CASE 150000\n", "CASE 150000\n# comment\n\n")
        .replace('\n', "\r\n");
    assert_eq!(List::from_text(noisy.as_bytes(), "x").unwrap(), l);
    // Errors late in the file name the right line; the first error wins.
    let mut lines: Vec<&str> = text.lines().collect();
    let header = lines.iter().position(|l| l.is_empty()).unwrap() + 1;
    let bad_late = header + 280_000;
    let bad_early = header + 20_000;
    lines[bad_late] = "md5 xyz";
    let one = lines.join("\n") + "\n";
    let e = List::from_text(one.as_bytes(), "x").unwrap_err();
    assert_eq!(
        (e.kind(), e.line()),
        (ErrorKind::InvalidValue, Some(bad_late + 1))
    );
    lines[bad_early] = "nonsense here";
    let two = lines.join("\n") + "\n";
    let e = List::from_text(two.as_bytes(), "x").unwrap_err();
    assert_eq!(
        (e.kind(), e.line()),
        (ErrorKind::UnknownEntryKind, Some(bad_early + 1))
    );
    // Cut: truncated.
    let e = List::from_text(&text.as_bytes()[..text.len() - 7], "x").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Truncated);
    let e = List::from_text(&text.as_bytes()[..text.len() / 2], "x").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Truncated);
}
