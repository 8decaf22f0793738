//! `hashwall serve` end to end: the proxy in-process, a real upstream, real
//! requests (hyper, raw TCP, and curl when installed).
#![allow(clippy::unwrap_used)]

mod serve_support;

use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::Request;
use serve_support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_page_passes_with_proxy_semantics() {
    let dir = TempDir::new("allowed");
    let up = upstream().await;
    let proxy = Proxy::start(&base_config(&dir, "")).await;
    let mut c = ProxyConn::open(proxy.addr).await;
    let req = Request::get(format!("http://{up}/page?q=1"))
        .header("host", "wrong.example")
        .header("connection", "keep-alive, x-client-secret")
        .header("x-client-secret", "1")
        .header("proxy-connection", "keep-alive")
        .header("keep-alive", "timeout=5")
        .header("te", "trailers")
        .header("trailer", "x-t")
        .header("upgrade", "websocket")
        .header("proxy-authorization", "Basic Zm9vOmJhcg==")
        .header("x-client-kept", "1")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let (status, headers, body) = c.send(req).await.unwrap();
    assert_eq!(status, 200, "{body}");
    // What the upstream received: origin-form, Host from the URL, no
    // hop-by-hop field, Via added, no X-Forwarded-For.
    assert!(body.starts_with("GET /page?q=1\n"), "{body}");
    assert!(body.contains(&format!("host: {up}\n")), "{body}");
    assert!(body.contains("x-client-kept: 1\n"), "{body}");
    assert!(body.contains("via: 1.1 hashwall\n"), "{body}");
    for h in [
        "connection:",
        "x-client-secret",
        "proxy-connection",
        "keep-alive",
        "te:",
        "trailer",
        "upgrade",
        "proxy-authorization",
        "x-forwarded-for",
    ] {
        assert!(!body.contains(h), "{h} forwarded:\n{body}");
    }
    // What the client received: the upstream's hop-by-hop fields gone.
    assert_eq!(headers["via"], "1.1 hashwall");
    assert_eq!(headers["x-upstream-kept"], "1");
    for h in ["x-upstream-secret", "keep-alive", "proxy-connection"] {
        assert!(!headers.contains_key(h), "{h} in response: {headers:?}");
    }
    // Keep-alive on the client side: a second request on the same connection.
    let (status, _, body) = c.get(&format!("http://{up}/second")).await.unwrap();
    assert_eq!(status, 200);
    assert!(body.starts_with("GET /second\n"), "{body}");
    // Keep-alive upstream: sequential requests, even from other client
    // connections, reuse pooled upstream connections.
    let mut upstream_conns = std::collections::HashSet::new();
    for i in 0..5 {
        let mut other = ProxyConn::open(proxy.addr).await;
        let (status, headers, _) = other.get(&format!("http://{up}/pool/{i}")).await.unwrap();
        assert_eq!(status, 200);
        upstream_conns.insert(headers["x-upstream-conn"].to_str().unwrap().to_owned());
    }
    assert!(
        upstream_conns.len() < 5,
        "no upstream connection reused: {upstream_conns:?}"
    );
    // Userinfo in the URL is neither in Host nor sent on.
    let (status, _, body) = c.get(&format!("http://user:pw@{up}/ui")).await.unwrap();
    assert_eq!(status, 200);
    assert!(body.contains(&format!("host: {up}\n")), "{body}");
    assert!(!body.contains("pw"), "{body}");
    // A POST body is streamed through.
    let req = Request::post(format!("http://{up}/post"))
        .body(Full::new(Bytes::from(vec![b'x'; 100_000])))
        .unwrap();
    let (status, _, body) = c.send(req).await.unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("body-bytes: 100000\n"), "{body}");
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_url_gets_451_stop_page_without_the_url() {
    let dir = TempDir::new("blocked");
    let proxy = Proxy::start(&base_config(
        &dir,
        "[stop_page]\nappeal_url = \"https://appeal.example/?a=1&b=2\"\nblocked_by_url = \"https://isp.example/policy\"\n",
    ))
    .await;
    let mut c = ProxyConn::open(proxy.addr).await;
    for url in [
        "http://www.blocked.example/secret-path/x.jpg",
        "http://gallery.example/banned/secret-path/1.jpg",
    ] {
        let (status, headers, body) = c.get(url).await.unwrap();
        assert_eq!(status, 451, "{url}: {body}");
        assert_eq!(
            headers["link"],
            "<https://isp.example/policy>; rel=\"blocked-by\""
        );
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(
            body.contains("Example Police &lt;script&gt;alert(1)&lt;/script&gt;"),
            "{body}"
        );
        assert!(!body.contains("<script>"), "{body}");
        assert!(body.contains("DE"), "{body}");
        assert!(body.contains("csam"), "{body}");
        assert!(
            body.contains("https://appeal.example/?a=1&amp;b=2"),
            "{body}"
        );
        assert!(body.contains("https://reporting-point.invalid/"), "{body}");
        for secret in [
            "secret-path",
            "blocked.example",
            "gallery.example",
            "CASE-SECRET",
        ] {
            assert!(!body.contains(secret), "{secret} on the stop page:\n{body}");
        }
    }
    // The blocked host is never contacted: nothing resolves it here, and the
    // answer is still 451 (not 502).
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitor_match_passes_and_is_counted() {
    let dir = TempDir::new("monitor");
    let up = upstream().await;
    let proxy = Proxy::start(&base_config(&dir, "")).await;
    let mut c = ProxyConn::open(proxy.addr).await;
    let (status, _, body) = c
        .get(&format!("http://{up}/monitored/a.html"))
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let (status, metrics) = admin_request(proxy.admin.unwrap(), "GET", "/metrics", None).await;
    assert_eq!(status, 200);
    assert!(
        metrics.contains(
            "hashwall_decisions_total{list=\"monitor\",category=\"terrorism\",action=\"monitor\"} 1"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains("hashwall_requests_total{method=\"GET\",outcome=\"forwarded\"} 1"),
        "{metrics}"
    );
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_allowed_blocked_and_port_denied() {
    let dir = TempDir::new("connect");
    let echo = echo_server().await;
    let proxy = Proxy::start(&base_config(
        &dir,
        &format!("[acl]\nconnect_ports = [443, {}]\n", echo.port()),
    ))
    .await;
    // Allowed: a tunnel to the echo server.
    let mut s = TcpStream::connect(proxy.addr).await.unwrap();
    s.write_all(format!("CONNECT {echo} HTTP/1.1\r\nHost: {echo}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut b = [0u8; 1];
        let n = tokio::time::timeout(STEP, s.read(&mut b))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(n, 1, "proxy closed: {}", String::from_utf8_lossy(&head));
        head.push(b[0]);
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let payload = b"\x16\x03\x01 not really TLS, any bytes \x00\xff";
    s.write_all(payload).await.unwrap();
    let mut back = vec![0u8; payload.len()];
    tokio::time::timeout(STEP, s.read_exact(&mut back))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&back[..], &payload[..]);
    drop(s);

    // Blocked host: 451 as the answer to CONNECT.
    let (status, head, body) = raw(
        proxy.addr,
        b"CONNECT www.blocked.example:443 HTTP/1.1\r\nHost: www.blocked.example:443\r\n\r\n",
    )
    .await;
    assert_eq!(status, 451, "{head}");
    assert!(
        head.to_ascii_lowercase().contains("rel=\"blocked-by\""),
        "{head}"
    );
    assert!(!body.contains("blocked.example"), "{body}");

    // Port not allowed: 403.
    let (status, head, _) = raw(
        proxy.addr,
        b"CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n",
    )
    .await;
    assert_eq!(status, 403, "{head}");
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_outside_acl_is_refused() {
    let dir = TempDir::new("acl");
    let up = upstream().await;
    let proxy = Proxy::start(&base_config(
        &dir,
        "[acl]\nallow_clients = [\"192.0.2.0/24\"]\n",
    ))
    .await;
    let (status, head, _) = raw(
        proxy.addr,
        format!("GET http://{up}/ HTTP/1.1\r\nHost: {up}\r\n\r\n").as_bytes(),
    )
    .await;
    assert_eq!(status, 403, "{head}");
    let (status, _, _) = raw(
        proxy.addr,
        format!("CONNECT {up} HTTP/1.1\r\nHost: {up}\r\n\r\n").as_bytes(),
    )
    .await;
    assert_eq!(status, 403);
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_authentication() {
    let dir = TempDir::new("auth");
    let up = upstream().await;
    let proxy = Proxy::start(&base_config(
        &dir,
        "[auth]\nrealm = \"subscribers\"\nusers = [{ name = \"alice\", password = \"s3cret\" }]\n",
    ))
    .await;
    let (status, head, _) = raw(
        proxy.addr,
        format!("GET http://{up}/ HTTP/1.1\r\nHost: {up}\r\n\r\n").as_bytes(),
    )
    .await;
    assert_eq!(status, 407, "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("proxy-authenticate: basic realm=\"subscribers\""),
        "{head}"
    );
    // Wrong password.
    let (status, _, _) = raw(
        proxy.addr,
        format!("GET http://{up}/ HTTP/1.1\r\nHost: {up}\r\nProxy-Authorization: Basic YWxpY2U6d3Jvbmc=\r\n\r\n").as_bytes(),
    )
    .await;
    assert_eq!(status, 407);
    // alice:s3cret; the credentials are not forwarded.
    let (status, _, body) = raw(
        proxy.addr,
        format!("GET http://{up}/ HTTP/1.1\r\nHost: {up}\r\nProxy-Authorization: Basic YWxpY2U6czNjcmV0\r\n\r\n").as_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(!body.contains("proxy-authorization"), "{body}");
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_down_is_502() {
    let dir = TempDir::new("down");
    let dead = dead_addr().await;
    let proxy = Proxy::start(&base_config(&dir, "")).await;
    let mut c = ProxyConn::open(proxy.addr).await;
    let (status, _, body) = c.get(&format!("http://{dead}/")).await.unwrap();
    assert_eq!(status, 502, "{body}");
    assert!(body.contains("502"), "{body}");
    // The client connection survives an upstream failure.
    let (status, _, _) = c.get(&format!("http://{dead}/again")).await.unwrap();
    assert_eq!(status, 502);
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_headers_get_431() {
    let dir = TempDir::new("431");
    let up = upstream().await;
    let proxy = Proxy::start(&base_config(
        &dir,
        "[limits]\nmax_request_header_bytes = 16384\n",
    ))
    .await;
    let big = "a".repeat(20_000);
    let (status, head, _) = raw(
        proxy.addr,
        format!("GET http://{up}/ HTTP/1.1\r\nHost: {up}\r\nX-Big: {big}\r\n\r\n").as_bytes(),
    )
    .await;
    assert_eq!(status, 431, "{head}");
    // Too many header fields.
    let many: String = (0..150).map(|i| format!("X-H{i}: v\r\n")).collect();
    let (status, head, _) = raw(
        proxy.addr,
        format!("GET http://{up}/ HTTP/1.1\r\nHost: {up}\r\n{many}\r\n").as_bytes(),
    )
    .await;
    assert_eq!(status, 431, "{head}");
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conflicting_framing_is_refused() {
    let dir = TempDir::new("framing");
    let up = upstream().await;
    let proxy = Proxy::start(&base_config(&dir, "")).await;
    // Content-Length and Transfer-Encoding together, in either order: 400
    // and the connection closed (serve::framing), so neither the request
    // nor one smuggled after it reaches the upstream.
    for (first, second) in [
        ("Content-Length: 40", "Transfer-Encoding: chunked"),
        ("Transfer-Encoding: chunked", "Content-Length: 40"),
    ] {
        let mut s = TcpStream::connect(proxy.addr).await.unwrap();
        s.write_all(
            format!(
                "POST http://{up}/ HTTP/1.1\r\nHost: {up}\r\n{first}\r\n{second}\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET http://{up}/smuggled HTTP/1.1\r\nHost: {up}\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
        let (status, head, body) = read_response(&mut s).await;
        assert_eq!(status, 400, "{head}");
        assert!(!body.contains("body-bytes"), "{body}");
        let mut rest = Vec::new();
        let n = tokio::time::timeout(STEP, s.read_to_end(&mut rest))
            .await
            .unwrap();
        assert!(n.is_ok(), "connection not closed cleanly");
        let rest = String::from_utf8_lossy(&rest);
        assert!(
            !rest.contains("smuggled"),
            "second request executed: {rest}"
        );
    }
    // Two different Content-Lengths: hyper refuses with 400.
    let (status, head, _) = raw(
        proxy.addr,
        format!("POST http://{up}/ HTTP/1.1\r\nHost: {up}\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcd").as_bytes(),
    )
    .await;
    assert_eq!(status, 400, "{head}");
    // A Transfer-Encoding that is not chunked: hyper refuses with 400.
    let (status, head, _) = raw(
        proxy.addr,
        format!("POST http://{up}/ HTTP/1.1\r\nHost: {up}\r\nTransfer-Encoding: gzip\r\n\r\n")
            .as_bytes(),
    )
    .await;
    assert_eq!(status, 400, "{head}");
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_loop_through_itself_and_no_origin_form_in_forward_mode() {
    let dir = TempDir::new("loop");
    let up = upstream().await;
    let proxy = Proxy::start(&base_config(&dir, "")).await;
    let me = proxy.addr;
    let (status, head, _) = raw(
        me,
        format!("GET http://{me}/ HTTP/1.1\r\nHost: {me}\r\n\r\n").as_bytes(),
    )
    .await;
    assert_eq!(status, 403, "{head}");
    let (status, _, _) = raw(
        me,
        format!(
            "GET http://localhost:{}/ HTTP/1.1\r\nHost: x\r\n\r\n",
            me.port()
        )
        .as_bytes(),
    )
    .await;
    assert_eq!(status, 403);
    // A request that already went through us (Via).
    let (status, _, _) = raw(
        me,
        format!("GET http://{up}/ HTTP/1.1\r\nHost: {up}\r\nVia: 1.1 hashwall\r\n\r\n").as_bytes(),
    )
    .await;
    assert_eq!(status, 403);
    // Origin-form to a forward proxy.
    let (status, _, _) = raw(
        me,
        format!("GET / HTTP/1.1\r\nHost: {up}\r\n\r\n").as_bytes(),
    )
    .await;
    assert_eq!(status, 400);
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transparent_mode_routes_by_host() {
    let dir = TempDir::new("transparent");
    let up = upstream().await;
    let proxy = Proxy::start(&base_config(&dir, "[proxy]\ntransparent = true\n")).await;
    let (status, _, body) = raw(
        proxy.addr,
        format!("GET /t?x=1 HTTP/1.1\r\nHost: {up}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("GET /t?x=1\n"), "{body}");
    let (status, _, _) = raw(
        proxy.addr,
        b"GET /x HTTP/1.1\r\nHost: www.blocked.example\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status, 451);
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_url_fails_closed_by_default_and_open_when_configured() {
    // A target hyper accepts but the canonicaliser refuses (a host of
    // dots). Fail-open forwarding of such URLs is tested in the network
    // namespace (serve_destinations.rs): it resolves the host.
    let req = b"GET http://.../x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let dir = TempDir::new("invalid");
    let proxy = Proxy::start(&base_config(&dir, "")).await;
    let (status, head, body) = raw(proxy.addr, req).await;
    assert_eq!(status, 400, "{head}");
    assert!(body.contains("not a valid URL"), "{body}");
    let (_, metrics) = admin_request(proxy.admin.unwrap(), "GET", "/metrics", None).await;
    assert!(
        metrics.contains("hashwall_requests_total{method=\"GET\",outcome=\"invalid_url\"} 1"),
        "{metrics}"
    );
    proxy.stop().await;

    // An invalid port is never "no port" (it was port 80 under
    // fail-open): 400 whatever on_invalid_url says. An IP literal: no
    // DNS query.
    let port = b"GET http://127.0.0.1:99999/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let proxy = Proxy::start(&base_config(&dir, "[proxy]\non_invalid_url = \"open\"\n")).await;
    let (status, head, body) = raw(proxy.addr, port).await;
    assert_eq!(status, 400, "{head}");
    assert!(body.contains("port"), "{body}");
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_through_the_proxy() {
    if std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("curl not installed: skipped");
        return;
    }
    let dir = TempDir::new("curl");
    let up = upstream().await;
    let proxy = Proxy::start(&base_config(&dir, "")).await;
    let proxy_url = format!("http://{}", proxy.addr);
    let run = |url: String| {
        let proxy_url = proxy_url.clone();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new("curl")
                .args([
                    "-s",
                    "--max-time",
                    "30",
                    "-o",
                    "-",
                    "-w",
                    "\n%{http_code}",
                    "-x",
                ])
                .arg(&proxy_url)
                .arg(url)
                .env_remove("http_proxy")
                .env_remove("no_proxy")
                .env_remove("NO_PROXY")
                .output()
                .unwrap()
        })
    };
    let out = run(format!("http://{up}/via-curl")).await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.ends_with("\n200"), "{text}");
    assert!(text.contains("GET /via-curl"), "{text}");
    let out = run("http://www.blocked.example/".to_owned()).await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.ends_with("\n451"), "{text}");
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes() {
    let dir = TempDir::new("shutdown");
    let up = upstream().await;
    let proxy = Proxy::start(&base_config(&dir, "[timeouts]\nshutdown_grace_secs = 5\n")).await;
    // An idle keep-alive connection must not hold shutdown past the grace.
    let mut c = ProxyConn::open(proxy.addr).await;
    let (status, _, _) = c.get(&format!("http://{up}/")).await.unwrap();
    assert_eq!(status, 200);
    let started = std::time::Instant::now();
    proxy.stop().await;
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_get_an_answer_and_break_nothing() {
    let dir = TempDir::new("hostile");
    let up = upstream().await;
    let proxy = Proxy::start(&base_config(&dir, "[acl]\nconnect_ports = [443]\n")).await;
    // Anything forwarded goes to a closed local port: no DNS, no traffic
    // off this machine.
    let dead = dead_addr().await.to_string();
    let long_uri = format!(
        "GET http://{up}/{} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(70_000)
    );
    let cases: Vec<Vec<u8>> = vec![
        b"\x00\x01\x02garbage\r\n\r\n".to_vec(),
        b"GET\r\n\r\n".to_vec(),
        b"GET * HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        b"CONNECT blocked.example HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        b"CONNECT [::1 HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        b"CONNECT :443 HTTP/1.1\r\n\r\n".to_vec(),
        b"CONNECT /path HTTP/1.1\r\n\r\n".to_vec(),
        format!("GET ftp://{dead}/ HTTP/1.1\r\nHost: x\r\n\r\n").into_bytes(),
        format!("GET https://{dead}/ HTTP/1.1\r\nHost: x\r\n\r\n").into_bytes(),
        b"GET http:/// HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        b"GET http://a b/ HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        format!("GET http://{dead}/ HTTP/9.9\r\nHost: x\r\n\r\n").into_bytes(),
        format!("GET http://{dead}/ HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n").into_bytes(),
        [
            &b"GET http://"[..],
            dead.as_bytes(),
            &b"/ HTTP/1.1\r\nHost: x\r\nX: \x01\x7f\r\n\r\n"[..],
        ]
        .concat(),
        [
            &b"GET http://"[..],
            dead.as_bytes(),
            &b"/ HTTP/1.1\r\nVia: \xff\xfe\r\nProxy-Authorization: Basic \xff\r\n\r\n"[..],
        ]
        .concat(),
        format!("POST http://{dead}/ HTTP/1.1\r\nContent-Length: -1\r\n\r\n").into_bytes(),
        format!("POST http://{dead}/ HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n")
            .into_bytes(),
        format!("POST http://{dead}/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
            .into_bytes(),
        format!("GET http://{dead}/ HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n").into_bytes(),
        long_uri.into_bytes(),
    ];
    for case in &cases {
        let (status, head, _) = raw(proxy.addr, case).await;
        // An error status or a closed connection; never a success, never a
        // crash.
        assert!(
            status == 0 || (400..600).contains(&status),
            "{:?} -> {head}",
            String::from_utf8_lossy(&case[..case.len().min(80)])
        );
    }
    // The proxy still serves.
    let mut c = ProxyConn::open(proxy.addr).await;
    let (status, _, _) = c.get(&format!("http://{up}/after")).await.unwrap();
    assert_eq!(status, 200);
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgrade_is_never_relayed_and_the_connection_stays_filtered() {
    let dir = TempDir::new("upgrade");
    let up = upstream().await;
    // An upstream that switches protocols although nobody asked it to.
    let switcher = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let switcher_addr = switcher.local_addr().unwrap();
    let hold = tokio::spawn(async move {
        while let Ok((mut s, _)) = switcher.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let _ = s
                    .write_all(
                        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                          Connection: upgrade\r\n\r\nraw bytes nobody filters",
                    )
                    .await;
                tokio::time::sleep(Duration::from_secs(5)).await;
            });
        }
    });
    let proxy = Proxy::start(&base_config(&dir, "")).await;
    let mut s = TcpStream::connect(proxy.addr).await.unwrap();
    s.write_all(
        format!(
            "GET http://{switcher_addr}/ws HTTP/1.1\r\nHost: {switcher_addr}\r\n\
             Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let (status, head, body) = read_response(&mut s).await;
    assert_eq!(status, 502, "{head}");
    assert!(!body.contains("raw bytes"), "{body}");
    // The connection is still followed as HTTP: a blocked URL on it is
    // still blocked, and a request with both framing headers is refused.
    s.write_all(b"GET http://blocked.example/ HTTP/1.1\r\nHost: blocked.example\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(read_response(&mut s).await.0, 451);
    s.write_all(
        format!(
            "POST http://{up}/ HTTP/1.1\r\nHost: {up}\r\nContent-Length: 4\r\n\
             Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(read_response(&mut s).await.0, 400);
    hold.abort();
    proxy.stop().await;
}
