//! The ICAP service against a raw ICAP client on loopback: OPTIONS and
//! the ISTag across a reload, REQMOD and RESPMOD decisions, previews and
//! `100 Continue`, echoes, keep-alive, refusals and timeouts.
#![allow(clippy::unwrap_used)]

mod icap_support;
mod image_support;
mod serve_support;

use std::time::Duration;

use bytes::Bytes;
use hashwall::image::Algorithm;
use icap_support::*;
use image::ImageFormat;
use image_support::{encode, hex_of, picture};
use serve_support::*;

/// A listed PNG, a clean PNG, and the list naming the first.
struct Images {
    listed: Bytes,
    clean: Bytes,
    /// Listed by MD5, smaller than a preview.
    small: Bytes,
    list: String,
}

fn images() -> Images {
    let listed = encode(&picture(1, 320, 240), ImageFormat::Png);
    let clean = encode(&picture(3, 320, 240), ImageFormat::Png);
    let small = encode(&picture(5, 8, 8), ImageFormat::Png);
    let list = format!(
        "# issuer: Image Hotline\n# jurisdiction: DE\n# category: csam\n# policy: block\n\
         pdq {} CASE-PDQ-SECRET\nmd5 {} CASE-MD5-SECRET\n",
        hex_of(&listed, Algorithm::Pdq),
        hex_of(&small, Algorithm::Md5),
    );
    Images {
        listed,
        clean,
        small,
        list,
    }
}

