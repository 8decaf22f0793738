//! Requests refused before they reach the proxy logic (by hyper, or by the
//! framing guard through hyper) are counted in
//! `hashwall_requests_refused_total{reason}`.
#![allow(clippy::unwrap_used)]

mod serve_support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serve_support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const REASONS: [&str; 4] = [
    "ambiguous_framing",
    "header_too_large",
    "malformed",
    "header_timeout",
];

async fn refused(admin: SocketAddr) -> [u64; 4] {
    let (_, m) = admin_request(admin, "GET", "/metrics", None).await;
    REASONS.map(|r| {
        let prefix = format!("hashwall_requests_refused_total{{reason=\"{r}\"}} ");
        m.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no {prefix} in {m}"))
            .parse()
            .unwrap()
    })
}

/// Waits for the counters to read `want` (a connection's refusal is
/// counted when its task ends, just after the client saw the answer).
async fn expect(admin: SocketAddr, want: [u64; 4], what: &str) {
    let deadline = Instant::now() + STEP;
    loop {
        let got = refused(admin).await;
        if got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: refusals {got:?}, want {want:?} ({REASONS:?})"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Writes `bytes`, then reads until the proxy closes; returns what it sent.
async fn until_closed(addr: SocketAddr, bytes: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(STEP, s.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap_or(0);
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_kind_of_refused_head_is_counted() {
    let dir = TempDir::new("refusals");
    let up = upstream().await;
    let proxy = Proxy::start(&base_config(
        &dir,
        "[limits]\nmax_request_header_bytes = 16384\nmax_request_headers = 50\n\
         [timeouts]\nrequest_header_secs = 0.5\nidle_secs = 1\n",
    ))
    .await;
    let (me, admin) = (proxy.addr, proxy.admin.unwrap());
    expect(admin, [0; 4], "at start").await;

    // An ordinary request is not a refusal.
    let mut c = ProxyConn::open(me).await;
    assert_eq!(c.get(&format!("http://{up}/ok")).await.unwrap().0, 200);
    drop(c);

    let smuggle = format!(
        "POST http://{up}/ HTTP/1.1\r\nHost: {up}\r\nContent-Length: 4\r\n\
         Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    );
    assert!(
        until_closed(me, smuggle.as_bytes())
            .await
            .starts_with("HTTP/1.1 400")
    );
    expect(admin, [1, 0, 0, 0], "ambiguous framing").await;

    let big = format!(
        "GET http://{up}/ HTTP/1.1\r\nHost: {up}\r\nX-Big: {}\r\n\r\n",
        "a".repeat(20_000)
    );
    assert!(
        until_closed(me, big.as_bytes())
            .await
            .starts_with("HTTP/1.1 431")
    );
    let many: String = (0..80).map(|i| format!("X-H{i}: v\r\n")).collect();
    let many = format!("GET http://{up}/ HTTP/1.1\r\nHost: {up}\r\n{many}\r\n");
    assert!(
        until_closed(me, many.as_bytes())
            .await
            .starts_with("HTTP/1.1 431")
    );
    expect(admin, [1, 2, 0, 0], "heads too large").await;

    for bad in [
        format!("GET http://{up}/ HTTP/1.1\r\nNo colon here\r\n\r\n"),
        "GET http://a/ HTTP/9.9\r\n\r\n".to_owned(),
        "\x01\x02\x03 garbage\r\n\r\n".to_owned(),
    ] {
        let answer = until_closed(me, bad.as_bytes()).await;
        assert!(answer.starts_with("HTTP/1.1 400"), "{bad:?}: {answer}");
    }
    expect(admin, [1, 2, 3, 0], "malformed heads").await;

    // A head begun and never finished: cut by the header timeout, counted.
    let started = Instant::now();
    let cut = until_closed(
        me,
        format!("GET http://{up}/ HTTP/1.1\r\nHost: ").as_bytes(),
    )
    .await;
    assert!(cut.is_empty(), "{cut}");
    assert!(started.elapsed() >= Duration::from_millis(400));
    expect(admin, [1, 2, 3, 1], "head timeout").await;

    // A connection that sent nothing is closed by the same timer, and a
    // kept-alive one after its last exchange by the idle timeout: neither
    // is a refusal.
    assert!(until_closed(me, b"").await.is_empty());
    let mut s = TcpStream::connect(me).await.unwrap();
    s.write_all(format!("GET http://{up}/again HTTP/1.1\r\nHost: {up}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let (status, _, _) = read_response(&mut s).await;
    assert_eq!(status, 200);
    let mut rest = Vec::new();
    tokio::time::timeout(STEP, s.read_to_end(&mut rest))
        .await
        .unwrap()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    expect(admin, [1, 2, 3, 1], "idle connections").await;

    still_serves(me, up).await;
    expect(admin, [1, 2, 3, 1], "after an ordinary request").await;
    proxy.stop().await;
}

async fn still_serves(proxy: SocketAddr, up: SocketAddr) {
    let mut c = ProxyConn::open(proxy).await;
    assert_eq!(c.get(&format!("http://{up}/still")).await.unwrap().0, 200);
}
