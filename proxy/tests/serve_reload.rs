//! Lists reloaded while requests run: `POST /reload` and file changes under
//! load, with zero failed requests; a broken list keeps the last good
//! snapshot.
#![allow(clippy::unwrap_used)]

mod serve_support;

use std::path::Path;
use std::time::{Duration, Instant};

use serve_support::*;

fn police_list(sequence: u64, extra_domain: &str) -> String {
    format!(
        "# issuer: Example Police\n# jurisdiction: DE\n# category: csam\n# policy: block\n# sequence: {sequence}\n\
         domain blocked.example CASE-1\ndomain {extra_domain} CASE-2\n"
    )
}

/// Replaces a file atomically (write + rename), as list publishers should:
/// the poller never sees half a file.
fn replace(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

async fn readyz_sequence(admin: std::net::SocketAddr, token: &str) -> u64 {
    let (status, body) = admin_request(admin, "GET", "/readyz", Some(token)).await;
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["lists"][0]["sequence"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_under_load_loses_no_request() {
    let dir = TempDir::new("reload");
    let list = dir.write("police.list", &police_list(1, "one.example"));
    let up = upstream().await;
    let config = format!(
        "[proxy]\nlisten = \"127.0.0.1:0\"\n[admin]\nlisten = \"127.0.0.1:0\"\ntoken = \"t0k\"\n\
         [lists]\npoll_secs = 0.05\n[[list]]\npath = {:?}\nallow_unsigned = true\n",
        list.display().to_string()
    );
    let proxy = Proxy::start(&config).await;
    let admin = proxy.admin.unwrap();

    let mut load = Vec::new();
    for task in 0..4 {
        let addr = proxy.addr;
        load.push(tokio::spawn(async move {
            let mut conn = ProxyConn::open(addr).await;
            let mut failed = Vec::new();
            for i in 0..500 {
                let (url, want) = if i % 5 == 0 {
                    ("http://www.blocked.example/x".to_owned(), 451)
                } else {
                    (format!("http://{up}/t{task}/{i}"), 200)
                };
                match conn.get(&url).await {
                    Ok((status, _, _)) if status == want => {}
                    Ok((status, _, body)) => failed.push(format!("{url}: {status} {body}")),
                    Err(e) => {
                        failed.push(format!("{url}: {e}"));
                        conn = ProxyConn::open(addr).await;
                    }
                }
            }
            failed
        }));
    }
    // 20 reloads while the load runs: even ones by file change (the poller),
    // odd ones by POST /reload.
    for n in 2..22u64 {
        replace(&list, &police_list(n, &format!("d{n}.example")));
        if n % 2 == 1 {
            let (status, body) = admin_request(admin, "POST", "/reload", Some("t0k")).await;
            assert_eq!(status, 200, "{body}");
        } else {
            let deadline = Instant::now() + STEP;
            while readyz_sequence(admin, "t0k").await < n {
                assert!(Instant::now() < deadline, "file change {n} not picked up");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    let mut failed = Vec::new();
    for t in load {
        failed.extend(tokio::time::timeout(STEP * 4, t).await.unwrap().unwrap());
    }
    assert!(
        failed.is_empty(),
        "{} failed: {:?}",
        failed.len(),
        &failed[..failed.len().min(5)]
    );
    assert_eq!(readyz_sequence(admin, "t0k").await, 21);

    let (_, metrics) = admin_request(admin, "GET", "/metrics", Some("t0k")).await;
    let ok: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("hashwall_reloads_total{result=\"success\"} "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(ok >= 21, "{metrics}");
    assert!(
        metrics.contains("hashwall_list_sequence{list=\"police\"} 21"),
        "{metrics}"
    );
    assert!(
        metrics.contains("hashwall_requests_total{method=\"GET\",outcome=\"blocked\"} 400"),
        "{metrics}"
    );
    assert!(
        metrics.contains("hashwall_requests_total{method=\"GET\",outcome=\"forwarded\"} 1600"),
        "{metrics}"
    );

    // The newest entry blocks.
    let mut c = ProxyConn::open(proxy.addr).await;
    let (status, _, _) = c.get("http://d21.example/").await.unwrap();
    assert_eq!(status, 451);
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_load_keeps_last_good_snapshot() {
    let dir = TempDir::new("badreload");
    let up = upstream().await;
    let list = dir.write(
        "police.list",
        "# sequence: 5\nurl-prefix 127.0.0.1/five/ C5\n",
    );
    let config = format!(
        "[proxy]\nlisten = \"127.0.0.1:0\"\n[admin]\nlisten = \"127.0.0.1:0\"\n\
         [lists]\npoll_secs = 0\n[[list]]\npath = {:?}\nallow_unsigned = true\n",
        list.display().to_string()
    );
    let proxy = Proxy::start(&config).await;
    let admin = proxy.admin.unwrap();
    replace(&list, "# sequence: 6\nurl-prefix http://[broken/ X\n");
    let (status, body) = admin_request(admin, "POST", "/reload", None).await;
    assert_eq!(status, 500, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["ok"], false);
    assert!(
        v["error"].as_str().unwrap().contains("police.list"),
        "{body}"
    );
    assert_eq!(v["lists"][0]["sequence"], 5, "{body}");
    // Still served: the old snapshot.
    let mut c = ProxyConn::open(proxy.addr).await;
    let (status, _, _) = c.get(&format!("http://{up}/five/x")).await.unwrap();
    assert_eq!(status, 451);
    let (_, metrics) = admin_request(admin, "GET", "/metrics", None).await;
    assert!(
        metrics.contains("hashwall_reloads_total{result=\"failure\"} 1"),
        "{metrics}"
    );
    let (status, body) = admin_request(admin, "GET", "/readyz", None).await;
    assert_eq!(status, 200);
    assert!(body.contains("\"ok\":false"), "{body}");
    // Fixed file: the next reload succeeds.
    replace(&list, "# sequence: 7\nurl-prefix 127.0.0.1/seven/ C7\n");
    let (status, _) = admin_request(admin, "POST", "/reload", None).await;
    assert_eq!(status, 200);
    let (status, _, _) = c.get(&format!("http://{up}/seven/x")).await.unwrap();
    assert_eq!(status, 451);
    let (status, _, _) = c.get(&format!("http://{up}/five/x")).await.unwrap();
    assert_eq!(status, 200, "no longer listed: forwarded");
    proxy.stop().await;
}
