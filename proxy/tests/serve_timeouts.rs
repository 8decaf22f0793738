//! Timeouts: request head, idle connection, whole exchange; and the binary's
//! signals (SIGHUP reload, SIGTERM drain).
#![allow(clippy::unwrap_used)]

mod serve_support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serve_support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Reads until the peer closes; panics if it does not within `STEP`.
async fn expect_closed(s: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    tokio::time::timeout(STEP, s.read_to_end(&mut got))
        .await
        .expect("the proxy did not close the connection")
        .ok();
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_request_head_is_cut() {
    let dir = TempDir::new("headtimeout");
    let proxy = Proxy::start(&base_config(
        &dir,
        "[timeouts]\nrequest_header_secs = 0.5\n",
    ))
    .await;
    let mut s = TcpStream::connect(proxy.addr).await.unwrap();
    s.write_all(b"GET http://example.org/ HTTP/1.1\r\nHost: exa")
        .await
        .unwrap();
    expect_closed(&mut s).await;
    proxy.stop().await;
}

/// Writes `bytes` one at a time, `gap` apart, until done or the peer is
/// gone; returns how long it kept writing.
async fn trickle(s: &mut TcpStream, bytes: &[u8], gap: std::time::Duration) -> std::time::Duration {
    let start = std::time::Instant::now();
    for b in bytes {
        if s.write_all(&[*b]).await.is_err() {
            break;
        }
        tokio::time::sleep(gap).await;
    }
    start.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickled_head_is_cut_at_its_deadline_not_extended_by_each_byte() {
    let dir = TempDir::new("headtrickle");
    let up = upstream().await;
    let proxy = Proxy::start(&base_config(
        &dir,
        "[timeouts]\nrequest_header_secs = 0.6\nidle_secs = 60\n",
    ))
    .await;
    let mut s = TcpStream::connect(proxy.addr).await.unwrap();
    // A first, well-behaved request; then an idle pause longer than the
    // head timeout (keep-alive idleness is idle_secs' business).
    s.write_all(format!("GET http://{up}/ HTTP/1.1\r\nHost: {up}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    assert_eq!(read_response(&mut s).await.0, 200);
    tokio::time::sleep(std::time::Duration::from_millis(900)).await;
    // Then a head trickled a byte every 100 ms: each byte is activity, but
    // the head as a whole must arrive within 0.6 s of its first byte.
    let head = format!(
        "GET http://{up}/ HTTP/1.1\r\nHost: {up}\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n"
    );
    let wrote_for = trickle(
        &mut s,
        head.as_bytes(),
        std::time::Duration::from_millis(100),
    )
    .await;
    let rest = expect_closed(&mut s).await;
    assert!(
        !String::from_utf8_lossy(&rest).contains("HTTP/1.1 200"),
        "the trickled request was served"
    );
    assert!(
        wrote_for < std::time::Duration::from_secs(5),
        "the connection stayed open for {wrote_for:?} of trickling"
    );
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_sends_nothing_is_cut_after_the_head_timeout() {
    let dir = TempDir::new("headsilent");
    let proxy = Proxy::start(&base_config(
        &dir,
        "[timeouts]\nrequest_header_secs = 0.5\nidle_secs = 60\n",
    ))
    .await;
    let mut s = TcpStream::connect(proxy.addr).await.unwrap();
    let start = std::time::Instant::now();
    expect_closed(&mut s).await;
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_outlives_the_head_timeout_up_to_idle_secs() {
    let dir = TempDir::new("keepalive");
    let up = upstream().await;
    let proxy = Proxy::start(&base_config(
        &dir,
        "[timeouts]\nrequest_header_secs = 0.4\nidle_secs = 60\n",
    ))
    .await;
    let mut s = TcpStream::connect(proxy.addr).await.unwrap();
    let get = format!("GET http://{up}/ HTTP/1.1\r\nHost: {up}\r\n\r\n");
    for _ in 0..3 {
        s.write_all(get.as_bytes()).await.unwrap();
        assert_eq!(read_response(&mut s).await.0, 200);
        // Idle between requests for longer than the head timeout.
        tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    }
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connect_closes_the_connection() {
    let dir = TempDir::new("connectclose");
    let proxy = Proxy::start(&base_config(&dir, "")).await;
    let mut s = TcpStream::connect(proxy.addr).await.unwrap();
    // Port 25 is not in acl.connect_ports.
    s.write_all(b"CONNECT 127.0.0.1:25 HTTP/1.1\r\nHost: 127.0.0.1:25\r\n\r\n")
        .await
        .unwrap();
    let (status, head, _) = read_response(&mut s).await;
    assert_eq!(status, 403, "{head}");
    assert!(
        head.to_ascii_lowercase().contains("connection: close"),
        "{head}"
    );
    expect_closed(&mut s).await;
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_client_connection_is_closed() {
    let dir = TempDir::new("idle");
    let up = upstream().await;
    let proxy = Proxy::start(&base_config(
        &dir,
        "[timeouts]\nidle_secs = 0.5\nrequest_header_secs = 60\n",
    ))
    .await;
    let mut s = TcpStream::connect(proxy.addr).await.unwrap();
    s.write_all(format!("GET http://{up}/ HTTP/1.1\r\nHost: {up}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let (status, _, _) = read_response(&mut s).await;
    assert_eq!(status, 200);
    // Keep-alive, but nothing more is sent: the proxy closes it.
    expect_closed(&mut s).await;
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_upstream_gets_504() {
    let dir = TempDir::new("exchange");
    // An upstream that accepts and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_addr = silent.local_addr().unwrap();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            held.push(s);
        }
    });
    let proxy = Proxy::start(&base_config(&dir, "[timeouts]\nexchange_secs = 0.5\n")).await;
    let mut c = ProxyConn::open(proxy.addr).await;
    let (status, _, body) = c.get(&format!("http://{silent_addr}/")).await.unwrap();
    assert_eq!(status, 504, "{body}");
    proxy.stop().await;
    hold.abort();
}

#[test]
fn binary_reloads_on_sighup_and_drains_on_sigterm() {
    if Command::new("kill").arg("-l").output().is_err() {
        eprintln!("no kill command: skipped");
        return;
    }
    let dir = TempDir::new("signals");
    let config = dir.write("hw.toml", &base_config(&dir, ""));
    let mut child = Command::new(env!("CARGO_BIN_EXE_hashwall"))
        .args(["serve", "--log-format", "json", "--config"])
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let wait_for = |needle: &str| -> String {
        loop {
            match rx.recv_timeout(STEP) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(e) => panic!("no log line with {needle:?}: {e}"),
            }
        }
    };
    let listening = wait_for("hashwall serve listening");
    let v: serde_json::Value = serde_json::from_str(&listening).unwrap();
    let proxy: std::net::SocketAddr = v["proxy"].as_str().unwrap().parse().unwrap();

    Command::new("kill").args(["-HUP", &pid]).status().unwrap();
    let reloaded = wait_for("lists reloaded");
    assert!(reloaded.contains("\"reason\":\"sighup\""), "{reloaded}");
    assert!(reloaded.contains("police@7"), "{reloaded}");

    // A block is logged with list and reference, without the client address.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (status, _, _) = rt.block_on(raw(
        proxy,
        b"GET http://blocked.example/ HTTP/1.1\r\nHost: blocked.example\r\nConnection: close\r\n\r\n",
    ));
    assert_eq!(status, 451);
    let event = wait_for("list match");
    assert!(event.contains("\"list\":\"police\""), "{event}");
    assert!(
        event.contains("\"reference\":\"CASE-SECRET-001\""),
        "{event}"
    );
    assert!(!event.contains("127.0.0.1"), "{event}");

    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    wait_for("hashwall serve stopped");
    let deadline = std::time::Instant::now() + STEP;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "did not exit");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_tunnel_is_closed() {
    let dir = TempDir::new("tunnelidle");
    let echo = echo_server().await;
    let proxy = Proxy::start(&base_config(
        &dir,
        &format!(
            "[acl]\nconnect_ports = [{}]\n[timeouts]\nidle_secs = 0.5\n",
            echo.port()
        ),
    ))
    .await;
    let mut s = TcpStream::connect(proxy.addr).await.unwrap();
    s.write_all(format!("CONNECT {echo} HTTP/1.1\r\nHost: {echo}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut head = [0u8; 19];
    tokio::time::timeout(STEP, s.read_exact(&mut head))
        .await
        .unwrap()
        .unwrap();
    assert!(head.starts_with(b"HTTP/1.1 200"));
    // Nothing is sent through the tunnel: the proxy closes it.
    expect_closed(&mut s).await;
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_the_exchange_in_flight_finish() {
    let dir = TempDir::new("drain");
    let (up, open, mut seen) = gated_upstream().await;
    let proxy = Proxy::start(&base_config(&dir, "[timeouts]\nshutdown_grace_secs = 60\n")).await;
    let addr = proxy.addr;
    let mut c = ProxyConn::open(addr).await;
    let in_flight = tokio::spawn(async move { c.get(&format!("http://{up}/slow")).await });
    // The upstream has the request: the exchange is in flight.
    tokio::time::timeout(STEP, seen.wait_for(|n| *n == 1))
        .await
        .unwrap()
        .unwrap();
    // Shut down while the exchange waits on the upstream...
    let stopping = tokio::spawn(proxy.stop());
    // ...new connections are refused once the listener is closed...
    let refused_deadline = std::time::Instant::now() + STEP;
    while TcpStream::connect(addr).await.is_ok() {
        assert!(
            std::time::Instant::now() < refused_deadline,
            "still accepting"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // ...and the exchange in flight still completes.
    open.send(true).unwrap();
    let (status, _, body) = tokio::time::timeout(STEP, in_flight)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!((status, body.as_str()), (200, "ok"));
    tokio::time::timeout(STEP, stopping).await.unwrap().unwrap();
}
