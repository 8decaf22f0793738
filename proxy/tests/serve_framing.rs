//! Request framing on a real proxy: a `Transfer-Encoding` other than one
//! `chunked` is refused with 400 before anything is forwarded, and a
//! malformed chunked body is the client's fault (400, connection closed),
//! not the upstream's (502).
#![allow(clippy::unwrap_used)]

mod serve_support;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serve_support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// An upstream that counts the requests whose head it received, and
/// answers with the number of body bytes it read.
async fn counting_upstream() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&seen);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let counter = Arc::clone(&counter);
            tokio::spawn(async move {
                let svc = service_fn(move |req: Request<Incoming>| {
                    counter.fetch_add(1, Ordering::SeqCst);
                    async move {
                        let n = match req.into_body().collect().await {
                            Ok(b) => b.to_bytes().len().to_string(),
                            Err(_) => "error".to_owned(),
                        };
                        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(format!(
                            "body-bytes: {n}"
                        )))))
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    (addr, seen)
}

/// Writes `request`, reads one response; then whether the proxy closed
/// the connection (a read returns EOF within the step).
async fn exchange(proxy: SocketAddr, request: &[u8]) -> (u16, String, bool) {
    let mut s = TcpStream::connect(proxy).await.unwrap();
    s.write_all(request).await.unwrap();
    let (status, head, body) = read_response(&mut s).await;
    let mut rest = [0u8; 256];
    let closed = matches!(
        tokio::time::timeout(STEP, s.read(&mut rest)).await,
        Ok(Ok(0) | Err(_))
    );
    (status, format!("{head}\r\n\r\n{body}"), closed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_codings_other_than_one_chunked_get_400_and_are_never_forwarded() {
    let dir = TempDir::new("framing-te");
    let (up, seen) = counting_upstream().await;
    let proxy = Proxy::start(&base_config(&dir, "")).await;
    let body = "5\r\nhello\r\n0\r\n\r\n";
    for fields in [
        "Transfer-Encoding: gzip, chunked",
        "Transfer-Encoding: chunked, gzip",
        "Transfer-Encoding: deflate,chunked",
        "Transfer-Encoding: identity",
        "Transfer-Encoding: identity, chunked",
        "Transfer-Encoding: chunked, chunked",
        "Transfer-Encoding: x-chunked",
        "Transfer-Encoding: chunked;q=1",
        "Transfer-Encoding: chunked,",
        "Transfer-Encoding: ,chunked",
        "Transfer-Encoding: \"chunked\"",
        "Transfer-Encoding: chunk",
        "Transfer-Encoding:",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked",
        "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip",
        "Transfer-Encoding: chunked\r\nContent-Length: 15",
        "Content-Length: 15\r\nTransfer-Encoding: gzip, chunked",
        // obs-fold continuing the field onto a second line.
        "Transfer-Encoding: gzip,\r\n chunked",
        "Transfer-Encoding:\r\n\tchunked",
        // Not the field name, so not framing: the body is read as none
        // and the chunk line is then a malformed request.
        "Transfer-Encoding : chunked",
    ] {
        let request =
            format!("POST http://{up}/te HTTP/1.1\r\nHost: {up}\r\n{fields}\r\n\r\n{body}");
        let (status, text, closed) = exchange(proxy.addr, request.as_bytes()).await;
        assert_eq!(status, 400, "{fields:?}: {text}");
        assert!(closed, "{fields:?}: connection left open");
    }
    // HTTP/1.0 has no transfer codings at all.
    let request = format!(
        "POST http://{up}/te HTTP/1.0\r\nHost: {up}\r\nTransfer-Encoding: chunked\r\n\r\n{body}"
    );
    assert_eq!(exchange(proxy.addr, request.as_bytes()).await.0, 400);
    assert_eq!(seen.load(Ordering::SeqCst), 0, "something was forwarded");

    // One chunked coding, any case and whitespace: forwarded, 5 bytes.
    for fields in [
        "Transfer-Encoding: chunked",
        "Transfer-Encoding: CHUNKED",
        "transfer-encoding:\tChunked\t",
    ] {
        let request = format!(
            "POST http://{up}/ok HTTP/1.1\r\nHost: {up}\r\n{fields}\r\nConnection: close\r\n\r\n{body}"
        );
        let (status, text, _) = exchange(proxy.addr, request.as_bytes()).await;
        assert_eq!(status, 200, "{fields:?}: {text}");
        assert!(text.ends_with("body-bytes: 5"), "{fields:?}: {text}");
    }
    assert_eq!(seen.load(Ordering::SeqCst), 3);
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_chunked_bodies_get_400_and_close() {
    let dir = TempDir::new("framing-chunks");
    let (up, _) = counting_upstream().await;
    let proxy = Proxy::start(&base_config(&dir, "")).await;
    for body in [
        // Over u64.
        "ffffffffffffffffff\r\nx\r\n0\r\n\r\n",
        "10000000000000000\r\nx\r\n0\r\n\r\n",
        "000000000000000000000ffffffffffffffffff\r\nx\r\n0\r\n\r\n",
        // Signs, prefixes, no digits.
        "-1\r\nx\r\n0\r\n\r\n",
        "+1\r\nx\r\n0\r\n\r\n",
        "0x1\r\nx\r\n0\r\n\r\n",
        "\r\nx\r\n0\r\n\r\n",
        "g\r\nx\r\n0\r\n\r\n",
        // Whitespace inside the number, a bare LF-less CR.
        "1 1\r\nx\r\n0\r\n\r\n",
        "1\rx\r\n0\r\n\r\n",
        // Data longer than its size line says.
        "1\r\nxyz\r\n0\r\n\r\n",
    ] {
        let request = format!(
            "POST http://{up}/chunks HTTP/1.1\r\nHost: {up}\r\nTransfer-Encoding: chunked\r\n\r\n{body}"
        );
        let (status, text, closed) = exchange(proxy.addr, request.as_bytes()).await;
        assert_eq!(status, 400, "{body:?}: {text}");
        assert!(closed, "{body:?}: connection left open");
    }
    // Well-formed: extensions, leading zeros, trailers, a size that fits
    // u64 but is more than is sent (then the client ends the body).
    for (body, bytes) in [
        ("5;a=b;c\r\nhello\r\n0\r\n\r\n", 5),
        ("5 ;x\r\nhello\r\n0\r\n\r\n", 5),
        ("00000000000000000000005\r\nhello\r\n0\r\n\r\n", 5),
        ("5\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n", 5),
        ("A\r\nhellohello\r\n0\r\n\r\n", 10),
    ] {
        let request = format!(
            "POST http://{up}/chunks HTTP/1.1\r\nHost: {up}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{body}"
        );
        let (status, text, _) = exchange(proxy.addr, request.as_bytes()).await;
        assert_eq!(status, 200, "{body:?}: {text}");
        assert!(text.ends_with(&format!("body-bytes: {bytes}")), "{text}");
    }
    // A size that fits but is never sent: the client gives up (closes its
    // side); the proxy answers 400 and closes too.
    let mut s = TcpStream::connect(proxy.addr).await.unwrap();
    let request = format!(
        "POST http://{up}/chunks HTTP/1.1\r\nHost: {up}\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\nabc"
    );
    s.write_all(request.as_bytes()).await.unwrap();
    s.shutdown().await.unwrap();
    let (status, _, _) = read_response(&mut s).await;
    assert!(status == 400 || status == 0, "{status}");
    // The proxy is still serving.
    let (status, _, _) = exchange(
        proxy.addr,
        format!("GET http://{up}/after HTTP/1.1\r\nHost: {up}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
    .await;
    assert_eq!(status, 200);
    proxy.stop().await;
}
