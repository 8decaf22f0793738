//! `[trust]`: list files are served only if they verify against the trust
//! store, at start and at every reload.
#![allow(clippy::unwrap_used)]

mod serve_support;

use std::path::Path;
use std::process::Command;

use hashwall_lists::{List, SecretKey, TrustStore, TrustedKey};
use serve_support::*;

/// A list of `issuer` at `sequence` blocking `domain`, signed with `key`.
fn signed_list(key: &SecretKey, sequence: u64, domain: &str) -> String {
    let text = format!(
        "# issuer: Example Police\n# sequence: {sequence}\ndomain {domain} CASE-{sequence}\n"
    );
    let mut list = List::from_text(text.as_bytes(), "police").unwrap();
    list.sign(key);
    list.to_text()
}

/// A trust store trusting `key` for "Example Police".
fn trust_store(key: &SecretKey) -> String {
    let mut store = TrustStore::new();
    store.add(TrustedKey {
        issuer: "Example Police".into(),
        key: key.public_key(),
        not_before: None,
        not_after: None,
    });
    store.to_text()
}

fn config(store: &Path, list: &Path) -> String {
    format!(
        "[proxy]\nlisten = \"127.0.0.1:0\"\n[admin]\nlisten = \"127.0.0.1:0\"\n\
         [lists]\npoll_secs = 0\n[trust]\nstore = {:?}\n[[list]]\npath = {:?}\n",
        store.display().to_string(),
        list.display().to_string()
    )
}

fn check_config(path: &Path) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_hashwall"))
        .args([
            "serve",
            "--check-config",
            "--config",
            path.to_str().unwrap(),
        ])
        .env_remove("HASHWALL_ADMIN_TOKEN")
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn replace(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[test]
fn check_config_refuses_untrusted_and_unsigned_lists() {
    let dir = TempDir::new("trustcfg");
    let ours = SecretKey::from_seed(&[7; 32]);
    let other = SecretKey::from_seed(&[8; 32]);
    let store = dir.write("trust.store", &trust_store(&ours));

    let good = dir.write("good.list", &signed_list(&ours, 3, "blocked.example"));
    let cfg = dir.write("good.toml", &config(&store, &good));
    let (code, out, err) = check_config(&cfg);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("list\tpolice\tsequence=3\tentries=1"), "{out}");

    // Signed, but by a key the store does not trust for the issuer.
    let forged = dir.write("forged.list", &signed_list(&other, 4, "blocked.example"));
    let cfg = dir.write("forged.toml", &config(&store, &forged));
    let (code, _, err) = check_config(&cfg);
    assert_eq!(code, 2, "untrusted key accepted");
    assert!(
        err.contains("forged.list") && err.contains("not trusted"),
        "{err}"
    );

    // Unsigned: refused unless allowed, in [trust] or per list.
    let plain = dir.write("plain.list", "domain blocked.example\n");
    let cfg = dir.write("plain.toml", &config(&store, &plain));
    let (code, _, err) = check_config(&cfg);
    assert_eq!(code, 2, "unsigned accepted");
    assert!(
        err.contains("plain.list") && err.contains("not signed"),
        "{err}"
    );
    let text = config(&store, &plain);
    let cfg = dir.write(
        "plain-allowed.toml",
        &text.replace("[trust]\n", "[trust]\nallow_unsigned = true\n"),
    );
    assert_eq!(check_config(&cfg).0, 0);
    let cfg = dir.write(
        "plain-per-list.toml",
        &format!("{text}allow_unsigned = true\n"),
    );
    assert_eq!(check_config(&cfg).0, 0);
    // allow_unsigned does not let a badly signed list through.
    let text = config(&store, &forged);
    let cfg = dir.write(
        "forged-allowed.toml",
        &text.replace("[trust]\n", "[trust]\nallow_unsigned = true\n"),
    );
    assert_eq!(check_config(&cfg).0, 2);

    // A missing trust store names itself.
    let cfg = dir.write("nostore.toml", &config(&dir.0.join("nope.store"), &good));
    let (code, _, err) = check_config(&cfg);
    assert_eq!(code, 2);
    assert!(err.contains("nope.store"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untrusted_reload_keeps_the_last_good_snapshot() {
    let dir = TempDir::new("trustreload");
    let ours = SecretKey::from_seed(&[7; 32]);
    let other = SecretKey::from_seed(&[8; 32]);
    let store = dir.write("trust.store", &trust_store(&ours));
    let list = dir.write("police.list", &signed_list(&ours, 1, "blocked.example"));
    let proxy = Proxy::start(&config(&store, &list)).await;
    let admin = proxy.admin.unwrap();
    let mut c = ProxyConn::open(proxy.addr).await;
    let (status, _, _) = c.get("http://www.blocked.example/").await.unwrap();
    assert_eq!(status, 451, "signed list with a trusted key is served");

    // A newer version signed by an untrusted key: refused like a parse
    // error.
    replace(&list, &signed_list(&other, 2, "other.example"));
    let (status, body) = admin_request(admin, "POST", "/reload", None).await;
    assert_eq!(status, 500, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["ok"], false);
    let error = v["error"].as_str().unwrap();
    assert!(
        error.contains("police.list") && error.contains("not trusted"),
        "{body}"
    );
    assert_eq!(v["lists"][0]["sequence"], 1, "{body}");
    let (status, _, _) = c.get("http://www.blocked.example/").await.unwrap();
    assert_eq!(status, 451, "last good snapshot still blocks");
    let (_, metrics) = admin_request(admin, "GET", "/metrics", None).await;
    assert!(
        metrics.contains("hashwall_reloads_total{result=\"failure\"} 1"),
        "{metrics}"
    );
    let (status, body) = admin_request(admin, "GET", "/readyz", None).await;
    assert_eq!(status, 200);
    assert!(body.contains("\"ok\":false"), "{body}");

    // The issuer rotates to the new key: the operator adds it to the store
    // and reloads; no restart.
    let mut both = trust_store(&ours);
    both.push_str(
        trust_store(&other)
            .lines()
            .find(|l| l.starts_with("ed25519 "))
            .unwrap(),
    );
    both.push('\n');
    replace(&store, &both);
    let (status, body) = admin_request(admin, "POST", "/reload", None).await;
    assert_eq!(status, 200, "{body}");
    let (status, _, _) = c.get("http://www.other.example/").await.unwrap();
    assert_eq!(status, 451);
    proxy.stop().await;
}
