//! `hashwall lists publish prune`: after pruning, a subscriber at a kept
//! version still catches up by deltas, one further behind takes the full
//! list, and `--dry-run` changes nothing.
#![allow(clippy::unwrap_used)]

mod serve_support;

use std::io::BufRead as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hashwall_lists::{List, SecretKey, TrustStore, TrustedKey};
use hashwall_proxy::serve::publication::Manifest;
use serve_support::*;

/// `hashwall lists publish serve DIR` on a free port, killed on drop.
struct Publisher {
    child: Child,
    addr: SocketAddr,
}

impl Publisher {
    fn start(dir: &Path) -> Publisher {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hashwall"))
            .args(["lists", "publish", "serve", dir.to_str().unwrap()])
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .and_then(|a| a.strip_suffix('/'))
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .parse()
            .unwrap();
        Publisher { child, addr }
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn hashwall(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_hashwall"))
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn police(key: &SecretKey, sequence: u64) -> List {
    let mut text = format!("# id: police\n# issuer: Example Police\n# sequence: {sequence}\n");
    for p in 1..=sequence {
        text.push_str(&format!("url-prefix 127.0.0.1/p{p}/ CASE-{p}\n"));
    }
    let mut list = List::from_text(text.as_bytes(), "police").unwrap();
    list.sign(key);
    list
}

fn publish(dir: &TempDir, pubdir: &Path, key: &SecretKey, key_file: &Path, sequence: u64) {
    let path = dir.write(
        &format!("police-{sequence}.hwl"),
        &police(key, sequence).to_text(),
    );
    let (code, _, err) = hashwall(&[
        "lists",
        "publish",
        "add",
        pubdir.to_str().unwrap(),
        path.to_str().unwrap(),
        "--key",
        key_file.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
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
        publish(&s.dir, &s.pubdir, &key, &key_file, seq);
    }
    let publisher = Publisher::start(&s.pubdir);
    catch_up(&s, publisher.addr, "behind.hwl", 2).await;
    for seq in 3..=4 {
        publish(&s.dir, &s.pubdir, &key, &key_file, seq);
    }
    catch_up(&s, publisher.addr, "recent.hwl", 4).await;
    drop(publisher);
    for seq in 5..=6 {
        publish(&s.dir, &s.pubdir, &key, &key_file, seq);
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
    publish(&s.dir, &s.pubdir, &key, &key_file, 7);
    catch_up(&s, publisher.addr, "recent.hwl", 7).await;
}

#[test]
fn prune_refuses_what_is_not_a_publication() {
    let dir = TempDir::new("prune-bad");
    let (code, _, err) = hashwall(&[
        "lists",
        "publish",
        "prune",
        dir.0.to_str().unwrap(),
        "--keep",
        "1",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("not a publication directory"), "{err}");
    std::fs::create_dir(dir.0.join("police")).unwrap();
    dir.write("police/manifest", "# hashwall-manifest: 1\nnonsense\n");
    dir.write("police/list-1.hwl", "kept\n");
    let (code, _, err) = hashwall(&[
        "lists",
        "publish",
        "prune",
        dir.0.to_str().unwrap(),
        "--keep",
        "1",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("manifest"), "{err}");
    assert!(dir.0.join("police/list-1.hwl").exists());
}
