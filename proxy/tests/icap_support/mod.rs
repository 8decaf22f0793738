//! Shared parts of the `icap_*` tests: hashwall with its ICAP listener
//! on, the peers (`c-icap-client`, Squid) found or skipped, and a raw ICAP
//! client that reads responses as RFC 3507 frames them.
#![allow(dead_code, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::process::Command;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::serve_support::{Proxy, STEP, TempDir, base_config};

/// `1`: a missing peer fails the test instead of skipping it (CI).
const REQUIRE_VAR: &str = "HASHWALL_REQUIRE_PEERS";

/// Whether `tool` is installed; when not, prints `SKIPPED` (or panics
/// when [`REQUIRE_VAR`] is `1`).
pub fn peer(tool: &str, test: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return true;
    }
    if std::env::var(REQUIRE_VAR).as_deref() == Ok("1") {
        panic!("{test}: {tool} is not installed and {REQUIRE_VAR}=1");
    }
    eprintln!("SKIPPED {test}: {tool} is not installed (apt-get install squid c-icap)");
    false
}

/// hashwall with ICAP on an ephemeral port, its proxy off unless `extra`
/// says otherwise, lists as [`base_config`] makes them (plus `extra`'s).
pub async fn start(dir: &TempDir, extra: &str) -> (Proxy, SocketAddr) {
    let mut extra = extra.to_owned();
    let keys = "enabled = true\nlisten = \"127.0.0.1:0\"\n";
    if extra.contains("[icap]\n") {
        extra = extra.replacen("[icap]\n", &format!("[icap]\n{keys}"), 1);
    } else {
        extra.push_str(&format!("\n[icap]\n{keys}"));
    }
    if !extra.contains("[admin]\n") {
        extra.push_str("\n[admin]\ntoken = \"sesame\"\n");
    }
    let proxy = Proxy::start(&base_config(dir, &extra)).await;
    let icap = proxy.running.as_ref().unwrap().icap_addr.unwrap();
    (proxy, icap)
}

/// What `c-icap-client` printed (it prints everything on stderr).
pub struct ClientRun {
    pub ok: bool,
    /// Standard output and error, in that order.
    pub output: String,
}

