//! Shared parts of the `serve_*` tests: a real upstream HTTP server, a TCP
//! echo server, the proxy started in-process, and small clients. Everything
//! listens on 127.0.0.1 with ephemeral ports.
#![allow(dead_code, clippy::unwrap_used)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use hashwall_proxy::serve::{self, Running, config::Config};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// Generous bound for every network step (a loaded 2-core CI machine).
pub const STEP: Duration = Duration::from_secs(30);

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "hashwall-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub const POLICE_LIST: &str = "\
# issuer: Example Police <script>alert(1)</script>
# jurisdiction: DE
# category: csam
# policy: block
# sequence: 7
domain blocked.example CASE-SECRET-001
url-prefix gallery.example/banned/ CASE-SECRET-002
";

pub const MONITOR_LIST: &str = "\
# issuer: Partner Hotline
# jurisdiction: FR
# category: terrorism
# policy: monitor
domain watched.example MON-1
url-prefix 127.0.0.1/monitored/ MON-2
";

/// The upstream: answers every request with what it received (method,
/// target, headers, body length) and sends hop-by-hop headers of its own
/// that the proxy must strip.
pub async fn upstream() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut conn_id = 0u64;
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            conn_id += 1;
            let id = conn_id;
            tokio::spawn(async move {
                let svc = service_fn(move |req: Request<Incoming>| async move {
                    let (parts, body) = req.into_parts();
                    let body = body
                        .collect()
                        .await
                        .map(|b| b.to_bytes())
                        .unwrap_or_default();
                    let mut text = format!("{} {}\n", parts.method, parts.uri);
                    for (k, v) in &parts.headers {
                        text.push_str(&format!("{}: {}\n", k, v.to_str().unwrap_or("?")));
                    }
                    text.push_str(&format!("body-bytes: {}\n", body.len()));
                    let resp = Response::builder()
                        .header("connection", "x-upstream-secret")
                        .header("x-upstream-secret", "1")
                        .header("keep-alive", "timeout=5")
                        .header("proxy-connection", "keep-alive")
                        .header("x-upstream-kept", "1")
                        .header("x-upstream-conn", id.to_string())
                        .header("content-type", "text/plain")
                        .body(Full::new(Bytes::from(text)))
                        .unwrap();
                    Ok::<_, Infallible>(resp)
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    addr
}

/// A TCP server that echoes every byte back.
pub async fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let (mut r, mut w) = s.split();
                let _ = tokio::io::copy(&mut r, &mut w).await;
            });
        }
    });
    addr
}

/// An address where nothing listens (bound, then closed).
pub async fn dead_addr() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a = l.local_addr().unwrap();
    drop(l);
    a
}

/// A running proxy and the handle that stops it.
pub struct Proxy {
    pub running: Option<Running>,
    pub addr: SocketAddr,
    pub admin: Option<SocketAddr>,
    pub api: Option<SocketAddr>,
    stop: Option<oneshot::Sender<()>>,
}

/// The destinations the `serve_*` tests' upstreams listen on (loopback),
/// which the proxy refuses by default (`acl.allow_destinations`). A test
/// proxy allows them unless its configuration sets `allow_destinations`
/// itself (the destination tests do, to test the default). The proxy's own
/// listeners stay refused whatever this says.
pub const TEST_ALLOW_DESTINATIONS: [&str; 2] = ["127.0.0.0/8", "::1/128"];

/// The matching API's default port (9129) is fixed: a test proxy whose
/// configuration does not name an `[api]` listener gets an ephemeral one,
/// so tests running at once do not collide.
fn ephemeral_api(config: &mut Config) {
    if config.api.listen.port() == 9129 {
        config.api.listen.set_port(0);
    }
}

fn allow_test_destinations(config: &mut Config) {
    if config.acl.allow_destinations.is_empty() {
        config.acl.allow_destinations = TEST_ALLOW_DESTINATIONS
            .iter()
            .map(|c| c.parse().unwrap())
            .collect();
    }
}

impl Proxy {
    /// Starts a proxy on `config_toml`, with [`TEST_ALLOW_DESTINATIONS`]
    /// unless the text sets `allow_destinations`.
    pub async fn start(config_toml: &str) -> Proxy {
        let mut config = Config::from_toml(config_toml, None).unwrap_or_else(|e| panic!("{e}"));
        if !config_toml.contains("allow_destinations") {
            allow_test_destinations(&mut config);
        }
        if !config_toml.contains("[api]") {
            ephemeral_api(&mut config);
        }
        Proxy::try_start_exact(config)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    pub async fn start_config(config: Config) -> Proxy {
        Proxy::try_start_config(config)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Starts a proxy (with [`TEST_ALLOW_DESTINATIONS`] when the config
    /// allows none), or returns why it would not start.
    pub async fn try_start_config(mut config: Config) -> Result<Proxy, String> {
        allow_test_destinations(&mut config);
        ephemeral_api(&mut config);
        Proxy::try_start_exact(config).await
    }

    /// Starts a proxy on exactly `config`, or returns why it would not.
    pub async fn try_start_exact(config: Config) -> Result<Proxy, String> {
        let (tx, rx) = oneshot::channel::<()>();
        let running = serve::start(config, async move {
            let _ = rx.await;
        })
        .await
        .map_err(|e| e.0)?;
        Ok(Proxy {
            // An API-only test has no proxy address; nothing listens here.
            addr: running
                .proxy_addr
                .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0))),
            admin: running.admin_addr,
            api: running.api_addr,
            running: Some(running),
            stop: Some(tx),
        })
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(r) = self.running.take() {
            tokio::time::timeout(STEP * 2, r.wait()).await.unwrap();
        }
    }
}

