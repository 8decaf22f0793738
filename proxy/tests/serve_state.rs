//! `[lists] state`: the rollback floor (the highest sequence ever served per
//! list) is kept in a file and holds across restarts.
#![allow(clippy::unwrap_used)]

mod serve_support;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

use hashwall_lists::{List, SecretKey, TrustStore, TrustedKey};
use hashwall_proxy::serve::{config::Config, state::Floors};
use serve_support::*;

const ISSUER: &str = "Example Police";

fn key() -> SecretKey {
    SecretKey::from_seed(&[7; 32])
}

fn signed(sequence: u64, p: &str) -> String {
    let text = format!(
        "# id: police\n# issuer: {ISSUER}\n# sequence: {sequence}\nurl-prefix 127.0.0.1/{p}/ C-{p}\n"
    );
    let mut list = List::from_text(text.as_bytes(), "police").unwrap();
    list.sign(&key());
    list.to_text()
}

fn store() -> String {
    let mut s = TrustStore::new();
    s.add(TrustedKey {
        issuer: ISSUER.into(),
        key: key().public_key(),
        not_before: None,
        not_after: None,
    });
    s.to_text()
}

fn replace(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// A config in `dir` serving `police.list` with the state file at the
/// relative path `state` (resolved against `dir`).
fn config_text(dir: &TempDir, state: &str, allow_rollback: bool) -> String {
    dir.write("trust.store", &store());
    format!(
        "[proxy]\nlisten = \"127.0.0.1:0\"\n[admin]\nlisten = \"127.0.0.1:0\"\n\
         [lists]\npoll_secs = 0\nstate = {state:?}\n[trust]\nstore = \"trust.store\"\n\
         [[list]]\npath = \"police.list\"\nallow_rollback = {allow_rollback}\n"
    )
}

fn config(dir: &TempDir, state: &str, allow_rollback: bool) -> Config {
    Config::from_toml(&config_text(dir, state, allow_rollback), Some(&dir.0)).unwrap()
}

async fn try_start(config: Config) -> Result<Proxy, String> {
    Proxy::try_start_config(config).await
}

fn floor(state: &Path) -> Option<u64> {
    Floors::read(state).unwrap().get(ISSUER, "police")
}

async fn metric(admin: SocketAddr, name: &str) -> u64 {
    let (_, m) = admin_request(admin, "GET", "/metrics", None).await;
    m.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("{name} not in {m}"))
        .parse()
        .unwrap()
}