/// The ICAP-only configuration used here: police, monitor and image lists.
fn config(dir: &TempDir, img: &Images, more: &str) -> String {
    let police = dir.write("police.list", POLICE_LIST);
    let list = dir.write("images.list", &img.list);
    format!(
        "[proxy]\nenabled = false\n[api]\nenabled = false\n{more}\n\
         [[list]]\npath = {:?}\nallow_unsigned = true\n[[list]]\npath = {:?}\nallow_unsigned = true\n",
        police.display().to_string(),
        list.display().to_string()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_announce_each_service_and_the_istag_follows_reloads() {
    let dir = TempDir::new("icap-options");
    let img = images();
    let (proxy, icap) = start(&dir, &config(&dir, &img, "")).await;
    assert!(proxy.running.as_ref().unwrap().proxy_addr.is_none());
    let mut c = Raw::open(icap).await;
    let mut tags = Vec::new();
    for (path, method) in [("/reqmod", "REQMOD"), ("/respmod", "RESPMOD")] {
        c.send(format!("OPTIONS icap://{icap}{path} ICAP/1.0\r\nHost: {icap}\r\n\r\n").as_bytes())
            .await;
        let r = c.response().await.unwrap();
        assert_eq!(r.status, 200, "{}", r.head);
        assert_eq!(r.field("methods").as_deref(), Some(method));
        assert_eq!(r.field("allow").as_deref(), Some("204"));
        assert_eq!(r.field("preview").as_deref(), Some("1024"));
        assert_eq!(r.field("transfer-preview").as_deref(), Some("*"));
        assert_eq!(r.field("options-ttl").as_deref(), Some("3600"));
        assert_eq!(r.field("max-connections").as_deref(), Some("1000"));
        assert!(r.field("service").unwrap().contains("hashwall"));
        tags.push(r.field("istag").unwrap());
    }
    assert_eq!(tags[0], tags[1]);
    assert!(tags[0].starts_with('"') && tags[0].ends_with('"') && tags[0].len() <= 34);

    // A new entry: not enforced before the reload, enforced after it, and
    // the tag changed.
    c.send(&reqmod(icap, "http://newly.example/", "Allow: 204\r\n"))
        .await;
    assert_eq!(c.response().await.unwrap().status, 204);
    dir.write(
        "police.list",
        &format!("{POLICE_LIST}domain newly.example CASE-NEW\n"),
    );
    let report = proxy.running.as_ref().unwrap().lists.reload("test").await;
    assert!(report.ok, "{report:?}");
    c.send(format!("OPTIONS icap://{icap}/reqmod ICAP/1.0\r\n\r\n").as_bytes())
        .await;
    let after = c.response().await.unwrap().field("istag").unwrap();
    assert_ne!(after, tags[0]);
    c.send(&reqmod(icap, "http://newly.example/", "Allow: 204\r\n"))
        .await;
    let r = c.response().await.unwrap();
    assert!(r.http.starts_with("HTTP/1.1 451 "), "{}", r.http);
    assert_eq!(r.field("istag").unwrap(), after);

    // An unknown service: 404, and the connection closes.
    c.send(format!("OPTIONS icap://{icap}/nope ICAP/1.0\r\n\r\n").as_bytes())
        .await;
    assert_eq!(c.response().await.unwrap().status, 404);
    assert!(c.closed().await);
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reqmod_blocks_as_the_proxy_does_and_allows_the_rest() {
    let dir = TempDir::new("icap-reqmod");
    let img = images();
    let (proxy, icap) = start(&dir, &config(&dir, &img, "")).await;
    let mut c = Raw::open(icap).await;
    // Listed: the 451 page with the proxy's Link header.
    c.send(&reqmod(
        icap,
        "http://blocked.example/page",
        "Allow: 204\r\n",
    ))
    .await;
    let r = c.response().await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(
        r.field("encapsulated").unwrap().split(',').next(),
        Some("res-hdr=0")
    );
    assert!(
        r.http
            .starts_with("HTTP/1.1 451 Unavailable For Legal Reasons\r\n"),
        "{}",
        r.http
    );
    assert!(
        r.http.to_ascii_lowercase().contains("rel=\"blocked-by\""),
        "{}",
        r.http
    );
    let page = String::from_utf8(r.body.clone()).unwrap();
    assert!(page.contains("Example Police"), "{page}");
    assert!(!page.contains("CASE-SECRET"), "{page}");
    let declared: usize = r
        .http
        .lines()
        .find_map(|l| {
            l.strip_prefix("content-length: ")
                .or(l.strip_prefix("Content-Length: "))
        })
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(declared, r.body.len());
    // Same connection: allowed with Allow: 204 → 204.
    c.send(&reqmod(icap, "http://fine.example/", "Allow: 204\r\n"))
        .await;
    assert_eq!(c.response().await.unwrap().status, 204);
    // Without Allow: 204 and no preview → the request echoed unchanged.
    let req = reqmod(icap, "http://fine.example/x?y=1", "");
    c.send(&req).await;
    let r = c.response().await.unwrap();
    assert_eq!(r.status, 200);
    let sent = String::from_utf8(req).unwrap();
    assert!(sent.ends_with(&r.http), "{} vs {sent}", r.http);
    assert!(
        r.field("encapsulated")
            .unwrap()
            .starts_with("req-hdr=0, null-body=")
    );
    // CONNECT to a listed domain, and a listed URL prefix.
    let http = "CONNECT blocked.example:443 HTTP/1.1\r\nHost: blocked.example:443\r\n\r\n";
    c.send(
        format!(
            "REQMOD icap://{icap}/reqmod ICAP/1.0\r\nEncapsulated: req-hdr=0, null-body={}\r\n\r\n{http}",
            http.len()
        )
        .as_bytes(),
    )
    .await;
    assert!(
        c.response()
            .await
            .unwrap()
            .http
            .starts_with("HTTP/1.1 451 ")
    );
    c.send(&reqmod(icap, "http://gallery.example/banned/1.jpg", ""))
        .await;
    assert!(
        c.response()
            .await
            .unwrap()
            .http
            .starts_with("HTTP/1.1 451 ")
    );
    // A request with a body, previewed: blocked after the preview, and
    // the body never continued.
    let http = "POST http://blocked.example/up HTTP/1.1\r\nHost: blocked.example\r\n\r\n";
    let mut msg = format!(
        "REQMOD icap://{icap}/reqmod ICAP/1.0\r\nPreview: 4\r\nEncapsulated: req-hdr=0, req-body={}\r\n\r\n{http}",
        http.len()
    )
    .into_bytes();
    msg.extend_from_slice(&chunk(b"abcd"));
    msg.extend_from_slice(b"0\r\n\r\n");
    c.send(&msg).await;
    let r = c.response().await.unwrap();
    assert!(r.http.starts_with("HTTP/1.1 451 "), "{}", r.head);
    // An allowed body without preview nor Allow: 204: echoed, body too.
    let http = "POST http://fine.example/up HTTP/1.1\r\nHost: fine.example\r\n\r\n";
    let mut msg = format!(
        "REQMOD icap://{icap}/reqmod ICAP/1.0\r\nEncapsulated: req-hdr=0, req-body={}\r\n\r\n{http}",
        http.len()
    )
    .into_bytes();
    msg.extend_from_slice(&chunk(b"hello "));
    msg.extend_from_slice(&chunk(b"world"));
    msg.extend_from_slice(b"0\r\n\r\n");
    c.send(&msg).await;
    let r = c.response().await.unwrap();
    assert_eq!(r.http, http);
    assert_eq!(r.body, b"hello world");
    let m = metrics_when(proxy.admin.unwrap(), "sesame", |m| {
        icap_count(m, "REQMOD", "blocked") + icap_count(m, "REQMOD", "allowed") >= 7
    })
    .await;
    assert_eq!(icap_count(&m, "REQMOD", "blocked"), 4, "{m}");
    assert_eq!(icap_count(&m, "REQMOD", "allowed"), 3, "{m}");
    assert!(
        m.contains("hashwall_icap_request_duration_seconds_count{method=\"REQMOD\"} 7"),
        "{m}"
    );
    proxy.stop().await;
}

/// A RESPMOD of `body` with `Preview: 1024` as Squid sends it: the first
/// 1024 bytes, then (after 100 Continue) the rest.
async fn previewed(
    c: &mut Raw,
    icap: std::net::SocketAddr,
    ct: Option<&str>,
    body: &[u8],
    fields: &str,
) -> IcapResponse {
    let mut msg = respmod_head(
        icap,
        "http://img.example/a",
        ct,
        &format!("Preview: 1024\r\n{fields}"),
    );
    let (preview, rest) = body.split_at(body.len().min(1024));
    msg.extend_from_slice(&chunk(preview));
    msg.extend_from_slice(if rest.is_empty() {
        b"0; ieof\r\n\r\n"
    } else {
        b"0\r\n\r\n"
    });
    c.send(&msg).await;
    let r = c.response().await.unwrap();
    if r.status != 100 {
        return r;
    }
    let mut msg = Vec::new();
    for piece in rest.chunks(3000) {
        msg.extend_from_slice(&chunk(piece));
    }
    msg.extend_from_slice(b"0\r\n\r\n");
    c.send(&msg).await;
    c.response().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn respmod_scans_images_with_the_proxys_pipeline() {
    let dir = TempDir::new("icap-respmod");
    let img = images();
    let (proxy, icap) = start(&dir, &config(&dir, &img, "")).await;
    let mut c = Raw::open(icap).await;
    // A listed image, typed and untyped (sniffed): 451 after the whole body.
    for ct in [Some("image/png"), None, Some("text/html")] {
        let r = previewed(&mut c, icap, ct, &img.listed, "").await;
        assert_eq!(r.status, 200, "{}", r.head);
        assert!(r.http.starts_with("HTTP/1.1 451 "), "{ct:?}: {}", r.http);
        assert!(
            r.field("encapsulated")
                .unwrap()
                .starts_with("res-hdr=0, res-body=")
        );
    }
    // A clean image: 204 with Allow: 204; echoed byte for byte without.
    let r = previewed(
        &mut c,
        icap,
        Some("image/png"),
        &img.clean,
        "Allow: 204\r\n",
    )
    .await;
    assert_eq!(r.status, 204);
    let r = previewed(&mut c, icap, Some("image/png"), &img.clean, "").await;
    assert_eq!(r.status, 200);
    assert!(
        r.http.starts_with("HTTP/1.1 200 OK\r\n") && r.http.contains("X-Kept: 1"),
        "{}",
        r.http
    );
    assert_eq!(r.body, img.clean);
    // Not an image: 204 right after the preview, no 100 Continue.
    let html = vec![b'<'; 5000];
    let r = previewed(&mut c, icap, Some("text/html"), &html, "").await;
    assert_eq!(r.status, 204, "{}", r.head);
    // A small listed image whole in the preview (ieof): decided at once.
    assert!(img.small.len() < 1024);
    let r = previewed(&mut c, icap, Some("image/png"), &img.small, "").await;
    assert!(r.http.starts_with("HTTP/1.1 451 "), "{}", r.head);
    // No preview, Allow: 204: the listed image read whole, 451.
    let mut msg = respmod_head(
        icap,
        "http://img.example/b",
        Some("image/png"),
        "Allow: 204\r\n",
    );
    for piece in img.listed.chunks(4096) {
        msg.extend_from_slice(&chunk(piece));
    }
    msg.extend_from_slice(b"0\r\n\r\n");
    c.send(&msg).await;
    assert!(
        c.response()
            .await
            .unwrap()
            .http
            .starts_with("HTTP/1.1 451 ")
    );
    let m = metrics_when(proxy.admin.unwrap(), "sesame", |m| {
        icap_count(m, "RESPMOD", "blocked") >= 5
    })
    .await;
    assert_eq!(icap_count(&m, "RESPMOD", "blocked"), 5, "{m}");
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_over_the_cap_follow_on_unscannable() {
    let dir = TempDir::new("icap-cap");
    let img = images();
    assert!(img.listed.len() > 4096);
    for (mode, want) in [("open", 200), ("closed", 403)] {
        let more = format!("[images]\nmax_bytes = 4096\non_unscannable = \"{mode}\"\n");
        let (proxy, icap) = start(&dir, &config(&dir, &img, &more)).await;
        let mut c = Raw::open(icap).await;
        let r = previewed(&mut c, icap, Some("image/png"), &img.listed, "").await;
        assert_eq!(r.status, 200, "{mode}: {}", r.head);
        let status: u16 = r.http.split_whitespace().nth(1).unwrap().parse().unwrap();
        assert_eq!(status, want, "{mode}: {}", r.http);
        if mode == "open" {
            assert_eq!(r.body, img.listed, "fail-open passes the image unchanged");
        }
        proxy.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_400_and_the_connection_closes() {
    let dir = TempDir::new("icap-bad");
    let img = images();
    let (proxy, icap) = start(&dir, &config(&dir, &img, "")).await;
    let bad: [(&[u8], u16); 6] = [
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"REQMOD icap://h/reqmod ICAP/1.0\r\nEncapsulated: req-hdr=7\r\n\r\n", 400),
        (b"REQMOD icap://h/reqmod ICAP/1.0\r\nEncapsulated: req-hdr=0, null-body=9\r\n\r\nnot http!", 400),
        (b"BREW icap://h/reqmod ICAP/1.0\r\n\r\n", 501),
        (b"OPTIONS icap://h/reqmod ICAP/1.1\r\n\r\n", 505),
        (b"RESPMOD icap://h/respmod ICAP/1.0\r\nEncapsulated: res-hdr=0, res-body=19\r\n\r\nHTTP/1.1 200 OK\r\n\r\nzz\r\n", 400),
    ];
    for (bytes, want) in bad {
        let mut c = Raw::open(icap).await;
        c.send(bytes).await;
        let r = c.response().await.unwrap();
        assert_eq!(r.status, want, "{}", String::from_utf8_lossy(bytes));
        assert!(c.closed().await, "{}", String::from_utf8_lossy(bytes));
    }
    // A head over limits.max_request_header_bytes.
    let mut c = Raw::open(icap).await;
    let mut big = b"OPTIONS icap://h/reqmod ICAP/1.0\r\nX: ".to_vec();
    big.extend(std::iter::repeat_n(b'a', 70_000));
    c.send(&big).await;
    assert_eq!(c.response().await.unwrap().status, 400);
    assert!(c.closed().await);
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_heads_and_idle_connections_are_closed() {
    let dir = TempDir::new("icap-slow");
    let img = images();
    let more = "[timeouts]\nrequest_header_secs = 1\nidle_secs = 2\n";
    let (proxy, icap) = start(&dir, &config(&dir, &img, more)).await;
    let t = std::time::Instant::now();
    let mut c = Raw::open(icap).await;
    c.send(b"OPTIONS icap://h/reqmod ICAP/1.0\r\nHost:").await;
    assert!(c.closed().await);
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    let t = std::time::Instant::now();
    let mut c = Raw::open(icap).await;
    c.send(format!("OPTIONS icap://{icap}/reqmod ICAP/1.0\r\n\r\n").as_bytes())
        .await;
    assert_eq!(c.response().await.unwrap().status, 200);
    assert!(c.closed().await);
    let idle = t.elapsed();
    assert!(
        idle >= Duration::from_millis(1500) && idle < Duration::from_secs(8),
        "{idle:?}"
    );
    proxy.stop().await;
}
