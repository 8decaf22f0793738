//! Fixtures shared by the `trust_*` tests: keys, trust stores, lists.

#![allow(dead_code, clippy::unwrap_used)]

use hashwall_lists::{
    Entry, EntryKind, List, ListMeta, SecretKey, Timestamp, TrustStore, TrustedKey,
};

pub const DAY: i64 = 86_400;

/// 2026-01-01T00:00:00Z
pub fn t0() -> Timestamp {
    "2026-01-01T00:00:00Z".parse().unwrap()
}

pub fn at(days: i64) -> Timestamp {
    Timestamp::from_unix_seconds(t0().unix_seconds() + days * DAY)
}

pub fn key(n: u8) -> SecretKey {
    SecretKey::from_seed(&[n; 32])
}

pub fn trusted(issuer: &str, k: &SecretKey, nb: Option<i64>, na: Option<i64>) -> TrustedKey {
    TrustedKey {
        issuer: issuer.into(),
        key: k.public_key(),
        not_before: nb.map(at),
        not_after: na.map(at),
    }
}

pub fn store(keys: Vec<TrustedKey>) -> TrustStore {
    let mut s = TrustStore::new();
    for k in keys {
        s.add(k);
    }
    s
}

pub fn entry(kind: EntryKind, value: &str, reference: Option<&str>) -> Entry {
    Entry {
        kind,
        value: value.into(),
        reference: reference.map(Into::into),
        added: None,
    }
}

/// An unsigned list of `n` generated entries, created at day `day`.
pub fn list(id: &str, issuer: &str, seq: u64, day: i64, n: usize) -> List {
    let mut meta = ListMeta::with_defaults(id);
    meta.issuer = issuer.into();
    meta.name = format!("{issuer} list");
    meta.jurisdiction = "DE".parse().unwrap();
    meta.category = "csam".parse().unwrap();
    meta.sequence = seq;
    meta.created = at(day);
    let mut entries = Vec::new();
    for i in 0..n {
        let mut e = entry(
            EntryKind::UrlPrefix,
            &format!("bad{i}.example/gallery/"),
            Some(&format!("CASE-{i}")),
        );
        if i.is_multiple_of(2) {
            e.added = Some(at(day - 1));
        }
        entries.push(e);
    }
    entries.push(entry(
        EntryKind::Sha1,
        "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        None,
    ));
    List { meta, entries }
}

pub fn signed(mut l: List, k: &SecretKey) -> List {
    l.sign(k);
    l
}

/// A scratch directory removed (with its contents) when dropped, so tests
/// leave nothing behind in the temp dir, even when they fail.
pub struct TempDir(std::path::PathBuf);

impl std::ops::Deref for TempDir {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn tempdir(name: &str) -> TempDir {
    let d = std::env::temp_dir().join(format!(
        "hashwall-trust-{name}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&d).unwrap();
    TempDir(d)
}
