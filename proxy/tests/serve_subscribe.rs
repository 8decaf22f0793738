//! Subscriptions end to end: `hashwall lists publish serve` on an ephemeral
//! port, a proxy subscribed to it, lists published with
//! `hashwall lists publish add`; and the publisher's file server on its
//! own (traversal, conditional requests).
#![allow(clippy::unwrap_used)]

mod serve_support;
mod subscribe_support;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Instant;

use hashwall_lists::publication::{DeltaRef, Manifest, delta_file, list_file};
use hashwall_lists::{Delta, List, SecretKey, Timestamp, TrustStore, TrustedKey};
use serve_support::*;
use subscribe_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscription_follows_the_publisher_and_survives_its_failures() {
    let dir = TempDir::new("subscribe");
    let ours = SecretKey::from_seed(&[7; 32]);
    let other = SecretKey::from_seed(&[8; 32]);
    let key_file = dir.0.join("police.key");
    ours.write_file(&key_file).unwrap();
    let store = dir.write("trust.store", &trust_store(&ours));
    let pubdir = dir.0.join("pub");
    let cache = dir.0.join("cache").join("police.hwl");
    std::fs::create_dir_all(cache.parent().unwrap()).unwrap();

    let v1 = police(&ours, 1, &["a"]);
    publish(&dir, &pubdir, &v1, &key_file);
    let mut publisher = Publisher::start(&pubdir);
    let up = upstream().await;
    let config = base_config(
        &dir,
        &format!(
            "[trust]\nstore = {:?}\n[[list]]\nsubscribe = \"http://{}/police/\"\ncache = {:?}\npoll_secs = 0.1\ntimeout_secs = 5\n",
            store.display().to_string(),
            publisher.addr,
            cache.display().to_string(),
        ),
    );
    // No local copy yet: the proxy fetches the full list before serving.
    let proxy = Proxy::start(&config).await;
    let admin = proxy.admin.unwrap();
    assert!(cache.exists());
    assert_eq!(status_of(proxy.addr, up, "a").await, 451);
    assert_eq!(status_of(proxy.addr, up, "b").await, 200);

    // A new version: published as a signed delta, picked up by a poll.
    let v2 = police(&ours, 2, &["a", "b"]);
    let out = publish(&dir, &pubdir, &v2, &key_file);
    assert!(out.contains("with delta-1-2.hwd"), "{out}");
    let published = Instant::now();
    eventually("the delta blocks /b/", || async {
        status_of(proxy.addr, up, "b").await == 451
    })
    .await;
    let took = published.elapsed();
    eprintln!("publish -> blocked: {} ms", took.as_millis());
    assert_eq!(status_of(proxy.addr, up, "a").await, 451);
    let audit = std::fs::read_to_string(dir.0.join("cache").join("police.hwl.audit")).unwrap();
    assert!(
        audit.contains("127.0.0.1/b/") && !audit.contains("full list"),
        "applied as a delta: {audit}"
    );
    eventually("sequence 2 reported", || async {
        metric(admin, "hashwall_subscription_sequence{list=\"police\"}").await == 2
    })
    .await;
    let last_ok = metric(
        admin,
        "hashwall_subscription_last_success_timestamp_seconds{list=\"police\"}",
    )
    .await;
    assert!(last_ok > 1_700_000_000, "{last_ok}");

    // A delta (and full list) signed by a key the proxy does not trust.
    let ldir = pubdir.join("police");
    let v3 = police(&other, 3, &["a", "b", "c"]);
    let mut d = Delta::diff(&v2, &v3);
    d.sign(&v2, &other).unwrap();
    std::fs::write(ldir.join(delta_file(2, 3)), d.to_text()).unwrap();
    std::fs::write(ldir.join(list_file(3)), v3.to_text()).unwrap();
    let forged = Manifest {
        id: "police".into(),
        issuer: None,
        sequence: 3,
        published: Timestamp::now(),
        list: list_file(3),
        deltas: vec![DeltaRef {
            from: 2,
            to: 3,
            file: delta_file(2, 3),
        }],
    };
    replace(&ldir.join("manifest"), &forged.to_text());
    let untrusted =
        "hashwall_subscription_failures_total{list=\"police\",reason=\"untrusted_key\"}";
    eventually("the untrusted delta is counted", || async {
        metric(admin, untrusted).await >= 1
    })
    .await;
    assert_eq!(status_of(proxy.addr, up, "c").await, 200, "not applied");
    assert_eq!(status_of(proxy.addr, up, "b").await, 451, "last good kept");
    let v = readyz(admin).await;
    assert_eq!(v["lists"][0]["sequence"], 2, "{v}");
    let sub = &v["subscriptions"][0];
    assert_eq!(sub["sequence"], 2, "{v}");
    assert!(
        sub["last_error"]
            .as_str()
            .unwrap()
            .starts_with("untrusted_key"),
        "{v}"
    );
    assert!(List::read_file(&cache).unwrap().meta.sequence == 2);

    // A manifest going backwards (an old one replayed): refused.
    let old = Manifest {
        id: "police".into(),
        issuer: None,
        sequence: 1,
        published: Timestamp::now(),
        list: list_file(1),
        deltas: Vec::new(),
    };
    replace(&ldir.join("manifest"), &old.to_text());
    let rollback = "hashwall_subscription_failures_total{list=\"police\",reason=\"rollback\"}";
    eventually("the rollback is counted", || async {
        metric(admin, rollback).await >= 1
    })
    .await;
    assert_eq!(status_of(proxy.addr, up, "b").await, 451);

    // The publisher ships v4 without a delta (a gap for us): the full list.
    let v4 = police(&ours, 4, &["a", "b", "d"]);
    let v4_path = dir.write("police-4.hwl", &v4.to_text());
    let (code, out, err) = hashwall(&[
        "lists",
        "publish",
        "add",
        pubdir.to_str().unwrap(),
        v4_path.to_str().unwrap(),
        "--trust",
        store.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("delta"), "{out}");
    eventually("the full list blocks /d/", || async {
        status_of(proxy.addr, up, "d").await == 451
    })
    .await;
    let audit = std::fs::read_to_string(dir.0.join("cache").join("police.hwl.audit")).unwrap();
    assert!(audit.contains("full list"), "{audit}");
    // Every update went through the write-ahead protocol: the cache's log
    // verifies and names the cache as it is on disk.
    let check = hashwall_lists::change::check(&cache).unwrap();
    assert_eq!(
        check.agreement,
        hashwall_lists::Agreement::Consistent,
        "{:?}",
        check.notes()
    );

    // The publisher goes away: the proxy keeps serving, and counts it.
    publisher.stop();
    let unreachable =
        "hashwall_subscription_failures_total{list=\"police\",reason=\"unreachable\"}";
    eventually("the unreachable publisher is counted", || async {
        metric(admin, unreachable).await >= 2
    })
    .await;
    assert_eq!(status_of(proxy.addr, up, "d").await, 451);
    proxy.stop().await;

    // A restart with the publisher still down works from the cache.
    let proxy = Proxy::start(&config).await;
    let admin = proxy.admin.unwrap();
    assert_eq!(status_of(proxy.addr, up, "d").await, 451);
    assert_eq!(status_of(proxy.addr, up, "a").await, 451);
    assert_eq!(readyz(admin).await["lists"][0]["sequence"], 4);
    eventually("the restarted proxy counts the outage", || async {
        metric(admin, unreachable).await >= 1
    })
    .await;
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_without_cache_or_publisher_fails_clearly() {
    let dir = TempDir::new("subscribe-nocache");
    let store = dir.write("trust.store", &trust_store(&SecretKey::from_seed(&[7; 32])));
    let nobody = dead_addr().await;
    let cache = dir.0.join("police.hwl");
    let config = base_config(
        &dir,
        &format!(
            "[trust]\nstore = {:?}\n[[list]]\nsubscribe = \"http://{nobody}/police/\"\ncache = {:?}\ntimeout_secs = 2\n",
            store.display().to_string(),
            cache.display().to_string(),
        ),
    );
    let config = hashwall_proxy::serve::config::Config::from_toml(&config, None).unwrap();
    let e = hashwall_proxy::serve::start(config, std::future::pending())
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("no local copy") && e.contains("unreachable"),
        "{e}"
    );
    assert!(!cache.exists());
}

#[test]
fn subscription_config_is_checked() {
    use hashwall_proxy::serve::config::Config;
    let ok = Config::from_toml(
        "[trust]\nstore = \"t\"\n[[list]]\nsubscribe = \"http://127.0.0.1:8080/police\"\ncache = \"p.hwl\"\n",
        Some(Path::new("/etc/hw")),
    )
    .unwrap();
    let sub = ok.list[0].subscription().unwrap();
    assert_eq!(sub.cache, Path::new("/etc/hw/p.hwl"));
    assert_eq!(sub.poll_secs, 60.0);
    assert!(
        Config::from_toml(
            "[[list]]\nsubscribe = \"http://x/p/\"\ncache = \"c\"\n",
            None
        )
        .err()
        .unwrap()
        .0
        .contains("needs [trust] store")
    );
    for (bad, why) in [
        ("[[list]]\nsubscribe = \"http://x/p/\"\n", "needs `cache`"),
        (
            "[[list]]\nsubscribe = \"ftp://x/p/\"\ncache = \"c\"\n",
            "must be https://",
        ),
        (
            "[[list]]\nsubscribe = \"http://x/p/\"\npath = \"a\"\ncache = \"c\"\n",
            "exactly one",
        ),
        (
            "[[list]]\npath = \"a\"\ncache = \"c\"\n",
            "only for a `subscribe`",
        ),
        (
            "[[list]]\npath = \"a\"\npoll_secs = 5\n",
            "only for a `subscribe`",
        ),
        (
            "[[list]]\nsubscribe = \"http://x/p/\"\ncache = \"c\"\npoll_secs = 0\n",
            "poll_secs",
        ),
        (
            "[[list]]\nsubscribe = \"http://x/p/\"\ncache = \"c\"\nmax_bytes = 10\n",
            "max_bytes",
        ),
    ] {
        let e = Config::from_toml(bad, None).err().unwrap().0;
        assert!(e.contains(why), "{bad}: {e}");
    }
}

#[test]
fn publish_add_refuses_what_subscribers_would_refuse() {
    let dir = TempDir::new("publish-add");
    let ours = SecretKey::from_seed(&[7; 32]);
    let other = SecretKey::from_seed(&[8; 32]);
    let key_file = dir.0.join("police.key");
    ours.write_file(&key_file).unwrap();
    let other_file = dir.0.join("other.key");
    other.write_file(&other_file).unwrap();
    let store = dir.write("trust.store", &trust_store(&ours));
    let pubdir = dir.0.join("pub");
    let p = |s: &Path| s.to_str().unwrap().to_owned();
    let add = |list: &Path, extra: &[&str]| {
        let mut args = vec!["lists", "publish", "add"];
        let (pd, l) = (p(&pubdir), p(list));
        args.push(&pd);
        args.push(&l);
        args.extend_from_slice(extra);
        hashwall(&args)
    };
    let key = p(&key_file);
    let trust = p(&store);

    // Unsigned, or signed by a key that is not the issuer's: refused.
    let unsigned = dir.write(
        "unsigned.hwl",
        "# id: police\n# issuer: Example Police\n# sequence: 1\ndomain a.example A\n",
    );
    let (code, _, err) = add(&unsigned, &["--key", &key]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("not signed"), "{err}");
    let forged = dir.write("forged.hwl", &police(&other, 1, &["a"]).to_text());
    let (code, _, err) = add(&forged, &["--trust", &trust]);
    assert_eq!(code, 1, "{err}");
    let (code, _, err) = add(&forged, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(!pubdir.join("police").join("manifest").exists());

    // The first version, then a second with a computed delta.
    let v1 = police(&ours, 1, &["a"]);
    let v1_path = dir.write("v1.hwl", &v1.to_text());
    let (code, out, err) = add(&v1_path, &["--key", &key]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("published police sequence 1"), "{out}");
    let ldir = pubdir.join("police");
    assert_eq!(
        std::fs::read_to_string(ldir.join("list-1.hwl")).unwrap(),
        v1.to_text()
    );
    let v2 = police(&ours, 2, &["a", "b"]);
    let v2_path = dir.write("v2.hwl", &v2.to_text());
    let (code, _, err) = add(&v2_path, &["--key", &key]);
    assert_eq!(code, 0, "{err}");
    let m = Manifest::from_text(&std::fs::read(ldir.join("manifest")).unwrap()).unwrap();
    assert_eq!((m.id.as_str(), m.sequence), ("police", 2));
    assert_eq!(m.list, "list-2.hwl");
    assert_eq!(m.deltas.len(), 1);
    let d = Delta::read_file(&ldir.join(&m.deltas[0].file)).unwrap();
    let mut applied = v1.clone();
    let ts = TrustStore::from_text(trust_store(&ours).as_bytes()).unwrap();
    d.apply_to(&mut applied, &ts, Timestamp::now()).unwrap();
    assert_eq!(applied.entries, v2.entries);

    // The same sequence again, or an older one: refused, nothing changed.
    let before = std::fs::read_to_string(ldir.join("manifest")).unwrap();
    let (code, _, err) = add(&v2_path, &["--key", &key]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("does not go forwards"), "{err}");
    let (code, _, _) = add(&v1_path, &["--key", &key]);
    assert_eq!(code, 1);

    // A given delta signed by another key, or not matching the list.
    let v3 = police(&ours, 3, &["a", "b", "c"]);
    let v3_path = dir.write("v3.hwl", &v3.to_text());
    let mut bad = Delta::diff(&v2, &v3);
    bad.sign(&v2, &other).unwrap();
    let bad_path = dir.write("bad.hwd", &bad.to_text());
    let (code, _, err) = add(&v3_path, &["--trust", &trust, "--delta", &p(&bad_path)]);
    assert_eq!(code, 1, "{err}");
    let mut wrong = Delta::diff(&v2, &police(&ours, 3, &["a", "b", "zzz"]));
    wrong.sign(&v2, &ours).unwrap();
    let wrong_path = dir.write("wrong.hwd", &wrong.to_text());
    let (code, _, err) = add(&v3_path, &["--trust", &trust, "--delta", &p(&wrong_path)]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("does not produce"), "{err}");
    assert_eq!(
        std::fs::read_to_string(ldir.join("manifest")).unwrap(),
        before
    );

    // A correct given delta is published as such.
    let mut good = Delta::diff(&v2, &v3);
    good.sign(&v2, &ours).unwrap();
    let good_path = dir.write("good.hwd", &good.to_text());
    let (code, out, err) = add(&v3_path, &["--trust", &trust, "--delta", &p(&good_path)]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("delta-2-3.hwd"), "{out}");
    let m = Manifest::from_text(&std::fs::read(ldir.join("manifest")).unwrap()).unwrap();
    assert_eq!(m.sequence, 3);
    assert_eq!(m.chain(1).unwrap().len(), 2);
}

/// A raw request to the publisher; the connection closes after it.
async fn get(addr: SocketAddr, method: &str, target: &str, extra: &str) -> (u16, String, String) {
    raw(
        addr,
        format!("{method} {target} HTTP/1.1\r\nHost: pub\r\n{extra}Connection: close\r\n\r\n")
            .as_bytes(),
    )
    .await
}

fn header(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_serve_is_a_safe_cheap_static_server() {
    let dir = TempDir::new("publish-serve");
    dir.write("secret.txt", "TOPSECRET\n");
    let pubdir = dir.0.join("pub");
    std::fs::create_dir_all(pubdir.join("police")).unwrap();
    let manifest_text = "# hashwall-manifest: 1\n# id: police\n";
    std::fs::write(pubdir.join("police").join("manifest"), manifest_text).unwrap();
    std::fs::write(pubdir.join("police").join(".manifest.tmp.1.0"), "TOPSECRET").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.0.join("secret.txt"), pubdir.join("police").join("link"))
        .unwrap();
    let publisher = Publisher::start(&pubdir);
    let a = publisher.addr;

    let (status, head, body) = get(a, "GET", "/police/manifest", "").await;
    assert_eq!(status, 200, "{head}");
    assert_eq!(body, manifest_text);
    assert_eq!(
        header(&head, "content-length").as_deref(),
        Some(manifest_text.len().to_string().as_str())
    );
    let etag = header(&head, "etag").unwrap();
    let modified = header(&head, "last-modified").unwrap();
    assert!(modified.ends_with(" GMT"), "{modified}");

    // Conditional requests: an unchanged file costs a 304 without a body.
    let (status, head, body) = get(
        a,
        "GET",
        "/police/manifest",
        &format!("If-None-Match: {etag}\r\n"),
    )
    .await;
    assert_eq!(status, 304, "{head}");
    assert!(body.is_empty());
    assert_eq!(header(&head, "etag").as_deref(), Some(etag.as_str()));
    let (status, _, _) = get(
        a,
        "GET",
        "/police/manifest",
        &format!("If-Modified-Since: {modified}\r\n"),
    )
    .await;
    assert_eq!(status, 304);
    let (status, _, _) = get(a, "GET", "/police/manifest", "If-None-Match: \"x\"\r\n").await;
    assert_eq!(status, 200);
    // HEAD: the length, no body.
    let (status, head, body) = get(a, "HEAD", "/police/manifest", "").await;
    assert_eq!(status, 200);
    assert_eq!(
        header(&head, "content-length").as_deref(),
        Some(manifest_text.len().to_string().as_str())
    );
    assert!(
        !head.contains("hashwall-manifest") && body.is_empty(),
        "{head}"
    );
    // A new version (replaced by rename) has a new validator.
    replace(
        &pubdir.join("police").join("manifest"),
        "# hashwall-manifest: 1\n# id: police\n# sequence: 2\n",
    );
    let (status, head, _) = get(
        a,
        "GET",
        "/police/manifest",
        &format!("If-None-Match: {etag}\r\n"),
    )
    .await;
    assert_eq!(status, 200, "{head}");
    assert_ne!(header(&head, "etag").unwrap(), etag);

    // Only GET and HEAD.
    for m in ["POST", "PUT", "DELETE"] {
        let (status, head, _) = get(a, m, "/police/manifest", "Content-Length: 0\r\n").await;
        assert_eq!(status, 405, "{m}");
        assert_eq!(header(&head, "allow").as_deref(), Some("GET, HEAD"));
    }

    // Nothing outside the directory, nothing hidden, no links out.
    for target in [
        "/../secret.txt",
        "/police/../../secret.txt",
        "/police/%2e%2e/%2e%2e/secret.txt",
        "/%2e%2e/secret.txt",
        "/police/..%2f..%2fsecret.txt",
        "/police/%2E%2E%5C..%5Csecret.txt",
        "/..%00/secret.txt",
        "//secret.txt",
        "http://pub/../secret.txt",
        "http://pub/police/%2e%2e/%2e%2e/secret.txt",
        "/police/.manifest.tmp.1.0",
        "/police/link",
        "/police/",
        "/police",
        "/",
        "/nope",
        &format!("{}/secret.txt", dir.0.display()),
    ] {
        let (status, head, body) = get(a, "GET", target, "").await;
        assert!(
            [400, 404].contains(&status),
            "{target}: {status} {head} {body}"
        );
        assert!(
            !body.contains("TOPSECRET") && !head.contains("TOPSECRET"),
            "{target}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscription_refuses_another_issuer_and_oversized_files() {
    let dir = TempDir::new("subscribe-refuse");
    let ours = SecretKey::from_seed(&[7; 32]);
    let theirs = SecretKey::from_seed(&[9; 32]);
    // Both keys are trusted, each for its own issuer.
    let mut both = trust_store(&ours);
    let mut s = TrustStore::new();
    s.add(TrustedKey {
        issuer: "Other Issuer".into(),
        key: theirs.public_key(),
        not_before: None,
        not_after: None,
    });
    both.push_str(&s.to_text());
    let store = dir.write("trust.store", &both);
    let ldir = dir.0.join("pub").join("police");
    std::fs::create_dir_all(&ldir).unwrap();
    let manifest = |seq: u64| Manifest {
        id: "police".into(),
        issuer: None,
        sequence: seq,
        published: Timestamp::now(),
        list: list_file(seq),
        deltas: Vec::new(),
    };
    let v1 = police(&ours, 1, &["a"]);
    std::fs::write(ldir.join(list_file(1)), v1.to_text()).unwrap();
    replace(&ldir.join("manifest"), &manifest(1).to_text());
    let publisher = Publisher::start(&dir.0.join("pub"));
    let cache = dir.0.join("police.hwl");
    let up = upstream().await;
    let config = base_config(
        &dir,
        &format!(
            "[trust]\nstore = {:?}\n[[list]]\nsubscribe = \"http://{}/police\"\ncache = {:?}\npoll_secs = 0.1\nmax_bytes = 2048\n",
            store.display().to_string(),
            publisher.addr,
            cache.display().to_string(),
        ),
    );
    let proxy = Proxy::start(&config).await;
    let admin = proxy.admin.unwrap();
    assert_eq!(status_of(proxy.addr, up, "a").await, 451);

    // Sequence 2 of "police", validly signed, but by another issuer.
    let text = "# id: police\n# issuer: Other Issuer\n# sequence: 2\nurl-prefix 127.0.0.1/x/ X\n";
    let mut hijack = List::from_text(text.as_bytes(), "police").unwrap();
    hijack.sign(&theirs);
    std::fs::write(ldir.join(list_file(2)), hijack.to_text()).unwrap();
    replace(&ldir.join("manifest"), &manifest(2).to_text());
    let wrong = "hashwall_subscription_failures_total{list=\"police\",reason=\"wrong_list\"}";
    eventually("the other issuer's list is refused", || async {
        metric(admin, wrong).await >= 1
    })
    .await;
    assert_eq!(status_of(proxy.addr, up, "x").await, 200);

    // Sequence 3, ours, but larger than max_bytes.
    let paths: Vec<String> = (0..100).map(|i| format!("p{i}")).collect();
    let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
    let big = police(&ours, 3, &refs);
    assert!(big.to_text().len() > 2048);
    std::fs::write(ldir.join(list_file(3)), big.to_text()).unwrap();
    replace(&ldir.join("manifest"), &manifest(3).to_text());
    let too_large = "hashwall_subscription_failures_total{list=\"police\",reason=\"too_large\"}";
    eventually("the oversized list is refused", || async {
        metric(admin, too_large).await >= 1
    })
    .await;
    assert_eq!(status_of(proxy.addr, up, "p1").await, 200);
    assert_eq!(status_of(proxy.addr, up, "a").await, 451);
    assert_eq!(List::read_file(&cache).unwrap().meta.sequence, 1);
    proxy.stop().await;
}

/// `serve --check-config` before the first start, when the subscription's
/// local copy does not exist yet: no error (`serve` fetches it at start),
/// a `pending` line saying so, and nothing fetched or written. Once the
/// copy exists it is checked like any list file.
#[test]
fn check_config_reports_an_absent_cache_as_pending() {
    let dir = TempDir::new("check-absent-cache");
    let ours = SecretKey::from_seed(&[7; 32]);
    let store = dir.write("trust.store", &trust_store(&ours));
    let cache = dir.0.join("cache").join("police.hwl");
    let config = dir.write(
        "hashwall.toml",
        &format!(
            "[trust]\nstore = {:?}\n[[list]]\nsubscribe = \"http://127.0.0.1:9/police\"\ncache = {:?}\n",
            store.display().to_string(),
            cache.display().to_string(),
        ),
    );
    let check = || {
        hashwall(&[
            "serve",
            "--check-config",
            "--config",
            config.to_str().unwrap(),
        ])
    };
    let (code, out, err) = check();
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("ok\t") && out.contains(" lists=0"), "{out}");
    let pending = out
        .lines()
        .find(|l| l.starts_with("pending\t"))
        .unwrap_or("");
    assert!(
        pending.contains("police.hwl") && pending.contains("cache absent, will fetch"),
        "{out}"
    );
    assert!(pending.contains("http://127.0.0.1:9/police/"), "{out}");
    assert!(!cache.exists() && !cache.parent().unwrap().exists());

    // A local copy is loaded and verified like a list file.
    std::fs::create_dir_all(cache.parent().unwrap()).unwrap();
    std::fs::write(&cache, police(&ours, 4, &["a"]).to_text()).unwrap();
    let (code, out, err) = check();
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("list\tpolice\tsequence=4\t"), "{out}");
    assert!(!out.contains("pending"), "{out}");
    // A copy that does not verify is an error, as before.
    let other = SecretKey::from_seed(&[8; 32]);
    std::fs::write(&cache, police(&other, 5, &["a"]).to_text()).unwrap();
    let (code, _, err) = check();
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("police.hwl") && err.contains("not trusted"),
        "{err}"
    );
}
