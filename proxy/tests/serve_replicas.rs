//! Scale beyond one machine: two API-only `hashwall serve` replicas, each
//! following the same publisher, behind a real nginx (Debian package) on
//! loopback. While a load runs through nginx, a list update is published:
//! both replicas answer with the new list, no request fails, and no
//! replica goes back to the old answer once it gave the new one. Then one
//! replica is stopped under the same load: nginx moves its traffic to the
//! other, still without a failed request.
//!
//! Needs `nginx` (skipped with a message when missing, unless
//! `HASHWALL_REQUIRE_PEERS=1`, which CI sets).
#![allow(clippy::unwrap_used)]

mod serve_support;
mod subscribe_support;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hashwall_lists::{List, SecretKey};
use http_body_util::Full;
use hyper::Request;
use serve_support::*;
use subscribe_support::*;
use tokio::sync::Mutex;

const OLD_PDQ: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
const NEW_PDQ: &str = "0707f3311f0b57b0f9c8f5ddfc709c0f4c91d12a699de1e2cc194c63b16364dd";

/// The police list at `sequence` with the given PDQ hashes, signed.
fn hashes_list(key: &SecretKey, sequence: u64, pdqs: &[&str]) -> List {
    let mut text = format!("# id: police\n# issuer: Example Police\n# sequence: {sequence}\n");
    for (i, h) in pdqs.iter().enumerate() {
        text.push_str(&format!("pdq {h} CASE-{i}\n"));
    }
    let mut list = List::from_text(text.as_bytes(), "police").unwrap();
    list.sign(key);
    list
}

