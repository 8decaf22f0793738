//! Image scanning in `hashwall serve`: a real upstream serving generated
//! images through the proxy, against a list of PDQ and MD5 entries.
#![allow(clippy::unwrap_used)]

mod serve_support;

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::io::Cursor;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use hashwall::image::{Algorithm, Dihedral, HashOptions, hash_image};
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use image::{ImageFormat, RgbImage};
use serve_support::*;
use sha2::{Digest, Sha256};
use tokio::net::{TcpListener, TcpStream};

/// A picture with structure (random 32-pixel blocks over a gradient), so
/// its PDQ quality is high and different seeds are far apart.
fn picture(seed: u64, w: u32, h: u32) -> RgbImage {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as u32
    };
    let bw = w.div_ceil(32);
    let blocks: Vec<[u8; 3]> = (0..bw * h.div_ceil(32))
        .map(|_| {
            let v = next();
            [v as u8, (v >> 8) as u8, (v >> 16) as u8]
        })
        .collect();
    RgbImage::from_fn(w, h, |x, y| {
        let b = blocks[((y / 32) * bw + x / 32) as usize];
        let g = ((x + y) % 64) as u8;
        image::Rgb([b[0].wrapping_add(g), b[1], b[2].wrapping_sub(g)])
    })
}

fn encode(img: &RgbImage, format: ImageFormat) -> Bytes {
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), format).unwrap();
    Bytes::from(out)
}

fn hex_of(bytes: &[u8], alg: Algorithm) -> String {
    let h = hash_image(bytes, &HashOptions::new().algorithms([alg])).unwrap();
    match alg {
        Algorithm::Pdq => h.pdq(alg, Dihedral::Original).unwrap().hash.to_hex(),
        _ => h.get(alg).unwrap().value.to_string(),
    }
}

fn sha256(b: &[u8]) -> Vec<u8> {
    Sha256::digest(b).to_vec()
}

/// Served by the test upstream: content type (none: no header) and bytes.
type Site = HashMap<&'static str, (Option<&'static str>, Bytes)>;

/// A body without a known length: hyper sends it chunked.
struct Chunked(VecDeque<Bytes>);

impl Body for Chunked {
    type Data = Bytes;
    type Error = Infallible;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.0.pop_front().map(|c| Ok(Frame::data(c))))
    }
}

