//! `hashwall lists publish prune`: after pruning, a subscriber at a kept
//! version still catches up by deltas, one further behind takes the full
//! list, and `--dry-run` changes nothing.
#![allow(clippy::unwrap_used)]

mod serve_support;
mod subscribe_support;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hashwall_lists::publication::Manifest;
use hashwall_lists::{List, SecretKey, TrustStore, TrustedKey};
use serve_support::*;
use subscribe_support::{Publisher, hashwall, police, publish};

/// The police list at `sequence`, one entry per version so far.
fn police_at(key: &SecretKey, sequence: u64) -> List {
    let paths: Vec<String> = (1..=sequence).map(|p| format!("p{p}")).collect();
    let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
    police(key, sequence, &paths)
}

fn publish_at(dir: &TempDir, pubdir: &Path, key: &SecretKey, key_file: &Path, sequence: u64) {
    publish(dir, pubdir, &police_at(key, sequence), key_file);
}

/// The files of a directory, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

struct Setup {
    dir: TempDir,
    pubdir: PathBuf,
    store: PathBuf,
}

impl Setup {
    fn config(&self, publisher: SocketAddr, cache: &str) -> String {
        format!(
            "[proxy]\nlisten = \"127.0.0.1:0\"\n[admin]\nlisten = \"127.0.0.1:0\"\n\
             [lists]\npoll_secs = 0\n[trust]\nstore = {:?}\n\
             [[list]]\nsubscribe = \"http://{publisher}/police/\"\ncache = {:?}\npoll_secs = 0.1\n",
            self.store.display().to_string(),
            self.dir.0.join(cache).display().to_string()
        )
    }

    fn audit(&self, cache: &str) -> String {
        std::fs::read_to_string(self.dir.0.join(format!("{cache}.audit"))).unwrap()
    }
}

async fn served_sequence(admin: SocketAddr) -> u64 {
    let (_, body) = admin_request(admin, "GET", "/readyz", None).await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["lists"][0]["sequence"].as_u64().unwrap_or(0)
}

/// Starts a proxy on `cache` and waits until it serves `want`.
async fn catch_up(s: &Setup, publisher: SocketAddr, cache: &str, want: u64) {
    let proxy = Proxy::start(&s.config(publisher, cache)).await;
    let admin = proxy.admin.unwrap();
    let deadline = Instant::now() + STEP;
    while served_sequence(admin).await != want {
        assert!(Instant::now() < deadline, "{cache} never reached {want}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_keeps_catch_up_by_deltas_for_the_kept_versions() {
    let dir = TempDir::new("prune");
    let key = SecretKey::from_seed(&[7; 32]);
    let key_file = dir.0.join("police.key");
    key.write_file(&key_file).unwrap();
    let mut store = TrustStore::new();
    store.add(TrustedKey {
        issuer: "Example Police".into(),
        key: key.public_key(),
        not_before: None,
        not_after: None,
    });
    let s = Setup {
        store: dir.write("trust.store", &store.to_text()),
        pubdir: dir.0.join("pub"),
        dir,
    };
    let ldir = s.pubdir.join("police");

    // Subscriber "behind" at 2, subscriber "recent" at 4.
    for seq in 1..=2 {
        publish_at(&s.dir, &s.pubdir, &key, &key_file, seq);
    }
    let publisher = Publisher::start(&s.pubdir);
    catch_up(&s, publisher.addr, "behind.hwl", 2).await;
    for seq in 3..=4 {
        publish_at(&s.dir, &s.pubdir, &key, &key_file, seq);
    }
    catch_up(&s, publisher.addr, "recent.hwl", 4).await;
    drop(publisher);
    for seq in 5..=6 {
        publish_at(&s.dir, &s.pubdir, &key, &key_file, seq);
    }
    let before = listing(&ldir);
    let manifest_before = std::fs::read(ldir.join("manifest")).unwrap();
    assert_eq!(before.len(), 12, "{before:?}");

    // --dry-run: says what would go, changes nothing.
    let pubdir = s.pubdir.to_str().unwrap();
    let (code, out, err) = hashwall(&[
        "lists",
        "publish",
        "prune",
        pubdir,
        "--keep",
        "2",
        "--dry-run",
    ]);
    assert_eq!(code, 0, "{err}");
    for gone in ["list-1.hwl", "list-5.hwl", "delta-1-2.hwd", "delta-3-4.hwd"] {
        assert!(
            out.contains(&format!("would remove\t{}", ldir.join(gone).display())),
            "{out}"
        );
    }
    assert!(
        !out.contains("delta-4-5.hwd") && !out.contains("list-6.hwl"),
        "{out}"
    );
    assert_eq!(listing(&ldir), before);
    assert_eq!(
        std::fs::read(ldir.join("manifest")).unwrap(),
        manifest_before
    );

    // The real thing: the current list and the deltas from 4 remain.
    let (code, out, err) = hashwall(&["lists", "publish", "prune", pubdir, "--keep", "2"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("removed\t"), "{out}");
    assert_eq!(
        listing(&ldir),
        ["delta-4-5.hwd", "delta-5-6.hwd", "list-6.hwl", "manifest"]
    );
    let m = Manifest::from_text(&std::fs::read(ldir.join("manifest")).unwrap()).unwrap();
    assert_eq!(m.sequence, 6);
    assert_eq!(m.list, "list-6.hwl");
    let files: Vec<_> = m.deltas.iter().map(|d| d.file.as_str()).collect();
    assert_eq!(files, ["delta-4-5.hwd", "delta-5-6.hwd"]);
    // Pruning again changes nothing.
    let (code, out, _) = hashwall(&["lists", "publish", "prune", pubdir, "--keep", "2"]);
    assert_eq!(code, 0);
    assert!(out.contains("0 files"), "{out}");
    assert_eq!(listing(&ldir).len(), 4);

    let publisher = Publisher::start(&s.pubdir);
    // At 4 (kept): by deltas.
    catch_up(&s, publisher.addr, "recent.hwl", 6).await;
    let audit = s.audit("recent.hwl");
    assert!(
        audit.contains("127.0.0.1/p6/") && !audit.contains("full list"),
        "{audit}"
    );
    // At 2 (pruned): the full list.
    catch_up(&s, publisher.addr, "behind.hwl", 6).await;
    assert!(s.audit("behind.hwl").contains("full list"));
    // A new version after pruning publishes as usual, with its delta.
    publish_at(&s.dir, &s.pubdir, &key, &key_file, 7);
    catch_up(&s, publisher.addr, "recent.hwl", 7).await;
}

#[test]
fn prune_refuses_what_is_not_a_publication() {
    let dir = TempDir::new("prune-bad");
    let prune = || {
        hashwall(&[
            "lists",
            "publish",
            "prune",
            dir.0.to_str().unwrap(),
            "--keep",
            "1",
        ])
    };
    let (code, _, err) = prune();
    assert_eq!(code, 2);
    assert!(err.contains("not a publication directory"), "{err}");
    std::fs::create_dir(dir.0.join("police")).unwrap();
    dir.write("police/manifest", "# hashwall-manifest: 1\nnonsense\n");
    dir.write("police/list-1.hwl", "kept\n");
    let (code, _, err) = prune();
    assert_eq!(code, 2);
    assert!(err.contains("manifest"), "{err}");
    assert!(dir.0.join("police/list-1.hwl").exists());
}