/// Runs `c-icap-client` against `icap` with `args` (bounded by `timeout`).
pub async fn c_icap_client(icap: SocketAddr, args: &[&str]) -> ClientRun {
    let mut all: Vec<String> = [
        "60",
        "c-icap-client",
        "-i",
        "127.0.0.1",
        "-p",
        &icap.port().to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    all.extend(args.iter().map(|s| s.to_string()));
    let out = tokio::task::spawn_blocking(move || Command::new("timeout").args(&all).output())
        .await
        .unwrap()
        .unwrap();
    ClientRun {
        ok: out.status.success(),
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// One ICAP response as read off the wire.
#[derive(Debug)]
pub struct IcapResponse {
    pub status: u16,
    /// The ICAP head (status line and fields).
    pub head: String,
    /// The encapsulated HTTP head(s), if any.
    pub http: String,
    /// The de-chunked encapsulated body.
    pub body: Vec<u8>,
}

impl IcapResponse {
    pub fn field(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    }
}

/// A raw ICAP connection.
pub struct Raw {
    pub s: TcpStream,
    buf: Vec<u8>,
}

impl Raw {
    pub async fn open(icap: SocketAddr) -> Raw {
        let s = tokio::time::timeout(STEP, TcpStream::connect(icap))
            .await
            .unwrap()
            .unwrap();
        Raw { s, buf: Vec::new() }
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        self.s.write_all(bytes).await.unwrap();
    }

    /// Reads more bytes; `false` at EOF.
    async fn more(&mut self) -> bool {
        let mut chunk = [0u8; 16384];
        let n = tokio::time::timeout(STEP, self.s.read(&mut chunk))
            .await
            .expect("the ICAP server did not answer in time")
            .unwrap_or(0);
        self.buf.extend_from_slice(&chunk[..n]);
        n > 0
    }

    async fn take_until(&mut self, needle: &[u8]) -> Option<Vec<u8>> {
        loop {
            if let Some(i) = self.buf.windows(needle.len()).position(|w| w == needle) {
                let out = self.buf[..i + needle.len()].to_vec();
                self.buf.drain(..i + needle.len());
                return Some(out);
            }
            if !self.more().await {
                return None;
            }
        }
    }

    async fn take(&mut self, n: usize) -> Option<Vec<u8>> {
        while self.buf.len() < n {
            if !self.more().await {
                return None;
            }
        }
        Some(self.buf.drain(..n).collect())
    }

    /// Whether the server closed the connection (EOF before any byte).
    pub async fn closed(&mut self) -> bool {
        self.buf.is_empty() && !self.more().await
    }

    /// Reads one response; `None` at EOF.
    pub async fn response(&mut self) -> Option<IcapResponse> {
        let head = String::from_utf8(self.take_until(b"\r\n\r\n").await?).unwrap();
        let status = head.split_whitespace().nth(1)?.parse().ok()?;
        let mut r = IcapResponse {
            status,
            head,
            http: String::new(),
            body: Vec::new(),
        };
        let Some(enc) = r.field("encapsulated") else {
            return Some(r);
        };
        let mut body_at = 0;
        let mut has_body = false;
        for item in enc.split(',') {
            let (name, off) = item.trim().split_once('=').unwrap();
            if name.ends_with("-body") {
                body_at = off.parse().unwrap();
                has_body = name != "null-body";
            }
        }
        r.http = String::from_utf8(self.take(body_at).await?).unwrap();
        if has_body {
            loop {
                let line = String::from_utf8(self.take_until(b"\r\n").await?).unwrap();
                let size = usize::from_str_radix(line.trim().split(';').next()?.trim(), 16).ok()?;
                if size == 0 {
                    self.take(2).await?;
                    break;
                }
                let data = self.take(size + 2).await?;
                r.body.extend_from_slice(&data[..size]);
            }
        }
        Some(r)
    }
}

/// A REQMOD for `GET url` (absolute-form), with extra ICAP fields.
pub fn reqmod(icap: SocketAddr, url: &str, fields: &str) -> Vec<u8> {
    let host = url
        .split("://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or("");
    let http = format!("GET {url} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: test\r\n\r\n");
    format!(
        "REQMOD icap://{icap}/reqmod ICAP/1.0\r\nHost: {icap}\r\n{fields}Encapsulated: req-hdr=0, null-body={}\r\n\r\n{http}",
        http.len()
    )
    .into_bytes()
}

/// A RESPMOD head for `GET url` answered `200` with `content_type` (none:
/// no field); the body follows in chunks the caller writes.
pub fn respmod_head(
    icap: SocketAddr,
    url: &str,
    content_type: Option<&str>,
    fields: &str,
) -> Vec<u8> {
    let req = format!("GET {url} HTTP/1.1\r\nHost: x\r\n\r\n");
    let ct = content_type.map_or(String::new(), |c| format!("Content-Type: {c}\r\n"));
    let res = format!("HTTP/1.1 200 OK\r\n{ct}X-Kept: 1\r\n\r\n");
    format!(
        "RESPMOD icap://{icap}/respmod ICAP/1.0\r\nHost: {icap}\r\n{fields}Encapsulated: req-hdr=0, res-hdr={}, res-body={}\r\n\r\n{req}{res}",
        req.len(),
        req.len() + res.len()
    )
    .into_bytes()
}

/// `data` as one chunk.
pub fn chunk(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

/// The `hashwall_icap_requests_total` count for a method and outcome.
pub fn icap_count(metrics: &str, method: &str, outcome: &str) -> u64 {
    let needle =
        format!("hashwall_icap_requests_total{{method=\"{method}\",outcome=\"{outcome}\"}} ");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&needle))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// The admin listener's `/metrics` once `settled` holds for it. An ICAP
/// exchange is counted after its answer is written, so a client that has
/// just read the last answer may see the counters one request short; this
/// polls (every 20 ms, up to [`STEP`]) and returns the last text either way,
/// for the caller's exact assertions.
pub async fn metrics_when(
    admin: SocketAddr,
    token: &str,
    settled: impl Fn(&str) -> bool,
) -> String {
    let deadline = tokio::time::Instant::now() + STEP;
    loop {
        let m = crate::serve_support::admin_request(admin, "GET", "/metrics", Some(token))
            .await
            .1;
        if settled(&m) || tokio::time::Instant::now() >= deadline {
            return m;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
