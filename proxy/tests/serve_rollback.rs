//! Reloads refuse a list file older than the one served (unless the
//! `[[list]]` allows a rollback), and an edited trust store triggers a
//! reload through the file poll.
#![allow(clippy::unwrap_used)]

mod serve_support;

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use hashwall_lists::{List, SecretKey, TrustStore, TrustedKey};
use serve_support::*;

fn replace(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn unsigned(sequence: u64, p: &str) -> String {
    format!("# id: police\n# sequence: {sequence}\nurl-prefix 127.0.0.1/{p}/ C-{p}\n")
}

fn signed(key: &SecretKey, sequence: u64, p: &str) -> String {
    let text = format!(
        "# id: police\n# issuer: Example Police\n# sequence: {sequence}\nurl-prefix 127.0.0.1/{p}/ C-{p}\n"
    );
    let mut list = List::from_text(text.as_bytes(), "police").unwrap();
    list.sign(key);
    list.to_text()
}

fn store(keys: &[&SecretKey]) -> String {
    let mut s = TrustStore::new();
    for k in keys {
        s.add(TrustedKey {
            issuer: "Example Police".into(),
            key: k.public_key(),
            not_before: None,
            not_after: None,
        });
    }
    s.to_text()
}

async fn status_of(proxy: SocketAddr, up: SocketAddr, p: &str) -> u16 {
    let mut c = ProxyConn::open(proxy).await;
    c.get(&format!("http://{up}/{p}/x")).await.unwrap().0
}

async fn failures(admin: SocketAddr) -> u64 {
    let (_, m) = admin_request(admin, "GET", "/metrics", None).await;
    m.lines()
        .find_map(|l| l.strip_prefix("hashwall_reloads_total{result=\"failure\"} "))
        .unwrap()
        .parse()
        .unwrap()
}

async fn served_sequence(admin: SocketAddr) -> u64 {
    let (_, body) = admin_request(admin, "GET", "/readyz", None).await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["lists"][0]["sequence"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_refuses_an_older_list_unless_allowed() {
    let up = upstream().await;
    for allow in [false, true] {
        let dir = TempDir::new("rollback");
        let list = dir.write("police.list", &unsigned(5, "five"));
        let config = format!(
            "[proxy]\nlisten = \"127.0.0.1:0\"\n[admin]\nlisten = \"127.0.0.1:0\"\n\
             [lists]\npoll_secs = 0\n[[list]]\npath = {:?}\nallow_unsigned = true\nallow_rollback = {allow}\n",
            list.display().to_string()
        );
        let proxy = Proxy::start(&config).await;
        let admin = proxy.admin.unwrap();
        // An older version (a replayed file): refused, the newer one kept.
        replace(&list, &unsigned(3, "three"));
        let (status, body) = admin_request(admin, "POST", "/reload", None).await;
        if allow {
            assert_eq!(status, 200, "{body}");
            assert_eq!(served_sequence(admin).await, 3);
            assert_eq!(status_of(proxy.addr, up, "three").await, 451);
        } else {
            assert_eq!(status, 500, "{body}");
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            let e = v["error"].as_str().unwrap();
            assert!(
                e.contains("police.list") && e.contains("rollback refused"),
                "{body}"
            );
            assert_eq!(served_sequence(admin).await, 5);
            assert_eq!(status_of(proxy.addr, up, "five").await, 451);
            assert_eq!(status_of(proxy.addr, up, "three").await, 200);
            assert_eq!(failures(admin).await, 1);
            // The same sequence, or a newer one, loads.
            replace(&list, &unsigned(5, "again"));
            let (status, body) = admin_request(admin, "POST", "/reload", None).await;
            assert_eq!(status, 200, "{body}");
            assert_eq!(status_of(proxy.addr, up, "again").await, 451);
        }
        proxy.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_the_trust_store_triggers_a_reload() {
    let dir = TempDir::new("storepoll");
    let up = upstream().await;
    let a = SecretKey::from_seed(&[1; 32]);
    let b = SecretKey::from_seed(&[2; 32]);
    let trust = dir.write("trust.store", &store(&[&a]));
    let list = dir.write("police.list", &signed(&a, 1, "one"));
    let config = format!(
        "[proxy]\nlisten = \"127.0.0.1:0\"\n[admin]\nlisten = \"127.0.0.1:0\"\n\
         [lists]\npoll_secs = 0.05\n[trust]\nstore = {:?}\n[[list]]\npath = {:?}\n",
        trust.display().to_string(),
        list.display().to_string()
    );
    let proxy = Proxy::start(&config).await;
    let admin = proxy.admin.unwrap();
    let wait = async |what: &str, want: &dyn Fn(u64, u64) -> bool| {
        let deadline = Instant::now() + STEP;
        loop {
            let (f, s) = (failures(admin).await, served_sequence(admin).await);
            if want(f, s) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out: {what} (failures {f}, sequence {s})"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    // Signed by a key not (yet) trusted: the poll's reload fails.
    replace(&list, &signed(&b, 2, "two"));
    wait("untrusted list refused", &|f, _| f == 1).await;
    // Only the store changes: trusting the key reloads the list.
    replace(&trust, &store(&[&a, &b]));
    wait("the store change reloads", &|_, s| s == 2).await;
    assert_eq!(status_of(proxy.addr, up, "two").await, 451);
    // Revoking the key: the reload happens (and fails: the last good
    // snapshot stays, the failure is reported).
    replace(&trust, &store(&[&a]));
    wait("the revocation reloads", &|f, _| f == 2).await;
    let (_, body) = admin_request(admin, "GET", "/readyz", None).await;
    assert!(
        body.contains("\"ok\":false") && body.contains("not trusted"),
        "{body}"
    );
    proxy.stop().await;
}
