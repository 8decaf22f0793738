//! A snapshot compiled from a streamed load (`Loader::load_streamed` into
//! `SnapshotBuilder::list_adder`) against one compiled from the whole list
//! (`SnapshotBuilder::add_list`): the same verdicts on a table of URLs and
//! hashes, the same statistics, the same errors; and nothing from a list
//! that fails verification.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use hashwall::lists::{
    EntryKind, ErrorKind as ListErrorKind, List, LoadOptions, Loader, NoFloor, SecretKey,
    TrustStore, TrustedKey,
};
use hashwall::{ErrorKind, HashValue, ListConfig, Snapshot, Verdict};

const PDQ_A: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
const PDQ_B: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn key() -> SecretKey {
    SecretKey::from_seed(&[4; 32])
}

fn loader() -> Loader {
    let mut trust = TrustStore::new();
    trust.add(TrustedKey {
        issuer: "Police".into(),
        key: key().public_key(),
        not_before: None,
        not_after: None,
    });
    Loader::new(trust, LoadOptions::default())
}

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let d =
            std::env::temp_dir().join(format!("hashwall-snapstream-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A signed list of every kind, padded with `pad` generated domains.
fn write_list(dir: &Dir, name: &str, body: &str, pad: usize) -> PathBuf {
    let mut text = format!(
        "# id: {name}\n# issuer: Police\n# sequence: 3\n# created: 2026-01-01T00:00:00Z\n{body}"
    );
    for i in 0..pad {
        text.push_str(&format!("domain pad{i}.example P{i}\n"));
    }
    let mut list = List::from_text(text.as_bytes(), name).unwrap();
    list.sign(&key());
    let path = dir.0.join(format!("{name}.list"));
    std::fs::write(&path, list.to_text()).unwrap();
    path
}

const BODY: &str = "\
url-prefix EVIL.example/%67allery/ case-1
domain bad.example case-2
url shop.example/Item/7.jpg?id=3 case-3
url plain.example/a/b.jpg
url-sha256 0b1d9f6c4ebbf1d3d7b7aa5f1c0e8f6d4f0fb6c4c1a6f1e9d2d3c4b5a6978899 hashed
pdq f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22 img-1
sha1 DA39A3EE5E6B4B0D3255BFEF95601890AFD80709 empty-file
phash 8f373714acfcf4d0 p-1
";

/// The old path: the whole list, then `add_list`.
fn whole(paths: &[(&Path, ListConfig)]) -> Snapshot {
    let mut b = Snapshot::builder();
    for (p, c) in paths {
        let (loaded, ()) = loader().load_then(p, &NoFloor, |_| ()).unwrap();
        b.add_list(&loaded.list, c).unwrap();
    }
    b.build()
}

/// The streamed path.
fn streamed(paths: &[(&Path, ListConfig)]) -> Snapshot {
    let mut b = Snapshot::builder();
    for (p, c) in paths {
        let (_, built) = loader()
            .load_streamed(p, &NoFloor, b.list_adder(c))
            .unwrap();
        built.unwrap();
    }
    b.build()
}

fn describe(v: &Verdict) -> Vec<String> {
    let mut out = vec![format!("{:?}", v.action())];
    for m in v.matches() {
        out.push(format!(
            "{} {:?} {:?} {}",
            m.list().id(),
            m.kind(),
            m.reference(),
            m.expression()
        ));
    }
    out
}

#[test]
fn streamed_and_whole_loads_give_the_same_verdicts() {
    let dir = Dir::new("verdicts");
    let a = write_list(&dir, "police", BODY, 70_000);
    let b = write_list(
        &dir,
        "allow",
        "url-prefix evil.example/gallery/ok/ fp-1\nurl SHOP.example/item/7.jpg?id=3\n",
        0,
    );
    let lists = [
        (a.as_path(), ListConfig::default()),
        (
            b.as_path(),
            ListConfig::default()
                .with_policy(hashwall::lists::Policy::Allow)
                .case_insensitive_paths(),
        ),
    ];
    let (old, new) = (whole(&lists), streamed(&lists));
    assert_eq!(old.stats(), new.stats());
    assert_eq!(old.lists(), new.lists());
    let urls = [
        "http://www.evil.example/gallery/1.jpg",
        "http://evil.example/gallery/ok/1.jpg",
        "http://evil.example/other/",
        "https://sub.bad.example/x",
        "http://shop.example/Item/7.jpg?id=3",
        "http://shop.example/ITEM/7.jpg?id=3",
        "http://plain.example/a/b.jpg?x=1",
        "http://plain.example/a/b.jpg;jsessionid=1",
        "http://pad69999.example/",
        "http://x.pad12345.example/y",
        "http://pad70000.example/",
        "http://unlisted.example/",
    ];
    for u in urls {
        assert_eq!(
            describe(&old.check_url(u).unwrap()),
            describe(&new.check_url(u).unwrap()),
            "{u}"
        );
    }
    assert!(new.check_url(urls[0]).unwrap().is_blocked());
    assert!(
        new.check_url("http://x.pad12345.example/y")
            .unwrap()
            .is_blocked()
    );
    for (kind, hex) in [
        (EntryKind::Pdq, PDQ_A),
        (EntryKind::Pdq, PDQ_B),
        (EntryKind::Sha1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        (EntryKind::Phash, "8f373714acfcf4d1"),
    ] {
        let h = HashValue::parse(kind, hex).unwrap();
        assert_eq!(
            describe(&old.check_hash(&h)),
            describe(&new.check_hash(&h)),
            "{kind:?} {hex}"
        );
    }
    let pdq = HashValue::parse(EntryKind::Pdq, PDQ_A).unwrap();
    assert!(new.check_hash(&pdq).is_blocked());
}

#[test]
fn a_bad_entry_in_the_middle_fails_as_add_list_does() {
    let dir = Dir::new("badentry");
    let body = format!("{BODY}url ftp://x.example/a case-9\ndomain after.example\n");
    let path = write_list(&dir, "police", &body, 0);
    let list = loader().load(&path).unwrap().list;
    let old = Snapshot::builder()
        .add_list(&list, &ListConfig::default())
        .map(|_| ())
        .unwrap_err();
    let mut b = Snapshot::builder();
    let (_, built) = loader()
        .load_streamed(&path, &NoFloor, b.list_adder(&ListConfig::default()))
        .unwrap();
    let new = built.unwrap_err();
    assert_eq!(new.kind(), ErrorKind::InvalidEntry);
    assert_eq!((old.kind(), old.to_string()), (new.kind(), new.to_string()));
    // Skipped when the list says so, and counted.
    let mut b = Snapshot::builder();
    let (_, built) = loader()
        .load_streamed(
            &path,
            &NoFloor,
            b.list_adder(&ListConfig::default().skipping_invalid()),
        )
        .unwrap();
    built.unwrap();
    let snap = b.build();
    assert_eq!(snap.stats().skipped, 1);
    assert!(
        snap.check_url("http://after.example/")
            .unwrap()
            .is_blocked()
    );
}

#[test]
fn a_forged_list_builds_nothing() {
    let dir = Dir::new("forged");
    let path = write_list(&dir, "police", BODY, 1_000);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen("pad500.example", "pad501.example", 1)).unwrap();
    let mut b = Snapshot::builder();
    let err = loader()
        .load_streamed(&path, &NoFloor, b.list_adder(&ListConfig::default()))
        .unwrap_err();
    assert_eq!(err.kind(), ListErrorKind::BadSignature);
    // A bad line in the middle: its line, and no list.
    let mut lines: Vec<&str> = text.lines().collect();
    let at = lines.len() / 2;
    lines[at] = "sha1 not-hex";
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let err = loader()
        .load_streamed(&path, &NoFloor, b.list_adder(&ListConfig::default()))
        .unwrap_err();
    assert_eq!(err.kind(), ListErrorKind::InvalidValue);
    assert_eq!(err.line(), Some(at + 1));
}