/// Serves `site`; a path starting with `/chunked` is sent without
/// Content-Length, in 512-byte chunks.
async fn image_upstream(site: Site) -> SocketAddr {
    let site = Arc::new(site);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let site = Arc::clone(&site);
            tokio::spawn(async move {
                let svc = service_fn(move |req: Request<Incoming>| {
                    let site = Arc::clone(&site);
                    async move {
                        let path = req.uri().path().to_owned();
                        let (ct, bytes) = site
                            .get(path.as_str())
                            .cloned()
                            .unwrap_or((Some("text/plain"), Bytes::from_static(b"none")));
                        let mut b = Response::builder()
                            .header("x-image-kept", "1")
                            .header("cache-control", "max-age=60")
                            .header("connection", "x-upstream-secret")
                            .header("x-upstream-secret", "1");
                        if let Some(ct) = ct {
                            b = b.header("content-type", ct);
                        }
                        let body = if path.starts_with("/chunked") {
                            Chunked(bytes.chunks(512).map(Bytes::copy_from_slice).collect()).boxed()
                        } else {
                            Full::new(bytes).boxed()
                        };
                        Ok::<_, Infallible>(b.body(body).unwrap())
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    addr
}

/// GET `url` through the proxy: status, headers, raw body bytes.
async fn fetch(proxy: SocketAddr, url: &str) -> (u16, hyper::HeaderMap, Bytes) {
    let tcp = TcpStream::connect(proxy).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .unwrap();
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let req = Request::get(url).body(Full::new(Bytes::new())).unwrap();
    tokio::time::timeout(STEP, async {
        let resp = sender.send_request(req).await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, headers, body)
    })
    .await
    .unwrap()
}

/// The images and the list that names some of them.
struct Fixture {
    site: Site,
    list: String,
}

fn fixture() -> Fixture {
    let listed = picture(1, 320, 240);
    let listed_png = encode(&listed, ImageFormat::Png);
    let rotated_png = encode(&image::imageops::rotate90(&listed), ImageFormat::Png);
    let md5_jpg = encode(&picture(2, 320, 240), ImageFormat::Jpeg);
    let clean_png = encode(&picture(3, 320, 240), ImageFormat::Png);
    let clean_jpg = encode(&picture(4, 640, 480), ImageFormat::Jpeg);
    let list = format!(
        "# issuer: Image Hotline\n# jurisdiction: DE\n# category: csam\n# policy: block\n\
         pdq {} CASE-PDQ-SECRET\nmd5 {} CASE-MD5-SECRET\n",
        hex_of(&listed_png, Algorithm::Pdq),
        hex_of(&md5_jpg, Algorithm::Md5),
    );
    let mut site = Site::new();
    site.insert("/listed.png", (Some("image/png"), listed_png.clone()));
    site.insert("/rotated.png", (Some("image/png"), rotated_png));
    site.insert("/md5.jpg", (Some("image/jpeg"), md5_jpg.clone()));
    site.insert("/clean.png", (Some("image/png"), clean_png.clone()));
    site.insert("/clean.jpg", (Some("image/jpeg"), clean_jpg.clone()));
    site.insert(
        "/octet",
        (Some("application/octet-stream"), listed_png.clone()),
    );
    site.insert("/untyped", (None, md5_jpg.clone()));
    // Not an image type, but image bytes: sniffed (`sniff = "all"`, the
    // default) and blocked.
    site.insert("/text", (Some("text/plain"), listed_png.clone()));
    site.insert("/chunked-listed.png", (Some("image/png"), listed_png));
    site.insert(
        "/broken.png",
        (
            Some("image/png"),
            Bytes::from_static(b"\x89PNG\r\n\x1a\nnot really a png"),
        ),
    );
    // Over a 1 KiB cap: with Content-Length, and chunked.
    site.insert("/big.jpg", (Some("image/jpeg"), clean_jpg.clone()));
    site.insert("/chunked-big.jpg", (Some("image/jpeg"), clean_jpg));
    site.insert(
        "/html",
        (Some("text/html"), Bytes::from_static(b"<p>hi</p>")),
    );
    Fixture { site, list }
}

async fn start(dir: &TempDir, f: &Fixture, images: &str) -> Proxy {
    let list = dir.write("images.list", &f.list);
    let extra = format!(
        "[admin]\ntoken = \"sesame\"\n[images]\n{images}\n[[list]]\npath = {:?}\nallow_unsigned = true\n",
        list.display().to_string()
    );
    Proxy::start(&base_config(dir, &extra)).await
}

async fn metrics(proxy: &Proxy) -> String {
    admin_request(proxy.admin.unwrap(), "GET", "/metrics", Some("sesame"))
        .await
        .1
}

fn counter(metrics: &str, outcome: &str) -> u64 {
    let needle = format!("hashwall_images_scanned_total{{outcome=\"{outcome}\"}} ");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&needle))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{needle} missing:\n{metrics}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listed_images_are_blocked_and_others_pass_unchanged() {
    let dir = TempDir::new("img-block");
    let f = fixture();
    let up = image_upstream(f.site.clone()).await;
    let proxy = start(&dir, &f, "").await;

    for path in [
        "/listed.png",
        "/rotated.png",
        "/md5.jpg",
        "/octet",
        "/untyped",
        "/text",
        "/chunked-listed.png",
    ] {
        let (status, headers, body) = fetch(proxy.addr, &format!("http://{up}{path}")).await;
        assert_eq!(status, 451, "{path}");
        // The same page as a URL block: Link rel=blocked-by, HTML, the
        // issuer, never the entry or its reference.
        assert!(
            headers["link"]
                .to_str()
                .unwrap()
                .contains("rel=\"blocked-by\""),
            "{path}"
        );
        assert_eq!(headers["content-type"], "text/html; charset=utf-8");
        let page = String::from_utf8_lossy(&body);
        assert!(page.contains("Image Hotline"), "{page}");
        assert!(!page.contains("SECRET"), "{page}");
        assert!(!page.contains(path), "{page}");
    }

    for path in ["/clean.png", "/clean.jpg", "/html"] {
        let (status, headers, body) = fetch(proxy.addr, &format!("http://{up}{path}")).await;
        assert_eq!(status, 200, "{path}");
        let (ct, original) = &f.site[path];
        assert_eq!(sha256(&body), sha256(original), "{path}: bytes changed");
        assert_eq!(headers["content-type"], ct.unwrap());
        assert_eq!(headers["x-image-kept"], "1");
        assert_eq!(headers["cache-control"], "max-age=60");
        assert_eq!(headers["via"], "1.1 hashwall");
        assert_eq!(
            headers["content-length"].to_str().unwrap(),
            original.len().to_string()
        );
        assert!(!headers.contains_key("x-upstream-secret"), "{path}");
    }

    let m = metrics(&proxy).await;
    assert_eq!(counter(&m, "matched"), 7, "{m}");
    assert_eq!(counter(&m, "clean"), 2, "{m}");
    for o in ["too_large", "undecodable", "saturated", "timeout"] {
        assert_eq!(counter(&m, o), 0, "{o}: {m}");
    }
    assert!(
        m.contains("hashwall_requests_total{method=\"GET\",outcome=\"blocked\"} 7"),
        "{m}"
    );
    assert!(
        m.contains(
            "hashwall_decisions_total{list=\"images\",category=\"csam\",action=\"block\"} 7"
        ),
        "{m}"
    );
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unscannable_images_fail_open_and_are_counted() {
    let dir = TempDir::new("img-open");
    let f = fixture();
    let up = image_upstream(f.site.clone()).await;
    let proxy = start(&dir, &f, "max_bytes = 1024\n").await;
    for path in ["/big.jpg", "/chunked-big.jpg", "/broken.png"] {
        let (status, _, body) = fetch(proxy.addr, &format!("http://{up}{path}")).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(sha256(&body), sha256(&f.site[path].1), "{path}");
    }
    // Even a listed image passes when it is over the cap: that is what
    // "open" means (and why it is counted).
    let (status, _, _) = fetch(proxy.addr, &format!("http://{up}/listed.png")).await;
    assert_eq!(status, 200);
    let m = metrics(&proxy).await;
    assert_eq!(counter(&m, "too_large"), 3, "{m}");
    assert_eq!(counter(&m, "undecodable"), 1, "{m}");
    assert_eq!(counter(&m, "matched"), 0, "{m}");
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unscannable_images_fail_closed_with_403() {
    let dir = TempDir::new("img-closed");
    let f = fixture();
    let up = image_upstream(f.site.clone()).await;
    let proxy = start(&dir, &f, "max_bytes = 1024\non_unscannable = \"closed\"\n").await;
    for path in ["/big.jpg", "/chunked-big.jpg", "/broken.png"] {
        let (status, headers, body) = fetch(proxy.addr, &format!("http://{up}{path}")).await;
        assert_eq!(status, 403, "{path}");
        assert!(!headers.contains_key("link"), "not a list block");
        assert!(String::from_utf8_lossy(&body).contains("could not be checked"));
    }
    // Small and not an image: untouched.
    let (status, _, _) = fetch(proxy.addr, &format!("http://{up}/html")).await;
    assert_eq!(status, 200);
    let m = metrics(&proxy).await;
    assert_eq!(counter(&m, "too_large"), 2, "{m}");
    assert_eq!(counter(&m, "undecodable"), 1, "{m}");
    assert!(
        m.contains("hashwall_requests_total{method=\"GET\",outcome=\"image_unscannable\"} 3"),
        "{m}"
    );
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_over_its_time_is_a_timeout() {
    let dir = TempDir::new("img-timeout");
    let mut f = fixture();
    // Decoding and hashing 6 megapixels takes far more than a millisecond.
    let large = encode(&picture(9, 3000, 2000), ImageFormat::Png);
    f.site.insert("/large.png", (Some("image/png"), large));
    let up = image_upstream(f.site.clone()).await;
    let proxy = start(
        &dir,
        &f,
        "scan_timeout_secs = 0.001\non_unscannable = \"closed\"\n",
    )
    .await;
    let (status, _, _) = fetch(proxy.addr, &format!("http://{up}/large.png")).await;
    assert_eq!(status, 403);
    let m = metrics(&proxy).await;
    assert_eq!(counter(&m, "timeout"), 1, "{m}");
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_image_entries_nothing_is_held_back() {
    let dir = TempDir::new("img-none");
    let f = fixture();
    let up = image_upstream(f.site.clone()).await;
    // The default lists of the test config hold URL entries only.
    let proxy = Proxy::start(&base_config(
        &dir,
        "[admin]\ntoken = \"sesame\"\n[images]\nmax_bytes = 1024\non_unscannable = \"closed\"\n",
    ))
    .await;
    for path in ["/broken.png", "/big.jpg", "/listed.png"] {
        let (status, _, body) = fetch(proxy.addr, &format!("http://{up}{path}")).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(sha256(&body), sha256(&f.site[path].1));
    }
    let m = metrics(&proxy).await;
    for o in ["matched", "clean", "too_large", "undecodable"] {
        assert_eq!(counter(&m, o), 0, "{o}: {m}");
    }
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_scanning_passes_listed_images() {
    let dir = TempDir::new("img-off");
    let f = fixture();
    let up = image_upstream(f.site.clone()).await;
    let proxy = start(&dir, &f, "enabled = false\n").await;
    let (status, _, _) = fetch(proxy.addr, &format!("http://{up}/listed.png")).await;
    assert_eq!(status, 200);
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_bytes_budget_makes_large_images_saturated() {
    let dir = TempDir::new("img-budget");
    let f = fixture();
    let up = image_upstream(f.site.clone()).await;
    // A budget of 2 KiB: the 640x480 JPEG (tens of KiB) cannot be held,
    // whatever max_bytes allows.
    let proxy = start(
        &dir,
        &f,
        "max_bytes = 2048\nmax_held_bytes = 2048\non_unscannable = \"closed\"\n",
    )
    .await;
    let (status, _, _) = fetch(proxy.addr, &format!("http://{up}/chunked-big.jpg")).await;
    assert_eq!(status, 403);
    let m = metrics(&proxy).await;
    // Any frame takes at least 1 KiB of the budget, so it runs out before
    // more than 2048 bytes (the cap) are held: saturated, not too large.
    assert_eq!(counter(&m, "saturated"), 1, "{m}");
    assert_eq!(counter(&m, "too_large"), 0, "{m}");
    proxy.stop().await;
}