fn check_config(dir: &TempDir, text: &str) -> (i32, String) {
    let path = dir.write("hashwall.toml", text);
    let o = Command::new(env!("CARGO_BIN_EXE_hashwall"))
        .args([
            "serve",
            "--check-config",
            "--config",
            path.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_refuses_an_older_list_and_the_floor_survives_restarts() {
    let dir = TempDir::new("state-restart");
    let state = dir.0.join("state.json");
    let list = dir.write("police.list", &signed(5, "five"));
    // First start: no state file yet, so no floor; it records 5.
    let p = try_start(config(&dir, "state.json", false)).await.unwrap();
    assert_eq!(floor(&state), Some(5));
    p.stop().await;
    // Second start with the same file: fine, the floor stays.
    let p = try_start(config(&dir, "state.json", false)).await.unwrap();
    assert_eq!(floor(&state), Some(5));
    p.stop().await;
    // An older, genuinely signed file swapped in while stopped: refused.
    replace(&list, &signed(3, "three"));
    let e = try_start(config(&dir, "state.json", false))
        .await
        .err()
        .unwrap();
    assert!(
        e.contains("list police")
            && e.contains("sequence 3")
            && e.contains("sequence 5")
            && e.contains("rollback refused")
            && e.contains("state.json"),
        "{e}"
    );
    assert_eq!(floor(&state), Some(5));
    // --check-config says the same and exits 2.
    let (code, err) = check_config(&dir, &config_text(&dir, "state.json", false));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("police") && err.contains("sequence 3") && err.contains("sequence 5"),
        "{err}"
    );
    // And still after another attempt: the refusal lowered nothing.
    assert!(try_start(config(&dir, "state.json", false)).await.is_err());
    // Without the state file the old file would load: the file is what
    // protects.
    let other = try_start(config(&dir, "other-state.json", false))
        .await
        .unwrap();
    other.stop().await;
    // A newer list is accepted and raises the floor.
    replace(&list, &signed(7, "seven"));
    let p = try_start(config(&dir, "state.json", false)).await.unwrap();
    assert_eq!(floor(&state), Some(7));
    p.stop().await;
    let (code, err) = check_config(&dir, &config_text(&dir, "state.json", false));
    assert_eq!(code, 0, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_rollback_accepts_and_lowers_the_floor() {
    let dir = TempDir::new("state-allow");
    let state = dir.0.join("state.json");
    let list = dir.write("police.list", &signed(5, "five"));
    try_start(config(&dir, "state.json", true))
        .await
        .unwrap()
        .stop()
        .await;
    assert_eq!(floor(&state), Some(5));
    replace(&list, &signed(3, "three"));
    let p = try_start(config(&dir, "state.json", true)).await.unwrap();
    let up = upstream().await;
    let mut c = ProxyConn::open(p.addr).await;
    assert_eq!(c.get(&format!("http://{up}/three/x")).await.unwrap().0, 451);
    assert_eq!(floor(&state), Some(3));
    p.stop().await;
    // The lowered floor is what a list without allow_rollback is now held to.
    replace(&list, &signed(4, "four"));
    try_start(config(&dir, "state.json", false))
        .await
        .unwrap()
        .stop()
        .await;
    assert_eq!(floor(&state), Some(4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reloads_update_the_state_file() {
    let dir = TempDir::new("state-reload");
    let state = dir.0.join("var/state.json");
    std::fs::create_dir_all(dir.0.join("var")).unwrap();
    let list = dir.write("police.list", &signed(1, "one"));
    let p = try_start(config(&dir, "var/state.json", false))
        .await
        .unwrap();
    let admin = p.admin.unwrap();
    assert_eq!(floor(&state), Some(1));
    replace(&list, &signed(2, "two"));
    let (status, body) = admin_request(admin, "POST", "/reload", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(floor(&state), Some(2));
    // A refused rollback changes nothing.
    replace(&list, &signed(1, "one"));
    let (status, body) = admin_request(admin, "POST", "/reload", None).await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(floor(&state), Some(2));
    assert_eq!(
        metric(admin, "hashwall_state_write_failures_total").await,
        0
    );
    // The state file cannot be written (its directory became a file): the
    // new list is served anyway, the failure counted.
    std::fs::remove_dir_all(dir.0.join("var")).unwrap();
    std::fs::write(dir.0.join("var"), "not a directory").unwrap();
    replace(&list, &signed(3, "three"));
    let (status, body) = admin_request(admin, "POST", "/reload", None).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"sequence\":3"), "{body}");
    assert_eq!(
        metric(admin, "hashwall_state_write_failures_total").await,
        1
    );
    // The floor in memory still rose: a rollback to 2 is refused.
    replace(&list, &signed(2, "two"));
    let (status, body) = admin_request(admin, "POST", "/reload", None).await;
    assert_eq!(status, 500, "{body}");
    assert!(body.contains("below the sequence 3"), "{body}");
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_state_file_stops_the_start() {
    let dir = TempDir::new("state-corrupt");
    dir.write("police.list", &signed(5, "five"));
    for bad in [
        "",
        "{\"version\": 1, \"lists\": [",
        "{\"version\": 9, \"lists\": []}",
    ] {
        let state = dir.write("state.json", bad);
        let e = try_start(config(&dir, "state.json", false))
            .await
            .err()
            .unwrap();
        assert!(e.contains("state file") && e.contains("state.json"), "{e}");
        // Never silently replaced.
        assert_eq!(std::fs::read_to_string(&state).unwrap(), bad);
        let (code, err) = check_config(&dir, &config_text(&dir, "state.json", false));
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("state file"), "{err}");
    }
    // A state file that is a directory cannot be read either.
    std::fs::remove_file(dir.0.join("state.json")).unwrap();
    std::fs::create_dir(dir.0.join("state.json")).unwrap();
    let e = try_start(config(&dir, "state.json", false))
        .await
        .err()
        .unwrap();
    assert!(e.contains("state file"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_cache_is_held_to_the_floor() {
    let dir = TempDir::new("state-sub");
    dir.write("trust.store", &store());
    dir.write("cache.list", &signed(3, "three"));
    let mut floors = Floors::default();
    floors.record(ISSUER, "police", 5, false);
    floors.write(&dir.0.join("state.json")).unwrap();
    // The publisher is unreachable: the cache is what would be served.
    let publisher = dead_addr().await;
    let text = format!(
        "[proxy]\nlisten = \"127.0.0.1:0\"\n[admin]\nlisten = \"127.0.0.1:0\"\n\
         [lists]\npoll_secs = 0\nstate = \"state.json\"\n[trust]\nstore = \"trust.store\"\n\
         [[list]]\nsubscribe = \"http://{publisher}/police/\"\ncache = \"cache.list\"\n"
    );
    let e = try_start(Config::from_toml(&text, Some(&dir.0)).unwrap())
        .await
        .err()
        .unwrap();
    assert!(
        e.contains("cache.list") && e.contains("rollback refused"),
        "{e}"
    );
}