/// The deployment's nginx file with the test's replicas and port.
fn deploy_conf(replicas: &[SocketAddr; 2], port: u16) -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/nginx/hashwall-api.conf"
    );
    let text = std::fs::read_to_string(path).unwrap();
    for needle in ["127.0.0.1:9129", "127.0.0.1:9130", "listen 8080;"] {
        assert!(text.contains(needle), "{path} lost {needle:?}");
    }
    text.replace("127.0.0.1:9129", &replicas[0].to_string())
        .replace("127.0.0.1:9130", &replicas[1].to_string())
        .replace("listen 8080;", &format!("listen 127.0.0.1:{port};"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// nginx in front of `replicas`, running `proxy/deploy/nginx/hashwall-api.conf`
/// with the replicas' addresses and a free port; killed on drop.
struct Nginx {
    child: Child,
    addr: SocketAddr,
}

impl Nginx {
    fn start(dir: &Path, replicas: &[SocketAddr; 2]) -> Nginx {
        let port = free_port();
        let d = dir.display();
        // The load's clients keep their connections: nginx would close one
        // after 1000 requests (`keepalive_requests`), which a pooled client
        // answers by reconnecting and this test's simple clients do not.
        let user = if is_root() { "user root;\n" } else { "" };
        let conf = format!(
            "{user}worker_processes 1;\ndaemon off;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
             events {{ worker_connections 512; }}\n\
             http {{\n  access_log off;\n  keepalive_requests 10000000;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
             fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
             {}\n}}\n",
            deploy_conf(replicas, port)
        );
        let path = dir.join("nginx.conf");
        std::fs::write(&path, conf).unwrap();
        let child = Command::new("nginx")
            .args(["-e", &format!("{d}/error.log"), "-p"])
            .arg(dir)
            .arg("-c")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + STEP;
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "nginx did not start: {}",
                std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Nginx { child, addr }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

fn have_nginx() -> bool {
    let found = Command::new("nginx")
        .arg("-v")
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        assert!(
            std::env::var_os("HASHWALL_REQUIRE_PEERS").is_none(),
            "nginx is required (HASHWALL_REQUIRE_PEERS is set) but not installed"
        );
        eprintln!("SKIPPED: nginx is not installed (apt-get install nginx)");
    }
    found
}

/// Keep-alive clients the load runs.
const WORKERS: usize = 4;

/// What the load saw: every answer as (worker, replica, matched), in the
/// order the workers recorded them, and failures.
#[derive(Default)]
struct Seen {
    answers: Vec<(usize, String, bool)>,
    failures: Vec<String>,
}

/// `workers` keep-alive clients looking `NEW_PDQ` up through nginx until
/// `stop` is set.
fn load(nginx: SocketAddr, workers: usize, stop: Arc<AtomicBool>) -> Arc<Mutex<Seen>> {
    let seen = Arc::new(Mutex::new(Seen::default()));
    for worker in 0..workers {
        let (stop, seen) = (Arc::clone(&stop), Arc::clone(&seen));
        tokio::spawn(async move {
            let mut conn = ProxyConn::open(nginx).await;
            while !stop.load(Ordering::SeqCst) {
                let req = Request::get(format!("/m/lookup?signal_type=pdq&signal={NEW_PDQ}"))
                    .header("host", "api.test")
                    .body(Full::new(Bytes::new()))
                    .unwrap();
                let answer = conn.send(req).await;
                let mut seen = seen.lock().await;
                match answer {
                    Ok((200, headers, body)) => {
                        let replica = headers
                            .get("x-upstream")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("?")
                            .to_owned();
                        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
                        seen.answers
                            .push((worker, replica, json.get("police").is_some()));
                    }
                    Ok((status, _, body)) => seen.failures.push(format!("{status}: {body}")),
                    Err(e) => {
                        seen.failures.push(e);
                        drop(seen);
                        conn = ProxyConn::open(nginx).await;
                    }
                }
            }
        });
    }
    seen
}

fn replica_config(dir: &TempDir, name: &str, store: &Path, publisher: SocketAddr) -> String {
    let cache = dir.0.join(name).join("police.hwl");
    std::fs::create_dir_all(cache.parent().unwrap()).unwrap();
    base_config(
        dir,
        &format!(
            "[proxy]\nenabled = false\n[trust]\nstore = {:?}\n[[list]]\nsubscribe = \"http://{publisher}/police/\"\n\
             cache = {:?}\npoll_secs = 0.1\ntimeout_secs = 5\n",
            store.display().to_string(),
            cache.display().to_string(),
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_behind_nginx_follow_a_list_update_under_load_without_a_failed_request() {
    if !have_nginx() {
        return;
    }
    let dir = TempDir::new("replicas");
    let key = SecretKey::from_seed(&[9; 32]);
    let key_file = dir.0.join("police.key");
    key.write_file(&key_file).unwrap();
    let store = dir.write("trust.store", &trust_store(&key));
    let pubdir = dir.0.join("pub");
    publish(&dir, &pubdir, &hashes_list(&key, 1, &[OLD_PDQ]), &key_file);
    let publisher = Publisher::start(&pubdir);

    let one = Proxy::start(&replica_config(&dir, "one", &store, publisher.addr)).await;
    let two = Proxy::start(&replica_config(&dir, "two", &store, publisher.addr)).await;
    let replicas = [one.api.unwrap(), two.api.unwrap()];
    let nginx_dir = dir.0.join("nginx");
    std::fs::create_dir_all(&nginx_dir).unwrap();
    let nginx = Nginx::start(&nginx_dir, &replicas);

    // The update lands while the load runs.
    let stop = Arc::new(AtomicBool::new(false));
    let seen = load(nginx.addr, WORKERS, Arc::clone(&stop));
    tokio::time::sleep(Duration::from_millis(500)).await;
    publish(
        &dir,
        &pubdir,
        &hashes_list(&key, 2, &[OLD_PDQ, NEW_PDQ]),
        &key_file,
    );
    let names: Vec<String> = replicas.iter().map(ToString::to_string).collect();
    eventually("both replicas answer with the new list", || async {
        let seen = seen.lock().await;
        names
            .iter()
            .all(|n| seen.answers.iter().any(|(_, r, m)| r == n && *m))
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    // One replica leaves under the same load: nginx sends its share to the
    // other.
    one.stop().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(200)).await;

    let seen = seen.lock().await;
    assert!(
        seen.failures.is_empty(),
        "failed requests: {:?}",
        seen.failures
    );
    let mut per_replica: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (i, name) in names.iter().enumerate() {
        // Once a replica answered a worker with the new list, it never
        // answered that worker with the old one again. (Per worker: one
        // worker's requests are sequential, while two workers may record
        // their answers in the other order than the replica gave them.)
        for worker in 0..WORKERS {
            let mine: Vec<bool> = seen
                .answers
                .iter()
                .filter(|(w, r, _)| *w == worker && r == name)
                .map(|(_, _, m)| *m)
                .collect();
            if let Some(first_new) = mine.iter().position(|m| *m) {
                assert!(
                    mine[first_new..].iter().all(|m| *m),
                    "replica {i} ({name}) went back to the old list for worker {worker}"
                );
            }
        }
        let answers = seen.answers.iter().filter(|(_, r, _)| r == name);
        let new = answers.clone().filter(|(_, _, m)| *m).count();
        let old = answers.count() - new;
        assert!(
            new > 0,
            "replica {i} ({name}) never answered with the new list"
        );
        per_replica.insert(name, (old, new));
    }
    let total = seen.answers.len();
    assert!(total > 100, "only {total} answers under load");
    // After the first replica stopped, the last answers all came from the
    // second.
    let tail = &seen.answers[total - 20..];
    assert!(
        tail.iter().all(|(_, r, m)| *r == names[1] && *m),
        "answers after stopping the first replica: {tail:?}"
    );
    eprintln!("answers: {total}; per replica (old, new): {per_replica:?}");
    drop(nginx);
    two.stop().await;
}