/// The base of a test config: ephemeral ports, lists in `dir`, polling
/// off; `extra` may open the same tables (its keys are added to them).
pub fn base_config(dir: &TempDir, extra: &str) -> String {
    let police = dir.write("police.list", POLICE_LIST);
    let monitor = dir.write("monitor.list", MONITOR_LIST);
    let mut extra = extra.to_owned();
    let mut out = String::new();
    for (table, keys) in [
        ("proxy", "listen = \"127.0.0.1:0\"\n"),
        ("admin", "listen = \"127.0.0.1:0\"\n"),
        ("api", "listen = \"127.0.0.1:0\"\n"),
        ("lists", "poll_secs = 0\n"),
    ] {
        let header = format!("[{table}]\n");
        if extra.contains(&header) {
            extra = extra.replacen(&header, &format!("{header}{keys}"), 1);
        } else {
            out.push_str(&header);
            out.push_str(keys);
        }
    }
    out.push_str(&extra);
    if !extra.contains("[[list]]") {
        out.push_str(&format!(
            // Unsigned test lists: allowed per list, so tests can still set
            // [trust] themselves.
            "\n[[list]]\npath = {:?}\nallow_unsigned = true\n\
             [[list]]\npath = {:?}\nallow_unsigned = true\n",
            police.display().to_string(),
            monitor.display().to_string(),
        ));
    }
    out
}

/// A raw HTTP exchange: writes `request` and reads until the connection
/// closes or a whole response (by Content-Length) arrived. Returns the
/// status code, the head and the body.
pub async fn raw(addr: SocketAddr, request: &[u8]) -> (u16, String, String) {
    let mut s = tokio::time::timeout(STEP, TcpStream::connect(addr))
        .await
        .unwrap()
        .unwrap();
    s.write_all(request).await.unwrap();
    read_response(&mut s).await
}

/// Reads one response with a Content-Length (or until EOF).
pub async fn read_response(s: &mut TcpStream) -> (u16, String, String) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let len = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                let body = String::from_utf8_lossy(&buf[end + 4..end + 4 + len]).into_owned();
                let status = head
                    .split_whitespace()
                    .nth(1)
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(0);
                return (status, head, body);
            }
        }
        let n = tokio::time::timeout(STEP, s.read(&mut chunk))
            .await
            .unwrap()
            .unwrap_or(0);
        if n == 0 {
            let text = String::from_utf8_lossy(&buf).into_owned();
            let status = text
                .split_whitespace()
                .nth(1)
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
            return (status, text, String::new());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A keep-alive hyper client connection to the proxy, sending requests as
/// given (absolute-form).
pub struct ProxyConn {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
}

impl ProxyConn {
    pub async fn open(proxy: SocketAddr) -> ProxyConn {
        let tcp = tokio::time::timeout(STEP, TcpStream::connect(proxy))
            .await
            .unwrap()
            .unwrap();
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
            .await
            .unwrap();
        tokio::spawn(async move {
            let _ = conn.await;
        });
        ProxyConn { sender }
    }

    /// Sends `req`; returns status, headers and the whole body.
    pub async fn send(
        &mut self,
        req: Request<Full<Bytes>>,
    ) -> Result<(u16, hyper::HeaderMap, String), String> {
        tokio::time::timeout(STEP, async {
            self.sender.ready().await.map_err(|e| e.to_string())?;
            let resp = self
                .sender
                .send_request(req)
                .await
                .map_err(|e| e.to_string())?;
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let body = resp
                .into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            Ok((status, headers, String::from_utf8_lossy(&body).into_owned()))
        })
        .await
        .map_err(|_| "timed out".to_owned())?
    }

    pub async fn get(&mut self, url: &str) -> Result<(u16, hyper::HeaderMap, String), String> {
        self.send(
            Request::get(url)
                .body(Full::new(Bytes::new()))
                .map_err(|e| e.to_string())?,
        )
        .await
    }
}

/// A GET to the admin listener, with an optional bearer token.
pub async fn admin_request(
    admin: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
) -> (u16, String) {
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: admin\r\n{auth}Content-Length: 0\r\nConnection: close\r\n\r\n"
    );
    let (status, _, body) = raw(admin, req.as_bytes()).await;
    (status, body)
}

/// An upstream that answers `ok` only once the returned sender says
/// `true`; the receiver counts the requests that arrived. Lets a test hold
/// an exchange in flight deterministically.
pub async fn gated_upstream() -> (
    SocketAddr,
    tokio::sync::watch::Sender<bool>,
    tokio::sync::watch::Receiver<usize>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (open_tx, open_rx) = tokio::sync::watch::channel(false);
    let (seen_tx, seen_rx) = tokio::sync::watch::channel(0usize);
    let seen_tx = std::sync::Arc::new(seen_tx);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let open_rx = open_rx.clone();
            let seen_tx = std::sync::Arc::clone(&seen_tx);
            tokio::spawn(async move {
                let svc = service_fn(move |_req: Request<Incoming>| {
                    let mut open_rx = open_rx.clone();
                    seen_tx.send_modify(|n| *n += 1);
                    async move {
                        let _ = open_rx.wait_for(|open| *open).await;
                        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"ok"))))
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    (addr, open_tx, seen_rx)
}
